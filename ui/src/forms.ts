// Form models: which fields a form shows (presentation only; the core validates), turning
// what a person typed into request fields, and drafts that survive navigating away, closing
// the window and going offline.

import type { FieldSchema, Fields, Json, KindSchema, Money, RecordView } from "./api";
import { moneyInput, parseMoney } from "./i18n";

export type FormValues = Record<string, string | boolean>;

/// The fields each form shows, in order.
export const FORM_FIELDS: Record<string, string[]> = {
  customer: [
    "name",
    "grade",
    "status",
    "type",
    "industry",
    "region",
    "source",
    "phones",
    "email",
    "do_not_email",
    "address",
    "website",
    "tax_id",
    "bank",
    "bank_account",
    "credit_limit",
    "tags",
    "owner",
    "notes",
  ],
  contact: ["name", "title", "phones", "email", "do_not_email", "is_primary", "notes"],
  opportunity: ["title", "stage", "amount", "probability", "expected_close", "owner", "loss_reason", "notes"],
  // The customer is asked only when the request is not started from a customer's page.
  service_request: ["customer", "title", "type", "priority", "due", "contact", "description"],
  lead: ["name", "company", "title", "phones", "email", "do_not_email", "source", "campaign", "region", "address", "next_follow_up", "tags", "notes"],
  article: ["title", "category", "tags", "pinned", "body"],
  // Money in yuan (minor units on the way); the target filter is built by `TargetFilterInput`.
  campaign: ["name", "type", "starts_on", "ends_on", "channel", "budget", "actual_cost", "target_kind", "target_filter", "notes"],
  // A person's employee profile (the admin's users section); the account's own fields
  // (username, role, team, active) are the server's.
  user: ["employee_no", "department", "position", "phones", "email", "hire_date"],
};

/// Notes fields written in Markdown, shown with a preview beside the box.
export const MARKDOWN_FIELDS: Record<string, string[]> = { article: ["body"] };

const LIST_SPLIT = /[,，;；\n]+/;

export function fieldSpec(schema: KindSchema[], kind: string, name: string): FieldSchema | undefined {
  return schema.find((k) => k.kind === kind)?.fields.find((f) => f.name === name);
}

/// Form values from a record (for editing) or empty ones (for creating).
export function valuesFrom(kind: string, schema: KindSchema[], record?: RecordView | null): FormValues {
  const values: FormValues = {};
  for (const name of FORM_FIELDS[kind] ?? []) {
    const spec = fieldSpec(schema, kind, name);
    const v = record?.fields[name];
    switch (spec?.type) {
      case "boolean":
        values[name] = v === true;
        break;
      case "money":
        values[name] = moneyInput(v as Money | undefined);
        values[`${name}__currency`] = (v as Money | undefined)?.currency ?? "CNY";
        break;
      case "phones":
      case "tags":
        values[name] = Array.isArray(v) ? v.join(", ") : "";
        break;
      default:
        values[name] = v === null || v === undefined ? "" : String(v);
        if (!record && typeof spec?.default === "string" && spec.type === "enum") values[name] = spec.default;
    }
  }
  return values;
}

export interface Converted {
  fields: Fields;
  /// Problems found before asking the core (an amount that is not a number).
  errors: Record<string, { reason: string; params: Json }>;
}

/// Request fields from form values. Creating leaves empty fields out; editing sends only
/// fields that differ from `initial`, with `null` for a cleared field.
export function toFields(kind: string, schema: KindSchema[], values: FormValues, initial?: FormValues): Converted {
  const fields: Fields = {};
  const errors: Converted["errors"] = {};
  for (const name of FORM_FIELDS[kind] ?? []) {
    const spec = fieldSpec(schema, kind, name);
    if (!spec) continue;
    const raw = values[name];
    const changed =
      !initial ||
      raw !== initial[name] ||
      (spec.type === "money" && values[`${name}__currency`] !== initial[`${name}__currency`]);
    if (!changed) continue;
    const text = typeof raw === "string" ? raw.trim() : "";
    let value: Json;
    switch (spec.type) {
      case "boolean":
        value = raw === true;
        break;
      case "money": {
        if (text === "") {
          value = null;
          break;
        }
        const minor = parseMoney(text);
        if (minor === null) {
          errors[name] = { reason: "invalid_amount", params: null };
          continue;
        }
        value = { minor, currency: String(values[`${name}__currency`] || "CNY") };
        break;
      }
      case "integer":
        value = text === "" ? null : /^-?\d+$/.test(text) ? Number(text) : text;
        break;
      case "phones":
      case "tags":
        value = text === "" ? [] : text.split(LIST_SPLIT).map((s) => s.trim()).filter(Boolean);
        break;
      case "notes":
        value = typeof raw === "string" ? raw : "";
        break;
      default:
        value = text === "" ? null : text;
    }
    const empty = value === null || (Array.isArray(value) && value.length === 0) || value === "";
    if (!initial && empty) continue;
    fields[name] = value;
  }
  return { fields, errors };
}

// ---- drafts ---------------------------------------------------------------------------

const DRAFT_PREFIX = "field-crm:draft:";

export interface Draft {
  values: FormValues;
  saved_at: string;
}

export function saveDraft(key: string, values: FormValues, storage: Storage = localStorage): void {
  try {
    storage.setItem(DRAFT_PREFIX + key, JSON.stringify({ values, saved_at: new Date().toISOString() }));
  } catch {
    // Storage full or unavailable: the form still works, only the draft is not kept.
  }
}

export function loadDraft(key: string, storage: Storage = localStorage): Draft | null {
  try {
    const raw = storage.getItem(DRAFT_PREFIX + key);
    if (!raw) return null;
    const draft = JSON.parse(raw) as Draft;
    return draft && typeof draft.values === "object" ? draft : null;
  } catch {
    return null;
  }
}

export function clearDraft(key: string, storage: Storage = localStorage): void {
  storage.removeItem(DRAFT_PREFIX + key);
}

/// Whether the draft differs from what the form would start with.
export function isDirty(values: FormValues, initial: FormValues): boolean {
  return Object.keys({ ...values, ...initial }).some((k) => (values[k] ?? "") !== (initial[k] ?? ""));
}
