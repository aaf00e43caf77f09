//! The admin HTTP API (`/api/admin/…`) and data export (`/api/export`), documented in
//! docs/api.md ("Server HTTP API"). Every request carries a device token (`Authorization:
//! Bearer …`) of an admin's device; what it changes goes through the same `ServerDb` methods
//! as the command line and is written to the audit log with the admin's id and address.
//! Export is the admin's alone: anyone else asking is refused, and both are logged.

use crate::sql::Conn;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post, put};
use axum::{Json, Router};
use crm_core::access::Role;
use crm_core::document::RecordDoc;
use crm_core::kind::Kind;
use crm_core::sheet::{self, Format};
use serde::Deserialize;
use serde_json::json;

use crate::audit::{self, Actor};
use crate::db::{AuthError, DbError};
use crate::{listener, AppState};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/admin/users", get(users).post(add_user))
        .route("/api/admin/users/{username}", patch(change_user))
        .route("/api/admin/users/{username}/password", put(reset_password))
        .route("/api/admin/devices", get(devices))
        .route("/api/admin/devices/{id}/revoke", post(revoke))
        .route("/api/admin/audit", get(audit_log))
        .route("/api/admin/backups", get(backups).post(make_backup))
        .route("/api/admin/backups/{name}", get(download_backup))
        .route("/api/admin/backups/{name}/restore", post(restore_backup))
        .route("/api/admin/reports/{name}", get(report))
        .route("/api/export", get(export))
        .route("/api/audit", post(device_events))
        .route("/api/admin/{*rest}", axum::routing::any(no_such_endpoint))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceEvents {
    events: Vec<DeviceEvent>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceEvent {
    action: String,
    target: Option<String>,
    #[serde(default)]
    detail: serde_json::Value,
    /// When it happened on the device (RFC 3339), kept in the detail as the device said it.
    at: Option<String>,
}

/// What a signed-in device did that the audit log should know (an import, its revert),
/// reported when it is connected: logged under the person and device of the token, at the time
/// it arrives, with the device's own time in the detail.
async fn device_events(
    State(state): State<Arc<AppState>>,
    Caller(_, actor): Caller,
    bytes: axum::body::Bytes,
) -> Answer {
    let DeviceEvents { events } = body(&bytes)?;
    if events.len() > 100 {
        return Err(Failure(StatusCode::BAD_REQUEST, "bad_request", "at most 100 events at a time".into()));
    }
    if let Some(e) = events.iter().find(|e| !audit::DEVICE_ACTIONS.contains(&e.action.as_str())) {
        let message =
            format!("'{}' is not reported by devices; these are: {}", e.action, audit::DEVICE_ACTIONS.join(", "));
        return Err(Failure(StatusCode::BAD_REQUEST, "unknown_action", message));
    }
    let mut entries = Vec::with_capacity(events.len());
    for e in events {
        let mut detail = match e.detail {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        if let Some(at) = e.at {
            detail.insert("device_at".into(), json!(at));
        }
        let detail = serde_json::Value::Object(detail);
        if detail.to_string().len() > 4000 || e.target.as_ref().is_some_and(|t| t.len() > 200) {
            return Err(Failure(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "an event's detail is at most 4,000 bytes".into(),
            ));
        }
        entries.push((e.action, e.target, detail));
    }
    let n = entries.len();
    state
        .with_db(move |db| {
            for (action, target, detail) in entries {
                audit::record(db.connection(), &actor, &action, target.as_deref(), detail)?;
            }
            Ok(())
        })
        .await?;
    Ok(Json(json!({"recorded": n})).into_response())
}

/// An administration path that does not exist, said in JSON like every other refusal.
async fn no_such_endpoint(Path(rest): Path<String>) -> Failure {
    Failure(StatusCode::NOT_FOUND, "not_found", format!("no administration endpoint '/api/admin/{rest}'"))
}

/// A refusal: the status and `{"code", "message"}`, as every endpoint answers one.
pub(crate) struct Failure(pub StatusCode, pub &'static str, pub String);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (self.0, Json(json!({"code": self.1, "message": self.2}))).into_response()
    }
}

impl From<DbError> for Failure {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Invalid(m) => Failure(StatusCode::BAD_REQUEST, "invalid", m),
            DbError::Refused(code, m) => {
                let status = match code {
                    "no_such_user" | "no_such_device" => StatusCode::NOT_FOUND,
                    "username_taken" => StatusCode::CONFLICT,
                    _ => StatusCode::BAD_REQUEST,
                };
                Failure(status, code, m)
            }
            e => Failure(StatusCode::INTERNAL_SERVER_ERROR, "server_error", e.to_string()),
        }
    }
}

