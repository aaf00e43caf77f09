// The admin's rules, changed in the app and in force everywhere: a limit on the customers one
// salesperson owns — a value out of range is refused by the box it is about, then a limit she
// is already at makes her next claim from the pool refused, and the customer stays in the
// pool — and a grade's churn days, which her device then counts with. The check-in tolerance is
// saved from its box and read back into it.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { SIZES, TIMEOUT, dispatch, eventually, screenshot, signedInDevice, startStory } from "./harness.mjs";

let server;
let browser;

// The demo releases a few of the salesperson's customers to the pool.
startStory({ customers: 30 }, (started) => ({ server, browser } = started));

function session(user) {
  return signedInDevice(browser, server.url, user, `settings-${user}`);
}

describe("company settings and grade rules", { timeout: 240_000 }, () => {
  let admin;
  let sales;

  before(async () => {
    admin = await session("chenjing");
    sales = await session("wangfang");
  });

  test("a limit on owned customers: refused out of range, then in force for the salesperson's claims", async () => {
    const me = (await dispatch(sales.device, { op: "whoami" })).user_id;
    const owned = (await dispatch(sales.device, { op: "list", kind: "customer", filter: { owner: me }, limit: 1 })).total;
    assert.ok(owned > 0);

    const { page, device } = admin;
    await page.goto(`${device.url}#/admin/settings`);
    await page.getByTestId("admin-settings-form").waitFor({ timeout: TIMEOUT });
    const box = page.getByTestId("setting-pool.max_owned");
    await box.fill("2000000");
    await page.getByTestId("settings-save").click();
    const error = page.locator('.form-field:has([data-testid="setting-pool.max_owned"]) [role="alert"]');
    await error.waitFor({ timeout: TIMEOUT });
    assert.match(await error.textContent(), /0 到 1000000/);
    assert.equal(await page.locator('.form-field:has([data-testid="setting-service.reopen_below"]) [role="alert"]').count(), 0);

    await box.fill(String(owned));
    await page.getByTestId("settings-save").click();
    await error.waitFor({ state: "detached", timeout: TIMEOUT });
    await screenshot(page, "admin-settings-laptop");
    await page.setViewportSize(SIZES.phone);
    await screenshot(page, "admin-settings-phone");
    await page.setViewportSize(SIZES.laptop);
    // One record for the key, made the documented way, and the salesperson's device has it.
    const settings = (await dispatch(device, { op: "list", kind: "setting", filter: { key: "pool.max_owned" } })).items;
    assert.equal(settings.length, 1);
    assert.equal(settings[0].fields.value, owned);
    await eventually(
      () => dispatch(sales.device, { op: "list", kind: "setting", filter: { key: "pool.max_owned" } }),
      (p) => p.items[0]?.fields.value === owned,
      "the limit reached the salesperson",
    );

    // She owns as many as the limit: claiming one more from the pool is refused.
    const pool = (await dispatch(sales.device, { op: "list", kind: "customer", filter: { owner: null }, sort: "name", limit: 5 })).items;
    assert.ok(pool.length > 0, "the demo put customers in the pool");
    const target = pool[0];
    await sales.page.getByTestId("nav-pool").click();
    const row = sales.page.locator(`[data-testid="pool-row"][data-id="${target.id}"]`);
    await row.getByTestId("transition-claim").click();
    const refused = sales.page.locator(".ant-message-notice", { hasText: `已达上限（${owned} 个）` });
    await refused.waitFor({ timeout: TIMEOUT });
    await screenshot(sales.page, "settings-claim-refused");
    assert.equal(await row.count(), 1, "the customer stays in the pool list");
    const held = await dispatch(sales.device, { op: "get", id: target.id });
    assert.equal(held.fields.owner, undefined);
    assert.equal(held.awaiting, undefined);
    // Nor did anything reach the server: the admin's device sees it in the pool still.
    assert.equal((await dispatch(admin.device, { op: "get", id: target.id })).fields.owner, undefined);

    // Back to no limit (an empty box): the claim goes through.
    await page.getByTestId("setting-pool.max_owned").fill("");
    await page.getByTestId("settings-save").click();
    await eventually(
      () => dispatch(sales.device, { op: "list", kind: "setting", filter: { key: "pool.max_owned" } }),
      (p) => p.items[0] && p.items[0].fields.value === undefined,
      "the limit was lifted",
    );
    await row.getByTestId("transition-claim").click();
    await row.waitFor({ state: "detached", timeout: TIMEOUT });
    await eventually(() => dispatch(admin.device, { op: "get", id: target.id }), (r) => r.fields?.owner === me, "the claim reached the server");
  });

  test("a grade's churn days: refused out of range by the box, then counted on the salesperson's device", async () => {
    const { page, device } = admin;
    await page.goto(`${device.url}#/admin/settings`);
    const rule = page.locator('[data-testid="grade-rule"][data-grade="A"]');
    await rule.waitFor({ timeout: TIMEOUT });
    await rule.getByTestId("setting-A-churn_days").fill("0");
    await rule.getByTestId("grade-rule-save").click();
    const error = rule.locator('.form-field:has([data-testid="setting-A-churn_days"]) [role="alert"]');
    await error.waitFor({ timeout: TIMEOUT });
    assert.match(await error.textContent(), /1 到 3650/);

    await rule.getByTestId("setting-A-churn_days").fill("20");
    await rule.getByTestId("setting-A-churn_warning_days").fill("5");
    await rule.getByTestId("grade-rule-save").click();
    await error.waitFor({ state: "detached", timeout: TIMEOUT });
    const rules = await eventually(
      () => dispatch(sales.device, { op: "grade_rules" }),
      (r) => r.rules.find((x) => x.grade === "A")?.churn_days === 20,
      "the rule reached the salesperson",
    );
    const a = rules.rules.find((x) => x.grade === "A");
    assert.equal(a.churn_warning_days, 5);
    assert.equal(a.recycle_days, 0, "a day count left empty keeps its default");
    assert.equal((await dispatch(device, { op: "list", kind: "grade_rule", filter: { grade: "A" } })).total, 1);
  });

  test("the check-in tolerance is saved from its box and read back", async () => {
    const { page, device } = admin;
    await page.goto(`${device.url}#/admin/settings`);
    const box = page.getByTestId("setting-visit.check_in_tolerance_m");
    await box.waitFor({ timeout: TIMEOUT });
    assert.equal(await box.inputValue(), "", "empty: the default");
    await box.fill("250");
    await page.getByTestId("settings-save").click();
    await eventually(
      () => dispatch(device, { op: "list", kind: "setting", filter: { key: "visit.check_in_tolerance_m" } }),
      (p) => p.items.length === 1 && p.items[0].fields.value === 250,
      "one record for the key, holding 250",
    );
    await page.reload();
    await eventually(() => page.getByTestId("setting-visit.check_in_tolerance_m").inputValue(), (v) => v === "250", "the box reads 250 back");
  });
});
