// Layout check at the four sizes, on the screens a salesperson and a supervisor use most:
// nothing sticks out sideways or is cut off, and every button and link is big enough to tap.
//
// Targets: every visible `button`, `a[href]`, `[role=button]` and segmented-control choice
// must be at least 44 × 44 px (Apple's and WCAG 2.5.5's touch target). Both sides are
// checked, so an icon-only button must be square-ish too.
// Cut off: a text element whose box reaches past the viewport's left or right edge, or whose
// text is wider than its box while it neither wraps nor ends in an ellipsis (an ellipsis is a
// deliberate, visible shortening of a long name in a one-line list row). A wide table that
// scrolls sideways in its own box (the admin tables on tablets) is not cut off: its box must be
// in view, and what lies past its edge is reached by scrolling it; so are tabs that do not fit
// a tab bar, which its "…" button offers.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { SIZES, TIMEOUT, checkLayout as check, dispatch, openPage, screenshot, signIn, startDevice, startStory, waitForState } from "./harness.mjs";

let server;
let browser;

startStory({ customers: 40 }, (started) => ({ server, browser } = started));

for (const user of ["wangfang", "lili"]) {
  describe(`layout for ${user}`, { timeout: 240_000 }, () => {
    let device;
    let page;
    let customerId;
    let requestId;
    let caseId;

    before(async () => {
      device = await startDevice(`layout-${user}`);
      page = await openPage(browser, device);
      await signIn(page, server.url, user);
      await waitForState(page, "up_to_date");
      const list = await (
        await fetch(`${device.url}api/dispatch`, {
          method: "POST",
          body: JSON.stringify({ op: "list", kind: "customer", sort: "name", limit: 1 }),
        })
      ).json();
      customerId = list.items[0].id;
      requestId = (await dispatch(device, { op: "list", kind: "service_request", sort: "code", limit: 1 })).items[0].id;
      const quiet = (await dispatch(device, { op: "churn_warnings", all_owners: true })).items[0].customer.id;
      caseId = (await dispatch(device, { op: "open_churn_case", customer: quiet })).id;
    });

    for (const [sizeName, size] of Object.entries(SIZES)) {
      test(`home, customers, a customer, the new-customer and visit forms, service requests, the pool, churn and switch user at ${sizeName}`, async () => {
        await page.setViewportSize(size);
        const screens = {
          home: "#/home",
          customers: "#/customers",
          detail: `#/customers/${customerId}`,
          new: "#/new/customer",
          visit: `#/visit/${customerId}`,
          service: "#/service",
          "service-detail": `#/service/${requestId}`,
          "new-service": "#/new/service_request",
          pool: "#/pool",
          churn: "#/churn",
          "churn-case": `#/churn/${caseId}`,
          sync: "#/sync",
          switch: "#/switch-user",
        };
        for (const [name, hash] of Object.entries(screens)) {
          await page.goto(device.url + hash);
          // The top bar's indicator (the sync screen shows a second one).
          await page.getByTestId("sync-indicator").first().waitFor({ timeout: TIMEOUT });
          await check(page, `${user}-${name}-${sizeName}`);
        }
      });
    }

    test("on a phone every log-visit button on home is fully in view horizontally", async () => {
      await page.setViewportSize(SIZES.phone);
      await page.goto(`${device.url}#/home`);
      await page.getByTestId("home-follow-ups").waitFor({ timeout: TIMEOUT });
      const buttons = page.getByTestId("home-log-visit");
      await buttons.first().waitFor({ timeout: TIMEOUT });
      for (const box of await buttons.evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON()))) {
        assert.ok(box.left >= 0 && box.right <= SIZES.phone.width, `a log-visit button spans ${box.left}..${box.right}`);
      }
    });
  });
}

