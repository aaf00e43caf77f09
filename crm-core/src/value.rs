//! Typed field values: parsed and validated from request JSON, turned back into JSON for
//! responses. Parsing is pure; checks that need the database (dictionary codes, references)
//! are done by the store.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};

use crate::error::FieldError;
use crate::kind::{FieldSpec, FieldType};

/// Money in integer minor units (fen for CNY). Never a float.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: String,
}

/// One step of an opportunity's development plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Step {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// Strings, enum and dictionary codes, dates, emails and record references.
    Str(String),
    Int(i64),
    Bool(bool),
    Money(Money),
    /// UTC milliseconds.
    DateTime(i64),
    Phones(Vec<String>),
    Tags(BTreeSet<String>),
    Notes(String),
    Steps(Vec<Step>),
    Custom(BTreeMap<String, String>),
}

const MAX_TAG: usize = 50;
const MAX_NOTES: usize = 100_000;

/// Parse one field of a request. `Ok(None)` clears the field.
pub fn parse(spec: &FieldSpec, json: &Json) -> Result<Option<FieldValue>, FieldError> {
    let name = spec.name;
    if json.is_null() {
        return Ok(None);
    }
    let bad_type = |expected: &str| FieldError::with(name, "wrong_type", json!({ "expected": expected }));
    let as_str = || json.as_str().map(str::trim).ok_or_else(|| bad_type("string"));
    let value = match spec.ty {
        FieldType::Str { max } => {
            let s = as_str()?;
            if s.is_empty() {
                return Ok(None);
            }
            check_len(name, s, max)?;
            FieldValue::Str(s.to_string())
        }
        FieldType::Enum(allowed) => {
            let s = as_str()?;
            if s.is_empty() {
                return Ok(None);
            }
            if !allowed.contains(&s) {
                return Err(FieldError::with(name, "invalid_choice", json!({ "value": s, "allowed": allowed })));
            }
            FieldValue::Str(s.to_string())
        }
        FieldType::Dict(_) | FieldType::Ref(_) => {
            let s = as_str()?;
            if s.is_empty() {
                return Ok(None);
            }
            check_len(name, s, 64)?;
            FieldValue::Str(s.to_string())
        }
        FieldType::Int { min, max } => {
            let n = json.as_i64().ok_or_else(|| bad_type("integer"))?;
            if n < min || n > max {
                return Err(FieldError::with(name, "out_of_range", json!({ "min": min, "max": max })));
            }
            FieldValue::Int(n)
        }
        FieldType::Bool => FieldValue::Bool(json.as_bool().ok_or_else(|| bad_type("boolean"))?),
        FieldType::Money => FieldValue::Money(parse_money(name, json)?),
        FieldType::Date => {
            let s = as_str()?;
            if s.is_empty() {
                return Ok(None);
            }
            let date = NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| FieldError::with(name, "invalid_date", json!({ "value": s, "format": "YYYY-MM-DD" })))?;
            FieldValue::Str(date.format("%Y-%m-%d").to_string())
        }
        FieldType::DateTime => {
            let s = as_str()?;
            if s.is_empty() {
                return Ok(None);
            }
            FieldValue::DateTime(parse_datetime(s).ok_or_else(|| {
                FieldError::with(name, "invalid_datetime", json!({ "value": s, "format": "RFC 3339" }))
            })?)
        }
        FieldType::Email => {
            let s = as_str()?;
            if s.is_empty() {
                return Ok(None);
            }
            check_len(name, s, 254)?;
            if !is_email(s) {
                return Err(FieldError::with(name, "invalid_email", json!({ "value": s })));
            }
            FieldValue::Str(s.to_string())
        }
        FieldType::Phones => {
            let items = string_list(name, json)?;
            for p in &items {
                let digits = p.chars().filter(char::is_ascii_digit).count();
                let allowed = p.chars().all(|c| c.is_ascii_digit() || " +-()#".contains(c));
                if !allowed || !(3..=20).contains(&digits) {
                    return Err(FieldError::with(name, "invalid_phone", json!({ "value": p })));
                }
            }
            FieldValue::Phones(items)
        }
        FieldType::Tags => {
            let items = string_list(name, json)?;
            for t in &items {
                check_len(name, t, MAX_TAG)?;
            }
            FieldValue::Tags(items.into_iter().collect())
        }
        FieldType::Notes => {
            let s = json.as_str().ok_or_else(|| bad_type("string"))?;
            check_len(name, s, MAX_NOTES)?;
            FieldValue::Notes(s.to_string())
        }
        FieldType::Steps => {
            let steps: Vec<Step> =
                serde_json::from_value(json.clone()).map_err(|_| bad_type("list of {date, action, result}"))?;
            for (i, step) in steps.iter().enumerate() {
                if step.action.trim().is_empty() {
                    return Err(FieldError::with(name, "required", json!({ "item": i, "part": "action" })));
                }
                if let Some(d) = &step.date {
                    if NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() {
                        return Err(FieldError::with(name, "invalid_date", json!({ "item": i, "value": d })));
                    }
                }
            }
            FieldValue::Steps(steps)
        }
        FieldType::Custom => {
            let map = json.as_object().ok_or_else(|| bad_type("object of strings"))?;
            let mut out = BTreeMap::new();
            for (k, v) in map {
                let v = v.as_str().ok_or_else(|| bad_type("object of strings"))?;
                check_len(name, k, 64)?;
                check_len(name, v, 1000)?;
                out.insert(k.clone(), v.to_string());
            }
            FieldValue::Custom(out)
        }
    };
    Ok(Some(value))
}

