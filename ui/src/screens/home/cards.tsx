// The cards a home is made of. Each takes whose records it covers (`owners`); a team home
// also passes `byOwner`, so everything is grouped under the person it belongs to.

import { CalendarOutlined, RightOutlined } from "@ant-design/icons";
import { Button, Card, Segmented, Tag } from "antd";
import dayjs from "dayjs";
import { useState } from "react";
import type { ReactNode } from "react";
import { Link, useNavigate } from "react-router-dom";
import type { Item, Owners } from "../../api";
import { formatDate, formatDateTime, formatMoney } from "../../i18n";
import { useCrm, useData, useRole, userName } from "../../state";
import { StateTag } from "../../components/RecordStatus";

/// Items grouped by owner (display name order), or one group when not grouping.
function useGroups<I>(items: I[], ownerOf: (i: I) => unknown, byOwner: boolean): { owner: string | null; items: I[] }[] {
  const { users, t } = useCrm();
  if (!byOwner) return [{ owner: null, items }];
  const groups = new Map<string, I[]>();
  for (const i of items) {
    const name = userName(users, ownerOf(i) as string) || t("home.unknown_owner");
    groups.set(name, [...(groups.get(name) ?? []), i]);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b, "zh-CN")).map(([owner, items]) => ({ owner, items }));
}

function Groups<I>({
  items,
  ownerOf,
  byOwner,
  row,
}: {
  items: I[];
  ownerOf: (i: I) => unknown;
  byOwner: boolean;
  row: (i: I) => ReactNode;
}) {
  const groups = useGroups(items, ownerOf, byOwner);
  return (
    <>
      {groups.map((g) => (
        <div key={g.owner ?? ""} className="owner-group" data-owner={g.owner ?? undefined}>
          {g.owner && (
            <h3 className="owner-head">
              {g.owner} <Tag>{g.items.length}</Tag>
            </h3>
          )}
          <ul className="list">{g.items.map(row)}</ul>
        </div>
      ))}
    </>
  );
}

function LogVisitButton({ customerId }: { customerId: string }) {
  const { t } = useCrm();
  const navigate = useNavigate();
  const { canWrite } = useRole();
  if (!canWrite) return null;
  return (
    <Button icon={<CalendarOutlined />} onClick={() => navigate(`/visit/${customerId}`)} data-testid="home-log-visit">
      {t("home.log_visit")}
    </Button>
  );
}

export function FollowUpsCard({ owners, byOwner = false }: { owners: Owners; byOwner?: boolean }) {
  const { crm, t, lang } = useCrm();
  const followUps = useData(() => crm.followUps(undefined, owners), [JSON.stringify(owners)]);
  const items = followUps.data ?? [];
  return (
    <Card title={t("home.follow_ups")} data-testid="home-follow-ups">
      {followUps.data?.length === 0 && <p className="muted">{t("home.follow_ups_none")}</p>}
      <Groups
        items={items}
        byOwner={byOwner}
        ownerOf={(f) => f.activity.fields.owner}
        row={(f) => (
          <li key={f.activity.id} className="row">
            <Link to={`/customers/${f.customer_id}`} className="row-main">
              <strong>{f.customer_name}</strong>
              <span className="muted">{String(f.activity.fields.subject ?? t(`activity_type.${f.activity.fields.type}`))}</span>
            </Link>
            <Tag color={f.overdue ? "red" : "blue"} data-testid="follow-up-due">
              {t(f.overdue ? "home.overdue" : "home.due", { date: formatDate(lang, f.due) })}
            </Tag>
            <LogVisitButton customerId={f.customer_id} />
          </li>
        )}
      />
    </Card>
  );
}

const DORMANT_DAYS = [30, 60, 90];

export function DormantCard({ owners, byOwner = false }: { owners: Owners; byOwner?: boolean }) {
  const { crm, t } = useCrm();
  const [days, setDays] = useDays();
  const dormant = useData(() => crm.dormant(days, owners, byOwner ? 50 : 10), [days, JSON.stringify(owners)]);
  return (
    <Card
      title={t("home.dormant")}
      data-testid="home-dormant"
      extra={
        <Segmented
          aria-label={t("home.dormant_days")}
          value={days}
          onChange={(v) => setDays(Number(v))}
          options={DORMANT_DAYS.map((d) => ({ value: d, label: t("home.days", { days: d }) }))}
          data-testid="dormant-days"
        />
      }
    >
      {dormant.data?.length === 0 && <p className="muted">{t("home.dormant_none", { days })}</p>}
      <Groups
        items={dormant.data ?? []}
        byOwner={byOwner}
        ownerOf={(d) => d.customer.fields.owner}
        row={(d) => (
          <li key={d.customer.id} className="row">
            <Link to={`/customers/${d.customer.id}`} className="row-main">
              <strong>{String(d.customer.fields.name)}</strong>
              <span className="muted">
                {d.days_quiet === null ? t("home.never_contacted") : t("home.days_quiet", { days: d.days_quiet })}
              </span>
            </Link>
            <LogVisitButton customerId={d.customer.id} />
          </li>
        )}
      />
    </Card>
  );
}

