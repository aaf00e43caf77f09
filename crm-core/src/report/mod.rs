//! Reports: queries over the device's read models, for the person's scope, with periods in
//! the company's time zone. One module per report; every report answers the same shape — named
//! tables of typed columns, each with the chart that draws it and, per row, the records behind
//! it — so the app, `crm report` and the spreadsheet export read them alike.
//!
//! Scope follows the access rules: the records on a device are already what its person may
//! read, and a report narrows them to whose figures are asked for — a salesperson's own, a
//! supervisor's team's, everyone's for an admin or finance (`Who`). Deleted records never
//! count; a restored one counts again (the read models say which are live). Money is integer
//! minor units of one currency per report (the company's unless asked); records in another
//! currency are left out and counted in `other_currency`.

pub mod churn;
pub mod composition;
pub mod contribution;
pub mod funnel;
pub mod performance;
pub mod period;
pub mod receivables;
pub mod service;
pub mod xlsx;

use chrono::NaiveDate;
use rusqlite::Connection;
use serde::Serialize;
use serde_json::{json, Map as JsonMap, Value as Json};

use crate::access::Role;
use crate::domain::sales::div_round;
use crate::error::{Error, FieldError, Result};
use crate::kind::Kind;
use crate::store::Store;
pub use period::{Grain, Period};

/// Every report, by name.
pub const REPORTS: &[&str] =
    &["contribution", "composition", "service", "churn", "funnel", "performance", "receivables"];

/// An option's value from text (a command line, a query string): a number when it reads as
/// one (`a=70`), else the words (`basis=payments`).
pub fn option_value(text: &str) -> Json {
    text.parse::<i64>().map(Json::from).unwrap_or_else(|_| Json::String(text.to_string()))
}

/// What a report is asked for (`report` op, `crm report`).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// The range, local days `YYYY-MM-DD` both included; by default this month.
    pub from: Option<String>,
    pub to: Option<String>,
    /// How time is grouped: `day`, `week`, `month` (default), `quarter`, `year`.
    pub group_by: Option<String>,
    /// Whose figures: `mine`, `team`, `all`; by default the widest the person may see.
    pub scope: Option<String>,
    /// One person's figures (within the scope the person may see).
    pub owner: Option<String>,
    /// The currency money is counted in; by default the company's.
    pub currency: Option<String>,
    /// What one report takes besides (`basis`, `a`, `b` for contribution; `by` for
    /// composition).
    pub options: JsonMap<String, Json>,
}

/// A report's answer.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    pub name: &'static str,
    /// What it was computed for, filled in: `from`, `to`, `group_by`, `scope`, `owner`,
    /// `currency`, `timezone`, and the report's own options.
    pub filters: JsonMap<String, Json>,
    pub tables: Vec<Table>,
    /// Records left out because their money is in another currency than the report's.
    pub other_currency: usize,
}

/// One table: its columns, rows, totals, and how to chart it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Table {
    pub key: &'static str,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
    /// The total row, where adding up means something.
    pub totals: Option<JsonMap<String, Json>>,
    pub chart: Option<Chart>,
}

/// What a column holds; cells are JSON values of that type (`null`: none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cell {
    /// Words.
    Text,
    /// A code (of the dictionary or enum the column names in `codes`), translated by the app.
    Code,
    /// A user's id.
    User,
    /// A period's label (`2026-11`, `2026-Q4`, `2026-W48`, `2026-11-24`, `2026`).
    Period,
    /// A date, `YYYY-MM-DD`.
    Date,
    /// A whole number.
    Count,
    /// Integer minor units of the report's currency.
    Money,
    /// Hundredths of a percent (basis points): `8000` is 80.00 %.
    Percent,
    /// A duration in seconds.
    Seconds,
    /// Hundredths (an average rating: `425` is 4.25).
    Hundredths,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Column {
    pub key: String,
    #[serde(rename = "type")]
    pub cell: Cell,
    /// For `code` columns: `dict:NAME` (a dictionary) or `enum:KIND.FIELD` (a fixed set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codes: Option<String>,
}

pub fn col(key: &str, cell: Cell) -> Column {
    Column { key: key.to_string(), cell, codes: None }
}

pub fn code_col(key: &str, codes: String) -> Column {
    Column { key: key.to_string(), cell: Cell::Code, codes: Some(codes) }
}

/// One row: its cells by column key, and the records behind it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Row {
    pub cells: JsonMap<String, Json>,
    pub drill: Option<Drill>,
}

/// The records behind a row (what tapping its bar shows): their kind and ids, at most
/// [`DRILL_MAX`] of `total`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Drill {
    pub kind: Kind,
    pub ids: Vec<String>,
    pub total: usize,
}

/// The most ids a drill-down carries.
pub const DRILL_MAX: usize = 200;