fn check_len(field: &str, s: &str, max: usize) -> Result<(), FieldError> {
    if s.chars().count() > max {
        Err(FieldError::with(field, "too_long", json!({ "max": max })))
    } else {
        Ok(())
    }
}

fn string_list(field: &str, json: &Json) -> Result<Vec<String>, FieldError> {
    let items: Vec<&Json> = match json {
        Json::String(_) => vec![json],
        Json::Array(items) => items.iter().collect(),
        _ => return Err(FieldError::with(field, "wrong_type", json!({ "expected": "list of strings" }))),
    };
    let mut out = Vec::new();
    for item in items {
        let s = item
            .as_str()
            .ok_or_else(|| FieldError::with(field, "wrong_type", json!({ "expected": "list of strings" })))?
            .trim();
        if !s.is_empty() && !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    Ok(out)
}

fn parse_money(field: &str, json: &Json) -> Result<Money, FieldError> {
    let obj = json
        .as_object()
        .ok_or_else(|| FieldError::with(field, "wrong_type", json!({ "expected": "{minor, currency}" })))?;
    let minor = match obj.get("minor") {
        Some(Json::Number(n)) if n.is_i64() => n.as_i64().unwrap_or_default(),
        Some(Json::Number(_)) => return Err(FieldError::new(field, "money_not_integer")),
        _ => return Err(FieldError::with(field, "required", json!({ "part": "minor" }))),
    };
    let currency = obj.get("currency").and_then(Json::as_str).unwrap_or("CNY");
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(FieldError::with(field, "invalid_currency", json!({ "value": currency })));
    }
    Ok(Money { minor, currency: currency.to_string() })
}

fn is_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// Parse an RFC 3339 moment into UTC milliseconds.
pub fn parse_datetime(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s).ok().map(|d| d.timestamp_millis())
}

/// UTC milliseconds as RFC 3339 (always `Z`).
pub fn format_datetime(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|d| d.to_rfc3339_opts(SecondsFormat::Millis, true))
        .unwrap_or_default()
}

pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

impl FieldValue {
    pub fn to_json(&self) -> Json {
        match self {
            FieldValue::Str(s) | FieldValue::Notes(s) => Json::String(s.clone()),
            FieldValue::Int(n) => json!(n),
            FieldValue::Bool(b) => json!(b),
            FieldValue::Money(m) => json!(m),
            FieldValue::DateTime(ms) => Json::String(format_datetime(*ms)),
            FieldValue::Phones(p) => json!(p),
            FieldValue::Tags(t) => json!(t),
            FieldValue::Steps(s) => json!(s),
            FieldValue::Custom(c) => json!(c),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            FieldValue::Str(s) | FieldValue::Notes(s) => Some(s),
            _ => None,
        }
    }
}
