//! The record kinds and their fields: the one place a kind is described.
//!
//! Adding a kind means adding a variant to [`Kind`] and a [`KindSpec`] with its fields.
//! Everything else — validation, the Automerge layout, the projection table and its
//! indexes, search text and duplicate keys — is derived from the spec.

use serde::{Deserialize, Serialize};

mod field;
mod marketing;
pub use field::VISIT_ACTIONS;
pub use marketing::{CAMPAIGN_STATES, LEAD_STATES, MAX_MEMBERS};
mod sales;

/// A transition of `name` from the states `from` to `to`, taken by `by`; the builders
/// (`stamps`, `needs`, `guard`, …) add the rest.
pub(crate) const fn t(
    name: &'static str,
    from: &'static [&'static str],
    to: &'static str,
    by: &'static [By],
) -> Transition {
    Transition {
        name,
        from,
        to,
        by,
        sets: &[],
        stamps: &[],
        requires: &[],
        fields: &[],
        clears: &[],
        guard: Guard::None,
    }
}

impl Transition {
    pub(crate) const fn stamps(mut self, stamps: &'static [&'static str]) -> Self {
        self.stamps = stamps;
        self
    }
    /// Fields it writes on the way, all of which must be filled.
    pub(crate) const fn needs(mut self, fields: &'static [&'static str]) -> Self {
        self.requires = fields;
        self.fields = fields;
        self
    }
    pub(crate) const fn clears(mut self, clears: &'static [&'static str]) -> Self {
        self.clears = clears;
        self
    }
    pub(crate) const fn guard(mut self, guard: Guard) -> Self {
        self.guard = guard;
        self
    }
}

/// A record kind. The string form is stored in each document's `kind` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Customer,
    Contact,
    Activity,
    Opportunity,
    ServiceRequest,
    ChurnCase,
    User,
    Team,
    DictEntry,
    Setting,
    GradeRule,
    CustomField,
    Product,
    PriceList,
    Stock,
    Quote,
    Contract,
    Order,
    Payment,
    Invoice,
    Expense,
    VisitPlan,
    VisitType,
    Lead,
    Article,
    Campaign,
    SalesTarget,
}

/// What someone may do, decided by the rules in `crm_core::access`. Declared here because
/// kind specs name roles in their transitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Supervisor,
    AccountManager,
    Viewer,
    /// Reads the sales documents and payments of everyone, confirms payments, issues
    /// invoices; edits no customer.
    Finance,
}

/// How a field is validated, laid out in the document, and projected.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldType {
    /// A plain string, last writer shown, concurrent writes kept as a conflict.
    Str {
        max: usize,
    },
    /// One of a fixed set of values known to the code.
    Enum(&'static [&'static str]),
    /// A code from an admin-maintained dictionary (see `DictEntry`).
    Dict(&'static str),
    Int {
        min: i64,
        max: i64,
    },
    Bool,
    /// Integer minor units plus an ISO 4217 currency; written as one unit.
    Money,
    /// A place: `{lat, lng, accuracy?}` in degrees (six decimals, stored as integer millionths)
    /// and metres.
    Place,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// A moment, RFC 3339 in the API, UTC milliseconds in storage.
    DateTime,
    /// The id of another record of the given kind.
    Ref(Kind),
    Email,
    /// Phone numbers, written as one list.
    Phones,
    /// A set of tags; adds and removes from different devices merge.
    Tags,
    /// Free text (Automerge Text); concurrent edits interleave, nobody's words are lost.
    Notes,
    /// Plan steps: a list of `{date, action, result}`; appends from different devices merge.
    Steps,
    /// An append-only log of `{by, at, text}` entries; entries added on several devices all
    /// stay, and none is ever changed or removed.
    Log,
    /// Company-specific key/value fields; each key merges on its own.
    Custom,
    /// A quantity with up to three decimals (2.5 kg), stored as integer thousandths.
    Quantity,
    /// A percentage as integer basis points, 0 to 10000 (a 13 % tax rate is 1300).
    Rate,
    /// An amount of money in integer minor units of the record's `currency` (a line's price).
    Amount,
    /// A list of items (a document's lines, a payment plan's periods) with stable ids, each a
    /// map of the given sub-fields: items added on two devices both stay, the same part of
    /// one item changed on two devices is a conflict shown on that item (`crate::items`).
    Items(&'static [FieldSpec]),
    /// A file, by the SHA-256 of its bytes (64 lowercase hex digits): a signature, or a part
    /// of an attachment list ([`ATTACHMENT`]). The bytes move apart from the record
    /// (`crate::attachment`).
    Blob,
}

/// The parts of one attachment (a photo, a receipt, a scanned document) in a list: the file's
/// hash, its name as the person gave it, its type and size as the device that took it read
/// them, its thumbnail's hash (images) and when it was taken.
pub static ATTACHMENT: &[FieldSpec] = &[
    f("hash", Blob).required(),
    f("name", Str { max: 200 }),
    f("type", Enum(crate::attachment::TYPES)).required(),
    f("size", Int { min: 1, max: crate::attachment::MAX_BYTES as i64 }).required(),
    f("thumb", Blob),
    f("taken_at", DateTime),
];

/// One field of a kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldSpec {
    pub name: &'static str,
    pub ty: FieldType,
    pub required: bool,
    /// Indexed in the projection table (filters and sorts on it are fast).
    pub indexed: bool,
    /// Part of the full-text search text.
    pub search: bool,
    /// Used to warn about duplicates on create.
    pub duplicate_key: bool,
    /// Filled in on create when the request leaves the field out.
    pub default: Default,
    /// Computed by the core from the record's other fields (a document's totals from its
    /// lines): never written, never stored in the document; read models and reads have it.
    pub derived: bool,
}

