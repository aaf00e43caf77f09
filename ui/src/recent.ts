// Records this person took a workflow step on lately, by id: their kind and title. When the
// server refuses the step and the record leaves the device (a pool customer someone else
// claimed first), the core's refused list no longer knows its title; this lets the sync screen
// still say which customer it was. Kept in localStorage, the newest 200.

const KEY = "field-crm:recent-transitions";
const MAX = 200;

export interface Remembered {
  kind: string;
  title: string;
}

function read(storage: Storage): [string, Remembered][] {
  try {
    const list = JSON.parse(storage.getItem(KEY) ?? "[]") as unknown;
    return Array.isArray(list) ? (list as [string, Remembered][]).filter((e) => Array.isArray(e) && typeof e[0] === "string") : [];
  } catch {
    return [];
  }
}

export function remember(id: string, kind: string, title: string, storage: Storage = localStorage): void {
  if (!title) return;
  const list = read(storage).filter(([i]) => i !== id);
  list.unshift([id, { kind, title }]);
  try {
    storage.setItem(KEY, JSON.stringify(list.slice(0, MAX)));
  } catch {
    // Storage full or unavailable: only the fallback title is lost.
  }
}

export function recall(id: string, storage: Storage = localStorage): Remembered | null {
  return read(storage).find(([i]) => i === id)?.[1] ?? null;
}
