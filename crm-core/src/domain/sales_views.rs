//! What a device answers about sales from what it holds, for the person's scope: a
//! product's price and stock for a line being typed, a customer's purchase history and money
//! (at order time, offline), receivables, and a contract made from an accepted quote. The
//! rules they apply are `domain::sales`'s.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{json, Map as JsonMap, Value as Json};

use super::sales::{self, COLLECTED};
use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::query::Item;
use crate::store::Store;
use crate::value::{format_thousandths, FieldValue};
use rusqlite::OptionalExtension;

/// A product's price for a customer and quantity, with its stock: what a line needs.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PriceAnswer {
    pub product: String,
    pub code: Option<String>,
    pub name: Option<String>,
    pub unit: Option<String>,
    pub currency: String,
    /// The product's list price (minor units), when it is in `currency`.
    pub list_price: Option<i64>,
    /// The price the price lists give this customer for this quantity today.
    pub applicable_price: Option<i64>,
    pub tax_rate: i64,
    pub on_sale: bool,
    /// The stock snapshot over all warehouses; `null` when it has no row for the product.
    pub stock: Option<Json>,
}

/// One product in a customer's purchase history.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProductBought {
    /// The product's id (`null` for lines without one, grouped by name).
    pub product: Option<String>,
    pub name: String,
    pub unit: Option<String>,
    /// The sum over their orders and contracts.
    pub quantity: Json,
    /// How many documents bought it.
    pub times: u32,
    /// The unit price and day of the latest document.
    pub last_unit_price: i64,
    pub last_date: String,
    pub currency: String,
}

/// A customer's money in one currency.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Balance {
    pub currency: String,
    /// What billing documents add up to (`domain::sales::bills`).
    pub billed: i64,
    /// Confirmed payments.
    pub collected: i64,
    pub outstanding: i64,
    /// Payments recorded and not confirmed yet.
    pub unconfirmed: i64,
}

/// A customer's purchase history and money: what a salesperson looks at when the customer
/// calls with an order.
#[derive(Debug, Clone, Serialize)]
pub struct PurchaseHistory {
    pub customer: String,
    /// Their orders and contracts (cancelled and void ones too), newest first.
    pub documents: Vec<Item>,
    pub quotes: Vec<Item>,
    pub payments: Vec<Item>,
    pub invoices: Vec<Item>,
    /// Per product, most recently bought first.
    pub products: Vec<ProductBought>,
    pub balances: Vec<Balance>,
}

/// What one customer owes, for the receivables list.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Receivable {
    pub customer: String,
    pub name: String,
    #[serde(flatten)]
    pub balance: Balance,
    /// The part of the outstanding amount whose payment-plan due dates have passed.
    pub overdue: i64,
    /// The earliest due date not covered by payments.
    pub oldest_due: Option<String>,
}

/// A line of a document the customer bought with, as the line read models hold it.
struct LineBought {
    record: String,
    product: Option<String>,
    name: String,
    unit: Option<String>,
    quantity: i64,
    unit_price: i64,
    currency: String,
}

/// The date a document counts from: an order's time, a contract's signing (else creation).
fn document_date(item: &Item) -> String {
    let text = |name: &str| item.fields.get(name).and_then(Json::as_str).map(str::to_string);
    let date = match item.kind {
        Kind::Order => text("ordered_at"),
        _ => text("signed_date"),
    };
    date.unwrap_or_else(|| item.created_at.clone()).chars().take(10).collect()
}

/// A document that bills its customer (`sales::bills`): a contract signed or later, an order
/// confirmed or later outside a standing contract of theirs (`sales::in_contract`).
#[derive(Debug, Clone)]
pub struct Billed {
    pub record: String,
    pub kind: Kind,
    pub customer: String,
    pub currency: String,
    pub total: i64,
    /// The local day it bills from: a contract's signing, an order's day (UTC ms for an order,
    /// see `ordered_at`), as the read model holds it.
    pub signed_date: Option<String>,
    pub ordered_at: Option<i64>,
}

