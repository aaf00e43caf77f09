import { useEffect, useRef, useState } from "react";
import { useNavigate } from "react-router-dom";
import type { Reminder } from "../../api";
import { formatDate } from "../../i18n";
import { useCrm } from "../../state";
import { fresh, readTold, reminderKey, reminderLink, remembered, writeTold } from "./model";
import { notify } from "./notifications";
import { useNotifyPermission, useReminderOwners } from "./useReminders";

/// Reminders are read again this often even when no record changes (days pass).
const EVERY_MS = 5 * 60_000;
/// More new reminders than this at once make one notification that counts them.
const ONE_BY_ONE = 3;

/// While the app runs and notifications are allowed: a desktop notification for each reminder
/// that was not there before (remembered per person on this device, so none is told twice).
/// Renders nothing.
export function ReminderNotifier() {
  const { crm, t, lang, status, revision } = useCrm();
  const navigate = useNavigate();
  const owners = useReminderOwners();
  const permission = useNotifyPermission();
  const user = status?.identity.user_id ?? "";
  const [tick, setTick] = useState(0);
  // One pass at a time, so two quick changes never tell the same reminder twice.
  const running = useRef<Promise<void>>(Promise.resolve());
  // The words and the way to a record as they are when a pass runs (not a reason to run one).
  const words = useRef({ t, lang, navigate });
  words.current = { t, lang, navigate };

  useEffect(() => {
    const timer = setInterval(() => setTick((n) => n + 1), EVERY_MS);
    return () => clearInterval(timer);
  }, []);

  useEffect(() => {
    if (permission !== "granted" || !user) return;
    running.current = running.current.then(async () => {
      let items: Reminder[];
      try {
        items = await crm.reminders(owners);
      } catch {
        return;
      }
      const { t, lang, navigate } = words.current;
      const told = readTold(user);
      const news = fresh(items, told);
      writeTold(user, remembered(items, told));
      const line = (r: Reminder) => {
        const name = r.customer_name ?? r.title;
        return [name, r.title && r.title !== name ? r.title : null, formatDate(lang, r.due)].filter(Boolean).join(" · ");
      };
      if (news.length > ONE_BY_ONE) {
        notify(t("reminders.notify_many", { count: news.length }), news.slice(0, ONE_BY_ONE).map(line).join("\n"), "reminders", () =>
          navigate("/home"),
        );
        return;
      }
      for (const r of news) notify(t(`reminders.reason.${r.reason}`), line(r), reminderKey(r), () => navigate(reminderLink(r)));
    });
  }, [crm, owners, permission, user, revision, tick]);

  return null;
}
