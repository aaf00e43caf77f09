// The server's accounts: who they are, their role and team, whether they may sign in; a new
// user, a change of role or team, a new password, disabling and enabling — each on the server,
// the list read again after it. Beside them each person's department and position from their
// user record on this device (the employee profile), changed in a dialog like any record.

import { KeyOutlined, PlusOutlined, ReloadOutlined, StopOutlined, CheckCircleOutlined, EditOutlined, IdcardOutlined } from "@ant-design/icons";
import { App as AntApp, Button, Table, Tag, Tooltip } from "antd";
import type { ButtonProps, TableColumnsType } from "antd";
import type { HTMLAttributes } from "react";
import { useState } from "react";
import type { Account, Item } from "../../api";
import { errorText } from "../../errors";
import { useCrm, useData } from "../../state";
import { useIsNarrow, useIsPhone } from "../../components/useIsPhone";
import { ProfileDialog } from "./ProfileDialog";
import { ServerAlert } from "./ServerAlert";
import { teamChoices } from "./model";
import { ChangeUserDialog, NewUserDialog, PasswordDialog } from "./UserDialogs";
import { useServerData } from "./useServerData";

type Dialog = { type: "new" } | { type: "change" | "password" | "profile"; account: Account } | null;

export function Users() {
  const { crm, t } = useCrm();
  const phone = useIsPhone();
  const { message } = AntApp.useApp();
  const accounts = useServerData(() => crm.accounts(), []);
  const [dialog, setDialog] = useState<Dialog>(null);
  const teamRecords = useData(() => crm.list("team", { sort: "name", limit: 500 }), []);
  const teams = teamChoices(teamRecords.data?.items ?? [], accounts.data ?? []);
  const columns = useColumns(setDialog, accounts.reload);

  const done = (text: string) => {
    setDialog(null);
    message.success(text);
    accounts.reload();
  };

  return (
    <>
      <div className="admin-toolbar">
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setDialog({ type: "new" })} data-testid="user-new">
          {t("users.new")}
        </Button>
        <Button icon={<ReloadOutlined />} onClick={accounts.reload} loading={accounts.loading && !!accounts.data} data-testid="users-reload">
          {t("admin.reload")}
        </Button>
      </div>
      <p className="muted small">{t("users.hint")}</p>
      <ServerAlert error={accounts.error} onRetry={accounts.reload} />
      <Table<Account>
        rowKey="username"
        size="middle"
        loading={accounts.loading && !accounts.data}
        dataSource={accounts.data ?? []}
        columns={columns}
        scroll={phone ? undefined : { x: "max-content" }}
        pagination={{ pageSize: 50, hideOnSinglePage: true, showSizeChanger: false }}
        onRow={(a) => ({ "data-username": a.username, "data-testid": "user-row" }) as HTMLAttributes<HTMLElement>}
        data-testid="admin-table"
      />
      {dialog?.type === "new" && (
        <NewUserDialog teams={teams} onClose={() => setDialog(null)} onDone={(username) => done(t("users.added", { username }))} />
      )}
      {dialog?.type === "change" && (
        <ChangeUserDialog account={dialog.account} teams={teams} onClose={() => setDialog(null)} onDone={() => done(t("form.saved"))} />
      )}
      {dialog?.type === "profile" && (
        <ProfileDialog
          account={dialog.account}
          onClose={() => setDialog(null)}
          onDone={() => done(t("users.profile_saved", { name: dialog.account.display_name || dialog.account.username }))}
        />
      )}
      {dialog?.type === "password" && (
        <PasswordDialog
          account={dialog.account}
          onClose={() => setDialog(null)}
          onDone={() => done(t("users.password_done", { name: dialog.account.display_name || dialog.account.username }))}
        />
      )}
    </>
  );
}

/// A person's department and position, from their user record on this device (empty until it
/// has synced here).
function profileOf(users: Item[], account: Account): { department: string; position: string } {
  const f = users.find((u) => u.id === account.id)?.fields ?? {};
  return { department: typeof f.department === "string" ? f.department : "", position: typeof f.position === "string" ? f.position : "" };
}

