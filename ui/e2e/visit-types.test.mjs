// A visit type from the admin's tab to a salesperson's visit. The admin adds "门店巡检" (store
// audit): check in, at least one photo and a stock count required, check out. The salesperson,
// once synced, starts that kind of visit at her customer's; the visit screen shows the type's
// steps in order, and checking out before the photo and the count is refused with both named and
// marked. She takes a photo and counts a product on the shelf, and checks out. Her supervisor's
// view of the server has the visit with its type, photo and count.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { SIZES, TIMEOUT, checkLayout, chooseOption, dispatch, eventually, screenshot, serverView, signedInDevice, signIn, startDevice, startStory, waitForState } from "./harness.mjs";

let server;
let browser;

startStory({ customers: 5 }, (started) => ({ server, browser } = started));

const AUDIT = "门店巡检";
const step = (page, action) => page.locator(`[data-testid="visit-step"][data-action="${action}"]`);
const actionRow = (page, action) => page.locator(`[data-testid="visit-type-action"][data-action="${action}"]`);

/// A real JPEG drawn by the page's canvas, as bytes.
async function jpeg(page) {
  const base64 = await page.evaluate(() => {
    const canvas = document.createElement("canvas");
    canvas.width = 640;
    canvas.height = 480;
    const g = canvas.getContext("2d");
    g.fillStyle = "#2e86de";
    g.fillRect(0, 0, 640, 480);
    return canvas.toDataURL("image/jpeg", 0.9).split(",")[1];
  });
  return Buffer.from(base64, "base64");
}

