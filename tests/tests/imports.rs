//! Imports as the people in a company see them across devices: an admin hands imported
//! customers to their owners by a column, an account manager imports only into her own
//! scope, and a revert reaches every device that had synced the import.

#![allow(clippy::unwrap_used)]

use base64::Engine;
use crm_tests::{Device, TestServer};
use serde_json::json;

fn csv(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

fn names(device: &Device) -> Vec<String> {
    let items = device.call(json!({"op": "list", "kind": "customer", "limit": 500}))["items"].clone();
    let mut names: Vec<String> =
        items.as_array().unwrap().iter().map(|c| c["fields"]["name"].as_str().unwrap_or("").to_string()).collect();
    names.sort();
    names
}

fn owner_of(device: &Device, name: &str) -> serde_json::Value {
    let items = device.call(json!({"op": "list", "kind": "customer", "limit": 500}))["items"].clone();
    let found = items.as_array().unwrap().iter().find(|c| c["fields"]["name"] == name).cloned();
    found.unwrap_or_else(|| panic!("no {name}"))["fields"]["owner"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_hands_imported_customers_to_their_owners_by_a_column() {
    let server = TestServer::start();
    let ann_id = server.add_user("ann", "account_manager", Some("east"));
    let bob_id = server.add_user("bob", "account_manager", Some("east"));
    let root_id = server.add_user("root", "admin", None);
    let root = Device::login(&server, "root").await;
    let ann = Device::login(&server, "ann").await;
    let bob = Device::login(&server, "bob").await;
    // The admin's device holds everyone's user record, which the owner column is read against
    // (by username or name).
    root.sync().await.unwrap();
    let file = csv("客户名称,负责人,电话\n安的客户,ann,0571-88880001\n博的客户,bob,0571-88880002\n无主客户,,0571-88880003\n查无此人,nobody,0571-88880004\n");
    let preview = root.call(json!({"op": "import_preview", "name": "分配.csv", "data": file, "kind": "customer"}));
    assert_eq!(preview["counts"]["reject"], 1, "an owner nobody is: {preview}");
    let refused = preview["plan"].as_array().unwrap().iter().find(|r| r["line"] == 5).unwrap().clone();
    assert_eq!(refused["errors"][0]["field"], "owner", "{refused}");
    let batch =
        root.call(json!({"op": "import_run", "name": "分配.csv", "data": file, "kind": "customer"}))["batch"].clone();
    assert_eq!((batch["created"].as_i64(), batch["rejected"].as_i64()), (Some(3), Some(1)), "{batch}");
    root.sync().await.unwrap();
    ann.sync().await.unwrap();
    bob.sync().await.unwrap();
    assert_eq!(owner_of(&root, "安的客户"), json!(ann_id));
    assert_eq!(owner_of(&root, "博的客户"), json!(bob_id));
    assert_eq!(owner_of(&root, "无主客户"), json!(root_id), "an empty cell: the importer's, as in the app");
    // Each sees their own, not the other's.
    assert_eq!(names(&ann), vec!["安的客户"]);
    assert_eq!(names(&bob), vec!["博的客户"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_manager_imports_only_into_her_own_scope() {
    let server = TestServer::start();
    let ann_id = server.add_user("ann", "account_manager", Some("east"));
    server.add_user("bob", "account_manager", Some("east"));
    let ann = Device::login(&server, "ann").await;
    ann.sync().await.unwrap();
    // She may name herself, or nobody (hers by default); a row naming bob is refused, with why.
    let file = csv("客户名称,负责人\n我的客户,ann\n默认归我,\n给博的客户,bob\n");
    let preview = ann.call(json!({"op": "import_preview", "name": "a.csv", "data": file, "kind": "customer"}));
    let rows = preview["plan"].as_array().unwrap().clone();
    let bobs = rows.iter().find(|r| r["line"] == 4).unwrap();
    assert_eq!(bobs["action"], "reject", "{preview}");
    assert!(bobs["errors"].to_string().contains("forbidden") || bobs["errors"].to_string().contains("owner"), "{bobs}");
    let batch =
        ann.call(json!({"op": "import_run", "name": "a.csv", "data": file, "kind": "customer"}))["batch"].clone();
    assert_eq!((batch["created"].as_i64(), batch["rejected"].as_i64()), (Some(2), Some(1)), "{batch}");
    ann.sync().await.unwrap();
    assert_eq!(ann.rejected(), Vec::new(), "the server took everything the import wrote");
    assert_eq!(owner_of(&ann, "我的客户"), json!(ann_id));
    assert_eq!(owner_of(&ann, "默认归我"), json!(ann_id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revert_reaches_the_devices_that_synced_the_import() {
    let server = TestServer::start();
    // The admin is in the supervisor's team: she reads what the admin owns.
    server.add_user("root", "admin", Some("east"));
    server.add_user("sue", "supervisor", Some("east"));
    let root = Device::login(&server, "root").await;
    let desk = Device::login(&server, "root").await;
    let sue = Device::login(&server, "sue").await;
    let kept = root.create("customer", json!({"name": "老客户", "address": "杭州"}));
    root.sync().await.unwrap();
    let file = csv("客户名称,地址\n老客户,杭州市西湖区\n新客户甲,宁波\n新客户乙,温州\n");
    let batch = root.call(json!({"op": "import_run", "name": "b.csv", "data": file, "kind": "customer", "keys": ["name"], "policy": "update"}))["batch"].clone();
    assert_eq!((batch["created"].as_i64(), batch["updated"].as_i64()), (Some(2), Some(1)), "{batch}");
    root.sync().await.unwrap();
    desk.sync().await.unwrap();
    sue.sync().await.unwrap();
    for device in [&desk, &sue] {
        assert_eq!(names(device), vec!["新客户乙", "新客户甲", "老客户"]);
        assert_eq!(device.get(&kept)["fields"]["address"], "杭州市西湖区");
    }
    let reverted = root.call(json!({"op": "import_revert", "batch": batch["id"]}));
    assert_eq!((reverted["deleted"].as_i64(), reverted["restored"].as_i64()), (Some(2), Some(1)), "{reverted}");
    root.sync().await.unwrap();
    desk.sync().await.unwrap();
    sue.sync().await.unwrap();
    for device in [&desk, &sue] {
        assert_eq!(names(device), vec!["老客户"], "what the import made is gone everywhere");
        assert_eq!(device.get(&kept)["fields"]["address"], "杭州", "and what it changed is back");
    }
}
