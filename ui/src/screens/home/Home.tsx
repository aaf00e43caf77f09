import { useCrm, useRole } from "../../state";
import { RemindersCard } from "../reminders/RemindersCard";
import { DormantCard, FollowUpsCard, OpportunitiesCard, TodaysVisitsCard } from "./cards";

/// A salesperson's day; supervisors, admins and viewers (who own nothing) see their team's.
export function Home() {
  const { isLead, canWrite } = useRole();
  return isLead || !canWrite ? <TeamHome /> : <MyHome />;
}

function MyHome() {
  const { t, status } = useCrm();
  return (
    <div className="page home">
      <h1>{t("home.greeting", { name: status?.identity.display_name })}</h1>
      <div className="home-grid">
        <RemindersCard />
        <FollowUpsCard owners="mine" />
        <OpportunitiesCard owners="mine" title={t("home.opportunities")} />
        <DormantCard owners="mine" />
      </div>
    </div>
  );
}

/// Everyone's reminders, follow-ups, quiet customers, open opportunities and today's visits, each under
/// the person they belong to.
function TeamHome() {
  const { t, status } = useCrm();
  return (
    <div className="page home" data-testid="team-home">
      <h1>{t("home.greeting", { name: status?.identity.display_name })}</h1>
      <p className="muted">{t("home.team_hint")}</p>
      <div className="home-grid">
        <RemindersCard />
        <FollowUpsCard owners="all" byOwner />
        <TodaysVisitsCard />
        <OpportunitiesCard owners="all" byOwner title={t("home.team_opportunities")} />
        <DormantCard owners="all" byOwner />
      </div>
    </div>
  );
}
