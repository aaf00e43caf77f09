//! The newest log entries in memory, so that a live wake-up is answered without the database.
//!
//! When a push commits, the writer hands its log entries here ([`Tail::publish`]) before the
//! connections are woken. A connection whose cursor falls inside what the tail holds sends
//! from memory: the same read check as the database path ([`crate::gate::ReadGate`]) on the
//! record's kind and scope as they were written, and on who reads it by assignment, looked up
//! once per entry. Anything the tail cannot vouch for sends the connection to the database
//! path, which is always right:
//!
//! - The tail holds a run of the log with nothing missing: entries `(start, end]`, changes and
//!   the grants a push wrote beside them (someone assigned to a record, or no longer). A push
//!   whose transaction also wrote another kind of entry (a transfer), or whose entries do not
//!   follow the tail's end (another instance or an admin command wrote in between), starts the
//!   tail over. A grant is passed over here unless it can change what its user reads: it names
//!   the connection's user, who does not read the record by its kind and scope anyway, or
//!   accounts changed since its transaction (a role or team moved, in an entry the tail may
//!   not hold yet). Then the connection goes to the database path, which sends or drops the
//!   record as of the grant's place in the log.
//! - A wake-up for a log end the tail has not reached (a write that was not published here:
//!   another instance's, a repair's, an admin's) goes to the database.
//!
//! Bounded by entries and bytes; the oldest go first.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use crm_core::kind::Kind;

use crate::access::Teams;

/// At most this many entries, and at most [`MAX_BYTES`] of change bytes, are held.
const MAX_ENTRIES: usize = 20_000;
const MAX_BYTES: usize = 16 << 20;

/// One change (or grant) as it was written to the log.
pub struct Entry {
    pub seq: u64,
    pub doc: String,
    /// For a grant, the user it names (who gained or lost reading `doc` by an assignment:
    /// the database path says which); `None` for a change.
    pub grant: Option<String>,
    /// The record's kind and scope owner as the change (or, for a grant, the transaction
    /// that wrote it) left them.
    pub kind: Option<Kind>,
    pub scope: Option<String>,
    /// The device that pushed it (it is not sent back there).
    pub device: String,
    /// The change's bytes (none for a grant).
    pub bytes: Vec<u8>,
    /// The accounts version (`meta.auth_version`) as the transaction that wrote it saw it. A
    /// grant is judged in memory only while the database's version is still this one: no
    /// role or team changed since, so the connection's standing and teams (read after any
    /// change before it, whose log entry started the tail over) are those of its place in
    /// the log.
    pub accounts: u64,
    /// The users who read the record by an assignment, looked up on first need.
    granted: OnceLock<HashSet<String>>,
}

impl Entry {
    pub fn new(
        seq: u64,
        doc: String,
        kind: Option<Kind>,
        scope: Option<String>,
        device: String,
        bytes: Vec<u8>,
    ) -> Self {
        Entry { seq, doc, grant: None, kind, scope, device, bytes, accounts: 0, granted: OnceLock::new() }
    }

    /// A grant entry: `user` lost or gained reading `doc` (of `kind`, in `scope`) by an
    /// assignment.
    pub fn grant(seq: u64, doc: String, user: String, kind: Option<Kind>, scope: Option<String>) -> Self {
        let mut entry = Entry::new(seq, doc, kind, scope, String::new(), Vec::new());
        entry.grant = Some(user);
        entry
    }

    /// Whether this is a grant naming `user` (as losing or gaining).
    pub fn grant_names(&self, user: &str) -> bool {
        self.grant.as_deref() == Some(user)
    }

