//! Fields the server decides: how a change of a record's workflow fields is judged.
//!
//! A kind's [`Workflow`] (in `kind.rs`) names its state, the fields only transitions write, and
//! the transitions. [`judge`] looks at one change — the record before it and after it — and
//! finds the transition it makes, or refuses it. The device calls it before it commits a
//! transition (refusing locally with the reason the server would give), the server calls it
//! on every pushed change against the record as the server holds it. Because the server
//! judges against *its* state before the change, of two transitions made concurrently on two
//! devices the first to arrive wins; the second finds the decided field already written by a
//! change it did not know (a concurrent value) and is refused with who did what and when.
//!
//! Who may take a transition is an access rule ([`Person::may_take`]); what an area adds
//! (a satisfaction threshold, a limit on owned customers) is a [`Guard`] evaluated against
//! [`Facts`] the caller provides from its own database.

use automerge::ChangeHash;

use crate::access::{Person, Refusal, Side, Teams, TransitionOffer};
use crate::document::RecordDoc;
use crate::kind::{FieldType, Kind, Transition, Workflow};
use crate::value::FieldValue;

/// What guards need to know that is not in the record: company settings and counts. The
/// device answers from its read models, the server from its tables.
pub trait Facts {
    /// A company setting (`crate::kind::SETTING_KEYS`), if an admin set it.
    fn setting(&self, key: &str) -> Option<i64>;
    /// How many live customers `user` owns now.
    fn owned_customers(&self, user: &str) -> u64;
    /// A record's document, if the caller holds it.
    fn record(&self, id: &str) -> Option<RecordDoc>;
    /// The live records of `kind`, only those whose field holds the value when `naming` is
    /// given (a caller that cannot narrow by that field may return more: the rules check).
    fn records(&self, kind: Kind, naming: Option<(&str, &str)>) -> Vec<(String, RecordDoc)>;

    /// The words of a company setting (`company.timezone`, `company.currency`), if an admin
    /// set them.
    fn setting_text(&self, key: &str) -> Option<String> {
        let id = crate::genesis::id_of(Kind::Setting, &[key]);
        let doc = self.record(&id).filter(|doc| doc.deleted_at().is_none())?;
        let text = Kind::Setting.spec().field("text").and_then(|f| doc.read(f))?;
        text.as_str().filter(|t| !t.is_empty()).map(str::to_string)
    }

    /// Today in the company's time zone (`company.timezone`, default Asia/Shanghai), as
    /// `YYYY-MM-DD`: the day price lists are valid on, on the device and the server alike.
    fn today(&self) -> String {
        let zone = crate::settings::zone(self.setting_text("company.timezone").as_deref());
        chrono::Utc::now().with_timezone(&zone).format("%Y-%m-%d").to_string()
    }
}

/// A setting's value, or its default when the admin has not set it.
pub fn setting_or_default(facts: &dyn Facts, key: &str) -> i64 {
    facts.setting(key).unwrap_or_else(|| crate::settings::default_number(key))
}

/// A record before a change: its heads and its decided fields, all a judgement needs of it
/// (cheap to keep for every change: no copy of the document).
#[derive(Debug, Clone, PartialEq)]
pub struct Before {
    kind: Kind,
    heads: Vec<ChangeHash>,
    /// Its state, a stale approval taken into account ([`state_now`]).
    state: Option<String>,
    decided: Vec<(&'static str, Option<FieldValue>)>,
    deleted: bool,
}

impl Before {
    pub fn of(kind: Kind, doc: &mut RecordDoc) -> Before {
        let decided = match kind.spec().workflow {
            Some(w) => w.decided.iter().map(|name| (*name, read(kind, doc, name))).collect(),
            None => Vec::new(),
        };
        let state = state_now(kind, doc);
        Before { kind, heads: doc.heads(), state, decided, deleted: doc.deleted_at().is_some() }
    }

