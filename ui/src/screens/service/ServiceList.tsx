import { FilterOutlined, PlusOutlined } from "@ant-design/icons";
import { Button, Checkbox, Select, Tag } from "antd";
import { useEffect, useMemo, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";
import type { Item } from "../../api";
import { dictLabel, formatDate, localDate } from "../../i18n";
import { useCrm, useRole, userName } from "../../state";
import { CustomListValues } from "../../components/CustomValues";
import { ExportAction } from "../../components/ExportAction";
import { StateTag } from "../../components/RecordStatus";
import { RowMarks, useRowMarks } from "../../components/RowStatus";
import type { RowMark } from "../../components/RowStatus";
import { customFilter, filtersFromParams } from "../../customFields";
import { CustomFilters } from "../../components/CustomFilters";
import { FILTER_KEYS, PRIORITIES, STATES, isOverdue, serviceQuery } from "./model";
import type { ServiceFilters } from "./model";

const PAGE = 100;

/// Every service request this device holds, filtered by state, assignee, type, priority and
/// "overdue"; the filters live in the address, so going back restores them.
export function ServiceList() {
  const { crm, t, lang, revision, status } = useCrm();
  const { canWrite } = useRole();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const filters: ServiceFilters = useMemo(
    () => Object.fromEntries(FILTER_KEYS.filter((k) => params.get(k)).map((k) => [k, params.get(k)!])),
    [params],
  );
  const custom = useMemo(() => filtersFromParams(params), [params]);
  const setFilter = (key: keyof ServiceFilters | `cf.${string}`, value: string | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const [showFilters, setShowFilters] = useState(() => window.innerWidth > 600);
  const [items, setItems] = useState<Item[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [total, setTotal] = useState(0);
  const [more, setMore] = useState(false);
  const me = status?.identity.user_id ?? "";
  const today = localDate();
  const query = useMemo(() => {
    const q = serviceQuery(filters, me, today, PAGE);
    return q && { ...q, filter: { ...q.filter, ...customFilter(custom) } };
  }, [filters, custom, me, today]);

  // The first page again whenever the filters or records change, as many rows as shown.
  useEffect(() => {
    if (!query) {
      setItems([]);
      setNext(null);
      setTotal(0);
      return;
    }
    let live = true;
    const limit = Math.min(500, Math.max(PAGE, items?.length ?? 0));
    crm.list("service_request", { ...query, limit }).then((page) => {
      if (!live) return;
      setItems(page.items);
      setNext(page.next);
      setTotal(page.total);
    });
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [crm, query, revision]);

  const loadMore = async () => {
    if (!query || !next) return;
    setMore(true);
    try {
      const page = await crm.list("service_request", { ...query, after: next });
      setItems((old) => [...(old ?? []), ...page.items]);
      setNext(page.next);
      setTotal(page.total);
    } finally {
      setMore(false);
    }
  };

  const active = FILTER_KEYS.filter((k) => k !== "sort" && filters[k]).length + Object.keys(custom).length;
  const marks = useRowMarks((items ?? []).map((r) => r.id));

  return (
    <div className="page service-list" data-testid="service-list">
      <div className="page-head">
        <h1>{t("service.title")}</h1>
        <div className="actions">
          {query && <ExportAction kind="service_request" source={{ query }} />}
          {canWrite && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate("/new/service_request")} data-testid="new-service">
              {t("service.new")}
            </Button>
          )}
        </div>
      </div>
      <Button
        className="filters-toggle"
        icon={<FilterOutlined />}
        aria-expanded={showFilters}
        onClick={() => setShowFilters(!showFilters)}
        data-testid="filters-toggle"
      >
        {t("customers.filters")}
        {active > 0 ? ` (${active})` : ""}
      </Button>
      {showFilters && (
        <ServiceFiltersPanel filters={filters} custom={custom} setFilter={setFilter} clear={() => setParams({}, { replace: true })} />
      )}
      <p className="muted small" data-testid="service-count">
        {t("service.count", { count: total.toLocaleString(lang) })}
      </p>
      <div className="results">
        {items?.length === 0 && <p className="muted">{t("service.none")}</p>}
        <ul className="list" data-testid="service-rows">
          {items?.map((r) => (
            <ServiceRow key={r.id} request={r} today={today} mark={marks.get(r.id)} />
          ))}
        </ul>
        {next && (
          <Button block type="link" loading={more} onClick={() => void loadMore()} data-testid="service-more">
            {t("service.more")}
          </Button>
        )}
      </div>
    </div>
  );
}

function ServiceFiltersPanel({
  filters,
  custom,
  setFilter,
  clear,
}: {
  filters: ServiceFilters;
  /// The custom fields chosen, by `cf.KEY`.
  custom: Record<string, string>;
  setFilter: (key: keyof ServiceFilters | `cf.${string}`, value: string | undefined) => void;
  clear: () => void;
}) {
  const { t, lang, dicts, users } = useCrm();
  const all = (label: string) => t("common.labelled", { label, value: t("common.all") });
  const labelled = (label: string, value: string) => t("common.labelled", { label, value });
  const option = (value: string, label: string) => ({ value, label, "data-value": value });
  const people = users.filter((u) => u.fields.role !== "viewer");
  const active = FILTER_KEYS.some((k) => k !== "sort" && filters[k]) || Object.keys(custom).length > 0;
  return (
    <div className="filters" aria-label={t("customers.filters")}>
      <Select
        aria-label={t("field.status")}
        allowClear
        value={filters.status}
        onChange={(v?: string) => setFilter("status", v)}
        placeholder={all(t("field.status"))}
        data-testid="filter-status"
        popupMatchSelectWidth={false}
        virtual={false}
        options={STATES.map((s) => option(s, labelled(t("field.status"), t(`state.service_request.${s}`))))}
      />
      <Select
        aria-label={t("field.assignee")}
        allowClear
        showSearch
        optionFilterProp="label"
        value={filters.assignee}
        onChange={(v?: string) => setFilter("assignee", v)}
        placeholder={all(t("field.assignee"))}
        data-testid="filter-assignee"
        popupMatchSelectWidth={false}
        virtual={false}
        options={[
          option("me", t("service.assignee_me")),
          option("none", t("service.unassigned")),
          ...people.map((u) => option(u.id, labelled(t("field.assignee"), String(u.fields.display_name ?? u.fields.username ?? u.id)))),
        ]}
      />
      <Select
        aria-label={t("field.type")}
        allowClear
        value={filters.type}
        onChange={(v?: string) => setFilter("type", v)}
        placeholder={all(t("field.type"))}
        data-testid="filter-type"
        popupMatchSelectWidth={false}
        virtual={false}
        options={dicts
          .filter((d) => d.fields.dict === "service_type" && d.fields.active !== false)
          .map((d) => option(String(d.fields.code), labelled(t("field.type"), dictLabel(lang, dicts, "service_type", d.fields.code))))}
      />
      <Select
        aria-label={t("field.priority")}
        allowClear
        value={filters.priority}
        onChange={(v?: string) => setFilter("priority", v)}
        placeholder={all(t("field.priority"))}
        data-testid="filter-priority"
        popupMatchSelectWidth={false}
        virtual={false}
        options={PRIORITIES.map((p) => option(p, labelled(t("field.priority"), t(`priority.${p}`))))}
      />
      <Checkbox
        className="check"
        checked={filters.overdue === "1"}
        onChange={(e) => setFilter("overdue", e.target.checked ? "1" : undefined)}
        data-testid="filter-overdue"
      >
        {t("service.overdue_only")}
      </Checkbox>
      <CustomFilters kind="service_request" chosen={custom} set={(name, v) => setFilter(name as `cf.${string}`, v)} />
      <Select
        aria-label={t("customers.sort")}
        value={filters.sort ?? "created"}
        onChange={(v: string) => setFilter("sort", v === "created" ? undefined : v)}
        data-testid="service-sort"
        popupMatchSelectWidth={false}
        options={[
          option("created", labelled(t("customers.sort"), t("service.sort_created"))),
          option("due", labelled(t("customers.sort"), t("service.sort_due"))),
        ]}
      />
      {active && (
        <Button type="link" onClick={clear}>
          {t("customers.clear")}
        </Button>
      )}
    </div>
  );
}

const PRIORITY_COLOR: Record<string, string | undefined> = { urgent: "red", high: "orange" };

/// One request: title, code, customer and assignee; state, priority, due date, and whether a
/// step taken here awaits the server or was refused, at the side.
export function ServiceRow({
  request: r,
  today,
  showCustomer = true,
  mark,
}: {
  request: Item;
  today: string;
  showCustomer?: boolean;
  mark?: RowMark;
}) {
  const { t, lang, users } = useCrm();
  const f = r.fields;
  const overdue = isOverdue(f, today);
  const customer = r.names?.[String(f.customer ?? "")];
  const assignee = userName(users, f.assignee, r.names);
  const priority = typeof f.priority === "string" ? f.priority : "normal";
  return (
    <li className="row" data-testid="service-row" data-id={r.id}>
      <Link className="row-main" to={`/service/${r.id}`}>
        <strong>{String(f.title ?? "")}</strong>
        <span className="muted">
          {[f.code, showCustomer ? customer : null, assignee ? t("common.labelled", { label: t("field.assignee"), value: assignee }) : null]
            .filter(Boolean)
            .join(" · ")}
        </span>
        <CustomListValues kind="service_request" fields={f} />
      </Link>
      <span className="row-tags">
        {priority !== "normal" && <Tag color={PRIORITY_COLOR[priority]}>{t(`priority.${priority}`)}</Tag>}
        <StateTag kind="service_request" state={String(f.status ?? "new")} />
        {typeof f.due === "string" && f.due && (
          <Tag color={overdue ? "red" : undefined} data-testid={overdue ? "service-overdue" : "service-due"}>
            {t(overdue ? "home.overdue" : "home.due", { date: formatDate(lang, f.due) })}
          </Tag>
        )}
        <RowMarks mark={mark} />
      </span>
    </li>
  );
}
