import { BulbOutlined, FallOutlined, FilterOutlined, ImportOutlined, InboxOutlined, NotificationOutlined, PlusOutlined, ReadOutlined, SearchOutlined } from "@ant-design/icons";
import { Button, Input, Tag } from "antd";
import dayjs from "dayjs";
import { Suspense, lazy, memo, useCallback, useEffect, useRef, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";
import type { Item, Json, ListQuery, SearchHit } from "../../api";
import { dictLabel } from "../../i18n";
import { useCrm, useCustomFields, useRole, userName } from "../../state";
import { CustomListValues } from "../../components/CustomValues";
import { ExportAction } from "../../components/ExportAction";
import { customFilter, filtersFromParams, listColumns } from "../../customFields";
import { FILTER_DICTS } from "./filterFields";

// The filter panel (selects, the entry-date range picker) loads after the list's first page:
// the list is what the screen is for, and the pickers are most of the weight.
const Filters = lazy(() => import("./Filters"));

const ROW_HEIGHT = 64;
/// With custom fields shown as columns a row has a third line for them.
const ROW_HEIGHT_CUSTOM = 84;
const PAGE = 100;
const FILTER_KEYS = [...FILTER_DICTS.map((d) => d.field), "owner", "tag", "from", "to"];

/// The list query for what is chosen. Entry dates are local calendar days: from the start of
/// `from` to the end of `to`, sent as RFC 3339 with this device's offset. Custom fields are
/// chosen as `cf.KEY`.
function toQuery(filters: Record<string, string>, sort: string, desc: boolean): ListQuery {
  const filter: Record<string, Json> = customFilter(filters);
  for (const { field } of FILTER_DICTS) if (filters[field]) filter[field] = filters[field];
  if (filters.owner) filter.owner = filters.owner;
  return {
    filter,
    tag: filters.tag || undefined,
    created_from: filters.from ? dayjs(filters.from).startOf("day").format() : undefined,
    created_to: filters.to ? dayjs(filters.to).add(1, "day").startOf("day").format() : undefined,
    sort,
    desc,
    limit: PAGE,
  };
}

export function CustomerList() {
  const { crm, t, lang, revision } = useCrm();
  const { canWrite } = useRole();
  const navigate = useNavigate();
  // Filters and sort live in the address, so going back to the list restores them.
  const [params, setParams] = useSearchParams();
  const [query, setQuery] = useState(params.get("q") ?? "");
  const [filters, setFilters] = useState<Record<string, string>>(() => ({
    ...Object.fromEntries(FILTER_KEYS.filter((k) => params.get(k)).map((k) => [k, params.get(k)!])),
    ...filtersFromParams(params),
  }));
  const [sort, setSort] = useState(params.get("sort") ?? "name");
  const [desc, setDesc] = useState(params.get("desc") === "1");
  const [items, setItems] = useState<Item[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [total, setTotal] = useState(0);
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  // The filter panel is drawn once the first page is on screen, so its pickers never hold the rows up.
  const [shown, setShown] = useState(false);
  const [showFilters, setShowFilters] = useState(() => window.innerWidth > 600);
  const loading = useRef(false);

  const listQuery = useCallback(() => toQuery(filters, sort, desc), [filters, sort, desc]);

  useEffect(() => {
    const p = new URLSearchParams();
    if (query) p.set("q", query);
    for (const [k, v] of Object.entries(filters)) if (v) p.set(k, v);
    if (sort !== "name") p.set("sort", sort);
    if (desc) p.set("desc", "1");
    setParams(p, { replace: true });
  }, [query, filters, sort, desc, setParams]);

  // The list: first page again whenever filters change or records change; the rows already
  // shown are replaced in place (same count as loaded so far) so scrolling is not lost.
  useEffect(() => {
    let live = true;
    const want = Math.max(PAGE, Math.min(items.length, 500));
    crm.list("customer", { ...listQuery(), limit: want }).then((page) => {
      if (!live) return;
      setItems(page.items);
      setNext(page.next);
      setTotal(page.total);
      requestAnimationFrame(() => setTimeout(() => setShown(true)));
    });
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [crm, listQuery, revision]);

  // Search as you type (customers and contacts, any substring, one Chinese character too).
  useEffect(() => {
    const q = query.trim();
    if (!q) {
      setHits(null);
      return;
    }
    let live = true;
    const timer = setTimeout(() => {
      crm.search(q, 50).then((h) => live && setHits(h));
    }, 120);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [crm, query, revision]);

  const loadMore = useCallback(() => {
    if (!next || loading.current) return;
    loading.current = true;
    crm
      .list("customer", { ...listQuery(), after: next })
      .then((page) => {
        setItems((old) => [...old, ...page.items]);
        setNext(page.next);
        setTotal(page.total);
      })
      .finally(() => (loading.current = false));
  }, [crm, listQuery, next]);

  const activeCount = Object.values(filters).filter(Boolean).length;

  return (
    <div className="page customers">
      <div className="page-head">
        <h1>{t("customers.title")}</h1>
        <div className="actions">
          {/* The pool, churn warnings, leads, campaigns and the knowledge base have no tab of their own on phones. */}
          <Button icon={<InboxOutlined />} onClick={() => navigate("/pool")} data-testid="pool-link">
            {t("pool.link")}
          </Button>
          <Button icon={<FallOutlined />} onClick={() => navigate("/churn")} data-testid="churn-link">
            {t("churn.link")}
          </Button>
          {canWrite && (
            <Button icon={<BulbOutlined />} onClick={() => navigate("/leads")} data-testid="leads-link">
              {t("nav.leads")}
            </Button>
          )}
          <Button icon={<NotificationOutlined />} onClick={() => navigate("/campaigns")} data-testid="campaigns-link">
            {t("nav.campaigns")}
          </Button>
          <Button icon={<ReadOutlined />} onClick={() => navigate("/knowledge")} data-testid="knowledge-link">
            {t("nav.knowledge")}
          </Button>
          {/* What is shown: the search's customers, or the list under its filters. */}
          <ExportAction
            kind="customer"
            source={hits !== null ? { ids: hits.filter((h) => h.kind === "customer").map((h) => h.id) } : { query: listQuery() }}
          />
          {canWrite && (
            <Button icon={<ImportOutlined />} onClick={() => navigate("/import")} data-testid="import-link">
              {t("import.link")}
            </Button>
          )}
          {canWrite && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate("/new/customer")} data-testid="new-customer">
              {t("customers.new")}
            </Button>
          )}
        </div>
      </div>
      <Input
        className="search"
        size="large"
        allowClear
        prefix={<SearchOutlined />}
        placeholder={t("customers.search")}
        aria-label={t("customers.search")}
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        data-testid="customer-search"
        autoFocus
      />
      {hits === null && (
        <Button
          className="filters-toggle"
          icon={<FilterOutlined />}
          aria-expanded={showFilters}
          onClick={() => setShowFilters(!showFilters)}
          data-testid="filters-toggle"
        >
          {t("customers.filters")}
          {activeCount > 0 ? ` (${activeCount})` : ""}
        </Button>
      )}
      {hits === null && showFilters && !shown && <div className="filters filters-loading" />}
      {hits === null && showFilters && shown && (
        <Suspense fallback={<div className="filters filters-loading" />}>
          <Filters filters={filters} setFilters={setFilters} sort={sort} setSort={setSort} desc={desc} setDesc={setDesc} />
        </Suspense>
      )}
      {hits !== null ? (
        <ul className="list results" data-testid="search-results">
          {hits.length === 0 && <li className="muted">{t("customers.no_results", { query })}</li>}
          {hits.map((h) => (
            <li key={h.id} className="row">
              <Link className="row-main" to={hitPath(h)}>
                <strong>{h.title}</strong>
                <span className="muted">
                  {h.kind === "contact" ? t("customers.contact_of", { customer: h.subtitle }) : h.subtitle}
                </span>
              </Link>
            </li>
          ))}
        </ul>
      ) : (
        <>
          <p className="muted small" data-testid="customer-count">
            {t("customers.count", { count: total.toLocaleString(lang) })}
          </p>
          <VirtualRows items={items} onNearEnd={loadMore} />
        </>
      )}
    </div>
  );
}

/// Where a search hit opens: its own page for a customer, lead, article or product, else its
/// customer's (a contact, a sales document).
function hitPath(h: SearchHit): string {
  if (h.kind === "lead") return `/leads/${h.id}`;
  if (h.kind === "article") return `/knowledge/${h.id}`;
  if (h.kind === "product") return "/products";
  return `/customers/${h.kind === "customer" ? h.id : h.customer_id}`;
}

/// The list renders only the rows in view (and ten above and below). Scrolling re-renders
/// this part alone, not the search and filters above it.
function VirtualRows({ items, onNearEnd }: { items: Item[]; onNearEnd: () => void }) {
  const rowHeight = listColumns(useCustomFields("customer")).length > 0 ? ROW_HEIGHT_CUSTOM : ROW_HEIGHT;
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  const scroller = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const measure = () => setHeight(el.clientHeight || 600);
    measure();
    const ro = typeof ResizeObserver !== "undefined" ? new ResizeObserver(measure) : null;
    ro?.observe(el);
    return () => ro?.disconnect();
  }, []);

  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - 10);
  const last = Math.min(items.length, Math.ceil((scrollTop + height) / rowHeight) + 10);
  useEffect(() => {
    if (last >= items.length - 20) onNearEnd();
  }, [last, items.length, onNearEnd]);

  return (
    <div
      className="virtual"
      ref={scroller}
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
      data-testid="customer-list"
      role="list"
    >
      <div style={{ height: items.length * rowHeight, position: "relative" }}>
        {items.slice(first, last).map((c, i) => (
          <CustomerRow key={c.id} customer={c} top={(first + i) * rowHeight} height={rowHeight} />
        ))}
      </div>
    </div>
  );
}

const CustomerRow = memo(function CustomerRow({ customer: c, top, height }: { customer: Item; top: number; height: number }) {
  const { t, lang, dicts, users } = useCrm();
  return (
    // A plain anchor (the hash route) rather than a router Link: rows mount while scrolling.
    <a role="listitem" className="vrow" href={`#/customers/${c.id}`} style={{ top, height }}>
      <span className="row-main">
        <strong>{String(c.fields.name)}</strong>
        <span className="muted">
          {[c.fields.code, dictLabel(lang, dicts, "region", c.fields.region), userName(users, c.fields.owner)]
            .filter(Boolean)
            .join(" · ")}
        </span>
        <CustomListValues kind="customer" fields={c.fields} />
      </span>
      {c.has_conflicts && <Tag color="orange">{t("customers.conflict")}</Tag>}
      {c.fields.grade ? <span className="grade">{String(c.fields.grade)}</span> : null}
    </a>
  );
});
