//! Leads (线索) and their conversion into a customer.
//!
//! Converting a lead is one operation: it looks for the customer the lead already is (the
//! duplicate rules: same phone, email or company name) and links it, or creates one; likewise
//! the contact among that customer's contacts; optionally opens an opportunity; moves the
//! activities logged on the lead (calls, visits, messages — activities naming the `lead`) onto
//! the customer's timeline, and its notes as one more; and takes the lead's `convert`
//! transition, which keeps links to what it became. Nothing the lead knew is lost.
//!
//! Two devices converting the same lead offline: the first conversion to reach the server
//! stands. The second device's `convert` is refused (`transition_conflict`, naming who and
//! when), and so is the customer it made from the lead ([`lead_open`], `lead_converted`): the
//! server ends with one customer, and the second device shows why its conversion went back.

use serde::Serialize;
use serde_json::{json, Map as JsonMap, Value as Json};

use crate::access::Refusal;
use crate::document::RecordDoc;
use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::query::DuplicateCandidate;
use crate::store::Store;
use crate::value::{format_datetime, FieldValue};
use crate::workflow::{Facts, WorkflowRefusal};

/// A customer made from a lead may be created only while the lead is not converted (the
/// device converting it creates the customer before it takes `convert`).
pub fn lead_open(kind: Kind, after: &RecordDoc, facts: &dyn Facts) -> std::result::Result<(), WorkflowRefusal> {
    let Some(FieldValue::Str(lead)) = kind.spec().field("lead").and_then(|f| after.read(f)) else {
        return Ok(());
    };
    let Some(doc) = facts.record(&lead) else { return Ok(()) };
    let read = |name: &str| Kind::Lead.spec().field(name).and_then(|f| doc.read(f));
    if read("status").and_then(|v| v.as_str().map(str::to_string)).as_deref() != Some("converted") {
        return Ok(());
    }
    let by = read("converted_by").and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    let at = match read("converted_at") {
        Some(FieldValue::DateTime(ms)) => format_datetime(ms),
        _ => String::new(),
    };
    let customer = read("converted_customer").and_then(|v| v.as_str().map(str::to_string));
    Err(WorkflowRefusal {
        refusal: Refusal {
            code: "lead_converted",
            reason: format!("{by} converted this lead first, at {at}; it is their customer that stands"),
        },
        params: json!({ "by": by, "at": at, "customer": customer }),
    })
}

/// An activity is about a customer, or was logged on a lead.
pub fn names_customer_or_lead(doc: &RecordDoc) -> Vec<crate::error::FieldError> {
    let spec = Kind::Activity.spec();
    let named =
        |name: &str| matches!(spec.field(name).and_then(|f| doc.read(f)), Some(FieldValue::Str(s)) if !s.is_empty());
    if named("customer") || named("lead") {
        Vec::new()
    } else {
        vec![crate::error::FieldError::with("customer", "required", json!({}))]
    }
}

/// What converting a lead will do (the dialog shows it before anything is written).
#[derive(Debug, Clone, Serialize)]
pub struct ConversionPlan {
    pub lead: String,
    /// The customer it will be linked to (`link`), or the one it will create (`create`, its
    /// fields), with the existing customers that look like it.
    pub customer: Json,
    pub contact: Json,
    pub candidates: Vec<DuplicateCandidate>,
    /// The lead's activities (and one for its notes) that go to the customer's timeline.
    pub activities: usize,
}

/// What was made or linked.
#[derive(Debug, Clone, Serialize)]
pub struct Converted {
    pub lead: String,
    pub customer: String,
    pub customer_created: bool,
    pub contact: String,
    pub contact_created: bool,
    pub opportunity: Option<String>,
    pub activities: Vec<String>,
}

/// A choice the person made in the dialog.
#[derive(Debug, Clone, Default)]
pub struct Choice {
    /// Link this customer; `None`: create one when `new_customer`, else let the rules decide
    /// (the one existing match, else a new one).
    pub customer: Option<String>,
    /// Create a customer even though some look alike.
    pub new_customer: bool,
    /// An opportunity to open: `{title, amount?, stage?, expected_close?}`.
    pub opportunity: Option<JsonMap<String, Json>>,
}

/// The lead's values as a map, by field name.
fn lead_values(store: &mut Store, id: &str) -> Result<JsonMap<String, Json>> {
    if store.kind_of(id)? != Kind::Lead {
        return Err(Error::field("id", "not_a_lead"));
    }
    Ok(store.get(id)?.fields)
}

fn text<'a>(values: &'a JsonMap<String, Json>, name: &str) -> Option<&'a str> {
    values.get(name).and_then(Json::as_str).map(str::trim).filter(|s| !s.is_empty())
}

