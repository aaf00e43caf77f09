// Any report table: its chart above, the table below with its total row. A row with records
// behind it (`drill`) opens them from its bar, slice or row.

import { Card, Table } from "antd";
import { useMemo } from "react";
import type { HTMLAttributes } from "react";
import type { Report, ReportRow, ReportTable } from "../../api";
import { useCrm } from "../../state";
import { useIsPhone } from "../../components/useIsPhone";
import { chartOption } from "./chartOption";
import { cellText, headerText } from "./model";
import type { CellContext } from "./model";
import { ReportChart } from "./ReportChart";

const NUMERIC = ["count", "money", "percent", "seconds", "hundredths"];

export function TableView({ report, table, ctx, onDrill }: { report: Report; table: ReportTable; ctx: CellContext; onDrill: (row: ReportRow) => void }) {
  const { t } = useCrm();
  const phone = useIsPhone();
  const spec = useMemo(() => chartOption(ctx, table, phone), [ctx, table, phone]);
  const title = t(`report.table.${table.key}`);
  const columns = table.columns.map((c) => ({
    key: c.key,
    dataIndex: c.key,
    title: headerText(ctx, table, c, report),
    align: NUMERIC.includes(c.type) ? ("right" as const) : undefined,
    render: (_: unknown, row: ReportRow) => <span className={NUMERIC.includes(c.type) ? "money" : undefined}>{cellText(ctx, c, row.cells[c.key])}</span>,
  }));
  const open = (row: ReportRow) => row.drill && row.drill.total > 0 && onDrill(row);
  const data = table.rows.map((r, i) => ({ ...r, key: i }));

  return (
    <Card title={title} className="report-table" data-testid={`report-table-${table.key}`} data-table={table.key}>
      {spec && table.rows.length > 0 && (
        <>
          <ReportChart spec={spec} onPick={(i) => open(table.rows[i])} label={title} testId={`report-chart-${table.key}`} />
          {spec.cut > 0 && <p className="muted small">{t("report.chart_first", { shown: spec.rows.length, total: table.rows.length })}</p>}
        </>
      )}
      <Table
        size="small"
        columns={columns}
        dataSource={data}
        pagination={data.length > 50 ? { pageSize: 50, showSizeChanger: false } : false}
        scroll={{ x: "max-content" }}
        locale={{ emptyText: t("report.empty") }}
        rowClassName={(r) => (r.drill && r.drill.total > 0 ? "report-row drillable" : "report-row")}
        onRow={(r) =>
          ({
          onClick: () => open(r),
          onKeyDown: (e) => e.key === "Enter" && open(r),
          tabIndex: r.drill && r.drill.total > 0 ? 0 : undefined,
          "data-testid": "report-row",
          "data-drill": r.drill?.total ?? 0,
        }) as HTMLAttributes<HTMLElement>}
        summary={() =>
          table.totals && (
            <Table.Summary.Row className="report-totals" data-testid="report-totals">
              {table.columns.map((c, i) => (
                <Table.Summary.Cell key={c.key} index={i} align={NUMERIC.includes(c.type) ? "right" : undefined}>
                  <strong className="money">{i === 0 && table.totals?.[c.key] == null ? t("report.total") : table.totals?.[c.key] == null ? "" : cellText(ctx, c, table.totals[c.key])}</strong>
                </Table.Summary.Cell>
              ))}
            </Table.Summary.Row>
          )
        }
      />
    </Card>
  );
}
