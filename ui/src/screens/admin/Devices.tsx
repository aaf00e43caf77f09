// The devices people signed in on, from the server: whose, which, since when and when last
// seen; revoking one after a warning that says what happens to it (it deletes everything it
// holds at its next contact; what was not sent from it is lost).

import { ReloadOutlined, StopOutlined } from "@ant-design/icons";
import { App as AntApp, Button, Select, Table, Tag, Tooltip } from "antd";
import type { ButtonProps, TableColumnsType } from "antd";
import type { HTMLAttributes } from "react";
import { useState } from "react";
import type { Account, Device } from "../../api";
import { errorText } from "../../errors";
import { formatDateTime } from "../../i18n";
import { useCrm } from "../../state";
import { useIsPhone } from "../../components/useIsPhone";
import { ServerAlert } from "./ServerAlert";
import { relativeTime } from "./model";
import { useServerData } from "./useServerData";

/// Devices in use first, the most recently seen on top; revoked ones after them.
function byUse(a: Device, b: Device): number {
  if (a.revoked !== b.revoked) return a.revoked ? 1 : -1;
  return (b.last_seen ?? b.created_at).localeCompare(a.last_seen ?? a.created_at);
}

export function Devices() {
  const { crm, t } = useCrm();
  const phone = useIsPhone();
  const devices = useServerData(() => crm.devices(), []);
  const accounts = useServerData(() => crm.accounts(), []);
  const [user, setUser] = useState<string | undefined>();
  const columns = useColumns(accounts.data ?? [], devices.reload);
  const shown = (devices.data ?? []).filter((d) => !user || d.username === user).sort(byUse);
  const usernames = [...new Set((devices.data ?? []).map((d) => d.username))].sort();

  return (
    <>
      <div className="admin-toolbar">
        <Select
          className="admin-filter"
          allowClear
          showSearch
          value={user}
          onChange={setUser}
          placeholder={t("devices.all_people")}
          popupMatchSelectWidth={false}
          virtual={false}
          options={usernames.map((u) => ({ value: u, label: personName(accounts.data ?? [], u), "data-value": u }))}
          data-testid="devices-user"
        />
        <Button icon={<ReloadOutlined />} onClick={devices.reload} loading={devices.loading && !!devices.data} data-testid="devices-reload">
          {t("admin.reload")}
        </Button>
      </div>
      <p className="muted small">{t("devices.hint")}</p>
      <ServerAlert error={devices.error} onRetry={devices.reload} />
      <Table<Device>
        rowKey="id"
        size="middle"
        loading={devices.loading && !devices.data}
        dataSource={shown}
        columns={columns}
        scroll={phone ? undefined : { x: "max-content" }}
        pagination={{ pageSize: 50, hideOnSinglePage: true, showSizeChanger: false }}
        onRow={(d) => ({ "data-id": d.id, "data-username": d.username, "data-testid": "device-row" }) as HTMLAttributes<HTMLElement>}
        data-testid="admin-table"
      />
    </>
  );
}

/// "王芳 (wangfang)", or the username alone for an account the list does not have.
function personName(accounts: Account[], username: string): string {
  const a = accounts.find((x) => x.username === username);
  return a && a.display_name && a.display_name !== username ? `${a.display_name} (${username})` : username;
}

function When({ at }: { at: string | null }) {
  const { lang, t } = useCrm();
  if (!at) return <span className="muted">{t("devices.never")}</span>;
  return (
    <span className="when">
      <span>{relativeTime(lang, at)}</span>
      <span className="muted small">{formatDateTime(lang, at)}</span>
    </span>
  );
}

function useColumns(accounts: Account[], reload: () => void): TableColumnsType<Device> {
  const { t, lang } = useCrm();
  const phone = useIsPhone();
  const state = (d: Device) =>
    d.revoked ? (
      <Tag color="red" data-testid="device-revoked">
        {t("devices.revoked")}
      </Tag>
    ) : (
      <Tag color="green">{t("devices.active")}</Tag>
    );
  const actions = {
    title: t("admin.actions"),
    key: "actions",
    render: (_: unknown, d: Device) => (d.revoked ? null : <RevokeButton device={d} who={personName(accounts, d.username)} reload={reload} />),
  };
  if (phone) {
    return [
      {
        title: t("devices.name"),
        key: "device",
        render: (_, d) => (
          <div className="cell-stack">
            <strong>{personName(accounts, d.username)}</strong>
            <span>
              {d.name} · {d.code_prefix}
            </span>
            <span className="muted small">
              {t("common.labelled", { label: t("devices.last_seen"), value: d.last_seen ? relativeTime(lang, d.last_seen) : t("devices.never") })}
            </span>
            <span>{state(d)}</span>
          </div>
        ),
      },
      actions,
    ];
  }
  return [
    { title: t("devices.user"), key: "user", render: (_, d) => <strong>{personName(accounts, d.username)}</strong> },
    {
      title: t("devices.name"),
      key: "name",
      render: (_, d) => (
        <span className="when">
          <span>{d.name}</span>
          <span className="muted small">{t("devices.prefix", { prefix: d.code_prefix })}</span>
        </span>
      ),
    },
    { title: t("devices.created"), key: "created", render: (_, d) => <When at={d.created_at} /> },
    { title: t("devices.last_seen"), key: "last_seen", render: (_, d) => <When at={d.last_seen} /> },
    { title: t("devices.state"), key: "revoked", render: (_, d) => state(d) },
    actions,
  ];
}

function RevokeButton({ device, who, reload }: { device: Device; who: string; reload: () => void }) {
  const { crm, t, status } = useCrm();
  const { message, modal } = AntApp.useApp();
  const self = status?.identity.device_id === device.id;
  const confirm = () =>
    modal.confirm({
      title: t("devices.revoke_title", { device: device.name, name: who }),
      content: (
        <div data-testid="device-revoke-confirm">
          <p>{t("devices.revoke_explain")}</p>
          <p>
            <strong>{t("devices.revoke_loss")}</strong>
          </p>
          <p className="muted">{t("devices.revoke_after")}</p>
        </div>
      ),
      okText: t("devices.revoke"),
      okButtonProps: { danger: true, "data-testid": "device-revoke-ok" } as ButtonProps,
      cancelText: t("common.cancel"),
      onOk: async () => {
        try {
          await crm.revokeDevice(device.id);
          message.success(t("devices.revoked_done", { device: device.name, name: who }));
          reload();
        } catch (e) {
          message.error(errorText(t, e), 8);
        }
      },
    });
  return (
    <Tooltip title={self ? t("devices.this_device") : undefined}>
      <Button danger icon={<StopOutlined />} disabled={self} onClick={confirm} data-testid="device-revoke">
        {t("devices.revoke")}
      </Button>
    </Tooltip>
  );
}
