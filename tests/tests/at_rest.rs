//! Encryption at rest on the device (crm_core::at_rest): an encrypted store is unreadable
//! without its key — plain SQLite refuses it and its bytes hold no customer's name — the right
//! key opens it after a restart, a wrong one is refused with a clear error, the key can be
//! changed and the store made plain again without losing a record; and the app encrypts each
//! person's store at their first sign-in, under a key in the keychain or under their password.
//! Real SQLite (SQLCipher) files, a real sync server.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crm_core::app::{App, AtRest};
use crm_core::at_rest::{self, Keychain, StoreKey};
use crm_core::{Error, Store};
use crm_tests::{TestServer, PASSWORD};
use serde_json::{json, Value as Json};

const NAME: &str = "杭州宏达机械有限公司";
const PHONE: &str = "13912345678";

fn call(store: &mut Store, request: Json) -> Json {
    serde_json::from_str(&store.handle_json(&request.to_string())).unwrap()
}

fn add_customer(store: &mut Store) -> String {
    let r = call(store, json!({"op": "create", "kind": "customer", "fields": {"name": NAME, "phones": [PHONE]}}));
    r["id"].as_str().unwrap_or_else(|| panic!("{r}")).to_string()
}

fn name_of(store: &mut Store, id: &str) -> Json {
    call(store, json!({"op": "get", "id": id}))["fields"]["name"].clone()
}

/// The store's files (the database and its write-ahead log) hold neither the name nor the phone.
fn assert_unreadable(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    bytes.extend(std::fs::read(wal).unwrap_or_default());
    assert!(!bytes.is_empty());
    assert_ne!(&bytes[..16], b"SQLite format 3\0", "the header is encrypted too");
    for secret in [NAME.as_bytes(), PHONE.as_bytes(), b"customer".as_slice()] {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret),
            "{:?} is readable in the file",
            String::from_utf8_lossy(secret)
        );
    }
    // Plain SQLite: not a database.
    let plain = rusqlite::Connection::open(path).unwrap();
    let err = plain.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get::<_, i64>(0)).unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(rusqlite::ErrorCode::NotADatabase), "{err}");
}

#[test]
fn an_encrypted_store_is_unreadable_without_its_key_and_opens_with_it_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    for (label, key, wrong) in [
        ("raw key", StoreKey::generate().unwrap(), StoreKey::generate().unwrap()),
        ("password", StoreKey::Password("春眠不觉晓 2026".into()), StoreKey::Password("春眠不觉晓 2025".into())),
    ] {
        let path = dir.path().join(format!("{}.sqlite3", label.replace(' ', "-")));
        let id = {
            let mut store = Store::open_with(&path, Some(&key)).unwrap();
            add_customer(&mut store)
        };
        assert!(at_rest::is_encrypted(&path), "{label}");
        assert_unreadable(&path);
        match Store::open(&path) {
            Err(Error::StoreLocked) => {}
            other => panic!("{label}: opened without a key: {:?}", other.map(|_| ())),
        }
        let err = Store::open_with(&path, Some(&wrong)).err().unwrap();
        assert!(matches!(err, Error::WrongKey), "{label}: {err}");
        assert_eq!(err.code(), "wrong_store_key");
        assert!(err.to_string().contains("password"), "the message says what to do: {err}");
        // Refused before anything was written: the right key still opens it, the record there.
        let mut store = Store::open_with(&path, Some(&key)).unwrap();
        assert_eq!(name_of(&mut store, &id), NAME, "{label}");
        let found = call(&mut store, json!({"op": "search", "query": "宏达"}));
        assert_eq!(found["hits"][0]["id"], id.as_str(), "{label}: search works in an encrypted store: {found}");
    }
    // A raw key survives its keychain form.
    let key = StoreKey::generate().unwrap();
    assert_eq!(StoreKey::from_secret(&key.to_secret().unwrap()).unwrap(), key);
    assert!(StoreKey::from_secret("not hex").is_err());
    assert!(!format!("{key:?}").contains(&key.to_secret().unwrap()), "a key is never printed");
}

