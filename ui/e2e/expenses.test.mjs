// Expenses (报销), across four people's apps against a real server. A salesperson files a taxi
// fare in three taps (a category, an amount, save and submit); offline, she writes a dinner with
// her customer, leaves the page (the form is kept as a draft), saves it and submits it from its
// page, and both reach the server when she is back. Her supervisor, in his own app, rejects the
// dinner with a reason and approves the taxi in place in his inbox. She sees why, and her month
// counts what is claimed (the rejected one left out) and approved; she changes the dinner and
// submits it again. Finance pays the taxi in place, and her month shows it paid. The screens fit
// and can be tapped at the four sizes.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  SIZES,
  TIMEOUT,
  checkLayout,
  chooseOption,
  dispatch,
  eventually,
  openPage,
  screenshot,
  serverView,
  signIn,
  signedInDevice,
  startDevice,
  startRelay,
  startStory,
  waitForState,
} from "./harness.mjs";

let server;
let browser;

startStory({ customers: 12 }, (started) => ({ server, browser } = started));

const FINANCE = { username: "qianwei", name: "钱伟", password: "qianwei-finance-1" };

/// A person's device, signed in through a relay that can be cut, with a page on it.
async function session(user) {
  const relay = await startRelay(server.port);
  const { device, page } = await signedInDevice(browser, relay.url, user, `expenses-${user}`);
  return { user, relay, device, page };
}

