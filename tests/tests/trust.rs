//! Trust under hostile input: nobody reads what they may not through any path, nobody writes
//! as someone else, and nothing from the network can break another device's sync.

#![allow(clippy::unwrap_used)]

use crm_core::document::RecordDoc;
use crm_core::kind::Kind;
use crm_core::sync::protocol::{ClientMsg, DocBytes, ServerMsg};
use crm_core::value::{now_ms, FieldValue};
use crm_tests::wire::{connect, hello, next_answer, send, token_of, Ws};
use crm_tests::{Device, TestServer};
use serde_json::json;

/// Does any part of `msg` contain `needle` (e.g. a confidential note in a document)?
fn leaks(msg: &ServerMsg, needle: &str) -> bool {
    let bytes = crm_core::sync::protocol::encode(msg);
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Open a repair for `doc` from nothing, as a device that has never seen it would.
async fn repair_from_nothing(ws: &mut Ws, doc: &str) -> (Option<ServerMsg>, Vec<String>) {
    let mut state = automerge::sync::State::new();
    let message = RecordDoc::empty().sync_message(&mut state).expect("a first sync message");
    send(ws, &ClientMsg::Repair { doc: doc.to_string(), message }).await;
    // Skip live traffic (e.g. a `drop` after a transfer) to the repair's answer.
    let mut errors = Vec::new();
    loop {
        match next_answer(ws).await {
            (Some(answer @ ServerMsg::Repair { .. }), more) => {
                errors.extend(more);
                return (Some(answer), errors);
            }
            (Some(_), more) => errors.extend(more),
            (None, more) => {
                errors.extend(more);
                return (None, errors);
            }
        }
    }
}

/// A new customer's first change, written with `device`'s own registered actor, saying it is
/// by `author`, at `time` (seconds).
fn change_by(device: &Device, author: &str, time: i64, name: &str) -> Vec<u8> {
    let actor = device.engine.store().identity().actor.clone();
    let actor = automerge::ActorId::from(crm_core::store::hex_decode(&actor).expect("hex actor"));
    let values = [("name", FieldValue::Str(name.into())), ("owner", FieldValue::Str(device.user_id.clone()))];
    let mut doc = RecordDoc::create_named(&actor, Kind::Customer, now_ms(), author, &values).unwrap();
    doc.commit(author, time).expect("a change").raw_bytes().to_vec()
}

async fn push_one(ws: &mut Ws, doc: &str, bytes: Vec<u8>) -> Vec<(String, String)> {
    send(ws, &ClientMsg::Push { batch: 1, changes: vec![DocBytes { doc: doc.to_string(), bytes }] }).await;
    match next_answer(ws).await.0 {
        Some(ServerMsg::Ack { accepted, refused, .. }) => accepted
            .into_iter()
            .map(|a| ("accepted".to_string(), a.hash))
            .chain(refused.into_iter().map(|r| (r.code, r.reason)))
            .collect(),
        other => panic!("expected an ack, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repair_answers_only_about_records_the_device_may_read() {
    let server = TestServer::start();
    server.add_user("ann", "account_manager", Some("east"));
    server.add_user("bob", "account_manager", Some("east"));
    server.add_user("sue", "supervisor", Some("east"));
    server.add_user("vic", "viewer", Some("west"));
    let ann = Device::login(&server, "ann").await;
    let bob = Device::login(&server, "bob").await;
    let sue = Device::login(&server, "sue").await;
    let vic = Device::login(&server, "vic").await;
    let secret = "机密：底价八折";
    let customer = ann.create("customer", json!({"name": "保密客户", "notes": secret}));
    let contact = ann.create("contact", json!({"name": "保密联系人", "customer": customer}));
    ann.sync().await.unwrap();

    for (device, doc) in [(&bob, &customer), (&bob, &contact), (&vic, &customer)] {
        let mut ws = connect(&server, Some(&token_of(device))).await.unwrap();
        hello(&mut ws).await;
        let (answer, errors) = repair_from_nothing(&mut ws, doc).await;
        let answer = answer.expect("the connection stays open");
        assert!(!leaks(&answer, secret) && !leaks(&answer, "保密"), "repair leaked the record: {answer:?}");
        assert!(matches!(answer, ServerMsg::Repair { message: None, .. }), "{answer:?}");
        assert_eq!(errors, vec!["repair_forbidden".to_string()]);
    }

    // The owner may repair, and the answer carries the document.
    let mut ws = connect(&server, Some(&token_of(&ann))).await.unwrap();
    hello(&mut ws).await;
    let (answer, errors) = repair_from_nothing(&mut ws, &customer).await;
    assert!(errors.is_empty() && leaks(&answer.unwrap(), secret), "the owner repairs her own record");

    // A former owner reads nothing of what happens after a transfer.
    sue.sync().await.unwrap();
    sue.call(json!({"op": "update", "id": customer, "fields": {"owner": bob.user_id}}));
    sue.sync().await.unwrap();
    bob.sync().await.unwrap();
    bob.call(json!({"op": "update", "id": customer, "fields": {"notes": "新主人的备注"}}));
    bob.sync().await.unwrap();
    let (answer, errors) = repair_from_nothing(&mut ws, &customer).await;
    assert!(!leaks(&answer.unwrap(), "新主人"), "the former owner reads later edits");
    assert_eq!(errors, vec!["repair_forbidden".to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_is_taken_only_from_the_device_and_user_that_wrote_it() {
    let server = TestServer::start();
    let admin_id = server.add_user("root", "admin", None);
    server.add_user("ann", "account_manager", Some("east"));
    server.add_user("sue", "supervisor", Some("east"));
    let ann = Device::login(&server, "ann").await;
    let sue = Device::login(&server, "sue").await;
    let log = server.log_len();

    // Ann's own actor, but claiming to be the admin.
    let mut ws = connect(&server, Some(&token_of(&ann))).await.unwrap();
    hello(&mut ws).await;
    let now = now_ms() / 1000;
    let doc = uuid::Uuid::now_v7().to_string();
    let verdict = push_one(&mut ws, &doc, change_by(&ann, &admin_id, now, "冒名客户")).await;
    assert_eq!(verdict[0].0, "forged_author", "{verdict:?}");

    // Sue's offline edit; ann gets hold of it and relays it through repair.
    let customer = sue.create("customer", json!({"name": "主管的客户"}));
    let sues_changes = sue.engine.store().changes_of(&customer).unwrap();
    let incoming: Vec<_> = sues_changes
        .iter()
        .map(|bytes| crm_core::store::IncomingChange { doc_id: customer.clone(), bytes: bytes.clone() })
        .collect();
    ann.engine.store().apply_changes(incoming).unwrap();
    let mut state = automerge::sync::State::new();
    // The server has nothing of it: its first answer asks for everything.
    let opener = ann.engine.store().repair_message(&customer, &mut state).unwrap().unwrap();
    send(&mut ws, &ClientMsg::Repair { doc: customer.clone(), message: opener }).await;
    let mut refused_codes = Vec::new();
    for _ in 0..4 {
        match next_answer(&mut ws).await.0 {
            Some(ServerMsg::Repair { message: Some(reply), refused, .. }) => {
                refused_codes.extend(refused.into_iter().map(|r| r.code));
                let next = {
                    let mut store = ann.engine.store();
                    store.receive_repair(&customer, &mut state, &reply).unwrap();
                    store.repair_message(&customer, &mut state).unwrap()
                };
                match next {
                    Some(message) => send(&mut ws, &ClientMsg::Repair { doc: customer.clone(), message }).await,
                    None => break,
                }
            }
            Some(ServerMsg::Repair { message: None, refused, .. }) => {
                refused_codes.extend(refused.into_iter().map(|r| r.code));
                break;
            }
            other => panic!("expected a repair answer, got {other:?}"),
        }
    }
    assert!(refused_codes.iter().any(|c| c == "not_own"), "{refused_codes:?}");
    assert_eq!(server.log_len(), log, "nothing relayed or forged was stored");

    // Sue's real device is not harmed: her edits, offline and later, all go through.
    sue.call(json!({"op": "update", "id": customer, "fields": {"grade": "A"}}));
    sue.sync().await.unwrap();
    assert!(sue.rejected().is_empty(), "{:?}", sue.rejected());
    assert_eq!(sue.engine.store().outbox_len().unwrap(), 0);
    let history = sue.call(json!({"op": "history", "id": customer}));
    assert!(history.to_string().contains(&sue.user_id));
    assert!(!history.to_string().contains(&admin_id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn implausible_change_times_are_refused_and_never_reach_a_reader() {
    let server = TestServer::start();
    server.add_user("ann", "account_manager", Some("east"));
    server.add_user("sue", "supervisor", Some("east"));
    let ann = Device::login(&server, "ann").await;
    let log = server.log_len();
    let mut ws = connect(&server, Some(&token_of(&ann))).await.unwrap();
    hello(&mut ws).await;
    for time in [1i64 << 62, -5, i64::MAX, 0, now_ms() / 1000 + 3 * 86_400] {
        let doc = uuid::Uuid::now_v7().to_string();
        let verdict = push_one(&mut ws, &doc, change_by(&ann, &ann.user_id, time, "未来客户")).await;
        assert_eq!(verdict[0].0, "bad_time", "time {time}: {verdict:?}");
    }
    assert_eq!(server.log_len(), log);
    let now = now_ms() / 1000;
    let doc = uuid::Uuid::now_v7().to_string();
    assert_eq!(push_one(&mut ws, &doc, change_by(&ann, &ann.user_id, now, "正常客户")).await[0].0, "accepted");

    // A reader given such a change anyway (from an older server) does not panic.
    let actor = automerge::ActorId::random();
    let values = [("name", FieldValue::Str("远未来".into()))];
    let mut far = RecordDoc::create_named(&actor, Kind::Customer, now_ms(), "x", &values).unwrap();
    far.commit("x", i64::MAX).unwrap();
    let mut doc = RecordDoc::load(&far.save(), Vec::new()).unwrap();
    assert!(doc.updated_at() > 0);
    assert_eq!(doc.history().len(), 1);
}
