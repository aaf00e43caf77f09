//! The company's settings: what each key holds and its default. A setting is a `setting`
//! record per key (its id derived from the key, so two admins setting it offline make one
//! record); numbers are in `value`, words in `text`, and a record without either means the
//! default.

use rusqlite::{Connection, OptionalExtension};
use serde_json::json;

use crate::error::{FieldError, Result};
use crate::kind::Kind;

/// What a setting holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Holds {
    /// A whole number in `value`.
    Number { min: i64, max: i64, default: i64 },
    /// Words in `text`.
    Text { max: usize, default: &'static str },
    /// An IANA time zone name in `text` (`Asia/Shanghai`): periods in reports are days,
    /// months and years there.
    TimeZone,
    /// An ISO 4217 code in `text`: the currency new amounts get.
    Currency,
}

/// Each setting key, what it holds. Every key of `kind::SETTING_KEYS` is here (a test says so).
pub const SETTINGS: &[(&str, Holds)] = &[
    // A service request's feedback below this satisfaction (1–5) reopens it.
    ("service.reopen_below", Holds::Number { min: 1, max: 6, default: 3 }),
    // Customers one person may own before claiming from the pool is refused; 0: no limit.
    ("pool.max_owned", Holds::Number { min: 0, max: 1_000_000, default: 0 }),
    ("company.name", Holds::Text { max: 200, default: "" }),
    ("company.timezone", Holds::TimeZone),
    ("company.currency", Holds::Currency),
    // Tax details printed on invoices: 纳税人识别号, 地址电话, 开户行及账号.
    ("company.tax_id", Holds::Text { max: 40, default: "" }),
    ("company.invoice_address", Holds::Text { max: 200, default: "" }),
    ("company.bank_account", Holds::Text { max: 200, default: "" }),
    // How far below the applicable price (basis points: 500 is 5 %) a line, or the whole
    // document's discount, may go before a supervisor approves it; 0: any lower price.
    ("sales.approval_discount_bp", Holds::Number { min: 0, max: 10_000, default: 0 }),
    // A document whose total is above this (whole units of the company's currency) needs
    // approval, and one in another currency always does; 0: no limit.
    ("sales.approval_amount", Holds::Number { min: 0, max: 1_000_000, default: 0 }),
    // 1: a line typed in without a product always needs approval (its price has no list to
    // be held to); 0: it is held to the list price it says.
    ("sales.approval_free_lines", Holds::Number { min: 0, max: 1, default: 0 }),
    // How far (metres) from the customer's location a check-in may be before it is marked far.
    ("visit.check_in_tolerance_m", Holds::Number { min: 0, max: 100_000, default: 500 }),
];

pub const DEFAULT_TIMEZONE: &str = "Asia/Shanghai";
pub const DEFAULT_CURRENCY: &str = "CNY";

/// What `key` holds, if it is a setting.
pub fn holds(key: &str) -> Option<Holds> {
    SETTINGS.iter().find(|(k, _)| *k == key).map(|(_, h)| *h)
}

/// Check the `value` and `text` a setting record of `key` is written with: each key takes the
/// one that fits it, within its bounds.
pub fn check(key: &str, value: Option<i64>, text: Option<&str>) -> Vec<FieldError> {
    let Some(holds) = holds(key) else {
        return vec![];
    };
    let mut errors = Vec::new();
    let numeric = matches!(holds, Holds::Number { .. });
    if !numeric && value.is_some() {
        errors.push(FieldError::with("value", "not_for_setting", json!({ "key": key, "use": "text" })));
    }
    if numeric && text.is_some_and(|t| !t.is_empty()) {
        errors.push(FieldError::with("text", "not_for_setting", json!({ "key": key, "use": "value" })));
    }
    match (holds, value, text.filter(|t| !t.is_empty())) {
        (Holds::Number { min, max, .. }, Some(v), _) if !(min..=max).contains(&v) => {
            errors.push(FieldError::with("value", "out_of_range", json!({ "min": min, "max": max })))
        }
        (Holds::Text { max, .. }, _, Some(t)) if t.chars().count() > max => {
            errors.push(FieldError::with("text", "too_long", json!({ "max": max })))
        }
        (Holds::TimeZone, _, Some(t)) if t.parse::<chrono_tz::Tz>().is_err() => errors.push(FieldError::with(
            "text",
            "invalid_timezone",
            json!({ "value": t, "example": DEFAULT_TIMEZONE }),
        )),
        (Holds::Currency, _, Some(t)) if !crate::value::valid_currency(t) => {
            errors.push(FieldError::with("text", "invalid_currency", json!({ "value": t })))
        }
        _ => {}
    }
    errors
}

