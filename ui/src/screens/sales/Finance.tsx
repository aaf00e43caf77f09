// Money owed and coming in (`#/finance/<receivables|payments|invoices>`): per customer what is
// outstanding and overdue since which due date (the core's `receivables`); for finance, the
// payments salespeople recorded that wait to be confirmed, and the invoices asked for that wait
// to be issued — each confirmed, rejected or issued on its row.

import { Card, Select, Table, Tabs } from "antd";
import type { TableColumnsType } from "antd";
import type { HTMLAttributes } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";
import type { Receivable } from "../../api";
import { errorText } from "../../errors";
import { formatDate, formatMoney, localDate } from "../../i18n";
import { useCrm, useData, useRole } from "../../state";
import { useIsNarrow } from "../../components/useIsPhone";
import { useRowMarks } from "../../components/RowStatus";
import { InvoiceRow, PaymentRow } from "./MoneyRows";
import { usePagedList } from "./SalesList";
import { STATES } from "./model";

export const FINANCE_SECTIONS = ["receivables", "payments", "invoices"] as const;
export type FinanceSection = (typeof FINANCE_SECTIONS)[number];

export function Finance({ section }: { section: FinanceSection }) {
  const { t } = useCrm();
  const { isFinance } = useRole();
  const navigate = useNavigate();
  // Confirming payments and issuing invoices is finance's; others see what is owed.
  const sections = isFinance ? FINANCE_SECTIONS : (["receivables"] as const);
  return (
    <div className="page finance" data-testid={`finance-${section}`}>
      <h1>{t("nav.finance")}</h1>
      {sections.length > 1 && (
        <Tabs
          activeKey={section}
          onChange={(k) => navigate(`/finance/${k}`)}
          items={sections.map((s) => ({ key: s, label: <span data-testid={`finance-tab-${s}`}>{t(`nav.${s}`)}</span> }))}
        />
      )}
      {section === "receivables" && <Receivables />}
      {section === "payments" && isFinance && <MoneyList kind="payment" waiting="recorded" />}
      {section === "invoices" && isFinance && <MoneyList kind="invoice" waiting="requested" />}
    </div>
  );
}

/// Customers who owe something, most first: billed, collected, outstanding, what is recorded but
/// not confirmed, what is overdue and since when.
function Receivables() {
  const { crm, t, lang } = useCrm();
  const narrow = useIsNarrow();
  const rows = useData(() => crm.receivables(), []);
  const today = localDate();
  const money = (minor: number, currency: string) => formatMoney(lang, { minor, currency });
  if (rows.error) return <p className="error">{errorText(t, rows.error)}</p>;
  if (!rows.data) return <p className="muted">{t("common.loading")}</p>;
  if (rows.data.length === 0) return <p className="muted">{t("sales.receivables_none")}</p>;
  if (narrow) {
    return (
      <ul className="list results" data-testid="receivables">
        {rows.data.map((r) => (
          <li key={`${r.customer}-${r.currency}`} className="row" data-testid="receivable" data-customer={r.customer}>
            <Link className="row-main" to={`/customers/${r.customer}`}>
              <strong>{r.name}</strong>
              <span className="muted small">
                {[t("sales.balance.billed") + " " + money(r.billed, r.currency), t("sales.balance.collected") + " " + money(r.collected, r.currency)].join(" · ")}
              </span>
            </Link>
            <span className="row-tags">
              <strong className="money" data-testid="receivable-outstanding" data-minor={r.outstanding}>
                {money(r.outstanding, r.currency)}
              </strong>
              {r.overdue > 0 && (
                <span className="error small" data-testid="receivable-overdue" data-minor={r.overdue}>
                  {t("sales.overdue_amount", { amount: money(r.overdue, r.currency) })}
                  {r.oldest_due ? ` · ${t("sales.since", { date: formatDate(lang, r.oldest_due) })}` : ""}
                </span>
              )}
            </span>
          </li>
        ))}
      </ul>
    );
  }
  const columns: TableColumnsType<Receivable> = [
    {
      title: t("field.customer"),
      key: "name",
      render: (_, r) => (
        <Link className="field-link" to={`/customers/${r.customer}`}>
          {r.name}
        </Link>
      ),
    },
    { title: t("sales.balance.billed"), key: "billed", align: "right", render: (_, r) => <span className="money">{money(r.billed, r.currency)}</span> },
    { title: t("sales.balance.collected"), key: "collected", align: "right", render: (_, r) => <span className="money">{money(r.collected, r.currency)}</span> },
    {
      title: t("sales.balance.outstanding"),
      key: "outstanding",
      align: "right",
      render: (_, r) => (
        <strong className="money" data-testid="receivable-outstanding" data-minor={r.outstanding}>
          {money(r.outstanding, r.currency)}
        </strong>
      ),
    },
    { title: t("sales.balance.unconfirmed"), key: "unconfirmed", align: "right", render: (_, r) => <span className="money">{money(r.unconfirmed, r.currency)}</span> },
    {
      title: t("sales.overdue"),
      key: "overdue",
      align: "right",
      render: (_, r) =>
        r.overdue > 0 ? (
          <span className="money error" data-testid="receivable-overdue" data-minor={r.overdue}>
            {money(r.overdue, r.currency)}
          </span>
        ) : (
          <span className="muted">—</span>
        ),
    },
    {
      title: t("sales.oldest_due"),
      key: "oldest_due",
      render: (_, r) => (r.oldest_due ? <span className={r.oldest_due < today ? "error" : ""}>{formatDate(lang, r.oldest_due)}</span> : ""),
    },
  ];
  return (
    <Table
      rowKey={(r) => `${r.customer}-${r.currency}`}
      columns={columns}
      dataSource={rows.data}
      pagination={false}
      scroll={{ x: "max-content" }}
      onRow={(r) => ({ "data-testid": "receivable", "data-customer": r.customer }) as HTMLAttributes<HTMLElement>}
    />
  );
}

/// Payments or invoices, those waiting for finance first (`?status=` shows another state).
function MoneyList({ kind, waiting }: { kind: "payment" | "invoice"; waiting: string }) {
  const { t } = useCrm();
  const [params, setParams] = useSearchParams();
  const status = params.get("status") ?? waiting;
  const list = usePagedList(kind, { filter: { status }, sort: "created_at", desc: status !== waiting, limit: 100, names: true });
  const marks = useRowMarks((list.items ?? []).map((x) => x.id));
  return (
    <Card>
      <div className="filters">
        <Select
          aria-label={t("field.status")}
          value={status}
          onChange={(v: string) => setParams(v === waiting ? {} : { status: v }, { replace: true })}
          popupMatchSelectWidth={false}
          virtual={false}
          data-testid="money-filter-status"
          options={STATES[kind].map((s) => ({ value: s, label: t(`state.${kind}.${s}`), "data-value": s }))}
        />
      </div>
      {list.items?.length === 0 && <p className="muted">{t("sales.inbox_empty")}</p>}
      <ul className="list" data-testid={`${kind}-list`}>
        {list.items?.map((x) => (kind === "payment" ? <PaymentRow key={x.id} payment={x} showCustomer mark={marks.get(x.id)} /> : <InvoiceRow key={x.id} invoice={x} showCustomer mark={marks.get(x.id)} />))}
      </ul>
    </Card>
  );
}
