// Each role sees what it has: a viewer a read-only app, a salesperson no owner field, a
// supervisor the team's home and reassignment, an admin the administration screens.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { TIMEOUT, chooseOption, dispatch, screenshot, signedInDevice, startStory } from "./harness.mjs";

let server;
let browser;

startStory({ customers: 30 }, (started) => ({ server, browser } = started));

/// The names an owner picker offers (it is opened, read and closed), once they are `expected`.
async function ownerChoices(page, testId, expected) {
  const end = Date.now() + TIMEOUT;
  let names = [];
  while (Date.now() < end) {
    await page.getByTestId(testId).click();
    const options = page.locator(".ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option");
    await options.first().waitFor({ timeout: TIMEOUT });
    names = (await options.allTextContents()).sort();
    await page.keyboard.press("Escape");
    if (JSON.stringify(names) === JSON.stringify([...expected].sort())) return names;
    await page.waitForTimeout(300);
  }
  assert.deepEqual(names, [...expected].sort());
}

/// A device signed in as `user`, synced, with a page on it.
async function session(user) {
  const { device, page } = await signedInDevice(browser, server.url, user, `roles-${user}`);
  const customers = await dispatch(device, { op: "list", kind: "customer", sort: "name", limit: 5 });
  return { device, page, customer: customers.items[0] };
}

describe("a viewer", { timeout: 120_000 }, () => {
  test("sees the team's records and no way to change anything", async () => {
    const { device, page, customer } = await session("zhouyu");
    assert.equal(await page.getByTestId("user-role").textContent(), "只读用户");
    // The team's follow-ups, without a button to log a visit.
    await page.getByTestId("home-follow-ups").locator('[data-owner="王芳"]').first().waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId("home-log-visit").count(), 0);

    await page.getByTestId("nav-customers").click();
    await page.getByTestId("customer-count").waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId("new-customer").count(), 0);

    await page.goto(`${device.url}#/customers/${customer.id}`);
    await page.getByTestId("customer-name").waitFor({ timeout: TIMEOUT });
    await page.waitForLoadState("networkidle");
    for (const id of ["log-visit", "edit-customer", "delete-customer", "add-contact", "add-opportunity"]) {
      assert.equal(await page.getByTestId(id).count(), 0, `${id} is offered to a viewer`);
    }
    await screenshot(page, "roles-viewer-detail");

    // Typing a form's address leads home, not to a form.
    await page.goto(`${device.url}#/new/customer`);
    await page.getByTestId("home-follow-ups").waitFor({ timeout: TIMEOUT });

    await page.getByTestId("nav-pipeline").click();
    await page.getByTestId("board").waitFor({ timeout: TIMEOUT });
    await page.waitForLoadState("networkidle");
    assert.equal(await page.getByTestId("move-to").count(), 0);
  });
});

describe("a salesperson", { timeout: 120_000 }, () => {
  test("edits a customer without an owner field, and the role reads in words", async () => {
    const { device, page, customer } = await session("wangfang");
    assert.equal(await page.getByTestId("user-role").textContent(), "客户经理");
    await page.goto(`${device.url}#/edit/customer/${customer.id}`);
    await page.getByTestId("field-name").waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId("field-owner").count(), 0);
    await chooseOption(page, "lang-switch", "en");
    assert.equal(await page.getByTestId("user-role").textContent(), "Account manager");
    await chooseOption(page, "lang-switch", "zh-CN");
  });
});

describe("a supervisor", { timeout: 180_000 }, () => {
  test("gets the team's home, filters by owner and hands a customer to another salesperson", async () => {
    const { device, page, customer } = await session("lili");
    assert.equal(await page.getByTestId("user-role").textContent(), "主管");
    await page.getByTestId("team-home").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("home-follow-ups").locator('[data-owner="王芳"]').first().waitFor({ timeout: TIMEOUT });
    await page.getByTestId("home-dormant").getByText("60 天").click();
    await page.getByTestId("home-todays-visits").waitFor({ timeout: TIMEOUT });
    await screenshot(page, "roles-supervisor-home");

    const users = (await dispatch(device, { op: "list", kind: "user", limit: 50 })).items;
    const id = (name) => users.find((u) => u.fields.display_name === name).id;

    await page.goto(`${device.url}#/edit/customer/${customer.id}`);
    await page.getByTestId("field-owner").waitFor({ timeout: TIMEOUT });
    // Her own team only: not 孙强 (team west), not the admin, never the viewer.
    await ownerChoices(page, "field-owner", ["王芳", "赵磊", "李丽"]);
    await chooseOption(page, "field-owner", id("赵磊"));
    await page.getByTestId("save").click();
    await page.locator('[data-field="owner"]', { hasText: "赵磊" }).waitFor({ timeout: TIMEOUT });

    await page.getByTestId("nav-customers").click();
    await chooseOption(page, "filter-owner", id("赵磊"));
    await page.waitForFunction(
      () => /共 1 个客户/.test(document.querySelector('[data-testid="customer-count"]')?.textContent ?? ""),
      null,
      { timeout: TIMEOUT },
    );
    assert.match(page.url(), new RegExp(`owner=${id("赵磊")}`), "the filter is in the address");

    await page.getByTestId("nav-pipeline").click();
    await page.getByTestId("pipeline-owner").waitFor({ timeout: TIMEOUT });
  });
});

