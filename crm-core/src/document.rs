//! One CRM record as one Automerge document.
//!
//! Layout of the root map: `kind`, `schema`, `created_at` (timestamp), `created_by` (user
//! id), optional `deleted_at` (timestamp; deletion is a field so it syncs and can be undone),
//! and one key per field. Keys this version does not know are never touched, so documents
//! written by a newer version keep their fields when edited here.
//!
//! Each change's message is the author's user id; its time is Unix seconds.

use std::collections::{BTreeMap, BTreeSet};

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{
    hydrate, ActorId, AutoCommit, Change, ChangeHash, ObjId, ObjType, Prop, ReadDoc, ScalarValue, Value, ROOT,
};
use serde::Serialize;
use serde_json::{json, Map as JsonMap, Value as Json};

use crate::error::{Error, FieldError, Result};
use crate::kind::{FieldSpec, FieldType, Kind};
use crate::value::{FieldValue, LogEntry, Money, Place, Step};

pub const SCHEMA_VERSION: i64 = 1;
const META_KEYS: &[&str] = &["kind", "schema", "created_at", "created_by", "deleted_at"];

/// What [`RecordDoc::survey`] is asked for: the record's problems, its fields' values.
#[derive(Clone, Copy)]
struct Want {
    problems: bool,
    values: bool,
}

/// What [`RecordDoc::survey`] found: the problems, the winning value of every field, and
/// whether any field is in conflict (each when asked).
struct Survey {
    problems: Vec<FieldError>,
    values: Vec<Option<FieldValue>>,
    conflicted: bool,
    /// The record's own keys, as read on the way (when problems are asked for).
    root: RootMeta,
}

/// A record's own keys as [`RecordDoc::kind`], [`RecordDoc::created_at`],
/// [`RecordDoc::created_by`] and [`RecordDoc::deleted_at`] read them: [`RecordDoc::root_meta`],
/// or from [`RecordDoc::checked_snapshot`]'s pass over the document for a caller that needs
/// them beside the fields (each is a seek of its own otherwise).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RootMeta {
    pub kind: Option<Kind>,
    pub created_at: Option<i64>,
    pub created_by: Option<String>,
    pub deleted_at: Option<i64>,
}

impl RootMeta {
    /// Take `value`, the winning value of the root key `key`, when it is one of these.
    fn take(&mut self, key: &str, value: &ScalarValue) {
        let text = || match value {
            ScalarValue::Str(s) => Some(s.to_string()),
            _ => None,
        };
        match key {
            "kind" => self.kind = text().and_then(|k| Kind::parse(&k)),
            "created_by" => self.created_by = text(),
            "created_at" => self.created_at = as_millis(value),
            "deleted_at" => self.deleted_at = as_millis(value),
            _ => {}
        }
    }
}

/// One of several values that devices wrote concurrently to the same field.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Candidate {
    pub value: Json,
    /// User id of the author (from the change message).
    pub user_id: String,
    /// When it was written, RFC 3339.
    pub at: String,
    /// The change that wrote it.
    #[serde(skip)]
    pub hash: Option<ChangeHash>,
}

/// One change in a record's history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    pub hash: String,
    pub user_id: String,
    pub at: String,
    /// `create`, `update`, `delete` or `restore`.
    pub action: &'static str,
    pub fields: Vec<String>,
}

pub struct RecordDoc {
    doc: AutoCommit,
}

impl RecordDoc {
    pub fn empty() -> Self {
        RecordDoc { doc: AutoCommit::new() }
    }

    /// Load a stored snapshot (may be empty) and the change rows stored beside it.
    pub fn load(snapshot: &[u8], changes: Vec<Vec<u8>>) -> Result<Self> {
        let mut doc = if snapshot.is_empty() { AutoCommit::new() } else { AutoCommit::load(snapshot)? };
        let mut parsed = Vec::with_capacity(changes.len());
        for bytes in changes {
            parsed.push(Change::from_bytes(bytes).map_err(|e| Error::Corrupt(e.to_string()))?);
        }
        doc.apply_changes(parsed)?;
        Ok(RecordDoc { doc })
    }

    /// An independent copy (for trying changes without touching this one).
    pub fn fork(&mut self) -> RecordDoc {
        RecordDoc { doc: self.doc.fork() }
    }

    /// The next Automerge sync-protocol message for the peer behind `state`, if any.
    pub fn sync_message(&mut self, state: &mut automerge::sync::State) -> Option<Vec<u8>> {
        use automerge::sync::SyncDoc;
        self.doc.sync().generate_sync_message(state).map(|m| m.encode())
    }

    /// Take an Automerge sync-protocol message; returns the changes it added, oldest first.
    pub fn receive_sync_message(&mut self, state: &mut automerge::sync::State, message: &[u8]) -> Result<Vec<Change>> {
        use automerge::sync::SyncDoc;
        let message = automerge::sync::Message::decode(message).map_err(|e| Error::BadChange(e.to_string()))?;
        let before = self.doc.get_heads();
        self.doc.sync().receive_sync_message(state, message).map_err(|e| Error::BadChange(e.to_string()))?;
        Ok(self.doc.get_changes(&before))
    }

    /// Load a whole-document snapshot from the sync server without re-verifying its heads
    /// (the server verified every change when it accepted it). A bootstrap loads tens of
    /// thousands of these.
    pub fn load_from_server(snapshot: &[u8]) -> Result<Self> {
        Ok(RecordDoc { doc: AutoCommit::load_unverified_heads(snapshot)? })
    }

    pub fn set_actor(&mut self, actor: &ActorId) {
        if self.doc.get_actor() != actor {
            self.doc.set_actor(actor.clone());
        }
    }

    pub fn inner(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }

    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// The version of this document: its heads, as `get` gives them (`version`).
    pub fn version(&mut self) -> String {
        crate::workflow::format_heads(&self.doc.get_heads())
    }

    /// This document as it was at `version`, for writing the change from what someone read.
    /// A version this document does not hold is refused (`base`, `unknown_version`).
    pub fn at_version(&mut self, version: &str) -> Result<RecordDoc> {
        let unknown = || Error::field("base".to_string(), "unknown_version");
        let heads = crate::workflow::parse_heads(version).filter(|h| !h.is_empty()).ok_or_else(unknown)?;
        if !heads.iter().all(|h| self.doc.get_change_by_hash(h).is_some()) {
            return Err(unknown());
        }
        Ok(RecordDoc { doc: self.doc.fork_at(&heads)? })
    }

    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// Whether the change is part of the document (not waiting for missing dependencies).
    /// The changes `hash` was made on top of (its actor's previous change among them), if
    /// this document has it.
    pub fn deps_of(&mut self, hash: &ChangeHash) -> Option<Vec<ChangeHash>> {
        self.doc.get_change_by_hash(hash).map(|c| c.deps().to_vec())
    }