/// A value a field gets on create when the request does not give one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Default {
    None,
    /// The current user's id.
    CurrentUser,
    /// The current moment.
    Now,
    Str(&'static str),
    Bool(bool),
    Int(i64),
    /// A code minted on this device (see `KindSpec::code_prefix`).
    MintedCode,
}

/// The description of a kind.
#[derive(Debug)]
pub struct KindSpec {
    pub kind: Kind,
    pub fields: &'static [FieldSpec],
    /// The field shown as the record's title in lists, search results and history.
    pub title: &'static str,
    /// Only admins write it (reference data).
    pub admin_only: bool,
    /// Whose records decide who reads and writes it (see [`Scope`]).
    pub scope: Scope,
    /// Prefix of minted codes; the kind then has a `code` field filled on create.
    pub code_prefix: Option<&'static str>,
    /// Composite indexes on the projection table, beyond the single `indexed` fields.
    pub indexes: &'static [&'static [&'static str]],
    /// Reference fields naming users this record is assigned to: they may read and write it,
    /// and read its customer and the contact it names, even when the customer is someone
    /// else's (`crm_core::access`; the server sends and takes away accordingly).
    pub assigned: &'static [&'static str],
    /// The fields the server decides, and how they may move (see [`Workflow`]).
    pub workflow: Option<&'static Workflow>,
    /// Fields naming what the record is about when there is one record per subject (a churn
    /// case per customer episode, a setting per key): its id and first change are derived
    /// from them (`crate::genesis`), so two devices making it offline make one record.
    pub identity: &'static [&'static str],
}

/// Whose scope a record is in (`crm_core::access`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// A customer's: its own owner's for a customer, else the owner of the customer it names;
    /// none (open to all, written by admins) for a record that names no customer.
    Customer,
    /// Its own owner's, whatever customer it names (an expense stays with who spent it).
    Owner,
}

/// Fields the server decides: a state machine over a record's state, checked by the server
/// against the record as it was before each change, so that of two concurrent transitions
/// the first wins and the second is refused (`crm_core::workflow`). These fields never
/// merge into a conflict.
#[derive(Debug)]
pub struct Workflow {
    /// Where the record's state is read from.
    pub state: StateOf,
    /// Every field only transitions write (the state field included).
    pub decided: &'static [&'static str],
    /// States a record may be created in.
    pub initial: &'static [&'static str],
    /// Decided fields besides the state a new record may have filled in (its owner).
    pub created_with: &'static [&'static str],
    /// What an area checks when a record is created (a customer converted from a lead that
    /// another device converted first is refused).
    pub on_create: Guard,
    pub transitions: &'static [Transition],
    /// An approval that any later edit undoes (see [`Pin`]).
    pub pin: Option<Pin>,
    /// States in which the record is settled (a confirmed payment, an issued invoice, a
    /// signed contract): only transitions and notes change it; any other edit, a deletion
    /// included, is refused with `locked` (`crate::workflow::locked`).
    pub locked: &'static [&'static str],
}

/// A transition that pins the document's heads (an approval): while the record is in one of
/// `states`, an edit of any field but the decided ones and its notes made after the pinned
/// heads (or concurrently with them) makes the pin stale and the record counts as being in
/// `falls_to` (back to draft) until it goes through the workflow again.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pin {
    /// The decided field holding the pinned heads (hex, comma-separated).
    pub field: &'static str,
    pub states: &'static [&'static str],
    pub falls_to: &'static str,
}

/// Where a workflow's state lives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StateOf {
    /// An enum field; a record written before the field existed is in `absent`.
    Field { name: &'static str, absent: &'static str },
    /// Whether a reference field is filled: `empty` when not, `held` when it is (a customer
    /// with no owner is in the pool).
    Holder { name: &'static str, empty: &'static str, held: &'static str },
}

/// One way a workflow's state may move.
#[derive(Debug)]
pub struct Transition {
    pub name: &'static str,
    pub from: &'static [&'static str],
    pub to: &'static str,
    /// Who may take it: anyone matching one of these.
    pub by: &'static [By],
    /// Decided fields (besides the state) the person chooses (an assignee, a new owner).
    pub sets: &'static [&'static str],
    /// Decided fields the device fills in itself: a user reference gets the person taking the
    /// transition, a time the moment it is taken (the server checks both).
    pub stamps: &'static [&'static str],
    /// Fields that must be filled once it is taken.
    pub requires: &'static [&'static str],
    /// Other fields it may write on the way (a reason, a result, a satisfaction score).
    pub fields: &'static [&'static str],
    /// Fields among `fields` it empties on the way (a claimed customer's pool reason).
    pub clears: &'static [&'static str],
    /// A rule beyond the state machine, evaluated by the area's module.
    pub guard: Guard,
}

/// Who may take a transition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum By {
    /// Someone with this role who may write the record where it was and where it goes.
    Role(Role),
    /// The same, and not the record's owner (nobody approves their own expense claim).
    OtherRole(Role),
    /// The person the record is assigned to (before the transition).
    Assignee,
    /// The owner of the record's scope: the customer's owner.
    ScopeOwner,
    /// Whoever the transition makes the holder of the record (a claim from the pool).
    Claimant,
}

/// A rule of an area that a transition must also pass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Guard {
    None,
    /// The satisfaction given is at least the admin's reopen threshold.
    SatisfiedAtLeast,
    /// The satisfaction given is below it: the request goes back to its handler.
    SatisfiedBelow,
    /// The claimant owns fewer customers than the admin's per-person limit.
    OwnedLimit,
    /// Nothing about the document needs a supervisor's approval (`domain::sales`).
    NeedsNoApproval,
    /// A payment plan's periods add up to the document's total (`domain::sales`).
    PlanAddsUp,
    /// A contract's plan adds up and it needs no approval its quote did not have.
    ContractHolds,
    /// An order's prices, stock and the customer's credit still hold (`domain::sales`).
    OrderHolds,
    /// An invoice keeps its document's invoiced total within the document's amount.
    WithinInvoiceable,
    /// A payment is in its document's currency.
    SameCurrency,
    /// A customer made from a lead: the lead is not converted already (`domain::leads`).
    LeadOpen,
}

