//! Read models: one indexed table per kind (`p_<kind>`), tags, duplicate keys and the search
//! index, all derived from documents. They can be dropped and rebuilt at any time; the DDL is
//! generated from the kind specs, and a change to it rebuilds them on open.

use rusqlite::types::Value as Sql;
use rusqlite::{params, Connection};
use serde_json::{json, Value as Json};

use crate::document::RecordDoc;
use crate::duplicate;
use crate::error::Result;
use crate::kind::{FieldSpec, FieldType, Kind};
use crate::search;
use crate::value::{format_datetime, FieldValue};

/// Columns every projection table has besides the fields.
pub const META_COLUMNS: &[&str] = &["id", "deleted_at", "created_at", "created_by", "updated_at", "has_conflicts"];

/// SQL column names for one field (money takes two).
pub fn columns(field: &FieldSpec) -> Vec<String> {
    match field.ty {
        FieldType::Money => vec![format!("{}_minor", field.name), format!("{}_currency", field.name)],
        _ => vec![field.name.to_string()],
    }
}

fn sql_type(ty: FieldType) -> &'static str {
    match ty {
        ty if ty.integer_column() => "INTEGER",
        _ => "TEXT",
    }
}

/// The item-list fields of every kind, with the read-model table each one's items go to
/// (`p_<kind>__<field>`: one row per item, its position, id and parts), for queries over
/// lines without loading documents (a customer's purchases, reports).
pub fn item_tables() -> impl Iterator<Item = (Kind, &'static FieldSpec, &'static [FieldSpec], String)> {
    Kind::ALL.iter().flat_map(|&kind| {
        kind.spec().fields.iter().filter_map(move |f| match f.ty {
            FieldType::Items(parts) => Some((kind, f, parts, item_table(kind, f))),
            _ => None,
        })
    })
}

/// The DDL of every projection table, index and the search index.
pub fn ddl() -> String {
    let mut sql = String::new();
    for &kind in Kind::ALL {
        let spec = kind.spec();
        let table = kind.table();
        let mut cols = vec![
            "id TEXT PRIMARY KEY".to_string(),
            "deleted_at INTEGER".into(),
            "created_at INTEGER NOT NULL".into(),
            "created_by TEXT".into(),
            "updated_at INTEGER NOT NULL".into(),
            "has_conflicts INTEGER NOT NULL DEFAULT 0".into(),
        ];
        for field in spec.fields.iter().filter(|f| f.projected()) {
            match field.ty {
                FieldType::Money => {
                    cols.push(format!("{}_minor INTEGER", field.name));
                    cols.push(format!("{}_currency TEXT", field.name));
                }
                ty => cols.push(format!("{} {}", field.name, sql_type(ty))),
            }
        }
        sql.push_str(&format!("CREATE TABLE {table} ({});\n", cols.join(", ")));
        sql.push_str(&format!("CREATE INDEX {table}_created ON {table}(created_at);\n"));
        sql.push_str(&format!("CREATE INDEX {table}_updated ON {table}(updated_at);\n"));
        for field in spec.fields.iter().filter(|f| f.indexed) {
            sql.push_str(&format!("CREATE INDEX {table}_{0} ON {table}({0});\n", field.name));
        }
        for index in spec.indexes {
            sql.push_str(&format!("CREATE INDEX {table}_{} ON {table}({});\n", index.join("_"), index.join(", ")));
        }
    }
    for (_, _, parts, table) in item_tables() {
        let mut cols = vec![
            "record_id TEXT NOT NULL".to_string(),
            "position INTEGER NOT NULL".into(),
            "item_id TEXT NOT NULL".into(),
        ];
        cols.extend(parts.iter().map(|p| format!("{} {}", p.name, sql_type(p.ty))));
        sql.push_str(&format!(
            "CREATE TABLE {table} ({}, PRIMARY KEY (record_id, position)) WITHOUT ROWID;\n",
            cols.join(", ")
        ));
        for part in parts.iter().filter(|p| matches!(p.ty, FieldType::Ref(_) | FieldType::Blob)) {
            sql.push_str(&format!("CREATE INDEX {table}_{0} ON {table}({0});\n", part.name));
        }
    }
    sql.push_str(
        "CREATE TABLE record_tags (tag TEXT NOT NULL, record_id TEXT NOT NULL, PRIMARY KEY (tag, record_id)) WITHOUT ROWID;
CREATE INDEX record_tags_record ON record_tags(record_id);
CREATE TABLE dup_keys (kind TEXT NOT NULL, key TEXT NOT NULL, record_id TEXT NOT NULL, PRIMARY KEY (kind, key, record_id)) WITHOUT ROWID;
CREATE INDEX dup_keys_record ON dup_keys(record_id);
CREATE TABLE search_docs (rowid INTEGER PRIMARY KEY, record_id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, text TEXT NOT NULL, title TEXT NOT NULL, code TEXT, deleted INTEGER NOT NULL);
CREATE INDEX search_docs_kind ON search_docs(kind);
CREATE VIRTUAL TABLE search_fts USING fts5(text, tokenize = 'trigram');
CREATE TABLE search_pending (rowid INTEGER PRIMARY KEY);
",
    );
    sql
}

