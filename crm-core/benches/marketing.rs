//! Marketing on the device: the knowledge base — 2,000 articles of some 1,500 characters each
//! (seeded), searched by a word from somewhere in a body, a two-character word, and a title —
//! and a campaign's effect over 20,000 leads, 2,000 of them converted into opportunities.
//! Run: `cargo bench -p crm-core --bench marketing`; results go to stdout as a Markdown table.

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
    rows.extend(campaign_effect(&mut store, &mut rng));
    println!("\n| measure | result |\n|---|---|");
    for (k, v) in rows {
        println!("| {k} | {v} |");
    }
}

const LEADS: usize = 20_000;
const CONVERTED: usize = 2_000;

fn campaign_effect(store: &mut Store, rng: &mut Rng) -> Vec<(String, String)> {
    let campaign = store
        .bulk_create(vec![(
            Kind::Campaign,
            json!({"name": "秋季展会", "type": "exhibition", "actual_cost": {"minor": 1_200_000, "currency": "CNY"}})
                .as_object()
                .cloned()
                .expect("object"),
        )])
        .expect("campaign")
        .remove(0);
    let leads: Vec<(Kind, JsonMap<String, Json>)> = (0..LEADS)
        .map(|i| {
            let fields = json!({"name": format!("访客{i}"), "phones": [format!("139{:08}", i)], "campaign": campaign});
            (Kind::Lead, fields.as_object().cloned().expect("object"))
        })
        .collect();
    let lead_ids = store.bulk_create(leads).expect("leads");
    let customers: Vec<(Kind, JsonMap<String, Json>)> = (0..CONVERTED)
        .map(|i| (Kind::Customer, json!({"name": format!("展会客户{i}")}).as_object().cloned().expect("object")))
        .collect();
    let customer_ids = store.bulk_create(customers).expect("customers");
    let opportunities: Vec<(Kind, JsonMap<String, Json>)> = customer_ids
        .iter()
        .map(|c| {
            let stage = if rng.below(4) == 0 { "won" } else { "proposal" };
            let fields = json!({"customer": c, "title": "展会商机", "stage": stage,
                                "amount": {"minor": (rng.below(1_000) as i64 + 1) * 100_000, "currency": "CNY"}});
            (Kind::Opportunity, fields.as_object().cloned().expect("object"))
        })
        .collect();
    let opportunity_ids = store.bulk_create(opportunities).expect("opportunities");
    for i in 0..CONVERTED {
        let fields = json!({"converted_customer": customer_ids[i], "converted_opportunity": opportunity_ids[i]});
        store
            .transition(&lead_ids[i * (LEADS / CONVERTED)], "convert", fields.as_object().expect("object"))
            .expect("convert");
    }
    let mut samples = Vec::new();
    let mut effect = None;
    for _ in 0..50 {
        let t = Instant::now();
        effect = Some(store.campaign_effect(&campaign).expect("effect"));
        samples.push(t.elapsed());
    }
    let effect = effect.expect("measured");
    assert_eq!(
        (effect.leads, effect.converted, effect.opportunities),
        (LEADS as i64, CONVERTED as i64, CONVERTED as i64)
    );
    let (p50, p95) = (percentile(&mut samples, 0.5), percentile(&mut samples, 0.95));
    vec![(
        format!(
            "campaign effect over {LEADS} leads, {CONVERTED} converted into opportunities ({} won): p50 / p95 of 50",
            effect.won
        ),
        format!("{} / {}", ms(p50), ms(p95)),
    )]
}
