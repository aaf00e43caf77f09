// Restoring a backup on the running server: what it replaces said plainly — everything the
// server took in since the backup, for everyone; every device disconnected, reconnecting by
// itself and sending again the edits it made itself; devices first signed in since then
// signing in again — and that the state just before is kept as a backup first. The admin types
// the backup's name to confirm; the server checks it again (`confirm_mismatch`).

import { Alert, Input } from "antd";
import { useState } from "react";
import type { Backup } from "../../api";
import { formatDateTime } from "../../i18n";
import { useCrm } from "../../state";
import { FormDialog } from "../../components/FormDialog";
import { ServerAlert } from "./ServerAlert";

export function RestoreDialog({
  backup,
  onClose,
  onDone,
}: {
  backup: Backup;
  onClose: () => void;
  onDone: (result: { restored: string; kept: string }) => void;
}) {
  const { crm, t, lang } = useCrm();
  const [typed, setTyped] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const matches = typed.trim() === backup.name;

  const restore = async () => {
    if (!matches) return;
    setBusy(true);
    setError(null);
    try {
      const result = await crm.restoreBackup(backup.name, typed.trim());
      onDone(result);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <FormDialog
      title={t("backups.restore_title", { name: backup.name })}
      okText={t("backups.restore_ok")}
      onOk={() => void restore()}
      onClose={onClose}
      busy={busy}
      danger
      okDisabled={!matches}
      testId={{ ok: "backup-restore-ok", form: "backup-restore-form" }}
    >
      <Alert
        type="error"
        showIcon
        message={t("backups.restore_warning", { time: backup.at ? formatDateTime(lang, backup.at) : backup.name })}
        description={
          <ul className="restore-effects">
            <li>{t("backups.restore_replaces")}</li>
            <li>{t("backups.restore_devices")}</li>
            <li>{t("backups.restore_new_devices")}</li>
            <li>{t("backups.restore_kept")}</li>
          </ul>
        }
        data-testid="backup-restore-warning"
      />
      <div className="form-field">
        <label htmlFor="backup-restore-confirm">{t("backups.restore_type_name")}</label>
        <code className="command backup-name">{backup.name}</code>
        <Input
          id="backup-restore-confirm"
          value={typed}
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => setTyped(e.target.value)}
          onPressEnter={() => void restore()}
          status={typed !== "" && !matches ? "error" : undefined}
          data-testid="backup-restore-confirm"
        />
      </div>
      <ServerAlert error={error} testId="dialog-error" />
    </FormDialog>
  );
}
