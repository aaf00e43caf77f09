//! Visits: checking in where the customer is (measured, marked far, never refused), checking
//! out, and places kept exactly.

#![allow(clippy::unwrap_used)]

mod common;

use common::Replica;
use serde_json::json;

#[test]
fn a_check_in_is_measured_from_the_customer_and_a_far_one_is_marked_not_refused() {
    let mut me = Replica::new("u-ann", "王芳", "account_manager");
    // The customer's gate in Suzhou Industrial Park, pinned on the map.
    let customer = me.create(
        "customer",
        json!({"name": "苏州精工机械有限公司", "location": {"lat": 31.299_612, "lng": 120.585_316}}),
    );
    let view = me.get(&customer);
    assert_eq!(view["fields"]["location"], json!({"lat": 31.299612, "lng": 120.585316}), "kept to the digit");

    // Arriving about 100 m north of it, as the browser's geolocation says.
    let near = me.call(json!({"op": "check_in", "customer": customer,
                              "place": {"lat": 31.300_512, "lng": 120.585_316, "accuracy": 12.6}}));
    let f = &near["fields"];
    assert_eq!(f["type"], "visit");
    assert_eq!(f["check_in_place"], json!({"lat": 31.300512, "lng": 120.585316, "accuracy": 13}));
    assert_eq!(f["check_in_distance_m"], 100, "{near}");
    assert_eq!(f["check_in_far"], false);
    assert!(f["check_in_at"].is_string() && f["time"] == f["check_in_at"]);

    // Five kilometres away: marked far, still a visit.
    let far =
        me.call(json!({"op": "check_in", "customer": customer, "place": {"lat": "31.344578", "lng": "120.585316"}}));
    assert_eq!(far["fields"]["check_in_far"], true);
    assert_eq!(far["fields"]["check_in_distance_m"], 5_000);
    // The admin's tolerance decides what is far.
    let mut admin = Replica::new("u-admin", "管理员", "admin");
    admin.create("setting", json!({"key": "visit.check_in_tolerance_m", "value": 50}));
    common::send(&mut admin, &mut me);
    let strict =
        me.call(json!({"op": "check_in", "customer": customer, "place": {"lat": 31.300_512, "lng": 120.585_316}}));
    assert_eq!(strict["fields"]["check_in_far"], true, "{strict}");

    // No place from the device: a visit all the same, unmeasured.
    let blind = me.call(json!({"op": "check_in", "customer": customer}));
    assert!(blind["fields"].get("check_in_distance_m").is_none(), "{blind}");

    // Leaving: when, where, how long; once.
    let id = near["id"].as_str().unwrap();
    let out = me.call(json!({"op": "check_out", "id": id, "place": {"lat": 31.300_5, "lng": 120.585_3}}));
    assert!(out["fields"]["check_out_at"].is_string());
    assert_eq!(out["fields"]["duration_minutes"], 0);
    assert_eq!(out["fields"]["check_out_place"], json!({"lat": 31.3005, "lng": 120.5853}));
    let again = me.try_call(json!({"op": "check_out", "id": id}));
    assert_eq!(again["code"], "already_checked_out", "{again}");
    let logged = me.create("activity", json!({"customer": customer, "type": "call"}));
    assert_eq!(me.try_call(json!({"op": "check_out", "id": logged}))["code"], "not_checked_in");

    // Lists carry the places; the agenda has the visits.
    let rows = me.call(json!({"op": "list", "kind": "activity", "filter": {"type": "visit"}}));
    assert!(rows["items"].as_array().unwrap().iter().any(|r| r["fields"]["check_in_place"]["lat"] == 31.300512));

    // A place that is not one is refused with what is wrong, and nothing is made.
    let before = me.call(json!({"op": "list", "kind": "activity"}))["total"].clone();
    for (place, reason) in [
        (json!({"lat": 91, "lng": 0}), "invalid_place"),
        (json!({"lat": 31.1234567, "lng": 120}), "invalid_place"),
        (json!({"lat": 31}), "required"),
        (json!("31.2,120.5"), "wrong_type"),
    ] {
        let refused = me.try_call(json!({"op": "check_in", "customer": customer, "place": place}));
        assert_eq!(refused["params"]["errors"][0]["reason"], reason, "{place}: {refused}");
    }
    assert_eq!(me.call(json!({"op": "list", "kind": "activity"}))["total"], before);
}

