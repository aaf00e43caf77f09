import { describe, expect, test } from "vitest";
import { fakeCrm } from "./fakeCrm";
import { readFileSync } from "node:fs";
import path from "node:path";
import { CrmError, ServerRefusal } from "../src/api";
import type { AuditEntry, Item, Json } from "../src/api";
import { errorText, needsServer } from "../src/errors";
import { messages, translate } from "../src/i18n";
import type { Lang, T } from "../src/i18n";
import {
  AUDIT_ACTIONS,
  DICTS,
  auditActor,
  auditDetail,
  auditTarget,
  dictOrder,
  entryPlace,
  formatBytes,
  moveWrites,
  nextSortOrder,
  passwordProblem,
  relativeTime,
  teamChoices,
  teamCode,
  teamMembers,
} from "../src/screens/admin/model";

const tr = (lang: Lang): T => (key, params) => translate(lang, key, params);
const doc = (file: string) => readFileSync(path.resolve(__dirname, "../../docs", file), "utf8");


const response = (status: number, body: Json, file: Json = null) => ({ type: "server_response", status, body, file });

describe("the server's administration API", () => {
  test("requests go through the documented server op, paths and queries encoded", async () => {
    const f = fakeCrm(() => response(200, { users: [], devices: [], entries: [], next: null }));
    await f.crm.accounts();
    await f.crm.changeAccount("li li/x", { team: null });
    await f.crm.audit({ action: "user_added", actor: "", q: "王", before: 41, limit: 50 });
    await f.crm.revokeDevice("d-1");
    expect(f.sent).toEqual([
      { op: "server", method: "GET", path: "/api/admin/users" },
      { op: "server", method: "PATCH", path: "/api/admin/users/li%20li%2Fx", body: { team: null } },
      { op: "server", method: "GET", path: "/api/admin/audit?action=user_added&q=%E7%8E%8B&before=41&limit=50" },
      { op: "server", method: "POST", path: "/api/admin/devices/d-1/revoke" },
    ]);
  });

  test("a refusal is an answer of server(), and a translated ServerRefusal of the typed calls", async () => {
    const f = fakeCrm(() => response(400, { code: "invalid", message: "user 'lili' already exists" }));
    const raw = await f.crm.server("POST", "/api/admin/users", { username: "lili" });
    expect(raw.status).toBe(400);
    const e = await f.crm.addAccount({ username: "lili", role: "viewer", password: "12345678" }).catch((x) => x);
    expect(e).toBeInstanceOf(ServerRefusal);
    expect(e.status).toBe(400);
    expect(errorText(tr("zh-CN"), e)).toBe("服务器未接受：user 'lili' already exists");
    expect(needsServer(e)).toBe(false);
  });

  test("a status without a code still reads as a sentence, and not_found means the server's", async () => {
    const none = await fakeCrm(() => response(404, null)).crm.backups().catch((x) => x);
    expect(none.code).toBe("server_status");
    expect(errorText(tr("en"), none)).toMatch(/status 404/);
    const gone = await fakeCrm(() => response(404, { code: "not_found", message: "no backup" })).crm.backupFile("x.sqlite3").catch((x) => x);
    expect(errorText(tr("en"), gone)).toBe(translate("en", "error.server.not_found"));
  });

  test("a file comes back as the server sent it; a missing one is a refusal", async () => {
    const file = { name: "customer-20261123.csv", content_type: "text/csv", data: "77u/" };
    expect(await fakeCrm(() => response(200, null, file)).crm.exportFile("customer", "csv")).toEqual(file);
    await expect(fakeCrm(() => response(200, { ok: true })).crm.exportFile("customer", "csv")).rejects.toBeInstanceOf(ServerRefusal);
  });

  test("no server to reach is told apart from a refusal", async () => {
    const unreachable = await fakeCrm(() => ({ type: "error", code: "server_unreachable", message: "down" })).crm.devices().catch((x) => x);
    expect(unreachable).toBeInstanceOf(CrmError);
    expect(needsServer(unreachable)).toBe(true);
    expect(needsServer(new CrmError("not_signed_in", ""))).toBe(true);
    expect(needsServer(new CrmError("validation", ""))).toBe(false);
  });

  test("every refusal code the admin API documents has a sentence", () => {
    const text = doc("protocol.md");
    const section = text.slice(text.indexOf("## Administration and export"), text.indexOf("| request |"));
    // `{"code": "forbidden"}` in the text, then the table of `| status | code | when |`.
    const inText = [...section.matchAll(/\{"code": "([a-z_]+)"\}/g)].map((m) => m[1]);
    const inTable = section
      .split("\n")
      .filter((l) => /^\| \d{3} \|/.test(l))
      .flatMap((l) => [...l.split("|")[2].matchAll(/`([a-z_]+)`/g)].map((m) => m[1]));
    const codes = [...inText, ...inTable];
    expect(codes).toEqual(expect.arrayContaining(["forbidden", "invalid", "bad_request", "unknown_kind", "confirm_mismatch", "username_taken"]));
    for (const lang of ["en", "zh-CN"] as const) {
      for (const code of codes) expect(messages[lang][`error.server.${code}`] ?? messages[lang][`error.${code}`], code).toBeTruthy();
    }
  });
});

