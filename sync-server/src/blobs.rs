//! Files (photos, receipts, signatures) over their own HTTP endpoint, apart from the change
//! stream: `HEAD`, `PUT` and `GET /api/blobs/{hash}?record=ID`, documented in docs/api.md
//! ("Attachments").
//!
//! A file is served to, and taken from, whoever may read a record that references it — the
//! record the request names, which must reference the hash (`blob_refs`, written when the
//! record is stored). Guessing a hash gets nothing: a file no readable record of yours
//! references is "not found", whether it exists or not. Uploads resume: the server keeps what
//! arrived of an interrupted upload, `HEAD` says how much (`Upload-Offset`), and the next `PUT`
//! sends the rest. A complete file is kept only if its bytes have its hash and are a type an
//! attachment may be, read from the bytes (`crm_core::attachment`).
//!
//! The files live behind [`BlobStore`]: a directory beside the database by default
//! ([`BlobDir`]); an S3-compatible store is another implementation of the same trait.

use std::io::{self, Read};
use std::sync::Arc;

use crate::params;
use crate::sql::Optional;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use crm_core::attachment::{self, BlobDir, Stored, MAX_BYTES};
use crm_core::error::FieldError;
use crm_core::kind::Kind;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;

use crate::admin::{principal, Failure};
use crate::db::granted_sql;
use crate::gate::ReadGate;
use crate::AppState;

/// Where the server keeps files. Every method may block (run them off the async threads).
pub trait BlobStore: Send + Sync {
    /// The size of the complete file `hash`, if it is kept.
    fn size(&self, hash: &str) -> io::Result<Option<u64>>;
    /// How much of an unfinished upload of `hash` has arrived.
    fn received(&self, hash: &str) -> io::Result<u64>;
    /// Add `bytes` at `at`, where the upload ends now (else `Err(where it ends)`).
    fn append(&self, hash: &str, at: u64, bytes: &[u8]) -> io::Result<Result<u64, u64>>;
    /// The upload is complete: keep it if it is what it says (else it is dropped, and why).
    fn finish(&self, hash: &str, declared: Option<&str>) -> io::Result<Result<Stored, FieldError>>;
    /// The complete file from byte `from` on.
    fn open_at(&self, hash: &str, from: u64) -> io::Result<Box<dyn Read + Send>>;
    /// Delete the complete file `hash`.
    fn remove(&self, hash: &str) -> io::Result<()>;
    /// Delete unfinished uploads nobody added to for `age`.
    fn discard_stale(&self, age: std::time::Duration) -> io::Result<usize>;
}

impl BlobStore for BlobDir {
    fn size(&self, hash: &str) -> io::Result<Option<u64>> {
        BlobDir::size(self, hash)
    }
    fn received(&self, hash: &str) -> io::Result<u64> {
        BlobDir::received(self, hash)
    }
    fn append(&self, hash: &str, at: u64, bytes: &[u8]) -> io::Result<Result<u64, u64>> {
        BlobDir::append(self, hash, at, bytes)
    }
    fn finish(&self, hash: &str, declared: Option<&str>) -> io::Result<Result<Stored, FieldError>> {
        BlobDir::finish(self, hash, declared, MAX_BYTES)
    }
    fn open_at(&self, hash: &str, from: u64) -> io::Result<Box<dyn Read + Send>> {
        BlobDir::open_at(self, hash, from)
    }
    fn remove(&self, hash: &str) -> io::Result<()> {
        BlobDir::remove(self, hash)
    }
    fn discard_stale(&self, age: std::time::Duration) -> io::Result<usize> {
        BlobDir::discard_stale(self, age)
    }
}

/// How long a file no record references is kept (a photo taken off a record may come back with
/// an edit from a device that was offline).
pub const KEEP_UNREFERENCED: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

