// A person's employee profile — employee number, department, position, phones, email, hire
// date — kept on their user record (the same id as their account) and changed here like any
// record: an update that syncs. The account's own fields (username, role, team, whether it
// may sign in) stay the server's. The core's refusals are shown by the box they are about.

import { useEffect, useState } from "react";
import type { Account, RecordView } from "../../api";
import { CrmError } from "../../api";
import { errorText, fieldErrorText } from "../../errors";
import { FORM_FIELDS, fieldSpec, toFields, valuesFrom } from "../../forms";
import type { FormValues } from "../../forms";
import { useCrm } from "../../state";
import { FieldInput } from "../records/FieldInput";
import { FormField } from "../../components/FormField";
import { FormDialog } from "../../components/FormDialog";

const FIELDS = FORM_FIELDS.user;

export function ProfileDialog({ account, onClose, onDone }: { account: Account; onClose: () => void; onDone: () => void }) {
  const { crm, schema, t } = useCrm();
  const [record, setRecord] = useState<RecordView | null>(null);
  const [initial, setInitial] = useState<FormValues | null>(null);
  const [values, setValues] = useState<FormValues | null>(null);
  const [errors, setErrors] = useState<Record<string, { reason: string; params: unknown }>>({});
  const [other, setOther] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  // Read once: what is typed is not overwritten by a change arriving meanwhile.
  useEffect(() => {
    if (!schema.length) return;
    crm.get(account.id).then(
      (r) => {
        const v = valuesFrom("user", schema, r);
        setRecord(r);
        setInitial(v);
        setValues(v);
      },
      // A user added a moment ago whose record has not reached this device yet.
      (e) => setOther(e instanceof CrmError && e.code === "not_found" ? t("users.profile_not_here") : errorText(t, e)),
    );
  }, [crm, schema, account.id, t]);

  const set = (name: string, v: string | boolean) => {
    setValues((old) => ({ ...(old ?? {}), [name]: v }));
    setErrors(({ [name]: _gone, ...rest }) => rest);
  };

  const save = async () => {
    if (!record || !values || !initial) return onClose();
    const { fields, errors: local } = toFields("user", schema, values, initial);
    if (Object.keys(local).length > 0) return setErrors(local);
    if (Object.keys(fields).length === 0) return onClose();
    setBusy(true);
    setErrors({});
    setOther(null);
    try {
      await crm.update(record.id, fields);
      onDone();
    } catch (e) {
      if (e instanceof CrmError && e.code === "validation" && Object.keys(e.fieldErrors()).length > 0) setErrors(e.fieldErrors());
      else setOther(errorText(t, e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <FormDialog
      title={t("users.profile_title", { name: account.display_name || account.username })}
      onOk={() => void save()}
      onClose={onClose}
      busy={busy}
      okDisabled={!values}
      testId={{ ok: "user-dialog-ok", form: "user-profile-form" }}
      refusal={other}
    >
      {values &&
        FIELDS.map((name) => {
          const spec = fieldSpec(schema, "user", name);
          if (!spec) return null;
          const err = errors[name];
          return (
            <FormField
              key={name}
              id={`f-${name}`}
              label={t(`field.${name}`)}
              className={err ? "invalid" : ""}
              error={err ? fieldErrorText(t, err.reason, err.params) : null}
              errorTestId={`error-${name}`}
            >
              <FieldInput kind="user" spec={spec} values={values} set={set} invalid={!!err} />
            </FormField>
          );
        })}
      {!values && !other && <p className="muted">{t("common.loading")}</p>}
      <p className="muted small">{t("users.profile_hint")}</p>
    </FormDialog>
  );
}
