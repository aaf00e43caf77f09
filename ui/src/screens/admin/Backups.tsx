// The server's backups: a consistent copy made now (the server keeps syncing while it is
// made), the copies there are with their size and time, each to download. Restoring is done
// on the server's machine with the server stopped; the screen says how.

import { CloudDownloadOutlined, DatabaseOutlined, ReloadOutlined } from "@ant-design/icons";
import { Alert, App as AntApp, Button, Table } from "antd";
import type { TableColumnsType } from "antd";
import type { HTMLAttributes } from "react";
import { useState } from "react";
import type { Backup } from "../../api";
import { errorText } from "../../errors";
import { saveBase64 } from "../../files";
import { formatDateTime } from "../../i18n";
import { useCrm } from "../../state";
import { useIsPhone } from "../../components/useIsPhone";
import { ServerAlert } from "./ServerAlert";
import { formatBytes, relativeTime } from "./model";
import { useServerData } from "./useServerData";

export function Backups() {
  const { crm, t, lang } = useCrm();
  const { message } = AntApp.useApp();
  const backups = useServerData(() => crm.backups(), []);
  const [making, setMaking] = useState(false);

  const make = async () => {
    setMaking(true);
    try {
      const made = await crm.makeBackup();
      message.success(t("backups.made", { name: made.name, size: formatBytes(lang, made.bytes) }));
      backups.reload();
    } catch (e) {
      message.error(errorText(t, e), 8);
    } finally {
      setMaking(false);
    }
  };

  const phone = useIsPhone();
  const when = (b: Backup) =>
    b.at ? (
      <span className="when">
        <span>{formatDateTime(lang, b.at)}</span>
        <span className="muted small">{relativeTime(lang, b.at)}</span>
      </span>
    ) : null;
  const download = { title: t("admin.actions"), key: "download", render: (_: unknown, b: Backup) => <DownloadButton name={b.name} iconOnly={phone} /> };
  const columns: TableColumnsType<Backup> = phone
    ? [
        {
          title: t("backups.name"),
          key: "backup",
          render: (_, b) => (
            <div className="cell-stack">
              <span className="backup-name">{b.name}</span>
              <span className="muted small">
                {formatBytes(lang, b.bytes)} · {b.at ? relativeTime(lang, b.at) : ""}
              </span>
            </div>
          ),
        },
        download,
      ]
    : [
    { title: t("backups.name"), key: "name", render: (_, b) => <span className="backup-name">{b.name}</span> },
    { title: t("backups.size"), key: "bytes", render: (_, b) => formatBytes(lang, b.bytes) },
    { title: t("backups.time"), key: "at", render: (_, b) => when(b) },
    download,
  ];

  return (
    <>
      <div className="admin-toolbar">
        <Button type="primary" icon={<DatabaseOutlined />} loading={making} onClick={() => void make()} data-testid="backup-make">
          {t("backups.make")}
        </Button>
        <Button icon={<ReloadOutlined />} onClick={backups.reload} loading={backups.loading && !!backups.data} data-testid="backups-reload">
          {t("admin.reload")}
        </Button>
      </div>
      <p className="muted small">{t("backups.hint")}</p>
      <ServerAlert error={backups.error} onRetry={backups.reload} />
      <Table<Backup>
        rowKey="name"
        size="middle"
        loading={backups.loading && !backups.data}
        dataSource={backups.data ?? []}
        columns={columns}
        scroll={phone ? undefined : { x: "max-content" }}
        pagination={{ pageSize: 50, hideOnSinglePage: true, showSizeChanger: false }}
        onRow={(b) => ({ "data-name": b.name, "data-testid": "backup-row" }) as HTMLAttributes<HTMLElement>}
        locale={{ emptyText: t("backups.none") }}
        data-testid="admin-table"
      />
      <Alert className="section" type="info" showIcon message={t("backups.restore_title")} description={<RestoreNote />} data-testid="backup-restore-note" />
    </>
  );
}

function RestoreNote() {
  const { t } = useCrm();
  return (
    <>
      <p>{t("backups.restore_how")}</p>
      <code className="command" data-testid="backup-restore-command">
        {t("backups.restore_command")}
      </code>
      <p className="muted small">{t("backups.restore_after")}</p>
    </>
  );
}

function DownloadButton({ name, iconOnly }: { name: string; iconOnly: boolean }) {
  const { crm, t } = useCrm();
  const { message } = AntApp.useApp();
  const [busy, setBusy] = useState(false);
  const download = async () => {
    setBusy(true);
    try {
      const file = await crm.backupFile(name);
      saveBase64(file.name, file.data, file.content_type);
    } catch (e) {
      message.error(errorText(t, e), 8);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Button
      icon={<CloudDownloadOutlined />}
      loading={busy}
      onClick={() => void download()}
      aria-label={t("backups.download")}
      title={t("backups.download")}
      data-testid="backup-download"
    >
      {iconOnly ? undefined : t("backups.download")}
    </Button>
  );
}
