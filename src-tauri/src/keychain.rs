//! The operating system's keychain for store keys (`crm_core::at_rest::Keychain`): macOS
//! Keychain, Windows Credential Manager, or the Secret Service (GNOME Keyring, KWallet) on a
//! Linux desktop, through the `keyring` crate. Where none answers (a Linux machine without a
//! Secret Service running), the app has no keychain and stores are encrypted under the
//! person's password instead.

use crm_core::at_rest::Keychain;
use crm_core::error::{Error, Result};

/// The keychain's service name the keys are kept under; the account is the store's path.
const SERVICE: &str = "Field CRM store key";

pub struct OsKeychain;

impl OsKeychain {
    /// The keychain, if this machine has one that answers.
    pub fn available() -> Option<OsKeychain> {
        let probe = keyring::Entry::new(SERVICE, "field-crm: is there a keychain?").ok()?;
        match probe.get_password() {
            Ok(_) | Err(keyring::Error::NoEntry) => Some(OsKeychain),
            Err(e) => {
                eprintln!("field-crm: no keychain ({e}); stores are encrypted under the password instead");
                None
            }
        }
    }
}

fn failed(e: keyring::Error) -> Error {
    Error::Io(std::io::Error::other(format!("the keychain: {e}")))
}

impl Keychain for OsKeychain {
    fn get(&self, account: &str) -> Result<Option<String>> {
        match keyring::Entry::new(SERVICE, account).map_err(failed)?.get_password() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(failed(e)),
        }
    }

    fn set(&self, account: &str, secret: &str) -> Result<()> {
        keyring::Entry::new(SERVICE, account).map_err(failed)?.set_password(secret).map_err(failed)
    }

    fn delete(&self, account: &str) -> Result<()> {
        match keyring::Entry::new(SERVICE, account).map_err(failed)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(failed(e)),
        }
    }
}
