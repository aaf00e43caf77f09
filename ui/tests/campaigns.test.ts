import { describe, expect, it } from "vitest";
import type { KindSchema } from "../src/api";
import { filterText, filterableFields, parseFilter, percentOf, recipientsQuery } from "../src/screens/campaigns/model";

const schema = [
  {
    kind: "customer",
    fields: [
      { name: "name", type: "string", required: true, filterable: true },
      { name: "grade", type: "dictionary", dictionary: "customer_grade", required: false, filterable: true },
      { name: "region", type: "dictionary", dictionary: "region", required: false, filterable: true },
      { name: "owner", type: "reference", kind: "user", required: false, filterable: true },
      { name: "do_not_email", type: "boolean", required: false, filterable: true },
      { name: "lead", type: "reference", kind: "lead", required: false, filterable: true },
    ],
  },
] as unknown as KindSchema[];

describe("campaigns", () => {
  it("offers the target kind's fields with a fixed set of values", () => {
    expect(filterableFields(schema, "customer").map((f) => f.name)).toEqual(["grade", "region", "owner", "do_not_email"]);
  });

  it("keeps the target filter as the list filter's JSON: one value as itself, several as a list, yes/no as booleans", () => {
    const fields = filterableFields(schema, "customer");
    const text = filterText(
      [
        { field: "grade", values: ["A"] },
        { field: "region", values: ["east", "north"] },
        { field: "do_not_email", values: ["false"] },
        { field: "owner", values: [] },
        { field: "", values: ["x"] },
      ],
      fields,
    );
    expect(JSON.parse(text)).toEqual({ grade: "A", region: ["east", "north"], do_not_email: false });
    expect(parseFilter(text)).toEqual([
      { field: "grade", values: ["A"] },
      { field: "region", values: ["east", "north"] },
      { field: "do_not_email", values: ["false"] },
    ]);
    expect(filterText([], fields)).toBe("");
    expect(parseFilter("")).toEqual([]);
  });

  it("leaves a filter the rows cannot show as text", () => {
    expect(parseFilter("not json")).toBeNull();
    expect(parseFilter("[1]")).toBeNull();
    expect(parseFilter('{"created_at":{"from":"2026-01-01"}}')).toBeNull();
  });

  it("says basis points as a percentage without floats", () => {
    expect(percentOf(2500)).toBe("25%");
    expect(percentOf(1234)).toBe("12.34%");
    expect(percentOf(1250)).toBe("12.5%");
    expect(percentOf(5)).toBe("0.05%");
    expect(percentOf(-300)).toBe("-3%");
    expect(percentOf(null)).toBeNull();
  });

  it("reads a campaign's emails by campaign", () => {
    expect(recipientsQuery("c1")).toEqual({ filter: { campaign: "c1", type: "email" }, sort: "time", desc: true, limit: 200, names: true });
  });
});
