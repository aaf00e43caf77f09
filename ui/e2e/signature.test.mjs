// A customer signs on the tablet. A salesperson opens her customer's service request, taps "签名",
// and the pad's save is refused while nothing is drawn; she signs with the mouse (a pen or finger
// the same: pointer events), clears, signs again and saves: the request has a PNG named
// `签名 <date> <time>.png` on a white ground with a thumbnail, shown at once among its
// attachments. On a phone the pad still fills the screen's width; the visit screen offers the
// same button beside its camera.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { SIZES, TIMEOUT, checkLayout, dispatch, eventually, screenshot, signedInDevice, startStory } from "./harness.mjs";

let server;
let browser;

startStory({ customers: 5 }, (started) => ({ server, browser } = started));

/// The pad's box once the dialog has finished zooming open.
async function padBox(page) {
  let last = null;
  return eventually(
    async () => {
      const box = await page.getByTestId("signature-canvas").boundingBox();
      const settled = last && box && box.width === last.width && box.height === last.height ? box : null;
      last = box;
      return settled;
    },
    (box) => box !== null,
    "the signature dialog open",
  );
}

/// A stroke across the pad with the mouse: a wave from left to right.
async function sign(page) {
  const box = await padBox(page);
  assert.ok(box && box.width > 200 && box.height > 150, `the pad is large: ${JSON.stringify(box)}`);
  const y = box.y + box.height * 0.6;
  await page.mouse.move(box.x + box.width * 0.15, y);
  await page.mouse.down();
  for (let i = 1; i <= 20; i++) {
    await page.mouse.move(box.x + box.width * (0.15 + 0.035 * i), y + Math.sin(i / 2) * box.height * 0.15, { steps: 2 });
  }
  await page.mouse.up();
}

describe("a customer's signature on a service request", { timeout: 300_000 }, () => {
  let sales;
  let requestId;

  before(async () => {
    sales = await signedInDevice(browser, server.url, "wangfang", "signature-sales", { size: SIZES.tablet });
    const me = (await dispatch(sales.device, { op: "whoami" })).user_id;
    const customer = (await dispatch(sales.device, { op: "list", kind: "customer", filter: { owner: me }, sort: "name", limit: 1 })).items[0];
    const made = await dispatch(sales.device, {
      op: "create",
      kind: "service_request",
      fields: { customer: customer.id, title: "空调机组维修交接", type: "repair" },
    });
    requestId = made.id ?? made.record?.id;
    assert.ok(requestId, `a request made: ${JSON.stringify(made).slice(0, 200)}`);
  });

  test("an empty pad cannot be saved; a drawn signature is attached as a PNG with its thumbnail", async () => {
    const { page, device } = sales;
    await page.goto(`${device.url}#/service/${requestId}`);
    const files = page.getByTestId("attachments-attachments");
    await files.getByTestId("attach-signature").click();
    const dialog = page.getByTestId("signature-dialog");
    await dialog.waitFor({ timeout: TIMEOUT });
    const save = page.getByTestId("signature-save");
    assert.equal(await save.isDisabled(), true, "nothing drawn: save is disabled");
    await screenshot(page, "signature-empty");

    // Drawn, then cleared: empty again.
    await sign(page);
    assert.equal(await save.isDisabled(), false, "drawn: save is enabled");
    await page.getByTestId("signature-clear").click();
    assert.equal(await save.isDisabled(), true, "cleared: save is disabled again");

    await sign(page);
    await screenshot(page, "signature-drawn");
    await save.click();
    await dialog.waitFor({ state: "detached", timeout: TIMEOUT });

    await eventually(() => files.getByTestId("attachment-thumb").count(), (n) => n === 1, "the signature's thumbnail on the request");
    const stored = (await dispatch(device, { op: "get", id: requestId })).fields.attachments;
    assert.equal(stored.length, 1);
    const [item] = stored;
    assert.match(item.name, /^签名 \d{4}-\d\d-\d\d \d\d:\d\d\.png$/);
    assert.equal(item.type, "image/png");
    assert.ok(item.thumb, "a thumbnail made like a photo's");
    assert.equal(await files.getByTestId("attachment").getAttribute("data-hash"), item.hash);

    // The file: a PNG, white where nothing was drawn, ink where the stroke went.
    const content = await dispatch(device, { op: "file", hash: item.hash, record: requestId });
    assert.equal(content.content_type, "image/png");
    const pixels = await page.evaluate(async (b64) => {
      const img = await createImageBitmap(await (await fetch(`data:image/png;base64,${b64}`)).blob());
      const c = document.createElement("canvas");
      c.width = img.width;
      c.height = img.height;
      const g = c.getContext("2d");
      g.drawImage(img, 0, 0);
      const data = g.getImageData(0, 0, img.width, img.height).data;
      let dark = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] < 128 && data[i + 3] > 200) dark++;
      return { corner: [...g.getImageData(0, 0, 1, 1).data], dark, width: img.width };
    }, content.data);
    assert.deepEqual(pixels.corner, [255, 255, 255, 255], "a white ground, not transparent");
    assert.ok(pixels.dark > 50, `the stroke is in the picture: ${pixels.dark} dark pixels`);
    await screenshot(page, "signature-attached");
  });

  test("on a phone the pad is wide and tall enough to sign, and the layout holds", async () => {
    const { page } = sales;
    await page.setViewportSize(SIZES.phone);
    await page.getByTestId("attachments-attachments").getByTestId("attach-signature").click();
    await page.getByTestId("signature-dialog").waitFor({ timeout: TIMEOUT });
    const box = await padBox(page);
    assert.ok(box.width >= SIZES.phone.width - 80, `wide: ${box.width}`);
    assert.ok(box.height >= 220, `tall: ${box.height}`);
    await checkLayout(page, "signature-phone");
    await page.getByTestId("signature-cancel").click();
    await page.getByTestId("signature-dialog").waitFor({ state: "detached", timeout: TIMEOUT });
    await page.setViewportSize(SIZES.tablet);
  });

  test("the visit screen offers a signature beside its camera", async () => {
    const { page, device } = sales;
    const me = (await dispatch(device, { op: "whoami" })).user_id;
    const customer = (await dispatch(device, { op: "list", kind: "customer", filter: { owner: me }, sort: "name", limit: 1 })).items[0];
    await page.context().grantPermissions(["geolocation"]);
    await page.context().setGeolocation({ latitude: 31.3, longitude: 120.59, accuracy: 15 });
    await page.goto(`${device.url}#/customers/${customer.id}`);
    await page.getByTestId("start-visit").click();
    await page.locator('[data-testid="visit-session"][data-state="open"]').waitFor({ timeout: TIMEOUT });
    const photos = page.getByTestId("attachments-photos");
    await photos.getByTestId("attach-signature").waitFor({ timeout: TIMEOUT });
    await photos.getByTestId("attach-signature").click();
    await page.getByTestId("signature-dialog").waitFor({ timeout: TIMEOUT });
    await sign(page);
    await page.getByTestId("signature-save").click();
    await eventually(() => photos.getByTestId("attachment-thumb").count(), (n) => n === 1, "the signature among the visit's photos");
    const visitId = page.url().split("/activity/")[1];
    const stored = (await dispatch(device, { op: "get", id: visitId })).fields.photos;
    assert.equal(stored.length, 1);
    assert.equal(stored[0].type, "image/png");
  });
});
