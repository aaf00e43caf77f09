// Refusals a person has read and put away. The core keeps a record's refused edits (the newest
// 20) with no way to acknowledge them, so a notice would otherwise stay on the record for
// good; this device remembers which ones were dismissed (localStorage, the newest 500).

const KEY = "field-crm:dismissed-refusals";
const MAX = 500;

export function refusalKey(recordId: string, refusal: { code: string; at: string }): string {
  return `${recordId}|${refusal.code}|${refusal.at}`;
}

function read(storage: Storage): string[] {
  try {
    const list = JSON.parse(storage.getItem(KEY) ?? "[]") as unknown;
    return Array.isArray(list) ? list.filter((k): k is string => typeof k === "string") : [];
  } catch {
    return [];
  }
}

export function isDismissed(key: string, storage: Storage = localStorage): boolean {
  return read(storage).includes(key);
}

export function dismiss(keys: string[], storage: Storage = localStorage): void {
  const list = [...keys, ...read(storage).filter((k) => !keys.includes(k))];
  try {
    storage.setItem(KEY, JSON.stringify(list.slice(0, MAX)));
  } catch {
    // Storage full or unavailable: the notice shows again next time.
  }
}
