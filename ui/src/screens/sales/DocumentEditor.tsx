// Write a quote, contract or order: its customer and header, its lines (products found as their
// name is typed, priced by the core for this customer and quantity, stock shown at once; or a
// line typed freely), a whole-document discount, and the figures as the core works them out
// while typing (`totals`). Beside it (below on a phone) what the customer bought before, to add
// again in one tap. Saving sends only what changed; an edit sends the lines as the person sees
// them when they changed, with the version they were read at (`base`, kept in the draft too), so
// lines others added or changed meanwhile stay. A record is read once, so what arrives while
// typing does not overwrite the boxes; a part of a line two people changed is chosen on the line.

import { ArrowLeftOutlined } from "@ant-design/icons";
import { Alert, Button, Card, DatePicker, Input, Select } from "antd";
import dayjs from "dayjs";
import { useEffect, useMemo, useState } from "react";
import { useNavigate } from "react-router-dom";
import type { Bought, Fields, Json, RecordView, Totals } from "../../api";
import { CrmError } from "../../api";
import { errorText, fieldErrorText } from "../../errors";
import { currencyDigits, parseMoney } from "../../i18n";
import { clearDraft, loadDraft, saveDraft } from "../../forms";
import { useCrm, useData } from "../../state";
import { FormField } from "../../components/FormField";
import { ContactSelect, CustomerPicker } from "../../components/RecordPickers";
import { CURRENCIES } from "../records/FieldInput";
import { LineEditor } from "./LineEditor";
import { TotalsBox } from "./LinesView";
import { Balances, BoughtList } from "./PurchaseHistory";
import { DOC_FIELDS, amountInput, currencyOf, docPath, emptyLine, isBlankLine, lineFromItem, linesChanged, linesRequest, newKey, partInput, splitRefusal } from "./model";
import type { DocKind, LineDraft } from "./model";
import { useProducts } from "./useProducts";
import { linkToVisit, visitPath } from "../visits/visitLinks";

type Values = Record<string, string>;

const HEADER_TEXT = ["title", "delivery_address"];
const DATES = ["valid_until", "start_date", "end_date"];

/// The boxes of a document's header from a record (or empty ones).
function headerValues(kind: DocKind, record: RecordView | null, customer: string | undefined): Values {
  const v: Values = { customer: customer ?? "", currency: "CNY", discount: "" };
  if (!record) return v;
  const f = record.fields;
  v.customer = typeof f.customer === "string" ? f.customer : "";
  v.currency = currencyOf(f);
  v.discount = typeof f.discount === "number" && f.discount !== 0 ? amountInput(f.discount, v.currency) : "";
  for (const name of DOC_FIELDS[kind]) {
    const x = f[name];
    v[name] = x === null || x === undefined ? (v[name] ?? "") : String(x);
  }
  return v;
}

