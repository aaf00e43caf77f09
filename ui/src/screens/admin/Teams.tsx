// Team records as this device holds them: a team's name and its supervisor, whom an admin sets
// here (an ordinary record update that syncs). Who belongs to a team is the team code on each
// account, set in the users section.

import { Alert, App as AntApp, Select, Table } from "antd";
import type { TableColumnsType } from "antd";
import type { HTMLAttributes } from "react";
import type { Item } from "../../api";
import { errorText } from "../../errors";
import { useCrm, useData } from "../../state";

const LIMIT = 500;

export function Teams() {
  const { crm, t } = useCrm();
  const page = useData(() => crm.list("team", { sort: "name", limit: LIMIT }), []);
  const columns: TableColumnsType<Item> = [
    { title: t("admin.name"), key: "name", render: (_, r) => <strong>{String(r.fields.name ?? "")}</strong> },
    { title: t("admin.supervisor"), key: "supervisor", render: (_, r) => <SupervisorSelect team={r} /> },
  ];
  if (page.error) return <Alert type="error" showIcon message={errorText(t, page.error)} />;
  return (
    <>
      <p className="muted small">{t("teams.hint")}</p>
      {page.data && page.data.total > page.data.items.length && (
        <p className="muted small">{t("admin.showing", { shown: page.data.items.length, total: page.data.total })}</p>
      )}
      <Table<Item>
        rowKey="id"
        size="middle"
        loading={!page.data}
        dataSource={page.data?.items}
        columns={columns}
        scroll={{ x: "max-content" }}
        pagination={{ pageSize: 50, hideOnSinglePage: true, showSizeChanger: false }}
        onRow={(r) => ({ "data-id": r.id, "data-testid": "team-row" }) as HTMLAttributes<HTMLElement>}
        locale={{ emptyText: t("teams.none") }}
        data-testid="admin-table"
      />
    </>
  );
}

function SupervisorSelect({ team }: { team: Item }) {
  const { crm, t, users } = useCrm();
  const { message } = AntApp.useApp();
  const current = typeof team.fields.supervisor === "string" ? team.fields.supervisor : undefined;
  const choices = users.filter((u) => u.fields.active !== false || u.id === current);
  const set = async (supervisor: string | undefined) => {
    try {
      await crm.update(team.id, { supervisor: supervisor ?? null });
      message.success(t("form.saved"));
    } catch (e) {
      message.error(errorText(t, e), 8);
    }
  };
  return (
    <Select
      className="team-supervisor"
      allowClear
      showSearch
      optionFilterProp="label"
      value={current}
      onChange={(v?: string) => void set(v)}
      placeholder={t("teams.no_supervisor")}
      popupMatchSelectWidth={false}
      virtual={false}
      aria-label={t("admin.supervisor")}
      options={choices.map((u) => ({
        value: u.id,
        label: `${String(u.fields.display_name ?? u.fields.username ?? "")} · ${t(`role.${u.fields.role}`)}`,
        "data-value": u.id,
      }))}
      data-testid="team-supervisor"
    />
  );
}