const fn f(name: &'static str, ty: FieldType) -> FieldSpec {
    FieldSpec {
        name,
        ty,
        required: false,
        indexed: false,
        search: false,
        duplicate_key: false,
        default: Default::None,
        derived: false,
    }
}

impl FieldSpec {
    const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    const fn indexed(mut self) -> Self {
        self.indexed = true;
        self
    }
    const fn search(mut self) -> Self {
        self.search = true;
        self
    }
    const fn dup(mut self) -> Self {
        self.duplicate_key = true;
        self
    }
    const fn or(mut self, default: Default) -> Self {
        self.default = default;
        self
    }
    const fn derived(mut self) -> Self {
        self.derived = true;
        self
    }

    /// Whether the field has a column in the projection table.
    pub fn projected(&self) -> bool {
        !matches!(self.ty, FieldType::Notes | FieldType::Steps | FieldType::Log | FieldType::Items(_))
    }

    /// Whether lists can filter on the field by value (list-valued fields cannot; tags have
    /// their own `tag` filter).
    pub fn filterable(&self) -> bool {
        self.projected()
            && !matches!(
                self.ty,
                FieldType::Money | FieldType::Place | FieldType::Tags | FieldType::Phones | FieldType::Custom
            )
    }

    /// Whether lists can sort on the field (money sorts by its minor units).
    pub fn sortable(&self) -> bool {
        self.filterable() || self.ty == FieldType::Money
    }
}

use FieldType::*;

pub const STAGES: &[&str] = &["lead", "qualified", "proposal", "negotiation", "won", "lost"];
pub const ACTIVITY_TYPES: &[&str] = &["visit", "call", "meeting", "email", "sms", "follow_up"];
pub const ROLES: &[&str] = &["admin", "supervisor", "account_manager", "viewer", "finance"];
pub const PRIORITIES: &[&str] = &["low", "normal", "high", "urgent"];
pub const SERVICE_STATES: &[&str] = &["new", "assigned", "handled", "archived"];
pub const OPPORTUNITY_STATES: &[&str] = &["unassigned", "developing", "succeeded", "failed"];
pub const CHURN_STATES: &[&str] = &["warning", "postponed", "confirmed", "recovered"];
/// Company settings an admin keeps (a `setting` record each, its id derived from the key).
/// What each holds, and its default, is in `crate::settings`.
pub const SETTING_KEYS: &[&str] = &[
    "service.reopen_below",
    "pool.max_owned",
    "company.name",
    "company.timezone",
    "company.currency",
    "company.tax_id",
    "company.invoice_address",
    "company.bank_account",
    "sales.approval_discount_bp",
    "sales.approval_amount",
    "sales.approval_free_lines",
    "visit.check_in_tolerance_m",
];
/// Kinds whose records carry company-specific fields (`custom_fields`), which admins define
/// with `custom_field` records.
pub const CUSTOMIZABLE: &[&str] =
    &["customer", "contact", "activity", "opportunity", "service_request", "lead", "product"];
/// What a custom field holds; its values are stored as strings (`crate::custom`).
pub const CUSTOM_TYPES: &[&str] = &["text", "number", "date", "bool", "choice"];
pub const DICTIONARIES: &[&str] = &[
    "customer_type",
    "customer_grade",
    "customer_status",
    "customer_source",
    "industry",
    "region",
    "activity_outcome",
    "service_type",
    "product_category",
    "payment_method",
    "expense_category",
    "article_category",
    "campaign_type",
];

const TEXT: FieldType = Str { max: 200 };
const LONG_TEXT: FieldType = Str { max: 1000 };

static CUSTOMER: KindSpec = KindSpec {
    kind: Kind::Customer,
    title: "name",
    admin_only: false,
    scope: Scope::Customer,
    code_prefix: Some("C"),
    indexes: &[],
    assigned: &[],
    workflow: Some(&CUSTOMER_FLOW),
    identity: &[],
    fields: &[
        f("code", Str { max: 40 }).indexed().search().or(Default::MintedCode),
        f("name", TEXT).required().indexed().search().dup(),
        f("type", Dict("customer_type")).indexed(),
        f("grade", Dict("customer_grade")).indexed(),
        f("status", Dict("customer_status")).indexed(),
        f("source", Dict("customer_source")).indexed(),
        f("industry", Dict("industry")).indexed(),
        f("region", Dict("region")).indexed(),
        f("address", LONG_TEXT),
        // Where the customer is, pinned on a map or at a visit: check-ins are measured from it.
        f("location", Place),
        // The shop front, the signboard, the installed equipment.
        f("photos", Items(ATTACHMENT)),
        f("phones", Phones).search().dup(),
        f("email", Email).search().dup(),
        // Unsubscribed (退订): campaign emails skip it.
        f("do_not_email", Bool),
        f("website", TEXT),
        // The invoice title (开票信息): taxpayer id, bank and account.
        f("tax_id", Str { max: 40 }).search().dup(),
        f("bank", TEXT),
        f("bank_account", Str { max: 64 }),
        // Most that may be owed at once: an order beyond it waits (`domain::sales`).
        f("credit_limit", Money),
        f("owner", Ref(Kind::User)).indexed().or(Default::CurrentUser),
        // Why it is in the pool: the reason it was released with.
        f("pool_reason", LONG_TEXT),
        // When its owner took it (a claim or a transfer): quiet time counts from then at most.
        f("owned_at", DateTime),
        // The lead it was converted from (set when it is made, never after).
        f("lead", Ref(Kind::Lead)).indexed(),
        f("tags", Tags),
        f("notes", Notes),
        f("custom_fields", Custom),
    ],
};

