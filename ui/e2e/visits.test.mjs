// A visit logged after the fact: this morning at 09:30 in the salesperson's own time zone,
// with a contact and a place; then corrected (place, duration), deleted and taken back.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { SIZES, TIMEOUT, checkLayout, chooseOption, dispatch, eventually, screenshot, signIn, startDevice, startStory, waitForState } from "./harness.mjs";

let server;
let browser;

startStory({ customers: 5 }, (started) => ({ server, browser } = started));

describe("a visit logged for this morning", { timeout: 240_000 }, () => {
  let device;
  let page;
  let customer;
  let contact;
  let visitId;

  before(async () => {
    device = await startDevice("visits");
    // The salesperson is in China (UTC+8) whatever the machine running the test says.
    const context = await browser.newContext({ viewport: { width: 1024, height: 768 }, locale: "zh-CN", timezoneId: "Asia/Shanghai" });
    page = await context.newPage();
    page.on("pageerror", (e) => console.error("page error:", e.message));
    await page.goto(device.url);
    await signIn(page, server.url, "wangfang");
    await waitForState(page, "up_to_date");
    customer = (await dispatch(device, { op: "list", kind: "customer", sort: "name", limit: 1 })).items[0];
    contact = await dispatch(device, { op: "create", kind: "contact", fields: { customer: customer.id, name: "陈明", title: "采购经理" }, allow_duplicate: true });
    await dispatch(device, { op: "create", kind: "contact", fields: { customer: customer.id, name: "欧阳晓北" }, allow_duplicate: true });
    assert.equal(contact.type, "record", JSON.stringify(contact));
  });

  test("logged at 09:30 today with a contact and a place, it is stored in UTC and shown in local time", async () => {
    await page.goto(`${device.url}#/customers/${customer.id}`);
    await page.getByTestId("log-visit").click();
    await page.getByTestId("log-visit-page").waitFor({ timeout: TIMEOUT });

    await page.getByTestId("visit-today").click();
    // On a laptop the time can be typed (phones get the picker's columns: read-only input).
    await page.getByTestId("visit-time").fill("09:30");
    await page.getByTestId("visit-time").press("Enter");
    assert.equal(await page.getByTestId("visit-time").inputValue(), "09:30");

    await chooseOption(page, "visit-contact", contact.id);
    await page.getByTestId("visit-place").fill("客户总部三楼会议室");
    await page.getByTestId("visit-outcome-positive").click();
    await page.getByTestId("visit-notes").fill("上午拜访，确认了样品需求");
    await screenshot(page, "visit-morning-form");
    await page.getByTestId("visit-save").click();

    const entry = page.getByTestId("timeline-entry").filter({ hasText: "上午拜访，确认了样品需求" });
    await entry.waitFor({ timeout: TIMEOUT });
    visitId = await entry.getAttribute("data-id");
    const stored = await dispatch(device, { op: "get", id: visitId });
    // Today in Shanghai, 09:30 there, is 01:30 UTC.
    const today = await page.evaluate(() => new Intl.DateTimeFormat("en-CA").format(new Date()));
    assert.equal(stored.fields.time, `${today}T01:30:00.000Z`);
    assert.equal(stored.fields.contact, contact.id);
    assert.equal(stored.fields.place, "客户总部三楼会议室");

    const shown = await page.evaluate(
      (iso) => new Intl.DateTimeFormat("zh-CN", { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso)),
      stored.fields.time,
    );
    assert.match(shown, /09:30/);
    assert.equal(await entry.getByTestId("timeline-time").textContent(), shown);
    assert.equal(await entry.getByTestId("timeline-where").textContent(), "陈明 · 客户总部三楼会议室");
    await screenshot(page, "visit-morning-timeline");
  });

  test("edited: the form starts from the visit and only the changed fields are written", async () => {
    const entry = page.locator(`[data-testid="timeline-entry"][data-id="${visitId}"]`);
    await entry.getByTestId("edit-activity").click();
    await page.getByTestId("edit-visit-page").waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId("visit-place").inputValue(), "客户总部三楼会议室");
    assert.equal(await page.getByTestId("visit-time").inputValue(), "09:30");
    assert.match(await page.getByTestId("visit-contact").textContent(), /陈明/);

    await page.getByTestId("visit-place").fill("客户工厂二号车间");
    await page.getByTestId("visit-duration-60").click();
    await page.getByTestId("visit-save").click();
    await entry.getByTestId("timeline-where").filter({ hasText: "陈明 · 客户工厂二号车间 · 60 分钟" }).waitFor({ timeout: TIMEOUT });

    const stored = await dispatch(device, { op: "get", id: visitId });
    assert.equal(stored.fields.duration_minutes, 60);
    const history = await dispatch(device, { op: "history", id: visitId });
    const last = history.entries.at(-1);
    assert.equal(last.action, "update");
    assert.deepEqual([...last.fields].sort(), ["duration_minutes", "place"]);
    // The time was not touched, so it was not rewritten.
    assert.match(await entry.getByTestId("timeline-time").textContent(), /09:30/);
  });

  test("deleted, then taken back with Undo; a contact too", async () => {
    const entry = page.locator(`[data-testid="timeline-entry"][data-id="${visitId}"]`);
    await entry.getByTestId("delete-activity").click();
    await page.getByTestId("deleted-message").waitFor({ timeout: TIMEOUT });
    await entry.waitFor({ state: "detached", timeout: TIMEOUT });
    assert.ok((await dispatch(device, { op: "get", id: visitId })).deleted_at, "the visit is deleted in the core");
    await screenshot(page, "visit-deleted-undo");
    await page.getByTestId("undo-delete").click();
    await page.getByTestId("restored-message").waitFor({ timeout: TIMEOUT });
    await entry.waitFor({ timeout: TIMEOUT });
    assert.equal((await dispatch(device, { op: "get", id: visitId })).deleted_at, null);

    const row = page.getByTestId("contact-row").filter({ hasText: "欧阳晓北" });
    await row.getByTestId("delete-contact").click();
    await row.waitFor({ state: "detached", timeout: TIMEOUT });
    await page.getByTestId("undo-delete").last().click();
    await page.getByTestId("contact-row").filter({ hasText: "欧阳晓北" }).waitFor({ timeout: TIMEOUT });
    // The restored visit still names its contact.
    assert.match(await entry.getByTestId("timeline-where").textContent(), /陈明/);
  });

  test("a viewer gets no edit or delete on the visit", async () => {
    const viewer = await startDevice("visits-viewer");
    const context = await browser.newContext({ locale: "zh-CN" });
    const vpage = await context.newPage();
    await vpage.goto(viewer.url);
    await signIn(vpage, server.url, "zhouyu");
    await waitForState(vpage, "up_to_date");
    await vpage.goto(`${viewer.url}#/customers/${customer.id}`);
    const entry = vpage.locator(`[data-testid="timeline-entry"][data-id="${visitId}"]`);
    await entry.waitFor({ timeout: TIMEOUT });
    await vpage.waitForLoadState("networkidle");
    assert.match(await entry.getByTestId("timeline-where").textContent(), /客户工厂二号车间/);
    assert.equal(await entry.getByTestId("edit-activity").count(), 0);
    assert.equal(await entry.getByTestId("delete-activity").count(), 0);
    assert.equal(await vpage.getByTestId("delete-contact").count(), 0);
    await context.close();
  });
});

