//! The server's one way to its database, whichever engine holds it: SQLite (the default, one
//! file beside the server) or PostgreSQL (several server instances on one database).
//!
//! Statements are written once, in the SQL both engines speak: `?` or `?N` placeholders,
//! `COALESCE`, `INSERT … ON CONFLICT`, `RETURNING`. For PostgreSQL the placeholders become
//! `$N` (outside string literals) and the text is prepared once per connection. Values go in as
//! [`Param`]s and come out through [`FromCell`], so a column that is `BIGINT` in PostgreSQL and
//! `INTEGER` in SQLite, or a test that is `boolean` in one and `0`/`1` in the other, reads the
//! same in Rust.
//!
//! Write transactions are serialised on both engines, which is what keeps the change log's
//! sequence in commit order: SQLite's `BEGIN IMMEDIATE` takes the database's one write lock;
//! on PostgreSQL every write transaction first takes one transaction-level advisory lock
//! ([`WRITE_LOCK`]), held until it commits or rolls back. A sequence number is therefore taken
//! only by the one transaction that can commit next, and a reader whose cursor is at `n` can
//! never later find a committed change below `n` (see `docs/protocol.md`, *Model*).

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::pin::Pin;

use tokio_postgres::types::{IsNull, ToSql as PgToSql, Type};

/// The advisory lock every PostgreSQL write transaction holds (an arbitrary constant: "FCRM").
pub const WRITE_LOCK: i64 = 0x4643_524d;

/// The channel a PostgreSQL instance notifies after committing log entries: a wake-up hint
/// only; other instances also poll, so a lost notification delays, never loses.
pub const LOG_CHANNEL: &str = "crm_log";

/// Where the server's database is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite(PathBuf),
    /// A `postgres://` (or `postgresql://`) connection URL.
    Postgres(String),
}

impl Location {
    /// `postgres://…` or `postgresql://…` is PostgreSQL; anything else a SQLite file.
    pub fn parse(text: &str) -> Location {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            Location::Postgres(text.to_string())
        } else {
            Location::Sqlite(PathBuf::from(text))
        }
    }

    pub fn engine(&self) -> Engine {
        match self {
            Location::Sqlite(_) => Engine::Sqlite,
            Location::Postgres(_) => Engine::Postgres,
        }
    }

    /// For messages and logs: the path, or the URL without its password.
    pub fn display(&self) -> String {
        match self {
            Location::Sqlite(p) => p.display().to_string(),
            Location::Postgres(url) => redact(url),
        }
    }
}

impl From<&Path> for Location {
    fn from(p: &Path) -> Location {
        Location::Sqlite(p.to_path_buf())
    }
}

impl From<&PathBuf> for Location {
    fn from(p: &PathBuf) -> Location {
        Location::Sqlite(p.clone())
    }
}

impl From<PathBuf> for Location {
    fn from(p: PathBuf) -> Location {
        Location::Sqlite(p)
    }
}

impl From<&Location> for Location {
    fn from(l: &Location) -> Location {
        l.clone()
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    match rest.split_once('@') {
        Some((auth, host)) => match auth.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{}", pg_message(.0))]
    Postgres(#[from] tokio_postgres::Error),
    #[error("the query returned no row")]
    NoRow,
    #[error("column {0}: {1}")]
    Column(usize, String),
    #[error("postgres: {0}")]
    Connect(String),
}

/// A PostgreSQL error with the server's own words (its `Display` says only "db error").
fn pg_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("postgres: {} ({})", db.message(), db.code().code()),
        None => {
            // What went wrong underneath ("error performing TLS handshake" alone does not say
            // that the certificate is not trusted).
            let mut text = format!("postgres: {e}");
            let mut source = std::error::Error::source(e);
            while let Some(cause) = source {
                text.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            text
        }
    }
}

pub type Result<T, E = SqlError> = std::result::Result<T, E>;

/// `Ok(None)` for a query that found no row.
pub trait Optional<T> {
    fn optional(self) -> Result<Option<T>>;
}

impl<T> Optional<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(SqlError::NoRow) | Err(SqlError::Sqlite(rusqlite::Error::QueryReturnedNoRows)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A value bound to a placeholder.
#[derive(Debug, Clone, Copy)]
pub enum Param<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
}

pub trait ToParam {
    fn param(&self) -> Param<'_>;
}

macro_rules! int_param {
    ($($t:ty),*) => {$(
        impl ToParam for $t {
            fn param(&self) -> Param<'_> {
                Param::Int(*self as i64)
            }
        }
    )*};
}
int_param!(i64, i32, u32, u16, u8, usize, u64);

impl ToParam for bool {
    fn param(&self) -> Param<'_> {
        Param::Int(i64::from(*self))
    }
}

impl ToParam for f64 {
    fn param(&self) -> Param<'_> {
        Param::Real(*self)
    }
}

impl ToParam for str {
    fn param(&self) -> Param<'_> {
        Param::Text(self)
    }
}

impl ToParam for String {
    fn param(&self) -> Param<'_> {
        Param::Text(self)
    }
}

impl ToParam for [u8] {
    fn param(&self) -> Param<'_> {
        Param::Blob(self)
    }
}

impl ToParam for Vec<u8> {
    fn param(&self) -> Param<'_> {
        Param::Blob(self)
    }
}

impl<const N: usize> ToParam for [u8; N] {
    fn param(&self) -> Param<'_> {
        Param::Blob(self)
    }
}

impl<T: ToParam + ?Sized> ToParam for &T {
    fn param(&self) -> Param<'_> {
        (**self).param()
    }
}

impl<T: ToParam> ToParam for Option<T> {
    fn param(&self) -> Param<'_> {
        match self {
            Some(v) => v.param(),
            None => Param::Null,
        }
    }
}

/// What a statement's placeholders are bound to: `params![a, b]`, an array of one type
/// (`[id]`), `[]`, or [`params_from_iter`].
pub trait Params {
    fn list(&self) -> Vec<Param<'_>>;
}

impl Params for [&dyn ToParam; 0] {
    fn list(&self) -> Vec<Param<'_>> {
        Vec::new()
    }
}

impl Params for &[&dyn ToParam] {
    fn list(&self) -> Vec<Param<'_>> {
        self.iter().map(|p| p.param()).collect()
    }
}

macro_rules! array_params {
    ($($n:literal),*) => {$(
        impl<T: ToParam> Params for [T; $n] {
            fn list(&self) -> Vec<Param<'_>> {
                self.iter().map(ToParam::param).collect()
            }
        }
    )*};
}
array_params!(1, 2, 3, 4, 5, 6);

