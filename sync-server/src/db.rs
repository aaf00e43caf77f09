//! The server's store: accounts, devices and their tokens and actor ids, the current state of
//! every document, and the change log with its monotonic sequence. One SQLite file (WAL,
//! `synchronous=FULL`): a change is acknowledged only after its transaction commits.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::sql::Location;

use crate::params;
use crate::sql::{params_from_iter, Conn, Optional, SqlError};
use automerge::ActorId;
use crm_core::attachment::BlobDir;
use crm_core::cache::DocCache;
use crm_core::document::{RecordDoc, RootMeta};
use crm_core::kind::{FieldType, Kind, Scope, ROLES};
use crm_core::store::hex;
use crm_core::sync::protocol::{Accepted, LoginRequest, LoginResponse, Refused, MAX_PUSH_OPS, MAX_RECORD_BYTES};
use crm_core::value::{format_datetime, now_ms, FieldValue};
use serde_json::json;
use uuid::Uuid;

use crate::access::{Principal, Teams};
use crate::audit;
use crate::auth;
use crate::limits;
use crm_core::access;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, display_name TEXT NOT NULL,
    role TEXT NOT NULL, team TEXT, password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS devices (
    id TEXT PRIMARY KEY, user_id TEXT NOT NULL, name TEXT NOT NULL, token_hash BLOB NOT NULL UNIQUE,
    code_prefix TEXT NOT NULL UNIQUE, expires_at INTEGER NOT NULL, revoked_at INTEGER,
    created_at INTEGER NOT NULL, last_seen INTEGER);