/// The customer a lead becomes: its company (or, for a person, its name), phones, email,
/// source, region, address, owner; and the lead it came from.
fn customer_fields(id: &str, lead: &JsonMap<String, Json>) -> JsonMap<String, Json> {
    let mut out = JsonMap::new();
    let name = text(lead, "company").or(text(lead, "name")).unwrap_or_default();
    out.insert("name".into(), json!(name));
    for key in ["phones", "email", "source", "region", "address", "owner"] {
        if let Some(v) = lead.get(key).filter(|v| !v.is_null()) {
            out.insert(key.into(), v.clone());
        }
    }
    out.insert("lead".into(), json!(id));
    out
}

impl Store {
    /// What converting lead `id` would do now, without writing anything.
    pub fn conversion_plan(&mut self, id: &str) -> Result<ConversionPlan> {
        let lead = lead_values(self, id)?;
        let wanted = customer_fields(id, &lead);
        let candidates = self.customers_like(&wanted)?;
        let customer = match candidates.as_slice() {
            [one] => json!({ "link": one.id, "name": one.title, "matched": one.matched }),
            _ => json!({ "create": wanted }),
        };
        let contact = match candidates.as_slice() {
            [one] => match self.contact_like(&one.id, &lead)? {
                Some((contact, name)) => json!({ "link": contact, "name": name }),
                None => json!({ "create": { "name": text(&lead, "name") } }),
            },
            _ => json!({ "create": { "name": text(&lead, "name") } }),
        };
        let activities = self.lead_activities(id)?.len() + usize::from(self.notes_activity(id, &lead).is_some());
        Ok(ConversionPlan { lead: id.to_string(), customer, contact, candidates, activities })
    }

    /// Convert lead `id` as `choice` says: link or create the customer and the contact, open
    /// the opportunity asked for, carry the follow-ups and notes, and take `convert`.
    pub fn convert_lead(&mut self, id: &str, choice: &Choice) -> Result<Converted> {
        let lead = lead_values(self, id)?;
        // Everything that can refuse does so before anything is written.
        let permissions = self.permissions_of(id)?;
        if !permissions.transitions.iter().any(|t| t.name == "convert") {
            let state = permissions.state.unwrap_or_default();
            return Err(Error::Refused {
                code: "transition_forbidden",
                reason: format!("you may not convert this lead (it is {state})"),
                params: json!({ "transition": "convert", "state": state }),
            });
        }
        if let Some(asked) = &choice.opportunity {
            self.parse_fields_but(Kind::Opportunity, asked, None, &["customer"])?;
        }
        let wanted = customer_fields(id, &lead);
        let (customer, customer_created) = match (&choice.customer, choice.new_customer) {
            (Some(existing), _) => {
                if self.kind_of(existing)? != Kind::Customer {
                    return Err(Error::field("customer", "unknown_reference"));
                }
                (existing.clone(), false)
            }
            (None, true) => (self.create_record(Kind::Customer, &wanted)?, true),
            (None, false) => match self.customers_like(&wanted)?.as_slice() {
                [one] => (one.id.clone(), false),
                [] => (self.create_record(Kind::Customer, &wanted)?, true),
                many => {
                    return Err(Error::Refused {
                        code: "customer_ambiguous",
                        reason: format!(
                            "{} customers look like this lead; choose one, or create a new one",
                            many.len()
                        ),
                        params: json!({ "candidates": many }),
                    })
                }
            },
        };
        let (contact, contact_created) = match self.contact_like(&customer, &lead)? {
            Some((contact, _)) => (contact, false),
            None => {
                let mut fields = JsonMap::new();
                fields.insert("customer".into(), json!(customer));
                fields.insert("name".into(), json!(text(&lead, "name").unwrap_or_default()));
                for key in ["title", "phones", "email"] {
                    if let Some(v) = lead.get(key).filter(|v| !v.is_null()) {
                        fields.insert(key.into(), v.clone());
                    }
                }
                (self.create_record(Kind::Contact, &fields)?, true)
            }
        };
        let opportunity = match &choice.opportunity {
            Some(asked) => {
                let mut fields = asked.clone();
                fields.insert("customer".into(), json!(customer));
                Some(self.create_record(Kind::Opportunity, &fields)?)
            }
            None => None,
        };
        // The lead's activities move to the customer's timeline (keeping `lead`), with the
        // contact it became where they named none; its notes become one more.
        let mut activities = Vec::new();
        for (activity, has_contact) in self.lead_activities(id)? {
            let mut fields = JsonMap::new();
            fields.insert("customer".into(), json!(customer));
            if !has_contact {
                fields.insert("contact".into(), json!(contact));
            }
            self.update(&activity, &fields)?;
            activities.push(activity);
        }
        if let Some(mut fields) = self.notes_activity(id, &lead) {
            fields.insert("customer".into(), json!(customer));
            fields.insert("contact".into(), json!(contact));
            activities.push(self.create_record(Kind::Activity, &fields)?);
        }
        let mut taken = JsonMap::new();
        taken.insert("converted_customer".into(), json!(customer));
        taken.insert("converted_contact".into(), json!(contact));
        if let Some(o) = &opportunity {
            taken.insert("converted_opportunity".into(), json!(o));
        }
        self.transition(id, "convert", &taken)?;
        Ok(Converted {
            lead: id.to_string(),
            customer,
            customer_created,
            contact,
            contact_created,
            opportunity,
            activities,
        })
    }

