// End-to-end harness: a real sync server, real devices (the same core the Tauri app runs,
// served by field-crm-web) and a real browser engine (Debian's Chromium through
// playwright-core). Nothing is mocked.
import { spawn, execFileSync } from "node:child_process";
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { mkdtempSync, mkdirSync, existsSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

export const BIN = process.env.CRM_BIN_DIR ?? "/var/tmp/fieldcrm-target/debug";
export const UI_DIST = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../dist");
export const ARTIFACTS = process.env.CRM_ARTIFACTS ?? path.resolve(UI_DIST, "../../artifacts/e2e");
/// How long a story waits for what it expects to show (a page, a step reaching the server).
export const TIMEOUT = 20_000;
export const SIZES = {
  laptop: { width: 1280, height: 800 },
  tablet: { width: 1024, height: 768 },
  tablet_portrait: { width: 768, height: 1024 },
  phone: { width: 390, height: 844 },
};

const children = [];
const relays = [];

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

async function waitForPort(port, ms = 20000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const ok = await new Promise((r) => {
      const c = net.connect(port, "127.0.0.1", () => (c.end(), r(true)));
      c.on("error", () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

function run(bin, args, env = {}) {
  return execFileSync(path.join(BIN, bin), args, { env: { ...process.env, ...env }, encoding: "utf8" });
}

/// The `crm` command line on the store in `data` (`crm --data DATA ARGS…`); returns its stdout.
export function crm(data, args, env = {}) {
  return run("crm", ["--data", data, ...args], env);
}

function start(bin, args, env = {}) {
  const child = spawn(path.join(BIN, bin), args, { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  child.stderrText = () => stderr;
  children.push(child);
  return child;
}

/// Scratch directories made by this run, removed when it exits (`CRM_E2E_KEEP=1` keeps them to
/// look at; every run used to leave its servers' and devices' stores behind, some 500 MB).
const made = [];

export function tmpDir(name) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `crm-e2e-${name}-`));
  made.push(dir);
  return dir;
}

export const PASSWORDS = {
  wangfang: "wangfang-demo-1",
  lili: "lili-demo-1",
  zhaolei: "zhaolei-demo-1",
  zhouyu: "zhouyu-demo-1",
  chenjing: "chenjing-demo-1",
  sunqiang: "sunqiang-demo-1",
};

/// A sync server with a salesperson (wangfang), a second salesperson (zhaolei), their
/// supervisor (lili), a viewer of their team (zhouyu), a salesperson of another team
/// (sunqiang, team west) and an admin (chenjing), and `customers`
/// demo customers owned by wangfang. `devices: false` for a test that starts no
/// `field-crm-web` device (then only `sync-server` and `crm` must be built).
export async function startServer({ customers = 120, devices = true } = {}) {
  for (const b of ["sync-server", "crm", ...(devices ? ["field-crm-web"] : [])]) {
    if (!existsSync(path.join(BIN, b))) throw new Error(`${b} is not built in ${BIN}`);
  }
  const dir = tmpDir("server");
  const db = path.join(dir, "server.sqlite3");
  run("sync-server", ["user", "add", "--db", db, "wangfang", "--role", "account_manager", "--name", "王芳", "--team", "east"], {
    SYNC_SERVER_PASSWORD: PASSWORDS.wangfang,
  });
  run("sync-server", ["user", "add", "--db", db, "zhaolei", "--role", "account_manager", "--name", "赵磊", "--team", "east"], {
    SYNC_SERVER_PASSWORD: PASSWORDS.zhaolei,
  });
  run("sync-server", ["user", "add", "--db", db, "lili", "--role", "supervisor", "--name", "李丽", "--team", "east"], {
    SYNC_SERVER_PASSWORD: PASSWORDS.lili,
  });
  run("sync-server", ["user", "add", "--db", db, "zhouyu", "--role", "viewer", "--name", "周宇", "--team", "east"], {
    SYNC_SERVER_PASSWORD: PASSWORDS.zhouyu,
  });
  run("sync-server", ["user", "add", "--db", db, "sunqiang", "--role", "account_manager", "--name", "孙强", "--team", "west"], {
    SYNC_SERVER_PASSWORD: PASSWORDS.sunqiang,
  });
  run("sync-server", ["user", "add", "--db", db, "chenjing", "--role", "admin", "--name", "陈静"], {
    SYNC_SERVER_PASSWORD: PASSWORDS.chenjing,
  });
  const port = await freePort();
  const child = start("sync-server", ["serve", "--db", db, "--listen", `127.0.0.1:${port}`]);
  await waitForPort(port);
  const url = `http://127.0.0.1:${port}`;
  if (customers > 0) {
    const seed = path.join(dir, "seed");
    crm(seed, ["login", url, "wangfang", "--device", "seed"], { CRM_PASSWORD: PASSWORDS.wangfang });
    // No demo expense claims: the expenses story counts the ones it files.
    crm(seed, ["demo", "--customers", String(customers), "--users", "0", "--expenses", "0"]);
    crm(seed, ["sync"]);
  }
  return { url, port, child };
}

/// A TCP relay between a device and the server that can be cut, to take one device offline
/// while others stay connected.
export async function startRelay(targetPort) {
  const port = await freePort();
  const sockets = new Set();
  let server = null;
  const listen = () =>
    new Promise((resolve) => {
      server = net.createServer((client) => {
        const upstream = net.connect(targetPort, "127.0.0.1");
        sockets.add(client).add(upstream);
        client.pipe(upstream).pipe(client);
        const close = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on("error", close).on("close", close);
        upstream.on("error", close).on("close", close);
      });
      server.listen(port, "127.0.0.1", resolve);
    });
  await listen();
  const relay = {
    url: `http://127.0.0.1:${port}`,
    async cut() {
      // close() waits for open connections, so end them first.
      const closed = new Promise((r) => server.close(r));
      for (const s of sockets) s.destroy();
      sockets.clear();
      await closed;
    },
    restore: listen,
    stop() {
      for (const s of sockets) s.destroy();
      server?.close();
    },
  };
  relays.push(relay);
  return relay;
}

/// One device: its own data directory and core, served to the browser. `encrypt`: the shell
/// encrypts each person's store under their password (`field-crm-web --encrypt`), so it is
/// locked at every start.
export async function startDevice(name, { data = tmpDir(name), encrypt = false } = {}) {
  const port = await freePort();
  const args = ["--data", data, "--listen", `127.0.0.1:${port}`, "--ui", UI_DIST, ...(encrypt ? ["--encrypt"] : [])];
  const child = start("field-crm-web", args);
  await waitForPort(port);
  return { name, data, url: `http://127.0.0.1:${port}/`, child };
}

export async function launchBrowser() {
  const executablePath = process.env.CHROMIUM ?? ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find(existsSync);
  if (!executablePath) throw new Error("Chromium is not installed (apt-get install chromium)");
  return chromium.launch({ executablePath, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
}

export async function openPage(browser, device, { size = SIZES.laptop, locale = "zh-CN" } = {}) {
  const context = await browser.newContext({ viewport: size, locale, hasTouch: false });
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error(`[${device.name}] page error:`, e.message));
  await page.goto(device.url);
  return page;
}

/// Sign in through the sign-in screen as one of the server's people (or, with `password`, as
/// someone a story made).
export async function signIn(page, serverUrl, user, password = PASSWORDS[user]) {
  await page.getByTestId("signin-form").waitFor({ timeout: 20_000 });
  await page.fill('input[name="server"]', serverUrl);
  await page.fill('input[name="username"]', user);
  await page.fill('input[name="password"]', password);
  await page.getByTestId("signin-submit").click();
  await page.getByTestId("sync-indicator").waitFor({ timeout: 20_000 });
}

/// A new device named `name`, its page open in `browser`, `user` signed in to the server at
/// `url` and synced: how each story starts a person.
export async function signedInDevice(browser, url, user, name, pageOptions) {
  const device = await startDevice(name);
  const page = await openPage(browser, device, pageOptions);
  await signIn(page, url, user);
  await waitForState(page, "up_to_date");
  return { device, page };
}

/// A story file's server (`startServer(options)`) and browser, started before its tests and
/// stopped after them; `started` is given both once they run.
export function startStory(options, started) {
  let browser;
  before(async () => {
    const server = await startServer(options);
    browser = await launchBrowser();
    started({ server, browser });
  });
  after(async () => {
    await browser?.close();
    stopAll();
  });
}

/// What `read()` gives once `check` holds of it, asked every quarter second for up to `ms`;
/// fails saying `what` and the last value.
export async function eventually(read, check, what, ms = TIMEOUT) {
  const end = Date.now() + ms;
  let value;
  while (Date.now() < end) {
    value = await read();
    if (check(value)) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.fail(`${what}: ${JSON.stringify(value).slice(0, 400)}`);
}

/// What the server at `url` holds for `user` (the supervisor unless said) now: a `crm` store of
/// its own, signed in and synced. Returns a function that sends it one request and gives the
/// answer.
export function serverView(url, user = "lili", password = PASSWORDS[user]) {
  const data = tmpDir(`check-${user}`);
  crm(data, ["login", url, user, "--device", `check-${user}-${Date.now()}`], { CRM_PASSWORD: password });
  crm(data, ["sync"]);
  return (request) => JSON.parse(crm(data, ["call", JSON.stringify(request)]));
}

export async function waitForState(page, state) {
  await page.waitForSelector(`[data-testid="sync-indicator"][data-state="${state}"]`, { timeout: 40_000 });
}

/// Pick an option of an antd Select by its value (options carry `data-value`).
export async function chooseOption(page, testId, value) {
  await page.getByTestId(testId).click();
  await page.locator(`.ant-select-dropdown:not(.ant-select-dropdown-hidden) [data-value="${value}"]`).click();
}

export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: false });
}

/// What is wrong with the layout of the page as it is now (empty when nothing).
export function layoutProblems() {
  const width = window.innerWidth;
  const out = [];
  const overflow = document.documentElement.scrollWidth - width;
  if (overflow > 0) out.push(`page is ${overflow}px wider than the window`);
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return false;
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.visibility === "hidden" || s.display === "none" || Number(s.opacity) === 0) return false;
    }
    return true;
  };
  const name = (el) => `${el.tagName.toLowerCase()} "${(el.textContent || el.getAttribute("aria-label") || "").trim().slice(0, 30)}"`;
  /// The box that scrolls sideways around `el` (or the tab bar that offers it in a menu), if any.
  const scroller = (el) => {
    for (let e = el.parentElement; e; e = e.parentElement) {
      if (e.classList.contains("ant-tabs-nav-wrap")) return e;
      const x = getComputedStyle(e).overflowX;
      if ((x === "auto" || x === "scroll") && e.scrollWidth > e.clientWidth + 1) return e;
    }
    return null;
  };
  for (const el of document.querySelectorAll("body *")) {
    const hasText = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim() !== "");
    if (!hasText || !shown(el)) continue;
    const r = el.getBoundingClientRect();
    const box = scroller(el)?.getBoundingClientRect() ?? r;
    if (box.left < -1 || box.right > width + 1) out.push(`${name(el)} reaches past the window (${Math.round(box.left)}..${Math.round(box.right)})`);
    const s = getComputedStyle(el);
    const clips = s.overflowX !== "visible" || el.closest("[style*='overflow: hidden']");
    if (clips && el.scrollWidth > el.clientWidth + 1 && s.textOverflow !== "ellipsis" && s.whiteSpace === "nowrap") {
      out.push(`${name(el)} is cut off (${el.scrollWidth}px of text in ${el.clientWidth}px)`);
    }
  }
  const targets = document.querySelectorAll("button, a[href], [role=button], .ant-segmented-item");
  for (const el of targets) {
    if (!shown(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.height < 44 - 0.5 || r.width < 44 - 0.5) out.push(`${name(el)} is ${Math.round(r.width)}×${Math.round(r.height)}px`);
  }
  return out;
}

