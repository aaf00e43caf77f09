//! The marketing kinds: leads (线索) — people and companies who may become customers — with
//! their pool, their follow-up and their conversion; campaigns, whose target lists are frozen
//! when they start and whose effect is counted from the leads they bring; and the knowledge
//! base's articles.
//!
//! A lead is in its owner's scope ([`Scope::Owner`]); a lead without an owner is in the lead
//! pool, which everyone reads and anyone claims, like the customer pool. Converting it makes or
//! links a customer, a contact and optionally an opportunity (`domain::leads`); the lead keeps
//! links to what it became.

use super::*;
use Role::{Admin, Supervisor};

/// 新建 → 跟进中 → 已转化 / 无效.
pub const LEAD_STATES: &[&str] = &["new", "following", "converted", "invalid"];

/// Who works a lead: its owner, a supervisor (of the owner's team, by the scope) or an admin.
const WORKERS: &[By] = &[By::ScopeOwner, By::Role(Supervisor), By::Role(Admin)];

pub(super) static LEAD: KindSpec = KindSpec {
    kind: Kind::Lead,
    title: "name",
    admin_only: false,
    scope: Scope::Owner,
    code_prefix: None,
    // A person's leads by state, and the follow-ups due.
    indexes: &[&["owner", "status"], &["owner", "next_follow_up"]],
    assigned: &[],
    workflow: Some(&LEAD_FLOW),
    identity: &[],
    fields: &[
        f("name", TEXT).required().search().dup(),
        f("company", TEXT).search().dup(),
        f("title", TEXT),
        f("phones", Phones).search().dup(),
        f("email", Email).search().dup(),
        f("do_not_email", Bool),
        f("source", Dict("customer_source")).indexed(),
        // The campaign that brought it: its effect counts this lead.
        f("campaign", Ref(Kind::Campaign)).indexed(),
        f("region", Dict("region")).indexed(),
        f("address", LONG_TEXT),
        f("status", Enum(LEAD_STATES)).required().indexed().or(Default::Str("new")),
        f("owner", Ref(Kind::User)).indexed().or(Default::CurrentUser),
        // When to follow it up next (a reminder on the day). Its calls, visits and messages
        // are activities naming it, moved to the customer's timeline when it converts.
        f("next_follow_up", Date).indexed(),
        f("invalid_reason", LONG_TEXT),
        // Why it went back to the pool.
        f("pool_reason", LONG_TEXT),
        // What it became (`convert`).
        f("converted_customer", Ref(Kind::Customer)).indexed(),
        f("converted_contact", Ref(Kind::Contact)),
        f("converted_opportunity", Ref(Kind::Opportunity)),
        f("converted_at", DateTime),
        f("converted_by", Ref(Kind::User)),
        f("tags", Tags),
        f("notes", Notes),
        f("custom_fields", Custom),
    ],
};

pub(super) static LEAD_FLOW: Workflow = Workflow {
    state: StateOf::Field { name: "status", absent: "new" },
    decided: &[
        "status",
        "owner",
        "converted_customer",
        "converted_contact",
        "converted_opportunity",
        "converted_at",
        "converted_by",
    ],
    initial: &["new", "following"],
    created_with: &["owner"],
    on_create: Guard::None,
    pin: None,
    // What a converted lead was stays as it was: its follow-ups went to the customer.
    locked: &["converted"],
    transitions: &[
        // From the pool: the first claim to reach the server has it.
        Transition {
            sets: &["owner"],
            requires: &["owner"],
            ..t("claim", &["new", "following"], "following", &[By::Claimant]).clears(&["pool_reason"])
        },
        t("follow", &["new"], "following", WORKERS),
        // Back to the pool, with why.
        t("release", &["new", "following"], "new", WORKERS).needs(&["pool_reason"]).clears(&["owner"]),
        // A supervisor or admin gives it to someone.
        Transition {
            sets: &["owner"],
            requires: &["owner"],
            ..t("assign", &["new", "following"], "following", &[By::Role(Supervisor), By::Role(Admin)])
        },
        Transition {
            sets: &["converted_customer", "converted_contact", "converted_opportunity"],
            requires: &["converted_customer"],
            ..t("convert", &["new", "following"], "converted", WORKERS).stamps(&["converted_at", "converted_by"])
        },
        t("invalidate", &["new", "following"], "invalid", WORKERS).needs(&["invalid_reason"]),
        t("reopen", &["invalid"], "following", WORKERS).clears(&["invalid_reason"]),
    ],
};

