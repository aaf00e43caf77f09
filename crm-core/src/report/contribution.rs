//! Customer contribution (客户贡献): revenue per customer for the period — confirmed orders by
//! the day they were ordered (`basis: orders`, the default) or confirmed payments by the day
//! they were received (`basis: payments`) — ranked, with each customer's share, the
//! cumulative share, its ABC class, and the change against the period before.
//!
//! ABC: customers in order of revenue; a customer is `A` while the cumulative share before it
//! is below `a` percent (default 80: the customer that crosses 80 % is still `A`), `B` while it
//! is below `b` (default 95), else `C`. Customers who bought in the previous period and not in
//! this one are listed last with no revenue and no class: what was lost.

use std::collections::HashMap;

use rusqlite::Connection;
use serde_json::{json, Value as Json};

use super::{cells, chart, code_col, col, share, Cell, Context, Drill, Period, Report, Row, Table};
use crate::domain::sales::{BILLED_ORDER, COLLECTED};
use crate::error::Result;
use crate::kind::Kind;

/// What counts as revenue.
pub const BASES: &[&str] = &["orders", "payments"];

/// One customer's revenue in a period, with the records behind it.
#[derive(Default)]
struct Bought {
    name: String,
    revenue: i64,
    records: Vec<String>,
}

/// Revenue per customer in `period`; and how many records were in another currency.
fn revenue(conn: &Connection, ctx: &Context, basis: &str, period: &Period) -> Result<(HashMap<String, Bought>, usize)> {
    let sql = match basis {
        "payments" => {
            let (first, last) = period.day_bounds();
            format!(
                "SELECT t.id, t.customer, IFNULL(c.name, ''), t.amount_minor, t.amount_currency FROM p_payment t
                 LEFT JOIN p_customer c ON c.id = t.customer
                 WHERE t.deleted_at IS NULL AND t.status = '{COLLECTED}' AND t.amount_minor IS NOT NULL
                   AND t.received_on >= '{first}' AND t.received_on <= '{last}' AND {owned}",
                owned = ctx.owned("t.owner")
            )
        }
        _ => {
            let (start, end) = period.bounds_ms();
            let states = BILLED_ORDER.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ");
            format!(
                "SELECT t.id, t.customer, IFNULL(c.name, ''), t.total_minor, t.total_currency FROM p_order t
                 LEFT JOIN p_customer c ON c.id = t.customer
                 WHERE t.deleted_at IS NULL AND t.status IN ({states}) AND t.total_minor IS NOT NULL
                   AND t.ordered_at >= {start} AND t.ordered_at < {end} AND {owned}",
                owned = ctx.owned("t.owner")
            )
        }
    };
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, Option<String>>(4)?,
        ))
    })?;
    let mut out: HashMap<String, Bought> = HashMap::new();
    let mut other = 0;
    for row in rows {
        let (id, customer, name, amount, currency) = row?;
        if currency.as_deref() != Some(ctx.currency.as_str()) {
            other += 1;
            continue;
        }
        let bought = out.entry(customer.unwrap_or_default()).or_default();
        bought.name = name;
        bought.revenue += amount;
        bought.records.push(id);
    }
    Ok((out, other))
}

