// An expense in three taps (`#/expenses/new`), or a draft claim changed (`#/expenses/<id>/edit`):
// the category as big chips from the `expense_category` dictionary, the amount as typed (parsed
// to minor units), the day (today unless chosen), optionally the customer, a note and photos of
// the receipts (a new expense's are written with it). Save keeps it as a draft; "Save and submit"
// also submits it. What is typed is kept as a draft on the device until it is saved, offline too
// (the receipts' files too, not the list of them).

import { Alert, App as AntApp, Button, DatePicker, Input } from "antd";
import dayjs from "dayjs";
import { useEffect, useMemo, useState } from "react";
import { useNavigate } from "react-router-dom";
import type { Attachment, RecordView } from "../../api";
import { errorText, fieldRefusals } from "../../errors";
import { clearDraft, loadDraft, saveDraft } from "../../forms";
import { dictLabel, localDate } from "../../i18n";
import { useCrm, useData } from "../../state";
import { FormField } from "../../components/FormField";
import { Attachments, PendingAttachments } from "../../components/attachments/Attachments";
import { CustomerPicker } from "../../components/RecordPickers";
import { useIsPhone } from "../../components/useIsPhone";
import { moneyOf } from "../sales/model";
import { Chip, Chips } from "../visits/Chips";
import { expenseDirty, expenseFields, expenseFrom, fromDraft, monthOf, newExpense } from "./model";
import type { ExpenseValues } from "./model";

export function ExpenseForm({ id }: { id?: string }) {
  const { crm, t } = useCrm();
  const [record, setRecord] = useState<RecordView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const permissions = useData(() => (id ? crm.permissions(id) : Promise.resolve(null)), [id]);
  const company = useData(() => crm.settingText("company.currency"), []);

  useEffect(() => {
    if (!id) return;
    // Only once: a change arriving while the person types must not overwrite the form.
    crm.get(id).then(setRecord, setError);
  }, [crm, id]);

  if (error || permissions.error) return <Alert className="page" type="error" message={errorText(t, error ?? permissions.error)} />;
  if (!id) return <ExpenseFields currency={company.data ?? "CNY"} />;
  if (!record || !permissions.data) return <p className="page muted">{t("common.loading")}</p>;
  // Only a draft changes: a submitted or rejected claim is taken back to draft on its page first.
  if (!permissions.data.actions.includes("update") || record.deleted_at || permissions.data.state !== "draft") {
    return <Alert className="page" type="warning" showIcon message={t("expenses.not_editable")} data-testid="expense-not-editable" />;
  }
  return <ExpenseFields record={record} currency={moneyOf(record.fields.amount)?.currency ?? "CNY"} />;
}

