import { useEffect, useMemo, useRef, useState } from "react";
import { CrmError } from "../api";
import type { Candidate, FieldSchema, RecordView } from "../api";
import { clearDraft, FORM_FIELDS, fieldSpec, isDirty, loadDraft, saveDraft, toFields, valuesFrom } from "../forms";
import type { FormValues } from "../forms";
import { dictLabel } from "../i18n";
import { navigate, useCrm } from "../state";
import { errorText, fieldErrorText } from "./errors";

type Errors = Record<string, { reason: string; params: unknown }>;

export function fieldLabel(t: (k: string) => string, kind: string, name: string): string {
  return t(kind === "opportunity" && name === "title" ? "field.opportunity_title" : `field.${name}`);
}

export function RecordForm({ kind, id, customerId }: { kind: string; id?: string; customerId?: string }) {
  const { crm, schema, t, status } = useCrm();
  const [record, setRecord] = useState<RecordView | null>(null);
  const [loaded, setLoaded] = useState(!id);
  const draftKey = id ? `edit:${id}` : `new:${kind}:${customerId ?? ""}`;
  const [values, setValues] = useState<FormValues | null>(null);
  const [restored, setRestored] = useState(false);
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [duplicates, setDuplicates] = useState<Candidate[]>([]);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!id) return;
    crm.get(id).then(
      (r) => {
        setRecord(r);
        setLoaded(true);
      },
      (e) => setFormError(errorText(t, e)),
    );
    // Only once: a merge arriving while the person types must not overwrite the form.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [crm, id]);

  const initial = useMemo(
    () => (schema.length && loaded ? valuesFrom(kind, schema, record) : null),
    [schema, loaded, kind, record],
  );

  // Start from the draft if there is one, otherwise from the record.
  useEffect(() => {
    if (!initial || values) return;
    const draft = loadDraft(draftKey);
    if (draft && isDirty(draft.values, initial)) {
      setValues({ ...initial, ...draft.values });
      setRestored(true);
    } else setValues(initial);
  }, [initial, values, draftKey]);

  // Every change is kept as a draft right away.
  useEffect(() => {
    if (values && initial) {
      if (isDirty(values, initial)) saveDraft(draftKey, values);
      else clearDraft(draftKey);
    }
  }, [values, initial, draftKey]);

  // Duplicate warning while typing a new customer or contact.
  const dupTimer = useRef<ReturnType<typeof setTimeout>>();
  const dupProbe = values ? [values.name, values.phones, values.email].join("|") : "";
  useEffect(() => {
    if (id || !values || !schema.length || (kind !== "customer" && kind !== "contact")) return;
    clearTimeout(dupTimer.current);
    dupTimer.current = setTimeout(() => {
      const probe: FormValues = { name: values.name ?? "", phones: values.phones ?? "", email: values.email ?? "" };
      const { fields } = toFields(kind, schema, probe);
      delete fields.is_primary;
      if (kind === "contact" && customerId) fields.customer = customerId;
      if (!fields.name && !fields.phones && !fields.email) return setDuplicates([]);
      crm.checkDuplicates(kind, fields).then(setDuplicates, () => undefined);
    }, 350);
    return () => clearTimeout(dupTimer.current);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [dupProbe, schema.length]);

  if (!values || !initial) return <p className="page muted">{formError ?? t("common.loading")}</p>;

  const set = (name: string, v: string | boolean) => {
    setValues((old) => ({ ...(old ?? {}), [name]: v }));
    setErrors((e) => {
      const { [name]: _gone, ...rest } = e;
      return rest;
    });
  };

  const after = (saved: RecordView) => {
    clearDraft(draftKey);
    const target = kind === "customer" ? saved.id : String(saved.fields.customer ?? customerId ?? "");
    navigate(`customers/${target}`);
  };

  const submit = async (allowDuplicate = false) => {
    setFormError(null);
    const { fields, errors: local } = toFields(kind, schema, values, id ? initial : undefined);
    if (Object.keys(local).length) {
      setErrors(local);
      setFormError(t("form.fix_errors"));
      return;
    }
    setBusy(true);
    try {
      if (id) {
        after(Object.keys(fields).length ? await crm.update(id, fields) : (record as RecordView));
      } else {
        if (customerId) fields.customer = customerId;
        const result = await crm.create(kind, fields, allowDuplicate);
        if (result.type === "duplicates") setDuplicates(result.candidates);
        else after(result);
      }
    } catch (e) {
      if (e instanceof CrmError && e.code === "validation") {
        setErrors(e.fieldErrors());
        setFormError(t("form.fix_errors"));
      } else setFormError(errorText(t, e));
    } finally {
      setBusy(false);
    }
  };

  const canAssign = status?.identity.role === "admin" || status?.identity.role === "supervisor";
  const shown = (FORM_FIELDS[kind] ?? []).filter((n) => n !== "owner" || canAssign);

  return (
    <div className="page form-page">
      <div className="page-head">
        <button className="link" onClick={() => history.back()}>
          ← {t("common.back")}
        </button>
      </div>
      <h1>{t(id ? `form.edit.${kind}` : `form.new.${kind}`)}</h1>
      {restored && (
        <p className="notice" data-testid="draft-restored">
          {t("form.draft_restored")}{" "}
          <button
            className="link"
            onClick={() => {
              clearDraft(draftKey);
              setValues(initial);
              setRestored(false);
            }}
          >
            {t("form.discard_draft")}
          </button>
        </p>
      )}
      <form
        className="card form"
        data-testid={`form-${kind}`}
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void submit(false);
        }}
      >
        {shown.map((name) => {
          const spec = fieldSpec(schema, kind, name);
          if (!spec) return null;
          const err = errors[name];
          return (
            <div key={name} className={`form-field ${err ? "invalid" : ""} ${spec.type === "notes" ? "wide" : ""}`}>
              <label htmlFor={`f-${name}`}>
                {fieldLabel(t, kind, name)}
                {spec.required && <span className="req"> *</span>}
              </label>
              <Input kind={kind} spec={spec} values={values} set={set} />
              {err && (
                <span className="field-error" role="alert" data-testid={`error-${name}`}>
                  {fieldErrorText(t, err.reason, err.params)}
                </span>
              )}
            </div>
          );
        })}
        {duplicates.length > 0 && (
          <div className="notice wide" data-testid="duplicates">
            <p>{t("form.duplicates")}</p>
            <ul>
              {duplicates.map((c) => (
                <li key={c.id}>
                  <a href={`#/customers/${c.kind === "customer" ? c.id : (customerId ?? "")}`}>{c.title}</a>{" "}
                  <span className="muted small">
                    {t("form.matched", { fields: c.matched.map((m) => t(`field.${m}`)).join("、") })}
                  </span>
                </li>
              ))}
            </ul>
            {!id && (
              <button type="button" onClick={() => submit(true)} data-testid="create-anyway">
                {t("form.create_anyway")}
              </button>
            )}
          </div>
        )}
        {formError && (
          <p className="error wide" role="alert">
            {formError}
          </p>
        )}
        <div className="actions wide">
          <button className="primary big" type="submit" disabled={busy} data-testid="save">
            {t("common.save")}
          </button>
          <button type="button" className="big" onClick={() => history.back()}>
            {t("common.cancel")}
          </button>
        </div>
      </form>
    </div>
  );
}

