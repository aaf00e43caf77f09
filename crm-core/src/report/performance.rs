//! Performance (业绩): per person, and per team, for the period — visits made, other
//! follow-ups (calls, meetings, messages), new customers (made in the period, by their owner),
//! the amount won (opportunities won with their expected close in the period), the amount
//! collected (confirmed payments received in the period) — against their monthly targets
//! (`sales_target`; a period counts the whole target of every month it touches). A team's
//! figures and targets are its members' added up.

use std::collections::{BTreeMap, HashMap};

use rusqlite::Connection;
use serde_json::{json, Map as JsonMap, Value as Json};

use super::{cells, chart, col, share, Cell, Context, Report, Row, Table, Who};
use crate::domain::sales::COLLECTED;
use crate::error::Result;

/// The measures, in their column order.
const MEASURES: &[&str] = &["visits", "follow_ups", "new_customers", "won", "collected"];

/// The people's monthly targets, by person and month (`YYYY-MM`): won, collected, visits, new
/// customers (money in the report's currency; a target in another is left out).
pub struct Targets(HashMap<(String, String), [Option<i64>; 4]>);

/// The targets of the people counted for the months from the period's first to its last.
pub fn targets(conn: &Connection, ctx: &Context) -> Result<Targets> {
    let first = ctx.period.first.format("%Y-%m").to_string();
    let last = ctx.period.last.format("%Y-%m").to_string();
    let sql = format!(
        "SELECT owner, month, won_minor, won_currency, collected_minor, collected_currency, visits, new_customers
         FROM p_sales_target WHERE deleted_at IS NULL AND month >= '{first}' AND month <= '{last}' AND {owned}",
        owned = ctx.owned("owner")
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| {
        let money =
            |minor: Option<i64>, currency: Option<String>| minor.filter(|_| currency.as_deref() == Some(&ctx.currency));
        Ok((
            (r.get::<_, String>(0)?, r.get::<_, String>(1)?),
            [money(r.get(2)?, r.get(3)?), money(r.get(4)?, r.get(5)?), r.get(6)?, r.get(7)?],
        ))
    })?;
    Ok(Targets(rows.collect::<std::result::Result<_, _>>()?))
}

impl Targets {
    /// The won target of everyone counted for the months in a period bucket (a month, quarter
    /// or year label).
    /// `None` when nobody counted has one.
    pub fn won_in(&self, ctx: &Context, bucket: &str) -> Option<i64> {
        self.0
            .iter()
            .filter(|((_, month), _)| {
                super::period::parse_date(&format!("{month}-01")).is_some_and(|d| ctx.grain.bucket(d) == bucket)
            })
            .filter_map(|(_, t)| t[0])
            .fold(None, |sum, won| Some(sum.unwrap_or(0) + won))
    }

    /// A person's targets over the whole period: won, collected, visits, new customers.
    fn of(&self, person: &str) -> [Option<i64>; 4] {
        let mut out = [None; 4];
        for ((who, _), t) in &self.0 {
            if who == person {
                for (slot, value) in out.iter_mut().zip(t) {
                    if let Some(v) = value {
                        *slot = Some(slot.unwrap_or(0) + v);
                    }
                }
            }
        }
        out
    }
}

/// Sum rows of `(person, figures)` per person.
fn tally(conn: &Connection, sql: &str, into: &mut BTreeMap<String, [i64; 5]>, slot: usize) -> Result<()> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)?)))?;
    for row in rows {
        let (person, n) = row?;
        if let Some(person) = person {
            into.entry(person).or_default()[slot] += n;
        }
    }
    Ok(())
}

