//! Company-specific fields: an admin defines them, other devices get the definitions by sync
//! and then check, filter and import values by them; company settings take what fits them.

#![allow(clippy::unwrap_used)]

mod common;

use base64::Engine;
use common::{send, user_id, Replica};
use serde_json::{json, Value as Json};

fn reasons(response: &Json) -> Vec<(String, String)> {
    assert_eq!(response["code"], "validation", "{response}");
    response["params"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap().to_string(), e["reason"].as_str().unwrap().to_string()))
        .collect()
}

/// An admin device with two customer fields defined, and a salesperson's device that has
/// synced them.
fn defined() -> (Replica, Replica) {
    let mut admin = Replica::new(&user_id(1), "admin", "admin");
    let mut sales = Replica::new(&user_id(2), "sales", "account_manager");
    admin.create(
        "custom_field",
        json!({"of_kind": "customer", "key": "shop_area", "label_zh": "门店面积", "label_en": "Shop area",
               "type": "number", "required": true, "in_list": true, "in_filter": true, "sort_order": 2}),
    );
    admin.create(
        "custom_field",
        json!({"of_kind": "customer", "key": "channel", "label_zh": "渠道", "label_en": "Channel",
               "type": "choice", "options": "直营\n加盟\n\n经销", "in_filter": true, "sort_order": 1}),
    );
    send(&mut admin, &mut sales);
    (admin, sales)
}

