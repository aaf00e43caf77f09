import { PlusOutlined, SearchOutlined } from "@ant-design/icons";
import { Button, Input, Select, Tabs } from "antd";
import { useEffect, useMemo, useState } from "react";
import type { ReactNode } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";
import type { ExportSource, Item, SearchHit } from "../../api";
import { dictLabel, formatDate, localDate } from "../../i18n";
import { useCrm, useRole } from "../../state";
import { filtersFromParams } from "../../customFields";
import { CustomFilters } from "../../components/CustomFilters";
import { CustomListValues } from "../../components/CustomValues";
import { ExportAction } from "../../components/ExportAction";
import { StateTag } from "../../components/RecordStatus";
import { RowMarks, useRowMarks } from "../../components/RowStatus";
import type { RowMark } from "../../components/RowStatus";
import { POOL_QUERY, PoolList } from "../pool/Pool";
import { usePagedList } from "../sales/SalesList";
import { FILTER_KEYS, FOLLOW_UP_WINDOWS, LEAD_STATES, leadQuery } from "./model";
import type { FilterKey, LeadFilters } from "./model";

/// Leads (线索): one's own by state, source, next follow-up and the custom fields offered as
/// filters, or found by search as typed;
/// and the lead pool (leads without an owner, claimed like pool customers).
export function Leads({ section }: { section: "mine" | "pool" }) {
  return section === "mine" ? <MyLeads /> : <LeadPool />;
}

/// The screen around a tab: its head — an admin's Export of what the tab shows, New lead — and
/// the tabs.
function LeadsFrame({ section, shown, children }: { section: "mine" | "pool"; shown: ExportSource; children: ReactNode }) {
  const { t } = useCrm();
  const { canWrite } = useRole();
  const navigate = useNavigate();
  return (
    <div className="page leads" data-testid="leads">
      <div className="page-head">
        <h1>{t("nav.leads")}</h1>
        <div className="actions">
          <ExportAction kind="lead" source={shown} />
          {canWrite && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate("/new/lead")} data-testid="new-lead">
              {t("leads.new")}
            </Button>
          )}
        </div>
      </div>
      <Tabs
        activeKey={section}
        onChange={(k) => navigate(k === "mine" ? "/leads" : "/leads/pool")}
        items={(["mine", "pool"] as const).map((s) => ({ key: s, label: <span data-testid={`leads-tab-${s}`}>{t(`leads.tab.${s}`)}</span> }))}
      />
      {children}
    </div>
  );
}

function LeadPool() {
  const { t } = useCrm();
  return (
    <LeadsFrame section="pool" shown={{ query: POOL_QUERY }}>
      <p className="muted">{t("leads.pool_hint")}</p>
      <PoolList
        kind="lead"
        texts={{ count: "leads.count", none: "leads.pool_none" }}
        to={(l) => `/leads/${l.id}`}
        subtitle={(l) => [l.fields.company, l.fields.title].filter(Boolean).join(" · ")}
      />
    </LeadsFrame>
  );
}

