//! The Field CRM app: a Tauri 2 window over `crm_core::app::App`. The UI reaches the core
//! through one command, `dispatch`, carrying a JSON request (see docs/api.md), and hears
//! "records changed" and "sync status" as `crm-event` events. The local database lives in
//! the app's data directory (or `CRM_DATA`), encrypted at rest: under a random key kept in
//! the operating system's keychain, or under the person's password where there is none
//! (`crm_core::at_rest`, `keychain.rs`). No business rule lives here.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::path::PathBuf;
use std::sync::Arc;

use crm_core::app::{App, AtRest};
use serde_json::Value;
use tauri::{Emitter, Manager, State};
use tokio::sync::broadcast::error::RecvError;

mod keychain;

struct Core(Arc<App>);

/// One request in, one response out. Runs off the UI thread: signing in waits for the server.
#[tauri::command]
async fn dispatch(request: Value, core: State<'_, Core>) -> Result<Value, String> {
    let app = core.0.clone();
    tauri::async_runtime::spawn_blocking(move || app.dispatch(request)).await.map_err(|e| e.to_string())
}

fn device_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_string()).unwrap_or_default();
    if host.is_empty() {
        "Field CRM app".into()
    } else {
        host
    }
}

fn main() {
    let result = tauri::Builder::default()
        .setup(|app| {
            let dir = match std::env::var_os("CRM_DATA") {
                Some(dir) => PathBuf::from(dir),
                None => app.path().app_data_dir()?,
            };
            let keychain =
                keychain::OsKeychain::available().map(|k| Arc::new(k) as Arc<dyn crm_core::at_rest::Keychain>);
            let core = Arc::new(App::open_with(&dir, &device_name(), AtRest::Encrypted { keychain })?);
            let mut events = core.subscribe();
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                loop {
                    match events.recv().await {
                        Ok(event) => {
                            let _ = handle.emit("crm-event", event);
                        }
                        // Missed events: have every view read again.
                        Err(RecvError::Lagged(_)) => {
                            let _ = handle
                                .emit("crm-event", serde_json::json!({"event": "records_changed", "remote": true}));
                        }
                        Err(RecvError::Closed) => break,
                    }
                }
            });
            app.manage(Core(core));
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![dispatch])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("field-crm: {e}");
        std::process::exit(1);
    }
}
