// Sales documents on screen: a document's lines and payment plan as typed (text in boxes) and
// as requests (minor units, basis points, exact quantities), the refusals of a line put back
// on the line, and the core's reasons (`needs`) in words. Presentation only: every figure a
// document adds up to comes from the core (`totals` for a form, the record's derived fields once
// saved), and every rule — what needs approval, what a price list gives — is the core's.

import type { ConflictValue, Fields, Json, Money, Need, SalesLine } from "../../api";
import { CrmError } from "../../api";
import { currencyDigits, formatDate, formatMoney, moneyInput, parseMoney } from "../../i18n";
import type { Lang, T } from "../../i18n";

/// The kinds with lines, in the order the sales screen's tabs show them.
export const DOC_KINDS = ["quote", "contract", "order"] as const;
export type DocKind = (typeof DOC_KINDS)[number];
export const isDocKind = (kind: string | undefined): kind is DocKind => (DOC_KINDS as readonly string[]).includes(kind ?? "");

/// Every workflow state of each sales kind, in the order they come (list filters).
export const STATES: Record<string, string[]> = {
  quote: ["draft", "pending", "approved", "rejected", "sent", "accepted", "expired"],
  contract: ["to_sign", "signed", "executing", "completed", "void"],
  order: ["submitted", "confirmed", "shipped", "completed", "cancelled"],
  payment: ["recorded", "confirmed", "rejected"],
  invoice: ["requested", "issued", "void"],
};

/// What a document's form asks besides its customer, lines and whole-document discount.
export const DOC_FIELDS: Record<DocKind, string[]> = {
  quote: ["title", "contact", "valid_until", "currency", "notes"],
  contract: ["title", "contact", "start_date", "end_date", "currency", "notes"],
  order: ["contact", "delivery_address", "currency", "notes"],
};

/// Where a sales record is shown: a document's page, or (payments, invoices) the page of the
/// document they belong to, else their customer's.
export function docPath(kind: string, id: string): string {
  return `/sales/${kind}/${id}`;
}

// ---- lines ------------------------------------------------------------------------------

/// One line as its boxes hold it. `key` tells rows apart before the core gives a new line its
/// `id`; `priced` is set once the person typed the unit price, so a new quantity no longer
/// takes the price lists' price for it.
export interface LineDraft {
  key: string;
  id?: string;
  product?: string;
  /// The product's code, to show beside its name.
  code?: string;
  name: string;
  unit: string;
  quantity: string;
  list_price: string;
  unit_price: string;
  /// Percent as typed ("13", "9.5"); sent in basis points.
  tax_rate: string;
  priced?: boolean;
  /// A product was just chosen: its name, unit, prices and tax rate are to be filled from the
  /// core's `price` when it answers.
  fill?: boolean;
}

/// The parts of a line a person types, in the order of its boxes.
export const LINE_PARTS = ["product", "name", "unit", "quantity", "list_price", "unit_price", "tax_rate"] as const;

let seq = 0;
/// A key for a row that has no id yet.
export function newKey(): string {
  seq += 1;
  return `new-${Date.now().toString(36)}-${seq}`;
}

export function emptyLine(): LineDraft {
  return { key: newKey(), name: "", unit: "", quantity: "", list_price: "", unit_price: "", tax_rate: "" };
}

/// A tax rate in basis points as a person types it in percent: 1300 → "13", 950 → "9.5".
export function rateInput(bp: number | null | undefined): string {
  if (typeof bp !== "number" || !Number.isInteger(bp)) return "";
  const whole = Math.trunc(bp / 100);
  const rest = String(bp % 100).padStart(2, "0").replace(/0+$/, "");
  return rest ? `${whole}.${rest}` : String(whole);
}

/// A percent typed ("13", "13 %", "9.5") in basis points; null when it is not a plain
/// number with at most two decimals.
export function parseRate(text: string): number | null {
  const m = /^(\d{1,5})(?:\.(\d{0,2}))?$/.exec(text.replace(/[\s%％]/g, ""));
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0") || "0");
}

/// A rate in words: 1300 → "13%".
export function formatRate(bp: number | null | undefined): string {
  const said = rateInput(bp);
  return said ? `${said}%` : "";
}

/// The minor units of a money field (a derived total), null when it has none.
export function minorOf(v: Json | undefined): number | null {
  return v && typeof v === "object" && !Array.isArray(v) && typeof v.minor === "number" ? v.minor : null;
}