/// This month here, as the month view's address and the core name it.
function thisMonth() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}`;
}

const minor = async (locator) => Number(await locator.getAttribute("data-minor"));
const row = (scope, id) => scope.locator(`[data-testid="expense-row"][data-id="${id}"]`);
const detailState = (page, state) => page.locator(`[data-testid="expense-detail"][data-state="${state}"]`).waitFor({ timeout: TIMEOUT });

describe("expenses: claimed on the road, judged by the supervisor, paid by finance", { timeout: 600_000 }, () => {
  let sales;
  let lead;
  let finance;
  let customer;
  let taxi;
  let dinner;

  before(async () => {
    const admin = await signedInDevice(browser, server.url, "chenjing", "expenses-admin");
    const account = await dispatch(admin.device, {
      op: "server",
      method: "POST",
      path: "/api/admin/users",
      body: { username: FINANCE.username, display_name: FINANCE.name, role: "finance", password: FINANCE.password },
    });
    assert.equal(account.status, 201, JSON.stringify(account));
    sales = await session("wangfang");
    lead = await session("lili");
    const users = (await dispatch(lead.device, { op: "list", kind: "user", limit: 50 })).items;
    const wangfang = users.find((u) => u.fields.username === "wangfang").id;
    customer = (await dispatch(sales.device, { op: "list", kind: "customer", filter: { owner: wangfang }, sort: "name", limit: 1 })).items[0];
  });

  test("she files a taxi fare in three taps: a category, an amount, save and submit", async () => {
    const { page } = sales;
    await page.getByTestId("nav-expenses").click();
    await page.getByTestId("expenses-month").waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId("month-label").getAttribute("data-month"), thisMonth());
    assert.equal(await page.getByTestId("expenses-tab-approve").count(), 0, "a salesperson judges no claims");
    await page.getByTestId("new-expense").click();
    await page.getByTestId("new-expense-page").waitFor({ timeout: TIMEOUT });
    // The categories are the dictionary's, in its order.
    const chips = await page.getByTestId("expense-category").locator("button").allTextContents();
    assert.deepEqual(chips, ["交通", "住宿", "餐饮", "招待", "通讯", "办公", "其他"]);

    await page.getByTestId("expense-category-transport").click();
    // Not an amount: said by its box, nothing saved.
    await page.getByTestId("expense-amount-input").fill("三十五");
    await page.getByTestId("expense-save-submit").click();
    assert.match(await page.getByTestId("expense-amount-error").textContent(), /金额无效/);
    await page.getByTestId("expense-amount-input").fill("35.50");
    await screenshot(page, "expenses-quick-form");
    await page.getByTestId("expense-save-submit").click();

    await page.getByTestId("expenses-month").waitFor({ timeout: TIMEOUT });
    const rows = page.getByTestId("expense-items").getByTestId("expense-row");
    await eventually(() => rows.count(), (n) => n === 1, "the taxi fare in the month");
    taxi = await rows.first().getAttribute("data-id");
    assert.equal(await minor(rows.first().getByTestId("expense-amount")), 3550);
    assert.equal(await rows.first().getAttribute("data-state"), "submitted");
    assert.match(await rows.first().textContent(), /交通/);
    assert.equal(await minor(page.getByTestId("claim-claimed")), 3550);
    const saved = await dispatch(sales.device, { op: "get", id: taxi });
    assert.deepEqual(saved.fields.amount, { minor: 3550, currency: "CNY" });
    assert.equal(saved.fields.date, `${thisMonth()}-${String(new Date().getDate()).padStart(2, "0")}`, "today, here");
    await waitForState(page, "up_to_date");
  });

  test("offline, a dinner with her customer: kept as a draft when she leaves the page, saved, submitted from its page, sent when she is back", async () => {
    const { page, relay, device } = sales;
    await relay.cut();
    await waitForState(page, "offline");
    await page.getByTestId("new-expense").click();
    await page.getByTestId("new-expense-page").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("expense-category-meals").click();
    await page.getByTestId("expense-amount-input").fill("288");
    await chooseOption(page, "expense-customer", customer.id);
    await page.getByTestId("expense-notes").fill("与客户晚餐，商谈二期");

    // What is typed survives leaving the page.
    await page.reload();
    await page.getByTestId("draft-restored").waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId("expense-category-meals").getAttribute("aria-pressed"), "true");
    assert.equal(await page.getByTestId("expense-amount-input").inputValue(), "288");
    assert.equal(await page.getByTestId("expense-notes").inputValue(), "与客户晚餐，商谈二期");
    await page.getByTestId("expense-customer").getByText(String(customer.fields.name)).waitFor({ timeout: TIMEOUT });
    await page.getByTestId("expense-save").click();

    await page.getByTestId("expenses-month").waitFor({ timeout: TIMEOUT });
    const draftRow = page.getByTestId("expense-items").locator('[data-testid="expense-row"][data-state="draft"]');
    await draftRow.waitFor({ timeout: TIMEOUT });
    dinner = await draftRow.getAttribute("data-id");
    assert.equal(await minor(draftRow.getByTestId("expense-amount")), 28800);
    await draftRow.getByTestId("expense-open").click();
    await detailState(page, "draft");
    assert.equal(await page.getByTestId("expense-customer-link").textContent(), String(customer.fields.name));
    await page.getByTestId("transition-submit").click();
    await detailState(page, "submitted");
    await page.getByTestId("awaiting").waitFor({ timeout: TIMEOUT });
    await screenshot(page, "expenses-detail-offline");
    assert.equal(serverView(server.url)({ op: "list", kind: "expense" }).total, 1, "the server has the taxi fare only");

    await relay.restore();
    await waitForState(page, "up_to_date");
    await page.getByTestId("awaiting").waitFor({ state: "detached", timeout: TIMEOUT });
    const view = serverView(server.url);
    const held = await eventually(() => view({ op: "get", id: dinner }), (r) => r.fields?.status === "submitted", "the dinner submitted on the server");
    assert.equal(held.fields.customer, customer.id);
    assert.equal(held.fields.notes, "与客户晚餐，商谈二期");
    await eventually(() => dispatch(device, { op: "outbox", limit: 10 }), (r) => r.pending === 0, "everything sent");
  });

  test("the supervisor rejects the dinner with a reason and approves the taxi, in place in his inbox", async () => {
    const { page, device } = lead;
    await eventually(() => dispatch(device, { op: "list", kind: "expense", filter: { status: "submitted" } }), (r) => r.total === 2, "both claims reached the supervisor");
    await page.getByTestId("nav-expenses").click();
    await page.getByTestId("expenses-tab-approve").click();
    const queue = page.getByTestId("expense-queue-approve");
    await row(queue, dinner).waitFor({ timeout: TIMEOUT });
    await row(queue, taxi).waitFor({ timeout: TIMEOUT });
    assert.match(await row(queue, dinner).textContent(), /王芳/, "whose claim it is");
    assert.match(await row(queue, dinner).textContent(), new RegExp(String(customer.fields.name)), "what it was for");
    await screenshot(page, "expenses-approve-queue");

    // Rejecting asks why: without a reason the dialog says so and nothing changes.
    await row(queue, dinner).getByTestId("transition-reject").click();
    await page.getByTestId("transition-dialog").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("transition-ok").click();
    await page.getByTestId("transition-dialog").getByText("必填").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("transition-field-reject_reason").fill("没有发票，请补上再提交");
    await page.getByTestId("transition-ok").click();
    await row(queue, dinner).waitFor({ state: "detached", timeout: TIMEOUT });

    await row(queue, taxi).getByTestId("transition-approve").click();
    await row(queue, taxi).waitFor({ state: "detached", timeout: TIMEOUT });
    await waitForState(page, "up_to_date");
    const view = serverView(server.url);
    await eventually(() => view({ op: "get", id: taxi }), (r) => r.fields?.status === "approved", "the taxi approved on the server");
    const rejected = await eventually(() => view({ op: "get", id: dinner }), (r) => r.fields?.status === "rejected", "the dinner rejected on the server");
    assert.equal(rejected.fields.reject_reason, "没有发票，请补上再提交");
  });

  test("she sees why, and her month counts the claimed and the approved, the rejected dinner left out", async () => {
    const { page } = sales;
    await page.getByTestId("nav-expenses").click();
    const dinnerRow = row(page.getByTestId("expense-items"), dinner);
    await page.locator(`[data-testid="expense-row"][data-id="${dinner}"][data-state="rejected"]`).waitFor({ timeout: TIMEOUT });
    assert.match(await dinnerRow.getByTestId("expense-reason").textContent(), /没有发票，请补上再提交/);
    await eventually(() => minor(page.getByTestId("claim-approved")), (v) => v === 3550, "the taxi approved in her month");
    assert.equal(await minor(page.getByTestId("claim-claimed")), 3550, "the rejected dinner is not claimed");
    assert.equal(await minor(page.getByTestId("claim-paid")), 0);
    const rejected = page.locator('[data-testid="claim-status"][data-key="rejected"]');
    assert.equal(await rejected.getAttribute("data-count"), "1");
    assert.equal(await minor(rejected), 28800);
    assert.equal(await minor(page.locator('[data-testid="claim-category"][data-key="transport"]')), 3550);
    await screenshot(page, "expenses-month-rejected");

    // The switcher: last month has nothing, and back.
    await page.getByTestId("month-prev").click();
    await page.getByTestId("expense-items").getByText("这个月没有报销").waitFor({ timeout: TIMEOUT });
    assert.notEqual(await page.getByTestId("month-label").getAttribute("data-month"), thisMonth());
    await page.getByTestId("month-next").click();
    await row(page.getByTestId("expense-items"), dinner).waitFor({ timeout: TIMEOUT });

    // On its page: the reason, and the way to submit it again.
    await dinnerRow.getByTestId("expense-open").click();
    await detailState(page, "rejected");
    assert.match(await page.getByTestId("expense-reject-reason").textContent(), /没有发票/);
    assert.equal(await page.getByTestId("transition-submit").count(), 1);
    assert.equal(await page.getByTestId("edit-expense").count(), 0, "only a draft is changed");
    await page.getByTestId("transition-revise").click();
    await detailState(page, "draft");
    await page.getByTestId("edit-expense").click();
    await page.getByTestId("edit-expense-page").waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId("expense-amount-input").inputValue(), "288.00");
    await page.getByTestId("expense-amount-input").fill("268.00");
    await page.getByTestId("expense-notes").fill("与客户晚餐，商谈二期（发票已补）");
    await page.getByTestId("expense-save-submit").click();
    await detailState(page, "submitted");
    assert.equal(await minor(page.getByTestId("expense-detail-amount")), 26800);
    await page.getByTestId("nav-expenses").click();
    await eventually(() => minor(page.getByTestId("claim-claimed")), (v) => v === 3550 + 26800, "the dinner claimed again");
    await waitForState(page, "up_to_date");
  });

  test("finance pays the approved taxi in place; her month shows it paid", async () => {
    const device = await startDevice("expenses-finance");
    const page = await openPage(browser, device);
    await signIn(page, server.url, FINANCE.username, FINANCE.password);
    await waitForState(page, "up_to_date");
    finance = { device, page };
    assert.equal(await page.getByTestId("user-role").textContent(), "财务");
    await page.getByTestId("nav-expenses").click();
    assert.equal(await page.getByTestId("expenses-tab-approve").count(), 0, "finance judges no claims");
    await page.getByTestId("expenses-tab-pay").click();
    const queue = page.getByTestId("expense-queue-pay");
    await row(queue, taxi).waitFor({ timeout: TIMEOUT });
    assert.equal(await row(queue, dinner).count(), 0, "only approved claims wait for finance");
    assert.match(await row(queue, taxi).textContent(), /王芳/);
    await screenshot(page, "expenses-pay-queue");
    await row(queue, taxi).getByTestId("transition-pay").click();
    await row(queue, taxi).waitFor({ state: "detached", timeout: TIMEOUT });
    await waitForState(page, "up_to_date");

    const view = serverView(server.url);
    const paid = await eventually(() => view({ op: "get", id: taxi }), (r) => r.fields?.status === "paid", "the taxi paid on the server");
    assert.ok(paid.fields.paid_by && paid.fields.paid_at, "who paid and when");

    await eventually(() => minor(sales.page.getByTestId("claim-paid")), (v) => v === 3550, "paid in her month");
    assert.equal(await minor(sales.page.getByTestId("claim-approved")), 3550);
    await sales.page.locator(`[data-testid="expense-row"][data-id="${taxi}"][data-state="paid"]`).waitFor({ timeout: TIMEOUT });
    await screenshot(sales.page, "expenses-month-paid");
    await sales.page.getByTestId("expense-items").locator(`[data-id="${taxi}"]`).getByTestId("expense-open").click();
    await detailState(sales.page, "paid");
    assert.equal(await sales.page.getByTestId("expense-field-paid_by").textContent(), FINANCE.name);
    assert.equal(await sales.page.locator('[data-testid^="transition-"]').count(), 0, "a paid claim has no steps left");
  });

  test("the expense screens fit and can be tapped at the four sizes", { timeout: 300_000 }, async () => {
    // Something waiting in each queue: the dinner for the supervisor, an approved hotel for finance.
    const hotel = await dispatch(sales.device, {
      op: "create",
      kind: "expense",
      fields: { date: `${thisMonth()}-01`, category: "lodging", amount: { minor: 45000, currency: "CNY" }, customer: customer.id },
    });
    assert.equal(hotel.type, "record", JSON.stringify(hotel));
    assert.equal((await dispatch(sales.device, { op: "transition", id: hotel.id, name: "submit" })).type, "record");
    await eventually(() => dispatch(lead.device, { op: "get", id: hotel.id }), (r) => r.fields?.status === "submitted", "the hotel reached the supervisor");
    const approved = await dispatch(lead.device, { op: "transition", id: hotel.id, name: "approve" });
    assert.equal(approved.type, "record", JSON.stringify(approved));
    await eventually(() => dispatch(finance.device, { op: "get", id: hotel.id }), (r) => r.fields?.status === "approved", "the hotel reached finance");

    const screens = [
      [sales, "month", "#/expenses", '[data-testid="expense-row"]'],
      [sales, "new", "#/expenses/new", '[data-testid="expense-category-transport"]'],
      [sales, "detail", `#/expenses/${dinner}`, '[data-testid="expense-field-submitted_at"]'],
      [sales, "edit", `#/expenses/${dinner}/edit`, '[data-testid="expense-not-editable"]'],
      [lead, "approve", "#/expenses/approve", '[data-testid="transition-approve"]'],
      [finance, "pay", "#/expenses/pay", '[data-testid="transition-pay"]'],
      [finance, "paid", `#/expenses/${taxi}`, '[data-testid="expense-field-paid_by"]'],
    ];
    for (const [sizeName, size] of Object.entries(SIZES)) {
      for (const [who, name, hash, ready] of screens) {
        await who.page.setViewportSize(size);
        await who.page.goto(who.device.url + hash);
        await who.page.locator(ready).first().waitFor({ timeout: TIMEOUT });
        await checkLayout(who.page, `expenses-${name}-${sizeName}`);
      }
    }
    // The longer English words on a phone: the month, the quick form, the tab bar.
    await sales.page.setViewportSize(SIZES.phone);
    await chooseOption(sales.page, "lang-switch", "en");
    for (const [, name, hash, ready] of screens.slice(0, 2)) {
      await sales.page.goto(sales.device.url + hash);
      await sales.page.locator(ready).first().waitFor({ timeout: TIMEOUT });
      await checkLayout(sales.page, `expenses-${name}-phone-en`);
    }
    await chooseOption(sales.page, "lang-switch", "zh-CN");
    for (const who of [sales, lead, finance]) await who.page.setViewportSize(SIZES.laptop);
  });
});