function ExpenseFields({ record, currency }: { record?: RecordView; currency: string }) {
  const { crm, t, lang, dicts } = useCrm();
  const { message } = AntApp.useApp();
  const navigate = useNavigate();
  const phone = useIsPhone();
  const initial = useMemo(() => (record ? expenseFrom(record) : newExpense()), [record]);
  const draftKey = record ? `expense:${record.id}` : "expense:new";
  // Start from the draft if there is one (and say so), otherwise from the record.
  const [start] = useState(() => {
    const draft = loadDraft(draftKey)?.values;
    const v = draft ? fromDraft(draft, initial) : initial;
    return { values: v, restored: expenseDirty(v, initial) };
  });
  const [values, setValues] = useState<ExpenseValues>(start.values);
  const [restored, setRestored] = useState(start.restored);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [refusal, setRefusal] = useState<string | null>(null);
  const [busy, setBusy] = useState<"save" | "submit" | null>(null);
  // A new expense's receipts, kept on the device until the expense is saved with them.
  const [receipts, setReceipts] = useState<Attachment[]>([]);

  useEffect(() => {
    if (expenseDirty(values, initial)) saveDraft(draftKey, values);
    else clearDraft(draftKey);
  }, [values, initial, draftKey]);

  const categories = dicts.filter((d) => d.fields.dict === "expense_category" && (d.fields.active !== false || d.fields.code === values.category));
  const set = (k: keyof ExpenseValues, v: string) => {
    setValues((s) => ({ ...s, [k]: v }));
    setErrors(({ [k]: _gone, ...rest }) => rest);
  };
  const setDate = (date: string) => setValues((s) => ({ ...s, date, date_set: "1" }));

  const save = async (submit: boolean) => {
    // A new form left at today is saved with the day of saving.
    const v = record || values.date_set === "1" ? values : { ...values, date: localDate() };
    const { fields, errors: local } = expenseFields(v, currency, record ? initial : undefined);
    if (Object.keys(local).length) {
      setErrors(Object.fromEntries(Object.entries(local).map(([f, reason]) => [f, t(`error.${reason}`)])));
      return;
    }
    if (!record && receipts.length) fields.receipts = receipts as never;
    setBusy(submit ? "submit" : "save");
    setErrors({});
    setRefusal(null);
    let saved: RecordView;
    try {
      if (record) saved = Object.keys(fields).length ? await crm.update(record.id, fields, record.version) : record;
      else {
        const made = await crm.create("expense", fields, true);
        if (made.type !== "record") return setBusy(null);
        saved = made;
      }
    } catch (e) {
      const r = fieldRefusals(t, e);
      setErrors(r.fields);
      setRefusal(r.other ?? t("form.fix_errors"));
      setBusy(null);
      return;
    }
    clearDraft(draftKey);
    try {
      if (submit) await crm.transition(saved.id, "submit");
      message.success(t(submit ? "expenses.submitted_message" : "form.saved"));
      navigate(record ? `/expenses/${saved.id}` : `/expenses?month=${monthOf(String(saved.fields.date ?? v.date))}`, { replace: true });
    } catch (e) {
      // Saved as a draft, not submitted: its page says why and offers the step again.
      message.error(errorText(t, e));
      navigate(`/expenses/${saved.id}`, { replace: true });
    }
  };

  const today = localDate(0);
  const yesterday = localDate(-1);
  return (
    <div className="page expense-form" data-testid={record ? "edit-expense-page" : "new-expense-page"}>
      <h1>{t(record ? "expenses.edit_title" : "expenses.new_title")}</h1>
      {restored && (
        <div data-testid="draft-restored">
          <Alert
            type="info"
            showIcon
            message={t("form.draft_restored")}
            action={
              <Button
                type="link"
                onClick={() => {
                  clearDraft(draftKey);
                  setValues(initial);
                  setRestored(false);
                }}
              >
                {t("form.discard_draft")}
              </Button>
            }
          />
        </div>
      )}
      <Chips legend={t("field.category")} testId="expense-category">
        {categories.map((c) => {
          const code = String(c.fields.code);
          return (
            <Chip key={c.id} selected={values.category === code} onClick={() => set("category", code)} testId={`expense-category-${code}`}>
              {dictLabel(lang, dicts, "expense_category", code)}
            </Chip>
          );
        })}
      </Chips>
      {errors.category && (
        <p className="field-error" role="alert">
          {errors.category}
        </p>
      )}
      <div className="visit-grid">
        <FormField id="expense-amount" label={t("sales.amount_in", { currency })} required error={errors.amount} errorTestId="expense-amount-error">
          <Input
            id="expense-amount"
            size="large"
            inputMode="decimal"
            autoComplete="off"
            value={values.amount}
            onChange={(e) => set("amount", e.target.value)}
            status={errors.amount ? "error" : undefined}
            data-testid="expense-amount-input"
          />
        </FormField>
        <FormField id="expense-customer" label={t("field.customer")} error={errors.customer}>
          <CustomerPicker id="expense-customer" value={values.customer || undefined} onChange={(v) => set("customer", v ?? "")} invalid={!!errors.customer} data-testid="expense-customer" />
        </FormField>
      </div>
      <Chips legend={t("field.date")} testId="expense-when">
        <Chip selected={values.date === today} onClick={() => setDate(today)} testId="expense-today">
          {t("visit.today")}
        </Chip>
        <Chip selected={values.date === yesterday} onClick={() => setDate(yesterday)} testId="expense-yesterday">
          {t("visit.yesterday")}
        </Chip>
        <DatePicker
          aria-label={t("field.date")}
          size="large"
          inputReadOnly={phone}
          allowClear={false}
          value={values.date ? dayjs(values.date) : null}
          onChange={(d) => d && setDate(d.format("YYYY-MM-DD"))}
          status={errors.date ? "error" : undefined}
          data-testid="expense-date"
        />
      </Chips>
      {errors.date && (
        <p className="field-error" role="alert">
          {errors.date}
        </p>
      )}
      <FormField id="expense-notes" label={t("field.notes")} error={errors.notes}>
        <Input.TextArea id="expense-notes" autoSize={{ minRows: 2 }} value={values.notes} onChange={(e) => set("notes", e.target.value)} data-testid="expense-notes" />
      </FormField>
      <section className="expense-receipts">
        <h2>{t("attachments.receipts")}</h2>
        {record ? (
          <Attachments record={record.id} field="receipts" canEdit />
        ) : (
          <PendingAttachments field="receipts" items={receipts} onAdd={(item) => setReceipts((all) => [...all, item])} />
        )}
      </section>
      {refusal && (
        <div data-testid="expense-refusal">
          <Alert type="error" showIcon message={refusal} role="alert" />
        </div>
      )}
      <div className="thumb-bar">
        <Button size="large" onClick={() => navigate(-1)}>
          {t("common.cancel")}
        </Button>
        <Button size="large" loading={busy === "save"} disabled={busy !== null} onClick={() => void save(false)} data-testid="expense-save">
          {t("expenses.save_draft")}
        </Button>
        <Button type="primary" size="large" loading={busy === "submit"} disabled={busy !== null} onClick={() => void save(true)} data-testid="expense-save-submit">
          {t("expenses.save_submit")}
        </Button>
      </div>
    </div>
  );
}
