// App-wide state: the core client, session status, language, reference data, and a
// revision number that moves whenever records change (here or from another device), so
// every open view refreshes in place without a reload.

import { createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";
import type { ReactNode } from "react";
import { CUSTOM_FIELD_KINDS, Crm, defaultTransport } from "./api";
import type { AppStatus, CustomField, Item, Json, KindSchema, Role, SyncStatus } from "./api";
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
  /// Moves on every `records_changed` — every write here (transitions, log entries and put-away
  /// refusals included), changes from elsewhere, and the server confirming or refusing a
  /// transition made here; views re-read when it moves.
  revision: number;
  schema: KindSchema[];
  dicts: Item[];
  users: Item[];
  /// Each kind's custom fields in the admin's order, retired ones included.
  customFields: Record<string, CustomField[]>;
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
  const [schema, setSchema] = useState<KindSchema[]>([]);
  const [dicts, setDicts] = useState<Item[]>([]);
  const [users, setUsers] = useState<Item[]>([]);
  const [customFields, setCustomFields] = useState<Record<string, CustomField[]>>({});

  const refreshStatus = useCallback(async () => {
    setStatus(await crm.status());
  }, [crm]);

  useEffect(() => {
    refreshStatus().catch(() => undefined);
    return crm.listen((event) => {
      if (event.event === "records_changed") setRevision((r) => r + 1);
      if (event.event === "sync_status") {
        const sync: SyncStatus = event.status;
        setStatus((s) => (s ? { ...s, sync } : s));
        // Sign-in state may have changed (revoked, refused): ask again.
        if (sync.state === "error") refreshStatus().catch(() => undefined);
      }
    });
  }, [crm, refreshStatus]);

  // Pending counts change with local edits too.
  useEffect(() => {
    if (revision > 0) refreshStatus().catch(() => undefined);
  }, [revision, refreshStatus]);

  // Read again when the mode changes: a locked store answers nothing until it is opened.
  useEffect(() => {
    crm.schema().then(setSchema, () => undefined);
  }, [crm, status?.mode]);
  useEffect(() => {
    crm.dictionaries().then(setDicts, () => undefined);
    crm.list("user", { sort: "display_name", limit: 500 }).then((p) => setUsers(p.items), () => undefined);
    Promise.all(CUSTOM_FIELD_KINDS.map(async (kind) => [kind, await crm.customFields(kind)] as const)).then(
      // The same definitions keep their identity, so forms and lists built on them stay put.
      (all) => setCustomFields((old) => (JSON.stringify(old) === JSON.stringify(Object.fromEntries(all)) ? old : Object.fromEntries(all))),
      () => undefined,
    );
  }, [crm, revision, status?.mode]);

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
    schema,
    dicts,
    users,
    customFields,
  };
  return <CrmContext.Provider value={value}>{children}</CrmContext.Provider>;
}

/// Load data and load it again whenever records change or `deps` change. The previous data
/// stays on screen while the new one loads, so views update in place.
export function useData<D>(load: () => Promise<D>, deps: unknown[]): { data: D | null; error: Error | null } {
  const { revision } = useCrm();
  const [data, setData] = useState<D | null>(null);
  const [error, setError] = useState<Error | null>(null);
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
  }, [...deps, revision]);
  return { data, error };
}

/// A kind's custom fields (none for kinds without them, or before they are read).
export function useCustomFields(kind: string): CustomField[] {
  return useCrm().customFields[kind] ?? NONE;
}
const NONE: CustomField[] = [];

/// The display name of a user id, from the users this device knows.
export function userName(users: Item[], id: Json | undefined, names?: Record<string, string>): string {
  if (typeof id !== "string" || id === "") return "";
  if (names?.[id]) return names[id];
  const u = users.find((x) => x.id === id);
  return u ? String(u.fields.display_name ?? u.fields.username ?? "") : "";
}

/// The signed-in person's role, and whether it may write customers and their records (a viewer
/// only reads; finance reads everything and writes only payments, invoices and expenses; the core
/// refuses the writes, the UI just does not offer them). `isFinance`: confirms payments and
/// issues invoices (finance, and admins). `claims`: files expense claims of their own (everyone
/// but a viewer).
export function useRole(): { role: Role | undefined; canWrite: boolean; isLead: boolean; isFinance: boolean; claims: boolean } {
  const role = useCrm().status?.identity?.role;
  return {
    role,
    canWrite: role !== undefined && role !== "viewer" && role !== "finance",
    isLead: role === "supervisor" || role === "admin",
    isFinance: role === "finance" || role === "admin",
    claims: role !== undefined && role !== "viewer",
  };
}
