import { DeleteOutlined, EditOutlined } from "@ant-design/icons";
import { Button, Tag } from "antd";
import { Link, useNavigate } from "react-router-dom";
import type { Item } from "../../api";
import { dictLabel, formatDate, formatDateTime } from "../../i18n";
import { useCrm, userName } from "../../state";
import { CustomListValues } from "../../components/CustomValues";
import { EmailStatus } from "../../components/EmailStatus";
import { useActions } from "../../components/usePermissions";
import { useUndoableDelete } from "../../components/useUndoableDelete";
import { CheckInFacts } from "../visits/CheckInFacts";

/// A customer's visits, calls and emails (with how each is doing), newest first: when (local time), with whom, where, how
/// long, and edit / delete where this person may.
export function Timeline({ customerId, activities }: { customerId: string; activities: Item[] }) {
  const { t } = useCrm();
  if (activities.length === 0) return <p className="muted">{t("detail.no_activities")}</p>;
  return (
    <ol className="timeline" data-testid="timeline">
      {activities.map((a) => (
        // `customer360` names what each visit refers to, a contact deleted since included.
        <TimelineEntry key={a.id} a={a} customerId={customerId} contactName={a.names?.[String(a.fields.contact ?? "")]} />
      ))}
    </ol>
  );
}

function TimelineEntry({ a, customerId, contactName }: { a: Item; customerId: string; contactName?: string }) {
  const { t, lang, dicts, users } = useCrm();
  const navigate = useNavigate();
  const actions = useActions(a);
  const remove = useUndoableDelete();
  const f = a.fields;
  const minutes = typeof f.duration_minutes === "number" ? t("visit.minutes", { minutes: f.duration_minutes }) : null;
  const what = t(`activity_type.${f.type}`);
  return (
    <li data-testid="timeline-entry" data-id={a.id}>
      <div className="timeline-head">
        <strong>
          <Link to={`/activity/${a.id}`} className="tap-link" data-testid="open-activity">
            {what}
          </Link>
        </strong>
        {f.outcome ? <Tag color="blue">{dictLabel(lang, dicts, "activity_outcome", f.outcome)}</Tag> : null}
        <span className="muted small" data-testid="timeline-time">
          {formatDateTime(lang, f.time as string)}
        </span>
        <span className="timeline-actions">
          {actions.includes("update") && (
            <Button
              type="text"
              icon={<EditOutlined />}
              aria-label={t("common.edit")}
              title={t("common.edit")}
              onClick={() => navigate(`/visit/${customerId}/${a.id}`)}
              data-testid="edit-activity"
            />
          )}
          {actions.includes("delete") && (
            <Button
              type="text"
              danger
              icon={<DeleteOutlined />}
              aria-label={t("common.delete")}
              title={t("common.delete")}
              onClick={() => remove(a.id, what)}
              data-testid="delete-activity"
            />
          )}
        </span>
      </div>
      {f.subject ? <p>{String(f.subject)}</p> : null}
      <p className="muted small" data-testid="timeline-where">
        {[contactName, f.place ? String(f.place) : null, minutes].filter(Boolean).join(" · ")}
      </p>
      <p className="muted small">
        {[userName(users, f.owner), f.next_follow_up ? t("common.labelled", { label: t("field.next_follow_up"), value: formatDate(lang, f.next_follow_up as string) }) : null]
          .filter(Boolean)
          .join(" · ")}
      </p>
      {f.type === "email" && <EmailStatus email={a} />}
      <CheckInFacts fields={f} compact />
      <CustomListValues kind="activity" fields={f} all />
    </li>
  );
}