    fn read(&self, name: &str) -> Option<&FieldValue> {
        self.decided.iter().find(|(n, _)| *n == name).and_then(|(_, v)| v.as_ref())
    }

    fn state(&self) -> Option<String> {
        self.state.clone()
    }
}

/// The change being judged, as far as the rules need it.
pub struct Judged<'a> {
    pub kind: Kind,
    /// The record before the change (`None`: the change creates it).
    pub before: Option<&'a Before>,
    pub after: &'a mut RecordDoc,
    /// The change's hash, to tell its own values from concurrent ones (the server); `None`
    /// for a local edit, which is never concurrent with anything on its own device.
    pub change: Option<ChangeHash>,
    /// Its author and time (seconds), for the stamps it must carry.
    pub author: &'a str,
    pub time_secs: i64,
    pub before_side: Option<Side<'a>>,
    pub after_side: Side<'a>,
}

/// A refusal with what the UI needs to say it in the person's language: for a lost race,
/// who made the transition that won, when, and to what.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowRefusal {
    pub refusal: Refusal,
    pub params: serde_json::Value,
}

impl From<Refusal> for WorkflowRefusal {
    fn from(refusal: Refusal) -> Self {
        WorkflowRefusal { refusal, params: serde_json::Value::Null }
    }
}

fn refuse(code: &'static str, reason: impl Into<String>) -> WorkflowRefusal {
    Refusal { code, reason: reason.into() }.into()
}

fn as_text(value: &Option<FieldValue>) -> Option<&str> {
    value.as_ref().and_then(FieldValue::as_str)
}

fn read(kind: Kind, doc: &RecordDoc, name: &str) -> Option<FieldValue> {
    kind.spec().field(name).and_then(|f| doc.read(f))
}

/// The state a record is in (`None` for a kind without a workflow).
pub fn state(kind: Kind, doc: &RecordDoc) -> Option<String> {
    let w = kind.spec().workflow?;
    let value = read(kind, doc, w.state_field());
    Some(w.state_of(|_| as_text(&value)).to_string())
}

/// The state a record is in now: [`state`], except that a record whose approval went stale
/// ([`pin_holds`]) is back in the state its workflow's pin falls to.
pub fn state_now(kind: Kind, doc: &mut RecordDoc) -> Option<String> {
    let raw = state(kind, doc)?;
    match kind.spec().workflow.and_then(|w| w.pin) {
        Some(pin) if pin.states.contains(&raw.as_str()) && !pin_holds(kind, doc) => Some(pin.falls_to.to_string()),
        _ => Some(raw),
    }
}

/// Does the record's pin (an approval's heads) still cover it: nothing but decided fields and
/// notes changed since the pinned heads, nor concurrently with them? No pin: it holds.
pub fn pin_holds(kind: Kind, doc: &mut RecordDoc) -> bool {
    let Some(pin) = kind.spec().workflow.and_then(|w| w.pin) else { return true };
    let Some(FieldValue::Str(text)) = read(kind, doc, pin.field) else { return true };
    let Some(heads) = parse_heads(&text) else { return false };
    if heads.iter().any(|h| !doc.has_change(h)) {
        return false;
    }
    let decided = kind.spec().workflow.map(|w| w.decided).unwrap_or_default();
    doc.keys_changed_since(&heads).iter().all(|key| {
        decided.contains(&key.as_str())
            || kind.spec().field(key).is_some_and(|f| matches!(f.ty, FieldType::Notes | FieldType::Log))
    })
}

/// What may still change on a record in a locked state: its notes and logs (and what only
/// transitions write, which they judge).
pub fn editable_when_locked(kind: Kind, key: &str) -> bool {
    kind.spec().field(key).is_some_and(|f| matches!(f.ty, FieldType::Notes | FieldType::Log))
}

/// The refusal of an edit of a settled record.
pub fn locked(kind: Kind, state: &str, field: &str) -> WorkflowRefusal {
    WorkflowRefusal {
        refusal: Refusal {
            code: "locked",
            reason: format!("a {kind} that is {state} is settled: {field} no longer changes (take it back first, if its workflow allows)"),
        },
        params: serde_json::json!({ "state": state, "field": field }),
    }
}

