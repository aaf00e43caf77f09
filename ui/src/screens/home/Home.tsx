import { BarChartOutlined } from "@ant-design/icons";
import { Link } from "react-router-dom";
import { useCrm, useRole } from "../../state";
import { useIsPhone } from "../../components/useIsPhone";
import { TeamMonthCard } from "../reports/TeamMonthCard";
import { RemindersCard } from "../reminders/RemindersCard";
import { DormantCard, FollowUpsCard, OpportunitiesCard, TodaysVisitsCard } from "./cards";

/// Reports, for phones, whose tab bar has no room for them (the side menu has them elsewhere).
function ReportsLink() {
  const { t } = useCrm();
  if (!useIsPhone()) return null;
  return (
    <Link to="/reports" className="more-link" data-testid="home-reports">
      <BarChartOutlined /> {t("nav.reports")}
    </Link>
  );
}

/// A salesperson's day; supervisors, admins and viewers (who own nothing) see their team's.
export function Home() {
  const { isLead, canWrite } = useRole();
  return isLead || !canWrite ? <TeamHome /> : <MyHome />;
}

function MyHome() {
  const { t, status } = useCrm();
  return (
    <div className="page home">
      <div className="page-head">
        <h1>{t("home.greeting", { name: status?.identity.display_name })}</h1>
        <ReportsLink />
      </div>
      <div className="home-grid">
        <RemindersCard />
        <FollowUpsCard owners="mine" />
        <OpportunitiesCard owners="mine" title={t("home.opportunities")} />
        <DormantCard owners="mine" />
      </div>
    </div>
  );
}

/// The team's month at a glance (performance and the funnel's forecast), then everyone's reminders, follow-ups, quiet customers, open opportunities and today's visits, each under
/// the person they belong to.
function TeamHome() {
  const { t, status } = useCrm();
  return (
    <div className="page home" data-testid="team-home">
      <div className="page-head">
        <h1>{t("home.greeting", { name: status?.identity.display_name })}</h1>
        <ReportsLink />
      </div>
      <p className="muted">{t("home.team_hint")}</p>
      <div className="home-grid">
        <TeamMonthCard />
        <RemindersCard />
        <FollowUpsCard owners="all" byOwner />
        <TodaysVisitsCard />
        <OpportunitiesCard owners="all" byOwner title={t("home.team_opportunities")} />
        <DormantCard owners="all" byOwner />
      </div>
    </div>
  );
}