static CONTACT: KindSpec = KindSpec {
    kind: Kind::Contact,
    title: "name",
    admin_only: false,
    scope: Scope::Customer,
    code_prefix: None,
    indexes: &[],
    assigned: &[],
    workflow: None,
    identity: &[],
    fields: &[
        f("customer", Ref(Kind::Customer)).required().indexed(),
        f("name", TEXT).required().search().dup(),
        f("title", TEXT),
        f("phones", Phones).search().dup(),
        f("email", Email).search().dup(),
        f("do_not_email", Bool),
        f("is_primary", Bool),
        f("notes", Notes),
        f("custom_fields", Custom),
    ],
};

static ACTIVITY: KindSpec = KindSpec {
    kind: Kind::Activity,
    title: "subject",
    admin_only: false,
    scope: Scope::Customer,
    code_prefix: None,
    // A customer's live activities by time: its timeline, and its latest activity straight
    // from the index (churn, dormant customers, reminders).
    // A lead's activities by time likewise.
    indexes: &[&["customer", "deleted_at", "time"], &["lead", "deleted_at", "time"], &["owner", "next_follow_up"]],
    assigned: &[],
    workflow: Some(&SEND_FLOW),
    identity: &[],
    fields: &[
        // The customer it is about; or, naming none, the lead it was logged on (its scope is
        // then the lead's owner's, `access::scope_parent`). A lead's activities move to the
        // customer it converts into, keeping `lead`.
        f("customer", Ref(Kind::Customer)).indexed(),
        f("lead", Ref(Kind::Lead)).indexed(),
        f("contact", Ref(Kind::Contact)),
        f("type", Enum(ACTIVITY_TYPES)).required().indexed(),
        f("time", DateTime).required().indexed().or(Default::Now),
        f("place", TEXT),
        // How long the visit or call took.
        f("duration_minutes", Int { min: 0, max: 1440 }),
        // A visit's arrival and departure (`check_in`, `check_out`): when and where the device
        // was, and how far the arrival was from the customer's location (marked `far` beyond
        // the admin's tolerance, never refused).
        f("check_in_at", DateTime),
        f("check_in_place", Place),
        f("check_in_distance_m", Int { min: 0, max: 40_075_000 }),
        f("check_in_far", Bool),
        f("check_out_at", DateTime),
        f("check_out_place", Place),
        // What kind of visit it is (the admin's `visit_type`): what it asks for before
        // check-out.
        f("visit_type", Ref(Kind::VisitType)).indexed(),
        // What the visit saw: photos taken there, with their thumbnails.
        f("photos", Items(ATTACHMENT)),
        // What was done there: the order taken, the payment collected, the service request
        // handled or opened, the shelf counted.
        f("sales_order", Ref(Kind::Order)),
        f("payment", Ref(Kind::Payment)),
        f("service_request", Ref(Kind::ServiceRequest)),
        f("stock_counts", Items(field::STOCK_COUNT)),
        f("subject", TEXT),
        f("outcome", Dict("activity_outcome")),
        f("next_follow_up", Date).indexed(),
        f("owner", Ref(Kind::User)).indexed().or(Default::CurrentUser),
        f("notes", Notes),
        // A message written in the app and sent by the server: an email (type `email`, through
        // the SMTP relay) or a text message (type `sms`, through the SMS provider). To whom,
        // what, and what became of it — `queued` by the writer, `sent` or `failed` (with why)
        // by the server.
        f("email_to", Email),
        f("email_body", Str { max: 20_000 }),
        f("sms_to", Str { max: 40 }),
        f("sms_text", Str { max: crate::domain::messages::MAX_SMS_CHARS }),
        // The campaign a campaign email was sent for: its per-recipient status.
        f("campaign", Ref(Kind::Campaign)).indexed(),
        f("send_status", Enum(SEND_STATES)).indexed(),
        f("send_error", LONG_TEXT),
        f("sent_at", DateTime),
        f("custom_fields", Custom),
    ],
};

/// A message's way (an email, a text message): queued on the device (offline too), sent or
/// failed by the server.
pub const SEND_STATES: &[&str] = &["queued", "sent", "failed"];

/// Only the server moves a message from `queued` (it writes `sent` or `failed` as the system);
/// its writer may queue a failed one again.
static SEND_FLOW: Workflow = Workflow {
    state: StateOf::Field { name: "send_status", absent: "none" },
    decided: &["send_status", "send_error", "sent_at"],
    initial: &["none", "queued"],
    created_with: &[],
    on_create: Guard::None,
    pin: None,
    locked: &["queued", "sent"],
    transitions: &[Transition {
        clears: &["send_error"],
        ..t("retry", &["failed"], "queued", &[By::ScopeOwner, By::Role(Supervisor), By::Role(Admin)])
    }],
};

static OPPORTUNITY: KindSpec = KindSpec {
    kind: Kind::Opportunity,
    title: "title",
    admin_only: false,
    scope: Scope::Customer,
    code_prefix: None,
    indexes: &[],
    assigned: &["owner"],
    workflow: Some(&OPPORTUNITY_FLOW),
    identity: &[],
    fields: &[
        f("customer", Ref(Kind::Customer)).required().indexed(),
        f("title", TEXT).required(),
        f("stage", Enum(STAGES)).required().indexed().or(Default::Str("lead")),
        f("amount", Money),
        f("probability", Int { min: 0, max: 100 }),
        f("expected_close", Date).indexed(),
        f("owner", Ref(Kind::User)).indexed().or(Default::CurrentUser),
        // 未分配 → 开发中 → 开发成功 / 开发失败, decided by the server (OPPORTUNITY_FLOW).
        f("status", Enum(OPPORTUNITY_STATES)).indexed().or(Default::Str("developing")),
        f("loss_reason", LONG_TEXT),
        f("plan_steps", Steps),
        f("notes", Notes),
        f("custom_fields", Custom),
    ],
};

