import { CloseOutlined, LogoutOutlined, SwapOutlined } from "@ant-design/icons";
import { App as AntApp, Button, Card, Descriptions, Space } from "antd";
import { Link, useNavigate } from "react-router-dom";
import { codeText, errorText, refusalText } from "../../errors";
import { formatDateTime } from "../../i18n";
import { useCrm, useData, userName } from "../../state";
import { SyncIndicator } from "../../components/SyncIndicator";
import { UserBadge } from "../../components/Navigation";
import { useSignOut } from "../session/useSignOut";

export function SyncScreen() {
  const { crm, status, t, lang, users } = useCrm();
  const { message } = AntApp.useApp();
  const navigate = useNavigate();
  const rejected = useData(() => crm.rejected(), []);
  const signOut = useSignOut();
  if (!status) return null;

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
          {status.sync.detail_code && (
            <p className="muted" data-testid="sync-detail">
              {codeText(t, status.sync.detail_code)}
            </p>
          )}
          {signOut.panel}
          <div className="actions">
            {status.mode === "signed_in" ? (
              <Button icon={<LogoutOutlined />} onClick={() => signOut.start(() => navigate("/signin"))} data-testid="signout">
                {t("sync.signout")}
              </Button>
            ) : (
              // Used only on this device so far: leaving local mode shows the sign-in screen.
              <Button onClick={() => signOut.start(() => navigate("/signin"))} data-testid="leave-local">
                {t("sync.signin")}
              </Button>
            )}
            <Button icon={<SwapOutlined />} onClick={() => navigate("/switch-user")} data-testid="switch-user-link">
              {t("session.switch_title")}
            </Button>
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
            // The core keeps the record's kind and title, also for one that left this device since.
            const kind = r.kind;
            const main = (
              <>
                <strong>
                  {kind ? `${t(`kind.${kind}`)} · ` : ""}
                  {r.title ?? t("sync.record_gone")}
                </strong>
                {/* A lost race names who got there first and when. */}
                <span className="muted refusal-text" data-testid="rejected-reason" data-code={r.code}>
                  {refusalText(t, lang, r, (id) => userName(users, id), kind)}
                </span>
              </>
            );
            return (
              <li key={r.hash} className="row" data-testid="rejected-item">
                {r.customer_id ? (
                  <Link className="row-main" to={`/customers/${r.customer_id}`}>
                    {main}
                  </Link>
                ) : (
                  <span className="row-main">{main}</span>
                )}
                <span className="muted small">{formatDateTime(lang, r.at)}</span>
                <Button
                  type="text"
                  icon={<CloseOutlined />}
                  aria-label={t("refused.dismiss")}
                  title={t("refused.dismiss")}
                  onClick={() => crm.dismissRefused([r.hash]).catch((e) => message.error(errorText(t, e)))}
                  data-testid="rejected-dismiss"
                />
              </li>
            );
          })}
        </ul>
      </Card>
    </div>
  );
}
