// Reminders on home: what the core says is due — a follow-up the salesperson set, customers
// going quiet — each leading to its record; desktop notifications once she turns them on, for
// reminders that appear from then on, each told once (also after a reload); and a window
// without the Notification API says so.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { SIZES, TIMEOUT, dispatch, openPage, screenshot, signIn, startDevice, startStory, waitForState } from "./harness.mjs";

let server;
let browser;

startStory({ customers: 20 }, (started) => ({ server, browser } = started));

/// The local calendar date `days` from today, `YYYY-MM-DD`.
function localDay(days) {
  const d = new Date();
  d.setDate(d.getDate() + days);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/// Every notification the page shows, recorded as it is made with the browser's own API.
const RECORD_NOTIFICATIONS = () => {
  window.__told = [];
  const Real = window.Notification;
  if (!Real) return;
  window.Notification = class extends Real {
    constructor(title, options) {
      super(title, options);
      window.__told.push({ title, body: options?.body ?? "" });
    }
  };
};

/// The notifications told so far that are reminders, not the day's agenda coming up
/// (agenda.notify_today / notify_soon / notify_many, which the clock decides).
async function toldReminders(page) {
  const told = await page.evaluate(() => window.__told);
  return told.filter((n) => !/^(今天：|即将开始：|今天有 \d+ 项日程)/.test(n.title));
}

describe("reminders on home", { timeout: 240_000 }, () => {
  let device;
  let page;
  let customer;

  before(async () => {
    device = await startDevice("reminders-wangfang");
    page = await openPage(browser, device);
    await signIn(page, server.url, "wangfang");
    await waitForState(page, "up_to_date");
    const me = (await dispatch(device, { op: "whoami" })).user_id;
    customer = (await dispatch(device, { op: "list", kind: "customer", filter: { owner: me }, sort: "name", limit: 1 })).items[0];
    await page.context().addInitScript(RECORD_NOTIFICATIONS);
    await page.reload();
    await page.getByTestId("sync-indicator").waitFor({ timeout: TIMEOUT });
  });

  const logCall = async (subject, nextFollowUp) => {
    const r = await dispatch(device, {
      op: "create",
      kind: "activity",
      fields: { customer: customer.id, type: "call", time: new Date(Date.now() - 86_400_000).toISOString(), subject, next_follow_up: nextFollowUp },
    });
    assert.equal(r.type, "record", JSON.stringify(r));
    return r.id;
  };

  test("a follow-up she set yesterday for yesterday is on the card, overdue, and leads to the customer", async () => {
    const activity = await logCall("回访报价单", localDay(-1));
    const due = (await dispatch(device, { op: "reminders" })).items.find((r) => r.id === activity);
    assert.equal(due?.reason, "follow_up", "the core reminds of it");
    await page.goto(`${device.url}#/home`);
    const row = page.locator(`[data-testid="reminder"][data-id="${activity}"]`);
    await row.waitFor({ timeout: TIMEOUT });
    assert.equal(await row.getAttribute("data-reason"), "follow_up");
    assert.match(await row.textContent(), /回访报价单/);
    assert.match(await row.textContent(), new RegExp(String(customer.fields.name)));
    assert.match(await row.getByTestId("reminder-due").textContent(), /已逾期/);
    await screenshot(page, "reminders-home-laptop");
    await page.setViewportSize(SIZES.phone);
    await screenshot(page, "reminders-home-phone");
    await page.setViewportSize(SIZES.laptop);
    await row.locator(".row-main").click();
    await page.getByTestId("customer-name").filter({ hasText: String(customer.fields.name) }).waitFor({ timeout: TIMEOUT });
  });

  test("a lead she is to follow up today is on the card and leads to the lead", async () => {
    const lead = await dispatch(device, { op: "create", kind: "lead", fields: { name: "孙立群", company: "鼎盛五金制品厂", next_follow_up: localDay(0) } });
    assert.equal(lead.type, "record", JSON.stringify(lead));
    const due = (await dispatch(device, { op: "reminders" })).items.find((r) => r.id === lead.id);
    assert.equal(due?.reason, "lead_follow_up", "the core reminds of it");
    await page.goto(`${device.url}#/home`);
    const row = page.locator(`[data-testid="reminder"][data-id="${lead.id}"]`);
    await row.waitFor({ timeout: TIMEOUT });
    assert.equal(await row.getAttribute("data-reason"), "lead_follow_up");
    assert.match(await row.textContent(), /孙立群 · 鼎盛五金制品厂/);
    assert.match(await row.textContent(), /线索待跟进/);
    await row.locator(".row-main").click();
    await page.getByTestId("lead-name").filter({ hasText: "孙立群" }).waitFor({ timeout: TIMEOUT });
  });

  test("a churn warning leads to that customer's warning", async () => {
    const churn = (await dispatch(device, { op: "reminders" })).items.find((r) => r.reason.startsWith("churn_"));
    assert.ok(churn, "the demo's quiet customers are reminded of");
    await page.goto(`${device.url}#/home`);
    await page.locator(`[data-testid="reminder"][data-id="${churn.id}"][data-reason="${churn.reason}"] .row-main`).click();
    await page.getByTestId("churn-customer-filter").filter({ hasText: churn.customer_name }).waitFor({ timeout: TIMEOUT });
    const rows = page.getByTestId("churn-warning-row");
    await rows.first().waitFor({ timeout: TIMEOUT });
    assert.equal(await rows.count(), 1);
    assert.equal(await rows.first().getAttribute("data-customer"), churn.id);
  });

  test("turned on from the card, a new reminder is notified once, not again after a reload", async () => {
    await page.goto(`${device.url}#/home`);
    await page.getByTestId("home-reminders").waitFor({ timeout: TIMEOUT });
    await page.context().grantPermissions(["notifications"], { origin: new URL(device.url).origin });
    await page.getByTestId("notify-enable").click();
    await page.locator('[data-testid="notify-state"][data-permission="granted"]').waitFor({ timeout: TIMEOUT });
    // What was due already is on the card: turning notifications on does not flood.
    // The day's agenda is told by the clock as its entries come up (a demo visit planned for the
    // next minutes may be told at any moment of this test), so only reminders are counted here.
    await page.waitForTimeout(1500);
    assert.deepEqual(await toldReminders(page), []);

    const activity = await logCall("确认交货日期", localDay(0));
    await page.locator(`[data-testid="reminder"][data-id="${activity}"]`).waitFor({ timeout: TIMEOUT });
    await page.waitForFunction(() => window.__told.some((n) => n.title === "待跟进"), null, { timeout: TIMEOUT });
    const told = await toldReminders(page);
    assert.equal(told.length, 1, JSON.stringify(told));
    assert.equal(told[0].title, "待跟进");
    assert.match(told[0].body, /确认交货日期/);
    assert.match(told[0].body, new RegExp(String(customer.fields.name)));

    await page.reload();
    await page.locator(`[data-testid="reminder"][data-id="${activity}"]`).waitFor({ timeout: TIMEOUT });
    await page.waitForTimeout(2000);
    assert.deepEqual(await toldReminders(page), [], "told once only");
  });

  test("a window without the Notification API says so and offers nothing", async () => {
    const context = await browser.newContext({ viewport: SIZES.laptop, locale: "zh-CN" });
    await context.addInitScript(() => delete window.Notification);
    const bare = await context.newPage();
    await bare.goto(`${device.url}#/home`);
    const state = bare.locator('[data-testid="notify-state"][data-permission="unsupported"]');
    await state.waitFor({ timeout: TIMEOUT });
    assert.match(await state.textContent(), /不支持桌面通知/);
    assert.equal(await bare.getByTestId("notify-enable").count(), 0);
    await context.close();
  });
});
