//! Attachments: photos, receipts, signatures and documents as content-addressed blobs.
//!
//! A file is named by the SHA-256 of its bytes (64 lowercase hex digits) and referenced from
//! records by that hash, in an attachment list (`{hash, name, type, size, thumb, taken_at}`
//! items, [`crate::kind::ATTACHMENT`]) or a single [`FieldType::Blob`] field. The bytes never travel in the
//! change stream: devices and the server keep them in a [`BlobDir`] beside their database and
//! move them over their own HTTP endpoint (docs/api.md, "Attachments"), where whoever may read a
//! record that references a hash may fetch it, and nobody else.
//!
//! What a file may be is decided here, once, for the device that takes it and the server that
//! receives it: its type is read from its first bytes (a file named `.jpg` that is not a JPEG is
//! refused), and its size is bounded ([`MAX_BYTES`]; a thumbnail [`MAX_THUMB_BYTES`]).

pub mod local;

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde_json::json;
use sha2::{Digest, Sha256};

use crate::at_rest::{FileSeal, SEAL_OVERHEAD};
use crate::error::FieldError;
use crate::kind::{FieldSpec, FieldType, KindSpec};
use crate::value::FieldValue;

/// The largest file a record may carry: a phone's photo is 3–8 MB, a scanned contract more.
pub const MAX_BYTES: u64 = 20 * 1024 * 1024;
/// The largest thumbnail (a list's picture, some 320 px wide).
pub const MAX_THUMB_BYTES: u64 = 256 * 1024;

/// The file types an attachment may have, as their first bytes tell.
pub const TYPES: &[&str] = &["image/jpeg", "image/png", "image/webp", "image/gif", "image/heic", "application/pdf"];

/// Whether `field` is an attachment list (its items are [`crate::kind::ATTACHMENT`]). Compared
/// by what the parts are, not by address: two references to one static slice need not be equal
/// pointers once the compiler has copied it into other statics.
pub fn is_attachment_list(field: &FieldSpec) -> bool {
    let ours = crate::kind::ATTACHMENT;
    matches!(field.ty, FieldType::Items(parts)
        if parts.len() == ours.len() && parts.iter().zip(ours).all(|(a, b)| a.name == b.name && a.ty == b.ty))
}