type Answer = Result<Response, Failure>;

/// Who is asking: their role, and how the audit log names them (with their address).
struct Caller(Role, Actor);

/// An admin asking (anyone else is refused with `403 forbidden`).
struct Admin(Actor);

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Failure> {
        let peer = parts.extensions.get::<ConnectInfo<listener::Peer>>().map(|c| c.0 .0);
        let (role, actor) = caller(state, &parts.headers, peer).await?;
        Ok(Caller(role, actor))
    }
}

impl FromRequestParts<Arc<AppState>> for Admin {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Failure> {
        match Caller::from_request_parts(parts, state).await? {
            Caller(Role::Admin, actor) => Ok(Admin(actor)),
            _ => Err(Failure(StatusCode::FORBIDDEN, "forbidden", "only an administrator may do this".into())),
        }
    }
}

/// The signed-in person behind the request's token, with where the request came from.
async fn caller(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    peer: Option<std::net::SocketAddr>,
) -> Result<(Role, Actor), Failure> {
    let p = principal(state, headers).await?;
    Ok((
        p.person.role,
        Actor { id: p.person.user_id, address: peer.map(|p| p.ip().to_string()), device: Some(p.device_id) },
    ))
}

/// The signed-in device behind the request's `Authorization: Bearer` token, or the refusal
/// (`401` for a missing, unknown or expired token, `403` for a revoked device or disabled
/// account).
pub(crate) async fn principal(state: &Arc<AppState>, headers: &HeaderMap) -> Result<crate::access::Principal, Failure> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let who = state.with_db(move |db| db.authenticate(token.as_deref())).await?;
    who.map_err(|e| {
        let status = match e {
            AuthError::Revoked | AuthError::Disabled => StatusCode::FORBIDDEN,
            _ => StatusCode::UNAUTHORIZED,
        };
        Failure(status, e.code(), e.message().to_string())
    })
}

/// Run `f` on the writer as `actor` (named in the audit log), then as the command line again.
async fn as_admin<T: Send + 'static>(
    state: &Arc<AppState>,
    actor: Actor,
    f: impl FnOnce(&mut crate::db::ServerDb) -> Result<T, DbError> + Send + 'static,
) -> Result<T, Failure> {
    Ok(state
        .with_db(move |db| {
            db.acting(actor);
            let out = f(db);
            db.acting(Actor::cli());
            out
        })
        .await?)
}

/// A JSON body, refused with a clear message when it is not the expected shape.
fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, Failure> {
    serde_json::from_slice(bytes)
        .map_err(|e| Failure(StatusCode::BAD_REQUEST, "bad_request", format!("the body is not valid: {e}")))
}

