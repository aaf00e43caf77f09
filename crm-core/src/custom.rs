//! Company-specific fields. An admin defines one with a `custom_field` record (kind, key,
//! labels, type, whether it is required, shown in lists and filters); records of that kind
//! keep its values in their `custom_fields` map under the key, as strings, each key merging
//! on its own. Forms, lists, filters and import read the definitions from here.
//!
//! The device checks values against the definitions it holds when they are written. The
//! server checks only their shape (strings of bounded length): a definition changed while a
//! device was offline must not make the server refuse that device's other edits.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use serde_json::json;

use crate::error::{FieldError, Result};
use crate::kind::Kind;

/// The field of a customizable kind that holds the values.
pub const FIELD: &str = "custom_fields";

/// One custom field, as its `custom_field` record defines it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Def {
    pub id: String,
    pub key: String,
    pub label_zh: String,
    pub label_en: Option<String>,
    #[serde(rename = "type")]
    pub ty: String,
    /// A choice's options, in the order the admin wrote them.
    pub options: Vec<String>,
    pub required: bool,
    pub in_list: bool,
    pub in_filter: bool,
    pub sort_order: i64,
    pub active: bool,
}

impl Def {
    /// The name errors and import columns give the value: `custom_fields.KEY`.
    pub fn path(&self) -> String {
        format!("{FIELD}.{}", self.key)
    }
}

/// Whether `kind` has custom fields.
pub fn customizable(kind: Kind) -> bool {
    kind.spec().field(FIELD).is_some()
}

/// A key is a short lowercase identifier: it is a map key in every record and a JSON path in
/// list filters.
pub fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some('a'..='z'))
        && key.len() <= 40
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

