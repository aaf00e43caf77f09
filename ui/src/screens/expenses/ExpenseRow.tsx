// One expense on a list: amount, day, category, what it was for and whose, its state, why it
// was rejected; it opens its page. In a supervisor's or finance's queue the steps the core
// offers this person (approve / reject, pay) are taken in place.

import { Link } from "react-router-dom";
import type { Item } from "../../api";
import { dictLabel, formatDate, formatMoney } from "../../i18n";
import { useCrm, useData, userName } from "../../state";
import { RefusedNotices, StateTag } from "../../components/RecordStatus";
import { RowMarks } from "../../components/RowStatus";
import type { RowMark } from "../../components/RowStatus";
import { TransitionButtons } from "../../components/Transitions";
import { moneyOf } from "../sales/model";

export function ExpenseRow({
  item,
  showOwner = false,
  inPlace = false,
  mark,
}: {
  item: Item;
  /// Whose claim it is (in a queue of other people's).
  showOwner?: boolean;
  /// The offered steps as buttons on the row.
  inPlace?: boolean;
  mark?: RowMark;
}) {
  const { crm, t, lang, dicts, users } = useCrm();
  const permissions = useData(() => (inPlace ? crm.permissions(item.id) : Promise.resolve(null)), [item.id, inPlace]);
  const f = item.fields;
  const amount = moneyOf(f.amount);
  const state = typeof f.status === "string" ? f.status : "draft";
  const customer = typeof f.customer === "string" ? item.names?.[f.customer] : null;
  const offers = permissions.data?.transitions ?? [];
  return (
    <li className="row" data-testid="expense-row" data-id={item.id} data-state={state}>
      <Link className="row-main" to={`/expenses/${item.id}`} data-testid="expense-open">
        <strong className="money" data-testid="expense-amount" data-minor={amount?.minor ?? ""}>
          {amount ? formatMoney(lang, amount) : ""}
        </strong>
        <span className="muted small">
          {[
            formatDate(lang, String(f.date ?? "")),
            dictLabel(lang, dicts, "expense_category", f.category),
            customer,
            showOwner ? userName(users, f.owner, item.names) : null,
          ]
            .filter(Boolean)
            .join(" · ")}
        </span>
        {state === "rejected" && f.reject_reason ? (
          <span className="small error expense-reason" data-testid="expense-reason">
            {t("expenses.rejected_because", { reason: String(f.reject_reason) })}
          </span>
        ) : null}
      </Link>
      <span className="row-tags">
        <StateTag kind="expense" state={state} testId="expense-status" />
        <RowMarks kind="expense" mark={mark} />
      </span>
      {offers.length > 0 && (
        <span className="actions row-actions">
          <TransitionButtons kind="expense" id={item.id} offers={offers} />
        </span>
      )}
      {(mark?.refused.length ?? 0) > 0 && (
        <div className="row-notes">
          <RefusedNotices view={{ id: item.id, kind: "expense", refused: mark!.refused, names: item.names ?? {} }} />
        </div>
      )}
    </li>
  );
}
