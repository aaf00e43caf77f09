import { describe, expect, test } from "vitest";
import { Crm } from "../src/api";
import type { AppEvent, ImportPreview, Json, KindSchema, Transport } from "../src/api";
import { translate } from "../src/i18n";
import type { T } from "../src/i18n";
import { base64Bytes } from "../src/files";
import { defaultKeys, describeError, importKinds, percent, rejectedFormat, rowNote, rowsOf, targetLabel } from "../src/screens/import/model";

const zh: T = (key, params) => translate("zh-CN", key, params);
const en: T = (key, params) => translate("en", key, params);

const kind = (name: string, fields: string[], admin_only = false): KindSchema => ({
  kind: name,
  title_field: fields[0],
  admin_only,
  fields: fields.map((f) => ({ name: f, type: "string", required: false })),
});
const SCHEMA = [
  kind("contact", ["name", "phones", "email"]),
  kind("customer", ["code", "name", "phones", "email"]),
  kind("activity", ["subject"]),
  kind("user", ["username"], true),
  kind("setting", ["key"], true),
];

const COLUMNS: ImportPreview["columns"] = [
  { header: "往来单位", target: "name", samples: ["甲"] },
  { header: "手机", target: "phones", samples: ["12"] },
  { header: "联系电话", target: "contacts.1.phones", samples: [] },
];

describe("what the import screen offers", () => {
  test("the kinds every writing role may import, customers first; reference data and accounts are left to the admin", () => {
    expect(importKinds(SCHEMA)).toEqual(["customer", "contact", "activity"]);
  });

  test("name and phones are ticked first where the kind has them", () => {
    expect(defaultKeys(SCHEMA, "customer")).toEqual(["name", "phones"]);
    expect(defaultKeys(SCHEMA, "activity")).toEqual([]);
    expect(defaultKeys(SCHEMA, "unknown")).toEqual([]);
  });

  test("a target reads as its field, a contact's as the contact's number and field", () => {
    expect(targetLabel(zh, "customer", "name")).toBe("名称");
    expect(targetLabel(zh, "customer", "contacts.2.phones")).toBe("联系人 2 · 电话");
    expect(targetLabel(en, "opportunity", "title")).toBe("Opportunity");
  });
});

describe("a refused row in words", () => {
  test("an error names the header the core gives, with the cell's value", () => {
    const d = describeError(zh, "customer", COLUMNS, {
      field: "grade",
      reason: "unknown_dictionary_value",
      params: { header: "客户等级", value: "Z类", dictionary: "customer_grade" },
    });
    expect(d).toEqual({ where: "客户等级", value: "Z类", reason: "不在可选列表中" });
  });

  test("without a header from the core, the column mapped to the field is named, else the field", () => {
    expect(describeError(zh, "customer", COLUMNS, { field: "name", reason: "required" }).where).toBe("往来单位");
    expect(describeError(zh, "customer", COLUMNS, { field: "phones", reason: "invalid_phone", params: { value: "12" } })).toMatchObject({
      where: "手机",
      value: "12",
    });
    expect(describeError(zh, "customer", COLUMNS, { field: "contacts.1.phones", reason: "invalid_phone" }).where).toBe("联系电话");
    expect(describeError(en, "customer", [], { field: "contacts.1.name", reason: "required" }).where).toBe("Contact 1 · Name");
  });

  test("a row the access rules refuse is about the whole row", () => {
    expect(describeError(en, "customer", COLUMNS, { field: "*", reason: "forbidden" })).toEqual({
      where: "The row",
      value: null,
      reason: en("import.row_forbidden"),
    });
  });

  test("a skipped row says why; an update says so", () => {
    expect(rowNote(zh, { line: 7, action: "skip", why: "duplicate_in_file", same_as_line: 2, title: "甲" })).toBe("与本文件第 2 行相同");
    expect(rowNote(zh, { line: 3, action: "skip", why: "exists", id: "x", title: "甲" })).toBe("已有这条记录");
    expect(rowNote(en, { line: 3, action: "update", id: "x", title: "甲" })).toBe("Updates the record already here");
    expect(rowNote(en, { line: 3, action: "create", title: "甲" })).toBeNull();
  });

  test("rows are listed by action, at most the limit", () => {
    const plan = [2, 3, 4, 5].map((line) => ({ line, action: line % 2 ? ("reject" as const) : ("create" as const), title: null }));
    expect(rowsOf(plan, "reject", 10).map((r) => r.line)).toEqual([3, 5]);
    expect(rowsOf(plan, "create", 1).map((r) => r.line)).toEqual([2]);
  });
});

