import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { CrmError } from "../src/api";
import type { Item } from "../src/api";
import { messages, translate } from "../src/i18n";
import type { Lang } from "../src/i18n";
import { transitionLabel } from "../src/components/Transitions";
import {
  DOC_KINDS,
  STATES,
  conflictsOfLine,
  discountPercent,
  emptyLine,
  isBlankLine,
  lineConflict,
  lineFromItem,
  lineRequest,
  linesChanged,
  linesRequest,
  moneyRefusal,
  needsOf,
  needsWords,
  parseRate,
  planRequest,
  periodFromItem,
  rateInput,
  splitRefusal,
} from "../src/screens/sales/model";
import type { LineDraft } from "../src/screens/sales/model";
import { matchesProduct, productChoice } from "../src/screens/sales/useProducts";
import { buyerOf } from "../src/screens/sales/MoneyRows";

const tr = (lang: Lang) => (key: string, params?: Record<string, unknown>) => translate(lang, key, params as never);
const draft = (d: Partial<LineDraft>): LineDraft => ({ ...emptyLine(), ...d });

describe("a document's lines as typed and as requests", () => {
  test("tax rates are typed in percent and sent in basis points", () => {
    expect(parseRate("13")).toBe(1300);
    expect(parseRate("9.5")).toBe(950);
    expect(parseRate(" 6 % ")).toBe(600);
    expect(parseRate("0.05")).toBe(5);
    expect(parseRate("13.255")).toBeNull();
    expect(parseRate("abc")).toBeNull();
    expect(parseRate("")).toBeNull();
    expect(rateInput(1300)).toBe("13");
    expect(rateInput(950)).toBe("9.5");
    expect(rateInput(905)).toBe("9.05");
    expect(rateInput(null)).toBe("");
  });

  test("a line becomes minor units, basis points and the quantity as typed; what is not money is named", () => {
    const { line, errors } = lineRequest(
      draft({ product: "p1", name: " 液压泵 ", unit: "台", quantity: "1.5", list_price: "1,200.00", unit_price: "1150", tax_rate: "13" }),
      "CNY",
    );
    expect(errors).toEqual({});
    expect(line).toEqual({ product: "p1", name: "液压泵", unit: "台", quantity: "1.5", list_price: 120000, unit_price: 115000, tax_rate: 1300 });
    // Yen has no minor digits.
    expect(lineRequest(draft({ name: "x", quantity: "1", unit_price: "500" }), "JPY").line.unit_price).toBe(500);
    const bad = lineRequest(draft({ name: "x", quantity: "2", unit_price: "12.345", tax_rate: "13%%x" }), "CNY");
    expect(bad.errors).toEqual({ unit_price: "invalid_amount", tax_rate: "invalid_rate" });
    // A saved line no longer naming a product, unit, list price or rate clears them.
    expect(lineRequest(draft({ id: "a1", name: "安装", quantity: "1", unit_price: "800" }), "CNY").line).toEqual({
      id: "a1",
      product: null,
      name: "安装",
      unit: null,
      quantity: "1",
      list_price: null,
      unit_price: 80000,
      tax_rate: null,
    });
  });

  test("empty rows are left out, and the core's refusal of a request's line goes back to its row", () => {
    const rows = [draft({ name: "a", quantity: "1", unit_price: "1" }), emptyLine(), draft({ name: "b", quantity: "abc", unit_price: "2" })];
    expect(isBlankLine(rows[1])).toBe(true);
    const r = linesRequest(rows, "CNY");
    expect(r.lines.map((l) => l.name)).toEqual(["a", "b"]);
    expect(r.index).toEqual([0, 2]);
    const refusal = new CrmError("validation", "", {
      errors: [
        { field: "lines", reason: "invalid_quantity", params: { item: 1, part: "quantity", value: "abc", decimals: 3 } },
        { field: "discount", reason: "discount_above_subtotal", params: { subtotal: 300 } },
      ],
    });
    const split = splitRefusal(refusal, "lines", r.index);
    expect(split.rows).toEqual({ 2: { quantity: { reason: "invalid_quantity", params: { item: 1, part: "quantity", value: "abc", decimals: 3 } } } });
    expect(Object.keys(split.fields)).toEqual(["discount"]);
    expect(splitRefusal(new CrmError("forbidden", ""), "lines", r.index)).toEqual({ rows: {}, fields: {} });
  });

  test("a saved line in boxes, and whether the lines changed", () => {
    const saved = lineFromItem({ id: "a1", product: "p1", name: "液压泵", unit: "台", quantity: 5, list_price: 120000, unit_price: 100000, tax_rate: 1300 }, "CNY");
    expect(saved).toMatchObject({ key: "a1", id: "a1", product: "p1", quantity: "5", list_price: "1200.00", unit_price: "1000.00", tax_rate: "13", priced: true });
    expect(linesChanged([saved, emptyLine()], [saved])).toBe(false);
    expect(linesChanged([{ ...saved, quantity: "6" }], [saved])).toBe(true);
    expect(linesChanged([{ ...saved, product: undefined }], [saved])).toBe(true);
  });

  test("how far below the list price a unit price is", () => {
    expect(discountPercent(120000, 100000)).toBe(16.7);
    expect(discountPercent(120000, 120000)).toBe(0);
    expect(discountPercent(100000, 110000)).toBe(-10);
    expect(discountPercent(null, 100)).toBeNull();
    expect(discountPercent(0, 100)).toBeNull();
  });

  test("a line's conflicts are read from `lines.ITEM_ID.PART`", () => {
    expect(lineConflict("lines.9f1c.quantity")).toEqual({ item: "9f1c", part: "quantity" });
    expect(lineConflict("address")).toBeNull();
    const values = [{ value: 4, user_id: "u1", at: null }];
    expect(conflictsOfLine({ "lines.a1.quantity": values, "lines.b2.name": values, discount: values }, "a1")).toEqual({ quantity: values });
    expect(conflictsOfLine({ "lines.a1.quantity": values }, undefined)).toEqual({});
  });
});

