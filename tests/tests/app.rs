//! The app service the Tauri shell and the web shell run: sign-in, background sync, events
//! for the views, and sign-out that never loses unsent edits. Real server, real SQLite.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use crm_core::app::{App, AppEvent};
use crm_tests::{Device, TestServer, PASSWORD};
use serde_json::{json, Value as Json};

fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn pending(app: &App) -> i64 {
    app.dispatch(json!({"op": "app_status"}))["sync"]["pending"].as_i64().unwrap()
}

#[test]
fn sign_in_sync_in_the_background_and_sign_out_keeps_unsent_edits() {
    let mut server = TestServer::start();
    server.add_user("ann", "account_manager", Some("east"));
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(dir.path(), "test tablet").unwrap();
    assert_eq!(app.dispatch(json!({"op": "app_status"}))["mode"], "first_run");

    // Clear errors for what a person can get wrong.
    let bad_url = app.dispatch(json!({"op": "sign_in", "server": "127.0.0.1:1", "username": "ann", "password": "x"}));
    assert_eq!(bad_url["code"], "invalid_server_url", "{bad_url}");
    let unreachable =
        app.dispatch(json!({"op": "sign_in", "server": "http://127.0.0.1:9", "username": "ann", "password": "x"}));
    assert_eq!(unreachable["code"], "server_unreachable", "{unreachable}");
    let wrong = app.dispatch(json!({"op": "sign_in", "server": server.url(), "username": "ann", "password": "wrong"}));
    assert_eq!(wrong["code"], "sign_in_refused", "{wrong}");
    assert_eq!(wrong["params"]["reason"], "login_failed", "{wrong}");
    // Guessing: after ten tries the account is held back, and the app says for how long.
    server.add_user("eve", "account_manager", Some("east"));
    let mut last = Json::Null;
    for _ in 0..11 {
        last = app.dispatch(json!({"op": "sign_in", "server": server.url(), "username": "eve", "password": "guess"}));
    }
    assert_eq!(last["params"]["reason"], "too_many_attempts", "{last}");
    assert!(last["params"]["retry_after_secs"].as_u64().is_some_and(|s| s > 0), "{last}");
    let typo = app.dispatch(json!({"op": "sign_in", "server": server.url(), "user": "ann"}));
    assert_eq!(typo["code"], "bad_request", "{typo}");

    let status =
        app.dispatch(json!({"op": "sign_in", "server": server.url(), "username": "ann", "password": PASSWORD}));
    assert_eq!(status["mode"], "signed_in", "{status}");
    assert_eq!(status["identity"]["role"], "account_manager");

    // A local edit: an event for the views right away, and it reaches the server by itself.
    let mut events = app.subscribe();
    let created = app.dispatch(json!({"op": "create", "kind": "customer", "fields": {"name": "杭州宏达科技有限公司"}}));
    let id = created["id"].as_str().unwrap().to_string();
    let mut heard_local = false;
    while let Ok(event) = events.try_recv() {
        heard_local |= event == AppEvent::RecordsChanged { remote: false };
    }
    assert!(heard_local, "views were told about the local edit");
    wait_until("the edit is acknowledged", || pending(&app) == 0);
    let before = server.log_len();
    assert!(before > 0, "the server logged the customer");

    // Another device of the same person edits it: the app hears about it and shows it.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let phone = rt.block_on(Device::login(&server, "ann"));
    rt.block_on(phone.engine.sync_once()).unwrap();
    phone.call(json!({"op": "update", "id": id, "fields": {"grade": "A"}}));
    rt.block_on(phone.engine.sync_once()).unwrap();
    wait_until("the phone's edit arrives", || app.dispatch(json!({"op": "get", "id": id}))["fields"]["grade"] == "A");
    let mut heard_remote = false;
    while let Ok(event) = events.try_recv() {
        heard_remote |= event == AppEvent::RecordsChanged { remote: true };
    }
    assert!(heard_remote, "views were told that records changed remotely");

    // Offline: the edit waits; signing out is refused until the person insists, and even
    // then the edit stays on the device.
    server.kill();
    app.dispatch(json!({"op": "update", "id": id, "fields": {"address": "杭州市西湖区文三路90号"}}));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(pending(&app), 1);
    wait_until("the status says why it is offline, as a code the UI translates", || {
        app.dispatch(json!({"op": "app_status"}))["sync"]["detail_code"] == "server_unreachable"
    });
    let refused = app.dispatch(json!({"op": "sign_out"}));
    assert_eq!(refused["code"], "unsynced_edits", "{refused}");
    assert_eq!(refused["params"]["pending"], 1);
    let out = app.dispatch(json!({"op": "sign_out", "force": true}));
    assert_eq!(out["mode"], "signed_out", "{out}");
    assert_eq!(out["sync"]["pending"], 1, "nothing was deleted");
    assert_eq!(app.dispatch(json!({"op": "get", "id": id}))["fields"]["address"], "杭州市西湖区文三路90号");

    // Signing in again sends it.
    server.restart();
    let back = app.dispatch(json!({"op": "sign_in", "server": server.url(), "username": "ann", "password": PASSWORD}));
    assert_eq!(back["mode"], "signed_in", "{back}");
    wait_until("the kept edit is sent after signing in again", || pending(&app) == 0);
    rt.block_on(phone.engine.sync_once()).unwrap();
    assert_eq!(phone.get(&id)["fields"]["address"], "杭州市西湖区文三路90号");
}

