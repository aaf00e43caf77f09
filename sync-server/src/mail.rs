//! Email from the app, sent by the server through the SMTP relay the admin configured: the
//! `email` channel of the outbox (`crate::outbox`, which takes queued emails and records what
//! became of them).
//!
//! The SMTP client is small on purpose: `EHLO`, `STARTTLS` (see [`Security`]), `AUTH PLAIN`
//! when a username is set, one recipient, a UTF-8 plain-text body in base64. The relay's
//! certificate is checked against the system's roots and, for a company relay with its own CA,
//! the CA the admin gave (`smtp --ca FILE`).

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::outbox::Outgoing;

/// The relay: where, as whom, from which address, how securely.
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
    #[serde(default)]
    pub security: Security,
    /// A CA of the company's own the relay's certificate is issued by (PEM).
    #[serde(default)]
    pub ca: Option<String>,
}

/// How the relay is spoken to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Security {
    /// STARTTLS whenever the relay offers it; a relay that does not gets no password unless it
    /// is on this machine.
    #[default]
    Auto,
    /// STARTTLS, or the email fails.
    Starttls,
    /// TLS from the first byte (usually port 465).
    Tls,
    /// Never TLS: a relay on the server's own network that has none.
    None,
}

impl Security {
    pub fn parse(text: &str) -> Option<Security> {
        Some(match text {
            "auto" => Security::Auto,
            "starttls" => Security::Starttls,
            "tls" => Security::Tls,
            "none" => Security::None,
            _ => return None,
        })
    }
}

/// How long one exchange with the relay may take.
const TIMEOUT: Duration = Duration::from_secs(30);
/// The longest reply line read from a relay.
const MAX_REPLY_LINE: u64 = 4096;
/// The most lines of one reply (an EHLO lists a dozen extensions).
const MAX_REPLY_LINES: usize = 100;

/// Hand one email to the relay; the reason it was not taken, in the relay's words.
pub async fn send(config: &SmtpConfig, mail: &Outgoing) -> Result<(), String> {
    match tokio::time::timeout(TIMEOUT * 4, exchange(config, mail)).await {
        Ok(result) => result,
        Err(_) => Err(format!("the mail relay {}:{} did not answer in time", config.host, config.port)),
    }
}

async fn exchange(config: &SmtpConfig, mail: &Outgoing) -> Result<(), String> {
    let address = format!("{}:{}", config.host, config.port);
    let tcp = tokio::time::timeout(TIMEOUT, TcpStream::connect(&address))
        .await
        .map_err(|_| format!("the mail relay {address} did not answer"))?
        .map_err(|e| format!("the mail relay {address} cannot be reached: {e}"))?;
    if config.security == Security::Tls {
        let mut secure = BufReader::new(upgrade(tcp, config).await?);
        expect(&mut secure, 220, "greeting").await?;
        command(&mut secure, "EHLO field-crm", 250).await?;
        return deliver(&mut secure, config, mail).await;
    }
    let mut plain = BufReader::new(tcp);
    expect(&mut plain, 220, "greeting").await?;
    let offers = command(&mut plain, "EHLO field-crm", 250).await?;
    let starttls = offers.iter().any(|l| l.get(4..).is_some_and(|c| c.trim().eq_ignore_ascii_case("STARTTLS")));
    if starttls && config.security != Security::None {
        command(&mut plain, "STARTTLS", 220).await?;
        // Nothing more was sent after the 220: the buffer is empty, the stream is the relay's.
        let mut secure = BufReader::new(upgrade(plain.into_inner(), config).await?);
        command(&mut secure, "EHLO field-crm", 250).await?;
        return deliver(&mut secure, config, mail).await;
    }
    if config.security == Security::Starttls {
        return Err(format!("the mail relay {address} does not offer STARTTLS, and the relay is set to require it"));
    }
    if config.username.is_some()
        && config.security == Security::Auto
        && !crm_core::sync::tls::is_this_machine(&config.host)
    {
        return Err(format!(
            "the mail relay {address} does not offer STARTTLS: its password is not sent in clear text \
             (if that relay is on a network you trust, set it with `smtp --security none`)"
        ));
    }
    deliver(&mut plain, config, mail).await
}

/// TLS with the relay, its certificate checked for its host name.
async fn upgrade(tcp: TcpStream, config: &SmtpConfig) -> Result<tokio_rustls::client::TlsStream<TcpStream>, String> {
    let tls = crm_core::sync::tls::client_tls(config.ca.as_deref()).map_err(|e| e.to_string())?;
    let name = rustls::pki_types::ServerName::try_from(config.host.clone())
        .map_err(|e| format!("{} is not a host name TLS can check: {e}", config.host))?;
    tokio::time::timeout(TIMEOUT, tokio_rustls::TlsConnector::from(tls.rustls).connect(name, tcp))
        .await
        .map_err(|_| format!("the mail relay {} did not finish TLS", config.host))?
        .map_err(|e| format!("TLS with the mail relay {} failed: {e}", config.host))
}

/// Sign in if asked, and hand the message over.
async fn deliver<S: AsyncRead + AsyncWrite + Unpin>(
    relay: &mut BufReader<S>,
    config: &SmtpConfig,
    mail: &Outgoing,
) -> Result<(), String> {
    if let Some(user) = &config.username {
        let token = STANDARD.encode(format!("\0{user}\0{}", config.password.as_deref().unwrap_or_default()));
        command(relay, &format!("AUTH PLAIN {token}"), 235).await?;
    }
    command(relay, &format!("MAIL FROM:<{}>", config.from), 250).await?;
    command(relay, &format!("RCPT TO:<{}>", mail.to), 250).await?;
    command(relay, "DATA", 354).await?;
    let message = message(config, mail);
    relay.write_all(message.as_bytes()).await.map_err(|e| e.to_string())?;
    relay.write_all(b"\r\n.\r\n").await.map_err(|e| e.to_string())?;
    relay.flush().await.map_err(|e| e.to_string())?;
    expect(relay, 250, "message").await?;
    let _ = relay.write_all(b"QUIT\r\n").await;
    let _ = relay.flush().await;
    Ok(())
}

/// Send one command and expect `code` back; the reply's lines.
async fn command<S: AsyncRead + AsyncWrite + Unpin>(
    relay: &mut BufReader<S>,
    line: &str,
    code: u16,
) -> Result<Vec<String>, String> {
    relay.write_all(format!("{line}\r\n").as_bytes()).await.map_err(|e| format!("the relay hung up: {e}"))?;
    relay.flush().await.map_err(|e| format!("the relay hung up: {e}"))?;
    let verb = line.split_whitespace().next().unwrap_or(line);
    expect(relay, code, verb).await
}

/// Read a reply (every line of a multi-line one) and check its code; its lines.
async fn expect(read: &mut (impl AsyncBufReadExt + Unpin), code: u16, step: &str) -> Result<Vec<String>, String> {
    let mut lines = Vec::new();
    loop {
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
        let last = line.as_bytes().get(3) != Some(&b'-');
        lines.push(line);
        if last {
            break;
        }
        if lines.len() >= MAX_REPLY_LINES {
            return Err(format!("the relay's reply to {step} goes on past {MAX_REPLY_LINES} lines"));
        }
    }
    let last = lines.last().cloned().unwrap_or_default();
    match last.get(..3).and_then(|c| c.parse::<u16>().ok()) {
        Some(got) if got == code => Ok(lines),
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
