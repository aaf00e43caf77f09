// Records made or handled at a visit: an order taken, a payment collected, a service request
// opened or seen to. The forms that make them are the usual ones, opened from the visit's
// checklist with `?visit=<id>` in the address; once saved, the visit names the record.

import type { Crm } from "../../api";

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