/// A JPEG-looking file (its first bytes are a JPEG's), base64.
fn photo(seed: u8) -> String {
    use base64::Engine;
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0];
    bytes.extend((0..2_000u32).map(|i| (i as u8).wrapping_mul(seed)));
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn a_visit_type_says_what_check_out_waits_for() {
    let mut ann = Replica::new("u-ann", "王芳", "account_manager");
    let customer = ann.create("customer", json!({"name": "杭州西湖五金店"}));
    // Every store starts with the default types, the same records everywhere.
    let shop = crm_core::domain::visits::default_type_id("shop_visit");
    let mut other = Replica::new("u-bob", "李强", "account_manager");
    assert_eq!(ann.get(&shop)["fields"]["name"], "门店拜访");
    assert_eq!(ann.get(&shop)["version"], other.get(&shop)["version"], "one record, made alike on every device");

    // A shop visit asks for two photos and notes before check-out.
    let visit = ann.call(json!({"op": "check_in", "customer": customer, "visit_type": shop}));
    let id = visit["id"].as_str().unwrap().to_string();
    assert_eq!(visit["fields"]["subject"], "门店拜访", "the visit is titled by its type");
    let list = ann.call(json!({"op": "visit_checklist", "id": id}));
    let actions: Vec<(String, bool, bool)> = list["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["action"].as_str().unwrap().to_string(), a["required"] == true, a["done"] == true))
        .collect();
    assert_eq!(
        actions,
        [
            ("check_in", true, true),
            ("photos", true, false),
            ("stock_count", false, false),
            ("order", false, false),
            ("notes", true, false),
            ("check_out", false, false)
        ]
        .map(|(a, r, d)| (a.to_string(), r, d)),
        "{list}"
    );
    let refused = ann.try_call(json!({"op": "check_out", "id": id}));
    assert_eq!(refused["code"], "visit_incomplete", "{refused}");
    assert_eq!(refused["params"]["missing"], json!(["photos", "notes"]));

    // One photo is not two.
    ann.call(json!({"op": "attach", "record": id, "field": "photos", "data": photo(3), "type": "image/jpeg"}));
    let refused = ann.try_call(json!({"op": "check_out", "id": id}));
    assert_eq!(refused["params"]["missing"], json!(["photos", "notes"]));
    ann.call(json!({"op": "attach", "record": id, "field": "photos", "data": photo(5), "type": "image/jpeg"}));
    ann.update(&id, json!({"notes": "老板同意下月进货，货架缺 3 款"}));
    let list = ann.call(json!({"op": "visit_checklist", "id": id}));
    assert_eq!(list["actions"][1]["count"], 2);
    let left = ann.call(json!({"op": "check_out", "id": id}));
    assert!(left["fields"]["check_out_at"].is_string());

    // The admin composes another kind; a visit without a type asks for nothing more.
    let mut admin = Replica::new("u-admin", "管理员", "admin");
    let repair = admin.create(
        "visit_type",
        json!({"name": "设备安装", "name_en": "Installation", "actions": [
        {"action": "service", "required": true}, {"action": "photos", "required": true, "min": 1}]}),
    );
    common::send(&mut admin, &mut ann);
    let visit = ann.call(json!({"op": "check_in", "customer": customer, "visit_type": repair}));
    let id = visit["id"].as_str().unwrap().to_string();
    let list = ann.call(json!({"op": "visit_checklist", "id": id}));
    let order: Vec<&str> = list["actions"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
    assert_eq!(order, ["check_in", "service", "photos", "check_out"], "every visit begins and ends");
    assert_eq!(ann.try_call(json!({"op": "check_out", "id": id}))["params"]["missing"], json!(["service", "photos"]));
    // A salesperson may not compose types.
    let refused = ann.try_call(json!({"op": "create", "kind": "visit_type", "fields": {"name": "随便"}}));
    assert_eq!(refused["code"], "forbidden", "{refused}");
    let plain = ann.call(json!({"op": "check_in", "customer": customer}));
    ann.call(json!({"op": "check_out", "id": plain["id"]}));
}
