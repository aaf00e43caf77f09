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
use crate::at_rest::{self, Keychain, StoreKey};
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
    /// Open the encrypted store of the person who worked last (`mode: locked`) with the
    /// password they last signed in with on this device.
    Unlock { password: String },
}

const SESSION_OPS: &[&str] = &["app_status", "sign_in", "use_locally", "sign_out", "rejected", "unlock"];
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
    /// The store is encrypted and its key is not in a keychain: nothing is readable until
    /// `unlock` (or a sign-in) gives the password.
    Locked,
}

/// Whether a shell's stores are encrypted at rest ([`crate::at_rest`]).
#[derive(Clone, Default)]
pub enum AtRest {
    /// Plain SQLite (the command line, tests, a development web shell).
    #[default]
    Plain,
    /// Each store is encrypted at its first sign-in: under a random key kept in `keychain` when
    /// the shell has one, otherwise under the person's password (asked again at every start).
    Encrypted { keychain: Option<Arc<dyn Keychain>> },
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

/// The store of the person working, and its sync; neither while it is locked.
struct Active {
    store: Option<Arc<Mutex<Store>>>,
    engine: Option<SyncEngine>,
    /// Its profile id (see [`crate::profiles`]).
    profile: String,
    /// The password it is encrypted under, when it is (to notice one changed at a sign-in).
    password: Option<String>,
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
    at_rest: AtRest,
}

impl App {
    /// Open (or create) the store last used in `data_dir` and start syncing if signed in.
    pub fn open(data_dir: &Path, device_name: &str) -> Result<App> {
        App::open_with(data_dir, device_name, AtRest::Plain)
    }

