// The customer pool (公海): two salespeople, both offline, claim the same pool customer. Each
// app shows the claim at once, awaiting the server's confirmation. The first to reconnect owns
// the customer; the other's claim is refused, the customer leaves that app (it is someone
// else's now), and the app says who claimed it first and when. Then the owner releases a
// customer with a reason and the supervisor transfers one.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { TIMEOUT, chooseOption, dispatch, eventually, screenshot, signedInDevice, startRelay, startStory } from "./harness.mjs";

let server;
let browser;

// The demo releases a few of the salesperson's customers to the pool, with a reason.
startStory({ customers: 30 }, (started) => ({ server, browser } = started));

async function session(user) {
  const relay = await startRelay(server.port);
  const { device, page } = await signedInDevice(browser, relay.url, user, `pool-${user}`);
  return { user, relay, device, page };
}

describe("two salespeople claim the same pool customer offline", { timeout: 240_000 }, () => {
  test("the first to reach the server owns it; the other's app says who claimed it first, and when", async () => {
    const first = await session("zhaolei");
    const second = await session("wangfang");
    const ids = Object.fromEntries((await dispatch(first.device, { op: "list", kind: "user", limit: 50 })).items.map((u) => [u.fields.username, u.id]));
    const pool = (await dispatch(first.device, { op: "list", kind: "customer", filter: { owner: null }, sort: "name", limit: 10 })).items;
    assert.ok(pool.length >= 1, "the demo put customers in the pool");
    const target = pool[0];

    for (const s of [first, second]) {
      await s.page.getByTestId("nav-pool").click();
      const row = s.page.locator(`[data-testid="pool-row"][data-id="${target.id}"]`);
      await row.waitFor({ timeout: TIMEOUT });
      assert.match(await row.getByTestId("pool-reason").textContent(), new RegExp(String(target.fields.pool_reason)));
    }
    await screenshot(second.page, "pool-list");

    await first.relay.cut();
    await second.relay.cut();
    for (const s of [first, second]) {
      await s.page.locator(`[data-testid="pool-row"][data-id="${target.id}"]`).getByTestId("transition-claim").click();
      // Claimed: it leaves the pool list here at once.
      await s.page.locator(`[data-testid="pool-row"][data-id="${target.id}"]`).waitFor({ state: "detached", timeout: TIMEOUT });
      await s.page.goto(`${s.device.url}#/customers/${target.id}`);
      await s.page.getByTestId("customer-name").waitFor({ timeout: TIMEOUT });
      await s.page.getByTestId("awaiting").waitFor({ timeout: TIMEOUT });
      assert.equal(await s.page.getByTestId("pool-tag").count(), 0);
    }
    await screenshot(second.page, "pool-claim-awaiting");

    // 赵磊's claim reaches the server first and is confirmed.
    await first.relay.restore();
    await first.page.getByTestId("awaiting").waitFor({ state: "detached", timeout: TIMEOUT });
    await first.page.locator('[data-field="owner"]', { hasText: "赵磊" }).waitFor({ timeout: TIMEOUT });

    // 王芳's is refused: the customer is 赵磊's now, so it leaves her app, and her app says why.
    await second.relay.restore();
    await eventually(() => dispatch(second.device, { op: "get", id: target.id }), (r) => r.code === "not_found", "the customer left 王芳's device");
    await second.page.locator('[data-testid="sync-indicator"] .count-badge.danger').waitFor({ timeout: TIMEOUT });
    await second.page.getByTestId("sync-indicator").click();
    const reason = second.page.getByTestId("rejected-reason").filter({ hasText: "赵磊" });
    await reason.waitFor({ timeout: TIMEOUT });
    assert.equal(await reason.getAttribute("data-code"), "transition_conflict");
    const text = await reason.textContent();
    assert.match(text, /^赵磊在.+已先/, text);
    const rejected = (await dispatch(second.device, { op: "rejected" })).items.find((r) => r.doc_id === target.id);
    const local = await second.page.evaluate(
      (iso) => new Intl.DateTimeFormat("zh-CN", { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso)),
      rejected.params.at,
    );
    assert.ok(text.includes(local), `the winning claim's time ${local} is in "${text}"`);
    // The customer has left her device, yet the refusal still names it.
    const item = second.page.getByTestId("rejected-item").filter({ has: reason });
    assert.match(await item.textContent(), new RegExp(`客户 · ${target.fields.name}`));
    await screenshot(second.page, "pool-claim-refused");
    // With no record left to show it on, it is put away from the sync screen.
    await item.getByTestId("rejected-dismiss").click();
    await item.waitFor({ state: "detached", timeout: TIMEOUT });
    await eventually(
      () => dispatch(second.device, { op: "rejected" }),
      (r) => !r.items.some((x) => x.doc_id === target.id),
      "the refusal is put away in the core",
    );

    // The server holds 赵磊 as the owner.
    const held = await dispatch(first.device, { op: "get", id: target.id });
    assert.equal(held.fields.owner, ids.zhaolei);
    assert.equal(held.awaiting, undefined);
  });
});