    /// Whether this is a grant that may change what `user` reads: it names them, and either
    /// they do not read the record by its kind and scope anyway (`reads_anyway`), or the
    /// accounts version in the database now (`judged_at`, read after the standing and teams
    /// `reads_anyway` uses; `None`: not read) is not the one its transaction saw. Only
    /// otherwise does gaining or losing the assignment neither send nor drop the record, and
    /// the live tail may pass it by.
    pub fn grant_matters_to(
        &self,
        user: &str,
        judged_at: Option<u64>,
        reads_anyway: impl FnOnce(Option<Kind>, Option<&str>) -> bool,
    ) -> bool {
        self.grant_names(user) && (judged_at != Some(self.accounts) || !reads_anyway(self.kind, self.scope.as_deref()))
    }

    /// Whether `user` reads this record by an assignment; `look_up` gives everyone who does
    /// (`crate::db::assigned_readers`) and runs once per entry that needs it (or a few times,
    /// when connections race to it first).
    pub fn granted_to<E>(&self, user: &str, look_up: impl FnOnce() -> Result<HashSet<String>, E>) -> Result<bool, E> {
        if let Some(users) = self.granted.get() {
            return Ok(users.contains(user));
        }
        let users = look_up()?;
        let found = users.contains(user);
        let _ = self.granted.set(users);
        Ok(found)
    }
}

/// What one write transaction added to the log.
pub struct Batch {
    /// The log's end when the transaction took the write lock, and when it committed.
    pub prev: u64,
    pub end: u64,
    /// Its changes and grants in log order.
    pub entries: Vec<Entry>,
    /// The accounts version its transaction saw (see [`Entry::accounts`]).
    pub accounts: u64,
}

impl Batch {
    /// Whether `entries` are every log entry in `(prev, end]`: nothing else was written.
    fn complete(&self) -> bool {
        self.end >= self.prev
            && self.end - self.prev == self.entries.len() as u64
            && self.entries.windows(2).all(|w| w[0].seq < w[1].seq)
            && self.entries.first().is_none_or(|e| e.seq > self.prev)
            && self.entries.last().is_none_or(|e| e.seq <= self.end)
    }
}

#[derive(Default)]
struct Inner {
    /// Which run this is: moves whenever the tail starts over (not when old entries go).
    run: u64,
    /// Every log entry in `(start, end]` is in `entries`, in order.
    start: u64,
    end: u64,
    entries: VecDeque<Arc<Entry>>,
    bytes: usize,
}

impl Inner {
    /// Start a new run at log position `at`, holding nothing yet.
    fn restart(&mut self, at: u64) {
        *self = Inner { run: self.run + 1, start: at, end: at, ..Inner::default() };
    }
}

#[derive(Default)]
pub struct Tail {
    inner: Mutex<Inner>,
    /// Everyone's teams, shared by every connection served from the tail: read once per run
    /// of the tail and accounts version (see [`Tail::teams`]).
    teams: Mutex<Option<(u64, u64, Arc<Teams>)>>,
    /// Wake-ups answered from memory so far.
    served: AtomicU64,
}

impl Tail {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Add what a committed transaction wrote. Called by the writer, in commit order.
    pub fn publish(&self, batch: Batch) {
        let mut t = self.lock();
        if batch.end < t.end {
            // Published out of order: never go back.
            return;
        }
        if !batch.complete() {
            t.restart(batch.end);
            return;
        }
        if batch.prev != t.end {
            t.restart(batch.prev);
        }
        for mut entry in batch.entries {
            entry.accounts = batch.accounts;
            t.bytes += entry.bytes.len();
            t.entries.push_back(Arc::new(entry));
        }
        t.end = batch.end;
        while t.entries.len() > MAX_ENTRIES || t.bytes > MAX_BYTES {
            let Some(oldest) = t.entries.pop_front() else { break };
            t.bytes -= oldest.bytes.len();
            t.start = oldest.seq;
        }
    }

    /// Forget everything, the teams too (the database was replaced). Called under the writer
    /// lock, so no push publishes into the run before it.
    pub fn clear(&self) {
        self.lock().restart(0);
        *self.teams.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
    }

