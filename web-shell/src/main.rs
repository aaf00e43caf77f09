//! `field-crm-web`: the app's UI and core served to a browser on this machine, for machines
//! without a display (open the printed address from another machine through an SSH tunnel)
//! and for end-to-end tests in a real browser engine. It is the same `crm_core::app::App` the
//! Tauri shell runs; the UI's data-access module talks to it with `fetch` and an event stream
//! instead of Tauri's `invoke` and events.
//!
//!     field-crm-web [--data DIR] [--listen 127.0.0.1:1420] [--ui ui/dist] [--encrypt]
//!
//! `--encrypt`: each person's store is encrypted at their first sign-in, under their password
//! (a browser has no keychain to keep a key in), and locked at every start until they give it
//! (`crm_core::at_rest`).
//!
//! Routes: `POST /api/dispatch` (one JSON request, one JSON response), `GET /api/events`
//! (server-sent events: `records_changed`, `sync_status`), everything else: the built UI.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use crm_core::app::{App, AtRest};
use futures_util::stream::{self, Stream};
use serde_json::Value;

struct Shell {
    app: Arc<App>,
    ui: PathBuf,
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("field-crm-web [--data DIR] [--listen 127.0.0.1:1420] [--ui DIR] [--encrypt]");
        return Ok(());
    }
    let data = flag("--data").map(PathBuf::from).unwrap_or_else(crm_core::app::default_data_dir);
    let listen: SocketAddr = flag("--listen").unwrap_or_else(|| "127.0.0.1:1420".into()).parse().context("--listen")?;
    let ui =
        flag("--ui").map(PathBuf::from).unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/dist"));
    if !ui.join("index.html").exists() {
        bail!("no built UI in {} (run `npm run build` in ui/, or pass --ui DIR)", ui.display());
    }
    if !listen.ip().is_loopback() {
        eprintln!("field-crm-web: warning: {listen} is reachable from other machines and has no sign-in of its own");
    }
    let device = std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_string()).unwrap_or_default();
    let at_rest =
        if args.iter().any(|a| a == "--encrypt") { AtRest::Encrypted { keychain: None } } else { AtRest::Plain };
    let app = App::open_with(&data, if device.is_empty() { "Field CRM (browser)" } else { &device }, at_rest)
        .with_context(|| format!("cannot open the local store in {}", data.display()))?;
    let shell = Arc::new(Shell { app: Arc::new(app), ui });
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async move {
        let router = Router::new()
            // An import carries its spreadsheet (base64) in the request: up to 64 MB, not axum's 2.
            .route("/api/dispatch", post(dispatch).layer(axum::extract::DefaultBodyLimit::max(64 << 20)))
            .route("/api/events", get(events))
            .fallback(get(static_file))
            .with_state(shell);
        let listener =
            tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
        println!("Field CRM is at http://{}/ (data in {})", listener.local_addr()?, data.display());
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        anyhow::Ok(())
    })
}

async fn dispatch(State(shell): State<Arc<Shell>>, body: axum::body::Bytes) -> Response {
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            let error = serde_json::json!({"type": "error", "code": "bad_request",
                "message": format!("the request is not JSON: {e}"), "params": {"detail": e.to_string()}});
            return (StatusCode::BAD_REQUEST, Json(error)).into_response();
        }
    };
    let app = shell.app.clone();
    match tokio::task::spawn_blocking(move || app.dispatch(request)).await {
        Ok(response) => Json(response).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("the request failed: {e}")).into_response(),
    }
}

async fn events(State(shell): State<Arc<Shell>>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let receiver = shell.app.subscribe();
    let stream = stream::unfold(receiver, |mut receiver| async move {
        let data = match receiver.recv().await {
            Ok(event) => serde_json::to_string(&event).unwrap_or_default(),
            // A slow page missed events: tell it to refresh everything.
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                r#"{"event":"records_changed","remote":true}"#.to_string()
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
        };
        Some((Ok(Event::default().data(data)), receiver))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

async fn static_file(State(shell): State<Arc<Shell>>, request: Request) -> Response {
    let path = request.uri().path().trim_start_matches('/');
    let relative = Path::new(path);
    // Only plain path segments: no `..`, no absolute paths.
    if relative.components().any(|c| !matches!(c, Component::Normal(_))) {
        return (StatusCode::BAD_REQUEST, "bad path").into_response();
    }
    let mut file = shell.ui.join(relative);
    if path.is_empty() || !file.is_file() {
        // The UI routes in the page itself; unknown paths get the app.
        file = shell.ui.join("index.html");
    }
    match tokio::fs::read(&file).await {
        Ok(bytes) => {
            let mime = match file.extension().and_then(|e| e.to_str()) {
                Some("html") => "text/html; charset=utf-8",
                Some("js") => "text/javascript; charset=utf-8",
                Some("css") => "text/css; charset=utf-8",
                Some("svg") => "image/svg+xml",
                Some("png") => "image/png",
                Some("json") => "application/json",
                Some("woff2") => "font/woff2",
                _ => "application/octet-stream",
            };
            ([(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, "no-cache")], Body::from(bytes)).into_response()
        }
        Err(e) => (StatusCode::NOT_FOUND, format!("{}: {e}", file.display())).into_response(),
    }
}
