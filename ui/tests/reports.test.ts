import { describe, expect, test } from "vitest";
import type { Item, Report, ReportTable } from "../src/api";
import { translate } from "../src/i18n";
import type { Lang } from "../src/i18n";
import { chartOption, CHART_ROWS } from "../src/screens/reports/chartOption";
import {
  cellText,
  codeLabel,
  drillPath,
  durationText,
  exportLabels,
  headerText,
  percentText,
  presetRange,
  reportParams,
  scopesFor,
  todayIn,
} from "../src/screens/reports/model";
import type { CellContext } from "../src/screens/reports/model";

const grade = (code: string, zh: string, en: string): Item => ({
  id: `d-${code}`,
  kind: "dict_entry",
  fields: { dict: "customer_grade", code, label_zh: zh, label_en: en },
  created_at: "",
  updated_at: "",
  deleted_at: null,
  has_conflicts: false,
});

function ctx(lang: Lang = "zh-CN"): CellContext {
  return {
    lang,
    t: (key, params) => translate(lang, key, params as never),
    dicts: [grade("A", "A类", "Grade A")],
    userName: (id) => ({ u1: "王芳", u2: "赵磊" })[id] ?? "",
    currency: "CNY",
  };
}

const contribution: ReportTable = {
  key: "customers",
  columns: [
    { key: "rank", type: "count" },
    { key: "customer", type: "text" },
    { key: "revenue", type: "money" },
    { key: "share", type: "percent" },
    { key: "class", type: "code", codes: "enum:abc" },
    { key: "change", type: "percent" },
  ],
  rows: [
    { cells: { rank: 1, customer: "华东机械", revenue: 1250050, share: 8000, class: "A", change: null }, drill: { kind: "order", ids: ["o1"], total: 1 } },
    { cells: { rank: 2, customer: "宏达", revenue: 312500, share: 2000, class: "B", change: -1250 }, drill: { kind: "order", ids: ["o2"], total: 1 } },
  ],
  totals: { revenue: 1562550, share: 10000 },
  chart: { type: "bar", x: "customer", series: ["revenue"] },
};

describe("report cells in words", () => {
  test("money from minor units, basis points as percent, hundredths, null as a dash", () => {
    const c = ctx();
    expect(cellText(c, { key: "revenue", type: "money" }, 1250050)).toBe("¥12,500.50");
    expect(cellText(c, { key: "share", type: "percent" }, 8000)).toBe("80.00%");
    expect(percentText(3333)).toBe("33.33%");
    expect(percentText(-1250)).toBe("-12.50%");
    expect(percentText(5)).toBe("0.05%");
    expect(cellText(c, { key: "satisfaction", type: "hundredths" }, 425)).toBe("4.25");
    expect(cellText(c, { key: "change", type: "percent" }, null)).toBe("—");
    expect(cellText(c, { key: "requests", type: "count" }, 12345)).toBe("12,345");
    expect(cellText(c, { key: "period", type: "period" }, "2026-Q4")).toBe("2026-Q4");
  });

  test("durations read as minutes, hours or days", () => {
    const t = ctx("en").t;
    expect(durationText(t, 600)).toBe("10 min");
    expect(durationText(t, 3 * 3600 + 20 * 60)).toBe("3 h 20 min");
    expect(durationText(t, 3 * 86400 + 5 * 3600)).toBe("3 d 5 h");
    expect(cellText(ctx(), { key: "average", type: "seconds" }, 7200)).toBe("2 小时 0 分钟");
  });

  test("codes from dictionaries, enums, the ABC classes and the report's own sets; users by name", () => {
    const c = ctx();
    expect(codeLabel(c, "dict:customer_grade", "A")).toBe("A类");
    expect(codeLabel(ctx("en"), "dict:customer_grade", "A")).toBe("Grade A");
    expect(codeLabel(c, "enum:opportunity.stage", "won")).toBe(translate("zh-CN", "stage.won"));
    expect(codeLabel(c, "enum:service_request.status", "new")).toBe(translate("zh-CN", "state.service_request.new"));
    expect(codeLabel(c, "enum:abc", "B")).toBe("B 类");
    expect(codeLabel(c, "enum:report.ageing", "d90_plus")).toBe("逾期 90 天以上");
    expect(codeLabel(c, "enum:report.service_times", "to_assign")).toBe("至分派");
    expect(codeLabel(c, "dict:customer_grade", "none")).toBe("未填写");
    expect(codeLabel(c, "enum:unknown.field", "zzz")).toBe("zzz");
    expect(cellText(c, { key: "person", type: "user" }, "u1")).toBe("王芳");
  });

  test("a column per value is headed by the value it counts", () => {
    const c = ctx();
    const overTime: ReportTable = {
      key: "over_time",
      columns: [
        { key: "period", type: "period" },
        { key: "A", type: "count", codes: "dict:customer_grade" },
        { key: "u2", type: "count" },
      ],
      rows: [],
      totals: null,
      chart: null,
    };
    expect(overTime.columns.map((col) => headerText(c, overTime, col))).toEqual(["期间", "A类", "赵磊"]);
  });
});

