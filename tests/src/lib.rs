//! Test harness: a real sync server on loopback that can be killed and restarted, and
//! devices that each own a real store in a temporary directory.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crm_core::sync::client::{self, SyncEngine, SyncError, SyncStatus};
use crm_core::{Request, Response, Store};
use serde_json::{json, Value as Json};
use sync_server::sql::Location;
use sync_server::AppState;

pub mod fuzz;
pub mod pg;
pub mod process;

pub const PASSWORD: &str = "correct horse battery";

/// Where a test server's database goes in `dir`: a SQLite file, or with `CRM_TEST_DB=postgres`
/// a new database on the test cluster (files still beside `server` in `dir`).
pub(crate) fn database_in(dir: &std::path::Path) -> (PathBuf, Location) {
    if pg::enabled() {
        (dir.join("server"), Location::Postgres(pg::new_database()))
    } else {
        let path = dir.join("server.sqlite3");
        (path.clone(), Location::Sqlite(path))
    }
}

/// Whether this run is against PostgreSQL: tests of what only SQLite has (its backup file)
/// say so and stop.
pub fn skip_on_postgres(what: &str) -> bool {
    if pg::enabled() {
        eprintln!("skipped on PostgreSQL: {what} is SQLite's (PostgreSQL has pg_dump)");
        return true;
    }
    false
}

/// A sync server in its own runtime, so killing it drops every connection at once.
pub struct TestServer {
    runtime: Option<tokio::runtime::Runtime>,
    /// The running server's state (new at each boot).
    state: Option<Arc<AppState>>,
    /// Serving https/wss with the test certificate (`tests/fixtures/tls`).
    tls: Option<Arc<rustls::ServerConfig>>,
    pub addr: SocketAddr,
    /// What files and the reports' replica are kept beside: the SQLite file, or on PostgreSQL
    /// a name in the test's directory.
    pub db_path: PathBuf,
    /// The database: the SQLite file, or a database of its own on the test cluster
    /// (`CRM_TEST_DB=postgres`, [`pg`]).
    pub location: Location,
    /// The database's folder; `None` for an instance beside another one, which owns it.
    _dir: Option<tempfile::TempDir>,
}

