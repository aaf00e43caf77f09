//! Signing in under attack: passwords are checked off the database lock, at most one hash
//! per core at a time, unknown usernames cost the same as wrong passwords, and repeated
//! attempts per account and per address are refused before any hashing.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::auth;

/// Attempts allowed in one window, per (account, address), per account and per address.
const PER_ACCOUNT_AND_ADDRESS: u32 = 10;
const PER_ACCOUNT: u32 = 50;
const PER_ADDRESS: u32 = 60;
const WINDOW: Duration = Duration::from_secs(10 * 60);
/// Counters kept before expired ones are swept.
const MAX_COUNTERS: usize = 100_000;

pub struct LoginGuard {
    hashing: Semaphore,
    /// A hash of a random password: unknown usernames are checked against it, so they take
    /// as long as a wrong password and usernames cannot be told apart by timing.
    decoy: String,
    attempts: Mutex<HashMap<String, (u32, Instant)>>,
}

/// Too many attempts: try again after this long.
#[derive(Debug)]
pub struct Throttled(pub Duration);

impl LoginGuard {
    pub fn new() -> LoginGuard {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let decoy = auth::hash_password(&auth::new_token()).unwrap_or_default();
        LoginGuard { hashing: Semaphore::new(cores), decoy, attempts: Mutex::new(HashMap::new()) }
    }

    /// Count an attempt for `username` from `addr`, or refuse it when a limit is reached.
    /// Attempts are counted when they start, so a burst is cut off before it is hashed.
    pub fn begin(&self, username: &str, addr: IpAddr) -> Result<(), Throttled> {
        let mut attempts = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if attempts.len() > MAX_COUNTERS {
            attempts.retain(|_, (_, since)| now.duration_since(*since) < WINDOW);
        }
        let keys = [
            (format!("u\u{0}{username}\u{0}{addr}"), PER_ACCOUNT_AND_ADDRESS),
            (format!("u\u{0}{username}"), PER_ACCOUNT),
            (format!("a\u{0}{addr}"), PER_ADDRESS),
        ];
        for (key, limit) in &keys {
            if let Some((count, since)) = attempts.get(key) {
                let age = now.duration_since(*since);
                if age < WINDOW && *count >= *limit {
                    return Err(Throttled(WINDOW - age));
                }
            }
        }
        for (key, _) in keys {
            let entry = attempts.entry(key).or_insert((0, now));
            if now.duration_since(entry.1) >= WINDOW {
                *entry = (0, now);
            }
            entry.0 += 1;
        }
        Ok(())
    }

    /// A successful sign-in clears that person's own counter from that address.
    pub fn succeeded(&self, username: &str, addr: IpAddr) {
        let mut attempts = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        attempts.remove(&format!("u\u{0}{username}\u{0}{addr}"));
    }

    /// Check `password` against `hash` (the decoy when the account does not exist), one
    /// hash per core at a time, on a blocking thread.
    pub async fn verify(&self, password: String, hash: Option<String>) -> bool {
        let Ok(_permit) = self.hashing.acquire().await else { return false };
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.decoy.clone());
        let ok = tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash)).await.unwrap_or(false);
        ok && known
    }
}

impl Default for LoginGuard {
    fn default() -> Self {
        LoginGuard::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_from_one_address_is_cut_off_and_others_still_get_in() {
        let guard = LoginGuard::new();
        let attacker: IpAddr = "10.0.0.9".parse().expect("ip");
        let office: IpAddr = "10.0.0.1".parse().expect("ip");
        let allowed = (0..100).filter(|_| guard.begin("ann", attacker).is_ok()).count();
        assert_eq!(allowed, PER_ACCOUNT_AND_ADDRESS as usize);
        assert!(guard.begin("ann", office).is_ok(), "ann herself, from the office, is not locked out");
        let spread = (0..100).filter(|i| guard.begin(&format!("user{i}"), attacker).is_ok()).count();
        assert!(spread < PER_ADDRESS as usize, "one address cannot try every account");
    }
}
