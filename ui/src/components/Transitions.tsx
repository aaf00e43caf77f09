// The workflow actions the core offers on one record (`permissions.transitions`), as buttons,
// each with a dialog for what it asks: a person (owner, assignee), a reason, a result. Only
// offered transitions are shown; the core judges each one again when it is taken.

import { App as AntApp, Alert, Button, DatePicker, Input, Modal } from "antd";
import dayjs from "dayjs";
import { useState } from "react";
import type { ReactNode } from "react";
import type { Fields, RecordView, TransitionOffer } from "../api";
import { CrmError } from "../api";
import { errorText, fieldErrorText } from "../errors";
import { fieldSpec } from "../forms";
import type { T } from "../i18n";
import { useCrm } from "../state";
import { OwnerSelect } from "./OwnerSelect";

/// A transition's name in words: the kind's own where one name means different steps
/// (an order's `confirm` is not a churn case's), else the common one.
export function transitionLabel(t: T, kind: string | null | undefined, name: string): string {
  const own = `transition.${kind}.${name}`;
  const said = kind ? t(own) : own;
  return said === own ? t(`transition.${name}`) : said;
}

/// What each transition asks the person for where it is not every field the core offers
/// (succeeding asks nothing but a confirmation).
const ASKS: Record<string, string[]> = {
  "customer.release": ["pool_reason"],
  "customer.transfer": ["owner"],
  "opportunity.assign": ["owner"],
  "opportunity.succeed": [],
  "opportunity.fail": ["loss_reason"],
  "service_request.assign": ["assignee"],
  "service_request.handle": ["result"],
  "quote.reject": ["reject_reason"],
  "contract.sign": ["signed_date"],
  "contract.void": ["void_reason"],
  "order.cancel": ["cancel_reason"],
  "payment.reject": ["reject_reason"],
  "invoice.void": ["void_reason"],
  "expense.reject": ["reject_reason"],
  "lead.release": ["pool_reason"],
  "lead.assign": ["owner"],
  "lead.invalidate": ["invalid_reason"],
};

/// The step a record is waiting for, shown as the main button.
const PRIMARY = new Set(["claim", "assign", "handle", "postpone", "submit", "approve", "send", "accept", "sign", "execute", "ship", "issue", "pay"]);

/// Steps that give something up, shown in red (by name, or by kind and name where the name
/// means something else elsewhere: confirming an order or a payment gives nothing up).
const DANGER = new Set(["fail", "release", "churn_case.confirm", "reject", "void", "cancel", "expire"]);
/// The main step of a kind where its name is not one of `PRIMARY`.
const PRIMARY_OF = new Set(["order.confirm", "payment.confirm"]);
const isPrimary = (kind: string, name: string) => PRIMARY.has(name) || PRIMARY_OF.has(`${kind}.${name}`);
const isDanger = (kind: string, name: string) => DANGER.has(name) || DANGER.has(`${kind}.${name}`);

/// Fields a transition writes on the way without asking: an opportunity that succeeded is won
/// on the board, one that failed is lost (both transitions may write `stage`).
const PRESETS: Record<string, Fields> = {
  "opportunity.succeed": { stage: "won" },
  "opportunity.fail": { stage: "lost" },
};

/// The preset fields of a transition, as far as it may write them.
function presetFor(kind: string, offer: TransitionOffer): Fields {
  const preset = PRESETS[`${kind}.${offer.name}`] ?? {};
  return Object.fromEntries(Object.entries(preset).filter(([f]) => offer.fields.includes(f) || offer.sets.includes(f)));
}

function askedFields(kind: string, offer: TransitionOffer): string[] {
  return ASKS[`${kind}.${offer.name}`] ?? [...new Set([...offer.sets, ...offer.requires, ...offer.fields])];
}

/// Quick choices for a date a transition asks for (a churn case's next review): days ahead.
const DATE_PRESETS: [number, string][] = [
  [7, "visit.in_week"],
  [14, "visit.in_2weeks"],
  [30, "churn.in_month"],
  [90, "churn.in_quarter"],
];

