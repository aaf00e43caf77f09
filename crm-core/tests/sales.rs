//! Sales documents on devices: lines that merge, totals derived by one rounding rule, prices
//! and approvals, and the input they refuse.

#![allow(clippy::unwrap_used)]

mod common;

use common::{send, Replica, Rng};
use crm_core::domain::sales::{totals, Totals};
use crm_core::items::Item;
use crm_core::value::FieldValue;
use serde_json::{json, Value as Json};

fn line(id: &str, quantity: i64, unit_price: i64, list_price: i64, tax_rate: i64) -> Item {
    let mut item = Item { id: id.to_string(), ..Item::default() };
    item.parts.insert("name".into(), FieldValue::Str(format!("产品{id}")));
    item.parts.insert("quantity".into(), FieldValue::Quantity(quantity));
    item.parts.insert("unit_price".into(), FieldValue::Int(unit_price));
    item.parts.insert("list_price".into(), FieldValue::Int(list_price));
    item.parts.insert("tax_rate".into(), FieldValue::Int(tax_rate));
    item
}

/// The rule as the documentation states it, computed the plain way: exact fractions compared
/// by cross-multiplication, rounding by comparing twice the remainder with the divisor.
fn reference(lines: &[(String, i64, i64, i64)], discount: i64) -> (Vec<i64>, Vec<i64>, Vec<i64>) {
    fn round(n: i128, d: i128) -> i64 {
        let (q, r) = (n.abs() / d, n.abs() % d);
        let q = if 2 * r >= d { q + 1 } else { q };
        (if n < 0 { -q } else { q }) as i64
    }
    let amounts: Vec<i64> = lines.iter().map(|(_, q, p, _)| round(*q as i128 * *p as i128, 1000)).collect();
    let subtotal: i64 = amounts.iter().sum();
    let mut shares = vec![0i64; lines.len()];
    if subtotal > 0 {
        // Hamilton's method: floors, then the largest remainders, ties to the smaller id.
        for (s, a) in shares.iter_mut().zip(&amounts) {
            *s = (discount as i128 * *a as i128 / subtotal as i128) as i64;
        }
        let left = discount - shares.iter().sum::<i64>();
        let mut order: Vec<usize> = (0..lines.len()).collect();
        order.sort_by(|&a, &b| {
            let ra = discount as i128 * amounts[a] as i128 % subtotal as i128;
            let rb = discount as i128 * amounts[b] as i128 % subtotal as i128;
            rb.cmp(&ra).then(lines[a].0.cmp(&lines[b].0))
        });
        for &i in order.iter().take(left as usize) {
            shares[i] += 1;
        }
    }
    let taxes = lines
        .iter()
        .zip(amounts.iter().zip(&shares))
        .map(|((_, _, _, rate), (a, s))| round((*a - *s) as i128 * *rate as i128, 10_000 + *rate as i128))
        .collect();
    (amounts, shares, taxes)
}

#[test]
fn totals_follow_the_documented_rule_for_random_lines() {
    let mut rng = Rng::seeded("totals_follow_the_documented_rule_for_random_lines");
    for _ in 0..2_000 {
        let n = 1 + rng.below(12) as usize;
        let specs: Vec<(String, i64, i64, i64)> = (0..n)
            .map(|i| {
                let small = rng.below(2) == 0;
                let quantity = 1 + rng.below(if small { 10 } else { 5_000_000 });
                let cheap = rng.below(3) == 0;
                let price = rng.below(if cheap { 100 } else { 10_000_000 });
                let any = rng.below(10_001);
                let rate = [0, 300, 600, 900, 1300, 1700, any][rng.below(7) as usize];
                (format!("l{:02}", (i * 7919) % 97), quantity, price, rate)
            })
            .collect();
        let lines: Vec<Item> = specs.iter().map(|(id, q, p, r)| line(id, *q, *p, *p + 100, *r)).collect();
        let subtotal_guess: i64 = lines.iter().map(|l| l.int("quantity") * l.int("unit_price") / 1000).sum();
        let discount = if subtotal_guess > 0 { rng.below(subtotal_guess as u64 + 1) } else { 0 };
        let t: Totals = match totals(&lines, discount) {
            Ok(t) => t,
            // Rounding can put the real subtotal just under the guess.
            Err(e) => {
                assert_eq!(e.reason, "discount_above_subtotal");
                continue;
            }
        };
        let (amounts, shares, taxes) = reference(&specs, discount);
        assert_eq!(t.lines.iter().map(|l| l.amount).collect::<Vec<_>>(), amounts);
        assert_eq!(t.lines.iter().map(|l| l.discount_share).collect::<Vec<_>>(), shares);
        assert_eq!(t.lines.iter().map(|l| l.tax).collect::<Vec<_>>(), taxes);
        assert_eq!(t.subtotal, amounts.iter().sum::<i64>());
        assert_eq!(shares.iter().sum::<i64>(), discount, "the shares add up to the discount exactly");
        assert_eq!(t.total, t.subtotal - discount);
        assert_eq!(t.tax, taxes.iter().sum::<i64>());
        assert_eq!(t.total_excluding_tax, t.total - t.tax);
        assert!(t.tax <= t.total.max(0));
        // The order lines are listed in does not change any figure.
        let mut reversed = lines.clone();
        reversed.reverse();
        let r = totals(&reversed, discount).unwrap();
        assert_eq!((r.subtotal, r.total, r.tax), (t.subtotal, t.total, t.tax));
    }
}

#[test]
fn rounding_is_half_away_from_zero_and_tax_is_included_in_prices() {
    // 2.5 × 0.33 = 0.825 → 0.83; 13 % tax in 113.00 is 13.00.
    let t = totals(&[line("a", 2500, 33, 33, 0), line("b", 1000, 11300, 11300, 1300)], 0).unwrap();
    assert_eq!(t.lines[0].amount, 83);
    assert_eq!(t.lines[1].tax, 1300);
    assert_eq!((t.subtotal, t.tax, t.total_excluding_tax), (11383, 1300, 10083));
    // A discount of 1 fen over three equal lines goes to the line whose id sorts first.
    let t =
        totals(&[line("c", 1000, 100, 100, 0), line("a", 1000, 100, 100, 0), line("b", 1000, 100, 100, 0)], 1).unwrap();
    assert_eq!(t.lines.iter().map(|l| l.discount_share).collect::<Vec<_>>(), [0, 1, 0]);
}

fn admin_and_seller() -> (Replica, Replica) {
    (Replica::new("u-admin", "管理员", "admin"), Replica::new("u-ann", "王芳", "account_manager"))
}

fn product(admin: &mut Replica, code: &str, price_minor: i64) -> String {
    admin.create(
        "product",
        json!({"code": code, "name": format!("液压泵 {code}"), "unit": "台",
               "list_price": {"minor": price_minor, "currency": "CNY"}}),
    )
}

fn quote_line(product: &str, quantity: Json, unit_price: i64, list_price: i64) -> Json {
    json!({"product": product, "name": "液压泵", "unit": "台", "quantity": quantity,
           "unit_price": unit_price, "list_price": list_price, "tax_rate": 1300})
}

