//! The sync client engine: used by the app and by `crm sync`. It connects with the device
//! token, bootstraps or catches up from the stored cursor, pushes the outbox, applies live
//! changes, keeps refused edits visible, and reconnects with exponential backoff and jitter.
//! Everything it needs to resume (cursor, outbox, token) is in the store, so a restart loses
//! nothing.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use tokio::sync::{watch, Notify};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use crate::store::{IncomingChange, Store};
use crate::sync::local::{Account, Adopted};
use crate::sync::protocol::{
    decode, encode, ClientMsg, DocBytes, LoginRequest, LoginResponse, Refused, ServerMsg, BATCH_BYTES, MAX_FRAME_BYTES,
    PROTOCOL_VERSION,
};
use crate::value::{format_datetime, now_ms};

/// Changes per push: as many as a server takes in one (`MAX_PUSH_CHANGES`). Between two
/// pushes the server's cores wait on each other (the ack, the live round, the next push's
/// first records); with 500 that cost a tenth of an upload. A push holds the server's writer
/// for its length (about 0.1 s at 2,000 new records), which others' edits wait behind.
const PUSH_BATCH: usize = crate::sync::protocol::MAX_PUSH_CHANGES;
/// Pushes sent ahead of their acks: the device reads and sends the next while the server
/// stores one, and settles an ack while the server stores the next (docs/protocol.md, *Push*).
const PUSHES_AHEAD: usize = 2;
const PING_EVERY: Duration = Duration::from_secs(20);
const SILENCE_LIMIT: Duration = Duration::from_secs(60);
const BACKOFF_FIRST: Duration = Duration::from_millis(300);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// Sync-protocol round trips allowed per record under repair.
const MAX_REPAIR_ROUNDS: u32 = 20;
/// Records set aside as unreadable (`Store::unreadable_docs`) repaired per session, well within
/// the server's 256 repairs per connection; the rest wait for the next session.
const MAX_UNREADABLE_REPAIRS: usize = 64;

/// The records a session repairs with Automerge's sync protocol (docs/protocol.md, *Repair*).
#[derive(Default)]
struct Repairs {
    /// Under repair: each record's sync state and the rounds left.
    open: std::collections::HashMap<String, (automerge::sync::State, u32)>,
    /// Repaired in this session (at most once each).
    done: std::collections::HashSet<String>,
    /// The record of each `repair` sent and not answered yet, oldest first. The server
    /// answers them in order, each with a `repair` or, for one it could not use
    /// (`bad_repair`) or took no more of (`too_many_repairs`), with only an error, which
    /// names no record: it is the oldest unanswered.
    asked: std::collections::VecDeque<String>,
}

impl Repairs {
    fn is_empty(&self) -> bool {
        self.open.is_empty()
    }

    /// Start repairing `doc`: the first message, unless it is under repair already or was
    /// repaired in this session.
    fn open(&mut self, store: &mut Store, doc: String) -> Result<Option<ClientMsg>, SyncError> {
        if self.open.contains_key(&doc) || self.done.contains(&doc) {
            return Ok(None);
        }
        let mut sync_state = automerge::sync::State::new();
        let Some(message) = store.repair_message(&doc, &mut sync_state)? else { return Ok(None) };
        self.open.insert(doc.clone(), (sync_state, MAX_REPAIR_ROUNDS));
        self.asked.push_back(doc.clone());
        Ok(Some(ClientMsg::Repair { doc, message }))
    }