    /// The entries after `cursor`, the log end they reach and which run of the tail they are
    /// of, when the tail holds every entry from `cursor` up to at least `wanted` (the newest
    /// end announced); otherwise `None` and the caller reads the database.
    pub fn since(&self, cursor: u64, wanted: u64) -> Option<(Vec<Arc<Entry>>, u64, u64)> {
        let t = self.lock();
        if cursor < t.start || cursor > t.end || wanted > t.end {
            return None;
        }
        let from = t.entries.partition_point(|e| e.seq <= cursor);
        Some((t.entries.range(from..).cloned().collect(), t.end, t.run))
    }

    /// Everyone's teams for judging entries of tail run `run`, with accounts at version
    /// `auth`. Teams change only with a log entry the tail does not hold (a `rescope`, a new
    /// user's record), which starts a new run, or with accounts: so teams read after the run
    /// began (once everything before it was committed) hold for the whole run. Read by `load`
    /// and shared by every connection (two connections may both read them at a run's start).
    pub fn teams<E>(&self, run: u64, auth: u64, load: impl FnOnce() -> Result<Teams, E>) -> Result<Arc<Teams>, E> {
        let mut cached = self.teams.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((r, a, teams)) = cached.as_ref() {
            if (*r, *a) == (run, auth) {
                return Ok(Arc::clone(teams));
            }
        }
        let teams = Arc::new(load()?);
        *cached = Some((run, auth, Arc::clone(&teams)));
        Ok(teams)
    }

    /// Count a wake-up answered from what [`Tail::since`] gave (a caller may still go to the
    /// database instead).
    pub fn count_served(&self) {
        self.served.fetch_add(1, Ordering::Relaxed);
    }

    /// How many wake-ups were answered from memory (for tests and diagnostics).
    pub fn served(&self) -> u64 {
        self.served.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u64) -> Entry {
        Entry::new(seq, format!("d{seq}"), Some(Kind::Customer), Some("ann".into()), "dev".into(), vec![0; 10])
    }

    fn batch(prev: u64, end: u64, seqs: &[u64]) -> Batch {
        Batch { prev, end, entries: seqs.iter().map(|&s| entry(s)).collect(), accounts: 0 }
    }

    fn seqs(got: Option<(Vec<Arc<Entry>>, u64, u64)>) -> Option<(Vec<u64>, u64)> {
        got.map(|(entries, end, _)| (entries.iter().map(|e| e.seq).collect(), end))
    }

    #[test]
    fn serves_only_a_run_it_holds_whole() {
        let tail = Tail::default();
        // Empty at start: the log end 0 is covered, anything announced beyond it is not.
        assert_eq!(seqs(tail.since(0, 0)), Some((vec![], 0)));
        assert_eq!(seqs(tail.since(0, 1)), None);
        // A first batch that does not follow 0 starts the tail at its own beginning.
        tail.publish(batch(10, 12, &[11, 12]));
        assert_eq!(seqs(tail.since(9, 12)), None, "entries up to 10 are not held");
        assert_eq!(seqs(tail.since(10, 12)), Some((vec![11, 12], 12)));
        assert_eq!(seqs(tail.since(11, 12)), Some((vec![12], 12)));
        assert_eq!(seqs(tail.since(12, 13)), None, "13 was announced but not published");
        tail.publish(batch(12, 14, &[13, 14]));
        assert_eq!(seqs(tail.since(10, 14)), Some((vec![11, 12, 13, 14], 14)));
        // Someone else wrote 15: the next batch does not follow, the tail starts over at 15.
        tail.publish(batch(15, 16, &[16]));
        assert_eq!(seqs(tail.since(14, 16)), None);
        assert_eq!(seqs(tail.since(15, 16)), Some((vec![16], 16)));
        // A transaction that wrote a transfer as well (three entries, two changes): nothing
        // before its end is served from memory.
        tail.publish(batch(16, 19, &[17, 19]));
        assert_eq!(seqs(tail.since(16, 19)), None);
        assert_eq!(seqs(tail.since(19, 19)), Some((vec![], 19)));
        // A cursor beyond the tail (the database path went further) is not served either.
        assert_eq!(seqs(tail.since(25, 19)), None);
        // Published late, out of order: ignored.
        tail.publish(batch(17, 18, &[18]));
        assert_eq!(seqs(tail.since(19, 19)), Some((vec![], 19)));
        tail.clear();
        assert_eq!(seqs(tail.since(19, 19)), None);
    }

