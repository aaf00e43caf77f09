//! TLS for the device's connections to the server (https for sign-in, files and
//! administration; wss for sync). The server's certificate is verified against the operating
//! system's trusted roots and, when the admin hands one out, a pinned CA of the company's own
//! (`crm login --ca FILE`, kept in the store as `sync_ca`).
//!
//! A token never crosses the network in clear text: a server address starting `http://` is
//! refused unless it is this machine (a loopback address or `localhost`), or the environment
//! says `CRM_INSECURE_HTTP=1` for a test setup.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

use super::client::SyncError;

/// Whether `base` (`https://host:port`, `http://127.0.0.1:7878`) may carry a token: https,
/// or plain http to this machine (or anywhere, with `CRM_INSECURE_HTTP=1`).
pub fn check_url(base: &str) -> Result<(), SyncError> {
    let lower = base.trim().to_ascii_lowercase();
    if lower.starts_with("https://") {
        return Ok(());
    }
    let Some(rest) = lower.strip_prefix("http://") else {
        return Err(SyncError::Insecure(format!("{base} is not a server address: write https://HOST[:PORT]")));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    if is_this_machine(host) || std::env::var("CRM_INSECURE_HTTP").is_ok_and(|v| v == "1") {
        return Ok(());
    }
    Err(SyncError::Insecure(format!(
        "{base} would send your password and token in clear text: use https:// (the server's admin \
         serves it with --tls-cert); plain http is only for a server on this machine"
    )))
}

/// Whether `host` (a name or an address, without brackets) is this machine: `localhost` or a
/// loopback address. Traffic to it never crosses a network.
pub fn is_this_machine(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The certificates of a pinned CA, from PEM text; an error says what is wrong with it.
pub fn parse_ca(pem: &str) -> Result<Vec<CertificateDer<'static>>, SyncError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| SyncError::Insecure(format!("the CA file is not a PEM certificate: {e}")))?;
    if certs.is_empty() {
        return Err(SyncError::Insecure(
            "the CA file holds no certificate (expected -----BEGIN CERTIFICATE-----)".into(),
        ));
    }
    Ok(certs)
}

/// The operating system's trusted roots, read once.
fn system_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| rustls_native_certs::load_native_certs().certs)
}

/// What the server's certificate is checked against: the system's roots and the pinned CA.
fn roots(pinned: Option<&str>) -> Result<Vec<CertificateDer<'static>>, SyncError> {
    let mut all = system_roots().to_vec();
    if let Some(pem) = pinned {
        all.extend(parse_ca(pem)?);
    }
    Ok(all)
}

/// The client side of TLS for one pinned CA (or none): for sync (wss, rustls) and for the
/// plain endpoints (https, ureq); the server's mail client uses it for its relay too.
#[derive(Clone)]
pub struct ClientTls {
    pub rustls: Arc<rustls::ClientConfig>,
    pub ureq: ureq::tls::TlsConfig,
}

/// [`ClientTls`] for `pinned`, made once per CA.
pub fn client_tls(pinned: Option<&str>) -> Result<ClientTls, SyncError> {
    static MADE: OnceLock<Mutex<HashMap<Option<String>, ClientTls>>> = OnceLock::new();
    let made = MADE.get_or_init(Mutex::default);
    let key = pinned.map(str::to_string);
    if let Some(tls) = made.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Ok(tls.clone());
    }
    let roots = roots(pinned)?;
    let mut store = rustls::RootCertStore::empty();
    // A system root rustls cannot use is skipped, as browsers do.
    let (_, _) = store.add_parsable_certificates(roots.iter().cloned());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SyncError::Protocol(e.to_string()))?
        .with_root_certificates(store)
        .with_no_client_auth();
    let certs: Vec<ureq::tls::Certificate<'static>> =
        roots.iter().map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned()).collect();
    let tls = ClientTls {
        rustls: Arc::new(config),
        ureq: ureq::tls::TlsConfig::builder().root_certs(ureq::tls::RootCerts::Specific(Arc::new(certs))).build(),
    };
    made.lock().unwrap_or_else(|e| e.into_inner()).insert(key, tls.clone());
    Ok(tls)
}

#[cfg(test)]
mod tests {
    use super::check_url;

    #[test]
    fn plain_http_is_for_this_machine_only() {
        for ok in ["https://crm.example.cn", "http://127.0.0.1:7878", "http://localhost:7878/", "http://[::1]:7878"] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        if std::env::var("CRM_INSECURE_HTTP").is_err() {
            for bad in ["http://192.168.1.10:7878", "http://crm.example.cn", "http://127.0.0.1.evil.cn", "ftp://x"] {
                assert!(check_url(bad).is_err(), "{bad}");
            }
        }
    }
}
