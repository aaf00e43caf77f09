//! Search over customer codes and names, contact names, phones and emails — and a name's
//! pinyin initials (`hzhd` finds 杭州宏达).
//!
//! Three or more characters use the FTS5 trigram index. One or two characters (a Chinese
//! surname, `科技`) are no trigram, but every place they occur begins one: the index's own list
//! of its trigrams (`temp.search_terms`, FTS5's vocabulary table) gives those that begin with
//! them, and the records holding any of those are the matches. Each text is indexed with two
//! spaces after it, so that even its last character begins a trigram. A character so common
//! that hundreds of trigrams begin with it scans the compact `search_docs` text with `instr`
//! instead, which finds a full page of matches early.
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
        // Padded: see the module's comment.
        conn.prepare_cached(
            "INSERT INTO search_fts (rowid, text)
             SELECT d.rowid, d.text || '  ' FROM search_docs d JOIN search_pending p ON p.rowid = d.rowid WHERE d.deleted = 0",
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

/// Ready `conn`'s store for one- and two-character search: the trigram index's vocabulary
/// as a table of this connection, and an index made before texts were padded indexed again
/// (at the next [`flush`]).
pub(crate) fn prepare(conn: &Connection) -> Result<()> {
    conn.execute_batch("CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_terms USING fts5vocab(main, search_fts, row)")?;
    if crate::store::get_meta(conn, "search_padded")?.is_none() {
        let tx = rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
        tx.execute("INSERT OR IGNORE INTO search_pending (rowid) SELECT rowid FROM search_docs", [])?;
        crate::store::set_meta(&tx, "search_padded", "1")?;
        tx.commit()?;
    }
    Ok(())
}

/// At most this many trigrams begin a one- or two-character query for it to be looked up in
/// the index; more, and the text is scanned.
const MAX_TERMS: i64 = 300;

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
    let matching = format!(
        "SELECT d.record_id, d.kind, d.title, d.code FROM search_fts f JOIN search_docs d ON d.rowid = f.rowid
         WHERE search_fts MATCH ?1 AND d.deleted = 0{of_kinds} LIMIT ?2"
    );
    let (sql, pattern) = if q.chars().count() >= 3 {
        (matching, phrase(&q))
    } else {
        // The trigrams that begin with the query, in the index's order (bytes): from `q` up to
        // `q` followed by the highest character.
        let terms: Vec<String> = conn
            .prepare_cached("SELECT term FROM temp.search_terms WHERE term >= ?1 AND term < ?2 LIMIT ?3")?
            .query_map(params![q, format!("{q}\u{10FFFF}"), MAX_TERMS + 1], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        // FTS5 folds a few lower-case letters further than Rust does (µ, ς, ſ): for a query
        // with a cased letter beyond ASCII that begins no trigram, the scan decides.
        let folds = q.chars().any(|c| !c.is_ascii() && (c.is_lowercase() || c.is_uppercase()));
        if terms.is_empty() && !folds {
            return Ok(Vec::new());
        }
        if terms.is_empty() || terms.len() as i64 > MAX_TERMS {
            let scan = format!(
                "SELECT d.record_id, d.kind, d.title, d.code FROM search_docs d
                 WHERE d.deleted = 0 AND instr(d.text, ?1) > 0{of_kinds} LIMIT ?2"
            );
            (scan, q)
        } else {
            let any: Vec<String> = terms.iter().map(|t| phrase(t)).collect();
            (matching, any.join(" OR "))
        }
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    let found = stmt.query_map(params![pattern, limit], candidate)?;
    Ok(found.collect::<rusqlite::Result<_>>()?)
}

/// `text` as one FTS5 phrase (quoted, its quotes doubled): matched as written, never as query
/// syntax.
fn phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

fn candidate(r: &rusqlite::Row<'_>) -> rusqlite::Result<Candidate> {
    Ok(Candidate { id: r.get(0)?, kind: r.get(1)?, title: r.get(2)?, code: r.get(3)? })
}
