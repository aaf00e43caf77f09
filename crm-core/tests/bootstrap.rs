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

/// A record whose stored snapshot does not load is set aside (`store::load_doc`): until it is
/// repaired it is neither shown nor edited, and the server refusing one of its unsent edits
/// takes that edit and those built on it out of the outbox into the refused list, leaving the
/// rest — the record, its other unsent edit — as it was, though the edits this device still
/// holds wait for changes that were only in the snapshot.
#[test]
fn a_record_set_aside_as_unreadable_is_not_edited_and_a_refusal_takes_only_its_refused_edits() {
    use crm_core::sync::protocol::Refused;
    let mut r = Replica::new(&user_id(1), "王芳", "admin");
    let customer = r.create("customer", json!({"name": "扬州华宇电器有限公司"}));
    r.update(&customer, json!({"grade": "B"}));
    let hashes = |r: &Replica| -> Vec<String> {
        r.store.outbox(100).expect("outbox").into_iter().filter(|e| e.doc_id == customer).map(|e| e.hash).collect()
    };
    // Acknowledged and folded into the snapshot: their change rows are gone.
    let acked = hashes(&r);
    r.store.ack(&acked).expect("ack");
    for h in &acked {
        let bytes = crm_core::store::hex_decode(h).expect("hex");
        r.store.connection().execute("DELETE FROM changes WHERE hash = ?", [bytes]).expect("fold");
    }
    r.update(&customer, json!({"address": "扬州市邗江区文昌西路1号"}));
    r.update(&customer, json!({"notes": "每月回访"}));
    r.update(&customer, json!({"tags": ["VIP"]}));
    let other = r.create("customer", json!({"name": "泰州永兴化工有限公司"}));
    let unsent = hashes(&r);
    assert_eq!(unsent.len(), 3, "three edits, each built on the one before");
    r.store
        .connection()
        .execute("UPDATE docs SET snapshot = x'856f4a8300010203' WHERE id = ?", [&customer])
        .expect("damage the snapshot");
    // Opened again, so that the record is read from the database, not from memory.
    let elsewhere = r.dir.path().join("elsewhere.sqlite3");
    drop(std::mem::replace(&mut r.store, crm_core::store::Store::open(&elsewhere).expect("another store")));
    r.store = crm_core::store::Store::open(r.path()).expect("reopen");

    let read = r.try_call(json!({"op": "get", "id": customer}));
    assert_eq!(read["code"], "corrupt", "{read}");
    assert_eq!(r.store.unreadable_docs(10).expect("unreadable"), vec![customer.clone()]);
    let edit = r.try_call(json!({"op": "update", "id": customer, "fields": {"grade": "A"}}));
    assert_eq!(edit["code"], "corrupt", "{edit}");

    let refused = Refused {
        hash: unsent[1].clone(),
        doc: customer.clone(),
        code: "invalid_record".into(),
        reason: "备注过长".into(),
        params: None,
    };
    r.store.settle(&[], &[refused]).expect("settle");
    assert_eq!(hashes(&r), vec![unsent[0].clone()], "the edit before the refused one is still to be sent");
    let kept: Vec<String> = r.store.rejected_edits().expect("rejected").into_iter().map(|e| e.hash).collect();
    assert_eq!(kept.len(), 2, "the refused edit and the one built on it: {kept:?}");
    assert!(kept.contains(&unsent[1]) && kept.contains(&unsent[2]), "{kept:?}");
    assert!(doc_ids(&r.store).contains(&customer), "the record itself is not removed");
    assert_eq!(r.get(&other)["fields"]["name"], "泰州永兴化工有限公司");
}
