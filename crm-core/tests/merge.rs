//! Two salespeople edit one customer on two devices without a network, then exchange changes.

mod common;

use common::{dump_read_models, send, user_id, Replica};
use serde_json::json;

/// Two replicas that share one customer and know both users.
fn two_devices() -> (Replica, Replica, String) {
    let mut a = Replica::new(&user_id(1), "王芳", "admin");
    let mut b = Replica::new(&user_id(2), "李强", "admin");
    for (id, name) in [(user_id(1), "王芳"), (user_id(2), "李强")] {
        a.call(json!({"op": "create", "kind": "user", "id": id, "fields": {
            "username": name, "display_name": name, "role": "admin"}}));
    }
    let customer =
        a.create("customer", json!({"name": "苏州恒泰精密机械有限公司", "grade": "B", "notes": "初次拜访。"}));
    send(&mut a, &mut b);
    send(&mut b, &mut a);
    (a, b, customer)
}

fn assert_same(a: &mut Replica, b: &mut Replica, id: &str) {
    assert_eq!(a.get(id), b.get(id), "documents differ");
    assert_eq!(dump_read_models(&a.store), dump_read_models(&b.store), "read models differ");
}

#[test]
fn edits_to_different_fields_both_survive_in_either_order() {
    for a_first in [true, false] {
        let (mut a, mut b, id) = two_devices();
        a.update(&id, json!({"grade": "A"}));
        b.update(&id, json!({"region": "east", "phones": ["0512-66881234"]}));
        if a_first {
            send(&mut a, &mut b);
            send(&mut b, &mut a);
        } else {
            send(&mut b, &mut a);
            send(&mut a, &mut b);
        }
        let record = a.get(&id);
        assert_eq!(record["fields"]["grade"], "A");
        assert_eq!(record["fields"]["region"], "east");
        assert_eq!(record["fields"]["phones"], json!(["0512-66881234"]));
        assert!(record.get("conflicts").is_none(), "no conflict expected: {record}");
        assert_same(&mut a, &mut b, &id);
    }
}

#[test]
fn same_field_edits_are_kept_as_a_conflict_naming_both_authors_until_resolved() {
    let (mut a, mut b, id) = two_devices();
    a.update(&id, json!({"address": "苏州工业园区星湖街328号"}));
    b.update(&id, json!({"address": "苏州市吴中区东吴北路99号"}));
    send(&mut a, &mut b);
    send(&mut b, &mut a);
    assert_same(&mut a, &mut b, &id);

    for r in [&mut a, &mut b] {
        let record = r.get(&id);
        let candidates = record["conflicts"]["address"].as_array().expect("conflict on address").clone();
        assert_eq!(candidates.len(), 2);
        let mut authors: Vec<&str> = candidates.iter().map(|c| c["user_id"].as_str().unwrap_or("")).collect();
        authors.sort();
        assert_eq!(authors, vec![user_id(1).as_str(), user_id(2).as_str()]);
        let mut values: Vec<&str> = candidates.iter().map(|c| c["value"].as_str().unwrap_or("")).collect();
        values.sort();
        assert_eq!(values, vec!["苏州工业园区星湖街328号", "苏州市吴中区东吴北路99号"]);
        assert_eq!(record["names"][user_id(1)], "王芳");
        assert_eq!(record["names"][user_id(2)], "李强");
        let listed = r.call(json!({"op": "list", "kind": "customer", "filter": {"grade": "B"}}));
        assert_eq!(listed["items"][0]["has_conflicts"], true);
        assert_eq!(
            listed["items"][0]["fields"]["address"], record["fields"]["address"],
            "lists show the same winning value as the record"
        );
    }

    b.call(json!({"op": "resolve_conflict", "id": id, "field": "address", "value": "苏州市吴中区东吴北路99号"}));
    send(&mut b, &mut a);
    for r in [&mut a, &mut b] {
        let record = r.get(&id);
        assert!(record.get("conflicts").is_none(), "conflict should be gone: {record}");
        assert_eq!(record["fields"]["address"], "苏州市吴中区东吴北路99号");
    }
    assert_same(&mut a, &mut b, &id);

    let again = a.try_call(json!({"op": "resolve_conflict", "id": id, "field": "address", "value": "x"}));
    assert_eq!(again["code"], "no_conflict");
}