/// Placeholders bound to the items of a list, in order.
pub struct FromIter<T>(Vec<T>);

pub fn params_from_iter<T: ToParam, I: IntoIterator<Item = T>>(items: I) -> FromIter<T> {
    FromIter(items.into_iter().collect())
}

impl<T: ToParam> Params for FromIter<T> {
    fn list(&self) -> Vec<Param<'_>> {
        self.0.iter().map(ToParam::param).collect()
    }
}

/// `params![a, b, c]`: placeholders bound to values of different types.
#[macro_export]
macro_rules! params {
    () => { &[] as &[&dyn $crate::sql::ToParam] };
    ($($x:expr),+ $(,)?) => { &[$(&$x as &dyn $crate::sql::ToParam),+] as &[&dyn $crate::sql::ToParam] };
}

/// One column of a row, as either engine gave it.
#[derive(Debug, Clone, Copy)]
pub enum Cell<'a> {
    Null,
    Int(i64),
    Real(f64),
    Bool(bool),
    Text(&'a str),
    Blob(&'a [u8]),
}

pub trait FromCell: Sized {
    fn from_cell(cell: Cell<'_>) -> Result<Self, String>;
}

fn wrong(cell: Cell<'_>, want: &str) -> String {
    format!("{cell:?} is not {want}")
}

impl FromCell for i64 {
    fn from_cell(cell: Cell<'_>) -> Result<Self, String> {
        match cell {
            Cell::Int(n) => Ok(n),
            Cell::Bool(b) => Ok(i64::from(b)),
            other => Err(wrong(other, "an integer")),
        }
    }
}

macro_rules! narrow_int {
    ($($t:ty),*) => {$(
        impl FromCell for $t {
            fn from_cell(cell: Cell<'_>) -> Result<Self, String> {
                let n = i64::from_cell(cell)?;
                <$t>::try_from(n).map_err(|_| format!("{n} is out of range"))
            }
        }
    )*};
}
narrow_int!(i32, u32, u64, usize);

impl FromCell for bool {
    fn from_cell(cell: Cell<'_>) -> Result<Self, String> {
        match cell {
            Cell::Bool(b) => Ok(b),
            Cell::Int(n) => Ok(n != 0),
            other => Err(wrong(other, "a truth value")),
        }
    }
}

impl FromCell for f64 {
    fn from_cell(cell: Cell<'_>) -> Result<Self, String> {
        match cell {
            Cell::Real(x) => Ok(x),
            Cell::Int(n) => Ok(n as f64),
            other => Err(wrong(other, "a number")),
        }
    }
}

impl FromCell for String {
    fn from_cell(cell: Cell<'_>) -> Result<Self, String> {
        match cell {
            Cell::Text(s) => Ok(s.to_string()),
            other => Err(wrong(other, "text")),
        }
    }
}

impl FromCell for Vec<u8> {
    fn from_cell(cell: Cell<'_>) -> Result<Self, String> {
        match cell {
            Cell::Blob(b) => Ok(b.to_vec()),
            Cell::Text(s) => Ok(s.as_bytes().to_vec()),
            other => Err(wrong(other, "bytes")),
        }
    }
}

impl<T: FromCell> FromCell for Option<T> {
    fn from_cell(cell: Cell<'_>) -> Result<Self, String> {
        match cell {
            Cell::Null => Ok(None),
            other => T::from_cell(other).map(Some),
        }
    }
}

/// A value of any column, owned: what moves a row from one database to another.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl FromCell for Value {
    fn from_cell(cell: Cell<'_>) -> Result<Self, String> {
        Ok(match cell {
            Cell::Null => Value::Null,
            Cell::Int(n) => Value::Int(n),
            Cell::Bool(b) => Value::Int(i64::from(b)),
            Cell::Real(x) => Value::Real(x),
            Cell::Text(s) => Value::Text(s.to_string()),
            Cell::Blob(b) => Value::Blob(b.to_vec()),
        })
    }
}

impl ToParam for Value {
    fn param(&self) -> Param<'_> {
        match self {
            Value::Null => Param::Null,
            Value::Int(n) => Param::Int(*n),
            Value::Real(x) => Param::Real(*x),
            Value::Text(s) => Param::Text(s),
            Value::Blob(b) => Param::Blob(b),
        }
    }
}

/// One row of a result.
pub enum Row<'a, 'b> {
    Sqlite(&'a rusqlite::Row<'b>),
    Postgres(&'a tokio_postgres::Row),
}

impl Row<'_, '_> {
    pub fn get<T: FromCell>(&self, i: usize) -> Result<T> {
        let cell_error = |m: String| SqlError::Column(i, m);
        match self {
            Row::Sqlite(r) => {
                use rusqlite::types::ValueRef;
                let cell = match r.get_ref(i)? {
                    ValueRef::Null => Cell::Null,
                    ValueRef::Integer(n) => Cell::Int(n),
                    ValueRef::Real(x) => Cell::Real(x),
                    ValueRef::Text(t) => Cell::Text(std::str::from_utf8(t).map_err(|e| cell_error(e.to_string()))?),
                    ValueRef::Blob(b) => Cell::Blob(b),
                };
                T::from_cell(cell).map_err(cell_error)
            }
            Row::Postgres(r) => {
                let ty =
                    r.columns().get(i).map(|c| c.type_().clone()).ok_or_else(|| cell_error("no such column".into()))?;
                let cell = match ty {
                    Type::INT8 => r.try_get::<_, Option<i64>>(i)?.map_or(Cell::Null, Cell::Int),
                    Type::INT4 => r.try_get::<_, Option<i32>>(i)?.map_or(Cell::Null, |n| Cell::Int(n.into())),
                    Type::INT2 => r.try_get::<_, Option<i16>>(i)?.map_or(Cell::Null, |n| Cell::Int(n.into())),
                    Type::BOOL => r.try_get::<_, Option<bool>>(i)?.map_or(Cell::Null, Cell::Bool),
                    Type::FLOAT8 => r.try_get::<_, Option<f64>>(i)?.map_or(Cell::Null, Cell::Real),
                    Type::FLOAT4 => r.try_get::<_, Option<f32>>(i)?.map_or(Cell::Null, |x| Cell::Real(x.into())),
                    Type::BYTEA => match r.try_get::<_, Option<&[u8]>>(i)? {
                        Some(b) => return T::from_cell(Cell::Blob(b)).map_err(cell_error),
                        None => Cell::Null,
                    },
                    _ => match r.try_get::<_, Option<&str>>(i) {
                        Ok(Some(s)) => return T::from_cell(Cell::Text(s)).map_err(cell_error),
                        Ok(None) => Cell::Null,
                        Err(_) => return Err(cell_error(format!("a {ty} column cannot be read"))),
                    },
                };
                T::from_cell(cell).map_err(cell_error)
            }
        }
    }
}

/// A connection to the server's database.
pub struct Conn(Inner);

enum Inner {
    Sqlite(rusqlite::Connection),
    Postgres(RefCell<Pg>),
}

pub struct Pg {
    url: String,
    client: PgClient,
    /// Statements prepared on this connection, by their SQLite-dialect text.
    prepared: HashMap<String, tokio_postgres::Statement>,
    /// The newest log entry this connection knows of: every other writer's log entries move
    /// [`Conn::data_version`] (see there).
    known_top: i64,
    generation: i64,
    in_transaction: bool,
}

impl Pg {
    fn connect(url: &str) -> Result<PgClient> {
        let mut client = PgClient::connect(url)?;
        // Statements in this code are short; a stuck lock or query ends instead of hanging a
        // server thread (a write transaction waiting for the write lock waits up to a minute).
        client.batch_execute("SET statement_timeout = '60s'; SET lock_timeout = '60s'")?;
        Ok(client)
    }

