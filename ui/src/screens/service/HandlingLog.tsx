import { App as AntApp, Button, Input } from "antd";
import { useState } from "react";
import type { LogEntry } from "../../api";
import { errorText } from "../../errors";
import { formatDateTime } from "../../i18n";
import { useCrm, userName } from "../../state";

/// A request's handling log in the order it was written — who, when, what — and, where the
/// core allows `append`, a note to add. Entries added on several devices all stay.
export function HandlingLog({
  id,
  entries,
  names,
  canAdd,
  onAdded,
}: {
  id: string;
  entries: LogEntry[];
  names: Record<string, string>;
  canAdd: boolean;
  onAdded: () => void;
}) {
  const { crm, t, lang, users, changed } = useCrm();
  const { message } = AntApp.useApp();
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const add = async () => {
    if (!text.trim()) return;
    setBusy(true);
    try {
      await crm.append(id, "handling_log", text);
      setText("");
      changed();
      onAdded();
    } catch (e) {
      message.error(errorText(t, e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      {entries.length === 0 && <p className="muted">{t("service.log_none")}</p>}
      <ol className="timeline" data-testid="handling-log">
        {entries.map((e, i) => (
          <li key={`${e.at}-${i}`} data-testid="log-entry">
            <div className="timeline-head">
              <strong>{userName(users, e.by, names) || t("history.someone")}</strong>
              <span className="muted small">{formatDateTime(lang, e.at)}</span>
            </div>
            <p className="log-text">{e.text}</p>
          </li>
        ))}
      </ol>
      {canAdd && (
        <div className="log-add">
          <Input.TextArea
            aria-label={t("service.log_add")}
            placeholder={t("service.log_placeholder")}
            autoSize={{ minRows: 2 }}
            maxLength={4000}
            value={text}
            onChange={(e) => setText(e.target.value)}
            data-testid="log-text"
          />
          <Button onClick={() => void add()} loading={busy} disabled={!text.trim()} data-testid="log-add">
            {t("service.log_add")}
          </Button>
        </div>
      )}
    </>
  );
}
