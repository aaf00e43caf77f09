//! `sync-server`: serve, and administer users, devices and backups.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use sync_server::db::ServerDb;
use sync_server::sql::{Engine, Location};
use sync_server::AppState;

/// Memory freed after a burst (a big push, an attack) goes back to the system.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: sync-server COMMAND --db PATH [options]

  PATH is the SQLite file (the default store), or a postgres://USER[:PASSWORD]@HOST[:PORT]/DB
  URL (a database on another host adds ?sslmode=require, and &sslrootcert=CA.pem for a CA of
  your own, or ?sslmode=disable on a private network); on PostgreSQL, --data DIR is where files and the reports' replica are kept (default
  ./fieldcrm-data; instances behind one load balancer share it for files).

  serve --db PATH [--data DIR] [--listen 127.0.0.1:7878] [--max-per-address 1000]
        [--tls-cert CHAIN.pem --tls-key KEY.pem] [--insecure-http]
                                   https/wss with the certificate; plain http only on a
                                   loopback address, or anywhere with --insecure-http (tokens
                                   then travel in clear text: a test setup only)
  user add --db PATH USERNAME --role ROLE [--name NAME] [--team TEAM]   (password on stdin)
  user list --db PATH
  user disable --db PATH USERNAME | user enable --db PATH USERNAME
  user set --db PATH USERNAME [--role ROLE] [--team TEAM | --no-team]
  user password --db PATH USERNAME                                       (password on stdin)
  device list --db PATH
  device revoke --db PATH DEVICE_ID
  recycle --db PATH                return neglected customers to the pool now (the server also
                                   does it every 10 minutes; rules: grade_rule records)
  smtp --db PATH --host HOST --port PORT --from ADDRESS [--user NAME]   (password on stdin with --user)
       [--security auto|starttls|tls|none] [--ca CA.pem]
                                   auto: STARTTLS when offered, no password in clear text
                                   beyond this machine; tls: port 465 style
  smtp --db PATH --off             the relay emails written in the app are sent through
  backup --db PATH --to FILE       a consistent copy, safe while the server runs
  restore --db PATH --from FILE    replace the database (stop the server first)
  (backup and restore are SQLite's; on PostgreSQL use pg_dump and pg_restore)
  migrate --from FILE --to postgres://… [--data DIR]
                                   move a stopped server's SQLite database into an empty
                                   PostgreSQL database, its files into DIR; devices carry on

Roles: admin, supervisor, account_manager, viewer.";

fn take(args: &mut Vec<String>, flag: &str) -> Option<String> {
    let i = args.iter().position(|a| a == flag)?;
    if i + 1 >= args.len() {
        return None;
    }
    let value = args.remove(i + 1);
    args.remove(i);
    Some(value)
}

fn read_password() -> Result<String> {
    if let Ok(p) = std::env::var("SYNC_SERVER_PASSWORD") {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("reading the password from stdin")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

fn main() -> Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || args[0] == "--help" || args[0] == "-h" {
        println!("{USAGE}");
        return Ok(());
    }
    if args[0] == "migrate" {
        return migrate(&mut args);
    }
    let db = take(&mut args, "--db")
        .map(|d| Location::parse(&d))
        .ok_or_else(|| anyhow!("--db PATH (or --db postgres://…) is required\n\n{USAGE}"))?;
    // Files, the reports' replica and backups are kept beside the SQLite file; on PostgreSQL
    // in the data directory (shared by the instances for files: see README, PostgreSQL).
    let data = take(&mut args, "--data");
    let db_path = match &db {
        Location::Sqlite(path) => path.clone(),
        Location::Postgres(_) => PathBuf::from(data.as_deref().unwrap_or("fieldcrm-data")).join("server"),
    };
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["serve", rest @ ..] => {
            let mut rest: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
            let listen = take(&mut rest, "--listen").unwrap_or_else(|| "127.0.0.1:7878".into());
            let mut limits = sync_server::listener::Limits::default();
            if let Some(n) = take(&mut rest, "--max-per-address") {
                limits.per_address = match n.parse() {
                    Ok(n) if n > 0 => n,
                    _ => bail!("--max-per-address takes a number of connections above 0, not {n:?}"),
                };
            }
            let tls = match (take(&mut rest, "--tls-cert"), take(&mut rest, "--tls-key")) {
                (Some(cert), Some(key)) => {
                    Some(sync_server::listener::tls_config(Path::new(&cert), Path::new(&key)).map_err(|e| anyhow!(e))?)
                }
                (None, None) => None,
                _ => bail!("--tls-cert and --tls-key go together: the certificate chain and its private key, PEM"),
            };
            let insecure = rest.iter().any(|a| a == "--insecure-http");
            serve(db, db_path, &listen, limits, tls, insecure)
        }
        ["user", "add", username, ..] => {
            let username = username.to_string();
            let role = take(&mut args, "--role").ok_or_else(|| anyhow!("--role is required"))?;
            let name = take(&mut args, "--name").unwrap_or_else(|| username.clone());
            let team = take(&mut args, "--team");
            let password = read_password()?;
            let id = ServerDb::open(&db)?.add_user(&username, &name, &role, team.as_deref(), &password)?;
            println!("added {username} ({role}) with id {id}");
            Ok(())
        }
        ["smtp", ..] => {
            let mut db = ServerDb::open(&db)?;
            if args.iter().any(|a| a == "--off") {
                db.set_smtp(None)?;
                println!("no mail relay: emails written in the app stay queued");
                return Ok(());
            }
            let host = take(&mut args, "--host").ok_or_else(|| anyhow!("--host is required"))?;
            let port = take(&mut args, "--port").unwrap_or_else(|| "25".into());
            let port: u16 = port.parse().map_err(|_| anyhow!("--port takes a port number, not {port:?}"))?;
            let from = take(&mut args, "--from").ok_or_else(|| anyhow!("--from ADDRESS is required"))?;
            let username = take(&mut args, "--user");
            let security = match take(&mut args, "--security") {
                None => sync_server::mail::Security::Auto,
                Some(s) => sync_server::mail::Security::parse(&s)
                    .ok_or_else(|| anyhow!("--security is auto, starttls, tls or none, not {s:?}"))?,
            };
            let ca = match take(&mut args, "--ca") {
                Some(file) => {
                    let pem = std::fs::read_to_string(&file).with_context(|| format!("reading the CA file {file}"))?;
                    crm_core::sync::tls::parse_ca(&pem).map_err(|e| anyhow!("{file}: {e}"))?;
                    Some(pem)
                }
                None => None,
            };
            let password = if username.is_some() { Some(read_password()?) } else { None };
            let config = sync_server::mail::SmtpConfig { host, port, from, username, password, security, ca };
            db.set_smtp(Some(&config))?;
            println!("emails written in the app are sent through {}:{} from {}", config.host, config.port, config.from);
            Ok(())
        }
        ["recycle"] => {
            let recycled = ServerDb::open(&db)?.recycle(crm_core::value::now_ms())?;
            println!("returned {} customers to the pool", recycled.len());
            Ok(())
        }
        ["user", "list"] => {
            for u in ServerDb::open(&db)?.users()? {
                let state = if u.disabled { "disabled" } else { "active" };
                println!(
                    "{:<16} {:<12} {:<16} {:<10} {:<8} {}",
                    u.username,
                    u.display_name,
                    u.role,
                    u.team.unwrap_or_default(),
                    state,
                    u.id
                );
            }
            Ok(())
        }
        ["user", action @ ("disable" | "enable"), username] => {
            ServerDb::open(&db)?.set_disabled(username, *action == "disable")?;
            println!("{username} {action}d");
            Ok(())
        }
        ["user", "set", username, ..] => {
            let username = username.to_string();
            let role = take(&mut args, "--role");
            let team = take(&mut args, "--team");
            let no_team = args.iter().any(|a| a == "--no-team");
            let team = match (team.as_deref(), no_team) {
                (Some(_), true) => bail!("give --team TEAM or --no-team, not both"),
                (Some(t), false) => Some(Some(t)),
                (None, true) => Some(None),
                (None, false) => None,
            };
            if role.is_none() && team.is_none() {
                bail!("user set needs --role ROLE, --team TEAM or --no-team");
            }
            ServerDb::open(&db)?.set_role_team(&username, role.as_deref(), team)?;
            println!("{username} changed: connected devices follow within a second, others at their next sync");
            Ok(())
        }
        ["user", "password", username] => {
            let password = read_password()?;
            ServerDb::open(&db)?.set_password(username, &password)?;
            println!("password of {username} changed");
            Ok(())
        }
        ["device", "list"] => {
            for d in ServerDb::open(&db)?.devices()? {
                let state = if d.revoked { "revoked" } else { "active" };
                println!(
                    "{} {:<12} {:<20} {:<5} {:<8} last seen {}",
                    d.id,
                    d.username,
                    d.name,
                    d.code_prefix,
                    state,
                    d.last_seen.unwrap_or_else(|| "never".into())
                );
            }
            Ok(())
        }
        ["device", "revoke", id] => {
            ServerDb::open(&db)?.revoke_device(id)?;
            println!(
                "device {id} revoked: it is refused from now on and removes its local data at its next connection"
            );
            Ok(())
        }
        ["backup", rest @ ..] => {
            let mut rest: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
            let to = take(&mut rest, "--to").ok_or_else(|| anyhow!("backup needs --to FILE"))?;
            if db.engine() == Engine::Postgres {
                Err(sync_server::db::on_postgres("backup"))?;
            }
            sync_server::db::backup(&db_path, Path::new(&to), &sync_server::audit::Actor::cli())?;
            println!("backed up {} to {to}", db_path.display());
            Ok(())
        }
        ["restore", rest @ ..] => {
            let mut rest: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
            let from = take(&mut rest, "--from").ok_or_else(|| anyhow!("restore needs --from FILE"))?;
            if db.engine() == Engine::Postgres {
                Err(sync_server::db::on_postgres("restore"))?;
            }
            sync_server::db::restore(&db_path, Path::new(&from))?;
            println!("restored {} from {from}", db_path.display());
            Ok(())
        }
        _ => bail!("unknown command\n\n{USAGE}"),
    }
}

/// `migrate --from FILE --to postgres://… [--data DIR]`.
fn migrate(args: &mut Vec<String>) -> Result<()> {
    let from = take(args, "--from").ok_or_else(|| anyhow!("migrate needs --from FILE (the SQLite database)"))?;
    let to = take(args, "--to").ok_or_else(|| anyhow!("migrate needs --to postgres://USER@HOST/DATABASE"))?;
    let Location::Postgres(url) = Location::parse(&to) else {
        bail!("--to takes a postgres:// URL, not {to:?}");
    };
    let data = PathBuf::from(take(args, "--data").unwrap_or_else(|| "fieldcrm-data".into()));
    // The files the records name go first to the data directory the instances will serve them
    // from (copying again skips what is there): a failure here leaves the database untouched.
    std::fs::create_dir_all(&data).with_context(|| format!("making {}", data.display()))?;
    let files = crm_core::attachment::BlobDir::beside(Path::new(&from))
        .copy_into(&crm_core::attachment::BlobDir::beside(&data.join("server")))
        .map_err(|e| anyhow!("copying the files into {}: {e}", data.display()))?;
    println!("{files} files into {}", data.display());
    let moved = sync_server::migrate::migrate(Path::new(&from), &url)?;
    for (table, n) in &moved.rows {
        println!("{table:<16} {n:>10} rows");
    }
    println!(
        "moved to {}; serve it with: sync-server serve --db {} --data {}",
        Location::Postgres(url.clone()).display(),
        Location::Postgres(url).display(),
        data.display()
    );
    Ok(())
}

fn serve(
    db: Location,
    db_path: PathBuf,
    listen: &str,
    limits: sync_server::listener::Limits,
    tls: Option<std::sync::Arc<rustls::ServerConfig>>,
    insecure: bool,
) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("listening on {listen}"))?;
        let local = listener.local_addr()?;
        if tls.is_none() && !local.ip().is_loopback() && !insecure {
            bail!(
                "refusing to serve plain http on {local}: passwords and tokens would cross the network in clear \
                 text. Give the certificate with --tls-cert CHAIN.pem --tls-key KEY.pem (https/wss), listen on \
                 127.0.0.1 behind a TLS-terminating proxy, or, for a test setup only, add --insecure-http"
            );
        }
        if db.engine() == Engine::Postgres {
            std::fs::create_dir_all(db_path.parent().unwrap_or(Path::new(".")))
                .with_context(|| format!("making the data directory for {}", db_path.display()))?;
        }
        let state =
            AppState::open_at(db.clone(), db_path.clone()).with_context(|| format!("opening {}", db.display()))?;
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
            eprintln!("sync-server: shutting down");
        };
        match tls {
            Some(tls) => {
                eprintln!("sync-server: serving {} on https://{local}", db.display());
                sync_server::serve_tls(listener, state, shutdown, limits, tls).await?;
            }
            None => {
                eprintln!("sync-server: serving {} on http://{local}", db.display());
                sync_server::serve_with(listener, state, shutdown, limits).await?;
            }
        }
        Ok(())
    })
}
