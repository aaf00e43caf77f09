// Quotes, contracts and orders (one tab each, `#/sales/<kind>`), newest first, filtered by state
// and by whose they are; the state filter lives in the address (`?status=`), so going back keeps
// it. New quotes and orders start here or on a customer's page.

import { AccountBookOutlined, AppstoreOutlined, CheckSquareOutlined, PlusOutlined } from "@ant-design/icons";
import { Button, Segmented, Select, Tabs } from "antd";
import { useEffect, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";
import type { Item, ListQuery } from "../../api";
import { useCrm, useRole } from "../../state";
import { SalesRow } from "./PurchaseHistory";
import { DOC_KINDS, STATES } from "./model";
import type { DocKind } from "./model";

const PAGE = 50;

export function SalesList({ kind }: { kind: DocKind }) {
  const { t, lang } = useCrm();
  const { canWrite, isLead, isFinance } = useRole();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const status = params.get("status") ?? undefined;
  const mine = params.get("whose") === "mine";
  const filter = (key: string, value: string | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const { status: app } = useCrm();
  const me = app?.identity.user_id ?? "";
  const query: ListQuery = {
    filter: { ...(status ? { status } : {}), ...(mine ? { owner: me } : {}) },
    sort: "created_at",
    desc: true,
    limit: PAGE,
    names: true,
  };
  const list = usePagedList(kind, query);
  return (
    <div className="page sales-list" data-testid="sales-list" data-kind={kind}>
      <div className="page-head">
        <h1>{t("sales.title")}</h1>
        <div className="actions">
          {isLead && (
            <Link to="/approvals" className="more-link" data-testid="to-approvals">
              <CheckSquareOutlined /> {t("nav.approvals")}
            </Link>
          )}
          {(isLead || isFinance) && (
            <Link to="/finance/receivables" className="more-link" data-testid="to-receivables">
              <AccountBookOutlined /> {t("nav.receivables")}
            </Link>
          )}
          <Link to="/products" className="more-link" data-testid="to-products">
            <AppstoreOutlined /> {t("nav.products")}
          </Link>
          {canWrite && kind !== "contract" && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate(`/sales/${kind}/new`)} data-testid="new-doc">
              {t(`sales.new.${kind}`)}
            </Button>
          )}
        </div>
      </div>
      <Tabs
        activeKey={kind}
        onChange={(k) => navigate(`/sales/${k}`)}
        items={DOC_KINDS.map((k) => ({ key: k, label: <span data-testid={`sales-tab-${k}`}>{t(`sales.tab.${k}`)}</span> }))}
      />
      <div className="filters">
        <Select
          aria-label={t("field.status")}
          allowClear
          value={status}
          onChange={(v?: string) => filter("status", v)}
          placeholder={t("common.labelled", { label: t("field.status"), value: t("common.all") })}
          popupMatchSelectWidth={false}
          virtual={false}
          data-testid="sales-filter-status"
          options={STATES[kind].map((s) => ({ value: s, label: t(`state.${kind}.${s}`), "data-value": s }))}
        />
        {canWrite && (
          <Segmented
            value={mine ? "mine" : "all"}
            onChange={(v) => filter("whose", v === "mine" ? "mine" : undefined)}
            options={[
              { value: "all", label: t("pipeline.everyone") },
              { value: "mine", label: t("pipeline.mine") },
            ]}
            data-testid="sales-whose"
          />
        )}
      </div>
      <p className="muted small" data-testid="sales-count">
        {t("sales.count", { count: list.total.toLocaleString(lang) })}
      </p>
      <div className="results">
        {list.items?.length === 0 && <p className="muted">{t("sales.none")}</p>}
        <ul className="list" data-testid="sales-rows">
          {list.items?.map((d) => (
            <SalesRow key={d.id} item={d} showCustomer />
          ))}
        </ul>
        {list.next && (
          <Button block type="link" loading={list.loadingMore} onClick={() => void list.more()} data-testid="sales-more">
            {t("service.more")}
          </Button>
        )}
      </div>
    </div>
  );
}

/// A list's first page again whenever the query or records change (as many rows as shown),
/// and the next pages on demand.
export function usePagedList(kind: string, query: ListQuery) {
  const { crm, revision } = useCrm();
  const [items, setItems] = useState<Item[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [total, setTotal] = useState(0);
  const [loadingMore, setLoadingMore] = useState(false);
  const key = JSON.stringify([kind, query]);
  useEffect(() => {
    let live = true;
    const limit = Math.min(500, Math.max(query.limit ?? 50, items?.length ?? 0));
    crm.list(kind, { ...query, limit }).then(
      (page) => {
        if (!live) return;
        setItems(page.items);
        setNext(page.next);
        setTotal(page.total);
      },
      () => live && setItems([]),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [crm, key, revision]);
  const more = async () => {
    if (!next) return;
    setLoadingMore(true);
    try {
      const page = await crm.list(kind, { ...query, after: next });
      setItems((old) => [...(old ?? []), ...page.items]);
      setNext(page.next);
      setTotal(page.total);
    } finally {
      setLoadingMore(false);
    }
  };
  return { items, next, total, loadingMore, more };
}
