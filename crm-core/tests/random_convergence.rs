//! Seeded randomised test: several replicas make random edits while changes are delivered
//! late, duplicated and out of order. In the end every replica holds identical documents and
//! read models, and the read models equal a rebuild from the documents.
//!
//! `CRM_SEED=n` replays a run; `CRM_RANDOM_STEPS=n` makes it longer (default 400).

mod common;

use common::{all_heads, doc_ids, dump_read_models, user_id, Replica};
use crm_core::demo::Rng;
use crm_core::store::IncomingChange;
use serde_json::{json, Value as Json};

const REPLICAS: usize = 4;

fn seed() -> u64 {
    std::env::var("CRM_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(7)
    })
}

/// Take a replica's unsent local changes (and mark them sent).
fn drain_outbox(r: &mut Replica) -> Vec<IncomingChange> {
    let entries = r.store.outbox(1_000_000).expect("outbox");
    let hashes: Vec<String> = entries.iter().map(|e| e.hash.clone()).collect();
    r.store.ack(&hashes).expect("ack");
    entries.into_iter().map(|e| IncomingChange { doc_id: e.doc_id, bytes: e.bytes }).collect()
}

fn customers(r: &Replica) -> Vec<String> {
    let conn = r.store.connection();
    let mut stmt = conn.prepare("SELECT id FROM p_customer ORDER BY id").expect("prepare");
    let ids = stmt.query_map([], |row| row.get(0)).expect("query").collect::<Result<Vec<String>, _>>().expect("rows");
    ids
}

fn random_edit(r: &mut Replica, rng: &mut Rng, step: usize) {
    let known = customers(r);
    let roll = rng.below(100);
    if known.is_empty() || roll < 20 {
        let name =
            format!("{}{}科技有限公司{step}", rng.pick(&["杭州", "成都", "武汉"]), rng.pick(&["恒", "达", "信"]));
        r.create("customer", json!({"name": name, "grade": rng.pick(&["A", "B", "C"])}));
        return;
    }
    let id = rng.pick(&known).clone();
    let fields: Json = match roll {
        20..=34 => json!({"grade": rng.pick(&["A", "B", "C", "D"])}),
        35..=44 => json!({"region": rng.pick(&["east", "north", "south"])}),
        45..=54 => json!({"address": format!("地址{}", rng.below(1000))}),
        55..=64 => {
            let notes = r.get(&id)["fields"]["notes"].as_str().unwrap_or("").to_string();
            json!({"notes": format!("{notes}[{step}]")})
        }
        65..=72 => {
            json!({"tags": [rng.pick(&["VIP", "老客户", "新开发"]).to_string(), format!("t{}", rng.below(4))]})
        }
        73..=78 => json!({"phones": [format!("1380000{:04}", rng.below(10_000))]}),
        79..=84 => {
            r.try_call(json!({"op": "create", "kind": "contact", "allow_duplicate": true,
                "fields": {"customer": id, "name": format!("联系人{step}"), "phones": [format!("139{:08}", step)]}}));
            return;
        }
        85..=92 => {
            r.try_call(json!({"op": "delete", "id": id}));
            return;
        }
        _ => {
            r.try_call(json!({"op": "restore", "id": id}));
            return;
        }
    };
    // Editing a record deleted elsewhere is refused with a clear error; that is fine here.
    let out = r.try_call(json!({"op": "update", "id": id, "fields": fields}));
    assert!(out["type"] == "record" || out["code"] == "deleted", "unexpected: {out}");
}

#[test]
fn replicas_converge_under_late_duplicated_out_of_order_delivery() {
    let seed = seed();
    let steps: usize = std::env::var("CRM_RANDOM_STEPS").ok().and_then(|s| s.parse().ok()).unwrap_or(400);
    println!("random_convergence seed = {seed} (replay with CRM_SEED={seed}), steps = {steps}");
    let mut rng = Rng::new(seed);

    let mut replicas: Vec<Replica> =
        (0..REPLICAS).map(|i| Replica::new(&user_id(i as u8 + 1), &format!("用户{i}"), "admin")).collect();
    let mut queues: Vec<Vec<IncomingChange>> = vec![Vec::new(); REPLICAS];
    let (mut waited, mut duplicates, mut compactions) = (0, 0, 0);

    for step in 0..steps {
        if rng.chance(3) {
            // Fold change rows into snapshots mid-run, with changes still queued or unsent.
            compactions += replicas[rng.below(REPLICAS)].store.compact().expect("compact");
        } else if rng.chance(55) {
            let r = rng.below(REPLICAS);
            random_edit(&mut replicas[r], &mut rng, step);
            for change in drain_outbox(&mut replicas[r]) {
                for (dest, queue) in queues.iter_mut().enumerate() {
                    if dest != r {
                        queue.push(change.clone());
                    }
                }
            }
        } else {
            let dest = rng.below(REPLICAS);
            let queue = &mut queues[dest];
            if queue.is_empty() {
                continue;
            }
            let mut batch = Vec::new();
            for _ in 0..=rng.below(queue.len().min(8)) {
                let i = rng.below(queue.len());
                // Sometimes deliver a copy and keep the original: it arrives again later.
                let change = if rng.chance(20) { queue[i].clone() } else { queue.swap_remove(i) };
                batch.push(change);
                if queue.is_empty() {
                    break;
                }
            }
            let report = replicas[dest].store.apply_changes(batch).expect("apply batch");
            waited += report.waiting;
            duplicates += report.duplicates;
        }
    }

    // The network heals: everything still in flight arrives, shuffled.
    for (dest, queue) in queues.iter_mut().enumerate() {
        while !queue.is_empty() {
            let i = rng.below(queue.len());
            let change = queue.swap_remove(i);
            replicas[dest].store.apply_changes(vec![change]).expect("apply late change");
        }
    }

    println!("waiting-for-dependency reports: {waited}, duplicates: {duplicates}, compactions: {compactions}");
    assert!(
        waited > 0 && duplicates > 0 && compactions > 0,
        "the run must exercise reordering, duplicates and compaction"
    );
    let ids = doc_ids(&replicas[0].store);
    assert!(ids.len() > 60, "the run should have produced records, got {}", ids.len());
    let reference_heads: Vec<Vec<String>> = ids.iter().map(|id| replicas[0].store.heads(id).expect("heads")).collect();
    let reference_docs = all_heads(&mut replicas[0].store);
    let reference_models = dump_read_models(&replicas[0].store);
    for (n, r) in replicas.iter_mut().enumerate().skip(1) {
        assert_eq!(doc_ids(&r.store), ids, "replica {n} has different records (seed {seed})");
        for (id, heads) in ids.iter().zip(&reference_heads) {
            assert_eq!(&r.store.heads(id).expect("heads"), heads, "replica {n} record {id} heads differ (seed {seed})");
        }
        assert_eq!(all_heads(&mut r.store), reference_docs, "replica {n} documents differ (seed {seed})");
        assert_eq!(dump_read_models(&r.store), reference_models, "replica {n} read models differ (seed {seed})");
    }
    for r in &mut replicas {
        let before = dump_read_models(&r.store);
        r.store.rebuild_projections().expect("rebuild");
        assert_eq!(dump_read_models(&r.store), before, "read models differ from a rebuild (seed {seed})");
    }
}
