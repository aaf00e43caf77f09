//! The kinds of sales documents and what they sell: products, price lists and stock
//! (reference data), quotes, contracts and orders with their lines, payments and invoices.
//! Amounts on lines are integer minor units in the document's currency; totals are never
//! stored, they are derived from the lines (`crate::domain::sales`).

use super::*;
use Role::{Admin, Finance, Supervisor};

pub const PRODUCT_STATES: &[&str] = &["on_sale", "discontinued"];
/// 草稿 → 待审批 → 已批准 / 已驳回 → 已发送 → 已接受 / 已失效.
pub const QUOTE_STATES: &[&str] = &["draft", "pending", "approved", "rejected", "sent", "accepted", "expired"];
/// 待签署 → 已签署 → 执行中 → 已完成 / 作废.
pub const CONTRACT_STATES: &[&str] = &["to_sign", "signed", "executing", "completed", "void"];
/// 已提交 → 已确认 → 已发货 → 已完成 / 已取消.
pub const ORDER_STATES: &[&str] = &["submitted", "confirmed", "shipped", "completed", "cancelled"];
pub const PAYMENT_STATES: &[&str] = &["recorded", "confirmed", "rejected"];
pub const INVOICE_STATES: &[&str] = &["requested", "issued", "void"];
/// 普通发票 / 增值税专用发票.
pub const INVOICE_TYPES: &[&str] = &["normal", "special"];

/// A tax rate or a percentage in basis points: 1300 is 13 %.
const BASIS_POINTS: FieldType = Rate;
/// An amount in minor units of the document's currency.
const MINOR: FieldType = Amount;
const CURRENCY: FieldType = Str { max: 3 };

/// One line of a quote, contract or order: the product and its name and unit as they were
/// when the line was written, the quantity, the list price it started from and the unit
/// price agreed (tax included), the tax rate. The line's amount is derived.
pub(super) static LINE: &[FieldSpec] = &[
    f("product", Ref(Kind::Product)),
    f("name", TEXT).required(),
    f("unit", Str { max: 20 }),
    f("quantity", Quantity).required(),
    f("list_price", MINOR),
    f("unit_price", MINOR).required(),
    f("tax_rate", BASIS_POINTS),
];

/// One period of a contract's payment plan.
pub(super) static PERIOD: &[FieldSpec] = &[f("due", Date).required(), f("amount", MINOR).required(), f("note", TEXT)];

/// One rule of a price list: for a product (or every product of a category), from a minimum
/// quantity, a fixed unit price or a percentage off the list price.
pub(super) static PRICE_ITEM: &[FieldSpec] = &[
    f("product", Ref(Kind::Product)),
    f("category", Dict("product_category")),
    f("min_quantity", Quantity),
    f("price", MINOR),
    f("percent_off", BASIS_POINTS),
];

pub(super) static PRODUCT: KindSpec = KindSpec {
    kind: Kind::Product,
    title: "name",
    admin_only: true,
    scope: Scope::Customer,
    code_prefix: None,
    indexes: &[],
    assigned: &[],
    workflow: None,
    identity: &[],
    fields: &[
        f("code", Str { max: 40 }).required().indexed().search().dup(),
        f("name", TEXT).required().indexed().search(),
        // Model and specification (规格型号).
        f("spec", TEXT).search(),
        f("unit", Str { max: 20 }),
        f("category", Dict("product_category")).indexed(),
        f("list_price", Money).required(),
        f("tax_rate", BASIS_POINTS).or(Default::Int(1300)),
        f("status", Enum(PRODUCT_STATES)).indexed().or(Default::Str("on_sale")),
        f("description", LONG_TEXT),
        f("custom_fields", Custom),
    ],
};

pub(super) static PRICE_LIST: KindSpec = KindSpec {
    kind: Kind::PriceList,
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
        // Whom it is for: customers of a grade, or one customer; neither: everyone.
        f("grade", Dict("customer_grade")).indexed(),
        f("customer", Ref(Kind::Customer)).indexed(),
        f("currency", CURRENCY).required().or(Default::Str("CNY")),
        f("valid_from", Date),
        f("valid_to", Date),
        f("items", Items(PRICE_ITEM)),
        f("active", Bool).or(Default::Bool(true)),
    ],
};

/// How much of a product a warehouse held when the ERP export was taken. Devices only read
/// it; admins load it (one record per product and warehouse).
pub(super) static STOCK: KindSpec = KindSpec {
    kind: Kind::Stock,
    title: "warehouse",
    admin_only: true,
    scope: Scope::Customer,
    code_prefix: None,
    indexes: &[],
    assigned: &[],
    workflow: None,
    identity: &["product", "warehouse"],
    fields: &[
        f("product", Ref(Kind::Product)).required().indexed(),
        f("warehouse", Str { max: 64 }).required(),
        f("quantity", Quantity).required(),
        f("as_of", DateTime).required().or(Default::Now),
    ],
};