impl Drill {
    pub fn of(kind: Kind, ids: Vec<String>) -> Drill {
        let total = ids.len();
        let mut ids = ids;
        ids.truncate(DRILL_MAX);
        Drill { kind, ids, total }
    }
}

/// How a table is drawn: `x` the column along the axis (or the slices), `series` the columns
/// drawn.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Chart {
    #[serde(rename = "type")]
    pub chart: &'static str,
    pub x: String,
    pub series: Vec<String>,
}

pub fn chart(kind: &'static str, x: &str, series: &[&str]) -> Option<Chart> {
    Some(Chart { chart: kind, x: x.to_string(), series: series.iter().map(|s| s.to_string()).collect() })
}

/// Whose figures a report counts.
#[derive(Debug, Clone, PartialEq)]
pub enum Who {
    /// Everyone's on the device (an admin, finance, a viewer without a team).
    All,
    /// These people's.
    Owners(Vec<String>),
}

/// What every report computes with.
pub struct Context {
    pub period: Period,
    pub grain: Grain,
    pub who: Who,
    pub currency: String,
    pub today: NaiveDate,
    pub options: JsonMap<String, Json>,
}

impl Context {
    /// An SQL condition that `column` (an owner, an assignee) is one of the people counted;
    /// `1` for everyone. The people are in `temp.report_owners` (see [`Store::report`]).
    pub fn owned(&self, column: &str) -> String {
        match self.who {
            Who::All => "1".into(),
            Who::Owners(_) => format!("{column} IN (SELECT id FROM temp.report_owners)"),
        }
    }

    /// A whole-number option between `min` and `max`, or its default.
    pub fn number(&self, name: &str, default: i64, min: i64, max: i64) -> Result<i64> {
        match self.options.get(name) {
            None | Some(Json::Null) => Ok(default),
            Some(v) => match v.as_i64().filter(|n| (min..=max).contains(n)) {
                Some(n) => Ok(n),
                None => Err(invalid(name, "out_of_range", json!({ "min": min, "max": max }))),
            },
        }
    }

