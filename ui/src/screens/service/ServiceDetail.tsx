import { DeleteOutlined, EditOutlined, SmileOutlined } from "@ant-design/icons";
import { Button, Card, Rate, Tag } from "antd";
import { useState } from "react";
import type { ReactNode } from "react";
import { Link, useNavigate } from "react-router-dom";
import type { LogEntry } from "../../api";
import { dictLabel, formatDate, formatDateTime, localDate } from "../../i18n";
import { useCrm, useData, userName } from "../../state";
import { CustomFieldRows } from "../../components/CustomValues";
import { DetailFrame, DetailPending } from "../../components/DetailFrame";
import { FieldsCard } from "../../components/FieldsCard";
import { StateTag } from "../../components/RecordStatus";
import { TransitionButtons } from "../../components/Transitions";
import { useUndoableDelete } from "../../components/useUndoableDelete";
import { LogField } from "../../components/LogField";
import { Attachments } from "../../components/attachments/Attachments";
import { FeedbackDialog } from "./FeedbackDialog";
import { isOverdue } from "./model";

/// One service request: its fields, the customer and contact it is for, its handling log, its
/// files, and the workflow actions this person may take now (from `permissions`).
export function ServiceDetail({ id }: { id: string }) {
  const { crm, t, lang, dicts, users } = useCrm();
  const navigate = useNavigate();
  // Read again on every `records_changed`: a step taken here, the server confirming it, others' work.
  const view = useData(() => crm.get(id), [id]);
  const permissions = useData(() => crm.permissions(id), [id]);
  const remove = useUndoableDelete();
  const [feedback, setFeedback] = useState(false);

  if (view.error || !view.data) return <DetailPending error={view.error} />;
  const r = view.data;
  const f = r.fields;
  const actions = permissions.data?.actions ?? [];
  const offers = permissions.data?.transitions ?? [];
  const feedbackOffered = offers.some((o) => o.name === "reopen" || o.name === "archive");
  const status = String(f.status ?? "new");
  const name = (v: unknown) => userName(users, v as string, r.names);
  const when = (v: unknown) => (typeof v === "string" ? formatDateTime(lang, v) : "");
  const customerId = String(f.customer ?? "");
  const contactId = typeof f.contact === "string" ? f.contact : "";
  const overdue = isOverdue(f, localDate());

  const rows: [string, ReactNode][] = [
    ["customer", customerId && <Link className="field-link" to={`/customers/${customerId}`} data-testid="service-customer">{r.names[customerId] ?? customerId}</Link>],
    ["contact", contactId && <Link className="field-link" to={`/customers/${customerId}`}>{r.names[contactId] ?? ""}</Link>],
    ["type", dictLabel(lang, dicts, "service_type", f.type)],
    ["priority", t(`priority.${String(f.priority ?? "normal")}`)],
    [
      "due",
      typeof f.due === "string" && f.due ? (
        <span>
          {formatDate(lang, f.due)} {overdue && <Tag color="red">{t("service.overdue")}</Tag>}
        </span>
      ) : null,
    ],
    ["assignee", f.assignee ? <span data-testid="service-assignee">{name(f.assignee)}</span> : null],
    ["assigned_by", f.assigned_by ? t("service.by_at", { name: name(f.assigned_by), time: when(f.assigned_at) }) : null],
    ["result", f.result ? String(f.result) : null],
    ["handled_at", when(f.handled_at)],
    [
      "satisfaction",
      typeof f.satisfaction === "number" ? (
        <span data-testid="service-satisfaction" data-value={f.satisfaction}>
          <Rate disabled value={f.satisfaction} className="rate-small" /> {t("service.stars", { count: f.satisfaction })}
        </span>
      ) : null,
    ],
    ["feedback", f.feedback ? String(f.feedback) : null],
    ["archived_at", when(f.archived_at)],
    ["created", t("service.by_at", { name: name(r.created_by) || t("history.someone"), time: when(r.created_at) })],
    ["description", f.description ? String(f.description) : null],
  ];

  return (
    <DetailFrame
      record={r}
      testId="service-detail"
      title={String(f.title ?? "")}
      titleTestId="service-title"
      subtitle={[f.code, dictLabel(lang, dicts, "service_type", f.type)].filter(Boolean).join(" · ")}
      status={<StateTag kind="service_request" state={status} testId="service-status" />}
      actions={
        !r.deleted_at && (
          <>
            <TransitionButtons kind="service_request" id={id} offers={offers} skip={["reopen", "archive"]} />
            {feedbackOffered && (
              <Button type="primary" icon={<SmileOutlined />} onClick={() => setFeedback(true)} data-testid="service-feedback">
                {t("service.feedback")}
              </Button>
            )}
            {actions.includes("update") && (
              <Button icon={<EditOutlined />} onClick={() => navigate(`/edit/service_request/${id}`)} data-testid="edit-service">
                {t("common.edit")}
              </Button>
            )}
            {actions.includes("delete") && (
              <Button danger icon={<DeleteOutlined />} onClick={() => void remove(id, String(f.title ?? ""))} data-testid="delete-service">
                {t("common.delete")}
              </Button>
            )}
          </>
        )
      }
      dialogs={feedback && <FeedbackDialog id={id} onClose={() => setFeedback(false)} onDone={() => setFeedback(false)} />}
    >
      <FieldsCard rows={rows} long={["description"]}>
        <CustomFieldRows kind="service_request" fields={f} />
      </FieldsCard>
      <Card title={t("field.handling_log")}>
        <LogField
          id={id}
          field="handling_log"
          entries={(f.handling_log as unknown as LogEntry[] | undefined) ?? []}
          names={r.names}
          canAdd={actions.includes("append") && !r.deleted_at}
          texts={{ none: "service.log_none", add: "service.log_add", placeholder: "service.log_placeholder" }}
        />
      </Card>
      <Card title={t("attachments.files")}>
        <Attachments record={id} field="attachments" canEdit={actions.includes("update") && !r.deleted_at} signature />
      </Card>
    </DetailFrame>
  );
}
