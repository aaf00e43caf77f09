// Administration in the app, against the real server: the admin creates a user in the Users tab
// (a username already taken is refused in the dialog, with the server's reason), and that person
// signs in on a second device and makes a customer there; the admin moves them to another team,
// gives them a new password (the old one stops working), disables and enables a viewer; revokes
// the second device in the Devices tab, which is signed out and left without the data it held;
// the audit log lists the creation, the change and the revocation by who did them; a backup is
// made, listed and downloaded as a database; customers are exported as CSV (and the export is in
// the log); a dictionary entry is added, moved, renamed, retired, and while a customer uses it,
// deleting it is refused with the reason — once nothing uses it, it goes; a team gets its
// supervisor. A device used on its own is told that administration needs the server.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  PASSWORDS,
  TIMEOUT,
  chooseOption,
  crm,
  dispatch,
  eventually,
  openPage,
  screenshot,
  serverView,
  signIn,
  signedInDevice,
  startDevice,
  startStory,
  tmpDir,
  waitForState,
} from "./harness.mjs";

let server;
let browser;

const NEW = { username: "xiaoming", name: "小明", password: "xiaoming-first-1", reset: "xiaoming-second-2" };

startStory({ customers: 10 }, (started) => ({ server, browser } = started));

/// Whether the server lets `username` sign in with `password` (a `crm` store of its own).
function canSignIn(username, password) {
  try {
    crm(tmpDir("admin-login"), ["login", server.url, username, "--device", `check-${Date.now()}`], { CRM_PASSWORD: password });
    return true;
  } catch {
    return false;
  }
}

/// What the server holds now, read by a store of the supervisor's own: one request's answer.
const serverHolds = (request) => serverView(server.url)(request);

/// The server's accounts, asked through the admin's device.
async function accounts(device) {
  const r = await dispatch(device, { op: "server", method: "GET", path: "/api/admin/users" });
  assert.equal(r.status, 200, JSON.stringify(r));
  return r.body.users;
}

const row = (page, testId, attrs) =>
  page.locator(`[data-testid="${testId}"]${Object.entries(attrs).map(([k, v]) => `[data-${k}="${v}"]`).join("")}`);

