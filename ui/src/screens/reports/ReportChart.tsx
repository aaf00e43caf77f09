// One report table's chart, drawn by Apache ECharts (only the chart types and parts used are
// bundled). It follows its box's size; a tap on a bar, a point or a slice — or anywhere in a
// bar's column, for thin bars under a finger — shows its tooltip and opens the records behind it.

import { useEffect, useRef } from "react";
import { BarChart, FunnelChart, LineChart, PieChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import type { ChartSpec } from "./chartOption";

echarts.use([BarChart, FunnelChart, LineChart, PieChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export function ReportChart({ spec, onPick, label, testId }: { spec: ChartSpec; onPick: (row: number) => void; label: string; testId: string }) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const pick = useRef(onPick);
  pick.current = onPick;
  const rows = useRef(spec.rows);
  rows.current = spec.rows;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const c = echarts.init(el, undefined, { renderer: "canvas" });
    chart.current = c;
    const picked = (index: number | undefined) => {
      const row = index === undefined ? undefined : rows.current[index];
      if (row !== undefined) pick.current(row);
    };
    // A bar, point or slice.
    c.on("click", (p) => picked(p.dataIndex));
    // Anywhere in a category's column of a grid chart, so a short bar is easy to tap.
    c.getZr().on("click", (e) => {
      if (e.target) return;
      const at = [e.offsetX, e.offsetY];
      if (!c.containPixel("grid", at)) return;
      const [index] = c.convertFromPixel({ seriesIndex: 0 }, at) as number[];
      if (Number.isInteger(index)) picked(index);
    });
    const resize = new ResizeObserver(() => c.resize());
    resize.observe(el);
    return () => {
      resize.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption(spec.option, { notMerge: true });
  }, [spec]);

  return <div ref={box} className="report-chart" role="img" aria-label={label} data-testid={testId} />;
}