/// Delete the files no record references any more and that arrived before `KEEP_UNREFERENCED`,
/// and unfinished uploads left as long. Under the writer, so no record naming one of them can
/// be stored meanwhile. How many files went.
pub fn forget_unreferenced(
    db: &mut crate::db::ServerDb,
    store: &dyn BlobStore,
    now_ms: i64,
) -> Result<usize, crate::db::DbError> {
    let cutoff = now_ms - KEEP_UNREFERENCED.as_millis() as i64;
    let hashes: Vec<String> = db
        .connection()
        .prepare_cached("SELECT hash FROM blobs WHERE stored_at < ? AND hash NOT IN (SELECT hash FROM blob_refs)")?
        .query_map([cutoff], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for hash in &hashes {
        store.remove(hash).map_err(|e| crate::db::DbError::Invalid(e.to_string()))?;
        db.connection().execute("DELETE FROM blobs WHERE hash = ?", [hash])?;
    }
    store.discard_stale(KEEP_UNREFERENCED).map_err(|e| crate::db::DbError::Invalid(e.to_string()))?;
    Ok(hashes.len())
}

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/api/blobs/{hash}", get(download).head(status).put(upload))
}

#[derive(Deserialize)]
struct Naming {
    /// A record that references the file, which the caller may read.
    record: Option<String>,
}

/// How much of an upload is written to the store at a time.
const CHUNK: usize = 1024 * 1024;

fn offset_header(n: u64) -> (header::HeaderName, HeaderValue) {
    (header::HeaderName::from_static("upload-offset"), HeaderValue::from(n))
}

fn io_failure(e: io::Error) -> Failure {
    Failure(StatusCode::INTERNAL_SERVER_ERROR, "server_error", format!("the file store failed: {e}"))
}

fn refused(status: StatusCode, e: &FieldError) -> Failure {
    Failure(status, e.reason, attachment::explain(e))
}

/// Run `f` on the file store off the async threads.
async fn on_store<T: Send + 'static>(
    state: &Arc<AppState>,
    f: impl FnOnce(&dyn BlobStore) -> io::Result<T> + Send + 'static,
) -> Result<T, Failure> {
    let store = Arc::clone(&state.blobs);
    tokio::task::spawn_blocking(move || f(store.as_ref()))
        .await
        .map_err(|e| io_failure(io::Error::other(e.to_string())))?
        .map_err(io_failure)
}

