//! Sales documents (`quote`, `contract`, `order`), what they sell (`product`, `price_list`,
//! `stock`) and the money around them (`payment`, `invoice`). The kinds and their workflows
//! are declared in `kind/sales.rs`; here are the rules:
//!
//! - **Totals** are derived from the lines, never typed: [`totals`], one rounding rule
//!   (below), integer minor units throughout.
//! - **Prices**: the applicable price of a product for a customer ([`applicable_price`]) and
//!   whether a document needs a supervisor's approval ([`approval_needs`]).
//! - **Approval**: an approval pins the document's heads; any later edit makes it stale
//!   (`crate::kind::Pin`, `crate::workflow`), so the document counts as a draft again.
//! - **Guards** of the transitions: a document sent without approval needs none, the payment
//!   plan adds up, an order still holds when confirmed, an invoice stays within its
//!   document's amount, a payment is in its document's currency.
//!
//! ## The rounding rule
//!
//! Prices are per unit and include tax (含税价). Every division rounds half away from zero
//! (四舍五入) to a whole minor unit, computed in 128-bit integers:
//!
//! 1. a line's amount = quantity × unit price (quantity in thousandths, so ÷ 1000, rounded);
//! 2. subtotal = the sum of the line amounts;
//! 3. the whole-document discount is shared among the lines in proportion to their amounts:
//!    each line gets its share rounded down, and the minor units left over go one each to
//!    the lines with the largest remainders (ties: the line whose id sorts first), so the
//!    shares add up to the discount exactly;
//! 4. a line's tax = its amount after its share × rate ÷ (10000 + rate) (rate in basis
//!    points), rounded; tax = the sum of the lines' taxes;
//! 5. total = subtotal − discount; total excluding tax = total − tax.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{json, Value as Json};

use crate::access::Refusal;
use crate::document::RecordDoc;
use crate::error::FieldError;
use crate::items::Item;
use crate::kind::{FieldSpec, Kind};
use crate::value::{FieldValue, Money};
use crate::workflow::{setting_or_default, Facts, WorkflowRefusal};

/// A discount off the applicable price above this (basis points) needs approval.
pub const APPROVAL_DISCOUNT: &str = "sales.approval_discount_bp";
/// A document total above this (major units of the company currency) needs approval.
pub const APPROVAL_AMOUNT: &str = "sales.approval_amount";
/// The setting that makes every line without a product need approval.
pub const APPROVAL_FREE_LINES: &str = "sales.approval_free_lines";

/// `n / d` rounded half away from zero: the one rounding rule of every division of money,
/// shares and averages (`d` not zero; a negative `d` divides as `-n / -d`).
pub fn div_round(n: i128, d: i128) -> i128 {
    if d < 0 {
        return div_round(-n, -d);
    }
    let q = n / d;
    let r = n % d;
    if 2 * r.abs() >= d {
        q + n.signum()
    } else {
        q
    }
}

/// One line's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineTotal {
    pub id: String,
    /// Quantity × unit price.
    pub amount: i64,
    /// Quantity × list price (what it would cost at list prices).
    pub list_amount: i64,
    /// Its share of the whole-document discount.
    pub discount_share: i64,
    /// The tax in its amount after its share.
    pub tax: i64,
}

/// A document's figures, all in minor units of its currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub lines: Vec<LineTotal>,
    pub subtotal: i64,
    pub discount: i64,
    pub total: i64,
    pub tax: i64,
    pub total_excluding_tax: i64,
    /// The sum of the lines at list prices.
    pub list_total: i64,
}

/// Why figures cannot be made of these lines.
fn line_error(reason: &'static str, i: usize, part: &str) -> FieldError {
    FieldError::with("lines", reason, json!({ "item": i, "part": part }))
}

