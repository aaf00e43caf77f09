//! `fuzz-frames`: throw frames at a real sync server for a time box.
//!
//! `cargo run -p crm-tests --bin fuzz-frames -- [--seconds 60] [--seed N]`
//!
//! A signed-in device's connection sends sequences of valid, mutated and random frames
//! (`crm_tests::fuzz`); every 50 inputs a real device syncs to show the server still serves.
//! An input that makes the server panic is written to `tests/fuzz/frames/` (the
//! `fuzz_regressions` test replays it from then on) and the run fails.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crm_core::demo::Rng;
use crm_tests::fuzz::{self, Frame};
use crm_tests::wire::{connect, token_of};
use crm_tests::TestServer;
use serde_json::json;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let seconds: u64 = flag("--seconds").and_then(|s| s.parse().ok()).unwrap_or(60);
    let seed: u64 = flag("--seed").and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(1)
    });
    println!("fuzz-frames: seed {seed}, {seconds} s");

    // The input being sent, for the panic hook to keep.
    let current: Arc<Mutex<Vec<Frame>>> = Arc::default();
    let hook_input = Arc::clone(&current);
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let frames = hook_input.lock().map(|f| f.clone()).unwrap_or_default();
        let dir = fuzz::corpus_dir();
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join(format!("crash-seed{seed}-{}.frames", std::process::id()));
        let _ = std::fs::write(&path, fuzz::to_file(&frames));
        eprintln!("fuzz-frames: the server panicked; the input is kept in {}", path.display());
        default_hook(info);
        std::process::exit(1);
    }));

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let (inputs, frames) = runtime.block_on(async move {
        let server = TestServer::start();
        let [ann] = server.people([("ann", "account_manager", Some("east"))]).await;
        let customer = ann.create("customer", json!({"name": "苏州精工机械有限公司"}));
        ann.sync().await.expect("first sync");
        let change = ann.forged(&customer, |d| {
            use automerge::transaction::Transactable;
            d.put(automerge::ROOT, "grade", "A").expect("edit");
        });
        let seeds = fuzz::seeds(&customer, &change);
        let token = token_of(&ann);
        let mut rng = Rng::new(seed);
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let (mut inputs, mut frames) = (0u64, 0u64);
        while Instant::now() < deadline {
            let input = fuzz::input(&mut rng, &seeds);
            *current.lock().expect("input") = input.clone();
            let mut ws = connect(&server, Some(&token)).await.expect("the server takes connections");
            fuzz::replay(&mut ws, &input, Duration::from_millis(30)).await;
            inputs += 1;
            frames += input.len() as u64;
            if inputs % 50 == 0 {
                ann.sync().await.expect("a real device still syncs");
            }
        }
        ann.sync().await.expect("a real device still syncs at the end");
        (inputs, frames)
    });
    println!("fuzz-frames: {inputs} inputs, {frames} frames, no panic (seed {seed})");
}