/// Drop every projection table (they are rebuilt from documents).
pub fn drop_all(conn: &Connection) -> Result<()> {
    let mut sql = String::new();
    for &kind in Kind::ALL {
        sql.push_str(&format!("DROP TABLE IF EXISTS {};\n", kind.table()));
    }
    for (_, _, _, table) in item_tables() {
        sql.push_str(&format!("DROP TABLE IF EXISTS {table};\n"));
    }
    sql.push_str(
        "DROP TABLE IF EXISTS record_tags; DROP TABLE IF EXISTS dup_keys;
         DROP TABLE IF EXISTS search_docs; DROP TABLE IF EXISTS search_fts; DROP TABLE IF EXISTS search_pending;",
    );
    conn.execute_batch(&sql)?;
    Ok(())
}

/// Write the read-model rows of one document. Documents whose kind is not known yet (changes
/// still waiting for their dependencies, or a kind from a newer version) are skipped.
pub fn project(conn: &Connection, id: &str, doc: &mut RecordDoc) -> Result<()> {
    match prepare(id, doc) {
        Some(rows) => write(conn, &rows),
        None => Ok(()),
    }
}

/// The read-model rows of one document, computed without touching the database, so that
/// many documents can be prepared on several cores and written by one connection.
pub struct Prepared {
    id: String,
    kind: Kind,
    row: Vec<Sql>,
    tags: Vec<String>,
    dup_keys: Vec<String>,
    search: Option<search::Searchable>,
    deleted: bool,
    /// Each item-list field's table and its rows.
    items: Vec<(String, Vec<Vec<Sql>>)>,
}

/// What version of the read models [`Prepared`] rows are for: a server sends a bootstrapping
/// device the rows it prepared itself only when the device's version is the same (the rows are
/// then exactly what the device would compute from the document). It changes with the tables'
/// DDL, with this crate's version, and with [`PREPARED_REVISION`].
pub fn version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        use sha2::Digest;
        let mut hash = sha2::Sha256::new();
        hash.update(ddl().as_bytes());
        hash.update(env!("CARGO_PKG_VERSION").as_bytes());
        hash.update(PREPARED_REVISION.to_le_bytes());
        let digest = hash.finalize();
        digest[..12].iter().map(|b| format!("{b:02x}")).collect()
    })
}

/// Bumped whenever [`prepare`] computes anything differently without the DDL changing (a search
/// text or a duplicate key made another way), so that rows prepared by an older server are not
/// taken for this version's.
pub const PREPARED_REVISION: u32 = 1;

