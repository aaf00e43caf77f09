//! Field CRM sync server: login over HTTP, sync over a WebSocket, one SQLite file.
//!
//! `router` builds the axum app; `serve` runs it until shutdown. The protocol is in
//! `docs/protocol.md` and its types in `crm_core::sync::protocol`.

pub mod access;
pub mod admin;
pub mod audit;
pub mod auth;
pub mod blobs;
pub mod db;
pub mod gate;
pub mod limits;
pub mod listener;
pub mod live;
pub mod login;
pub mod mail;
pub mod migrate;
pub mod outbox;
mod pg_tls;
pub mod reports;
mod session;
pub mod sms;
pub mod sql;

use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{ConnectInfo, Query, State, WebSocketUpgrade};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use crm_core::sync::protocol::{LoginRequest, MAX_FRAME_BYTES};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::db::{AuthError, DbError, ServerDb};

/// Shared by every request and connection.
pub struct AppState {
    /// The writer. Held only inside blocking tasks, for one short transaction.
    pub db: Mutex<ServerDb>,
    /// The database: a SQLite file or a PostgreSQL URL.
    pub location: sql::Location,
    /// What files, the reports' replica and backups are kept beside: the SQLite file, or on
    /// PostgreSQL a name in the data directory the instance was given.
    pub path: PathBuf,
    /// Where the WebSocket connections read from.
    pub readers: Arc<sql::Readers>,
    /// The newest log sequence; connections wake on changes to send what is new.
    pub latest: watch::Sender<u64>,
    /// The newest changes this instance wrote, for sending them on without reading the
    /// database (`crate::live`).
    pub live: live::Tail,
    /// This database's epoch: new after a restore, so devices know their cursor is stale.
    /// Every connection ends when it changes (`server_restored`).
    pub epoch: watch::Sender<String>,
    /// Moves whenever an account or device changes (revoked, disabled, role, team): every
    /// connection checks its device again, so the change reaches it within a second.
    pub auth: watch::Sender<u64>,
    pub logins: login::LoginGuard,
    /// Where files (photos, receipts) are kept: beside the database by default.
    pub blobs: Arc<dyn blobs::BlobStore>,
    /// The SMS provider the deployment plugged in ([`AppState::set_sms_provider`]); none is
    /// built in.
    sms: std::sync::RwLock<Option<Arc<dyn sms::SmsProvider>>>,
    /// The read-model replica reports are computed on (`crate::reports`).
    pub reports: reports::Replica,
}

impl AppState {
    /// A server on the SQLite file at `path`.
    pub fn open(path: PathBuf) -> Result<Arc<AppState>, DbError> {
        AppState::open_at(sql::Location::Sqlite(path.clone()), path)
    }

    /// A server on the database at `location`, keeping files and the reports' replica beside
    /// `path` (for SQLite, the file itself).
    pub fn open_at(location: sql::Location, path: PathBuf) -> Result<Arc<AppState>, DbError> {
        let mut db = ServerDb::open(&location)?;
        // Accounts changed while the server was down.
        db.reconcile_user_records()?;
        let (auth_version, seq) = crate::db::versions(db.connection())?;
        let (latest, _) = watch::channel(seq);
        let (auth, _) = watch::channel(auth_version);
        let (epoch, _) = watch::channel(db.epoch()?);
        let blobs = Arc::new(crm_core::attachment::BlobDir::beside(&path));
        Ok(Arc::new(AppState {
            db: Mutex::new(db),
            readers: Arc::new(sql::Readers::new(location.clone())),
            location,
            path,
            latest,
            live: live::Tail::default(),
            epoch,
            auth,
            logins: login::LoginGuard::new(),
            blobs,
            sms: std::sync::RwLock::new(None),
            reports: reports::Replica::default(),
        }))
    }

