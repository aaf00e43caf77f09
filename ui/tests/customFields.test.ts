import { describe, expect, test } from "vitest";
import { fakeCrm } from "./fakeCrm";
import { ServerRefusal } from "../src/api";
import type { CustomField } from "../src/api";
import {
  customDisplay,
  customFieldsWrite,
  customFilter,
  customFormValues,
  customLabel,
  filtersFromParams,
  formCustomFields,
  keyProblem,
  listColumns,
  listFilters,
  optionLines,
} from "../src/customFields";
import { errorText } from "../src/errors";
import { translate } from "../src/i18n";
import type { T } from "../src/i18n";
import { describeError, targetLabel } from "../src/screens/import/model";

const zh: T = (key, params) => translate("zh-CN", key, params);
const en: T = (key, params) => translate("en", key, params);

const def = (key: string, more: Partial<CustomField> = {}): CustomField => ({
  id: `id-${key}`,
  key,
  label_zh: `中文${key}`,
  label_en: null,
  type: "text",
  options: [],
  required: false,
  in_list: false,
  in_filter: false,
  sort_order: 0,
  active: true,
  ...more,
});

const AREA = def("store_area", { label_zh: "门店面积", label_en: "Store area", type: "number", required: true, in_list: true, in_filter: true });
const CHANNEL = def("channel", { label_zh: "渠道", type: "choice", options: ["线上", "线下"], in_filter: true });
const CHAIN = def("chain", { label_zh: "连锁", type: "bool" });
const OLD = def("old_code", { label_zh: "旧编码", active: false, in_list: true });
const DEFS = [AREA, CHANNEL, CHAIN, OLD];

describe("a form's custom fields", () => {
  test("a new record shows the active fields; an edited one also a retired field it holds a value for", () => {
    expect(formCustomFields(DEFS, {}).map((d) => d.key)).toEqual(["store_area", "channel", "chain"]);
    expect(formCustomFields(DEFS, { old_code: "A-1" }).map((d) => d.key)).toEqual(["store_area", "channel", "chain", "old_code"]);
    expect(customFormValues(DEFS, { store_area: "120", old_code: "A-1" })).toEqual({
      "custom_fields.store_area": "120",
      "custom_fields.channel": "",
      "custom_fields.chain": "",
      "custom_fields.old_code": "A-1",
    });
  });

  test("creating writes what was given, a decimal as typed and a switch left alone as false; nothing given, no map", () => {
    const values = { name: "甲", "custom_fields.store_area": " 007.50 ", "custom_fields.channel": "", "custom_fields.chain": "" };
    expect(customFieldsWrite(DEFS, values, {})).toEqual({ store_area: "007.50", chain: "false" });
    expect(customFieldsWrite([AREA, CHANNEL], { "custom_fields.store_area": "" }, {})).toBeUndefined();
    // A retired field takes no new value.
    expect(customFieldsWrite(DEFS, { "custom_fields.old_code": "B", "custom_fields.chain": "true" }, {})).toEqual({ chain: "true" });
  });

  test("editing writes nothing unless a custom field changed, and then the whole map with retired and unknown keys kept", () => {
    const held = { store_area: "120", channel: "线上", old_code: "A-1", from_newer_app: "x" };
    const initial = customFormValues(DEFS, held);
    expect(customFieldsWrite(DEFS, { ...initial, name: "改名" }, held, initial)).toBeUndefined();
    expect(customFieldsWrite(DEFS, { ...initial, "custom_fields.channel": "线下" }, held, initial)).toEqual({
      store_area: "120",
      channel: "线下",
      old_code: "A-1",
      from_newer_app: "x",
    });
    // Emptied: the key is left out, which removes it.
    expect(customFieldsWrite(DEFS, { ...initial, "custom_fields.channel": "" }, held, initial)).toEqual({
      store_area: "120",
      old_code: "A-1",
      from_newer_app: "x",
    });
  });

  test("a definition read after the form was filled counts as unchanged, never as emptied", () => {
    const held = { store_area: "120", channel: "线上" };
    const early = customFormValues([AREA], held);
    expect(customFieldsWrite(DEFS, { ...early }, held, early)).toBeUndefined();
    expect(customFieldsWrite(DEFS, { ...early, "custom_fields.store_area": "130" }, held, early)).toEqual({ store_area: "130", channel: "线上" });
  });
});

