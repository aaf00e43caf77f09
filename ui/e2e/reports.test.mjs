// Reports: a supervisor's month — orders confirmed for two of the team's customers, opportunities
// expected to close this month, a target — read in each of the seven reports from the menu; the
// period changed; a tap on a bar opens the orders behind it and one of them; the contribution
// report exported as a workbook in Chinese; home's card of the team's month; every report at the
// four sizes, and in English. A salesperson is offered only her own figures, and asking the core for her team's
// is refused.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { SIZES, TIMEOUT, checkLayout, dispatch, eventually, openPage, screenshot, signedInDevice, startStory } from "./harness.mjs";
import { zipTexts } from "./sheets.mjs";

let server;
let browser;

startStory({ customers: 20 }, (started) => ({ server, browser } = started));

const REPORTS = ["contribution", "composition", "service", "churn", "funnel", "performance", "receivables"];

/// This month as `YYYY-MM` and its first day, in the device's calendar (Asia/Shanghai on the
/// test machines as in the company's settings).
function thisMonth() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return { month: `${d.getFullYear()}-${pad(d.getMonth() + 1)}`, first: `${d.getFullYear()}-${pad(d.getMonth() + 1)}-01`, day: `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` };
}

function lastMonthFirst() {
  const d = new Date();
  const first = new Date(d.getFullYear(), d.getMonth() - 1, 1);
  return `${first.getFullYear()}-${String(first.getMonth() + 1).padStart(2, "0")}-01`;
}