    /// A connection lost outside a transaction is opened again (the database restarted, or
    /// an administrator ended it); inside one the error reaches the caller, whose
    /// transaction is then rolled back with everything it wrote.
    fn ready(&mut self) -> Result<()> {
        if self.client.is_closed() && !self.in_transaction {
            self.client = Pg::connect(&self.url)?;
            self.prepared.clear();
        }
        Ok(())
    }

    /// The log reaches `top`, and this connection has written none of what it did not know
    /// of: cached documents are stale if there is any.
    fn others_wrote_up_to(&mut self, top: i64) {
        if top != self.known_top {
            self.known_top = top;
            self.generation += 1;
        }
    }

    fn statement(&mut self, sql: &str) -> Result<tokio_postgres::Statement> {
        self.ready()?;
        if let Some(s) = self.prepared.get(sql) {
            return Ok(s.clone());
        }
        let statement = self.client.prepare(&to_postgres(sql))?;
        if self.prepared.len() > 512 {
            self.prepared.clear();
        }
        self.prepared.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }
}

/// A [`Param`] as PostgreSQL wants it for the placeholder's inferred type.
#[derive(Debug)]
struct PgParam<'a>(Param<'a>);

impl PgToSql for PgParam<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self.0 {
            Param::Null => Ok(IsNull::Yes),
            Param::Int(n) => match *ty {
                Type::INT8 => n.to_sql(ty, out),
                Type::INT4 => i32::try_from(n)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(n)?.to_sql(ty, out),
                Type::BOOL => (n != 0).to_sql(ty, out),
                Type::FLOAT8 => (n as f64).to_sql(ty, out),
                _ => n.to_string().as_str().to_sql(ty, out),
            },
            Param::Real(x) => match *ty {
                Type::FLOAT4 => (x as f32).to_sql(ty, out),
                Type::INT8 | Type::INT4 | Type::INT2 | Type::BOOL if x.fract() == 0.0 && x.abs() < 9.0e15 => {
                    PgParam(Param::Int(x as i64)).to_sql(ty, out)
                }
                Type::INT8 | Type::INT4 | Type::INT2 | Type::BOOL => Err(format!("{x} is not a whole number").into()),
                _ => x.to_sql(ty, out),
            },
            Param::Text(s) => s.to_sql(ty, out),
            Param::Blob(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    tokio_postgres::types::to_sql_checked!();
}

/// A [`Param`] for SQLite.
struct SqliteParam<'a>(Param<'a>);

