// Who works on a device: a tablet shared by a salesperson and her supervisor (each with their
// own profile and unsent edits), and a device used on its own before its first sign-in.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  PASSWORDS,
  TIMEOUT,
  chooseOption,
  dispatch,
  eventually,
  openPage,
  screenshot,
  serverView,
  signIn,
  startDevice,
  startRelay,
  startStory,
  waitForState,
} from "./harness.mjs";

let server;
let browser;

startStory({ customers: 10 }, (started) => ({ server, browser } = started));

async function waitUntil(what, check, ms = TIMEOUT) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("a tablet shared by 王芳 and 李丽", { timeout: 300_000 }, () => {
  test("王芳's offline edit stays in her profile through 李丽's session and is sent when she signs in again", async () => {
    const relay = await startRelay(server.port);
    const device = await startDevice("shared");
    const page = await openPage(browser, device, { size: { width: 1024, height: 768 } });
    await signIn(page, relay.url, "wangfang");
    await waitForState(page, "up_to_date");
    const customer = (await dispatch(device, { op: "list", kind: "customer", sort: "name", limit: 1 })).items[0];

    // 王芳, offline, changes the address.
    await relay.cut();
    await waitForState(page, "offline");
    // Why it is offline, in the language of the app.
    await page.getByTestId("nav-sync").click();
    await page.getByTestId("sync-detail").getByText("无法连接服务器，请检查地址和网络。").waitFor({ timeout: TIMEOUT });
    await chooseOption(page, "lang-switch", "en");
    await page.getByTestId("sync-detail").getByText("The server cannot be reached. Check the address and the network.").waitFor({ timeout: TIMEOUT });
    await chooseOption(page, "lang-switch", "zh-CN");
    await page.goto(`${device.url}#/edit/customer/${customer.id}`);
    await page.getByTestId("field-address").fill("共享平板上离线改的地址");
    await page.getByTestId("save").click();
    await page.getByText("共享平板上离线改的地址").waitFor({ timeout: TIMEOUT });

    // She hands the tablet over: switching explains that her edit stays in her profile.
    await page.getByTestId("nav-switch-user").click();
    await page.getByTestId("switch-other").click();
    const warning = page.getByTestId("signout-warning");
    await warning.waitFor({ timeout: TIMEOUT });
    assert.match(await warning.textContent(), /王芳的这 1 条修改会保留在本设备上/);
    await screenshot(page, "switch-user-unsent-warning");
    await page.getByTestId("signout-confirm").click();
    await page.getByTestId("signin-form").waitFor({ timeout: TIMEOUT });
    const wangfang = page.locator('[data-testid="profile"][data-username="wangfang"]');
    assert.match(await wangfang.getByTestId("profile-pending").textContent(), /1 条修改待发送/);
    await screenshot(page, "signin-profiles");
    // Tapping a profile fills in that person's server and name.
    await page.fill('input[name="server"]', "");
    await wangfang.getByTestId("profile-pick").click();
    assert.equal(await page.inputValue('input[name="server"]'), relay.url);
    assert.equal(await page.inputValue('input[name="username"]'), "wangfang");

    // 李丽 signs in on the same tablet and sees who else works here, with 王芳's unsent edit.
    await signIn(page, server.url, "lili");
    await waitForState(page, "up_to_date");
    await page.getByTestId("nav-switch-user").click();
    await page.getByTestId("switch-user").waitFor({ timeout: TIMEOUT });
    assert.match(await wangfang.textContent(), /王芳/);
    assert.match(await wangfang.getByTestId("profile-pending").textContent(), /1 条修改待发送/);
    const lili = page.locator('[data-testid="profile"][data-username="lili"]');
    await lili.getByTestId("profile-current").waitFor({ timeout: TIMEOUT });
    await screenshot(page, "switch-user-list");
    // Her own session does not carry 王芳's edit.
    assert.notEqual((await dispatch(device, { op: "get", id: customer.id })).fields.address, "共享平板上离线改的地址");

    // 李丽 works: another field of the same customer.
    await page.goto(`${device.url}#/edit/customer/${customer.id}`);
    await page.getByTestId("field-website").fill("www.shared-tablet.cn");
    await page.getByTestId("save").click();
    await page.getByText("www.shared-tablet.cn").waitFor({ timeout: TIMEOUT });
    await waitUntil("李丽's edit sent", async () => (await dispatch(device, { op: "app_status" })).sync.pending === 0);

    // She hands it back: tapping 王芳 fills in her server and name.
    await page.getByTestId("nav-switch-user").click();
    await wangfang.getByTestId("switch-to").click();
    await page.getByTestId("signin-form").waitFor({ timeout: TIMEOUT });
    assert.equal(await page.inputValue('input[name="server"]'), relay.url);
    assert.equal(await page.inputValue('input[name="username"]'), "wangfang");
    await relay.restore();
    await page.fill('input[name="password"]', PASSWORDS.wangfang);
    await page.getByTestId("signin-submit").click();
    await waitForState(page, "up_to_date");
    await waitUntil("王芳's edit sent", async () => (await dispatch(device, { op: "app_status" })).sync.pending === 0);

    await page.getByTestId("nav-sync").click();
    await page.getByTestId("rejected-list").getByText("没有被拒绝的修改。").waitFor({ timeout: TIMEOUT });
    // The page learns the count on its next status poll, a moment after the device knows it.
    await eventually(() => page.getByTestId("pending-count").textContent(), (n) => n === "0", "pending count on the sync page");

    // The server has both: 王芳's address (accepted as hers) and 李丽's website.
    const call = serverView(server.url, "lili");
    const stored = call({ op: "get", id: customer.id });
    assert.equal(stored.fields.address, "共享平板上离线改的地址");
    assert.equal(stored.fields.website, "www.shared-tablet.cn");
    const history = call({ op: "history", id: customer.id });
    const address = history.entries.filter((e) => e.fields.includes("address")).at(-1);
    assert.equal(history.names[address.user_id], "王芳");
  });
});

