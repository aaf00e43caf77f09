// A contract's payment plan: its periods (due date, amount, note), edited in place and saved as
// the whole list with the version it was read at (periods keep their ids, so two people's edits
// of different periods merge, and a period someone added while this was open stays).
// Whether the periods add up to the contract's total is the core's to say: signing a contract
// whose plan does not is refused with both figures, shown on the contract's page.

import { DeleteOutlined, PlusOutlined } from "@ant-design/icons";
import { App as AntApp, Alert, Button, Card, DatePicker, Input } from "antd";
import dayjs from "dayjs";
import { useEffect, useState } from "react";
import type { Fields, Json, RecordView } from "../../api";
import { CrmError } from "../../api";
import { errorText, fieldErrorText } from "../../errors";
import { formatDate, formatMoney } from "../../i18n";
import { useCrm } from "../../state";
import { currencyOf, emptyPeriod, minorOf, periodFromItem, planRequest, splitRefusal } from "./model";
import type { PeriodDraft } from "./model";

export function PlanEditor({ record, editable }: { record: RecordView; editable: boolean }) {
  const { crm, t, lang } = useCrm();
  const { message } = AntApp.useApp();
  const currency = currencyOf(record.fields);
  const saved = JSON.stringify(record.fields.plan ?? []);
  const fromRecord = () => ((Array.isArray(record.fields.plan) ? record.fields.plan : []) as Fields[]).map((p) => periodFromItem(p, currency));
  const [editing, setEditing] = useState(false);
  // The version the periods being edited were read at.
  const [base, setBase] = useState(record.version);
  const [periods, setPeriods] = useState<PeriodDraft[]>(fromRecord);
  const [errors, setErrors] = useState<Record<number, Record<string, string>>>({});
  const [other, setOther] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const total = minorOf(record.fields.total);
  // What the saved plan adds up to, as the core derives it (`planned`).
  const planned = minorOf(record.fields.planned);
  const plan = (Array.isArray(record.fields.plan) ? record.fields.plan : []) as Fields[];

  // What others saved shows while nobody here is editing.
  useEffect(() => {
    if (!editing) setPeriods(fromRecord());
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [saved, editing]);

  const set = (key: string, change: Partial<PeriodDraft>) => setPeriods((old) => old.map((p) => (p.key === key ? { ...p, ...change } : p)));

  const save = async () => {
    const r = planRequest(periods, currency);
    setOther(null);
    if (Object.keys(r.errors).length) {
      setErrors(Object.fromEntries(Object.entries(r.errors).map(([row, parts]) => [row, Object.fromEntries(Object.entries(parts).map(([p, reason]) => [p, fieldErrorText(t, reason, null)]))])));
      return;
    }
    setBusy(true);
    try {
      await crm.update(record.id, { plan: r.plan as unknown as Json }, base);
      setErrors({});
      setEditing(false);
      message.success(t("form.saved"));
    } catch (e) {
      const split = splitRefusal(e, "plan", r.index);
      setErrors(Object.fromEntries(Object.entries(split.rows).map(([row, parts]) => [row, Object.fromEntries(Object.entries(parts).map(([p, x]) => [p, fieldErrorText(t, x.reason, x.params)]))])));
      setOther(e instanceof CrmError && e.code === "validation" && Object.keys(split.fields).length === 0 ? null : errorText(t, e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card
      title={t("field.plan")}
      data-testid="plan"
      extra={
        editable &&
        !editing && (
          <Button onClick={() => {
            setBase(record.version);
            setPeriods(fromRecord());
            setEditing(true);
          }} data-testid="plan-edit">
            {t("common.edit")}
          </Button>
        )
      }
    >
      {total !== null && (
        <p className="small" data-testid="plan-planned" data-minor={planned ?? ""} data-total={total}>
          {t("sales.plan_planned", { planned: formatMoney(lang, { minor: planned ?? 0, currency }), total: formatMoney(lang, { minor: total, currency }) })}
        </p>
      )}
      {total !== null && <p className="muted small">{t("sales.plan_hint", { total: formatMoney(lang, { minor: total, currency }) })}</p>}
      {!editing && plan.length === 0 && <p className="muted">{t("sales.plan_none")}</p>}
      {!editing && plan.length > 0 && (
        <ul className="list" data-testid="plan-periods">
          {plan.map((p, i) => (
            <li key={typeof p.id === "string" ? p.id : i} className="row" data-testid="plan-period" data-row={i}>
              <span className="row-main">
                <strong className="money" data-testid="plan-period-amount" data-minor={typeof p.amount === "number" ? p.amount : ""}>
                  {typeof p.amount === "number" ? formatMoney(lang, { minor: p.amount, currency }) : ""}
                </strong>
                <span className="muted small">{[typeof p.due === "string" ? formatDate(lang, p.due) : null, p.note].filter(Boolean).join(" · ")}</span>
              </span>
            </li>
          ))}
        </ul>
      )}
      {editing && (
        <div className="plan-edit" data-testid="plan-editor">
          {periods.map((p, i) => (
            <div key={p.key} className="plan-row" data-testid="plan-row" data-row={i}>
              <div className="line-box">
                <label className="muted small" htmlFor={`plan-${p.key}-due`}>
                  {t("field.due")}
                </label>
                <DatePicker
                  id={`plan-${p.key}-due`}
                  inputReadOnly
                  value={p.due ? dayjs(p.due) : null}
                  onChange={(d) => set(p.key, { due: d ? d.format("YYYY-MM-DD") : "" })}
                  status={errors[i]?.due ? "error" : undefined}
                  data-testid="plan-due"
                />
                {errors[i]?.due && <span className="field-error">{errors[i].due}</span>}
              </div>
              <div className="line-box">
                <label className="muted small" htmlFor={`plan-${p.key}-amount`}>
                  {t("sales.amount_in", { currency })}
                </label>
                <Input id={`plan-${p.key}-amount`} inputMode="decimal" value={p.amount} onChange={(e) => set(p.key, { amount: e.target.value })} status={errors[i]?.amount ? "error" : undefined} data-testid="plan-amount" />
                {errors[i]?.amount && <span className="field-error">{errors[i].amount}</span>}
              </div>
              <div className="line-box plan-note">
                <label className="muted small" htmlFor={`plan-${p.key}-note`}>
                  {t("sales.plan_note")}
                </label>
                <Input id={`plan-${p.key}-note`} maxLength={200} value={p.note} onChange={(e) => set(p.key, { note: e.target.value })} data-testid="plan-note" />
              </div>
              <Button
                type="text"
                danger
                icon={<DeleteOutlined />}
                aria-label={t("sales.remove_period")}
                title={t("sales.remove_period")}
                onClick={() => setPeriods((old) => old.filter((x) => x.key !== p.key))}
                data-testid="plan-remove"
              />
              {errors[i]?.["*"] && <span className="field-error">{errors[i]["*"]}</span>}
            </div>
          ))}
          <div className="actions">
            <Button icon={<PlusOutlined />} onClick={() => setPeriods((old) => [...old, emptyPeriod()])} data-testid="plan-add">
              {t("sales.add_period")}
            </Button>
          </div>
          {other && <Alert type="error" showIcon message={other} />}
          <div className="actions">
            <Button type="primary" loading={busy} onClick={() => void save()} data-testid="plan-save">
              {t("common.save")}
            </Button>
            <Button
              onClick={() => {
                setEditing(false);
                setErrors({});
                setOther(null);
              }}
            >
              {t("common.cancel")}
            </Button>
          </div>
        </div>
      )}
    </Card>
  );
}
