//! The store's side of sync: the cursor, whole documents for a fresh device, access taken
//! away, edits the server refused (kept visible, never silently dropped), and wiping a
//! revoked device.

use std::collections::{BTreeMap, HashSet};

use automerge::{Change, ChangeHash};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::document::RecordDoc;
use crate::error::{Error, Result};
use crate::kind::FieldType;
use crate::projection;
use crate::store::{hex, hex_decode, load_doc, own_actor_list, set_meta, IncomingChange, Store};
use crate::sync::protocol::{Accepted, Moved, Refused, SnapshotDoc};
use crate::value::{format_datetime, now_ms, FieldValue};

/// What the first sign-in of a local profile did with the records made before it.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Adopted {
    /// Records now the account's, waiting to be sent.
    pub records: usize,
    /// Records removed: deleted ones, and ones the account may not write.
    pub left_out: usize,
    /// Field values cleared because they used dictionary codes the server will not know.
    pub values_cleared: usize,
}

/// A local edit the server refused, kept so the person can see it and act.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RejectedEdit {
    pub doc_id: String,
    pub hash: String,
    pub code: String,
    pub reason: String,
    pub at: String,
    /// The record's title when it is still on this device.
    pub title: Option<String>,
    pub kind: Option<String>,
    /// The customer the record is (or belongs to), for a link to it; `None` when it is not
    /// on this device or is not about a customer.
    pub customer_id: Option<String>,
    /// What the reason names, for the UI to say it (see `docs/api.md`, *Record*: `refused`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub params: Option<serde_json::Value>,
}

impl Store {
    /// The last server log position this device has applied (0: never synced).
    /// Keep an event for the server's audit log (`import`, `import_revert`), to send when
    /// connected.
    pub fn queue_audit(&self, action: &str, target: &str, detail: serde_json::Value) -> Result<()> {
        self.conn
            .prepare_cached("INSERT INTO audit_outbox (action, target, detail, at) VALUES (?, ?, ?, ?)")?
            .execute(rusqlite::params![action, target, detail.to_string(), crate::value::now_ms()])?;
        Ok(())
    }

