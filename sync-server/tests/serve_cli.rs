//! `sync-server serve` refuses to hand tokens out in clear text: plain http only on a loopback
//! address unless the admin says `--insecure-http`; a certificate that cannot be used is named
//! with what is wrong with it.

#![allow(clippy::unwrap_used)]

use std::process::Command;

fn serve(args: &[&str]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let out = Command::new(env!("CARGO_BIN_EXE_sync-server"))
        .args(["serve", "--db", db.to_str().unwrap()])
        .args(args)
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn fixture(name: &str) -> String {
    format!("{}/../tests/fixtures/tls/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn plain_http_beyond_this_machine_is_refused_and_a_bad_certificate_is_named() {
    let (ok, err) = serve(&["--listen", "0.0.0.0:0"]);
    assert!(!ok);
    assert!(err.contains("refusing to serve plain http") && err.contains("--tls-cert"), "{err}");

    let (ok, err) = serve(&["--listen", "127.0.0.1:0", "--tls-cert", &fixture("server.pem")]);
    assert!(!ok);
    assert!(err.contains("--tls-cert and --tls-key go together"), "{err}");

    let (ok, err) =
        serve(&["--listen", "127.0.0.1:0", "--tls-cert", &fixture("ca.pem"), "--tls-key", &fixture("server.key")]);
    assert!(!ok);
    assert!(err.contains("do not go together"), "{err}");

    let (ok, err) =
        serve(&["--listen", "127.0.0.1:0", "--tls-cert", &fixture("server.key"), "--tls-key", &fixture("server.key")]);
    assert!(!ok);
    assert!(err.contains("holds no certificate"), "{err}");
}
