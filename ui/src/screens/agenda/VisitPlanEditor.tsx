import { ArrowDownOutlined, ArrowLeftOutlined, ArrowUpOutlined, DeleteOutlined, PlusOutlined } from "@ant-design/icons";
import { Alert, App as AntApp, Button, DatePicker, Input, Popconfirm, Select } from "antd";
import dayjs from "dayjs";
import { useEffect, useState } from "react";
import { useNavigate } from "react-router-dom";
import type { Fields, RecordView } from "../../api";
import { errorText } from "../../errors";
import { localDate } from "../../i18n";
import { useCrm, useData } from "../../state";
import { CustomerPicker } from "../../components/RecordPickers";
import { useIsPhone } from "../../components/useIsPhone";
import { loadVisitTypes, visitTypeName } from "../visits/visitTypes";
import { move, newStop, stopFrom, stopsField } from "./plan";
import type { StopDraft } from "./plan";

/// A visit plan (#/calendar/plan/new, #/calendar/plan/<id>): a title and the customers to see,
/// each on a day with a note and the kind of visit planned, in the order to visit (up / down); saved as the whole list with
/// the version it was read at. Its stops show on the calendar.
export function VisitPlanEditor({ id }: { id?: string }) {
  const { crm, t } = useCrm();
  const [record, setRecord] = useState<RecordView | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    // Only once: a merge arriving while the person edits must not overwrite the form.
    if (id) crm.get(id).then(setRecord, (e) => setError(errorText(t, e)));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [crm, id]);
  if (error) return <Alert className="page" type="error" message={error} />;
  if (id && !record) return <p className="page muted">{t("common.loading")}</p>;
  return <PlanFields record={record ?? undefined} />;
}

function PlanFields({ record }: { record?: RecordView }) {
  const { crm, t, lang } = useCrm();
  const types = useData(() => loadVisitTypes(crm), []).data ?? [];
  const { message } = AntApp.useApp();
  const navigate = useNavigate();
  const phone = useIsPhone();
  const f = record?.fields ?? {};
  const [title, setTitle] = useState(String(f.title ?? ""));
  const [notes, setNotes] = useState(String(f.notes ?? ""));
  const [stops, setStops] = useState<StopDraft[]>(() =>
    Array.isArray(f.stops) && f.stops.length > 0 ? (f.stops as Fields[]).map(stopFrom) : [newStop(localDate(0))],
  );
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const change = (i: number, part: Partial<StopDraft>) => setStops((all) => all.map((s, j) => (j === i ? { ...s, ...part } : s)));
  const add = () => setStops((all) => [...all, newStop(all[all.length - 1]?.date || localDate(0))]);

  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      const fields: Fields = { title: title.trim(), stops: stopsField(stops), notes: notes.trim() || null };
      if (record) await crm.update(record.id, fields, record.version);
      else await crm.create("visit_plan", fields, true);
      message.success(t("form.saved"));
      navigate("/calendar");
    } catch (e) {
      setError(errorText(t, e));
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    if (!record) return;
    try {
      await crm.remove(record.id);
      navigate("/calendar");
    } catch (e) {
      setError(errorText(t, e));
    }
  };

  return (
    <div className="page visit plan-page" data-testid="visit-plan-page">
      <div className="page-head">
        <Button type="link" icon={<ArrowLeftOutlined />} onClick={() => navigate(-1)}>
          {t("common.back")}
        </Button>
      </div>
      <h1>{t(record ? "plan.edit_title" : "plan.new_title")}</h1>
      <label className="block">
        {t("plan.name")}
        <Input size="large" maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} data-testid="plan-title" />
      </label>
      <h2>{t("plan.stops")}</h2>
      <ol className="plan-stops" data-testid="plan-stops">
        {stops.map((s, i) => (
          <li key={s.key} className="plan-stop" data-testid="plan-stop" data-row={i}>
            <span className="plan-stop-number">{i + 1}</span>
            <DatePicker
              aria-label={t("plan.date")}
              size="large"
              inputReadOnly={phone}
              allowClear={false}
              value={s.date ? dayjs(s.date) : null}
              onChange={(d) => d && change(i, { date: d.format("YYYY-MM-DD") })}
              data-testid="plan-stop-date"
            />
            <div className="plan-stop-customer">
              <CustomerPicker value={s.customer || undefined} onChange={(v) => change(i, { customer: v ?? "" })} data-testid="plan-stop-customer" />
            </div>
            <Input
              size="large"
              maxLength={200}
              placeholder={t("plan.note")}
              aria-label={t("plan.note")}
              value={s.note}
              onChange={(e) => change(i, { note: e.target.value })}
              className="plan-stop-note"
              data-testid="plan-stop-note"
            />
            {types.length > 0 && (
              <Select
                size="large"
                className="plan-stop-type"
                aria-label={t("plan.visit_type")}
                value={s.visitType}
                onChange={(v: string) => change(i, { visitType: v })}
                popupMatchSelectWidth={false}
                virtual={false}
                options={[
                  { value: "", label: t("visit_type.none"), "data-value": "none" },
                  // A retired type stays on the stop that has it, not offered for others.
                  ...types
                    .filter((v) => v.fields.active !== false || v.id === s.visitType)
                    .map((v) => ({ value: v.id, label: visitTypeName(lang, v), "data-value": v.id })),
                ]}
                data-testid="plan-stop-type"
              />
            )}
            <span className="plan-stop-actions">
              <Button size="large" icon={<ArrowUpOutlined />} aria-label={t("plan.up")} title={t("plan.up")} disabled={i === 0} onClick={() => setStops((all) => move(all, i, -1))} data-testid="plan-stop-up" />
              <Button
                size="large"
                icon={<ArrowDownOutlined />}
                aria-label={t("plan.down")}
                title={t("plan.down")}
                disabled={i === stops.length - 1}
                onClick={() => setStops((all) => move(all, i, 1))}
                data-testid="plan-stop-down"
              />
              <Button size="large" danger icon={<DeleteOutlined />} aria-label={t("common.delete")} title={t("common.delete")} onClick={() => setStops((all) => all.filter((_, j) => j !== i))} data-testid="plan-stop-delete" />
            </span>
          </li>
        ))}
      </ol>
      <Button size="large" icon={<PlusOutlined />} onClick={add} data-testid="plan-add-stop">
        {t("plan.add_stop")}
      </Button>
      <label className="block">
        {t("field.notes")}
        <Input.TextArea autoSize={{ minRows: 2 }} value={notes} onChange={(e) => setNotes(e.target.value)} data-testid="plan-notes" />
      </label>
      {error && <Alert type="error" showIcon message={error} role="alert" />}
      <div className="thumb-bar">
        {record && (
          <Popconfirm title={t("detail.confirm_delete")} onConfirm={remove}>
            <Button size="large" danger data-testid="plan-delete">
              {t("common.delete")}
            </Button>
          </Popconfirm>
        )}
        <Button size="large" onClick={() => navigate(-1)}>
          {t("common.cancel")}
        </Button>
        <Button type="primary" size="large" loading={busy} onClick={save} data-testid="plan-save">
          {t("common.save")}
        </Button>
      </div>
    </div>
  );
}
