//! One device's WebSocket connection: hello, bootstrap or catch-up, pushes and their
//! acknowledgements, live changes, keep-alive. A connection only ever hurts itself: bad
//! frames get an error, a client that stops reading is disconnected after a timeout.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::params;
use crate::sql::{self, Optional};
use axum::extract::ws::{Message, WebSocket};
use crm_core::kind::Kind;
use crm_core::sync::protocol::{
    decode, encode, ClientMsg, Moved, Refused, ServerMsg, BATCH_BYTES, MAX_BATCH, MAX_PUSH_CHANGES, PROTOCOL_VERSION,
};
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};

use crate::access::{Principal, Teams};
use crate::db::{granted_sql, AuthError, DbError, RepairRound};
use crate::gate::{Outgoing, ReadGate, Readable};
use crate::AppState;

const SEND_TIMEOUT: Duration = Duration::from_secs(15);
const KEEPALIVE: Duration = Duration::from_secs(20);
const IDLE_LIMIT: Duration = Duration::from_secs(75);
/// How long a connection the server ends waits for the device's close before dropping it.
const CLOSE_LINGER: Duration = Duration::from_secs(2);
/// Undecodable frames tolerated before the connection is closed.
const MAX_BAD_FRAMES: u32 = 20;
/// Documents one connection may have under repair at once.
const MAX_REPAIRS: usize = 256;
/// A cursor this many log entries past what the device was told is told at once, so the
/// entries a reconnect rescans stay few even between keep-alives.
const CURSOR_NUDGE: u64 = 1_000;

struct Conn {
    sink: SplitSink<WebSocket, Message>,
    who: Principal,
    reader: sql::Reader,
    /// Everything up to here has been sent (or was not for this user).
    cursor: u64,
    /// The newest cursor a message told the device (see [`Conn::end_round`]).
    told: u64,
    /// The round now being sent passed some of this device's own changes.
    passed_own: bool,
    /// Frames were fed to the socket's buffer and not flushed yet (see [`Conn::end_round`]).
    fed: bool,
    state: Arc<AppState>,
    /// The accounts-and-devices version `who` was read at.
    auth_seen: u64,
    /// The device builds the read models this server prepares (its `hello` said the same
    /// version): snapshots go with their rows.
    rows: bool,
}

#[derive(Debug)]
enum Stop {
    Closed,
    Db(DbError),
}

impl From<DbError> for Stop {
    fn from(e: DbError) -> Self {
        Stop::Db(e)
    }
}

impl From<crate::sql::SqlError> for Stop {
    fn from(e: crate::sql::SqlError) -> Self {
        Stop::Db(DbError::Sql(e))
    }
}

impl Conn {
    /// The only way out to the device: document content must have passed the read gate,
    /// and is sent only while the device may still be served — checked before every message,
    /// so revoking, disabling or expiry also cuts a long bootstrap or catch-up short.
    async fn send_out(&mut self, out: Outgoing) -> Result<(), Stop> {
        self.put_out(out, true).await
    }

    /// [`Conn::send_out`], but written to the socket with the rest of its round, which
    /// [`Conn::end_round`] ends: a live change and the `caught_up` after it leave in one
    /// system call (with a hundred devices listening, half the calls and half the wake-ups).
    async fn queue_out(&mut self, out: Outgoing) -> Result<(), Stop> {
        self.put_out(out, false).await
    }

    async fn put_out(&mut self, out: Outgoing, now: bool) -> Result<(), Stop> {
        if !matches!(out, Outgoing::Plain(_)) {
            if let Err(why) = self.standing()? {
                let refusal = ServerMsg::Error { code: why.code().into(), message: why.message().into(), fatal: true };
                self.write(&refusal, true).await?;
                return Err(Stop::Closed);
            }
        }
        let msg = out.into_msg().map_err(|_| {
            Stop::Db(DbError::Invalid("refused to send document content that did not pass the read check".into()))
        })?;
        self.write(&msg, now).await
    }

    /// Write `msg`, `now` or when the next message that is written now goes (frames wait in
    /// the socket's write buffer, see `crate::WRITE_HELD`).
    async fn write(&mut self, msg: &ServerMsg, now: bool) -> Result<(), Stop> {
        let frame = Message::Binary(encode(msg).into());
        let written = match now {
            true => tokio::time::timeout(SEND_TIMEOUT, self.sink.send(frame)).await,
            false => tokio::time::timeout(SEND_TIMEOUT, self.sink.feed(frame)).await,
        };
        match written {
            Ok(Ok(())) => {
                // A frame sent now flushes those fed before it.
                self.fed = !now;
                let told = match msg {
                    ServerMsg::Changes { cursor, .. }
                    | ServerMsg::Snapshots { cursor, .. }
                    | ServerMsg::Drop { cursor, .. }
                    | ServerMsg::CaughtUp { cursor } => *cursor,
                    _ => 0,
                };
                self.told = self.told.max(told);
                Ok(())
            }
            _ => Err(Stop::Closed),
        }
    }