    /// The heads of the version made of `hashes` and their history: those of them no other
    /// one depends on, directly or not.
    pub fn heads_of(&mut self, hashes: &[ChangeHash]) -> Vec<ChangeHash> {
        hashes
            .iter()
            .filter(|h| {
                !hashes.iter().any(|other| {
                    // `get_changes(&[other])` is what `other`'s history lacks.
                    other != *h && !self.doc.get_changes(std::slice::from_ref(other)).iter().any(|c| c.hash() == **h)
                })
            })
            .copied()
            .collect()
    }

    pub fn has_change(&mut self, hash: &ChangeHash) -> bool {
        self.doc.get_change_by_hash(hash).is_some()
    }

    pub fn apply(&mut self, changes: Vec<Change>) -> Result<()> {
        self.doc.apply_changes(changes).map_err(|e| Error::BadChange(e.to_string()))
    }

    /// Write the meta fields of a new record.
    pub fn init(&mut self, kind: Kind, created_at_ms: i64, created_by: &str) -> Result<()> {
        self.doc.put(ROOT, "kind", kind.as_str())?;
        self.doc.put(ROOT, "schema", SCHEMA_VERSION)?;
        self.doc.put(ROOT, "created_at", ScalarValue::Timestamp(created_at_ms))?;
        self.doc.put(ROOT, "created_by", created_by)?;
        // Containers exist from the start so every device edits the same object; created
        // lazily on two devices they would be two objects and one device's entries would lose.
        for field in kind.spec().fields {
            if let Some(obj_type) = container_type(field.ty) {
                self.doc.put_object(ROOT, field.name, obj_type)?;
            }
        }
        Ok(())
    }

