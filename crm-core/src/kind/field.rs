//! The kinds of field work beyond the visit itself: expenses (报销) a salesperson claims, with
//! their approval by the supervisor and payment by finance.
//!
//! An expense is in its claimant's scope ([`Scope::Owner`]), not its customer's: it stays with
//! the person who spent the money when the customer changes hands.

use super::*;
use Role::{Admin, Finance, Supervisor};

/// One stop of a visit plan: the day, the customer, what for, and what kind of visit.
pub(super) static STOP: &[FieldSpec] = &[
    f("date", Date).required(),
    f("customer", Ref(Kind::Customer)).required(),
    f("note", TEXT),
    f("visit_type", Ref(Kind::VisitType)),
];

/// What a visit can ask for, in the order a visit screen shows them: arrive, take photos, write
/// what was agreed, take an order, collect a payment, handle or open a service request, count
/// the customer's shelf, leave.
pub const VISIT_ACTIONS: &[&str] =
    &["check_in", "photos", "notes", "order", "payment", "service", "stock_count", "check_out"];

/// One action of a visit type: which, whether check-out waits for it, and for photos how many.
pub(super) static VISIT_ACTION: &[FieldSpec] =
    &[f("action", Enum(VISIT_ACTIONS)).required(), f("required", Bool), f("min", Int { min: 0, max: 20 })];

/// A product counted on the customer's shelf at a visit.
pub(super) static STOCK_COUNT: &[FieldSpec] =
    &[f("product", Ref(Kind::Product)).required(), f("quantity", Quantity).required(), f("note", TEXT)];

/// A kind of visit the admin composes from actions: a "shop visit" asks for two photos of the
/// shelf, notes and a stock count; an "equipment repair" for a photo and a service request.
/// Reference data (written by admins, read by all), like a dictionary entry; a visit names its
/// type and its check-out waits for the type's required actions (`domain::visits`).
pub(super) static VISIT_TYPE: KindSpec = KindSpec {
    kind: Kind::VisitType,
    title: "name",
    admin_only: true,
    scope: Scope::Customer,
    code_prefix: None,
    indexes: &[],
    assigned: &[],
    workflow: None,
    identity: &[],
    fields: &[
        f("name", TEXT).required().search(),
        f("name_en", TEXT),
        f("actions", Items(VISIT_ACTION)),
        f("sort_order", Int { min: 0, max: 1_000_000 }),
        f("active", Bool).or(Default::Bool(true)),
    ],
};

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
    on_create: Guard::None,
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