#[test]
fn using_the_app_without_a_server() {
    let dir = tempfile::tempdir().unwrap();
    {
        let app = App::open(dir.path(), "laptop").unwrap();
        let status: Json = app.dispatch(json!({"op": "use_locally"}));
        assert_eq!(status["mode"], "local");
        assert_eq!(status["identity"]["role"], "admin", "a local profile is its own admin");
        let created = app.dispatch(json!({"op": "create", "kind": "customer", "fields": {"name": "本地客户"}}));
        assert_eq!(created["type"], "record");
        let bad = app.dispatch(json!({"op": "create", "kind": "customer", "fields": {"grade": "Z"}}));
        assert_eq!(bad["code"], "validation");
        assert_eq!(app.dispatch(json!({"op": "rejected"})), json!({"type": "rejected", "items": []}));
    }
    // Reopened (the app restarted): still local, the record is there.
    let app = App::open(dir.path(), "laptop").unwrap();
    assert_eq!(app.dispatch(json!({"op": "app_status"}))["mode"], "local");
    let page = app.dispatch(json!({"op": "list", "kind": "customer"}));
    assert_eq!(page["total"], 1);
}

fn sign_in(app: &App, server: &TestServer, username: &str) -> Json {
    let status =
        app.dispatch(json!({"op": "sign_in", "server": server.url(), "username": username, "password": PASSWORD}));
    assert_eq!(status["mode"], "signed_in", "{status}");
    status
}

fn create(app: &App, kind: &str, fields: Json) -> String {
    let created = app.dispatch(json!({"op": "create", "kind": kind, "fields": fields, "allow_duplicate": true}));
    created["id"].as_str().unwrap_or_else(|| panic!("not created: {created}")).to_string()
}

