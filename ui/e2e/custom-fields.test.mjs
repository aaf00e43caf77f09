// Issue 13, part 2, against the real server: the admin defines a required number field and a
// choice field for customers in the Custom fields tab (a key that breaks the rule refused as it
// is typed, a choice without options refused by the core); a salesperson on another device, once
// synced, is asked for both in the new-customer form — saving without the required one is
// refused by it, with values it saves — and her list shows the column and narrows by the
// filter. Retired on the admin's device, the field leaves her form while the record keeps its
// value, read only. Leads and products have their own: a required text field on leads refuses
// a lead without it, by its name, and with it shows on the lead's page and narrows the leads
// list; a brand chosen in the product dialog shows on the product's row, for the salesperson
// too, and narrows the catalogue. The company's words are saved (an unknown time zone refused by its box) and
// shown again after a reload; an employee profile is edited and shown; a backup is restored from
// the Backups tab: a customer made after it is gone from the server until the device that made
// it reconnects and sends it again, the state before is kept as a backup, and the audit log
// lists the restore.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { SIZES, TIMEOUT, checkLayout, chooseOption, dispatch, eventually, screenshot, serverView, signedInDevice, startRelay, startStory } from "./harness.mjs";

let server;
let browser;

startStory({ customers: 10 }, (started) => ({ server, browser } = started));

/// What the server holds now, as a freshly signed-in device of the supervisor's sees it.
const serverHolds = (request) => serverView(server.url)(request);

const synced = (device) => eventually(() => dispatch(device, { op: "app_status" }), (s) => s.sync.pending === 0, "everything sent");
const byName = (name) => ({ op: "list", kind: "customer", filter: { name }, limit: 5 });
const cfRow = (page, key) => page.locator(`[data-testid="cf-def-row"][data-key="${key}"]`);
const formField = (page, key) => page.locator(`[data-testid="custom-field"][data-key="${key}"]`);
const rowNames = (page) => page.locator('[data-testid="customer-list"] .vrow strong').allTextContents();

const SHOP = "自定义字段测试门店有限公司";
const OTHER = "线上渠道测试有限公司";
const LATE = "备份之后新建的客户";
const LEAD = "自定义字段测试线索";
const OTHER_LEAD = "另一条零售业线索";
const leadNames = (page) => page.locator('[data-testid="lead-row"] strong').allTextContents();
const productCodes = (page) => page.getByTestId("product-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-code")));

