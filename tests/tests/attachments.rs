//! Photos and receipts against a real server over loopback: taken offline, uploaded when the
//! device is back (resuming after the connection drops mid-upload), seen on the supervisor's
//! device; nobody fetches a file by guessing its hash; a transferred customer's photos leave
//! the old owner's device; a file too large or pretending to be a JPEG is refused, by the
//! device and by the server.

#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use crm_core::attachment::hash_of;
use crm_tests::wire::token_of;
use crm_tests::{jpeg, Device, TestServer};
use serde_json::{json, Value as Json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn attach(device: &Device, record: &str, field: &str, bytes: &[u8], thumb: &[u8], name: &str) -> Json {
    let out = device.call(json!({
        "op": "attach", "record": record, "field": field, "name": name, "type": "image/jpeg",
        "data": STANDARD.encode(bytes), "thumb": STANDARD.encode(thumb), "taken_at": "2026-11-24T02:00:00Z",
    }));
    out["item"].clone()
}

/// A loopback proxy to `to` that counts the bytes clients send, and cuts a connection once it
/// has carried `cut_after` of them (when set).
struct Proxy {
    addr: std::net::SocketAddr,
    sent: Arc<AtomicUsize>,
    cut_after: Arc<AtomicUsize>,
}

impl Proxy {
    async fn start(to: std::net::SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let sent = Arc::new(AtomicUsize::new(0));
        let cut_after = Arc::new(AtomicUsize::new(usize::MAX));
        let (s, c) = (Arc::clone(&sent), Arc::clone(&cut_after));
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (s, c) = (Arc::clone(&s), Arc::clone(&c));
                tokio::spawn(async move {
                    let server = TcpStream::connect(to).await.unwrap();
                    let (mut cr, mut cw) = client.into_split();
                    let (mut sr, mut sw) = server.into_split();
                    let down = tokio::spawn(async move { tokio::io::copy(&mut sr, &mut cw).await });
                    let mut carried = 0usize;
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        let n = match cr.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        let limit = c.load(Ordering::SeqCst);
                        let n = n.min(limit.saturating_sub(carried));
                        if sw.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                        carried += n;
                        s.fetch_add(n, Ordering::SeqCst);
                        if carried >= limit {
                            break;
                        }
                    }
                    // Cut both ways, as a dropped mobile connection does.
                    down.abort();
                });
            }
        });
        Proxy { addr, sent, cut_after }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

fn http(method: &str, url: &str, token: Option<&str>, headers: &[(&str, String)], body: &[u8]) -> (u16, Json, Vec<u8>) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut req = ureq::http::Request::builder().method(method).uri(url);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let mut resp = agent.run(req.body(body.to_vec()).unwrap()).unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.body_mut().with_config().limit(100 << 20).read_to_vec().unwrap_or_default();
    (status, serde_json::from_slice(&bytes).unwrap_or(Json::Null), bytes)
}

