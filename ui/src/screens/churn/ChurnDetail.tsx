import { ArrowLeftOutlined } from "@ant-design/icons";
import { Alert, Button, Card } from "antd";
import type { ReactNode } from "react";
import { Link, useNavigate } from "react-router-dom";
import type { LogEntry } from "../../api";
import { errorText } from "../../errors";
import { formatDate, formatDateTime, localDate } from "../../i18n";
import { useCrm, useData } from "../../state";
import { LogField } from "../../components/LogField";
import { AwaitingNotice, RefusedNotices, StateTag } from "../../components/RecordStatus";
import { TransitionButtons } from "../../components/Transitions";
import { daysBetween } from "./model";

/// One churn case (one customer's quiet episode): since when the customer has had no
/// business, what was decided (暂缓流失 with a day to look again, 确定流失 with the reason,
/// recovered), the measures taken, and the steps this person may take now (`permissions`).
export function ChurnDetail({ id }: { id: string }) {
  const { crm, t, lang } = useCrm();
  const navigate = useNavigate();
  const view = useData(() => crm.get(id), [id]);
  const permissions = useData(() => crm.permissions(id), [id]);

  if (view.error) return <Alert className="page" type="error" message={errorText(t, view.error)} />;
  if (!view.data) return <p className="page muted">{t("common.loading")}</p>;
  const r = view.data;
  const f = r.fields;
  const status = String(f.status ?? "warning");
  const customerId = String(f.customer ?? "");
  const customerName = r.names[customerId] ?? "";
  const episode = typeof f.episode === "string" ? f.episode : "";
  const quiet = episode ? daysBetween(episode, localDate()) : null;
  const actions = permissions.data?.actions ?? [];

  const rows: [string, ReactNode][] = [
    [
      "customer",
      customerId && (
        <Link className="field-link" to={`/customers/${customerId}`} data-testid="churn-customer">
          {customerName || customerId}
        </Link>
      ),
    ],
    ["episode", episode && [formatDate(lang, episode), quiet !== null ? t("churn.days_quiet", { days: quiet }) : null].filter(Boolean).join(" · ")],
    ["review_date", typeof f.review_date === "string" && f.review_date ? <span data-testid="churn-review">{formatDate(lang, f.review_date)}</span> : null],
    ["churn_reason", typeof f.reason === "string" && f.reason ? <span data-testid="churn-reason">{f.reason}</span> : null],
    ["closed_at", typeof f.closed_at === "string" ? formatDateTime(lang, f.closed_at) : null],
  ];

  return (
    <div className="page detail" data-testid="churn-detail">
      <div className="page-head">
        <Button type="link" icon={<ArrowLeftOutlined />} onClick={() => navigate(-1)}>
          {t("common.back")}
        </Button>
      </div>
      <div className="detail-head">
        <div>
          <h1 data-testid="churn-title">{t("churn.case_title", { name: customerName })}</h1>
          <p className="muted head-tags">
            <span>{t("churn.episode_since", { date: formatDate(lang, episode) })}</span>
            <StateTag kind="churn_case" state={status} testId="churn-status" />
          </p>
        </div>
        <div className="actions">{!r.deleted_at && <TransitionButtons kind="churn_case" id={id} offers={permissions.data?.transitions ?? []} />}</div>
      </div>
      {r.deleted_at && <Alert type="warning" showIcon message={t("detail.deleted")} />}
      <AwaitingNotice view={r} />
      <RefusedNotices view={r} />

      <div className="detail-grid">
        <Card title={t("detail.fields")}>
          <dl className="fields">
            {rows.map(([field, value]) =>
              value ? (
                <div key={field} className="field-row" data-field={field}>
                  <dt>{t(`field.${field}`)}</dt>
                  <dd>{value}</dd>
                </div>
              ) : null,
            )}
          </dl>
        </Card>
        <Card title={t("field.measures")}>
          <LogField
            id={id}
            field="measures"
            entries={(f.measures as unknown as LogEntry[] | undefined) ?? []}
            names={r.names}
            canAdd={actions.includes("append") && !r.deleted_at}
            texts={{ none: "churn.measures_none", add: "churn.measure_add", placeholder: "churn.measures_hint" }}
          />
        </Card>
      </div>
    </div>
  );
}
