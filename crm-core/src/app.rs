//! The app service: what a shell (the Tauri app, the web shell) runs for one person on one
//! device. It owns the store and the background sync, answers the same JSON requests as
//! [`Store::handle_json`] plus a few about the session (sign in, use locally, sign out, sync
//! status, refused edits), and publishes events for "records changed" and "sync status".
//! Shells only move JSON and events; no business rule lives in them.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};
use tokio::sync::{broadcast, watch};

use crate::api::{Request, Response};
use crate::error::{Error, Result};
use crate::store::{Identity, Store};
use crate::sync::client::{login, SyncEngine, SyncError, SyncStatus};

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
}

/// Requests about the session rather than records.
#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
enum SessionRequest {
    /// How this device is used (first run, local only, signed in, signed out), who is
    /// working, and the sync status.
    AppStatus,
    /// Sign in to a sync server; from then on sync runs in the background.
    SignIn { server: String, username: String, password: String },
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
const WRITE_OPS: &[&str] = &["create", "bulk_create", "update", "delete", "restore", "resolve_conflict"];

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

pub struct App {
    store: Arc<Mutex<Store>>,
    engine: SyncEngine,
    /// Runs the sync engine; `None` only while dropping.
    runtime: Option<tokio::runtime::Runtime>,
    stop_sync: Mutex<Option<watch::Sender<bool>>>,
    events: broadcast::Sender<AppEvent>,
    device_name: String,
    data_dir: PathBuf,
}

impl App {
    /// Open (or create) the app's store in `data_dir` and start syncing if signed in.
    pub fn open(data_dir: &Path, device_name: &str) -> Result<App> {
        std::fs::create_dir_all(data_dir)?;
        let store = Arc::new(Mutex::new(Store::open(data_dir.join("crm.sqlite3"))?));
        let engine = SyncEngine::new(store.clone());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("crm-sync")
            .enable_all()
            .build()?;
        let (events, _) = broadcast::channel(256);
        let app = App {
            store,
            engine,
            runtime: Some(runtime),
            stop_sync: Mutex::new(None),
            events,
            device_name: device_name.to_string(),
            data_dir: data_dir.to_path_buf(),
        };
        app.forward_engine_events();
        if app.store().sync_endpoint()?.is_some() {
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

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
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
            Ok(req) => self.store().handle(req),
            Err(e) => Error::BadRequest(e.to_string()).into(),
        };
        let failed = matches!(response, Response::Error { .. } | Response::Duplicates { .. });
        if WRITE_OPS.contains(&op.as_str()) && !failed {
            self.engine.local_change();
            let _ = self.events.send(AppEvent::RecordsChanged { remote: false });
        }
        serde_json::to_value(&response).unwrap_or_else(|e| error_json("internal", &e.to_string(), Json::Null))
    }

    fn session(&self, request: SessionRequest) -> std::result::Result<Json, Json> {
        match request {
            SessionRequest::AppStatus => Ok(self.status()),
            SessionRequest::UseLocally => {
                self.store().set_setting("app_mode", "local").map_err(core_error)?;
                Ok(self.status())
            }
            SessionRequest::SignIn { server, username, password } => {
                let server = server.trim().to_string();
                if !(server.starts_with("http://") || server.starts_with("https://")) {
                    return Err(error_json(
                        "invalid_server_url",
                        "the server address must start with http:// or https://",
                        json!({"server": server}),
                    ));
                }
                self.stop_sync();
                {
                    let mut store = self.store();
                    login(&mut store, &server, username.trim(), &password, &self.device_name).map_err(sync_error)?;
                    store.set_setting("app_mode", "signed_in").map_err(core_error)?;
                }
                self.start_sync();
                let _ = self.events.send(AppEvent::RecordsChanged { remote: true });
                Ok(self.status())
            }
            SessionRequest::SignOut { force } => {
                let pending = self.store().outbox_len().map_err(core_error)?;
                if pending > 0 && !force {
                    return Err(error_json(
                        "unsynced_edits",
                        &format!("{pending} edits have not reached the server yet; they are kept on this device and sent when you sign in again"),
                        json!({"pending": pending}),
                    ));
                }
                self.stop_sync();
                let mut store = self.store();
                store.set_sync_endpoint(None).map_err(core_error)?;
                store.set_setting("app_mode", "signed_out").map_err(core_error)?;
                drop(store);
                Ok(self.status())
            }
            SessionRequest::Rejected => {
                let items = self.store().rejected_edits().map_err(core_error)?;
                Ok(json!({"type": "rejected", "items": items}))
            }
        }
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
        let store = self.store();
        let identity: Identity = store.identity().clone();
        let mut sync = self.engine.status().borrow().clone();
        sync.pending = store.outbox_len().unwrap_or(sync.pending);
        sync.rejected = store.rejected_len().unwrap_or(sync.rejected);
        json!({
            "type": "app_status",
            "mode": self.mode(&store),
            "server": store.meta("sync_url").ok().flatten(),
            "identity": identity,
            "sync": sync,
        })
    }

    fn start_sync(&self) {
        let mut slot = self.stop_sync.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_some() {
            return;
        }
        let (stop, stopped) = watch::channel(false);
        *slot = Some(stop);
        let engine = self.engine.clone();
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

    fn forward_engine_events(&self) {
        let mut status = self.engine.status();
        let events = self.events.clone();
        self.spawn(async move {
            while status.changed().await.is_ok() {
                let status = status.borrow_and_update().clone();
                let _ = events.send(AppEvent::SyncStatus { status });
            }
        });
        let mut changes = self.engine.remote_changes();
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

fn error_json(code: &str, message: &str, params: Json) -> Json {
    json!({"type": "error", "code": code, "message": message, "params": params})
}

fn core_error(e: Error) -> Json {
    serde_json::to_value(Response::from(e)).unwrap_or(Json::Null)
}

fn sync_error(e: SyncError) -> Json {
    match e {
        SyncError::LoginRefused(message) => error_json("sign_in_refused", &message, Json::Null),
        SyncError::Unreachable(detail) => error_json(
            "server_unreachable",
            &format!("the server cannot be reached: {detail}"),
            json!({"detail": detail}),
        ),
        SyncError::Store(e) => core_error(e),
        other => error_json("sync_error", &other.to_string(), Json::Null),
    }
}