describe("periods, scopes and requests", () => {
  test("the presets' first and last days", () => {
    expect(presetRange("this_month", "2026-02-14")).toEqual({ from: "2026-02-01", to: "2026-02-28" });
    expect(presetRange("last_month", "2026-01-10")).toEqual({ from: "2025-12-01", to: "2025-12-31" });
    expect(presetRange("this_quarter", "2026-11-24")).toEqual({ from: "2026-10-01", to: "2026-12-31" });
    expect(presetRange("this_year", "2028-02-29")).toEqual({ from: "2028-01-01", to: "2028-12-31" });
    expect(todayIn("Asia/Shanghai", new Date("2026-11-30T16:30:00Z"))).toBe("2026-12-01");
  });

  test("each role is offered only the scopes it may ask for", () => {
    expect(scopesFor("account_manager", "east")).toEqual(["mine"]);
    expect(scopesFor("supervisor", "east")).toEqual(["mine", "team"]);
    expect(scopesFor("admin", null)).toEqual(["mine", "team", "all"]);
    expect(scopesFor("viewer", "east")).toEqual(["team"]);
  });

  test("a request carries the chosen period, scope, person and options, not empty ones", () => {
    expect(reportParams("contribution", { preset: "last_month", scope: "team", options: { basis: "payments", a: null } }, "2026-11-24")).toEqual({
      name: "contribution",
      from: "2026-10-01",
      to: "2026-10-31",
      scope: "team",
      options: { basis: "payments" },
    });
    expect(reportParams("receivables", { preset: "this_year", options: {} }, "2026-11-24")).toEqual({ name: "receivables" });
    expect(reportParams("funnel", { preset: "custom", from: "2026-01-05", to: "2026-03-01", group_by: "week", owner: "u1", options: {} }, "x")).toEqual({
      name: "funnel",
      from: "2026-01-05",
      to: "2026-03-01",
      group_by: "week",
      owner: "u1",
    });
  });
});

