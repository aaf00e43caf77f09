// What a customer bought and owes, as the core's `purchase_history` says: money per currency
// (billed, collected, outstanding, payments not yet confirmed), per product the quantity
// bought, how often and the last price, and their documents. On the customer's page and beside
// an order or quote being written (where a product bought before is added in one tap).

import { PlusOutlined } from "@ant-design/icons";
import { Button, Tag } from "antd";
import { Link } from "react-router-dom";
import type { Balance, Bought, Item, PurchaseHistory } from "../../api";
import { formatDate, formatMoney } from "../../i18n";
import { useCrm } from "../../state";
import { StateTag } from "../../components/RecordStatus";
import { RowMarks } from "../../components/RowStatus";
import { docPath, moneyOf } from "./model";

/// Money per currency: billed, collected, outstanding and what is recorded but not confirmed.
export function Balances({ balances }: { balances: Balance[] }) {
  const { t, lang } = useCrm();
  if (balances.length === 0) return <p className="muted">{t("sales.no_balance")}</p>;
  const money = (minor: number, currency: string) => formatMoney(lang, { minor, currency });
  return (
    <div className="balances" data-testid="balances">
      {balances.map((b) => (
        <dl key={b.currency} className="fields" data-testid="balance" data-currency={b.currency}>
          {(["billed", "collected", "outstanding", "unconfirmed"] as const).map((k) => (
            <div key={k} className="field-row">
              <dt>{t(`sales.balance.${k}`)}</dt>
              <dd className="money" data-testid={`balance-${k}`} data-minor={b[k]}>
                {k === "outstanding" ? <strong>{money(b[k], b.currency)}</strong> : money(b[k], b.currency)}
              </dd>
            </div>
          ))}
        </dl>
      ))}
    </div>
  );
}

/// Per product what the customer bought, most recent first; `onAdd` adds a product's line to
/// the document being written.
export function BoughtList({ products, onAdd }: { products: Bought[]; onAdd?: (b: Bought) => void }) {
  const { t, lang } = useCrm();
  if (products.length === 0) return <p className="muted">{t("sales.bought_none")}</p>;
  return (
    <ul className="list" data-testid="bought">
      {products.map((b, i) => (
        <li key={`${b.product ?? b.name}-${i}`} className="row" data-testid="bought-row" data-product={b.product ?? ""}>
          <span className="row-main">
            <strong>{b.name}</strong>
            <span className="muted small">
              {[
                t("sales.bought_quantity", { quantity: [b.quantity, b.unit].filter((x) => x !== null && x !== "").join(" "), times: b.times }),
                t("sales.last_price", { price: formatMoney(lang, { minor: b.last_unit_price, currency: b.currency }) }),
                b.last_date ? formatDate(lang, b.last_date) : null,
              ]
                .filter(Boolean)
                .join(" · ")}
            </span>
          </span>
          {onAdd && b.product && (
            <Button icon={<PlusOutlined />} onClick={() => onAdd(b)} aria-label={t("sales.add_again", { name: b.name })} data-testid="bought-add">
              {t("sales.add_short")}
            </Button>
          )}
        </li>
      ))}
    </ul>
  );
}

/// A sales document, payment or invoice on a list: code or date, title, figures and state.
export function SalesRow({ item, showCustomer = false }: { item: Item & { awaiting?: { transition: string; at: string } }; showCustomer?: boolean }) {
  const { t, lang } = useCrm();
  const f = item.fields;
  const figure = moneyOf(f.total) ?? moneyOf(f.amount);
  const amount = figure?.minor ?? null;
  const money = figure ? formatMoney(lang, figure) : "";
  const title = item.kind === "payment" ? t("sales.payment_on", { date: formatDate(lang, String(f.received_on ?? "")) }) : String(f.code ?? f.number ?? t(`kind.${item.kind}`));
  const customer = showCustomer ? item.names?.[String(f.customer ?? "")] : null;
  const to = item.kind === "payment" || item.kind === "invoice" ? linkOf(item) : docPath(item.kind, item.id);
  const body = (
    <>
      <strong>
        {title} {f.title ? <span className="muted">{String(f.title)}</span> : null}
      </strong>
      <span className="muted small">{[t(`kind.${item.kind}`), customer].filter(Boolean).join(" · ")}</span>
    </>
  );
  return (
    <li className="row" data-testid="sales-row" data-kind={item.kind} data-id={item.id}>
      {to ? (
        <Link className="row-main" to={to}>
          {body}
        </Link>
      ) : (
        <span className="row-main">{body}</span>
      )}
      <span className="row-tags">
        <span className="money" data-testid="sales-row-amount" data-minor={amount ?? ""}>
          {money}
        </span>
        <StateTag kind={item.kind} state={typeof f.status === "string" ? f.status : null} testId="sales-row-status" />
        {item.awaiting && <RowMarks kind={item.kind} mark={{ awaiting: item.awaiting, refused: [] }} />}
      </span>
    </li>
  );
}

/// A payment or invoice opens the document it belongs to.
function linkOf(item: Item): string | null {
  const f = item.fields;
  if (typeof f.contract === "string" && f.contract) return docPath("contract", f.contract);
  if (typeof f.sales_order === "string" && f.sales_order) return docPath("order", f.sales_order);
  return null;
}

/// The customer's documents, what they bought and their money, in one place.
export function HistoryParts({ history }: { history: PurchaseHistory }) {
  const { t } = useCrm();
  const docs = [...history.quotes, ...history.documents].sort((a, b) => b.created_at.localeCompare(a.created_at));
  return (
    <>
      <h3 className="owner-head">{t("sales.money")}</h3>
      <Balances balances={history.balances} />
      <h3 className="owner-head section">{t("sales.bought")}</h3>
      <BoughtList products={history.products} />
      <h3 className="owner-head section">
        {t("sales.documents")} <Tag>{docs.length}</Tag>
      </h3>
      {docs.length === 0 && <p className="muted">{t("sales.no_documents")}</p>}
      <ul className="list" data-testid="customer-documents">
        {docs.map((d) => (
          <SalesRow key={d.id} item={d} />
        ))}
      </ul>
      {history.payments.length > 0 && (
        <>
          <h3 className="owner-head section">{t("sales.payments")}</h3>
          <ul className="list" data-testid="customer-payments">
            {history.payments.map((p) => (
              <SalesRow key={p.id} item={p} />
            ))}
          </ul>
        </>
      )}
      {history.invoices.length > 0 && (
        <>
          <h3 className="owner-head section">{t("sales.invoices")}</h3>
          <ul className="list">
            {history.invoices.map((p) => (
              <SalesRow key={p.id} item={p} />
            ))}
          </ul>
        </>
      )}
    </>
  );
}
