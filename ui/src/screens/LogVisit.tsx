import { useEffect, useState } from "react";
import { clearDraft, loadDraft, saveDraft } from "../forms";
import { dictLabel, localDate } from "../i18n";
import { useCrm, useData } from "../state";
import { errorText } from "./errors";

const TYPES = ["visit", "call", "meeting", "email", "follow_up"];
const NEXT = [
  { days: 1, key: "visit.in_days" },
  { days: 3, key: "visit.in_days" },
  { days: 7, key: "visit.in_week" },
  { days: 14, key: "visit.in_2weeks" },
];

/// Log a visit in a few taps, for a tablet held in one hand: big choices, the save button
/// within thumb reach at the bottom, and the half-written note kept as a draft.
export function LogVisit({ customerId }: { customerId: string }) {
  const { crm, t, lang, dicts, toast } = useCrm();
  const customer = useData(() => crm.get(customerId), [customerId]);
  const key = `visit:${customerId}`;
  const [state, setState] = useState(() => {
    const d = loadDraft(key)?.values;
    return {
      type: String(d?.type ?? "visit"),
      outcome: String(d?.outcome ?? ""),
      notes: String(d?.notes ?? ""),
      next: String(d?.next ?? ""),
    };
  });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (state.notes || state.outcome || state.next || state.type !== "visit") saveDraft(key, state);
  }, [state, key]);

  const outcomes = dicts.filter((d) => d.fields.dict === "activity_outcome" && d.fields.active !== false);
  const set = (k: keyof typeof state, v: string) => setState((s) => ({ ...s, [k]: v }));

  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      const fields: Record<string, string> = { customer: customerId, type: state.type, time: new Date().toISOString() };
      if (state.outcome) fields.outcome = state.outcome;
      if (state.notes.trim()) {
        fields.notes = state.notes;
        fields.subject = state.notes.trim().split("\n")[0].slice(0, 60);
      }
      if (state.next) fields.next_follow_up = state.next;
      await crm.create("activity", fields, true);
      clearDraft(key);
      toast(t("form.saved"));
      history.back();
    } catch (e) {
      setError(errorText(t, e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="page visit" data-testid="log-visit-page">
      <h1>{t("visit.title")}</h1>
      <p className="muted">{t("visit.for", { customer: String(customer.data?.fields.name ?? "") })}</p>
      <fieldset className="chips">
        <legend>{t("visit.type")}</legend>
        {TYPES.map((ty) => (
          <button
            key={ty}
            type="button"
            className={state.type === ty ? "chip selected" : "chip"}
            aria-pressed={state.type === ty}
            onClick={() => set("type", ty)}
            data-testid={`visit-type-${ty}`}
          >
            {t(`activity_type.${ty}`)}
          </button>
        ))}
      </fieldset>
      <fieldset className="chips">
        <legend>{t("visit.outcome")}</legend>
        {outcomes.map((o) => (
          <button
            key={o.id}
            type="button"
            className={state.outcome === o.fields.code ? "chip selected" : "chip"}
            aria-pressed={state.outcome === o.fields.code}
            onClick={() => set("outcome", state.outcome === o.fields.code ? "" : String(o.fields.code))}
            data-testid={`visit-outcome-${o.fields.code}`}
          >
            {dictLabel(lang, dicts, "activity_outcome", o.fields.code)}
          </button>
        ))}
      </fieldset>
      <label className="block">
        {t("visit.notes")}
        <textarea rows={5} value={state.notes} onChange={(e) => set("notes", e.target.value)} data-testid="visit-notes" />
      </label>
      <fieldset className="chips">
        <legend>{t("visit.next")}</legend>
        <button
          type="button"
          className={state.next === "" ? "chip selected" : "chip"}
          onClick={() => set("next", "")}
        >
          {t("visit.next_none")}
        </button>
        {NEXT.map((n) => {
          const date = localDate(n.days);
          return (
            <button
              key={n.days}
              type="button"
              className={state.next === date ? "chip selected" : "chip"}
              onClick={() => set("next", date)}
              data-testid={`visit-next-${n.days}`}
            >
              {t(n.key, { days: n.days })}
            </button>
          );
        })}
        <input
          type="date"
          aria-label={t("visit.next")}
          value={state.next}
          onChange={(e) => set("next", e.target.value)}
          data-testid="visit-next-date"
        />
      </fieldset>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="thumb-bar">
        <button type="button" className="big" onClick={() => history.back()}>
          {t("common.cancel")}
        </button>
        <button type="button" className="primary big" disabled={busy} onClick={save} data-testid="visit-save">
          {t("visit.save")}
        </button>
      </div>
    </div>
  );
}
