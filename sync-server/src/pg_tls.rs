//! TLS to PostgreSQL: the server's connections to a database on another host are encrypted
//! and the database's certificate verified, as the devices' connections to the server are
//! (`crm_core::sync::tls`: rustls, the system's roots plus an optional CA of the company's).
//!
//! The connection URL says how, in libpq's words:
//! - `sslmode=require` (or `verify-ca`, `verify-full`): TLS, the certificate verified against
//!   the system's roots and `sslrootcert=FILE` (a PEM CA) when given, for the host named in the
//!   URL. Unlike libpq's `require`, the certificate is always verified: an unverified
//!   certificate protects the password from nobody in the middle.
//! - `sslmode=disable`: plain, the admin's explicit choice (a private network).
//! - no `sslmode` (or `prefer`, `allow`): plain to this machine (a loopback address,
//!   `localhost` or a Unix socket), where nothing crosses a network; to any other host the URL
//!   is refused before anything is sent, saying what to write.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect};
use tokio_postgres::Socket;

/// A connection URL's settings for tokio-postgres, and the TLS it is to use.
pub(crate) fn target(url: &str) -> Result<(tokio_postgres::Config, MakeRustls), String> {
    // The query begins after the user and password (a password may hold a `?`), which end at
    // the first `@`, as tokio-postgres reads them (an `@` in a password is written `%40`), so
    // a query value after them may hold an `@` too.
    let after_user = url.find('@').map_or(0, |at| at + 1);
    let (base, query) = match url[after_user..].find('?') {
        Some(q) => (&url[..after_user + q], &url[after_user + q + 1..]),
        None => (url, ""),
    };
    let mut mode = None;
    let mut root_cert = None;
    let mut rest = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "sslmode" => mode = Some(value.to_string()),
            "sslrootcert" => root_cert = Some(percent_decoded(value)?),
            _ => rest.push(pair),
        }
    }
    let plain_url = if rest.is_empty() { base.to_string() } else { format!("{base}?{}", rest.join("&")) };
    let mut config: tokio_postgres::Config =
        plain_url.parse().map_err(|e| format!("the database URL is not one PostgreSQL takes: {e}"))?;
    let encrypted = match mode.as_deref() {
        Some("require" | "verify-ca" | "verify-full") => true,
        Some("disable") => false,
        // PostgreSQL speaks no TLS over a Unix socket: nothing there crosses a network.
        Some(_) if only_sockets(&config) => false,
        None | Some("prefer" | "allow") => {
            // An address given (`hostaddr`) is where it connects; a host is then only a name.
            let far =
                config.get_hostaddrs().iter().find(|ip| !ip.is_loopback()).map(|ip| ip.to_string()).or_else(|| {
                    config.get_hosts().iter().find(|h| !on_this_machine(h)).map(|far| match far {
                        Host::Tcp(name) => name.clone(),
                        #[cfg(unix)]
                        Host::Unix(path) => path.display().to_string(),
                    })
                });
            if let Some(host) = far {
                return Err(format!(
                    "the database at {host} is not on this machine, and its connection would carry \
                     the password and every record in clear text: add ?sslmode=require to the URL \
                     (with &sslrootcert=FILE when the database's certificate is from a CA of your own), \
                     or ?sslmode=disable if the network between them is private"
                ));
            }
            false
        }
        Some(other) => {
            return Err(format!(
                "sslmode={other} is not one this server knows: require, verify-ca, verify-full or disable"
            ))
        }
    };
    if !encrypted {
        config.ssl_mode(SslMode::Disable);
        return Ok((config, MakeRustls(None)));
    }
    let pem = match &root_cert {
        Some(path) => {
            Some(std::fs::read_to_string(path).map_err(|e| format!("sslrootcert={path}: cannot read it: {e}"))?)
        }
        None => None,
    };
    let tls = crm_core::sync::tls::client_tls(pem.as_deref())
        .map_err(|e| format!("sslrootcert={}: {e}", root_cert.as_deref().unwrap_or("")))?;
    config.ssl_mode(SslMode::Require);
    Ok((config, MakeRustls(Some(tls.rustls))))
}

/// Whether every connection of `config` is to a Unix socket.
fn only_sockets(config: &tokio_postgres::Config) -> bool {
    #[cfg(unix)]
    let socket = |h: &Host| matches!(h, Host::Unix(_));
    #[cfg(not(unix))]
    let socket = |_: &Host| false;
    config.get_hostaddrs().is_empty() && !config.get_hosts().is_empty() && config.get_hosts().iter().all(socket)
}

/// Whether a host of the URL is this machine (see `crm_core::sync::tls::is_this_machine`).
fn on_this_machine(host: &Host) -> bool {
    match host {
        Host::Tcp(name) => crm_core::sync::tls::is_this_machine(name.trim_start_matches('[').trim_end_matches(']')),
        #[cfg(unix)]
        Host::Unix(_) => true,
    }
}

