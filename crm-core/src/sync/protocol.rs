//! The sync wire protocol: CBOR messages in binary WebSocket frames. Shared by the server and
//! the client so the two can never disagree; `docs/protocol.md` describes it for other clients.

use serde::{Deserialize, Serialize};

pub const PROTOCOL_VERSION: u32 = 1;
/// Largest frame either side accepts.
pub const MAX_FRAME_BYTES: usize = 16 << 20;
/// Most changes in one push.
pub const MAX_PUSH_CHANGES: usize = 2_000;
/// Most entries the server puts in one `changes` or `snapshots` message.
pub const MAX_BATCH: usize = 1_000;
/// Most bytes of changes or snapshots in one message, either way (one larger item still goes
/// alone): far below the frame limit, so no batch can be too long to send.
pub const BATCH_BYTES: usize = 4 << 20;
/// Largest single change, refused on the device when it is made and by the server.
pub const MAX_CHANGE_BYTES: usize = 1 << 20;
/// Largest record (its saved document), refused on the device and by the server: every
/// record fits in a frame with room to spare.
pub const MAX_RECORD_BYTES: usize = 4 << 20;
/// Most Automerge operations in one change, and in one push, checked before they are applied.
/// (A full 100,000-character note is about that many operations.)
pub const MAX_CHANGE_OPS: usize = 300_000;
pub const MAX_PUSH_OPS: usize = 1_000_000;

/// A document's Automerge change (or saved document) on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocBytes {
    pub doc: String,
    #[serde(with = "serde_bytes")]
    pub bytes: Vec<u8>,
}

/// A whole document for a fresh device: its saved Automerge document, and — when the device
/// said in `hello` which read models it builds and they are the server's too — those rows,
/// prepared by the server, so that the device need not decode the document to list and find it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotDoc {
    pub doc: String,
    #[serde(with = "serde_bytes")]
    pub bytes: Vec<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "serde_bytes")]
    pub rows: Option<Vec<u8>>,
}

/// A change from the server's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogChange {
    pub seq: u64,
    pub doc: String,
    #[serde(with = "serde_bytes")]
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Accepted {
    pub hash: String,
    pub seq: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refused {
    pub hash: String,
    pub doc: String,
    /// Stable code: `forbidden`, `owner_change`, `kind_change`, `forged_actor`, `forged_author`,
    /// `bad_time`, `invalid_change`, `invalid_record`, `too_large`, `missing_dependencies`,
    /// `deferred` (not a refusal: push it again),
    /// `unknown_kind`, `unknown_customer`, `not_own` (repair only: a change written by another
    /// device; it reaches the server when that device syncs).
    pub code: String,
    pub reason: String,
    /// For the UI to say it in the person's language: a JSON object (as text) with what the
    /// code's message names — for `transition_conflict`, who (`by`, a user id) changed which
    /// `field` to what `value` and when (`at`). Absent for most codes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<String>,
}

/// Who moved a dropped document away, and when (UTC milliseconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Moved {
    pub doc: String,
    pub by: String,
    pub at: i64,
}

