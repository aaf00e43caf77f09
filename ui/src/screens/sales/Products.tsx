// The product catalogue (`#/products`): found by code, name or specification as typed, by
// category, by status and by the custom fields offered as filters; each with its list price,
// tax rate, the stock the core holds for it and its custom values (a product has no page of
// its own, so its row shows them all). Admins add products and change them.

import { EditOutlined, PlusOutlined, SearchOutlined } from "@ant-design/icons";
import { Button, Input, Select, Tag } from "antd";
import { useMemo, useState } from "react";
import type { Item } from "../../api";
import { dictLabel, formatMoney } from "../../i18n";
import { customFilter } from "../../customFields";
import { useCrm, useData, useRole } from "../../state";
import { CustomFilters } from "../../components/CustomFilters";
import { CustomListValues } from "../../components/CustomValues";
import { PriceLists } from "./PriceLists";
import { ProductDialog } from "./ProductDialog";
import { formatRate, moneyOf } from "./model";
import { matchesProduct, useProducts } from "./useProducts";

/// Rows shown at once; more on demand.
const SHOWN = 50;

export function Products() {
  const { t, lang, dicts } = useCrm();
  const { role } = useRole();
  const admin = role === "admin";
  // The custom filters chosen, by `cf.KEY`; the core keeps the products that match.
  const [custom, setCustom] = useState<Record<string, string>>({});
  const products = useProducts(customFilter(custom));
  const [query, setQuery] = useState("");
  const [category, setCategory] = useState<string | undefined>(undefined);
  const [status, setStatus] = useState<string | undefined>(undefined);
  const [shown, setShown] = useState(SHOWN);
  const [editing, setEditing] = useState<Item | "new" | null>(null);
  const found = useMemo(
    () =>
      (products ?? []).filter(
        (p) => matchesProduct(p, query) && (!category || p.fields.category === category) && (!status || (p.fields.status ?? "on_sale") === status),
      ),
    [products, query, category, status],
  );
  const option = (value: string, label: string) => ({ value, label, "data-value": value });
  return (
    <div className="page products" data-testid="products">
      <div className="page-head">
        <h1>{t("nav.products")}</h1>
        {admin && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing("new")} data-testid="new-product">
            {t("sales.new_product")}
          </Button>
        )}
      </div>
      <Input
        className="search"
        allowClear
        prefix={<SearchOutlined />}
        placeholder={t("sales.product_search")}
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          setShown(SHOWN);
        }}
        data-testid="product-search"
      />
      <div className="filters">
        <Select
          aria-label={t("field.category")}
          allowClear
          value={category}
          onChange={setCategory}
          placeholder={t("common.labelled", { label: t("field.category"), value: t("common.all") })}
          popupMatchSelectWidth={false}
          virtual={false}
          data-testid="product-category"
          options={dicts.filter((d) => d.fields.dict === "product_category").map((d) => option(String(d.fields.code), dictLabel(lang, dicts, "product_category", d.fields.code)))}
        />
        <Select
          aria-label={t("field.status")}
          allowClear
          value={status}
          onChange={setStatus}
          placeholder={t("common.labelled", { label: t("field.status"), value: t("common.all") })}
          popupMatchSelectWidth={false}
          virtual={false}
          data-testid="product-status"
          options={["on_sale", "discontinued"].map((s) => option(s, t(`sales.product_status.${s}`)))}
        />
        <CustomFilters
          kind="product"
          chosen={custom}
          set={(name, v) => {
            setCustom((c) => ({ ...c, [name]: v ?? "" }));
            setShown(SHOWN);
          }}
        />
      </div>
      <p className="muted small" data-testid="product-count">
        {t("sales.product_count", { count: found.length.toLocaleString(lang) })}
      </p>
      <div className="results">
        {products && found.length === 0 && <p className="muted">{t("sales.products_none")}</p>}
        {!products && <p className="muted">{t("common.loading")}</p>}
        <ul className="list" data-testid="product-rows">
          {found.slice(0, shown).map((p) => (
            <ProductRow key={p.id} product={p} onEdit={admin ? () => setEditing(p) : undefined} />
          ))}
        </ul>
        {found.length > shown && (
          <Button block type="link" onClick={() => setShown((n) => n + SHOWN)} data-testid="products-more">
            {t("service.more")}
          </Button>
        )}
      </div>
      {admin && <PriceLists />}
      {editing && <ProductDialog product={editing === "new" ? null : editing} onClose={() => setEditing(null)} />}
    </div>
  );
}

/// One product: code, name, specification, category, custom values; list price, tax rate and
/// stock.
function ProductRow({ product: p, onEdit }: { product: Item; onEdit?: () => void }) {
  const { crm, t, lang, dicts } = useCrm();
  const f = p.fields;
  // The stock snapshot over every warehouse, as the core sums it.
  const price = useData(() => crm.price(p.id), [p.id]);
  const list = moneyOf(f.list_price);
  const stock = price.data?.stock;
  const discontinued = f.status === "discontinued";
  return (
    <li className="row" data-testid="product-row" data-id={p.id} data-code={String(f.code ?? "")}>
      <span className="row-main">
        <strong>
          {String(f.name ?? "")} <span className="muted">{String(f.code ?? "")}</span>
        </strong>
        <span className="muted small">{[f.spec, f.unit, dictLabel(lang, dicts, "product_category", f.category)].filter(Boolean).join(" · ")}</span>
        <CustomListValues kind="product" fields={f} all />
      </span>
      <span className="row-tags">
        <span className="money" data-testid="product-price" data-minor={list?.minor ?? ""}>
          {list ? formatMoney(lang, list) : ""}
        </span>
        <Tag>{t("sales.tax_short", { rate: formatRate(typeof f.tax_rate === "number" ? f.tax_rate : null) })}</Tag>
        {stock !== undefined && (
          <Tag color={stock === null ? undefined : "blue"} data-testid="product-stock" data-stock={stock ?? ""}>
            {stock === null ? t("sales.stock_unknown") : t("sales.stock", { stock, unit: String(f.unit ?? "") })}
          </Tag>
        )}
        {discontinued && <Tag color="red">{t("sales.product_status.discontinued")}</Tag>}
        {onEdit && (
          <Button icon={<EditOutlined />} onClick={onEdit} aria-label={t("common.edit")} title={t("common.edit")} data-testid="edit-product" />
        )}
      </span>
    </li>
  );
}
