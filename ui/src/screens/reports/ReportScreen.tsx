// One report: its filters, what it was computed for, and every table it answers (each drawn by
// `TableView`), the records behind a figure in `DrillPanel`, and the export. The same screen
// for all seven reports: what differs comes from the core's answer and `REPORTS`.

import { ArrowLeftOutlined } from "@ant-design/icons";
import { Alert } from "antd";
import { useMemo, useState } from "react";
import { Link } from "react-router-dom";
import type { Drill, ReportName, ReportRow, ReportTable } from "../../api";
import { errorText } from "../../errors";
import { formatDate } from "../../i18n";
import { useCrm, useData, useRole, userName } from "../../state";
import { DrillPanel } from "./DrillPanel";
import { ReportExport } from "./ReportExport";
import { ReportFilters } from "./ReportFilters";
import { TableView } from "./TableView";
import { TargetsLink } from "./TargetsLink";
import { cellText, headerText, reportParams, reportSpec, todayIn } from "./model";
import type { CellContext, Choices } from "./model";

export function ReportScreen({ name }: { name: ReportName }) {
  const { crm, t, lang, dicts, users } = useCrm();
  const { isLead } = useRole();
  const spec = reportSpec(name);
  const [choices, setChoices] = useState<Choices>({ preset: "this_month", options: {} });
  const [zone, setZone] = useState<string | null>(null);
  const params = reportParams(name, choices, todayIn(zone));
  const custom = choices.preset === "custom" && spec?.period && (!choices.from || !choices.to);
  const report = useData(() => (custom ? Promise.resolve(null) : crm.report(params)), [JSON.stringify(params), custom]);
  const data = report.data;
  const [drill, setDrill] = useState<{ drill: Drill; title: string } | null>(null);

  const timezone = typeof data?.filters.timezone === "string" ? data.filters.timezone : null;
  if (timezone && timezone !== zone) setZone(timezone);
  const currency = typeof data?.filters.currency === "string" ? data.filters.currency : "CNY";
  const ctx: CellContext = useMemo(
    () => ({ lang, t, dicts, currency, userName: (id: string) => userName(users, id) }),
    [lang, t, dicts, currency, users],
  );

  const openDrill = (table: ReportTable, row: ReportRow) => {
    if (!row.drill) return;
    const x = table.chart ? table.columns.find((c) => c.key === table.chart?.x) : table.columns[0];
    const label = x ? cellText(ctx, x, row.cells[x.key]) : "";
    const head = x && table.columns.length > 0 ? headerText(ctx, table, x, data ?? undefined) : "";
    setDrill({ drill: row.drill, title: [t(`report.table.${table.key}`), head && label ? `${head}: ${label}` : label].filter(Boolean).join(" · ") });
  };

  const from = typeof data?.filters.from === "string" ? data.filters.from : null;
  const to = typeof data?.filters.to === "string" ? data.filters.to : null;
  const asOf = typeof data?.filters.as_of === "string" ? data.filters.as_of : null;

  return (
    <div className="page report" data-testid="report" data-report={name}>
      <Link to="/reports" className="tap-link back-link" data-testid="reports-back">
        <ArrowLeftOutlined /> {t("report.all")}
      </Link>
      <div className="page-head">
        <h1>{t(`report.name.${name}`)}</h1>
        <div className="actions">
          {isLead && name === "performance" && <TargetsLink />}
          {data && <ReportExport params={params} report={data} ctx={ctx} />}
        </div>
      </div>
      <p className="muted">{t(`report.about.${name}`)}</p>
      <ReportFilters choices={choices} onChange={setChoices} options={spec?.options ?? []} period={spec?.period ?? true} />
      {custom && <p className="muted">{t("report.pick_dates")}</p>}
      {report.error && <Alert type="error" showIcon message={errorText(t, report.error)} data-testid="report-error" />}
      {data && !report.error && (
        <>
          <p className="muted small" data-testid="report-range" data-from={from ?? ""} data-to={to ?? ""}>
            {asOf
              ? t("report.as_of", { date: formatDate(lang, asOf) })
              : t("report.range", { from: formatDate(lang, from), to: formatDate(lang, to) })}
          </p>
          {data.other_currency > 0 && <Alert type="info" showIcon message={t("report.other_currency", { count: data.other_currency, currency })} />}
          <div className="report-tables">
            {data.tables.map((table) => (
              <TableView key={table.key} report={data} table={table} ctx={ctx} onDrill={(row) => openDrill(table, row)} />
            ))}
          </div>
        </>
      )}
      {!data && !report.error && !custom && <p className="muted">{t("common.loading")}</p>}
      {drill && <DrillPanel key={JSON.stringify(drill.drill.ids)} drill={drill.drill} title={drill.title} onClose={() => setDrill(null)} />}
    </div>
  );
}
