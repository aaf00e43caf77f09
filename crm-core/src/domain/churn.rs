//! Churn: customers who have had no business for too long raise a warning before they are
//! forgotten or taken by a competitor, and the responsible salesperson either postpones the
//! churn (暂缓流失, with the measures taken and a date to look again) or confirms it (确定流失,
//! with the reason; the customer's status becomes lost).
//!
//! The rules are per customer grade (`grade_rule` records an admin keeps, with defaults
//! here). Warnings are computed on the device from its read models, for the person's scope,
//! offline. A case is one `churn_case` per customer episode — the episode is the day of the
//! last business the warning counts from — with an id derived from it (`crate::genesis`), so
//! two devices opening it offline write one case.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::OptionalExtension;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::query::{Item, Quiet};
use crate::store::Store;
use crate::value::now_ms;

/// A grade's dormancy rules, in days.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GradeRule {
    /// `None`: customers with no grade.
    pub grade: Option<String>,
    /// Days without business after which the customer counts as dormant (churning).
    pub churn_days: i64,
    /// Days before that when the warning starts.
    pub churn_warning_days: i64,
    /// Days without business after which the server returns the customer to the pool (0: never).
    pub recycle_days: i64,
    /// Days before that when the owner is warned.
    pub recycle_warning_days: i64,
}

/// The rules when the admin has set none for a grade: key accounts are watched closest.
pub fn default_rule(grade: Option<&str>) -> GradeRule {
    let (churn_days, churn_warning_days) = match grade {
        Some("A") => (30, 7),
        Some("B") => (60, 14),
        Some("C") => (90, 14),
        Some("D") => (180, 30),
        _ => (90, 14),
    };
    GradeRule {
        grade: grade.map(str::to_string),
        churn_days,
        churn_warning_days,
        recycle_days: 0,
        recycle_warning_days: 0,
    }
}

/// What a customer's churn case says, as a warning shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseSummary {
    pub id: String,
    pub status: String,
    pub review_date: Option<String>,
}

/// A customer whose business has gone quiet for longer than its grade allows (or soon will).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChurnWarning {
    pub customer: Item,
    /// Its latest activity, RFC 3339 (quiet time counts from it, or from when the customer
    /// was created or its owner took it, when later: `episode`).
    pub last_business_at: Option<String>,
    /// The day the warning counts from: the episode a case for it belongs to.
    pub episode: String,
    pub days_quiet: i64,
    /// `warning` (within the warning days) or `dormant` (past the grade's churn days).
    pub stage: &'static str,
    /// The day it counts as dormant.
    pub dormant_on: String,
    /// The open case of this episode, if one was opened.
    pub case: Option<CaseSummary>,
}

fn day_of(ms: i64) -> NaiveDate {
    DateTime::<Utc>::from_timestamp_millis(ms).map(|d| d.date_naive()).unwrap_or_default()
}

