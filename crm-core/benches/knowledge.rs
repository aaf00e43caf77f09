//! The knowledge base on the device: 2,000 articles of some 1,500 characters each (seeded),
//! searched by a word from somewhere in a body, a two-character word, and a title.
//! Run: `cargo bench -p crm-core --bench knowledge`; results go to stdout as a Markdown table.

mod common;

use std::time::Instant;

use common::{ms, percentile};
use crm_core::demo::Rng;
use crm_core::{Kind, Store};
use serde_json::{json, Map as JsonMap, Value as Json};

const ARTICLES: usize = 2_000;
const WORDS: &[&str] = &[
    "安装",
    "调试",
    "保养",
    "润滑",
    "电机",
    "变频器",
    "报价",
    "折扣",
    "合同",
    "回款",
    "发票",
    "客户",
    "拜访",
    "售后",
    "维修",
    "更换",
    "轴承",
    "密封圈",
    "参数",
    "说明",
    "注意",
    "步骤",
    "检查",
    "温度",
];

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let seed = 7;
    println!("seed = {seed}");
    let mut rng = Rng::new(seed);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = Store::open(dir.path().join("crm.sqlite3")).expect("open");
    let mut probes = Vec::new();
    let articles: Vec<(Kind, JsonMap<String, Json>)> = (0..ARTICLES)
        .map(|i| {
            let mut body = format!("# 第 {i} 号知识\n\n");
            while body.chars().count() < 1_500 {
                body.push_str("- ");
                for _ in 0..8 {
                    body.push_str(WORDS[rng.below(WORDS.len())]);
                }
                body.push_str(&format!("型号KB{}\n", rng.below(100_000)));
            }
            if i % 100 == 0 {
                probes.push(body.lines().nth(3).unwrap_or_default().chars().skip(4).take(8).collect::<String>());
            }
            let fields = json!({"title": format!("知识 {i}：{}{}", WORDS[i % WORDS.len()], WORDS[(i / 7) % WORDS.len()]),
                                "body": body, "category": "product"});
            (Kind::Article, fields.as_object().cloned().expect("object"))
        })
        .collect();
    let started = Instant::now();
    store.bulk_create(articles).expect("articles");
    let load = started.elapsed();

    let mut rows = vec![(format!("load {ARTICLES} articles of ~1,500 characters (one batch)"), ms(load))];
    for (what, queries) in [
        ("eight characters from somewhere in a body", probes.clone()),
        ("a two-character word (`保养`)", vec!["保养".to_string(); 20]),
        ("a title", (0..20).map(|i| format!("知识 {}", i * 97)).collect()),
    ] {
        let mut samples = Vec::new();
        for _ in 0..10 {
            for q in &queries {
                let t = Instant::now();
                let hits = store.search(q, &[Kind::Article], 20).expect("search");
                samples.push(t.elapsed());
                assert!(!hits.is_empty(), "{q} finds something");
            }
        }
        let (p50, p95) = (percentile(&mut samples, 0.5), percentile(&mut samples, 0.95));
        rows.push((format!("search {what}: p50 / p95 of {}", samples.len()), format!("{} / {}", ms(p50), ms(p95))));
    }
    println!("\n| measure | result |\n|---|---|");
    for (k, v) in rows {
        println!("| {k} | {v} |");
    }
}