#[test]
fn notes_appended_on_both_devices_keep_both_texts() {
    let (mut a, mut b, id) = two_devices();
    a.update(&id, json!({"notes": "初次拜访。王总要报价。"}));
    b.update(&id, json!({"notes": "初次拜访。下周送样品。"}));
    send(&mut a, &mut b);
    send(&mut b, &mut a);
    let notes = a.get(&id)["fields"]["notes"].as_str().unwrap_or_default().to_string();
    assert!(notes.starts_with("初次拜访。"), "{notes}");
    assert!(notes.contains("王总要报价。"), "{notes}");
    assert!(notes.contains("下周送样品。"), "{notes}");
    assert_same(&mut a, &mut b, &id);
}

/// Text only inserted on one device and only cut on the other is written as one splice each
/// (no diff); both edits land, at the right characters of a Chinese text.
#[test]
fn notes_inserted_into_on_one_device_and_cut_on_the_other_keep_both_edits() {
    let (mut a, mut b, id) = two_devices();
    a.update(&id, json!({"notes": "初次拜访。王总在。送了样品。"}));
    send(&mut a, &mut b);
    a.update(&id, json!({"notes": "初次拜访。王总在，要报价。送了样品。"}));
    b.update(&id, json!({"notes": "初次拜访。王总在。"}));
    assert_eq!(a.get(&id)["fields"]["notes"], "初次拜访。王总在，要报价。送了样品。");
    assert_eq!(b.get(&id)["fields"]["notes"], "初次拜访。王总在。");
    send(&mut a, &mut b);
    send(&mut b, &mut a);
    assert_eq!(a.get(&id)["fields"]["notes"], "初次拜访。王总在，要报价。");
    assert_same(&mut a, &mut b, &id);
    b.update(&id, json!({"notes": ""}));
    assert_eq!(b.get(&id)["fields"]["notes"], "");
}
#[test]
fn tags_and_plan_steps_added_on_two_devices_merge() {
    let (mut a, mut b, id) = two_devices();
    a.update(&id, json!({"tags": ["VIP"]}));
    b.update(&id, json!({"tags": ["老客户"]}));
    let opp =
        a.create("opportunity", json!({"customer": id, "title": "设备升级", "plan_steps": [{"action": "需求调研"}]}));
    send(&mut a, &mut b);
    a.update(&opp, json!({"plan_steps": [{"action": "需求调研"}, {"action": "方案演示", "date": "2026-12-01"}]}));
    b.update(&opp, json!({"plan_steps": [{"action": "需求调研", "result": "已完成"}, {"action": "报价"}]}));
    send(&mut a, &mut b);
    send(&mut b, &mut a);
    let tags = a.get(&id)["fields"]["tags"].clone();
    assert_eq!(tags, json!(["VIP", "老客户"]));
    let steps = a.get(&opp)["fields"]["plan_steps"].as_array().cloned().unwrap_or_default();
    let actions: Vec<&str> = steps.iter().map(|s| s["action"].as_str().unwrap_or("")).collect();
    assert_eq!(steps.len(), 3, "{steps:?}");
    assert!(actions.contains(&"方案演示") && actions.contains(&"报价"), "{actions:?}");
    assert_eq!(steps[0]["result"], "已完成");
    assert_same(&mut a, &mut b, &opp);
    let tagged = b.call(json!({"op": "list", "kind": "customer", "tag": "老客户"}));
    assert_eq!(tagged["total"], 1);
}

