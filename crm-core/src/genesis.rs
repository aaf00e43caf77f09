//! One record where two devices would make two.
//!
//! A kind whose spec names *identity* fields (a churn case: its customer and episode; a
//! setting: its key) has at most one record per subject. Its id is derived from the subject
//! (UUIDv5), and its first change — the *genesis* — is derived from it too: the same actor
//! (derived from the id), the same time, the same values, so it is byte-identical wherever it
//! is made. Two devices opening "the same" record offline write the same genesis (the server
//! stores it once) and build their edits on it: they merge into one document instead of
//! racing to create two.
//!
//! Any device may push a genesis (it is nobody's own change); the server takes it when
//! [`verify`] rebuilds exactly the same change from the subject it holds.

use automerge::{ActorId, Change};
use uuid::Uuid;

use crate::document::RecordDoc;
use crate::error::{Error, Result};
use crate::kind::{FieldSpec, Kind, StateOf};
use crate::value::FieldValue;

const NAMESPACE: Uuid = Uuid::from_u128(0x4f1e_1dc2_6a0b_4c1e_9e3d_2b7c_5a8f_0d11);

/// When every genesis is dated: 2000-01-01T00:00:00Z (a fixed moment the server accepts).
pub const TIME_SECS: i64 = 946_684_800;
/// What a genesis says it is by (no person: `created_by` is empty too).
pub const AUTHOR: &str = "";

/// The id of `kind`'s record for this subject (the identity fields' values, in order).
pub fn id_of(kind: Kind, subject: &[&str]) -> String {
    let mut name = kind.as_str().to_string();
    for part in subject {
        name.push('\u{1f}');
        name.push_str(part);
    }
    Uuid::new_v5(&NAMESPACE, name.as_bytes()).to_string()
}

/// The actor every genesis of record `id` is written with.
pub fn actor_of(id: &str) -> ActorId {
    ActorId::from(Uuid::new_v5(&NAMESPACE, format!("genesis:{id}").as_bytes()).as_bytes().as_slice())
}

/// The identity fields of `kind` with the values given (all of them, in order).
fn subject_values(kind: Kind, subject: &[&str]) -> Result<Vec<(&'static FieldSpec, FieldValue)>> {
    let spec = kind.spec();
    if spec.identity.is_empty() || spec.identity.len() != subject.len() {
        return Err(Error::Corrupt(format!("{kind} records have no identity of {} values", subject.len())));
    }
    let mut values = Vec::new();
    for (name, value) in spec.identity.iter().zip(subject) {
        let field = spec.field(name).ok_or_else(|| Error::Corrupt(format!("{kind} has no field {name}")))?;
        values.push((field, FieldValue::Str((*value).to_string())));
    }
    // The workflow's first initial state is part of it, so nobody writes it again.
    if let Some(w) = spec.workflow {
        if let (StateOf::Field { name, .. }, Some(initial)) = (w.state, w.initial.first()) {
            if let Some(field) = spec.field(name) {
                values.push((field, FieldValue::Str((*initial).to_string())));
            }
        }
    }
    Ok(values)
}

/// The record for this subject as its genesis makes it: (id, document, the genesis change).
pub fn genesis(kind: Kind, subject: &[&str]) -> Result<(String, RecordDoc, Change)> {
    let id = id_of(kind, subject);
    let values = subject_values(kind, subject)?;
    let mut doc = RecordDoc::create_stepwise(
        &actor_of(&id),
        kind,
        TIME_SECS * 1000,
        AUTHOR,
        values.iter().map(|(f, v)| (*f, v)),
    )?;
    let change = doc.commit(AUTHOR, TIME_SECS).ok_or_else(|| Error::Corrupt("an empty genesis".into()))?;
    Ok((id, doc, change))
}

/// Is `change` exactly the genesis of record `doc_id`? Rebuilt from the subject it states.
pub fn verify(doc_id: &str, change: &Change) -> bool {
    if !change.deps().is_empty() || change.actor_id() != &actor_of(doc_id) {
        return false;
    }
    let mut doc = RecordDoc::empty();
    if doc.apply(vec![change.clone()]).is_err() {
        return false;
    }
    let Some(kind) = doc.kind() else { return false };
    let spec = kind.spec();
    let mut subject = Vec::new();
    for name in spec.identity {
        match spec.field(name).and_then(|f| doc.read(f)) {
            Some(FieldValue::Str(value)) => subject.push(value),
            _ => return false,
        }
    }
    if subject.is_empty() {
        return false;
    }
    let parts: Vec<&str> = subject.iter().map(String::as_str).collect();
    match genesis(kind, &parts) {
        Ok((id, _, expected)) => id == doc_id && expected.hash() == change.hash(),
        Err(_) => false,
    }
}

