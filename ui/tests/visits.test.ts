import { beforeAll, describe, expect, test } from "vitest";
import dayjs from "dayjs";
import type { RecordView } from "../src/api";
import { createFields, fromDraft, newVisit, updateFields, visitDirty, visitFrom, visitTime } from "../src/screens/visits/model";

// A salesperson in China, whatever the machine running the tests says.
beforeAll(() => {
  process.env.TZ = "Asia/Shanghai";
});

const record = (fields: RecordView["fields"]): RecordView => ({
  type: "record",
  id: "a1",
  kind: "activity",
  fields,
  created_at: "",
  created_by: null,
  updated_at: "",
  deleted_at: null,
  names: {},
});

const customer = { kind: "customer", id: "c1" } as const;

describe("the visit form's model", () => {
  test("a time picked for this morning is sent with the device's offset", () => {
    const v = { ...newVisit(dayjs("2026-11-23T15:00:00+08:00")), date: "2026-11-23", clock: "09:30", time_set: true };
    expect(visitTime(v)).toBe("2026-11-23T09:30:00+08:00");
    expect(createFields(v, customer).time).toBe("2026-11-23T09:30:00+08:00");
  });

  test("a new visit left at 'now' is saved with the time of saving, not of opening the form", () => {
    const v = newVisit(dayjs("2026-11-23T08:00:00+08:00"));
    const fields = createFields({ ...v, notes: "看了样品\n第二行" }, customer, dayjs("2026-11-23T08:20:00+08:00"));
    expect(fields).toEqual({ customer: "c1", type: "visit", time: "2026-11-23T08:20:00+08:00", subject: "看了样品", notes: "看了样品\n第二行" });
  });

  test("a call logged on a lead names the lead and no customer", () => {
    const v = { ...newVisit(dayjs("2026-11-23T08:00:00+08:00")), type: "call", subject: "首次电话" };
    const fields = createFields(v, { kind: "lead", id: "l1" }, dayjs("2026-11-23T08:05:00+08:00"));
    expect(fields).toEqual({ lead: "l1", type: "call", time: "2026-11-23T08:05:00+08:00", subject: "首次电话" });
  });

  test("contact, place and duration are sent when given", () => {
    const v = { ...newVisit(), contact: "k1", place: " 客户总部 ", duration: "45" };
    expect(createFields(v, customer)).toMatchObject({ contact: "k1", place: "客户总部", duration_minutes: 45 });
  });

  test("an edit sends only what changed, null for what was cleared, and never the untouched time", () => {
    const initial = visitFrom(
      record({ customer: "c1", type: "visit", time: "2026-11-23T01:30:17.250Z", contact: "k1", place: "客户总部", subject: "上午拜访" }),
    );
    expect(initial).toMatchObject({ date: "2026-11-23", clock: "09:30", contact: "k1", duration: "" });
    expect(updateFields(initial, initial)).toEqual({});
    expect(updateFields({ ...initial, place: "工厂", duration: "60", contact: "" }, initial)).toEqual({
      place: "工厂",
      duration_minutes: 60,
      contact: null,
    });
    expect(updateFields({ ...initial, clock: "10:00" }, initial)).toEqual({ time: "2026-11-23T10:00:00+08:00" });
  });

  test("a draft keeps a chosen time but not a stale 'now'", () => {
    const opened = newVisit(dayjs("2026-11-23T08:00:00+08:00"));
    const later = newVisit(dayjs("2026-11-23T11:00:00+08:00"));
    expect(visitDirty(opened, later)).toBe(false);
    expect(fromDraft({ ...opened, notes: "草稿" }, later)).toMatchObject({ clock: "11:00", notes: "草稿" });
    const chosen = { ...opened, clock: "07:45", time_set: true };
    expect(visitDirty(chosen, later)).toBe(true);
    expect(fromDraft(chosen, later)).toMatchObject({ clock: "07:45", time_set: true });
  });
});
