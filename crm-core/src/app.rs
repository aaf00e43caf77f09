//! The app service: what a shell (the Tauri app, the web shell) runs on one device. It owns
//! the store of the person working (one store per person, see [`crate::profiles`]) and its
//! background sync, answers the same JSON requests as [`Store::handle_json`] plus a few about
//! the session (sign in, use locally, sign out, sync status, refused edits), and publishes
//! events for "records changed" and "sync status". Shells only move JSON and events; no
//! business rule lives in them.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};
use tokio::sync::{broadcast, watch};

use crate::api::{Request, Response};
use crate::error::{Error, Result};
use crate::profiles;
use crate::store::{Identity, Store};
use crate::sync::client::{login, SyncEngine, SyncError, SyncStatus};
use crate::sync::local::Adopted;

/// What the app tells its views.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum AppEvent {
    /// Records changed: `remote` when they came from the server (merged edits, transfers,
    /// refused edits rolled back), otherwise an edit made on this device.
    RecordsChanged {
        remote: bool,
    },
    SyncStatus {
        status: SyncStatus,
    },
    /// How an import goes: rows done of the total.
    ImportProgress {
        done: usize,
        total: usize,
    },
}

/// Requests about the session rather than records.
#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum SessionRequest {
    /// How this device is used (first run, local only, signed in, signed out), who is
    /// working, and the sync status.
    AppStatus,
    /// Sign in to a sync server; from then on sync runs in the background.
    SignIn {
        server: String,
        username: String,
        password: String,
        /// The company's own CA (PEM) the server's certificate is issued by, pinned besides the
        /// system's roots.
        #[serde(default)]
        ca: Option<String>,
    },
    /// Use the app without a server (a local profile).
    UseLocally,
    /// Stop syncing and forget the token. Refused with `unsynced_edits` while edits wait to
    /// be sent, unless `force`; even then nothing is deleted, the edits are sent at the next
    /// sign-in.
    SignOut {
        #[serde(default)]
        force: bool,
    },
    /// Edits the server refused, with reasons.
    Rejected,
}

const SESSION_OPS: &[&str] = &["app_status", "sign_in", "use_locally", "sign_out", "rejected"];
/// Requests that write records: the engine is woken to push them, and views are told.
const WRITE_OPS: &[&str] = &[
    "create",
    "bulk_create",
    "update",
    "delete",
    "restore",
    "resolve_conflict",
    "transition",
    "append",
    "open_churn_case",
    "dismiss_refused",
    "import_run",
    "import_revert",
    "contract_from_quote",
    "load_price_lists",
    "check_in",
    "check_out",
    "attach",
    "convert_lead",
    "start_campaign",
    "campaign_email",
];

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    FirstRun,
    Local,
    SignedIn,
    SignedOut,
}

/// Where a shell keeps the local store when not told: `$CRM_DATA`, then
/// `~/.local/share/field-crm` (the `crm` CLI and `field-crm-web` share it).
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CRM_DATA") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    home.join(".local/share/field-crm")
}

/// The store of the person working, and its sync.
struct Active {
    store: Arc<Mutex<Store>>,
    engine: SyncEngine,
    /// Its profile id (see [`crate::profiles`]).
    profile: String,
}

pub struct App {
    active: Mutex<Active>,
    /// Held through a sign-in: two at once could make two stores for one person.
    signing_in: Mutex<()>,
    /// Runs the sync engine; `None` only while dropping.
    runtime: Option<tokio::runtime::Runtime>,
    stop_sync: Mutex<Option<watch::Sender<bool>>>,
    events: broadcast::Sender<AppEvent>,
    device_name: String,
    data_dir: PathBuf,
}

