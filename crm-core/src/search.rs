//! Search over customer codes and names, contact names, phones and emails — and a name's
//! pinyin initials (`hzhd` finds 杭州宏达).
//!
//! Three or more characters use the FTS5 trigram index. One or two characters (a Chinese
//! surname, `科技`) cannot be trigram-matched, so they scan the compact `search_docs` text
//! with `instr`, which is fast at the sizes a device holds (tens of thousands of rows).
//! Each row also keeps the record's title and code, so the matches are ranked without reading
//! the records; only the hits returned are.

use rusqlite::{params, Connection};

use crate::duplicate::normalise_phone;
use crate::error::Result;
use crate::kind::{FieldSpec, FieldType, Kind, KindSpec};
use crate::value::FieldValue;

/// What a record is found and ranked by.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Searchable {
    /// Every searchable field, lower-cased, with the title's pinyin initials.
    pub text: String,
    /// The record's title (its kind's title field), as written.
    pub title: String,
    /// Its `code`, for kinds that have one (an exact code ranks first).
    pub code: Option<String>,
}

/// The initials of `s`'s Chinese characters in pinyin, with its letters and digits, lower-case
/// (`杭州宏达机械` → `hzhdjx`, `ABC科技` → `abckj`); `None` when it has no Chinese character.
/// A character with several readings takes its most common one.
pub fn pinyin_initials(s: &str) -> Option<String> {
    use pinyin::ToPinyin;
    let mut out = String::new();
    let mut chinese = false;
    for (c, py) in s.chars().zip(s.to_pinyin()) {
        match py {
            Some(py) => {
                chinese = true;
                out.push_str(py.first_letter());
            }
            None if c.is_ascii_alphanumeric() => out.push(c.to_ascii_lowercase()),
            None => {}
        }
    }
    chinese.then_some(out)
}

/// What a record is found by; `None` if the kind is not searchable.
pub fn searchable(spec: &KindSpec, read: impl Fn(&FieldSpec) -> Option<FieldValue>) -> Option<Searchable> {
    if !spec.fields.iter().any(|f| f.search) {
        return None;
    }
    let string = |name: &str| match spec.field(name).and_then(&read) {
        Some(FieldValue::Str(s)) => Some(s),
        _ => None,
    };
    let title = string(spec.title).unwrap_or_default();
    let code = string("code");
    let mut text = text(spec, &read).unwrap_or_default();
    if let Some(initials) = pinyin_initials(&title) {
        text.push_str(" \u{1f} ");
        text.push_str(&initials);
    }
    Some(Searchable { text, title, code })
}

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
            (_, Some(FieldValue::Str(s) | FieldValue::Notes(s))) => parts.push(s),
            _ => {}
        }
    }
    if spec.fields.iter().any(|f| f.search) {
        Some(parts.join(" \u{1f} ").to_lowercase())
    } else {
        None
    }
}

/// Record a record's search text. The trigram index follows in [`flush`]: FTS5 writes out its
/// pending terms at every statement that touches it, so one statement per record would make a
/// segment per record (and merge them again); one statement per batch makes one.
pub fn index(conn: &Connection, id: &str, kind: Kind, found: &Searchable, deleted: bool) -> Result<()> {
    let existing: Option<i64> =
        conn.prepare_cached("SELECT rowid FROM search_docs WHERE record_id = ?")?.query_row([id], |r| r.get(0)).ok();
    let rowid = match existing {
        Some(rowid) => {
            conn.prepare_cached("UPDATE search_docs SET text = ?, title = ?, code = ?, deleted = ? WHERE rowid = ?")?
                .execute(params![found.text, found.title, found.code, deleted, rowid])?;
            rowid
        }
        None => {
            insert(conn, id, kind, found, deleted)?;
            conn.last_insert_rowid()
        }
    };
    conn.prepare_cached("INSERT OR IGNORE INTO search_pending (rowid) VALUES (?)")?.execute([rowid])?;
    Ok(())
}

