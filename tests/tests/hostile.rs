//! Hostile and broken clients get a clear error, never crash the server, never get anything
//! stored, and never stop other clients from being served.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use automerge::transaction::Transactable;
use crm_core::sync::protocol::{encode, ClientMsg, DocBytes, ServerMsg, MAX_PUSH_CHANGES, PROTOCOL_VERSION};
use crm_tests::wire::{connect, hello, next, token_of};
use crm_tests::{Device, TestServer};
use futures_util::SinkExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

fn status_of(err: WsError) -> (u16, String) {
    match err {
        WsError::Http(resp) => {
            let body: serde_json::Value =
                resp.body().as_deref().and_then(|b| serde_json::from_slice(b).ok()).unwrap_or_default();
            (resp.status().as_u16(), body["code"].as_str().unwrap_or("").to_string())
        }
        other => panic!("expected an HTTP refusal, got {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tokens_are_refused_before_the_upgrade() {
    let server = TestServer::start();
    server.add_user("ann", "account_manager", None);
    let ann = Device::login(&server, "ann").await;
    assert_eq!(status_of(connect(&server, None).await.unwrap_err()), (401, "token_missing".into()));
    assert_eq!(status_of(connect(&server, Some("not-a-token")).await.unwrap_err()), (401, "token_invalid".into()));
    server.db().connection().execute("UPDATE devices SET expires_at = 0", []).unwrap();
    assert_eq!(status_of(connect(&server, Some(&token_of(&ann))).await.unwrap_err()), (401, "token_expired".into()));
    server.db().connection().execute("UPDATE devices SET expires_at = 9e15", []).unwrap();
    server.db().set_disabled("ann", true).unwrap();
    assert_eq!(status_of(connect(&server, Some(&token_of(&ann))).await.unwrap_err()), (403, "user_disabled".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_frames_wrong_versions_and_bad_changes_get_clear_errors_and_nothing_is_stored() {
    let server = TestServer::start();
    server.add_user("ann", "account_manager", None);
    let ann = Device::login(&server, "ann").await;
    let token = token_of(&ann);
    let mut ws = connect(&server, Some(&token)).await.unwrap();
    let log_before = server.log_len();

    ws.send(Message::Binary(vec![0xff, 0x00, 0x13, 0x37].into())).await.unwrap();
    assert!(
        matches!(next(&mut ws).await, Some(ServerMsg::Error { ref code, fatal: false, .. }) if code == "bad_frame")
    );
    ws.send(Message::Text("{\"t\":\"hello\"}".into())).await.unwrap();
    assert!(matches!(next(&mut ws).await, Some(ServerMsg::Error { ref code, .. }) if code == "text_frame"));
    ws.send(Message::Binary(encode(&ClientMsg::Push { batch: 1, changes: vec![], ahead: false }).into()))
        .await
        .unwrap();
    assert!(matches!(next(&mut ws).await, Some(ServerMsg::Error { ref code, .. }) if code == "hello_first"));
    ws.send(Message::Binary(encode(&ClientMsg::Ping { n: 7 }).into())).await.unwrap();
    assert_eq!(next(&mut ws).await, Some(ServerMsg::Pong { n: 7 }), "the connection still works");

    hello(&mut ws).await;
    let customer = uuid_like(1);
    let push =
        |changes: Vec<DocBytes>| Message::Binary(encode(&ClientMsg::Push { batch: 9, changes, ahead: false }).into());
    ws.send(push(vec![DocBytes { doc: customer.clone(), bytes: b"definitely not automerge".to_vec() }])).await.unwrap();
    match next(&mut ws).await {
        Some(ServerMsg::Ack { accepted, refused, .. }) => {
            assert!(accepted.is_empty());
            assert_eq!(refused[0].code, "invalid_change");
        }
        other => panic!("expected an ack, got {other:?}"),
    }

    // A well-formed change written by an actor this device never registered.
    let mut doc = automerge::AutoCommit::new();
    doc.put(automerge::ROOT, "kind", "customer").unwrap();
    doc.put(automerge::ROOT, "name", "伪造").unwrap();
    doc.commit();
    let forged = doc.get_last_local_change().unwrap().raw_bytes().to_vec();
    ws.send(push(vec![DocBytes { doc: customer.clone(), bytes: forged }])).await.unwrap();
    match next(&mut ws).await {
        Some(ServerMsg::Ack { refused, .. }) => assert_eq!(refused[0].code, "forged_actor"),
        other => panic!("expected an ack, got {other:?}"),
    }

    let too_many: Vec<DocBytes> =
        (0..=MAX_PUSH_CHANGES).map(|_| DocBytes { doc: customer.clone(), bytes: vec![1] }).collect();
    ws.send(push(too_many)).await.unwrap();
    assert!(matches!(next(&mut ws).await, Some(ServerMsg::Error { ref code, .. }) if code == "batch_too_large"));
    assert_eq!(server.log_len(), log_before, "nothing refused was stored");

    // A replayed change is harmless: the same sequence number comes back.
    ann.create("customer", json!({"name": "重放测试"}));
    let entry = ann.engine.store().outbox(10).unwrap().remove(0);
    let change = DocBytes { doc: entry.doc_id, bytes: entry.bytes };
    ws.send(push(vec![change.clone()])).await.unwrap();
    let first = match next(&mut ws).await {
        Some(ServerMsg::Ack { accepted, .. }) => accepted[0].seq,
        other => panic!("expected an ack, got {other:?}"),
    };
    let mut seqs = Vec::new();
    ws.send(push(vec![change])).await.unwrap();
    while seqs.is_empty() {
        match next(&mut ws).await {
            Some(ServerMsg::Ack { accepted, .. }) => seqs = accepted.iter().map(|a| a.seq).collect(),
            Some(_) => continue,
            None => panic!("connection closed"),
        }
    }
    assert_eq!(seqs, vec![first]);
    assert_eq!(server.log_len(), log_before + 1);

    // A client from the future is told to update.
    let mut future = connect(&server, Some(&token)).await.unwrap();
    future
        .send(Message::Binary(
            encode(&ClientMsg::Hello { protocol: 99, cursor: 0, epoch: None, read_models: None }).into(),
        ))
        .await
        .unwrap();
    assert!(
        matches!(next(&mut future).await, Some(ServerMsg::Error { ref code, fatal: true, .. }) if code == "unsupported_protocol")
    );
    assert_eq!(next(&mut future).await, None, "then the server closes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_frames_and_clients_that_never_read_do_not_stop_anyone_else() {
    let server = TestServer::start();
    server.add_user("ann", "supervisor", Some("east"));
    server.add_user("sue", "supervisor", Some("east"));
    let ann = Device::login(&server, "ann").await;
    let sue = Device::login(&server, "sue").await;
    let token = token_of(&ann);

    let mut huge = connect(&server, Some(&token)).await.unwrap();
    let _ = huge.send(Message::Binary(vec![0u8; 17 << 20].into())).await;
    assert_eq!(next(&mut huge).await, None, "an oversized frame ends that connection");

    // A client that says hello and then never reads, while lots of changes flow.
    let mut stuck = connect(&server, Some(&token)).await.unwrap();
    stuck
        .send(Message::Binary(
            encode(&ClientMsg::Hello { protocol: PROTOCOL_VERSION, cursor: 0, epoch: None, read_models: None }).into(),
        ))
        .await
        .unwrap();
    let records: Vec<serde_json::Value> = (0..1500)
        .map(|i| json!({"kind": "customer", "fields": {"name": format!("大批客户{i}"), "notes": "x".repeat(400)}}))
        .collect();
    ann.call(json!({"op": "bulk_create", "records": records}));
    tokio::time::timeout(Duration::from_secs(60), ann.sync()).await.expect("the writer is served").unwrap();
    tokio::time::timeout(Duration::from_secs(60), sue.sync()).await.expect("other readers are served").unwrap();
    assert_eq!(sue.call(json!({"op": "list", "kind": "customer", "limit": 1}))["total"], 1500);
    drop(stuck);
}

fn uuid_like(n: u8) -> String {
    format!("01a20000-0000-7000-8000-0000000000{n:02x}")
}