function Input({
  kind,
  spec,
  values,
  set,
}: {
  kind: string;
  spec: FieldSchema;
  values: FormValues;
  set: (name: string, v: string | boolean) => void;
}) {
  const { t, lang, dicts, users } = useCrm();
  const name = spec.name;
  const v = values[name];
  const text = typeof v === "string" ? v : "";
  const common = { id: `f-${name}`, name, "data-testid": `field-${name}` };
  switch (spec.type) {
    case "boolean":
      return <input type="checkbox" {...common} checked={v === true} onChange={(e) => set(name, e.target.checked)} />;
    case "enum":
      return (
        <select {...common} value={text} onChange={(e) => set(name, e.target.value)}>
          {!spec.required && <option value="">—</option>}
          {spec.choices?.map((c) => (
            <option key={c} value={c}>
              {t(name === "stage" ? `stage.${c}` : `${name}.${c}`)}
            </option>
          ))}
        </select>
      );
    case "dictionary":
      return (
        <select {...common} value={text} onChange={(e) => set(name, e.target.value)}>
          <option value="">—</option>
          {dicts
            .filter((d) => d.fields.dict === spec.dictionary && (d.fields.active !== false || d.fields.code === text))
            .map((d) => (
              <option key={d.id} value={String(d.fields.code)}>
                {dictLabel(lang, dicts, String(spec.dictionary), d.fields.code)}
              </option>
            ))}
        </select>
      );
    case "reference":
      if (spec.kind === "user") {
        return (
          <select {...common} value={text} onChange={(e) => set(name, e.target.value)}>
            <option value="">—</option>
            {users.map((u) => (
              <option key={u.id} value={u.id}>
                {String(u.fields.display_name)}
              </option>
            ))}
          </select>
        );
      }
      return <input {...common} value={text} onChange={(e) => set(name, e.target.value)} />;
    case "money":
      return (
        <span className="money-input">
          <input
            {...common}
            inputMode="decimal"
            placeholder={t("form.amount_hint")}
            value={text}
            onChange={(e) => set(name, e.target.value)}
          />
          <select
            aria-label="currency"
            value={String(values[`${name}__currency`] || "CNY")}
            onChange={(e) => set(`${name}__currency`, e.target.value)}
          >
            {["CNY", "USD", "EUR", "HKD", "JPY"].map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </span>
      );
    case "date":
      return <input {...common} type="date" value={text} onChange={(e) => set(name, e.target.value)} />;
    case "integer":
      return <input {...common} inputMode="numeric" value={text} onChange={(e) => set(name, e.target.value)} />;
    case "notes":
      return <textarea {...common} rows={4} value={text} onChange={(e) => set(name, e.target.value)} />;
    case "phones":
    case "tags":
      return (
        <input
          {...common}
          inputMode={spec.type === "phones" ? "tel" : "text"}
          placeholder={t(spec.type === "phones" ? "form.phones_hint" : "form.tags_hint")}
          value={text}
          onChange={(e) => set(name, e.target.value)}
        />
      );
    case "email":
      return <input {...common} type="email" inputMode="email" value={text} onChange={(e) => set(name, e.target.value)} />;
    default:
      return (
        <input
          {...common}
          value={text}
          maxLength={spec.max_chars}
          autoFocus={name === "name" || (kind === "opportunity" && name === "title")}
          onChange={(e) => set(name, e.target.value)}
        />
      );
  }
}