    /// The server's answer to the oldest `repair` came: the next message for `doc`, if the
    /// repair goes on (`None`: it is over).
    fn answered(
        &mut self,
        store: &mut Store,
        doc: &str,
        message: Option<Vec<u8>>,
    ) -> Result<Option<ClientMsg>, SyncError> {
        if let Some(at) = self.asked.iter().position(|d| d == doc) {
            self.asked.remove(at);
        }
        let next = match (self.open.get_mut(doc), message) {
            (Some((sync_state, rounds)), Some(message)) if *rounds > 0 => {
                *rounds -= 1;
                store.from_server(|s| s.receive_repair(doc, sync_state, &message))?;
                store.repair_message(doc, sync_state)?
            }
            _ => None,
        };
        match next {
            Some(message) => {
                self.asked.push_back(doc.to_string());
                Ok(Some(ClientMsg::Repair { doc: doc.to_string(), message }))
            }
            None => {
                self.close(doc);
                store.heal(doc)?;
                Ok(None)
            }
        }
    }

    /// The server answered the oldest `repair` with an error alone: that repair is over.
    fn refused(&mut self) {
        if let Some(doc) = self.asked.pop_front() {
            self.close(&doc);
        }
    }

    fn close(&mut self, doc: &str) {
        self.open.remove(doc);
        self.done.insert(doc.to_string());
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("not signed in to a server on this device; run `crm login URL USER`")]
    NotSignedIn,
    #[error("the server refused the sign-in: {message}")]
    LoginRefused {
        /// The server's code: `login_failed`, `too_many_attempts`, `invalid`.
        reason: String,
        message: String,
        /// For `too_many_attempts`: when another attempt may succeed.
        retry_after_secs: Option<u64>,
    },
    #[error("the server cannot be reached: {0}")]
    Unreachable(String),
    #[error("this store is {owner}'s on {server}; sign in to another account with a store of its own (another data directory, or the app's switch user)")]
    OtherAccount { owner: String, server: String },
    #[error("the server refused the connection ({code}): {message}")]
    Refused { status: u16, code: String, message: String },
    #[error("this device was revoked; its local data has been removed")]
    Revoked,
    #[error("the server ended the session ({code}): {message}")]
    Server { code: String, message: String },
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The server's address or certificate cannot carry a token safely.
    #[error("{0}")]
    Insecure(String),
    #[error(transparent)]
    Store(#[from] crate::error::Error),
}

impl From<std::io::Error> for SyncError {
    fn from(e: std::io::Error) -> Self {
        SyncError::Store(crate::error::Error::Io(e))
    }
}

impl SyncError {
    /// A stable code for the UI to translate (the `Display` text is English, for logs).
    pub fn code(&self) -> &str {
        match self {
            SyncError::NotSignedIn => "not_signed_in",
            SyncError::LoginRefused { .. } => "sign_in_refused",
            SyncError::Unreachable(_) => "server_unreachable",
            SyncError::OtherAccount { .. } => "store_of_another_account",
            SyncError::Refused { code, .. } | SyncError::Server { code, .. } => code,
            SyncError::Revoked => "device_revoked",
            SyncError::Protocol(_) => "protocol_error",
            SyncError::Insecure(_) => "insecure_server",
            SyncError::Store(e) => e.code(),
        }
    }