    /// A new record written by `actor`: meta fields, containers and `values` (uncommitted),
    /// the whole root given to Automerge as one value, which it adds in one splice instead
    /// of one per field (a new record's fields each cost a splice of every operation column;
    /// an import or a bulk entry makes tens of thousands). It reads the same as
    /// [`RecordDoc::create_stepwise`]; its change is not the same bytes.
    pub fn create<'a>(
        actor: &ActorId,
        kind: Kind,
        created_at_ms: i64,
        created_by: &str,
        values: impl IntoIterator<Item = (&'a FieldSpec, &'a FieldValue)>,
    ) -> Result<Self> {
        let mut doc = RecordDoc::empty();
        doc.set_actor(actor);
        let encoding = doc.doc.text_encoding();
        let mut root: std::collections::HashMap<String, hydrate::Value> = std::collections::HashMap::new();
        root.insert("kind".into(), ScalarValue::Str(kind.as_str().into()).into());
        root.insert("schema".into(), ScalarValue::Int(SCHEMA_VERSION).into());
        root.insert("created_at".into(), ScalarValue::Timestamp(created_at_ms).into());
        root.insert("created_by".into(), ScalarValue::Str(created_by.into()).into());
        // Containers exist from the start, filled or not (see `init`).
        for field in kind.spec().fields {
            if let Some(empty) = empty_container(field.ty, encoding) {
                root.insert(field.name.into(), empty);
            }
        }
        for (field, value) in values {
            root.insert(field.name.into(), fresh_value(field, value, encoding)?);
        }
        doc.doc.init_root_from_hydrate(&hydrate::Map::from(root))?;
        Ok(doc)
    }

    /// [`RecordDoc::create`] one operation at a time: meta fields, containers, then each
    /// value as an edit would write it. What every device and the server make byte for byte
    /// — a genesis ([`crate::genesis`]), the seeded defaults ([`crate::seed`]) — is made this
    /// way and must stay so: a store that made it before holds the same change.
    pub fn create_stepwise<'a>(
        actor: &ActorId,
        kind: Kind,
        created_at_ms: i64,
        created_by: &str,
        values: impl IntoIterator<Item = (&'a FieldSpec, &'a FieldValue)>,
    ) -> Result<Self> {
        let mut doc = RecordDoc::empty();
        doc.set_actor(actor);
        doc.init(kind, created_at_ms, created_by)?;
        for (field, value) in values {
            doc.write(field, Some(value), true)?;
        }
        Ok(doc)
    }

    /// [`RecordDoc::create`] with values given by field name (names the kind lacks are skipped).
    pub fn create_named(
        actor: &ActorId,
        kind: Kind,
        created_at_ms: i64,
        created_by: &str,
        values: &[(&str, FieldValue)],
    ) -> Result<Self> {
        RecordDoc::create(actor, kind, created_at_ms, created_by, fields_named(kind, values))
    }

    /// Commit pending operations as one change authored by `user_id`.
    pub fn commit(&mut self, user_id: &str, time_secs: i64) -> Option<Change> {
        self.doc.commit_with(CommitOptions::default().with_message(user_id.to_string()).with_time(time_secs))?;
        self.doc.get_last_local_change()
    }

    pub fn rollback(&mut self) {
        self.doc.rollback();
    }

    pub fn kind(&self) -> Option<Kind> {
        self.scalar_str("kind").and_then(|k| Kind::parse(&k))
    }

    pub fn created_at(&self) -> Option<i64> {
        self.scalar("created_at").and_then(|v| as_millis(&v))
    }

    pub fn created_by(&self) -> Option<String> {
        self.scalar_str("created_by")
    }

    pub fn deleted_at(&self) -> Option<i64> {
        self.scalar("deleted_at").and_then(|v| as_millis(&v))
    }

    pub fn set_deleted(&mut self, at_ms: Option<i64>) -> Result<()> {
        match at_ms {
            Some(ms) => self.doc.put(ROOT, "deleted_at", ScalarValue::Timestamp(ms))?,
            None => self.doc.delete(ROOT, "deleted_at")?,
        }
        Ok(())
    }

    /// Everything wrong with this document as a record of `kind`: root keys the kind does
    /// not have, meta keys of the wrong type, and every field value — each of the values a
    /// conflict keeps — that is of the wrong Automerge type or breaks the field's rules
    /// ([`crate::value::check`], the same rules a form is held to). The server refuses a
    /// pushed change that leaves its document with any of these. Dictionary codes and
    /// references need a database and are checked by the caller.
    pub fn problems(&self, kind: Kind) -> Vec<FieldError> {
        self.survey(kind, Want { problems: true, values: false }).problems
    }

    /// [`RecordDoc::problems`] and [`RecordDoc::snapshot`] from one pass over the document,
    /// for a caller that needs both (the server, preparing a new record). The values are
    /// only complete when there are no problems.
    pub fn checked_snapshot(&self, kind: Kind) -> (Vec<FieldError>, Vec<Option<FieldValue>>, bool, RootMeta) {
        let Survey { problems, values, conflicted, root } = self.survey(kind, Want { problems: true, values: true });
        (problems, values, conflicted, root)
    }

    /// The record's own keys ([`RootMeta`]), each read by itself.
    pub fn root_meta(&self) -> RootMeta {
        RootMeta {
            kind: self.kind(),
            created_at: self.created_at(),
            created_by: self.created_by(),
            deleted_at: self.deleted_at(),
        }
    }

    /// One pass over the root map (each `get` seeks the key again; only keys Automerge flags
    /// as conflicting are looked up for all their values): what is wrong with the record (a
    /// field's values are decoded until the first problem), and the winning value of every
    /// field (`get` is the last of `get_all`) with whether any is in conflict, as `want` asks.
    fn survey(&self, kind: Kind, want: Want) -> Survey {
        let check = want.problems;
        let spec = kind.spec();
        let fields = spec.fields;
        let mut out = Survey {
            problems: Vec::new(),
            values: vec![None; fields.len()],
            conflicted: false,
            root: RootMeta::default(),
        };
        let mut present = vec![false; fields.len()];
        for item in self.doc.map_range(ROOT, ..) {
            let index = fields.iter().position(|f| f.name == item.key);
            if !check && index.is_none() {
                continue;
            }
            let key = if check { item.key.to_string() } else { String::new() };
            let all: Vec<(Value<'_>, automerge::ObjId)> = if item.conflict {
                self.doc.get_all(ROOT, index.map_or(key.as_str(), |i| fields[i].name)).unwrap_or_default()
            } else {
                let id = item.id();
                vec![(item.value.into(), id)]
            };
            if let Some(i) = index {
                present[i] = true;
            }
            if check && META_KEYS.contains(&key.as_str()) {
                // The winning value, as `get` reads it, is the last of `get_all`.
                if let Some((Value::Scalar(s), _)) = all.last() {
                    out.root.take(&key, s);
                }
                let ok = all.iter().all(|(v, _)| match (key.as_str(), v) {
                    ("kind" | "created_by", Value::Scalar(s)) => matches!(s.as_ref(), ScalarValue::Str(_)),
                    ("schema", Value::Scalar(s)) => matches!(s.as_ref(), ScalarValue::Int(n) if *n >= 1),
                    ("created_at" | "deleted_at", Value::Scalar(s)) => as_millis(s)
                        .is_some_and(|ms| (crate::value::MIN_TIME_MS..=crate::value::MAX_TIME_MS).contains(&ms)),
                    _ => false,
                });
                if !ok {
                    out.problems.push(FieldError::new(key, "wrong_type"));
                }
                continue;
            }
            let Some(i) = index else {
                if check {
                    out.problems.push(FieldError::new(key, "unknown_field"));
                }
                continue;
            };
            let field = &fields[i];
            if check && field.derived {
                out.problems.push(FieldError::new(key, "derived_field"));
                continue;
            }
            let mut first = None;
            for (value, id) in &all {
                let decoded = self.decode(field.ty, value, id);
                if check {
                    let wrong = || {
                        FieldError::with(field.name, "wrong_type", json!({ "expected": field.ty.describe()["type"] }))
                    };
                    let problem = match &decoded {
                        None => Some(wrong()),
                        // The reader skips what it does not understand inside a container; a
                        // record the server stores has nothing there to skip.
                        Some(_) if !self.container_is_clean(field.ty, value, id) => Some(wrong()),
                        Some(v) => crate::value::check(field, v).err(),
                    };
                    if let Some(problem) = problem {
                        out.problems.push(problem);
                        break;
                    }
                }
                if !want.values {
                    continue;
                }
                if all.len() > 1 {
                    match &first {
                        None => first = Some(decoded.clone()),
                        Some(first) => out.conflicted |= decoded != *first,
                    }
                }
                out.values[i] = decoded;
            }
        }
        if check {
            for (field, _) in fields.iter().zip(&present).filter(|(f, present)| f.required && !**present) {
                out.problems.push(FieldError::new(field.name, "required"));
            }
            out.problems.extend(crate::domain::problems(kind, self));
        }
        if want.values && !out.conflicted {
            out.conflicted = fields.iter().any(|f| match f.ty {
                FieldType::Items(parts) => match self.doc.get(ROOT, f.name) {
                    Ok(Some((Value::Object(ObjType::List), list))) => {
                        crate::items::has_conflicts(&self.doc, &list, parts)
                    }
                    _ => false,
                },
                _ => false,
            });
        }
        out
    }

    /// Does a container field hold only what its type allows: no other keys and no other
    /// value types, in every value a concurrent edit kept? Scalars are judged by `decode`.
    fn container_is_clean(&self, ty: FieldType, value: &Value<'_>, id: &ObjId) -> bool {
        let d = &self.doc;
        let Value::Object(_) = value else { return true };
        let scalar = |v: &Value<'_>, want: fn(&ScalarValue) -> bool| matches!(v, Value::Scalar(s) if want(s.as_ref()));
        let is_str = |s: &ScalarValue| matches!(s, ScalarValue::Str(_));
        let is_int = |s: &ScalarValue| matches!(s, ScalarValue::Int(_));
        match ty {
            FieldType::Money => every_map_value(d, id, |k, v, _| match k {
                "minor" => scalar(v, is_int),
                "currency" => scalar(v, is_str),
                _ => false,
            }),
            FieldType::Place => {
                every_map_value(d, id, |k, v, _| ["lat", "lng", "accuracy"].contains(&k) && scalar(v, is_int))
            }
            FieldType::Phones => every_list_value(d, id, |v, _| scalar(v, is_str)),
            FieldType::Tags => every_map_value(d, id, |_, v, _| scalar(v, |s| matches!(s, ScalarValue::Boolean(_)))),
            FieldType::Custom => every_map_value(d, id, |_, v, _| scalar(v, is_str)),
            FieldType::Steps => every_list_value(d, id, |v, step| {
                matches!(v, Value::Object(ObjType::Map))
                    && every_map_value(d, step, |k, v, _| {
                        ["date", "action", "result"].contains(&k) && scalar(v, is_str)
                    })
            }),
            FieldType::Log => every_list_value(d, id, |v, entry| {
                matches!(v, Value::Object(ObjType::Map))
                    && every_map_value(d, entry, |k, v, _| match k {
                        "by" | "text" => scalar(v, is_str),
                        "at" => scalar(v, |s| matches!(s, ScalarValue::Timestamp(_))),
                        _ => false,
                    })
            }),
            FieldType::Items(parts) => crate::items::is_clean(d, id, parts),
            _ => true,
        }
    }

    /// Add an entry at the end of a log field (entries added elsewhere meanwhile stay too).
    pub fn append_log(&mut self, spec: &FieldSpec, entry: &LogEntry) -> Result<()> {
        let d = &mut self.doc;
        let list = match d.get(ROOT, spec.name)? {
            Some((Value::Object(ObjType::List), id)) => id,
            _ => d.put_object(ROOT, spec.name, ObjType::List)?,
        };
        let at = d.length(&list);
        let obj = d.insert_object(&list, at, ObjType::Map)?;
        d.put(&obj, "by", entry.by.as_str())?;
        d.put(&obj, "at", ScalarValue::Timestamp(entry.at))?;
        d.put(&obj, "text", entry.text.as_str())?;
        Ok(())
    }

    /// Latest change time in the document, UTC milliseconds.
    pub fn updated_at(&mut self) -> i64 {
        self.doc.get_changes_meta(&[]).iter().map(|m| m.timestamp).max().unwrap_or(0).saturating_mul(1000)
    }

    fn scalar(&self, key: &str) -> Option<ScalarValue> {
        match self.doc.get(ROOT, key).ok().flatten() {
            Some((Value::Scalar(s), _)) => Some(s.into_owned()),
            _ => None,
        }
    }

    fn scalar_str(&self, key: &str) -> Option<String> {
        match self.scalar(key) {
            Some(ScalarValue::Str(s)) => Some(s.to_string()),
            _ => None,
        }
    }

    /// The root keys whose values differ between the document at `from` and now.
    pub fn keys_changed_since(&mut self, from: &[ChangeHash]) -> BTreeSet<String> {
        let heads = self.doc.get_heads();
        self.doc.diff(from, &heads).iter().filter_map(root_key).collect()
    }

    /// The winning value of a scalar field as it was at `heads`.
    pub fn read_at(&self, spec: &FieldSpec, heads: &[ChangeHash]) -> Option<FieldValue> {
        let (value, id) = self.doc.get_at(ROOT, spec.name, heads).ok().flatten()?;
        self.decode(spec.ty, &value, &id)
    }

    /// The winning value of a field.
    pub fn read(&self, spec: &FieldSpec) -> Option<FieldValue> {
        let (value, id) = self.doc.get(ROOT, spec.name).ok().flatten()?;
        self.decode(spec.ty, &value, &id)
    }

    /// The winning value of every field of `kind` and whether any field is in conflict: what
    /// the read models are built from, in one pass over the root map.
    pub fn snapshot(&self, kind: Kind) -> (Vec<Option<FieldValue>>, bool) {
        let Survey { values, conflicted, .. } = self.survey(kind, Want { problems: false, values: true });
        (values, conflicted)
    }

    /// Competing values of the parts of an item list's items, by `FIELD.ITEM_ID.PART`.
    pub fn item_conflicts(&mut self, spec: &FieldSpec) -> Vec<(String, Vec<Candidate>)> {
        let FieldType::Items(parts) = spec.ty else { return Vec::new() };
        let Ok(Some((Value::Object(ObjType::List), list))) = self.doc.get(ROOT, spec.name) else { return Vec::new() };
        let found = crate::items::conflicts(&self.doc, &list, parts);
        found
            .into_iter()
            .map(|(path, values)| {
                let candidates = values
                    .into_iter()
                    .map(|(value, op)| {
                        let (user_id, at) = self.author_of(&op);
                        Candidate {
                            value,
                            user_id,
                            at: crate::value::format_datetime(at.saturating_mul(1000)),
                            hash: self.doc.hash_for_opid(&op),
                        }
                    })
                    .collect();
                (format!("{}.{path}", spec.name), candidates)
            })
            .collect()
    }

    /// Write one part of one item of an item list (resolving a conflict on it).
    pub fn write_item_part(
        &mut self,
        spec: &FieldSpec,
        item: &str,
        part: &FieldSpec,
        value: Option<&FieldValue>,
    ) -> Result<bool> {
        let Some((Value::Object(ObjType::List), list)) = self.doc.get(ROOT, spec.name)? else { return Ok(false) };
        crate::items::write_part(&mut self.doc, &list, item, part, value)
    }

    /// All competing values of a field when devices wrote different values concurrently.
    /// Empty when there is no conflict (or all the values are equal).
    pub fn conflicts(&mut self, spec: &FieldSpec) -> Vec<Candidate> {
        let all = match self.doc.get_all(ROOT, spec.name) {
            Ok(all) if all.len() > 1 => all,
            _ => return Vec::new(),
        };
        let decoded: Vec<(Option<FieldValue>, ObjId)> =
            all.iter().map(|(v, id)| (self.decode(spec.ty, v, id), id.clone())).collect();
        let first = &decoded[0].0;
        if decoded.iter().all(|(v, _)| v == first) {
            return Vec::new();
        }
        decoded
            .into_iter()
            .map(|(value, id)| {
                let (user_id, at) = self.author_of(&id);
                Candidate {
                    value: value.map(|v| v.to_json()).unwrap_or(Json::Null),
                    user_id,
                    at: crate::value::format_datetime(at.saturating_mul(1000)),
                    hash: None,
                }
            })
            .collect()
    }

    /// Every value the field holds after concurrent writes, equal or not (what `conflicts`
    /// shows only when they differ), with the change that wrote each; nothing when it holds
    /// one value or none, which costs a single lookup.
    pub fn contested_writers(&mut self, spec: &FieldSpec) -> Vec<Candidate> {
        let all = self.doc.get_all(ROOT, spec.name).unwrap_or_default();
        if all.len() < 2 {
            return Vec::new();
        }
        let decoded: Vec<(Option<FieldValue>, ObjId)> =
            all.iter().map(|(v, id)| (self.decode(spec.ty, v, id), id.clone())).collect();
        decoded
            .into_iter()
            .map(|(value, id)| {
                let (user_id, at) = self.author_of(&id);
                Candidate {
                    value: value.map(|v| v.to_json()).unwrap_or(Json::Null),
                    user_id,
                    at: crate::value::format_datetime(at.saturating_mul(1000)),
                    hash: self.doc.hash_for_opid(&id),
                }
            })
            .collect()
    }

    /// The user id and time (seconds) of the change that wrote the operation `id`.
    fn author_of(&mut self, id: &ObjId) -> (String, i64) {
        let Some(hash) = self.doc.hash_for_opid(id) else {
            return (String::new(), 0);
        };
        match self.doc.get_change_meta_by_hash(&hash) {
            Some(meta) => (meta.message.map(|m| m.into_owned()).unwrap_or_default(), meta.timestamp),
            None => (String::new(), 0),
        }
    }

    fn decode(&self, ty: FieldType, value: &Value<'_>, id: &ObjId) -> Option<FieldValue> {
        let d = &self.doc;
        match (ty, value) {
            (FieldType::Int { .. } | FieldType::Rate | FieldType::Amount, Value::Scalar(s)) => match s.as_ref() {
                ScalarValue::Int(n) => Some(FieldValue::Int(*n)),
                ScalarValue::Uint(n) => i64::try_from(*n).ok().map(FieldValue::Int),
                _ => None,
            },
            (FieldType::Bool, Value::Scalar(s)) => match s.as_ref() {
                ScalarValue::Boolean(b) => Some(FieldValue::Bool(*b)),
                _ => None,
            },
            (FieldType::DateTime, Value::Scalar(s)) => as_millis(s).map(FieldValue::DateTime),
            (FieldType::Quantity, Value::Scalar(s)) => match s.as_ref() {
                ScalarValue::Int(n) => Some(FieldValue::Quantity(*n)),
                _ => None,
            },
            (_, Value::Scalar(s)) => match s.as_ref() {
                ScalarValue::Str(v) if is_plain(ty) => Some(FieldValue::Str(v.to_string())),
                _ => None,
            },
            (FieldType::Money, Value::Object(ObjType::Map)) => {
                let minor = match get_scalar(d, id, "minor")? {
                    ScalarValue::Int(n) => n,
                    _ => return None,
                };
                let currency = match get_scalar(d, id, "currency")? {
                    ScalarValue::Str(s) => s.to_string(),
                    _ => return None,
                };
                Some(FieldValue::Money(Money { minor, currency }))
            }
            (FieldType::Place, Value::Object(ObjType::Map)) => {
                let int = |key: &str| match get_scalar(d, id, key) {
                    Some(ScalarValue::Int(n)) => Some(n),
                    _ => None,
                };
                Some(FieldValue::Place(Place { lat: int("lat")?, lng: int("lng")?, accuracy: int("accuracy") }))
            }
            (FieldType::Phones, Value::Object(ObjType::List)) => Some(FieldValue::Phones(
                d.values(id)
                    .filter_map(|item| match item.0 {
                        Value::Scalar(s) => match s.as_ref() {
                            ScalarValue::Str(s) => Some(s.to_string()),
                            _ => None,
                        },
                        _ => None,
                    })
                    .collect(),
            )),
            (FieldType::Tags, Value::Object(ObjType::Map)) => Some(FieldValue::Tags(
                d.keys(id).filter(|k| matches!(get_scalar(d, id, k), Some(ScalarValue::Boolean(true)))).collect(),
            )),
            (FieldType::Notes, Value::Object(ObjType::Text)) => d.text(id).ok().map(FieldValue::Notes),
            (FieldType::Custom, Value::Object(ObjType::Map)) => Some(FieldValue::Custom(
                d.keys(id)
                    .filter_map(|k| match get_scalar(d, id, &k) {
                        Some(ScalarValue::Str(s)) => Some((k, s.to_string())),
                        _ => None,
                    })
                    .collect(),
            )),
            (FieldType::Steps, Value::Object(ObjType::List)) => {
                let mut steps = Vec::new();
                for i in 0..d.length(id) {
                    if let Ok(Some((Value::Object(ObjType::Map), step_id))) = d.get(id, i) {
                        steps.push(Step {
                            date: get_str(d, &step_id, "date"),
                            action: get_str(d, &step_id, "action").unwrap_or_default(),
                            result: get_str(d, &step_id, "result"),
                        });
                    }
                }
                Some(FieldValue::Steps(steps))
            }
            (FieldType::Items(parts), Value::Object(ObjType::List)) => {
                Some(FieldValue::Items(crate::items::decode(d, id, parts)))
            }
            (FieldType::Log, Value::Object(ObjType::List)) => {
                let mut entries = Vec::new();
                for i in 0..d.length(id) {
                    if let Ok(Some((Value::Object(ObjType::Map), entry))) = d.get(id, i) {
                        entries.push(LogEntry {
                            by: get_str(d, &entry, "by").unwrap_or_default(),
                            at: get_scalar(d, &entry, "at").and_then(|v| as_millis(&v)).unwrap_or(0),
                            text: get_str(d, &entry, "text").unwrap_or_default(),
                        });
                    }
                }
                Some(FieldValue::Log(entries))
            }
            _ => None,
        }
    }

    /// Write one field as the change from `base` (this document as the writer read it) to
    /// `value`: a field the writer left as they read it keeps what it holds now, and an item
    /// list gets only the items and parts the writer changed (see [`crate::items::write`]), so
    /// what others changed since is kept.
    pub fn write_since(&mut self, spec: &FieldSpec, value: Option<&FieldValue>, base: &RecordDoc) -> Result<()> {
        let then = base.read(spec);
        if then.as_ref() == value {
            return Ok(());
        }
        // Tags and custom fields: the keys the writer added, removed or changed, onto now.
        if matches!(spec.ty, FieldType::Tags | FieldType::Custom) {
            let keys = |v: Option<&FieldValue>| -> BTreeMap<String, String> {
                match v {
                    Some(FieldValue::Tags(t)) => t.iter().map(|t| (t.clone(), String::new())).collect(),
                    Some(FieldValue::Custom(m)) => m.clone(),
                    _ => BTreeMap::new(),
                }
            };
            let (then, want, mut now) = (keys(then.as_ref()), keys(value), keys(self.read(spec).as_ref()));
            for key in then.keys().chain(want.keys()).cloned().collect::<std::collections::BTreeSet<_>>() {
                if then.get(&key) != want.get(&key) {
                    match want.get(&key) {
                        Some(v) => now.insert(key, v.clone()),
                        None => now.remove(&key),
                    };
                }
            }
            let merged = match spec.ty {
                FieldType::Tags => FieldValue::Tags(now.into_keys().collect()),
                _ => FieldValue::Custom(now),
            };
            return self.write(spec, Some(&merged), false);
        }
        let FieldType::Items(parts) = spec.ty else { return self.write(spec, value, false) };
        let d = &mut self.doc;
        let obj = match d.get(ROOT, spec.name)? {
            Some((Value::Object(ObjType::List), id)) => id,
            _ => d.put_object(ROOT, spec.name, ObjType::List)?,
        };
        let want = match value {
            Some(FieldValue::Items(items)) => items.as_slice(),
            _ => &[],
        };
        let was = match base.read(spec) {
            Some(FieldValue::Items(items)) => items,
            _ => Vec::new(),
        };
        crate::items::write(d, &obj, parts, want, Some(&was))?;
        // What others added since may take the list past its limit: refused as if sent so.
        if d.length(&obj) > crate::value::MAX_ITEMS {
            let params = serde_json::json!({ "max": crate::value::MAX_ITEMS });
            return Err(Error::Validation(vec![crate::error::FieldError::with(spec.name, "too_many", params)]));
        }
        Ok(())
    }

    /// Write one field, touching only what differs from the current value so that edits to
    /// other fields (or other tags, other plan steps) on other devices merge cleanly.
    /// `force` writes even an equal value: that is how a conflict is resolved.
    pub fn write(&mut self, spec: &FieldSpec, value: Option<&FieldValue>, force: bool) -> Result<()> {
        let name = spec.name;
        if !force && self.read(spec).as_ref() == value {
            return Ok(());
        }
        let d = &mut self.doc;
        match (spec.ty, value) {
            // Entries are only appended (`append_log`); a whole value is never written.
            (FieldType::Log, _) => {
                return Err(Error::field(name.to_string(), "append_only"));
            }
            (FieldType::Tags | FieldType::Custom | FieldType::Steps | FieldType::Notes | FieldType::Items(_), v) => {
                let obj_type = container_type(spec.ty).unwrap_or(ObjType::Map);
                let obj = match d.get(ROOT, name)? {
                    Some((Value::Object(t), id)) if t == obj_type => id,
                    _ => d.put_object(ROOT, name, obj_type)?,
                };
                match v {
                    Some(FieldValue::Notes(text)) => write_text(d, &obj, text)?,
                    None if spec.ty == FieldType::Notes => write_text(d, &obj, "")?,
                    Some(FieldValue::Tags(tags)) => {
                        sync_map(d, &obj, &tags.iter().map(|t| (t.clone(), true.into())).collect())?
                    }
                    Some(FieldValue::Custom(map)) => sync_map(
                        d,
                        &obj,
                        &map.iter().map(|(k, v)| (k.clone(), ScalarValue::Str(v.as_str().into()))).collect(),
                    )?,
                    Some(FieldValue::Steps(steps)) => write_steps(d, &obj, steps)?,
                    None if spec.ty == FieldType::Steps => write_steps(d, &obj, &[])?,
                    Some(FieldValue::Items(items)) => {
                        if let FieldType::Items(parts) = spec.ty {
                            crate::items::write(d, &obj, parts, items, None)?
                        }
                    }
                    None => {
                        if let FieldType::Items(parts) = spec.ty {
                            crate::items::write(d, &obj, parts, &[], None)?
                        }
                    }
                    _ => sync_map(d, &obj, &BTreeMap::new())?,
                }
            }
            (_, None) => d.delete(ROOT, name)?,
            (_, Some(FieldValue::Str(s))) => d.put(ROOT, name, s.as_str())?,
            (_, Some(FieldValue::Int(n) | FieldValue::Quantity(n))) => d.put(ROOT, name, *n)?,
            (_, Some(FieldValue::Bool(b))) => d.put(ROOT, name, *b)?,
            (_, Some(FieldValue::DateTime(ms))) => d.put(ROOT, name, ScalarValue::Timestamp(*ms))?,
            (_, Some(FieldValue::Money(m))) => {
                let obj = d.put_object(ROOT, name, ObjType::Map)?;
                d.put(&obj, "minor", m.minor)?;
                d.put(&obj, "currency", m.currency.as_str())?;
            }
            (_, Some(FieldValue::Place(p))) => {
                let obj = d.put_object(ROOT, name, ObjType::Map)?;
                d.put(&obj, "lat", p.lat)?;
                d.put(&obj, "lng", p.lng)?;
                if let Some(a) = p.accuracy {
                    d.put(&obj, "accuracy", a)?;
                }
            }
            (_, Some(FieldValue::Phones(phones))) => {
                let obj = d.put_object(ROOT, name, ObjType::List)?;
                for (i, p) in phones.iter().enumerate() {
                    d.insert(&obj, i, p.as_str())?;
                }
            }
            (_, Some(other)) => {
                return Err(Error::Corrupt(format!("value {other:?} does not fit field {name}")));
            }
        }
        Ok(())
    }

    /// Root keys this version does not know, as JSON (kept untouched on every edit).
    pub fn extra_fields(&self, kind: Kind) -> JsonMap<String, Json> {
        let spec = kind.spec();
        let mut out = JsonMap::new();
        for key in self.doc.keys(ROOT) {
            if META_KEYS.contains(&key.as_str()) || spec.field(&key).is_some() {
                continue;
            }
            if let Ok(Some((v, id))) = self.doc.get(ROOT, key.as_str()) {
                out.insert(key, to_json(&self.doc, &v, &id));
            }
        }
        out
    }

    /// Every change with the root fields it touched, oldest first.
    pub fn history(&mut self) -> Vec<HistoryEntry> {
        let changes = self.doc.get_changes(&[]);
        let mut out = Vec::with_capacity(changes.len());
        for change in changes {
            let patches = self.doc.diff(change.deps(), &[change.hash()]);
            let fields: BTreeSet<String> = patches.iter().filter_map(root_key).collect();
            let action = if fields.contains("kind") {
                "create"
            } else if fields.contains("deleted_at") {
                let deleted_now = self.doc.get_at(ROOT, "deleted_at", &[change.hash()]).ok().flatten().is_some();
                if deleted_now {
                    "delete"
                } else {
                    "restore"
                }
            } else {
                "update"
            };
            out.push(HistoryEntry {
                hash: change.hash().to_string(),
                user_id: change.message().unwrap_or_default().to_string(),
                at: crate::value::format_datetime(change.timestamp().saturating_mul(1000)),
                action,
                fields: fields.into_iter().filter(|f| !META_KEYS.contains(&f.as_str())).collect(),
            });
        }
        out
    }
}