/// One column's value on the wire (rusqlite's `Value` is not serde).
#[derive(serde::Serialize, serde::Deserialize)]
enum Cell {
    N,
    I(i64),
    R(f64),
    T(String),
    B(#[serde(with = "serde_bytes")] Vec<u8>),
}

impl From<&Sql> for Cell {
    fn from(v: &Sql) -> Cell {
        match v {
            Sql::Null => Cell::N,
            Sql::Integer(n) => Cell::I(*n),
            Sql::Real(r) => Cell::R(*r),
            Sql::Text(t) => Cell::T(t.clone()),
            Sql::Blob(b) => Cell::B(b.clone()),
        }
    }
}

impl From<Cell> for Sql {
    fn from(c: Cell) -> Sql {
        match c {
            Cell::N => Sql::Null,
            Cell::I(n) => Sql::Integer(n),
            Cell::R(r) => Sql::Real(r),
            Cell::T(t) => Sql::Text(t),
            Cell::B(b) => Sql::Blob(b),
        }
    }
}

/// [`Prepared`] as CBOR: the id is the document's and not repeated.
#[derive(serde::Serialize, serde::Deserialize)]
struct Wire {
    kind: String,
    row: Vec<Cell>,
    tags: Vec<String>,
    dup_keys: Vec<String>,
    search: Option<search::Searchable>,
    deleted: bool,
    items: Vec<(String, Vec<Vec<Cell>>)>,
}

impl Prepared {
    /// The rows as bytes, for a server to keep beside the snapshot and send with it.
    pub fn encode(&self) -> Vec<u8> {
        let cells = |row: &[Sql]| row.iter().map(Cell::from).collect::<Vec<_>>();
        let wire = Wire {
            kind: self.kind.as_str().to_string(),
            // The id (the row's first column) is the document's own.
            row: cells(&self.row[1..]),
            tags: self.tags.clone(),
            dup_keys: self.dup_keys.clone(),
            search: self.search.clone(),
            deleted: self.deleted,
            items: self
                .items
                .iter()
                .map(|(table, rows)| (table.clone(), rows.iter().map(|r| cells(&r[1..])).collect()))
                .collect(),
        };
        let mut out = Vec::new();
        // Writing CBOR into a Vec cannot fail for these types.
        let _ = ciborium::into_writer(&wire, &mut out);
        out
    }

