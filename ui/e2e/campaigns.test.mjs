// Campaigns (营销活动): a supervisor plans a campaign for the grade-A customers and starts it,
// which freezes its target list; a salesperson enters a lead the campaign brought and converts
// it, and the campaign's effect counts one lead, one converted. The supervisor emails the target
// list (the unsubscribed skipped); an email written to the new customer's contact waits queued
// on the timeline.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { SIZES, TIMEOUT, chooseOption, dispatch, eventually, layoutProblems, screenshot, signedInDevice, startStory } from "./harness.mjs";

let server;
let browser;

startStory({ customers: 12 }, (started) => ({ server, browser } = started));

describe("a campaign from its target list to its effect", { timeout: 300_000 }, () => {
  let lili;
  let wangfang;
  let campaignId;

  before(async () => {
    lili = await signedInDevice(browser, server.url, "lili", "campaigns-lili");
    wangfang = await signedInDevice(browser, server.url, "wangfang", "campaigns-wangfang");
  });

  test("a supervisor plans a campaign for the grade-A customers and starts it: the target list is frozen", async () => {
    const { device, page } = lili;
    // Two of the team's customers are grade A for certain.
    const some = (await dispatch(wangfang.device, { op: "list", kind: "customer", sort: "name", limit: 2 })).items;
    for (const c of some) await dispatch(wangfang.device, { op: "update", id: c.id, fields: { grade: "A" } });
    const gradeA = await eventually(
      () => dispatch(device, { op: "list", kind: "customer", filter: { grade: "A" }, limit: 1 }),
      (p) => p.type === "page" && p.total >= 2,
      "the grade-A customers reached the supervisor",
    );

    await page.getByTestId("nav-campaigns").click();
    await page.getByTestId("campaigns").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("new-campaign").click();
    await page.getByTestId("form-campaign").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("field-name").fill("春季机床展");
    await chooseOption(page, "field-type", "exhibition");
    await page.getByTestId("field-channel").fill("上海国际会展中心");
    await page.getByTestId("field-budget").fill("50,000");
    await chooseOption(page, "field-target_kind", "customer");
    await page.getByTestId("filter-add").click();
    await chooseOption(page, "filter-field", "grade");
    await chooseOption(page, "filter-values", "A");
    await page.keyboard.press("Escape");
    await page.getByTestId("save").click();
    await page.getByTestId("campaign-detail").waitFor({ timeout: TIMEOUT });
    campaignId = page.url().split("/campaigns/")[1];

    const saved = await dispatch(device, { op: "get", id: campaignId });
    assert.deepEqual(JSON.parse(saved.fields.target_filter), { grade: "A" });
    assert.deepEqual(saved.fields.budget, { minor: 5000000, currency: "CNY" });
    assert.equal(await page.getByTestId("campaign-status").getAttribute("data-state"), "planned");
    assert.match(await page.getByTestId("filter-words").textContent(), /A/);

    await page.getByTestId("transition-start").click();
    await page.locator('[data-testid="campaign-status"][data-state="running"]').waitFor({ timeout: TIMEOUT });
    await page.getByTestId("campaign-members").waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId("campaign-member").count(), Math.min(50, gradeA.total));
    for (const c of some) {
      await page.getByTestId("campaign-member").filter({ hasText: String(c.fields.name) }).waitFor({ timeout: TIMEOUT });
    }
    assert.equal(await page.getByTestId("effect-members").locator("dd").textContent(), String(gradeA.total));
  });

  test("a salesperson's lead names the campaign and is converted: the effect counts 1 lead, 1 converted", async () => {
    const { device, page } = wangfang;
    await eventually(
      () => dispatch(device, { op: "get", id: campaignId }),
      (r) => r.type === "record" && r.fields.status === "running",
      "the running campaign reached the salesperson",
    );
    await page.getByTestId("nav-leads").click();
    await page.getByTestId("new-lead").click();
    await page.getByTestId("form-lead").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("field-name").fill("钱志远");
    await page.getByTestId("field-company").fill("远航数控设备有限公司");
    await page.getByTestId("field-email").fill("qian@yuanhang.example.cn");
    await chooseOption(page, "field-campaign", campaignId);
    await page.getByTestId("save").click();
    await page.getByTestId("lead-detail").waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId("lead-campaign").textContent(), "春季机床展");
    // A meeting at the fair, logged on the lead with the activity form.
    await page.getByTestId("lead-log-activity").click();
    await page.getByTestId("log-visit-page").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("visit-type-meeting").click();
    await page.getByTestId("visit-notes").fill("展会展台留资，想看五轴样机");
    await page.getByTestId("visit-save").click();
    await page.getByTestId("lead-detail").getByTestId("timeline-entry").first().waitFor({ timeout: TIMEOUT });

    // The existing conversion dialog; the customer's timeline then holds the meeting.
    await page.getByTestId("lead-convert").click();
    await page.getByTestId("convert-dialog").getByTestId("plan-customer").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("convert-ok").click();
    await page.getByTestId("customer-name").waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId("customer-name").textContent(), "远航数控设备有限公司");
    await page.getByTestId("timeline-entry").filter({ hasText: "展会展台留资" }).waitFor({ timeout: TIMEOUT });

    // The campaign's page on the supervisor's device counts it once it syncs.
    const p = lili.page;
    await p.goto(`${lili.device.url}#/campaigns/${campaignId}`);
    await p.getByTestId("campaign-effect").waitFor({ timeout: TIMEOUT });
    await p.locator('[data-testid="effect-converted"] dd', { hasText: /^1$/ }).waitFor({ timeout: 40_000 });
    assert.equal(await p.getByTestId("effect-leads").locator("dd").textContent(), "1");
    await p.getByTestId("campaign-lead").filter({ hasText: "钱志远" }).waitFor({ timeout: TIMEOUT });
    const effect = await dispatch(lili.device, { op: "campaign_effect", id: campaignId });
    assert.equal(effect.leads, 1);
    assert.equal(effect.converted, 1);
    assert.equal(effect.conversion_bp, 10000);
    for (const [name, size] of Object.entries(SIZES)) {
      await p.setViewportSize(size);
      await p.waitForTimeout(400);
      await screenshot(p, `campaign-${name}`);
      const problems = await p.evaluate(layoutProblems);
      assert.deepEqual(problems, [], `the campaign page at ${name}:\n${problems.join("\n")}`);
    }
    await p.setViewportSize(SIZES.laptop);
  });

  test("the supervisor emails the target list: one queued per member with an address, the unsubscribed skipped", async () => {
    const { device, page } = lili;
    const members = (await dispatch(device, { op: "campaign_members", id: campaignId })).members;
    // One member unsubscribes (退订); another certainly has an address.
    const [quiet, reader] = members;
    await dispatch(device, { op: "update", id: quiet.id, fields: { do_not_email: true } });
    await dispatch(device, { op: "update", id: reader.id, fields: { email: "buyer@example.cn" } });

    await page.goto(`${device.url}#/campaigns/${campaignId}`);
    await page.getByTestId("campaign-email").click();
    const dialog = page.getByTestId("campaign-email-dialog");
    await dialog.waitFor({ timeout: TIMEOUT });
    await dialog.getByTestId("campaign-email-subject").fill("春季机床展邀请函");
    await dialog.getByTestId("campaign-email-body").fill("{name}：诚邀您莅临春季机床展。");
    await page.getByTestId("campaign-email-send").click();
    await dialog.waitFor({ state: "detached", timeout: TIMEOUT });
    const result = page.getByTestId("campaign-email-result");
    await result.waitFor({ timeout: TIMEOUT });
    await page.locator(`[data-testid="campaign-email-skipped"][data-why="unsubscribed"]`, { hasText: String(quiet.title) }).waitFor({ timeout: TIMEOUT });

    const emails = (await dispatch(device, { op: "list", kind: "activity", filter: { campaign: campaignId, type: "email" }, limit: 200 })).items;
    assert.ok(emails.length >= 1);
    assert.ok(emails.every((e) => e.fields.send_status === "queued"));
    const toReader = emails.find((e) => e.fields.customer === reader.id);
    assert.equal(toReader.fields.email_to, "buyer@example.cn");
    assert.equal(toReader.fields.email_body, `${reader.title}：诚邀您莅临春季机床展。`);
    assert.equal(emails.some((e) => e.fields.customer === quiet.id), false);
    // Each recipient's status, as the server will report it.
    await page.locator('[data-testid="campaign-recipient"][data-state="queued"]').nth(emails.length - 1).waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId("campaign-recipient").count(), emails.length);
    await page.getByTestId("campaign-recipients").scrollIntoViewIfNeeded();
    await screenshot(page, "campaign-email-recipients");
  });

  test("an email written to the new customer's contact shows queued on the timeline", async () => {
    const { page } = wangfang;
    const row = page.getByTestId("contact-row").filter({ hasText: "钱志远" });
    await row.getByTestId("email-contact").click();
    const dialog = page.getByTestId("email-dialog");
    await dialog.waitFor({ timeout: TIMEOUT });
    assert.equal(await dialog.getByTestId("email-to").inputValue(), "qian@yuanhang.example.cn");
    await dialog.getByTestId("email-subject").fill("五轴样机参观安排");
    await dialog.getByTestId("email-body").fill("钱经理您好：欢迎下周到厂参观五轴样机。");
    await page.getByTestId("email-send").click();
    await dialog.waitFor({ state: "detached", timeout: TIMEOUT });
    const entry = page.getByTestId("timeline-entry").filter({ hasText: "五轴样机参观安排" });
    await entry.waitFor({ timeout: TIMEOUT });
    // No relay is configured on this server: it stays queued.
    assert.equal(await entry.getByTestId("message-status").getAttribute("data-state"), "queued");
    assert.match(await entry.getByTestId("message-status").textContent(), /qian@yuanhang\.example\.cn/);
    await screenshot(page, "campaign-email-queued");
  });
});