describe("customers made before the first sign-in", { timeout: 300_000 }, () => {
  test("become the account's at sign-in, with a notice, and reach the supervisor with their contact and visit", async () => {
    const device = await startDevice("local-first");
    const page = await openPage(browser, device);
    await page.getByTestId("use-locally").click();
    await page.getByTestId("sync-indicator").waitFor({ timeout: TIMEOUT });

    await page.getByTestId("nav-customers").click();
    await page.getByTestId("new-customer").click();
    await page.getByTestId("field-name").fill("温州本机先建电器有限公司");
    await page.getByTestId("save").click();
    await page.getByTestId("customer-detail").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("add-contact").click();
    await page.getByTestId("field-name").fill("郑先建");
    await page.getByTestId("save").click();
    await page.getByTestId("contacts").getByText("郑先建").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("log-visit").click();
    await page.getByTestId("visit-notes").fill("登录前的第一次拜访");
    await page.getByTestId("visit-save").click();
    await page.getByTestId("timeline").getByText("登录前的第一次拜访").waitFor({ timeout: TIMEOUT });
    const customerId = page.url().split("/").pop();

    await page.getByTestId("nav-sync").click();
    await page.getByTestId("leave-local").click();
    await signIn(page, server.url, "wangfang");
    const notice = page.getByTestId("carried-over");
    await notice.waitFor({ timeout: TIMEOUT });
    assert.match(await notice.textContent(), /3 条本机记录已归入你的账号，将同步到服务器/);
    await page.waitForTimeout(400); // the dialog's opening animation
    await screenshot(page, "carried-over-notice");
    await page.getByTestId("carried-over-ok").click();
    await waitForState(page, "up_to_date");
    await waitUntil("the records sent", async () => (await dispatch(device, { op: "app_status" })).sync.pending === 0);

    // 李丽's device gets the customer with its contact and visit, owned by 王芳.
    const supervisor = await startDevice("local-first-supervisor");
    const spage = await openPage(browser, supervisor);
    await signIn(spage, server.url, "lili");
    await waitForState(spage, "up_to_date");
    await spage.goto(`${supervisor.url}#/customers/${customerId}`);
    await spage.getByTestId("customer-name").getByText("温州本机先建电器有限公司").waitFor({ timeout: TIMEOUT });
    await spage.getByTestId("contacts").getByText("郑先建").waitFor({ timeout: TIMEOUT });
    await spage.getByTestId("timeline").getByText("登录前的第一次拜访").waitFor({ timeout: TIMEOUT });
    await spage.locator('[data-field="owner"]', { hasText: "王芳" }).waitFor({ timeout: TIMEOUT });
  });
});

describe("sign-in refusals", { timeout: 180_000 }, () => {
  test("say what is wrong: the password, or too many attempts and how long to wait", async () => {
    const device = await startDevice("refusals");
    const page = await openPage(browser, device);
    await page.getByTestId("signin-form").waitFor({ timeout: TIMEOUT });
    await page.fill('input[name="server"]', server.url);
    await page.fill('input[name="username"]', "zhaolei");
    await page.fill('input[name="password"]', "not-his-password");
    await page.getByTestId("signin-submit").click();
    const error = page.getByTestId("signin-error");
    await error.getByText("用户名或密码不正确，或账号已停用。").waitFor({ timeout: TIMEOUT });

    // More wrong tries from this address than the server allows in ten minutes.
    for (let i = 0; i < 9; i++) {
      const r = await dispatch(device, { op: "sign_in", server: server.url, username: "zhaolei", password: `guess-${i}` });
      assert.equal(r.code, "sign_in_refused");
    }
    // Now even the right password waits, and the message says for how long.
    await page.fill('input[name="password"]', PASSWORDS.zhaolei);
    await page.getByTestId("signin-submit").click();
    await error.getByText(/^登录尝试次数过多，请 \d+ 分钟后再试。$/).waitFor({ timeout: TIMEOUT });
    const minutes = Number((await error.textContent()).match(/\d+/)[0]);
    assert.ok(minutes >= 1 && minutes <= 10, `wait of ${minutes} minutes`);
    await screenshot(page, "signin-too-many-attempts");
  });
});
