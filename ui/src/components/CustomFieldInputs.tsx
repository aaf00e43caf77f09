// A kind's custom fields in a create or edit form, after the built-in ones: one input per
// type (words, a decimal kept as typed, a calendar date, a switch, one of the options), the
// required ones marked, and the core's refusals (`custom_fields.KEY`) by their field. A retired
// field the record still holds a value for is shown, read only. Used by every form of the
// kinds that have custom fields (RecordForm, VisitForm, the product dialog).

import { DatePicker, Input, Select, Switch } from "antd";
import dayjs from "dayjs";
import type { CustomField } from "../api";
import { customDisplay, customLabel, customName, formCustomFields } from "../customFields";
import { fieldErrorText } from "../errors";
import { useCrm, useCustomFields } from "../state";

type Values = Record<string, string | boolean | undefined>;

export function CustomFieldInputs({
  kind,
  values,
  held,
  set,
  errors,
  readOnly = false,
}: {
  kind: string;
  /// The form's values; custom ones under `custom_fields.KEY`.
  values: Values;
  /// What the record holds (for a retired field's value); none for a new record.
  held: Record<string, string>;
  set: (name: string, value: string) => void;
  /// Refusals by field name (`custom_fields.KEY`): the core's reason, or already in words (a
  /// dialog's `useRefusableSave`).
  errors: Record<string, { reason: string; params: unknown } | string | undefined>;
  /// Whether this person may not change them (shown, not editable).
  readOnly?: boolean;
}) {
  const { t, lang } = useCrm();
  const shown = formCustomFields(useCustomFields(kind), held);
  if (shown.length === 0) return null;
  return (
    <>
      {shown.map((field) => {
        const name = customName(field.key);
        const err = errors[name];
        const raw = values[name];
        const value = typeof raw === "string" ? raw : (held[field.key] ?? "");
        const locked = readOnly || !field.active;
        return (
          <div
            key={field.key}
            className={`form-field custom-field ${err ? "invalid" : ""}`}
            data-testid="custom-field"
            data-key={field.key}
            data-type={field.type}
          >
            <label htmlFor={`cf-${field.key}`}>
              {customLabel(lang, field)}
              {field.required && field.active && <span className="req"> *</span>}
            </label>
            {locked ? (
              <Input id={`cf-${field.key}`} disabled value={customDisplay(t, lang, field, value)} data-testid={`cf-${field.key}`} />
            ) : (
              <CustomInput field={field} value={value} invalid={!!err} onChange={(v) => set(name, v)} />
            )}
            {!field.active && <span className="muted small">{t("custom.retired_value")}</span>}
            {err && (
              <span className="field-error" role="alert" data-testid={`cf-error-${field.key}`}>
                {typeof err === "string" ? err : fieldErrorText(t, err.reason, err.params)}
              </span>
            )}
          </div>
        );
      })}
    </>
  );
}

/// Options carry `data-value` so a test can pick one whatever the language.
const option = (value: string) => ({ value, label: value, "data-value": value });

function CustomInput({ field, value, invalid, onChange }: { field: CustomField; value: string; invalid: boolean; onChange: (v: string) => void }) {
  const { t } = useCrm();
  const common = { id: `cf-${field.key}`, "data-testid": `cf-${field.key}`, status: invalid ? ("error" as const) : undefined };
  switch (field.type) {
    case "number":
      // A decimal stays the text typed (never a float); the core checks and stores it.
      return <Input {...common} inputMode="decimal" value={value} onChange={(e) => onChange(e.target.value)} />;
    case "date":
      return (
        <DatePicker
          {...common}
          className="full-width"
          inputReadOnly
          value={value && dayjs(value).isValid() ? dayjs(value) : null}
          onChange={(d) => onChange(d ? d.format("YYYY-MM-DD") : "")}
        />
      );
    case "bool":
      return (
        <span className="custom-switch">
          <Switch
            id={common.id}
            data-testid={common["data-testid"]}
            checked={value === "true"}
            onChange={(on) => onChange(on ? "true" : "false")}
            checkedChildren={t("common.yes")}
            unCheckedChildren={t("common.no")}
          />
        </span>
      );
    case "choice":
      return (
        <Select
          {...common}
          allowClear={!field.required}
          placeholder="—"
          value={value || undefined}
          onChange={(v?: string) => onChange(v ?? "")}
          virtual={false}
          // A value no longer among the options is kept and shown as it is.
          options={[...field.options, ...(value && !field.options.includes(value) ? [value] : [])].map(option)}
        />
      );
    default:
      return <Input {...common} maxLength={1000} value={value} onChange={(e) => onChange(e.target.value)} />;
  }
}
