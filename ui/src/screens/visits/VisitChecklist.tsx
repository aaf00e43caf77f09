import { CheckCircleFilled, PlusOutlined } from "@ant-design/icons";
import { Alert, Button, Select, Tag } from "antd";
import type { ReactNode } from "react";
import { useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import type { ChecklistAction, RecordView } from "../../api";
import { codeText, errorText } from "../../errors";
import { useCrm, useData } from "../../state";
import { PaymentDialog } from "../sales/MoneyRows";
import { OPEN_STATES } from "../service/model";
import { StockCounts } from "./StockCounts";
import { linkToVisit, madeAtVisit } from "./visitLinks";

/// A typed visit's steps in its type's order (the core's `visit_checklist`, read again after
/// every write): each big, numbered, marked done, required or missing (after a refused
/// check-out, said above the check-out until done). `parts` are the screen's own sections for the steps it already has (photos,
/// notes, check-out); the others — an order, a payment, a service request, a stock count — are
/// made here, each with the usual form, and named on the visit. Parts the type does not ask
/// for show in the check-out step, before its buttons.
export function VisitChecklist({
  visit,
  writable,
  missing,
  parts,
}: {
  visit: RecordView;
  writable: boolean;
  /// The actions a refused check-out named.
  missing: string[];
  parts: Partial<Record<string, ReactNode>>;
}) {
  const { crm, t } = useCrm();
  const checklist = useData(() => crm.visitChecklist(visit.id), [visit.id]);
  if (checklist.error) return <Alert type="error" showIcon message={errorText(t, checklist.error)} />;
  if (!checklist.data) return <p className="muted">{t("common.loading")}</p>;
  const actions = checklist.data.actions;
  // What a refused check-out named and is not done yet.
  const still = actions.filter((a) => missing.includes(a.action) && !a.done).map((a) => a.action);
  // The screen's sections the type does not ask for still show, with the check-out (the
  // visit's last step) or after the steps.
  const rest = Object.entries(parts)
    .filter(([action]) => !actions.some((a) => a.action === action))
    .map(([action, part]) => (
      <section key={action} className="visit-step-extra">
        {action === "photos" && <h2>{t("attachments.photos")}</h2>}
        {part}
      </section>
    ));
  const ends = actions.some((a) => a.action === "check_out");
  return (
    <>
      <ol className="visit-steps" data-testid="visit-checklist">
        {actions.map((a, i) => (
          <Step key={a.action} number={i + 1} step={a} missing={still.includes(a.action)}>
            {a.action === "check_out" && rest}
            {a.action === "check_out" && still.length > 0 && (
              <Alert type="error" showIcon role="alert" message={codeText(t, "visit_incomplete", { missing: still })} data-testid="visit-incomplete" />
            )}
            {parts[a.action] ?? (MADE_HERE.includes(a.action) ? <StepBody action={a.action} visit={visit} writable={writable} /> : null)}
          </Step>
        ))}
      </ol>
      {!ends && rest}
    </>
  );
}

function Step({ number, step, missing, children }: { number: number; step: ChecklistAction; missing: boolean; children: ReactNode }) {
  const { t } = useCrm();
  const state = step.done ? "done" : missing ? "missing" : step.required ? "required" : "optional";
  return (
    <li className={`visit-step visit-step-${state}`} data-testid="visit-step" data-action={step.action} data-done={step.done} data-required={step.required} data-missing={missing}>
      <div className="visit-step-head">
        <span className="visit-step-number" aria-hidden>
          {step.done ? <CheckCircleFilled /> : number}
        </span>
        <h2>{t(`visit_action.${step.action}`)}</h2>
        {step.action === "photos" && (
          <span className="visit-step-count" data-testid="visit-step-count">
            {t("visit_step.photos_count", { count: step.count, min: step.min })}
          </span>
        )}
        {/* Checking out is the visit's end, not a choice: no "optional" on it. */}
        {(state !== "optional" || step.action !== "check_out") && (
          <Tag color={step.done ? "green" : missing ? "red" : step.required ? "orange" : undefined} data-testid="visit-step-state">
            {t(`visit_step.${state}`)}
          </Tag>
        )}
      </div>
      {children && <div className="visit-step-body">{children}</div>}
    </li>
  );
}

/// The steps the visit screen has no section of its own for.
const MADE_HERE = ["order", "payment", "service", "stock_count"];

function StepBody({ action, visit, writable }: { action: string; visit: RecordView; writable: boolean }) {
  switch (action) {
    case "order":
      return <Linked visit={visit} field="sales_order" path={(id) => `/sales/order/${id}`} make={writable ? <MakeOrder visit={visit} /> : null} />;
    case "payment":
      return <Linked visit={visit} field="payment" make={writable ? <CollectPayment visit={visit} /> : null} />;
    case "service":
      return <Linked visit={visit} field="service_request" path={(id) => `/service/${id}`} make={writable ? <ServiceStep visit={visit} /> : null} />;
    case "stock_count":
      return <StockCounts visit={visit} writable={writable} />;
    default:
      return null;
  }
}

/// The record the visit names in `field`, as a link; otherwise the way to make one.
function Linked({ visit, field, path, make }: { visit: RecordView; field: string; path?: (id: string) => string; make: ReactNode }) {
  const { t } = useCrm();
  const id = visit.fields[field];
  if (typeof id !== "string" || id === "") return <>{make}</>;
  const name = visit.names?.[id] || t(`visit_action.${field === "sales_order" ? "order" : field === "service_request" ? "service" : field}`);
  return (
    <p data-testid={`visit-linked-${field}`}>
      <CheckCircleFilled className="visit-step-done-mark" /> {path ? <Link to={path(id)}>{name}</Link> : name}
    </p>
  );
}

const customerOf = (visit: RecordView) => String(visit.fields.customer ?? "");

/// The order form, for this customer; once saved the visit names the order.
function MakeOrder({ visit }: { visit: RecordView }) {
  const { t } = useCrm();
  const navigate = useNavigate();
  return (
    <Button size="large" icon={<PlusOutlined />} onClick={() => navigate(madeAtVisit(`/sales/order/new?customer=${customerOf(visit)}`, visit.id))} data-testid="visit-step-order">
      {t("visit_step.take_order")}
    </Button>
  );
}

/// The payment dialog, for this customer; once saved the visit names the payment.
function CollectPayment({ visit }: { visit: RecordView }) {
  const { crm, t } = useCrm();
  const [open, setOpen] = useState(false);
  const company = useData(() => crm.settingText("company.currency"), []);
  return (
    <>
      <Button size="large" icon={<PlusOutlined />} onClick={() => setOpen(true)} data-testid="visit-step-payment">
        {t("sales.record_payment")}
      </Button>
      {open && (
        <PaymentDialog
          customer={customerOf(visit)}
          currency={company.data ?? "CNY"}
          onSaved={(payment) => linkToVisit(crm, visit.id, "payment", payment.id)}
          onClose={() => setOpen(false)}
        />
      )}
    </>
  );
}

/// One of the customer's open service requests, or a new one (the usual form).
function ServiceStep({ visit }: { visit: RecordView }) {
  const { crm, t } = useCrm();
  const navigate = useNavigate();
  const customer = customerOf(visit);
  const open = useData(() => crm.list("service_request", { filter: { customer, status: OPEN_STATES }, sort: "due", limit: 50 }), [customer]);
  const [error, setError] = useState<string | null>(null);
  const pick = async (id: string) => {
    setError(null);
    try {
      await linkToVisit(crm, visit.id, "service_request", id);
    } catch (e) {
      setError(errorText(t, e));
    }
  };
  const items = open.data?.items ?? [];
  return (
    <div className="visit-step-row">
      {items.length > 0 && (
        <Select
          size="large"
          className="visit-step-select"
          placeholder={t("visit_step.pick_request")}
          onChange={(v: string) => void pick(v)}
          virtual={false}
          options={items.map((r) => ({ value: r.id, label: String(r.fields.title ?? r.fields.code ?? ""), "data-value": r.id }))}
          data-testid="visit-step-service-pick"
        />
      )}
      <Button size="large" icon={<PlusOutlined />} onClick={() => navigate(madeAtVisit(`/new/service_request/${customer}`, visit.id))} data-testid="visit-step-service-new">
        {t("visit_step.new_request")}
      </Button>
      {error && <Alert type="error" showIcon message={error} role="alert" />}
    </div>
  );
}
