//! Reports from the server: an admin asks the admin API and gets the same figures their own
//! device computes, kept up to date with what devices pushed since; nobody else may ask.

#![allow(clippy::unwrap_used)]

use crm_tests::TestServer;
use serde_json::{json, Value as Json};

fn server_report(device: &crm_tests::Device, query: &str) -> Json {
    device.call(json!({"op": "server", "method": "GET", "path": format!("/api/admin/reports/{query}")}))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_reports_what_the_admins_device_reports_and_keeps_up() {
    let server = TestServer::start();
    let [root, ann] = server.people([("root", "admin", None), ("ann", "account_manager", Some("east"))]).await;
    let order = |device: &crm_tests::Device, customer: &str, at: &str, minor: i64| {
        device.create(
            "order",
            json!({"customer": customer, "ordered_at": at, "lines": [{"name": "数控车床", "quantity": 1, "unit_price": minor}]}),
        )
    };
    let jia = ann.create("customer", json!({"name": "甲机械", "grade": "A"}));
    let yi = ann.create("customer", json!({"name": "乙电气", "grade": "B"}));
    let first = order(&ann, &jia, "2026-11-05T02:00:00Z", 6_000_000);
    let second = order(&ann, &yi, "2026-11-30T15:30:00Z", 3_000_000);
    ann.sync().await.unwrap();
    root.sync().await.unwrap();
    for id in [&first, &second] {
        root.call(json!({"op": "transition", "id": id, "name": "confirm", "fields": {}}));
    }
    root.sync().await.unwrap();

    let query = "contribution?from=2026-11-01&to=2026-11-30";
    let answer = server_report(&root, query);
    assert_eq!(answer["status"], 200, "{answer}");
    let on_device =
        root.call(json!({"op": "report", "name": "contribution", "from": "2026-11-01", "to": "2026-11-30"}));
    assert_eq!(answer["body"]["tables"], on_device["tables"], "the same code, the same figures");
    assert_eq!(answer["body"]["tables"][0]["totals"]["revenue"], 9_000_000);

    // Pushed since: the server's next report has it (the replica catches up from the log).
    let third = order(&ann, &jia, "2026-11-20T02:00:00Z", 1_000_000);
    ann.sync().await.unwrap();
    root.sync().await.unwrap();
    root.call(json!({"op": "transition", "id": third, "name": "confirm", "fields": {}}));
    root.sync().await.unwrap();
    let later = server_report(&root, query);
    assert_eq!(later["body"]["tables"][0]["totals"]["revenue"], 10_000_000, "{later}");
    // Options, scope and the spreadsheet.
    let paid = server_report(&root, "contribution?from=2026-11-01&to=2026-11-30&option.basis=payments");
    assert_eq!(paid["body"]["filters"]["basis"], "payments");
    let mine = server_report(&root, &format!("performance?scope=all&owner={}", ann.user_id));
    assert_eq!(mine["body"]["filters"]["owner"], ann.user_id.as_str(), "{mine}");
    let sheet = server_report(&root, "receivables?format=xlsx");
    assert!(sheet["file"]["name"].as_str().unwrap().ends_with(".xlsx"), "{sheet}");
    let bad = server_report(&root, "contribution?option.basis=hopes");
    assert_eq!(bad["status"], 400, "{bad}");
    assert!(bad["body"]["message"].as_str().unwrap().contains("invalid_option"), "{bad}");
    let unknown = server_report(&root, "contribution?form=2026-11-01");
    assert_eq!(unknown["status"], 400, "{unknown}");

    // A salesperson's device is refused: the server's reports are everyone's figures.
    let refused = ann.call(json!({"op": "server", "method": "GET", "path": "/api/admin/reports/contribution"}));
    assert_eq!(refused["status"], 403, "{refused}");
}

/// Two server instances on one database each answer reports: the second, finding the replica
/// held by the first, makes one of its own beside it, and both say the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_database_both_report() {
    let first = TestServer::start();
    let second = TestServer::beside(&first);
    let [root] = first.people([("root", "admin", None)]).await;
    root.create("customer", json!({"name": "甲机械", "grade": "A"}));
    root.sync().await.unwrap();
    let on_second = crm_tests::Device::login(&second, "root").await;
    let query = "composition";
    let (a, b) = (server_report(&root, query), server_report(&on_second, query));
    assert_eq!(a["status"], 200, "{a}");
    assert_eq!(b["status"], 200, "{b}");
    assert_eq!(a["body"]["tables"], b["body"]["tables"]);
    let replicas = std::fs::read_dir(sync_server::reports::replica_path(&first.db_path).parent().unwrap())
        .unwrap()
        .filter(|e| e.as_ref().is_ok_and(|e| e.file_name().to_string_lossy().starts_with("extra-")))
        .count();
    assert_eq!(replicas, 1, "the second instance's own replica");
}
