//! The admin HTTP API and export against a real server over loopback HTTP: each operation, the
//! audit log it leaves, and hostile requests (no token, a salesperson's token, bad JSON, a role
//! that does not exist) refused with a clear code.

#![allow(clippy::unwrap_used)]

use crm_tests::wire::token_of;
use crm_tests::{Device, TestServer};
use serde_json::{json, Value as Json};

struct Http {
    agent: ureq::Agent,
    base: String,
}

impl Http {
    fn new(server: &TestServer) -> Http {
        Http { agent: ureq::Agent::config_builder().http_status_as_error(false).build().into(), base: server.url() }
    }

    fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<&str>) -> (u16, Vec<u8>) {
        let url = format!("{}{path}", self.base);
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut resp = match (method, body) {
            ("GET", _) => {
                let mut r = self.agent.get(&url);
                if let Some(a) = &auth {
                    r = r.header("authorization", a);
                }
                r.call()
            }
            (m, b) => {
                let mut r = match m {
                    "POST" => self.agent.post(&url),
                    "PATCH" => self.agent.patch(&url),
                    _ => self.agent.put(&url),
                };
                if let Some(a) = &auth {
                    r = r.header("authorization", a);
                }
                r.header("content-type", "application/json").send(b.unwrap_or("").as_bytes())
            }
        }
        .unwrap();
        (resp.status().as_u16(), resp.body_mut().with_config().limit(100 << 20).read_to_vec().unwrap())
    }

    fn json(&self, method: &str, path: &str, token: Option<&str>, body: Option<Json>) -> (u16, Json) {
        let body = body.map(|b| b.to_string());
        let (status, bytes) = self.call(method, path, token, body.as_deref());
        (status, serde_json::from_slice(&bytes).unwrap_or(Json::Null))
    }
}