function MyLeads() {
  const { crm, t, lang, status, revision } = useCrm();
  const [params, setParams] = useSearchParams();
  const filters: LeadFilters = useMemo(
    () => ({ ...Object.fromEntries(FILTER_KEYS.filter((k) => params.get(k)).map((k) => [k, params.get(k)!])), custom: filtersFromParams(params) }),
    [params],
  );
  const setFilter = (key: FilterKey, value: string | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const today = localDate();
  const me = status?.identity.user_id ?? "";
  const query = useMemo(() => leadQuery(filters, me, today), [filters, me, today]);
  const list = usePagedList("lead", query);
  const marks = useRowMarks((list.items ?? []).map((r) => r.id));

  // Search as typed (a lead's name, company, phones or email, any part of them).
  const [text, setText] = useState("");
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  useEffect(() => {
    const q = text.trim();
    if (!q) return setHits(null);
    let live = true;
    const timer = setTimeout(() => crm.search(q, 50, ["lead"]).then((h) => live && setHits(h)), 120);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [crm, text, revision]);

  return (
    // What is shown: the search's leads, or the list under its filters.
    <LeadsFrame section="mine" shown={hits !== null ? { ids: hits.map((h) => h.id) } : { query }}>
      <Input
        className="search"
        size="large"
        allowClear
        prefix={<SearchOutlined />}
        placeholder={t("leads.search")}
        aria-label={t("leads.search")}
        value={text}
        onChange={(e) => setText(e.target.value)}
        data-testid="lead-search"
      />
      {hits !== null ? (
        <ul className="list results" data-testid="lead-hits">
          {hits.length === 0 && <li className="muted">{t("customers.no_results", { query: text })}</li>}
          {hits.map((h) => (
            <li key={h.id} className="row" data-testid="lead-hit">
              <Link className="row-main" to={`/leads/${h.id}`}>
                <strong>{h.title}</strong>
                <span className="muted">{h.subtitle}</span>
              </Link>
            </li>
          ))}
        </ul>
      ) : (
        <>
          <LeadFiltersPanel filters={filters} setFilter={setFilter} />
          <p className="muted small" data-testid="lead-count">
            {t("leads.count", { count: list.total.toLocaleString(lang) })}
          </p>
          <div className="results">
            {list.items?.length === 0 && <p className="muted">{t("leads.none")}</p>}
            <ul className="list" data-testid="lead-rows">
              {list.items?.map((l) => <LeadRow key={l.id} lead={l} today={today} mark={marks.get(l.id)} />)}
            </ul>
            {list.next && (
              <Button block type="link" loading={list.loadingMore} onClick={() => void list.more()} data-testid="lead-more">
                {t("service.more")}
              </Button>
            )}
          </div>
        </>
      )}
    </LeadsFrame>
  );
}

function LeadFiltersPanel({ filters, setFilter }: { filters: LeadFilters; setFilter: (key: FilterKey, value: string | undefined) => void }) {
  const { t, lang, dicts } = useCrm();
  const labelled = (label: string, value: string) => t("common.labelled", { label, value });
  const all = (label: string) => labelled(label, t("common.all"));
  const option = (value: string, label: string) => ({ value, label, "data-value": value });
  const select = (key: (typeof FILTER_KEYS)[number], label: string, options: { value: string; label: string }[]) => (
    <Select
      aria-label={label}
      allowClear
      value={filters[key]}
      onChange={(v?: string) => setFilter(key, v)}
      placeholder={all(label)}
      data-testid={`filter-${key}`}
      popupMatchSelectWidth={false}
      virtual={false}
      options={options}
    />
  );
  return (
    <div className="filters" aria-label={t("customers.filters")}>
      {select(
        "status",
        t("field.status"),
        LEAD_STATES.map((s) => option(s, labelled(t("field.status"), t(`state.lead.${s}`)))),
      )}
      {select(
        "source",
        t("field.source"),
        dicts
          .filter((d) => d.fields.dict === "customer_source" && d.fields.active !== false)
          .map((d) => option(String(d.fields.code), labelled(t("field.source"), dictLabel(lang, dicts, "customer_source", d.fields.code)))),
      )}
      {select(
        "next",
        t("field.next_follow_up"),
        FOLLOW_UP_WINDOWS.map((w) => option(w, labelled(t("field.next_follow_up"), t(`leads.next.${w}`)))),
      )}
      <CustomFilters kind="lead" chosen={filters.custom ?? {}} set={(name, v) => setFilter(name as FilterKey, v)} />
    </div>
  );
}

function LeadRow({ lead: l, today, mark }: { lead: Item; today: string; mark?: RowMark }) {
  const { t, lang } = useCrm();
  const next = typeof l.fields.next_follow_up === "string" ? l.fields.next_follow_up : "";
  const open = l.fields.status === "new" || l.fields.status === "following";
  return (
    <li className="row" data-testid="lead-row" data-id={l.id}>
      <Link className="row-main" to={`/leads/${l.id}`}>
        <strong>{String(l.fields.name ?? "")}</strong>
        <span className="muted">{[l.fields.company, l.fields.title].filter(Boolean).join(" · ")}</span>
        <CustomListValues kind="lead" fields={l.fields} />
      </Link>
      {next && open && (
        <span className={`small ${next < today ? "overdue" : "muted"}`}>{t("common.labelled", { label: t("field.next_follow_up"), value: formatDate(lang, next) })}</span>
      )}
      <StateTag kind="lead" state={String(l.fields.status ?? "new")} />
      <RowMarks mark={mark} />
    </li>
  );
}
