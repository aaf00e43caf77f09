// A record's custom values in words (labels in the language, a switch as 是/否 / Yes/No, a
// date in the language's style): as rows of a record page's field list, and compactly on a
// list row — there only the fields the admin shows in lists, unless the row is all a record
// has (contacts, opportunities and visits on a customer's page).

import type { CustomField, Fields } from "../api";
import { customDisplay, customLabel, customValuesOf, listColumns } from "../customFields";
import { useCrm, useCustomFields } from "../state";

/// The values with their definitions, in the admin's order; a value whose definition this
/// device does not hold comes last, under its key.
function useShown(kind: string, fields: Fields | undefined, pick: (defs: CustomField[]) => CustomField[]) {
  const { t, lang } = useCrm();
  const defs = useCustomFields(kind);
  const held = customValuesOf(fields);
  const known = pick(defs)
    .filter((d) => (held[d.key] ?? "") !== "")
    .map((d) => ({ key: d.key, label: customLabel(lang, d), text: customDisplay(t, lang, d, held[d.key]) }));
  return { known, held, defs };
}

/// Rows for a record page's `<dl className="fields">`: every custom value the record holds.
export function CustomFieldRows({ kind, fields }: { kind: string; fields: Fields }) {
  const { known, held, defs } = useShown(kind, fields, (d) => d);
  const unknown = Object.entries(held).filter(([key, v]) => v !== "" && !defs.some((d) => d.key === key));
  return (
    <>
      {[...known, ...unknown.map(([key, text]) => ({ key, label: key, text }))].map((v) => (
        <div key={v.key} className="field-row" data-field={`custom_fields.${v.key}`} data-testid="cf-row" data-key={v.key}>
          <dt>{v.label}</dt>
          <dd data-testid={`cf-value-${v.key}`}>{v.text}</dd>
        </div>
      ))}
    </>
  );
}

/// A list row's custom values, "label: value" each: the fields shown in lists, or with `all`
/// every one the record holds.
export function CustomListValues({ kind, fields, all = false }: { kind: string; fields: Fields; all?: boolean }) {
  const { t } = useCrm();
  const { known } = useShown(kind, fields, all ? (d) => d : listColumns);
  if (known.length === 0) return null;
  return (
    <span className="cf-values muted small" data-testid="cf-values">
      {known.map((v) => (
        <span key={v.key} className="cf-value" data-testid="cf-cell" data-key={v.key}>
          {t("common.labelled", { label: v.label, value: v.text })}
        </span>
      ))}
    </span>
  );
}
