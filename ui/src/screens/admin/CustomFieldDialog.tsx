// A custom field, new or changed: its key (checked as it is typed, fixed once made — the
// record's id is derived from the kind and key, so two admins adding one key offline make one
// field), its labels in both languages, its type and a choice's options (one per line), and
// whether forms require it, lists show it and offer it as a filter. The core checks every
// value again; its refusals are shown by the box they are about.

import { Checkbox, Input, Select } from "antd";
import { useState } from "react";
import type { CustomField, CustomFieldType, Fields } from "../../api";
import { keyProblem, optionLines } from "../../customFields";
import { fieldRefusals } from "../../errors";
import { useCrm } from "../../state";
import { FormField } from "../../components/FormField";
import { FormDialog } from "../../components/FormDialog";
import { nextSortOrder } from "./model";

const TYPES: CustomFieldType[] = ["text", "number", "date", "bool", "choice"];
const FLAGS = ["required", "in_list", "in_filter"] as const;

type Flag = (typeof FLAGS)[number];

export function CustomFieldDialog({
  kind,
  field,
  fields,
  onClose,
  onDone,
}: {
  /// The kind a new field is for.
  kind: string;
  /// The field to change; none for a new one.
  field?: CustomField;
  /// The kind's fields in order, to place a new one last and to see a key already used.
  fields: CustomField[];
  onClose: () => void;
  onDone: (label: string) => void;
}) {
  const { crm, t } = useCrm();
  // What the field's record holds now (options one per line, as it keeps them).
  const f: Fields = field
    ? { label_zh: field.label_zh, label_en: field.label_en, type: field.type, options: field.options.join("\n"), required: field.required, in_list: field.in_list, in_filter: field.in_filter }
    : {};
  const [key, setKey] = useState(field?.key ?? "");
  const [labelZh, setLabelZh] = useState(field?.label_zh ?? "");
  const [labelEn, setLabelEn] = useState(field?.label_en ?? "");
  const [type, setType] = useState<CustomFieldType>(field?.type ?? "text");
  const [options, setOptions] = useState(field?.options.join("\n") ?? "");
  const [flags, setFlags] = useState<Record<Flag, boolean>>({
    required: field?.required ?? false,
    in_list: field?.in_list ?? false,
    in_filter: field?.in_filter ?? false,
  });
  const [typedKey, setTypedKey] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [other, setOther] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  // The key as it is typed: its form, and whether the kind has a field of that key already.
  const keyText = (() => {
    if (field) return null;
    const problem = keyProblem(key.trim());
    if (problem) return t(problem, { max: 40 });
    return fields.some((d) => d.key === key.trim()) ? t("custom.key_taken") : null;
  })();

  const refused = (e: unknown) => {
    const r = fieldRefusals(t, e);
    setErrors(r.fields);
    setOther(r.other);
  };

  const save = async () => {
    setTypedKey(true);
    if (keyText) return;
    setBusy(true);
    setErrors({});
    setOther(null);
    const wanted: Fields = {
      label_zh: labelZh.trim(),
      label_en: labelEn.trim() === "" ? null : labelEn.trim(),
      type,
      // A choice's options, one per line; other types keep what they had.
      ...(type === "choice" ? { options: optionLines(options).join("\n") } : {}),
      ...flags,
    };
    try {
      if (field) {
        const changed = Object.fromEntries(Object.entries(wanted).filter(([name, v]) => v !== (f[name] ?? (typeof v === "boolean" ? false : null))));
        if (Object.keys(changed).length > 0) await crm.update(field.id, changed);
      } else {
        const made: Fields = { of_kind: kind, key: key.trim(), ...wanted, sort_order: nextSortOrder(fields), active: true };
        if (made.label_en === null) delete made.label_en;
        await crm.create("custom_field", made);
      }
      onDone(labelZh.trim() || key.trim());
    } catch (e) {
      refused(e);
    } finally {
      setBusy(false);
    }
  };

  const shownKeyError = errors.key ?? (typedKey || key !== "" ? keyText : null);
  const box = (name: string) => ({ id: `cf-field-${name}`, error: errors[name], errorTestId: `cf-field-error-${name}` });
  return (
    <FormDialog
      title={field ? t("custom.edit_title", { key: field.key }) : t("custom.new_title", { kind: t(`kind.${kind}`) })}
      onOk={() => void save()}
      onClose={onClose}
      busy={busy}
      testId={{ ok: "cf-dialog-ok", form: "cf-form" }}
      refusal={other}
    >
      <FormField {...box("key")} label={t("custom.key")} error={shownKeyError} hint={field ? null : t("custom.key_hint")}>
        <Input
          id="cf-field-key"
          value={key}
          disabled={!!field}
          maxLength={60}
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => {
            setKey(e.target.value);
            setErrors(({ key: _gone, ...rest }) => rest);
          }}
          status={shownKeyError ? "error" : undefined}
          data-testid="cf-field-key"
        />
      </FormField>
      <FormField {...box("label_zh")} label={t("admin.label_zh")} required>
        <Input id="cf-field-label_zh" value={labelZh} onChange={(e) => setLabelZh(e.target.value)} status={errors.label_zh ? "error" : undefined} data-testid="cf-field-label_zh" />
      </FormField>
      <FormField {...box("label_en")} label={t("admin.label_en")}>
        <Input id="cf-field-label_en" value={labelEn} onChange={(e) => setLabelEn(e.target.value)} status={errors.label_en ? "error" : undefined} data-testid="cf-field-label_en" />
      </FormField>
      <FormField {...box("type")} label={t("custom.type")} hint={field && type !== field.type ? t("custom.type_change_hint") : null}>
        <Select
          id="cf-field-type"
          value={type}
          onChange={setType}
          virtual={false}
          options={TYPES.map((ty) => ({ value: ty, label: t(`custom.type.${ty}`), "data-value": ty }))}
          data-testid="cf-field-type"
        />
      </FormField>
      {type === "choice" && (
        <FormField {...box("options")} label={t("custom.options")} required hint={t("custom.options_hint")}>
          <Input.TextArea
            id="cf-field-options"
            autoSize={{ minRows: 3, maxRows: 10 }}
            value={options}
            onChange={(e) => setOptions(e.target.value)}
            status={errors.options ? "error" : undefined}
            data-testid="cf-field-options"
          />
        </FormField>
      )}
      <div className="form-field cf-flags">
        {FLAGS.map((flag) => (
          <Checkbox key={flag} checked={flags[flag]} onChange={(e) => setFlags((old) => ({ ...old, [flag]: e.target.checked }))} data-testid={`cf-field-${flag}`}>
            {t(`custom.${flag}_long`)}
          </Checkbox>
        ))}
      </div>
    </FormDialog>
  );
}