    /// Restore a backup into the running server: the database's contents are replaced in one
    /// step, the writer reopened on them (an older backup is brought up to date), and every
    /// connection ended so that devices come back under the new epoch.
    pub async fn restore(
        self: &Arc<Self>,
        from: PathBuf,
        by: crate::audit::Actor,
        detail: serde_json::Value,
    ) -> Result<String, DbError> {
        if self.location.engine() == sql::Engine::Postgres {
            return Err(crate::db::on_postgres("restore"));
        }
        let (path, location) = (self.path.clone(), self.location.clone());
        let state = Arc::clone(self);
        let (epoch, auth, seq) = self
            .with_db(move |db| {
                // The live tail describes the log being replaced: forgotten before any push
                // can follow the restore.
                state.live.clear();
                crate::db::restore_files(&path, &from)?;
                let epoch = db.restore_from(&from, &by, detail)?;
                let mut fresh = ServerDb::open(&location)?;
                fresh.reconcile_user_records()?;
                let (auth, seq) = crate::db::versions(fresh.connection())?;
                *db = fresh;
                Ok((epoch, auth, seq))
            })
            .await?;
        self.latest.send_replace(seq);
        self.auth.send_replace(auth);
        self.epoch.send_replace(epoch.clone());
        Ok(epoch)
    }

    /// Send text messages through `provider` from now on (`crate::sms`).
    pub fn set_sms_provider(&self, provider: Arc<dyn sms::SmsProvider>) {
        *self.sms.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(provider);
    }

    /// The SMS provider plugged in, if any.
    pub fn sms_provider(&self) -> Option<Arc<dyn sms::SmsProvider>> {
        self.sms.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// Store a device's push: decoded in order on one thread and its new records prepared
    /// on [`PREPARING_LANES`] ([`db::plan_push`], [`db::prepare`]) while the writer stores
    /// what is ready, so the cores share a push. Its log entries go to the live tail while the
    /// writer is still held, so tails are published in commit order, and then every
    /// connection is woken.
    pub async fn push(
        self: &Arc<Self>,
        who: access::Principal,
        changes: Vec<crm_core::sync::protocol::DocBytes>,
    ) -> Result<(Vec<crm_core::sync::protocol::Accepted>, Vec<crm_core::sync::protocol::Refused>), DbError> {
        if changes.len() <= PREPARED_INLINE {
            // An edit or two (a live edit): the writer prepares them itself; other threads
            // would cost more in hand-overs than they save.
            return self.store_push(who.clone(), db::prepare_push(changes, who).map(Ok)).await;
        }
        // The change at place i of the push is prepared on lane i % lanes and taken from
        // there, so the writer gets them in order. Lane 0 is the deciding thread itself.
        let lanes = *PREPARING_LANES;
        let ahead = PREPARED_AHEAD.div_ceil(lanes);
        let (mut outs, receivers): (Vec<_>, Vec<_>) =
            (0..lanes).map(|_| std::sync::mpsc::sync_channel::<db::Pushed>(ahead)).unzip();
        let incoming = Incoming { receivers, next: 0, left: changes.len() };
        let mut helpers = Vec::new();
        let mut to_helpers = Vec::new();
        for out in outs.drain(1..) {
            let (send, take) = std::sync::mpsc::sync_channel::<db::Planned>(ahead);
            to_helpers.push(send);
            // Ends when the deciding thread stops, or the writer stopped taking.
            helpers.push(tokio::task::spawn_blocking(move || {
                for planned in take {
                    if out.send(db::prepare(planned)).is_err() {
                        break;
                    }
                }
            }));
        }
        let own = outs.pop().expect("lane 0");
        let preparing = who.clone();
        helpers.push(tokio::task::spawn_blocking(move || {
            for (i, planned) in db::plan_push(changes, preparing).enumerate() {
                let sent = match i % lanes {
                    0 => own.send(db::prepare(planned)).is_ok(),
                    lane => to_helpers[lane - 1].send(planned).is_ok(),
                };
                if !sent {
                    break;
                }
            }
        }));
        let stored = self.store_push(who, incoming).await;
        for helper in helpers {
            if let Err(e) = helper.await {
                eprintln!("preparing a push failed: {e}");
            }
        }
        stored
    }

    /// The writer stores a push's `pushed` changes, the live tail gets them and every
    /// connection is woken to send them.
    async fn store_push(
        self: &Arc<Self>,
        who: access::Principal,
        pushed: impl Iterator<Item = Result<db::Pushed, DbError>> + Send + 'static,
    ) -> Result<(Vec<crm_core::sync::protocol::Accepted>, Vec<crm_core::sync::protocol::Refused>), DbError> {
        let state = Arc::clone(self);
        let (accepted, refused) = self
            .with_db(move |db| {
                let db::Ingested { accepted, refused, live } = db.ingest(&who, pushed)?;
                state.live.publish(live);
                Ok((accepted, refused))
            })
            .await?;
        self.announce(&accepted);
        Ok((accepted, refused))
    }

    /// Wake every connection to send what was just stored.
    pub fn announce(&self, accepted: &[crm_core::sync::protocol::Accepted]) {
        if let Some(top) = accepted.iter().map(|a| a.seq).max() {
            self.advance(top);
        }
    }

    /// The log now reaches `top`: wake the connections if that is news.
    fn advance(&self, top: u64) {
        self.latest.send_if_modified(|seq| {
            let newer = top > *seq;
            *seq = (*seq).max(top);
            newer
        });
    }

    /// Run `f` on the writer in a blocking task.
    pub async fn with_db<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut ServerDb) -> Result<T, DbError> + Send + 'static,
    ) -> Result<T, DbError> {
        let state = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let mut db = state.db.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&mut db)
        })
        .await
        .map_err(|e| DbError::Invalid(format!("worker failed: {e}")))?
    }
}