/// A person's targets for a month (业绩目标): what the performance report and the sales
/// forecast measure against. Set by supervisors and admins (`access::OFFICE_WRITES`), read by
/// everyone; one per person and month (`identity`), so two supervisors setting it offline write
/// one record. A team's target is its members' added up.
pub(super) static SALES_TARGET: KindSpec = KindSpec {
    kind: Kind::SalesTarget,
    title: "month",
    admin_only: true,
    scope: Scope::Customer,
    code_prefix: None,
    indexes: &[],
    assigned: &[],
    workflow: None,
    identity: &["owner", "month"],
    fields: &[
        f("owner", Ref(Kind::User)).required().indexed(),
        // `YYYY-MM`.
        f("month", Str { max: 7 }).required().indexed(),
        // Won opportunities' amount, collected payments.
        f("won", Money),
        f("collected", Money),
        f("visits", Int { min: 0, max: 100_000 }),
        f("new_customers", Int { min: 0, max: 100_000 }),
    ],
};

pub(super) static QUOTE: KindSpec = KindSpec {
    kind: Kind::Quote,
    title: "code",
    admin_only: false,
    scope: Scope::Customer,
    code_prefix: Some("Q"),
    indexes: &[&["status", "valid_until"]],
    assigned: &["owner"],
    workflow: Some(&QUOTE_FLOW),
    identity: &[],
    fields: &[
        f("code", Str { max: 40 }).indexed().search().or(Default::MintedCode),
        f("customer", Ref(Kind::Customer)).required().indexed(),
        f("contact", Ref(Kind::Contact)),
        f("opportunity", Ref(Kind::Opportunity)).indexed(),
        f("title", TEXT).search(),
        f("currency", CURRENCY).required().or(Default::Str("CNY")),
        f("valid_until", Date).indexed(),
        f("lines", Items(LINE)),
        // Off the whole document, in minor units (整单优惠).
        f("discount", MINOR),
        // Derived from the lines and the discount (`domain::sales::totals`).
        f("subtotal", Money).derived(),
        f("total", Money).derived(),
        f("tax", Money).derived(),
        f("status", Enum(QUOTE_STATES)).required().indexed().or(Default::Str("draft")),
        f("owner", Ref(Kind::User)).indexed().or(Default::CurrentUser),
        f("submitted_at", DateTime),
        f("approved_by", Ref(Kind::User)),
        f("approved_at", DateTime),
        // The heads the approval covers (`Pin`).
        f("approved_heads", Str { max: 2000 }),
        f("reject_reason", LONG_TEXT),
        f("sent_at", DateTime),
        f("accepted_at", DateTime),
        f("notes", Notes),
    ],
};

/// Who writes a document in someone's scope: its owner, the customer's owner, supervisors
/// and admins of that scope.
const WRITERS: &[By] = &[By::Assignee, By::ScopeOwner, By::Role(Supervisor), By::Role(Admin)];
const APPROVERS: &[By] = &[By::Role(Supervisor), By::Role(Admin)];

pub(super) static QUOTE_FLOW: Workflow = Workflow {
    state: StateOf::Field { name: "status", absent: "draft" },
    decided: &["status", "submitted_at", "approved_by", "approved_at", "approved_heads", "sent_at", "accepted_at"],
    initial: &["draft"],
    created_with: &[],
    on_create: Guard::None,
    pin: Some(Pin { field: "approved_heads", states: &["approved"], falls_to: "draft" }),
    // What the customer was sent stays as sent (`revise` takes it back to draft first).
    locked: &["sent", "accepted", "expired"],
    transitions: &[
        t("submit", &["draft", "rejected"], "pending", WRITERS).stamps(&["submitted_at"]),
        t("approve", &["pending"], "approved", APPROVERS).stamps(&["approved_by", "approved_at", "approved_heads"]),
        t("reject", &["pending"], "rejected", APPROVERS).needs(&["reject_reason"]),
        t("revise", &["pending", "approved", "rejected", "sent"], "draft", WRITERS),
        // While the approval holds (an edit since makes it a draft again, `Pin`).
        t("send", &["approved"], "sent", WRITERS).stamps(&["sent_at"]),
        // A draft that needs no approval; an approval it had no longer counts.
        t("send", &["draft"], "sent", WRITERS)
            .stamps(&["sent_at"])
            .clears(&["approved_heads"])
            .guard(Guard::NeedsNoApproval),
        t("accept", &["sent"], "accepted", WRITERS).stamps(&["accepted_at"]),
        t("expire", &["sent"], "expired", WRITERS),
    ],
};