/// Every billing document on this device (or of one customer), from the read models.
pub fn billed_documents(conn: &rusqlite::Connection, customer: Option<&str>) -> Result<Vec<Billed>> {
    let placeholders = |n: usize| vec!["?"; n].join(", ");
    let one = if customer.is_some() { "AND customer = ?" } else { "" };
    let contract_sql = format!(
        "SELECT id, customer, total_currency, total_minor, signed_date, NULL FROM p_contract WHERE deleted_at IS NULL {one}
         AND status IN ({}) AND total_minor IS NOT NULL",
        placeholders(sales::BILLED_CONTRACT.len())
    );
    let order_sql = format!(
        "SELECT id, customer, total_currency, total_minor, NULL, ordered_at FROM p_order o WHERE deleted_at IS NULL {one}
         AND status IN ({}) AND total_minor IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM p_contract c WHERE c.id = o.contract AND c.deleted_at IS NULL
                         AND IFNULL(c.status, '') != 'void' AND c.customer = o.customer)",
        placeholders(sales::BILLED_ORDER.len())
    );
    let mut out = Vec::new();
    for (kind, sql, states) in
        [(Kind::Contract, contract_sql, sales::BILLED_CONTRACT), (Kind::Order, order_sql, sales::BILLED_ORDER)]
    {
        let mut stmt = conn.prepare_cached(&sql)?;
        let params = customer.into_iter().chain(states.iter().copied());
        let rows = stmt.query_map(rusqlite::params_from_iter(params), |r| {
            Ok(Billed {
                record: r.get(0)?,
                kind,
                customer: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                currency: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                total: r.get(3)?,
                signed_date: r.get(4)?,
                ordered_at: r.get(5)?,
            })
        })?;
        for row in rows {
            out.push(row?);
        }
    }
    Ok(out)
}

impl Store {
    /// A product's price for `customer` (none: no customer-specific lists) at `quantity`
    /// (thousandths) in `currency` (default the product's), with its stock.
    pub fn price_for(
        &self,
        product: &str,
        customer: Option<&str>,
        quantity: i64,
        currency: Option<&str>,
    ) -> Result<PriceAnswer> {
        let facts = self.local_facts(&self.identity().user_id)?;
        let found = sales::product(&facts, product).ok_or_else(|| Error::NotFound(product.to_string()))?;
        let currency = currency.unwrap_or(&found.list_price.currency).to_string();
        let buyer = customer.map(|c| sales::buyer(&facts, c)).unwrap_or_default();
        let today = crate::settings::today(&self.conn)?.format("%Y-%m-%d").to_string();
        let applicable =
            sales::applicable_price(&found, &sales::price_lists(&facts), &buyer, quantity.max(1), &today, &currency);
        // The product's document, loaded once for the fields below.
        let doc = crate::store::load_doc(&self.conn, product)?;
        let read = |name: &str| -> Option<FieldValue> {
            let doc = doc.as_ref()?;
            Kind::Product.spec().field(name).and_then(|f| doc.read(f))
        };
        let text = |name: &str| read(name).and_then(|v| v.as_str().map(str::to_string));
        Ok(PriceAnswer {
            product: product.to_string(),
            code: text("code"),
            name: text("name"),
            unit: text("unit"),
            list_price: (found.list_price.currency == currency).then_some(found.list_price.minor),
            currency,
            applicable_price: applicable,
            tax_rate: match read("tax_rate") {
                Some(FieldValue::Int(n)) => n,
                _ => 0,
            },
            on_sale: found.on_sale,
            stock: sales::stock(&facts, product)
                .map(|n| serde_json::from_str(&format_thousandths(n)).unwrap_or(Json::Null)),
        })
    }

