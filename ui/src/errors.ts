// Errors in the user's language. The core's `message` is English for logs and is never shown:
// every code the UI can meet has a translation (checked by tests/translations.test.ts), and
// an unknown one gets a generic sentence naming the code.

import { CrmError, ServerRefusal } from "./api";
import type { Json } from "./api";
import { formatDateTime } from "./i18n";
import type { Lang, T } from "./i18n";

/// A core error in the user's language.
export function errorText(t: T, e: unknown): string {
  if (!(e instanceof CrmError)) return t("error.unexpected");
  if (e.code === "sign_in_refused") return signInRefusal(t, e.params);
  if (e instanceof ServerRefusal) return serverRefusal(t, e);
  return codeText(t, e.code, e.params);
}

/// A refusal of the server's administration API: its own sentence where the code means
/// something else there (`error.server.<code>`: `not_found` is not about this device's
/// records), otherwise the code's usual one.
function serverRefusal(t: T, e: ServerRefusal): string {
  const key = `error.server.${e.code}`;
  const text = t(key, readable(t, e.params));
  return text === key ? codeText(t, e.code, e.params) : text;
}

/// Whether an error means this device cannot reach the server's administration at all (not
/// signed in to a server, the server unreachable), as opposed to a refusal of one request.
export function needsServer(e: unknown): boolean {
  return e instanceof CrmError && !(e instanceof ServerRefusal) && ["not_signed_in", "server_unreachable"].includes(e.code);
}

/// Why the server refused a sign-in (`params.reason`), with the wait in whole minutes when
/// there were too many attempts; an unknown reason gets the general sentence.
function signInRefusal(t: T, params: unknown): string {
  const p = (params && typeof params === "object" ? params : {}) as { reason?: unknown; retry_after_secs?: unknown };
  const reason = typeof p.reason === "string" ? p.reason : "";
  const secs = typeof p.retry_after_secs === "number" && Number.isFinite(p.retry_after_secs) ? p.retry_after_secs : 60;
  const key = `error.sign_in_refused.${reason}`;
  const text = t(key, { minutes: Math.max(1, Math.ceil(secs / 60)) });
  return text === key ? t("error.sign_in_refused") : text;
}

/// Params as words: a list of field names becomes their labels, a transition its name.
function readable(t: T, params: unknown): Record<string, Json> {
  if (!params || typeof params !== "object" || Array.isArray(params)) return {};
  const out = { ...(params as Record<string, Json>) };
  if (Array.isArray(out.fields)) out.fields = out.fields.map((f) => t(`field.${String(f)}`)).join(t("common.list_separator"));
  if (Array.isArray(out.missing)) out.missing = out.missing.map((a) => t(`visit_action.${String(a)}`)).join(t("common.list_separator"));
  if (typeof out.transition === "string") out.transition = t(`transition.${out.transition}`);
  return out;
}

/// The sentence for an error or refusal code (with its params), or the generic one.
export function codeText(t: T, code: string, params?: unknown): string {
  const key = `error.${code}`;
  const text = t(key, readable(t, params));
  return text === key ? t("error.generic", { code }) : text;
}

/// The validation reasons the core gives a field (docs/api.md, *Validation reasons*, checked by
/// tests/translations.test.ts), with the others a refused import row can carry: more items than
/// a list takes, a row the person may not write, a column that cannot be imported.
export const VALIDATION_REASONS = [
  "required",
  "unknown_report",
  "invalid_option",
  "unknown_field",
  "wrong_type",
  "too_long",
  "too_many",
  "invalid_choice",
  "unknown_dictionary_value",
  "unknown_reference",
  "out_of_range",
  "invalid_date",
  "invalid_datetime",
  "invalid_email",
  "invalid_phone",
  "money_not_integer",
  "invalid_amount",
  "invalid_currency",
  "invalid_number",
  "duplicate_code",
  "duplicate_id",
  "invalid_id",
  "unknown_filter",
  "invalid_cursor",
  "append_only",
  "not_in_transition",
  "not_a_log",
  "identity_fixed",
  "unknown_custom_field",
  "invalid_key",
  "not_for_setting",
  "invalid_timezone",
  "forbidden",
  "not_importable",
  "derived_field",
  "invalid_quantity",
  "unknown_part",
  "invalid_item_id",
  "quantity_not_positive",
  "discount_above_subtotal",
  "not_a_sales_document",
  "unknown_version",
  "invalid_month",
  "invalid_place",
  "amount_not_positive",
  "invalid_file_hash",
  "empty_file",
  "file_too_large",
  "unsupported_file_type",
  "file_type_mismatch",
  "not_base64",
  "not_an_attachment_list",
  "record_and_field_together",
  "not_a_lead",
  "not_a_campaign",
  "invalid_filter",
  "not_a_message",
] as const;