describe("table to chart", () => {
  test("a bar chart: one category per row, values as sent, axis and tooltip in the cells' words", () => {
    const spec = chartOption(ctx(), contribution)!;
    const option = spec.option as {
      xAxis: { data: string[] };
      yAxis: { axisLabel: { formatter: (v: number) => string } };
      series: { type: string; data: (number | null)[]; name: string; stack?: string }[];
      tooltip: { trigger: string; formatter: (items: unknown[]) => string };
    };
    expect(option.xAxis.data).toEqual(["华东机械", "宏达"]);
    expect(option.series).toHaveLength(1);
    expect(option.series[0]).toMatchObject({ type: "bar", name: "收入", data: [1250050, 312500] });
    expect(option.series[0].stack).toBeUndefined();
    expect(option.yAxis.axisLabel.formatter(1000000)).toBe("¥10,000.00");
    expect(option.tooltip.trigger).toBe("axis");
    expect(option.tooltip.formatter([{ dataIndex: 1, seriesIndex: 0, marker: "", value: 312500 }])).toBe("宏达<br/>收入: ¥3,125.00");
    expect(spec.rows).toEqual([0, 1]);
  });

  test("stacked bars stack, lines are lines, pies and funnels are slices in row order", () => {
    const stacked = chartOption(ctx(), { ...contribution, chart: { type: "stacked_bar", x: "customer", series: ["revenue", "share"] } })!;
    const s = (stacked.option as { series: { stack?: string }[]; legend?: unknown }).series;
    expect(s.map((x) => x.stack)).toEqual(["total", "total"]);
    expect((stacked.option as { legend?: unknown }).legend).toBeTruthy();
    const line = chartOption(ctx(), { ...contribution, chart: { type: "line", x: "customer", series: ["revenue"] } })!;
    expect((line.option as { series: { type: string }[] }).series[0].type).toBe("line");
    const pie = chartOption(ctx(), { ...contribution, chart: { type: "pie", x: "class", series: ["revenue"] } })!;
    const slices = (pie.option as { series: { type: string; data: { name: string; value: number }[] }[] }).series[0];
    expect(slices.type).toBe("pie");
    expect(slices.data).toEqual([
      { name: "A 类", value: 1250050 },
      { name: "B 类", value: 312500 },
    ]);
    const funnel = chartOption(ctx(), { ...contribution, chart: { type: "funnel", x: "customer", series: ["rank"] } })!;
    expect((funnel.option as { series: { type: string; sort: string }[] }).series[0]).toMatchObject({ type: "funnel", sort: "none" });
  });

  test("a long table's chart draws its first rows and says how many are left out; no chart, no option", () => {
    const many = { ...contribution, rows: Array.from({ length: 45 }, (_, i) => ({ cells: { customer: `c${i}`, revenue: i }, drill: null })) };
    const spec = chartOption(ctx(), many)!;
    expect(spec.rows).toHaveLength(CHART_ROWS);
    expect(spec.cut).toBe(45 - CHART_ROWS);
    expect(chartOption(ctx(), { ...contribution, chart: null })).toBeNull();
  });
});

describe("export labels and where records open", () => {
  test("the spreadsheet gets the shown words for the report, tables, headers, filters and codes", () => {
    const report: Report = {
      name: "contribution",
      filters: { from: "2026-11-01", to: "2026-11-30", group_by: "month", scope: "team", owner: null, currency: "CNY", timezone: "Asia/Shanghai", basis: "orders" },
      tables: [
        contribution,
        {
          key: "over_time",
          columns: [
            { key: "period", type: "period" },
            { key: "A", type: "count", codes: "dict:customer_grade" },
          ],
          rows: [],
          totals: null,
          chart: null,
        },
      ],
      other_currency: 0,
    };
    const labels = exportLabels(ctx(), report);
    expect(labels["report.contribution"]).toBe("客户贡献度（ABC 分析）");
    expect(labels["table.customers"]).toBe("客户");
    expect(labels["column.revenue"]).toBe("收入");
    expect(labels["enum:abc:A"]).toBe("A 类");
    expect(labels["dict:customer_grade:A"]).toBe("A类");
    expect(labels["filter.scope"]).toBe("范围");
    expect(labels["filter.scope:team"]).toBe("本团队");
    expect(labels["filter.basis:orders"]).toBe("订单");
    expect(labels["filter.group_by:month"]).toBe("按月");
  });

  test("a record behind a figure opens its page, a payment its document's, an opportunity its customer's", () => {
    expect(drillPath("customer", "c1", {})).toBe("/customers/c1");
    expect(drillPath("order", "o1", {})).toBe("/sales/order/o1");
    expect(drillPath("churn_case", "k1", {})).toBe("/churn/k1");
    expect(drillPath("service_request", "s1", {})).toBe("/service/s1");
    expect(drillPath("payment", "p1", { contract: "k9", customer: "c1" })).toBe("/sales/contract/k9");
    expect(drillPath("payment", "p1", { sales_order: "o9" })).toBe("/sales/order/o9");
    expect(drillPath("opportunity", "x", { customer: "c2" })).toBe("/customers/c2");
  });
});
