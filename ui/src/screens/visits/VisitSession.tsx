import { ArrowLeftOutlined, EditOutlined, LogoutOutlined } from "@ant-design/icons";
import { Alert, App as AntApp, Button, DatePicker, Input } from "antd";
import dayjs from "dayjs";
import { useEffect, useMemo, useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import { CrmError } from "../../api";
import type { RecordView } from "../../api";
import { errorText } from "../../errors";
import { clearDraft, loadDraft, saveDraft } from "../../forms";
import { dictLabel, localDate } from "../../i18n";
import { useCrm, useData } from "../../state";
import { Attachments } from "../../components/attachments/Attachments";
import { CheckInFacts, checkedIn } from "./CheckInFacts";
import { Chip, Chips } from "./Chips";
import { VisitChecklist } from "./VisitChecklist";
import { currentPlace } from "./geo";
import { NEXT, fromDraft, subjectOf, updateFields, visitDirty, visitFrom } from "./model";
import type { VisitValues } from "./model";
import { aboutOf, aboutPath, activityFormPath, draftKeyOf } from "./visitLinks";

/// An activity's page (#/activity/<id>), and the screen of a visit under way: where and when it
/// was checked in, how far from the customer, big targets for the notes, the outcome and the next
/// follow-up (written with `update`, kept as a draft meanwhile), the visit's photos (a big
/// camera button), and "Check out", which saves them and checks out where the device is; then
/// how long it lasted. A visit of a type (`visit_type`) shows its type's steps in order instead
/// (VisitChecklist), and a check-out the core refuses names the steps still missing.
export function VisitSession({ id }: { id: string }) {
  const { crm, t } = useCrm();
  const visit = useData(() => crm.get(id), [id]);
  const permissions = useData(() => crm.permissions(id), [id]);
  if (visit.error) return <Alert className="page" type="error" message={errorText(t, visit.error)} />;
  if (!visit.data || !permissions.data) return <p className="page muted">{t("common.loading")}</p>;
  return <Session record={visit.data} writable={permissions.data.actions.includes("update") && !visit.data.deleted_at} />;
}

function Session({ record: read, writable }: { record: RecordView; writable: boolean }) {
  const { crm, t, lang, dicts } = useCrm();
  const { message } = AntApp.useApp();
  const navigate = useNavigate();
  // The record as checked out here, until a newer read arrives: the core does not announce a
  // check_out as a change of records (not among its write ops), so no re-read follows it.
  const [record, setRecord] = useState(read);
  // A read begun before the check-out may arrive after it: a check-out is never undone.
  useEffect(() => setRecord((mine) => (mine.fields.check_out_at && !read.fields.check_out_at ? mine : read)), [read]);
  const f = record.fields;
  // A customer's activity, or one logged on a lead.
  const about = aboutOf(f);
  const aboutName = about ? (record.names?.[about.id] ?? "") : "";
  const open = checkedIn(f) && !f.check_out_at;
  // The form starts from the record as first read: a merge arriving meanwhile does not
  // overwrite what the person types.
  const [initial, setInitial] = useState<VisitValues>(() => visitFrom(record));
  const draftKey = about ? draftKeyOf(about, record.id) : `visit::${record.id}`;
  const [state, setState] = useState<VisitValues>(() => {
    const draft = loadDraft(draftKey)?.values;
    return draft ? fromDraft(draft, initial) : initial;
  });
  const [busy, setBusy] = useState<"save" | "out" | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [noPlace, setNoPlace] = useState(false);
  // The required steps a refused check-out named, highlighted until the next try.
  const [missing, setMissing] = useState<string[]>([]);
  const typed = typeof f.visit_type === "string" && f.visit_type !== "";

  useEffect(() => {
    if (visitDirty(state, initial)) saveDraft(draftKey, state);
    else clearDraft(draftKey);
  }, [state, initial, draftKey]);

  const outcomes = useMemo(() => dicts.filter((d) => d.fields.dict === "activity_outcome" && d.fields.active !== false), [dicts]);
  const set = (k: keyof VisitValues, v: string) => setState((s) => ({ ...s, [k]: v }));

  /// Writes what changed; true when it went through.
  const write = async () => {
    const fields = updateFields(state, initial);
    // A visit started on the spot has no subject yet: the first line of its notes, as when logged.
    if (!initial.subject && !state.subject && subjectOf(state)) fields.subject = subjectOf(state);
    if (Object.keys(fields).length) await crm.update(record.id, fields);
    clearDraft(draftKey);
    setInitial(state);
  };

  const save = async () => {
    setBusy("save");
    setError(null);
    try {
      await write();
      message.success(t("form.saved"));
    } catch (e) {
      setError(errorText(t, e));
    } finally {
      setBusy(null);
    }
  };

  const checkOut = async () => {
    setBusy("out");
    setError(null);
    setMissing([]);
    try {
      await write();
      const place = await currentPlace();
      setNoPlace(!place);
      setRecord(await crm.checkOut(record.id, place));
    } catch (e) {
      // The steps still missing are said and marked on the checklist, as they get done.
      if (e instanceof CrmError && e.code === "visit_incomplete") setMissing(missingOf(e.params));
      else setError(errorText(t, e));
    } finally {
      setBusy(null);
    }
  };

  const photoList = <Attachments record={record.id} field="photos" canEdit={writable} big signature />;
  const readNotes = (
    <div className="visit-read">
      {f.outcome ? <p>{t("common.labelled", { label: t("visit.outcome"), value: dictLabel(lang, dicts, "activity_outcome", f.outcome) })}</p> : null}
      {f.notes ? <p className="log-text">{String(f.notes)}</p> : null}
    </div>
  );
  const outcomeChips = (
    <Chips legend={t("visit.outcome")}>
      {outcomes.map((o) => {
        const code = String(o.fields.code);
        return (
          <Chip key={o.id} selected={state.outcome === code} onClick={() => set("outcome", state.outcome === code ? "" : code)} testId={`visit-outcome-${code}`}>
            {dictLabel(lang, dicts, "activity_outcome", code)}
          </Chip>
        );
      })}
    </Chips>
  );
  const notesBox = (
    <label className="block">
      {t("visit.notes")}
      <Input.TextArea autoSize={{ minRows: 5 }} value={state.notes} onChange={(e) => set("notes", e.target.value)} data-testid="visit-notes" />
    </label>
  );
  const nextChips = (
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
  );
  const errorAlert = error && <Alert type="error" showIcon message={error} role="alert" data-testid="visit-session-error" />;
  const buttons = (
    <div className="thumb-bar">
      {!open && about && (
        <Button size="large" icon={<EditOutlined />} onClick={() => navigate(activityFormPath(about, record.id))} data-testid="visit-session-edit">
          {t("common.edit")}
        </Button>
      )}
      <Button size="large" type={open ? "default" : "primary"} loading={busy === "save"} onClick={save} data-testid="visit-session-save">
        {t("common.save")}
      </Button>
      {open && (
        <Button type="primary" size="large" icon={<LogoutOutlined />} loading={busy === "out"} onClick={checkOut} data-testid="check-out">
          {t("checkin.check_out")}
        </Button>
      )}
    </div>
  );

  return (
    <div className="page visit visit-session" data-testid="visit-session" data-state={open ? "open" : checkedIn(f) ? "closed" : "logged"}>
      <div className="page-head">
        <Button type="link" icon={<ArrowLeftOutlined />} onClick={() => navigate(-1)}>
          {t("common.back")}
        </Button>
      </div>
      <h1>{t(open ? "checkin.title" : `activity_type.${f.type}`)}</h1>
      {about && (
        <p>
          <Link to={aboutPath(about)} className="more-link" data-testid={`visit-session-${about.kind}`}>
            {aboutName || t(`field.${about.kind}`)}
          </Link>
        </p>
      )}
      {typed && <p className="visit-type-name" data-testid="visit-session-type">{record.names?.[String(f.visit_type)] ?? ""}</p>}
      <CheckInFacts fields={f} />
      {!open && typeof f.duration_minutes === "number" && checkedIn(f) && (
        <Alert type="success" showIcon message={t("checkin.lasted", { minutes: f.duration_minutes })} data-testid="visit-duration-done" />
      )}
      {noPlace && !open && <Alert type="info" showIcon message={t("checkin.out_without_place")} />}
      {typed ? (
        <>
          {/* The type's steps in its order; outcome and next follow-up after them, as on any visit. */}
          <VisitChecklist
            visit={record}
            writable={writable && !f.check_out_at}
            missing={missing}
            parts={{
              photos: photoList,
              notes: writable ? notesBox : readNotes,
              // Before leaving: how it went and when to follow up, as on any visit.
              check_out: writable ? (
                <>
                  {outcomeChips}
                  {nextChips}
                  {errorAlert}
                  {buttons}
                </>
              ) : null,
            }}
          />
        </>
      ) : (
        <>
          <section className="visit-photos">
            <h2>{t("attachments.photos")}</h2>
            {photoList}
          </section>
          {!writable ? (
            readNotes
          ) : (
            <>
              {outcomeChips}
              {notesBox}
              {nextChips}
              {errorAlert}
              {buttons}
            </>
          )}
        </>
      )}
    </div>
  );
}

/// The missing actions a refused check-out names.
function missingOf(params: unknown): string[] {
  const list = params && typeof params === "object" ? (params as { missing?: unknown }).missing : null;
  return Array.isArray(list) ? list.map(String) : [];
}