describe("custom values in words", () => {
  test("labels in the language, the Chinese one when no English one was given", () => {
    expect(customLabel("en", AREA)).toBe("Store area");
    expect(customLabel("zh-CN", AREA)).toBe("门店面积");
    expect(customLabel("en", CHANNEL)).toBe("渠道");
  });

  test("a switch is yes or no, a date in the language's style, anything else as stored", () => {
    expect(customDisplay(zh, "zh-CN", CHAIN, "true")).toBe("是");
    expect(customDisplay(en, "en", CHAIN, "false")).toBe("No");
    expect(customDisplay(en, "en", def("opened", { type: "date" }), "2024-03-05")).toBe("Mar 5, 2024");
    expect(customDisplay(zh, "zh-CN", AREA, "7.5")).toBe("7.5");
    expect(customDisplay(zh, "zh-CN", AREA, undefined)).toBe("");
  });

  test("lists show the active in-list fields as columns and offer the active in-filter ones", () => {
    expect(listColumns(DEFS).map((d) => d.key)).toEqual(["store_area"]);
    expect(listFilters(DEFS).map((d) => d.key)).toEqual(["store_area", "channel"]);
  });

  test("the filters chosen in the address become custom_fields.KEY filters", () => {
    const chosen = filtersFromParams(new URLSearchParams("grade=A&cf.channel=%E7%BA%BF%E4%B8%8A&cf.store_area=&cf.chain=true"));
    expect(chosen).toEqual({ "cf.channel": "线上", "cf.chain": "true" });
    expect(customFilter({ ...chosen, grade: "A", "cf.store_area": " 120 " })).toEqual({
      "custom_fields.channel": "线上",
      "custom_fields.chain": "true",
      "custom_fields.store_area": "120",
    });
  });
});

describe("the admin's definitions", () => {
  test("a key is checked as it is typed: a-z first, then a-z, 0-9 or _, at most 40", () => {
    expect(keyProblem("store_area2")).toBeNull();
    expect(keyProblem("")).toBe("error.required");
    expect(keyProblem("Store")).toBe("error.invalid_key");
    expect(keyProblem("2nd")).toBe("error.invalid_key");
    expect(keyProblem("门店")).toBe("error.invalid_key");
    expect(keyProblem("a".repeat(40))).toBeNull();
    expect(keyProblem("a".repeat(41))).toBe("custom.key_long");
  });

  test("options one per line, blank lines dropped", () => {
    expect(optionLines(" 线上 \n\n线下\n")).toEqual(["线上", "线下"]);
  });

  test("import targets are named by the field's label, errors too", () => {
    expect(targetLabel(zh, "customer", "custom_fields.store_area", { store_area: "门店面积" })).toBe("门店面积");
    expect(targetLabel(zh, "customer", "custom_fields.gone")).toBe("gone");
    expect(describeError(zh, "customer", [], { field: "custom_fields.store_area", reason: "invalid_number", params: { value: "大" } }, { store_area: "门店面积" })).toEqual({
      where: "门店面积",
      value: "大",
      reason: "不是有效的数字",
    });
  });
});

describe("the calls", () => {
  test("definitions, the company's words and a restore are sent as the core and the server take them", async () => {
    const { crm, sent } = fakeCrm((req) => {
      if (req.op === "custom_fields") return { type: "custom_fields", fields: [] };
      if (req.op === "server") return { type: "server_response", status: 200, body: { restored: "b.sqlite3", kept: "before.sqlite3", epoch: "e" }, file: null };
      return { type: "record", id: "x", kind: "setting", fields: {} };
    });
    await crm.customFields("contact");
    await crm.setSettingText("company.timezone", "Europe/Berlin");
    expect(await crm.restoreBackup("field-crm 1.sqlite3", "field-crm 1.sqlite3")).toMatchObject({ kept: "before.sqlite3" });
    expect(sent).toEqual([
      { op: "custom_fields", kind: "contact" },
      { op: "create", kind: "setting", fields: { key: "company.timezone", text: "Europe/Berlin" } },
      { op: "server", method: "POST", path: "/api/admin/backups/field-crm%201.sqlite3/restore", body: { confirm: "field-crm 1.sqlite3" } },
    ]);
  });

  test("a restore confirmed with another name is refused in words", async () => {
    const { crm } = fakeCrm(() => ({ type: "server_response", status: 400, body: { code: "confirm_mismatch", message: "to restore, send …" }, file: null }));
    const refused = await crm.restoreBackup("a.sqlite3", "b").catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ServerRefusal);
    expect(errorText(zh, refused)).toBe("输入的名称与备份名称不一致，服务器没有恢复。");
  });
});