/// The figures of a document with `lines` and a whole-document `discount`, by the rounding
/// rule above. Refused: a quantity that is not positive, a discount beyond the subtotal.
pub fn totals(lines: &[Item], discount: i64) -> Result<Totals, FieldError> {
    let mut out = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let quantity = line.int("quantity");
        if quantity <= 0 {
            return Err(line_error("quantity_not_positive", i, "quantity"));
        }
        let amount = div_round(i128::from(quantity) * i128::from(line.int("unit_price")), 1000);
        let list_amount = div_round(i128::from(quantity) * i128::from(line.int("list_price")), 1000);
        let fits = |n: i128| i64::try_from(n).ok().filter(|n| n.unsigned_abs() <= crate::value::MAX_MONEY_MINOR);
        let (Some(amount), Some(list_amount)) = (fits(amount), fits(list_amount)) else {
            return Err(line_error("out_of_range", i, "quantity"));
        };
        out.push(LineTotal { id: line.id.clone(), amount, list_amount, discount_share: 0, tax: 0 });
    }
    let subtotal: i64 = out.iter().map(|l| l.amount).sum();
    let list_total: i64 = out.iter().map(|l| l.list_amount).sum();
    if discount < 0 || discount > subtotal {
        return Err(FieldError::with("discount", "discount_above_subtotal", json!({ "subtotal": subtotal })));
    }
    if subtotal > 0 && discount > 0 {
        // Shares rounded down, then the rest one unit each by largest remainder.
        let mut remainders: Vec<(i128, usize)> = Vec::with_capacity(out.len());
        let mut given = 0i64;
        for (i, line) in out.iter_mut().enumerate() {
            let exact = i128::from(discount) * i128::from(line.amount);
            line.discount_share = (exact / i128::from(subtotal)) as i64;
            given += line.discount_share;
            remainders.push((exact % i128::from(subtotal), i));
        }
        remainders.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| out[a.1].id.cmp(&out[b.1].id)));
        for (_, i) in remainders.into_iter().take((discount - given) as usize) {
            out[i].discount_share += 1;
        }
    }
    for (line, item) in out.iter_mut().zip(lines) {
        let rate = i128::from(item.int("tax_rate"));
        line.tax = div_round(i128::from(line.amount - line.discount_share) * rate, 10_000 + rate) as i64;
    }
    let tax: i64 = out.iter().map(|l| l.tax).sum();
    let total = subtotal - discount;
    Ok(Totals { lines: out, subtotal, discount, total, tax, total_excluding_tax: total - tax, list_total })
}

/// A document's lines, discount and currency, read from its document.
pub struct DocumentMoney {
    pub lines: Vec<Item>,
    pub discount: i64,
    pub currency: String,
}

impl DocumentMoney {
    /// From the values of a record of `kind` (`read` gives a field's value by name).
    pub fn read(read: impl Fn(&str) -> Option<FieldValue>) -> DocumentMoney {
        let lines = match read("lines") {
            Some(FieldValue::Items(items)) => items,
            _ => Vec::new(),
        };
        let discount = match read("discount") {
            Some(FieldValue::Int(n)) => n,
            _ => 0,
        };
        let currency = match read("currency") {
            Some(FieldValue::Str(c)) => c,
            _ => "CNY".to_string(),
        };
        DocumentMoney { lines, discount, currency }
    }

    pub fn of(kind: Kind, doc: &RecordDoc) -> DocumentMoney {
        DocumentMoney::read(|name| kind.spec().field(name).and_then(|f| doc.read(f)))
    }

    /// The figures, or `None` when the lines cannot be totalled (the record shows why
    /// through [`problems`]).
    pub fn totals(&self) -> Option<Totals> {
        totals(&self.lines, self.discount).ok()
    }

    fn money(&self, minor: i64) -> FieldValue {
        FieldValue::Money(Money { minor, currency: self.currency.clone() })
    }
}

/// The value of a derived field of a record of `kind` (`read` gives its stored fields).
pub fn derived(kind: Kind, field: &str, read: &dyn Fn(&str) -> Option<FieldValue>) -> Option<FieldValue> {
    if !matches!(kind, Kind::Quote | Kind::Contract | Kind::Order) {
        return None;
    }
    if field == "planned" {
        let plan = match read("plan") {
            Some(FieldValue::Items(items)) => items,
            _ => Vec::new(),
        };
        let currency = match read("currency") {
            Some(FieldValue::Str(c)) => c,
            _ => "CNY".to_string(),
        };
        return Some(FieldValue::Money(Money { minor: plan.iter().map(|p| p.int("amount")).sum(), currency }));
    }
    let doc = DocumentMoney::read(read);
    let t = doc.totals()?;
    Some(match field {
        "subtotal" => doc.money(t.subtotal),
        "total" => doc.money(t.total),
        "tax" => doc.money(t.tax),
        _ => return None,
    })
}

/// A sales target's month is `YYYY-MM`.
pub fn target_problems(doc: &RecordDoc) -> Vec<FieldError> {
    match Kind::SalesTarget.spec().field("month").and_then(|f| doc.read(f)) {
        Some(FieldValue::Str(month))
            if chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").is_err() || month.len() != 7 =>
        {
            vec![FieldError::with("month", "invalid_month", json!({ "value": month }))]
        }
        _ => Vec::new(),
    }
}

/// What is wrong with a sales document beyond its fields' own rules: lines that cannot be
/// totalled (a plan that does not add up is refused when the contract is signed).
/// The server refuses a pushed change that leaves a document with one of these.
pub fn problems(kind: Kind, doc: &RecordDoc) -> Vec<FieldError> {
    if !matches!(kind, Kind::Quote | Kind::Contract | Kind::Order) {
        return Vec::new();
    }
    let money = DocumentMoney::of(kind, doc);
    match totals(&money.lines, money.discount) {
        Ok(_) => Vec::new(),
        Err(e) => vec![e],
    }
}

