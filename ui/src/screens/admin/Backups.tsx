// The server's backups: a consistent copy made now (the server keeps syncing while it is
// made), the copies there are with their size and time, each to download or to restore while
// the server runs — after a warning of what that replaces and the backup's name typed again;
// the state just before is kept as a backup, named afterwards.

import { CloudDownloadOutlined, DatabaseOutlined, ReloadOutlined, RollbackOutlined } from "@ant-design/icons";
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
import { RestoreDialog } from "./RestoreDialog";
import { formatBytes, relativeTime } from "./model";
import { useServerData } from "./useServerData";

export function Backups() {
  const { crm, t, lang } = useCrm();
  const { message } = AntApp.useApp();
  const backups = useServerData(() => crm.backups(), []);
  const [making, setMaking] = useState(false);
  const [restoring, setRestoring] = useState<Backup | null>(null);
  const [restored, setRestored] = useState<{ restored: string; kept: string } | null>(null);

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
  const download = {
    title: t("admin.actions"),
    key: "download",
    render: (_: unknown, b: Backup) => (
      <div className="row-actions actions">
        <DownloadButton name={b.name} iconOnly={phone} />
        <Button
          danger
          icon={<RollbackOutlined />}
          onClick={() => setRestoring(b)}
          aria-label={t("backups.restore")}
          title={t("backups.restore")}
          data-testid="backup-restore"
        >
          {phone ? undefined : t("backups.restore")}
        </Button>
      </div>
    ),
  };
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
      {restored && (
        <Alert
          className="section admin-alert"
          type="success"
          showIcon
          closable
          onClose={() => setRestored(null)}
          message={t("backups.restored", { name: restored.restored })}
          description={t("backups.restored_kept", { kept: restored.kept })}
          data-testid="backup-restored"
        />
      )}
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
      <p className="muted small" data-testid="backup-restore-note">
        {t("backups.restore_stopped")}{" "}
        <code className="command" data-testid="backup-restore-command">
          {t("backups.restore_command")}
        </code>
      </p>
      {restoring && (
        <RestoreDialog
          backup={restoring}
          onClose={() => setRestoring(null)}
          onDone={(result) => {
            setRestoring(null);
            setRestored(result);
            message.success(t("backups.restored", { name: result.restored }));
            backups.reload();
          }}
        />
      )}
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
