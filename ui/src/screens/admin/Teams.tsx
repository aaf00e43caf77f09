// Team records as this device holds them: a team's code (what accounts carry as their team,
// fixed once set), name and supervisor — created and changed here as ordinary records that
// sync — and its members: the server's accounts whose team is the code.

import { EditOutlined, PlusOutlined } from "@ant-design/icons";
import { Alert, App as AntApp, Button, Table, Tag } from "antd";
import type { TableColumnsType } from "antd";
import type { HTMLAttributes } from "react";
import { useState } from "react";
import type { Account, Item } from "../../api";
import { errorText } from "../../errors";
import { useCrm, useData } from "../../state";
import { useIsPhone } from "../../components/useIsPhone";
import { ServerAlert } from "./ServerAlert";
import { SupervisorSelect } from "./SupervisorSelect";
import { TeamDialog } from "./TeamDialog";
import { teamCode, teamMembers } from "./model";
import { useServerData } from "./useServerData";

const LIMIT = 500;

export function Teams() {
  const { crm, t } = useCrm();
  const phone = useIsPhone();
  const { message } = AntApp.useApp();
  const page = useData(() => crm.list("team", { sort: "name", limit: LIMIT }), []);
  const accounts = useServerData(() => crm.accounts(), []);
  const [dialog, setDialog] = useState<{ team: Item | null } | null>(null);
  const teams = page.data?.items ?? [];
  const columns: TableColumnsType<Item> = [
    {
      title: t("teams.code"),
      key: "code",
      render: (_, r) => teamCode(r) ?? <span className="muted">{t("teams.no_code")}</span>,
    },
    { title: t("admin.name"), key: "name", render: (_, r) => <strong>{String(r.fields.name ?? "")}</strong> },
    { title: t("admin.supervisor"), key: "supervisor", render: (_, r) => <RowSupervisor team={r} /> },
    { title: t("teams.members"), key: "members", render: (_, r) => <Members accounts={teamMembers(teamCode(r), accounts.data ?? [])} /> },
    {
      title: "",
      key: "edit",
      render: (_, r) => (
        <Button size="small" icon={<EditOutlined />} onClick={() => setDialog({ team: r })} data-testid="team-edit">
          {phone ? null : t("common.edit")}
        </Button>
      ),
    },
  ];
  if (page.error) return <Alert type="error" showIcon message={errorText(t, page.error)} />;
  return (
    <>
      <div className="admin-toolbar">
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setDialog({ team: null })} data-testid="team-new">
          {t("teams.new")}
        </Button>
      </div>
      <p className="muted small">{t("teams.hint")}</p>
      <ServerAlert error={accounts.error} onRetry={accounts.reload} />
      {page.data && page.data.total > page.data.items.length && (
        <p className="muted small">{t("admin.showing", { shown: page.data.items.length, total: page.data.total })}</p>
      )}
      <Table<Item>
        rowKey="id"
        size="middle"
        loading={!page.data}
        dataSource={teams}
        columns={columns}
        scroll={{ x: "max-content" }}
        pagination={{ pageSize: 50, hideOnSinglePage: true, showSizeChanger: false }}
        onRow={(r) => ({ "data-id": r.id, "data-code": teamCode(r) ?? "", "data-testid": "team-row" }) as HTMLAttributes<HTMLElement>}
        locale={{ emptyText: t("teams.none") }}
        data-testid="admin-table"
      />
      {dialog && (
        <TeamDialog
          team={dialog.team}
          teams={teams}
          onClose={() => setDialog(null)}
          onDone={(name) => {
            setDialog(null);
            message.success(dialog.team ? t("form.saved") : t("teams.created", { name }));
          }}
        />
      )}
    </>
  );
}

function Members({ accounts }: { accounts: Account[] }) {
  const { t } = useCrm();
  if (accounts.length === 0) return <span className="muted">{t("teams.no_members")}</span>;
  return (
    <span className="row-tags" data-testid="team-members">
      {accounts.map((a) => (
        <Tag key={a.username} data-username={a.username}>
          {a.display_name || a.username}
        </Tag>
      ))}
    </span>
  );
}

/// A team's supervisor changed in its row: saved at once.
function RowSupervisor({ team }: { team: Item }) {
  const { crm, t } = useCrm();
  const { message } = AntApp.useApp();
  const set = async (supervisor: string | undefined) => {
    try {
      await crm.update(team.id, { supervisor: supervisor ?? null });
      message.success(t("form.saved"));
    } catch (e) {
      message.error(errorText(t, e), 8);
    }
  };
  return <SupervisorSelect value={typeof team.fields.supervisor === "string" ? team.fields.supervisor : undefined} onChange={(v) => void set(v)} />;
}
