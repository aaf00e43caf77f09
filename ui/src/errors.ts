// Errors in the user's language. The core's `message` is English for logs and is never shown:
// every code the UI can meet has a translation (checked by tests/translations.test.ts), and
// an unknown one gets a generic sentence naming the code.

import { CrmError } from "./api";
import type { T } from "./i18n";

/// A core error in the user's language.
export function errorText(t: T, e: unknown): string {
  if (!(e instanceof CrmError)) return t("error.unexpected");
  if (e.code === "sign_in_refused") return signInRefusal(t, e.params);
  return codeText(t, e.code, e.params);
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

/// The sentence for an error or refusal code (with its params), or the generic one.
export function codeText(t: T, code: string, params?: unknown): string {
  const key = `error.${code}`;
  const values = params && typeof params === "object" && !Array.isArray(params) ? (params as Record<string, never>) : {};
  const text = t(key, values);
  return text === key ? t("error.generic", { code }) : text;
}

/// A field's validation message in the user's language.
export function fieldErrorText(t: T, reason: string, params: unknown): string {
  return codeText(t, reason, params);
}
