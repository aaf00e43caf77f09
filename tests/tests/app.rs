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
