import { describe, expect, test } from "vitest";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { RecordView } from "../src/api";
import { formatMonth, messages } from "../src/i18n";
import { fakeCrm } from "./fakeCrm";
import { EXPENSE_SECTIONS, EXPENSE_STATES, expenseDirty, expenseFields, expenseFrom, fromDraft, isMonth, monthOf, newExpense, shiftMonth } from "../src/screens/expenses/model";
import { expenseSections } from "../src/screens/expenses/Expenses";

const record = (fields: RecordView["fields"]): RecordView => ({
  type: "record",
  id: "e1",
  kind: "expense",
  fields,
  created_at: "",
  created_by: null,
  updated_at: "",
  deleted_at: null,
  version: "v1",
  names: {},
});

describe("months", () => {
  test("a month is switched across the year's end both ways", () => {
    expect(shiftMonth("2026-11", 1)).toBe("2026-12");
    expect(shiftMonth("2026-12", 1)).toBe("2027-01");
    expect(shiftMonth("2027-01", -1)).toBe("2026-12");
    expect(shiftMonth("2026-03", -15)).toBe("2024-12");
    expect(monthOf("2026-11-23")).toBe("2026-11");
  });

  test("only YYYY-MM is read from an address", () => {
    expect(isMonth("2026-11")).toBe(true);
    for (const bad of ["2026-13", "2026-1", "26-11", "", null, "十一月"]) expect(isMonth(bad)).toBe(false);
  });

  test("a month reads in the language", () => {
    expect(formatMonth("zh-CN", "2026-11")).toBe("2026年11月");
    expect(formatMonth("en", "2026-11")).toBe("November 2026");
  });
});

describe("the quick form", () => {
  test("a new expense sends its amount in integer minor units of the currency, never a float", () => {
    const v = { ...newExpense("2026-11-23"), category: "transport", amount: "35.1", notes: "滴滴" };
    expect(expenseFields(v, "CNY").fields).toEqual({ category: "transport", date: "2026-11-23", amount: { minor: 3510, currency: "CNY" }, notes: "滴滴" });
    expect(expenseFields({ ...v, amount: "1,280" }, "CNY").fields.amount).toEqual({ minor: 128000, currency: "CNY" });
    expect(expenseFields({ ...v, amount: "1280" }, "JPY").fields.amount).toEqual({ minor: 1280, currency: "JPY" });
    // 0.1 + 0.2 in floats is not 0.3; the parser never goes through one.
    expect(expenseFields({ ...v, amount: "0.30" }, "CNY").fields.amount).toEqual({ minor: 30, currency: "CNY" });
  });

  test("an amount that is not one is said by its field; an empty one and the category are left to the core", () => {
    const v = { ...newExpense("2026-11-23"), amount: "三十" };
    expect(expenseFields(v, "CNY").errors).toEqual({ amount: "invalid_amount" });
    expect(expenseFields({ ...v, amount: "1.234" }, "CNY").errors).toEqual({ amount: "invalid_amount" });
    expect(expenseFields({ ...v, amount: "" }, "CNY")).toEqual({ fields: { date: "2026-11-23" }, errors: {} });
  });

  test("an edit sends only what changed, null for a customer taken off", () => {
    const initial = expenseFrom(record({ date: "2026-11-20", category: "meals", amount: { minor: 28800, currency: "CNY" }, customer: "c1", status: "draft" }));
    expect(initial).toMatchObject({ amount: "288.00", date: "2026-11-20", customer: "c1", date_set: "1" });
    expect(expenseFields(initial, "CNY", initial).fields).toEqual({});
    expect(expenseFields({ ...initial, amount: "300", customer: "" }, "CNY", initial).fields).toEqual({ amount: { minor: 30000, currency: "CNY" }, customer: null });
  });

  test("a draft keeps what was typed; a date not chosen is today when it comes back", () => {
    const yesterday = { ...newExpense("2026-11-22"), category: "meals", amount: "50" };
    expect(expenseDirty(yesterday, newExpense("2026-11-22"))).toBe(true);
    expect(expenseDirty(newExpense("2026-11-22"), newExpense("2026-11-22"))).toBe(false);
    expect(fromDraft(yesterday, newExpense("2026-11-23"), "2026-11-23")).toMatchObject({ category: "meals", amount: "50", date: "2026-11-23" });
    const chosen = { ...yesterday, date: "2026-11-01", date_set: "1" };
    expect(fromDraft(chosen, newExpense("2026-11-23"), "2026-11-23").date).toBe("2026-11-01");
  });
});

describe("the sections and words", () => {
  test("everyone claims; supervisors and admins approve; finance and admins pay", () => {
    expect(expenseSections(false, false)).toEqual(["month"]);
    expect(expenseSections(true, false)).toEqual(["month", "approve"]);
    expect(expenseSections(false, true)).toEqual(["month", "pay"]);
    expect(expenseSections(true, true)).toEqual([...EXPENSE_SECTIONS]);
  });

  test("every state and step the docs give an expense has words in both languages", () => {
    const doc = readFileSync(path.resolve(__dirname, "../../docs/api.md"), "utf8");
    const table = doc.slice(doc.indexOf("### `expense`")).split(/\n### /)[0];
    const row = table.split("\n").find((l) => l.startsWith("| `status`"))!;
    const states = [...row.split("|")[2].matchAll(/`([a-z_]+)`/g)].map((m) => m[1]);
    expect(states).toEqual([...EXPENSE_STATES]);
    const section = doc.slice(doc.indexOf("#### Expenses")).split(/\n#### /)[0];
    const steps = ["submit", "approve", "reject", "pay", "revise"];
    for (const s of steps) expect(section, s).toContain(`\`${s}\``);
    for (const lang of ["en", "zh-CN"] as const) {
      for (const s of states) expect(messages[lang]).toHaveProperty(`state.expense.${s}`);
      for (const s of steps) expect(messages[lang]).toHaveProperty(`transition.${s}`);
      for (const s of EXPENSE_SECTIONS) expect(messages[lang]).toHaveProperty(`expenses.tab.${s}`);
      for (const k of ["claimed", "approved", "paid"]) expect(messages[lang]).toHaveProperty(`expenses.sum.${k}`);
      for (const k of ["approve", "pay"]) {
        expect(messages[lang]).toHaveProperty(`expenses.queue.${k}`);
        expect(messages[lang]).toHaveProperty(`expenses.queue.${k}_hint`);
      }
    }
  });

  test("a month's claim is asked for as the docs say", async () => {
    const { crm, sent } = fakeCrm(() => ({ type: "expense_claim", user: "u1", month: "2026-11", categories: [], statuses: [], totals: [], items: [] }));
    await crm.expenseClaim("2026-11");
    await crm.expenseClaim("2026-10", "u2");
    expect(sent).toEqual([
      { op: "expense_claim", month: "2026-11" },
      { op: "expense_claim", month: "2026-10", user: "u2" },
    ]);
  });
});
