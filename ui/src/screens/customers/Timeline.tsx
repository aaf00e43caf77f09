import { DeleteOutlined, EditOutlined } from "@ant-design/icons";
import { Button, Tag } from "antd";
import { Link, useNavigate } from "react-router-dom";
import type { Item } from "../../api";
import { dictLabel, formatDate, formatDateTime } from "../../i18n";
import { useCrm, userName } from "../../state";
import { CustomListValues } from "../../components/CustomValues";
import { MessageStatus, SENT_TYPES } from "../../components/MessageStatus";
import { useActions } from "../../components/usePermissions";
import { useUndoableDelete } from "../../components/useUndoableDelete";
import { CheckInFacts } from "../visits/CheckInFacts";
import { aboutOf, activityFormPath } from "../visits/visitLinks";

/// A customer's — or a lead's — visits, calls and messages (with how each one sent is doing),
/// newest first: when (local time), with whom, where, how long, and edit / delete where this
/// person may. `empty` is what to say when there is nothing.
export function Timeline({ activities, empty = "detail.no_activities" }: { activities: Item[]; empty?: string }) {
  const { t } = useCrm();
  if (activities.length === 0) return <p className="muted">{t(empty)}</p>;
  return (
    <ol className="timeline" data-testid="timeline">
      {activities.map((a) => (
        // `customer360` names what each visit refers to, a contact deleted since included.
        <TimelineEntry key={a.id} a={a} contactName={a.names?.[String(a.fields.contact ?? "")]} />
      ))}
    </ol>
  );
}

function TimelineEntry({ a, contactName }: { a: Item; contactName?: string }) {
  const { t, lang, dicts, users } = useCrm();
  const navigate = useNavigate();
  const actions = useActions(a);
  const remove = useUndoableDelete();
  const f = a.fields;
  const minutes = typeof f.duration_minutes === "number" ? t("visit.minutes", { minutes: f.duration_minutes }) : null;
  const what = t(`activity_type.${f.type}`);
  const about = aboutOf(f);
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
          {about && actions.includes("update") && (
            <Button
              type="text"
              icon={<EditOutlined />}
              aria-label={t("common.edit")}
              title={t("common.edit")}
              onClick={() => navigate(activityFormPath(about, a.id))}
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
      {f.type === "sms" && f.sms_text ? <p className="sms-text" data-testid="timeline-sms-text">{String(f.sms_text)}</p> : null}
      <p className="muted small" data-testid="timeline-where">
        {[contactName, f.place ? String(f.place) : null, minutes].filter(Boolean).join(" · ")}
      </p>
      <p className="muted small">
        {[userName(users, f.owner), f.next_follow_up ? t("common.labelled", { label: t("field.next_follow_up"), value: formatDate(lang, f.next_follow_up as string) }) : null]
          .filter(Boolean)
          .join(" · ")}
      </p>
      {SENT_TYPES.includes(String(f.type)) && <MessageStatus message={a} />}
      <CheckInFacts fields={f} compact />
      <CustomListValues kind="activity" fields={f} all />
    </li>
  );
}
