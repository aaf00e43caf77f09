//! Customer composition (客户构成): the customers by grade, type, industry, region, source,
//! status or owner (`by`, default grade) — how many and what share at the end of the period,
//! and how that stood at the end of each period bucket (customers made by then, counted by what
//! they are now: a customer's earlier grades are in its document's history, not in the read
//! model). Customers without a value are counted as `none`.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use rusqlite::Connection;
use serde_json::json;

use super::{cells, chart, col, share, Cell, Column, Context, Drill, Report, Row, Table};
use crate::error::Result;
use crate::kind::{FieldType, Kind};

/// What customers can be grouped by.
pub const BY: &[&str] = &["grade", "type", "industry", "region", "source", "status", "owner"];

/// The value of a customer without one.
pub const NONE: &str = "none";

/// The customers of one value, and how many of them were made by each bucket's end.
type Members = (Vec<String>, Vec<i64>);

/// The column a value of `by` is: a dictionary's code, or a user.
fn value_column(key: &str, by: &str) -> Column {
    match Kind::Customer.spec().field(by).map(|f| f.ty) {
        Some(FieldType::Dict(dict)) => super::code_col(key, format!("dict:{dict}")),
        _ => col(key, Cell::User),
    }
}

pub fn run(conn: &Connection, ctx: &Context) -> Result<Report> {
    let by = ctx.choice("by", BY)?;
    let (_, end) = ctx.period.bounds_ms();
    let sql = format!(
        "SELECT id, {by}, created_at FROM p_customer WHERE deleted_at IS NULL AND created_at < {end} AND {owned}",
        owned = ctx.owned("owner")
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows =
        stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, i64>(2)?)))?;
    // The buckets and the last day of each.
    let labels = ctx.grain.buckets(ctx.period.first, ctx.period.last);
    let mut last_days: Vec<NaiveDate> = Vec::with_capacity(labels.len());
    let mut day = ctx.period.first;
    while day <= ctx.period.last {
        let label = ctx.grain.bucket(day);
        let next = day + Duration::days(1);
        if next > ctx.period.last || ctx.grain.bucket(next) != label {
            last_days.push(day);
        }
        day = next;
    }
    // Per value: the customers, and how many were made by each bucket's end.
    let mut by_value: BTreeMap<String, Members> = BTreeMap::new();
    for row in rows {
        let (id, value, created) = row?;
        let value = value.filter(|v| !v.is_empty()).unwrap_or_else(|| NONE.to_string());
        let made = ctx.period.local_day(created).unwrap_or(ctx.period.first);
        let entry = by_value.entry(value).or_insert_with(|| (Vec::new(), vec![0; last_days.len()]));
        entry.0.push(id);
        // Counted from the first bucket that ends on or after the day it was made.
        let from = last_days.partition_point(|last| *last < made);
        if let Some(slot) = entry.1.get_mut(from) {
            *slot += 1;
        }
    }
    let total: usize = by_value.values().map(|(ids, _)| ids.len()).sum();
    let mut ordered: Vec<(&String, &Members)> = by_value.iter().collect();
    ordered.sort_by(|x, y| y.1 .0.len().cmp(&x.1 .0.len()).then_with(|| x.0.cmp(y.0)));
    let now_rows = ordered
        .iter()
        .map(|(value, (ids, _))| Row {
            cells: cells([
                ("value", json!(value)),
                ("customers", json!(ids.len())),
                ("share", json!(share(ids.len() as i64, total as i64))),
            ]),
            drill: Some(Drill::of(Kind::Customer, ids.clone())),
        })
        .collect();
    let now = Table {
        key: "now",
        columns: vec![value_column("value", by), col("customers", Cell::Count), col("share", Cell::Percent)],
        rows: now_rows,
        totals: Some(cells([("customers", json!(total)), ("share", json!(share(total as i64, total as i64)))])),
        chart: chart("pie", "value", &["customers"]),
    };
    // Over time: one column per value, the running count at each bucket's end.
    let mut columns = vec![col("period", Cell::Period)];
    let mut series = Vec::new();
    for (value, _) in &ordered {
        let mut column = value_column(value, by);
        column.cell = Cell::Count;
        columns.push(column);
        series.push(value.as_str());
    }
    let mut running: Vec<i64> = vec![0; ordered.len()];
    let mut time_rows = Vec::new();
    for (i, label) in labels.iter().enumerate() {
        let mut row = cells([("period", json!(label))]);
        for (v, (value, (_, made))) in ordered.iter().enumerate() {
            running[v] += made[i];
            row.insert((*value).clone(), json!(running[v]));
        }
        time_rows.push(Row { cells: row, drill: None });
    }
    let over_time =
        Table { key: "over_time", columns, rows: time_rows, totals: None, chart: chart("line", "period", &series) };
    Ok(Report {
        name: "composition",
        filters: cells([("by", json!(by))]),
        tables: vec![now, over_time],
        other_currency: 0,
    })
}