/// Does a contract's payment plan add up to its total?
pub fn plan_adds_up(kind: Kind, doc: &RecordDoc) -> Result<(), WorkflowRefusal> {
    let money = DocumentMoney::of(kind, doc);
    let total = money.totals().map(|t| t.total).unwrap_or(0);
    let plan = match kind.spec().field("plan").and_then(|f| doc.read(f)) {
        Some(FieldValue::Items(items)) => items,
        _ => Vec::new(),
    };
    let planned: i64 = plan.iter().map(|p| p.int("amount")).sum();
    if plan.is_empty() || planned == total {
        return Ok(());
    }
    Err(WorkflowRefusal {
        refusal: Refusal {
            code: "plan_mismatch",
            reason: format!("the payment plan adds up to {planned} but the contract's total is {total} (minor units)"),
        },
        params: json!({ "planned": planned, "total": total }),
    })
}

/// A product as prices need it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductPrice {
    pub id: String,
    pub list_price: Money,
    pub category: Option<String>,
    pub on_sale: bool,
}

impl ProductPrice {
    pub fn of(id: &str, doc: &RecordDoc) -> Option<ProductPrice> {
        let spec = Kind::Product.spec();
        let read = |name: &str| spec.field(name).and_then(|f| doc.read(f));
        let Some(FieldValue::Money(list_price)) = read("list_price") else { return None };
        Some(ProductPrice {
            id: id.to_string(),
            list_price,
            category: read("category").and_then(|v| v.as_str().map(str::to_string)),
            on_sale: read("status").and_then(|v| v.as_str().map(|s| s != "discontinued")).unwrap_or(true),
        })
    }
}

/// A price list as prices need it.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceList {
    pub id: String,
    pub grade: Option<String>,
    pub customer: Option<String>,
    pub currency: String,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    pub items: Vec<Item>,
}

impl PriceList {
    /// A live, active price list from its document.
    pub fn of(id: &str, doc: &RecordDoc) -> Option<PriceList> {
        if doc.deleted_at().is_some() {
            return None;
        }
        let spec = Kind::PriceList.spec();
        let read = |name: &str| spec.field(name).and_then(|f| doc.read(f));
        let text = |name: &str| read(name).and_then(|v| v.as_str().map(str::to_string));
        if read("active") == Some(FieldValue::Bool(false)) {
            return None;
        }
        Some(PriceList {
            id: id.to_string(),
            grade: text("grade"),
            customer: text("customer"),
            currency: text("currency").unwrap_or_else(|| "CNY".into()),
            valid_from: text("valid_from"),
            valid_to: text("valid_to"),
            items: match read("items") {
                Some(FieldValue::Items(items)) => items,
                _ => Vec::new(),
            },
        })
    }
}

/// The customer a price is for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Buyer {
    pub id: String,
    pub grade: Option<String>,
}

/// The unit price a product has for `buyer` at `quantity` (thousandths) on `date`
/// (`YYYY-MM-DD`), in `currency`: the lowest price any applicable price list gives — a list
/// for this customer or for their grade or for everyone, valid on the date, in the
/// currency, with a rule for the product (or its category) whose minimum quantity is met —
/// or else the product's list price. `None` when the product's list price is in another
/// currency and no list applies.
pub fn applicable_price(
    product: &ProductPrice,
    lists: &[PriceList],
    buyer: &Buyer,
    quantity: i64,
    date: &str,
    currency: &str,
) -> Option<i64> {
    let base = (product.list_price.currency == currency).then_some(product.list_price.minor);
    let mut best: Option<i64> = None;
    for list in lists {
        let for_buyer = match (&list.customer, &list.grade) {
            (Some(customer), _) => *customer == buyer.id,
            (None, Some(grade)) => buyer.grade.as_ref() == Some(grade),
            (None, None) => true,
        };
        let in_time = list.valid_from.as_deref().is_none_or(|from| from <= date)
            && list.valid_to.as_deref().is_none_or(|to| date <= to);
        if !for_buyer || !in_time || list.currency != currency {
            continue;
        }
        for rule in &list.items {
            let applies = match (rule.text("product"), rule.text("category")) {
                (Some(p), _) => p == product.id,
                (None, Some(c)) => product.category.as_deref() == Some(c),
                (None, None) => false,
            };
            if !applies || rule.int("min_quantity") > quantity {
                continue;
            }
            let price = if rule.get("price").is_some() {
                Some(rule.int("price"))
            } else {
                base.map(|b| b - div_round(i128::from(b) * i128::from(rule.int("percent_off")), 10_000) as i64)
            };
            if let Some(price) = price {
                best = Some(best.map_or(price, |b: i64| b.min(price)));
            }
        }
    }
    best.or(base)
}

