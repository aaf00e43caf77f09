//! Sync benchmark against the real `sync-server` binary on loopback.
//!
//!     cargo build --release -p sync-server && cargo bench -p crm-tests --bench sync
//!
//! `CRM_BENCH_CUSTOMERS=n` scales the data set (default: the reference 95,020 records).
//! `PEER_JSONL=customers.jsonl` (from `node gen.mjs 10000` in the automerge-repo peer
//! harness) also bootstraps those same customers, for the side-by-side comparison.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use crm_core::demo::{self, DemoSize, Rng};
use crm_core::sync::protocol::{decode, encode, ClientMsg, ServerMsg, PROTOCOL_VERSION};
use crm_tests::process::Server;
use crm_tests::Device;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value as Json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const GRADES: [&str; 4] = ["A", "B", "C", "D"];

fn pct(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Push everything a device has; returns (changes pushed, time).
async fn push_all(device: &Device) -> (i64, Duration) {
    let pending = device.engine.store().outbox_len().unwrap();
    let t = Instant::now();
    device.sync().await.unwrap();
    assert_eq!(device.engine.store().outbox_len().unwrap(), 0);
    (pending, t.elapsed())
}

/// A listener that reads and discards everything from `cursor` on (the log's end: it is
/// caught up): one of the "100 other clients", each sent every change made after it connected.
async fn idle_client(url: &str, token: &str, cursor: u64) {
    let mut req = format!("{}/sync", url.replacen("http", "ws", 1)).into_client_request().unwrap();
    req.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    ws.send(Message::Binary(
        encode(&ClientMsg::Hello { protocol: PROTOCOL_VERSION, cursor, epoch: None, read_models: None }).into(),
    ))
    .await
    .unwrap();
    tokio::spawn(async move {
        while let Some(Ok(frame)) = ws.next().await {
            if let Message::Binary(b) = frame {
                let _ = decode::<ServerMsg>(&b);
            }
        }
    });
}

/// The generator's fields we have no column for, kept as the customer's custom fields.
const PEER_CUSTOM: [&str; 14] = [
    "short_name",
    "type",
    "status",
    "source",
    "industry",
    "region",
    "city",
    "postal_code",
    "tax_id",
    "owner_id",
    "created_at",
    "updated_at",
    "credit_limit",
    "contacts",
];

fn peer_customer(line: &str) -> Json {
    let r: Json = serde_json::from_str(line).unwrap();
    let s = |k: &str| r[k].as_str().unwrap_or("").to_string();
    let mut custom = serde_json::Map::new();
    for k in PEER_CUSTOM {
        // Numbers and the contacts list as their JSON text; the rest as the strings they are.
        let value = match k {
            "credit_limit" | "contacts" => r[k].to_string(),
            _ => s(k),
        };
        custom.insert(k.into(), json!(value));
    }
    let tags: Vec<String> = r["tags"].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
    json!({"kind": "customer", "fields": {
        "code": s("code"), "name": s("name"), "grade": s("grade"), "address": s("address"),
        "phones": [s("phone")], "email": s("email"), "website": s("website"),
        "tags": tags, "notes": s("notes"), "custom_fields": custom}})
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let customers: usize = std::env::var("CRM_BENCH_CUSTOMERS").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let size = if customers == 10_000 { DemoSize::benchmark() } else { DemoSize::scaled(customers) };
    let mut rows: Vec<(String, String)> = Vec::new();
    let server =
        Server::start(&[("loader", "admin"), ("fresh", "admin"), ("watch", "admin"), ("ann", "account_manager")]);

    // Ingest: a device with the whole data set pushes it.
    let loader = Device::login_at(&server.url, "loader").await;
    let loaded = {
        let mut store = loader.engine.store();
        demo::load(&mut store, 42, size, chrono_today()).unwrap()
    };
    // The server's CPU time beside the wall time: on a shared machine the wall time moves
    // with the neighbours, the CPU time per change much less.
    let cpu_before = server.cpu_seconds();
    let (pushed, took) = push_all(&loader).await;
    let cpu = server.cpu_seconds() - cpu_before;
    rows.push(("records".into(), format!("{} ({} customers)", loaded.total(), loaded.customers)));
    rows.push((
        "server ingest (one device pushing its outbox)".into(),
        format!(
            "{pushed} changes in {:.1} s = {:.0} changes/s; server CPU {cpu:.1} s = {:.0} µs per change",
            took.as_secs_f64(),
            pushed as f64 / took.as_secs_f64(),
            cpu * 1e6 / pushed as f64
        ),
    ));

    // Bootstrap a fresh device that may read everything.
    let fresh = Device::login_at(&server.url, "fresh").await;
    let t = Instant::now();
    fresh.sync().await.unwrap();
    let boot = t.elapsed();
    let docs = fresh.engine.store().doc_count().unwrap();
    rows.push((
        "bootstrap a fresh device (target < 15 s)".into(),
        format!("{:.1} s ({docs} documents, {:.0}/s)", boot.as_secs_f64(), docs as f64 / boot.as_secs_f64()),
    ));

    // An offline day: 1,000 edits across 300 records, then one sync.
    let ids: Vec<String> = {
        let store = fresh.engine.store();
        let mut stmt = store.connection().prepare("SELECT id FROM p_customer LIMIT 300").unwrap();
        let ids = stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap();
        ids
    };
    let mut rng = Rng::new(9);
    for i in 0..1000 {
        let id = &ids[rng.below(ids.len())];
        let fields = match i % 3 {
            0 => json!({"grade": GRADES[i % 4]}),
            1 => json!({"address": format!("离线第{i}次修改")}),
            _ => json!({"tags": ["VIP", format!("t{}", i % 7)]}),
        };
        fresh.call(json!({"op": "update", "id": id, "fields": fields}));
    }
    let (pushed, took) = push_all(&fresh).await;
    rows.push((
        "offline day pushed and acknowledged (target < 1 s)".into(),
        format!("{pushed} changes in {}", ms(took)),
    ));

    // Latency: an edit on A seen on B, with 100 other clients connected and receiving.
    let watch = Device::login_at(&server.url, "watch").await;
    let token = watch.engine.store().sync_endpoint().unwrap().unwrap().1;
    // `CRM_BENCH_IDLE=n`: other clients connected and receiving (default 100).
    let idle: usize = std::env::var("CRM_BENCH_IDLE").ok().and_then(|s| s.parse().ok()).unwrap_or(100);
    // An admin: its clients are sent every change.
    watch.sync().await.unwrap();
    let cursor = watch.engine.store().sync_cursor().unwrap();
    for _ in 0..idle {
        idle_client(&server.url, &token, cursor).await;
    }
    let a = Device::login_at(&server.url, "ann").await;
    let b = Device::login_at(&server.url, "ann").await;
    let mine: Vec<String> =
        (0..20).map(|i| a.create("customer", json!({"name": format!("延迟测试客户{i}")}))).collect();
    a.sync().await.unwrap();
    b.sync().await.unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let (ea, eb) = (a.engine.clone(), b.engine.clone());
    let (sa, sb) = (stopped.clone(), stopped);
    tokio::spawn(async move { ea.run(sa).await });
    tokio::spawn(async move { eb.run(sb).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut seen = b.engine.status();
    let mut latencies = Vec::new();
    for i in 0..60 {
        let id = &mine[i % mine.len()];
        let before = seen.borrow_and_update().received;
        let t = Instant::now();
        a.call(json!({"op": "update", "id": id, "fields": {"address": format!("实时{i}")}}));
        loop {
            tokio::time::timeout(Duration::from_secs(10), seen.changed()).await.expect("B saw the edit").unwrap();
            if seen.borrow_and_update().received > before {
                break;
            }
        }
        latencies.push(t.elapsed());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    rows.push((
        format!("edit on A seen on B, {idle} other clients connected: p50 / p99 (target p50 < 5 ms, p99 < 20 ms)"),
        format!("{} / {}", ms(pct(&mut latencies, 0.5)), ms(pct(&mut latencies, 0.99))),
    ));
    rows.push((
        "server peak memory (VmHWM) after all of the above, 103 clients".into(),
        format!("{:.0} MB", server.peak_rss_mb()),
    ));
    let _ = stop.send(true);

    if let Ok(path) = std::env::var("PEER_JSONL") {
        let peer_server = Server::start(&[("loader", "admin"), ("fresh", "admin")]);
        let loader = Device::login_at(&peer_server.url, "loader").await;
        let lines = std::fs::read_to_string(&path).unwrap();
        let records: Vec<Json> = lines.lines().filter(|l| !l.trim().is_empty()).map(peer_customer).collect();
        let n = records.len();
        // The company's custom fields for them, defined by its admin first.
        for (i, key) in PEER_CUSTOM.iter().enumerate() {
            loader.call(json!({"op": "create", "kind": "custom_field", "fields": {
                "of_kind": "customer", "key": key, "label_zh": key, "type": "text", "sort_order": i}}));
        }
        // Timed like the peers' upload: from the first local write until the server has
        // acknowledged every change.
        let t = Instant::now();
        for chunk in records.chunks(2000) {
            loader.call(json!({"op": "bulk_create", "records": chunk}));
        }
        let local = t.elapsed();
        let (_, push) = push_all(&loader).await;
        let upload = t.elapsed();
        let fresh = Device::login_at(&peer_server.url, "fresh").await;
        let t = Instant::now();
        fresh.sync().await.unwrap();
        let boot = t.elapsed();
        rows.push((
            format!("peer data set: upload {n} customers (local writes + push until acknowledged)"),
            format!("{:.2} s ({:.2} s + {:.2} s)", upload.as_secs_f64(), local.as_secs_f64(), push.as_secs_f64()),
        ));
        rows.push((
            format!("peer data set: bootstrap {n} customers on a fresh device"),
            format!("{:.2} s", boot.as_secs_f64()),
        ));
        rows.push(("peer data set: server peak memory".into(), format!("{:.0} MB", peer_server.peak_rss_mb())));
    }

    println!("| measure | result |\n|---|---|");
    for (k, v) in rows {
        println!("| {k} | {v} |");
    }
}

fn chrono_today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}
