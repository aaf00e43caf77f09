//! Search over customer codes and names, contact names, phones and emails.
//!
//! Three or more characters use the FTS5 trigram index. One or two characters (a Chinese
//! surname, `科技`) cannot be trigram-matched, so they scan the compact `search_docs` text
//! with `instr`, which is fast at the sizes a device holds (tens of thousands of rows).

use rusqlite::{params, Connection};

use crate::duplicate::normalise_phone;
use crate::error::Result;
use crate::kind::{FieldSpec, FieldType, Kind, KindSpec};
use crate::value::FieldValue;

/// The text a record is found by, lower-cased; `None` if the kind is not searchable.
pub fn text(spec: &KindSpec, read: impl Fn(&FieldSpec) -> Option<FieldValue>) -> Option<String> {
    let mut parts = Vec::new();
    for field in spec.fields.iter().filter(|f| f.search) {
        match (field.ty, read(field)) {
            (FieldType::Phones, Some(FieldValue::Phones(phones))) => {
                for p in phones {
                    parts.push(normalise_phone(&p));
                    parts.push(p);
                }
            }
            (_, Some(FieldValue::Str(s))) => parts.push(s),
            _ => {}
        }
    }
    if spec.fields.iter().any(|f| f.search) {
        Some(parts.join(" \u{1f} ").to_lowercase())
    } else {
        None
    }
}

pub fn index(conn: &Connection, id: &str, kind: Kind, text: &str, deleted: bool) -> Result<()> {
    let existing: Option<i64> =
        conn.prepare_cached("SELECT rowid FROM search_docs WHERE record_id = ?")?.query_row([id], |r| r.get(0)).ok();
    let rowid = match existing {
        Some(rowid) => {
            conn.prepare_cached("DELETE FROM search_fts WHERE rowid = ?")?.execute([rowid])?;
            conn.prepare_cached("UPDATE search_docs SET text = ?, deleted = ? WHERE rowid = ?")?
                .execute(params![text, deleted, rowid])?;
            rowid
        }
        None => {
            conn.prepare_cached("INSERT INTO search_docs (record_id, kind, text, deleted) VALUES (?, ?, ?, ?)")?
                .execute(params![id, kind.as_str(), text, deleted])?;
            conn.last_insert_rowid()
        }
    };
    if !deleted {
        conn.prepare_cached("INSERT INTO search_fts (rowid, text) VALUES (?, ?)")?.execute(params![rowid, text])?;
    }
    Ok(())
}

/// Ids and kinds of matching records (not deleted), at most `limit`, in index order.
pub fn candidates(conn: &Connection, query: &str, limit: usize) -> Result<Vec<(String, String)>> {
    // Control characters (NUL among them) can be in no indexed text and would end the FTS
    // query string early.
    let q: String = query.chars().filter(|c| !c.is_control()).collect::<String>().trim().to_lowercase();
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let limit = limit as i64;
    let mut rows = Vec::new();
    if q.chars().count() >= 3 {
        let phrase = format!("\"{}\"", q.replace('"', "\"\""));
        let mut stmt = conn.prepare_cached(
            "SELECT d.record_id, d.kind FROM search_fts f JOIN search_docs d ON d.rowid = f.rowid
             WHERE search_fts MATCH ?1 AND d.deleted = 0 LIMIT ?2",
        )?;
        let found = stmt.query_map(params![phrase, limit], |r| Ok((r.get(0)?, r.get(1)?)))?;
        for row in found {
            rows.push(row?);
        }
    } else {
        let mut stmt = conn.prepare_cached(
            "SELECT record_id, kind FROM search_docs WHERE deleted = 0 AND instr(text, ?1) > 0 LIMIT ?2",
        )?;
        let found = stmt.query_map(params![q, limit], |r| Ok((r.get(0)?, r.get(1)?)))?;
        for row in found {
            rows.push(row?);
        }
    }
    Ok(rows)
}
