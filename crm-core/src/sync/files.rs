//! Moving files between a device and the server, over `/api/blobs/{hash}` (docs/api.md,
//! "Attachments"), apart from the change stream.
//!
//! After the records that reference them have reached the server, the files taken on this
//! device are uploaded; an upload cut off part-way resumes from what the server says arrived.
//! The thumbnails of every record on the device are fetched, so lists show pictures offline;
//! a full file is fetched when someone opens it ([`fetch`]). Files no record here references
//! any more are deleted after each pass.

use std::io::Read;
use std::time::Duration;

use serde::Serialize;

use super::client::{http_agent, SyncError};
use crate::attachment::local::Upload;
use crate::attachment::{self, BlobDir, Stored, MAX_BYTES};
use crate::store::Store;

/// What one pass moved.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct FilesReport {
    pub uploaded: usize,
    pub fetched: usize,
    /// Files the server refused, with why (they stay here; the record shows them as not sent).
    pub refused: Vec<(String, String)>,
    pub forgotten: usize,
}

/// How long one request may take: a 20 MB file over a slow mobile link.
const TIMEOUT: Duration = Duration::from_secs(600);

/// How long the part of a download that stopped is kept for it to resume.
const PARTIAL_KEPT: Duration = Duration::from_secs(24 * 3600);

fn url(base: &str, hash: &str, record: &str) -> String {
    format!("{base}/api/blobs/{hash}?record={record}")
}

fn refusal(status: u16, body: &str) -> SyncError {
    let json: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    SyncError::Refused {
        status,
        code: json["code"].as_str().unwrap_or("refused").to_string(),
        message: json["message"].as_str().unwrap_or(body).to_string(),
    }
}

fn unreachable(e: impl std::fmt::Display) -> SyncError {
    SyncError::Unreachable(e.to_string())
}

/// Send one file: ask how much of it arrived (`HEAD`), then `PUT` the rest. Blocking.
pub fn upload(base: &str, token: &str, ca: Option<&str>, files: &BlobDir, up: &Upload) -> Result<(), SyncError> {
    let agent = http_agent(Some(TIMEOUT), ca)?;
    let auth = format!("Bearer {token}");
    let target = url(base, &up.hash, &up.record);
    let head = agent.head(&target).header("authorization", &auth).call().map_err(unreachable)?;
    let offset = |r: &ureq::http::Response<ureq::Body>| {
        r.headers().get("upload-offset").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok())
    };
    let mut from = match head.status().as_u16() {
        200 => return Ok(()),
        404 => match offset(&head) {
            Some(offset) => offset,
            // Not a file the server will take from us (the record is not there, or not ours).
            None => return Err(refusal(404, &head.into_body().read_to_string().unwrap_or_default())),
        },
        status => return Err(refusal(status, &head.into_body().read_to_string().unwrap_or_default())),
    };
    // An earlier attempt's bytes may still be arriving: then the server says where it is now.
    for _ in 0..3 {
        let mut reader = files.open_at(&up.hash, from)?;
        let mut response = agent
            .put(&target)
            .header("authorization", &auth)
            .header("content-type", &up.kind)
            .header("upload-length", up.size.to_string())
            .header("upload-offset", from.to_string())
            .send(ureq::SendBody::from_reader(&mut reader))
            .map_err(unreachable)?;
        let status = response.status().as_u16();
        let now = offset(&response);
        let body = response.body_mut().read_to_string().unwrap_or_default();
        match (status, now) {
            (200 | 201, _) if body.contains("\"stored\":true") => return Ok(()),
            (409, Some(now)) => {
                from = now;
                std::thread::sleep(Duration::from_millis(200));
            }
            (200, _) => break,
            _ => return Err(refusal(status, &body)),
        }
    }
    Err(SyncError::Unreachable("the upload stopped part-way; it resumes at the next sync".into()))
}