/// Heads as a pin stores them: hex, comma-separated.
pub fn format_heads(heads: &[ChangeHash]) -> String {
    heads.iter().map(|h| h.to_string()).collect::<Vec<_>>().join(",")
}

pub(crate) fn parse_heads(text: &str) -> Option<Vec<ChangeHash>> {
    text.split(',').filter(|h| !h.is_empty()).map(|h| h.parse().ok()).collect()
}

fn empty(value: &Option<FieldValue>) -> bool {
    match value {
        None => true,
        Some(FieldValue::Str(s)) | Some(FieldValue::Notes(s)) => s.trim().is_empty(),
        Some(FieldValue::Log(entries)) => entries.is_empty(),
        Some(_) => false,
    }
}

/// Judge one change of a record. `Ok(None)`: it moves no decided field (the ordinary write
/// rules apply); `Ok(Some(t))`: it is transition `t`, allowed; `Err`: refused, nothing of it
/// may be kept. `teams` and `facts` come from the caller's database.
pub fn judge(
    who: &Person,
    j: &mut Judged<'_>,
    teams: &Teams,
    facts: &dyn Facts,
) -> Result<Option<&'static Transition>, WorkflowRefusal> {
    let Some(w) = j.kind.spec().workflow else { return Ok(None) };
    let spec = j.kind.spec();
    // A decided field this change wrote while another value was written concurrently: the
    // other one reached the server first.
    if let Some(hash) = j.change {
        for name in w.decided {
            let Some(field) = spec.field(name) else { continue };
            let written = j.after.contested_writers(field);
            if written.iter().any(|c| c.hash == Some(hash)) {
                let other = written.iter().find(|c| c.hash != Some(hash)).cloned().unwrap_or_default();
                let winner = state(j.kind, j.after);
                let mut params = serde_json::json!({
                    "field": name, "by": other.user_id, "at": other.at, "value": other.value,
                });
                if let Some(state) = winner {
                    params["state"] = serde_json::json!(state);
                }
                let reason = format!(
                    "{name} was already changed by {} at {} (to {}); the first change to reach the server stands",
                    other.user_id, other.at, other.value
                );
                return Err(WorkflowRefusal { refusal: Refusal { code: "transition_conflict", reason }, params });
            }
        }
    }
    let Some(before) = j.before else {
        judge_create(j, w)?;
        crate::domain::check_guard(w.on_create, j.kind, j.after, facts)?;
        return Ok(None);
    };
    let decided_changed = w.decided.iter().any(|name| before.read(name) != read(j.kind, j.after, name).as_ref());
    if !decided_changed {
        if let Some(state) = before.state().filter(|s| w.locked.contains(&s.as_str())) {
            let touched = j.after.keys_changed_since(&before.heads);
            if let Some(key) = touched.iter().find(|k| !editable_when_locked(j.kind, k)) {
                return Err(locked(j.kind, &state, key));
            }
        }
        return Ok(None);
    }
    // Every field the change altered (only now: this diff is the costly part).
    let touched = j.after.keys_changed_since(&before.heads);
    let changed: Vec<&'static str> =
        spec.fields.iter().map(|f| f.name).filter(|name| touched.contains(*name)).collect();
    if before.deleted || j.after.deleted_at().is_some() {
        return Err(refuse("deleted", "a deleted record takes no transitions; restore it first"));
    }
    let from = before.state().unwrap_or_default();
    let to = state(j.kind, j.after).unwrap_or_default();
    let after_values: Vec<(&'static str, bool)> =
        changed.iter().map(|n| (*n, empty(&read(j.kind, j.after, n)))).collect();
    let fits = |t: &Transition| {
        t.from.contains(&from.as_str())
            && t.to == to
            && after_values.iter().all(|(n, emptied)| {
                *n == w.state_field()
                    || t.sets.contains(n)
                    || t.stamps.contains(n)
                    || t.fields.contains(n)
                    || (t.clears.contains(n) && *emptied)
            })
    };
    let candidates: Vec<&'static Transition> = w.transitions.iter().filter(|t| fits(t)).collect();
    if candidates.is_empty() {
        let known = w.transitions.iter().any(|t| t.to == to && t.from.contains(&from.as_str()));
        return Err(if known {
            let reason = format!("a change from {from} to {to} writes only its own fields, not {}", changed.join(", "));
            refuse("transition_fields", reason)
        } else {
            WorkflowRefusal {
                refusal: Refusal {
                    code: "invalid_transition",
                    reason: format!("a {} cannot go from {from} to {to}", j.kind),
                },
                params: serde_json::json!({ "from": from, "to": to }),
            }
        });
    }
    let before_side = j.before_side.unwrap_or(j.after_side);
    let mut first_refusal = None;
    for t in candidates {
        let outcome = if !who.may_take(t, &before_side, &j.after_side, teams) {
            Err(WorkflowRefusal {
                refusal: Refusal {
                    code: "transition_forbidden",
                    reason: format!("you may not {} this record", t.name),
                },
                params: serde_json::json!({ "transition": t.name }),
            })
        } else {
            check_taken(t, j, facts)
        };
        match outcome {
            Ok(()) => return Ok(Some(t)),
            Err(e) => {
                first_refusal.get_or_insert(e);
            }
        }
    }
    Err(first_refusal.unwrap_or_else(|| refuse("invalid_transition", "no transition fits this change")))
}

