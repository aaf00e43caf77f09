//! The local store: documents, their changes, the outbox and the read models in one SQLite
//! file (WAL). A local edit is one transaction: the change, the document bookkeeping, the
//! outbox entry and the projection rows commit together or not at all.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use automerge::{ActorId, Change};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use serde_json::{Map as JsonMap, Value as Json};
use uuid::Uuid;

use crate::cache::DocCache;
use crate::document::RecordDoc;
use crate::error::{Error, FieldError, Result};
use crate::kind::{Default, FieldSpec, FieldType, Kind};
use crate::projection;
use crate::value::{self, now_ms, FieldValue};

/// Change rows per document before they are folded into a snapshot.
const COMPACT_AT: i64 = 24;
const CACHE_DOCS: usize = 256;
/// Bumped when the seeded reference data changes.
const SEED_VERSION: &str = "5";

const BASE_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    id TEXT PRIMARY KEY,
    kind TEXT,
    snapshot BLOB NOT NULL DEFAULT x'',
    change_rows INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS changes (
    doc_id TEXT NOT NULL,
    hash BLOB NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (doc_id, hash)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rejected (
    hash BLOB PRIMARY KEY,
    doc_id TEXT NOT NULL,
    bytes BLOB NOT NULL,
    code TEXT NOT NULL,
    reason TEXT NOT NULL,
    at INTEGER NOT NULL,
    params TEXT,
    kind TEXT,
    title TEXT
);
CREATE TABLE IF NOT EXISTS awaiting (
    hash BLOB PRIMARY KEY,
    doc_id TEXT NOT NULL,
    transition TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS rejected_doc ON rejected(doc_id);
CREATE INDEX IF NOT EXISTS awaiting_doc ON awaiting(doc_id);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL,
    hash BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);
-- A record whose stored snapshot could not be loaded (`store::load_doc`): its bytes are kept
-- here, the record is read from its change rows alone and fetched again from the server by a
-- repair (`sync::client`); `healed_at` is set once it is whole again.
CREATE TABLE IF NOT EXISTS unreadable_docs (
    doc_id TEXT PRIMARY KEY,
    snapshot BLOB NOT NULL,
    error TEXT NOT NULL,
    found_at INTEGER NOT NULL,
    healed_at INTEGER,
    repairs INTEGER NOT NULL DEFAULT 0
);
-- What the server's audit log should hear of that happened on this device (an import, its
-- revert), sent when the device is next connected (`sync::local`, docs/protocol.md).
CREATE TABLE IF NOT EXISTS audit_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT NOT NULL,
    at INTEGER NOT NULL
);
";

/// Who is working on this device. Used as the default owner and as the author of changes.
#[derive(Debug, Clone, Serialize)]
pub struct Identity {
    pub user_id: String,
    pub display_name: String,
    pub role: String,
    pub device_id: String,
    /// Device part of minted codes, e.g. `C-K7Q3P-00012`.
    pub code_prefix: String,
    /// Hex of the Automerge actor id this device writes with.
    pub actor: String,
    /// The person's team code, from their user record as last synced (see [`Store::whoami`]).
    pub team: Option<String>,
}

/// A change to store that came from another device.
#[derive(Debug, Clone)]
pub struct IncomingChange {
    pub doc_id: String,
    pub bytes: Vec<u8>,
}

/// What applying changes from elsewhere did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ApplyReport {
    /// Records whose content changed, in the order they were applied.
    pub changed: Vec<String>,
    /// Changes this device already had.
    pub duplicates: usize,
    /// Records with changes that wait for changes not received yet.
    pub waiting: usize,
}

/// A local change not yet acknowledged by the server.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxEntry {
    pub seq: i64,
    pub doc_id: String,
    pub hash: String,
    #[serde(serialize_with = "crate::api::base64_bytes")]
    pub bytes: Vec<u8>,
}

pub struct Store {
    pub(crate) conn: Connection,
    pub(crate) cache: DocCache,
    pub(crate) me: Identity,
    pub(crate) actor: ActorId,
    /// Custom field definitions read once for a batch that writes none (an import's plan):
    /// `Some` only inside [`Store::with_custom_defs_pinned`].
    pinned_defs: std::cell::RefCell<Option<std::collections::HashMap<Kind, Vec<crate::custom::Def>>>>,
    /// Files (photos, receipts) beside the database, by hash (`crate::attachment`).
    pub(crate) blobs: crate::attachment::BlobDir,
    /// Held while the store is open (see [`Store::open`]).
    _lock: std::fs::File,
}

fn now_secs() -> i64 {
    now_ms().div_euclid(1000)
}

