//! Who may read and write what: one rule set, called by the server on every change and every
//! send, and by the device to refuse locally with the same reason the server would give.
//!
//! - admin: everything, and the only writer of reference data (users, teams, dictionaries).
//! - supervisor: customers owned by anyone in their team, and everything attached to them.
//! - account_manager: customers they own, and everything attached to them.
//! - viewer: reads like a supervisor of their team (or everything without a team); writes nothing.
//! - finance: reads every customer and contact, every sales document and payment and every
//!   expense claim ([`FINANCE_READS`]); writes payments and invoices ([`FINANCE_WRITES`]),
//!   taking their transitions (confirming a payment, issuing an invoice), and pays expense
//!   claims by their transition only ([`FINANCE_TAKES`]); edits no customer.
//!
//! A record's *scope owner* decides access: a customer's owner, or for a contact, activity or
//! opportunity, the owner of its customer; for an owner-scoped kind (an expense,
//! [`crate::kind::Scope::Owner`]) its own owner. Reference data has no scope owner: all read it.
//! A customer with no owner is in the pool (公海): everyone reads it and what is attached to
//! it, and only a transition (a claim, an assignment) takes it out.
//!
//! Beyond the scope, a record is readable and writable by the people it is *assigned* to (a
//! service request's assignee, an opportunity's owner; [`crate::kind::KindSpec::assigned`]),
//! who also read — only read — its customer and the contact it names.
//!
//! Fields the server decides move only by transitions ([`crate::kind::Workflow`]); who may take
//! one is [`Person::may_take`], the state machine itself is `crate::workflow`.

use std::collections::HashMap;

use serde::Serialize;

use crate::kind::{By, Kind, Transition};

pub use crate::kind::Role;

/// What a person may do with one record, for the UI to show only those actions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Permissions {
    pub id: String,
    pub kind: Kind,
    pub role: Role,
    /// `update`, `delete` (and `restore`), `resolve_conflict`, `change_owner`.
    pub actions: Vec<&'static str>,
    /// Fields the person may change with `update` (decided fields never: see `transitions`).
    pub editable_fields: Vec<&'static str>,
    /// The record's workflow state, when its kind has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Transitions this person may take from the record's state now, with what they ask for.
    pub transitions: Vec<TransitionOffer>,
}

/// A transition someone may take, as the `permissions` request reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransitionOffer {
    pub name: &'static str,
    pub to: &'static str,
    /// Fields to choose (an assignee, a new owner), then those that must be filled, then the
    /// others it may write on the way. A claim asks for no owner: the claimant becomes it.
    pub sets: Vec<&'static str>,
    pub requires: Vec<&'static str>,
    pub fields: &'static [&'static str],
}

/// What finance reads of everyone's: customers, contacts and the sales documents.
pub const FINANCE_READS: &[Kind] = &[
    Kind::Customer,
    Kind::Contact,
    Kind::Quote,
    Kind::Contract,
    Kind::Order,
    Kind::Payment,
    Kind::Invoice,
    Kind::Expense,
];
/// What finance writes (for everyone): payments and invoices.
pub const FINANCE_WRITES: &[Kind] = &[Kind::Payment, Kind::Invoice];

/// The owner of the scope a record of `kind` is in — whose it is for every access decision: a
/// customer's own owner; an owner-scoped record's own owner (`Scope::Owner`: an expense, a lead);
/// none for reference data; else the owner of the record it hangs from ([`scope_parent`]: the
/// customer it names, or the lead an activity was logged on), which `parent_owner` looks up
/// where the caller keeps records (the device's read model, the server's `docs`). `None`: no
/// owner — the pool, which everyone reads.
pub fn scope_owner<E>(
    kind: Kind,
    owner: Option<&str>,
    parent: Option<&(Kind, String)>,
    parent_owner: impl FnOnce(Kind, &str) -> std::result::Result<Option<String>, E>,
) -> std::result::Result<Option<String>, E> {
    match kind {
        Kind::Customer => Ok(owner.map(str::to_string)),
        k if k.spec().scope == crate::kind::Scope::Owner => Ok(owner.map(str::to_string)),
        k if k.spec().admin_only => Ok(None),
        _ => match parent {
            Some((parent_kind, id)) => parent_owner(*parent_kind, id),
            None => Ok(None),
        },
    }
}