/// Every validation reason in words without its params, for text the core writes itself (the
/// reason column of an import's refused rows, `import_rejected`'s `reasons`) from the same
/// sentences `codeText` uses. A bracketed part that holds a param is left out ("太长了（最多
/// {max} 个字符）" → "太长了"); a sentence that cannot do without its params is left out too,
/// and the core writes the code.
export function reasonWords(t: T): Record<string, string> {
  // Each param as a mark that cannot occur in a sentence, to find where the params stand.
  const HOLE = "\u0000";
  const holes = new Proxy({}, { get: () => HOLE }) as Record<string, Json>;
  const words: Record<string, string> = {};
  for (const code of VALIDATION_REASONS) {
    const key = `error.${code}`;
    const sentence = t(key, holes);
    if (sentence === key) continue;
    const said = sentence
      .replace(/\s*[（(][^（()）]*\u0000[^（()）]*[)）]/g, "")
      .trim();
    if (said !== "" && !said.includes(HOLE)) words[code] = said;
  }
  return words;
}

/// A refusal as the sentence by each field a validation error names (`as` renames the core's
/// field to the box's), or, for anything else, one sentence.
export function fieldRefusals(t: T, e: unknown, as: (field: string) => string = (f) => f): { fields: Record<string, string>; other: string | null } {
  if (e instanceof CrmError && e.code === "validation") {
    const fields: Record<string, string> = {};
    for (const [field, x] of Object.entries(e.fieldErrors())) fields[as(field)] = fieldErrorText(t, x.reason, x.params);
    if (Object.keys(fields).length > 0) return { fields, other: null };
  }
  return { fields: {}, other: errorText(t, e) };
}

/// A field's validation message in the user's language.
export function fieldErrorText(t: T, reason: string, params: unknown): string {
  return codeText(t, reason, params);
}

/// A refused edit as a sentence. A transition that lost a race (`transition_conflict`) says
/// who got there first (`params.by`, named by `nameOf`), when (local time) and what they did:
/// the value they set — a person's name for an owner or assignee — or the state it went to.
/// `kind` (when known) lets a state be named in words.
export function refusalText(
  t: T,
  lang: Lang,
  refusal: { code: string; params?: Json },
  nameOf: (id: string) => string,
  kind?: string | null,
): string {
  const p = (refusal.params && typeof refusal.params === "object" && !Array.isArray(refusal.params) ? refusal.params : {}) as Record<
    string,
    Json
  >;
  // A customer made from a lead another device converted first: who did, in words, and when.
  if (refusal.code === "lead_converted" && typeof p.by === "string") {
    const at = typeof p.at === "string" && p.at ? formatDateTime(lang, p.at) : "";
    return codeText(t, refusal.code, { ...p, by: nameOf(p.by) || t("history.someone"), at });
  }
  if (refusal.code !== "transition_conflict" || typeof p.by !== "string") return codeText(t, refusal.code, refusal.params);
  const name = nameOf(p.by) || t("history.someone");
  const time = typeof p.at === "string" ? formatDateTime(lang, p.at) : "";
  const stateLabel = (state: Json | undefined) => {
    if (!kind || typeof state !== "string") return null;
    const key = `state.${kind}.${state}`;
    const label = t(key);
    return label === key ? null : label;
  };
  let what = t("refused.what_any");
  const person = typeof p.value === "string" ? nameOf(p.value) : "";
  const state = stateLabel(p.field === "status" ? p.value : undefined) ?? stateLabel(p.state);
  if (typeof p.field === "string" && person) what = t("refused.what_value", { field: t(`field.${p.field}`), value: person });
  else if (state) what = t("refused.what_state", { state });
  return t("refused.conflict", { name, time, what });
}