/// The definitions of `kind`'s custom fields on this device, in the admin's order; retired
/// ones (`active: false`) included.
pub fn defs(conn: &Connection, kind: Kind) -> Result<Vec<Def>> {
    let mut st = conn.prepare_cached(
        "SELECT id, key, label_zh, label_en, type, options, required, in_list, in_filter, active, sort_order
         FROM p_custom_field WHERE of_kind = ? AND deleted_at IS NULL
         ORDER BY IFNULL(sort_order, 0), key",
    )?;
    let rows = st.query_map([kind.as_str()], |r| {
        let options: Option<String> = r.get(5)?;
        Ok(Def {
            id: r.get(0)?,
            key: r.get(1)?,
            label_zh: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
            label_en: r.get(3)?,
            ty: r.get::<_, Option<String>>(4)?.unwrap_or_else(|| "text".into()),
            options: options.as_deref().map(split_options).unwrap_or_default(),
            required: r.get::<_, Option<bool>>(6)?.unwrap_or(false),
            in_list: r.get::<_, Option<bool>>(7)?.unwrap_or(false),
            in_filter: r.get::<_, Option<bool>>(8)?.unwrap_or(false),
            active: r.get::<_, Option<bool>>(9)?.unwrap_or(true),
            sort_order: r.get::<_, Option<i64>>(10)?.unwrap_or(0),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// A choice's options from the text the admin typed: one per line, blank lines ignored.
pub fn split_options(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
}

/// The value a custom field keeps for `raw`, normalised (`None`: empty, so absent), or why
/// it does not fit the field's type.
pub fn normalise(def: &Def, raw: &str) -> std::result::Result<Option<String>, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let path = def.path();
    let value = match def.ty.as_str() {
        "number" => {
            let n =
                parse_number(raw).ok_or_else(|| FieldError::with(&path, "invalid_number", json!({ "value": raw })))?;
            n.to_string()
        }
        "date" => chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map_err(|_| FieldError::with(&path, "invalid_date", json!({ "value": raw, "format": "YYYY-MM-DD" })))?
            .format("%Y-%m-%d")
            .to_string(),
        "bool" => match raw {
            "true" | "false" => raw.to_string(),
            _ => {
                return Err(FieldError::with(
                    &path,
                    "invalid_choice",
                    json!({ "value": raw, "allowed": ["true", "false"] }),
                ))
            }
        },
        "choice" => {
            if !def.options.iter().any(|o| o == raw) {
                return Err(FieldError::with(&path, "invalid_choice", json!({ "value": raw, "allowed": def.options })));
            }
            raw.to_string()
        }
        _ => {
            if raw.chars().count() > 1000 {
                return Err(FieldError::with(&path, "too_long", json!({ "max": 1000 })));
            }
            raw.to_string()
        }
    };
    Ok(Some(value))
}

/// A decimal number as people type it: an optional sign, digits, at most one point; kept as
/// written without redundant zeros (`007.50` is `7.5`), never through a float.
fn parse_number(s: &str) -> Option<String> {
    let (sign, digits) = match s.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || digits.len() > 30
    {
        return None;
    }
    let int = int.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let body = if frac.is_empty() { int.to_string() } else { format!("{int}.{frac}") };
    Some(if body == "0" { body } else { format!("{sign}{body}") })
}

/// Check and normalise the custom values a create or update writes. `before` is what the
/// record holds now (an update): keys without an active definition may stay as they are but
/// not change. A create, or an update that writes the map, must fill every required field.
pub fn check(
    defs: &[Def],
    values: &BTreeMap<String, String>,
    before: Option<&BTreeMap<String, String>>,
) -> std::result::Result<BTreeMap<String, String>, Vec<FieldError>> {
    let mut out = BTreeMap::new();
    let mut errors = Vec::new();
    for (key, raw) in values {
        match defs.iter().find(|d| &d.key == key && d.active) {
            Some(def) => match normalise(def, raw) {
                Ok(Some(v)) => {
                    out.insert(key.clone(), v);
                }
                Ok(None) => {}
                Err(e) => errors.push(e),
            },
            None if before.and_then(|b| b.get(key)) == Some(raw) => {
                out.insert(key.clone(), raw.clone());
            }
            None => {
                errors.push(FieldError::with(format!("{FIELD}.{key}"), "unknown_custom_field", json!({ "key": key })))
            }
        }
    }
    for def in defs.iter().filter(|d| d.active && d.required) {
        if !out.contains_key(&def.key) && !errors.iter().any(|e| e.field == def.path()) {
            errors.push(FieldError::new(def.path(), "required"));
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The custom values a record holds now, from its list row.
pub fn current(conn: &Connection, kind: Kind, id: &str) -> Result<Option<BTreeMap<String, String>>> {
    let sql = format!("SELECT {FIELD} FROM {} WHERE id = ?", kind.table());
    let text: Option<String> = conn.prepare_cached(&sql)?.query_row([id], |r| r.get(0)).optional()?.flatten();
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

/// The rules of a definition itself: a key that can be one, options for a choice.
pub fn check_definition(key: Option<&str>, ty: Option<&str>, options: Option<&str>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(key) = key.filter(|k| !valid_key(k)) {
        errors.push(FieldError::with(
            "key",
            "invalid_key",
            json!({ "value": key, "format": "a-z first, then a-z, 0-9 or _; at most 40" }),
        ));
    }
    if ty == Some("choice") && options.map(split_options).unwrap_or_default().is_empty() {
        errors.push(FieldError::new("options", "required"));
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(ty: &str) -> Def {
        Def {
            id: "x".into(),
            key: "k".into(),
            label_zh: "字段".into(),
            label_en: None,
            ty: ty.into(),
            options: vec!["大".into(), "小".into()],
            required: false,
            in_list: false,
            in_filter: false,
            sort_order: 0,
            active: true,
        }
    }

    #[test]
    fn numbers_are_normalised_as_text_never_through_floats() {
        let n = def("number");
        assert_eq!(normalise(&n, " 007.50 ").unwrap().as_deref(), Some("7.5"));
        assert_eq!(normalise(&n, "-0.0").unwrap().as_deref(), Some("0"));
        assert_eq!(normalise(&n, "12345678901234567890.1").unwrap().as_deref(), Some("12345678901234567890.1"));
        assert_eq!(normalise(&n, "").unwrap(), None);
        for bad in ["1.2.3", "abc", "1e5", "-", "."] {
            assert_eq!(normalise(&n, bad).unwrap_err().reason, "invalid_number", "{bad}");
        }
    }

    #[test]
    fn choices_dates_and_booleans_are_checked() {
        assert_eq!(normalise(&def("choice"), "大").unwrap().as_deref(), Some("大"));
        assert_eq!(normalise(&def("choice"), "中").unwrap_err().reason, "invalid_choice");
        assert_eq!(normalise(&def("date"), "2026-02-30").unwrap_err().reason, "invalid_date");
        assert_eq!(normalise(&def("bool"), "yes").unwrap_err().reason, "invalid_choice");
    }

    #[test]
    fn unknown_keys_may_stay_but_not_change_and_required_ones_must_be_there() {
        let mut required = def("text");
        required.required = true;
        let defs = vec![required];
        let before: BTreeMap<String, String> = [("old".to_string(), "1".to_string())].into();
        let kept: BTreeMap<String, String> = [("old".into(), "1".into()), ("k".into(), "v".into())].into();
        assert_eq!(check(&defs, &kept, Some(&before)).unwrap(), kept);
        let changed: BTreeMap<String, String> = [("old".into(), "2".into()), ("k".into(), "v".into())].into();
        assert_eq!(check(&defs, &changed, Some(&before)).unwrap_err()[0].reason, "unknown_custom_field");
        let missing: BTreeMap<String, String> = [("k".into(), "  ".into())].into();
        let errors = check(&defs, &missing, None).unwrap_err();
        assert_eq!((errors[0].field.as_str(), errors[0].reason), ("custom_fields.k", "required"));
    }

    #[test]
    fn keys_are_identifiers() {
        assert!(valid_key("serial_no2"));
        for bad in ["", "2x", "A", "a-b", "a.b", "键", &"a".repeat(41)] {
            assert!(!valid_key(bad), "{bad}");
        }
    }
}