/// The caller may read `record`, and `record` references `hash`; else the one answer that
/// tells nothing about whether the file exists.
async fn admit(state: &Arc<AppState>, headers: &HeaderMap, hash: &str, naming: &Naming) -> Result<(), Failure> {
    let who = principal(state, headers).await?;
    if !attachment::is_hash(hash) {
        return Err(Failure(
            StatusCode::BAD_REQUEST,
            "invalid_file_hash",
            "a file is named by the SHA-256 of its bytes: 64 lowercase hex digits".into(),
        ));
    }
    let Some(record) = naming.record.clone() else {
        return Err(Failure(
            StatusCode::BAD_REQUEST,
            "record_required",
            "name a record that references the file: ?record=ID".into(),
        ));
    };
    let hash = hash.to_string();
    let user = who.user_id.clone();
    let (row, teams) = state
        .with_db(move |db| {
            let sql = format!(
                "SELECT d.kind, d.scope_owner, {} FROM blob_refs r JOIN docs d ON d.id = r.doc_id
                 WHERE r.hash = ?1 AND r.doc_id = ?3",
                granted_sql("d.id", 2)
            );
            let row: Option<(Option<String>, Option<String>, bool)> = db
                .connection()
                .prepare_cached(&sql)?
                .query_row(params![hash, user, record], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            Ok((row, db.teams()?))
        })
        .await?;
    let readable = row.is_some_and(|(kind, scope, granted)| {
        ReadGate::new(&who, &teams).may_read(kind.as_deref().and_then(Kind::parse), scope.as_deref(), granted)
    });
    if readable {
        Ok(())
    } else {
        Err(Failure(
            StatusCode::NOT_FOUND,
            "file_not_found",
            "no record you may read references this file (a record just made must reach the server first)".into(),
        ))
    }
}

/// `HEAD`: `200` with `Content-Length` when the file is kept; `404` with `Upload-Offset` (the
/// bytes of an unfinished upload that arrived, 0 for none) when it is not.
async fn status(
    State(state): State<Arc<AppState>>,
    Path(hash): Path<String>,
    Query(naming): Query<Naming>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    admit(&state, &headers, &hash, &naming).await?;
    let h = hash.clone();
    let (size, received) = on_store(&state, move |s| Ok((s.size(&h)?, s.received(&h)?))).await?;
    Ok(match size {
        Some(size) => (StatusCode::OK, [(header::CONTENT_LENGTH, HeaderValue::from(size))]).into_response(),
        None => (StatusCode::NOT_FOUND, [offset_header(received)]).into_response(),
    })
}

/// `PUT` with `Upload-Length` (the whole file's size), `Upload-Offset` (where this body starts:
/// what `HEAD` said arrived) and `Content-Type` (what the file is said to be): the body is
/// appended as it arrives, so a dropped connection loses only what was in flight.
async fn upload(
    State(state): State<Arc<AppState>>,
    Path(hash): Path<String>,
    Query(naming): Query<Naming>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Failure> {
    admit(&state, &headers, &hash, &naming).await?;
    let number = |name: &str| -> Result<Option<u64>, Failure> {
        match headers.get(name) {
            None => Ok(None),
            Some(v) => v.to_str().ok().and_then(|s| s.trim().parse().ok()).map(Some).ok_or_else(|| {
                Failure(StatusCode::BAD_REQUEST, "bad_request", format!("{name} must be a whole number of bytes"))
            }),
        }
    };
    let Some(total) = number("upload-length")? else {
        return Err(Failure(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "say the whole file's size in Upload-Length".into(),
        ));
    };
    attachment::check_size("file", total, MAX_BYTES).map_err(|e| refused(StatusCode::PAYLOAD_TOO_LARGE, &e))?;
    let offset = number("upload-offset")?.unwrap_or(0);
    let declared = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(|s| s.to_string());

    let h = hash.clone();
    let (kept, received) = on_store(&state, move |s| Ok((s.size(&h)?, s.received(&h)?))).await?;
    if let Some(size) = kept {
        // Someone sent it already: nothing to do.
        return Ok((StatusCode::OK, Json(json!({"stored": true, "size": size}))).into_response());
    }
    if offset != received {
        let message =
            format!("{received} bytes of this file have arrived; send from there (Upload-Offset: {received})");
        return Ok((
            StatusCode::CONFLICT,
            [offset_header(received)],
            Json(json!({"code": "offset_mismatch", "message": message})),
        )
            .into_response());
    }

    let mut at = offset;
    let mut buffer = Vec::with_capacity(CHUNK);
    let mut stream = body.into_data_stream();
    let mut broken = false;
    loop {
        let next = stream.next().await;
        let (chunk, done) = match next {
            Some(Ok(bytes)) => (Some(bytes), false),
            Some(Err(_)) => {
                // The connection dropped: keep what arrived, for the next attempt to go on from.
                broken = true;
                (None, true)
            }
            None => (None, true),
        };
        if let Some(bytes) = chunk {
            if at + (buffer.len() + bytes.len()) as u64 > total {
                let message = format!("the body goes past the Upload-Length of {total} bytes");
                return Err(Failure(StatusCode::BAD_REQUEST, "bad_request", message));
            }
            buffer.extend_from_slice(&bytes);
        }
        if buffer.len() >= CHUNK || (done && !buffer.is_empty()) {
            let (h, bytes, from) = (hash.clone(), std::mem::take(&mut buffer), at);
            at = match on_store(&state, move |s| s.append(&h, from, &bytes)).await? {
                Ok(now) => now,
                // Another upload of the same file went on meanwhile.
                Err(now) => {
                    let message = format!("{now} bytes of this file have arrived; send from there");
                    return Ok((
                        StatusCode::CONFLICT,
                        [offset_header(now)],
                        Json(json!({"code": "offset_mismatch", "message": message})),
                    )
                        .into_response());
                }
            };
        }
        if done {
            break;
        }
    }
    if broken || at < total {
        return Ok((StatusCode::OK, [offset_header(at)], Json(json!({"stored": false, "offset": at}))).into_response());
    }
    let h = hash.clone();
    match on_store(&state, move |s| s.finish(&h, declared.as_deref())).await? {
        Ok(stored) => {
            let (h, kind, size) = (stored.hash.clone(), stored.kind, stored.size);
            state
                .with_db(move |db| {
                    db.connection().execute(
                        "INSERT INTO blobs (hash, type, size, stored_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                        params![h, kind, size as i64, crm_core::value::now_ms()],
                    )?;
                    Ok(())
                })
                .await?;
            Ok((StatusCode::CREATED, Json(json!({"stored": true, "size": size, "type": kind}))).into_response())
        }
        Err(why) => {
            let status = match why.reason {
                "file_too_large" => StatusCode::PAYLOAD_TOO_LARGE,
                "hash_mismatch" => StatusCode::UNPROCESSABLE_ENTITY,
                _ => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            };
            Err(refused(status, &why))
        }
    }
}

/// `GET`: the file, with its type; `Range: bytes=N-` sends it from byte N (`206`), for a
/// download that resumes.
async fn download(
    State(state): State<Arc<AppState>>,
    Path(hash): Path<String>,
    Query(naming): Query<Naming>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    admit(&state, &headers, &hash, &naming).await?;
    let h = hash.clone();
    let kind: Option<(String, i64)> = state
        .with_db(move |db| {
            Ok(db
                .connection()
                .prepare_cached("SELECT type, size FROM blobs WHERE hash = ?")?
                .query_row([h], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?)
        })
        .await?;
    let Some((kind, size)) = kind else {
        return Err(Failure(
            StatusCode::NOT_FOUND,
            "file_not_uploaded",
            "the device that took this file has not sent it yet; it will arrive when that device is online".into(),
        ));
    };
    let size = size as u64;
    let from = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes="))
        .and_then(|v| v.strip_suffix('-'))
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    if from > size {
        return Err(Failure(StatusCode::RANGE_NOT_SATISFIABLE, "bad_range", format!("the file has {size} bytes")));
    }
    let h = hash.clone();
    let reader = on_store(&state, move |s| s.open_at(&h, from)).await?;
    // Read in chunks off the async threads as the client takes them: memory stays one chunk.
    let chunks = futures_util::stream::unfold(Some(reader), |reader| async move {
        let mut reader = reader?;
        let read = tokio::task::spawn_blocking(move || {
            let mut buf = vec![0u8; 256 * 1024];
            let n = reader.read(&mut buf)?;
            buf.truncate(n);
            Ok::<_, io::Error>((buf, reader))
        })
        .await;
        match read {
            Ok(Ok((buf, _))) if buf.is_empty() => None,
            Ok(Ok((buf, reader))) => Some((Ok::<_, io::Error>(buf), Some(reader))),
            Ok(Err(e)) => Some((Err(e), None)),
            Err(e) => Some((Err(io::Error::other(e.to_string())), None)),
        }
    });
    let mut response = Response::new(Body::from_stream(chunks));
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&kind).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(size - from));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=31536000, immutable"));
    if from > 0 {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        let range = format!("bytes {from}-{}/{size}", size.saturating_sub(1));
        response
            .headers_mut()
            .insert(header::CONTENT_RANGE, HeaderValue::from_str(&range).unwrap_or(HeaderValue::from_static("")));
    }
    Ok(response)
}
