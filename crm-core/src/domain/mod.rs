//! The rules of each area of the CRM, one module per area. Their records are described in
//! `kind.rs` (fields, workflows); what an area adds — a rule a transition must pass, what is
//! derived from records, what is detected in them — is here, found by the area's name.

pub mod churn;
pub mod pool;
pub mod reminders;
pub mod service;

use crate::document::RecordDoc;
use crate::kind::{Guard, Kind};
use crate::workflow::{Facts, WorkflowRefusal};

/// The area rule a transition's [`Guard`] names, for the record as the transition leaves it.
pub fn check_guard(guard: Guard, kind: Kind, after: &RecordDoc, facts: &dyn Facts) -> Result<(), WorkflowRefusal> {
    match guard {
        Guard::None => Ok(()),
        Guard::SatisfiedAtLeast => service::feedback_archives(kind, after, facts, true),
        Guard::SatisfiedBelow => service::feedback_archives(kind, after, facts, false),
        Guard::OwnedLimit => pool::within_owned_limit(kind, after, facts),
    }
}