    /// A word option among `allowed`, or the first.
    pub fn choice(&self, name: &str, allowed: &[&'static str]) -> Result<&'static str> {
        match self.options.get(name) {
            None | Some(Json::Null) => Ok(allowed[0]),
            Some(v) => v
                .as_str()
                .and_then(|s| allowed.iter().copied().find(|a| *a == s))
                .ok_or_else(|| invalid(name, "invalid_option", json!({ "allowed": allowed }))),
        }
    }
}

pub fn invalid(field: &str, reason: &'static str, params: Json) -> Error {
    Error::Validation(vec![FieldError::with(field, reason, params)])
}

/// `part` of `whole` in basis points (the one rounding rule, `sales::div_round`); `None` for
/// nothing of nothing.
pub fn share(part: i64, whole: i64) -> Option<i64> {
    (whole != 0).then(|| div_round(i128::from(part) * 10_000, i128::from(whole)) as i64)
}

/// The mean of `sum` over `count`, by the same rule, in the same unit; `None` when empty.
pub fn mean(sum: i64, count: i64) -> Option<i64> {
    (count > 0).then(|| div_round(i128::from(sum), i128::from(count)) as i64)
}

/// Cells from `(key, value)` pairs.
pub fn cells<const N: usize>(pairs: [(&str, Json); N]) -> JsonMap<String, Json> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

impl Store {
    /// Report `name` for `params`, for the person working on this device.
    pub fn report(&mut self, name: &str, params: &Params) -> Result<Report> {
        let Some(name) = REPORTS.iter().copied().find(|r| *r == name) else {
            return Err(invalid("name", "unknown_report", json!({ "allowed": REPORTS })));
        };
        let context = self.report_context(params)?;
        set_owners(&self.conn, &context.who)?;
        let mut report = match name {
            "contribution" => contribution::run(&self.conn, &context)?,
            "composition" => composition::run(&self.conn, &context)?,
            "service" => service::run(&self.conn, &context)?,
            "churn" => churn::run(&self.conn, &context)?,
            "funnel" => funnel::run(&self.conn, &context)?,
            "performance" => performance::run(&self.conn, &context)?,
            _ => receivables::run(&self.conn, &context)?,
        };
        let mut filters = cells([
            ("from", json!(period::day_text(context.period.first))),
            ("to", json!(period::day_text(context.period.last))),
            ("group_by", json!(context.grain)),
            ("scope", json!(scope_name(&context.who, params))),
            ("owner", json!(params.owner)),
            ("currency", json!(context.currency)),
            ("timezone", json!(context.period.zone.name())),
        ]);
        filters.extend(report.filters);
        report.filters = filters;
        Ok(report)
    }

    /// Everyone's name by user id (the spreadsheet writes people by name).
    pub fn display_names(&self) -> Result<std::collections::HashMap<String, String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, COALESCE(display_name, username, id) FROM p_user WHERE deleted_at IS NULL")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    fn report_context(&self, params: &Params) -> Result<Context> {
        let today = crate::settings::today(&self.conn)?;
        let zone = crate::settings::timezone(&self.conn)?;
        let period = Period::parse(params.from.as_deref(), params.to.as_deref(), today, zone)?;
        let grain = match params.group_by.as_deref() {
            None => Grain::Month,
            Some(g) => Grain::parse(g)
                .ok_or_else(|| invalid("group_by", "invalid_option", json!({ "allowed": Grain::ALL })))?,
        };
        let currency = match &params.currency {
            Some(c) if crate::value::valid_currency(c) => c.clone(),
            Some(_) => return Err(invalid("currency", "invalid_currency", json!({}))),
            None => crate::settings::stored_text(&self.conn, "company.currency")?.unwrap_or_else(|| "CNY".into()),
        };
        Ok(Context { period, grain, who: self.report_who(params)?, currency, today, options: params.options.clone() })
    }

    /// Whose figures: what was asked, within what the person may see — their own for a
    /// salesperson, their team's (and their own) for a supervisor or a viewer with a team,
    /// everyone's for an admin, finance, or a viewer without a team.
    fn report_who(&self, params: &Params) -> Result<Who> {
        let me = self.person();
        let teams = self.teams()?;
        let team_of = |team: &Option<String>| -> Vec<String> {
            let mut people: Vec<String> =
                teams.iter().filter(|(_, t)| t.is_some() && *t == team).map(|(u, _)| u.clone()).collect();
            if !people.contains(&me.user_id) {
                people.push(me.user_id.clone());
            }
            people.sort();
            people
        };
        let widest = match (me.role, &me.team) {
            (Role::Admin | Role::Finance, _) | (Role::Viewer, None) => Who::All,
            (Role::Supervisor | Role::Viewer, Some(_)) => Who::Owners(team_of(&me.team)),
            (Role::Supervisor, None) => Who::Owners(vec![me.user_id.clone()]),
            (Role::AccountManager, _) => Who::Owners(vec![me.user_id.clone()]),
        };
        let allowed = |who: &Who, person: &str| match who {
            Who::All => true,
            Who::Owners(people) => people.iter().any(|p| p == person),
        };
        let forbidden = |what: &str| Error::Refused {
            code: "forbidden",
            reason: format!("you may not see {what}'s figures"),
            params: json!({ "scope": what }),
        };
        let asked = match params.scope.as_deref() {
            None => widest.clone(),
            Some("mine") => Who::Owners(vec![me.user_id.clone()]),
            Some("team") => match (&widest, &me.team) {
                (Who::All, Some(_)) => Who::Owners(team_of(&me.team)),
                (Who::All, None) => Who::All,
                (Who::Owners(people), _) if people.len() > 1 || me.role != Role::AccountManager => widest.clone(),
                _ => return Err(forbidden("the team")),
            },
            Some("all") => match widest {
                Who::All => Who::All,
                _ => return Err(forbidden("everyone")),
            },
            Some(_) => return Err(invalid("scope", "invalid_option", json!({ "allowed": ["mine", "team", "all"] }))),
        };
        match &params.owner {
            None => Ok(asked),
            Some(owner) if allowed(&asked, owner) => Ok(Who::Owners(vec![owner.clone()])),
            Some(_) => Err(forbidden("this person")),
        }
    }
}

fn scope_name(who: &Who, params: &Params) -> &'static str {
    match (params.scope.as_deref(), who) {
        (Some("mine"), _) => "mine",
        (Some("team"), _) => "team",
        (_, Who::All) => "all",
        (_, Who::Owners(people)) if people.len() == 1 => "mine",
        _ => "team",
    }
}

/// Put the people counted where [`Context::owned`] reads them.
fn set_owners(conn: &Connection, who: &Who) -> Result<()> {
    conn.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS report_owners (id TEXT PRIMARY KEY); DELETE FROM temp.report_owners;",
    )?;
    if let Who::Owners(people) = who {
        let mut insert = conn.prepare_cached("INSERT OR IGNORE INTO temp.report_owners (id) VALUES (?)")?;
        for person in people {
            insert.execute([person])?;
        }
    }
    Ok(())
}

/// The ids of `kind`'s records an SQL query selects (its first column), for a drill-down.
pub fn ids(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map(params, |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::{mean, share};

    #[test]
    fn shares_and_means_round_half_away_from_zero_in_integers() {
        assert_eq!(share(1, 3), Some(3333));
        assert_eq!(share(2, 3), Some(6667));
        assert_eq!(share(1, 8), Some(1250));
        assert_eq!(share(5, 0), None);
        assert_eq!(mean(7, 2), Some(4));
        assert_eq!(mean(5, 4), Some(1));
        assert_eq!(mean(0, 0), None);
        assert_eq!(share(-1, 8), Some(-1250));
        assert_eq!(share(-1, 3), Some(-3333));
    }
}
