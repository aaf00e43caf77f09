import { CrmError } from "../api";
import type { T } from "../i18n";

/// A core error in the user's language.
export function errorText(t: T, e: unknown): string {
  if (e instanceof CrmError) {
    const params = (e.params && typeof e.params === "object" && !Array.isArray(e.params) ? e.params : {}) as Record<
      string,
      never
    >;
    const key = `error.${e.code}`;
    const text = t(key, { ...params, message: e.message });
    return text === key ? t("error.generic", { message: e.message }) : text;
  }
  return t("common.error", { message: e instanceof Error ? e.message : String(e) });
}

/// A field's validation message in the user's language.
export function fieldErrorText(t: T, reason: string, params: unknown): string {
  const key = `error.${reason}`;
  const text = t(key, (params ?? {}) as Record<string, never>);
  return text === key ? reason : text;
}
