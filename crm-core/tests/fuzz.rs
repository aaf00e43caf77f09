//! Seeded property tests of what arrives from outside: protocol frames (arbitrary bytes and
//! mutated valid frames never panic the decoder; every message round-trips) and request JSON
//! (any request, however wrong, gets an answer — an error or not — and the store keeps
//! serving with nothing already saved lost). The seed is printed; `CRM_SEED=…` replays a run.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Replica, Rng};
use crm_core::sync::protocol::{self, ClientMsg, DocBytes, ServerMsg};
use crm_core::{Request, Response};
use serde_json::{json, Map, Value as Json};

fn bytes(rng: &mut Rng, max: u64) -> Vec<u8> {
    (0..rng.below(max + 1)).map(|_| rng.next() as u8).collect()
}

fn text(rng: &mut Rng) -> String {
    const PIECES: &[&str] =
        &["", "a", "客户", "\u{0}", "😀", "01a201ce-c5bf-743e-951a-fdf4250f4ae9", "-1", "1e308", "\"", "\\"];
    (0..rng.below(4)).map(|_| PIECES[rng.below(PIECES.len() as u64) as usize]).collect()
}

fn client_msg(rng: &mut Rng) -> ClientMsg {
    match rng.below(4) {
        0 => ClientMsg::Hello {
            protocol: rng.next() as u32,
            cursor: rng.next(),
            epoch: (rng.below(2) == 0).then(|| text(rng)),
            read_models: (rng.below(2) == 0).then(|| text(rng)),
        },
        1 => ClientMsg::Push {
            batch: rng.next(),
            changes: (0..rng.below(4)).map(|_| DocBytes { doc: text(rng), bytes: bytes(rng, 64) }).collect(),
            ahead: rng.below(2) == 0,
        },
        2 => ClientMsg::Ping { n: rng.next() },
        _ => ClientMsg::Repair { doc: text(rng), message: bytes(rng, 64) },
    }
}

#[test]
fn frames_round_trip_and_garbage_never_panics_the_decoder() {
    let mut rng = Rng::seeded("frames_round_trip_and_garbage_never_panics_the_decoder");
    for _ in 0..3_000 {
        let msg = client_msg(&mut rng);
        let frame = protocol::encode(&msg);
        assert_eq!(protocol::decode::<ClientMsg>(&frame), Ok(msg.clone()), "round trip of {msg:?}");
        // The frame cut short, a byte changed, bytes appended: an answer, never a panic.
        let mut cut = frame.clone();
        cut.truncate(rng.below(frame.len() as u64 + 1) as usize);
        let _ = protocol::decode::<ClientMsg>(&cut);
        let mut flipped = frame.clone();
        if !flipped.is_empty() {
            let i = rng.below(flipped.len() as u64) as usize;
            flipped[i] ^= 1 << rng.below(8);
        }
        let _ = protocol::decode::<ClientMsg>(&flipped);
        let mut longer = frame;
        longer.extend(bytes(&mut rng, 16));
        let _ = protocol::decode::<ClientMsg>(&longer);
        // Arbitrary bytes, as either side's message.
        let noise = bytes(&mut rng, 256);
        let _ = protocol::decode::<ClientMsg>(&noise);
        let _ = protocol::decode::<ServerMsg>(&noise);
    }
    assert!(protocol::decode::<ClientMsg>(&[]).is_err(), "an empty frame is no message");
    // Deeply nested CBOR (arrays in arrays) is refused, not a stack overflow.
    let nested = vec![0x81u8; 100_000];
    assert!(protocol::decode::<ClientMsg>(&nested).is_err());
}

/// A JSON value of any shape, biased towards what requests hold.
fn value(rng: &mut Rng, depth: u32) -> Json {
    match rng.below(if depth > 2 { 6 } else { 8 }) {
        0 => Json::Null,
        1 => json!(rng.below(2) == 0),
        2 => json!(rng.next() as i64),
        3 => json!((rng.next() as f64) / 7.0),
        4 | 5 => json!(text(rng)),
        6 => Json::Array((0..rng.below(4)).map(|_| value(rng, depth + 1)).collect()),
        _ => Json::Object(fields(rng, depth + 1)),
    }
}

