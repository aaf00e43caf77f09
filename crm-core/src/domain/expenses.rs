//! Expenses (报销): a person's claim for a month — every expense they filed that month, with
//! totals by category and by state — answered from the read models on the device, for the
//! people the device holds expenses of (one's own; a supervisor's team; finance and admins,
//! everyone's).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::query::Item;
use crate::store::Store;

/// The states whose amounts a claim counts: everything not rejected.
const CLAIMED: &[&str] = &["draft", "submitted", "approved", "paid"];

/// A month's claim of one person.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ExpenseClaim {
    pub user: String,
    /// `YYYY-MM`: the expenses whose `date` falls in it.
    pub month: String,
    /// Per category and currency: how many and how much (minor units), rejected ones left out.
    pub categories: Vec<ClaimTotal>,
    /// Per state and currency: how many and how much (rejected ones included).
    pub statuses: Vec<ClaimTotal>,
    /// Per currency, what the month claims (not rejected) and of that what is paid.
    pub totals: Vec<ClaimSum>,
    /// The month's expenses, newest first.
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClaimTotal {
    /// The category code, or the state.
    pub key: String,
    pub currency: String,
    pub count: i64,
    pub amount: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct ClaimSum {
    pub currency: String,
    pub claimed: i64,
    pub approved: i64,
    pub paid: i64,
}

/// An expense claims money: its amount is more than nothing.
pub fn problems(doc: &crate::document::RecordDoc) -> Vec<crate::error::FieldError> {
    match Kind::Expense.spec().field("amount").and_then(|f| doc.read(f)) {
        Some(crate::value::FieldValue::Money(m)) if m.minor <= 0 => {
            vec![crate::error::FieldError::new("amount", "amount_not_positive")]
        }
        _ => Vec::new(),
    }
}

/// The first day of `month` (`YYYY-MM`) and of the month after, as dates.
fn month_bounds(month: &str) -> Option<(String, String)> {
    let shape =
        month.len() == 7 && month.char_indices().all(|(i, c)| if i == 4 { c == '-' } else { c.is_ascii_digit() });
    if !shape {
        return None;
    }
    let first = chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()?;
    let next = first.checked_add_months(chrono::Months::new(1))?;
    Some((first.format("%Y-%m-%d").to_string(), next.format("%Y-%m-%d").to_string()))
}

impl Store {
    /// `user`'s claim for `month` (`YYYY-MM`; the current month in the company's time zone
    /// when absent), from the expenses this device holds.
    pub fn expense_claim(&mut self, user: &str, month: Option<&str>) -> Result<ExpenseClaim> {
        let month = match month {
            Some(m) => m.to_string(),
            None => crate::settings::today(&self.conn)?.format("%Y-%m").to_string(),
        };
        let (from, to) = month_bounds(&month).ok_or_else(|| Error::field("month", "invalid_month"))?;
        let rows: Vec<(String, String, String, i64)> = self
            .conn
            .prepare_cached(
                "SELECT IFNULL(category, ''), IFNULL(status, 'draft'), IFNULL(amount_currency, 'CNY'), amount_minor
                 FROM p_expense WHERE deleted_at IS NULL AND owner = ? AND date >= ? AND date < ?
                 AND amount_minor IS NOT NULL",
            )?
            .query_map(rusqlite::params![user, from, to], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut categories: BTreeMap<(String, String), ClaimTotal> = BTreeMap::new();
        let mut statuses: BTreeMap<(String, String), ClaimTotal> = BTreeMap::new();
        let mut totals: BTreeMap<String, ClaimSum> = BTreeMap::new();
        for (category, status, currency, amount) in rows {
            let add = |map: &mut BTreeMap<(String, String), ClaimTotal>, key: &str| {
                let t = map.entry((key.to_string(), currency.clone())).or_insert_with(|| ClaimTotal {
                    key: key.to_string(),
                    currency: currency.clone(),
                    count: 0,
                    amount: 0,
                });
                t.count += 1;
                t.amount += amount;
            };
            add(&mut statuses, &status);
            if !CLAIMED.contains(&status.as_str()) {
                continue;
            }
            add(&mut categories, &category);
            let sum = totals.entry(currency.clone()).or_insert_with(|| ClaimSum { currency, ..ClaimSum::default() });
            sum.claimed += amount;
            if status == "approved" || status == "paid" {
                sum.approved += amount;
            }
            if status == "paid" {
                sum.paid += amount;
            }
        }
        let mut items = self.items_where(
            Kind::Expense,
            "t.owner = ? AND t.date >= ? AND t.date < ?",
            &[&user, &from, &to],
            "t.date DESC, t.created_at DESC",
            1000,
        )?;
        // What each names (its customer), for the rows.
        for item in &mut items {
            item.names = Some(self.reference_names(Kind::Expense, &item.fields)?);
        }
        let mut categories: Vec<ClaimTotal> = categories.into_values().collect();
        categories.sort_by(|a, b| b.amount.cmp(&a.amount).then(a.key.cmp(&b.key)));
        Ok(ExpenseClaim {
            user: user.to_string(),
            month,
            categories,
            statuses: statuses.into_values().collect(),
            totals: totals.into_values().collect(),
            items,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::month_bounds;

    #[test]
    fn a_month_runs_from_its_first_day_to_the_next_months() {
        assert_eq!(month_bounds("2026-12"), Some(("2026-12-01".into(), "2027-01-01".into())));
        assert_eq!(month_bounds("2027-02"), Some(("2027-02-01".into(), "2027-03-01".into())));
        assert_eq!(month_bounds("2026-13"), None);
        assert_eq!(month_bounds("十一月"), None);
        assert_eq!(month_bounds("2026-1"), None);
        assert_eq!(month_bounds("2026-011"), None);
    }
}
