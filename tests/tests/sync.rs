//! Sync against a real server over loopback WebSocket, with real SQLite files on both sides.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use crm_tests::{eventually, Device, TestServer};
use serde_json::json;

fn candidates_authors(record: &serde_json::Value, field: &str) -> Vec<String> {
    let mut authors: Vec<String> = record["conflicts"][field]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["user_id"].as_str().unwrap_or("").to_string())
        .collect();
    authors.sort();
    authors
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_edits_from_two_people_converge_and_a_supervisor_sees_them_live() {
    let server = TestServer::start();
    let ann_id = server.add_user("ann", "account_manager", Some("east"));
    let sue_id = server.add_user("sue", "supervisor", Some("east"));
    let ann = Device::login(&server, "ann").await;
    let sue = Device::login(&server, "sue").await;
    let sue_desk = Device::login(&server, "sue").await;

    let customer =
        ann.create("customer", json!({"name": "苏州恒泰精密机械有限公司", "grade": "B", "notes": "初次拜访。"}));
    ann.sync().await.unwrap();
    sue.sync().await.unwrap();
    assert_eq!(sue.get(&customer)["fields"]["name"], "苏州恒泰精密机械有限公司");

    // The supervisor's desk stays connected and receives changes live.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let live = sue_desk.engine.clone();
    let runner = tokio::spawn(async move { live.run(stopped).await });

    // Both offline: different fields, the same field, and both notes.
    ann.call(json!({"op": "update", "id": customer, "fields": {"grade": "A", "address": "苏州工业园区星湖街328号", "notes": "初次拜访。王总要报价。"}}));
    sue.call(json!({"op": "update", "id": customer, "fields": {"region": "east", "address": "苏州市吴中区东吴北路99号", "notes": "初次拜访。下周送样品。"}}));
    ann.sync().await.unwrap();
    sue.sync().await.unwrap();
    ann.sync().await.unwrap();

    let a = ann.get(&customer);
    let s = sue.get(&customer);
    assert_eq!(a["fields"], s["fields"], "both devices hold the same record");
    assert_eq!(ann.heads(&customer), sue.heads(&customer));
    assert_eq!(a["fields"]["grade"], "A");
    assert_eq!(a["fields"]["region"], "east");
    let notes = a["fields"]["notes"].as_str().unwrap_or("");
    assert!(notes.contains("王总要报价。") && notes.contains("下周送样品。"), "{notes}");
    let mut both = vec![ann_id.clone(), sue_id.clone()];
    both.sort();
    assert_eq!(candidates_authors(&a, "address"), both, "the conflict names both authors on ann's device");
    assert_eq!(candidates_authors(&s, "address"), both, "and on sue's");

    // The server holds the same document.
    let server_heads = {
        let db = server.db();
        let snapshot: Vec<u8> =
            db.connection().query_row("SELECT snapshot FROM docs WHERE id = ?", [&customer], |r| r.get(0)).unwrap();
        let mut doc = crm_core::document::RecordDoc::load(&snapshot, Vec::new()).unwrap();
        let mut heads: Vec<String> = doc.heads().iter().map(|h| h.to_string()).collect();
        heads.sort();
        heads
    };
    assert_eq!(server_heads, ann.heads(&customer));

    eventually(10, "the supervisor's live device shows the merge", || sue_desk.heads(&customer) == server_heads).await;
    assert_eq!(candidates_authors(&sue_desk.get(&customer), "address"), both);

    // Resolving on one device clears it everywhere, the live device included.
    sue.call(
        json!({"op": "resolve_conflict", "id": customer, "field": "address", "value": "苏州市吴中区东吴北路99号"}),
    );
    sue.sync().await.unwrap();
    ann.sync().await.unwrap();
    assert!(ann.get(&customer).get("conflicts").is_none());
    eventually(10, "the live device sees the resolution", || sue_desk.get(&customer).get("conflicts").is_none()).await;
    stop.send(true).unwrap();
    runner.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_is_enforced_refused_edits_stay_visible_transfers_move_records_and_revoked_devices_forget() {
    let server = TestServer::start();
    server.add_user("ann", "account_manager", Some("east"));
    let bob_id = server.add_user("bob", "account_manager", Some("east"));
    server.add_user("sue", "supervisor", Some("east"));
    server.add_user("vic", "viewer", Some("east"));
    let ann = Device::login(&server, "ann").await;
    let bob = Device::login(&server, "bob").await;
    let sue = Device::login(&server, "sue").await;
    let vic = Device::login(&server, "vic").await;

    let customer = ann.create("customer", json!({"name": "武汉汇博实业有限公司"}));
    let contact = ann.create("contact", json!({"customer": customer, "name": "周杰"}));
    ann.sync().await.unwrap();
    bob.sync().await.unwrap();
    vic.sync().await.unwrap();
    assert!(!bob.doc_ids().contains(&customer), "an account manager never receives another's customers");
    assert!(!bob.doc_ids().contains(&contact));
    assert_eq!(vic.get(&customer)["fields"]["name"], "武汉汇博实业有限公司", "a viewer reads the team's customers");

    // A viewer cannot write on the device...
    let refused = vic.try_call(json!({"op": "update", "id": customer, "fields": {"grade": "A"}}));
    assert_eq!(refused["code"], "forbidden");
    // ...and a tampered app that claims another role is refused by the server: the edit is
    // kept visible, and the record goes back to the server's state.
    vic.pretend_admin();
    vic.call(json!({"op": "update", "id": customer, "fields": {"grade": "A"}}));
    let log_before = server.log_len();
    vic.sync().await.unwrap();
    assert_eq!(server.log_len(), log_before, "nothing refused is stored");
    let rejected = vic.rejected();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].code, "forbidden");
    assert_eq!(rejected[0].kind.as_deref(), Some("customer"));
    assert_eq!(rejected[0].customer_id.as_deref(), Some(customer.as_str()), "the list links to the customer");
    assert!(vic.get(&customer)["fields"].get("grade").is_none(), "the refused value is rolled back");
    assert_eq!(vic.engine.store().outbox_len().unwrap(), 0);

    // Bob gets hold of ann's customer anyway (say, an old export) and edits it: refused.
    let changes = ann.engine.store().changes_of(&customer).unwrap();
    bob.engine
        .store()
        .apply_changes(
            changes
                .into_iter()
                .map(|bytes| crm_core::store::IncomingChange { doc_id: customer.clone(), bytes })
                .collect(),
        )
        .unwrap();
    let refused = bob.try_call(json!({"op": "update", "id": customer, "fields": {"address": "bob was here"}}));
    assert_eq!(refused["code"], "forbidden", "his app refuses at once: {refused}");
    bob.pretend_admin();
    bob.call(json!({"op": "update", "id": customer, "fields": {"address": "bob was here"}}));
    bob.sync().await.unwrap();
    assert_eq!(bob.rejected().first().map(|r| r.code.clone()), Some("forbidden".into()));
    ann.sync().await.unwrap();
    assert!(ann.get(&customer)["fields"].get("address").is_none());

    // Ann may not hand her customer to bob herself (her app refuses at once; the server's
    // refusal of a hand-written change is in `workflow.rs`)...
    let refused = ann.try_call(json!({"op": "update", "id": customer, "fields": {"owner": bob_id}}));
    assert_eq!(refused["code"], "transition_forbidden", "{refused}");
    assert_ne!(ann.get(&customer)["fields"]["owner"], bob_id.as_str());

    // ...but her supervisor transfers it, with everything attached.
    sue.sync().await.unwrap();
    sue.call(json!({"op": "update", "id": customer, "fields": {"owner": bob_id}}));
    sue.sync().await.unwrap();
    ann.sync().await.unwrap();
    bob.sync().await.unwrap();
    assert!(!ann.doc_ids().contains(&customer) && !ann.doc_ids().contains(&contact), "the old owner's device drops it");
    assert_eq!(bob.get(&customer)["fields"]["owner"], bob_id.as_str(), "the new owner's device gets it");
    assert_eq!(bob.get(&contact)["fields"]["name"], "周杰");
    let listed = ann.call(json!({"op": "search", "query": "汇博"}));
    assert_eq!(listed["hits"].as_array().map(Vec::len), Some(0), "nor is it searchable there");

    // A revoked device is refused and removes its local data.
    let ann_device = server.db().devices().unwrap().into_iter().find(|d| d.username == "ann").unwrap().id;
    server.db().revoke_device(&ann_device).unwrap();
    let err = ann.sync().await.unwrap_err();
    assert!(matches!(err, crm_core::sync::client::SyncError::Revoked), "{err}");
    assert_eq!(ann.engine.store().doc_count().unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_restarted_mid_push_and_a_server_killed_mid_sync_lose_nothing() {
    let mut server = TestServer::start();
    server.add_user("ann", "account_manager", Some("east"));
    server.add_user("sue", "supervisor", Some("east"));
    let mut ann = Device::login(&server, "ann").await;
    let sue = Device::login(&server, "sue").await;
    let mut ids = Vec::new();
    for i in 0..300 {
        ids.push(ann.create("customer", json!({"name": format!("离线客户{i}")})));
    }
    // Start pushing, then pull the plug on the server mid-way.
    let engine = ann.engine.clone();
    let push = tokio::spawn(async move { engine.sync_once().await });
    tokio::time::sleep(Duration::from_millis(30)).await;
    server.kill();
    let _ = push.await;
    ann.restart();
    server.restart();
    ann.sync().await.unwrap();
    assert_eq!(ann.engine.store().outbox_len().unwrap(), 0, "everything was acknowledged in the end");
    sue.sync().await.unwrap();
    for id in &ids {
        assert_eq!(sue.heads(id), ann.heads(id));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_serving_restores_the_server() {
    if crm_tests::skip_on_postgres("a server backup") {
        return;
    }
    let mut server = TestServer::start();
    server.add_user("ann", "account_manager", None);
    let ann = Device::login(&server, "ann").await;
    let kept = ann.create("customer", json!({"name": "备份前的客户"}));
    ann.sync().await.unwrap();
    let backup = server.db_path.with_file_name("backup.sqlite3");
    sync_server::db::backup(&server.db_path, &backup, &sync_server::audit::Actor::cli()).unwrap();
    let after = ann.create("customer", json!({"name": "备份后的客户"}));
    ann.sync().await.unwrap();

    let not_a_backup = server.db_path.with_file_name("other.sqlite3");
    rusqlite_free_file(&not_a_backup);
    server.kill();
    assert!(sync_server::db::restore(&server.db_path, &not_a_backup).is_err(), "a foreign file is refused");
    sync_server::db::restore(&server.db_path, &backup).unwrap();
    server.restart();

    let fresh = Device::login(&server, "ann").await;
    fresh.sync().await.unwrap();
    assert_eq!(fresh.get(&kept)["fields"]["name"], "备份前的客户");
    assert_eq!(fresh.get(&after)["type"], "error", "the restored server is as it was at the backup");
}

/// A SQLite file that is not a sync-server database.
fn rusqlite_free_file(path: &std::path::Path) {
    let store = crm_core::Store::open(path).unwrap();
    drop(store);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restore_from_an_older_backup_each_device_sends_its_own_edits_again() {
    if crm_tests::skip_on_postgres("a server backup") {
        return;
    }
    let mut server = TestServer::start();
    server.add_user("ann", "account_manager", Some("east"));
    server.add_user("sue", "supervisor", Some("east"));
    server.add_user("bob", "account_manager", Some("east"));
    let ann = Device::login(&server, "ann").await;
    let sue = Device::login(&server, "sue").await;
    let bob = Device::login(&server, "bob").await;
    ann.sync().await.unwrap();
    sue.sync().await.unwrap();
    let backup = server.db_path.with_file_name("old.sqlite3");
    sync_server::db::backup(&server.db_path, &backup, &sync_server::audit::Actor::cli()).unwrap();
    // A device registered after the backup: the restored server knows neither it nor its actor.
    let late = Device::login(&server, "bob").await;
    let lates = late.create("customer", json!({"name": "备份之后的设备"}));
    late.sync().await.unwrap();

    // Acknowledged after the backup: lost when the old backup is restored.
    let customer = ann.create("customer", json!({"name": "恢复测试客户", "grade": "B"}));
    ann.sync().await.unwrap();
    sue.sync().await.unwrap();
    sue.call(json!({"op": "update", "id": customer, "fields": {"region": "east"}}));
    sue.sync().await.unwrap();
    ann.sync().await.unwrap();

    server.kill();
    sync_server::db::restore(&server.db_path, &backup).unwrap();
    server.restart();

    // Ann edits again. The server is in a new epoch: she sends her own create again, but her
    // edit builds on sue's, which only sue's device may bring back; it waits, not refused.
    ann.call(json!({"op": "update", "id": customer, "fields": {"grade": "A"}}));
    ann.sync().await.unwrap();
    assert!(ann.rejected().is_empty(), "{:?}", ann.rejected());
    assert_eq!(ann.engine.store().outbox_len().unwrap(), 1, "the edit waits for what it builds on");
    assert_eq!(ann.get(&customer)["fields"]["region"], "east", "nothing is rolled back on ann's device");

    sue.sync().await.unwrap();
    assert!(sue.rejected().is_empty(), "{:?}", sue.rejected());
    ann.sync().await.unwrap();
    assert_eq!(ann.engine.store().outbox_len().unwrap(), 0, "the edit was accepted once sue's came back");
    assert!(ann.rejected().is_empty(), "{:?}", ann.rejected());

    // The late device's token went with the restore: it signs in again, gets its actor
    // back, and its customer is sent again and accepted.
    assert!(late.sync().await.is_err(), "its session is unknown to the restored server");
    tokio::task::block_in_place(|| {
        let mut store = late.engine.store();
        crm_core::sync::client::login(&mut store, &server.url(), "bob", crm_tests::PASSWORD, "test device").unwrap();
    });
    late.sync().await.unwrap();
    assert!(late.rejected().is_empty(), "{:?}", late.rejected());
    assert_eq!(late.engine.store().outbox_len().unwrap(), 0);
    let bobs_other = Device::login(&server, "bob").await;
    bobs_other.sync().await.unwrap();
    assert_eq!(bobs_other.get(&lates)["fields"]["name"], "备份之后的设备");

    let fresh_sue = Device::login(&server, "sue").await;
    fresh_sue.sync().await.unwrap();
    assert_eq!(fresh_sue.heads(&customer), ann.heads(&customer));
    let record = fresh_sue.get(&customer);
    assert_eq!(record["fields"]["grade"], "A");
    assert_eq!(record["fields"]["region"], "east", "sue's change came back from sue's device");
    let history = fresh_sue.call(json!({"op": "history", "id": customer})).to_string();
    assert!(history.contains(&sue.user_id) && history.contains(&ann.user_id));

    // Repair cannot be used to act with someone else's rights: bob relays ann's customer
    // history (which he should never have had) and the server refuses it.
    let other = ann.create("customer", json!({"name": "别人的客户"}));
    let changes = ann.engine.store().changes_of(&other).unwrap();
    bob.engine
        .store()
        .apply_changes(
            changes.into_iter().map(|bytes| crm_core::store::IncomingChange { doc_id: other.clone(), bytes }).collect(),
        )
        .unwrap();
    bob.pretend_admin();
    bob.call(json!({"op": "update", "id": other, "fields": {"address": "bob 试图写入"}}));
    let log = server.log_len();
    bob.sync().await.unwrap();
    assert_eq!(server.log_len(), log, "bob's relayed changes are refused");
    assert_eq!(bob.engine.store().outbox_len().unwrap(), 1, "his edit on top of them cannot go");
    let supervisor = Device::login(&server, "sue").await;
    supervisor.sync().await.unwrap();
    assert!(!supervisor.doc_ids().contains(&other), "nothing bob relayed was stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_records_follow_the_accounts_and_devices_cannot_rewrite_them() {
    let server = TestServer::start();
    let [ann, root] = server.people([("ann", "account_manager", Some("east")), ("root", "admin", None)]).await;
    ann.sync().await.unwrap();
    let me = ann.call(json!({"op": "whoami"}));
    assert_eq!(me["team"], "east", "{me}");

    // An admin command from another process: the record every device sees follows.
    server.db().set_role_team("ann", Some("supervisor"), Some(Some("west"))).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        root.sync().await.unwrap();
        let record = root.get(&ann.user_id);
        if record["fields"]["team"] == "west" {
            assert_eq!(record["fields"]["role"], "supervisor", "{record}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the user record did not follow: {record}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // Ann's own device learns it the same way: what she may do follows at once.
    ann.sync().await.unwrap();
    let me = ann.call(json!({"op": "whoami"}));
    assert_eq!((me["role"].as_str(), me["team"].as_str()), (Some("supervisor"), Some("west")), "{me}");

    // An admin's device may add a phone to it, not change who the person is.
    root.call(json!({"op": "update", "id": ann.user_id, "fields": {"phones": ["13800002222"]}}));
    root.sync().await.unwrap();
    assert!(root.rejected().is_empty(), "{:?}", root.rejected());
    root.call(json!({"op": "update", "id": ann.user_id, "fields": {"role": "admin"}}));
    root.sync().await.unwrap();
    let refused = root.rejected();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].code, "invalid_record");
    assert!(refused[0].reason.contains("sync-server user"), "{}", refused[0].reason);
    assert_eq!(root.get(&ann.user_id)["fields"]["role"], "supervisor", "rolled back");
}

/// A fresh device of this code takes the read-model rows the server prepared beside each
/// snapshot instead of decoding the documents — and they are exactly the rows it would have
/// built itself (a rebuild from the documents changes nothing), for records with tags, phones,
/// lines, a conflict and a deletion. A client that does not name the server's read-model
/// version gets the documents alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_device_takes_the_servers_prepared_rows_and_they_are_its_own() {
    use crm_core::sync::protocol::{ClientMsg, ServerMsg, PROTOCOL_VERSION};
    use crm_tests::wire::{connect, next, send, token_of};

    let server = TestServer::start();
    let [root, ann] = server.people([("root", "admin", None), ("ann", "account_manager", Some("east"))]).await;
    let ann_phone = Device::login(&server, "ann").await;
    let pump = root.create(
        "product",
        json!({"code": "P-100", "name": "液压泵 P-100", "unit": "台", "list_price": {"minor": 100_000, "currency": "CNY"}}),
    );
    root.sync().await.unwrap();
    ann.sync().await.unwrap();
    let customer = ann.create(
        "customer",
        json!({"name": "苏州精工机械有限公司", "grade": "A", "phones": ["13912345678"], "tags": ["VIP", "华东"]}),
    );
    ann.create("contact", json!({"customer": customer, "name": "王芳", "phones": ["0512-66881234"]}));
    ann.create(
        "quote",
        json!({"customer": customer, "lines": [{"product": pump, "name": "液压泵 P-100", "unit": "台",
        "quantity": 2, "unit_price": 90_000, "list_price": 100_000, "tax_rate": 1300}]}),
    );
    let gone = ann.create("customer", json!({"name": "已删除的客户"}));
    ann.call(json!({"op": "delete", "id": gone}));
    ann.sync().await.unwrap();
    // The same field written on two devices at once: a conflict the rows must carry.
    ann_phone.sync().await.unwrap();
    ann.call(json!({"op": "update", "id": customer, "fields": {"address": "苏州市工业园区星湖街328号"}}));
    ann_phone.call(json!({"op": "update", "id": customer, "fields": {"address": "苏州市吴中区东吴北路18号"}}));
    ann.sync().await.unwrap();
    ann_phone.sync().await.unwrap();
    ann.sync().await.unwrap();
    assert_eq!(ann.get(&customer)["conflicts"].as_object().map(|c| c.len()), Some(1), "{}", ann.get(&customer));

    // Every snapshot the server holds has its rows.
    let missing: i64 = server
        .db()
        .connection()
        .query_row("SELECT COUNT(*) FROM docs WHERE kind IS NOT NULL AND prepared IS NULL", [], |r| r.get(0))
        .unwrap();
    assert_eq!(missing, 0, "every record's rows are prepared when its snapshot is written");

    // What goes on the wire: rows for a client of the same read models, none for another.
    for (read_models, with_rows) in [(Some(crm_core::projection::version().to_string()), true), (None, false)] {
        let mut ws = connect(&server, Some(&token_of(&root))).await.unwrap();
        send(&mut ws, &ClientMsg::Hello { protocol: PROTOCOL_VERSION, cursor: 0, epoch: None, read_models }).await;
        let mut docs = 0;
        loop {
            match next(&mut ws).await.expect("the bootstrap ends") {
                ServerMsg::Snapshots { docs: sent, .. } => {
                    for d in sent {
                        docs += 1;
                        assert_eq!(d.rows.is_some(), with_rows, "{}", d.doc);
                    }
                }
                ServerMsg::CaughtUp { .. } => break,
                _ => {}
            }
        }
        assert!(docs > 5, "{docs} documents");
    }

    // A fresh device: its rows as they came equal its own from the documents.
    let fresh = Device::login(&server, "root").await;
    fresh.sync().await.unwrap();
    assert_eq!(fresh.get(&customer)["fields"]["tags"], json!(["VIP", "华东"]));
    assert_eq!(fresh.get(&customer)["conflicts"].as_object().map(|c| c.len()), Some(1));
    let listed = fresh.call(json!({"op": "list", "kind": "customer", "tag": "VIP"}));
    assert_eq!(listed["items"][0]["id"], customer.as_str(), "{listed}");
    let found = fresh.call(json!({"op": "search", "query": "精工"}));
    assert_eq!(found["hits"][0]["id"], customer.as_str(), "{found}");
    {
        let mut store = fresh.engine.store();
        let as_sent = crm_core::projection::dump(store.connection()).unwrap();
        store.rebuild_projections().unwrap();
        let rebuilt = crm_core::projection::dump(store.connection()).unwrap();
        assert_eq!(rebuilt, as_sent, "the server's rows are the device's own");
    }

    // Taken, not recomputed: rows swapped between two customers on the server are what a
    // fresh device lists — until a rebuild from the documents, which are the record.
    let other = ann.create("customer", json!({"name": "无锡东方电气有限公司"}));
    ann.sync().await.unwrap();
    server
        .db()
        .connection()
        .execute("UPDATE docs SET prepared = (SELECT prepared FROM docs WHERE id = ?1) WHERE id = ?2", [&other, &gone])
        .unwrap();
    let second = Device::login(&server, "root").await;
    second.sync().await.unwrap();
    let name = |d: &Device| {
        let listed = d.call(json!({"op": "list", "kind": "customer", "filter": {"name": "无锡东方电气有限公司"}}));
        listed["items"].as_array().unwrap().len()
    };
    assert_eq!(name(&second), 2, "the swapped rows were taken as sent");
    second.engine.store().rebuild_projections().unwrap();
    assert_eq!(name(&second), 1);
}

/// A fresh device stores the server's snapshots without decoding them. Should one of them not
/// load later, the record is set aside instead of failing every sync that touches it: the
/// other records' changes still arrive, the record is fetched again from the server with a
/// repair and is whole, with the edit that found it broken, and the unreadable bytes are kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_whose_stored_copy_cannot_be_read_is_fetched_again_and_sync_goes_on() {
    let server = TestServer::start();
    let [_root, ann] = server.people([("root", "admin", None), ("ann", "account_manager", Some("east"))]).await;
    let broken = ann.create("customer", json!({"name": "常州恒力轴承有限公司", "grade": "B", "notes": "每季度回访"}));
    let other = ann.create("customer", json!({"name": "镇江华通化工有限公司", "grade": "C"}));
    ann.sync().await.unwrap();
    let tablet = Device::login(&server, "ann").await;
    tablet.sync().await.unwrap();
    let garbage = vec![0x85, 0x6f, 0x4a, 0x83, 0x00, 0x01, 0x02, 0x03];
    tablet
        .engine
        .store()
        .connection()
        .execute("UPDATE docs SET snapshot = ? WHERE id = ?", rusqlite::params![garbage, broken])
        .unwrap();

    ann.call(json!({"op": "update", "id": broken, "fields": {"address": "常州市新北区太湖东路9号"}}));
    ann.call(json!({"op": "update", "id": other, "fields": {"grade": "A"}}));
    ann.sync().await.unwrap();
    tablet.sync().await.expect("one unreadable record does not stop the sync");

    assert_eq!(tablet.get(&other)["fields"]["grade"], "A", "the other record's change arrived");
    let fields = &tablet.get(&broken)["fields"];
    assert_eq!(fields["name"], "常州恒力轴承有限公司", "{fields}");
    assert_eq!(fields["notes"], "每季度回访", "{fields}");
    assert_eq!(fields["address"], "常州市新北区太湖东路9号", "the edit that found it broken: {fields}");
    let listed =
        tablet.call(json!({"op": "list", "kind": "customer", "filter": {"address": "常州市新北区太湖东路9号"}}));
    assert_eq!(listed["items"][0]["id"], broken.as_str(), "its read models follow: {listed}");
    {
        let store = tablet.engine.store();
        let (kept, healed): (Vec<u8>, Option<i64>) = store
            .connection()
            .query_row("SELECT snapshot, healed_at FROM unreadable_docs WHERE doc_id = ?", [&broken], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(kept, garbage, "the bytes that did not load are kept");
        assert!(healed.is_some(), "and the record is whole again");
        assert!(store.unreadable_docs(10).unwrap().is_empty());
    }

    // Whole as far as editing goes too: an edit made on it reaches the other device.
    tablet.call(json!({"op": "update", "id": broken, "fields": {"grade": "A"}}));
    tablet.sync().await.unwrap();
    ann.sync().await.unwrap();
    assert_eq!(ann.get(&broken)["fields"]["grade"], "A");
    assert_eq!(ann.get(&broken)["fields"]["address"], "常州市新北区太湖东路9号");
}

/// Broken on the server too, the record cannot be repaired: the server answers `bad_repair`
/// (an error naming no record: the oldest repair asked), the device ends that repair instead
/// of waiting for an answer forever, finishes its sync and tries again next time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_broken_on_the_server_too_ends_its_repair_and_the_sync_finishes() {
    let server = TestServer::start();
    let [_root, ann] = server.people([("root", "admin", None), ("ann", "account_manager", Some("east"))]).await;
    let broken = ann.create("customer", json!({"name": "南通东升纺织有限公司"}));
    let other = ann.create("customer", json!({"name": "盐城瑞丰农机有限公司"}));
    ann.sync().await.unwrap();
    let tablet = Device::login(&server, "ann").await;
    tablet.sync().await.unwrap();
    let garbage: Vec<u8> = vec![0x85, 0x6f, 0x4a, 0x83, 0x09, 0x08, 0x07];
    let set_garbage = "UPDATE docs SET snapshot = ? WHERE id = ?";
    server.db().connection().execute(set_garbage, sync_server::params![garbage, broken]).unwrap();
    tablet.engine.store().connection().execute(set_garbage, rusqlite::params![garbage, broken]).unwrap();
    // Read on the tablet: set aside there, and not shown half.
    assert_eq!(tablet.try_call(json!({"op": "get", "id": broken}))["code"], "corrupt");
    assert_eq!(tablet.engine.store().unreadable_docs(10).unwrap(), vec![broken.clone()]);

    ann.call(json!({"op": "update", "id": other, "fields": {"grade": "A"}}));
    ann.sync().await.unwrap();
    let synced = tokio::time::timeout(std::time::Duration::from_secs(30), tablet.sync()).await;
    synced.expect("the sync finishes").expect("and succeeds");
    assert_eq!(tablet.get(&other)["fields"]["grade"], "A");
    assert_eq!(
        tablet.engine.store().unreadable_docs(10).unwrap(),
        vec![broken.clone()],
        "not whole: repaired again next time"
    );
    // Until then it is neither shown half nor edited: an edit would build on nothing the
    // server has, and win or lose against the record's real history by accident.
    let edit = tablet.try_call(json!({"op": "update", "id": broken, "fields": {"grade": "A"}}));
    assert_eq!(edit["code"], "corrupt", "{edit}");
    assert!(edit["message"].as_str().unwrap_or("").contains("fetched again"), "{edit}");
    assert_eq!(tablet.try_call(json!({"op": "get", "id": broken}))["code"], "corrupt");
    assert_eq!(tablet.engine.store().outbox_len().unwrap(), 0, "nothing was queued");
}

/// After an upgrade the rows of another read-model version are cleared, and the running server
/// prepares them again by itself, so bootstraps are fast again for records nobody edits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_an_upgrade_the_server_prepares_the_rows_again_by_itself() {
    let mut server = TestServer::start();
    let [ann] = server.people([("ann", "account_manager", Some("east"))]).await;
    for i in 0..30 {
        ann.create("customer", json!({"name": format!("升级后的客户{i}")}));
    }
    ann.sync().await.unwrap();
    let missing = |server: &TestServer| -> i64 {
        server
            .db()
            .connection()
            .query_row("SELECT COUNT(*) FROM docs WHERE kind IS NOT NULL AND prepared IS NULL", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(missing(&server), 0);
    // As if the database had been written by another version.
    server.kill();
    server
        .db()
        .connection()
        .execute("UPDATE meta SET value = 'an older version' WHERE key = 'read_models'", [])
        .unwrap();
    // Opening the database with this version clears the older version's rows.
    assert!(missing(&server) >= 30, "the older rows are not this version's");
    server.restart();
    eventually(10, "the rows are prepared again", || missing(&server) == 0).await;
    let fresh = Device::login(&server, "ann").await;
    fresh.sync().await.unwrap();
    let found = fresh.call(json!({"op": "search", "query": "升级后的客户29"}));
    assert_eq!(found["hits"].as_array().map(Vec::len), Some(1), "{found}");
}

/// Messages on `ws` up to the first `Changes` that carries `doc`; panics if none comes.
async fn until_changes_with(ws: &mut crm_tests::wire::Ws, doc: &str) -> Vec<crm_core::sync::protocol::ServerMsg> {
    use crm_core::sync::protocol::ServerMsg;
    let mut seen = Vec::new();
    loop {
        let msg = crm_tests::wire::next(ws).await.unwrap_or_else(|| panic!("no change to {doc} arrived"));
        let done = matches!(&msg, ServerMsg::Changes { changes, .. } if changes.iter().any(|c| c.doc == doc));
        seen.push(msg);
        if done {
            return seen;
        }
    }
}

/// Live changes are sent from the server's memory (`sync_server::live`) with the same read
/// check as from the database: the owner's other device, her supervisor and the person a
/// request on the customer is assigned to receive an edit of the customer; a colleague of
/// the same team and a supervisor of another do not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_changes_from_memory_reach_exactly_the_people_who_may_read_them() {
    use crm_tests::wire::{connect, hello, token_of};
    let server = TestServer::start();
    let [ann, bob, carl, sue, dan] = server
        .people([
            ("ann", "account_manager", Some("east")),
            ("bob", "account_manager", Some("east")),
            ("carl", "account_manager", Some("east")),
            ("sue", "supervisor", Some("east")),
            ("dan", "supervisor", Some("west")),
        ])
        .await;
    let customer = ann.create("customer", json!({"name": "无锡恒达阀门有限公司"}));
    let request = ann.create("service_request", json!({"customer": customer, "type": "repair", "title": "阀门漏水"}));
    ann.sync().await.unwrap();
    sue.sync().await.unwrap();
    sue.call(json!({"op": "transition", "id": request, "name": "assign", "fields": {"assignee": carl.user_id}}));
    sue.sync().await.unwrap();

    // Each person's second device, connected and caught up.
    let mut sockets = Vec::new();
    for name in ["ann", "bob", "carl", "sue", "dan"] {
        let device = Device::login(&server, name).await;
        let mut ws = connect(&server, Some(&token_of(&device))).await.unwrap();
        hello(&mut ws).await;
        sockets.push((name, ws));
    }
    let served_before = server.state().live.served();

    ann.call(json!({"op": "update", "id": customer, "fields": {"address": "无锡市新吴区长江路7号"}}));
    ann.sync().await.unwrap();
    // Then each of the two who may not read it writes a record of their own: their sockets
    // receive that, and nothing of ann's customer before it.
    let bobs = bob.create("customer", json!({"name": "鲍氏五金"}));
    bob.sync().await.unwrap();
    let dans = dan.create("customer", json!({"name": "西区客户"}));
    dan.sync().await.unwrap();

    for (name, ws) in &mut sockets {
        match *name {
            "ann" | "sue" | "carl" => {
                until_changes_with(ws, &customer).await;
            }
            // Nothing at all for the rounds they may not read, not even `caught_up`.
            "bob" => assert_eq!(until_changes_with(ws, &bobs).await.len(), 1, "bob was sent ann's round"),
            "dan" => assert_eq!(until_changes_with(ws, &dans).await.len(), 1, "dan was sent others' rounds"),
            _ => unreachable!(),
        }
    }
    assert!(
        server.state().live.served() > served_before,
        "the live changes came from memory, not only from the database"
    );

    // Many rounds bob may not read: his device is told its cursor once it has moved a thousand
    // entries (so a reconnect need not rescan them), and is sent nothing else.
    let (_, bob_ws) = sockets.iter_mut().find(|(name, _)| *name == "bob").unwrap();
    for round in 0..5 {
        for i in 0..220 {
            ann.create("customer", json!({"name": format!("批量客户{round}-{i}")}));
        }
        ann.sync().await.unwrap();
    }
    let log_end = server.db().connection().log_end().unwrap() as u64;
    let mut told = Vec::new();
    loop {
        match crm_tests::wire::next(bob_ws).await {
            // The first may still be the one after his own record.
            Some(crm_core::sync::protocol::ServerMsg::CaughtUp { cursor }) => told.push(cursor),
            other => panic!("expected only cursors for bob, got {other:?} after {told:?}"),
        }
        if told.last().is_some_and(|&c| c + 300 > log_end) {
            break;
        }
    }
    assert!(told.len() <= 2, "told once for the thousand entries: {told:?} (the log ends at {log_end})");
}

/// An assignment reaches connected devices as it is made. A supervisor who takes a request on
/// her team's customer reads it anyway: the grant passes her by, and her other device is
/// served from memory. When she hands it to a colleague who reads it only by the assignment,
/// his connected device is sent the request and its customer at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_assignment_sends_the_record_to_its_assignee_and_passes_by_who_reads_it_anyway() {
    use crm_core::sync::protocol::ServerMsg;
    use crm_tests::wire::{connect, hello, next, token_of};
    let server = TestServer::start();
    let [ann, carl, sue] = server
        .people([
            ("ann", "account_manager", Some("east")),
            ("carl", "account_manager", Some("east")),
            ("sue", "supervisor", Some("east")),
        ])
        .await;
    let customer = ann.create("customer", json!({"name": "常州盛达轴承"}));
    let request = ann.create("service_request", json!({"customer": customer, "type": "repair", "title": "轴承发热"}));
    ann.sync().await.unwrap();
    sue.sync().await.unwrap();
    let sue_other = Device::login(&server, "sue").await;
    let mut sue_ws = connect(&server, Some(&token_of(&sue_other))).await.unwrap();
    hello(&mut sue_ws).await;

    let served_before = server.state().live.served();
    sue.call(json!({"op": "transition", "id": request, "name": "assign", "fields": {"assignee": sue.user_id}}));
    sue.sync().await.unwrap();
    until_changes_with(&mut sue_ws, &request).await;
    assert!(
        server.state().live.served() > served_before,
        "a grant to someone who reads the record anyway is served from memory"
    );

    let carl_other = Device::login(&server, "carl").await;
    let mut carl_ws = connect(&server, Some(&token_of(&carl_other))).await.unwrap();
    hello(&mut carl_ws).await;
    sue.call(json!({"op": "transition", "id": request, "name": "assign", "fields": {"assignee": carl.user_id}}));
    sue.sync().await.unwrap();
    let mut sent = std::collections::HashSet::new();
    while !(sent.contains(&request) && sent.contains(&customer)) {
        match next(&mut carl_ws).await {
            Some(ServerMsg::Snapshots { docs, .. }) => sent.extend(docs.into_iter().map(|d| d.doc)),
            Some(ServerMsg::Changes { changes, .. }) => sent.extend(changes.into_iter().map(|c| c.doc)),
            Some(_) => {}
            None => panic!("carl's device was not sent the request and its customer: only {sent:?}"),
        }
    }
    // And sue, who reads it still, keeps it on her other device: the edit reaches her.
    until_changes_with(&mut sue_ws, &request).await;
}

/// A device may send its next push before the last one's ack (`ahead`). When that ack has
/// changes that wait, the push sent ahead of it is put off whole, for its changes may build on
/// them: otherwise a visit on a customer whose creation was put off would be refused for good
/// as `unknown_customer`. Once the acks are in, the device pushes again from the first that
/// waits, and a push ahead of a clean ack is taken as any other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_sent_ahead_of_an_ack_whose_changes_wait_waits_too() {
    use crm_core::sync::protocol::{ClientMsg, DocBytes, ServerMsg};
    use crm_tests::wire::{connect, hello, next, send, token_of};
    let server = TestServer::start();
    server.add_user("ann", "account_manager", Some("east"));
    let ann = Device::login(&server, "ann").await;
    let customer = ann.create("customer", json!({"name": "先后有序"}));
    ann.call(json!({"op": "update", "id": customer, "fields": {"grade": "A"}}));
    ann.create("activity", json!({"customer": customer, "type": "visit", "subject": "首次拜访"}));
    let outbox: Vec<DocBytes> = ann
        .engine
        .store()
        .outbox(10)
        .unwrap()
        .into_iter()
        .map(|e| DocBytes { doc: e.doc_id, bytes: e.bytes })
        .collect();
    let [created, graded, visit] = <[DocBytes; 3]>::try_from(outbox).unwrap();
    let mut ws = connect(&server, Some(&token_of(&ann))).await.unwrap();
    hello(&mut ws).await;
    let log_before = server.log_len();
    let mut acks = std::collections::BTreeMap::new();
    for round in [
        // The grade without the customer it changes waits (missing dependencies); the
        // creation and the visit, sent ahead of that ack, wait with it.
        vec![(1, vec![graded.clone()], false), (2, vec![created.clone(), visit.clone()], true)],
        // Pushed again once both acks are in: the creation first, the rest ahead of its ack.
        vec![(3, vec![created], false), (4, vec![graded, visit], true)],
    ] {
        for (batch, changes, ahead) in round.clone() {
            send(&mut ws, &ClientMsg::Push { batch, changes, ahead }).await;
        }
        while round.iter().any(|(batch, ..)| !acks.contains_key(batch)) {
            match next(&mut ws).await {
                Some(ServerMsg::Ack { batch, accepted, refused }) => {
                    acks.insert(batch, (accepted, refused));
                }
                Some(_) => continue,
                None => panic!("the connection ended before the acks"),
            }
        }
    }
    let codes = |batch: u64| -> (usize, Vec<String>) {
        let (accepted, refused) = &acks[&batch];
        (accepted.len(), refused.iter().map(|r| r.code.clone()).collect())
    };
    assert_eq!(codes(1), (0, vec!["missing_dependencies".to_string()]));
    assert_eq!(codes(2), (0, vec!["deferred".to_string(), "deferred".to_string()]), "nothing refused for good");
    assert_eq!(codes(3), (1, vec![]));
    assert_eq!(codes(4), (2, vec![]), "ahead of a clean ack, a push is taken");
    assert_eq!(server.log_len(), log_before + 3);
}