/// A push of at most this many changes is prepared by the writer, not beside it.
const PREPARED_INLINE: usize = 4;

/// How many prepared changes of a push may wait for the writer, split between the lanes (and
/// as many decoded ones for the helpers to prepare): enough that no thread waits on another
/// for long, few enough that a push's prepared documents take little memory.
const PREPARED_AHEAD: usize = 64;

/// Threads preparing a push's new records (the costliest part of storing them): one per core,
/// at most four (the writer, one thread, keeps up with about that many).
static PREPARING_LANES: std::sync::LazyLock<usize> =
    std::sync::LazyLock::new(|| std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4));

/// A push's prepared changes as the preparing threads send them, taken in order. Should one
/// stop before the last (it panicked), the writer is handed an error in place of the rest,
/// and the push stores nothing rather than part of itself.
struct Incoming {
    receivers: Vec<std::sync::mpsc::Receiver<db::Pushed>>,
    next: usize,
    left: usize,
}

impl Iterator for Incoming {
    type Item = Result<db::Pushed, DbError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.left = self.left.checked_sub(1)?;
        let lane = &self.receivers[self.next % self.receivers.len()];
        self.next += 1;
        Some(lane.recv().map_err(|_| DbError::Invalid("preparing the push failed".into())))
    }
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/api/health", get(|| async { Json(json!({"ok": true})) }))
        .route("/api/login", post(login))
        .route("/sync", get(sync))
        .merge(admin::routes())
        .merge(blobs::routes())
        .with_state(state)
}

/// Serve on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, shutdown, listener::Limits::default()).await
}

/// [`serve`], with connection limits other than the defaults.
pub async fn serve_with(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: listener::Limits,
) -> std::io::Result<()> {
    serve_on(listener::GuardedListener::new(listener, limits), state, shutdown).await
}

/// [`serve_with`] over TLS (https, wss) with `tls` (see [`listener::tls_config`]).
pub async fn serve_tls(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: listener::Limits,
    tls: Arc<rustls::ServerConfig>,
) -> std::io::Result<()> {
    serve_on(listener::GuardedListener::with_tls(listener, limits, tls), state, shutdown).await
}

