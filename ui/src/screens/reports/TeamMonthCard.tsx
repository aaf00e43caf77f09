// Home's "the team's month at a glance" for supervisors (and whoever sees a team's home): this
// month's performance report per team — won and collected against their targets, visits — and
// the funnel's forecast for the month, each leading to its report. Figures are the core's.

import { RightOutlined } from "@ant-design/icons";
import { Card, Progress } from "antd";
import { useMemo } from "react";
import { Link } from "react-router-dom";
import type { Json, ReportColumn, ReportTable } from "../../api";
import { errorText } from "../../errors";
import { useCrm, useData, userName } from "../../state";
import { cellText } from "./model";
import type { CellContext } from "./model";

const column = (table: ReportTable | undefined, key: string): ReportColumn => table?.columns.find((c) => c.key === key) ?? { key, type: "count" };

export function TeamMonthCard() {
  const { crm, t, lang, dicts, users } = useCrm();
  const figures = useData(
    () => Promise.all([crm.report({ name: "performance" }), crm.report({ name: "funnel", group_by: "month" })]),
    [],
  );
  const [performance, funnel] = figures.data ?? [null, null];
  const currency = typeof performance?.filters.currency === "string" ? performance.filters.currency : "CNY";
  const ctx: CellContext = useMemo(() => ({ lang, t, dicts, currency, userName: (id: string) => userName(users, id) }), [lang, t, dicts, currency, users]);
  const teams = performance?.tables.find((x) => x.key === "teams");
  const forecast = funnel?.tables.find((x) => x.key === "forecast");
  const text = (table: ReportTable | undefined, cells: Record<string, Json>, key: string) => cellText(ctx, column(table, key), cells[key]);

  return (
    <Card
      title={t("home.team_month")}
      data-testid="home-team-month"
      extra={
        <Link to="/reports/performance" className="more-link" data-testid="team-month-more">
          {t("home.team_month_reports")} <RightOutlined />
        </Link>
      }
    >
      {figures.error && <p className="error">{errorText(t, figures.error)}</p>}
      {teams && teams.rows.length === 0 && <p className="muted">{t("report.empty")}</p>}
      {teams?.rows.map((row) => {
        const c = row.cells;
        return (
          <div key={String(c.team)} className="team-month" data-testid="team-month-team" data-team={String(c.team)}>
            {teams.rows.length > 1 && <h3 className="owner-head">{text(teams, c, "team")}</h3>}
            {(["won", "collected", "visits"] as const).map((m) => (
              <div key={m} className="team-month-measure" data-testid={`team-month-${m}`}>
                <div className="team-month-line">
                  <span>{t(`report.column.${m}`)}</span>
                  <span className="money">
                    {c[`${m}_target`] == null
                      ? text(teams, c, m)
                      : t("home.team_month_of", { value: text(teams, c, m), target: text(teams, c, `${m}_target`) })}
                  </span>
                </div>
                {typeof c[`${m}_rate`] === "number" && (
                  <Progress
                    percent={Math.min(100, (c[`${m}_rate`] as number) / 100)}
                    format={() => text(teams, c, `${m}_rate`)}
                    size="small"
                    aria-label={t(`report.column.${m}_rate`)}
                  />
                )}
              </div>
            ))}
          </div>
        );
      })}
      {forecast?.rows.map((row) => (
        <div key={String(row.cells.period)} className="team-month-measure" data-testid="team-month-forecast">
          <div className="team-month-line">
            <span>{t("home.team_month_forecast")}</span>
            <span className="money">{text(forecast, row.cells, "forecast")}</span>
          </div>
          <div className="team-month-line muted small">
            <span>{t("report.column.expected")}</span>
            <span className="money">{text(forecast, row.cells, "expected")}</span>
          </div>
        </div>
      ))}
      <Link to="/reports/funnel" className="more-link" data-testid="team-month-funnel">
        {t("report.name.funnel")} <RightOutlined />
      </Link>
    </Card>
  );
}
