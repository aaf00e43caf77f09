// How a message written in the app is doing — an email or a text message: queued on the way,
// sent, or failed with the relay's or the SMS provider's words — and, on a failed one, retry
// where `permissions` offers it.

import type { Item } from "../api";
import { useCrm, useData } from "../state";
import { StateTag } from "./RecordStatus";
import { TransitionButtons } from "./Transitions";

/// The activity types the server sends (`send_status`).
export const SENT_TYPES = ["email", "sms"];

export function MessageStatus({ message: a }: { message: Item }) {
  const { t } = useCrm();
  const f = a.fields;
  const status = typeof f.send_status === "string" ? f.send_status : "";
  if (!status) return null;
  const to = f.type === "sms" ? f.sms_to : f.email_to;
  return (
    <span className="message-status" data-testid="message-status" data-state={status}>
      <StateTag kind="send" state={status} testId="message-state" />
      {to ? <span className="muted small">{t("message.to", { to: String(to) })}</span> : null}
      {status === "failed" && f.send_error ? (
        <span className="field-error small" data-testid="message-error">
          {String(f.send_error)}
        </span>
      ) : null}
      {status === "failed" && <RetryButton id={a.id} />}
    </span>
  );
}

function RetryButton({ id }: { id: string }) {
  const { crm } = useCrm();
  const permissions = useData(() => crm.permissions(id), [id]);
  const offers = (permissions.data?.transitions ?? []).filter((o) => o.name === "retry");
  return <TransitionButtons kind="activity" id={id} offers={offers} />;
}
