//! The visit itself: arriving at a customer (`check_in`: a new visit at this moment, where the
//! device is when it knows, measured from the customer's saved location and marked far beyond
//! the admin's tolerance — never refused) and leaving (`check_out`: when, where, how long).
//! Offline like everything else: the visit is an ordinary activity that syncs later.

use serde_json::{json, Map as JsonMap, Value as Json};

use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::store::Store;
use crate::value::{format_datetime, now_ms, FieldValue, Place};

/// The admin's tolerance (`visit.check_in_tolerance_m`; its default is the setting's).
const TOLERANCE_KEY: &str = "visit.check_in_tolerance_m";

impl Store {
    /// Arrive at `customer`: a visit starting now, at `place` when the device gave one.
    /// Returns the new activity's id.
    pub fn check_in(&mut self, customer: &str, place: Option<&Json>, contact: Option<&str>) -> Result<String> {
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

    /// A place given in a request, read by the field's rules.
    fn place_of(&self, kind: Kind, field: &str, json: &Json) -> Result<Place> {
        let spec = kind.spec().field(field).ok_or_else(|| Error::Corrupt(format!("no {field}")))?;
        match crate::value::parse(spec, json).map_err(|e| Error::Validation(vec![e]))? {
            Some(FieldValue::Place(p)) => Ok(p),
            _ => Err(Error::field(field.to_string(), "invalid_place")),
        }
    }
}