fn fields(rng: &mut Rng, depth: u32) -> Map<String, Json> {
    const NAMES: &[&str] = &[
        "name",
        "phones",
        "tags",
        "grade",
        "owner",
        "customer",
        "amount",
        "lines",
        "plan",
        "discount",
        "currency",
        "date",
        "category",
        "status",
        "time",
        "type",
        "notes",
        "title",
        "quantity",
        "due",
        "custom_fields",
        "nonsense",
    ];
    (0..rng.below(5)).map(|_| (NAMES[rng.below(NAMES.len() as u64) as usize].to_string(), value(rng, depth))).collect()
}

/// A value for a request's parameter: mostly of the type it takes, sometimes not.
fn param(rng: &mut Rng, name: &str, customer: &str) -> Json {
    if rng.below(5) == 0 {
        return value(rng, 1);
    }
    const KINDS: &[&str] = &["customer", "contact", "activity", "quote", "order", "expense", "nonsense", ""];
    match name {
        "id" | "customer" | "product" | "user" | "owner" => {
            if rng.below(2) == 0 {
                json!(customer)
            } else {
                json!(text(rng))
            }
        }
        "kind" => json!(KINDS[rng.below(KINDS.len() as u64) as usize]),
        "fields" | "filter" => Json::Object(fields(rng, 1)),
        "lines" => Json::Array((0..rng.below(3)).map(|_| Json::Object(fields(rng, 1))).collect()),
        "limit" | "discount" => json!(rng.below(1000) - 10),
        "all_owners" | "allow_duplicate" => json!(rng.below(2) == 0),
        "from" | "to" => json!(["2026-11-01", "2026-11-30", "2026-02-30", "x"][rng.below(4) as usize]),
        "month" => json!(["2026-11", "2026-13", "十一月"][rng.below(3) as usize]),
        _ => json!(text(rng)),
    }
}

#[test]
fn any_request_gets_an_answer_and_the_store_keeps_serving() {
    // Each op with the parameters it takes.
    const OPS: &[(&str, &[&str])] = &[
        ("create", &["kind", "fields", "allow_duplicate"]),
        ("update", &["id", "fields", "base"]),
        ("get", &["id"]),
        ("delete", &["id"]),
        ("restore", &["id"]),
        ("permissions", &["id"]),
        ("history", &["id"]),
        ("approval_needs", &["id"]),
        ("list", &["kind", "filter", "sort", "limit", "cursor"]),
        ("transition", &["id", "name", "fields"]),
        ("resolve_conflict", &["id", "field", "value"]),
        ("totals", &["lines", "discount"]),
        ("price", &["product", "customer", "quantity", "currency"]),
        ("purchase_history", &["customer"]),
        ("agenda", &["from", "to", "owner", "all_owners"]),
        ("expense_claim", &["user", "month"]),
        ("reminders", &["all_owners"]),
    ];
    let mut rng = Rng::seeded("any_request_gets_an_answer_and_the_store_keeps_serving");
    let mut me = Replica::new("u-admin", "管理员", "admin");
    let customer = me.create("customer", json!({"name": "常熟虞山机械", "owner": "u-admin"}));
    let (mut parsed, mut refused) = (0, 0);
    for _ in 0..2_000 {
        let (op, params) = OPS[rng.below(OPS.len() as u64) as usize];
        let mut request = Map::new();
        request.insert("op".into(), json!(op));
        for name in params.iter() {
            if rng.below(4) != 0 {
                request.insert(name.to_string(), param(&mut rng, name, &customer));
            }
        }
        let Ok(request) = serde_json::from_value::<Request>(Json::Object(request)) else {
            refused += 1;
            continue;
        };
        parsed += 1;
        // Whatever it is, it is answered, as JSON a client can read.
        let answer = me.store.handle(request);
        let json = serde_json::to_value(&answer).unwrap();
        assert!(json["type"].is_string(), "{json}");
        if let Response::Error { .. } = answer {
            assert!(json["code"].is_string() && json["message"].is_string(), "an error says what: {json}");
        }
    }
    println!("{parsed} requests parsed and answered, {refused} refused as malformed");
    assert!(parsed > 100, "the generator reaches the store: {parsed}");
    // Still serving: the record is still there (deleted perhaps, by a request that may) and
    // valid — its required name never went missing — and lists answer.
    let after = me.get(&customer);
    assert_eq!(after["id"], customer.as_str());
    assert!(after["fields"]["name"].is_string(), "{after}");
    assert!(me.call(json!({"op": "list", "kind": "customer"}))["items"].is_array());
}
