// Reports in words: which reports there are and what each takes, the periods a person picks,
// the scopes a role may ask for, every cell type as text, and the labels a spreadsheet export
// is written with. No figure is computed here: the core sends them; this only shows them.

import type { Grain, Item, Json, Report, ReportColumn, ReportName, ReportParams, ReportScope, ReportTable, Role } from "../../api";
import { dictLabel, formatDate, formatMoney } from "../../i18n";
import type { Lang, T } from "../../i18n";

export const GRAINS: Grain[] = ["day", "week", "month", "quarter", "year"];

/// A report's own options: a choice among words, or a whole number in a range.
export type OptionSpec =
  | { key: string; kind: "choice"; values: string[] }
  | { key: string; kind: "number"; min: number; max: number; default: number };

/// The seven reports in the order the list shows them, with their options (docs/api.md).
export const REPORTS: { name: ReportName; options: OptionSpec[]; period: boolean }[] = [
  {
    name: "contribution",
    period: true,
    options: [
      { key: "basis", kind: "choice", values: ["orders", "payments"] },
      { key: "a", kind: "number", min: 1, max: 100, default: 80 },
      { key: "b", kind: "number", min: 1, max: 100, default: 95 },
    ],
  },
  { name: "composition", period: true, options: [{ key: "by", kind: "choice", values: ["grade", "type", "industry", "region", "source", "status", "owner"] }] },
  { name: "service", period: true, options: [] },
  { name: "churn", period: true, options: [] },
  { name: "funnel", period: true, options: [] },
  { name: "performance", period: true, options: [] },
  // Receivables are as of today: no period.
  { name: "receivables", period: false, options: [] },
];

export function reportSpec(name: string) {
  return REPORTS.find((r) => r.name === name);
}

export type PeriodPreset = "this_month" | "last_month" | "this_quarter" | "this_year" | "custom";
export const PERIOD_PRESETS: PeriodPreset[] = ["this_month", "last_month", "this_quarter", "this_year", "custom"];

