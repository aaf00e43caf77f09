//! The visit itself: arriving at a customer (`check_in`: a new visit at this moment, where the
//! device is when it knows, measured from the customer's saved location and marked far beyond
//! the admin's tolerance — never refused) and leaving (`check_out`: when, where, how long).
//! Offline like everything else: the visit is an ordinary activity that syncs later.
//!
//! A visit may have a type the admin composed from actions (`visit_type`): its checklist
//! ([`Store::visit_checklist`]) says which actions are done, and check-out waits for the
//! required ones (`visit_incomplete`, naming what is missing). This is the app's rule for a
//! visit in progress; the server does not judge it (a type the admin changes later does not make
//! old visits wrong).

use serde::Serialize;
use serde_json::{json, Map as JsonMap, Value as Json};

use crate::error::{Error, Result};
use crate::kind::{Kind, VISIT_ACTIONS};
use crate::store::Store;
use crate::value::{format_datetime, now_ms, FieldValue, Place};

/// The visit types every company starts with (`crate::seed`), which the admin edits, adds to
/// or deactivates: (key, zh-CN, en, [(action, required, min)]).
/// (action, required, min).
type Rule = (&'static str, bool, i64);
type DefaultType = (&'static str, &'static str, &'static str, &'static [Rule]);
const DEFAULT_TYPES: &[DefaultType] = &[
    (
        "shop_visit",
        "门店拜访",
        "Shop visit",
        &[
            ("check_in", true, 0),
            ("photos", true, 2),
            ("stock_count", false, 0),
            ("order", false, 0),
            ("notes", true, 0),
            ("check_out", false, 0),
        ],
    ),
    (
        "equipment_repair",
        "设备维修",
        "Equipment repair",
        &[
            ("check_in", true, 0),
            ("photos", true, 1),
            ("service", true, 0),
            ("notes", true, 0),
            ("check_out", false, 0),
        ],
    ),
    (
        "business_call",
        "商务拜访",
        "Business call",
        &[
            ("check_in", true, 0),
            ("notes", true, 0),
            ("order", false, 0),
            ("payment", false, 0),
            ("check_out", false, 0),
        ],
    ),
];

/// The id of a default visit type: derived from its key, the same everywhere.
pub fn default_type_id(key: &str) -> String {
    crate::genesis::id_of(Kind::VisitType, &[key])
}

/// The default visit types as records ([`crate::seed`]).
pub fn seed_types() -> Result<Vec<crate::seed::Seeded>> {
    let mut out = Vec::new();
    for (order, (key, zh, en, actions)) in DEFAULT_TYPES.iter().enumerate() {
        let items = actions
            .iter()
            .enumerate()
            .map(|(i, (action, required, min))| {
                let mut parts = std::collections::BTreeMap::new();
                parts.insert("action".to_string(), FieldValue::Str(action.to_string()));
                parts.insert("required".to_string(), FieldValue::Bool(*required));
                if *min > 0 {
                    parts.insert("min".to_string(), FieldValue::Int(*min));
                }
                crate::items::Item { id: format!("a{i}"), parts }
            })
            .collect();
        let values = [
            ("name", FieldValue::Str(zh.to_string())),
            ("name_en", FieldValue::Str(en.to_string())),
            ("actions", FieldValue::Items(items)),
            ("sort_order", FieldValue::Int(order as i64 * 10)),
            ("active", FieldValue::Bool(true)),
        ];
        out.extend(crate::seed::record(default_type_id(key), Kind::VisitType, &values)?);
    }
    Ok(out)
}

/// A visit's checklist: its type's actions, each with whether it is done.
#[derive(Debug, Clone, Serialize)]
pub struct Checklist {
    pub id: String,
    pub visit_type: Option<String>,
    pub actions: Vec<ChecklistItem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChecklistItem {
    /// One of `kind::field::VISIT_ACTIONS`.
    pub action: &'static str,
    /// Check-out waits for it.
    pub required: bool,
    /// How many it takes (photos: the type's `min`, at least one; the rest one).
    pub min: i64,
    /// How many there are.
    pub count: i64,
    pub done: bool,
}

/// The admin's tolerance (`visit.check_in_tolerance_m`; its default is the setting's).
const TOLERANCE_KEY: &str = "visit.check_in_tolerance_m";

impl Store {
    /// Arrive at `customer`: a visit starting now, at `place` when the device gave one.
    /// Returns the new activity's id.
    pub fn check_in(
        &mut self,
        customer: &str,
        place: Option<&Json>,
        contact: Option<&str>,
        visit_type: Option<&str>,
    ) -> Result<String> {
        if self.kind_of(customer)? != Kind::Customer {
            return Err(Error::field("customer", "unknown_reference"));
        }
        let at = format_datetime(now_ms());
        let mut fields = JsonMap::new();
        fields.insert("customer".into(), json!(customer));
        fields.insert("type".into(), json!("visit"));
        fields.insert("time".into(), json!(at));
        fields.insert("check_in_at".into(), json!(at));
        if let Some(contact) = contact {
            fields.insert("contact".into(), json!(contact));
        }
        if let Some(visit_type) = visit_type {
            fields.insert("visit_type".into(), json!(visit_type));
            if let Some(name) = self.title_of(Kind::VisitType, visit_type)? {
                fields.insert("subject".into(), json!(name));
            }
        }
        if let Some(place) = place.filter(|p| !p.is_null()) {
            fields.insert("check_in_place".into(), place.clone());
            let here = self.place_of(Kind::Activity, "check_in_place", place)?;
            let spec = Kind::Customer.spec().field("location").ok_or_else(|| Error::Corrupt("no location".into()))?;
            let theirs = self.with_doc(customer, |doc| Ok(doc.read(spec)))?;
            if let Some(FieldValue::Place(theirs)) = theirs {
                let distance = here.distance_m(&theirs);
                let tolerance = crate::settings::stored_number(&self.conn, TOLERANCE_KEY)?
                    .unwrap_or_else(|| crate::settings::default_number(TOLERANCE_KEY));
                fields.insert("check_in_distance_m".into(), json!(distance));
                fields.insert("check_in_far".into(), json!(distance > tolerance));
            }
        }
        self.check_may_write(Kind::Activity)?;
        let parsed = self.parse_fields(Kind::Activity, &fields, None)?;
        self.check_may_create(&self.deciding()?, Kind::Activity, &parsed)?;
        self.create_record(Kind::Activity, &fields)
    }

    /// Leave the visit `id`: when, at `place` when the device gave one, and how long it took.
    pub fn check_out(&mut self, id: &str, place: Option<&Json>) -> Result<()> {
        if self.kind_of(id)? != Kind::Activity {
            return Err(Error::field("id", "not_a_visit"));
        }
        let spec = Kind::Activity.spec();
        let read = |name: &str| spec.field(name).ok_or_else(|| Error::Corrupt(format!("no {name}")));
        let (arrived, left) = (read("check_in_at")?, read("check_out_at")?);
        let (arrived, left) = self.with_doc(id, |doc| Ok((doc.read(arrived), doc.read(left))))?;
        let Some(FieldValue::DateTime(arrived)) = arrived else {
            return Err(Error::Refused {
                code: "not_checked_in",
                reason: "this activity has no check-in to leave from".into(),
                params: Json::Null,
            });
        };
        if let Some(FieldValue::DateTime(left)) = left {
            return Err(Error::Refused {
                code: "already_checked_out",
                reason: format!("the visit was left at {}", format_datetime(left)),
                params: json!({ "check_out_at": format_datetime(left) }),
            });
        }
        let missing: Vec<&'static str> = self
            .visit_checklist(id)?
            .actions
            .iter()
            .filter(|a| a.required && !a.done && a.action != "check_out")
            .map(|a| a.action)
            .collect();
        if !missing.is_empty() {
            return Err(Error::Refused {
                code: "visit_incomplete",
                reason: format!("this kind of visit asks for {} before check-out", missing.join(", ")),
                params: json!({ "missing": missing }),
            });
        }
        let now = now_ms();
        let mut fields = JsonMap::new();
        fields.insert("check_out_at".into(), json!(format_datetime(now)));
        fields.insert("duration_minutes".into(), json!(((now - arrived).max(0) / 60_000).min(1440)));
        if let Some(place) = place.filter(|p| !p.is_null()) {
            fields.insert("check_out_place".into(), place.clone());
        }
        self.update(id, &fields)?;
        Ok(())
    }

    /// What the visit `id` asks for and what of it is done: its type's actions in order (a visit
    /// without a type: check-in and check-out only).
    pub fn visit_checklist(&mut self, id: &str) -> Result<Checklist> {
        if self.kind_of(id)? != Kind::Activity {
            return Err(Error::field("id", "not_a_visit"));
        }
        let spec = Kind::Activity.spec();
        let values: Vec<(&'static str, Option<FieldValue>)> =
            self.with_doc(id, |doc| Ok(spec.fields.iter().map(|f| (f.name, doc.read(f))).collect()))?;
        let value = |name: &str| values.iter().find(|(n, _)| *n == name).and_then(|(_, v)| v.clone());
        let visit_type = match value("visit_type") {
            Some(FieldValue::Str(t)) => Some(t),
            _ => None,
        };
        let mut wanted: Vec<Rule> = Vec::new();
        if let Some(t) = &visit_type {
            if let Some(actions) = self.visit_actions(t)? {
                wanted = actions;
            }
        }
        if wanted.is_empty() {
            wanted = vec![("check_in", true, 0), ("check_out", false, 0)];
        }
        let count = |name: &str| match value(name) {
            Some(FieldValue::Items(items)) => items.len() as i64,
            Some(FieldValue::Notes(text)) => i64::from(!text.trim().is_empty()),
            Some(_) => 1,
            None => 0,
        };
        let actions = wanted
            .into_iter()
            .map(|(action, required, min)| {
                let (have, need) = match action {
                    "check_in" => (count("check_in_at"), 1),
                    "photos" => (count("photos"), min.max(1)),
                    "notes" => (count("notes"), 1),
                    "order" => (count("sales_order"), 1),
                    "payment" => (count("payment"), 1),
                    "service" => (count("service_request"), 1),
                    "stock_count" => (count("stock_counts"), 1),
                    _ => (count("check_out_at"), 1),
                };
                ChecklistItem { action, required, min: need, count: have, done: have >= need }
            })
            .collect();
        Ok(Checklist { id: id.to_string(), visit_type, actions })
    }

    /// The actions of visit type `id` as (action, required, min), in its order; `None` when the
    /// type is not on this device.
    fn visit_actions(&mut self, id: &str) -> Result<Option<Vec<Rule>>> {
        if !matches!(self.kind_of(id), Ok(Kind::VisitType)) {
            return Ok(None);
        }
        let spec = Kind::VisitType.spec().field("actions").ok_or_else(|| Error::Corrupt("no actions".into()))?;
        let items = match self.with_doc(id, |doc| Ok(doc.read(spec)))? {
            Some(FieldValue::Items(items)) => items,
            _ => Vec::new(),
        };
        let mut out: Vec<Rule> = Vec::new();
        for item in &items {
            let Some(&action) = item.text("action").and_then(|a| VISIT_ACTIONS.iter().find(|k| **k == a)) else {
                continue;
            };
            if out.iter().all(|(a, _, _)| *a != action) {
                let required = matches!(item.get("required"), Some(FieldValue::Bool(true)));
                out.push((action, required, item.int("min")));
            }
        }
        // Every visit begins and ends.
        if out.iter().all(|(a, _, _)| *a != "check_in") {
            out.insert(0, ("check_in", true, 0));
        }
        if out.iter().all(|(a, _, _)| *a != "check_out") {
            out.push(("check_out", false, 0));
        }
        Ok(Some(out))
    }

    /// A place given in a request, read by the field's rules.
    fn place_of(&self, kind: Kind, field: &str, json: &Json) -> Result<Place> {
        let spec = kind.spec().field(field).ok_or_else(|| Error::Corrupt(format!("no {field}")))?;
        match crate::value::parse(spec, json).map_err(|e| Error::Validation(vec![e]))? {
            Some(FieldValue::Place(p)) => Ok(p),
            _ => Err(Error::field(field.to_string(), "invalid_place")),
        }
    }
}
