// What the administration screens show, in words: sizes, times relative to now, the audit
// log's entries as sentences, a password's problems, and the order of a dictionary's entries
// with the writes that move one. Pure functions, tested in tests/admin.test.ts.

import type { Account, AuditEntry, Device, Item, Json, KindSchema } from "../../api";
import type { Lang, T } from "../../i18n";

/// Every action the server's audit log knows (sync-server/src/audit.rs `ACTIONS`, listed in
/// docs/protocol.md), in the order the filter offers them.
export const AUDIT_ACTIONS = [
  "login",
  "login_failed",
  "user_added",
  "user_changed",
  "user_disabled",
  "user_enabled",
  "password_reset",
  "device_revoked",
  "transfer",
  "export",
  "export_refused",
  "backup",
  "restore",
  "import",
  "import_revert",
  "smtp_changed",
] as const;

/// The dictionaries an admin keeps (docs/api.md, kind `dict_entry`), in the order shown.
export const DICTS = [
  "customer_type",
  "customer_grade",
  "customer_status",
  "customer_source",
  "industry",
  "region",
  "activity_outcome",
  "service_type",
  "product_category",
  "payment_method",
  "expense_category",
  "article_category",
  "campaign_type",
];

export const ROLES = ["admin", "supervisor", "account_manager", "finance", "viewer"] as const;

/// The server takes passwords of 8 characters or more.
export const MIN_PASSWORD = 8;

/// What is wrong with a new password and its confirmation (a translation key), or null.
export function passwordProblem(password: string, confirm: string): string | null {
  if (password.length < MIN_PASSWORD) return "users.password_short";
  if (password !== confirm) return "users.password_mismatch";
  return null;
}

