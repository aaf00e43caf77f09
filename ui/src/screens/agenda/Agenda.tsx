import { LeftOutlined, PlusOutlined, RightOutlined } from "@ant-design/icons";
import { Alert, Button, Segmented, Tag } from "antd";
import dayjs from "dayjs";
import { Link, useNavigate, useSearchParams } from "react-router-dom";
import type { AgendaEntry } from "../../api";
import { errorText } from "../../errors";
import { formatDate, formatMoney, formatMonth, localDate } from "../../i18n";
import { useCrm, useData, useRole } from "../../state";
import { VIEWS, byDay, days, entryPath, monthGrid, range, step } from "./model";
import type { View } from "./model";
import { NotificationSwitch } from "../reminders/NotificationSwitch";

const COLORS: Record<AgendaEntry["what"], string> = {
  activity: "blue",
  plan_stop: "purple",
  follow_up: "orange",
  service_due: "magenta",
  contract_end: "gold",
  payment_due: "green",
};

/// The calendar (日程, #/calendar?view=&date=): what is on each day of a day, a week (the
/// default, Monday to Sunday) or a month from `agenda` — visits and calls, visit plans' stops,
/// follow-ups, requests due, contracts ending and payments due — each leading to its record.
/// Supervisors and admins may see everyone's. Desktop reminders of today's entries are turned
/// on here (or on home), from a click.
export function Agenda() {
  const { crm, t, lang } = useCrm();
  const { isLead } = useRole();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const view: View = VIEWS.includes(params.get("view") as View) ? (params.get("view") as View) : "week";
  const today = localDate(0);
  const date = /^\d{4}-\d{2}-\d{2}$/.test(params.get("date") ?? "") ? (params.get("date") as string) : today;
  const all = isLead && params.get("whose") === "all";
  const { from, to } = range(view, date);
  const agenda = useData(() => crm.agenda(from, to, all), [from, to, all]);
  const go = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v === null) next.delete(k);
      else next.set(k, v);
    }
    setParams(next, { replace: true });
  };
  const entries = byDay(agenda.data?.entries ?? []);
  const title = view === "month" ? formatMonth(lang, date.slice(0, 7)) : view === "day" ? formatDate(lang, date) : `${formatDate(lang, from)} – ${formatDate(lang, to)}`;

  return (
    <div className="page agenda" data-testid="agenda" data-view={view} data-from={from} data-to={to}>
      <div className="page-head agenda-head">
        <h1>{t("nav.calendar")}</h1>
        <Segmented
          value={view}
          onChange={(v) => go({ view: String(v) })}
          options={VIEWS.map((v) => ({ value: v, label: <span data-testid={`agenda-view-${v}`}>{t(`agenda.${v}`)}</span> }))}
        />
        {isLead && (
          <Segmented
            value={all ? "all" : "mine"}
            onChange={(v) => go({ whose: v === "all" ? "all" : null })}
            options={[
              { value: "mine", label: <span data-testid="agenda-mine">{t("agenda.mine")}</span> },
              { value: "all", label: <span data-testid="agenda-all">{t("agenda.all")}</span> },
            ]}
          />
        )}
      </div>
      <div className="agenda-nav">
        <Button size="large" icon={<LeftOutlined />} aria-label={t("agenda.previous")} onClick={() => go({ date: step(view, date, -1) })} data-testid="agenda-prev" />
        <Button size="large" onClick={() => go({ date: null })} disabled={date === today} data-testid="agenda-today">
          {t("visit.today")}
        </Button>
        <Button size="large" icon={<RightOutlined />} aria-label={t("agenda.next")} onClick={() => go({ date: step(view, date, 1) })} data-testid="agenda-next" />
        <strong className="agenda-title" data-testid="agenda-title">
          {title}
        </strong>
      </div>
      {agenda.error && <Alert type="error" showIcon message={errorText(t, agenda.error)} />}
      {view === "month" ? (
        <MonthGrid date={date} today={today} entries={entries} open={(d) => go({ view: "day", date: d })} />
      ) : (
        <div className="agenda-days">
          {days(from, to).map((d) => (
            <section key={d} className={d === today ? "agenda-day today" : "agenda-day"} data-testid="agenda-day" data-date={d}>
              <h2>
                {dayjs(d).toDate().toLocaleDateString(lang, { weekday: "short" })} {formatDate(lang, d)}
                {d === today && <Tag color="blue">{t("visit.today")}</Tag>}
              </h2>
              {(entries.get(d) ?? []).length === 0 ? (
                <p className="muted small">{t("agenda.nothing")}</p>
              ) : (
                <ul>
                  {(entries.get(d) ?? []).map((e) => (
                    <EntryRow key={`${e.what}:${e.id}:${e.stop ?? ""}:${e.customer_id ?? ""}`} e={e} onOpen={() => navigate(entryPath(e))} />
                  ))}
                </ul>
              )}
            </section>
          ))}
        </div>
      )}
      <VisitPlans />
      <NotificationSwitch />
    </div>
  );
}

