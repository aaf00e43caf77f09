// Photos on a visit. A salesperson checks in at her customer's (the browser says where she is),
// takes two photos with the visit screen's camera button, writes her notes and checks out; the
// visit's two thumbnails are on the customer's photos, saying which visit they came from. A file
// that only pretends to be a JPEG, and one far too large, are refused with the reason while the
// others stay. After sync her supervisor's device has the visit on its calendar and the two
// thumbnails on the customer, and opening one fetches the whole photo from the server. A shop
// front added on the customer's page is removed again; a taxi receipt is photographed on the new
// expense form and saved with the expense.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import { SIZES, TIMEOUT, checkLayout, dispatch, eventually, screenshot, signIn, startDevice, startStory, tmpDir, waitForState } from "./harness.mjs";

let server;
let browser;

startStory({ customers: 5 }, (started) => ({ server, browser } = started));

/// A real JPEG of `width`×`height` drawn by the page's canvas in `colour`, as bytes.
async function jpeg(page, colour, width, height) {
  const base64 = await page.evaluate(
    ([c, w, h]) => {
      const canvas = document.createElement("canvas");
      canvas.width = w;
      canvas.height = h;
      const g = canvas.getContext("2d");
      g.fillStyle = c;
      g.fillRect(0, 0, w, h);
      g.fillStyle = "#fff";
      g.fillRect(w / 4, h / 4, w / 2, h / 2);
      return canvas.toDataURL("image/jpeg", 0.9).split(",")[1];
    },
    [colour, width, height],
  );
  return Buffer.from(base64, "base64");
}

