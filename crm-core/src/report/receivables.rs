//! Receivables (应收账款): what each customer owes today, and how old it is. What a customer
//! was billed (`sales_views::billed_documents`: contracts signed or later, by their payment
//! plan's due dates — the rest of a contract's total from its signing — and orders outside a
//! contract, from the day they were ordered) is paid off oldest first by their confirmed
//! payments; what is left is aged by the days since it fell due: not yet due, 0–30, 31–60,
//! 61–90 and over 90 days.

use std::collections::HashMap;

use chrono::NaiveDate;
use rusqlite::Connection;
use serde_json::json;

use super::{cells, chart, code_col, col, period::parse_date, Cell, Context, Drill, Report, Row, Table};
use crate::domain::sales::COLLECTED;
use crate::domain::sales_views::billed_documents;
use crate::error::Result;
use crate::kind::Kind;

/// The ageing buckets, in order.
pub const BUCKETS: &[&str] = &["not_due", "d0_30", "d31_60", "d61_90", "d90_plus"];

fn bucket(today: NaiveDate, due: NaiveDate) -> usize {
    match (today - due).num_days() {
        d if d < 0 => 0,
        0..=30 => 1,
        31..=60 => 2,
        61..=90 => 3,
        _ => 4,
    }
}

pub fn run(conn: &Connection, ctx: &Context) -> Result<Report> {
    let today = ctx.today;
    let mut customers: HashMap<String, String> = HashMap::new();
    {
        let sql =
            format!("SELECT id, IFNULL(name, '') FROM p_customer WHERE deleted_at IS NULL AND {}", ctx.owned("owner"));
        let mut stmt = conn.prepare(&sql)?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
            let (id, name) = row?;
            customers.insert(id, name);
        }
    }
    let mut plans: HashMap<String, Vec<(NaiveDate, i64)>> = HashMap::new();
    {
        let mut stmt = conn.prepare("SELECT record_id, due, amount FROM p_contract__plan")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, Option<i64>>(2)?))
        })?;
        for row in rows {
            if let (id, Some(due), Some(amount)) = row? {
                if let Some(due) = parse_date(&due) {
                    plans.entry(id).or_default().push((due, amount));
                }
            }
        }
    }
    // What each customer was billed, as (due day, amount) items.
    let mut items: HashMap<String, Vec<(NaiveDate, i64)>> = HashMap::new();
    let mut other_currency = 0;
    for billed in billed_documents(conn, None)? {
        if !customers.contains_key(&billed.customer) {
            continue;
        }
        if billed.currency != ctx.currency {
            other_currency += 1;
            continue;
        }
        let from = match billed.kind {
            Kind::Order => billed.ordered_at.and_then(|ms| ctx.period.local_day(ms)),
            _ => billed.signed_date.as_deref().and_then(parse_date),
        }
        .unwrap_or(today);
        let theirs = items.entry(billed.customer.clone()).or_default();
        let mut left = billed.total;
        for (due, amount) in plans.get(&billed.record).into_iter().flatten() {
            let part = (*amount).min(left).max(0);
            if part > 0 {
                theirs.push((*due, part));
                left -= part;
            }
        }
        if left > 0 {
            theirs.push((from, left));
        }
    }
    let mut collected: HashMap<String, i64> = HashMap::new();
    {
        let mut stmt = conn.prepare(
            "SELECT customer, SUM(amount_minor) FROM p_payment WHERE deleted_at IS NULL AND status = ?1
             AND amount_currency = ?2 AND amount_minor IS NOT NULL GROUP BY customer",
        )?;
        let rows = stmt.query_map(rusqlite::params![COLLECTED, ctx.currency], |r| {
            Ok((r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)?))
        })?;
        for row in rows {
            if let (Some(customer), paid) = row? {
                collected.insert(customer, paid);
            }
        }
    }

    let mut rows = Vec::new();
    let mut totals = [0i64; 5];
    let mut owing = [0usize; 5];
    for (customer, mut theirs) in items {
        theirs.sort();
        let mut paid = collected.get(&customer).copied().unwrap_or(0);
        let mut aged = [0i64; 5];
        let mut oldest: Option<NaiveDate> = None;
        for (due, amount) in theirs {
            let covered = paid.min(amount);
            paid -= covered;
            if amount > covered {
                aged[bucket(today, due)] += amount - covered;
                oldest.get_or_insert(due);
            }
        }
        let outstanding: i64 = aged.iter().sum();
        if outstanding <= 0 {
            continue;
        }
        for (i, a) in aged.iter().enumerate() {
            totals[i] += a;
            owing[i] += usize::from(*a > 0);
        }
        let mut row = cells([
            ("customer", json!(customers.get(&customer))),
            ("outstanding", json!(outstanding)),
            ("oldest", json!(oldest.map(super::period::day_text))),
        ]);
        for (key, a) in BUCKETS.iter().zip(aged) {
            row.insert(key.to_string(), json!(a));
        }
        rows.push((outstanding, Row { cells: row, drill: Some(Drill::of(Kind::Customer, vec![customer])) }));
    }
    rows.sort_by(|x, y| {
        y.0.cmp(&x.0).then_with(|| x.1.cells["customer"].as_str().cmp(&y.1.cells["customer"].as_str()))
    });
    let mut columns = vec![col("customer", Cell::Text), col("outstanding", Cell::Money)];
    columns.extend(BUCKETS.iter().map(|b| col(b, Cell::Money)));
    columns.push(col("oldest", Cell::Date));
    let mut total_row = cells([("customer", json!(rows.len())), ("outstanding", json!(totals.iter().sum::<i64>()))]);
    for (key, a) in BUCKETS.iter().zip(totals) {
        total_row.insert(key.to_string(), json!(a));
    }
    let by_customer = Table {
        key: "customers",
        columns,
        rows: rows.into_iter().map(|(_, r)| r).collect(),
        totals: Some(total_row),
        chart: chart("stacked_bar", "customer", BUCKETS),
    };
    let ageing = Table {
        key: "ageing",
        columns: vec![
            code_col("bucket", "enum:report.ageing".into()),
            col("amount", Cell::Money),
            col("customers", Cell::Count),
        ],
        rows: BUCKETS
            .iter()
            .enumerate()
            .map(|(i, b)| Row {
                cells: cells([("bucket", json!(b)), ("amount", json!(totals[i])), ("customers", json!(owing[i]))]),
                drill: None,
            })
            .collect(),
        totals: None,
        chart: chart("bar", "bucket", &["amount"]),
    };
    Ok(Report {
        name: "receivables",
        filters: cells([("as_of", json!(super::period::day_text(today)))]),
        tables: vec![by_customer, ageing],
        other_currency,
    })
}
