//! Sales on the device, on the reference data set extended with 2,000 products, 20,000 orders
//! and their payments: an order with 50 lines created and totalled, a customer's purchase
//! history, product search; then every report over a year of it, and a report's export. Run: `cargo bench -p crm-core --bench sales`.
//! `CRM_BENCH_CUSTOMERS=n` scales the customers; results go to stdout as a Markdown table.

mod common;

use std::time::Instant;

use common::{ms, percentile};
use crm_core::demo::{self, DemoSize, Rng};
use crm_core::{Kind, Request, Response, Store};
use serde_json::{json, Map as JsonMap, Value as Json};

const PRODUCTS: usize = 2_000;
const ORDERS: usize = 20_000;
const NAMES: &[&str] =
    &["液压泵", "齿轮泵", "伺服电机", "变频器", "减速机", "电磁阀", "密封圈", "轴承", "联轴器", "滤芯"];

fn call(store: &mut Store, request: Json) -> Json {
    let request: Request = serde_json::from_value(request).expect("request");
    let response = store.handle(request);
    if let Response::Error { code, message, .. } = &response {
        panic!("{code}: {message}");
    }
    serde_json::to_value(response).expect("json")
}

fn fields(value: Json) -> JsonMap<String, Json> {
    value.as_object().cloned().expect("object")
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let customers: usize = std::env::var("CRM_BENCH_CUSTOMERS").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let size = if customers == 10_000 { DemoSize::benchmark() } else { DemoSize::scaled(customers) };
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = Store::open(dir.path().join("crm.sqlite3")).expect("open");
    store.set_identity("01a20000-0000-7000-8000-000000000001", "管理员", "admin", None).expect("identity");
    let mut rows: Vec<(String, String)> = Vec::new();
    let started = Instant::now();
    let loaded = demo::load(&mut store, 42, size, chrono::Utc::now().date_naive()).expect("load");
    let mut rng = Rng::new(11);

    // The catalogue: 2,000 products.
    let products: Vec<(Kind, JsonMap<String, Json>)> = (0..PRODUCTS)
        .map(|i| {
            let name = format!("{}{}", NAMES[i % NAMES.len()], ["A", "B", "C", "D", "E"][i % 5]);
            (
                Kind::Product,
                fields(json!({"code": format!("P{:05}", i + 1), "name": name, "spec": format!("型号 {}-{}", i % 97, i % 13),
                              "unit": "台", "list_price": {"minor": 1_000 + (i as i64 * 37 % 500_000), "currency": "CNY"}})),
            )
        })
        .collect();
    let product_ids = store.bulk_create(products).expect("products");
    let customer_ids: Vec<String> = {
        let mut st = store.connection().prepare("SELECT id FROM p_customer ORDER BY code").expect("sql");
        st.query_map([], |r| r.get(0)).expect("rows").collect::<Result<_, _>>().expect("ids")
    };
    // 20,000 orders of 1–5 lines, each with a payment; the first customer has 60 of them.
    let line = |rng: &mut Rng| {
        let p = rng.below(PRODUCTS);
        json!({"product": product_ids[p], "name": NAMES[p % NAMES.len()], "unit": "台", "quantity": 1 + rng.below(9),
               "list_price": 1_000 + (p as i64 * 37 % 500_000), "unit_price": 1_000 + (p as i64 * 37 % 500_000), "tax_rate": 1300})
    };
    let mut orders = Vec::with_capacity(ORDERS);
    let mut buyers = Vec::with_capacity(ORDERS);
    for i in 0..ORDERS {
        let customer =
            if i < 60 { customer_ids[0].clone() } else { customer_ids[rng.below(customer_ids.len())].clone() };
        let lines: Vec<Json> = (0..1 + rng.below(5)).map(|_| line(&mut rng)).collect();
        orders.push((Kind::Order, fields(json!({"customer": customer, "lines": lines}))));
        buyers.push(customer);
    }
    let order_ids = store.bulk_create(orders).expect("orders");
    let payments: Vec<(Kind, JsonMap<String, Json>)> = order_ids
        .iter()
        .zip(&buyers)
        .map(|(order, customer)| {
            (
                Kind::Payment,
                fields(json!({"customer": customer, "sales_order": order, "received_on": "2026-11-01",
                                          "amount": {"minor": 10_000, "currency": "CNY"}})),
            )
        })
        .collect();
    store.bulk_create(payments).expect("payments");
    let load = started.elapsed();
    rows.push((
        "records".into(),
        format!(
            "{} ({} customers, {} contacts, {} activities, {} opportunities, {PRODUCTS} products, {ORDERS} orders, {ORDERS} payments)",
            loaded.total() + PRODUCTS + 2 * ORDERS,
            loaded.customers,
            loaded.contacts,
            loaded.activities,
            loaded.opportunities
        ),
    ));
    rows.push(("load".into(), format!("{:.1} s", load.as_secs_f64())));

    // An order with 50 lines: created (validated, totalled, projected, queued) and read back
    // with its figures.
    let mut create = Vec::new();
    for _ in 0..100 {
        let lines: Vec<Json> = (0..50).map(|_| line(&mut rng)).collect();
        let customer = customer_ids[rng.below(customer_ids.len())].clone();
        let t = Instant::now();
        let out = call(
            &mut store,
            json!({"op": "create", "kind": "order", "fields": {"customer": customer, "lines": lines}, "allow_duplicate": true}),
        );
        assert!(out["fields"]["total"]["minor"].as_i64().is_some_and(|t| t > 0));
        create.push(t.elapsed());
    }
    rows.push((
        "order with 50 lines created and totalled (target < 20 ms), p50 / p95 of 100".into(),
        format!("{} / {}", ms(percentile(&mut create, 0.5)), ms(percentile(&mut create, 0.95))),
    ));
    let mut totals = Vec::new();
    for _ in 0..200 {
        let lines: Vec<Json> = (0..50).map(|_| line(&mut rng)).collect();
        let t = Instant::now();
        call(&mut store, json!({"op": "totals", "lines": lines, "discount": 100}));
        totals.push(t.elapsed());
    }
    rows.push((
        "a form's 50 lines totalled (`totals`), p50 / p95 of 200".into(),
        format!("{} / {}", ms(percentile(&mut totals, 0.5)), ms(percentile(&mut totals, 0.95))),
    ));

    // A customer's purchase history: the busiest customer (60+ orders), and random ones.
    let mut history = Vec::new();
    for _ in 0..100 {
        let t = Instant::now();
        let out = call(&mut store, json!({"op": "purchase_history", "customer": customer_ids[0]}));
        assert!(out["documents"].as_array().is_some_and(|d| d.len() >= 60));
        history.push(t.elapsed());
    }
    rows.push((
        "purchase history of a customer with 60+ orders (target < 10 ms), p50 / p95 of 100".into(),
        format!("{} / {}", ms(percentile(&mut history, 0.5)), ms(percentile(&mut history, 0.95))),
    ));
    let mut typical = Vec::new();
    for _ in 0..200 {
        let customer = customer_ids[rng.below(customer_ids.len())].clone();
        let t = Instant::now();
        call(&mut store, json!({"op": "purchase_history", "customer": customer}));
        typical.push(t.elapsed());
    }
    rows.push((
        "purchase history of a random customer (~2 orders), p50 / p95 of 200".into(),
        format!("{} / {}", ms(percentile(&mut typical, 0.5)), ms(percentile(&mut typical, 0.95))),
    ));

    // Product search, as the line entry asks it: by code, by part of a name, by specification.
    let mut queries: Vec<String> = Vec::new();
    for _ in 0..100 {
        queries.push(format!("P{:05}", 1 + rng.below(PRODUCTS)));
        queries.push(format!("p{:03}", rng.below(200)));
        queries.push(NAMES[rng.below(NAMES.len())].chars().take(2).collect());
        queries.push(NAMES[rng.below(NAMES.len())].to_string());
        queries.push(format!("型号 {}", rng.below(97)));
    }
    let mut search = Vec::new();
    for q in &queries {
        let t = Instant::now();
        call(&mut store, json!({"op": "search", "query": q, "kinds": ["product"], "limit": 20}));
        search.push(t.elapsed());
    }
    rows.push((
        format!("product search (target p95 < 5 ms), p50 / p95 of {}", queries.len()),
        format!("{} / {}", ms(percentile(&mut search, 0.5)), ms(percentile(&mut search, 0.95))),
    ));
    let mut price = Vec::new();
    for _ in 0..200 {
        let product = product_ids[rng.below(PRODUCTS)].clone();
        let customer = customer_ids[rng.below(customer_ids.len())].clone();
        let t = Instant::now();
        call(&mut store, json!({"op": "price", "product": product, "customer": customer, "quantity": 3}));
        price.push(t.elapsed());
    }
    rows.push((
        "a line's price and stock (`price`), p50 / p95 of 200".into(),
        format!("{} / {}", ms(percentile(&mut price, 0.5)), ms(percentile(&mut price, 0.95))),
    ));
    let t = Instant::now();
    let out = call(&mut store, json!({"op": "receivables"}));
    rows.push((
        format!("receivables over every customer ({} owing)", out["customers"].as_array().map_or(0, Vec::len)),
        ms(t.elapsed()),
    ));

    // Reports over all of it, as an admin sees them, for a year grouped by month. The orders
    // and payments are confirmed and spread over the year straight in the read models (what
    // reports read), and 5,000 service requests are added, half handled.
    let requests: Vec<(Kind, JsonMap<String, Json>)> = (0..5_000)
        .map(|i| {
            let customer = customer_ids[(i * 7) % customer_ids.len()].clone();
            (
                Kind::ServiceRequest,
                fields(
                    json!({"customer": customer, "type": (["repair", "inquiry", "complaint"][i % 3]), "title": "报修"}),
                ),
            )
        })
        .collect();
    store.bulk_create(requests).expect("service requests");
    store
        .connection()
        .execute_batch(
            "UPDATE p_order SET status = 'confirmed', ordered_at = ordered_at - ((rowid * 7919) % 365) * 86400000;
             UPDATE p_payment SET status = 'confirmed', received_on = date('now', '-' || ((rowid * 7919) % 365) || ' days');
             UPDATE p_service_request SET status = 'handled', assignee = owner_or_me.id,
                    assigned_at = created_at + 3600000, handled_at = created_at + 86400000, satisfaction = 1 + rowid % 5
               FROM (SELECT id FROM p_user LIMIT 1) AS owner_or_me WHERE p_service_request.rowid % 2 = 0;",
        )
        .expect("spread");
    let today = chrono::Utc::now().date_naive();
    let year = json!({"from": (today - chrono::Duration::days(364)).to_string(), "to": today.to_string()});
    for name in crm_core::report::REPORTS {
        let mut runs = Vec::new();
        let mut size = 0;
        for _ in 0..20 {
            let mut request = year.clone();
            request["op"] = json!("report");
            request["name"] = json!(name);
            let t = Instant::now();
            let out = call(&mut store, request);
            runs.push(t.elapsed());
            size = out["tables"]
                .as_array()
                .map_or(0, |t| t.iter().map(|t| t["rows"].as_array().map_or(0, Vec::len)).sum());
        }
        rows.push((
            format!("report `{name}` over a year ({size} rows; target < 100 ms), p50 / p95 of 20"),
            format!("{} / {}", ms(percentile(&mut runs, 0.5)), ms(percentile(&mut runs, 0.95))),
        ));
    }
    let mut request = year.clone();
    request["op"] = json!("report_export");
    request["name"] = json!("contribution");
    let t = Instant::now();
    let file = call(&mut store, request.clone());
    let took = t.elapsed();
    request["op"] = json!("report");
    let customers = call(&mut store, request)["tables"][0]["rows"].as_array().map_or(0, Vec::len);
    rows.push((
        format!(
            "contribution exported to .xlsx ({customers} customer rows, {} KB; target < 2 s for 10,000)",
            file["data"].as_str().map_or(0, str::len) * 3 / 4 / 1024
        ),
        ms(took),
    ));

    println!("| measure | result |\n|---|---|");
    for (what, result) in rows {
        println!("| {what} | {result} |");
    }
}
