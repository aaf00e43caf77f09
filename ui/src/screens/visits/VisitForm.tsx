import { Alert, App as AntApp, Button, DatePicker, Input, InputNumber, Select, TimePicker } from "antd";
import dayjs from "dayjs";
import { useEffect, useMemo, useState } from "react";
import { useNavigate } from "react-router-dom";
import { CrmError } from "../../api";
import type { Json, RecordView } from "../../api";
import { customFieldsWrite, customFormValues, customValuesOf, formCustomFields } from "../../customFields";
import { errorText } from "../../errors";
import { clearDraft, loadDraft, saveDraft } from "../../forms";
import { dictLabel, localDate } from "../../i18n";
import { useCrm, useCustomFields, useData } from "../../state";
import { CustomFieldInputs } from "../../components/CustomFieldInputs";
import { useIsPhone } from "../../components/useIsPhone";
import { Chip, Chips } from "./Chips";
import { DURATIONS, NEXT, createFields, fromDraft, newVisit, updateFields, visitDirty, visitFrom } from "./model";
import type { VisitValues } from "./model";
import { draftKeyOf } from "./visitLinks";
import type { ActivityAbout } from "./visitLinks";

const TYPES = ["visit", "call", "meeting", "email", "sms", "follow_up"];

/// Log a visit — or change one already logged (`activityId`) — in a few taps, for a tablet
/// held in one hand: big choices, the save button within thumb reach at the bottom, and the
/// half-written form kept as a draft. Editing sends only the fields that changed. An activity is
/// about a customer, or logged on a lead (`about`); a lead has no contacts to choose from.
export function VisitForm({ about, activityId }: { about: ActivityAbout; activityId?: string }) {
  const { crm, t } = useCrm();
  const [record, setRecord] = useState<RecordView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const permissions = useData(() => (activityId ? crm.permissions(activityId) : Promise.resolve(null)), [activityId]);

  useEffect(() => {
    if (!activityId) return;
    // Only once: a merge arriving while the person types must not overwrite the form.
    crm.get(activityId).then(setRecord, (e) => setError(errorText(t, e)));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [crm, activityId]);

  if (!activityId) return <VisitFields about={about} />;
  if (error || permissions.error) return <Alert className="page" type="error" message={error ?? errorText(t, permissions.error)} />;
  if (!record || !permissions.data) return <p className="page muted">{t("common.loading")}</p>;
  if (!permissions.data.actions.includes("update") || record.deleted_at) {
    return <Alert className="page" type="warning" showIcon message={t("visit.not_editable")} data-testid="visit-not-editable" />;
  }
  return <VisitFields about={about} record={record} />;
}

function VisitFields({ about, record }: { about: ActivityAbout; record?: RecordView }) {
  const { crm, t, lang, dicts } = useCrm();
  const { message } = AntApp.useApp();
  const navigate = useNavigate();
  const phone = useIsPhone();
  const view = useData(() => (about.kind === "customer" ? crm.customer360(about.id) : Promise.resolve(null)), [about.kind, about.id]);
  const lead = useData(() => (about.kind === "lead" ? crm.get(about.id) : Promise.resolve(null)), [about.kind, about.id]);
  const customFields = useCustomFields("activity");
  const held = useMemo(() => customValuesOf(record?.fields), [record]);
  // A new visit's "now" is taken once; the activity's custom fields follow its own.
  const base = useMemo(() => (record ? visitFrom(record) : newVisit()), [record]);
  const initial = useMemo<VisitValues>(() => ({ ...base, ...customFormValues(customFields, held) }), [base, customFields, held]);
  const draftKey = draftKeyOf(about, record?.id);
  const [state, setState] = useState<VisitValues>(() => {
    const draft = loadDraft(draftKey)?.values;
    return draft ? fromDraft(draft, initial) : initial;
  });
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, { reason: string; params: Json }>>({});
  const [busy, setBusy] = useState(false);

  // Custom fields read after the form was filled start from the record's values.
  useEffect(() => {
    const missing = Object.keys(initial).filter((k) => !(k in state));
    if (missing.length > 0) setState((s) => ({ ...Object.fromEntries(missing.map((k) => [k, initial[k]])), ...s }) as VisitValues);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [initial]);

  useEffect(() => {
    if (visitDirty(state, initial)) saveDraft(draftKey, state);
    else clearDraft(draftKey);
  }, [state, initial, draftKey]);

  const outcomes = dicts.filter((d) => d.fields.dict === "activity_outcome" && d.fields.active !== false);
  const contacts = view.data?.contacts ?? [];
  const set = (k: keyof VisitValues, v: string) => setState((s) => ({ ...s, [k]: v }));
  const setTime = (date: string, clock: string) => setState((s) => ({ ...s, date, clock, time_set: true }));
  const setCustom = (name: string, v: string) => {
    setState((s) => ({ ...s, [name]: v }));
    setFieldErrors(({ [name]: _gone, ...rest }) => rest);
  };

  const save = async () => {
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      const custom = customFieldsWrite(customFields, state, held, record ? initial : undefined);
      if (record) {
        const fields = updateFields(state, initial);
        if (custom !== undefined) fields.custom_fields = custom;
        if (Object.keys(fields).length) await crm.update(record.id, fields);
      } else {
        const fields = createFields(state, about);
        if (custom !== undefined) fields.custom_fields = custom;
        await crm.create("activity", fields, true);
      }
      clearDraft(draftKey);
      message.success(t("form.saved"));
      navigate(-1);
    } catch (e) {
      // Refused custom fields are said by their field; anything else above the buttons.
      const all = e instanceof CrmError && e.code === "validation" ? e.fieldErrors() : {};
      const custom = Object.fromEntries(Object.entries(all).filter(([field]) => field.startsWith("custom_fields.")));
      setFieldErrors(custom);
      const onlyCustom = Object.keys(custom).length > 0 && Object.keys(custom).length === Object.keys(all).length;
      setError(onlyCustom ? t("form.fix_errors") : errorText(t, e));
    } finally {
      setBusy(false);
    }
  };

  const today = localDate(0);
  const yesterday = localDate(-1);
  const forName = about.kind === "customer" ? view.data?.customer.fields.name : lead.data?.fields.name;
  return (
    <div className="page visit" data-testid={record ? "edit-visit-page" : "log-visit-page"}>
      <h1>{t(record ? "visit.edit_title" : "visit.title")}</h1>
      {/* Whom it is for, once that is read (a lead is read on its own: no half-empty line). */}
      {forName != null && (
        <p className="muted" data-testid="visit-for">
          {about.kind === "customer"
            ? t("visit.for", { customer: String(forName) })
            : t("visit.for_lead", { lead: String(forName) })}
        </p>
      )}
      <Chips legend={t("visit.type")}>
        {TYPES.map((ty) => (
          <Chip key={ty} selected={state.type === ty} onClick={() => set("type", ty)} testId={`visit-type-${ty}`}>
            {t(`activity_type.${ty}`)}
          </Chip>
        ))}
      </Chips>
      <Chips legend={t("visit.when")} testId="visit-when">
        <Chip selected={state.date === today} onClick={() => setTime(today, state.clock)} testId="visit-today">
          {t("visit.today")}
        </Chip>
        <Chip selected={state.date === yesterday} onClick={() => setTime(yesterday, state.clock)} testId="visit-yesterday">
          {t("visit.yesterday")}
        </Chip>
        <DatePicker
          aria-label={t("visit.date")}
          size="large"
          inputReadOnly={phone}
          allowClear={false}
          value={state.date ? dayjs(state.date) : null}
          onChange={(d) => d && setTime(d.format("YYYY-MM-DD"), state.clock)}
          data-testid="visit-date"
        />
        <TimePicker
          aria-label={t("visit.time")}
          size="large"
          format="HH:mm"
          minuteStep={5}
          inputReadOnly={phone}
          allowClear={false}
          needConfirm={false}
          value={state.clock ? dayjs(`2000-01-01T${state.clock}`) : null}
          onChange={(d) => d && setTime(state.date, d.format("HH:mm"))}
          data-testid="visit-time"
        />
      </Chips>
      <div className="visit-grid">
        {about.kind === "customer" && (
          <label className="block">
            {t("field.contact")}
            <Select
              size="large"
              allowClear
              placeholder={contacts.length ? t("visit.contact_none") : t("detail.no_contacts")}
              value={state.contact || undefined}
              onChange={(v?: string) => set("contact", v ?? "")}
              options={contacts.map((c) => ({ value: c.id, label: String(c.fields.name ?? ""), "data-value": c.id }))}
              virtual={false}
              data-testid="visit-contact"
            />
          </label>
        )}
        <label className="block">
          {t("field.place")}
          <Input
            size="large"
            maxLength={200}
            value={state.place}
            onChange={(e) => set("place", e.target.value)}
            data-testid="visit-place"
          />
        </label>
      </div>
      <Chips legend={t("field.duration_minutes")} testId="visit-duration">
        {DURATIONS.map((m) => (
          <Chip
            key={m}
            selected={state.duration === String(m)}
            onClick={() => set("duration", state.duration === String(m) ? "" : String(m))}
            testId={`visit-duration-${m}`}
          >
            {t("visit.minutes", { minutes: m })}
          </Chip>
        ))}
        <InputNumber
          aria-label={t("field.duration_minutes")}
          size="large"
          min={0}
          max={1440}
          precision={0}
          inputMode="numeric"
          controls={false}
          addonAfter={t("visit.min")}
          value={state.duration === "" ? null : Number(state.duration)}
          onChange={(n) => set("duration", n === null ? "" : String(n))}
          className="duration-input"
          data-testid="visit-duration-input"
        />
      </Chips>
      <Chips legend={t("visit.outcome")}>
        {outcomes.map((o) => {
          const code = String(o.fields.code);
          return (
            <Chip
              key={o.id}
              selected={state.outcome === code}
              onClick={() => set("outcome", state.outcome === code ? "" : code)}
              testId={`visit-outcome-${code}`}
            >
              {dictLabel(lang, dicts, "activity_outcome", code)}
            </Chip>
          );
        })}
      </Chips>
      <label className="block">
        {t("field.subject")}
        <Input
          size="large"
          maxLength={200}
          placeholder={t("visit.subject_hint")}
          value={state.subject}
          onChange={(e) => set("subject", e.target.value)}
          data-testid="visit-subject"
        />
      </label>
      <label className="block">
        {t("visit.notes")}
        <Input.TextArea
          autoSize={{ minRows: 5 }}
          value={state.notes}
          onChange={(e) => set("notes", e.target.value)}
          data-testid="visit-notes"
        />
      </label>
      <Chips legend={t("visit.next")}>
        <Chip selected={state.next === ""} onClick={() => set("next", "")}>
          {t("visit.next_none")}
        </Chip>
        {NEXT.map((n) => {
          const date = localDate(n.days);
          return (
            <Chip key={n.days} selected={state.next === date} onClick={() => set("next", date)} testId={`visit-next-${n.days}`}>
              {t(n.key, { days: n.days })}
            </Chip>
          );
        })}
        <DatePicker
          aria-label={t("visit.next")}
          size="large"
          inputReadOnly
          value={state.next ? dayjs(state.next) : null}
          onChange={(d) => set("next", d ? d.format("YYYY-MM-DD") : "")}
          data-testid="visit-next-date"
        />
      </Chips>
      {formCustomFields(customFields, held).length > 0 && (
        <div className="visit-grid" data-testid="visit-custom-fields">
          <CustomFieldInputs kind="activity" values={state} held={held} set={setCustom} errors={fieldErrors} />
        </div>
      )}
      {error && <Alert type="error" showIcon message={error} role="alert" />}
      <div className="thumb-bar">
        <Button size="large" onClick={() => navigate(-1)}>
          {t("common.cancel")}
        </Button>
        <Button type="primary" size="large" loading={busy} onClick={save} data-testid="visit-save">
          {t("visit.save")}
        </Button>
      </div>
    </div>
  );
}