test("every administration section, and the lists an admin exports from, at the four sizes", { timeout: 240_000 }, async () => {
  const device = await startDevice("layout-admin");
  const page = await openPage(browser, device);
  await signIn(page, server.url, "chenjing");
  await waitForState(page, "up_to_date");
  // What each section shows once its data is in (from the server for the first ones).
  const ready = {
    users: '[data-testid="user-row"]',
    devices: '[data-testid="device-row"]',
    audit: '[data-testid="audit-row"]',
    backups: '[data-testid="backup-restore-note"]',
    export: '[data-testid="export-card"]',
    teams: ".ant-table",
    dictionary: '[data-testid="dict-row"]',
    custom_fields: '[data-testid="cf-kind"]',
    settings: '[data-testid="grade-rule"]',
  };
  for (const [sizeName, size] of Object.entries(SIZES)) {
    await page.setViewportSize(size);
    for (const [section, selector] of Object.entries(ready)) {
      await page.goto(`${device.url}#/admin/${section}`);
      await page.locator(selector).first().waitFor({ timeout: TIMEOUT });
      await check(page, `chenjing-admin-${section}-${sizeName}`);
    }
    // The lists an admin exports from, the Export button in their heads.
    for (const list of ["customers", "service", "pool", "leads", "pipeline"]) {
      await page.goto(`${device.url}#/${list}`);
      await page.getByTestId("export-action").waitFor({ timeout: TIMEOUT });
      await check(page, `chenjing-${list}-export-${sizeName}`);
    }
  }
});

test("the duplicate warning shows by the name field, in view on a tablet without scrolling", async () => {
  const device = await startDevice("layout-duplicate");
  const page = await openPage(browser, device, { size: SIZES.tablet });
  await signIn(page, server.url, "wangfang");
  await waitForState(page, "up_to_date");
  const list = await (
    await fetch(`${device.url}api/dispatch`, { method: "POST", body: JSON.stringify({ op: "list", kind: "customer", limit: 1 }) })
  ).json();
  await page.goto(`${device.url}#/new/customer`);
  await page.getByTestId("field-name").fill(String(list.items[0].fields.name));
  const warning = page.getByTestId("duplicates");
  await warning.waitFor({ timeout: TIMEOUT });
  const box = await warning.boundingBox();
  const name = await page.getByTestId("field-name").boundingBox();
  assert.ok(box.y + box.height <= SIZES.tablet.height, `the warning ends at ${box.y + box.height}px, below the window`);
  assert.ok(box.y - (name.y + name.height) < 120, "the warning is right under the name field");
  await screenshot(page, "layout-duplicate-tablet");
});

test("the import screen — a preview with refused rows, the result and the history — at the four sizes", { timeout: 120_000 }, async () => {
  // A device used locally, so the import changes nothing the other layout checks see.
  const device = await startDevice("layout-import");
  const page = await openPage(browser, device);
  await page.getByTestId("use-locally").click();
  await page.getByTestId("sync-indicator").waitFor({ timeout: TIMEOUT });
  await page.goto(`${device.url}#/import`);
  const csv = [
    "客户名称（全称，含“有限公司”等后缀）,手机,客户等级,联系人,职务,备注",
    "常州市武进区湖塘镇某某精密机械制造有限公司,13911110001,A类,张伟,采购经理,一个很长的备注，用来看长文字在窄屏上是否换行",
    "导入布局乙公司,13911110002,Z类,李娜,,",
    ",13911110003,B,,,",
  ].join("\n");
  await page.getByTestId("import-file").locator('input[type="file"]').setInputFiles({ name: "一个名字很长的客户名单（销售部 2024 年整理版）.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await page.getByTestId("import-rows").waitFor({ timeout: TIMEOUT });
  for (const [sizeName, size] of Object.entries(SIZES)) {
    await page.setViewportSize(size);
    await check(page, `import-preview-${sizeName}`);
  }
  await page.getByTestId("import-run").click();
  await page.getByTestId("import-result").waitFor({ timeout: TIMEOUT });
  for (const [sizeName, size] of Object.entries(SIZES)) {
    await page.setViewportSize(size);
    await check(page, `import-result-${sizeName}`);
  }
  await page.getByTestId("import-tab-history").click();
  await page.getByTestId("import-batch").waitFor({ timeout: TIMEOUT });
  for (const [sizeName, size] of Object.entries(SIZES)) {
    await page.setViewportSize(size);
    await check(page, `import-history-${sizeName}`);
  }
});
