// A new team (code, name, supervisor) or a change to one: its name and supervisor, and its code
// only while it has none — accounts refer to the code, so once set it stays. A code another
// team record has is refused here; what the core refuses is shown by its box.

import { Input } from "antd";
import { useState } from "react";
import type { Fields, Item } from "../../api";
import { useCrm } from "../../state";
import { FormField } from "../../components/FormField";
import { FormDialog } from "../../components/FormDialog";
import { teamCode } from "./model";
import { useRefusableSave } from "../../components/useRefusableSave";
import { SupervisorSelect } from "./SupervisorSelect";

const MAX_CODE = 64;

export function TeamDialog({
  team,
  teams,
  onClose,
  onDone,
}: {
  /// The team changed, or null for a new one.
  team: Item | null;
  /// Every team record (for codes already taken).
  teams: Item[];
  onClose: () => void;
  onDone: (name: string) => void;
}) {
  const { crm, t } = useCrm();
  const fixed = team ? teamCode(team) : null;
  const [code, setCode] = useState(fixed ?? "");
  const [name, setName] = useState(String(team?.fields.name ?? ""));
  const [supervisor, setSupervisor] = useState(typeof team?.fields.supervisor === "string" ? team.fields.supervisor : undefined);
  const { busy, errors, other, setErrors, run } = useRefusableSave();

  const typed = code.trim();
  const holder = typed ? teams.find((x) => x.id !== team?.id && teamCode(x) === typed) : undefined;
  const codeProblem = holder
    ? t("teams.code_taken", { name: String(holder.fields.name ?? "") })
    : typed.length > MAX_CODE
      ? t("teams.code_long")
      : null;

  const save = async () => {
    if (codeProblem) return;
    if (!name.trim()) return setErrors({ name: t("error.required") });
    const wanted: Fields = { name: name.trim(), supervisor: supervisor ?? null, ...(fixed || !typed ? {} : { code: typed }) };
    const changed = team ? Object.fromEntries(Object.entries(wanted).filter(([k, v]) => (team.fields[k] ?? null) !== v)) : wanted;
    if (team && Object.keys(changed).length === 0) return onClose();
    await run(async () => {
      await (team ? crm.update(team.id, changed) : crm.create("team", changed));
      onDone(name.trim());
    });
  };

  return (
    <FormDialog
      title={team ? t("teams.edit") : t("teams.new")}
      onOk={() => void save()}
      onClose={onClose}
      busy={busy}
      okDisabled={!!codeProblem}
      testId={{ ok: "team-save", form: "team-form" }}
      refusal={other}
    >
      <FormField id="team-code" label={t("teams.code")} hint={t("teams.code_hint")} error={codeProblem ?? errors.code} errorTestId="team-code-error">
        <Input id="team-code" value={code} disabled={!!fixed} onChange={(e) => setCode(e.target.value)} maxLength={MAX_CODE + 1} data-testid="team-code" />
      </FormField>
      <FormField id="team-name" label={t("teams.name")} required error={errors.name}>
        <Input id="team-name" value={name} onChange={(e) => setName(e.target.value)} data-testid="team-name" />
      </FormField>
      <FormField id="team-dialog-supervisor" label={t("admin.supervisor")} error={errors.supervisor}>
        <SupervisorSelect id="team-dialog-supervisor" value={supervisor} onChange={setSupervisor} />
      </FormField>
    </FormDialog>
  );
}
