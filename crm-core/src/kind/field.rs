//! The kinds of field work beyond the visit itself: expenses (报销) a salesperson claims, with
//! their approval by the supervisor and payment by finance.
//!
//! An expense is in its claimant's scope ([`Scope::Owner`]), not its customer's: it stays with
//! the person who spent the money when the customer changes hands.

use super::*;
use Role::{Admin, Finance, Supervisor};

/// One stop of a visit plan: the day, the customer, what for.
pub(super) static STOP: &[FieldSpec] =
    &[f("date", Date).required(), f("customer", Ref(Kind::Customer)).required(), f("note", TEXT)];

/// A salesperson's plan of visits for a day or a week: the customers to see, in order, each on
/// its day. In its owner's scope, like an expense; the agenda shows its stops.
pub(super) static VISIT_PLAN: KindSpec = KindSpec {
    kind: Kind::VisitPlan,
    title: "title",
    admin_only: false,
    scope: Scope::Owner,
    code_prefix: None,
    indexes: &[],
    assigned: &[],
    workflow: None,
    identity: &[],
    fields: &[
        f("title", TEXT).required().search(),
        f("stops", Items(STOP)),
        f("owner", Ref(Kind::User)).indexed().or(Default::CurrentUser),
        f("notes", Notes),
    ],
};

/// Who approves or rejects a claim: a supervisor (of the claimant's team, by the scope) or an
/// admin, never the claimant.
const JUDGES: &[By] = &[By::OtherRole(Supervisor), By::OtherRole(Admin)];

/// 草稿 → 已提交 → 已批准 / 已驳回 → 已支付.
pub const EXPENSE_STATES: &[&str] = &["draft", "submitted", "approved", "rejected", "paid"];

pub(super) static EXPENSE: KindSpec = KindSpec {
    kind: Kind::Expense,
    title: "date",
    admin_only: false,
    code_prefix: None,
    scope: Scope::Owner,
    // A person's expenses by month (the claim), and the approvers' and finance's queues.
    indexes: &[&["owner", "date"], &["status", "date"]],
    assigned: &[],
    workflow: Some(&EXPENSE_FLOW),
    identity: &[],
    fields: &[
        f("date", Date).required().indexed(),
        f("category", Dict("expense_category")).required().indexed(),
        f("amount", Money).required(),
        // The customer or the visit it was spent for, if any.
        f("customer", Ref(Kind::Customer)).indexed(),
        f("visit", Ref(Kind::Activity)),
        // Photos of the receipts (发票, 收据).
        f("receipts", Items(ATTACHMENT)),
        f("status", Enum(EXPENSE_STATES)).required().indexed().or(Default::Str("draft")),
        f("submitted_at", DateTime),
        f("approved_by", Ref(Kind::User)),
        f("approved_at", DateTime),
        f("reject_reason", LONG_TEXT),
        f("paid_by", Ref(Kind::User)),
        f("paid_at", DateTime),
        f("owner", Ref(Kind::User)).indexed().or(Default::CurrentUser),
        f("notes", Notes),
    ],
};

pub(super) static EXPENSE_FLOW: Workflow = Workflow {
    state: StateOf::Field { name: "status", absent: "draft" },
    decided: &["status", "approved_by", "approved_at", "paid_by", "paid_at", "submitted_at"],
    initial: &["draft"],
    created_with: &[],
    pin: None,
    // Once submitted a claim changes only by its transitions (`revise` takes it back to a
    // draft to edit): what the supervisor approves is what was submitted, and what finance pays.
    locked: &["submitted", "approved", "paid"],
    transitions: &[
        // A claim submitted again leaves its last rejection behind.
        t("submit", &["draft", "rejected"], "submitted", &[By::ScopeOwner])
            .stamps(&["submitted_at"])
            .clears(&["reject_reason"]),
        t("revise", &["submitted", "rejected"], "draft", &[By::ScopeOwner]),
        // Nobody approves their own claim: a supervisor's goes to an admin.
        t("approve", &["submitted"], "approved", JUDGES).stamps(&["approved_by", "approved_at"]),
        t("reject", &["submitted"], "rejected", JUDGES).needs(&["reject_reason"]),
        t("pay", &["approved"], "paid", &[By::Role(Finance), By::Role(Admin)]).stamps(&["paid_by", "paid_at"]),
    ],
};
