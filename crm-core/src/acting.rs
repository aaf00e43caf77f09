//! What a person does on this device beyond plain edits — transitions of the fields the
//! server decides, entries added to a log — and what they may do with a record, all by the
//! rules the server applies (`crate::access`, `crate::workflow`), so a refusal comes at once
//! and in the same words.
//!
//! A transition is committed here at once (the app works offline) and marked *awaiting
//! confirmation* until the server acknowledges it; if the server refuses it (another device's
//! transition reached it first), the sync hooks roll it back and keep it in the refused list
//! with the reason, and the record shows both.

use std::collections::HashMap;

use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use serde_json::{Map as JsonMap, Value as Json};

use crate::access::{Holder, Permissions, Teams};
use crate::document::RecordDoc;
use crate::error::{Error, FieldError, Result};
use crate::kind::{FieldType, Kind, StateOf};
use crate::store::Store;
use crate::value::{now_ms, FieldValue, LogEntry};
use crate::workflow::{self, Facts, Judged};

/// A transition made on this device that the server has not confirmed yet.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Awaiting {
    pub transition: String,
    pub at: String,
}

/// An edit of this record the server refused, as the record shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RefusedNote {
    /// The refused change, to put the note away (`dismiss_refused`).
    pub hash: String,
    pub code: String,
    pub reason: String,
    #[serde(skip_serializing_if = "Json::is_null")]
    pub params: Json,
    pub at: String,
}

/// The facts guards read, gathered from the read models before a transition is judged.
pub(crate) struct LocalFacts<'a> {
    conn: &'a rusqlite::Connection,
    settings: HashMap<String, i64>,
    owned: HashMap<String, u64>,
}

impl Facts for LocalFacts<'_> {
    fn record(&self, id: &str) -> Option<RecordDoc> {
        crate::store::load_doc(self.conn, id).ok().flatten()
    }

    fn records(&self, kind: Kind, naming: Option<(&str, &str)>) -> Vec<(String, RecordDoc)> {
        // Narrowed by an indexed column of the read model when the kind has one by that name.
        let naming = naming.filter(|(field, _)| kind.spec().field(field).is_some_and(|f| f.indexed));
        let mut sql = format!("SELECT id FROM {} WHERE deleted_at IS NULL", kind.table());
        if let Some((field, _)) = naming {
            sql.push_str(&format!(" AND {field} = ?"));
        }
        let ids: Vec<String> = match self.conn.prepare_cached(&sql) {
            Ok(mut stmt) => {
                let params: Vec<&str> = naming.map(|(_, v)| v).into_iter().collect();
                stmt.query_map(rusqlite::params_from_iter(params), |r| r.get(0))
                    .and_then(|rows| rows.collect::<rusqlite::Result<Vec<String>>>())
                    .unwrap_or_default()
            }
            Err(_) => Vec::new(),
        };
        ids.into_iter().filter_map(|id| self.record(&id).map(|doc| (id, doc))).collect()
    }

    fn setting(&self, key: &str) -> Option<i64> {
        self.settings.get(key).copied()
    }

    fn owned_customers(&self, user: &str) -> u64 {
        self.owned.get(user).copied().unwrap_or(0)
    }
}

impl Store {
    /// Who is working here and everyone's teams: what access decisions need.
    pub(crate) fn deciding(&self) -> Result<(crate::access::Person, Teams)> {
        Ok((self.person(), self.teams()?))
    }

