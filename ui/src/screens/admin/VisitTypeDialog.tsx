// A visit type, new or changed: its names in both languages and the actions a visit of it asks
// for, in the order the visit screen shows them — each required or offered, photos with how
// many, moved up or down, removed. The core checks every value; its refusals are shown by the
// box they are about.

import { ArrowDownOutlined, ArrowUpOutlined, DeleteOutlined, PlusOutlined } from "@ant-design/icons";
import { Button, Input, InputNumber, Select, Switch } from "antd";
import { useState } from "react";
import type { RecordView } from "../../api";
import { fieldRefusals } from "../../errors";
import { useCrm } from "../../state";
import { FormField } from "../../components/FormField";
import { FormDialog } from "../../components/FormDialog";
import { move } from "../agenda/plan";
import { MAX_PHOTOS, VISIT_ACTIONS, actionsField, actionsFrom, newAction } from "../visits/visitTypes";
import type { ActionDraft, VisitActionName } from "../visits/visitTypes";
import { entryPlace, nextSortOrder } from "./model";

/// A new type starts as every visit does: check in, then check out.
const STARTER: VisitActionName[] = ["check_in", "check_out"];

export function VisitTypeDialog({ type, types, onClose, onDone }: { type?: RecordView; types: RecordView[]; onClose: () => void; onDone: (label: string) => void }) {
  const { crm, t } = useCrm();
  const [name, setName] = useState(String(type?.fields.name ?? ""));
  const [nameEn, setNameEn] = useState(String(type?.fields.name_en ?? ""));
  const [actions, setActions] = useState<ActionDraft[]>(() => (type ? actionsFrom(type.fields) : STARTER.map(newAction)));
  const [adding, setAdding] = useState<VisitActionName | undefined>();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [other, setOther] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const change = (i: number, part: Partial<ActionDraft>) => setActions((all) => all.map((a, j) => (j === i ? { ...a, ...part } : a)));
  const add = (action: VisitActionName) => {
    // A new action goes before the check-out, where a visit does it.
    setActions((all) => {
      const out = all.findIndex((a) => a.action === "check_out");
      const at = out < 0 ? all.length : out;
      return [...all.slice(0, at), newAction(action), ...all.slice(at)];
    });
    setAdding(undefined);
  };
  const unused = VISIT_ACTIONS.filter((a) => !actions.some((x) => x.action === a));

  const save = async () => {
    setBusy(true);
    setErrors({});
    setOther(null);
    try {
      const fields = { name: name.trim(), name_en: nameEn.trim() || null, actions: actionsField(actions) };
      if (type) await crm.update(type.id, fields, type.version);
      else await crm.create("visit_type", { ...fields, sort_order: nextSortOrder(types.map(entryPlace)), active: true }, true);
      onDone(name.trim());
    } catch (e) {
      const r = fieldRefusals(t, e);
      setErrors(r.fields);
      setOther(r.other);
    } finally {
      setBusy(false);
    }
  };

  return (
    <FormDialog
      title={type ? t("visit_type.edit_title", { name: String(type.fields.name ?? "") }) : t("visit_type.new")}
      onOk={() => void save()}
      onClose={onClose}
      busy={busy}
      testId={{ ok: "visit-type-dialog-ok", form: "visit-type-form" }}
      refusal={other}
    >
      <FormField id="visit-type-name" label={t("admin.label_zh")} required error={errors.name}>
        <Input id="visit-type-name" maxLength={200} value={name} onChange={(e) => setName(e.target.value)} status={errors.name ? "error" : undefined} data-testid="visit-type-name" />
      </FormField>
      <FormField id="visit-type-name-en" label={t("admin.label_en")} error={errors.name_en}>
        <Input id="visit-type-name-en" maxLength={200} value={nameEn} onChange={(e) => setNameEn(e.target.value)} data-testid="visit-type-name-en" />
      </FormField>
      <FormField id="visit-type-actions" label={t("visit_type.actions")} error={errors.actions} hint={t("visit_type.actions_hint")}>
        <ol className="visit-type-actions" id="visit-type-actions" data-testid="visit-type-actions">
          {actions.map((a, i) => (
            <li key={a.key} className="visit-type-action" data-testid="visit-type-action" data-action={a.action}>
              <strong className="visit-type-action-name">{t(`visit_action.${a.action}`)}</strong>
              {a.action === "photos" && (
                <label className="visit-type-min">
                  {t("visit_type.min")}
                  <InputNumber
                    min={1}
                    max={MAX_PHOTOS}
                    precision={0}
                    value={a.min}
                    onChange={(v) => change(i, { min: typeof v === "number" ? v : 1 })}
                    data-testid="visit-type-min"
                  />
                </label>
              )}
              <label className="visit-type-required">
                <Switch checked={a.required} onChange={(v) => change(i, { required: v })} data-testid="visit-type-required" />
                {t("visit_type.required")}
              </label>
              <span className="visit-type-action-buttons">
                <Button icon={<ArrowUpOutlined />} aria-label={t("plan.up")} title={t("plan.up")} disabled={i === 0} onClick={() => setActions((all) => move(all, i, -1))} data-testid="visit-type-up" />
                <Button
                  icon={<ArrowDownOutlined />}
                  aria-label={t("plan.down")}
                  title={t("plan.down")}
                  disabled={i === actions.length - 1}
                  onClick={() => setActions((all) => move(all, i, 1))}
                  data-testid="visit-type-down"
                />
                <Button danger icon={<DeleteOutlined />} aria-label={t("common.delete")} title={t("common.delete")} onClick={() => setActions((all) => all.filter((_, j) => j !== i))} data-testid="visit-type-remove" />
              </span>
            </li>
          ))}
        </ol>
      </FormField>
      {unused.length > 0 && (
        <div className="visit-type-add">
          <Select
            className="visit-type-add-select"
            value={adding}
            onChange={setAdding}
            placeholder={t("visit_type.add_action")}
            virtual={false}
            options={unused.map((a) => ({ value: a, label: t(`visit_action.${a}`), "data-value": a }))}
            data-testid="visit-type-add-select"
          />
          <Button icon={<PlusOutlined />} disabled={!adding} onClick={() => adding && add(adding)} data-testid="visit-type-add">
            {t("visit_type.add_action")}
          </Button>
        </div>
      )}
    </FormDialog>
  );
}
