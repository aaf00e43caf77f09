// An opportunity's development status (未分配 / 开发中 / 开发成功 / 开发失败) where opportunities
// are shown, and the steps the core offers each person: the salesperson marks hers failed
// (the reason is asked for) or succeeded, the supervisor assigns one to a colleague.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { TIMEOUT, chooseOption, dispatch, screenshot, signedInDevice, startStory } from "./harness.mjs";

let server;
let browser;

startStory({ customers: 10 }, (started) => ({ server, browser } = started));

function session(user) {
  return signedInDevice(browser, server.url, user, `opp-${user}`);
}

const row = (page, id) => page.locator(`[data-testid="opportunity-row"][data-id="${id}"]`);
const statusOf = (page, id, state) =>
  row(page, id).locator(`[data-testid="opportunity-status"][data-state="${state}"]`).waitFor({ timeout: TIMEOUT });

describe("opportunity status and its steps", { timeout: 240_000 }, () => {
  test("the salesperson fails one with a reason and wins another; the supervisor assigns a third", async () => {
    const sales = await session("wangfang");
    const lead = await session("lili");
    const ids = Object.fromEntries((await dispatch(lead.device, { op: "list", kind: "user", limit: 50 })).items.map((u) => [u.fields.username, u.id]));
    const customer = (await dispatch(sales.device, { op: "list", kind: "customer", filter: { owner: ids.wangfang }, sort: "name", limit: 1 })).items[0];
    const make = async (title) => {
      const r = await dispatch(sales.device, { op: "create", kind: "opportunity", fields: { customer: customer.id, title, stage: "proposal" } });
      assert.equal(r.type, "record", JSON.stringify(r));
      return r.id;
    };
    const lost = await make("旧产线改造");
    const won = await make("年度备件合同");
    const handed = await make("新厂区设备采购");

    const { page, device } = sales;
    await page.goto(`${device.url}#/customers/${customer.id}`);
    for (const id of [lost, won, handed]) await statusOf(page, id, "developing");
    assert.equal(await row(page, lost).getByTestId("transition-assign").count(), 0, "a salesperson does not assign");

    await row(page, lost).getByTestId("transition-fail").click();
    await page.getByTestId("transition-field-loss_reason").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("transition-ok").click();
    await page.getByTestId("transition-dialog").getByRole("alert").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("transition-field-loss_reason").fill("客户选择了价格更低的竞品");
    await page.getByTestId("transition-ok").click();
    await statusOf(page, lost, "failed");
    assert.match(await row(page, lost).textContent(), /开发失败/);
    assert.equal(await row(page, lost).getByTestId("transition-succeed").count(), 0, "a failed opportunity takes no more steps");

    await row(page, won).getByTestId("transition-succeed").click();
    await page.getByTestId("transition-ok").click();
    await statusOf(page, won, "succeeded");
    const stored = await dispatch(device, { op: "get", id: lost });
    assert.equal(stored.fields.status, "failed");
    assert.equal(stored.fields.loss_reason, "客户选择了价格更低的竞品");
    assert.equal(stored.fields.stage, "lost", "a failed opportunity is lost on the board");
    assert.equal((await dispatch(device, { op: "get", id: won })).fields.stage, "won");
    await screenshot(page, "opportunities-status");

    // The supervisor hands the third to 赵磊 from the same customer's page.
    const other = lead.page;
    await other.goto(`${lead.device.url}#/customers/${customer.id}`);
    await statusOf(other, handed, "developing");
    await row(other, handed).getByTestId("transition-assign").click();
    await chooseOption(other, "transition-field-owner", ids.zhaolei);
    await other.getByTestId("transition-ok").click();
    await other.getByTestId("transition-dialog").waitFor({ state: "detached", timeout: TIMEOUT });
    await row(other, handed).filter({ hasText: "赵磊" }).waitFor({ timeout: TIMEOUT });
    await row(other, handed).getByTestId("row-awaiting").waitFor({ state: "detached", timeout: TIMEOUT });

    // On the board the status shows on every card.
    await other.getByTestId("nav-pipeline").click();
    const card = other.getByTestId("stage-won").locator('[data-testid="opp-card"]', { hasText: "年度备件合同" });
    await card.locator('[data-testid="opportunity-status"][data-state="succeeded"]').waitFor({ timeout: TIMEOUT });
  });
});
