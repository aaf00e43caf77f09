import { describe, expect, it } from "vitest";
import type { ConversionPlan } from "../src/api";
import { refusalText } from "../src/errors";
import { translate } from "../src/i18n";
import { conversionRequest, initialChoice, leadQuery } from "../src/screens/leads/model";

const plan = (over: Partial<ConversionPlan>): ConversionPlan => ({
  type: "conversion_plan",
  lead: "l",
  customer: { create: { name: "宏达" } },
  contact: { create: { name: "陈" } },
  candidates: [],
  activities: 2,
  ...over,
});

describe("leads", () => {
  it("lists one's own leads by state, source and when the next follow-up is", () => {
    expect(leadQuery({ status: "following", source: "web" }, "me", "2026-03-31")).toEqual({
      filter: { owner: "me", status: "following", source: "web" },
      sort: "updated_at",
      desc: true,
      limit: 100,
    });
    expect(leadQuery({ next: "week" }, "me", "2026-03-31").filter).toEqual({ owner: "me", next_follow_up: { from: "2026-03-31", to: "2026-04-08" } });
    expect(leadQuery({ next: "overdue" }, "me", "2026-03-31").filter).toEqual({ owner: "me", next_follow_up: { to: "2026-03-31" } });
  });

  it("narrows the list by the custom fields chosen, as the address keeps them", () => {
    const chosen = { "cf.industry": "制造业", "cf.trade_show": " " };
    expect(leadQuery({ status: "new", custom: chosen }, "me", "2026-03-31").filter).toEqual({
      "custom_fields.industry": "制造业",
      owner: "me",
      status: "new",
    });
  });

  it("starts the dialog from the plan: its one match, a new customer, or nothing among several", () => {
    expect(initialChoice(plan({ customer: { link: "c1", name: "宏达", matched: ["phones"] } }))).toEqual({ link: "c1" });
    expect(initialChoice(plan({}))).toEqual({ create: true });
    const two = [
      { id: "a", kind: "customer", title: "A", matched: ["name"] },
      { id: "b", kind: "customer", title: "B", matched: ["email"] },
    ];
    expect(initialChoice(plan({ candidates: two }))).toBeNull();
  });

  it("asks the core to link, or to create even though some look alike, with the opportunity in minor units", () => {
    expect(conversionRequest({ link: "c1" }, { title: "数控机床 2 台", amount: "380,000" })).toEqual({
      choice: { customer: "c1", new_customer: false, opportunity: { title: "数控机床 2 台", amount: { minor: 38000000, currency: "CNY" } } },
    });
    expect(conversionRequest({ create: true }, null)).toEqual({ choice: { customer: null, new_customer: true, opportunity: null } });
    expect(conversionRequest({ create: true }, { title: " ", amount: "" })).toEqual({ error: { field: "title", reason: "required" } });
    expect(conversionRequest({ create: true }, { title: "x", amount: "1.234" })).toEqual({ error: { field: "amount", reason: "invalid_amount" } });
  });
});

describe("a conversion another device made first", () => {
  it("names who converted the lead, not their id", () => {
    const refusal = { code: "lead_converted", params: { by: "u-zhao", at: "2026-03-31T02:00:00Z", customer: "c9" } };
    const text = refusalText((k, p) => translate("zh-CN", k, p), "zh-CN", refusal, (id) => (id === "u-zhao" ? "赵磊" : ""));
    expect(text).toMatch(/^赵磊 已于 .*2026.* 先转化了这条线索/);
    expect(text).not.toContain("u-zhao");
  });
});