/// What is wrong with record `doc_id` of an identity kind (`None` for other kinds): it must
/// have begun with its genesis (`new_without_genesis` is a new record that did not), and its
/// identity fields must still be the subject its id was derived from. The server refuses a
/// change that breaks either, so no second record for a subject ever exists.
pub fn identity_problem(kind: Kind, doc_id: &str, doc: &RecordDoc, new_without_genesis: bool) -> Option<String> {
    let spec = kind.spec();
    if spec.identity.is_empty() {
        return None;
    }
    let fields = spec.identity.join(", ");
    if new_without_genesis {
        return Some(format!(
            "a {kind} record is the one for its {fields}: its id and first change are derived from them (see 'One record per subject')"
        ));
    }
    let mut subject = Vec::new();
    for name in spec.identity {
        match spec.field(name).and_then(|f| doc.read(f)) {
            Some(FieldValue::Str(value)) => subject.push(value),
            _ => return Some(format!("{name}: identity_fixed (a {kind} record's {fields} never change)")),
        }
    }
    let parts: Vec<&str> = subject.iter().map(String::as_str).collect();
    (id_of(kind, &parts) != doc_id)
        .then(|| format!("identity_fixed: a {kind} record's {fields} never change; its id is derived from them"))
}

impl crate::store::Store {
    /// The record of `kind` for this subject: made here by its genesis when this device has
    /// none yet (the same change any other device makes). Returns its id.
    pub fn open_identified(&mut self, kind: Kind, subject: &[&str]) -> Result<String> {
        let (id, mut doc, mut change) = genesis(kind, subject)?;
        if self.kind_of(&id).is_ok() {
            return Ok(id);
        }
        if !self.conn.is_autocommit() {
            // Part of [`crate::store::Store::in_one_transaction`] (an import's chunk).
            crate::store::write_local(&self.conn, &id, &mut doc, &mut change)?;
            return Ok(id);
        }
        let tx = self.conn.transaction()?;
        crate::store::write_local(&tx, &id, &mut doc, &mut change)?;
        tx.commit()?;
        Ok(id)
    }

    /// `create` of a kind with identity fields: the record for that subject — the existing one
    /// or a new one by its genesis — with the other fields written as an edit.
    pub(crate) fn create_identified(
        &mut self,
        kind: Kind,
        fields: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<String> {
        let spec = kind.spec();
        let parsed = self.parse_fields(kind, fields, None)?;
        let mut subject = Vec::new();
        for name in spec.identity {
            match parsed.iter().find(|(f, _)| f.name == *name) {
                Some((_, Some(FieldValue::Str(value)))) => subject.push(value.clone()),
                _ => return Err(Error::field(*name, "required")),
            }
        }
        let parts: Vec<&str> = subject.iter().map(String::as_str).collect();
        // The subject obeys its area's rules (a sales target's month) before it is written.
        let (_, born, _) = genesis(kind, &parts)?;
        let problems = crate::domain::problems(kind, &born);
        if !problems.is_empty() {
            return Err(Error::Validation(problems));
        }
        let existed = self.kind_of(&id_of(kind, &parts)).is_ok();
        let id = self.open_identified(kind, &parts)?;
        let mut rest: serde_json::Map<String, serde_json::Value> = fields
            .iter()
            .filter(|(n, _)| !spec.identity.contains(&n.as_str()))
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        if !existed {
            // A new record gets the defaults of fields the request leaves out, as any create.
            for (field, value) in &parsed {
                if let (false, Some(v)) = (spec.identity.contains(&field.name) || rest.contains_key(field.name), value)
                {
                    rest.insert(field.name.to_string(), v.to_json());
                }
            }
        }
        self.update_plain(&id, &rest)?;
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_genesis_is_the_same_wherever_it_is_made_and_only_it_verifies() {
        let (a_id, _, a) = genesis(Kind::Setting, &["pool.max_owned"]).unwrap();
        let (b_id, _, b) = genesis(Kind::Setting, &["pool.max_owned"]).unwrap();
        assert_eq!((a_id.as_str(), a.hash()), (b_id.as_str(), b.hash()));
        assert!(verify(&a_id, &a));
        let (other_id, _, other) = genesis(Kind::Setting, &["service.reopen_below"]).unwrap();
        assert_ne!(other_id, a_id);
        assert!(!verify(&a_id, &other), "another subject's genesis is not this record's");
        assert!(genesis(Kind::Customer, &["x"]).is_err(), "customers have no identity");
    }
}
