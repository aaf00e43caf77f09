// Payments and invoices: a row each with its figures, state and the steps the core offers this
// person (finance confirms or rejects a payment, issues or voids an invoice — the buyer's title
// copied from the customer into the dialog), and the dialogs that record a payment or request
// an invoice for a contract or order.

import { Input, Radio, Select } from "antd";
import dayjs from "dayjs";
import { DatePicker } from "antd";
import { useState } from "react";
import { Link } from "react-router-dom";
import type { Fields, Item, Json, RecordView } from "../../api";
import { currencyDigits, dictLabel, formatDate, formatMoney, localDate, parseMoney } from "../../i18n";
import { useCrm, useData, userName } from "../../state";
import { FormField } from "../../components/FormField";
import { RefusedNotices, StateTag } from "../../components/RecordStatus";
import { RowMarks } from "../../components/RowStatus";
import type { RowMark } from "../../components/RowStatus";
import { TransitionButtons } from "../../components/Transitions";
import { FormDialog } from "../../components/FormDialog";
import { useRefusableSave } from "../../components/useRefusableSave";
import { docPath, formatRate, moneyOf, moneyRefusal, parseRate, rateInput } from "./model";

/// One payment: amount, when and how it came, its state, and confirm / reject where offered.
export function PaymentRow({
  payment: p,
  showCustomer = false,
  showDocument = true,
  mark,
}: {
  payment: Item;
  showCustomer?: boolean;
  /// A link to the contract or order it is for (not on that document's own page).
  showDocument?: boolean;
  mark?: RowMark;
}) {
  const { crm, t, lang, dicts, users } = useCrm();
  const permissions = useData(() => crm.permissions(p.id), [p.id]);
  const f = p.fields;
  const amount = moneyOf(f.amount);
  const of = documentOf(f, p.names);
  const customer = showCustomer ? p.names?.[String(f.customer ?? "")] : null;
  return (
    <li className="row" data-testid="payment-row" data-id={p.id}>
      <span className="row-main">
        <strong className="money" data-testid="payment-amount" data-minor={amount?.minor ?? ""}>
          {amount ? formatMoney(lang, amount) : ""}
        </strong>
        <span className="muted small">
          {[
            formatDate(lang, String(f.received_on ?? "")),
            dictLabel(lang, dicts, "payment_method", f.method),
            f.reference ? String(f.reference) : null,
            customer,
            userName(users, f.owner, p.names),
          ]
            .filter(Boolean)
            .join(" · ")}
        </span>
        {of && showDocument && (
          <Link className="field-link small" to={of.to} data-testid="money-document">
            {of.label}
          </Link>
        )}
        {f.reject_reason ? <span className="small error">{t("sales.rejected_because", { reason: String(f.reject_reason) })}</span> : null}
      </span>
      <span className="row-tags">
        <StateTag kind="payment" state={typeof f.status === "string" ? f.status : "recorded"} testId="payment-status" />
        <RowMarks kind="payment" mark={mark} />
      </span>
      {(permissions.data?.transitions?.length ?? 0) > 0 && (
        <span className="actions row-actions">
          <TransitionButtons kind="payment" id={p.id} offers={permissions.data?.transitions ?? []} />
        </span>
      )}
      {(mark?.refused.length ?? 0) > 0 && (
        <div className="row-notes">
          <RefusedNotices view={{ id: p.id, kind: "payment", refused: mark!.refused, names: p.names ?? {} }} />
        </div>
      )}
    </li>
  );
}

