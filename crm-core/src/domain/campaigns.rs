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

use rusqlite::OptionalExtension;
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

/// What a campaign email did: how many were queued, and who was left out and why
/// (`unsubscribed`, `no_email`, `not_here`: not on this device, `lead`: a lead has no customer to
/// log the email on yet).
#[derive(Debug, Clone, Serialize)]
pub struct Mailing {
    pub queued: usize,
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub id: String,
    pub title: Option<String>,
    pub why: &'static str,
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

/// Where one member's email goes, or why it does not.
enum Recipient {
    /// `on`: the field the email activity names its record by (`customer`, or `lead`) and the id.
    Here {
        on: (&'static str, String),
        contact: Option<String>,
        name: String,
        to: Option<String>,
        unsubscribed: bool,
    },
    Skip(&'static str),
}

/// A lead member's name, email, `do_not_email` and status.
type LeadRow = (String, Option<String>, Option<bool>, Option<String>);

/// Whether customer `id` unsubscribed.
fn unsubscribed_customer(store: &Store, id: &str) -> Result<bool> {
    let sql = format!("SELECT IFNULL(do_not_email, 0) FROM {} WHERE id = ?", Kind::Customer.table());
    Ok(store.conn.query_row(&sql, [id], |r| r.get(0)).optional()?.unwrap_or(false))
}

/// `a / b` by the one rounding rule (`sales::div_round`).
fn div_round(a: i64, b: i64) -> i64 {
    super::sales::div_round(i128::from(a), i128::from(b)) as i64
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

    /// Email the frozen target list of campaign `id`: one queued `email` activity per member
    /// with an address who has not unsubscribed (`do_not_email`), `{name}` in `subject` and
    /// `body` replaced by the member's name, each naming the campaign (its per-recipient status).
    pub fn campaign_email(&mut self, id: &str, subject: &str, body: &str) -> Result<Mailing> {
        let members = self.campaign_members(id)?;
        let sql = format!("SELECT target_kind, status FROM {} WHERE id = ?", Kind::Campaign.table());
        let (target, status): (Option<String>, Option<String>) =
            self.conn.query_row(&sql, [id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        if status.as_deref() != Some("running") {
            return Err(Error::Refused {
                code: "campaign_not_running",
                reason: "a campaign emails its target list while it runs; start it first".into(),
                params: json!({ "status": status }),
            });
        }
        for (field, text) in [("subject", subject), ("body", body)] {
            if text.trim().is_empty() {
                return Err(Error::field(field, "required"));
            }
        }
        let target = target.as_deref().and_then(Kind::parse).unwrap_or(Kind::Customer);
        let mut mailing = Mailing { queued: 0, skipped: Vec::new() };
        for member in members {
            let (on, contact, name, to, unsubscribed) = match self.recipient(target, &member.id)? {
                Recipient::Here { on, contact, name, to, unsubscribed } => (on, contact, name, to, unsubscribed),
                Recipient::Skip(why) => {
                    mailing.skipped.push(Skipped { id: member.id, title: member.title, why });
                    continue;
                }
            };
            let why = if unsubscribed {
                "unsubscribed"
            } else if to.is_none() {
                "no_email"
            } else {
                ""
            };
            if !why.is_empty() {
                mailing.skipped.push(Skipped { id: member.id, title: member.title, why });
                continue;
            }
            let mut fields = JsonMap::new();
            fields.insert(on.0.into(), json!(on.1));
            if let Some(contact) = contact {
                fields.insert("contact".into(), json!(contact));
            }
            fields.insert("type".into(), json!("email"));
            fields.insert("campaign".into(), json!(id));
            fields.insert("email_to".into(), json!(to));
            fields.insert("subject".into(), json!(subject.replace("{name}", &name)));
            fields.insert("email_body".into(), json!(body.replace("{name}", &name)));
            fields.insert("send_status".into(), json!("queued"));
            match self.create_record(Kind::Activity, &fields) {
                Ok(_) => mailing.queued += 1,
                // One the person may not write for (a lead in the pool, another's customer).
                Err(Error::Refused { .. } | Error::Forbidden { .. }) => {
                    mailing.skipped.push(Skipped { id: member.id, title: member.title, why: "not_yours" });
                }
                Err(e) => return Err(e),
            }
        }
        Ok(mailing)
    }

    /// Where a member's email goes and is logged: a customer (its email, else its primary or
    /// first contact's with one), a contact (its own), a lead (its own, logged on the lead; an
    /// invalid lead is skipped).
    fn recipient(&self, target: Kind, id: &str) -> Result<Recipient> {
        let table = target.table();
        match target {
            Kind::Customer => {
                let row: Option<(String, Option<String>, Option<bool>)> = self
                    .conn
                    .query_row(
                        &format!("SELECT name, email, do_not_email FROM {table} WHERE id = ? AND deleted_at IS NULL"),
                        [id],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()?;
                let Some((name, email, unsubscribed)) = row else { return Ok(Recipient::Skip("not_here")) };
                if email.is_some() {
                    let unsubscribed = unsubscribed.unwrap_or(false);
                    return Ok(Recipient::Here {
                        on: ("customer", id.to_string()),
                        contact: None,
                        name,
                        to: email,
                        unsubscribed,
                    });
                }
                let contact: Option<(String, String, Option<bool>)> = self
                    .conn
                    .query_row(
                        &format!(
                            "SELECT id, email, do_not_email FROM {} WHERE customer = ? AND deleted_at IS NULL
                             AND email IS NOT NULL ORDER BY IFNULL(is_primary, 0) DESC, created_at LIMIT 1",
                            Kind::Contact.table()
                        ),
                        [id],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()?;
                Ok(match contact {
                    Some((contact, email, unsubscribed)) => Recipient::Here {
                        on: ("customer", id.to_string()),
                        contact: Some(contact),
                        name,
                        to: Some(email),
                        unsubscribed: unsubscribed.unwrap_or(false) || unsubscribed_customer(self, id)?,
                    },
                    None => Recipient::Here {
                        on: ("customer", id.to_string()),
                        contact: None,
                        name,
                        to: None,
                        unsubscribed: false,
                    },
                })
            }
            Kind::Contact => {
                let row: Option<(String, Option<String>, Option<bool>, String)> = self
                    .conn
                    .query_row(
                        &format!("SELECT name, email, do_not_email, customer FROM {table} WHERE id = ? AND deleted_at IS NULL"),
                        [id],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                    )
                    .optional()?;
                Ok(match row {
                    Some((name, email, unsubscribed, customer)) => Recipient::Here {
                        on: ("customer", customer),
                        contact: Some(id.to_string()),
                        name,
                        to: email,
                        unsubscribed: unsubscribed.unwrap_or(false),
                    },
                    None => Recipient::Skip("not_here"),
                })
            }
            Kind::Lead => {
                let row: Option<LeadRow> = self
                    .conn
                    .query_row(
                        &format!(
                            "SELECT name, email, do_not_email, status FROM {table} WHERE id = ? AND deleted_at IS NULL"
                        ),
                        [id],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                    )
                    .optional()?;
                Ok(match row {
                    // A lead found to be no lead is not written to.
                    Some((_, _, _, Some(status))) if status == "invalid" => Recipient::Skip("invalid"),
                    Some((name, email, unsubscribed, _)) => Recipient::Here {
                        on: ("lead", id.to_string()),
                        contact: None,
                        name,
                        to: email,
                        unsubscribed: unsubscribed.unwrap_or(false),
                    },
                    None => Recipient::Skip("not_here"),
                })
            }
            _ => Ok(Recipient::Skip("not_here")),
        }
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
