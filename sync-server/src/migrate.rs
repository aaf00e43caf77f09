//! Moving a server from its SQLite file to PostgreSQL (`sync-server migrate --from FILE --to
//! postgres://…`): every table copied as it is, in one PostgreSQL transaction, into a database
//! that holds no server yet. The log keeps its sequence numbers and the database its epoch, so
//! devices carry on from their cursors against the new server as if nothing had moved.

use std::path::Path;

use crate::db::{create_schema, DbError, ServerDb};
use crate::sql::{params_from_iter, Conn, Value};

/// Every table of the server's database, in an order that inserts nothing before what it
/// names.
pub const TABLES: &[&str] = &[
    "meta",
    "server_settings",
    "users",
    "devices",
    "actors",
    "docs",
    "doc_refs",
    "blob_refs",
    "blobs",
    "outbox",
    "assignments",
    "log",
    "audit",
];

/// What was moved: rows per table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub rows: Vec<(&'static str, u64)>,
}

/// Copy the server at SQLite file `from` into the PostgreSQL database at `to` (empty of any
/// server: refused otherwise, nothing written). The file is first brought up to this version,
/// as serving it would. The server must not be serving `from` meanwhile.
pub fn migrate(from: &Path, to: &str) -> Result<Moved, DbError> {
    if !from.exists() {
        return Err(DbError::Invalid(format!("{} does not exist", from.display())));
    }
    drop(ServerDb::open(from)?);
    let source = Conn::open_sqlite(from)?;
    let target = Conn::open_postgres(to)?;
    let _setting_up = target.setup_lock()?;
    create_schema(&target)?;
    let used: i64 = target.query_row(
        "SELECT (SELECT COUNT(*) FROM log) + (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM meta)",
        [],
        |r| r.get(0),
    )?;
    if used > 0 {
        return Err(DbError::Refused(
            "target_not_empty",
            "the PostgreSQL database already holds a server's data; migrate into an empty database".into(),
        ));
    }
    let tx = target.transaction()?;
    let mut rows = Vec::new();
    for &table in TABLES {
        let columns: Vec<String> = source
            .prepare_cached("SELECT name FROM pragma_table_info(?1) ORDER BY cid")?
            .query_map([table], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        if columns.is_empty() {
            rows.push((table, 0));
            continue;
        }
        let list = columns.join(", ");
        let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
        let insert = format!("INSERT INTO {table} ({list}) VALUES ({})", marks.join(", "));
        let mut n = 0u64;
        source.prepare_cached(&format!("SELECT {list} FROM {table}"))?.for_each([], |row| {
            let values: Vec<Value> = (0..columns.len()).map(|i| row.get(i)).collect::<Result<_, _>>()?;
            tx.execute(&insert, params_from_iter(values.iter()))?;
            n += 1;
            Ok(())
        })?;
        rows.push((table, n));
    }
    // The next log entry and audit entry follow the copied ones.
    tx.execute_batch(
        "SELECT setval(pg_get_serial_sequence('log', 'seq'), COALESCE((SELECT MAX(seq) FROM log), 0) + 1, false);
         SELECT setval(pg_get_serial_sequence('audit', 'id'), COALESCE((SELECT MAX(id) FROM audit), 0) + 1, false)",
    )?;
    tx.commit()?;
    Ok(Moved { rows })
}
