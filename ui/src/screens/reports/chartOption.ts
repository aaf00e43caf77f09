// A report table's chart as an ECharts option: the table says what is drawn (`chart`: the
// type, the column along the axis or the slices, the columns drawn); this only lays it out.
// Values stay as the core sent them (money in minor units, shares in basis points): axis
// labels and tooltips are the cells' own words, so nothing is converted to a float here.

import type { ReportColumn, ReportTable } from "../../api";
import { cellText, headerText } from "./model";
import type { CellContext } from "./model";

/// The most rows a chart draws (the table below lists them all).
export const CHART_ROWS = 20;

/// What the chart component needs: the option, and which table row each drawn item is.
export interface ChartSpec {
  option: Record<string, unknown>;
  /// Chart item index → the table row it stands for.
  rows: number[];
  /// Rows left out of the chart.
  cut: number;
}

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

export function chartOption(ctx: CellContext, table: ReportTable, phone = false): ChartSpec | null {
  const chart = table.chart;
  if (!chart) return null;
  const column = (key: string): ReportColumn => table.columns.find((c) => c.key === key) ?? { key, type: "count" };
  const x = column(chart.x);
  const series = chart.series.map(column);
  const shown = table.rows.map((row, i) => ({ row, i })).slice(0, CHART_ROWS);
  const rows = shown.map((r) => r.i);
  const cut = table.rows.length - shown.length;
  const name = (c: ReportColumn) => headerText(ctx, table, c);
  const category = shown.map(({ row }) => cellText(ctx, x, row.cells[x.key]));
  const valueText = (c: ReportColumn, v: unknown) => cellText(ctx, c, num(v));
  const tooltipBase = { confine: true, triggerOn: "mousemove|click" };

  if (chart.type === "pie" || chart.type === "funnel") {
    const value = series[0];
    const data = shown.map(({ row }, k) => ({ name: category[k], value: num(row.cells[value.key]) ?? 0 }));
    const text = (p: { name: string; value: number }) => `${p.name}: ${valueText(value, p.value)}`;
    const common = {
      name: name(value),
      data,
      label: { formatter: (p: { name: string; value: number }) => (phone ? p.name : text(p)) },
    };
    return {
      rows,
      cut,
      option: {
        tooltip: { ...tooltipBase, trigger: "item", formatter: text },
        legend: { type: "scroll", bottom: 0 },
        series: [
          chart.type === "pie"
            ? { ...common, type: "pie", radius: phone ? ["30%", "60%"] : ["35%", "68%"], center: ["50%", "45%"] }
            : { ...common, type: "funnel", sort: "none", left: "10%", width: "80%", top: 10, bottom: 40, minSize: "8%" },
        ],
      },
    };
  }

  // bar, stacked_bar, line: one category per row, one series per column drawn.
  const unit = series[0];
  return {
    rows,
    cut,
    option: {
      tooltip: {
        ...tooltipBase,
        trigger: "axis",
        axisPointer: { type: chart.type === "line" ? "line" : "shadow" },
        formatter: (items: { dataIndex: number; seriesIndex: number; marker: string; value: unknown }[]) => {
          if (items.length === 0) return "";
          const head = category[items[0].dataIndex] ?? "";
          return [head, ...items.map((p) => `${p.marker}${name(series[p.seriesIndex])}: ${valueText(series[p.seriesIndex], p.value)}`)].join("<br/>");
        },
      },
      legend: series.length > 1 ? { type: "scroll", top: 0 } : undefined,
      grid: { left: 8, right: 12, top: series.length > 1 ? 36 : 12, bottom: 8, containLabel: true },
      xAxis: {
        type: "category",
        data: category,
        axisLabel: { interval: "auto", hideOverlap: true, width: phone ? 64 : 96, overflow: "truncate" },
      },
      yAxis: {
        type: "value",
        axisLabel: { formatter: (v: number) => valueText(unit, v) },
      },
      series: series.map((c) => ({
        type: chart.type === "line" ? "line" : "bar",
        name: name(c),
        ...(chart.type === "stacked_bar" ? { stack: "total" } : {}),
        data: shown.map(({ row }) => num(row.cells[c.key])),
        emphasis: { focus: "series" },
      })),
    },
  };
}
