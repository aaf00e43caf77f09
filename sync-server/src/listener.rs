//! Accepting connections without letting idle or slow ones pile up: a connection that sends
//! nothing for [`Limits::idle`] is closed (a healthy device pings every 20 s, a request is sent
//! at once), so is one whose first request's headers have not all arrived within
//! [`Limits::headers`] (a byte every few seconds keeps no connection open), and no more than
//! [`MAX_CONNECTIONS`] are open at a time, [`Limits::per_address`] from one address; further
//! ones are closed on accept.
//!
//! With TLS ([`GuardedListener::with_tls`]) each connection's handshake runs in a task of its
//! own, bounded by [`Limits::headers`], so a client that stalls in the handshake holds up no
//! other; the limits above then apply to the decrypted connection.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// Open connections at most.
pub const MAX_CONNECTIONS: usize = 20_000;

/// What a connection may take before it is closed.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Silence after which a connection is closed.
    pub idle: Duration,
    /// Time from accept until the first request's headers have all arrived.
    pub headers: Duration,
    /// Open connections from one IP address (an office behind one NAT shares an address;
    /// behind a reverse proxy every connection comes from the proxy: raise it there).
    pub per_address: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { idle: Duration::from_secs(60), headers: Duration::from_secs(10), per_address: 1_000 }
    }
}

pub struct GuardedListener {
    inner: TcpListener,
    open: Arc<Semaphore>,
    by_address: Arc<Mutex<HashMap<IpAddr, usize>>>,
    limits: Limits,
    /// With TLS: the acceptor, and the connections whose handshake has completed.
    tls: Option<(TlsAcceptor, mpsc::Sender<Ready>, mpsc::Receiver<Ready>)>,
}

/// A connection whose TLS handshake is done, and where it came from.
type Ready = (Guarded, SocketAddr);

impl GuardedListener {
    pub fn new(inner: TcpListener, limits: Limits) -> Self {
        GuardedListener {
            inner,
            open: Arc::new(Semaphore::new(MAX_CONNECTIONS)),
            by_address: Arc::default(),
            limits,
            tls: None,
        }
    }

    /// Accept TLS connections only (https, wss), with `config`'s certificate.
    pub fn with_tls(inner: TcpListener, limits: Limits, config: Arc<rustls::ServerConfig>) -> Self {
        let (ready, handshaken) = mpsc::channel(64);
        GuardedListener {
            tls: Some((TlsAcceptor::from(config), ready, handshaken)),
            ..GuardedListener::new(inner, limits)
        }
    }

    /// A slot for one more connection from `ip`, or `None` when that address has its share.
    /// An IPv6 host usually has a whole /64 to pick addresses from, so that is what counts.
    fn admit(&self, ip: IpAddr) -> Option<AddressSlot> {
        let ip = match ip {
            IpAddr::V6(v6) => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
            v4 => v4,
        };
        let mut counts = self.by_address.lock().unwrap_or_else(|e| e.into_inner());
        let count = counts.entry(ip).or_insert(0);
        if *count >= self.limits.per_address {
            return None;
        }
        *count += 1;
        Some(AddressSlot { ip, counts: Arc::clone(&self.by_address) })
    }
}