impl Store {
    /// Every grade's rules: the admin's `grade_rule` records, else the defaults.
    pub fn grade_rules(&self) -> Result<Vec<GradeRule>> {
        let mut grades: Vec<String> = self
            .conn
            .prepare_cached(
                "SELECT code FROM p_dict_entry WHERE dict = 'customer_grade' AND deleted_at IS NULL ORDER BY sort_order",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        grades.dedup();
        let mut out = Vec::new();
        for grade in grades.iter().map(|g| Some(g.as_str())).chain([None]) {
            let mut rule = default_rule(grade);
            if let Some(grade) = grade {
                type Days = (Option<i64>, Option<i64>, Option<i64>, Option<i64>);
                let set: Option<Days> = self
                    .conn
                    .prepare_cached(
                        "SELECT churn_days, churn_warning_days, recycle_days, recycle_warning_days FROM p_grade_rule
                         WHERE grade = ? AND deleted_at IS NULL",
                    )?
                    .query_row([grade], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                    .optional()?;
                if let Some((churn, warning, recycle, recycle_warning)) = set {
                    rule.churn_days = churn.unwrap_or(rule.churn_days);
                    rule.churn_warning_days = warning.unwrap_or(rule.churn_warning_days);
                    rule.recycle_days = recycle.unwrap_or(rule.recycle_days);
                    rule.recycle_warning_days = recycle_warning.unwrap_or(rule.recycle_warning_days);
                }
            }
            out.push(rule);
        }
        Ok(out)
    }

    /// Churn warnings for the customers of `owner` (all on this device when `None`), quietest
    /// first: customers within their grade's warning days or past its churn days, except those
    /// whose case of this episode is closed (confirmed, recovered) or postponed to a later day,
    /// and those already lost.
    pub fn churn_warnings(&self, owner: Option<&str>, limit: usize) -> Result<Vec<ChurnWarning>> {
        let now = now_ms();
        let today = day_of(now);
        let rules = self.grade_rules()?;
        let cutoff = |rule: &GradeRule| {
            now.saturating_sub((rule.churn_days - rule.churn_warning_days).max(0).saturating_mul(86_400_000))
        };
        let fallback = rules.iter().find(|r| r.grade.is_none()).cloned().unwrap_or_else(|| default_rule(None));
        let by_grade: Vec<(String, i64)> =
            rules.iter().filter_map(|r| r.grade.clone().map(|g| (g, cutoff(r)))).collect();
        let quiet = Quiet { cutoff: cutoff(&fallback), by_grade: &by_grade, since_taken: true };
        // Every case on the device at once (few: one per episode someone acted on).
        let mut cases: std::collections::HashMap<(String, String), CaseSummary> = Default::default();
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, customer, episode, status, review_date FROM p_churn_case WHERE deleted_at IS NULL",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })?;
        for row in rows {
            let (id, customer, episode, status, review_date) = row?;
            let (Some(customer), Some(episode)) = (customer, episode) else { continue };
            let status = status.unwrap_or_else(|| "warning".into());
            cases.insert((customer, episode), CaseSummary { id, status, review_date });
        }
        drop(stmt);
        let mut out = Vec::new();
        for row in self.quiet_customers(owner, &quiet, limit)? {
            let fields = &row.customer.fields;
            if fields.get("owner").and_then(|o| o.as_str()).is_none() {
                continue; // in the pool: nobody's to lose
            }
            if fields.get("status").and_then(|s| s.as_str()) == Some("lost") {
                continue;
            }
            let grade = fields.get("grade").and_then(|g| g.as_str());
            let rule = rules.iter().find(|r| r.grade.as_deref() == grade && grade.is_some()).unwrap_or(&fallback);
            let since = day_of(row.since);
            let episode = since.format("%Y-%m-%d").to_string();
            let case = cases.get(&(row.customer.id.clone(), episode.clone())).cloned();
            match case.as_ref().map(|c| c.status.as_str()) {
                Some("confirmed" | "recovered") => continue,
                Some("postponed") => {
                    let later =
                        case.as_ref().and_then(|c| c.review_date.as_deref()).map(|d| d > today.to_string().as_str());
                    if later.unwrap_or(false) {
                        continue;
                    }
                }
                _ => {}
            }
            let days_quiet = (today - since).num_days();
            let dormant_on = since + Duration::days(rule.churn_days);
            out.push(ChurnWarning {
                customer: row.customer,
                last_business_at: row.last_activity_at,
                episode,
                days_quiet,
                stage: if today >= dormant_on { "dormant" } else { "warning" },
                dormant_on: dormant_on.format("%Y-%m-%d").to_string(),
                case,
            });
        }
        Ok(out)
    }

    /// Open (or find) the churn case of a customer's current episode: the same record on every
    /// device that opens it, offline or not. Returns its id.
    pub fn open_churn_case(&mut self, customer: &str) -> Result<String> {
        let kind = self.kind_of(customer)?;
        if kind != Kind::Customer {
            return Err(Error::field("customer", "unknown_reference"));
        }
        let episode = day_of(self.quiet_since(customer)?).format("%Y-%m-%d").to_string();
        let id = crate::genesis::id_of(Kind::ChurnCase, &[customer, &episode]);
        if self.kind_of(&id).is_ok() {
            return Ok(id);
        }
        let scope: Option<String> =
            self.conn.query_row("SELECT owner FROM p_customer WHERE id = ?", [customer], |r| r.get(0))?;
        if !self.person().can_write(Kind::ChurnCase, scope.as_deref(), &self.teams()?) {
            return Err(Error::Forbidden { action: "write", kind: Kind::ChurnCase.to_string() });
        }
        self.open_identified(Kind::ChurnCase, &[customer, &episode])
    }

    /// What a churn transition does beyond the case: confirming it marks the customer lost.
    pub(crate) fn after_churn_transition(&mut self, case: &str, transition: &str) -> Result<()> {
        if transition != "confirm" {
            return Ok(());
        }
        let customer: Option<String> = self
            .conn
            .query_row("SELECT customer FROM p_churn_case WHERE id = ?", [case], |r| r.get(0))
            .optional()?
            .flatten();
        if let Some(customer) = customer {
            let mut fields = serde_json::Map::new();
            fields.insert("status".into(), serde_json::json!("lost"));
            self.update_plain(&customer, &fields)?;
        }
        Ok(())
    }
}
