//! Email from the app, sent by the server through the SMTP relay the admin configured: the
//! `email` channel of the outbox (`crate::outbox`, which takes queued emails and records what
//! became of them).
//!
//! The SMTP client is small on purpose: `EHLO`, `AUTH PLAIN` when a username is set, one
//! recipient, a UTF-8 plain-text body in base64. It does not speak TLS yet (a relay that
//! requires STARTTLS refuses it, and the email fails with that reason); use a relay on the
//! server's own network.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::outbox::Outgoing;

/// The relay: where, as whom, from which address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    /// The sender's address (`From:` and `MAIL FROM`).
    pub from: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
}

/// How long one exchange with the relay may take.
const TIMEOUT: Duration = Duration::from_secs(30);
/// The longest reply line read from a relay.
const MAX_REPLY_LINE: u64 = 4096;

/// Hand one email to the relay; the reason it was not taken, in the relay's words.
pub async fn send(config: &SmtpConfig, mail: &Outgoing) -> Result<(), String> {
    match tokio::time::timeout(TIMEOUT * 4, exchange(config, mail)).await {
        Ok(result) => result,
        Err(_) => Err(format!("the mail relay {}:{} did not answer in time", config.host, config.port)),
    }
}

async fn exchange(config: &SmtpConfig, mail: &Outgoing) -> Result<(), String> {
    let address = format!("{}:{}", config.host, config.port);
    let stream = tokio::time::timeout(TIMEOUT, TcpStream::connect(&address))
        .await
        .map_err(|_| format!("the mail relay {address} did not answer"))?
        .map_err(|e| format!("the mail relay {address} cannot be reached: {e}"))?;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    expect(&mut read, 220, "greeting").await?;
    command(&mut write, &mut read, "EHLO field-crm", 250).await?;
    if let Some(user) = &config.username {
        let token = STANDARD.encode(format!("\0{user}\0{}", config.password.as_deref().unwrap_or_default()));
        command(&mut write, &mut read, &format!("AUTH PLAIN {token}"), 235).await?;
    }
    command(&mut write, &mut read, &format!("MAIL FROM:<{}>", config.from), 250).await?;
    command(&mut write, &mut read, &format!("RCPT TO:<{}>", mail.to), 250).await?;
    command(&mut write, &mut read, "DATA", 354).await?;
    let message = message(config, mail);
    write.write_all(message.as_bytes()).await.map_err(|e| e.to_string())?;
    write.write_all(b"\r\n.\r\n").await.map_err(|e| e.to_string())?;
    expect(&mut read, 250, "message").await?;
    let _ = write.write_all(b"QUIT\r\n").await;
    Ok(())
}

/// Send one command and expect `code` back.
async fn command(
    write: &mut (impl AsyncWriteExt + Unpin),
    read: &mut (impl AsyncBufReadExt + Unpin),
    line: &str,
    code: u16,
) -> Result<(), String> {
    write.write_all(format!("{line}\r\n").as_bytes()).await.map_err(|e| format!("the relay hung up: {e}"))?;
    let verb = line.split_whitespace().next().unwrap_or(line);
    expect(read, code, verb).await
}

/// Read a reply (every line of a multi-line one) and check its code.
async fn expect(read: &mut (impl AsyncBufReadExt + Unpin), code: u16, step: &str) -> Result<(), String> {
    let last = loop {
        let mut line = String::new();
        // A reply line is short (RFC 5321: 512 bytes); a relay sending more is cut off here.
        let n = tokio::time::timeout(TIMEOUT, (&mut *read).take(MAX_REPLY_LINE).read_line(&mut line))
            .await
            .map_err(|_| format!("the relay did not answer {step}"))?
            .map_err(|e| format!("the relay hung up at {step}: {e}"))?;
        if n == 0 {
            return Err(format!("the relay hung up at {step}"));
        }
        let line = line.trim_end().to_string();
        if line.as_bytes().get(3) != Some(&b'-') {
            break line;
        }
    };
    match last.get(..3).and_then(|c| c.parse::<u16>().ok()) {
        Some(got) if got == code => Ok(()),
        _ => Err(format!("the relay refused {step}: {last}")),
    }
}

/// The message: headers (the subject in RFC 2047 words), a UTF-8 plain-text body in base64,
/// lines of at most 76 characters.
fn message(config: &SmtpConfig, mail: &Outgoing) -> String {
    let wrap = |text: &str| {
        let encoded = STANDARD.encode(text.as_bytes());
        encoded.as_bytes().chunks(76).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("\r\n")
    };
    let date = chrono::Utc::now().to_rfc2822();
    format!(
        "From: <{from}>\r\nTo: <{to}>\r\nSubject: =?UTF-8?B?{subject}?=\r\nDate: {date}\r\nMessage-ID: <{id}@field-crm>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{body}",
        from = config.from,
        to = mail.to,
        subject = STANDARD.encode(mail.subject.as_bytes()),
        id = mail.id,
        body = wrap(&mail.body),
    )
}