describe("photos taken on a visit", { timeout: 300_000 }, () => {
  const AT = { latitude: 31.300512, longitude: 120.588016, accuracy: 15 };
  let sales;
  let context;
  let page;
  let customer;
  let visitId;
  let hashes;

  before(async () => {
    sales = await startDevice("attachments-sales");
    context = await browser.newContext({
      viewport: SIZES.laptop,
      locale: "zh-CN",
      timezoneId: "Asia/Shanghai",
      geolocation: AT,
      permissions: ["geolocation"],
    });
    page = await context.newPage();
    page.on("pageerror", (e) => console.error("page error:", e.message));
    await page.goto(sales.url);
    await signIn(page, server.url, "wangfang");
    await waitForState(page, "up_to_date");
    const me = (await dispatch(sales, { op: "whoami" })).user_id;
    customer = (await dispatch(sales, { op: "list", kind: "customer", filter: { owner: me }, sort: "name", limit: 1 })).items[0];
  });

  test("checked in, two photos taken, a fake JPEG and a huge file refused, notes written, checked out", async () => {
    await page.goto(`${sales.url}#/customers/${customer.id}`);
    await page.getByTestId("start-visit").click();
    const session = page.locator('[data-testid="visit-session"][data-state="open"]');
    await session.waitFor({ timeout: TIMEOUT });
    visitId = page.url().split("/activity/")[1];

    const photos = page.getByTestId("attachments-photos");
    const front = await jpeg(page, "#1d6fb8", 1600, 1200);
    const shelf = await jpeg(page, "#c0392b", 900, 1400);
    await photos.getByTestId("attach-camera-input").setInputFiles([
      { name: "门头.jpg", mimeType: "image/jpeg", buffer: front },
      { name: "货架.jpg", mimeType: "image/jpeg", buffer: shelf },
    ]);
    const tiles = photos.getByTestId("attachment");
    await eventually(() => photos.getByTestId("attachment-thumb").count(), (n) => n === 2, "two thumbnails on the visit");
    assert.equal(await photos.getByTestId("attach-sending").count(), 0);

    const stored = await dispatch(sales, { op: "get", id: visitId });
    assert.deepEqual(stored.fields.photos.map((p) => p.name).sort(), ["货架.jpg", "门头.jpg"]);
    for (const p of stored.fields.photos) {
      assert.equal(p.type, "image/jpeg");
      assert.ok(p.thumb, "a thumbnail made in the browser");
      assert.ok(p.taken_at, "when it was taken");
    }
    hashes = stored.fields.photos.map((p) => p.hash).sort();
    assert.deepEqual((await tiles.evaluateAll((els) => els.map((e) => e.dataset.hash))).sort(), hashes);
    // The thumbnail is small: its long side about 320 px.
    const thumb = (await dispatch(sales, { op: "attachments", id: visitId })).items[0].thumb_data;
    const size = await page.evaluate(async (b64) => {
      const img = await createImageBitmap(await (await fetch(`data:image/jpeg;base64,${b64}`)).blob());
      return Math.max(img.width, img.height);
    }, thumb);
    assert.equal(size, 320);

    // Text named x.jpg, and a 50 MB file: each refused with its reason, the photos kept.
    const big = path.join(tmpDir("attachments-big"), "大图.jpg");
    writeFileSync(big, "");
    truncateSync(big, 50 * 1024 * 1024);
    await photos.getByTestId("attach-input").setInputFiles({ name: "x.jpg", mimeType: "image/jpeg", buffer: Buffer.from("this is no photo, only text") });
    await photos.getByTestId("attach-input").setInputFiles(big);
    const refused = photos.getByTestId("attach-refused");
    await eventually(() => refused.count(), (n) => n === 2, "both files refused");
    assert.match(await refused.filter({ hasText: "x.jpg" }).textContent(), /不能附加这种文件/);
    assert.match(await refused.filter({ hasText: "大图.jpg" }).textContent(), /文件太大/);
    assert.equal(await tiles.count(), 2);
    assert.equal((await dispatch(sales, { op: "get", id: visitId })).fields.photos.length, 2);
    await screenshot(page, "attachments-refused");
    await refused.first().getByRole("button").click();
    await refused.first().getByRole("button").click();
    await eventually(() => refused.count(), (n) => n === 0, "refusals dismissed");

    await page.getByTestId("visit-notes").fill("门头已更新，货架陈列良好");
    for (const [name, size] of Object.entries(SIZES)) {
      await page.setViewportSize(size);
      await checkLayout(page, `visit-photos-${name}`);
    }
    await page.setViewportSize(SIZES.laptop);
    await page.getByTestId("check-out").click();
    await page.locator('[data-testid="visit-session"][data-state="closed"]').waitFor({ timeout: TIMEOUT });
    // Still there after the check-out.
    assert.equal(await tiles.count(), 2);
    const done = await dispatch(sales, { op: "get", id: visitId });
    assert.equal(done.fields.notes, "门头已更新，货架陈列良好");
    assert.ok(done.fields.check_out_at);
  });

  test("the customer's photos show the visit's two, labelled with the visit", async () => {
    await page.goto(`${sales.url}#/customers/${customer.id}`);
    const card = page.getByTestId("customer-photos");
    const tiles = card.getByTestId("attachment");
    await eventually(() => card.getByTestId("attachment-thumb").count(), (n) => n === 2, "two thumbnails on the customer");
    assert.deepEqual((await tiles.evaluateAll((els) => els.map((e) => e.dataset.hash))).sort(), hashes);
    for (const label of await card.getByTestId("attachment-label").allTextContents()) assert.match(label, /^拜访 /);
    await card.scrollIntoViewIfNeeded();
    await screenshot(page, "attachments-customer");
  });

  test("after sync the supervisor's device has the visit on its calendar and the photos on the customer; one opens whole", async () => {
    // The files reach the server after the visit.
    await eventually(
      () => dispatch(sales, { op: "attachments", id: visitId }),
      (r) => r.items.length === 2 && r.items.every((e) => e.uploaded),
      "both photos uploaded",
      40_000,
    );
    const lead = await startDevice("attachments-lead");
    const lpage = await context.newPage();
    lpage.on("pageerror", (e) => console.error("lead page error:", e.message));
    await lpage.goto(lead.url);
    await signIn(lpage, server.url, "lili");
    await waitForState(lpage, "up_to_date");
    await eventually(() => dispatch(lead, { op: "get", id: visitId }), (r) => Boolean(r.fields?.check_out_at), "the visit on the supervisor's device");

    await lpage.goto(`${lead.url}#/calendar?whose=all`);
    await lpage.locator(`[data-testid="agenda-entry"][data-id="${visitId}"]`).waitFor({ timeout: TIMEOUT });

    await lpage.goto(`${lead.url}#/customers/${customer.id}`);
    const card = lpage.getByTestId("customer-photos");
    await eventually(() => card.getByTestId("attachment-thumb").count(), (n) => n === 2, "two thumbnails on the supervisor's device", 40_000);

    await card.getByTestId("attachment").first().getByRole("button").click();
    const viewer = lpage.getByTestId("attachment-viewer");
    const full = viewer.getByTestId("attachment-full");
    await full.waitFor({ timeout: TIMEOUT });
    await eventually(() => full.evaluate((img) => img.complete && img.naturalWidth), (w) => w === 1600 || w === 900, "the whole photo shown");
    // The dialog's opening animation done.
    await lpage.waitForTimeout(500);
    await screenshot(lpage, "attachments-supervisor-viewer");
    await lpage.keyboard.press("Escape");
    await lpage.close();
  });

  test("a photo of the shop front added on the customer's page, then removed", async () => {
    await page.goto(`${sales.url}#/customers/${customer.id}`);
    const card = page.getByTestId("customer-photos");
    await eventually(() => card.getByTestId("attachment-thumb").count(), (n) => n === 2, "the visit's two");
    await card.getByTestId("attach-input").setInputFiles({ name: "门头-新.jpg", mimeType: "image/jpeg", buffer: await jpeg(page, "#8e44ad", 800, 600) });
    await eventually(() => card.getByTestId("attachment-thumb").count(), (n) => n === 3, "the shop front added");
    const own = await dispatch(sales, { op: "get", id: customer.id });
    assert.deepEqual(own.fields.photos.map((p) => p.name), ["门头-新.jpg"]);
    const tile = card.locator(`[data-testid="attachment"][data-hash="${own.fields.photos[0].hash}"]`);
    assert.equal(await tile.getByTestId("attachment-label").textContent(), "客户");

    await tile.getByRole("button").click();
    await page.getByTestId("attachment-full").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("attachment-remove").click();
    await page.locator(".ant-popconfirm .ant-btn-primary").click();
    await tile.waitFor({ state: "detached", timeout: TIMEOUT });
    assert.deepEqual((await dispatch(sales, { op: "get", id: customer.id })).fields.photos, []);
    assert.equal(await card.getByTestId("attachment").count(), 2, "the visit's photos stay");
  });

  let expenseId;

  test("a receipt photographed on the new expense form is saved with the expense", async () => {
    await page.goto(`${sales.url}#/expenses/new`);
    await page.getByTestId("new-expense-page").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("expense-category-transport").click();
    await page.getByTestId("expense-amount-input").fill("36.50");
    const receipts = page.getByTestId("attachments-receipts");
    await receipts.getByTestId("attach-camera-input").setInputFiles({ name: "taxi.jpg", mimeType: "image/jpeg", buffer: await jpeg(page, "#f1c40f", 600, 900) });
    await receipts.getByTestId("attachment-thumb").waitFor({ timeout: TIMEOUT });
    await screenshot(page, "attachments-expense-form");
    await page.getByTestId("expense-save").click();
    await page.getByTestId("expenses-month").waitFor({ timeout: TIMEOUT });
    const mine = await dispatch(sales, { op: "list", kind: "expense", limit: 100 });
    assert.equal(mine.items.length, 1);
    expenseId = mine.items[0].id;
    const expense = await dispatch(sales, { op: "get", id: expenseId });
    assert.deepEqual(expense.fields.receipts.map((r) => r.name), ["taxi.jpg"]);
    assert.ok(expense.fields.receipts[0].thumb, "with its thumbnail");
  });

  test("the expense's page shows the receipt and takes another", async () => {
    await page.goto(`${sales.url}#/expenses/${expenseId}`);
    const onPage = page.getByTestId("attachments-receipts");
    await onPage.getByTestId("attachment-thumb").waitFor({ timeout: TIMEOUT });
    await onPage.getByTestId("attach-input").setInputFiles({ name: "toll.jpg", mimeType: "image/jpeg", buffer: await jpeg(page, "#16a085", 500, 500) });
    await eventually(() => onPage.getByTestId("attachment-thumb").count(), (n) => n === 2, "two receipts on the expense");
    const held = await dispatch(sales, { op: "get", id: expenseId });
    assert.deepEqual(held.fields.receipts.map((r) => r.name).sort(), ["taxi.jpg", "toll.jpg"]);
  });
});
