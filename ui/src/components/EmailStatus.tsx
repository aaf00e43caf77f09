// How an email written in the app is doing: queued on the way, sent, or failed with the relay's
// words — and, on a failed one, retry where `permissions` offers it.

import type { Item } from "../api";
import { useCrm, useData } from "../state";
import { StateTag } from "./RecordStatus";
import { TransitionButtons } from "./Transitions";

export function EmailStatus({ email: a }: { email: Item }) {
  const { t } = useCrm();
  const f = a.fields;
  const status = typeof f.email_status === "string" ? f.email_status : "";
  if (!status) return null;
  return (
    <span className="email-status" data-testid="email-status" data-state={status}>
      <StateTag kind="email" state={status} testId="email-state" />
      {f.email_to ? <span className="muted small">{t("email.to", { to: String(f.email_to) })}</span> : null}
      {status === "failed" && f.email_error ? (
        <span className="field-error small" data-testid="email-error">
          {String(f.email_error)}
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
