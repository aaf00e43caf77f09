//! Files on a device: taking one (`attach`), reading one (`file`), the attachments of a record
//! or a customer with their thumbnails (`attachments`), and the bookkeeping the sync engine
//! moves files by (`crate::sync::blobs`).
//!
//! What a device references it learns from its read models: the attachment lists' item tables
//! hold every hash ([`ref_columns`]). Its `blobs` table says which files are here, whether the
//! server has them, and until when a file nobody references yet (just taken, its form not
//! saved) is kept. A file no record on the device references any more — a record deleted for
//! good, or one that left the device when its customer was transferred — is deleted with it
//! ([`Store::forget_unreferenced_files`]).

use std::sync::OnceLock;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use serde_json::{json, Map as JsonMap, Value as Json};

use super::{check, BlobDir, MAX_BYTES, MAX_THUMB_BYTES};
use crate::error::{Error, FieldError, Result};
use crate::kind::{FieldType, Kind};
use crate::store::Store;
use crate::value::{format_datetime, now_ms, parse_datetime};

/// The device's record of the files it holds.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS blobs (
    hash TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    size INTEGER NOT NULL,
    -- The server has it (it came from there, or went there).
    uploaded INTEGER NOT NULL DEFAULT 0,
    -- Kept until then even if no record references it (a photo whose form is still open).
    keep_until INTEGER NOT NULL DEFAULT 0
);
";

/// How long a file taken but not referenced by any record yet is kept: time to save the form.
const KEEP_UNSAVED_MS: i64 = 7 * 24 * 3600 * 1000;

/// A file to take: its bytes (base64), the name the person knows it by, the type the picker
/// said (checked against the bytes), a thumbnail the app made (images), and when it was taken.
#[derive(Debug, Clone)]
pub struct NewFile {
    pub data: String,
    pub name: Option<String>,
    pub declared: Option<String>,
    pub thumb: Option<String>,
    pub taken_at: Option<String>,
}

/// An attachment as lists show it: where it is, its item, its thumbnail's bytes when the
/// device has them, and whether the full file is here and on the server.
#[derive(Debug, Clone, Serialize)]
pub struct AttachmentView {
    pub record: String,
    pub kind: Kind,
    pub field: &'static str,
    pub item: Json,
    /// The thumbnail, base64, when it is on this device.
    pub thumb_data: Option<String>,
    /// The full file is on this device (else `file` fetches it from the server).
    pub here: bool,
    /// The server has it (else it is sent at the next sync).
    pub uploaded: bool,
}

/// Every read-model column that holds a file's hash: (table, record column, hash column,
/// is-a-thumbnail). Item lists' blob parts and kinds' blob fields, from the kind specs.
pub fn ref_columns() -> &'static [(String, &'static str, &'static str, bool)] {
    static COLUMNS: OnceLock<Vec<(String, &'static str, &'static str, bool)>> = OnceLock::new();
    COLUMNS.get_or_init(|| {
        let mut out = Vec::new();
        for (_, _, parts, table) in crate::projection::item_tables() {
            for part in parts.iter().filter(|p| p.ty == FieldType::Blob) {
                out.push((table.clone(), "record_id", part.name, part.name == "thumb"));
            }
        }
        for &kind in Kind::ALL {
            for field in kind.spec().fields.iter().filter(|f| f.ty == FieldType::Blob) {
                out.push((kind.table().to_string(), "id", field.name, false));
            }
        }
        out
    })
}

/// `SELECT hash, record, thumb` over every referencing column.
fn refs_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        let parts: Vec<String> = ref_columns()
            .iter()
            .map(|(table, record, hash, thumb)| {
                format!(
                    "SELECT {hash} AS hash, {record} AS record, {} AS thumb FROM {table} WHERE {hash} IS NOT NULL",
                    i64::from(*thumb)
                )
            })
            .collect();
        if parts.is_empty() {
            "SELECT NULL AS hash, NULL AS record, 0 AS thumb WHERE 0".to_string()
        } else {
            parts.join(" UNION ALL ")
        }
    })
}

/// A file to send to the server: its hash, a record on this device that references it (the
/// server checks the sender may read that record), its type and size.
#[derive(Debug, Clone)]
pub struct Upload {
    pub hash: String,
    pub record: String,
    pub kind: String,
    pub size: u64,
}

/// The attachment-list fields of a kind.
fn attachment_fields(kind: Kind) -> impl Iterator<Item = &'static crate::kind::FieldSpec> {
    kind.spec().fields.iter().filter(|f| super::is_attachment_list(f))
}

fn decode(field: &str, data: &str) -> Result<Vec<u8>> {
    STANDARD.decode(data.trim()).map_err(|_| Error::Validation(vec![FieldError::with(field, "not_base64", json!({}))]))
}

impl Store {
    /// Where this device keeps files.
    pub fn files(&self) -> &BlobDir {
        &self.blobs
    }

