//! Many devices connected to one server process: the memory an idle connection costs, and how
//! fast an edit fans out to every connected device.
//!
//!     cargo build --release -p sync-server && cargo bench -p crm-tests --bench connections
//!
//! `CRM_BENCH_CONNECTIONS=n` (default 5,000) connections, all of one salesperson's account
//! (every one of them reads every edit: the worst fan-out), each having said hello and caught
//! up, then idle. One device then edits a customer and pushes, `ROUNDS` times; each round
//! measures when every connection has the change. The server is the release binary as a
//! process of its own on loopback (`--max-per-address` raised: all come from 127.0.0.1).
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crm_core::sync::protocol::{decode, encode, ClientMsg, ServerMsg, PROTOCOL_VERSION};
use crm_tests::process::Server;
use crm_tests::Device;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const ROUNDS: usize = 20;

fn pct(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// One connection: connect, say hello, catch up, then note when each round's edit arrives
/// (in `arrivals[round]`). False when it could not connect (why, in `failures`).
async fn listen(
    url: String,
    token: String,
    round: Arc<Mutex<(usize, Instant)>>,
    arrivals: Arc<Mutex<Vec<Vec<Duration>>>>,
    failures: Arc<Mutex<std::collections::BTreeMap<String, usize>>>,
) -> bool {
    let failed = |why: String| {
        *failures.lock().unwrap().entry(why).or_default() += 1;
        false
    };
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    let mut ws = match tokio_tungstenite::connect_async(request).await {
        Ok((ws, _)) => ws,
        Err(e) => return failed(format!("connect: {e}")),
    };
    let hello = ClientMsg::Hello { protocol: PROTOCOL_VERSION, cursor: 0, epoch: None, read_models: None };
    if ws.send(Message::Binary(encode(&hello).into())).await.is_err() {
        return failed("hello: send".into());
    }
    loop {
        match ws.next().await {
            Some(Ok(Message::Binary(b))) => {
                if matches!(decode::<ServerMsg>(&b), Ok(ServerMsg::CaughtUp { .. })) {
                    break;
                }
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => return failed(format!("hello: {e}")),
            None => return failed("hello: closed".into()),
        }
    }
    tokio::spawn(async move {
        let mut n = 0u64;
        while let Some(Ok(message)) = ws.next().await {
            if let Message::Binary(b) = message {
                if let Ok(ServerMsg::Changes { .. }) = decode::<ServerMsg>(&b) {
                    let (r, at) = *round.lock().unwrap();
                    arrivals.lock().unwrap()[r].push(at.elapsed());
                }
            }
            n += 1;
            // Speak now and then, as a device does, so it is not idle-closed.
            if n.is_multiple_of(10) {
                let _ = ws.send(Message::Binary(encode(&ClientMsg::Ping { n }).into())).await;
            }
        }
    });
    true
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let n: usize = std::env::var("CRM_BENCH_CONNECTIONS").ok().and_then(|s| s.parse().ok()).unwrap_or(5_000);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async move {
        // `CRM_BENCH_OTHERS=1`: the connections are another salesperson's devices.
        let others = std::env::var("CRM_BENCH_OTHERS").is_ok_and(|v| v == "1");
        // `CRM_BENCH_EDITORS=n` (default 100): other salespeople editing their own customers
        // all through the measured rounds, each about once a second, from devices of their own.
        let editors: usize = std::env::var("CRM_BENCH_EDITORS").ok().and_then(|s| s.parse().ok()).unwrap_or(100);
        let editor_names: Vec<String> = (0..editors).map(|i| format!("editor{i}")).collect();
        let mut accounts = vec![("ann", "account_manager"), ("bob", "account_manager")];
        accounts.extend(editor_names.iter().map(|n| (n.as_str(), "account_manager")));
        let server = Server::start_with(&accounts, &["--max-per-address", "100000"]);
        let ann = Device::login_at(&server.url, "ann").await;
        let customer = ann.create("customer", json!({"name": "苏州精工机械有限公司", "grade": "B"}));
        ann.sync().await.unwrap();
        // The connections are another device of hers (a device is not sent its own changes), or
        // of bob's.
        let watcher = Device::login_at(&server.url, if others { "bob" } else { "ann" }).await;
        let token = crm_tests::wire::token_of(&watcher);
        let failures: Arc<Mutex<std::collections::BTreeMap<String, usize>>> = Arc::default();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let before = server.rss_mb();

        // Connect, say hello, catch up; then each connection waits for live changes and notes
        // when the current round's edit arrives.
        let round: Arc<Mutex<(usize, Instant)>> = Arc::new(Mutex::new((0, Instant::now())));
        let arrivals: Arc<Mutex<Vec<Vec<Duration>>>> = Arc::new(Mutex::new(vec![Vec::new(); ROUNDS + 1]));
        let started = Instant::now();
        let mut connected = 0;
        let url = server.url.replacen("http", "ws", 1) + "/sync";
        for chunk in (0..n).collect::<Vec<_>>().chunks(250) {
            let mut batch = Vec::new();
            for _ in chunk {
                let (round, arrivals, failures) = (Arc::clone(&round), Arc::clone(&arrivals), Arc::clone(&failures));
                batch.push(tokio::spawn(listen(url.clone(), token.clone(), round, arrivals, failures)));
            }
            for handle in batch {
                if let Ok(true) = handle.await {
                    connected += 1;
                }
            }
        }
        // Device B: one more of ann's devices, measured on its own.
        let b_arrivals: Arc<Mutex<Vec<Vec<Duration>>>> = Arc::new(Mutex::new(vec![Vec::new(); ROUNDS + 1]));
        let b = Device::login_at(&server.url, "ann").await;
        let b_token = crm_tests::wire::token_of(&b);
        assert!(
            listen(url.clone(), b_token, Arc::clone(&round), Arc::clone(&b_arrivals), Arc::clone(&failures)).await,
            "device B connects"
        );
        let connect_time = started.elapsed();
        tokio::time::sleep(Duration::from_secs(2)).await;
        let after = server.rss_mb();

        // The editors: each a device of its own, connected live, editing its customer about
        // once a second (staggered) until the rounds are over.
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let edits = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let mut editing = Vec::new();
        for (i, name) in editor_names.iter().enumerate() {
            let device = Device::login_at(&server.url, name).await;
            let mine = device.create("customer", json!({"name": format!("编辑测试客户{i}")}));
            device.sync().await.unwrap();
            let engine = device.engine.clone();
            let run_stop = stopped.clone();
            editing.push(tokio::spawn(async move {
                let _ = engine.run(run_stop).await;
            }));
            let (mut stopped, edits) = (stopped.clone(), Arc::clone(&edits));
            editing.push(tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(10 * i as u64)).await;
                let mut n = 0;
                loop {
                    n += 1;
                    device.call(json!({"op": "update", "id": mine, "fields": {"address": format!("第{n}次修改")}}));
                    edits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tokio::select! {
                        _ = stopped.changed() => break,
                        () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let editing_since = Instant::now();
        let edits_before = edits.load(std::sync::atomic::Ordering::Relaxed);

        let mut rounds = Vec::new();
        let mut b_seen = Vec::new();
        // CPU of the server and of this process (the connections' reading) over the rounds.
        let cpu = || (server.cpu_seconds(), crm_tests::process::cpu_seconds("/proc/self/stat"));
        let cpu_before = cpu();
        // The connections of the other user read nothing of ann's.
        let expected = if others { 0 } else { connected };
        for r in 1..=ROUNDS {
            *round.lock().unwrap() = (r, Instant::now());
            ann.call(json!({"op": "update", "id": customer, "fields": {"notes": format!("第 {r} 次回访")}}));
            ann.sync().await.unwrap();
            let deadline = Instant::now() + Duration::from_secs(30);
            while (arrivals.lock().unwrap()[r].len() < expected || b_arrivals.lock().unwrap()[r].is_empty())
                && Instant::now() < deadline
            {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let mut got = arrivals.lock().unwrap()[r].clone();
            let reached = got.len();
            if got.is_empty() {
                got.push(Duration::ZERO);
            }
            rounds.push((reached, pct(&mut got, 0.5), pct(&mut got, 0.95), pct(&mut got, 1.0)));
            b_seen.extend(b_arrivals.lock().unwrap()[r].first().copied());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let cpu_after = cpu();
        let per_round = |before: f64, after: f64| (after - before) * 1000.0 / ROUNDS as f64;
        let edit_rate = (edits.load(std::sync::atomic::Ordering::Relaxed) - edits_before) as f64
            / editing_since.elapsed().as_secs_f64();
        let _ = stop.send(true);
        for task in editing {
            let _ = task.await;
        }
        for (why, count) in failures.lock().unwrap().iter() {
            eprintln!("{count} connections failed: {why}");
        }
        println!("| measure | result |\n|---|---|");
        println!(
            "| connections held (asked {n}) | {connected}, connected and caught up in {:.1} s |",
            connect_time.as_secs_f64()
        );
        println!(
            "| server memory idle → with them | {before:.1} MB → {after:.1} MB: {:.1} KB per idle connection |",
            (after - before) * 1024.0 / connected.max(1) as f64
        );
        println!("| server peak memory | {:.1} MB |", server.peak_rss_mb());
        println!("| other salespeople editing meanwhile | {editors}, {edit_rate:.0} edits/s in all |");
        let readers =
            if others { "of another salesperson, who reads none of it" } else { "of hers, every one reading it" };
        let b_rounds = b_seen.len();
        println!(
            "| an edit on A seen on B, {connected} other connections {readers}: p50 / max of {b_rounds} | {} / {} |",
            ms(pct(&mut b_seen, 0.5)),
            ms(pct(&mut b_seen, 1.0))
        );
        println!(
            "| CPU per round (the edit, its fan-out{}): server / the bench's connections | {:.1} ms / {:.1} ms |",
            if editors > 0 { ", and the other salespeople's edits meanwhile" } else { "" },
            per_round(cpu_before.0, cpu_after.0),
            per_round(cpu_before.1, cpu_after.1)
        );
        for (i, (reached, p50, p95, max)) in rounds.iter().enumerate() {
            println!(
                "| edit {} fanned out to {reached} connections: p50 / p95 / last | {} / {} / {} |",
                i + 1,
                ms(*p50),
                ms(*p95),
                ms(*max)
            );
        }
    });
}