    /// Errors that another attempt later may fix.
    pub fn is_transient(&self) -> bool {
        matches!(self, SyncError::Unreachable(_) | SyncError::Protocol(_))
            || matches!(self, SyncError::Server { code, .. } if code == "server_error" || code == "server_restored")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    Offline,
    Connecting,
    Syncing,
    UpToDate,
    Error,
}

/// What the UI shows: state, edits waiting to be sent, refused edits, last good sync.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SyncStatus {
    pub state: SyncState,
    pub detail: Option<String>,
    /// `detail` as a stable code for the UI to translate (see [`SyncError::code`]).
    pub detail_code: Option<String>,
    /// Local changes not yet acknowledged.
    pub pending: i64,
    /// Changes received in this session (for "syncing n of m").
    pub received: u64,
    pub rejected: i64,
    pub last_sync: Option<String>,
}

impl Default for SyncStatus {
    /// Offline, nothing waiting, never synced.
    fn default() -> Self {
        SyncStatus {
            state: SyncState::Offline,
            detail: None,
            detail_code: None,
            pending: 0,
            received: 0,
            rejected: 0,
            last_sync: None,
        }
    }
}

/// An HTTP client for the server's plain endpoints: every status is an answer to read (the
/// body says why), `timeout` bounds the whole exchange; https is verified against the system's
/// roots and the pinned CA `ca` (`super::tls`).
pub(crate) fn http_agent(timeout: Option<Duration>, ca: Option<&str>) -> Result<ureq::Agent, SyncError> {
    let tls = super::tls::client_tls(ca)?;
    Ok(ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(timeout)
        .tls_config(tls.ureq)
        .build()
        .into())
}

/// A failed exchange: the server's certificate not trusted says so (`insecure_server`), anything
/// else is the server being out of reach.
pub(crate) fn unreachable(e: ureq::Error) -> SyncError {
    match e {
        ureq::Error::Rustls(why) => SyncError::Insecure(format!(
            "the server's certificate is not trusted ({why}): if the company uses its own CA, pin it \
             (crm login --ca FILE, or the app's CA file)"
        )),
        other => SyncError::Unreachable(other.to_string()),
    }
}

/// Pin the CA the server's certificate is issued by (PEM, as the admin hands it out), on top of
/// the system's roots; `None` forgets it. Checked before it is kept.
pub fn set_server_ca(store: &mut Store, pem: Option<&str>) -> Result<(), SyncError> {
    match pem {
        Some(pem) => {
            super::tls::parse_ca(pem)?;
            store.set_meta("sync_ca", pem)?;
        }
        None => store.delete_meta("sync_ca")?,
    }
    Ok(())
}

/// Sign in: register this device (and a fresh actor id) with the server and make its user
/// the current one. The token is kept in the store for `SyncEngine`.
pub fn login(
    store: &mut Store,
    base_url: &str,
    username: &str,
    password: &str,
    device_name: &str,
) -> Result<SignedIn, SyncError> {
    let base = base_url.trim_end_matches('/');
    super::tls::check_url(base)?;
    // A store that signed in before is that account's: its unsent edits must never go out
    // under another one.
    if let Some(server) = store.meta("sync_url")? {
        let owner = store.meta("username")?;
        if server.trim_end_matches('/') != base || owner.as_deref().is_some_and(|o| o != username) {
            let owner = owner.unwrap_or_else(|| store.identity().display_name.clone());
            return Err(SyncError::OtherAccount { owner, server });
        }
    }
    let actor = crate::store::hex(uuid::Uuid::new_v4().as_bytes());
    let body = serde_json::to_string(&LoginRequest {
        username: username.into(),
        password: password.into(),
        device_name: device_name.into(),
        actor: actor.clone(),
        resume_device: store.meta("device_id")?,
        previous_actors: match store.meta("sync_url")? {
            Some(_) => store.own_actors()?,
            None => Vec::new(),
        },
    })
    .map_err(|e| SyncError::Protocol(e.to_string()))?;
    let mut resp = http_agent(None, store.meta("sync_ca")?.as_deref())?
        .post(&format!("{base}/api/login"))
        .header("content-type", "application/json")
        .send(body)
        .map_err(unreachable)?;
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().map_err(|e| SyncError::Unreachable(e.to_string()))?;
    if status != 200 {
        let body = serde_json::from_str::<serde_json::Value>(&text).unwrap_or_default();
        let reason = body["code"].as_str().unwrap_or("login_failed").to_string();
        let message = body["message"].as_str().map_or(text.clone(), str::to_string);
        return Err(SyncError::LoginRefused { reason, message, retry_after_secs: body["retry_after_secs"].as_u64() });
    }
    let login: LoginResponse = serde_json::from_str(&text).map_err(|e| SyncError::Protocol(e.to_string()))?;
    let account = Account {
        user_id: &login.user_id,
        username,
        display_name: &login.display_name,
        role: &login.role,
        code_prefix: &login.code_prefix,
    };
    let adopted = store.become_account(&account, &actor, (base, &login.token, &login.device_id))?;
    Ok(SignedIn { login, adopted })
}

/// A successful sign-in: the server's answer, and what happened to the records a local
/// profile made before it.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub login: LoginResponse,
    pub adopted: Adopted,
}