/// The root key a patch is about.
fn root_key(patch: &automerge::Patch) -> Option<String> {
    match (patch.path.first(), &patch.action) {
        (Some((_, Prop::Map(k))), _) => Some(k.clone()),
        (None, automerge::PatchAction::PutMap { key, .. }) | (None, automerge::PatchAction::DeleteMap { key }) => {
            Some(key.clone())
        }
        (None, automerge::PatchAction::Conflict { prop: Prop::Map(k) }) => Some(k.clone()),
        _ => None,
    }
}

fn is_plain(ty: FieldType) -> bool {
    matches!(
        ty,
        FieldType::Str { .. }
            | FieldType::Enum(_)
            | FieldType::Dict(_)
            | FieldType::Date
            | FieldType::Ref(_)
            | FieldType::Email
            | FieldType::Blob
    )
}

/// Changed text larger than this (old and new middle together, in characters) is replaced
/// as a whole instead of diffed: a character diff costs up to the square of it.
const MAX_DIFFED_CHARS: usize = 5_000;

/// Write `new` into a Text object as the smallest edit that is cheap to find: the common
/// beginning and end are kept, and the part between is diffed (so concurrent edits merge
/// word by word) when it is small, or replaced in one splice when it is large (a pasted
/// document), where diffing would take minutes.
fn write_text(d: &mut AutoCommit, obj: &ObjId, new: &str) -> Result<()> {
    let old = d.text(obj)?;
    let (old_chars, new_chars): (Vec<char>, Vec<char>) = (old.chars().collect(), new.chars().collect());
    let prefix = old_chars.iter().zip(&new_chars).take_while(|(a, b)| a == b).count();
    let suffix =
        old_chars[prefix..].iter().rev().zip(new_chars[prefix..].iter().rev()).take_while(|(a, b)| a == b).count();
    let (old_mid, new_mid) = (old_chars.len() - prefix - suffix, new_chars.len() - prefix - suffix);
    if old_mid + new_mid == 0 {
        return Ok(());
    }
    // Only added or only removed (a new record's notes): the splice is the smallest edit,
    // and a diff would find it one character at a time.
    if old_mid > 0 && new_mid > 0 && old_mid + new_mid <= MAX_DIFFED_CHARS {
        d.update_text(obj, new)?;
    } else {
        let inserted: String = new_chars[prefix..prefix + new_mid].iter().collect();
        d.splice_text(obj, prefix, old_mid as isize, &inserted)?;
    }
    Ok(())
}

