// A device that encrypts each person's store under her password (`field-crm-web --encrypt`,
// like the app where the system has no keychain): after a restart her data stays locked until
// she types that password again, and someone else may still sign in into their own store.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  PASSWORDS,
  SIZES,
  TIMEOUT,
  checkLayout,
  chooseOption,
  dispatch,
  eventually,
  openPage,
  screenshot,
  signIn,
  startDevice,
  startStory,
  waitForState,
} from "./harness.mjs";

let server;
let browser;

startStory({ customers: 3 }, (started) => ({ server, browser } = started));

const CUSTOMER = "加密平板上建的客户";

/// Stop a device's shell and wait until it has exited, so its store is closed.
async function stop(device) {
  const exited = new Promise((resolve) => device.child.once("exit", resolve));
  device.child.kill();
  await exited;
}

/// The same data directory served again by a new encrypting shell: what a restart does.
async function restart(device) {
  await stop(device);
  return startDevice(device.name, { data: device.data, encrypt: true });
}

describe("王芳's tablet keeps her data encrypted under her password", { timeout: 300_000 }, () => {
  test("after a restart her data waits for her password; a wrong one is refused, the right one opens it", async () => {
    let device = await startDevice("encrypted", { encrypt: true });
    let page = await openPage(browser, device, { size: SIZES.tablet });
    await signIn(page, server.url, "wangfang");
    await waitForState(page, "up_to_date");
    const made = await dispatch(device, { op: "create", kind: "customer", fields: { name: CUSTOMER }, allow_duplicate: true });
    assert.equal(made.type, "record", JSON.stringify(made));
    await page.goto(`${device.url}#/customers/${made.id}`);
    await page.getByTestId("customer-name").getByText(CUSTOMER).waitFor({ timeout: TIMEOUT });
    await waitForState(page, "up_to_date");

    device = await restart(device);
    const status = await dispatch(device, { op: "app_status" });
    assert.equal(status.mode, "locked", JSON.stringify(status));
    assert.equal((await dispatch(device, { op: "list", kind: "customer" })).code, "store_locked");

    await page.goto(device.url);
    const who = page.getByTestId("unlock-who");
    await who.waitFor({ timeout: TIMEOUT });
    assert.match(await who.textContent(), /王芳/);
    assert.match(await who.textContent(), /wangfang/);
    assert.match(await page.getByTestId("unlock-form").textContent(), /此设备上的数据已加密/);

    await page.getByTestId("unlock-password").fill("not-her-password");
    await page.getByTestId("unlock-submit").click();
    const error = page.getByTestId("unlock-error");
    await error.waitFor({ timeout: TIMEOUT });
    assert.match(await error.textContent(), /密码无法解锁这些数据/);
    await screenshot(page, "unlock-wrong-password");

    await page.getByTestId("unlock-password").fill(PASSWORDS.wangfang);
    await page.getByTestId("unlock-submit").click();
    await page.getByTestId("sync-indicator").waitFor({ timeout: TIMEOUT });
    await page.goto(`${device.url}#/customers/${made.id}`);
    await page.getByTestId("customer-name").getByText(CUSTOMER).waitFor({ timeout: TIMEOUT });
    await waitForState(page, "up_to_date");
    await page.context().close();
  });

  test("the unlock screen fits a phone, a tablet and a laptop, in English too, and offers signing in as someone else", async () => {
    let device = await startDevice("encrypted-layout", { encrypt: true });
    let page = await openPage(browser, device, { size: SIZES.laptop });
    await signIn(page, server.url, "wangfang");
    await waitForState(page, "up_to_date");
    await page.context().close();
    device = await restart(device);

    for (const [label, size] of [["phone-360", { width: 360, height: 740 }], ...Object.entries(SIZES)]) {
      page = await openPage(browser, device, { size });
      await page.getByTestId("unlock-form").waitFor({ timeout: TIMEOUT });
      await checkLayout(page, `unlock-${label}`);
      await page.context().close();
    }

    page = await openPage(browser, device, { size: SIZES.phone, locale: "en" });
    await page.getByTestId("unlock-form").waitFor({ timeout: TIMEOUT });
    await chooseOption(page, "lang-switch", "en");
    assert.match(await page.getByTestId("unlock-form").textContent(), /The data on this device is encrypted/);
    await page.getByTestId("unlock-password").fill("wrong");
    await page.getByTestId("unlock-submit").click();
    await page.getByTestId("unlock-error").getByText("That password does not unlock this data.", { exact: false }).waitFor({ timeout: TIMEOUT });
    await checkLayout(page, "unlock-phone-en");

    // Someone else: the sign-in form, her store marked as encrypted in the list of people.
    await page.getByTestId("unlock-other").click();
    await page.getByTestId("signin-form").waitFor({ timeout: TIMEOUT });
    await page.locator('[data-testid="profile"][data-username="wangfang"] [data-testid="profile-encrypted"]').waitFor({ timeout: TIMEOUT });
    await checkLayout(page, "unlock-other-signin-phone-en");
    await page.getByTestId("signin-back").click();
    await page.getByTestId("unlock-form").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("unlock-other").click();
    await signIn(page, server.url, "lili");
    await waitForState(page, "up_to_date");
    const after = await eventually(
      () => dispatch(device, { op: "app_status" }),
      (s) => s.mode === "signed_in" && s.identity.display_name === "李丽",
      "李丽 works in her own store",
    );
    assert.ok(after.profiles.find((p) => p.username === "wangfang")?.encrypted, JSON.stringify(after.profiles));
    await page.context().close();
  });
});
