// One's own month of expenses (`#/expenses[?month=YYYY-MM]`), as the core's `expense_claim`
// answers it from this device, offline too: the month switched back and forth (kept in the
// address, so going back returns to it), what is claimed, approved and paid, the amounts by
// category and by state, and the month's expenses, newest first, each opening its page.

import { LeftOutlined, RightOutlined } from "@ant-design/icons";
import { Alert, Button, Card } from "antd";
import { useSearchParams } from "react-router-dom";
import type { ExpenseClaim } from "../../api";
import { errorText } from "../../errors";
import { dictLabel, formatMoney, formatMonth } from "../../i18n";
import { useCrm, useData } from "../../state";
import { StateTag } from "../../components/RecordStatus";
import { useRowMarks } from "../../components/RowStatus";
import { ExpenseRow } from "./ExpenseRow";
import { isMonth, monthOf, shiftMonth } from "./model";

export function MonthClaim() {
  const { crm, t } = useCrm();
  const [params, setParams] = useSearchParams();
  const asked = params.get("month");
  const month = isMonth(asked) ? asked : monthOf();
  const claim = useData(() => crm.expenseClaim(month), [month]);
  const marks = useRowMarks((claim.data?.items ?? []).map((x) => x.id));
  const go = (m: string) => setParams(m === monthOf() ? {} : { month: m }, { replace: true });
  // The answer for another month stays on screen while this one loads.
  const shown = claim.data?.month === month ? claim.data : null;
  return (
    <div className="expense-month" data-testid="expense-month" data-month={month}>
      <MonthSwitcher month={month} onChange={go} />
      {claim.error && <Alert type="error" showIcon message={errorText(t, claim.error)} />}
      {!shown && !claim.error && <p className="muted">{t("common.loading")}</p>}
      {shown && (
        <div className="detail-grid">
          <ClaimTotals claim={shown} />
          <Card title={t("expenses.items")} className="expense-items" data-testid="expense-items">
            {shown.items.length === 0 && <p className="muted">{t("expenses.none")}</p>}
            <ul className="list">
              {shown.items.map((x) => (
                <ExpenseRow key={x.id} item={x} mark={marks.get(x.id)} />
              ))}
            </ul>
          </Card>
        </div>
      )}
    </div>
  );
}

/// ‹ November 2026 ›, with a way back to this month.
export function MonthSwitcher({ month, onChange }: { month: string; onChange: (month: string) => void }) {
  const { t, lang } = useCrm();
  const now = monthOf();
  return (
    <div className="month-switcher">
      <Button icon={<LeftOutlined />} aria-label={t("expenses.previous_month")} title={t("expenses.previous_month")} onClick={() => onChange(shiftMonth(month, -1))} data-testid="month-prev" />
      <strong className="month-label" data-testid="month-label" data-month={month}>
        {formatMonth(lang, month)}
      </strong>
      <Button icon={<RightOutlined />} aria-label={t("expenses.next_month")} title={t("expenses.next_month")} onClick={() => onChange(shiftMonth(month, 1))} data-testid="month-next" />
      {month !== now && (
        <Button type="link" onClick={() => onChange(now)} data-testid="month-now">
          {t("expenses.this_month")}
        </Button>
      )}
    </div>
  );
}

/// Per currency what the month claims, what of it is approved and what is paid; then by
/// category and by state (rejected claims are counted there only).
function ClaimTotals({ claim }: { claim: ExpenseClaim }) {
  const { t, lang, dicts } = useCrm();
  const money = (minor: number, currency: string) => formatMoney(lang, { minor, currency });
  return (
    <Card title={t("expenses.totals")} data-testid="claim-totals">
      {claim.totals.length === 0 && <p className="muted">{t("expenses.none")}</p>}
      {claim.totals.map((s) => (
        <div key={s.currency} className="claim-sums" data-testid="claim-sum" data-currency={s.currency}>
          {(["claimed", "approved", "paid"] as const).map((k) => (
            <div key={k} className="claim-sum">
              <span className="muted small">{t(`expenses.sum.${k}`)}</span>
              <strong className="money" data-testid={`claim-${k}`} data-minor={s[k]}>
                {money(s[k], s.currency)}
              </strong>
            </div>
          ))}
        </div>
      ))}
      {claim.categories.length > 0 && (
        <>
          <h2 className="owner-head section">{t("expenses.by_category")}</h2>
          <ul className="list">
            {claim.categories.map((c) => (
              <li key={`${c.key}-${c.currency}`} className="row" data-testid="claim-category" data-key={c.key} data-minor={c.amount}>
                <span className="row-main">
                  <span>{dictLabel(lang, dicts, "expense_category", c.key)}</span>
                  <span className="muted small">{t("expenses.count", { count: c.count })}</span>
                </span>
                <strong className="money">{money(c.amount, c.currency)}</strong>
              </li>
            ))}
          </ul>
        </>
      )}
      {claim.statuses.length > 0 && (
        <>
          <h2 className="owner-head section">{t("expenses.by_state")}</h2>
          <ul className="claim-states">
            {claim.statuses.map((s) => (
              <li key={`${s.key}-${s.currency}`} data-testid="claim-status" data-key={s.key} data-count={s.count} data-minor={s.amount}>
                <StateTag kind="expense" state={s.key} />
                <span className="small">
                  {t("expenses.count", { count: s.count })} · <span className="money">{money(s.amount, s.currency)}</span>
                </span>
              </li>
            ))}
          </ul>
          <p className="muted small">{t("expenses.totals_hint")}</p>
        </>
      )}
    </Card>
  );
}
