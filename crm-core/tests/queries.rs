//! Lists, the customer 360, follow-ups, dormant customers, duplicate warnings, codes,
//! fields from newer versions, and the bounded document cache.

mod common;

use std::collections::HashSet;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc, ROOT};
use chrono::{Duration, Utc};
use common::{user_id, Replica};
use crm_core::store::IncomingChange;
use serde_json::{json, Value as Json};

const GRADES: [&str; 3] = ["A", "B", "C"];

fn days_ago(n: i64) -> String {
    (Utc::now() - Duration::days(n)).to_rfc3339()
}

/// The date `n` days from today in the company's time zone (Asia/Shanghai, the default), as
/// the device counts days: in UTC the test failed from 16:00 to midnight, when Shanghai's today
/// is already tomorrow.
fn date_in(n: i64) -> String {
    (Utc::now().with_timezone(&chrono_tz::Asia::Shanghai) + Duration::days(n))
        .date_naive()
        .format("%Y-%m-%d")
        .to_string()
}

fn ids(page: &Json) -> Vec<String> {
    page["items"].as_array().into_iter().flatten().map(|i| i["id"].as_str().unwrap_or("").to_string()).collect()
}

#[test]
fn keyset_pages_cover_every_record_once_in_order() {
    let mut r = Replica::new(&user_id(1), "王芳", "admin");
    let records: Vec<Json> = (0..120)
        .map(|i| json!({"kind": "customer", "fields": {"name": format!("客户{:03}", (i * 37) % 120), "grade": GRADES[i % 3]}}))
        .collect();
    r.call(json!({"op": "bulk_create", "records": records}));
    for desc in [false, true] {
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = r.call(
                json!({"op": "list", "kind": "customer", "sort": "name", "desc": desc, "limit": 50, "after": after}),
            );
            assert_eq!(page["total"], 120);
            seen.extend(
                page["items"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|i| i["fields"]["name"].as_str().unwrap_or("").to_string()),
            );
            match page["next"].as_str() {
                Some(next) => after = Some(next.to_string()),
                None => break,
            }
        }
        let mut expected: Vec<String> = (0..120).map(|i| format!("客户{i:03}")).collect();
        if desc {
            expected.reverse();
        }
        assert_eq!(seen, expected);
    }
    let a = r.call(json!({"op": "list", "kind": "customer", "filter": {"grade": "A"}}));
    assert_eq!(a["total"], 40);
    let ab = r.call(json!({"op": "list", "kind": "customer", "filter": {"grade": ["A", "B"]}, "limit": 500}));
    assert_eq!(ab["total"], 80);
    assert_eq!(ids(&ab).len(), 80);
    let mine = r.call(json!({"op": "list", "kind": "customer", "filter": {"owner": user_id(1)}}));
    assert_eq!(mine["total"], 120, "owner defaults to the current user");
    let future = r.call(json!({"op": "list", "kind": "customer", "created_from": date_in(1)}));
    assert_eq!(future["total"], 0);
    let recent =
        r.call(json!({"op": "list", "kind": "customer", "updated_since": days_ago(1), "created_to": date_in(1)}));
    assert_eq!(recent["total"], 120);
}

