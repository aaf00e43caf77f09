// A team's supervisor: an active user (or the one already chosen), by name and role.

import { Select } from "antd";
import { useCrm } from "../../state";

/// A supervisor: an active user (or the one already chosen), by name and role.
export function SupervisorSelect({ id, value, onChange }: { id?: string; value: string | undefined; onChange: (v: string | undefined) => void }) {
  const { t, users } = useCrm();
  const choices = users.filter((u) => u.fields.active !== false || u.id === value);
  return (
    <Select
      id={id}
      className="team-supervisor"
      allowClear
      showSearch
      optionFilterProp="label"
      value={value}
      onChange={(v?: string) => onChange(v)}
      placeholder={t("teams.no_supervisor")}
      popupMatchSelectWidth={false}
      virtual={false}
      aria-label={t("admin.supervisor")}
      options={choices.map((u) => ({
        value: u.id,
        label: `${String(u.fields.display_name ?? u.fields.username ?? "")} · ${t(`role.${u.fields.role}`)}`,
        "data-value": u.id,
      }))}
      data-testid={id ?? "team-supervisor"}
    />
  );
}
