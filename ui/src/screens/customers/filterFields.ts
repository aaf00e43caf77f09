/// The dictionary fields the customer list filters by, in the order shown.
export const FILTER_DICTS: { field: string; dict: string }[] = [
  { field: "grade", dict: "customer_grade" },
  { field: "status", dict: "customer_status" },
  { field: "region", dict: "region" },
  { field: "industry", dict: "industry" },
];
