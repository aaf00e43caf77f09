//! Reminders: what needs the person's attention, in one list, soonest first — follow-ups due
//! (of customers and of leads), service requests due or overdue (and, for supervisors, waiting to be assigned), churn
//! warnings, and customers the server will soon return to the pool. Computed on the device
//! from the read models, for the person's scope, offline; the app shows them on home and as
//! desktop notifications while it runs.

use chrono::{Duration, NaiveDate};
use serde::Serialize;

use crate::error::Result;
use crate::kind::Kind;
use crate::query::Quiet;
use crate::store::Store;
use crate::value::now_ms;

/// Service requests due within this many days are reminded of.
const SERVICE_DUE_SOON_DAYS: i64 = 2;

/// One thing to do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reminder {
    /// `follow_up`, `lead_follow_up`, `service_due`, `service_unassigned`, `churn_warning`, `churn_dormant` or
    /// `recycle_warning`.
    pub reason: &'static str,
    /// The record to open: the activity, the lead, the service request, or the customer.
    pub id: String,
    pub kind: Kind,
    pub title: String,
    pub customer_id: Option<String>,
    pub customer_name: Option<String>,
    /// The day it is due (a follow-up, a request's due date, the day a customer counts as
    /// dormant or goes back to the pool), `YYYY-MM-DD`.
    pub due: String,
    pub overdue: bool,
}

impl Store {
    /// Everything `owner` (everyone on this device when `None`) should act on, soonest first.
    pub fn reminders(&self, owner: Option<&str>) -> Result<Vec<Reminder>> {
        // The company's day (`company.timezone`), as the agenda's.
        let today = crate::settings::today(&self.conn)?;
        let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
        let mut out = Vec::new();
        for f in self.follow_ups(&day(today), owner)? {
            let title = f.activity.fields.get("subject").and_then(|s| s.as_str()).unwrap_or_default().to_string();
            out.push(Reminder {
                reason: "follow_up",
                id: f.activity.id.clone(),
                kind: Kind::Activity,
                title,
                customer_id: Some(f.customer_id),
                customer_name: Some(f.customer_name),
                due: f.due,
                overdue: f.overdue,
            });
        }
        out.extend(self.lead_reminders(owner, &day(today))?);
        out.extend(self.service_reminders(owner, today)?);
        for w in self.churn_warnings(owner, 200)? {
            let name = w.customer.fields.get("name").and_then(|s| s.as_str()).unwrap_or_default().to_string();
            out.push(Reminder {
                reason: if w.stage == "dormant" { "churn_dormant" } else { "churn_warning" },
                id: w.customer.id.clone(),
                kind: Kind::Customer,
                title: name.clone(),
                customer_id: Some(w.customer.id.clone()),
                customer_name: Some(name),
                overdue: w.stage == "dormant",
                due: w.dormant_on,
            });
        }
        out.extend(self.recycle_reminders(owner, today)?);
        out.sort_by(|a, b| a.due.cmp(&b.due).then_with(|| a.reason.cmp(b.reason)));
        Ok(out)
    }

