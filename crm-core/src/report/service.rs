//! Customer service (客户服务): the service requests opened in the period — by type, by status,
//! by period (opened, handled, archived); how long they took from being opened to being
//! assigned, handled and archived; how satisfied the customers were; how many were reopened
//! (`reopened_at`); and per handler. A person's requests are those of their customers and
//! those assigned to them.

use std::collections::BTreeMap;

use rusqlite::Connection;
use serde_json::json;

use super::{cells, chart, code_col, col, mean, share, Cell, Context, Drill, Report, Row, Table};
use crate::error::Result;
use crate::kind::Kind;

struct Request {
    id: String,
    kind: Option<String>,
    status: Option<String>,
    assignee: Option<String>,
    created: i64,
    assigned: Option<i64>,
    handled: Option<i64>,
    archived: Option<i64>,
    reopened: Option<i64>,
    satisfaction: Option<i64>,
}

/// Rows counting requests by a value, most first, with their share and the records.
fn count_by(requests: &[Request], value: impl Fn(&Request) -> Option<String>) -> Vec<Row> {
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in requests {
        groups.entry(value(r).unwrap_or_else(|| "none".into())).or_default().push(r.id.clone());
    }
    let mut ordered: Vec<(String, Vec<String>)> = groups.into_iter().collect();
    ordered.sort_by(|x, y| y.1.len().cmp(&x.1.len()).then_with(|| x.0.cmp(&y.0)));
    ordered
        .into_iter()
        .map(|(v, ids)| Row {
            cells: cells([
                ("value", json!(v)),
                ("requests", json!(ids.len())),
                ("share", json!(share(ids.len() as i64, requests.len() as i64))),
            ]),
            drill: Some(Drill::of(Kind::ServiceRequest, ids)),
        })
        .collect()
}

