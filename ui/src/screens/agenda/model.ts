// The calendar's model: the days a view covers and where an agenda entry leads. Presentation
// only — the core says what is on each day (`agenda`).

import dayjs from "dayjs";
import type { AgendaEntry } from "../../api";

export type View = "day" | "week" | "month";
export const VIEWS: View[] = ["day", "week", "month"];

const DAY = "YYYY-MM-DD";

/// Monday of the week `date` is in.
function monday(date: string) {
  const d = dayjs(date);
  return d.subtract((d.day() + 6) % 7, "day");
}

/// The days (`YYYY-MM-DD`, both included) a view around `date` covers: the day; its week,
/// Monday to Sunday; its month.
export function range(view: View, date: string): { from: string; to: string } {
  const d = dayjs(date);
  if (view === "day") return { from: d.format(DAY), to: d.format(DAY) };
  if (view === "week") {
    const m = monday(date);
    return { from: m.format(DAY), to: m.add(6, "day").format(DAY) };
  }
  return { from: d.startOf("month").format(DAY), to: d.endOf("month").format(DAY) };
}

/// The date one step before (`-1`) or after (`1`) in the view.
export function step(view: View, date: string, by: -1 | 1): string {
  return dayjs(date).add(by, view).format(DAY);
}

/// Every day from `from` to `to`.
export function days(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = dayjs(from); !d.isAfter(dayjs(to)); d = d.add(1, "day")) out.push(d.format(DAY));
  return out;
}

/// A month's grid: whole weeks from the Monday on or before the 1st to the Sunday on or after
/// its last day.
export function monthGrid(date: string): string[] {
  const { from, to } = range("month", date);
  const start = monday(from);
  const end = monday(to).add(6, "day");
  return days(start.format(DAY), end.format(DAY));
}

/// The entries of each day.
export function byDay(entries: AgendaEntry[]): Map<string, AgendaEntry[]> {
  const out = new Map<string, AgendaEntry[]>();
  for (const e of entries) out.set(e.date, [...(out.get(e.date) ?? []), e]);
  return out;
}

/// Where tapping an entry leads: an activity's page, a visit plan, a request, a contract, or
/// the customer for a follow-up.
export function entryPath(e: AgendaEntry): string {
  switch (e.what) {
    case "activity":
      return `/activity/${e.id}`;
    case "plan_stop":
      return `/calendar/plan/${e.id}`;
    case "service_due":
      return `/service/${e.id}`;
    case "contract_end":
    case "payment_due":
      return `/sales/contract/${e.id}`;
    default:
      return e.customer_id ? `/customers/${e.customer_id}` : `/customers`;
  }
}
