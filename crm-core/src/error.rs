//! Errors a person can act on.
//!
//! Every error has a stable machine `code` (for the UI to translate into zh-CN or en) and
//! `params` (field names, offending values) so the message can be rendered in either
//! language without parsing English text.

use serde::Serialize;
use serde_json::{json, Value as Json};

/// One problem with one field of a request. A form shows these inline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldError {
    pub field: String,
    /// Stable reason code, e.g. `required`, `invalid_choice`, `too_long`.
    pub reason: &'static str,
    #[serde(skip_serializing_if = "Json::is_null")]
    pub params: Json,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: &'static str) -> Self {
        FieldError { field: field.into(), reason, params: Json::Null }
    }

    pub fn with(field: impl Into<String>, reason: &'static str, params: Json) -> Self {
        FieldError { field: field.into(), reason, params }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the request is not valid: {}", describe(.0))]
    Validation(Vec<FieldError>),
    #[error("the request could not be read: {0}")]
    BadRequest(String),
    #[error("unknown record kind '{0}'")]
    UnknownKind(String),
    #[error("record {0} was not found on this device")]
    NotFound(String),
    #[error("record {0} is deleted; restore it before editing")]
    Deleted(String),
    #[error("you may not {action} {kind} records")]
    Forbidden { action: &'static str, kind: String },
    #[error("field '{field}' of record {id} has no conflict to resolve")]
    NoConflict { id: String, field: String },
    #[error("the local database failed: {0}")]
    Storage(#[from] rusqlite::Error),
    #[error("a stored document could not be read ({0}); run `crm rebuild-index` or restore a backup")]
    Corrupt(String),
    #[error("a change from another device could not be read: {0}")]
    BadChange(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(
        "this edit makes the record too large ({bytes} bytes, at most {max}); shorten the notes or split the record"
    )]
    TooLarge { bytes: usize, max: usize },
    /// Refused by the access or workflow rules, with the code and reason the server would give.
    #[error("{reason}")]
    Refused { code: &'static str, reason: String, params: Json },
    #[error("record {id} has no transition '{name}'")]
    UnknownTransition { id: String, name: String },
    /// A file given to import cannot be read; the message says why and what to do.
    #[error("{0}")]
    Unreadable(String),
    #[error("this data is open in another program ({holder}); close it there first, or use another data directory")]
    InUse { holder: String },
    /// The store is encrypted and was opened without its key (crate::at_rest).
    #[error("this data is encrypted: unlock it with the password you last signed in with on this device")]
    StoreLocked,
    /// The key or password given does not open the encrypted store.
    #[error("this password does not open the data on this device; use the one you last signed in with here")]
    WrongKey,
}

fn describe(errors: &[FieldError]) -> String {
    errors.iter().map(|e| format!("{}: {}", e.field, e.reason)).collect::<Vec<_>>().join(", ")
}

impl Error {
    pub fn field(field: impl Into<String>, reason: &'static str) -> Self {
        Error::Validation(vec![FieldError::new(field, reason)])
    }

    /// An `invalid_choice` with the value given and those allowed.
    pub fn with_value(self, value: &str, allowed: &[&str]) -> Self {
        match self {
            Error::Validation(mut errors) => {
                for e in &mut errors {
                    e.params = json!({ "value": value, "allowed": allowed });
                }
                Error::Validation(errors)
            }
            other => other,
        }
    }

    /// Stable code for translations and scripts.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Validation(_) => "validation",
            Error::BadRequest(_) => "bad_request",
            Error::UnknownKind(_) => "unknown_kind",
            Error::NotFound(_) => "not_found",
            Error::Deleted(_) => "deleted",
            Error::Forbidden { .. } => "forbidden",
            Error::NoConflict { .. } => "no_conflict",
            Error::Storage(_) => "storage",
            Error::Corrupt(_) => "corrupt",
            Error::BadChange(_) => "bad_change",
            Error::Io(_) => "io",
            Error::InUse { .. } => "store_in_use",
            Error::StoreLocked => "store_locked",
            Error::WrongKey => "wrong_store_key",
            Error::TooLarge { .. } => "too_large",
            Error::Refused { code, .. } => code,
            Error::UnknownTransition { .. } => "unknown_transition",
            Error::Unreadable(_) => "unreadable_file",
        }
    }

    /// Parameters the UI needs to render the translated message.
    pub fn params(&self) -> Json {
        match self {
            Error::Validation(errors) => json!({ "errors": errors }),
            Error::UnknownKind(kind) => json!({ "kind": kind }),
            Error::NotFound(id) | Error::Deleted(id) => json!({ "id": id }),
            Error::Forbidden { action, kind } => json!({ "action": action, "kind": kind }),
            Error::NoConflict { id, field } => json!({ "id": id, "field": field }),
            Error::BadRequest(m) | Error::Corrupt(m) | Error::BadChange(m) | Error::Unreadable(m) => {
                json!({ "detail": m })
            }
            Error::Storage(e) => json!({ "detail": e.to_string() }),
            Error::Io(e) => json!({ "detail": e.to_string() }),
            Error::InUse { holder } => json!({ "holder": holder }),
            Error::StoreLocked | Error::WrongKey => json!({}),
            Error::TooLarge { bytes, max } => json!({ "bytes": bytes, "max": max }),
            Error::Refused { params, .. } => params.clone(),
            Error::UnknownTransition { id, name } => json!({ "id": id, "transition": name }),
        }
    }
}

impl From<automerge::AutomergeError> for Error {
    fn from(e: automerge::AutomergeError) -> Self {
        Error::Corrupt(e.to_string())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