#[test]
fn customer_360_follow_ups_and_dormant_customers() {
    let mut r = Replica::new(&user_id(1), "王芳", "admin");
    let busy = r.create("customer", json!({"name": "武汉汇博实业有限公司"}));
    let answered = r.create("customer", json!({"name": "厦门佳兴包装有限公司"}));
    let quiet = r.create("customer", json!({"name": "沈阳德源化工有限公司"}));
    let never = r.create("customer", json!({"name": "大连中海物流有限公司"}));
    let contact = r.create("contact", json!({"customer": busy, "name": "周杰", "is_primary": true}));
    r.create("activity", json!({"customer": busy, "contact": contact, "type": "visit", "time": days_ago(10), "subject": "首次拜访", "next_follow_up": date_in(-1)}));
    r.create("activity", json!({"customer": busy, "type": "call", "time": days_ago(20), "subject": "电话预约"}));
    r.create(
        "activity",
        json!({"customer": answered, "type": "visit", "time": days_ago(8), "next_follow_up": date_in(-2)}),
    );
    r.create(
        "activity",
        json!({"customer": answered, "type": "call", "time": days_ago(1), "next_follow_up": date_in(30)}),
    );
    r.create("activity", json!({"customer": quiet, "type": "visit", "time": days_ago(90)}));
    r.create("opportunity", json!({"customer": busy, "title": "新产线配套", "stage": "proposal", "amount": {"minor": 88_000_000, "currency": "CNY"}}));

    let view = r.call(json!({"op": "customer360", "id": busy}));
    assert_eq!(view["customer"]["fields"]["name"], "武汉汇博实业有限公司");
    assert_eq!(view["contacts"][0]["fields"]["name"], "周杰");
    let subjects: Vec<&str> = view["activities"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| a["fields"]["subject"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(subjects, vec!["首次拜访", "电话预约"], "newest first");
    assert_eq!(view["opportunities"][0]["fields"]["amount"]["minor"], 88_000_000);

    let due = r.call(json!({"op": "follow_ups", "by": date_in(0)}));
    let due_customers: Vec<&str> =
        due["items"].as_array().into_iter().flatten().map(|f| f["customer_name"].as_str().unwrap_or("")).collect();
    assert_eq!(
        due_customers,
        vec!["武汉汇博实业有限公司"],
        "a newer activity answers a follow-up; future ones are not due"
    );
    assert_eq!(due["items"][0]["overdue"], true);
    let later = r.call(json!({"op": "follow_ups", "by": date_in(31)}));
    assert_eq!(later["items"].as_array().map(Vec::len), Some(2));
    let others = r.call(json!({"op": "follow_ups", "by": date_in(0), "owner": user_id(7)}));
    assert_eq!(others["items"].as_array().map(Vec::len), Some(0));

    let dormant = r.call(json!({"op": "dormant", "days": 30}));
    let names: Vec<&str> = dormant["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| d["customer"]["fields"]["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, vec!["大连中海物流有限公司", "沈阳德源化工有限公司"], "never visited first, then the quietest");
    assert!(dormant["items"][1]["days_quiet"].as_i64().is_some_and(|d| d >= 89));
    let _ = never;
}

#[test]
fn duplicate_warning_lists_candidates_and_the_user_may_still_create() {
    let mut r = Replica::new(&user_id(1), "王芳", "admin");
    let first = r.create("customer", json!({"name": "杭州宏达科技有限公司", "phones": ["0571-88885678"]}));
    let warn = r.call(json!({"op": "create", "kind": "customer", "fields": {"name": "杭州 宏达科技", "grade": "A"}}));
    assert_eq!(warn["type"], "duplicates");
    assert_eq!(warn["candidates"][0]["id"], first.as_str());
    assert_eq!(warn["candidates"][0]["matched"], json!(["name"]));
    let by_phone = r.call(json!({"op": "create", "kind": "customer", "fields": {"name": "宏达（杭州）", "phones": ["+86 571 8888 5678"]}}));
    assert_eq!(by_phone["candidates"][0]["matched"], json!(["phones"]));
    assert_eq!(r.call(json!({"op": "list", "kind": "customer"}))["total"], 1, "a warning creates nothing");
    let created = r.call(
        json!({"op": "create", "kind": "customer", "fields": {"name": "杭州 宏达科技"}, "allow_duplicate": true}),
    );
    assert_eq!(created["type"], "record");
    let other = r.create("customer", json!({"name": "别的公司"}));
    r.create("contact", json!({"customer": first, "name": "张伟"}));
    let same_name_elsewhere =
        r.call(json!({"op": "create", "kind": "contact", "fields": {"customer": other, "name": "张伟"}}));
    assert_eq!(same_name_elsewhere["type"], "record", "contact names are only duplicates within one customer");
    let check =
        r.call(json!({"op": "check_duplicates", "kind": "contact", "fields": {"customer": first, "name": "张 伟"}}));
    assert_eq!(check["candidates"].as_array().map(Vec::len), Some(1));
}

#[test]
fn codes_are_minted_per_device_and_never_collide() {
    let mut a = Replica::new(&user_id(1), "王芳", "admin");
    let mut b = Replica::new(&user_id(2), "李强", "admin");
    let mut codes = HashSet::new();
    for r in [&mut a, &mut b] {
        for i in 0..30 {
            let id = r.create("customer", json!({"name": format!("公司{i}")}));
            let code = r.get(&id)["fields"]["code"].as_str().unwrap_or("").to_string();
            assert!(code.starts_with("C-") && code.len() == 13, "{code}");
            assert!(codes.insert(code.clone()), "code {code} minted twice");
        }
    }
    let id = a.create("customer", json!({"name": "自带编码", "code": "KH-9"}));
    a.update(&id, json!({"code": "KH-9", "grade": "A"}));
    let taken = a.try_call(json!({"op": "create", "kind": "customer", "fields": {"name": "另一家", "code": "KH-9"}, "allow_duplicate": true}));
    assert_eq!(taken["params"]["errors"][0]["reason"], "duplicate_code");
}

#[test]
fn fields_written_by_a_newer_version_survive_local_edits() {
    let mut r = Replica::new(&user_id(1), "王芳", "admin");
    let id = "01a20000-0000-7000-8000-00000000abcd";
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "kind", "customer").expect("put");
    doc.put(ROOT, "schema", 2).expect("put");
    doc.put(ROOT, "name", "未来版本客户").expect("put");
    doc.put(ROOT, "loyalty_points", 500_000).expect("put");
    let loyalty = doc.put_object(ROOT, "loyalty", ObjType::Map).expect("put");
    doc.put(&loyalty, "tier", "gold").expect("put");
    doc.commit();
    let bytes: Vec<Vec<u8>> = doc.get_changes(&[]).into_iter().map(|mut c| c.bytes().into_owned()).collect();
    r.store
        .apply_changes(bytes.into_iter().map(|bytes| IncomingChange { doc_id: id.into(), bytes }).collect())
        .expect("apply");
    r.update(id, json!({"grade": "A", "name": "未来版本客户（已改名）"}));
    let view = r.get(id);
    assert_eq!(view["extra"]["loyalty_points"], 500_000);
    assert_eq!(view["extra"]["loyalty"], json!({"tier": "gold"}));
    let mut reloaded = AutoCommit::new();
    let changes = r.store.changes_of(id).expect("changes");
    reloaded
        .apply_changes(changes.into_iter().map(|b| automerge::Change::from_bytes(b).expect("change")))
        .expect("load");
    assert!(reloaded.get(ROOT, "loyalty_points").expect("get").is_some());
    assert!(reloaded.get(ROOT, "loyalty").expect("get").is_some());
}

#[test]
fn memory_holds_a_bounded_number_of_documents() {
    let mut r = Replica::new(&user_id(1), "王芳", "admin");
    let records: Vec<Json> =
        (0..600).map(|i| json!({"kind": "customer", "fields": {"name": format!("公司{i}")}})).collect();
    let created = r.call(json!({"op": "bulk_create", "records": records}));
    for id in created["ids"].as_array().into_iter().flatten() {
        r.get(id.as_str().unwrap_or(""));
    }
    assert!(r.store.cached_docs() <= 256, "cache grew to {}", r.store.cached_docs());
}

#[test]
fn dictionaries_start_with_defaults_in_both_languages() {
    let mut r = Replica::new(&user_id(1), "王芳", "admin");
    let grades = r.call(json!({"op": "dictionary", "dict": "customer_grade"}));
    let entries = grades["entries"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 4);
    assert_eq!(entries[0]["fields"]["code"], "A");
    assert!(entries.iter().all(|e| e["fields"]["label_zh"].is_string() && e["fields"]["label_en"].is_string()));
    r.call(json!({"op": "create", "kind": "dict_entry", "fields": {"dict": "region", "code": "hk", "label_zh": "港澳", "label_en": "HK & Macau"}}));
    let id = r.create("customer", json!({"name": "港资公司", "region": "hk"}));
    assert_eq!(r.get(&id)["fields"]["region"], "hk");
}

#[test]
fn pipeline_groups_open_opportunities_by_stage_with_totals_per_currency() {
    let mut r = Replica::new(&user_id(1), "王芳", "admin");
    let customer = r.call(json!({"op": "create", "kind": "customer", "fields": {"name": "杭州宏达科技有限公司"}}));
    let cid = customer["id"].as_str().unwrap().to_string();
    let opp = |title: &str, stage: &str, minor: i64, currency: &str| {
        json!({"kind": "opportunity", "fields": {"customer": cid, "title": title, "stage": stage,
               "amount": {"minor": minor, "currency": currency}}})
    };
    r.call(json!({"op": "bulk_create", "records": [
        opp("设备升级", "proposal", 88_000_000, "CNY"),
        opp("备件", "proposal", 1_250_050, "CNY"),
        opp("Export line", "proposal", 500_000, "USD"),
        opp("年度维保", "won", 12_000_000, "CNY"),
    ]}));
    let gone = r.call(
        json!({"op": "create", "kind": "opportunity", "fields": {"customer": cid, "title": "作废", "stage": "lead"}}),
    );
    r.call(json!({"op": "delete", "id": gone["id"]}));

    let board = r.call(json!({"op": "pipeline", "all_owners": true}));
    let stages: Vec<&str> = board["stages"].as_array().unwrap().iter().map(|s| s["stage"].as_str().unwrap()).collect();
    assert_eq!(stages, ["lead", "qualified", "proposal", "negotiation", "won", "lost"]);
    let stage = |name: &str| board["stages"].as_array().unwrap().iter().find(|s| s["stage"] == name).unwrap().clone();
    assert_eq!(stage("lead")["count"], 0, "deleted opportunities are not on the board");
    let proposal = stage("proposal");
    assert_eq!(proposal["count"], 3);
    assert_eq!(
        proposal["totals"],
        json!([{"minor": 89_250_050, "currency": "CNY"}, {"minor": 500_000, "currency": "USD"}]),
        "integer sums per currency, never mixed"
    );
    assert_eq!(proposal["cards"].as_array().unwrap().len(), 3);
    assert_eq!(proposal["cards"][0]["customer_name"], "杭州宏达科技有限公司");
    assert_eq!(stage("won")["totals"], json!([{"minor": 12_000_000, "currency": "CNY"}]));

    // Moving a card is an update of its stage; the board follows.
    let card = proposal["cards"][0]["opportunity"]["id"].clone();
    r.call(json!({"op": "update", "id": card, "fields": {"stage": "negotiation"}}));
    let board = r.call(json!({"op": "pipeline", "all_owners": true}));
    let negotiation = board["stages"].as_array().unwrap().iter().find(|s| s["stage"] == "negotiation").unwrap();
    assert_eq!(negotiation["count"], 1);
    assert_eq!(negotiation["cards"][0]["opportunity"]["id"], card);
}

#[test]
fn extreme_values_from_elsewhere_never_break_a_list_or_a_board() {
    let mut r = Replica::new(&user_id(1), "王芳", "admin");
    let customer = r.create("customer", json!({"name": "极值客户"}));
    // Written by an older, unchecked device: two amounts that overflow any 64-bit sum.
    let mut incoming = Vec::new();
    for i in 0..2 {
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "kind", "opportunity").unwrap();
        doc.put(ROOT, "schema", 1i64).unwrap();
        doc.put(ROOT, "created_at", automerge::ScalarValue::Timestamp(0)).unwrap();
        doc.put(ROOT, "title", format!("巨额{i}")).unwrap();
        doc.put(ROOT, "customer", customer.as_str()).unwrap();
        doc.put(ROOT, "stage", "lead").unwrap();
        let amount = doc.put_object(ROOT, "amount", ObjType::Map).unwrap();
        doc.put(&amount, "minor", 9_200_000_000_000_000_000i64).unwrap();
        doc.put(&amount, "currency", "CNY").unwrap();
        doc.commit();
        let bytes = doc.get_last_local_change().unwrap().raw_bytes().to_vec();
        incoming.push(IncomingChange { doc_id: uuid::Uuid::now_v7().to_string(), bytes });
    }
    r.store.apply_changes(incoming).unwrap();
    let board = r.call(json!({"op": "pipeline", "all_owners": true}));
    let lead = board["stages"].as_array().unwrap().iter().find(|s| s["stage"] == "lead").unwrap().clone();
    assert_eq!(lead["count"], 2);
    assert_eq!(lead["totals"][0]["minor"], i64::MAX, "capped, not an error");
    let dormant = r.call(json!({"op": "dormant", "days": 1_000_000_000_000i64, "all_owners": true}));
    assert!(dormant.is_object());
}

