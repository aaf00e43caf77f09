// A spreadsheet with mistakes, imported in the browser and reverted: the salesperson uploads a
// CSV whose customer-name column the app cannot guess (往来单位) and whose rows carry an
// unknown grade, a missing name, a bad phone and a repeated customer; the preview shows the
// guessed columns and every row's problem by its header; she maps the column by hand and the
// counts change; the import runs to 100 %, the customers and their contacts appear in her list
// and on the server (a `crm` store of the supervisor's own), she downloads the refused rows
// with their reasons, and reverts: the customers leave her list and the server. A second
// window left on her customer list follows both without being touched.
// Then, on a device used locally: a GBK-encoded CSV is read as Chinese, an Excel workbook's
// refused rows come back as a workbook, and a large file shows its progress as it goes. A viewer
// is offered no import at all.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  SIZES,
  TIMEOUT,
  chooseOption,
  crm,
  dispatch,
  eventually,
  openPage,
  screenshot,
  serverView,
  signedInDevice,
  startDevice,
  startStory,
} from "./harness.mjs";
import { xlsx, zipTexts } from "./sheets.mjs";

let server;
let browser;

startStory({ customers: 10 }, (started) => ({ server, browser } = started));

function session(user) {
  return signedInDevice(browser, server.url, user, `import-${user}`);
}

/// What the server holds: a `crm` store of the supervisor's own, signed in and synced now.
function serverSearch(query) {
  const call = serverView(server.url);
  return { hits: call({ op: "search", query, limit: 50 }).hits, get: (id) => call({ op: "get", id }) };
}

// A customer list as salespeople keep it in Excel: the name under 往来单位 (not guessed), an
// office address under 办公地点 (not guessed), phones as a list, a contact per row.
const CSV = [
  "往来单位,手机,客户等级,办公地点,联系人,职务,备注",
  "导入测试甲公司,13911110001,A类,常州市新北区,张伟,采购经理,老客户",
  '导入测试乙公司,"13911110002、0519-88886666",B,苏州工业园区,李娜,,',
  "导入测试丙公司,13911110003,Z类,无锡,,,",
  ",13911110004,C,南京,,,",
  "导入测试丁公司,12,A,扬州,,,",
  "导入测试甲公司,13911110001,A,常州,,,",
].join("\r\n");

const count = (page, action) => page.getByTestId(`import-count-${action}`).getAttribute("data-count").then(Number);
const column = (page, header) => page.locator(`[data-testid="import-column"][data-header="${header}"]`);
const row = (page, line) => page.locator(`[data-testid="import-row"][data-line="${line}"]`);

/// Choose a column's target, and wait for its list to close (the next select opens its own).
async function pick(page, testId, value) {
  await chooseOption(page, testId, value);
  await page.locator(".ant-select-dropdown:not(.ant-select-dropdown-hidden)").waitFor({ state: "hidden" });
}

/// Wait until the preview shows these counts (it is asked again after every change).
async function countsAre(page, want) {
  await eventually(
    async () => {
      if ((await page.getByTestId("import-preview").getAttribute("data-checking")) !== "0") return null;
      const got = {};
      for (const a of Object.keys(want)) got[a] = await count(page, a);
      return got;
    },
    (got) => got && Object.entries(want).every(([a, n]) => got[a] === n),
    `counts ${JSON.stringify(want)}`,
  );
}

