//! `crm`: the command-line shell over the same typed dispatch the app uses.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use crm_core::demo::{self, DemoSize};
use crm_core::{Request, Response, Store};
use serde_json::{json, Value as Json};

const USAGE: &str = "usage: crm [--data DIR] COMMAND

Commands:
  call JSON              run one request (see docs/api.md), print the response JSON
  batch                  read one request JSON per line on stdin, answer one line each
  customers [--limit N]  list customers, newest first
  search TEXT            find customers and contacts by code, name, phone or email
  show ID                show a record with its conflicts
  history ID             who changed what, when
  demo [--customers N] [--seed S] [--users N] [--expenses N]
                         add generated demo data (default 200 customers, seed 42); with
                         --users 0 every record belongs to the current user; with products on
                         this device, quotes, orders and a contract for some customers too
  demo-catalogue [--seed S]
                         add demo products, price lists and stock (an admin's device)
  rebuild-index          rebuild every list and search index from the documents
  compact                fold change rows into document snapshots
  whoami                 the user and device this data belongs to
  login URL USERNAME [--device NAME] [--ca CA.pem]
                         sign this device in to a sync server (password on stdin or $CRM_PASSWORD);
                         https://, or http:// to this machine only ($CRM_INSECURE_HTTP=1 for a
                         test setup); --ca pins the company's own CA besides the system's roots
  sync [--watch]         sync with the server once, or stay connected and keep syncing
  rejected               edits the server refused, with the reason
  import FILE [--kind K] [--map HEADER=FIELD]... [--keys name,phones] [--policy skip|update|create]
         [--preview] [--rejected OUT.xlsx]
                         import .xlsx/.xls/.csv (UTF-8 or GBK) into kind K (default customer);
                         columns are guessed from the headers, --map changes one (FIELD `-` leaves
                         it out); rows matching an existing record by --keys are skipped, updated
                         or created anyway; --preview shows what would happen and writes nothing;
                         products: --kind product --keys code --policy update; a stock snapshot:
                         --kind stock (one row per product and warehouse, updated on reload)
  imports                imports made on this device
  import-revert BATCH    undo an import (what it created is deleted, what it updated set back)
  load-price-lists FILE  load price lists from .xlsx/.xls/.csv, one row per rule (admins)
  report NAME [--from DATE] [--to DATE] [--group-by day|week|month|quarter|year]
         [--scope mine|team|all] [--owner ID] [--currency CNY] [--option KEY=VALUE]...
         [--format table|json|xlsx] [--out FILE]
                         a report (contribution, composition, service, churn, funnel,
                         performance, receivables) for this device's person, this month by
                         default; xlsx is written to --out (default NAME-FROM-TO.xlsx)

  encrypt                encrypt the store under $CRM_STORE_PASSWORD; an encrypted one is put under
                         $CRM_NEW_STORE_PASSWORD instead (the whole file is copied under the new key)
  decrypt                make an encrypted store plain again ($CRM_STORE_PASSWORD)

