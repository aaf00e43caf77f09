//! The `crm` command line with input a terminal or a script can produce by accident: bytes
//! that are not UTF-8, control characters. A clear answer, never a panic, and a batch goes on.

mod common;

use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::process::Stdio;

use common::crm;

#[test]
fn bad_bytes_get_an_answer_and_the_batch_goes_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = crm(dir.path()).arg(std::ffi::OsStr::from_bytes(b"search\xff")).output().expect("run crm");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not valid UTF-8"));

    let mut batch = crm(dir.path()).arg("batch").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("batch");
    let mut stdin = batch.stdin.take().expect("stdin");
    stdin
        .write_all(b"{\"op\":\"whoami\"}\n\xff\xfe not utf-8\n{\"op\":\"search\",\"query\":\"ab\\u0000cd\"}\n")
        .expect("write");
    drop(stdin);
    let out = batch.wait_with_output().expect("batch ends");
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each answer is JSON"))
        .collect();
    assert_eq!(lines.len(), 3, "one answer per line: {lines:?}");
    assert_ne!(lines[0]["type"], "error");
    assert_eq!(lines[1]["code"], "bad_request");
    assert_ne!(lines[2]["type"], "error", "a search with NUL is answered: {}", lines[2]);
}
