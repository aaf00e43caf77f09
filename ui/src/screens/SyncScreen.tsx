import { useState } from "react";
import { CrmError } from "../api";
import { formatDateTime } from "../i18n";
import { useCrm, useData } from "../state";
import { SyncIndicator } from "../components/SyncIndicator";
import { errorText } from "./errors";

export function SyncScreen() {
  const { crm, status, setStatus, t, lang } = useCrm();
  const rejected = useData(() => crm.rejected(), []);
  const [warning, setWarning] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (!status) return null;

  const signOut = async (force: boolean) => {
    try {
      setStatus(await crm.signOut(force));
    } catch (e) {
      if (e instanceof CrmError && e.code === "unsynced_edits") {
        setWarning(Number((e.params as { pending?: number } | null)?.pending ?? 0));
      } else setError(errorText(t, e));
    }
  };

  return (
    <div className="page">
      <h1>{t("sync.title")}</h1>
      <section className="card">
        <SyncIndicator />
        <dl className="fields">
          {status.server && (
            <>
              <dt>{t("sync.server")}</dt>
              <dd>{status.server}</dd>
            </>
          )}
          <dt>{t("sync.user")}</dt>
          <dd>
            {status.identity.display_name} ({status.identity.role})
          </dd>
          <dt>{t("sync.pending", { count: "" }).trim()}</dt>
          <dd data-testid="pending-count">{status.sync.pending}</dd>
          <dt>{t("sync.last", { time: "" }).trim()}</dt>
          <dd>{status.sync.last_sync ? formatDateTime(lang, status.sync.last_sync) : t("sync.never")}</dd>
        </dl>
        {status.sync.detail && <p className="muted">{status.sync.detail}</p>}
        {warning !== null && (
          <div className="notice" role="alert" data-testid="signout-warning">
            <p>{t("sync.signout_warn", { pending: warning })}</p>
            <button className="danger" onClick={() => signOut(true)} data-testid="signout-confirm">
              {t("sync.signout_confirm")}
            </button>
            <button onClick={() => setWarning(null)}>{t("common.cancel")}</button>
          </div>
        )}
        {error && <p className="error">{error}</p>}
        <div className="actions">
          {status.mode === "signed_in" ? (
            <button onClick={() => signOut(false)} data-testid="signout">
              {t("sync.signout")}
            </button>
          ) : (
            // Used only on this device so far: leaving local mode shows the sign-in screen;
            // nothing is deleted and there is nothing unsent to warn about.
            <button onClick={() => signOut(true)}>{t("sync.signin")}</button>
          )}
        </div>
      </section>
      <section className="card" data-testid="rejected-list">
        <h2>{t("sync.rejected_title")}</h2>
        {rejected.data?.length === 0 ? (
          <p className="muted">{t("sync.rejected_none")}</p>
        ) : (
          <p className="muted small">{t("sync.rejected_hint")}</p>
        )}
        <ul className="list">
          {rejected.data?.map((r) => (
            <li key={r.hash} className="row">
              <a className="row-main" href={r.customer_id ? `#/customers/${r.customer_id}` : undefined}>
                <strong>
                  {r.kind ? `${t(`kind.${r.kind}`)} · ` : ""}
                  {r.title ?? r.doc_id}
                </strong>
                <span className="muted">{r.reason}</span>
              </a>
              <span className="muted small">{formatDateTime(lang, r.at)}</span>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