/// The dormant threshold, remembered on this device.
function useDays(): [number, (d: number) => void] {
  const key = "field-crm:dormant-days";
  const [days, setDays] = useState(() => {
    const saved = Number(globalThis.localStorage?.getItem(key));
    return DORMANT_DAYS.includes(saved) ? saved : 30;
  });
  return [
    days,
    (d) => {
      localStorage.setItem(key, String(d));
      setDays(d);
    },
  ];
}

const SHOWN_OPPORTUNITIES = 10;

export function OpportunitiesCard({ owners, byOwner = false, title }: { owners: Owners; byOwner?: boolean; title: string }) {
  const { crm, t, lang } = useCrm();
  const pipeline = useData(() => crm.pipeline(owners), [JSON.stringify(owners)]);
  const stages = (pipeline.data ?? []).filter((s) => s.stage !== "won" && s.stage !== "lost");
  const open = stages.flatMap((s) => s.cards);
  const total = stages.reduce((n, s) => n + s.count, 0);
  const shown = open.slice(0, byOwner ? SHOWN_OPPORTUNITIES * 5 : SHOWN_OPPORTUNITIES);
  return (
    <Card
      title={title}
      data-testid="home-opportunities"
      extra={
        total > shown.length && (
          <Link to="/pipeline" className="more-link" data-testid="opportunities-more">
            {t("home.opportunities_all", { count: total })} <RightOutlined />
          </Link>
        )
      }
    >
      {pipeline.data && open.length === 0 && <p className="muted">{t("home.opportunities_none")}</p>}
      <Groups
        items={shown}
        byOwner={byOwner}
        ownerOf={(c) => c.opportunity.fields.owner}
        row={(c) => (
          <li key={c.opportunity.id} className="row">
            <Link to={`/customers/${String(c.opportunity.fields.customer)}`} className="row-main">
              <strong>{String(c.opportunity.fields.title)}</strong>
              <span className="muted">{c.customer_name}</span>
            </Link>
            <Tag color="blue">{t(`stage.${c.opportunity.fields.stage}`)}</Tag>
            <StateTag
              kind="opportunity"
              state={typeof c.opportunity.fields.status === "string" ? c.opportunity.fields.status : "developing"}
              testId="opportunity-status"
            />
            <span className="money">{formatMoney(lang, c.opportunity.fields.amount as never)}</span>
          </li>
        )}
      />
    </Card>
  );
}

/// Today's visits across the team (today in this device's time zone), newest first, each with
/// its customer's name — one request.
export function TodaysVisitsCard() {
  const { crm, t, lang } = useCrm();
  const visits = useData(async () => {
    const day = dayjs().startOf("day");
    const page = await crm.list("activity", {
      filter: { type: "visit", time: { from: day.format(), to: day.add(1, "day").format() } },
      sort: "time",
      desc: true,
      limit: 200,
      names: true,
    });
    return page.items.map((a) => ({ activity: a, customer: a.names?.[String(a.fields.customer)] ?? "" }));
  }, []);
  return (
    <Card title={t("home.todays_visits")} data-testid="home-todays-visits">
      {visits.data?.length === 0 && <p className="muted">{t("home.todays_visits_none")}</p>}
      <Groups
        items={visits.data ?? []}
        byOwner
        ownerOf={(v: { activity: Item }) => v.activity.fields.owner}
        row={(v) => (
          <li key={v.activity.id} className="row" data-testid="todays-visit">
            <Link to={`/customers/${String(v.activity.fields.customer)}`} className="row-main">
              <strong>{v.customer}</strong>
              <span className="muted">
                {[
                  formatDateTime(lang, String(v.activity.fields.time)),
                  v.activity.names?.[String(v.activity.fields.contact ?? "")],
                  v.activity.fields.place,
                  v.activity.fields.subject,
                ]
                  .filter(Boolean)
                  .join(" · ")}
              </span>
            </Link>
          </li>
        )}
      />
    </Card>
  );
}
