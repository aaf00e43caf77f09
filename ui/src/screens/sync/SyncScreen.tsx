import { LogoutOutlined } from "@ant-design/icons";
import { Alert, Button, Card, Descriptions, Space } from "antd";
import { useState } from "react";
import { Link } from "react-router-dom";
import { CrmError } from "../../api";
import { codeText, errorText } from "../../errors";
import { formatDateTime } from "../../i18n";
import { useCrm, useData } from "../../state";
import { SyncIndicator } from "../../components/SyncIndicator";
import { UserBadge } from "../../components/Navigation";

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
      <Card>
        <Space direction="vertical" size="middle" className="full-width">
          <SyncIndicator />
          <UserBadge />
          <Descriptions column={1} size="small">
            {status.server && <Descriptions.Item label={t("sync.server")}>{status.server}</Descriptions.Item>}
            <Descriptions.Item label={t("sync.pending_label")}>
              <span data-testid="pending-count">{status.sync.pending}</span>
            </Descriptions.Item>
            <Descriptions.Item label={t("sync.last_label")}>
              {status.sync.last_sync ? formatDateTime(lang, status.sync.last_sync) : t("sync.never")}
            </Descriptions.Item>
          </Descriptions>
          {/* The core's detail is English text without a code: shown only in the English UI. */}
          {lang === "en" && status.sync.detail && <p className="muted">{status.sync.detail}</p>}
          {warning !== null && (
            <div data-testid="signout-warning">
              <Alert
                type="warning"
                showIcon
                role="alert"
                message={t("sync.signout_warn", { pending: warning })}
                action={
                  <Space direction="vertical">
                    <Button danger type="primary" onClick={() => signOut(true)} data-testid="signout-confirm">
                      {t("sync.signout_confirm")}
                    </Button>
                    <Button onClick={() => setWarning(null)}>{t("common.cancel")}</Button>
                  </Space>
                }
              />
            </div>
          )}
          {error && <Alert type="error" showIcon message={error} />}
          <div className="actions">
            {status.mode === "signed_in" ? (
              <Button icon={<LogoutOutlined />} onClick={() => signOut(false)} data-testid="signout">
                {t("sync.signout")}
              </Button>
            ) : (
              // Used only on this device so far: leaving local mode shows the sign-in screen;
              // nothing is deleted and there is nothing unsent to warn about.
              <Button onClick={() => signOut(true)}>{t("sync.signin")}</Button>
            )}
          </div>
        </Space>
      </Card>
      <Card title={t("sync.rejected_title")} data-testid="rejected-list" className="section">
        {rejected.data?.length === 0 ? (
          <p className="muted">{t("sync.rejected_none")}</p>
        ) : (
          <p className="muted small">{t("sync.rejected_hint")}</p>
        )}
        <ul className="list">
          {rejected.data?.map((r) => {
            const main = (
              <>
                <strong>
                  {r.kind ? `${t(`kind.${r.kind}`)} · ` : ""}
                  {r.title ?? r.doc_id}
                </strong>
                <span className="muted">{codeText(t, r.code)}</span>
              </>
            );
            return (
              <li key={r.hash} className="row">
                {r.customer_id ? (
                  <Link className="row-main" to={`/customers/${r.customer_id}`}>
                    {main}
                  </Link>
                ) : (
                  <span className="row-main">{main}</span>
                )}
                <span className="muted small">{formatDateTime(lang, r.at)}</span>
              </li>
            );
          })}
        </ul>
      </Card>
    </div>
  );
}
