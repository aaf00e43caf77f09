// A customer drifting away, from the warning to 确定流失: the salesperson finds it among her
// churn warnings, opens its case, postpones the churn (暂缓流失) with the measures taken and a
// day to look again — it leaves her warnings — adds a later measure, and finally confirms the
// churn with the reason: the customer is lost. At every step the server holds what the app
// shows (a `crm` store of the supervisor's own, synced from the server), and the supervisor
// sees the case among the team's.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { SIZES, TIMEOUT, crm, dispatch, eventually, screenshot, serverView, signedInDevice, startStory } from "./harness.mjs";

let server;
let browser;

// The demo leaves some of the salesperson's customers without business for months.
startStory({ customers: 20 }, (started) => ({ server, browser } = started));

function session(user) {
  return signedInDevice(browser, server.url, user, `churn-${user}`);
}

/// What the server holds: a `crm` store of the supervisor's own, signed in and synced now.
const serverGet = (id) => serverView(server.url)({ op: "get", id });

/// The local calendar date `days` from today, `YYYY-MM-DD` (the browser runs on this machine).
function localDay(days) {
  const d = new Date();
  d.setDate(d.getDate() + days);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

const statusIs = (page, state) => page.locator(`[data-testid="churn-status"][data-state="${state}"]`).waitFor({ timeout: TIMEOUT });

describe("a churn warning postponed, then confirmed", { timeout: 300_000 }, () => {
  let sales;
  let customer;
  let caseId;

  before(async () => {
    sales = await session("wangfang");
    const warnings = (await dispatch(sales.device, { op: "churn_warnings" })).items;
    assert.ok(warnings.length > 0, "the demo has quiet customers");
    customer = warnings.find((w) => !w.case).customer;
  });

  test("the salesperson finds the customer among her warnings and opens its case", async () => {
    const { page } = sales;
    await page.getByTestId("nav-churn").click();
    await page.locator('[data-testid="churn-list"][data-state="warning"]').waitFor({ timeout: TIMEOUT });
    const row = page.locator(`[data-testid="churn-warning-row"][data-customer="${customer.id}"]`);
    await row.waitFor({ timeout: TIMEOUT });
    assert.match(await row.textContent(), new RegExp(String(customer.fields.name)));
    assert.match(await row.textContent(), /已 \d+ 天没有业务/);
    await screenshot(page, "churn-warnings-laptop");
    await page.setViewportSize(SIZES.phone);
    await screenshot(page, "churn-warnings-phone");
    await page.setViewportSize(SIZES.laptop);

    await row.getByTestId("churn-open").click();
    await page.getByTestId("churn-detail").waitFor({ timeout: TIMEOUT });
    await statusIs(page, "warning");
    caseId = page.url().split("#/churn/")[1];
    assert.match(caseId, /^[0-9a-f-]{36}$/);
    assert.equal(await page.getByTestId("churn-customer").textContent(), String(customer.fields.name));
    // The case is the customer's episode's: the server holds it once it has gone up.
    const held = await eventually(
      async () => {
        try {
          return serverGet(caseId);
        } catch {
          return null;
        }
      },
      (r) => r?.type === "record",
      "the server holds the case",
    );
    assert.equal(held.fields.customer, customer.id);
    assert.equal(held.fields.status, "warning");
  });

  test("暂缓流失: the measures taken and a day to look again; the customer leaves the warnings", async () => {
    const { page, device } = sales;
    await page.getByTestId("transition-postpone").click();
    await page.getByTestId("transition-dialog").waitFor({ timeout: TIMEOUT });
    // Both are required: the dialog says so before asking the core.
    await page.getByTestId("transition-ok").click();
    assert.equal(await page.getByTestId("transition-dialog").getByRole("alert").count(), 2);
    await page.getByTestId("transition-field-measures").fill("拜访采购部王总，送去新品样品并给出季度折扣方案。");
    await page.getByTestId("transition-field-review_date").click();
    await page.locator(".ant-picker-dropdown:not(.ant-picker-dropdown-hidden) .ant-picker-presets li", { hasText: "+1 个月" }).click();
    await page.locator(".ant-picker-dropdown").waitFor({ state: "hidden", timeout: TIMEOUT });
    await screenshot(page, "churn-postpone-dialog");
    await page.getByTestId("transition-ok").click();
    await statusIs(page, "postponed");
    await page.getByTestId("log-entry").filter({ hasText: "拜访采购部王总" }).waitFor({ timeout: TIMEOUT });
    const review = localDay(30);
    await page.getByTestId("awaiting").waitFor({ state: "detached", timeout: TIMEOUT });

    // The server holds the step, the measure with who wrote it, and the day to look again.
    const held = serverGet(caseId);
    assert.equal(held.fields.status, "postponed");
    assert.equal(held.fields.review_date, review);
    assert.equal(held.fields.measures.length, 1);
    assert.equal(held.fields.measures[0].text, "拜访采购部王总，送去新品样品并给出季度折扣方案。");
    assert.equal(held.names[held.fields.measures[0].by], "王芳");

    // Postponed to a later day: no longer among her warnings; under 暂缓流失 instead.
    const warnings = (await dispatch(device, { op: "churn_warnings" })).items;
    assert.ok(!warnings.some((w) => w.customer.id === customer.id), "the postponed customer left the warnings");
    await page.getByTestId("nav-churn").click();
    await page.getByTestId("churn-tab-postponed").click();
    const row = page.locator(`[data-testid="churn-case-row"][data-id="${caseId}"]`);
    await row.waitFor({ timeout: TIMEOUT });
    assert.match(await row.textContent(), /复查/);
    assert.match(page.url(), /state=postponed/);

    // A later measure, added to the log.
    await row.locator(".row-main").click();
    await statusIs(page, "postponed");
    await page.getByTestId("log-text").fill("电话回访，客户表示下月有新的采购计划。");
    await page.getByTestId("log-add").click();
    await page.getByTestId("log-entry").filter({ hasText: "电话回访" }).waitFor({ timeout: TIMEOUT });
    await screenshot(page, "churn-postponed-laptop");
    await page.setViewportSize(SIZES.phone);
    await screenshot(page, "churn-postponed-phone");
    await page.setViewportSize(SIZES.laptop);
    await eventually(async () => serverGet(caseId), (r) => r.fields.measures?.length === 2, "the second measure reached the server");
  });

  test("确定流失 with the reason: the case is closed and the customer is lost", async () => {
    const { page, device } = sales;
    await page.getByTestId("transition-confirm").click();
    await page.getByTestId("transition-field-reason").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("transition-field-reason").fill("客户被竞争对手以更低价格签下三年合同");
    await page.getByTestId("transition-ok").click();
    await statusIs(page, "confirmed");
    assert.equal(await page.getByTestId("churn-reason").textContent(), "客户被竞争对手以更低价格签下三年合同");
    // Nothing more to decide.
    for (const name of ["postpone", "confirm", "recover"]) assert.equal(await page.getByTestId(`transition-${name}`).count(), 0);
    await page.getByTestId("awaiting").waitFor({ state: "detached", timeout: TIMEOUT });
    await screenshot(page, "churn-confirmed");

    const held = serverGet(caseId);
    assert.equal(held.fields.status, "confirmed");
    assert.equal(held.fields.reason, "客户被竞争对手以更低价格签下三年合同");
    assert.ok(held.fields.closed_at, "the server holds when it was closed");
    assert.equal(held.fields.measures.length, 2);
    const lost = await eventually(async () => serverGet(customer.id), (r) => r.fields.status === "lost", "the customer is lost on the server");
    assert.equal(lost.fields.owner, customer.fields.owner, "the customer keeps its owner");

    // The customer's page lists the case, confirmed.
    await page.getByTestId("churn-customer").click();
    const card = page.getByTestId("customer-churn");
    await card.locator(`[data-testid="churn-case-row"][data-id="${caseId}"] [data-testid="churn-case-status"][data-state="confirmed"]`).waitFor({
      timeout: TIMEOUT,
    });
    assert.equal((await dispatch(device, { op: "get", id: customer.id })).fields.status, "lost");
  });

  test("the supervisor sees the team's confirmed churn", async () => {
    const lead = await session("lili");
    await lead.page.goto(`${lead.device.url}#/churn?state=confirmed`);
    const row = lead.page.locator(`[data-testid="churn-case-row"][data-id="${caseId}"]`);
    await row.waitFor({ timeout: TIMEOUT });
    assert.match(await row.textContent(), new RegExp(String(customer.fields.name)));
    assert.match(await row.textContent(), /竞争对手/);
  });
});