#[test]
fn definitions_sync_and_values_are_checked_against_them() {
    let (_admin, mut sales) = defined();
    let fields = sales.call(json!({"op": "custom_fields", "kind": "customer"}))["fields"].clone();
    let keys: Vec<&str> = fields.as_array().unwrap().iter().map(|f| f["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["channel", "shop_area"], "in the admin's order");
    assert_eq!(fields[0]["options"], json!(["直营", "加盟", "经销"]));

    // The required one must be there; a value must fit its type; unknown keys are refused.
    let refused = sales.try_call(json!({"op": "create", "kind": "customer", "fields": {"name": "甲"}}));
    assert_eq!(reasons(&refused), [("custom_fields.shop_area".into(), "required".into())]);
    let refused = sales.try_call(json!({"op": "create", "kind": "customer", "fields": {"name": "甲",
        "custom_fields": {"shop_area": "大约100", "channel": "网店", "colour": "red"}}}));
    let mut got = reasons(&refused);
    got.sort();
    assert_eq!(
        got,
        [
            ("custom_fields.channel".to_string(), "invalid_choice".to_string()),
            ("custom_fields.colour".into(), "unknown_custom_field".into()),
            ("custom_fields.shop_area".into(), "invalid_number".into()),
        ]
    );

    // Values are normalised and come back in lists, where they filter.
    let a =
        sales.create("customer", json!({"name": "甲", "custom_fields": {"shop_area": " 0120.50 ", "channel": "加盟"}}));
    let b = sales.create("customer", json!({"name": "乙", "custom_fields": {"shop_area": "80"}}));
    assert_eq!(sales.get(&a)["fields"]["custom_fields"], json!({"shop_area": "120.5", "channel": "加盟"}));
    let list = |r: &mut Replica, filter: Json| -> Vec<String> {
        r.call(json!({"op": "list", "kind": "customer", "filter": filter}))["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(list(&mut sales, json!({"custom_fields.channel": "加盟"})), [a.as_str()]);
    assert_eq!(list(&mut sales, json!({"custom_fields.channel": null})), [b.as_str()]);
    assert_eq!(list(&mut sales, json!({"custom_fields.shop_area": ["80", "1"]})), [b.as_str()]);
    assert_eq!(list(&mut sales, json!({"custom_fields.shop_area": "080.0"})), [b.as_str()], "as the type keeps it");
    let range =
        sales.try_call(json!({"op": "list", "kind": "customer", "filter": {"custom_fields.shop_area": {"from": "1"}}}));
    assert_eq!(reasons(&range), [("custom_fields.shop_area".into(), "bad_range".into())]);
    let items = sales.call(json!({"op": "list", "kind": "customer", "filter": {"custom_fields.channel": "加盟"}}));
    assert_eq!(items["items"][0]["fields"]["custom_fields"]["shop_area"], "120.5");
    let bad = sales.try_call(json!({"op": "list", "kind": "customer", "filter": {"custom_fields.x')--": "1"}}));
    assert_eq!(reasons(&bad), [("custom_fields.x')--".into(), "unknown_filter".into())]);

    // An update that leaves the map out is not held to a field made required later.
    sales.update(&b, json!({"address": "杭州"}));
}

#[test]
fn a_retired_field_keeps_its_values_but_takes_no_new_ones() {
    let (mut admin, mut sales) = defined();
    let a = sales.create("customer", json!({"name": "甲", "custom_fields": {"shop_area": "50", "channel": "直营"}}));
    let channel =
        admin.call(json!({"op": "custom_fields", "kind": "customer"}))["fields"][0]["id"].as_str().unwrap().to_string();
    admin.update(&channel, json!({"active": false}));
    send(&mut admin, &mut sales);
    // The record keeps the value through an edit of the map that leaves it as it was...
    sales.update(&a, json!({"custom_fields": {"shop_area": "60", "channel": "直营"}}));
    assert_eq!(sales.get(&a)["fields"]["custom_fields"], json!({"shop_area": "60", "channel": "直营"}));
    // ...but it cannot change any more.
    let refused = sales.try_call(
        json!({"op": "update", "id": a, "fields": {"custom_fields": {"shop_area": "60", "channel": "加盟"}}}),
    );
    assert_eq!(reasons(&refused), [("custom_fields.channel".into(), "unknown_custom_field".into())]);
}

#[test]
fn definitions_have_rules_of_their_own_and_only_admins_write_them() {
    let (mut admin, mut sales) = defined();
    let bad = admin.try_call(json!({"op": "create", "kind": "custom_field",
        "fields": {"of_kind": "customer", "key": "Bad Key", "label_zh": "x", "type": "choice"}}));
    let mut got = reasons(&bad);
    got.sort();
    assert_eq!(got, [("key".to_string(), "invalid_key".to_string()), ("options".into(), "required".into())]);
    let bad = admin.try_call(json!({"op": "create", "kind": "custom_field",
        "fields": {"of_kind": "user", "key": "x", "label_zh": "x"}}));
    assert_eq!(reasons(&bad), [("of_kind".into(), "invalid_choice".into())]);
    let refused = sales.try_call(json!({"op": "create", "kind": "custom_field",
        "fields": {"of_kind": "contact", "key": "hobby", "label_zh": "爱好"}}));
    assert_eq!(refused["code"], "forbidden", "{refused}");
}

#[test]
fn two_admins_defining_the_same_field_offline_make_one() {
    let mut one = Replica::new(&user_id(1), "one", "admin");
    let mut two = Replica::new(&user_id(3), "two", "admin");
    one.create("custom_field", json!({"of_kind": "contact", "key": "wechat", "label_zh": "微信"}));
    two.create(
        "custom_field",
        json!({"of_kind": "contact", "key": "wechat", "label_zh": "微信号", "label_en": "WeChat"}),
    );
    send(&mut one, &mut two);
    send(&mut two, &mut one);
    for r in [&mut one, &mut two] {
        let fields = r.call(json!({"op": "custom_fields", "kind": "contact"}))["fields"].clone();
        assert_eq!(fields.as_array().unwrap().len(), 1, "{fields}");
        assert_eq!(fields[0]["label_en"], "WeChat");
    }
}

#[test]
fn import_fills_custom_fields_by_their_labels() {
    let (_admin, mut sales) = defined();
    let csv = "客户名称,门店面积,Channel\n甲,１２０,加盟\n乙,很大,直营\n丙,,直营\n";
    let data = base64::engine::general_purpose::STANDARD.encode(csv);
    let preview = sales.call(json!({"op": "import_preview", "name": "c.csv", "data": data, "kind": "customer"}));
    let targets: Vec<&str> =
        preview["columns"].as_array().unwrap().iter().map(|c| c["target"].as_str().unwrap()).collect();
    assert_eq!(targets, ["name", "custom_fields.shop_area", "custom_fields.channel"]);
    assert!(preview["targets"].as_array().unwrap().contains(&json!("custom_fields.channel")));
    let errors: Vec<(u64, String, String)> = preview["plan"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            r["errors"].as_array().into_iter().flatten().map(move |e| {
                (
                    r["line"].as_u64().unwrap(),
                    e["field"].as_str().unwrap().to_string(),
                    e["reason"].as_str().unwrap().to_string(),
                )
            })
        })
        .collect();
    assert_eq!(
        errors,
        [
            (3, "custom_fields.shop_area".to_string(), "invalid_number".to_string()),
            (4, "custom_fields.shop_area".into(), "required".into())
        ]
    );
    sales.call(json!({"op": "import_run", "name": "c.csv", "data": data, "kind": "customer"}));
    let items = sales.call(json!({"op": "list", "kind": "customer", "filter": {"custom_fields.shop_area": "120"}}));
    assert_eq!(items["items"][0]["fields"]["name"], "甲");
    assert_eq!(items["total"], 1);
}

#[test]
fn settings_take_what_fits_their_key() {
    let mut admin = Replica::new(&user_id(1), "admin", "admin");
    let set = |r: &mut Replica, fields: Json| r.try_call(json!({"op": "create", "kind": "setting", "fields": fields}));
    assert_eq!(
        reasons(&set(&mut admin, json!({"key": "company.timezone", "text": "Asia/Shangai"}))),
        [("text".into(), "invalid_timezone".into())]
    );
    assert_eq!(
        reasons(&set(&mut admin, json!({"key": "company.name", "value": 3}))),
        [("value".into(), "not_for_setting".into())]
    );
    assert_eq!(
        reasons(&set(&mut admin, json!({"key": "company.currency", "text": "rmb"}))),
        [("text".into(), "invalid_currency".into())]
    );
    let ok = set(&mut admin, json!({"key": "company.timezone", "text": "Europe/Berlin"}));
    let id = ok["id"].as_str().unwrap_or_else(|| panic!("{ok}")).to_string();
    // An update of the text alone is checked against the record's key.
    let bad = admin.try_call(json!({"op": "update", "id": id, "fields": {"text": "Nowhere"}}));
    assert_eq!(reasons(&bad), [("text".into(), "invalid_timezone".into())]);
    set(&mut admin, json!({"key": "company.name", "text": "杭州示范贸易有限公司"}));
    let list = admin.call(json!({"op": "list", "kind": "setting", "sort": "key"}));
    let texts: Vec<(&str, &str)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["fields"]["key"].as_str().unwrap(), i["fields"]["text"].as_str().unwrap()))
        .collect();
    assert_eq!(texts, [("company.name", "杭州示范贸易有限公司"), ("company.timezone", "Europe/Berlin")]);
}

#[test]
fn leads_and_products_take_custom_fields_too() {
    let mut admin = Replica::new(&user_id(1), "admin", "admin");
    let mut sales = Replica::new(&user_id(2), "sales", "account_manager");
    admin.create(
        "custom_field",
        json!({"of_kind": "lead", "key": "booth", "label_zh": "展位号", "required": true, "in_filter": true}),
    );
    admin.create(
        "custom_field",
        json!({"of_kind": "product", "key": "brand", "label_zh": "品牌", "type": "choice", "options": "恒力\n博世"}),
    );
    send(&mut admin, &mut sales);
    let refused = sales.try_call(json!({"op": "create", "kind": "lead", "fields": {"name": "展会线索"}}));
    assert_eq!(reasons(&refused), [("custom_fields.booth".into(), "required".into())]);
    let lead = sales.create("lead", json!({"name": "展会线索", "custom_fields": {"booth": "A-12"}}));
    assert_eq!(sales.get(&lead)["fields"]["custom_fields"]["booth"], "A-12");
    let found = sales.call(json!({"op": "list", "kind": "lead", "filter": {"custom_fields.booth": "A-12"}}));
    assert_eq!(found["items"][0]["id"], lead.as_str(), "{found}");

    let bad = admin.try_call(json!({"op": "create", "kind": "product", "fields": {"code": "P-1", "name": "液压泵",
        "list_price": {"minor": 120000, "currency": "CNY"}, "custom_fields": {"brand": "无名"}}}));
    assert_eq!(reasons(&bad), [("custom_fields.brand".into(), "invalid_choice".into())]);
    let product = admin.create(
        "product",
        json!({"code": "P-1", "name": "液压泵", "list_price": {"minor": 120000, "currency": "CNY"}, "custom_fields": {"brand": "博世"}}),
    );
    assert_eq!(admin.get(&product)["fields"]["custom_fields"]["brand"], "博世");
    // Other kinds still take none.
    let refused = admin.try_call(json!({"op": "create", "kind": "custom_field",
        "fields": {"of_kind": "campaign", "key": "x", "label_zh": "x"}}));
    assert_eq!(refused["code"], "validation", "{refused}");
}
