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

#[test]
fn a_spreadsheet_is_imported_from_the_command_line_and_reverted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("客户.csv");
    std::fs::write(&file, "客户名称,电话,等级\n甲公司,0571-88880001,A\n乙公司,0571-88880002,B\n,0571-88880003,C\n")
        .expect("write csv");
    let rejected = dir.path().join("退回.csv");
    let out = crm(dir.path())
        .arg("import")
        .arg(&file)
        .args(["--keys", "name", "--rejected"])
        .arg(&rejected)
        .output()
        .expect("run crm import");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}{}", String::from_utf8_lossy(&out.stderr));
    assert!(said.contains("line 4: name: required"), "the empty name is shown before importing: {said}");
    assert!(said.contains("created 2") && said.contains("rejected 1"), "{said}");
    let refused = std::fs::read_to_string(&rejected).expect("the rejected rows file");
    assert!(refused.contains("0571-88880003"), "the refused row, to fix and import again: {refused}");
    let batch = said
        .lines()
        .find_map(|l| l.strip_prefix("imported as batch "))
        .and_then(|l| l.split(':').next())
        .expect("the batch id")
        .to_string();
    let list = crm(dir.path()).arg("imports").output().expect("run crm imports");
    assert!(String::from_utf8_lossy(&list.stdout).contains(&batch));
    let revert = crm(dir.path()).args(["import-revert", &batch]).output().expect("run crm import-revert");
    let said = String::from_utf8_lossy(&revert.stdout);
    assert!(revert.status.success() && said.contains("deleted 2"), "{said}{}", String::from_utf8_lossy(&revert.stderr));
    let again = crm(dir.path()).args(["import-revert", &batch]).output().expect("run crm import-revert");
    assert!(!again.status.success(), "a batch is reverted once");
}