static SERVICE_REQUEST: KindSpec = KindSpec {
    kind: Kind::ServiceRequest,
    title: "title",
    admin_only: false,
    scope: Scope::Customer,
    code_prefix: Some("S"),
    indexes: &[&["status", "due"], &["assignee", "status"]],
    assigned: &["assignee"],
    workflow: Some(&SERVICE_FLOW),
    identity: &[],
    fields: &[
        f("code", Str { max: 40 }).indexed().search().or(Default::MintedCode),
        f("customer", Ref(Kind::Customer)).required().indexed(),
        f("contact", Ref(Kind::Contact)),
        f("type", Dict("service_type")).required().indexed(),
        f("priority", Enum(PRIORITIES)).indexed().or(Default::Str("normal")),
        f("title", TEXT).required().search(),
        f("description", Notes),
        // Photos of the fault, the customer's documents.
        f("attachments", Items(ATTACHMENT)),
        f("due", Date).indexed(),
        f("status", Enum(SERVICE_STATES)).required().indexed().or(Default::Str("new")),
        f("assignee", Ref(Kind::User)).indexed(),
        f("assigned_by", Ref(Kind::User)),
        f("assigned_at", DateTime),
        f("handling_log", Log),
        f("result", LONG_TEXT),
        f("handled_at", DateTime),
        f("satisfaction", Int { min: 1, max: 5 }),
        f("feedback", LONG_TEXT),
        f("archived_at", DateTime),
        f("reopened_at", DateTime),
        f("custom_fields", Custom),
    ],
};

static SETTING: KindSpec = KindSpec {
    kind: Kind::Setting,
    title: "key",
    admin_only: true,
    scope: Scope::Customer,
    code_prefix: None,
    indexes: &[],
    assigned: &[],
    workflow: None,
    identity: &["key"],
    // Numbers in `value`, words in `text`; neither: the default (`crate::settings`).
    fields: &[
        f("key", Enum(SETTING_KEYS)).required().indexed(),
        f("value", Int { min: 0, max: 1_000_000 }),
        f("text", LONG_TEXT),
    ],
};

/// A company-specific field of a kind: its values live in the records' `custom_fields` map
/// under `key`; forms, lists, filters and import show it (`crate::custom`).
static CUSTOM_FIELD: KindSpec = KindSpec {
    kind: Kind::CustomField,
    title: "label_zh",
    admin_only: true,
    scope: Scope::Customer,
    code_prefix: None,
    indexes: &[],
    assigned: &[],
    workflow: None,
    identity: &["of_kind", "key"],
    fields: &[
        f("of_kind", Enum(CUSTOMIZABLE)).required().indexed(),
        f("key", Str { max: 40 }).required().indexed(),
        f("label_zh", TEXT).required(),
        f("label_en", TEXT),
        f("type", Enum(CUSTOM_TYPES)).required().or(Default::Str("text")),
        // A choice's options, one per line.
        f("options", LONG_TEXT),
        f("required", Bool),
        f("in_list", Bool),
        f("in_filter", Bool),
        f("sort_order", Int { min: 0, max: 1_000_000 }),
        f("active", Bool).or(Default::Bool(true)),
    ],
};

/// A customer grade's rules: how long without business before a churn warning and the
/// customer counts as lost, and before the server recycles it to the pool.
static GRADE_RULE: KindSpec = KindSpec {
    kind: Kind::GradeRule,
    title: "grade",
    admin_only: true,
    scope: Scope::Customer,
    code_prefix: None,
    indexes: &[],
    assigned: &[],
    workflow: None,
    identity: &["grade"],
    fields: &[
        f("grade", Dict("customer_grade")).required().indexed(),
        // Days without an activity (later: an order) after which the customer is dormant.
        f("churn_days", Int { min: 1, max: 3650 }),
        // Days before that when the warning starts.
        f("churn_warning_days", Int { min: 0, max: 365 }),
        // Days without business after which the server returns the customer to the pool (0: never).
        f("recycle_days", Int { min: 0, max: 3650 }),
        // Days before that when the owner is warned.
        f("recycle_warning_days", Int { min: 0, max: 365 }),
    ],
};

/// One churn episode of a customer: from the warning to 暂缓流失 (postponed, with the
/// measures taken and a date to look again) to 确定流失 (confirmed, with the reason) or
/// recovered. One per customer and episode (`identity`), so two devices opening it offline
/// write one case.
static CHURN_CASE: KindSpec = KindSpec {
    kind: Kind::ChurnCase,
    title: "episode",
    admin_only: false,
    scope: Scope::Customer,
    code_prefix: None,
    indexes: &[&["customer", "status"]],
    assigned: &[],
    workflow: Some(&CHURN_FLOW),
    identity: &["customer", "episode"],
    fields: &[
        f("customer", Ref(Kind::Customer)).required().indexed(),
        // The day of the customer's last business the warning counts from.
        f("episode", Date).required().indexed(),
        f("status", Enum(CHURN_STATES)).required().indexed().or(Default::Str("warning")),
        f("measures", Log),
        f("review_date", Date).indexed(),
        f("reason", LONG_TEXT),
        f("closed_at", DateTime),
    ],
};