    /// Every user's team, from the user records on this device.
    pub fn teams(&self) -> Result<Teams> {
        let mut stmt = self.conn.prepare_cached("SELECT id, team FROM p_user WHERE deleted_at IS NULL")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// The owner of the scope a record of `kind` is in: a customer's own owner, an
    /// owner-scoped record's own owner (`Scope::Owner`), else the owner of the customer it is
    /// attached to; none for reference data.
    fn scope_owner_of(
        &self,
        kind: Kind,
        owner: Option<&str>,
        parent: Option<(Kind, String)>,
    ) -> Result<Option<String>> {
        crate::access::scope_owner(kind, owner, parent.as_ref(), |of, id| {
            Ok(self
                .conn
                .prepare_cached(&format!("SELECT owner FROM {} WHERE id = ?", of.table()))?
                .query_row([id], |r| r.get::<_, Option<String>>(0))
                .optional()?
                .flatten())
        })
    }

    fn holder_of(&self, kind: Kind, doc: &RecordDoc) -> Result<Holder> {
        let parent =
            crate::access::scope_parent(kind, |name| match kind.spec().field(name).and_then(|f| doc.read(f)) {
                Some(FieldValue::Str(id)) => Some(id),
                _ => None,
            });
        let mut holder = workflow::holder(kind, doc, None);
        holder.scope_owner = self.scope_owner_of(kind, holder.owner.as_deref(), parent)?;
        Ok(holder)
    }

    /// What access decisions need of a stored record — who holds it, its workflow state,
    /// whether it is deleted — from its read model (one indexed row, no document loaded: the
    /// "what may I do" question is asked for every record shown).
    fn record_facts(&mut self, id: &str, kind: Kind) -> Result<(Holder, Option<String>, bool)> {
        let spec = kind.spec();
        let state_field = spec.workflow.map(|w| w.state_field());
        let mut wanted: Vec<&str> =
            ["owner", "customer", "lead"].into_iter().filter(|n| spec.field(n).is_some()).collect();
        wanted.extend(spec.assigned.iter().copied());
        wanted.extend(state_field);
        wanted.sort_unstable();
        wanted.dedup();
        let mut sql = String::from("SELECT deleted_at IS NOT NULL");
        for name in &wanted {
            sql.push_str(&format!(", {name}"));
        }
        sql.push_str(&format!(" FROM {} WHERE id = ?", kind.table()));
        let (deleted, values): (bool, HashMap<&str, Option<String>>) = self
            .conn
            .prepare_cached(&sql)?
            .query_row([id], |r| {
                let mut values = HashMap::new();
                for (i, name) in wanted.iter().enumerate() {
                    values.insert(*name, r.get::<_, Option<String>>(i + 1)?);
                }
                Ok((r.get(0)?, values))
            })
            .optional()?
            .ok_or_else(|| Error::NotFound(id.to_string()))?;
        let value = |name: &str| values.get(name).cloned().flatten();
        let owner = value("owner");
        let scope_owner = self.scope_owner_of(kind, owner.as_deref(), crate::access::scope_parent(kind, value))?;
        let assignees = spec.assigned.iter().filter_map(|n| value(n)).collect();
        let state = spec.workflow.map(|w| w.state_of(|name| values.get(name).and_then(|v| v.as_deref())).to_string());
        Ok((Holder { kind: Some(kind), owner, scope_owner, assignees }, state, deleted))
    }

    /// Refuse an edit of `field` (or a deletion) of a record in one of its workflow's locked
    /// states, as the server would (`crate::workflow::locked`).
    pub(crate) fn check_not_locked(&mut self, id: &str, kind: Kind, field: &str) -> Result<()> {
        let Some(w) = kind.spec().workflow.filter(|w| !w.locked.is_empty()) else { return Ok(()) };
        let (_, state, _) = self.record_facts(id, kind)?;
        match state.filter(|s| w.locked.contains(&s.as_str())) {
            Some(state) => {
                let refused = workflow::locked(kind, &state, field);
                Err(Error::Refused {
                    code: refused.refusal.code,
                    reason: refused.refusal.reason,
                    params: refused.params,
                })
            }
            None => Ok(()),
        }
    }

    /// May the person working here write this record (an edit, a delete, a log entry)? The
    /// server's rule ([`crate::access::Person::check_write`]), refused here with its reason:
    /// a customer someone else owns, one in the pool, or one only read by an assignment.
    pub(crate) fn check_may_edit(&mut self, id: &str) -> Result<()> {
        let kind = self.kind_of(id)?;
        self.check_may_write(kind)?;
        let (holder, _, _) = self.record_facts(id, kind)?;
        let side = holder.side();
        let write = crate::access::Write { before: Some(side), after: side, missing_customer: None, transition: None };
        self.person().check_write(&write, &self.teams()?).map_err(refused)
    }

    /// May the person create this record (fields already parsed)? The server's rule again:
    /// a contact, visit or request only for a customer they may write, an owner only theirs
    /// unless they are a supervisor.
    pub(crate) fn check_may_create(
        &self,
        (person, teams): &(crate::access::Person, Teams),
        kind: Kind,
        fields: &[(&'static crate::kind::FieldSpec, Option<FieldValue>)],
    ) -> Result<()> {
        if !person.may_write_kind(kind) {
            return Err(Error::Forbidden { action: "write", kind: kind.to_string() });
        }
        let value = |name: &str| {
            fields.iter().find(|(f, _)| f.name == name).and_then(|(_, v)| match v {
                Some(FieldValue::Str(s)) => Some(s.clone()),
                _ => None,
            })
        };
        let owner = value("owner");
        let scope_owner = self.scope_owner_of(kind, owner.as_deref(), crate::access::scope_parent(kind, value))?;
        let assignees: Vec<String> = kind.spec().assigned.iter().filter_map(|n| value(n)).collect();
        let holder = Holder { kind: Some(kind), owner, scope_owner, assignees };
        let write =
            crate::access::Write { before: None, after: holder.side(), missing_customer: None, transition: None };
        person.check_write(&write, teams).map_err(refused)
    }

    pub(crate) fn local_facts(&self, user: &str) -> Result<LocalFacts<'_>> {
        // Each key's one record, by the id derived from it (`crate::genesis`), as the server reads it.
        let mut settings = HashMap::new();
        let numbers =
            crate::settings::SETTINGS.iter().filter(|(_, h)| matches!(h, crate::settings::Holds::Number { .. }));
        for (key, _) in numbers {
            if let Some(value) = crate::settings::stored_number(&self.conn, key)? {
                settings.insert(key.to_string(), value);
            }
        }
        let owned: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM p_customer WHERE owner = ? AND deleted_at IS NULL",
            [user],
            |r| r.get(0),
        )?;
        Ok(LocalFacts { conn: &self.conn, settings, owned: [(user.to_string(), owned as u64)].into() })
    }

    /// What the person working here may do with a record: its actions, the fields `update`
    /// may change, and the transitions open to them from its state now.
    pub fn permissions_of(&mut self, id: &str) -> Result<Permissions> {
        let kind = self.kind_of(id)?;
        let person = self.person();
        let teams = self.teams()?;
        let (holder, state, deleted) = self.record_facts(id, kind)?;
        let side = holder.side();
        let offers = match (&state, deleted) {
            (Some(state), false) => workflow::offers(&person, kind, state, &side, &teams),
            _ => Vec::new(),
        };
        Ok(person.permissions(id, &side, &teams, state.as_deref(), offers))
    }

    /// Take transition `name` of a record, writing `fields` (the ones the transition lets the
    /// person choose or fill in) on the way. Judged here by the server's rules first; then one
    /// change, awaiting the server's confirmation.
    pub fn transition(&mut self, id: &str, name: &str, fields: &JsonMap<String, Json>) -> Result<()> {
        let kind = self.kind_of(id)?;
        let unknown = || Error::UnknownTransition { id: id.to_string(), name: name.to_string() };
        let w = kind.spec().workflow.ok_or_else(unknown)?;
        let (_, from, deleted) = self.record_facts(id, kind)?;
        let from = from.unwrap_or_default();
        let t = w.transition_from(name, &from).ok_or_else(unknown)?;
        if deleted {
            return Err(Error::Refused {
                code: "deleted",
                reason: "a deleted record takes no transitions; restore it first".into(),
                params: Json::Null,
            });
        }
        if !t.from.contains(&from.as_str()) {
            return Err(Error::Refused {
                code: "invalid_transition",
                reason: format!("a {kind} cannot {name} from {from}"),
                params: serde_json::json!({ "from": from, "to": t.to, "transition": name }),
            });
        }
        let outside: Vec<FieldError> = fields
            .keys()
            .filter(|n| !t.sets.contains(&n.as_str()) && !t.fields.contains(&n.as_str()))
            .map(|n| FieldError::with(n.clone(), "not_in_transition", serde_json::json!({ "transition": name })))
            .collect();
        if !outside.is_empty() {
            return Err(Error::Validation(outside));
        }
        // A log field on the way (a churn case's measures) is given as the text of a new entry.
        let (logs, plain): (JsonMap<String, Json>, JsonMap<String, Json>) =
            fields.clone().into_iter().partition(|(n, _)| kind.spec().field(n).is_some_and(|f| f.ty == FieldType::Log));
        let me = self.identity().user_id.clone();
        let mut entries = Vec::new();
        for (name, text) in &logs {
            let Some(field) = kind.spec().field(name) else { continue };
            let text = text.as_str().map(str::trim).unwrap_or_default();
            if text.is_empty() {
                continue;
            }
            let entry = LogEntry { by: me.clone(), at: now_ms(), text: text.to_string() };
            crate::value::check(field, &FieldValue::Log(vec![entry.clone()]))
                .map_err(|e| Error::Validation(vec![e]))?;
            entries.push((field, entry));
        }
        let mut parsed = self.parse_fields(kind, &plain, Some(id))?;
        // A claim makes the claimant the holder unless the request says otherwise.
        if let StateOf::Holder { name: holder, .. } = w.state {
            let given = parsed.iter().any(|(f, _)| f.name == holder);
            if !given && t.sets.contains(&holder) {
                if let Some(field) = kind.spec().field(holder) {
                    let value = (t.to != state_empty(w)).then(|| FieldValue::Str(me.clone()));
                    parsed.push((field, value));
                }
            }
        }
        let person = self.person();
        let teams = self.teams()?;
        let mut before_doc = self.with_doc(id, |doc| Ok(doc.fork()))?;
        let before = workflow::Before::of(kind, &mut before_doc);
        let before_holder = self.holder_of(kind, &before_doc)?;
        let facts = self.local_facts(&me)?;
        // What the area fills in when the request leaves it out and the record has none (an
        // invoice's buyer from its customer).
        for (field, value) in crate::domain::prefill(kind, t.name, &before_doc, &facts) {
            if t.fields.contains(&field.name)
                && !parsed.iter().any(|(f, _)| f.name == field.name)
                && before_doc.read(field).is_none()
            {
                parsed.push((field, Some(value)));
            }
        }
        // The side after: a new holder moves a customer's scope with it.
        let mut after_doc = before_doc.fork();
        write_transition(&mut after_doc, kind, t, &parsed, &entries, &me)?;
        let after_holder = self.holder_of(kind, &after_doc)?;
        let time = now_ms() / 1000;
        let mut judged = Judged {
            kind,
            before: Some(&before),
            after: &mut after_doc,
            change: None,
            author: &me,
            time_secs: time,
            before_side: Some(before_holder.side()),
            after_side: after_holder.side(),
        };
        match workflow::judge(&person, &mut judged, &teams, &facts) {
            Ok(Some(found)) if found.name == t.name => {}
            Ok(_) => return Err(unknown()),
            Err(refused) => {
                return Err(Error::Refused {
                    code: refused.refusal.code,
                    reason: refused.refusal.reason,
                    params: refused.params,
                })
            }
        }
        let changed = self.edit(id, |doc| write_transition(doc, kind, t, &parsed, &entries, &me))?;
        if changed {
            let hash: Option<Vec<u8>> = self
                .conn
                .query_row("SELECT hash FROM outbox WHERE doc_id = ? ORDER BY seq DESC LIMIT 1", [id], |r| r.get(0))
                .optional()?;
            if let Some(hash) = hash {
                self.conn.execute(
                    "INSERT OR REPLACE INTO awaiting (hash, doc_id, transition, at) VALUES (?, ?, ?, ?)",
                    params![hash, id, t.name, now_ms()],
                )?;
            }
            if kind == Kind::ChurnCase {
                self.after_churn_transition(id, t.name)?;
            }
        }
        Ok(())
    }

    /// Add an entry to a log field (a request's handling notes), written by the person here.
    pub fn append(&mut self, id: &str, field: &str, text: &str) -> Result<()> {
        let kind = self.kind_of(id)?;
        let spec = kind.spec().field(field).ok_or_else(|| Error::field(field.to_string(), "unknown_field"))?;
        if spec.ty != FieldType::Log {
            return Err(Error::field(field.to_string(), "not_a_log"));
        }
        let entry = LogEntry { by: self.identity().user_id.clone(), at: now_ms(), text: text.trim().to_string() };
        crate::value::check(spec, &FieldValue::Log(vec![entry.clone()])).map_err(|e| Error::Validation(vec![e]))?;
        self.check_may_edit(id)?;
        self.edit(id, |doc| {
            if doc.deleted_at().is_some() {
                return Err(Error::Deleted(id.to_string()));
            }
            doc.append_log(spec, &entry)
        })?;
        Ok(())
    }

    /// The transition of this record waiting for the server, if any.
    pub fn awaiting(&self, id: &str) -> Result<Option<Awaiting>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT a.transition, a.at FROM awaiting a JOIN outbox o ON o.hash = a.hash
                 WHERE a.doc_id = ? ORDER BY a.at DESC LIMIT 1",
            )?
            .query_row([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .optional()?
            .map(|(transition, at)| Awaiting { transition, at: crate::value::format_datetime(at) }))
    }