impl rusqlite::ToSql for SqliteParam<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self.0 {
            Param::Null => ValueRef::Null,
            Param::Int(n) => ValueRef::Integer(n),
            Param::Real(x) => ValueRef::Real(x),
            Param::Text(s) => ValueRef::Text(s.as_bytes()),
            Param::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

/// `sql` in PostgreSQL's dialect: `?N` → `$N`, each bare `?` → the next `$N`, outside quoted
/// strings.
pub fn to_postgres(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let (mut next, mut quoted) = (1usize, false);
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                out.push('$');
                if digits.is_empty() {
                    out.push_str(&next.to_string());
                    next += 1;
                } else {
                    out.push_str(&digits);
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// How often the write-ahead log is copied back into the database file.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(200);
/// The log's length (pages of 4 KiB) at which the writer checkpoints it itself, 40 MB.
const WRITER_OWN_CHECKPOINT: i64 = 10_000;

/// The writer's checkpoints, made beside it by a thread with a connection of its own: SQLite
/// otherwise copies the write-ahead log back into the database inside the commit that
/// filled it (every 1,000 pages), so one push in every few paid for the pages of all of them.
/// A passive checkpoint waits for nobody and nobody waits for it. The writer still makes one
/// itself when the log reaches [`WRITER_OWN_CHECKPOINT`] pages: the thread's never finish
/// while the writer keeps writing, and a log restarts only after one that did, so the
/// writer's, finding nearly every page copied already, bounds the log and costs it little.
/// Stops (after one last checkpoint) when dropped.
pub struct Checkpoints {
    stop: std::sync::Arc<(std::sync::Mutex<bool>, std::sync::Condvar)>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpoints {
    /// Take over the checkpoints of `writer`, the SQLite database at `path`'s writer (`None`
    /// when no thread could be started: the writer keeps checkpointing itself).
    pub fn start(path: &Path, writer: &rusqlite::Connection) -> Result<Option<Checkpoints>> {
        let conn = rusqlite::Connection::open(path)?;
        conn.pragma_update(None, "busy_timeout", 10_000)?;
        let stop = std::sync::Arc::new((std::sync::Mutex::new(false), std::sync::Condvar::new()));
        let stopping = std::sync::Arc::clone(&stop);
        let thread = std::thread::Builder::new().name("checkpoints".into()).spawn(move || {
            let (flag, wake) = &*stopping;
            let mut stopped = flag.lock().unwrap_or_else(|p| p.into_inner());
            loop {
                let last = *stopped;
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    eprintln!("checkpoint failed (the next one tries again): {e}");
                }
                if last {
                    break;
                }
                stopped = wake.wait_timeout(stopped, CHECKPOINT_EVERY).unwrap_or_else(|p| p.into_inner()).0;
            }
        });
        let checkpoints = match thread {
            Ok(t) => Checkpoints { stop, thread: Some(t) },
            Err(e) => {
                eprintln!("no thread for checkpoints, the writer makes them: {e}");
                return Ok(None);
            }
        };
        // Should this fail, dropping `checkpoints` stops the thread.
        writer.pragma_update(None, "wal_autocheckpoint", WRITER_OWN_CHECKPOINT)?;
        Ok(Some(checkpoints))
    }
}

impl Drop for Checkpoints {
    fn drop(&mut self) {
        let (flag, wake) = &*self.stop;
        *flag.lock().unwrap_or_else(|p| p.into_inner()) = true;
        wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Conn {
    /// A SQLite connection as the server uses them: write-ahead log, full sync (a change is
    /// acknowledged only once it is on disk), waiting up to 10 s for the write lock.
    pub fn open_sqlite(path: &Path) -> Result<Conn> {
        let conn = rusqlite::Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "busy_timeout", 10_000)?;
        // One plan per statement, whatever is bound: otherwise SQLite recompiles a kept
        // statement each time its `LIMIT ?` is bound (every catch-up round, every read).
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        Ok(Conn(Inner::Sqlite(conn)))
    }

    pub fn open_postgres(url: &str) -> Result<Conn> {
        let client = Pg::connect(url)?;
        Ok(Conn(Inner::Postgres(RefCell::new(Pg {
            url: url.to_string(),
            client,
            prepared: HashMap::new(),
            known_top: -1,
            generation: 0,
            in_transaction: false,
        }))))
    }

    pub fn open(location: &Location) -> Result<Conn> {
        match location {
            Location::Sqlite(path) => Conn::open_sqlite(path),
            Location::Postgres(url) => Conn::open_postgres(url),
        }
    }

    pub fn engine(&self) -> Engine {
        match self.0 {
            Inner::Sqlite(_) => Engine::Sqlite,
            Inner::Postgres(_) => Engine::Postgres,
        }
    }

    /// The SQLite connection underneath, for what only SQLite does (backups of its file).
    pub fn sqlite(&self) -> Option<&rusqlite::Connection> {
        match &self.0 {
            Inner::Sqlite(c) => Some(c),
            Inner::Postgres(_) => None,
        }
    }

    pub fn sqlite_mut(&mut self) -> Option<&mut rusqlite::Connection> {
        match &mut self.0 {
            Inner::Sqlite(c) => Some(c),
            Inner::Postgres(_) => None,
        }
    }

    /// Statements without parameters, separated by `;` (no `?` in them).
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match &self.0 {
            Inner::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Inner::Postgres(pg) => {
                let mut pg = pg.borrow_mut();
                pg.ready()?;
                Ok(pg.client.batch_execute(sql)?)
            }
        }
    }

    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    pub fn query_row<T, P: Params>(
        &self,
        sql: &str,
        params: P,
        f: impl FnOnce(&Row<'_, '_>) -> Result<T>,
    ) -> Result<T> {
        self.prepare_cached(sql)?.query_row(params, f)
    }

    pub fn prepare_cached(&self, sql: &str) -> Result<Stmt<'_>> {
        match &self.0 {
            Inner::Sqlite(c) => Ok(Stmt::Sqlite(c.prepare_cached(sql)?)),
            Inner::Postgres(pg) => Ok(Stmt::Postgres(pg, pg.borrow_mut().statement(sql)?)),
        }
    }

    /// Begin a write transaction (serialised with every other writer; see the module's
    /// comment). Rolled back when dropped without [`Tx::commit`].
    pub fn transaction(&self) -> Result<Tx<'_>> {
        match &self.0 {
            Inner::Sqlite(c) => c.execute_batch("BEGIN IMMEDIATE")?,
            Inner::Postgres(pg) => {
                {
                    let mut p = pg.borrow_mut();
                    p.ready()?;
                    p.in_transaction = true;
                }
                let begun = (|| -> Result<i64> {
                    pg.borrow_mut()
                        .client
                        .batch_execute(&format!("BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK})"))?;
                    // Under the lock nobody else writes: what the log holds now beyond what this
                    // connection knew of, other writers committed (see `data_version`).
                    self.log_end()
                })();
                match begun {
                    Ok(top) => pg.borrow_mut().others_wrote_up_to(top),
                    Err(e) => {
                        // A lock wait that timed out leaves an aborted transaction behind.
                        self.roll_back();
                        return Err(e);
                    }
                }
            }
        }
        Ok(Tx { conn: self, done: false })
    }

    /// End the transaction in progress without keeping anything; errors are not interesting
    /// (there may be no transaction, or no connection, left).
    fn roll_back(&self) {
        match &self.0 {
            Inner::Sqlite(c) => {
                let _ = c.execute_batch("ROLLBACK");
            }
            Inner::Postgres(pg) => {
                let mut pg = pg.borrow_mut();
                pg.in_transaction = false;
                let _ = pg.client.batch_execute("ROLLBACK");
            }
        }
    }

    /// Begin a read transaction: one consistent view of the database until [`Conn::end_read`].
    pub fn begin_read(&self) -> Result<()> {
        match &self.0 {
            Inner::Sqlite(c) => Ok(c.execute_batch("BEGIN")?),
            Inner::Postgres(pg) => {
                let mut pg = pg.borrow_mut();
                pg.ready()?;
                pg.client.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
                pg.in_transaction = true;
                Ok(())
            }
        }
    }

    pub fn end_read(&self) -> Result<()> {
        match &self.0 {
            Inner::Sqlite(c) => Ok(c.execute_batch("COMMIT")?),
            Inner::Postgres(pg) => {
                let mut pg = pg.borrow_mut();
                pg.in_transaction = false;
                Ok(pg.client.batch_execute("COMMIT")?)
            }
        }
    }

    /// A number that moves whenever another connection (another server instance, an admin
    /// command) wrote records since this connection last looked, so cached documents are
    /// stale. SQLite's `data_version`; on PostgreSQL the newest log entry, with this
    /// connection's own entries not counting: a write transaction notes what others wrote when
    /// it takes the write lock, and its own entries when it commits.
    pub fn data_version(&self) -> Result<i64> {
        match &self.0 {
            Inner::Sqlite(c) => Ok(c.query_row("PRAGMA data_version", [], |r| r.get(0))?),
            Inner::Postgres(pg) if pg.borrow().in_transaction => Ok(pg.borrow().generation),
            Inner::Postgres(pg) => {
                let top = self.log_end()?;
                let mut pg = pg.borrow_mut();
                pg.others_wrote_up_to(top);
                Ok(pg.generation)
            }
        }
    }

    /// The newest log entry's sequence (0 for an empty log).
    pub fn log_end(&self) -> Result<i64> {
        self.query_row("SELECT COALESCE(MAX(seq), 0) FROM log", [], |r| r.get(0))
    }

    /// Whether this connection can still be used (PostgreSQL: not closed under it).
    pub fn is_healthy(&self) -> bool {
        match &self.0 {
            Inner::Sqlite(_) => true,
            Inner::Postgres(pg) => !pg.borrow().client.is_closed(),
        }
    }

    /// Whether a table has a column (for adding the columns later versions brought).
    pub fn has_column(&self, table: &str, column: &str) -> Result<bool> {
        let sql = match self.engine() {
            Engine::Sqlite => "SELECT COUNT(*) FROM pragma_table_info(?1) WHERE name = ?2",
            Engine::Postgres => {
                "SELECT COUNT(*) FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = ?1 AND column_name = ?2"
            }
        };
        self.query_row(sql, params![table, column], |r| r.get::<bool>(0))
    }

    /// Create tables and indexes written in SQLite's words: on PostgreSQL `INTEGER` is
    /// `BIGINT`, `BLOB` is `BYTEA`, an `AUTOINCREMENT` key a `BIGSERIAL`, and `WITHOUT ROWID`
    /// (a storage hint) goes.
    pub fn execute_schema(&self, sql: &str) -> Result<()> {
        match self.engine() {
            Engine::Sqlite => self.execute_batch(sql),
            Engine::Postgres => self.execute_batch(&postgres_schema(sql)),
        }
    }

    /// PostgreSQL: every text column of `tables` (the server's own) compared byte by byte, as
    /// [`Conn::execute_schema`] makes them, also in a database an earlier version made with
    /// the database's own collation; returns how many columns were changed (each once; its
    /// table is locked and its indexes rebuilt meanwhile). A column that cannot be changed (a
    /// view of the admin's over it, a role that does not own the table) is reported and left:
    /// only its order differs from SQLite's then. Nothing on SQLite, whose text always is.
    pub fn collate_text_bytewise(&self, tables: &[&str]) -> Result<usize> {
        if self.engine() != Engine::Postgres {
            return Ok(0);
        }
        let columns: Vec<(String, String)> = self
            .prepare_cached(
                "SELECT c.table_name, c.column_name FROM information_schema.columns c
                 JOIN information_schema.tables t
                   ON t.table_schema = c.table_schema AND t.table_name = c.table_name
                 WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
                   AND c.data_type = 'text' AND c.collation_name IS DISTINCT FROM 'C'",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_>>()?;
        let mut changed = 0;
        for (table, column) in columns.iter().filter(|(t, _)| tables.contains(&t.as_str())) {
            let quoted = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
            let sql = format!("ALTER TABLE {} ALTER COLUMN {} TYPE TEXT COLLATE \"C\"", quoted(table), quoted(column));
            match self.execute_batch(&sql) {
                Ok(()) => changed += 1,
                Err(e) => eprintln!(
                    "sync-server: {table}.{column} keeps the database's collation (its order may differ \
                     from SQLite's): {e}"
                ),
            }
        }
        Ok(changed)
    }

    /// Held while a server sets its database up (creates or upgrades tables): on PostgreSQL
    /// a session-level advisory lock, so instances starting together take turns; nothing on
    /// SQLite, where each schema statement is its own transaction.
    pub fn setup_lock(&self) -> Result<SetupLock<'_>> {
        if self.engine() == Engine::Postgres {
            self.execute_batch(&format!("SELECT pg_advisory_lock({WRITE_LOCK})"))?;
        }
        Ok(SetupLock(self))
    }

    /// Tell the other instances on this database that the log grew (PostgreSQL; delivered
    /// when the transaction commits).
    fn notify(&self) -> Result<()> {
        if let Inner::Postgres(pg) = &self.0 {
            pg.borrow_mut().client.batch_execute(&format!("NOTIFY {LOG_CHANNEL}"))?;
        }
        Ok(())
    }
}

/// See [`Conn::setup_lock`].
pub struct SetupLock<'c>(&'c Conn);