describe("the audit log in words", () => {
  test("the actions are the ones docs/protocol.md lists, each translated", () => {
    const text = doc("protocol.md");
    const para = text.slice(text.indexOf("Audit actions:")).split("\n\n")[0];
    const listed = [...para.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]).filter(
      (a) =>
        !["detail", "why", "role", "team", "from", "to", "system", "rows", "format", "cli", "kept", "kind", "file_name", "created", "updated", "skipped", "rejected", "deleted", "restored", "filter", "search_results"].includes(a),
    );
    expect([...AUDIT_ACTIONS].sort()).toEqual([...new Set(listed)].sort());
    for (const lang of ["en", "zh-CN"] as const) for (const a of AUDIT_ACTIONS) expect(messages[lang]).toHaveProperty(`audit.action.${a}`);
  });

  const names = {
    accounts: [{ id: "u1", username: "wangfang", display_name: "王芳", role: "account_manager" as const, team: "east", disabled: false }],
    devices: [{ id: "d1", username: "wangfang", name: "laptop", code_prefix: "D03", created_at: "", last_seen: null, revoked: false }],
  };
  const entry = (action: string, target: string | null, detail: Json, actor = "u1"): AuditEntry => ({
    id: 1,
    at: "2026-11-23T10:00:00Z",
    actor,
    actor_name: actor === "u1" ? "wangfang" : null,
    action,
    target,
    detail,
    address: null,
  });
  const zh = tr("zh-CN");

  test("people, devices and changes are named, not shown as ids", () => {
    expect(auditActor(zh, entry("login", "d1", null), names)).toBe("王芳 (wangfang)");
    expect(auditActor(zh, entry("user_added", "u1", null, "cli"), names)).toBe("服务器命令行");
    expect(auditTarget(zh, entry("device_revoked", "d1", null), names).text).toBe("王芳 (wangfang) · laptop · D03");
    expect(auditTarget(zh, entry("user_added", "u9", { username: "xiaoming" }), names).text).toBe("xiaoming");
    expect(auditTarget(zh, entry("user_added", "wangfang", { id: "u1", role: "account_manager" }), names).text).toBe("王芳 (wangfang)");
    expect(auditTarget(zh, entry("user_added", "u1", { username: "wangfang" }), names).text).toBe("王芳 (wangfang)");
    expect(auditDetail(zh, entry("user_added", "wangfang", { id: "u1", role: "account_manager", team: "east" }), names)).toBe("客户经理 · 团队 east");
    expect(auditTarget(zh, entry("transfer", "c1", null), names).customer).toBe("c1");
    expect(auditDetail(zh, entry("user_changed", "wangfang", { role: ["account_manager", "supervisor"], team: ["east", "east"] }), names)).toBe(
      "角色：客户经理 → 主管",
    );
    expect(
      auditDetail(zh, entry("import", "b1", { kind: "customer", file_name: "客户.xlsx", created: 2, updated: 0, skipped: 1, rejected: 3 }), names),
    ).toBe("客户，客户.xlsx：新建 2，更新 0，跳过 1，未导入 3");
    expect(auditDetail(tr("en"), entry("import_revert", "b1", { deleted: 2, restored: 0, kept: 1 }), names)).toBe("2 deleted, 0 restored, 1 kept");
    expect(auditDetail(zh, entry("restore", "b.sqlite3", { kept: "before.sqlite3" }), names)).toBe("恢复前的状态已备份为 before.sqlite3");
    expect(auditDetail(zh, entry("transfer", "c1", { from: "u1", to: null, why: "recycled" }, "system"), names)).toBe(
      "从 王芳 (wangfang) 转给 公海 (自动回收到公海)",
    );
    expect(auditDetail(zh, entry("login_failed", "x", { why: "wrong_password" }), names)).toBe("用户名或密码错误");
    expect(auditDetail(zh, entry("backup", "b.sqlite3", { anything: [1, 2] }), names)).toBe('{"anything":[1,2]}');
    expect(auditDetail(zh, entry("backup", "b.sqlite3", null), names)).toBe("");
  });

  test("an export made on a device says so, with its rows and what it covered: filters in words, or search results", () => {
    const en = tr("en");
    const filtered = { rows: 12, format: "csv", filter: { grade: "A", owner: "u1", "custom_fields.region_code": "华东" }, search_results: null, on_device: true };
    expect(auditDetail(en, entry("export", "customer", filtered), names)).toBe(
      "on the device, 12 rows, CSV, filtered by Grade: A, Owner: 王芳 (wangfang), region_code: 华东",
    );
    expect(auditDetail(zh, entry("export", "customer", { rows: 3, format: "xlsx", filter: {}, search_results: 3, on_device: true }), names)).toBe(
      "在设备上，3 行，XLSX，搜索结果（3 条）",
    );
    expect(auditDetail(en, entry("export", "customer", { rows: 0, format: "csv", filter: { owner: null }, on_device: true }), names)).toBe(
      "on the device, 0 rows, CSV, filtered by Owner: not set",
    );
    expect(auditDetail(en, entry("export", "customer", { rows: 40, format: "xlsx" }), names)).toBe("40 rows, XLSX");
  });
});