/// The number a setting record holds on this device, if an admin set one (no default).
/// What a number setting holds when an admin has not set it (0 for a key that holds none).
pub fn default_number(key: &str) -> i64 {
    match holds(key) {
        Some(Holds::Number { default, .. }) => default,
        _ => 0,
    }
}

pub(crate) fn stored_number(conn: &Connection, key: &str) -> Result<Option<i64>> {
    let id = crate::genesis::id_of(Kind::Setting, &[key]);
    Ok(conn
        .prepare_cached("SELECT value FROM p_setting WHERE id = ? AND deleted_at IS NULL")?
        .query_row([&id], |r| r.get(0))
        .optional()?
        .flatten())
}

/// The words a setting record holds on this device, if an admin set them (no default).
pub(crate) fn stored_text(conn: &Connection, key: &str) -> Result<Option<String>> {
    let id = crate::genesis::id_of(Kind::Setting, &[key]);
    Ok(conn
        .prepare_cached("SELECT text FROM p_setting WHERE id = ? AND deleted_at IS NULL")?
        .query_row([&id], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten()
        .filter(|t| !t.is_empty()))
}

/// The company's time zone on this device (`company.timezone`, default Asia/Shanghai).
pub(crate) fn timezone(conn: &Connection) -> Result<chrono_tz::Tz> {
    Ok(zone(stored_text(conn, "company.timezone")?.as_deref()))
}

/// The time zone a `company.timezone` setting names: Asia/Shanghai when unset or not a zone.
pub(crate) fn zone(name: Option<&str>) -> chrono_tz::Tz {
    name.and_then(|n| n.parse().ok()).unwrap_or(chrono_tz::Asia::Shanghai)
}

/// Today's date in the company's time zone.
pub(crate) fn today(conn: &Connection) -> Result<chrono::NaiveDate> {
    Ok(chrono::Utc::now().with_timezone(&timezone(conn)?).date_naive())
}

/// The local day a UTC moment (milliseconds) falls on in `zone`: an order at 23:30 on the last
/// day of a month in Shanghai is that month's.
pub fn local_day(zone: chrono_tz::Tz, ms: i64) -> Option<chrono::NaiveDate> {
    use chrono::TimeZone;
    chrono::Utc.timestamp_millis_opt(ms).single().map(|t| t.with_timezone(&zone).date_naive())
}

/// Local midnight of `day` in `zone`, as UTC milliseconds: where a local day begins.
pub fn midnight_ms(zone: chrono_tz::Tz, day: chrono::NaiveDate) -> i64 {
    use chrono::TimeZone;
    zone.from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
        .earliest()
        .map(|t| t.timestamp_millis())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_key_says_what_it_holds() {
        for key in crate::kind::SETTING_KEYS {
            assert!(holds(key).is_some(), "{key} is not in SETTINGS");
        }
        assert_eq!(SETTINGS.len(), crate::kind::SETTING_KEYS.len());
    }

    #[test]
    fn each_key_takes_what_fits_it() {
        assert!(check("company.timezone", None, Some("Europe/Berlin")).is_empty());
        assert_eq!(check("company.timezone", None, Some("Mars/Olympus"))[0].reason, "invalid_timezone");
        assert_eq!(check("company.currency", None, Some("yuan"))[0].reason, "invalid_currency");
        assert!(check("company.currency", None, Some("USD")).is_empty());
        assert_eq!(check("company.name", Some(3), None)[0].reason, "not_for_setting");
        assert_eq!(check("pool.max_owned", None, Some("ten"))[0].reason, "not_for_setting");
        assert_eq!(check("service.reopen_below", Some(9), None)[0].reason, "out_of_range");
        assert!(check("service.reopen_below", Some(4), None).is_empty());
    }
}
