// Records made or handled at a visit: an order taken, a payment collected, a service request
// opened or seen to. The forms that make them are the usual ones, opened from the visit's
// checklist with `?visit=<id>` in the address; once saved, the visit names the record.

import type { Crm, Fields } from "../../api";

/// The visit's field that names a record of each kind.
export const VISIT_LINK: Record<string, "sales_order" | "payment" | "service_request"> = {
  order: "sales_order",
  payment: "payment",
  service_request: "service_request",
};

/// Name `id` (a record of `kind`) on the visit.
export async function linkToVisit(crm: Crm, visit: string, kind: string, id: string): Promise<void> {
  const field = VISIT_LINK[kind];
  if (field) await crm.update(visit, { [field]: id });
}

/// The address of a form that makes a record at a visit.
export function madeAtVisit(path: string, visit: string): string {
  return `${path}${path.includes("?") ? "&" : "?"}visit=${encodeURIComponent(visit)}`;
}

export const visitPath = (visit: string) => `/activity/${visit}`;

/// What an activity is about: the customer whose timeline it is on, or — logged on a lead not
/// yet converted — the lead. A converted lead's activities name the customer too, and are
/// the customer's from then on.
export interface ActivityAbout {
  kind: "customer" | "lead";
  id: string;
}

export function aboutOf(fields: Fields): ActivityAbout | null {
  if (typeof fields.customer === "string" && fields.customer) return { kind: "customer", id: fields.customer };
  if (typeof fields.lead === "string" && fields.lead) return { kind: "lead", id: fields.lead };
  return null;
}

/// The address of the form that logs an activity about `about`, or changes `activity`.
export function activityFormPath(about: ActivityAbout, activity?: string): string {
  const base = about.kind === "customer" ? `/visit/${about.id}` : `/leads/${about.id}/activity`;
  return activity ? `${base}/${activity}` : base;
}

/// Where the page an activity is about is.
export function aboutPath(about: ActivityAbout): string {
  return about.kind === "customer" ? `/customers/${about.id}` : `/leads/${about.id}`;
}

/// The key of a form's draft: a customer's as it always was, a lead's apart from them.
export function draftKeyOf(about: ActivityAbout, activity?: string): string {
  const whom = about.kind === "customer" ? about.id : `lead:${about.id}`;
  return activity ? `visit:${whom}:${activity}` : `visit:${whom}`;
}
