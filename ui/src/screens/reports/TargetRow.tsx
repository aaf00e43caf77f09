// One person's targets for a month: four boxes (won and collected in yuan, visits and new
// customers as whole numbers) and a save of its own — a `create` of the person's
// `sales_target`, which updates the month's one record when there is one. Boxes that hold no
// amount or number are named before anything is sent; the core's refusals by field, any other
// in words, and the server's later refusal as the row's mark.

import { App as AntApp, Button, Input } from "antd";
import { useState } from "react";
import type { Item } from "../../api";
import { useCrm, userName } from "../../state";
import { RowMarks } from "../../components/RowStatus";
import type { RowMark } from "../../components/RowStatus";
import { useRefusableSave } from "../../components/useRefusableSave";
import { fieldErrorText } from "../../errors";
import { MONEY_MEASURES, TARGET_MEASURES, targetChanged, targetFields, targetValues } from "./targets";
import type { TargetMeasure, TargetValues } from "./targets";

export function TargetRow({
  person,
  month,
  record,
  currency,
  mark,
}: {
  person: Item;
  month: string;
  record: Item | undefined;
  currency: string;
  mark: RowMark | undefined;
}) {
  const { crm, t, users } = useCrm();
  const { message } = AntApp.useApp();
  const saved = targetValues(record?.fields);
  const [values, setValues] = useState<TargetValues>(saved);
  const { busy, errors, other, setErrors, run } = useRefusableSave();
  const name = userName(users, person.id);
  const changed = targetChanged(values, saved);
  // A record's money keeps its own currency; a new one is in the company's.
  const moneyCurrency = (m: TargetMeasure) => {
    const v = record?.fields[m];
    return v && typeof v === "object" && !Array.isArray(v) && typeof v.currency === "string" ? v.currency : currency;
  };

  const save = () =>
    run(async () => {
      const { fields, errors: typed } = targetFields(person.id, month, values, record ? saved : null, currency);
      for (const m of MONEY_MEASURES) {
        const v = fields[m];
        if (v && typeof v === "object" && !Array.isArray(v)) v.currency = moneyCurrency(m);
      }
      if (Object.keys(typed).length > 0) {
        setErrors(Object.fromEntries(Object.entries(typed).map(([m, reason]) => [m, fieldErrorText(t, reason, null)])));
        return;
      }
      await crm.create("sales_target", fields);
      message.success(t("targets.saved", { name }));
    });

  return (
    <div className="target-row" role="row" data-testid="target-row" data-owner={person.id} data-saved={record ? "1" : "0"}>
      <div className="target-person" role="cell">
        <strong>{name}</strong>
        <RowMarks mark={mark} kind="sales_target" />
      </div>
      {TARGET_MEASURES.map((m) => {
        const money = MONEY_MEASURES.includes(m);
        const label = t(`targets.measure.${m}`);
        return (
          <label key={m} className="target-box" role="cell">
            <span className="target-label">{label}</span>
            <Input
              aria-label={`${name} · ${label}`}
              inputMode={money ? "decimal" : "numeric"}
              placeholder={money ? t("targets.amount_hint") : t("targets.count_hint")}
              prefix={money ? <span className="muted">{moneyCurrency(m) === "CNY" ? "¥" : moneyCurrency(m)}</span> : undefined}
              value={values[m]}
              status={errors[m] ? "error" : undefined}
              onChange={(e) => setValues({ ...values, [m]: e.target.value })}
              onPressEnter={() => changed && !busy && save()}
              data-testid={`target-${m}`}
            />
            {errors[m] && (
              <span className="error small" data-testid="target-error" data-field={m}>
                {errors[m]}
              </span>
            )}
          </label>
        );
      })}
      <div className="target-save" role="cell">
        <Button type={changed ? "primary" : "default"} disabled={!changed} loading={busy} onClick={save} data-testid="target-save">
          {t("common.save")}
        </Button>
      </div>
      {other && (
        <p className="error target-other" data-testid="target-refused">
          {other}
        </p>
      )}
    </div>
  );
}
