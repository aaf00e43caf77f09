//! Heavy input the server must carry without blocking anyone: records larger than a frame,
//! pushes of thousands of changes, operation bombs — and what they cost in memory. Kept apart
//! from the timing-sensitive trust tests so the two never share the cores.

#![allow(clippy::unwrap_used)]

use crm_core::document::RecordDoc;
use crm_core::kind::Kind;
use crm_core::sync::protocol::DocBytes;
use crm_core::value::{now_ms, FieldValue};
use crm_tests::wire::{connect, hello, push, push_one, token_of};
use crm_tests::{Device, TestServer};
use serde_json::{json, Value as Json};

/// One heavy test at a time: they measure memory and time, and two cores are all there is.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The server binary's allocator, so memory measured here behaves as it does there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `chars` characters of text that does not compress (seeded, so runs repeat).
fn prose(rng: &mut crm_core::demo::Rng, chars: usize) -> String {
    const WORDS: &[&str] =
        &["客户", "拜访", "报价", "合同", "回款", "设备", "安装", "维修", "电话", "会议", "xyz", "12"];
    let mut out = String::with_capacity(chars * 3);
    while out.chars().count() < chars {
        out.push_str(WORDS[rng.below(WORDS.len())]);
        out.push(char::from(b'a' + rng.below(26) as u8));
    }
    out.chars().take(chars).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_records_never_block_sync_in_either_direction() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let seed = 8;
    println!("prose seed = {seed}");
    let mut rng = crm_core::demo::Rng::new(seed);
    let server = TestServer::start();
    let [ann, sue] =
        server.people([("ann", "account_manager", Some("east")), ("sue", "supervisor", Some("east"))]).await;
    sue.sync().await.unwrap();

    // 20 customers with 100,000-character notes and 600 visits with 10,000: 24 MB, more than
    // one frame can carry.
    let customers: Vec<Json> = (0..20)
        .map(|i| json!({"kind": "customer", "fields": {"name": format!("大客户{i}"), "notes": prose(&mut rng, 100_000)}}))
        .collect();
    let ids = ann.call(json!({"op": "bulk_create", "records": customers}))["ids"].as_array().unwrap().clone();
    let visits: Vec<Json> = (0..600)
        .map(|i| {
            json!({"kind": "activity", "fields": {"customer": ids[i % ids.len()], "type": "visit",
                   "subject": format!("拜访{i}"), "notes": prose(&mut rng, 10_000)}})
        })
        .collect();
    ann.call(json!({"op": "bulk_create", "records": visits}));
    ann.sync().await.unwrap();
    assert!(ann.rejected().is_empty(), "{:?}", ann.rejected());
    assert_eq!(ann.engine.store().outbox_len().unwrap(), 0, "everything went, in byte-sized pushes");
    ann.call(json!({"op": "update", "id": ids[0], "fields": {"grade": "A"}}));
    ann.sync().await.unwrap();
    assert_eq!(ann.engine.store().outbox_len().unwrap(), 0, "a small edit is not stuck behind big ones");

    sue.sync().await.unwrap();
    let fresh = Device::login(&server, "sue").await;
    fresh.sync().await.unwrap();
    for device in [&sue, &fresh] {
        let n = device.call(json!({"op": "list", "kind": "activity", "limit": 1}))["total"].clone();
        assert_eq!(n, 600);
        let first = ids[0].as_str().unwrap();
        assert_eq!(device.get(first)["fields"]["grade"], "A");
    }
}

