//! Reports against small hand-computed fixtures: the numbers written here were worked out by
//! hand from the records each test makes. They cover the month boundary in the company's time
//! zone, deleted and restored records, and scope — the same report for a salesperson, their
//! supervisor and an admin differs, each correctly. The spreadsheet export is read back.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use chrono::{Duration, Utc};
use common::{send, user_id, Replica};
use serde_json::{json, Value as Json};

/// An admin's device with four people: ann and bo (east, account managers), cy (west), sue
/// (east's supervisor).
fn company() -> Replica {
    let mut root = Replica::new(&user_id(1), "管理员", "admin");
    for (n, name, role, team) in [
        (1, "管理员", "admin", None),
        (2, "王芳", "account_manager", Some("east")),
        (3, "李波", "account_manager", Some("east")),
        (4, "陈云", "account_manager", Some("west")),
        (5, "苏敏", "supervisor", Some("east")),
    ] {
        root.call(json!({"op": "create", "kind": "user", "id": user_id(n), "fields": {
            "username": format!("u{n}"), "display_name": name, "role": role, "team": team}}));
    }
    root
}

/// The same records on `user_id(n)`'s device, as that person.
fn device_of(root: &mut Replica, n: u8, role: &str) -> Replica {
    let mut device = Replica::new(&user_id(n), "x", role);
    send(root, &mut device);
    device
}

fn customer(r: &mut Replica, name: &str, owner: u8, grade: &str) -> String {
    r.create("customer", json!({"name": name, "owner": user_id(owner), "grade": grade}))
}

/// A confirmed order of `minor` (one line, no tax) ordered at `at` (UTC).
fn order(r: &mut Replica, customer: &str, owner: u8, at: &str, minor: i64, confirm: bool) -> String {
    let id = r.create(
        "order",
        json!({"customer": customer, "owner": user_id(owner), "ordered_at": at,
               "lines": [{"name": "数控车床", "quantity": 1, "unit_price": minor}]}),
    );
    if confirm {
        r.call(json!({"op": "transition", "id": id, "name": "confirm", "fields": {}}));
    }
    id
}

fn report(r: &mut Replica, request: Json) -> Json {
    let mut request = request;
    request["op"] = json!("report");
    r.call(request)
}

fn table<'a>(report: &'a Json, key: &str) -> &'a Json {
    report["tables"].as_array().unwrap().iter().find(|t| t["key"] == key).unwrap()
}

