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
