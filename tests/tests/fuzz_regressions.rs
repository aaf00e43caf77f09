//! The server's frame handling against kept fuzz inputs (`tests/fuzz/frames/`, any input that
//! once made it panic) and a fixed-seed sample of fresh ones: after each, the server still
//! serves a real device.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use crm_core::demo::Rng;
use crm_tests::fuzz;
use crm_tests::wire::{connect, token_of};
use crm_tests::TestServer;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_and_sampled_garbage_frames_leave_the_server_serving() {
    let server = TestServer::start();
    let [ann] = server.people([("ann", "account_manager", Some("east"))]).await;
    let customer = ann.create("customer", json!({"name": "苏州精工机械有限公司"}));
    ann.sync().await.unwrap();
    let change = ann.forged(&customer, |d| {
        use automerge::transaction::Transactable;
        d.put(automerge::ROOT, "grade", "A").unwrap();
    });
    let token = token_of(&ann);

    let mut inputs = Vec::new();
    if let Ok(dir) = std::fs::read_dir(fuzz::corpus_dir()) {
        for entry in dir.flatten() {
            let bytes = std::fs::read(entry.path()).unwrap();
            inputs.push(
                fuzz::from_file(&bytes).unwrap_or_else(|| panic!("{} is not a frames file", entry.path().display())),
            );
        }
    }
    let seed = 20_261_124;
    println!("seed = {seed}");
    let seeds = fuzz::seeds(&customer, &change);
    let mut rng = Rng::new(seed);
    for _ in 0..150 {
        inputs.push(fuzz::input(&mut rng, &seeds));
    }
    for (i, input) in inputs.iter().enumerate() {
        // The file format round-trips.
        assert_eq!(fuzz::from_file(&fuzz::to_file(input)).as_ref(), Some(input));
        let mut ws = connect(&server, Some(&token)).await.unwrap();
        fuzz::replay(&mut ws, input, Duration::from_millis(20)).await;
        if i % 25 == 0 {
            ann.sync().await.unwrap();
        }
    }
    // Still serving: a new record reaches a fresh device with the customer intact. (The seed
    // push is a change in ann's own name, accepted when a sample sends it whole; ann edits
    // nothing more of that customer, whose next change of hers would repeat its number.)
    let other = ann.create("customer", json!({"name": "宁波港达物流"}));
    ann.sync().await.unwrap();
    let fresh = crm_tests::Device::login(&server, "ann").await;
    fresh.sync().await.unwrap();
    assert_eq!(fresh.get(&customer)["fields"]["name"], "苏州精工机械有限公司");
    assert_eq!(fresh.get(&other)["fields"]["name"], "宁波港达物流");
}
