//! Campaigns: the target list frozen when a campaign starts, and its effect.
//!
//! Until it starts, a campaign's target list is a saved filter (`target_kind`, `target_filter`:
//! the `filter` of a `list` request). `start` runs it on the device that starts the campaign and
//! keeps the ids it found in `members`: whoever later stops matching the filter stays listed,
//! and whoever starts matching it is not added.
//!
//! The effect is counted from the leads that name the campaign: how many, how many converted,
//! the opportunities they became and the amount won, the cost per lead and the return on cost
//! (won amount over cost, in basis points). One query over the leads' read model, indexed by
//! campaign.

use serde::Serialize;
use serde_json::{json, Map as JsonMap, Value as Json};

use crate::error::{Error, Result};
use crate::kind::{Kind, MAX_MEMBERS};
use crate::query::ListQuery;
use crate::store::Store;

/// A campaign's effect, from the leads that name it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Effect {
    pub campaign: String,
    pub members: i64,
    pub leads: i64,
    pub converted: i64,
    /// Converted per 10,000 leads (basis points).
    pub conversion_bp: i64,
    pub opportunities: i64,
    pub won: i64,
    /// The amounts won, per currency (minor units).
    pub won_amount: Vec<Amount>,
    /// What it cost: its `actual_cost`, else its `budget` (minor units), if either is set.
    pub cost: Option<Amount>,
    /// Cost over leads, in minor units (rounded half away from zero).
    pub cost_per_lead: Option<i64>,
    /// Won amount in the cost's currency over the cost, in basis points (30000: three times
    /// what it cost).
    pub return_bp: Option<i64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Amount {
    pub minor: i64,
    pub currency: String,
}

/// One member of a frozen target list, as this device knows it.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub id: String,
    /// Its title when the record is on this device (a member outside the person's scope is
    /// listed by id only).
    pub title: Option<String>,
}

fn not_a_campaign() -> Error {
    Error::field("id", "not_a_campaign")
}

/// `a / b` rounded half away from zero.
fn div_round(a: i64, b: i64) -> i64 {
    let q = (2 * a.abs() + b.abs()) / (2 * b.abs());
    if (a < 0) != (b < 0) {
        -q
    } else {
        q
    }
}

impl Store {
    /// Start campaign `id`: run its saved filter now and freeze what it finds as the target
    /// list, then take `start`. A filter matching more than [`MAX_MEMBERS`] is refused.
    pub fn start_campaign(&mut self, id: &str) -> Result<()> {
        if self.kind_of(id)? != Kind::Campaign {
            return Err(not_a_campaign());
        }
        let fields = self.get(id)?.fields;
        let target = match fields.get("target_kind").and_then(Json::as_str) {
            Some(kind) => Kind::parse(kind).ok_or_else(|| Error::field("target_kind", "invalid_choice"))?,
            None => Kind::Customer,
        };
        let filter: JsonMap<String, Json> = match fields.get("target_filter").and_then(Json::as_str) {
            Some(text) if !text.trim().is_empty() => serde_json::from_str(text).map_err(|e| {
                Error::Validation(vec![crate::error::FieldError::with(
                    "target_filter",
                    "invalid_filter",
                    json!({ "detail": e.to_string() }),
                )])
            })?,
            _ => JsonMap::new(),
        };
        let mut members = Vec::new();
        let mut after = None;
        loop {
            let query =
                ListQuery { filter: filter.clone(), limit: Some(500), after: after.take(), ..ListQuery::default() };
            let page = self.list(target, &query)?;
            members.extend(page.items.iter().map(|item| item.id.clone()));
            if members.len() > MAX_MEMBERS {
                return Err(Error::Refused {
                    code: "too_many_members",
                    reason: format!("the filter finds more than {MAX_MEMBERS} records; narrow it"),
                    params: json!({ "max": MAX_MEMBERS }),
                });
            }
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        let mut taken = JsonMap::new();
        taken.insert("member_count".into(), json!(members.len()));
        taken.insert("members".into(), json!(members.join("\n")));
        self.transition(id, "start", &taken)
    }

    /// The frozen target list of campaign `id` (empty before it starts).
    pub fn campaign_members(&self, id: &str) -> Result<Vec<Member>> {
        if self.kind_of(id)? != Kind::Campaign {
            return Err(not_a_campaign());
        }
        let sql = format!("SELECT members, target_kind FROM {} WHERE id = ?", Kind::Campaign.table());
        let (members, target): (Option<String>, Option<String>) =
            self.conn.query_row(&sql, [id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let target = target.as_deref().and_then(Kind::parse).unwrap_or(Kind::Customer);
        members
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.is_empty())
            .map(|m| Ok(Member { id: m.to_string(), title: self.title_of(target, m)? }))
            .collect()
    }

    /// What campaign `id` brought: see [`Effect`].
    pub fn campaign_effect(&self, id: &str) -> Result<Effect> {
        if self.kind_of(id)? != Kind::Campaign {
            return Err(not_a_campaign());
        }
        let sql = format!(
            "SELECT member_count, actual_cost_minor, actual_cost_currency, budget_minor, budget_currency FROM {} WHERE id = ?",
            Kind::Campaign.table()
        );
        type Row = (Option<i64>, Option<i64>, Option<String>, Option<i64>, Option<String>);
        let (members, actual, actual_cur, budget, budget_cur): Row =
            self.conn.query_row(&sql, [id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?;
        let cost = match (actual, actual_cur, budget, budget_cur) {
            (Some(minor), Some(currency), _, _) | (_, _, Some(minor), Some(currency)) => {
                Some(Amount { minor, currency })
            }
            _ => None,
        };
        let (leads, converted): (i64, i64) = self.conn.query_row(
            &format!(
                "SELECT COUNT(*), IFNULL(SUM(status = 'converted'), 0) FROM {} WHERE campaign = ? AND deleted_at IS NULL",
                Kind::Lead.table()
            ),
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let sql = format!(
            "SELECT COUNT(*), IFNULL(SUM(o.stage = 'won'), 0),
                    IFNULL(SUM(CASE WHEN o.stage = 'won' THEN o.amount_minor END), 0), o.amount_currency
             FROM {} l JOIN {} o ON o.id = l.converted_opportunity
             WHERE l.campaign = ? AND l.deleted_at IS NULL AND o.deleted_at IS NULL
             GROUP BY o.amount_currency ORDER BY o.amount_currency",
            Kind::Lead.table(),
            Kind::Opportunity.table()
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([id], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?, r.get::<_, Option<String>>(3)?))
        })?;
        let (mut opportunities, mut won, mut won_amount) = (0, 0, Vec::new());
        for row in rows {
            let (count, won_here, amount, currency) = row?;
            opportunities += count;
            won += won_here;
            if let (Some(currency), true) = (currency, amount != 0) {
                won_amount.push(Amount { minor: amount, currency });
            }
        }
        let cost_per_lead = cost.as_ref().filter(|_| leads > 0).map(|c| div_round(c.minor, leads));
        let return_bp = cost.as_ref().filter(|c| c.minor > 0).map(|c| {
            let won_in_cost = won_amount.iter().filter(|a| a.currency == c.currency).map(|a| a.minor).sum::<i64>();
            div_round(won_in_cost * 10_000, c.minor)
        });
        Ok(Effect {
            campaign: id.to_string(),
            members: members.unwrap_or(0),
            leads,
            converted,
            conversion_bp: if leads > 0 { div_round(converted * 10_000, leads) } else { 0 },
            opportunities,
            won,
            won_amount,
            cost,
            cost_per_lead,
            return_bp,
        })
    }
}
