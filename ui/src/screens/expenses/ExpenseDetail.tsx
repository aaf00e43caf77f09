// One expense (`#/expenses/<id>`): amount, category, day, what it was for, its receipts, its
// state and who moved it, why it was rejected; the steps the core offers this person (submit,
// take back to draft, approve, reject with a reason, pay), the core's refusal in words when it
// refuses one; edit and delete while it is a draft.

import { DeleteOutlined, EditOutlined } from "@ant-design/icons";
import { Alert, Button, Card } from "antd";
import type { ReactNode } from "react";
import { useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { errorText } from "../../errors";
import { dictLabel, formatDate, formatDateTime, formatMoney } from "../../i18n";
import { useCrm, useData, userName } from "../../state";
import { DetailFrame, DetailPending } from "../../components/DetailFrame";
import { StateTag } from "../../components/RecordStatus";
import { TransitionButtons } from "../../components/Transitions";
import { useUndoableDelete } from "../../components/useUndoableDelete";
import { Attachments } from "../../components/attachments/Attachments";
import { moneyOf } from "../sales/model";

/// Who moved the claim and when, in the order it moves.
const STAMPS = ["owner", "submitted_at", "approved_by", "approved_at", "paid_by", "paid_at"];
const PEOPLE = ["owner", "approved_by", "paid_by"];

export function ExpenseDetail({ id }: { id: string }) {
  const { crm, t, lang, dicts, users } = useCrm();
  const navigate = useNavigate();
  const view = useData(() => crm.get(id), [id]);
  const permissions = useData(() => crm.permissions(id), [id]);
  // A refusal of the last step taken here, kept in view until the next one.
  const [refusal, setRefusal] = useState<unknown>(null);
  const remove = useUndoableDelete(setRefusal);

  if (view.error || !view.data) return <DetailPending error={view.error} />;
  const r = view.data;
  const f = r.fields;
  const state = typeof f.status === "string" ? f.status : "draft";
  const amount = moneyOf(f.amount);
  const actions = permissions.data?.actions ?? [];
  const draft = state === "draft" && !r.deleted_at && actions.includes("update");
  const customer = typeof f.customer === "string" && f.customer ? f.customer : null;
  const visit = typeof f.visit === "string" && f.visit ? f.visit : null;

  const stamp = (name: string): ReactNode => {
    const v = f[name];
    if (v === null || v === undefined || v === "") return null;
    return PEOPLE.includes(name) ? userName(users, v, r.names) : formatDateTime(lang, String(v));
  };
  const row = (name: string, value: ReactNode) =>
    value ? (
      <div key={name} className="field-row" data-field={name}>
        <dt>{t(name === "owner" ? "expenses.claimant" : `field.${name}`)}</dt>
        <dd data-testid={`expense-field-${name}`}>{value}</dd>
      </div>
    ) : null;

  return (
    <DetailFrame
      record={r}
      testId="expense-detail"
      data={{ "data-state": state }}
      title={amount ? formatMoney(lang, amount) : ""}
      titleTestId="expense-detail-amount"
      titleClassName="money"
      titleData={{ "data-minor": amount?.minor ?? "" }}
      subtitle={[dictLabel(lang, dicts, "expense_category", f.category), formatDate(lang, String(f.date ?? ""))].filter(Boolean).join(" · ")}
      status={<StateTag kind="expense" state={state} testId="expense-detail-status" />}
      actions={
        <>
          {!r.deleted_at && (
            <TransitionButtons kind="expense" id={id} offers={permissions.data?.transitions ?? []} onRefused={setRefusal} onDone={() => setRefusal(null)} />
          )}
          {draft && (
            <Button icon={<EditOutlined />} onClick={() => navigate(`/expenses/${id}/edit`)} data-testid="edit-expense">
              {t("common.edit")}
            </Button>
          )}
          {draft && actions.includes("delete") && (
            <Button danger icon={<DeleteOutlined />} onClick={() => void remove(id, t("kind.expense"))} data-testid="delete-expense">
              {t("common.delete")}
            </Button>
          )}
        </>
      }
      notices={
        <>
          {refusal !== null && (
            <div data-testid="expense-refusal">
              <Alert type="error" showIcon closable onClose={() => setRefusal(null)} message={errorText(t, refusal)} />
            </div>
          )}
          {state === "rejected" && f.reject_reason ? (
            <div data-testid="expense-reject-reason">
              <Alert type="error" showIcon message={t("expenses.rejected_because", { reason: String(f.reject_reason) })} description={t("expenses.rejected_hint")} />
            </div>
          ) : null}
        </>
      }
    >
      <Card title={t("detail.fields")}>
        <dl className="fields">
          {row(
            "customer",
            customer && (
              <Link className="field-link" to={`/customers/${customer}`} data-testid="expense-customer-link">
                {r.names[customer] ?? customer}
              </Link>
            ),
          )}
          {row("visit", visit && (r.names[visit] ?? visit))}
          {STAMPS.map((name) => row(name, stamp(name)))}
          {row("notes", typeof f.notes === "string" && f.notes ? <span className="notes">{f.notes}</span> : null)}
        </dl>
      </Card>
      <Card title={t("attachments.receipts")}>
        <Attachments record={id} field="receipts" canEdit={actions.includes("update") && !r.deleted_at} />
      </Card>
    </DetailFrame>
  );
}