/// A money field as money, null when it has none.
export function moneyOf(v: Json | undefined): Money | null {
  const minor = minorOf(v);
  if (minor === null) return null;
  const currency = (v as { currency?: Json }).currency;
  return { minor, currency: typeof currency === "string" ? currency : "CNY" };
}

/// A document's currency (the schema's default when it has none).
export function currencyOf(fields: Fields): string {
  return typeof fields.currency === "string" && fields.currency ? fields.currency : "CNY";
}

/// An amount in minor units as a box holds it ("1180.00").
export function amountInput(minor: Json | undefined, currency: string): string {
  return typeof minor === "number" ? moneyInput({ minor, currency }) : "";
}

/// A line of a record (an item of its `lines`) in boxes.
export function lineFromItem(item: Fields, currency: string): LineDraft {
  const text = (v: Json | undefined) => (v === null || v === undefined ? "" : String(v));
  return {
    key: typeof item.id === "string" ? item.id : newKey(),
    id: typeof item.id === "string" ? item.id : undefined,
    product: typeof item.product === "string" && item.product ? item.product : undefined,
    name: text(item.name),
    unit: text(item.unit),
    quantity: text(item.quantity),
    list_price: amountInput(item.list_price, currency),
    unit_price: amountInput(item.unit_price, currency),
    tax_rate: rateInput(item.tax_rate as number | undefined),
    // A saved price is the person's: a new quantity does not replace it.
    priced: true,
  };
}

/// Nothing typed and no product: a row left empty is not part of the document.
export function isBlankLine(d: LineDraft): boolean {
  return !d.product && [d.name, d.unit, d.quantity, d.list_price, d.unit_price, d.tax_rate].every((v) => v.trim() === "");
}

/// What a part of a line that could not even be sent is (the core says the rest).
export type LocalErrors = Record<string, string>;

/// One line as a request writes it. Amounts the boxes cannot hold as money, and a rate that is
/// not a percent, are named in `errors` (reasons `invalid_amount`, `invalid_rate`); a quantity
/// goes as typed, for the core to read exactly (or refuse).
export function lineRequest(d: LineDraft, currency: string): { line: SalesLine; errors: LocalErrors } {
  const digits = currencyDigits(currency);
  const errors: LocalErrors = {};
  const line: SalesLine = {};
  if (d.id) line.id = d.id;
  // A saved line that no longer names a product is cleared of it.
  if (d.product) line.product = d.product;
  else if (d.id) line.product = null;
  line.name = d.name.trim();
  if (d.unit.trim()) line.unit = d.unit.trim();
  else if (d.id) line.unit = null;
  const quantity = d.quantity.trim();
  if (quantity) line.quantity = quantity;
  const money = (part: "list_price" | "unit_price") => {
    const text = d[part].trim();
    if (text === "") {
      if (d.id && part === "list_price") line.list_price = null;
      return;
    }
    const minor = parseMoney(text, digits);
    if (minor === null) errors[part] = "invalid_amount";
    else line[part] = minor;
  };
  money("list_price");
  money("unit_price");
  const rate = d.tax_rate.trim();
  if (rate) {
    const bp = parseRate(rate);
    if (bp === null) errors.tax_rate = "invalid_rate";
    else line.tax_rate = bp;
  } else if (d.id) line.tax_rate = null;
  return { line, errors };
}

/// The lines of a form as a request: rows left empty are left out; `index[i]` is the row of the
/// request's line `i`, to put the core's refusals back on their rows.
export function linesRequest(drafts: LineDraft[], currency: string): { lines: SalesLine[]; errors: Record<number, LocalErrors>; index: number[] } {
  const lines: SalesLine[] = [];
  const errors: Record<number, LocalErrors> = {};
  const index: number[] = [];
  drafts.forEach((d, row) => {
    if (isBlankLine(d)) return;
    const r = lineRequest(d, currency);
    if (Object.keys(r.errors).length) errors[row] = r.errors;
    lines.push(r.line);
    index.push(row);
  });
  return { lines, errors, index };
}

/// A field's refusal as the core gave it.
export interface Refused {
  reason: string;
  params: Json;
}