impl TestServer {
    pub fn start() -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let (db_path, location) = database_in(dir.path());
        let mut server = TestServer {
            runtime: None,
            state: None,
            tls: None,
            addr: "127.0.0.1:0".parse().unwrap(),
            db_path,
            location,
            _dir: Some(dir),
        };
        server.boot();
        server
    }

    /// A server on the database at `location`, files beside `db_path`, listening on `addr`
    /// (port 0: any): an existing server's database moved elsewhere, as `sync-server migrate`
    /// does, served at the address its devices know.
    pub fn start_on(location: Location, db_path: PathBuf, addr: SocketAddr) -> TestServer {
        let mut server = TestServer { runtime: None, state: None, tls: None, addr, db_path, location, _dir: None };
        server.boot();
        server
    }

    /// [`TestServer::start`] serving https and wss with the test certificate, issued by the
    /// test CA ([`test_ca`]) for `127.0.0.1`.
    pub fn start_tls() -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let (db_path, location) = database_in(dir.path());
        let fixtures = tls_fixtures();
        let tls =
            sync_server::listener::tls_config(&fixtures.join("server.pem"), &fixtures.join("server.key")).unwrap();
        let mut server = TestServer {
            runtime: None,
            state: None,
            tls: Some(tls),
            addr: "127.0.0.1:0".parse().unwrap(),
            db_path,
            location,
            _dir: Some(dir),
        };
        server.boot();
        server
    }

    fn boot(&mut self) {
        let (path, location) = (self.db_path.clone(), self.location.clone());
        let tls = self.tls.clone();
        let want = self.addr;
        // A runtime of its own, started from a plain thread (tests already run inside one).
        let (runtime, addr, state) = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
            let (addr, state) = runtime.block_on(async move {
                // The old socket may linger for a moment after a kill.
                let mut tries = 0;
                let listener = loop {
                    match tokio::net::TcpListener::bind(want).await {
                        Ok(l) => break l,
                        Err(e) if tries < 50 => {
                            tries += 1;
                            let _ = e;
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        Err(e) => panic!("cannot bind {want}: {e}"),
                    }
                };
                let addr = listener.local_addr().unwrap();
                let state = AppState::open_at(location, path).unwrap();
                let limits = sync_server::listener::Limits::default();
                match tls {
                    Some(tls) => tokio::spawn(sync_server::serve_tls(
                        listener,
                        Arc::clone(&state),
                        std::future::pending(),
                        limits,
                        tls,
                    )),
                    None => tokio::spawn(sync_server::serve(listener, Arc::clone(&state), std::future::pending())),
                };
                (addr, state)
            });
            (runtime, addr, state)
        })
        .join()
        .unwrap();
        self.addr = addr;
        self.runtime = Some(runtime);
        self.state = Some(state);
    }

    /// A second server instance on `other`'s database (as several processes on one SQLite
    /// file would be), on a port of its own.
    pub fn beside(other: &TestServer) -> TestServer {
        let mut server = TestServer {
            runtime: None,
            state: None,
            tls: other.tls.clone(),
            addr: "127.0.0.1:0".parse().unwrap(),
            db_path: other.db_path.clone(),
            location: other.location.clone(),
            _dir: None,
        };
        server.boot();
        server
    }

    /// The running server's state: to plug in what a deployment would (an SMS provider).
    pub fn state(&self) -> &AppState {
        self.state.as_deref().expect("the server is running")
    }

    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Stop abruptly: every connection is cut and every task dropped at its next step; a
    /// database transaction already running finishes, as it would before a process dies.
    /// Returns once nothing holds the database open.
    pub fn kill(&mut self) {
        self.state = None;
        if let Some(rt) = self.runtime.take() {
            // Shut down from a plain thread: blocking is not allowed inside the test's runtime.
            std::thread::spawn(move || rt.shutdown_timeout(Duration::from_secs(10))).join().unwrap();
        }
    }

    pub fn restart(&mut self) {
        self.kill();
        self.boot();
    }

    /// Add an account directly in the server database (as the admin CLI does).
    pub fn add_user(&self, username: &str, role: &str, team: Option<&str>) -> String {
        let mut db = sync_server::db::ServerDb::open(&self.location).unwrap();
        db.add_user(username, username, role, team, PASSWORD).unwrap()
    }

    /// Add these accounts (username, role, team) and sign each in on a device of its own.
    pub async fn people<const N: usize>(&self, accounts: [(&str, &str, Option<&str>); N]) -> [Device; N] {
        let mut devices = Vec::with_capacity(N);
        for (username, role, team) in accounts {
            self.add_user(username, role, team);
            devices.push(Device::login(self, username).await);
        }
        match devices.try_into() {
            Ok(devices) => devices,
            Err(_) => unreachable!("one device per account"),
        }
    }

    pub fn db(&self) -> sync_server::db::ServerDb {
        sync_server::db::ServerDb::open(&self.location).unwrap()
    }

    /// Entries in the server's log (changes and access events).
    pub fn log_len(&self) -> i64 {
        self.db().connection().query_row("SELECT COUNT(*) FROM log", [], |r| r.get(0)).unwrap()
    }
}

/// A TCP load balancer in front of server instances: each new connection goes to the next
/// instance that accepts it, round robin, as a TCP balancer with health checks would send it.
/// A killed instance's connections end, and devices come back through the balancer to another.
pub struct Balancer {
    pub addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Balancer {
    pub fn start(targets: Vec<SocketAddr>) -> Balancer {
        let (runtime, addr) = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
            let addr = runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                tokio::spawn(async move {
                    let mut next = 0usize;
                    while let Ok((mut inbound, _)) = listener.accept().await {
                        let first = next;
                        next += 1;
                        let targets = targets.clone();
                        tokio::spawn(async move {
                            for k in 0..targets.len() {
                                let target = targets[(first + k) % targets.len()];
                                if let Ok(mut upstream) = tokio::net::TcpStream::connect(target).await {
                                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut upstream).await;
                                    return;
                                }
                            }
                        });
                    }
                });
                addr
            });
            (runtime, addr)
        })
        .join()
        .unwrap();
        Balancer { addr, runtime: Some(runtime) }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            std::thread::spawn(move || rt.shutdown_timeout(Duration::from_secs(5))).join().unwrap();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One device: a store on disk and its sync engine.
pub struct Device {
    pub engine: SyncEngine,
    pub path: PathBuf,
    pub user_id: String,
    _dir: tempfile::TempDir,
}

impl Device {
    pub async fn login(server: &TestServer, username: &str) -> Device {
        Device::login_at(&server.url(), username).await
    }

    /// Sign in to the server at `url` (e.g. one running as a separate process).
    pub async fn login_at(url: &str, username: &str) -> Device {
        Device::sign_in(url, username, PASSWORD).await.unwrap()
    }

    /// Sign in with a password of one's own (an account an admin made).
    pub async fn login_with(server: &TestServer, username: &str, password: &str) -> Device {
        Device::sign_in(&server.url(), username, password).await.unwrap()
    }

    /// A sign-in that may be refused.
    pub async fn try_login(server: &TestServer, username: &str, password: &str) -> Result<Device, String> {
        Device::sign_in(&server.url(), username, password).await
    }

