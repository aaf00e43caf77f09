// A visit plan's stops as edited (a date, a customer, a note, the kind of visit, in the order to visit) and the
// request fields they become. Presentation only — the core validates.

import type { Fields, Json } from "../../api";

export interface StopDraft {
  /// The item's id once saved (kept, so edits merge item by item); a local key otherwise.
  id?: string;
  key: string;
  date: string;
  customer: string;
  note: string;
  /// The `visit_type` planned, if any.
  visitType: string;
}

let counter = 0;
const key = () => `s${++counter}`;

export function stopFrom(item: Fields): StopDraft {
  return {
    id: typeof item.id === "string" ? item.id : undefined,
    key: typeof item.id === "string" ? item.id : key(),
    date: typeof item.date === "string" ? item.date : "",
    customer: typeof item.customer === "string" ? item.customer : "",
    note: typeof item.note === "string" ? item.note : "",
    visitType: typeof item.visit_type === "string" ? item.visit_type : "",
  };
}

/// A new stop on `date`.
export function newStop(date: string): StopDraft {
  return { key: key(), date, customer: "", note: "", visitType: "" };
}

/// The stops with the one at `index` moved one place up (`-1`) or down (`1`).
export function move<S>(stops: S[], index: number, by: -1 | 1): S[] {
  const to = index + by;
  if (to < 0 || to >= stops.length) return stops;
  const out = [...stops];
  [out[index], out[to]] = [out[to], out[index]];
  return out;
}

/// The `stops` list to write: the whole list in order, each item with its id when it has one.
export function stopsField(stops: StopDraft[]): Json {
  return stops.map((s) => ({
    ...(s.id ? { id: s.id } : {}),
    date: s.date || null,
    customer: s.customer || null,
    note: s.note.trim() || null,
    visit_type: s.visitType || null,
  }));
}
