// An admin's lists, against the real server: the customer list filtered by grade and owner is
// exported as CSV from the list itself and the file holds those customers and no others; a
// search's results are exported as exactly the customers found, whatever the filters; once the
// device reconnects the server's audit log has both, and the Audit tab says them in words (on
// the device, the rows, the filters or search results). The leads list filtered by source, and
// the opportunity board shown for one owner, are exported the same way, with only the records
// they show. A salesperson's lists (customers, service requests, leads, the opportunity board)
// offer no export and the core refuses her one. A team created in the Teams tab with a code is
// offered by name in the Users tab, and the person given it is listed as its member.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { TIMEOUT, chooseOption, dispatch, eventually, openPage, screenshot, signIn, signedInDevice, startDevice, startRelay, startStory, waitForState } from "./harness.mjs";

let server;
let browser;

startStory({ customers: 10 }, (started) => ({ server, browser } = started));

/// The CSV of `kind` a click on the export menu's CSV item downloads: its header and rows as cells.
async function exportCsv(page, kind = "customer") {
  await page.getByTestId("export-action").click();
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-csv").click()]);
  assert.match(download.suggestedFilename(), new RegExp(`^${kind}-\\d{8}\\.csv$`));
  const [head, ...rows] = readFileSync(await download.path(), "utf8")
    .replace(/^\uFEFF/, "")
    .trim()
    .split(/\r?\n/)
    .map((l) => l.split(","));
  const column = (name) => {
    const i = head.indexOf(name);
    assert.ok(i >= 0, `a ${name} column in ${head}`);
    return rows.map((r) => r[i]);
  };
  return { rows, column };
}

const row = (page, testId, attrs) =>
  page.locator(`[data-testid="${testId}"]${Object.entries(attrs).map(([k, v]) => `[data-${k}="${v}"]`).join("")}`);