describe("an admin", { timeout: 120_000 }, () => {
  test("reads people, teams and dictionaries in the administration screens", async () => {
    const { device, page, customer } = await session("chenjing");
    assert.equal(await page.getByTestId("user-role").textContent(), "管理员");
    // An admin hands records to anyone who can own them, in every team.
    await page.goto(`${device.url}#/edit/customer/${customer.id}`);
    await ownerChoices(page, "field-owner", ["王芳", "赵磊", "李丽", "孙强", "陈静"]);
    await page.getByTestId("nav-home").click();
    await page.getByTestId("nav-admin-users").click();
    const table = page.getByTestId("admin-users");
    await table.getByText("王芳").waitFor({ timeout: TIMEOUT });
    assert.match(await table.textContent(), /客户经理/);
    assert.match(await table.textContent(), /只读用户/);
    assert.doesNotMatch(await table.textContent(), /account_manager/);
    await screenshot(page, "roles-admin-users");

    await page.getByTestId("nav-admin-teams").click();
    await page.getByTestId("admin-teams").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("nav-admin-dictionary").click();
    await page.getByTestId("admin-dictionary").getByText("A类（重点）").waitFor({ timeout: TIMEOUT });
  });
});

describe("a supervisor hands an opportunity over", { timeout: 240_000 }, () => {
  test("the first salesperson's board loses it, and with its customer it moves to the other's device", async () => {
    const from = await session("wangfang");
    const to = await session("zhaolei");
    const lead = await session("lili");
    // One of her customers with nothing else of hers attached: the owner of an opportunity
    // still reads its customer, so another opportunity of hers would keep the customer on her
    // device after the hand-over.
    const mine = (await dispatch(from.device, { op: "list", kind: "customer", sort: "name", limit: 30 })).items.filter((c) => c.fields.owner);
    let customer = null;
    for (const c of mine) {
      const attached = await Promise.all(
        ["opportunity", "service_request"].map((kind) => dispatch(from.device, { op: "list", kind, filter: { customer: c.id }, limit: 1 })),
      );
      if (attached.every((p) => p.total === 0)) {
        customer = c;
        break;
      }
    }
    assert.ok(customer, "a customer without opportunities or service requests");
    const opportunity = await dispatch(from.device, {
      op: "create",
      kind: "opportunity",
      fields: { customer: customer.id, title: "交接测试商机", stage: "proposal" },
    });
    assert.equal(opportunity.type, "record", JSON.stringify(opportunity));
    const users = (await dispatch(lead.device, { op: "list", kind: "user", limit: 50 })).items;
    const zhaolei = users.find((u) => u.fields.display_name === "赵磊").id;

    // Both salespeople look at their own board.
    for (const s of [from, to]) {
      await s.page.getByTestId("nav-pipeline").click();
      await s.page.getByTestId("board").waitFor({ timeout: TIMEOUT });
    }
    const card = (s) => s.page.locator('[data-testid="opp-card"]', { hasText: "交接测试商机" });
    await card(from).waitFor({ timeout: TIMEOUT });

    // 李丽 gives the opportunity to 赵磊: it leaves 王芳's board at once.
    await lead.page.goto(`${lead.device.url}#/edit/opportunity/${opportunity.id}`);
    await lead.page.getByTestId("field-owner").waitFor({ timeout: TIMEOUT });
    await chooseOption(lead.page, "field-owner", zhaolei);
    await lead.page.getByTestId("save").click();
    await lead.page.getByTestId("customer-detail").waitFor({ timeout: TIMEOUT });
    await card(from).waitFor({ state: "detached", timeout: TIMEOUT });

    // Access follows the customer: handing the customer over too brings both to 赵磊's device,
    // on his board, and takes them off 王芳's.
    await lead.page.getByTestId("edit-customer").click();
    await chooseOption(lead.page, "field-owner", zhaolei);
    await lead.page.getByTestId("save").click();
    await lead.page.locator('[data-field="owner"]', { hasText: "赵磊" }).waitFor({ timeout: TIMEOUT });
    await card(to).waitFor({ timeout: TIMEOUT });
    await screenshot(to.page, "roles-opportunity-arrived");
    for (const id of [customer.id, opportunity.id]) {
      const end = Date.now() + TIMEOUT;
      while ((await dispatch(from.device, { op: "get", id })).code !== "not_found") {
        assert.ok(Date.now() < end, `${id} is still on 王芳's device`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    await from.page.goto(`${from.device.url}#/customers/${customer.id}`);
    await from.page.getByRole("alert").first().waitFor({ timeout: TIMEOUT });
  });
});
