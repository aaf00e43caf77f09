//! The people who work on one device, each in a store of their own (a shared tablet in an
//! office): signing in as someone else opens that person's store, so one person's unsent
//! edits are never sent under another's session, and what a person may no longer read is
//! removed from their store when it next syncs.
//!
//! A data directory holds the first store at `crm.sqlite3` (the one a device always had,
//! also the local profile of someone who has not signed in) and further ones under
//! `profiles/`. Which one is open is kept in `current-profile`. The list of profiles is read
//! from the stores themselves, so it cannot disagree with them.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// The store every data directory starts with.
pub const FIRST: &str = "crm.sqlite3";
const CURRENT: &str = "current-profile";
const MORE: &str = "profiles";

/// One person's store on this device, as the switch-user screen lists it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Profile {
    /// The store's file, relative to the data directory: what identifies the profile.
    pub id: String,
    /// The server it signs in to; `None` for a local profile that never signed in.
    pub server: Option<String>,
    pub username: Option<String>,
    pub user_id: Option<String>,
    pub display_name: Option<String>,
    pub role: Option<String>,
    /// Edits made in it that have not reached the server.
    pub pending: i64,
    /// Signed in (has a token) rather than signed out.
    pub signed_in: bool,
    /// Encrypted ([`crate::at_rest`]): what is listed comes from the store's card, written
    /// when it was last open (its `pending` and `signed_in` as they were then).
    pub encrypted: bool,
}

/// The store a shell opens in `dir`: the one last used.
pub fn current_path(dir: &Path) -> PathBuf {
    dir.join(current(dir))
}

/// The id of the store last used in `dir`.
pub fn current(dir: &Path) -> String {
    std::fs::read_to_string(dir.join(CURRENT))
        .ok()
        .map(|id| id.trim().to_string())
        .filter(|id| valid_id(id) && dir.join(id).exists())
        .unwrap_or_else(|| FIRST.to_string())
}

/// Remember `id` as the store to open next time (written whole, then renamed into place).
pub fn set_current(dir: &Path, id: &str) -> Result<()> {
    let tmp = dir.join(format!("{CURRENT}.tmp"));
    let mut file = std::fs::File::create(&tmp)?;
    std::io::Write::write_all(&mut file, id.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(tmp, dir.join(CURRENT))?;
    Ok(())
}

/// A file name for a new person's store.
pub fn new_id() -> String {
    format!("{MORE}/{}.sqlite3", uuid::Uuid::new_v4())
}

/// The path of the store `id`, its folder made.
pub fn prepare(dir: &Path, id: &str) -> Result<PathBuf> {
    let path = dir.join(id);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    Ok(path)
}

/// Remove a store made for a sign-in that failed (nothing was written to it).
pub fn remove(dir: &Path, id: &str) {
    for suffix in ["", "-wal", "-shm", ".lock", CARD] {
        let _ = std::fs::remove_file(dir.join(format!("{id}{suffix}")));
    }
}

/// The id is one this module made: no way out of the data directory.
fn valid_id(id: &str) -> bool {
    id == FIRST
        || id
            .strip_prefix("profiles/")
            .and_then(|rest| rest.strip_suffix(".sqlite3"))
            .is_some_and(|uuid| uuid::Uuid::parse_str(uuid).is_ok())
}

/// Every profile in `dir`, the first store first. Stores are read without opening them as
/// stores (no lock taken, no migration), so a profile open in another process is listed too.
pub fn list(dir: &Path) -> Vec<Profile> {
    let mut ids = vec![FIRST.to_string()];
    if let Ok(entries) = std::fs::read_dir(dir.join(MORE)) {
        let mut more: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().map(|name| format!("{MORE}/{name}")))
            .filter(|id| valid_id(id))
            .collect();
        more.sort();
        ids.extend(more);
    }
    ids.into_iter().filter(|id| dir.join(id).exists()).filter_map(|id| read(dir, &id).ok().flatten()).collect()
}

fn read(dir: &Path, id: &str) -> Result<Option<Profile>> {
    let path = dir.join(id);
    if crate::at_rest::is_encrypted(&path) {
        let Ok(card) = std::fs::read(card_path(&path)) else { return Ok(None) };
        return Ok(serde_json::from_slice::<Profile>(&card).ok().map(|p| Profile { id: id.to_string(), ..p }));
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    read_open(&conn, id)
}

/// The profile of the store `id` open on `conn`.
fn read_open(conn: &Connection, id: &str) -> Result<Option<Profile>> {
    let meta = |key: &str| crate::store::get_meta(conn, key);
    let Some(user_id) = meta("user_id")? else { return Ok(None) };
    let mut username = meta("username")?;
    if username.is_none() {
        // Stores signed in before usernames were kept: the user's own record has it.
        let sql = format!("SELECT username FROM {} WHERE id = ?", crate::Kind::User.table());
        username = conn.query_row(&sql, [&user_id], |r| r.get(0)).optional().ok().flatten();
    }
    Ok(Some(Profile {
        id: id.to_string(),
        server: meta("sync_url")?,
        username,
        display_name: meta("display_name")?,
        role: meta("role")?,
        pending: conn.query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0))?,
        signed_in: meta("sync_token")?.is_some(),
        user_id: Some(user_id),
        encrypted: false,
    }))
}

/// Beside an encrypted store, what the switch-user screen lists about it and what tells whose
/// it is at sign-in: server, username, name and role — no customer data.
const CARD: &str = ".card.json";

fn card_path(store: &Path) -> PathBuf {
    let mut name = store.as_os_str().to_owned();
    name.push(CARD);
    PathBuf::from(name)
}

/// Write the card of the encrypted store `store` (the open one, at `path`), written whole
/// then renamed into place. A plain store needs none: its card is removed.
pub fn write_card(path: &Path, store: &crate::store::Store) -> Result<()> {
    let card = card_path(path);
    if !crate::at_rest::is_encrypted(path) {
        let _ = std::fs::remove_file(card);
        return Ok(());
    }
    let Some(profile) = read_open(&store.conn, "")? else { return Ok(()) };
    let profile = Profile { encrypted: true, ..profile };
    let tmp = card.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec(&profile).map_err(|e| crate::error::Error::BadRequest(e.to_string()))?)?;
    std::fs::rename(tmp, card)?;
    Ok(())
}

/// The profile of `username` on `server`, if this device has one.
pub fn find<'a>(profiles: &'a [Profile], server: &str, username: &str) -> Option<&'a Profile> {
    profiles
        .iter()
        .find(|p| p.server.as_deref() == Some(server) && p.username.as_deref().is_some_and(|u| u == username))
}
