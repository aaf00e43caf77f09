//! Campaigns: the target list is frozen when a campaign starts; its effect is counted from the
//! leads that name it, against numbers worked out by hand.

#![allow(clippy::unwrap_used)]

mod common;

use common::Replica;
use serde_json::json;

fn yuan(n: i64) -> serde_json::Value {
    json!({"minor": n * 100, "currency": "CNY"})
}

#[test]
fn the_target_list_is_frozen_at_start_and_the_effect_adds_up() {
    let mut sue = Replica::new("u-sue", "李丽", "supervisor");
    let a1 = sue.create("customer", json!({"name": "甲一", "grade": "A"}));
    let a2 = sue.create("customer", json!({"name": "甲二", "grade": "A"}));
    sue.create("customer", json!({"name": "乙一", "grade": "B"}));
    let campaign = sue.create(
        "campaign",
        json!({
            "name": "秋季展会", "type": "exhibition", "starts_on": "2026-11-01", "ends_on": "2026-11-30",
            "budget": yuan(20_000), "actual_cost": yuan(12_000),
            "target_kind": "customer", "target_filter": "{\"grade\": \"A\"}",
        }),
    );
    assert_eq!(sue.get(&campaign)["fields"]["status"], "planned");
    // Members are frozen by `start`, not written by hand.
    let forged = sue.try_call(json!({"op": "update", "id": campaign, "fields": {"members": a1}}));
    assert_eq!(forged["type"], "error", "{forged}");

    let started = sue.call(json!({"op": "start_campaign", "id": campaign}));
    assert_eq!(
        (started["fields"]["status"].as_str(), started["fields"]["member_count"].as_i64()),
        (Some("running"), Some(2))
    );
    // Later changes to who matches do not change who was targeted.
    sue.update(&a2, json!({"grade": "B"}));
    sue.create("customer", json!({"name": "甲三", "grade": "A"}));
    let members = sue.call(json!({"op": "campaign_members", "id": campaign}));
    let ids: Vec<&str> = members["members"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&a1.as_str()) && ids.contains(&a2.as_str()), "{members}");
    assert!(members["members"][0]["title"].as_str().is_some(), "members are shown by name");

    // Six leads from the campaign, one deleted (it never counts); two converted with
    // opportunities, one of them won at ¥50,000; one lead from elsewhere.
    let mut leads = Vec::new();
    for i in 0..6 {
        leads.push(sue.create(
            "lead",
            json!({"name": format!("访客{i}"), "phones": [format!("1380000000{i}")], "campaign": campaign}),
        ));
    }
    sue.create("lead", json!({"name": "别处来的", "phones": ["13900000009"]}));
    sue.call(json!({"op": "delete", "id": leads[5]}));
    let won = sue.call(
        json!({"op": "convert_lead", "id": leads[0], "opportunity": {"title": "展会订单", "amount": yuan(50_000)}}),
    );
    sue.call(json!({"op": "convert_lead", "id": leads[1], "opportunity": {"title": "意向", "amount": yuan(30_000)}}));
    let opportunity = won["opportunity"].as_str().unwrap();
    let stage = sue.try_call(json!({"op": "update", "id": opportunity, "fields": {"stage": "won"}}));
    assert_eq!(stage["fields"]["stage"], "won", "{stage}");

    let effect = sue.call(json!({"op": "campaign_effect", "id": campaign}));
    // By hand: 5 leads, 2 converted (40.00 %), 2 opportunities, 1 won for ¥50,000; it cost
    // ¥12,000 (the actual cost, not the ¥20,000 budget): ¥2,400 a lead, and 50,000 / 12,000 =
    // 4.1667 times its cost.
    assert_eq!(effect["members"], 2);
    assert_eq!(effect["leads"], 5);
    assert_eq!(effect["converted"], 2);
    assert_eq!(effect["conversion_bp"], 4_000);
    assert_eq!(effect["opportunities"], 2);
    assert_eq!(effect["won"], 1);
    assert_eq!(effect["won_amount"], json!([{"minor": 5_000_000, "currency": "CNY"}]));
    assert_eq!(effect["cost"], json!({"minor": 1_200_000, "currency": "CNY"}));
    assert_eq!(effect["cost_per_lead"], 240_000);
    assert_eq!(effect["return_bp"], 41_667);

    // A salesperson reads campaigns and runs none.
    let mut ann = Replica::new("u-ann", "王芳", "account_manager");
    common::send(&mut sue, &mut ann);
    assert_eq!(ann.get(&campaign)["fields"]["name"], "秋季展会");
    assert_eq!(ann.try_call(json!({"op": "transition", "id": campaign, "name": "end", "fields": {}}))["type"], "error");
    sue.call(json!({"op": "transition", "id": campaign, "name": "end", "fields": {}}));
}

#[test]
fn a_campaign_emails_its_leads_on_the_leads_themselves() {
    let mut sue = Replica::new("u-sue", "李丽", "supervisor");
    let reachable = sue.create("lead", json!({"name": "周敏", "email": "zhoumin@example.cn", "source": "exhibition"}));
    sue.create("lead", json!({"name": "钱进", "email": "qj@example.cn", "do_not_email": true, "source": "exhibition"}));
    sue.create("lead", json!({"name": "孙丽", "source": "exhibition"}));
    let gone = sue.create("lead", json!({"name": "空号", "email": "x@example.cn", "source": "exhibition"}));
    sue.call(json!({"op": "transition", "id": gone, "name": "invalidate", "fields": {"invalid_reason": "空号"}}));
    let campaign = sue.create(
        "campaign",
        json!({"name": "展会回访", "type": "email", "target_kind": "lead", "target_filter": "{\"source\": \"exhibition\"}"}),
    );
    sue.call(json!({"op": "start_campaign", "id": campaign}));
    let mailing =
        sue.call(json!({"op": "campaign_email", "id": campaign, "subject": "{name}您好", "body": "感谢莅临展台。"}));
    assert_eq!(mailing["queued"], 1, "{mailing}");
    let mut why: Vec<&str> =
        mailing["skipped"].as_array().unwrap().iter().map(|s| s["why"].as_str().unwrap()).collect();
    why.sort_unstable();
    assert_eq!(why, ["invalid", "no_email", "unsubscribed"]);
    // The email is logged on the lead: its timeline has it, with its status.
    let on_lead = sue.call(json!({"op": "list", "kind": "activity", "filter": {"lead": reachable}}));
    let email = &on_lead["items"][0]["fields"];
    assert_eq!(
        (email["type"].as_str(), email["email_to"].as_str(), email["subject"].as_str(), email["send_status"].as_str()),
        (Some("email"), Some("zhoumin@example.cn"), Some("周敏您好"), Some("queued"))
    );
    assert_eq!(email["customer"], serde_json::Value::Null);
}