describe("a spreadsheet with mistakes: fix the mapping, import, revert", { timeout: 300_000 }, () => {
  let sales;
  let batchId;
  // A second window on the same device, left on the customer list searching for the file's
  // customers: it must follow the import and the revert without being touched.
  let watcher;

  before(async () => {
    sales = await session("wangfang");
    watcher = await openPage(browser, sales.device);
    await watcher.getByTestId("nav-customers").click();
    await watcher.getByTestId("customer-search").fill("导入测试");
    await watcher.getByTestId("search-results").getByText("没有与“导入测试”匹配的客户或联系人。").waitFor({ timeout: TIMEOUT });
  });

  test("the preview shows the guessed columns and every row's problem by its header", async () => {
    const { page } = sales;
    await page.getByTestId("nav-import").click();
    await page.getByTestId("import-new").waitFor({ timeout: TIMEOUT });
    await page
      .getByTestId("import-file")
      .locator('input[type="file"]')
      .setInputFiles({ name: "客户名单.csv", mimeType: "text/csv", buffer: Buffer.from(CSV, "utf8") });
    await page.getByTestId("import-preview").waitFor({ timeout: TIMEOUT });

    // Guessed from the headers; the name and office columns are not.
    assert.equal(await column(page, "手机").getAttribute("data-target"), "phones");
    assert.equal(await column(page, "客户等级").getAttribute("data-target"), "grade");
    assert.equal(await column(page, "联系人").getAttribute("data-target"), "contacts.1.name");
    assert.equal(await column(page, "职务").getAttribute("data-target"), "contacts.1.title");
    assert.equal(await column(page, "往来单位").getAttribute("data-target"), "");
    assert.equal(await column(page, "办公地点").getAttribute("data-target"), "");
    assert.match(await column(page, "往来单位").textContent(), /导入测试甲公司/, "the column shows its first values");
    assert.match(await page.getByTestId("import-preview").textContent(), /6 行 · CSV（UTF-8）/);

    // Without a name column every row is refused, and nothing can be imported.
    await countsAre(page, { reject: 5, create: 0, skip: 1 });
    assert.equal(await page.getByTestId("import-run").isDisabled(), true);
    assert.match(await row(page, 4).textContent(), /客户等级“Z类”：不在可选列表中/);
    assert.match(await row(page, 2).textContent(), /名称：必填/);
    await screenshot(page, "import-guessed-laptop");
  });

  test("mapping the name and office columns by hand changes the counts and the reasons", async () => {
    const { page } = sales;
    await pick(page, "import-target-0", "name");
    await countsAre(page, { reject: 3, create: 2, skip: 1, update: 0 });
    await pick(page, "import-target-3", "address");
    await countsAre(page, { reject: 3, create: 2, skip: 1 });
    assert.equal(await column(page, "往来单位").getAttribute("data-target"), "name");
    assert.equal(await column(page, "办公地点").getAttribute("data-target"), "address");
    assert.equal(await page.getByTestId("import-count-contacts").getAttribute("data-count"), "2");

    // Every refused row says why, named by the spreadsheet's own header.
    assert.match(await row(page, 4).textContent(), /导入测试丙公司/);
    assert.match(await row(page, 4).textContent(), /客户等级“Z类”：不在可选列表中/);
    assert.match(await row(page, 5).textContent(), /往来单位：必填/);
    assert.match(await row(page, 6).textContent(), /手机“12”：电话号码无效（3 到 20 位数字）/);
    await page.getByTestId("import-rows").scrollIntoViewIfNeeded();
    await screenshot(page, "import-preview-laptop");
    await page.setViewportSize(SIZES.phone);
    await page.getByTestId("import-rows").scrollIntoViewIfNeeded();
    await screenshot(page, "import-preview-phone");
    await page.setViewportSize(SIZES.laptop);

    // The repeated customer is skipped as the same as the row before it.
    await page.getByTestId("import-count-skip").click();
    assert.match(await row(page, 7).textContent(), /与本文件第 2 行相同/);
    await page.getByTestId("import-count-create").click();
    assert.deepEqual(await page.locator('[data-testid="import-row"]').evaluateAll((els) => els.map((e) => e.dataset.line)), ["2", "3"]);
  });

  test("the import runs to 100 %, and the customers reach the list and the server", async () => {
    const { page, device } = sales;
    await page.getByTestId("import-run").click();
    const result = page.getByTestId("import-result");
    await result.waitFor({ timeout: TIMEOUT });
    const progress = result.getByTestId("import-progress");
    assert.equal(await progress.getAttribute("data-done"), "6");
    assert.equal(await progress.getAttribute("data-total"), "6");
    assert.match(await progress.textContent(), /100%/);
    assert.match(await page.getByTestId("import-summary").textContent(), /新建 2 条，更新 0 条，跳过 1 条，3 行有问题未导入/);
    batchId = await result.getAttribute("data-batch");
    await screenshot(page, "import-done-laptop");
    await page.setViewportSize(SIZES.phone);
    await screenshot(page, "import-done-phone");
    await page.setViewportSize(SIZES.laptop);

    // The refused rows, downloaded as the file came (a CSV), with the reason column.
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("import-download-rejected").click()]);
    assert.match(download.suggestedFilename(), /^rejected-.*\.csv$/);
    const text = readFileSync(await download.path(), "utf8").replace(/^\uFEFF/, "");
    const lines = text.trim().split(/\r?\n/);
    assert.match(lines[0], /^往来单位,手机,客户等级,办公地点,联系人,职务,备注,原因 \/ reason$/);
    assert.equal(lines.length, 4, text);
    assert.match(text, /导入测试丙公司.*Z类.*客户等级: 不在可选列表中 \(Z类\)/);
    assert.match(text, /导入测试丁公司,12,.*手机/);

    // The window left open shows them (views update after an import), and so does her list.
    await watcher.getByTestId("search-results").getByText("导入测试甲公司").waitFor({ timeout: TIMEOUT });
    await watcher.getByTestId("search-results").getByText("导入测试乙公司").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("import-to-customers").click();
    await page.getByTestId("customer-search").fill("导入测试");
    const results = page.getByTestId("search-results");
    await results.getByText("导入测试甲公司").waitFor({ timeout: TIMEOUT });
    await results.getByText("导入测试乙公司").waitFor({ timeout: TIMEOUT });
    assert.equal(await results.getByText("导入测试丙公司").count(), 0);

    // They are hers and reached the server, with the address mapped by hand and the contacts.
    const me = (await dispatch(device, { op: "whoami" })).user_id;
    const held = await eventually(
      () => serverSearch("导入测试"),
      (s) => s.hits.filter((h) => h.kind === "customer").length === 2,
      "the imported customers reached the server",
    );
    const jia = held.get(held.hits.find((h) => h.title === "导入测试甲公司").id);
    assert.equal(jia.fields.address, "常州市新北区");
    assert.equal(jia.fields.grade, "A");
    assert.equal(jia.fields.owner, me);
    const yi = held.get(held.hits.find((h) => h.title === "导入测试乙公司").id);
    assert.deepEqual(yi.fields.phones, ["13911110002", "0519-88886666"]);
    const contacts = serverSearch("张伟").hits.filter((h) => h.kind === "contact");
    assert.equal(contacts.length, 1);
    assert.equal(contacts[0].customer_id, jia.id);
  });

  test("the history lists the import; reverting it takes the customers out of the list and off the server", async () => {
    const { page, device } = sales;
    await page.getByTestId("nav-import").click();
    await page.getByTestId("import-tab-history").click();
    const batch = page.locator(`[data-testid="import-batch"][data-id="${batchId}"]`);
    await batch.waitFor({ timeout: TIMEOUT });
    assert.equal(await batch.getAttribute("data-reverted"), "0");
    assert.match(await batch.textContent(), /客户名单\.csv/);
    assert.match(await batch.textContent(), /新建 2.*跳过 1.*有问题 3/);
    await screenshot(page, "import-history-laptop");

    await batch.getByTestId("import-revert").click();
    const confirm = page.getByTestId("import-revert-confirm");
    await confirm.waitFor({ timeout: TIMEOUT });
    assert.match(await confirm.textContent(), /新建的 2 条记录（客户）将被删除/);
    assert.match(await page.locator(".ant-modal-confirm-title").textContent(), /撤销“客户名单\.csv”的导入/);
    await page.waitForTimeout(400); // the dialog's opening animation
    await screenshot(page, "import-revert-confirm-laptop");
    await page.getByTestId("import-revert-ok").click();
    await page.locator(`[data-testid="import-batch"][data-id="${batchId}"][data-reverted="1"]`).waitFor({ timeout: TIMEOUT });
    assert.equal(await batch.getByTestId("import-revert").count(), 0, "a reverted import offers no second revert");
    await batch.getByTestId("import-download-rejected").waitFor();
    const listed = (await dispatch(device, { op: "imports" })).items.find((b) => b.id === batchId);
    assert.ok(listed.reverted_at);
    await page.setViewportSize(SIZES.phone);
    await screenshot(page, "import-history-phone");
    await page.setViewportSize(SIZES.laptop);

    await watcher.getByTestId("search-results").getByText("没有与“导入测试”匹配的客户或联系人。").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("nav-customers").click();
    await page.getByTestId("customer-search").fill("导入测试");
    await page.getByTestId("search-results").getByText("没有与“导入测试”匹配的客户或联系人。").waitFor({ timeout: TIMEOUT });
    await eventually(
      () => serverSearch("导入测试"),
      (s) => s.hits.length === 0,
      "the revert reached the server",
    );
    assert.equal(serverSearch("张伟").hits.length, 0, "the imported contacts went with their customers");
  });
});