describe("the supervisor's day", { timeout: 180_000 }, () => {
  test("today's visits on the team home: this morning's with its customer, contact and place; yesterday's not", async () => {
    const sales = await startDevice("visits-day-sales");
    const lead = await startDevice("visits-day-lead");
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "zh-CN", timezoneId: "Asia/Shanghai" });
    const spage = await context.newPage();
    await spage.goto(sales.url);
    await signIn(spage, server.url, "wangfang");
    await waitForState(spage, "up_to_date");
    // Shanghai's today and yesterday, whatever the machine's time zone.
    const today = await spage.evaluate(() => new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(new Date()));
    const yesterday = new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    // One of her own customers: the demo puts some in the pool, where only a claim writes.
    const me = (await dispatch(sales, { op: "whoami" })).user_id;
    const customer = (await dispatch(sales, { op: "list", kind: "customer", filter: { owner: me }, sort: "name", limit: 2 })).items[1];
    const contact = await dispatch(sales, { op: "create", kind: "contact", fields: { customer: customer.id, name: "钱多多" }, allow_duplicate: true });
    const visit = (time, subject, extra = {}) =>
      dispatch(sales, { op: "create", kind: "activity", fields: { customer: customer.id, type: "visit", time, subject, ...extra } });
    await visit(`${today}T08:05:00+08:00`, "今天一早的拜访", { contact: contact.id, place: "客户门店" });
    await visit(`${yesterday}T23:50:00+08:00`, "昨天深夜的拜访");
    await visit(`${today}T00:10:00+08:00`, "今天零点后的拜访");
    await waitUntilSent(sales);

    const lpage = await context.newPage();
    await lpage.goto(lead.url);
    await signIn(lpage, server.url, "lili");
    await waitForState(lpage, "up_to_date");
    const card = lpage.getByTestId("home-todays-visits");
    const row = card.getByTestId("todays-visit").filter({ hasText: "今天一早的拜访" });
    await row.waitFor({ timeout: TIMEOUT });
    const text = await row.textContent();
    assert.match(text, new RegExp(customer.fields.name));
    assert.match(text, /08:05 · 钱多多 · 客户门店/);
    await card.locator('[data-owner="王芳"]').getByText("今天零点后的拜访").waitFor({ timeout: TIMEOUT });
    assert.doesNotMatch(await card.textContent(), /昨天深夜的拜访/);
    await screenshot(lpage, "supervisor-todays-visits");
    await context.close();
  });
});

