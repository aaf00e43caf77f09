//! What only the PostgreSQL store has: moving a server onto it, and its connections lost under
//! a running server. Run with `CRM_TEST_DB=postgres` (`scripts/test.sh` does); skipped
//! otherwise. The rest of the suites run on PostgreSQL unchanged.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use crm_tests::{pg, Device, TestServer};
use serde_json::json;
use sync_server::sql::Location;

fn skip() -> bool {
    if !pg::enabled() {
        eprintln!("skipped: PostgreSQL tests run with CRM_TEST_DB=postgres");
        return true;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_moved_from_sqlite_to_postgres_keeps_everything_and_devices_carry_on() {
    if skip() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("server.sqlite3");
    let mut old = TestServer::start_on(Location::Sqlite(file.clone()), file.clone(), "127.0.0.1:0".parse().unwrap());
    old.add_user("ann", "account_manager", Some("east"));
    old.add_user("sue", "supervisor", Some("east"));
    let ann = Device::login(&old, "ann").await;
    let sue = Device::login(&old, "sue").await;
    let mut ids = Vec::new();
    for i in 0..40 {
        ids.push(ann.create("customer", json!({"name": format!("迁移前客户{i}"), "grade": "B"})));
    }
    ann.sync().await.unwrap();
    sue.sync().await.unwrap();
    let top_before = old.log_len();
    old.kill();

    // Moved while stopped; a second migration into the same database is refused.
    let url = pg::new_database();
    let moved = sync_server::migrate::migrate(&file, &url).unwrap();
    let rows = |table: &str| moved.rows.iter().find(|(t, _)| *t == table).map(|(_, n)| *n).unwrap();
    assert_eq!(rows("log") as i64, top_before, "every log entry moved");
    assert!(rows("users") == 2 && rows("devices") == 2, "{moved:?}");
    let again = sync_server::migrate::migrate(&file, &url).unwrap_err();
    assert!(again.to_string().contains("already holds"), "{again}");

    // The same address, now on PostgreSQL: the devices' tokens and cursors still hold.
    let new = TestServer::start_on(Location::Postgres(url), dir.path().join("server"), old.addr);
    let edited = ids[3].clone();
    ann.call(json!({"op": "update", "id": edited, "fields": {"grade": "A"}}));
    let added = ann.create("customer", json!({"name": "迁移后客户"}));
    ann.sync().await.unwrap();
    sue.sync().await.unwrap();
    assert_eq!(sue.get(&edited)["fields"]["grade"], "A", "an edit after the move reaches the supervisor");
    assert_eq!(sue.get(&added)["fields"]["name"], "迁移后客户");
    assert!(new.log_len() > top_before, "the log goes on after the moved entries");
    let seqs: Vec<i64> = new
        .db()
        .connection()
        .prepare_cached("SELECT seq FROM log ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "sequence numbers stay unique and ordered");
    // A new device of the supervisor's bootstraps every record from PostgreSQL.
    let desk = Device::login(&new, "sue").await;
    desk.sync().await.unwrap();
    for id in ids.iter().chain([&added]) {
        assert_eq!(desk.heads(id), ann.heads(id), "{id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_connections_cut_while_devices_push_lose_nothing_acknowledged() {
    if skip() {
        return;
    }
    let server = TestServer::start();
    server.add_user("ann", "account_manager", Some("east"));
    server.add_user("bob", "account_manager", Some("east"));
    server.add_user("sue", "supervisor", Some("east"));
    let ann = Device::login(&server, "ann").await;
    let bob = Device::login(&server, "bob").await;
    let sue = Device::login(&server, "sue").await;
    let Location::Postgres(url) = server.location.clone() else { unreachable!("CRM_TEST_DB=postgres") };
    let mut ids = Vec::new();
    for round in 0..6 {
        for i in 0..25 {
            ids.push(ann.create("customer", json!({"name": format!("安{round}-{i}")})));
            ids.push(bob.create("customer", json!({"name": format!("博{round}-{i}")})));
        }
        let (a, b) = (ann.engine.clone(), bob.engine.clone());
        let pushes = tokio::spawn(async move { (a.sync_once().await, b.sync_once().await) });
        tokio::time::sleep(Duration::from_millis(5 + 7 * round)).await;
        // Every connection of the server's to its database ends at once (an administrator's
        // pg_terminate_backend, a failover): the writer, readers and listener.
        let admin = sync_server::sql::Conn::open_postgres(&url).unwrap();
        let cut: i64 = admin
            .query_row(
                "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(cut >= 1, "the server had connections to cut");
        let _ = pushes.await;
    }
    // Syncing again (the pushes cut short are sent again) leaves nothing unacknowledged, and
    // the supervisor holds every record exactly as its writer does.
    for _ in 0..3 {
        let _ = ann.sync().await;
        let _ = bob.sync().await;
    }
    ann.sync().await.unwrap();
    bob.sync().await.unwrap();
    assert_eq!(ann.engine.store().outbox_len().unwrap(), 0);
    assert_eq!(bob.engine.store().outbox_len().unwrap(), 0);
    sue.sync().await.unwrap();
    for (n, id) in ids.iter().enumerate() {
        let writer = if n % 2 == 0 { &ann } else { &bob };
        assert_eq!(sue.heads(id), writer.heads(id), "{id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_that_grows_the_log_wakes_the_other_instances_listeners() {
    if skip() {
        return;
    }
    let url = pg::new_database();
    let mut writer = sync_server::db::ServerDb::open(Location::Postgres(url.clone())).unwrap();
    let wake = std::sync::Arc::new(tokio::sync::Notify::new());
    let _listening = sync_server::sql::listen(url.clone(), std::sync::Arc::clone(&wake));
    // The listener connects in the background: write until it hears one (an account's user
    // record is a log entry the server writes).
    let mut woken = false;
    for n in 0..50 {
        writer.add_user(&format!("user{n}"), "某人", "viewer", None, crm_tests::PASSWORD).unwrap();
        if tokio::time::timeout(Duration::from_millis(200), wake.notified()).await.is_ok() {
            woken = true;
            break;
        }
    }
    assert!(woken, "no notification reached the listener in 10 s of commits");
    // A transaction that writes no log entry sends none.
    let quiet = std::sync::Arc::new(tokio::sync::Notify::new());
    let _quiet_listening = sync_server::sql::listen(url, std::sync::Arc::clone(&quiet));
    tokio::time::sleep(Duration::from_millis(500)).await;
    writer.set_password("user0", "another long password").unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(500), quiet.notified()).await.is_err(),
        "a password change is no log entry: nobody is woken"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_never_builds_on_a_record_another_instance_changed_under_it() {
    if skip() {
        return;
    }
    let a = TestServer::start();
    let b = TestServer::beside(&a);
    a.add_user("ann", "account_manager", Some("east"));
    let ann = Device::login_at(&a.url(), "ann").await;
    let desk = Device::login_at(&b.url(), "ann").await;
    let id = ann.create("customer", json!({"name": "两台服务器的客户"}));
    ann.sync().await.unwrap(); // instance a now holds the record in its cache
    desk.sync().await.unwrap();
    desk.call(json!({"op": "update", "id": id, "fields": {"grade": "A"}}));
    // Written through instance b.
    desk.sync().await.unwrap();
    // Instance a's writer commits a transaction that reads no record (as its mailer's claim
    // or the read-model backfill do) before it next takes one from its cache.
    a.state().db.lock().unwrap().prepare_missing(10).unwrap();
    // Ann, who has not synced since, edits the record: her change does not build on desk's,
    // so a stale copy on instance a would take it and be stored without desk's change.
    ann.call(json!({"op": "update", "id": id, "fields": {"address": "苏州"}}));
    ann.sync().await.unwrap();
    assert_eq!(ann.rejected(), Vec::new());
    desk.sync().await.unwrap();
    for device in [&ann, &desk] {
        let fields = device.get(&id)["fields"].clone();
        assert_eq!((fields["grade"].as_str(), fields["address"].as_str()), (Some("A"), Some("苏州")), "{fields}");
    }
    // A new device is bootstrapped from the stored snapshot: it must hold both changes.
    let fresh = Device::login_at(&b.url(), "ann").await;
    fresh.sync().await.unwrap();
    let fields = fresh.get(&id)["fields"].clone();
    assert_eq!((fields["grade"].as_str(), fields["address"].as_str()), (Some("A"), Some("苏州")), "{fields}");
    assert_eq!(fresh.heads(&id), ann.heads(&id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_are_ordered_byte_by_byte_as_on_sqlite_whatever_the_database_locale() {
    if skip() {
        return;
    }
    // A database made with an English collation (ICU, which Debian's PostgreSQL has), as a
    // cluster initialised with a language's locale makes them: it orders `adam` before `Bob`.
    let url = pg::new_database_with("TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en'");
    let names = ["Zed", "adam", "émile", "Bob", "王五", "李四"];
    let byte_order = {
        let mut sorted = names.to_vec();
        sorted.sort();
        sorted
    };
    let listed =
        |db: &sync_server::db::ServerDb| db.users().unwrap().into_iter().map(|u| u.username).collect::<Vec<_>>();
    let mut db = sync_server::db::ServerDb::open(Location::Postgres(url.clone())).unwrap();
    for name in names {
        db.add_user(name, name, "viewer", None, crm_tests::PASSWORD).unwrap();
    }
    assert_eq!(listed(&db), byte_order, "the users list is in SQLite's order");
    // A database an earlier version made, its text in the database's collation, is changed
    // when a server opens it.
    db.connection().execute_batch("ALTER TABLE users ALTER COLUMN username TYPE TEXT COLLATE \"default\"").unwrap();
    let locale_order: Vec<String> = db
        .connection()
        .prepare_cached("SELECT username FROM users ORDER BY username")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(locale_order[..2], ["adam", "Bob"], "the database's own collation is not byte order");
    drop(db);
    let db = sync_server::db::ServerDb::open(Location::Postgres(url)).unwrap();
    assert_eq!(listed(&db), byte_order);
    assert_eq!(
        db.connection().collate_text_bytewise(sync_server::migrate::TABLES).unwrap(),
        0,
        "nothing is left to change"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_to_the_database_is_encrypted_and_its_certificate_verified() {
    if skip() {
        return;
    }
    use sync_server::sql::Conn;
    let url = pg::new_database();
    let fixtures = pg::ca_file();
    let encrypted = |conn: &Conn| -> bool {
        conn.query_row("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", [], |r| r.get(0)).unwrap()
    };
    // Asked for, with the company's CA: encrypted, as PostgreSQL itself reports.
    let tls_url = format!("{url}?sslmode=require&sslrootcert={}", fixtures.display());
    assert!(encrypted(&Conn::open_postgres(&tls_url).unwrap()));
    // To this machine without asking: plain (nothing crosses a network).
    assert!(!encrypted(&Conn::open_postgres(&url).unwrap()));
    // A certificate nobody vouches for is refused: the system's roots alone, or another CA.
    let other = fixtures.with_file_name("other-ca.pem");
    for untrusted in
        [format!("{url}?sslmode=require"), format!("{url}?sslmode=verify-full&sslrootcert={}", other.display())]
    {
        let refused = Conn::open_postgres(&untrusted).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(refused.contains("certificate"), "{untrusted}: {refused}");
    }
    // A whole server on the encrypted connection: devices sync through it, and an instance's
    // listener (a connection of its own) hears the other instance's writes.
    let dir = tempfile::tempdir().unwrap();
    let a = TestServer::start_on(Location::Postgres(tls_url), dir.path().join("a"), "127.0.0.1:0".parse().unwrap());
    let b = TestServer::beside(&a);
    a.add_user("ann", "account_manager", Some("east"));
    let ann = Device::login_at(&a.url(), "ann").await;
    let desk = Device::login_at(&b.url(), "ann").await;
    desk.sync().await.unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let engine = desk.engine.clone();
    tokio::spawn(async move { engine.run(stopped).await });
    let id = ann.create("customer", json!({"name": "加密连接的客户"}));
    ann.sync().await.unwrap();
    crm_tests::eventually(10, "the other instance's device gets the record live", || desk.doc_ids().contains(&id))
        .await;
    let _ = stop.send(true);
    let plain: i64 = a
        .db()
        .connection()
        .query_row(
            "SELECT COUNT(*) FROM pg_stat_ssl s JOIN pg_stat_activity a ON a.pid = s.pid
             WHERE a.datname = current_database() AND NOT s.ssl",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(plain, 0, "no connection of either instance to the database is plain");
}