describe("on a device used locally", { timeout: 240_000 }, () => {
  let page;

  before(async () => {
    const device = await startDevice("import-local");
    page = await openPage(browser, device);
    await page.getByTestId("use-locally").click();
    await page.getByTestId("sync-indicator").waitFor({ timeout: TIMEOUT });
    await page.goto(`${device.url}#/import`);
    await page.getByTestId("import-new").waitFor({ timeout: TIMEOUT });
  });

  test("a CSV saved by Chinese Excel (GBK) is read as Chinese", async () => {
    // 客户名称,电话 / 华东一厂,13800000001 in GBK.
    const gbk = Buffer.from("bfcdbba7c3fbb3c62cb5e7bbb00d0abbaab6abd2bbb3a72c31333830303030303030310d0a", "hex");
    await page.getByTestId("import-file").locator('input[type="file"]').setInputFiles({ name: "gbk.csv", mimeType: "text/csv", buffer: gbk });
    await page.getByTestId("import-preview").waitFor({ timeout: TIMEOUT });
    assert.match(await page.getByTestId("import-preview").textContent(), /1 行 · CSV（GBK）/);
    assert.equal(await column(page, "客户名称").getAttribute("data-target"), "name");
    assert.match(await column(page, "客户名称").textContent(), /华东一厂/);
    await countsAre(page, { create: 1, reject: 0 });
  });

  test("a file that is not a spreadsheet is refused in words", async () => {
    await page
      .getByTestId("import-file")
      .locator('input[type="file"]')
      .setInputFiles({ name: "photo.csv", mimeType: "text/csv", buffer: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x81, 0xfe, 0xfe, 0x80, 0x80]) });
    const error = page.getByTestId("import-error");
    await error.waitFor({ timeout: TIMEOUT });
    assert.match(await error.textContent(), /无法把这个文件当作表格读取/);
    assert.equal(await page.getByTestId("import-preview").count(), 0);
  });

  test("an Excel workbook is read, and its refused rows come back as a workbook with the reasons", async () => {
    const book = xlsx([
      ["客户名称", "电话", "等级"],
      ["表格甲公司", "13700000001", "A"],
      ["表格乙公司", "1", "Z类"],
    ]);
    await page.getByTestId("import-file").locator('input[type="file"]').setInputFiles({ name: "客户.xlsx", mimeType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buffer: book });
    await page.getByTestId("import-preview").waitFor({ timeout: TIMEOUT });
    assert.match(await page.getByTestId("import-preview").textContent(), /2 行 · Excel 工作簿/);
    await countsAre(page, { create: 1, reject: 1 });
    assert.match(await row(page, 3).textContent(), /等级“Z类”：不在可选列表中/);
    assert.match(await row(page, 3).textContent(), /电话“1”：电话号码无效/);
    await page.getByTestId("import-run").click();
    await page.getByTestId("import-result").waitFor({ timeout: TIMEOUT });
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("import-download-rejected").click()]);
    assert.match(download.suggestedFilename(), /^rejected-.*\.xlsx$/);
    const parts = zipTexts(readFileSync(await download.path()));
    const strings = Object.values(parts).join("\n");
    assert.match(strings, /原因 \/ reason/);
    assert.match(strings, /表格乙公司/);
    assert.doesNotMatch(strings, /表格甲公司/, "only the refused row comes back");
    // The reasons in the app's words (its language's, passed with the download), not the codes.
    assert.match(strings, /等级: 不在可选列表中 \(Z类\)/);
    assert.match(strings, /电话: 电话号码无效/);
    assert.doesNotMatch(strings, /unknown_dictionary_value|invalid_phone/);
    await page.getByTestId("import-again").click();
  });

  test("a large file shows its progress as the rows are written", async () => {
    const rows = 5000;
    const lines = ["客户名称,电话,等级"];
    for (let i = 0; i < rows; i++) lines.push(`批量导入客户${String(i).padStart(5, "0")},139${String(i).padStart(8, "0")},B`);
    await page
      .getByTestId("import-file")
      .locator('input[type="file"]')
      .setInputFiles({ name: "large.csv", mimeType: "text/csv", buffer: Buffer.from(lines.join("\n"), "utf8") });
    await countsAre(page, { create: rows, reject: 0 });
    // Every value the bar shows while the import runs.
    await page.evaluate(() => {
      window.__progress = [];
      new MutationObserver(() => {
        const bar = document.querySelector('[data-testid="import-progress"]');
        const done = bar?.getAttribute("data-done");
        if (done && window.__progress.at(-1) !== done) window.__progress.push(done);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-done"] });
    });
    await page.getByTestId("import-run").click();
    await page.getByTestId("import-result").waitFor({ timeout: 60_000 });
    const seen = (await page.evaluate(() => window.__progress)).map(Number);
    assert.ok(
      seen.some((d) => d > 0 && d < rows),
      `the bar moved with the import_progress events before the end: ${seen.join(", ")}`,
    );
    assert.equal(seen.at(-1), rows);
    assert.ok(seen.every((d, i) => i === 0 || d >= seen[i - 1]), `the bar only moves forward: ${seen.join(", ")}`);
    assert.match(await page.getByTestId("import-summary").textContent(), new RegExp(`新建 ${rows} 条`));
  });
});

test("a viewer is offered no import", { timeout: 120_000 }, async () => {
  const { page, device } = await session("zhouyu");
  assert.equal(await page.getByTestId("nav-import").count(), 0);
  await page.getByTestId("nav-customers").click();
  await page.getByTestId("customer-list").waitFor({ timeout: TIMEOUT });
  assert.equal(await page.getByTestId("import-link").count(), 0);
  await page.goto(`${device.url}#/import`);
  await page.waitForURL(/#\/home$/, { timeout: TIMEOUT });
});
