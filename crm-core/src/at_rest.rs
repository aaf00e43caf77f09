//! Encryption at rest: a device's store is a SQLCipher database (rusqlite's bundled SQLCipher;
//! AES-256 per page with an HMAC, every page including the header, so without the key the file
//! is noise — not even recognisable as SQLite). A lost laptop gives nobody its customers.
//!
//! A store is opened with a [`StoreKey`]:
//! - [`StoreKey::Raw`]: 32 random bytes, kept in the operating system's keychain (macOS
//!   Keychain, Windows Credential Manager, the Secret Service on a Linux desktop) by the shell
//!   through a [`Keychain`]. SQLCipher uses them as the page key directly.
//! - [`StoreKey::Password`]: where there is no keychain, the person's password; SQLCipher
//!   derives the page key from it (PBKDF2-HMAC-SHA512, 256,000 rounds, with a random salt kept
//!   in the file's first 16 bytes), so the same password on two devices gives two keys.
//!
//! Changing the key ([`rekey`]), encrypting a store that was plain, or making an encrypted one
//! plain again all copy the whole database into a new file under the new key
//! (`sqlcipher_export`) and rename it over the old one: a crash at any moment leaves either the
//! old file under the old key or the new one under the new key, never half of each (SQLCipher's
//! own `PRAGMA rekey` rewrites the pages in place instead, and cannot encrypt a plain file).
//!
//! The files beside an encrypted store (photos, receipts, in `<store>.blobs/`) are sealed one by
//! one ([`FileSeal`]) under a key kept inside the store, so they are as safe as it is and a
//! rekey leaves them be; a store encrypted or made plain again has its files converted when it
//! is next opened ([`files_of`]). Left plain beside the store: the `.lock` file (which program
//! holds it), the profile's card ([`crate::profiles::write_card`]: server, username, name and
//! role, for the switch-user screen), and a file while it is being downloaded (sealed when it is
//! complete) — see the note in `docs/deploy.md` on what encryption at rest covers.

use std::path::{Path, PathBuf};

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use rusqlite::{Connection, ErrorCode};

use crate::attachment::BlobDir;
use crate::error::{Error, Result};

/// The first 16 bytes of every plain SQLite database.
const PLAIN_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// What opens an encrypted store.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreKey {
    /// A random key, as the keychain keeps it.
    Raw([u8; 32]),
    /// A password SQLCipher derives the key from.
    Password(String),
}

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never printed, not even in a panic message.
        match self {
            StoreKey::Raw(_) => f.write_str("StoreKey::Raw(..)"),
            StoreKey::Password(_) => f.write_str("StoreKey::Password(..)"),
        }
    }
}

impl Drop for StoreKey {
    fn drop(&mut self) {
        // Best effort: the bytes do not outlive the key in this value (copies SQLite made are
        // its own to clear; `black_box` keeps the compiler from skipping a write never read).
        match self {
            StoreKey::Raw(bytes) => {
                bytes.fill(0);
                std::hint::black_box(bytes);
            }
            StoreKey::Password(text) => {
                let mut bytes = std::mem::take(text).into_bytes();
                bytes.fill(0);
                std::hint::black_box(&bytes);
            }
        }
    }
}

impl StoreKey {
    /// A new random key from the operating system's generator.
    pub fn generate() -> Result<StoreKey> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
        Ok(StoreKey::Raw(bytes))
    }

    /// The key as a keychain keeps it (hex); a password is never kept.
    pub fn to_secret(&self) -> Option<String> {
        match self {
            StoreKey::Raw(bytes) => Some(crate::store::hex(bytes)),
            StoreKey::Password(_) => None,
        }
    }

    /// A raw key back from its keychain form.
    pub fn from_secret(secret: &str) -> Result<StoreKey> {
        let bytes = crate::store::hex_decode(secret.trim())
            .filter(|b| b.len() == 32)
            .ok_or_else(|| Error::Corrupt("the keychain holds something that is not a store key".into()))?;
        let mut key = [0u8; 32];
        key.copy_from_slice(&bytes);
        Ok(StoreKey::Raw(key))
    }

    /// The value `PRAGMA key`, `ATTACH … KEY` take: `x'…'` for a raw key, the password as is.
    fn sql_value(&self) -> String {
        match self {
            StoreKey::Raw(bytes) => format!("x'{}'", crate::store::hex(bytes)),
            StoreKey::Password(text) => text.clone(),
        }
    }
}

