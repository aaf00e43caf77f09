import { Card, Tag } from "antd";
import { Link } from "react-router-dom";
import type { Reminder } from "../../api";
import { formatDate } from "../../i18n";
import { useCrm, useData } from "../../state";
import { reminderKey, reminderLink } from "./model";
import { NotificationSwitch } from "./NotificationSwitch";
import { useReminderOwners } from "./useReminders";

const SHOWN = 20;

/// What a reminder's day means where it is not a due date: when a customer counts as dormant,
/// when it goes back to the pool.
const DUE_WORDS: Record<string, string> = {
  churn_dormant: "churn.dormant_since",
  churn_warning: "churn.dormant_on",
  recycle_warning: "reminders.recycle_on",
};

/// What is due, soonest first (follow-ups, service requests, churn and recycle warnings —
/// whatever the core's `reminders` names), each leading to its record; and desktop
/// notifications of new ones, where this app's window can show them.
export function RemindersCard() {
  const { crm, t } = useCrm();
  const owners = useReminderOwners();
  const reminders = useData(() => crm.reminders(owners), [owners]);
  const items = reminders.data ?? [];
  return (
    <Card
      title={
        <span>
          {t("reminders.title")} {items.length > 0 && <Tag data-testid="reminders-count">{items.length}</Tag>}
        </span>
      }
      data-testid="home-reminders"
    >
      {reminders.data && items.length === 0 && <p className="muted">{t("reminders.none")}</p>}
      <ul className="list">
        {items.slice(0, SHOWN).map((r) => (
          <ReminderRow key={reminderKey(r)} reminder={r} />
        ))}
      </ul>
      {items.length > SHOWN && <p className="muted small">{t("reminders.more", { count: items.length - SHOWN })}</p>}
      <NotificationSwitch />
    </Card>
  );
}

function ReminderRow({ reminder: r }: { reminder: Reminder }) {
  const { t, lang } = useCrm();
  const name = r.customer_name ?? r.title;
  const detail = r.title && r.title !== name ? r.title : null;
  return (
    <li className="row" data-testid="reminder" data-reason={r.reason} data-id={r.id}>
      <Link className="row-main" to={reminderLink(r)}>
        <strong>{name}</strong>
        <span className="muted">{[t(`reminders.reason.${r.reason}`), detail].filter(Boolean).join(" · ")}</span>
      </Link>
      <Tag color={r.overdue ? "red" : "blue"} data-testid="reminder-due">
        {t(DUE_WORDS[r.reason] ?? (r.overdue ? "home.overdue" : "home.due"), { date: formatDate(lang, r.due) })}
      </Tag>
    </li>
  );
}
