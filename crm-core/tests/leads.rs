//! Leads and their conversion on a device: an existing customer found by phone is linked, a new
//! one made otherwise; the contact likewise; the activities logged on the lead and its notes
//! land on the customer's timeline; the lead keeps links to what it became and changes no more.

#![allow(clippy::unwrap_used)]

mod common;

use common::Replica;
use serde_json::json;

fn timeline(me: &mut Replica, customer: &str) -> Vec<String> {
    let page = me.call(json!({"op": "list", "kind": "activity", "filter": {"customer": customer}, "sort": "time"}));
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["fields"]["subject"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn a_lead_with_a_known_phone_links_its_customer_and_carries_its_activities() {
    let mut ann = Replica::new("u-ann", "王芳", "account_manager");
    let known = ann.create("customer", json!({"name": "苏州精工机械有限公司", "phones": ["0512-6688 1234"]}));
    let zhang = ann.create("contact", json!({"customer": known, "name": "张伟", "phones": ["138 0013 8000"]}));

    let lead = ann.create(
        "lead",
        json!({"name": "张伟", "company": "精工机械", "phones": ["13800138000"],
                                         "source": "exhibition", "notes": "展会上留的名片，对数控机床感兴趣"}),
    );
    assert_eq!(ann.get(&lead)["fields"]["status"], "new");
    ann.call(json!({"op": "transition", "id": lead, "name": "follow", "fields": {}}));
    // Activities are logged on the lead like on a customer.
    let call = ann.create(
        "activity",
        json!({"lead": lead, "type": "call", "time": "2026-11-02T02:00:00Z", "subject": "电话沟通，约下周二上门演示"}),
    );
    ann.create(
        "activity",
        json!({"lead": lead, "type": "visit", "time": "2026-11-10T06:00:00Z", "subject": "上门演示，客户要报价"}),
    );
    let lead_timeline = ann.call(json!({"op": "list", "kind": "activity", "filter": {"lead": lead}}));
    assert_eq!(lead_timeline["items"].as_array().unwrap().len(), 2, "{lead_timeline}");
    // An activity is about a customer or a lead (even an admin's, whom access would let).
    let mut root = Replica::new("u-root", "管理员", "admin");
    let orphan = root.try_call(json!({"op": "create", "kind": "activity", "fields": {"type": "call"}}));
    assert_eq!(orphan["params"]["errors"][0]["field"], "customer", "{orphan}");
    assert_eq!(orphan["params"]["errors"][0]["reason"], "required", "{orphan}");

    // The dialog says what will happen before anything is written.
    let plan = ann.call(json!({"op": "conversion_plan", "id": lead}));
    assert_eq!(plan["customer"]["link"], known, "found by the phone: {plan}");
    assert_eq!(plan["contact"]["link"], zhang);
    assert_eq!(plan["activities"], 3);

    let done = ann.call(json!({"op": "convert_lead", "id": lead,
                               "opportunity": {"title": "数控机床 2 台", "amount": {"minor": 38_000_000, "currency": "CNY"}}}));
    assert_eq!((done["customer"].as_str(), done["customer_created"].as_bool()), (Some(known.as_str()), Some(false)));
    assert_eq!((done["contact"].as_str(), done["contact_created"].as_bool()), (Some(zhang.as_str()), Some(false)));
    let opportunity = done["opportunity"].as_str().unwrap().to_string();
    assert_eq!(ann.get(&opportunity)["fields"]["customer"], known);

    // Nothing the lead knew is lost: its follow-ups and notes are on the customer's timeline.
    let subjects = timeline(&mut ann, &known);
    assert_eq!(subjects.len(), 3, "{subjects:?}");
    assert!(subjects.iter().any(|s| s.starts_with("电话沟通")));
    assert!(subjects.iter().any(|s| s.starts_with("上门演示")));
    assert!(subjects.iter().any(|s| s.starts_with("线索备注")));
    // The call moved (the same record, not a copy): it names the customer and the contact now,
    // and still the lead it was logged on.
    let moved = ann.get(&call)["fields"].clone();
    assert_eq!((moved["customer"].as_str(), moved["contact"].as_str()), (Some(known.as_str()), Some(zhang.as_str())));
    assert_eq!(moved["lead"], lead);

    // The lead keeps what it became, and is settled.
    let f = ann.get(&lead)["fields"].clone();
    assert_eq!((f["status"].as_str(), f["converted_customer"].as_str()), (Some("converted"), Some(known.as_str())));
    assert_eq!(f["converted_opportunity"], opportunity);
    assert_eq!(f["converted_by"], "u-ann");
    let edit = ann.try_call(json!({"op": "update", "id": lead, "fields": {"company": "别的公司"}}));
    assert_eq!(edit["code"], "locked", "{edit}");
    let again = ann.try_call(json!({"op": "convert_lead", "id": lead}));
    assert_eq!(again["code"], "transition_forbidden", "{again}");
}

#[test]
fn a_lead_nobody_knows_becomes_a_new_customer_and_contact() {
    let mut ann = Replica::new("u-ann", "王芳", "account_manager");
    let lead = ann.create(
        "lead",
        json!({"name": "李娜", "company": "无锡新材料科技", "phones": ["13900139000"],
                                         "email": "lina@example.cn", "title": "采购经理", "region": "east"}),
    );
    let plan = ann.call(json!({"op": "conversion_plan", "id": lead}));
    assert_eq!(plan["customer"]["create"]["name"], "无锡新材料科技", "{plan}");
    let done = ann.call(json!({"op": "convert_lead", "id": lead}));
    assert_eq!(done["customer_created"], true);
    let customer = ann.get(done["customer"].as_str().unwrap());
    assert_eq!(customer["fields"]["name"], "无锡新材料科技");
    assert_eq!(customer["fields"]["phones"], json!(["13900139000"]));
    assert_eq!(customer["fields"]["lead"], lead, "the customer knows the lead it came from");
    assert_eq!(customer["fields"]["owner"], "u-ann");
    let contact = ann.get(done["contact"].as_str().unwrap());
    assert_eq!(
        (contact["fields"]["name"].as_str(), contact["fields"]["title"].as_str()),
        (Some("李娜"), Some("采购经理"))
    );
    // Where it came from is set when the customer is made, never after.
    let id = done["customer"].as_str().unwrap();
    let edit = ann.try_call(json!({"op": "update", "id": id, "fields": {"lead": null}}));
    assert_eq!(edit["type"], "error", "{edit}");

    // Two customers alike: the person chooses.
    ann.create("customer", json!({"name": "常州电机厂", "phones": ["13700137000"]}));
    ann.create("customer", json!({"name": "常州电机", "email": "dj@example.cn"}));
    let twice = ann.create(
        "lead",
        json!({"name": "赵强", "company": "常州电机厂", "phones": ["13700137000"], "email": "dj@example.cn"}),
    );
    let refused = ann.try_call(json!({"op": "convert_lead", "id": twice}));
    assert_eq!(refused["code"], "customer_ambiguous", "{refused}");
    assert_eq!(refused["params"]["candidates"].as_array().unwrap().len(), 2);
    let done = ann.call(json!({"op": "convert_lead", "id": twice, "new_customer": true}));
    assert_eq!(done["customer_created"], true);
}

#[test]
fn an_invalid_lead_keeps_its_reason_and_a_viewer_converts_nothing() {
    let mut ann = Replica::new("u-ann", "王芳", "account_manager");
    let lead = ann.create("lead", json!({"name": "空号", "phones": ["13100131000"]}));
    let refused = ann.try_call(json!({"op": "transition", "id": lead, "name": "invalidate", "fields": {}}));
    assert_eq!(refused["type"], "error");
    ann.call(json!({"op": "transition", "id": lead, "name": "invalidate", "fields": {"invalid_reason": "电话是空号"}}));
    assert_eq!(ann.try_call(json!({"op": "convert_lead", "id": lead}))["code"], "transition_forbidden");
    ann.call(json!({"op": "transition", "id": lead, "name": "reopen", "fields": {}}));
    assert_eq!(ann.get(&lead)["fields"]["status"], "following");

    let mut viewer = Replica::new("u-view", "老板", "viewer");
    common::send(&mut ann, &mut viewer);
    let refused = viewer.try_call(json!({"op": "convert_lead", "id": lead}));
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(viewer.get(&lead)["fields"]["status"], "following");
}

#[test]
fn a_lead_released_to_the_pool_is_claimed_by_someone_else() {
    let mut ann = Replica::new("u-ann", "王芳", "account_manager");
    let lead = ann.create("lead", json!({"name": "展会名片", "company": "南京港机"}));
    let released =
        ann.call(json!({"op": "transition", "id": lead, "name": "release", "fields": {"pool_reason": "没空跟"}}));
    assert_eq!(released["fields"]["owner"], serde_json::Value::Null, "{released}");
    assert_eq!(released["fields"]["status"], "new");
    let mut bob = Replica::new("u-bob", "李强", "account_manager");
    common::send(&mut ann, &mut bob);
    let claimed = bob.call(json!({"op": "transition", "id": lead, "name": "claim", "fields": {"owner": "u-bob"}}));
    assert_eq!(
        (claimed["fields"]["owner"].as_str(), claimed["fields"]["status"].as_str()),
        (Some("u-bob"), Some("following"))
    );
    assert_eq!(claimed["fields"]["pool_reason"], serde_json::Value::Null);
}
