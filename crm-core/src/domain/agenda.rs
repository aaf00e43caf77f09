//! The agenda: one calendar of what a person has on each day — visits, calls and meetings
//! logged or planned, follow-ups due, service requests due, contracts ending and payment-plan
//! periods falling due — from the read models on the device, offline. Days are the company's
//! (`company.timezone`): a visit at 23:30 in Shanghai is on that Shanghai day.

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value as Json;

use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::store::Store;
use crate::value::{format_datetime, now_ms};

/// Most days one agenda request covers (a month view with the weeks around it).
pub const MAX_DAYS: i64 = 62;

/// One thing on a day.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AgendaEntry {
    /// The day, `YYYY-MM-DD` in the company's time zone.
    pub date: String,
    /// The moment, for what has one (an activity), RFC 3339 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// `activity` (its `type` in `activity_type`), `plan_stop`, `follow_up`, `service_due`,
    /// `contract_end` or `payment_due`.
    pub what: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity_type: Option<String>,
    /// The record to open.
    pub id: String,
    pub kind: Kind,
    pub title: String,
    pub customer_id: Option<String>,
    pub customer_name: Option<String>,
    /// A plan stop's place in the agenda's plan order (stops of a day sort by it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<usize>,
    /// A payment-plan period's amount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Json>,
    /// An activity in the past is done; everything else is to do.
    pub done: bool,
    /// Due before today and not done.
    pub overdue: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Agenda {
    pub from: String,
    pub to: String,
    pub today: String,
    /// What is on today and not done: the badge.
    pub due_today: usize,
    /// By day, then by time (entries without one after those with), then by title.
    pub entries: Vec<AgendaEntry>,
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn parse_day(field: &str, text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| Error::field(field.to_string(), "invalid_date"))
}

