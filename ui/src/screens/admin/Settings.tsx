// Company settings and grade rules (admins only). Each is one record per subject — a setting
// per key, a rule per grade — made or changed with `create`, which writes into the subject's
// record when it exists; an empty box means the default. The company's words (name, time zone,
// currency, invoice details) are settings too, in `text` rather than `value`. The core
// validates every value and its refusals are shown by the box they are about.

import { App as AntApp, Alert, Button, Card, Input, InputNumber } from "antd";
import type { ReactNode } from "react";
import { useEffect, useState } from "react";
import type { GradeRule, Item } from "../../api";
import { fieldRefusals } from "../../errors";
import { dictLabel } from "../../i18n";
import { useCrm, useData } from "../../state";
import { FormField } from "../../components/FormField";
import { Suggest } from "../../components/Suggest";
import { useRefusableSave } from "../../components/useRefusableSave";

/// The settings an admin keeps (docs/api.md, kind `setting`): numbers, and the company's words.
const SETTING_KEYS = [
  "service.reopen_below",
  "pool.max_owned",
  "sales.approval_discount_bp",
  "sales.approval_amount",
  "sales.approval_free_lines",
  "visit.check_in_tolerance_m",
];
const COMPANY_KEYS = ["company.name", "company.timezone", "company.currency", "company.tax_id", "company.invoice_address", "company.bank_account"];
/// How long each of the company's words may be (the core checks again).
const COMPANY_MAX: Record<string, number> = { "company.name": 200, "company.tax_id": 40, "company.invoice_address": 200, "company.bank_account": 200 };
/// Currencies offered first; any ISO 4217 code may be typed.
const CURRENCIES = ["CNY", "USD", "EUR", "HKD", "JPY", "GBP", "TWD", "SGD", "KRW", "AUD", "CAD", "CHF"];
/// Time zones offered where the browser cannot list its own.
const COMMON_ZONES = ["Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo", "Asia/Seoul", "Asia/Kolkata", "Asia/Dubai", "Europe/London", "Europe/Berlin", "Europe/Paris", "Europe/Moscow", "America/New_York", "America/Chicago", "America/Los_Angeles", "America/Sao_Paulo", "Australia/Sydney", "UTC"];
/// A grade rule's day counts, in the order they are asked for.
const DAYS = ["churn_days", "churn_warning_days", "recycle_days", "recycle_warning_days"];

type Values = Record<string, number | null>;
type Errors = Record<string, string>;

export function Settings() {
  return (
    <div className="admin-settings" data-testid="admin-settings-form">
      <Company />
      <CompanySettings />
      <GradeRules />
    </div>
  );
}

/// The IANA time zones this browser knows, or a list of common ones.
function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  try {
    const zones = intl.supportedValuesOf?.("timeZone");
    if (zones && zones.length > 0) return zones.includes("UTC") ? zones : [...zones, "UTC"];
  } catch {
    // An older engine: the common ones below.
  }
  return COMMON_ZONES;
}

/// The company's name, time zone, currency and what invoices print (纳税人识别号, 地址电话,
/// 开户行及账号): words, each written into its key's one record; an empty box is the default.
function Company() {
  const { crm, t } = useCrm();
  const records = useData(() => crm.list("setting", { limit: 50 }).then((p) => p.items), []);
  const stored = (key: string) => {
    const text = records.data?.find((r) => r.fields.key === key)?.fields.text;
    return typeof text === "string" ? text : "";
  };
  const [draft, setDraft] = useState<Record<string, string>>({});
  const saving = useSaveEach();
  const [zones] = useState(timeZones);
  // What is typed, else what is stored.
  const value = (key: string) => draft[key] ?? stored(key);
  const set = (key: string, v: string) => {
    setDraft((d) => ({ ...d, [key]: v }));
    saving.clearError(key);
  };
  const save = () =>
    saving.saveEach(
      COMPANY_KEYS,
      (key) => value(key).trim() !== stored(key),
      async (key) => {
        const text = value(key).trim();
        await crm.setSettingText(key, text === "" ? null : text);
        setDraft(({ [key]: _saved, ...rest }) => rest);
      },
    );

  const box = (key: string) => {
    const id = key;
    const error = saving.errors[key];
    switch (key) {
      case "company.timezone":
        return <Suggest id={id} value={value(key)} choices={zones} placeholder={t("settings.company.timezone.default")} error={error} onChange={(v) => set(key, v)} testId={`setting-${id}`} />;
      case "company.currency":
        return <Suggest id={id} value={value(key)} choices={CURRENCIES} placeholder={t("settings.company.currency.default")} error={error} onChange={(v) => set(key, v.toUpperCase())} testId={`setting-${id}`} />;
      default:
        return (
          <Input
            id={id}
            value={value(key)}
            maxLength={COMPANY_MAX[key]}
            status={error ? "error" : undefined}
            onChange={(e) => set(key, e.target.value)}
            data-testid={`setting-${id}`}
          />
        );
    }
  };

  return <SettingsCard title={t("settings.company")} testId="company-card" keys={COMPANY_KEYS} wide={["company.name"]} box={box} saving={saving} onSave={save} saveTestId="company-save" />;
}