#[test]
fn a_shared_device_keeps_each_persons_edits_in_their_own_profile() {
    let mut server = TestServer::start();
    let wang_id = server.add_user("wang", "account_manager", Some("east"));
    let li_id = server.add_user("li", "supervisor", Some("east"));
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(dir.path(), "office tablet").unwrap();

    sign_in(&app, &server, "wang");
    // Someone else's sign-in that fails leaves wang working as before, and no store behind.
    let wrong = app.dispatch(json!({"op": "sign_in", "server": server.url(), "username": "li", "password": "nope"}));
    assert_eq!(wrong["params"]["reason"], "login_failed", "{wrong}");
    let status = app.dispatch(json!({"op": "app_status"}));
    assert_eq!(
        (status["mode"].as_str(), status["identity"]["user_id"].as_str()),
        (Some("signed_in"), Some(wang_id.as_str()))
    );
    assert_eq!(status["profiles"].as_array().map(Vec::len), Some(1), "{status}");
    let kept = create(&app, "customer", json!({"name": "宁波甬江贸易有限公司"}));
    let moved = create(&app, "customer", json!({"name": "绍兴越城纺织有限公司"}));
    wait_until("wang's customers reach the server", || pending(&app) == 0);
    // Offline, wang edits and signs out: the edit stays in wang's profile.
    server.kill();
    app.dispatch(json!({"op": "update", "id": kept, "fields": {"address": "宁波市江北区人民路1号"}}));
    assert_eq!(pending(&app), 1);
    let out = app.dispatch(json!({"op": "sign_out", "force": true}));
    assert_eq!(out["mode"], "signed_out", "{out}");

    // Li works on the same device: her own profile, wang's edit is not sent under her session.
    server.restart();
    let li = sign_in(&app, &server, "li");
    assert_eq!(li["identity"]["user_id"], li_id.as_str(), "{li}");
    let listed: Vec<(String, i64)> = li["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["username"].as_str().unwrap_or_default().to_string(), p["pending"].as_i64().unwrap()))
        .collect();
    assert!(listed.contains(&("wang".to_string(), 1)), "wang's unsent edit is listed on his profile: {listed:?}");
    wait_until("li's device has the team's customers", || {
        app.dispatch(json!({"op": "get", "id": moved}))["type"] == "record"
    });
    // She takes one of wang's customers.
    let taken = app.dispatch(json!({"op": "update", "id": moved, "fields": {"owner": li_id}}));
    assert_eq!(taken["type"], "record", "{taken}");
    wait_until("li's transfer reaches the server", || pending(&app) == 0);
    assert_eq!(app.dispatch(json!({"op": "get", "id": kept}))["fields"]["address"], Json::Null, "not wang's edit");
    assert_eq!(app.dispatch(json!({"op": "rejected"}))["items"], json!([]), "nothing refused for li");

    // Wang again: his edit is sent and accepted, and the customer li took is gone from his store.
    let wang = sign_in(&app, &server, "wang");
    assert_eq!(wang["identity"]["user_id"], wang_id.as_str());
    wait_until("wang's kept edit is sent", || pending(&app) == 0);
    wait_until("the customer li took leaves wang's store", || {
        app.dispatch(json!({"op": "get", "id": moved}))["code"] == "not_found"
    });
    assert_eq!(app.dispatch(json!({"op": "rejected"}))["items"], json!([]), "nothing refused for wang");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let other = rt.block_on(Device::login(&server, "li"));
    rt.block_on(other.engine.sync_once()).unwrap();
    assert_eq!(other.get(&kept)["fields"]["address"], "宁波市江北区人民路1号");
    // Reopened, the app opens the profile of whoever worked last, and says when it synced.
    let synced = app.dispatch(json!({"op": "app_status"}))["sync"]["last_sync"].clone();
    assert!(synced.is_string(), "{synced}");
    drop(app);
    // The sync task lets go of the store in the background.
    let mut reopened_app = None;
    wait_until("the store is free again", || {
        reopened_app = App::open(dir.path(), "office tablet").ok();
        reopened_app.is_some()
    });
    let app = reopened_app.unwrap();
    let reopened = app.dispatch(json!({"op": "app_status"}));
    assert_eq!(reopened["identity"]["user_id"], wang_id.as_str());
    assert!(reopened["sync"]["last_sync"].as_str() >= synced.as_str(), "{reopened}");
}

/// What a person makes before signing in for the first time: a customer using a dictionary
/// code they added, its contact and a visit; a deleted customer with a contact; an edit to a
/// seeded dictionary entry. Returns (customer, contact, visit).
fn made_before_signing_in(app: &App) -> (String, String, String) {
    app.dispatch(json!({"op": "use_locally"}));
    create(
        app,
        "dict_entry",
        json!({"dict": "industry", "code": "robotics", "label_zh": "机器人", "label_en": "Robotics"}),
    );
    let customer =
        create(app, "customer", json!({"name": "无锡惠山精密机械有限公司", "grade": "A", "industry": "robotics"}));
    let contact = create(app, "contact", json!({"customer": customer, "name": "周强", "phones": ["13800001111"]}));
    let visit = create(
        app,
        "activity",
        json!({"customer": customer, "contact": contact, "type": "visit", "place": "无锡市惠山区", "time": "2026-11-20T09:30:00+08:00"}),
    );
    let gone = create(app, "customer", json!({"name": "已删除的客户"}));
    create(app, "contact", json!({"customer": gone, "name": "随之而去"}));
    app.dispatch(json!({"op": "delete", "id": gone}));
    let seeded = crm_core::dictionary::entry_id("customer_grade", "A");
    let edited = app.dispatch(json!({"op": "update", "id": seeded, "fields": {"label_en": "Key account"}}));
    assert_eq!(edited["type"], "record", "{edited}");
    (customer, contact, visit)
}

#[test]
fn records_made_before_the_first_sign_in_become_the_accounts() {
    let server = TestServer::start();
    let ann_id = server.add_user("ann", "account_manager", Some("east"));
    server.add_user("sue", "supervisor", Some("east"));
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(dir.path(), "laptop").unwrap();
    let (customer, contact, visit) = made_before_signing_in(&app);
    let created_at = app.dispatch(json!({"op": "get", "id": customer}))["created_at"].clone();

    let status = sign_in(&app, &server, "ann");
    // Left out: the deleted customer and its contact, the dictionary entry and the seeded
    // entry's edit (a salesperson may not write reference data); cleared: the industry.
    assert_eq!(status["carried_over"], json!({"records": 3, "left_out": 4, "values_cleared": 1}), "{status}");
    wait_until("the carried-over records are sent", || pending(&app) == 0);
    assert_eq!(app.dispatch(json!({"op": "rejected"}))["items"], json!([]), "nothing refused");
    let mine = app.dispatch(json!({"op": "get", "id": customer}));
    assert_eq!(mine["fields"]["owner"], ann_id.as_str(), "{mine}");
    assert_eq!(mine["created_at"], created_at, "entry time kept");
    assert_eq!(mine["fields"].get("industry"), None, "{mine}");
    let seeded = app.dispatch(json!({"op": "get", "id": crm_core::dictionary::entry_id("customer_grade", "A")}));
    assert_ne!(seeded["fields"]["label_en"], "Key account", "the seeded entry is as every device has it");

    // Her supervisor sees them.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sue = rt.block_on(Device::login(&server, "sue"));
    rt.block_on(sue.engine.sync_once()).unwrap();
    assert_eq!(sue.get(&customer)["fields"]["name"], "无锡惠山精密机械有限公司");
    assert_eq!(sue.get(&contact)["fields"]["name"], "周强");
    assert_eq!(sue.get(&visit)["fields"]["place"], "无锡市惠山区");
    assert_eq!(sue.get(&visit)["fields"]["owner"], ann_id.as_str());
}

#[test]
fn an_admin_signing_in_keeps_the_reference_data_made_before() {
    let server = TestServer::start();
    server.add_user("root", "admin", None);
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(dir.path(), "laptop").unwrap();
    let (customer, _, _) = made_before_signing_in(&app);
    let status = sign_in(&app, &server, "root");
    // The dictionary entry and the seeded entry's edit go too, before what uses them.
    assert_eq!(status["carried_over"], json!({"records": 5, "left_out": 2, "values_cleared": 0}), "{status}");
    wait_until("the carried-over records are sent", || pending(&app) == 0);
    assert_eq!(app.dispatch(json!({"op": "rejected"}))["items"], json!([]), "nothing refused");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let other = rt.block_on(Device::login(&server, "root"));
    rt.block_on(other.engine.sync_once()).unwrap();
    assert_eq!(other.get(&customer)["fields"]["industry"], "robotics");
    let seeded = other.get(&crm_core::dictionary::entry_id("customer_grade", "A"));
    assert_eq!(seeded["fields"]["label_en"], "Key account", "{seeded}");
}

#[test]
fn a_store_signed_in_before_takes_no_other_account() {
    let server = TestServer::start();
    server.add_user("ann", "account_manager", Some("east"));
    server.add_user("bob", "account_manager", Some("east"));
    let dir = tempfile::tempdir().unwrap();
    let mut store = crm_core::Store::open(dir.path().join("crm.sqlite3")).unwrap();
    crm_core::sync::client::login(&mut store, &server.url(), "ann", PASSWORD, "cli").unwrap();
    store.handle_json(r#"{"op": "create", "kind": "customer", "fields": {"name": "安的客户"}}"#);
    for (url, user) in [(server.url(), "bob"), ("http://127.0.0.1:9".to_string(), "ann")] {
        let refused = crm_core::sync::client::login(&mut store, &url, user, PASSWORD, "cli").unwrap_err();
        assert_eq!(refused.code(), "store_of_another_account", "{refused}");
    }
    assert_eq!(store.identity().display_name, "ann", "still ann's");
    assert_eq!(store.outbox_len().unwrap(), 1, "her edit still waits for her");
    // Ann signing in again is fine.
    crm_core::sync::client::login(&mut store, &format!("{}/", server.url()), "ann", PASSWORD, "cli").unwrap();
}
