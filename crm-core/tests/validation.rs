//! Bad requests get a clear, translatable error and change nothing.

mod common;

use common::{doc_ids, dump_read_models, user_id, Replica};
use serde_json::{json, Value as Json};

fn unchanged_after(r: &mut Replica, request: &str) -> Json {
    let docs = doc_ids(&r.store);
    let models = dump_read_models(&r.store);
    let outbox = r.store.outbox_len().expect("outbox");
    let out: Json = serde_json::from_str(&r.store.handle_json(request)).expect("response is JSON");
    assert_eq!(out["type"], "error", "expected an error for {request}: {out}");
    assert!(out["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(doc_ids(&r.store), docs, "records changed after {request}");
    assert_eq!(dump_read_models(&r.store), models, "read models changed after {request}");
    assert_eq!(r.store.outbox_len().expect("outbox"), outbox, "outbox changed after {request}");
    out
}

fn reasons(out: &Json) -> Vec<(String, String)> {
    out["params"]["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| (e["field"].as_str().unwrap_or("").to_string(), e["reason"].as_str().unwrap_or("").to_string()))
        .collect()
}

fn replica_with_customer() -> (Replica, String) {
    let mut r = Replica::new(&user_id(1), "王芳", "admin");
    let id = r.create("customer", json!({"name": "南京通嘉源制造有限公司"}));
    (r, id)
}

#[test]
fn unknown_kind() {
    let (mut r, _) = replica_with_customer();
    let out = unchanged_after(&mut r, r#"{"op":"create","kind":"spaceship","fields":{"name":"x"}}"#);
    assert_eq!(out["code"], "unknown_kind");
    assert_eq!(out["params"]["kind"], "spaceship");
}

#[test]
fn missing_required_field_and_all_other_problems_together() {
    let (mut r, _) = replica_with_customer();
    let out = unchanged_after(
        &mut r,
        r#"{"op":"create","kind":"customer","fields":{"grade":"Z","email":"not-an-email","colour":"red"}}"#,
    );
    assert_eq!(out["code"], "validation");
    let mut got = reasons(&out);
    got.sort();
    assert_eq!(
        got,
        vec![
            ("colour".into(), "unknown_field".into()),
            ("email".into(), "invalid_email".into()),
            ("grade".into(), "unknown_dictionary_value".into()),
            ("name".into(), "required".into()),
        ]
    );
}

#[test]
fn bad_enum_value() {
    let (mut r, customer) = replica_with_customer();
    let req = json!({"op": "create", "kind": "opportunity", "fields": {"customer": customer, "title": "年度框架", "stage": "signed"}});
    let out = unchanged_after(&mut r, &req.to_string());
    assert_eq!(reasons(&out), vec![("stage".to_string(), "invalid_choice".to_string())]);
    assert_eq!(out["params"]["errors"][0]["params"]["allowed"][0], "lead");
}

#[test]
fn money_must_be_integer_minor_units() {
    let (mut r, customer) = replica_with_customer();
    let req = json!({"op": "create", "kind": "opportunity", "fields": {"customer": customer, "title": "x", "amount": {"minor": 12.5, "currency": "CNY"}}});
    let out = unchanged_after(&mut r, &req.to_string());
    assert_eq!(reasons(&out), vec![("amount".to_string(), "money_not_integer".to_string())]);
    let ok = r.call(json!({"op": "create", "kind": "opportunity", "fields": {"customer": customer, "title": "x", "amount": {"minor": 1250000, "currency": "CNY"}}}));
    assert_eq!(ok["fields"]["amount"], json!({"minor": 1250000, "currency": "CNY"}));
    assert_eq!(ok["fields"]["stage"], "lead", "stage defaults to lead");
}

#[test]
fn bad_json_and_bad_shapes() {
    let (mut r, id) = replica_with_customer();
    assert_eq!(unchanged_after(&mut r, r#"{"op":"create","kind":"#)["code"], "bad_request");
    assert_eq!(unchanged_after(&mut r, r#"{"op":"teleport"}"#)["code"], "bad_request");
    assert_eq!(unchanged_after(&mut r, r#"[1,2,3]"#)["code"], "bad_request");
    assert_eq!(unchanged_after(&mut r, r#"{"op":"get","id":"not-a-uuid"}"#)["code"], "validation");
    let missing = unchanged_after(
        &mut r,
        r#"{"op":"update","id":"01a20000-0000-7000-8000-000000000000","fields":{"grade":"A"}}"#,
    );
    assert_eq!(missing["code"], "not_found");
    let wrong_type = unchanged_after(&mut r, &json!({"op": "update", "id": id, "fields": {"name": 42}}).to_string());
    assert_eq!(reasons(&wrong_type), vec![("name".to_string(), "wrong_type".to_string())]);
    let cleared = unchanged_after(&mut r, &json!({"op": "update", "id": id, "fields": {"name": null}}).to_string());
    assert_eq!(reasons(&cleared), vec![("name".to_string(), "required".to_string())]);
    let bad_date = json!({"op": "create", "kind": "activity", "fields": {"customer": id, "type": "visit", "next_follow_up": "2026-02-30"}});
    assert_eq!(
        reasons(&unchanged_after(&mut r, &bad_date.to_string())),
        vec![("next_follow_up".to_string(), "invalid_date".to_string())]
    );
    let dangling = json!({"op": "create", "kind": "contact", "fields": {"customer": "01a20000-0000-7000-8000-000000000000", "name": "张伟"}});
    assert_eq!(
        reasons(&unchanged_after(&mut r, &dangling.to_string())),
        vec![("customer".to_string(), "unknown_reference".to_string())]
    );
    let bad_filter = json!({"op": "list", "kind": "customer", "filter": {"shoe_size": 42}});
    assert_eq!(
        reasons(&unchanged_after(&mut r, &bad_filter.to_string())),
        vec![("shoe_size".to_string(), "unknown_filter".to_string())]
    );
    assert_eq!(unchanged_after(&mut r, r#"{"op":"list","kind":"customer","after":"!!garbage"}"#)["code"], "validation");
}

#[test]
fn garbage_changes_are_refused_and_nothing_is_stored() {
    let (mut r, id) = replica_with_customer();
    let req = json!({"op": "apply_changes", "changes": [{"doc_id": id, "bytes": "AAAA"}]});
    assert_eq!(unchanged_after(&mut r, &req.to_string())["code"], "bad_change");
    let req = json!({"op": "apply_changes", "changes": [{"doc_id": id, "bytes": "%%%"}]});
    assert_eq!(unchanged_after(&mut r, &req.to_string())["code"], "bad_change");
}

#[test]
fn viewers_and_non_admins_are_refused_writes() {
    let (mut r, id) = replica_with_customer();
    r.store.set_identity(&user_id(2), "只读用户", "viewer", None).expect("identity");
    let out = unchanged_after(&mut r, &json!({"op": "update", "id": id, "fields": {"grade": "A"}}).to_string());
    assert_eq!(out["code"], "forbidden");
    r.store.set_identity(&user_id(3), "客户经理", "account_manager", None).expect("identity");
    let req = json!({"op": "create", "kind": "dict_entry", "fields": {"dict": "region", "code": "hk", "label_zh": "香港", "label_en": "Hong Kong"}});
    assert_eq!(unchanged_after(&mut r, &req.to_string())["code"], "forbidden");
}

#[test]
fn lists_amounts_and_times_have_bounds_checked_before_anything_is_written() {
    let (mut r, id) = replica_with_customer();
    let tags: Vec<String> = (0..100_000).map(|i| format!("t{i}")).collect();
    let request = json!({"op": "update", "id": id, "fields": {"tags": tags}}).to_string();
    let started = std::time::Instant::now();
    let out = unchanged_after(&mut r, &request);
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "took {:?}", started.elapsed());
    assert_eq!(reasons(&out), vec![("tags".to_string(), "too_many".to_string())]);

    let huge = json!({"op": "create", "kind": "opportunity",
        "fields": {"title": "x", "customer": id, "amount": {"minor": 9_200_000_000_000_000_000i64, "currency": "CNY"}}});
    let out = unchanged_after(&mut r, &huge.to_string());
    assert_eq!(reasons(&out), vec![("amount".to_string(), "out_of_range".to_string())]);

    let far = json!({"op": "create", "kind": "activity",
        "fields": {"customer": id, "type": "visit", "subject": "x", "time": "99999-01-01T00:00:00Z"}});
    let out: Json = serde_json::from_str(&r.store.handle_json(&far.to_string())).expect("json");
    assert_eq!(out["type"], "error", "{out}");
}

#[test]
fn unknown_keys_are_refused_on_every_request_even_without_fields() {
    let (mut r, _) = replica_with_customer();
    for request in [r#"{"op":"whoami","as":"admin"}"#, r#"{"op":"schema","x":1}"#, r#"{"op":"compact","now":true}"#] {
        let out = unchanged_after(&mut r, request);
        assert_eq!(out["code"], "bad_request", "{request}: {out}");
    }
    let ok: Json = serde_json::from_str(&r.store.handle_json(r#"{"op":"whoami"}"#)).expect("json");
    assert_ne!(ok["type"], "error");
}

#[test]
fn a_record_grown_too_large_to_sync_is_refused_when_written_and_nothing_is_lost() {
    let (mut r, id) = replica_with_customer();
    // Seeded text that does not compress: each rewrite adds about 300 KB to the record.
    let mut rng = crm_core::demo::Rng::new(11);
    let mut last_saved = String::new();
    let mut refused = None;
    for _ in 0..40 {
        let notes: String =
            (0..100_000).map(|_| char::from_u32(0x4e00 + rng.below(20_000) as u32).unwrap_or('字')).collect();
        let out: Json = serde_json::from_str(
            &r.store.handle_json(&json!({"op": "update", "id": id, "fields": {"notes": notes}}).to_string()),
        )
        .expect("json");
        if out["type"] == "error" {
            refused = Some(out);
            break;
        }
        last_saved = notes;
    }
    let refused = refused.expect("the record stops growing at the limit");
    assert_eq!(refused["code"], "too_large", "{refused}");
    assert!(refused["params"]["max"].as_u64().is_some());
    assert_eq!(r.get(&id)["fields"]["notes"], last_saved.as_str(), "the last accepted edit is intact");
    let pending: usize = r.store.outbox(10_000).expect("outbox").iter().map(|e| e.bytes.len()).sum();
    assert!(pending > 0 && r.store.outbox(10_000).expect("outbox").iter().all(|e| e.bytes.len() <= 1 << 20));
}

#[test]
fn permissions_follow_the_role_and_a_viewer_gets_none() {
    let (mut r, id) = replica_with_customer();
    let admin = r.call(json!({"op": "permissions", "id": id}));
    assert_eq!(admin["role"], "admin");
    assert!(admin["actions"].as_array().unwrap().iter().any(|a| a == "change_owner"));
    r.call(json!({"op": "set_identity", "user_id": user_id(2), "display_name": "小王", "role": "account_manager"}));
    // Someone else's customer (the admin's): an account manager may not write it.
    let others = r.call(json!({"op": "permissions", "id": id}));
    assert_eq!(others["actions"], json!([]), "{others}");
    let own = r.call(json!({"op": "create", "kind": "customer", "fields": {"name": "小王的客户"}}))["id"].clone();
    let manager = r.call(json!({"op": "permissions", "id": own}));
    let actions: Vec<&str> = manager["actions"].as_array().unwrap().iter().filter_map(|a| a.as_str()).collect();
    assert!(actions.contains(&"update") && !actions.contains(&"change_owner"), "{manager}");
    assert!(!manager["editable_fields"].as_array().unwrap().iter().any(|f| f == "owner"));
    // Their own customer they may release to the pool; a transfer is a supervisor's.
    let offered: Vec<&str> =
        manager["transitions"].as_array().unwrap().iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(offered, ["release"], "{manager}");
    r.call(json!({"op": "set_identity", "user_id": user_id(3), "display_name": "只读", "role": "viewer"}));
    let viewer = r.call(json!({"op": "permissions", "id": id}));
    assert_eq!(viewer["actions"], json!([]));
    let out = unchanged_after(&mut r, &json!({"op": "update", "id": id, "fields": {"grade": "A"}}).to_string());
    assert_eq!(out["code"], "forbidden");
}

/// Inside a container (tags, phones, custom fields), a value kept by a concurrent edit is
/// checked like the winning one: two devices wrote the same tag, phone and custom field at
/// once, one with the right type and one not — the record has a problem in each field. The
/// same edits with the right types on both sides leave none.
#[test]
fn a_wrong_value_a_concurrent_edit_kept_inside_a_container_is_found() {
    use automerge::transaction::Transactable;
    use automerge::{ActorId, ObjType, ReadDoc, ROOT};
    use crm_core::document::RecordDoc;
    use crm_core::kind::Kind;

    fn merged(wrong: bool) -> Vec<String> {
        let spec = Kind::Customer.spec();
        let name = (spec.field("name").expect("name"), &crm_core::value::FieldValue::Str("常州恒力机电".into()));
        let mut base =
            RecordDoc::create(&ActorId::from(b"base".as_slice()), Kind::Customer, 1_700_000_000_000, "u1", [name])
                .expect("created");
        // A phone both devices then change at once.
        let phones = base.inner().put_object(ROOT, "phones", ObjType::List).expect("phones");
        base.inner().insert(&phones, 0, "025-8888 0000").expect("phone");
        base.inner().commit();
        let mut other = base.fork();
        // An actor that sorts first: its values lose, kept only as the conflict's other value.
        other.set_actor(&ActorId::from(b"aaaa".as_slice()));
        for (doc, right) in [(&mut base, true), (&mut other, !wrong)] {
            let d = doc.inner();
            let phones = phones.clone();
            let container = |d: &mut automerge::AutoCommit, key: &str| match d.get(ROOT, key).expect("read") {
                Some((_, id)) => id,
                None => d.put_object(ROOT, key, ObjType::Map).expect("container"),
            };
            let tags = container(d, "tags");
            let custom = container(d, "custom_fields");
            if right {
                d.put(&tags, "vip", true).expect("tag");
                d.put(&custom, "tax_id", "91320400MA1MXXXX").expect("custom");
                d.put(&phones, 0, "13800138000").expect("phone");
            } else {
                d.put(&tags, "vip", 7i64).expect("tag");
                d.put(&custom, "tax_id", automerge::ScalarValue::Bytes(vec![1, 2, 3])).expect("custom");
                d.put(&phones, 0, 42i64).expect("phone");
            }
            d.commit();
        }
        let theirs = other.inner().save();
        base.inner().merge(&mut automerge::AutoCommit::load(&theirs).expect("load")).expect("merge");
        let mut fields: Vec<String> = base.problems(Kind::Customer).into_iter().map(|p| p.field).collect();
        fields.sort();
        fields
    }
    assert_eq!(merged(false), Vec::<String>::new(), "the right types on both sides");
    assert_eq!(merged(true), ["custom_fields", "phones", "tags"], "each wrong value found beside the right one");
}