    /// Take a file: check what it is (its first bytes, not its name), keep it under its hash,
    /// and answer the attachment item to put in a record's list (the same file taken twice is
    /// kept once). With `to`, the item is added to that record's list at once, as an edit that
    /// keeps whatever others added meanwhile.
    pub fn attach(&mut self, file: &NewFile, to: Option<(&str, &str)>) -> Result<Json> {
        let bytes = decode("data", &file.data)?;
        let kind = check("data", file.declared.as_deref(), &bytes, bytes.len() as u64, MAX_BYTES)
            .map_err(|e| Error::Validation(vec![e]))?;
        let thumb = match &file.thumb {
            Some(data) => {
                let thumb = decode("thumb", data)?;
                check("thumb", None, &thumb, thumb.len() as u64, MAX_THUMB_BYTES)
                    .map_err(|e| Error::Validation(vec![e]))?;
                Some(thumb)
            }
            None => None,
        };
        let taken_at = match file.taken_at.as_deref() {
            Some(at) => Some(parse_datetime(at).ok_or_else(|| {
                Error::Validation(vec![FieldError::with("taken_at", "invalid_datetime", json!({ "value": at }))])
            })?),
            None => None,
        };
        // The record first: nothing is kept for a file that cannot go where it was sent.
        if let Some((id, field)) = to {
            let kind = self.kind_of(id)?;
            if attachment_fields(kind).all(|f| f.name != field) {
                let fields: Vec<&str> = attachment_fields(kind).map(|f| f.name).collect();
                return Err(Error::Validation(vec![FieldError::with(
                    field,
                    "not_an_attachment_list",
                    json!({ "kind": kind, "fields": fields }),
                )]));
            }
        }
        let hash = self.keep_file(&bytes, kind)?;
        let thumb_hash = match thumb {
            Some(t) => Some(self.keep_file(&t, super::sniff(&t).unwrap_or("image/jpeg"))?),
            None => None,
        };
        let name = file
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| n.chars().take(200).collect::<String>());
        let mut item = json!({ "hash": hash, "type": kind, "size": bytes.len() });
        if let Some(name) = name {
            item["name"] = json!(name);
        }
        if let Some(t) = thumb_hash {
            item["thumb"] = json!(t);
        }
        if let Some(at) = taken_at {
            item["taken_at"] = json!(format_datetime(at));
        }
        if let Some((id, field)) = to {
            let view = self.get(id)?;
            let mut list = view.fields.get(field).and_then(Json::as_array).cloned().unwrap_or_default();
            list.push(item.clone());
            let mut fields = JsonMap::new();
            fields.insert(field.to_string(), Json::Array(list));
            self.update_with_transition(id, &fields, Some(&view.version))?;
            // The item as the record keeps it, with its id.
            let view = self.get(id)?;
            if let Some(kept) = view.fields.get(field).and_then(Json::as_array).and_then(|l| l.last()) {
                item = kept.clone();
            }
        }
        Ok(item)
    }

    /// Keep `bytes` (of type `kind`) here, for a week if nothing references them by then.
    fn keep_file(&mut self, bytes: &[u8], kind: &str) -> Result<String> {
        let hash = self.blobs.put(bytes)?;
        self.conn
            .prepare_cached(
                "INSERT INTO blobs (hash, type, size, keep_until) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (hash) DO UPDATE SET keep_until = max(keep_until, excluded.keep_until)",
            )?
            .execute(params![hash, kind, bytes.len() as i64, now_ms() + KEEP_UNSAVED_MS])?;
        Ok(hash)
    }

    /// The file `hash` with its type, if it is on this device.
    pub fn file(&self, hash: &str) -> Result<Option<(String, Vec<u8>)>> {
        if !super::is_hash(hash) {
            return Err(Error::Validation(vec![FieldError::with(
                "hash",
                "invalid_file_hash",
                json!({ "value": hash }),
            )]));
        }
        let kind: Option<String> = self
            .conn
            .prepare_cached("SELECT type FROM blobs WHERE hash = ?")?
            .query_row([hash], |r| r.get(0))
            .optional()?;
        let Some(kind) = kind else { return Ok(None) };
        Ok(self.blobs.read(hash)?.map(|bytes| (kind, bytes)))
    }

    /// Whether a record on this device references `hash` (the server only answers for a
    /// record that does).
    pub fn file_referenced_by(&self, hash: &str, record: &str) -> Result<bool> {
        let sql = format!("SELECT EXISTS (SELECT 1 FROM ({}) WHERE hash = ?1 AND record = ?2)", refs_sql());
        Ok(self.conn.prepare_cached(&sql)?.query_row(params![hash, record], |r| r.get(0))?)
    }

    /// A file fetched from the server is here now.
    pub fn file_arrived(&mut self, hash: &str, kind: &str, size: u64) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO blobs (hash, type, size, uploaded) VALUES (?1, ?2, ?3, 1)
                 ON CONFLICT (hash) DO UPDATE SET uploaded = 1",
            )?
            .execute(params![hash, kind, size as i64])?;
        Ok(())
    }

    /// The server has `hash` now.
    pub fn file_uploaded(&mut self, hash: &str) -> Result<()> {
        self.conn.prepare_cached("UPDATE blobs SET uploaded = 1 WHERE hash = ?")?.execute([hash])?;
        Ok(())
    }

    /// Files taken here that the server does not have yet and that a record the server already
    /// has references (a record still waiting to be pushed would be refused as its proof).
    pub fn files_to_upload(&self, limit: usize) -> Result<Vec<Upload>> {
        let sql = format!(
            "SELECT b.hash, min(r.record), b.type, b.size FROM blobs b JOIN ({}) r ON r.hash = b.hash
             WHERE b.uploaded = 0 AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.doc_id = r.record)
             GROUP BY b.hash ORDER BY b.rowid LIMIT ?",
            refs_sql()
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(Upload { hash: r.get(0)?, record: r.get(1)?, kind: r.get(2)?, size: r.get::<_, i64>(3)? as u64 })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Thumbnails the records on this device reference and it does not have: (hash, a record
    /// that references it). Devices keep the thumbnails of their whole scope; full files are
    /// fetched when opened.
    pub fn thumbnails_wanted(&self, limit: usize) -> Result<Vec<(String, String)>> {
        let sql = format!(
            "SELECT r.hash, min(r.record) FROM ({}) r WHERE r.thumb = 1
             AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.hash = r.hash) GROUP BY r.hash LIMIT ?",
            refs_sql()
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Delete the files no record here references any more (records that left this device,
    /// photos removed from a list) — except one taken lately and not yet sent, whose form may
    /// still be open. How many went.
    pub fn forget_unreferenced_files(&mut self) -> Result<usize> {
        let sql = format!(
            "SELECT hash FROM blobs WHERE hash NOT IN (SELECT hash FROM ({}))
             AND (uploaded = 1 OR keep_until < ?)",
            refs_sql()
        );
        let gone: Vec<String> = self
            .conn
            .prepare_cached(&sql)?
            .query_map([now_ms()], |r| r.get(0))?
            .collect::<std::result::Result<_, _>>()?;
        for hash in &gone {
            self.blobs.remove(hash)?;
            self.blobs.discard(hash)?;
            self.conn.prepare_cached("DELETE FROM blobs WHERE hash = ?")?.execute([hash])?;
        }
        Ok(gone.len())
    }

    /// The attachments of record `id` — or, for a customer, of the customer and every record
    /// of theirs on this device (visits' photos, expenses' receipts, service requests' files) —
    /// newest first, with their thumbnails' bytes. One query per attachment list.
    pub fn attachments(&self, id: &str) -> Result<Vec<AttachmentView>> {
        let of_customer = self.kind_of(id)? == Kind::Customer;
        let mut out = Vec::new();
        for (kind, field, _, table) in crate::projection::item_tables() {
            if !super::is_attachment_list(field) {
                continue;
            }
            let customer_column = kind.spec().field("customer").is_some_and(|f| f.projected());
            let filter = match (of_customer, customer_column) {
                (true, true) => "(i.record_id = ?1 OR k.customer = ?1)".to_string(),
                _ => "i.record_id = ?1".to_string(),
            };
            let sql = format!(
                "SELECT i.record_id, i.item_id, i.hash, i.name, i.type, i.size, i.thumb, i.taken_at,
                        b.uploaded, t.hash IS NOT NULL, k.created_at
                 FROM {table} i JOIN {} k ON k.id = i.record_id
                 LEFT JOIN blobs b ON b.hash = i.hash LEFT JOIN blobs t ON t.hash = i.thumb
                 WHERE {filter} AND k.deleted_at IS NULL",
                kind.table()
            );
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let rows = stmt.query_map([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<i64>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<i64>>(7)?,
                    r.get::<_, Option<bool>>(8)?,
                    r.get::<_, bool>(9)?,
                    r.get::<_, i64>(10)?,
                ))
            })?;
            for row in rows {
                let (record, item_id, hash, name, kind_of_file, size, thumb, taken_at, uploaded, thumb_here, created) =
                    row?;
                let Some(hash) = hash else { continue };
                // A thumbnail that cannot be read (damaged, or sealed by another key) is shown
                // as missing; the rest of the list still shows.
                let thumb_data = match (&thumb, thumb_here) {
                    (Some(t), true) => self.blobs.read(t).ok().flatten().map(|b| STANDARD.encode(b)),
                    _ => None,
                };
                let when = taken_at.unwrap_or(created);
                out.push((
                    when,
                    AttachmentView {
                        record,
                        kind,
                        field: field.name,
                        item: json!({
                            "id": item_id, "hash": hash, "name": name, "type": kind_of_file, "size": size,
                            "thumb": thumb, "taken_at": taken_at.map(format_datetime),
                        }),
                        thumb_data,
                        here: uploaded.is_some() && self.blobs.size(&hash)?.is_some(),
                        uploaded: uploaded.unwrap_or(true),
                    },
                ));
            }
        }
        out.sort_by_key(|(when, _)| std::cmp::Reverse(*when));
        Ok(out.into_iter().map(|(_, v)| v).collect())
    }
}
