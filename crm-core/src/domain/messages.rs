//! Messages written in the app and sent by the server: an `activity` of type `email` (with
//! `email_to`, a `subject` and an `email_body`) or of type `sms` (with `sms_to` and
//! `sms_text`), queued on the device (offline too) with `send_status: queued`. The server sends
//! it — an email through the SMTP relay, a text message through the SMS provider the
//! deployment plugged in — and writes `sent` (with `sent_at`) or `failed` (with `send_error`) as
//! the system; its writer may `retry` a failed one. Nobody else moves it (`kind::SEND_FLOW`).

use serde_json::json;

use crate::document::RecordDoc;
use crate::error::FieldError;
use crate::kind::Kind;
use crate::value::FieldValue;

/// The longest text message (a few concatenated segments; one segment holds 70 Chinese
/// characters).
pub const MAX_SMS_CHARS: usize = 500;

/// The channels a message goes out by: its activity type.
pub const CHANNELS: &[&str] = &["email", "sms"];

/// A queued message has what its channel needs: an email its address, subject and body; a text
/// message a phone number and its words.
pub fn problems(doc: &RecordDoc) -> Vec<FieldError> {
    let spec = Kind::Activity.spec();
    let read = |name: &str| spec.field(name).and_then(|f| doc.read(f));
    let text = |name: &str| match read(name) {
        Some(FieldValue::Str(s)) => Some(s).filter(|s| !s.trim().is_empty()),
        _ => None,
    };
    if text("send_status").as_deref() != Some("queued") {
        return Vec::new();
    }
    let required = |fields: &[&str]| -> Vec<FieldError> {
        fields.iter().filter(|f| text(f).is_none()).map(|f| FieldError::with(*f, "required", json!({}))).collect()
    };
    match text("type").as_deref() {
        Some("email") => required(&["email_to", "subject", "email_body"]),
        Some("sms") => {
            let mut out = required(&["sms_to", "sms_text"]);
            if let Some(to) = text("sms_to").filter(|to| !crate::value::is_phone(to)) {
                out.push(FieldError::with("sms_to", "invalid_phone", json!({ "value": to })));
            }
            out
        }
        _ => vec![FieldError::with("type", "not_a_message", json!({ "expected": CHANNELS.join(", ") }))],
    }
}
