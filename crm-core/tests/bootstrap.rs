//! A bootstrap's snapshots arrive with the read-model rows the server prepared: the device
//! stores them without decoding the documents, after checking each snapshot's framing and
//! checksum, and still merges one it already has.

mod common;

use common::{doc_ids, user_id, Replica};
use crm_core::document::RecordDoc;
use crm_core::sync::protocol::SnapshotDoc;
use serde_json::json;

/// The saved document of `id` on `r`, and its read-model rows, as the server sends them.
fn as_server_sends(r: &mut Replica, id: &str) -> SnapshotDoc {
    let changes = r.store.changes_of(id).expect("changes");
    let mut doc = RecordDoc::load(&[], changes).expect("load");
    let rows = crm_core::projection::prepare(id, &mut doc).expect("rows").encode();
    SnapshotDoc { doc: id.to_string(), bytes: doc.save(), rows: Some(rows) }
}

#[test]
fn snapshots_with_rows_are_stored_checked_and_merged_and_a_damaged_one_fails_its_batch() {
    let mut office = Replica::new(&user_id(1), "王芳", "admin");
    let customer = office.create("customer", json!({"name": "无锡恒达阀门有限公司", "grade": "A"}));
    let sent = as_server_sends(&mut office, &customer);

    // A damaged snapshot (one byte changed on the way): the batch fails, nothing is stored.
    let mut fresh = Replica::new(&user_id(2), "李强", "admin");
    let mut damaged = sent.clone();
    let at = damaged.bytes.len() / 2;
    damaged.bytes[at] ^= 0x55;
    let other = office.create("customer", json!({"name": "常州盛达轴承"}));
    let good_other = as_server_sends(&mut office, &other);
    let before = doc_ids(&fresh.store);
    assert!(
        fresh.store.apply_snapshots(vec![good_other.clone(), damaged], 7).is_err(),
        "a damaged snapshot is refused"
    );
    assert_eq!(doc_ids(&fresh.store), before, "nothing of the failed batch is stored");

    // Sent whole: stored, readable from its rows and from its document.
    fresh.store.apply_snapshots(vec![good_other, sent.clone()], 7).expect("bootstrap");
    let got = fresh.get(&customer);
    assert_eq!(got["fields"]["name"], "无锡恒达阀门有限公司");
    assert_eq!(got["fields"]["grade"], "A");
    let listed = fresh.call(json!({"op": "list", "kind": "customer"}));
    assert_eq!(listed["total"], 2, "both in the read models: {listed}");

    // A record the device has, edited here since: the snapshot merges into it.
    fresh.update(&customer, json!({"address": "无锡市新吴区长江路7号"}));
    office.update(&customer, json!({"grade": "B"}));
    let newer = as_server_sends(&mut office, &customer);
    fresh.store.apply_snapshots(vec![newer], 8).expect("merge");
    let merged = fresh.get(&customer);
    assert_eq!(merged["fields"]["grade"], "B", "theirs");
    assert_eq!(merged["fields"]["address"], "无锡市新吴区长江路7号", "and mine");
}