/// `%XX` in a URL's value as the bytes they stand for (a path with spaces, say).
fn percent_decoded(value: &str) -> Result<String, String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' {
            let hex = value.get(at + 1..at + 3).and_then(|h| u8::from_str_radix(h, 16).ok());
            out.push(hex.ok_or_else(|| format!("{value}: a % not followed by two hex digits"))?);
            at += 3;
        } else {
            out.push(bytes[at]);
            at += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("{value}: not UTF-8 once decoded"))
}

/// tokio-postgres's TLS for one URL: `None` when it is plain (tokio-postgres then never asks).
#[derive(Clone)]
pub(crate) struct MakeRustls(Option<Arc<rustls::ClientConfig>>);

impl MakeTlsConnect<Socket> for MakeRustls {
    type Stream = RustlsStream;
    type TlsConnect = RustlsConnect;
    type Error = io::Error;

    /// Asked for every connection, plain ones too (then never used).
    fn make_tls_connect(&mut self, domain: &str) -> io::Result<RustlsConnect> {
        let Some(config) = self.0.clone() else { return Ok(RustlsConnect(None)) };
        let name = rustls::pki_types::ServerName::try_from(domain.to_string())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{domain}: {e}")))?;
        Ok(RustlsConnect(Some((config, name))))
    }
}

/// The handshake with one host (`None` on a plain connection).
pub(crate) struct RustlsConnect(Option<(Arc<rustls::ClientConfig>, rustls::pki_types::ServerName<'static>)>);

impl TlsConnect<Socket> for RustlsConnect {
    type Stream = RustlsStream;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<RustlsStream>> + Send>>;

    fn connect(self, socket: Socket) -> Self::Future {
        Box::pin(async move {
            let (config, name) = self.0.ok_or_else(|| io::Error::other("TLS was not asked for"))?;
            let stream = tokio_rustls::TlsConnector::from(config).connect(name, socket).await?;
            Ok(RustlsStream(Box::new(stream)))
        })
    }
}

/// An encrypted connection to PostgreSQL.
pub struct RustlsStream(Box<tokio_rustls::client::TlsStream<Socket>>);

impl tokio_postgres::tls::TlsStream for RustlsStream {
    /// None: SCRAM authenticates without binding to the channel (what `channel_binding=prefer`,
    /// the default, falls back to); the certificate check is what binds the server here.
    fn channel_binding(&self) -> ChannelBinding {
        ChannelBinding::none()
    }
}

impl AsyncRead for RustlsStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for RustlsStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::target;

    #[test]
    fn a_database_elsewhere_needs_tls_or_an_explicit_disable() {
        for ok in [
            "postgres://crm@127.0.0.1:5432/crm",
            "postgres://crm@localhost/crm",
            "postgres://crm@[::1]/crm",
            "postgres://crm@db.internal/crm?sslmode=disable",
            "postgres://crm@db.internal/crm?sslmode=require",
            "postgres://crm@db.internal/crm?connect_timeout=5&sslmode=verify-full",
            "postgres://crm@db.internal/crm?application_name=crm@east&sslmode=require",
        ] {
            assert!(target(ok).is_ok(), "{ok}: {:?}", target(ok).err());
        }
        for far in [
            "postgres://crm@localhost/crm?hostaddr=10.0.0.5",
            "postgres://crm@/crm?hostaddr=10.0.0.5",
            "postgres://crm@127.0.0.1,db.internal/crm",
            "postgres://crm:a?sslmode=disable@db.internal/crm",
        ] {
            assert!(target(far).is_err(), "{far} would be plain over a network");
        }
        let socket = target("postgres://crm@%2Fvar%2Frun%2Fpostgresql/crm?sslmode=require");
        assert!(socket.is_ok(), "a Unix socket needs no TLS: {:?}", socket.err());
        assert!(target("postgres://crm:a?b@db.internal/crm?sslmode=require").is_ok(), "a ? in the password");
        let far = target("postgres://crm:secret@db.internal/crm").err().unwrap_or_default();
        assert!(far.contains("db.internal") && far.contains("sslmode=require"), "{far}");
        assert!(!far.contains("secret"), "the password is not repeated: {far}");
        let prefer = target("postgres://crm@10.0.0.5/crm?sslmode=prefer").err().unwrap_or_default();
        assert!(prefer.contains("clear text"), "{prefer}");
        let bad = target("postgres://crm@db.internal/crm?sslmode=sometimes").err().unwrap_or_default();
        assert!(bad.contains("sslmode=sometimes"), "{bad}");
        let missing = target("postgres://crm@db.internal/crm?sslmode=require&sslrootcert=/no/such%20file.pem")
            .err()
            .unwrap_or_default();
        assert!(missing.contains("/no/such file.pem"), "{missing}");
    }
}
