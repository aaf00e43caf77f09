import { PlusOutlined, PushpinFilled, SearchOutlined } from "@ant-design/icons";
import { Button, Input, Select, Tag } from "antd";
import { useEffect, useMemo, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";
import type { Json, ListQuery, SearchHit } from "../../api";
import { dictLabel } from "../../i18n";
import { useCrm, useRole } from "../../state";
import { usePagedList } from "../sales/SalesList";

/// The knowledge base (知识库), for everyone: articles pinned first, by category (kept in the
/// address), or found by any part of their title or body as typed (`search`). Supervisors and
/// admins write them.
export function Knowledge() {
  const { crm, t, lang, dicts, revision } = useCrm();
  const { isLead } = useRole();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const category = params.get("category") ?? undefined;
  const query = useMemo((): ListQuery => ({ filter: category ? { category } : {}, sort: "title", limit: 200 }), [category]);
  const list = usePagedList("article", query);
  // Pinned first, each group in the list's order.
  const articles = useMemo(() => {
    const items = list.items ?? [];
    return [...items.filter((a) => a.fields.pinned === true), ...items.filter((a) => a.fields.pinned !== true)];
  }, [list.items]);

  const [text, setText] = useState("");
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  useEffect(() => {
    const q = text.trim();
    if (!q) return setHits(null);
    let live = true;
    const timer = setTimeout(() => crm.search(q, 50, ["article"]).then((h) => live && setHits(h)), 120);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [crm, text, revision]);
  // An article's hit carries its category code as the subtitle.
  const shownHits = hits && (category ? hits.filter((h) => h.subtitle === category) : hits);
  const categoryOf = (code: Json | undefined) => (code ? dictLabel(lang, dicts, "article_category", code) : "");

  return (
    <div className="page knowledge" data-testid="knowledge">
      <div className="page-head">
        <h1>{t("nav.knowledge")}</h1>
        <div className="actions">
          {isLead && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate("/new/article")} data-testid="new-article">
              {t("knowledge.new")}
            </Button>
          )}
        </div>
      </div>
      <Input
        className="search"
        size="large"
        allowClear
        prefix={<SearchOutlined />}
        placeholder={t("knowledge.search")}
        aria-label={t("knowledge.search")}
        value={text}
        onChange={(e) => setText(e.target.value)}
        data-testid="article-search"
      />
      <div className="filters">
        <Select
          aria-label={t("field.category")}
          allowClear
          value={category}
          onChange={(v?: string) => setParams(v ? { category: v } : {}, { replace: true })}
          placeholder={t("common.labelled", { label: t("field.category"), value: t("common.all") })}
          data-testid="filter-category"
          popupMatchSelectWidth={false}
          virtual={false}
          options={dicts
            .filter((d) => d.fields.dict === "article_category" && d.fields.active !== false)
            .map((d) => ({ value: String(d.fields.code), label: categoryOf(d.fields.code), "data-value": String(d.fields.code) }))}
        />
      </div>
      <div className="results">
        {shownHits ? (
          <ul className="list" data-testid="article-hits">
            {shownHits.length === 0 && <li className="muted">{t("customers.no_results", { query: text })}</li>}
            {shownHits.map((h) => (
              <li key={h.id} className="row" data-testid="article-hit">
                <Link className="row-main" to={`/knowledge/${h.id}`}>
                  <strong>{h.title}</strong>
                  <span className="muted">{categoryOf(h.subtitle)}</span>
                </Link>
              </li>
            ))}
          </ul>
        ) : (
          <>
            {list.items?.length === 0 && <p className="muted">{t("knowledge.none")}</p>}
            <ul className="list" data-testid="article-rows">
              {articles.map((a) => (
                <li key={a.id} className="row" data-testid="article-row" data-id={a.id}>
                  <Link className="row-main" to={`/knowledge/${a.id}`}>
                    <strong>
                      {a.fields.pinned === true && <PushpinFilled aria-label={t("field.pinned")} className="pin" />} {String(a.fields.title ?? "")}
                    </strong>
                    <span className="muted">{categoryOf(a.fields.category)}</span>
                  </Link>
                  {Array.isArray(a.fields.tags) && a.fields.tags.map((x) => <Tag key={String(x)}>{String(x)}</Tag>)}
                </li>
              ))}
            </ul>
            {list.next && (
              <Button block type="link" loading={list.loadingMore} onClick={() => void list.more()} data-testid="article-more">
                {t("service.more")}
              </Button>
            )}
          </>
        )}
      </div>
    </div>
  );
}
