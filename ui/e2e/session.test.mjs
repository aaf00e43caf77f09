// Who works on a device: a tablet shared by a salesperson and her supervisor (each with their
// own profile and unsent edits), and a device used on its own before its first sign-in.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  PASSWORDS,
  SIZES,
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

describe("signing in safely", { timeout: 180_000 }, () => {
  test("a file that is not the company's CA certificate is flagged in the form and not sent", async () => {
    const device = await startDevice("ca-file");
    const page = await openPage(browser, device, { size: SIZES.phone });
    await page.getByTestId("signin-form").waitFor({ timeout: TIMEOUT });
    // The common case stays simple: the certificate is behind "advanced".
    assert.equal(await page.getByTestId("signin-ca").count(), 0);
    await page.getByTestId("signin-advanced").click();
    const input = page.getByTestId("ca-input");
    const problem = page.getByTestId("ca-problem");

    // A key is not a certificate, whatever the file's name says.
    const key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";
    await input.setInputFiles({ name: "company-ca.pem", mimeType: "application/x-pem-file", buffer: Buffer.from(key) });
    // The name shows once the file is read (asynchronously): waited for, not read at once.
    await page.getByTestId("ca-name").filter({ hasText: /^company-ca\.pem$/ }).waitFor({ timeout: TIMEOUT });
    await problem.getByText(/^该文件中没有文本格式的证书（应包含 -----BEGIN CERTIFICATE-----）/).waitFor({ timeout: TIMEOUT });
    await screenshot(page, "signin-ca-not-a-certificate");

    // The form does not send it.
    await page.fill('input[name="server"]', server.url);
    await page.fill('input[name="username"]', "wangfang");
    await page.fill('input[name="password"]', PASSWORDS.wangfang);
    await page.getByTestId("signin-submit").click();
    await page.getByTestId("signin-error").getByText("CA 证书文件不可用：请重新选择或将其移除。").waitFor({ timeout: TIMEOUT });
    assert.equal((await dispatch(device, { op: "app_status" })).mode, "first_run");

    // Another kind of file is not taken either.
    await input.setInputFiles({ name: "company-ca.key", mimeType: "application/octet-stream", buffer: Buffer.from(key) });
    await problem.getByText("请选择扩展名为 .pem、.crt 或 .cer 的证书文件。").waitFor({ timeout: TIMEOUT });

    // A certificate in PEM form is taken, and can be removed again.
    const pem = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUOv1\n-----END CERTIFICATE-----\n";
    await input.setInputFiles({ name: "company-ca.crt", mimeType: "application/x-x509-ca-cert", buffer: Buffer.from(pem) });
    // The name shows once the file is read (asynchronously): waited for, not read at once.
    await page.getByTestId("ca-name").filter({ hasText: /^company-ca\.crt$/ }).waitFor({ timeout: TIMEOUT });
    await problem.waitFor({ state: "detached", timeout: TIMEOUT });
    await page.getByTestId("ca-remove").click();
    await page.getByTestId("ca-choose").waitFor({ timeout: TIMEOUT });

    // An address of this machine typed without a scheme gets http:// and signs in.
    await page.fill('input[name="server"]', server.url.replace(/^http:\/\//, ""));
    await page.getByTestId("signin-submit").click();
    await waitForState(page, "up_to_date");
  });

  test("a plain http:// address of another machine is refused before the password leaves the device", async () => {
    const device = await startDevice("insecure");
    const page = await openPage(browser, device);
    await page.getByTestId("signin-form").waitFor({ timeout: TIMEOUT });
    // 192.0.2.10 is a documentation address: nothing answers there, and the core does not try.
    await page.fill('input[name="server"]', "http://192.0.2.10:7878");
    await page.fill('input[name="username"]', "wangfang");
    await page.fill('input[name="password"]', PASSWORDS.wangfang);
    await page.getByTestId("signin-submit").click();
    await page
      .getByTestId("signin-error")
      .getByText("无法确认该服务器可信，不能把密码发给它。请使用 https:// 开头的地址，或在登录时添加公司的 CA 证书。")
      .waitFor({ timeout: TIMEOUT });
    await screenshot(page, "signin-insecure-server");
    const refused = await dispatch(device, { op: "sign_in", server: "http://192.0.2.10:7878", username: "wangfang", password: PASSWORDS.wangfang });
    assert.equal(refused.code, "insecure_server");

    // In English too.
    await chooseOption(page, "lang-switch", "en");
    await page.getByTestId("signin-submit").click();
    await page
      .getByTestId("signin-error")
      .getByText("This server cannot be trusted with your password. Use an https:// address, or add your company's CA certificate when you sign in.")
      .waitFor({ timeout: TIMEOUT });
  });
});