#[test]
fn lists_take_ranges_of_times_dates_and_numbers_and_name_what_items_refer_to() {
    let mut r = Replica::new(&user_id(1), "王芳", "admin");
    let customer = r.create("customer", json!({"name": "常州武进电机有限公司"}));
    let contact = r.create("contact", json!({"customer": customer, "name": "钱进"}));
    let times = [
        "2026-11-22T23:30:00+08:00",
        "2026-11-23T09:30:00+08:00",
        "2026-11-23T17:00:00+08:00",
        "2026-11-24T00:00:00+08:00",
    ];
    for (i, time) in times.iter().enumerate() {
        r.create(
            "activity",
            json!({"customer": customer, "contact": contact, "type": "visit", "time": time,
                   "duration_minutes": 30 * (i as i64 + 1), "next_follow_up": format!("2026-12-0{}", i + 1)}),
        );
    }
    // One local day (Beijing time): from inclusive, to exclusive.
    let today = r.call(json!({"op": "list", "kind": "activity", "sort": "time", "names": true,
        "filter": {"time": {"from": "2026-11-23T00:00:00+08:00", "to": "2026-11-24T00:00:00+08:00"}}}));
    assert_eq!(today["total"], 2, "{today}");
    let first = &today["items"][0];
    assert_eq!(first["fields"]["duration_minutes"], 60);
    assert_eq!(first["names"][&customer], "常州武进电机有限公司", "{first}");
    assert_eq!(first["names"][&contact], "钱进");
    // Open-ended, on a date and on a number; without `names`, items carry none.
    let later = r.call(json!({"op": "list", "kind": "activity", "filter": {"next_follow_up": {"from": "2026-12-03"}}}));
    assert_eq!(later["total"], 2);
    assert!(later["items"][0].get("names").is_none());
    let long =
        r.call(json!({"op": "list", "kind": "activity", "filter": {"duration_minutes": {"from": 60, "to": 120}}}));
    assert_eq!(long["total"], 2);
    // A range of something else, or with other keys, is a clear error.
    let bad = r.try_call(json!({"op": "list", "kind": "activity", "filter": {"time": {"since": "2026-11-23"}}}));
    assert_eq!(bad["params"]["errors"][0]["reason"], "bad_range", "{bad}");
    let text = r.try_call(json!({"op": "list", "kind": "activity", "filter": {"place": {"from": "a"}}}));
    assert_eq!(text["code"], "validation", "{text}");
    // The customer's timeline names the contact, even once the contact is deleted.
    r.call(json!({"op": "delete", "id": contact}));
    let timeline = r.call(json!({"op": "customer360", "id": customer}));
    assert_eq!(timeline["activities"][0]["names"][&contact], "钱进", "{timeline}");
}