impl Drop for SetupLock<'_> {
    fn drop(&mut self) {
        if self.0.engine() == Engine::Postgres {
            let _ = self.0.execute_batch(&format!("SELECT pg_advisory_unlock({WRITE_LOCK})"));
        }
    }
}

/// Schema text in SQLite's words, in PostgreSQL's. Text is compared byte by byte there too
/// (`COLLATE "C"`), not by the database's locale: a cluster made with a Chinese or English
/// locale would otherwise order names (the users list) and keys differently from SQLite.
fn postgres_schema(sql: &str) -> String {
    sql.replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY")
        .replace(" INTEGER", " BIGINT")
        .replace(" BLOB", " BYTEA")
        .replace(" TEXT", " TEXT COLLATE \"C\"")
        .replace(") WITHOUT ROWID", ")")
}

/// A prepared statement.
pub enum Stmt<'c> {
    Sqlite(rusqlite::CachedStatement<'c>),
    Postgres(&'c RefCell<Pg>, tokio_postgres::Statement),
}

/// Bound values as rusqlite takes them.
fn sqlite_params(list: Vec<Param<'_>>) -> rusqlite::ParamsFromIter<impl Iterator<Item = SqliteParam<'_>>> {
    rusqlite::params_from_iter(list.into_iter().map(SqliteParam))
}

/// Bound values as tokio-postgres takes them: `values` owns them, the result refers to them.
fn pg_params<'v>(values: &'v [PgParam<'_>]) -> Vec<&'v (dyn PgToSql + Sync)> {
    values.iter().map(|v| v as &(dyn PgToSql + Sync)).collect()
}

impl Stmt<'_> {
    pub fn execute<P: Params>(&mut self, params: P) -> Result<usize> {
        let list = params.list();
        match self {
            Stmt::Sqlite(s) => Ok(s.execute(sqlite_params(list))?),
            Stmt::Postgres(pg, statement) => {
                let values: Vec<PgParam<'_>> = list.into_iter().map(PgParam).collect();
                Ok(pg.borrow_mut().client.execute(statement, &pg_params(&values))? as usize)
            }
        }
    }

    /// Call `f` with each row, in order, without holding them all.
    pub fn for_each<P: Params>(&mut self, params: P, mut f: impl FnMut(&Row<'_, '_>) -> Result<()>) -> Result<()> {
        self.rows(params, |r| f(r).map(|()| true))
    }

    /// Call `f` with each row, in order, until it answers `false`.
    fn rows<P: Params>(&mut self, params: P, mut f: impl FnMut(&Row<'_, '_>) -> Result<bool>) -> Result<()> {
        let list = params.list();
        match self {
            Stmt::Sqlite(s) => {
                let mut rows = s.query(sqlite_params(list))?;
                while let Some(r) = rows.next()? {
                    if !f(&Row::Sqlite(r))? {
                        break;
                    }
                }
                Ok(())
            }
            Stmt::Postgres(pg, statement) => {
                // Read whole before `f` runs: `f` may query this connection again.
                let values: Vec<PgParam<'_>> = list.into_iter().map(PgParam).collect();
                let rows = pg.borrow_mut().client.query(&*statement, &pg_params(&values))?;
                for r in &rows {
                    if !f(&Row::Postgres(r))? {
                        break;
                    }
                }
                Ok(())
            }
        }
    }

    pub fn query_map<T, P: Params>(
        &mut self,
        params: P,
        mut f: impl FnMut(&Row<'_, '_>) -> Result<T>,
    ) -> Result<std::vec::IntoIter<Result<T>>> {
        let mut out = Vec::new();
        self.for_each(params, |r| {
            out.push(f(r));
            Ok(())
        })?;
        Ok(out.into_iter())
    }

    /// `f` of the first row; [`SqlError::NoRow`] when there is none.
    pub fn query_row<T, P: Params>(&mut self, params: P, f: impl FnOnce(&Row<'_, '_>) -> Result<T>) -> Result<T> {
        let mut f = Some(f);
        let mut found = None;
        self.rows(params, |r| {
            found = f.take().map(|f| f(r));
            Ok(false)
        })?;
        found.unwrap_or(Err(SqlError::NoRow))
    }
}

/// A write transaction; rolled back when dropped uncommitted.
pub struct Tx<'c> {
    conn: &'c Conn,
    done: bool,
}

impl std::ops::Deref for Tx<'_> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn
    }
}

