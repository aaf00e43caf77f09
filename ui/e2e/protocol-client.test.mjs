// A third-party client written only from docs/protocol.md: it signs in over HTTP, builds a
// customer document with the `@automerge/automerge` npm package following "Document layout",
// pushes it over the `/sync` WebSocket as CBOR, and the reference client (the `crm` command
// line, signed in as the supervisor) reads it back. A record that breaks the layout is refused.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as A from "@automerge/automerge";
import { decode, encode } from "cborg";
import WebSocket from "ws";
import { PASSWORDS, crm, startServer, stopAll, tmpDir } from "./harness.mjs";

const TIMEOUT = 15_000;
// A `str`, not `text` (`ImmutableString` since @automerge/automerge 3.0, `RawString` before).
const str = (s) => new A.ImmutableString(s);

let server;
before(async () => {
  server = await startServer({ customers: 0, devices: false });
});
after(() => stopAll());

/// A UUIDv7 (time-ordered), lower-case with hyphens, as *Ids* asks for new records.
function uuidv7() {
  const b = randomBytes(16);
  const ms = BigInt(Date.now());
  for (let i = 0; i < 6; i++) b[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/// `POST /api/login` with a fresh actor: 16 random bytes as hex.
async function login(username) {
  const actor = randomBytes(16).toString("hex");
  const response = await fetch(`${server.url}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password: PASSWORDS[username], device_name: "protocol-client.test", actor }),
  });
  const body = await response.json();
  assert.equal(response.status, 200, `login of ${username}: ${JSON.stringify(body)}`);
  return { ...body, actor };
}

/// `GET /sync` upgraded to a WebSocket with the bearer token. Every message is one binary
/// frame holding one CBOR map; `read` takes them in order.
async function connect(token) {
  const ws = new WebSocket(`${server.url.replace(/^http/, "ws")}/sync`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const inbox = [];
  let wake = () => {};
  ws.on("message", (data, isBinary) => {
    inbox.push(isBinary ? decode(new Uint8Array(data)) : { t: "<text frame>", text: String(data) });
    wake();
  });
  ws.on("close", () => wake());
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () =>
        reject(Object.assign(new Error(`/sync was not upgraded: ${res.statusCode} ${body}`), { status: res.statusCode, body })),
      );
    });
  });
  return {
    send(message) {
      ws.send(encode(message));
    },
    /// The messages up to and including the first one `until` accepts.
    async read(until, ms = TIMEOUT) {
      const deadline = Date.now() + ms;
      const taken = [];
      for (;;) {
        while (inbox.length) {
          const m = inbox.shift();
          taken.push(m);
          if (m.t === "error" && m.fatal) throw new Error(`fatal error from the server: ${m.code}: ${m.message}`);
          if (until(m)) return taken;
        }
        if (ws.readyState !== WebSocket.OPEN) throw new Error(`connection closed; read ${JSON.stringify(taken.map((m) => m.t))}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out; read ${JSON.stringify(taken.map((m) => m.t))}`);
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => (clearTimeout(timer), resolve());
        });
      }
    },
    close() {
      ws.close();
    },
  };
}

describe("a third-party client written from docs/protocol.md", { timeout: 120_000 }, () => {
  const NAME = "华东精密机械有限公司";
  const NOTES = "首次拜访，对方有意向。";
  let me;
  let conn;
  let cursor = 0;
  const id = uuidv7();
  let doc;
  let changes;
  let createdAt;
  let accepted;
  const badId = uuidv7();

  before(async () => {
    me = await login("wangfang");
  });
  after(() => conn?.close());

  test("without a valid token /sync answers JSON instead of upgrading", async () => {
    for (const [token, code] of [
      ["", "token_missing"],
      ["0".repeat(64), "token_invalid"],
    ]) {
      await assert.rejects(connect(token), (e) => e.status === 401 && JSON.parse(e.body).code === code);
    }
  });

  test("sign in, hello, bootstrap until caught_up", async () => {
    assert.match(me.token, /^[0-9a-f]{64}$/);
    assert.equal(me.role, "account_manager");
    assert.equal(me.display_name, "王芳");
    assert.ok(me.code_prefix, "a code_prefix");
    conn = await connect(me.token);
    conn.send({ t: "hello", protocol: 1, cursor: 0 });
    const messages = await conn.read((m) => m.t === "caught_up");
    const [welcome] = messages;
    assert.equal(welcome.t, "welcome", JSON.stringify(messages.map((m) => m.t)));
    assert.equal(welcome.protocol, 1);
    assert.equal(welcome.user_id, me.user_id);
    assert.equal(welcome.role, "account_manager");
    assert.equal(typeof welcome.epoch, "string");
    assert.equal(welcome.resend_own, false);
    // A fresh device gets every record it may read as snapshots: at least the server's `user`
    // record for every account, its own among them (same id as its user id).
    const snapshots = messages.filter((m) => m.t === "snapshots").flatMap((m) => m.docs);
    const own = snapshots.find((s) => s.doc === me.user_id);
    assert.ok(own, `my user record among ${snapshots.length} snapshots`);
    const user = A.load(own.bytes);
    assert.equal(String(user.kind), "user");
    assert.equal(String(user.username), "wangfang");
    assert.equal(String(user.role), "account_manager");
    for (const m of messages) if (m.cursor) cursor = m.cursor;
    assert.ok(cursor > 0, "the bootstrap moves the cursor");
  });

  // A new customer document as "Document layout" says: the root keys, then the containers
  // created with the record, then `fill`; one change by this user, dated now.
  function newCustomer(now, fill) {
    return A.change(A.init({ actor: me.actor }), { message: me.user_id, time: Math.floor(now / 1000) }, (d) => {
      d.kind = str("customer");
      d.schema = 1;
      d.created_at = new Date(now);
      d.created_by = str(me.user_id);
      d.tags = {};
      d.notes = "";
      d.custom_fields = {};
      fill(d);
    });
  }

  test("a customer built by the Document layout is accepted", async () => {
    const now = Date.now();
    createdAt = now;
    const options = { message: me.user_id, time: Math.floor(now / 1000) };
    doc = newCustomer(now, (d) => {
      d.code = str(`C-${me.code_prefix}-00001`);
      d.name = str(NAME);
      d.type = str("enterprise");
      d.grade = str("A");
      d.region = str("east");
      d.phones = [str("021-5555 0101")];
      d.email = str("sales@example.cn");
      d.owner = str(me.user_id);
      d.tags["重点"] = true;
      d.custom_fields["contract_no"] = str("HT-2025-001");
    });
    const create = A.getLastLocalChange(doc);
    // A later edit: notes spliced in place.
    doc = A.change(doc, options, (d) => A.splice(d, ["notes"], 0, 0, NOTES));
    const edit = A.getLastLocalChange(doc);
    changes = [create, edit];

    conn.send({ t: "push", batch: 1, changes: changes.map((bytes) => ({ doc: id, bytes })) });
    const messages = await conn.read((m) => m.t === "ack");
    const ack = messages.at(-1);
    assert.equal(ack.batch, 1);
    assert.deepEqual(ack.refused, [], `refused: ${JSON.stringify(ack.refused, null, 1)}`);
    assert.deepEqual(
      ack.accepted.map((a) => a.hash),
      changes.map((bytes) => A.decodeChange(bytes).hash),
    );
    const [s1, s2] = ack.accepted.map((a) => a.seq);
    assert.ok(cursor < s1 && s1 < s2, `seqs ${s1}, ${s2} after cursor ${cursor}`);
    accepted = ack.accepted;

    // Its own changes never come back, but they move the cursor.
    const live = [...messages, ...(await conn.read((m) => m.t === "caught_up" && m.cursor >= s2))];
    for (const m of live.filter((m) => m.t === "changes")) {
      assert.ok(!m.changes.some((c) => c.doc === id), "own changes are not sent back");
    }
    cursor = live.at(-1).cursor;
  });

  test("pushing an accepted change again is accepted with its original seq", async () => {
    conn.send({ t: "push", batch: 2, changes: [{ doc: id, bytes: changes[0] }] });
    const ack = (await conn.read((m) => m.t === "ack")).at(-1);
    assert.equal(ack.batch, 2);
    assert.deepEqual(ack.refused, []);
    assert.deepEqual(ack.accepted, [accepted[0]]);
  });

  test("a record that breaks the layout (name written as text) is refused: invalid_record", async () => {
    const bad = newCustomer(Date.now(), (d) => {
      d.name = "一个写成 Text 的名字"; // a plain JS string is Automerge `text`: wrong type
      d.owner = str(me.user_id);
    });
    const bytes = A.getLastLocalChange(bad);
    conn.send({ t: "push", batch: 3, changes: [{ doc: badId, bytes }] });
    const ack = (await conn.read((m) => m.t === "ack")).at(-1);
    assert.equal(ack.batch, 3);
    assert.deepEqual(ack.accepted, []);
    assert.equal(ack.refused.length, 1, JSON.stringify(ack));
    const [refusal] = ack.refused;
    assert.equal(refusal.code, "invalid_record", JSON.stringify(refusal));
    assert.equal(refusal.doc, badId);
    assert.equal(refusal.hash, A.decodeChange(bytes).hash);
    assert.match(refusal.reason, /\bname\b/, refusal.reason);
  });

  test("the supervisor's reference client reads the customer exactly as written", () => {
    const data = tmpDir("lili-cli");
    crm(data, ["login", server.url, "lili", "--device", "lili-cli"], { CRM_PASSWORD: PASSWORDS.lili });
    crm(data, ["sync"]);
    assert.match(crm(data, ["search", "精密机械"]), new RegExp(NAME));
    const record = JSON.parse(crm(data, ["call", JSON.stringify({ op: "get", id })]));
    assert.equal(record.type, "record", JSON.stringify(record));
    assert.equal(record.kind, "customer");
    assert.deepEqual(record.fields, {
      code: `C-${me.code_prefix}-00001`,
      name: NAME,
      type: "enterprise",
      grade: "A",
      region: "east",
      phones: ["021-5555 0101"],
      email: "sales@example.cn",
      owner: me.user_id,
      tags: ["重点"],
      notes: NOTES,
      custom_fields: { contract_no: "HT-2025-001" },
    });
    assert.equal(record.conflicts, undefined);
    assert.equal(record.extra, undefined);
    assert.equal(record.created_by, me.user_id);
    assert.equal(Date.parse(record.created_at), createdAt);
    assert.equal(record.names?.[me.user_id], "王芳");
    // The refused record never reached the server, so not the supervisor either.
    assert.throws(() => crm(data, ["call", JSON.stringify({ op: "get", id: badId })]), (e) => /not_found/.test(e.stdout));
  });
});
