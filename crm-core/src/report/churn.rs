//! Customer churn (客户流失): the churn cases whose episode began in the period — warnings still
//! open, postponed, confirmed lost and recovered — by the customer's grade and by period, and
//! the reasons given for those confirmed or postponed.

use std::collections::BTreeMap;

use rusqlite::Connection;
use serde_json::json;

use super::{cells, chart, code_col, col, period::parse_date, Cell, Context, Drill, Report, Row, Table};
use crate::error::Result;
use crate::kind::{Kind, CHURN_STATES};

pub fn run(conn: &Connection, ctx: &Context) -> Result<Report> {
    let (first, last) = ctx.period.day_bounds();
    let sql = format!(
        "SELECT k.id, k.status, k.episode, c.grade, k.reason FROM p_churn_case k
         LEFT JOIN p_customer c ON c.id = k.customer
         WHERE k.deleted_at IS NULL AND k.episode >= '{first}' AND k.episode <= '{last}' AND {owned}
         ORDER BY k.episode, k.id",
        owned = ctx.owned("c.owner")
    );
    let mut stmt = conn.prepare(&sql)?;
    type Case = (String, Option<String>, String, Option<String>, Option<String>);
    let cases: Vec<Case> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
        .collect::<std::result::Result<_, _>>()?;

    let tally = |groups: BTreeMap<String, Vec<&Case>>, key: &str| -> Vec<Row> {
        groups
            .into_iter()
            .map(|(value, theirs)| {
                let mut row = cells([(key, json!(value))]);
                for state in CHURN_STATES {
                    let n = theirs.iter().filter(|c| c.1.as_deref().unwrap_or("warning") == *state).count();
                    row.insert(state.to_string(), json!(n));
                }
                row.insert("cases".into(), json!(theirs.len()));
                Row {
                    cells: row,
                    drill: Some(Drill::of(Kind::ChurnCase, theirs.iter().map(|c| c.0.clone()).collect())),
                }
            })
            .collect()
    };

    // One row per value of `key` (a grade, a period), a column per state.
    let by_state = |key: &'static str, first: super::Column, groups: BTreeMap<String, Vec<&Case>>| {
        let mut columns = vec![first];
        columns.extend(CHURN_STATES.iter().map(|s| col(s, Cell::Count)));
        columns.push(col("cases", Cell::Count));
        let x = if key == "by_grade" { "grade" } else { "period" };
        Table { key, columns, rows: tally(groups, x), totals: None, chart: chart("stacked_bar", x, CHURN_STATES) }
    };
    let mut grades: BTreeMap<String, Vec<&Case>> = BTreeMap::new();
    for case in &cases {
        grades.entry(case.3.clone().unwrap_or_else(|| "none".into())).or_default().push(case);
    }
    let mut by_grade = by_state("by_grade", code_col("grade", "dict:customer_grade".into()), grades);
    by_grade.totals = Some(cells([("cases", json!(cases.len()))]));
    let mut periods: BTreeMap<String, Vec<&Case>> =
        ctx.grain.buckets(ctx.period.first, ctx.period.last).into_iter().map(|l| (l, Vec::new())).collect();
    for case in &cases {
        if let Some(day) = parse_date(&case.2) {
            periods.entry(ctx.grain.bucket(day)).or_default().push(case);
        }
    }
    let by_period = by_state("by_period", col("period", Cell::Period), periods);

    // The reasons, as people wrote them (the same words counted together).
    let mut reasons: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for case in &cases {
        let closed = matches!(case.1.as_deref(), Some("confirmed" | "postponed"));
        if let Some(reason) = case.4.as_deref().map(str::trim).filter(|r| closed && !r.is_empty()) {
            reasons.entry(reason.to_string()).or_default().push(case.0.clone());
        }
    }
    let mut reasons: Vec<(String, Vec<String>)> = reasons.into_iter().collect();
    reasons.sort_by(|x, y| y.1.len().cmp(&x.1.len()).then_with(|| x.0.cmp(&y.0)));
    let reasons = Table {
        key: "reasons",
        columns: vec![col("reason", Cell::Text), col("cases", Cell::Count)],
        rows: reasons
            .into_iter()
            .map(|(reason, ids)| Row {
                cells: cells([("reason", json!(reason)), ("cases", json!(ids.len()))]),
                drill: Some(Drill::of(Kind::ChurnCase, ids)),
            })
            .collect(),
        totals: None,
        chart: chart("bar", "reason", &["cases"]),
    };
    Ok(Report {
        name: "churn",
        filters: serde_json::Map::new(),
        tables: vec![by_grade, by_period, reasons],
        other_currency: 0,
    })
}