pub(super) static CONTRACT: KindSpec = KindSpec {
    kind: Kind::Contract,
    title: "code",
    admin_only: false,
    scope: Scope::Customer,
    code_prefix: Some("HT"),
    indexes: &[&["status", "end_date"]],
    assigned: &["owner"],
    workflow: Some(&CONTRACT_FLOW),
    identity: &[],
    fields: &[
        f("code", Str { max: 40 }).indexed().search().or(Default::MintedCode),
        f("customer", Ref(Kind::Customer)).required().indexed(),
        f("contact", Ref(Kind::Contact)),
        f("quote", Ref(Kind::Quote)).indexed(),
        f("title", TEXT).search(),
        f("currency", CURRENCY).required().or(Default::Str("CNY")),
        f("lines", Items(LINE)),
        f("discount", MINOR),
        // Derived from the lines and the discount (`domain::sales::totals`).
        f("subtotal", Money).derived(),
        f("total", Money).derived(),
        f("tax", Money).derived(),
        f("start_date", Date),
        f("end_date", Date).indexed(),
        // The payment plan: periods that add up to the contract's total.
        f("plan", Items(PERIOD)),
        // What the plan's periods add up to (derived).
        f("planned", Money).derived(),
        f("status", Enum(CONTRACT_STATES)).required().indexed().or(Default::Str("to_sign")),
        f("signed_date", Date).indexed(),
        f("void_reason", LONG_TEXT),
        f("owner", Ref(Kind::User)).indexed().or(Default::CurrentUser),
        f("notes", Notes),
    ],
};

pub(super) static CONTRACT_FLOW: Workflow = Workflow {
    state: StateOf::Field { name: "status", absent: "to_sign" },
    decided: &["status", "signed_date"],
    initial: &["to_sign"],
    created_with: &[],
    on_create: Guard::None,
    pin: None,
    locked: &["signed", "executing", "completed", "void"],
    transitions: &[
        t("sign", &["to_sign"], "signed", WRITERS).needs(&["signed_date"]).guard(Guard::ContractHolds),
        t("execute", &["signed"], "executing", WRITERS).guard(Guard::PlanAddsUp),
        t("complete", &["executing"], "completed", WRITERS),
        t("void", &["to_sign", "signed", "executing"], "void", WRITERS).needs(&["void_reason"]),
    ],
};

pub(super) static ORDER: KindSpec = KindSpec {
    kind: Kind::Order,
    title: "code",
    admin_only: false,
    scope: Scope::Customer,
    code_prefix: Some("SO"),
    indexes: &[&["customer", "deleted_at", "ordered_at"]],
    assigned: &["owner"],
    workflow: Some(&ORDER_FLOW),
    identity: &[],
    fields: &[
        f("code", Str { max: 40 }).indexed().search().or(Default::MintedCode),
        f("customer", Ref(Kind::Customer)).required().indexed(),
        f("contact", Ref(Kind::Contact)),
        f("contract", Ref(Kind::Contract)).indexed(),
        // The visit it was taken on.
        f("visit", Ref(Kind::Activity)),
        f("ordered_at", DateTime).required().indexed().or(Default::Now),
        f("currency", CURRENCY).required().or(Default::Str("CNY")),
        f("lines", Items(LINE)),
        f("discount", MINOR),
        // Derived from the lines and the discount (`domain::sales::totals`).
        f("subtotal", Money).derived(),
        f("total", Money).derived(),
        f("tax", Money).derived(),
        f("delivery_address", LONG_TEXT),
        f("status", Enum(ORDER_STATES)).required().indexed().or(Default::Str("submitted")),
        f("confirmed_by", Ref(Kind::User)),
        f("confirmed_at", DateTime),
        f("shipped_at", DateTime),
        f("cancel_reason", LONG_TEXT),
        f("owner", Ref(Kind::User)).indexed().or(Default::CurrentUser),
        f("notes", Notes),
    ],
};

pub(super) static ORDER_FLOW: Workflow = Workflow {
    state: StateOf::Field { name: "status", absent: "submitted" },
    decided: &["status", "confirmed_by", "confirmed_at", "shipped_at"],
    initial: &["submitted"],
    created_with: &[],
    on_create: Guard::None,
    pin: None,
    locked: &["confirmed", "shipped", "completed", "cancelled"],
    transitions: &[
        t("confirm", &["submitted"], "confirmed", APPROVERS)
            .stamps(&["confirmed_by", "confirmed_at"])
            .guard(Guard::OrderHolds),
        t("ship", &["confirmed"], "shipped", WRITERS).stamps(&["shipped_at"]),
        t("complete", &["shipped"], "completed", WRITERS),
        t("cancel", &["submitted", "confirmed"], "cancelled", WRITERS).needs(&["cancel_reason"]),
    ],
};