/// The record a customer-scoped record hangs from, whose owner's scope it is in: the customer
/// it names; naming none, the lead it names (an activity logged on a lead). `value` reads the
/// record's field by name. A customer, an owner-scoped record and reference data hang from
/// nothing.
pub fn scope_parent(kind: Kind, value: impl Fn(&str) -> Option<String>) -> Option<(Kind, String)> {
    let spec = kind.spec();
    if kind == Kind::Customer || spec.scope != crate::kind::Scope::Customer || spec.admin_only {
        return None;
    }
    let named = |field: &str, of: Kind| {
        spec.field(field)
            .filter(|f| f.ty == crate::kind::FieldType::Ref(of))
            .and_then(|_| value(field))
            .filter(|id| !id.is_empty())
            .map(|id| (of, id))
    };
    named("customer", Kind::Customer).or_else(|| named("lead", Kind::Lead))
}

/// Reference data supervisors write too (everyone reads it): the knowledge base, campaigns,
/// the monthly sales targets.
pub const OFFICE_WRITES: &[Kind] = &[Kind::Article, Kind::Campaign, Kind::SalesTarget];
/// What finance moves by its transitions only, writing nothing else: expense claims (paid).
pub const FINANCE_TAKES: &[Kind] = &[Kind::Expense];

/// Every user's team, to decide team-scoped access.
pub type Teams = HashMap<String, Option<String>>;

/// Someone signed in: the subject of every access decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub user_id: String,
    pub role: Role,
    pub team: Option<String>,
}

/// Why a write is refused: a stable code (translated by the UI) and a reason in English.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub code: &'static str,
    pub reason: String,
}

impl Refusal {
    fn new(code: &'static str, reason: impl Into<String>) -> Self {
        Refusal { code, reason: reason.into() }
    }
}

/// One write as the rules see it: the record's kind and owner before and after, and whose
/// scope it was and would be in.
#[derive(Debug, Clone, Copy)]
pub struct Write<'a> {
    /// `None` for a new record.
    pub before: Option<Side<'a>>,
    pub after: Side<'a>,
    /// The customer the record names, when the caller does not hold it (a database fact).
    pub missing_customer: Option<&'a str>,
    /// The transition the write makes (`crate::workflow` finds it), if it moves decided fields.
    pub transition: Option<&'static Transition>,
}

#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    pub kind: Option<Kind>,
    pub owner: Option<&'a str>,
    pub scope_owner: Option<&'a str>,
    /// Who the record is assigned to (the values of its kind's `assigned` fields).
    pub assignees: &'a [String],
}

/// A [`Side`] that owns its strings: what a caller reads from its database.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Holder {
    pub kind: Option<Kind>,
    pub owner: Option<String>,
    pub scope_owner: Option<String>,
    pub assignees: Vec<String>,
}

impl Holder {
    pub fn side(&self) -> Side<'_> {
        Side {
            kind: self.kind,
            owner: self.owner.as_deref(),
            scope_owner: self.scope_owner.as_deref(),
            assignees: &self.assignees,
        }
    }
}

impl<'a> Side<'a> {
    pub fn new(kind: Option<Kind>, owner: Option<&'a str>, scope_owner: Option<&'a str>) -> Self {
        Side { kind, owner, scope_owner, assignees: &[] }
    }
}

impl Person {
    fn in_my_team(&self, owner: &str, teams: &Teams) -> bool {
        match &self.team {
            Some(team) => teams.get(owner).is_some_and(|t| t.as_deref() == Some(team.as_str())),
            None => false,
        }
    }

    /// May this person read a record of `kind` whose scope owner is `scope_owner`? (Records
    /// assigned to them, and what those name, they read too: the caller knows that.)
    pub fn can_read(&self, kind: Option<Kind>, scope_owner: Option<&str>, teams: &Teams) -> bool {
        let Some(kind) = kind else { return false };
        if kind.spec().admin_only {
            return true;
        }
        // No owner: in the pool, open to everyone.
        let Some(owner) = scope_owner else { return true };
        match self.role {
            Role::Admin => true,
            Role::Supervisor => owner == self.user_id || self.in_my_team(owner, teams),
            Role::Viewer => self.team.is_none() || owner == self.user_id || self.in_my_team(owner, teams),
            Role::AccountManager => owner == self.user_id,
            Role::Finance => FINANCE_READS.contains(&kind),
        }
    }

