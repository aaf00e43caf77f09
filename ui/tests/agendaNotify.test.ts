import { describe, expect, test } from "vitest";
import type { AgendaEntry } from "../src/api";
import { dueNow, entryKey, readToldAgenda, toldAsReminders, toldToday, writeToldAgenda } from "../src/screens/agenda/notify";
import { reminderKey } from "../src/screens/reminders/model";

const TODAY = "2026-11-24";
const entry = (what: AgendaEntry["what"], id: string, more: Partial<AgendaEntry> = {}): AgendaEntry => ({
  date: TODAY,
  what,
  id,
  kind: "activity",
  title: id,
  customer_id: `c-${id}`,
  customer_name: `客户 ${id}`,
  done: false,
  overdue: false,
  ...more,
});

function memoryStorage(): Storage {
  const store = new Map<string, string>();
  return { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) } as unknown as Storage;
}

describe("which of today's agenda entries notify now", () => {
  const followUp = entry("follow_up", "f1");
  const stop1 = entry("plan_stop", "plan", { stop: 0, customer_id: "c1" });
  const stop2 = entry("plan_stop", "plan", { stop: 1, customer_id: "c2" });
  const service = entry("service_due", "s1", { kind: "service_request" });
  const payment = entry("payment_due", "k1", { kind: "contract", amount: { minor: 100, currency: "CNY" } });
  const contractEnd = entry("contract_end", "k2", { kind: "contract" });
  const now = new Date("2026-11-24T01:00:00Z");
  const soon = entry("activity", "a1", { at: "2026-11-24T01:10:00Z" });
  const later = entry("activity", "a2", { at: "2026-11-24T06:00:00Z" });

  test("today's follow-ups, plan stops, requests and payments due notify; a contract ending does not", () => {
    expect(dueNow([followUp, stop1, stop2, service, payment, contractEnd], TODAY, now, [])).toEqual([followUp, stop1, stop2, service, payment]);
  });

  test("another day's entries and entries already done do not", () => {
    const tomorrow = { ...followUp, date: "2026-11-25" };
    const visited = { ...stop1, done: true };
    expect(dueNow([tomorrow, visited], TODAY, now, [])).toEqual([]);
  });

  test("a planned visit notifies as its time comes near, not hours before", () => {
    expect(dueNow([soon, later], TODAY, now, [])).toEqual([soon]);
    expect(dueNow([later], TODAY, new Date("2026-11-24T05:50:00Z"), [])).toEqual([later]);
  });

  test("told once per day: what was told is not told again, the next check tells only what is new", () => {
    let told = toldToday([], dueNow([followUp, stop1], TODAY, now, []), TODAY);
    expect(dueNow([followUp, stop1, service], TODAY, now, told)).toEqual([service]);
    told = toldToday(told, [service], TODAY);
    expect(dueNow([followUp, stop1, service], TODAY, now, told)).toEqual([]);
    // Two stops of one plan are two entries.
    expect(dueNow([stop2], TODAY, now, told)).toEqual([stop2]);
  });

  test("a follow-up just told as a new reminder is not told again from the agenda", () => {
    const asReminder = reminderKey({ reason: "follow_up", id: followUp.id, due: TODAY });
    const told = toldToday([], toldAsReminders([followUp, service], [asReminder]), TODAY);
    expect(dueNow([followUp, service], TODAY, now, told)).toEqual([service]);
  });

  test("yesterday's memory is let go, and the memory survives in storage per person", () => {
    const yesterday = { ...followUp, date: "2026-11-23" };
    expect(toldToday([entryKey(yesterday)], [service], TODAY)).toEqual([entryKey(service)]);
    const storage = memoryStorage();
    expect(readToldAgenda("u1", storage)).toEqual([]);
    writeToldAgenda("u1", [entryKey(service)], storage);
    expect(readToldAgenda("u1", storage)).toEqual([entryKey(service)]);
    expect(readToldAgenda("u2", storage)).toEqual([]);
  });
});
