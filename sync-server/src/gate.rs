//! The one read check in front of every message that carries document content.
//!
//! Bootstrap snapshots, catch-up and live changes, documents that became readable after a
//! transfer, and repair replies all leave the server through [`Outgoing`], whose content can
//! only be built from a [`Readable`], which only [`ReadGate::admit`] makes. A new send path
//! cannot skip the check without going around the type: `Outgoing::Plain` refuses any message
//! that [`carries_content`] says holds a document, and that function matches every message
//! kind by name, so adding one forces a decision about it.

use crm_core::kind::Kind;
use crm_core::sync::protocol::{Accepted, LogChange, Refused, ServerMsg, SnapshotDoc};

use crate::access::{Principal, Teams};

/// Document content this connection's user may read, checked at the moment it was made.
pub struct Readable<T> {
    doc: String,
    value: T,
}

impl<T> Readable<T> {
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The same document's content in another form (checked once, sent as bytes later).
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Readable<U> {
        Readable { doc: self.doc, value: f(self.value) }
    }
}

/// The read check of one connection, with the teams as they were when it was built.
pub struct ReadGate<'a> {
    who: &'a Principal,
    teams: &'a Teams,
}

impl<'a> ReadGate<'a> {
    pub fn new(who: &'a Principal, teams: &'a Teams) -> Self {
        ReadGate { who, teams }
    }

    /// The user this gate checks for.
    pub fn user_id(&self) -> &str {
        &self.who.user_id
    }

    /// May this user read a record of `kind` in `scope_owner`'s scope, or `granted` to them
    /// by an assignment (`crate::db::granted_sql` tells)?
    pub fn may_read(&self, kind: Option<Kind>, scope_owner: Option<&str>, granted: bool) -> bool {
        (granted && kind.is_some()) || self.who.can_read(kind, scope_owner, self.teams)
    }

    /// `value` (content of `doc`) when this user may read it, else nothing.
    pub fn admit<T>(
        &self,
        doc: impl Into<String>,
        kind: Option<Kind>,
        scope_owner: Option<&str>,
        granted: bool,
        value: T,
    ) -> Option<Readable<T>> {
        self.may_read(kind, scope_owner, granted).then(|| Readable { doc: doc.into(), value })
    }

    /// `value` about a document the server holds nothing of (a repair reply that can only
    /// say "I have none of it"): there is no content to protect.
    pub fn absent<T>(&self, doc: String, value: T) -> Readable<T> {
        Readable { doc, value }
    }
}

/// A document's snapshot and, when they go with it, its read-model rows.
pub type SnapshotAndRows = (Vec<u8>, Option<Vec<u8>>);

/// A message on its way to a device.
pub enum Outgoing {
    /// A message without document content (refused otherwise, see [`Outgoing::into_msg`]).
    Plain(ServerMsg),
    /// Each document's snapshot, and its read-model rows when they go with it.
    Snapshots {
        docs: Vec<Readable<SnapshotAndRows>>,
        cursor: u64,
    },
    Changes {
        changes: Vec<(u64, Readable<Vec<u8>>)>,
        cursor: u64,
    },
    Repair {
        reply: Readable<Option<Vec<u8>>>,
        accepted: Vec<Accepted>,
        refused: Vec<Refused>,
    },
}

/// Document content was about to be sent around the read gate.
#[derive(Debug)]
pub struct Ungated;

impl Outgoing {
    /// The wire message; refuses a plain message that carries document content.
    pub fn into_msg(self) -> Result<ServerMsg, Ungated> {
        Ok(match self {
            Outgoing::Plain(msg) if carries_content(&msg) => return Err(Ungated),
            Outgoing::Plain(msg) => msg,
            Outgoing::Snapshots { docs, cursor } => ServerMsg::Snapshots {
                docs: docs.into_iter().map(|r| SnapshotDoc { doc: r.doc, bytes: r.value.0, rows: r.value.1 }).collect(),
                cursor,
            },
            Outgoing::Changes { changes, cursor } => ServerMsg::Changes {
                changes: changes.into_iter().map(|(seq, r)| LogChange { seq, doc: r.doc, bytes: r.value }).collect(),
                cursor,
            },
            Outgoing::Repair { reply, accepted, refused } => {
                ServerMsg::Repair { doc: reply.doc, message: reply.value, accepted, refused }
            }
        })
    }
}

/// Does this message hold any part of a document? Every message kind is named here.
pub fn carries_content(msg: &ServerMsg) -> bool {
    match msg {
        ServerMsg::Snapshots { docs, .. } => !docs.is_empty(),
        ServerMsg::Changes { changes, .. } => !changes.is_empty(),
        ServerMsg::Repair { message, .. } => message.is_some(),
        ServerMsg::Welcome { .. }
        | ServerMsg::Drop { .. }
        | ServerMsg::CaughtUp { .. }
        | ServerMsg::Ack { .. }
        | ServerMsg::Pong { .. }
        | ServerMsg::Error { .. } => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(user: &str, role: &str) -> Principal {
        Principal::new(user.into(), role, None, "d".into(), i64::MAX).expect("a known role")
    }

    #[test]
    fn content_only_leaves_through_the_gate() {
        let plain_snapshot =
            ServerMsg::Snapshots { docs: vec![SnapshotDoc { doc: "x".into(), bytes: vec![1], rows: None }], cursor: 1 };
        assert!(Outgoing::Plain(plain_snapshot).into_msg().is_err());
        let plain_repair =
            ServerMsg::Repair { doc: "x".into(), message: Some(vec![1]), accepted: vec![], refused: vec![] };
        assert!(Outgoing::Plain(plain_repair).into_msg().is_err());
        let plain_changes =
            ServerMsg::Changes { changes: vec![LogChange { seq: 1, doc: "x".into(), bytes: vec![1] }], cursor: 1 };
        assert!(Outgoing::Plain(plain_changes).into_msg().is_err());
        assert!(Outgoing::Plain(ServerMsg::CaughtUp { cursor: 3 }).into_msg().is_ok());

        let teams = Teams::new();
        let ann = who("ann", "account_manager");
        let gate = ReadGate::new(&ann, &teams);
        assert!(gate.admit("c", Some(Kind::Customer), Some("bob"), false, vec![1u8]).is_none());
        let mine = gate.admit("c", Some(Kind::Customer), Some("ann"), false, (vec![1u8], None)).expect("own record");
        assert!(matches!(
            Outgoing::Snapshots { docs: vec![mine], cursor: 1 }.into_msg(),
            Ok(ServerMsg::Snapshots { docs, .. }) if docs.len() == 1
        ));
    }
}
