//! Who may read and write what. The server decides; clients only ever see what passes here.
//!
//! - admin: everything, and the only writer of reference data (users, teams, dictionaries).
//! - supervisor: customers owned by anyone in their team, and everything attached to them.
//! - account_manager: customers they own, and everything attached to them.
//! - viewer: reads like a supervisor of their team (or everything without a team); writes nothing.
//!
//! A record's *scope owner* decides access: a customer's owner, or for a contact, activity or
//! opportunity, the owner of its customer. Reference data has no scope owner: all read it.

use std::collections::HashMap;

use crm_core::Kind;

#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub user_id: String,
    pub role: String,
    pub team: Option<String>,
    pub device_id: String,
    /// When the device's token expires (ms since 1970); the connection ends then.
    pub expires_at: i64,
}

/// Teams of all users, to decide team-scoped access.
pub type Teams = HashMap<String, Option<String>>;

impl Principal {
    fn in_my_team(&self, owner: &str, teams: &Teams) -> bool {
        match &self.team {
            Some(team) => teams.get(owner).is_some_and(|t| t.as_deref() == Some(team.as_str())),
            None => false,
        }
    }

    /// May this user read a record of `kind` whose scope owner is `scope_owner`?
    pub fn can_read(&self, kind: Option<Kind>, scope_owner: Option<&str>, teams: &Teams) -> bool {
        let Some(kind) = kind else { return false };
        if kind.spec().admin_only {
            return true;
        }
        let Some(owner) = scope_owner else { return self.role == "admin" };
        match self.role.as_str() {
            "admin" => true,
            "supervisor" => owner == self.user_id || self.in_my_team(owner, teams),
            "viewer" => self.team.is_none() || owner == self.user_id || self.in_my_team(owner, teams),
            _ => owner == self.user_id,
        }
    }

    /// May this user write a record of `kind` whose scope owner is `scope_owner`?
    pub fn can_write(&self, kind: Kind, scope_owner: Option<&str>, teams: &Teams) -> bool {
        match self.role.as_str() {
            "viewer" => false,
            "admin" => true,
            _ if kind.spec().admin_only => false,
            _ => scope_owner.is_some_and(|owner| self.can_read(Some(kind), Some(owner), teams)),
        }
    }

    pub fn may_change_owner(&self) -> bool {
        matches!(self.role.as_str(), "admin" | "supervisor")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(user: &str, role: &str, team: Option<&str>) -> Principal {
        Principal {
            user_id: user.into(),
            role: role.into(),
            team: team.map(Into::into),
            device_id: "d".into(),
            expires_at: i64::MAX,
        }
    }

    #[test]
    fn roles_read_and_write_their_scope_only() {
        let teams: Teams =
            [("ann".to_string(), Some("east".to_string())), ("bob".to_string(), Some("west".to_string()))].into();
        let ann = who("ann", "account_manager", Some("east"));
        let sup = who("sue", "supervisor", Some("east"));
        let viewer = who("vic", "viewer", Some("east"));
        let c = Some(Kind::Customer);
        assert!(ann.can_read(c, Some("ann"), &teams) && !ann.can_read(c, Some("bob"), &teams));
        assert!(sup.can_read(c, Some("ann"), &teams) && !sup.can_read(c, Some("bob"), &teams));
        assert!(sup.can_write(Kind::Customer, Some("ann"), &teams));
        assert!(viewer.can_read(c, Some("ann"), &teams) && !viewer.can_write(Kind::Customer, Some("ann"), &teams));
        assert!(ann.can_read(Some(Kind::DictEntry), None, &teams) && !ann.can_write(Kind::DictEntry, None, &teams));
        assert!(!ann.may_change_owner() && sup.may_change_owner());
    }
}