/// Runs sync for one store. Cheap to clone.
#[derive(Clone)]
pub struct SyncEngine {
    store: Arc<Mutex<Store>>,
    status: Arc<watch::Sender<SyncStatus>>,
    local_change: Arc<Notify>,
    /// Bumped whenever records changed because of the server (for views to refresh).
    remote_change: Arc<watch::Sender<u64>>,
    /// Woken when the device is caught up and its edits acknowledged: files may move.
    files_wake: Arc<Notify>,
}

enum Mode {
    /// Catch up, push everything, then close.
    Once,
    /// Stay connected: live changes both ways.
    Live,
}

impl SyncEngine {
    pub fn new(store: Arc<Mutex<Store>>) -> SyncEngine {
        let last_sync = store.lock().unwrap_or_else(|p| p.into_inner()).meta("last_sync").ok().flatten();
        let status = SyncStatus { last_sync, ..SyncStatus::default() };
        let (tx, _) = watch::channel(status);
        SyncEngine {
            store,
            status: Arc::new(tx),
            local_change: Arc::new(Notify::new()),
            remote_change: Arc::new(watch::channel(0).0),
            files_wake: Arc::new(Notify::new()),
        }
    }

    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn status(&self) -> watch::Receiver<SyncStatus> {
        self.status.subscribe()
    }

    /// A counter that moves whenever the server changed records on this device (merged
    /// edits from elsewhere, transfers, refused edits rolled back). Views refresh on it.
    pub fn remote_changes(&self) -> watch::Receiver<u64> {
        self.remote_change.subscribe()
    }

    fn records_changed(&self) {
        self.remote_change.send_modify(|n| *n += 1);
    }

    /// Tell the engine there are new local edits, so they are pushed right away.
    pub fn local_change(&self) {
        self.local_change.notify_one();
    }

    fn set_state(&self, state: SyncState, detail: Option<&SyncError>) {
        let synced = (state == SyncState::UpToDate).then(|| format_datetime(now_ms()));
        let (pending, rejected) = {
            let mut store = self.store();
            if let Some(at) = &synced {
                // Kept, so that after a restart the app says when it last synced (not worth
                // waiting for the disk on every live round).
                let _ = store.from_server(|s| s.set_setting("last_sync", at));
            }
            (store.outbox_len().unwrap_or(0), store.rejected_len().unwrap_or(0))
        };
        self.status.send_modify(|s| {
            s.state = state;
            s.detail = detail.map(|e| e.to_string());
            s.detail_code = detail.map(|e| e.code().to_string());
            s.pending = pending;
            s.rejected = rejected;
            if synced.is_some() {
                s.last_sync = synced;
            }
        });
    }

    /// Connect, catch up, push every pending edit, close; then move the files.
    pub async fn sync_once(&self) -> Result<SyncStatus, SyncError> {
        let result = self.session(Mode::Once).await;
        self.after(result.as_ref().err());
        result?;
        self.transfer_files().await?;
        Ok(self.status.borrow().clone())
    }

    /// One pass of file transfers (`super::files::transfer`): uploads, thumbnails, clean-up.
    pub async fn transfer_files(&self) -> Result<super::files::FilesReport, SyncError> {
        let Some((base, token)) = self.store().sync_endpoint()? else { return Err(SyncError::NotSignedIn) };
        // Most passes have nothing to move: answered here, without a blocking task holding the
        // store (a store must be closed as soon as its engine is dropped).
        let idle = {
            let mut store = self.store();
            if store.files_to_upload(1)?.is_empty() && store.thumbnails_wanted(1)?.is_empty() {
                Some(store.forget_unreferenced_files()?)
            } else {
                None
            }
        };
        if let Some(forgotten) = idle {
            if forgotten > 0 {
                self.records_changed();
            }
            return Ok(super::files::FilesReport { forgotten, ..Default::default() });
        }
        let store = Arc::clone(&self.store);
        let report = tokio::task::spawn_blocking(move || super::files::transfer(&store, &base, &token))
            .await
            .map_err(|e| SyncError::Protocol(format!("file transfer failed: {e}")))??;
        if report.fetched > 0 || report.forgotten > 0 {
            self.records_changed();
        }
        Ok(report)
    }

