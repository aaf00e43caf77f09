//! Who is on the other end of a connection. The rules themselves are `crm_core::access`,
//! shared with the devices: one rule set, two callers.

use std::ops::Deref;

pub use crm_core::access::{Person, Role, Teams};

/// A signed-in device: the person it acts for, which device, and until when.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub person: Person,
    pub device_id: String,
    /// When the device's token expires (ms since 1970); the connection ends then.
    pub expires_at: i64,
}

impl Principal {
    /// From what the database holds; `None` for a role this version does not know (which
    /// then reads and writes nothing).
    pub fn new(user_id: String, role: &str, team: Option<String>, device_id: String, expires_at: i64) -> Option<Self> {
        let role = Role::parse(role)?;
        Some(Principal { person: Person { user_id, role, team }, device_id, expires_at })
    }
}

/// A principal is its person for every access decision.
impl Deref for Principal {
    type Target = Person;

    fn deref(&self) -> &Person {
        &self.person
    }
}