/// Fails with every layout problem of the page as it is now (`layoutProblems`, see
/// layout.test.mjs for what counts), after a screenshot named `layout-LABEL`.
export async function checkLayout(page, label) {
  await page.waitForLoadState("networkidle");
  await page.waitForTimeout(200);
  await screenshot(page, `layout-${label}`);
  const found = await page.evaluate(layoutProblems);
  assert.deepEqual(found, [], `${label}:\n${found.join("\n")}`);
}

/// One request to a device's core (`POST /api/dispatch`), its JSON response.
export async function dispatch(device, request) {
  const response = await fetch(`${device.url}api/dispatch`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request),
  });
  return response.json();
}

export function stopAll() {
  for (const r of relays) r.stop();
  for (const c of children) {
    try {
      c.kill("SIGTERM");
      c.stderr?.destroy();
    } catch {
      // already gone
    }
  }
}

// Interrupted (Ctrl-C, a CI timeout): leave through `exit`, which stops the children and
// removes the directories.
process.on("SIGINT", () => process.exit(130));
process.on("SIGTERM", () => process.exit(143));
process.on("exit", () => {
  stopAll();
  if (process.env.CRM_E2E_KEEP) return;
  for (const dir of made) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // a server still closing its files: left for the system's own clean-up
    }
  }
});