/// Why a document needs approval, each as a code with its figures; empty: it needs none.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApprovalNeed {
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
    pub detail: serde_json::Value,
}

/// What about a document of `kind` needs a supervisor's approval: a line priced below its
/// applicable price by more than the admin's discount threshold, a whole-document discount
/// beyond it, a total above the admin's amount threshold, a discontinued product. For a line
/// naming a product the applicable price is the one the price lists give now (what the line
/// says it started from does not count, so lowering it does not escape approval); a line
/// without a product has only its own `list_price`.
pub fn approval_needs(kind: Kind, doc: &RecordDoc, facts: &dyn Facts) -> Vec<ApprovalNeed> {
    let money = DocumentMoney::of(kind, doc);
    let Some(t) = money.totals() else {
        return vec![ApprovalNeed { code: "lines_invalid", line: None, detail: serde_json::Value::Null }];
    };
    let threshold = setting_or_default(facts, APPROVAL_DISCOUNT).clamp(0, 10_000);
    let customer = text_of(kind, doc, "customer");
    let buyer = customer.as_deref().map(|c| buyer(facts, c)).unwrap_or_default();
    let date = facts.today();
    let lists = price_lists(facts);
    let free_lines = setting_or_default(facts, APPROVAL_FREE_LINES) == 1;
    let mut needs = Vec::new();
    for line in &money.lines {
        let unit = line.int("unit_price");
        if free_lines && line.text("product").is_none() {
            needs.push(ApprovalNeed { code: "free_line", line: Some(line.id.clone()), detail: json!({}) });
        }
        let product = line.text("product").and_then(|p| product(facts, p));
        if let Some(product) = &product {
            if !product.on_sale {
                needs.push(ApprovalNeed {
                    code: "product_discontinued",
                    line: Some(line.id.clone()),
                    detail: json!({ "product": product.id }),
                });
            }
        }
        let current = product
            .as_ref()
            .and_then(|p| applicable_price(p, &lists, &buyer, line.int("quantity"), &date, &money.currency));
        // The price lists' price for a product; a line without one (a service typed in) has
        // only the list price it says.
        let reference = match (&product, current) {
            (Some(_), Some(price)) => price,
            _ => line.int("list_price"),
        };
        let floor = reference - div_round(i128::from(reference) * i128::from(threshold), 10_000) as i64;
        if unit < floor {
            needs.push(ApprovalNeed {
                code: "price_below_floor",
                line: Some(line.id.clone()),
                detail: json!({ "unit_price": unit, "applicable_price": reference, "floor": floor }),
            });
        }
    }
    if t.subtotal > 0 && i128::from(t.discount) * 10_000 > i128::from(t.subtotal) * i128::from(threshold) {
        needs.push(ApprovalNeed {
            code: "discount_above_threshold",
            line: None,
            detail: json!({ "discount": t.discount, "subtotal": t.subtotal, "threshold_bp": threshold }),
        });
    }
    let limit = setting_or_default(facts, APPROVAL_AMOUNT);
    // The limit is in the company's currency: a total in another cannot be held to it.
    let company = facts.setting_text("company.currency").unwrap_or_else(|| crate::settings::DEFAULT_CURRENCY.into());
    if limit > 0 && money.currency != company {
        needs.push(ApprovalNeed {
            code: "other_currency",
            line: None,
            detail: json!({ "currency": money.currency, "company_currency": company }),
        });
    } else if limit > 0 && i128::from(t.total) > i128::from(limit) * 100 {
        needs.push(ApprovalNeed {
            code: "amount_above_threshold",
            line: None,
            detail: json!({ "total": t.total, "limit_minor": i128::from(limit) * 100 }),
        });
    }
    needs
}

/// What was approved before a contract (its quote, once approved or sent) or an order (its
/// contract, once signed): the lowest unit price per line (by product, or by name for a line
/// without one), and that document's discount and total. Only a document of the same customer
/// and currency carries anything.
struct Carried {
    prices: HashMap<String, i64>,
    /// For an order: what of each line key (thousandths) its contract still has left once the
    /// contract's other standing orders are counted. A line beyond it carries no price.
    left: Option<HashMap<String, i64>>,
    discount: i64,
    subtotal: i64,
    total: i64,
}

fn line_key(line: &Item) -> String {
    match line.text("product") {
        Some(p) => format!("product:{p}"),
        None => format!("name:{}", line.text("name").unwrap_or_default()),
    }
}