    async fn sign_in(url: &str, username: &str, password: &str) -> Result<Device, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("crm.sqlite3");
        let url = url.to_string();
        let (store, login) = {
            let (username, password) = (username.to_string(), password.to_string());
            let path = path.clone();
            tokio::task::spawn_blocking(move || {
                let mut store = Store::open(&path).unwrap();
                if url.starts_with("https://") {
                    client::set_server_ca(&mut store, Some(&test_ca())).map_err(|e| e.to_string())?;
                }
                let login = client::login(&mut store, &url, &username, &password, "test device")
                    .map_err(|e| e.to_string())?
                    .login;
                Ok::<_, String>((store, login))
            })
            .await
            .unwrap()?
        };
        Ok(Device { engine: SyncEngine::new(Arc::new(Mutex::new(store))), path, user_id: login.user_id, _dir: dir })
    }

    /// Close and reopen the store, as after the app was restarted.
    pub fn restart(&mut self) {
        self.reopen_with(None, |_| {});
    }

    /// Close the store, run `between` on its path while nobody holds it (a rekey), and open it
    /// again with `key`.
    pub fn reopen_with(&mut self, key: Option<&crm_core::at_rest::StoreKey>, between: impl FnOnce(&std::path::Path)) {
        // The store is closed before it is opened again: one owner at a time.
        let scratch = Store::open(self.path.with_file_name("scratch.sqlite3")).unwrap();
        drop(std::mem::replace(&mut self.engine, SyncEngine::new(Arc::new(Mutex::new(scratch)))));
        between(&self.path);
        let reopened = Store::open_with(&self.path, key).unwrap();
        self.engine = SyncEngine::new(Arc::new(Mutex::new(reopened)));
    }

    /// Run a request; panic on an error response.
    pub fn call(&self, request: Json) -> Json {
        let out = self.try_call(request.clone());
        assert_ne!(out["type"], "error", "request {request} failed: {out}");
        out
    }

    pub fn try_call(&self, request: Json) -> Json {
        let req: Request = serde_json::from_value(request).unwrap();
        let resp: Response = self.engine.store().handle(req);
        self.engine.local_change();
        serde_json::to_value(resp).unwrap()
    }

    pub fn create(&self, kind: &str, fields: Json) -> String {
        let out = self.call(json!({"op": "create", "kind": kind, "fields": fields, "allow_duplicate": true}));
        out["id"].as_str().unwrap().to_string()
    }

    pub fn get(&self, id: &str) -> Json {
        self.try_call(json!({"op": "get", "id": id}))
    }

    pub async fn sync(&self) -> Result<SyncStatus, SyncError> {
        tokio::time::timeout(Duration::from_secs(60), self.engine.sync_once()).await.expect("sync took over a minute")
    }

    pub fn doc_ids(&self) -> Vec<String> {
        let store = self.engine.store();
        let mut stmt = store.connection().prepare("SELECT id FROM docs WHERE kind IS NOT NULL ORDER BY id").unwrap();
        let ids = stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<Vec<String>, _>>().unwrap();
        ids
    }

    pub fn heads(&self, id: &str) -> Vec<String> {
        self.engine.store().heads(id).unwrap()
    }

    /// Make this device's app believe its user is an admin, as a tampered or hand-written
    /// client would: its own checks then let every edit through, and only the server's rules
    /// stand between it and the data.
    pub fn pretend_admin(&self) {
        let mut store = self.engine.store();
        let me = store.identity().clone();
        store.set_identity_with_actor(&me.user_id, &me.display_name, "admin", None, &me.actor).unwrap();
        // The role a device acts on is its user record's: tampered with too.
        let sql = format!("UPDATE {} SET role = 'admin' WHERE id = ?", crm_core::Kind::User.table());
        store.connection().execute(&sql, [&me.user_id]).unwrap();
    }

    pub fn rejected(&self) -> Vec<crm_core::sync::local::RejectedEdit> {
        self.engine.store().rejected_edits().unwrap()
    }

    /// A change to `id` made on this device behind its app's back (as a hand-written client
    /// would): the device's own actor and user, the edit applied to its copy of the record.
    pub fn forged(&self, id: &str, edit: impl FnOnce(&mut automerge::AutoCommit)) -> Vec<u8> {
        use automerge::transaction::CommitOptions;
        let store = self.engine.store();
        let actor = automerge::ActorId::from(crm_core::store::hex_decode(&store.identity().actor).unwrap());
        let changes = {
            let mut store = store;
            store.changes_of(id).unwrap()
        };
        let mut doc = crm_core::document::RecordDoc::load(&[], changes).unwrap();
        doc.set_actor(&actor);
        let inner = doc.inner();
        edit(inner);
        inner.commit_with(
            CommitOptions::default().with_message(self.user_id.clone()).with_time(crm_core::value::now_ms() / 1000),
        );
        inner.get_last_local_change().unwrap().raw_bytes().to_vec()
    }
}