/// A new record starts in one of its workflow's initial states, its decided fields empty but
/// for those it may be created with.
fn judge_create(j: &mut Judged<'_>, w: &Workflow) -> Result<(), WorkflowRefusal> {
    let state = state(j.kind, j.after).unwrap_or_default();
    if !w.initial.contains(&state.as_str()) {
        return Err(WorkflowRefusal {
            refusal: Refusal {
                code: "invalid_transition",
                reason: format!("a new {} starts as {}", j.kind, w.initial.join(" or ")),
            },
            params: serde_json::json!({ "from": null, "to": state }),
        });
    }
    for name in w.decided {
        if *name == w.state_field() || w.created_with.contains(name) {
            continue;
        }
        if !empty(&read(j.kind, j.after, name)) {
            return Err(refuse("transition_fields", format!("{name} is set by a transition, not when creating")));
        }
    }
    Ok(())
}

/// What a transition the person may take must also satisfy: required fields, stamps, guard.
fn check_taken(t: &Transition, j: &mut Judged<'_>, facts: &dyn Facts) -> Result<(), WorkflowRefusal> {
    let kind = j.kind;
    let missing: Vec<&str> = t.requires.iter().copied().filter(|n| empty(&read(kind, j.after, n))).collect();
    if !missing.is_empty() {
        return Err(WorkflowRefusal {
            refusal: Refusal {
                code: "transition_requires",
                reason: format!("{} needs {}", t.name, missing.join(", ")),
            },
            params: serde_json::json!({ "transition": t.name, "fields": missing }),
        });
    }
    let pin = kind.spec().workflow.and_then(|w| w.pin).map(|p| p.field);
    for name in t.stamps {
        let Some(field) = kind.spec().field(name) else { continue };
        if pin == Some(*name) {
            // The heads the person saw when they took it: the change's own dependencies on
            // the server, the record's heads before it on the device.
            let saw = match (j.change, j.before) {
                // A change also depends on its actor's previous change when the heads already
                // cover it: the version it was built on is its dependencies' own heads.
                (Some(hash), _) => j.after.deps_of(&hash).map(|deps| j.after.heads_of(&deps)),
                (None, Some(before)) => Some(before.heads.clone()),
                (None, None) => None,
            };
            let written = read(kind, j.after, name).and_then(|v| v.as_str().and_then(parse_heads));
            let sorted = |v: Option<Vec<ChangeHash>>| {
                v.map(|mut v| {
                    v.sort();
                    v
                })
            };
            let (saw, written) = (sorted(saw), sorted(written));
            if saw.is_none() || saw != written {
                let reason = format!("{name} is filled in by the transition itself (the version it covers)");
                return Err(refuse("transition_stamp", reason));
            }
            continue;
        }
        let ok = match (field.ty, read(kind, j.after, name)) {
            (FieldType::Ref(Kind::User), Some(FieldValue::Str(user))) => user == j.author,
            // The device's clock wrote both: they agree unless the value was typed.
            (FieldType::DateTime, Some(FieldValue::DateTime(ms))) => (ms / 1000 - j.time_secs).abs() <= 600,
            _ => false,
        };
        if !ok {
            let reason = format!("{name} is filled in by the transition itself (the person taking it, and when)");
            return Err(refuse("transition_stamp", reason));
        }
    }
    crate::domain::check_guard(t.guard, kind, j.after, facts)
}

