// What a record view says beyond its fields: its workflow state, a transition made here that
// the server has not confirmed yet, and edits the server refused (a lost race names who won).

import { ClockCircleOutlined, CloseOutlined } from "@ant-design/icons";
import { App as AntApp, Alert, Tag } from "antd";
import { useState } from "react";
import type { Refusal, RecordView } from "../api";
import { errorText, refusalText } from "../errors";
import { formatDateTime } from "../i18n";
import { useCrm, userName } from "../state";
import { transitionLabel } from "./Transitions";

const STATE_COLOR: Record<string, string> = {
  new: "blue",
  assigned: "gold",
  handled: "cyan",
  archived: "default",
  unassigned: "orange",
  developing: "blue",
  succeeded: "green",
  failed: "red",
  pool: "purple",
  owned: "default",
  warning: "orange",
  postponed: "gold",
  confirmed: "red",
  recovered: "green",
  draft: "default",
  pending: "gold",
  approved: "cyan",
  rejected: "red",
  sent: "blue",
  accepted: "green",
  expired: "default",
  to_sign: "gold",
  signed: "cyan",
  executing: "blue",
  completed: "green",
  void: "default",
  submitted: "gold",
  shipped: "blue",
  cancelled: "default",
  recorded: "gold",
  requested: "gold",
  issued: "green",
  paid: "green",
  // A confirmed order or payment is good news, unlike a confirmed churn.
  "order.confirmed": "cyan",
  "payment.confirmed": "green",
};

/// A workflow state in words, coloured by what it asks of people.
export function StateTag({ kind, state, testId }: { kind: string; state: string | null | undefined; testId?: string }) {
  const { t } = useCrm();
  if (!state) return null;
  return (
    <Tag color={STATE_COLOR[`${kind}.${state}`] ?? STATE_COLOR[state] ?? "default"} data-testid={testId ?? "state-tag"} data-state={state}>
      {t(`state.${kind}.${state}`)}
    </Tag>
  );
}

/// "Awaiting confirmation" while a transition made here has not reached the server.
export function AwaitingNotice({ view, compact = false }: { view: Pick<RecordView, "awaiting"> & { kind?: string }; compact?: boolean }) {
  const { t, lang } = useCrm();
  if (!view.awaiting) return null;
  const text = t("workflow.awaiting", { transition: transitionLabel(t, view.kind, view.awaiting.transition) });
  if (compact) {
    return (
      <Tag icon={<ClockCircleOutlined />} color="warning" data-testid="awaiting" title={t("workflow.awaiting_hint")}>
        {text}
      </Tag>
    );
  }
  return (
    <div data-testid="awaiting">
      <Alert
        type="warning"
        showIcon
        icon={<ClockCircleOutlined />}
        message={text}
        description={`${t("workflow.awaiting_hint")} ${formatDateTime(lang, view.awaiting.at)}`}
      />
    </div>
  );
}

/// Each edit of this record the server refused, in words, newest first, until the person
/// puts the notice away (`dismiss_refused`: gone from the record and the sync screen on this
/// device; a later refusal shows again).
export function RefusedNotices({ view }: { view: Pick<RecordView, "id" | "refused" | "names" | "kind"> }) {
  const { crm, t, lang, users } = useCrm();
  const { message } = AntApp.useApp();
  // Put away here at once; the record read again after the core's `records_changed` agrees.
  const [away, setAway] = useState<string[]>([]);
  const refused: Refusal[] = (view.refused ?? []).filter((r) => !away.includes(r.hash));
  if (refused.length === 0) return null;
  const nameOf = (id: string) => userName(users, id, view.names);
  const dismiss = () => {
    const hashes = refused.map((r) => r.hash);
    setAway((old) => [...old, ...hashes]);
    crm.dismissRefused(hashes).catch((e) => {
      setAway((old) => old.filter((h) => !hashes.includes(h)));
      message.error(errorText(t, e));
    });
  };
  return (
    <div data-testid="refused">
      <Alert
        type="error"
        showIcon
        closable={{ closeIcon: <CloseOutlined data-testid="refused-dismiss" />, "aria-label": t("refused.dismiss") }}
        onClose={dismiss}
        message={t("refused.title")}
        description={
          <ul className="refused-list">
            {refused.map((r) => (
              <li key={r.hash} data-testid="refused-item" data-code={r.code}>
                {refusalText(t, lang, r, nameOf, view.kind)}{" "}
                <span className="muted small">{t("refused.at", { time: formatDateTime(lang, r.at) })}</span>
              </li>
            ))}
          </ul>
        }
      />
    </div>
  );
}
