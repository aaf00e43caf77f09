// One quote, contract or order: its header, lines and figures (from the record), the steps
// the core offers this person (submit, approve, send, accept, sign, confirm, ship …) with its
// reasons in words when it refuses one — each line a quote needs approval for, what no longer
// holds on an order, a payment plan that does not add up —, a contract made from an accepted
// quote, a contract's payment plan, the payments and invoices of a contract or order, and the
// document as a PDF the core makes (offline too).

import { DollarOutlined, EditOutlined, FileDoneOutlined, FilePdfOutlined, FileTextOutlined } from "@ant-design/icons";
import { Alert, Button, Card } from "antd";
import type { ReactNode } from "react";
import { useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import type { Item, Json, Need, RecordView } from "../../api";
import { errorText } from "../../errors";
import { saveBase64 } from "../../files";
import { formatDate, formatDateTime, localDate } from "../../i18n";
import { useCrm, useData, useRole, userName } from "../../state";
import { DetailFrame, DetailPending } from "../../components/DetailFrame";
import { StateTag } from "../../components/RecordStatus";
import { useRowMarks } from "../../components/RowStatus";
import { TransitionButtons } from "../../components/Transitions";
import { LinesView } from "./LinesView";
import { InvoiceDialog, InvoiceRow, PaymentDialog, PaymentRow } from "./MoneyRows";
import { PlanEditor } from "./PlanEditor";
import { currencyOf, docPath, minorOf, moneyRefusal, needsOf, needsWords } from "./model";
import type { DocKind } from "./model";
import { useProducts } from "./useProducts";

/// The fields shown under a document's details, by kind, after its customer and contact.
const SHOWN: Record<DocKind, string[]> = {
  quote: ["title", "valid_until", "currency", "owner", "submitted_at", "approved_by", "approved_at", "reject_reason", "sent_at", "accepted_at"],
  contract: ["title", "quote", "start_date", "end_date", "signed_date", "currency", "owner", "void_reason"],
  order: ["contract", "ordered_at", "delivery_address", "currency", "owner", "confirmed_by", "confirmed_at", "shipped_at", "cancel_reason"],
};
const PEOPLE = ["owner", "approved_by", "confirmed_by"];
const TIMES = ["submitted_at", "approved_at", "sent_at", "accepted_at", "confirmed_at", "shipped_at", "ordered_at"];
const DATES = ["valid_until", "start_date", "end_date", "signed_date"];
const LINKS: Record<string, DocKind> = { quote: "quote", contract: "contract" };

export function DocumentDetail({ kind, id }: { kind: DocKind; id: string }) {
  const { crm, t, lang, users } = useCrm();
  const { canWrite } = useRole();
  const navigate = useNavigate();
  const view = useData(() => crm.get(id), [id]);
  const permissions = useData(() => crm.permissions(id), [id]);
  const products = useProducts();
  // A refusal of the last step taken here, kept in view until the next one.
  const [refusal, setRefusal] = useState<unknown>(null);
  const [making, setMaking] = useState(false);
  const [printing, setPrinting] = useState(false);
  // The contracts made from a quote (a second one is not offered).
  // What a draft quote would need approval for if sent as it stands, asked again as records change.
  const needs = useData(() => (kind === "quote" ? crm.approvalNeeds(id) : Promise.resolve([])), [kind, id]);
  const made = useData(() => (kind === "quote" ? crm.list("contract", { filter: { quote: id }, limit: 20 }).then((p) => p.items) : Promise.resolve([])), [kind, id]);

  if (view.error || !view.data) return <DetailPending error={view.error} />;
  const r = view.data;
  const f = r.fields;
  const status = typeof f.status === "string" ? f.status : null;
  const actions = permissions.data?.actions ?? [];
  const customerId = String(f.customer ?? "");
  const productName = (pid: string) => String(products?.find((p) => p.id === pid)?.fields.name ?? "");
  const describe = (e: unknown): ReactNode => <Refusal e={e} record={r} productName={productName} />;

  const pdf = async () => {
    setPrinting(true);
    try {
      const file = await crm.documentPdf(id);
      saveBase64(file.name, file.data, file.content_type);
    } catch (e) {
      setRefusal(e);
    } finally {
      setPrinting(false);
    }
  };

  const makeContract = async () => {
    setMaking(true);
    setRefusal(null);
    try {
      const contract = await crm.contractFromQuote(id);
      navigate(docPath("contract", contract.id));
    } catch (e) {
      setRefusal(e);
    } finally {
      setMaking(false);
    }
  };

  const shown = (name: string): ReactNode => {
    const v = f[name];
    if (v === null || v === undefined || v === "") return null;
    if (PEOPLE.includes(name)) return userName(users, v, r.names);
    if (TIMES.includes(name)) return formatDateTime(lang, String(v));
    if (DATES.includes(name)) return formatDate(lang, String(v));
    if (LINKS[name])
      return (
        <Link className="field-link" to={docPath(LINKS[name], String(v))} data-testid={`doc-link-${name}`}>
          {r.names[String(v)] ?? t(`kind.${name}`)}
        </Link>
      );
    return String(v);
  };

  return (
    <DetailFrame
      record={r}
      testId="doc-detail"
      data={{ "data-kind": kind, "data-approval-needs": needs.data ? needs.data.length : "" }}
      title={String(f.code ?? "")}
      titleTestId="doc-code"
      subtitle={[t(`kind.${kind}`), kind !== "order" ? f.title : null].filter(Boolean).join(" · ")}
      status={<StateTag kind={kind} state={status} testId="doc-status" />}
      actions={
        <>
          {!r.deleted_at && (
            <TransitionButtons
              kind={kind}
              id={id}
              offers={permissions.data?.transitions ?? []}
              onRefused={setRefusal}
              describe={describe}
              prefill={{ sign: { signed_date: localDate() } }}
              onDone={() => setRefusal(null)}
            />
          )}
          {kind === "quote" && status === "accepted" && canWrite && made.data?.length === 0 && (
            <Button type="primary" icon={<FileDoneOutlined />} loading={making} onClick={() => void makeContract()} data-testid="make-contract">
              {t("sales.make_contract")}
            </Button>
          )}
          <Button icon={<FilePdfOutlined />} loading={printing} onClick={() => void pdf()} data-testid="doc-pdf">
            {t("sales.pdf")}
          </Button>
          {actions.includes("update") && !r.deleted_at && (
            <Button icon={<EditOutlined />} onClick={() => navigate(`${docPath(kind, id)}/edit`)} data-testid="edit-doc">
              {t("common.edit")}
            </Button>
          )}
        </>
      }
      notices={
        <>
          {refusal !== null && (
            <div data-testid="doc-refusal">
              <Alert type="error" showIcon closable onClose={() => setRefusal(null)} message={describe(refusal)} />
            </div>
          )}
          {kind === "quote" && status === "draft" && !r.deleted_at && needs.data && needs.data.length > 0 && (
            <div data-testid="approval-needs">
              <Alert type="warning" showIcon message={<NeedsList needs={needs.data} record={r} productName={productName} />} />
            </div>
          )}
          {kind === "quote" && status === "draft" && f.approved_by && (
            <div data-testid="approval-stale">
              <Alert type="info" showIcon message={t("sales.approval_stale")} />
            </div>
          )}
        </>
      }
      gridClassName="doc-grid"
    >
      <Card title={t("detail.fields")}>
        <dl className="fields">
          <div className="field-row" data-field="customer">
            <dt>{t("field.customer")}</dt>
            <dd>
              <Link className="field-link" to={`/customers/${customerId}`} data-testid="doc-customer">
                {r.names[customerId] ?? customerId}
              </Link>
            </dd>
          </div>
          {typeof f.contact === "string" && f.contact && (
            <div className="field-row" data-field="contact">
              <dt>{t("field.contact")}</dt>
              <dd>{r.names[f.contact] ?? ""}</dd>
            </div>
          )}
          {SHOWN[kind].map((name) => {
            const value = shown(name);
            return value ? (
              <div key={name} className="field-row" data-field={name}>
                <dt>{t(`sales.field.${name}`)}</dt>
                <dd data-testid={`doc-field-${name}`}>{value}</dd>
              </div>
            ) : null;
          })}
          {typeof f.notes === "string" && f.notes && (
            <div className="field-row" data-field="notes">
              <dt>{t("field.notes")}</dt>
              <dd className="notes">{f.notes}</dd>
            </div>
          )}
        </dl>
      </Card>
      <Card title={t("field.lines")} className="doc-lines" data-testid="doc-lines">
        <LinesView record={r} canResolve={actions.includes("resolve_conflict")} products={products} />
      </Card>
      {kind === "contract" && <PlanEditor record={r} editable={(permissions.data?.editable_fields ?? []).includes("plan") && !r.deleted_at} />}
      {kind === "quote" && <QuoteContracts contracts={made.data ?? []} />}
      {(kind === "contract" || kind === "order") && (
        <DocumentMoney record={r} kind={kind} mayRecord={actions.includes("update") || (permissions.data?.role === "finance" && !r.deleted_at)} />
      )}
    </DetailFrame>
  );
}

/// A refusal in words: the reasons a quote needs approval or an order no longer holds, each
/// with the line it is about; a plan or an invoice that does not add up, with the figures.
function Refusal({ e, record, productName }: { e: unknown; record: RecordView; productName: (id: string) => string }) {
  const { t, lang } = useCrm();
  const f = record.fields;
  const currency = currencyOf(f);
  const needs = needsOf(e);
  const lines = (Array.isArray(f.lines) ? f.lines : []) as { id?: string; name?: Json; product?: Json }[];
  if (needs.length === 0) return <span data-testid="refusal-text">{moneyRefusal(t, lang, e, currency) ?? errorText(t, e)}</span>;
  const words = needsWords(t, lang, needs, lines, currency, productName);
  const approval = e instanceof Error && (e as { code?: string }).code === "approval_required";
  return (
    <div data-testid="needs">
      <strong>{errorText(t, e)}</strong>
      <ul className="needs-list">
        {words.map((w, i) => (
          <li key={i} data-testid="need" data-code={w.code}>
            {w.line && <strong>{w.line}: </strong>}
            {w.text}
          </li>
        ))}
      </ul>
      {approval && <span className="muted small">{t("sales.submit_hint")}</span>}
    </div>
  );
}

/// Before anything is pressed: "needs approval" and why, in the words a refusal of `send` uses.
function NeedsList({ needs, record, productName }: { needs: Need[]; record: RecordView; productName: (id: string) => string }) {
  const { t, lang } = useCrm();
  const f = record.fields;
  const lines = (Array.isArray(f.lines) ? f.lines : []) as { id?: string; name?: Json; product?: Json }[];
  const words = needsWords(t, lang, needs, lines, currencyOf(f), productName);
  return (
    <div>
      <strong>{t("sales.needs_approval")}</strong>
      <ul className="needs-list">
        {words.map((w, i) => (
          <li key={i} data-testid="approval-need" data-code={w.code}>
            {w.line && <strong>{w.line}: </strong>}
            {w.text}
          </li>
        ))}
      </ul>
      <span className="muted small">{t("sales.submit_hint")}</span>
    </div>
  );
}

/// The contracts made from this quote.
function QuoteContracts({ contracts }: { contracts: Item[] }) {
  const { t } = useCrm();
  if (contracts.length === 0) return null;
  return (
    <Card title={t("sales.contracts_made")}>
      <ul className="list">
        {contracts.map((c) => (
          <li key={c.id} className="row">
            <Link className="row-main" to={docPath("contract", c.id)} data-testid="quote-contract">
              <strong>{String(c.fields.code ?? "")}</strong>
            </Link>
            <StateTag kind="contract" state={String(c.fields.status ?? "")} />
          </li>
        ))}
      </ul>
    </Card>
  );
}

/// A contract's or order's payments and invoices, and recording one or asking for one.
function DocumentMoney({ record, kind, mayRecord }: { record: RecordView; kind: "contract" | "order"; mayRecord: boolean }) {
  const { crm, t } = useCrm();
  const field = kind === "contract" ? "contract" : "sales_order";
  const payments = useData(() => crm.list("payment", { filter: { [field]: record.id }, sort: "received_on", desc: true, limit: 100, names: true }), [record.id]);
  const invoices = useData(() => crm.list("invoice", { filter: { [field]: record.id }, sort: "created_at", desc: true, limit: 100, names: true }), [record.id]);
  const marks = useRowMarks([...(payments.data?.items ?? []), ...(invoices.data?.items ?? [])].map((x) => x.id));
  const [dialog, setDialog] = useState<"payment" | "invoice" | null>(null);
  const customer = String(record.fields.customer ?? "");
  const currency = currencyOf(record.fields);
  const document = { field, id: record.id } as const;
  return (
    <>
      <Card
        title={t("sales.payments")}
        data-testid="doc-payments"
        extra={
          mayRecord && (
            <Button icon={<DollarOutlined />} onClick={() => setDialog("payment")} data-testid="record-payment">
              {t("sales.record_payment")}
            </Button>
          )
        }
      >
        {payments.data?.items.length === 0 && <p className="muted">{t("sales.no_payments")}</p>}
        <ul className="list">
          {payments.data?.items.map((p) => (
            <PaymentRow key={p.id} payment={p} showDocument={false} mark={marks.get(p.id)} />
          ))}
        </ul>
      </Card>
      <Card
        title={t("sales.invoices")}
        data-testid="doc-invoices"
        extra={
          mayRecord && (
            <Button icon={<FileTextOutlined />} onClick={() => setDialog("invoice")} data-testid="request-invoice">
              {t("sales.request_invoice")}
            </Button>
          )
        }
      >
        {invoices.data?.items.length === 0 && <p className="muted">{t("sales.no_invoices")}</p>}
        <ul className="list">
          {invoices.data?.items.map((i) => (
            <InvoiceRow key={i.id} invoice={i} showDocument={false} mark={marks.get(i.id)} />
          ))}
        </ul>
      </Card>
      {dialog === "payment" && <PaymentDialog customer={customer} document={document} currency={currency} onClose={() => setDialog(null)} />}
      {dialog === "invoice" && (
        <InvoiceDialog customer={customer} document={document} currency={currency} total={minorOf(record.fields.total)} onClose={() => setDialog(null)} />
      )}
    </>
  );
}