/// A table's rows as (first column, another column) pairs.
fn column(report: &Json, table_key: &str, x: &str, y: &str) -> Vec<(Json, Json)> {
    table(report, table_key)["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| (row["cells"][x].clone(), row["cells"][y].clone()))
        .collect()
}

#[test]
fn contribution_ranks_customers_in_the_company_month_with_abc_classes_and_scope() {
    let mut root = company();
    let jia = customer(&mut root, "甲机械", 2, "A");
    let yi = customer(&mut root, "乙电气", 2, "B");
    let bing = customer(&mut root, "丙五金", 3, "A");
    let ding = customer(&mut root, "丁物流", 4, "C");
    let wu = customer(&mut root, "戊化工", 2, "B");
    order(&mut root, &jia, 2, "2026-11-05T02:00:00Z", 6_000_000, true);
    // 23:30 on 30 November in Shanghai: November's.
    order(&mut root, &yi, 2, "2026-11-30T15:30:00Z", 3_000_000, true);
    // 00:30 on 1 December in Shanghai (16:30 UTC on the 30th): December's.
    order(&mut root, &bing, 3, "2026-11-30T16:30:00Z", 5_000_000, true);
    order(&mut root, &bing, 3, "2026-11-10T02:00:00Z", 700_000, true);
    order(&mut root, &ding, 4, "2026-11-12T02:00:00Z", 300_000, true);
    // Deleted, and not confirmed: neither counts.
    let deleted = order(&mut root, &jia, 2, "2026-11-06T02:00:00Z", 9_999_900, false);
    root.call(json!({"op": "delete", "id": deleted}));
    order(&mut root, &ding, 4, "2026-11-07T02:00:00Z", 1_000_000, false);
    // October: 甲 bought, and 戊, who bought nothing in November.
    order(&mut root, &jia, 2, "2026-10-15T02:00:00Z", 4_000_000, true);
    order(&mut root, &wu, 2, "2026-10-20T02:00:00Z", 1_000_000, true);

    let november = json!({"name": "contribution", "from": "2026-11-01", "to": "2026-11-30"});
    let all = report(&mut root, november.clone());
    assert_eq!(all["filters"]["scope"], "all");
    assert_eq!(all["filters"]["timezone"], "Asia/Shanghai");
    let rows = table(&all, "customers")["rows"].as_array().unwrap().clone();
    let got: Vec<(Json, Json, Json, Json, Json, Json)> = rows
        .iter()
        .map(|r| {
            let c = &r["cells"];
            (
                c["customer"].clone(),
                c["revenue"].clone(),
                c["share"].clone(),
                c["cumulative"].clone(),
                c["class"].clone(),
                c["change"].clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (json!("甲机械"), json!(6_000_000), json!(6000), json!(6000), json!("A"), json!(5000)),
            (json!("乙电气"), json!(3_000_000), json!(3000), json!(9000), json!("A"), Json::Null),
            (json!("丙五金"), json!(700_000), json!(700), json!(9700), json!("B"), Json::Null),
            (json!("丁物流"), json!(300_000), json!(300), json!(10000), json!("C"), Json::Null),
            // Lost: bought in October only.
            (json!("戊化工"), json!(0), json!(0), Json::Null, Json::Null, json!(-10000)),
        ]
    );
    let totals = &table(&all, "customers")["totals"];
    assert_eq!(
        (totals["revenue"].clone(), totals["previous"].clone(), totals["change"].clone()),
        (json!(10_000_000), json!(5_000_000), json!(10000))
    );
    assert_eq!(rows[0]["drill"]["kind"], "order");
    assert_eq!(rows[0]["drill"]["total"], 1, "the deleted order is not behind it");
    assert_eq!(
        column(&all, "classes", "class", "revenue"),
        vec![(json!("A"), json!(9_000_000)), (json!("B"), json!(700_000)), (json!("C"), json!(300_000))]
    );
    // December has the order made half an hour into it.
    let december = report(&mut root, json!({"name": "contribution", "from": "2026-12-01", "to": "2026-12-31"}));
    assert_eq!(column(&december, "customers", "customer", "revenue")[0], (json!("丙五金"), json!(5_000_000)));

    // Scope: ann's own; sue's team (ann, bo, herself); ann may not ask for more.
    let mut ann = device_of(&mut root, 2, "account_manager");
    let mine = report(&mut ann, november.clone());
    assert_eq!(mine["filters"]["scope"], "mine");
    assert_eq!(
        column(&mine, "customers", "customer", "share"),
        vec![(json!("甲机械"), json!(6667)), (json!("乙电气"), json!(3333)), (json!("戊化工"), json!(0))]
    );
    let refused = ann.try_call(json!({"op": "report", "name": "contribution", "scope": "all"}));
    assert_eq!(refused["code"], "forbidden", "{refused}");
    let refused = ann.try_call(json!({"op": "report", "name": "contribution", "owner": user_id(3)}));
    assert_eq!(refused["code"], "forbidden", "{refused}");
    let mut sue = device_of(&mut root, 5, "supervisor");
    let team = report(&mut sue, november.clone());
    assert_eq!(team["filters"]["scope"], "team");
    assert_eq!(table(&team, "customers")["totals"]["revenue"], 9_700_000);
    let bo = report(
        &mut sue,
        json!({"name": "contribution", "from": "2026-11-01", "to": "2026-11-30", "owner": user_id(3)}),
    );
    assert_eq!(column(&bo, "customers", "customer", "revenue"), vec![(json!("丙五金"), json!(700_000))]);

    // By confirmed payments instead: only the confirmed one counts.
    let paid = root.create("payment", json!({"customer": jia, "owner": user_id(2), "amount": {"minor": 2_500_000, "currency": "CNY"}, "received_on": "2026-11-30"}));
    root.call(json!({"op": "transition", "id": paid, "name": "confirm", "fields": {}}));
    root.create("payment", json!({"customer": yi, "owner": user_id(2), "amount": {"minor": 800_000, "currency": "CNY"}, "received_on": "2026-11-20"}));
    let payments = report(
        &mut root,
        json!({"name": "contribution", "from": "2026-11-01", "to": "2026-11-30", "options": {"basis": "payments"}}),
    );
    assert_eq!(column(&payments, "customers", "customer", "revenue"), vec![(json!("甲机械"), json!(2_500_000))]);
    let bad = root.try_call(json!({"op": "report", "name": "contribution", "options": {"basis": "hopes"}}));
    assert_eq!(bad["params"]["errors"][0]["reason"], "invalid_option", "{bad}");
    // The deleted order was confirmed once restored: then it counts.
    root.call(json!({"op": "restore", "id": deleted}));
    root.call(json!({"op": "transition", "id": deleted, "name": "confirm", "fields": {}}));
    let restored = report(&mut root, november);
    assert_eq!(table(&restored, "customers")["totals"]["revenue"], 19_999_900);
}

#[test]
fn the_exported_spreadsheet_holds_the_report_as_numbers() {
    let mut root = company();
    let jia = customer(&mut root, "甲机械", 2, "A");
    let yi = customer(&mut root, "乙电气", 2, "B");
    order(&mut root, &jia, 2, "2026-11-05T02:00:00Z", 6_000_000, true);
    order(&mut root, &yi, 2, "2026-11-08T02:00:00Z", 2_000_050, true);
    let request = json!({"name": "contribution", "from": "2026-11-01", "to": "2026-11-30"});
    let shown = report(&mut root, request.clone());
    let mut export = request.clone();
    export["op"] = json!("report_export");
    export["labels"] = json!({"table.customers": "客户贡献", "column.customer": "客户", "column.revenue": "收入"});
    let file = root.call(export);
    assert_eq!(file["name"], "contribution-2026-11-01-2026-11-30.xlsx");
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD.decode(file["data"].as_str().unwrap()).unwrap();
    let mut book = Xlsx::new(Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range("客户贡献").unwrap();
    let rows: Vec<Vec<Data>> = sheet.rows().map(|r| r.to_vec()).collect();
    assert_eq!(rows[0][1], Data::String("客户".into()));
    assert_eq!(rows[0][2], Data::String("收入".into()));
    assert_eq!(rows[0][3], Data::String("share".into()), "a header without a label is its key");
    let cells = table(&shown, "customers")["rows"].as_array().unwrap().clone();
    for (i, row) in cells.iter().enumerate() {
        let line = &rows[i + 1];
        assert_eq!(line[0], Data::Float(row["cells"]["rank"].as_f64().unwrap()));
        assert_eq!(line[1], Data::String(row["cells"]["customer"].as_str().unwrap().into()));
        assert_eq!(line[2], Data::Float(row["cells"]["revenue"].as_f64().unwrap() / 100.0), "money in yuan");
        assert_eq!(line[3], Data::Float(row["cells"]["share"].as_f64().unwrap() / 10_000.0), "a share as a fraction");
    }
    assert_eq!(rows[1][2], Data::Float(60_000.0));
    assert_eq!(rows[2][2], Data::Float(20_000.5));
    // The total row, and the filters used.
    assert_eq!(rows[3][2], Data::Float(80_000.5));
    let filters = book.worksheet_range("filters").unwrap();
    let pairs: Vec<(String, String)> =
        filters.rows().map(|r| (r[0].to_string(), r.get(1).map(|c| c.to_string()).unwrap_or_default())).collect();
    assert!(pairs.contains(&("from".into(), "2026-11-01".into())), "{pairs:?}");
    assert!(pairs.contains(&("currency".into(), "CNY".into())), "{pairs:?}");
}

#[test]
fn receivables_are_paid_oldest_first_and_aged_by_days_past_due() {
    let mut root = company();
    let jia = customer(&mut root, "甲机械", 2, "A");
    let now = Utc::now();
    let ago = |days: i64| (now - Duration::days(days)).to_rfc3339();
    let day = |days: i64| {
        crm_core::report::period::day_text(
            crm_core::report::period::local_day(
                chrono_tz::Asia::Shanghai,
                (now + Duration::days(days)).timestamp_millis(),
            )
            .unwrap(),
        )
    };
    order(&mut root, &jia, 2, &ago(100), 100_000, true);
    order(&mut root, &jia, 2, &ago(45), 200_000, true);
    order(&mut root, &jia, 2, &ago(10), 300_000, true);
    let contract = root.create(
        "contract",
        json!({"customer": jia, "owner": user_id(2), "lines": [{"name": "生产线", "quantity": 1, "unit_price": 400_000}],
               "plan": [{"due": day(-5), "amount": 150_000}, {"due": day(20), "amount": 250_000}]}),
    );
    root.call(json!({"op": "transition", "id": contract, "name": "sign", "fields": {"signed_date": day(-5)}}));
    let paid = root.create("payment", json!({"customer": jia, "owner": user_id(2), "amount": {"minor": 150_000, "currency": "CNY"}, "received_on": day(-2)}));
    root.call(json!({"op": "transition", "id": paid, "name": "confirm", "fields": {}}));
    // Recorded, not confirmed: not counted as paid.
    root.create("payment", json!({"customer": jia, "owner": user_id(2), "amount": {"minor": 99_000, "currency": "CNY"}, "received_on": day(-1)}));

    let r = report(&mut root, json!({"name": "receivables"}));
    let owed = &table(&r, "customers")["rows"][0]["cells"];
    // Paid 150,000: the 100-day-old order, and 50,000 of the 45-day-old one.
    assert_eq!(owed["outstanding"], 850_000);
    assert_eq!(
        [&owed["not_due"], &owed["d0_30"], &owed["d31_60"], &owed["d61_90"], &owed["d90_plus"]],
        [&json!(250_000), &json!(450_000), &json!(150_000), &json!(0), &json!(0)]
    );
    assert_eq!(owed["oldest"], day(-45));
    assert_eq!(
        column(&r, "ageing", "bucket", "amount"),
        vec![
            (json!("not_due"), json!(250_000)),
            (json!("d0_30"), json!(450_000)),
            (json!("d31_60"), json!(150_000)),
            (json!("d61_90"), json!(0)),
            (json!("d90_plus"), json!(0)),
        ]
    );
    // Another salesperson's report has none of it.
    let mut bo = device_of(&mut root, 3, "account_manager");
    assert_eq!(table(&report(&mut bo, json!({"name": "receivables"})), "customers")["rows"], json!([]));
}

#[test]
fn the_funnel_counts_stages_reached_and_the_forecast_against_targets() {
    let mut root = company();
    let jia = customer(&mut root, "甲机械", 2, "A");
    let opportunity = |r: &mut Replica, stage: &str, minor: i64, probability: Option<i64>, close: &str| {
        let mut fields = json!({"customer": jia, "title": stage, "stage": stage, "owner": user_id(2),
                                "amount": {"minor": minor, "currency": "CNY"}, "expected_close": close});
        if let Some(p) = probability {
            fields["probability"] = json!(p);
        }
        r.create("opportunity", fields)
    };
    opportunity(&mut root, "lead", 1_000_000, None, "2026-11-10");
    opportunity(&mut root, "qualified", 2_000_000, Some(40), "2026-11-15");
    let proposal = opportunity(&mut root, "proposal", 3_000_000, None, "2026-11-20");
    opportunity(&mut root, "won", 5_000_000, None, "2026-11-25");
    opportunity(&mut root, "lost", 1_000_000, None, "2026-11-28");
    opportunity(&mut root, "negotiation", 9_000_000, None, "2026-12-03");
    for (n, won) in [(2, 8_000_000), (3, 2_000_000)] {
        root.create(
            "sales_target",
            json!({"owner": user_id(n), "month": "2026-11", "won": {"minor": won, "currency": "CNY"}}),
        );
    }
    let bad = root
        .try_call(json!({"op": "create", "kind": "sales_target", "fields": {"owner": user_id(2), "month": "2026-13"}}));
    assert_eq!(bad["params"]["errors"][0]["reason"], "invalid_month", "{bad}");

    let r = report(&mut root, json!({"name": "funnel", "from": "2026-11-01", "to": "2026-11-30"}));
    let stages: Vec<(Json, Json, Json, Json)> = table(&r, "stages")["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let c = &row["cells"];
            (c["stage"].clone(), c["opportunities"].clone(), c["reached"].clone(), c["conversion"].clone())
        })
        .collect();
    assert_eq!(
        stages,
        vec![
            (json!("lead"), json!(1), json!(5), Json::Null),
            (json!("qualified"), json!(1), json!(3), json!(6000)),
            (json!("proposal"), json!(1), json!(2), json!(6667)),
            (json!("negotiation"), json!(0), json!(1), json!(5000)),
            (json!("won"), json!(1), json!(1), json!(10000)),
            (json!("lost"), json!(1), Json::Null, Json::Null),
        ]
    );
    let month = &table(&r, "forecast")["rows"][0]["cells"];
    assert_eq!(month["period"], "2026-11");
    // 10 % of 1,000,000 (its stage's), 40 % of 2,000,000 (its own), 50 % of 3,000,000.
    assert_eq!(
        [&month["pipeline"], &month["forecast"], &month["won"], &month["target"], &month["expected"]],
        [&json!(6_000_000), &json!(2_400_000), &json!(5_000_000), &json!(10_000_000), &json!(7400)]
    );
    // Deleted, the proposal leaves the funnel and the forecast; restored, it is back.
    root.call(json!({"op": "delete", "id": proposal}));
    let without = report(&mut root, json!({"name": "funnel", "from": "2026-11-01", "to": "2026-11-30"}));
    assert_eq!(table(&without, "forecast")["rows"][0]["cells"]["forecast"], 900_000);
    assert_eq!(table(&without, "stages")["rows"][2]["cells"]["opportunities"], 0);
    root.call(json!({"op": "restore", "id": proposal}));
    assert_eq!(report(&mut root, json!({"name": "funnel", "from": "2026-11-01", "to": "2026-11-30"})), r);
}

#[test]
fn performance_counts_each_persons_month_against_their_targets_and_adds_up_teams() {
    let mut root = company();
    let today = crm_core::report::period::day_text(
        crm_core::report::period::local_day(chrono_tz::Asia::Shanghai, Utc::now().timestamp_millis()).unwrap(),
    );
    let month = &today[..7];
    let jia = customer(&mut root, "甲机械", 2, "A");
    customer(&mut root, "乙电气", 3, "B");
    for (n, kind) in [(2, "visit"), (2, "visit"), (2, "call"), (3, "visit")] {
        root.create("activity", json!({"customer": jia, "type": kind, "owner": user_id(n)}));
    }
    root.create(
        "opportunity",
        json!({"customer": jia, "title": "两台", "stage": "won", "owner": user_id(2),
        "amount": {"minor": 5_000_000, "currency": "CNY"}, "expected_close": today}),
    );
    let paid = root.create("payment", json!({"customer": jia, "owner": user_id(2), "amount": {"minor": 1_200_000, "currency": "CNY"}, "received_on": today}));
    root.call(json!({"op": "transition", "id": paid, "name": "confirm", "fields": {}}));
    root.create(
        "sales_target",
        json!({"owner": user_id(2), "month": month, "won": {"minor": 8_000_000, "currency": "CNY"},
        "collected": {"minor": 1_500_000, "currency": "CNY"}, "visits": 4, "new_customers": 2}),
    );

    let r = report(&mut root, json!({"name": "performance"}));
    let people = table(&r, "people")["rows"].as_array().unwrap().clone();
    let ann = &people.iter().find(|p| p["cells"]["person"] == user_id(2).as_str()).unwrap()["cells"];
    assert_eq!(
        [&ann["visits"], &ann["follow_ups"], &ann["new_customers"], &ann["won"], &ann["collected"]],
        [&json!(2), &json!(1), &json!(1), &json!(5_000_000), &json!(1_200_000)]
    );
    assert_eq!(
        [&ann["won_rate"], &ann["collected_rate"], &ann["visits_rate"], &ann["new_customers_rate"]],
        [&json!(6250), &json!(8000), &json!(5000), &json!(5000)]
    );
    let bo = &people.iter().find(|p| p["cells"]["person"] == user_id(3).as_str()).unwrap()["cells"];
    assert_eq!(
        (bo["visits"].clone(), bo["won_target"].clone(), bo["won_rate"].clone()),
        (json!(1), Json::Null, Json::Null)
    );
    let east =
        &table(&r, "teams")["rows"].as_array().unwrap().iter().find(|t| t["cells"]["team"] == "east").unwrap()["cells"];
    assert_eq!(
        (east["visits"].clone(), east["new_customers"].clone(), east["won_target"].clone()),
        (json!(3), json!(2), json!(8_000_000))
    );
    // Bo sees his own row only.
    let mut bo_device = device_of(&mut root, 3, "account_manager");
    let his = report(&mut bo_device, json!({"name": "performance"}));
    assert_eq!(column(&his, "people", "person", "visits"), vec![(json!(user_id(3)), json!(1))]);
}

#[test]
fn composition_service_and_churn_count_what_their_scope_holds() {
    let mut root = company();
    let jia = customer(&mut root, "甲机械", 2, "A");
    let yi = customer(&mut root, "乙电气", 2, "B");
    customer(&mut root, "丙五金", 3, "A");
    customer(&mut root, "丁物流", 4, "C");
    let wu = customer(&mut root, "戊化工", 2, "B");

    let composition = report(&mut root, json!({"name": "composition", "options": {"by": "grade"}}));
    assert_eq!(
        column(&composition, "now", "value", "customers"),
        vec![(json!("A"), json!(2)), (json!("B"), json!(2)), (json!("C"), json!(1))]
    );
    assert_eq!(column(&composition, "now", "value", "share")[2], (json!("C"), json!(2000)));
    let series = table(&composition, "over_time");
    assert_eq!(series["rows"].as_array().unwrap().last().unwrap()["cells"]["A"], 2);
    let mut ann = device_of(&mut root, 2, "account_manager");
    let hers = report(&mut ann, json!({"name": "composition"}));
    assert_eq!(column(&hers, "now", "value", "customers"), vec![(json!("B"), json!(2)), (json!("A"), json!(1))]);

    // Service: three requests; one handled and archived at 5, one handled then reopened at 2.
    let request = |r: &mut Replica, customer: &str, kind: &str| {
        r.create("service_request", json!({"customer": customer, "type": kind, "title": kind}))
    };
    let a = request(&mut root, &jia, "repair");
    let b = request(&mut root, &yi, "repair");
    request(&mut root, &wu, "inquiry");
    for id in [&a, &b] {
        root.call(json!({"op": "transition", "id": id, "name": "assign", "fields": {"assignee": user_id(1)}}));
        root.call(json!({"op": "transition", "id": id, "name": "handle", "fields": {"result": "修好了"}}));
    }
    root.call(json!({"op": "transition", "id": a, "name": "archive", "fields": {"satisfaction": 5}}));
    root.call(
        json!({"op": "transition", "id": b, "name": "reopen", "fields": {"satisfaction": 2, "feedback": "又坏了"}}),
    );
    let service = report(&mut root, json!({"name": "service"}));
    let summary = &table(&service, "summary")["rows"][0]["cells"];
    assert_eq!(
        [
            &summary["requests"],
            &summary["handled"],
            &summary["archived"],
            &summary["reopened"],
            &summary["reopened_share"],
            &summary["satisfaction"]
        ],
        [&json!(3), &json!(2), &json!(1), &json!(1), &json!(3333), &json!(350)]
    );
    assert_eq!(
        column(&service, "by_type", "value", "requests"),
        vec![(json!("repair"), json!(2)), (json!("inquiry"), json!(1))]
    );
    assert_eq!(column(&service, "satisfaction", "score", "requests")[4], (json!(5), json!(1)));
    let handler = &table(&service, "handlers")["rows"][0]["cells"];
    assert_eq!(
        (handler["assigned"].clone(), handler["handled"].clone(), handler["reopened"].clone()),
        (json!(2), json!(2), json!(1))
    );
    let times = column(&service, "times", "measure", "requests");
    assert_eq!(
        times,
        vec![(json!("to_assign"), json!(2)), (json!("to_handle"), json!(2)), (json!("to_archive"), json!(1))]
    );

    // Churn: cases of November, by grade and state, with the reasons.
    let case = |r: &mut Replica, customer: &str, episode: &str| {
        r.create("churn_case", json!({"customer": customer, "episode": episode}))
    };
    let lost = case(&mut root, &jia, "2026-11-03");
    let waiting = case(&mut root, &yi, "2026-11-20");
    case(&mut root, &wu, "2026-11-25");
    case(&mut root, &wu, "2026-10-25");
    root.call(json!({"op": "transition", "id": lost, "name": "confirm", "fields": {"reason": "被竞争对手低价抢走"}}));
    root.call(json!({"op": "append", "id": waiting, "field": "measures", "text": "经理上门"}));
    root.call(json!({"op": "transition", "id": waiting, "name": "postpone", "fields": {"review_date": "2026-12-20"}}));
    let churn = report(&mut root, json!({"name": "churn", "from": "2026-11-01", "to": "2026-11-30"}));
    let grades: Vec<(Json, Json, Json, Json, Json)> = table(&churn, "by_grade")["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let c = &row["cells"];
            (
                c["grade"].clone(),
                c["warning"].clone(),
                c["postponed"].clone(),
                c["confirmed"].clone(),
                c["cases"].clone(),
            )
        })
        .collect();
    assert_eq!(
        grades,
        vec![
            (json!("A"), json!(0), json!(0), json!(1), json!(1)),
            (json!("B"), json!(1), json!(1), json!(0), json!(2)),
        ]
    );
    assert_eq!(column(&churn, "reasons", "reason", "cases"), vec![(json!("被竞争对手低价抢走"), json!(1))]);
}
