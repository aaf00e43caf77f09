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

const ROUNDS: usize = 10;

fn pct(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let n: usize = std::env::var("CRM_BENCH_CONNECTIONS").ok().and_then(|s| s.parse().ok()).unwrap_or(5_000);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async move {
        let server = Server::start_with(&[("ann", "account_manager")], &["--max-per-address", "100000"]);
        let ann = Device::login_at(&server.url, "ann").await;
        let customer = ann.create("customer", json!({"name": "苏州精工机械有限公司", "grade": "B"}));
        ann.sync().await.unwrap();
        // The connections are another device of hers: a device is not sent its own changes.
        let watcher = Device::login_at(&server.url, "ann").await;
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
        for chunk in (0..n).collect::<Vec<_>>().chunks(250) {
            let mut batch = Vec::new();
            for _ in chunk {
                let url = server.url.replacen("http", "ws", 1) + "/sync";
                let token = token.clone();
                let (round, arrivals, failures) = (Arc::clone(&round), Arc::clone(&arrivals), Arc::clone(&failures));
                batch.push(tokio::spawn(async move {
                    let failed = |why: String| {
                        *failures.lock().unwrap().entry(why).or_default() += 1;
                        None
                    };
                    let mut request = url.into_client_request().unwrap();
                    request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
                    let mut ws = match tokio_tungstenite::connect_async(request).await {
                        Ok((ws, _)) => ws,
                        Err(e) => return failed(format!("connect: {e}")),
                    };
                    let hello =
                        ClientMsg::Hello { protocol: PROTOCOL_VERSION, cursor: 0, epoch: None, read_models: None };
                    ws.send(Message::Binary(encode(&hello).into())).await.ok()?;
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
                    Some(tokio::spawn(async move {
                        let mut n = 0u64;
                        while let Some(Ok(message)) = ws.next().await {
                            match message {
                                Message::Binary(b) => {
                                    if let Ok(ServerMsg::Changes { .. }) = decode::<ServerMsg>(&b) {
                                        let (r, at) = *round.lock().unwrap();
                                        arrivals.lock().unwrap()[r].push(at.elapsed());
                                    }
                                }
                                // Answer the server's pings as a device does, so it is not idle-closed.
                                Message::Ping(_) => {}
                                _ => {}
                            }
                            n += 1;
                            if n.is_multiple_of(10) {
                                let _ = ws.send(Message::Binary(encode(&ClientMsg::Ping { n }).into())).await;
                            }
                        }
                    }))
                }));
            }
            for handle in batch {
                if let Ok(Some(_reader)) = handle.await {
                    connected += 1;
                }
            }
        }
        let connect_time = started.elapsed();
        tokio::time::sleep(Duration::from_secs(2)).await;
        let after = server.rss_mb();

        let mut rounds = Vec::new();
        for r in 1..=ROUNDS {
            *round.lock().unwrap() = (r, Instant::now());
            ann.call(json!({"op": "update", "id": customer, "fields": {"notes": format!("第 {r} 次回访")}}));
            ann.sync().await.unwrap();
            let deadline = Instant::now() + Duration::from_secs(30);
            while arrivals.lock().unwrap()[r].len() < connected && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let mut got = arrivals.lock().unwrap()[r].clone();
            let reached = got.len();
            if got.is_empty() {
                got.push(Duration::ZERO);
            }
            rounds.push((reached, pct(&mut got, 0.5), pct(&mut got, 0.95), pct(&mut got, 1.0)));
            tokio::time::sleep(Duration::from_millis(200)).await;
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