/// Saving a card's settings one key at a time: a refusal by its key's box, anything else as
/// one message; "saved" once all went through.
function useSaveEach() {
  const { t } = useCrm();
  const { message } = AntApp.useApp();
  const [errors, setErrors] = useState<Errors>({});
  const [other, setOther] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const clearError = (key: string) => setErrors(({ [key]: _gone, ...rest }) => rest);
  const saveEach = async (keys: string[], changed: (key: string) => boolean, write: (key: string) => Promise<void>) => {
    setBusy(true);
    setErrors({});
    setOther(null);
    const found: Errors = {};
    let refused = false;
    for (const key of keys.filter(changed)) {
      try {
        await write(key);
      } catch (e) {
        refused = true;
        const r = fieldRefusals(t, e, () => key);
        Object.assign(found, r.fields);
        if (r.other) setOther(r.other);
      }
    }
    setErrors(found);
    setBusy(false);
    if (!refused) message.success(t("form.saved"));
  };
  return { errors, other, busy, saveEach, clearError };
}

/// A card of settings: each key's box with its label and hint, what was refused, and Save.
function SettingsCard({
  title,
  testId,
  keys,
  wide = [],
  box,
  saving,
  onSave,
  saveTestId,
}: {
  title: string;
  testId?: string;
  keys: string[];
  /// Keys whose box takes the whole row.
  wide?: string[];
  box: (key: string) => ReactNode;
  saving: ReturnType<typeof useSaveEach>;
  onSave: () => void;
  saveTestId: string;
}) {
  const { t } = useCrm();
  return (
    <Card title={title} className="section" data-testid={testId}>
      <div className="form">
        {keys.map((key) => (
          <FormField key={key} id={key} label={t(`settings.${key}`)} hint={t(`settings.${key}.hint`)} error={saving.errors[key]} className={wide.includes(key) ? "wide" : ""}>
            {box(key)}
          </FormField>
        ))}
      </div>
      {saving.other && <Alert className="section" type="error" showIcon message={saving.other} />}
      <div className="actions section">
        <Button type="primary" loading={saving.busy} onClick={() => void onSave()} data-testid={saveTestId}>
          {t("common.save")}
        </Button>
      </div>
    </Card>
  );
}

/// A whole number typed in a box, or null for an empty one.
function NumberBox({
  id,
  value,
  placeholder,
  error,
  onChange,
}: {
  id: string;
  value: number | null;
  placeholder?: string;
  error?: string;
  onChange: (v: number | null) => void;
}) {
  return (
    <InputNumber
      id={id}
      className="full-width"
      precision={0}
      inputMode="numeric"
      // The spinner's arrows are far below a 44 px touch target; typing is quicker anyway.
      controls={false}
      value={value}
      placeholder={placeholder}
      status={error ? "error" : undefined}
      onChange={(v) => onChange(typeof v === "number" ? v : null)}
      data-testid={`setting-${id}`}
    />
  );
}

