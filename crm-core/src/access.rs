//! Who may read and write what: one rule set, called by the server on every change and every
//! send, and by the device to refuse locally with the same reason the server would give.
//!
//! - admin: everything, and the only writer of reference data (users, teams, dictionaries).
//! - supervisor: customers owned by anyone in their team, and everything attached to them.
//! - account_manager: customers they own, and everything attached to them.
//! - viewer: reads like a supervisor of their team (or everything without a team); writes nothing.
//!
//! A record's *scope owner* decides access: a customer's owner, or for a contact, activity or
//! opportunity, the owner of its customer. Reference data has no scope owner: all read it.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::kind::Kind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Supervisor,
    AccountManager,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Supervisor, Role::AccountManager, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::AccountManager => "account_manager",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a person may do with one record, for the UI to show only those actions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Permissions {
    pub id: String,
    pub kind: Kind,
    pub role: Role,
    /// `update`, `delete` (and `restore`), `resolve_conflict`, `change_owner`.
    pub actions: Vec<&'static str>,
    /// Fields the person may change (`owner` only with `change_owner`).
    pub editable_fields: Vec<&'static str>,
}

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
}

#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    pub kind: Option<Kind>,
    pub owner: Option<&'a str>,
    pub scope_owner: Option<&'a str>,
}

impl Person {
    fn in_my_team(&self, owner: &str, teams: &Teams) -> bool {
        match &self.team {
            Some(team) => teams.get(owner).is_some_and(|t| t.as_deref() == Some(team.as_str())),
            None => false,
        }
    }

    /// May this person read a record of `kind` whose scope owner is `scope_owner`?
    pub fn can_read(&self, kind: Option<Kind>, scope_owner: Option<&str>, teams: &Teams) -> bool {
        let Some(kind) = kind else { return false };
        if kind.spec().admin_only {
            return true;
        }
        let Some(owner) = scope_owner else { return self.role == Role::Admin };
        match self.role {
            Role::Admin => true,
            Role::Supervisor => owner == self.user_id || self.in_my_team(owner, teams),
            Role::Viewer => self.team.is_none() || owner == self.user_id || self.in_my_team(owner, teams),
            Role::AccountManager => owner == self.user_id,
        }
    }

    /// May this person write a record of `kind` whose scope owner is `scope_owner`?
    pub fn can_write(&self, kind: Kind, scope_owner: Option<&str>, teams: &Teams) -> bool {
        match self.role {
            Role::Admin => true,
            _ => {
                self.may_write_kind(kind)
                    && scope_owner.is_some_and(|owner| self.can_read(Some(kind), Some(owner), teams))
            }
        }
    }

    /// May this person write records of `kind` at all (before knowing which one)?
    pub fn may_write_kind(&self, kind: Kind) -> bool {
        match self.role {
            Role::Viewer => false,
            Role::Admin => true,
            _ => !kind.spec().admin_only,
        }
    }

    pub fn may_change_owner(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Supervisor)
    }

    /// What this person may do with a record of `kind` that they can read (a device holds
    /// only those): the same rules as [`Person::check_write`], answered ahead of time.
    pub fn permissions(&self, id: &str, kind: Kind) -> Permissions {
        let mut actions = Vec::new();
        let mut editable_fields = Vec::new();
        if self.may_write_kind(kind) {
            actions.extend(["update", "delete", "restore", "resolve_conflict"]);
            let owner_field = kind.spec().field("owner").is_some();
            if owner_field && self.may_change_owner() {
                actions.push("change_owner");
            }
            editable_fields.extend(
                kind.spec().fields.iter().map(|f| f.name).filter(|name| *name != "owner" || self.may_change_owner()),
            );
        }
        Permissions { id: id.to_string(), kind, role: self.role, actions, editable_fields }
    }

    /// The rules one write must pass, most specific reason first. What needs a database
    /// (whether the named customer exists) comes in [`Write::missing_customer`].
    pub fn check_write(&self, write: &Write<'_>, teams: &Teams) -> Result<(), Refusal> {
        // A record this person may not write is refused before anything else is looked at, so
        // the reason tells nothing about it (its kind, owner or customer).
        if let Some(before) = write.before {
            if before.kind.is_some_and(|k| !self.can_write(k, before.scope_owner, teams)) {
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
            return if self.role == Role::Admin {
                Ok(())
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
        let scopes = std::iter::once(write.after.scope_owner).chain(write.before.map(|b| b.scope_owner));
        for scope in scopes {
            if !self.can_write(kind, scope, teams) {
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
        Side { kind: Some(Kind::Customer), owner, scope_owner: owner }
    }

    #[test]
    fn roles_are_the_user_kinds_choices_and_viewers_see_no_actions() {
        let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(names, crate::kind::ROLES);
        let viewer = who("vic", Role::Viewer, None).permissions("x", Kind::Customer);
        assert!(viewer.actions.is_empty() && viewer.editable_fields.is_empty());
        let ann = who("ann", Role::AccountManager, None).permissions("x", Kind::Customer);
        assert!(ann.actions.contains(&"update") && !ann.actions.contains(&"change_owner"));
        assert!(ann.editable_fields.contains(&"name") && !ann.editable_fields.contains(&"owner"));
        let sue = who("sue", Role::Supervisor, None).permissions("x", Kind::Opportunity);
        assert!(sue.actions.contains(&"change_owner") && sue.editable_fields.contains(&"owner"));
        assert!(who("sue", Role::Supervisor, None).permissions("x", Kind::DictEntry).actions.is_empty());
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
        assert_eq!(code(&ann, Write { before: None, after: side(Some("ann")), missing_customer: None }), None);
        assert_eq!(
            code(&ann, Write { before: None, after: side(Some("bob")), missing_customer: None }),
            Some("owner_change")
        );
        assert_eq!(
            code(&ann, Write { before: Some(side(Some("ann"))), after: side(Some("bob")), missing_customer: None }),
            Some("owner_change")
        );
        assert_eq!(
            code(&sup, Write { before: Some(side(Some("ann"))), after: side(Some("bob")), missing_customer: None }),
            Some("forbidden")
        );
        assert_eq!(
            code(&sup, Write { before: Some(side(Some("bob"))), after: side(Some("ann")), missing_customer: None }),
            Some("forbidden")
        );
        let viewer = who("vic", Role::Viewer, None);
        assert_eq!(
            code(&viewer, Write { before: None, after: side(Some("vic")), missing_customer: None }),
            Some("forbidden")
        );
        let dict = Side { kind: Some(Kind::DictEntry), owner: None, scope_owner: None };
        assert_eq!(code(&sup, Write { before: None, after: dict, missing_customer: None }), Some("forbidden"));
        assert_eq!(
            code(&who("root", Role::Admin, None), Write { before: None, after: dict, missing_customer: None }),
            None
        );
        let contact = Side { kind: Some(Kind::Contact), owner: None, scope_owner: Some("ann") };
        assert_eq!(
            code(&ann, Write { before: Some(side(Some("ann"))), after: contact, missing_customer: None }),
            Some("kind_change")
        );
        // Someone else's record: the same answer whatever the change, so nothing is learned.
        let bobs = side(Some("bob"));
        let guess = Write { before: Some(bobs), after: side(Some("ann")), missing_customer: None };
        assert_eq!(code(&ann, guess), Some("forbidden"));
        let as_contact = Write { before: Some(bobs), after: contact, missing_customer: None };
        assert_eq!(code(&ann, as_contact), Some("forbidden"));
        let new_contact = Write { before: None, after: contact, missing_customer: Some("c9") };
        assert_eq!(code(&ann, new_contact), Some("unknown_customer"));
    }
}