/// Where a shell keeps raw store keys: the operating system's keychain. `account` names the
/// store (its path), so each profile on a device has its own key.
pub trait Keychain: Send + Sync {
    fn get(&self, account: &str) -> Result<Option<String>>;
    fn set(&self, account: &str, secret: &str) -> Result<()>;
    fn delete(&self, account: &str) -> Result<()>;
}

/// The account a store's key is kept under in a [`Keychain`]: its path with its folder resolved
/// (symbolic links, `..`), so every spelling of the data directory finds the same key.
pub fn keychain_account(path: &Path) -> String {
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let resolved = std::fs::canonicalize(folder)
        .map(|dir| path.file_name().map_or(dir.clone(), |name| dir.join(name)))
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf());
    resolved.to_string_lossy().into_owned()
}

/// Whether the file at `path` is an encrypted store (it exists, has a first page, and that page
/// is not plain SQLite). A file too short to tell is taken as plain: SQLite writes the header
/// with the first page.
pub fn is_encrypted(path: &Path) -> bool {
    use std::io::Read;
    let Ok(mut file) = std::fs::File::open(path) else { return false };
    let mut header = [0u8; 16];
    match file.read_exact(&mut header) {
        Ok(()) => &header != PLAIN_HEADER,
        Err(_) => false,
    }
}

/// Key a connection just opened, and prove the key right by reading the schema. A new (empty)
/// file becomes encrypted under the key with its first write.
pub(crate) fn unlock(conn: &Connection, key: &StoreKey) -> Result<()> {
    // A wrong key is an answer for the person, not a line on stderr.
    conn.pragma_update(None, "cipher_log_level", "NONE")?;
    conn.pragma_update(None, "key", key.sql_value())?;
    // Decrypted pages never spill to a plain temporary file.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get::<_, i64>(0)).map_err(wrong_key)?;
    Ok(())
}

/// SQLite's "not a database" after keying means the key does not open the file.
fn wrong_key(e: rusqlite::Error) -> Error {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => Error::WrongKey,
        _ => Error::Storage(e),
    }
}

/// Put the store at `path` under `new` (`None`: plain), from `old` (`None`: it is plain now).
/// Nobody may hold the store meanwhile (it is locked for the copy). The whole database is
/// copied into a new file under the new key, flushed to disk, and renamed over the old one.
pub fn rekey(path: &Path, old: Option<&StoreKey>, new: Option<&StoreKey>) -> Result<()> {
    let _held = crate::store::lock_store(path)?;
    let conn = Connection::open(path)?;
    match old {
        Some(key) => unlock(&conn, key)?,
        None if is_encrypted(path) => return Err(Error::StoreLocked),
        None => {}
    }
    // Everything in the main file, the write-ahead log emptied into it — all of it, or the
    // log is not removed below: a reader without the lock (the profile list) may hold it.
    let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
    if busy != 0 {
        return Err(Error::InUse { holder: "a reader of this store".into() });
    }
    let fresh = sibling(path, ".rekey");
    let _ = std::fs::remove_file(&fresh);
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let copied = (|| -> Result<()> {
        let new_value = new.map(StoreKey::sql_value).unwrap_or_default();
        conn.execute("ATTACH DATABASE ?1 AS fresh KEY ?2", rusqlite::params![fresh.to_string_lossy(), new_value])?;
        conn.query_row("SELECT sqlcipher_export('fresh')", [], |_| Ok(()))?;
        conn.execute_batch(&format!("PRAGMA fresh.user_version = {version}"))?;
        conn.execute_batch("DETACH DATABASE fresh")?;
        Ok(())
    })();
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&fresh);
        return Err(e);
    }
    drop(conn);
    // Written handle: Windows refuses to flush one opened only for reading.
    std::fs::OpenOptions::new().read(true).write(true).open(&fresh)?.sync_all()?;
    // The old file's log and shared memory belong to the old key; none is left after the
    // checkpoint, but a stale one must never be read under the new key.
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(sibling(path, suffix));
    }
    std::fs::rename(&fresh, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::attachment::sync_dir(dir)?;
    }
    Ok(())
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// How a sealed file begins. No file an attachment may be does (its type is read from its first
/// bytes), so a file is told sealed or plain by looking.
const SEALED: &[u8; 8] = b"FCRMseal";

/// The bytes sealing adds to a file: the mark, the nonce and the tag.
pub const SEAL_OVERHEAD: u64 = (SEALED.len() + NONCE_LEN + 16) as u64;

