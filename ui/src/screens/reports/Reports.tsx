// The reports (报表): the seven the core computes, each opening its screen; for supervisors
// and admins, the monthly sales targets they set.

import { RightOutlined } from "@ant-design/icons";
import { Link } from "react-router-dom";
import { useCrm, useRole } from "../../state";
import { REPORTS } from "./model";
import { TargetsLink } from "./TargetsLink";

export function Reports() {
  const { t } = useCrm();
  const { isLead } = useRole();
  return (
    <div className="page reports">
      <div className="page-head">
        <h1>{t("report.title")}</h1>
        {isLead && (
          <div className="actions">
            <TargetsLink />
          </div>
        )}
      </div>
      <ul className="list report-list" data-testid="report-list">
        {REPORTS.map((r) => (
          <li key={r.name} className="row">
            <Link to={`/reports/${r.name}`} className="row-main" data-testid={`report-link-${r.name}`}>
              <strong>{t(`report.name.${r.name}`)}</strong>
              <span className="muted report-about">{t(`report.about.${r.name}`)}</span>
            </Link>
            <RightOutlined className="muted" aria-hidden />
          </li>
        ))}
      </ul>
    </div>
  );
}