const pad = (n: number) => String(n).padStart(2, "0");
/// The last day of a month (`month` 1–12) as `YYYY-MM-DD`.
function monthEnd(year: number, month: number): string {
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${year}-${pad(month)}-${pad(days)}`;
}

/// The days of a preset around `today` (`YYYY-MM-DD`), both included.
export function presetRange(preset: Exclude<PeriodPreset, "custom">, today: string): { from: string; to: string } {
  const [y, m] = today.split("-").map(Number);
  switch (preset) {
    case "this_month":
      return { from: `${y}-${pad(m)}-01`, to: monthEnd(y, m) };
    case "last_month": {
      const [ly, lm] = m === 1 ? [y - 1, 12] : [y, m - 1];
      return { from: `${ly}-${pad(lm)}-01`, to: monthEnd(ly, lm) };
    }
    case "this_quarter": {
      const first = Math.floor((m - 1) / 3) * 3 + 1;
      return { from: `${y}-${pad(first)}-01`, to: monthEnd(y, first + 2) };
    }
    case "this_year":
      return { from: `${y}-01-01`, to: `${y}-12-31` };
  }
}

/// Today as `YYYY-MM-DD` in a time zone (the company's, once a report has named it), else the
/// device's.
export function todayIn(zone: string | null | undefined, now = new Date()): string {
  try {
    return new Intl.DateTimeFormat("en-CA", { timeZone: zone ?? undefined, year: "numeric", month: "2-digit", day: "2-digit" }).format(now);
  } catch {
    return new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit" }).format(now);
  }
}

/// The scopes a role may ask for, narrowest first (the core refuses more, `forbidden`): a
/// salesperson their own; a supervisor theirs or the team's; an admin also everyone's; finance
/// everyone's; a viewer their team's, or everyone's without a team.
export function scopesFor(role: Role | undefined, team: string | null | undefined): ReportScope[] {
  switch (role) {
    case "admin":
      return ["mine", "team", "all"];
    case "supervisor":
      return ["mine", "team"];
    case "finance":
      return ["all"];
    case "viewer":
      return [team ? "team" : "all"];
    default:
      return ["mine"];
  }
}

/// What is asked of the core for the screen's choices.
export interface Choices {
  preset: PeriodPreset;
  from?: string;
  to?: string;
  group_by?: Grain;
  scope?: ReportScope;
  owner?: string;
  options: Record<string, Json>;
}

export function reportParams(name: ReportName, c: Choices, today: string): ReportParams {
  const spec = reportSpec(name);
  const range = !spec?.period ? {} : c.preset === "custom" ? { from: c.from, to: c.to } : presetRange(c.preset, today);
  const options = Object.fromEntries(Object.entries(c.options).filter(([, v]) => v !== null && v !== undefined && v !== ""));
  return {
    name,
    ...(range.from ? { from: range.from } : {}),
    ...(range.to ? { to: range.to } : {}),
    ...(c.group_by ? { group_by: c.group_by } : {}),
    ...(c.scope ? { scope: c.scope } : {}),
    ...(c.owner ? { owner: c.owner } : {}),
    ...(Object.keys(options).length > 0 ? { options } : {}),
  };
}

// ---- cells in words ---------------------------------------------------------------------

/// What formatting a report needs besides the value: the language, translations, the
/// dictionaries, the people, the report's currency.
export interface CellContext {
  lang: Lang;
  t: T;
  dicts: Item[];
  userName: (id: string) => string;
  currency: string;
}

/// Whether `key` has words (`t` answers the key itself when not).
const has = (t: T, key: string) => t(key) !== key;

/// A code of `codes` (`dict:NAME`, `enum:KIND.FIELD`, `enum:abc`, `enum:report.X`) in words;
/// the code itself when nothing names it.
export function codeLabel(ctx: Pick<CellContext, "t" | "lang" | "dicts">, codes: string, code: string): string {
  const { t, lang, dicts } = ctx;
  if (code === "none") return t("report.none");
  if (codes.startsWith("dict:")) return dictLabel(lang, dicts, codes.slice(5), code);
  const [kind, field] = codes.slice("enum:".length).split(".");
  const keys =
    kind === "abc"
      ? [`report.abc.${code}`]
      : kind === "report"
        ? [`report.${field}.${code}`]
        : kind === "opportunity" && field === "stage"
          ? [`stage.${code}`]
          : [`state.${kind}.${code}`, `${field}.${code}`];
  const key = keys.find((k) => has(t, k));
  return key ? t(key) : code;
}

/// Basis points as a percentage with two decimals ("80.00%"), in whole numbers throughout.
export function percentText(bp: number): string {
  const n = Math.trunc(bp);
  const abs = Math.abs(n);
  return `${n < 0 ? "-" : ""}${Math.floor(abs / 100)}.${pad(abs % 100)}%`;
}

/// Hundredths as a number with two decimals (425 → "4.25").
export function hundredthsText(h: number): string {
  const n = Math.trunc(h);
  const abs = Math.abs(n);
  return `${n < 0 ? "-" : ""}${Math.floor(abs / 100)}.${pad(abs % 100)}`;
}

/// A duration: minutes under an hour, hours and minutes under two days, else days and hours.
export function durationText(t: T, seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const minutes = Math.round(s / 60);
  if (minutes < 60) return t("report.duration.minutes", { minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return t("report.duration.hours", { hours, minutes: minutes % 60 });
  return t("report.duration.days", { days: Math.floor(hours / 24), hours: hours % 24 });
}

/// One cell in words; `null` (nothing to divide by, no target) as "—".
export function cellText(ctx: CellContext, column: ReportColumn, value: Json | undefined): string {
  if (value === null || value === undefined || value === "") return "—";
  const n = typeof value === "number" ? value : null;
  switch (column.type) {
    case "money":
      return n === null ? String(value) : formatMoney(ctx.lang, { minor: n, currency: ctx.currency });
    case "percent":
      return n === null ? String(value) : percentText(n);
    case "hundredths":
      return n === null ? String(value) : hundredthsText(n);
    case "seconds":
      return n === null ? String(value) : durationText(ctx.t, n);
    case "count":
      return n === null ? String(value) : new Intl.NumberFormat(ctx.lang).format(n);
    case "date":
      return formatDate(ctx.lang, String(value));
    case "user":
      return ctx.userName(String(value)) || String(value);
    case "code":
      return column.codes ? codeLabel(ctx, column.codes, String(value)) : String(value);
    case "text":
      // A team's code or a reason; teams without one are "none".
      return value === "none" ? ctx.t("report.none") : String(value);
    default:
      return String(value);
  }
}

/// A column's header: the table's own word for it, else the column's, else (a column per
/// value) the value it counts — a code, or a person.
export function headerText(ctx: CellContext, table: ReportTable, column: ReportColumn, report?: Report): string {
  const { t } = ctx;
  if (column.key === "value" && typeof report?.filters.by === "string") return t(`report.option.by.${report.filters.by}`);
  for (const key of [`report.column.${table.key}.${column.key}`, `report.column.${column.key}`]) if (has(t, key)) return t(key);
  if (column.codes) return codeLabel(ctx, column.codes, column.key);
  return ctx.userName(column.key) || column.key;
}

// ---- the spreadsheet's words -------------------------------------------------------------

/// The labels `report_export` writes a report with, in the language shown: its name, its
/// tables, headers, filters and their values, and every code that appears (`CODES:VALUE`).
export function exportLabels(ctx: CellContext, report: Report): Record<string, string> {
  const { t } = ctx;
  const labels: Record<string, string> = {
    [`report.${report.name}`]: t(`report.name.${report.name}`),
    "table.filters": t("report.filters"),
    "filter.report": t("report.report"),
  };
  for (const key of Object.keys(report.filters)) {
    if (has(t, `report.filter.${key}`)) labels[`filter.${key}`] = t(`report.filter.${key}`);
    const value = report.filters[key];
    if (typeof value !== "string") continue;
    for (const word of [`report.${key}.${value}`, `report.option.${key}.${value}`]) {
      if (has(t, word)) labels[`filter.${key}:${value}`] = t(word);
    }
  }
  for (const table of report.tables) {
    labels[`table.${table.key}`] = t(`report.table.${table.key}`);
    for (const column of table.columns) {
      if (column.codes && column.type !== "code") {
        labels[`${column.codes}:${column.key}`] = codeLabel(ctx, column.codes, column.key);
      } else {
        labels[`column.${column.key}`] ??= headerText(ctx, table, column, report);
      }
      if (column.type !== "code" || !column.codes) continue;
      for (const row of [...table.rows.map((r) => r.cells), table.totals ?? {}]) {
        const code = row[column.key];
        if (typeof code === "string") labels[`${column.codes}:${code}`] = codeLabel(ctx, column.codes, code);
      }
    }
  }
  return labels;
}

// ---- records behind a row ----------------------------------------------------------------

/// Where a record behind a figure opens: its own page where it has one, a payment its
/// document's, an opportunity its customer's.
export function drillPath(kind: string, id: string, fields: Record<string, Json>): string | null {
  const ref = (f: string) => (typeof fields[f] === "string" && fields[f] !== "" ? (fields[f] as string) : null);
  switch (kind) {
    case "customer":
      return `/customers/${id}`;
    case "service_request":
      return `/service/${id}`;
    case "churn_case":
      return `/churn/${id}`;
    case "quote":
    case "contract":
    case "order":
      return `/sales/${kind}/${id}`;
    case "payment":
      if (ref("contract")) return `/sales/contract/${ref("contract")}`;
      if (ref("sales_order")) return `/sales/order/${ref("sales_order")}`;
      return ref("customer") ? `/customers/${ref("customer")}` : null;
    default:
      return ref("customer") ? `/customers/${ref("customer")}` : null;
  }
}