describe("administration", { timeout: 420_000 }, () => {
  let admin;
  let second;

  before(async () => {
    admin = await signedInDevice(browser, server.url, "chenjing", "admin-chenjing");
  });

  test("the admin creates a user, a username taken is refused in the dialog, and the new user signs in on a second device", async () => {
    const { page, device } = admin;
    await page.goto(`${device.url}#/admin/users`);
    await row(page, "user-row", { username: "wangfang" }).waitFor({ timeout: TIMEOUT });
    assert.match(await row(page, "user-row", { username: "wangfang" }).textContent(), /王芳.*客户经理.*east/);

    await page.getByTestId("user-new").click();
    const form = page.getByTestId("user-new-form");
    await form.waitFor({ timeout: TIMEOUT });
    await page.getByTestId("new-username").fill("wangfang");
    await page.getByTestId("new-display-name").fill(NEW.name);
    await page.getByTestId("new-password").fill(NEW.password);
    await page.getByTestId("new-password-confirm").fill(`${NEW.password}x`);
    await page.getByTestId("user-dialog-ok").click();
    await form.getByText("两次输入的密码不一致").waitFor({ timeout: TIMEOUT });

    // Typed right, but the username is taken: the server's refusal, in the dialog that stays open.
    await page.getByTestId("new-password-confirm").fill(NEW.password);
    await page.getByTestId("user-dialog-ok").click();
    const refusal = form.getByTestId("dialog-error");
    await refusal.waitFor({ timeout: TIMEOUT });
    // The server's own code for it (`username_taken`), or from a server before that code, its
    // English reason naming the username.
    assert.match(await refusal.textContent(), /这个用户名已被其他账号使用|服务器未接受：.*wangfang/);
    await screenshot(page, "admin-user-refused");
    assert.equal((await accounts(device)).filter((a) => a.username === "wangfang").length, 1);

    await page.getByTestId("new-username").fill(NEW.username);
    await page.locator("#new-team").fill("east");
    await page.getByTestId("new-display-name").click();
    await page.getByTestId("user-dialog-ok").click();
    await form.waitFor({ state: "detached", timeout: TIMEOUT });
    const created = row(page, "user-row", { username: NEW.username });
    await created.waitFor({ timeout: TIMEOUT });
    assert.match(await created.textContent(), new RegExp(`${NEW.name}.*${NEW.username}.*客户经理.*east.*正常`));
    const account = (await accounts(device)).find((a) => a.username === NEW.username);
    assert.deepEqual(
      { name: account.display_name, role: account.role, team: account.team, disabled: account.disabled },
      { name: NEW.name, role: "account_manager", team: "east", disabled: false },
    );
    await screenshot(page, "admin-users");

    // The new person signs in on a device of their own and makes a customer there.
    const d2 = await startDevice("admin-xiaoming");
    const p2 = await openPage(browser, d2);
    await signIn(p2, server.url, NEW.username, NEW.password);
    await waitForState(p2, "up_to_date");
    second = { device: d2, page: p2 };
    const me = await dispatch(d2, { op: "whoami" });
    assert.equal(me.display_name, NEW.name);
    const made = await dispatch(d2, { op: "create", kind: "customer", fields: { name: "小明的第一个客户" }, allow_duplicate: true });
    assert.equal(made.type, "record", JSON.stringify(made));
    await eventually(() => dispatch(d2, { op: "app_status" }), (s) => s.sync.pending === 0, "the customer reached the server");
  });

  test("a role or team change, a new password, disabling and enabling reach the server", async () => {
    const { page, device } = admin;
    await page.goto(`${device.url}#/admin/users`);
    const mine = row(page, "user-row", { username: NEW.username });
    await mine.getByTestId("user-change").click();
    const form = page.getByTestId("user-change-form");
    await form.waitFor({ timeout: TIMEOUT });
    await page.locator("#change-team").fill("west");
    await form.locator("label").first().click();
    await page.getByTestId("user-dialog-ok").click();
    await form.waitFor({ state: "detached", timeout: TIMEOUT });
    await eventually(() => mine.textContent(), (text) => /west/.test(text), "the table shows the new team");
    assert.equal((await accounts(device)).find((a) => a.username === NEW.username).team, "west");

    await mine.getByTestId("user-password").click();
    const pw = page.getByTestId("user-password-form");
    await pw.waitFor({ timeout: TIMEOUT });
    await pw.getByTestId("new-password").fill("short");
    await pw.getByTestId("new-password-confirm").fill("short");
    await page.getByTestId("user-dialog-ok").click();
    await pw.getByText("至少 8 个字符").last().waitFor({ timeout: TIMEOUT });
    await pw.getByTestId("new-password").fill(NEW.reset);
    await pw.getByTestId("new-password-confirm").fill(NEW.reset);
    await page.getByTestId("user-dialog-ok").click();
    await pw.waitFor({ state: "detached", timeout: TIMEOUT });
    assert.equal(canSignIn(NEW.username, NEW.reset), true, "the new password signs in");
    assert.equal(canSignIn(NEW.username, NEW.password), false, "the old one no longer does");

    // The viewer is disabled (after a confirmation), cannot sign in, and is enabled again.
    const viewer = row(page, "user-row", { username: "zhouyu" });
    await viewer.getByTestId("user-toggle").click();
    await page.getByTestId("user-toggle-confirm").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("user-toggle-ok").click();
    await viewer.getByTestId("user-disabled").waitFor({ timeout: TIMEOUT });
    assert.equal((await accounts(device)).find((a) => a.username === "zhouyu").disabled, true);
    assert.equal(canSignIn("zhouyu", PASSWORDS.zhouyu), false, "a disabled account cannot sign in");
    await viewer.getByTestId("user-toggle").click();
    await page.getByTestId("user-toggle-ok").click();
    await viewer.getByTestId("user-disabled").waitFor({ state: "detached", timeout: TIMEOUT });
    assert.equal(canSignIn("zhouyu", PASSWORDS.zhouyu), true, "enabled again, it can");
    // The admin cannot disable their own account from here.
    assert.equal(await row(page, "user-row", { username: "chenjing" }).getByTestId("user-toggle").isDisabled(), true);
  });

  test("revoking the second device signs it out and deletes what it held", async () => {
    const { page, device } = admin;
    const { device: d2, page: p2 } = second;
    const id = (await dispatch(d2, { op: "whoami" })).device_id;
    assert.ok((await dispatch(d2, { op: "list", kind: "customer", limit: 5 })).total >= 1, "the device holds the customer it made");

    await page.goto(`${device.url}#/admin/devices`);
    const target = row(page, "device-row", { id });
    await target.waitFor({ timeout: TIMEOUT });
    assert.match(await target.textContent(), new RegExp(`${NEW.name} \\(${NEW.username}\\)`));
    assert.equal(await target.getByTestId("device-revoked").count(), 0);
    // Not the device the admin works on.
    const own = (await dispatch(device, { op: "whoami" })).device_id;
    assert.equal(await row(page, "device-row", { id: own }).getByTestId("device-revoke").isDisabled(), true);

    await target.getByTestId("device-revoke").click();
    const warning = page.getByTestId("device-revoke-confirm");
    await warning.waitFor({ timeout: TIMEOUT });
    assert.match(await warning.textContent(), /删除其中本公司的全部数据/);
    assert.match(await warning.textContent(), /尚未发送到服务器的修改将会丢失/);
    await screenshot(page, "admin-device-revoke");
    await page.getByTestId("device-revoke-ok").click();
    await target.getByTestId("device-revoked").waitFor({ timeout: TIMEOUT });
    const listed = await dispatch(device, { op: "server", method: "GET", path: "/api/admin/devices" });
    assert.equal(listed.body.devices.find((d) => d.id === id).revoked, true);

    // The device hears of it, deletes its data and is back at the sign-in screen.
    await eventually(() => dispatch(d2, { op: "app_status" }), (s) => s.mode === "signed_out", "the revoked device is signed out");
    await p2.getByTestId("signin-form").waitFor({ timeout: TIMEOUT });
    assert.equal((await dispatch(d2, { op: "list", kind: "customer", limit: 5 })).total, 0, "its customers are gone");
    await screenshot(p2, "admin-revoked-device");
  });

  test("the audit log lists the user's creation, the team change and the revocation, by the admin", async () => {
    const { page, device } = admin;
    await page.goto(`${device.url}#/admin/audit`);
    await page.getByTestId("audit-row").first().waitFor({ timeout: TIMEOUT });

    const actions = () => page.getByTestId("audit-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-action")));
    /// Only `action` is listed once the filter is applied.
    const only = async (action) => {
      await chooseOption(page, "audit-action", action);
      await eventually(actions, (a) => a.length > 0 && a.every((x) => x === action), `only ${action} entries`);
      return row(page, "audit-row", { action });
    };

    const added = (await only("user_added")).filter({ hasText: NEW.username });
    assert.equal(await added.count(), 1);
    assert.match(await added.textContent(), /陈静 \(chenjing\).*新增用户.*小明 \(xiaoming\).*客户经理 · 团队 east/);

    const changed = (await only("user_changed")).filter({ hasText: NEW.username });
    assert.equal(await changed.count(), 1);
    assert.match(await changed.textContent(), /陈静 \(chenjing\).*团队：east → west/);

    const revoked = await only("device_revoked");
    assert.equal(await revoked.count(), 1);
    assert.match(await revoked.textContent(), /陈静 \(chenjing\).*吊销设备.*小明 \(xiaoming\)/);
    await screenshot(page, "admin-audit");

    // Free text: the sign-in refused with the old password names the username.
    await only("login_failed");
    await page.getByTestId("audit-search").fill(NEW.username);
    await page.getByTestId("audit-search").press("Enter");
    await eventually(
      () => page.getByTestId("audit-row").allTextContents(),
      (texts) => texts.length > 0 && texts.every((t) => t.includes(NEW.username) && t.includes("用户名或密码错误")),
      "the failed sign-ins of the new user",
    );
  });

  test("a backup is made, listed and downloads as a database", async () => {
    const { page, device } = admin;
    await page.goto(`${device.url}#/admin/backups`);
    await page.getByTestId("backup-restore-note").waitFor({ timeout: TIMEOUT });
    assert.match(await page.getByTestId("backup-restore-command").textContent(), /sync-server restore --db PATH --from FILE/);
    const rows = page.getByTestId("backup-row");
    await page.getByText("还没有备份。").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("backup-make").click();
    await eventually(() => rows.count(), (n) => n === 1, "the new backup is listed");
    const name = await rows.first().getAttribute("data-name");
    assert.match(name, /^field-crm-\d{8}-\d{6}-\d{3}\.sqlite3$/);
    await screenshot(page, "admin-backups");

    const [download] = await Promise.all([page.waitForEvent("download"), rows.first().getByTestId("backup-download").click()]);
    assert.equal(download.suggestedFilename(), name);
    const bytes = readFileSync(await download.path());
    assert.equal(bytes.subarray(0, 15).toString("latin1"), "SQLite format 3");
  });

  test("customers are exported as CSV, and the export is in the audit log", async () => {
    const { page, device } = admin;
    await page.goto(`${device.url}#/admin/export`);
    await page.getByTestId("export-logged").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("export-csv").click();
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-run").click()]);
    assert.match(download.suggestedFilename(), /^customer-\d{8}\.csv$/);
    const lines = readFileSync(await download.path(), "utf8").replace(/^\uFEFF/, "").trim().split(/\r?\n/);
    assert.match(lines[0], /^code,name,/);
    assert.ok(lines.some((l) => l.includes("小明的第一个客户")), "the second device's customer is on the server and in the file");
    assert.ok(lines.length >= 11, `${lines.length} lines: the demo's customers too`);
    const log = await dispatch(device, { op: "server", method: "GET", path: "/api/admin/audit?action=export" });
    assert.deepEqual(log.body.entries.map((e) => [e.target, e.detail.format, e.actor_name]), [["customer", "csv", "chenjing"]]);
  });

  test("a dictionary entry is added, moved, renamed and retired; while a customer uses it it cannot be deleted", async () => {
    const { page, device } = admin;
    await page.goto(`${device.url}#/admin/dictionary`);
    await page.getByTestId("dict-row").first().waitFor({ timeout: TIMEOUT });
    await chooseOption(page, "dict-filter", "customer_source");
    const entries = page.getByTestId("dict-row");
    await eventually(
      () => entries.evaluateAll((rows) => rows.map((r) => r.getAttribute("data-dict"))),
      (dicts) => dicts.length > 1 && dicts.every((d) => d === "customer_source"),
      "only customer sources are listed",
    );

    await page.getByTestId("dict-new").click();
    const form = page.getByTestId("dict-form");
    await form.waitFor({ timeout: TIMEOUT });
    assert.match(await page.getByTestId("dict-field-dict").textContent(), /客户来源/);
    await page.getByTestId("dict-field-code").fill("trade_fair");
    await page.getByTestId("dict-field-label_zh").fill("展会");
    await page.getByTestId("dict-field-label_en").fill("Trade fair");
    await page.getByTestId("dict-dialog-ok").click();
    await form.waitFor({ state: "detached", timeout: TIMEOUT });
    const entry = row(page, "dict-row", { code: "trade_fair" });
    await entry.waitFor({ timeout: TIMEOUT });
    assert.equal(await entry.getByTestId("dict-label-zh").textContent(), "展会");
    const codes = () => entries.evaluateAll((rows) => rows.map((r) => r.getAttribute("data-code")));
    assert.equal((await codes()).at(-1), "trade_fair", "a new entry comes last in its dictionary");
    const id = (await dispatch(device, { op: "list", kind: "dict_entry", filter: { dict: "customer_source", code: "trade_fair" } })).items[0].id;

    // The same code again is refused by the box.
    await page.getByTestId("dict-new").click();
    await page.getByTestId("dict-field-code").fill("trade_fair");
    await page.getByTestId("dict-field-label_zh").fill("又一个展会");
    await page.getByTestId("dict-field-label_en").fill("Another");
    await page.getByTestId("dict-dialog-ok").click();
    await form.getByText("该字典中已有这个代码").waitFor({ timeout: TIMEOUT });
    await page.locator(".ant-modal-footer button", { hasText: "取消" }).click();
    await form.waitFor({ state: "detached", timeout: TIMEOUT });

    // One place up: before the entry that was last but one.
    const [previous] = (await codes()).slice(-2);
    await entry.getByTestId("dict-up").click();
    await eventually(codes, (c) => c.at(-1) === previous && c.at(-2) === "trade_fair", "the entry moved up");

    await entry.getByTestId("dict-edit").click();
    await form.waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId("dict-field-code").isDisabled(), true, "a code is fixed once made");
    await page.getByTestId("dict-field-label_zh").fill("行业展会");
    await page.getByTestId("dict-field-label_en").fill("Industry fair");
    await page.getByTestId("dict-dialog-ok").click();
    await form.waitFor({ state: "detached", timeout: TIMEOUT });
    await eventually(() => entry.getByTestId("dict-label-zh").textContent(), (t) => t === "行业展会", "the new label is shown");
    await eventually(() => dispatch(device, { op: "app_status" }), (s) => s.sync.pending === 0, "the rename was sent");
    const held = serverHolds({ op: "dictionary", dict: "customer_source" }).entries.find((e) => e.id === id);
    assert.deepEqual([held?.fields.label_zh, held?.fields.label_en], ["行业展会", "Industry fair"], "the renamed entry reached the server");

    // A customer takes it; then it is retired, and deleting it is refused with the reason.
    const customer = (await dispatch(device, { op: "list", kind: "customer", sort: "name", limit: 1 })).items[0];
    assert.equal((await dispatch(device, { op: "update", id: customer.id, fields: { source: "trade_fair" } })).type, "record");
    await entry.getByTestId("dict-toggle").click();
    await entry.getByTestId("dict-retired").waitFor({ timeout: TIMEOUT });
    assert.equal((await dispatch(device, { op: "get", id })).fields.active, false);

    await entry.getByTestId("dict-delete").click();
    await page.getByTestId("dict-delete-ok").click();
    const refused = page.getByTestId("dict-error");
    await refused.waitFor({ timeout: TIMEOUT });
    assert.match(await refused.textContent(), /还有 1 条记录在使用这个条目，请停用它而不是删除。/);
    await screenshot(page, "admin-dictionary-in-use");
    assert.equal((await dispatch(device, { op: "get", id })).deleted_at, null, "the entry is still there");
    assert.equal(await entry.count(), 1);

    // Once no customer uses it, it is deleted.
    await dispatch(device, { op: "update", id: customer.id, fields: { source: null } });
    await entry.getByTestId("dict-delete").click();
    await page.getByTestId("dict-delete-ok").click();
    await entry.waitFor({ state: "detached", timeout: TIMEOUT });
    await refused.waitFor({ state: "detached", timeout: TIMEOUT });
    assert.ok((await dispatch(device, { op: "get", id })).deleted_at, "deleted");
  });

  test("a team gets its supervisor", async () => {
    const { page, device } = admin;
    const team = await dispatch(device, { op: "create", kind: "team", fields: { name: "华东销售部" } });
    assert.equal(team.type, "record", JSON.stringify(team));
    const lili = (await dispatch(device, { op: "list", kind: "user", filter: { username: "lili" } })).items[0];
    await page.goto(`${device.url}#/admin/teams`);
    const teamRow = row(page, "team-row", { id: team.id });
    await teamRow.waitFor({ timeout: TIMEOUT });
    await chooseOption(page, "team-supervisor", lili.id);
    await eventually(() => dispatch(device, { op: "get", id: team.id }), (r) => r.fields.supervisor === lili.id, "the supervisor is set");
    assert.match(await teamRow.textContent(), /李丽/);
  });
});

test("a device used on its own is told that administration needs the server", { timeout: 120_000 }, async () => {
  const device = await startDevice("admin-local");
  const page = await openPage(browser, device);
  await page.getByTestId("signin-form").waitFor({ timeout: TIMEOUT });
  await dispatch(device, { op: "use_locally" });
  await page.goto(`${device.url}#/admin/users`);
  await page.reload();
  const alert = page.getByTestId("server-error");
  await alert.waitFor({ timeout: TIMEOUT });
  assert.match(await alert.textContent(), /这台设备还没有登录服务器/);
  assert.match(await alert.textContent(), /都在服务器上管理/);
  await screenshot(page, "admin-needs-server");
  // The dictionaries are records on the device: they work without a server.
  await page.getByTestId("nav-admin-dictionary").click();
  await page.getByTestId("dict-row").first().waitFor({ timeout: TIMEOUT });
});
