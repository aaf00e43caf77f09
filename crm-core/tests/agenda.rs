//! The agenda: what is on each day, on the company's days, from what the device holds.

#![allow(clippy::unwrap_used)]

mod common;

use common::Replica;
use serde_json::{json, Value as Json};

fn whats(agenda: &Json) -> Vec<(String, String, String)> {
    agenda["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["date"].as_str().unwrap().into(),
                e["what"].as_str().unwrap().into(),
                e["title"].as_str().unwrap().into(),
            )
        })
        .collect()
}

#[test]
fn a_week_shows_visits_follow_ups_requests_and_contract_dates_on_the_company_days() {
    let mut me = Replica::new("u-admin", "管理员", "admin");
    let customer = me.create("customer", json!({"name": "无锡华光电机", "owner": "u-admin"}));
    // Late on the 23rd in Shanghai is the 23rd, though it is the 23rd's afternoon in UTC and
    // an early visit on the 24th in Shanghai is still the 23rd in UTC.
    me.create(
        "activity",
        json!({"customer": customer, "type": "visit", "subject": "巡检", "time": "2026-11-23T23:30:00+08:00",
               "next_follow_up": "2026-11-25"}),
    );
    me.create(
        "activity",
        json!({"customer": customer, "type": "call", "subject": "回访电话", "time": "2026-11-24T00:30:00+08:00",
               "next_follow_up": "2026-11-26"}),
    );
    me.create(
        "service_request",
        json!({"customer": customer, "type": "repair", "title": "电机异响", "due": "2026-11-27"}),
    );
    let contract = me.create(
        "contract",
        json!({"customer": customer, "title": "年度维保", "end_date": "2026-11-29",
               "lines": [{"name": "维保服务", "quantity": 1, "unit_price": 300_000}],
               "plan": [{"due": "2026-11-28", "amount": 100_000}, {"due": "2027-01-28", "amount": 200_000}]}),
    );
    let signed =
        me.call(json!({"op": "transition", "id": contract, "name": "sign", "fields": {"signed_date": "2026-11-20"}}));
    assert_eq!(signed["fields"]["status"], "signed", "{signed}");

    // The week's plan: this customer on the 23rd (visited that evening), another on the 25th.
    let other = me.create("customer", json!({"name": "江阴澄星化工", "owner": "u-admin"}));
    me.create(
        "visit_plan",
        json!({"title": "第48周拜访", "stops": [
            {"date": "2026-11-23", "customer": customer},
            {"date": "2026-11-25", "customer": other, "note": "送样品"}]}),
    );

    let week = me.call(json!({"op": "agenda", "from": "2026-11-23", "to": "2026-11-29", "all_owners": true}));
    assert_eq!(
        whats(&week),
        [
            ("2026-11-23".into(), "activity".into(), "巡检".into()),
            ("2026-11-23".into(), "plan_stop".into(), "无锡华光电机".into()),
            ("2026-11-24".into(), "activity".into(), "回访电话".into()),
            ("2026-11-25".into(), "plan_stop".into(), "送样品".into()),
            // Only the latest activity's follow-up counts (the 25th's was superseded).
            ("2026-11-26".into(), "follow_up".into(), "回访电话".into()),
            ("2026-11-27".into(), "service_due".into(), "电机异响".into()),
            ("2026-11-28".into(), "payment_due".into(), "年度维保".into()),
            ("2026-11-29".into(), "contract_end".into(), "年度维保".into()),
        ],
        "{week}"
    );
    assert_eq!(week["entries"][1]["done"], true, "the planned customer was visited that day");
    assert_eq!(week["entries"][3]["done"], false);
    assert_eq!(week["entries"][3]["customer_name"], "江阴澄星化工");
    let payment = &week["entries"][6];
    assert_eq!(payment["amount"], json!({"minor": 100_000, "currency": "CNY"}));
    assert_eq!(payment["customer_name"], "无锡华光电机");
    assert_eq!(week["entries"][0]["at"], "2026-11-23T15:30:00.000Z");
    assert_eq!(week["entries"][0]["activity_type"], "visit");
    // The unassigned request is nobody's: a person's own agenda leaves it out.
    let mine = me.call(json!({"op": "agenda", "from": "2026-11-23", "to": "2026-11-29"}));
    assert!(whats(&mine).iter().all(|(_, what, _)| what != "service_due"), "{mine}");
    assert_eq!(whats(&mine).len(), 7);

    // Bad ranges are refused with what is wrong.
    let backwards = me.try_call(json!({"op": "agenda", "from": "2026-11-29", "to": "2026-11-23"}));
    assert_eq!(backwards["params"]["errors"][0]["field"], "to", "{backwards}");
    let long = me.try_call(json!({"op": "agenda", "from": "2026-01-01", "to": "2026-12-31"}));
    assert_eq!(long["params"]["errors"][0]["reason"], "out_of_range", "{long}");
    let bad = me.try_call(json!({"op": "agenda", "from": "23/11/2026", "to": "2026-11-29"}));
    assert_eq!(bad["params"]["errors"][0]["reason"], "invalid_date", "{bad}");
}