impl Tx<'_> {
    /// Commit. On PostgreSQL the other instances are notified that the log may have grown,
    /// and this connection notes the log's end as its own (see [`Conn::data_version`]).
    /// Anything failing here leaves the transaction to be rolled back when `self` drops.
    pub fn commit(mut self) -> Result<()> {
        match &self.conn.0 {
            Inner::Sqlite(c) => c.execute_batch("COMMIT")?,
            Inner::Postgres(pg) => {
                // Also the guard against committing an aborted transaction, which PostgreSQL
                // answers with ROLLBACK rather than an error: this query fails in one.
                let top = self.conn.log_end()?;
                let grew = pg.borrow().known_top != top;
                if grew {
                    self.conn.notify()?;
                }
                pg.borrow_mut().client.batch_execute("COMMIT")?;
                let mut pg = pg.borrow_mut();
                pg.in_transaction = false;
                pg.known_top = top;
            }
        }
        self.done = true;
        Ok(())
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.conn.roll_back();
        }
    }
}

/// Where the WebSocket connections of one server instance read from.
///
/// SQLite: each connection has its own reader, used in place (a read served from the page
/// cache takes microseconds) with a small page cache, since there may be thousands.
///
/// PostgreSQL: a short read takes one of a few connections the instance shares
/// ([`MAX_SHARED_READERS`]) for that read alone, never across an `await`, so a wait for one is
/// a wait for another short read (bounded by [`READER_WAIT`], after which the read fails and
/// only that device's connection ends). A bootstrap's read transaction, which lasts while its
/// snapshots are sent, has a connection of its own instead, and at most
/// [`MAX_BOOTSTRAPS`] run at once per instance ([`Readers::bootstrap_slot`]; the others wait
/// their turn without holding anything). The database sees a bounded number of connections
/// however many devices are connected.
pub struct Readers {
    location: Location,
    idle: std::sync::Mutex<Vec<Conn>>,
    free: std::sync::Condvar,
    /// Shared connections open (idle or in use), PostgreSQL only.
    open: std::sync::Mutex<usize>,
    bootstraps: std::sync::Arc<tokio::sync::Semaphore>,
}

/// The most PostgreSQL connections one instance shares for short reads.
pub const MAX_SHARED_READERS: usize = 8;
/// The most bootstraps one instance runs at once on PostgreSQL (each on a connection of its
/// own).
pub const MAX_BOOTSTRAPS: usize = 16;
/// How long a short read waits for a shared connection before it fails.
pub const READER_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

impl Readers {
    pub fn new(location: Location) -> Readers {
        Readers {
            location,
            idle: std::sync::Mutex::new(Vec::new()),
            free: std::sync::Condvar::new(),
            open: std::sync::Mutex::new(0),
            bootstraps: std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_BOOTSTRAPS)),
        }
    }

    /// A reader for one WebSocket connection.
    pub fn reader(self: &std::sync::Arc<Self>) -> Result<Reader> {
        match &self.location {
            Location::Sqlite(path) => {
                let conn = Conn::open_sqlite(path)?;
                if let Some(c) = conn.sqlite() {
                    c.pragma_update(None, "cache_size", -256)?;
                }
                Ok(Reader { own: Some(conn), shared: None, reading: false })
            }
            Location::Postgres(_) => {
                Ok(Reader { own: None, shared: Some(std::sync::Arc::clone(self)), reading: false })
            }
        }
    }

    /// Wait (without blocking a thread) for a turn to bootstrap a device: always at once on
    /// SQLite; on PostgreSQL one of [`MAX_BOOTSTRAPS`], held until the permit drops.
    pub async fn bootstrap_slot(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        match self.location {
            Location::Sqlite(_) => None,
            Location::Postgres(_) => std::sync::Arc::clone(&self.bootstraps).acquire_owned().await.ok(),
        }
    }

    fn take(&self) -> Result<Conn> {
        let deadline = std::time::Instant::now() + READER_WAIT;
        loop {
            if let Some(conn) = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop() {
                return Ok(conn);
            }
            {
                let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
                if *open < MAX_SHARED_READERS {
                    *open += 1;
                    drop(open);
                    return Conn::open(&self.location).inspect_err(|_| {
                        *self.open.lock().unwrap_or_else(|p| p.into_inner()) -= 1;
                    });
                }
            }
            let now = std::time::Instant::now();
            if now >= deadline {
                return Err(SqlError::Connect(format!("no database reader came free in {} s", READER_WAIT.as_secs())));
            }
            let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
            if idle.is_empty() {
                let wait = (deadline - now).min(std::time::Duration::from_millis(200));
                drop(self.free.wait_timeout(idle, wait));
            }
        }
    }

    fn give_back(&self, conn: Conn) {
        if conn.is_healthy() {
            self.idle.lock().unwrap_or_else(|p| p.into_inner()).push(conn);
        } else {
            *self.open.lock().unwrap_or_else(|p| p.into_inner()) -= 1;
        }
        self.free.notify_one();
    }
}