/// A knowledge-base article (知识库): how a product is installed, what to say about prices, the
/// travel policy. Written by supervisors and admins (`access::OFFICE_WRITES`), read by everyone,
/// searched offline by any part of its title or body like customers are.
pub(super) static ARTICLE: KindSpec = KindSpec {
    kind: Kind::Article,
    title: "title",
    admin_only: true,
    scope: Scope::Customer,
    code_prefix: None,
    indexes: &[],
    assigned: &[],
    workflow: None,
    identity: &[],
    fields: &[
        f("title", TEXT).required().search(),
        // Markdown: headings (`#`), lists (`-`, `1.`), paragraphs.
        f("body", Notes).search(),
        f("category", Dict("article_category")).indexed(),
        f("tags", Tags),
        f("pinned", Bool),
    ],
};

/// 计划中 → 进行中 → 已结束 / 已取消.
pub const CAMPAIGN_STATES: &[&str] = &["planned", "running", "ended", "cancelled"];

/// Whom a campaign targets: the kind its saved filter runs over.
pub const CAMPAIGN_TARGETS: &[&str] = &["customer", "contact", "lead"];

/// Most members a target list holds (ids, one per line, in `members`).
pub const MAX_MEMBERS: usize = 20_000;

/// Who runs campaigns: supervisors and admins (`access::OFFICE_WRITES`).
const RUNNERS: &[By] = &[By::Role(Supervisor), By::Role(Admin)];

/// A marketing campaign (营销活动): an exhibition, a street promotion, a phone or email drive.
/// Company-wide reference data: everyone reads it (a salesperson names it on the leads it
/// brought), supervisors and admins run it. Its target list is a saved filter until it starts;
/// `start` freezes the records matching it then into `members`, which stay listed whatever they
/// become later (`domain::campaigns`).
pub(super) static CAMPAIGN: KindSpec = KindSpec {
    kind: Kind::Campaign,
    title: "name",
    admin_only: true,
    scope: Scope::Customer,
    code_prefix: None,
    indexes: &[&["status", "starts_on"]],
    assigned: &[],
    workflow: Some(&CAMPAIGN_FLOW),
    identity: &[],
    fields: &[
        f("name", TEXT).required().search(),
        f("type", Dict("campaign_type")).required().indexed(),
        f("status", Enum(CAMPAIGN_STATES)).required().indexed().or(Default::Str("planned")),
        f("starts_on", Date).indexed(),
        f("ends_on", Date),
        f("channel", TEXT),
        f("budget", Money),
        f("actual_cost", Money),
        f("owner", Ref(Kind::User)).indexed().or(Default::CurrentUser),
        // The target list: a `list` filter (JSON) over `target_kind`, frozen by `start`.
        f("target_kind", Enum(CAMPAIGN_TARGETS)),
        f("target_filter", Str { max: 4_000 }),
        f("members", Str { max: MAX_MEMBERS * 37 }),
        f("member_count", Int { min: 0, max: MAX_MEMBERS as i64 }),
        f("frozen_at", DateTime),
        f("notes", Notes),
    ],
};

pub(super) static CAMPAIGN_FLOW: Workflow = Workflow {
    state: StateOf::Field { name: "status", absent: "planned" },
    decided: &["status", "members", "member_count", "frozen_at"],
    initial: &["planned"],
    created_with: &[],
    on_create: Guard::None,
    pin: None,
    locked: &[],
    transitions: &[
        Transition {
            sets: &["members", "member_count"],
            ..t("start", &["planned"], "running", RUNNERS).stamps(&["frozen_at"])
        },
        t("end", &["running"], "ended", RUNNERS),
        t("cancel", &["planned", "running"], "cancelled", RUNNERS),
    ],
};