fn pending_uploads(device: &Device) -> Vec<crm_core::attachment::local::Upload> {
    device.engine.store().files_to_upload(100).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_taken_offline_upload_resume_after_a_drop_and_reach_the_supervisor() {
    let server = TestServer::start();
    // Ann's device reaches the server through a connection that can drop.
    let proxy = Proxy::start(server.addr).await;
    server.add_user("ann", "account_manager", Some("east"));
    let ann = Device::login_at(&proxy.url(), "ann").await;
    let [sue, bob] =
        server.people([("sue", "supervisor", Some("east")), ("bob", "account_manager", Some("west"))]).await;

    // Offline at the customer's shop: a visit, two photos of 3 MB with their thumbnails.
    let customer = ann.create("customer", json!({"name": "杭州西湖五金店"}));
    let visit = ann.call(json!({"op": "check_in", "customer": customer}))["id"].as_str().unwrap().to_string();
    let (front, shelf) = (jpeg(1, 3 << 20), jpeg(2, 3 << 20));
    let (front_thumb, shelf_thumb) = (jpeg(11, 12_000), jpeg(12, 9_000));
    let first = attach(&ann, &visit, "photos", &front, &front_thumb, "门头.jpg");
    attach(&ann, &visit, "photos", &shelf, &shelf_thumb, "货架.jpg");
    assert_eq!(first["hash"], hash_of(&front));
    assert_eq!(first["size"], 3 << 20);
    let photos = ann.get(&visit)["fields"]["photos"].clone();
    assert_eq!(photos.as_array().unwrap().len(), 2, "{photos}");
    // Nothing goes before its record reached the server: the server would not take it.
    assert!(pending_uploads(&ann).is_empty());

    // Back online: the records go, then the first photo's upload is cut after 1 MB.
    proxy.cut_after.store(1 << 20, Ordering::SeqCst);
    let cut = ann.sync().await;
    assert!(cut.is_err(), "the upload was cut off: {cut:?}");
    assert_eq!(ann.engine.store().outbox_len().unwrap(), 0, "the records reached the server");
    let token = token_of(&ann);
    let front_hash = hash_of(&front);
    let url = format!("{}/api/blobs/{front_hash}?record={visit}", server.url());
    // What was in flight when the connection dropped is written within moments.
    let mut offset = 0;
    for _ in 0..50 {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let (url, token) = (url.clone(), token.clone());
        offset = tokio::task::spawn_blocking(move || {
            let r = agent.head(&url).header("authorization", format!("Bearer {token}")).call().unwrap();
            assert_eq!(r.status().as_u16(), 404, "not complete yet");
            r.headers().get("upload-offset").unwrap().to_str().unwrap().parse::<usize>().unwrap()
        })
        .await
        .unwrap();
        if offset > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(offset > 0 && offset < 3 << 20, "part of the photo arrived and was kept: {offset}");

    // The next sync sends only the rest of it, then the other photo and the thumbnails.
    proxy.cut_after.store(usize::MAX, Ordering::SeqCst);
    let before = proxy.sent.load(Ordering::SeqCst);
    ann.sync().await.unwrap();
    let resent = proxy.sent.load(Ordering::SeqCst) - before;
    let rest = (3 << 20) - offset + (3 << 20) + 21_000;
    assert!(resent < rest + 64 * 1024, "resumed from {offset}: sent {resent} bytes, about {rest}, not the photo again");
    assert!(pending_uploads(&ann).is_empty(), "every photo is on the server");
    let kept = crm_core::attachment::BlobDir::beside(&server.db_path);
    assert_eq!(kept.read(&front_hash).unwrap().unwrap(), front, "what arrived in two parts is the photo");

    // The supervisor's device gets the visit with the thumbnails; the full photo when opened.
    sue.sync().await.unwrap();
    let shown = sue.call(json!({"op": "attachments", "id": customer}));
    let items = shown["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{shown}");
    for item in items {
        assert!(item["thumb_data"].is_string(), "thumbnails are kept for lists: {item}");
        assert_eq!(item["here"], false, "full photos wait until opened");
    }
    let thumb = items.iter().find(|i| i["item"]["hash"] == front_hash).unwrap();
    assert_eq!(STANDARD.decode(thumb["thumb_data"].as_str().unwrap()).unwrap(), front_thumb);
    let not_here = sue.try_call(json!({"op": "file", "hash": front_hash, "record": visit}));
    assert_eq!(not_here["code"], "file_not_here");
    sue.engine.fetch_file(&front_hash, &visit).await.unwrap();
    let opened = sue.call(json!({"op": "file", "hash": front_hash, "record": visit}));
    assert_eq!(STANDARD.decode(opened["data"].as_str().unwrap()).unwrap(), front);
    assert_eq!(opened["content_type"], "image/jpeg");

    // Another team's salesperson guessing the hash gets nothing — with the visit's id or one of
    // his own records — and no token gets nothing either.
    let own = bob.create("customer", json!({"name": "宁波港务"}));
    bob.sync().await.unwrap();
    let bob_token = token_of(&bob);
    for record in [&visit, &own] {
        let url = format!("{}/api/blobs/{front_hash}?record={record}", server.url());
        let (status, body, bytes) = {
            let token = bob_token.clone();
            tokio::task::spawn_blocking(move || http("GET", &url, Some(&token), &[], &[])).await.unwrap()
        };
        assert_eq!((status, body["code"].as_str()), (404, Some("file_not_found")), "{body}");
        assert!(bytes.len() < 1000);
    }
    let (status, _, _) = {
        let url = url.clone();
        tokio::task::spawn_blocking(move || http("GET", &url, None, &[], &[])).await.unwrap()
    };
    assert_eq!(status, 401);
    // Her own supervisor reads it straight from the server, from any byte on.
    let sue_token = token_of(&sue);
    let (status, _, bytes) = {
        let url = url.clone();
        let headers = vec![("range", "bytes=1000-".to_string())];
        tokio::task::spawn_blocking(move || http("GET", &url, Some(&sue_token), &headers, &[])).await.unwrap()
    };
    assert_eq!(status, 206);
    assert_eq!(bytes, front[1000..]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transferred_customers_photos_leave_the_old_owners_device() {
    let server = TestServer::start();
    let [root, ann, bob] = server
        .people([
            ("root", "admin", None),
            ("ann", "account_manager", Some("east")),
            ("bob", "account_manager", Some("west")),
        ])
        .await;
    let customer = ann.create("customer", json!({"name": "常州电机厂"}));
    let kept = ann.create("customer", json!({"name": "无锡纺织"}));
    let front = jpeg(7, 200_000);
    let thumb = jpeg(8, 5_000);
    attach(&ann, &customer, "photos", &front, &thumb, "门头.jpg");
    let other = jpeg(9, 100_000);
    attach(&ann, &kept, "photos", &other, &thumb, "门头.jpg");
    ann.sync().await.unwrap();
    ann.sync().await.unwrap();
    let dir = ann.engine.store().files().clone();
    assert!(dir.size(&hash_of(&front)).unwrap().is_some());

    root.sync().await.unwrap();
    root.call(json!({"op": "transition", "id": customer, "name": "transfer", "fields": {"owner": bob.user_id}}));
    root.sync().await.unwrap();
    ann.sync().await.unwrap();
    assert!(!ann.doc_ids().contains(&customer), "the customer left ann's device");
    assert_eq!(dir.size(&hash_of(&front)).unwrap(), None, "and its photo with it");
    // A thumbnail another of her customers still shows stays, and so does that one's photo.
    assert!(dir.size(&hash_of(&thumb)).unwrap().is_some());
    assert!(dir.size(&hash_of(&other)).unwrap().is_some());
    // The new owner gets the thumbnail, and the photo when he opens it.
    bob.sync().await.unwrap();
    let shown = bob.call(json!({"op": "attachments", "id": customer}));
    assert!(shown["items"][0]["thumb_data"].is_string(), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_too_large_or_pretending_to_be_a_jpeg_is_refused_with_the_reason() {
    let server = TestServer::start();
    let [ann] = server.people([("ann", "account_manager", Some("east"))]).await;
    let customer = ann.create("customer", json!({"name": "南通建材"}));

    // The device refuses them before anything is kept.
    let huge = jpeg(3, 50 << 20);
    let refused = ann.try_call(json!({"op": "attach", "data": STANDARD.encode(&huge), "type": "image/jpeg"}));
    let e = &refused["params"]["errors"][0];
    assert_eq!((e["reason"].as_str(), e["params"]["max_bytes"].as_u64()), (Some("file_too_large"), Some(20 << 20)));
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR fake png body".to_vec();
    let refused =
        ann.try_call(json!({"op": "attach", "data": STANDARD.encode(&png), "type": "image/jpeg", "name": "photo.jpg"}));
    let e = &refused["params"]["errors"][0];
    assert_eq!((e["reason"].as_str(), e["params"]["actual"].as_str()), (Some("file_type_mismatch"), Some("image/png")));
    let exe = b"MZ\x90\x00 this is no photo at all".to_vec();
    let refused = ann.try_call(json!({"op": "attach", "data": STANDARD.encode(&exe), "type": "image/jpeg"}));
    assert_eq!(refused["params"]["errors"][0]["reason"], "unsupported_file_type", "{refused}");
    assert_eq!(std::fs::read_dir(ann.engine.store().files().root()).map(|d| d.count()).unwrap_or(0), 0);

    // A hand-written client that lists such files on a record anyway is refused by the server.
    let fake_hash = hash_of(&exe);
    let huge_hash = hash_of(&huge);
    ann.call(json!({"op": "update", "id": customer, "fields": {"photos": [
        {"hash": fake_hash, "type": "image/jpeg", "size": exe.len()},
        {"hash": huge_hash, "type": "image/jpeg", "size": 1000},
    ]}}));
    ann.sync().await.unwrap();
    let token = token_of(&ann);
    let put = |hash: &str, body: Vec<u8>, length: usize| {
        let url = format!("{}/api/blobs/{hash}?record={customer}", server.url());
        let token = token.clone();
        let headers = vec![("content-type", "image/jpeg".to_string()), ("upload-length", length.to_string())];
        tokio::task::spawn_blocking(move || http("PUT", &url, Some(&token), &headers, &body))
    };
    let (status, body, _) = put(&fake_hash, exe.clone(), exe.len()).await.unwrap();
    assert_eq!((status, body["code"].as_str()), (415, Some("unsupported_file_type")), "{body}");
    let (status, body, _) = put(&huge_hash, Vec::new(), huge.len()).await.unwrap();
    assert_eq!((status, body["code"].as_str()), (413, Some("file_too_large")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("20 MB"), "{body}");
    // Bytes that are not what their hash says are not kept either.
    let photo = jpeg(4, 10_000);
    let (status, body, _) = put(&fake_hash, photo.clone(), photo.len()).await.unwrap();
    assert_eq!((status, body["code"].as_str()), (422, Some("hash_mismatch")), "{body}");
    // And the server still serves.
    let (status, _, _) = {
        let url = format!("{}/api/health", server.url());
        tokio::task::spawn_blocking(move || http("GET", &url, None, &[], &[])).await.unwrap()
    };
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_keeps_the_files_and_a_restore_puts_them_back() {
    if crm_tests::skip_on_postgres("a server backup") {
        return;
    }
    let mut server = TestServer::start();
    let [ann] = server.people([("ann", "account_manager", Some("east"))]).await;
    let customer = ann.create("customer", json!({"name": "嘉兴纺织"}));
    let front = jpeg(21, 300_000);
    attach(&ann, &customer, "photos", &front, &jpeg(22, 4_000), "门头.jpg");
    ann.sync().await.unwrap();
    let kept = crm_core::attachment::BlobDir::beside(&server.db_path);
    assert!(kept.size(&hash_of(&front)).unwrap().is_some());

    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("nightly.sqlite3");
    sync_server::db::backup(&server.db_path, &backup, &sync_server::audit::Actor::cli()).unwrap();
    // The disk holding the files is lost; the database is restored from the backup.
    server.kill();
    kept.clear().unwrap();
    sync_server::db::restore(&server.db_path, &backup).unwrap();
    server.restart();
    assert_eq!(kept.read(&hash_of(&front)).unwrap().unwrap(), front, "the photo is back");
    let token = token_of(&ann);
    let url = format!("{}/api/blobs/{}?record={customer}", server.url(), hash_of(&front));
    let (status, _, bytes) =
        tokio::task::spawn_blocking(move || http("GET", &url, Some(&token), &[], &[])).await.unwrap();
    assert_eq!((status, bytes.len()), (200, front.len()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_forgets_a_file_no_record_has_named_for_a_week() {
    let server = TestServer::start();
    let [ann] = server.people([("ann", "account_manager", Some("east"))]).await;
    let customer = ann.create("customer", json!({"name": "湖州丝绸"}));
    let (kept, dropped) = (jpeg(31, 50_000), jpeg(32, 60_000));
    attach(&ann, &customer, "photos", &kept, &jpeg(33, 3_000), "门头.jpg");
    attach(&ann, &customer, "photos", &dropped, &jpeg(34, 3_000), "拍错了.jpg");
    ann.sync().await.unwrap();
    // The wrong photo is taken off the record.
    let photos = ann.get(&customer)["fields"]["photos"].clone();
    let left: Vec<Json> = photos.as_array().unwrap().iter().filter(|p| p["name"] != "拍错了.jpg").cloned().collect();
    let version = ann.get(&customer)["version"].clone();
    ann.call(json!({"op": "update", "id": customer, "fields": {"photos": left}, "base": version}));
    ann.sync().await.unwrap();

    let files = crm_core::attachment::BlobDir::beside(&server.db_path);
    let now = crm_core::value::now_ms();
    let mut db = server.db();
    assert_eq!(sync_server::blobs::forget_unreferenced(&mut db, &files, now).unwrap(), 0, "kept for a week first");
    let week_later = now + sync_server::blobs::KEEP_UNREFERENCED.as_millis() as i64 + 60_000;
    assert_eq!(
        sync_server::blobs::forget_unreferenced(&mut db, &files, week_later).unwrap(),
        2,
        "the photo and its thumbnail"
    );
    assert_eq!(files.size(&hash_of(&dropped)).unwrap(), None);
    assert_eq!(files.read(&hash_of(&kept)).unwrap().unwrap(), kept, "what a record names stays");
}