    /// Forget refused edits the person has seen.
    pub fn dismiss_refused(&mut self, hashes: &[String]) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let mut removed = 0;
        for h in hashes {
            let bytes =
                crate::store::hex_decode(h).ok_or_else(|| Error::BadRequest(format!("'{h}' is not a change hash")))?;
            removed += tx.prepare_cached("DELETE FROM rejected WHERE hash = ?")?.execute([bytes])?;
        }
        tx.commit()?;
        Ok(removed)
    }

    /// Edits of this record the server refused (newest first).
    pub fn refused_notes(&self, id: &str) -> Result<Vec<RefusedNote>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT code, reason, params, at, hash FROM rejected WHERE doc_id = ? ORDER BY at DESC LIMIT 20",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, Vec<u8>>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (code, reason, params, at, hash) = row?;
            let params = params.and_then(|p| serde_json::from_str(&p).ok()).unwrap_or(Json::Null);
            let (at, hash) = (crate::value::format_datetime(at), crate::store::hex(&hash));
            out.push(RefusedNote { code, reason, params, at, hash });
        }
        Ok(out)
    }

    /// An `update` that names decided fields: the plain fields are written as an edit, the
    /// decided ones as the one transition from the record's state that writes them.
    pub(crate) fn update_with_transition(
        &mut self,
        id: &str,
        fields: &JsonMap<String, Json>,
        base: Option<&str>,
    ) -> Result<bool> {
        let kind = self.kind_of(id)?;
        let Some(w) = kind.spec().workflow else { return self.update_plain_since(id, fields, base) };
        let (mut decided, plain): (JsonMap<String, Json>, JsonMap<String, Json>) =
            fields.clone().into_iter().partition(|(n, _)| w.decided.contains(&n.as_str()));
        if let Some(version) = base {
            // A decided field sent as it was read asks for no move: another device may have
            // moved it since, and a form sending what it showed must not move it back. (An
            // unknown version is refused here, before anything is written.)
            let then = self.with_doc(id, |doc| doc.at_version(version))?;
            let parsed = self.parse_fields(kind, &decided, Some(id))?;
            let unchanged: Vec<&str> =
                parsed.iter().filter(|(f, v)| then.read(f).as_ref() == v.as_ref()).map(|(f, _)| f.name).collect();
            decided.retain(|n, _| !unchanged.contains(&n.as_str()));
        }
        if decided.is_empty() {
            return self.update_plain_since(id, fields, base);
        }
        // Nothing decided actually changes: a plain update (forms send what they show).
        let mut doc = self.with_doc(id, |doc| Ok(doc.fork()))?;
        let parsed = self.parse_fields(kind, &decided, Some(id))?;
        if parsed.iter().all(|(f, v)| doc.read(f).as_ref() == v.as_ref()) {
            return self.update_plain_since(id, &plain, base);
        }
        let state_field = w.state_field();
        let target = decided.get(state_field).and_then(Json::as_str);
        let from = workflow::state_now(kind, &mut doc).unwrap_or_default();
        let mut first_error = None;
        for t in w.transitions.iter().filter(|t| t.from.contains(&from.as_str())) {
            let writes_all = decided.keys().all(|n| t.sets.contains(&n.as_str()) || n == state_field);
            let goes = match (w.state, target) {
                (StateOf::Field { .. }, Some(to)) => t.to == to,
                (StateOf::Field { .. }, None) => t.to == from,
                (StateOf::Holder { .. }, _) => true,
            };
            if !writes_all || !goes {
                continue;
            }
            let mut own: JsonMap<String, Json> = decided.clone();
            if let StateOf::Field { name, .. } = w.state {
                // The transition writes the state itself; a holder is a field it sets.
                own.remove(name);
            }
            for (n, v) in &plain {
                if t.fields.contains(&n.as_str()) {
                    own.insert(n.clone(), v.clone());
                }
            }
            match self.transition(id, t.name, &own) {
                Ok(()) => {
                    let rest: JsonMap<String, Json> =
                        plain.into_iter().filter(|(n, _)| !t.fields.contains(&n.as_str())).collect();
                    self.update_plain_since(id, &rest, base)?;
                    return Ok(true);
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.unwrap_or_else(|| Error::Refused {
            code: "invalid_transition",
            reason: format!(
                "no transition of a {kind} from {from} writes {}",
                decided.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
            params: serde_json::json!({ "from": from, "fields": decided.keys().collect::<Vec<_>>() }),
        }))
    }
}

fn refused(r: crate::access::Refusal) -> Error {
    Error::Refused { code: r.code, reason: r.reason, params: Json::Null }
}

fn state_empty(w: &crate::kind::Workflow) -> &'static str {
    match w.state {
        StateOf::Holder { empty, .. } => empty,
        StateOf::Field { absent, .. } => absent,
    }
}

/// Write what transition `t` writes: the chosen and filled-in fields, the new state, and the
/// stamps (who took it, when).
fn write_transition(
    doc: &mut RecordDoc,
    kind: Kind,
    t: &crate::kind::Transition,
    parsed: &[(&'static crate::kind::FieldSpec, Option<FieldValue>)],
    entries: &[(&'static crate::kind::FieldSpec, LogEntry)],
    me: &str,
) -> Result<()> {
    if doc.deleted_at().is_some() {
        return Err(Error::Refused {
            code: "deleted",
            reason: "a deleted record takes no transitions; restore it first".into(),
            params: Json::Null,
        });
    }
    let spec = kind.spec();
    // What the person sees now: the version an approval pins.
    let seen = workflow::format_heads(&doc.heads());
    for (field, value) in parsed {
        doc.write(field, value.as_ref(), false)?;
    }
    for (field, entry) in entries {
        doc.append_log(field, entry)?;
    }
    for name in t.clears {
        if parsed.iter().any(|(f, _)| f.name == *name) {
            continue; // given a value on the way: it stands
        }
        if let Some(field) = spec.field(name) {
            doc.write(field, None, false)?;
        }
    }
    if let Some(w) = spec.workflow {
        if let StateOf::Field { name, .. } = w.state {
            if let Some(field) = spec.field(name) {
                doc.write(field, Some(&FieldValue::Str(t.to.to_string())), false)?;
            }
        }
    }
    for name in t.stamps {
        let Some(field) = spec.field(name) else { continue };
        let pin = spec.workflow.and_then(|w| w.pin).map(|p| p.field);
        let value = match field.ty {
            _ if pin == Some(*name) => FieldValue::Str(seen.clone()),
            FieldType::Ref(Kind::User) => FieldValue::Str(me.to_string()),
            FieldType::DateTime => FieldValue::DateTime(now_ms()),
            _ => continue,
        };
        doc.write(field, Some(&value), true)?;
    }
    Ok(())
}