impl App {
    /// Open (or create) the store last used in `data_dir` and start syncing if signed in.
    pub fn open(data_dir: &Path, device_name: &str) -> Result<App> {
        std::fs::create_dir_all(data_dir)?;
        let profile = profiles::current(data_dir);
        let store = Arc::new(Mutex::new(Store::open(data_dir.join(&profile))?));
        let engine = SyncEngine::new(store.clone());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("crm-sync")
            .enable_all()
            .build()?;
        let (events, _) = broadcast::channel(256);
        let app = App {
            active: Mutex::new(Active { store, engine: engine.clone(), profile }),
            signing_in: Mutex::new(()),
            runtime: Some(runtime),
            stop_sync: Mutex::new(None),
            events,
            device_name: device_name.to_string(),
            data_dir: data_dir.to_path_buf(),
        };
        app.forward_engine_events(&engine);
        if lock(&app.store()).sync_endpoint()?.is_some() {
            app.start_sync();
        }
        Ok(app)
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Events for the views; every subscriber gets every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<AppEvent> {
        self.events.subscribe()
    }

    fn spawn(&self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        if let Some(runtime) = &self.runtime {
            runtime.spawn(task);
        }
    }

    fn active(&self) -> MutexGuard<'_, Active> {
        self.active.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn engine(&self) -> SyncEngine {
        self.active().engine.clone()
    }

    /// The working person's store (a sign-in as someone else swaps it); lock it with
    /// [`lock`] for one request.
    fn store(&self) -> Arc<Mutex<Store>> {
        Arc::clone(&self.active().store)
    }

    /// One JSON request in, one JSON response out. Blocking (signing in waits for the
    /// server), so shells call it off their UI thread.
    pub fn dispatch(&self, request: Json) -> Json {
        let op = request.get("op").and_then(Json::as_str).unwrap_or_default().to_string();
        if SESSION_OPS.contains(&op.as_str()) {
            let response = match serde_json::from_value::<SessionRequest>(request) {
                Ok(req) => self.session(req),
                Err(e) => Err(core_error(Error::BadRequest(e.to_string()))),
            };
            return response.unwrap_or_else(|e| e);
        }
        let response = match serde_json::from_value::<Request>(request) {
            Ok(Request::Server { method, path, body }) => {
                // Off the store's lock: the server may be slow.
                let shared = self.store();
                let (endpoint, ca) = {
                    let store = lock(&shared);
                    (store.sync_endpoint(), store.meta("sync_ca").ok().flatten())
                };
                endpoint
                    .and_then(|e| crate::api::server_call(e, ca.as_deref(), &method, &path, body.as_ref()))
                    .unwrap_or_else(Response::from)
            }
            // A file not on this device yet is fetched from the server, off the store's lock.
            Ok(Request::File { hash, record: Some(record) }) => {
                let store = self.store();
                let here = lock(&store).file(&hash).map(|f| f.is_some()).unwrap_or(true);
                let fetched = if here { Ok(()) } else { crate::sync::files::fetch(&store, &hash, &record) };
                match fetched {
                    Ok(()) => lock(&store).handle(Request::File { hash, record: Some(record) }),
                    Err(e) => Response::Error {
                        code: e.code().to_string(),
                        message: e.to_string(),
                        params: json!({ "hash": hash }),
                    },
                }
            }
            Ok(req) => {
                let events = self.events.clone();
                let mut progress = |done, total| {
                    let _ = events.send(AppEvent::ImportProgress { done, total });
                };
                lock(&self.store()).handle_with_progress(req, &mut progress)
            }
            Err(e) => Error::BadRequest(e.to_string()).into(),
        };
        let failed = matches!(response, Response::Error { .. } | Response::Duplicates { .. });
        if WRITE_OPS.contains(&op.as_str()) && !failed {
            self.engine().local_change();
            let _ = self.events.send(AppEvent::RecordsChanged { remote: false });
        }
        serde_json::to_value(&response).unwrap_or_else(|e| error_json("internal", &e.to_string(), Json::Null))
    }

    fn session(&self, request: SessionRequest) -> std::result::Result<Json, Json> {
        match request {
            SessionRequest::AppStatus => Ok(self.status()),
            SessionRequest::UseLocally => {
                lock(&self.store()).set_setting("app_mode", "local").map_err(core_error)?;
                Ok(self.status())
            }
            SessionRequest::SignIn { server, username, password, ca } => {
                let server = server.trim().trim_end_matches('/').to_string();
                if !(server.starts_with("http://") || server.starts_with("https://")) {
                    return Err(error_json(
                        "invalid_server_url",
                        "the server address must start with http:// or https://",
                        json!({"server": server}),
                    ));
                }
                if let Err(e) = crate::sync::tls::check_url(&server) {
                    return Err(sync_error(e));
                }
                if let Some(pem) = ca.as_deref() {
                    crate::sync::tls::parse_ca(pem).map_err(sync_error)?;
                }
                let adopted = self.sign_in(&server, username.trim(), &password, ca.as_deref())?;
                let _ = self.events.send(AppEvent::RecordsChanged { remote: true });
                let mut status = self.status();
                status["carried_over"] = json!(adopted);
                Ok(status)
            }
            SessionRequest::SignOut { force } => {
                let pending = lock(&self.store()).outbox_len().map_err(core_error)?;
                if pending > 0 && !force {
                    return Err(error_json(
                        "unsynced_edits",
                        &format!("{pending} edits have not reached the server yet; they are kept on this device and sent when you sign in again"),
                        json!({"pending": pending}),
                    ));
                }
                self.stop_sync();
                sign_out(&mut lock(&self.store())).map_err(core_error)?;
                Ok(self.status())
            }
            SessionRequest::Rejected => {
                let items = lock(&self.store()).rejected_edits().map_err(core_error)?;
                Ok(json!({"type": "rejected", "items": items}))
            }
        }
    }

    /// Sign in to `server`: in this person's own store on this device (the one they used
    /// before, or the local profile if it never signed in, or a new one), so nobody's edits
    /// are sent under someone else's session. The person who worked before is signed out.
    /// One sign-in at a time; whatever happens, whoever is working afterwards syncs if signed in.
    fn sign_in(
        &self,
        server: &str,
        username: &str,
        password: &str,
        ca: Option<&str>,
    ) -> std::result::Result<Adopted, Json> {
        let _one_at_a_time = self.signing_in.lock().unwrap_or_else(|p| p.into_inner());
        self.stop_sync();
        let outcome = self.sign_in_stopped(server, username, password, ca);
        if matches!(lock(&self.store()).sync_endpoint(), Ok(Some(_))) {
            self.start_sync();
        }
        outcome
    }

    fn sign_in_stopped(
        &self,
        server: &str,
        username: &str,
        password: &str,
        ca: Option<&str>,
    ) -> std::result::Result<Adopted, Json> {
        let dir = &self.data_dir;
        // The CA pinned in the store signing in, then the sign-in.
        let login = |store: &mut Store| {
            if ca.is_some() {
                crate::sync::client::set_server_ca(store, ca)?;
            }
            login(store, server, username, password, &self.device_name)
        };
        let current = self.active().profile.clone();
        // A local profile (never signed in) becomes the account's.
        let unclaimed = lock(&self.store()).meta("sync_url").map_err(core_error)?.is_none();
        let target = match profiles::find(&profiles::list(dir), server, username) {
            Some(profile) => profile.id.clone(),
            None if unclaimed => current.clone(),
            None => profiles::new_id(),
        };
        if target == current {
            let signed_in = login(&mut lock(&self.store())).map_err(sync_error)?;
            lock(&self.store()).set_setting("app_mode", "signed_in").map_err(core_error)?;
            return Ok(signed_in.adopted);
        }
        // Someone else's store: opened, signed in, and only then made the working one.
        let new = !dir.join(&target).exists();
        let opened = profiles::prepare(dir, &target).and_then(Store::open).map_err(core_error).and_then(|mut store| {
            let signed_in = login(&mut store).map_err(sync_error)?;
            store.set_setting("app_mode", "signed_in").map_err(core_error)?;
            Ok((store, signed_in))
        });
        let (store, signed_in) = match opened {
            Ok(opened) => opened,
            Err(e) => {
                if new {
                    profiles::remove(dir, &target);
                }
                return Err(e);
            }
        };
        let store = Arc::new(Mutex::new(store));
        let engine = SyncEngine::new(Arc::clone(&store));
        self.forward_engine_events(&engine);
        let previous = std::mem::replace(&mut *self.active(), Active { store, engine, profile: target.clone() });
        // The new person works from here on; what follows only tidies up after the previous one.
        if let Err(e) = sign_out(&mut lock(&previous.store)) {
            eprintln!("field-crm: the previous person could not be signed out of their store: {e}");
        }
        if let Err(e) = profiles::set_current(dir, &target) {
            eprintln!("field-crm: cannot remember which profile to open next time: {e}");
        }
        Ok(signed_in.adopted)
    }

    fn mode(&self, store: &Store) -> Mode {
        if matches!(store.sync_endpoint(), Ok(Some(_))) {
            return Mode::SignedIn;
        }
        match store.meta("app_mode").ok().flatten().as_deref() {
            Some("local") => Mode::Local,
            Some("signed_in" | "signed_out") => Mode::SignedOut,
            _ => Mode::FirstRun,
        }
    }

    fn status(&self) -> Json {
        let current = self.store();
        let store = lock(&current);
        let identity: Identity = store.whoami();
        let mut sync = self.engine().status().borrow().clone();
        sync.pending = store.outbox_len().unwrap_or(sync.pending);
        sync.rejected = store.rejected_len().unwrap_or(sync.rejected);
        json!({
            "type": "app_status",
            "mode": self.mode(&store),
            "server": store.meta("sync_url").ok().flatten(),
            "identity": identity,
            "sync": sync,
            "profile": self.active().profile,
            "profiles": profiles::list(&self.data_dir),
        })
    }

    fn start_sync(&self) {
        let mut slot = self.stop_sync.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_some() {
            return;
        }
        let (stop, stopped) = watch::channel(false);
        *slot = Some(stop);
        let engine = self.engine();
        self.spawn(async move {
            // Returns on sign-out or on a permanent failure (revoked, refused); the status
            // says which.
            let _ = engine.run(stopped).await;
        });
    }

    fn stop_sync(&self) {
        if let Some(stop) = self.stop_sync.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = stop.send(true);
        }
    }

