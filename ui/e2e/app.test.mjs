// End-to-end: the real UI in Chromium, the real Rust core per device, a real sync server.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  PASSWORDS,
  SIZES,
  TIMEOUT,
  chooseOption,
  dispatch,
  openPage,
  screenshot,
  signIn,
  startDevice,
  startRelay,
  startStory,
  waitForState,
} from "./harness.mjs";

let server;
let browser;

startStory({ customers: 120 }, (started) => ({ server, browser } = started));

describe("a salesperson's day", { timeout: 240_000 }, () => {
  let device;
  let page;
  before(async () => {
    device = await startDevice("wangfang");
    page = await openPage(browser, device);
  });

  test("a wrong password is refused with a clear message, then sign-in works and the device bootstraps", async () => {
    await page.getByTestId("signin-form").waitFor({ timeout: TIMEOUT });
    await screenshot(page, "signin-laptop");
    await page.fill('input[name="server"]', server.url);
    await page.fill('input[name="username"]', "wangfang");
    await page.fill('input[name="password"]', "wrong");
    await page.getByTestId("signin-submit").click();
    const error = await page.getByTestId("signin-error").textContent({ timeout: TIMEOUT });
    assert.equal(error, "用户名或密码不正确，或账号已停用。");
    await page.fill('input[name="password"]', PASSWORDS.wangfang);
    await page.getByTestId("signin-submit").click();
    await waitForState(page, "up_to_date");
    await page.getByTestId("nav-customers").click();
    await page.waitForFunction(
      () => /共 120 个客户/.test(document.querySelector('[data-testid="customer-count"]')?.textContent ?? ""),
      null,
      { timeout: TIMEOUT },
    );
  });

  test("create a customer with a contact, warned about a duplicate on the way", async () => {
    await page.getByTestId("nav-customers").click();
    await page.getByTestId("new-customer").click();
    await page.getByTestId("field-name").fill("杭州星辰测绘科技有限公司");
    await page.getByTestId("field-phones").fill("0571-8765 4321");
    await chooseOption(page, "field-grade", "A");
    await chooseOption(page, "field-region", "east");
    await page.getByTestId("field-tags").fill("测绘, 重点");
    await page.getByTestId("save").click();
    await page.getByTestId("customer-detail").waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId("customer-name").textContent(), "杭州星辰测绘科技有限公司");

    // The same company typed slightly differently: the core's duplicate warning, with a link.
    await page.getByTestId("nav-customers").click();
    await page.getByTestId("new-customer").click();
    await page.getByTestId("field-name").fill("杭州 星辰测绘科技");
    await page.getByTestId("duplicates").waitFor({ timeout: TIMEOUT });
    assert.match(await page.getByTestId("duplicates").textContent(), /杭州星辰测绘科技有限公司/);
    await page.getByText("杭州星辰测绘科技有限公司").first().click();
    await page.getByTestId("customer-detail").waitFor({ timeout: TIMEOUT });

    await page.getByTestId("add-contact").click();
    await page.getByTestId("field-name").fill("陈明");
    await page.getByTestId("field-title").fill("采购经理");
    await page.getByTestId("field-phones").fill("13912345678");
    await page.getByTestId("field-is_primary").check();
    await page.getByTestId("save").click();
    await page.getByTestId("contacts").getByText("陈明").waitFor({ timeout: TIMEOUT });
  });

  test("validation messages appear inline in the user's language", async () => {
    await page.getByTestId("nav-customers").click();
    await page.getByTestId("new-customer").click();
    // The abandoned duplicate from the test before was kept as a draft; start empty.
    await page.getByTestId("field-name").fill("");
    await page.getByTestId("field-email").fill("not-an-email");
    await page.getByTestId("save").click();
    assert.equal(await page.getByTestId("error-name").textContent({ timeout: TIMEOUT }), "必填");
    assert.equal(await page.getByTestId("error-email").textContent(), "邮箱地址无效");
    await page.getByTestId("field-email").fill("");
  });

  test("a half-filled form survives navigating away and a reload (draft)", async () => {
    await page.getByTestId("nav-customers").click();
    await page.getByTestId("new-customer").click();
    await page.getByTestId("field-name").fill("草稿测试公司");
    await page.getByTestId("field-address").fill("宁波市江北区");
    await page.getByTestId("nav-home").click();
    await page.reload();
    await page.getByTestId("nav-customers").click();
    await page.getByTestId("new-customer").click();
    await page.getByTestId("draft-restored").waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId("field-name").inputValue(), "草稿测试公司");
    assert.equal(await page.getByTestId("field-address").inputValue(), "宁波市江北区");
    await page.getByText("丢弃草稿").click();
    assert.equal(await page.getByTestId("field-name").inputValue(), "");
  });

  test("find the customer by a two-character Chinese search", async () => {
    await page.getByTestId("nav-customers").click();
    await page.getByTestId("customer-search").fill("星辰");
    const results = page.getByTestId("search-results");
    await results.getByText("杭州星辰测绘科技有限公司").waitFor({ timeout: TIMEOUT });
    // A contact's name finds it too.
    await page.getByTestId("customer-search").fill("陈明");
    await results.getByText("陈明").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("customer-search").fill("星辰");
    await results.getByText("杭州星辰测绘科技有限公司").click();
    await page.getByTestId("customer-detail").waitFor({ timeout: TIMEOUT });
  });

  test("log a visit in a few taps", async () => {
    await page.getByTestId("log-visit").click();
    await page.getByTestId("visit-type-visit").click();
    await page.getByTestId("visit-outcome-positive").click();
    await page.getByTestId("visit-notes").fill("演示了新测绘设备，客户很感兴趣\n下周带样品");
    await page.getByTestId("visit-next-7").click();
    await page.getByTestId("visit-save").click();
    await page.getByTestId("timeline").getByText("演示了新测绘设备，客户很感兴趣").waitFor({ timeout: TIMEOUT });
    assert.match(await page.getByTestId("timeline").textContent(), /积极/);
  });

  test("move an opportunity on the board by dragging and by keyboard; totals follow", async () => {
    await page.getByTestId("add-opportunity").click();
    await page.getByTestId("field-title").fill("测绘设备升级");
    await page.getByTestId("field-amount").fill("12,500.50");
    assert.equal(await page.getByTestId("field-loss_reason").count(), 0, "why it was lost is asked only once it is");
    await chooseOption(page, "field-stage", "lost");
    await page.getByTestId("field-loss_reason").waitFor({ timeout: TIMEOUT });
    await chooseOption(page, "field-stage", "lead");
    await page.getByTestId("save").click();
    await page.getByTestId("customer-detail").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("nav-pipeline").click();
    await page.getByTestId("pipeline-scope").getByText("我的", { exact: true }).click();
    const card = page.locator('[data-testid="opp-card"]', { hasText: "测绘设备升级" });
    await card.waitFor({ timeout: TIMEOUT });
    const leadBefore = Number((await page.getByTestId("stage-count-lead").textContent()).match(/\d+/)[0]);
    const proposalBefore = Number((await page.getByTestId("stage-count-proposal").textContent()).match(/\d+/)[0]);

    const from = await card.boundingBox();
    const to = await page.getByTestId("stage-proposal").boundingBox();
    await page.mouse.move(from.x + from.width / 2, from.y + 12);
    await page.mouse.down();
    await page.mouse.move(from.x + from.width / 2 + 30, from.y + 40, { steps: 4 });
    await page.mouse.move(to.x + to.width / 2, to.y + 80, { steps: 8 });
    await page.mouse.up();
    await page.getByTestId("stage-proposal").getByText("测绘设备升级").waitFor({ timeout: TIMEOUT });
    await page.waitForFunction(
      (n) => document.querySelector('[data-testid="stage-count-proposal"]')?.textContent?.includes(String(n)),
      proposalBefore + 1,
      { timeout: TIMEOUT },
    );
    assert.match(await page.getByTestId("stage-count-lead").textContent(), new RegExp(String(leadBefore - 1)));
    assert.match(await page.getByTestId("stage-total-proposal").textContent(), /12,500\.50/);

    // Keyboard: a focused card moves one stage right with the arrow key.
    const moved = page.getByTestId("stage-proposal").locator('[data-testid="opp-card"]', { hasText: "测绘设备升级" });
    await moved.focus();
    await page.keyboard.press("ArrowRight");
    await page.getByTestId("stage-negotiation").getByText("测绘设备升级").waitFor({ timeout: TIMEOUT });

    // The "move to" list, by mouse (a phone's way): the card moves and the board stays.
    const negotiating = page.getByTestId("stage-negotiation").locator('[data-testid="opp-card"]', { hasText: "测绘设备升级" });
    await negotiating.getByTestId("move-to").click();
    await page.locator(".ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option", { hasText: "赢单" }).click();
    await page.getByTestId("stage-won").getByText("测绘设备升级").waitFor({ timeout: TIMEOUT });
    assert.match(page.url(), /#\/pipeline/, "still on the board");
  });

  test("switch the language", async () => {
    await chooseOption(page, "lang-switch", "en");
    assert.equal(await page.getByTestId("nav-customers").textContent(), "Customers");
    await page.getByTestId("nav-home").click();
    await page.getByText("Follow-ups due").waitFor({ timeout: TIMEOUT });
    await page.reload();
    assert.equal(await page.getByTestId("nav-pipeline").textContent(), "Pipeline", "the choice is remembered");
    await chooseOption(page, "lang-switch", "zh-CN");
    assert.equal(await page.getByTestId("nav-customers").textContent(), "客户");
  });

  test("screenshots of every main screen at four sizes", async () => {
    const context = await browser.newContext({ locale: "zh-CN" });
    const shot = await context.newPage();
    await shot.goto(device.url);
    await shot.getByTestId("sync-indicator").waitFor({ timeout: TIMEOUT });
    await shot.getByTestId("nav-customers").click();
    await shot.getByTestId("customer-search").fill("星辰");
    await shot.getByTestId("search-results").getByText("杭州星辰测绘科技有限公司").click();
    await shot.getByTestId("customer-detail").waitFor({ timeout: TIMEOUT });
    const customerId = shot.url().split("/").pop();
    const screens = {
      home: "#/home",
      customers: "#/customers",
      detail: `#/customers/${customerId}`,
      edit: `#/edit/customer/${customerId}`,
      visit: `#/visit/${customerId}`,
      pipeline: "#/pipeline",
      sync: "#/sync",
    };
    for (const [sizeName, size] of Object.entries(SIZES)) {
      await shot.setViewportSize(size);
      for (const [name, hash] of Object.entries(screens)) {
        await shot.goto(device.url + hash);
        await shot.waitForLoadState("networkidle");
        await shot.waitForTimeout(150);
        await screenshot(shot, `${name}-${sizeName}`);
        // Nothing may stick out sideways on any size.
        const overflow = await shot.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 1, `${name} at ${sizeName} overflows by ${overflow}px`);
      }
    }
    await context.close();
  });
});

