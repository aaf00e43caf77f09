import { Select } from "antd";
import { useCrm } from "../state";

/// A choice among the people who can own records or be assigned work (everyone but viewers),
/// by display name: a supervisor's own team (once their user record has synced its team),
/// everyone for an admin.
export function OwnerSelect({
  value,
  onChange,
  placeholder,
  allowClear = true,
  "data-testid": testId,
  id,
  ariaLabel,
}: {
  value: string | undefined;
  onChange: (v: string | undefined) => void;
  placeholder?: string;
  allowClear?: boolean;
  "data-testid"?: string;
  id?: string;
  /// What is being chosen, when it is not the owner (an assignee, a new owner).
  ariaLabel?: string;
}) {
  const { t, users, status } = useCrm();
  const me = status?.identity;
  const team = me?.role === "supervisor" ? me.team : null;
  const owners = users.filter(
    (u) => u.fields.role !== "viewer" && u.fields.active !== false && (!team || u.fields.team === team || u.id === me?.user_id),
  );
  return (
    <Select
      id={id}
      aria-label={ariaLabel ?? t("field.owner")}
      allowClear={allowClear}
      showSearch
      optionFilterProp="label"
      value={value}
      onChange={onChange}
      placeholder={placeholder}
      data-testid={testId}
      popupMatchSelectWidth={false}
      virtual={false}
      options={owners.map((u) => ({ value: u.id, label: String(u.fields.display_name ?? u.fields.username ?? u.id), "data-value": u.id }))}
    />
  );
}
