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

/// A place on Earth: latitude and longitude in millionths of a degree (about 0.1 m), never
/// through a float in storage, and how sure the device was (metres).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    pub lat: i64,
    pub lng: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<i64>,
}

impl Place {
    /// The great-circle distance to `other` in whole metres (haversine, mean Earth radius).
    pub fn distance_m(&self, other: &Place) -> i64 {
        let rad = |micro: i64| (micro as f64 / 1e6).to_radians();
        let (la1, la2) = (rad(self.lat), rad(other.lat));
        let (dla, dlo) = (la2 - la1, rad(other.lng) - rad(self.lng));
        let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
        (2.0 * 6_371_008.8 * h.sqrt().min(1.0).asin()).round() as i64
    }

    pub fn to_json(&self) -> Json {
        let degrees = |micro: i64| serde_json::from_str::<Json>(&format_decimal(micro, 6)).unwrap_or(Json::Null);
        let mut out = json!({ "lat": degrees(self.lat), "lng": degrees(self.lng) });
        if let Some(a) = self.accuracy {
            out["accuracy"] = json!(a);
        }
        out
    }
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

/// One entry of an append-only log (a service request's handling, a churn case's measures):
/// who wrote it, when (UTC milliseconds), and what. Entries are only ever added; entries
/// added on several devices all stay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    pub by: String,
    #[serde(serialize_with = "ms_as_rfc3339", deserialize_with = "rfc3339_as_ms")]
    pub at: i64,
    pub text: String,
}

fn ms_as_rfc3339<S: serde::Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_datetime(*ms))
}

fn rfc3339_as_ms<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let text = String::deserialize(d)?;
    parse_datetime(&text).ok_or_else(|| serde::de::Error::custom("not an RFC 3339 time"))
}

/// Longest log entry, in characters.
pub const MAX_LOG_TEXT: usize = 2000;

#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// Strings, enum and dictionary codes, dates, emails and record references.
    Str(String),
    Int(i64),
    Bool(bool),
    Money(Money),
    Place(Place),
    /// UTC milliseconds.
    DateTime(i64),
    Phones(Vec<String>),
    Tags(BTreeSet<String>),
    Notes(String),
    Steps(Vec<Step>),
    Log(Vec<LogEntry>),
    Custom(BTreeMap<String, String>),
    /// Integer thousandths (2.5 is 2500).
    Quantity(i64),
    Items(Vec<crate::items::Item>),
}

const MAX_TAG: usize = 50;
pub const MAX_NOTES: usize = 100_000;
/// Items in one list-like field: phone numbers, tags, plan steps, custom fields.
pub const MAX_ITEMS: usize = 200;
/// Entries in one log field (a long-running request's handling notes).
pub const MAX_LOG_ENTRIES: usize = 1000;

/// Parse one field of a request into its typed value, then [`check`] it. `Ok(None)` clears
/// the field.
pub fn parse(spec: &FieldSpec, json: &Json) -> Result<Option<FieldValue>, FieldError> {
    let name = spec.name;
    if json.is_null() {
        return Ok(None);
    }
    let bad_type = |expected: &str| FieldError::with(name, "wrong_type", json!({ "expected": expected }));
    let text = || json.as_str().map(str::trim).ok_or_else(|| bad_type("string"));
    let value = match spec.ty {
        FieldType::Str { .. }
        | FieldType::Enum(_)
        | FieldType::Dict(_)
        | FieldType::Ref(_)
        | FieldType::Email
        | FieldType::Blob => {
            let s = text()?;
            if s.is_empty() {
                return Ok(None);
            }
            FieldValue::Str(s.to_string())
        }
        FieldType::Int { .. } | FieldType::Rate => FieldValue::Int(json.as_i64().ok_or_else(|| bad_type("integer"))?),
        FieldType::Amount => FieldValue::Int(match json {
            Json::Number(n) if n.is_i64() => n.as_i64().unwrap_or_default(),
            Json::Number(_) => return Err(FieldError::new(name, "money_not_integer")),
            _ => return Err(bad_type("integer")),
        }),
        FieldType::Bool => FieldValue::Bool(json.as_bool().ok_or_else(|| bad_type("boolean"))?),
        FieldType::Money => FieldValue::Money(parse_money(name, json)?),
        FieldType::Place => FieldValue::Place(parse_place(name, json)?),
        FieldType::Date => {
            let s = text()?;
            if s.is_empty() {
                return Ok(None);
            }
            let date = NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| FieldError::with(name, "invalid_date", json!({ "value": s, "format": "YYYY-MM-DD" })))?;
            FieldValue::Str(date.format("%Y-%m-%d").to_string())
        }
        FieldType::DateTime => {
            let s = text()?;
            if s.is_empty() {
                return Ok(None);
            }
            FieldValue::DateTime(parse_datetime(s).ok_or_else(|| {
                FieldError::with(name, "invalid_datetime", json!({ "value": s, "format": "RFC 3339" }))
            })?)
        }
        FieldType::Phones => FieldValue::Phones(string_list(name, json)?),
        FieldType::Tags => FieldValue::Tags(string_list(name, json)?.into_iter().collect()),
        FieldType::Notes => FieldValue::Notes(json.as_str().ok_or_else(|| bad_type("string"))?.to_string()),
        FieldType::Steps => FieldValue::Steps(
            serde_json::from_value(json.clone()).map_err(|_| bad_type("list of {date, action, result}"))?,
        ),
        // Entries are added with the `append` request, never written as a whole.
        FieldType::Log => return Err(FieldError::new(name, "append_only")),
        FieldType::Custom => {
            let map = json.as_object().ok_or_else(|| bad_type("object of strings"))?;
            let mut out = BTreeMap::new();
            for (k, v) in map {
                out.insert(k.clone(), v.as_str().ok_or_else(|| bad_type("object of strings"))?.to_string());
            }
            FieldValue::Custom(out)
        }
        FieldType::Quantity => FieldValue::Quantity(parse_quantity(name, json)?),
        FieldType::Items(parts) => FieldValue::Items(crate::items::parse(name, parts, json)?),
    };
    check(spec, &value)?;
    Ok(Some(value))
}