/// Fetch one file into `files` (resuming what arrived of an earlier try), checking that its
/// bytes have its hash and are a type an attachment may be. Blocking.
pub fn download(
    base: &str,
    token: &str,
    ca: Option<&str>,
    files: &BlobDir,
    hash: &str,
    record: &str,
) -> Result<Stored, SyncError> {
    let agent = http_agent(Some(TIMEOUT), ca)?;
    let from = files.received(hash)?;
    let mut request = agent.get(&url(base, hash, record)).header("authorization", format!("Bearer {token}"));
    if from > 0 {
        request = request.header("range", format!("bytes={from}-"));
    }
    let response = request.call().map_err(unreachable)?;
    let status = response.status().as_u16();
    let mut at = match status {
        200 => {
            files.discard(hash)?;
            0
        }
        206 => from,
        _ => return Err(refusal(status, &response.into_body().read_to_string().unwrap_or_default())),
    };
    let mut reader = response.into_body().into_with_config().limit(MAX_BYTES + 1).reader();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = reader.read(&mut buf).map_err(unreachable)?;
        if n == 0 {
            break;
        }
        at = match files.append(hash, at, &buf[..n])? {
            Ok(now) => now,
            Err(_) => return Err(SyncError::Protocol("a file arrived out of order".into())),
        };
    }
    match files.finish(hash, None, MAX_BYTES)? {
        Ok(stored) => Ok(stored),
        Err(why) => Err(SyncError::Protocol(attachment::explain(&why))),
    }
}

/// One pass: upload what the server lacks, fetch the thumbnails this device lacks, delete what
/// nothing references. A network failure ends the pass (the next sync goes on); a file the
/// server refuses is reported and the pass goes on.
pub fn transfer(store: &std::sync::Mutex<Store>, base: &str, token: &str) -> Result<FilesReport, SyncError> {
    let lock = || store.lock().unwrap_or_else(|p| p.into_inner());
    let mut report = FilesReport::default();
    let (files, ca) = {
        let s = lock();
        (s.files().clone(), s.meta("sync_ca")?)
    };
    let ca = ca.as_deref();
    // A download nothing was added to for a day is not coming back (its part is not sealed);
    // first, so a pass the network cuts short still does it. Failing to is no reason to stop.
    let _ = files.discard_stale(PARTIAL_KEPT);
    let mut refused = std::collections::HashSet::new();
    loop {
        let pending: Vec<Upload> =
            lock().files_to_upload(50)?.into_iter().filter(|u| !refused.contains(&u.hash)).collect();
        if pending.is_empty() {
            break;
        }
        for up in pending {
            match upload(base, token, ca, &files, &up) {
                Ok(()) => {
                    lock().file_uploaded(&up.hash)?;
                    report.uploaded += 1;
                }
                Err(SyncError::Refused { code, message, .. }) => {
                    refused.insert(up.hash.clone());
                    report.refused.push((up.hash, format!("{code}: {message}")));
                }
                Err(e) => return Err(e),
            }
        }
    }
    loop {
        let wanted: Vec<(String, String)> =
            lock().thumbnails_wanted(100)?.into_iter().filter(|(h, _)| !refused.contains(h)).collect();
        if wanted.is_empty() {
            break;
        }
        for (hash, record) in wanted {
            match download(base, token, ca, &files, &hash, &record) {
                Ok(stored) => {
                    lock().file_arrived(&stored.hash, stored.kind, stored.size)?;
                    report.fetched += 1;
                }
                // Not sent by its device yet, or refused: try again at a later pass.
                Err(SyncError::Refused { .. } | SyncError::Protocol(_)) => {
                    refused.insert(hash);
                }
                Err(e) => return Err(e),
            }
        }
    }
    report.forgotten = lock().forget_unreferenced_files()?;
    Ok(report)
}

/// Fetch the full file `hash` for someone opening it, naming `record` (which references it).
pub fn fetch(store: &std::sync::Mutex<Store>, hash: &str, record: &str) -> Result<(), SyncError> {
    let lock = || store.lock().unwrap_or_else(|p| p.into_inner());
    let (endpoint, files, ca) = {
        let s = lock();
        (s.sync_endpoint()?, s.files().clone(), s.meta("sync_ca")?)
    };
    let Some((base, token)) = endpoint else { return Err(SyncError::NotSignedIn) };
    let stored = download(&base, &token, ca.as_deref(), &files, hash, record)?;
    lock().file_arrived(&stored.hash, stored.kind, stored.size)?;
    Ok(())
}