pub fn run(conn: &Connection, ctx: &Context) -> Result<Report> {
    let basis = ctx.choice("basis", BASES)?;
    let a = ctx.number("a", 80, 1, 100)?;
    let b = ctx.number("b", 95, a, 100)?;
    let (now, other_currency) = revenue(conn, ctx, basis, &ctx.period)?;
    let (before, _) = revenue(conn, ctx, basis, &ctx.period.previous())?;
    let drill_kind = if basis == "payments" { Kind::Payment } else { Kind::Order };

    let mut ranked: Vec<(&String, &Bought)> = now.iter().filter(|(_, b)| b.revenue != 0).collect();
    ranked.sort_by(|x, y| y.1.revenue.cmp(&x.1.revenue).then_with(|| x.1.name.cmp(&y.1.name)));
    let total: i64 = ranked.iter().map(|(_, b)| b.revenue).sum();
    let previous_total: i64 = before.values().map(|b| b.revenue).sum();

    let mut rows = Vec::new();
    let mut running = 0i64;
    let mut classes: Vec<(&str, i64, i64)> = vec![("A", 0, 0), ("B", 0, 0), ("C", 0, 0)];
    for (rank, (customer, bought)) in ranked.iter().enumerate() {
        // The class is decided by the share before this customer, in basis points.
        let before_share = share(running, total).unwrap_or(0);
        let class = if before_share < a * 100 {
            0
        } else if before_share < b * 100 {
            1
        } else {
            2
        };
        running += bought.revenue;
        classes[class].1 += 1;
        classes[class].2 += bought.revenue;
        let previous = before.get(*customer).map(|p| p.revenue).unwrap_or(0);
        rows.push(Row {
            cells: cells([
                ("rank", json!(rank + 1)),
                ("customer", json!(bought.name)),
                ("revenue", json!(bought.revenue)),
                ("share", json!(share(bought.revenue, total))),
                ("cumulative", json!(share(running, total))),
                ("class", json!(classes[class].0)),
                ("previous", json!(previous)),
                ("change", json!(share(bought.revenue - previous, previous))),
            ]),
            drill: Some(Drill::of(drill_kind, bought.records.clone())),
        });
    }
    // What was lost: bought before, nothing now.
    let mut lost: Vec<(&String, &Bought)> =
        before.iter().filter(|(c, p)| p.revenue != 0 && now.get(*c).is_none_or(|n| n.revenue == 0)).collect();
    lost.sort_by(|x, y| y.1.revenue.cmp(&x.1.revenue).then_with(|| x.1.name.cmp(&y.1.name)));
    for (_, was) in lost {
        rows.push(Row {
            cells: cells([
                ("rank", Json::Null),
                ("customer", json!(was.name)),
                ("revenue", json!(0)),
                ("share", json!(share(0, total))),
                ("cumulative", Json::Null),
                ("class", Json::Null),
                ("previous", json!(was.revenue)),
                ("change", json!(-10_000)),
            ]),
            drill: Some(Drill::of(drill_kind, was.records.clone())),
        });
    }
    let customers = Table {
        key: "customers",
        columns: vec![
            col("rank", Cell::Count),
            col("customer", Cell::Text),
            col("revenue", Cell::Money),
            col("share", Cell::Percent),
            col("cumulative", Cell::Percent),
            code_col("class", "enum:abc".into()),
            col("previous", Cell::Money),
            col("change", Cell::Percent),
        ],
        rows,
        totals: Some(cells([
            ("customer", json!(ranked.len())),
            ("revenue", json!(total)),
            ("share", json!(share(total, total))),
            ("previous", json!(previous_total)),
            ("change", json!(share(total - previous_total, previous_total))),
        ])),
        chart: chart("bar", "customer", &["revenue", "previous"]),
    };
    let class_rows = classes
        .iter()
        .map(|(class, count, sum)| Row {
            cells: cells([
                ("class", json!(class)),
                ("customers", json!(count)),
                ("revenue", json!(sum)),
                ("share", json!(share(*sum, total))),
            ]),
            drill: None,
        })
        .collect();
    let classes = Table {
        key: "classes",
        columns: vec![
            code_col("class", "enum:abc".into()),
            col("customers", Cell::Count),
            col("revenue", Cell::Money),
            col("share", Cell::Percent),
        ],
        rows: class_rows,
        totals: None,
        chart: chart("pie", "class", &["revenue"]),
    };
    Ok(Report {
        name: "contribution",
        filters: super::cells([("basis", json!(basis)), ("a", json!(a)), ("b", json!(b))]),
        tables: vec![customers, classes],
        other_currency,
    })
}
