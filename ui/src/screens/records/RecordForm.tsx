import { ArrowLeftOutlined } from "@ant-design/icons";
import { Alert, Button, Card } from "antd";
import { useEffect, useMemo, useRef, useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { CrmError } from "../../api";
import type { Candidate, RecordView } from "../../api";
import { errorText, fieldErrorText } from "../../errors";
import { customFieldsWrite, customFormValues, customValuesOf } from "../../customFields";
import { clearDraft, FORM_FIELDS, MARKDOWN_FIELDS, fieldSpec, isDirty, loadDraft, saveDraft, toFields, valuesFrom } from "../../forms";
import type { FormValues } from "../../forms";
import { useCrm, useCustomFields, useData, useRole } from "../../state";
import { CustomFieldInputs } from "../../components/CustomFieldInputs";
import { Markdown } from "../../components/Markdown";
import { FieldInput, fieldLabel } from "./FieldInput";
import { linkToVisit, visitPath } from "../visits/visitLinks";

type Errors = Record<string, { reason: string; params: unknown }>;

/// Create or edit a customer, contact, opportunity, service request, lead, article or campaign. Editing shows only the
/// fields the core says this person may change (`permissions`); a new record may get an owner
/// only from a supervisor or admin. The kind's custom fields follow the built-in ones. `visit`:
/// a new service request opened at that visit — the visit names it and saving leads back there.
export function RecordForm({ kind, id, customerId, visit }: { kind: string; id?: string; customerId?: string; visit?: string }) {
  const { crm, schema, t } = useCrm();
  const { isLead } = useRole();
  const navigate = useNavigate();
  const [record, setRecord] = useState<RecordView | null>(null);
  const [loaded, setLoaded] = useState(!id);
  const permissions = useData(() => (id ? crm.permissions(id) : Promise.resolve(null)), [id]);
  const draftKey = id ? `edit:${id}` : `new:${kind}:${customerId ?? ""}`;
  const [values, setValues] = useState<FormValues | null>(null);
  const [restored, setRestored] = useState(false);
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [duplicates, setDuplicates] = useState<Candidate[]>([]);
  const [busy, setBusy] = useState(false);
  const customFields = useCustomFields(kind);
  const held = useMemo(() => customValuesOf(record?.fields), [record]);

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

  const initial = useMemo(() => {
    if (!schema.length || !loaded) return null;
    const v: FormValues = { ...valuesFrom(kind, schema, record), ...customFormValues(customFields, held) };
    // A record started from a customer's page belongs to that customer (its contacts are offered).
    if (!id && customerId && "customer" in v) v.customer = customerId;
    return v;
  }, [schema, loaded, kind, record, id, customerId, customFields, held]);

  // Start from the draft if there is one, otherwise from the record.
  useEffect(() => {
    if (!initial || values) return;
    const draft = loadDraft(draftKey);
    if (draft && isDirty(draft.values, initial)) {
      setValues({ ...initial, ...draft.values });
      setRestored(true);
    } else setValues(initial);
  }, [initial, values, draftKey]);

  // Custom fields defined (or read) after the form was filled start from the record's values.
  useEffect(() => {
    if (!initial || !values) return;
    const missing = Object.keys(initial).filter((k) => !(k in values));
    if (missing.length > 0) setValues((v) => ({ ...Object.fromEntries(missing.map((k) => [k, initial[k]])), ...v }));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [initial]);

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

  if (!values || !initial || (id && !permissions.data)) {
    return <p className="page muted">{formError ?? (permissions.error ? errorText(t, permissions.error) : t("common.loading"))}</p>;
  }

  const set = (name: string, v: string | boolean) => {
    // Another customer's contacts are not this one's; another kind's filter is not this one's.
    setValues((old) => ({
      ...(old ?? {}),
      [name]: v,
      ...(name === "customer" && old && "contact" in old ? { contact: "" } : {}),
      ...(name === "target_kind" && old && "target_filter" in old ? { target_filter: "" } : {}),
    }));
    setErrors((e) => {
      const { [name]: _gone, ...rest } = e;
      return rest;
    });
  };

  const after = async (saved: RecordView) => {
    clearDraft(draftKey);
    if (visit && !id && kind === "service_request") {
      await linkToVisit(crm, visit, kind, saved.id);
      return navigate(visitPath(visit), { replace: true });
    }
    if (kind === "service_request") return navigate(`/service/${saved.id}`, { replace: true });
    if (kind === "lead") return navigate(`/leads/${saved.id}`, { replace: true });
    if (kind === "article") return navigate(`/knowledge/${saved.id}`, { replace: true });
    if (kind === "campaign") return navigate(`/campaigns/${saved.id}`, { replace: true });
    const target = kind === "customer" ? saved.id : String(saved.fields.customer ?? customerId ?? "");
    navigate(`/customers/${target}`);
  };

  const submit = async (allowDuplicate = false) => {
    setFormError(null);
    const { fields, errors: local } = toFields(kind, schema, values, id ? initial : undefined);
    if (Object.keys(local).length) {
      setErrors(local);
      setFormError(t("form.fix_errors"));
      return;
    }
    const custom = customFieldsWrite(customFields, values, held, id ? initial : undefined);
    if (custom !== undefined) fields.custom_fields = custom;
    setBusy(true);
    try {
      if (id) {
        await after(Object.keys(fields).length ? await crm.update(id, fields) : (record as RecordView));
      } else {
        if (customerId) fields.customer = customerId;
        const result = await crm.create(kind, fields, allowDuplicate);
        if (result.type === "duplicates") setDuplicates(result.candidates);
        else await after(result);
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

  const editable = permissions.data?.editable_fields;
  const shown = (FORM_FIELDS[kind] ?? [])
    .filter((n) => (editable ? editable.includes(n) : n !== "owner" || isLead))
    // Why an opportunity was lost is asked once it is lost (or kept if already written).
    .filter((n) => n !== "loss_reason" || values.stage === "lost" || !!values.loss_reason)
    // A record's customer is chosen only when it is made outside a customer's page.
    .filter((n) => n !== "customer" || (!id && !customerId));
  const duplicateNotice = duplicates.length > 0 && (
    <div className="wide" data-testid="duplicates">
      <Alert
        type="warning"
        showIcon
        message={t("form.duplicates")}
        description={
          <>
            <ul className="dup-list">
              {duplicates.map((c) => (
                <li key={c.id}>
                  <Link to={`/customers/${c.kind === "customer" ? c.id : (customerId ?? "")}`}>{c.title}</Link>{" "}
                  <span className="muted small">
                    {t("form.matched", { fields: c.matched.map((m) => t(`field.${m}`)).join("、") })}
                  </span>
                </li>
              ))}
            </ul>
            {!id && (
              <Button onClick={() => submit(true)} data-testid="create-anyway">
                {t("form.create_anyway")}
              </Button>
            )}
          </>
        }
      />
    </div>
  );

  return (
    <div className="page form-page">
      <div className="page-head">
        <Button type="link" icon={<ArrowLeftOutlined />} onClick={() => navigate(-1)}>
          {t("common.back")}
        </Button>
      </div>
      <h1>{t(id ? `form.edit.${kind}` : `form.new.${kind}`)}</h1>
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
      <Card className="form-card">
        <form
          className="form"
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
            return [
              <div key={name} className={`form-field ${err ? "invalid" : ""} ${spec.type === "notes" ? "wide" : ""}`}>
                <label htmlFor={`f-${name}`}>
                  {fieldLabel(t, kind, name)}
                  {spec.required && <span className="req"> *</span>}
                </label>
                <FieldInput kind={kind} spec={spec} values={values} set={set} invalid={!!err} />
                {err && (
                  <span className="field-error" role="alert" data-testid={`error-${name}`}>
                    {fieldErrorText(t, err.reason, err.params)}
                  </span>
                )}
              </div>,
              // The duplicate warning right under the name, where the eye is while typing.
              name === "name" && duplicateNotice,
              // Markdown as it will read, under its box.
              MARKDOWN_FIELDS[kind]?.includes(name) && (
                <div key={`${name}-preview`} className="wide markdown-preview" aria-label={t("form.preview")}>
                  <span className="muted small">{t("form.preview")}</span>
                  <Markdown source={typeof values[name] === "string" ? (values[name] as string) : ""} testId={`preview-${name}`} />
                </div>
              ),
            ];
          })}
          <CustomFieldInputs
            kind={kind}
            values={values}
            held={held}
            set={set}
            errors={errors}
            readOnly={!!editable && !editable.includes("custom_fields")}
          />
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
  );
}
