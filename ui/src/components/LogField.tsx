import { App as AntApp, Button, Input } from "antd";
import { useState } from "react";
import type { LogEntry } from "../api";
import { errorText } from "../errors";
import { formatDateTime } from "../i18n";
import { useCrm, userName } from "../state";

/// The words one log field uses: shown when empty, on the add button, in the empty box.
export interface LogTexts {
  none: string;
  add: string;
  placeholder: string;
}

/// A log field (a service request's handling log, a churn case's measures) in the order it
/// was written — who, when, what — and, where the core allows `append`, an entry to add.
/// Entries added on several devices all stay.
export function LogField({
  id,
  field,
  entries,
  names,
  canAdd,
  texts,
}: {
  id: string;
  field: string;
  entries: LogEntry[];
  names: Record<string, string>;
  canAdd: boolean;
  texts: LogTexts;
}) {
  const { crm, t, lang, users } = useCrm();
  const { message } = AntApp.useApp();
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const add = async () => {
    if (!text.trim()) return;
    setBusy(true);
    try {
      // The view re-reads on the core's `records_changed` that follows.
      await crm.append(id, field, text);
      setText("");
    } catch (e) {
      message.error(errorText(t, e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      {entries.length === 0 && <p className="muted">{t(texts.none)}</p>}
      <ol className="timeline" data-testid="log" data-field={field}>
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
            aria-label={t(texts.add)}
            placeholder={t(texts.placeholder)}
            autoSize={{ minRows: 2 }}
            maxLength={4000}
            value={text}
            onChange={(e) => setText(e.target.value)}
            data-testid="log-text"
          />
          <Button onClick={() => void add()} loading={busy} disabled={!text.trim()} data-testid="log-add">
            {t(texts.add)}
          </Button>
        </div>
      )}
    </>
  );
}
