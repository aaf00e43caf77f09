//! Email written in the app: an `activity` of type `email` with `email_to`, a `subject` and an
//! `email_body`, queued on the device (offline too) with `email_status: queued`. The server's
//! relay sends it and writes `sent` (with `sent_at`) or `failed` (with `email_error`) as the
//! system; its writer may `retry` a failed one. Nobody else moves it (`kind::EMAIL_FLOW`).

use serde_json::json;

use crate::document::RecordDoc;
use crate::error::FieldError;
use crate::kind::Kind;
use crate::value::FieldValue;

/// A queued email has an address, a subject and a body, and is an email.
pub fn problems(doc: &RecordDoc) -> Vec<FieldError> {
    let spec = Kind::Activity.spec();
    let read = |name: &str| spec.field(name).and_then(|f| doc.read(f));
    let text = |name: &str| match read(name) {
        Some(FieldValue::Str(s)) => !s.trim().is_empty(),
        _ => false,
    };
    if !matches!(read("email_status"), Some(FieldValue::Str(s)) if s == "queued") {
        return Vec::new();
    }
    let mut out = Vec::new();
    if !matches!(read("type"), Some(FieldValue::Str(t)) if t == "email") {
        out.push(FieldError::with("type", "not_an_email", json!({ "expected": "email" })));
    }
    for field in ["email_to", "subject", "email_body"] {
        if !text(field) {
            out.push(FieldError::with(field, "required", json!({})));
        }
    }
    out
}