async fn serve_on(
    listener: listener::GuardedListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let poller = tokio::spawn(watch_database(Arc::clone(&state)));
    let mailer = tokio::spawn(outbox::run(Arc::clone(&state)));
    let app = router(state).into_make_service_with_connect_info::<listener::Peer>();
    let served = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    poller.abort();
    mailer.abort();
    served
}

/// How often the database is checked for what other processes wrote.
const POLL: Duration = Duration::from_millis(250);
/// Records whose read-model rows are prepared per poll, when some have none (after an upgrade).
const PREPARE_BATCH: usize = 200;
/// How often neglected customers are looked for (and once at start).
const RECYCLE_EVERY: Duration = Duration::from_secs(600);

/// The admin commands are other processes writing the same database: notice what they
/// changed (accounts, devices, log entries) and wake the connections it concerns.
async fn watch_database(state: Arc<AppState>) {
    let conn = match crate::db::open_connection(&state.location) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sync-server: cannot watch the database for admin changes: {e}");
            return;
        }
    };
    // On PostgreSQL other instances say when they wrote (NOTIFY); the poll stays, so a lost
    // notification only delays.
    let wake = Arc::new(tokio::sync::Notify::new());
    let _listening = match &state.location {
        sql::Location::Postgres(url) => Some(sql::listen(url.clone(), Arc::clone(&wake))),
        sql::Location::Sqlite(_) => None,
    };
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_recycle: Option<tokio::time::Instant> = None;
    let mut preparing = true;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = wake.notified() => {}
        }
        if last_recycle.is_none_or(|at| at.elapsed() >= RECYCLE_EVERY) {
            last_recycle = Some(tokio::time::Instant::now());
            // Customers neglected past their grade's rule go back to the pool.
            match state.with_db(|db| db.recycle(crm_core::value::now_ms())).await {
                Ok(recycled) if !recycled.is_empty() => {
                    eprintln!("sync-server: returned {} neglected customers to the pool", recycled.len());
                }
                Ok(_) => {}
                Err(e) => eprintln!("sync-server: cannot recycle neglected customers: {e}"),
            }
            // Files no record has named for a week go.
            let files = Arc::clone(&state.blobs);
            let forgotten = state
                .with_db(move |db| blobs::forget_unreferenced(db, files.as_ref(), crm_core::value::now_ms()))
                .await;
            if let Err(e) = forgotten {
                eprintln!("sync-server: cannot delete files no record names: {e}");
            }
        }
        // Read-model rows of records written by another version, a batch per tick until none
        // is left (every write since prepares its own).
        if preparing {
            match state.with_db(|db| db.prepare_missing(PREPARE_BATCH)).await {
                Ok(done) => preparing = done == PREPARE_BATCH,
                Err(e) => eprintln!("sync-server: cannot prepare read-model rows: {e}"),
            }
        }
        // A point read of two values: cheap enough to do inline.
        let Ok((auth, seq)) = crate::db::versions(&conn) else { continue };
        if state.auth.send_if_modified(|v| std::mem::replace(v, auth) != auth) {
            // Accounts changed: the user records devices see follow.
            match state.with_db(|db| db.reconcile_user_records()).await {
                Ok(top) => state.advance(top),
                Err(e) => eprintln!("sync-server: cannot update user records after an account change: {e}"),
            }
        }
        state.advance(seq);
    }
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({"code": code, "message": message}))).into_response()
}