/// Transitions taken at once, without a dialog: they ask nothing and are undone by another
/// step (a quote sent by mistake is revised), or are the step the person came for.
const IMMEDIATE = new Set([
  "customer.claim",
  "quote.submit",
  "quote.approve",
  "quote.send",
  "quote.accept",
  "quote.revise",
  "contract.execute",
  "order.confirm",
  "order.ship",
  "payment.confirm",
  "expense.submit",
  "expense.revise",
  "expense.approve",
  "expense.pay",
  "lead.claim",
  "lead.follow",
  "lead.reopen",
  "activity.retry",
]);

/// Dialog titles and hints where the transition's name alone says too little.
const TITLES: Record<string, string> = {
  "customer.transfer": "pool.transfer_title",
  "opportunity.assign": "opp.assign_title",
  "opportunity.fail": "opp.fail_title",
  "opportunity.succeed": "opp.succeed_title",
  "service_request.assign": "service.assign_title",
  "service_request.handle": "service.handle_title",
  "churn_case.postpone": "churn.postpone_title",
  "churn_case.confirm": "churn.confirm_title",
  "churn_case.recover": "churn.recover_title",
  "quote.reject": "sales.reject_title",
  "quote.expire": "sales.expire_title",
  "contract.sign": "sales.sign_title",
  "contract.void": "sales.void_title",
  "contract.complete": "sales.complete_contract_title",
  "order.cancel": "sales.cancel_title",
  "order.complete": "sales.complete_order_title",
  "payment.reject": "sales.reject_payment_title",
  "invoice.issue": "sales.issue_title",
  "invoice.void": "sales.void_invoice_title",
  "expense.reject": "expenses.reject_title",
};
const HINTS: Record<string, string> = {
  "customer.release": "pool.release_hint",
  "lead.release": "leads.release_hint",
  "opportunity.succeed": "opp.succeed_hint",
  "opportunity.fail": "opp.fail_hint",
  "churn_case.postpone": "churn.postpone_hint",
  "churn_case.confirm": "churn.confirm_hint",
  "churn_case.recover": "churn.recover_hint",
  "quote.expire": "sales.expire_hint",
  "contract.sign": "sales.sign_hint",
  "contract.complete": "sales.complete_contract_hint",
  "order.complete": "sales.complete_order_hint",
  "invoice.issue": "sales.issue_hint",
};
const PLACEHOLDERS: Record<string, string> = {
  "service_request.handle.result": "service.result_hint",
  "churn_case.postpone.measures": "churn.measures_hint",
  "churn_case.confirm.reason": "churn.reason_hint",
  "churn_case.recover.measures": "churn.recover_placeholder",
  "expense.reject.reject_reason": "expenses.reject_placeholder",
};
const LABELS: Record<string, string> = {
  "customer.transfer.owner": "pool.transfer_to",
  "service_request.handle.result": "field.result",
  "churn_case.postpone.measures": "churn.measure_new",
  "churn_case.confirm.reason": "field.churn_reason",
  "churn_case.recover.measures": "churn.recover_note",
  "invoice.issue.number": "sales.invoice_number",
};

