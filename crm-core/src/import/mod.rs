//! Import from spreadsheets: any kind with a spec, and contacts nested in customer rows.
//!
//! A file is read ([`crate::sheet`]), its columns mapped to fields (guessed from the headers,
//! changeable), every row turned into values and checked by the same rules as a form
//! ([`Store::parse_fields`], the access rules), and matched against existing records by the
//! chosen keys. The *preview* shows all of that and writes nothing; the *run* does the same and
//! writes, as ordinary local edits that sync, in chunks with progress, recording what it did in
//! a batch so that it can be *reverted* later (created records deleted, updated fields set
//! back — where nobody has changed them since). Rows refused are kept with their reasons and
//! can be downloaded as a spreadsheet, fixed and imported again.

pub mod values;

use std::collections::{BTreeMap, HashMap};

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map as JsonMap, Value as Json};
use uuid::Uuid;

use crate::error::{Error, FieldError, Result};
use crate::kind::{FieldSpec, Kind};
use crate::sheet::{self, Sheet};
use crate::store::Store;
use crate::value::{self, FieldValue};

pub use values::{guess, Lookup};

pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS import_batches (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, file_name TEXT NOT NULL, format TEXT NOT NULL,
    at INTEGER NOT NULL, by TEXT NOT NULL, headers TEXT NOT NULL,
    created INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0, rejected INTEGER NOT NULL DEFAULT 0,
    finished_at INTEGER, reverted_at INTEGER);
CREATE TABLE IF NOT EXISTS import_items (
    batch TEXT NOT NULL, seq INTEGER NOT NULL, record_id TEXT NOT NULL, action TEXT NOT NULL,
    before TEXT, after TEXT, PRIMARY KEY (batch, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS import_rejected (
    batch TEXT NOT NULL, line INTEGER NOT NULL, cells TEXT NOT NULL, reason TEXT NOT NULL,
    PRIMARY KEY (batch, line)) WITHOUT ROWID;
";

/// Field name -> JSON value, as requests carry them.
type Fields = JsonMap<String, Json>;

/// Rows written per transaction (and per progress report).
const CHUNK: usize = 500;
/// Rows to be written that a preview describes one by one (every refused row is described);
/// the counts cover all of them.
const PREVIEW_ROWS: usize = 2000;

/// What to do with a row that matches an existing record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Leave the existing record alone.
    #[default]
    Skip,
    /// Write the mapped fields into it (ordinary edits that sync and merge).
    Update,
    /// Create a new record anyway.
    Create,
}

/// How to import a file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    pub kind: String,
    /// The target of each column, in order (`null`: leave it out); guessed when absent.
    pub columns: Option<Vec<Option<String>>>,
    /// Fields that identify an existing record: `name`, `phones`, `email`, `code`.
    #[serde(default)]
    pub keys: Vec<String>,
    #[serde(default)]
    pub policy: Policy,
}

/// One column of the file and what it fills.
#[derive(Debug, Clone, Serialize)]
pub struct Column {
    pub header: String,
    pub target: Option<String>,
    /// The first few non-empty values, to check the mapping by eye.
    pub samples: Vec<String>,
}

/// What happens to one row.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Action {
    Create,
    Update { id: String },
    Skip { id: Option<String>, why: &'static str, same_as_line: Option<usize> },
    Reject,
}

/// A row of the preview: its line in the file (the header is line 1 when it is the first).
#[derive(Debug, Clone, Serialize)]
pub struct RowPlan {
    pub line: usize,
    #[serde(flatten)]
    pub action: Action,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The record's title as imported.
    pub title: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    pub create: usize,
    pub update: usize,
    pub skip: usize,
    pub reject: usize,
    /// Contacts created or updated from customer rows.
    pub contacts: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub kind: Kind,
    pub format: &'static str,
    pub rows: usize,
    pub columns: Vec<Column>,
    /// Every target a column may be given.
    pub targets: Vec<String>,
    pub keys: Vec<String>,
    /// The keys and policy this preview matched with (as given).
    pub matched_by: Vec<String>,
    pub policy: Policy,
    pub counts: Counts,
    /// Row by row (the first 2,000).
    pub plan: Vec<RowPlan>,
}

