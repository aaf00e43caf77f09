// The visit form's model: what a person picks (a local date and clock time, a contact, a
// place, minutes) and the request fields it becomes. Presentation only — the core validates.

import dayjs from "dayjs";
import type { Fields, Json, RecordView } from "../../api";
import type { ActivityAbout } from "./visitLinks";

export interface VisitValues {
  type: string;
  /// Local calendar date and clock time (`YYYY-MM-DD`, `HH:mm`) on this device.
  date: string;
  clock: string;
  /// Whether the person chose the time. A new visit left at "now" is saved with the time of
  /// saving, and a draft does not keep a stale "now".
  time_set: boolean;
  contact: string;
  place: string;
  /// Whole minutes as typed, "" for none.
  duration: string;
  outcome: string;
  subject: string;
  notes: string;
  next: string;
  [key: string]: string | boolean;
}

/// Quick choices for the next follow-up: days from today and their words.
export const NEXT = [
  { days: 1, key: "visit.in_days" },
  { days: 3, key: "visit.in_days" },
  { days: 7, key: "visit.in_week" },
  { days: 14, key: "visit.in_2weeks" },
];

/// Quick choices for the duration, in minutes.
export const DURATIONS = [15, 30, 60, 90];

export function newVisit(now = dayjs()): VisitValues {
  return {
    type: "visit",
    date: now.format("YYYY-MM-DD"),
    clock: now.format("HH:mm"),
    time_set: false,
    contact: "",
    place: "",
    duration: "",
    outcome: "",
    subject: "",
    notes: "",
    next: "",
  };
}

const text = (v: Json | undefined) => (v === null || v === undefined ? "" : String(v));

/// The form's values for a logged activity; its time in this device's time zone.
export function visitFrom(record: RecordView): VisitValues {
  const f = record.fields;
  const time = dayjs(text(f.time));
  return {
    type: text(f.type) || "visit",
    date: time.isValid() ? time.format("YYYY-MM-DD") : "",
    clock: time.isValid() ? time.format("HH:mm") : "",
    time_set: true,
    contact: text(f.contact),
    place: text(f.place),
    duration: text(f.duration_minutes),
    outcome: text(f.outcome),
    subject: text(f.subject),
    notes: text(f.notes),
    next: text(f.next_follow_up),
  };
}

/// The chosen local date and time as RFC 3339 with this device's offset
/// (`2026-11-23T09:30:00+08:00`); the core stores it in UTC.
export function visitTime(v: VisitValues): string {
  return dayjs(`${v.date}T${v.clock}`).format();
}

/// A subject when none was typed: the first line of the notes.
export function subjectOf(v: VisitValues): string {
  return v.subject.trim() || v.notes.trim().split("\n")[0].slice(0, 60);
}

function duration(v: VisitValues): Json {
  const d = v.duration.trim();
  if (d === "") return null;
  return /^\d+$/.test(d) ? Number(d) : d;
}

/// Fields for `create`: what it is about (the customer, or the lead it is logged on) and only
/// what was given.
export function createFields(v: VisitValues, about: ActivityAbout, now = dayjs()): Fields {
  const fields: Fields = { [about.kind]: about.id, type: v.type, time: v.time_set ? visitTime(v) : now.format() };
  if (v.contact) fields.contact = v.contact;
  if (v.place.trim()) fields.place = v.place.trim();
  const d = duration(v);
  if (d !== null) fields.duration_minutes = d;
  if (v.outcome) fields.outcome = v.outcome;
  const subject = subjectOf(v);
  if (subject) fields.subject = subject;
  if (v.notes.trim()) fields.notes = v.notes;
  if (v.next) fields.next_follow_up = v.next;
  return fields;
}

/// Fields for `update`: only those that differ from `initial`, `null` for a cleared one.
export function updateFields(v: VisitValues, initial: VisitValues): Fields {
  const fields: Fields = {};
  const orNull = (s: string) => (s.trim() === "" ? null : s.trim());
  if (v.type !== initial.type) fields.type = v.type;
  if (v.date !== initial.date || v.clock !== initial.clock) fields.time = visitTime(v);
  if (v.contact !== initial.contact) fields.contact = orNull(v.contact);
  if (v.place.trim() !== initial.place) fields.place = orNull(v.place);
  if (v.duration.trim() !== initial.duration) fields.duration_minutes = duration(v);
  if (v.outcome !== initial.outcome) fields.outcome = orNull(v.outcome);
  if (v.subject.trim() !== initial.subject) fields.subject = orNull(v.subject);
  if (v.notes !== initial.notes) fields.notes = v.notes;
  if (v.next !== initial.next) fields.next_follow_up = orNull(v.next);
  return fields;
}

/// Whether the form differs from where it started (a new visit's untouched "now" does not count).
export function visitDirty(v: VisitValues, initial: VisitValues): boolean {
  return Object.keys(initial).some((k) => {
    if ((k === "date" || k === "clock") && !v.time_set) return false;
    return v[k] !== initial[k];
  });
}

/// A draft over a fresh form: a time kept only if the person had chosen one.
export function fromDraft(draft: Record<string, string | boolean>, initial: VisitValues): VisitValues {
  const merged = { ...initial } as VisitValues;
  for (const k of Object.keys(initial)) {
    if (typeof draft[k] === typeof initial[k]) merged[k] = draft[k];
  }
  if (!merged.time_set) {
    merged.date = initial.date;
    merged.clock = initial.clock;
  }
  return merged;
}