fn carried(kind: Kind, doc: &RecordDoc, facts: &dyn Facts) -> Option<Carried> {
    let (field, from, states): (&str, Kind, &[&str]) = match kind {
        Kind::Contract => ("quote", Kind::Quote, &["approved", "sent", "accepted"]),
        Kind::Order => ("contract", Kind::Contract, BILLED_CONTRACT),
        _ => return None,
    };
    let id = text_of(kind, doc, field)?;
    let mut up = facts.record(&id).filter(|d| d.deleted_at().is_none() && d.kind() == Some(from))?;
    // A quote edited after its approval is a draft again (`workflow::state_now`).
    let state = crate::workflow::state_now(from, &mut up).unwrap_or_default();
    if !states.contains(&state.as_str()) || text_of(from, &up, "customer") != text_of(kind, doc, "customer") {
        return None;
    }
    // One quote's approval carries into one contract: the first made from it that stands.
    if kind == Kind::Contract {
        let mine = doc.created_at().unwrap_or(i64::MAX);
        let earlier = facts.records(Kind::Contract, Some(("quote", id.as_str()))).into_iter().any(|(_, other)| {
            text_of(Kind::Contract, &other, "quote").as_deref() == Some(id.as_str())
                && other.deleted_at().is_none()
                && status_of(Kind::Contract, &other) != "void"
                && other.created_at().is_some_and(|at| at < mine)
        });
        if earlier {
            return None;
        }
    }
    let money = DocumentMoney::of(from, &up);
    if money.currency != DocumentMoney::of(kind, doc).currency {
        return None;
    }
    let t = money.totals()?;
    let mut prices: HashMap<String, i64> = HashMap::new();
    let mut left: HashMap<String, i64> = HashMap::new();
    for line in &money.lines {
        let price = prices.entry(line_key(line)).or_insert(i64::MAX);
        *price = (*price).min(line.int("unit_price"));
        *left.entry(line_key(line)).or_default() += line.int("quantity");
    }
    // An order draws on its contract: the quantities the contract's confirmed orders took are
    // no longer there to carry a price (this order, being judged, is not one of them yet).
    let left = (kind == Kind::Order).then(|| {
        for (_, other) in facts.records(Kind::Order, Some(("contract", id.as_str()))) {
            let counts = text_of(Kind::Order, &other, "contract").as_deref() == Some(id.as_str())
                && other.deleted_at().is_none()
                && BILLED_ORDER.contains(&status_of(Kind::Order, &other).as_str());
            if counts {
                for line in &DocumentMoney::of(Kind::Order, &other).lines {
                    *left.entry(line_key(line)).or_default() -= line.int("quantity");
                }
            }
        }
        left
    });
    Some(Carried { prices, left, discount: t.discount, subtotal: t.subtotal, total: t.total })
}

/// [`approval_needs`] less what the document's quote (for a contract) or contract (for an
/// order) already had approved: a line priced no lower than the same product's line there (a
/// line without a product: the same name) — for an order, within the quantity the contract
/// still has left after its confirmed orders —, a discount no larger a share of the subtotal,
/// a total no larger, in the same currency. What is left needs an approval of its own.
pub fn needs_beyond_approved(kind: Kind, doc: &RecordDoc, facts: &dyn Facts) -> Vec<ApprovalNeed> {
    let mut needs = approval_needs(kind, doc, facts);
    let Some(c) = carried(kind, doc, facts) else { return needs };
    let money = DocumentMoney::of(kind, doc);
    let t = money.totals();
    // What this document asks of each line key in all (an order's lines of one product add up).
    let mut wanted: HashMap<String, i64> = HashMap::new();
    for line in &money.lines {
        *wanted.entry(line_key(line)).or_default() += line.int("quantity");
    }
    needs.retain(|n| match n.code {
        "price_below_floor" => {
            let line = money.lines.iter().find(|l| Some(&l.id) == n.line.as_ref());
            line.is_none_or(|l| {
                let key = line_key(l);
                let asked = wanted.get(&key).copied().unwrap_or(0);
                let beyond = c.left.as_ref().is_some_and(|left| asked > left.get(&key).copied().unwrap_or(0));
                beyond || c.prices.get(&key).is_none_or(|approved| l.int("unit_price") < *approved)
            })
        }
        "free_line" => {
            let line = money.lines.iter().find(|l| Some(&l.id) == n.line.as_ref());
            line.is_none_or(|l| !c.prices.contains_key(&line_key(l)))
        }
        // A larger share of the subtotal than was approved (cross-multiplied, exactly).
        "discount_above_threshold" => t.as_ref().is_none_or(|t| {
            i128::from(t.discount) * i128::from(c.subtotal) > i128::from(c.discount) * i128::from(t.subtotal)
        }),
        // Carried only from a document in the same currency, so the approval was of this one.
        "amount_above_threshold" | "other_currency" => t.as_ref().is_none_or(|t| t.total > c.total),
        _ => true,
    });
    needs
}

