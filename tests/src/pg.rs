//! A throwaway PostgreSQL cluster for the tests, when they run against PostgreSQL
//! (`CRM_TEST_DB=postgres`; `scripts/test.sh` runs the sync suites both ways).
//!
//! Made with the system's `initdb` (Debian's `postgresql` package: `/usr/lib/postgresql/N/bin`,
//! or the directory in `CRM_PG_BIN`) in a temporary directory, started on a free loopback port
//! with trust authentication and without fsync (the server under test is what may crash, not
//! the database), and given a database of its own for every test server. A watchdog stops it
//! and removes its directory once the test process has ended. As root (CI), PostgreSQL runs as
//! the `postgres` user the package created.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Whether the tests run against PostgreSQL.
pub fn enabled() -> bool {
    std::env::var("CRM_TEST_DB").is_ok_and(|v| v == "postgres")
}

struct Cluster {
    port: u16,
}

/// The URL of a new, empty database on this process's cluster (started on first use).
pub fn new_database() -> String {
    new_database_with("")
}

/// [`new_database`] made with `options` after `CREATE DATABASE name` (a locale of its own).
pub fn new_database_with(options: &str) -> String {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let cluster = CLUSTER.get_or_init(start);
    let name = format!("crm_{}", NEXT.fetch_add(1, Ordering::Relaxed));
    let admin = sync_server::sql::Conn::open_postgres(&url(cluster.port, "postgres"))
        .unwrap_or_else(|e| panic!("connecting to the test cluster: {e}"));
    admin
        .execute_batch(&format!("CREATE DATABASE {name} {options}"))
        .unwrap_or_else(|e| panic!("creating {name}: {e}"));
    url(cluster.port, &name)
}

fn url(port: u16, database: &str) -> String {
    format!("postgres://crm@127.0.0.1:{port}/{database}")
}

fn bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("CRM_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin): &(u32, PathBuf)| bin.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).unwrap_or_else(|| {
        panic!("CRM_TEST_DB=postgres needs PostgreSQL: apt-get install postgresql (or set CRM_PG_BIN)")
    })
}

/// The file of the test CA's certificate (`crm_tests::test_ca`), for `sslrootcert=`.
pub fn ca_file() -> PathBuf {
    crate::tls_fixtures().join("ca.pem")
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) {}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// `program` as the user PostgreSQL runs as (itself, unless that is root).
fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn start() -> Cluster {
    let bin = bin_dir();
    let dir = std::env::temp_dir().join(format!("fieldcrm-pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("making {}: {e}", dir.display()));
    // TLS offered with the test certificate (for `localhost` and 127.0.0.1, from the test
    // CA in `fixtures/tls`): a connection asking for it gets it; the others stay plain.
    for file in ["server.pem", "server.key"] {
        std::fs::copy(crate::tls_fixtures().join(file), dir.join(file))
            .unwrap_or_else(|e| panic!("copying {file}: {e}"));
    }
    set_mode(&dir.join("server.key"), 0o600);
    if is_root() {
        let chowned = Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir).status();
        assert!(chowned.is_ok_and(|s| s.success()), "chown postgres {} failed", dir.display());
    }
    let data = dir.join("data");
    let made = as_postgres(&bin.join("initdb"))
        .args(["-D"])
        .arg(&data)
        .args(["-U", "crm", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
        .stdout(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running initdb: {e}"));
    assert!(made.status.success(), "initdb failed: {}", String::from_utf8_lossy(&made.stderr));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("finding a free port: {e}"));
    let postgres = bin.join("postgres");
    let runas = if is_root() { "runuser -u postgres -- " } else { "" };
    // The watchdog: PostgreSQL in the background; when this test process is gone, a fast
    // shutdown and the directory removed.
    let script = format!(
        "{runas}'{postgres}' -D '{data}' -p {port} -k '{dir}' -c listen_addresses=127.0.0.1 -c fsync=off \
         -c synchronous_commit=off -c full_page_writes=off -c max_connections=400 \
         -c ssl=on -c ssl_cert_file='{dir}/server.pem' -c ssl_key_file='{dir}/server.key' >'{dir}/log' 2>&1 &
         while kill -0 {me} 2>/dev/null; do sleep 1; done
         kill -INT $(head -1 '{data}/postmaster.pid') 2>/dev/null; sleep 3; rm -rf '{dir}'",
        postgres = postgres.display(),
        data = data.display(),
        dir = dir.display(),
        me = std::process::id(),
    );
    // Never waited for: the watchdog outlives this process on purpose.
    #[allow(clippy::zombie_processes)]
    let _watchdog = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting PostgreSQL: {e}"));
    let started = Instant::now();
    loop {
        match sync_server::sql::Conn::open_postgres(&url(port, "postgres")) {
            Ok(_) => break,
            Err(e) if started.elapsed() < Duration::from_secs(30) => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => {
                let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
                panic!("PostgreSQL did not start on port {port}: {e}\n{log}");
            }
        }
    }
    Cluster { port }
}
