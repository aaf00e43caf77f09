//! Expense claims against a real server: filed offline by a salesperson, approved and rejected
//! by her supervisor on another device, paid by finance; the month's totals; nobody approves
//! their own claim; a claim stays with who spent the money when the customer changes hands.

#![allow(clippy::unwrap_used)]

use automerge::transaction::Transactable;
use crm_tests::wire::{connect, hello, push_one, token_of};
use crm_tests::{Device, TestServer};
use serde_json::{json, Value as Json};

fn take(device: &Device, id: &str, name: &str, fields: Json) -> Json {
    device.try_call(json!({"op": "transition", "id": id, "name": name, "fields": fields}))
}

fn expense(device: &Device, date: &str, category: &str, minor: i64, customer: Option<&str>) -> String {
    let mut fields = json!({"date": date, "category": category, "amount": {"minor": minor, "currency": "CNY"}});
    if let Some(c) = customer {
        fields["customer"] = json!(c);
    }
    device.create("expense", fields)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_is_filed_offline_judged_by_the_supervisor_and_paid_by_finance() {
    let server = TestServer::start();
    let [root, ann, sue, bob, fin] = server
        .people([
            ("root", "admin", None),
            ("ann", "account_manager", Some("east")),
            ("sue", "supervisor", Some("east")),
            ("bob", "account_manager", Some("west")),
            ("fin", "finance", None),
        ])
        .await;
    root.sync().await.unwrap();
    ann.sync().await.unwrap();

    // Ann files her month offline: a taxi and a lunch with a customer in November, a hotel in
    // October (another month), and a lunch she drops.
    let customer = ann.create("customer", json!({"name": "苏州精工机械有限公司"}));
    let taxi = expense(&ann, "2026-11-05", "transport", 3_500, None);
    let lunch = expense(&ann, "2026-11-06", "meals", 12_000, Some(&customer));
    let hotel = expense(&ann, "2026-10-28", "lodging", 38_000, None);
    let dropped = expense(&ann, "2026-11-07", "meals", 9_900, None);
    ann.call(json!({"op": "delete", "id": dropped}));
    for id in [&taxi, &lunch, &hotel] {
        assert_eq!(take(&ann, id, "submit", json!({}))["fields"]["status"], "submitted");
    }
    // What is submitted is what gets judged: no edit until it is revised back to a draft.
    let raised =
        ann.try_call(json!({"op": "update", "id": taxi, "fields": {"amount": {"minor": 350_000, "currency": "CNY"}}}));
    assert_eq!(raised["code"], "locked", "{raised}");
    // A claim of nothing, or less, is no claim.
    for minor in [0, -5_000] {
        let refused = ann.try_call(json!({"op": "create", "kind": "expense", "fields":
            {"date": "2026-11-08", "category": "meals", "amount": {"minor": minor, "currency": "CNY"}}}));
        assert_eq!(refused["params"]["errors"][0]["reason"], "amount_not_positive", "{refused}");
    }
    // She may not approve her own claim.
    assert_eq!(take(&ann, &taxi, "approve", json!({}))["code"], "transition_forbidden");
    ann.sync().await.unwrap();

    // Her supervisor approves the taxi and rejects the lunch, with why; another team's
    // salesperson sees none of it.
    sue.sync().await.unwrap();
    bob.sync().await.unwrap();
    assert!(!bob.doc_ids().contains(&taxi), "another team's person reads no one else's claim");
    assert_eq!(take(&sue, &taxi, "approve", json!({}))["fields"]["status"], "approved");
    let refused = take(&sue, &lunch, "reject", json!({}));
    assert_eq!(refused["type"], "error", "a rejection needs its reason: {refused}");
    let rejected = take(&sue, &lunch, "reject", json!({"reject_reason": "缺少发票"}));
    assert_eq!(rejected["fields"]["status"], "rejected");
    sue.sync().await.unwrap();
    ann.sync().await.unwrap();
    assert_eq!(ann.get(&lunch)["fields"]["reject_reason"], "缺少发票");
    // Approved money changes no more.
    let edit =
        ann.try_call(json!({"op": "update", "id": taxi, "fields": {"amount": {"minor": 35_000, "currency": "CNY"}}}));
    assert_eq!(edit["code"], "locked", "{edit}");

    // The month: the taxi approved, the lunch rejected (left out of the totals), the
    // October hotel and the deleted lunch not in it.
    let claim = ann.call(json!({"op": "expense_claim", "month": "2026-11"}));
    assert_eq!(claim["items"].as_array().unwrap().len(), 2, "{claim}");
    let lunch_row = claim["items"].as_array().unwrap().iter().find(|i| i["id"] == lunch.as_str()).unwrap();
    assert_eq!(lunch_row["names"][&customer], "苏州精工机械有限公司", "rows name their customer");
    let bad = ann.try_call(json!({"op": "expense_claim", "month": "2026-1"}));
    assert_eq!(bad["params"]["errors"][0]["reason"], "invalid_month", "{bad}");
    assert_eq!(claim["categories"], json!([{"key": "transport", "currency": "CNY", "count": 1, "amount": 3_500}]));
    assert_eq!(claim["totals"], json!([{"currency": "CNY", "claimed": 3_500, "approved": 3_500, "paid": 0}]));
    let rejected = claim["statuses"].as_array().unwrap().iter().find(|s| s["key"] == "rejected").cloned();
    assert_eq!(rejected.unwrap()["amount"], 12_000);
    // The supervisor reads the same claim from her device.
    let hers = sue.call(json!({"op": "expense_claim", "user": ann.user_id, "month": "2026-11"}));
    assert_eq!(hers["totals"], claim["totals"]);

    // Ann fixes the lunch and submits it again; approved, both are paid by finance.
    ann.call(json!({"op": "update", "id": lunch, "fields": {"notes": "发票已补"}}));
    let again = take(&ann, &lunch, "submit", json!({}));
    assert_eq!(again["fields"]["status"], "submitted");
    assert!(again["fields"].get("reject_reason").is_none(), "the old rejection is left behind: {again}");
    ann.sync().await.unwrap();
    sue.sync().await.unwrap();
    assert_eq!(take(&sue, &lunch, "approve", json!({}))["fields"]["status"], "approved");
    sue.sync().await.unwrap();
    fin.sync().await.unwrap();
    // Finance pays claims; it does not edit them, not even a draft it can read.
    let draft = expense(&ann, "2026-11-12", "phone", 8_800, None);
    ann.sync().await.unwrap();
    fin.sync().await.unwrap();
    let edit =
        fin.try_call(json!({"op": "update", "id": draft, "fields": {"amount": {"minor": 1, "currency": "CNY"}}}));
    assert_eq!(edit["code"], "forbidden", "{edit}");
    assert_eq!(take(&fin, &taxi, "pay", json!({}))["fields"]["status"], "paid");
    assert_eq!(take(&fin, &lunch, "pay", json!({}))["fields"]["status"], "paid");
    fin.sync().await.unwrap();
    assert!(fin.rejected().is_empty(), "{:?}", fin.rejected());
    ann.sync().await.unwrap();
    let claim = ann.call(json!({"op": "expense_claim", "month": "2026-11"}));
    assert_eq!(claim["totals"], json!([{"currency": "CNY", "claimed": 24_300, "approved": 15_500, "paid": 15_500}]));

    // A supervisor's own claim goes to an admin; a hand-written client approving it is refused
    // by the server.
    let own = expense(&sue, "2026-11-10", "entertainment", 50_000, None);
    take(&sue, &own, "submit", json!({}));
    assert_eq!(take(&sue, &own, "approve", json!({}))["code"], "transition_forbidden");
    sue.sync().await.unwrap();
    let forged = sue.forged(&own, |d| {
        d.put(automerge::ROOT, "status", "approved").unwrap();
        d.put(automerge::ROOT, "approved_by", sue.user_id.as_str()).unwrap();
        d.put(automerge::ROOT, "approved_at", automerge::ScalarValue::Timestamp(crm_core::value::now_ms())).unwrap();
    });
    let token = token_of(&sue);
    let mut ws = connect(&server, Some(&token)).await.unwrap();
    hello(&mut ws).await;
    let refused = push_one(&mut ws, &own, forged).await;
    assert_eq!(refused[0].0, "transition_forbidden", "{refused:?}");
    root.sync().await.unwrap();
    assert_eq!(take(&root, &own, "approve", json!({}))["fields"]["status"], "approved");

    // The customer goes to Bob: the lunch Ann spent on it stays hers, and Bob does not get it.
    root.call(json!({"op": "transition", "id": customer, "name": "transfer", "fields": {"owner": bob.user_id}}));
    root.sync().await.unwrap();
    bob.sync().await.unwrap();
    ann.sync().await.unwrap();
    assert!(bob.doc_ids().contains(&customer), "the customer moved");
    assert!(!bob.doc_ids().contains(&lunch), "the claim did not");
    assert!(ann.doc_ids().contains(&lunch), "it stays with who spent the money");
}
