// The customer list's filter panel: dictionary filters, owner (supervisors and admins), tag,
// the custom fields offered as filters, entry-date range and sort. Loaded on its own, after the list (see CustomerList).

import { Button, Checkbox, DatePicker, Input, Select } from "antd";
import dayjs from "dayjs";
import { memo } from "react";
import type { Dispatch, SetStateAction } from "react";
import { dictLabel } from "../../i18n";
import { useCrm, useRole } from "../../state";
import { CustomFilters } from "../../components/CustomFilters";
import { OwnerSelect } from "../../components/OwnerSelect";
import { FILTER_DICTS } from "./filterFields";

const SORTS = ["name", "created_at", "updated_at", "code", "grade"];

/// Filters, entry-date range and sort. Memoized: a page of rows arriving does not redraw it.
const Filters = memo(function Filters({
  filters,
  setFilters,
  sort,
  setSort,
  desc,
  setDesc,
}: {
  filters: Record<string, string>;
  setFilters: Dispatch<SetStateAction<Record<string, string>>>;
  sort: string;
  setSort: (s: string) => void;
  desc: boolean;
  setDesc: (d: boolean) => void;
}) {
  const { t } = useCrm();
  const { isLead } = useRole();
  const setFilter = (k: string, v: string | undefined) => setFilters((f) => ({ ...f, [k]: v ?? "" }));
  const activeCount = Object.values(filters).filter(Boolean).length;
  return (
    <div className="filters" aria-label={t("customers.filters")}>
      {FILTER_DICTS.map(({ field, dict }) => (
        <DictFilter key={field} field={field} dict={dict} value={filters[field]} onChange={(v) => setFilter(field, v)} />
      ))}
      {isLead && (
        <OwnerSelect
          value={filters.owner || undefined}
          onChange={(v) => setFilter("owner", v)}
          placeholder={t("common.labelled", { label: t("field.owner"), value: t("common.all") })}
          data-testid="filter-owner"
        />
      )}
      <Input
        className="tag-filter"
        placeholder={t("customers.tag")}
        aria-label={t("customers.tag")}
        value={filters.tag ?? ""}
        onChange={(e) => setFilter("tag", e.target.value)}
      />
      <CustomFilters kind="customer" chosen={filters} set={setFilter} />
      <DatePicker.RangePicker
        aria-label={t("customers.created")}
        placeholder={[t("customers.created_from"), t("customers.created_to")]}
        value={filters.from && filters.to ? [dayjs(filters.from), dayjs(filters.to)] : null}
        onChange={(range) =>
          setFilters((f) => ({
            ...f,
            from: range?.[0]?.format("YYYY-MM-DD") ?? "",
            to: range?.[1]?.format("YYYY-MM-DD") ?? "",
          }))
        }
        inputReadOnly
        data-testid="created-range"
      />
      <Select
        aria-label={t("customers.sort")}
        value={sort}
        onChange={setSort}
        data-testid="sort"
        popupMatchSelectWidth={false}
        options={SORTS.map((s) => ({ value: s, label: t("common.labelled", { label: t("customers.sort"), value: t(`sort.${s}`) }) }))}
      />
      <Checkbox checked={desc} onChange={(e) => setDesc(e.target.checked)} className="check">
        {t("customers.desc")}
      </Checkbox>
      {activeCount > 0 && (
        <Button type="link" onClick={() => setFilters({})}>
          {t("customers.clear")}
        </Button>
      )}
    </div>
  );
});

export default Filters;

function DictFilter({
  field,
  dict,
  value,
  onChange,
}: {
  field: string;
  dict: string;
  value: string | undefined;
  onChange: (v: string | undefined) => void;
}) {
  const { t, lang, dicts } = useCrm();
  return (
    <Select
      aria-label={t(`field.${field}`)}
      allowClear
      value={value || undefined}
      onChange={onChange}
      placeholder={t("common.labelled", { label: t(`field.${field}`), value: t("common.all") })}
      data-testid={`filter-${field}`}
      popupMatchSelectWidth={false}
      virtual={false}
      options={dicts
        .filter((d) => d.fields.dict === dict && d.fields.active !== false)
        .map((d) => ({ value: String(d.fields.code), label: dictLabel(lang, dicts, dict, d.fields.code), "data-value": String(d.fields.code) }))}
    />
  );
}
