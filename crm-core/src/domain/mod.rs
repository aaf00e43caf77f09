//! The rules of each area of the CRM, one module per area. Their records are described in
//! `kind.rs` (fields, workflows); what an area adds — a rule a transition must pass, what is
//! derived from records, what is detected in them — is here, found by the area's name.

pub mod agenda;
pub mod campaigns;
pub mod catalogue;
pub mod churn;
pub mod expenses;
pub mod leads;
pub mod messages;
pub mod pool;
pub mod reminders;
pub mod sales;
pub mod sales_pdf;
pub mod sales_views;
pub mod service;
pub mod visits;

use crate::document::RecordDoc;
use crate::kind::{Guard, Kind};
use crate::workflow::{Facts, WorkflowRefusal};

/// Fill in the derived fields of a record of `kind` (`values` in the order of the kind's
/// fields, the stored ones read): a sales document's totals.
pub fn derive(kind: Kind, values: &mut [Option<crate::value::FieldValue>]) {
    let fields = kind.spec().fields;
    if !fields.iter().any(|f| f.derived) {
        return;
    }
    let stored: Vec<Option<crate::value::FieldValue>> = values.to_vec();
    let read = |name: &str| fields.iter().position(|f| f.name == name).and_then(|i| stored[i].clone());
    for (i, field) in fields.iter().enumerate().filter(|(_, f)| f.derived) {
        values[i] = sales::derived(kind, field.name, &read);
    }
}

/// What reads and read models show of a record beyond its stored values (`values` in the
/// order of the kind's fields): its derived fields, and for a workflow with a pin, the state
/// a stale approval falls back to (`crate::workflow::state_now`).
pub fn complete(kind: Kind, doc: &mut RecordDoc, values: &mut [Option<crate::value::FieldValue>]) {
    derive(kind, values);
    let spec = kind.spec();
    if let Some(w) = spec.workflow.filter(|w| w.pin.is_some()) {
        if let Some(i) = spec.fields.iter().position(|f| f.name == w.state_field()) {
            values[i] = crate::workflow::state_now(kind, doc).map(crate::value::FieldValue::Str);
        }
    }
}

/// What is wrong with a record beyond its fields' own rules, by its area (lines that cannot be
/// totalled, an expense of nothing). The device refuses an edit that leaves one; the server a
/// pushed change.
pub fn problems(kind: Kind, doc: &RecordDoc) -> Vec<crate::error::FieldError> {
    match kind {
        Kind::Quote | Kind::Contract | Kind::Order => sales::problems(kind, doc),
        Kind::Expense => expenses::problems(doc),
        Kind::SalesTarget => sales::target_problems(doc),
        Kind::Activity => {
            let mut out = leads::names_customer_or_lead(doc);
            out.extend(messages::problems(doc));
            out
        }
        _ => Vec::new(),
    }
}

/// Values an area fills in for a transition when the request leaves them out and the record
/// has none: issuing an invoice copies the buyer's title from its customer.
pub fn prefill(
    kind: Kind,
    transition: &str,
    before: &RecordDoc,
    facts: &dyn Facts,
) -> Vec<(&'static crate::kind::FieldSpec, crate::value::FieldValue)> {
    match (kind, transition) {
        (Kind::Invoice, "issue") => sales::buyer_of(before, facts),
        _ => Vec::new(),
    }
}

/// The area rule a transition's [`Guard`] names, for the record as the transition leaves it.
pub fn check_guard(guard: Guard, kind: Kind, after: &RecordDoc, facts: &dyn Facts) -> Result<(), WorkflowRefusal> {
    match guard {
        Guard::None => Ok(()),
        Guard::SatisfiedAtLeast => service::feedback_archives(kind, after, facts, true),
        Guard::SatisfiedBelow => service::feedback_archives(kind, after, facts, false),
        Guard::OwnedLimit => pool::within_owned_limit(kind, after, facts),
        Guard::NeedsNoApproval => sales::needs_no_approval(kind, after, facts),
        Guard::PlanAddsUp => sales::plan_adds_up(kind, after),
        Guard::ContractHolds => sales::contract_holds(kind, after, facts),
        Guard::OrderHolds => sales::order_holds(kind, after, facts),
        Guard::WithinInvoiceable => sales::within_invoiceable(kind, after, facts),
        Guard::SameCurrency => sales::same_currency(kind, after, facts),
        Guard::LeadOpen => leads::lead_open(kind, after, facts),
    }
}
