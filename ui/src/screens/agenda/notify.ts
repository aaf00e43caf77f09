// Desktop reminders of today's agenda while the app runs: which of today's entries to tell now
// and which were told already — each at most once a day, remembered per person on this device.
// The notifier (reminders/ReminderNotifier.tsx) asks the core's `agenda` at start and every few
// minutes and shows them with the web Notification API where there is one.

import type { AgendaEntry } from "../../api";
import { reminderKey } from "../reminders/model";

/// What is told: follow-ups due, plan stops, service requests due and payments due today, and
/// a planned visit or call shortly before its time.
export const TOLD: AgendaEntry["what"][] = ["follow_up", "plan_stop", "service_due", "payment_due", "activity"];

/// How long before a timed entry it is told.
export const LEAD_MS = 15 * 60_000;

/// One entry's identity on its day.
export function entryKey(e: AgendaEntry): string {
  return [e.date, e.what, e.id, e.stop ?? "", e.customer_id ?? ""].join("|");
}

/// Today's entries to tell now: not done, of a kind told, not told yet today; a timed one only
/// once its time is near.
export function dueNow(entries: AgendaEntry[], today: string, now: Date, told: string[]): AgendaEntry[] {
  const seen = new Set(told);
  return entries.filter((e) => {
    if (e.date !== today || e.done || !TOLD.includes(e.what) || seen.has(entryKey(e))) return false;
    if (e.what !== "activity") return true;
    const at = e.at ? Date.parse(e.at) : NaN;
    return Number.isFinite(at) && at - now.getTime() <= LEAD_MS;
  });
}

/// Today's follow-ups and requests due just told as new reminders (`reminderKey`s): the same
/// things, not told again from the agenda.
export function toldAsReminders(entries: AgendaEntry[], told: string[]): AgendaEntry[] {
  const keys = new Set(told);
  return entries.filter((e) => keys.has(reminderKey({ reason: e.what, id: e.id, due: e.date })));
}

/// What to remember after telling `shown`: today's keys only (older days are let go).
export function toldToday(told: string[], shown: AgendaEntry[], today: string): string[] {
  return [...new Set([...told, ...shown.map(entryKey)])].filter((k) => k.startsWith(`${today}|`));
}

const KEY = "field-crm:told-agenda:";

export function readToldAgenda(user: string, storage: Storage = localStorage): string[] {
  try {
    const list = JSON.parse(storage.getItem(KEY + user) ?? "[]") as unknown;
    return Array.isArray(list) ? list.filter((k): k is string => typeof k === "string") : [];
  } catch {
    return [];
  }
}

export function writeToldAgenda(user: string, keys: string[], storage: Storage = localStorage): void {
  try {
    storage.setItem(KEY + user, JSON.stringify(keys));
  } catch {
    // Storage full or unavailable: an entry may be told again, nothing worse.
  }
}
