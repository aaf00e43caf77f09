// Two people changed one field (or one part of a document's line) at once: every value, who
// wrote it and when; choosing one settles it with `resolve_conflict`, where the person may.

import { WarningOutlined } from "@ant-design/icons";
import { Button, Popover } from "antd";
import type { ConflictValue, Json, RecordView } from "../api";
import { formatDateTime } from "../i18n";
import { useCrm, userName } from "../state";

/// Two people changed this field at once: every value, who wrote it and when; choosing one
/// settles it (when this person may).
export function ConflictBadge({
  values,
  record,
  render,
  onKeep,
  testId = "conflict-badge",
}: {
  values: ConflictValue[];
  record: Pick<RecordView, "names">;
  render: (v: Json) => string;
  onKeep?: (v: Json) => void;
  testId?: string;
}) {
  const { t, lang, users } = useCrm();
  const content = (
    <div className="conflict-pop" role="dialog" aria-label={t("detail.conflict_title")}>
      {values.map((v, i) => (
        <div key={i} className="conflict-value">
          <span>
            <span className="value">{render(v.value)}</span>
            <span className="muted small">
              {t("detail.conflict_by", {
                name: userName(users, v.user_id ?? undefined, record.names) || t("history.someone"),
                time: formatDateTime(lang, v.at),
              })}
            </span>
          </span>
          {onKeep && (
            <Button onClick={() => onKeep(v.value)} data-testid="conflict-keep">
              {t("detail.conflict_keep")}
            </Button>
          )}
        </div>
      ))}
    </div>
  );
  return (
    <Popover trigger="click" title={t("detail.conflict_title")} content={content}>
      <Button size="small" className="conflict-badge" icon={<WarningOutlined />} data-testid={testId}>
        {t("customers.conflict")}
      </Button>
    </Popover>
  );
}
