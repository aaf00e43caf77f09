import { describe, expect, test } from "vitest";
import { readFileSync } from "node:fs";
import path from "node:path";
import { codeText, refusalText } from "../src/errors";
import { messages, translate } from "../src/i18n";
import type { Lang, T } from "../src/i18n";
import { feedbackTransition, isOverdue, serviceQuery } from "../src/screens/service/model";

const tr = (lang: Lang): T => (key, params) => translate(lang, key, params);
const NAMES: Record<string, string> = { u1: "李丽", u2: "赵磊" };
const nameOf = (id: string) => NAMES[id] ?? "";

describe("the service-request list's filters", () => {
  test("overdue means due before today and still new or assigned", () => {
    expect(serviceQuery({ overdue: "1" }, "me", "2026-11-23")).toEqual({
      filter: { due: { to: "2026-11-23" }, status: ["new", "assigned"] },
      sort: "created_at",
      desc: true,
      limit: 100,
      names: true,
    });
    // With a state chosen too, only an open one can be overdue.
    expect(serviceQuery({ overdue: "1", status: "assigned" }, "me", "2026-11-23")?.filter).toEqual({
      due: { to: "2026-11-23" },
      status: "assigned",
    });
    expect(serviceQuery({ overdue: "1", status: "archived" }, "me", "2026-11-23")).toBeNull();
  });

  test("assignee: me, not assigned yet (a missing value), or one person; type, priority and sort", () => {
    expect(serviceQuery({ assignee: "me" }, "u9", "2026-11-23")?.filter).toEqual({ assignee: "u9" });
    expect(serviceQuery({ assignee: "none" }, "u9", "2026-11-23")?.filter).toEqual({ assignee: null });
    expect(serviceQuery({ assignee: "u2", type: "repair", priority: "urgent", sort: "due" }, "u9", "2026-11-23")).toMatchObject({
      filter: { assignee: "u2", type: "repair", priority: "urgent" },
      sort: "due",
      desc: false,
    });
  });

  test("a row is overdue only while someone still has to act on it", () => {
    expect(isOverdue({ due: "2026-11-22", status: "assigned" }, "2026-11-23")).toBe(true);
    expect(isOverdue({ due: "2026-11-23", status: "assigned" }, "2026-11-23")).toBe(false);
    expect(isOverdue({ due: "2026-11-01", status: "handled" }, "2026-11-23")).toBe(false);
    expect(isOverdue({ status: "new" }, "2026-11-23")).toBe(false);
  });

  test("feedback below the threshold reopens, at or above it archives", () => {
    expect(feedbackTransition(2, 3)).toBe("reopen");
    expect(feedbackTransition(3, 3)).toBe("archive");
    expect(feedbackTransition(5, 3)).toBe("archive");
    expect(feedbackTransition(4, 5)).toBe("reopen");
  });
});

describe("refusals in words", () => {
  const at = "2026-11-23T08:49:02.000Z";
  const local = (lang: Lang) => new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" }).format(new Date(at));

  test("a lost race names who got there first, when (local time) and what they set", () => {
    const assigned = { code: "transition_conflict", params: { field: "status", by: "u1", at, value: "assigned", state: "assigned" } };
    expect(refusalText(tr("zh-CN"), "zh-CN", assigned, nameOf, "service_request")).toBe(
      `李丽在${local("zh-CN")}已先改为“已分配”；以先到服务器的为准，你的操作没有生效。`,
    );
    expect(refusalText(tr("en"), "en", assigned, nameOf, "service_request")).toBe(
      `李丽 got there first (moved it to “Assigned”, ${local("en")}). The first change to reach the server stands; yours was not applied.`,
    );
    const claimed = { code: "transition_conflict", params: { field: "owner", by: "u2", at, value: "u2", state: "owned" } };
    expect(refusalText(tr("zh-CN"), "zh-CN", claimed, nameOf, "customer")).toContain("赵磊在");
    expect(refusalText(tr("zh-CN"), "zh-CN", claimed, nameOf, "customer")).toContain("把负责人改为赵磊");
  });

  test("a race for a record no longer on the device still names the winner", () => {
    const gone = { code: "transition_conflict", params: { by: "u2", at } };
    expect(refusalText(tr("zh-CN"), "zh-CN", gone, nameOf, null)).toBe(
      `赵磊在${local("zh-CN")}已先修改了这条记录；以先到服务器的为准，你的操作没有生效。`,
    );
    // Someone this device does not know.
    expect(refusalText(tr("en"), "en", { code: "transition_conflict", params: { by: "u7", at } }, nameOf)).toMatch(/^Someone got there first/);
  });

  test("other refusals use their own sentences, with fields and transitions named in words", () => {
    expect(refusalText(tr("zh-CN"), "zh-CN", { code: "satisfaction_low", params: { threshold: 3 } }, nameOf)).toBe(
      "满意度低于 3 时应重新打开请求，而不是归档。",
    );
    expect(codeText(tr("zh-CN"), "transition_requires", { transition: "handle", fields: ["result"] })).toBe("请先填写：处理结果");
    expect(codeText(tr("en"), "transition_requires", { transition: "fail", fields: ["loss_reason", "stage"] })).toBe(
      "Please fill in first: Reason lost, Stage",
    );
    expect(codeText(tr("en"), "transition_forbidden", { transition: "claim" })).toBe("You may not “Claim” this record.");
  });
});

