// What the import screen shows, in words: which kinds may be imported, the keys ticked at
// first, a column's target and a row's errors named by the spreadsheet's own headers, and the
// format the refused rows come back in. No rule of the import lives here: the core decides.

import type { ImportFieldError, ImportPlanRow, ImportPreview, KindSchema } from "../../api";
import type { T } from "../../i18n";
import { customKey } from "../../customFields";
import { codeText } from "../../errors";
import { fieldLabel } from "../records/FieldInput";

/// The kinds every writing role may import (reference data and accounts are the admin's, in
/// their own screens), customers first.
export function importKinds(schema: KindSchema[]): string[] {
  const kinds = schema.filter((k) => !k.admin_only).map((k) => k.kind);
  return [...kinds.filter((k) => k === "customer"), ...kinds.filter((k) => k !== "customer")];
}

/// The keys ticked before the person chooses: name and phones where the kind has them (the
/// core offers name, phones, email and code a kind has), so a file of customers already here
/// does not make them twice.
export function defaultKeys(schema: KindSchema[], kind: string): string[] {
  const fields = schema.find((k) => k.kind === kind)?.fields.map((f) => f.name) ?? [];
  return ["name", "phones"].filter((f) => fields.includes(f));
}

const CONTACT_TARGET = /^contacts\.(\d+)\.(\w+)$/;

/// The labels of a kind's custom fields in the language, by key.
export type CustomLabels = Record<string, string>;

/// A target in words: a field of the kind, a custom field by its label (`custom`, by key), or
/// "Contact 2 · Phones" for a customer row's contact.
export function targetLabel(t: T, kind: string, target: string, custom: CustomLabels = {}): string {
  const m = CONTACT_TARGET.exec(target);
  if (m) return t("import.contact_field", { n: Number(m[1]), field: fieldLabel(t, "contact", m[2]) });
  const key = customKey(target);
  if (key !== null) return custom[key] ?? key;
  return fieldLabel(t, kind, target);
}

/// The group a target belongs to in the column select: the kind's own fields, or contact N.
export function targetGroup(target: string): number {
  const m = CONTACT_TARGET.exec(target);
  return m ? Number(m[1]) : 0;
}

const paramsOf = (e: ImportFieldError): Record<string, unknown> =>
  e.params && typeof e.params === "object" && !Array.isArray(e.params) ? (e.params as Record<string, unknown>) : {};

/// One refused field as the person sees it: the column it came from (by its header: the one the
/// core names, else the column mapped to that field, else the field's label), the cell's value
/// when the core says it, and the reason in words.
export function describeError(
  t: T,
  kind: string,
  columns: ImportPreview["columns"],
  e: ImportFieldError,
  custom: CustomLabels = {},
): { where: string; value: string | null; reason: string } {
  const p = paramsOf(e);
  const value = typeof p.value === "string" || typeof p.value === "number" ? String(p.value) : null;
  const reason = e.field === "*" && e.reason === "forbidden" ? t("import.row_forbidden") : codeText(t, e.reason, e.params);
  if (e.field === "*") return { where: t("import.whole_row"), value: null, reason };
  const header = typeof p.header === "string" && p.header ? p.header : columns.find((c) => c.target === e.field)?.header;
  return { where: header ?? targetLabel(t, kind, e.field, custom), value, reason };
}

/// Why a row is skipped, or which record it updates, in words.
export function rowNote(t: T, row: ImportPlanRow): string | null {
  if (row.action === "skip" && row.why === "duplicate_in_file") return t("import.why_duplicate_in_file", { line: row.same_as_line ?? "" });
  if (row.action === "skip") return t("import.why_exists");
  if (row.action === "update") return t("import.will_update");
  return null;
}

/// The rows shown for one action: the first `limit` of those the preview describes.
export function rowsOf(plan: ImportPlanRow[], action: ImportPlanRow["action"], limit: number): ImportPlanRow[] {
  return plan.filter((r) => r.action === action).slice(0, limit);
}

/// Refused rows come back as the file came in: a CSV for a CSV (UTF-8 with a byte-order mark,
/// which Excel opens), an Excel workbook otherwise.
export function rejectedFormat(format: string): "csv" | "xlsx" {
  return format.startsWith("csv") ? "csv" : "xlsx";
}

/// Whole percent done, never past 100.
export function percent(done: number, total: number): number {
  if (total <= 0) return done > 0 ? 100 : 0;
  return Math.min(100, Math.floor((done * 100) / total));
}

/// Where a record of this kind opens, for the kinds with a page of their own.
export function recordPath(kind: string, id: string): string | null {
  if (kind === "customer") return `/customers/${id}`;
  if (kind === "service_request") return `/service/${id}`;
  if (kind === "churn_case") return `/churn/${id}`;
  return null;
}
