//! Helpers shared by the integration tests: replicas in temporary directories, moving
//! changes between them, and a comparable dump of the read models.
#![allow(dead_code)]

use std::path::PathBuf;

use crm_core::store::IncomingChange;
use crm_core::{Request, Response, Store};
use serde_json::{json, Value as Json};

pub struct Replica {
    pub store: Store,
    pub dir: tempfile::TempDir,
    pub user_id: String,
}

impl Replica {
    /// A fresh store whose current user is `user_id` named `name`.
    pub fn new(user_id: &str, name: &str, role: &str) -> Replica {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut store = Store::open(dir.path().join("crm.sqlite3")).expect("open store");
        store.set_identity(user_id, name, role, None).expect("identity");
        Replica { store, dir, user_id: user_id.to_string() }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("crm.sqlite3")
    }

    /// Send a JSON request; panic with the error if it fails.
    pub fn call(&mut self, request: Json) -> Json {
        let req: Request = serde_json::from_value(request.clone()).expect("request shape");
        let resp = self.store.handle(req);
        let out = serde_json::to_value(&resp).expect("response json");
        if let Response::Error { .. } = resp {
            panic!("request {request} failed: {out}");
        }
        out
    }

    /// Send a JSON request and return the response, error or not.
    pub fn try_call(&mut self, request: Json) -> Json {
        let req: Request = serde_json::from_value(request).expect("request shape");
        serde_json::to_value(self.store.handle(req)).expect("response json")
    }

    pub fn create(&mut self, kind: &str, fields: Json) -> String {
        let out = self.call(json!({"op": "create", "kind": kind, "fields": fields, "allow_duplicate": true}));
        out["id"].as_str().expect("created id").to_string()
    }

    pub fn update(&mut self, id: &str, fields: Json) -> Json {
        self.call(json!({"op": "update", "id": id, "fields": fields}))
    }

    pub fn get(&mut self, id: &str) -> Json {
        self.call(json!({"op": "get", "id": id}))
    }

    /// Every change of every document this replica has.
    pub fn all_changes(&mut self) -> Vec<IncomingChange> {
        let ids = doc_ids(&self.store);
        let mut out = Vec::new();
        for id in ids {
            for bytes in self.store.changes_of(&id).expect("changes") {
                out.push(IncomingChange { doc_id: id.clone(), bytes });
            }
        }
        out
    }

    /// The local changes waiting to be sent.
    pub fn outbox(&self) -> Vec<IncomingChange> {
        self.store
            .outbox(1_000_000)
            .expect("outbox")
            .into_iter()
            .map(|e| IncomingChange { doc_id: e.doc_id, bytes: e.bytes })
            .collect()
    }
}

pub fn user_id(n: u8) -> String {
    format!("00000000-0000-7000-8000-0000000000{n:02x}")
}

/// Send everything `from` has to `to`.
pub fn send(from: &mut Replica, to: &mut Replica) {
    let changes = from.all_changes();
    to.store.apply_changes(changes).expect("apply");
}

pub fn doc_ids(store: &Store) -> Vec<String> {
    let conn = store.connection();
    let mut stmt = conn.prepare("SELECT id FROM docs ORDER BY id").expect("prepare");
    let ids = stmt.query_map([], |r| r.get(0)).expect("query").collect::<Result<Vec<String>, _>>().expect("rows");
    ids
}

/// A text dump of every read model, independent of insertion order.
pub fn dump_read_models(store: &Store) -> String {
    crm_core::projection::dump(store.connection()).expect("dump")
}

/// Heads of every document, for comparing replicas.
pub fn all_heads(store: &mut Store) -> Vec<(String, String)> {
    doc_ids(store)
        .into_iter()
        .map(|id| {
            let view = serde_json::to_string(&store.get(&id).map(|v| v.fields).ok()).expect("json");
            (id, view)
        })
        .collect()
}

/// The `crm` command line on the data directory `dir`.
pub fn crm(dir: &std::path::Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_crm"));
    cmd.args(["--data", dir.to_str().expect("utf-8 path")]);
    cmd
}

/// A small seeded generator (xorshift64*): the seed is printed so a failure can be replayed
/// with `CRM_SEED=…`.
pub struct Rng(u64);

impl Rng {
    pub fn seeded(test: &str) -> Rng {
        let seed = std::env::var("CRM_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64) | 1
        });
        println!("{test}: CRM_SEED={seed}");
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: u64) -> i64 {
        (self.next() % n) as i64
    }
}