    /// Fetch the full file `hash` from the server (for someone opening it), naming `record`,
    /// which references it.
    pub async fn fetch_file(&self, hash: &str, record: &str) -> Result<(), SyncError> {
        let (store, hash, record) = (Arc::clone(&self.store), hash.to_string(), record.to_string());
        tokio::task::spawn_blocking(move || super::files::fetch(&store, &hash, &record))
            .await
            .map_err(|e| SyncError::Protocol(format!("file transfer failed: {e}")))?
    }

    /// Move files whenever the device is caught up, and every minute, for as long as it is
    /// polled: it is part of [`SyncEngine::run`]'s future, never a task of its own, so nothing
    /// keeps the store open after `run` ends or is dropped.
    async fn files_loop(&self) -> std::convert::Infallible {
        loop {
            tokio::select! {
                _ = self.files_wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(60)) => {}
            }
            // Failures wait for the next wake: the records' sync reports the connection.
            let _ = self.transfer_files().await;
        }
    }

    /// Stay in sync until `shutdown` becomes true, reconnecting with exponential backoff
    /// and jitter after transient failures. Returns on a permanent failure (signed out,
    /// revoked, refused).
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) -> Result<(), SyncError> {
        tokio::select! {
            result = self.run_records(&mut shutdown) => result,
            never = self.files_loop() => match never {},
        }
    }

    async fn run_records(&self, shutdown: &mut watch::Receiver<bool>) -> Result<(), SyncError> {
        let mut delay = BACKOFF_FIRST;
        loop {
            if *shutdown.borrow() {
                return Ok(());
            }
            let started = tokio::time::Instant::now();
            let result = tokio::select! {
                r = self.session(Mode::Live) => r,
                _ = shutdown.changed() => Ok(()),
            };
            self.after(result.as_ref().err());
            match result {
                Ok(()) if *shutdown.borrow() => return Ok(()),
                Ok(()) => {}
                Err(e) if !e.is_transient() => return Err(e),
                Err(_) => {}
            }
            if started.elapsed() > Duration::from_secs(30) {
                delay = BACKOFF_FIRST;
            }
            let jittered = delay.mul_f64(0.5 + (uuid::Uuid::new_v4().as_bytes()[0] as f64 / 255.0));
            tokio::select! {
                _ = tokio::time::sleep(jittered) => {}
                _ = shutdown.changed() => return Ok(()),
            }
            delay = (delay * 2).min(BACKOFF_MAX);
        }
    }

    fn after(&self, error: Option<&SyncError>) {
        match error {
            None => {
                if self.status.borrow().state != SyncState::UpToDate {
                    self.set_state(SyncState::Offline, None);
                }
            }
            Some(e) if e.is_transient() => self.set_state(SyncState::Offline, Some(e)),
            Some(e) => self.set_state(SyncState::Error, Some(e)),
        }
    }

    /// An administrator revoked this device: its local data goes, and so does the token.
    fn revoked(&self) -> Result<SyncError, SyncError> {
        let mut store = self.store();
        store.wipe()?;
        store.set_sync_endpoint(None)?;
        drop(store);
        self.records_changed();
        Ok(SyncError::Revoked)
    }

    /// Hand the server's audit log what happened here while it could not hear (imports and
    /// their reverts). A failure leaves them for the next connection; sync goes on regardless.
    async fn send_audit_events(&self, base: &str, token: &str) {
        let Ok(pending) = self.store().audit_pending(100) else { return };
        if pending.is_empty() {
            return;
        }
        let (ids, events): (Vec<i64>, Vec<serde_json::Value>) = pending.into_iter().unzip();
        let (url, auth) = (format!("{base}/api/audit"), format!("Bearer {token}"));
        let Ok(Ok(agent)) =
            self.store().meta("sync_ca").map(|ca| http_agent(Some(Duration::from_secs(20)), ca.as_deref()))
        else {
            return;
        };
        let body = serde_json::json!({ "events": events }).to_string();
        let sent = tokio::task::spawn_blocking(move || {
            agent
                .post(&url)
                .header("authorization", &auth)
                .header("content-type", "application/json")
                .send(body.as_bytes())
                .map(|r| r.status().is_success())
        })
        .await;
        if matches!(sent, Ok(Ok(true))) {
            let _ = self.store().audit_sent(&ids);
        }
    }

    async fn session(&self, mode: Mode) -> Result<(), SyncError> {
        let (base, token, cursor, epoch, ca) = {
            let store = self.store();
            let (base, token) = store.sync_endpoint()?.ok_or(SyncError::NotSignedIn)?;
            (base, token, store.sync_cursor()?, store.sync_epoch()?, store.meta("sync_ca")?)
        };
        super::tls::check_url(&base)?;
        self.set_state(SyncState::Connecting, None);
        let url = format!("{}/sync", base.replacen("http", "ws", 1));
        let mut request = url.into_client_request().map_err(|e| SyncError::Unreachable(e.to_string()))?;
        let bearer =
            HeaderValue::from_str(&format!("Bearer {token}")).map_err(|e| SyncError::Protocol(e.to_string()))?;
        request.headers_mut().insert("authorization", bearer);
        let config =
            WebSocketConfig::default().max_message_size(Some(MAX_FRAME_BYTES)).max_frame_size(Some(MAX_FRAME_BYTES));
        let connector = tokio_tungstenite::Connector::Rustls(super::tls::client_tls(ca.as_deref())?.rustls);
        let connecting =
            tokio_tungstenite::connect_async_tls_with_config(request, Some(config), false, Some(connector));
        let (mut ws, _) = match connecting.await {
            Ok(ok) => ok,
            Err(WsError::Http(response)) => {
                let status = response.status().as_u16();
                let body: serde_json::Value =
                    response.body().as_deref().and_then(|b| serde_json::from_slice(b).ok()).unwrap_or_default();
                let code = body["code"].as_str().unwrap_or("refused").to_string();
                if code == "device_revoked" {
                    return Err(self.revoked()?);
                }
                let message = body["message"].as_str().unwrap_or("").to_string();
                return Err(SyncError::Refused { status, code, message });
            }
            Err(e) => return Err(SyncError::Unreachable(e.to_string())),
        };
        self.send_audit_events(&base, &token).await;
        let send = |msg: &ClientMsg| Message::Binary(encode(msg).into());
        ws.send(send(&ClientMsg::Hello {
            protocol: PROTOCOL_VERSION,
            cursor,
            epoch,
            read_models: Some(crate::projection::version().to_string()),
        }))
        .await
        .map_err(|e| SyncError::Unreachable(e.to_string()))?;

        let mut caught_up = false;
        // Records under repair with the Automerge sync protocol, and rounds left for each.
        let mut repairs = Repairs::default();
        // Pushes sent and not yet acknowledged, and the outbox entry the last one reached (none:
        // the next push reads the outbox from its start, which waits until none is in flight).
        let mut in_flight: std::collections::VecDeque<u64> = Default::default();
        let mut sent_to: Option<i64> = None;
        let mut next_batch = 1u64;
        let mut stalled = false;
        let mut ping = tokio::time::interval(PING_EVERY);
        let mut last_heard = tokio::time::Instant::now();
        self.status.send_modify(|s| s.received = 0);
        loop {
            let may_push = in_flight.len() < PUSHES_AHEAD && (sent_to.is_some() || in_flight.is_empty());
            if caught_up && may_push && repairs.is_empty() && !stalled {
                let mut outbox = self.store().outbox_after(sent_to.unwrap_or(i64::MIN), PUSH_BATCH)?;
                // Sized by bytes too: big notes never make a push too long to send.
                let mut bytes = 0;
                let fits = outbox.iter().take_while(|e| {
                    bytes += e.bytes.len();
                    bytes <= BATCH_BYTES
                });
                let keep = fits.count().max(1);
                outbox.truncate(keep);
                if let Some(last) = outbox.last() {
                    sent_to = Some(last.seq);
                    let changes = outbox.into_iter().map(|e| DocBytes { doc: e.doc_id, bytes: e.bytes }).collect();
                    let ahead = !in_flight.is_empty();
                    ws.send(send(&ClientMsg::Push { batch: next_batch, changes, ahead }))
                        .await
                        .map_err(|e| SyncError::Unreachable(e.to_string()))?;
                    in_flight.push_back(next_batch);
                    next_batch += 1;
                    self.set_state(SyncState::Syncing, None);
                } else if in_flight.is_empty() {
                    self.set_state(SyncState::UpToDate, None);
                    self.files_wake.notify_one();
                    if matches!(mode, Mode::Once) {
                        let _ = ws.close(None).await;
                        return Ok(());
                    }
                }
            } else if caught_up && in_flight.is_empty() && repairs.is_empty() && matches!(mode, Mode::Once) {
                // Only edits that repair could not unblock are left; they go next time.
                let _ = ws.close(None).await;
                return Ok(());
            }
            tokio::select! {
                frame = ws.next() => {
                    let frame = match frame {
                        Some(Ok(f)) => f,
                        Some(Err(e)) => return Err(SyncError::Unreachable(e.to_string())),
                        None => return Err(SyncError::Unreachable("the server closed the connection".into())),
                    };
                    last_heard = tokio::time::Instant::now();
                    let bytes = match frame {
                        Message::Binary(b) => b,
                        Message::Close(_) => return Err(SyncError::Unreachable("the server closed the connection".into())),
                        _ => continue,
                    };
                    let msg: ServerMsg = decode(&bytes).map_err(SyncError::Protocol)?;
                    match msg {
                        ServerMsg::Welcome { epoch, resend_own, .. } => {
                            let mut store = self.store();
                            if resend_own {
                                // The server was restored: it takes its lost edits back only
                                // from the devices that wrote them.
                                store.requeue_own_changes()?;
                                // The old cursor means nothing now; the server bootstraps
                                // this device again, and so does the next connection should
                                // this one drop first.
                                store.set_sync_cursor(0)?;
                            }
                            if !epoch.is_empty() {
                                store.set_sync_epoch(&epoch)?;
                            }
                            drop(store);
                            self.set_state(SyncState::Syncing, None);
                        }
                        ServerMsg::Snapshots { docs, cursor } => {
                            let n = docs.len() as u64;
                            let changed = self.store().from_server(|s| s.apply_snapshots(docs, cursor))?;
                            self.status.send_modify(|s| s.received += n);
                            if !changed.is_empty() {
                                self.records_changed();
                            }
                        }
                        ServerMsg::Changes { changes, cursor } => {
                            let n = changes.len() as u64;
                            let incoming = changes.into_iter().map(|c| IncomingChange { doc_id: c.doc, bytes: c.bytes }).collect();
                            let report = self.store().from_server(|s| s.apply_changes_at(incoming, Some(cursor)))?;
                            self.status.send_modify(|s| s.received += n);
                            if !report.changed.is_empty() {
                                self.records_changed();
                            }
                        }
                        ServerMsg::Drop { docs, cursor, moved } => {
                            self.store().from_server(|s| s.drop_docs(&docs, cursor, &moved))?;
                            self.records_changed();
                        }
                        ServerMsg::CaughtUp { cursor } => {
                            let openers = {
                                let mut store = self.store();
                                store.from_server(|s| s.set_sync_cursor(cursor))?;
                                // Records whose stored copy could not be read: fetched again.
                                let mut openers = Vec::new();
                                for doc in store.unreadable_docs(MAX_UNREADABLE_REPAIRS)? {
                                    if let Some(opener) = repairs.open(&mut store, doc.clone())? {
                                        store.repair_started(&doc)?;
                                        openers.push(opener);
                                    }
                                }
                                openers
                            };
                            for msg in &openers {
                                ws.send(send(msg)).await.map_err(|e| SyncError::Unreachable(e.to_string()))?;
                            }
                            caught_up = true;
                        }
                        ServerMsg::Ack { batch, accepted, refused } => {
                            in_flight.retain(|b| *b != batch);
                            // What waits stays in the outbox: `deferred` goes in the next push,
                            // `missing_dependencies` after a repair.
                            let (later, final_refusals): (Vec<_>, Vec<_>) = refused.into_iter().partition(Refused::waits);
                            if !later.is_empty() {
                                // Pushed again from the outbox's start, once none is in flight.
                                sent_to = None;
                            }
                            let retry: Vec<_> = later.into_iter().filter(|r| r.code == "missing_dependencies").collect();
                            let waiting = !retry.is_empty();
                            // Edits building on changes the server lacks stay in the outbox; the
                            // record is repaired with Automerge's sync protocol, then pushed again.
                            let mut openers = Vec::new();
                            {
                                let mut store = self.store();
                                if store.from_server(|s| s.settle(&accepted, &final_refusals))? {
                                    self.records_changed();
                                }
                                for r in retry {
                                    openers.extend(repairs.open(&mut store, r.doc)?);
                                }
                            }
                            for msg in &openers {
                                ws.send(send(msg)).await.map_err(|e| SyncError::Unreachable(e.to_string()))?;
                            }
                            // Nothing left to try in this session: keep them for the next one.
                            // An ack that took nothing and refused nothing for good (a push put
                            // off whole for being sent ahead) says nothing new: a stall stays.
                            let told_nothing = accepted.is_empty() && final_refusals.is_empty() && !waiting;
                            stalled = (waiting && repairs.is_empty() && accepted.is_empty()) || (stalled && told_nothing);
                        }
                        ServerMsg::Repair { doc, message, accepted, refused } => {
                            // What waits (e.g. for another device to bring what an edit builds
                            // on) is not a refusal: those edits stay in the outbox.
                            let refused: Vec<_> = refused.into_iter().filter(|r| !r.waits()).collect();
                            let next = {
                                let mut store = self.store();
                                if store.from_server(|s| s.settle(&accepted, &refused))? {
                                    self.records_changed();
                                }
                                repairs.answered(&mut store, &doc, message)?
                            };
                            if let Some(msg) = next {
                                ws.send(send(&msg)).await.map_err(|e| SyncError::Unreachable(e.to_string()))?;
                            }
                        }
                        ServerMsg::Pong { .. } => {}
                        ServerMsg::Error { code, message, fatal } => {
                            if code == "device_revoked" {
                                // Revoked while connected: the same as being refused at connect.
                                return Err(self.revoked()?);
                            }
                            if fatal {
                                return Err(SyncError::Server { code, message });
                            }
                            if code == "bad_repair" || code == "too_many_repairs" {
                                // No `repair` answer follows: that record waits for the next session.
                                repairs.refused();
                            }
                        }
                    }
                }
                _ = self.local_change.notified(), if matches!(mode, Mode::Live) => {
                    stalled = false;
                }
                _ = ping.tick() => {
                    if last_heard.elapsed() > SILENCE_LIMIT {
                        return Err(SyncError::Unreachable("the server stopped answering".into()));
                    }
                    ws.send(send(&ClientMsg::Ping { n: 0 })).await.map_err(|e| SyncError::Unreachable(e.to_string()))?;
                    // A device that stays connected reports what happened here within a ping.
                    self.send_audit_events(&base, &token).await;
                }
            }
        }
    }
}