describe("a visit type the admin composes, done step by step at a customer's", { timeout: 300_000 }, () => {
  let admin;
  let sales;
  let page;
  let customer;
  let product;
  let typeId;
  let visitId;

  before(async () => {
    admin = await signedInDevice(browser, server.url, "chenjing", "vt-admin");
    sales = await startDevice("vt-sales");
    const context = await browser.newContext({
      viewport: SIZES.laptop,
      locale: "zh-CN",
      timezoneId: "Asia/Shanghai",
      geolocation: { latitude: 31.300512, longitude: 120.588016, accuracy: 15 },
      permissions: ["geolocation"],
    });
    page = await context.newPage();
    page.on("pageerror", (e) => console.error("page error:", e.message));
    await page.goto(sales.url);
    await signIn(page, server.url, "wangfang");
    await waitForState(page, "up_to_date");
    const me = (await dispatch(sales, { op: "whoami" })).user_id;
    customer = (await dispatch(sales, { op: "list", kind: "customer", filter: { owner: me }, sort: "name", limit: 1 })).items[0];
    const made = await dispatch(admin.device, {
      op: "create",
      kind: "product",
      fields: { code: "P-COLA", name: "可乐 330ml", unit: "罐", list_price: { minor: 350, currency: "CNY" } },
    });
    assert.equal(made.type, "record", JSON.stringify(made));
    product = made.id;
  });

  test("the admin adds 门店巡检: a photo and a stock count required", async () => {
    const { page: apage, device } = admin;
    await apage.goto(`${device.url}#/admin/visit_types`);
    await eventually(() => apage.getByTestId("visit-type-row").count(), (n) => n === 3, "the three default types");
    await apage.getByTestId("visit-type-new").click();
    await apage.getByTestId("visit-type-form").waitFor({ timeout: TIMEOUT });
    await apage.getByTestId("visit-type-name").fill(AUDIT);
    await apage.getByTestId("visit-type-name-en").fill("Store audit");
    // A new type starts with check-in and check-out; added steps go before the check-out.
    for (const action of ["photos", "stock_count", "notes"]) {
      await chooseOption(apage, "visit-type-add-select", action);
      await apage.getByTestId("visit-type-add").click();
    }
    await actionRow(apage, "photos").getByTestId("visit-type-required").click();
    await actionRow(apage, "stock_count").getByTestId("visit-type-required").click();
    // The notes move up before the photos, then are removed again.
    await actionRow(apage, "notes").getByTestId("visit-type-up").click();
    await actionRow(apage, "notes").getByTestId("visit-type-up").click();
    assert.deepEqual(await apage.getByTestId("visit-type-action").evaluateAll((rows) => rows.map((r) => r.dataset.action)), ["check_in", "notes", "photos", "stock_count", "check_out"]);
    await actionRow(apage, "notes").getByTestId("visit-type-remove").click();
    await screenshot(apage, "visit-type-dialog");
    await apage.getByTestId("visit-type-dialog-ok").click();
    await apage.getByTestId("visit-type-form").waitFor({ state: "detached", timeout: TIMEOUT });

    const row = apage.getByTestId("visit-type-row").filter({ hasText: AUDIT });
    await row.waitFor({ timeout: TIMEOUT });
    assert.match(await row.getByTestId("visit-type-summary").textContent(), /照片（1 张）\*.*盘点库存\*/);
    const types = await dispatch(device, { op: "list", kind: "visit_type", filter: { name: AUDIT } });
    typeId = types.items[0].id;
    const held = await dispatch(device, { op: "get", id: typeId });
    assert.deepEqual(
      held.fields.actions.map((a) => [a.action, a.required, a.min ?? null]),
      [
        ["check_in", true, null],
        ["photos", true, 1],
        ["stock_count", true, null],
        ["check_out", false, null],
      ],
    );
  });

  test("the salesperson starts a 门店巡检, is refused check-out with the missing steps shown, takes a photo, counts and checks out", async () => {
    await eventually(() => dispatch(sales, { op: "get", id: typeId }), (r) => r.type === "record" && Array.isArray(r.fields.actions), "the type synced to her");
    await eventually(() => dispatch(sales, { op: "get", id: product }), (r) => r.type === "record", "the product synced to her");
    await page.goto(`${sales.url}#/customers/${customer.id}`);
    await chooseOption(page, "start-visit-type", typeId);
    await page.getByTestId("start-visit").click();
    await page.locator('[data-testid="visit-session"][data-state="open"]').waitFor({ timeout: TIMEOUT });
    visitId = page.url().split("/activity/")[1];
    assert.equal((await dispatch(sales, { op: "get", id: visitId })).fields.visit_type, typeId);
    assert.equal(await page.getByTestId("visit-session-type").textContent(), AUDIT);

    await page.getByTestId("visit-checklist").waitFor({ timeout: TIMEOUT });
    assert.deepEqual(await page.getByTestId("visit-step").evaluateAll((rows) => rows.map((r) => r.dataset.action)), ["check_in", "photos", "stock_count", "check_out"]);
    assert.equal(await step(page, "check_in").getAttribute("data-done"), "true");
    assert.equal(await step(page, "photos").getByTestId("visit-step-count").textContent(), "已拍 0 / 1 张");

    await page.getByTestId("check-out").click();
    const refusal = page.getByTestId("visit-incomplete");
    await refusal.waitFor({ timeout: TIMEOUT });
    assert.equal(await refusal.textContent(), "这类拜访签退前还需完成：拍照、盘点库存");
    assert.equal(await step(page, "photos").getAttribute("data-missing"), "true");
    assert.equal(await step(page, "stock_count").getAttribute("data-missing"), "true");
    assert.equal(await step(page, "check_out").getAttribute("data-missing"), "false");
    await screenshot(page, "visit-type-refused");

    await step(page, "photos").getByTestId("attach-camera-input").setInputFiles({ name: "货架.jpg", mimeType: "image/jpeg", buffer: await jpeg(page) });
    await eventually(() => step(page, "photos").getAttribute("data-done"), (d) => d === "true", "the photo step done");
    assert.equal(await step(page, "photos").getByTestId("visit-step-count").textContent(), "已拍 1 / 1 张");
    // What is still missing is said as steps get done.
    await eventually(() => refusal.textContent(), (text) => text === "这类拜访签退前还需完成：盘点库存", "only the count still missing");

    const counts = step(page, "stock_count");
    await chooseOption(page, "stock-count-product", product);
    await counts.getByTestId("stock-count-quantity").fill("24");
    await counts.getByTestId("stock-count-note").fill("冷柜两排");
    await counts.getByTestId("stock-count-save").click();
    await eventually(() => counts.getAttribute("data-done"), (d) => d === "true", "the stock count step done");
    await refusal.waitFor({ state: "detached", timeout: TIMEOUT });

    for (const [name, size] of Object.entries(SIZES)) {
      await page.setViewportSize(size);
      await page.getByTestId("visit-checklist").evaluate((list) => list.scrollIntoView({ block: "start" }));
      await checkLayout(page, `visit-checklist-${name}`);
    }
    await page.setViewportSize(SIZES.laptop);

    await page.getByTestId("check-out").click();
    await page.locator('[data-testid="visit-session"][data-state="closed"]').waitFor({ timeout: TIMEOUT });
    const done = await dispatch(sales, { op: "get", id: visitId });
    assert.ok(done.fields.check_out_at);
    assert.deepEqual(
      done.fields.stock_counts.map((c) => [c.product, Number(c.quantity), c.note]),
      [[product, 24, "冷柜两排"]],
    );
  });

  test("her supervisor sees the visit with its type, photo and count", async () => {
    const seen = await eventually(
      () => serverView(server.url)({ op: "get", id: visitId }),
      (r) => r.type === "record" && !!r.fields.check_out_at,
      "the checked-out visit on the server",
      40_000,
    );
    assert.equal(seen.fields.visit_type, typeId);
    assert.equal(seen.fields.photos.length, 1);
    assert.equal(seen.fields.stock_counts.length, 1);
    assert.equal(seen.fields.subject, AUDIT);
  });
});
