import { formatDate, formatMoney } from "../i18n";
import { navigate, useCrm, useData } from "../state";

export function Home() {
  const { crm, t, lang, status } = useCrm();
  const followUps = useData(() => crm.followUps(), []);
  const dormant = useData(() => crm.dormant(30, false, 10), []);
  const pipeline = useData(() => crm.pipeline(false), []);
  const open = (pipeline.data ?? [])
    .filter((s) => s.stage !== "won" && s.stage !== "lost")
    .flatMap((s) => s.cards)
    .slice(0, 10);

  return (
    <div className="page home">
      <h1>{t("home.greeting", { name: status?.identity.display_name })}</h1>
      <div className="home-grid">
        <section className="card" data-testid="home-follow-ups">
          <h2>{t("home.follow_ups")}</h2>
          {followUps.data?.length === 0 && <p className="muted">{t("home.follow_ups_none")}</p>}
          <ul className="list">
            {followUps.data?.map((f) => (
              <li key={f.activity.id} className="row">
                <a href={`#/customers/${f.customer_id}`} className="row-main">
                  <strong>{f.customer_name}</strong>
                  <span className="muted">{String(f.activity.fields.subject ?? t(`activity_type.${f.activity.fields.type}`))}</span>
                </a>
                <span className={f.overdue ? "pill pill-danger" : "pill"}>
                  {f.overdue ? t("home.overdue") : t("home.due", { date: formatDate(lang, f.due) })}
                </span>
                <button onClick={() => navigate(`visit/${f.customer_id}`)}>{t("home.log_visit")}</button>
              </li>
            ))}
          </ul>
        </section>
        <section className="card" data-testid="home-opportunities">
          <h2>{t("home.opportunities")}</h2>
          {pipeline.data && open.length === 0 && <p className="muted">{t("home.opportunities_none")}</p>}
          <ul className="list">
            {open.map((c) => (
              <li key={c.opportunity.id} className="row">
                <a href={`#/customers/${String(c.opportunity.fields.customer)}`} className="row-main">
                  <strong>{String(c.opportunity.fields.title)}</strong>
                  <span className="muted">{c.customer_name}</span>
                </a>
                <span className="pill">{t(`stage.${c.opportunity.fields.stage}`)}</span>
                <span className="money">
                  {formatMoney(lang, c.opportunity.fields.amount as never)}
                </span>
              </li>
            ))}
          </ul>
        </section>
        <section className="card" data-testid="home-dormant">
          <h2>{t("home.dormant")}</h2>
          {dormant.data?.length === 0 && <p className="muted">{t("home.dormant_none")}</p>}
          <ul className="list">
            {dormant.data?.map((d) => (
              <li key={d.customer.id} className="row">
                <a href={`#/customers/${d.customer.id}`} className="row-main">
                  <strong>{String(d.customer.fields.name)}</strong>
                  <span className="muted">
                    {d.days_quiet === null ? t("home.never_contacted") : t("home.days_quiet", { days: d.days_quiet })}
                  </span>
                </a>
                <button onClick={() => navigate(`visit/${d.customer.id}`)}>{t("home.log_visit")}</button>
              </li>
            ))}
          </ul>
        </section>
      </div>
    </div>
  );
}
