//! Store benchmark on the reference data set (10,000 customers, 30,000 contacts, 50,000
//! activities, 5,000 opportunities). Run: `cargo bench -p crm-core --bench store`.
//! `CRM_BENCH_CUSTOMERS=n` scales the data set; results go to stdout as a Markdown table.

mod common;

use std::time::{Duration, Instant};

use common::{ms, percentile, us};
use crm_core::demo::{self, DemoSize, Rng};
use crm_core::query::ListQuery;
use crm_core::{Kind, Store};
use serde_json::json;

const GRADES: [&str; 4] = ["A", "B", "C", "D"];

/// Start measuring the peak memory (`peak_rss_mb`) again from now.
fn reset_peak() {
    // Linux: writing 5 to clear_refs resets VmHWM to the current resident size.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The peak memory since the last [`reset_peak`] (or the start), in MB.
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn disk_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir).map(|d| d.flatten().filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum()).unwrap_or(0)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let customers: usize = std::env::var("CRM_BENCH_CUSTOMERS").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let size = if customers == 10_000 { DemoSize::benchmark() } else { DemoSize::scaled(customers) };
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("crm.sqlite3");
    // `CRM_BENCH_ENCRYPT=key|password`: the same run on a store encrypted at rest
    // (crm_core::at_rest) under a keychain's raw key or under a password.
    let key = match std::env::var("CRM_BENCH_ENCRYPT").as_deref() {
        Ok("key") => Some(crm_core::at_rest::StoreKey::generate().expect("key")),
        Ok("password") => Some(crm_core::at_rest::StoreKey::Password("bench password".into())),
        Ok(other) => panic!("CRM_BENCH_ENCRYPT is key or password, not {other}"),
        Err(_) => None,
    };
    let open = |db: &std::path::Path| Store::open_with(db, key.as_ref());
    let mut rows: Vec<(String, String)> = Vec::new();

    // `CRM_BENCH_KEEP=DIR`: the loaded store is kept in DIR and reused by the next run (which
    // then skips the load), for measuring queries again without waiting for it.
    let kept = std::env::var("CRM_BENCH_KEEP").ok().map(std::path::PathBuf::from);
    if let Some(keep) = kept.as_ref().filter(|k| k.join("crm.sqlite3").exists()) {
        for name in ["crm.sqlite3", "crm.sqlite3-wal"] {
            if keep.join(name).exists() {
                std::fs::copy(keep.join(name), dir.path().join(name)).expect("copy the kept store");
            }
        }
    }
    let started = Instant::now();
    let reused = db.exists();
    let loaded = if reused {
        let store = open(&db).expect("open");
        let count = |t: &str| -> usize {
            store
                .connection()
                .query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get::<_, i64>(0))
                .expect("count") as usize
        };
        demo::Loaded {
            users: count("p_user").saturating_sub(1),
            customers: count("p_customer"),
            contacts: count("p_contact"),
            activities: count("p_activity"),
            opportunities: count("p_opportunity"),
        }
    } else {
        let mut store = open(&db).expect("open");
        demo::load(&mut store, 42, size, chrono::Utc::now().date_naive()).expect("load")
    };
    let load = started.elapsed();
    let mut peaks: Vec<(&str, f64)> = vec![("load (or open the kept store)", peak_rss_mb())];
    let mut phase = |name: &'static str| {
        peaks.push((name, peak_rss_mb()));
        reset_peak();
    };
    reset_peak();
    if let Some(keep) = kept.as_ref().filter(|k| !k.join("crm.sqlite3").exists()) {
        std::fs::create_dir_all(keep).expect("keep dir");
        let store = open(&db).expect("open");
        store.connection().execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").expect("checkpoint");
        drop(store);
        std::fs::copy(&db, keep.join("crm.sqlite3")).expect("keep the store");
    }
    let records = loaded.total();
    rows.push((
        "records".into(),
        format!(
            "{records} ({} customers, {} contacts, {} activities, {} opportunities)",
            loaded.customers, loaded.contacts, loaded.activities, loaded.opportunities
        ),
    ));
    if reused {
        rows.push((
            "open the kept store (read models rebuilt if the code changed them)".into(),
            format!("{:.1} s", load.as_secs_f64()),
        ));
    } else {
        rows.push((
            "bulk load".into(),
            format!("{:.1} s ({:.0} records/s)", load.as_secs_f64(), records as f64 / load.as_secs_f64()),
        ));
    }

    let mut first_page = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let store = open(&db).expect("reopen");
        let page = store
            .list(Kind::Customer, &ListQuery { sort: Some("name".into()), limit: Some(50), ..Default::default() })
            .expect("list");
        assert_eq!(page.items.len(), 50);
        first_page.push(t.elapsed());
    }
    phase("open + first page");
    rows.push((
        "open store + first page of customers (by name), median of 5".into(),
        ms(percentile(&mut first_page, 0.5)),
    ));

    let mut store = open(&db).expect("open");
    let mut rng = Rng::new(7);
    let queries: Vec<String> = {
        let mut q: Vec<String> =
            ["陈", "王", "李", "科技", "机械", "有限", "精密", "杭州", "深圳宏", "贸易有限公司", "info@", "kh0012"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        for _ in 0..20 {
            q.push(format!("{:04}", rng.below(10_000)));
            q.push(format!("KH{:06}", 1 + rng.below(customers)));
        }
        q
    };
    let mut search_times = Vec::new();
    let mut short_times = Vec::new();
    for _round in 0..5 {
        for q in &queries {
            let t = Instant::now();
            let hits = store.search(q, &[], 20).expect("search");
            let e = t.elapsed();
            std::hint::black_box(hits);
            search_times.push(e);
            if q.chars().count() <= 2 {
                short_times.push(e);
            }
        }
    }
    rows.push((
        "search p50 / p95 (all queries)".into(),
        format!("{} / {}", ms(percentile(&mut search_times, 0.5)), ms(percentile(&mut search_times, 0.95))),
    ));
    rows.push((
        "search p50 / p95 (1–2 character queries)".into(),
        format!("{} / {}", ms(percentile(&mut short_times, 0.5)), ms(percentile(&mut short_times, 0.95))),
    ));

    // Pinyin initials: the first four of a customer's name (`hzhd` for 杭州宏达…), and two.
    let initials: Vec<String> = {
        let conn = store.connection();
        let mut stmt = conn.prepare("SELECT name FROM p_customer ORDER BY id").expect("prepare");
        let names: Vec<String> =
            stmt.query_map([], |r| r.get(0)).expect("query").collect::<Result<_, _>>().expect("rows");
        (0..20)
            .map(|i| {
                let name = &names[rng.below(names.len())];
                let all = crm_core::search::pinyin_initials(name).unwrap_or_default();
                all.chars().take(if i % 4 == 0 { 2 } else { 4 }).collect()
            })
            .collect()
    };
    let mut initials_times = Vec::new();
    for _round in 0..5 {
        for q in &initials {
            let t = Instant::now();
            let hits = store.search(q, &[], 20).expect("search");
            initials_times.push(t.elapsed());
            assert!(!hits.is_empty(), "{q} finds the name it was made from");
        }
    }
    rows.push((
        "search p50 / p95 (pinyin initials: 4 letters, and 2 for one in four)".into(),
        format!("{} / {}", ms(percentile(&mut initials_times, 0.5)), ms(percentile(&mut initials_times, 0.95))),
    ));

    phase("search");
    let ids: Vec<String> = {
        let conn = store.connection();
        let mut stmt = conn.prepare("SELECT id FROM p_customer").expect("prepare");
        let ids = stmt.query_map([], |r| r.get(0)).expect("query").collect::<Result<_, _>>().expect("rows");
        ids
    };
    let mut edits = Vec::new();
    for i in 0..1000 {
        let id = &ids[rng.below(ids.len())];
        let fields = match i % 3 {
            0 => json!({"grade": GRADES[i % 4]}),
            1 => json!({"address": format!("上海市浦东新区世纪大道{i}号")}),
            _ => json!({"tags": ["VIP", format!("t{}", i % 5)]}),
        };
        let map = fields.as_object().expect("object").clone();
        let t = Instant::now();
        store.update(id, &map).expect("update");
        edits.push(t.elapsed());
    }
    rows.push((
        "single edit p50 / p99 (random customer, committed)".into(),
        format!("{} / {}", ms(percentile(&mut edits, 0.5)), ms(percentile(&mut edits, 0.99))),
    ));

    phase("1,000 edits");
    // Churn warnings and reminders over everything on this device (an admin's: all 10,000
    // customers; a salesperson's device holds their own few hundred).
    let mut churn = Vec::new();
    let mut warned = 0;
    for _ in 0..10 {
        let t = Instant::now();
        warned = store.churn_warnings(None, 500).expect("churn warnings").len();
        churn.push(t.elapsed());
    }
    rows.push((
        format!("churn warnings, all customers on the device, p50 / max of 10 ({warned} warnings)"),
        format!("{} / {}", ms(percentile(&mut churn, 0.5)), ms(percentile(&mut churn, 1.0))),
    ));
    let mut reminding = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        std::hint::black_box(store.reminders(None).expect("reminders"));
        reminding.push(t.elapsed());
    }
    rows.push((
        "reminders (follow-ups, requests, churn, recycling), all owners, p50 / max of 10".into(),
        format!("{} / {}", ms(percentile(&mut reminding, 0.5)), ms(percentile(&mut reminding, 1.0))),
    ));
    phase("churn warnings and reminders");
    // "What may I do" per record: customers and what is attached, mostly not cached.
    let any: Vec<String> = {
        let conn = store.connection();
        let mut stmt = conn
            .prepare(
                "SELECT id FROM p_customer UNION ALL SELECT id FROM p_activity UNION ALL SELECT id FROM p_opportunity",
            )
            .expect("prepare");
        let ids = stmt.query_map([], |r| r.get(0)).expect("query").collect::<Result<_, _>>().expect("rows");
        ids
    };
    let mut asks = Vec::new();
    for _ in 0..2000 {
        let id = &any[rng.below(any.len())];
        let t = Instant::now();
        std::hint::black_box(store.permissions_of(id).expect("permissions"));
        asks.push(t.elapsed());
    }
    let mean = asks.iter().sum::<Duration>() / asks.len() as u32;
    rows.push((
        "permissions of a record (\"what may I do\"), mean / p50 / p99 of 2,000".into(),
        format!("{} / {} / {}", us(mean), us(percentile(&mut asks, 0.5)), us(percentile(&mut asks, 0.99))),
    ));

    phase("permissions");
    rows.push(("documents held in memory (bounded cache)".into(), store.cached_docs().to_string()));
    if std::env::var("CRM_BENCH_QUICK").is_ok() {
        // Queries only: no rebuild, no disk measures.
        println!("| measure | result |\n|---|---|");
        for (k, v) in rows {
            println!("| {k} | {v} |");
        }
        return;
    }
    let t = Instant::now();
    let rebuilt = store.rebuild_projections().expect("rebuild");
    rows.push(("rebuild projections".into(), format!("{:.1} s ({rebuilt} documents)", t.elapsed().as_secs_f64())));
    phase("rebuild all read models");

    let per_record = |bytes: u64| format!("{} ({:.1} MB total)", bytes / records as u64, bytes as f64 / 1e6);
    store.compact().expect("compact");
    rows.push(("bytes on disk per record, nothing synced yet".into(), per_record(disk_bytes(dir.path()))));
    // As after a sync: the server acknowledged everything, so change rows fold into snapshots.
    // Acknowledged a push at a time, as the sync engine sends them.
    loop {
        let hashes: Vec<String> = store.outbox(500).expect("outbox").into_iter().map(|e| e.hash).collect();
        if hashes.is_empty() {
            break;
        }
        store.ack(&hashes).expect("ack");
    }
    phase("acknowledged, 500 at a time");
    store.compact().expect("compact");
    store.connection().execute_batch("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);").expect("vacuum");
    rows.push(("bytes on disk per record, after sync + compact + VACUUM".into(), per_record(disk_bytes(dir.path()))));
    phase("compact + VACUUM");
    let worst = peaks.iter().skip(1).map(|(_, mb)| *mb).fold(0.0, f64::max);
    rows.push((
        "peak memory (VmHWM) once loaded: the highest of the phases after the load".into(),
        format!("{worst:.0} MB"),
    ));
    for (name, mb) in &peaks {
        rows.push((format!("peak memory during: {name}"), format!("{mb:.0} MB")));
    }

    println!("| measure | result |\n|---|---|");
    for (k, v) in rows {
        println!("| {k} | {v} |");
    }
}