/// `visit`: a new order taken at that visit — it names the visit, the visit names it, and
/// saving leads back to the visit.
export function DocumentEditor({ kind, id, customerId, visit }: { kind: DocKind; id?: string; customerId?: string; visit?: string }) {
  const { crm, t } = useCrm();
  const navigate = useNavigate();
  const products = useProducts();
  const permissions = useData(() => (id ? crm.permissions(id) : Promise.resolve(null)), [id]);
  const [record, setRecord] = useState<RecordView | null>(null);
  const [initial, setInitial] = useState<{ values: Values; lines: LineDraft[] } | null>(id ? null : { values: headerValues(kind, null, customerId), lines: [] });
  const [values, setValues] = useState<Values>(() => headerValues(kind, null, customerId));
  const [lines, setLines] = useState<LineDraft[]>(() => [emptyLine()]);
  const [figures, setFigures] = useState<Totals | null>(null);
  const [pending, setPending] = useState(false);
  const [lineErrors, setLineErrors] = useState<Record<number, Record<string, string>>>({});
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // Whom it is for, said under the title when the customer came with the address.
  const chosen = useData(() => (customerId && !id ? crm.get(customerId) : Promise.resolve(null)), [customerId, id]);

  const draftKey = id ? `sales-edit:${id}` : `sales-new:${kind}:${customerId ?? ""}`;
  const [restored, setRestored] = useState(false);
  // The version the boxes hold: the record's when read, a restored draft's when it has one.
  const [base, setBase] = useState<string | undefined>(undefined);
  // Start from what was typed and not saved, if anything (kept as the person types, so a
  // document survives leaving the page, closing the app or a flat battery).
  const start = (v: Values, saved: LineDraft[], version?: string) => {
    const draft = readDraft(draftKey);
    setBase(version);
    if (draft && isDirtyDoc(draft, { values: v, lines: saved })) {
      setValues(draft.values);
      setLines(draft.lines.length ? draft.lines : [emptyLine()]);
      if (draft.version) setBase(draft.version);
      setRestored(true);
    } else {
      setValues(v);
      setLines(saved.length ? saved : [emptyLine()]);
    }
  };
  // The record once: what arrives while the person types does not overwrite the boxes.
  useEffect(() => {
    if (!id) {
      start(headerValues(kind, null, customerId), []);
      return;
    }
    crm.get(id).then(
      (r) => {
        const v = headerValues(kind, r, undefined);
        const saved = (Array.isArray(r.fields.lines) ? r.fields.lines : []).map((l) => lineFromItem(l as Fields, v.currency));
        setRecord(r);
        start(v, saved, r.version);
        setInitial({ values: v, lines: saved });
      },
      (e) => setFormError(errorText(t, e)),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [crm, id]);

  // Every change kept as a draft at once; none once nothing differs from the start.
  useEffect(() => {
    if (!initial) return;
    if (isDirtyDoc({ values, lines }, initial)) saveDraft(draftKey, { doc: JSON.stringify({ values, lines, version: base }) });
    else clearDraft(draftKey);
  }, [values, lines, initial, draftKey, base]);

  const currency = values.currency || "CNY";
  const digits = currencyDigits(currency);
  const request = useMemo(() => linesRequest(lines, currency), [lines, currency]);
  const discountText = (values.discount ?? "").trim();
  const discount = discountText === "" ? 0 : parseMoney(discountText, digits);

  // The figures by the core's rule, as the lines are typed; what it refuses is said on the line.
  useEffect(() => {
    const local: Record<number, Record<string, string>> = {};
    for (const [row, errs] of Object.entries(request.errors)) {
      local[Number(row)] = Object.fromEntries(Object.entries(errs).map(([part, reason]) => [part, fieldErrorText(t, reason, null)]));
    }
    const discountError = discount === null ? fieldErrorText(t, "invalid_amount", null) : null;
    if (Object.keys(local).length || discountError) {
      setLineErrors(local);
      setFieldErrors((old) => ({ ...withoutKey(old, "discount"), ...(discountError ? { discount: discountError } : {}) }));
      setFigures(null);
      return;
    }
    setPending(true);
    let live = true;
    const timer = setTimeout(() => {
      crm.totals(request.lines, discount ?? 0).then(
        (r) => {
          if (!live) return;
          setFigures(r);
          setLineErrors({});
          setFieldErrors((old) => withoutKey(old, "discount"));
          setPending(false);
        },
        (e) => {
          if (!live) return;
          const split = splitRefusal(e, "lines", request.index);
          setLineErrors(wordRows(t, split.rows));
          setFieldErrors((old) => ({ ...withoutKey(old, "discount"), ...(split.fields.discount ? { discount: fieldErrorText(t, split.fields.discount.reason, split.fields.discount.params) } : {}) }));
          setFigures(null);
          setPending(false);
        },
      );
    }, 200);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [crm, t, request, discount]);

  const amounts = useMemo(() => {
    const out: Record<number, number> = {};
    figures?.lines.forEach((l, i) => (out[request.index[i]] = l.amount));
    return out;
  }, [figures, request]);

  const editable = permissions.data?.editable_fields;
  const may = (field: string) => !editable || editable.includes(field);
  const set = (name: string, v: string) => {
    setValues((old) => ({ ...old, [name]: v, ...(name === "customer" ? { contact: "" } : {}) }));
    setFieldErrors((old) => withoutKey(old, name));
  };

  // Keep one of the values two people gave a line's part: settled in the record, and the box
  // shows it (as saved, so it is not sent again).
  const resolve = async (item: string, part: string, value: Json) => {
    try {
      const view = await crm.resolveConflict(id!, `lines.${item}.${part}`, value);
      setRecord(view);
      const text = partInput(part, value, currency);
      const apply = (ls: LineDraft[]) =>
        ls.map((l) => (l.id !== item ? l : part === "product" ? { ...l, product: typeof value === "string" ? value : undefined } : { ...l, [part]: text }));
      setLines(apply);
      setInitial((old) => old && { ...old, lines: apply(old.lines) });
    } catch (e) {
      setFormError(errorText(t, e));
    }
  };

  const addBought = (b: Bought) => {
    if (!b.product) return;
    setLines((old) => [
      // An empty row left at the end gives way to the product.
      ...old.filter((l, i) => !(i === old.length - 1 && isBlankLine(l))),
      { ...emptyLine(), key: newKey(), product: b.product!, name: b.name, unit: b.unit ?? "", quantity: "1", fill: true },
    ]);
  };

  const save = async () => {
    if (!initial) return;
    setFormError(null);
    const local = Object.keys(request.errors).length > 0 || discount === null;
    if (local) {
      setFormError(t("form.fix_errors"));
      return;
    }
    const fields: Fields = {};
    const header = ["customer", ...DOC_FIELDS[kind]];
    for (const name of header) {
      const v = (values[name] ?? "").trim();
      if (id) {
        if (v !== (initial.values[name] ?? "").trim() && may(name)) fields[name] = v === "" ? null : name === "notes" ? values[name] : v;
      } else if (v !== "") fields[name] = name === "notes" ? values[name] : v;
    }
    const oldDiscount = (initial.values.discount ?? "").trim();
    if (!id ? discount : discountText !== oldDiscount) fields.discount = discount === 0 && id ? null : discount;
    if (!id ? request.lines.length > 0 : linesChanged(lines, initial.lines)) fields.lines = request.lines as unknown as Json;
    setBusy(true);
    try {
      let view: RecordView;
      if (id) view = Object.keys(fields).length ? await crm.update(id, fields, base) : record!;
      else {
        const atVisit = kind === "order" && visit ? visit : null;
        const made = await crm.create(kind, atVisit ? { ...fields, visit: atVisit } : fields);
        if (made.type !== "record") throw new CrmError("validation", "duplicates");
        view = made;
        if (atVisit) {
          await linkToVisit(crm, atVisit, kind, view.id);
          clearDraft(draftKey);
          navigate(visitPath(atVisit), { replace: true });
          return;
        }
      }
      clearDraft(draftKey);
      navigate(docPath(kind, view.id), { replace: true });
    } catch (e) {
      const split = splitRefusal(e, "lines", request.index);
      if (e instanceof CrmError && e.code === "validation") {
        setLineErrors(wordRows(t, split.rows));
        setFieldErrors(Object.fromEntries(Object.entries(split.fields).map(([f, x]) => [f, fieldErrorText(t, x.reason, x.params)])));
        setFormError(t("form.fix_errors"));
      } else setFormError(errorText(t, e));
    } finally {
      setBusy(false);
    }
  };

  if (!initial || (id && !permissions.data)) {
    return <p className="page muted">{formError ?? (permissions.error ? errorText(t, permissions.error) : t("common.loading"))}</p>;
  }
  const status = typeof record?.fields.status === "string" ? record.fields.status : null;
  const customerName = record?.names[values.customer] ?? chosen.data?.fields.name;
  const customer = values.customer || undefined;
  const readOnlyLines = !!editable && !editable.includes("lines");

  const header = (name: string) => {
    if (!may(name)) return null;
    const common = { id: `d-${name}`, "data-testid": `doc-${name}`, status: fieldErrors[name] ? ("error" as const) : undefined };
    let input;
    if (name === "contact") input = <ContactSelect id={common.id} data-testid={common["data-testid"]} customer={customer} value={values.contact || undefined} onChange={(v) => set("contact", v ?? "")} />;
    else if (DATES.includes(name))
      input = <DatePicker {...common} className="full-width" inputReadOnly value={values[name] ? dayjs(values[name]) : null} onChange={(d) => set(name, d ? d.format("YYYY-MM-DD") : "")} />;
    else if (name === "currency")
      input = (
        <Select
          {...common}
          value={currency}
          onChange={(c: string) => set("currency", c)}
          options={[...new Set([...CURRENCIES, currency])].map((c) => ({ value: c, label: c, "data-value": c }))}
          virtual={false}
        />
      );
    else if (name === "notes") input = <Input.TextArea {...common} autoSize={{ minRows: 3 }} value={values.notes ?? ""} onChange={(e) => set("notes", e.target.value)} />;
    else input = <Input {...common} value={values[name] ?? ""} onChange={(e) => set(name, e.target.value)} />;
    return (
      <FormField key={name} id={common.id} label={t(HEADER_TEXT.includes(name) || DATES.includes(name) ? `sales.field.${name}` : `field.${name}`)} error={fieldErrors[name]} className={name === "notes" ? "wide" : ""}>
        {input}
      </FormField>
    );
  };

  return (
    <div className="page doc-editor-page">
      <div className="page-head">
        <Button type="link" icon={<ArrowLeftOutlined />} onClick={() => navigate(-1)}>
          {t("common.back")}
        </Button>
      </div>
      <h1>{id ? t(`sales.edit.${kind}`, { code: String(record?.fields.code ?? "") }) : t(`sales.new.${kind}`)}</h1>
      {customerName && (id || customerId) ? (
        <p className="muted" data-testid="doc-for">
          {t("visit.for", { customer: String(customerName) })}
        </p>
      ) : null}
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
                  setBase(record?.version);
                  setValues(initial.values);
                  setLines(initial.lines.length ? initial.lines : [emptyLine()]);
                  setRestored(false);
                }}
              >
                {t("form.discard_draft")}
              </Button>
            }
          />
        </div>
      )}
      {(status === "approved" || status === "sent") && (
        <div data-testid="edit-unapproves">
          <Alert type="warning" showIcon message={t("sales.edit_unapproves")} />
        </div>
      )}
      <div className="doc-editor">
        <div className="doc-main">
          <Card className="form-card">
            <form
              className="form"
              data-testid={`form-${kind}`}
              noValidate
              onSubmit={(e) => {
                e.preventDefault();
                void save();
              }}
            >
              {!id && !customerId && (
                <FormField id="d-customer" label={t("field.customer")} required error={fieldErrors.customer} className="wide">
                  <CustomerPicker id="d-customer" data-testid="doc-customer" value={customer} invalid={!!fieldErrors.customer} onChange={(v) => set("customer", v ?? "")} />
                </FormField>
              )}
              {DOC_FIELDS[kind].filter((n) => n !== "notes").map(header)}
              <div className="wide">
                <h2>{t("field.lines")}</h2>
                {readOnlyLines ? (
                  <p className="muted">{t("sales.lines_read_only")}</p>
                ) : (
                  <LineEditor
                    lines={lines}
                    setLines={setLines}
                    currency={currency}
                    customer={customer}
                    products={products}
                    amounts={amounts}
                    errors={lineErrors}
                    record={record}
                    onResolve={id ? (item, part, value) => void resolve(item, part, value) : undefined}
                  />
                )}
                {fieldErrors.lines && (
                  <span className="field-error" role="alert">
                    {fieldErrors.lines}
                  </span>
                )}
              </div>
              {may("discount") && (
                <FormField id="d-discount" label={t("sales.whole_discount")} hint={t("sales.whole_discount_hint")} error={fieldErrors.discount}>
                  <Input id="d-discount" inputMode="decimal" value={values.discount ?? ""} status={fieldErrors.discount ? "error" : undefined} onChange={(e) => set("discount", e.target.value)} data-testid="doc-discount" />
                </FormField>
              )}
              <div>
                <TotalsBox
                  currency={currency}
                  subtotal={figures?.subtotal ?? null}
                  discount={figures?.discount ?? null}
                  tax={figures?.tax ?? null}
                  total={figures?.total ?? null}
                  excludingTax={figures?.total_excluding_tax ?? null}
                  listTotal={figures?.list_total ?? null}
                  pending={pending}
                />
              </div>
              {header("notes")}
              {formError && (
                <div className="wide">
                  <Alert type="error" showIcon message={formError} role="alert" />
                </div>
              )}
              <div className="actions wide">
                <Button type="primary" size="large" htmlType="submit" loading={busy} data-testid="save">
                  {t("common.save")}
                </Button>
                <Button size="large" onClick={() => navigate(-1)}>
                  {t("common.cancel")}
                </Button>
              </div>
            </form>
          </Card>
        </div>
        {customer && (kind === "order" || kind === "quote") && <HistoryAside customer={customer} onAdd={readOnlyLines ? undefined : addBought} />}
      </div>
    </div>
  );
}

