import { useEffect, useRef, useState } from "react";
import { useNavigate } from "react-router-dom";
import type { AgendaEntry, Reminder } from "../../api";
import { formatDate, formatDateTime, localDate } from "../../i18n";
import type { Lang, T } from "../../i18n";
import { useCrm } from "../../state";
import { fresh, readTold, reminderKey, reminderLink, remembered, writeTold } from "./model";
import { notify } from "./notifications";
import { useNotifyPermission, useReminderOwners } from "./useReminders";
import { entryPath } from "../agenda/model";
import { dueNow, readToldAgenda, toldAsReminders, toldToday, writeToldAgenda } from "../agenda/notify";

/// Reminders are read again this often even when no record changes (days pass).
const EVERY_MS = 5 * 60_000;
/// More new reminders than this at once make one notification that counts them.
const ONE_BY_ONE = 3;

/// While the app runs and notifications are allowed: a desktop notification for each reminder
/// that was not there before (remembered per person on this device, so none is told twice), and
/// for the person's agenda of today as it comes up (agenda/notify.ts: once a day each; a
/// follow-up or request just told as a reminder is not told again from it). Renders nothing.
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
      let today: string;
      let entries: AgendaEntry[];
      try {
        items = await crm.reminders(owners);
        // The company's day may not be this device's: a day either side holds it.
        const around = await crm.agenda(localDate(-1), localDate(1));
        today = around.today;
        entries = around.entries;
      } catch {
        return;
      }
      const { t, lang, navigate } = words.current;
      const told = readTold(user);
      const news = fresh(items, told);
      writeTold(user, remembered(items, told));
      tellAgenda(user, entries, today, news.map(reminderKey), (title, body, tag, open) => notify(title, body, tag, () => navigate(open)), t, lang);
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

/// Tell today's agenda entries due now (more than a few at once: one notification counting them);
/// those just told as reminders (`reminders`) count as told.
function tellAgenda(
  user: string,
  entries: AgendaEntry[],
  today: string,
  reminders: string[],
  show: (title: string, body: string, tag: string, open: string) => void,
  t: T,
  lang: Lang,
) {
  const told = toldToday(readToldAgenda(user), toldAsReminders(entries, reminders), today);
  const now = dueNow(entries, today, new Date(), told);
  writeToldAgenda(user, toldToday(told, now, today));
  const line = (e: AgendaEntry) => {
    const name = e.customer_name ?? e.title;
    return [name, e.title && e.title !== name ? e.title : null, e.at ? formatDateTime(lang, e.at) : null].filter(Boolean).join(" · ");
  };
  if (now.length > ONE_BY_ONE) {
    show(t("agenda.notify_many", { count: now.length }), now.slice(0, ONE_BY_ONE).map(line).join("\n"), `agenda:${today}`, `/calendar?view=day&date=${today}`);
    return;
  }
  for (const e of now) {
    const what = e.what === "activity" && e.activity_type ? t(`activity_type.${e.activity_type}`) : t(`agenda.what_${e.what}`);
    show(t(e.what === "activity" ? "agenda.notify_soon" : "agenda.notify_today", { what }), line(e), `agenda:${e.what}:${e.id}:${e.stop ?? ""}`, entryPath(e));
  }
}