    /// A customer's orders, contracts, quotes, payments and invoices, what they bought per
    /// product, and their money by currency.
    pub fn purchase_history(&mut self, customer: &str) -> Result<PurchaseHistory> {
        if self.kind_of(customer)? != Kind::Customer {
            return Err(Error::NotFound(customer.to_string()));
        }
        let by_customer = "t.customer = ?";
        let mut documents = self.items_where(Kind::Order, by_customer, &[&customer], "t.ordered_at DESC", 500)?;
        documents.extend(self.items_where(Kind::Contract, by_customer, &[&customer], "t.created_at DESC", 500)?);
        documents.sort_by_key(|d| std::cmp::Reverse(document_date(d)));
        let quotes = self.items_where(Kind::Quote, by_customer, &[&customer], "t.created_at DESC", 200)?;
        let payments = self.items_where(Kind::Payment, by_customer, &[&customer], "t.received_on DESC", 500)?;
        let invoices = self.items_where(Kind::Invoice, by_customer, &[&customer], "t.created_at DESC", 500)?;

        let mut products: BTreeMap<String, ProductBought> = BTreeMap::new();
        // Every line of their orders and contracts that stand, from the line read models,
        // oldest document first so the last one written per product is the latest.
        let dates: BTreeMap<&str, String> = documents.iter().map(|d| (d.id.as_str(), document_date(d))).collect();
        let mut lines: Vec<LineBought> = Vec::new();
        for (kind, dropped) in [(Kind::Order, "cancelled"), (Kind::Contract, "void")] {
            let sql = format!(
                "SELECT l.record_id, l.product, l.name, l.unit, l.quantity, l.unit_price, t.currency
                 FROM {table}__lines l JOIN {table} t ON t.id = l.record_id
                 WHERE t.customer = ? AND t.deleted_at IS NULL AND IFNULL(t.status, '') != ?",
                table = kind.table()
            );
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(rusqlite::params![customer, dropped], |r| {
                Ok(LineBought {
                    record: r.get(0)?,
                    product: r.get(1)?,
                    name: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    unit: r.get(3)?,
                    quantity: r.get::<_, Option<i64>>(4)?.unwrap_or(0),
                    unit_price: r.get::<_, Option<i64>>(5)?.unwrap_or(0),
                    currency: r.get::<_, Option<String>>(6)?.unwrap_or_else(|| "CNY".into()),
                })
            })?;
            for row in rows {
                lines.push(row?);
            }
        }
        lines.sort_by(|a, b| dates.get(a.record.as_str()).cmp(&dates.get(b.record.as_str())));
        let mut counted: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
        for LineBought { record, product, name, unit, quantity, unit_price, currency } in lines {
            let key = product.clone().unwrap_or_else(|| format!("name:{name}"));
            let entry = products.entry(key.clone()).or_insert_with(|| ProductBought {
                product: product.clone(),
                name: name.clone(),
                unit: unit.clone(),
                quantity: json!(0),
                times: 0,
                last_unit_price: 0,
                last_date: String::new(),
                currency: currency.clone(),
            });
            let sum = entry.quantity.as_i64().unwrap_or(0) + quantity;
            entry.quantity = json!(sum);
            if counted.entry(key).or_default().insert(record.clone()) {
                entry.times += 1;
            }
            entry.last_unit_price = unit_price;
            entry.last_date = dates.get(record.as_str()).cloned().unwrap_or_default();
            entry.currency = currency;
            entry.name = name;
            entry.unit = unit.or(entry.unit.take());
        }
        let mut products: Vec<ProductBought> = products
            .into_values()
            .map(|mut p| {
                // Thousandths summed, given as the number they are.
                p.quantity = FieldValue::Quantity(p.quantity.as_i64().unwrap_or(0)).to_json();
                p
            })
            .collect();
        products.sort_by(|a, b| b.last_date.cmp(&a.last_date).then(a.name.cmp(&b.name)));
        let balances = self.balances(Some(customer))?.into_values().collect();
        Ok(PurchaseHistory {
            customer: customer.to_string(),
            documents,
            quotes,
            payments,
            invoices,
            products,
            balances,
        })
    }

