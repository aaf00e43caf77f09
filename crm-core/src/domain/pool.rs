//! The customer pool (公海): customers with no owner, claimed by the first salesperson whose
//! claim reaches the server, released back with a reason. The workflow is declared in
//! `kind.rs` (the customer's); this is the limit on how many customers one person owns.

use serde_json::json;

use crate::access::Refusal;
use crate::document::RecordDoc;
use crate::kind::Kind;
use crate::value::FieldValue;
use crate::workflow::{setting_or_default, Facts, WorkflowRefusal};

/// The setting holding the limit (0: none).
pub const MAX_OWNED: &str = "pool.max_owned";

/// A claim may not take the new owner past the limit. `facts` count what they own before
/// the claim is stored, so the claimed customer is not among them.
pub fn within_owned_limit(kind: Kind, after: &RecordDoc, facts: &dyn Facts) -> Result<(), WorkflowRefusal> {
    let limit = setting_or_default(facts, MAX_OWNED);
    let owner = match kind.spec().field("owner").and_then(|f| after.read(f)) {
        Some(FieldValue::Str(user)) => user,
        _ => return Ok(()),
    };
    let owned = facts.owned_customers(&owner);
    if limit > 0 && owned >= limit as u64 {
        let reason = format!("you own {owned} customers already; the limit is {limit}");
        return Err(WorkflowRefusal {
            refusal: Refusal { code: "owned_limit", reason },
            params: json!({ "limit": limit, "owned": owned }),
        });
    }
    Ok(())
}