/// 预警 → 暂缓流失 → 确定流失 / recovered, by the customer's owner or their supervisor.
static CHURN_FLOW: Workflow = Workflow {
    state: StateOf::Field { name: "status", absent: "warning" },
    decided: &["status", "closed_at"],
    initial: &["warning"],
    created_with: &[],
    on_create: Guard::None,
    pin: None,
    locked: &[],
    transitions: &[
        Transition {
            name: "postpone",
            from: &["warning", "postponed"],
            to: "postponed",
            by: &[By::ScopeOwner, By::Role(Supervisor), By::Role(Admin)],
            sets: &[],
            stamps: &[],
            requires: &["measures", "review_date"],
            fields: &["measures", "review_date"],
            clears: &[],
            guard: Guard::None,
        },
        Transition {
            name: "confirm",
            from: &["warning", "postponed"],
            to: "confirmed",
            by: &[By::ScopeOwner, By::Role(Supervisor), By::Role(Admin)],
            sets: &[],
            stamps: &["closed_at"],
            requires: &["reason"],
            fields: &["reason"],
            clears: &[],
            guard: Guard::None,
        },
        Transition {
            name: "recover",
            from: &["warning", "postponed"],
            to: "recovered",
            by: &[By::ScopeOwner, By::Role(Supervisor), By::Role(Admin)],
            sets: &[],
            stamps: &["closed_at"],
            requires: &[],
            fields: &["measures"],
            clears: &[],
            guard: Guard::None,
        },
    ],
};

use Role::{Admin, Supervisor};

/// A customer with no owner is in the pool (公海): anyone may claim it, the first claim wins.
static CUSTOMER_FLOW: Workflow = Workflow {
    state: StateOf::Holder { name: "owner", empty: "pool", held: "owned" },
    decided: &["owner", "owned_at", "lead"],
    initial: &["owned", "pool"],
    created_with: &["owner", "lead"],
    on_create: Guard::LeadOpen,
    pin: None,
    locked: &[],
    transitions: &[
        Transition {
            name: "claim",
            from: &["pool"],
            to: "owned",
            by: &[By::Claimant],
            sets: &["owner"],
            stamps: &["owned_at"],
            requires: &["owner"],
            fields: &["pool_reason"],
            clears: &["pool_reason"],
            guard: Guard::OwnedLimit,
        },
        Transition {
            name: "release",
            from: &["owned"],
            to: "pool",
            by: &[By::ScopeOwner, By::Role(Supervisor), By::Role(Admin)],
            sets: &["owner"],
            stamps: &[],
            requires: &["pool_reason"],
            fields: &["pool_reason"],
            clears: &[],
            guard: Guard::None,
        },
        Transition {
            name: "transfer",
            from: &["owned", "pool"],
            to: "owned",
            by: &[By::Role(Supervisor), By::Role(Admin)],
            sets: &["owner"],
            stamps: &["owned_at"],
            requires: &["owner"],
            fields: &["pool_reason"],
            clears: &["pool_reason"],
            guard: Guard::None,
        },
    ],
};

/// 未分配 → 开发中 → 开发成功 / 开发失败; a supervisor assigns, the owner reports the result.
static OPPORTUNITY_FLOW: Workflow = Workflow {
    state: StateOf::Field { name: "status", absent: "developing" },
    decided: &["status", "owner"],
    initial: &["unassigned", "developing"],
    created_with: &["owner"],
    on_create: Guard::None,
    pin: None,
    locked: &[],
    transitions: &[
        Transition {
            name: "assign",
            from: &["unassigned", "developing"],
            to: "developing",
            by: &[By::Role(Supervisor), By::Role(Admin)],
            sets: &["owner"],
            stamps: &[],
            requires: &["owner"],
            fields: &[],
            clears: &[],
            guard: Guard::None,
        },
        Transition {
            name: "succeed",
            from: &["developing"],
            to: "succeeded",
            by: &[By::Assignee, By::Role(Supervisor), By::Role(Admin)],
            sets: &[],
            stamps: &[],
            requires: &[],
            fields: &["stage", "probability"],
            clears: &[],
            guard: Guard::None,
        },
        Transition {
            name: "fail",
            from: &["developing"],
            to: "failed",
            by: &[By::Assignee, By::Role(Supervisor), By::Role(Admin)],
            sets: &[],
            stamps: &[],
            requires: &["loss_reason"],
            fields: &["stage", "loss_reason", "probability"],
            clears: &[],
            guard: Guard::None,
        },
    ],
};

/// 新创建 → 已分配 → 已处理 → 已归档; feedback below the admin's threshold reopens it.
static SERVICE_FLOW: Workflow = Workflow {
    state: StateOf::Field { name: "status", absent: "new" },
    decided: &["status", "assignee", "assigned_by", "assigned_at", "handled_at", "archived_at", "reopened_at"],
    initial: &["new"],
    created_with: &[],
    on_create: Guard::None,
    pin: None,
    locked: &[],
    transitions: &[
        Transition {
            name: "assign",
            from: &["new", "assigned"],
            to: "assigned",
            by: &[By::Role(Supervisor), By::Role(Admin)],
            sets: &["assignee"],
            stamps: &["assigned_by", "assigned_at"],
            requires: &["assignee"],
            fields: &[],
            clears: &[],
            guard: Guard::None,
        },
        Transition {
            name: "handle",
            from: &["assigned"],
            to: "handled",
            by: &[By::Assignee],
            sets: &[],
            stamps: &["handled_at"],
            requires: &["result"],
            fields: &["result"],
            clears: &[],
            guard: Guard::None,
        },
        Transition {
            name: "reopen",
            from: &["handled"],
            to: "assigned",
            by: &[By::ScopeOwner, By::Role(Supervisor), By::Role(Admin)],
            sets: &[],
            // When it was last reopened: the service report's reopened share.
            stamps: &["reopened_at"],
            requires: &["satisfaction"],
            fields: &["satisfaction", "feedback"],
            clears: &[],
            guard: Guard::SatisfiedBelow,
        },
        Transition {
            name: "archive",
            from: &["handled"],
            to: "archived",
            by: &[By::ScopeOwner, By::Role(Supervisor), By::Role(Admin)],
            sets: &[],
            stamps: &["archived_at"],
            requires: &["satisfaction"],
            fields: &["satisfaction", "feedback"],
            clears: &[],
            guard: Guard::SatisfiedAtLeast,
        },
    ],
};