#[test]
fn delete_on_one_device_and_restore_sync_as_fields() {
    let (mut a, mut b, id) = two_devices();
    a.call(json!({"op": "delete", "id": id}));
    send(&mut a, &mut b);
    assert!(b.get(&id)["deleted_at"].is_string());
    assert_eq!(b.call(json!({"op": "list", "kind": "customer"}))["total"], 0);
    assert_eq!(b.call(json!({"op": "list", "kind": "customer", "deleted": "only"}))["total"], 1);
    let refused = b.try_call(json!({"op": "update", "id": id, "fields": {"grade": "A"}}));
    assert_eq!(refused["code"], "deleted");
    b.call(json!({"op": "restore", "id": id}));
    send(&mut b, &mut a);
    assert!(a.get(&id)["deleted_at"].is_null());
    assert_eq!(a.call(json!({"op": "list", "kind": "customer"}))["total"], 1);
    assert_same(&mut a, &mut b, &id);
}

#[test]
fn history_names_who_changed_which_fields() {
    let (mut a, mut b, id) = two_devices();
    a.update(&id, json!({"grade": "A", "website": "www.hengtai.cn"}));
    send(&mut a, &mut b);
    b.update(&id, json!({"status": "active"}));
    b.call(json!({"op": "delete", "id": id}));
    let history = b.call(json!({"op": "history", "id": id}));
    let entries = history["entries"].as_array().cloned().unwrap_or_default();
    let summary: Vec<(String, String, Vec<String>)> = entries
        .iter()
        .map(|e| {
            let who = history["names"][e["user_id"].as_str().unwrap_or("")].as_str().unwrap_or("?").to_string();
            let fields =
                e["fields"].as_array().into_iter().flatten().map(|f| f.as_str().unwrap_or("").to_string()).collect();
            (who, e["action"].as_str().unwrap_or("").to_string(), fields)
        })
        .collect();
    assert_eq!(summary[0].0, "王芳");
    assert_eq!(summary[0].1, "create");
    assert!(summary[0].2.contains(&"name".to_string()));
    assert_eq!(summary[1], ("王芳".into(), "update".into(), vec!["grade".into(), "website".into()]));
    assert_eq!(summary[2], ("李强".into(), "update".into(), vec!["status".into()]));
    assert_eq!(summary[3].1, "delete");
}

/// The record's own keys read on the server's one pass over a document (`checked_snapshot`)
/// are the ones read key by key, also when two devices wrote one of them concurrently.
#[test]
fn root_keys_read_in_one_pass_are_the_winning_ones() {
    use crm_core::document::RecordDoc;
    use crm_core::kind::Kind;
    use crm_core::value::FieldValue;
    let actor = |n: u8| automerge::ActorId::from(vec![n; 16]);
    let name = [("name", FieldValue::Str("南京通嘉源制造有限公司".into()))];
    let mut a = RecordDoc::create_named(&actor(1), Kind::Customer, 1_700_000_000_000, "u1", &name).expect("created");
    a.commit("u1", 1_700_000_000);
    let mut b = a.fork();
    b.set_actor(&actor(2));
    a.set_deleted(Some(1_700_000_001_000)).expect("deleted on a");
    a.commit("u1", 1_700_000_001);
    b.set_deleted(Some(1_700_000_002_000)).expect("deleted on b");
    let from_b = b.commit("u2", 1_700_000_002).expect("a change");
    a.apply(vec![from_b]).expect("merged");
    let (_, _, _, root) = a.checked_snapshot(Kind::Customer);
    assert_eq!(root, a.root_meta());
    assert_eq!(root.kind, Some(Kind::Customer));
    assert_eq!(root.created_by.as_deref(), Some("u1"));
    assert_eq!(root.created_at, Some(1_700_000_000_000));
    assert!(root.deleted_at.is_some(), "one of the two deletions wins");
    let (_, _, _, fresh) = RecordDoc::empty().checked_snapshot(Kind::Customer);
    assert_eq!(fresh, RecordDoc::empty().root_meta());
}