CREATE TABLE IF NOT EXISTS actors (actor TEXT PRIMARY KEY, device_id TEXT NOT NULL, user_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    id TEXT PRIMARY KEY, kind TEXT, customer TEXT, owner TEXT, scope_owner TEXT,
    snapshot BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS docs_customer ON docs(customer);
-- The records an indexed reference field of theirs names (other than `customer`, a column of
-- `docs`): a stock row's product, an order's contract. What guards narrow by (`ServerFacts`).
CREATE TABLE IF NOT EXISTS doc_refs (
    doc_id TEXT NOT NULL, field TEXT NOT NULL, target TEXT NOT NULL, PRIMARY KEY (doc_id, field));
CREATE INDEX IF NOT EXISTS doc_refs_target ON doc_refs(target, field);
-- The files (by hash) each record references: whoever may read the record may fetch them
-- (`crate::blobs`), and nobody may fetch a file no record of theirs references.
CREATE TABLE IF NOT EXISTS blob_refs (
    hash TEXT NOT NULL, doc_id TEXT NOT NULL, PRIMARY KEY (hash, doc_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS blob_refs_doc ON blob_refs(doc_id);
-- The files received complete, as their bytes turned out to be.
CREATE TABLE IF NOT EXISTS blobs (
    hash TEXT PRIMARY KEY, type TEXT NOT NULL, size INTEGER NOT NULL, stored_at INTEGER NOT NULL);
-- Messages written in the app and waiting to be sent (`crate::outbox`): an `email` or `sms`
-- activity whose `send_status` is `queued`, by its channel.
CREATE TABLE IF NOT EXISTS outbox (
    doc_id TEXT PRIMARY KEY, channel TEXT NOT NULL, queued_at INTEGER NOT NULL,
    claimed_at INTEGER);   -- when an instance took it for sending (`due_messages`)
-- The server's own settings (the SMTP relay), as JSON by key.
CREATE TABLE IF NOT EXISTS server_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Who a record is assigned to (its kind's `assigned` fields), with the customer and contact it
-- names: the assignee reads all three (see `crm_core::access`).
CREATE TABLE IF NOT EXISTS assignments (
    doc_id TEXT NOT NULL, user_id TEXT NOT NULL, customer TEXT, contact TEXT,
    PRIMARY KEY (doc_id, user_id));
CREATE INDEX IF NOT EXISTS assignments_user ON assignments(user_id);
CREATE INDEX IF NOT EXISTS assignments_customer ON assignments(customer);
CREATE INDEX IF NOT EXISTS assignments_contact ON assignments(contact);
CREATE TABLE IF NOT EXISTS log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL,
    event TEXT NOT NULL,          -- 'change', 'access', 'rescope' or 'grant'
    hash BLOB UNIQUE,             -- change: its hash
    bytes BLOB,                   -- change: its bytes
    device_id TEXT,               -- change: the device that pushed it (not sent back to it)
    old_scope TEXT, new_scope TEXT -- access: the scope owner before and after;
                                   -- grant: the user who lost, or gained, reading by assignment
);
";

const TOKEN_DAYS: i64 = 30;
/// How long a message taken for sending is this instance's alone (see `due_messages`).
const CLAIM_MS: i64 = 5 * 60_000;
/// Loaded documents kept in memory; an in-memory Automerge document is far larger than its
/// snapshot, so this bounds the server's memory.
const CACHE_DOCS: usize = 128;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database: {0}")]
    Sql(#[from] SqlError),
    #[error("{0}")]
    Invalid(String),
    /// A request refused for a reason a client can act on: a stable code and an English
    /// message (`username_taken`, `no_such_user`, `last_admin`, …; docs/protocol.md).
    #[error("{1}")]
    Refused(&'static str, String),
}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> DbError {
        DbError::Sql(SqlError::Sqlite(e))
    }
}

/// Why a token does not open a connection. Each maps to an HTTP status before the upgrade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthError {
    Missing,
    Invalid,
    Expired,
    Revoked,
    Disabled,
}

impl AuthError {
    pub fn code(self) -> &'static str {
        match self {
            AuthError::Missing => "token_missing",
            AuthError::Invalid => "token_invalid",
            AuthError::Expired => "token_expired",
            AuthError::Revoked => "device_revoked",
            AuthError::Disabled => "user_disabled",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            AuthError::Missing => "sign in first: no token was sent",
            AuthError::Invalid => "the token is not valid; sign in again",
            AuthError::Expired => "the token has expired; sign in again",
            AuthError::Revoked => "this device was revoked by an administrator; its local data must be removed",
            AuthError::Disabled => "this account is disabled",
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub team: Option<String>,
    pub disabled: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DeviceRow {
    pub id: String,
    pub username: String,
    pub name: String,
    pub code_prefix: String,
    pub created_at: String,
    pub last_seen: Option<String>,
    pub revoked: bool,
}

/// What a push came to: the changes stored (or already held) and refused, and the log
/// entries it wrote, for the live tail.
pub struct Ingested {
    pub accepted: Vec<Accepted>,
    pub refused: Vec<Refused>,
    pub live: crate::live::Batch,
}

/// The outcome of one repair round: the server's next sync message (none when done) and
/// what happened to the changes it learned.
pub struct RepairRound {
    pub reply: Option<Vec<u8>>,
    /// The stored document's kind, scope owner and whether the courier reads it by an
    /// assignment, for the read check of the reply; `None` when the server holds nothing of it.
    pub stored: Option<(Option<Kind>, Option<String>, bool)>,
    pub accepted: Vec<Accepted>,
    pub refused: Vec<Refused>,
}

/// An account as found at sign-in, before its password is checked.
#[derive(Debug, Clone)]
pub struct LoginAccount {
    pub user_id: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: String,
    pub disabled: bool,
}

/// What the server knows about a document for access decisions.
#[derive(Debug, Clone, PartialEq)]
struct DocMeta {
    kind: Option<Kind>,
    owner: Option<String>,
    customer: Option<String>,
    contact: Option<String>,
    created_by: Option<String>,
    created_at: Option<i64>,
    deleted: bool,
    /// Who it is assigned to (its kind's `assigned` fields).
    assignees: Vec<String>,
    /// A customer's grade; an activity's time, a customer's `owned_at` (UTC ms): what
    /// recycling to the pool reads.
    grade: Option<String>,
    time: Option<i64>,
    /// Its indexed reference fields but `customer`, with the records they name (`doc_refs`).
    refs: Vec<(&'static str, String)>,
    /// The files it references (`blob_refs`).
    blobs: Vec<String>,
    /// The record whose owner's scope it is in (`access::scope_parent`): its customer, or
    /// the lead an activity was logged on.
    parent: Option<(Kind, String)>,
    /// A message's state and channel (`outbox` holds the queued ones).
    send_status: Option<String>,
    channel: Option<String>,
}

/// Whether `doc_refs` keeps this field: an indexed reference other than `customer` (a column
/// of `docs`).
fn in_doc_refs(f: &crm_core::kind::FieldSpec) -> bool {
    f.indexed && f.name != "customer" && matches!(f.ty, FieldType::Ref(_))
}

fn doc_meta(doc: &RecordDoc) -> DocMeta {
    doc_meta_read(&doc.root_meta(), |f| doc.read(f))
}

/// [`doc_meta`] from the record's own keys (kind, created, deleted) and its fields' values
/// read by `field`, read already (by [`RecordDoc::checked_snapshot`], say).
fn doc_meta_read(root: &RootMeta, field: impl Fn(&crm_core::kind::FieldSpec) -> Option<FieldValue>) -> DocMeta {
    let kind = root.kind;
    let value = |name: &str| kind.and_then(|k| k.spec().field(name)).and_then(&field);
    let read = |name: &str| match value(name) {
        Some(FieldValue::Str(s)) => Some(s),
        _ => None,
    };
    let read_ms = |name: &str| match value(name) {
        Some(FieldValue::DateTime(ms)) => Some(ms),
        _ => None,
    };
    DocMeta {
        kind,
        owner: read("owner"),
        customer: read("customer"),
        contact: read("contact"),
        created_by: root.created_by.clone(),
        created_at: root.created_at,
        deleted: root.deleted_at.is_some(),
        assignees: kind.map(|k| crm_core::workflow::assignees_read(k, &field)).unwrap_or_default(),
        grade: read("grade"),
        // An activity's time; for a customer, when its owner took it (a claim or a transfer).
        time: match kind {
            Some(Kind::Customer) => read_ms("owned_at"),
            Some(_) => read_ms("time"),
            None => None,
        },
        refs: kind
            .map(|k| {
                k.spec()
                    .fields
                    .iter()
                    .filter(|f| in_doc_refs(f))
                    .filter_map(|f| read(f.name).map(|target| (f.name, target)))
                    .collect()
            })
            .unwrap_or_default(),
        blobs: kind
            .map(|k| {
                let mut hashes: Vec<String> =
                    crm_core::attachment::referenced(k.spec(), &field).into_iter().map(|r| r.hash).collect();
                hashes.dedup();
                hashes
            })
            .unwrap_or_default(),
        parent: kind.and_then(|k| access::scope_parent(k, read)),
        send_status: read("send_status"),
        channel: read("type").filter(|t| crm_core::domain::messages::CHANNELS.contains(&t.as_str())),
    }
}

pub struct ServerDb {
    conn: Conn,
    cache: Docs,
    system_actor: ActorId,
    /// Who the audit log names for the account and device changes made through this handle:
    /// the admin command line unless [`ServerDb::acting`] says otherwise.
    actor: audit::Actor,
    /// A SQLite writer's checkpoints, made beside it (dropped after `conn`: declared later).
    _checkpoints: Option<crate::sql::Checkpoints>,
}

/// The SQLite writer's page cache (negative: KiB), 16 MB.
const WRITER_CACHE_KIB: i64 = -16_384;

/// Every user's team, for team-scoped access decisions.
pub fn teams(conn: &Conn) -> Result<Teams, DbError> {
    let mut stmt = conn.prepare_cached("SELECT id, team FROM users")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<String>(0)?, r.get::<Option<String>>(1)?)))?;
    Ok(rows.collect::<Result<HashMap<_, _>, _>>()?)
}

/// A connection to the server's database (`Location`: a SQLite file or a PostgreSQL URL).
pub fn open_connection(location: impl Into<Location>) -> Result<Conn, DbError> {
    Ok(Conn::open(&location.into())?)
}

/// The server's tables as this version has them: made on a new database, brought up to date
/// on one an earlier version made (columns added, and what they hold filled in).
pub(crate) fn create_schema(conn: &Conn) -> Result<(), DbError> {
    conn.execute_schema(SCHEMA)?;
    conn.execute_schema(audit::SCHEMA)?;
    add_column(conn, "log", "device_id", "TEXT")?;
    // The queue of emails alone, before text messages joined it (`outbox`): its field was
    // renamed with it (`email_status` to `send_status`) before any release, so it is dropped.
    conn.execute_batch("DROP TABLE IF EXISTS mail_queue")?;
    add_column(conn, "docs", "deleted", "INTEGER NOT NULL DEFAULT 0")?;
    // What the pool's recycling reads: a customer's grade and creation, an activity's time.
    if add_column(conn, "docs", "time", "INTEGER")? {
        add_column(conn, "docs", "grade", "TEXT")?;
        add_column(conn, "docs", "created_at", "INTEGER")?;
        backfill_business_columns(conn)?;
    }
    add_column(conn, "outbox", "claimed_at", "INTEGER")?;
    add_column(conn, "docs", "prepared", "BLOB")?;
    conn.collate_text_bytewise(crate::migrate::TABLES)?;
    Ok(())
}

impl ServerDb {
    pub fn open(location: impl Into<Location>) -> Result<ServerDb, DbError> {
        let location = location.into();
        let conn = open_connection(location.clone())?;
        // Instances starting together on one PostgreSQL database set it up one at a time.
        let setting_up = conn.setup_lock()?;
        create_schema(&conn)?;
        // Rows prepared by another version of the read models are not this one's to send.
        let read_models: Option<String> =
            conn.query_row("SELECT value FROM meta WHERE key = 'read_models'", [], |r| r.get(0)).optional()?;
        if read_models.as_deref() != Some(crm_core::projection::version()) {
            let tx = conn.transaction()?;
            tx.execute("UPDATE docs SET prepared = NULL WHERE prepared IS NOT NULL", [])?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('read_models', ?1) ON CONFLICT (key) DO UPDATE SET value = ?1",
                [crm_core::projection::version()],
            )?;
            tx.commit()?;
        }
        let assigned: Option<String> =
            conn.query_row("SELECT value FROM meta WHERE key = 'assignments_filled'", [], |r| r.get(0)).optional()?;
        if assigned.is_none() {
            // Records stored before the server kept assignments: their assignees read them now.
            let tx = conn.transaction()?;
            backfill_assignments(&tx)?;
            tx.execute("INSERT INTO meta (key, value) VALUES ('assignments_filled', '1')", [])?;
            tx.commit()?;
        }
        let refs: Option<String> =
            conn.query_row("SELECT value FROM meta WHERE key = 'refs_filled'", [], |r| r.get(0)).optional()?;
        if refs.is_none() {
            let tx = conn.transaction()?;
            backfill_refs(&tx)?;
            tx.execute("INSERT INTO meta (key, value) VALUES ('refs_filled', '1')", [])?;
            tx.commit()?;
        }
        let actor: Option<String> =
            conn.query_row("SELECT value FROM meta WHERE key = 'system_actor'", [], |r| r.get(0)).optional()?;
        let actor = match actor {
            Some(a) => a,
            None => {
                let a = hex(Uuid::new_v4().as_bytes());
                conn.execute("INSERT INTO meta (key, value) VALUES ('system_actor', ?)", [&a])?;
                a
            }
        };
        let system_actor = ActorId::from(crm_core::store::hex_decode(&actor).unwrap_or_default());
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('epoch', ?) ON CONFLICT DO NOTHING",
            [Uuid::new_v4().to_string()],
        )?;
        drop(setting_up);
        let checkpoints = match (&location, conn.sqlite()) {
            (Location::Sqlite(path), Some(writer)) => {
                // The writer's pages: an ingest's index lookups stay in memory.
                writer.pragma_update(None, "cache_size", WRITER_CACHE_KIB)?;
                crate::sql::Checkpoints::start(path, writer)?
            }
            _ => None,
        };
        let mut db =
            ServerDb { conn, cache: Docs::new(), system_actor, actor: audit::Actor::cli(), _checkpoints: checkpoints };
        db.seed_reference_data()?;
        Ok(db)
    }

    /// Return to the pool the customers whose grade's rule (`grade_rule` records an admin
    /// keeps; by default none) says were neglected: no activity for `recycle_days` (counted
    /// from their creation when they have none). The server writes the change itself, as any
    /// transfer: everyone gains the customer to read (the pool is open to all). Devices warn
    /// the owner `recycle_warning_days` before (`crm_core::domain::reminders`). Returns the
    /// customers recycled.
    /// Prepare the read-model rows of up to `limit` records that have none (their rows were of
    /// another read-model version, cleared when this version opened the database); returns
    /// how many. The server runs this a batch at a time while it is up, so bootstraps are fast
    /// again soon after an upgrade even for records nobody edits.
    pub fn prepare_missing(&mut self, limit: usize) -> Result<usize, DbError> {
        let tx = self.conn.transaction()?;
        let rows: Vec<(String, Vec<u8>)> = tx
            .prepare_cached(
                "SELECT id, snapshot FROM docs WHERE prepared IS NULL AND kind IS NOT NULL AND length(snapshot) > 0
                 LIMIT ?",
            )?
            .query_map([limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (id, snapshot) in &rows {
            let Ok(mut doc) = RecordDoc::load(snapshot, Vec::new()) else { continue };
            // A record of a kind this version does not know gets an empty value, not retried.
            let rows = prepared_rows(id, &mut doc).unwrap_or_default();
            tx.prepare_cached("UPDATE docs SET prepared = ? WHERE id = ?")?.execute(params![rows, id])?;
        }
        tx.commit()?;
        Ok(rows.len())
    }

    /// The SMTP relay the admin configured, if any.
    pub fn smtp(&self) -> Result<Option<crate::mail::SmtpConfig>, DbError> {
        let value: Option<String> =
            self.conn.query_row("SELECT value FROM server_settings WHERE key = 'smtp'", [], |r| r.get(0)).optional()?;
        Ok(value.and_then(|v| serde_json::from_str(&v).ok()))
    }

    /// Configure the SMTP relay (`None`: emails stay queued until one is).
    pub fn set_smtp(&mut self, config: Option<&crate::mail::SmtpConfig>) -> Result<(), DbError> {
        match config {
            Some(c) => self.conn.execute(
                "INSERT INTO server_settings (key, value) VALUES ('smtp', ?1) ON CONFLICT (key) DO UPDATE SET value = ?1",
                [serde_json::to_string(c).map_err(|e| DbError::Invalid(e.to_string()))?],
            )?,
            None => self.conn.execute("DELETE FROM server_settings WHERE key = 'smtp'", [])?,
        };
        self.audit("smtp_changed", None, json!({ "host": config.map(|c| &c.host), "port": config.map(|c| c.port) }))
    }

    /// Queued messages going out by one of `channels` (`email`, `sms`), oldest first.
    pub fn due_messages(&mut self, limit: usize, channels: &[&str]) -> Result<Vec<crate::outbox::Outgoing>, DbError> {
        if channels.is_empty() {
            return Ok(Vec::new());
        }
        // Taken by this instance for a while (`CLAIM_MS`): another instance on the same database
        // does not send them too; should this one die before it says how the sending went, the
        // claim runs out and they are sent again (at least once, as the outbox promises).
        let marks = vec!["?"; channels.len()].join(", ");
        let now = crm_core::value::now_ms();
        let sql = format!(
            "SELECT doc_id FROM outbox WHERE channel IN ({marks}) AND COALESCE(claimed_at, 0) < {}
             ORDER BY queued_at, doc_id LIMIT {limit}",
            now - CLAIM_MS
        );
        let tx = self.conn.transaction()?;
        let ids: Vec<String> =
            tx.prepare_cached(&sql)?.query_map(params_from_iter(channels), |r| r.get(0))?.collect::<Result<_, _>>()?;
        for id in &ids {
            tx.prepare_cached("UPDATE outbox SET claimed_at = ? WHERE doc_id = ?")?.execute(params![now, id])?;
        }
        tx.commit()?;
        let spec = Kind::Activity.spec();
        let mut out = Vec::new();
        for id in ids {
            let doc = current_doc(&mut self.cache, &self.conn, &id)?;
            let text = |name: &str| match spec.field(name).and_then(|f| doc.read(f)) {
                Some(FieldValue::Str(s)) => s,
                _ => String::new(),
            };
            let message = match text("type").as_str() {
                "sms" => crate::outbox::Outgoing {
                    id: id.clone(),
                    channel: crate::outbox::Channel::Sms,
                    to: text("sms_to"),
                    subject: String::new(),
                    body: text("sms_text"),
                },
                _ => crate::outbox::Outgoing {
                    id: id.clone(),
                    channel: crate::outbox::Channel::Email,
                    to: text("email_to"),
                    subject: text("subject"),
                    body: text("email_body"),
                },
            };
            out.push(message);
            self.cache.put(&id, doc);
        }
        Ok(out)
    }

    /// What became of message `id`: `sent`, or `failed` with why (the relay's or the
    /// provider's words) — written into the activity as the system, so every device that
    /// reads it learns.
    pub fn send_outcome(&mut self, id: &str, outcome: Result<(), String>, now_ms: i64) -> Result<(), DbError> {
        let spec = Kind::Activity.spec();
        let field = |name: &str| spec.field(name).ok_or_else(|| DbError::Invalid(format!("no {name}")));
        let (status, error, sent_at) = (field("send_status")?, field("send_error")?, field("sent_at")?);
        let tx = self.conn.transaction()?;
        let mut doc = current_doc(&mut self.cache, &tx, id)?;
        let still_queued = matches!(doc.read(status), Some(FieldValue::Str(s)) if s == "queued");
        if !still_queued {
            tx.execute("DELETE FROM outbox WHERE doc_id = ?", [id])?;
            tx.commit()?;
            return Ok(());
        }
        doc.set_actor(&self.system_actor);
        let written = match &outcome {
            Ok(()) => doc
                .write(status, Some(&FieldValue::Str("sent".into())), false)
                .and_then(|()| doc.write(sent_at, Some(&FieldValue::DateTime(now_ms)), false)),
            Err(why) => doc
                .write(status, Some(&FieldValue::Str("failed".into())), false)
                .and_then(|()| doc.write(error, Some(&FieldValue::Str(why.chars().take(1000).collect())), false)),
        };
        written.map_err(|e| DbError::Invalid(e.to_string()))?;
        if let Some(mut change) = doc.commit("system", now_ms / 1000) {
            store_own_change(&tx, id, Kind::Activity, &mut doc, &mut change)?;
            let meta = doc_meta(&doc);
            let scope = scope_owner(&tx, &meta)?;
            write_doc_row(&tx, id, &meta, scope.as_deref(), false)?;
        }
        let committed = tx.commit();
        match committed {
            Ok(()) => {
                self.cache.put(id, doc);
                Ok(())
            }
            Err(e) => {
                self.cache.clear();
                Err(e.into())
            }
        }
    }

    pub fn recycle(&mut self, now_ms: i64) -> Result<Vec<String>, DbError> {
        let rules: Vec<(String, i64)> = self
            .grade_rules()?
            .into_iter()
            .filter(|r| r.recycle_days > 0)
            .filter_map(|r| r.grade.map(|g| (g, r.recycle_days)))
            .collect();
        let mut due = Vec::new();
        for (grade, days) in &rules {
            let cutoff = now_ms.saturating_sub(days.saturating_mul(86_400_000));
            let ids: Vec<String> = self
                .conn
                .prepare_cached(
                    // Quiet since the latest activity or the owner's taking it, whichever is
                    // later; with neither, since its creation (as the devices count it).
                    "SELECT id FROM (
                       SELECT c.id, c.time AS owned_at, c.created_at,
                              (SELECT MAX(a.time) FROM docs a
                               WHERE a.customer = c.id AND a.kind = 'activity' AND a.deleted = 0) AS last
                       FROM docs c WHERE c.kind = 'customer' AND c.deleted = 0 AND c.owner IS NOT NULL
                         AND c.grade = ?1) AS quiet
                     WHERE (CASE WHEN last IS NULL AND owned_at IS NULL THEN COALESCE(created_at, ?2)
                            WHEN COALESCE(last, 0) > COALESCE(owned_at, 0) THEN last
                            ELSE owned_at END) < ?3",
                )?
                .query_map(params![grade, now_ms, cutoff], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            due.extend(ids.into_iter().map(|id| (id, *days)));
        }
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let spec = Kind::Customer.spec();
        let (Some(owner), Some(reason)) = (spec.field("owner"), spec.field("pool_reason")) else {
            return Ok(Vec::new());
        };
        let tx = self.conn.transaction()?;
        let mut recycled = Vec::new();
        for (id, days) in due {
            let mut doc = current_doc(&mut self.cache, &tx, &id)?;
            let before = doc_meta(&doc);
            doc.set_actor(&self.system_actor);
            let why = FieldValue::Str(format!("自动回收：{days} 天无业务往来 (recycled: no business for {days} days)"));
            let written = doc.write(owner, None, false).and_then(|()| doc.write(reason, Some(&why), false));
            written.map_err(|e| DbError::Invalid(e.to_string()))?;
            let Some(mut change) = doc.commit("system", now_ms / 1000) else {
                self.cache.put(&id, doc);
                continue;
            };
            store_own_change(&tx, &id, Kind::Customer, &mut doc, &mut change)?;
            let after = doc_meta(&doc);
            write_doc_row(&tx, &id, &after, None, false)?;
            record_transfer(&tx, &id, Some(Kind::Customer), before.owner.as_deref(), None)?;
            let system = audit::Actor { id: "system".into(), ..Default::default() };
            audit::record(
                &tx,
                &system,
                "transfer",
                Some(&id),
                json!({"from": before.owner, "to": null, "why": "recycled"}),
            )?;
            self.cache.put(&id, doc);
            recycled.push(id);
        }
        let committed = tx.commit();
        if committed.is_err() {
            self.cache.clear();
        }
        committed?;
        Ok(recycled)
    }

    /// Every grade's rules as the admin set them (`grade_rule` records), else the defaults.
    fn grade_rules(&self) -> Result<Vec<crm_core::domain::churn::GradeRule>, DbError> {
        let snapshots: Vec<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT snapshot FROM docs WHERE kind = 'grade_rule' AND deleted = 0")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let spec = Kind::GradeRule.spec();
        let mut out = Vec::new();
        for snapshot in snapshots {
            let Ok(doc) = RecordDoc::load(&snapshot, Vec::new()) else { continue };
            let read = |name: &str| spec.field(name).and_then(|f| doc.read(f));
            let Some(FieldValue::Str(grade)) = read("grade") else { continue };
            let mut rule = crm_core::domain::churn::default_rule(Some(&grade));
            let int = |name: &str, default: i64| match read(name) {
                Some(FieldValue::Int(n)) => n,
                _ => default,
            };
            rule.churn_days = int("churn_days", rule.churn_days);
            rule.churn_warning_days = int("churn_warning_days", rule.churn_warning_days);
            rule.recycle_days = int("recycle_days", rule.recycle_days);
            rule.recycle_warning_days = int("recycle_warning_days", rule.recycle_warning_days);
            out.push(rule);
        }
        Ok(out)
    }

    /// The default dictionary entries every device starts with, as the same changes
    /// ([`crm_core::seed::records`]): an admin's edit of one builds on a change the
    /// server has. Devices already hold them, so sending them is a no-op there.
    fn seed_reference_data(&mut self) -> Result<(), DbError> {
        let seeds = crm_core::seed::records().map_err(|e| DbError::Invalid(e.to_string()))?;
        let tx = self.conn.transaction()?;
        for (id, mut doc, mut change) in seeds {
            let known: bool = tx
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM docs WHERE id = ?1) OR EXISTS (SELECT 1 FROM log WHERE hash = ?2)",
                )?
                .query_row(params![id, change.hash().0.as_slice()], |r| r.get(0))?;
            if known {
                continue;
            }
            let kind = doc.kind().unwrap_or(Kind::DictEntry);
            store_own_change(&tx, &id, kind, &mut doc, &mut change)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// This database's epoch, renewed by [`restore`]: a device whose cursor belongs to
    /// another epoch is bootstrapped again and re-sends its own changes.
    pub fn epoch(&self) -> Result<String, DbError> {
        Ok(self.conn.query_row("SELECT value FROM meta WHERE key = 'epoch'", [], |r| r.get(0))?)
    }

    /// Replace this database's contents with a backup while the server runs (see
    /// [`restore_live`]); reopen it afterwards. Returns the new epoch.
    /// `detail` goes into the restore's audit entry (the backup kept of the state before).
    pub fn restore_from(
        &mut self,
        from: &Path,
        by: &audit::Actor,
        detail: serde_json::Value,
    ) -> Result<String, DbError> {
        restore_live(&mut self.conn, from, by, detail)
    }

    pub fn connection(&self) -> &Conn {
        &self.conn
    }

    /// Name `actor` in the audit log for what this handle does next (an admin over HTTP).
    pub fn acting(&mut self, actor: audit::Actor) -> &mut Self {
        self.actor = actor;
        self
    }

    /// Add an audit entry as the current actor.
    pub fn audit(&self, action: &str, target: Option<&str>, detail: serde_json::Value) -> Result<(), DbError> {
        audit::record(&self.conn, &self.actor, action, target, detail)
    }

    // ---- accounts ----------------------------------------------------------------------

    /// Add an account, and its `user` record so every device can show the name.
    pub fn add_user(
        &mut self,
        username: &str,
        display_name: &str,
        role: &str,
        team: Option<&str>,
        password: &str,
    ) -> Result<String, DbError> {
        if !ROLES.contains(&role) {
            return Err(unknown_role(role));
        }
        if username.trim().is_empty() || username.len() > 64 || username.chars().any(char::is_whitespace) {
            return Err(DbError::Refused("invalid_username", "a username is 1 to 64 characters without spaces".into()));
        }
        check_password(password)?;
        let exists: bool =
            self.conn.query_row("SELECT EXISTS (SELECT 1 FROM users WHERE username = ?)", [username], |r| r.get(0))?;
        if exists {
            return Err(DbError::Refused("username_taken", format!("user '{username}' already exists")));
        }
        let id = Uuid::now_v7().to_string();
        let hash = auth::hash_password(password).map_err(DbError::Invalid)?;
        let mut values = vec![
            ("username", FieldValue::Str(username.into())),
            ("display_name", FieldValue::Str(display_name.into())),
            ("role", FieldValue::Str(role.into())),
            ("active", FieldValue::Bool(true)),
        ];
        if let Some(team) = team {
            values.push(("team", FieldValue::Str(team.into())));
        }
        let mut doc = RecordDoc::create_named(&self.system_actor, Kind::User, now_ms(), "system", &values)
            .map_err(|e| DbError::Invalid(e.to_string()))?;
        let mut change = doc
            .commit("system", now_ms() / 1000)
            .ok_or_else(|| DbError::Invalid("the user record produced no change".into()))?;
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO users (id, username, display_name, role, team, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            params![id, username, display_name, role, team, hash, now_ms()],
        )?;
        store_own_change(&tx, &id, Kind::User, &mut doc, &mut change)?;
        audit::record(&tx, &self.actor, "user_added", Some(username), json!({"id": id, "role": role, "team": team}))?;
        tx.commit()?;
        Ok(id)
    }

    /// Make every user record say what the accounts table says (username, role, team,
    /// active), as changes from the server's own actor that sync like any other. The admin
    /// commands change the table from another process; the serving process runs this at start
    /// and whenever accounts changed, so its document cache never misses a change. Returns
    /// the last log position written (0 if nothing changed).
    pub fn reconcile_user_records(&mut self) -> Result<u64, DbError> {
        let accounts: Vec<(String, AccountRow)> = self
            .conn
            .prepare_cached("SELECT id, username, role, team, disabled FROM users")?
            .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))))?
            .collect::<Result<_, _>>()?;
        let spec = Kind::User.spec();
        let tx = self.conn.transaction()?;
        let mut top = 0;
        for (id, account) in accounts {
            let mut doc = current_doc(&mut self.cache, &tx, &id)?;
            let want = account_row_values(&account);
            if doc.kind() != Some(Kind::User) || account_values(&doc) == want {
                self.cache.put(&id, doc);
                continue;
            }
            doc.set_actor(&self.system_actor);
            let (username, role, team, active) = want;
            for (name, value) in [("username", username), ("role", role), ("team", team), ("active", active)] {
                if let Some(field) = spec.field(name) {
                    doc.write(field, value.as_ref(), false).map_err(|e| DbError::Invalid(e.to_string()))?;
                }
            }
            let Some(mut change) = doc.commit("system", now_ms() / 1000) else {
                self.cache.put(&id, doc);
                continue;
            };
            top = store_own_change(&tx, &id, Kind::User, &mut doc, &mut change)?;
            self.cache.put(&id, doc);
        }
        let committed = tx.commit();
        if committed.is_err() {
            self.cache.clear();
        }
        committed?;
        Ok(top)
    }

    pub fn users(&self) -> Result<Vec<UserRow>, DbError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, username, display_name, role, team, disabled FROM users ORDER BY username")?;
        let rows = stmt.query_map([], |r| {
            Ok(UserRow {
                id: r.get(0)?,
                username: r.get(1)?,
                display_name: r.get(2)?,
                role: r.get(3)?,
                team: r.get(4)?,
                disabled: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn set_disabled(&mut self, username: &str, disabled: bool) -> Result<(), DbError> {
        let tx = self.conn.transaction()?;
        let target: Option<(String, String)> = tx
            .query_row("SELECT id, role FROM users WHERE username = ?", [username], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let Some((user_id, role)) = target else {
            return Err(no_such_user(username));
        };
        if disabled && !self.actor.is_cli() {
            if user_id == self.actor.id {
                return Err(DbError::Refused(
                    "own_account",
                    "you cannot disable the account you are signed in with".into(),
                ));
            }
            if role == "admin" {
                last_admin_check(&tx, &user_id)?;
            }
        }
        tx.execute("UPDATE users SET disabled = ? WHERE id = ?", params![disabled, user_id])?;
        let action = if disabled { "user_disabled" } else { "user_enabled" };
        audit::record(&tx, &self.actor, action, Some(username), serde_json::Value::Null)?;
        bump_auth_version(&tx)?;
        tx.commit()?;
        Ok(())
    }

    pub fn set_password(&mut self, username: &str, password: &str) -> Result<(), DbError> {
        check_password(password)?;
        let hash = auth::hash_password(password).map_err(DbError::Invalid)?;
        let n = self.conn.execute("UPDATE users SET password_hash = ? WHERE username = ?", params![hash, username])?;
        if n == 0 {
            return Err(no_such_user(username));
        }
        self.audit("password_reset", Some(username), serde_json::Value::Null)
    }

    pub fn teams(&self) -> Result<Teams, DbError> {
        teams(&self.conn)
    }

    // ---- devices -----------------------------------------------------------------------

    /// The account behind `username`, for checking a password off the writer lock.
    pub fn login_account(&self, username: &str) -> Result<Option<LoginAccount>, DbError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, display_name, role, password_hash, disabled FROM users WHERE username = ?",
                [username],
                |r| {
                    Ok(LoginAccount {
                        user_id: r.get(0)?,
                        display_name: r.get(1)?,
                        role: r.get(2)?,
                        password_hash: r.get(3)?,
                        disabled: r.get(4)?,
                    })
                },
            )
            .optional()?)
    }

    /// Register a device, with its actor id, for an account from [`ServerDb::login_account`]
    /// whose password the caller checked (off the writer lock: see `login.rs`).
    pub fn register_device(&mut self, account: &LoginAccount, req: &LoginRequest) -> Result<LoginResponse, DbError> {
        let LoginAccount { user_id, display_name, role, .. } = account.clone();
        let disabled: bool = self
            .conn
            .query_row("SELECT disabled FROM users WHERE id = ?", [&user_id], |r| r.get(0))
            .optional()?
            .unwrap_or(true);
        if disabled {
            return Err(DbError::Invalid("this account was disabled while signing in".into()));
        }
        let actor = req.actor.to_lowercase();
        if crm_core::store::hex_decode(&actor).is_none_or(|b| !(8..=32).contains(&b.len())) {
            return Err(DbError::Invalid("actor must be 8 to 32 bytes of hex".into()));
        }
        let taken: bool =
            self.conn.query_row("SELECT EXISTS (SELECT 1 FROM actors WHERE actor = ?)", [&actor], |r| r.get(0))?;
        if taken {
            return Err(DbError::Invalid("this actor id is already registered; use a new one".into()));
        }
        let token = auth::new_token();
        let expires = now_ms() + TOKEN_DAYS * 86_400_000;
        let tx = self.conn.transaction()?;
        // Signing in again on the same device (after signing out) keeps the device, so its
        // earlier actors stay its own; only this user's devices that are not revoked.
        let resumed: Option<(String, String)> = match &req.resume_device {
            Some(id) => tx
                .query_row(
                    "SELECT id, code_prefix FROM devices WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
                    params![id, user_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?,
            None => None,
        };
        let (device_id, code_prefix) = match resumed {
            Some((device_id, code_prefix)) => {
                tx.execute(
                    "UPDATE devices SET token_hash = ?, expires_at = ?, name = ? WHERE id = ?",
                    params![auth::token_hash(&token), expires, req.device_name, device_id],
                )?;
                (device_id, code_prefix)
            }
            None => {
                let device_id = Uuid::now_v7().to_string();
                let n: i64 = tx.query_row("SELECT COUNT(*) FROM devices", [], |r| r.get(0))?;
                let code_prefix = device_prefix(n as u64 + 1);
                tx.execute(
                    "INSERT INTO devices (id, user_id, name, token_hash, code_prefix, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    params![device_id, user_id, req.device_name, auth::token_hash(&token), code_prefix, expires, now_ms()],
                )?;
                (device_id, code_prefix)
            }
        };
        tx.execute(
            "INSERT INTO actors (actor, device_id, user_id) VALUES (?, ?, ?)",
            params![actor, device_id, user_id],
        )?;
        // Actors this store wrote with that no device holds (the server was restored from a
        // backup older than them): this device's again. Never the server's own actors.
        let system = hex(self.system_actor.to_bytes());
        for previous in req.previous_actors.iter().take(MAX_PREVIOUS_ACTORS) {
            let previous = previous.to_lowercase();
            let valid = crm_core::store::hex_decode(&previous).is_some_and(|b| (8..=32).contains(&b.len()));
            if valid && previous != system && !crm_core::seed::is_seed_actor(&previous) {
                tx.execute(
                    "INSERT INTO actors (actor, device_id, user_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    params![previous, device_id, user_id],
                )?;
            }
        }
        tx.commit()?;
        Ok(LoginResponse {
            token,
            user_id,
            display_name,
            role,
            device_id,
            code_prefix,
            expires_at: format_datetime(expires),
        })
    }

    pub fn authenticate(&self, token: Option<&str>) -> Result<Result<Principal, AuthError>, DbError> {
        let Some(token) = token.filter(|t| !t.is_empty()) else { return Ok(Err(AuthError::Missing)) };
        let device: Option<String> = self
            .conn
            .query_row("SELECT id FROM devices WHERE token_hash = ?", [auth::token_hash(token)], |r| r.get(0))
            .optional()?;
        let Some(device_id) = device else { return Ok(Err(AuthError::Invalid)) };
        let who = device_principal(&self.conn, &device_id)?;
        if who.is_ok() {
            self.conn.execute("UPDATE devices SET last_seen = ? WHERE id = ?", params![now_ms(), device_id])?;
        }
        Ok(who)
    }

    /// Change an account's role and/or team. Its open connections are re-scoped at once and
    /// devices that are offline when it happens at their next connection: the log records
    /// the change, so each device gains and drops records as if they had been transferred.
    pub fn set_role_team(
        &mut self,
        username: &str,
        role: Option<&str>,
        team: Option<Option<&str>>,
    ) -> Result<(), DbError> {
        if let Some(role) = role.filter(|r| access::Role::parse(r).is_none()) {
            return Err(unknown_role(role));
        }
        let tx = self.conn.transaction()?;
        let current: Option<(String, String, Option<String>)> = tx
            .query_row("SELECT id, role, team FROM users WHERE username = ?", [username], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        let Some((user_id, old_role, old_team)) = current else {
            return Err(no_such_user(username));
        };
        let new_role = role.map_or(old_role.clone(), str::to_string);
        if old_role == "admin" && new_role != "admin" && !self.actor.is_cli() {
            last_admin_check(&tx, &user_id)?;
        }
        let new_team = team.map_or(old_team.clone(), |t| t.map(str::to_string));
        if (&new_role, &new_team) == (&old_role, &old_team) {
            return Ok(());
        }
        tx.execute("UPDATE users SET role = ?, team = ? WHERE id = ?", params![new_role, new_team, user_id])?;
        tx.execute(
            "INSERT INTO log (doc_id, event, old_scope, new_scope) VALUES (?, 'rescope', ?, ?)",
            params![
                user_id,
                encode_scope(&old_role, old_team.as_deref()),
                encode_scope(&new_role, new_team.as_deref())
            ],
        )?;
        audit::record(
            &tx,
            &self.actor,
            "user_changed",
            Some(username),
            json!({"role": [old_role, new_role], "team": [old_team, new_team]}),
        )?;
        bump_auth_version(&tx)?;
        tx.commit()?;
        Ok(())
    }

    pub fn devices(&self) -> Result<Vec<DeviceRow>, DbError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT d.id, u.username, d.name, d.code_prefix, d.created_at, d.last_seen, d.revoked_at IS NOT NULL
             FROM devices d JOIN users u ON u.id = d.user_id ORDER BY d.created_at",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(DeviceRow {
                id: r.get(0)?,
                username: r.get(1)?,
                name: r.get(2)?,
                code_prefix: r.get(3)?,
                created_at: format_datetime(r.get(4)?),
                last_seen: r.get::<Option<i64>>(5)?.map(format_datetime),
                revoked: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn revoke_device(&mut self, device_id: &str) -> Result<(), DbError> {
        if self.actor.device.as_deref() == Some(device_id) {
            return Err(DbError::Refused("own_device", "you cannot revoke the device you are using".into()));
        }
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            params![now_ms(), device_id],
        )?;
        if n == 0 {
            return Err(DbError::Refused("no_such_device", format!("no active device '{device_id}'")));
        }
        audit::record(&tx, &self.actor, "device_revoked", Some(device_id), serde_json::Value::Null)?;
        bump_auth_version(&tx)?;
        tx.commit()?;
        Ok(())
    }

    // ---- changes -----------------------------------------------------------------------

    /// Check and store pushed changes, in order, in one transaction. Each is accepted (with
    /// its log sequence; re-sending a stored change answers with its original sequence) or
    /// refused with a reason; nothing refused is stored. The changes come decoded and, the
    /// first changes of new records, already applied ([`prepare_push`], run on another
    /// thread as the writer takes them); an error in place of a change (its preparation
    /// failed) stores nothing of the push.
    ///
    /// A change is taken only from the device that wrote it: its actor must be registered to
    /// `who`'s device and its stated author (the commit message) must be `who`'s user, so no
    /// device can write as another or relay another's edits.
    pub fn ingest(
        &mut self,
        who: &Principal,
        changes: impl IntoIterator<Item = Result<Pushed, DbError>>,
    ) -> Result<Ingested, DbError> {
        let teams = self.teams()?;
        let my_actors = device_actors(&self.conn, &who.device_id)?;
        let mut accepted = Vec::new();
        let mut refused = Vec::new();
        let mut dictionaries: Option<HashSet<(String, String)>> = None;
        let mut ops_left = MAX_PUSH_OPS;
        // Changes put off to the next push, and so are the ones that build on them.
        let mut deferred: HashSet<automerge::ChangeHash> = HashSet::new();
        let tx = self.conn.transaction()?;
        // What the log held before this push, for the live tail (`crate::live`).
        // The accounts version as this transaction sees them, for the live tail's grants.
        let (accounts, prev) = versions(&tx)?;
        let mut live = Vec::new();
        // Records changed by this push whose snapshot is not written yet (see `Unsaved`); they
        // go back to the cache when written, so a big push holds no more than the cache and
        // `HELD` of them in memory. Should the transaction fail, the cache is emptied, as it
        // may then hold changes that were never stored.
        let cache = &mut self.cache;
        let mut unsaved: HashMap<String, Unsaved> = HashMap::new();
        let mut one = |(doc_id, decoded, fresh): Pushed| -> Result<Result<Accepted, Refused>, DbError> {
            let refuse = |hash: String, code: &str, reason: String| {
                Ok(Err(Refused { hash, doc: doc_id.clone(), code: code.into(), reason, params: None }))
            };
            let limits::Incoming { change, bytes } = match decoded {
                Ok(incoming) => incoming,
                Err((code, reason)) => return refuse(String::new(), code, reason),
            };
            let hash = change.hash();
            let hash_hex = hash.to_string();
            if Uuid::parse_str(&doc_id).is_err() {
                return refuse(hash_hex, "invalid_change", "the document id is not a UUID".into());
            }
            if let Some(seq) = tx
                .prepare_cached("SELECT seq FROM log WHERE hash = ?")?
                .query_row([hash.0.as_slice()], |r| r.get::<i64>(0))
                .optional()?
            {
                return Ok(Ok(Accepted { hash: hash_hex, seq: seq as u64 }));
            }
            let genesis = match authorship(&doc_id, &change, who, Some(my_actors.as_slice())) {
                Ok(genesis) => genesis,
                Err((code, reason)) => return refuse(hash_hex, code, reason),
            };
            // Refusals that need no document come before the work of applying one.
            if who.role == access::Role::Viewer {
                return refuse(hash_hex, "forbidden", "viewers cannot change records".into());
            }
            ops_left = match ops_left.checked_sub(change.len()) {
                Some(left) if !change.deps().iter().any(|d| deferred.contains(d)) => left,
                _ => {
                    // Not a refusal: the rest of this push waits for the next one.
                    deferred.insert(hash);
                    let reason = format!("this push reached {MAX_PUSH_OPS} operations; push the rest again");
                    return refuse(hash_hex, "deferred", reason);
                }
            };
            let (mut held, applied) = match unsaved.remove(&doc_id) {
                Some(held) => (held, None),
                None => Unsaved::load(cache, &tx, &doc_id, fresh)?,
            };
            let (before, applied) = match applied {
                Some(Applied { before, after, problems }) => (before, Some((after, problems))),
                None => (doc_meta(&held.doc), None),
            };
            let existed = before.kind.is_some();
            // The decided fields are judged against the record as it was before the change.
            let before_values = before
                .kind
                .filter(|k| k.spec().workflow.is_some())
                .map(|k| crm_core::workflow::Before::of(k, &mut held.doc));
            type Verdict = Result<DocMeta, Refusal>;
            let verdict = (|| -> Result<Verdict, DbError> {
                let doc = &mut held.doc;
                let (after, problems) = match applied {
                    Some(applied) => applied,
                    None => {
                        if !applies(doc, &change) {
                            let reason = "the change depends on changes the server does not have";
                            return Ok(Err(("missing_dependencies", reason.into(), None)));
                        }
                        (doc_meta(doc), None)
                    }
                };
                let judged = Judging { existed, before: &before, before_values: before_values.as_ref(), after: &after };
                if let Err(refusal) = Self::judge(who, &tx, &teams, judged, doc, &change, &mut unsaved)? {
                    return Ok(Err(refusal));
                }
                let new = NewRecord { existed, genesis };
                let checked = Checked { before: &before, after: &after, problems };
                if let Err(reason) = check_record(&tx, &mut dictionaries, &doc_id, doc, who, new, checked)? {
                    return Ok(Err(("invalid_record", reason, None)));
                }
                Ok(Ok(after))
            })()?;
            let after = match verdict {
                Ok(after) => after,
                Err((code, reason, params)) => {
                    // The refused change is in the document: back to what was accepted.
                    held.rebuild(&tx, &doc_id)?;
                    return Ok(Err(Refused { hash: hash_hex, doc: doc_id.clone(), code: code.into(), reason, params }));
                }
            };
            let grows_by = change.raw_bytes().len();
            if held.stored + 2 * (held.added + grows_by) > MAX_RECORD_BYTES {
                // Possibly too big: measure it exactly.
                let snapshot = held.doc.save();
                if snapshot.len() > MAX_RECORD_BYTES {
                    held.rebuild(&tx, &doc_id)?;
                    let reason = format!("the record would be {} bytes; at most {MAX_RECORD_BYTES}", snapshot.len());
                    return refuse(hash_hex, "too_large", reason);
                }
            }
            let scope = scope_owner(&tx, &after)?;
            let seq: u64 = tx
                .prepare_cached(
                    "INSERT INTO log (doc_id, event, hash, bytes, device_id) VALUES (?, 'change', ?, ?, ?) RETURNING seq",
                )?
                .query_row(params![doc_id, hash.0.as_slice(), bytes.as_slice(), who.device_id], |r| r.get(0))?;
            // A new record was nobody's before: only a stored one is looked up.
            let old_scope: Option<String> = match existed {
                true => tx
                    .prepare_cached("SELECT scope_owner FROM docs WHERE id = ?")?
                    .query_row([&doc_id], |r| r.get(0))
                    .optional()?
                    .flatten(),
                false => None,
            };
            // The snapshot is written when the push ends (`Unsaved::store`).
            write_doc_row(&tx, &doc_id, &after, scope.as_deref(), !held.has_row)?;
            held.has_row = true;
            if after.kind == Some(Kind::User) {
                // An admin renamed someone on their device: the account list says so too.
                if let Some(FieldValue::Str(name)) =
                    Kind::User.spec().field("display_name").and_then(|f| held.doc.read(f))
                {
                    tx.prepare_cached("UPDATE users SET display_name = ? WHERE id = ?")?
                        .execute(params![name, doc_id])?;
                }
            }
            if existed && old_scope != scope {
                record_transfer(&tx, &doc_id, after.kind, old_scope.as_deref(), scope.as_deref())?;
                if after.kind == Some(Kind::Customer) {
                    let actor = audit::Actor { id: who.user_id.clone(), ..Default::default() };
                    let detail = json!({"from": old_scope, "to": scope});
                    audit::record(&tx, &actor, "transfer", Some(&doc_id), detail)?;
                }
            }
            let grants = if (before.assignees, &before.customer, &before.contact, before.deleted)
                != (after.assignees.clone(), &after.customer, &after.contact, after.deleted)
            {
                record_assignment(&tx, &doc_id, &after)?
            } else {
                Vec::new()
            };
            held.added += grows_by;
            live.push(crate::live::Entry::new(seq, doc_id.clone(), after.kind, scope, who.device_id.clone(), bytes));
            // Written after the change's own entry: they follow it in the log.
            live.extend(grants);
            held.since.push(change);
            if after.kind == Some(Kind::DictEntry) {
                // Later changes of this push may use the entry: their check reads it stored.
                held.store(cache, &tx, &doc_id)?;
                dictionaries = None;
                return Ok(Ok(Accepted { hash: hash_hex, seq }));
            }
            unsaved.insert(doc_id, held);
            if unsaved.len() > HELD {
                for (id, held) in unsaved.drain() {
                    held.store(cache, &tx, &id)?;
                }
            }
            Ok(Ok(Accepted { hash: hash_hex, seq }))
        };
        let mut outcome = Ok(());
        for pushed in changes {
            match pushed.and_then(&mut one) {
                Ok(Ok(a)) => accepted.push(a),
                Ok(Err(r)) => refused.push(r),
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            }
        }
        let stored = outcome.and_then(|()| {
            for (id, held) in unsaved.drain() {
                held.store(&mut self.cache, &tx, &id)?;
            }
            Ok(())
        });
        let committed = stored.and_then(|()| {
            let end = tx.log_end()? as u64;
            tx.commit()?;
            Ok(end)
        });
        if committed.is_err() {
            self.cache.clear();
        }
        // What the push's records pushed out of the cache goes now, not with a later push.
        self.cache.cache.let_go_now();
        committed.map(|end| Ingested {
            accepted,
            refused,
            live: crate::live::Batch { prev, end, entries: live, accounts },
        })
    }

    /// One round of Automerge's sync protocol for one document with `courier`'s device,
    /// used when the server lacks changes a pushed change depends on. Of the changes it
    /// learns, only those the courier's own device wrote are taken (checked and stored like
    /// pushed ones); another device's are refused as `not_own` and reach the server when that
    /// device syncs. Returns the server's next message and what it holds of the document, for
    /// the caller's read check before the reply is sent.
    pub fn repair(
        &mut self,
        courier: &Principal,
        state: &mut automerge::sync::State,
        doc_id: &str,
        message: &[u8],
    ) -> Result<RepairRound, DbError> {
        if Uuid::parse_str(doc_id).is_err() {
            return Err(DbError::Invalid("the document id is not a UUID".into()));
        }
        use automerge::sync::{ChunkList, Message, MessageVersion};
        // The changes in the message are taken apart before anything is applied: each is
        // checked within the limits like a pushed one, only this device's own are taken, and
        // a chunk that is not a change (a whole saved document) is refused. What is left
        // (heads, needs, haves) only steers the protocol.
        let mut incoming = Message::decode(message).map_err(|e| DbError::Invalid(e.to_string()))?;
        let chunks: Vec<Vec<u8>> = incoming.changes.iter().map(<[u8]>::to_vec).collect();
        incoming.changes = ChunkList::empty();
        let own = device_actors(&self.conn, &courier.device_id)?;
        let (mut mine, mut refused) = (Vec::new(), Vec::new());
        for chunk in chunks {
            let refusal = |hash: String, code: &str, reason: String| Refused {
                hash,
                doc: doc_id.to_string(),
                code: code.into(),
                reason,
                params: None,
            };
            match limits::decode_change(chunk) {
                Ok((incoming, _))
                    if own.contains(&hex(incoming.change.actor_id().to_bytes()))
                        || crm_core::genesis::verify(doc_id, &incoming.change) =>
                {
                    mine.push(Ok((doc_id.to_string(), Ok(incoming), None)));
                }
                Ok((incoming, _)) => refused.push(refusal(
                    incoming.change.hash().to_string(),
                    "not_own",
                    "the server takes a change only from the device that wrote it".into(),
                )),
                Err((code, reason)) => refused.push(refusal(String::new(), code, reason)),
            }
        }
        // Its log entries are not published to the live tail: the wake-up after a repair
        // reaches further than the tail and connections read the database.
        let Ingested { accepted, refused: more, .. } = self.ingest(courier, mine)?;
        refused.extend(more);
        let mut current = current_doc(&mut self.cache, &self.conn, doc_id)?;
        current.receive_sync_message(state, &incoming.encode()).map_err(|e| DbError::Invalid(e.to_string()))?;
        // Speak the first message format only, so the device sends changes, never whole
        // documents (which could not be checked one change at a time).
        state.their_capabilities = None;
        let reply = current.sync_message(state).and_then(|bytes| {
            let mut reply = Message::decode(&bytes).ok()?;
            reply.flags = None;
            reply.version = MessageVersion::V1;
            Some(reply.encode())
        });
        self.cache.put(doc_id, current);
        let sql = format!("SELECT kind, scope_owner, {} FROM docs WHERE id = ?1", granted_sql("?1", 2));
        let stored: Option<(Option<String>, Option<String>, bool)> = self
            .conn
            .prepare_cached(&sql)?
            .query_row(params![doc_id, courier.user_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        let stored = stored.map(|(kind, scope, granted)| (kind.as_deref().and_then(Kind::parse), scope, granted));
        Ok(RepairRound { reply, stored, accepted, refused })
    }

    /// The rules a change must pass: the workflow's (`crm_core::workflow`) when it moves a
    /// decided field, then the access rules (`crm_core::access`). `Ok(Err(..))` is a refusal
    /// with its code, reason and parameters.
    fn judge(
        who: &Principal,
        tx: &Conn,
        teams: &Teams,
        judged: Judging<'_>,
        doc: &mut RecordDoc,
        change: &automerge::Change,
        unsaved: &mut HashMap<String, Unsaved>,
    ) -> Result<Result<(), Refusal>, DbError> {
        let Judging { existed, before, before_values, after } = judged;
        let named = after.customer.as_deref().filter(|_| after.kind.is_some_and(|k| k != Kind::Customer));
        let missing_customer = match named {
            Some(customer) => {
                let known: bool = tx
                    .prepare_cached("SELECT EXISTS (SELECT 1 FROM docs WHERE id = ? AND kind = 'customer')")?
                    .query_row([customer], |r| r.get(0))?;
                (!known).then_some(customer)
            }
            None => None,
        };
        let (old_scope, new_scope) = (scope_owner(tx, before)?, scope_owner(tx, after)?);
        fn side<'a>(meta: &'a DocMeta, scope: Option<&'a str>) -> access::Side<'a> {
            access::Side {
                kind: meta.kind,
                owner: meta.owner.as_deref(),
                scope_owner: scope,
                assignees: &meta.assignees,
            }
        }
        let before_side = existed.then(|| side(before, old_scope.as_deref()));
        let after_side = side(after, new_scope.as_deref());
        let mut transition = None;
        if let Some(kind) = after.kind.filter(|k| k.spec().workflow.is_some() && before.kind.is_none_or(|b| b == *k)) {
            let facts = ServerFacts { tx, unsaved: std::cell::RefCell::new(unsaved) };
            let mut j = crm_core::workflow::Judged {
                kind,
                before: before_values.filter(|_| existed),
                after: doc,
                change: Some(change.hash()),
                author: &who.user_id,
                time_secs: change.timestamp(),
                before_side,
                after_side,
            };
            match crm_core::workflow::judge(who, &mut j, teams, &facts) {
                Ok(t) => transition = t,
                Err(refused) => {
                    let params = (!refused.params.is_null()).then(|| refused.params.to_string());
                    return Ok(Err((refused.refusal.code, refused.refusal.reason, params)));
                }
            }
        }
        let write = access::Write { before: before_side, after: after_side, missing_customer, transition };
        Ok(who.check_write(&write, teams).map_err(|r| (r.code, r.reason, None)))
    }
}

/// Whether a change finds its record existing, and whether it is the record's genesis.
#[derive(Debug, Clone, Copy)]
struct NewRecord {
    existed: bool,
    genesis: bool,
}

/// A refusal as the judgement gives it: code, reason, parameters (JSON text).
type Refusal = (&'static str, String, Option<String>);

/// A change under judgement: the record's access facts before and after it, and its values
/// before (for a kind with a workflow).
struct Judging<'a> {
    existed: bool,
    before: &'a DocMeta,
    before_values: Option<&'a crm_core::workflow::Before>,
    after: &'a DocMeta,
}

/// What guards need from the server's tables.
struct ServerFacts<'a> {
    tx: &'a Conn,
    /// The records this push changed whose snapshot is not written yet: they are read from
    /// here, so a guard sees what earlier changes of the same push did (two invoices of one
    /// contract, an order and the contract it was made from, sent together).
    unsaved: std::cell::RefCell<&'a mut HashMap<String, Unsaved>>,
}

impl ServerFacts<'_> {
    /// A record as this push left it so far, when the push changed it.
    fn unsaved(&self, id: &str) -> Option<RecordDoc> {
        self.unsaved.borrow_mut().get_mut(id).map(|held| held.doc.fork())
    }
}

impl crm_core::workflow::Facts for ServerFacts<'_> {
    fn setting(&self, key: &str) -> Option<i64> {
        // One record per key, its id derived from the key (`crm_core::genesis`).
        let id = crm_core::genesis::id_of(Kind::Setting, &[key]);
        let snapshot: Vec<u8> = self
            .tx
            .prepare_cached("SELECT snapshot FROM docs WHERE id = ? AND kind = 'setting' AND deleted = 0")
            .and_then(|mut st| st.query_row([&id], |r| r.get(0)))
            .ok()?;
        let doc = RecordDoc::load(&snapshot, Vec::new()).ok()?;
        match Kind::Setting.spec().field("value").and_then(|f| doc.read(f)) {
            Some(FieldValue::Int(v)) => Some(v),
            _ => None,
        }
    }

    fn owned_customers(&self, user: &str) -> u64 {
        self.tx
            .prepare_cached("SELECT COUNT(*) FROM docs WHERE kind = 'customer' AND owner = ? AND deleted = 0")
            .and_then(|mut st| st.query_row([user], |r| r.get::<i64>(0)))
            .map(|n| n as u64)
            .unwrap_or(0)
    }

    fn record(&self, id: &str) -> Option<RecordDoc> {
        if let Some(doc) = self.unsaved(id) {
            return Some(doc);
        }
        let snapshot: Vec<u8> = self
            .tx
            .prepare_cached("SELECT snapshot FROM docs WHERE id = ?")
            .and_then(|mut st| st.query_row([id], |r| r.get(0)))
            .ok()?;
        RecordDoc::load(&snapshot, Vec::new()).ok()
    }

    fn records(&self, kind: Kind, naming: Option<(&str, &str)>) -> Vec<(String, RecordDoc)> {
        // The table knows each record's customer; other fields are checked by the caller.
        let rows = match naming {
            Some(("customer", customer)) => self
                .tx
                .prepare_cached("SELECT id, snapshot FROM docs WHERE kind = ? AND customer = ? AND deleted = 0")
                .and_then(|mut st| {
                    st.query_map([kind.as_str(), customer], |r| Ok((r.get(0)?, r.get(1)?)))?
                        .collect::<crate::sql::Result<Vec<(String, Vec<u8>)>>>()
                }),
            // Another indexed reference: the records naming the target (`doc_refs`).
            Some((field, target)) if kind.spec().field(field).is_some_and(in_doc_refs) => self
                .tx
                .prepare_cached(
                    "SELECT d.id, d.snapshot FROM doc_refs r JOIN docs d ON d.id = r.doc_id
                     WHERE r.target = ? AND r.field = ? AND d.kind = ? AND d.deleted = 0",
                )
                .and_then(|mut st| {
                    st.query_map([target, field, kind.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?
                        .collect::<crate::sql::Result<Vec<(String, Vec<u8>)>>>()
                }),
            _ => self.tx.prepare_cached("SELECT id, snapshot FROM docs WHERE kind = ? AND deleted = 0").and_then(
                |mut st| {
                    st.query_map([kind.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?
                        .collect::<crate::sql::Result<Vec<(String, Vec<u8>)>>>()
                },
            ),
        };
        rows.unwrap_or_default()
            .into_iter()
            .filter_map(|(id, snapshot)| {
                self.unsaved(&id).or_else(|| RecordDoc::load(&snapshot, Vec::new()).ok()).map(|doc| (id, doc))
            })
            .collect()
    }
}

/// What a pushed record must be, beyond who may write it: valid for its kind by the same
/// rules the device applies ([`RecordDoc::problems`]), dictionary codes that exist, and a
/// creator that is the author and never changes. `Ok(Err(reason))` refuses the change.
#[allow(clippy::too_many_arguments)]
fn check_record(
    tx: &Conn,
    dictionaries: &mut Option<HashSet<(String, String)>>,
    doc_id: &str,
    doc: &RecordDoc,
    who: &Principal,
    new: NewRecord,
    checked: Checked<'_>,
) -> Result<Result<(), String>, DbError> {
    let Checked { before, after, problems } = checked;
    let Some(kind) = after.kind else { return Ok(Err("the record has no kind".into())) };
    let creator = if new.genesis { crm_core::genesis::AUTHOR } else { who.user_id.as_str() };
    if new.existed {
        if (&before.created_by, before.created_at) != (&after.created_by, after.created_at) {
            return Ok(Err("created_by and created_at never change".into()));
        }
    } else if after.created_by.as_deref() != Some(creator) {
        return Ok(Err("a new record's created_by must be its author's user id".into()));
    }
    if let Some(reason) = crm_core::genesis::identity_problem(kind, doc_id, doc, !new.existed && !new.genesis) {
        return Ok(Err(reason));
    }
    if kind == Kind::DictEntry && !before.deleted && after.deleted {
        if let Some(reason) = dict_code_in_use(tx, doc)? {
            return Ok(Err(reason));
        }
    }
    if kind == Kind::User {
        if let Err(reason) = account_fields_match(tx, doc_id, doc)? {
            return Ok(Err(reason));
        }
    }
    // A genesis holds the subject's identity only (it is the same on every device); the
    // fields it still lacks come in the author's next change.
    let mut problems: Vec<String> = problems
        .unwrap_or_else(|| doc.problems(kind))
        .into_iter()
        .filter(|p| !(new.genesis && p.reason == "required"))
        .map(|p| format!("{}: {}", p.field, p.reason))
        .collect();
    for field in kind.spec().fields {
        let crm_core::kind::FieldType::Dict(dict) = field.ty else { continue };
        let Some(FieldValue::Str(code)) = doc.read(field) else { continue };
        if crm_core::dictionary::default_codes(dict).contains(&code.as_str()) {
            continue;
        }
        let known = match dictionaries {
            Some(known) => known,
            None => dictionaries.insert(dictionary_entries(tx)?),
        };
        if !known.contains(&(dict.to_string(), code.clone())) {
            problems.push(format!("{}: unknown_dictionary_value ({code} is not in {dict})", field.name));
        }
    }
    if problems.is_empty() {
        Ok(Ok(()))
    } else {
        Ok(Err(format!("the record is not valid: {}", problems.join("; "))))
    }
}

/// A user record's account fields are the accounts table's, which `sync-server user` manages
/// (and [`ServerDb::reconcile_user_records`] copies into the record): a device may change
/// the rest of it (phones, email) but not who someone is or what they may do.
fn account_fields_match(tx: &Conn, doc_id: &str, doc: &RecordDoc) -> Result<Result<(), String>, DbError> {
    let account: Option<AccountRow> = tx
        .prepare_cached("SELECT username, role, team, disabled FROM users WHERE id = ?")?
        .query_row([doc_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    let Some(account) = account else {
        return Ok(Err("accounts are created with `sync-server user add`, not by writing a user record".into()));
    };
    if account_values(doc) != account_row_values(&account) {
        let reason = "a user record's username, role, team and active are managed with `sync-server user`";
        return Ok(Err(reason.into()));
    }
    Ok(Ok(()))
}

/// A user record's account fields as they should read: (username, role, team, active).
type AccountValues = (Option<FieldValue>, Option<FieldValue>, Option<FieldValue>, Option<FieldValue>);

fn unknown_role(role: &str) -> DbError {
    DbError::Refused("unknown_role", format!("role must be one of {}, not '{role}'", ROLES.join(", ")))
}

fn no_such_user(username: &str) -> DbError {
    DbError::Refused("no_such_user", format!("no user '{username}'"))
}

fn check_password(password: &str) -> Result<(), DbError> {
    if password.chars().count() < 8 {
        return Err(DbError::Refused("weak_password", "a password needs at least 8 characters".into()));
    }
    Ok(())
}

/// `user_id` is not the company's last active admin (who would leave nobody able to administer it).
fn last_admin_check(tx: &Conn, user_id: &str) -> Result<(), DbError> {
    let others: i64 =
        tx.query_row("SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0 AND id <> ?", [user_id], |r| {
            r.get(0)
        })?;
    if others == 0 {
        return Err(DbError::Refused(
            "last_admin",
            "this is the last active administrator; make another one first".into(),
        ));
    }
    Ok(())
}

fn account_values(doc: &RecordDoc) -> AccountValues {
    let spec = Kind::User.spec();
    let read = |name: &str| spec.field(name).and_then(|f| doc.read(f));
    (read("username"), read("role"), read("team"), read("active"))
}

/// An account as the accounts table has it: (username, role, team, disabled).
type AccountRow = (String, String, Option<String>, bool);

fn account_row_values((username, role, team, disabled): &AccountRow) -> AccountValues {
    (
        Some(FieldValue::Str(username.clone())),
        Some(FieldValue::Str(role.clone())),
        team.clone().map(FieldValue::Str),
        Some(FieldValue::Bool(!disabled)),
    )
}

/// (dictionary, code) of every dictionary entry an admin added on the server.
fn dictionary_entries(tx: &Conn) -> Result<HashSet<(String, String)>, DbError> {
    let snapshots: Vec<Vec<u8>> = tx
        .prepare_cached("SELECT snapshot FROM docs WHERE kind = 'dict_entry'")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let spec = Kind::DictEntry.spec();
    let (Some(dict), Some(code)) = (spec.field("dict"), spec.field("code")) else { return Ok(HashSet::new()) };
    let mut out = HashSet::new();
    for snapshot in snapshots {
        let Ok(doc) = RecordDoc::load(&snapshot, Vec::new()) else { continue };
        if let (Some(FieldValue::Str(d)), Some(FieldValue::Str(c))) = (doc.read(dict), doc.read(code)) {
            out.insert((d, c));
        }
    }
    Ok(out)
}

/// Store a change the server wrote itself (seeded reference data, the accounts' user
/// records): in the log, and the record's snapshot with it. Returns its log position.
fn store_own_change(
    tx: &Conn,
    id: &str,
    kind: Kind,
    doc: &mut RecordDoc,
    change: &mut automerge::Change,
) -> Result<u64, DbError> {
    let seq: u64 = tx.query_row(
        "INSERT INTO log (doc_id, event, hash, bytes) VALUES (?, 'change', ?, ?) RETURNING seq",
        params![id, change.hash().0.as_slice(), change.bytes().as_ref()],
        |r| r.get(0),
    )?;
    tx.execute(
        "INSERT INTO docs (id, kind, snapshot, prepared) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET snapshot = ?3, prepared = ?4",
        params![id, kind.as_str(), doc.save(), prepared_rows(id, doc)],
    )?;
    Ok(seq)
}

/// Earlier actors one sign-in may bring back (a device gets a new one per sign-in).
const MAX_PREVIOUS_ACTORS: usize = 256;

/// Records an ingest holds with their snapshots unwritten, at most (then all are written).
const HELD: usize = 8;

/// A record changed by the push being ingested, its snapshot not written yet: writing a big
/// record's snapshot after each of many small changes would cost the push the record's size
/// times their number; this writes it once.
struct Unsaved {
    doc: RecordDoc,
    /// Whether it has a row in `docs` (it had one when loaded, or this push wrote it).
    has_row: bool,
    /// The size of its stored snapshot, and the (uncompressed) bytes of the changes accepted
    /// since: the snapshot now is at most `stored + added` in practice, and `stored + 2 *
    /// added` is what is trusted without measuring.
    stored: usize,
    added: usize,
    /// The changes accepted since its snapshot was stored, to rebuild it after a refusal.
    since: Vec<automerge::Change>,
    /// Its snapshot and read-model rows made before the writer was taken (a new record's
    /// first change, [`Fresh`]), written instead of saving it again while it has no other
    /// change.
    saved: Option<Saved>,
}

impl Unsaved {
    /// The record `id` as stored, to take a change. A new record whose change came prepared
    /// ([`Fresh`]) starts from it, with what was found out when it was applied.
    fn load(
        cache: &mut Docs,
        tx: &Conn,
        id: &str,
        fresh: Option<Box<Fresh>>,
    ) -> Result<(Unsaved, Option<Applied>), DbError> {
        let stored: Option<Option<i64>> = tx
            .prepare_cached("SELECT length(snapshot) FROM docs WHERE id = ?")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        let (doc, saved, applied) = match (stored, fresh.map(|f| *f)) {
            (None, Some(Fresh { doc, saved, applied })) => (doc, saved, Some(applied)),
            _ => (current_doc(cache, tx, id)?, None, None),
        };
        let has_row = stored.is_some();
        let stored = stored.flatten().unwrap_or(0) as usize;
        Ok((Unsaved { doc, has_row, stored, added: 0, since: Vec::new(), saved }, applied))
    }

    /// Back to the stored snapshot plus the changes accepted since (a refused change was
    /// applied to `doc`), stored at once so that a later refusal does not replay them again.
    fn rebuild(self, tx: &Conn, id: &str) -> Result<(), DbError> {
        if self.since.is_empty() {
            return Ok(());
        }
        let mut doc = stored_doc(tx, id)?;
        doc.apply(self.since).map_err(|e| DbError::Invalid(e.to_string()))?;
        write_snapshot(tx, id, &mut doc)
    }

    /// Write its snapshot and hand it to the cache.
    fn store(mut self, cache: &mut Docs, tx: &Conn, id: &str) -> Result<(), DbError> {
        match self.saved.take() {
            Some(saved) if saved.heads == self.doc.heads() => write_saved(tx, id, saved.snapshot, saved.rows)?,
            _ => write_snapshot(tx, id, &mut self.doc)?,
        }
        cache.put(id, self.doc);
        Ok(())
    }
}

/// Store a record's snapshot with its read-model rows beside it: what a bootstrapping device
/// of the same read-model version takes instead of decoding the document
/// (`crm_core::projection::Prepared`). Every write of a snapshot goes through here,
/// [`Saved`] (the same save, and the same rows built from the values read with the record's
/// problems, `RecordDoc::checked_snapshot`, written only while the document's heads are still
/// the ones it was made at) or [`store_own_change`], so the rows never describe another
/// version of the document.
fn write_snapshot(tx: &Conn, id: &str, doc: &mut RecordDoc) -> Result<(), DbError> {
    let snapshot = doc.save();
    write_saved(tx, id, snapshot, prepared_rows(id, doc))
}

fn write_saved(tx: &Conn, id: &str, snapshot: Vec<u8>, rows: Option<Vec<u8>>) -> Result<(), DbError> {
    tx.prepare_cached("UPDATE docs SET snapshot = ?, prepared = ? WHERE id = ?")?
        .execute(params![snapshot, rows, id])?;
    Ok(())
}

/// A pushed change as the writer takes it: its document, the change decoded (or why not,
/// [`limits::decode_push`]), and, for a new record's first change, its work done already.
pub type Pushed = (String, limits::Decoding, Option<Box<Fresh>>);

/// A pushed change decoded, and whether its document is worth preparing ([`prepare`]).
pub type Planned = (String, limits::Decoding, bool);

/// A push's changes decoded, and the first change of each new record applied, one by one as
/// the caller takes them: run beside the writer ([`ServerDb::ingest`]), so the writer is left
/// with what needs the database. [`plan_push`] and then [`prepare`], on one thread.
pub fn prepare_push(changes: Vec<crm_core::sync::protocol::DocBytes>, who: Principal) -> impl Iterator<Item = Pushed> {
    plan_push(changes, who).map(prepare)
}

/// A push's changes decoded in order, each with whether to prepare it. A change is prepared
/// when it starts a document (it depends on nothing) that no other change of the push
/// touches; whether the record is new is the writer's to find out, which uses the prepared
/// work only then. Nothing is prepared that the writer refuses without applying it — a
/// viewer's change, one whose author is not `who` (but a genesis), one of an implausible
/// time — nor past [`MAX_PUSH_OPS`] operations of prepared changes, so a push the writer waits
/// for costs it at most what applying would have. Deciding is cheap; preparing, the costly
/// part, may run on several threads.
pub fn plan_push(changes: Vec<crm_core::sync::protocol::DocBytes>, who: Principal) -> impl Iterator<Item = Planned> {
    let mut touched: HashMap<String, usize> = HashMap::new();
    for change in &changes {
        *touched.entry(change.doc.clone()).or_default() += 1;
    }
    let mut ops = 0usize;
    let worth = move |doc: &str, change: &automerge::Change| {
        who.role != access::Role::Viewer
            && change.deps().is_empty()
            && touched.get(doc) == Some(&1)
            && authorship(doc, change, &who, None).is_ok()
    };
    limits::decode_push(changes).map(move |(doc, decoded)| {
        let wanted = match &decoded {
            Ok(incoming) if worth(&doc, &incoming.change) => {
                ops += incoming.change.len();
                ops <= MAX_PUSH_OPS
            }
            _ => false,
        };
        (doc, decoded, wanted)
    })
}

/// A planned change with its record's work done when it is worth doing.
pub fn prepare((doc, decoded, wanted): Planned) -> Pushed {
    let fresh = match &decoded {
        Ok(incoming) if wanted => Fresh::prepare(&doc, &incoming.change).map(Box::new),
        _ => None,
    };
    (doc, decoded, fresh)
}

/// Whether `change` is `who`'s to push, judged before anything is applied; whether it is its
/// record's genesis. A genesis (one record per subject: `crm_core::genesis`) is nobody's own
/// change: any device may bring it, when it is exactly the one its subject makes. Any other
/// change must be written by one of `actors`, the device's (unchecked when not given), name
/// `who` as its author (the commit message) and have a plausible time. The error is the
/// refusal's code and reason.
fn authorship(
    doc_id: &str,
    change: &automerge::Change,
    who: &Principal,
    actors: Option<&[String]>,
) -> Result<bool, (&'static str, String)> {
    if crm_core::genesis::verify(doc_id, change) {
        return Ok(true);
    }
    if actors.is_some_and(|actors| !actors.contains(&hex(change.actor_id().to_bytes()))) {
        return Err(("forged_actor", "the change was not written by this device".into()));
    }
    if change.message() != Some(who.user_id.as_str()) {
        let reason = "a change's author (its message) must be the signed-in user of the device that sends it";
        return Err(("forged_author", reason.into()));
    }
    plausible_time(change.timestamp()).map(|()| false).map_err(|reason| ("bad_time", reason))
}

/// A new record's first change applied to an empty document, with everything the writer
/// would otherwise work out from the document alone: what it was and is ([`DocMeta`]), what
/// is wrong with it, and its snapshot and read-model rows.
pub struct Fresh {
    doc: RecordDoc,
    applied: Applied,
    /// None when the record has problems (the values read with them may be incomplete).
    saved: Option<Saved>,
}

impl Fresh {
    /// `None` when the change does not apply on its own (the writer then finds out why).
    fn prepare(id: &str, change: &automerge::Change) -> Option<Fresh> {
        let mut doc = RecordDoc::empty();
        let before = doc_meta_read(&RootMeta::default(), |_| None);
        if !applies(&mut doc, change) {
            return None;
        }
        // The fields are read once, for what the writer needs to know and for the read models.
        let (after, problems, rows) = match doc.kind() {
            Some(kind) => {
                let (problems, values, conflicted, root) = doc.checked_snapshot(kind);
                if !problems.is_empty() {
                    // Mostly refused; the values read beside them may be incomplete, so the
                    // record is read again as for any other change, and saved by the writer.
                    return Some(Fresh {
                        applied: Applied { before, after: doc_meta(&doc), problems: Some(problems) },
                        saved: None,
                        doc,
                    });
                }
                let after = doc_meta_read(&root, |f| crm_core::projection::value_of(kind, &values, f));
                let rows = crm_core::projection::prepare_from(id, &mut doc, kind, values, conflicted, &root).encode();
                (after, Some(problems), Some(rows))
            }
            None => (doc_meta(&doc), None, None),
        };
        let saved = Saved { heads: doc.heads(), snapshot: doc.save(), rows };
        Some(Fresh { doc, applied: Applied { before, after, problems }, saved: Some(saved) })
    }
}

/// What applying a change showed: the record before and after it, and (when worked out
/// already) what is wrong with it after.
struct Applied {
    before: DocMeta,
    after: DocMeta,
    problems: Option<Vec<crm_core::error::FieldError>>,
}

/// A document's snapshot and read-model rows as [`write_snapshot`] makes them, at `heads`.
struct Saved {
    heads: Vec<automerge::ChangeHash>,
    snapshot: Vec<u8>,
    rows: Option<Vec<u8>>,
}

/// What [`check_record`] judges a change by: the record before and after it, and what is
/// wrong with it after when that was worked out already (by [`Fresh`]).
struct Checked<'a> {
    before: &'a DocMeta,
    after: &'a DocMeta,
    problems: Option<Vec<crm_core::error::FieldError>>,
}

/// Apply `change` to `doc`; whether it is now in it (it is not when the document lacks a
/// change it depends on). A change just applied is one of the heads, which is quick to ask;
/// only otherwise is its history searched.
fn applies(doc: &mut RecordDoc, change: &automerge::Change) -> bool {
    let hash = change.hash();
    doc.apply(vec![change.clone()]).is_ok() && (doc.heads().contains(&hash) || doc.has_change(&hash))
}

/// The read-model rows of `doc`, encoded; none for a record of no known kind.
fn prepared_rows(id: &str, doc: &mut RecordDoc) -> Option<Vec<u8>> {
    crm_core::projection::prepare(id, doc).map(|rows| rows.encode())
}

/// Add `column` (declared `decl`) to `table` of a database made before it existed; whether it
/// was added. Table and column names are this code's own, never a request's.
fn add_column(conn: &Conn, table: &str, column: &str, decl: &str) -> Result<bool, DbError> {
    let there = conn.has_column(table, column)?;
    if !there {
        conn.execute_schema(&format!("ALTER TABLE {table} ADD COLUMN {column} {decl}"))?;
    }
    Ok(!there)
}

/// The server's current copy of a document: from the cache, else its stored snapshot (which
/// only ever holds accepted changes), else empty. The caller puts it back in the cache.
fn current_doc(cache: &mut Docs, conn: &Conn, doc_id: &str) -> Result<RecordDoc, DbError> {
    match cache.take(conn, doc_id)? {
        Some(doc) => Ok(doc),
        None => stored_doc(conn, doc_id),
    }
}

/// The documents this server process holds loaded (a bounded cache), valid only while no other
/// connection has written the database: another server instance on the same database, or the
/// admin command. SQLite's `data_version` moves exactly then, and the whole cache is forgotten.
/// Writers check it inside their `BEGIN IMMEDIATE` transaction, so nothing commits between the
/// check and their own writes.
pub(crate) struct Docs {
    cache: DocCache,
    seen: Option<i64>,
}

/// Documents the writers' caches let go, dropped on a thread of their own: during an ingest
/// every new record pushes an older one out, and freeing it took the writer longer than
/// storing a change's log entry.
static LET_GO: std::sync::LazyLock<std::sync::mpsc::SyncSender<Vec<RecordDoc>>> = std::sync::LazyLock::new(|| {
    // As many documents in flight as the cache holds.
    let batches = (CACHE_DOCS / crm_core::cache::LET_GO_BATCH).max(1);
    let (send, receive) = std::sync::mpsc::sync_channel::<Vec<RecordDoc>>(batches);
    let dropping = std::thread::Builder::new().name("let-go".into()).spawn(move || receive.into_iter().for_each(drop));
    if let Err(e) = dropping {
        // The cache drops them itself then (its sender finds nobody to take them).
        eprintln!("no thread for dropping documents: {e}");
    }
    send
});

impl Docs {
    fn new() -> Docs {
        Docs { cache: DocCache::new(CACHE_DOCS).letting_go_to(LET_GO.clone()), seen: None }
    }

    /// `doc_id` from the cache, if it is there and nobody else wrote since it was put there.
    fn take(&mut self, conn: &Conn, doc_id: &str) -> Result<Option<RecordDoc>, DbError> {
        let version = conn.data_version()?;
        if self.seen != Some(version) {
            self.cache.clear();
            self.seen = Some(version);
        }
        Ok(self.cache.take(doc_id))
    }

    fn put(&mut self, doc_id: &str, doc: RecordDoc) {
        self.cache.put(doc_id, doc);
    }

    fn clear(&mut self) {
        self.cache.clear();
    }
}

/// A record as its stored snapshot has it (empty when there is none, or while an ingest
/// holds it unwritten).
fn stored_doc(conn: &Conn, doc_id: &str) -> Result<RecordDoc, DbError> {
    let snapshot: Option<Vec<u8>> =
        conn.prepare_cached("SELECT snapshot FROM docs WHERE id = ?")?.query_row([doc_id], |r| r.get(0)).optional()?;
    match snapshot {
        Some(s) if !s.is_empty() => RecordDoc::load(&s, Vec::new()).map_err(|e| DbError::Invalid(e.to_string())),
        _ => Ok(RecordDoc::empty()),
    }
}

/// The owner whose scope a record is in, by the core's one rule (`access::scope_owner`), with
/// a customer's owner read from `docs`.
fn scope_owner(tx: &Conn, meta: &DocMeta) -> Result<Option<String>, DbError> {
    let lookup = |customer: &str| -> Result<Option<String>, DbError> {
        Ok(tx
            .prepare_cached("SELECT owner FROM docs WHERE id = ?")?
            .query_row([customer], |r| r.get(0))
            .optional()?
            .flatten())
    };
    match meta.kind {
        Some(kind) => access::scope_owner(kind, meta.owner.as_deref(), meta.parent.as_ref(), |_, id| lookup(id)),
        // A record of no known kind: its customer's, as before (it is refused anyway).
        None => match &meta.customer {
            Some(customer) => lookup(customer),
            None => Ok(None),
        },
    }
}

/// The kinds in their own owner's scope, as an SQL list (`'expense'`).
fn owner_scoped_kinds() -> String {
    let kinds: Vec<String> =
        Kind::ALL.iter().filter(|k| k.spec().scope == Scope::Owner).map(|k| format!("'{}'", k.as_str())).collect();
    if kinds.is_empty() {
        "''".into()
    } else {
        kinds.join(", ")
    }
}

/// A customer or a lead changed hands: everything hanging from it follows, and the log records who gained and
/// who lost access so devices catching up later add or drop the records.
fn record_transfer(
    tx: &Conn,
    doc_id: &str,
    kind: Option<Kind>,
    old: Option<&str>,
    new: Option<&str>,
) -> Result<(), DbError> {
    let mut ids = vec![doc_id.to_string()];
    // What hangs from the record (`access::scope_parent`) follows it; what is in its own
    // owner's scope stays.
    let own = owner_scoped_kinds();
    let hanging = match kind {
        Some(Kind::Customer) => Some("customer = ?1".to_string()),
        Some(Kind::Lead) => Some(
            "customer IS NULL AND id IN (SELECT doc_id FROM doc_refs WHERE target = ?1 AND field = 'lead')".to_string(),
        ),
        _ => None,
    };
    if let Some(hanging) = hanging {
        tx.prepare_cached(&format!("UPDATE docs SET scope_owner = ?2 WHERE {hanging} AND kind NOT IN ({own})"))?
            .execute(params![doc_id, new])?;
        let attached: Vec<String> = tx
            .prepare_cached(&format!("SELECT id FROM docs WHERE {hanging} AND kind NOT IN ({own})"))?
            .query_map([doc_id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        ids.extend(attached);
    }
    for id in ids {
        tx.prepare_cached("INSERT INTO log (doc_id, event, old_scope, new_scope) VALUES (?, 'access', ?, ?)")?
            .execute(params![id, old, new])?;
    }
    Ok(())
}

/// Fill the columns recycling reads for records stored before they existed.
fn backfill_business_columns(conn: &Conn) -> Result<(), DbError> {
    each_stored(conn, "kind IN ('customer', 'activity')", |id, meta| {
        conn.execute(
            "UPDATE docs SET grade = ?, time = ?, created_at = ?, deleted = ? WHERE id = ?",
            params![meta.grade, meta.time, meta.created_at, meta.deleted, id],
        )?;
        Ok(())
    })
}

/// Every stored record `filter` (SQL over `docs`) selects, with what its document says, for a
/// backfill of a table or column the server did not keep before.
fn each_stored(
    conn: &Conn,
    filter: &str,
    mut f: impl FnMut(&str, &DocMeta) -> Result<(), DbError>,
) -> Result<(), DbError> {
    // A page of snapshots at a time, so a big store is never held in memory at once.
    let sql = format!(
        "SELECT id, snapshot FROM docs WHERE {filter} AND length(snapshot) > 0 AND id > ? ORDER BY id LIMIT 500"
    );
    let mut after = String::new();
    loop {
        let rows: Vec<(String, Vec<u8>)> = conn
            .prepare_cached(&sql)?
            .query_map([&after], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let Some((last, _)) = rows.last() else { return Ok(()) };
        after = last.clone();
        for (id, snapshot) in rows {
            let Ok(doc) = RecordDoc::load(&snapshot, Vec::new()) else { continue };
            f(&id, &doc_meta(&doc))?;
        }
    }
}

/// Why a dictionary entry may not be deleted: live records use its code (deactivating it is
/// how a code is retired). Rare (an admin deleting an entry), so the records are read.
fn dict_code_in_use(tx: &Conn, entry: &RecordDoc) -> Result<Option<String>, DbError> {
    let read = |name: &str| match Kind::DictEntry.spec().field(name).and_then(|f| entry.read(f)) {
        Some(FieldValue::Str(s)) => Some(s),
        _ => None,
    };
    let (Some(dict), Some(code)) = (read("dict"), read("code")) else { return Ok(None) };
    for (kind, field) in crm_core::dictionary::fields_using(&dict) {
        // A page of records at a time (PostgreSQL reads a whole result at once), until one uses it.
        let mut after = String::new();
        loop {
            let page: Vec<(String, Vec<u8>)> = tx
                .prepare_cached(
                    "SELECT id, snapshot FROM docs WHERE kind = ? AND deleted = 0 AND length(snapshot) > 0 AND id > ?
                     ORDER BY id LIMIT 200",
                )?
                .query_map(params![kind.as_str(), after], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            let Some((last, _)) = page.last() else { break };
            after.clone_from(last);
            let uses = |snapshot: &[u8]| {
                RecordDoc::load(snapshot, Vec::new())
                    .is_ok_and(|doc| matches!(doc.read(field), Some(FieldValue::Str(c)) if c == code))
            };
            if page.iter().any(|(_, snapshot)| uses(snapshot)) {
                return Ok(Some(format!(
                    "dictionary_code_in_use: {kind} records use {dict} '{code}'; deactivate it instead of deleting it"
                )));
            }
        }
    }
    Ok(None)
}

/// Fill `assignments` (and log the grants) for records of assigned kinds stored before the
/// server kept it.
fn backfill_assignments(tx: &Conn) -> Result<(), DbError> {
    let kinds: Vec<&str> = Kind::ALL.iter().filter(|k| !k.spec().assigned.is_empty()).map(|k| k.as_str()).collect();
    for kind in kinds {
        let rows: Vec<(String, Vec<u8>)> = tx
            .prepare_cached("SELECT id, snapshot FROM docs WHERE kind = ? AND deleted = 0 AND length(snapshot) > 0")?
            .query_map([kind], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (id, snapshot) in rows {
            let Ok(doc) = RecordDoc::load(&snapshot, Vec::new()) else { continue };
            let meta = doc_meta(&doc);
            if !meta.assignees.is_empty() {
                // Not published to the live tail: this runs as the server opens.
                record_assignment(tx, &id, &meta)?;
            }
        }
    }
    Ok(())
}

/// A record's row in `docs` (its snapshot is written apart): what access, assignment and
/// recycling decisions read. `new` when the record had no row before (so nothing hangs from
/// it yet to take away: its references, outbox entry and files are only added).
fn write_doc_row(tx: &Conn, id: &str, meta: &DocMeta, scope: Option<&str>, new: bool) -> Result<(), DbError> {
    tx.prepare_cached(
        "INSERT INTO docs (id, kind, customer, owner, scope_owner, deleted, grade, time, created_at, snapshot)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (id) DO UPDATE SET kind = ?2, customer = ?3, owner = ?4, scope_owner = ?5, deleted = ?6,
             grade = ?7, time = ?8, created_at = ?9",
    )?
    .execute(params![
        id,
        meta.kind.map(Kind::as_str),
        meta.customer,
        meta.owner,
        scope,
        meta.deleted,
        meta.grade,
        meta.time,
        meta.created_at,
        b"" // the snapshot: written apart
    ])?;
    match new {
        true => add_refs(tx, id, &meta.refs)?,
        false => write_refs(tx, id, &meta.refs)?,
    }
    if meta.kind == Some(Kind::Activity) {
        match &meta.channel {
            Some(channel) if meta.send_status.as_deref() == Some("queued") && !meta.deleted => {
                tx.prepare_cached(
                    "INSERT INTO outbox (doc_id, channel, queued_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                )?
                .execute(params![id, channel, now_ms()])?;
            }
            _ if new => {}
            _ => {
                tx.prepare_cached("DELETE FROM outbox WHERE doc_id = ?")?.execute([id])?;
            }
        }
    }
    if !new {
        tx.prepare_cached("DELETE FROM blob_refs WHERE doc_id = ?")?.execute([id])?;
    }
    for hash in &meta.blobs {
        tx.prepare_cached("INSERT INTO blob_refs (hash, doc_id) VALUES (?, ?) ON CONFLICT DO NOTHING")?
            .execute(params![hash, id])?;
    }
    Ok(())
}

/// Store the records `id`'s indexed reference fields name now (`doc_refs`).
fn write_refs(tx: &Conn, id: &str, refs: &[(&'static str, String)]) -> Result<(), DbError> {
    tx.prepare_cached("DELETE FROM doc_refs WHERE doc_id = ?")?.execute([id])?;
    add_refs(tx, id, refs)
}

/// Add to `doc_refs` the records `id` names (none stored for it before, or taken away).
fn add_refs(tx: &Conn, id: &str, refs: &[(&'static str, String)]) -> Result<(), DbError> {
    for (field, target) in refs {
        tx.prepare_cached("INSERT INTO doc_refs (doc_id, field, target) VALUES (?, ?, ?)")?
            .execute(params![id, field, target])?;
    }
    Ok(())
}

/// Fill `doc_refs` for the records stored before the server kept it.
fn backfill_refs(conn: &Conn) -> Result<(), DbError> {
    // Only the kinds that have such a field.
    let kinds: Vec<String> = Kind::ALL
        .iter()
        .filter(|k| k.spec().fields.iter().any(in_doc_refs))
        .map(|k| format!("'{}'", k.as_str()))
        .collect();
    if kinds.is_empty() {
        return Ok(());
    }
    each_stored(conn, &format!("kind IN ({})", kinds.join(", ")), |id, meta| write_refs(conn, id, &meta.refs))
}

/// A record's assignees, customer or contact changed: store who it is assigned to now, and log
/// who gained or lost reading the record, its customer and its contact by it (`grant` entries:
/// `new_scope` the user who gained, `old_scope` the one who lost), so connected and
/// catching-up devices are sent them or drop them. Returns those entries, for the live tail.
fn record_assignment(tx: &Conn, doc_id: &str, after: &DocMeta) -> Result<Vec<crate::live::Entry>, DbError> {
    fn targets(tx: &Conn, doc_id: &str) -> Result<Vec<String>, DbError> {
        let mut out = vec![doc_id.to_string()];
        let rows: Vec<(Option<String>, Option<String>)> = tx
            .prepare_cached("SELECT customer, contact FROM assignments WHERE doc_id = ?")?
            .query_map([doc_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (customer, contact) in rows {
            out.extend(customer);
            out.extend(contact);
        }
        Ok(out)
    }
    let mut affected = targets(tx, doc_id)?;
    affected.extend(after.customer.clone());
    affected.extend(after.contact.clone());
    affected.sort();
    affected.dedup();
    let mut before = Vec::new();
    for target in &affected {
        before.push(assigned_readers(tx, target)?);
    }
    tx.prepare_cached("DELETE FROM assignments WHERE doc_id = ?")?.execute([doc_id])?;
    if !after.deleted {
        for user in &after.assignees {
            tx.prepare_cached(
                "INSERT INTO assignments (doc_id, user_id, customer, contact) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            )?
            .execute(params![doc_id, user, after.customer, after.contact])?;
        }
    }
    let mut grants = Vec::new();
    for (target, before) in affected.iter().zip(before) {
        let now = assigned_readers(tx, target)?;
        if now == before {
            continue;
        }
        // The record's kind and scope as this transaction leaves them, for the live tail to
        // tell whether a grant changes anything for its user (it may not be stored yet: then
        // neither). A later move of the record writes an `access` entry, which the tail does
        // not hold: it starts over, so these never outlive the scope they name.
        let stored: Option<(Option<String>, Option<String>)> = tx
            .prepare_cached("SELECT kind, scope_owner FROM docs WHERE id = ?")?
            .query_row([target], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let (kind, scope) = stored.unwrap_or_default();
        let kind = kind.as_deref().and_then(Kind::parse);
        let lost = before.difference(&now).map(|user| (user, false));
        let gained = now.difference(&before).map(|user| (user, true));
        for (user, gained) in lost.chain(gained) {
            let sql = match gained {
                true => "INSERT INTO log (doc_id, event, new_scope) VALUES (?, 'grant', ?) RETURNING seq",
                false => "INSERT INTO log (doc_id, event, old_scope) VALUES (?, 'grant', ?) RETURNING seq",
            };
            let seq: u64 = tx.prepare_cached(sql)?.query_row(params![target, user], |r| r.get(0))?;
            grants.push(crate::live::Entry::grant(seq, target.clone(), user.clone(), kind, scope.clone()));
        }
    }
    Ok(grants)
}

/// Everyone who reads `target` by an assignment: assigned to it, or to a record naming it as
/// its customer or contact (what [`granted_sql`] asks for one user).
pub fn assigned_readers(conn: &Conn, target: &str) -> Result<HashSet<String>, DbError> {
    Ok(conn
        .prepare_cached("SELECT user_id FROM assignments WHERE doc_id = ?1 OR customer = ?1 OR contact = ?1")?
        .query_map([target], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

/// SQL that is true when user `?{n}` reads document `{doc}` by assignment.
pub fn granted_sql(doc: &str, n: usize) -> String {
    format!(
        "EXISTS (SELECT 1 FROM assignments a WHERE a.user_id = ?{n} AND (a.doc_id = {doc} OR a.customer = {doc} OR a.contact = {doc}))"
    )
}

/// The actor ids (hex) registered to a device.
fn device_actors(conn: &Conn, device_id: &str) -> Result<Vec<String>, DbError> {
    Ok(conn
        .prepare_cached("SELECT actor FROM actors WHERE device_id = ?")?
        .query_map([device_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

/// Accounts and devices changed (revoked, disabled, role or team): connected sessions check
/// themselves again. Other processes (the admin commands) write this too; the server polls it.
fn bump_auth_version(tx: &Conn) -> Result<(), DbError> {
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('auth_version', '1')
         ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(meta.value AS INTEGER) + 1 AS TEXT)",
        [],
    )?;
    Ok(())
}

/// The auth version and newest log sequence, as the server's poller reads them.
pub fn versions(conn: &Conn) -> Result<(u64, u64), DbError> {
    let auth: Option<String> =
        conn.query_row("SELECT value FROM meta WHERE key = 'auth_version'", [], |r| r.get(0)).optional()?;
    let seq = conn.log_end()?;
    Ok((auth.and_then(|v| v.parse().ok()).unwrap_or(0), seq as u64))
}

/// A device as it stands now: refused when it was revoked, its account disabled or its token
/// expired; its current role and team otherwise. For the token check before a connection and
/// for re-checking a connected device from its session's reader.
pub fn device_principal(conn: &Conn, device_id: &str) -> Result<Result<Principal, AuthError>, DbError> {
    let row: Option<(String, i64, bool, String, Option<String>, bool)> = conn
        .prepare_cached(
            "SELECT d.user_id, d.expires_at, d.revoked_at IS NOT NULL, u.role, u.team, u.disabled
             FROM devices d JOIN users u ON u.id = d.user_id WHERE d.id = ?",
        )?
        .query_row([device_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
        .optional()?;
    let Some((user_id, expires, revoked, role, team, disabled)) = row else { return Ok(Err(AuthError::Invalid)) };
    Ok(if revoked {
        Err(AuthError::Revoked)
    } else if disabled {
        Err(AuthError::Disabled)
    } else if expires < now_ms() {
        Err(AuthError::Expired)
    } else {
        Principal::new(user_id, &role, team, device_id.to_string(), expires).ok_or(AuthError::Invalid)
    })
}

/// A role and team as a `rescope` log entry keeps them: `role` or `role<TAB>team`.
fn encode_scope(role: &str, team: Option<&str>) -> String {
    match team {
        Some(team) => format!("{role}\t{team}"),
        None => role.to_string(),
    }
}

/// The inverse of [`encode_scope`].
pub fn decode_scope(scope: &str) -> (String, Option<String>) {
    match scope.split_once('\t') {
        Some((role, team)) => (role.to_string(), Some(team.to_string())),
        None => (scope.to_string(), None),
    }
}

/// `D01`, `D02`, … `DZZ`, then longer: unique per server, short on paper.
fn device_prefix(n: u64) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut digits = Vec::new();
    let mut n = n;
    while n > 0 || digits.len() < 2 {
        digits.push(ALPHABET[(n % 32) as usize] as char);
        n /= 32;
    }
    format!("D{}", digits.into_iter().rev().collect::<String>())
}

/// Copy the database to `to` while the server keeps running: `VACUUM INTO` reads one
/// consistent snapshot, writers carry on.
pub fn backup(db_path: &Path, to: &Path, by: &audit::Actor) -> Result<(), DbError> {
    if to.exists() {
        return Err(DbError::Invalid(format!("{} exists; choose a new file name", to.display())));
    }
    let conn = open_connection(db_path)?;
    conn.execute("VACUUM INTO ?", [to.to_string_lossy().as_ref()])?;
    conn.execute_schema(audit::SCHEMA)?;
    // The files the records name go with it (`TO.blobs`, linked: they never change).
    let files = BlobDir::beside(db_path)
        .copy_into(&BlobDir::beside(to))
        .map_err(|e| DbError::Invalid(format!("the backup's files could not be kept: {e}")))?;
    let name = to.file_name().map(|n| n.to_string_lossy().into_owned());
    audit::record(&conn, by, "backup", name.as_deref(), json!({ "files": files }))
}

/// A backup may be restored: it is intact and a sync-server database.
fn check_backup(from: &Path) -> Result<(), DbError> {
    let check = rusqlite::Connection::open_with_flags(from, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let ok: String = check.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if ok != "ok" {
        return Err(DbError::Invalid(format!("{} is damaged ({ok}); not restoring it", from.display())));
    }
    let is_ours: bool =
        check.query_row("SELECT COUNT(*) = 2 FROM sqlite_master WHERE name IN ('log', 'devices')", [], |r| r.get(0))?;
    if !is_ours {
        return Err(DbError::Invalid(format!("{} is not a sync-server database", from.display())));
    }
    Ok(())
}

/// Give a restored database a new epoch (devices that synced after the backup was taken learn
/// that the server may lack what it acknowledged to them, and send their own changes again)
/// and log the restore. Returns the epoch.
fn after_restore(conn: &Conn, from: &Path, by: &audit::Actor, detail: serde_json::Value) -> Result<String, DbError> {
    let epoch = Uuid::new_v4().to_string();
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('epoch', ?1) ON CONFLICT (key) DO UPDATE SET value = ?1",
        [&epoch],
    )?;
    conn.execute_schema(audit::SCHEMA)?;
    let name = from.file_name().map(|n| n.to_string_lossy().into_owned());
    audit::record(conn, by, "restore", name.as_deref(), detail)?;
    Ok(epoch)
}

/// Replace the contents of a running server's database with a backup, through its writer
/// (SQLite's online backup, one transaction: readers see the old or the new database, never
/// a mix). The caller reopens its `ServerDb` and ends every connection. Returns the epoch.
fn restore_live(
    writer: &mut Conn,
    from: &Path,
    by: &audit::Actor,
    detail: serde_json::Value,
) -> Result<String, DbError> {
    check_backup(from)?;
    let Some(sqlite) = writer.sqlite_mut() else { return Err(on_postgres("restore")) };
    sqlite.restore(rusqlite::MAIN_DB, from, None::<fn(rusqlite::backup::Progress)>)?;
    after_restore(writer, from, by, detail)
}

/// Backups and restores of a PostgreSQL database are PostgreSQL's (`pg_dump`, `pg_restore`,
/// point-in-time recovery): the server's own copy a file at a time is SQLite's.
pub fn on_postgres(what: &str) -> DbError {
    DbError::Refused(
        "not_on_postgres",
        format!("the server's {what} works on its SQLite file; on PostgreSQL use pg_dump and pg_restore (README: PostgreSQL)"),
    )
}

/// Put back the files backup `from` kept that the database at `db_path` no longer has.
pub fn restore_files(db_path: &Path, from: &Path) -> Result<usize, DbError> {
    BlobDir::beside(from)
        .copy_into(&BlobDir::beside(db_path))
        .map_err(|e| DbError::Invalid(format!("the backup's files could not be put back: {e}")))
}

/// Replace the database with a backup (the server must be stopped). The backup is checked
/// first; a damaged file or another kind of database is refused and nothing is touched.
pub fn restore(db_path: &Path, from: &Path) -> Result<(), DbError> {
    check_backup(from)?;
    for suffix in ["-wal", "-shm"] {
        let side = std::path::PathBuf::from(format!("{}{suffix}", db_path.display()));
        if side.exists() {
            std::fs::remove_file(&side).map_err(|e| DbError::Invalid(e.to_string()))?;
        }
    }
    std::fs::copy(from, db_path).map_err(|e| DbError::Invalid(e.to_string()))?;
    restore_files(db_path, from)?;
    after_restore(&open_connection(db_path)?, from, &audit::Actor::cli(), serde_json::Value::Null).map(|_| ())
}

/// Change times (seconds) the server accepts: not before 2000 and not more than a day ahead
/// of the server's clock. Anything else is a broken clock or a forged change, and would
/// overflow the millisecond arithmetic of every reader.
fn plausible_time(secs: i64) -> Result<(), String> {
    const EARLIEST: i64 = 946_684_800; // 2000-01-01T00:00:00Z
    let latest = now_ms() / 1000 + 86_400;
    if (EARLIEST..=latest).contains(&secs) {
        Ok(())
    } else {
        Err(format!(
            "the change is dated {secs} s since 1970, outside 2000-01-01 .. one day from now; check the device's clock"
        ))
    }
}
