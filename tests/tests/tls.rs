//! TLS between devices and the server: a device pinning the company's CA signs in over https
//! and syncs over wss; without that CA, or with another, the certificate is refused and no
//! password or token is sent; plain http beyond this machine is refused before anything goes
//! out; a client that stalls in the handshake holds up nobody else.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use crm_core::sync::client;
use crm_core::Store;
use crm_tests::{TestServer, PASSWORD};
use serde_json::json;

fn fresh_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("crm.sqlite3")).unwrap();
    (dir, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_pinning_the_company_ca_sign_in_and_sync_over_tls() {
    let server = TestServer::start_tls();
    assert!(server.url().starts_with("https://127.0.0.1:"));
    let [ann, sue] =
        server.people([("ann", "account_manager", Some("east")), ("sue", "supervisor", Some("east"))]).await;
    let customer = ann.create("customer", json!({"name": "苏州精工机械有限公司"}));
    ann.sync().await.unwrap();
    sue.sync().await.unwrap();
    assert_eq!(sue.get(&customer)["fields"]["name"], "苏州精工机械有限公司", "arrived over wss");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_from_an_unknown_ca_is_refused_before_the_password_goes_out() {
    let server = TestServer::start_tls();
    server.add_user("ann", "account_manager", Some("east"));
    let url = server.url();
    let attempts = tokio::task::spawn_blocking(move || {
        // The system's roots alone do not know the company's CA; another CA pinned does not help.
        let (_a, mut plain) = fresh_store();
        let unknown = client::login(&mut plain, &url, "ann", PASSWORD, "laptop").map(|_| ()).unwrap_err();
        let (_b, mut other) = fresh_store();
        let other_ca =
            std::fs::read_to_string(format!("{}/fixtures/tls/other-ca.pem", env!("CARGO_MANIFEST_DIR"))).unwrap();
        client::set_server_ca(&mut other, Some(&other_ca)).unwrap();
        let wrong = client::login(&mut other, &url, "ann", PASSWORD, "laptop").map(|_| ()).unwrap_err();
        // Not a certificate at all: said so when it is pinned.
        let (_c, mut junk) = fresh_store();
        let not_pem = client::set_server_ca(&mut junk, Some("hello")).unwrap_err();
        (unknown.to_string(), wrong.to_string(), not_pem.to_string(), plain.meta("sync_token").unwrap())
    })
    .await
    .unwrap();
    for refused in [&attempts.0, &attempts.1] {
        assert!(refused.to_lowercase().contains("certificate") || refused.contains("UnknownIssuer"), "{refused}");
    }
    assert!(attempts.2.contains("no certificate"), "{}", attempts.2);
    assert_eq!(attempts.3, None, "nothing was signed in");
    // The server kept no session and heard no password: it has no device for ann.
    assert!(server.db().devices().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_beyond_this_machine_is_refused_before_anything_is_sent() {
    let refused = tokio::task::spawn_blocking(|| {
        let (_d, mut store) = fresh_store();
        // A documentation address (TEST-NET-1): nothing would answer; nothing is tried.
        let started = Instant::now();
        let e = client::login(&mut store, "http://192.0.2.10:7878", "ann", PASSWORD, "laptop").map(|_| ()).unwrap_err();
        (e.code().to_string(), e.to_string(), started.elapsed())
    })
    .await
    .unwrap();
    if std::env::var("CRM_INSECURE_HTTP").is_err() {
        assert_eq!(refused.0, "insecure_server", "{}", refused.1);
        assert!(refused.1.contains("https://"), "{}", refused.1);
        assert!(refused.2 < Duration::from_secs(1), "refused at once, without connecting");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_stalled_in_the_handshake_holds_up_nobody() {
    let server = TestServer::start_tls();
    // Connections that never say hello, or say garbage instead of TLS.
    let mut stalled = Vec::new();
    for _ in 0..20 {
        stalled.push(tokio::net::TcpStream::connect(server.addr).await.unwrap());
    }
    let mut garbage = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut garbage, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let started = Instant::now();
    let [ann] = server.people([("ann", "account_manager", Some("east"))]).await;
    ann.create("customer", json!({"name": "宁波港达物流"}));
    ann.sync().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5), "served while 21 connections stalled: {:?}", started.elapsed());
    drop(stalled);
}
