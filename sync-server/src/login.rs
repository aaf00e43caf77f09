//! Signing in under attack: passwords are checked off the database lock, at most one hash
//! per core at a time, unknown usernames cost the same as wrong passwords, and repeated
//! attempts per account and per address are refused before any hashing. Only failures count
//! in the end (a whole office signing in through one address on a Monday morning is not an
//! attack), and an address an account signed in from lately is not locked out by guesses at
//! that account from elsewhere.

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
/// How long an address an account signed in from stays exempt from that account's limit.
const TRUSTED_FOR: Duration = Duration::from_secs(30 * 86_400);

pub struct LoginGuard {
    hashing: Semaphore,
    /// A hash of a random password: unknown usernames are checked against it, so they take
    /// as long as a wrong password and usernames cannot be told apart by timing.
    decoy: String,
    attempts: Mutex<HashMap<String, (u32, Instant)>>,
    /// (account, address) pairs that signed in lately, and when.
    trusted: Mutex<HashMap<String, Instant>>,
}

/// Too many attempts: try again after this long.
#[derive(Debug)]
pub struct Throttled(pub Duration);

impl LoginGuard {
    pub fn new() -> LoginGuard {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let decoy = auth::hash_password(&auth::new_token()).unwrap_or_default();
        LoginGuard {
            hashing: Semaphore::new(cores),
            decoy,
            attempts: Mutex::new(HashMap::new()),
            trusted: Mutex::new(HashMap::new()),
        }
    }

    /// Count an attempt for `username` from `addr`, or refuse it when a limit is reached.
    /// Attempts are counted when they start, so a burst is cut off before it is hashed.
    pub fn begin(&self, username: &str, addr: IpAddr) -> Result<(), Throttled> {
        let mut attempts = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if attempts.len() > MAX_COUNTERS {
            attempts.retain(|_, (_, since)| now.duration_since(*since) < WINDOW);
        }
        let trusted = self.is_trusted(username, addr, now);
        let keys = counters(username, addr);
        let limits = [PER_ACCOUNT_AND_ADDRESS, if trusted { u32::MAX } else { PER_ACCOUNT }, PER_ADDRESS];
        let keys: Vec<(String, u32)> = keys.into_iter().zip(limits).collect();
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

    /// A successful sign-in: it does not count against anyone (that person's counter from
    /// that address is cleared, the attempt taken back from the account's and the address's),
    /// and the address is trusted for that account from now on.
    pub fn succeeded(&self, username: &str, addr: IpAddr) {
        let [own, account, address] = counters(username, addr);
        let mut attempts = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        attempts.remove(&own);
        for key in [account, address] {
            if let Some((count, _)) = attempts.get_mut(&key) {
                *count = count.saturating_sub(1);
            }
        }
        drop(attempts);
        let now = Instant::now();
        let mut trusted = self.trusted.lock().unwrap_or_else(|p| p.into_inner());
        if trusted.len() > MAX_COUNTERS {
            trusted.retain(|_, since| now.duration_since(*since) < TRUSTED_FOR);
        }
        trusted.insert(own, now);
    }

    fn is_trusted(&self, username: &str, addr: IpAddr, now: Instant) -> bool {
        let [own, ..] = counters(username, addr);
        let trusted = self.trusted.lock().unwrap_or_else(|p| p.into_inner());
        trusted.get(&own).is_some_and(|since| now.duration_since(*since) < TRUSTED_FOR)
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

/// The counters an attempt counts against: (account, address), account, address.
fn counters(username: &str, addr: IpAddr) -> [String; 3] {
    [format!("u\u{0}{username}\u{0}{addr}"), format!("u\u{0}{username}"), format!("a\u{0}{addr}")]
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

    #[test]
    fn an_office_signing_in_through_one_address_is_not_throttled() {
        let guard = LoginGuard::new();
        let office: IpAddr = "10.0.0.1".parse().expect("ip");
        for i in 0..200 {
            let who = format!("sales{i}");
            assert!(guard.begin(&who, office).is_ok(), "sign-in {i} from the office");
            guard.succeeded(&who, office);
        }
    }

    #[test]
    fn guesses_at_an_account_do_not_lock_it_out_where_it_signed_in_before() {
        let guard = LoginGuard::new();
        let office: IpAddr = "10.0.0.1".parse().expect("ip");
        assert!(guard.begin("ann", office).is_ok());
        guard.succeeded("ann", office);
        // Guesses from many addresses exhaust the account's limit...
        for i in 0..PER_ACCOUNT {
            let _ = guard.begin("ann", IpAddr::from([10, 1, (i / 250) as u8, (i % 250) as u8]));
        }
        let elsewhere: IpAddr = "10.9.9.9".parse().expect("ip");
        assert!(guard.begin("ann", elsewhere).is_err(), "a new address is held back");
        // ...but not from where ann signed in before.
        assert!(guard.begin("ann", office).is_ok());
    }
}