/// Guard of signing a contract: its plan adds up, and nothing about it needs an approval its
/// quote did not have (a contract made without a quote is priced within the floor).
pub fn contract_holds(kind: Kind, doc: &RecordDoc, facts: &dyn Facts) -> Result<(), WorkflowRefusal> {
    plan_adds_up(kind, doc)?;
    approval_required(needs_beyond_approved(kind, doc, facts))
}

fn approval_required(needs: Vec<ApprovalNeed>) -> Result<(), WorkflowRefusal> {
    if needs.is_empty() {
        return Ok(());
    }
    let codes: Vec<&str> = needs.iter().map(|n| n.code).collect();
    Err(WorkflowRefusal {
        refusal: Refusal {
            code: "approval_required",
            reason: format!("this needs a supervisor's approval first ({})", codes.join(", ")),
        },
        params: json!({ "needs": needs }),
    })
}

/// Guard of sending a quote without an approval: nothing about it needs one.
pub fn needs_no_approval(kind: Kind, doc: &RecordDoc, facts: &dyn Facts) -> Result<(), WorkflowRefusal> {
    approval_required(approval_needs(kind, doc, facts))
}

/// Guard of issuing an invoice: the invoices of its contract or order, this one included,
/// stay within the document's total.
pub fn within_invoiceable(kind: Kind, doc: &RecordDoc, facts: &dyn Facts) -> Result<(), WorkflowRefusal> {
    let spec = kind.spec();
    let read = |name: &str| spec.field(name).and_then(|f| doc.read(f));
    let Some(FieldValue::Money(amount)) = read("amount") else { return Ok(()) };
    let Some((of, total)) = in_documents_currency(kind, doc, facts)? else { return Ok(()) };
    let customer = read("customer").and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    let invoiced = invoiced(facts, &customer, &of);
    if invoiced + amount.minor > total {
        return Err(WorkflowRefusal {
            refusal: Refusal {
                code: "invoice_above_amount",
                reason: format!(
                    "{} more invoiced would make {} of a document whose total is {total} (minor units)",
                    amount.minor,
                    invoiced + amount.minor
                ),
            },
            params: json!({ "invoiced": invoiced, "amount": amount.minor, "total": total }),
        });
    }
    Ok(())
}

/// The contract or order a payment or invoice belongs to, and that document's total, when it
/// names one. Refused with `unknown_document` when the document is not known, deleted or not a
/// contract or order, `customer_mismatch` when it is another customer's, and
/// `currency_mismatch` when the amount is in another currency.
fn in_documents_currency(
    kind: Kind,
    doc: &RecordDoc,
    facts: &dyn Facts,
) -> Result<Option<(String, i64)>, WorkflowRefusal> {
    let spec = kind.spec();
    let read = |name: &str| spec.field(name).and_then(|f| doc.read(f));
    let Some(FieldValue::Money(amount)) = read("amount") else { return Ok(None) };
    let refuse = |code: &'static str, reason: String, params: Json| WorkflowRefusal {
        refusal: Refusal { code, reason },
        params,
    };
    let customer = text_of(kind, doc, "customer");
    // Each document it names is checked; the contract, when it names one, is the one counted.
    let mut counted: Option<(String, i64)> = None;
    for (field, expected) in [("contract", Kind::Contract), ("sales_order", Kind::Order)] {
        let Some(of) = read(field).and_then(|v| v.as_str().map(str::to_string)) else { continue };
        let unknown = |what: &str| {
            let reason = format!("the {kind} names {of}, which is not {what}");
            refuse("unknown_document", reason, json!({ "document": of }))
        };
        let Some(document) = facts.record(&of).filter(|d| d.deleted_at().is_none()) else {
            return Err(unknown("a known contract or order (deleted, or not synced yet)"));
        };
        if document.kind() != Some(expected) {
            return Err(unknown(if expected == Kind::Contract { "a contract" } else { "an order" }));
        }
        let theirs = text_of(expected, &document, "customer");
        if customer != theirs {
            return Err(refuse(
                "customer_mismatch",
                format!("the {kind} is for another customer than its {expected}"),
                json!({ "customer": customer, "document_customer": theirs }),
            ));
        }
        let money = DocumentMoney::of(expected, &document);
        if money.currency != amount.currency {
            return Err(refuse(
                "currency_mismatch",
                format!("the {kind} is in {} but its document in {}", amount.currency, money.currency),
                json!({ "currency": amount.currency, "document_currency": money.currency }),
            ));
        }
        if counted.is_none() {
            counted = money.totals().map(|t| (of.clone(), t.total));
        }
    }
    Ok(counted)
}

/// Guard of confirming a payment: in its contract's or order's currency.
pub fn same_currency(kind: Kind, doc: &RecordDoc, facts: &dyn Facts) -> Result<(), WorkflowRefusal> {
    in_documents_currency(kind, doc, facts).map(|_| ())
}