impl Store {
    /// Open (or create) the store at `path`, migrating and rebuilding read models as needed.
    ///
    /// One process owns a store at a time: a second `open` of the same file, from another
    /// process or this one, fails with [`Error::InUse`] naming the holder, instead of two
    /// writers with their own in-memory documents corrupting each other's changes.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        Store::open_with(path, None)
    }

    /// [`Store::open`] an encrypted store with its key ([`crate::at_rest`]); with a key, a store
    /// that does not exist yet is created encrypted. Without one, an encrypted store is
    /// [`Error::StoreLocked`]; with the wrong one, [`Error::WrongKey`] — either before anything
    /// is read or written.
    pub fn open_with(path: impl AsRef<Path>, key: Option<&crate::at_rest::StoreKey>) -> Result<Store> {
        let path = path.as_ref();
        let lock = lock_store(path)?;
        let blobs = crate::attachment::BlobDir::beside(path);
        let conn = Connection::open(path)?;
        match key {
            Some(key) => crate::at_rest::unlock(&conn, key)?,
            None if crate::at_rest::is_encrypted(path) => return Err(Error::StoreLocked),
            None => {}
        }
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "busy_timeout", 5000)?;
        conn.pragma_update(None, "cache_size", -16000)?;
        // Writing one record runs some twenty distinct statements (the document, the outbox,
        // every read model); rusqlite keeps 16 by default, so each write prepared them again.
        conn.set_prepared_statement_cache_capacity(256);
        // SQLite recompiles a statement each time a value is bound to its `LIMIT ?` (to plan
        // for that value), which made a kept statement as slow as a new one: one plan for all.
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        conn.execute_batch(BASE_SCHEMA)?;
        conn.execute_batch(crate::import::SCHEMA)?;
        conn.execute_batch(crate::attachment::local::SCHEMA)?;
        // Stores made before refusals carried parameters.
        let has_params: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM pragma_table_info('rejected') WHERE name = 'params')",
            [],
            |r| r.get(0),
        )?;
        if !has_params {
            conn.execute_batch("ALTER TABLE rejected ADD COLUMN params TEXT")?;
        }
        // ...and before they kept the record's kind and title (for records that left since).
        let has_title: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM pragma_table_info('rejected') WHERE name = 'title')",
            [],
            |r| r.get(0),
        )?;
        if !has_title {
            conn.execute_batch(
                "ALTER TABLE rejected ADD COLUMN kind TEXT; ALTER TABLE rejected ADD COLUMN title TEXT;",
            )?;
        }
        let me = load_or_create_identity(&conn)?;
        let actor = ActorId::from(hex_decode(&me.actor).ok_or_else(|| Error::Corrupt("bad actor id in meta".into()))?);
        // Sealed beside an encrypted store, before anything reads them.
        let blobs = crate::at_rest::files_of(&conn, blobs, key.is_some())?;
        let mut store = Store {
            conn,
            cache: DocCache::new(CACHE_DOCS),
            me,
            actor,
            pinned_defs: std::cell::RefCell::new(None),
            blobs,
            _lock: lock,
        };
        let ddl = projection::ddl();
        if store.meta("projection_ddl")?.as_deref() != Some(ddl.as_str()) {
            store.rebuild_projections()?;
        }
        crate::search::prepare(&store.conn)?;
        if store.meta("seed_version")?.as_deref() != Some(SEED_VERSION) {
            store.seed()?;
        }
        // The local profile (never signed in) gets a user record of its own; a server account
        // already has one, which arrives with the first sync: writing another would conflict.
        let local_profile = store.meta("sync_url")?.is_none();
        if local_profile && store.title_of(Kind::User, &store.me.user_id.clone())?.is_none() && store.me.role == "admin"
        {
            store.create_profile_user()?;
        }
        Ok(store)
    }

    pub fn identity(&self) -> &Identity {
        &self.me
    }

    /// Who is working, with their role and team as their user record has them now (the
    /// server keeps user records in step with the accounts, so a role or team changed by an
    /// admin arrives like any other edit).
    pub fn whoami(&self) -> Identity {
        let (role, team) = self.my_account();
        Identity { role, team, ..self.me.clone() }
    }

    /// (role, team) from the person's user record; the role signed in with when there is none.
    fn my_account(&self) -> (String, Option<String>) {
        let sql = format!("SELECT role, team FROM {} WHERE id = ?", Kind::User.table());
        let row: Option<(Option<String>, Option<String>)> = self
            .conn
            .prepare_cached(&sql)
            .and_then(|mut st| st.query_row([&self.me.user_id], |r| Ok((r.get(0)?, r.get(1)?))).optional())
            .ok()
            .flatten();
        match row {
            Some((role, team)) => (role.unwrap_or_else(|| self.me.role.clone()), team),
            None => (self.me.role.clone(), None),
        }
    }

    /// Switch who is working on this device (after signing in to a server). A new actor id
    /// is used from now on, so changes are attributed to the right user and device.
    pub fn set_identity(
        &mut self,
        user_id: &str,
        display_name: &str,
        role: &str,
        code_prefix: Option<&str>,
    ) -> Result<()> {
        self.set_identity_with_actor(user_id, display_name, role, code_prefix, &hex(Uuid::new_v4().as_bytes()))
    }

    /// [`Store::set_identity`] with a given actor id (hex), the one registered with a server
    /// at sign-in.
    pub fn set_identity_with_actor(
        &mut self,
        user_id: &str,
        display_name: &str,
        role: &str,
        code_prefix: Option<&str>,
        actor_hex: &str,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        write_identity(&tx, user_id, display_name, role, code_prefix, actor_hex)?;
        tx.commit()?;
        self.reload_identity()
    }

    /// Read who is working again after it was written in a transaction.
    pub(crate) fn reload_identity(&mut self) -> Result<()> {
        self.me = load_or_create_identity(&self.conn)?;
        self.actor =
            ActorId::from(hex_decode(&self.me.actor).ok_or_else(|| Error::Corrupt("bad actor id in meta".into()))?);
        Ok(())
    }

    /// Keep a small setting of this device (e.g. how the app is used).
    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<()> {
        set_meta(&self.conn, key, value)
    }

    pub(crate) fn set_meta(&mut self, key: &str, value: &str) -> Result<()> {
        set_meta(&self.conn, key, value)
    }

    pub(crate) fn delete_meta(&mut self, key: &str) -> Result<()> {
        self.conn.execute("DELETE FROM meta WHERE key = ?", [key])?;
        Ok(())
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        get_meta(&self.conn, key)
    }

    // ---- reading documents ------------------------------------------------------------

    /// Run `f` on a loaded document (from the cache or the database).
    pub(crate) fn with_doc<T>(&mut self, id: &str, f: impl FnOnce(&mut RecordDoc) -> Result<T>) -> Result<T> {
        let mut doc = self.take_doc(id)?;
        let out = f(&mut doc);
        self.cache.put(id, doc);
        out
    }

    /// A document out of the cache, or loaded; the caller puts it back (`cache.put`). A record
    /// set aside as unreadable and not whole again is neither read nor edited here: what is
    /// left of it is partial, and an edit on it would be built on nothing the server has.
    fn take_doc(&mut self, id: &str) -> Result<RecordDoc> {
        // Loaded first: the load is what finds a snapshot broken and sets it aside.
        let doc = self.take_any_doc(id)?;
        if is_unreadable(&self.conn, id)? {
            self.cache.put(id, doc);
            return Err(Error::Corrupt(format!(
                "record {id}: its copy on this device could not be read and is being fetched again from the server; \
                 try again after the next sync"
            )));
        }
        Ok(doc)
    }

    /// [`Store::with_doc`] for the sync's own work on a record, whole or not (a repair).
    pub(crate) fn with_any_doc<T>(&mut self, id: &str, f: impl FnOnce(&mut RecordDoc) -> Result<T>) -> Result<T> {
        let mut doc = self.take_any_doc(id)?;
        let out = f(&mut doc);
        self.cache.put(id, doc);
        out
    }

    fn take_any_doc(&mut self, id: &str) -> Result<RecordDoc> {
        match self.cache.take(id) {
            Some(doc) => Ok(doc),
            None => load_doc(&self.conn, id)?.ok_or_else(|| Error::NotFound(id.to_string())),
        }
    }

    pub fn kind_of(&self, id: &str) -> Result<Kind> {
        let kind: Option<Option<String>> =
            self.conn.prepare_cached("SELECT kind FROM docs WHERE id = ?")?.query_row([id], |r| r.get(0)).optional()?;
        kind.flatten().and_then(|k| Kind::parse(&k)).ok_or_else(|| Error::NotFound(id.to_string()))
    }

    /// The display title of a record from its projection, if it exists here.
    pub fn title_of(&self, kind: Kind, id: &str) -> Result<Option<String>> {
        let sql = format!("SELECT {} FROM {} WHERE id = ?", kind.spec().title, kind.table());
        Ok(self.conn.prepare_cached(&sql)?.query_row([id], |r| r.get(0)).optional()?.flatten())
    }

    // ---- validation ---------------------------------------------------------------------

    /// Parse and check the fields of a create (`target: None`) or of an update of `target`.
    /// Either every field is valid or the errors for all bad fields come back together.
    pub(crate) fn parse_fields(
        &self,
        kind: Kind,
        fields: &JsonMap<String, Json>,
        target: Option<&str>,
    ) -> Result<Vec<(&'static FieldSpec, Option<FieldValue>)>> {
        self.parse_fields_but(kind, fields, target, &[])
    }

    /// [`Store::parse_fields`] of a record whose `later` fields are filled in when it is
    /// written (an imported customer's contacts get the customer's id then).
    pub(crate) fn parse_fields_but(
        &self,
        kind: Kind,
        fields: &JsonMap<String, Json>,
        target: Option<&str>,
        later: &[&str],
    ) -> Result<Vec<(&'static FieldSpec, Option<FieldValue>)>> {
        let creating = target.is_none();
        let spec = kind.spec();
        let mut errors = Vec::new();
        let mut out = Vec::new();
        for (name, json) in fields {
            let Some(field) = spec.field(name) else {
                errors.push(FieldError::new(name.clone(), "unknown_field"));
                continue;
            };
            if field.derived {
                errors.push(FieldError::new(name.clone(), "derived_field"));
                continue;
            }
            match value::parse(field, json) {
                Ok(v) => out.push((field, v)),
                Err(e) => errors.push(e),
            }
        }
        if creating {
            for field in spec.fields {
                if out.iter().any(|(f, v)| f.name == field.name && v.is_some()) {
                    continue;
                }
                let default = match field.default {
                    Default::None | Default::MintedCode => None,
                    Default::CurrentUser => Some(FieldValue::Str(self.me.user_id.clone())),
                    Default::Now => Some(FieldValue::DateTime(now_ms())),
                    Default::Str(s) => Some(FieldValue::Str(s.to_string())),
                    Default::Bool(b) => Some(FieldValue::Bool(b)),
                    Default::Int(n) => Some(FieldValue::Int(n)),
                };
                out.retain(|(f, _)| f.name != field.name);
                if let Some(d) = default {
                    out.push((field, Some(d)));
                } else if field.required
                    && !later.contains(&field.name)
                    && !errors.iter().any(|e| e.field == field.name)
                {
                    errors.push(FieldError::new(field.name, "required"));
                }
            }
        }
        errors.extend(self.check_with_data(kind, &mut out, target)?);
        for (field, value) in &out {
            let Some(value) = value else {
                if field.required {
                    errors.push(FieldError::new(field.name, "required"));
                }
                continue;
            };
            if let Err(e) = self.check_exists(field, value) {
                errors.push(e);
            }
        }
        if let Some(prefix_field) = spec.code_prefix.and_then(|_| spec.field("code")) {
            if let Some((_, Some(FieldValue::Str(code)))) = out.iter().find(|(f, _)| f.name == prefix_field.name) {
                let taken: bool = self
                    .conn
                    .prepare_cached(&format!(
                        "SELECT EXISTS (SELECT 1 FROM {} WHERE code = ? AND id IS NOT ?)",
                        kind.table()
                    ))?
                    .query_row(params![code, target], |r| r.get(0))?;
                if taken {
                    errors.push(FieldError::with("code", "duplicate_code", serde_json::json!({ "value": code })));
                }
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(Error::Validation(errors))
        }
    }

    /// Run `f` (which writes no custom field definitions) reading each kind's definitions
    /// once instead of at every record it checks.
    pub(crate) fn with_custom_defs_pinned<T>(&mut self, f: impl FnOnce(&mut Store) -> T) -> T {
        *self.pinned_defs.borrow_mut() = Some(std::collections::HashMap::new());
        let out = f(self);
        *self.pinned_defs.borrow_mut() = None;
        out
    }

    /// The custom field definitions of `kind` (see [`crate::custom::defs`]).
    pub(crate) fn custom_defs(&self, kind: Kind) -> Result<Vec<crate::custom::Def>> {
        if let Some(pinned) = self.pinned_defs.borrow_mut().as_mut() {
            if let Some(defs) = pinned.get(&kind) {
                return Ok(defs.clone());
            }
            let defs = crate::custom::defs(&self.conn, kind)?;
            pinned.insert(kind, defs.clone());
            return Ok(defs);
        }
        crate::custom::defs(&self.conn, kind)
    }

    /// Rules of particular kinds that need what this device holds: custom values against
    /// their definitions (normalised in place), a definition's own rules, and what each
    /// setting key takes.
    fn check_with_data(
        &self,
        kind: Kind,
        out: &mut [(&'static FieldSpec, Option<FieldValue>)],
        target: Option<&str>,
    ) -> Result<Vec<FieldError>> {
        let given = |out: &[(&'static FieldSpec, Option<FieldValue>)], name: &str| {
            out.iter().find(|(f, _)| f.name == name).map(|(_, v)| v.clone())
        };
        let text = |v: Option<FieldValue>| match v {
            Some(FieldValue::Str(s)) => Some(s),
            _ => None,
        };
        let stored = |column: &str| -> Result<Option<String>> {
            let Some(id) = target else { return Ok(None) };
            let sql = format!("SELECT {column} FROM {} WHERE id = ?", kind.table());
            Ok(self.conn.prepare_cached(&sql)?.query_row([id], |r| r.get(0)).optional()?.flatten())
        };
        let mut errors = Vec::new();
        if crate::custom::customizable(kind) {
            let at = out.iter().position(|(f, _)| f.name == crate::custom::FIELD);
            if at.is_some() || target.is_none() {
                let defs = self.custom_defs(kind)?;
                let values = match at.and_then(|i| out[i].1.as_ref()) {
                    Some(FieldValue::Custom(map)) => map.clone(),
                    _ => std::collections::BTreeMap::new(),
                };
                let before = match target {
                    Some(id) => crate::custom::current(&self.conn, kind, id)?,
                    None => None,
                };
                match crate::custom::check(&defs, &values, before.as_ref()) {
                    Ok(normal) => {
                        if let Some(i) = at {
                            out[i].1 = Some(FieldValue::Custom(normal));
                        }
                    }
                    Err(e) => errors.extend(e),
                }
            }
        }
        match kind {
            Kind::CustomField => {
                let key = text(given(out, "key").flatten());
                let ty = match given(out, "type") {
                    Some(v) => text(v),
                    None => stored("type")?,
                };
                let options = match given(out, "options") {
                    Some(v) => text(v),
                    None => stored("options")?,
                };
                errors.extend(crate::custom::check_definition(key.as_deref(), ty.as_deref(), options.as_deref()));
            }
            Kind::Setting => {
                let key = match given(out, "key") {
                    Some(v) => text(v),
                    None => stored("key")?,
                };
                let value = match given(out, "value").flatten() {
                    Some(FieldValue::Int(n)) => Some(n),
                    _ => None,
                };
                let words = text(given(out, "text").flatten());
                if let Some(key) = key {
                    errors.extend(crate::settings::check(&key, value, words.as_deref()));
                }
            }
            _ => {}
        }
        Ok(errors)
    }

    /// Dictionary codes must be known and active; references must point at a live record.
    fn check_exists(&self, field: &FieldSpec, value: &FieldValue) -> Result<(), FieldError> {
        let Some(s) = value.as_str() else {
            return Ok(());
        };
        if field.ty == FieldType::Ref(Kind::User) && s == self.me.user_id {
            // The signed-in user is known even before their user record has synced here.
            return Ok(());
        }
        let found = match field.ty {
            FieldType::Dict(dict) => self
                .conn
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM p_dict_entry WHERE dict = ? AND code = ?
                     AND deleted_at IS NULL AND IFNULL(active, 1) = 1)",
                )
                .and_then(|mut st| st.query_row(params![dict, s], |r| r.get::<_, bool>(0))),
            FieldType::Ref(kind) => self
                .conn
                .prepare_cached(&format!(
                    "SELECT EXISTS (SELECT 1 FROM {} WHERE id = ? AND deleted_at IS NULL)",
                    kind.table()
                ))
                .and_then(|mut st| st.query_row([s], |r| r.get::<_, bool>(0))),
            _ => return Ok(()),
        };
        match (found, field.ty) {
            (Ok(true), _) => Ok(()),
            (_, FieldType::Dict(dict)) => Err(FieldError::with(
                field.name,
                "unknown_dictionary_value",
                serde_json::json!({ "value": s, "dictionary": dict }),
            )),
            (_, _) => Err(FieldError::with(field.name, "unknown_reference", serde_json::json!({ "value": s }))),
        }
    }

    /// Who is working here, for access decisions (`crm_core::access`, the server's rules).
    /// A role this version does not know may not write.
    pub fn person(&self) -> crate::access::Person {
        let (role, team) = self.my_account();
        crate::access::Person {
            user_id: self.me.user_id.clone(),
            role: crate::access::Role::parse(&role).unwrap_or(crate::access::Role::Viewer),
            team,
        }
    }

    pub(crate) fn check_may_write(&self, kind: Kind) -> Result<()> {
        if !self.person().may_write_kind(kind) {
            return Err(Error::Forbidden { action: "write", kind: kind.to_string() });
        }
        Ok(())
    }

    // ---- local edits --------------------------------------------------------------------

    /// A new record from request fields, by the rules `create` applies (no duplicate check).
    pub(crate) fn create_record(&mut self, kind: Kind, fields: &JsonMap<String, Json>) -> Result<String> {
        self.check_may_write(kind)?;
        let parsed = self.parse_fields(kind, fields, None)?;
        self.check_may_create(&self.deciding()?, kind, &parsed)?;
        self.create_validated(kind, None, parsed)
    }

    /// Create a record from already validated fields. Returns its id.
    pub(crate) fn create_validated(
        &mut self,
        kind: Kind,
        id: Option<String>,
        fields: Vec<(&'static FieldSpec, Option<FieldValue>)>,
    ) -> Result<String> {
        let tx = self.conn.transaction()?;
        let id = create_in(&tx, &self.me, &self.actor, kind, id, fields)?;
        tx.commit()?;
        Ok(id)
    }

    /// Create many records in one transaction (imports, demo data). Fields are validated
    /// first; nothing is written if any record is invalid.
    pub fn bulk_create(&mut self, records: Vec<(Kind, JsonMap<String, Json>)>) -> Result<Vec<String>> {
        let mut parsed = Vec::with_capacity(records.len());
        let deciding = self.deciding()?;
        for (i, (kind, fields)) in records.iter().enumerate() {
            self.check_may_write(*kind)?;
            match self.parse_fields(*kind, fields, None) {
                Ok(p) => {
                    self.check_may_create(&deciding, *kind, &p)?;
                    parsed.push((*kind, p))
                }
                Err(Error::Validation(mut errors)) => {
                    for e in &mut errors {
                        e.field = format!("{i}.{}", e.field);
                    }
                    return Err(Error::Validation(errors));
                }
                Err(e) => return Err(e),
            }
        }
        let tx = self.conn.transaction()?;
        let mut ids = Vec::with_capacity(parsed.len());
        let mut records = Vec::with_capacity(parsed.len());
        let mut taken = HashSet::new();
        for (kind, fields) in parsed {
            let id = new_id(&tx, kind, None, &fields)?;
            // Two dictionary entries of one batch with the same code would share an id.
            if !taken.insert(id.clone()) {
                return Err(Error::field("code", "duplicate_code"));
            }
            ids.push(id.clone());
            records.push((kind, id, fields));
        }
        create_many(&tx, &self.me, &self.actor, records)?;
        crate::search::flush(&tx)?;
        tx.commit()?;
        Ok(ids)
    }

    /// Run `f`, which writes only what the server sent or said — its changes and snapshots
    /// with the cursor they reach, which pushes it acknowledged or refused — with commits that
    /// do not wait for the disk (`synchronous=NORMAL`; every other commit here waits). A crash
    /// of the app loses none of it; a power cut may take back the last of it, and then it is
    /// only asked for again: the cursor goes back with what it covered, a push not marked
    /// acknowledged is sent again and answered again. The write-ahead log is synced in
    /// order, so the next edit made here makes all of it durable too. A device receiving an
    /// edit thus does not wait for its disk before showing it, nor one whose push was
    /// acknowledged before reading the next message.
    pub fn from_server<T>(&mut self, f: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Synced again however `f` ends: a panic in it too (the store outlives it, behind a
        // mutex that is taken again), or the next edit would not wait for the disk.
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(self)));
        let synced = self.conn.pragma_update(None, "synchronous", "FULL");
        match out {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(out) => synced.map_err(Error::from).and(out),
        }
    }

    /// Run `f` as one transaction: the many edits of an import or its revert are written
    /// with one commit (one sync to disk) instead of one each. If `f` fails nothing is kept,
    /// and documents held in memory are dropped so the next read loads what is on disk.
    pub(crate) fn in_one_transaction<T>(&mut self, f: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        match f(self).and_then(|v| crate::search::flush(&self.conn).map(|()| v)) {
            Ok(v) => {
                self.conn.execute_batch("COMMIT")?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                self.cache = DocCache::new(CACHE_DOCS);
                Err(e)
            }
        }
    }

    /// Apply `f` to a record as one local change. Returns whether anything changed.
    pub(crate) fn edit(&mut self, id: &str, f: impl FnOnce(&mut RecordDoc) -> Result<()>) -> Result<bool> {
        let mut doc = self.take_doc(id)?;
        doc.set_actor(&self.actor);
        // A sales document's lines must still total (the server refuses it otherwise).
        let outcome = f(&mut doc).and_then(|()| match doc.kind().map(|k| crate::domain::problems(k, &doc)) {
            Some(problems) if !problems.is_empty() => Err(Error::Validation(problems)),
            _ => Ok(()),
        });
        if let Err(e) = outcome {
            doc.rollback();
            self.cache.put(id, doc);
            return Err(e);
        }
        let Some(mut change) = doc.commit(&self.me.user_id, now_secs()) else {
            self.cache.put(id, doc);
            return Ok(false);
        };
        let written = (|| {
            if !self.conn.is_autocommit() {
                // Part of [`Store::in_one_transaction`], which undoes all of it on failure.
                return write_local(&self.conn, id, &mut doc, &mut change);
            }
            let tx = self.conn.transaction()?;
            write_local(&tx, id, &mut doc, &mut change)?;
            tx.commit()?;
            Ok::<_, Error>(())
        })();
        // On failure the document is dropped: the next read reloads what is on disk.
        written.map(|()| {
            self.cache.put(id, doc);
            true
        })
    }

    // ---- changes from elsewhere and the outbox -----------------------------------------

    /// Store and merge changes from other devices. Idempotent, in any order: a change whose
    /// dependencies have not arrived is stored and waits. Every change is checked before
    /// anything is written; one bad change rejects the batch.
    pub fn apply_changes(&mut self, incoming: Vec<IncomingChange>) -> Result<ApplyReport> {
        self.apply_changes_at(incoming, None)
    }

    /// [`Store::apply_changes`], recording the sync `cursor` in the same transaction.
    pub fn apply_changes_at(&mut self, incoming: Vec<IncomingChange>, cursor: Option<u64>) -> Result<ApplyReport> {
        let mut by_doc: BTreeMap<String, Vec<Change>> = BTreeMap::new();
        for (i, c) in incoming.into_iter().enumerate() {
            Uuid::parse_str(&c.doc_id)
                .map_err(|_| Error::BadChange(format!("change {i}: doc id '{}' is not a UUID", c.doc_id)))?;
            let change = Change::from_bytes(c.bytes).map_err(|e| Error::BadChange(format!("change {i}: {e}")))?;
            by_doc.entry(c.doc_id).or_default().push(change);
        }
        let mut report = ApplyReport::default();
        let mut touched = Vec::new();
        let result = (|| {
            let tx = self.conn.transaction()?;
            for (doc_id, changes) in by_doc {
                let mut doc = match self.cache.take(&doc_id) {
                    Some(doc) => doc,
                    None => load_doc(&tx, &doc_id)?.unwrap_or_else(RecordDoc::empty),
                };
                let before = doc.heads();
                let mut fresh = Vec::new();
                for mut change in changes {
                    let hash = change.hash();
                    let inserted = !doc.has_change(&hash)
                        && tx
                            .prepare_cached("INSERT OR IGNORE INTO changes (doc_id, hash, bytes) VALUES (?, ?, ?)")?
                            .execute(params![doc_id, hash.0.as_slice(), change.bytes().as_ref()])?
                            == 1;
                    if inserted {
                        fresh.push(change);
                    } else {
                        report.duplicates += 1;
                    }
                }
                if !fresh.is_empty() {
                    let n = fresh.len() as i64;
                    doc.apply(fresh)?;
                    let rows = bump_doc(&tx, &doc_id, doc.kind(), n)?;
                    if doc.heads() != before {
                        projection::project(&tx, &doc_id, &mut doc)?;
                        report.changed.push(doc_id.clone());
                    }
                    if rows >= COMPACT_AT {
                        compact_doc(&tx, &doc_id, &mut doc)?;
                    }
                }
                if !doc.inner().get_missing_deps(&[]).is_empty() {
                    report.waiting += 1;
                }
                touched.push((doc_id, doc));
            }
            if let Some(cursor) = cursor {
                set_meta(&tx, "sync_cursor", &cursor.to_string())?;
            }
            crate::search::flush(&tx)?;
            tx.commit()?;
            Ok::<_, Error>(())
        })();
        result?;
        for (id, doc) in touched {
            self.cache.put(&id, doc);
        }
        Ok(report)
    }

    /// Local changes not yet acknowledged, oldest first.
    pub fn outbox(&self, limit: usize) -> Result<Vec<OutboxEntry>> {
        self.outbox_after(i64::MIN, limit)
    }

    /// The outbox from the entry after `seq` on: what is not yet pushed while earlier entries
    /// are on their way (`sync::client`). Entries put back for a restored server come before
    /// the rest, numbered down from the first (`requeue_own_changes`), so from zero or below
    /// when the outbox was empty: the client reads "from the start" as `i64::MIN`.
    pub fn outbox_after(&self, seq: i64, limit: usize) -> Result<Vec<OutboxEntry>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT o.seq, o.doc_id, o.hash, c.bytes FROM outbox o
             JOIN changes c ON c.doc_id = o.doc_id AND c.hash = o.hash WHERE o.seq > ? ORDER BY o.seq LIMIT ?",
        )?;
        let rows = stmt.query_map([seq, limit as i64], |r| {
            let hash: Vec<u8> = r.get(2)?;
            Ok(OutboxEntry { seq: r.get(0)?, doc_id: r.get(1)?, hash: hex(&hash), bytes: r.get(3)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn outbox_len(&self) -> Result<i64> {
        Ok(self.conn.prepare_cached("SELECT COUNT(*) FROM outbox")?.query_row([], |r| r.get(0))?)
    }

    /// Forget outbox entries the server has durably stored. Returns how many were removed.
    pub fn ack(&mut self, hashes: &[String]) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let mut removed = 0;
        for h in hashes {
            let bytes = hex_decode(h).ok_or_else(|| Error::BadRequest(format!("'{h}' is not a change hash")))?;
            removed += tx.prepare_cached("DELETE FROM outbox WHERE hash = ?")?.execute([&bytes])?;
            // A transition the server confirmed no longer awaits it.
            tx.prepare_cached("DELETE FROM awaiting WHERE hash = ?")?.execute([&bytes])?;
        }
        tx.commit()?;
        Ok(removed)
    }

    /// The heads of a record's document (hex change hashes, sorted).
    pub fn heads(&mut self, id: &str) -> Result<Vec<String>> {
        self.with_doc(id, |doc| {
            let mut heads: Vec<String> = doc.heads().iter().map(|h| h.to_string()).collect();
            heads.sort();
            Ok(heads)
        })
    }

    /// All changes of a record as stored bytes (snapshot changes included), for a peer that
    /// has nothing of it yet.
    pub fn changes_of(&mut self, id: &str) -> Result<Vec<Vec<u8>>> {
        self.with_doc(id, |doc| {
            Ok(doc.inner().get_changes(&[]).into_iter().map(|mut c| c.bytes().into_owned()).collect())
        })
    }

    // ---- maintenance --------------------------------------------------------------------

    /// Drop and rebuild every read model from the documents. Returns the number of records.
    pub fn rebuild_projections(&mut self) -> Result<usize> {
        self.cache.clear();
        let tx = self.conn.transaction()?;
        projection::drop_all(&tx)?;
        let ddl = projection::ddl();
        tx.execute_batch(&ddl)?;
        let ids: Vec<String> =
            tx.prepare("SELECT id FROM docs ORDER BY id")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        for id in &ids {
            if let Some(mut doc) = load_doc(&tx, id)? {
                projection::project(&tx, id, &mut doc)?;
            }
        }
        crate::search::flush(&tx)?;
        set_meta(&tx, "projection_ddl", &ddl)?;
        tx.commit()?;
        Ok(ids.len())
    }

    /// Fold every document's change rows into its snapshot. Returns documents compacted.
    pub fn compact(&mut self) -> Result<usize> {
        self.cache.clear();
        let tx = self.conn.transaction()?;
        let ids: Vec<String> = tx
            .prepare("SELECT id FROM docs WHERE change_rows > 0")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for id in &ids {
            if let Some(mut doc) = load_doc(&tx, id)? {
                compact_doc(&tx, id, &mut doc)?;
            }
        }
        tx.commit()?;
        self.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(ids.len())
    }

    /// Reference data every device starts with ([`crate::seed`]).
    fn seed(&mut self) -> Result<()> {
        let tx = self.conn.transaction()?;
        for (id, mut doc, mut change) in crate::seed::records()? {
            if doc_exists(&tx, &id)? {
                continue;
            }
            tx.execute(
                "INSERT OR IGNORE INTO changes (doc_id, hash, bytes) VALUES (?, ?, ?)",
                params![id, change.hash().0.as_slice(), change.bytes().as_ref()],
            )?;
            bump_doc(&tx, &id, doc.kind(), 1)?;
            projection::project(&tx, &id, &mut doc)?;
        }
        set_meta(&tx, "seed_version", SEED_VERSION)?;
        tx.commit()?;
        Ok(())
    }

    /// A local profile is its own admin and has a user record, so history shows a name.
    fn create_profile_user(&mut self) -> Result<()> {
        let id = self.me.user_id.clone();
        let username = std::env::var("USER").unwrap_or_else(|_| "local".into());
        let values = [
            ("username", FieldValue::Str(username)),
            ("display_name", FieldValue::Str(self.me.display_name.clone())),
            ("role", FieldValue::Str(self.me.role.clone())),
            ("active", FieldValue::Bool(true)),
        ];
        let mut doc = RecordDoc::create_named(&self.actor, Kind::User, now_ms(), &id, &values)?;
        let Some(mut change) = doc.commit(&id, now_secs()) else {
            return Ok(());
        };
        let tx = self.conn.transaction()?;
        write_local(&tx, &id, &mut doc, &mut change)?;
        tx.commit()?;
        Ok(())
    }

    /// Documents currently held in memory (for tests and benchmarks).
    pub fn cached_docs(&self) -> usize {
        self.cache.len()
    }

    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// Create one record inside `tx`: a new document, its first change, outbox and projection
/// ([`create_many`] of one).
pub(crate) fn create_in(
    tx: &Connection,
    me: &Identity,
    actor: &ActorId,
    kind: Kind,
    id: Option<String>,
    fields: Vec<(&'static FieldSpec, Option<FieldValue>)>,
) -> Result<String> {
    let id = new_id(tx, kind, id, &fields)?;
    create_many(tx, me, actor, vec![(kind, id.clone(), fields)])?;
    Ok(id)
}

/// The id a new record gets: the one given (refused if taken), a dictionary entry's from its
/// dictionary and code, otherwise a new time-ordered UUID.
fn new_id(tx: &Connection, kind: Kind, id: Option<String>, fields: &Fields) -> Result<String> {
    Ok(match (kind, id) {
        (_, Some(id)) => {
            let exists = doc_exists(tx, &id)?;
            if exists {
                return Err(Error::field("id", "duplicate_id"));
            }
            id
        }
        // Dictionary entries are identified by (dictionary, code), so two admins adding the
        // same code offline end up with one entry.
        (Kind::DictEntry, None) => {
            let get = |name: &str| {
                fields
                    .iter()
                    .find(|(f, _)| f.name == name)
                    .and_then(|(_, v)| v.as_ref())
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
            };
            let id = crate::dictionary::entry_id(get("dict"), get("code"));
            let exists = doc_exists(tx, &id)?;
            if exists {
                return Err(Error::field("code", "duplicate_code"));
            }
            id
        }
        (_, None) => Uuid::now_v7().to_string(),
    })
}

/// Create many records, given their ids (a customer's contacts name it), in one transaction:
/// codes are minted in order, then the costly part that needs no database — each document
/// and its first change, and its read-model rows — is done on every core, and the rows are
/// written in order. An import's chunk goes through here.
pub(crate) fn create_many(
    tx: &Connection,
    me: &Identity,
    actor: &ActorId,
    records: Vec<(Kind, String, Fields)>,
) -> Result<()> {
    let mut minted = Minted::default();
    let mut records = records;
    for (kind, _, fields) in &mut records {
        minted.mint(tx, me, *kind, fields)?;
    }
    minted.save(tx)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    let per = records.len().div_ceil(threads).max(1);
    let mut parts: Vec<Vec<_>> = Vec::new();
    while !records.is_empty() {
        let rest = records.split_off(per.min(records.len()));
        parts.push(std::mem::replace(&mut records, rest));
    }
    let build = |part: Vec<(Kind, String, Fields)>| -> Result<Vec<Built>> {
        part.into_iter().map(|(kind, id, fields)| build_new(me, actor, kind, id, fields)).collect()
    };
    // One part (a single record: `create_in`): built here; a thread would cost more than it saves.
    let built: Vec<Result<Vec<Built>>> = if parts.len() == 1 {
        parts.into_iter().map(build).collect()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = parts.into_iter().map(|part| scope.spawn(move || build(part))).collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Err(Error::Corrupt("building records failed".into()))))
                .collect()
        })
    };
    for part in built {
        for record in part? {
            write_new(tx, &record)?;
        }
    }
    Ok(())
}

/// A record's validated fields, as they are written.
pub(crate) type Fields = Vec<(&'static FieldSpec, Option<FieldValue>)>;

/// Codes minted in one transaction: each prefix's counter read once and saved once.
#[derive(Default)]
struct Minted(BTreeMap<&'static str, i64>);

impl Minted {
    /// Give a new record of `kind` that has no code the next one.
    fn mint(
        &mut self,
        tx: &Connection,
        me: &Identity,
        kind: Kind,
        fields: &mut Vec<(&'static FieldSpec, Option<FieldValue>)>,
    ) -> Result<()> {
        let spec = kind.spec();
        let (Some(prefix), Some(code_field)) = (spec.code_prefix, spec.field("code")) else { return Ok(()) };
        if fields.iter().any(|(f, v)| f.name == "code" && v.is_some()) {
            return Ok(());
        }
        let next = match self.0.get(prefix) {
            Some(n) => n + 1,
            None => {
                tx.prepare_cached("SELECT value FROM meta WHERE key = ?")?
                    .query_row([format!("code_seq:{prefix}")], |r| r.get::<_, String>(0))
                    .optional()?
                    .and_then(|v| v.parse::<i64>().ok())
                    .unwrap_or(0)
                    + 1
            }
        };
        self.0.insert(prefix, next);
        fields.retain(|(f, _)| f.name != "code");
        fields.push((code_field, Some(FieldValue::Str(format!("{prefix}-{}-{next:05}", me.code_prefix)))));
        Ok(())
    }

    fn save(&self, tx: &Connection) -> Result<()> {
        for (prefix, n) in &self.0 {
            set_meta(tx, &format!("code_seq:{prefix}"), &n.to_string())?;
        }
        Ok(())
    }
}

/// A new record as it will be stored: its document's first change and its read-model rows.
struct Built {
    id: String,
    kind: Kind,
    /// The first change, encoded as it is stored and pushed, and its hash.
    bytes: Vec<u8>,
    hash: automerge::ChangeHash,
    rows: Option<projection::Prepared>,
}

fn build_new(
    me: &Identity,
    actor: &ActorId,
    kind: Kind,
    id: String,
    fields: Vec<(&'static FieldSpec, Option<FieldValue>)>,
) -> Result<Built> {
    let set = fields.iter().filter_map(|(field, value)| value.as_ref().map(|v| (*field, v)));
    let mut doc = RecordDoc::create(actor, kind, now_ms(), &me.user_id, set)?;
    let problems = crate::domain::problems(kind, &doc);
    if !problems.is_empty() {
        return Err(Error::Validation(problems));
    }
    let mut change =
        doc.commit(&me.user_id, now_secs()).ok_or_else(|| Error::Corrupt("a new record produced no change".into()))?;
    let rows = projection::prepare(&id, &mut doc);
    Ok(Built { id, kind, bytes: change.bytes().into_owned(), hash: change.hash(), rows })
}

/// [`write_local`] of a record made just now: nothing of it is stored yet, so nothing is
/// looked up, counted or replaced (an import writes tens of thousands of these).
fn write_new(tx: &Connection, record: &Built) -> Result<()> {
    use crate::sync::protocol::{MAX_CHANGE_BYTES, MAX_RECORD_BYTES};
    let (id, hash) = (record.id.as_str(), record.hash);
    let bytes = record.bytes.len();
    if bytes > MAX_CHANGE_BYTES.min(MAX_RECORD_BYTES) {
        return Err(Error::TooLarge { bytes, max: MAX_CHANGE_BYTES.min(MAX_RECORD_BYTES) });
    }
    queue_change(tx, id, &hash, &record.bytes)?;
    tx.prepare_cached("INSERT INTO docs (id, kind, change_rows) VALUES (?, ?, 1)")?
        .execute(params![id, record.kind.as_str()])?;
    match &record.rows {
        Some(rows) => projection::write_new(tx, rows),
        None => Ok(()),
    }
}

/// Store a local change with its outbox entry and refresh the read models.
/// A change or record too large to sync is refused here, when it is made, never accepted
/// locally and then stuck.
pub(crate) fn write_local(tx: &Connection, id: &str, doc: &mut RecordDoc, change: &mut Change) -> Result<()> {
    use crate::sync::protocol::{MAX_CHANGE_BYTES, MAX_RECORD_BYTES};
    let bytes = change.bytes().len();
    if bytes > MAX_CHANGE_BYTES {
        return Err(Error::TooLarge { bytes, max: MAX_CHANGE_BYTES });
    }
    let stored: i64 = tx
        .prepare_cached(
            "SELECT IFNULL((SELECT length(snapshot) FROM docs WHERE id = ?1), 0)
                  + IFNULL((SELECT SUM(length(bytes)) FROM changes WHERE doc_id = ?1), 0)",
        )?
        .query_row([id], |r| r.get(0))?;
    let record = stored as usize + bytes;
    if record > MAX_RECORD_BYTES {
        return Err(Error::TooLarge { bytes: record, max: MAX_RECORD_BYTES });
    }
    let hash = change.hash();
    queue_change(tx, id, &hash, change.bytes().as_ref())?;
    let rows = bump_doc(tx, id, doc.kind(), 1)?;
    if rows >= COMPACT_AT {
        compact_doc(tx, id, doc)?;
    }
    projection::project(tx, id, doc)
}

/// Store a change made here and put it in the outbox.
fn queue_change(tx: &Connection, id: &str, hash: &automerge::ChangeHash, bytes: &[u8]) -> Result<()> {
    tx.prepare_cached("INSERT INTO changes (doc_id, hash, bytes) VALUES (?, ?, ?)")?.execute(params![
        id,
        hash.0.as_slice(),
        bytes
    ])?;
    tx.prepare_cached("INSERT INTO outbox (doc_id, hash, created_at) VALUES (?, ?, ?)")?.execute(params![
        id,
        hash.0.as_slice(),
        now_ms()
    ])?;
    Ok(())
}

/// Record `added` new change rows for a document; returns its change-row count.
fn bump_doc(tx: &Connection, id: &str, kind: Option<Kind>, added: i64) -> Result<i64> {
    Ok(tx
        .prepare_cached(
            "INSERT INTO docs (id, kind, change_rows) VALUES (?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET change_rows = change_rows + ?3, kind = IFNULL(?2, kind)
             RETURNING change_rows",
        )?
        .query_row(params![id, kind.map(Kind::as_str), added], |r| r.get(0))?)
}

/// Fold change rows into a new snapshot of the document, when that makes the record
/// smaller: rows still in the outbox (their bytes are what gets pushed) and rows waiting for
/// dependencies stay. A one-change record is left alone; its change is smaller than a snapshot.
fn compact_doc(tx: &Connection, id: &str, doc: &mut RecordDoc) -> Result<()> {
    let rows: Vec<(Vec<u8>, i64)> = tx
        .prepare_cached(
            "SELECT hash, length(bytes) FROM changes
             WHERE doc_id = ? AND hash NOT IN (SELECT hash FROM outbox)",
        )?
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let foldable: Vec<(Vec<u8>, i64)> = rows
        .into_iter()
        .filter(|(h, _)| automerge::ChangeHash::try_from(h.as_slice()).is_ok_and(|hash| doc.has_change(&hash)))
        .collect();
    if foldable.is_empty() {
        return Ok(());
    }
    let old_snapshot: i64 = tx.query_row("SELECT length(snapshot) FROM docs WHERE id = ?", [id], |r| r.get(0))?;
    let snapshot = doc.save();
    let replaced = old_snapshot + foldable.iter().map(|(_, len)| len).sum::<i64>();
    if snapshot.len() as i64 >= replaced {
        return Ok(());
    }
    let mut delete = tx.prepare_cached("DELETE FROM changes WHERE doc_id = ? AND hash = ?")?;
    for (h, _) in foldable {
        delete.execute(params![id, h])?;
    }
    let remaining: i64 = tx.query_row("SELECT COUNT(*) FROM changes WHERE doc_id = ?", [id], |r| r.get(0))?;
    tx.prepare_cached("UPDATE docs SET snapshot = ?, change_rows = ? WHERE id = ?")?
        .execute(params![snapshot, remaining, id])?;
    Ok(())
}

fn doc_exists(conn: &Connection, id: &str) -> Result<bool> {
    Ok(conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM docs WHERE id = ?)")?.query_row([id], |r| r.get(0))?)
}

/// A stored document: its snapshot with its change rows applied. A snapshot that cannot be
/// loaded (stored as the server sent it, `sync::local`, it is not decoded until needed) does
/// not make the record — and every sync batch touching it — fail for good: it is set aside
/// ([`quarantine`]) and the record is loaded from its change rows alone until a repair brings
/// the rest from the server.
pub(crate) fn load_doc(conn: &Connection, id: &str) -> Result<Option<RecordDoc>> {
    let snapshot: Option<Vec<u8>> =
        conn.prepare_cached("SELECT snapshot FROM docs WHERE id = ?")?.query_row([id], |r| r.get(0)).optional()?;
    let Some(snapshot) = snapshot else {
        return Ok(None);
    };
    match RecordDoc::load(&snapshot, change_rows(conn, id)?) {
        Err(e) if !snapshot.is_empty() => quarantine(conn, id, snapshot, &e).map(Some),
        loaded => loaded.map(Some),
    }
}

/// Is `id` set aside as unreadable ([`quarantine`]) and not whole again?
pub(crate) fn is_unreadable(conn: &Connection, id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM unreadable_docs WHERE doc_id = ? AND healed_at IS NULL)")?
        .query_row([id], |r| r.get(0))?)
}

fn change_rows(conn: &Connection, id: &str) -> Result<Vec<Vec<u8>>> {
    Ok(conn
        .prepare_cached("SELECT bytes FROM changes WHERE doc_id = ?")?
        .query_map([id], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

/// Keep a snapshot that could not be loaded in `unreadable_docs` and load the record from its
/// change rows alone (this device's unsent edits, and what arrived since; those whose
/// dependencies were in the snapshot wait for them). Everything a snapshot holds is on the
/// server (only acknowledged change rows are ever folded into one), so nothing is lost: the
/// sync client repairs the record ([`Store::unreadable_docs`]). Should the change rows not
/// load either, that is the error.
fn quarantine(conn: &Connection, id: &str, snapshot: Vec<u8>, why: &Error) -> Result<RecordDoc> {
    let doc = RecordDoc::load(&[], change_rows(conn, id)?)?;
    conn.prepare_cached(
        "INSERT OR REPLACE INTO unreadable_docs (doc_id, snapshot, error, found_at) VALUES (?, ?, ?, ?)",
    )?
    .execute(params![id, snapshot, why.to_string(), crate::value::now_ms()])?;
    conn.prepare_cached("UPDATE docs SET snapshot = x'' WHERE id = ?")?.execute([id])?;
    eprintln!("record {id}: its stored copy could not be read ({why}); set aside, it is fetched again from the server");
    Ok(doc)
}

/// Take the store's lock file (`<db>.lock`, beside it) for the life of the `Store`, and
/// write who holds it there so a refused second opener can say who to close.
pub(crate) fn lock_store(db: &Path) -> Result<std::fs::File> {
    use std::io::{Read, Seek, Write};
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    let mut file =
        std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(PathBuf::from(name))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let holder = if holder.is_empty() { "another process".to_string() } else { holder.to_string() };
            return Err(Error::InUse { holder });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(Error::Io(e)),
    }
    let program = std::env::args().next().unwrap_or_default();
    let program = Path::new(&program).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    file.set_len(0)?;
    file.rewind()?;
    write!(file, "{program}, process {}", std::process::id())?;
    Ok(file)
}

/// The value kept under `key` in `meta`, if any.
pub(crate) fn get_meta(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn.prepare_cached("SELECT value FROM meta WHERE key = ?")?.query_row([key], |r| r.get(0)).optional()?)
}

pub(crate) fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, value])?;
    Ok(())
}

/// The actors (hex) in `meta.own_actors`, stored comma-separated.
pub(crate) fn own_actor_list(conn: &rusqlite::Connection) -> Result<Option<Vec<String>>> {
    let list = get_meta(conn, "own_actors")?;
    Ok(list.map(|l| l.split(',').filter(|a| !a.is_empty()).map(str::to_string).collect()))
}

/// Add `actor` (hex) to the actors this store has written with while signed in to a server.
pub(crate) fn remember_own_actor(tx: &rusqlite::Connection, actor: &str) -> Result<()> {
    let mut actors = own_actor_list(tx)?.unwrap_or_default();
    if !actors.iter().any(|a| a == actor) {
        actors.push(actor.to_string());
    }
    set_meta(tx, "own_actors", &actors.join(","))
}

/// Write who is working (inside `tx`): their user, role and the actor (hex) their changes
/// are written with from now on, remembered as this device's own.
pub(crate) fn write_identity(
    tx: &Connection,
    user_id: &str,
    display_name: &str,
    role: &str,
    code_prefix: Option<&str>,
    actor_hex: &str,
) -> Result<()> {
    if crate::access::Role::parse(role).is_none() {
        return Err(Error::field("role", "invalid_choice"));
    }
    hex_decode(actor_hex).filter(|b| (8..=32).contains(&b.len())).ok_or_else(|| Error::field("actor", "invalid_id"))?;
    for (k, v) in [("user_id", user_id), ("display_name", display_name), ("role", role), ("actor", actor_hex)] {
        set_meta(tx, k, v)?;
    }
    remember_own_actor(tx, actor_hex)?;
    if let Some(prefix) = code_prefix {
        set_meta(tx, "code_prefix", prefix)?;
    }
    Ok(())
}

fn load_or_create_identity(conn: &Connection) -> Result<Identity> {
    let get = |k: &str| get_meta(conn, k);
    if get("user_id")?.is_none() {
        // A local profile: this device's own admin, until someone signs in to a server.
        let name =
            std::env::var("USER").ok().filter(|u| !u.is_empty() && u != "root").unwrap_or_else(|| "本机用户".into());
        for (k, v) in [
            ("user_id", Uuid::now_v7().to_string()),
            ("display_name", name),
            ("role", "admin".to_string()),
            ("device_id", Uuid::now_v7().to_string()),
            ("code_prefix", random_prefix()),
            ("actor", hex(Uuid::new_v4().as_bytes())),
        ] {
            set_meta(conn, k, &v)?;
        }
    }
    let need = |k: &str| get(k).and_then(|v| v.ok_or_else(|| Error::Corrupt(format!("meta '{k}' is missing"))));
    Ok(Identity {
        user_id: need("user_id")?,
        display_name: need("display_name")?,
        role: need("role")?,
        device_id: need("device_id")?,
        code_prefix: need("code_prefix")?,
        actor: need("actor")?,
        team: None,
    })
}

/// Five Crockford base-32 characters (no I, L, O, U), e.g. `K7Q3P`.
fn random_prefix() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    Uuid::new_v4().as_bytes()[..5].iter().map(|b| ALPHABET[(*b as usize) % 32] as char).collect()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}