    /// Rows of document `id` from [`Prepared::encode`]'s bytes, when they are well formed for
    /// this version's tables (a kind it knows, a row of its kind's width, item tables of its
    /// kind); otherwise `None`, and the caller prepares them from the document.
    pub fn decode(id: &str, bytes: &[u8]) -> Option<Prepared> {
        let wire: Wire = ciborium::from_reader(bytes).ok()?;
        let kind = Kind::parse(&wire.kind)?;
        let with_id = |cells: Vec<Cell>| -> Vec<Sql> {
            std::iter::once(Sql::Text(id.to_string())).chain(cells.into_iter().map(Sql::from)).collect()
        };
        let shape = shape(kind);
        if wire.row.len() + 1 != shape.width {
            return None;
        }
        let mut items = Vec::new();
        for (table, rows) in wire.items {
            let (_, width) = shape.items.iter().find(|(t, _)| *t == table)?;
            if rows.iter().any(|r| r.len() + 1 != *width) {
                return None;
            }
            items.push((table, rows.into_iter().map(with_id).collect()));
        }
        Some(Prepared {
            id: id.to_string(),
            kind,
            row: with_id(wire.row),
            tags: wire.tags,
            dup_keys: wire.dup_keys,
            search: wire.search,
            deleted: wire.deleted,
            items,
        })
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }
}

/// Read everything the read models need from a document; `None` if its kind is not known.
pub fn prepare(id: &str, doc: &mut RecordDoc) -> Option<Prepared> {
    let kind = doc.kind()?;
    let (values, has_conflicts) = doc.snapshot(kind);
    let root = doc.root_meta();
    Some(prepare_from(id, doc, kind, values, has_conflicts, &root))
}

/// [`prepare`] from the record's [`RecordDoc::snapshot`] of its kind and its own keys
/// ([`RecordDoc::root_meta`]), for a caller that read them already.
pub fn prepare_from(
    id: &str,
    doc: &mut RecordDoc,
    kind: Kind,
    mut values: Vec<Option<FieldValue>>,
    has_conflicts: bool,
    root: &crate::document::RootMeta,
) -> Prepared {
    let spec = kind.spec();
    crate::domain::complete(kind, doc, &mut values);
    let read = |f: &FieldSpec| value_of(kind, &values, f);
    let deleted_at = root.deleted_at;
    let mut row: Vec<Sql> = vec![
        Sql::Text(id.to_string()),
        deleted_at.map_or(Sql::Null, Sql::Integer),
        Sql::Integer(root.created_at.unwrap_or(0)),
        root.created_by.clone().map_or(Sql::Null, Sql::Text),
        Sql::Integer(doc.updated_at()),
        Sql::Integer(i64::from(has_conflicts)),
    ];
    let mut tags = Vec::new();
    for (field, value) in spec.fields.iter().zip(&values) {
        if let (FieldType::Tags, Some(FieldValue::Tags(t))) = (field.ty, value) {
            tags.extend(t.iter().cloned());
        }
        if !field.projected() {
            continue;
        }
        match (field.ty, value) {
            (FieldType::Money, Some(FieldValue::Money(m))) => {
                row.push(Sql::Integer(m.minor));
                row.push(Sql::Text(m.currency.clone()));
            }
            (FieldType::Money, _) => row.extend([Sql::Null, Sql::Null]),
            (_, v) => row.push(to_sql(v.as_ref())),
        }
    }
    let mut items = Vec::new();
    for (i, field) in spec.fields.iter().enumerate() {
        let FieldType::Items(parts) = field.ty else { continue };
        let rows: Vec<Vec<Sql>> = match &values[i] {
            Some(FieldValue::Items(list)) => list
                .iter()
                .enumerate()
                .map(|(position, item)| {
                    let mut row =
                        vec![Sql::Text(id.to_string()), Sql::Integer(position as i64), Sql::Text(item.id.clone())];
                    row.extend(parts.iter().map(|p| to_sql(item.get(p.name))));
                    row
                })
                .collect(),
            _ => Vec::new(),
        };
        items.push((item_table(kind, field), rows));
    }
    let deleted = deleted_at.is_some();
    let dup_keys = if deleted { Vec::new() } else { duplicate::keys(kind, read).into_iter().map(|(k, _)| k).collect() };
    let search = search::searchable(spec, read);
    Prepared { id: id.to_string(), kind, row, tags, dup_keys, search, deleted, items }
}

/// `field`'s value among `values`, a [`RecordDoc::snapshot`] of a record of `kind`.
pub fn value_of(kind: Kind, values: &[Option<FieldValue>], field: &FieldSpec) -> Option<FieldValue> {
    kind.spec().fields.iter().position(|s| s.name == field.name).and_then(|i| values[i].clone())
}

/// The table of a kind's item-list field (`p_order__lines`).
fn item_table(kind: Kind, field: &FieldSpec) -> String {
    format!("{}__{}", kind.table(), field.name)
}

/// A kind's projection table as rows are written to it, built once per kind (it is used for
/// every record written, including each document of a bootstrap): its `INSERT OR REPLACE`
/// statement, its row's width, and each item table with the width of its rows (the record,
/// the position, the item's id, then the parts).
struct Shape {
    upsert: String,
    width: usize,
    items: Vec<(String, usize)>,
}

fn shape(kind: Kind) -> &'static Shape {
    static SHAPES: std::sync::OnceLock<std::collections::HashMap<Kind, Shape>> = std::sync::OnceLock::new();
    let all = SHAPES.get_or_init(|| {
        Kind::ALL
            .iter()
            .map(|&k| {
                let mut names: Vec<String> = META_COLUMNS.iter().map(|c| c.to_string()).collect();
                for field in k.spec().fields.iter().filter(|f| f.projected()) {
                    names.extend(columns(field));
                }
                let placeholders = vec!["?"; names.len()].join(", ");
                let upsert =
                    format!("INSERT OR REPLACE INTO {} ({}) VALUES ({placeholders})", k.table(), names.join(", "));
                let items = item_tables()
                    .filter(|(of, ..)| *of == k)
                    .map(|(_, _, parts, table)| (table, 3 + parts.len()))
                    .collect();
                (k, Shape { upsert, width: names.len(), items })
            })
            .collect()
    });
    // Every kind is in the map, built from `Kind::ALL`.
    &all[&kind]
}

/// Write prepared read-model rows, replacing what the record had.
pub fn write(conn: &Connection, p: &Prepared) -> Result<()> {
    conn.prepare_cached("DELETE FROM record_tags WHERE record_id = ?")?.execute([&p.id])?;
    conn.prepare_cached("DELETE FROM dup_keys WHERE record_id = ?")?.execute([&p.id])?;
    for (table, _) in &p.items {
        conn.prepare_cached(&format!("DELETE FROM {table} WHERE record_id = ?"))?.execute([&p.id])?;
    }
    insert_rows(conn, p)?;
    if let Some(found) = &p.search {
        search::index(conn, &p.id, p.kind, found, p.deleted)?;
    }
    Ok(())
}

/// [`write`] for a record that has no read-model rows yet: nothing to replace.
pub fn write_new(conn: &Connection, p: &Prepared) -> Result<()> {
    insert_rows(conn, p)?;
    if let Some(found) = &p.search {
        search::index_new(conn, &p.id, p.kind, found, p.deleted)?;
    }
    Ok(())
}