/// Guard of confirming an order: its lines still total, none names a discontinued product,
/// no line is priced below the floor, the stock snapshot holds the quantities, and the
/// customer's credit covers what they would owe. Every problem is named, with its figures.
pub fn order_holds(kind: Kind, doc: &RecordDoc, facts: &dyn Facts) -> Result<(), WorkflowRefusal> {
    let money = DocumentMoney::of(kind, doc);
    // Prices its contract had approved hold for it; an order's discount and total need none.
    let mut needs = needs_beyond_approved(kind, doc, facts);
    needs.retain(|n| !matches!(n.code, "discount_above_threshold" | "amount_above_threshold" | "other_currency"));
    let mut wanted: HashMap<String, i64> = HashMap::new();
    for line in &money.lines {
        if let Some(p) = line.text("product") {
            *wanted.entry(p.to_string()).or_default() += line.int("quantity");
        }
    }
    let mut products: Vec<_> = wanted.into_iter().collect();
    products.sort();
    for (product, quantity) in products {
        if let Some(held) = stock(facts, &product) {
            if held < quantity {
                needs.push(ApprovalNeed {
                    code: "stock_short",
                    line: None,
                    detail: json!({ "product": product, "quantity": FieldValue::Quantity(quantity).to_json(),
                                    "stock": FieldValue::Quantity(held).to_json() }),
                });
            }
        }
    }
    let customer = text_of(kind, doc, "customer");
    // An order of a contract bills nothing of its own (`bills`): its contract is counted.
    if let (Some(customer), Some(t), false) = (customer, money.totals(), in_contract(kind, doc, facts)) {
        if let Some((limit, owed)) = credit(facts, &customer, &money.currency) {
            if owed + t.total > limit {
                needs.push(ApprovalNeed {
                    code: "credit_exceeded",
                    line: None,
                    detail: json!({ "limit": limit, "owed": owed, "order_total": t.total }),
                });
            }
        }
    }
    if needs.is_empty() {
        return Ok(());
    }
    let codes: Vec<&str> = needs.iter().map(|n| n.code).collect();
    Err(WorkflowRefusal {
        refusal: Refusal {
            code: "order_changed",
            reason: format!("the order no longer holds as taken ({})", codes.join(", ")),
        },
        params: json!({ "needs": needs }),
    })
}

fn text_of(kind: Kind, doc: &RecordDoc, field: &str) -> Option<String> {
    kind.spec().field(field).and_then(|f| doc.read(f)).and_then(|v| v.as_str().map(str::to_string))
}

/// An invoice's buyer fields from its customer as it is now: name, tax ID, bank, account,
/// address and first phone.
pub(crate) fn buyer_of(invoice: &RecordDoc, facts: &dyn Facts) -> Vec<(&'static FieldSpec, FieldValue)> {
    let Some(customer) = text_of(Kind::Invoice, invoice, "customer").and_then(|c| facts.record(&c)) else {
        return Vec::new();
    };
    let read = |name: &str| Kind::Customer.spec().field(name).and_then(|f| customer.read(f));
    let pairs = [
        ("buyer_name", read("name")),
        ("buyer_tax_id", read("tax_id")),
        ("buyer_bank", read("bank")),
        ("buyer_account", read("bank_account")),
        ("buyer_address", read("address")),
        (
            "buyer_phone",
            match read("phones") {
                Some(FieldValue::Phones(p)) => p.into_iter().next().map(FieldValue::Str),
                _ => None,
            },
        ),
    ];
    pairs
        .into_iter()
        .filter_map(|(name, value)| {
            let value = value.filter(|v| v.as_str().is_some_and(|s| !s.is_empty()))?;
            Some((Kind::Invoice.spec().field(name)?, value))
        })
        .collect()
}

/// The customer `id` as prices see them: their grade.
pub(crate) fn buyer(facts: &dyn Facts, id: &str) -> Buyer {
    let grade = facts.record(id).and_then(|doc| text_of(Kind::Customer, &doc, "grade"));
    Buyer { id: id.to_string(), grade }
}

pub(crate) fn product(facts: &dyn Facts, id: &str) -> Option<ProductPrice> {
    let doc = facts.record(id)?;
    (doc.kind() == Some(Kind::Product) && doc.deleted_at().is_none()).then(|| ProductPrice::of(id, &doc)).flatten()
}

pub(crate) fn price_lists(facts: &dyn Facts) -> Vec<PriceList> {
    facts.records(Kind::PriceList, None).iter().filter_map(|(id, doc)| PriceList::of(id, doc)).collect()
}

