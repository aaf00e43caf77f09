//! Sales documents against a real server: lines added offline on two devices, approvals the
//! server pins and undoes, an order taken offline and re-checked when it is confirmed, a
//! payment confirmed by finance, and approvals forged by a hand-written client.

#![allow(clippy::unwrap_used)]

use automerge::transaction::Transactable;
use crm_tests::wire::{connect, hello, push_one, token_of};
use crm_tests::{Device, TestServer};
use serde_json::{json, Value as Json};

fn take(device: &Device, id: &str, name: &str, fields: Json) -> Json {
    device.try_call(json!({"op": "transition", "id": id, "name": name, "fields": fields}))
}

fn line(product: &str, quantity: Json, unit_price: i64) -> Json {
    json!({"product": product, "name": "液压泵 P-100", "unit": "台", "quantity": quantity,
           "unit_price": unit_price, "list_price": 100_000, "tax_rate": 1300})
}

fn lines_of(device: &Device, id: &str) -> Vec<Json> {
    device.get(id)["fields"]["lines"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quote_is_worked_on_offline_approved_revised_and_an_order_is_rechecked_when_confirmed() {
    let server = TestServer::start();
    let [root, ann, sue, fin] = server
        .people([
            ("root", "admin", None),
            ("ann", "account_manager", Some("east")),
            ("sue", "supervisor", Some("east")),
            ("fin", "finance", None),
        ])
        .await;

    // The admin's catalogue: a pump at 1,000.00, a grade A price list, stock, 5 % allowed.
    let pump = root.create(
        "product",
        json!({"code": "P-100", "name": "液压泵 P-100", "unit": "台", "list_price": {"minor": 100_000, "currency": "CNY"}}),
    );
    let grade_a = root.create(
        "price_list",
        json!({"name": "A类客户价", "grade": "A", "items": [{"product": pump, "price": 96_000}]}),
    );
    root.create("stock", json!({"product": pump, "warehouse": "苏州仓", "quantity": 5}));
    root.create("setting", json!({"key": "sales.approval_discount_bp", "value": 500}));
    root.sync().await.unwrap();

    // Ann's customer and quote: 10 % off needs approval.
    ann.sync().await.unwrap();
    let customer = ann.create("customer", json!({"name": "苏州精工机械有限公司", "grade": "A"}));
    let quote = ann.create("quote", json!({"customer": customer, "lines": [line(&pump, json!(2), 90_000)]}));
    assert_eq!(take(&ann, &quote, "send", json!({}))["code"], "approval_required");
    ann.sync().await.unwrap();
    sue.sync().await.unwrap();

    // Offline on both: each adds a line.
    let mut mine = lines_of(&ann, &quote);
    mine.push(line(&pump, json!(1), 96_000));
    ann.call(json!({"op": "update", "id": quote, "fields": {"lines": mine}}));
    let mut hers = lines_of(&sue, &quote);
    hers.push(json!({"name": "安装调试", "quantity": 1, "unit_price": 20_000}));
    sue.call(json!({"op": "update", "id": quote, "fields": {"lines": hers}}));
    ann.sync().await.unwrap();
    sue.sync().await.unwrap();
    ann.sync().await.unwrap();
    assert_eq!(lines_of(&ann, &quote).len(), 3, "both lines survive");
    assert_eq!(ann.get(&quote)["fields"], sue.get(&quote)["fields"], "the same document on both devices");
    assert_eq!(ann.get(&quote)["fields"]["total"]["minor"], 2 * 90_000 + 96_000 + 20_000);

    // Submitted, approved by the supervisor, confirmed by the server.
    take(&ann, &quote, "submit", json!({}));
    ann.sync().await.unwrap();
    sue.sync().await.unwrap();
    let approved = take(&sue, &quote, "approve", json!({}));
    assert_eq!(approved["fields"]["status"], "approved", "{approved}");
    sue.sync().await.unwrap();
    let view = sue.get(&quote);
    assert!(view.get("awaiting").is_none() && view.get("refused").is_none(), "the server took the approval: {view}");
    ann.sync().await.unwrap();
    assert_eq!(ann.get(&quote)["fields"]["status"], "approved");

    // Ann changes a price afterwards, offline: back to draft on her device, then everywhere;
    // sending is refused until it is approved again.
    let mut lines = lines_of(&ann, &quote);
    lines[0]["unit_price"] = json!(88_000);
    ann.call(json!({"op": "update", "id": quote, "fields": {"lines": lines}}));
    assert_eq!(ann.get(&quote)["fields"]["status"], "draft");
    ann.sync().await.unwrap();
    sue.sync().await.unwrap();
    assert_eq!(sue.get(&quote)["fields"]["status"], "draft", "the supervisor sees the approval undone");
    assert_eq!(take(&ann, &quote, "send", json!({}))["code"], "approval_required");

    // A hand-written client "sending" it anyway with the old approval is refused by the server.
    let token = token_of(&ann);
    let mut ws = connect(&server, Some(&token)).await.unwrap();
    hello(&mut ws).await;
    let forged_send = ann.forged(&quote, |d| {
        d.put(automerge::ROOT, "status", "sent").unwrap();
        d.put(automerge::ROOT, "sent_at", automerge::ScalarValue::Timestamp(crm_core::value::now_ms())).unwrap();
    });
    let refused = push_one(&mut ws, &quote, forged_send).await;
    assert_eq!(refused[0].0, "approval_required", "{refused:?}");
    // Nor may a salesperson approve by writing the fields, nor stamp heads it did not build on.
    take(&ann, &quote, "submit", json!({}));
    ann.sync().await.unwrap();
    let forged_approval = ann.forged(&quote, |d| {
        d.put(automerge::ROOT, "status", "approved").unwrap();
        d.put(automerge::ROOT, "approved_by", ann.user_id.as_str()).unwrap();
        d.put(automerge::ROOT, "approved_at", automerge::ScalarValue::Timestamp(crm_core::value::now_ms())).unwrap();
        d.put(automerge::ROOT, "approved_heads", "00".repeat(32).as_str()).unwrap();
    });
    let refused = push_one(&mut ws, &quote, forged_approval).await;
    assert_eq!(refused[0].0, "transition_forbidden", "{refused:?}");
    sue.sync().await.unwrap();
    let bad_heads = sue.forged(&quote, |d| {
        d.put(automerge::ROOT, "status", "approved").unwrap();
        d.put(automerge::ROOT, "approved_by", sue.user_id.as_str()).unwrap();
        d.put(automerge::ROOT, "approved_at", automerge::ScalarValue::Timestamp(crm_core::value::now_ms())).unwrap();
        d.put(automerge::ROOT, "approved_heads", "00".repeat(32).as_str()).unwrap();
    });
    let token = token_of(&sue);
    let mut sue_ws = connect(&server, Some(&token)).await.unwrap();
    hello(&mut sue_ws).await;
    let refused = push_one(&mut sue_ws, &quote, bad_heads).await;
    assert_eq!(refused[0].0, "transition_stamp", "the approved version must be the one built on: {refused:?}");

    // An order taken offline on a visit at the grade's price, which the supervisor receives;
    // then the admin raises the price.
    let order = ann.create("order", json!({"customer": customer, "lines": [line(&pump, json!(2), 96_000)]}));
    ann.sync().await.unwrap();
    sue.sync().await.unwrap();
    root.call(json!({"op": "update", "id": grade_a, "fields": {"items": [{"product": pump, "price": 110_000}]}}));
    root.sync().await.unwrap();
    // The supervisor confirms before her device has the new price: accepted there, awaiting
    // the server, which has it and refuses with what changed; her device takes it back.
    let local = take(&sue, &order, "confirm", json!({}));
    assert_eq!(local["fields"]["status"], "confirmed", "{local}");
    sue.sync().await.unwrap();
    let back = sue.get(&order);
    assert_eq!(back["fields"]["status"], "submitted", "{back}");
    assert_eq!(back["refused"][0]["code"], "order_changed", "{back}");
    assert_eq!(back["refused"][0]["params"]["needs"][0]["detail"]["applicable_price"], 110_000);
    // Now her device knows the price too and refuses at once, in the same words.
    let again = take(&sue, &order, "confirm", json!({}));
    assert_eq!(again["code"], "order_changed", "{again}");
    assert_eq!(again["params"]["needs"][0]["code"], "price_below_floor");

    // Re-priced, it is confirmed; more than the stock is refused.
    let mut lines = lines_of(&ann, &order);
    lines[0]["unit_price"] = json!(110_000);
    ann.call(json!({"op": "update", "id": order, "fields": {"lines": lines.clone()}}));
    lines[0]["quantity"] = json!(6);
    let big = ann.create("order", json!({"customer": customer, "lines": lines}));
    ann.sync().await.unwrap();
    sue.sync().await.unwrap();
    assert_eq!(take(&sue, &order, "confirm", json!({}))["fields"]["status"], "confirmed");
    assert!(root.rejected().is_empty(), "the admin's catalogue reached the server: {:?}", root.rejected());
    let short = take(&sue, &big, "confirm", json!({}));
    assert_eq!(short["params"]["needs"][0]["code"], "stock_short", "{short}");
    // The server finds the stock rows by their product as well: a hand-written confirm of it
    // is refused with the same need.
    let forged_confirm = sue.forged(&big, |d| {
        d.put(automerge::ROOT, "status", "confirmed").unwrap();
        d.put(automerge::ROOT, "confirmed_by", sue.user_id.as_str()).unwrap();
        d.put(automerge::ROOT, "confirmed_at", automerge::ScalarValue::Timestamp(crm_core::value::now_ms())).unwrap();
    });
    let (_, refused) = crm_tests::wire::push(
        &mut sue_ws,
        vec![crm_core::sync::protocol::DocBytes { doc: big.clone(), bytes: forged_confirm }],
    )
    .await;
    assert_eq!(refused.first().map(|r| r.code.as_str()), Some("order_changed"), "{refused:?}");
    assert!(refused[0].params.as_deref().is_some_and(|p| p.contains("stock_short")), "{refused:?}");
    sue.sync().await.unwrap();
    assert!(sue.get(&order).get("awaiting").is_none(), "the server confirmed the order");

    // A payment recorded offline by ann, confirmed by finance: the outstanding follows.
    let billed = 2 * 110_000;
    let owed = |d: &Device| d.call(json!({"op": "purchase_history", "customer": customer}))["balances"][0].clone();
    ann.sync().await.unwrap();
    assert_eq!(owed(&ann)["outstanding"], billed);
    let payment = ann.create(
        "payment",
        json!({"customer": customer, "sales_order": order, "amount": {"minor": 150_000, "currency": "CNY"}, "received_on": "2026-11-23", "method": "bank_transfer"}),
    );
    assert_eq!(take(&ann, &payment, "confirm", json!({}))["code"], "transition_forbidden", "only finance confirms");
    ann.sync().await.unwrap();
    fin.sync().await.unwrap();
    assert!(fin.doc_ids().contains(&order), "finance reads everyone's documents");
    assert_eq!(owed(&fin)["unconfirmed"], 150_000);
    assert_eq!(take(&fin, &payment, "confirm", json!({}))["fields"]["status"], "confirmed");
    fin.sync().await.unwrap();
    for device in [&ann, &sue] {
        device.sync().await.unwrap();
        let balance = owed(device);
        assert_eq!(
            (balance["collected"].as_i64(), balance["outstanding"].as_i64()),
            (Some(150_000), Some(billed - 150_000))
        );
    }
    // A confirmed payment is settled: a hand-written client raising it is refused by the server.
    let token = token_of(&ann);
    let mut ws = connect(&server, Some(&token)).await.unwrap();
    hello(&mut ws).await;
    let raised = ann.forged(&payment, |d| {
        let amount = d.put_object(automerge::ROOT, "amount", automerge::ObjType::Map).unwrap();
        d.put(&amount, "minor", 1_500_000_i64).unwrap();
        d.put(&amount, "currency", "CNY").unwrap();
    });
    let refused = push_one(&mut ws, &payment, raised).await;
    assert_eq!(refused[0].0, "locked", "{refused:?}");
    // Finance edits no customer: refused on the device and by the server.
    let edit = fin.try_call(json!({"op": "update", "id": customer, "fields": {"name": "改名"}}));
    assert_eq!(edit["type"], "error", "{edit}");

    // A hand-written client issuing invoices in one push: the server judges each with what
    // the earlier changes of the same push did, and checks the document each names.
    let other = ann.create("customer", json!({"name": "无锡恒通贸易有限公司"}));
    ann.sync().await.unwrap();
    fin.sync().await.unwrap();
    let requested = |amount: i64, customer: &str, of: &str| {
        fin.create(
            "invoice",
            json!({"customer": customer, "sales_order": of, "amount": {"minor": amount, "currency": "CNY"},
                   "buyer_name": "苏州精工机械有限公司"}),
        )
    };
    let gone = ann.create("order", json!({"customer": customer, "lines": [line(&pump, json!(1), 110_000)]}));
    ann.sync().await.unwrap();
    fin.sync().await.unwrap();
    let first = requested(150_000, &customer, &order);
    let second = requested(150_000, &customer, &order);
    let elsewhere = requested(10_000, &other, &order);
    let nowhere = requested(10_000, &customer, &gone);
    fin.sync().await.unwrap();
    ann.call(json!({"op": "delete", "id": gone}));
    ann.sync().await.unwrap();
    let issue = |id: &str, number: &str| {
        fin.forged(id, |d| {
            d.put(automerge::ROOT, "status", "issued").unwrap();
            d.put(automerge::ROOT, "number", number).unwrap();
            d.put(automerge::ROOT, "issued_by", fin.user_id.as_str()).unwrap();
            d.put(automerge::ROOT, "issued_at", automerge::ScalarValue::Timestamp(crm_core::value::now_ms())).unwrap();
        })
    };
    let token = token_of(&fin);
    let mut ws = connect(&server, Some(&token)).await.unwrap();
    hello(&mut ws).await;
    let batch = [(&first, "0001"), (&second, "0002"), (&elsewhere, "0003"), (&nowhere, "0004")]
        .map(|(id, number)| crm_core::sync::protocol::DocBytes { doc: id.clone(), bytes: issue(id, number) });
    let (accepted, refused) = crm_tests::wire::push(&mut ws, batch.to_vec()).await;
    assert_eq!(accepted.len(), 1, "only the first invoice fits the order: {refused:?}");
    let code_of = |id: &str| refused.iter().find(|r| r.doc == id).map(|r| r.code.as_str());
    assert_eq!(code_of(&first), None);
    assert_eq!(code_of(&second), Some("invoice_above_amount"), "{refused:?}");
    assert_eq!(code_of(&elsewhere), Some("customer_mismatch"), "{refused:?}");
    assert_eq!(code_of(&nowhere), Some("unknown_document"), "{refused:?}");
}
