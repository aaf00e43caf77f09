//! Sync: the wire protocol, the store's hooks, and the client engine.

pub mod client;
pub mod files;
pub mod local;
pub mod protocol;
pub mod tls;