/// The rules a value of `spec` must satisfy, however it arrived: typed into a form (after
/// [`parse`]) or read from a document another device wrote (the server checks every pushed
/// document with this). Dictionary codes and references need the database: not checked here.
pub fn check(spec: &FieldSpec, value: &FieldValue) -> Result<(), FieldError> {
    let name = spec.name;
    let too_many = |n: usize| {
        if n > MAX_ITEMS {
            Err(FieldError::with(name, "too_many", json!({ "max": MAX_ITEMS })))
        } else {
            Ok(())
        }
    };
    match (spec.ty, value) {
        (FieldType::Str { max }, FieldValue::Str(s)) => check_len(name, s, max),
        (FieldType::Enum(allowed), FieldValue::Str(s)) => {
            if allowed.contains(&s.as_str()) {
                Ok(())
            } else {
                Err(FieldError::with(name, "invalid_choice", json!({ "value": s, "allowed": allowed })))
            }
        }
        (FieldType::Dict(_) | FieldType::Ref(_), FieldValue::Str(s)) => check_len(name, s, 64),
        (FieldType::Amount, FieldValue::Int(n)) => {
            if *n < 0 || n.unsigned_abs() > MAX_MONEY_MINOR {
                Err(FieldError::with(name, "out_of_range", json!({ "min": 0, "max": MAX_MONEY_MINOR })))
            } else {
                Ok(())
            }
        }
        (FieldType::Rate, FieldValue::Int(n)) => {
            if (0..=10_000).contains(n) {
                Ok(())
            } else {
                Err(FieldError::with(name, "out_of_range", json!({ "min": 0, "max": 10_000 })))
            }
        }
        (FieldType::Int { min, max }, FieldValue::Int(n)) => {
            if *n < min || *n > max {
                Err(FieldError::with(name, "out_of_range", json!({ "min": min, "max": max })))
            } else {
                Ok(())
            }
        }
        (FieldType::Bool, FieldValue::Bool(_)) => Ok(()),
        (FieldType::Place, FieldValue::Place(p)) => {
            if p.lat.abs() > 90_000_000
                || p.lng.abs() > 180_000_000
                || p.accuracy.is_some_and(|a| !(0..=100_000).contains(&a))
            {
                Err(FieldError::with(
                    name,
                    "invalid_place",
                    json!({ "lat": [-90, 90], "lng": [-180, 180], "accuracy": [0, 100_000] }),
                ))
            } else {
                Ok(())
            }
        }
        (FieldType::Money, FieldValue::Money(m)) => {
            if !valid_currency(&m.currency) {
                Err(FieldError::with(name, "invalid_currency", json!({ "value": m.currency })))
            } else if m.minor.unsigned_abs() > MAX_MONEY_MINOR {
                Err(FieldError::with(
                    name,
                    "out_of_range",
                    json!({ "min": -(MAX_MONEY_MINOR as i64), "max": MAX_MONEY_MINOR }),
                ))
            } else {
                Ok(())
            }
        }
        (FieldType::Date, FieldValue::Str(s)) => match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            Ok(d) if d.format("%Y-%m-%d").to_string() == *s => Ok(()),
            _ => Err(FieldError::with(name, "invalid_date", json!({ "value": s, "format": "YYYY-MM-DD" }))),
        },
        (FieldType::DateTime, FieldValue::DateTime(ms)) => {
            if (MIN_TIME_MS..=MAX_TIME_MS).contains(ms) {
                Ok(())
            } else {
                Err(FieldError::with(name, "invalid_datetime", json!({ "value": ms, "format": "RFC 3339" })))
            }
        }
        (FieldType::Blob, FieldValue::Str(s)) => {
            if crate::attachment::is_hash(s) {
                Ok(())
            } else {
                Err(FieldError::with(name, "invalid_file_hash", json!({ "value": s })))
            }
        }
        (FieldType::Email, FieldValue::Str(s)) => {
            check_len(name, s, 254)?;
            if is_email(s) {
                Ok(())
            } else {
                Err(FieldError::with(name, "invalid_email", json!({ "value": s })))
            }
        }
        (FieldType::Phones, FieldValue::Phones(items)) => {
            too_many(items.len())?;
            for p in items {
                if !is_phone(p) {
                    return Err(FieldError::with(name, "invalid_phone", json!({ "value": p })));
                }
            }
            Ok(())
        }
        (FieldType::Tags, FieldValue::Tags(items)) => {
            too_many(items.len())?;
            items.iter().try_for_each(|t| check_len(name, t, MAX_TAG))
        }
        (FieldType::Notes, FieldValue::Notes(s)) => check_len(name, s, MAX_NOTES),
        (FieldType::Steps, FieldValue::Steps(steps)) => {
            too_many(steps.len())?;
            for (i, step) in steps.iter().enumerate() {
                if step.action.trim().is_empty() {
                    return Err(FieldError::with(name, "required", json!({ "item": i, "part": "action" })));
                }
                check_len(name, &step.action, 1000)?;
                check_len(name, step.result.as_deref().unwrap_or(""), 1000)?;
                if let Some(d) = &step.date {
                    if NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() {
                        return Err(FieldError::with(name, "invalid_date", json!({ "item": i, "value": d })));
                    }
                }
            }
            Ok(())
        }
        (FieldType::Log, FieldValue::Log(entries)) => {
            if entries.len() > MAX_LOG_ENTRIES {
                return Err(FieldError::with(name, "too_many", json!({ "max": MAX_LOG_ENTRIES })));
            }
            for (i, entry) in entries.iter().enumerate() {
                if entry.text.trim().is_empty() {
                    return Err(FieldError::with(name, "required", json!({ "item": i, "part": "text" })));
                }
                check_len(name, &entry.text, MAX_LOG_TEXT)?;
                check_len(name, &entry.by, 64)?;
                if !(MIN_TIME_MS..=MAX_TIME_MS).contains(&entry.at) {
                    return Err(FieldError::with(name, "invalid_datetime", json!({ "item": i })));
                }
            }
            Ok(())
        }
        (FieldType::Custom, FieldValue::Custom(map)) => {
            too_many(map.len())?;
            for (k, v) in map {
                check_len(name, k, 64)?;
                check_len(name, v, 1000)?;
            }
            Ok(())
        }
        (FieldType::Quantity, FieldValue::Quantity(n)) => {
            if n.unsigned_abs() > MAX_QUANTITY {
                let max = MAX_QUANTITY / 1000;
                Err(FieldError::with(name, "out_of_range", json!({ "min": -(max as i64), "max": max })))
            } else {
                Ok(())
            }
        }
        (FieldType::Items(parts), FieldValue::Items(items)) => crate::items::check(name, parts, items),
        _ => Err(FieldError::with(name, "wrong_type", json!({ "expected": spec.ty.describe()["type"] }))),
    }
}