describe("custom fields, company settings, profiles and restoring a backup", { timeout: 600_000 }, () => {
  let admin;
  let sales;
  let relay;
  let shopId;

  before(async () => {
    admin = await signedInDevice(browser, server.url, "chenjing", "cf-admin");
    // The salesperson reaches the server through a relay that can be cut.
    relay = await startRelay(server.port);
    sales = await signedInDevice(browser, relay.url, "wangfang", "cf-wangfang");
  });

  test("the admin defines a required number field and a choice field for customers", async () => {
    const { page, device } = admin;
    await page.goto(`${device.url}#/admin/custom_fields`);
    await page.getByTestId("cf-kind").waitFor({ timeout: TIMEOUT });
    await page.getByText("客户还没有自定义字段。").waitFor({ timeout: TIMEOUT });

    await page.getByTestId("cf-new").click();
    const form = page.getByTestId("cf-form");
    await form.waitFor({ timeout: TIMEOUT });
    // The key is checked as it is typed.
    await page.getByTestId("cf-field-key").fill("Store");
    const keyError = page.getByTestId("cf-field-error-key");
    await keyError.waitFor({ timeout: TIMEOUT });
    assert.match(await keyError.textContent(), /须以 a–z 开头/);
    await page.getByTestId("cf-field-key").fill("store_area");
    await keyError.waitFor({ state: "detached", timeout: TIMEOUT });
    await page.getByTestId("cf-field-label_zh").fill("门店面积");
    await page.getByTestId("cf-field-label_en").fill("Store area");
    await chooseOption(page, "cf-field-type", "number");
    await page.getByTestId("cf-field-required").check();
    await page.getByTestId("cf-field-in_list").check();
    await page.getByTestId("cf-field-in_filter").check();
    await page.getByTestId("cf-dialog-ok").click();
    await form.waitFor({ state: "detached", timeout: TIMEOUT });
    // The definition is a record like any other: it reaches the server (which keeps it).
    await synced(device);
    assert.deepEqual(
      serverHolds({ op: "custom_fields", kind: "customer" }).fields.map((d) => d.key),
      ["store_area"],
      `the server took the definition (refused on the device: ${JSON.stringify((await dispatch(device, { op: "rejected" })).items.map((r) => r.reason))})`,
    );
    await cfRow(page, "store_area").waitFor({ timeout: TIMEOUT });
    assert.match(await cfRow(page, "store_area").textContent(), /门店面积.*Store area.*store_area.*数字.*必填.*列表列.*筛选.*启用/);

    // A choice without options is refused by the core, by the options box.
    await page.getByTestId("cf-new").click();
    await form.waitFor({ timeout: TIMEOUT });
    await page.getByTestId("cf-field-key").fill("channel");
    await page.getByTestId("cf-field-label_zh").fill("渠道");
    await chooseOption(page, "cf-field-type", "choice");
    await page.getByTestId("cf-field-in_filter").check();
    await page.getByTestId("cf-dialog-ok").click();
    const optionsError = page.getByTestId("cf-field-error-options");
    await optionsError.waitFor({ timeout: TIMEOUT });
    assert.match(await optionsError.textContent(), /必填/);
    await page.getByTestId("cf-field-options").fill("线上\n线下\n\n加盟");
    await page.getByTestId("cf-dialog-ok").click();
    await form.waitFor({ state: "detached", timeout: TIMEOUT });
    await cfRow(page, "channel").waitFor({ timeout: TIMEOUT });
    assert.match(await cfRow(page, "channel").textContent(), /渠道.*channel.*选项.*线上、线下、加盟.*筛选/);
    await screenshot(page, "custom-fields-admin-laptop");
    await page.setViewportSize(SIZES.phone);
    await screenshot(page, "custom-fields-admin-phone");
    await page.setViewportSize(SIZES.laptop);

    // The choice moves up, before the area, for everyone's forms.
    const order = () => page.getByTestId("cf-def-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-key")));
    assert.deepEqual(await order(), ["store_area", "channel"]);
    await cfRow(page, "channel").getByTestId("cf-up").click();
    await eventually(order, (o) => o.join() === "channel,store_area", "the choice moved up");
    const defs = (await dispatch(device, { op: "custom_fields", kind: "customer" })).fields;
    assert.deepEqual(
      defs.map((d) => [d.key, d.type, d.required, d.in_list, d.in_filter, d.options.join("/")]),
      [
        ["channel", "choice", false, false, true, "线上/线下/加盟"],
        ["store_area", "number", true, true, true, ""],
      ],
    );
  });

  test("the salesperson is asked for both once synced; the required one refuses, then the customer saves, shows in the list and filters it", async () => {
    const { page, device } = sales;
    await eventually(
      () => dispatch(device, { op: "custom_fields", kind: "customer" }),
      (r) => r.fields.map((d) => d.key).join() === "channel,store_area",
      "the definitions reached the salesperson",
    );
    await page.goto(`${device.url}#/new/customer`);
    await formField(page, "store_area").waitFor({ timeout: TIMEOUT });
    const keys = await page.getByTestId("custom-field").evaluateAll((els) => els.map((e) => e.getAttribute("data-key")));
    assert.deepEqual(keys, ["channel", "store_area"], "after the built-in fields, in the admin's order");
    assert.match(await formField(page, "store_area").locator("label").textContent(), /门店面积 \*/);
    assert.doesNotMatch(await formField(page, "channel").locator("label").textContent(), /\*/);

    await page.getByTestId("field-name").fill(SHOP);
    await page.getByTestId("save").click();
    const refused = page.getByTestId("cf-error-store_area");
    await refused.waitFor({ timeout: TIMEOUT });
    assert.equal(await refused.textContent(), "必填");
    assert.equal((await dispatch(device, byName(SHOP))).total, 0, "nothing was saved");
    await screenshot(page, "custom-fields-required-laptop");

    // A decimal is kept as typed and stored as the core normalises it; a choice from its options.
    await page.getByTestId("cf-store_area").fill("0120.50");
    await refused.waitFor({ state: "detached", timeout: TIMEOUT });
    await chooseOption(page, "cf-channel", "线下");
    await page.setViewportSize(SIZES.phone);
    await screenshot(page, "custom-fields-form-phone");
    await page.setViewportSize(SIZES.laptop);
    await page.getByTestId("save").click();
    await page.getByTestId("customer-detail").waitFor({ timeout: TIMEOUT });
    shopId = new URL(page.url()).hash.split("/").pop();
    assert.deepEqual((await dispatch(device, { op: "get", id: shopId })).fields.custom_fields, { store_area: "120.5", channel: "线下" });
    assert.equal(await page.getByTestId("cf-value-store_area").textContent(), "120.5");
    assert.equal(await page.getByTestId("cf-value-channel").textContent(), "线下");
    assert.match(await page.locator('[data-testid="cf-row"][data-key="store_area"] dt').textContent(), /门店面积/);
    await screenshot(page, "custom-fields-detail-laptop");

    const other = await dispatch(device, { op: "create", kind: "customer", fields: { name: OTHER, custom_fields: { store_area: "80", channel: "线上" } } });
    assert.equal(other.type, "record", JSON.stringify(other));

    // The list: the area as a column (the channel is not a list column), and the filters.
    await page.goto(`${device.url}#/customers`);
    const shopRow = page.locator(".vrow", { hasText: SHOP });
    await shopRow.waitFor({ timeout: TIMEOUT });
    assert.deepEqual(await shopRow.getByTestId("cf-cell").allTextContents(), ["门店面积：120.5"]);
    const all = (await dispatch(device, { op: "list", kind: "customer", limit: 1 })).total;
    assert.ok(all > 2);
    await chooseOption(page, "filter-cf-channel", "线下");
    await eventually(() => rowNames(page), (n) => n.join() === SHOP, "only the shop is 线下");
    assert.match(await page.getByTestId("customer-count").textContent(), /共 1 个客户/);
    await chooseOption(page, "filter-cf-channel", "线上");
    await eventually(() => rowNames(page), (n) => n.join() === OTHER, "only the other one is 线上");
    assert.match(page.url(), /cf\.channel=/, "the filter is in the address");
    // The number filter by its text, together with the choice: nothing is both.
    await page.getByTestId("filter-cf-store_area").fill("120.5");
    await eventually(() => page.getByTestId("customer-count").textContent(), (t) => /共 0 个客户/.test(t), "no 线上 store of 120.5");
    // The core reads the number as its type says: 0120.50 is the 120.5 stored.
    await chooseOption(page, "filter-cf-channel", "线下");
    await page.getByTestId("filter-cf-store_area").fill("0120.50");
    await eventually(() => rowNames(page), (n) => n.join() === SHOP, "0120.50 finds the shop's 120.5");
    await page.getByText("清除筛选").click();
    // `all` was counted with both new customers in it.
    await eventually(() => page.getByTestId("customer-count").textContent(), (t) => t.includes(`共 ${all} 个客户`), "every customer again");
    await screenshot(page, "custom-fields-list-laptop");
    await synced(device);
  });

  test("retired on the admin's device, the field leaves her form while the record keeps its value", async () => {
    await admin.page.goto(`${admin.device.url}#/admin/custom_fields`);
    const row = cfRow(admin.page, "store_area");
    await row.waitFor({ timeout: TIMEOUT });
    await row.getByTestId("cf-toggle").click();
    await row.getByTestId("cf-retired").waitFor({ timeout: TIMEOUT });

    const { page, device } = sales;
    await eventually(
      () => dispatch(device, { op: "custom_fields", kind: "customer" }),
      (r) => r.fields.find((d) => d.key === "store_area")?.active === false,
      "the retirement reached the salesperson",
    );
    await page.goto(`${device.url}#/new/customer`);
    await formField(page, "channel").waitFor({ timeout: TIMEOUT });
    assert.equal(await formField(page, "store_area").count(), 0, "a new customer is not asked for it");

    await page.goto(`${device.url}#/customers/${shopId}`);
    await page.getByTestId("customer-detail").waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId("cf-value-store_area").textContent(), "120.5");

    // Editing shows it read only and keeps it while the channel changes.
    await page.goto(`${device.url}#/edit/customer/${shopId}`);
    await formField(page, "store_area").waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId("cf-store_area").isDisabled(), true);
    assert.equal(await page.getByTestId("cf-store_area").inputValue(), "120.5");
    await chooseOption(page, "cf-channel", "加盟");
    await page.getByTestId("save").click();
    await page.getByTestId("customer-detail").waitFor({ timeout: TIMEOUT });
    await eventually(() => dispatch(device, { op: "get", id: shopId }), (r) => r.fields.custom_fields?.channel === "加盟", "the channel changed");
    assert.deepEqual((await dispatch(device, { op: "get", id: shopId })).fields.custom_fields, { store_area: "120.5", channel: "加盟" });
    await synced(device);
  });

  test("the admin defines a required text field on leads and a brand choice on products", async () => {
    const { page, device } = admin;
    await page.goto(`${device.url}#/admin/custom_fields`);
    await page.getByTestId("cf-kind").waitFor({ timeout: TIMEOUT });
    const form = page.getByTestId("cf-form");

    await chooseOption(page, "cf-kind", "lead");
    await page.getByText("线索还没有自定义字段。").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("cf-new").click();
    await form.waitFor({ timeout: TIMEOUT });
    await page.getByTestId("cf-field-key").fill("industry");
    await page.getByTestId("cf-field-label_zh").fill("所属行业");
    await page.getByTestId("cf-field-label_en").fill("Industry");
    await page.getByTestId("cf-field-required").check();
    await page.getByTestId("cf-field-in_list").check();
    await page.getByTestId("cf-field-in_filter").check();
    await page.getByTestId("cf-dialog-ok").click();
    await form.waitFor({ state: "detached", timeout: TIMEOUT });
    await cfRow(page, "industry").waitFor({ timeout: TIMEOUT });
    assert.match(await cfRow(page, "industry").textContent(), /所属行业.*Industry.*industry.*文本.*必填.*列表列.*筛选/);

    await chooseOption(page, "cf-kind", "product");
    await page.getByText("产品还没有自定义字段。").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("cf-new").click();
    await form.waitFor({ timeout: TIMEOUT });
    await page.getByTestId("cf-field-key").fill("brand");
    await page.getByTestId("cf-field-label_zh").fill("品牌");
    await page.getByTestId("cf-field-label_en").fill("Brand");
    await chooseOption(page, "cf-field-type", "choice");
    await page.getByTestId("cf-field-options").fill("西门子\n博世\nABB");
    await page.getByTestId("cf-field-in_filter").check();
    await page.getByTestId("cf-dialog-ok").click();
    await form.waitFor({ state: "detached", timeout: TIMEOUT });
    await cfRow(page, "brand").waitFor({ timeout: TIMEOUT });
    assert.match(await cfRow(page, "brand").textContent(), /品牌.*Brand.*brand.*选项.*西门子、博世、ABB.*筛选/);
    // Each kind keeps its own: the customer's are where they were.
    await chooseOption(page, "cf-kind", "customer");
    await cfRow(page, "channel").waitFor({ timeout: TIMEOUT });
    assert.equal(await cfRow(page, "brand").count(), 0);

    await synced(device);
    assert.deepEqual(serverHolds({ op: "custom_fields", kind: "lead" }).fields.map((d) => [d.key, d.type, d.required]), [["industry", "text", true]]);
    assert.deepEqual(serverHolds({ op: "custom_fields", kind: "product" }).fields.map((d) => [d.key, d.type, d.options.join("/")]), [["brand", "choice", "西门子/博世/ABB"]]);
  });

  test("a lead without the required field is refused by its name; with it the value shows on its page and the leads list filters by it", async () => {
    const { page, device } = sales;
    await eventually(
      () => dispatch(device, { op: "custom_fields", kind: "lead" }),
      (r) => r.fields.map((d) => d.key).join() === "industry",
      "the lead's definition reached the salesperson",
    );
    await page.goto(`${device.url}#/new/lead`);
    await formField(page, "industry").waitFor({ timeout: TIMEOUT });
    assert.match(await formField(page, "industry").locator("label").textContent(), /所属行业 \*/);

    await page.getByTestId("field-name").fill(LEAD);
    await page.getByTestId("field-company").fill("星河精密机械研究所");
    await page.getByTestId("save").click();
    const refused = formField(page, "industry").getByTestId("cf-error-industry");
    await refused.waitFor({ timeout: TIMEOUT });
    assert.equal(await refused.textContent(), "必填");
    assert.match(await page.getByTestId("form-lead").getByRole("alert").last().textContent(), /请修正标出的字段/);
    assert.equal((await dispatch(device, { op: "list", kind: "lead", filter: { name: LEAD } })).total, 0, "nothing was saved");
    for (const [name, size] of Object.entries(SIZES)) {
      await page.setViewportSize(size);
      await checkLayout(page, `custom-fields-lead-form-${name}`);
    }
    await page.setViewportSize(SIZES.laptop);

    await page.getByTestId("cf-industry").fill("制造业");
    await refused.waitFor({ state: "detached", timeout: TIMEOUT });
    await page.getByTestId("save").click();
    await page.getByTestId("lead-detail").waitFor({ timeout: TIMEOUT });
    const leadId = page.url().split("/leads/")[1];
    assert.deepEqual((await dispatch(device, { op: "get", id: leadId })).fields.custom_fields, { industry: "制造业" });
    assert.equal(await page.getByTestId("cf-value-industry").textContent(), "制造业");
    assert.match(await page.locator('[data-testid="cf-row"][data-key="industry"] dt').textContent(), /所属行业/);
    await screenshot(page, "custom-fields-lead-detail-laptop");

    const other = await dispatch(device, { op: "create", kind: "lead", fields: { name: OTHER_LEAD, custom_fields: { industry: "零售业" } } });
    assert.equal(other.type, "record", JSON.stringify(other));

    // The list: the industry on each row, and its filter in the address.
    await page.goto(`${device.url}#/leads`);
    const row = page.locator(`[data-testid="lead-row"][data-id="${leadId}"]`);
    await row.waitFor({ timeout: TIMEOUT });
    assert.deepEqual(await row.getByTestId("cf-cell").allTextContents(), ["所属行业：制造业"]);
    await eventually(() => leadNames(page), (n) => n.includes(LEAD) && n.includes(OTHER_LEAD), "both leads listed");
    await page.getByTestId("filter-cf-industry").fill("制造业");
    await eventually(() => leadNames(page), (n) => n.join() === LEAD, "only the 制造业 lead");
    assert.match(await page.getByTestId("lead-count").textContent(), /^1 条线索/);
    assert.match(page.url(), /cf\.industry=/, "the filter is in the address");
    for (const [name, size] of Object.entries(SIZES)) {
      await page.setViewportSize(size);
      await checkLayout(page, `custom-fields-leads-${name}`);
    }
    await page.setViewportSize(SIZES.laptop);
    await page.getByTestId("filter-cf-industry").fill("零售业");
    await eventually(() => leadNames(page), (n) => n.join() === OTHER_LEAD, "only the 零售业 lead");
    // Going back to the list keeps what is chosen.
    await page.reload();
    await eventually(() => leadNames(page), (n) => n.join() === OTHER_LEAD, "the filter kept by the address");
    assert.equal(await page.getByTestId("filter-cf-industry").inputValue(), "零售业");
    await synced(device);
  });

  test("a product gets a brand in the dialog and shows it on its row, for the salesperson too; the catalogue filters by it", async () => {
    const { page, device } = admin;
    await eventually(() => dispatch(device, { op: "custom_fields", kind: "product" }), (r) => r.fields.length === 1, "the product's definition");
    await page.goto(`${device.url}#/products`);
    await page.getByTestId("new-product").click();
    const form = page.getByTestId("product-form");
    await form.waitFor({ timeout: TIMEOUT });
    await formField(page, "brand").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("product-code").fill("P-CF-1");
    await page.getByTestId("product-name").fill("变频器");
    await page.getByTestId("product-list_price").fill("1200");
    await chooseOption(page, "cf-brand", "西门子");
    for (const [name, size] of Object.entries(SIZES)) {
      await page.setViewportSize(size);
      await checkLayout(page, `custom-fields-product-dialog-${name}`);
    }
    await page.setViewportSize(SIZES.laptop);
    await page.getByTestId("product-save").click();
    await form.waitFor({ state: "detached", timeout: TIMEOUT });
    const row = page.locator('[data-testid="product-row"][data-code="P-CF-1"]');
    await row.waitFor({ timeout: TIMEOUT });
    assert.deepEqual(await row.getByTestId("cf-cell").allTextContents(), ["品牌：西门子"]);
    const id = await row.getAttribute("data-id");
    assert.deepEqual((await dispatch(device, { op: "get", id })).fields.custom_fields, { brand: "西门子" });

    // Changed in the dialog: the brand alone is written.
    await row.getByTestId("edit-product").click();
    await form.waitFor({ timeout: TIMEOUT });
    assert.match(await formField(page, "brand").textContent(), /西门子/);
    await chooseOption(page, "cf-brand", "ABB");
    await page.getByTestId("product-save").click();
    await form.waitFor({ state: "detached", timeout: TIMEOUT });
    await eventually(() => row.getByTestId("cf-cell").allTextContents(), (c) => c.join() === "品牌：ABB", "the new brand on the row");
    const saved = (await dispatch(device, { op: "get", id })).fields;
    assert.deepEqual([saved.custom_fields, saved.name, saved.list_price?.minor], [{ brand: "ABB" }, "变频器", 120000]);

    const other = await dispatch(device, { op: "create", kind: "product", fields: { code: "P-CF-2", name: "伺服电机", list_price: { minor: 250000, currency: "CNY" }, custom_fields: { brand: "博世" } } });
    assert.equal(other.type, "record", JSON.stringify(other));
    await chooseOption(page, "filter-cf-brand", "ABB");
    await eventually(() => productCodes(page), (c) => c.join() === "P-CF-1", "only the ABB product");
    await chooseOption(page, "filter-cf-brand", "博世");
    await eventually(() => productCodes(page), (c) => c.join() === "P-CF-2", "only the 博世 product");
    for (const [name, size] of Object.entries(SIZES)) {
      await page.setViewportSize(size);
      await checkLayout(page, `custom-fields-products-${name}`);
    }
    await page.setViewportSize(SIZES.laptop);
    await synced(device);

    // A salesperson has no product page: the row shows the brand to her as well.
    await eventually(() => dispatch(sales.device, { op: "get", id }), (r) => r.fields?.custom_fields?.brand === "ABB", "the product reached the salesperson");
    await sales.page.goto(`${sales.device.url}#/products`);
    const hers = sales.page.locator('[data-testid="product-row"][data-code="P-CF-1"]');
    await hers.waitFor({ timeout: TIMEOUT });
    assert.deepEqual(await hers.getByTestId("cf-cell").allTextContents(), ["品牌：ABB"]);
  });

  test("the company's words are saved and shown again after a reload; an unknown time zone is refused by its box", async () => {
    const { page, device } = admin;
    await page.goto(`${device.url}#/admin/settings`);
    await page.getByTestId("company-card").waitFor({ timeout: TIMEOUT });
    const box = (key) => page.getByTestId(`setting-company.${key}`);
    const input = (key) => (["timezone", "currency"].includes(key) ? box(key).locator("input") : box(key));
    const words = {
      name: "杭州宏达科技有限公司",
      tax_id: "91330100MA2B3C4D5E",
      invoice_address: "杭州市西湖区文三路 100 号 0571-88886666",
      bank_account: "招商银行杭州分行 5719 0000 1234",
    };
    for (const [key, text] of Object.entries(words)) await input(key).fill(text);
    await input("timezone").fill("Mars/Olympus");
    await input("currency").fill("usd");
    assert.equal(await input("currency").inputValue(), "USD", "a currency code in capitals");
    await page.getByTestId("company-card").locator(".ant-card-head").click();
    await page.getByTestId("company-save").click();
    const zoneError = page.locator('.form-field:has([data-testid="setting-company.timezone"]) [role="alert"]');
    await zoneError.waitFor({ timeout: TIMEOUT });
    assert.match(await zoneError.textContent(), /不是有效的时区（例如 Asia\/Shanghai）/);
    assert.equal(await page.locator('.form-field:has([data-testid="setting-company.name"]) [role="alert"]').count(), 0);

    await input("timezone").fill("Europe/Berlin");
    await page.getByTestId("company-card").locator(".ant-card-head").click();
    await page.getByTestId("company-save").click();
    await zoneError.waitFor({ state: "detached", timeout: TIMEOUT });
    await screenshot(page, "company-settings-laptop");

    const texts = async () =>
      Object.fromEntries((await dispatch(device, { op: "list", kind: "setting", limit: 50 })).items.map((r) => [r.fields.key, r.fields.text ?? r.fields.value]));
    const held = await eventually(texts, (t) => t["company.timezone"] === "Europe/Berlin", "the time zone saved");
    assert.deepEqual(
      [held["company.name"], held["company.currency"], held["company.tax_id"], held["company.invoice_address"], held["company.bank_account"]],
      [words.name, "USD", words.tax_id, words.invoice_address, words.bank_account],
    );

    await page.reload();
    await page.getByTestId("company-card").waitFor({ timeout: TIMEOUT });
    await eventually(() => input("name").inputValue(), (v) => v === words.name, "the name shown again");
    assert.equal(await input("timezone").inputValue(), "Europe/Berlin");
    assert.equal(await input("currency").inputValue(), "USD");
    assert.equal(await input("bank_account").inputValue(), words.bank_account);
    await page.setViewportSize(SIZES.phone);
    await screenshot(page, "company-settings-phone");
    await page.setViewportSize(SIZES.laptop);
    await synced(device);
  });

  test("an employee profile is edited in the Users tab and shown there; it reaches the person's device", async () => {
    const { page, device } = admin;
    const me = (await dispatch(sales.device, { op: "whoami" })).user_id;
    await page.goto(`${device.url}#/admin/users`);
    const row = page.locator('[data-testid="user-row"][data-username="wangfang"]');
    await row.waitFor({ timeout: TIMEOUT });
    await row.getByTestId("user-profile").click();
    const form = page.getByTestId("user-profile-form");
    await page.getByTestId("field-employee_no").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("field-employee_no").fill("E-0042");
    await page.getByTestId("field-department").fill("华东销售部");
    await page.getByTestId("field-position").fill("高级客户经理");
    await page.getByTestId("field-phones").fill("139 0000 1111");
    await page.getByTestId("field-email").fill("not-an-email");
    await page.getByTestId("field-hire_date").click();
    await page.locator(".ant-picker-dropdown:not(.ant-picker-dropdown-hidden) .ant-picker-now-btn, .ant-picker-dropdown:not(.ant-picker-dropdown-hidden) .ant-picker-today-btn").first().click();
    await page.getByTestId("user-dialog-ok").click();
    const emailError = form.getByTestId("error-email");
    await emailError.waitFor({ timeout: TIMEOUT });
    assert.match(await emailError.textContent(), /邮箱地址无效/);
    await page.getByTestId("field-email").fill("wangfang@example.com");
    await page.getByTestId("user-dialog-ok").click();
    await form.waitFor({ state: "detached", timeout: TIMEOUT });
    await eventually(() => row.getByTestId("user-department").textContent(), (t) => t === "华东销售部", "the department in the table");
    assert.equal(await row.getByTestId("user-position").textContent(), "高级客户经理");
    await screenshot(page, "users-profile-laptop");

    const today = new Date();
    const pad = (n) => String(n).padStart(2, "0");
    const expected = {
      employee_no: "E-0042",
      department: "华东销售部",
      position: "高级客户经理",
      phones: ["139 0000 1111"],
      email: "wangfang@example.com",
      hire_date: `${today.getFullYear()}-${pad(today.getMonth() + 1)}-${pad(today.getDate())}`,
    };
    const pick = (r) => Object.fromEntries(Object.keys(expected).map((k) => [k, r.fields?.[k]]));
    assert.deepEqual(pick(await dispatch(device, { op: "get", id: me })), expected);
    // An ordinary edit of her user record: it syncs to her own device.
    await eventually(() => dispatch(sales.device, { op: "get", id: me }), (r) => r.fields?.department === "华东销售部", "the profile reached her device");

    // Shown again when the dialog is opened anew.
    await row.getByTestId("user-profile").click();
    await page.getByTestId("field-employee_no").waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId("field-employee_no").inputValue(), "E-0042");
    await page.locator(".ant-modal-footer button", { hasText: "取消" }).click();
    await form.waitFor({ state: "detached", timeout: TIMEOUT });
    await page.setViewportSize(SIZES.phone);
    assert.match(await row.getByTestId("user-work").textContent(), /华东销售部 · 高级客户经理/);
    await screenshot(page, "users-profile-phone");
    await page.setViewportSize(SIZES.laptop);
  });

  test("a backup restored from the Backups tab: what came after it is gone from the server until its device sends it again", async () => {
    const { page, device } = admin;
    await synced(device);
    await page.goto(`${device.url}#/admin/backups`);
    await page.getByTestId("backup-restore-note").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("backup-make").click();
    const rows = page.getByTestId("backup-row");
    await eventually(() => rows.count(), (n) => n === 1, "the backup is listed");
    const name = await rows.first().getAttribute("data-name");

    // After the backup the salesperson makes a customer; the server has it.
    const late = await dispatch(sales.device, { op: "create", kind: "customer", fields: { name: LATE } });
    assert.equal(late.type, "record", JSON.stringify(late));
    await synced(sales.device);
    assert.equal(serverHolds(byName(LATE)).total, 1, "the server has the customer made after the backup");
    // Her device is cut off before the restore, so it cannot send it again at once.
    await relay.cut();

    // A confirmation that is not the name is refused by the server too.
    const mismatch = await dispatch(device, { op: "server", method: "POST", path: `/api/admin/backups/${encodeURIComponent(name)}/restore`, body: { confirm: "x" } });
    assert.deepEqual([mismatch.status, mismatch.body?.code], [400, "confirm_mismatch"]);

    await rows.first().getByTestId("backup-restore").click();
    const warning = page.getByTestId("backup-restore-warning");
    await warning.waitFor({ timeout: TIMEOUT });
    assert.match(await warning.textContent(), /服务器上的全部数据将被替换/);
    assert.match(await warning.textContent(), /此后服务器收到的所有修改（所有人的）都会从服务器上消失/);
    assert.match(await warning.textContent(), /重新发送各自做过的修改/);
    assert.match(await warning.textContent(), /先把当前数据另存为一个备份/);
    const ok = page.getByTestId("backup-restore-ok");
    assert.equal(await ok.isDisabled(), true, "not before the name is typed");
    await page.getByTestId("backup-restore-confirm").fill(`${name}x`);
    assert.equal(await ok.isDisabled(), true, "nor with another name");
    await page.getByTestId("backup-restore-confirm").fill(name);
    await screenshot(page, "backup-restore-confirm-laptop");
    await ok.click();

    const done = page.getByTestId("backup-restored");
    await done.waitFor({ timeout: TIMEOUT });
    const text = await done.textContent();
    assert.ok(text.includes(`已从备份 ${name} 恢复服务器`), text);
    const kept = /备份 (before-restore-\d{8}-\d{6}-\d{3}\.sqlite3)/.exec(text)?.[1];
    assert.ok(kept, `the kept backup is named: ${text}`);
    await eventually(() => rows.evaluateAll((r) => r.map((x) => x.getAttribute("data-name"))), (n) => n.includes(kept) && n.includes(name), "the kept backup is listed");
    await screenshot(page, "backup-restored-laptop");

    // The server's point of view: a device signed in now does not get the customer.
    assert.equal(serverHolds(byName(LATE)).total, 0, "the customer made after the backup is gone from the server");
    // What came before the backup is still there: the company's name.
    const company = serverHolds({ op: "list", kind: "setting", filter: { key: "company.name" } }).items[0]?.fields.text;
    assert.equal(company, "杭州宏达科技有限公司");

    // The audit log lists the restore, by the admin.
    await page.goto(`${device.url}#/admin/audit`);
    await page.getByTestId("audit-row").first().waitFor({ timeout: TIMEOUT });
    await chooseOption(page, "audit-action", "restore");
    const restore = page.locator('[data-testid="audit-row"][data-action="restore"]');
    await eventually(() => restore.count(), (n) => n === 1, "one restore in the log");
    assert.match(await restore.textContent(), new RegExp(`陈静 \\(chenjing\\).*${name.replace(/\./g, "\\.")}`));

    // Her device comes back, sends its own edits again, and the customer is on the server again.
    await relay.restore();
    await eventually(() => serverHolds(byName(LATE)).total, (n) => n === 1, "the customer sent again by the device that made it", 60_000);
  });
});