    /// Pass `engine`'s status and remote changes on as events, for as long as it lives.
    fn forward_engine_events(&self, engine: &SyncEngine) {
        let mut status = engine.status();
        let events = self.events.clone();
        self.spawn(async move {
            while status.changed().await.is_ok() {
                let status = status.borrow_and_update().clone();
                let _ = events.send(AppEvent::SyncStatus { status });
            }
        });
        let mut changes = engine.remote_changes();
        let events = self.events.clone();
        self.spawn(async move {
            while changes.changed().await.is_ok() {
                changes.borrow_and_update();
                let _ = events.send(AppEvent::RecordsChanged { remote: true });
            }
        });
    }
}

impl Drop for App {
    fn drop(&mut self) {
        self.stop_sync();
        // Dropping a runtime may happen inside a shell's async context; this does not block.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Forget the token; the store and its unsent edits stay for the next sign-in.
fn sign_out(store: &mut Store) -> Result<()> {
    store.set_sync_endpoint(None)?;
    store.set_setting("app_mode", "signed_out")
}

fn lock(store: &Mutex<Store>) -> MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(|p| p.into_inner())
}

fn error_json(code: &str, message: &str, params: Json) -> Json {
    json!({"type": "error", "code": code, "message": message, "params": params})
}

fn core_error(e: Error) -> Json {
    serde_json::to_value(Response::from(e)).unwrap_or(Json::Null)
}

fn sync_error(e: SyncError) -> Json {
    match e {
        SyncError::LoginRefused { reason, message, retry_after_secs } => {
            let mut params = json!({"reason": reason});
            if let Some(secs) = retry_after_secs {
                params["retry_after_secs"] = json!(secs);
            }
            error_json("sign_in_refused", &message, params)
        }
        SyncError::Unreachable(detail) => error_json(
            "server_unreachable",
            &format!("the server cannot be reached: {detail}"),
            json!({"detail": detail}),
        ),
        SyncError::Store(e) => core_error(e),
        other => error_json(other.code(), &other.to_string(), Json::Null),
    }
}