describe("the core's reasons in words", () => {
  const lines = [
    { id: "l1", name: "液压泵", product: "p1" },
    { id: "l2", name: "安装调试" },
  ];

  test("each reason a quote needs approval names its line and its figures", () => {
    const refusal = new CrmError("approval_required", "", {
      needs: [
        { code: "price_below_floor", line: "l1", detail: { unit_price: 100000, applicable_price: 115000, floor: 109250 } },
        { code: "discount_above_threshold", detail: { discount: 50000, subtotal: 580000, threshold_bp: 500 } },
        { code: "something_new", line: null, detail: null },
      ],
    });
    const words = needsWords(tr("zh-CN"), "zh-CN", needsOf(refusal), lines, "CNY");
    expect(words[0]).toEqual({ code: "price_below_floor", line: "第 1 行（液压泵）", text: "成交单价 ¥1,000.00 低于免审批最低价 ¥1,092.50（价目表价 ¥1,150.00）" });
    expect(words[1].line).toBeNull();
    expect(words[1].text).toBe("整单优惠 ¥500.00 超过小计 ¥5,800.00 的 5%");
    expect(words[2].text).toContain("something_new");
    const en = needsWords(tr("en"), "en", needsOf(refusal), lines, "CNY");
    expect(en[0].line).toBe("Line 1 (液压泵)");
    expect(en[0].text).toContain("CN¥1,092.50");
  });

  test("an order's stock problem is put on the line that orders the product", () => {
    const refusal = new CrmError("order_changed", "", { needs: [{ code: "stock_short", detail: { product: "p1", quantity: "20", stock: "8" } }, { code: "credit_exceeded", detail: { limit: 100000, owed: 90000, order_total: 20000 } }] });
    const words = needsWords(tr("zh-CN"), "zh-CN", needsOf(refusal), lines, "CNY", (id) => (id === "p1" ? "液压泵" : ""));
    expect(words[0]).toEqual({ code: "stock_short", line: "第 1 行（液压泵）", text: "液压泵 库存仅 8，订购 20" });
    expect(words[1].text).toBe("客户已欠 ¥900.00，加上本订单 ¥200.00 超过信用额度 ¥1,000.00");
    expect(needsOf(new CrmError("validation", ""))).toEqual([]);
  });

  test("a plan or invoice that does not add up is said with money", () => {
    expect(moneyRefusal(tr("zh-CN"), "zh-CN", new CrmError("plan_mismatch", "", { planned: 550000, total: 570000 }), "CNY")).toBe(
      "付款计划合计 ¥5,500.00，与合同总额 ¥5,700.00 不符，请先调整付款计划。",
    );
    expect(moneyRefusal(tr("en"), "en", new CrmError("invoice_above_amount", "", { invoiced: 300000, amount: 300000, total: 570000 }), "CNY")).toContain("CN¥5,700.00");
    expect(moneyRefusal(tr("en"), "en", new CrmError("forbidden", ""), "CNY")).toBeNull();
  });
});