/// One button per offered transition (but those in `skip`), opening its dialog.
export function TransitionButtons({
  kind,
  id,
  title,
  offers,
  skip = [],
  onDone,
  onRefused,
  describe,
  prefill,
}: {
  kind: string;
  id: string;
  /// The record's title, for the message after a claim.
  title?: string;
  offers: TransitionOffer[];
  skip?: string[];
  /// After the step is taken here (views re-read on the core's `records_changed` by themselves).
  onDone?: (view: RecordView) => void;
  /// Where a refusal of a step taken without a dialog goes (the page says it where it stays
  /// in view); without it, a passing message.
  onRefused?: (e: unknown) => void;
  /// A refusal in words where the kind has more to say than the code's sentence (the lines a
  /// quote needs approval for); else `errorText`.
  describe?: (e: unknown) => ReactNode;
  /// What a transition's dialog starts with, by transition name (an invoice's buyer copied
  /// from the customer).
  prefill?: Record<string, Record<string, string>>;
}) {
  const { crm, t } = useCrm();
  const { message } = AntApp.useApp();
  const [open, setOpen] = useState<TransitionOffer | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const shown = offers.filter((o) => !skip.includes(o.name));
  const taken = (view: RecordView) => onDone?.(view);
  const take = async (offer: TransitionOffer) => {
    if (!IMMEDIATE.has(`${kind}.${offer.name}`)) return setOpen(offer);
    setBusy(offer.name);
    try {
      const view = await crm.transition(id, offer.name);
      if (offer.name === "claim") message.success(t("pool.claimed", { name: title ?? "" }));
      taken(view);
    } catch (e) {
      if (onRefused) onRefused(e);
      else message.error(describe ? describe(e) : errorText(t, e));
    } finally {
      setBusy(null);
    }
  };
  return (
    <>
      {shown.map((o) => (
        <Button
          key={o.name}
          type={isPrimary(kind, o.name) ? "primary" : "default"}
          danger={isDanger(kind, o.name)}
          loading={busy === o.name}
          onClick={() => void take(o)}
          data-testid={`transition-${o.name}`}
        >
          {transitionLabel(t, kind, o.name)}
        </Button>
      ))}
      {open && (
        <TransitionDialog
          kind={kind}
          id={id}
          offer={open}
          describe={describe}
          initial={prefill?.[open.name]}
          onClose={() => setOpen(null)}
          onDone={(view) => {
            setOpen(null);
            taken(view);
          }}
        />
      )}
    </>
  );
}

/// The dialog of one transition: the fields it asks for (required ones marked), the core's
/// refusal in words if it refuses.
function TransitionDialog({
  kind,
  id,
  offer,
  describe,
  initial,
  onClose,
  onDone,
}: {
  kind: string;
  id: string;
  offer: TransitionOffer;
  describe?: (e: unknown) => ReactNode;
  initial?: Record<string, string>;
  onClose: () => void;
  onDone: (view: RecordView) => void;
}) {
  const { crm, t } = useCrm();
  const asked = askedFields(kind, offer);
  const key = `${kind}.${offer.name}`;
  return (
    <FieldsDialog
      title={TITLES[key] ? t(TITLES[key]) : transitionLabel(t, kind, offer.name)}
      hint={HINTS[key] ? t(HINTS[key]) : undefined}
      kind={kind}
      asked={asked}
      required={offer.requires.filter((f) => asked.includes(f))}
      labels={Object.fromEntries(asked.map((f) => [f, LABELS[`${key}.${f}`] ?? `field.${f}`]))}
      placeholders={Object.fromEntries(asked.flatMap((f) => (PLACEHOLDERS[`${key}.${f}`] ? [[f, t(PLACEHOLDERS[`${key}.${f}`])]] : [])))}
      okText={transitionLabel(t, kind, offer.name)}
      describe={describe}
      initial={initial}
      onClose={onClose}
      submit={(fields) => crm.transition(id, offer.name, { ...presetFor(kind, offer), ...fields })}
      onDone={onDone}
    />
  );
}