function useColumns(open: (d: Dialog) => void, reload: () => void): TableColumnsType<Account> {
  const { t, users } = useCrm();
  const phone = useIsPhone();
  const actions = { title: t("admin.actions"), key: "actions", render: (_: unknown, a: Account) => <UserActions account={a} open={open} reload={reload} /> };
  const role = (a: Account) => (
    <Tag color={a.role === "admin" ? "gold" : "blue"} data-testid="user-role-tag">
      {t(`role.${a.role}`)}
    </Tag>
  );
  const state = (a: Account) =>
    a.disabled ? (
      <Tag color="red" data-testid="user-disabled">
        {t("users.disabled")}
      </Tag>
    ) : (
      <Tag color="green">{t("users.enabled")}</Tag>
    );
  // On phones one column says who it is, the other what can be done.
  if (phone) {
    return [
      {
        title: t("admin.display_name"),
        key: "who",
        render: (_, a) => (
          <div className="cell-stack">
            <strong>{a.display_name}</strong>
            <span className="muted small">{a.username}</span>
            <span className="muted small" data-testid="user-work">
              {[profileOf(users, a).department, profileOf(users, a).position].filter(Boolean).join(" · ")}
            </span>
            <span className="row-tags">
              {role(a)}
              {a.team && <Tag>{a.team}</Tag>}
              {state(a)}
            </span>
          </div>
        ),
      },
      actions,
    ];
  }
  return [
    {
      title: t("admin.display_name"),
      key: "display_name",
      render: (_, a) => <strong>{a.display_name}</strong>,
      sorter: (a, b) => a.display_name.localeCompare(b.display_name),
    },
    { title: t("admin.username"), dataIndex: "username", key: "username", sorter: (a, b) => a.username.localeCompare(b.username) },
    { title: t("admin.role"), key: "role", render: (_, a) => role(a) },
    { title: t("users.team"), key: "team", render: (_, a) => a.team ?? <span className="muted">{t("users.no_team")}</span> },
    { title: t("field.department"), key: "department", render: (_, a) => <span data-testid="user-department">{profileOf(users, a).department}</span> },
    { title: t("field.position"), key: "position", render: (_, a) => <span data-testid="user-position">{profileOf(users, a).position}</span> },
    { title: t("users.status"), key: "disabled", render: (_, a) => state(a) },
    actions,
  ];
}

function UserActions({ account, open, reload }: { account: Account; open: (d: Dialog) => void; reload: () => void }) {
  const { crm, t, status } = useCrm();
  const { message, modal } = AntApp.useApp();
  const narrow = useIsNarrow();
  const self = status?.identity.user_id === account.id;
  const name = account.display_name || account.username;

  const toggle = () => {
    const disabling = !account.disabled;
    modal.confirm({
      title: t(disabling ? "users.disable_title" : "users.enable_title", { name }),
      content: <p data-testid="user-toggle-confirm">{t(disabling ? "users.disable_explain" : "users.enable_explain", { name })}</p>,
      okText: t(disabling ? "users.disable" : "users.enable"),
      okButtonProps: { danger: disabling, "data-testid": "user-toggle-ok" } as ButtonProps,
      cancelText: t("common.cancel"),
      onOk: async () => {
        try {
          await crm.changeAccount(account.username, { disabled: disabling });
          message.success(t(disabling ? "users.disabled_done" : "users.enabled_done", { name }));
          reload();
        } catch (e) {
          message.error(errorText(t, e), 8);
        }
      },
    });
  };

  // On narrow windows the buttons keep their icons only, each named for screen readers and on hover.
  const label = (text: string) => (narrow ? undefined : text);
  return (
    <div className="row-actions actions">
      <Button icon={<EditOutlined />} onClick={() => open({ type: "change", account })} aria-label={t("users.change")} title={t("users.change")} data-testid="user-change">
        {label(t("users.change"))}
      </Button>
      <Button icon={<IdcardOutlined />} onClick={() => open({ type: "profile", account })} aria-label={t("users.profile")} title={t("users.profile")} data-testid="user-profile">
        {label(t("users.profile"))}
      </Button>
      <Button icon={<KeyOutlined />} onClick={() => open({ type: "password", account })} aria-label={t("users.password_reset")} title={t("users.password_reset")} data-testid="user-password">
        {label(t("users.password_reset"))}
      </Button>
      <Tooltip title={self ? t("users.not_yourself") : undefined}>
        <Button
          danger={!account.disabled}
          icon={account.disabled ? <CheckCircleOutlined /> : <StopOutlined />}
          disabled={self && !account.disabled}
          onClick={toggle}
          aria-label={t(account.disabled ? "users.enable" : "users.disable")}
          data-testid="user-toggle"
        >
          {label(t(account.disabled ? "users.enable" : "users.disable"))}
        </Button>
      </Tooltip>
    </div>
  );
}