    /// Live customers that look like `wanted` by the duplicate rules: the customer's own phone,
    /// email or name, or a contact of theirs with the phone or email.
    fn customers_like(&self, wanted: &JsonMap<String, Json>) -> Result<Vec<DuplicateCandidate>> {
        let mut probe = wanted.clone();
        probe.remove("lead");
        probe.remove("owner");
        let parsed = self.parse_fields(Kind::Customer, &probe, None)?;
        let mut found = self.duplicates(Kind::Customer, &parsed)?;
        let mut person = JsonMap::new();
        for key in ["phones", "email"] {
            if let Some(v) = wanted.get(key) {
                person.insert(key.into(), v.clone());
            }
        }
        if !person.is_empty() {
            let parsed = self.parse_fields_but(Kind::Contact, &person, None, &["customer", "name"])?;
            let sql = format!(
                "SELECT k.customer FROM {} k JOIN {} c ON c.id = k.customer
                 WHERE k.id = ? AND k.deleted_at IS NULL AND c.deleted_at IS NULL",
                Kind::Contact.table(),
                Kind::Customer.table()
            );
            for contact in self.duplicates(Kind::Contact, &parsed)? {
                let Ok(customer) = self.conn.query_row(&sql, [&contact.id], |r| r.get::<_, String>(0)) else {
                    continue;
                };
                match found.iter_mut().find(|c| c.id == customer) {
                    Some(c) => {
                        for m in contact.matched {
                            if !c.matched.contains(&m) {
                                c.matched.push(m);
                            }
                        }
                    }
                    None => {
                        let title = self.title_of(Kind::Customer, &customer)?.unwrap_or_default();
                        found.push(DuplicateCandidate {
                            id: customer,
                            kind: Kind::Customer,
                            title,
                            matched: contact.matched,
                        });
                    }
                }
            }
        }
        Ok(found)
    }

    /// A contact of `customer` with the lead's phone, email or name.
    fn contact_like(&self, customer: &str, lead: &JsonMap<String, Json>) -> Result<Option<(String, String)>> {
        let mut probe = JsonMap::new();
        for key in ["name", "phones", "email"] {
            if let Some(v) = lead.get(key).filter(|v| !v.is_null()) {
                probe.insert(key.into(), v.clone());
            }
        }
        probe.insert("customer".into(), json!(customer));
        let parsed = self.parse_fields(Kind::Contact, &probe, None)?;
        let sql = format!("SELECT customer FROM {} WHERE id = ? AND deleted_at IS NULL", Kind::Contact.table());
        for candidate in self.duplicates(Kind::Contact, &parsed)? {
            let of: Option<String> = self.conn.query_row(&sql, [&candidate.id], |r| r.get(0)).ok().flatten();
            if of.as_deref() == Some(customer) {
                return Ok(Some((candidate.id, candidate.title)));
            }
        }
        Ok(None)
    }

    /// The live activities logged on lead `id` and not yet on a customer's timeline, oldest
    /// first, with whether each names a contact.
    fn lead_activities(&self, id: &str) -> Result<Vec<(String, bool)>> {
        let sql = format!(
            "SELECT id, contact IS NOT NULL FROM {} WHERE lead = ? AND customer IS NULL AND deleted_at IS NULL
             ORDER BY time, id",
            Kind::Activity.table()
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// The activity a lead's notes become on the customer's timeline, if it has notes.
    fn notes_activity(&self, id: &str, lead: &JsonMap<String, Json>) -> Option<JsonMap<String, Json>> {
        let notes = text(lead, "notes")?;
        let mut fields = JsonMap::new();
        fields.insert("type".into(), json!("follow_up"));
        fields.insert("subject".into(), json!(format!("线索备注 · {}", text(lead, "name").unwrap_or_default())));
        fields.insert("notes".into(), json!(notes));
        fields.insert("lead".into(), json!(id));
        Some(fields)
    }
}