/// [`index`] for a record that has no search row yet.
pub fn index_new(conn: &Connection, id: &str, kind: Kind, found: &Searchable, deleted: bool) -> Result<()> {
    insert(conn, id, kind, found, deleted)?;
    // A rowid can come back: a removed record's may still be marked, unflushed.
    conn.prepare_cached("INSERT OR IGNORE INTO search_pending (rowid) VALUES (?)")?
        .execute([conn.last_insert_rowid()])?;
    Ok(())
}

fn insert(conn: &Connection, id: &str, kind: Kind, found: &Searchable, deleted: bool) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO search_docs (record_id, kind, text, title, code, deleted) VALUES (?, ?, ?, ?, ?, ?)",
    )?
    .execute(params![id, kind.as_str(), found.text, found.title, found.code, deleted])?;
    Ok(())
}

/// Bring the trigram index up to date with `search_docs` for every row [`index`] marked. Runs
/// before every search and at the end of batch writes (imports, sync); safe to repeat, and a
/// crash part-way leaves the rows marked for the next one.
pub fn flush(conn: &Connection) -> Result<()> {
    let pending: bool =
        conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM search_pending)")?.query_row([], |r| r.get(0))?;
    if !pending {
        return Ok(());
    }
    let own = conn.is_autocommit();
    if own {
        conn.execute_batch("BEGIN IMMEDIATE")?;
    }
    let flushed = (|| -> Result<()> {
        conn.prepare_cached("DELETE FROM search_fts WHERE rowid IN (SELECT rowid FROM search_pending)")?.execute([])?;
        conn.prepare_cached(
            "INSERT INTO search_fts (rowid, text)
             SELECT d.rowid, d.text FROM search_docs d JOIN search_pending p ON p.rowid = d.rowid WHERE d.deleted = 0",
        )?
        .execute([])?;
        conn.prepare_cached("DELETE FROM search_pending")?.execute([])?;
        Ok(())
    })();
    if own {
        conn.execute_batch(if flushed.is_ok() { "COMMIT" } else { "ROLLBACK" })?;
    }
    flushed
}

/// A record matching a search, with what it is ranked by.
pub struct Candidate {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub code: Option<String>,
}

/// Matching records (not deleted), at most `limit`, in index order.
pub fn candidates(conn: &Connection, query: &str, kinds: &[crate::kind::Kind], limit: usize) -> Result<Vec<Candidate>> {
    // Control characters (NUL among them) can be in no indexed text and would end the FTS
    // query string early.
    let q: String = query.chars().filter(|c| !c.is_control()).collect::<String>().trim().to_lowercase();
    if q.is_empty() {
        return Ok(Vec::new());
    }
    flush(conn)?;
    let limit = limit as i64;
    // Only the kinds asked for (their names are the code's, never the request's text).
    let of_kinds = if kinds.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = kinds.iter().map(|k| format!("'{}'", k.as_str())).collect();
        format!(" AND d.kind IN ({})", names.join(", "))
    };
    let mut rows = Vec::new();
    if q.chars().count() >= 3 {
        let phrase = format!("\"{}\"", q.replace('"', "\"\""));
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT d.record_id, d.kind, d.title, d.code FROM search_fts f JOIN search_docs d ON d.rowid = f.rowid
             WHERE search_fts MATCH ?1 AND d.deleted = 0{of_kinds} LIMIT ?2"
        ))?;
        let found = stmt.query_map(params![phrase, limit], candidate)?;
        for row in found {
            rows.push(row?);
        }
    } else {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT d.record_id, d.kind, d.title, d.code FROM search_docs d
             WHERE d.deleted = 0 AND instr(d.text, ?1) > 0{of_kinds} LIMIT ?2"
        ))?;
        let found = stmt.query_map(params![q, limit], candidate)?;
        for row in found {
            rows.push(row?);
        }
    }
    Ok(rows)
}

fn candidate(r: &rusqlite::Row<'_>) -> rusqlite::Result<Candidate> {
    Ok(Candidate { id: r.get(0)?, kind: r.get(1)?, title: r.get(2)?, code: r.get(3)? })
}
