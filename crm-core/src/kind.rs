//! The record kinds and their fields: the one place a kind is described.
//!
//! Adding a kind means adding a variant to [`Kind`] and a [`KindSpec`] with its fields.
//! Everything else — validation, the Automerge layout, the projection table and its
//! indexes, search text and duplicate keys — is derived from the spec.

use serde::{Deserialize, Serialize};

/// A record kind. The string form is stored in each document's `kind` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Customer,
    Contact,
    Activity,
    Opportunity,
    User,
    Team,
    DictEntry,
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
    /// Company-specific key/value fields; each key merges on its own.
    Custom,
}

/// One field of a kind.
#[derive(Debug, Clone, Copy)]
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
    /// Prefix of minted codes; the kind then has a `code` field filled on create.
    pub code_prefix: Option<&'static str>,
    /// Composite indexes on the projection table, beyond the single `indexed` fields.
    pub indexes: &'static [&'static [&'static str]],
}

const fn f(name: &'static str, ty: FieldType) -> FieldSpec {
    FieldSpec { name, ty, required: false, indexed: false, search: false, duplicate_key: false, default: Default::None }
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

    /// Whether the field has a column in the projection table.
    pub fn projected(&self) -> bool {
        !matches!(self.ty, FieldType::Notes | FieldType::Steps | FieldType::Custom)
    }

    /// Whether lists can filter on the field by value (list-valued fields cannot; tags have
    /// their own `tag` filter).
    pub fn filterable(&self) -> bool {
        self.projected() && !matches!(self.ty, FieldType::Money | FieldType::Tags | FieldType::Phones)
    }

    /// Whether lists can sort on the field (money sorts by its minor units).
    pub fn sortable(&self) -> bool {
        self.filterable() || self.ty == FieldType::Money
    }
}

use FieldType::*;

pub const STAGES: &[&str] = &["lead", "qualified", "proposal", "negotiation", "won", "lost"];
pub const ACTIVITY_TYPES: &[&str] = &["visit", "call", "meeting", "email", "follow_up"];
pub const ROLES: &[&str] = &["admin", "supervisor", "account_manager", "viewer"];
pub const DICTIONARIES: &[&str] = &[
    "customer_type",
    "customer_grade",
    "customer_status",
    "customer_source",
    "industry",
    "region",
    "activity_outcome",
];

const TEXT: FieldType = Str { max: 200 };
const LONG_TEXT: FieldType = Str { max: 1000 };

static CUSTOMER: KindSpec = KindSpec {
    kind: Kind::Customer,
    title: "name",
    admin_only: false,
    code_prefix: Some("C"),
    indexes: &[],
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
        f("phones", Phones).search().dup(),
        f("email", Email).search().dup(),
        f("website", TEXT),
        f("owner", Ref(Kind::User)).indexed().or(Default::CurrentUser),
        f("tags", Tags),
        f("notes", Notes),
        f("custom_fields", Custom),
    ],
};

static CONTACT: KindSpec = KindSpec {
    kind: Kind::Contact,
    title: "name",
    admin_only: false,
    code_prefix: None,
    indexes: &[],
    fields: &[
        f("customer", Ref(Kind::Customer)).required().indexed(),
        f("name", TEXT).required().search().dup(),
        f("title", TEXT),
        f("phones", Phones).search().dup(),
        f("email", Email).search().dup(),
        f("is_primary", Bool),
        f("notes", Notes),
    ],
};

static ACTIVITY: KindSpec = KindSpec {
    kind: Kind::Activity,
    title: "subject",
    admin_only: false,
    code_prefix: None,
    indexes: &[&["customer", "time"], &["owner", "next_follow_up"]],
    fields: &[
        f("customer", Ref(Kind::Customer)).required().indexed(),
        f("contact", Ref(Kind::Contact)),
        f("type", Enum(ACTIVITY_TYPES)).required().indexed(),
        f("time", DateTime).required().indexed().or(Default::Now),
        f("place", TEXT),
        // How long the visit or call took.
        f("duration_minutes", Int { min: 0, max: 1440 }),
        f("subject", TEXT),
        f("outcome", Dict("activity_outcome")),
        f("next_follow_up", Date).indexed(),
        f("owner", Ref(Kind::User)).indexed().or(Default::CurrentUser),
        f("notes", Notes),
    ],
};

