//! Import benchmark: a 10,000-row `.xlsx` of customers with two contacts each (30,000
//! records), previewed and imported into a new store, matched by name against what is there.
//! Run: `cargo bench -p crm-core --bench import`. `CRM_BENCH_ROWS=n` changes the row count.

use std::time::Instant;

use crm_core::demo::Rng;
use crm_core::import::{Options, Policy};
use crm_core::sheet::{self, Format};
use crm_core::Store;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let n: usize = std::env::var("CRM_BENCH_ROWS").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let mut rng = Rng::new(42);
    let headers: Vec<String> =
        ["客户名称", "电话", "等级", "地址", "联系人", "手机", "职务", "联系人2", "手机2", "备注"]
            .map(String::from)
            .to_vec();
    let cities = ["杭州", "宁波", "温州", "苏州", "无锡", "南京", "合肥", "上海"];
    let trades = ["机械", "电子", "化工", "纺织", "物流", "食品", "包装", "建材"];
    let rows: Vec<Vec<String>> = (0..n)
        .map(|i| {
            let city = rng.pick(&cities);
            vec![
                format!("{city}{}{}有限公司{i:05}", rng.pick(&["恒远", "新兴", "鼎盛", "华通"]), rng.pick(&trades)),
                format!("0571-{:08}", 10_000_000 + i),
                rng.pick(&["A类", "B", "c", "D类"]).to_string(),
                format!("{city}市{}路{}号", rng.pick(&["人民", "解放", "建设"]), 1 + rng.below(300)),
                format!("王{i}"),
                format!("138{:08}", i),
                "采购经理".to_string(),
                format!("李{i}"),
                format!("139{:08}", i),
                "导入测试".to_string(),
            ]
        })
        .collect();
    let t = Instant::now();
    let file = sheet::write(Format::Xlsx, &headers, &rows).expect("write xlsx");
    let written = t.elapsed();

    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = Store::open(dir.path().join("crm.sqlite3")).expect("open");
    store.set_identity("01900000-0000-7000-8000-000000000001", "管理员", "admin", None).expect("identity");
    let options =
        Options { kind: "customer".into(), keys: vec!["name".into()], policy: Policy::Skip, ..Default::default() };

    let t = Instant::now();
    let preview = store.import_preview("bench.xlsx", &file, &options).expect("preview");
    let previewed = t.elapsed();
    assert_eq!(preview.counts.create, n);
    assert_eq!(preview.counts.contacts, 2 * n);

    let mut reports = 0;
    let t = Instant::now();
    let batch = store.import_run("bench.xlsx", &file, &options, &mut |_, _| reports += 1).expect("import");
    let imported = t.elapsed();
    assert_eq!(batch.created as usize, n);

    // Again: every row now matches an existing customer by name and is skipped.
    let t = Instant::now();
    let again = store.import_preview("bench.xlsx", &file, &options).expect("preview");
    let matched = t.elapsed();
    assert_eq!(again.counts.skip, n);

    let t = Instant::now();
    let reverted = store.import_revert(&batch.id).expect("revert");
    let revert = t.elapsed();
    assert_eq!(reverted.deleted, 3 * n);

    println!("| import of {n} customer rows with 2 contacts each (.xlsx, {} KB) | |", file.len() / 1024);
    println!("|---|---|");
    println!("| write the .xlsx | {:.2} s |", written.as_secs_f64());
    println!("| preview (read, map, normalise, validate, match by name) | {:.2} s |", previewed.as_secs_f64());
    println!("| import ({} records, {reports} progress reports) | {:.2} s |", 3 * n, imported.as_secs_f64());
    println!("| preview again (every row matches an existing customer) | {:.2} s |", matched.as_secs_f64());
    println!("| revert ({} records deleted) | {:.2} s |", reverted.deleted, revert.as_secs_f64());
}