/// A shared connection taken for one read, given back however the read ends (a panic too).
struct Lease<'a> {
    readers: &'a Readers,
    conn: Option<Conn>,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            if std::thread::panicking() {
                // Its state is unknown: closed rather than shared again.
                *self.readers.open.lock().unwrap_or_else(|p| p.into_inner()) -= 1;
                self.readers.free.notify_one();
            } else {
                self.readers.give_back(conn);
            }
        }
    }
}

/// One WebSocket connection's way to read (see [`Readers`]).
pub struct Reader {
    /// Its own connection: always on SQLite; on PostgreSQL during a read transaction.
    own: Option<Conn>,
    shared: Option<std::sync::Arc<Readers>>,
    reading: bool,
}

impl Reader {
    /// Run `f` on this reader's connection.
    pub fn with<T, E: From<SqlError>>(&mut self, f: impl FnOnce(&Conn) -> Result<T, E>) -> Result<T, E> {
        if let Some(own) = &self.own {
            return f(own);
        }
        let Some(readers) = self.shared.as_deref() else { return Err(SqlError::NoRow.into()) };
        let lease = Lease { readers, conn: Some(readers.take()?) };
        match &lease.conn {
            Some(conn) => f(conn),
            None => Err(SqlError::NoRow.into()),
        }
    }

    /// Begin one consistent view of the database, kept until [`Reader::end_read`] (on
    /// PostgreSQL on a connection of its own: see [`Readers`]).
    pub fn begin_read(&mut self) -> Result<()> {
        if let Some(readers) = &self.shared {
            self.own = Some(Conn::open(&readers.location)?);
        }
        self.reading = true;
        let begun = self.with(|c| c.begin_read());
        if begun.is_err() {
            self.end_read();
        }
        begun
    }

    pub fn end_read(&mut self) {
        if let Some(own) = &self.own {
            let _ = own.end_read();
        }
        self.reading = false;
        if self.shared.is_some() {
            self.own = None;
        }
    }

    /// Whether a read transaction is open.
    pub fn reading(&self) -> bool {
        self.reading
    }

    /// Give back memory an idle connection holds (SQLite's page cache).
    pub fn shrink(&mut self) {
        if let Some(c) = self.own.as_ref().and_then(Conn::sqlite) {
            let _ = c.execute_batch("PRAGMA shrink_memory");
        }
    }
}

/// Listen for [`LOG_CHANNEL`] on a connection of its own, on the background runtime, and wake
/// `wake` at each notification; connect again after an error (a second later), until the
/// returned [`Listening`] drops. Only a hint: whoever is woken reads the log itself, and also
/// polls.
pub fn listen(url: String, wake: std::sync::Arc<tokio::sync::Notify>) -> Listening {
    AbortOnDrop(background().spawn(async move {
        let (config, tls) = match crate::pg_tls::target(&url) {
            Ok(target) => target,
            Err(e) => return eprintln!("sync-server: not listening for other instances' writes: {e}"),
        };
        loop {
            let listened = async {
                let (client, mut connection) = config.connect(tls.clone()).await?;
                let (sent, mut received) = tokio::sync::mpsc::unbounded_channel();
                // The connection is polled here, not spawned: its notifications come from it.
                let polling = async move {
                    loop {
                        match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                            Some(Ok(tokio_postgres::AsyncMessage::Notification(_))) => {
                                let _ = sent.send(());
                            }
                            Some(Ok(_)) => {}
                            Some(Err(e)) => return Err(e),
                            None => return Ok(()),
                        }
                    }
                };
                let listening = async {
                    client.batch_execute(&format!("LISTEN {LOG_CHANNEL}")).await?;
                    while received.recv().await.is_some() {
                        wake.notify_one();
                    }
                    Ok::<(), tokio_postgres::Error>(())
                };
                tokio::select! {
                    done = polling => done,
                    done = listening => done,
                }
            };
            if let Err(e) = listened.await {
                eprintln!("sync-server: listening for other instances' writes: {}; again in a second", pg_message(&e));
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    }))
}

/// A running [`listen`]: it stops (and its connection closes) when this drops.
pub type Listening = AbortOnDrop;

/// A task that ends when this drops.
pub struct AbortOnDrop(pub tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The runtime PostgreSQL connections do their I/O on, whatever thread uses them: a server
/// thread, a blocking task, or a test's own runtime (see [`PgClient`]).
fn background() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("crm-postgres")
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("cannot start the PostgreSQL runtime: {e}"))
    })
}

/// Wait for `f` on this thread. Safe inside an async runtime's thread too (unlike a runtime's
/// own `block_on`): the futures here only wait for the background runtime to answer.
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
    let mut cx = std::task::Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

/// The socket side of one PostgreSQL connection.
type PgConnection = tokio_postgres::Connection<tokio_postgres::Socket, crate::pg_tls::RustlsStream>;

/// A PostgreSQL client used synchronously, like a SQLite connection. The connection is
/// opened on the [`background`] runtime (its socket is registered with that runtime's
/// reactor) but driven by the thread that makes each call: the request is written and the
/// answer read right there, and the reactor only wakes that thread when the answer arrives —
/// one hand-over between threads per statement, not three.
pub struct PgClient {
    client: tokio_postgres::Client,
    /// `None` once it ended (the server closed it, or it failed); the client then reports
    /// itself closed and the connection is opened again at its next use.
    connection: Option<Pin<Box<PgConnection>>>,
}

impl PgClient {
    fn connect(url: &str) -> Result<PgClient> {
        let (config, tls) = crate::pg_tls::target(url).map_err(SqlError::Connect)?;
        let connecting = background().spawn(async move { config.connect(tls).await });
        let (client, connection) = block_on(connecting).map_err(|e| SqlError::Connect(e.to_string()))??;
        Ok(PgClient { client, connection: Some(Box::pin(connection)) })
    }

    /// Wait for `call` (a request of `client`), driving the connection meanwhile.
    fn drive<T>(
        connection: &mut Option<Pin<Box<PgConnection>>>,
        call: impl std::future::Future<Output = std::result::Result<T, tokio_postgres::Error>>,
    ) -> Result<T> {
        let mut call = std::pin::pin!(call);
        // Unconstrained: called from inside a task of some runtime (a server's connection, a
        // test), the socket would otherwise count against that task's cooperative budget,
        // which never refills while this thread waits here, and then refuse to make progress.
        block_on(tokio::task::unconstrained(std::future::poll_fn(|cx| {
            if let std::task::Poll::Ready(answer) = call.as_mut().poll(cx) {
                return std::task::Poll::Ready(answer);
            }
            if let Some(c) = connection.as_mut() {
                if let std::task::Poll::Ready(ended) = std::future::Future::poll(c.as_mut(), cx) {
                    if let Err(e) = ended {
                        eprintln!("sync-server: a PostgreSQL connection ended: {}", pg_message(&e));
                    }
                    *connection = None;
                }
            }
            // The connection may just have delivered the answer (or failed the request).
            call.as_mut().poll(cx)
        })))
        .map_err(SqlError::from)
    }