impl Refused {
    /// Not a refusal of the device's edit: it stays in the outbox and goes again later
    /// (`missing_dependencies`: after a repair or once another device has synced; `deferred`:
    /// in the next push; `not_own`: another device's change seen during a repair).
    pub fn waits(&self) -> bool {
        matches!(self.code.as_str(), "missing_dependencies" | "deferred" | "not_own")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum ClientMsg {
    /// First message: what the client has. `cursor` 0 means a fresh device. `epoch` is the
    /// server epoch the cursor belongs to (from an earlier `welcome`); none on first contact.
    Hello {
        protocol: u32,
        cursor: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        epoch: Option<String>,
        /// The read models this client builds (`crm_core::projection::version`): a bootstrap
        /// then carries the server's prepared rows when they are the same. Other clients leave
        /// it out.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        read_models: Option<String>,
    },
    /// Local changes, in the order they were made. `ahead`: sent before the previous push's
    /// `ack` came (docs/protocol.md, *Push*).
    Push {
        batch: u64,
        changes: Vec<DocBytes>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        ahead: bool,
    },
    Ping {
        n: u64,
    },
    /// Automerge sync protocol for one document, after the server refused a change with
    /// `missing_dependencies`: the two sides exchange these until both have every change.
    Repair {
        doc: String,
        #[serde(with = "serde_bytes")]
        message: Vec<u8>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum ServerMsg {
    Welcome {
        protocol: u32,
        user_id: String,
        role: String,
        /// The server's epoch: a new one after the server is restored from a backup.
        #[serde(default)]
        epoch: String,
        /// The server was restored since this device's last contact and may lack changes it
        /// acknowledged: the device pushes again every change it wrote itself (re-sending is
        /// harmless), and it is bootstrapped as if fresh. Only a device's own changes are
        /// ever accepted from it, so this is how the server gets everyone's edits back.
        #[serde(default)]
        resend_own: bool,
    },
    /// Whole documents for a fresh device; store `cursor` after applying them.
    Snapshots {
        docs: Vec<SnapshotDoc>,
        cursor: u64,
    },
    /// Log entries after the client's cursor (catch-up and live); store `cursor` after applying.
    Changes {
        changes: Vec<LogChange>,
        cursor: u64,
    },
    /// Documents this user may no longer read: delete them locally. `moved` says, for those
    /// whose own change moved them away (a claim, a transfer), who made it and when, so a
    /// transition of this device that lost the race can say so.
    Drop {
        docs: Vec<String>,
        cursor: u64,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        moved: Vec<Moved>,
    },
    /// Everything up to `cursor` has been sent.
    CaughtUp {
        cursor: u64,
    },
    /// Answer to a push: each change stored durably (with its log sequence) or refused.
    Ack {
        batch: u64,
        accepted: Vec<Accepted>,
        refused: Vec<Refused>,
    },
    Pong {
        n: u64,
    },
    /// The server's next Automerge sync message for `doc`, or none when it has nothing more
    /// to say. Changes the server learned were stored (or refused) before this is sent.
    Repair {
        doc: String,
        #[serde(with = "serde_bytes")]
        message: Option<Vec<u8>>,
        accepted: Vec<Accepted>,
        refused: Vec<Refused>,
    },
    /// A problem with the connection; `fatal` ones are followed by a close.
    Error {
        code: String,
        message: String,
        fatal: bool,
    },
}

/// Encode a message as one binary frame.
pub fn encode<T: Serialize>(msg: &T) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing CBOR into a Vec cannot fail for these types.
    let _ = ciborium::into_writer(msg, &mut out);
    out
}

/// Decode one binary frame.
pub fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, String> {
    if bytes.len() > MAX_FRAME_BYTES {
        return Err(format!("frame of {} bytes is larger than {MAX_FRAME_BYTES}", bytes.len()));
    }
    ciborium::from_reader(bytes).map_err(|e| format!("not a valid message: {e}"))
}

/// What `POST /api/login` takes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    pub device_name: String,
    /// The Automerge actor id (hex) this device will write with.
    pub actor: String,
    /// The device id this store had before signing out. When it is this user's and not
    /// revoked, the server keeps it (new token, the new actor added to it), so edits made
    /// with the earlier actor and not sent yet are still accepted after signing in again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_device: Option<String>,
    /// The actors (hex) this store wrote with before. The server adds to this device those no
    /// device holds (after a restore from a backup older than the device), so the edits it
    /// wrote with them can be sent again; actors another device holds are left alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub previous_actors: Vec<String>,
}

/// What `POST /api/login` answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginResponse {
    pub token: String,
    pub user_id: String,
    pub display_name: String,
    pub role: String,
    pub device_id: String,
    /// Device part of minted codes: unique on this server.
    pub code_prefix: String,
    pub expires_at: String,
}
