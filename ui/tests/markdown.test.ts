import { describe, expect, it } from "vitest";
import { parseMarkdown } from "../src/markdown";

describe("an article's Markdown", () => {
  it("reads headings, both kinds of list and paragraphs in order", () => {
    const body = "# 报价流程\n\n先确认需求。\n再报价。\n\n- 核对库存\n- 申请折扣\n  超过九折要审批\n\n1. 发送\n2. 跟进\n## 注意";
    expect(parseMarkdown(body)).toEqual([
      { type: "heading", level: 1, text: "报价流程" },
      { type: "paragraph", text: "先确认需求。\n再报价。" },
      { type: "list", ordered: false, items: ["核对库存", "申请折扣 超过九折要审批"] },
      { type: "list", ordered: true, items: ["发送", "跟进"] },
      { type: "heading", level: 2, text: "注意" },
    ]);
  });

  it("keeps markup it does not know as text", () => {
    const body = '<img src=x onerror="alert(1)">\n#no-space is text';
    expect(parseMarkdown(body)).toEqual([{ type: "paragraph", text: '<img src=x onerror="alert(1)">\n#no-space is text' }]);
  });

  it("reads Windows line ends and an empty body", () => {
    expect(parseMarkdown("")).toEqual([]);
    expect(parseMarkdown("a\r\n\r\n- b\r\n")).toEqual([
      { type: "paragraph", text: "a" },
      { type: "list", ordered: false, items: ["b"] },
    ]);
  });
});