/// The type `head` (a file's first bytes, 16 are enough) says it is, if it is one of [`TYPES`].
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    let starts = |magic: &[u8]| head.starts_with(magic);
    if starts(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        Some("image/webp")
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some("image/gif")
    } else if head.len() >= 12 && &head[4..8] == b"ftyp" && matches!(&head[8..12], b"heic" | b"heix" | b"mif1") {
        Some("image/heic")
    } else if starts(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

/// The SHA-256 of `bytes`, as 64 lowercase hex digits.
pub fn hash_of(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `s` is a hash as attachments name files: 64 lowercase hex digits.
pub fn is_hash(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Why a file is not taken, as a validation error of the field `field` (the request's `data`,
/// an upload's body): `empty_file`, `file_too_large`, `unsupported_file_type` or
/// `file_type_mismatch` (it says it is one type and its bytes are another).
pub fn check(
    field: &str,
    declared: Option<&str>,
    head: &[u8],
    size: u64,
    limit: u64,
) -> Result<&'static str, FieldError> {
    check_size(field, size, limit)?;
    let Some(actual) = sniff(head) else {
        return Err(FieldError::with(field, "unsupported_file_type", json!({ "allowed": TYPES })));
    };
    match declared {
        Some(said) if !said.eq_ignore_ascii_case(actual) => {
            Err(FieldError::with(field, "file_type_mismatch", json!({ "declared": said, "actual": actual })))
        }
        _ => Ok(actual),
    }
}

/// A file of `size` bytes is not empty and within `limit` (known before its bytes arrive).
pub fn check_size(field: &str, size: u64, limit: u64) -> Result<(), FieldError> {
    if size == 0 {
        return Err(FieldError::with(field, "empty_file", json!({})));
    }
    if size > limit {
        return Err(FieldError::with(field, "file_too_large", json!({ "size": size, "max_bytes": limit })));
    }
    Ok(())
}

/// A sentence for a refused file, for an HTTP answer's `message`.
pub fn explain(e: &FieldError) -> String {
    let p = &e.params;
    match e.reason {
        "empty_file" => "the file is empty".into(),
        "file_too_large" => format!(
            "the file is {} bytes; attachments may be at most {} bytes ({} MB)",
            p["size"],
            p["max_bytes"],
            p["max_bytes"].as_u64().unwrap_or(0) / (1024 * 1024)
        ),
        "unsupported_file_type" => {
            format!("this kind of file cannot be attached; its content is none of {}", TYPES.join(", "))
        }
        "file_type_mismatch" => format!(
            "the file says it is {} but its content is {}: it was not taken",
            p["declared"].as_str().unwrap_or("?"),
            p["actual"].as_str().unwrap_or("?")
        ),
        "hash_mismatch" => "the bytes received do not have the hash they were sent as; send the file again".into(),
        other => other.replace('_', " "),
    }
}

/// One file a record references: its hash, and whether it is a thumbnail (devices keep those
/// for every record they hold; full files are fetched when opened).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobRef {
    pub hash: String,
    pub thumb: bool,
}

/// The files a record of `spec` references, from its fields' values (`read`): single
/// [`FieldType::Blob`] fields and the blob parts of its item lists (an attachment's `hash` and
/// `thumb`). The device's `blob_refs` read model and the server's both come from this.
pub fn referenced(spec: &KindSpec, read: impl Fn(&FieldSpec) -> Option<FieldValue>) -> Vec<BlobRef> {
    let mut out = Vec::new();
    // Only fields that can hold a file are read: reading a field decodes it.
    let holds_files = |ty: &FieldType| match ty {
        FieldType::Blob => true,
        FieldType::Items(parts) => parts.iter().any(|p| matches!(p.ty, FieldType::Blob)),
        _ => false,
    };
    for field in spec.fields.iter().filter(|f| holds_files(&f.ty)) {
        match (field.ty, read(field)) {
            (FieldType::Blob, Some(FieldValue::Str(hash))) => out.push(BlobRef { hash, thumb: false }),
            (FieldType::Items(parts), Some(FieldValue::Items(items))) => {
                for part in parts.iter().filter(|p| matches!(p.ty, FieldType::Blob)) {
                    for item in &items {
                        if let Some(hash) = item.text(part.name) {
                            out.push(BlobRef { hash: hash.to_string(), thumb: part.name == "thumb" });
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out.retain(|r| is_hash(&r.hash));
    out.sort();
    out.dedup();
    out
}

/// Files by hash in a directory: `AB/ABCDEF…` when complete, `partial/ABCDEF…` while arriving.
/// Complete files are written whole and renamed into place, so a file under its hash always has
/// that hash; a partial one grows by appends at its end, so an interrupted transfer resumes
/// from what arrived.
///
/// A device's directory beside an encrypted store is sealed ([`BlobDir::sealed`]): complete files
/// are kept sealed ([`crate::at_rest::FileSeal`]) and every method here reads and writes their
/// plain bytes, so callers never see the difference.
#[derive(Debug, Clone)]
pub struct BlobDir {
    root: PathBuf,
    seal: Option<std::sync::Arc<FileSeal>>,
}

/// What a finished transfer turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub hash: String,
    pub kind: &'static str,
    pub size: u64,
}

impl BlobDir {
    pub fn new(root: impl Into<PathBuf>) -> BlobDir {
        BlobDir { root: root.into(), seal: None }
    }

    /// The same directory, its complete files written sealed with `seal` (and read either way).
    pub fn sealed(self, seal: FileSeal) -> BlobDir {
        BlobDir { seal: Some(std::sync::Arc::new(seal)), ..self }
    }

    /// The directory beside the database at `db`: `DB.blobs`.
    pub fn beside(db: &Path) -> BlobDir {
        let mut name = db.as_os_str().to_owned();
        name.push(".blobs");
        BlobDir::new(PathBuf::from(name))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, hash: &str) -> io::Result<PathBuf> {
        if !is_hash(hash) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a file hash"));
        }
        Ok(self.root.join(&hash[..2]).join(hash))
    }

    fn partial_path(&self, hash: &str) -> io::Result<PathBuf> {
        Ok(self.root.join("partial").join(self.path(hash)?.file_name().unwrap_or_default()))
    }

    /// The size of the complete file `hash`, if it is here.
    pub fn size(&self, hash: &str) -> io::Result<Option<u64>> {
        let path = self.path(hash)?;
        let len = match fs::metadata(&path) {
            Ok(m) => m.len(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        // Only a sealed directory holds sealed files (`crate::at_rest::files_of`).
        if self.seal.is_none() {
            return Ok(Some(len));
        }
        Ok(Some(if begins_sealed(&mut File::open(&path)?)? { len.saturating_sub(SEAL_OVERHEAD) } else { len }))
    }

    /// The bytes of the complete file `hash`, if it is here.
    pub fn read(&self, hash: &str) -> io::Result<Option<Vec<u8>>> {
        match fs::read(self.path(hash)?) {
            Ok(bytes) if FileSeal::is_sealed(&bytes) => self.unseal(hash, bytes).map(Some),
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn unseal(&self, hash: &str, sealed: Vec<u8>) -> io::Result<Vec<u8>> {
        match &self.seal {
            Some(seal) => seal.open(hash, sealed),
            None => Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("file {hash} is sealed: open its store with its key to read it"),
            )),
        }
    }

    /// The complete file `hash` from byte `from` on (a sealed file is opened whole first: at
    /// most [`MAX_BYTES`]).
    pub fn open_at(&self, hash: &str, from: u64) -> io::Result<Box<dyn Read + Send>> {
        let mut file = File::open(self.path(hash)?)?;
        if begins_sealed(&mut file)? {
            let mut sealed = Vec::new();
            file.seek(SeekFrom::Start(0))?;
            file.read_to_end(&mut sealed)?;
            let mut plain = io::Cursor::new(self.unseal(hash, sealed)?);
            plain.set_position(from);
            return Ok(Box::new(plain));
        }
        file.seek(SeekFrom::Start(from))?;
        Ok(Box::new(file))
    }

    /// Keep `bytes` under their hash (written to the side, synced, renamed into place).
    pub fn put(&self, bytes: &[u8]) -> io::Result<String> {
        let hash = hash_of(bytes);
        if !self.path(&hash)?.exists() {
            self.write_complete(&hash, bytes)?;
        }
        Ok(hash)
    }

    /// Write `plain` as the complete file `hash` (sealed in a sealed directory), replacing what
    /// is there: written to the side, synced, renamed into place.
    fn write_complete(&self, hash: &str, plain: &[u8]) -> io::Result<()> {
        let path = self.path(hash)?;
        let dir = path.parent().unwrap_or(&self.root);
        fs::create_dir_all(dir)?;
        let tmp = dir.join(format!(".{hash}.{}", uuid::Uuid::new_v4().simple()));
        let mut file = File::create(&tmp)?;
        match &self.seal {
            Some(seal) => file.write_all(&seal.seal(hash, plain)?)?,
            None => file.write_all(plain)?,
        }
        file.sync_all()?;
        fs::rename(&tmp, &path)?;
        // The rename is on disk too: the record that names the file may be committed next.
        sync_dir(dir)
    }

    /// Make every complete file sealed (`true`; the directory must be [`BlobDir::sealed`]) or
    /// plain, each one replaced whole. How many are left as they were because they could not be
    /// converted (damaged, or sealed by another key): reported, not fatal, so one bad file does
    /// not keep the others (or the store) from opening.
    pub fn reseal(&self, sealed: bool) -> io::Result<usize> {
        if sealed && self.seal.is_none() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "sealing files needs a sealed directory"));
        }
        // Where the files are written: this directory, or it without its seal.
        let to = BlobDir { seal: self.seal.clone().filter(|_| sealed), root: self.root.clone() };
        let mut left = 0;
        for (hash, path) in self.complete_files()? {
            let converted = (|| {
                // Only a file to convert is read whole.
                if begins_sealed(&mut File::open(&path)?)? == sealed {
                    return Ok(());
                }
                let bytes = fs::read(&path)?;
                let plain = if sealed { bytes } else { self.unseal(&hash, bytes)? };
                to.write_complete(&hash, &plain)
            })();
            if let Err(e) = converted {
                eprintln!("file {hash} was left {}: {e}", if sealed { "plain" } else { "sealed" });
                left += 1;
            }
        }
        Ok(left)
    }

    /// Every complete file here: (hash, path).
    fn complete_files(&self) -> io::Result<Vec<(String, PathBuf)>> {
        let mut files = Vec::new();
        let shards = match fs::read_dir(&self.root) {
            Ok(shards) => shards,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(files),
            Err(e) => return Err(e),
        };
        for shard in shards {
            let shard = shard?;
            if !shard.file_type()?.is_dir() || shard.file_name() == "partial" {
                continue;
            }
            for file in fs::read_dir(shard.path())? {
                let file = file?;
                let name = file.file_name().to_string_lossy().into_owned();
                if is_hash(&name) {
                    files.push((name, file.path()));
                }
            }
        }
        Ok(files)
    }

    /// How many bytes of `hash` have arrived so far (0 when none).
    pub fn received(&self, hash: &str) -> io::Result<u64> {
        match fs::metadata(self.partial_path(hash)?) {
            Ok(m) => Ok(m.len()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(0),
            Err(e) => Err(e),
        }
    }

    /// Add `bytes` to the arriving `hash` at offset `at`, which must be where it ends now
    /// (else `Err(received)`, and nothing is written). Returns the new length.
    pub fn append(&self, hash: &str, at: u64, bytes: &[u8]) -> io::Result<Result<u64, u64>> {
        let path = self.partial_path(hash)?;
        fs::create_dir_all(path.parent().unwrap_or(&self.root))?;
        let mut file = OpenOptions::new().create(true).append(true).open(&path)?;
        let len = file.metadata()?.len();
        if len != at {
            return Ok(Err(len));
        }
        file.write_all(bytes)?;
        file.sync_data()?;
        Ok(Ok(len + bytes.len() as u64))
    }

    /// The arriving `hash` is complete: check that its bytes have that hash and are a file an
    /// attachment may be (`declared` its type as the sender said, `limit` its largest size),
    /// and move it into place. A file that fails is deleted and the reason returned.
    pub fn finish(&self, hash: &str, declared: Option<&str>, limit: u64) -> io::Result<Result<Stored, FieldError>> {
        let partial = self.partial_path(hash)?;
        let verdict = (|| {
            let mut file = File::open(&partial)?;
            let size = file.metadata()?.len();
            let mut head = [0u8; 16];
            let n = read_up_to(&mut file, &mut head)?;
            let kind = match check("file", declared, &head[..n], size, limit) {
                Ok(kind) => kind,
                Err(e) => return Ok(Err(e)),
            };
            file.seek(SeekFrom::Start(0))?;
            let mut digest = Sha256::new();
            let mut buf = vec![0u8; 256 * 1024];
            loop {
                let n = file.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                digest.update(&buf[..n]);
            }
            if hex(&digest.finalize()) != hash {
                return Ok(Err(FieldError::with("file", "hash_mismatch", json!({ "hash": hash }))));
            }
            Ok(Ok(Stored { hash: hash.to_string(), kind, size }))
        })();
        match verdict {
            Ok(Ok(stored)) => {
                if self.seal.is_some() {
                    self.write_complete(hash, &fs::read(&partial)?)?;
                    fs::remove_file(&partial)?;
                } else {
                    let path = self.path(hash)?;
                    let dir = path.parent().unwrap_or(&self.root);
                    fs::create_dir_all(dir)?;
                    fs::rename(&partial, &path)?;
                    sync_dir(dir)?;
                }
                Ok(Ok(stored))
            }
            Ok(Err(refused)) => {
                let _ = fs::remove_file(&partial);
                Ok(Err(refused))
            }
            Err(e) => Err(e),
        }
    }

    /// Forget an arriving `hash`.
    pub fn discard(&self, hash: &str) -> io::Result<()> {
        match fs::remove_file(self.partial_path(hash)?) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Delete the complete file `hash` (nothing if it is not here).
    pub fn remove(&self, hash: &str) -> io::Result<()> {
        match fs::remove_file(self.path(hash)?) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Delete unfinished transfers nothing was added to for `age`. How many went.
    pub fn discard_stale(&self, age: std::time::Duration) -> io::Result<usize> {
        let Ok(entries) = fs::read_dir(self.root.join("partial")) else { return Ok(0) };
        let mut gone = 0;
        for entry in entries.flatten() {
            // One finished (and so moved away) meanwhile is not an error.
            let gone_meanwhile = |e: &io::Error| e.kind() == io::ErrorKind::NotFound;
            let stale = match entry.metadata().and_then(|m| m.modified()) {
                Ok(at) => at.elapsed().is_ok_and(|idle| idle > age),
                Err(e) if gone_meanwhile(&e) => false,
                Err(e) => return Err(e),
            };
            if stale {
                match fs::remove_file(entry.path()) {
                    Ok(()) => gone += 1,
                    Err(e) if gone_meanwhile(&e) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(gone)
    }

    /// Give `to` every complete file here it lacks — hard-linked where the file system allows
    /// (files never change under their hash, so a link is as good as a copy), copied otherwise.
    /// How many it got. A backup keeps its database's files this way, and a restore puts back
    /// the ones the backup knew.
    pub fn copy_into(&self, to: &BlobDir) -> io::Result<usize> {
        let mut given = 0;
        for (name, path) in self.complete_files()? {
            if to.size(&name)?.is_some() {
                continue;
            }
            let target = to.path(&name)?;
            fs::create_dir_all(target.parent().unwrap_or(&to.root))?;
            if fs::hard_link(&path, &target).is_err() {
                let tmp = target.with_extension("part");
                fs::copy(&path, &tmp)?;
                fs::rename(&tmp, &target)?;
            }
            given += 1;
        }
        Ok(given)
    }

    /// Delete every file, complete or arriving.
    pub fn clear(&self) -> io::Result<()> {
        match fs::remove_dir_all(&self.root) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// Make the names in directory `dir` (a rename into it) durable. Unix syncs a directory through
/// a handle to it; Windows can open none, and its file system orders a rename's metadata itself.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Whether the file read from its start by `file` is sealed (its first bytes read).
fn begins_sealed(file: &mut File) -> io::Result<bool> {
    let mut head = [0u8; 8];
    let n = read_up_to(file, &mut head)?;
    Ok(FileSeal::is_sealed(&head[..n]))
}

/// Fill `buf` as far as the reader goes; how many bytes that was.
fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_read_from_the_first_bytes_not_taken_from_the_name() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0"), Some("image/png"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(sniff(b"MZ\x90\0 an exe"), None);
        let e = check("data", Some("image/jpeg"), b"\x89PNG\r\n\x1a\n", 10, MAX_BYTES).unwrap_err();
        assert_eq!((e.reason, e.params["actual"].as_str()), ("file_type_mismatch", Some("image/png")));
        assert_eq!(check("data", None, b"hello", 5, MAX_BYTES).unwrap_err().reason, "unsupported_file_type");
        assert_eq!(
            check("data", None, &[0xFF, 0xD8, 0xFF], MAX_BYTES + 1, MAX_BYTES).unwrap_err().reason,
            "file_too_large"
        );
        assert_eq!(check("data", None, &[], 0, MAX_BYTES).unwrap_err().reason, "empty_file");
    }

    #[test]
    fn a_transfer_resumes_where_it_stopped_and_only_the_right_bytes_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobDir::new(dir.path());
        let mut photo = vec![0xFF, 0xD8, 0xFF, 0xE0];
        photo.extend((0..100_000u32).map(|i| (i % 251) as u8));
        let hash = hash_of(&photo);
        assert_eq!(blobs.append(&hash, 0, &photo[..40_000]).unwrap(), Ok(40_000));
        // A sender that lost track is told where the file ends and nothing is written.
        assert_eq!(blobs.append(&hash, 10, &photo[10..20]).unwrap(), Err(40_000));
        assert_eq!(blobs.received(&hash).unwrap(), 40_000);
        assert_eq!(blobs.append(&hash, 40_000, &photo[40_000..]).unwrap(), Ok(photo.len() as u64));
        let stored = blobs.finish(&hash, Some("image/jpeg"), MAX_BYTES).unwrap().unwrap();
        assert_eq!((stored.kind, stored.size), ("image/jpeg", photo.len() as u64));
        assert_eq!(blobs.read(&hash).unwrap().unwrap(), photo);
        assert_eq!(blobs.received(&hash).unwrap(), 0);

        // Bytes that are not what their hash says are dropped.
        let other = hash_of(b"something else");
        blobs.append(&other, 0, &photo).unwrap().unwrap();
        assert_eq!(blobs.finish(&other, None, MAX_BYTES).unwrap().unwrap_err().reason, "hash_mismatch");
        assert_eq!((blobs.received(&other).unwrap(), blobs.size(&other).unwrap()), (0, None));
        assert!(blobs.path("../../etc/passwd").is_err());
    }

    #[test]
    fn a_sealed_directory_keeps_files_sealed_and_gives_back_their_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobDir::new(dir.path()).sealed(FileSeal::new(&[7u8; 32]).unwrap());
        let mut photo = vec![0xFF, 0xD8, 0xFF, 0xE0];
        photo.extend((0..50_000u32).map(|i| (i % 241) as u8));
        let hash = blobs.put(&photo).unwrap();
        let on_disk = fs::read(blobs.path(&hash).unwrap()).unwrap();
        assert!(FileSeal::is_sealed(&on_disk) && !on_disk.windows(64).any(|w| w == &photo[1000..1064]));
        assert_eq!(on_disk.len() as u64, photo.len() as u64 + SEAL_OVERHEAD);
        assert_eq!(blobs.read(&hash).unwrap().unwrap(), photo);
        assert_eq!(blobs.size(&hash).unwrap(), Some(photo.len() as u64));
        let mut tail = Vec::new();
        blobs.open_at(&hash, 49_000).unwrap().read_to_end(&mut tail).unwrap();
        assert_eq!(tail, photo[49_000..]);

        // A download is sealed when it is complete.
        let mut scan = vec![0xFF, 0xD8, 0xFF, 0xE1];
        scan.extend((0..30_000u32).map(|i| (i % 239) as u8));
        let scanned = hash_of(&scan);
        blobs.append(&scanned, 0, &scan).unwrap().unwrap();
        blobs.finish(&scanned, None, MAX_BYTES).unwrap().unwrap();
        assert!(FileSeal::is_sealed(&fs::read(blobs.path(&scanned).unwrap()).unwrap()));
        assert_eq!(blobs.read(&scanned).unwrap().unwrap(), scan);

        // A sealed file put under another file's name, or read with another key, does not open.
        fs::copy(blobs.path(&hash).unwrap(), blobs.path(&scanned).unwrap()).unwrap();
        assert_eq!(blobs.read(&scanned).unwrap_err().kind(), io::ErrorKind::InvalidData);
        let other = BlobDir::new(dir.path()).sealed(FileSeal::new(&[8u8; 32]).unwrap());
        assert_eq!(other.read(&hash).unwrap_err().kind(), io::ErrorKind::InvalidData);

        // Made plain, then sealed again; a plain file reads the same through a sealed directory.
        fs::remove_file(blobs.path(&scanned).unwrap()).unwrap();
        assert_eq!(blobs.reseal(false).unwrap(), 0, "none left sealed");
        assert_eq!(fs::read(blobs.path(&hash).unwrap()).unwrap(), photo);
        assert_eq!(blobs.read(&hash).unwrap().unwrap(), photo);
        assert!(BlobDir::new(dir.path()).reseal(true).is_err(), "sealing needs a key");
        assert_eq!(blobs.reseal(true).unwrap(), 0, "none left plain");
        assert!(FileSeal::is_sealed(&fs::read(blobs.path(&hash).unwrap()).unwrap()));
        assert_eq!(blobs.read(&hash).unwrap().unwrap(), photo);
        // A file that cannot be unsealed is left and counted; the others are converted.
        let other_photo = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3];
        let kept = blobs.put(&other_photo).unwrap();
        fs::copy(blobs.path(&kept).unwrap(), blobs.path(&scanned).unwrap()).unwrap();
        assert_eq!(blobs.reseal(false).unwrap(), 1, "the file under another's name stays sealed");
        assert_eq!(fs::read(blobs.path(&hash).unwrap()).unwrap(), photo);
        assert_eq!(fs::read(blobs.path(&kept).unwrap()).unwrap(), other_photo);
    }
}

#[cfg(test)]
mod lists {
    use crate::kind::Kind;

    #[test]
    fn every_attachment_list_is_known_as_one() {
        let lists: Vec<(Kind, &str)> = Kind::ALL
            .iter()
            .flat_map(|k| k.spec().fields.iter().filter(|f| super::is_attachment_list(f)).map(move |f| (*k, f.name)))
            .collect();
        assert_eq!(
            lists,
            [
                (Kind::Customer, "photos"),
                (Kind::Activity, "photos"),
                (Kind::ServiceRequest, "attachments"),
                (Kind::Expense, "receipts")
            ]
        );
    }
}