describe("workflow words", () => {
  const doc = readFileSync(path.resolve(__dirname, "../../docs/api.md"), "utf8");
  const section = (kind: string) => doc.slice(doc.indexOf(`### \`${kind}\``)).split(/\n### /)[0];

  test("every state and transition the docs give the customer pool, opportunities and service requests has a label", () => {
    for (const kind of ["customer", "opportunity", "service_request"]) {
      const text = section(kind);
      // "`claim` (pool → owned; …", "`assign` (new or assigned →\nassigned; …"
      const moves = [...text.matchAll(/`([a-z_]+)` \(([a-z_ ]+?)\s+→\s+([a-z_]+)/g)];
      expect(moves.length, kind).toBeGreaterThanOrEqual(3);
      for (const [, name, from, to] of moves) {
        for (const lang of ["en", "zh-CN"] as const) {
          expect(messages[lang], name).toHaveProperty(`transition.${name}`);
          for (const state of [...from.split(" or "), to]) expect(messages[lang], `${kind} ${state}`).toHaveProperty(`state.${kind}.${state.trim()}`);
        }
      }
    }
  });

  test("every workflow status and priority in the kinds' tables has a label", () => {
    const choices = (kind: string, field: string) => {
      const row = section(kind)
        .split("\n")
        .find((l) => l.startsWith(`| \`${field}\``))!;
      return [...row.split("|")[2].matchAll(/`([a-z_]+)`/g)].map((m) => m[1]);
    };
    for (const kind of ["opportunity", "service_request"]) {
      const states = choices(kind, "status");
      expect(states.length).toBe(4);
      for (const s of states) for (const lang of ["en", "zh-CN"] as const) expect(messages[lang]).toHaveProperty(`state.${kind}.${s}`);
    }
    for (const p of choices("service_request", "priority")) for (const lang of ["en", "zh-CN"] as const) expect(messages[lang]).toHaveProperty(`priority.${p}`);
  });
});

describe("churn", () => {
  const doc = readFileSync(path.resolve(__dirname, "../../docs/api.md"), "utf8");
  const churn = doc.slice(doc.indexOf("### `churn_case`")).split(/\n### /)[0];

  test("every churn case state and step the docs name has a label in both languages", () => {
    const row = churn.split("\n").find((l) => l.startsWith("| `status`"))!;
    const states = [...row.split("|")[2].matchAll(/`([a-z_]+)`/g)].map((m) => m[1]);
    expect(states).toEqual(["warning", "postponed", "confirmed", "recovered"]);
    const steps = [...churn.slice(churn.indexOf("Workflow")).matchAll(/`([a-z_]+)` \(/g)].map((m) => m[1]);
    expect(steps).toEqual(["postpone", "confirm", "recover"]);
    for (const lang of ["en", "zh-CN"] as const) {
      for (const s of states) expect(messages[lang]).toHaveProperty(`state.churn_case.${s}`);
      for (const s of steps) expect(messages[lang]).toHaveProperty(`transition.${s}`);
    }
    expect(translate("zh-CN", "state.churn_case.postponed")).toBe("暂缓流失");
    expect(translate("zh-CN", "state.churn_case.confirmed")).toBe("确定流失");
  });

  test("the case tabs as list queries: postponed by the day to look again, closed ones newest first", async () => {
    const { caseQuery, churnTab, daysBetween } = await import("../src/screens/churn/model");
    expect(caseQuery("postponed")).toEqual({ filter: { status: "postponed" }, sort: "review_date", desc: false, limit: 200, names: true });
    expect(caseQuery("confirmed", "c1")).toMatchObject({ filter: { status: "confirmed", customer: "c1" }, sort: "closed_at", desc: true });
    expect(churnTab("recovered")).toBe("recovered");
    expect(churnTab("nonsense")).toBe("warning");
    expect(churnTab(null)).toBe("warning");
    expect(daysBetween("2026-05-25", "2026-11-23")).toBe(182);
    expect(daysBetween("2026-03-28", "2026-03-30")).toBe(2);
    expect(daysBetween("", "2026-11-23")).toBeNull();
  });
});
