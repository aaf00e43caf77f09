//! The release `sync-server` binary as a process of its own on loopback, for benchmarks: its
//! memory is its own to measure. Build it first: `cargo build --release -p sync-server`.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::PASSWORD;

/// A running `sync-server serve` with these accounts (username, role; team `east`).
pub struct Server {
    child: Child,
    pub url: String,
    _dir: tempfile::TempDir,
}

impl Server {
    pub fn start(users: &[(&str, &str)]) -> Server {
        Server::start_with(users, &[])
    }

    /// [`Server::start`] with more `serve` arguments (`--max-per-address 100000`).
    pub fn start_with(users: &[(&str, &str)], extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        // As the test servers: on PostgreSQL with `CRM_TEST_DB=postgres` (files in the
        // temporary directory), else a SQLite file there.
        let (_, location) = crate::database_in(dir.path());
        let (db, data) = match &location {
            sync_server::sql::Location::Sqlite(path) => (path.to_str().unwrap().to_string(), None),
            sync_server::sql::Location::Postgres(url) => (url.clone(), Some(dir.path().to_str().unwrap().to_string())),
        };
        {
            let mut sdb = sync_server::db::ServerDb::open(&location).unwrap();
            for (name, role) in users {
                sdb.add_user(name, name, role, Some("east"), PASSWORD).unwrap();
            }
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let bin = std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().join("sync-server");
        assert!(bin.exists(), "build the server first: cargo build --release -p sync-server");
        let child = Command::new(bin)
            .args(["serve", "--db", &db, "--listen", &format!("127.0.0.1:{port}")])
            .args(data.iter().flat_map(|d| ["--data", d.as_str()]))
            .args(extra)
            .stderr(if std::env::var_os("CRM_BENCH_SERVER_LOG").is_some() { Stdio::inherit() } else { Stdio::null() })
            .spawn()
            .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        Server { child, url, _dir: dir }
    }

    /// The server process's peak resident memory (VmHWM), in MB.
    pub fn peak_rss_mb(&self) -> f64 {
        self.memory_mb("VmHWM:")
    }

    /// The server process's resident memory now (VmRSS), in MB.
    pub fn rss_mb(&self) -> f64 {
        self.memory_mb("VmRSS:")
    }

    /// CPU time the server process has used so far (user and system), in seconds.
    pub fn cpu_seconds(&self) -> f64 {
        cpu_seconds(&format!("/proc/{}/stat", self.child.id()))
    }

    fn memory_mb(&self, field: &str) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with(field))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    }
}

/// User and system CPU seconds of the process whose `/proc/…/stat` is at `stat` (this process:
/// `/proc/self/stat`). Linux counts them in ticks of 1/100 s (`USER_HZ`).
pub fn cpu_seconds(stat: &str) -> f64 {
    let stat = std::fs::read_to_string(stat).unwrap_or_default();
    // Fields after the command name (which may hold spaces, and ends with ')'): utime and stime
    // are the 12th and 13th of them.
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: f64 = rest.split_whitespace().skip(11).take(2).filter_map(|t| t.parse::<f64>().ok()).sum();
    ticks / 100.0
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