/// A dialog asking for a few fields, sending them with `submit`, and showing field errors
/// and refusals from the core where they belong.
function FieldsDialog({
  title,
  hint,
  kind,
  asked,
  required,
  labels,
  placeholders = {},
  okText,
  describe,
  initial = {},
  onClose,
  submit,
  onDone,
}: {
  title: string;
  hint?: string;
  kind: string;
  asked: string[];
  required: string[];
  labels: Record<string, string>;
  placeholders?: Record<string, string>;
  okText: string;
  describe?: (e: unknown) => ReactNode;
  initial?: Record<string, string>;
  onClose: () => void;
  submit: (fields: Fields) => Promise<RecordView>;
  onDone: (view: RecordView) => void;
}) {
  const { t, schema } = useCrm();
  const [values, setValues] = useState<Record<string, string>>(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<ReactNode>(null);
  const [busy, setBusy] = useState(false);

  const ok = async () => {
    const missing = required.filter((f) => !(values[f] ?? "").trim());
    if (missing.length) {
      setErrors(Object.fromEntries(missing.map((f) => [f, t("error.required")])));
      return;
    }
    const fields: Fields = {};
    for (const f of asked) if ((values[f] ?? "").trim()) fields[f] = values[f].trim();
    setBusy(true);
    setError(null);
    try {
      onDone(await submit(fields));
    } catch (e) {
      if (e instanceof CrmError && e.code === "validation") {
        setErrors(Object.fromEntries(Object.entries(e.fieldErrors()).map(([f, x]) => [f, fieldErrorText(t, x.reason, x.params)])));
      }
      setError(describe ? describe(e) : errorText(t, e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open
      title={title}
      onCancel={onClose}
      destroyOnClose
      footer={[
        <Button key="cancel" onClick={onClose}>
          {t("common.cancel")}
        </Button>,
        <Button key="ok" type="primary" loading={busy} onClick={() => void ok()} data-testid="transition-ok">
          {okText}
        </Button>,
      ]}
    >
      <div className="dialog-body" data-testid="transition-dialog">
        {hint && <p className="muted">{hint}</p>}
        {asked.map((name) => {
          const spec = fieldSpec(schema, kind, name);
          const set = (v: string | undefined) => {
            setValues((old) => ({ ...old, [name]: v ?? "" }));
            setErrors(({ [name]: _gone, ...rest }) => rest);
          };
          const input =
            spec?.type === "reference" && spec.kind === "user" ? (
              <OwnerSelect
                id={`t-${name}`}
                ariaLabel={t(labels[name])}
                value={values[name] || undefined}
                onChange={set}
                allowClear={false}
                data-testid={`transition-field-${name}`}
              />
            ) : spec?.type === "date" ? (
              // A calendar date, sent as `YYYY-MM-DD` with no time zone; a few common choices.
              <DatePicker
                id={`t-${name}`}
                className="full-width"
                inputReadOnly
                value={values[name] ? dayjs(values[name]) : null}
                onChange={(d) => set(d ? d.format("YYYY-MM-DD") : undefined)}
                presets={DATE_PRESETS.map(([days, key]) => ({ label: t(key), value: dayjs().add(days, "day") }))}
                status={errors[name] ? "error" : undefined}
                data-testid={`transition-field-${name}`}
              />
            ) : spec?.max_chars !== undefined && spec.max_chars <= 200 ? (
              // A number, a name, an account: one line.
              <Input
                id={`t-${name}`}
                maxLength={spec.max_chars}
                placeholder={placeholders[name]}
                value={values[name] ?? ""}
                onChange={(e) => set(e.target.value)}
                status={errors[name] ? "error" : undefined}
                data-testid={`transition-field-${name}`}
              />
            ) : (
              <Input.TextArea
                id={`t-${name}`}
                autoSize={{ minRows: 3 }}
                maxLength={spec?.max_chars}
                placeholder={placeholders[name]}
                value={values[name] ?? ""}
                onChange={(e) => set(e.target.value)}
                status={errors[name] ? "error" : undefined}
                data-testid={`transition-field-${name}`}
              />
            );
          return (
            <div key={name} className="form-field">
              <label htmlFor={`t-${name}`}>
                {t(labels[name])}
                {required.includes(name) && <span className="req"> *</span>}
              </label>
              {input}
              {errors[name] && (
                <span className="field-error" role="alert">
                  {errors[name]}
                </span>
              )}
            </div>
          );
        })}
        {error && (
          <div data-testid="transition-error">
            <Alert type="error" showIcon message={error} />
          </div>
        )}
      </div>
    </Modal>
  );
}