describe("reports", { timeout: 420_000 }, () => {
  let lili;
  let wangfang;
  let customers;
  let orders;

  before(async () => {
    let wangfangPage;
    ({ device: wangfang, page: wangfangPage } = await signedInDevice(browser, server.url, "wangfang", "reports-wangfang"));
    wangfang.page = wangfangPage;
    customers = (await dispatch(wangfang, { op: "list", kind: "customer", sort: "name", limit: 2 })).items;
    const { day } = thisMonth();
    // Opportunities expected to close this month, one won.
    for (const [title, stage, minor] of [
      ["数控车床二期", "proposal", 8_000_000],
      ["刀具年度框架", "negotiation", 3_000_000],
      ["夹具改造", "won", 1_500_000],
    ]) {
      const r = await dispatch(wangfang, {
        op: "create",
        kind: "opportunity",
        fields: { customer: customers[0].id, title, stage, amount: { minor, currency: "CNY" }, expected_close: day },
      });
      assert.equal(r.type, "record", JSON.stringify(r));
    }
    // Orders: 12,500.00 for the first customer, 3,125.00 for the second.
    orders = [];
    for (const [customer, unit_price] of [
      [customers[0], 1_250_000],
      [customers[1], 312_500],
    ]) {
      const r = await dispatch(wangfang, {
        op: "create",
        kind: "order",
        fields: { customer: customer.id, lines: [{ name: "硬质合金刀片", quantity: 1, unit_price }] },
      });
      assert.equal(r.type, "record", JSON.stringify(r));
      orders.push(r.id);
    }
    await wangfangPage.waitForSelector('[data-testid="sync-indicator"][data-state="up_to_date"]', { timeout: 40_000 });
    let page;
    ({ device: lili, page } = await signedInDevice(browser, server.url, "lili", "reports-lili"));
    lili.page = page;
    const me = (await dispatch(wangfang, { op: "whoami" })).user_id;
    // The supervisor confirms the orders and sets wangfang's target for the month.
    for (const id of orders) {
      await eventually(() => dispatch(lili, { op: "get", id }), (r) => r.type === "record", "the order reached the supervisor");
      const r = await dispatch(lili, { op: "transition", id, name: "confirm", fields: {} });
      assert.equal(r.type, "record", JSON.stringify(r));
    }
    const target = await dispatch(lili, {
      op: "create",
      kind: "sales_target",
      fields: { owner: me, month: thisMonth().month, won: { minor: 3_000_000, currency: "CNY" }, collected: { minor: 2_000_000, currency: "CNY" }, visits: 20 },
    });
    assert.equal(target.type, "record", JSON.stringify(target));
  });

  test("each of the seven reports opens from the menu and shows its tables", async () => {
    const page = lili.page;
    await page.goto(`${lili.url}#/home`);
    await page.getByTestId("nav-reports").click();
    await page.getByTestId("report-list").waitFor({ timeout: TIMEOUT });
    for (const name of REPORTS) assert.equal(await page.getByTestId(`report-link-${name}`).count(), 1, name);
    await screenshot(page, "reports-list-laptop");
    for (const name of REPORTS) {
      await page.goto(`${lili.url}#/reports`);
      await page.getByTestId(`report-link-${name}`).click();
      await page.locator(`[data-testid="report"][data-report="${name}"] .report-table`).first().waitFor({ timeout: TIMEOUT });
      assert.equal(await page.getByTestId("report-error").count(), 0, `${name} answered`);
      // The supervisor chooses between her own figures and the team's, and a person.
      await page.getByTestId("report-scope").waitFor({ timeout: TIMEOUT });
      await page.getByTestId("report-owner").waitFor({ timeout: TIMEOUT });
      await page.waitForTimeout(300);
      await screenshot(page, `reports-${name}-laptop`);
    }
  });

  test("the contribution report: the period changes, a bar opens the orders behind it, one opens", async () => {
    const page = lili.page;
    await page.goto(`${lili.url}#/reports/contribution`);
    const table = page.getByTestId("report-table-customers");
    await table.getByTestId("report-row").first().waitFor({ timeout: TIMEOUT });
    const range = page.getByTestId("report-range");
    assert.equal(await range.getAttribute("data-from"), thisMonth().first);
    // The top customer is first, with its order's revenue.
    assert.match(await table.getByTestId("report-row").first().textContent(), new RegExp(`${String(customers[0].fields.name)}.*¥12,500\\.00`));
    assert.match(await table.getByTestId("report-totals").textContent(), /¥15,625\.00/);

    // Last month: nothing ordered then.
    await page.getByTestId("report-period").click();
    await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) [data-value="last_month"]').click();
    await page.locator(`[data-testid="report-range"][data-from="${lastMonthFirst()}"]`).waitFor({ timeout: TIMEOUT });
    await screenshot(page, "reports-contribution-last-month");
    await page.getByTestId("report-period").click();
    await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) [data-value="this_month"]').click();
    await page.locator(`[data-testid="report-range"][data-from="${thisMonth().first}"]`).waitFor({ timeout: TIMEOUT });
    // Her own figures have no person to choose; she ordered nothing herself.
    await page.getByTestId("report-scope").click();
    await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) [data-value="mine"]').click();
    await page.getByTestId("report-owner").waitFor({ state: "detached", timeout: TIMEOUT });
    await eventually(() => table.getByTestId("report-row").count(), (n) => n === 0, "no orders of her own");
    await page.getByTestId("report-scope").click();
    await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) [data-value="team"]').click();
    await page.getByTestId("report-owner").waitFor({ timeout: TIMEOUT });
    await table.getByTestId("report-row").first().waitFor({ timeout: TIMEOUT });

    // A tap on the first bar (the top customer's column).
    const chart = page.getByTestId("report-chart-customers");
    await chart.waitFor({ timeout: TIMEOUT });
    await page.waitForTimeout(500);
    const box = await chart.boundingBox();
    await page.mouse.click(box.x + box.width * 0.3, box.y + box.height * 0.6);
    const panel = page.getByTestId("drill-panel");
    await panel.getByTestId("drill-record").first().waitFor({ timeout: TIMEOUT });
    assert.match(await panel.getByTestId("drill-count").textContent(), /1 条记录/);
    assert.equal(await panel.getByTestId("drill-record").first().getAttribute("data-id"), orders[0]);
    await screenshot(page, "reports-contribution-drill");
    await panel.getByTestId("drill-record").first().locator("a").click();
    await page.waitForURL(new RegExp(`#/sales/order/${orders[0]}$`), { timeout: TIMEOUT });
  });

  test("the contribution report exports as a workbook in the language shown", async () => {
    const page = lili.page;
    await page.goto(`${lili.url}#/reports/contribution`);
    await page.getByTestId("report-table-customers").getByTestId("report-row").first().waitFor({ timeout: TIMEOUT });
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("report-export").click()]);
    assert.match(download.suggestedFilename(), /^contribution-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.xlsx$/);
    const parts = zipTexts(readFileSync(await download.path()));
    const text = Object.values(parts).join("\n");
    for (const word of ["客户贡献度（ABC 分析）", "收入", "累计占比", "A 类", String(customers[0].fields.name), "本团队"]) {
      assert.ok(text.includes(word), `the workbook says ${word}`);
    }
  });

  test("the funnel's stages and the performance against the target", async () => {
    const page = lili.page;
    await page.goto(`${lili.url}#/reports/funnel`);
    const stages = page.getByTestId("report-table-stages");
    await stages.getByTestId("report-row").first().waitFor({ timeout: TIMEOUT });
    assert.match(await stages.textContent(), /方案/);
    await page.goto(`${lili.url}#/reports/performance`);
    const people = page.getByTestId("report-table-people");
    await people.getByTestId("report-row").first().waitFor({ timeout: TIMEOUT });
    const row = people.getByTestId("report-row").filter({ hasText: "王芳" });
    // Won 15,000.00 of a 30,000.00 target: 50.00 %.
    assert.match(await row.textContent(), /¥15,000\.00.*¥30,000\.00.*50\.00%/);
  });

  test("home shows the supervisor the team's month and leads to the reports", async () => {
    const page = lili.page;
    await page.goto(`${lili.url}#/home`);
    const card = page.getByTestId("home-team-month");
    await card.getByTestId("team-month-won").waitFor({ timeout: TIMEOUT });
    assert.match(await card.getByTestId("team-month-won").textContent(), /¥15,000\.00/);
    assert.match(await card.getByTestId("team-month-won").textContent(), /¥30,000\.00/);
    await card.getByTestId("team-month-forecast").first().waitFor({ timeout: TIMEOUT });
    await screenshot(page, "reports-home-team-month");
    await card.getByTestId("team-month-more").click();
    await page.locator('[data-testid="report"][data-report="performance"]').waitFor({ timeout: TIMEOUT });
  });

  test("every report and the list fit the four sizes", async () => {
    const page = lili.page;
    for (const [sizeName, size] of Object.entries(SIZES)) {
      await page.setViewportSize(size);
      await page.goto(`${lili.url}#/reports`);
      await page.getByTestId("report-list").waitFor({ timeout: TIMEOUT });
      await checkLayout(page, `reports-list-${sizeName}`);
      for (const name of REPORTS) {
        await page.goto(`${lili.url}#/reports/${name}`);
        await page.locator(`[data-testid="report"][data-report="${name}"] .report-table`).first().waitFor({ timeout: TIMEOUT });
        await checkLayout(page, `reports-${name}-${sizeName}`);
        // A wide table scrolls in its own box: no card grows past the window.
        const rights = await page.locator(".report-table").evaluateAll((els) => els.map((e) => e.getBoundingClientRect().right));
        for (const right of rights) assert.ok(right <= size.width, `${name} at ${sizeName}: a table's card ends at ${right}px`);
      }
      await page.goto(`${lili.url}#/home`);
      await page.getByTestId("home-team-month").getByTestId("team-month-won").waitFor({ timeout: TIMEOUT });
      await checkLayout(page, `reports-home-${sizeName}`);
    }
    await page.setViewportSize(SIZES.laptop);
  });

  test("in English, the reports and home's card fit a phone and a laptop too", async () => {
    const page = await openPage(browser, lili, { size: SIZES.phone, locale: "en-US" });
    for (const size of ["phone", "laptop"]) {
      await page.setViewportSize(SIZES[size]);
      for (const name of ["contribution", "performance", "receivables"]) {
        await page.goto(`${lili.url}#/reports/${name}`);
        await page.locator(`[data-testid="report"][data-report="${name}"] .report-table`).first().waitFor({ timeout: TIMEOUT });
        await checkLayout(page, `reports-${name}-en-${size}`);
      }
      await page.goto(`${lili.url}#/home`);
      await page.getByTestId("home-team-month").getByTestId("team-month-won").waitFor({ timeout: TIMEOUT });
      assert.match(await page.getByTestId("home-team-month").textContent(), /The team's month.*Won.*of/);
      await checkLayout(page, `reports-home-en-${size}`);
    }
    await page.context().close();
  });

  test("a salesperson sees only her own figures; her team's are refused", async () => {
    const page = wangfang.page;
    await page.setViewportSize(SIZES.phone);
    await page.goto(`${wangfang.url}#/home`);
    await page.getByTestId("home-reports").click();
    await page.getByTestId("report-link-contribution").click();
    await page.getByTestId("report-table-customers").getByTestId("report-row").first().waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId("report-scope").count(), 0, "no choice of whose figures");
    assert.equal(await page.getByTestId("report-owner").count(), 0, "no choice of person");
    await screenshot(page, "reports-contribution-salesperson-phone");
    const refused = await dispatch(wangfang, { op: "report", name: "contribution", scope: "team" });
    assert.equal(refused.type, "error");
    assert.equal(refused.code, "forbidden");
  });
});
