//! Trust under hostile input: nobody reads what they may not through any path, nobody writes
//! as someone else, and nothing from the network can break another device's sync.

#![allow(clippy::unwrap_used)]

use crm_core::document::RecordDoc;
use crm_core::kind::Kind;
use crm_core::sync::protocol::{ClientMsg, ServerMsg};
use crm_core::value::{now_ms, FieldValue};
use crm_tests::wire::{connect, hello, next_answer, push_one, send, token_of, Ws};
use crm_tests::{Device, TestServer};
use serde_json::json;

/// The server binary's allocator, so memory measured here behaves as it does there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Does any part of `msg` contain `needle` (e.g. a confidential note in a document)?
fn leaks(msg: &ServerMsg, needle: &str) -> bool {
    let bytes = crm_core::sync::protocol::encode(msg);
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Open a repair for `doc` from nothing, as a device that has never seen it would.
async fn repair_from_nothing(ws: &mut Ws, doc: &str) -> (Option<ServerMsg>, Vec<String>) {
    let mut state = automerge::sync::State::new();
    let message = RecordDoc::empty().sync_message(&mut state).expect("a first sync message");
    send(ws, &ClientMsg::Repair { doc: doc.to_string(), message }).await;
    // Skip live traffic (e.g. a `drop` after a transfer) to the repair's answer.
    let mut errors = Vec::new();
    loop {
        match next_answer(ws).await {
            (Some(answer @ ServerMsg::Repair { .. }), more) => {
                errors.extend(more);
                return (Some(answer), errors);
            }
            (Some(_), more) => errors.extend(more),
            (None, more) => {
                errors.extend(more);
                return (None, errors);
            }
        }
    }
}

/// A new customer's first change, written with `device`'s own registered actor, saying it is
/// by `author`, at `time` (seconds).
fn change_by(device: &Device, author: &str, time: i64, name: &str) -> Vec<u8> {
    let actor = device.engine.store().identity().actor.clone();
    let actor = automerge::ActorId::from(crm_core::store::hex_decode(&actor).expect("hex actor"));
    let values = [("name", FieldValue::Str(name.into())), ("owner", FieldValue::Str(device.user_id.clone()))];
    let mut doc = RecordDoc::create_named(&actor, Kind::Customer, now_ms(), author, &values).unwrap();
    doc.commit(author, time).expect("a change").raw_bytes().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repair_answers_only_about_records_the_device_may_read() {
    let server = TestServer::start();
    let [ann, bob, sue, vic] = server
        .people([
            ("ann", "account_manager", Some("east")),
            ("bob", "account_manager", Some("east")),
            ("sue", "supervisor", Some("east")),
            ("vic", "viewer", Some("west")),
        ])
        .await;
    let secret = "机密：底价八折";
    let customer = ann.create("customer", json!({"name": "保密客户", "notes": secret}));
    let contact = ann.create("contact", json!({"name": "保密联系人", "customer": customer}));
    ann.sync().await.unwrap();

    for (device, doc) in [(&bob, &customer), (&bob, &contact), (&vic, &customer)] {
        let mut ws = connect(&server, Some(&token_of(device))).await.unwrap();
        hello(&mut ws).await;
        let (answer, errors) = repair_from_nothing(&mut ws, doc).await;
        let answer = answer.expect("the connection stays open");
        assert!(!leaks(&answer, secret) && !leaks(&answer, "保密"), "repair leaked the record: {answer:?}");
        assert!(matches!(answer, ServerMsg::Repair { message: None, .. }), "{answer:?}");
        assert_eq!(errors, vec!["repair_forbidden".to_string()]);
    }

    // The owner may repair, and the answer carries the document.
    let mut ws = connect(&server, Some(&token_of(&ann))).await.unwrap();
    hello(&mut ws).await;
    let (answer, errors) = repair_from_nothing(&mut ws, &customer).await;
    assert!(errors.is_empty() && leaks(&answer.unwrap(), secret), "the owner repairs her own record");

    // A former owner reads nothing of what happens after a transfer.
    sue.sync().await.unwrap();
    sue.call(json!({"op": "update", "id": customer, "fields": {"owner": bob.user_id}}));
    sue.sync().await.unwrap();
    bob.sync().await.unwrap();
    bob.call(json!({"op": "update", "id": customer, "fields": {"notes": "新主人的备注"}}));
    bob.sync().await.unwrap();
    let (answer, errors) = repair_from_nothing(&mut ws, &customer).await;
    assert!(!leaks(&answer.unwrap(), "新主人"), "the former owner reads later edits");
    assert_eq!(errors, vec!["repair_forbidden".to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_is_taken_only_from_the_device_and_user_that_wrote_it() {
    let server = TestServer::start();
    let admin_id = server.add_user("root", "admin", None);
    let [ann, sue] =
        server.people([("ann", "account_manager", Some("east")), ("sue", "supervisor", Some("east"))]).await;
    let log = server.log_len();

    // Ann's own actor, but claiming to be the admin.
    let mut ws = connect(&server, Some(&token_of(&ann))).await.unwrap();
    hello(&mut ws).await;
    let now = now_ms() / 1000;
    let doc = uuid::Uuid::now_v7().to_string();
    let verdict = push_one(&mut ws, &doc, change_by(&ann, &admin_id, now, "冒名客户")).await;
    assert_eq!(verdict[0].0, "forged_author", "{verdict:?}");

    // Sue's offline edit; ann gets hold of it and relays it through repair.
    let customer = sue.create("customer", json!({"name": "主管的客户"}));
    let sues_changes = sue.engine.store().changes_of(&customer).unwrap();
    let incoming: Vec<_> = sues_changes
        .iter()
        .map(|bytes| crm_core::store::IncomingChange { doc_id: customer.clone(), bytes: bytes.clone() })
        .collect();
    ann.engine.store().apply_changes(incoming).unwrap();
    let mut state = automerge::sync::State::new();
    // The server has nothing of it: its first answer asks for everything.
    let opener = ann.engine.store().repair_message(&customer, &mut state).unwrap().unwrap();
    send(&mut ws, &ClientMsg::Repair { doc: customer.clone(), message: opener }).await;
    let mut refused_codes = Vec::new();
    for _ in 0..20 {
        match next_answer(&mut ws).await.0 {
            Some(ServerMsg::Repair { message: Some(reply), refused, .. }) => {
                refused_codes.extend(refused.into_iter().map(|r| r.code));
                let next = {
                    let mut store = ann.engine.store();
                    store.receive_repair(&customer, &mut state, &reply).unwrap();
                    store.repair_message(&customer, &mut state).unwrap()
                };
                match next {
                    Some(message) => send(&mut ws, &ClientMsg::Repair { doc: customer.clone(), message }).await,
                    None => break,
                }
            }
            Some(ServerMsg::Repair { message: None, refused, .. }) => {
                refused_codes.extend(refused.into_iter().map(|r| r.code));
                break;
            }
            // Live traffic (records the admin added meanwhile) is not part of the repair.
            Some(ServerMsg::CaughtUp { .. } | ServerMsg::Changes { .. } | ServerMsg::Snapshots { .. }) => continue,
            other => panic!("expected a repair answer, got {other:?}"),
        }
    }
    assert!(refused_codes.iter().any(|c| c == "not_own"), "{refused_codes:?}");
    assert_eq!(server.log_len(), log, "nothing relayed or forged was stored");

    // Sue's real device is not harmed: her edits, offline and later, all go through.
    sue.call(json!({"op": "update", "id": customer, "fields": {"grade": "A"}}));
    sue.sync().await.unwrap();
    assert!(sue.rejected().is_empty(), "{:?}", sue.rejected());
    assert_eq!(sue.engine.store().outbox_len().unwrap(), 0);
    let history = sue.call(json!({"op": "history", "id": customer}));
    assert!(history.to_string().contains(&sue.user_id));
    assert!(!history.to_string().contains(&admin_id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn implausible_change_times_are_refused_and_never_reach_a_reader() {
    let server = TestServer::start();
    server.add_user("ann", "account_manager", Some("east"));
    server.add_user("sue", "supervisor", Some("east"));
    let ann = Device::login(&server, "ann").await;
    let log = server.log_len();
    let mut ws = connect(&server, Some(&token_of(&ann))).await.unwrap();
    hello(&mut ws).await;
    for time in [1i64 << 62, -5, i64::MAX, 0, now_ms() / 1000 + 3 * 86_400] {
        let doc = uuid::Uuid::now_v7().to_string();
        let verdict = push_one(&mut ws, &doc, change_by(&ann, &ann.user_id, time, "未来客户")).await;
        assert_eq!(verdict[0].0, "bad_time", "time {time}: {verdict:?}");
    }
    assert_eq!(server.log_len(), log);
    let now = now_ms() / 1000;
    let doc = uuid::Uuid::now_v7().to_string();
    assert_eq!(push_one(&mut ws, &doc, change_by(&ann, &ann.user_id, now, "正常客户")).await[0].0, "accepted");

    // A reader given such a change anyway (from an older server) does not panic.
    let actor = automerge::ActorId::random();
    let values = [("name", FieldValue::Str("远未来".into()))];
    let mut far = RecordDoc::create_named(&actor, Kind::Customer, now_ms(), "x", &values).unwrap();
    far.commit("x", i64::MAX).unwrap();
    let mut doc = RecordDoc::load(&far.save(), Vec::new()).unwrap();
    assert!(doc.updated_at() > 0);
    assert_eq!(doc.history().len(), 1);
}

/// `POST /api/login` by hand; the HTTP status.
async fn post_login(addr: std::net::SocketAddr, username: &str, password: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let actor = crm_core::store::hex(uuid::Uuid::new_v4().as_bytes());
    let body = json!({"username": username, "password": password, "device_name": "t", "actor": actor}).to_string();
    let request = format!(
        "POST /api/login HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        addr,
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

fn device_id_of(device: &Device) -> String {
    device.engine.store().meta("device_id").unwrap().expect("signed in")
}

/// Wait (at most `secs`) for a message matching `want`, skipping others; how long it took.
async fn wait_for(ws: &mut Ws, secs: u64, want: impl Fn(&ServerMsg) -> bool) -> Option<std::time::Duration> {
    let start = std::time::Instant::now();
    while start.elapsed() < std::time::Duration::from_secs(secs) {
        match crm_tests::wire::next(ws).await {
            Some(msg) if want(&msg) => return Some(start.elapsed()),
            Some(_) => continue,
            None => return None,
        }
    }
    None
}

fn fatal_error(code: &'static str) -> impl Fn(&ServerMsg) -> bool {
    move |m| matches!(m, ServerMsg::Error { code: c, fatal: true, .. } if c == code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_disabling_and_moving_people_reach_open_connections_within_a_second() {
    let server = TestServer::start();
    let [ann, sue, bob, dan] = server
        .people([
            ("ann", "account_manager", Some("east")),
            ("sue", "supervisor", Some("east")),
            ("bob", "account_manager", Some("west")),
            ("dan", "account_manager", Some("east")),
        ])
        .await;
    let bobs = bob.create("customer", json!({"name": "西区客户"}));
    bob.sync().await.unwrap();

    // Revoked while connected: told at once, closed, nothing accepted after.
    let mut ws = connect(&server, Some(&token_of(&ann))).await.unwrap();
    hello(&mut ws).await;
    server.db().revoke_device(&device_id_of(&ann)).unwrap();
    let took = wait_for(&mut ws, 5, fatal_error("device_revoked")).await.expect("told it was revoked");
    assert!(took < std::time::Duration::from_secs(1), "revocation took {took:?}");
    assert!(crm_tests::wire::next(&mut ws).await.is_none(), "then closed");

    // Disabled while connected.
    let mut ws = connect(&server, Some(&token_of(&dan))).await.unwrap();
    hello(&mut ws).await;
    server.db().set_disabled("dan", true).unwrap();
    let took = wait_for(&mut ws, 5, fatal_error("user_disabled")).await.expect("told the account is disabled");
    assert!(took < std::time::Duration::from_secs(1), "disabling took {took:?}");

    // Bob moves into sue's team: her open connection receives his customer, and loses it
    // when he moves back.
    let mut ws = connect(&server, Some(&token_of(&sue))).await.unwrap();
    hello(&mut ws).await;
    server.db().set_role_team("bob", None, Some(Some("east"))).unwrap();
    let gained = |m: &ServerMsg| matches!(m, ServerMsg::Snapshots { docs, .. } if docs.iter().any(|d| d.doc == bobs));
    let took = wait_for(&mut ws, 5, gained).await.expect("bob's customer arrives");
    assert!(took < std::time::Duration::from_secs(1), "re-scoping took {took:?}");
    server.db().set_role_team("bob", None, Some(Some("west"))).unwrap();
    let lost = |m: &ServerMsg| matches!(m, ServerMsg::Drop { docs, .. } if docs.contains(&bobs));
    assert!(wait_for(&mut ws, 5, lost).await.is_some(), "bob's customer is dropped");

    // A device that was offline through both moves ends as it should, and one offline
    // through one move catches up with it.
    sue.sync().await.unwrap();
    assert!(!sue.doc_ids().contains(&bobs));
    server.db().set_role_team("bob", None, Some(Some("east"))).unwrap();
    sue.sync().await.unwrap();
    assert!(sue.doc_ids().contains(&bobs), "the move reached an offline device");
    server.db().set_role_team("sue", Some("viewer"), None).unwrap();
    sue.sync().await.unwrap();
    // Her app has not heard yet; a tampered one would not care: the server refuses.
    sue.pretend_admin();
    sue.call(json!({"op": "update", "id": bobs, "fields": {"grade": "A"}}));
    sue.sync().await.unwrap();
    assert!(sue.rejected().iter().any(|r| r.code == "forbidden"), "a viewer's edit is refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_flood_is_cut_off_and_does_not_hold_up_anyone_else() {
    let server = TestServer::start();
    server.add_user("ann", "account_manager", Some("east"));
    server.add_user("sue", "supervisor", Some("east"));
    let sue = Device::login(&server, "sue").await;
    let flood: Vec<_> = (0..200)
        .map(|_| {
            let addr = server.addr;
            tokio::spawn(async move { post_login(addr, "ann", "wrong password!").await })
        })
        .collect();
    // While it runs: a push is answered and another person signs in quickly.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let start = std::time::Instant::now();
    sue.create("customer", json!({"name": "洪水中的客户"}));
    sue.sync().await.unwrap();
    let push = start.elapsed();
    let start = std::time::Instant::now();
    let status = post_login(server.addr, "sue", crm_tests::PASSWORD).await;
    let login = start.elapsed();
    let mut statuses = Vec::new();
    for f in flood {
        statuses.push(f.await.unwrap());
    }
    assert_eq!(status, 200);
    assert!(push < std::time::Duration::from_secs(2), "a push took {push:?} during the flood");
    assert!(login < std::time::Duration::from_secs(2), "a sign-in took {login:?} during the flood");
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert!(throttled >= 180, "most of the flood is refused without hashing: {statuses:?}");
    assert!(statuses.iter().all(|s| *s == 401 || *s == 429));
    assert_eq!(post_login(server.addr, "ann", crm_tests::PASSWORD).await, 429, "ann's account is throttled from here");

    // Unknown usernames take as long as wrong passwords.
    let addr = server.addr;
    let time = |user: &'static str| async move {
        let start = std::time::Instant::now();
        for _ in 0..5 {
            assert_eq!(post_login(addr, user, "nope nope nope").await, 401);
        }
        start.elapsed()
    };
    let unknown = time("nobody-here").await;
    let wrong = time("sue").await;
    let ratio = unknown.as_secs_f64() / wrong.as_secs_f64();
    // Loose bounds: the two differ by a factor of 15 without the decoy hash.
    assert!((0.33..3.0).contains(&ratio), "unknown {unknown:?} vs wrong password {wrong:?}");
}

/// A new customer written by hand with `device`'s actor and author, with `edit` applied to
/// an otherwise valid document.
fn raw_customer(device: &Device, edit: impl FnOnce(&mut automerge::AutoCommit)) -> Vec<u8> {
    use automerge::transaction::{CommitOptions, Transactable};
    let actor = device.engine.store().identity().actor.clone();
    let mut doc = automerge::AutoCommit::new()
        .with_actor(automerge::ActorId::from(crm_core::store::hex_decode(&actor).expect("hex actor")));
    let root = automerge::ROOT;
    doc.put(root.clone(), "kind", "customer").unwrap();
    doc.put(root.clone(), "schema", 1i64).unwrap();
    doc.put(root.clone(), "created_at", automerge::ScalarValue::Timestamp(now_ms())).unwrap();
    doc.put(root.clone(), "created_by", device.user_id.as_str()).unwrap();
    doc.put(root.clone(), "name", "合规客户").unwrap();
    doc.put(root.clone(), "owner", device.user_id.as_str()).unwrap();
    for (key, ty) in [("tags", automerge::ObjType::Map), ("custom_fields", automerge::ObjType::Map)] {
        doc.put_object(root.clone(), key, ty).unwrap();
    }
    doc.put_object(root.clone(), "notes", automerge::ObjType::Text).unwrap();
    edit(&mut doc);
    doc.commit_with(CommitOptions::default().with_message(device.user_id.clone()).with_time(now_ms() / 1000));
    doc.get_last_local_change().unwrap().raw_bytes().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_refuses_records_the_schema_forbids_with_the_reason() {
    use automerge::transaction::Transactable;
    let server = TestServer::start();
    let admin_id = server.add_user("root", "admin", None);
    let [ann, sue] =
        server.people([("ann", "account_manager", Some("east")), ("sue", "supervisor", Some("east"))]).await;
    let mut ws = connect(&server, Some(&token_of(&ann))).await.unwrap();
    hello(&mut ws).await;
    let log = server.log_len();
    let root = automerge::ROOT;
    type Edit = Box<dyn FnOnce(&mut automerge::AutoCommit)>;
    let long_name = "长".repeat(20_000);
    let cases: Vec<(&str, Edit)> = vec![
        ("name", Box::new(move |d| d.put(automerge::ROOT, "name", long_name.as_str()).map(drop).unwrap())),
        ("grade", Box::new(|d| d.put(automerge::ROOT, "grade", "ZZZ").map(drop).unwrap())),
        ("email", Box::new(|d| d.put(automerge::ROOT, "email", "not-an-email").map(drop).unwrap())),
        (
            "phones",
            Box::new(|d| {
                let list = d.put_object(automerge::ROOT, "phones", automerge::ObjType::List).unwrap();
                d.insert(&list, 0, "call me maybe").unwrap();
            }),
        ),
        ("created_by", Box::new(move |d| d.put(automerge::ROOT, "created_by", admin_id.as_str()).map(drop).unwrap())),
        ("favourite_colour", Box::new(|d| d.put(automerge::ROOT, "favourite_colour", "red").map(drop).unwrap())),
        (
            // Today's JavaScript Automerge writes strings as Text unless told otherwise.
            "name",
            Box::new(|d| {
                let text = d.put_object(automerge::ROOT, "name", automerge::ObjType::Text).unwrap();
                d.splice_text(&text, 0, 0, "文本名称").unwrap();
            }),
        ),
        (
            // Values a reader would skip inside a container: a number among phones, a blob
            // among custom fields.
            "phones",
            Box::new(|d| {
                let list = d.put_object(automerge::ROOT, "phones", automerge::ObjType::List).unwrap();
                d.insert(&list, 0, "13800138000").unwrap();
                d.insert(&list, 1, 42i64).unwrap();
            }),
        ),
        (
            "custom_fields",
            Box::new(|d| {
                let custom = d.put_object(automerge::ROOT, "custom_fields", automerge::ObjType::Map).unwrap();
                d.put(&custom, "hidden", automerge::ScalarValue::Bytes(vec![0; 1000])).unwrap();
            }),
        ),
        (
            "tags",
            Box::new(|d| {
                let tags = d.put_object(automerge::ROOT, "tags", automerge::ObjType::Map).unwrap();
                for i in 0..1_000 {
                    d.put(&tags, format!("t{i}"), true).unwrap();
                }
            }),
        ),
    ];
    for (field, edit) in cases {
        let doc = uuid::Uuid::now_v7().to_string();
        let verdict = push_one(&mut ws, &doc, raw_customer(&ann, edit)).await;
        assert_eq!(verdict[0].0, "invalid_record", "{field}: {verdict:?}");
        assert!(verdict[0].1.contains(field), "the reason names {field}: {}", verdict[0].1);
    }
    assert_eq!(server.log_len(), log, "nothing invalid was stored");
    let _ = root;

    // A valid one written the same way is accepted, and reaches the supervisor intact.
    let doc = uuid::Uuid::now_v7().to_string();
    let good = raw_customer(&ann, |d| {
        d.put(automerge::ROOT, "grade", "A").unwrap();
        d.put(automerge::ROOT, "email", "li@example.cn").unwrap();
    });
    let verdict = push_one(&mut ws, &doc, good).await;
    assert_eq!(verdict[0].0, "accepted", "{verdict:?}");
    sue.sync().await.unwrap();
    assert_eq!(sue.get(&doc)["fields"]["grade"], "A");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_of_text_frames_ends_the_connection() {
    use futures_util::SinkExt;
    let server = TestServer::start();
    let [ann] = server.people([("ann", "account_manager", None)]).await;
    let mut ws = connect(&server, Some(&token_of(&ann))).await.unwrap();
    // Twenty are answered with an error each; the twenty-first ends the connection. The
    // device, not reading yet, goes on sending a little after that: the server reads on until
    // the device's close instead of closing the socket under it (writing to a closed socket
    // fails, and a client failing to write ends its connection before reading the error).
    for _ in 0..21 {
        ws.send(tokio_tungstenite::tungstenite::Message::Text("{\"t\":\"hello\"}".into())).await.unwrap();
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    for n in 0..10 {
        crm_tests::wire::send(&mut ws, &crm_core::sync::protocol::ClientMsg::Ping { n }).await;
    }
    let closed = wait_for(&mut ws, 5, fatal_error("too_many_bad_frames")).await;
    assert!(closed.is_some(), "told why");
    assert!(crm_tests::wire::next(&mut ws).await.is_none(), "then closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_trickling_connections_are_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let state = sync_server::AppState::open(dir.path().join("server.sqlite3")).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let second = std::time::Duration::from_secs(1);
    let limits = sync_server::listener::Limits { idle: 2 * second, headers: 3 * second, per_address: 225 };
    tokio::spawn(sync_server::serve_with(listener, state, std::future::pending(), limits));

    let mut quiet = Vec::new();
    for _ in 0..200 {
        quiet.push(tokio::net::TcpStream::connect(addr).await.unwrap());
    }
    let mut trickle = Vec::new();
    for _ in 0..20 {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /api/health HTTP/1.1\r\nhost: x\r\n").await.unwrap();
        trickle.push(s);
    }
    // Headers sent a byte a second: never idle, but not done within the header time.
    let mut slow = Vec::new();
    for _ in 0..5 {
        slow.push(tokio::net::TcpStream::connect(addr).await.unwrap());
    }
    // The address has its share (225): the next ones are closed at once.
    for _ in 0..10 {
        let mut over = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut buf = [0u8; 8];
        let read = tokio::time::timeout(second, over.read(&mut buf)).await;
        assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "a connection over the address's share stays open: {read:?}");
    }
    let header = b"GET /api/health HTTP/1.1\r\nx-slow: aaaaaa";
    for &byte in header.iter().take(5) {
        for s in &mut slow {
            // Once the server has closed it, a write may fail: that is the point.
            let _ = s.write_all(&[byte]).await;
        }
        tokio::time::sleep(second).await;
    }
    // Checked at once, before they could count as idle (the last byte went a second ago).
    for s in &mut slow {
        let mut buf = [0u8; 64];
        let read = tokio::time::timeout(std::time::Duration::from_millis(100), s.read(&mut buf)).await;
        assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "slow headers kept a connection open: {read:?}");
    }
    for s in quiet.iter_mut().chain(trickle.iter_mut()) {
        let mut buf = [0u8; 64];
        let read = tokio::time::timeout(std::time::Duration::from_secs(2), s.read(&mut buf)).await;
        assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "an idle connection is still open: {read:?}");
    }
    // The server closed each one (and so dropped its socket): the reads above ended.
    // And the server still serves.
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /api/health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await.unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_signing_in_on_a_new_device_does_not_write_a_second_copy_of_their_user() {
    let server = TestServer::start();
    let admin_id = server.add_user("root", "admin", None);
    let mut admin = Device::login(&server, "root").await;
    // The app or `crm` opens the store again before its first sync.
    admin.restart();
    admin.sync().await.unwrap();
    let other = Device::login(&server, "root").await;
    other.sync().await.unwrap();
    let user = other.get(&admin_id);
    assert_eq!(user["fields"]["username"], "root", "{user}");
    assert!(user["conflicts"].as_object().is_none_or(|c| c.is_empty()), "no conflicting copy: {user}");
    assert!(admin.rejected().is_empty(), "{:?}", admin.rejected());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repair_takes_changes_under_the_same_limits_as_a_push() {
    use automerge::sync::{ChunkList, Message, MessageVersion};
    let server = TestServer::start();
    let [ann] = server.people([("ann", "account_manager", Some("east"))]).await;
    let log = server.log_len();
    let actor = ann.engine.store().identity().actor.clone();
    let actor = automerge::ActorId::from(crm_core::store::hex_decode(&actor).expect("hex"));
    let values = [("name", FieldValue::Str("修复炸弹".into())), ("owner", FieldValue::Str(ann.user_id.clone()))];
    let mut doc = RecordDoc::create_named(&actor, Kind::Customer, now_ms(), &ann.user_id, &values).unwrap();
    doc.write(Kind::Customer.spec().field("notes").unwrap(), Some(&FieldValue::Notes("a".repeat(1_000_000))), false)
        .unwrap();
    let bomb = doc.commit(&ann.user_id, now_ms() / 1000).unwrap().bytes().into_owned();
    let whole_document = doc.save();
    let message = Message {
        heads: vec![],
        need: vec![],
        have: vec![],
        changes: ChunkList::from(vec![bomb, whole_document]),
        flags: None,
        version: MessageVersion::V1,
    }
    .encode();
    let mut ws = connect(&server, Some(&token_of(&ann))).await.unwrap();
    hello(&mut ws).await;
    let id = uuid::Uuid::now_v7().to_string();
    send(&mut ws, &ClientMsg::Repair { doc: id, message }).await;
    let refused = loop {
        match next_answer(&mut ws).await.0 {
            Some(ServerMsg::Repair { refused, .. }) => break refused,
            Some(_) => continue,
            None => panic!("the connection ended"),
        }
    };
    let codes: Vec<&str> = refused.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(codes, vec!["too_large", "invalid_change"], "{refused:?}");
    assert_eq!(server.log_len(), log);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moves_in_a_row_are_each_applied_to_a_device_that_was_offline() {
    let server = TestServer::start();
    let [sue, ann, bob] = server
        .people([
            ("sue", "supervisor", Some("east")),
            ("ann", "account_manager", Some("east")),
            ("bob", "account_manager", Some("west")),
        ])
        .await;
    let anns = ann.create("customer", json!({"name": "东区客户"}));
    let bobs = bob.create("customer", json!({"name": "西区客户"}));
    ann.sync().await.unwrap();
    bob.sync().await.unwrap();
    sue.sync().await.unwrap();
    assert!(sue.doc_ids().contains(&anns) && !sue.doc_ids().contains(&bobs));

    // While sue's device is offline: she moves to the west, then ann moves elsewhere.
    server.db().set_role_team("sue", None, Some(Some("west"))).unwrap();
    server.db().set_role_team("ann", None, Some(Some("north"))).unwrap();
    sue.sync().await.unwrap();
    assert!(!sue.doc_ids().contains(&anns), "what sue lost by moving is dropped");
    assert!(sue.doc_ids().contains(&bobs), "what she gained arrives");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_refused_mid_push_leaves_the_record_as_the_accepted_changes_made_it() {
    let server = TestServer::start();
    let [ann, sue] =
        server.people([("ann", "account_manager", Some("east")), ("sue", "supervisor", Some("east"))]).await;
    let bob_id = server.add_user("bob", "account_manager", Some("east"));
    let actor_of = |ann: &Device| {
        let actor = ann.engine.store().identity().actor.clone();
        automerge::ActorId::from(crm_core::store::hex_decode(&actor).expect("hex"))
    };
    let actor = actor_of(&ann);
    // Signing in again on the same device gives it a second actor.
    tokio::task::block_in_place(|| {
        let mut store = ann.engine.store();
        crm_core::sync::client::login(&mut store, &server.url(), "ann", crm_tests::PASSWORD, "test device").unwrap();
    });
    let second = actor_of(&ann);
    assert_ne!(actor, second);
    let spec = Kind::Customer.spec();
    let values = [("name", FieldValue::Str("推送中途被拒".into())), ("owner", FieldValue::Str(ann.user_id.clone()))];
    let mut doc = RecordDoc::create_named(&actor, Kind::Customer, now_ms(), &ann.user_id, &values).unwrap();
    let created = doc.commit(&ann.user_id, now_ms() / 1000).unwrap().bytes().into_owned();
    // Two edits on top of the creation, one from each actor: giving the customer away (not
    // hers to give), and a grade.
    let mut graded = doc.fork();
    graded.set_actor(&second);
    doc.write(spec.field("owner").unwrap(), Some(&FieldValue::Str(bob_id)), false).unwrap();
    let given_away = doc.commit(&ann.user_id, now_ms() / 1000).unwrap().bytes().into_owned();
    graded.write(spec.field("grade").unwrap(), Some(&FieldValue::Str("A".into())), false).unwrap();
    let graded = graded.commit(&ann.user_id, now_ms() / 1000).unwrap().bytes().into_owned();

    let id = uuid::Uuid::now_v7().to_string();
    let change = |bytes: &Vec<u8>| crm_core::sync::protocol::DocBytes { doc: id.clone(), bytes: bytes.clone() };
    let mut ws = connect(&server, Some(&token_of(&ann))).await.unwrap();
    hello(&mut ws).await;
    let (accepted, refused) =
        crm_tests::wire::push(&mut ws, vec![change(&created), change(&given_away), change(&graded)]).await;
    assert_eq!(accepted.len(), 2, "{refused:?}");
    assert_eq!(refused.len(), 1);
    sue.sync().await.unwrap();
    let record = sue.get(&id);
    assert_eq!(record["fields"]["grade"], "A", "{record}");
    assert_eq!(record["fields"]["owner"], ann.user_id.as_str(), "the refused edit is not in the stored record");
}