/// Largest quantity, in thousandths (a thousand billion units).
pub const MAX_QUANTITY: u64 = 1_000_000_000_000_000;

/// A quantity given as a JSON number or a decimal string, with at most three decimals, as
/// integer thousandths. Never through a float: `0.1` is read as the text it was written as.
pub fn parse_quantity(field: &str, json: &Json) -> Result<i64, FieldError> {
    let text = match json {
        Json::Number(n) => n.to_string(),
        Json::String(s) => s.trim().to_string(),
        _ => return Err(FieldError::with(field, "wrong_type", json!({ "expected": "quantity" }))),
    };
    parse_thousandths(&text)
        .ok_or_else(|| FieldError::with(field, "invalid_quantity", json!({ "value": text, "decimals": 3 })))
}

/// `"12.5"` as 12500; `None` for anything but digits with at most three decimals.
pub fn parse_thousandths(text: &str) -> Option<i64> {
    parse_decimal(text, 3)
}

/// A decimal's text as an integer of `scale` decimals (`"12.5"` at 3 is 12500), read from its
/// digits, never through a float; `None` for anything but digits with at most `scale`
/// decimals.
pub fn parse_decimal(text: &str, scale: usize) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let ok = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || whole.len() > 15 || fraction.len() > scale || !ok(whole) || !ok(fraction) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let fraction: i64 = if scale == 0 { 0 } else { format!("{fraction:0<scale$}").parse().ok()? };
    let n = whole.checked_mul(10_i64.checked_pow(scale as u32)?)?.checked_add(fraction)?;
    Some(if negative { -n } else { n })
}