    /// Open leads of `owner` (everyone's owned ones when `None`; the pool's are nobody's to
    /// follow up) to follow up today or before: by the lead's own `next_follow_up`, or by that
    /// of an activity logged on it that no later activity on the lead has answered yet.
    fn lead_reminders(&self, owner: Option<&str>, today: &str) -> Result<Vec<Reminder>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT l.id, l.name, l.company, MIN(d.due) FROM (
                 SELECT id AS lead, next_follow_up AS due FROM p_lead
                 WHERE next_follow_up IS NOT NULL AND next_follow_up <= ?1
                 UNION ALL
                 SELECT t.lead, t.next_follow_up FROM p_activity t
                 WHERE t.customer IS NULL AND t.lead IS NOT NULL AND t.deleted_at IS NULL
                   AND t.next_follow_up IS NOT NULL AND t.next_follow_up <= ?1
                   AND NOT EXISTS (SELECT 1 FROM p_activity n WHERE n.lead = t.lead AND n.customer IS NULL
                                   AND n.deleted_at IS NULL AND n.time > t.time)
             ) d JOIN p_lead l ON l.id = d.lead
             WHERE l.deleted_at IS NULL AND l.status IN ('new', 'following') AND l.owner IS NOT NULL
               AND (?2 IS NULL OR l.owner = ?2)
             GROUP BY l.id ORDER BY MIN(d.due) LIMIT 500",
        )?;
        let rows = stmt.query_map(rusqlite::params![today, owner], |r| {
            let (name, company): (Option<String>, Option<String>) = (r.get(1)?, r.get(2)?);
            let due: String = r.get(3)?;
            Ok(Reminder {
                reason: "lead_follow_up",
                id: r.get(0)?,
                kind: Kind::Lead,
                title: match company.filter(|c| !c.is_empty()) {
                    Some(company) => format!("{} · {company}", name.unwrap_or_default()),
                    None => name.unwrap_or_default(),
                },
                customer_id: None,
                customer_name: None,
                overdue: due.as_str() < today,
                due,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Requests assigned to `owner` that are due soon or overdue; and for everyone on the
    /// device (`owner: None`, a supervisor's view), also those waiting to be assigned.
    fn service_reminders(&self, owner: Option<&str>, today: NaiveDate) -> Result<Vec<Reminder>> {
        let soon = (today + Duration::days(SERVICE_DUE_SOON_DAYS)).format("%Y-%m-%d").to_string();
        let today_text = today.format("%Y-%m-%d").to_string();
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.id, r.title, r.customer, c.name, r.due, r.status FROM p_service_request r
             LEFT JOIN p_customer c ON c.id = r.customer
             WHERE r.deleted_at IS NULL AND (
                 (r.status = 'assigned' AND r.due IS NOT NULL AND r.due <= ?1 AND (?2 IS NULL OR r.assignee = ?2))
                 OR (?2 IS NULL AND r.status = 'new'))
             ORDER BY r.due LIMIT 500",
        )?;
        let rows = stmt.query_map(rusqlite::params![soon, owner], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, title, customer, customer_name, due, status) = row?;
            let unassigned = status.as_deref() == Some("new");
            let due = due.unwrap_or_else(|| today_text.clone());
            out.push(Reminder {
                reason: if unassigned { "service_unassigned" } else { "service_due" },
                id,
                kind: Kind::ServiceRequest,
                title: title.unwrap_or_default(),
                customer_id: customer,
                customer_name,
                overdue: due < today_text,
                due,
            });
        }
        Ok(out)
    }

    /// Customers of `owner` within their grade's warning days of being returned to the pool.
    fn recycle_reminders(&self, owner: Option<&str>, today: NaiveDate) -> Result<Vec<Reminder>> {
        let zone = crate::settings::timezone(&self.conn)?;
        let rules = self.grade_rules()?;
        let now = now_ms();
        let cutoff = |recycle: i64, warning: i64| {
            if recycle > 0 {
                now.saturating_sub((recycle - warning).max(0).saturating_mul(86_400_000))
            } else {
                i64::MIN // never
            }
        };
        let fallback = rules.iter().find(|r| r.grade.is_none());
        let by_grade: Vec<(String, i64)> = rules
            .iter()
            .filter_map(|r| r.grade.clone().map(|g| (g, cutoff(r.recycle_days, r.recycle_warning_days))))
            .collect();
        if by_grade.iter().all(|(_, c)| *c == i64::MIN) && fallback.is_none_or(|f| f.recycle_days == 0) {
            return Ok(Vec::new());
        }
        let quiet = Quiet {
            cutoff: fallback.map(|f| cutoff(f.recycle_days, f.recycle_warning_days)).unwrap_or(i64::MIN),
            by_grade: &by_grade,
            since_taken: true,
        };
        let mut out = Vec::new();
        for row in self.quiet_customers(owner, &quiet, 200)? {
            let fields = &row.customer.fields;
            if fields.get("owner").and_then(|o| o.as_str()).is_none() {
                continue;
            }
            let grade = fields.get("grade").and_then(|g| g.as_str());
            let Some(rule) = rules.iter().find(|r| r.grade.as_deref() == grade && grade.is_some()).or(fallback) else {
                continue;
            };
            // The local day of the last contact, as `today` is: a call at 01:00 in Shanghai is
            // that day's, not the previous UTC day's.
            let since = crate::settings::local_day(zone, row.since).unwrap_or(today);
            let due = since + Duration::days(rule.recycle_days);
            let name = fields.get("name").and_then(|s| s.as_str()).unwrap_or_default().to_string();
            out.push(Reminder {
                reason: "recycle_warning",
                id: row.customer.id.clone(),
                kind: Kind::Customer,
                title: name.clone(),
                customer_id: Some(row.customer.id.clone()),
                customer_name: Some(name),
                overdue: due <= today,
                due: due.format("%Y-%m-%d").to_string(),
            });
        }
        Ok(out)
    }
}