    /// May this person write a record of `kind` whose scope owner is `scope_owner`?
    pub fn can_write(&self, kind: Kind, scope_owner: Option<&str>, teams: &Teams) -> bool {
        match self.role {
            Role::Admin => true,
            Role::Finance => FINANCE_WRITES.contains(&kind),
            _ => {
                self.may_write_kind(kind)
                    && (kind.spec().admin_only
                        || scope_owner.is_some_and(|owner| self.can_read(Some(kind), Some(owner), teams)))
            }
        }
    }

    /// May this person write this record: in their scope, or assigned to them?
    pub fn can_write_side(&self, side: &Side<'_>, teams: &Teams) -> bool {
        let Some(kind) = side.kind else { return false };
        self.can_write(kind, side.scope_owner, teams)
            || (self.may_write_kind(kind) && side.assignees.contains(&self.user_id))
    }

    /// May this person take transition `t` of a record that is `before` and would be `after`?
    /// Any one of the transition's [`By`] rules suffices.
    pub fn may_take(&self, t: &Transition, before: &Side<'_>, after: &Side<'_>, teams: &Teams) -> bool {
        if self.role == Role::Viewer {
            return false;
        }
        t.by.iter().any(|by| match by {
            By::Role(role) => {
                *role == self.role
                    && (self.may_move(before, after, teams)
                        || (self.role == Role::Finance && before.kind.is_some_and(|k| FINANCE_TAKES.contains(&k))))
            }
            By::OtherRole(role) => {
                *role == self.role && before.owner != Some(self.user_id.as_str()) && self.may_move(before, after, teams)
            }
            By::Assignee => before.assignees.contains(&self.user_id),
            By::ScopeOwner => before.scope_owner == Some(self.user_id.as_str()),
            By::Claimant => after.owner == Some(self.user_id.as_str()) && before.owner.is_none(),
        })
    }

    /// Where a record was and where it goes are each in this person's scope (or the pool).
    fn may_move(&self, before: &Side<'_>, after: &Side<'_>, teams: &Teams) -> bool {
        before.kind.zip(after.kind).is_some_and(|(kb, ka)| {
            (before.scope_owner.is_none() || self.can_write(kb, before.scope_owner, teams))
                && (after.scope_owner.is_none() || self.can_write(ka, after.scope_owner, teams))
        })
    }

    /// May this person write records of `kind` at all (before knowing which one)?
    pub fn may_write_kind(&self, kind: Kind) -> bool {
        match self.role {
            Role::Viewer => false,
            Role::Admin => true,
            Role::Finance => FINANCE_WRITES.contains(&kind),
            Role::Supervisor => !kind.spec().admin_only || OFFICE_WRITES.contains(&kind),
            _ => !kind.spec().admin_only,
        }
    }