static USER: KindSpec = KindSpec {
    kind: Kind::User,
    title: "display_name",
    admin_only: true,
    scope: Scope::Customer,
    code_prefix: None,
    indexes: &[],
    assigned: &[],
    workflow: None,
    identity: &[],
    fields: &[
        f("username", Str { max: 64 }).required().indexed(),
        f("display_name", TEXT).required(),
        f("role", Enum(ROLES)).required(),
        // The team's code, as the server knows it (`sync-server user set --team`).
        f("team", Str { max: 64 }).indexed(),
        f("phones", Phones),
        f("email", Email),
        f("active", Bool).or(Default::Bool(true)),
        // The employee profile (人事), kept by admins.
        f("employee_no", Str { max: 40 }).indexed(),
        f("department", TEXT).indexed(),
        f("position", TEXT),
        f("hire_date", Date),
    ],
};

static TEAM: KindSpec = KindSpec {
    kind: Kind::Team,
    title: "name",
    admin_only: true,
    scope: Scope::Customer,
    code_prefix: None,
    indexes: &[],
    assigned: &[],
    workflow: None,
    identity: &[],
    fields: &[
        f("name", TEXT).required(),
        f("supervisor", Ref(Kind::User)),
        // The code accounts carry as their team (`sync-server user set --team`, the admin API).
        f("code", Str { max: 64 }).indexed(),
    ],
};

static DICT_ENTRY: KindSpec = KindSpec {
    kind: Kind::DictEntry,
    title: "label_zh",
    admin_only: true,
    scope: Scope::Customer,
    code_prefix: None,
    indexes: &[],
    assigned: &[],
    workflow: None,
    identity: &[],
    fields: &[
        f("dict", Enum(DICTIONARIES)).required().indexed(),
        f("code", Str { max: 40 }).required(),
        f("label_zh", TEXT).required(),
        f("label_en", TEXT).required(),
        f("sort_order", Int { min: 0, max: 1_000_000 }),
        f("active", Bool).or(Default::Bool(true)),
    ],
};

impl Kind {
    pub const ALL: &'static [Kind] = &[
        Kind::Customer,
        Kind::Contact,
        Kind::Activity,
        Kind::Opportunity,
        Kind::ServiceRequest,
        Kind::ChurnCase,
        Kind::User,
        Kind::Team,
        Kind::DictEntry,
        Kind::Setting,
        Kind::GradeRule,
        Kind::CustomField,
        Kind::Product,
        Kind::PriceList,
        Kind::Stock,
        Kind::Quote,
        Kind::Contract,
        Kind::Order,
        Kind::Payment,
        Kind::Invoice,
        Kind::Expense,
        Kind::VisitPlan,
        Kind::VisitType,
        Kind::Lead,
        Kind::Article,
        Kind::Campaign,
        Kind::SalesTarget,
    ];

    pub fn spec(self) -> &'static KindSpec {
        match self {
            Kind::Customer => &CUSTOMER,
            Kind::Contact => &CONTACT,
            Kind::Activity => &ACTIVITY,
            Kind::Opportunity => &OPPORTUNITY,
            Kind::ServiceRequest => &SERVICE_REQUEST,
            Kind::ChurnCase => &CHURN_CASE,
            Kind::GradeRule => &GRADE_RULE,
            Kind::User => &USER,
            Kind::Team => &TEAM,
            Kind::DictEntry => &DICT_ENTRY,
            Kind::Setting => &SETTING,
            Kind::CustomField => &CUSTOM_FIELD,
            Kind::Product => &sales::PRODUCT,
            Kind::PriceList => &sales::PRICE_LIST,
            Kind::Stock => &sales::STOCK,
            Kind::Quote => &sales::QUOTE,
            Kind::Contract => &sales::CONTRACT,
            Kind::Order => &sales::ORDER,
            Kind::Payment => &sales::PAYMENT,
            Kind::Invoice => &sales::INVOICE,
            Kind::Expense => &field::EXPENSE,
            Kind::VisitPlan => &field::VISIT_PLAN,
            Kind::VisitType => &field::VISIT_TYPE,
            Kind::Lead => &marketing::LEAD,
            Kind::Article => &marketing::ARTICLE,
            Kind::Campaign => &marketing::CAMPAIGN,
            Kind::SalesTarget => &sales::SALES_TARGET,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Customer => "customer",
            Kind::Contact => "contact",
            Kind::Activity => "activity",
            Kind::Opportunity => "opportunity",
            Kind::ServiceRequest => "service_request",
            Kind::ChurnCase => "churn_case",
            Kind::GradeRule => "grade_rule",
            Kind::User => "user",
            Kind::Team => "team",
            Kind::DictEntry => "dict_entry",
            Kind::Setting => "setting",
            Kind::CustomField => "custom_field",
            Kind::Product => "product",
            Kind::PriceList => "price_list",
            Kind::Stock => "stock",
            Kind::Quote => "quote",
            Kind::Contract => "contract",
            Kind::Order => "order",
            Kind::Payment => "payment",
            Kind::Invoice => "invoice",
            Kind::Expense => "expense",
            Kind::VisitPlan => "visit_plan",
            Kind::VisitType => "visit_type",
            Kind::Lead => "lead",
            Kind::Article => "article",
            Kind::Campaign => "campaign",
            Kind::SalesTarget => "sales_target",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.as_str() == s)
    }

    /// Name of the projection table.
    pub fn table(self) -> String {
        format!("p_{}", self.as_str())
    }
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Admin, Role::Supervisor, Role::AccountManager, Role::Viewer, Role::Finance];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::AccountManager => "account_manager",
            Role::Viewer => "viewer",
            Role::Finance => "finance",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Workflow {
    /// The state a record is in, from its values (`read` gives a field's value as a string).
    pub fn state_of<'a>(&self, read: impl Fn(&str) -> Option<&'a str>) -> &'a str
    where
        'static: 'a,
    {
        match self.state {
            StateOf::Field { name, absent } => read(name).unwrap_or(absent),
            StateOf::Holder { name, empty, held } => match read(name) {
                Some(_) => held,
                None => empty,
            },
        }
    }

    /// The field the state is read from.
    pub fn state_field(&self) -> &'static str {
        match self.state {
            StateOf::Field { name, .. } | StateOf::Holder { name, .. } => name,
        }
    }

    pub fn transition(&self, name: &str) -> Option<&'static Transition>
    where
        Self: 'static,
    {
        self.transitions.iter().find(|t| t.name == name)
    }

    /// Transition `name` as it is taken from state `from` (a name may have one way from each
    /// of several states: a quote is sent from approved, or from a draft that needs no
    /// approval); the first of that name when none leaves `from`.
    pub fn transition_from(&self, name: &str, from: &str) -> Option<&'static Transition>
    where
        Self: 'static,
    {
        self.transitions.iter().find(|t| t.name == name && t.from.contains(&from)).or_else(|| self.transition(name))
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl KindSpec {
    pub fn field(&self, name: &str) -> Option<&'static FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn has_owner(&self) -> bool {
        self.field("owner").is_some()
    }
}

