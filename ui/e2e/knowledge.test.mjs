// The knowledge base (知识库): the supervisor writes an article with a heading and a list; a
// salesperson finds it by a word in its body, reads it rendered, and cannot edit it.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { SIZES, TIMEOUT, dispatch, eventually, screenshot, signedInDevice, startStory } from "./harness.mjs";

let server;
let browser;

startStory({ customers: 5 }, (started) => ({ server, browser } = started));

const BODY = "# 报价前的三件事\n\n每次报价之前，先和客户确认下面几点。\n\n- 核对库存与交期\n- 折扣超过九折先申请审批\n- 确认开票抬头";

describe("an article in the knowledge base", { timeout: 240_000 }, () => {
  test("written by the supervisor, found by a salesperson by a word in its body, read rendered, not editable", async () => {
    const lead = await signedInDevice(browser, server.url, "lili", "knowledge-lili");
    const { page } = lead;
    await page.getByTestId("nav-knowledge").click();
    await page.getByTestId("knowledge").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("new-article").click();
    await page.getByTestId("form-article").waitFor({ timeout: TIMEOUT });
    await page.getByTestId("field-title").fill("报价检查清单");
    await page.getByTestId("field-body").fill(BODY);
    // The preview renders as typed.
    await page.getByTestId("preview-body").locator("h2", { hasText: "报价前的三件事" }).waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId("preview-body").locator("ul > li").count(), 3);
    await page.getByTestId("save").click();
    await page.getByTestId("article").waitFor({ timeout: TIMEOUT });
    assert.equal(await page.getByTestId("article-title").textContent(), "报价检查清单");
    await page.getByTestId("edit-article").waitFor({ timeout: TIMEOUT });
    const articleId = page.url().split("/knowledge/")[1];

    const sales = await signedInDevice(browser, server.url, "wangfang", "knowledge-wangfang");
    await eventually(() => dispatch(sales.device, { op: "get", id: articleId }), (r) => r.type === "record", "the article reached the salesperson's device", 40_000);
    const spage = sales.page;
    await spage.getByTestId("nav-knowledge").click();
    await spage.getByTestId("knowledge").waitFor({ timeout: TIMEOUT });
    assert.equal(await spage.getByTestId("new-article").count(), 0, "a salesperson writes no articles");
    await spage.getByTestId("article-search").fill("九折");
    await spage.getByTestId("article-hit").filter({ hasText: "报价检查清单" }).click();
    const body = spage.getByTestId("article-body");
    await body.waitFor({ timeout: TIMEOUT });
    assert.equal(await body.locator("h2").textContent(), "报价前的三件事");
    assert.deepEqual(await body.locator("ul > li").allTextContents(), ["核对库存与交期", "折扣超过九折先申请审批", "确认开票抬头"]);
    assert.match(await body.locator("p").first().textContent(), /先和客户确认/);
    assert.equal(await spage.getByTestId("edit-article").count(), 0, "a salesperson has no edit button");
    for (const [name, size] of Object.entries(SIZES)) {
      await spage.setViewportSize(size);
      await spage.waitForTimeout(150);
      await screenshot(spage, `knowledge-article-${name}`);
    }
  });
});
