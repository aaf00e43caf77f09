// What can be done with an import once it ran, from its result and from the history alike:
// download the rows it refused (with the reason column) to fix and import again, and revert it
// after a confirmation that says what will happen.

import { DownloadOutlined, UndoOutlined } from "@ant-design/icons";
import { App as AntApp, Button } from "antd";
import type { ButtonProps } from "antd";
import { useMemo, useState } from "react";
import type { ImportBatch } from "../../api";
import { errorText, reasonWords } from "../../errors";
import { useCrm } from "../../state";
import { saveBase64 } from "../../files";
import { rejectedFormat } from "./model";

export function BatchActions({ batch, onReverted }: { batch: ImportBatch; onReverted?: () => void }) {
  const { crm, t } = useCrm();
  const { message, modal } = AntApp.useApp();
  const [busy, setBusy] = useState<"download" | "revert" | null>(null);
  // The reason column in this language's words (t changes with the language only).
  const reasons = useMemo(() => reasonWords(t), [t]);

  const download = async () => {
    setBusy("download");
    try {
      const file = await crm.importRejected(batch.id, rejectedFormat(batch.format), reasons);
      saveBase64(file.name, file.data);
    } catch (e) {
      message.error(errorText(t, e));
    } finally {
      setBusy(null);
    }
  };

  const revert = async () => {
    setBusy("revert");
    try {
      const r = await crm.importRevert(batch.id);
      message.success(
        [t("import.reverted", { deleted: r.deleted, restored: r.restored }), r.kept > 0 ? t("import.reverted_kept", { kept: r.kept }) : ""]
          .filter(Boolean)
          .join(" "),
        6,
      );
      onReverted?.();
    } catch (e) {
      message.error(errorText(t, e));
    } finally {
      setBusy(null);
    }
  };

  const confirmRevert = () =>
    modal.confirm({
      title: t("import.revert_title", { file: batch.file_name }),
      content: (
        <div data-testid="import-revert-confirm">
          <p>{t("import.revert_created", { count: batch.created, kind: t(`kind.${batch.kind}`) })}</p>
          {batch.updated > 0 && <p>{t("import.revert_updated", { count: batch.updated })}</p>}
          <p className="muted">{t("import.revert_sync")}</p>
        </div>
      ),
      okText: t("import.revert"),
      okButtonProps: { danger: true, "data-testid": "import-revert-ok" } as ButtonProps,
      cancelText: t("common.cancel"),
      onOk: revert,
    });

  return (
    <div className="actions">
      {batch.rejected > 0 && (
        <Button icon={<DownloadOutlined />} loading={busy === "download"} onClick={() => void download()} data-testid="import-download-rejected">
          {t("import.download_rejected", { count: batch.rejected })}
        </Button>
      )}
      {!batch.reverted_at && (
        <Button danger icon={<UndoOutlined />} loading={busy === "revert"} onClick={confirmRevert} data-testid="import-revert">
          {t("import.revert")}
        </Button>
      )}
    </div>
  );
}