/// How much of `product` the stock snapshot holds over all warehouses (thousandths); `None`
/// when the snapshot has no row for it (stock is not tracked for it).
pub(crate) fn stock(facts: &dyn Facts, product: &str) -> Option<i64> {
    let rows = facts.records(Kind::Stock, Some(("product", product)));
    let held: Vec<i64> = rows
        .iter()
        .filter(|(_, doc)| text_of(Kind::Stock, doc, "product").as_deref() == Some(product))
        .filter_map(|(_, doc)| match Kind::Stock.spec().field("quantity").and_then(|f| doc.read(f)) {
            Some(FieldValue::Quantity(n)) => Some(n),
            _ => None,
        })
        .collect();
    (!held.is_empty()).then(|| held.iter().sum())
}

fn status_of(kind: Kind, doc: &RecordDoc) -> String {
    crate::workflow::state(kind, doc).unwrap_or_default()
}

/// Contracts in these states bill their total to the customer.
pub const BILLED_CONTRACT: &[&str] = &["signed", "executing", "completed"];
/// Orders in these states bill their total, unless a contract they belong to bills it.
pub const BILLED_ORDER: &[&str] = &["confirmed", "shipped", "completed"];
/// Payments in this state count as collected.
pub const COLLECTED: &str = "confirmed";

/// Whether a document of `kind` in `state` (belonging to a contract or not) bills its total:
/// the one rule of what a customer owes, for the guards, the customer's page and receivables.
pub fn bills(kind: Kind, state: &str, in_contract: bool) -> bool {
    match kind {
        Kind::Contract => BILLED_CONTRACT.contains(&state),
        Kind::Order => BILLED_ORDER.contains(&state) && !in_contract,
        _ => false,
    }
}

/// Whether an order belongs to a contract that bills for it: one it names that stands (not
/// deleted, not void) and is the same customer's. An order naming any other bills itself.
pub(crate) fn in_contract(kind: Kind, doc: &RecordDoc, facts: &dyn Facts) -> bool {
    let Some(id) = text_of(kind, doc, "contract") else { return false };
    facts.record(&id).is_some_and(|c| {
        c.kind() == Some(Kind::Contract)
            && c.deleted_at().is_none()
            && status_of(Kind::Contract, &c) != "void"
            && text_of(Kind::Contract, &c, "customer") == text_of(kind, doc, "customer")
    })
}

/// What a customer owes in `currency` (minor units): the totals of the documents that bill
/// ([`bills`]) less their collected payments.
pub fn owed(facts: &dyn Facts, customer: &str, currency: &str) -> i64 {
    let mut owed = 0i64;
    for kind in [Kind::Contract, Kind::Order] {
        for (_, doc) in facts.records(kind, Some(("customer", customer))) {
            if text_of(kind, &doc, "customer").as_deref() != Some(customer) || doc.deleted_at().is_some() {
                continue;
            }
            let money = DocumentMoney::of(kind, &doc);
            if bills(kind, &status_of(kind, &doc), in_contract(kind, &doc, facts)) && money.currency == currency {
                owed += money.totals().map_or(0, |t| t.total);
            }
        }
    }
    for (_, doc) in facts.records(Kind::Payment, Some(("customer", customer))) {
        if text_of(Kind::Payment, &doc, "customer").as_deref() != Some(customer)
            || doc.deleted_at().is_some()
            || status_of(Kind::Payment, &doc) != COLLECTED
        {
            continue;
        }
        if let Some(FieldValue::Money(m)) = Kind::Payment.spec().field("amount").and_then(|f| doc.read(f)) {
            if m.currency == currency {
                owed -= m.minor;
            }
        }
    }
    owed
}

/// A customer's credit limit in `currency` and what they owe, when they have a limit.
fn credit(facts: &dyn Facts, customer: &str, currency: &str) -> Option<(i64, i64)> {
    let doc = facts.record(customer)?;
    let Some(FieldValue::Money(limit)) = Kind::Customer.spec().field("credit_limit").and_then(|f| doc.read(f)) else {
        return None;
    };
    (limit.currency == currency).then(|| (limit.minor, owed(facts, customer, currency)))
}

/// The amount already invoiced (issued invoices) against a contract or order.
fn invoiced(facts: &dyn Facts, customer: &str, of: &str) -> i64 {
    facts
        .records(Kind::Invoice, Some(("customer", customer)))
        .iter()
        .filter(|(_, doc)| doc.deleted_at().is_none() && status_of(Kind::Invoice, doc) == "issued")
        .filter(|(_, doc)| {
            ["contract", "sales_order"].iter().any(|f| text_of(Kind::Invoice, doc, f).as_deref() == Some(of))
        })
        .filter_map(|(_, doc)| match Kind::Invoice.spec().field("amount").and_then(|f| doc.read(f)) {
            Some(FieldValue::Money(m)) => Some(m.minor),
            _ => None,
        })
        .sum()
}
