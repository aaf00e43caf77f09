//! Workflows the server decides, against a real server: service requests assigned across
//! scopes, races between two devices making the same transition offline, claims from the
//! customer pool, and forged transitions from a hand-written client.

#![allow(clippy::unwrap_used)]

use automerge::transaction::Transactable;
use crm_core::document::RecordDoc;
use crm_tests::wire::{connect, hello, push_one, token_of};
use crm_tests::{Device, TestServer};
use serde_json::{json, Value as Json};

fn transitions(device: &Device, id: &str) -> Vec<String> {
    let p = device.call(json!({"op": "permissions", "id": id}));
    p["transitions"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_string()).collect()
}

fn take(device: &Device, id: &str, name: &str, fields: Json) -> Json {
    device.call(json!({"op": "transition", "id": id, "name": name, "fields": fields}))
}

fn try_take(device: &Device, id: &str, name: &str, fields: Json) -> Json {
    device.try_call(json!({"op": "transition", "id": id, "name": name, "fields": fields}))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_request_is_assigned_across_scopes_handled_offline_reopened_and_archived() {
    let server = TestServer::start();
    let [ann, bob, carl, sue] = server
        .people([
            ("ann", "account_manager", Some("east")),
            ("bob", "account_manager", Some("east")),
            ("carl", "account_manager", Some("east")),
            ("sue", "supervisor", Some("east")),
        ])
        .await;

    // Ann takes the customer's call offline and files the request.
    let customer = ann.create("customer", json!({"name": "苏州精工机械有限公司"}));
    let contact = ann.create("contact", json!({"customer": customer, "name": "钱主任"}));
    let visit = ann.create("activity", json!({"customer": customer, "type": "visit", "subject": "机密：价格底线"}));
    let request = ann.create(
        "service_request",
        json!({"customer": customer, "contact": contact, "type": "repair", "title": "主轴异响", "priority": "high"}),
    );
    let created = ann.get(&request);
    assert_eq!(created["fields"]["status"], "new");
    assert!(created["fields"]["code"].as_str().unwrap().starts_with('S'), "a minted code: {created}");
    assert!(transitions(&ann, &request).is_empty(), "an account manager does not assign");
    ann.sync().await.unwrap();

    // The supervisor assigns it to carl, who does not own the customer.
    sue.sync().await.unwrap();
    assert_eq!(transitions(&sue, &request), ["assign"]);
    let assigned = take(&sue, &request, "assign", json!({"assignee": carl.user_id}));
    assert_eq!(assigned["fields"]["status"], "assigned");
    assert_eq!(assigned["fields"]["assigned_by"], sue.user_id.as_str());
    assert_eq!(assigned["awaiting"]["transition"], "assign", "shown as awaiting confirmation: {assigned}");
    let row = |d: &Device| {
        let page = d.call(json!({"op": "list", "kind": "service_request"}));
        page["items"].as_array().unwrap().iter().find(|i| i["id"] == request.as_str()).cloned().unwrap()
    };
    assert_eq!(row(&sue)["awaiting"]["transition"], "assign", "list rows say so too");
    sue.sync().await.unwrap();
    assert!(sue.get(&request).get("awaiting").is_none(), "confirmed once the server took it");
    assert!(row(&sue).get("awaiting").is_none());

    carl.sync().await.unwrap();
    assert_eq!(carl.get(&request)["fields"]["title"], "主轴异响", "the assignee receives the request");
    assert_eq!(carl.get(&customer)["fields"]["name"], "苏州精工机械有限公司", "and its customer");
    assert_eq!(carl.get(&contact)["fields"]["name"], "钱主任", "and the contact it names");
    assert!(!carl.doc_ids().contains(&visit), "but nothing else of the customer's");
    let on_customer = carl.call(json!({"op": "permissions", "id": customer}));
    assert_eq!(on_customer["actions"], json!([]), "the customer is read-only to the assignee");

    // Reassigned to bob: carl's device loses the request and the customer, bob's gets them.
    take(&sue, &request, "assign", json!({"assignee": bob.user_id}));
    sue.sync().await.unwrap();
    carl.sync().await.unwrap();
    for id in [&request, &customer, &contact] {
        assert!(!carl.doc_ids().contains(id), "reassigning takes {id} away from the first assignee");
    }
    bob.sync().await.unwrap();
    assert_eq!(bob.get(&request)["fields"]["assignee"], bob.user_id.as_str());
    assert!(bob.doc_ids().contains(&customer));

    // Bob works offline: notes in the handling log, then the result.
    assert_eq!(transitions(&bob, &request), ["handle"]);
    let early = try_take(&bob, &request, "reopen", json!({"satisfaction": 1}));
    assert_eq!(early["code"], "invalid_transition", "not handled yet: {early}");
    bob.call(json!({"op": "append", "id": request, "field": "handling_log", "text": "到现场，更换轴承"}));
    let refused = try_take(&bob, &request, "handle", json!({}));
    assert_eq!(refused["code"], "transition_requires", "{refused}");
    take(&bob, &request, "handle", json!({"result": "已更换主轴轴承，试机正常"}));
    // Meanwhile the supervisor adds a note too: both stay.
    sue.call(json!({"op": "append", "id": request, "field": "handling_log", "text": "请周五前回访"}));
    sue.sync().await.unwrap();
    bob.sync().await.unwrap();
    sue.sync().await.unwrap();
    let log = sue.get(&request)["fields"]["handling_log"].clone();
    assert_eq!(log.as_array().unwrap().len(), 2, "appends from two devices merge: {log}");
    assert_eq!(sue.get(&request)["fields"]["status"], "handled");

    // Ann records the customer's feedback: satisfaction 2 reopens it...
    ann.sync().await.unwrap();
    assert_eq!(transitions(&ann, &request), ["reopen", "archive"]);
    let too_low = try_take(&ann, &request, "archive", json!({"satisfaction": 2}));
    assert_eq!(too_low["code"], "satisfaction_low", "{too_low}");
    let bad = try_take(&ann, &request, "reopen", json!({"satisfaction": 9}));
    assert_eq!(bad["code"], "validation", "satisfaction 9 is out of range: {bad}");
    let reopened = take(&ann, &request, "reopen", json!({"satisfaction": 2, "feedback": "还是有异响"}));
    assert_eq!(reopened["fields"]["status"], "assigned");
    ann.sync().await.unwrap();
    bob.sync().await.unwrap();
    take(&bob, &request, "handle", json!({"result": "更换主轴，已复测"}));
    bob.sync().await.unwrap();
    // ...and a later 5 archives it.
    ann.sync().await.unwrap();
    let archived = take(&ann, &request, "archive", json!({"satisfaction": 5}));
    assert_eq!(archived["fields"]["status"], "archived");
    ann.sync().await.unwrap();
    sue.sync().await.unwrap();
    assert_eq!(sue.get(&request)["fields"]["status"], "archived");
    assert!(ann.rejected().is_empty() && bob.rejected().is_empty() && sue.rejected().is_empty());
    assert_eq!(sue.heads(&request), ann.heads(&request));

    // The customer's page lists the request and its handling on the timeline, with who.
    let page = ann.call(json!({"op": "customer360", "id": customer}));
    assert_eq!(page["service_requests"][0]["id"], request.as_str());
    let note = page["events"].as_array().unwrap().iter().find(|e| e["text"] == "到现场，更换轴承").cloned();
    let note = note.unwrap_or_else(|| panic!("the handling note is on the timeline: {}", page["events"]));
    assert_eq!(note["event"], "service_note");
    assert_eq!(note["by"], bob.user_id.as_str());
    assert_eq!(page["customer"]["names"][bob.user_id.as_str()], "bob");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_offline_assignments_the_first_wins_and_the_second_shows_who_did_what() {
    let server = TestServer::start();
    let [ann, bob, carl, sue, sam] = server
        .people([
            ("ann", "account_manager", Some("east")),
            ("bob", "account_manager", Some("east")),
            ("carl", "account_manager", Some("east")),
            ("sue", "supervisor", Some("east")),
            ("sam", "supervisor", Some("east")),
        ])
        .await;
    let customer = ann.create("customer", json!({"name": "宁波港联物流"}));
    let request = ann.create("service_request", json!({"customer": customer, "type": "complaint", "title": "延误"}));
    ann.sync().await.unwrap();
    sue.sync().await.unwrap();
    sam.sync().await.unwrap();

    // Both supervisors assign it while offline, to different people.
    take(&sue, &request, "assign", json!({"assignee": bob.user_id}));
    take(&sam, &request, "assign", json!({"assignee": carl.user_id}));
    sue.sync().await.unwrap();
    sam.sync().await.unwrap();

    let rejected = sam.rejected();
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert_eq!(rejected[0].code, "transition_conflict");
    let view = sam.get(&request);
    let note = &view["refused"][0];
    assert_eq!(note["code"], "transition_conflict", "the refusal is shown on the record: {view}");
    assert_eq!(note["params"]["by"], sue.user_id.as_str(), "naming who did it");
    assert!(note["params"]["at"].as_str().is_some(), "and when");
    assert_eq!(view["names"][sue.user_id.as_str()], "sue", "with their name to show");
    assert!(view.get("awaiting").is_none());
    let page = sam.call(json!({"op": "list", "kind": "service_request"}));
    let item = page["items"].as_array().unwrap().iter().find(|i| i["id"] == request.as_str()).cloned().unwrap();
    assert_eq!(item["refused"], 1, "the list row counts the refusal: {item}");

    sam.sync().await.unwrap();
    sue.sync().await.unwrap();
    assert_eq!(sam.get(&request)["fields"]["assignee"], bob.user_id.as_str());
    assert_eq!(sam.heads(&request), sue.heads(&request), "both devices end with the same document");
    assert!(sam.get(&request).get("conflicts").is_none(), "never an Automerge conflict");
    carl.sync().await.unwrap();
    assert!(!carl.doc_ids().contains(&request), "the losing assignee never receives it");

    // Once seen, the refusal is put away.
    let hash = sam.get(&request)["refused"][0]["hash"].as_str().unwrap().to_string();
    let out = sam.call(json!({"op": "dismiss_refused", "hashes": [hash]}));
    assert_eq!(out["removed"], 1);
    assert!(sam.get(&request).get("refused").is_none() && sam.rejected().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_salespeople_claim_one_pool_customer_and_the_first_claim_wins() {
    let server = TestServer::start();
    let [ann, bob, carl, sue] = server
        .people([
            ("ann", "account_manager", Some("east")),
            ("bob", "account_manager", Some("east")),
            ("carl", "account_manager", Some("west")),
            ("sue", "supervisor", Some("east")),
        ])
        .await;
    let customer = ann.create("customer", json!({"name": "合肥瑞丰食品"}));
    ann.create("contact", json!({"customer": customer, "name": "孙经理"}));
    ann.sync().await.unwrap();
    let refused = try_take(&ann, &customer, "release", json!({}));
    assert_eq!(refused["code"], "transition_requires", "a release needs its reason: {refused}");
    take(&ann, &customer, "release", json!({"pool_reason": "客户暂无需求"}));
    ann.sync().await.unwrap();

    bob.sync().await.unwrap();
    carl.sync().await.unwrap();
    assert_eq!(bob.get(&customer)["fields"]["pool_reason"], "客户暂无需求", "the pool is open to everyone");
    assert_eq!(transitions(&carl, &customer), ["claim"]);
    let offer = carl.call(json!({"op": "permissions", "id": customer}))["transitions"][0].clone();
    assert_eq!(offer["requires"], json!([]), "a claim asks for nothing: the claimant becomes the owner: {offer}");
    let visit =
        carl.try_call(json!({"op": "create", "kind": "activity", "fields": {"customer": customer, "type": "visit"}}));
    assert_eq!(visit["code"], "forbidden", "a pool customer is claimed before it is worked on: {visit}");
    assert!(!carl.call(json!({"op": "permissions", "id": customer}))["actions"]
        .as_array()
        .unwrap()
        .contains(&json!("update")));

    take(&bob, &customer, "claim", json!({}));
    take(&carl, &customer, "claim", json!({}));
    bob.sync().await.unwrap();
    carl.sync().await.unwrap();
    let lost = &carl.rejected()[0];
    assert_eq!(lost.code, "transition_conflict", "{lost:?}");
    assert_eq!(lost.doc_id, customer);
    let params = lost.params.clone().unwrap();
    assert_eq!(params["by"], bob.user_id.as_str(), "the refusal names who claimed it first: {params}");
    assert!(params["at"].as_str().is_some(), "and when: {params}");
    assert_eq!(lost.title.as_deref(), Some("合肥瑞丰食品"), "named though it has left carl's device");
    assert_eq!(lost.kind.as_deref(), Some("customer"));
    assert!(!carl.doc_ids().contains(&customer), "the loser no longer reads bob's customer");
    sue.sync().await.unwrap();
    assert_eq!(sue.get(&customer)["fields"]["owner"], bob.user_id.as_str());
    assert!(sue.get(&customer)["fields"].get("pool_reason").is_none(), "a claim clears why it was in the pool");
    assert_eq!(sue.heads(&customer), bob.heads(&customer));

    // A per-person limit on owned customers, set by the admin, stops a claim past it.
    let admin = Device::login(&server, {
        server.add_user("root", "admin", None);
        "root"
    })
    .await;
    admin.sync().await.unwrap();
    admin.create("setting", json!({"key": "pool.max_owned", "value": 1}));
    admin.sync().await.unwrap();
    let other = admin.create("customer", json!({"name": "池中客户二"}));
    take(&admin, &other, "release", json!({"pool_reason": "新线索，待认领"}));
    admin.sync().await.unwrap();
    bob.sync().await.unwrap();
    let over = try_take(&bob, &other, "claim", json!({}));
    assert_eq!(over["code"], "owned_limit", "{over}");
    // A hand-written client claiming anyway is refused by the server, with the same reason.
    let mut ws = connect(&server, Some(&token_of(&bob))).await.unwrap();
    hello(&mut ws).await;
    let log = server.log_len();
    let claim = Device::forged(&bob, &other, |d| {
        d.put(automerge::ROOT, "owner", bob.user_id.as_str()).unwrap();
        d.put(automerge::ROOT, "owned_at", automerge::ScalarValue::Timestamp(crm_core::value::now_ms())).unwrap();
    });
    let verdict = push_one(&mut ws, &other, claim).await;
    assert_eq!(verdict[0].0, "owned_limit", "{verdict:?}");
    assert_eq!(server.log_len(), log, "nothing stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_transitions_are_refused_with_reasons_and_not_stored() {
    let server = TestServer::start();
    let [ann, bob, sue, vic] = server
        .people([
            ("ann", "account_manager", Some("east")),
            ("bob", "account_manager", Some("east")),
            ("sue", "supervisor", Some("east")),
            ("vic", "viewer", Some("east")),
        ])
        .await;
    let customer = ann.create("customer", json!({"name": "青岛海天电子"}));
    let request = ann.create("service_request", json!({"customer": customer, "type": "inquiry", "title": "报价"}));
    ann.sync().await.unwrap();
    vic.sync().await.unwrap();

    let mut ws = connect(&server, Some(&token_of(&ann))).await.unwrap();
    hello(&mut ws).await;
    let log = server.log_len();
    // An account manager assigning.
    let assign = Device::forged(&ann, &request, |d| {
        d.put(automerge::ROOT, "status", "assigned").unwrap();
        d.put(automerge::ROOT, "assignee", bob.user_id.as_str()).unwrap();
        d.put(automerge::ROOT, "assigned_by", ann.user_id.as_str()).unwrap();
        d.put(automerge::ROOT, "assigned_at", automerge::ScalarValue::Timestamp(crm_core::value::now_ms())).unwrap();
    });
    let verdict = push_one(&mut ws, &request, assign).await;
    assert_eq!(verdict[0].0, "transition_forbidden", "{verdict:?}");
    // Skipping a state: straight from new to archived.
    let skip = Device::forged(&ann, &request, |d| {
        d.put(automerge::ROOT, "status", "archived").unwrap();
    });
    let verdict = push_one(&mut ws, &request, skip).await;
    assert_eq!(verdict[0].0, "invalid_transition", "{verdict:?}");
    assert!(verdict[0].1.contains("new") && verdict[0].1.contains("archived"), "{verdict:?}");
    // An unknown state.
    let unknown = Device::forged(&ann, &request, |d| {
        d.put(automerge::ROOT, "status", "teleported").unwrap();
    });
    assert_eq!(push_one(&mut ws, &request, unknown).await[0].0, "invalid_transition");
    // Stamps typed instead of taken: the supervisor's assignment claiming another assigner.
    sue.sync().await.unwrap();
    let mut sue_ws = connect(&server, Some(&token_of(&sue))).await.unwrap();
    hello(&mut sue_ws).await;
    let stamped = Device::forged(&sue, &request, |d| {
        d.put(automerge::ROOT, "status", "assigned").unwrap();
        d.put(automerge::ROOT, "assignee", bob.user_id.as_str()).unwrap();
        d.put(automerge::ROOT, "assigned_by", ann.user_id.as_str()).unwrap();
        d.put(automerge::ROOT, "assigned_at", automerge::ScalarValue::Timestamp(crm_core::value::now_ms())).unwrap();
    });
    assert_eq!(push_one(&mut sue_ws, &request, stamped).await[0].0, "transition_stamp");
    assert_eq!(server.log_len(), log, "nothing forged was stored");

    // A viewer archiving is refused before anything else.
    let mut vic_ws = connect(&server, Some(&token_of(&vic))).await.unwrap();
    hello(&mut vic_ws).await;
    let archive = Device::forged(&vic, &request, |d| {
        d.put(automerge::ROOT, "status", "archived").unwrap();
    });
    assert_eq!(push_one(&mut vic_ws, &request, archive).await[0].0, "forbidden");
    // A transition on a deleted record.
    ann.call(json!({"op": "delete", "id": request}));
    ann.sync().await.unwrap();
    sue.sync().await.unwrap();
    let on_deleted = try_take(&sue, &request, "assign", json!({"assignee": bob.user_id}));
    assert_eq!(on_deleted["code"], "deleted", "{on_deleted}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn churn_warnings_and_one_case_from_two_devices_postponed_then_confirmed() {
    let server = TestServer::start();
    let [ann, sue] =
        server.people([("ann", "account_manager", Some("east")), ("sue", "supervisor", Some("east"))]).await;
    let days_ago = |n: i64| (chrono::Utc::now() - chrono::Duration::days(n)).to_rfc3339();
    // A key account quiet for 100 days (past its 30), a B customer quiet for 50 (its warning
    // starts at 60 - 14 = 46), and one visited yesterday.
    let key = ann.create("customer", json!({"name": "无锡鼎盛重工", "grade": "A"}));
    ann.create("activity", json!({"customer": key, "type": "visit", "time": days_ago(100)}));
    let quiet = ann.create("customer", json!({"name": "常州恒远化工", "grade": "B"}));
    ann.create("activity", json!({"customer": quiet, "type": "call", "time": days_ago(50)}));
    let busy = ann.create("customer", json!({"name": "扬州新兴包装", "grade": "A"}));
    ann.create("activity", json!({"customer": busy, "type": "visit", "time": days_ago(1)}));

    let warnings = ann.call(json!({"op": "churn_warnings"}));
    let items = warnings["items"].as_array().unwrap();
    let stage_of = |id: &str| items.iter().find(|w| w["customer"]["id"] == id).map(|w| w["stage"].clone());
    assert_eq!(stage_of(&key), Some(json!("dormant")), "{warnings}");
    assert_eq!(stage_of(&quiet), Some(json!("warning")), "{warnings}");
    assert_eq!(stage_of(&busy), None, "a customer visited yesterday raises nothing");
    let one = ann.call(json!({"op": "churn_warnings", "customer": quiet}));
    let one: Vec<&Json> = one["items"].as_array().unwrap().iter().collect();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["customer"]["id"], quiet.as_str());
    let none = ann.call(json!({"op": "churn_warnings", "customer": busy}));
    assert!(none["items"].as_array().unwrap().is_empty());
    ann.sync().await.unwrap();
    sue.sync().await.unwrap();

    // Both open the key account's case while offline, each noting a measure: one case.
    let case = ann.call(json!({"op": "open_churn_case", "customer": key}))["id"].as_str().unwrap().to_string();
    let same = sue.call(json!({"op": "open_churn_case", "customer": key}))["id"].as_str().unwrap().to_string();
    assert_eq!(case, same, "the case's id comes from the customer and the episode");
    ann.call(json!({"op": "append", "id": case, "field": "measures", "text": "约见采购总监"}));
    sue.call(json!({"op": "append", "id": case, "field": "measures", "text": "申请年度返利"}));
    ann.sync().await.unwrap();
    sue.sync().await.unwrap();
    ann.sync().await.unwrap();
    let merged = ann.get(&case);
    assert_eq!(merged["fields"]["measures"].as_array().unwrap().len(), 2, "both measures stay: {merged}");
    assert_eq!(ann.heads(&case), sue.heads(&case));
    assert!(ann.rejected().is_empty() && sue.rejected().is_empty(), "{:?}", sue.rejected());

    // 暂缓流失: a measure and a date to look again; the warning goes until then.
    let refused = try_take(&ann, &case, "postpone", json!({"measures": "寄送新品样册"}));
    assert_eq!(refused["code"], "transition_requires", "{refused}");
    let review = (chrono::Utc::now() + chrono::Duration::days(14)).format("%Y-%m-%d").to_string();
    take(&ann, &case, "postpone", json!({"measures": "寄送新品样册", "review_date": review}));
    let warnings = ann.call(json!({"op": "churn_warnings"}));
    assert!(!warnings["items"].as_array().unwrap().iter().any(|w| w["customer"]["id"] == key.as_str()));

    // 确定流失 needs the reason, and marks the customer lost.
    let refused = try_take(&ann, &case, "confirm", json!({}));
    assert_eq!(refused["code"], "transition_requires");
    take(&ann, &case, "confirm", json!({"reason": "被竞争对手以低价抢走"}));
    assert_eq!(ann.get(&key)["fields"]["status"], "lost");
    ann.sync().await.unwrap();
    sue.sync().await.unwrap();
    assert_eq!(sue.get(&case)["fields"]["status"], "confirmed");
    assert_eq!(sue.get(&key)["fields"]["status"], "lost");
    let cases = sue.call(json!({"op": "list", "kind": "churn_case", "filter": {"status": "confirmed"}}));
    assert_eq!(cases["items"].as_array().unwrap().len(), 1, "supervisors see their team's cases: {cases}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_returns_neglected_customers_to_the_pool_by_their_grades_rule() {
    let server = TestServer::start();
    let [root, ann, bob] = server
        .people([
            ("root", "admin", None),
            ("ann", "account_manager", Some("east")),
            ("bob", "account_manager", Some("west")),
        ])
        .await;
    root.sync().await.unwrap();
    root.create("grade_rule", json!({"grade": "D", "recycle_days": 30, "recycle_warning_days": 10}));
    root.sync().await.unwrap();
    let days_ago = |n: i64| (chrono::Utc::now() - chrono::Duration::days(n)).to_rfc3339();
    let neglected = ann.create("customer", json!({"name": "淮安远东五金", "grade": "D"}));
    ann.create("activity", json!({"customer": neglected, "type": "call", "time": days_ago(40)}));
    let warned = ann.create("customer", json!({"name": "泰州华泰建材", "grade": "D"}));
    ann.create("activity", json!({"customer": warned, "type": "call", "time": days_ago(25)}));
    let graded_a = ann.create("customer", json!({"name": "南通重点客户", "grade": "A"}));
    ann.create("activity", json!({"customer": graded_a, "type": "call", "time": days_ago(400)}));
    ann.sync().await.unwrap();

    // Ann is warned of the one five days from its turn.
    let reminders = ann.call(json!({"op": "reminders"}));
    assert!(
        reminders["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["reason"] == "recycle_warning" && i["id"] == warned.as_str()),
        "{reminders}"
    );

    let recycled = server.db().recycle(crm_core::value::now_ms()).unwrap();
    assert_eq!(recycled, vec![neglected.clone()], "only the D customer past its 30 days");
    ann.sync().await.unwrap();
    bob.sync().await.unwrap();
    let seen = bob.get(&neglected);
    assert!(seen["fields"].get("owner").is_none(), "in the pool, open to bob of another team: {seen}");
    assert!(seen["fields"]["pool_reason"].as_str().unwrap().contains("30"));
    assert!(ann.get(&neglected)["fields"].get("owner").is_none());
    assert!(!bob.doc_ids().contains(&warned) && !bob.doc_ids().contains(&graded_a));
    assert_eq!(transitions(&bob, &neglected), ["claim"]);
    // Claimed again, it is someone's for another 30 days.
    take(&bob, &neglected, "claim", json!({}));
    bob.sync().await.unwrap();
    assert!(
        server.db().recycle(crm_core::value::now_ms()).unwrap().is_empty(),
        "its new owner gets the grade's 30 days from the claim"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_record_for_one_subject_or_a_renamed_subject_is_refused() {
    use crm_core::kind::Kind;
    use crm_core::value::FieldValue;
    let server = TestServer::start();
    let [root] = server.people([("root", "admin", None)]).await;
    root.sync().await.unwrap();
    let limit = root.create("setting", json!({"key": "pool.max_owned", "value": 40}));
    assert_eq!(limit, crm_core::genesis::id_of(Kind::Setting, &["pool.max_owned"]));
    root.sync().await.unwrap();

    // The app will not rename the subject...
    let renamed = root.try_call(json!({"op": "update", "id": limit, "fields": {"key": "service.reopen_below"}}));
    assert_eq!(renamed["code"], "validation", "{renamed}");
    assert_eq!(renamed["params"]["errors"][0], json!({"field": "key", "reason": "identity_fixed"}), "{renamed}");

    // ...and a hand-written client that does is refused by the server.
    let mut ws = connect(&server, Some(&token_of(&root))).await.unwrap();
    hello(&mut ws).await;
    let log = server.log_len();
    let rename = Device::forged(&root, &limit, |d| {
        d.put(automerge::ROOT, "key", "service.reopen_below").unwrap();
    });
    let verdict = push_one(&mut ws, &limit, rename).await;
    assert_eq!(verdict[0].0, "invalid_record", "{verdict:?}");
    assert!(verdict[0].1.contains("identity_fixed"), "{verdict:?}");

    // A second setting for the same key, under an id of its own and without the genesis.
    let actor = automerge::ActorId::from(crm_core::store::hex_decode(&root.engine.store().identity().actor).unwrap());
    let now = crm_core::value::now_ms();
    let values = [("key", FieldValue::Str("pool.max_owned".into())), ("value", FieldValue::Int(1))];
    let mut doc = RecordDoc::create_named(&actor, Kind::Setting, now, &root.user_id, &values).unwrap();
    let second = doc.commit(&root.user_id, now / 1000).unwrap().bytes().into_owned();
    let other_id = uuid::Uuid::now_v7().to_string();
    let verdict = push_one(&mut ws, &other_id, second).await;
    assert_eq!(verdict[0].0, "invalid_record", "{verdict:?}");
    assert!(verdict[0].1.contains("one for its key"), "{verdict:?}");
    assert_eq!(server.log_len(), log, "nothing was stored");
    let settings = root.call(json!({"op": "list", "kind": "setting"}));
    assert_eq!(settings["items"].as_array().unwrap().len(), 1, "{settings}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_from_before_assignments_fills_them_in_and_the_assignee_reads_the_record() {
    let mut server = TestServer::start();
    let [ann, bob, sue] = server
        .people([
            ("ann", "account_manager", Some("east")),
            ("bob", "account_manager", Some("west")),
            ("sue", "supervisor", Some("east")),
        ])
        .await;
    let customer = ann.create("customer", json!({"name": "绍兴轻纺城"}));
    let request = ann.create("service_request", json!({"customer": customer, "type": "repair", "title": "织机故障"}));
    ann.sync().await.unwrap();
    sue.sync().await.unwrap();
    take(&sue, &request, "assign", json!({"assignee": bob.user_id}));
    sue.sync().await.unwrap();
    bob.sync().await.unwrap();
    assert!(bob.doc_ids().contains(&request));

    // As a server that kept no assignments left it: nobody reads by assignment.
    server.kill();
    {
        let db = server.db();
        db.connection()
            .execute_batch("DELETE FROM assignments; DELETE FROM meta WHERE key = 'assignments_filled';")
            .unwrap();
    }
    server.restart();
    let filled: i64 = server
        .db()
        .connection()
        .query_row("SELECT COUNT(*) FROM assignments WHERE doc_id = ? AND user_id = ?", [&request, &bob.user_id], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(filled, 1, "opening the database filled the assignment in");
    // A device of bob's that never saw the request receives it, its customer with it.
    let fresh = Device::login(&server, "bob").await;
    fresh.sync().await.unwrap();
    let ids = fresh.doc_ids();
    assert!(ids.contains(&request) && ids.contains(&customer), "{ids:?}");
}
