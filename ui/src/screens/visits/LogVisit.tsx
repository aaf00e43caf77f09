import { Alert, App as AntApp, Button, DatePicker, Input } from "antd";
import dayjs from "dayjs";
import { useEffect, useState } from "react";
import type { ReactNode } from "react";
import { useNavigate } from "react-router-dom";
import { errorText } from "../../errors";
import { clearDraft, loadDraft, saveDraft } from "../../forms";
import { dictLabel, localDate } from "../../i18n";
import { useCrm, useData } from "../../state";

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
  const { crm, t, lang, dicts } = useCrm();
  const { message } = AntApp.useApp();
  const navigate = useNavigate();
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
      // The time with this device's offset (RFC 3339); the core stores it in UTC.
      const fields: Record<string, string> = { customer: customerId, type: state.type, time: dayjs().format() };
      if (state.outcome) fields.outcome = state.outcome;
      if (state.notes.trim()) {
        fields.notes = state.notes;
        fields.subject = state.notes.trim().split("\n")[0].slice(0, 60);
      }
      if (state.next) fields.next_follow_up = state.next;
      await crm.create("activity", fields, true);
      clearDraft(key);
      message.success(t("form.saved"));
      navigate(-1);
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
      <Chips legend={t("visit.type")}>
        {TYPES.map((ty) => (
          <Chip key={ty} selected={state.type === ty} onClick={() => set("type", ty)} testId={`visit-type-${ty}`}>
            {t(`activity_type.${ty}`)}
          </Chip>
        ))}
      </Chips>
      <Chips legend={t("visit.outcome")}>
        {outcomes.map((o) => {
          const code = String(o.fields.code);
          return (
            <Chip
              key={o.id}
              selected={state.outcome === code}
              onClick={() => set("outcome", state.outcome === code ? "" : code)}
              testId={`visit-outcome-${code}`}
            >
              {dictLabel(lang, dicts, "activity_outcome", code)}
            </Chip>
          );
        })}
      </Chips>
      <label className="block">
        {t("visit.notes")}
        <Input.TextArea
          autoSize={{ minRows: 5 }}
          value={state.notes}
          onChange={(e) => set("notes", e.target.value)}
          data-testid="visit-notes"
        />
      </label>
      <Chips legend={t("visit.next")}>
        <Chip selected={state.next === ""} onClick={() => set("next", "")}>
          {t("visit.next_none")}
        </Chip>
        {NEXT.map((n) => {
          const date = localDate(n.days);
          return (
            <Chip key={n.days} selected={state.next === date} onClick={() => set("next", date)} testId={`visit-next-${n.days}`}>
              {t(n.key, { days: n.days })}
            </Chip>
          );
        })}
        <DatePicker
          aria-label={t("visit.next")}
          size="large"
          inputReadOnly
          value={state.next ? dayjs(state.next) : null}
          onChange={(d) => set("next", d ? d.format("YYYY-MM-DD") : "")}
          data-testid="visit-next-date"
        />
      </Chips>
      {error && <Alert type="error" showIcon message={error} role="alert" />}
      <div className="thumb-bar">
        <Button size="large" onClick={() => navigate(-1)}>
          {t("common.cancel")}
        </Button>
        <Button type="primary" size="large" loading={busy} onClick={save} data-testid="visit-save">
          {t("visit.save")}
        </Button>
      </div>
    </div>
  );
}

function Chips({ legend, children }: { legend: string; children: ReactNode }) {
  return (
    <fieldset className="chips">
      <legend>{legend}</legend>
      {children}
    </fieldset>
  );
}

function Chip({
  selected,
  onClick,
  testId,
  children,
}: {
  selected: boolean;
  onClick: () => void;
  testId?: string;
  children: ReactNode;
}) {
  return (
    <Button
      shape="round"
      size="large"
      type={selected ? "primary" : "default"}
      aria-pressed={selected}
      onClick={onClick}
      data-testid={testId}
      className="chip"
    >
      {children}
    </Button>
  );
}