impl FieldType {
    /// Whether a read model keeps it in an INTEGER column (sorts and ranges by number).
    pub fn integer_column(self) -> bool {
        matches!(self, Int { .. } | Bool | DateTime | Quantity | Rate | Amount)
    }

    /// The field type as the API describes it (see the `schema` request).
    pub fn describe(self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Str { max } => json!({ "type": "string", "max_chars": max }),
            Enum(choices) => json!({ "type": "enum", "choices": choices }),
            Dict(dictionary) => json!({ "type": "dictionary", "dictionary": dictionary }),
            Int { min, max } => json!({ "type": "integer", "min": min, "max": max }),
            Bool => json!({ "type": "boolean" }),
            Money => json!({ "type": "money" }),
            Place => json!({ "type": "place" }),
            Date => json!({ "type": "date" }),
            DateTime => json!({ "type": "datetime" }),
            Ref(kind) => json!({ "type": "reference", "kind": kind }),
            Email => json!({ "type": "email" }),
            Phones => json!({ "type": "phones" }),
            Tags => json!({ "type": "tags" }),
            Notes => json!({ "type": "notes" }),
            Steps => json!({ "type": "plan_steps" }),
            Log => json!({ "type": "log" }),
            Custom => json!({ "type": "custom_fields" }),
            Quantity => json!({ "type": "quantity", "decimals": 3 }),
            Rate => json!({ "type": "rate", "min": 0, "max": 10_000 }),
            Amount => json!({ "type": "amount" }),
            Blob => json!({ "type": "file" }),
            Items(parts) => {
                let parts: Vec<serde_json::Value> = parts
                    .iter()
                    .map(|p| {
                        let mut d = p.ty.describe();
                        d["name"] = json!(p.name);
                        d["required"] = json!(p.required);
                        d
                    })
                    .collect();
                json!({ "type": "items", "parts": parts })
            }
        }
    }
}

impl KindSpec {
    /// The kind and its fields as the API describes them (see the `schema` request).
    pub fn describe(&self) -> serde_json::Value {
        use serde_json::json;
        let fields: Vec<serde_json::Value> = self
            .fields
            .iter()
            .map(|f| {
                let mut d = f.ty.describe();
                if let Some(obj) = d.as_object_mut() {
                    obj.insert("name".into(), json!(f.name));
                    obj.insert("required".into(), json!(f.required));
                    obj.insert("filterable".into(), json!(f.filterable()));
                    obj.insert("sortable".into(), json!(f.sortable()));
                    obj.insert("searchable".into(), json!(f.search));
                    obj.insert("derived".into(), json!(f.derived));
                    let default = match f.default {
                        Default::None => serde_json::Value::Null,
                        Default::CurrentUser => json!("current_user"),
                        Default::Now => json!("now"),
                        Default::Str(s) => json!(s),
                        Default::Bool(b) => json!(b),
                        Default::Int(n) => json!(n),
                        Default::MintedCode => json!("minted_code"),
                    };
                    obj.insert("default".into(), default);
                }
                d
            })
            .collect();
        let workflow = self.workflow.map(|w| {
            let (state, states) = match w.state {
                StateOf::Field { name, .. } => {
                    (name, self.field(name).map(|f| f.ty.describe()["choices"].clone()).unwrap_or_default())
                }
                StateOf::Holder { name, empty, held } => (name, json!([empty, held])),
            };
            let transitions: Vec<serde_json::Value> = w
                .transitions
                .iter()
                .map(|t| {
                    let by: Vec<String> =
                        t.by.iter()
                            .map(|b| match b {
                                By::Role(r) => r.as_str().to_string(),
                                By::OtherRole(r) => format!("{}_not_owner", r.as_str()),
                                By::Assignee => "assignee".into(),
                                By::ScopeOwner => "scope_owner".into(),
                                By::Claimant => "claimant".into(),
                            })
                            .collect();
                    json!({ "name": t.name, "from": t.from, "to": t.to, "by": by, "sets": t.sets, "stamps": t.stamps,
                            "requires": t.requires, "fields": t.fields })
                })
                .collect();
            json!({ "state_field": state, "states": states, "decided": w.decided, "initial": w.initial,
                    "transitions": transitions })
        });
        let scope = match self.scope {
            Scope::Customer => "customer",
            Scope::Owner => "owner",
        };
        json!({ "kind": self.kind, "title_field": self.title, "admin_only": self.admin_only, "scope": scope, "fields": fields,
                "assigned": self.assigned, "workflow": workflow, "identity": self.identity })
    }
}
