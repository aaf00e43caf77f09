//! Files benchmark: photos taken on a device, uploaded to the real `sync-server` binary on
//! loopback, thumbnails fetched by a supervisor's device, and a customer's photo list shown.
//!
//!     cargo build --release -p sync-server && cargo bench -p crm-tests --bench files
//!
//! Data (seeded): one customer with 200 visits, each with one photo and its thumbnail (~15 KB);
//! 100 of the photos are 3 MB, the other 100 are 200 KB. `CRM_BENCH_PHOTOS=n` changes the
//! number of 3 MB photos; `CRM_BENCH_ENCRYPTED=1` encrypts both devices' stores (their files
//! are then sealed).
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use crm_tests::process::Server;
use crm_tests::{jpeg, Device};
use serde_json::json;

fn pct(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn list_thumbnails(device: &Device, customer: &str) -> (Duration, Duration, usize) {
    let mut samples = Vec::new();
    let mut shown = 0;
    for _ in 0..20 {
        let started = Instant::now();
        let out = device.call(json!({"op": "attachments", "id": customer}));
        samples.push(started.elapsed());
        shown = out["items"].as_array().unwrap().iter().filter(|i| i["thumb_data"].is_string()).count();
    }
    (pct(&mut samples, 0.5), pct(&mut samples, 0.95), shown)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let big: usize = std::env::var("CRM_BENCH_PHOTOS").ok().and_then(|n| n.parse().ok()).unwrap_or(100);
    let seed = 24;
    println!("seed = {seed}, {big} photos of 3 MB");
    let server = Server::start(&[("ann", "account_manager"), ("sue", "supervisor")]);
    let mut ann = Device::login_at(&server.url, "ann").await;
    let mut sue = Device::login_at(&server.url, "sue").await;
    if std::env::var_os("CRM_BENCH_ENCRYPTED").is_some() {
        println!("both stores encrypted, their files sealed");
        for device in [&mut ann, &mut sue] {
            let key = crm_core::at_rest::StoreKey::generate().unwrap();
            device.reopen_with(Some(&key), |path| crm_core::at_rest::rekey(path, None, Some(&key)).unwrap());
        }
    }
    let mut rows: Vec<(String, String)> = Vec::new();

    let customer = ann.create("customer", json!({"name": "杭州西湖五金店"}));
    let visits: Vec<serde_json::Value> = (0..200)
        .map(|i| json!({"kind": "activity", "fields": {"customer": customer, "type": "visit", "subject": format!("拜访{i}")}}))
        .collect();
    let ids = ann.call(json!({"op": "bulk_create", "records": visits}))["ids"].as_array().unwrap().clone();

    // Taking the photos: each one checked, hashed, written beside the store and listed.
    let mut taken = Vec::new();
    let mut bytes_big = 0usize;
    for (i, id) in ids.iter().enumerate() {
        let photo = jpeg(seed * 1000 + i as u64, if i < big { 3 << 20 } else { 200_000 });
        let thumb = jpeg(seed * 5000 + i as u64, 15_000);
        if i < big {
            bytes_big += photo.len();
        }
        let started = Instant::now();
        ann.call(json!({"op": "attach", "record": id, "field": "photos", "name": format!("{i}.jpg"),
            "type": "image/jpeg", "data": STANDARD.encode(&photo), "thumb": STANDARD.encode(&thumb)}));
        if i < big {
            taken.push(started.elapsed());
        }
    }
    if !taken.is_empty() {
        rows.push((
            "take a 3 MB photo on the device (`attach`: check, hash, write, list it): p50".into(),
            ms(pct(&mut taken, 0.5)),
        ));
    }

    // The records first (small), then the files.
    let started = Instant::now();
    ann.engine.sync_once().await.ok();
    let total = started.elapsed();
    let pending = ann.engine.store().files_to_upload(1000).unwrap().len();
    assert_eq!(pending, 0, "every file went");
    let all_bytes: u64 = {
        let store = ann.engine.store();
        store.connection().query_row("SELECT SUM(size) FROM blobs", [], |r| r.get::<_, i64>(0)).unwrap() as u64
    };
    rows.push((
        format!("sync: 201 records, then 400 files ({:.0} MB: {big} photos of 3 MB, {} of 200 KB, 200 thumbnails) uploaded one after another", all_bytes as f64 / 1e6, 200 - big),
        format!("{:.1} s = {:.0} MB/s", total.as_secs_f64(), all_bytes as f64 / 1e6 / total.as_secs_f64()),
    ));
    let _ = bytes_big;
    rows.push(("server peak memory (VmHWM) after the uploads".into(), format!("{:.0} MB", server.peak_rss_mb())));

    // The supervisor's device: the records, then the thumbnails of all 200 photos.
    let started = Instant::now();
    sue.sync().await.unwrap();
    rows.push((
        "supervisor's sync: 201 records and 200 thumbnails fetched".into(),
        format!("{:.2} s", started.elapsed().as_secs_f64()),
    ));
    rows.push(("server peak memory (VmHWM) after the downloads".into(), format!("{:.0} MB", server.peak_rss_mb())));

    // Opening one full photo there.
    let started = Instant::now();
    let hash = ann.get(ids[0].as_str().unwrap())["fields"]["photos"][0]["hash"].as_str().unwrap().to_string();
    sue.engine.fetch_file(&hash, ids[0].as_str().unwrap()).await.unwrap();
    rows.push(("open a 3 MB photo not on the device yet (fetched from the server)".into(), ms(started.elapsed())));

    for (who, device) in [("salesperson's", &ann), ("supervisor's", &sue)] {
        let (p50, p95, shown) = list_thumbnails(device, &customer);
        assert_eq!(shown, 200, "every thumbnail is on the device");
        rows.push((
            format!("a customer's 200 photos with thumbnails (`attachments`, base64), {who} device: p50 / p95 of 20"),
            format!("{} / {}", ms(p50), ms(p95)),
        ));
    }

    println!("\n| measure | result |\n|---|---|");
    for (k, v) in rows {
        println!("| {k} | {v} |");
    }
}
