// The churn list's tabs as requests, and the day counts a case shows. Presentation only: the
// core decides which customers are warned about and what a case may do next.

import type { Json, ListQuery } from "../../api";

/// The tabs of the churn list: warnings (from `churn_warnings`, a case opened or not) and
/// cases by their state.
export const CHURN_TABS = ["warning", "postponed", "confirmed", "recovered"] as const;
export type ChurnTab = (typeof CHURN_TABS)[number];

export function churnTab(value: string | null): ChurnTab {
  return (CHURN_TABS as readonly string[]).includes(value ?? "") ? (value as ChurnTab) : "warning";
}

/// The list query for the cases of one state (not `warning`: warnings come from
/// `churn_warnings`), optionally of one customer. Postponed cases by the day to look again,
/// soonest first; closed ones most recently closed first.
export function caseQuery(state: Exclude<ChurnTab, "warning">, customer?: string): ListQuery {
  const filter: Record<string, Json> = { status: state };
  if (customer) filter.customer = customer;
  const sort = state === "postponed" ? { sort: "review_date", desc: false } : { sort: "closed_at", desc: true };
  return { filter, ...sort, limit: 200, names: true };
}

/// Whole days from one calendar date (`YYYY-MM-DD`) to another, or null when either is not one.
export function daysBetween(from: string, to: string): number | null {
  const day = (d: string) => (/^\d{4}-\d{2}-\d{2}$/.test(d) ? Date.parse(`${d}T00:00:00Z`) : NaN);
  const ms = day(to) - day(from);
  return Number.isNaN(ms) ? null : Math.round(ms / 86_400_000);
}
