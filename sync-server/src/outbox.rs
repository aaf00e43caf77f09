//! The outbox: messages written in the app and sent by the server.
//!
//! A device queues a message as an activity — type `email` or `sms`, `send_status: queued` —
//! offline too; when the server stores it, it lands in the `outbox` table by its channel.
//! [`run`] takes queued messages oldest first, hands each to its channel (the SMTP relay the
//! admin configured, `crate::mail`; the SMS provider the deployment plugged in, `crate::sms`),
//! and writes what happened into the activity as the system: `sent` with `sent_at`, or
//! `failed` with the relay's or the provider's words (`send_error`) — an unreachable relay
//! included. The person can `retry` a failed one. A channel with nothing configured holds its
//! messages queued, and sends them once it is. Delivery is at least once: a server stopped
//! between the channel's acceptance and the status being stored sends that message again when
//! it starts.

use std::sync::Arc;
use std::time::Duration;

use crate::sms::{TextMessage, SEND_TIMEOUT};
use crate::AppState;

/// How a message goes out: its activity's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Email,
    Sms,
}

/// One message to send: its activity, to whom, what (`subject` is an email's alone).
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub id: String,
    pub channel: Channel,
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// How often the queue is looked at.
const EVERY: Duration = Duration::from_secs(1);
/// How many messages one look takes.
const BATCH: usize = 20;

/// Send the queue, for as long as the server runs.
pub async fn run(state: Arc<AppState>) {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let sms = state.sms_provider();
        let due = state
            .with_db(move |db| {
                let smtp = db.smtp()?;
                let mut channels = Vec::new();
                channels.extend(smtp.is_some().then_some("email"));
                channels.extend(sms.is_some().then_some("sms"));
                Ok((smtp, db.due_messages(BATCH, &channels)?))
            })
            .await;
        let (smtp, due) = match due {
            Ok(found) => found,
            Err(e) => {
                eprintln!("sync-server: cannot read the outbox: {e}");
                continue;
            }
        };
        for message in due {
            let outcome = match (message.channel, &smtp, state.sms_provider()) {
                (Channel::Email, Some(smtp), _) => crate::mail::send(smtp, &message).await,
                (Channel::Sms, _, Some(provider)) => {
                    let text =
                        TextMessage { id: message.id.clone(), to: message.to.clone(), text: message.body.clone() };
                    match tokio::time::timeout(SEND_TIMEOUT, provider.send(&text)).await {
                        Ok(outcome) => outcome,
                        Err(_) => Err(format!("the SMS provider {} did not answer in time", provider.name())),
                    }
                }
                // Its channel went away meanwhile: it waits.
                _ => continue,
            };
            let id = message.id.clone();
            if let Err(e) = state.with_db(move |db| db.send_outcome(&id, outcome, crm_core::value::now_ms())).await {
                eprintln!("sync-server: cannot record what became of message {}: {e}", message.id);
            }
        }
    }
}