    pub fn may_change_owner(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Supervisor)
    }

    /// What this person may do with a record they can read (a device holds only those): the
    /// same rules as [`Person::check_write`], answered ahead of time. `state` is the record's
    /// workflow state; `offers` are the transitions from it (see `crate::workflow::offers`).
    pub fn permissions(
        &self,
        id: &str,
        side: &Side<'_>,
        teams: &Teams,
        state: Option<&str>,
        offers: Vec<TransitionOffer>,
    ) -> Permissions {
        let kind = side.kind.unwrap_or(Kind::Customer);
        let mut actions = Vec::new();
        let mut editable_fields = Vec::new();
        if self.can_write_side(side, teams) {
            actions.extend(["update", "delete", "restore", "resolve_conflict"]);
            let decided = kind.spec().workflow.map(|w| w.decided).unwrap_or_default();
            let owner_field = kind.spec().field("owner").is_some();
            if owner_field && self.may_change_owner() {
                actions.push("change_owner");
            }
            editable_fields.extend(kind.spec().fields.iter().map(|f| f.name).filter(|name| {
                // A new owner is written as the transition that hands the record over.
                (!decided.contains(name) || *name == "owner")
                    && (*name != "owner" || self.may_change_owner())
                    && kind.spec().field(name).is_some_and(|f| f.ty != crate::kind::FieldType::Log && !f.derived)
            }));
        }
        if !offers.is_empty() {
            actions.push("transition");
        }
        if self.role != Role::Viewer
            && kind.spec().fields.iter().any(|f| f.ty == crate::kind::FieldType::Log)
            && self.can_write_side(side, teams)
        {
            actions.push("append");
        }
        Permissions {
            id: id.to_string(),
            kind,
            role: self.role,
            actions,
            editable_fields,
            state: state.map(str::to_string),
            transitions: offers,
        }
    }

    /// The rules one write must pass, most specific reason first. What needs a database
    /// (whether the named customer exists) comes in [`Write::missing_customer`].
    pub fn check_write(&self, write: &Write<'_>, teams: &Teams) -> Result<(), Refusal> {
        if let (Some(t), Some(before)) = (write.transition, write.before) {
            // A transition is allowed by its own rules (a claim from the pool, a handler's
            // report); the state machine and the fields it writes are `crate::workflow`'s.
            if before.kind != write.after.kind {
                return Err(Refusal::new("kind_change", "a record's kind cannot change"));
            }
            return if self.may_take(t, &before, &write.after, teams) {
                Ok(())
            } else {
                Err(Refusal::new("transition_forbidden", format!("you may not {} this record", t.name)))
            };
        }
        // A record this person may not write is refused before anything else is looked at, so
        // the reason tells nothing about it (its kind, owner or customer).
        if let Some(before) = write.before {
            if before.kind.is_some() && !self.can_write_side(&before, teams) {
                return Err(Refusal::new("forbidden", "this record belongs to someone you cannot write for"));
            }
        }
        let Some(kind) = write.after.kind else {
            return Err(Refusal::new("unknown_kind", "the record has no kind this server knows"));
        };
        if write.before.is_some_and(|b| b.kind != write.after.kind) {
            return Err(Refusal::new("kind_change", "a record's kind cannot change"));
        }
        if self.role == Role::Viewer {
            return Err(Refusal::new("forbidden", "viewers cannot change records"));
        }
        if kind.spec().admin_only {
            return if self.may_write_kind(kind) {
                Ok(())
            } else if OFFICE_WRITES.contains(&kind) {
                Err(Refusal::new("forbidden", format!("only supervisors and admins change {kind} records")))
            } else {
                Err(Refusal::new("forbidden", format!("only admins change {kind} records")))
            };
        }
        if let Some(customer) = write.missing_customer.filter(|_| kind != Kind::Customer) {
            return Err(Refusal::new("unknown_customer", format!("customer {customer} is not on the server")));
        }
        // Handing a record to someone else is for supervisors.
        let owner_changed = match write.before {
            Some(before) => before.owner != write.after.owner,
            None => write.after.owner != Some(self.user_id.as_str()),
        };
        if owner_changed && write.after.owner.is_some() && !self.may_change_owner() {
            return Err(Refusal::new("owner_change", "only a supervisor or an admin can change the owner"));
        }
        let sides = std::iter::once(write.after).chain(write.before);
        for side in sides {
            if !self.can_write_side(&side, teams) {
                return Err(Refusal::new("forbidden", "this record belongs to someone you cannot write for"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(user: &str, role: Role, team: Option<&str>) -> Person {
        Person { user_id: user.into(), role, team: team.map(Into::into) }
    }

    fn side<'a>(owner: Option<&'a str>) -> Side<'a> {
        Side::new(Some(Kind::Customer), owner, owner)
    }

    #[test]
    fn roles_are_the_user_kinds_choices_and_viewers_see_no_actions() {
        let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(names, crate::kind::ROLES);
        let viewer = who("vic", Role::Viewer, None).permissions(
            "x",
            &Side::new(Some(Kind::Customer), Some("vic"), Some("vic")),
            &Teams::new(),
            None,
            Vec::new(),
        );
        assert!(viewer.actions.is_empty() && viewer.editable_fields.is_empty());
        let ann = who("ann", Role::AccountManager, None).permissions(
            "x",
            &Side::new(Some(Kind::Customer), Some("ann"), Some("ann")),
            &Teams::new(),
            None,
            Vec::new(),
        );
        assert!(ann.actions.contains(&"update") && !ann.actions.contains(&"change_owner"));
        assert!(ann.editable_fields.contains(&"name") && !ann.editable_fields.contains(&"owner"));
        let sue = who("sue", Role::Supervisor, None).permissions(
            "x",
            &Side::new(Some(Kind::Opportunity), Some("sue"), Some("sue")),
            &Teams::new(),
            None,
            Vec::new(),
        );
        assert!(sue.actions.contains(&"change_owner") && sue.editable_fields.contains(&"owner"));
        assert!(who("sue", Role::Supervisor, None)
            .permissions(
                "x",
                &Side::new(Some(Kind::DictEntry), Some("sue"), Some("sue")),
                &Teams::new(),
                None,
                Vec::new()
            )
            .actions
            .is_empty());
    }

    #[test]
    fn roles_read_and_write_their_scope_only() {
        let teams: Teams =
            [("ann".to_string(), Some("east".to_string())), ("bob".to_string(), Some("west".to_string()))].into();
        let ann = who("ann", Role::AccountManager, Some("east"));
        let sup = who("sue", Role::Supervisor, Some("east"));
        let viewer = who("vic", Role::Viewer, Some("east"));
        let c = Some(Kind::Customer);
        assert!(ann.can_read(c, Some("ann"), &teams) && !ann.can_read(c, Some("bob"), &teams));
        assert!(sup.can_read(c, Some("ann"), &teams) && !sup.can_read(c, Some("bob"), &teams));
        assert!(sup.can_write(Kind::Customer, Some("ann"), &teams));
        assert!(viewer.can_read(c, Some("ann"), &teams) && !viewer.can_write(Kind::Customer, Some("ann"), &teams));
        assert!(ann.can_read(Some(Kind::DictEntry), None, &teams) && !ann.can_write(Kind::DictEntry, None, &teams));
        assert!(!ann.may_change_owner() && sup.may_change_owner());
    }

    #[test]
    fn writes_are_refused_with_the_most_specific_reason() {
        let teams: Teams = [("ann".to_string(), Some("east".to_string()))].into();
        let ann = who("ann", Role::AccountManager, Some("east"));
        let sup = who("sue", Role::Supervisor, Some("east"));
        let code = |p: &Person, w: Write<'_>| p.check_write(&w, &teams).err().map(|r| r.code);
        assert_eq!(
            code(&ann, Write { before: None, after: side(Some("ann")), missing_customer: None, transition: None }),
            None
        );
        assert_eq!(
            code(&ann, Write { before: None, after: side(Some("bob")), missing_customer: None, transition: None }),
            Some("owner_change")
        );
        assert_eq!(
            code(
                &ann,
                Write {
                    before: Some(side(Some("ann"))),
                    after: side(Some("bob")),
                    missing_customer: None,
                    transition: None
                }
            ),
            Some("owner_change")
        );
        assert_eq!(
            code(
                &sup,
                Write {
                    before: Some(side(Some("ann"))),
                    after: side(Some("bob")),
                    missing_customer: None,
                    transition: None
                }
            ),
            Some("forbidden")
        );
        assert_eq!(
            code(
                &sup,
                Write {
                    before: Some(side(Some("bob"))),
                    after: side(Some("ann")),
                    missing_customer: None,
                    transition: None
                }
            ),
            Some("forbidden")
        );
        let viewer = who("vic", Role::Viewer, None);
        assert_eq!(
            code(&viewer, Write { before: None, after: side(Some("vic")), missing_customer: None, transition: None }),
            Some("forbidden")
        );
        let dict = Side::new(Some(Kind::DictEntry), None, None);
        assert_eq!(
            code(&sup, Write { before: None, after: dict, missing_customer: None, transition: None }),
            Some("forbidden")
        );
        assert_eq!(
            code(
                &who("root", Role::Admin, None),
                Write { before: None, after: dict, missing_customer: None, transition: None }
            ),
            None
        );
        let contact = Side::new(Some(Kind::Contact), None, Some("ann"));
        assert_eq!(
            code(
                &ann,
                Write { before: Some(side(Some("ann"))), after: contact, missing_customer: None, transition: None }
            ),
            Some("kind_change")
        );
        // Someone else's record: the same answer whatever the change, so nothing is learned.
        let bobs = side(Some("bob"));
        let guess = Write { before: Some(bobs), after: side(Some("ann")), missing_customer: None, transition: None };
        assert_eq!(code(&ann, guess), Some("forbidden"));
        let as_contact = Write { before: Some(bobs), after: contact, missing_customer: None, transition: None };
        assert_eq!(code(&ann, as_contact), Some("forbidden"));
        let new_contact = Write { before: None, after: contact, missing_customer: Some("c9"), transition: None };
        assert_eq!(code(&ann, new_contact), Some("unknown_customer"));
    }
}