/// A size in bytes for people: "812 B", "1.4 MB".
export function formatBytes(lang: Lang, bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${new Intl.NumberFormat(lang, { maximumFractionDigits: digits }).format(value)} ${units[unit]}`;
}

/// How long ago (or from now) a time is, in the language: "3 minutes ago", "昨天".
export function relativeTime(lang: Lang, iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "";
  const at = new Date(iso).getTime();
  if (Number.isNaN(at)) return "";
  const seconds = Math.round((at - now) / 1000);
  const format = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
  const steps: [Intl.RelativeTimeFormatUnit, number][] = [
    ["second", 60],
    ["minute", 60],
    ["hour", 24],
    ["day", 30],
    ["month", 12],
  ];
  let value = seconds;
  for (const [unit, size] of steps) {
    if (Math.abs(value) < size) return format.format(unit === "second" && Math.abs(value) < 10 ? 0 : value, unit);
    value = Math.round(value / size);
  }
  return format.format(value, "year");
}

/// Names for what audit entries point at: people by user id or username, devices by id.
export interface AuditNames {
  accounts: Account[];
  devices: Device[];
}

function person(names: AuditNames, by: { id?: string | null; username?: string | null }): string | null {
  const a = names.accounts.find((x) => (by.id && x.id === by.id) || (by.username && x.username === by.username));
  if (a) return a.display_name && a.display_name !== a.username ? `${a.display_name} (${a.username})` : a.username;
  return by.username ?? null;
}

/// Who acted, in words: a person, the server's command line, or the server itself.
export function auditActor(t: T, e: AuditEntry, names: AuditNames): string {
  if (e.actor === "cli") return t("audit.actor_cli");
  if (e.actor === "system") return t("audit.actor_system");
  if (e.actor === "") return t("audit.actor_unknown");
  return person(names, { id: e.actor, username: e.actor_name }) ?? e.actor;
}

/// The device an id names: whose, its name and code prefix; the id itself when unknown.
export function deviceLabel(names: AuditNames, id: string): string {
  const d = names.devices.find((x) => x.id === id);
  if (!d) return id;
  return [person(names, { username: d.username }), d.name, d.code_prefix].filter(Boolean).join(" · ");
}

/// What an entry acted on, in words; `customer` when it is a customer (a transfer), to link to.
export function auditTarget(t: T, e: AuditEntry, names: AuditNames): { text: string; customer?: string } {
  const target = e.target ?? "";
  const detail = asObject(e.detail);
  switch (e.action) {
    // The target is the username and `detail.id` the user id (servers before that: the user id
    // and `detail.username`).
    case "user_added":
      return { text: person(names, { id: str(detail.id) ?? target, username: str(detail.username) ?? target }) ?? target };
    case "login_failed":
    case "user_changed":
    case "user_disabled":
    case "user_enabled":
    case "password_reset":
      return { text: person(names, { username: target }) ?? target };
    case "login":
    case "device_revoked":
      return { text: target ? deviceLabel(names, target) : "" };
    case "transfer":
      return { text: t("kind.customer"), customer: target || undefined };
    case "export":
    case "export_refused":
      return { text: target ? kindLabel(t, target) : "" };
    default:
      return { text: target };
  }
}

/// An entry's detail as a short sentence where its shape is known, compact JSON otherwise.
export function auditDetail(t: T, e: AuditEntry, names: AuditNames): string {
  const d = asObject(e.detail);
  const who = (id: Json | undefined) => (typeof id === "string" ? person(names, { id }) ?? id : t("audit.pool"));
  switch (e.action) {
    case "login":
      return d.device !== undefined ? t("audit.detail_device", { device: str(d.device) ?? "" }) : compact(e.detail);
    case "login_failed": {
      const why = str(d.why);
      if (!why) return compact(e.detail);
      const key = `audit.why.${why}`;
      const text = t(key);
      return text === key ? why : text;
    }
    case "user_added":
      return [str(d.username), typeof d.role === "string" ? t(`role.${d.role}`) : null, str(d.team) && t("audit.detail_team", { team: str(d.team) })]
        .filter(Boolean)
        .join(" · ");
    case "user_changed": {
      const parts: string[] = [];
      const change = (field: string, pair: Json | undefined, label: (v: Json) => string) => {
        if (!Array.isArray(pair) || pair.length !== 2 || pair[0] === pair[1]) return;
        parts.push(t("audit.detail_changed", { field, from: label(pair[0]), to: label(pair[1]) }));
      };
      change(t("admin.role"), d.role, (v) => (typeof v === "string" ? t(`role.${v}`) : "—"));
      change(t("users.team"), d.team, (v) => (typeof v === "string" && v !== "" ? v : t("users.no_team")));
      return parts.length > 0 ? parts.join("; ") : compact(e.detail);
    }
    case "transfer": {
      const moved = t("audit.detail_transfer", { from: who(d.from), to: who(d.to) });
      return d.why === "recycled" ? `${moved} (${t("audit.detail_recycled")})` : moved;
    }
    case "export":
      return exportDetail(t, d, names);
    case "export_refused":
      return typeof d.role === "string" ? t("audit.detail_refused_role", { role: t(`role.${d.role}`) }) : compact(e.detail);
    case "restore":
      return str(d.kept) ? t("audit.detail_restore", { kept: str(d.kept) }) : compact(e.detail);
    case "import":
      return t("audit.detail_import", {
        kind: str(d.kind) ? kindLabel(t, str(d.kind) ?? "") : "",
        file: str(d.file_name) ?? "",
        created: num(d.created),
        updated: num(d.updated),
        skipped: num(d.skipped),
        rejected: num(d.rejected),
      });
    case "import_revert":
      return t("audit.detail_import_revert", { deleted: num(d.deleted), restored: num(d.restored), kept: num(d.kept) });
    default:
      return compact(e.detail);
  }
}

/// An export in words: the server's own (rows, format), or one an admin made on a device — of
/// search results, or of a list and the filters it had.
function exportDetail(t: T, d: Record<string, Json>, names: AuditNames): string {
  const format = (str(d.format) ?? "").toUpperCase();
  if (d.on_device !== true) return t("audit.detail_export", { rows: num(d.rows), format });
  const filter = Object.entries(asObject(d.filter ?? null));
  const what =
    typeof d.search_results === "number"
      ? t("audit.export_results", { count: d.search_results })
      : filter.length > 0
        ? t("audit.export_filtered", { filter: filter.map(([field, v]) => filterWords(t, field, v, names)).join(t("audit.filter_join")) })
        : t("audit.export_all");
  return t("audit.detail_export_device", { rows: num(d.rows), format, what });
}

/// One list filter in words: the field's label and the value (a person by name, a range as
/// from–to, "not set" for null).
function filterWords(t: T, field: string, v: Json, names: AuditNames): string {
  const custom = field.startsWith("custom_fields.") ? field.slice("custom_fields.".length) : null;
  const label = custom ?? (t(`field.${field}`) === `field.${field}` ? field : t(`field.${field}`));
  const value = (x: Json): string => {
    if (x === null) return t("audit.filter_unset");
    if (Array.isArray(x)) return x.map(value).join(" / ");
    if (typeof x === "object") return `${x.from === undefined ? "" : value(x.from)}–${x.to === undefined ? "" : value(x.to)}`;
    if (typeof x === "string" && (field === "owner" || field === "assignee")) return person(names, { id: x }) ?? x;
    return String(x);
  };
  return t("common.labelled", { label, value: value(v) });
}

function kindLabel(t: T, kind: string): string {
  const key = `kind.${kind}`;
  const text = t(key);
  return text === key ? kind : text;
}

function asObject(v: Json): Record<string, Json> {
  return v && typeof v === "object" && !Array.isArray(v) ? v : {};
}

function num(v: Json | undefined): number {
  return typeof v === "number" ? v : 0;
}

function str(v: Json | undefined): string | null {
  return typeof v === "string" && v !== "" ? v : null;
}

/// JSON on one line, nothing for null.
export function compact(v: Json): string {
  return v === null || v === undefined ? "" : JSON.stringify(v);
}

/// Dictionary entries in display order: by dictionary (in `DICTS` order), then `sort_order`
/// (entries without one last), then code.
export function dictOrder(entries: Item[]): Item[] {
  const dictIndex = (e: Item) => {
    const i = DICTS.indexOf(String(e.fields.dict));
    return i < 0 ? DICTS.length : i;
  };
  const order = (e: Item) => (typeof e.fields.sort_order === "number" ? e.fields.sort_order : Number.MAX_SAFE_INTEGER);
  return [...entries].sort(
    (a, b) =>
      dictIndex(a) - dictIndex(b) ||
      String(a.fields.dict).localeCompare(String(b.fields.dict)) ||
      order(a) - order(b) ||
      String(a.fields.code).localeCompare(String(b.fields.code)),
  );
}

/// Where a row of an ordered admin list (a dictionary's entries, a kind's custom fields)
/// stands: its record and its `sort_order`, if it has one.
export interface Placed {
  id: string;
  sort_order?: number | null;
}

/// A dictionary entry's place (its record's `sort_order`).
export const entryPlace = (e: Pick<Item, "id" | "fields">): Placed => ({ id: e.id, sort_order: typeof e.fields.sort_order === "number" ? e.fields.sort_order : null });

/// The `sort_order` writes that move `group[index]` one place up (-1) or down (+1) within its
/// group: the two swap their numbers when these differ, otherwise the whole group is numbered
/// again in steps of 10 (rows already in their place are left alone).
export function moveWrites(group: Placed[], index: number, delta: -1 | 1): { id: string; sort_order: number }[] {
  const other = index + delta;
  if (index < 0 || index >= group.length || other < 0 || other >= group.length) return [];
  const a = group[index];
  const b = group[other];
  const oa = a.sort_order;
  const ob = b.sort_order;
  if (typeof oa === "number" && typeof ob === "number" && oa !== ob) {
    return [
      { id: a.id, sort_order: ob },
      { id: b.id, sort_order: oa },
    ];
  }
  const moved = [...group];
  [moved[index], moved[other]] = [moved[other], moved[index]];
  return moved.flatMap((e, i) => ((i + 1) * 10 === e.sort_order ? [] : [{ id: e.id, sort_order: (i + 1) * 10 }]));
}

/// The `sort_order` for a new row: after the group's last one.
export function nextSortOrder(group: Placed[]): number {
  const orders = group.map((e) => e.sort_order).filter((o): o is number => typeof o === "number");
  return Math.min(1_000_000, (orders.length > 0 ? Math.max(...orders) : 0) + 10);
}

/// The kinds to export: the records people work with (customers first), and the dictionaries.
/// The server exports any kind but accounts and teams; settings and rules are one record each.
export function exportKinds(schema: KindSchema[]): string[] {
  const kinds = schema.filter((k) => !k.admin_only).map((k) => k.kind);
  return [...kinds.filter((k) => k === "customer"), ...kinds.filter((k) => k !== "customer"), ...(schema.some((k) => k.kind === "dict_entry") ? ["dict_entry"] : [])];
}

/// A team record's code, or null when it has none yet (records made before teams had codes).
export const teamCode = (team: Item): string | null => (typeof team.fields.code === "string" && team.fields.code !== "" ? team.fields.code : null);

/// Team codes to offer, each with its team's name where a record has it.
export interface TeamChoices {
  codes: string[];
  names: Record<string, string>;
}

/// The team codes to offer an account: the team records' codes, each with its name, then any
/// code accounts already carry that no record has.
export function teamChoices(teams: Item[], accounts: Account[]): TeamChoices {
  const names: Record<string, string> = {};
  for (const team of teams) {
    const code = teamCode(team);
    if (code) names[code] = String(team.fields.name ?? "");
  }
  const loose = accounts.map((a) => a.team).filter((c): c is string => !!c && !(c in names));
  return { codes: [...Object.keys(names).sort(), ...[...new Set(loose)].sort()], names };
}

/// The accounts whose team is this code.
export const teamMembers = (code: string | null, accounts: Account[]): Account[] => (code ? accounts.filter((a) => a.team === code) : []);