/// One open connection counted against its address; uncounted when dropped.
struct AddressSlot {
    ip: IpAddr,
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = counts.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

impl Listener for GuardedListener {
    type Io = Guarded;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let accepted = match &mut self.tls {
                // A connection whose handshake completed, or a new one to shake hands with.
                Some((_, _, handshaken)) => tokio::select! {
                    Some(ready) = handshaken.recv() => return ready,
                    accepted = self.inner.accept() => accepted,
                },
                None => self.inner.accept().await,
            };
            let (stream, addr) = match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: wait a little, as axum does.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            // Full, or its address has its share: this one is closed at once (dropped), the
            // ones already open go on.
            let Ok(permit) = Arc::clone(&self.open).try_acquire_owned() else { continue };
            let Some(slot) = self.admit(addr.ip()) else { continue };
            let _ = stream.set_nodelay(true);
            let limits = self.limits;
            match &self.tls {
                None => return (Guarded::new(Io::Plain(stream), (permit, slot), limits), addr),
                Some((acceptor, ready, _)) => {
                    let (acceptor, ready) = (acceptor.clone(), ready.clone());
                    // A failed or stalled handshake just closes that connection.
                    tokio::spawn(async move {
                        if let Ok(Ok(tls)) = tokio::time::timeout(limits.headers, acceptor.accept(stream)).await {
                            let _ =
                                ready.send((Guarded::new(Io::Tls(Box::new(tls)), (permit, slot), limits), addr)).await;
                        }
                    });
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// The address a request came from (for sign-in throttling).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

impl Connected<IncomingStream<'_, GuardedListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, GuardedListener>) -> Self {
        Peer(*stream.remote_addr())
    }
}

/// A connection that fails its next read once nothing has arrived for the idle time, or
/// while its first request's headers are still arriving after the header time.
pub struct Guarded {
    inner: Io,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
    /// Until the end of the first request's headers has been read: when they must be in, and
    /// what of the blank line that ends them was seen last.
    headers: Option<(Instant, LineEnd)>,
    _slots: (OwnedSemaphorePermit, AddressSlot),
}

/// Progress towards the blank line that ends HTTP headers: `\r\n\r\n`, or a bare `\n\n`
/// (which parsers accept too). HTTP/2's preface contains one as well.
#[derive(Debug, Clone, Copy)]
enum LineEnd {
    /// Inside a line.
    Text,
    /// Just after a line's `\n`.
    LineEnded,
    /// Just after `\n\r`.
    BlankStarted,
}

impl LineEnd {
    /// After `byte`; `None` once the headers have ended.
    fn next(self, byte: u8) -> Option<LineEnd> {
        match (self, byte) {
            (LineEnd::LineEnded | LineEnd::BlankStarted, b'\n') => None,
            (_, b'\n') => Some(LineEnd::LineEnded),
            (LineEnd::LineEnded, b'\r') => Some(LineEnd::BlankStarted),
            _ => Some(LineEnd::Text),
        }
    }
}

impl Guarded {
    fn new(inner: Io, slots: (OwnedSemaphorePermit, AddressSlot), limits: Limits) -> Self {
        let headers_due = Instant::now() + limits.headers;
        Guarded {
            inner,
            idle: limits.idle,
            deadline: Box::pin(tokio::time::sleep_until(headers_due.min(Instant::now() + limits.idle))),
            headers: Some((headers_due, LineEnd::Text)),
            _slots: slots,
        }
    }

    /// Follow the first request's headers through `read`; true once they have ended.
    fn headers_ended(&mut self, read: &[u8]) -> bool {
        let Some((_, seen)) = self.headers.as_mut() else { return true };
        for &byte in read {
            match seen.next(byte) {
                Some(next) => *seen = next,
                None => {
                    self.headers = None;
                    return true;
                }
            }
        }
        false
    }
}

impl AsyncRead for Guarded {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(result) => {
                if buf.filled().len() > before {
                    let mut next = Instant::now() + self.idle;
                    if !self.headers_ended(&buf.filled()[before..]) {
                        if let Some((due, _)) = self.headers {
                            next = next.min(due);
                        }
                    }
                    self.deadline.as_mut().reset(next);
                }
                Poll::Ready(result)
            }
            Poll::Pending => match self.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    let why = if self.headers.is_some() {
                        "the request headers were too slow"
                    } else {
                        "the connection was idle"
                    };
                    Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, why)))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl AsyncWrite for Guarded {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A connection as accepted: plain, or TLS once its handshake is done.
pub enum Io {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Io {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Io {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_flush(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// The server's TLS configuration from a certificate chain and its private key, both PEM
/// files (what Let's Encrypt and most CAs hand out): HTTP/1.1 over TLS 1.2 or 1.3.
pub fn tls_config(cert: &std::path::Path, key: &std::path::Path) -> Result<Arc<rustls::ServerConfig>, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("cannot read the certificate {}: {e}", cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("the certificate {} is not PEM: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{} holds no certificate (expected -----BEGIN CERTIFICATE-----)", cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("cannot read the private key {} (PEM, PKCS#8, PKCS#1 or SEC1): {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("the certificate and the key do not go together: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::LineEnd;

    /// Where the headers in `request` end (the index of the byte after them), if they do.
    fn end(request: &[u8]) -> Option<usize> {
        let mut seen = LineEnd::Text;
        for (i, &byte) in request.iter().enumerate() {
            seen = match seen.next(byte) {
                Some(next) => next,
                None => return Some(i + 1),
            };
        }
        None
    }

    #[test]
    fn headers_end_at_the_first_blank_line_with_or_without_carriage_returns() {
        assert_eq!(end(b"GET / HTTP/1.1\r\nhost: x\r\n\r\nbody"), Some(27));
        assert_eq!(end(b"GET / HTTP/1.1\nhost: x\n\nbody"), Some(24));
        assert_eq!(end(b"GET / HTTP/1.1\r\nhost: x\r\n"), None);
        assert_eq!(end(b"GET / HTTP/1.1\r\nx: a\rb\r\n"), None, "a stray carriage return ends nothing");
        assert_eq!(end(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), Some(18), "HTTP/2's preface");
    }
}