#[test]
fn reminders_gather_follow_ups_service_requests_churn_and_recycling_soonest_first() {
    let mut r = Replica::new(&user_id(1), "王芳", "admin");
    let me = r.user_id.clone();
    // A follow-up due yesterday.
    let visited = r.create("customer", json!({"name": "杭州宏达科技", "grade": "C"}));
    let visit = r.create(
        "activity",
        json!({"customer": visited, "type": "visit", "time": days_ago(2), "subject": "回访", "next_follow_up": date_in(-1)}),
    );
    // A request assigned to me, due tomorrow; one nobody has been assigned yet.
    let request = r.create(
        "service_request",
        json!({"customer": visited, "type": "repair", "title": "主轴异响", "due": date_in(1)}),
    );
    r.call(json!({"op": "transition", "id": request, "name": "assign", "fields": {"assignee": me}}));
    let waiting = r.create("service_request", json!({"customer": visited, "type": "inquiry", "title": "报价"}));
    // A key account quiet for 40 days: past its 30 (dormant).
    let quiet = r.create("customer", json!({"name": "无锡鼎盛重工", "grade": "A"}));
    r.create("activity", json!({"customer": quiet, "type": "call", "time": days_ago(40)}));
    // D customers go back to the pool after 100 quiet days, with 20 days' warning: one quiet
    // for 85 days is warned.
    r.create("grade_rule", json!({"grade": "D", "recycle_days": 100, "recycle_warning_days": 20}));
    let fading = r.create("customer", json!({"name": "合肥瑞丰食品", "grade": "D"}));
    r.create("activity", json!({"customer": fading, "type": "call", "time": days_ago(85)}));
    // A lead to call back today; one due next week; a converted one, done with.
    let lead = r.create("lead", json!({"name": "周敏", "company": "宁波模具", "next_follow_up": date_in(0)}));
    let later = r.create("lead", json!({"name": "钱进", "next_follow_up": date_in(7)}));
    let done = r.create("lead", json!({"name": "孙丽", "next_follow_up": date_in(-3)}));
    // A call on a lead that set its next follow-up for yesterday.
    let called_back = r.create("lead", json!({"name": "吴刚"}));
    r.create(
        "activity",
        json!({"lead": called_back, "type": "call", "time": days_ago(3), "next_follow_up": date_in(-1)}),
    );
    r.call(json!({"op": "convert_lead", "id": done}));

    let mine = r.call(json!({"op": "reminders"}));
    let items = mine["items"].as_array().unwrap();
    let reasons: Vec<(&str, &str)> =
        items.iter().map(|i| (i["reason"].as_str().unwrap(), i["id"].as_str().unwrap())).collect();
    assert!(reasons.contains(&("follow_up", visit.as_str())), "{mine}");
    assert!(reasons.contains(&("service_due", request.as_str())), "{mine}");
    assert!(reasons.contains(&("churn_dormant", quiet.as_str())), "{mine}");
    assert!(reasons.contains(&("recycle_warning", fading.as_str())), "{mine}");
    assert!(!reasons.iter().any(|(_, id)| *id == waiting), "waiting requests are the supervisor's: {mine}");
    let called = items.iter().find(|i| i["id"] == lead.as_str()).unwrap();
    assert_eq!((called["reason"].as_str(), called["kind"].as_str()), (Some("lead_follow_up"), Some("lead")));
    assert_eq!((called["title"].as_str(), called["overdue"].as_bool()), (Some("周敏 · 宁波模具"), Some(false)));
    assert!(!reasons.iter().any(|(_, id)| *id == later || *id == done), "not yet, and not any more: {mine}");
    let by_activity = items.iter().find(|i| i["id"] == called_back.as_str()).unwrap();
    assert_eq!(
        (by_activity["due"].as_str(), by_activity["overdue"].as_bool()),
        (Some(date_in(-1).as_str()), Some(true))
    );
    let dues: Vec<&str> = items.iter().map(|i| i["due"].as_str().unwrap()).collect();
    assert!(dues.windows(2).all(|w| w[0] <= w[1]), "soonest first: {dues:?}");
    let recycle = items.iter().find(|i| i["reason"] == "recycle_warning").unwrap();
    assert_eq!(recycle["due"], date_in(15), "goes back to the pool 100 days after the last call");

    let everyone = r.call(json!({"op": "reminders", "all_owners": true}));
    assert!(everyone["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["reason"] == "service_unassigned" && i["id"] == waiting.as_str()));
    // Handled requests are not reminded of.
    r.call(json!({"op": "transition", "id": request, "name": "handle", "fields": {"result": "已修复"}}));
    let after = r.call(json!({"op": "reminders"}));
    assert!(!after["items"].as_array().unwrap().iter().any(|i| i["id"] == request.as_str()));
}

/// SQLite plans a statement for the value bound to its `LIMIT ?` and so compiles it again
/// each time one is bound; the store asks for one plan whatever is bound, so a kept statement
/// (a page of a list, a search, the next push) is compiled once.
#[test]
fn a_kept_statement_is_not_compiled_again_for_each_limit() {
    let mut r = Replica::new(&user_id(1), "王芳", "admin");
    for i in 0..3 {
        r.create("customer", json!({"name": format!("客户{i}")}));
    }
    let conn = r.store.connection();
    let sql = "SELECT record_id FROM search_docs ORDER BY rowid LIMIT ?";
    for limit in [1_i64, 2, 3, 2] {
        let mut stmt = conn.prepare_cached(sql).unwrap();
        let n = stmt.query_map([limit], |row| row.get::<_, String>(0)).unwrap().count();
        assert_eq!(n as i64, limit);
        assert_eq!(stmt.get_status(rusqlite::StatementStatus::RePrepare), 0, "compiled again for LIMIT {limit}");
    }
}