    fn batch_execute(&mut self, sql: &str) -> Result<()> {
        Self::drive(&mut self.connection, self.client.batch_execute(sql))
    }

    fn prepare(&mut self, sql: &str) -> Result<tokio_postgres::Statement> {
        Self::drive(&mut self.connection, self.client.prepare(sql))
    }

    fn execute(&mut self, statement: &tokio_postgres::Statement, params: &[&(dyn PgToSql + Sync)]) -> Result<u64> {
        Self::drive(&mut self.connection, self.client.execute(statement, params))
    }

    fn query(
        &mut self,
        statement: &tokio_postgres::Statement,
        params: &[&(dyn PgToSql + Sync)],
    ) -> Result<Vec<tokio_postgres::Row>> {
        Self::drive(&mut self.connection, self.client.query(statement, params))
    }

    fn is_closed(&self) -> bool {
        self.connection.is_none() || self.client.is_closed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_numbered_outside_strings() {
        assert_eq!(to_postgres("SELECT a FROM t WHERE b = ? AND c = ?"), "SELECT a FROM t WHERE b = $1 AND c = $2");
        assert_eq!(
            to_postgres("UPDATE t SET a = ?2 WHERE id = ?1 AND s = '?'"),
            "UPDATE t SET a = $2 WHERE id = $1 AND s = '?'"
        );
    }

    /// Once `Checkpoints` has started, what the writer writes reaches the database file
    /// without the writer checkpointing (it would only at 40 MB of log): a copy of the file
    /// alone, without its log, has the rows. A last checkpoint is made when it stops.
    #[test]
    fn checkpoints_are_made_beside_the_writer() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("t.db");
        let conn = Conn::open_sqlite(&path).unwrap_or_else(|e| panic!("{e}"));
        let writer = conn.sqlite().unwrap_or_else(|| panic!("sqlite"));
        let checkpoints = Checkpoints::start(&path, writer).unwrap_or_else(|e| panic!("{e}")).expect("a thread");
        let own: i64 =
            writer.query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(own, WRITER_OWN_CHECKPOINT);
        writer.execute_batch("CREATE TABLE t (b BLOB)").unwrap_or_else(|e| panic!("{e}"));
        let rows_in_file = || {
            let copy = dir.path().join("copy.db");
            std::fs::copy(&path, &copy).unwrap_or_else(|e| panic!("{e}"));
            let _ = std::fs::remove_file(dir.path().join("copy.db-wal"));
            let c = rusqlite::Connection::open(&copy).unwrap_or_else(|e| panic!("{e}"));
            c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get::<_, i64>(0)).unwrap_or(0)
        };
        for _ in 0..20 {
            writer.execute("INSERT INTO t (b) VALUES (?)", [vec![7u8; 50_000]]).unwrap_or_else(|e| panic!("{e}"));
        }
        // Within a few rounds of the thread, however busy the machine.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while rows_in_file() < 20 && std::time::Instant::now() < deadline {
            std::thread::sleep(CHECKPOINT_EVERY);
        }
        assert_eq!(rows_in_file(), 20, "the thread copied the log into the database file");
        writer.execute("INSERT INTO t (b) VALUES (?)", [vec![8u8; 10]]).unwrap_or_else(|e| panic!("{e}"));
        drop(checkpoints);
        assert_eq!(rows_in_file(), 21, "and once more when it stopped");
    }

    /// Every catch-up round binds its `LIMIT ?` again: the statement is compiled once.
    #[test]
    fn a_kept_statement_is_not_compiled_again_for_each_limit() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let conn = Conn::open_sqlite(&dir.path().join("t.db")).unwrap_or_else(|e| panic!("{e}"));
        conn.execute_batch("CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1), (2), (3);")
            .unwrap_or_else(|e| panic!("{e}"));
        let Inner::Sqlite(c) = &conn.0 else { unreachable!("opened as SQLite") };
        for limit in [1_i64, 2, 3, 2] {
            let mut stmt = c.prepare_cached("SELECT n FROM t ORDER BY n LIMIT ?").unwrap_or_else(|e| panic!("{e}"));
            let n = stmt.query_map([limit], |r| r.get::<_, i64>(0)).unwrap_or_else(|e| panic!("{e}")).count();
            assert_eq!(n as i64, limit);
            assert_eq!(stmt.get_status(rusqlite::StatementStatus::RePrepare), 0, "compiled again for LIMIT {limit}");
        }
    }

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(redact("postgres://crm:hunter2@db:5432/crm"), "postgres://crm:***@db:5432/crm");
        assert_eq!(redact("postgres://db/crm"), "postgres://db/crm");
    }

    #[test]
    fn sqlite_reads_and_writes_through_the_same_calls() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let conn = Conn::open_sqlite(&dir.path().join("t.db")).unwrap_or_else(|e| panic!("{e}"));
        conn.execute_batch("CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER, b BLOB)").unwrap_or_else(|e| panic!("{e}"));
        let tx = conn.transaction().unwrap_or_else(|e| panic!("{e}"));
        tx.execute("INSERT INTO t (id, n, b) VALUES (?, ?, ?)", params!["a", 3_i64, vec![1u8, 2]])
            .unwrap_or_else(|e| panic!("{e}"));
        tx.commit().unwrap_or_else(|e| panic!("{e}"));
        {
            let tx = conn.transaction().unwrap_or_else(|e| panic!("{e}"));
            tx.execute("INSERT INTO t (id) VALUES (?)", ["b"]).unwrap_or_else(|e| panic!("{e}"));
        } // dropped: rolled back
        let rows: Vec<(String, Option<i64>, Vec<u8>)> = conn
            .prepare_cached("SELECT id, n, b FROM t")
            .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rows, vec![("a".to_string(), Some(3), vec![1, 2])]);
        let none = conn.query_row("SELECT n FROM t WHERE id = ?", ["zz"], |r| r.get::<i64>(0)).optional();
        assert!(matches!(none, Ok(None)));
        assert!(conn.has_column("t", "b").unwrap_or_else(|e| panic!("{e}")));
        assert!(!conn.has_column("t", "c").unwrap_or_else(|e| panic!("{e}")));
    }
}
