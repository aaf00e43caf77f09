import { Card } from "antd";
import type { ReactNode } from "react";
import { Link } from "react-router-dom";
import type { LogEntry } from "../../api";
import { DetailFrame, DetailPending } from "../../components/DetailFrame";
import { FieldsCard } from "../../components/FieldsCard";
import { formatDate, formatDateTime, localDate } from "../../i18n";
import { useCrm, useData } from "../../state";
import { LogField } from "../../components/LogField";
import { StateTag } from "../../components/RecordStatus";
import { TransitionButtons } from "../../components/Transitions";
import { daysBetween } from "./model";

/// One churn case (one customer's quiet episode): since when the customer has had no
/// business, what was decided (暂缓流失 with a day to look again, 确定流失 with the reason,
/// recovered), the measures taken, and the steps this person may take now (`permissions`).
export function ChurnDetail({ id }: { id: string }) {
  const { crm, t, lang } = useCrm();
  const view = useData(() => crm.get(id), [id]);
  const permissions = useData(() => crm.permissions(id), [id]);

  if (view.error || !view.data) return <DetailPending error={view.error} />;
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
    <DetailFrame
      record={r}
      testId="churn-detail"
      title={t("churn.case_title", { name: customerName })}
      titleTestId="churn-title"
      subtitle={t("churn.episode_since", { date: formatDate(lang, episode) })}
      status={<StateTag kind="churn_case" state={status} testId="churn-status" />}
      actions={!r.deleted_at && <TransitionButtons kind="churn_case" id={id} offers={permissions.data?.transitions ?? []} />}
    >
      <FieldsCard rows={rows} />
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
    </DetailFrame>
  );
}