/// One invoice: number (once issued), type, rate, amount, state; issue (its dialog starting
/// from the customer's title) and void where offered.
export function InvoiceRow({
  invoice: inv,
  showCustomer = false,
  showDocument = true,
  mark,
}: {
  invoice: Item;
  showCustomer?: boolean;
  showDocument?: boolean;
  mark?: RowMark;
}) {
  const { crm, t, lang } = useCrm();
  const permissions = useData(() => crm.permissions(inv.id), [inv.id]);
  const f = inv.fields;
  const amount = moneyOf(f.amount);
  const offers = permissions.data?.transitions ?? [];
  const issuing = offers.some((o) => o.name === "issue");
  const customerId = String(f.customer ?? "");
  // The buyer's title as the customer has it (纳税人识别号, 开户行及账号, 地址电话), for the
  // issue dialog to start from.
  const buyer = useData(() => (issuing && customerId ? crm.get(customerId).then((c) => buyerOf(c.fields)) : Promise.resolve(null)), [issuing, customerId]);
  const of = documentOf(f, inv.names);
  const customer = showCustomer ? inv.names?.[customerId] : null;
  const currency = amount?.currency ?? "CNY";
  return (
    <li className="row" data-testid="invoice-row" data-id={inv.id}>
      <span className="row-main">
        <strong>
          {f.number ? String(f.number) : t("sales.invoice_unnumbered")}{" "}
          <span className="money" data-testid="invoice-amount" data-minor={amount?.minor ?? ""}>
            {amount ? formatMoney(lang, amount) : ""}
          </span>
        </strong>
        <span className="muted small">
          {[t(`sales.invoice_type.${String(f.type ?? "normal")}`), formatRate(f.tax_rate as number), f.buyer_name ? String(f.buyer_name) : null, customer].filter(Boolean).join(" · ")}
        </span>
        {of && showDocument && (
          <Link className="field-link small" to={of.to} data-testid="money-document">
            {of.label}
          </Link>
        )}
      </span>
      <span className="row-tags">
        <StateTag kind="invoice" state={typeof f.status === "string" ? f.status : "requested"} testId="invoice-status" />
        <RowMarks kind="invoice" mark={mark} />
      </span>
      {offers.length > 0 && (!issuing || buyer.data) && (
        <span className="actions row-actions">
          <TransitionButtons
            kind="invoice"
            id={inv.id}
            offers={offers}
            prefill={buyer.data ? { issue: buyer.data } : undefined}
            describe={(e) => moneyRefusal(t, lang, e, currency) ?? undefined}
          />
        </span>
      )}
      {(mark?.refused.length ?? 0) > 0 && (
        <div className="row-notes">
          <RefusedNotices view={{ id: inv.id, kind: "invoice", refused: mark!.refused, names: inv.names ?? {} }} />
        </div>
      )}
    </li>
  );
}

/// An invoice's buyer fields from the customer's.
export function buyerOf(c: Fields): Record<string, string> {
  const text = (v: Json | undefined) => (typeof v === "string" ? v : "");
  const phones = Array.isArray(c.phones) ? c.phones.filter((x): x is string => typeof x === "string") : [];
  const out: Record<string, string> = {
    buyer_name: text(c.name),
    buyer_tax_id: text(c.tax_id),
    buyer_bank: text(c.bank),
    buyer_account: text(c.bank_account),
    buyer_address: text(c.address),
    buyer_phone: phones[0] ?? "",
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== ""));
}

/// The contract or order a payment or invoice belongs to, as a link.
function documentOf(f: Fields, names: Record<string, string> | undefined): { to: string; label: string } | null {
  for (const [field, kind] of [
    ["contract", "contract"],
    ["sales_order", "order"],
  ] as const) {
    const id = f[field];
    if (typeof id === "string" && id) return { to: docPath(kind, id), label: names?.[id] ?? kind };
  }
  return null;
}

