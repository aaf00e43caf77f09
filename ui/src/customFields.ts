// Custom fields in forms, record pages and lists: which of a kind's definitions a form shows,
// the `custom_fields` map a form writes, a value in words, and the list filter for what is
// chosen. Presentation only: the core checks every value against the definitions it holds.

import type { CustomField, Fields, Json } from "./api";
import { formatDate } from "./i18n";
import type { Lang, T } from "./i18n";

/// A custom field's name where a form, a list filter and the core's errors use it.
export const customName = (key: string) => `custom_fields.${key}`;

/// The key of a `custom_fields.KEY` name (an import target, an error's field), or null.
export function customKey(name: string): string | null {
  return name.startsWith("custom_fields.") ? name.slice("custom_fields.".length) : null;
}

/// A field's label in the language: the English one where the admin gave it, else the Chinese.
export function customLabel(lang: Lang, field: CustomField): string {
  return (lang === "en" && field.label_en?.trim()) || field.label_zh || field.key;
}

/// A record's custom values (strings only), or none.
export function customValuesOf(fields: Fields | undefined | null): Record<string, string> {
  const map = fields?.custom_fields;
  if (!map || typeof map !== "object" || Array.isArray(map)) return {};
  return Object.fromEntries(Object.entries(map).filter((e): e is [string, string] => typeof e[1] === "string"));
}

/// What a form shows: the active fields, and retired ones the record holds a value for (those
/// read only: the core keeps such a value but takes no new one).
export function formCustomFields(defs: CustomField[], held: Record<string, string>): CustomField[] {
  return defs.filter((d) => d.active || (held[d.key] ?? "") !== "");
}

/// The form's starting values: `custom_fields.KEY` → the record's value, "" for none.
export function customFormValues(defs: CustomField[], held: Record<string, string>): Record<string, string> {
  return Object.fromEntries(formCustomFields(defs, held).map((d) => [customName(d.key), held[d.key] ?? ""]));
}

type Values = Record<string, string | boolean | undefined>;

/// A field's value in form values, trimmed; `fallback` when the form has none for it (a
/// definition read after the form was filled).
function valueIn(values: Values, key: string, fallback: string): string {
  const v = values[customName(key)];
  return (typeof v === "string" ? v : fallback).trim();
}

/// The `custom_fields` map a form writes, or undefined when it writes none. Creating (no
/// `initial`): every active field given, a switch left alone as "false". Editing: only when an
/// active field changed, and then the whole map — what the record holds (retired fields and
/// keys this version does not know included) with the form's active fields over it; an
/// emptied field is left out, which removes it.
export function customFieldsWrite(defs: CustomField[], values: Values, held: Record<string, string>, initial?: Values): Json | undefined {
  const active = defs.filter((d) => d.active);
  if (!initial) {
    const map: Record<string, string> = {};
    for (const d of active) {
      const v = valueIn(values, d.key, "") || (d.type === "bool" ? "false" : "");
      if (v !== "") map[d.key] = v;
    }
    return Object.keys(map).length > 0 ? map : undefined;
  }
  const now = (key: string) => valueIn(values, key, held[key] ?? "");
  const before = (key: string) => valueIn(initial, key, held[key] ?? "");
  if (!active.some((d) => now(d.key) !== before(d.key))) return undefined;
  const map: Record<string, string> = { ...held };
  for (const d of active) {
    const v = now(d.key);
    if (v === "") delete map[d.key];
    else map[d.key] = v;
  }
  return map;
}

/// A stored value in words: 是/否 for a switch, a date in the language's style, else as stored.
export function customDisplay(t: T, lang: Lang, field: CustomField, value: string | undefined): string {
  if (value === undefined || value === "") return "";
  if (field.type === "bool") return value === "true" ? t("common.yes") : value === "false" ? t("common.no") : value;
  if (field.type === "date") return formatDate(lang, value);
  return value;
}

/// The fields a kind's lists show as columns, or offer as filters.
export const listColumns = (defs: CustomField[]) => defs.filter((d) => d.active && d.in_list);
export const listFilters = (defs: CustomField[]) => defs.filter((d) => d.active && d.in_filter);

/// Where the list's address keeps a custom filter: `cf.KEY`.
export const filterParam = (key: string) => `cf.${key}`;

/// The chosen custom filters from an address's parameters (`cf.KEY` → value).
export function filtersFromParams(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of params) if (name.startsWith("cf.") && value) out[name] = value;
  return out;
}

/// The list query's filter for the chosen custom filters (`cf.KEY` → value): records whose
/// value is exactly that (a switch: "true" or "false").
export function customFilter(chosen: Record<string, string>): Record<string, Json> {
  const filter: Record<string, Json> = {};
  for (const [name, value] of Object.entries(chosen)) {
    const v = value.trim();
    if (name.startsWith("cf.") && v !== "") filter[customName(name.slice(3))] = v;
  }
  return filter;
}

/// A field key as the core takes it: a–z first, then a–z, 0–9 or _, at most 40 (the core
/// checks again and says `invalid_key`). Returns a translation key for what is wrong, or null.
export function keyProblem(key: string): string | null {
  if (key === "") return "error.required";
  if (key.length > 40) return "custom.key_long";
  return /^[a-z][a-z0-9_]*$/.test(key) ? null : "error.invalid_key";
}

/// A choice's options as the admin types them, one per line (blank lines dropped).
export function optionLines(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
}