DIR defaults to $CRM_DATA, then ~/.local/share/field-crm. An encrypted store (the app encrypts
each person's at their first sign-in) opens with $CRM_STORE_PASSWORD.";

fn main() -> ExitCode {
    let mut args: Vec<String> = Vec::new();
    for arg in std::env::args_os().skip(1) {
        match arg.into_string() {
            Ok(a) => args.push(a),
            Err(bad) => {
                eprintln!("crm: the argument {bad:?} is not valid UTF-8; check the terminal's encoding");
                return ExitCode::from(2);
            }
        }
    }
    let mut data = None;
    if let Some(i) = args.iter().position(|a| a == "--data") {
        if i + 1 >= args.len() {
            eprintln!("crm: --data needs a directory\n\n{USAGE}");
            return ExitCode::from(2);
        }
        data = Some(PathBuf::from(args.remove(i + 1)));
        args.remove(i);
    }
    let dir = data.unwrap_or_else(crm_core::app::default_data_dir);
    let Some(command) = args.first().cloned() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    if command == "--help" || command == "-h" || command == "help" {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("crm: cannot create data directory {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    let path = crm_core::profiles::current_path(&dir);
    let password = std::env::var("CRM_STORE_PASSWORD").ok().map(crm_core::at_rest::StoreKey::Password);
    if command == "encrypt" || command == "decrypt" {
        return match encrypt(&path, password, &command) {
            Ok(done) => {
                println!("{done}");
                ExitCode::SUCCESS
            }
            Err(message) => {
                eprintln!("crm: {message}");
                ExitCode::FAILURE
            }
        };
    }
    let mut store = match Store::open_with(&path, password.as_ref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("crm: cannot open the store in {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    };
    if command == "sync" {
        // The sync engine takes the store: one owner at a time.
        return match sync(store, args[1..].iter().any(|a| a == "--watch")) {
            Ok(code) => code,
            Err(message) => {
                eprintln!("crm: {message}");
                ExitCode::FAILURE
            }
        };
    }
    match run(&mut store, &command, &args[1..]) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("crm: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `crm encrypt` / `crm decrypt`: the store at `path` put under a new key, or made plain.
fn encrypt(
    path: &std::path::Path,
    password: Option<crm_core::at_rest::StoreKey>,
    command: &str,
) -> Result<String, String> {
    use crm_core::at_rest::{self, StoreKey};
    let encrypted = at_rest::is_encrypted(path);
    let Some(password) = password else {
        return Err("give the password in $CRM_STORE_PASSWORD".into());
    };
    let (old, new, done) = match (command, encrypted) {
        ("encrypt", false) => (None, Some(password), "the store is encrypted"),
        ("encrypt", true) => {
            let new = std::env::var("CRM_NEW_STORE_PASSWORD")
                .map_err(|_| "the store is encrypted already: give a new password in $CRM_NEW_STORE_PASSWORD")?;
            (Some(password), Some(StoreKey::Password(new)), "the store is under its new password")
        }
        (_, true) => (Some(password), None, "the store is plain again"),
        (_, false) => return Err("the store is not encrypted".into()),
    };
    at_rest::rekey(path, old.as_ref(), new.as_ref()).map_err(|e| e.to_string())?;
    Ok(done.to_string())
}

/// Sync once, or stay connected until Ctrl-C printing the status as it changes.
fn sync(store: Store, watch: bool) -> Result<ExitCode, String> {
    use std::sync::{Arc, Mutex};
    let shared = Arc::new(Mutex::new(store));
    let engine = crm_core::sync::client::SyncEngine::new(shared);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        if !watch {
            let status = engine.sync_once().await.map_err(|e| e.to_string())?;
            println!(
                "up to date: {} received, {} waiting to be sent, {} refused",
                status.received, status.pending, status.rejected
            );
            return Ok(ExitCode::SUCCESS);
        }
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut status = engine.status();
        let printer = tokio::spawn(async move {
            while status.changed().await.is_ok() {
                let s = status.borrow().clone();
                eprintln!(
                    "sync: {:?}{} — {} pending, {} refused",
                    s.state,
                    s.detail.map(|d| format!(" ({d})")).unwrap_or_default(),
                    s.pending,
                    s.rejected
                );
            }
        });
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            let _ = stop_tx.send(true);
        });
        let result = engine.run(stop_rx).await;
        printer.abort();
        result.map(|()| ExitCode::SUCCESS).map_err(|e| e.to_string())
    })
}

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn request(store: &mut Store, req: Json) -> Result<Json, String> {
    let req: Request = serde_json::from_value(req).map_err(|e| e.to_string())?;
    match store.handle(req) {
        Response::Error { message, .. } => Err(message),
        ok => serde_json::to_value(ok).map_err(|e| e.to_string()),
    }
}

fn s(v: &Json) -> &str {
    v.as_str().unwrap_or("")
}

/// `crm report`: the report request its flags make.
fn report_request(args: &[String]) -> Result<Json, String> {
    let name = args
        .first()
        .filter(|a| !a.starts_with("--"))
        .ok_or("report needs a NAME: contribution, composition, service, churn, funnel, performance or receivables")?;
    let mut req = json!({"name": name});
    for (flag_name, key) in [
        ("--from", "from"),
        ("--to", "to"),
        ("--group-by", "group_by"),
        ("--scope", "scope"),
        ("--owner", "owner"),
        ("--currency", "currency"),
    ] {
        if let Some(v) = flag(args, flag_name) {
            req[key] = json!(v);
        }
    }
    let mut options = serde_json::Map::new();
    for (i, a) in args.iter().enumerate() {
        if a == "--option" {
            let pair = args.get(i + 1).ok_or("--option needs KEY=VALUE")?;
            let (k, v) = pair.split_once('=').ok_or_else(|| format!("--option {pair}: write it as KEY=VALUE"))?;
            options.insert(k.to_string(), crm_core::report::option_value(v));
        }
    }
    req["options"] = Json::Object(options);
    Ok(req)
}

/// A report as text: each table's header and rows, money in major units, shares in percent.
fn print_report(report: &Json) {
    let currency = s(&report["filters"]["currency"]).to_string();
    println!(
        "{} {} .. {} ({}, {})",
        s(&report["name"]),
        s(&report["filters"]["from"]),
        s(&report["filters"]["to"]),
        s(&report["filters"]["scope"]),
        s(&report["filters"]["timezone"])
    );
    for table in report["tables"].as_array().into_iter().flatten() {
        let columns = table["columns"].as_array().cloned().unwrap_or_default();
        let cell = |column: &Json, v: &Json| -> String {
            match (s(&column["type"]), v.as_i64()) {
                (_, None) if v.is_null() => "—".into(),
                ("money", Some(m)) => format!("{}{}.{:02}", if m < 0 { "-" } else { "" }, m.abs() / 100, m.abs() % 100),
                ("percent", Some(bp)) => format!("{:.2}%", bp as f64 / 100.0),
                ("hundredths", Some(h)) => format!("{:.2}", h as f64 / 100.0),
                ("seconds", Some(sec)) => format!("{:.1}h", sec as f64 / 3600.0),
                _ => v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()),
            }
        };
        println!(
            "\n[{}]{}",
            s(&table["key"]),
            if columns.iter().any(|c| c["type"] == "money") { format!(" ({currency})") } else { String::new() }
        );
        let header: Vec<String> = columns.iter().map(|c| s(&c["key"]).to_string()).collect();
        println!("{}", header.join("\t"));
        let mut lines: Vec<&Json> = table["rows"].as_array().into_iter().flatten().map(|r| &r["cells"]).collect();
        if !table["totals"].is_null() {
            lines.push(&table["totals"]);
        }
        for cells in lines {
            let row: Vec<String> = columns.iter().map(|c| cell(c, &cells[s(&c["key"])])).collect();
            println!("{}", row.join("\t"));
        }
    }
    if report["other_currency"].as_u64().unwrap_or(0) > 0 {
        println!("\n{} records in another currency than {currency} left out", report["other_currency"]);
    }
}

fn run(store: &mut Store, command: &str, args: &[String]) -> Result<ExitCode, String> {
    match command {
        "report" => {
            let mut req = report_request(args)?;
            match flag(args, "--format").as_deref().unwrap_or("table") {
                "xlsx" => {
                    req["op"] = json!("report_export");
                    let file = request(store, req)?;
                    use base64::Engine;
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(s(&file["data"]))
                        .map_err(|e| e.to_string())?;
                    let out = flag(args, "--out").unwrap_or_else(|| s(&file["name"]).to_string());
                    std::fs::write(&out, bytes).map_err(|e| format!("cannot write {out}: {e}"))?;
                    println!("wrote {out}");
                }
                format => {
                    req["op"] = json!("report");
                    let report = request(store, req)?;
                    match format {
                        "json" => println!("{report}"),
                        "table" => print_report(&report),
                        other => return Err(format!("--format {other}: use table, json or xlsx")),
                    }
                }
            }
        }
        "call" => {
            let body = args.first().ok_or("call needs a request JSON argument")?;
            let out = store.handle_json(body);
            println!("{out}");
            let failed = out.starts_with("{\"type\":\"error\"");
            return Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS });
        }
        "batch" => {
            let stdin = std::io::stdin();
            let mut stdout = std::io::stdout().lock();
            // Byte lines: one line that is not UTF-8 gets an error answer, the batch goes on.
            for line in stdin.lock().split(b'\n') {
                let line = line.map_err(|e| e.to_string())?;
                let out = match String::from_utf8(line) {
                    Ok(line) if line.trim().is_empty() => continue,
                    Ok(line) => store.handle_json(&line),
                    Err(_) => json!({"type": "error", "code": "bad_request",
                                     "message": "the line is not valid UTF-8; send requests as UTF-8 JSON"})
                    .to_string(),
                };
                writeln!(stdout, "{out}").and_then(|()| stdout.flush()).map_err(|e| e.to_string())?;
            }
        }
        "customers" => {
            let limit: usize = flag(args, "--limit").and_then(|l| l.parse().ok()).unwrap_or(50);
            let page = request(store, json!({"op": "list", "kind": "customer", "desc": true, "limit": limit}))?;
            let items = page["items"].as_array().cloned().unwrap_or_default();
            let owners = store
                .names(items.iter().map(|i| (crm_core::Kind::User, s(&i["fields"]["owner"]).to_string())))
                .map_err(|e| e.to_string())?;
            for item in &items {
                let f = &item["fields"];
                let owner = owners.get(s(&f["owner"])).map(String::as_str).unwrap_or("");
                println!(
                    "{:<16} {:<30} {:<3} {:<10} {:<8} {}",
                    s(&f["code"]),
                    s(&f["name"]),
                    s(&f["grade"]),
                    s(&f["region"]),
                    owner,
                    s(&item["id"])
                );
            }
            println!("{} of {} customers", items.len(), page["total"]);
        }
        "search" => {
            let text = args.join(" ");
            let hits = request(store, json!({"op": "search", "query": text, "limit": 30}))?;
            for hit in hits["hits"].as_array().into_iter().flatten() {
                println!(
                    "{:<9} {:<30} {:<30} {}",
                    s(&hit["kind"]),
                    s(&hit["title"]),
                    s(&hit["subtitle"]),
                    s(&hit["id"])
                );
            }
        }
        "show" => {
            let id = args.first().ok_or("show needs a record id")?;
            let record = request(store, json!({"op": "get", "id": id}))?;
            println!("{}", serde_json::to_string_pretty(&record).map_err(|e| e.to_string())?);
        }
        "history" => {
            let id = args.first().ok_or("history needs a record id")?;
            let history = request(store, json!({"op": "history", "id": id}))?;
            for e in history["entries"].as_array().into_iter().flatten() {
                let who = history["names"].get(s(&e["user_id"])).and_then(Json::as_str).unwrap_or(s(&e["user_id"]));
                let fields: Vec<&str> = e["fields"].as_array().into_iter().flatten().map(s).collect();
                println!("{}  {:<10} {:<7} {}", s(&e["at"]), who, s(&e["action"]), fields.join(", "));
            }
        }
        "demo" => {
            let customers: usize = flag(args, "--customers").and_then(|n| n.parse().ok()).unwrap_or(200);
            let seed: u64 = flag(args, "--seed").and_then(|n| n.parse().ok()).unwrap_or(42);
            let mut size = DemoSize::scaled(customers);
            if let Some(users) = flag(args, "--users").and_then(|n| n.parse().ok()) {
                size.users = users;
            }
            let today = chrono::Utc::now().date_naive();
            let loaded = demo::load(store, seed, size, today).map_err(|e| e.to_string())?;
            let (requests, released) = demo::workflows(store, seed, today).map_err(|e| e.to_string())?;
            let documents = demo::sales(store, seed, today).map_err(|e| e.to_string())?;
            let claims: usize = flag(args, "--expenses").and_then(|n| n.parse().ok()).unwrap_or(12);
            let expenses = demo::expenses(store, seed, today, claims).map_err(|e| e.to_string())?;
            println!(
                "added {} records ({} customers, {} contacts, {} activities, {} opportunities, {} users, \
                 {requests} service requests, {documents} sales documents, {expenses} expense claims); \
                 {released} customers released to the pool",
                loaded.total() + requests + documents + expenses,
                loaded.customers,
                loaded.contacts,
                loaded.activities,
                loaded.opportunities,
                loaded.users
            );
        }
        "demo-catalogue" => {
            let seed: u64 = flag(args, "--seed").and_then(|n| n.parse().ok()).unwrap_or(42);
            let products = demo::catalogue(store, seed).map_err(|e| e.to_string())?;
            println!("added {products} products, 2 price lists and a stock snapshot");
        }
        "rebuild-index" => {
            let n = store.rebuild_projections().map_err(|e| e.to_string())?;
            println!("rebuilt the indexes of {n} records");
        }
        "compact" => {
            let n = store.compact().map_err(|e| e.to_string())?;
            println!("compacted {n} records");
        }
        "whoami" => {
            println!("{}", serde_json::to_string_pretty(&store.whoami()).map_err(|e| e.to_string())?);
        }
        "login" => {
            let (Some(url), Some(user)) = (args.first(), args.get(1)) else {
                return Err("login needs URL and USERNAME".into());
            };
            let device = flag(args, "--device").unwrap_or_else(|| {
                std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "crm cli".into())
            });
            let password = match std::env::var("CRM_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line).map_err(|e| e.to_string())?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            if let Some(ca) = flag(args, "--ca") {
                let pem = std::fs::read_to_string(&ca).map_err(|e| format!("cannot read the CA file {ca}: {e}"))?;
                crm_core::sync::client::set_server_ca(store, Some(&pem)).map_err(|e| e.to_string())?;
            }
            let signed_in =
                crm_core::sync::client::login(store, url, user, &password, &device).map_err(|e| e.to_string())?;
            let login = signed_in.login;
            println!(
                "signed in as {} ({}) on device {} with code prefix {}",
                login.display_name, login.role, login.device_id, login.code_prefix
            );
            let adopted = signed_in.adopted;
            if adopted.records + adopted.left_out > 0 {
                println!(
                    "{} records made before signing in are now yours and will be sent; {} left out (deleted, or not yours to write)",
                    adopted.records, adopted.left_out
                );
            }
        }
        "import" => {
            let path = args.first().filter(|a| !a.starts_with("--")).ok_or("import needs a FILE")?;
            let bytes = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
            let name = std::path::Path::new(path).file_name().and_then(|n| n.to_str()).unwrap_or(path).to_string();
            let mut options = crm_core::import::Options {
                kind: flag(args, "--kind").unwrap_or_else(|| "customer".into()),
                keys: flag(args, "--keys").map(|k| k.split(',').map(str::to_string).collect()).unwrap_or_default(),
                ..Default::default()
            };
            options.policy = match flag(args, "--policy").as_deref() {
                None | Some("skip") => crm_core::import::Policy::Skip,
                Some("update") => crm_core::import::Policy::Update,
                Some("create") => crm_core::import::Policy::Create,
                Some(other) => return Err(format!("--policy is skip, update or create, not '{other}'")),
            };
            let maps: Vec<&String> =
                args.iter().zip(args.iter().skip(1)).filter(|(a, _)| *a == "--map").map(|(_, m)| m).collect();
            let first = store.import_preview(&name, &bytes, &options).map_err(|e| e.to_string())?;
            if !maps.is_empty() {
                let mut columns: Vec<Option<String>> = first.columns.iter().map(|c| c.target.clone()).collect();
                for m in maps {
                    let (header, field) = m.split_once('=').ok_or(format!("--map takes HEADER=FIELD, not '{m}'"))?;
                    let i = first
                        .columns
                        .iter()
                        .position(|c| c.header == header)
                        .ok_or(format!("the file has no column '{header}'"))?;
                    columns[i] = (field != "-").then(|| field.to_string());
                }
                options.columns = Some(columns);
            }
            let preview = store.import_preview(&name, &bytes, &options).map_err(|e| e.to_string())?;
            println!("{} rows ({})", preview.rows, preview.format);
            for c in &preview.columns {
                println!("  {:<20} -> {}", c.header, c.target.as_deref().unwrap_or("(left out)"));
            }
            for row in preview.plan.iter().filter(|r| !r.errors.is_empty()).take(50) {
                let errors: Vec<String> = row.errors.iter().map(|e| format!("{}: {}", e.field, e.reason)).collect();
                println!("  line {}: {}", row.line, errors.join(", "));
            }
            let c = &preview.counts;
            println!(
                "would create {}, update {}, skip {}, reject {} (contacts {})",
                c.create, c.update, c.skip, c.reject, c.contacts
            );
            if args.iter().any(|a| a == "--preview") {
                return Ok(ExitCode::SUCCESS);
            }
            let mut shown = 0;
            let batch = store
                .import_run(&name, &bytes, &options, &mut |done, total| {
                    if done == total || done >= shown + 2000 {
                        shown = done;
                        eprintln!("  {done}/{total}");
                    }
                })
                .map_err(|e| e.to_string())?;
            println!(
                "imported as batch {}: created {}, updated {}, skipped {}, rejected {}",
                batch.id, batch.created, batch.updated, batch.skipped, batch.rejected
            );
            if let Some(out) = flag(args, "--rejected") {
                let format = crm_core::sheet::Format::of(&out).ok_or("--rejected names a .xlsx or .csv file")?;
                let bytes = store.import_rejected_file(&batch.id, format, None).map_err(|e| e.to_string())?;
                std::fs::write(&out, bytes).map_err(|e| format!("cannot write {out}: {e}"))?;
                println!("rejected rows written to {out}");
            }
        }
        "imports" => {
            for b in store.imports().map_err(|e| e.to_string())? {
                println!(
                    "{}  {}  {:<10} {:<30} +{} ~{} ={} !{}{}",
                    b.id,
                    b.at,
                    b.kind,
                    b.file_name,
                    b.created,
                    b.updated,
                    b.skipped,
                    b.rejected,
                    b.reverted_at.map(|r| format!("  reverted {r}")).unwrap_or_default()
                );
            }
        }
        "import-revert" => {
            let batch = args.first().ok_or("import-revert needs a BATCH id (see `crm imports`)")?;
            let r = store.import_revert(batch).map_err(|e| e.to_string())?;
            println!("deleted {}, restored {} fields, kept {} (changed since)", r.deleted, r.restored, r.kept);
        }
        "load-price-lists" => {
            let path = args.first().ok_or("load-price-lists needs a FILE")?;
            let bytes = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
            let name = std::path::Path::new(path).file_name().and_then(|n| n.to_str()).unwrap_or(path).to_string();
            let r = store.load_price_lists(&name, &bytes).map_err(|e| e.to_string())?;
            println!(
                "{} rules; made {}; replaced {}",
                r.rules,
                if r.created.is_empty() { "-".to_string() } else { r.created.join(", ") },
                if r.updated.is_empty() { "-".to_string() } else { r.updated.join(", ") }
            );
            for row in &r.rejected {
                let errors: Vec<String> = row.errors.iter().map(|e| format!("{}: {}", e.field, e.reason)).collect();
                println!("  line {} left out: {}", row.line, errors.join(", "));
            }
        }
        "rejected" => {
            for r in store.rejected_edits().map_err(|e| e.to_string())? {
                println!("{}  {:<22} {:<30} {} ({})", r.at, r.code, r.title.unwrap_or_default(), r.reason, r.doc_id);
            }
        }
        other => return Err(format!("unknown command '{other}'\n\n{USAGE}")),
    }
    Ok(ExitCode::SUCCESS)
}