fn audit(http: &Http, token: &str, query: &str) -> Vec<Json> {
    let (status, body) = http.json("GET", &format!("/api/admin/audit?{query}"), Some(token), None);
    assert_eq!(status, 200, "{body}");
    body["entries"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_manages_accounts_and_devices_over_http_and_every_step_is_audited() {
    let server = TestServer::start();
    let [root, ann] = server.people([("root", "admin", None), ("ann", "account_manager", Some("east"))]).await;
    let http = Http::new(&server);
    let admin = token_of(&root);
    let sales = token_of(&ann);

    // Hostile and mistaken requests.
    assert_eq!(http.json("GET", "/api/admin/users", None, None).0, 401);
    assert_eq!(http.json("GET", "/api/admin/users", Some("not-a-token"), None).0, 401);
    let (status, body) = http.json("GET", "/api/admin/users", Some(&sales), None);
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")), "{body}");
    let (status, bytes) = http.call("POST", "/api/admin/users", Some(&admin), Some("{not json"));
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&bytes));
    let (status, body) = http.json(
        "POST",
        "/api/admin/users",
        Some(&admin),
        Some(json!({"username": "eve", "role": "overlord", "password": "long-enough-1"})),
    );
    assert_eq!((status, body["code"].as_str()), (400, Some("unknown_role")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("account_manager"), "names the roles: {body}");
    let (status, body) = http.json("PATCH", "/api/admin/users/ann", Some(&admin), Some(json!({"role": "emperor"})));
    assert_eq!(status, 400, "{body}");
    let (status, body) = http.json("PATCH", "/api/admin/users/nobody", Some(&admin), Some(json!({"disabled": true})));
    assert_eq!((status, body["code"].as_str()), (404, Some("no_such_user")), "{body}");
    let (status, body) = http.json(
        "POST",
        "/api/admin/users",
        Some(&admin),
        Some(json!({"username": "ann", "role": "viewer", "password": "long-enough-1"})),
    );
    assert_eq!((status, body["code"].as_str()), (409, Some("username_taken")), "{body}");
    let (status, body) = http.json(
        "POST",
        "/api/admin/users",
        Some(&admin),
        Some(json!({"username": "two words", "role": "viewer", "password": "long-enough-1"})),
    );
    assert_eq!((status, body["code"].as_str()), (400, Some("invalid_username")), "{body}");
    let (status, body) = http.json("GET", "/api/admin/nothing-here", Some(&admin), None);
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("not_found")),
        "an unknown path answers in JSON too: {body}"
    );
    // Nobody locks the company out: not their own account or device, not the last admin.
    let (status, body) = http.json("PATCH", "/api/admin/users/root", Some(&admin), Some(json!({"disabled": true})));
    assert_eq!((status, body["code"].as_str()), (400, Some("own_account")), "{body}");
    let (status, body) = http.json("PATCH", "/api/admin/users/root", Some(&admin), Some(json!({"role": "viewer"})));
    assert_eq!((status, body["code"].as_str()), (400, Some("last_admin")), "{body}");
    let own_device = root.engine.store().meta("device_id").unwrap().unwrap();
    let (status, body) = http.json("POST", &format!("/api/admin/devices/{own_device}/revoke"), Some(&admin), None);
    assert_eq!((status, body["code"].as_str()), (400, Some("own_device")), "{body}");

    // Create a user, who can then sign in.
    let (status, body) = http.json(
        "POST",
        "/api/admin/users",
        Some(&admin),
        Some(json!({"username": "bob", "display_name": "王博", "role": "account_manager", "team": "east", "password": "bob-password-1"})),
    );
    assert_eq!(status, 201, "{body}");
    let bob_id = body["id"].as_str().unwrap().to_string();
    let bob = Device::login_with(&server, "bob", "bob-password-1").await;
    assert_eq!(bob.user_id, bob_id);
    let (_, users) = http.json("GET", "/api/admin/users", Some(&admin), None);
    let listed = users["users"].as_array().unwrap().iter().find(|u| u["username"] == "bob").cloned().unwrap();
    assert_eq!((listed["display_name"].as_str(), listed["team"].as_str()), (Some("王博"), Some("east")));

    // Renamed on an admin's device (the user record), the account list follows.
    root.sync().await.unwrap();
    root.call(json!({"op": "update", "id": bob_id, "fields": {"display_name": "王博士", "department": "华东销售部"}}));
    root.sync().await.unwrap();
    let (_, users) = http.json("GET", "/api/admin/users", Some(&admin), None);
    let listed = users["users"].as_array().unwrap().iter().find(|u| u["username"] == "bob").cloned().unwrap();
    assert_eq!(listed["display_name"], "王博士");

    // Role and team, then out of the team (null), then disabled: a disabled account cannot sign in.
    let (status, body) =
        http.json("PATCH", "/api/admin/users/bob", Some(&admin), Some(json!({"role": "supervisor", "team": "west"})));
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["user"]["role"].as_str(), body["user"]["team"].as_str()), (Some("supervisor"), Some("west")));
    let (_, body) = http.json("PATCH", "/api/admin/users/bob", Some(&admin), Some(json!({"team": null})));
    assert_eq!(body["user"]["team"], Json::Null);
    let (status, _) = http.json("PATCH", "/api/admin/users/bob", Some(&admin), Some(json!({"disabled": true})));
    assert_eq!(status, 200);
    assert!(Device::try_login(&server, "bob", "bob-password-1").await.is_err(), "a disabled account cannot sign in");
    http.json("PATCH", "/api/admin/users/bob", Some(&admin), Some(json!({"disabled": false})));
    let (status, _) =
        http.json("PUT", "/api/admin/users/bob/password", Some(&admin), Some(json!({"password": "short"})));
    assert_eq!(status, 400, "a short password is refused");
    let (_, body) = http.json("PUT", "/api/admin/users/bob/password", Some(&admin), Some(json!({"password": "short"})));
    assert_eq!(body["code"], "weak_password");
    let (status, _) =
        http.json("PUT", "/api/admin/users/bob/password", Some(&admin), Some(json!({"password": "new-password-2"})));
    assert_eq!(status, 204);
    assert!(Device::try_login(&server, "bob", "bob-password-1").await.is_err());
    let bob2 = Device::login_with(&server, "bob", "new-password-2").await;

    // Devices: listed with when they were last seen; a revoked one can no longer sync.
    let (_, devices) = http.json("GET", "/api/admin/devices", Some(&admin), None);
    let devices = devices["devices"].as_array().unwrap().clone();
    assert!(devices.len() >= 4, "{devices:?}");
    let bobs = devices.iter().filter(|d| d["username"] == "bob").count();
    assert_eq!(bobs, 2);
    let device_id = bob2.engine.store().meta("device_id").unwrap().unwrap();
    let (status, _) = http.json("POST", &format!("/api/admin/devices/{device_id}/revoke"), Some(&admin), None);
    assert_eq!(status, 204);
    assert!(bob2.sync().await.is_err(), "a revoked device is refused");
    let (status, body) = http.json("POST", &format!("/api/admin/devices/{device_id}/revoke"), Some(&admin), None);
    assert_eq!((status, body["code"].as_str()), (404, Some("no_such_device")), "revoking twice says so: {body}");

    // The audit log: each step, by whom, searchable by action and actor.
    let added = audit(&http, &admin, "action=user_added");
    assert!(
        added.iter().any(|e| e["target"] == "bob" && e["detail"]["id"] == bob_id.as_str() && e["actor_name"] == "root"),
        "{added:?}"
    );
    let changed = audit(&http, &admin, "action=user_changed");
    assert_eq!(changed[0]["detail"]["team"], json!(["west", null]), "{changed:?}");
    assert_eq!(audit(&http, &admin, "action=password_reset").len(), 1);
    let revoked = audit(&http, &admin, "action=device_revoked");
    assert_eq!(revoked[0]["target"], device_id.as_str());
    assert!(revoked[0]["address"].as_str().is_some_and(|a| a.starts_with("127.")), "{revoked:?}");
    let failed = audit(&http, &admin, "action=login_failed");
    assert!(failed.len() >= 2 && failed.iter().all(|e| e["target"] == "bob"), "{failed:?}");
    let logins = audit(&http, &admin, "action=login&actor=bob");
    assert_eq!(logins.len(), 2, "{logins:?}");
    let (status, body) = http.json("GET", "/api/admin/audit?action=teleport", Some(&admin), None);
    assert_eq!(status, 400, "{body}");
    let (status, _) = http.json("GET", "/api/admin/audit", Some(&sales), None);
    assert_eq!(status, 403);
    let page = http.json("GET", "/api/admin/audit?limit=2", Some(&admin), None).1;
    let next = page["next"].as_i64().unwrap();
    let rest = http.json("GET", &format!("/api/admin/audit?limit=2&before={next}"), Some(&admin), None).1;
    assert!(rest["entries"][0]["id"].as_i64().unwrap() < next);
    drop(bob);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_export_is_the_admins_alone_and_every_export_is_logged() {
    let server = TestServer::start();
    let [root, ann] = server.people([("root", "admin", None), ("ann", "account_manager", Some("east"))]).await;
    for name in ["杭州西湖茶业", "宁波港联物流", "温州鞋业"] {
        ann.create("customer", json!({"name": name, "phones": ["0571-88885678"], "grade": "A"}));
    }
    ann.sync().await.unwrap();
    let http = Http::new(&server);
    let (admin, sales) = (token_of(&root), token_of(&ann));

    let (status, bytes) = http.call("GET", "/api/export?kind=customer", Some(&sales), None);
    assert_eq!(status, 403, "{}", String::from_utf8_lossy(&bytes));
    let refused = audit(&http, &admin, "action=export_refused");
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0]["actor_name"], "ann");

    let (status, bytes) = http.call("GET", "/api/export?kind=customer&format=xlsx", Some(&admin), None);
    assert_eq!(status, 200);
    let sheet = crm_core::sheet::read("export.xlsx", &bytes).unwrap();
    assert_eq!(sheet.rows.len(), 3);
    let col = |name: &str| sheet.headers.iter().position(|h| h == name).unwrap();
    let mut names: Vec<&str> = sheet.rows.iter().map(|r| r[col("name")].as_str()).collect();
    names.sort();
    assert_eq!(names, ["宁波港联物流", "杭州西湖茶业", "温州鞋业"]);
    assert!(sheet.rows.iter().all(|r| r[col("owner")] == "ann"), "owners as usernames, as import reads them");
    let exports = audit(&http, &admin, "action=export");
    assert_eq!(exports[0]["detail"], json!({"rows": 3, "format": "xlsx"}));

    // What was exported imports again on another device, unchanged.
    let (status, csv) = http.call("GET", "/api/export?kind=customer&format=csv", Some(&admin), None);
    assert_eq!(status, 200);
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "a byte-order mark, so Excel reads the Chinese");
    root.sync().await.unwrap();
    let preview = root.call(json!({"op": "import_preview", "kind": "customer", "name": "x.csv",
        "data": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &csv), "keys": ["name"]}));
    assert_eq!(preview["counts"]["reject"], 0, "{preview}");
    assert_eq!(preview["counts"]["skip"], 3, "the same customers, found by name: {preview}");

    let (status, body) = http.json("GET", "/api/export?kind=spaceship", Some(&admin), None);
    assert_eq!((status, body["code"].as_str()), (400, Some("unknown_kind")));
    let (status, _) = http.json("GET", "/api/export?format=pdf", Some(&admin), None);
    assert_eq!(status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_makes_lists_and_downloads_backups() {
    let server = TestServer::start();
    let [root, ann] = server.people([("root", "admin", None), ("ann", "account_manager", Some("east"))]).await;
    let http = Http::new(&server);
    let admin = token_of(&root);
    if crm_tests::pg::enabled() {
        // The server's backups are copies of its SQLite file: on PostgreSQL each route says
        // to use PostgreSQL's own, and makes nothing.
        for (method, path) in [
            ("POST", "/api/admin/backups"),
            ("GET", "/api/admin/backups"),
            ("GET", "/api/admin/backups/x.sqlite3"),
            ("POST", "/api/admin/backups/x.sqlite3/restore"),
        ] {
            let (status, body) = http.json(method, path, Some(&admin), Some(json!({"confirm": "x.sqlite3"})));
            assert_eq!((status, body["code"].as_str()), (400, Some("not_on_postgres")), "{method} {path}: {body}");
            assert!(body["message"].as_str().unwrap().contains("pg_dump"));
        }
        assert!(!server.db_path.with_file_name("backups").exists(), "no stray SQLite copy");
        return;
    }
    let (status, made) = http.json("POST", "/api/admin/backups", Some(&admin), None);
    assert_eq!(status, 201, "{made}");
    let name = made["name"].as_str().unwrap().to_string();
    let (_, list) = http.json("GET", "/api/admin/backups", Some(&admin), None);
    assert_eq!(list["backups"][0]["name"], name.as_str());
    let (status, bytes) = http.call("GET", &format!("/api/admin/backups/{name}"), Some(&admin), None);
    assert_eq!(status, 200);
    assert!(bytes.starts_with(b"SQLite format 3\0"));
    assert_eq!(Some(bytes.len() as u64), list["backups"][0]["bytes"].as_u64(), "the whole file, streamed");
    let (status, _) = http.call("GET", "/api/admin/backups/..%2Fserver.sqlite3", Some(&admin), None);
    assert!(status == 400 || status == 404, "no way out of the backup folder: {status}");
    let (status, _) = http.call("POST", "/api/admin/backups", Some(&token_of(&ann)), None);
    assert_eq!(status, 403);
    assert_eq!(audit(&http, &admin, "action=backup")[0]["target"], name.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_reaches_the_admin_api_through_its_own_sign_in() {
    let server = TestServer::start();
    let [root, ann] = server.people([("root", "admin", None), ("ann", "account_manager", Some("east"))]).await;
    ann.create("customer", json!({"name": "嘉兴粽子"}));
    ann.sync().await.unwrap();
    let users = root.call(json!({"op": "server", "method": "GET", "path": "/api/admin/users"}));
    assert_eq!(users["status"], 200, "{users}");
    assert_eq!(users["body"]["users"].as_array().unwrap().len(), 2);
    let made = root.call(json!({"op": "server", "method": "POST", "path": "/api/admin/users",
        "body": {"username": "cat", "role": "viewer", "password": "cat-password-1"}}));
    assert_eq!(made["status"], 201, "{made}");
    let file = root.call(json!({"op": "server", "method": "GET", "path": "/api/export?kind=customer&format=csv"}));
    assert_eq!(file["status"], 200);
    assert!(file["file"]["name"].as_str().unwrap().ends_with(".csv"), "{file}");
    let csv =
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, file["file"]["data"].as_str().unwrap())
            .unwrap();
    assert!(String::from_utf8_lossy(&csv).contains("嘉兴粽子"));
    let refused = ann.call(json!({"op": "server", "method": "GET", "path": "/api/export"}));
    assert_eq!((refused["status"].as_u64(), refused["body"]["code"].as_str()), (Some(403), Some("forbidden")));
    let outside = ann.try_call(json!({"op": "server", "method": "GET", "path": "/sync"}));
    assert_eq!(outside["code"], "bad_request", "only administration and export paths: {outside}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dictionary_code_in_use_is_never_deleted() {
    use crm_core::document::RecordDoc;
    use crm_tests::wire::{connect, hello, push_one};
    let server = TestServer::start();
    let [root, ann] = server.people([("root", "admin", None), ("ann", "account_manager", Some("east"))]).await;
    let entry = root.create(
        "dict_entry",
        json!({"dict": "industry", "code": "robotics", "label_zh": "机器人", "label_en": "Robotics"}),
    );
    root.sync().await.unwrap();
    ann.sync().await.unwrap();
    let customer = ann.create("customer", json!({"name": "苏州机器人", "industry": "robotics"}));
    ann.sync().await.unwrap();
    root.sync().await.unwrap();

    let refused = root.try_call(json!({"op": "delete", "id": entry}));
    assert_eq!(refused["code"], "dictionary_code_in_use", "{refused}");
    assert_eq!(refused["params"]["records"], 1);

    // A client that deletes it anyway is refused by the server.
    let (actor, changes) = {
        let mut store = root.engine.store();
        let actor = automerge::ActorId::from(crm_core::store::hex_decode(&store.identity().actor).unwrap());
        (actor, store.changes_of(&entry).unwrap())
    };
    let mut doc = RecordDoc::load(&[], changes).unwrap();
    doc.set_actor(&actor);
    doc.set_deleted(Some(crm_core::value::now_ms())).unwrap();
    let delete = doc.commit(&root.user_id, crm_core::value::now_ms() / 1000).unwrap().bytes().into_owned();
    let mut ws = connect(&server, Some(&token_of(&root))).await.unwrap();
    hello(&mut ws).await;
    let verdict = push_one(&mut ws, &entry, delete).await;
    assert_eq!(verdict[0].0, "invalid_record", "{verdict:?}");
    assert!(verdict[0].1.contains("dictionary_code_in_use"), "{verdict:?}");

    // Once nothing uses it, it may go; deactivating is always allowed.
    root.call(json!({"op": "update", "id": entry, "fields": {"active": false}}));
    ann.call(json!({"op": "delete", "id": customer}));
    ann.sync().await.unwrap();
    root.sync().await.unwrap();
    root.call(json!({"op": "delete", "id": entry}));
    root.sync().await.unwrap();
    assert!(root.rejected().is_empty(), "{:?}", root.rejected());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_restores_a_backup_while_the_server_runs_and_devices_send_back_what_it_lost() {
    if crm_tests::skip_on_postgres("a server backup") {
        return;
    }
    use crm_core::sync::protocol::ServerMsg;
    use crm_tests::wire::{connect, hello, next};
    let server = TestServer::start();
    let [root, ann] = server.people([("root", "admin", None), ("ann", "account_manager", Some("east"))]).await;
    let http = Http::new(&server);
    let admin = token_of(&root);
    let before = ann.create("customer", json!({"name": "备份前的客户"}));
    ann.sync().await.unwrap();
    let (_, made) = http.json("POST", "/api/admin/backups", Some(&admin), None);
    let name = made["name"].as_str().unwrap().to_string();
    let after = ann.create("customer", json!({"name": "备份后的客户"}));
    ann.sync().await.unwrap();
    let mut watching = connect(&server, Some(&admin)).await.unwrap();
    hello(&mut watching).await;

    // Refused: not an admin, no confirmation, the wrong one, a backup that is not there.
    let path = format!("/api/admin/backups/{name}/restore");
    let (status, _) = http.json("POST", &path, Some(&token_of(&ann)), Some(json!({"confirm": name})));
    assert_eq!(status, 403);
    let (status, body) = http.json("POST", &path, Some(&admin), Some(json!({"confirm": "yes"})));
    assert_eq!((status, body["code"].as_str()), (400, Some("confirm_mismatch")), "{body}");
    assert!(body["message"].as_str().unwrap().contains(&name), "the message says what to send: {body}");
    let (status, _) = http.json("POST", &path, Some(&admin), None);
    assert_eq!(status, 400);
    let missing = "/api/admin/backups/field-crm-19990101.sqlite3/restore";
    let (status, _) = http.json("POST", missing, Some(&admin), Some(json!({"confirm": "field-crm-19990101.sqlite3"})));
    assert_eq!(status, 404);
    assert!(
        server
            .db()
            .connection()
            .query_row("SELECT COUNT(*) FROM docs WHERE id = ?", [&after], |r| r.get::<i64>(0))
            .unwrap()
            == 1
    );

    let (status, done) = http.json("POST", &path, Some(&admin), Some(json!({"confirm": name})));
    assert_eq!(status, 200, "{done}");
    let kept = done["kept"].as_str().unwrap();
    // Open connections end, told why.
    let mut told = None;
    while let Some(msg) = next(&mut watching).await {
        if let ServerMsg::Error { code, fatal, .. } = msg {
            told = Some((code, fatal));
            break;
        }
    }
    assert_eq!(told, Some(("server_restored".to_string(), true)));
    // The server holds what the backup held: the later customer is gone from it...
    let count = |id: &str| -> i64 {
        server.db().connection().query_row("SELECT COUNT(*) FROM docs WHERE id = ?", [id], |r| r.get(0)).unwrap()
    };
    assert_eq!((count(&before), count(&after)), (1, 0));
    // ...until the device that made it reconnects under the new epoch and sends it again.
    ann.sync().await.unwrap();
    assert_eq!(count(&after), 1, "the device re-sent its own edit");
    root.sync().await.unwrap();
    assert_eq!(root.get(&after)["fields"]["name"], "备份后的客户");
    // The state before the restore was kept as a backup, and the restore is in the audit log.
    let (_, list) = http.json("GET", "/api/admin/backups", Some(&admin), None);
    assert!(list["backups"].as_array().unwrap().iter().any(|b| b["name"] == kept), "{list}");
    let restores = audit(&http, &admin, "action=restore");
    assert_eq!(
        (restores[0]["target"].as_str(), restores[0]["actor_name"].as_str()),
        (Some(name.as_str()), Some("root"))
    );
    assert_eq!(restores[0]["detail"]["kept"], kept, "the restore names the copy kept of the state before");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_field_an_admin_defines_reaches_every_device_and_holds_them_to_it() {
    let server = TestServer::start();
    let [root, ann] = server.people([("root", "admin", None), ("ann", "account_manager", Some("east"))]).await;
    let field = root.create(
        "custom_field",
        json!({"of_kind": "customer", "key": "shop_area", "label_zh": "门店面积", "type": "number", "required": true}),
    );
    root.sync().await.unwrap();
    assert!(root.rejected().is_empty(), "the server took the definition: {:?}", root.rejected());
    ann.sync().await.unwrap();
    let fields = ann.call(json!({"op": "custom_fields", "kind": "customer"}));
    assert_eq!(fields["fields"][0]["id"], field.as_str(), "{fields}");
    assert_eq!(fields["fields"][0]["label_zh"], "门店面积");
    let refused = ann.try_call(json!({"op": "create", "kind": "customer", "fields": {"name": "没有面积"}}));
    assert_eq!(refused["params"]["errors"][0]["field"], "custom_fields.shop_area", "{refused}");
    let id = ann.create("customer", json!({"name": "有面积", "custom_fields": {"shop_area": "120"}}));
    ann.sync().await.unwrap();
    root.sync().await.unwrap();
    assert_eq!(root.get(&id)["fields"]["custom_fields"]["shop_area"], "120");
    // The server's bulk export has it as a column, as a device's export does.
    let http = Http::new(&server);
    let (status, csv) = http.call("GET", "/api/export?kind=customer&format=csv", Some(&token_of(&root)), None);
    assert_eq!(status, 200);
    let sheet = crm_core::sheet::read("export.csv", &csv).unwrap();
    let col = sheet.headers.iter().position(|h| h == "custom_fields.shop_area");
    let col = col.unwrap_or_else(|| panic!("no custom column in {:?}", sheet.headers));
    assert_eq!(sheet.rows.iter().map(|r| r[col].as_str()).collect::<Vec<_>>(), ["120"]);
    // A salesperson cannot define one: the server refuses it as it refuses any reference data.
    assert_eq!(
        ann.try_call(json!({"op": "create", "kind": "custom_field",
        "fields": {"of_kind": "customer", "key": "x", "label_zh": "x"}}))["code"],
        "forbidden"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_and_reverts_made_on_a_device_reach_the_audit_log_when_it_connects() {
    use base64::Engine;
    let server = TestServer::start();
    let [root, ann] = server.people([("root", "admin", None), ("ann", "account_manager", Some("east"))]).await;
    let http = Http::new(&server);
    let admin = token_of(&root);
    let csv =
        base64::engine::general_purpose::STANDARD.encode("客户名称,电话\n甲公司,0571-88880001\n乙公司,0571-88880002\n");
    let batch = ann.call(json!({"op": "import_run", "name": "客户.csv", "data": csv, "kind": "customer"}))["batch"]
        ["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(audit(&http, &admin, "action=import").is_empty(), "nothing reaches the log before the device connects");
    ann.sync().await.unwrap();
    let imports = audit(&http, &admin, "action=import");
    assert_eq!(imports.len(), 1, "{imports:?}");
    assert_eq!((imports[0]["target"].as_str(), imports[0]["actor_name"].as_str()), (Some(batch.as_str()), Some("ann")));
    assert_eq!(
        (imports[0]["detail"]["created"].as_i64(), imports[0]["detail"]["file_name"].as_str()),
        (Some(2), Some("客户.csv"))
    );
    ann.call(json!({"op": "import_revert", "batch": batch}));
    ann.sync().await.unwrap();
    ann.sync().await.unwrap();
    let reverts = audit(&http, &admin, "action=import_revert");
    assert_eq!(reverts.len(), 1, "sent once: {reverts:?}");
    assert_eq!(reverts[0]["detail"]["deleted"], 2);
    // An admin's export of a filtered list on their device is logged the same way.
    root.sync().await.unwrap();
    root.call(json!({"op": "export", "kind": "customer", "format": "csv", "filter": {"name": "甲公司"}}));
    root.sync().await.unwrap();
    let exports = audit(&http, &admin, "action=export");
    assert_eq!(exports.len(), 1, "{exports:?}");
    assert_eq!(
        (exports[0]["detail"]["rows"].as_i64(), exports[0]["detail"]["on_device"].as_bool()),
        (Some(0), Some(true)),
        "the reverted import left nothing to export: {exports:?}"
    );
    // A device reports only what happens on devices.
    let (status, body) = http.json(
        "POST",
        "/api/audit",
        Some(&token_of(&ann)),
        Some(json!({"events": [{"action": "restore", "target": "x"}]})),
    );
    assert_eq!((status, body["code"].as_str()), (400, Some("unknown_action")), "{body}");
    let (status, _) = http.json("POST", "/api/audit", None, Some(json!({"events": []})));
    assert_eq!(status, 401);
}

#[test]
fn the_audit_search_finds_text_beyond_ascii_alike_on_both_stores() {
    use sync_server::audit::{record, search, Actor, Query};
    let server = TestServer::start();
    let db = server.db();
    record(db.connection(), &Actor::cli(), "user.add", Some("Émile"), json!({"note": "王五 Zhang"})).unwrap();
    let found = |q: &str| {
        let query = Query { q: Some(q.into()), ..Query::default() };
        search(db.connection(), &query).unwrap().0.iter().filter(|e| e.target.as_deref() == Some("Émile")).count()
    };
    // ASCII letters in any case; other letters as written (on PostgreSQL too, whose text is
    // compared byte by byte).
    for q in ["Émile", "ÉMILE", "mile", "王五", "zhang"] {
        assert_eq!(found(q), 1, "{q}");
    }
    assert_eq!(found("émile"), 0, "letters beyond ASCII are not folded, on either store");
}
