// Leads (线索): the list's filters as a list query, and the conversion dialog's choice as a
// `convert_lead` request. Presentation only: the core filters, plans and converts.

import type { ConversionChoice, ConversionPlan, Fields, Json, ListQuery } from "../../api";
import { customFilter } from "../../customFields";
import { parseMoney } from "../../i18n";

export const LEAD_STATES = ["new", "following", "converted", "invalid"];
/// When the next follow-up is: before today, today, or within the coming week.
export const FOLLOW_UP_WINDOWS = ["overdue", "today", "week"];

/// What the list is filtered by, as kept in the address.
export interface LeadFilters {
  status?: string;
  source?: string;
  next?: string;
  /// The custom fields chosen, by `cf.KEY`.
  custom?: Record<string, string>;
}
export const FILTER_KEYS = ["status", "source", "next"] as const;
/// Where the address keeps a filter: a built-in one, or a custom field's `cf.KEY`.
export type FilterKey = (typeof FILTER_KEYS)[number] | `cf.${string}`;

/// `date` moved by `days` calendar days (`YYYY-MM-DD`, no time zone involved).
function addDays(date: string, days: number): string {
  const [y, m, d] = date.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/// The person's own leads under the filters, the nearest follow-up first.
export function leadQuery(f: LeadFilters, me: string, today: string, limit = 100): ListQuery {
  const filter: Record<string, Json> = { ...customFilter(f.custom ?? {}), owner: me };
  if (f.status) filter.status = f.status;
  if (f.source) filter.source = f.source;
  if (f.next === "overdue") filter.next_follow_up = { to: today };
  else if (f.next === "today") filter.next_follow_up = { from: today, to: addDays(today, 1) };
  else if (f.next === "week") filter.next_follow_up = { from: today, to: addDays(today, 8) };
  return { filter, sort: f.next ? "next_follow_up" : "updated_at", desc: !f.next, limit };
}

/// Which customer the dialog has chosen: the one the plan links (or a candidate picked), or a
/// new one.
export type CustomerChoice = { link: string } | { create: true };

/// What the dialog starts with: the plan's one match, else a new customer when nothing looks
/// alike; with several alike, nothing until the person picks.
export function initialChoice(plan: ConversionPlan): CustomerChoice | null {
  if ("link" in plan.customer) return { link: plan.customer.link };
  return plan.candidates.length > 1 ? null : { create: true };
}

/// The opportunity typed in the dialog: a title and an amount in yuan.
export interface OpportunityInput {
  title: string;
  amount: string;
}

/// The `convert_lead` request for the choice, or the field the opportunity's input is wrong in.
export function conversionRequest(
  choice: CustomerChoice,
  opportunity: OpportunityInput | null,
): { choice: ConversionChoice } | { error: { field: "title" | "amount"; reason: string } } {
  let opp: Fields | null = null;
  if (opportunity) {
    const title = opportunity.title.trim();
    if (!title) return { error: { field: "title", reason: "required" } };
    opp = { title };
    if (opportunity.amount.trim()) {
      const minor = parseMoney(opportunity.amount);
      if (minor === null) return { error: { field: "amount", reason: "invalid_amount" } };
      opp.amount = { minor, currency: "CNY" };
    }
  }
  return {
    choice: {
      customer: "link" in choice ? choice.link : null,
      new_customer: !("link" in choice),
      opportunity: opp,
    },
  };
}
