// Reminders as the app shows them: where each one leads, and which are new since the person
// was last told (desktop notifications tell each one once). Presentation only: the core
// decides what is due (`reminders`).

import type { Reminder } from "../../api";

/// One reminder's identity: the same thing due on the same day. A reminder that moves on
/// (a warning that became dormant, a new due date) is a new one.
export function reminderKey(r: Pick<Reminder, "reason" | "id" | "due">): string {
  return `${r.reason}|${r.id}|${r.due}`;
}

/// The reminders not told yet. `told` is null when nothing was ever remembered for this
/// person on this device: then none is new — what is due already is on the home card, and
/// a first notification should not be a flood.
export function fresh(items: Reminder[], told: string[] | null): Reminder[] {
  if (told === null) return [];
  const seen = new Set(told);
  const out: Reminder[] = [];
  for (const r of items) {
    const key = reminderKey(r);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(r);
    }
  }
  return out;
}

/// What to remember after telling: the current reminders first, then those remembered before
/// (one that leaves the list for a while and comes back is not told again), at most `max`.
export function remembered(items: Reminder[], told: string[] | null, max = 1000): string[] {
  const keys = [...new Set([...items.map(reminderKey), ...(told ?? [])])];
  return keys.slice(0, max);
}

/// Where a reminder leads: the service request, the lead (its follow-up due), the customer (a
/// customer's follow-up's too), or the customer's churn warning.
export function reminderLink(r: Reminder): string {
  switch (r.reason) {
    case "churn_warning":
    case "churn_dormant":
      return `/churn?customer=${encodeURIComponent(r.customer_id ?? r.id)}`;
    default:
      break;
  }
  switch (r.kind) {
    case "service_request":
      return `/service/${r.id}`;
    case "churn_case":
      return `/churn/${r.id}`;
    case "customer":
      return `/customers/${r.id}`;
    case "lead":
      return `/leads/${r.id}`;
    default:
      return r.customer_id ? `/customers/${r.customer_id}` : "/home";
  }
}

const KEY = "field-crm:told-reminders:";

/// The reminders told to `user` on this device, or null when none ever were.
export function readTold(user: string, storage: Storage = localStorage): string[] | null {
  try {
    const raw = storage.getItem(KEY + user);
    if (raw === null) return null;
    const list = JSON.parse(raw) as unknown;
    return Array.isArray(list) ? list.filter((k): k is string => typeof k === "string") : [];
  } catch {
    return [];
  }
}

export function writeTold(user: string, keys: string[], storage: Storage = localStorage): void {
  try {
    storage.setItem(KEY + user, JSON.stringify(keys));
  } catch {
    // Storage full or unavailable: a reminder may be told again, nothing worse.
  }
}