pub(super) static PAYMENT: KindSpec = KindSpec {
    kind: Kind::Payment,
    title: "received_on",
    admin_only: false,
    scope: Scope::Customer,
    code_prefix: None,
    indexes: &[&["customer", "status"]],
    assigned: &["owner"],
    workflow: Some(&PAYMENT_FLOW),
    identity: &[],
    fields: &[
        f("customer", Ref(Kind::Customer)).required().indexed(),
        f("contract", Ref(Kind::Contract)).indexed(),
        f("sales_order", Ref(Kind::Order)).indexed(),
        f("amount", Money).required(),
        f("received_on", Date).required().indexed(),
        f("method", Dict("payment_method")),
        // The bank's or the receipt's reference.
        f("reference", Str { max: 100 }),
        f("status", Enum(PAYMENT_STATES)).required().indexed().or(Default::Str("recorded")),
        f("confirmed_by", Ref(Kind::User)),
        f("confirmed_at", DateTime),
        f("reject_reason", LONG_TEXT),
        f("owner", Ref(Kind::User)).indexed().or(Default::CurrentUser),
        f("notes", Notes),
    ],
};

pub(super) static PAYMENT_FLOW: Workflow = Workflow {
    state: StateOf::Field { name: "status", absent: "recorded" },
    decided: &["status", "confirmed_by", "confirmed_at"],
    initial: &["recorded"],
    created_with: &[],
    on_create: Guard::None,
    pin: None,
    locked: &["confirmed", "rejected"],
    transitions: &[
        t("confirm", &["recorded"], "confirmed", &[By::Role(Finance), By::Role(Admin)])
            .stamps(&["confirmed_by", "confirmed_at"])
            .guard(Guard::SameCurrency),
        t("reject", &["recorded"], "rejected", &[By::Role(Finance), By::Role(Admin)]).needs(&["reject_reason"]),
    ],
};

pub(super) static INVOICE: KindSpec = KindSpec {
    kind: Kind::Invoice,
    title: "number",
    admin_only: false,
    scope: Scope::Customer,
    code_prefix: None,
    indexes: &[],
    assigned: &["owner"],
    workflow: Some(&INVOICE_FLOW),
    identity: &[],
    fields: &[
        f("customer", Ref(Kind::Customer)).required().indexed(),
        f("contract", Ref(Kind::Contract)).indexed(),
        f("sales_order", Ref(Kind::Order)).indexed(),
        f("type", Enum(INVOICE_TYPES)).required().or(Default::Str("normal")),
        f("tax_rate", BASIS_POINTS).required().or(Default::Int(1300)),
        f("amount", Money).required(),
        // The number the tax system gave it.
        f("number", Str { max: 40 }).indexed().search(),
        // The buyer's title as it was when issued, copied from the customer.
        f("buyer_name", TEXT),
        f("buyer_tax_id", Str { max: 40 }),
        f("buyer_bank", TEXT),
        f("buyer_account", Str { max: 64 }),
        f("buyer_address", LONG_TEXT),
        f("buyer_phone", Str { max: 40 }),
        f("status", Enum(INVOICE_STATES)).required().indexed().or(Default::Str("requested")),
        f("issued_by", Ref(Kind::User)),
        f("issued_at", DateTime),
        f("void_reason", LONG_TEXT),
        f("owner", Ref(Kind::User)).indexed().or(Default::CurrentUser),
        f("notes", Notes),
    ],
};

pub(super) static INVOICE_FLOW: Workflow = Workflow {
    state: StateOf::Field { name: "status", absent: "requested" },
    decided: &["status", "issued_by", "issued_at", "number"],
    initial: &["requested"],
    created_with: &[],
    on_create: Guard::None,
    pin: None,
    locked: &["issued", "void"],
    transitions: &[
        Transition {
            name: "issue",
            from: &["requested"],
            to: "issued",
            by: &[By::Role(Finance), By::Role(Admin)],
            sets: &[],
            stamps: &["issued_by", "issued_at"],
            requires: &["number", "buyer_name"],
            fields: &[
                "number",
                "buyer_name",
                "buyer_tax_id",
                "buyer_bank",
                "buyer_account",
                "buyer_address",
                "buyer_phone",
            ],
            clears: &[],
            guard: Guard::WithinInvoiceable,
        },
        t("void", &["requested", "issued"], "void", &[By::Role(Finance), By::Role(Admin)]).needs(&["void_reason"]),
    ],
};