// A visit checked in on the spot: the customer's page asks the browser where it is (the test's
// browser says: 256 m east of the customer), the visit screen shows the distance, she writes her
// notes and checks out; the visit carries its places and duration, is on her calendar that day
// and reaches her supervisor's device.
describe("a visit checked in at the customer's", { timeout: 300_000 }, () => {
  const AT = { latitude: 31.300512, longitude: 120.588016, accuracy: 15 };
  const HOME = { lat: 31.300512, lng: 120.585316 };
  let sales;
  let spage;
  let context;
  let customer;
  let visitId;
  let today;

  before(async () => {
    sales = await startDevice("visits-checkin");
    context = await browser.newContext({
      viewport: SIZES.laptop,
      locale: "zh-CN",
      timezoneId: "Asia/Shanghai",
      geolocation: AT,
      permissions: ["geolocation"],
    });
    spage = await context.newPage();
    spage.on("pageerror", (e) => console.error("page error:", e.message));
    await spage.goto(sales.url);
    await signIn(spage, server.url, "wangfang");
    await waitForState(spage, "up_to_date");
    const me = (await dispatch(sales, { op: "whoami" })).user_id;
    customer = (await dispatch(sales, { op: "list", kind: "customer", filter: { owner: me }, sort: "name", limit: 3 })).items[2];
    const located = await dispatch(sales, { op: "update", id: customer.id, fields: { location: HOME } });
    assert.equal(located.type, "record", JSON.stringify(located));
    today = (await dispatch(sales, { op: "agenda", from: "2026-01-01", to: "2026-01-01" })).today;
  });

  test("started from the customer's page where the browser is: the distance from the customer shown, notes written, checked out", async () => {
    await spage.goto(`${sales.url}#/customers/${customer.id}`);
    await spage.getByTestId("start-visit").click();
    await spage.locator('[data-testid="visit-session"][data-state="open"]').waitFor({ timeout: TIMEOUT });
    visitId = spage.url().split("/activity/")[1];
    const started = await dispatch(sales, { op: "get", id: visitId });
    assert.equal(started.fields.type, "visit");
    assert.equal(started.fields.customer, customer.id);
    assert.equal(Number(started.fields.check_in_place.lat), AT.latitude, JSON.stringify(started.fields.check_in_place));
    assert.equal(Number(started.fields.check_in_place.lng), AT.longitude);
    const metres = started.fields.check_in_distance_m;
    assert.ok(metres > 200 && metres < 300, `about 256 m: ${metres}`);
    assert.equal(started.fields.check_in_far, false);
    assert.equal(await spage.getByTestId("checkin-distance").textContent(), `距客户 ${Math.round(metres)} m`);
    assert.equal(await spage.getByTestId("checkin-far").count(), 0, "within the tolerance: not marked far");
    assert.match(await spage.getByTestId("checkin-in").textContent(), /31\.300512, 120\.588016/);

    await spage.getByTestId("visit-outcome-positive").click();
    await spage.getByTestId("visit-notes").fill("现场查看产线，客户同意试用");
    await spage.getByTestId("visit-next-7").click();
    for (const [name, size] of Object.entries(SIZES)) {
      await spage.setViewportSize(size);
      await checkLayout(spage, `visit-checkin-${name}`);
    }
    await spage.setViewportSize(SIZES.laptop);
    await spage.getByTestId("check-out").click();
    await spage.getByTestId("visit-duration-done").waitFor({ timeout: TIMEOUT });
    await spage.locator('[data-testid="visit-session"][data-state="closed"]').waitFor({ timeout: TIMEOUT });
    await screenshot(spage, "visit-checked-out");

    const done = await dispatch(sales, { op: "get", id: visitId });
    assert.equal(done.fields.notes, "现场查看产线，客户同意试用");
    assert.equal(done.fields.outcome, "positive");
    assert.ok(done.fields.next_follow_up, "a next follow-up");
    assert.ok(done.fields.check_in_at && done.fields.check_out_at, JSON.stringify(done.fields));
    assert.equal(Number(done.fields.check_out_place.lat), AT.latitude);
    assert.equal(typeof done.fields.duration_minutes, "number");
    assert.match(await spage.getByTestId("visit-duration-done").textContent(), new RegExp(`${done.fields.duration_minutes} 分钟`));

    // Its row on the customer's page says when and where.
    await spage.goto(`${sales.url}#/customers/${customer.id}`);
    const entry = spage.locator(`[data-testid="timeline-entry"][data-id="${visitId}"]`);
    await entry.getByTestId("checkin-out").waitFor({ timeout: TIMEOUT });
    assert.match(await entry.getByTestId("checkin-in").textContent(), /31\.300512, 120\.588016/);
    assert.match(await entry.textContent(), /距客户 \d+ m/);
  });

  test("without a position the visit starts without a place and says so", async () => {
    await context.clearPermissions();
    const other = await context.newPage();
    // No geolocation at all, as on a browser that refuses.
    await other.addInitScript(() => {
      navigator.geolocation.getCurrentPosition = (_ok, fail) => fail({ code: 1, message: "denied" });
    });
    await other.goto(`${sales.url}#/customers/${customer.id}`);
    await other.getByTestId("start-visit").click();
    await other.getByTestId("start-visit-no-position").waitFor({ timeout: TIMEOUT });
    await screenshot(other, "visit-no-position");
    await other.getByTestId("start-visit-confirm").click();
    await other.locator('[data-testid="visit-session"][data-state="open"]').waitFor({ timeout: TIMEOUT });
    const id = other.url().split("/activity/")[1];
    const visit = await dispatch(sales, { op: "get", id });
    assert.ok(visit.fields.check_in_at);
    assert.ok(!visit.fields.check_in_place, JSON.stringify(visit.fields.check_in_place));
    assert.match(await other.getByTestId("checkin-in").textContent(), /无位置/);
    await dispatch(sales, { op: "delete", id });

    // Typed by hand, a kilometre north: checked in there and marked far from the customer.
    await other.goto(`${sales.url}#/customers/${customer.id}`);
    await other.getByTestId("start-visit").click();
    await other.getByTestId("start-visit-place").fill("31.31, 120.585316");
    await other.getByTestId("start-visit-confirm").click();
    await other.getByTestId("checkin-far").waitFor({ timeout: TIMEOUT });
    const far = await dispatch(sales, { op: "get", id: other.url().split("/activity/")[1] });
    assert.equal(far.fields.check_in_far, true, JSON.stringify(far.fields));
    assert.equal(await other.getByTestId("checkin-distance").textContent(), `距客户 ${(far.fields.check_in_distance_m / 1000).toFixed(1)} km`);
    await screenshot(other, "visit-far");
    await dispatch(sales, { op: "delete", id: far.id });
    await other.close();
    await context.grantPermissions(["geolocation"]);
  });

  test("the visit is on her calendar that day, and the calendar fits at the four sizes", async () => {
    await spage.getByTestId("nav-calendar").click();
    await spage.locator('[data-testid="agenda"][data-view="week"]').waitFor({ timeout: TIMEOUT });
    const day = spage.locator(`[data-testid="agenda-day"][data-date="${today}"]`);
    const entry = day.locator(`[data-testid="agenda-entry"][data-id="${visitId}"]`);
    await entry.waitFor({ timeout: TIMEOUT });
    assert.equal(await entry.getAttribute("data-what"), "activity");
    assert.match(await entry.textContent(), /拜访/);
    for (const [name, size] of Object.entries(SIZES)) {
      await spage.setViewportSize(size);
      await checkLayout(spage, `calendar-week-${name}`);
    }
    await spage.getByTestId("agenda-view-month").click();
    await spage.locator(`[data-testid="agenda-cell"][data-date="${today}"]`).waitFor({ timeout: TIMEOUT });
    assert.ok(Number(await spage.locator(`[data-testid="agenda-cell"][data-date="${today}"]`).getAttribute("data-count")) >= 1);
    await checkLayout(spage, "calendar-month-phone");
    await spage.setViewportSize(SIZES.laptop);
    await checkLayout(spage, "calendar-month-laptop");
    await spage.locator(`[data-testid="agenda-cell"][data-date="${today}"]`).click();
    await spage.locator('[data-testid="agenda"][data-view="day"]').waitFor({ timeout: TIMEOUT });
    await spage.locator(`[data-testid="agenda-entry"][data-id="${visitId}"]`).click();
    await spage.locator(`[data-testid="visit-session"][data-state="closed"]`).waitFor({ timeout: TIMEOUT });
  });

  test("a visit plan: two stops today, the second moved first; its stops on the calendar, the visited one done", async () => {
    const me = (await dispatch(sales, { op: "whoami" })).user_id;
    const second = (await dispatch(sales, { op: "list", kind: "customer", filter: { owner: me }, sort: "name", limit: 4 })).items[3];
    const pick = async (row, who) => {
      await spage.getByTestId("plan-stop-customer").nth(row).click();
      await spage.keyboard.type(String(who.fields.name).slice(0, 4));
      await spage.locator(`.ant-select-dropdown:not(.ant-select-dropdown-hidden) [data-value="${who.id}"]`).click();
    };
    await spage.goto(`${sales.url}#/calendar`);
    await spage.getByTestId("new-visit-plan").click();
    await spage.getByTestId("visit-plan-page").waitFor({ timeout: TIMEOUT });
    await spage.getByTestId("plan-title").fill("本周苏州线路");
    await pick(0, customer);
    await spage.getByTestId("plan-stop-note").nth(0).fill("回访产线");
    await spage.getByTestId("plan-add-stop").click();
    await pick(1, second);
    await spage.getByTestId("plan-stop-note").nth(1).fill("送样品");
    await spage.getByTestId("plan-stop-up").nth(1).click();
    assert.equal(await spage.getByTestId("plan-stop-note").nth(0).inputValue(), "送样品");
    for (const [name, size] of [["phone", SIZES.phone], ["laptop", SIZES.laptop]]) {
      await spage.setViewportSize(size);
      await checkLayout(spage, `visit-plan-${name}`);
    }
    await spage.getByTestId("plan-save").click();
    const row = spage.getByTestId("visit-plan-row").filter({ hasText: "本周苏州线路" });
    await row.waitFor({ timeout: TIMEOUT });
    const planId = await row.getAttribute("data-id");
    const plan = await dispatch(sales, { op: "get", id: planId });
    assert.deepEqual(
      plan.fields.stops.map((s) => [s.date, s.customer, s.note]),
      [
        [today, second.id, "送样品"],
        [today, customer.id, "回访产线"],
      ],
    );
    const stops = spage.locator(`[data-testid="agenda-day"][data-date="${today}"] [data-testid="agenda-entry"][data-what="plan_stop"]`);
    await eventually(() => stops.count(), (n) => n === 2, "both stops on today");
    assert.match(await stops.nth(0).textContent(), /送样品/);
    assert.equal(await stops.nth(0).getAttribute("data-done"), "false");
    assert.equal(await stops.nth(1).getAttribute("data-done"), "true", "the customer visited today");
    await checkLayout(spage, "calendar-with-plan-laptop");
    await stops.nth(0).click();
    await spage.getByTestId("visit-plan-page").waitFor({ timeout: TIMEOUT });
  });

  test("her supervisor's device receives the visit with its check-in and check-out", async () => {
    await waitUntilSent(sales);
    const lead = await startDevice("visits-checkin-lead");
    const lpage = await context.newPage();
    await lpage.goto(lead.url);
    await signIn(lpage, server.url, "lili");
    await waitForState(lpage, "up_to_date");
    const held = await eventually(() => dispatch(lead, { op: "get", id: visitId }), (r) => Boolean(r.fields?.check_out_at), "the visit on the supervisor's device");
    assert.equal(Number(held.fields.check_in_place.lat), AT.latitude);
    assert.equal(typeof held.fields.duration_minutes, "number");
    await lpage.goto(`${lead.url}#/customers/${customer.id}`);
    const entry = lpage.locator(`[data-testid="timeline-entry"][data-id="${visitId}"]`);
    await entry.getByTestId("checkin-out").waitFor({ timeout: TIMEOUT });
    await lpage.goto(`${lead.url}#/calendar?whose=all`);
    await lpage.locator(`[data-testid="agenda-entry"][data-id="${visitId}"]`).waitFor({ timeout: TIMEOUT });
    await screenshot(lpage, "calendar-supervisor-all");
    await context.close();
  });
});

async function waitUntilSent(device) {
  const end = Date.now() + TIMEOUT;
  while ((await dispatch(device, { op: "app_status" })).sync.pending > 0) {
    assert.ok(Date.now() < end, "edits still waiting to be sent");
    await new Promise((r) => setTimeout(r, 250));
  }
}