    /// The end of a round of sending (after `hello`, or a live wake-up that began with the
    /// device told `told_before`): `caught_up` after `hello`, after a round that sent anything
    /// or passed this device's own changes (its pushes move its cursor), and when the cursor
    /// has moved [`CURSOR_NUDGE`] entries past what the device was told. A live round of only
    /// others' entries this user may not read sends nothing; the keep-alive tells the device
    /// its cursor later ([`Conn::nudge`]), so a reconnect need not rescan them.
    async fn end_round(&mut self, report: bool, told_before: u64) -> Result<(), Stop> {
        let cursor = self.cursor;
        let passed_own = std::mem::take(&mut self.passed_own);
        if report || passed_own || self.told != told_before || cursor >= self.told + CURSOR_NUDGE {
            return self.send(ServerMsg::CaughtUp { cursor }).await;
        }
        // What the round queued goes now, `caught_up` or not. A round of others' entries this
        // user may not read queued nothing: with thousands of connections woken by each edit,
        // flushing each one's socket anyway was a tenth of the server's work.
        if !std::mem::take(&mut self.fed) {
            return Ok(());
        }
        match tokio::time::timeout(SEND_TIMEOUT, self.sink.flush()).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(Stop::Closed),
        }
    }

    /// Tell the device a cursor that moved without anything being sent to it.
    async fn nudge(&mut self) -> Result<(), Stop> {
        if self.cursor > self.told {
            let cursor = self.cursor;
            self.send(ServerMsg::CaughtUp { cursor }).await?;
        }
        Ok(())
    }

    /// May this device still be served? Reads its standing again (updating `who`) only when
    /// accounts or devices changed since it was last read.
    fn standing(&mut self) -> Result<Result<(), AuthError>, Stop> {
        if self.who.expires_at <= crm_core::value::now_ms() {
            return Ok(Err(AuthError::Expired));
        }
        if *self.state.auth.borrow() == self.auth_seen {
            return Ok(Ok(()));
        }
        Ok(self.principal_now()?.map(|now| self.who = now))
    }

    /// This device's person and token expiry as the database has them now.
    fn principal_now(&mut self) -> Result<Result<Principal, AuthError>, Stop> {
        self.auth_seen = *self.state.auth.borrow();
        if !self.reader.reading() {
            let device = &self.who.device_id;
            return Ok(self.reader.with(|c| crate::db::device_principal(c, device))?);
        }
        // In a bootstrap the reader sees the database as it was when the bootstrap began.
        let mut fresh = self.state.readers.reader()?;
        let device = &self.who.device_id;
        Ok(fresh.with(|c| crate::db::device_principal(c, device))?)
    }

    async fn send(&mut self, msg: ServerMsg) -> Result<(), Stop> {
        self.send_out(Outgoing::Plain(msg)).await
    }

    async fn error(&mut self, code: &str, message: String, fatal: bool) -> Result<(), Stop> {
        self.send(ServerMsg::Error { code: code.into(), message, fatal }).await
    }

    /// This device may no longer be served: say why (the same codes as at connection time)
    /// and end the connection.
    async fn refuse(&mut self, why: AuthError) -> Result<(), Stop> {
        self.error(why.code(), why.message().into(), true).await?;
        Err(Stop::Closed)
    }

    /// Read this device's standing again: its current person and token expiry, or the end of
    /// the connection when it was revoked, its account disabled or its token expired.
    async fn recheck(&mut self) -> Result<(), Stop> {
        match self.principal_now()? {
            Ok(now) => {
                self.who = now;
                Ok(())
            }
            Err(e) => self.refuse(e).await,
        }
    }

    /// The current snapshots of `ids` this connection's gate admits, in messages of at most
    /// `BATCH_BYTES`; the last one carries `cursor`, the others 0 (do not move the cursor), so
    /// a device interrupted part-way gets them all again. A snapshot is read only as it is
    /// sent: memory stays within one message however large the records are.
    async fn send_snapshots(&mut self, gate: &ReadGate<'_>, ids: Vec<String>, cursor: u64) -> Result<(), Stop> {
        let (mut docs, mut bytes) = (Vec::new(), 0);
        let rows = if self.rows { "prepared" } else { "NULL" };
        for id in ids {
            let sql =
                format!("SELECT kind, scope_owner, snapshot, {rows}, {} FROM docs WHERE id = ?1", granted_sql("?1", 2));
            type SnapshotRow = (Option<String>, Option<String>, Vec<u8>, Option<Vec<u8>>, bool);
            let row: Option<SnapshotRow> = self.reader.with(|c| {
                c.prepare_cached(&sql)?
                    .query_row(params![id, gate.user_id()], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                    })
                    .optional()
            })?;
            let Some((kind, scope, snapshot, prepared, granted)) = row else { continue };
            let size = snapshot.len() + prepared.as_ref().map_or(0, Vec::len);
            if bytes + size > BATCH_BYTES && !docs.is_empty() {
                self.send_out(Outgoing::Snapshots { docs: std::mem::take(&mut docs), cursor: 0 }).await?;
                bytes = 0;
            }
            bytes += size;
            let kind = kind.as_deref().and_then(Kind::parse);
            docs.extend(gate.admit(id, kind, scope.as_deref(), granted, (snapshot, prepared)));
        }
        self.send_out(Outgoing::Snapshots { docs, cursor }).await
    }

    fn teams(&mut self) -> Result<Teams, Stop> {
        Ok(self.reader.with(crate::db::teams)?)
    }

    /// A fresh device: every readable document as one compacted snapshot, consistent with
    /// the log position sent last.
    async fn bootstrap(&mut self) -> Result<(), Stop> {
        // On PostgreSQL a bootstrap waits for its turn (`sql::Readers`), holding nothing.
        let _turn = self.state.readers.bootstrap_slot().await;
        self.reader.begin_read()?;
        // Teams and the log position from the same snapshot as the documents.
        let result = match self.teams() {
            Ok(teams) => self.bootstrap_in_txn(&teams).await,
            Err(e) => Err(e),
        };
        self.reader.end_read();
        result
    }

    async fn bootstrap_in_txn(&mut self, teams: &Teams) -> Result<(), Stop> {
        let top = self.reader.with(|c| c.log_end())?;
        let who = self.who.clone();
        let gate = ReadGate::new(&who, teams);
        // The ids of every readable record first (small), then their snapshots as they are sent.
        let mut readable = Vec::new();
        let mut after = String::new();
        loop {
            type DocRow = (String, Option<String>, Option<String>, bool);
            let sql = format!(
                "SELECT id, kind, scope_owner, {} FROM docs WHERE id > ?1 ORDER BY id LIMIT ?2",
                granted_sql("docs.id", 3)
            );
            let rows: Vec<DocRow> = self.reader.with(|c| {
                c.prepare_cached(&sql)?
                    .query_map(params![after, MAX_BATCH as i64, who.user_id], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                    })?
                    .collect::<Result<_, _>>()
            })?;
            let full = rows.len() == MAX_BATCH;
            for (doc, kind, scope, granted) in rows {
                after.clone_from(&doc);
                if gate.may_read(kind.as_deref().and_then(Kind::parse), scope.as_deref(), granted) {
                    readable.push(doc);
                }
            }
            if !full {
                break;
            }
        }
        self.send_snapshots(&gate, readable, top as u64).await?;
        self.cursor = top as u64;
        Ok(())
    }

    /// Send everything after the cursor this user may read, in log order, then `caught_up`
    /// when [`Conn::end_round`] says so. `report`: always end with `caught_up` (after hello);
    /// a live wake-up that found nothing for this device sends nothing at all.
    async fn catch_up(&mut self, report: bool) -> Result<(), Stop> {
        let told_before = self.told;
        if !report && self.send_live().await? {
            return self.end_round(false, told_before).await;
        }
        let mut teams = self.teams()?;
        let mut who = self.who.clone();
        loop {
            type Row = (
                i64,
                String,
                String,
                Option<i64>,
                Option<String>,
                Option<String>,
                Option<String>,
                Option<String>,
                bool,
            );
            // A device's own changes are not sent back to it (it has them): their bytes are
            // left out, the row still moves the cursor. Sizes only here; bytes are read as
            // they are sent, so memory stays within one message.
            let sql = format!(
                "SELECT l.seq, l.doc_id, l.event, CASE WHEN l.device_id IS NOT DISTINCT FROM ?1 THEN NULL ELSE length(l.bytes) END,
                        l.old_scope, l.new_scope, d.kind, d.scope_owner, {}
                 FROM log l LEFT JOIN docs d ON d.id = l.doc_id WHERE l.seq > ?2 ORDER BY l.seq LIMIT ?3",
                granted_sql("l.doc_id", 4)
            );
            let (device, cursor, user) = (&self.who.device_id, self.cursor as i64, &self.who.user_id);
            let rows: Vec<Row> = self.reader.with(|c| {
                c.prepare_cached(&sql)?
                    .query_map(params![device, cursor, MAX_BATCH as i64, user], |r| {
                        Ok((
                            r.get(0)?,
                            r.get(1)?,
                            r.get(2)?,
                            r.get(3)?,
                            r.get(4)?,
                            r.get(5)?,
                            r.get(6)?,
                            r.get(7)?,
                            r.get(8)?,
                        ))
                    })?
                    .collect::<Result<_, _>>()
            })?;
            let full = rows.len() == MAX_BATCH;
            let mut changes = Vec::new();
            let mut batch_bytes = 0;
            for (seq, doc, event, size, old, new, kind, scope, granted) in rows {
                let kind = kind.as_deref().and_then(Kind::parse);
                // A change has bytes; only this device's own are left without.
                self.passed_own |= event == "change" && size.is_none();
                if event == "rescope" {
                    self.flush(&mut changes, seq as u64 - 1).await?;
                    self.rescope(&doc, seq as u64).await?;
                    teams = self.teams()?;
                    who = self.who.clone();
                    self.cursor = seq as u64;
                    continue;
                }
                let gate = ReadGate::new(&who, &teams);
                if event == "grant" {
                    // Reading by assignment came or went for one user: if it is this one, and
                    // their reading of the record changes with it, send or drop it.
                    // Gained: sent whatever the scope says now — this device may have dropped
                    // it earlier in the log (the scope then was another), and a snapshot it
                    // already has merges as nothing. Lost: dropped unless it reads it anyway.
                    let me = who.user_id.as_str();
                    if new.as_deref() == Some(me) {
                        self.flush(&mut changes, seq as u64 - 1).await?;
                        self.send_snapshots(&gate, vec![doc], seq as u64).await?;
                    } else if old.as_deref() == Some(me) && !granted && !gate.may_read(kind, scope.as_deref(), false) {
                        self.flush(&mut changes, seq as u64 - 1).await?;
                        self.send(ServerMsg::Drop { docs: vec![doc], cursor: seq as u64, moved: Vec::new() }).await?;
                    }
                } else if event == "access" {
                    let could = gate.may_read(kind, old.as_deref(), granted);
                    let can = gate.may_read(kind, new.as_deref(), granted);
                    if could != can {
                        self.flush(&mut changes, seq as u64 - 1).await?;
                        if can {
                            // Admitted on the record's scope now, not the one in the log entry.
                            self.send_snapshots(&gate, vec![doc], seq as u64).await?;
                        } else {
                            let moved = self.mover(&doc, seq)?.into_iter().collect();
                            self.send(ServerMsg::Drop { docs: vec![doc], cursor: seq as u64, moved }).await?;
                        }
                    }
                } else if let Some(size) = size.filter(|_| gate.may_read(kind, scope.as_deref(), granted)) {
                    if batch_bytes + size as usize > BATCH_BYTES && !changes.is_empty() {
                        let cursor = self.cursor;
                        self.flush(&mut changes, cursor).await?;
                        batch_bytes = 0;
                    }
                    let bytes: Vec<u8> = self.reader.with(|c| {
                        c.prepare_cached("SELECT bytes FROM log WHERE seq = ?")?.query_row([seq], |r| r.get(0))
                    })?;
                    batch_bytes += bytes.len();
                    changes.extend(gate.admit(doc, kind, scope.as_deref(), granted, bytes).map(|c| (seq as u64, c)));
                }
                self.cursor = seq as u64;
            }
            let cursor = self.cursor;
            self.flush(&mut changes, cursor).await?;
            if !full {
                break;
            }
        }
        self.end_round(report, told_before).await?;
        // Caught up, the connection mostly waits: its reader gives back the pages it cached
        // (the operating system still has them), so thousands of idle devices cost little.
        self.reader.shrink();
        Ok(())
    }

    /// A live wake-up answered from the live tail (`crate::live`), which holds every change
    /// after this connection's cursor up to the newest announced: the same changes as
    /// [`Conn::catch_up`] would send from the database, without reading it. False when the
    /// tail does not reach back to the cursor, or forward to the announced end.
    async fn send_live(&mut self) -> Result<bool, Stop> {
        let wanted = *self.state.latest.borrow();
        let Some((entries, end, run)) = self.state.live.since(self.cursor, wanted) else {
            return Ok(false);
        };
        let auth = *self.state.auth.borrow();
        let teams = self.state.live.teams(run, auth, || self.reader.with(crate::db::teams))?;
        // A grant that sends or drops a record for this user: the database path does that.
        // One for a record they read anyway (an admin; the owner of its customer) is passed by,
        // while no role or team changed since it was written: the accounts version is read
        // from the database, after `who` and `teams` were.
        let gate = ReadGate::new(&self.who, &teams);
        let named = entries.iter().any(|e| e.grant_names(&self.who.user_id));
        let judged_at = match named {
            true => Some(self.reader.with(crate::db::versions)?.0),
            false => None,
        };
        let reads_anyway = |kind, scope: Option<&str>| gate.may_read(kind, scope, false);
        if entries.iter().any(|e| e.grant_matters_to(&self.who.user_id, judged_at, reads_anyway)) {
            return Ok(false);
        }
        self.state.live.count_served();
        // What this user may read, checked once; bytes are copied only as each message is
        // built, so memory stays within one message, as on the database path.
        let mut readable = Vec::new();
        {
            let Conn { who, reader, passed_own, .. } = &mut *self;
            let gate = ReadGate::new(who, &teams);
            let mut looked_up = false;
            for (i, entry) in entries.iter().enumerate() {
                if entry.grant.is_some() {
                    // Someone else's: nothing for this device, the cursor passes it.
                    continue;
                }
                if entry.device == who.device_id {
                    *passed_own = true;
                    continue;
                }
                let scope = entry.scope.as_deref();
                let granted = !gate.may_read(entry.kind, scope, false)
                    && entry.granted_to(&who.user_id, || {
                        looked_up = true;
                        reader.with(|c| crate::db::assigned_readers(c, &entry.doc))
                    })?;
                // The entry's place in `entries`, admitted: its bytes are copied when sent.
                readable.extend(gate.admit(entry.doc.as_str(), entry.kind, scope, granted, i));
            }
            if looked_up {
                // The first connection to need an entry's assigned readers looks them up for
                // all; with thousands of connections, each would otherwise keep the pages it read.
                reader.shrink();
            }
        }
        // Messages of at most MAX_BATCH changes and BATCH_BYTES.
        let (mut changes, mut batch_bytes) = (Vec::new(), 0);
        for admitted in readable {
            let entry = &entries[*admitted.value()];
            let (seq, size) = (entry.seq, entry.bytes.len());
            if !changes.is_empty() && (changes.len() == MAX_BATCH || batch_bytes + size > BATCH_BYTES) {
                // Everything before this entry is sent or not for this user.
                self.queue_out(Outgoing::Changes { changes: std::mem::take(&mut changes), cursor: seq - 1 }).await?;
                batch_bytes = 0;
            }
            batch_bytes += size;
            changes.push((seq, admitted.map(|_| entry.bytes.clone())));
        }
        if !changes.is_empty() {
            self.queue_out(Outgoing::Changes { changes, cursor: end }).await?;
        }
        self.cursor = end;
        Ok(true)
    }

    /// `user`'s role or team changed from `old` to `new` (log entry `seq`): send this device
    /// the records it gained and drop those it lost, as for a transfer. For this device's own
    /// user every record is considered; for anyone else, only the records in their scope.
    async fn rescope(&mut self, user: &str, seq: u64) -> Result<(), Stop> {
        // This device's own standing now (it may have been revoked meanwhile).
        self.recheck().await?;
        // Everyone's teams, and this user's role and team, just before and just after this
        // entry: later entries are rolled back, so moves in a row are each judged as they were.
        let (before_teams, before) = self.as_of(seq - 1)?;
        let (after_teams, after) = self.as_of(seq)?;
        let mine = user == self.who.user_id;
        let rows: Vec<(String, Option<String>, Option<String>, bool)> = {
            let granted = granted_sql("docs.id", 2);
            let sql = if mine {
                format!("SELECT id, kind, scope_owner, {granted} FROM docs WHERE CAST(?1 AS TEXT) IS NOT NULL")
            } else {
                format!("SELECT id, kind, scope_owner, {granted} FROM docs WHERE scope_owner = ?1")
            };
            let me = &self.who.user_id;
            self.reader.with(|c| {
                c.prepare_cached(&sql)?
                    .query_map(params![user, me], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                    .collect::<Result<_, _>>()
            })?
        };
        let (could, can) = (ReadGate::new(&before, &before_teams), ReadGate::new(&after, &after_teams));
        let mut gained = Vec::new();
        let mut lost = Vec::new();
        for (id, kind, scope, granted) in rows {
            let kind = kind.as_deref().and_then(Kind::parse);
            match (could.may_read(kind, scope.as_deref(), granted), can.may_read(kind, scope.as_deref(), granted)) {
                (false, true) => gained.push(id),
                (true, false) => lost.push(id),
                _ => {}
            }
        }
        // The cursor moves only with the `drop` below, after everything gained.
        if !gained.is_empty() {
            let (now, current_teams) = (self.who.clone(), self.teams()?);
            self.send_snapshots(&ReadGate::new(&now, &current_teams), gained, 0).await?;
        }
        self.send(ServerMsg::Drop { docs: lost, cursor: seq, moved: Vec::new() }).await
    }

    /// Who wrote the change to `doc` that moved it away at log entry `seq` (its last change
    /// before the entry), and when: told with the `drop`, so a claim of this device that lost
    /// the race can say who won.
    fn mover(&mut self, doc: &str, seq: i64) -> Result<Option<Moved>, Stop> {
        let row: Option<(Vec<u8>, String)> = self.reader.with(|c| {
            c.prepare_cached(
                "SELECT l.bytes, d.user_id FROM log l JOIN devices d ON d.id = l.device_id
                 WHERE l.doc_id = ? AND l.seq < ? AND l.event = 'change' ORDER BY l.seq DESC LIMIT 1",
            )?
            .query_row(params![doc, seq], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
        })?;
        Ok(row.and_then(|(bytes, by)| {
            let change = automerge::Change::from_bytes(bytes).ok()?;
            Some(Moved { doc: doc.to_string(), by, at: change.timestamp().saturating_mul(1000) })
        }))
    }

    /// Everyone's teams and this device's person as they were right after log entry `seq`:
    /// the current ones with every later `rescope` entry rolled back.
    fn as_of(&mut self, seq: u64) -> Result<(Teams, Principal), Stop> {
        let mut teams = self.teams()?;
        let mut who = self.who.clone();
        let later: Vec<(String, Option<String>)> = self.reader.with(|c| {
            c.prepare_cached("SELECT doc_id, old_scope FROM log WHERE event = 'rescope' AND seq > ? ORDER BY seq DESC")?
                .query_map([seq as i64], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()
        })?;
        for (user, old) in later {
            let (role, team) = crate::db::decode_scope(old.as_deref().unwrap_or_default());
            if user == who.user_id {
                // A role this version does not know reads only its own records.
                who.person.role = crate::access::Role::parse(&role).unwrap_or(crate::access::Role::AccountManager);
                who.person.team.clone_from(&team);
            }
            teams.insert(user, team);
        }
        Ok((teams, who))
    }

    async fn flush(&mut self, changes: &mut Vec<(u64, Readable<Vec<u8>>)>, cursor: u64) -> Result<(), Stop> {
        if changes.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(changes);
        self.queue_out(Outgoing::Changes { changes: batch, cursor }).await
    }
}

/// How long until a token that expires at `expires_at` (ms since 1970) does.
fn until_expiry(expires_at: i64) -> Duration {
    let left = expires_at.saturating_sub(crm_core::value::now_ms()).clamp(0, 365 * 86_400_000);
    Duration::from_millis(left as u64)
}

pub async fn run(socket: WebSocket, state: Arc<AppState>, who: Principal) {
    let (sink, mut stream) = socket.split();
    // One reader per connection: keep its page cache small, there may be hundreds.
    let reader = match state.readers.reader() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sync-server: cannot open a reader: {e}");
            return;
        }
    };
    let auth_seen = *state.auth.borrow();
    let mut conn = Conn {
        sink,
        who,
        reader,
        cursor: 0,
        told: 0,
        passed_own: false,
        fed: false,
        state: Arc::clone(&state),
        auth_seen,
        rows: false,
    };
    // The socket is read by a task of its own, which only wakes when the device sends
    // something: when thousands of connections are woken for one live change, none of them
    // tries a read of its socket as well (each attempt readies a read buffer and re-registers
    // with the reactor). One frame at a time, so a device that sends faster than it is served
    // is held back by TCP as before (at most one frame waits here, one in the reader's hands:
    // two frames of up to MAX_FRAME_BYTES each, where the socket held one part-read before).
    let (frames_in, mut frames) = tokio::sync::mpsc::channel(1);
    let reading = tokio::spawn(async move {
        while let Some(frame) = stream.next().await {
            if frames_in.send(frame).await.is_err() {
                break;
            }
        }
    });
    let _stop_reading = sql::AbortOnDrop(reading);
    match serve_connection(&mut conn, &mut frames, &state).await {
        Ok(()) | Err(Stop::Closed) => {}
        Err(Stop::Db(e)) => {
            let _ = conn.error("server_error", e.to_string(), true).await;
            eprintln!("sync-server: connection of device {} ended: {e}", conn.who.device_id);
        }
    }
    // The closing handshake, for a little while at most: the close frame, then read on (and
    // drop) what the device still sends until its own close. A device still writing to a
    // socket closed under it fails before it reads what it was sent — the error saying why
    // the connection ended, above all. The database reader goes at once.
    let Conn { mut sink, reader, .. } = conn;
    drop(reader);
    let closing = async move {
        let _ = sink.close().await;
        while frames.recv().await.is_some() {}
    };
    let _ = tokio::time::timeout(CLOSE_LINGER, closing).await;
}