    /// [`App::open`], the stores encrypted at rest as `at_rest` says. An encrypted store whose
    /// key is in the keychain opens; one under a password waits, locked, for `unlock`.
    pub fn open_with(data_dir: &Path, device_name: &str, at_rest: AtRest) -> Result<App> {
        std::fs::create_dir_all(data_dir)?;
        let profile = profiles::current(data_dir);
        let path = data_dir.join(&profile);
        let store = match keychain_key(&at_rest, &path)? {
            // A key that does not open it (the data directory moved, the keychain restored
            // from elsewhere): locked, for the password — not an app that cannot start.
            Some(key) => match Store::open_with(&path, Some(&key)) {
                Err(Error::WrongKey) => None,
                opened => Some(opened?),
            },
            None if at_rest::is_encrypted(&path) => None,
            None => Some(Store::open(&path)?),
        };
        // A store signed in before this shell encrypted (an earlier version, `crm login`): with
        // a keychain it is encrypted now; without one, at its person's next sign-in. Should
        // that fail, the app still starts, on the plain store, and says why in its log.
        let store = match (store, &at_rest) {
            (Some(store), AtRest::Encrypted { keychain: Some(keychain) })
                if !at_rest::is_encrypted(&path) && store.meta("sync_url")?.is_some() =>
            {
                match seal_with_keychain(&path, store, keychain.as_ref()) {
                    Ok(sealed) => Some(sealed),
                    Err(e) => {
                        eprintln!("field-crm: cannot encrypt {} yet: {e}", path.display());
                        Some(Store::open(&path)?)
                    }
                }
            }
            (store, _) => store,
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("crm-sync")
            .enable_all()
            .build()?;
        let (events, _) = broadcast::channel(256);
        let app = App {
            active: Mutex::new(Active { store: None, engine: None, profile: profile.clone(), password: None }),
            signing_in: Mutex::new(()),
            runtime: Some(runtime),
            stop_sync: Mutex::new(None),
            events,
            device_name: device_name.to_string(),
            data_dir: data_dir.to_path_buf(),
            at_rest,
        };
        if let Some(store) = store {
            app.work_in(store, profile, None);
            app.start_sync_if_signed_in();
        }
        Ok(app)
    }

    /// Make `store` (profile `profile`) the working one, with a sync engine of its own.
    fn work_in(&self, store: Store, profile: String, password: Option<String>) -> Option<Arc<Mutex<Store>>> {
        let store = Arc::new(Mutex::new(store));
        let engine = SyncEngine::new(Arc::clone(&store));
        self.forward_engine_events(&engine);
        let previous = std::mem::replace(
            &mut *self.active(),
            Active { store: Some(store), engine: Some(engine), profile, password },
        );
        previous.store
    }

    fn start_sync_if_signed_in(&self) {
        let signed_in = self.store().is_ok_and(|store| matches!(lock(&store).sync_endpoint(), Ok(Some(_))));
        if signed_in {
            self.start_sync();
        }
    }

    /// Take the working store out (sync stopped first) to close it: waits for the sync engine
    /// to let go of it.
    fn close_store(&self) -> Result<Option<Store>> {
        self.stop_sync();
        let taken = {
            let mut active = self.active();
            active.engine = None;
            active.store.take()
        };
        let Some(mut shared) = taken else { return Ok(None) };
        for _ in 0..200 {
            match Arc::try_unwrap(shared) {
                Ok(store) => return Ok(Some(store.into_inner().unwrap_or_else(|p| p.into_inner()))),
                Err(still) => shared = still,
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        // Still in use (a long request): it stays the working store, syncing again.
        let engine = SyncEngine::new(Arc::clone(&shared));
        self.forward_engine_events(&engine);
        {
            let mut active = self.active();
            active.store = Some(shared);
            active.engine = Some(engine);
        }
        self.start_sync_if_signed_in();
        Err(Error::InUse { holder: "a request of this app, still running".into() })
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

    fn engine(&self) -> Option<SyncEngine> {
        self.active().engine.clone()
    }

    /// The working person's store (a sign-in as someone else swaps it); lock it with
    /// [`lock`] for one request. `store_locked` until an encrypted store is unlocked.
    fn store(&self) -> std::result::Result<Arc<Mutex<Store>>, Json> {
        self.active().store.clone().ok_or_else(|| core_error(Error::StoreLocked))
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
        let shared = match self.store() {
            Ok(store) => store,
            Err(locked) => return locked,
        };
        let response = match serde_json::from_value::<Request>(request) {
            Ok(Request::Server { method, path, body }) => {
                // Off the store's lock: the server may be slow.
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
                let store = shared;
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
                lock(&shared).handle_with_progress(req, &mut progress)
            }
            Err(e) => Error::BadRequest(e.to_string()).into(),
        };
        let failed = matches!(response, Response::Error { .. } | Response::Duplicates { .. });
        if WRITE_OPS.contains(&op.as_str()) && !failed {
            if let Some(engine) = self.engine() {
                engine.local_change();
            }
            let _ = self.events.send(AppEvent::RecordsChanged { remote: false });
        }
        serde_json::to_value(&response).unwrap_or_else(|e| error_json("internal", &e.to_string(), Json::Null))
    }

    fn session(&self, request: SessionRequest) -> std::result::Result<Json, Json> {
        match request {
            SessionRequest::AppStatus => Ok(self.status()),
            SessionRequest::UseLocally => {
                lock(&*self.store()?).set_setting("app_mode", "local").map_err(core_error)?;
                Ok(self.status())
            }
            SessionRequest::Unlock { password } => {
                let _one_at_a_time = self.signing_in.lock().unwrap_or_else(|p| p.into_inner());
                self.unlock(&password).map_err(core_error)?;
                let _ = self.events.send(AppEvent::RecordsChanged { remote: true });
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
                let store = self.store()?;
                let pending = lock(&store).outbox_len().map_err(core_error)?;
                if pending > 0 && !force {
                    return Err(error_json(
                        "unsynced_edits",
                        &format!("{pending} edits have not reached the server yet; they are kept on this device and sent when you sign in again"),
                        json!({"pending": pending}),
                    ));
                }
                self.stop_sync();
                sign_out(&mut lock(&store)).map_err(core_error)?;
                let profile = self.active().profile.clone();
                self.write_card(&profile, &lock(&store));
                Ok(self.status())
            }
            SessionRequest::Rejected => {
                let items = lock(&*self.store()?).rejected_edits().map_err(core_error)?;
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
        self.start_sync_if_signed_in();
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
        let found = profiles::find(&profiles::list(dir), server, username).map(|p| p.id.clone());
        // A locked store signed in to by its own person: the password unlocks it.
        if self.store().is_err() && found.as_deref() == Some(current.as_str()) {
            self.unlock_stopped(password).map_err(core_error)?;
        }
        // A local profile (never signed in) becomes the account's.
        let unclaimed = match self.store() {
            Ok(store) => lock(&store).meta("sync_url").map_err(core_error)?.is_none(),
            Err(_) => false,
        };
        let target = match found {
            Some(profile) => profile,
            None if unclaimed => current.clone(),
            None => profiles::new_id(),
        };
        if target == current {
            let store = self.store()?;
            let signed_in = login(&mut lock(&store)).map_err(sync_error)?;
            lock(&store).set_setting("app_mode", "signed_in").map_err(core_error)?;
            drop(store);
            self.seal_working(password).map_err(core_error)?;
            return Ok(signed_in.adopted);
        }
        // Someone else's store: opened, signed in, and only then made the working one.
        let new = !dir.join(&target).exists();
        let path = profiles::prepare(dir, &target).map_err(core_error)?;
        let opened = self.open_for_sign_in(&path, password).map_err(core_error).and_then(|mut store| {
            let signed_in = login(&mut store).map_err(sync_error)?;
            store.set_setting("app_mode", "signed_in").map_err(core_error)?;
            let store = self.seal(&path, store, password).map_err(core_error)?;
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
        let password = self.encrypted_by_password(&path).then(|| password.to_string());
        let previous = self.work_in(store, target.clone(), password);
        // The new person works from here on; what follows only tidies up after the previous one.
        if let Some(previous) = previous {
            let mut previous = lock(&previous);
            if let Err(e) = sign_out(&mut previous) {
                eprintln!("field-crm: the previous person could not be signed out of their store: {e}");
            }
            self.write_card(&current, &previous);
        }
        if let Err(e) = profiles::set_current(dir, &target) {
            eprintln!("field-crm: cannot remember which profile to open next time: {e}");
        }
        Ok(signed_in.adopted)
    }

    /// Open the store at `path` to sign in to it: with its key from the keychain, or with the
    /// password signing in when it is encrypted under one, or plain.
    fn open_for_sign_in(&self, path: &Path, password: &str) -> Result<Store> {
        if let Some(key) = keychain_key(&self.at_rest, path)? {
            return Store::open_with(path, Some(&key));
        }
        if at_rest::is_encrypted(path) {
            return Store::open_with(path, Some(&StoreKey::Password(password.to_string())));
        }
        Store::open(path)
    }

    /// Whether the store at `path` is encrypted under a password rather than a keychain's key.
    fn encrypted_by_password(&self, path: &Path) -> bool {
        at_rest::is_encrypted(path) && !matches!(keychain_key(&self.at_rest, path), Ok(Some(_)))
    }

    /// After a sign-in to `store` (at `path`, not the working one): encrypt it when this shell
    /// encrypts and it is plain, or put it under `password` when it is under another one (the
    /// account's password changed on the server). Returns the store open again.
    fn seal(&self, path: &Path, store: Store, password: &str) -> Result<Store> {
        let AtRest::Encrypted { keychain } = &self.at_rest else { return Ok(store) };
        if at_rest::is_encrypted(path) {
            // Under a keychain's key, or already under this password: nothing to do.
            profiles::write_card(path, &store)?;
            return Ok(store);
        }
        match keychain {
            Some(keychain) => seal_with_keychain(path, store, keychain.as_ref()),
            None => reopen_under(path, store, None, &StoreKey::Password(password.to_string())),
        }
    }

    /// [`App::seal`] the working store after its person signed in again with `password`.
    fn seal_working(&self, password: &str) -> Result<()> {
        let AtRest::Encrypted { .. } = &self.at_rest else { return Ok(()) };
        let profile = self.active().profile.clone();
        let path = self.data_dir.join(&profile);
        let old = self.active().password.clone();
        let plain = !at_rest::is_encrypted(&path);
        let changed = old.as_deref().is_some_and(|old| old != password);
        if !plain && !changed {
            if let Ok(store) = self.store() {
                self.write_card(&profile, &lock(&store));
            }
            return Ok(());
        }
        let Some(store) = self.close_store()? else { return Ok(()) };
        let reopened = if changed {
            let old = old.clone().map(StoreKey::Password);
            reopen_under(&path, store, old.as_ref(), &StoreKey::Password(password.to_string()))
        } else {
            self.seal(&path, store, password)
        };
        // Whatever happened, a store is working again: the sealed one, or the one as it was
        // (a rekey is whole or not at all, so one of these keys opens it).
        let store = match reopened {
            Ok(store) => store,
            Err(e) => {
                let candidates = [
                    keychain_key(&self.at_rest, &path).ok().flatten(),
                    old.map(StoreKey::Password),
                    Some(StoreKey::Password(password.to_string())),
                    None,
                ];
                for key in candidates {
                    if let Ok(store) = Store::open_with(&path, key.as_ref()) {
                        let password = match &key {
                            Some(StoreKey::Password(p)) => Some(p.clone()),
                            _ => None,
                        };
                        self.work_in(store, profile, password);
                        break;
                    }
                }
                return Err(e);
            }
        };
        let password = self.encrypted_by_password(&path).then(|| password.to_string());
        self.work_in(store, profile, password);
        Ok(())
    }

    /// Open the locked working store with `password`; sync starts if it is signed in.
    fn unlock(&self, password: &str) -> Result<()> {
        self.unlock_stopped(password)?;
        self.start_sync_if_signed_in();
        Ok(())
    }

    /// [`App::unlock`] without starting sync (a sign-in signs in first).
    fn unlock_stopped(&self, password: &str) -> Result<()> {
        if self.store().is_ok() {
            return Ok(());
        }
        let profile = self.active().profile.clone();
        let path = self.data_dir.join(&profile);
        let store = Store::open_with(&path, Some(&StoreKey::Password(password.to_string())))?;
        self.write_card(&profile, &store);
        self.work_in(store, profile, Some(password.to_string()));
        Ok(())
    }

    /// Keep the card of `store` (profile `profile`, open) up to date when it is encrypted; a
    /// failure to is only reported.
    fn write_card(&self, profile: &str, store: &Store) {
        let path = self.data_dir.join(profile);
        if let Err(e) = profiles::write_card(&path, store) {
            eprintln!("field-crm: cannot write the card of {}: {e}", path.display());
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
        let profile = self.active().profile.clone();
        let profiles = profiles::list(&self.data_dir);
        let Ok(current) = self.store() else {
            // Locked: who it is, from the store's card.
            let card = profiles.iter().find(|p| p.id == profile);
            return json!({
                "type": "app_status",
                "mode": Mode::Locked,
                "server": card.and_then(|c| c.server.clone()),
                "identity": card.map(|c| json!({
                    "user_id": c.user_id,
                    "display_name": c.display_name,
                    "role": c.role,
                    "username": c.username,
                })),
                "sync": SyncStatus::default(),
                "profile": profile,
                "profiles": profiles,
            });
        };
        let store = lock(&current);
        let identity: Identity = store.whoami();
        let mut sync = self.engine().map(|e| e.status().borrow().clone()).unwrap_or_default();
        sync.pending = store.outbox_len().unwrap_or(sync.pending);
        sync.rejected = store.rejected_len().unwrap_or(sync.rejected);
        json!({
            "type": "app_status",
            "mode": self.mode(&store),
            "server": store.meta("sync_url").ok().flatten(),
            "identity": identity,
            "sync": sync,
            "profile": profile,
            "profiles": profiles,
        })
    }

    fn start_sync(&self) {
        let mut slot = self.stop_sync.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_some() {
            return;
        }
        let (stop, stopped) = watch::channel(false);
        *slot = Some(stop);
        let Some(engine) = self.engine() else { return };
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

/// Encrypt the plain `store` at `path` under a new random key kept in `keychain`; the store
/// open again under it.
fn seal_with_keychain(path: &Path, store: Store, keychain: &dyn Keychain) -> Result<Store> {
    let key = StoreKey::generate()?;
    keychain.set(&at_rest::keychain_account(path), &key.to_secret().unwrap_or_default())?;
    reopen_under(path, store, None, &key)
}

/// Close `store` (at `path`, under `old`; `None`: plain), put it under `new`, and open it again
/// under it, its card written.
fn reopen_under(path: &Path, store: Store, old: Option<&StoreKey>, new: &StoreKey) -> Result<Store> {
    drop(store);
    at_rest::rekey(path, old, Some(new))?;
    let store = Store::open_with(path, Some(new))?;
    profiles::write_card(path, &store)?;
    Ok(store)
}

/// The key of the store at `path` in the shell's keychain, if it has one there.
fn keychain_key(at_rest: &AtRest, path: &Path) -> Result<Option<StoreKey>> {
    let AtRest::Encrypted { keychain: Some(keychain) } = at_rest else { return Ok(None) };
    // A plain file has no key, whatever the keychain kept (a crash between saving a new key
    // and encrypting with it, a store removed and made again): it is sealed afresh.
    if !at_rest::is_encrypted(path) {
        return Ok(None);
    }
    keychain.get(&at_rest::keychain_account(path))?.map(|secret| StoreKey::from_secret(&secret)).transpose()
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
