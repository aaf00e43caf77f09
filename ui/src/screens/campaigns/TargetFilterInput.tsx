// A campaign's target filter, built as rows (a field of the target kind and the values it may
// hold) and kept as the JSON text the core reads as a `list` filter. A saved filter the rows
// cannot show is kept as it is and shown as text.

import { DeleteOutlined, PlusOutlined } from "@ant-design/icons";
import { Button, Input, Select } from "antd";
import { useMemo, useState } from "react";
import type { FieldSchema, Item } from "../../api";
import { dictLabel } from "../../i18n";
import type { Lang, T } from "../../i18n";
import { useCrm } from "../../state";
import { fieldLabel } from "../records/FieldInput";
import { filterText, filterableFields, parseFilter } from "./model";
import type { FilterRow } from "./model";

const option = (value: string, label: string) => ({ value, label, "data-value": value });

/// The values a field offers, in words.
function valueOptions(t: T, lang: Lang, dicts: Item[], users: Item[], kind: string, f: FieldSchema | undefined) {
  if (!f) return [];
  if (f.type === "dictionary") {
    return dicts
      .filter((d) => d.fields.dict === f.dictionary && d.fields.active !== false)
      .map((d) => option(String(d.fields.code), dictLabel(lang, dicts, String(f.dictionary), d.fields.code)));
  }
  if (f.type === "enum") {
    return (f.choices ?? []).map((c) => option(c, t(f.name === "status" ? `state.${kind}.${c}` : `${f.name}.${c}`)));
  }
  if (f.type === "boolean") return [option("true", t("common.yes")), option("false", t("common.no"))];
  return users
    .filter((u) => u.fields.active !== false)
    .map((u) => option(u.id, String(u.fields.display_name ?? u.fields.username ?? u.id)));
}

/// The filter's rows; `value` is read once (the form keeps what is typed), then written on every
/// change. Rows still being built (a field without values) are kept here until they say something.
export function TargetFilterInput({
  kind,
  value,
  onChange,
  invalid,
}: {
  /// The target kind; none yet: nothing to filter.
  kind: string;
  value: string;
  onChange: (text: string) => void;
  invalid?: boolean;
}) {
  const { t, lang, dicts, users, schema } = useCrm();
  const fields = useMemo(() => filterableFields(schema, kind), [schema, kind]);
  const [rows, setRows] = useState<FilterRow[] | null>(() => parseFilter(value));
  if (!kind) return <p className="muted small">{t("campaigns.filter_kind_first")}</p>;
  if (rows === null) {
    return (
      <Input.TextArea
        id="f-target_filter"
        data-testid="field-target_filter"
        status={invalid ? "error" : undefined}
        autoSize={{ minRows: 2 }}
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
    );
  }
  const write = (next: FilterRow[]) => {
    setRows(next);
    onChange(filterText(next, fields));
  };
  const used = new Set(rows.map((r) => r.field));
  return (
    <div className="target-filter" data-testid="target-filter">
      {rows.map((r, i) => {
        const spec = fields.find((f) => f.name === r.field);
        const set = (row: FilterRow) => write(rows.map((x, j) => (j === i ? row : x)));
        return (
          <div className="filter-row" key={i} data-testid="filter-row">
            <Select
              aria-label={t("campaigns.filter_field")}
              placeholder={t("campaigns.filter_field")}
              value={r.field || undefined}
              onChange={(f: string) => set({ field: f, values: [] })}
              data-testid="filter-field"
              popupMatchSelectWidth={false}
              virtual={false}
              options={fields.filter((f) => f.name === r.field || !used.has(f.name)).map((f) => option(f.name, fieldLabel(t, kind, f.name)))}
            />
            <Select
              mode="multiple"
              aria-label={t("campaigns.filter_values")}
              placeholder={t("campaigns.filter_values")}
              disabled={!spec}
              value={r.values}
              onChange={(values: string[]) => set({ field: r.field, values })}
              data-testid="filter-values"
              optionFilterProp="label"
              popupMatchSelectWidth={false}
              virtual={false}
              options={valueOptions(t, lang, dicts, users, kind, spec)}
            />
            <Button
              type="text"
              icon={<DeleteOutlined />}
              aria-label={t("common.delete")}
              title={t("common.delete")}
              onClick={() => write(rows.filter((_, j) => j !== i))}
              data-testid="filter-remove"
            />
          </div>
        );
      })}
      {rows.length < fields.length && (
        <Button type="link" icon={<PlusOutlined />} onClick={() => setRows([...rows, { field: "", values: [] }])} data-testid="filter-add">
          {t("campaigns.filter_add")}
        </Button>
      )}
      <p className="muted small" data-testid="filter-summary">
        {rows.some((r) => r.values.length) ? t("campaigns.filter_all_of") : t("campaigns.filter_everyone", { kind: t(`target_kind.${kind}`) })}
      </p>
    </div>
  );
}

/// A saved target filter in words: "Grade: A, B · Region: 华东" (as text when the rows cannot say it).
export function FilterSummary({ kind, value }: { kind: string; value: string }) {
  const { t, lang, dicts, users, schema } = useCrm();
  const rows = parseFilter(value);
  if (rows === null) return <code>{value}</code>;
  if (rows.length === 0) return <span>{t("campaigns.filter_everyone", { kind: t(`target_kind.${kind}`) })}</span>;
  const fields = filterableFields(schema, kind);
  const words = rows.map((r) => {
    const labels = valueOptions(t, lang, dicts, users, kind, fields.find((f) => f.name === r.field));
    const values = r.values.map((v) => labels.find((o) => o.value === v)?.label ?? v);
    return t("common.labelled", { label: fieldLabel(t, kind, r.field), value: values.join(t("common.list_separator")) });
  });
  return <span data-testid="filter-words">{words.join(" · ")}</span>;
}