describe("two devices, one customer", { timeout: 240_000 }, () => {
  let a;
  let b;
  let relay;
  let pageA;
  let pageB;
  let customerUrlPath;

  before(async () => {
    relay = await startRelay(server.port);
    a = await startDevice("device-a");
    b = await startDevice("device-b");
    pageA = await openPage(browser, a);
    pageB = await openPage(browser, b, { size: SIZES.tablet });
    await signIn(pageA, relay.url, "wangfang");
    await signIn(pageB, server.url, "lili");
    await waitForState(pageA, "up_to_date");
    await waitForState(pageB, "up_to_date");
    // The customer both will edit, created on A through the same dispatch the UI uses.
    const created = await dispatch(a, {
      op: "create",
      kind: "customer",
      fields: { name: "宁波海曙双星电子有限公司", grade: "B" },
    });
    assert.equal(created.type, "record", JSON.stringify(created));
    customerUrlPath = `#/customers/${created.id}`;
  });

  test("offline edit on A and another field on B both show on both after A reconnects", async () => {
    await pageA.goto(a.url + customerUrlPath);
    await pageA.getByTestId("customer-detail").waitFor({ timeout: TIMEOUT });
    // B gets the new customer through the server.
    await pageB.goto(b.url + customerUrlPath);
    await pageB.getByText("宁波海曙双星电子有限公司").waitFor({ timeout: TIMEOUT });

    await relay.cut();
    await waitForState(pageA, "offline");

    // A, offline: a new address.
    await pageA.getByTestId("edit-customer").click();
    await pageA.getByTestId("field-address").fill("杭州市西湖区文三路90号");
    await pageA.getByTestId("save").click();
    await pageA.getByText("杭州市西湖区文三路90号").waitFor({ timeout: TIMEOUT });
    assert.ok(Number(await pageA.getByTestId("sync-pending").textContent()) >= 1, "the edit waits to be sent");

    // B, online: the website.
    await pageB.getByTestId("edit-customer").click();
    await pageB.getByTestId("field-website").fill("www.shuangxing-nb.cn");
    await pageB.getByTestId("save").click();
    await pageB.getByText("www.shuangxing-nb.cn").waitFor({ timeout: TIMEOUT });

    await relay.restore();
    await waitForState(pageA, "up_to_date");
    // Both pages update in place (no reload): each shows both edits.
    await pageA.getByText("www.shuangxing-nb.cn").waitFor({ timeout: TIMEOUT });
    await pageB.getByText("杭州市西湖区文三路90号").waitFor({ timeout: TIMEOUT });
  });

  test("the same field edited on both shows the conflict badge on both, and choosing a value settles it", async () => {
    await relay.cut();
    await waitForState(pageA, "offline");
    await pageA.getByTestId("edit-customer").click();
    await pageA.getByTestId("field-address").fill("杭州市滨江区江南大道1号");
    await pageA.getByTestId("save").click();
    await pageA.getByText("杭州市滨江区江南大道1号").waitFor({ timeout: TIMEOUT });

    await pageB.getByTestId("edit-customer").click();
    await pageB.getByTestId("field-address").fill("杭州市余杭区文一西路969号");
    await pageB.getByTestId("save").click();
    await pageB.getByText("杭州市余杭区文一西路969号").waitFor({ timeout: TIMEOUT });

    await relay.restore();
    await waitForState(pageA, "up_to_date");
    for (const page of [pageA, pageB]) {
      const badge = page.locator('[data-field="address"] [data-testid="conflict-badge"]');
      await badge.waitFor({ timeout: TIMEOUT });
      await badge.click();
      const pop = await page.locator(".conflict-pop").textContent();
      assert.match(pop, /杭州市滨江区江南大道1号/);
      assert.match(pop, /杭州市余杭区文一西路969号/);
      assert.match(pop, /王芳/);
      assert.match(pop, /李丽/);
    }
    await screenshot(pageB, "conflict-tablet");
    // B (the supervisor) keeps A's value; the badge goes away on both.
    await pageB
      .locator(".conflict-value", { hasText: "杭州市滨江区江南大道1号" })
      .getByTestId("conflict-keep")
      .click();
    for (const page of [pageA, pageB]) {
      await page.locator('[data-field="address"] [data-testid="conflict-badge"]').waitFor({ state: "detached", timeout: TIMEOUT });
      await page.locator('[data-field="address"]', { hasText: "杭州市滨江区江南大道1号" }).waitFor({ timeout: TIMEOUT });
    }
  });

  test("a merge arriving while someone types does not touch what they typed", async () => {
    await pageB.getByTestId("edit-customer").click();
    await pageB.getByTestId("field-notes").fill("正在输入的备注");
    // A changes the same customer meanwhile; B's list and detail would refresh, the form not.
    await pageA.getByTestId("edit-customer").click();
    await chooseOption(pageA, "field-grade", "A");
    await pageA.getByTestId("save").click();
    await pageA.getByTestId("customer-detail").waitFor({ timeout: TIMEOUT });
    await pageB.waitForFunction(
      async (url) => {
        const r = await fetch(url, { method: "POST", body: JSON.stringify({ op: "get", id: location.hash.split("/").pop() }) });
        return (await r.json()).fields.grade === "A";
      },
      `${b.url}api/dispatch`,
      { timeout: TIMEOUT, polling: 200 },
    );
    assert.equal(await pageB.getByTestId("field-notes").inputValue(), "正在输入的备注");
    await pageB.getByTestId("save").click();
    await pageB.getByTestId("customer-detail").waitFor({ timeout: TIMEOUT });
    // Saving sends only the typed field, so A's grade survives.
    await pageB.locator('[data-field="grade"]', { hasText: "A类" }).waitFor({ timeout: TIMEOUT });
    await pageB.locator('[data-field="notes"]', { hasText: "正在输入的备注" }).waitFor({ timeout: TIMEOUT });
  });
});