async fn serve_connection(
    conn: &mut Conn,
    frames: &mut tokio::sync::mpsc::Receiver<Result<Message, axum::Error>>,
    state: &Arc<AppState>,
) -> Result<(), Stop> {
    let mut latest = state.latest.subscribe();
    let mut auth = state.auth.subscribe();
    auth.mark_unchanged();
    let mut restored = state.epoch.subscribe();
    restored.mark_unchanged();
    // Anything that changed between the check before the upgrade and subscribing.
    conn.recheck().await?;
    let expiry = tokio::time::sleep(until_expiry(conn.who.expires_at));
    tokio::pin!(expiry);
    let mut greeted = false;
    let mut repairs: HashMap<String, automerge::sync::State> = HashMap::new();
    // Whether the last push's ack had changes that wait (`Refused::waits`): a push sent ahead
    // of that ack may build on them, so all of it waits too (docs/protocol.md, *Push*).
    let mut waiting = false;
    let mut bad_frames = 0;
    // The first ping one period in: a ping at once only asks for a pong the device may be
    // too busy sending to read yet.
    let mut keepalive = tokio::time::interval_at(tokio::time::Instant::now() + KEEPALIVE, KEEPALIVE);
    let mut last_heard = Instant::now();
    loop {
        tokio::select! {
            // Polled in this order: the device's frames and the keep-alive before live changes,
            // so a stream of pushes by others cannot keep this device's own frames waiting.
            biased;
            changed = auth.changed() => {
                if changed.is_err() {
                    return Ok(());
                }
                // Revoked, disabled, or a new role or team: this connection follows at once.
                let before = conn.who.clone();
                conn.recheck().await?;
                expiry.as_mut().reset(tokio::time::Instant::now() + until_expiry(conn.who.expires_at));
                if conn.who != before && greeted {
                    // The `rescope` log entry that came with it re-scopes what was sent.
                    conn.catch_up(false).await?;
                }
            }
            _ = restored.changed() => {
                // The database was replaced by a backup: what this connection sent and was
                // acknowledged may be gone. The device reconnects and hears the new epoch.
                let message = "the server was restored from a backup; reconnect".to_string();
                conn.error("server_restored", message, true).await?;
                return Ok(());
            }
            () = &mut expiry => {
                return conn.refuse(AuthError::Expired).await;
            }
            frame = frames.recv() => {
                let Some(Ok(frame)) = frame else { return Ok(()) };
                last_heard = Instant::now();
                let bytes = match frame {
                    Message::Binary(b) => b,
                    Message::Close(_) => return Ok(()),
                    Message::Text(_) => {
                        bad_frames += 1;
                        if bad_frames > MAX_BAD_FRAMES {
                            conn.error("too_many_bad_frames", "messages are CBOR in binary frames".into(), true).await?;
                            return Ok(());
                        }
                        conn.error("text_frame", "messages are CBOR in binary frames".into(), false).await?;
                        continue;
                    }
                    _ => continue,
                };
                let msg = match decode::<ClientMsg>(&bytes) {
                    Ok(m) => m,
                    Err(e) => {
                        bad_frames += 1;
                        if bad_frames > MAX_BAD_FRAMES {
                            conn.error("too_many_bad_frames", e, true).await?;
                            return Ok(());
                        }
                        conn.error("bad_frame", e, false).await?;
                        continue;
                    }
                };
                match msg {
                    ClientMsg::Hello { protocol, cursor, epoch, read_models } => {
                        if protocol != PROTOCOL_VERSION {
                            let message = format!("this server speaks protocol {PROTOCOL_VERSION}, the client {protocol}; update the app");
                            conn.error("unsupported_protocol", message, true).await?;
                            return Ok(());
                        }
                        if greeted {
                            conn.error("hello_again", "one hello per connection; reconnect to start over".into(), true).await?;
                            return Ok(());
                        }
                        // The device as it stands now: nothing is sent on rights it has lost.
                        conn.recheck().await?;
                        greeted = true;
                        conn.rows = read_models.as_deref() == Some(crm_core::projection::version());
                        // A cursor from before a restore points into a log this server no
                        // longer has: start the device over and have it send its own edits.
                        let current = state.epoch.borrow().clone();
                        let resend_own = epoch.is_some_and(|e| e != current);
                        let welcome = ServerMsg::Welcome {
                            protocol: PROTOCOL_VERSION,
                            user_id: conn.who.user_id.clone(),
                            role: conn.who.role.as_str().to_string(),
                            epoch: current,
                            resend_own,
                        };
                        conn.send(welcome).await?;
                        // What is announced from here on is looked at after the catch-up, which
                        // may not reach it.
                        latest.mark_unchanged();
                        if cursor == 0 || resend_own {
                            conn.bootstrap().await?;
                        } else {
                            conn.cursor = cursor;
                        }
                        conn.catch_up(true).await?;
                    }
                    ClientMsg::Push { batch, changes, ahead } => {
                        if !greeted {
                            conn.error("hello_first", "send hello before pushing".into(), false).await?;
                            continue;
                        }
                        // Judged as the device stands now, even if the news of a revocation
                        // or a role change is still on its way to this loop.
                        if let Err(why) = conn.standing()? {
                            return conn.refuse(why).await;
                        }
                        if changes.len() > MAX_PUSH_CHANGES {
                            let message = format!("at most {MAX_PUSH_CHANGES} changes per push; this one had {}", changes.len());
                            conn.error("batch_too_large", message, false).await?;
                            continue;
                        }
                        if ahead && waiting {
                            let reason = "sent before the ack of a push whose changes wait; push again from the first that waits";
                            let refused = changes
                                .into_iter()
                                .map(|c| Refused { hash: String::new(), doc: c.doc, code: "deferred".into(), reason: reason.into(), params: None })
                                .collect();
                            conn.send(ServerMsg::Ack { batch, accepted: Vec::new(), refused }).await?;
                            continue;
                        }
                        let (accepted, refused) = state.push(conn.who.clone(), changes).await?;
                        waiting = refused.iter().any(Refused::waits);
                        conn.send(ServerMsg::Ack { batch, accepted, refused }).await?;
                        // The live round for what was just stored, now: a device that sends
                        // its next push ahead always has a frame waiting, which the loop takes
                        // first, and its cursor would fall behind the live tail for the whole
                        // upload and be caught up from the database at the end.
                        latest.mark_unchanged();
                        conn.catch_up(false).await?;
                    }
                    ClientMsg::Ping { n } => conn.send(ServerMsg::Pong { n }).await?,
                    ClientMsg::Repair { doc, message } => {
                        if !greeted {
                            conn.error("hello_first", "send hello before repairing".into(), false).await?;
                            continue;
                        }
                        if let Err(why) = conn.standing()? {
                            return conn.refuse(why).await;
                        }
                        if !repairs.contains_key(&doc) && repairs.len() >= MAX_REPAIRS {
                            let message = format!("at most {MAX_REPAIRS} documents under repair at once");
                            conn.error("too_many_repairs", message, false).await?;
                            continue;
                        }
                        let mut sync_state = repairs.remove(&doc).unwrap_or_default();
                        let who = conn.who.clone();
                        let id = doc.clone();
                        let result = state
                            .with_db(move |db| db.repair(&who, &mut sync_state, &id, &message).map(|r| (r, sync_state)))
                            .await;
                        let (RepairRound { reply, stored, accepted, refused }, sync_state) = match result {
                            Ok(ok) => ok,
                            Err(DbError::Invalid(e)) => {
                                conn.error("bad_repair", e, false).await?;
                                continue;
                            }
                            Err(e) => return Err(e.into()),
                        };
                        state.announce(&accepted);
                        let teams = conn.teams()?;
                        let gate = ReadGate::new(&conn.who, &teams);
                        // The reply describes the server's copy: only for someone who may read it.
                        let cleared = match stored {
                            None => Some(gate.absent(doc.clone(), reply)),
                            Some((kind, scope, granted)) => gate.admit(doc.clone(), kind, scope.as_deref(), granted, reply),
                        };
                        match cleared {
                            Some(reply) => {
                                if reply.value().is_some() {
                                    repairs.insert(doc, sync_state);
                                }
                                conn.send_out(Outgoing::Repair { reply, accepted, refused }).await?;
                            }
                            None => {
                                let message = "you may not read this record, so it cannot be repaired from this device".to_string();
                                conn.error("repair_forbidden", message, false).await?;
                                conn.send(ServerMsg::Repair { doc, message: None, accepted, refused }).await?;
                            }
                        }
                    }
                }
            }
            _ = keepalive.tick() => {
                if last_heard.elapsed() > IDLE_LIMIT {
                    return Ok(());
                }
                if greeted {
                    conn.nudge().await?;
                }
                if tokio::time::timeout(SEND_TIMEOUT, conn.sink.send(Message::Ping(Vec::new().into()))).await.map_or(true, |r| r.is_err()) {
                    return Ok(());
                }
            }
            changed = latest.changed(), if greeted => {
                if changed.is_err() {
                    return Ok(());
                }
                conn.catch_up(false).await?;
            }
        }
    }
}