describe("progress and files", () => {
  test("percent is whole, never past 100, and an empty file is done", () => {
    expect(percent(0, 5000)).toBe(0);
    expect(percent(500, 5000)).toBe(10);
    expect(percent(4999, 5000)).toBe(99);
    expect(percent(6000, 5000)).toBe(100);
    expect(percent(0, 0)).toBe(0);
  });

  test("refused rows come back as the file came: CSV for CSV, Excel otherwise", () => {
    expect(rejectedFormat("csv-utf8")).toBe("csv");
    expect(rejectedFormat("csv-gbk")).toBe("csv");
    expect(rejectedFormat("xlsx")).toBe("xlsx");
    expect(rejectedFormat("xls")).toBe("xlsx");
  });

  test("base64 from the core becomes the file's bytes, a byte-order mark included", () => {
    expect([...base64Bytes("77u/5a6i")]).toEqual([0xef, 0xbb, 0xbf, 0xe5, 0xae, 0xa2]);
  });
});

describe("import requests and events", () => {
  function fake() {
    const sent: Record<string, Json>[] = [];
    let handler: ((e: AppEvent) => void) | null = null;
    let subscriptions = 0;
    const transport: Transport = {
      async call(req) {
        sent.push(req as Record<string, Json>);
        return { type: "imported", batch: { id: "b1" } };
      },
      listen(h) {
        subscriptions++;
        handler = h;
        return () => (handler = null);
      },
    };
    return { transport, sent, emit: (e: AppEvent) => handler?.(e), subscriptions: () => subscriptions, open: () => handler !== null };
  }

  test("an import is the documented op with the file, the columns, the keys and the policy", async () => {
    const f = fake();
    const crm = new Crm(f.transport);
    const batch = await crm.importRun({ kind: "customer", name: "a.csv", data: "YQ==", columns: ["name", null], keys: ["name"], policy: "update" });
    expect(batch).toEqual({ id: "b1" });
    await crm.importRejected("b1", "csv", { required: "必填" });
    await crm.importRevert("b1");
    expect(f.sent).toEqual([
      { op: "import_run", kind: "customer", name: "a.csv", data: "YQ==", columns: ["name", null], keys: ["name"], policy: "update" },
      { op: "import_rejected", batch: "b1", format: "csv", reasons: { required: "必填" } },
      { op: "import_revert", batch: "b1" },
    ]);
  });

  test("every view hears the events over one subscription, closed when the last one stops", () => {
    const f = fake();
    const crm = new Crm(f.transport);
    const app: AppEvent[] = [];
    const screen: AppEvent[] = [];
    const stopApp = crm.listen((e) => app.push(e));
    const stopScreen = crm.listen((e) => screen.push(e));
    expect(f.subscriptions()).toBe(1);
    f.emit({ event: "import_progress", done: 500, total: 1200 });
    stopScreen();
    f.emit({ event: "import_progress", done: 1000, total: 1200 });
    expect(screen).toEqual([{ event: "import_progress", done: 500, total: 1200 }]);
    expect(app.length).toBe(2);
    expect(f.open()).toBe(true);
    stopApp();
    expect(f.open()).toBe(false);
    crm.listen(() => undefined);
    expect(f.subscriptions()).toBe(2);
  });
});