/// What the customer bought and owes, beside the form.
function HistoryAside({ customer, onAdd }: { customer: string; onAdd?: (b: Bought) => void }) {
  const { crm, t } = useCrm();
  const history = useData(() => crm.purchaseHistory(customer), [customer]);
  return (
    <aside className="doc-aside">
      <Card title={t("sales.customer_history")} data-testid="editor-history">
        {!history.data && <p className="muted">{history.error ? errorText(t, history.error) : t("common.loading")}</p>}
        {history.data && (
          <>
            <Balances balances={history.data.balances} />
            <h3 className="owner-head section">{t("sales.bought")}</h3>
            <BoughtList products={history.data.products} onAdd={onAdd} />
          </>
        )}
      </Card>
    </aside>
  );
}

function withoutKey<V>(o: Record<string, V>, key: string): Record<string, V> {
  const { [key]: _gone, ...rest } = o;
  return rest;
}

/// Each row's refusals in words.
function wordRows(t: ReturnType<typeof useCrm>["t"], rows: Record<number, Record<string, { reason: string; params: Json }>>) {
  return Object.fromEntries(
    Object.entries(rows).map(([row, parts]) => [row, Object.fromEntries(Object.entries(parts).map(([part, x]) => [part, fieldErrorText(t, x.reason, x.params)]))]),
  ) as Record<number, Record<string, string>>;
}

interface DocDraft {
  values: Values;
  lines: LineDraft[];
  /// The version of the record the draft was typed over (absent for a new document).
  version?: string;
}

/// A document typed and not saved (`forms.ts` keeps drafts in `localStorage`).
function readDraft(key: string): DocDraft | null {
  const raw = loadDraft(key)?.values.doc;
  if (typeof raw !== "string") return null;
  try {
    const d = JSON.parse(raw) as DocDraft;
    return d && typeof d.values === "object" && Array.isArray(d.lines) ? d : null;
  } catch {
    return null;
  }
}

/// Whether what is typed differs from what the form started with (rows left empty aside).
function isDirtyDoc(now: DocDraft, start: DocDraft): boolean {
  const keys = new Set([...Object.keys(now.values), ...Object.keys(start.values)]);
  return [...keys].some((k) => (now.values[k] ?? "").trim() !== (start.values[k] ?? "").trim()) || linesChanged(now.lines, start.lines);
}