/// `values` given by field name as `kind`'s fields (names it lacks are skipped).
pub fn fields_named<'a>(
    kind: Kind,
    values: &'a [(&'a str, FieldValue)],
) -> impl Iterator<Item = (&'a FieldSpec, &'a FieldValue)> + 'a {
    let spec = kind.spec();
    values.iter().filter_map(move |(name, value)| spec.field(name).map(|field| (field as &'a FieldSpec, value)))
}

/// The object a field of type `ty` is held in, if it is one: it exists from a record's start.
fn container_type(ty: FieldType) -> Option<ObjType> {
    Some(match ty {
        FieldType::Tags | FieldType::Custom => ObjType::Map,
        FieldType::Steps | FieldType::Log | FieldType::Items(_) => ObjType::List,
        FieldType::Notes => ObjType::Text,
        _ => return None,
    })
}

/// The empty container a field of type `ty` holds from a record's start, if it is one.
fn empty_container(ty: FieldType, encoding: automerge::TextEncoding) -> Option<hydrate::Value> {
    Some(match container_type(ty)? {
        ObjType::Text => hydrate::Text::new(encoding, "").into(),
        ObjType::List => Vec::<hydrate::Value>::new().into(),
        _ => hydrate::Map::default().into(),
    })
}

/// `value` of `spec` as a new record holds it: what [`RecordDoc::write`] makes of it in an
/// empty document. A value of another type than the field's is refused.
fn fresh_value(spec: &FieldSpec, value: &FieldValue, encoding: automerge::TextEncoding) -> Result<hydrate::Value> {
    let str = |s: &str| hydrate::Value::from(ScalarValue::Str(s.into()));
    let map = |entries: Vec<(&str, hydrate::Value)>| {
        let entries: std::collections::HashMap<String, hydrate::Value> =
            entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        hydrate::Value::from(hydrate::Map::from(entries))
    };
    Ok(match (spec.ty, value) {
        (FieldType::Log, _) => return Err(Error::field(spec.name.to_string(), "append_only")),
        (FieldType::Notes, FieldValue::Notes(text)) => hydrate::Text::new(encoding, text).into(),
        (FieldType::Tags, FieldValue::Tags(tags)) => {
            map(tags.iter().map(|t| (t.as_str(), ScalarValue::Boolean(true).into())).collect())
        }
        (FieldType::Custom, FieldValue::Custom(fields)) => {
            map(fields.iter().map(|(k, v)| (k.as_str(), str(v))).collect())
        }
        (FieldType::Steps, FieldValue::Steps(steps)) => steps
            .iter()
            .map(|step| {
                let mut parts = vec![("action", str(&step.action))];
                parts.extend(step.date.as_deref().map(|d| ("date", str(d))));
                parts.extend(step.result.as_deref().map(|r| ("result", str(r))));
                map(parts)
            })
            .collect::<Vec<_>>()
            .into(),
        (FieldType::Items(_), FieldValue::Items(items)) => crate::items::fresh(items),
        (ty, _) if container_type(ty).is_some() => {
            return Err(Error::Corrupt(format!("value {value:?} does not fit field {}", spec.name)))
        }
        (_, FieldValue::Str(s)) => str(s),
        (_, FieldValue::Int(n) | FieldValue::Quantity(n)) => ScalarValue::Int(*n).into(),
        (_, FieldValue::Bool(b)) => ScalarValue::Boolean(*b).into(),
        (_, FieldValue::DateTime(ms)) => ScalarValue::Timestamp(*ms).into(),
        (_, FieldValue::Money(m)) => {
            map(vec![("minor", ScalarValue::Int(m.minor).into()), ("currency", str(&m.currency))])
        }
        (_, FieldValue::Place(p)) => {
            let mut parts = vec![("lat", ScalarValue::Int(p.lat).into()), ("lng", ScalarValue::Int(p.lng).into())];
            parts.extend(p.accuracy.map(|a| ("accuracy", ScalarValue::Int(a).into())));
            map(parts)
        }
        (_, FieldValue::Phones(phones)) => phones.iter().map(|p| str(p)).collect::<Vec<_>>().into(),
        (_, other) => return Err(Error::Corrupt(format!("value {other:?} does not fit field {}", spec.name))),
    })
}

fn as_millis(v: &ScalarValue) -> Option<i64> {
    match v {
        ScalarValue::Timestamp(ms) | ScalarValue::Int(ms) => Some(*ms),
        _ => None,
    }
}

fn get_scalar(d: &AutoCommit, obj: &ObjId, key: &str) -> Option<ScalarValue> {
    match d.get(obj, key).ok().flatten()? {
        (Value::Scalar(s), _) => Some(s.into_owned()),
        _ => None,
    }
}

fn get_str(d: &AutoCommit, obj: &ObjId, key: &str) -> Option<String> {
    match get_scalar(d, obj, key)? {
        ScalarValue::Str(s) => Some(s.to_string()),
        _ => None,
    }
}

/// Make the map `obj` hold exactly `want`, writing only the keys that differ.
fn sync_map(d: &mut AutoCommit, obj: &ObjId, want: &BTreeMap<String, ScalarValue>) -> Result<()> {
    let existing: Vec<String> = d.keys(obj).collect();
    for key in existing {
        if !want.contains_key(&key) {
            d.delete(obj, key.as_str())?;
        }
    }
    for (key, value) in want {
        if get_scalar(d, obj, key).as_ref() != Some(value) {
            d.put(obj, key.as_str(), value.clone())?;
        }
    }
    Ok(())
}

/// Update the plan-step list in place: change differing parts of existing steps, append new
/// steps, remove steps from the end. Appends from two devices both survive the merge.
fn write_steps(d: &mut AutoCommit, list: &ObjId, steps: &[Step]) -> Result<()> {
    let len = d.length(list);
    for (i, step) in steps.iter().enumerate() {
        let obj = if i < len {
            match d.get(list, i)? {
                Some((Value::Object(ObjType::Map), id)) => id,
                _ => d.put_object(list, i, ObjType::Map)?,
            }
        } else {
            d.insert_object(list, i, ObjType::Map)?
        };
        for (key, value) in [("date", &step.date), ("action", &Some(step.action.clone())), ("result", &step.result)] {
            let current = get_str(d, &obj, key);
            match value {
                Some(v) if current.as_deref() != Some(v.as_str()) => d.put(&obj, key, v.as_str())?,
                None if current.is_some() => d.delete(&obj, key)?,
                _ => {}
            }
        }
    }
    for i in (steps.len()..len).rev() {
        d.delete(list, i)?;
    }
    Ok(())
}

fn to_json(d: &AutoCommit, value: &Value<'_>, id: &ObjId) -> Json {
    match value {
        Value::Scalar(s) => match s.as_ref() {
            ScalarValue::Str(s) => json!(s.as_str()),
            ScalarValue::Int(n) | ScalarValue::Timestamp(n) => json!(n),
            ScalarValue::Uint(n) => json!(n),
            ScalarValue::F64(n) => json!(n),
            ScalarValue::Boolean(b) => json!(b),
            ScalarValue::Counter(c) => json!(i64::from(c)),
            _ => Json::Null,
        },
        Value::Object(ObjType::Text) => json!(d.text(id).unwrap_or_default()),
        Value::Object(ObjType::List) => Json::Array(
            (0..d.length(id))
                .filter_map(|i| d.get(id, i).ok().flatten())
                .map(|(v, child)| to_json(d, &v, &child))
                .collect(),
        ),
        Value::Object(_) => Json::Object(
            d.keys(id)
                .filter_map(|k| {
                    let (v, child) = d.get(id, k.as_str()).ok().flatten()?;
                    Some((k, to_json(d, &v, &child)))
                })
                .collect(),
        ),
    }
}

/// Whether `ok` holds for every value kept in the map `obj`: each key's value, and every one
/// of a key's values where concurrent edits kept several (looked up only for those keys, so
/// a map without conflicts is read in one pass). `ok` is given the key, the value and, for a
/// nested object, its id (`ROOT` for a scalar).
pub(crate) fn every_map_value(
    d: &AutoCommit,
    obj: &ObjId,
    mut ok: impl FnMut(&str, &Value<'_>, &ObjId) -> bool,
) -> bool {
    d.map_range(obj, ..).all(|item| {
        if item.conflict {
            return d.get_all(obj, item.key.as_ref()).is_ok_and(|all| all.iter().all(|(v, id)| ok(&item.key, v, id)));
        }
        let id = if matches!(item.value, automerge::ValueRef::Object(_)) { item.id() } else { ROOT };
        ok(&item.key, &item.value.into(), &id)
    })
}

/// [`every_map_value`] for the list `obj`: `ok` is given each value and, for a nested
/// object, its id.
pub(crate) fn every_list_value(d: &AutoCommit, obj: &ObjId, mut ok: impl FnMut(&Value<'_>, &ObjId) -> bool) -> bool {
    d.list_range(obj, ..).all(|item| {
        if item.conflict {
            return d.get_all(obj, item.index).is_ok_and(|all| all.iter().all(|(v, id)| ok(v, id)));
        }
        let id = if matches!(item.value, automerge::ValueRef::Object(_)) { item.id() } else { ROOT };
        ok(&item.value.into(), &id)
    })
}
