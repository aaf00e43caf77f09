import { useCallback, useEffect, useRef, useState } from "react";
import type { Item, Json, ListQuery, SearchHit } from "../api";
import { dictLabel } from "../i18n";
import { navigate, useCrm, userName } from "../state";

const ROW_HEIGHT = 64;
const PAGE = 100;
const FILTER_DICTS: { field: string; dict: string }[] = [
  { field: "grade", dict: "customer_grade" },
  { field: "status", dict: "customer_status" },
  { field: "region", dict: "region" },
  { field: "industry", dict: "industry" },
];
const SORTS = ["name", "created_at", "updated_at", "code", "grade"];

/// Filters and sort live in the address, so going back to the list restores them.
function readParams(): URLSearchParams {
  const q = location.hash.split("?")[1] ?? "";
  return new URLSearchParams(q);
}

export function Customers() {
  const { crm, t, lang, dicts, users, revision } = useCrm();
  const initial = readParams();
  const [query, setQuery] = useState(initial.get("q") ?? "");
  const [filters, setFilters] = useState<Record<string, string>>(() => {
    const f: Record<string, string> = {};
    for (const k of [...FILTER_DICTS.map((d) => d.field), "owner", "tag"]) if (initial.get(k)) f[k] = initial.get(k)!;
    return f;
  });
  const [sort, setSort] = useState(initial.get("sort") ?? "name");
  const [desc, setDesc] = useState(initial.get("desc") === "1");
  const [items, setItems] = useState<Item[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [total, setTotal] = useState(0);
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  const [showFilters, setShowFilters] = useState(() => window.innerWidth > 600);
  const loading = useRef(false);
  const scroller = useRef<HTMLDivElement>(null);

  const listQuery = useCallback((): ListQuery => {
    const filter: Record<string, Json> = {};
    for (const { field } of FILTER_DICTS) if (filters[field]) filter[field] = filters[field];
    if (filters.owner) filter.owner = filters.owner;
    return { filter, tag: filters.tag || undefined, sort, desc, limit: PAGE };
  }, [filters, sort, desc]);

  // Keep the address in step with what is shown.
  useEffect(() => {
    const p = new URLSearchParams();
    if (query) p.set("q", query);
    for (const [k, v] of Object.entries(filters)) if (v) p.set(k, v);
    if (sort !== "name") p.set("sort", sort);
    if (desc) p.set("desc", "1");
    const s = p.toString();
    history.replaceState(null, "", `#/customers${s ? `?${s}` : ""}`);
  }, [query, filters, sort, desc]);

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

  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const measure = () => setHeight(el.clientHeight || 600);
    measure();
    const ro = typeof ResizeObserver !== "undefined" ? new ResizeObserver(measure) : null;
    ro?.observe(el);
    return () => ro?.disconnect();
  }, [hits]);

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

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - 10);
  const last = Math.min(items.length, Math.ceil((scrollTop + height) / ROW_HEIGHT) + 10);
  useEffect(() => {
    if (last >= items.length - 20) loadMore();
  }, [last, items.length, loadMore]);

  const setFilter = (k: string, v: string) => setFilters((f) => ({ ...f, [k]: v }));
  const active = Object.values(filters).some(Boolean);
  const owners = users.filter((u) => u.fields.role !== "viewer");

  return (
    <div className="page customers">
      <div className="page-head">
        <h1>{t("customers.title")}</h1>
        <button className="primary" onClick={() => navigate("new/customer")} data-testid="new-customer">
          + {t("customers.new")}
        </button>
      </div>
      <input
        className="search"
        type="search"
        placeholder={t("customers.search")}
        aria-label={t("customers.search")}
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        data-testid="customer-search"
        autoFocus
      />
      {hits === null && (
        <button
          className="filters-toggle"
          aria-expanded={showFilters}
          onClick={() => setShowFilters(!showFilters)}
          data-testid="filters-toggle"
        >
          {t("customers.filters")}
          {active ? ` (${Object.values(filters).filter(Boolean).length})` : ""} {showFilters ? "▴" : "▾"}
        </button>
      )}
      {hits === null && showFilters && (
        <div className="filters" aria-label={t("customers.filters")}>
          {FILTER_DICTS.map(({ field, dict }) => (
            <select
              key={field}
              aria-label={t(`field.${field}`)}
              value={filters[field] ?? ""}
              onChange={(e) => setFilter(field, e.target.value)}
              data-testid={`filter-${field}`}
            >
              <option value="">
                {t(`field.${field}`)}: {t("common.all")}
              </option>
              {dicts
                .filter((d) => d.fields.dict === dict && d.fields.active !== false)
                .map((d) => (
                  <option key={d.id} value={String(d.fields.code)}>
                    {dictLabel(lang, dicts, dict, d.fields.code)}
                  </option>
                ))}
            </select>
          ))}
          {owners.length > 1 && (
            <select
              aria-label={t("field.owner")}
              value={filters.owner ?? ""}
              onChange={(e) => setFilter("owner", e.target.value)}
            >
              <option value="">
                {t("field.owner")}: {t("common.all")}
              </option>
              {owners.map((u) => (
                <option key={u.id} value={u.id}>
                  {String(u.fields.display_name)}
                </option>
              ))}
            </select>
          )}
          <input
            className="tag-filter"
            placeholder={t("customers.tag")}
            aria-label={t("customers.tag")}
            value={filters.tag ?? ""}
            onChange={(e) => setFilter("tag", e.target.value)}
          />
          <select aria-label={t("customers.sort")} value={sort} onChange={(e) => setSort(e.target.value)} data-testid="sort">
            {SORTS.map((s) => (
              <option key={s} value={s}>
                {t("customers.sort")}: {t(`sort.${s}`)}
              </option>
            ))}
          </select>
          <label className="check">
            <input type="checkbox" checked={desc} onChange={(e) => setDesc(e.target.checked)} />
            {t("customers.desc")}
          </label>
          {active && (
            <button className="link" onClick={() => setFilters({})}>
              {t("customers.clear")}
            </button>
          )}
        </div>
      )}

      {hits !== null ? (
        <ul className="list results" data-testid="search-results">
          {hits.length === 0 && <li className="muted">{t("customers.no_results", { query })}</li>}
          {hits.map((h) => (
            <li key={h.id} className="row">
              <a className="row-main" href={`#/customers/${h.kind === "customer" ? h.id : h.customer_id}`}>
                <strong>{h.title}</strong>
                <span className="muted">
                  {h.kind === "contact" ? t("customers.contact_of", { customer: h.subtitle }) : h.subtitle}
                </span>
              </a>
            </li>
          ))}
        </ul>
      ) : (
        <>
          <p className="muted small" data-testid="customer-count">
            {t("customers.count", { count: total.toLocaleString(lang) })}
          </p>
          <div
            className="virtual"
            ref={scroller}
            onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
            data-testid="customer-list"
            role="list"
          >
            <div style={{ height: items.length * ROW_HEIGHT, position: "relative" }}>
              {items.slice(first, last).map((c, i) => (
                <a
                  key={c.id}
                  role="listitem"
                  className="vrow"
                  href={`#/customers/${c.id}`}
                  style={{ top: (first + i) * ROW_HEIGHT, height: ROW_HEIGHT }}
                >
                  <span className="row-main">
                    <strong>{String(c.fields.name)}</strong>
                    <span className="muted">
                      {[c.fields.code, dictLabel(lang, dicts, "region", c.fields.region), userName(users, c.fields.owner)]
                        .filter(Boolean)
                        .join(" · ")}
                    </span>
                  </span>
                  {c.has_conflicts && <span className="pill pill-warn">{t("customers.conflict")}</span>}
                  {c.fields.grade ? <span className="grade">{String(c.fields.grade)}</span> : null}
                </a>
              ))}
            </div>
          </div>
        </>
      )}
    </div>
  );
}