/// The person's visit plans (supervisors': everyone's they read), newest first, and a new one.
function VisitPlans() {
  const { crm, t, lang } = useCrm();
  const navigate = useNavigate();
  const plans = useData(() => crm.list("visit_plan", { sort: "updated_at", desc: true, limit: 50 }), []);
  const items = plans.data?.items ?? [];
  return (
    <section className="agenda-plans" data-testid="visit-plans">
      <div className="agenda-plans-head">
        <h2>{t("plan.list")}</h2>
        <Button size="large" icon={<PlusOutlined />} onClick={() => navigate("/calendar/plan/new")} data-testid="new-visit-plan">
          {t("plan.new")}
        </Button>
      </div>
      {items.length === 0 ? (
        <p className="muted small">{t("plan.none")}</p>
      ) : (
        <ul className="list">
          {items.map((p) => {
            const stops = Array.isArray(p.fields.stops) ? (p.fields.stops as { date?: string }[]) : [];
            const dates = stops.map((s) => s.date ?? "").filter(Boolean).sort();
            return (
              <li key={p.id} className="row" data-testid="visit-plan-row" data-id={p.id}>
                <Link to={`/calendar/plan/${p.id}`} className="row-main">
                  <strong>{String(p.fields.title ?? "")}</strong>
                  <span className="muted small">
                    {[t("plan.stop_count", { count: stops.length }), dates.length ? `${formatDate(lang, dates[0])}${dates.length > 1 && dates[dates.length - 1] !== dates[0] ? ` – ${formatDate(lang, dates[dates.length - 1])}` : ""}` : null]
                      .filter(Boolean)
                      .join(" · ")}
                  </span>
                </Link>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

/// One entry: what it is (a tag), its time, title and customer; done ones faded, overdue ones red.
function EntryRow({ e, onOpen }: { e: AgendaEntry; onOpen: () => void }) {
  const { t, lang } = useCrm();
  const kind = e.what === "activity" && e.activity_type ? t(`activity_type.${e.activity_type}`) : t(`agenda.what_${e.what}`);
  const time = e.at ? dayjs(e.at).format("HH:mm") : null;
  return (
    <li
      className={["agenda-entry", e.done ? "done" : "", e.overdue ? "overdue" : ""].join(" ").trim()}
      data-testid="agenda-entry"
      data-what={e.what}
      data-id={e.id}
      data-done={e.done}
      data-overdue={e.overdue}
    >
      <button type="button" onClick={onOpen}>
        <Tag color={e.overdue ? "red" : COLORS[e.what]}>{kind}</Tag>
        {time && <span className="agenda-time">{time}</span>}
        <span className="agenda-entry-title">{e.title || e.customer_name || kind}</span>
        {e.customer_name && e.title && e.customer_name !== e.title && <span className="muted small">{e.customer_name}</span>}
        {e.amount && <span className="small">{formatMoney(lang, e.amount)}</span>}
        {e.overdue && <span className="field-error">{t("agenda.overdue")}</span>}
      </button>
    </li>
  );
}

function MonthGrid({ date, today, entries, open }: { date: string; today: string; entries: Map<string, AgendaEntry[]>; open: (d: string) => void }) {
  const { t, lang } = useCrm();
  const month = date.slice(0, 7);
  const grid = monthGrid(date);
  return (
    <div className="agenda-month" data-testid="agenda-month">
      {grid.slice(0, 7).map((d) => (
        <div key={`h${d}`} className="agenda-weekday muted small">
          {dayjs(d).toDate().toLocaleDateString(lang, { weekday: "short" })}
        </div>
      ))}
      {grid.map((d) => {
        const list = entries.get(d) ?? [];
        const open_ = list.filter((e) => !e.done).length;
        return (
          <button
            type="button"
            key={d}
            className={["agenda-cell", d.slice(0, 7) === month ? "" : "other", d === today ? "today" : ""].join(" ").trim()}
            onClick={() => open(d)}
            aria-label={`${formatDate(lang, d)}: ${t("agenda.count", { count: list.length })}`}
            data-testid="agenda-cell"
            data-date={d}
            data-count={list.length}
          >
            <span className="agenda-cell-day">{Number(d.slice(8))}</span>
            {list.slice(0, 3).map((e, i) => (
              <span key={i} className={`agenda-cell-entry ${e.done ? "done" : ""} ${e.overdue ? "overdue" : ""}`}>
                <i className={`dot ${COLORS[e.what]}`} aria-hidden /> {e.title || e.customer_name}
              </span>
            ))}
            {list.length > 3 && <span className="agenda-cell-more muted small">+{list.length - 3}</span>}
            {list.length > 0 && (
              <span className={open_ > 0 ? "agenda-cell-count" : "agenda-cell-count done"}>{list.length}</span>
            )}
          </button>
        );
      })}
    </div>
  );
}