    /// What customers were billed, paid and owe, per customer and currency, from the read
    /// models in one pass (all customers on this device, or one): billed are the totals of
    /// documents that bill (`sales::bills`: contracts signed or later, orders confirmed or later
    /// outside a standing contract of theirs, `sales::in_contract`), collected the confirmed
    /// payments, unconfirmed the recorded ones.
    /// The rule the server's credit check applies to documents (`sales::owed`).
    fn balances(&self, customer: Option<&str>) -> Result<BTreeMap<(String, String), Balance>> {
        let one = if customer.is_some() { "AND customer = ?" } else { "" };
        let mut sums: BTreeMap<(String, String), Balance> = BTreeMap::new();
        for billed in billed_documents(&self.conn, customer)? {
            sums.entry((billed.customer, billed.currency)).or_default().billed += billed.total;
        }
        let sql = format!(
            "SELECT customer, amount_currency, status, SUM(amount_minor) FROM p_payment WHERE deleted_at IS NULL {one}
             AND amount_minor IS NOT NULL GROUP BY customer, amount_currency, status"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(customer), |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?))
        })?;
        for row in rows {
            let (customer, currency, status, amount) = row?;
            let b = sums.entry((customer, currency)).or_default();
            match status.as_str() {
                COLLECTED => b.collected += amount,
                "recorded" => b.unconfirmed += amount,
                _ => {}
            }
        }
        for ((_, currency), b) in sums.iter_mut() {
            b.currency = currency.clone();
            b.outstanding = b.billed - b.collected;
        }
        Ok(sums)
    }

    /// What every customer on this device owes (the person's scope), most outstanding first,
    /// with the overdue part by the contracts' payment plans.
    pub fn receivables(&mut self) -> Result<Vec<Receivable>> {
        let sums = self.balances(None)?;
        let today = crate::settings::today(&self.conn)?.format("%Y-%m-%d").to_string();
        let mut out = Vec::new();
        for ((customer, _), balance) in sums {
            if balance.outstanding <= 0 {
                continue;
            }
            let (overdue, oldest_due) = self.overdue(&customer, &balance.currency, &today)?;
            let name: Option<String> = self
                .conn
                .prepare_cached("SELECT name FROM p_customer WHERE id = ?")?
                .query_row([&customer], |r| r.get(0))
                .ok();
            out.push(Receivable {
                name: name.unwrap_or_default(),
                customer,
                overdue: overdue.min(balance.outstanding),
                oldest_due,
                balance,
            });
        }
        out.sort_by(|a, b| b.balance.outstanding.cmp(&a.balance.outstanding).then(a.name.cmp(&b.name)));
        Ok(out)
    }

    /// How much of a customer's billing contracts' plans fell due before `today` and is not
    /// covered by their collected payments (oldest periods are paid first), and the oldest
    /// such due date.
    fn overdue(&mut self, customer: &str, currency: &str, today: &str) -> Result<(i64, Option<String>)> {
        let placeholders = vec!["?"; sales::BILLED_CONTRACT.len()].join(", ");
        let sql = format!(
            "SELECT p.due, p.amount FROM p_contract__plan p JOIN p_contract t ON t.id = p.record_id
             WHERE t.customer = ? AND t.deleted_at IS NULL AND t.currency = ? AND t.status IN ({placeholders})
             AND p.due < ?"
        );
        let mut args: Vec<&dyn rusqlite::ToSql> = vec![&customer, &currency];
        for state in sales::BILLED_CONTRACT {
            args.push(state);
        }
        args.push(&today);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut due: Vec<(String, i64)> = stmt
            .query_map(args.as_slice(), |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<i64>>(1)?.unwrap_or(0))))?
            .collect::<rusqlite::Result<_>>()?;
        drop(stmt);
        due.sort();
        let collected: i64 = self
            .conn
            .prepare_cached(
                "SELECT COALESCE(SUM(amount_minor), 0) FROM p_payment WHERE deleted_at IS NULL AND customer = ?
                 AND status = ? AND amount_currency = ?",
            )?
            .query_row(rusqlite::params![customer, COLLECTED, currency], |r| r.get(0))?;
        let mut left = collected;
        let mut overdue = 0;
        let mut oldest = None;
        for (date, amount) in due {
            let covered = left.min(amount);
            left -= covered;
            if amount > covered {
                overdue += amount - covered;
                oldest.get_or_insert(date);
            }
        }
        Ok((overdue, oldest))
    }

    /// What about a quote, contract or order as it stands needs a supervisor's approval
    /// (empty: it can be sent as it is), by the rule `send` applies; for a contract or order,
    /// less what its quote or contract already had approved (the rule `sign` and `confirm`
    /// apply).
    pub fn approval_needs_of(&mut self, id: &str) -> Result<Vec<sales::ApprovalNeed>> {
        let kind = self.kind_of(id)?;
        if !matches!(kind, Kind::Quote | Kind::Contract | Kind::Order) {
            return Err(Error::field("id", "not_a_sales_document"));
        }
        let doc = self.with_doc(id, |doc| Ok(doc.fork()))?;
        let facts = self.local_facts(&self.identity().user_id)?;
        Ok(sales::needs_beyond_approved(kind, &doc, &facts))
    }

    /// A contract made from an accepted quote in one step: its customer, contact, currency,
    /// lines and discount copied, linked to the quote, ready to sign. Returns its id.
    pub fn contract_from_quote(&mut self, quote: &str) -> Result<String> {
        if self.kind_of(quote)? != Kind::Quote {
            return Err(Error::NotFound(quote.to_string()));
        }
        let view = self.get(quote)?;
        let state = view.fields.get("status").and_then(Json::as_str).unwrap_or_default().to_string();
        if state != "accepted" {
            return Err(Error::Refused {
                code: "quote_not_accepted",
                reason: format!("a contract is made from an accepted quote; this one is {state}"),
                params: json!({ "status": state }),
            });
        }
        // Asked again (a second tap, a retry), the contract already made from it is the answer.
        let made: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT id FROM p_contract WHERE quote = ? AND deleted_at IS NULL AND IFNULL(status, '') != 'void'
                 ORDER BY created_at LIMIT 1",
            )?
            .query_row([quote], |r| r.get(0))
            .optional()?;
        if let Some(id) = made {
            return Ok(id);
        }
        let mut fields = JsonMap::new();
        for name in ["customer", "contact", "title", "currency", "lines", "discount"] {
            if let Some(v) = view.fields.get(name) {
                fields.insert(name.to_string(), v.clone());
            }
        }
        fields.insert("quote".into(), json!(quote));
        self.create_record(Kind::Contract, &fields)
    }
}