/// Values from records (by their subject field), typed values kept until they are saved.
function useDraft(records: Item[] | null, subject: string, fields: string[]): [Record<string, Values>, (s: string, f: string, v: number | null) => void, (s: string) => void] {
  const [draft, setDraft] = useState<Record<string, Values>>({});
  const [dirty, setDirty] = useState<Set<string>>(new Set());
  useEffect(() => {
    if (!records) return;
    setDraft((old) => {
      const next = { ...old };
      for (const r of records) {
        const s = String(r.fields[subject] ?? "");
        if (dirty.has(s)) continue;
        next[s] = Object.fromEntries(fields.map((f) => [f, typeof r.fields[f] === "number" ? (r.fields[f] as number) : null]));
      }
      return next;
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [records]);
  const set = (s: string, f: string, v: number | null) => {
    setDirty((d) => new Set(d).add(s));
    setDraft((old) => ({ ...old, [s]: { ...old[s], [f]: v } }));
  };
  const saved = (s: string) =>
    setDirty((d) => {
      const next = new Set(d);
      next.delete(s);
      return next;
    });
  return [draft, set, saved];
}

function CompanySettings() {
  const { crm, t } = useCrm();
  const records = useData(() => crm.list("setting", { limit: 50 }).then((p) => p.items), []);
  const [draft, set, saved] = useDraft(records.data, "key", ["value"]);
  const saving = useSaveEach();
  const value = (key: string) => draft[key]?.value ?? null;
  const save = () =>
    saving.saveEach(
      SETTING_KEYS,
      (key) => value(key) !== (records.data?.find((r) => r.fields.key === key)?.fields.value ?? null),
      async (key) => {
        await crm.setSetting(key, value(key));
        saved(key);
      },
    );
  const box = (key: string) => (
    <NumberBox id={key} value={value(key)} placeholder={t("settings.default")} error={saving.errors[key]} onChange={(v) => set(key, "value", v)} />
  );
  return <SettingsCard title={t("settings.rules")} keys={SETTING_KEYS} box={box} saving={saving} onSave={save} saveTestId="settings-save" />;
}

function GradeRules() {
  const { crm, t, dicts } = useCrm();
  const records = useData(() => crm.list("grade_rule", { limit: 100 }).then((p) => p.items), []);
  const rules = useData(() => crm.gradeRules(), []);
  const [draft, set, saved] = useDraft(records.data, "grade", DAYS);
  const grades = dicts.filter((d) => d.fields.dict === "customer_grade" && d.fields.active !== false).map((d) => String(d.fields.code));
  const fallback = rules.data?.find((r) => r.grade === null);
  return (
    <Card title={t("settings.grade_rules")} className="section" data-testid="grade-rules">
      <p className="muted">{t("settings.grade_rules_hint")}</p>
      {grades.map((grade) => (
        <GradeRuleRow
          key={grade}
          grade={grade}
          values={draft[grade] ?? {}}
          inForce={rules.data?.find((r) => r.grade === grade)}
          set={(f, v) => set(grade, f, v)}
          saved={() => saved(grade)}
        />
      ))}
      {fallback && (
        <p className="muted small" data-testid="grade-rule-none">
          {t("settings.no_grade", { churn: fallback.churn_days, warning: fallback.churn_warning_days })}
        </p>
      )}
      {grades.length === 0 && <p className="muted">{t("common.loading")}</p>}
    </Card>
  );
}

/// One grade's day counts: the admin's where set, the ones in force as the boxes' hints.
function GradeRuleRow({
  grade,
  values,
  inForce,
  set,
  saved,
}: {
  grade: string;
  values: Values;
  inForce?: GradeRule;
  set: (field: string, v: number | null) => void;
  saved: () => void;
}) {
  const { crm, t, lang, dicts } = useCrm();
  const { message } = AntApp.useApp();
  const { busy, errors, other, run } = useRefusableSave();
  const save = () =>
    run(async () => {
      await crm.setGradeRule(grade, Object.fromEntries(DAYS.map((f) => [f, values[f] ?? null])));
      saved();
      message.success(t("form.saved"));
    });
  return (
    <div className="grade-rule" data-testid="grade-rule" data-grade={grade}>
      <h3 className="owner-head">{t("common.labelled", { label: t("field.grade"), value: dictLabel(lang, dicts, "customer_grade", grade) })}</h3>
      <div className="grade-days">
        {DAYS.map((f) => {
          const id = `${grade}-${f}`;
          const current = inForce?.[f as keyof GradeRule];
          return (
            <FormField key={f} id={id} label={t(`settings.${f}`)} error={errors[f]}>
              <NumberBox
                id={id}
                value={values[f] ?? null}
                placeholder={typeof current === "number" ? t("settings.days_default", { days: current }) : undefined}
                error={errors[f]}
                onChange={(v) => set(f, v)}
              />
            </FormField>
          );
        })}
      </div>
      {other && <Alert type="error" showIcon message={other} />}
      <Button loading={busy} onClick={() => void save()} data-testid="grade-rule-save">
        {t("settings.save_grade", { grade: dictLabel(lang, dicts, "customer_grade", grade) })}
      </Button>
    </div>
  );
}