/// A validation refusal split into what is about a row's part (the list field `items` names,
/// with `params.item` — the request's index, put back on its row by `index` — and `part`), by
/// row, and what is about other fields.
export function splitRefusal(
  e: unknown,
  items: string,
  index: number[],
): { rows: Record<number, Record<string, Refused>>; fields: Record<string, Refused> } {
  const rows: Record<number, Record<string, Refused>> = {};
  const fields: Record<string, Refused> = {};
  if (!(e instanceof CrmError) || e.code !== "validation") return { rows, fields };
  const list = (e.params as { errors?: { field: string; reason: string; params?: Json }[] } | null)?.errors ?? [];
  for (const x of list) {
    const p = (x.params && typeof x.params === "object" && !Array.isArray(x.params) ? x.params : {}) as Record<string, Json>;
    if (x.field === items && typeof p.item === "number") {
      const row = index[p.item] ?? p.item;
      const part = typeof p.part === "string" ? p.part : "*";
      (rows[row] ??= {})[part] = { reason: x.reason, params: x.params ?? null };
    } else fields[x.field] = { reason: x.reason, params: x.params ?? null };
  }
  return { rows, fields };
}

/// How far below its list price a line's unit price is, in percent with one decimal (8.3);
/// null without a list price. Shown beside the price; what needs approval is the core's call.
export function discountPercent(listPrice: number | null | undefined, unitPrice: number | null | undefined): number | null {
  if (typeof listPrice !== "number" || typeof unitPrice !== "number" || listPrice <= 0) return null;
  return Math.round(((listPrice - unitPrice) * 1000) / listPrice) / 10;
}

/// Whether the lines as typed differ from the saved ones (so an edit writes `lines` only then).
export function linesChanged(drafts: LineDraft[], saved: LineDraft[]): boolean {
  const shape = (ds: LineDraft[]) =>
    JSON.stringify(ds.filter((d) => !isBlankLine(d)).map((d) => LINE_PARTS.map((p) => (p === "product" ? (d.product ?? "") : d[p].trim())).concat(d.id ?? "")));
  return shape(drafts) !== shape(saved);
}

/// A line conflict's address, `lines.ITEM_ID.PART` (docs/api.md, *Sales documents*), read back.
export function lineConflict(field: string): { item: string; part: string } | null {
  const m = /^lines\.([^.]+)\.([a-z_]+)$/.exec(field);
  return m ? { item: m[1], part: m[2] } : null;
}

/// The conflicts on one line, by part.
export function conflictsOfLine(conflicts: Record<string, ConflictValue[]> | undefined, item: string | undefined): Record<string, ConflictValue[]> {
  const out: Record<string, ConflictValue[]> = {};
  if (!item) return out;
  for (const [field, values] of Object.entries(conflicts ?? {})) {
    const at = lineConflict(field);
    if (at?.item === item) out[at.part] = values;
  }
  return out;
}

/// A competing value of a line's part in words.
export function partText(lang: Lang, part: string, value: Json, currency: string, productName: (id: string) => string): string {
  if (value === null || value === undefined) return "—";
  if ((part === "list_price" || part === "unit_price") && typeof value === "number") return formatMoney(lang, { minor: value, currency });
  if (part === "tax_rate" && typeof value === "number") return formatRate(value);
  if (part === "product" && typeof value === "string") return productName(value) || value;
  return String(value);
}

/// A line's part as a box holds it, from a value a conflict offers.
export function partInput(part: string, value: Json, currency: string): string {
  if (value === null || value === undefined) return "";
  if (part === "list_price" || part === "unit_price") return amountInput(value, currency);
  if (part === "tax_rate") return rateInput(value as number);
  return String(value);
}

// ---- payment plan ------------------------------------------------------------------------

/// One period of a contract's payment plan as typed.
export interface PeriodDraft {
  key: string;
  id?: string;
  due: string;
  amount: string;
  note: string;
}

export function emptyPeriod(): PeriodDraft {
  return { key: newKey(), due: "", amount: "", note: "" };
}

export function periodFromItem(item: Fields, currency: string): PeriodDraft {
  return {
    key: typeof item.id === "string" ? item.id : newKey(),
    id: typeof item.id === "string" ? item.id : undefined,
    due: typeof item.due === "string" ? item.due : "",
    amount: amountInput(item.amount, currency),
    note: typeof item.note === "string" ? item.note : "",
  };
}

