// A dictionary entry, new or renamed: its dictionary and code (fixed once made — the entry's id
// is derived from them, so two admins adding one code offline make one entry) and its labels in
// both languages. The core checks every value; its refusals are shown by the box they are about.

import { Alert, Button, Input, Select } from "antd";
import { useState } from "react";
import type { Item } from "../../api";
import { CrmError } from "../../api";
import { fieldRefusals } from "../../errors";
import { useCrm } from "../../state";
import { FormField } from "../../components/FormField";
import { FormDialog } from "../../components/FormDialog";
import { DICTS, entryPlace, nextSortOrder } from "./model";

const LABELS = ["label_zh", "label_en"] as const;

export function DictEntryDialog({
  entry,
  dict: initialDict,
  entries,
  onClose,
  onDone,
}: {
  /// The entry to rename; none for a new one.
  entry?: Item;
  /// The dictionary a new entry goes into at first.
  dict?: string;
  /// Every entry shown, to place a new one after its dictionary's last.
  entries: Item[];
  onClose: () => void;
  onDone: (label: string) => void;
}) {
  const { crm, t } = useCrm();
  const [dict, setDict] = useState(String(entry?.fields.dict ?? initialDict ?? DICTS[0]));
  const [code, setCode] = useState(String(entry?.fields.code ?? ""));
  const [labels, setLabels] = useState<Record<string, string>>({
    label_zh: String(entry?.fields.label_zh ?? ""),
    label_en: String(entry?.fields.label_en ?? ""),
  });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [other, setOther] = useState<unknown>(null);
  const [deleted, setDeleted] = useState<Item | null>(null);
  const [busy, setBusy] = useState(false);

  const refused = (e: unknown) => {
    const r = fieldRefusals(t, e);
    // The code is taken within its dictionary, not among customers' codes.
    if (e instanceof CrmError && e.fieldErrors().code?.reason === "duplicate_code") r.fields.code = t("dictionary.code_taken");
    setErrors(r.fields);
    setOther(r.other);
  };

  const save = async () => {
    setBusy(true);
    setErrors({});
    setOther(null);
    setDeleted(null);
    try {
      if (entry) {
        const changed = Object.fromEntries(LABELS.filter((f) => labels[f] !== String(entry.fields[f] ?? "")).map((f) => [f, labels[f]]));
        if (Object.keys(changed).length > 0) await crm.update(entry.id, changed);
      } else {
        const group = entries.filter((e) => e.fields.dict === dict);
        await crm.create("dict_entry", { dict, code: code.trim(), ...labels, sort_order: nextSortOrder(group.map(entryPlace)), active: true });
      }
      onDone(labels.label_zh || code);
    } catch (e) {
      refused(e);
      // A code once deleted keeps its entry (its id comes from the code): offer it back.
      if (!entry && e instanceof CrmError && e.fieldErrors().code?.reason === "duplicate_code") {
        const gone = await crm.list("dict_entry", { filter: { dict, code: code.trim() }, deleted: "only", limit: 1 }).catch(() => null);
        setDeleted(gone?.items[0] ?? null);
      }
    } finally {
      setBusy(false);
    }
  };

  const restore = async () => {
    if (!deleted) return;
    setBusy(true);
    try {
      await crm.restore(deleted.id);
      await crm.update(deleted.id, { ...labels, active: true });
      onDone(labels.label_zh || code);
    } catch (e) {
      setOther(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <FormDialog
      title={entry ? t("dictionary.edit_title", { code: String(entry.fields.code ?? "") }) : t("dictionary.new")}
      onOk={() => void save()}
      onClose={onClose}
      busy={busy}
      testId={{ ok: "dict-dialog-ok", form: "dict-form" }}
      refusal={other}
    >
      <FormField id="dict-field-dict" label={t("admin.dict")} error={errors.dict}>
        <Select
          id="dict-field-dict"
          value={dict}
          onChange={setDict}
          disabled={!!entry}
          virtual={false}
          options={DICTS.map((d) => ({ value: d, label: t(`dict.${d}`), "data-value": d }))}
          data-testid="dict-field-dict"
        />
      </FormField>
      <FormField id="dict-field-code" label={t("admin.code")} error={errors.code} hint={entry ? null : t("dictionary.code_hint")}>
        <Input id="dict-field-code" value={code} disabled={!!entry} onChange={(e) => setCode(e.target.value)} status={errors.code ? "error" : undefined} data-testid="dict-field-code" />
      </FormField>
      {LABELS.map((f) => (
        <FormField key={f} id={`dict-field-${f}`} label={t(`admin.${f}`)} error={errors[f]}>
          <Input
            id={`dict-field-${f}`}
            value={labels[f]}
            onChange={(e) => setLabels((l) => ({ ...l, [f]: e.target.value }))}
            status={errors[f] ? "error" : undefined}
            data-testid={`dict-field-${f}`}
          />
        </FormField>
      ))}
      {deleted && (
        <Alert
          type="warning"
          showIcon
          message={t("dictionary.code_deleted")}
          action={
            <Button onClick={() => void restore()} data-testid="dict-restore-deleted">
              {t("common.restore")}
            </Button>
          }
        />
      )}
    </FormDialog>
  );
}