/// The key the files beside an encrypted store are sealed with: ChaCha20-Poly1305, a random
/// nonce per file, and the file's name (its hash) as associated data, so a file put under
/// another's name does not open. The key is 32 random bytes kept inside the store
/// (`meta.file_key`).
pub struct FileSeal(LessSafeKey);

impl std::fmt::Debug for FileSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FileSeal(..)")
    }
}

impl FileSeal {
    pub fn new(key: &[u8]) -> Result<FileSeal> {
        let key =
            UnboundKey::new(&CHACHA20_POLY1305, key).map_err(|_| Error::Corrupt("a file key is 32 bytes".into()))?;
        Ok(FileSeal(LessSafeKey::new(key)))
    }

    /// Whether a file that begins with `head` is sealed.
    pub fn is_sealed(head: &[u8]) -> bool {
        head.starts_with(SEALED)
    }

    /// `plain`, the file `name`, sealed.
    pub fn seal(&self, name: &str, plain: &[u8]) -> std::io::Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| std::io::Error::other(e.to_string()))?;
        let mut out = Vec::with_capacity(plain.len() + SEAL_OVERHEAD as usize);
        out.extend_from_slice(SEALED);
        out.extend_from_slice(&nonce);
        let at = out.len();
        out.extend_from_slice(plain);
        // Encrypted where it lies, the tag after it: the file's bytes are copied once.
        let tag = self
            .0
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(name.as_bytes()), &mut out[at..])
            .map_err(|_| std::io::Error::other("the file could not be sealed"))?;
        out.extend_from_slice(tag.as_ref());
        Ok(out)
    }

    /// The plain bytes of the sealed file `name`, decrypted where they lie.
    pub fn open(&self, name: &str, sealed: Vec<u8>) -> std::io::Result<Vec<u8>> {
        let broken = || {
            let message =
                format!("file {name} does not open with this store's key: it is damaged, or not this store's");
            std::io::Error::new(std::io::ErrorKind::InvalidData, message)
        };
        let header = SEALED.len() + NONCE_LEN;
        if !FileSeal::is_sealed(&sealed) || sealed.len() < header {
            return Err(broken());
        }
        let nonce = Nonce::try_assume_unique_for_key(&sealed[SEALED.len()..header]).map_err(|_| broken())?;
        let mut body = sealed;
        body.drain(..header);
        let n = self.0.open_in_place(nonce, Aad::from(name.as_bytes()), &mut body).map_err(|_| broken())?.len();
        body.truncate(n);
        Ok(body)
    }
}

/// The files of the store on `conn` as its encryption says: sealed under its file key when it
/// is `encrypted` (a key is made the first time), plain when it is not. Files an earlier state
/// left the other way — a store just encrypted, or made plain again — are converted now, each
/// replaced whole and on disk before the store says they are done, so a crash part-way leaves
/// every file readable and the next open goes on; a file that cannot be converted (damaged) is
/// reported and left, and the store still opens.
pub(crate) fn files_of(conn: &Connection, files: BlobDir, encrypted: bool) -> Result<BlobDir> {
    let meta = |key: &str| crate::store::get_meta(conn, key);
    let seal = |hex: &str| {
        let bytes =
            crate::store::hex_decode(hex).ok_or_else(|| Error::Corrupt("the store's file key is not hex".into()))?;
        FileSeal::new(&bytes)
    };
    match (encrypted, meta("file_key")?) {
        (false, None) => Ok(files),
        (false, Some(key)) => {
            // Not all sealed any more (were it encrypted again, every file is looked at); the
            // key goes only once no file needs it.
            let left = files.clone().sealed(seal(&key)?).reseal(false)?;
            conn.execute("DELETE FROM meta WHERE key = 'files_sealed'", [])?;
            if left == 0 {
                conn.execute("DELETE FROM meta WHERE key = 'file_key'", [])?;
            }
            Ok(files)
        }
        (true, key) => {
            let key = match key {
                Some(key) => key,
                None => {
                    let mut bytes = [0u8; 32];
                    getrandom::fill(&mut bytes).map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
                    let key = crate::store::hex(&bytes);
                    crate::store::set_meta(conn, "file_key", &key)?;
                    key
                }
            };
            let files = files.sealed(seal(&key)?);
            if meta("files_sealed")?.as_deref() != Some("1") && files.reseal(true)? == 0 {
                crate::store::set_meta(conn, "files_sealed", "1")?;
            }
            Ok(files)
        }
    }
}