/// A place from `{"lat": 31.230416, "lng": 121.473701, "accuracy"?: 25}`: degrees with at most
/// six decimals (numbers or decimal strings), the accuracy in metres (rounded).
fn parse_place(field: &str, json: &Json) -> Result<Place, FieldError> {
    let wrong = || FieldError::with(field, "wrong_type", json!({ "expected": "{lat, lng, accuracy?}" }));
    let obj = json.as_object().ok_or_else(wrong)?;
    let degrees = |part: &str| -> Result<i64, FieldError> {
        let text = match obj.get(part) {
            Some(Json::Number(n)) => n.to_string(),
            Some(Json::String(s)) => s.trim().to_string(),
            _ => return Err(FieldError::with(field, "required", json!({ "part": part }))),
        };
        parse_decimal(&text, 6)
            .ok_or_else(|| FieldError::with(field, "invalid_place", json!({ "part": part, "value": text })))
    };
    let accuracy = match obj.get("accuracy") {
        None | Some(Json::Null) => None,
        Some(Json::Number(n)) => n.as_f64().filter(|a| a.is_finite()).map(|a| a.round() as i64),
        Some(_) => return Err(wrong()),
    };
    Ok(Place { lat: degrees("lat")?, lng: degrees("lng")?, accuracy })
}

/// Thousandths as the shortest decimal text: 12500 is `12.5`.
pub fn format_thousandths(n: i64) -> String {
    format_decimal(n, 3)
}

/// An integer of `scale` decimals as the shortest decimal text: 12500 at 3 is `12.5`.
pub fn format_decimal(n: i64, scale: usize) -> String {
    let sign = if n < 0 { "-" } else { "" };
    let unit = 10_u64.pow(scale as u32);
    let (whole, fraction) = (n.unsigned_abs() / unit, n.unsigned_abs() % unit);
    if fraction == 0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{}", format!("{fraction:0scale$}").trim_end_matches('0'))
    }
}

/// An ISO 4217 code's shape: three capital letters.
pub fn valid_currency(code: &str) -> bool {
    code.len() == 3 && code.chars().all(|c| c.is_ascii_uppercase())
}

/// Largest amount, in minor units (10^15 fen = 10 trillion yuan): sums of many stay in i64.
pub const MAX_MONEY_MINOR: u64 = 1_000_000_000_000_000;
/// Times a record may hold: 1900-01-01 .. 9999-12-31 (UTC milliseconds).
pub const MIN_TIME_MS: i64 = -2_208_988_800_000;
pub const MAX_TIME_MS: i64 = 253_402_300_799_999;

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
    let mut seen = std::collections::HashSet::new();
    for item in items {
        let s = item
            .as_str()
            .ok_or_else(|| FieldError::with(field, "wrong_type", json!({ "expected": "list of strings" })))?
            .trim();
        if !s.is_empty() && seen.insert(s) {
            out.push(s.to_string());
            if out.len() > MAX_ITEMS {
                return Err(FieldError::with(field, "too_many", json!({ "max": MAX_ITEMS })));
            }
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
    Ok(Money { minor, currency: currency.to_string() })
}

/// What is written before an amount of `currency`: `¥`, `$`, else the code and a space.
pub fn currency_prefix(currency: &str) -> String {
    match currency {
        "CNY" => "¥".to_string(),
        "USD" => "$".to_string(),
        other => format!("{other} "),
    }
}

/// A phone number as people write it: 3 to 20 digits, with spaces, `+`, `-`, brackets and `#`
/// (an extension); at most 40 characters.
pub fn is_phone(p: &str) -> bool {
    let digits = p.chars().filter(char::is_ascii_digit).count();
    let allowed = p.chars().all(|c| c.is_ascii_digit() || " +-()#".contains(c));
    allowed && (3..=20).contains(&digits) && p.len() <= 40
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
            FieldValue::Place(p) => p.to_json(),
            FieldValue::DateTime(ms) => Json::String(format_datetime(*ms)),
            FieldValue::Phones(p) => json!(p),
            FieldValue::Tags(t) => json!(t),
            FieldValue::Steps(s) => json!(s),
            FieldValue::Log(l) => json!(l),
            FieldValue::Custom(c) => json!(c),
            // A JSON number parsed from its exact decimal text.
            FieldValue::Quantity(n) => serde_json::from_str(&format_thousandths(*n)).unwrap_or(Json::Null),
            FieldValue::Items(items) => crate::items::to_json(items),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            FieldValue::Str(s) | FieldValue::Notes(s) => Some(s),
            _ => None,
        }
    }
}
