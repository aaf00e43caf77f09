//! Reports on the server: the same `crm_core::report` code the app runs, over a read-model
//! replica the server keeps beside its database (`NAME.reports/crm.sqlite3`, a device store of
//! its own, as an admin: everyone's figures). Before each report the replica is brought up to
//! date from the log — the changes after its cursor, applied as a device applies them; the
//! first time (or after a restore, a new epoch) it is built from the documents' snapshots.
//!
//! It reads through a connection of its own in one read transaction, so the snapshots and the
//! log position it records belong together and the writer is never held up. One report is
//! computed at a time.

use crate::sql::{Conn, Location};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crm_core::kind::Kind;
use crm_core::report::{Params, Report};
use crm_core::store::IncomingChange;
use crm_core::sync::protocol::SnapshotDoc;
use crm_core::Store;

use crate::db::DbError;

/// The replica's user: the server itself, an admin.
const SERVER_USER: &str = "00000000-0000-7000-8000-5e7e7e700000";

/// Snapshots or changes applied at a time.
const PAGE: usize = 2_000;

/// Where the replica of the database at `db` lives.
pub fn replica_path(db: &Path) -> PathBuf {
    let mut dir = db.as_os_str().to_owned();
    dir.push(".reports");
    PathBuf::from(dir).join("crm.sqlite3")
}

/// The replica, opened on first use.
#[derive(Default)]
pub struct Replica(Mutex<Option<Store>>);

impl Replica {
    /// Report `name` as of now: the replica brought up to date, then the report run on it.
    /// `location`: the database; `db`: what the replica is kept beside (`AppState::path`).
    pub fn report(&self, location: &Location, db: &Path, name: &str, params: &Params) -> Result<Report, DbError> {
        self.with_current(location, db, |store| {
            store.report(name, params).map_err(|e| match e {
                crm_core::error::Error::Validation(_) | crm_core::error::Error::Refused { .. } => {
                    DbError::Invalid(e.to_string())
                }
                other => core(other),
            })
        })
    }

    /// The custom fields an admin defined for `kind`, as of now (for the server's export).
    pub fn custom_fields(
        &self,
        location: &Location,
        db: &Path,
        kind: Kind,
    ) -> Result<Vec<crm_core::custom::Def>, DbError> {
        self.with_current(location, db, |store| crm_core::custom::defs(store.connection(), kind).map_err(core))
    }

    /// `f` on the replica brought up to date with the database.
    fn with_current<T>(
        &self,
        location: &Location,
        db: &Path,
        f: impl FnOnce(&mut Store) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        let mut held = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let conn = crate::db::open_connection(location)?;
        let epoch: String = conn.query_row("SELECT value FROM meta WHERE key = 'epoch'", [], |r| r.get(0))?;
        // A restored database is another history: the replica is made again.
        let stale = match held.as_ref() {
            Some(store) => store.meta("server_epoch").map_err(core)?.as_deref() != Some(epoch.as_str()),
            None => true,
        };
        if stale {
            *held = None;
            let base = replica_path(db).parent().unwrap_or(Path::new(".")).to_path_buf();
            std::fs::create_dir_all(&base).map_err(|e| DbError::Invalid(format!("making {}: {e}", base.display())))?;
            let (path, mut store) = open_replica(db)?;
            if store.meta("server_epoch").map_err(core)?.as_deref() != Some(epoch.as_str()) {
                drop(store);
                // The replica's own files only: another instance's may be beside it.
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.as_os_str().to_owned();
                    file.push(suffix);
                    match std::fs::remove_file(PathBuf::from(&file)) {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => return Err(DbError::Invalid(format!("clearing {}: {e}", path.display()))),
                    }
                }
                let _ = std::fs::remove_dir_all(crm_core::attachment::BlobDir::beside(&path).root());
                store = Store::open(&path).map_err(core)?;
                store.set_identity(SERVER_USER, "sync-server", "admin", None).map_err(core)?;
                store.set_setting("server_epoch", &epoch).map_err(core)?;
            }
            *held = Some(store);
        }
        let Some(store) = held.as_mut() else { return Err(DbError::Invalid("the report replica is not open".into())) };
        catch_up(store, &conn)?;
        f(store)
    }
}

fn core(e: crm_core::error::Error) -> DbError {
    DbError::Invalid(format!("the report replica: {e}"))
}

/// The replica to use: the database's own; when another server instance on the same database
/// holds it, one of this instance's (`extra-<uuid>/`), made after removing those no instance
/// holds any more.
fn open_replica(db: &Path) -> Result<(PathBuf, Store), DbError> {
    let path = replica_path(db);
    match Store::open(&path) {
        Err(crm_core::Error::InUse { .. }) => {}
        opened => return opened.map(|store| (path, store)).map_err(core),
    }
    let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    if let Ok(entries) = std::fs::read_dir(&base) {
        for entry in entries.flatten() {
            let dir = entry.path();
            let extra = entry.file_name().to_string_lossy().starts_with("extra-");
            // Openable means nobody holds it: a replica left by an instance that stopped.
            if extra && Store::open(dir.join("crm.sqlite3")).is_ok() {
                let _ = std::fs::remove_dir_all(&dir);
            }
        }
    }
    let dir = base.join(format!("extra-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).map_err(|e| DbError::Invalid(format!("making {}: {e}", dir.display())))?;
    let path = dir.join("crm.sqlite3");
    Store::open(&path).map(|store| (path, store)).map_err(core)
}

/// Bring `store` up to date with the database behind `conn`.
fn catch_up(store: &mut Store, conn: &Conn) -> Result<(), DbError> {
    conn.begin_read()?;
    let caught_up = catch_up_in_read(store, conn);
    let _ = conn.end_read();
    caught_up
}

fn catch_up_in_read(store: &mut Store, tx: &Conn) -> Result<(), DbError> {
    let top = tx.log_end()? as u64;
    let mut cursor = store.sync_cursor().map_err(core)?;
    if cursor == 0 && top > 0 {
        // Built from the snapshots, a page at a time, then from the log after `top`.
        let mut after = String::new();
        loop {
            // With the rows prepared when each snapshot was written: nothing to decode.
            let page: Vec<SnapshotDoc> = tx
                .prepare_cached(
                    "SELECT id, snapshot, prepared FROM docs WHERE id > ? AND length(snapshot) > 0 ORDER BY id LIMIT ?",
                )?
                .query_map(crate::params![after, PAGE as i64], |r| {
                    Ok(SnapshotDoc { doc: r.get(0)?, bytes: r.get(1)?, rows: r.get(2)? })
                })?
                .collect::<Result<_, _>>()?;
            let Some(last) = page.last() else { break };
            after = last.doc.clone();
            store.apply_snapshots(page, top).map_err(core)?;
        }
        store.set_sync_cursor(top).map_err(core)?;
        cursor = top;
    }
    while cursor < top {
        let batch: Vec<(i64, String, Option<Vec<u8>>)> = tx
            .prepare_cached("SELECT seq, doc_id, bytes FROM log WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?")?
            .query_map(crate::params![cursor as i64, top as i64, PAGE as i64], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<Result<_, _>>()?;
        let Some(&(last, _, _)) = batch.last() else { break };
        let changes: Vec<IncomingChange> = batch
            .into_iter()
            .filter_map(|(_, doc_id, bytes)| {
                bytes.filter(|b| !b.is_empty()).map(|bytes| IncomingChange { doc_id, bytes })
            })
            .collect();
        store.apply_changes_at(changes, Some(last as u64)).map_err(core)?;
        cursor = last as u64;
    }
    store.set_sync_cursor(top).map_err(core)?;
    Ok(())
}