describe("payment plans, products and invoices", () => {
  test("a plan's periods as a request; a row left empty is dropped and an amount that is not money named", () => {
    const saved = periodFromItem({ id: "p1", due: "2026-12-01", amount: 350000, note: "预付款" }, "CNY");
    expect(saved).toMatchObject({ id: "p1", due: "2026-12-01", amount: "3500.00", note: "预付款" });
    const r = planRequest([saved, { key: "k", due: "", amount: "", note: "" }, { key: "k2", due: "2027-01-15", amount: "22OO", note: "" }], "CNY");
    expect(r.plan).toEqual([{ id: "p1", due: "2026-12-01", amount: 350000, note: "预付款" }, { due: "2027-01-15" }]);
    expect(r.errors).toEqual({ 2: { amount: "invalid_amount" } });
    expect(r.index).toEqual([0, 2]);
  });

  test("a product is found by code, name or specification as typed", () => {
    const p = { id: "1", kind: "product", fields: { code: "P-100", name: "液压泵", spec: "100L/min" } } as unknown as Item;
    expect(matchesProduct(p, "p-1")).toBe(true);
    expect(matchesProduct(p, "液压")).toBe(true);
    expect(matchesProduct(p, "100l")).toBe(true);
    expect(matchesProduct(p, "密封")).toBe(false);
    expect(matchesProduct(p, " ")).toBe(true);
  });

  test("an invoice's buyer starts from the customer's name, tax ID, bank, account, address and first phone", () => {
    expect(buyerOf({ name: "杭州宏达", tax_id: "9133", bank: "招商银行", bank_account: "5719", address: "文三路", phones: ["0571-1", "139"], email: "x" })).toEqual({
      buyer_name: "杭州宏达",
      buyer_tax_id: "9133",
      buyer_bank: "招商银行",
      buyer_account: "5719",
      buyer_address: "文三路",
      buyer_phone: "0571-1",
    });
    expect(buyerOf({ name: "只有名字" })).toEqual({ buyer_name: "只有名字" });
  });
});

describe("sales words", () => {
  const doc = readFileSync(path.resolve(__dirname, "../../docs/api.md"), "utf8");
  const section = (kind: string) => doc.slice(doc.indexOf(`### \`${kind}\``)).split(/\n### /)[0];

  test("every state of the sales kinds' tables, and every transition of their workflows, has words in both languages", () => {
    for (const kind of ["quote", "contract", "order", "payment", "invoice"]) {
      const row = section(kind)
        .split("\n")
        .find((l) => l.startsWith("| `status`"))!;
      const states = [...row.split("|")[2].matchAll(/`([a-z_]+)`/g)].map((m) => m[1]);
      expect(states, kind).toEqual(STATES[kind]);
      for (const s of states) for (const lang of ["en", "zh-CN"] as const) expect(messages[lang], `${kind} ${s}`).toHaveProperty(`state.${kind}.${s}`);
    }
    // The steps of the sales kinds' workflows (`{"op": "schema"}`; *Sales documents* names most).
    const steps = ["submit", "approve", "reject", "revise", "send", "accept", "expire", "sign", "execute", "complete", "void", "confirm", "ship", "cancel", "issue"];
    for (const lang of ["en", "zh-CN"] as const) for (const s of steps) expect(messages[lang]).toHaveProperty(`transition.${s}`);
  });

  test("a step's words are its kind's where one name means different steps", () => {
    const t = tr("zh-CN");
    expect(transitionLabel(t, "order", "confirm")).toBe("确认订单");
    expect(transitionLabel(t, "payment", "confirm")).toBe("确认收款");
    expect(transitionLabel(t, "churn_case", "confirm")).toBe("确定流失");
    expect(transitionLabel(t, "quote", "submit")).toBe("提交审批");
    expect(transitionLabel(t, undefined, "claim")).toBe("领取");
  });

  test("the shell's sales addresses are the screens' own", async () => {
    const app = readFileSync(path.resolve(__dirname, "../src/App.tsx"), "utf8");
    expect(app).toContain(`const DOC_KINDS = ${JSON.stringify(DOC_KINDS).replace(/,/g, ", ")};`);
    const { FINANCE_SECTIONS } = await import("../src/screens/sales/Finance");
    expect(app).toContain(`const FINANCE_SECTIONS = ${JSON.stringify(FINANCE_SECTIONS).replace(/,/g, ", ")};`);
  });
});

describe("a product search hit as a line's choice", () => {
  test("the code from the subtitle, the name from the title, the specification beside", () => {
    const hit = { id: "p1", kind: "product", title: "液压泵", subtitle: "P-100 · 100L/min", customer_id: null };
    expect(productChoice(hit)).toEqual({ id: "p1", code: "P-100", name: "液压泵", label: "液压泵 · 100L/min" });
  });
  test("without a specification, or without a subtitle at all", () => {
    expect(productChoice({ id: "p2", kind: "product", title: "密封圈", subtitle: "P-200", customer_id: null })).toEqual({ id: "p2", code: "P-200", name: "密封圈", label: "密封圈" });
    expect(productChoice({ id: "p3", kind: "product", title: "垫片", subtitle: null, customer_id: null }).code).toBe("垫片");
  });
});