describe("releasing and transferring", { timeout: 240_000 }, () => {
  test("the owner releases a customer with a reason; the supervisor transfers one to a colleague", async () => {
    const owner = await session("wangfang");
    const lead = await session("lili");
    const ids = Object.fromEntries((await dispatch(lead.device, { op: "list", kind: "user", limit: 50 })).items.map((u) => [u.fields.username, u.id]));
    const mine = (await dispatch(owner.device, { op: "list", kind: "customer", filter: { owner: ids.wangfang }, sort: "name", limit: 3 })).items;

    // Release, offline for now: the reason is required.
    const { page } = owner;
    await owner.relay.cut();
    await page.goto(`${owner.device.url}#/customers/${mine[0].id}`);
    await page.getByTestId("transition-release").waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId("transition-transfer").count(), 0, "a salesperson does not transfer");
    await page.getByTestId("transition-release").click();
    await page.getByTestId("transition-field-pool_reason").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("transition-ok").click();
    await page.getByTestId("transition-dialog").getByRole("alert").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("transition-field-pool_reason").fill("客户今年没有预算，暂停跟进");
    await screenshot(page, "pool-release-dialog");
    await page.getByTestId("transition-ok").click();
    await page.getByTestId("pool-tag").waitFor({ timeout: TIMEOUT });
    await page.locator('[data-field="pool_reason"]', { hasText: "暂停跟进" }).waitFor({ timeout: TIMEOUT });
    // In the pool list, the row says the release waits for the server — until it is confirmed.
    await page.getByTestId("nav-pool").click();
    const released = page.locator(`[data-testid="pool-row"][data-id="${mine[0].id}"]`);
    await released.getByTestId("row-awaiting").waitFor({ timeout: TIMEOUT });
    await screenshot(page, "pool-row-awaiting");
    await owner.relay.restore();
    await released.getByTestId("row-awaiting").waitFor({ state: "detached", timeout: TIMEOUT });
    await released.locator(".row-main").click();
    // In the pool she may claim it back.
    await page.getByTestId("transition-claim").waitFor({ timeout: TIMEOUT });
    await eventually(
      () => dispatch(lead.device, { op: "get", id: mine[0].id }),
      (r) => r.type === "record" && !r.fields.owner && r.fields.pool_reason === "客户今年没有预算，暂停跟进",
      "the supervisor sees it in the pool",
    );

    // Transfer: only for the supervisor, with an owner picker of her team.
    await lead.page.goto(`${lead.device.url}#/customers/${mine[1].id}`);
    await lead.page.getByTestId("transition-transfer").click();
    await chooseOption(lead.page, "transition-field-owner", ids.zhaolei);
    await lead.page.getByTestId("transition-ok").click();
    await lead.page.locator('[data-field="owner"]', { hasText: "赵磊" }).waitFor({ timeout: TIMEOUT });
    await lead.page.getByTestId("awaiting").waitFor({ state: "detached", timeout: TIMEOUT });
    // On the former owner's device it is 赵磊's now (or gone, when nothing of hers is attached to it).
    await eventually(
      () => dispatch(owner.device, { op: "get", id: mine[1].id }),
      (r) => r.code === "not_found" || r.fields?.owner === ids.zhaolei,
      "the transfer reached 王芳's device",
    );
  });
});