pub fn run(conn: &Connection, ctx: &Context) -> Result<Report> {
    let (start, end) = ctx.period.bounds_ms();
    let sql = format!(
        "SELECT r.id, r.type, r.status, r.assignee, r.created_at, r.assigned_at, r.handled_at, r.archived_at,
                r.reopened_at, r.satisfaction
         FROM p_service_request r LEFT JOIN p_customer c ON c.id = r.customer
         WHERE r.deleted_at IS NULL AND r.created_at >= {start} AND r.created_at < {end}
           AND ({} OR {})
         ORDER BY r.created_at, r.id",
        ctx.owned("c.owner"),
        ctx.owned("r.assignee")
    );
    let mut stmt = conn.prepare(&sql)?;
    let requests: Vec<Request> = stmt
        .query_map([], |r| {
            Ok(Request {
                id: r.get(0)?,
                kind: r.get(1)?,
                status: r.get(2)?,
                assignee: r.get(3)?,
                created: r.get(4)?,
                assigned: r.get(5)?,
                handled: r.get(6)?,
                archived: r.get(7)?,
                reopened: r.get(8)?,
                satisfaction: r.get(9)?,
            })
        })?
        .collect::<std::result::Result<_, _>>()?;
    let total = requests.len() as i64;
    let value_table = |key: &'static str, codes: &str, rows: Vec<Row>| Table {
        key,
        columns: vec![code_col("value", codes.into()), col("requests", Cell::Count), col("share", Cell::Percent)],
        rows,
        totals: Some(cells([("requests", json!(total))])),
        chart: chart("pie", "value", &["requests"]),
    };
    let by_type = value_table("by_type", "dict:service_type", count_by(&requests, |r| r.kind.clone()));
    let by_status = value_table("by_status", "enum:service_request.status", count_by(&requests, |r| r.status.clone()));

    // By period: opened in each bucket; handled and archived in each bucket (of these requests).
    let labels = ctx.grain.buckets(ctx.period.first, ctx.period.last);
    let mut per: BTreeMap<&str, [i64; 3]> = labels.iter().map(|l| (l.as_str(), [0; 3])).collect();
    let bucket_of = |ms: i64| ctx.period.local_day(ms).filter(|d| ctx.period.contains(*d)).map(|d| ctx.grain.bucket(d));
    for r in &requests {
        for (i, at) in [Some(r.created), r.handled, r.archived].into_iter().enumerate() {
            if let Some(label) = at.and_then(bucket_of) {
                if let Some(counts) = per.get_mut(label.as_str()) {
                    counts[i] += 1;
                }
            }
        }
    }
    let by_period = Table {
        key: "by_period",
        columns: vec![
            col("period", Cell::Period),
            col("opened", Cell::Count),
            col("handled", Cell::Count),
            col("archived", Cell::Count),
        ],
        rows: labels
            .iter()
            .map(|l| {
                let [opened, handled, archived] = per[l.as_str()];
                Row {
                    cells: cells([
                        ("period", json!(l)),
                        ("opened", json!(opened)),
                        ("handled", json!(handled)),
                        ("archived", json!(archived)),
                    ]),
                    drill: None,
                }
            })
            .collect(),
        totals: None,
        chart: chart("bar", "period", &["opened", "handled", "archived"]),
    };

    // How long from being opened, in seconds.
    let took = |pick: fn(&Request) -> Option<i64>| {
        let spans: Vec<i64> =
            requests.iter().filter_map(|r| pick(r).map(|at| (at - r.created).max(0) / 1000)).collect();
        (mean(spans.iter().sum(), spans.len() as i64), spans.len())
    };
    let times = Table {
        key: "times",
        columns: vec![
            code_col("measure", "enum:report.service_times".into()),
            col("average", Cell::Seconds),
            col("requests", Cell::Count),
        ],
        rows: [
            ("to_assign", took(|r| r.assigned)),
            ("to_handle", took(|r| r.handled)),
            ("to_archive", took(|r| r.archived)),
        ]
        .into_iter()
        .map(|(measure, (average, n))| Row {
            cells: cells([("measure", json!(measure)), ("average", json!(average)), ("requests", json!(n))]),
            drill: None,
        })
        .collect(),
        totals: None,
        chart: chart("bar", "measure", &["average"]),
    };

    let rated: Vec<&Request> = requests.iter().filter(|r| r.satisfaction.is_some()).collect();
    let satisfaction = Table {
        key: "satisfaction",
        columns: vec![col("score", Cell::Count), col("requests", Cell::Count), col("share", Cell::Percent)],
        rows: (1..=5)
            .map(|score| {
                let ids: Vec<String> =
                    rated.iter().filter(|r| r.satisfaction == Some(score)).map(|r| r.id.clone()).collect();
                Row {
                    cells: cells([
                        ("score", json!(score)),
                        ("requests", json!(ids.len())),
                        ("share", json!(share(ids.len() as i64, rated.len() as i64))),
                    ]),
                    drill: Some(Drill::of(Kind::ServiceRequest, ids)),
                }
            })
            .collect(),
        totals: Some(cells([("requests", json!(rated.len()))])),
        chart: chart("bar", "score", &["requests"]),
    };

    let reopened: Vec<String> = requests.iter().filter(|r| r.reopened.is_some()).map(|r| r.id.clone()).collect();
    let rating_sum: i64 = rated.iter().filter_map(|r| r.satisfaction).sum();
    let summary = Table {
        key: "summary",
        columns: vec![
            col("requests", Cell::Count),
            col("handled", Cell::Count),
            col("archived", Cell::Count),
            col("reopened", Cell::Count),
            col("reopened_share", Cell::Percent),
            col("satisfaction", Cell::Hundredths),
        ],
        rows: vec![Row {
            cells: cells([
                ("requests", json!(total)),
                ("handled", json!(requests.iter().filter(|r| r.handled.is_some()).count())),
                ("archived", json!(requests.iter().filter(|r| r.archived.is_some()).count())),
                ("reopened", json!(reopened.len())),
                ("reopened_share", json!(share(reopened.len() as i64, total))),
                ("satisfaction", json!(mean(rating_sum * 100, rated.len() as i64))),
            ]),
            drill: Some(Drill::of(Kind::ServiceRequest, reopened)),
        }],
        totals: None,
        chart: None,
    };

    // Per handler.
    let mut handlers: BTreeMap<String, Vec<&Request>> = BTreeMap::new();
    for r in requests.iter() {
        if let Some(who) = &r.assignee {
            handlers.entry(who.clone()).or_default().push(r);
        }
    }
    let handler_rows = handlers
        .into_iter()
        .map(|(who, theirs)| {
            let spans: Vec<i64> = theirs
                .iter()
                .filter_map(|r| Some((r.handled? - r.assigned.unwrap_or(r.created)).max(0) / 1000))
                .collect();
            let rated: Vec<i64> = theirs.iter().filter_map(|r| r.satisfaction).collect();
            Row {
                cells: cells([
                    ("assignee", json!(who)),
                    ("assigned", json!(theirs.len())),
                    ("handled", json!(theirs.iter().filter(|r| r.handled.is_some()).count())),
                    ("average_handle", json!(mean(spans.iter().sum(), spans.len() as i64))),
                    ("satisfaction", json!(mean(rated.iter().sum::<i64>() * 100, rated.len() as i64))),
                    ("reopened", json!(theirs.iter().filter(|r| r.reopened.is_some()).count())),
                ]),
                drill: Some(Drill::of(Kind::ServiceRequest, theirs.iter().map(|r| r.id.clone()).collect())),
            }
        })
        .collect();
    let handlers = Table {
        key: "handlers",
        columns: vec![
            col("assignee", Cell::User),
            col("assigned", Cell::Count),
            col("handled", Cell::Count),
            col("average_handle", Cell::Seconds),
            col("satisfaction", Cell::Hundredths),
            col("reopened", Cell::Count),
        ],
        rows: handler_rows,
        totals: None,
        chart: chart("bar", "assignee", &["assigned", "handled"]),
    };
    Ok(Report {
        name: "service",
        filters: serde_json::Map::new(),
        tables: vec![summary, by_type, by_status, by_period, times, satisfaction, handlers],
        other_currency: 0,
    })
}
