// The service-request list's filters as a list query, and what "overdue" means on screen.
// Presentation only: the core filters and decides the workflow.

import type { Fields, Json, ListQuery } from "../../api";

/// States in which a request still waits for someone to act on it.
export const OPEN_STATES = ["new", "assigned"];
export const STATES = ["new", "assigned", "handled", "archived"];
export const PRIORITIES = ["low", "normal", "high", "urgent"];

/// What the list is filtered by, as kept in the address: `assignee` is a user id, `me` or
/// `none` (not assigned yet); `overdue` is "1" when on.
export interface ServiceFilters {
  status?: string;
  assignee?: string;
  type?: string;
  priority?: string;
  overdue?: string;
  sort?: string;
}

export const FILTER_KEYS: (keyof ServiceFilters)[] = ["status", "assignee", "type", "priority", "overdue", "sort"];

/// The list query for the filters, or null when they cannot match anything (overdue and a
/// state that is already dealt with). `today` is the local calendar date: a request is
/// overdue when its due date is before today and it is still new or assigned.
export function serviceQuery(f: ServiceFilters, me: string, today: string, limit = 100): ListQuery | null {
  const filter: Record<string, Json> = {};
  let states: string[] | null = f.status ? [f.status] : null;
  if (f.overdue === "1") {
    states = (states ?? OPEN_STATES).filter((s) => OPEN_STATES.includes(s));
    if (states.length === 0) return null;
    filter.due = { to: today };
  }
  if (states) filter.status = states.length === 1 ? states[0] : states;
  if (f.assignee === "me") filter.assignee = me;
  else if (f.assignee === "none") filter.assignee = null;
  else if (f.assignee) filter.assignee = f.assignee;
  if (f.type) filter.type = f.type;
  if (f.priority) filter.priority = f.priority;
  const byDue = f.sort === "due";
  return { filter, sort: byDue ? "due" : "created_at", desc: !byDue, limit, names: true };
}

/// Whether a request is overdue today (a local `YYYY-MM-DD`).
export function isOverdue(fields: Fields, today: string): boolean {
  const due = fields.due;
  const status = typeof fields.status === "string" ? fields.status : "new";
  return typeof due === "string" && due !== "" && due < today && OPEN_STATES.includes(status);
}

/// Which transition feedback takes: below the company's threshold the request is reopened
/// for its assignee, otherwise archived (the core checks the same rule again).
export function feedbackTransition(satisfaction: number, threshold: number): "reopen" | "archive" {
  return satisfaction < threshold ? "reopen" : "archive";
}

/// The company's `service.reopen_below` when set, else the documented default.
export const DEFAULT_REOPEN_BELOW = 3;