describe("teams by code", () => {
  const team = (id: string, code: string | null, name: string): Item => ({ id, kind: "team", fields: { name, ...(code ? { code } : {}) } }) as unknown as Item;
  const account = (username: string, team: string | null) => ({ id: username, username, display_name: "", role: "account_manager" as const, team, disabled: false });

  test("accounts are offered the teams' codes with their names, then codes only accounts carry", () => {
    const choices = teamChoices([team("t1", "west", "华西"), team("t2", null, "旧团队"), team("t3", "east", "华东")], [account("a", "east"), account("b", "north"), account("c", null)]);
    expect(choices).toEqual({ codes: ["east", "west", "north"], names: { east: "华东", west: "华西" } });
  });

  test("a team's members are the accounts carrying its code; a team without a code has none", () => {
    const accounts = [account("a", "east"), account("b", "west"), account("c", "east")];
    expect(teamMembers("east", accounts).map((a) => a.username)).toEqual(["a", "c"]);
    expect(teamMembers(teamCode(team("t2", null, "旧团队")), accounts)).toEqual([]);
  });
});

describe("an admin's export on the device", () => {
  test("a list is sent with its filters and no page, search results as their ids", async () => {
    const f = fakeCrm(() => ({ type: "file", name: "customer-20261123.csv", data: "" }));
    await f.crm.exportRecords("customer", "csv", { query: { filter: { grade: "A" }, tag: "vip", sort: "name", limit: 100, after: "x", names: true } });
    await f.crm.exportRecords("customer", "xlsx", { ids: ["c1", "c2"] });
    expect(JSON.parse(JSON.stringify(f.sent))).toEqual([
      { op: "export", kind: "customer", format: "csv", filter: { grade: "A" }, tag: "vip", sort: "name" },
      { op: "export", kind: "customer", format: "xlsx", ids: ["c1", "c2"] },
    ]);
  });
});

