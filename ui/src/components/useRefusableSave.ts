// Saving what a form holds where the core may refuse it by field: busy meanwhile, the refusals
// by field name and any other one in words — the same for every admin form that writes records.

import { useState } from "react";
import { fieldRefusals } from "../errors";
import { useCrm } from "../state";

export function useRefusableSave() {
  const { t } = useCrm();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [other, setOther] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  /// Run `work`; a refusal is kept by its field (or as `other`) for the form to show.
  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setErrors({});
    setOther(null);
    try {
      await work();
    } catch (e) {
      const r = fieldRefusals(t, e);
      setErrors(r.fields);
      setOther(r.other);
    } finally {
      setBusy(false);
    }
  };
  return { busy, errors, other, setErrors, run };
}