/// A finished (or reverted) import.
#[derive(Debug, Clone, Serialize)]
pub struct Batch {
    pub id: String,
    pub kind: String,
    pub file_name: String,
    pub format: String,
    pub at: String,
    pub by: String,
    pub created: i64,
    pub updated: i64,
    pub skipped: i64,
    pub rejected: i64,
    pub finished_at: Option<String>,
    pub reverted_at: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Reverted {
    pub deleted: usize,
    pub restored: usize,
    /// Records or fields left as they are: changed by someone since, or no longer writable here.
    pub kept: usize,
}

/// A row as planned: its values parsed and checked.
struct Row {
    line: usize,
    action: Action,
    errors: Vec<FieldError>,
    title: Option<String>,
    /// The fields to write, parsed (for an update only the mapped, undecided ones).
    parsed: Vec<(&'static FieldSpec, Option<FieldValue>)>,
    contacts: Vec<Vec<(&'static FieldSpec, Option<FieldValue>)>>,
}

/// Where a column's value goes.
#[derive(Debug, Clone)]
enum Target {
    Field(&'static FieldSpec),
    Contact(usize, &'static FieldSpec),
    /// A custom field of the kind (`custom_fields.KEY`).
    Custom(crate::custom::Def),
}

fn target_of(kind: Kind, name: &str, custom: &[crate::custom::Def]) -> Option<Target> {
    if let Some(key) = name.strip_prefix("custom_fields.") {
        return custom.iter().find(|d| d.key == key && d.active).cloned().map(Target::Custom);
    }
    if let Some(rest) = name.strip_prefix("contacts.") {
        let (n, field) = rest.split_once('.')?;
        let n: usize = n.parse().ok().filter(|n| (1..=20).contains(n))?;
        let field = values::importable(Kind::Contact).find(|f| f.name == field && f.name != "customer")?;
        return (kind == Kind::Customer).then_some(Target::Contact(n, field));
    }
    values::importable(kind).find(|f| f.name == name).map(Target::Field)
}

/// Every target a column of `kind` may fill, its active custom fields among them.
pub fn targets(kind: Kind, custom: &[crate::custom::Def]) -> Vec<String> {
    let mut out: Vec<String> = values::importable(kind).map(|f| f.name.to_string()).collect();
    out.extend(custom.iter().filter(|d| d.active).map(|d| d.path()));
    if kind == Kind::Customer {
        for n in 1..=3 {
            for f in values::importable(Kind::Contact).filter(|f| f.name != "customer") {
                out.push(format!("contacts.{n}.{}", f.name));
            }
        }
    }
    out
}

/// Kinds with one record per subject that a file loads: each row is the record for its
/// subject (a stock row per product and warehouse), made by its genesis or updated.
const LOADED_BY_SUBJECT: &[Kind] = &[Kind::Stock];

/// Whether spreadsheets can create records of `kind`: not accounts (they live on the server),
/// not kinds with one record per subject (they are made by their genesis) except those a
/// file loads ([`LOADED_BY_SUBJECT`]), not kinds whose records hold item lists (a row is one
/// record; a document's lines or a price list's rules are not: price lists have
/// `load_price_lists`).
pub fn importable_kind(kind: Kind) -> bool {
    !matches!(kind, Kind::User | Kind::Team)
        && (kind.spec().identity.is_empty() || LOADED_BY_SUBJECT.contains(&kind))
        // A sales document is its lines, which a row cannot hold; photos are added later.
        && !kind
            .spec()
            .fields
            .iter()
            .any(|f| matches!(f.ty, crate::kind::FieldType::Items(_)) && !crate::attachment::is_attachment_list(f))
}

/// Every kind [`importable_kind`] allows.
pub fn importable_kinds() -> Vec<&'static str> {
    Kind::ALL.iter().filter(|k| importable_kind(**k)).map(|k| k.as_str()).collect()
}

/// Keys an existing record can be matched by, for `kind`.
fn key_fields(kind: Kind) -> Vec<&'static str> {
    kind.spec().fields.iter().filter(|f| f.duplicate_key || f.name == "code").map(|f| f.name).collect()
}

/// Dictionary labels, users and customers, read once per import.
pub(crate) struct StoreLookup<'a> {
    conn: &'a rusqlite::Connection,
    dict: HashMap<(String, String), String>,
}

impl<'a> StoreLookup<'a> {
    pub(crate) fn new(conn: &'a rusqlite::Connection) -> Result<Self> {
        let mut dict = HashMap::new();
        let mut st = conn.prepare(
            "SELECT dict, code, label_zh, label_en FROM p_dict_entry WHERE deleted_at IS NULL ORDER BY active",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        })?;
        for row in rows {
            let (d, code, zh, en) = row?;
            for label in [Some(code.clone()), zh, en].into_iter().flatten() {
                for form in label_forms(&label) {
                    dict.insert((d.clone(), form), code.clone());
                }
            }
        }
        Ok(StoreLookup { conn, dict })
    }
}

/// `A类（重点）` is also typed `A类` or `a类`.
fn label_forms(label: &str) -> Vec<String> {
    let key = values::half_width(label).trim().to_lowercase();
    let short = key.split('(').next().unwrap_or(&key).trim().to_string();
    if short != key && !short.is_empty() {
        vec![key, short]
    } else {
        vec![key]
    }
}

impl Lookup for StoreLookup<'_> {
    fn dict_code(&self, dict: &str, text: &str) -> Option<String> {
        label_forms(text).into_iter().find_map(|k| self.dict.get(&(dict.to_string(), k)).cloned())
    }

