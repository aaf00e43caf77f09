// A list's filters by the custom fields the admin offers as filters (`in_filter`): a choice
// as a select of its options, a switch as yes / no, a date as a date, anything else as the
// exact text. What is chosen is kept as `cf.KEY` → value (in the list's address); the query's
// filter comes from `customFilter` (customFields.ts).

import { DatePicker, Input, Select } from "antd";
import dayjs from "dayjs";
import type { CustomField } from "../api";
import { customLabel, filterParam, listFilters } from "../customFields";
import { useCrm, useCustomFields } from "../state";

export function CustomFilters({
  kind,
  chosen,
  set,
}: {
  kind: string;
  /// What is chosen, by `cf.KEY`.
  chosen: Record<string, string | undefined>;
  set: (name: string, value: string | undefined) => void;
}) {
  const fields = listFilters(useCustomFields(kind));
  return (
    <>
      {fields.map((field) => (
        <CustomFilter key={field.key} field={field} value={chosen[filterParam(field.key)] || undefined} onChange={(v) => set(filterParam(field.key), v || undefined)} />
      ))}
    </>
  );
}

function CustomFilter({ field, value, onChange }: { field: CustomField; value: string | undefined; onChange: (v: string | undefined) => void }) {
  const { t, lang } = useCrm();
  const label = customLabel(lang, field);
  const all = t("common.labelled", { label, value: t("common.all") });
  const labelled = (v: string) => t("common.labelled", { label, value: v });
  const testId = `filter-cf-${field.key}`;
  const select = (options: { value: string; label: string }[]) => (
    <Select
      aria-label={label}
      allowClear
      value={value}
      onChange={(v?: string) => onChange(v)}
      placeholder={all}
      data-testid={testId}
      popupMatchSelectWidth={false}
      virtual={false}
      options={options.map((o) => ({ ...o, "data-value": o.value }))}
    />
  );
  switch (field.type) {
    case "choice":
      return select(field.options.map((o) => ({ value: o, label: labelled(o) })));
    case "bool":
      return select([
        { value: "true", label: labelled(t("common.yes")) },
        { value: "false", label: labelled(t("common.no")) },
      ]);
    case "date":
      return (
        <DatePicker
          aria-label={label}
          placeholder={label}
          inputReadOnly
          value={value && dayjs(value).isValid() ? dayjs(value) : null}
          onChange={(d) => onChange(d ? d.format("YYYY-MM-DD") : undefined)}
          data-testid={testId}
        />
      );
    default:
      return (
        <Input
          className="tag-filter"
          allowClear
          inputMode={field.type === "number" ? "decimal" : undefined}
          placeholder={label}
          aria-label={label}
          value={value ?? ""}
          onChange={(e) => onChange(e.target.value)}
          data-testid={testId}
        />
      );
  }
}
