import { describe, expect, test } from "vitest";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Reminder } from "../src/api";
import { messages } from "../src/i18n";
import { fresh, readTold, reminderKey, reminderLink, remembered, writeTold } from "../src/screens/reminders/model";

const reminder = (reason: string, id: string, due: string, more: Partial<Reminder> = {}): Reminder => ({
  reason,
  id,
  kind: "customer",
  title: id,
  customer_id: id,
  customer_name: id,
  due,
  overdue: false,
  ...more,
});

function memoryStorage(): Storage {
  const store = new Map<string, string>();
  return {
    getItem: (k: string) => store.get(k) ?? null,
    setItem: (k: string, v: string) => void store.set(k, v),
  } as unknown as Storage;
}

describe("which reminders are new", () => {
  const follow = reminder("follow_up", "a1", "2026-11-22", { kind: "activity", customer_id: "c1" });
  const churn = reminder("churn_warning", "c2", "2026-12-11");

  test("the first time nothing is new: what is due already is on the card", () => {
    expect(fresh([follow, churn], null)).toEqual([]);
    expect(remembered([follow, churn], null)).toEqual([reminderKey(follow), reminderKey(churn)]);
  });

  test("a reminder that appears later is new once; told, it is not new again", () => {
    let told = remembered([follow], null);
    expect(fresh([follow, churn], told)).toEqual([churn]);
    told = remembered([follow, churn], told);
    expect(fresh([follow, churn], told)).toEqual([]);
  });

  test("one that leaves the list and comes back is not told twice; one that moves on is new", () => {
    const told = remembered([follow, churn], []);
    const later = remembered([churn], told);
    expect(fresh([follow, churn], later)).toEqual([]);
    // The warning became dormant: a new reason, told again.
    const dormant = { ...churn, reason: "churn_dormant" };
    expect(fresh([follow, dormant], later)).toEqual([dormant]);
    // The same reminder twice in one list is told once.
    expect(fresh([dormant, dormant], later)).toEqual([dormant]);
  });

  test("the memory is bounded, the current reminders kept first", () => {
    const old = Array.from({ length: 30 }, (_, i) => `follow_up|x${i}|2026-01-01`);
    const keys = remembered([churn], old, 10);
    expect(keys).toHaveLength(10);
    expect(keys[0]).toBe(reminderKey(churn));
  });

  test("remembered per person on this device; nothing remembered reads as null, damage as empty", () => {
    const storage = memoryStorage();
    expect(readTold("u1", storage)).toBeNull();
    writeTold("u1", ["k1"], storage);
    expect(readTold("u1", storage)).toEqual(["k1"]);
    expect(readTold("u2", storage)).toBeNull();
    storage.setItem("field-crm:told-reminders:u1", "not json");
    expect(readTold("u1", storage)).toEqual([]);
  });
});

describe("where a reminder leads", () => {
  test("a request to its page, a follow-up to its customer, a churn warning to the customer's warning", () => {
    expect(reminderLink(reminder("service_due", "s1", "2026-11-22", { kind: "service_request", customer_id: "c1" }))).toBe("/service/s1");
    expect(reminderLink(reminder("follow_up", "a1", "2026-11-22", { kind: "activity", customer_id: "c1" }))).toBe("/customers/c1");
    expect(reminderLink(reminder("lead_follow_up", "l1", "2026-11-22", { kind: "lead", customer_id: null, customer_name: null }))).toBe("/leads/l1");
    expect(reminderLink(reminder("churn_dormant", "c2", "2026-11-22"))).toBe("/churn?customer=c2");
    expect(reminderLink(reminder("recycle_warning", "c3", "2026-11-22"))).toBe("/customers/c3");
  });

  test("every reason the docs name has words in both languages", () => {
    const doc = readFileSync(path.resolve(__dirname, "../../docs/api.md"), "utf8");
    const section = doc.slice(doc.indexOf("#### Reminders")).split("\n#### ")[0];
    const said = section.slice(section.indexOf("`reason`:"), section.indexOf("`id` and"));
    // Other backticked words there: the request, an option, the fields a reason is about and
    // the grade rule's fields.
    const notReasons = ["reason", "churn_warnings", "all_owners", "due", "next_follow_up", "kind", "lead", "recycle_days", "recycle_warning_days"];
    const reasons = [...said.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]).filter((r) => !notReasons.includes(r));
    expect(reasons).toEqual(["follow_up", "lead_follow_up", "service_due", "service_unassigned", "churn_warning", "churn_dormant", "recycle_warning"]);
    for (const r of reasons) for (const lang of ["en", "zh-CN"] as const) expect(messages[lang]).toHaveProperty(`reminders.reason.${r}`);
  });
});
