// Monthly sales targets (业绩目标) in words and boxes: whose targets a lead sets, a target as
// the row's boxes hold it (money as yuan text, counts as whole-number text), the boxes back to
// the `sales_target` fields they write, and the plan of copying last month's targets. The core
// keeps one record per owner and month and validates; this only shapes what is typed.

import type { Fields, Item, Json, Money } from "../../api";
import { moneyInput, parseMoney } from "../../i18n";

/// The four targets of a month, in the order the screen shows them.
export const TARGET_MEASURES = ["won", "collected", "visits", "new_customers"] as const;
export type TargetMeasure = (typeof TARGET_MEASURES)[number];
export const MONEY_MEASURES: readonly TargetMeasure[] = ["won", "collected"];

/// Most a count target may be (docs/api.md: integer 0 to 100000).
export const MAX_COUNT = 100_000;

/// What a row's boxes hold, as typed ("" for no target).
export type TargetValues = Record<TargetMeasure, string>;

export const EMPTY_VALUES: TargetValues = { won: "", collected: "", visits: "", new_customers: "" };

/// The people whose targets the signed-in lead sets: a supervisor the members of their team
/// (and themself), an admin everyone; never viewers (who own nothing) nor disabled accounts.
/// By name, so the grid keeps its order.
export function targetPeople(users: Item[], me: { user_id: string; role: string; team?: string | null } | undefined): Item[] {
  const team = me?.role === "supervisor" ? (me.team ?? null) : null;
  const name = (u: Item) => String(u.fields.display_name ?? u.fields.username ?? u.id);
  return users
    .filter((u) => u.fields.role !== "viewer" && u.fields.active !== false)
    .filter((u) => me?.role !== "supervisor" || u.id === me.user_id || (team !== null && u.fields.team === team))
    .sort((a, b) => name(a).localeCompare(name(b), "zh-CN"));
}

const isMoney = (v: Json | undefined): v is Money & Json =>
  typeof v === "object" && v !== null && !Array.isArray(v) && typeof (v as Record<string, Json>).minor === "number";

/// A `sales_target`'s fields as the boxes show them.
export function targetValues(fields: Fields | undefined): TargetValues {
  if (!fields) return { ...EMPTY_VALUES };
  const count = (v: Json | undefined) => (typeof v === "number" ? String(v) : "");
  return {
    won: isMoney(fields.won) ? moneyInput(fields.won) : "",
    collected: isMoney(fields.collected) ? moneyInput(fields.collected) : "",
    visits: count(fields.visits),
    new_customers: count(fields.new_customers),
  };
}

/// The reason a box cannot be saved, in the core's words (`invalid_amount`, `invalid_number`).
export type TargetErrors = Partial<Record<TargetMeasure, string>>;

/// The boxes as the fields of a `create` for `owner` and `month`: amounts in minor units of
/// `currency`, counts as whole numbers. A box emptied is sent as null (no target) only when
/// the record had one (`before`), so a new record carries only what was typed. `errors` names
/// the boxes that hold no amount or whole number; nothing is to be sent then.
export function targetFields(
  owner: string,
  month: string,
  values: TargetValues,
  before: TargetValues | null,
  currency: string,
): { fields: Fields; errors: TargetErrors } {
  const fields: Fields = { owner, month };
  const errors: TargetErrors = {};
  for (const m of TARGET_MEASURES) {
    const text = values[m].trim();
    if (text === "") {
      if (before && before[m] !== "") fields[m] = null;
      continue;
    }
    if (MONEY_MEASURES.includes(m)) {
      const minor = parseMoney(text);
      if (minor === null) errors[m] = "invalid_amount";
      else fields[m] = { minor, currency };
    } else {
      const n = /^\d+$/.test(text.replace(/[\s,，]/g, "")) ? Number(text.replace(/[\s,，]/g, "")) : NaN;
      if (!Number.isSafeInteger(n) || n > MAX_COUNT) errors[m] = "invalid_number";
      else fields[m] = n;
    }
  }
  return { fields, errors };
}

/// Whether the boxes differ from what the record holds (parsed, so "12500" and "12500.00" are
/// the same amount).
export function targetChanged(values: TargetValues, saved: TargetValues): boolean {
  return TARGET_MEASURES.some((m) => {
    const a = values[m].trim();
    const b = saved[m].trim();
    if (a === b) return false;
    if (MONEY_MEASURES.includes(m)) return parseMoney(a) !== parseMoney(b) || (a === "") !== (b === "");
    return a === "" || b === "" || Number(a) !== Number(b);
  });
}

/// Whether a `sales_target` sets any of the four targets.
export function hasTargets(fields: Fields | undefined): boolean {
  return !!fields && TARGET_MEASURES.some((m) => fields[m] !== null && fields[m] !== undefined);
}

/// What copying last month's targets into `month` does: for each of `people` with targets last
/// month and none this month, the fields of a `create`; those who have targets this month keep
/// them (`kept`), those with none last month are left alone (`none`).
export interface CopyPlan {
  writes: Fields[];
  kept: string[];
  none: string[];
}

export function planCopy(people: string[], month: string, last: Item[], current: Item[]): CopyPlan {
  const byOwner = (items: Item[]) => new Map(items.filter((x) => hasTargets(x.fields)).map((x) => [String(x.fields.owner), x.fields]));
  const before = byOwner(last);
  const now = byOwner(current);
  const plan: CopyPlan = { writes: [], kept: [], none: [] };
  for (const owner of people) {
    const from = before.get(owner);
    if (!from) plan.none.push(owner);
    else if (now.has(owner)) plan.kept.push(owner);
    else {
      const fields: Fields = { owner, month };
      for (const m of TARGET_MEASURES) if (from[m] !== null && from[m] !== undefined) fields[m] = from[m];
      plan.writes.push(fields);
    }
  }
  return plan;
}
