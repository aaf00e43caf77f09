// Sales targets (业绩目标): a supervisor sets her own target for last month and a salesperson's
// for this month in the app, row by row; a box that holds no amount is named; last month's
// targets are copied to whoever has none yet; the performance report then measures the
// salesperson's won opportunity against the target she typed. The screen fits the four sizes
// (cards on phones) and speaks English. A salesperson sees no way to it and its address leads
// back to the reports.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { SIZES, TIMEOUT, checkLayout, dispatch, eventually, openPage, screenshot, signedInDevice, startStory } from "./harness.mjs";

let server;
let browser;

startStory({ customers: 5 }, (started) => ({ server, browser } = started));

const pad = (n) => String(n).padStart(2, "0");
function months() {
  const d = new Date();
  const last = new Date(d.getFullYear(), d.getMonth() - 1, 1);
  return {
    day: `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
    month: `${d.getFullYear()}-${pad(d.getMonth() + 1)}`,
    last: `${last.getFullYear()}-${pad(last.getMonth() + 1)}`,
  };
}

describe("sales targets", { timeout: 300_000 }, () => {
  let lili;
  let wangfang;
  let wangfangId;
  let liliId;

  before(async () => {
    let page;
    ({ device: wangfang, page } = await signedInDevice(browser, server.url, "wangfang", "targets-wangfang"));
    wangfang.page = page;
    wangfangId = (await dispatch(wangfang, { op: "whoami" })).user_id;
    const customer = (await dispatch(wangfang, { op: "list", kind: "customer", limit: 1 })).items[0];
    // 15,000.00 won this month.
    const won = await dispatch(wangfang, {
      op: "create",
      kind: "opportunity",
      fields: { customer: customer.id, title: "刀具年度框架", stage: "won", amount: { minor: 1_500_000, currency: "CNY" }, expected_close: months().day },
    });
    assert.equal(won.type, "record", JSON.stringify(won));
    await page.waitForSelector('[data-testid="sync-indicator"][data-state="up_to_date"]', { timeout: 40_000 });
    ({ device: lili, page } = await signedInDevice(browser, server.url, "lili", "targets-lili"));
    lili.page = page;
    liliId = (await dispatch(lili, { op: "whoami" })).user_id;
    await eventually(() => dispatch(lili, { op: "get", id: won.id }), (r) => r.type === "record", "the opportunity reached the supervisor");
  });

  const row = (page, owner) => page.locator(`[data-testid="target-row"][data-owner="${owner}"]`);

  test("a supervisor sets targets row by row, copies last month's, and the performance report measures against them", async () => {
    const page = lili.page;
    const { month, last } = months();
    await page.goto(`${lili.url}#/reports`);
    await page.getByTestId("targets-link").click();
    await page.locator(`[data-testid="targets"][data-month="${month}"]`).waitFor({ timeout: TIMEOUT });
    await row(page, wangfangId).waitFor({ timeout: TIMEOUT });
    await row(page, liliId).waitFor({ timeout: TIMEOUT });

    // Last month: her own targets.
    await page.getByTestId("month-prev").click();
    await page.locator(`[data-testid="targets"][data-month="${last}"]`).waitFor({ timeout: TIMEOUT });
    await page.waitForURL(new RegExp(`month=${last}`));
    const mine = row(page, liliId);
    await mine.getByTestId("target-won").fill("50,000");
    await mine.getByTestId("target-new_customers").fill("3");
    await mine.getByTestId("target-save").click();
    await page.locator(`[data-testid="target-row"][data-owner="${liliId}"][data-saved="1"]`).waitFor({ timeout: TIMEOUT });
    assert.equal(await row(page, liliId).getByTestId("target-won").inputValue(), "50000.00");

    // This month: the salesperson's, first with an amount that is none.
    await page.getByTestId("month-next").click();
    await page.locator(`[data-testid="targets"][data-month="${month}"]`).waitFor({ timeout: TIMEOUT });
    const hers = row(page, wangfangId);
    await hers.getByTestId("target-won").fill("3万");
    await hers.getByTestId("target-visits").fill("20");
    await hers.getByTestId("target-save").click();
    await hers.locator('[data-testid="target-error"][data-field="won"]').waitFor({ timeout: TIMEOUT });
    assert.match(await hers.locator('[data-testid="target-error"][data-field="won"]').textContent(), /金额/);
    await screenshot(page, "targets-invalid-amount");
    await hers.getByTestId("target-won").fill("30,000.00");
    await hers.getByTestId("target-collected").fill("20000");
    await hers.getByTestId("target-save").click();
    await page.locator(`[data-testid="target-row"][data-owner="${wangfangId}"][data-saved="1"]`).waitFor({ timeout: TIMEOUT });
    const saved = await eventually(
      () => dispatch(lili, { op: "list", kind: "sales_target", filter: { owner: wangfangId, month } }),
      (r) => r.items?.length === 1 && r.items[0].fields.won?.minor === 3_000_000,
      "the target is written",
    );
    assert.deepEqual(saved.items[0].fields.collected, { minor: 2_000_000, currency: "CNY" });
    assert.equal(saved.items[0].fields.visits, 20);

    // Saved again with another figure: still one record for her month.
    await row(page, wangfangId).getByTestId("target-visits").fill("25");
    await row(page, wangfangId).getByTestId("target-save").click();
    await eventually(
      () => dispatch(lili, { op: "list", kind: "sales_target", filter: { owner: wangfangId, month } }),
      (r) => r.items?.length === 1 && r.items[0].fields.visits === 25,
      "the same record is updated",
    );

    // Copy last month's: her own is copied; the salesperson had none then and keeps this month's.
    await page.getByTestId("targets-copy").click();
    const plan = page.getByTestId("targets-copy-plan");
    await plan.waitFor({ timeout: TIMEOUT });
    assert.match(await plan.textContent(), /1 人.*李丽/);
    assert.doesNotMatch(await plan.textContent(), /王芳/);
    await screenshot(page, "targets-copy-plan");
    await page.getByTestId("targets-copy-ok").click();
    await page.locator(`[data-testid="target-row"][data-owner="${liliId}"][data-saved="1"]`).waitFor({ timeout: TIMEOUT });
    assert.equal(await row(page, liliId).getByTestId("target-won").inputValue(), "50000.00");
    assert.equal(await row(page, liliId).getByTestId("target-new_customers").inputValue(), "3");
    assert.equal(await row(page, wangfangId).getByTestId("target-won").inputValue(), "30000.00");
    await screenshot(page, "targets-laptop");

    // The performance report: 15,000.00 won of the 30,000.00 she typed, 50.00 %.
    await page.goto(`${lili.url}#/reports/performance`);
    const people = page.getByTestId("report-table-people");
    const her = people.getByTestId("report-row").filter({ hasText: "王芳" });
    await her.waitFor({ timeout: TIMEOUT });
    assert.match(await her.textContent(), /¥15,000\.00.*¥30,000\.00.*50\.00%/);
    // The way back to the targets from the report.
    await page.getByTestId("targets-link").click();
    await page.getByTestId("targets-grid").waitFor({ timeout: TIMEOUT });
  });

  test("the targets fit the four sizes, as cards on phones, and in English", async () => {
    const page = lili.page;
    for (const [name, size] of Object.entries(SIZES)) {
      await page.setViewportSize(size);
      await page.goto(`${lili.url}#/reports/targets`);
      await row(page, wangfangId).waitFor({ timeout: TIMEOUT });
      await checkLayout(page, `targets-${name}`);
    }
    // On a phone each person's boxes are labelled in the card.
    await page.setViewportSize(SIZES.phone);
    assert.ok(await row(page, wangfangId).locator(".target-label").first().isVisible());
    await page.setViewportSize(SIZES.laptop);
    assert.equal(await row(page, wangfangId).locator(".target-label").first().isVisible(), false);

    const en = await openPage(browser, lili, { size: SIZES.phone, locale: "en-US" });
    await en.goto(`${lili.url}#/reports/targets`);
    await row(en, wangfangId).waitFor({ timeout: TIMEOUT });
    assert.match(await en.getByTestId("targets").textContent(), /Sales targets.*Copy last month's targets/);
    await checkLayout(en, "targets-en-phone");
    await en.setViewportSize(SIZES.laptop);
    await checkLayout(en, "targets-en-laptop");
    await en.context().close();
  });

  test("a salesperson has no way to the targets", async () => {
    const page = wangfang.page;
    await page.goto(`${wangfang.url}#/reports`);
    await page.getByTestId("report-list").waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId("targets-link").count(), 0);
    await page.goto(`${wangfang.url}#/reports/performance`);
    await page.locator('[data-testid="report"][data-report="performance"]').waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId("targets-link").count(), 0);
    // The address is not declared for her: it leads back to the reports.
    await page.goto(`${wangfang.url}#/reports/targets`);
    await page.waitForURL(/#\/reports$/, { timeout: TIMEOUT });
    assert.equal(await page.getByTestId("targets").count(), 0);
  });
});
