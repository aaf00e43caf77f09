import { describe, expect, test } from "vitest";
import type { KindSchema } from "../src/api";
import { clearDraft, isDirty, loadDraft, saveDraft, toFields, valuesFrom } from "../src/forms";

const schema: KindSchema[] = [
  {
    kind: "customer",
    title_field: "name",
    admin_only: false,
    fields: [
      { name: "name", type: "string", required: true, max_chars: 200 },
      { name: "grade", type: "dictionary", required: false, dictionary: "customer_grade" },
      { name: "phones", type: "phones", required: false },
      { name: "tags", type: "tags", required: false },
      { name: "notes", type: "notes", required: false },
      { name: "website", type: "string", required: false },
    ],
  },
  {
    kind: "opportunity",
    title_field: "title",
    admin_only: false,
    fields: [
      { name: "title", type: "string", required: true },
      { name: "stage", type: "enum", required: true, choices: ["lead", "won"], default: "lead" },
      { name: "amount", type: "money", required: false },
      { name: "probability", type: "integer", required: false, min: 0, max: 100 },
    ],
  },
];

describe("forms", () => {
  test("a new record sends only what was filled in, in the core's encodings", () => {
    const values = { ...valuesFrom("customer", schema), name: " 杭州宏达 ", phones: "0571-1234 5678，13912345678", tags: "VIP, 重点" };
    expect(toFields("customer", schema, values)).toEqual({
      fields: { name: "杭州宏达", phones: ["0571-1234 5678", "13912345678"], tags: ["VIP", "重点"] },
      errors: {},
    });
  });

  test("money is parsed to minor units; a bad amount is caught before the core", () => {
    const values = { ...valuesFrom("opportunity", schema), title: "设备", amount: "88,000.5", probability: "60" };
    expect(values.stage).toBe("lead");
    expect(toFields("opportunity", schema, values).fields).toEqual({
      title: "设备",
      stage: "lead",
      amount: { minor: 8_800_050, currency: "CNY" },
      probability: 60,
    });
    const bad = toFields("opportunity", schema, { ...values, amount: "八千" });
    expect(bad.errors.amount.reason).toBe("invalid_amount");
    expect(bad.fields.amount).toBeUndefined();
  });

  test("an edit sends only changed fields, and null for a cleared one", () => {
    const record = {
      type: "record" as const,
      id: "x",
      kind: "customer",
      fields: { name: "A", website: "a.cn", tags: ["x"] },
      created_at: "",
      created_by: null,
      updated_at: "",
      deleted_at: null,
      names: {},
    };
    const initial = valuesFrom("customer", schema, record);
    expect(initial.tags).toBe("x");
    const edited = { ...initial, website: "", grade: "B" };
    expect(toFields("customer", schema, edited, initial).fields).toEqual({ website: null, grade: "B" });
    expect(isDirty(edited, initial)).toBe(true);
    expect(isDirty({ ...initial }, initial)).toBe(false);
  });

  test("drafts are kept per form and survive a reload of the storage", () => {
    const store = new Map<string, string>();
    const storage = {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
      removeItem: (k: string) => void store.delete(k),
    } as unknown as Storage;
    saveDraft("new:customer:", { name: "草稿" }, storage);
    saveDraft("edit:1", { name: "另一个" }, storage);
    expect(loadDraft("new:customer:", storage)?.values).toEqual({ name: "草稿" });
    clearDraft("new:customer:", storage);
    expect(loadDraft("new:customer:", storage)).toBeNull();
    expect(loadDraft("edit:1", storage)?.values.name).toBe("另一个");
    store.set("field-crm:draft:broken", "{not json");
    expect(loadDraft("broken", storage)).toBeNull();
  });
});