#[test]
fn a_plain_store_is_encrypted_its_password_changed_and_made_plain_again_without_losing_a_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.sqlite3");
    let (id, count) = {
        let mut store = Store::open(&path).unwrap();
        let id = add_customer(&mut store);
        for i in 0..200 {
            call(&mut store, json!({"op": "create", "kind": "customer", "fields": {"name": format!("客户{i}")}}));
        }
        let count = call(&mut store, json!({"op": "list", "kind": "customer", "limit": 1}))["total"].clone();
        (id, count)
    };
    let first = StoreKey::Password("first".into());
    let second = StoreKey::Password("second".into());

    // Not while someone holds it.
    let held = Store::open(&path).unwrap();
    assert!(matches!(at_rest::rekey(&path, None, Some(&first)), Err(Error::InUse { .. })));
    drop(held);

    // A copy left by a rekey that crashed before its rename is not in the way.
    std::fs::write(dir.path().join("crm.sqlite3.rekey"), b"half a copy").unwrap();
    at_rest::rekey(&path, None, Some(&first)).unwrap();
    assert_unreadable(&path);
    assert!(!dir.path().join("crm.sqlite3.rekey").exists());
    let check = |key: Option<&StoreKey>| {
        let mut store = Store::open_with(&path, key).unwrap();
        assert_eq!(name_of(&mut store, &id), NAME);
        assert_eq!(call(&mut store, json!({"op": "list", "kind": "customer", "limit": 1}))["total"], count);
        // Still writable, and what is written stays.
        call(&mut store, json!({"op": "update", "id": id, "fields": {"grade": "A"}}));
    };
    check(Some(&first));

    // The password changed: the old one no longer opens it.
    assert!(matches!(at_rest::rekey(&path, Some(&second), Some(&first)), Err(Error::WrongKey)));
    at_rest::rekey(&path, Some(&first), Some(&second)).unwrap();
    assert!(matches!(Store::open_with(&path, Some(&first)), Err(Error::WrongKey)));
    check(Some(&second));

    // Plain again.
    at_rest::rekey(&path, Some(&second), None).unwrap();
    assert!(!at_rest::is_encrypted(&path));
    check(None);
    let mut store = Store::open(&path).unwrap();
    assert_eq!(call(&mut store, json!({"op": "get", "id": id}))["fields"]["grade"], "A");
}

/// A keychain in memory, as the operating system's would keep the keys.
#[derive(Default)]
struct MemoryKeychain(Mutex<HashMap<String, String>>);

impl Keychain for MemoryKeychain {
    fn get(&self, account: &str) -> crm_core::Result<Option<String>> {
        Ok(self.0.lock().unwrap().get(account).cloned())
    }
    fn set(&self, account: &str, secret: &str) -> crm_core::Result<()> {
        self.0.lock().unwrap().insert(account.to_string(), secret.to_string());
        Ok(())
    }
    fn delete(&self, account: &str) -> crm_core::Result<()> {
        self.0.lock().unwrap().remove(account);
        Ok(())
    }
}

fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Close `app` and wait until its sync has let go of the store (a dropped app's runtime stops
/// in the background).
fn close(app: App, dir: &Path) {
    drop(app);
    wait_until("the store is let go", || {
        let lock = dir.join(format!("{}.lock", crm_core::profiles::FIRST));
        let file = std::fs::OpenOptions::new().read(true).write(true).open(lock).unwrap();
        file.try_lock().is_ok()
    });
}

/// A server with ann's account, and a data directory for an app with the path of its first store.
fn setup() -> (TestServer, tempfile::TempDir, PathBuf) {
    let server = TestServer::start();
    server.add_user("ann", "account_manager", Some("east"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(crm_core::profiles::FIRST);
    (server, dir, path)
}

/// A customer made in the app (with the phone when asked); its id.
fn app_customer(app: &App, with_phone: bool) -> String {
    let fields = if with_phone { json!({"name": NAME, "phones": [PHONE]}) } else { json!({"name": NAME}) };
    let made = app.dispatch(json!({"op": "create", "kind": "customer", "fields": fields}));
    made["id"].as_str().unwrap_or_else(|| panic!("{made}")).to_string()
}

fn sign_in(app: &App, server: &TestServer, username: &str, password: &str) -> Json {
    app.dispatch(json!({"op": "sign_in", "server": server.url(), "username": username, "password": password}))
}

#[test]
fn the_app_encrypts_a_store_at_its_first_sign_in_under_the_keychains_key() {
    let (server, dir, path) = setup();
    let keychain = Arc::new(MemoryKeychain::default());
    let at_rest = || AtRest::Encrypted { keychain: Some(keychain.clone() as Arc<dyn Keychain>) };

    let app = App::open_with(dir.path(), "tablet", at_rest()).unwrap();
    assert!(!at_rest::is_encrypted(&path), "nothing to protect before a sign-in");
    let status = sign_in(&app, &server, "ann", PASSWORD);
    assert_eq!(status["mode"], "signed_in", "{status}");
    assert!(at_rest::is_encrypted(&path), "encrypted at the first sign-in");
    let secret = keychain.get(&at_rest::keychain_account(&path)).unwrap().expect("the key is in the keychain");
    assert_eq!(secret.len(), 64);
    let id = app_customer(&app, true);
    wait_until("the customer reaches the server", || app.dispatch(json!({"op": "app_status"}))["sync"]["pending"] == 0);
    close(app, dir.path());
    assert_unreadable(&path);

    // Started again: the keychain's key opens it, no password asked; sync goes on.
    let app = App::open_with(dir.path(), "tablet", at_rest()).unwrap();
    let status = app.dispatch(json!({"op": "app_status"}));
    assert_eq!(status["mode"], "signed_in", "{status}");
    assert_eq!(app.dispatch(json!({"op": "get", "id": id}))["fields"]["name"], NAME);
    close(app, dir.path());

    // Without the keychain's key (another user's session, the key deleted) it stays locked.
    keychain.delete(&at_rest::keychain_account(&path)).unwrap();
    let app = App::open_with(dir.path(), "tablet", at_rest()).unwrap();
    assert_eq!(app.dispatch(json!({"op": "app_status"}))["mode"], "locked");
    assert_eq!(app.dispatch(json!({"op": "get", "id": id}))["code"], "store_locked");
}

#[test]
fn without_a_keychain_the_store_is_under_the_password_and_locked_at_every_start() {
    let server = TestServer::start();
    let ann = server.add_user("ann", "account_manager", Some("east"));
    server.add_user("bob", "account_manager", Some("east"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(crm_core::profiles::FIRST);
    let at_rest = || AtRest::Encrypted { keychain: None };

    let app = App::open_with(dir.path(), "tablet", at_rest()).unwrap();
    assert_eq!(sign_in(&app, &server, "ann", PASSWORD)["mode"], "signed_in");
    let id = app_customer(&app, false);
    close(app, dir.path());
    assert!(at_rest::is_encrypted(&path));

    // Locked at the start: who it is (from the card beside it), nothing else.
    let app = App::open_with(dir.path(), "tablet", at_rest()).unwrap();
    let status = app.dispatch(json!({"op": "app_status"}));
    assert_eq!(status["mode"], "locked", "{status}");
    assert_eq!(status["identity"]["username"], "ann", "{status}");
    assert_eq!(status["identity"]["user_id"], ann.as_str(), "{status}");
    assert_eq!(status["server"], server.url().as_str());
    assert_eq!(status["profiles"][0]["encrypted"], true, "{status}");
    let card = std::fs::read_to_string(dir.path().join("crm.sqlite3.card.json")).unwrap();
    assert!(!card.contains(NAME), "the card holds no customer data: {card}");
    for op in [json!({"op": "get", "id": id}), json!({"op": "list", "kind": "customer"}), json!({"op": "use_locally"})]
    {
        assert_eq!(app.dispatch(op.clone())["code"], "store_locked", "{op}");
    }
    let wrong = app.dispatch(json!({"op": "unlock", "password": "not it"}));
    assert_eq!(wrong["code"], "wrong_store_key", "{wrong}");
    let status = app.dispatch(json!({"op": "unlock", "password": PASSWORD}));
    assert_eq!(status["mode"], "signed_in", "{status}");
    assert_eq!(app.dispatch(json!({"op": "get", "id": id}))["fields"]["name"], NAME);
    wait_until("it syncs once unlocked", || app.dispatch(json!({"op": "app_status"}))["sync"]["state"] == "up_to_date");
    close(app, dir.path());

    // Locked, someone else signs in: their own store, encrypted under their password; ann's
    // stays as it was.
    let app = App::open_with(dir.path(), "tablet", at_rest()).unwrap();
    let status = sign_in(&app, &server, "bob", PASSWORD);
    assert_eq!(status["mode"], "signed_in", "{status}");
    assert_ne!(status["profile"], crm_core::profiles::FIRST);
    let bob_store = dir.path().join(status["profile"].as_str().unwrap());
    assert!(at_rest::is_encrypted(&bob_store));
    assert_eq!(app.dispatch(json!({"op": "get", "id": id}))["code"], "not_found", "bob's store is not ann's");
    let profiles = status["profiles"].as_array().unwrap();
    assert_eq!(profiles.len(), 2, "{status}");
    // Each encrypted store's card names its own person.
    let card = |file: &Path| -> Json {
        let mut name = file.as_os_str().to_owned();
        name.push(".card.json");
        serde_json::from_slice(&std::fs::read(name).unwrap()).unwrap()
    };
    assert_eq!(card(&path)["username"], "ann");
    assert_eq!(card(&bob_store)["username"], "bob");
    // Ann signs in again, her store locked: her password opens it on the way.
    let status = sign_in(&app, &server, "ann", PASSWORD);
    assert_eq!(status["mode"], "signed_in", "{status}");
    assert_eq!(status["profile"], crm_core::profiles::FIRST);
    assert_eq!(app.dispatch(json!({"op": "get", "id": id}))["fields"]["name"], NAME);

    // Her password is changed by an admin; signing in with the new one puts the store under it.
    server.db().set_password("ann", "a new password 2026").unwrap();
    app.dispatch(json!({"op": "sign_out", "force": true}));
    let status = sign_in(&app, &server, "ann", "a new password 2026");
    assert_eq!(status["mode"], "signed_in", "{status}");
    close(app, dir.path());
    assert!(matches!(Store::open_with(&path, Some(&StoreKey::Password(PASSWORD.into()))), Err(Error::WrongKey)));
    let mut store = Store::open_with(&path, Some(&StoreKey::Password("a new password 2026".into()))).unwrap();
    assert_eq!(name_of(&mut store, &id), NAME);
}

#[test]
fn a_store_signed_in_before_encryption_is_encrypted_when_the_app_with_a_keychain_opens_it() {
    let (server, dir, path) = setup();
    // Signed in by a shell that did not encrypt (an earlier version, `crm login`).
    let app = App::open(dir.path(), "tablet").unwrap();
    assert_eq!(sign_in(&app, &server, "ann", PASSWORD)["mode"], "signed_in");
    let id = app_customer(&app, false);
    close(app, dir.path());
    assert!(!at_rest::is_encrypted(&path));

    let keychain = Arc::new(MemoryKeychain::default());
    // A key left in the keychain for a file that is plain (a crash between saving a new key
    // and encrypting with it) is not taken: the store is sealed afresh.
    let stale = StoreKey::generate().unwrap();
    keychain.set(&at_rest::keychain_account(&path), &stale.to_secret().unwrap()).unwrap();
    let at_rest = || AtRest::Encrypted { keychain: Some(keychain.clone() as Arc<dyn Keychain>) };
    let app = App::open_with(dir.path(), "tablet", at_rest()).unwrap();
    assert!(at_rest::is_encrypted(&path), "encrypted as soon as the app opened it");
    assert_ne!(keychain.get(&at_rest::keychain_account(&path)).unwrap(), stale.to_secret());
    assert!(keychain.get(&at_rest::keychain_account(&path)).unwrap().is_some());
    assert_eq!(app.dispatch(json!({"op": "app_status"}))["mode"], "signed_in");
    assert_eq!(app.dispatch(json!({"op": "get", "id": id}))["fields"]["name"], NAME);
    close(app, dir.path());
    assert_unreadable(&path);
    // A keychain key that does not open it (a keychain restored from elsewhere): the app still
    // starts, locked, rather than failing.
    keychain.set(&at_rest::keychain_account(&path), &stale.to_secret().unwrap()).unwrap();
    let app = App::open_with(dir.path(), "tablet", at_rest()).unwrap();
    assert_eq!(app.dispatch(json!({"op": "app_status"}))["mode"], "locked");
}

#[test]
fn every_spelling_of_the_data_directory_finds_the_same_keychain_entry() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
    let plain = dir.path().join("a/crm.sqlite3");
    let roundabout = dir.path().join("a/b/../crm.sqlite3");
    assert_eq!(at_rest::keychain_account(&plain), at_rest::keychain_account(&roundabout));
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(dir.path().join("a"), dir.path().join("link")).unwrap();
        let linked = dir.path().join("link/crm.sqlite3");
        assert_eq!(at_rest::keychain_account(&plain), at_rest::keychain_account(&linked));
    }
}

/// Whether any file under `dir` holds `needle`.
fn any_file_holds(dir: &Path, needle: &[u8]) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else { return false };
    entries.flatten().any(|e| {
        let path = e.path();
        if path.is_dir() {
            return any_file_holds(&path, needle);
        }
        std::fs::read(&path).unwrap().windows(needle.len()).any(|w| w == needle)
    })
}

fn attach_photo(device: &crm_tests::Device, record: &str, photo: &[u8]) -> String {
    use base64::{engine::general_purpose::STANDARD, Engine};
    let out = device.call(json!({"op": "attach", "record": record, "field": "photos", "name": "门头.jpg",
        "type": "image/jpeg", "data": STANDARD.encode(photo), "thumb": STANDARD.encode(crm_tests::jpeg(photo[20] as u64, 6_000))}));
    out["item"]["hash"].as_str().unwrap_or_else(|| panic!("{out}")).to_string()
}

fn file_bytes(device: &crm_tests::Device, hash: &str, record: &str) -> Vec<u8> {
    use base64::{engine::general_purpose::STANDARD, Engine};
    let out = device.call(json!({"op": "file", "hash": hash, "record": record}));
    STANDARD.decode(out["data"].as_str().unwrap_or_else(|| panic!("{out}"))).unwrap()
}

/// The photos beside an encrypted store are sealed too: a photo taken before the store was
/// encrypted is sealed when it is next opened, one taken after and one downloaded are kept
/// sealed, all of them read back whole through the store and reach the server as they were;
/// without the store's key a file does not open, and a store made plain again has its files
/// plain again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_photos_beside_an_encrypted_store_are_sealed_and_read_back_whole() {
    let server = TestServer::start();
    let [mut ann, mut sue] =
        server.people([("ann", "account_manager", Some("east")), ("sue", "supervisor", Some("east"))]).await;
    let customer = ann.create("customer", json!({"name": NAME}));
    let visit = ann.call(json!({"op": "check_in", "customer": customer}))["id"].as_str().unwrap().to_string();
    let (before, after) = (crm_tests::jpeg(41, 300_000), crm_tests::jpeg(42, 200_000));
    // Bytes from the middle of each photo: what a reader of the disk would look for.
    let (mark_before, mark_after) = (&before[150_000..150_064], &after[100_000..100_064]);
    let first = attach_photo(&ann, &visit, &before);
    let files = crm_core::attachment::BlobDir::beside(&ann.path);
    assert!(any_file_holds(files.root(), mark_before), "a plain store's files are plain");

    // Encrypted (as the app does at a first sign-in): the photo taken before is sealed at the
    // next open, and so is one taken after.
    let key = StoreKey::generate().unwrap();
    ann.reopen_with(Some(&key), |path| at_rest::rekey(path, None, Some(&key)).unwrap());
    let second = attach_photo(&ann, &visit, &after);
    assert!(!any_file_holds(files.root(), mark_before), "the photo taken before encryption is sealed");
    assert!(!any_file_holds(files.root(), mark_after), "a photo taken in an encrypted store is sealed");
    assert_eq!(file_bytes(&ann, &first, &visit), before);
    assert_eq!(file_bytes(&ann, &second, &visit), after);
    let attachments = ann.call(json!({"op": "attachments", "id": customer}));
    assert!(attachments["items"].as_array().unwrap().iter().all(|i| i["here"] == true && i["thumb_data"].is_string()));
    // Without the store's key a file is refused with what to do, not returned as noise.
    let refused = files.read(&first).unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::PermissionDenied);
    assert!(refused.to_string().contains("key"), "{refused}");

    // Sent from the encrypted store, they reach the server as they were.
    ann.sync().await.unwrap();
    let kept = crm_core::attachment::BlobDir::beside(&server.db_path);
    assert_eq!(kept.read(&first).unwrap().unwrap(), before);
    assert_eq!(kept.read(&second).unwrap().unwrap(), after);

    // Downloaded into an encrypted store: sealed once it is complete, read back whole.
    let sue_key = StoreKey::Password("春眠不觉晓".into());
    sue.reopen_with(Some(&sue_key), |path| at_rest::rekey(path, None, Some(&sue_key)).unwrap());
    sue.sync().await.unwrap();
    sue.engine.fetch_file(&second, &visit).await.unwrap();
    let sue_files = crm_core::attachment::BlobDir::beside(&sue.path);
    assert_eq!(sue_files.read(&second).unwrap_err().kind(), std::io::ErrorKind::PermissionDenied);
    assert!(!any_file_holds(sue_files.root(), mark_after), "the downloaded photo is sealed");
    assert_eq!(file_bytes(&sue, &second, &visit), after);

    // Plain again: the files are plain again, and the file key is gone with them.
    ann.reopen_with(None, |path| at_rest::rekey(path, Some(&key), None).unwrap());
    assert!(any_file_holds(files.root(), mark_before) && any_file_holds(files.root(), mark_after));
    assert_eq!(files.read(&second).unwrap().unwrap(), after);
    assert_eq!(ann.engine.store().meta("file_key").unwrap(), None);
}