pub fn run(conn: &Connection, ctx: &Context) -> Result<Report> {
    let (start, end) = ctx.period.bounds_ms();
    let (first, last) = ctx.period.day_bounds();
    let cur = &ctx.currency;
    let mut figures: BTreeMap<String, [i64; 5]> = BTreeMap::new();
    let activity = |visits: bool| {
        format!(
            "SELECT owner, COUNT(*) FROM p_activity WHERE deleted_at IS NULL AND time >= {start} AND time < {end}
             AND type {} 'visit' AND {} GROUP BY owner",
            if visits { "=" } else { "!=" },
            ctx.owned("owner")
        )
    };
    tally(conn, &activity(true), &mut figures, 0)?;
    tally(conn, &activity(false), &mut figures, 1)?;
    tally(
        conn,
        &format!(
            "SELECT owner, COUNT(*) FROM p_customer WHERE deleted_at IS NULL AND created_at >= {start}
             AND created_at < {end} AND {} GROUP BY owner",
            ctx.owned("owner")
        ),
        &mut figures,
        2,
    )?;
    // Money: won opportunities by their expected close, confirmed payments by the day received.
    for (slot, table, day, condition) in [
        (3, "p_opportunity", "expected_close", "stage = 'won'".to_string()),
        (4, "p_payment", "received_on", format!("status = '{COLLECTED}'")),
    ] {
        let sql = format!(
            "SELECT owner, SUM(amount_minor) FROM {table} WHERE deleted_at IS NULL AND {condition}
             AND {day} >= '{first}' AND {day} <= '{last}' AND amount_currency = '{cur}' AND {}
             GROUP BY owner",
            ctx.owned("owner")
        );
        tally(conn, &sql, &mut figures, slot)?;
    }
    let targets = targets(conn, ctx)?;
    // Everyone counted appears, with figures or not; everyone on the device for `All`.
    let people: Vec<(String, Option<String>)> = {
        let mut stmt = conn.prepare("SELECT id, team FROM p_user WHERE deleted_at IS NULL ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)))?;
        rows.collect::<std::result::Result<_, _>>()?
    };
    let counted = |person: &str| match &ctx.who {
        Who::All => true,
        Who::Owners(list) => list.iter().any(|p| p == person),
    };
    let mut rows = Vec::new();
    let mut teams: BTreeMap<String, ([i64; 5], [Option<i64>; 4])> = BTreeMap::new();
    let mut listed: Vec<String> = people.iter().map(|(p, _)| p.clone()).filter(|p| counted(p)).collect();
    for person in figures.keys() {
        if !listed.contains(person) && counted(person) {
            listed.push(person.clone());
        }
    }
    let team_of: HashMap<&str, Option<&str>> = people.iter().map(|(p, t)| (p.as_str(), t.as_deref())).collect();
    for person in &listed {
        let f = figures.get(person).copied().unwrap_or_default();
        let t = targets.of(person);
        if f.iter().all(|n| *n == 0) && t.iter().all(Option::is_none) {
            continue;
        }
        rows.push(Row { cells: measured("person", json!(person), f, t), drill: None });
        let team = team_of.get(person.as_str()).copied().flatten().unwrap_or("none").to_string();
        let entry = teams.entry(team).or_insert(([0; 5], [None; 4]));
        for (sum, n) in entry.0.iter_mut().zip(f) {
            *sum += n;
        }
        for (sum, n) in entry.1.iter_mut().zip(t) {
            if let Some(n) = n {
                *sum = Some(sum.unwrap_or(0) + n);
            }
        }
    }
    let columns = |first: super::Column| {
        let mut out = vec![first];
        for m in MEASURES {
            out.push(col(m, if matches!(*m, "won" | "collected") { Cell::Money } else { Cell::Count }));
        }
        for (m, cell) in
            [("won", Cell::Money), ("collected", Cell::Money), ("visits", Cell::Count), ("new_customers", Cell::Count)]
        {
            out.push(col(&format!("{m}_target"), cell));
            out.push(col(&format!("{m}_rate"), Cell::Percent));
        }
        out
    };
    let people_table = Table {
        key: "people",
        columns: columns(col("person", Cell::User)),
        rows,
        totals: None,
        chart: chart("bar", "person", &["won", "won_target", "collected", "collected_target"]),
    };
    let team_rows = teams
        .into_iter()
        .map(|(team, (f, t))| Row { cells: measured("team", json!(team), f, t), drill: None })
        .collect();
    let teams_table = Table {
        key: "teams",
        columns: columns(col("team", Cell::Text)),
        rows: team_rows,
        totals: None,
        chart: chart("bar", "team", &["won", "won_target", "collected", "collected_target"]),
    };
    Ok(Report {
        name: "performance",
        filters: JsonMap::new(),
        tables: vec![people_table, teams_table],
        other_currency: 0,
    })
}

/// A row of figures `f` against targets `t`, keyed by `key`.
fn measured(key: &str, who: Json, f: [i64; 5], t: [Option<i64>; 4]) -> JsonMap<String, Json> {
    let mut row = cells([(key, who)]);
    for (m, n) in MEASURES.iter().zip(f) {
        row.insert(m.to_string(), json!(n));
    }
    // Targets in their order: won, collected, visits, new customers; against the figure.
    for (i, (m, figure)) in
        [("won", f[3]), ("collected", f[4]), ("visits", f[0]), ("new_customers", f[2])].into_iter().enumerate()
    {
        row.insert(format!("{m}_target"), json!(t[i]));
        row.insert(format!("{m}_rate"), json!(t[i].and_then(|target| share(figure, target))));
    }
    row
}
