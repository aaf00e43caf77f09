// Visit types (`visit_type` records, kept by admins): the actions a kind of visit asks for, in
// the order the visit screen shows them. Presentation only — the core says what is done
// (`visit_checklist`) and refuses a check-out while a required action is missing.

import type { Crm, Fields, Item, Json, RecordView } from "../../api";
import type { Lang, T } from "../../i18n";

/// Every action a type may ask for, in the order the admin's dialog offers them.
export const VISIT_ACTIONS = ["check_in", "photos", "notes", "order", "payment", "service", "stock_count", "check_out"] as const;
export type VisitActionName = (typeof VISIT_ACTIONS)[number];

/// The most photos a type may ask for (the core's limit).
export const MAX_PHOTOS = 20;

/// One action of a type as edited: its item id once saved, a local key otherwise.
export interface ActionDraft {
  id?: string;
  key: string;
  action: VisitActionName;
  required: boolean;
  /// Photos only: how many.
  min: number;
}

let counter = 0;
const key = () => `a${++counter}`;

export function actionsFrom(fields: Fields): ActionDraft[] {
  const items = Array.isArray(fields.actions) ? (fields.actions as Fields[]) : [];
  return items
    .filter((a) => (VISIT_ACTIONS as readonly string[]).includes(String(a.action)))
    .map((a) => ({
      id: typeof a.id === "string" ? a.id : undefined,
      key: typeof a.id === "string" ? a.id : key(),
      action: a.action as VisitActionName,
      required: a.required === true,
      min: typeof a.min === "number" ? a.min : 1,
    }));
}

export function newAction(action: VisitActionName): ActionDraft {
  return { key: key(), action, required: action === "check_in", min: 1 };
}

/// The `actions` list to write: the whole list in order, each item with its id when it has one.
export function actionsField(actions: ActionDraft[]): Json {
  return actions.map((a) => ({
    ...(a.id ? { id: a.id } : {}),
    action: a.action,
    required: a.required,
    ...(a.action === "photos" ? { min: a.min } : {}),
  }));
}

/// A type's name in the language (the Chinese one when it has no English one).
export function visitTypeName(lang: Lang, type: Pick<Item, "fields"> | undefined): string {
  if (!type) return "";
  const en = typeof type.fields.name_en === "string" && type.fields.name_en !== "" ? type.fields.name_en : null;
  return String((lang === "en" && en) || type.fields.name || "");
}

/// One action in words: "Photos (2)", required ones marked.
export function actionWords(t: T, a: Pick<ActionDraft, "action" | "required" | "min">): string {
  const name = a.action === "photos" ? t("visit_type.photos_min", { min: a.min }) : t(`visit_action.${a.action}`);
  return a.required ? t("visit_type.required_mark", { action: name }) : name;
}

/// What a type asks for, in one line.
export function actionsSummary(t: T, actions: ActionDraft[]): string {
  return actions.map((a) => actionWords(t, a)).join(t("common.list_separator"));
}

/// Types in display order: by `sort_order` (none last), then name.
export function typeOrder<I extends Item | RecordView>(types: I[]): I[] {
  const order = (e: I) => (typeof e.fields.sort_order === "number" ? e.fields.sort_order : Number.MAX_SAFE_INTEGER);
  return [...types].sort((a, b) => order(a) - order(b) || String(a.fields.name).localeCompare(String(b.fields.name)));
}

/// Every visit type with its actions (a list leaves item lists out, so each is read whole).
export async function loadVisitTypes(crm: Crm): Promise<RecordView[]> {
  const page = await crm.list("visit_type", { sort: "sort_order", limit: 200 });
  return typeOrder(await Promise.all(page.items.map((i) => crm.get(i.id))));
}

const LAST = "field-crm:last-visit-type";

/// The type of the last visit started on this device, if any.
export function lastVisitType(storage: Storage = localStorage): string | null {
  try {
    return storage.getItem(LAST);
  } catch {
    return null;
  }
}

export function rememberVisitType(id: string | null, storage: Storage = localStorage): void {
  try {
    if (id) storage.setItem(LAST, id);
    else storage.removeItem(LAST);
  } catch {
    // Storage unavailable: the next visit starts without a type chosen.
  }
}