/// The kind table's row, the tags and the duplicate keys of a record.
fn insert_rows(conn: &Connection, p: &Prepared) -> Result<()> {
    conn.prepare_cached(&shape(p.kind).upsert)?.execute(rusqlite::params_from_iter(&p.row))?;
    let mut insert = conn.prepare_cached("INSERT OR IGNORE INTO record_tags (tag, record_id) VALUES (?, ?)")?;
    for tag in &p.tags {
        insert.execute(params![tag, p.id])?;
    }
    let mut insert = conn.prepare_cached("INSERT OR IGNORE INTO dup_keys (kind, key, record_id) VALUES (?, ?, ?)")?;
    for key in &p.dup_keys {
        insert.execute(params![p.kind.as_str(), key, p.id])?;
    }
    for (table, rows) in &p.items {
        let Some(first) = rows.first() else { continue };
        let sql = format!("INSERT OR REPLACE INTO {table} VALUES ({})", vec!["?"; first.len()].join(", "));
        let mut insert = conn.prepare_cached(&sql)?;
        for row in rows {
            insert.execute(rusqlite::params_from_iter(row))?;
        }
    }
    Ok(())
}

fn to_sql(value: Option<&FieldValue>) -> Sql {
    match value {
        None => Sql::Null,
        Some(FieldValue::Str(s)) => Sql::Text(s.clone()),
        Some(FieldValue::Int(n)) | Some(FieldValue::DateTime(n)) | Some(FieldValue::Quantity(n)) => Sql::Integer(*n),
        Some(FieldValue::Bool(b)) => Sql::Integer(i64::from(*b)),
        Some(FieldValue::Phones(p)) => Sql::Text(json!(p).to_string()),
        Some(FieldValue::Tags(t)) => Sql::Text(json!(t).to_string()),
        Some(FieldValue::Custom(c)) if c.is_empty() => Sql::Null,
        Some(other) => Sql::Text(other.to_json().to_string()),
    }
}

/// Turn a projection row's column back into the field's JSON form.
pub fn column_json(ty: FieldType, value: rusqlite::types::ValueRef<'_>) -> Json {
    use rusqlite::types::ValueRef as V;
    match (ty, value) {
        (_, V::Null) => Json::Null,
        (FieldType::Bool, V::Integer(n)) => json!(n != 0),
        (FieldType::DateTime, V::Integer(ms)) => json!(format_datetime(ms)),
        (FieldType::Quantity, V::Integer(n)) => FieldValue::Quantity(n).to_json(),
        (FieldType::Phones | FieldType::Tags | FieldType::Custom | FieldType::Place, V::Text(t)) => {
            serde_json::from_slice(t).unwrap_or(Json::Null)
        }
        (_, V::Integer(n)) => json!(n),
        (_, V::Text(t)) => json!(String::from_utf8_lossy(t)),
        _ => Json::Null,
    }
}

/// Every read model as text, independent of insertion order: two replicas with the same
/// documents give the same dump, and so does a rebuild. For checks and diagnostics.
pub fn dump(conn: &Connection) -> Result<String> {
    search::flush(conn)?;
    let mut queries: Vec<String> =
        Kind::ALL.iter().map(|k| format!("SELECT * FROM {} ORDER BY id", k.table())).collect();
    queries.extend(item_tables().map(|(_, _, _, table)| format!("SELECT * FROM {table} ORDER BY record_id, position")));
    queries.push("SELECT * FROM record_tags ORDER BY record_id, tag".into());
    queries.push("SELECT * FROM dup_keys ORDER BY record_id, kind, key".into());
    queries.push("SELECT record_id, kind, text, title, code, deleted FROM search_docs ORDER BY record_id".into());
    queries.push(
        "SELECT d.record_id FROM search_fts f JOIN search_docs d ON d.rowid = f.rowid ORDER BY d.record_id".into(),
    );
    let mut out = String::new();
    for sql in queries {
        let mut stmt = conn.prepare(&sql)?;
        let n = stmt.column_count();
        let mut rows = stmt.query([])?;
        out.push_str(&format!("-- {sql}\n"));
        while let Some(row) = rows.next()? {
            let cells: Vec<String> =
                (0..n).map(|i| row.get_ref(i).map(|v| format!("{v:?}"))).collect::<Result<_, _>>()?;
            out.push_str(&cells.join("|"));
            out.push('\n');
        }
    }
    Ok(out)
}