/// The transitions `who` could take from state `from` of a live record now, for the UI (the
/// same rules as [`judge`], before the values are known: required fields and guards are
/// checked when it is taken).
pub fn offers(who: &Person, kind: Kind, from: &str, side: &Side<'_>, teams: &Teams) -> Vec<TransitionOffer> {
    let Some(w) = kind.spec().workflow else { return Vec::new() };
    w.transitions
        .iter()
        .filter(|t| t.from.contains(&from))
        .filter(|t| {
            // The side after is not known yet: judge by the side before, with the person as
            // the new holder for a claim.
            let me = Some(who.user_id.as_str());
            let after = if t.sets.contains(&"owner") && t.by.contains(&crate::kind::By::Claimant) {
                Side { owner: me, scope_owner: me, ..*side }
            } else {
                *side
            };
            who.may_take(t, side, &after, teams)
        })
        .map(|t| {
            // What the device fills in itself is not asked for: the claimant is the new holder.
            let claims = t.by == [crate::kind::By::Claimant];
            let asked = |names: &[&'static str]| -> Vec<&'static str> {
                names.iter().copied().filter(|n| !(claims && Some(*n) == holder_field(kind))).collect()
            };
            TransitionOffer {
                name: t.name,
                to: t.to,
                sets: asked(t.sets),
                requires: asked(t.requires),
                fields: t.fields,
            }
        })
        .collect()
}

/// The field a holder workflow's state is read from (a customer's `owner`).
fn holder_field(kind: Kind) -> Option<&'static str> {
    match kind.spec().workflow?.state {
        crate::kind::StateOf::Holder { name, .. } => Some(name),
        crate::kind::StateOf::Field { .. } => None,
    }
}

/// The people a record is assigned to: the values of its kind's `assigned` fields.
pub fn assignees(kind: Kind, doc: &RecordDoc) -> Vec<String> {
    assignees_read(kind, |f| doc.read(f))
}

/// [`assignees`] with the fields' values read by `field` (from values read already).
pub fn assignees_read(kind: Kind, field: impl Fn(&crate::kind::FieldSpec) -> Option<FieldValue>) -> Vec<String> {
    kind.spec()
        .assigned
        .iter()
        .filter_map(|name| match kind.spec().field(name).and_then(&field) {
            Some(FieldValue::Str(user)) => Some(user),
            _ => None,
        })
        .collect()
}

/// What the access rules need to know of a record, given the owner of its scope (which the
/// caller looks up: a customer's own owner, else its customer's).
pub fn holder(kind: Kind, doc: &RecordDoc, scope_owner: Option<String>) -> crate::access::Holder {
    let owner = match read(kind, doc, "owner") {
        Some(FieldValue::Str(user)) => Some(user),
        _ => None,
    };
    crate::access::Holder { kind: Some(kind), owner, scope_owner, assignees: assignees(kind, doc) }
}
