// Errors in the user's language. The core's `message` is English for logs and is never shown:
// every code the UI can meet has a translation (checked by tests/translations.test.ts), and
// an unknown one gets a generic sentence naming the code.

import { CrmError } from "./api";
import type { T } from "./i18n";

/// A core error in the user's language.
export function errorText(t: T, e: unknown): string {
  if (!(e instanceof CrmError)) return t("error.unexpected");
  return codeText(t, e.code, e.params);
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
