// The README's start command, run as a person would (with the suite's debug binaries): the
// product comes up signed in; stopping the sync server leaves the app running and offline,
// edits made then are kept; starting the server again reconnects and sends them; Ctrl-C
// stops everything.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { BIN, dispatch, freePort, tmpDir } from "./harness.mjs";

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const spawned = [];
after(() => {
  for (const child of spawned) if (child.exitCode === null) child.kill("SIGKILL");
});

async function waitFor(what, check, ms = 60000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test("start.sh keeps the app running, offline, while the sync server is stopped", { timeout: 300000 }, async () => {
  const home = tmpDir("start");
  const listen = `127.0.0.1:${await freePort()}`;
  const uiListen = `127.0.0.1:${await freePort()}`;
  let output = "";
  const script = spawn("bash", [path.join(ROOT, "scripts/start.sh")], {
    cwd: ROOT,
    env: {
      ...process.env,
      FIELD_CRM_BIN: BIN,
      FIELD_CRM_HOME: home,
      FIELD_CRM_LISTEN: listen,
      FIELD_CRM_UI_LISTEN: uiListen,
      DEMO_CUSTOMERS: "20",
      DISPLAY: "",
      WAYLAND_DISPLAY: "",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  spawned.push(script);
  script.stdout.on("data", (d) => (output += d));
  script.stderr.on("data", (d) => (output += d));
  await waitFor("the start message", async () => output.includes("Field CRM is running"), 240000).catch((e) => {
    throw new Error(`${e.message}\n${output}`);
  });

  const call = (request) => dispatch({ url: `http://${uiListen}/` }, request);
  const status = () => call({ op: "app_status" });
  await waitFor("the app to be in sync", async () => (await status()).sync.state === "up_to_date");
  assert.equal((await status()).mode, "signed_in");

  // The server stops: the script and the app go on, offline, and take edits.
  process.kill(Number(readFileSync(path.join(home, "server.pid"), "utf8")), "SIGTERM");
  await waitFor("the app to notice", async () => (await status()).sync.state !== "up_to_date");
  await waitFor("the script to say so", async () => output.includes("the sync server stopped"), 10000);
  assert.equal(script.exitCode, null, "start.sh still runs");
  const created = await call({ op: "create", kind: "customer", fields: { name: "离线时录入的客户" } });
  assert.equal(created.type, "record", JSON.stringify(created));
  assert.ok((await status()).sync.pending >= 1);

  // Started again with the command the script printed: the app reconnects and sends the edit.
  const server = spawn(
    path.join(BIN, "sync-server"),
    ["serve", "--db", path.join(home, "server.sqlite3"), "--listen", listen],
    { stdio: "ignore" },
  );
  spawned.push(server);
  await waitFor(
    "the app to reconnect and send its edit",
    async () => {
      const s = await status();
      return s.sync.state === "up_to_date" && s.sync.pending === 0;
    },
    90000,
  );
  assert.match(output, /start it again with/);

  // Ctrl-C stops the app.
  script.kill("SIGINT");
  await waitFor("start.sh to end", async () => script.exitCode !== null || script.signalCode !== null, 20000);
  await waitFor("the app to stop", async () => {
    try {
      await status();
      return false;
    } catch {
      return true;
    }
  }, 20000);
  server.kill("SIGINT");
});