describe("an admin's lists", { timeout: 300_000 }, () => {
  let admin;
  let relay;
  let me;

  before(async () => {
    // Through a relay that can be cut: the device reports its exports when it next connects.
    relay = await startRelay(server.port);
    const device = await startDevice("lists-chenjing");
    const page = await openPage(browser, device);
    await signIn(page, relay.url, "chenjing");
    await waitForState(page, "up_to_date");
    admin = { device, page };
    me = (await dispatch(device, { op: "app_status" })).identity.user_id;
    for (const [name, grade] of [
      ["导出甲一", "A"],
      ["导出甲二", "A"],
      ["导出乙一", "B"],
    ]) {
      const r = await dispatch(device, { op: "create", kind: "customer", fields: { name, grade, owner: me } });
      assert.equal(r.type, "record", JSON.stringify(r));
    }
    for (const [name, source] of [
      ["展会线索一", "exhibition"],
      ["展会线索二", "exhibition"],
      ["转介线索三", "referral"],
    ]) {
      const r = await dispatch(device, { op: "create", kind: "lead", fields: { name, source, owner: me } });
      assert.equal(r.type, "record", JSON.stringify(r));
    }
  });

  test("the filtered customer list is exported as CSV with only the customers it shows", async () => {
    const { page, device } = admin;
    await page.goto(`${device.url}#/customers?grade=A&owner=${me}`);
    await eventually(() => page.getByTestId("customer-count").textContent(), (text) => /\b2\b/.test(text), "the list shows the two grade A customers");
    const file = await exportCsv(page);
    assert.deepEqual(file.column("name").sort(), ["导出甲一", "导出甲二"]);
    assert.deepEqual(file.column("grade"), ["A", "A"]);
    await screenshot(page, "customers-export");
  });

  test("search results are exported as exactly the customers found, not the list's filters", async () => {
    const { page } = admin;
    await page.getByTestId("customer-search").fill("导出");
    await eventually(() => page.getByTestId("search-results").locator("li").count(), (n) => n === 3, "three customers found");
    await page.getByTestId("export-action").click();
    assert.match(await page.getByTestId("export-what").textContent(), /3/);
    await page.keyboard.press("Escape");
    const file = await exportCsv(page);
    assert.deepEqual(file.column("name").sort(), ["导出乙一", "导出甲一", "导出甲二"]);
  });

  test("after the device reconnects the audit log has both exports, said in words in the Audit tab", async () => {
    const { page, device } = admin;
    await relay.cut();
    const indicator = page.getByTestId("sync-indicator");
    await eventually(() => indicator.getAttribute("data-state"), (state) => state !== "up_to_date", "the device notices it is cut off");
    await relay.restore();
    await waitForState(page, "up_to_date");
    const log = await eventually(
      () => dispatch(device, { op: "server", method: "GET", path: "/api/admin/audit?action=export" }),
      (r) => r.status === 200 && r.body.entries.length === 2,
      "two exports in the server's log",
    );
    const details = log.body.entries.map((e) => [e.actor_name, e.target, e.detail.on_device, e.detail.rows, e.detail.format, e.detail.search_results ?? null]);
    assert.deepEqual(details.sort(), [
      ["chenjing", "customer", true, 2, "csv", null],
      ["chenjing", "customer", true, 3, "csv", 3],
    ]);

    await page.goto(`${device.url}#/admin/audit`);
    await chooseOption(page, "audit-action", "export");
    const rows = page.locator('[data-testid="audit-row"][data-action="export"]');
    await eventually(() => rows.count(), (n) => n === 2, "two export rows");
    const text = (await rows.allTextContents()).join("\n");
    assert.match(text, /在设备上，2 行，CSV，筛选条件：等级：A，负责人：陈静/);
    assert.match(text, /在设备上，3 行，CSV，搜索结果（3 条）/);
    await screenshot(page, "audit-export-on-device");
  });

  test("the leads list filtered by source is exported as CSV with only the leads it shows", async () => {
    const { page, device } = admin;
    await page.goto(`${device.url}#/leads?source=exhibition`);
    await eventually(() => page.getByTestId("lead-rows").locator("li").count(), (n) => n === 2, "the list shows the two trade-show leads");
    assert.match(await page.getByTestId("lead-count").textContent(), /\b2\b/);
    await page.getByTestId("export-action").click();
    assert.match(await page.getByTestId("export-what").textContent(), /筛选/);
    await page.keyboard.press("Escape");
    const file = await exportCsv(page, "lead");
    assert.deepEqual(file.column("name").sort(), ["展会线索一", "展会线索二"]);
    assert.deepEqual(file.column("source"), ["exhibition", "exhibition"]);
    await screenshot(page, "leads-export");
  });

  test("the opportunity board shown for one owner is exported with only that owner's opportunities", async () => {
    const { page, device } = admin;
    const customer = (await dispatch(device, { op: "list", kind: "customer", filter: { owner: me }, limit: 1 })).items[0];
    const wangfang = (await dispatch(device, { op: "list", kind: "user", filter: { username: "wangfang" } })).items[0];
    for (const [title, stage, owner] of [
      ["看板商机一", "proposal", me],
      ["看板商机二", "won", me],
      ["看板商机三", "proposal", wangfang.id],
    ]) {
      const r = await dispatch(device, { op: "create", kind: "opportunity", fields: { customer: customer.id, title, stage, owner } });
      assert.equal(r.type, "record", JSON.stringify(r));
    }
    const mine = (await dispatch(device, { op: "list", kind: "opportunity", filter: { owner: me }, limit: 500 })).items.map((o) => o.fields.title);
    assert.ok(mine.includes("看板商机一") && !mine.includes("看板商机三"));

    await page.goto(`${device.url}#/pipeline`);
    await page.getByTestId("stage-count-lead").waitFor({ timeout: TIMEOUT });
    await chooseOption(page, "pipeline-owner", me);
    await eventually(() => page.getByTestId("opp-card").count(), (n) => n === mine.length, "the board shows only the admin's opportunities");
    const file = await exportCsv(page, "opportunity");
    assert.deepEqual(file.column("title").sort(), mine.sort());
    await screenshot(page, "pipeline-export");
  });

  test("a salesperson's lists offer no export, and the core refuses her one", async () => {
    const { page, device } = await signedInDevice(browser, server.url, "wangfang", "lists-wangfang");
    await page.goto(`${device.url}#/customers`);
    await page.getByTestId("customer-list").locator("[role=listitem]").first().waitFor({ timeout: TIMEOUT });
    await page.goto(`${device.url}#/service`);
    await page.getByTestId("service-count").waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId("export-action").count(), 0, "no export on service requests");
    await page.goto(`${device.url}#/customers`);
    await page.getByTestId("customer-count").waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId("export-action").count(), 0, "no export on customers");
    await page.goto(`${device.url}#/leads`);
    await page.getByTestId("lead-count").waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId("export-action").count(), 0, "no export on leads");
    await page.goto(`${device.url}#/pipeline`);
    await page.getByTestId("stage-count-lead").waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId("export-action").count(), 0, "no export on the opportunity board");
    const refused = await dispatch(device, { op: "export", kind: "customer", format: "csv" });
    assert.equal(refused.code, "forbidden", JSON.stringify(refused));
    // The admin sees it on the same screens.
    for (const list of ["service", "leads", "pipeline"]) {
      await admin.page.goto(`${admin.device.url}#/${list}`);
      await admin.page.getByTestId("export-action").waitFor({ timeout: TIMEOUT });
    }
  });

  test("a team created with a code is offered in the Users tab, and the person given it is its member", async () => {
    const { page, device } = admin;
    const lili = (await dispatch(device, { op: "list", kind: "user", filter: { username: "lili" } })).items[0];
    await page.goto(`${device.url}#/admin/teams`);
    await page.getByTestId("team-new").click();
    const form = page.getByTestId("team-form");
    await form.waitFor({ timeout: TIMEOUT });
    await page.getByTestId("team-code").fill("south");
    await page.getByTestId("team-name").fill("华南销售部");
    await chooseOption(page, "team-dialog-supervisor", lili.id);
    await page.getByTestId("team-save").click();
    await form.waitFor({ state: "detached", timeout: TIMEOUT });
    const team = (await dispatch(device, { op: "list", kind: "team", filter: { code: "south" } })).items;
    assert.deepEqual(
      team.map((t) => [t.fields.name, t.fields.supervisor]),
      [["华南销售部", lili.id]],
    );
    const teamRow = row(page, "team-row", { code: "south" });
    await teamRow.waitFor({ timeout: TIMEOUT });
    assert.match(await teamRow.textContent(), /无账号/);

    // Its code cannot change once set; another team may not take it.
    await teamRow.getByTestId("team-edit").click();
    assert.ok(await page.getByTestId("team-code").isDisabled(), "the code is fixed");
    await page.locator(".ant-modal-close:visible").click();
    await form.waitFor({ state: "detached", timeout: TIMEOUT });
    await page.getByTestId("team-new").click();
    await page.getByTestId("team-code").fill("south");
    assert.match(await page.getByTestId("team-code-error").textContent(), /华南销售部/);
    await page.locator(".ant-modal-close:visible").click();
    await form.waitFor({ state: "detached", timeout: TIMEOUT });

    await page.goto(`${device.url}#/admin/users`);
    const sun = row(page, "user-row", { username: "sunqiang" });
    await sun.getByTestId("user-change").click();
    const change = page.getByTestId("user-change-form");
    await change.waitFor({ timeout: TIMEOUT });
    await page.locator("#change-team").fill("");
    await page.locator("#change-team").click();
    const offered = page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) [data-value="south"]');
    await offered.waitFor({ timeout: TIMEOUT });
    assert.match(await offered.textContent(), /south · 华南销售部/);
    await offered.click();
    await page.getByTestId("user-dialog-ok").click();
    await change.waitFor({ state: "detached", timeout: TIMEOUT });
    const accounts = await dispatch(device, { op: "server", method: "GET", path: "/api/admin/users" });
    assert.equal(accounts.body.users.find((a) => a.username === "sunqiang").team, "south");

    await page.goto(`${device.url}#/admin/teams`);
    await row(page, "team-row", { code: "south" }).locator('[data-username="sunqiang"]').waitFor({ timeout: TIMEOUT });
    assert.match(await row(page, "team-row", { code: "south" }).getByTestId("team-members").textContent(), /孙强/);
    await screenshot(page, "admin-teams-by-code");
  });
});
