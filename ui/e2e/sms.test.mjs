// Text messages (短信): a salesperson writes one to a customer's contact from the customer's
// page, sees how many characters and messages it is while typing, and sends it. It is queued
// on the device and goes to the server with the next sync; no SMS provider is plugged into
// this server, so it stays queued — and the timeline says so.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { SIZES, TIMEOUT, checkLayout, dispatch, eventually, screenshot, signedInDevice, startStory } from "./harness.mjs";

let server;
let browser;

startStory({ customers: 5 }, (started) => ({ server, browser } = started));

describe("a salesperson texts a customer's contact", { timeout: 240_000 }, () => {
  let device;
  let page;

  before(async () => {
    ({ device, page } = await signedInDevice(browser, server.url, "wangfang", "sms-wangfang"));
  });

  test("written with its length in messages, queued, and shown queued on the timeline", async () => {
    const me = (await dispatch(device, { op: "app_status" })).identity.user_id;
    const customer = (await dispatch(device, { op: "list", kind: "customer", filter: { owner: me }, sort: "name", limit: 1 })).items[0];
    const contact = await dispatch(device, {
      op: "create",
      kind: "contact",
      fields: { customer: customer.id, name: "钱志远", phones: ["+86 138 0571 2046"] },
      allow_duplicate: true,
    });
    assert.equal(contact.type, "record", JSON.stringify(contact));

    await page.goto(`${device.url}#/customers/${customer.id}`);
    const row = page.getByTestId("contact-row").filter({ hasText: "钱志远" });
    await row.getByTestId("sms-contact").click();
    const dialog = page.getByTestId("sms-dialog");
    await dialog.waitFor({ timeout: TIMEOUT });
    assert.equal(await dialog.getByTestId("sms-to").inputValue(), "+86 138 0571 2046");
    assert.equal(await page.getByTestId("sms-send").isDisabled(), true);

    // 70 characters are one message; one more makes two parts of at most 67.
    const length = dialog.getByTestId("sms-length");
    await dialog.getByTestId("sms-text").fill("好".repeat(70));
    assert.match(await length.textContent(), /70 \/ 500 字 · 共 1 条短信/);
    const words = "钱经理您好：五轴样机已到厂，下周二上午九点可安排参观试切，届时我们的应用工程师会演示典型零件的加工过程并解答工艺问题。如需调整时间请直接回复本短信，谢谢！";
    await dialog.getByTestId("sms-text").fill(words);
    assert.match(await length.textContent(), new RegExp(`${[...words].length} / 500 字 · 共 2 条短信`));
    for (const [name, size] of Object.entries(SIZES)) {
      await page.setViewportSize(size);
      await checkLayout(page, `sms-dialog-${name}`);
    }
    await page.setViewportSize(SIZES.laptop);
    await page.getByTestId("sms-send").click();
    await dialog.waitFor({ state: "detached", timeout: TIMEOUT });

    const entry = page.getByTestId("timeline-entry").filter({ hasText: "五轴样机已到厂" });
    await entry.waitFor({ timeout: TIMEOUT });
    assert.match(await entry.textContent(), /短信/);
    assert.equal(await entry.getByTestId("message-status").getAttribute("data-state"), "queued");
    assert.match(await entry.getByTestId("message-status").textContent(), /排队中.*\+86 138 0571 2046/);
    await screenshot(page, "sms-queued");

    const sent = (await dispatch(device, { op: "list", kind: "activity", filter: { customer: customer.id, type: "sms" } })).items;
    assert.equal(sent.length, 1);
    assert.equal(sent[0].fields.contact, contact.id);
    assert.equal(sent[0].fields.sms_to, "+86 138 0571 2046");
    assert.equal(sent[0].fields.sms_text, words);
    assert.equal(sent[0].fields.send_status, "queued");

    // The server has it; with no provider it stays queued there.
    await eventually(
      () => dispatch(device, { op: "get", id: sent[0].id }),
      (r) => r.type === "record" && !r.awaiting,
      "the server took the message",
    );
    assert.equal((await dispatch(device, { op: "get", id: sent[0].id })).fields.send_status, "queued");
    await page.reload();
    await entry.waitFor({ timeout: TIMEOUT });
    assert.equal(await entry.getByTestId("message-status").getAttribute("data-state"), "queued");
  });

  test("the customer's own number is offered from the page's head", async () => {
    const me = (await dispatch(device, { op: "app_status" })).identity.user_id;
    const customer = (await dispatch(device, { op: "list", kind: "customer", filter: { owner: me }, sort: "name", limit: 1 })).items[0];
    await dispatch(device, { op: "update", id: customer.id, fields: { phones: ["0571-8801 2046"] } });
    await page.goto(`${device.url}#/customers/${customer.id}`);
    await page.getByTestId("sms-customer").click();
    const dialog = page.getByTestId("sms-dialog");
    await dialog.waitFor({ timeout: TIMEOUT });
    assert.equal(await dialog.getByTestId("sms-to").inputValue(), "0571-8801 2046");
    await dialog.getByTestId("sms-text").fill("您好，报价单已发邮箱，请查收。");
    assert.match(await dialog.getByTestId("sms-length").textContent(), /共 1 条短信/);
    await page.getByTestId("sms-send").click();
    await dialog.waitFor({ state: "detached", timeout: TIMEOUT });
    const entry = page.getByTestId("timeline-entry").filter({ hasText: "报价单已发邮箱" });
    await entry.waitFor({ timeout: TIMEOUT });
    assert.equal(await entry.getByTestId("message-status").getAttribute("data-state"), "queued");
  });
});