    fn reference(&self, kind: Kind, text: &str) -> Option<String> {
        let sql = match kind {
            Kind::User => "SELECT id FROM p_user WHERE (id = ?1 OR username = ?1 OR display_name = ?1) AND deleted_at IS NULL LIMIT 2",
            Kind::Customer => "SELECT id FROM p_customer WHERE (id = ?1 OR code = ?1 OR name = ?1) AND deleted_at IS NULL LIMIT 2",
            Kind::Product => "SELECT id FROM p_product WHERE (id = ?1 OR code = ?1 OR name = ?1) AND deleted_at IS NULL LIMIT 2",
            _ => {
                let sql = format!("SELECT id FROM {} WHERE id = ?1 AND deleted_at IS NULL", kind.table());
                return self.conn.query_row(&sql, [text], |r| r.get(0)).optional().ok().flatten();
            }
        };
        let ids: Vec<String> =
            self.conn.prepare_cached(sql).and_then(|mut st| st.query_map([text], |r| r.get(0))?.collect()).ok()?;
        // A name two records share names neither.
        (ids.len() == 1).then(|| ids[0].clone())
    }
}

fn parse_kind(name: &str) -> Result<Kind> {
    Kind::parse(name).ok_or_else(|| Error::UnknownKind(name.to_string()))
}

impl Store {
    /// What importing this file would do, writing nothing.
    pub fn import_preview(&mut self, file_name: &str, bytes: &[u8], options: &Options) -> Result<Preview> {
        let sheet = sheet::read(file_name, bytes)?;
        let kind = parse_kind(&options.kind)?;
        let (columns, rows) = self.plan(kind, &sheet, options)?;
        let mut counts = Counts::default();
        for r in &rows {
            count(&mut counts, r);
        }
        // Every row that will be refused is listed, however far down the file (they are what
        // a person must fix); of the rest, the first `PREVIEW_ROWS`.
        let mut sampled = 0;
        let plan = rows
            .into_iter()
            .filter(|r| {
                let listed = !r.errors.is_empty() || sampled < PREVIEW_ROWS;
                sampled += usize::from(listed && r.errors.is_empty());
                listed
            })
            .map(|r| RowPlan { line: r.line, action: r.action, errors: r.errors, title: r.title })
            .collect();
        Ok(Preview {
            kind,
            format: sheet.format,
            rows: sheet.rows.len(),
            columns,
            targets: targets(kind, &crate::custom::defs(&self.conn, kind)?),
            keys: key_fields(kind).into_iter().map(str::to_string).collect(),
            matched_by: options.keys.clone(),
            policy: options.policy,
            counts,
            plan,
        })
    }

    /// Import the file: one batch, written in chunks, `progress(done, total)` after each.
    pub fn import_run(
        &mut self,
        file_name: &str,
        bytes: &[u8],
        options: &Options,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Batch> {
        let sheet = sheet::read(file_name, bytes)?;
        let kind = parse_kind(&options.kind)?;
        let (columns, rows) = self.plan(kind, &sheet, options)?;
        let batch = Uuid::now_v7().to_string();
        let headers: Vec<&str> = columns.iter().map(|c| c.header.as_str()).collect();
        self.conn.execute(
            "INSERT INTO import_batches (id, kind, file_name, format, at, by, headers) VALUES (?, ?, ?, ?, ?, ?, ?)",
            params![
                batch,
                kind.as_str(),
                file_name,
                sheet.format,
                value::now_ms(),
                self.me.user_id,
                json!(headers).to_string()
            ],
        )?;
        let mut seq = 0i64;
        let mut counts = Counts::default();
        let total = rows.len();
        let mut done = 0;
        progress(0, total);
        let contact_customer =
            Kind::Contact.spec().field("customer").ok_or_else(|| Error::Corrupt("contact has no customer".into()))?;
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<Row> = rows.by_ref().take(CHUNK).collect();
            let chunk_len = chunk.len();
            // One transaction per chunk: an interrupted import keeps whole chunks, each
            // recorded in the batch, so a revert still undoes all of it.
            self.in_one_transaction(|store| {
                // New records are made together (on every core); updates one by one.
                let mut new = Vec::new();
                for row in chunk {
                    count(&mut counts, &row);
                    match &row.action {
                        Action::Create if !kind.spec().identity.is_empty() => {
                            let fields: JsonMap<String, Json> = row
                                .parsed
                                .iter()
                                .filter_map(|(f, v)| v.as_ref().map(|v| (f.name.to_string(), v.to_json())))
                                .collect();
                            let id = store.create_identified(kind, &fields)?;
                            seq += 1;
                            item(&store.conn, &batch, seq, &id, "created", None)?;
                        }
                        Action::Create => {
                            let id = Uuid::now_v7().to_string();
                            seq += 1;
                            item(&store.conn, &batch, seq, &id, "created", None)?;
                            // The customer before its contacts: in this order they are pushed.
                            new.push((kind, id.clone(), row.parsed));
                            for mut contact in row.contacts {
                                contact.push((contact_customer, Some(FieldValue::Str(id.clone()))));
                                let cid = Uuid::now_v7().to_string();
                                seq += 1;
                                item(&store.conn, &batch, seq, &cid, "created", None)?;
                                new.push((Kind::Contact, cid, contact));
                            }
                        }
                        Action::Update { id } => {
                            store.import_update(&batch, &mut seq, id, &row.parsed)?;
                            for contact in &row.contacts {
                                store.import_contact_of(&batch, &mut seq, id, contact)?;
                            }
                        }
                        Action::Skip { .. } => {}
                        Action::Reject => {
                            let cells = sheet.rows.get(row.line - FIRST_LINE).cloned().unwrap_or_default();
                            let reason = json!(reasons(&row.errors, &columns)).to_string();
                            store.conn.execute(
                                "INSERT OR REPLACE INTO import_rejected (batch, line, cells, reason) VALUES (?, ?, ?, ?)",
                                params![batch, row.line as i64, json!(cells).to_string(), reason],
                            )?;
                        }
                    }
                }
                crate::store::create_many(&store.conn, &store.me, &store.actor, new)
            })?;
            done += chunk_len;
            progress(done, total);
        }
        self.conn.execute(
            "UPDATE import_batches SET created = ?, updated = ?, skipped = ?, rejected = ?, finished_at = ? WHERE id = ?",
            params![counts.create as i64, counts.update as i64, counts.skip as i64, counts.reject as i64, value::now_ms(), batch],
        )?;
        let done = self.batch(&batch)?;
        self.queue_audit(
            "import",
            &batch,
            json!({"kind": kind.as_str(), "file_name": file_name, "created": done.created, "updated": done.updated,
                   "skipped": done.skipped, "rejected": done.rejected}),
        )?;
        Ok(done)
    }

