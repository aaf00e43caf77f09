// The imports run on this device (`imports`: batches are kept where they ran), newest first:
// when, which file, into what, by whom, what each did and whether it was reverted — with the
// refused rows to download and a way to revert one.

import { Alert, Tag } from "antd";
import type { ImportBatch } from "../../api";
import { errorText } from "../../errors";
import { formatDateTime } from "../../i18n";
import { useCrm, useData, userName } from "../../state";
import { BatchActions } from "./BatchActions";

export function ImportHistory() {
  const { crm, t } = useCrm();
  const batches = useData(() => crm.imports(), []);
  if (batches.error) return <Alert type="error" showIcon message={errorText(t, batches.error)} />;
  if (!batches.data) return <p className="muted">{t("common.loading")}</p>;
  return (
    <div className="results section">
      {batches.data.length === 0 && <p className="muted">{t("import.history_none")}</p>}
      <ul className="list" data-testid="import-history">
        {batches.data.map((b) => (
          <BatchRow key={b.id} batch={b} />
        ))}
      </ul>
    </div>
  );
}

function BatchRow({ batch: b }: { batch: ImportBatch }) {
  const { t, lang, users } = useCrm();
  const by = userName(users, b.by);
  return (
    <li className="row import-batch" data-testid="import-batch" data-id={b.id} data-reverted={b.reverted_at ? "1" : "0"}>
      <div className="row-main">
        <strong>{b.file_name}</strong>
        <span className="muted">
          {[formatDateTime(lang, b.at), t(`kind.${b.kind}`), by].filter(Boolean).join(" · ")}
        </span>
      </div>
      <span className="row-tags" data-testid="import-batch-counts">
        <Tag color="green">{t("import.count_create", { count: b.created })}</Tag>
        {b.updated > 0 && <Tag color="blue">{t("import.count_update", { count: b.updated })}</Tag>}
        {b.skipped > 0 && <Tag>{t("import.count_skip", { count: b.skipped })}</Tag>}
        {b.rejected > 0 && <Tag color="red">{t("import.count_reject", { count: b.rejected })}</Tag>}
        {b.reverted_at && (
          <Tag color="default" data-testid="import-batch-reverted">
            {t("import.reverted_at", { time: formatDateTime(lang, b.reverted_at) })}
          </Tag>
        )}
        {!b.finished_at && <Tag color="orange">{t("import.unfinished")}</Tag>}
      </span>
      <BatchActions batch={b} />
    </li>
  );
}