async fn users(State(state): State<Arc<AppState>>, _admin: Admin) -> Answer {
    let users = state.with_db(|db| db.users()).await?;
    Ok(Json(json!({"users": users})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    username: String,
    display_name: Option<String>,
    role: String,
    team: Option<String>,
    password: String,
}

async fn add_user(State(state): State<Arc<AppState>>, Admin(actor): Admin, bytes: axum::body::Bytes) -> Answer {
    let u: NewUser = body(&bytes)?;
    let id = as_admin(&state, actor, move |db| {
        let name = u.display_name.clone().unwrap_or_else(|| u.username.clone());
        db.add_user(&u.username, &name, &u.role, u.team.as_deref(), &u.password)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(json!({"id": id}))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserChange {
    role: Option<String>,
    /// `null` takes the user out of their team; absent leaves it.
    #[serde(default, deserialize_with = "present")]
    team: Option<Option<String>>,
    disabled: Option<bool>,
}

/// A field that may be absent (`None`), `null` (`Some(None)`) or a value.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

async fn change_user(
    State(state): State<Arc<AppState>>,
    Admin(actor): Admin,
    Path(username): Path<String>,
    bytes: axum::body::Bytes,
) -> Answer {
    let c: UserChange = body(&bytes)?;
    as_admin(&state, actor, move |db| {
        if c.role.is_some() || c.team.is_some() {
            db.set_role_team(&username, c.role.as_deref(), c.team.as_ref().map(|t| t.as_deref()))?;
        }
        if let Some(disabled) = c.disabled {
            db.set_disabled(&username, disabled)?;
        }
        let user = db.users()?.into_iter().find(|u| u.username == username);
        user.ok_or_else(|| DbError::Invalid(format!("no user '{username}'")))
    })
    .await
    .map(|u| Json(json!({"user": u})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPassword {
    password: String,
}

async fn reset_password(
    State(state): State<Arc<AppState>>,
    Admin(actor): Admin,
    Path(username): Path<String>,
    bytes: axum::body::Bytes,
) -> Answer {
    let p: NewPassword = body(&bytes)?;
    as_admin(&state, actor, move |db| db.set_password(&username, &p.password)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn devices(State(state): State<Arc<AppState>>, _admin: Admin) -> Answer {
    let devices = state.with_db(|db| db.devices()).await?;
    Ok(Json(json!({"devices": devices})).into_response())
}

async fn revoke(State(state): State<Arc<AppState>>, Admin(actor): Admin, Path(id): Path<String>) -> Answer {
    as_admin(&state, actor, move |db| db.revoke_device(&id)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn audit_log(
    State(state): State<Arc<AppState>>,
    _admin: Admin,
    query: Result<Query<audit::Query>, axum::extract::rejection::QueryRejection>,
) -> Answer {
    let Query(query) = query.map_err(|e| Failure(StatusCode::BAD_REQUEST, "bad_request", e.body_text()))?;
    let (entries, next) = state.with_db(move |db| audit::search(db.connection(), &query)).await?;
    Ok(Json(json!({"entries": entries, "next": next})).into_response())
}

/// The server's own backups are copies of its SQLite file: on PostgreSQL every backup route
/// refuses (`not_on_postgres`, saying to use pg_dump).
fn sqlite_backups(state: &AppState, what: &str) -> Result<(), Failure> {
    match state.location.engine() {
        crate::sql::Engine::Sqlite => Ok(()),
        crate::sql::Engine::Postgres => Err(crate::db::on_postgres(what).into()),
    }
}

/// Backups live beside the database, in `backups/`.
fn backup_dir(state: &AppState) -> std::path::PathBuf {
    state.path.parent().unwrap_or(std::path::Path::new(".")).join("backups")
}

async fn backups(State(state): State<Arc<AppState>>, _admin: Admin) -> Answer {
    sqlite_backups(&state, "backup")?;
    let mut list = Vec::new();
    if let Ok(entries) = std::fs::read_dir(backup_dir(&state)) {
        for e in entries.flatten() {
            let (Some(name), Ok(meta)) = (e.file_name().to_str().map(str::to_string), e.metadata()) else { continue };
            if name.ends_with(".sqlite3") {
                let at = meta.modified().ok().map(|t| chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339());
                list.push(json!({"name": name, "bytes": meta.len(), "at": at}));
            }
        }
    }
    list.sort_by(|a, b| b["name"].as_str().cmp(&a["name"].as_str()));
    Ok(Json(json!({"backups": list})).into_response())
}

async fn make_backup(State(state): State<Arc<AppState>>, Admin(actor): Admin) -> Answer {
    sqlite_backups(&state, "backup")?;
    let dir = backup_dir(&state);
    std::fs::create_dir_all(&dir)
        .map_err(|e| Failure(StatusCode::INTERNAL_SERVER_ERROR, "server_error", e.to_string()))?;
    let name = format!("field-crm-{}.sqlite3", chrono::Utc::now().format("%Y%m%d-%H%M%S-%3f"));
    let to = dir.join(&name);
    let path = state.path.clone();
    let to2 = to.clone();
    // Its own connection, off the writer: sync goes on while the copy is made.
    tokio::task::spawn_blocking(move || crate::db::backup(&path, &to2, &actor))
        .await
        .map_err(|e| Failure(StatusCode::INTERNAL_SERVER_ERROR, "server_error", e.to_string()))??;
    let bytes = std::fs::metadata(&to).map(|m| m.len()).unwrap_or(0);
    Ok((StatusCode::CREATED, Json(json!({"name": name, "bytes": bytes}))).into_response())
}

/// The file of the backup called `name`: only names of files in `backups/`.
fn backup_path(state: &AppState, name: &str) -> Result<std::path::PathBuf, Failure> {
    if name.contains(['/', '\\']) || name.starts_with('.') || !name.ends_with(".sqlite3") {
        return Err(Failure(StatusCode::BAD_REQUEST, "bad_request", "not a backup name".into()));
    }
    Ok(backup_dir(state).join(name))
}

/// The backup's file, streamed in 1 MiB pieces read off the async threads: a backup is as
/// big as the company's data and is never held in memory whole.
async fn download_backup(State(state): State<Arc<AppState>>, _admin: Admin, Path(name): Path<String>) -> Answer {
    sqlite_backups(&state, "backup")?;
    let path = backup_path(&state, &name)?;
    let file = std::fs::File::open(&path)
        .map_err(|_| Failure(StatusCode::NOT_FOUND, "not_found", format!("no backup '{name}'")))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let pieces = futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let read = tokio::task::spawn_blocking(move || {
            use std::io::Read;
            let mut buf = vec![0u8; 1 << 20];
            let n = file.read(&mut buf)?;
            buf.truncate(n);
            Ok::<_, std::io::Error>((buf, file))
        })
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e)));
        match read {
            Ok((buf, _)) if buf.is_empty() => None,
            Ok((buf, file)) => Some((Ok(axum::body::Bytes::from(buf)), Some(file))),
            Err(e) => Some((Err(e), None)),
        }
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.sqlite3".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::CONTENT_LENGTH, len.to_string()),
        ],
        axum::body::Body::from_stream(pieces),
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RestoreBody {
    /// The backup's name again: a restore is never one careless click.
    confirm: String,
}

/// Replace everything the server holds with a backup, while it runs. The state just before is
/// kept as a backup first, so a restore can itself be undone. Every device reconnects; those
/// that synced after the backup was taken send their own edits again.
async fn restore_backup(
    State(state): State<Arc<AppState>>,
    Admin(actor): Admin,
    Path(name): Path<String>,
    bytes: axum::body::Bytes,
) -> Answer {
    sqlite_backups(&state, "restore")?;
    let body: RestoreBody = body(&bytes)?;
    let from = backup_path(&state, &name)?;
    if body.confirm != name {
        return Err(Failure(
            StatusCode::BAD_REQUEST,
            "confirm_mismatch",
            format!("to restore, send {{\"confirm\": \"{name}\"}}: everything since that backup is replaced"),
        ));
    }
    if !from.is_file() {
        return Err(Failure(StatusCode::NOT_FOUND, "not_found", format!("no backup '{name}'")));
    }
    let kept = format!("before-restore-{}.sqlite3", chrono::Utc::now().format("%Y%m%d-%H%M%S-%3f"));
    let (path, to, by) = (state.path.clone(), backup_dir(&state).join(&kept), actor.clone());
    tokio::task::spawn_blocking(move || crate::db::backup(&path, &to, &by))
        .await
        .map_err(|e| Failure(StatusCode::INTERNAL_SERVER_ERROR, "server_error", e.to_string()))??;
    // The backup entry of the kept copy went into the database just replaced: the restore's
    // entry names it instead.
    let epoch = state.restore(from, actor, json!({"kept": kept})).await?;
    Ok(Json(json!({"restored": name, "kept": kept, "epoch": epoch})).into_response())
}

fn file_response(name: &str, mime: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        bytes,
    )
        .into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportQuery {
    kind: Option<String>,
    format: Option<String>,
}

/// A report (`crm_core::report`) of everyone's figures, computed by the server on its
/// replica of the read models (`crate::reports`): `from`, `to`, `group_by`, `scope`, `owner`,
/// `currency` and `option.KEY` as the `report` request takes them; JSON, or `format=xlsx`.
async fn report(
    State(state): State<Arc<AppState>>,
    _admin: Admin,
    Path(name): Path<String>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Answer {
    let bad = |m: String| Failure(StatusCode::BAD_REQUEST, "bad_request", m);
    let mut params = crm_core::report::Params::default();
    let mut xlsx = false;
    for (key, value) in query {
        match key.as_str() {
            "from" => params.from = Some(value),
            "to" => params.to = Some(value),
            "group_by" => params.group_by = Some(value),
            "scope" => params.scope = Some(value),
            "owner" => params.owner = Some(value),
            "currency" => params.currency = Some(value),
            "format" if value == "xlsx" || value == "json" => xlsx = value == "xlsx",
            "format" => return Err(bad(format!("format is json or xlsx, not '{value}'"))),
            option if option.starts_with("option.") => {
                params.options.insert(option["option.".len()..].to_string(), crm_core::report::option_value(&value));
            }
            other => return Err(bad(format!("unknown parameter '{other}'"))),
        }
    }
    let worker = Arc::clone(&state);
    let report =
        tokio::task::spawn_blocking(move || worker.reports.report(&worker.location, &worker.path, &name, &params))
            .await
            .map_err(|e| Failure(StatusCode::INTERNAL_SERVER_ERROR, "server_error", e.to_string()))??;
    if !xlsx {
        return Ok(Json(report).into_response());
    }
    let people = state
        .with_db(|db| {
            Ok(db
                .connection()
                .prepare_cached("SELECT id, display_name FROM users")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<std::collections::HashMap<String, String>, _>>()?)
        })
        .await?;
    let bytes = crm_core::report::xlsx::write(&report, &std::collections::HashMap::new(), &people)
        .map_err(|e| Failure(StatusCode::INTERNAL_SERVER_ERROR, "server_error", e.to_string()))?;
    let name = format!(
        "{}-{}-{}.xlsx",
        report.name,
        report.filters["from"].as_str().unwrap_or_default(),
        report.filters["to"].as_str().unwrap_or_default()
    );
    Ok(file_response(&name, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", bytes))
}

/// Every live record of a kind as a spreadsheet, in the columns import reads back (owners as
/// usernames). The admin's alone; every export and every refused one is in the audit log.
async fn export(
    State(state): State<Arc<AppState>>,
    Caller(role, actor): Caller,
    query: Result<Query<ExportQuery>, axum::extract::rejection::QueryRejection>,
) -> Answer {
    let Query(q) = query.map_err(|e| Failure(StatusCode::BAD_REQUEST, "bad_request", e.body_text()))?;
    let kind_name = q.kind.unwrap_or_else(|| "customer".into());
    let kind = Kind::parse(&kind_name)
        .filter(|k| !matches!(k, Kind::User | Kind::Team))
        .ok_or_else(|| Failure(StatusCode::BAD_REQUEST, "unknown_kind", format!("cannot export '{kind_name}'")))?;
    let (format, ext, mime) = match q.format.as_deref().unwrap_or("xlsx") {
        "xlsx" => (Format::Xlsx, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        "csv" => (Format::Csv, "csv", "text/csv; charset=utf-8"),
        other => {
            return Err(Failure(StatusCode::BAD_REQUEST, "invalid", format!("format is xlsx or csv, not '{other}'")))
        }
    };
    if role != Role::Admin {
        let refused = actor.clone();
        state
            .with_db(move |db| {
                audit::record(
                    db.connection(),
                    &refused,
                    "export_refused",
                    Some(kind.as_str()),
                    json!({"role": role.as_str()}),
                )
            })
            .await?;
        return Err(Failure(
            StatusCode::FORBIDDEN,
            "forbidden",
            "only an administrator may export data in bulk".into(),
        ));
    }
    // The admin's custom fields are columns too, as on a device's export.
    let worker = Arc::clone(&state);
    let custom =
        tokio::task::spawn_blocking(move || worker.reports.custom_fields(&worker.location, &worker.path, kind))
            .await
            .map_err(|e| Failure(StatusCode::INTERNAL_SERVER_ERROR, "server_error", e.to_string()))??;
    let (headers, rows) = state
        .with_db(move |db| {
            let (headers, rows) = export_rows(db.connection(), kind, &custom)?;
            let detail = json!({"rows": rows.len(), "format": ext});
            audit::record(db.connection(), &actor, "export", Some(kind.as_str()), detail)?;
            Ok((headers, rows))
        })
        .await?;
    let bytes = sheet::write(format, &headers, &rows)
        .map_err(|e| Failure(StatusCode::INTERNAL_SERVER_ERROR, "server_error", e.to_string()))?;
    let name = format!("{}-{}.{ext}", kind.as_str(), chrono::Utc::now().format("%Y%m%d"));
    Ok(file_response(&name, mime, bytes))
}

fn export_rows(
    conn: &Conn,
    kind: Kind,
    custom: &[crm_core::custom::Def],
) -> Result<(Vec<String>, Vec<Vec<String>>), DbError> {
    let columns = crm_core::export::Columns::of(kind, custom);
    let usernames: std::collections::HashMap<String, String> = conn
        .prepare_cached("SELECT id, username FROM users")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut stmt =
        conn.prepare_cached("SELECT snapshot FROM docs WHERE kind = ? AND deleted = 0 AND length(snapshot) > 0")?;
    let snapshots = stmt.query_map([kind.as_str()], |r| r.get::<Vec<u8>>(0))?;
    let mut rows = Vec::new();
    for snapshot in snapshots {
        let Ok(doc) = RecordDoc::load(&snapshot?, Vec::new()) else { continue };
        rows.push(columns.row(&doc, &usernames));
    }
    Ok((columns.headers(), rows))
}
