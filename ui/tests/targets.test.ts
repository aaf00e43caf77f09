import { describe, expect, test } from "vitest";
import type { Fields, Item } from "../src/api";
import { planCopy, targetChanged, targetFields, targetPeople, targetValues } from "../src/screens/reports/targets";

const item = (id: string, kind: string, fields: Fields): Item => ({
  id,
  kind,
  fields,
  created_at: "",
  updated_at: "",
  deleted_at: null,
  has_conflicts: false,
});
const user = (id: string, name: string, role: string, team: string | null, active = true) =>
  item(id, "user", { display_name: name, role, team, active });
const target = (owner: string, month: string, fields: Fields) => item(`t-${owner}-${month}`, "sales_target", { owner, month, ...fields });
const cny = (minor: number) => ({ minor, currency: "CNY" });

const USERS = [
  user("lili", "李丽", "supervisor", "east"),
  user("wangfang", "王芳", "account_manager", "east"),
  user("zhaolei", "赵磊", "account_manager", "west"),
  user("viewer", "查看者", "viewer", "east"),
  user("gone", "离职", "account_manager", "east", false),
  user("admin", "管理员", "admin", null),
];

describe("whose targets a lead sets", () => {
  test("a supervisor sets her team's and her own, not another team's, a viewer's or a disabled account's", () => {
    const people = targetPeople(USERS, { user_id: "lili", role: "supervisor", team: "east" });
    expect(people.map((p) => p.id).sort()).toEqual(["lili", "wangfang"]);
  });

  test("a supervisor whose team has not synced yet sees only herself", () => {
    expect(targetPeople(USERS, { user_id: "lili", role: "supervisor", team: null }).map((p) => p.id)).toEqual(["lili"]);
  });

  test("an admin sets everyone's who owns records", () => {
    const people = targetPeople(USERS, { user_id: "admin", role: "admin", team: null });
    expect(people.map((p) => p.id).sort()).toEqual(["admin", "lili", "wangfang", "zhaolei"]);
  });
});

describe("a row's boxes and the fields they write", () => {
  test("a record's targets show as yuan with two decimals and whole numbers", () => {
    expect(targetValues({ owner: "w", month: "2026-11", won: cny(3_000_000), collected: cny(1_250_050), visits: 20, new_customers: null })).toEqual({
      won: "30000.00",
      collected: "12500.50",
      visits: "20",
      new_customers: "",
    });
  });

  test("yuan typed with separators become fen, never through a float; counts whole numbers", () => {
    const { fields, errors } = targetFields("w", "2026-11", { won: "30,000", collected: "0.1", visits: "20", new_customers: "" }, null, "CNY");
    expect(errors).toEqual({});
    expect(fields).toEqual({ owner: "w", month: "2026-11", won: cny(3_000_000), collected: cny(10), visits: 20 });
  });

  test("a new record carries only what was typed; an emptied box of a saved one clears its target", () => {
    const saved = { won: "300.00", collected: "", visits: "5", new_customers: "" };
    const { fields } = targetFields("w", "2026-11", { won: "", collected: "", visits: "5", new_customers: "" }, saved, "CNY");
    expect(fields).toEqual({ owner: "w", month: "2026-11", won: null, visits: 5 });
  });

  test("amounts with three decimals or letters, negative, fractional or huge counts are named, not sent", () => {
    const { errors } = targetFields("w", "2026-11", { won: "1.005", collected: "abc", visits: "-3", new_customers: "2.5" }, null, "CNY");
    expect(errors).toEqual({ won: "invalid_amount", collected: "invalid_amount", visits: "invalid_number", new_customers: "invalid_number" });
    expect(targetFields("w", "2026-11", { won: "", collected: "", visits: "100001", new_customers: "99999999999999999999" }, null, "CNY").errors).toEqual({
      visits: "invalid_number",
      new_customers: "invalid_number",
    });
    expect(targetFields("w", "2026-11", { won: "", collected: "", visits: "100000", new_customers: "0" }, null, "CNY").fields).toMatchObject({ visits: 100_000, new_customers: 0 });
  });

  test("the same amount written differently is no change", () => {
    const saved = { won: "30000.00", collected: "", visits: "20", new_customers: "" };
    expect(targetChanged({ ...saved, won: "30,000" }, saved)).toBe(false);
    expect(targetChanged({ ...saved, won: "30000.01" }, saved)).toBe(true);
    expect(targetChanged({ ...saved, visits: "" }, saved)).toBe(true);
    expect(targetChanged({ ...saved, new_customers: "0" }, saved)).toBe(true);
  });
});

describe("copying last month's targets", () => {
  const last = [
    target("wangfang", "2026-10", { won: cny(3_000_000), collected: null, visits: 20 }),
    target("lili", "2026-10", { won: cny(5_000_000), new_customers: 3 }),
    // Emptied: no targets to copy.
    target("zhaolei", "2026-10", { won: null, collected: null, visits: null, new_customers: null }),
  ];

  test("whoever has no targets this month gets last month's; those who have keep theirs", () => {
    const current = [target("lili", "2026-11", { visits: 30 })];
    const plan = planCopy(["lili", "wangfang", "zhaolei", "admin"], "2026-11", last, current);
    expect(plan.writes).toEqual([{ owner: "wangfang", month: "2026-11", won: cny(3_000_000), visits: 20 }]);
    expect(plan.kept).toEqual(["lili"]);
    expect(plan.none).toEqual(["zhaolei", "admin"]);
  });

  test("a record this month without any target is filled", () => {
    const current = [target("wangfang", "2026-11", { won: null })];
    expect(planCopy(["wangfang"], "2026-11", last, current).writes).toEqual([{ owner: "wangfang", month: "2026-11", won: cny(3_000_000), visits: 20 }]);
  });

  test("people outside the list are not copied", () => {
    expect(planCopy(["wangfang"], "2026-11", last, []).writes.map((f) => f.owner)).toEqual(["wangfang"]);
  });
});