    /// Write an update as the import makes it, remembering the values it replaces.
    fn import_update(
        &mut self,
        batch: &str,
        seq: &mut i64,
        id: &str,
        parsed: &[(&'static FieldSpec, Option<FieldValue>)],
    ) -> Result<()> {
        let names: Vec<&'static FieldSpec> = parsed.iter().map(|(f, _)| *f).collect();
        let before = self.with_doc(id, |doc| Ok(values_json(doc, &names)))?;
        let after: JsonMap<String, Json> = parsed
            .iter()
            .map(|(f, v)| {
                let new = v.as_ref().map(FieldValue::to_json).unwrap_or(Json::Null);
                (f.name.to_string(), with_existing(f, before.get(f.name), new))
            })
            .collect();
        // Only what changes is written (and later set back).
        let changing: JsonMap<String, Json> =
            after.iter().filter(|(k, v)| before.get(*k) != Some(*v)).map(|(k, v)| (k.clone(), v.clone())).collect();
        if changing.is_empty() {
            return Ok(());
        }
        let before: JsonMap<String, Json> =
            changing.keys().map(|k| (k.clone(), before.get(k).cloned().unwrap_or(Json::Null))).collect();
        *seq += 1;
        item(&self.conn, batch, *seq, id, "updated", Some((&before, &changing)))?;
        self.update_plain(id, &changing)?;
        Ok(())
    }

    /// A contact from a customer row of an existing customer: the one of that name updated, or a new one.
    fn import_contact_of(
        &mut self,
        batch: &str,
        seq: &mut i64,
        customer: &str,
        contact: &[(&'static FieldSpec, Option<FieldValue>)],
    ) -> Result<()> {
        let name =
            contact.iter().find(|(f, _)| f.name == "name").and_then(|(_, v)| v.as_ref()).and_then(|v| v.as_str());
        let key = name.map(|n| format!("n:{customer}:{}", crate::duplicate::normalise_name(n)));
        let existing: Option<String> = match key {
            Some(key) => self
                .conn
                .prepare_cached("SELECT record_id FROM dup_keys WHERE kind = 'contact' AND key = ? LIMIT 1")?
                .query_row([key], |r| r.get(0))
                .optional()?,
            None => None,
        };
        match existing {
            Some(id) => self.import_update(batch, seq, &id, contact),
            None => {
                let mut fields = contact.to_vec();
                let customer_field = Kind::Contact
                    .spec()
                    .field("customer")
                    .ok_or_else(|| Error::Corrupt("contact has no customer".into()))?;
                fields.push((customer_field, Some(FieldValue::Str(customer.to_string()))));
                // Always part of the chunk's transaction (`import_run`).
                let id = crate::store::create_in(&self.conn, &self.me, &self.actor, Kind::Contact, None, fields)?;
                *seq += 1;
                item(&self.conn, batch, *seq, &id, "created", None)?;
                Ok(())
            }
        }
    }

    /// Undo an import as ordinary edits: records it created are deleted, fields it updated go
    /// back to what they were — unless someone changed them since (those are kept and counted).
    pub fn import_revert(&mut self, batch: &str) -> Result<Reverted> {
        let b = self.batch(batch)?;
        if b.reverted_at.is_some() {
            return Err(Error::Refused {
                code: "already_reverted",
                reason: format!("import {batch} was already reverted"),
                params: json!({ "batch": batch }),
            });
        }
        type ItemRow = (String, String, Option<String>, Option<String>);
        let items: Vec<ItemRow> = self
            .conn
            .prepare("SELECT record_id, action, before, after FROM import_items WHERE batch = ? ORDER BY seq DESC")?
            .query_map([batch], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<_, _>>()?;
        let mut out = Reverted::default();
        let mut items = items.into_iter().peekable();
        while items.peek().is_some() {
            let chunk: Vec<ItemRow> = items.by_ref().take(CHUNK).collect();
            self.in_one_transaction(|store| store.revert_items(chunk, &mut out))?;
        }
        self.conn.execute("UPDATE import_batches SET reverted_at = ? WHERE id = ?", params![value::now_ms(), batch])?;
        self.queue_audit(
            "import_revert",
            batch,
            json!({"kind": b.kind, "file_name": b.file_name, "deleted": out.deleted, "restored": out.restored, "kept": out.kept}),
        )?;
        Ok(out)
    }

    fn revert_items(
        &mut self,
        items: Vec<(String, String, Option<String>, Option<String>)>,
        out: &mut Reverted,
    ) -> Result<()> {
        for (id, action, before, after) in items {
            if self.kind_of(&id).is_err() {
                out.kept += 1; // gone from this device (moved to someone else's scope)
                continue;
            }
            if action == "created" {
                match self.set_deleted(&id, true) {
                    Ok(_) => out.deleted += 1,
                    Err(Error::Refused { .. } | Error::Forbidden { .. }) => out.kept += 1,
                    Err(e) => return Err(e),
                }
                continue;
            }
            let parse = |s: Option<String>| -> JsonMap<String, Json> {
                s.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default()
            };
            let (before, after) = (parse(before), parse(after));
            let kind = self.kind_of(&id)?;
            let specs: Vec<&'static FieldSpec> = after.keys().filter_map(|k| kind.spec().field(k)).collect();
            let now = self.with_doc(&id, |doc| Ok(values_json(doc, &specs)))?;
            let mut back = JsonMap::new();
            for (name, set) in &after {
                if now.get(name) == Some(set) {
                    back.insert(name.clone(), before.get(name).cloned().unwrap_or(Json::Null));
                } else {
                    out.kept += 1;
                }
            }
            if back.is_empty() {
                continue;
            }
            match self.update_plain(&id, &back) {
                Ok(_) => out.restored += back.len(),
                Err(Error::Refused { .. } | Error::Forbidden { .. } | Error::Deleted(_)) => out.kept += back.len(),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Imports made on this device, newest first.
    pub fn imports(&self) -> Result<Vec<Batch>> {
        let ids: Vec<String> = self
            .conn
            .prepare("SELECT id FROM import_batches ORDER BY at DESC LIMIT 200")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        ids.iter().map(|id| self.batch(id)).collect()
    }

    pub fn batch(&self, id: &str) -> Result<Batch> {
        let time = |ms: Option<i64>| ms.map(value::format_datetime);
        self.conn
            .query_row(
                "SELECT id, kind, file_name, format, at, by, created, updated, skipped, rejected, finished_at, reverted_at
                 FROM import_batches WHERE id = ?",
                [id],
                |r| {
                    Ok(Batch {
                        id: r.get(0)?,
                        kind: r.get(1)?,
                        file_name: r.get(2)?,
                        format: r.get(3)?,
                        at: value::format_datetime(r.get(4)?),
                        by: r.get(5)?,
                        created: r.get(6)?,
                        updated: r.get(7)?,
                        skipped: r.get(8)?,
                        rejected: r.get(9)?,
                        finished_at: time(r.get(10)?),
                        reverted_at: time(r.get(11)?),
                    })
                },
            )
            .optional()?
            .ok_or_else(|| Error::NotFound(id.to_string()))
    }

    /// The rows an import refused, as a spreadsheet: the file's own columns and a reason
    /// column (原因 / reason), to fix and import again.
    pub fn import_rejected_file(
        &self,
        batch: &str,
        format: sheet::Format,
        words: Option<&HashMap<String, String>>,
    ) -> Result<Vec<u8>> {
        let headers: String = self
            .conn
            .query_row("SELECT headers FROM import_batches WHERE id = ?", [batch], |r| r.get(0))
            .optional()?
            .ok_or_else(|| Error::NotFound(batch.to_string()))?;
        let mut headers: Vec<String> = serde_json::from_str(&headers).unwrap_or_default();
        headers.push("原因 / reason".to_string());
        let rows: Vec<Vec<String>> = self
            .conn
            .prepare("SELECT cells, reason FROM import_rejected WHERE batch = ? ORDER BY line")?
            .query_map([batch], |r| {
                let cells: String = r.get(0)?;
                let mut cells: Vec<String> = serde_json::from_str(&cells).unwrap_or_default();
                cells.resize(headers.len() - 1, String::new());
                cells.push(reason_words(&r.get::<_, String>(1)?, words));
                Ok(cells)
            })?
            .collect::<Result<_, _>>()?;
        sheet::write(format, &headers, &rows)
    }

    /// Every row of the sheet as the import would take it.
    fn plan(&mut self, kind: Kind, sheet: &Sheet, options: &Options) -> Result<(Vec<Column>, Vec<Row>)> {
        self.with_custom_defs_pinned(|store| store.plan_rows(kind, sheet, options))
    }

    fn plan_rows(&mut self, kind: Kind, sheet: &Sheet, options: &Options) -> Result<(Vec<Column>, Vec<Row>)> {
        if !importable_kind(kind) {
            return Err(Error::Refused {
                code: "kind_not_importable",
                reason: format!("{kind} records are not imported (accounts live on the server; settings, grade rules and churn cases are one per subject)"),
                params: json!({ "kind": kind.as_str(), "importable": importable_kinds() }),
            });
        }
        self.check_may_write(kind)?;
        let custom = crate::custom::defs(&self.conn, kind)?;
        let mapping = match &options.columns {
            Some(c) if c.len() != sheet.headers.len() => {
                return Err(Error::BadRequest(format!(
                    "columns has {} entries; the file has {} columns",
                    c.len(),
                    sheet.headers.len()
                )))
            }
            Some(c) => c.clone(),
            None => guess(kind, &sheet.headers, &custom),
        };
        let mut targets = Vec::with_capacity(mapping.len());
        let mut errors = Vec::new();
        for (i, t) in mapping.iter().enumerate() {
            match t.as_deref().map(|t| (t, target_of(kind, t, &custom))) {
                None => targets.push(None),
                Some((_, Some(target))) => targets.push(Some(target)),
                Some((t, None)) => errors.push(FieldError::with(
                    format!("columns.{i}"),
                    "unknown_target",
                    json!({ "value": t, "header": sheet.headers[i] }),
                )),
            }
        }
        let allowed = key_fields(kind);
        for k in &options.keys {
            if !allowed.contains(&k.as_str()) {
                errors.push(FieldError::with("keys", "invalid_choice", json!({ "value": k, "allowed": allowed })));
            }
        }
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
        let columns = sheet
            .headers
            .iter()
            .zip(&mapping)
            .enumerate()
            .map(|(i, (h, t))| Column {
                header: h.clone(),
                target: t.clone(),
                samples: sheet
                    .rows
                    .iter()
                    .filter_map(|r| r.get(i))
                    .filter(|c| !c.trim().is_empty())
                    .take(3)
                    .cloned()
                    .collect(),
            })
            .collect();
        let deciding = self.deciding()?;
        let decided: &[&str] = kind.spec().workflow.map(|w| w.decided).unwrap_or(&[]);
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut rows = Vec::with_capacity(sheet.rows.len());
        let lookup = StoreLookup::new(&self.conn)?;
        let mut prepared = Vec::with_capacity(sheet.rows.len());
        for (i, cells) in sheet.rows.iter().enumerate() {
            prepared.push(row_values(&targets, cells, &lookup, &sheet.headers, i + FIRST_LINE));
        }
        drop(lookup);
        for (line, (fields, contacts, mut errs)) in prepared {
            let title = fields.get(kind.spec().title).and_then(Json::as_str).map(str::to_string);
            // Matching: by the chosen keys, against this device's records and earlier rows.
            let mut keys = Vec::new();
            let mut existing = None;
            for k in &options.keys {
                let Some(field) = kind.spec().field(k) else { continue };
                let Some(Ok(Some(v))) = fields.get(k.as_str()).map(|j| value::parse(field, j)) else { continue };
                for key in match_keys(kind, field, &v) {
                    if existing.is_none() {
                        existing = self.find_by_key(kind, &key)?;
                    }
                    keys.push(key);
                }
            }
            // A record per subject is matched by its subject, whatever the keys.
            if !kind.spec().identity.is_empty() {
                let subject: Option<Vec<String>> = kind
                    .spec()
                    .identity
                    .iter()
                    .map(|n| fields.get(*n).and_then(Json::as_str).map(str::to_string))
                    .collect();
                if let Some(subject) = subject {
                    let parts: Vec<&str> = subject.iter().map(String::as_str).collect();
                    let id = crate::genesis::id_of(kind, &parts);
                    keys.push(format!("subject:{id}"));
                    if self.kind_of(&id).is_ok() {
                        existing = Some(id);
                    }
                }
            }
            let earlier = keys.iter().find_map(|k| seen.get(k).copied());
            let mut row = Row {
                line,
                action: Action::Reject,
                errors: Vec::new(),
                title,
                parsed: Vec::new(),
                contacts: Vec::new(),
            };
            let by_subject = !kind.spec().identity.is_empty();
            let action = match (options.policy, earlier, &existing) {
                (_, None, Some(id)) if by_subject => Action::Update { id: id.clone() },
                (Policy::Create, _, _) => Action::Create,
                (_, Some(first), _) => Action::Skip { id: None, why: "duplicate_in_file", same_as_line: Some(first) },
                (Policy::Skip, None, Some(id)) => {
                    Action::Skip { id: Some(id.clone()), why: "exists", same_as_line: None }
                }
                (Policy::Update, None, Some(id)) => Action::Update { id: id.clone() },
                (_, None, None) => Action::Create,
            };
            for k in keys {
                seen.entry(k).or_insert(line);
            }
            if matches!(action, Action::Skip { .. }) {
                row.action = action;
                rows.push(row);
                continue;
            }
            let target = match &action {
                Action::Update { id } => Some(id.clone()),
                _ => None,
            };
            let fields: JsonMap<String, Json> = match &target {
                // An update writes what the file has; it never moves the record (a transfer does).
                Some(_) => fields.into_iter().filter(|(k, v)| !v.is_null() && !decided.contains(&k.as_str())).collect(),
                None => fields,
            };
            match self.parse_fields(kind, &fields, target.as_deref()) {
                Ok(parsed) => {
                    let allowed = match &target {
                        Some(id) => self.check_may_edit(id),
                        None => self.check_may_create(&deciding, kind, &parsed),
                    };
                    if let Err(e) = allowed {
                        errs.push(FieldError::with("*", "forbidden", json!({ "detail": e.to_string() })));
                    }
                    row.parsed = parsed;
                }
                // A cell that could not be read has said so already; its field is not also
                // reported missing.
                Err(Error::Validation(list)) => {
                    let unread: Vec<String> = errs.iter().map(|e| e.field.clone()).collect();
                    errs.extend(list.into_iter().filter(|e| e.reason != "required" || !unread.contains(&e.field)))
                }
                Err(e) => return Err(e),
            }
            for (n, contact) in contacts {
                match self.parse_fields_but(Kind::Contact, &contact, None, &["customer"]) {
                    Ok(parsed) => row.contacts.push(parsed),
                    Err(Error::Validation(list)) => errs.extend(
                        list.into_iter().map(|e| FieldError { field: format!("contacts.{n}.{}", e.field), ..e }),
                    ),
                    Err(e) => return Err(e),
                }
            }
            row.action = if errs.is_empty() { action } else { Action::Reject };
            // Every error names the file's column it came from, where one did.
            for e in &mut errs {
                if e.params.get("header").is_some() {
                    continue;
                }
                let header =
                    mapping.iter().position(|t| t.as_deref() == Some(e.field.as_str())).map(|i| &sheet.headers[i]);
                if let Some(h) = header {
                    match e.params.as_object_mut() {
                        Some(p) => {
                            p.insert("header".into(), json!(h));
                        }
                        None => e.params = json!({ "header": h }),
                    }
                }
            }
            row.errors = errs;
            rows.push(row);
        }
        Ok((columns, rows))
    }

    fn find_by_key(&self, kind: Kind, key: &str) -> Result<Option<String>> {
        Ok(match key.strip_prefix("c:") {
            Some(code) => {
                let sql = format!("SELECT id FROM {} WHERE code = ? AND deleted_at IS NULL LIMIT 1", kind.table());
                self.conn.prepare_cached(&sql)?.query_row([code], |r| r.get(0)).optional()?
            }
            None => self
                .conn
                .prepare_cached("SELECT record_id FROM dup_keys WHERE kind = ? AND key = ? LIMIT 1")?
                .query_row([kind.as_str(), key], |r| r.get(0))
                .optional()?,
        })
    }
}

/// The line of the first data row, as a spreadsheet numbers it (the header is line 1; empty
/// rows are left out of the count).
const FIRST_LINE: usize = 2;

/// The keys a value of a key field gives, as the duplicate index holds them (`c:` for codes).
fn match_keys(kind: Kind, field: &'static FieldSpec, v: &FieldValue) -> Vec<String> {
    if field.name == "code" {
        return v.as_str().map(|c| vec![format!("c:{c}")]).unwrap_or_default();
    }
    crate::duplicate::keys(kind, |f| (f.name == field.name).then(|| v.clone())).into_iter().map(|(k, _)| k).collect()
}

/// The cells of a row as the JSON each field takes, with the contacts in it and the cells
/// that could not be read. Returns (line, fields, contacts by number, errors).
#[allow(clippy::type_complexity)]
fn row_values(
    targets: &[Option<Target>],
    cells: &[String],
    lookup: &dyn Lookup,
    headers: &[String],
    line: usize,
) -> (usize, (JsonMap<String, Json>, BTreeMap<usize, JsonMap<String, Json>>, Vec<FieldError>)) {
    let mut fields = JsonMap::new();
    let mut contacts: BTreeMap<usize, JsonMap<String, Json>> = BTreeMap::new();
    let mut errors = Vec::new();
    for (i, target) in targets.iter().enumerate() {
        let Some(target) = target else { continue };
        let cell = cells.get(i).map(String::as_str).unwrap_or("");
        let (field, into, prefix) = match target {
            Target::Field(f) => (*f, &mut fields, String::new()),
            Target::Contact(n, f) => (*f, contacts.entry(*n).or_default(), format!("contacts.{n}.")),
            Target::Custom(def) => {
                match crate::custom::normalise(def, &values::half_width(cell)) {
                    Ok(None) => {}
                    Ok(Some(v)) => {
                        let map = fields.entry(crate::custom::FIELD).or_insert_with(|| json!({}));
                        if let Some(map) = map.as_object_mut() {
                            map.insert(def.key.clone(), json!(v));
                        }
                    }
                    Err(mut e) => {
                        e.params["header"] = json!(headers.get(i));
                        errors.push(e);
                    }
                }
                continue;
            }
        };
        match values::cell_value(field, cell, lookup) {
            Ok(Json::Null) => {}
            Ok(v) => match (into.get_mut(field.name), v) {
                // Phone and tag columns add up.
                (Some(Json::Array(have)), Json::Array(more)) => have.extend(more),
                (_, v) => {
                    into.insert(field.name.to_string(), v);
                }
            },
            Err(e) => {
                let mut params = e.params;
                if let Some(p) = params.as_object_mut() {
                    p.insert("header".into(), json!(headers.get(i)));
                }
                errors.push(FieldError { field: format!("{prefix}{}", e.field), reason: e.reason, params });
            }
        }
    }
    // A contact with nothing typed is no contact.
    contacts.retain(|_, c| !c.is_empty());
    (line, (fields, contacts, errors))
}

/// What an update writes into a list field: the numbers or tags it had, and those of the
/// file it lacked (a phone matched in any format), so an update adds and never drops.
fn with_existing(field: &FieldSpec, had: Option<&Json>, new: Json) -> Json {
    // Custom fields the file does not have keep their values.
    if let (Some(Json::Object(had)), Json::Object(more)) = (had, &new) {
        let mut out = had.clone();
        out.extend(more.clone());
        return Json::Object(out);
    }
    let (Some(Json::Array(had)), Json::Array(more)) = (had, &new) else { return new };
    let key = |v: &Json| {
        let s = v.as_str().unwrap_or_default();
        match field.ty {
            crate::kind::FieldType::Phones => crate::duplicate::normalise_phone(s),
            _ => s.to_string(),
        }
    };
    if !matches!(field.ty, crate::kind::FieldType::Phones | crate::kind::FieldType::Tags) {
        return new;
    }
    let mut out = had.clone();
    for v in more {
        if !out.iter().any(|h| key(h) == key(v)) {
            out.push(v.clone());
        }
    }
    Json::Array(out)
}

fn values_json(doc: &crate::document::RecordDoc, fields: &[&'static FieldSpec]) -> JsonMap<String, Json> {
    fields.iter().map(|f| (f.name.to_string(), doc.read(f).map(|v| v.to_json()).unwrap_or(Json::Null))).collect()
}

fn item(
    conn: &rusqlite::Connection,
    batch: &str,
    seq: i64,
    id: &str,
    action: &str,
    values: Option<(&Fields, &Fields)>,
) -> Result<()> {
    let (before, after) = match values {
        Some((b, a)) => (Some(Json::Object(b.clone()).to_string()), Some(Json::Object(a.clone()).to_string())),
        None => (None, None),
    };
    conn.prepare_cached(
        "INSERT INTO import_items (batch, seq, record_id, action, before, after) VALUES (?, ?, ?, ?, ?, ?)",
    )?
    .execute(params![batch, seq, id, action, before, after])?;
    Ok(())
}

fn count(counts: &mut Counts, row: &Row) {
    match row.action {
        Action::Create => {
            counts.create += 1;
            counts.contacts += row.contacts.len();
        }
        Action::Update { .. } => {
            counts.update += 1;
            counts.contacts += row.contacts.len();
        }
        Action::Skip { .. } => counts.skip += 1,
        Action::Reject => counts.reject += 1,
    }
}

/// A rejected row's reasons for people: `列名: reason (value)` each, `;`-separated.
/// Why a row was refused, per error: the file's column it is about, the reason's code and the
/// value it had. Kept as JSON and put in words when the rejected-rows file is made.
fn reasons(errors: &[FieldError], columns: &[Column]) -> Vec<Json> {
    errors
        .iter()
        .map(|e| {
            let header = e
                .params
                .get("header")
                .and_then(Json::as_str)
                .map(str::to_string)
                .or_else(|| {
                    columns.iter().find(|c| c.target.as_deref() == Some(e.field.as_str())).map(|c| c.header.clone())
                })
                .unwrap_or_else(|| e.field.clone());
            json!({ "header": header, "reason": e.reason, "value": e.params.get("value") })
        })
        .collect()
}

/// A refused row's reasons in words: `等级: 不在字典中 (Z类)` with `words` from the app's
/// language (reason code → words), the codes themselves without. Batches from before the
/// reasons were kept as JSON have their text already.
fn reason_words(stored: &str, words: Option<&HashMap<String, String>>) -> String {
    let Ok(Json::Array(list)) = serde_json::from_str::<Json>(stored) else { return stored.to_string() };
    list.iter()
        .map(|e| {
            let code = e["reason"].as_str().unwrap_or_default();
            let said = words.and_then(|w| w.get(code)).map(String::as_str).unwrap_or(code);
            let header = e["header"].as_str().unwrap_or_default();
            match e["value"].as_str() {
                Some(v) => format!("{header}: {said} ({v})"),
                None => format!("{header}: {said}"),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}
