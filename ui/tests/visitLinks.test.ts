import { describe, expect, test } from "vitest";
import { aboutOf, aboutPath, activityFormPath, draftKeyOf } from "../src/screens/visits/visitLinks";

describe("what an activity is about", () => {
  test("a customer's activity is edited from the customer's visit form", () => {
    const about = aboutOf({ customer: "c1", type: "call" })!;
    expect(about).toEqual({ kind: "customer", id: "c1" });
    expect(activityFormPath(about)).toBe("/visit/c1");
    expect(activityFormPath(about, "a1")).toBe("/visit/c1/a1");
    expect(aboutPath(about)).toBe("/customers/c1");
    expect(draftKeyOf(about, "a1")).toBe("visit:c1:a1");
  });

  test("an activity logged on a lead is the lead's until the lead is converted", () => {
    const about = aboutOf({ lead: "l1", customer: null, type: "call" })!;
    expect(about).toEqual({ kind: "lead", id: "l1" });
    expect(activityFormPath(about)).toBe("/leads/l1/activity");
    expect(activityFormPath(about, "a1")).toBe("/leads/l1/activity/a1");
    expect(aboutPath(about)).toBe("/leads/l1");
    expect(draftKeyOf(about)).toBe("visit:lead:l1");
  });

  test("once converted it names the customer, whose timeline it is on", () => {
    expect(aboutOf({ lead: "l1", customer: "c1" })).toEqual({ kind: "customer", id: "c1" });
  });

  test("an activity about nothing is about nothing", () => {
    expect(aboutOf({ type: "call" })).toBeNull();
  });
});
