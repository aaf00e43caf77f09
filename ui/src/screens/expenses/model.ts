// The expense screens' model: months as the addresses and the core's `expense_claim` name them,
// and the quick form's values (text in boxes) and the request fields they become — the amount
// parsed to integer minor units, never a float. Presentation only: the core validates.

import type { Fields, Json, RecordView } from "../../api";
import { isDirty } from "../../forms";
import { currencyDigits, localDate, moneyInput, parseMoney } from "../../i18n";
import { moneyOf } from "../sales/model";

/// The claim's states in the order a claim moves through them.
export const EXPENSE_STATES = ["draft", "submitted", "approved", "rejected", "paid"] as const;

/// The sections of `#/expenses`: one's own month, the claims waiting for a supervisor, the
/// approved claims waiting for finance.
export const EXPENSE_SECTIONS = ["month", "approve", "pay"] as const;
export type ExpenseSection = (typeof EXPENSE_SECTIONS)[number];

/// The month (`YYYY-MM`) a calendar date (`YYYY-MM-DD`) falls in; this month here by default.
export function monthOf(date: string = localDate()): string {
  return date.slice(0, 7);
}

/// Whether an address's text is a month the core reads (`YYYY-MM`).
export function isMonth(text: string | null | undefined): text is string {
  return typeof text === "string" && /^\d{4}-(0[1-9]|1[0-2])$/.test(text);
}

/// The month `delta` months after (or, negative, before) `month`.
export function shiftMonth(month: string, delta: number): string {
  const [year, m] = month.split("-").map(Number);
  const index = year * 12 + (m - 1) + delta;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, "0")}`;
}

/// What the quick form holds, as typed.
export interface ExpenseValues {
  /// A code of the `expense_category` dictionary, "" before one is chosen.
  category: string;
  /// The amount as typed ("35.5", "1,280").
  amount: string;
  /// A local calendar date `YYYY-MM-DD`.
  date: string;
  /// "1" once the person chose the date: a new form left at today is saved with the day of
  /// saving, and a draft does not keep a stale "today".
  date_set: string;
  customer: string;
  notes: string;
  [key: string]: string;
}

export function newExpense(today: string = localDate()): ExpenseValues {
  return { category: "", amount: "", date: today, date_set: "", customer: "", notes: "" };
}

const text = (v: Json | undefined) => (v === null || v === undefined ? "" : String(v));

/// The form's values for a saved expense.
export function expenseFrom(record: RecordView): ExpenseValues {
  const f = record.fields;
  return {
    category: text(f.category),
    amount: moneyInput(moneyOf(f.amount)),
    date: text(f.date),
    date_set: "1",
    customer: text(f.customer),
    notes: text(f.notes),
  };
}

/// A kept draft over the form it belongs to; a new form's date the person did not choose is today.
export function fromDraft(draft: Record<string, string | boolean>, initial: ExpenseValues, today: string = localDate()): ExpenseValues {
  const values: ExpenseValues = { ...initial };
  for (const k of Object.keys(initial)) if (typeof draft[k] === "string") values[k] = draft[k] as string;
  if (values.date_set !== "1") values.date = today;
  return values;
}

/// Whether the form holds something worth keeping as a draft.
export function expenseDirty(values: ExpenseValues, initial: ExpenseValues): boolean {
  const { date_set: _a, ...v } = values;
  const { date_set: _b, ...i } = initial;
  return isDirty(v, i);
}

/// Request fields from the form: a new expense gets every field given (in `currency`), an edit
/// only what differs from `initial` (null for a cleared customer). An amount that is not one is
/// said by its field before the core is asked.
export function expenseFields(
  values: ExpenseValues,
  currency: string,
  initial?: ExpenseValues,
): { fields: Fields; errors: Record<string, string> } {
  const fields: Fields = {};
  const errors: Record<string, string> = {};
  const changed = (k: keyof ExpenseValues) => !initial || values[k] !== initial[k];
  if (changed("category") && values.category) fields.category = values.category;
  if (changed("date") && values.date) fields.date = values.date;
  if (changed("amount") && values.amount.trim() !== "") {
    const minor = parseMoney(values.amount, currencyDigits(currency));
    if (minor === null) errors.amount = "invalid_amount";
    else fields.amount = { minor, currency };
  }
  if (changed("customer") && (values.customer || initial)) fields.customer = values.customer || null;
  if (changed("notes") && (values.notes !== "" || initial)) fields.notes = values.notes;
  return { fields, errors };
}