#[test]
fn lines_added_on_two_devices_both_stay_and_totals_agree() {
    let (mut admin, mut ann) = admin_and_seller();
    let pump = product(&mut admin, "P-100", 120_000);
    send(&mut admin, &mut ann);
    let mut tablet = Replica::new("u-ann", "王芳", "account_manager");
    let customer = ann.create("customer", json!({"name": "苏州精工机械有限公司"}));
    let quote =
        ann.create("quote", json!({"customer": customer, "lines": [quote_line(&pump, json!(2), 120_000, 120_000)]}));
    send(&mut ann, &mut tablet);
    send(&mut admin, &mut tablet);
    let first = ann.get(&quote)["fields"]["lines"][0]["id"].as_str().unwrap().to_string();

    // Offline on both: a line added on each; the first line's quantity changed on each.
    let mut on_laptop = ann.get(&quote)["fields"]["lines"].clone();
    on_laptop.as_array_mut().unwrap().push(quote_line(&pump, json!("1.5"), 118_000, 120_000));
    on_laptop[0]["quantity"] = json!(3);
    ann.update(&quote, json!({"lines": on_laptop}));
    let mut on_tablet = tablet.get(&quote)["fields"]["lines"].clone();
    on_tablet.as_array_mut().unwrap().push(json!({"name": "安装服务", "quantity": 1, "unit_price": 50_000}));
    on_tablet[0]["quantity"] = json!(4);
    tablet.update(&quote, json!({"lines": on_tablet}));
    send(&mut ann, &mut tablet);
    send(&mut tablet, &mut ann);

    let (a, b) = (ann.get(&quote), tablet.get(&quote));
    assert_eq!(a["fields"], b["fields"], "both devices see the same document");
    let lines = a["fields"]["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 3, "both added lines survive: {lines:?}");
    let added = lines.iter().find(|l| l["unit_price"] == 118_000).unwrap();
    assert_eq!(added["quantity"], json!(1.5), "a quantity with decimals, exactly");
    let path = format!("lines.{first}.quantity");
    let conflict = a["conflicts"][&path].as_array().unwrap_or_else(|| panic!("a conflict on the line: {a}"));
    let mut values: Vec<i64> = conflict.iter().map(|c| c["value"].as_i64().unwrap()).collect();
    values.sort();
    assert_eq!(values, [3, 4]);
    assert_eq!(a["conflicts"], b["conflicts"]);
    // Totals are derived the same everywhere, from the winning values.
    assert_eq!(a["fields"]["total"], b["fields"]["total"]);
    let winning = lines[0]["quantity"].as_i64().unwrap();
    let expected = winning * 120_000 + 177_000 + 50_000;
    assert_eq!(a["fields"]["total"], json!({"minor": expected, "currency": "CNY"}));
    let row = ann.call(json!({"op": "list", "kind": "quote"}))["items"][0].clone();
    assert_eq!(row["fields"]["total"]["minor"], expected, "lists have the total too");
    assert_eq!(row["has_conflicts"], true);

    // Resolved on one device: the other follows, and the total with it.
    ann.call(json!({"op": "resolve_conflict", "id": quote, "field": path, "value": 4}));
    send(&mut ann, &mut tablet);
    let resolved = tablet.get(&quote);
    assert!(resolved.get("conflicts").is_none(), "{resolved}");
    assert_eq!(resolved["fields"]["total"]["minor"], 4 * 120_000 + 177_000 + 50_000);
}

#[test]
fn an_edit_from_an_older_version_changes_only_what_its_writer_changed() {
    let (mut admin, mut ann) = admin_and_seller();
    let pump = product(&mut admin, "P-100", 120_000);
    send(&mut admin, &mut ann);
    let mut tablet = Replica::new("u-ann", "王芳", "account_manager");
    let customer = ann.create("customer", json!({"name": "苏州精工机械有限公司"}));
    let quote = ann.create(
        "quote",
        json!({"customer": customer, "title": "报价", "lines": [
            quote_line(&pump, json!(2), 120_000, 120_000),
            quote_line(&pump, json!(5), 120_000, 120_000),
        ]}),
    );
    send(&mut ann, &mut tablet);
    send(&mut admin, &mut tablet);

    // The laptop's form reads the quote, then waits while the tablet's edits arrive.
    let read = ann.get(&quote);
    let version = read["version"].as_str().unwrap().to_string();
    let (first, second) = (read["fields"]["lines"][0]["id"].clone(), read["fields"]["lines"][1]["id"].clone());
    let mut on_tablet = tablet.get(&quote)["fields"]["lines"].clone();
    on_tablet[0]["unit_price"] = json!(115_000);
    on_tablet.as_array_mut().unwrap().push(json!({"name": "安装服务", "quantity": 1, "unit_price": 50_000}));
    tablet.update(&quote, json!({"lines": on_tablet, "title": "报价（含安装）"}));
    send(&mut tablet, &mut ann);

    // The laptop saves the form as it read it, with its own changes: the second line
    // removed, the first line's quantity changed, the title sent as it was.
    let mut on_laptop = read["fields"]["lines"].clone();
    on_laptop.as_array_mut().unwrap().remove(1);
    on_laptop[0]["quantity"] = json!(3);
    let saved = ann.call(json!({"op": "update", "id": quote, "base": version,
                                "fields": {"lines": on_laptop, "title": "报价"}}));
    let lines = saved["fields"]["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "the removed line is gone, the tablet's added line stays: {lines:?}");
    assert_eq!(lines[0]["id"], first);
    assert!(lines.iter().all(|l| l["id"] != second));
    assert_eq!(lines[0]["quantity"], 3, "the laptop's change");
    assert_eq!(lines[0]["unit_price"], 115_000, "the tablet's change to another part of the line stays");
    assert_eq!(lines[1]["name"], "安装服务");
    assert_eq!(saved["fields"]["title"], "报价（含安装）", "a field sent as it was read keeps the newer value");
    assert!(saved.get("conflicts").is_none(), "{saved}");

    // Without a base the list is written as sent: the same stale list deletes the added line.
    let stale = ann.call(json!({"op": "update", "id": quote, "fields": {"lines": on_laptop}}));
    assert_eq!(stale["fields"]["lines"].as_array().unwrap().len(), 1);

    // A version this record never had is refused, and nothing is written.
    let before = ann.get(&quote);
    for bad in ["", "zz", "0000000000000000000000000000000000000000000000000000000000000000"] {
        let refused = ann.try_call(json!({"op": "update", "id": quote, "base": bad, "fields": {"lines": []}}));
        assert_eq!(refused["params"]["errors"][0]["field"], "base", "{refused}");
        assert_eq!(refused["params"]["errors"][0]["reason"], "unknown_version", "{refused}");
    }
    assert_eq!(ann.get(&quote)["fields"], before["fields"]);
}

#[test]
fn bad_lines_and_amounts_are_refused_with_what_is_wrong_and_nothing_is_written() {
    let (mut admin, mut ann) = admin_and_seller();
    let pump = product(&mut admin, "P-200", 10_000);
    send(&mut admin, &mut ann);
    let customer = ann.create("customer", json!({"name": "无锡恒达贸易"}));
    let before = ann.call(json!({"op": "list", "kind": "quote"}))["items"].as_array().unwrap().len();
    let refused = |ann: &mut Replica, fields: Json| {
        let out = ann.try_call(json!({"op": "create", "kind": "quote", "fields": fields}));
        assert_eq!(out["type"], "error", "{out}");
        out["params"]["errors"][0].clone()
    };
    let zero = refused(&mut ann, json!({"customer": customer, "lines": [quote_line(&pump, json!(0), 100, 100)]}));
    assert_eq!((zero["field"].as_str(), zero["reason"].as_str()), (Some("lines"), Some("quantity_not_positive")));
    assert_eq!(zero["params"]["item"], 0);
    let negative = refused(&mut ann, json!({"customer": customer, "lines": [quote_line(&pump, json!(-2), 100, 100)]}));
    assert_eq!(negative["reason"], "quantity_not_positive");
    let decimals =
        refused(&mut ann, json!({"customer": customer, "lines": [quote_line(&pump, json!("1.2345"), 1, 1)]}));
    assert_eq!(
        (decimals["reason"].as_str(), decimals["params"]["part"].as_str()),
        (Some("invalid_quantity"), Some("quantity"))
    );
    let float_price = refused(
        &mut ann,
        json!({"customer": customer, "lines": [quote_line(&pump, json!(1), 0, 0)
        .as_object().unwrap().clone().into_iter().chain([("unit_price".to_string(), json!(99.5))]).collect::<serde_json::Map<_, _>>()]}),
    );
    assert_eq!(float_price["params"]["part"], "unit_price");
    let unknown = refused(
        &mut ann,
        json!({"customer": customer, "lines": [{"name": "x", "quantity": 1, "unit_price": 1, "colour": "red"}]}),
    );
    assert_eq!(
        (unknown["reason"].as_str(), unknown["params"]["part"].as_str()),
        (Some("unknown_part"), Some("colour"))
    );
    let missing = refused(&mut ann, json!({"customer": customer, "lines": [{"name": "x", "quantity": 1}]}));
    assert_eq!(
        (missing["reason"].as_str(), missing["params"]["part"].as_str()),
        (Some("required"), Some("unit_price"))
    );
    let discount = refused(
        &mut ann,
        json!({"customer": customer, "discount": 30_000, "lines": [quote_line(&pump, json!(2), 10_000, 10_000)]}),
    );
    assert_eq!(
        (discount["field"].as_str(), discount["reason"].as_str()),
        (Some("discount"), Some("discount_above_subtotal"))
    );
    let typed_total = refused(&mut ann, json!({"customer": customer, "total": {"minor": 1, "currency": "CNY"}}));
    assert_eq!((typed_total["field"].as_str(), typed_total["reason"].as_str()), (Some("total"), Some("derived_field")));
    assert_eq!(ann.call(json!({"op": "list", "kind": "quote"}))["items"].as_array().unwrap().len(), before);

    // An update that breaks the lines leaves the document as it was.
    let quote =
        ann.create("quote", json!({"customer": customer, "lines": [quote_line(&pump, json!(1), 10_000, 10_000)]}));
    let mut lines = ann.get(&quote)["fields"]["lines"].clone();
    lines[0]["quantity"] = json!(0);
    let out = ann.try_call(json!({"op": "update", "id": quote, "fields": {"lines": lines}}));
    assert_eq!(out["params"]["errors"][0]["reason"], "quantity_not_positive", "{out}");
    assert_eq!(ann.get(&quote)["fields"]["lines"][0]["quantity"], 1);
    // Reference data is the admin's: a salesperson adds no product.
    let product = ann.try_call(json!({"op": "create", "kind": "product",
        "fields": {"code": "X", "name": "x", "list_price": {"minor": 1, "currency": "CNY"}}}));
    assert_eq!(product["type"], "error", "{product}");
}

fn take(r: &mut Replica, id: &str, name: &str, fields: Json) -> Json {
    r.try_call(json!({"op": "transition", "id": id, "name": name, "fields": fields}))
}

#[test]
fn a_price_below_the_list_waits_for_approval_and_an_edit_after_approval_sends_it_back_to_draft() {
    let mut sue = Replica::new("u-sue", "李丽", "supervisor");
    let mut admin = Replica::new("u-admin", "管理员", "admin");
    let pump = product(&mut admin, "P-300", 100_000);
    // The admin allows 5 % off without approval.
    admin.create("setting", json!({"key": "sales.approval_discount_bp", "value": 500}));
    send(&mut admin, &mut sue);
    let customer = sue.create("customer", json!({"name": "杭州华东建材"}));

    // 3 % off: sent at once.
    let small =
        sue.create("quote", json!({"customer": customer, "lines": [quote_line(&pump, json!(1), 97_000, 100_000)]}));
    let sent = take(&mut sue, &small, "send", json!({}));
    assert_eq!(sent["fields"]["status"], "sent", "{sent}");

    // 10 % off: refused with what needs approval, then submitted and approved.
    let big =
        sue.create("quote", json!({"customer": customer, "lines": [quote_line(&pump, json!(1), 90_000, 100_000)]}));
    let refused = take(&mut sue, &big, "send", json!({}));
    assert_eq!(refused["code"], "approval_required", "{refused}");
    assert_eq!(refused["params"]["needs"][0]["code"], "price_below_floor");
    assert_eq!(refused["params"]["needs"][0]["detail"]["floor"], 95_000);
    // A lowered list price on the line does not escape it: the product's price counts.
    let mut lines = sue.get(&big)["fields"]["lines"].clone();
    lines[0]["list_price"] = json!(90_000);
    sue.update(&big, json!({"lines": lines}));
    assert_eq!(take(&mut sue, &big, "send", json!({}))["code"], "approval_required");

    assert_eq!(take(&mut sue, &big, "submit", json!({}))["fields"]["status"], "pending");
    let approved = take(&mut sue, &big, "approve", json!({}));
    assert_eq!(approved["fields"]["status"], "approved", "{approved}");
    assert!(approved["fields"]["approved_heads"].as_str().is_some_and(|h| h.len() == 64));
    // Notes do not undo an approval; a changed line does.
    sue.update(&big, json!({"notes": "客户要求月底前发货"}));
    assert_eq!(sue.get(&big)["fields"]["status"], "approved");
    let mut lines = sue.get(&big)["fields"]["lines"].clone();
    lines[0]["unit_price"] = json!(80_000);
    sue.update(&big, json!({"lines": lines}));
    let stale = sue.get(&big);
    assert_eq!(stale["fields"]["status"], "draft", "an edit after approval sends it back to draft: {stale}");
    let row = sue.call(json!({"op": "list", "kind": "quote", "filter": {"status": "draft"}}));
    assert!(row["items"].as_array().unwrap().iter().any(|i| i["id"] == big.as_str()), "lists agree: {row}");
    assert_eq!(take(&mut sue, &big, "send", json!({}))["code"], "approval_required");
    assert_eq!(take(&mut sue, &big, "submit", json!({}))["fields"]["status"], "pending");
    take(&mut sue, &big, "approve", json!({}));
    let out = take(&mut sue, &big, "send", json!({}));
    assert_eq!(out["fields"]["status"], "sent", "{out}");
    assert_eq!(take(&mut sue, &big, "accept", json!({}))["fields"]["status"], "accepted");

    // The approved prices carry into the contract made from the quote (once: asked again, the
    // same contract), and into its orders; lower than approved, signing is refused.
    let plan = |total: i64| json!({"plan": [{"due": "2026-12-31", "amount": total}]});
    let contract = sue.call(json!({"op": "contract_from_quote", "quote": big}))["id"].as_str().unwrap().to_string();
    let again = sue.call(json!({"op": "contract_from_quote", "quote": big}));
    assert_eq!(again["id"], contract.as_str(), "one contract per quote: {again}");
    let mut lines = sue.get(&contract)["fields"]["lines"].clone();
    lines[0]["unit_price"] = json!(70_000);
    sue.update(&contract, json!({"lines": lines}));
    sue.update(&contract, plan(70_000));
    let refused = take(&mut sue, &contract, "sign", json!({"signed_date": "2026-11-23"}));
    assert_eq!(refused["code"], "approval_required", "{refused}");
    assert_eq!(refused["params"]["needs"][0]["code"], "price_below_floor");
    let needs = sue.call(json!({"op": "approval_needs", "id": contract}));
    assert_eq!(needs["needs"][0]["code"], "price_below_floor", "the form can say so before: {needs}");
    let mut lines = sue.get(&contract)["fields"]["lines"].clone();
    lines[0]["unit_price"] = json!(80_000);
    sue.update(&contract, json!({"lines": lines}));
    sue.update(&contract, plan(80_000));
    assert_eq!(sue.call(json!({"op": "approval_needs", "id": contract}))["needs"], json!([]));
    let signed = take(&mut sue, &contract, "sign", json!({"signed_date": "2026-11-23"}));
    assert_eq!(signed["fields"]["status"], "signed", "{signed}");
    let order = sue.create(
        "order",
        json!({"customer": customer, "contract": contract, "lines": [quote_line(&pump, json!(1), 80_000, 100_000)]}),
    );
    assert_eq!(take(&mut sue, &order, "confirm", json!({}))["fields"]["status"], "confirmed");
    // The contract's one pump is taken: another order at its price draws on nothing.
    let more = sue.create(
        "order",
        json!({"customer": customer, "contract": contract, "lines": [quote_line(&pump, json!(1), 80_000, 100_000)]}),
    );
    let refused = take(&mut sue, &more, "confirm", json!({}));
    assert_eq!(refused["params"]["needs"][0]["code"], "price_below_floor", "beyond the contract: {refused}");

    // With no quote behind it, a contract below the floor is refused at signing; an order
    // below the floor without a contract is refused too.
    let direct = sue.create(
        "contract",
        json!({"customer": customer, "lines": [quote_line(&pump, json!(1), 80_000, 100_000)], "plan": [{"due": "2026-12-31", "amount": 80_000}]}),
    );
    assert_eq!(take(&mut sue, &direct, "sign", json!({"signed_date": "2026-11-23"}))["code"], "approval_required");
    let loose =
        sue.create("order", json!({"customer": customer, "lines": [quote_line(&pump, json!(1), 80_000, 100_000)]}));
    let refused = take(&mut sue, &loose, "confirm", json!({}));
    assert_eq!(refused["code"], "order_changed", "{refused}");
    assert_eq!(refused["params"]["needs"][0]["code"], "price_below_floor");
    // Within the floor, a contract needs no quote.
    let plain = sue.create(
        "contract",
        json!({"customer": customer, "lines": [quote_line(&pump, json!(1), 96_000, 100_000)], "plan": [{"due": "2026-12-31", "amount": 96_000}]}),
    );
    assert_eq!(take(&mut sue, &plain, "sign", json!({"signed_date": "2026-11-23"}))["fields"]["status"], "signed");
}

#[test]
fn an_account_manager_cannot_approve_and_finance_reads_documents_but_edits_no_customer() {
    let (mut admin, mut ann) = admin_and_seller();
    let pump = product(&mut admin, "P-400", 100_000);
    send(&mut admin, &mut ann);
    let customer = ann.create("customer", json!({"name": "宁波港达物流"}));
    let quote =
        ann.create("quote", json!({"customer": customer, "lines": [quote_line(&pump, json!(1), 50_000, 100_000)]}));
    take(&mut ann, &quote, "submit", json!({}));
    let refused = take(&mut ann, &quote, "approve", json!({}));
    assert_eq!(refused["code"], "transition_forbidden", "{refused}");

    let mut fin = Replica::new("u-fin", "赵会计", "finance");
    send(&mut ann, &mut fin);
    let payment = fin.try_call(json!({"op": "create", "kind": "payment", "fields": {
        "customer": customer, "amount": {"minor": 50_000, "currency": "CNY"}, "received_on": "2026-11-20"}}));
    assert_ne!(payment["type"], "error", "finance records a payment for anyone's customer: {payment}");
    let edit = fin.try_call(json!({"op": "update", "id": customer, "fields": {"name": "改名"}}));
    assert_eq!(edit["type"], "error", "but edits no customer: {edit}");
    let id = payment["id"].as_str().unwrap();
    assert_eq!(take(&mut fin, id, "confirm", json!({}))["fields"]["status"], "confirmed");
}

#[test]
fn at_order_time_the_customer_history_prices_stock_and_money_are_on_the_device() {
    let mut admin = Replica::new("u-admin", "管理员", "admin");
    let pump = product(&mut admin, "P-500", 100_000);
    let seal = product(&mut admin, "S-10", 2_000);
    // Grade A customers get the pump at 95,000 from 2 units; everyone gets 10 % off seals.
    admin.create(
        "price_list",
        json!({"name": "A类客户价", "grade": "A", "items": [
        {"product": pump, "min_quantity": 2, "price": 95_000}]}),
    );
    admin.create("price_list", json!({"name": "配件九折", "items": [{"category": "parts", "percent_off": 1000}]}));
    admin.update(&seal, json!({"category": "parts"}));
    admin.create("stock", json!({"product": pump, "warehouse": "苏州仓", "quantity": "7.5"}));
    admin.create("stock", json!({"product": pump, "warehouse": "无锡仓", "quantity": 2}));
    let customer = admin.create("customer", json!({"name": "常州天宁机电", "grade": "A", "owner": "u-admin"}));

    let price = |r: &mut Replica, product: &str, quantity: Json| {
        r.call(json!({"op": "price", "product": product, "customer": customer, "quantity": quantity}))
    };
    let one = price(&mut admin, &pump, json!(1));
    assert_eq!((one["list_price"].as_i64(), one["applicable_price"].as_i64()), (Some(100_000), Some(100_000)));
    assert_eq!(one["stock"], json!(9.5), "the snapshot over both warehouses");
    assert_eq!(price(&mut admin, &pump, json!(2))["applicable_price"], 95_000, "the grade's list from 2 units");
    assert_eq!(price(&mut admin, &seal, json!(1))["applicable_price"], 1_800, "the category's 10 % off");

    // Two orders and a contract; a payment confirmed and one only recorded.
    let order = |r: &mut Replica, lines: Json| r.create("order", json!({"customer": customer, "lines": lines}));
    let first = order(&mut admin, json!([quote_line(&pump, json!(2), 95_000, 100_000)]));
    admin.call(json!({"op": "transition", "id": first, "name": "confirm", "fields": {}}));
    let second = order(
        &mut admin,
        json!([quote_line(&pump, json!(1), 100_000, 100_000), quote_line(&seal, json!(10), 1_800, 2_000)]),
    );
    admin.call(json!({"op": "transition", "id": second, "name": "confirm", "fields": {}}));
    let cancelled = order(&mut admin, json!([quote_line(&seal, json!(99), 1_800, 2_000)]));
    admin.call(json!({"op": "transition", "id": cancelled, "name": "cancel", "fields": {"cancel_reason": "客户取消"}}));
    admin.create(
        "payment",
        json!({"customer": customer, "amount": {"minor": 100_000, "currency": "CNY"}, "received_on": "2026-11-01"}),
    );
    let paid = admin.create(
        "payment",
        json!({"customer": customer, "amount": {"minor": 90_000, "currency": "CNY"}, "received_on": "2026-11-02"}),
    );
    admin.call(json!({"op": "transition", "id": paid, "name": "confirm", "fields": {}}));

    let history = admin.call(json!({"op": "purchase_history", "customer": customer}));
    assert_eq!(history["documents"].as_array().unwrap().len(), 3, "cancelled ones are listed too");
    let products = history["products"].as_array().unwrap();
    let pump_row = products.iter().find(|p| p["product"] == pump.as_str()).unwrap();
    assert_eq!(pump_row["quantity"], json!(3), "{pump_row}");
    assert_eq!(pump_row["times"], 2);
    assert_eq!(pump_row["last_unit_price"], 100_000, "the latest order's price");
    let seal_row = products.iter().find(|p| p["product"] == seal.as_str()).unwrap();
    assert_eq!(seal_row["quantity"], json!(10), "the cancelled order's 99 do not count");
    let billed = 190_000 + 100_000 + 18_000;
    assert_eq!(
        history["balances"],
        json!([{"currency": "CNY", "billed": billed, "collected": 90_000, "outstanding": billed - 90_000, "unconfirmed": 100_000}])
    );
    let receivables = admin.call(json!({"op": "receivables"}));
    assert_eq!(receivables["customers"][0]["outstanding"], billed - 90_000, "{receivables}");
    assert_eq!(receivables["customers"][0]["name"], "常州天宁机电");

    // The customer's credit limit: the next order would pass it, so confirming is refused.
    admin.update(&customer, json!({"credit_limit": {"minor": 300_000, "currency": "CNY"}}));
    let third = order(&mut admin, json!([quote_line(&pump, json!(1), 100_000, 100_000)]));
    let refused = admin.try_call(json!({"op": "transition", "id": third, "name": "confirm", "fields": {}}));
    assert_eq!(refused["code"], "order_changed", "{refused}");
    assert_eq!(refused["params"]["needs"][0]["code"], "credit_exceeded");
    assert_eq!(refused["params"]["needs"][0]["detail"]["owed"], billed - 90_000);
    // More than the stock: named with the product and both figures.
    admin.update(&customer, json!({"credit_limit": null}));
    let big = order(&mut admin, json!([quote_line(&pump, json!(10), 100_000, 100_000)]));
    let refused = admin.try_call(json!({"op": "transition", "id": big, "name": "confirm", "fields": {}}));
    let need = &refused["params"]["needs"][0];
    assert_eq!(
        (need["code"].as_str(), need["detail"]["stock"].as_f64(), need["detail"]["quantity"].as_f64()),
        (Some("stock_short"), Some(9.5), Some(10.0)),
        "{refused}"
    );
}

#[test]
fn a_contract_is_made_from_an_accepted_quote_and_its_plan_must_add_up() {
    let mut sue = Replica::new("u-sue", "李丽", "supervisor");
    let mut admin = Replica::new("u-admin", "管理员", "admin");
    let pump = product(&mut admin, "P-600", 100_000);
    send(&mut admin, &mut sue);
    let customer = sue.create("customer", json!({"name": "南通海洋工程"}));
    let quote = sue.create(
        "quote",
        json!({"customer": customer, "title": "年度采购", "lines": [quote_line(&pump, json!(3), 100_000, 100_000)]}),
    );
    let early = sue.try_call(json!({"op": "contract_from_quote", "quote": quote}));
    assert_eq!(early["code"], "quote_not_accepted", "{early}");
    take(&mut sue, &quote, "send", json!({}));
    take(&mut sue, &quote, "accept", json!({}));
    let contract = sue.call(json!({"op": "contract_from_quote", "quote": quote}));
    assert_eq!(contract["fields"]["quote"], quote.as_str());
    assert_eq!(contract["fields"]["total"]["minor"], 300_000);
    assert_eq!(contract["fields"]["lines"][0]["name"], "液压泵");
    let id = contract["id"].as_str().unwrap().to_string();
    sue.update(
        &id,
        json!({"plan": [{"due": "2026-12-01", "amount": 100_000}, {"due": "2027-01-01", "amount": 150_000}]}),
    );
    let refused = take(&mut sue, &id, "sign", json!({"signed_date": "2026-11-23"}));
    assert_eq!(refused["code"], "plan_mismatch", "{refused}");
    assert_eq!(
        (refused["params"]["planned"].as_i64(), refused["params"]["total"].as_i64()),
        (Some(250_000), Some(300_000))
    );
    sue.update(
        &id,
        json!({"plan": [{"due": "2026-12-01", "amount": 100_000}, {"due": "2027-01-01", "amount": 200_000}]}),
    );
    let signed = take(&mut sue, &id, "sign", json!({"signed_date": "2026-11-23"}));
    assert_eq!(signed["fields"]["status"], "signed", "{signed}");
}

#[test]
fn a_form_gets_its_figures_from_the_core_before_saving() {
    let mut ann = Replica::new("u-ann", "王芳", "account_manager");
    let out = ann.call(json!({"op": "totals", "discount": 1, "lines": [
        {"id": "b", "name": "x", "quantity": 1, "unit_price": 100, "list_price": 120},
        {"id": "a", "name": "y", "quantity": "2.5", "unit_price": 33, "tax_rate": 1300}]}));
    assert_eq!(
        (out["subtotal"].as_i64(), out["total"].as_i64(), out["list_total"].as_i64()),
        (Some(183), Some(182), Some(120))
    );
    assert_eq!(out["lines"][1]["amount"], 83);
    let bad = ann.try_call(json!({"op": "totals", "lines": [{"name": "x", "quantity": 0, "unit_price": 1}]}));
    assert_eq!(bad["params"]["errors"][0]["reason"], "quantity_not_positive", "{bad}");
}

fn file(name: &str, text: &str) -> Json {
    use base64::Engine;
    json!({"name": name, "data": base64::engine::general_purpose::STANDARD.encode(text.as_bytes())})
}

#[test]
fn products_stock_and_price_lists_load_from_an_erp_export() {
    let mut admin = Replica::new("u-admin", "管理员", "admin");
    let products = "产品编码,产品名称,规格型号,单位,产品类别,单价,税率\n\
                    P-100,液压泵,HP-100/25MPa,台,设备,\"1,200.00\",13%\n\
                    S-10,密封圈,Φ25,个,配件,18.5,0.13\n";
    let mut run = file("产品.csv", products);
    run["op"] = json!("import_run");
    run["kind"] = json!("product");
    run["keys"] = json!(["code"]);
    run["policy"] = json!("update");
    let out = admin.call(run.clone());
    assert_eq!(out["batch"]["created"], 2, "{out}");
    let page = admin.call(json!({"op": "list", "kind": "product", "sort": "code"}));
    let pump = &page["items"][0]["fields"];
    assert_eq!(
        (pump["code"].as_str(), pump["spec"].as_str(), pump["unit"].as_str()),
        (Some("P-100"), Some("HP-100/25MPa"), Some("台"))
    );
    assert_eq!(pump["list_price"], json!({"minor": 120_000, "currency": "CNY"}));
    assert_eq!((pump["tax_rate"].as_i64(), pump["category"].as_str()), (Some(1300), Some("equipment")));
    assert_eq!(page["items"][1]["fields"]["tax_rate"], 1300, "0.13 is 13 % too");
    // Loaded again with a new price: updated by code, not duplicated.
    run["data"] = file("产品.csv", &products.replace("\"1,200.00\"", "1250"))["data"].clone();
    let again = admin.call(run);
    assert_eq!((again["batch"]["created"].as_i64(), again["batch"]["updated"].as_i64()), (Some(0), Some(2)), "{again}");
    let pump_id = page["items"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(admin.get(&pump_id)["fields"]["list_price"]["minor"], 125_000);

    // Stock: one record per product and warehouse; a reload updates it.
    let stock = "物料编码,仓库,库存数量,盘点日期\nP-100,苏州仓,7.5,2026-11-20\nP-100,无锡仓,2,2026-11-20\nX-404,苏州仓,1,2026-11-20\n";
    let mut run = file("库存.csv", stock);
    run["op"] = json!("import_run");
    run["kind"] = json!("stock");
    let out = admin.call(run.clone());
    assert_eq!(
        (out["batch"]["created"].as_i64(), out["batch"]["rejected"].as_i64()),
        (Some(2), Some(1)),
        "an unknown product is rejected: {out}"
    );
    run["data"] = file("库存.csv", &stock.replace("7.5", "3"))["data"].clone();
    let out = admin.call(run);
    assert_eq!((out["batch"]["created"].as_i64(), out["batch"]["updated"].as_i64()), (Some(0), Some(2)), "{out}");
    let price = admin.call(json!({"op": "price", "product": pump_id}));
    assert_eq!(price["stock"], json!(5), "3 + 2 after the reload");
    assert_eq!(admin.call(json!({"op": "list", "kind": "stock"}))["total"], 2);

    // Price lists: rows of one list share its name; a bad row is left out with why.
    let lists = "价目表,客户等级,产品编码,类别,起订量,价格,折扣\n\
                 A类协议价,A,P-100,,2,\"1,150\",\n\
                 A类协议价,A,,配件,,,10%\n\
                 经销商价,,P-100,,10,1100,\n\
                 经销商价,,P-999,,,1000,\n";
    let mut load = file("价目表.csv", lists);
    load["op"] = json!("load_price_lists");
    let report = admin.call(load.clone());
    assert_eq!(report["created"], json!(["A类协议价", "经销商价"]), "{report}");
    assert_eq!(report["rules"], 3);
    assert_eq!(report["rejected"][0]["line"], 5);
    assert_eq!(report["rejected"][0]["errors"][0]["field"], "product");
    let customer = admin.create("customer", json!({"name": "常州天宁机电", "grade": "A", "owner": "u-admin"}));
    let at = |r: &mut Replica, q: i64| {
        r.call(json!({"op": "price", "product": pump_id, "customer": customer, "quantity": q}))["applicable_price"]
            .clone()
    };
    assert_eq!(at(&mut admin, 1), 125_000);
    assert_eq!(at(&mut admin, 2), 115_000);
    assert_eq!(at(&mut admin, 10), 110_000, "the everyone list from 10 units is lower still");
    // Loaded again: the lists are replaced, not doubled.
    let report = admin.call(load);
    assert_eq!(report["updated"], json!(["A类协议价", "经销商价"]));
    assert_eq!(admin.call(json!({"op": "list", "kind": "price_list"}))["total"], 2);
    // A salesperson loads nothing.
    let mut ann = Replica::new("u-ann", "王芳", "account_manager");
    let mut load = file("价目表.csv", lists);
    load["op"] = json!("load_price_lists");
    assert_eq!(ann.try_call(load)["code"], "forbidden");
}

#[test]
fn a_quote_prints_as_a_pdf_with_its_chinese_text() {
    let (mut admin, mut ann) = admin_and_seller();
    admin.create("setting", json!({"key": "company.name", "text": "苏州恒达机电设备有限公司"}));
    let pump = product(&mut admin, "P-700", 120_000);
    send(&mut admin, &mut ann);
    let customer = ann.create("customer", json!({"name": "常熟市鑫源纺织有限公司"}));
    let mut lines: Vec<Json> =
        (0..30).map(|_| json!({"name": "密封圈 Φ25", "unit": "个", "quantity": 10, "unit_price": 400})).collect();
    lines.insert(0, quote_line(&pump, json!("2.5"), 120_000, 120_000));
    let quote =
        ann.create("quote", json!({"customer": customer, "title": "设备采购报价", "discount": 1_000, "lines": lines}));
    let out = ann.call(json!({"op": "document_pdf", "id": quote}));
    assert_eq!(out["content_type"], "application/pdf");
    assert!(out["name"].as_str().unwrap().starts_with('Q'), "{}", out["name"]);
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD.decode(out["data"].as_str().unwrap()).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    assert!(bytes.len() < 400_000, "only the glyphs used are embedded: {} bytes", bytes.len());
    let path = ann.dir.path().join("quote.pdf");
    std::fs::write(&path, &bytes).unwrap();
    let text = std::process::Command::new("pdftotext")
        .args(["-layout", path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils; scripts/setup.sh installs it)");
    let text = String::from_utf8(text.stdout).unwrap();
    for expected in [
        "苏州恒达机电设备有限公司",
        "报价单",
        "常熟市鑫源纺织有限公司",
        "设备采购报价",
        "液压泵",
        "¥3,000.00",
        "2.5",
        "¥1,200.00",
    ] {
        assert!(text.contains(expected), "the PDF's text has {expected}:\n{text}");
    }
    let compact: String = text.split_whitespace().collect();
    assert!(compact.contains("1/2") && compact.contains("2/2"), "31 lines take two pages:\n{text}");
    // 2.5 × 1,200.00 + 30 × 10 × 4.00 − 10.00 = 3,000 + 1,200 − 10.
    assert!(text.contains("¥4,190.00"), "the total after the discount:\n{text}");
    assert!(text.contains("草稿 DRAFT"), "a draft says so:\n{text}");
    // Sent (without the discount, which would need approval), it prints as the offer it is.
    ann.update(&quote, json!({"discount": 0}));
    assert_eq!(take(&mut ann, &quote, "send", json!({}))["fields"]["status"], "sent");
    let out = ann.call(json!({"op": "document_pdf", "id": quote}));
    let bytes = base64::engine::general_purpose::STANDARD.decode(out["data"].as_str().unwrap()).unwrap();
    std::fs::write(&path, &bytes).unwrap();
    let text = std::process::Command::new("pdftotext").args([path.to_str().unwrap(), "-"]).output().unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("常熟市鑫源纺织有限公司") && !text.contains("DRAFT"), "{text}");
}

#[test]
fn products_and_documents_are_found_by_code_or_name() {
    let (mut admin, mut ann) = admin_and_seller();
    for (code, name) in [("P-100", "液压泵"), ("P-101", "齿轮泵"), ("S-10", "密封圈")] {
        let id = product(&mut admin, code, 1_000);
        admin.update(&id, json!({"name": name, "spec": "HP-100/25MPa"}));
    }
    send(&mut admin, &mut ann);
    // A customer named like a product does not crowd the products out.
    ann.create("customer", json!({"name": "液压泵业有限公司"}));
    let find = |r: &mut Replica, q: &str| -> Vec<String> {
        let out = r.call(json!({"op": "search", "query": q, "kinds": ["product"], "limit": 10}));
        out["hits"].as_array().unwrap().iter().map(|h| h["title"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(find(&mut ann, "泵"), ["液压泵", "齿轮泵"]);
    assert_eq!(find(&mut ann, "p-101"), ["齿轮泵"], "by code");
    assert_eq!(find(&mut ann, "25mpa").len(), 3, "by specification");
    let hit = ann.call(json!({"op": "search", "query": "S-10", "kinds": ["product"]}))["hits"][0].clone();
    assert_eq!(hit["subtitle"], "S-10 · HP-100/25MPa");
    let customer = ann.create("customer", json!({"name": "常州天宁机电"}));
    let quote =
        ann.create("quote", json!({"customer": customer, "lines": [{"name": "x", "quantity": 1, "unit_price": 1}]}));
    let code = ann.get(&quote)["fields"]["code"].as_str().unwrap().to_string();
    let hits = ann.call(json!({"op": "search", "query": code, "kinds": ["quote"]}));
    assert_eq!(hits["hits"][0]["subtitle"], "常州天宁机电", "{hits}");
}

#[test]
fn money_in_another_currency_than_its_document_is_refused() {
    let mut admin = Replica::new("u-admin", "管理员", "admin");
    let customer = admin.create(
        "customer",
        json!({"name": "香港利达贸易", "owner": "u-admin", "tax_id": "91440300MA5F000000", "phones": ["0755-8888 0000"]}),
    );
    let order = admin.create(
        "order",
        json!({"customer": customer, "currency": "CNY", "lines": [{"name": "x", "quantity": 1, "unit_price": 10_000}]}),
    );
    let usd = admin.create("payment", json!({"customer": customer, "sales_order": order, "received_on": "2026-11-20", "amount": {"minor": 1_000, "currency": "USD"}}));
    let refused = take(&mut admin, &usd, "confirm", json!({}));
    assert_eq!(refused["code"], "currency_mismatch", "{refused}");
    assert_eq!(refused["params"]["document_currency"], "CNY");
    let invoice = admin.create(
        "invoice",
        json!({"customer": customer, "sales_order": order, "amount": {"minor": 20_000, "currency": "CNY"}}),
    );
    let above = take(&mut admin, &invoice, "issue", json!({"number": "No.0001", "buyer_name": "香港利达贸易"}));
    assert_eq!(above["code"], "invoice_above_amount", "an invoice above the order's total: {above}");
    admin.update(&invoice, json!({"amount": {"minor": 10_000, "currency": "CNY"}}));
    // Issued with its number only: the buyer's title comes from the customer.
    let issued = take(&mut admin, &invoice, "issue", json!({"number": "No.0001"}));
    assert_eq!(issued["fields"]["status"], "issued", "{issued}");
    assert_eq!(
        (&issued["fields"]["buyer_name"], &issued["fields"]["buyer_tax_id"], &issued["fields"]["buyer_phone"]),
        (&json!("香港利达贸易"), &json!("91440300MA5F000000"), &json!("0755-8888 0000"))
    );
    let second = admin.create(
        "invoice",
        json!({"customer": customer, "sales_order": order, "amount": {"minor": 1, "currency": "CNY"}}),
    );
    let refused = take(&mut admin, &second, "issue", json!({"number": "No.0002", "buyer_name": "香港利达贸易"}));
    assert_eq!(refused["params"]["invoiced"], 10_000, "the first invoice counts: {refused}");
}

#[test]
fn a_form_can_ask_whether_a_document_needs_approval_and_what_its_plan_adds_up_to() {
    let mut sue = Replica::new("u-sue", "李丽", "supervisor");
    let mut admin = Replica::new("u-admin", "管理员", "admin");
    let pump = product(&mut admin, "P-800", 100_000);
    send(&mut admin, &mut sue);
    let customer = sue.create("customer", json!({"name": "扬州润扬机械"}));
    let quote =
        sue.create("quote", json!({"customer": customer, "lines": [quote_line(&pump, json!(1), 90_000, 100_000)]}));
    let needs = sue.call(json!({"op": "approval_needs", "id": quote}))["needs"].clone();
    assert_eq!(needs[0]["code"], "price_below_floor", "{needs}");
    let mut lines = sue.get(&quote)["fields"]["lines"].clone();
    lines[0]["unit_price"] = json!(100_000);
    sue.update(&quote, json!({"lines": lines}));
    assert_eq!(sue.call(json!({"op": "approval_needs", "id": quote}))["needs"], json!([]));
    // A contract says what its plan adds up to, and its page names the products of its lines.
    take(&mut sue, &quote, "send", json!({}));
    take(&mut sue, &quote, "accept", json!({}));
    let contract = sue.call(json!({"op": "contract_from_quote", "quote": quote}))["id"].as_str().unwrap().to_string();
    let view = sue.update(
        &contract,
        json!({"plan": [{"due": "2026-12-01", "amount": 40_000}, {"due": "2027-01-01", "amount": 50_000}]}),
    );
    assert_eq!(view["fields"]["planned"], json!({"minor": 90_000, "currency": "CNY"}));
    assert_eq!(view["names"][&pump], "液压泵 P-800");

    // The admin's rules for what has no price list to hold it: a line typed in without a
    // product, and a total in another currency than the company's when there is a limit.
    let free = sue.create(
        "quote",
        json!({"customer": customer, "currency": "USD", "lines": [{"name": "现场调试", "quantity": 1, "unit_price": 100, "list_price": 100}]}),
    );
    assert_eq!(
        sue.call(json!({"op": "approval_needs", "id": free}))["needs"],
        json!([]),
        "nothing set, nothing needed"
    );
    admin.create("setting", json!({"key": "sales.approval_free_lines", "value": 1}));
    admin.create("setting", json!({"key": "sales.approval_amount", "value": 1_000_000}));
    send(&mut admin, &mut sue);
    let needs = sue.call(json!({"op": "approval_needs", "id": free}))["needs"].clone();
    let codes: Vec<&str> = needs.as_array().unwrap().iter().map(|n| n["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["free_line", "other_currency"], "{needs}");
    assert_eq!(needs[1]["detail"]["company_currency"], "CNY");
    assert_eq!(take(&mut sue, &free, "send", json!({}))["code"], "approval_required");
    // Approved, what it was approved for carries into its contract and that contract's orders.
    for step in ["submit", "approve", "send", "accept"] {
        assert!(take(&mut sue, &free, step, json!({}))["fields"].is_object(), "{step}");
    }
    let contract = sue.call(json!({"op": "contract_from_quote", "quote": free}))["id"].as_str().unwrap().to_string();
    sue.update(&contract, json!({"plan": [{"due": "2026-12-31", "amount": 100}]}));
    let signed = take(&mut sue, &contract, "sign", json!({"signed_date": "2026-11-23"}));
    assert_eq!(signed["fields"]["status"], "signed", "free line and currency carried: {signed}");
    let order = sue.create(
        "order",
        json!({"customer": customer, "contract": contract, "currency": "USD",
               "lines": [{"name": "现场调试", "quantity": 1, "unit_price": 100, "list_price": 100}]}),
    );
    assert_eq!(take(&mut sue, &order, "confirm", json!({}))["fields"]["status"], "confirmed");
    // A second contract naming the same quote carries nothing: one approval, one contract.
    let again = sue.create(
        "contract",
        json!({"customer": customer, "quote": free, "currency": "USD", "plan": [{"due": "2026-12-31", "amount": 100}],
               "lines": [{"name": "现场调试", "quantity": 1, "unit_price": 100, "list_price": 100}]}),
    );
    assert_eq!(take(&mut sue, &again, "sign", json!({"signed_date": "2026-11-23"}))["code"], "approval_required");
}

#[test]
fn an_approved_discount_carries_as_a_share_of_the_subtotal_not_as_an_amount() {
    let mut sue = Replica::new("u-sue", "李丽", "supervisor");
    let mut admin = Replica::new("u-admin", "管理员", "admin");
    let pump = product(&mut admin, "P-900", 100_000);
    admin.create("setting", json!({"key": "sales.approval_discount_bp", "value": 500}));
    send(&mut admin, &mut sue);
    let customer = sue.create("customer", json!({"name": "泰州海陵机电"}));
    // 10 % off the whole of two pumps: approved.
    let quote = sue.create(
        "quote",
        json!({"customer": customer, "discount": 20_000, "lines": [
            quote_line(&pump, json!(1), 100_000, 100_000), quote_line(&pump, json!(1), 100_000, 100_000)]}),
    );
    assert_eq!(take(&mut sue, &quote, "send", json!({}))["params"]["needs"][0]["code"], "discount_above_threshold");
    for step in ["submit", "approve", "send", "accept"] {
        take(&mut sue, &quote, step, json!({}));
    }
    let contract = sue.call(json!({"op": "contract_from_quote", "quote": quote}))["id"].as_str().unwrap().to_string();
    // One pump left with the same 20,000 off is 20 %: more than was approved.
    let mut lines = sue.get(&contract)["fields"]["lines"].clone();
    lines.as_array_mut().unwrap().pop();
    sue.update(&contract, json!({"lines": lines, "plan": [{"due": "2026-12-31", "amount": 80_000}]}));
    let refused = take(&mut sue, &contract, "sign", json!({"signed_date": "2026-11-23"}));
    assert_eq!(refused["params"]["needs"][0]["code"], "discount_above_threshold", "{refused}");
    // 10,000 off one pump is the approved 10 %: it signs.
    sue.update(&contract, json!({"discount": 10_000, "plan": [{"due": "2026-12-31", "amount": 90_000}]}));
    let signed = take(&mut sue, &contract, "sign", json!({"signed_date": "2026-11-23"}));
    assert_eq!(signed["fields"]["status"], "signed", "{signed}");
}

#[test]
fn a_form_sending_what_it_read_moves_nothing_others_moved_and_keeps_their_tags() {
    let mut ann = Replica::new("u-ann", "王芳", "account_manager");
    let customer = ann.create("customer", json!({"name": "淮安清江电器", "tags": ["老客户"]}));
    let read = ann.get(&customer);
    let version = read["version"].as_str().unwrap().to_string();
    // Meanwhile (another window, another device): a tag added.
    ann.update(&customer, json!({"tags": ["老客户", "展会"]}));
    // The form read before adds its own tag and sends the list as it shows it.
    let saved =
        ann.call(json!({"op": "update", "id": customer, "base": version, "fields": {"tags": ["老客户", "VIP"]}}));
    let mut tags: Vec<&str> = saved["fields"]["tags"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    tags.sort();
    assert_eq!(tags, ["VIP", "展会", "老客户"], "{saved}");

    // A quote submitted since the form read it in draft: the form's save keeps it submitted.
    let quote = ann
        .create("quote", json!({"customer": customer, "lines": [{"name": "保养", "quantity": 1, "unit_price": 100}]}));
    let read = ann.get(&quote);
    take(&mut ann, &quote, "submit", json!({}));
    let saved = ann.call(json!({"op": "update", "id": quote, "base": read["version"],
                                "fields": {"status": "draft", "title": "年度保养"}}));
    assert_eq!(saved["fields"]["status"], "pending", "{saved}");
    assert_eq!(saved["fields"]["title"], "年度保养");
    // An unknown version is refused before anything moves.
    take(&mut ann, &quote, "revise", json!({}));
    let refused = ann.try_call(json!({"op": "update", "id": quote, "base": "00", "fields": {"status": "pending"}}));
    assert_eq!(refused["params"]["errors"][0]["reason"], "unknown_version", "{refused}");
    assert_eq!(ann.get(&quote)["fields"]["status"], "draft");
}

#[test]
fn settled_records_change_only_by_their_transitions_and_notes() {
    let mut admin = Replica::new("u-admin", "管理员", "admin");
    let customer = admin.create("customer", json!({"name": "镇江金山化工", "owner": "u-admin"}));
    let payment = admin.create(
        "payment",
        json!({"customer": customer, "received_on": "2026-11-20", "amount": {"minor": 5_000, "currency": "CNY"}}),
    );
    take(&mut admin, &payment, "confirm", json!({}));
    let raised = admin
        .try_call(json!({"op": "update", "id": payment, "fields": {"amount": {"minor": 500_000, "currency": "CNY"}}}));
    assert_eq!(
        (raised["code"].as_str(), raised["params"]["field"].as_str()),
        (Some("locked"), Some("amount")),
        "{raised}"
    );
    assert_eq!(admin.try_call(json!({"op": "delete", "id": payment}))["code"], "locked");
    admin.update(&payment, json!({"notes": "银行回单已存档"}));
    assert_eq!(admin.get(&payment)["fields"]["amount"]["minor"], 5_000);

    // A sent quote is what the customer has: revised back to draft before it changes again.
    let quote = admin
        .create("quote", json!({"customer": customer, "lines": [{"name": "x", "quantity": 1, "unit_price": 100}]}));
    take(&mut admin, &quote, "send", json!({}));
    let mut lines = admin.get(&quote)["fields"]["lines"].clone();
    lines[0]["unit_price"] = json!(1);
    let out = admin.try_call(json!({"op": "update", "id": quote, "fields": {"lines": lines.clone()}}));
    assert_eq!(out["code"], "locked", "{out}");
    take(&mut admin, &quote, "revise", json!({}));
    admin.update(&quote, json!({"lines": lines}));
    assert_eq!(admin.get(&quote)["fields"]["total"]["minor"], 1);
}