impl Store {
    /// `owner`'s agenda (everyone's on this device when `None`) from `from` to `to`, both days
    /// included, at most [`MAX_DAYS`].
    pub fn agenda(&self, from: &str, to: &str, owner: Option<&str>) -> Result<Agenda> {
        let (first, last) = (parse_day("from", from)?, parse_day("to", to)?);
        let days = (last - first).num_days();
        if !(0..MAX_DAYS).contains(&days) {
            return Err(Error::Validation(vec![crate::error::FieldError::with(
                "to",
                "out_of_range",
                serde_json::json!({ "min": day(first), "max": day(first + chrono::Duration::days(MAX_DAYS - 1)) }),
            )]));
        }
        let zone = crate::settings::timezone(&self.conn)?;
        let today = crate::settings::today(&self.conn)?;
        let midnight = |d: NaiveDate| crate::settings::midnight_ms(zone, d);
        let (start_ms, end_ms) = (midnight(first), midnight(last + chrono::Duration::days(1)));
        let (from, to) = (day(first), day(last));
        let now = now_ms();
        let mut entries = Vec::new();

        // Activities in the range, done or planned.
        let mut stmt = self.conn.prepare_cached(
            "SELECT t.id, t.time, t.type, IFNULL(t.subject, ''), t.customer, c.name FROM p_activity t
             LEFT JOIN p_customer c ON c.id = t.customer
             WHERE t.deleted_at IS NULL AND t.time >= ?1 AND t.time < ?2 AND (?3 IS NULL OR t.owner = ?3)",
        )?;
        let rows = stmt.query_map(rusqlite::params![start_ms, end_ms, owner], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
            ))
        })?;
        for row in rows {
            let (id, time, kind, subject, customer_id, customer_name) = row?;
            // An activity without a subject (a visit checked in on the spot) is titled by its
            // customer, as a plan stop is.
            let subject = if subject.is_empty() { customer_name.clone().unwrap_or_default() } else { subject };
            let date = crate::settings::local_day(zone, time).map(day);
            entries.push(AgendaEntry {
                date: date.unwrap_or_default(),
                at: Some(format_datetime(time)),
                what: "activity",
                activity_type: kind,
                stop: None,
                id,
                kind: Kind::Activity,
                title: subject,
                customer_id,
                customer_name,
                amount: None,
                done: time <= now,
                overdue: false,
            });
        }
        drop(stmt);

        // Visit plans' stops, in the plan's order; done once its owner visited that customer
        // that day.
        let mut stmt = self.conn.prepare_cached(
            "SELECT t.id, s.date, s.customer, c.name, IFNULL(s.note, ''), t.owner FROM p_visit_plan__stops s
             JOIN p_visit_plan t ON t.id = s.record_id LEFT JOIN p_customer c ON c.id = s.customer
             WHERE t.deleted_at IS NULL AND s.date >= ?1 AND s.date <= ?2 AND (?3 IS NULL OR t.owner = ?3)
             ORDER BY s.date, t.id, s.position",
        )?;
        let rows = stmt.query_map(rusqlite::params![from, to, owner], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
            ))
        })?;
        let stops: Vec<_> = rows.collect::<rusqlite::Result<_>>()?;
        drop(stmt);
        let mut visited = self.conn.prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM p_activity WHERE customer = ?1 AND type = 'visit' AND deleted_at IS NULL
             AND (?2 IS NULL OR owner = ?2) AND time >= ?3 AND time < ?4)",
        )?;
        for (order, (id, date, customer_id, customer_name, note, plan_owner)) in stops.into_iter().enumerate() {
            let Ok(d) = NaiveDate::parse_from_str(&date, "%Y-%m-%d") else { continue };
            let (start, end) = (midnight(d), midnight(d + chrono::Duration::days(1)));
            let done: bool = visited.query_row(rusqlite::params![customer_id, plan_owner, start, end], |r| r.get(0))?;
            let title = if note.is_empty() { customer_name.clone().unwrap_or_default() } else { note };
            let mut entry =
                todo(date, "plan_stop", id, Kind::VisitPlan, title, Some(customer_id), customer_name, &today);
            entry.done = done;
            entry.overdue &= !done;
            entry.stop = Some(order);
            entries.push(entry);
        }
        drop(visited);

        // Follow-ups: the latest activity of a customer says when to come back.
        let follow_ups = "SELECT t.id, t.next_follow_up, IFNULL(t.subject, ''), t.customer, c.name FROM p_activity t
             JOIN p_customer c ON c.id = t.customer
             WHERE t.deleted_at IS NULL AND c.deleted_at IS NULL
               AND t.next_follow_up >= ?1 AND t.next_follow_up <= ?2 AND (?3 IS NULL OR t.owner = ?3)
               AND NOT EXISTS (SELECT 1 FROM p_activity n WHERE n.customer = t.customer
                               AND n.deleted_at IS NULL AND n.time > t.time)";
        // Service requests due, not handled yet, for whoever they are assigned to.
        let requests = "SELECT t.id, t.due, IFNULL(t.title, ''), t.customer, c.name FROM p_service_request t
             LEFT JOIN p_customer c ON c.id = t.customer
             WHERE t.deleted_at IS NULL AND t.due >= ?1 AND t.due <= ?2
               AND IFNULL(t.status, 'new') IN ('new', 'assigned') AND (?3 IS NULL OR t.assignee = ?3)";
        // Contracts in force ending.
        let endings =
            "SELECT t.id, t.end_date, IFNULL(t.title, IFNULL(t.code, '')), t.customer, c.name FROM p_contract t
             LEFT JOIN p_customer c ON c.id = t.customer
             WHERE t.deleted_at IS NULL AND t.end_date >= ?1 AND t.end_date <= ?2
               AND IFNULL(t.status, '') IN ('signed', 'executing') AND (?3 IS NULL OR t.owner = ?3)";
        for (sql, what, kind) in [
            (follow_ups, "follow_up", Kind::Activity),
            (requests, "service_due", Kind::ServiceRequest),
            (endings, "contract_end", Kind::Contract),
        ] {
            let mut stmt = self.conn.prepare_cached(sql)?;
            let rows = stmt.query_map(rusqlite::params![from, to, owner], |r| {
                Ok(todo(r.get(1)?, what, r.get(0)?, kind, r.get(2)?, r.get(3)?, r.get(4)?, &today))
            })?;
            for entry in rows {
                entries.push(entry?);
            }
        }

        // Payment-plan periods of contracts in force falling due.
        let billed = super::sales::BILLED_CONTRACT.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT t.id, p.due, p.amount, IFNULL(t.currency, 'CNY'), IFNULL(t.title, IFNULL(t.code, '')), t.customer, c.name
             FROM p_contract__plan p JOIN p_contract t ON t.id = p.record_id
             LEFT JOIN p_customer c ON c.id = t.customer
             WHERE t.deleted_at IS NULL AND p.due >= ?1 AND p.due <= ?2
               AND IFNULL(t.status, '') IN ({billed}) AND (?3 IS NULL OR t.owner = ?3)"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params![from, to, owner], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<i64>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<String>>(6)?,
            ))
        })?;
        for row in rows {
            let (id, due, amount, currency, title, customer_id, customer_name) = row?;
            let mut entry = todo(due, "payment_due", id, Kind::Contract, title, customer_id, customer_name, &today);
            entry.amount = Some(serde_json::json!({ "minor": amount.unwrap_or(0), "currency": currency }));
            entries.push(entry);
        }
        drop(stmt);

        entries.sort_by(|a, b| {
            (&a.date, a.at.is_none(), &a.at, a.stop.is_none(), a.stop, &a.title, &a.id).cmp(&(
                &b.date,
                b.at.is_none(),
                &b.at,
                b.stop.is_none(),
                b.stop,
                &b.title,
                &b.id,
            ))
        });
        let today = day(today);
        let due_today = entries.iter().filter(|e| e.date == today && !e.done).count();
        Ok(Agenda { from, to, today, due_today, entries })
    }
}

/// Something to do on `date`.
#[allow(clippy::too_many_arguments)]
fn todo(
    date: String,
    what: &'static str,
    id: String,
    kind: Kind,
    title: String,
    customer_id: Option<String>,
    customer_name: Option<String>,
    today: &NaiveDate,
) -> AgendaEntry {
    let overdue = date < day(*today);
    AgendaEntry {
        date,
        at: None,
        what,
        activity_type: None,
        stop: None,
        id,
        kind,
        title,
        customer_id,
        customer_name,
        amount: None,
        done: false,
        overdue,
    }
}
