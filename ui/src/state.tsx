// App-wide state: the core client, session status, language, reference data, and a
// revision number that moves whenever records change (here or from another device), so
// every open view refreshes in place without a reload.

import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from "react";
import type { ReactNode } from "react";
import { Crm, defaultTransport } from "./api";
import type { AppStatus, Item, Json, KindSchema, Role, SyncStatus } from "./api";
import { detectLang, translate } from "./i18n";
import type { Lang, T } from "./i18n";

interface Ctx {
  crm: Crm;
  status: AppStatus | null;
  setStatus: (s: AppStatus) => void;
  refreshStatus: () => Promise<void>;
  lang: Lang;
  setLang: (l: Lang) => void;
  t: T;
  /// Moves on every change of records; views re-read when it moves.
  revision: number;
  /// Moves when the server acknowledges edits sent from here (fewer waiting to be sent), which
  /// changes no record but ends "awaiting confirmation": record views re-read on it too.
  confirmed: number;
  /// A local write the core announces no event for (`transition`, `append`): views re-read as
  /// for `records_changed`.
  changed: () => void;
  schema: KindSchema[];
  dicts: Item[];
  users: Item[];
}

const CrmContext = createContext<Ctx | null>(null);

export function useCrm(): Ctx {
  const ctx = useContext(CrmContext);
  if (!ctx) throw new Error("useCrm outside CrmProvider");
  return ctx;
}

const LANG_KEY = "field-crm:lang";

export function CrmProvider({ children, crm: given }: { children: ReactNode; crm?: Crm }) {
  const crm = useMemo(() => given ?? new Crm(defaultTransport()), [given]);
  const [status, setStatus] = useState<AppStatus | null>(null);
  const [lang, setLangState] = useState<Lang>(() => {
    const saved = globalThis.localStorage?.getItem(LANG_KEY);
    return saved === "en" || saved === "zh-CN" ? saved : detectLang();
  });
  const [revision, setRevision] = useState(0);
  const lastPending = useRef<number | null>(null);
  const [confirmed, setConfirmed] = useState(0);
  const [schema, setSchema] = useState<KindSchema[]>([]);
  const [dicts, setDicts] = useState<Item[]>([]);
  const [users, setUsers] = useState<Item[]>([]);

  // Fewer edits waiting than last time: the server acknowledged some.
  const notePending = useCallback((pending: number) => {
    if (lastPending.current !== null && pending < lastPending.current) setConfirmed((c) => c + 1);
    lastPending.current = pending;
  }, []);

  const refreshStatus = useCallback(async () => {
    const s = await crm.status();
    notePending(s.sync.pending);
    setStatus(s);
  }, [crm, notePending]);

  useEffect(() => {
    refreshStatus().catch(() => undefined);
    return crm.listen((event) => {
      if (event.event === "records_changed") setRevision((r) => r + 1);
      if (event.event === "sync_status") {
        const sync: SyncStatus = event.status;
        notePending(sync.pending);
        setStatus((s) => (s ? { ...s, sync } : s));
        // Sign-in state may have changed (revoked, refused): ask again.
        if (sync.state === "error") refreshStatus().catch(() => undefined);
      }
    });
  }, [crm, refreshStatus, notePending]);

  // Pending counts change with local edits too.
  useEffect(() => {
    if (revision > 0) refreshStatus().catch(() => undefined);
  }, [revision, refreshStatus]);

  useEffect(() => {
    crm.schema().then(setSchema, () => undefined);
  }, [crm]);
  useEffect(() => {
    crm.dictionaries().then(setDicts, () => undefined);
    crm.list("user", { sort: "display_name", limit: 500 }).then((p) => setUsers(p.items), () => undefined);
  }, [crm, revision, status?.mode]);

  const changed = useCallback(() => setRevision((r) => r + 1), []);

  const setLang = useCallback((l: Lang) => {
    setLangState(l);
    globalThis.localStorage?.setItem(LANG_KEY, l);
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);

  const t = useCallback<T>((key, params) => translate(lang, key, params as Record<string, Json>), [lang]);

  const value: Ctx = {
    crm,
    status,
    setStatus,
    refreshStatus,
    lang,
    setLang,
    t,
    revision,
    confirmed,
    changed,
    schema,
    dicts,
    users,
  };
  return <CrmContext.Provider value={value}>{children}</CrmContext.Provider>;
}

/// Load data and load it again whenever records change or `deps` change. The previous data
/// stays on screen while the new one loads, so views update in place.
export function useData<D>(load: () => Promise<D>, deps: unknown[]): { data: D | null; error: Error | null; reload: () => void } {
  const { revision } = useCrm();
  const [data, setData] = useState<D | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (d) => {
        if (live) {
          setData(d);
          setError(null);
        }
      },
      (e: Error) => live && setError(e),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, revision, tick]);
  return { data, error, reload: () => setTick((n) => n + 1) };
}

/// The display name of a user id, from the users this device knows.
export function userName(users: Item[], id: Json | undefined, names?: Record<string, string>): string {
  if (typeof id !== "string" || id === "") return "";
  if (names?.[id]) return names[id];
  const u = users.find((x) => x.id === id);
  return u ? String(u.fields.display_name ?? u.fields.username ?? "") : "";
}

/// The signed-in person's role, and whether it may write at all (a viewer only reads; the
/// core refuses a viewer's writes, the UI just does not offer them).
export function useRole(): { role: Role | undefined; canWrite: boolean; isLead: boolean } {
  const role = useCrm().status?.identity.role;
  return { role, canWrite: role !== undefined && role !== "viewer", isLead: role === "supervisor" || role === "admin" };
}
