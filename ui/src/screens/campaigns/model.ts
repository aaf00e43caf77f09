// Campaigns (营销活动): the target filter as rows a person builds and as the JSON text the core
// keeps in `target_filter`, the effect's basis points in words, and the email to the target list
// as a request. Presentation only: the core freezes the list, counts the effect and queues mail.

import type { FieldSchema, Json, KindSchema, ListQuery } from "../../api";

export const CAMPAIGN_STATES = ["planned", "running", "ended", "cancelled"];
export const TARGET_KINDS = ["customer", "contact", "lead"];

/// One condition of a target filter: a field and the values any of which it may hold.
export interface FilterRow {
  field: string;
  values: string[];
}

/// The fields of `kind` a target filter offers: filterable ones with a fixed set of values
/// (a dictionary, a list of choices, a yes/no, a person).
export function filterableFields(schema: KindSchema[], kind: string): FieldSchema[] {
  const fields = schema.find((k) => k.kind === kind)?.fields ?? [];
  return fields.filter(
    (f) =>
      f.filterable &&
      (f.type === "dictionary" || f.type === "enum" || f.type === "boolean" || (f.type === "reference" && f.kind === "user")),
  );
}

/// The rows a saved filter holds, or null when it is not one the builder can show (then it is
/// kept as it is, as text).
export function parseFilter(text: string): FilterRow[] | null {
  if (!text.trim()) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return null;
  const rows: FilterRow[] = [];
  for (const [field, v] of Object.entries(parsed as Record<string, unknown>)) {
    const values = Array.isArray(v) ? v : [v];
    if (!values.every((x) => typeof x === "string" || typeof x === "boolean")) return null;
    rows.push({ field, values: values.map(String) });
  }
  return rows;
}

/// The JSON text of the rows (rows without a field or a value are left out; one value as itself,
/// several as a list; a yes/no as a boolean). Empty rows give "".
export function filterText(rows: FilterRow[], fields: FieldSchema[]): string {
  const filter: Record<string, Json> = {};
  for (const r of rows) {
    if (!r.field || r.values.length === 0) continue;
    const boolean = fields.find((f) => f.name === r.field)?.type === "boolean";
    const values: Json[] = r.values.map((v) => (boolean ? v === "true" : v));
    filter[r.field] = values.length === 1 ? values[0] : values;
  }
  return Object.keys(filter).length ? JSON.stringify(filter) : "";
}

/// Basis points as a percentage in words: 2500 → "25%", 1234 → "12.34%"; null when unknown.
export function percentOf(bp: number | null | undefined): string | null {
  if (bp === null || bp === undefined) return null;
  const sign = bp < 0 ? "-" : "";
  const abs = Math.abs(bp);
  const whole = Math.floor(abs / 100);
  const cents = abs % 100;
  const frac = cents === 0 ? "" : `.${String(cents).padStart(2, "0").replace(/0$/, "")}`;
  return `${sign}${whole}${frac}%`;
}

/// The campaigns list, the soonest start first within a state filter.
export function campaignQuery(status: string | undefined, limit = 100): ListQuery {
  return { filter: status ? { status } : {}, sort: "starts_on", desc: true, limit };
}

/// The per-recipient status of a campaign's emails.
export function recipientsQuery(campaign: string, limit = 200): ListQuery {
  return { filter: { campaign, type: "email" }, sort: "time", desc: true, limit, names: true };
}