describe("sizes, times and passwords", () => {
  test("sizes and relative times read naturally in both languages", () => {
    expect(formatBytes("en", 812)).toBe("812 B");
    expect(formatBytes("en", 1_468_006)).toBe("1.4 MB");
    const now = Date.parse("2026-11-23T12:00:00Z");
    expect(relativeTime("en", "2026-11-23T11:57:00Z", now)).toBe("3 minutes ago");
    expect(relativeTime("en", "2026-11-23T11:59:58Z", now)).toBe("now");
    expect(relativeTime("zh-CN", "2026-11-22T12:00:00Z", now)).toBe("昨天");
    expect(relativeTime("en", null, now)).toBe("");
  });

  test("a new password needs 8 characters and the same twice", () => {
    expect(passwordProblem("short", "short")).toBe("users.password_short");
    expect(passwordProblem("long enough", "long enougH")).toBe("users.password_mismatch");
    expect(passwordProblem("long enough", "long enough")).toBeNull();
  });
});

describe("dictionary order", () => {
  const e = (id: string, dict: string, code: string, sort_order?: number): Item => ({
    id,
    kind: "dict_entry",
    fields: { dict, code, ...(sort_order === undefined ? {} : { sort_order }) },
    created_at: "",
    updated_at: "",
    deleted_at: null,
    has_conflicts: false,
  });

  test("the dictionaries are the ones docs/api.md lists, each translated", () => {
    const line = doc("api.md").split("\n").find((l) => l.startsWith("| `dict` | one of"))!;
    const documented = [...line.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]).slice(1);
    expect(DICTS).toEqual(documented);
    for (const lang of ["en", "zh-CN"] as const) for (const d of DICTS) expect(messages[lang]).toHaveProperty(`dict.${d}`);
  });

  test("entries are grouped by dictionary, then by their order", () => {
    const sorted = dictOrder([e("1", "region", "b", 2), e("2", "customer_grade", "B", 20), e("3", "region", "a", 1), e("4", "customer_grade", "A", 10)]);
    expect(sorted.map((x) => x.id)).toEqual(["4", "2", "3", "1"]);
  });

  test("moving one swaps two orders, or numbers the dictionary again when they are equal", () => {
    const group = [e("a", "region", "a", 10), e("b", "region", "b", 20), e("c", "region", "c", 30)].map(entryPlace);
    expect(moveWrites(group, 1, -1)).toEqual([
      { id: "b", sort_order: 10 },
      { id: "a", sort_order: 20 },
    ]);
    expect(moveWrites(group, 0, -1)).toEqual([]);
    const same = [e("a", "region", "a", 10), e("b", "region", "b", 10), e("c", "region", "c")].map(entryPlace);
    // a stays 10; c and b are written.
    expect(moveWrites(same, 2, -1)).toEqual([
      { id: "c", sort_order: 20 },
      { id: "b", sort_order: 30 },
    ]);
    expect(nextSortOrder(group)).toBe(40);
    expect(nextSortOrder([])).toBe(10);
  });

  test("custom fields move the same way: by the sort_order the custom_fields op gives", () => {
    const fields = [
      { id: "a", sort_order: 0 },
      { id: "b", sort_order: 0 },
    ];
    expect(moveWrites(fields, 1, -1)).toEqual([
      { id: "b", sort_order: 10 },
      { id: "a", sort_order: 20 },
    ]);
    expect(nextSortOrder(fields)).toBe(10);
  });
});