/// Record a payment received for a contract or an order, or at a visit (finance confirms it later).
export function PaymentDialog({
  customer,
  document,
  currency,
  onSaved,
  onClose,
}: {
  customer: string;
  /// The field and id of the document it is for, if any.
  document?: { field: "contract" | "sales_order"; id: string };
  currency: string;
  /// Runs with the payment once it is made, before the dialog closes.
  onSaved?: (payment: RecordView) => Promise<void>;
  onClose: () => void;
}) {
  const { crm, t, lang, dicts } = useCrm();
  const { busy, errors, other, setErrors, run } = useRefusableSave();
  const [amount, setAmount] = useState("");
  const [receivedOn, setReceivedOn] = useState(localDate());
  const [method, setMethod] = useState<string | undefined>(undefined);
  const [reference, setReference] = useState("");
  const [notes, setNotes] = useState("");
  const save = () =>
    run(async () => {
      const minor = parseMoney(amount, currencyDigits(currency));
      if (minor === null) {
        setErrors({ amount: t("error.invalid_amount") });
        return;
      }
      const fields: Fields = { customer, ...(document ? { [document.field]: document.id } : {}), amount: { minor, currency }, received_on: receivedOn };
      if (method) fields.method = method;
      if (reference.trim()) fields.reference = reference.trim();
      if (notes.trim()) fields.notes = notes;
      const made = await crm.create("payment", fields);
      if (made.type === "record") await onSaved?.(made);
      onClose();
    });
  return (
    <FormDialog title={t("sales.record_payment")} onOk={() => void save()} onClose={onClose} busy={busy} testId={{ ok: "payment-save", form: "payment-form" }} refusal={other}>
      <FormField id="pay-amount" label={t("sales.amount_in", { currency })} required error={errors.amount}>
        <Input id="pay-amount" inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} status={errors.amount ? "error" : undefined} data-testid="payment-amount-input" />
      </FormField>
      <FormField id="pay-date" label={t("field.received_on")} required error={errors.received_on}>
        <DatePicker id="pay-date" className="full-width" inputReadOnly value={receivedOn ? dayjs(receivedOn) : null} onChange={(d) => setReceivedOn(d ? d.format("YYYY-MM-DD") : "")} data-testid="payment-date" />
      </FormField>
      <FormField id="pay-method" label={t("field.method")} error={errors.method}>
        <Select
          id="pay-method"
          allowClear
          value={method}
          onChange={setMethod}
          virtual={false}
          data-testid="payment-method"
          options={dicts
            .filter((d) => d.fields.dict === "payment_method" && d.fields.active !== false)
            .map((d) => ({ value: String(d.fields.code), label: dictLabel(lang, dicts, "payment_method", d.fields.code), "data-value": String(d.fields.code) }))}
        />
      </FormField>
      <FormField id="pay-ref" label={t("field.reference")} error={errors.reference}>
        <Input id="pay-ref" maxLength={100} value={reference} onChange={(e) => setReference(e.target.value)} data-testid="payment-reference" />
      </FormField>
      <FormField id="pay-notes" label={t("field.notes")} error={errors.notes}>
        <Input.TextArea id="pay-notes" autoSize={{ minRows: 2 }} value={notes} onChange={(e) => setNotes(e.target.value)} />
      </FormField>
    </FormDialog>
  );
}

/// Ask finance for an invoice of a contract or order: its type, tax rate and amount.
export function InvoiceDialog({
  customer,
  document,
  currency,
  total,
  onClose,
}: {
  customer: string;
  document: { field: "contract" | "sales_order"; id: string };
  currency: string;
  /// The document's total, said beside the amount (minor units).
  total: number | null;
  onClose: () => void;
}) {
  const { crm, t, lang } = useCrm();
  const { busy, errors, other, setErrors, run } = useRefusableSave();
  const [type, setType] = useState("normal");
  const [rate, setRate] = useState(rateInput(1300));
  const [amount, setAmount] = useState("");
  const save = () =>
    run(async () => {
      const minor = parseMoney(amount, currencyDigits(currency));
      const bp = parseRate(rate);
      const local: Record<string, string> = {};
      if (minor === null) local.amount = t("error.invalid_amount");
      if (bp === null) local.tax_rate = t("error.invalid_rate");
      if (Object.keys(local).length) return setErrors(local);
      await crm.create("invoice", { customer, [document.field]: document.id, type, tax_rate: bp, amount: { minor: minor!, currency } });
      onClose();
    });
  return (
    <FormDialog title={t("sales.request_invoice")} onOk={() => void save()} onClose={onClose} busy={busy} testId={{ ok: "invoice-save", form: "invoice-form" }} refusal={other}>
      <FormField id="inv-type" label={t("field.type")}>
        <Radio.Group id="inv-type" value={type} onChange={(e) => setType(e.target.value)} className="export-formats">
          {["normal", "special"].map((x) => (
            <Radio key={x} value={x} data-testid={`invoice-type-${x}`}>
              {t(`sales.invoice_type.${x}`)}
            </Radio>
          ))}
        </Radio.Group>
      </FormField>
      <FormField id="inv-rate" label={t("sales.tax_percent")} error={errors.tax_rate}>
        <Input id="inv-rate" inputMode="decimal" value={rate} onChange={(e) => setRate(e.target.value)} data-testid="invoice-rate" />
      </FormField>
      <FormField
        id="inv-amount"
        label={t("sales.amount_in", { currency })}
        required
        error={errors.amount}
        hint={total !== null ? t("sales.document_total", { total: formatMoney(lang, { minor: total, currency }) }) : null}
      >
        <Input id="inv-amount" inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} status={errors.amount ? "error" : undefined} data-testid="invoice-amount-input" />
      </FormField>
    </FormDialog>
  );
}