    /// Audit events not yet sent, oldest first: (id, the event as `POST /api/audit` takes it).
    pub fn audit_pending(&self, limit: usize) -> Result<Vec<(i64, serde_json::Value)>> {
        let mut st =
            self.conn.prepare_cached("SELECT id, action, target, detail, at FROM audit_outbox ORDER BY id LIMIT ?")?;
        let rows = st.query_map([limit as i64], |r| {
            let detail: String = r.get(3)?;
            Ok((
                r.get::<_, i64>(0)?,
                serde_json::json!({
                    "action": r.get::<_, String>(1)?,
                    "target": r.get::<_, Option<String>>(2)?,
                    "detail": serde_json::from_str::<serde_json::Value>(&detail).unwrap_or_default(),
                    "at": crate::value::format_datetime(r.get(4)?),
                }),
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The server has these audit events.
    pub fn audit_sent(&self, ids: &[i64]) -> Result<()> {
        let mut st = self.conn.prepare_cached("DELETE FROM audit_outbox WHERE id = ?")?;
        for id in ids {
            st.execute([id])?;
        }
        Ok(())
    }

    pub fn sync_cursor(&self) -> Result<u64> {
        Ok(self.meta("sync_cursor")?.and_then(|c| c.parse().ok()).unwrap_or(0))
    }

    /// Merge whole documents (a fresh device's bootstrap), then record `cursor`.
    ///
    /// A document sent with its read-model rows (`SnapshotDoc::rows`, prepared by the server for
    /// this version of the read models) is not decoded here: its rows are written as they came.
    /// Otherwise decoding a document and reading its fields is most of the work of a bootstrap
    /// and needs no database, so it runs on every core; one transaction then writes the rows.
    pub fn apply_snapshots(&mut self, docs: Vec<SnapshotDoc>, cursor: u64) -> Result<Vec<String>> {
        let loaded = decode_snapshots(docs)?;
        let mut changed = Vec::new();
        let tx = self.conn.transaction()?;
        for (i, (id, bytes, incoming, prepared)) in loaded.into_iter().enumerate() {
            self.cache.take(&id);
            match load_doc(&tx, &id)? {
                None => {
                    // From the rows when they came, else from the document (then loaded).
                    let kind = prepared.as_ref().map(|rows| rows.kind()).or_else(|| incoming.as_ref()?.kind());
                    tx.prepare_cached("INSERT INTO docs (id, kind, snapshot, change_rows) VALUES (?, ?, ?, 0)")?
                        .execute(params![id, kind.map(|k| k.as_str()), bytes])?;
                    if let Some(rows) = prepared {
                        // A document new here has no rows yet: nothing to delete first.
                        projection::write_new(&tx, &rows)?;
                    }
                    changed.push(id);
                }
                Some(mut local) => {
                    let before = local.heads();
                    let mut incoming = match incoming {
                        Some(doc) => doc,
                        None => load_snapshot(i, &bytes)?,
                    };
                    let theirs = incoming.inner().get_changes(&[]);
                    local.apply(theirs)?;
                    if local.heads() != before {
                        // Keep change rows that are still unsent; everything else is in the snapshot.
                        tx.prepare_cached("UPDATE docs SET snapshot = ?, kind = IFNULL(kind, ?) WHERE id = ?")?
                            .execute(params![local.save(), local.kind().map(|k| k.as_str()), id])?;
                        projection::project(&tx, &id, &mut local)?;
                        changed.push(id);
                    }
                }
            }
        }
        if cursor > 0 {
            set_meta(&tx, "sync_cursor", &cursor.to_string())?;
        }
        crate::search::flush(&tx)?;
        tx.commit()?;
        Ok(changed)
    }

    /// Remove documents this user may no longer read (a customer transferred away). Unsent
    /// local edits to them are kept in the rejected list so they are not lost silently; an
    /// unsent transition of a record someone else moved first (two claims of one pool
    /// customer) is kept as the transition conflict it is, naming who won (`moved`).
    pub fn drop_docs(&mut self, ids: &[String], cursor: u64, moved: &[Moved]) -> Result<()> {
        let tx = self.conn.transaction()?;
        for id in ids {
            self.cache.take(id);
            let unsent: Vec<(Vec<u8>, Vec<u8>, bool)> = tx
                .prepare_cached(
                    "SELECT o.hash, c.bytes, EXISTS (SELECT 1 FROM awaiting a WHERE a.hash = o.hash)
                     FROM outbox o JOIN changes c ON c.doc_id = o.doc_id AND c.hash = o.hash WHERE o.doc_id = ?",
                )?
                .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<_, _>>()?;
            let mover = moved.iter().find(|m| m.doc == *id);
            for (hash, bytes, transition) in unsent {
                match mover.filter(|_| transition) {
                    Some(m) => {
                        let at = format_datetime(m.at);
                        let reason =
                            format!("{} changed this record first, at {at}; it is no longer yours to see", m.by);
                        let params = serde_json::json!({ "by": m.by, "at": at }).to_string();
                        keep_rejected(&tx, id, &hash, &bytes, "transition_conflict", &reason, Some(&params))?;
                    }
                    None => {
                        let reason = "this record was moved to someone else before the edit was sent";
                        keep_rejected(&tx, id, &hash, &bytes, "access_removed", reason, None)?;
                    }
                }
            }
            delete_doc_rows(&tx, id)?;
        }
        set_meta(&tx, "sync_cursor", &cursor.to_string())?;
        tx.commit()?;
        // Their photos and receipts leave with them.
        self.forget_unreferenced_files()?;
        Ok(())
    }

    /// The server refused these local changes: the record goes back to what the server
    /// accepted, and the refused edits (with later local edits that build on them) move to
    /// the rejected list with the reason.
    pub fn reject(&mut self, refused: &[Refused]) -> Result<()> {
        let mut by_doc: BTreeMap<&str, Vec<&Refused>> = BTreeMap::new();
        for r in refused {
            by_doc.entry(r.doc.as_str()).or_default().push(r);
        }
        let tx = self.conn.transaction()?;
        for (id, refused) in by_doc {
            let mut bad: HashSet<ChangeHash> = HashSet::new();
            let mut why: Refusals<'_> = BTreeMap::new();
            for r in &refused {
                let Some(hash) = hex_decode(&r.hash).and_then(|b| ChangeHash::try_from(b.as_slice()).ok()) else {
                    continue;
                };
                // Only this device's own unsent edits are rolled back; a refusal of anything
                // else (another device's change seen during a repair) changes nothing here.
                if !unsent(&tx, &hash.0)? {
                    continue;
                }
                bad.insert(hash);
                why.insert(hash, (r.code.as_str(), r.reason.as_str(), r.params.as_deref()));
            }
            if bad.is_empty() {
                continue;
            }
            self.cache.take(id);
            // Loaded first: the load is what finds a snapshot broken and sets it aside.
            let loaded = load_doc(&tx, id)?;
            if crate::store::is_unreadable(&tx, id)? {
                // Only part of the record is here until its repair: rebuilding it from that
                // part would lose what waits for the rest. The refused edits, and this
                // device's unsent edits built on them, are taken out of the outbox and kept
                // visible; everything else stays.
                // In the order they were written: each comes after those it builds on.
                let unsent: Vec<Vec<u8>> = tx
                    .prepare_cached(
                        "SELECT c.bytes FROM outbox o JOIN changes c ON c.doc_id = o.doc_id AND c.hash = o.hash
                         WHERE o.doc_id = ? ORDER BY o.seq",
                    )?
                    .query_map([id], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                for bytes in unsent {
                    let Ok(mut change) = Change::from_bytes(bytes) else { continue };
                    if keep_if_refused(&tx, id, &mut change, &mut bad, &why)? {
                        let hash = change.hash();
                        tx.prepare_cached("DELETE FROM outbox WHERE hash = ?")?.execute([hash.0.as_slice()])?;
                        tx.prepare_cached("DELETE FROM changes WHERE doc_id = ? AND hash = ?")?
                            .execute(params![id, hash.0.as_slice()])?;
                    }
                }
                tx.prepare_cached(
                    "UPDATE docs SET change_rows = (SELECT COUNT(*) FROM changes WHERE doc_id = ?1) WHERE id = ?1",
                )?
                .execute([id])?;
                continue;
            }
            let Some(mut doc) = loaded else { continue };
            let mut keep: Vec<Change> = Vec::new();
            for mut change in doc.inner().get_changes(&[]) {
                if !keep_if_refused(&tx, id, &mut change, &mut bad, &why)? {
                    keep.push(change);
                }
            }
            let mut clean = RecordDoc::empty();
            clean.apply(keep)?;
            for hash in &bad {
                tx.prepare_cached("DELETE FROM outbox WHERE hash = ?")?.execute([hash.0.as_slice()])?;
            }
            tx.prepare_cached("DELETE FROM changes WHERE doc_id = ? AND hash NOT IN (SELECT hash FROM outbox)")?
                .execute([id])?;
            let remaining: i64 = tx.query_row("SELECT COUNT(*) FROM changes WHERE doc_id = ?", [id], |r| r.get(0))?;
            tx.prepare_cached("UPDATE docs SET snapshot = ?, change_rows = ? WHERE id = ?")?.execute(params![
                clean.save(),
                remaining,
                id
            ])?;
            if clean.kind().is_some() {
                projection::project(&tx, id, &mut clean)?;
            } else {
                // The refused edit created the record: it is gone from lists until fixed.
                delete_doc_rows(&tx, id)?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The server's answer to pushed (or repaired) changes: drop the accepted ones from the
    /// outbox, roll back the refused ones and keep them visible.
    ///
    /// Returns whether records show something new: a transition confirmed (no longer
    /// awaiting) or an edit refused.
    pub fn settle(&mut self, accepted: &[Accepted], refused: &[Refused]) -> Result<bool> {
        let hashes: Vec<Vec<u8>> = accepted.iter().filter_map(|a| hex_decode(&a.hash)).collect();
        let mut confirmed = false;
        for hash in &hashes {
            confirmed |= self
                .conn
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM awaiting WHERE hash = ?)")?
                .query_row([hash], |r| r.get::<_, bool>(0))?;
        }
        let hashes: Vec<String> = accepted.iter().map(|a| a.hash.clone()).collect();
        self.ack(&hashes)?;
        self.reject(refused)?;
        Ok(confirmed || !refused.is_empty())
    }

    /// How many refused edits are kept (for the sync status).
    pub fn rejected_len(&self) -> Result<i64> {
        Ok(self.conn.prepare_cached("SELECT COUNT(*) FROM rejected")?.query_row([], |r| r.get(0))?)
    }

    /// Edits the server refused, newest first.
    pub fn rejected_edits(&self) -> Result<Vec<RejectedEdit>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.doc_id, r.hash, r.code, r.reason, r.at, IFNULL(d.kind, r.kind), r.params, r.title
             FROM rejected r LEFT JOIN docs d ON d.id = r.doc_id ORDER BY r.at DESC LIMIT 500",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, Option<String>>(7)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (doc_id, hash, code, reason, at, kind, params, kept_title) = row?;
            let parsed = kind.as_deref().and_then(crate::Kind::parse);
            let (title, customer_id) = match parsed {
                Some(k) => (self.title_of(k, &doc_id)?.or(kept_title), self.customer_of(k, &doc_id)?),
                None => (kept_title, None),
            };
            out.push(RejectedEdit {
                doc_id,
                hash: hex(&hash),
                code,
                reason,
                at: format_datetime(at),
                title,
                kind,
                customer_id,
                params: params.and_then(|p| serde_json::from_str(&p).ok()),
            });
        }
        Ok(out)
    }

    /// The customer a record is or is attached to, if it is on this device.
    fn customer_of(&self, kind: crate::Kind, id: &str) -> Result<Option<String>> {
        let column = match kind {
            crate::Kind::Customer => "id",
            k if k.spec().field("customer").is_some() => "customer",
            _ => return Ok(None),
        };
        let sql = format!("SELECT {column} FROM {} WHERE id = ?", kind.table());
        Ok(self.conn.query_row(&sql, [id], |r| r.get::<_, Option<String>>(0)).optional()?.flatten())
    }

    /// Signing in to a server: from now on this store is `account`'s, writing with `actor`
    /// (hex, registered with the server for this device) and syncing with `endpoint`
    /// (server, token, device id). A store that never signed in is a local profile: what was
    /// made in it becomes the account's (see [`adopt`]). All of it in one transaction, so a
    /// failure or a crash part-way leaves the store as it was.
    pub fn become_account(
        &mut self,
        account: &Account<'_>,
        actor_hex: &str,
        endpoint: (&str, &str, &str),
    ) -> Result<Adopted> {
        let local_user = self.meta("sync_url")?.is_none().then(|| self.identity().user_id.clone());
        let role = crate::access::Role::parse(account.role).ok_or_else(|| Error::field("role", "invalid_choice"))?;
        let actor = hex_decode(actor_hex).ok_or_else(|| Error::field("actor", "invalid_id"))?;
        let tx = self.conn.transaction()?;
        crate::store::write_identity(
            &tx,
            account.user_id,
            account.display_name,
            account.role,
            Some(account.code_prefix),
            actor_hex,
        )?;
        let (url, token, device_id) = endpoint;
        for (key, value) in
            [("username", account.username), ("sync_url", url), ("sync_token", token), ("device_id", device_id)]
        {
            set_meta(&tx, key, value)?;
        }
        let adopted = match &local_user {
            Some(local_user) => {
                let person = crate::access::Person { user_id: account.user_id.to_string(), role, team: None };
                self.cache.clear();
                adopt(&tx, &person, &automerge::ActorId::from(actor), local_user)?
            }
            None => Adopted::default(),
        };
        tx.commit()?;
        self.reload_identity()?;
        Ok(adopted)
    }

    /// This device's next Automerge sync message for a record under repair.
    pub fn repair_message(&mut self, id: &str, state: &mut automerge::sync::State) -> Result<Option<Vec<u8>>> {
        match self.with_any_doc(id, |doc| Ok(doc.sync_message(state))) {
            Err(Error::NotFound(_)) => Ok(None),
            other => other,
        }
    }

    /// Take the server's Automerge sync message for a record under repair: changes it
    /// brings are stored like any others.
    pub fn receive_repair(&mut self, id: &str, state: &mut automerge::sync::State, message: &[u8]) -> Result<()> {
        let new = match self.with_any_doc(id, |doc| doc.fork().receive_sync_message(state, message)) {
            // Refusals during the repair removed the record here: nothing left to repair.
            Err(Error::NotFound(_)) => return Ok(()),
            other => other?,
        };
        if !new.is_empty() {
            let incoming =
                new.into_iter().map(|mut c| IncomingChange { doc_id: id.to_string(), bytes: c.bytes().into_owned() });
            self.apply_changes(incoming.collect())?;
        }
        Ok(())
    }

    /// Records whose stored snapshot could not be loaded and which are not whole again yet
    /// (`store::load_doc`), at most `limit`, those repaired least often first.
    pub fn unreadable_docs(&self, limit: usize) -> Result<Vec<String>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT doc_id FROM unreadable_docs WHERE healed_at IS NULL ORDER BY repairs, found_at LIMIT ?",
            )?
            .query_map([limit as i64], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// A repair of `id`, set aside as unreadable, was started: counted, so that one that
    /// never heals (broken on the server too) lets the others go first next time.
    pub fn repair_started(&mut self, id: &str) -> Result<()> {
        self.conn.prepare_cached("UPDATE unreadable_docs SET repairs = repairs + 1 WHERE doc_id = ?")?.execute([id])?;
        Ok(())
    }

    /// After a repair of `id`: if it was set aside as unreadable and is whole again (it has a
    /// kind and waits for no change), say so. Returns whether it was healed now.
    pub fn heal(&mut self, id: &str) -> Result<bool> {
        if !crate::store::is_unreadable(&self.conn, id)? {
            return Ok(false);
        }
        let whole =
            self.with_any_doc(id, |doc| Ok(doc.kind().is_some() && doc.inner().get_missing_deps(&[]).is_empty()))?;
        if whole {
            self.conn
                .prepare_cached("UPDATE unreadable_docs SET healed_at = ? WHERE doc_id = ?")?
                .execute(params![crate::value::now_ms(), id])?;
        }
        Ok(whole)
    }

    /// A revoked device: remove every record and change from it.
    pub fn wipe(&mut self) -> Result<()> {
        self.cache.clear();
        let tx = self.conn.transaction()?;
        tx.execute_batch(
            "DELETE FROM outbox; DELETE FROM changes; DELETE FROM docs; DELETE FROM rejected; DELETE FROM unreadable_docs;",
        )?;
        projection::drop_all(&tx)?;
        tx.execute_batch(&projection::ddl())?;
        tx.execute("DELETE FROM meta WHERE key IN ('sync_cursor', 'seed_version')", [])?;
        tx.execute("DELETE FROM blobs", [])?;
        tx.commit()?;
        self.blobs.clear()?;
        Ok(())
    }

    /// How many documents there are (for status and tests).
    pub fn doc_count(&self) -> Result<i64> {
        Ok(self.conn.query_row("SELECT COUNT(*) FROM docs", [], |r| r.get(0))?)
    }
}

/// The code, reason and parameters of each refused change (`Store::reject`).
type Refusals<'a> = BTreeMap<ChangeHash, (&'a str, &'a str, Option<&'a str>)>;

/// If `change` was refused, or builds on one that was (`bad`, which it then joins), keep it
/// in the visible rejected list and say so. Changes are taken after those they build on.
fn keep_if_refused(
    tx: &rusqlite::Connection,
    id: &str,
    change: &mut Change,
    bad: &mut HashSet<ChangeHash>,
    why: &Refusals<'_>,
) -> Result<bool> {
    let hash = change.hash();
    if !bad.contains(&hash) && !change.deps().iter().any(|d| bad.contains(d)) {
        return Ok(false);
    }
    bad.insert(hash);
    let (code, reason, params) =
        why.get(&hash).copied().unwrap_or(("depends_on_refused", "built on an edit the server refused", None));
    keep_rejected(tx, id, &hash.0, &change.bytes(), code, reason, params)?;
    Ok(true)
}

/// Keep a refused local edit in the visible rejected list.
fn keep_rejected(
    tx: &rusqlite::Connection,
    id: &str,
    hash: &[u8],
    bytes: &[u8],
    code: &str,
    reason: &str,
    params: Option<&str>,
) -> Result<()> {
    // The record's kind and title as they are now: it may leave this device (a lost claim).
    let kind: Option<String> =
        tx.prepare_cached("SELECT kind FROM docs WHERE id = ?")?.query_row([id], |r| r.get(0)).optional()?.flatten();
    let title: Option<String> = match kind.as_deref().and_then(crate::Kind::parse) {
        Some(k) => tx
            .prepare_cached(&format!("SELECT {} FROM {} WHERE id = ?", k.spec().title, k.table()))?
            .query_row([id], |r| r.get::<_, Option<String>>(0))
            .optional()?
            .flatten(),
        None => None,
    };
    tx.prepare_cached(
        "INSERT OR REPLACE INTO rejected (hash, doc_id, bytes, code, reason, at, params, kind, title)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )?
    .execute(params![hash, id, bytes, code, reason, now_ms(), params, kind, title])?;
    Ok(())
}

/// When records written at once (a first sign-in, a restored server) go to the outbox: what
/// others refer to first — reference data, then customers, then contacts, then the rest —
/// so the server never judges a record before what it names.
fn send_rank(kind: Option<&str>) -> u8 {
    match kind.and_then(crate::Kind::parse) {
        Some(k) if k.spec().admin_only => 0,
        Some(crate::Kind::Customer) => 1,
        Some(crate::Kind::Contact) => 2,
        _ => 3,
    }
}

/// Who a store is becoming at sign-in, as the server answered.
pub struct Account<'a> {
    pub user_id: &'a str,
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: &'a str,
    pub code_prefix: &'a str,
}

/// The first sign-in of a local profile, inside the sign-in's transaction: every record made
/// on this device before is written again as `person`'s, so it syncs like a record made after
/// the sign-in. The local history was never sent anywhere and the server takes changes only
/// from the signed-in device's actors, so each record's history is folded into one change by
/// `actor`: same id and creation time, every user it names (all of them local: owner,
/// creator) now the account.
///
/// Left out, and counted: deleted records; user records (accounts are the server's); the
/// reference data (dictionary entries, teams) an account other than an admin may not write,
/// and with them the values of fields using dictionary codes they made (the field is
/// cleared, the record kept); records attached to a customer left out. Local edits to
/// reference data every device starts with (seeded) are re-written by `actor` for an admin,
/// dropped for anyone else. Reference data goes to the outbox first, then customers, then
/// what refers to them.
fn adopt(
    tx: &rusqlite::Transaction<'_>,
    person: &crate::access::Person,
    actor: &automerge::ActorId,
    local_user: &str,
) -> Result<Adopted> {
    use crate::Kind;
    let me = person.user_id.as_str();
    let mut docs: Vec<(String, Option<String>, bool)> = tx
        .prepare(
            "SELECT d.id, d.kind,
                    length(d.snapshot) = 0 AND NOT EXISTS (SELECT 1 FROM changes c WHERE c.doc_id = d.id
                        AND c.hash NOT IN (SELECT hash FROM outbox))
             FROM docs d WHERE d.id IN (SELECT doc_id FROM outbox)",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    docs.sort_by_key(|(id, kind, _)| (send_rank(kind.as_deref()), id.clone()));
    let mut adopted = Adopted::default();
    let mut gone: HashSet<String> = HashSet::new();
    // Dictionary codes the server will know: its defaults, and what an admin carries over.
    let mut codes: HashSet<(String, String)> = HashSet::new();
    for (id, _, only_here) in docs {
        let Some(old) = load_doc(tx, &id)? else { continue };
        let kind = old.kind();
        if !only_here {
            // Seeded reference data edited here.
            let local: Vec<Vec<u8>> = tx
                .prepare_cached("SELECT hash FROM outbox WHERE doc_id = ?")?
                .query_map([&id], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for hash in &local {
                tx.prepare_cached("DELETE FROM outbox WHERE hash = ?")?.execute([hash])?;
                tx.prepare_cached("DELETE FROM changes WHERE doc_id = ? AND hash = ?")?.execute(params![id, hash])?;
            }
            tx.prepare_cached(
                "UPDATE docs SET change_rows = (SELECT COUNT(*) FROM changes WHERE doc_id = ?1) WHERE id = ?1",
            )?
            .execute([&id])?;
            let Some(mut seeded) = load_doc(tx, &id)? else { continue };
            match kind.filter(|k| person.may_write_kind(*k)) {
                Some(kind) => {
                    seeded.set_actor(actor);
                    let (now, _) = old.snapshot(kind);
                    let (was, _) = seeded.snapshot(kind);
                    for ((field, value), before) in kind.spec().fields.iter().zip(now).zip(was) {
                        if value != before {
                            seeded.write(field, value.as_ref(), false)?;
                        }
                    }
                    match seeded.commit(me, now_ms().div_euclid(1000)) {
                        Some(mut change) => crate::store::write_local(tx, &id, &mut seeded, &mut change)?,
                        None => projection::project(tx, &id, &mut seeded)?,
                    }
                    adopted.records += 1;
                }
                None => {
                    projection::project(tx, &id, &mut seeded)?;
                    adopted.left_out += 1;
                }
            }
            continue;
        }
        delete_doc_rows(tx, &id)?;
        if id == local_user {
            // The local profile's own user record only made sense without a server.
            continue;
        }
        let keep = kind.filter(|k| *k != Kind::User && person.may_write_kind(*k) && old.deleted_at().is_none());
        let Some(kind) = keep else {
            gone.insert(id);
            adopted.left_out += 1;
            continue;
        };
        let spec = kind.spec();
        let (values, _) = old.snapshot(kind);
        let mut fields: Vec<(&crate::kind::FieldSpec, FieldValue)> = Vec::new();
        let mut orphan = false;
        for (field, value) in spec.fields.iter().zip(values) {
            let Some(value) = value else { continue };
            let value = match (field.ty, value) {
                (FieldType::Ref(Kind::User), _) => FieldValue::Str(me.to_string()),
                (FieldType::Ref(Kind::Customer), FieldValue::Str(customer)) if gone.contains(&customer) => {
                    orphan = true;
                    break;
                }
                (FieldType::Dict(dict), FieldValue::Str(code))
                    if !crate::dictionary::default_codes(dict).contains(&code.as_str())
                        && !codes.contains(&(dict.to_string(), code.clone())) =>
                {
                    adopted.values_cleared += 1;
                    continue;
                }
                (_, value) => value,
            };
            fields.push((field, value));
        }
        if orphan {
            gone.insert(id);
            adopted.left_out += 1;
            continue;
        }
        if kind == Kind::DictEntry {
            let text = |name: &str| {
                fields.iter().find(|(f, _)| f.name == name).and_then(|(_, v)| v.as_str().map(str::to_string))
            };
            if let (Some(dict), Some(code)) = (text("dict"), text("code")) {
                codes.insert((dict, code));
            }
        }
        let created_at = old.created_at().unwrap_or_else(now_ms);
        let mut doc = RecordDoc::create(actor, kind, created_at, me, fields.iter().map(|(f, v)| (*f, v)))?;
        let Some(mut change) = doc.commit(me, now_ms().div_euclid(1000)) else {
            adopted.left_out += 1;
            continue;
        };
        crate::store::write_local(tx, &id, &mut doc, &mut change)?;
        adopted.records += 1;
    }
    Ok(adopted)
}

fn delete_doc_rows(tx: &rusqlite::Connection, id: &str) -> Result<()> {
    for kind in crate::Kind::ALL {
        tx.prepare_cached(&format!("DELETE FROM {} WHERE id = ?", kind.table()))?.execute([id])?;
    }
    tx.prepare_cached("DELETE FROM record_tags WHERE record_id = ?")?.execute([id])?;
    tx.prepare_cached("DELETE FROM dup_keys WHERE record_id = ?")?.execute([id])?;
    for (_, _, _, table) in crate::projection::item_tables() {
        tx.prepare_cached(&format!("DELETE FROM {table} WHERE record_id = ?"))?.execute([id])?;
    }
    let rowid: Option<i64> =
        tx.prepare_cached("SELECT rowid FROM search_docs WHERE record_id = ?")?.query_row([id], |r| r.get(0)).ok();
    if let Some(rowid) = rowid {
        tx.prepare_cached("DELETE FROM search_fts WHERE rowid = ?")?.execute([rowid])?;
        tx.prepare_cached("DELETE FROM search_docs WHERE rowid = ?")?.execute([rowid])?;
    }
    tx.prepare_cached("DELETE FROM outbox WHERE doc_id = ?")?.execute([id])?;
    tx.prepare_cached("DELETE FROM changes WHERE doc_id = ?")?.execute([id])?;
    tx.prepare_cached("DELETE FROM docs WHERE id = ?")?.execute([id])?;
    tx.prepare_cached("DELETE FROM unreadable_docs WHERE doc_id = ?")?.execute([id])?;
    Ok(())
}

/// Is this change (by hash) one of this device's edits not yet acknowledged?
fn unsent(tx: &rusqlite::Connection, hash: &[u8]) -> Result<bool> {
    Ok(tx.prepare_cached("SELECT EXISTS (SELECT 1 FROM outbox WHERE hash = ?)")?.query_row([hash], |r| r.get(0))?)
}

impl Store {
    pub fn set_sync_cursor(&mut self, cursor: u64) -> Result<()> {
        set_meta(&self.conn, "sync_cursor", &cursor.to_string())
    }

    /// The server epoch the cursor belongs to (see `welcome` in docs/protocol.md).
    pub fn sync_epoch(&self) -> Result<Option<String>> {
        self.meta("sync_epoch")
    }

    pub fn set_sync_epoch(&mut self, epoch: &str) -> Result<()> {
        set_meta(&self.conn, "sync_epoch", epoch)
    }

    /// The actors (hex) this device has written with while signed in to a server.
    pub fn own_actors(&self) -> Result<Vec<String>> {
        // A store signed in before this list was kept: its current actor.
        Ok(own_actor_list(&self.conn)?.unwrap_or_else(|| vec![self.identity().actor.clone()]))
    }

    /// The server was restored from a backup and may lack changes it acknowledged: put every
    /// change this device wrote back in the outbox, ahead of unsent edits that may build on
    /// them, in causal order. The server answers changes it has with their original
    /// sequence, so re-sending is harmless. Returns how many were queued.
    pub fn requeue_own_changes(&mut self) -> Result<usize> {
        let own: HashSet<Vec<u8>> = self.own_actors()?.iter().filter_map(|a| hex_decode(a)).collect();
        let mut docs: Vec<(String, Option<String>)> = self
            .conn
            .prepare("SELECT id, kind FROM docs")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        docs.sort_by_key(|(id, kind)| (send_rank(kind.as_deref()), id.clone()));
        let tx = self.conn.transaction()?;
        let mut queued: Vec<(String, Vec<u8>, Vec<u8>)> = Vec::new();
        for (id, _) in docs {
            let Some(mut doc) = load_doc(&tx, &id)? else { continue };
            for mut change in doc.inner().get_changes(&[]) {
                // A genesis is anyone's to bring back (`crate::genesis`).
                if !own.contains(change.actor_id().to_bytes()) && change.actor_id() != &crate::genesis::actor_of(&id) {
                    continue;
                }
                let hash = change.hash().0.to_vec();
                if !unsent(&tx, &hash)? {
                    queued.push((id.clone(), hash, change.bytes().into_owned()));
                }
            }
        }
        let first: i64 = tx.query_row("SELECT IFNULL(MIN(seq), 1) FROM outbox", [], |r| r.get(0))?;
        for (seq, (id, hash, bytes)) in (first - queued.len() as i64..).zip(&queued) {
            tx.prepare_cached("INSERT OR IGNORE INTO changes (doc_id, hash, bytes) VALUES (?, ?, ?)")?
                .execute(params![id, hash, bytes])?;
            tx.prepare_cached("INSERT INTO outbox (seq, doc_id, hash, created_at) VALUES (?, ?, ?, ?)")?
                .execute(params![seq, id, hash, now_ms()])?;
        }
        tx.commit()?;
        Ok(queued.len())
    }

    /// The server URL and this device's token, if signed in.
    pub fn sync_endpoint(&self) -> Result<Option<(String, String)>> {
        Ok(match (self.meta("sync_url")?, self.meta("sync_token")?) {
            (Some(url), Some(token)) if !token.is_empty() => Some((url, token)),
            _ => None,
        })
    }

    /// Remember (or forget, on sign-out and revocation) the server and token.
    pub fn set_sync_endpoint(&mut self, endpoint: Option<(&str, &str, &str)>) -> Result<()> {
        match endpoint {
            Some((url, token, device_id)) => {
                set_meta(&self.conn, "sync_url", url)?;
                set_meta(&self.conn, "sync_token", token)?;
                set_meta(&self.conn, "device_id", device_id)?;
            }
            None => {
                self.conn.execute("DELETE FROM meta WHERE key IN ('sync_token')", [])?;
            }
        }
        Ok(())
    }
}

/// A snapshot checked: its id, bytes, the document loaded (unless its read-model rows came
/// with it), and its rows.
type Decoded = (String, Vec<u8>, Option<RecordDoc>, Option<projection::Prepared>);

/// The `i`th snapshot of a message, loaded (the server verified every change when it
/// accepted it: its heads are not checked again).
fn load_snapshot(i: usize, bytes: &[u8]) -> Result<RecordDoc> {
    RecordDoc::load_from_server(bytes).map_err(|e| Error::BadChange(format!("snapshot {i}: {e}")))
}

/// Check snapshots and have their read-model rows, split over the available cores. A snapshot
/// whose rows the server prepared is not decoded: its framing and checksum are checked
/// ([`crate::chunk::is_one_document`]) and the document is loaded only if it is needed (a
/// record this device has already, to merge). Otherwise it is loaded and its rows made here.
/// The order of the result is the order of `docs`; the first bad snapshot fails the batch.
fn decode_snapshots(docs: Vec<SnapshotDoc>) -> Result<Vec<Decoded>> {
    fn decode(i: usize, sent: SnapshotDoc) -> Result<Decoded> {
        let SnapshotDoc { doc: id, bytes, rows } = sent;
        uuid::Uuid::parse_str(&id).map_err(|_| Error::BadChange(format!("snapshot {i}: '{id}' is not a UUID")))?;
        let prepared = rows.and_then(|rows| projection::Prepared::decode(&id, &rows));
        if prepared.is_some() && crate::chunk::is_one_document(&bytes) {
            return Ok((id, bytes, None, prepared));
        }
        let mut doc = load_snapshot(i, &bytes)?;
        let prepared = prepared.or_else(|| projection::prepare(&id, &mut doc));
        Ok((id, bytes, Some(doc), prepared))
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    if threads < 2 || docs.len() < 64 {
        return docs.into_iter().enumerate().map(|(i, sent)| decode(i, sent)).collect();
    }
    let per_thread = docs.len().div_ceil(threads);
    type Numbered = (usize, SnapshotDoc);
    let mut chunks: Vec<Vec<Numbered>> = Vec::new();
    let mut it = docs.into_iter().enumerate().peekable();
    while it.peek().is_some() {
        chunks.push(it.by_ref().take(per_thread).collect());
    }
    let results: Vec<Result<Vec<Decoded>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| scope.spawn(move || chunk.into_iter().map(|(i, sent)| decode(i, sent)).collect()))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(Error::BadChange("a snapshot decoder panicked".into()))))
            .collect()
    });
    let mut out = Vec::new();
    for part in results {
        out.extend(part?);
    }
    Ok(out)
}