async fn login(
    State(state): State<Arc<AppState>>,
    ConnectInfo(listener::Peer(peer)): ConnectInfo<listener::Peer>,
    Json(req): Json<LoginRequest>,
) -> Response {
    if req.username.chars().count() > 64 || req.password.len() > 1024 {
        return error(StatusCode::BAD_REQUEST, "invalid", "the username or password is too long");
    }
    if let Err(login::Throttled(wait)) = state.logins.begin(&req.username, peer.ip()) {
        let secs = wait.as_secs().max(1);
        let message = format!("too many sign-in attempts; try again in {} minutes", secs.div_ceil(60));
        let body = json!({"code": "too_many_attempts", "message": message, "retry_after_secs": secs});
        return (StatusCode::TOO_MANY_REQUESTS, [(axum::http::header::RETRY_AFTER, secs.to_string())], Json(body))
            .into_response();
    }
    let username = req.username.clone();
    let account = match state.with_db(move |db| db.login_account(&username)).await {
        Ok(account) => account,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", &e.to_string()),
    };
    // The password is checked off the writer lock: a flood of sign-ins never holds up sync.
    let hash = account.as_ref().map(|a| a.password_hash.clone());
    let verified = state.logins.verify(req.password.clone(), hash).await;
    let address = peer.ip().to_string();
    let account = match account {
        Some(account) if verified && !account.disabled => account,
        _ => {
            let (username, why) = (req.username.clone(), if verified { "disabled" } else { "wrong_password" });
            let actor = audit::Actor {
                id: account.as_ref().map(|a| a.user_id.clone()).unwrap_or_default(),
                address: Some(address),
                device: None,
            };
            let logged = state
                .with_db(move |db| {
                    audit::record(db.connection(), &actor, "login_failed", Some(&username), json!({"why": why}))
                })
                .await;
            if let Err(e) = logged {
                eprintln!("sync-server: cannot write the audit log: {e}");
            }
            return error(
                StatusCode::UNAUTHORIZED,
                "login_failed",
                "wrong username or password, or the account is disabled",
            );
        }
    };
    state.logins.succeeded(&req.username, peer.ip());
    match state
        .with_db(move |db| {
            let resp = db.register_device(&account, &req)?;
            let actor = audit::Actor {
                id: account.user_id.clone(),
                address: Some(address),
                device: Some(resp.device_id.clone()),
            };
            audit::record(db.connection(), &actor, "login", Some(&resp.device_id), json!({"device": req.device_name}))?;
            Ok(resp)
        })
        .await
    {
        Ok(resp) => Json(resp).into_response(),
        Err(DbError::Invalid(m)) => error(StatusCode::BAD_REQUEST, "invalid", &m),
        Err(DbError::Refused(code, m)) => error(StatusCode::BAD_REQUEST, code, &m),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", &e.to_string()),
    }
}

#[derive(serde::Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

/// Bytes of frames a connection holds before writing them (see [`sync`]).
const WRITE_HELD: usize = 64 * 1024;

/// The WebSocket upgrade. The token is checked first: a missing, wrong or expired token gets
/// 401, a revoked device or disabled account 403, each with a JSON `code`.
async fn sync(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(query): Query<TokenQuery>,
    ws: WebSocketUpgrade,
) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string)
        .or(query.token);
    let who = match state.with_db(move |db| db.authenticate(token.as_deref())).await {
        Ok(Ok(who)) => who,
        Ok(Err(e)) => {
            let status = match e {
                AuthError::Revoked | AuthError::Disabled => StatusCode::FORBIDDEN,
                _ => StatusCode::UNAUTHORIZED,
            };
            return error(status, e.code(), e.message());
        }
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", &e.to_string()),
    };
    // Small buffers that grow with a big frame and shrink back: most connections are idle
    // devices (the defaults hold 128 KiB each for reading and writing per connection). Frames
    // wait until the session writes one now (`session::Conn::queue_out`) or they pass
    // WRITE_HELD bytes; the write buffer is as big as the biggest frame either way.
    ws.max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .read_buffer_size(16 * 1024)
        .write_buffer_size(WRITE_HELD)
        .on_upgrade(move |socket| session::run(socket, state, who))
}