static OPPORTUNITY: KindSpec = KindSpec {
    kind: Kind::Opportunity,
    title: "title",
    admin_only: false,
    code_prefix: None,
    indexes: &[],
    fields: &[
        f("customer", Ref(Kind::Customer)).required().indexed(),
        f("title", TEXT).required(),
        f("stage", Enum(STAGES)).required().indexed().or(Default::Str("lead")),
        f("amount", Money),
        f("probability", Int { min: 0, max: 100 }),
        f("expected_close", Date).indexed(),
        f("owner", Ref(Kind::User)).indexed().or(Default::CurrentUser),
        f("loss_reason", LONG_TEXT),
        f("plan_steps", Steps),
        f("notes", Notes),
    ],
};

static USER: KindSpec = KindSpec {
    kind: Kind::User,
    title: "display_name",
    admin_only: true,
    code_prefix: None,
    indexes: &[],
    fields: &[
        f("username", Str { max: 64 }).required().indexed(),
        f("display_name", TEXT).required(),
        f("role", Enum(ROLES)).required(),
        // The team's code, as the server knows it (`sync-server user set --team`).
        f("team", Str { max: 64 }).indexed(),
        f("phones", Phones),
        f("email", Email),
        f("active", Bool).or(Default::Bool(true)),
    ],
};

static TEAM: KindSpec = KindSpec {
    kind: Kind::Team,
    title: "name",
    admin_only: true,
    code_prefix: None,
    indexes: &[],
    fields: &[f("name", TEXT).required(), f("supervisor", Ref(Kind::User))],
};

static DICT_ENTRY: KindSpec = KindSpec {
    kind: Kind::DictEntry,
    title: "label_zh",
    admin_only: true,
    code_prefix: None,
    indexes: &[],
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
    pub const ALL: &'static [Kind] =
        &[Kind::Customer, Kind::Contact, Kind::Activity, Kind::Opportunity, Kind::User, Kind::Team, Kind::DictEntry];

    pub fn spec(self) -> &'static KindSpec {
        match self {
            Kind::Customer => &CUSTOMER,
            Kind::Contact => &CONTACT,
            Kind::Activity => &ACTIVITY,
            Kind::Opportunity => &OPPORTUNITY,
            Kind::User => &USER,
            Kind::Team => &TEAM,
            Kind::DictEntry => &DICT_ENTRY,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Customer => "customer",
            Kind::Contact => "contact",
            Kind::Activity => "activity",
            Kind::Opportunity => "opportunity",
            Kind::User => "user",
            Kind::Team => "team",
            Kind::DictEntry => "dict_entry",
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
            Date => json!({ "type": "date" }),
            DateTime => json!({ "type": "datetime" }),
            Ref(kind) => json!({ "type": "reference", "kind": kind }),
            Email => json!({ "type": "email" }),
            Phones => json!({ "type": "phones" }),
            Tags => json!({ "type": "tags" }),
            Notes => json!({ "type": "notes" }),
            Steps => json!({ "type": "plan_steps" }),
            Custom => json!({ "type": "custom_fields" }),
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
                    let default = match f.default {
                        Default::None => serde_json::Value::Null,
                        Default::CurrentUser => json!("current_user"),
                        Default::Now => json!("now"),
                        Default::Str(s) => json!(s),
                        Default::Bool(b) => json!(b),
                        Default::MintedCode => json!("minted_code"),
                    };
                    obj.insert("default".into(), default);
                }
                d
            })
            .collect();
        json!({ "kind": self.kind, "title_field": self.title, "admin_only": self.admin_only, "fields": fields })
    }
}
