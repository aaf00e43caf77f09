// Leads (线索): a salesperson enters a lead met at a fair, logs a meeting and a call on it (the
// same activity form a customer's page uses), and converts it through the dialog — a new
// customer and contact, an opportunity of ¥380,000 —; the customer's timeline then holds both. A second lead, whose phone is already an
// existing customer's contact's, is linked to that customer rather than made again.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { SIZES, TIMEOUT, checkLayout, dispatch, eventually, screenshot, signedInDevice, startStory } from "./harness.mjs";

let server;
let browser;

startStory({ customers: 5 }, (started) => ({ server, browser } = started));

describe("a salesperson converts a lead", { timeout: 240_000 }, () => {
  let device;
  let page;

  before(async () => {
    ({ device, page } = await signedInDevice(browser, server.url, "wangfang", "leads-wangfang"));
  });

  test("created, a meeting and a call logged on it, converted with an opportunity: the customer's timeline shows them", async () => {
    await page.getByTestId("nav-leads").click();
    await page.getByTestId("leads").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("new-lead").click();
    await page.getByTestId("form-lead").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("field-name").fill("郑晓燕");
    await page.getByTestId("field-company").fill("星河精密机械研究所");
    await page.getByTestId("field-title").fill("设备部主任");
    await page.getByTestId("field-phones").fill("+86 139 0571 7311");
    await page.getByTestId("save").click();
    await page.getByTestId("lead-detail").waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId("lead-name").textContent(), "郑晓燕");
    assert.equal(await page.getByTestId("lead-status").getAttribute("data-state"), "new");
    const leadId = page.url().split("/leads/")[1];

    // A meeting yesterday and a call today, logged with the activity form: the lead's, with no
    // contacts to choose from. Newest first on the lead's timeline, each with who logged it.
    await page.getByTestId("lead-activities").getByText("还没有跟进记录").waitFor({ timeout: TIMEOUT });
    for (const [type, when, words] of [
      ["meeting", "visit-yesterday", "展会上交换名片，对五轴加工中心感兴趣"],
      ["call", "visit-today", "电话沟通：预算已批，下月到厂参观"],
    ]) {
      await page.getByTestId("lead-log-activity").click();
      await page.getByTestId("log-visit-page").waitFor({ timeout: TIMEOUT });
      assert.match(await page.getByTestId("visit-for").textContent(), /郑晓燕/);
      assert.equal(await page.getByTestId("visit-contact").count(), 0);
      await page.getByTestId(`visit-type-${type}`).click();
      await page.getByTestId(when).click();
      await page.getByTestId("visit-notes").fill(words);
      await page.getByTestId("visit-save").click();
      await page.getByTestId("lead-detail").waitFor({ timeout: TIMEOUT });
      await page.getByTestId("timeline-entry").filter({ hasText: words }).waitFor({ timeout: TIMEOUT });
    }
    const entries = page.getByTestId("lead-activities").getByTestId("timeline-entry");
    assert.equal(await entries.count(), 2);
    assert.match(await entries.first().textContent(), /电话.*预算已批.*王芳/s);
    assert.match(await entries.nth(1).textContent(), /会议.*交换名片/s);
    const logged = (await dispatch(device, { op: "list", kind: "activity", filter: { lead: leadId } })).items;
    assert.equal(logged.length, 2);
    assert.ok(logged.every((a) => !a.fields.customer), JSON.stringify(logged));
    for (const [name, size] of Object.entries(SIZES)) {
      await page.setViewportSize(size);
      await checkLayout(page, `lead-activities-${name}`);
    }
    await page.setViewportSize(SIZES.laptop);

    // The list has it, among her new leads.
    await page.getByTestId("nav-leads").click();
    await page.locator(`[data-testid="lead-row"][data-id="${leadId}"]`).waitFor({ timeout: TIMEOUT });
    await page.getByTestId("lead-search").fill("星河精密");
    await page.getByTestId("lead-hit").filter({ hasText: "郑晓燕" }).click();

    // The dialog says what will be made, and how many activities go along.
    await page.getByTestId("lead-convert").click();
    const dialog = page.getByTestId("convert-dialog");
    await dialog.getByTestId("plan-customer").waitFor({ timeout: TIMEOUT });
    assert.equal(await dialog.getByTestId("plan-customer").getAttribute("data-action"), "create");
    assert.match(await dialog.getByTestId("plan-customer").textContent(), /星河精密机械研究所/);
    assert.equal(await dialog.getByTestId("plan-contact").getAttribute("data-action"), "create");
    assert.equal(await dialog.getByTestId("plan-activities").getAttribute("data-count"), "2");
    await dialog.getByTestId("convert-with-opportunity").click();
    await dialog.getByTestId("convert-opp-title").fill("五轴加工中心 2 台");
    await dialog.getByTestId("convert-opp-amount").fill("380,000");
    for (const [name, size] of Object.entries(SIZES)) {
      await page.setViewportSize(size);
      await page.waitForTimeout(400);
      await screenshot(page, `leads-convert-dialog-${name}`);
    }
    await page.setViewportSize(SIZES.laptop);
    await page.getByTestId("convert-ok").click();

    // The customer's page, its timeline holding both activities logged on the lead.
    await page.getByTestId("customer-name").waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId("customer-name").textContent(), "星河精密机械研究所");
    for (const words of ["展会上交换名片", "预算已批"]) {
      await page.getByTestId("timeline-entry").filter({ hasText: words }).waitFor({ timeout: TIMEOUT });
    }
    await screenshot(page, "leads-converted-customer");

    const lead = await dispatch(device, { op: "get", id: leadId });
    const moved = (await dispatch(device, { op: "list", kind: "activity", filter: { lead: leadId } })).items;
    assert.ok(moved.length === 2 && moved.every((a) => a.fields.customer === lead.fields.converted_customer), JSON.stringify(moved));
    assert.equal(lead.fields.status, "converted");
    const opportunity = await dispatch(device, { op: "get", id: lead.fields.converted_opportunity });
    assert.deepEqual(opportunity.fields.amount, { minor: 38000000, currency: "CNY" });
    assert.equal(opportunity.fields.customer, lead.fields.converted_customer);

    // The lead says what it became, and offers no more steps.
    await page.goto(`${device.url}#/leads/${leadId}`);
    await page.locator('[data-testid="lead-status"][data-state="converted"]').waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId("lead-customer").textContent(), "星河精密机械研究所");
    assert.equal(await page.getByTestId("lead-convert").count(), 0);
    await page.getByTestId("lead-customer").click();
    await page.getByTestId("customer-name").waitFor({ timeout: TIMEOUT });

    // The conversion reaches the server.
    await eventually(
      () => dispatch(device, { op: "get", id: leadId }),
      (r) => r.type === "record" && !r.awaiting,
      "the server confirmed the conversion",
    );
  });

  test("a lead whose phone an existing customer's contact has is linked to that customer", async () => {
    const customer = (await dispatch(device, { op: "list", kind: "customer", sort: "name", limit: 1 })).items[0];
    const contact = await dispatch(device, {
      op: "create",
      kind: "contact",
      fields: { customer: customer.id, name: "韩冬", phones: ["+86 138 1234 9087"] },
      allow_duplicate: true,
    });
    assert.equal(contact.type, "record", JSON.stringify(contact));
    const lead = await dispatch(device, { op: "create", kind: "lead", fields: { name: "韩冬", phones: ["138-1234-9087"] } });
    assert.equal(lead.type, "record", JSON.stringify(lead));

    await page.goto(`${device.url}#/leads/${lead.id}`);
    await page.getByTestId("lead-convert").click();
    const dialog = page.getByTestId("convert-dialog");
    const line = dialog.getByTestId("plan-customer");
    await line.waitFor({ timeout: TIMEOUT });
    assert.equal(await line.getAttribute("data-action"), "link");
    assert.equal(await line.getAttribute("data-id"), customer.id);
    assert.match(await line.textContent(), /关联/);
    assert.match(await line.textContent(), new RegExp(String(customer.fields.name)));
    assert.match(await line.textContent(), /电话/);
    assert.equal(await dialog.getByTestId("plan-contact").getAttribute("data-action"), "link");
    await page.waitForTimeout(400);
    await screenshot(page, "leads-convert-link");
    await page.getByTestId("convert-ok").click();
    await page.waitForURL(new RegExp(`#/customers/${customer.id}$`), { timeout: TIMEOUT });
    const done = await dispatch(device, { op: "get", id: lead.id });
    assert.equal(done.fields.converted_customer, customer.id);
    assert.equal(done.fields.converted_contact, contact.id);
  });

  test("a lead that looks like two customers asks which one, or a new customer", async () => {
    const me = (await dispatch(device, { op: "app_status" })).identity.user_id;
    const [first, second] = (await dispatch(device, { op: "list", kind: "customer", filter: { owner: me }, sort: "name", limit: 2 })).items;
    const contact = await dispatch(device, {
      op: "create",
      kind: "contact",
      fields: { customer: second.id, name: "罗强", phones: ["+86 137 7777 2046"] },
      allow_duplicate: true,
    });
    assert.equal(contact.type, "record", JSON.stringify(contact));
    // The company is one customer's name, the phone another's contact's.
    const lead = await dispatch(device, { op: "create", kind: "lead", fields: { name: "罗强", company: first.fields.name, phones: ["13777772046"] } });
    const plan = await dispatch(device, { op: "conversion_plan", id: lead.id });
    assert.equal(plan.candidates.length, 2, JSON.stringify(plan));
    await page.goto(`${device.url}#/leads/${lead.id}`);
    await page.getByTestId("lead-convert").click();
    const dialog = page.getByTestId("convert-dialog");
    await dialog.getByTestId("plan-candidates").waitFor({ timeout: TIMEOUT });
    const ids = await dialog.getByTestId("plan-candidate").evaluateAll((els) => els.map((e) => e.getAttribute("data-id")));
    assert.ok(ids.includes(first.id) && ids.includes(second.id), JSON.stringify(ids));
    // Nothing is chosen for the person.
    assert.equal(await page.getByTestId("convert-ok").isDisabled(), true);
    await dialog.getByTestId("plan-new-customer").click();
    await page.waitForTimeout(400);
    await screenshot(page, "leads-convert-candidates");
    await page.getByTestId("convert-ok").click();
    await page.getByTestId("customer-name").waitFor({ timeout: TIMEOUT });
    const done = await dispatch(device, { op: "get", id: lead.id });
    assert.ok(![first.id, second.id].includes(done.fields.converted_customer), "a new customer was made");
  });
});
