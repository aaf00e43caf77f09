import { describe, expect, test } from "vitest";
import type { AgendaEntry } from "../src/api";
import { byDay, days, entryPath, monthGrid, range, step } from "../src/screens/agenda/model";
import { distanceText, parsePlace, placeText } from "../src/screens/visits/geo";

const entry = (over: Partial<AgendaEntry>): AgendaEntry => ({
  date: "2026-11-24",
  what: "activity",
  id: "r1",
  kind: "activity",
  title: "拜访",
  customer_id: "c1",
  customer_name: "苏州精工",
  done: false,
  overdue: false,
  ...over,
});

describe("the calendar's days", () => {
  test("a week runs Monday to Sunday, whichever day it is shown from", () => {
    expect(range("week", "2026-11-24")).toEqual({ from: "2026-11-23", to: "2026-11-29" });
    expect(range("week", "2026-11-29")).toEqual({ from: "2026-11-23", to: "2026-11-29" });
    expect(range("week", "2026-11-23")).toEqual({ from: "2026-11-23", to: "2026-11-29" });
  });

  test("a day is itself, a month its first to last day", () => {
    expect(range("day", "2026-11-24")).toEqual({ from: "2026-11-24", to: "2026-11-24" });
    expect(range("month", "2026-02-10")).toEqual({ from: "2026-02-01", to: "2026-02-28" });
  });

  test("stepping moves by the view", () => {
    expect(step("day", "2026-11-30", 1)).toBe("2026-12-01");
    expect(step("week", "2026-11-24", -1)).toBe("2026-11-17");
    expect(step("month", "2026-01-31", 1)).toBe("2026-02-28");
  });

  test("a month's grid is whole weeks around it", () => {
    const grid = monthGrid("2026-11-15");
    expect(grid[0]).toBe("2026-10-26");
    expect(grid[grid.length - 1]).toBe("2026-12-06");
    expect(grid.length % 7).toBe(0);
    expect(days("2026-11-29", "2026-12-01")).toEqual(["2026-11-29", "2026-11-30", "2026-12-01"]);
  });

  test("entries are grouped by day and lead to their records", () => {
    const grouped = byDay([entry({}), entry({ id: "r2" }), entry({ date: "2026-11-25", id: "r3" })]);
    expect(grouped.get("2026-11-24")?.map((e) => e.id)).toEqual(["r1", "r2"]);
    expect(entryPath(entry({}))).toBe("/activity/r1");
    expect(entryPath(entry({ what: "service_due", kind: "service_request", id: "s1" }))).toBe("/service/s1");
    expect(entryPath(entry({ what: "payment_due", kind: "contract", id: "k1" }))).toBe("/sales/contract/k1");
    expect(entryPath(entry({ what: "follow_up" }))).toBe("/customers/c1");
  });
});

describe("places", () => {
  test("typed by hand: two numbers in range, a comma (either width) or spaces between", () => {
    expect(parsePlace("31.230416, 121.473701")).toEqual({ lat: 31.230416, lng: 121.473701 });
    expect(parsePlace("31.2304，121.4737")).toEqual({ lat: 31.2304, lng: 121.4737 });
    expect(parsePlace(" -33.8 151.2 ")).toEqual({ lat: -33.8, lng: 151.2 });
    expect(parsePlace("31.23")).toBeNull();
    expect(parsePlace("91, 10")).toBeNull();
    expect(parsePlace("上海")).toBeNull();
  });

  test("shown as text; distances in metres or kilometres", () => {
    expect(placeText({ lat: 31.3005, lng: "120.5853", accuracy: 12 })).toBe("31.3005, 120.5853");
    expect(placeText(null)).toBe("");
    expect(distanceText(320.4)).toBe("320 m");
    expect(distanceText(1234)).toBe("1.2 km");
    expect(distanceText(25_600)).toBe("26 km");
  });
});

describe("a visit plan's stops", () => {
  test("moved up and down within the list, and written in order with their ids and kinds of visit", async () => {
    const { move, newStop, stopFrom, stopsField } = await import("../src/screens/agenda/plan");
    const a = stopFrom({ id: "i1", date: "2026-11-24", customer: "c1", note: "先看产线", visit_type: "vt1" });
    const b = { ...newStop("2026-11-24"), customer: "c2", note: "  " };
    expect(move([a, b], 1, -1)).toEqual([b, a]);
    expect(move([a, b], 0, -1)).toEqual([a, b]);
    expect(move([a, b], 1, 1)).toEqual([a, b]);
    expect(stopsField(move([a, b], 0, 1))).toEqual([
      { date: "2026-11-24", customer: "c2", note: null, visit_type: null },
      { id: "i1", date: "2026-11-24", customer: "c1", note: "先看产线", visit_type: "vt1" },
    ]);
  });
});
