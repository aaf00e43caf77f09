//! Text messages (短信) from the app: the `sms` channel of the outbox (`crate::outbox`).
//!
//! No provider is built in: each company signs with its own (Aliyun SMS, Tencent Cloud SMS, a
//! carrier's gateway), whose terms, templates and signatures differ. A deployment implements
//! [`SmsProvider`] for it and plugs it into the server before serving:
//!
//! ```no_run
//! use std::sync::Arc;
//! use sync_server::sms::{SmsFuture, SmsProvider, TextMessage};
//!
//! struct Gateway;
//!
//! impl SmsProvider for Gateway {
//!     fn name(&self) -> &str {
//!         "example gateway"
//!     }
//!     fn send<'a>(&'a self, message: &'a TextMessage) -> SmsFuture<'a> {
//!         Box::pin(async move {
//!             // Call the provider's API with message.to and message.text here; answer
//!             // Err with the provider's words when it refuses.
//!             let _ = (&message.to, &message.text);
//!             Ok(())
//!         })
//!     }
//! }
//!
//! # fn plug(state: &sync_server::AppState) {
//! state.set_sms_provider(Arc::new(Gateway));
//! # }
//! ```
//!
//! The contract:
//! - `send` is called once per queued message, oldest first, one at a time, from the server's
//!   runtime; it should finish within a minute (the outbox gives up on it after
//!   [`SEND_TIMEOUT`] and records it as failed).
//! - `Ok(())` means the provider accepted the message: the activity becomes `sent`, with
//!   `sent_at`. `Err(why)` means it did not: the activity becomes `failed` and `why` is shown to
//!   the person as `send_error` (at most 1,000 characters are kept), who may retry.
//! - `to` is the number as the person wrote it (digits with spaces, `+`, `-`, brackets); a
//!   provider that wants E.164 normalises it, adding the company's country code.
//! - Delivery is at least once: a server stopped between the provider's acceptance and the
//!   status being stored sends that message again when it starts.
//!
//! Without a provider, text messages stay `queued` (emails still go), and are sent once one is
//! plugged in.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// One text message: the activity it is, the number, the words.
#[derive(Debug, Clone, PartialEq)]
pub struct TextMessage {
    /// The `sms` activity's id (useful as an idempotency key with providers that take one).
    pub id: String,
    pub to: String,
    pub text: String,
}

/// What [`SmsProvider::send`] returns: the provider's refusal in its own words.
pub type SmsFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// A way to send text messages, plugged in by the deployment (see the module's documentation).
pub trait SmsProvider: Send + Sync {
    /// Who sends, for the server's log ("aliyun", "the carrier's gateway").
    fn name(&self) -> &str;
    /// Hand one message to the provider.
    fn send<'a>(&'a self, message: &'a TextMessage) -> SmsFuture<'a>;
}

/// How long one provider call may take before the message counts as failed.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(60);
