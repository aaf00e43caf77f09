// Translations and locale formatting. Every visible string comes from locales/*.json; dates
// and money are formatted for the chosen language. Times arrive in UTC and are shown local.

import en from "./locales/en.json";
import zh from "./locales/zh-CN.json";
import type { Item, Json, Money } from "./api";

export type Lang = "zh-CN" | "en";
export const LANGS: Lang[] = ["zh-CN", "en"];
export const messages: Record<Lang, Record<string, string>> = { en, "zh-CN": zh };

/// The system's language if it is Chinese or English; Chinese otherwise (our first users).
export function detectLang(preferred: readonly string[] = globalThis.navigator?.languages ?? []): Lang {
  for (const l of preferred) {
    if (l.toLowerCase().startsWith("zh")) return "zh-CN";
    if (l.toLowerCase().startsWith("en")) return "en";
  }
  return "zh-CN";
}

export function translate(lang: Lang, key: string, params: Record<string, Json | undefined> = {}): string {
  const template = messages[lang][key] ?? messages.en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = params[name];
    return v === undefined || v === null ? "" : String(v);
  });
}

export type T = (key: string, params?: Record<string, Json | undefined>) => string;

/// Digits after the decimal point for a currency (CNY 2, JPY 0 …).
export function currencyDigits(currency: string): number {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/// Money from integer minor units, formatted without ever going through a float.
export function formatMoney(lang: Lang, money: Money | null | undefined): string {
  if (!money) return "";
  const digits = currencyDigits(money.currency);
  const minor = BigInt(Math.trunc(money.minor));
  const negative = minor < 0n;
  const abs = negative ? -minor : minor;
  const scale = 10n ** BigInt(digits);
  const whole = abs / scale;
  const fraction = (abs % scale).toString().padStart(digits, "0");
  let format: Intl.NumberFormat;
  try {
    format = new Intl.NumberFormat(lang, { style: "currency", currency: money.currency, maximumFractionDigits: 0 });
  } catch {
    format = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
  }
  const decimal = new Intl.NumberFormat(lang).formatToParts(1.5).find((p) => p.type === "decimal")?.value ?? ".";
  const parts = format.formatToParts(whole);
  let out = "";
  let lastInteger = -1;
  parts.forEach((p, i) => p.type === "integer" && (lastInteger = i));
  parts.forEach((p, i) => {
    out += p.value;
    if (i === lastInteger && digits > 0) out += decimal + fraction;
  });
  return (negative ? "-" : "") + out;
}

/// Parse an amount typed by a person ("12,500.50", "12500", "¥ 8.8") into integer minor
/// units. Returns null when it is not a plain non-negative amount with at most `digits`
/// decimals.
export function parseMoney(text: string, digits = 2): number | null {
  const cleaned = text.replace(/[\s,，¥￥$]/g, "");
  if (cleaned === "") return null;
  const m = /^(\d+)(?:\.(\d*))?$/.exec(cleaned);
  if (!m) return null;
  const fraction = m[2] ?? "";
  if (fraction.length > digits) return null;
  const minor = BigInt(m[1]) * 10n ** BigInt(digits) + BigInt(fraction.padEnd(digits, "0") || "0");
  if (minor > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return Number(minor);
}

/// An amount in minor units back to the text a person would type (for edit forms).
export function moneyInput(money: Money | null | undefined): string {
  if (!money) return "";
  const digits = currencyDigits(money.currency);
  const scale = 10n ** BigInt(digits);
  const abs = BigInt(Math.trunc(money.minor));
  const fraction = (abs % scale).toString().padStart(digits, "0");
  return digits > 0 ? `${abs / scale}.${fraction}` : `${abs / scale}`;
}

export function formatDateTime(lang: Lang, iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" }).format(d);
}

/// A calendar date (`YYYY-MM-DD`, no time zone) in the language's style.
export function formatDate(lang: Lang, date: string | null | undefined): string {
  if (!date) return "";
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return date;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeZone: "UTC" }).format(d);
}

/// A calendar month (`YYYY-MM`) in the language's style ("2026年11月", "November 2026").
export function formatMonth(lang: Lang, month: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  if (!m) return month;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1));
  return new Intl.DateTimeFormat(lang, { year: "numeric", month: "long", timeZone: "UTC" }).format(d);
}

/// Today (or `days` from today) as a local calendar date `YYYY-MM-DD`.
export function localDate(days = 0, now = new Date()): string {
  const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() + days);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/// The label of a dictionary code in the language (falls back to the code itself).
export function dictLabel(lang: Lang, entries: Item[], dict: string, code: Json | undefined): string {
  if (code === null || code === undefined || code === "") return "";
  const e = entries.find((x) => x.fields.dict === dict && x.fields.code === code);
  if (!e) return String(code);
  return String((lang === "zh-CN" ? e.fields.label_zh : e.fields.label_en) ?? code);
}
