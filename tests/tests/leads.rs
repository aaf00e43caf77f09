//! Leads against a real server: two devices converting the same lead offline end with one
//! customer (the second conversion is refused with who and when, and its customer and contact
//! go back); a salesperson sees their own leads and the pool, not another's; a pooled lead is
//! claimed by the first claim to arrive.

#![allow(clippy::unwrap_used)]

use automerge::transaction::Transactable;
use crm_tests::wire::{connect, hello, push_one, token_of};
use crm_tests::TestServer;
use serde_json::json;

fn customers_from(device: &crm_tests::Device, lead: &str) -> Vec<String> {
    let page = device.call(json!({"op": "list", "kind": "customer", "filter": {"lead": lead}}));
    page["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_devices_converting_one_lead_offline_end_with_one_customer() {
    let server = TestServer::start();
    let [root, ann, sue] = server
        .people([
            ("root", "admin", None),
            ("ann", "account_manager", Some("east")),
            ("sue", "supervisor", Some("east")),
        ])
        .await;
    let lead = ann.create("lead", json!({"name": "李娜", "company": "无锡新材料科技", "phones": ["13900139000"]}));
    ann.create("activity", json!({"lead": lead, "type": "call", "subject": "电话沟通，需求明确"}));
    ann.sync().await.unwrap();
    sue.sync().await.unwrap();

    // Both convert it while offline: each makes a customer and a contact.
    let mine = ann.call(json!({"op": "convert_lead", "id": lead}));
    let theirs = sue.call(json!({"op": "convert_lead", "id": lead, "opportunity": {"title": "新材料试用"}}));
    assert_ne!(mine["customer"], theirs["customer"]);
    ann.sync().await.unwrap();
    sue.sync().await.unwrap();

    // The first to arrive stands; the second is refused, and says by whom.
    let refused = sue.rejected();
    let codes: Vec<&str> = refused.iter().map(|r| r.code.as_str()).collect();
    assert!(codes.contains(&"transition_conflict"), "{codes:?}");
    assert!(codes.contains(&"lead_converted"), "{codes:?}");
    let on_lead = sue.get(&lead);
    assert_eq!(on_lead["fields"]["converted_customer"], mine["customer"], "{on_lead}");
    assert_eq!(customers_from(&sue, &lead), [mine["customer"].as_str().unwrap()]);
    assert!(sue.doc_ids().iter().all(|d| d != theirs["contact"].as_str().unwrap()), "her contact went back too");
    root.sync().await.unwrap();
    assert_eq!(customers_from(&root, &lead), [mine["customer"].as_str().unwrap()], "one customer on the server");
    assert!(root.doc_ids().iter().all(|d| d != theirs["contact"].as_str().unwrap()));
    // The lead's follow-up is on the customer's timeline, for everyone who reads it.
    let timeline = root.call(json!({"op": "list", "kind": "activity", "filter": {"customer": mine["customer"]}}));
    assert_eq!(timeline["items"][0]["fields"]["subject"], "电话沟通，需求明确", "{timeline}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_salesperson_sees_their_own_leads_and_the_pool_and_the_first_claim_stands() {
    let server = TestServer::start();
    let [root, ann, bob, view] = server
        .people([
            ("root", "admin", None),
            ("ann", "account_manager", Some("east")),
            ("bob", "account_manager", Some("west")),
            ("view", "viewer", Some("east")),
        ])
        .await;
    let hers = ann.create("lead", json!({"name": "王磊", "phones": ["13600136000"]}));
    let pooled = root.create("lead", json!({"name": "展会名片", "company": "南京港机"}));
    root.call(
        json!({"op": "transition", "id": pooled, "name": "release", "fields": {"pool_reason": "展会名片，谁有空谁跟"}}),
    );
    ann.sync().await.unwrap();
    root.sync().await.unwrap();
    bob.sync().await.unwrap();
    view.sync().await.unwrap();
    assert!(!bob.doc_ids().contains(&hers), "another's lead is not his to see");
    assert_eq!(root.get(&pooled)["fields"]["owner"], serde_json::Value::Null, "{}", root.get(&pooled));
    assert!(root.rejected().is_empty(), "{:?}", root.rejected());
    assert!(bob.doc_ids().contains(&pooled), "the pool is everyone's");
    ann.sync().await.unwrap();
    assert!(ann.doc_ids().contains(&pooled), "the pool is everyone's");
    // A viewer reads her team's leads and converts nothing.
    assert!(view.doc_ids().contains(&hers));
    assert_eq!(view.try_call(json!({"op": "convert_lead", "id": hers}))["type"], "error");

    // Both claim the pooled lead offline; the first claim to reach the server has it.
    ann.call(json!({"op": "transition", "id": pooled, "name": "claim", "fields": {"owner": ann.user_id}}));
    bob.call(json!({"op": "transition", "id": pooled, "name": "claim", "fields": {"owner": bob.user_id}}));
    bob.sync().await.unwrap();
    ann.sync().await.unwrap();
    assert_eq!(ann.rejected()[0].code, "transition_conflict");
    root.sync().await.unwrap();
    assert_eq!(root.get(&pooled)["fields"]["owner"], bob.user_id);
    assert!(!ann.doc_ids().contains(&pooled), "once claimed it is bob's alone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activities_on_a_lead_are_its_owners_and_follow_it_to_another() {
    let server = TestServer::start();
    let [root, ann, bob] = server
        .people([
            ("root", "admin", None),
            ("ann", "account_manager", Some("east")),
            ("bob", "account_manager", Some("west")),
        ])
        .await;
    let lead = ann.create("lead", json!({"name": "周敏", "company": "宁波模具", "phones": ["13500135000"]}));
    let call = ann.create("activity", json!({"lead": lead, "type": "call", "subject": "首次电话，约了演示"}));
    ann.sync().await.unwrap();
    assert!(ann.rejected().is_empty(), "{:?}", ann.rejected());
    bob.sync().await.unwrap();
    assert!(!bob.doc_ids().contains(&call), "another's lead's activity is not his to read");
    // Nor to write: moving his own lead's activity onto hers, behind his app's back, is refused
    // by the server.
    let his = bob.create("lead", json!({"name": "钱进", "phones": ["13400134000"]}));
    let his_call = bob.create("activity", json!({"lead": his, "type": "call", "subject": "约见"}));
    bob.sync().await.unwrap();
    let forged = bob.forged(&his_call, |d| {
        d.put(automerge::ROOT, "lead", lead.as_str()).unwrap();
    });
    let mut ws = connect(&server, Some(&token_of(&bob))).await.unwrap();
    hello(&mut ws).await;
    let refused = push_one(&mut ws, &his_call, forged).await;
    assert_eq!(refused[0].0, "forbidden", "{refused:?}");

    // The admin gives the lead to bob: its activity goes with it, on every device.
    root.sync().await.unwrap();
    root.call(json!({"op": "transition", "id": lead, "name": "assign", "fields": {"owner": bob.user_id}}));
    root.sync().await.unwrap();
    bob.sync().await.unwrap();
    ann.sync().await.unwrap();
    assert!(bob.doc_ids().contains(&lead) && bob.doc_ids().contains(&call), "the lead and its activity are his");
    assert!(!ann.doc_ids().contains(&call), "and no longer hers");
    // He converts it: the activity moves to his new customer's timeline, readable as his.
    let done = bob.call(json!({"op": "convert_lead", "id": lead}));
    bob.sync().await.unwrap();
    assert!(bob.rejected().iter().all(|r| r.code != "forbidden"), "{:?}", bob.rejected());
    root.sync().await.unwrap();
    let moved = root.get(&call);
    assert_eq!(moved["fields"]["customer"], done["customer"], "{moved}");
}
