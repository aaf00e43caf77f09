//! One process owns a store: a second one (the CLI while the app runs, or two CLIs) is
//! refused with a message naming the holder, instead of both writing and corrupting it.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

use common::crm;
use crm_core::{Error, Store};

#[test]
fn a_second_process_on_the_same_data_is_refused_and_names_the_first() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut holder = crm(dir.path())
        .arg("batch")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn crm batch");
    let mut stdin = holder.stdin.take().expect("stdin");
    let mut stdout = BufReader::new(holder.stdout.take().expect("stdout"));
    writeln!(stdin, r#"{{"op":"create","kind":"customer","fields":{{"name":"锁定测试客户"}}}}"#).expect("write");
    let mut line = String::new();
    stdout.read_line(&mut line).expect("the batch answers");
    assert!(line.contains("\"id\""), "{line}");

    let second =
        crm(dir.path()).args(["call", r#"{"op":"update","id":"x","fields":{"grade":"A"}}"#]).output().expect("run crm");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success());
    assert!(stderr.contains("open in another program"), "{stderr}");
    assert!(stderr.contains(&format!("process {}", holder.id())), "names the holder: {stderr}");

    // In one process too.
    match Store::open(dir.path().join("crm.sqlite3")) {
        Err(e @ Error::InUse { .. }) => assert_eq!(e.code(), "store_in_use"),
        Err(e) => panic!("expected store_in_use, got {e}"),
        Ok(_) => panic!("a second open of a store in use succeeded"),
    }

    // Once the first is gone, the store is whole and opens.
    drop(stdin);
    holder.wait().expect("batch ends");
    let third = crm(dir.path()).args(["customers", "--limit", "5"]).output().expect("run crm");
    assert!(third.status.success(), "{}", String::from_utf8_lossy(&third.stderr));
    assert!(String::from_utf8_lossy(&third.stdout).contains("锁定测试客户"));
}