    #[test]
    fn grants_written_beside_changes_are_held_and_name_their_user() {
        let tail = Tail::default();
        let grant = Entry::grant(2, "d1".into(), "bob".into(), Some(Kind::Customer), Some("ann".into()));
        let entries = vec![entry(1), grant, entry(3)];
        tail.publish(Batch { prev: 0, end: 3, entries, accounts: 7 });
        let (got, end, _) = tail.since(0, 3).expect("a push with a grant is served from memory");
        assert_eq!((got.iter().map(|e| e.seq).collect::<Vec<_>>(), end), (vec![1, 2, 3], 3));
        assert!(got[1].grant_names("bob") && !got[1].grant_names("ann"));
        assert!(!got[0].grant_names("bob"), "a change names nobody");
        let lost = Entry::grant(4, "d1".into(), "bob".into(), None, None);
        assert_eq!(lost.grant.as_deref(), Some("bob"), "a grant names its user, lost or gained");
        // Whether it matters: only to the user it names, and only if they do not read the
        // record anyway (an admin, or the owner of its scope).
        let reads =
            |who: &'static str| move |kind: Option<Kind>, scope: Option<&str>| kind.is_some() && scope == Some(who);
        assert!(!got[1].grant_matters_to("bob", Some(7), reads("ann")), "bob reads ann's records (her supervisor)");
        assert!(got[1].grant_matters_to("bob", Some(7), reads("carl")), "bob reads d1 only by the assignment");
        assert!(!got[1].grant_matters_to("bob", Some(7), |_, _| true), "reads everything anyway");
        assert!(!got[1].grant_matters_to("ann", Some(7), reads("carl")), "names someone else");
        // Accounts changed since its transaction, or their version was not read: roles and
        // teams then may not be those of its place in the log.
        assert!(got[1].grant_matters_to("bob", Some(8), |_, _| true), "accounts moved since");
        assert!(got[1].grant_matters_to("bob", None, |_, _| true), "the accounts version was not read");
        assert!(lost.grant_matters_to("bob", Some(0), reads("bob")), "an unknown record: the database path decides");
    }

    #[test]
    fn the_oldest_go_first() {
        let tail = Tail::default();
        let n = MAX_ENTRIES as u64 + 5;
        for s in 1..=n {
            tail.publish(batch(s - 1, s, &[s]));
        }
        assert_eq!(seqs(tail.since(4, n)), None);
        assert_eq!(seqs(tail.since(5, n)).map(|(s, _)| s.len()), Some(MAX_ENTRIES));
    }

    #[test]
    fn teams_are_read_once_per_run_and_accounts_version() {
        let tail = Tail::default();
        let loads = std::cell::Cell::new(0);
        let teams = |start, auth| {
            tail.teams(start, auth, || {
                loads.set(loads.get() + 1);
                Ok::<_, ()>(Teams::new())
            })
            .unwrap()
        };
        teams(5, 1);
        teams(5, 1);
        assert_eq!(loads.get(), 1);
        teams(9, 1);
        teams(9, 2);
        teams(9, 2);
        assert_eq!(loads.get(), 3, "a new run, then new accounts, read them again");
    }

    #[test]
    fn looks_up_assignments_once() {
        let e = entry(1);
        let mut calls = 0;
        for _ in 0..3 {
            let got = e.granted_to("bob", || {
                calls += 1;
                Ok::<_, ()>(HashSet::from(["bob".to_string()]))
            });
            assert_eq!(got, Ok(true));
        }
        assert_eq!(e.granted_to("eve", || Err(())), Ok(false));
        assert_eq!(calls, 1);
    }
}
