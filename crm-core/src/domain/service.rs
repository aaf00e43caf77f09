//! Service requests (`service_request`): 新创建 → 已分配 → 已处理 → 已归档, reopened when the
//! customer's satisfaction is below the admin's threshold. The workflow is declared in
//! `kind.rs`; this is the rule deciding between reopening and archiving.

use serde_json::json;

use crate::access::Refusal;
use crate::document::RecordDoc;
use crate::kind::Kind;
use crate::value::FieldValue;
use crate::workflow::{setting_or_default, Facts, WorkflowRefusal};

/// The setting holding the threshold: feedback below it reopens the request.
pub const REOPEN_BELOW: &str = "service.reopen_below";

/// Feedback with this satisfaction archives the request (`archives`) or reopens it (`!archives`)?
pub fn feedback_archives(
    kind: Kind,
    after: &RecordDoc,
    facts: &dyn Facts,
    archives: bool,
) -> Result<(), WorkflowRefusal> {
    let satisfaction = match kind.spec().field("satisfaction").and_then(|f| after.read(f)) {
        Some(FieldValue::Int(n)) => n,
        _ => 0,
    };
    let threshold = setting_or_default(facts, REOPEN_BELOW);
    let below = satisfaction < threshold;
    if below != archives {
        return Ok(());
    }
    let (code, reason) = if below {
        ("satisfaction_low", format!("a satisfaction below {threshold} reopens the request instead"))
    } else {
        ("satisfaction_high", format!("only a satisfaction below {threshold} reopens the request"))
    };
    Err(WorkflowRefusal { refusal: Refusal { code, reason }, params: json!({ "threshold": threshold }) })
}