/// The plan as a request (`plan` items `{id?, due, amount, note}`); an amount that is not money
/// is named by its row.
export function planRequest(drafts: PeriodDraft[], currency: string): { plan: Fields[]; errors: Record<number, LocalErrors>; index: number[] } {
  const digits = currencyDigits(currency);
  const plan: Fields[] = [];
  const errors: Record<number, LocalErrors> = {};
  const index: number[] = [];
  drafts.forEach((d, row) => {
    if (!d.id && !d.due && !d.amount.trim() && !d.note.trim()) return;
    index.push(row);
    const item: Fields = {};
    if (d.id) item.id = d.id;
    if (d.due) item.due = d.due;
    const text = d.amount.trim();
    if (text) {
      const minor = parseMoney(text, digits);
      if (minor === null) errors[row] = { amount: "invalid_amount" };
      else item.amount = minor;
    }
    if (d.note.trim()) item.note = d.note.trim();
    else if (d.id) item.note = null;
    plan.push(item);
  });
  return { plan, errors, index };
}

// ---- the core's reasons in words ---------------------------------------------------------

/// A reason a document needs approval (or an order cannot be confirmed any more) in words, with
/// the line it is about named by its place and name.
export interface NeedWords {
  code: string;
  /// "Line 2 · 液压泵", or null for the whole document.
  line: string | null;
  text: string;
}

export function needsWords(
  t: T,
  lang: Lang,
  needs: Need[],
  lines: { id?: string; name?: Json; product?: Json }[],
  currency: string,
  productName: (id: string) => string = () => "",
): NeedWords[] {
  const money = (v: Json | undefined) => (typeof v === "number" ? formatMoney(lang, { minor: v, currency }) : "");
  return needs.map((n) => {
    const d = (n.detail ?? {}) as Record<string, Json>;
    const at = n.line ? lines.findIndex((l) => l.id === n.line) : -1;
    // A problem with a product (stock) names the line that orders it.
    const of = at < 0 && typeof d.product === "string" ? lines.findIndex((l) => l.product === d.product) : at;
    const line = of >= 0 ? t("sales.line_named", { n: of + 1, name: String(lines[of].name ?? "") }) : null;
    const product = typeof d.product === "string" ? productName(d.product) || (of >= 0 ? String(lines[of].name ?? "") : "") : "";
    const params: Record<string, Json> = {
      unit_price: money(d.unit_price),
      applicable_price: money(d.applicable_price),
      floor: money(d.floor),
      discount: money(d.discount),
      subtotal: money(d.subtotal),
      threshold: formatRate(typeof d.threshold_bp === "number" ? d.threshold_bp : 0),
      total: money(d.total),
      limit_amount: money(d.limit_minor),
      product,
      quantity: d.quantity ?? "",
      stock: d.stock ?? "",
      limit: money(d.limit),
      owed: money(d.owed),
      order_total: money(d.order_total),
    };
    const key = `sales.need.${n.code}`;
    const said = t(key, params);
    return { code: n.code, line, text: said === key ? t("sales.need.other", { code: n.code }) : said };
  });
}

/// The `needs` of an `approval_required` or `order_changed` refusal (empty for any other).
export function needsOf(e: unknown): Need[] {
  if (!(e instanceof CrmError) || (e.code !== "approval_required" && e.code !== "order_changed")) return [];
  const needs = (e.params as { needs?: Need[] } | null)?.needs;
  return Array.isArray(needs) ? needs : [];
}

/// A refusal whose params are amounts in minor units (`plan_mismatch`, `invoice_above_amount`)
/// in words with the document's currency; null for any other.
export function moneyRefusal(t: T, lang: Lang, e: unknown, currency: string): string | null {
  if (!(e instanceof CrmError) || !e.params || typeof e.params !== "object" || Array.isArray(e.params)) return null;
  const p = e.params as Record<string, Json>;
  const money = (v: Json | undefined) => (typeof v === "number" ? formatMoney(lang, { minor: v, currency }) : "");
  if (e.code === "plan_mismatch") return t("error.plan_mismatch", { planned: money(p.planned), total: money(p.total) });
  if (e.code === "invoice_above_amount") return t("error.invoice_above_amount", { invoiced: money(p.invoiced), amount: money(p.amount), total: money(p.total) });
  return null;
}

/// A due date in words, "overdue" when it is before `today`.
export function dueText(t: T, lang: Lang, due: string | null | undefined, today: string): string {
  if (!due) return "";
  return due < today ? t("home.overdue", { date: formatDate(lang, due) }) : t("home.due", { date: formatDate(lang, due) });
}
