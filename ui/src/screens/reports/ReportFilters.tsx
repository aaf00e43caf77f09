// What a report is for: the period (this month, last month, this quarter, this year, or from–to),
// how time is grouped, whose figures (only the scopes the role may ask for), one person for
// supervisors and admins, and the report's own options.

import { DatePicker, InputNumber, Select } from "antd";
import dayjs from "dayjs";
import type { Grain, ReportScope } from "../../api";
import { useCrm, useRole } from "../../state";
import { OwnerSelect } from "../../components/OwnerSelect";
import { GRAINS, PERIOD_PRESETS, scopesFor } from "./model";
import type { Choices, OptionSpec, PeriodPreset } from "./model";

export function ReportFilters({
  choices,
  onChange,
  options,
  period,
}: {
  choices: Choices;
  onChange: (c: Choices) => void;
  options: OptionSpec[];
  /// Whether the report covers a period (receivables are as of today).
  period: boolean;
}) {
  const { t, status } = useCrm();
  const { role, isLead } = useRole();
  const scopes = scopesFor(role, status?.identity.team);
  const set = (part: Partial<Choices>) => onChange({ ...choices, ...part });
  const date = (v: string | undefined) => (v && dayjs(v).isValid() ? dayjs(v) : null);

  return (
    <div className="filters report-filters" data-testid="report-filters">
      {period && (
        <Select
          aria-label={t("report.filter.period")}
          value={choices.preset}
          onChange={(v: PeriodPreset) => set({ preset: v })}
          options={PERIOD_PRESETS.map((p) => ({ value: p, label: t(`report.period.${p}`), "data-value": p }))}
          popupMatchSelectWidth={false}
          data-testid="report-period"
        />
      )}
      {period && choices.preset === "custom" && (
        <>
          <DatePicker
            aria-label={t("report.filter.from")}
            placeholder={t("report.filter.from")}
            inputReadOnly
            value={date(choices.from)}
            onChange={(d) => set({ from: d ? d.format("YYYY-MM-DD") : undefined })}
            data-testid="report-from"
          />
          <DatePicker
            aria-label={t("report.filter.to")}
            placeholder={t("report.filter.to")}
            inputReadOnly
            value={date(choices.to)}
            onChange={(d) => set({ to: d ? d.format("YYYY-MM-DD") : undefined })}
            data-testid="report-to"
          />
        </>
      )}
      {period && (
        <Select
          aria-label={t("report.filter.group_by")}
          value={choices.group_by ?? "month"}
          onChange={(v: Grain) => set({ group_by: v })}
          options={GRAINS.map((g) => ({ value: g, label: t(`report.group_by.${g}`), "data-value": g }))}
          popupMatchSelectWidth={false}
          data-testid="report-group-by"
        />
      )}
      {scopes.length > 1 && (
        <Select
          aria-label={t("report.filter.scope")}
          value={choices.scope ?? scopes[scopes.length - 1]}
          onChange={(v: ReportScope) => set({ scope: v, owner: undefined })}
          options={scopes.map((s) => ({ value: s, label: t(`report.scope.${s}`), "data-value": s }))}
          popupMatchSelectWidth={false}
          data-testid="report-scope"
        />
      )}
      {/* One person within the scope: none to choose among in one's own figures. */}
      {isLead && (choices.scope ?? scopes[scopes.length - 1]) !== "mine" && (
        <OwnerSelect
          value={choices.owner}
          onChange={(owner) => set({ owner })}
          placeholder={t("report.filter.owner_all")}
          ariaLabel={t("report.filter.owner")}
          data-testid="report-owner"
        />
      )}
      {options.map((o) =>
        o.kind === "choice" ? (
          <Select
            key={o.key}
            aria-label={t(`report.filter.${o.key}`)}
            value={(choices.options[o.key] as string | undefined) ?? o.values[0]}
            onChange={(v: string) => set({ options: { ...choices.options, [o.key]: v } })}
            options={o.values.map((v) => ({ value: v, label: t(`report.option.${o.key}.${v}`), "data-value": v }))}
            popupMatchSelectWidth={false}
            data-testid={`report-option-${o.key}`}
          />
        ) : (
          <label key={o.key} className="report-number">
            <span>{t(`report.filter.${o.key}`)}</span>
            <InputNumber
              min={o.min}
              max={o.max}
              precision={0}
              value={(choices.options[o.key] as number | undefined) ?? o.default}
              onChange={(v) => set({ options: { ...choices.options, [o.key]: typeof v === "number" ? v : null } })}
              addonAfter="%"
              data-testid={`report-option-${o.key}`}
            />
          </label>
        ),
      )}
    </div>
  );
}