/// This process's resident memory, in MiB (the server runs in it).
fn rss_mib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4096 / (1 << 20)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn costly_frames_are_refused_early_and_never_stall_another_device() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start();
    let [ann, vic, bob] = server
        .people([
            ("ann", "account_manager", Some("east")),
            ("vic", "viewer", Some("east")),
            ("bob", "account_manager", Some("east")),
        ])
        .await;
    bob.sync().await.unwrap();
    let baseline = rss_mib();

    // A valid push of 2,000 changes, each a new customer.
    let records: Vec<Json> = (0..2_000)
        .map(|i| json!({"kind": "customer", "fields": {"name": format!("批量{i}"), "notes": "备注".repeat(200)}}))
        .collect();
    ann.call(json!({"op": "bulk_create", "records": records}));
    // An operations bomb from a viewer, and one from ann.
    let bomb = |device: &Device| {
        let actor = device.engine.store().identity().actor.clone();
        let actor = automerge::ActorId::from(crm_core::store::hex_decode(&actor).expect("hex"));
        let values = [("name", FieldValue::Str("炸弹".into())), ("owner", FieldValue::Str(device.user_id.clone()))];
        let mut doc = RecordDoc::create_named(&actor, Kind::Customer, now_ms(), &device.user_id, &values).unwrap();
        doc.write(
            Kind::Customer.spec().field("notes").unwrap(),
            Some(&FieldValue::Notes("a".repeat(1_000_000))),
            false,
        )
        .unwrap();
        doc.commit(&device.user_id, now_ms() / 1000).unwrap().bytes().into_owned()
    };
    let (vic_bomb, ann_bomb) = (bomb(&vic), bomb(&ann));
    let mut vic_ws = connect(&server, Some(&token_of(&vic))).await.unwrap();
    hello(&mut vic_ws).await;
    let mut ann_ws = connect(&server, Some(&token_of(&ann))).await.unwrap();
    hello(&mut ann_ws).await;

    let (vic_doc, ann_doc) = (uuid::Uuid::now_v7().to_string(), uuid::Uuid::now_v7().to_string());
    let started = std::time::Instant::now();
    let (pushed, vic_verdict, ann_verdict) =
        tokio::join!(ann.sync(), push_one(&mut vic_ws, &vic_doc, vic_bomb), push_one(&mut ann_ws, &ann_doc, ann_bomb),);
    pushed.unwrap();
    let heavy = started.elapsed();
    assert_eq!(vic_verdict[0].0, "too_large", "{vic_verdict:?}");
    assert_eq!(ann_verdict[0].0, "too_large", "{ann_verdict:?}");
    let peak = rss_mib();

    // Another device's push during a second heavy push is answered promptly.
    let records: Vec<Json> = (0..2_000)
        .map(|i| json!({"kind": "customer", "fields": {"name": format!("再批{i}"), "notes": "备注".repeat(200)}}))
        .collect();
    ann.call(json!({"op": "bulk_create", "records": records}));
    bob.create("customer", json!({"name": "插队的客户"}));
    let (_, bob_took) = tokio::join!(ann.sync(), async {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let start = std::time::Instant::now();
        bob.sync().await.unwrap();
        start.elapsed()
    });
    // Idle for a moment: what the bursts used goes back.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let after = rss_mib();
    println!("memory: baseline {baseline} MiB, after the attack {peak} MiB, at the end {after} MiB; 2,000-change push with bombs {heavy:?}; another device's sync during a push {bob_took:?}");
    assert!(peak < baseline + 150, "memory grew from {baseline} to {peak} MiB");
    assert!(bob_took < std::time::Duration::from_secs(10), "another device waited {bob_took:?}");
    assert_eq!(bob.engine.store().outbox_len().unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_past_its_operation_budget_is_put_off_with_what_builds_on_it() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start();
    let [ann] = server.people([("ann", "account_manager", Some("east"))]).await;
    // Eleven customers with 99,000-character notes, then an edit of the last: 1,089,000
    // operations, over one push's 1,000,000.
    let customers: Vec<Json> = (0..11)
        .map(|i| json!({"kind": "customer", "fields": {"name": format!("长备注{i}"), "notes": "备".repeat(99_000)}}))
        .collect();
    let ids = ann.call(json!({"op": "bulk_create", "records": customers}))["ids"].as_array().unwrap().clone();
    ann.call(json!({"op": "update", "id": ids[10], "fields": {"grade": "A"}}));
    let outbox = ann.engine.store().outbox(100).unwrap();
    assert_eq!(outbox.len(), 12);
    let changes = |from: usize| {
        outbox[from..].iter().map(|e| DocBytes { doc: e.doc_id.clone(), bytes: e.bytes.clone() }).collect()
    };
    let mut ws = connect(&server, Some(&token_of(&ann))).await.unwrap();
    hello(&mut ws).await;
    let (accepted, refused) = push(&mut ws, changes(0)).await;
    assert_eq!(accepted.len(), 10, "ten customers fit");
    let codes: Vec<&str> = refused.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(codes, ["deferred", "deferred"], "the eleventh and the edit built on it wait");
    // The next push takes them.
    let (accepted, refused) = push(&mut ws, changes(10)).await;
    assert_eq!((accepted.len(), refused.len()), (2, 0), "{refused:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_small_edits_to_one_big_record_cost_a_push_little() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let mut rng = crm_core::demo::Rng::new(11);
    println!("prose seed = 11");
    let server = TestServer::start();
    let [ann, sue] =
        server.people([("ann", "account_manager", Some("east")), ("sue", "supervisor", Some("east"))]).await;
    let id = ann.create("customer", json!({"name": "大记录", "notes": prose(&mut rng, 99_000)}));
    ann.sync().await.unwrap();
    // A day offline: 1,500 small edits to it.
    for i in 0..1_500 {
        ann.call(json!({"op": "update", "id": id, "fields": {"address": format!("杭州市文三路{i}号")}}));
    }
    let outbox = ann.engine.store().outbox(2_000).unwrap();
    let changes = outbox.iter().map(|e| DocBytes { doc: e.doc_id.clone(), bytes: e.bytes.clone() }).collect();
    let mut ws = connect(&server, Some(&token_of(&ann))).await.unwrap();
    hello(&mut ws).await;
    let start = std::time::Instant::now();
    let (accepted, refused) = push(&mut ws, changes).await;
    println!(
        "1,500 small edits to a record with 99,000-character notes: pushed and acknowledged in {:?}",
        start.elapsed()
    );
    assert_eq!((accepted.len(), refused.len()), (1_500, 0), "{refused:?}");
    sue.sync().await.unwrap();
    assert_eq!(sue.get(&id)["fields"]["address"], "杭州市文三路1499号");
}