/// The test certificates' directory (`tests/fixtures/tls`: its README says what each is).
pub fn tls_fixtures() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tls")
}

/// The test CA's certificate (PEM) that issued the test server's (`tests/fixtures/tls`).
pub fn test_ca() -> String {
    std::fs::read_to_string(tls_fixtures().join("ca.pem")).unwrap()
}

/// A JPEG-looking file of `len` bytes, different for each `seed`: a JPEG's first bytes, then
/// seeded noise (photos do not compress either, and the rules read only the first bytes).
pub fn jpeg(seed: u64, len: usize) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0];
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Wait until `check` holds, polling; panic with `what` after `secs`.
pub async fn eventually(secs: u64, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Speaking the sync protocol by hand, as a hostile or foreign client would.
pub mod wire {
    use std::time::Duration;

    use crm_core::sync::protocol::{
        decode, encode, Accepted, ClientMsg, DocBytes, Refused, ServerMsg, PROTOCOL_VERSION,
    };
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::{Error as WsError, Message};

    use crate::{Device, TestServer};

    pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

    pub async fn connect(server: &TestServer, token: Option<&str>) -> Result<Ws, WsError> {
        let mut request = format!("ws://{}/sync", server.addr).into_client_request()?;
        if let Some(token) = token {
            request.headers_mut().insert("authorization", format!("Bearer {token}").parse().expect("header"));
        }
        tokio_tungstenite::connect_async(request).await.map(|(ws, _)| ws)
    }

    pub fn token_of(device: &Device) -> String {
        device.engine.store().sync_endpoint().expect("endpoint").expect("signed in").1
    }

    /// The next protocol message, skipping pings; `None` when the connection ends.
    pub async fn next(ws: &mut Ws) -> Option<ServerMsg> {
        next_within(ws, Duration::from_secs(10)).await
    }

    /// The next message, waiting at most `wait` for it.
    pub async fn next_within(ws: &mut Ws, wait: Duration) -> Option<ServerMsg> {
        loop {
            match tokio::time::timeout(wait, ws.next()).await.ok()?? {
                Ok(Message::Binary(b)) => return Some(decode(&b).expect("server sends valid messages")),
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }

    pub async fn send(ws: &mut Ws, msg: &ClientMsg) {
        ws.send(Message::Binary(encode(msg).into())).await.expect("send");
    }

    /// Say hello as a fresh device and skip to the end of the catch-up.
    pub async fn hello(ws: &mut Ws) {
        send(ws, &ClientMsg::Hello { protocol: PROTOCOL_VERSION, cursor: 0, epoch: None, read_models: None }).await;
        loop {
            match next(ws).await {
                Some(ServerMsg::CaughtUp { .. }) => return,
                Some(_) => continue,
                None => panic!("the connection ended during hello"),
            }
        }
    }

    /// Push one change; the verdict per change: (`accepted`, hash) or (refusal code, reason).
    pub async fn push_one(ws: &mut Ws, doc: &str, bytes: Vec<u8>) -> Vec<(String, String)> {
        let (accepted, refused) = push(ws, vec![DocBytes { doc: doc.to_string(), bytes }]).await;
        accepted
            .into_iter()
            .map(|a| ("accepted".to_string(), a.hash))
            .chain(refused.into_iter().map(|r| (r.code, r.reason)))
            .collect()
    }

    /// Push `changes` as one push; the server's ack.
    pub async fn push(ws: &mut Ws, changes: Vec<DocBytes>) -> (Vec<Accepted>, Vec<Refused>) {
        send(ws, &ClientMsg::Push { batch: 1, changes, ahead: false }).await;
        loop {
            // A heavy push may take a while to be acknowledged.
            match next_within(ws, Duration::from_secs(120)).await {
                Some(ServerMsg::Error { .. }) => continue,
                Some(ServerMsg::Ack { accepted, refused, .. }) => return (accepted, refused),
                // Live traffic (e.g. records the admin just added) may come first.
                Some(_) => continue,
                None => panic!("the connection ended before the ack"),
            }
        }
    }

    /// The next message that is not an error, with the error codes seen before it.
    pub async fn next_answer(ws: &mut Ws) -> (Option<ServerMsg>, Vec<String>) {
        let mut errors = Vec::new();
        loop {
            match next(ws).await {
                Some(ServerMsg::Error { code, .. }) => errors.push(code),
                other => return (other, errors),
            }
        }
    }
}
