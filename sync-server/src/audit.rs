//! The audit log: who did what to accounts, devices and the company's data, and when — sign-ins
//! and failed sign-ins, account and role changes, revocations, customer transfers, exports
//! (and refused ones), backups and restores. Record-level history stays in the documents.
//! Entries are only ever added; admins search them (`GET /api/admin/audit`).

use crate::params;
use crate::sql::Conn;
use serde::Serialize;
use serde_json::Value as Json;

use crate::db::DbError;

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,          -- a user id, 'cli' (the admin command line) or 'system'
    action TEXT NOT NULL,
    target TEXT,                  -- the user, device or record acted on
    detail TEXT,                  -- JSON
    address TEXT                  -- where the request came from, when over the network
);
CREATE INDEX IF NOT EXISTS audit_at ON audit(at);
CREATE INDEX IF NOT EXISTS audit_action ON audit(action, at);
";

/// Every action the log knows, for filters and translations.
pub const ACTIONS: &[&str] = &[
    "login",
    "login_failed",
    "user_added",
    "user_changed",
    "user_disabled",
    "user_enabled",
    "password_reset",
    "device_revoked",
    "transfer",
    "export",
    "export_refused",
    "backup",
    "restore",
    "import",
    "import_revert",
    "smtp_changed",
];

/// What a device reports of itself (`POST /api/audit`): it happened on the device, maybe
/// offline, and reaches the log when the device is next connected.
pub const DEVICE_ACTIONS: &[&str] = &["import", "import_revert", "export"];

/// Who acts, as the log names them.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub id: String,
    pub address: Option<String>,
    /// The device the request came from (an HTTP caller's token's device).
    pub device: Option<String>,
}

impl Actor {
    pub fn cli() -> Actor {
        Actor { id: "cli".into(), address: None, device: None }
    }

    /// The server's own command line, which may do what the admin API refuses (disable the
    /// last admin): it is how a locked-out company gets back in.
    pub fn is_cli(&self) -> bool {
        self.id == "cli"
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    /// The actor's username, when the actor is a user.
    pub actor_name: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub detail: Json,
    pub address: Option<String>,
}

/// Add an entry.
pub fn record(conn: &Conn, actor: &Actor, action: &str, target: Option<&str>, detail: Json) -> Result<(), DbError> {
    conn.prepare_cached("INSERT INTO audit (at, actor, action, target, detail, address) VALUES (?, ?, ?, ?, ?, ?)")?
        .execute(params![
            crm_core::value::now_ms(),
            actor.id,
            action,
            target,
            (!detail.is_null()).then(|| detail.to_string()),
            actor.address
        ])?;
    Ok(())
}

/// A search of the log, newest first.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Query {
    /// One action (see [`ACTIONS`]).
    pub action: Option<String>,
    /// A user id or username that acted.
    pub actor: Option<String>,
    /// Text found in the target or the detail.
    pub q: Option<String>,
    /// Entries before this id (the `next` of the previous page).
    pub before: Option<i64>,
    pub limit: Option<usize>,
}

pub fn search(conn: &Conn, query: &Query) -> Result<(Vec<Entry>, Option<i64>), DbError> {
    if let Some(a) = query.action.as_deref().filter(|a| !ACTIONS.contains(a)) {
        return Err(DbError::Invalid(format!("action must be one of {}, not '{a}'", ACTIONS.join(", "))));
    }
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    // Folded here, ASCII only, as `LOWER` folds the column on both stores (PostgreSQL's text
    // is `COLLATE "C"`): a term with other letters matches them as written.
    let like = query.q.as_ref().map(|q| format!("%{}%", q.replace(['%', '_', '\\'], "").to_ascii_lowercase()));
    let mut stmt = conn.prepare_cached(
        "SELECT a.id, a.at, a.actor, u.username, a.action, a.target, a.detail, a.address
         FROM audit a LEFT JOIN users u ON u.id = a.actor
         WHERE (CAST(?1 AS TEXT) IS NULL OR a.action = ?1)
           AND (CAST(?2 AS TEXT) IS NULL OR a.actor = ?2 OR u.username = ?2)
           AND (CAST(?3 AS TEXT) IS NULL OR LOWER(a.target) LIKE ?3 OR LOWER(a.detail) LIKE ?3)
           AND (CAST(?4 AS BIGINT) IS NULL OR a.id < ?4)
         ORDER BY a.id DESC LIMIT ?5",
    )?;
    let rows = stmt.query_map(params![query.action, query.actor, like, query.before, limit as i64 + 1], |r| {
        Ok(Entry {
            id: r.get(0)?,
            at: crm_core::value::format_datetime(r.get(1)?),
            actor: r.get(2)?,
            actor_name: r.get(3)?,
            action: r.get(4)?,
            target: r.get(5)?,
            detail: r.get::<Option<String>>(6)?.and_then(|d| serde_json::from_str(&d).ok()).unwrap_or(Json::Null),
            address: r.get(7)?,
        })
    })?;
    let mut entries: Vec<Entry> = rows.collect::<Result<_, _>>()?;
    let next = (entries.len() > limit).then(|| {
        entries.truncate(limit);
        entries.last().map(|e| e.id).unwrap_or_default()
    });
    Ok((entries, next))
}
