import { describe, expect, test } from "vitest";
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { detectLang, messages, translate } from "../src/i18n";
import { VALIDATION_REASONS, reasonWords } from "../src/errors";

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : /\.tsx?$/.test(f) ? [p] : [];
  });
}

describe("translations", () => {
  test("every key exists in both languages with the same placeholders and no empty text", () => {
    const en = messages.en;
    const zh = messages["zh-CN"];
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
    for (const key of Object.keys(en)) {
      expect(placeholders(zh[key]), key).toEqual(placeholders(en[key]));
      expect(en[key].trim(), key).not.toBe("");
      expect(zh[key].trim(), key).not.toBe("");
    }
  });

  test("every literal key used in the code is translated", () => {
    const src = path.resolve(__dirname, "../src");
    const used = new Set<string>();
    for (const file of sources(src)) {
      for (const m of readFileSync(file, "utf8").matchAll(/\bt\(\s*"([a-z_]+\.[a-z_.]+)"/g)) used.add(m[1]);
    }
    expect(used.size).toBeGreaterThan(50);
    const missing = [...used].filter((k) => !(k in messages.en));
    expect(missing).toEqual([]);
  });

  test("every value the core can send for stages, activity types and validation reasons has a label", () => {
    for (const s of ["lead", "qualified", "proposal", "negotiation", "won", "lost"]) expect(messages.en).toHaveProperty(`stage.${s}`);
    for (const a of ["visit", "call", "meeting", "email", "follow_up"]) expect(messages.en).toHaveProperty(`activity_type.${a}`);
    // The validation reasons listed in docs/api.md.
    const doc = readFileSync(path.resolve(__dirname, "../../docs/api.md"), "utf8");
    const line = doc.split("\n").find((l) => l.startsWith("Validation reasons:"))!;
    const more = doc.slice(doc.indexOf(line)).split("\n\n")[0];
    // Backticked words in parentheses are params, or the op a reason points to (`append`).
    // A list's item and part, and the figures a sales reason names, are params too.
    const notReasons = ["expected", "max", "value", "allowed", "dictionary", "min", "append", "key", "format", "use", "example", "decimals", "item", "part", "subtotal", "params", "size", "max_bytes", "declared", "actual", "kind", "fields", "detail"];
    const reasons = [...more.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]).filter((r) => !notReasons.includes(r));
    expect(reasons.length).toBeGreaterThan(15);
    for (const r of reasons) expect(messages["zh-CN"], r).toHaveProperty(`error.${r}`);
    // The words an import's refused rows are written with cover each of them.
    for (const r of reasons) expect(VALIDATION_REASONS, r).toContain(r);
  });

  test("the reasons a refused import row is written with are the app's sentences, params left out", () => {
    const zh = reasonWords((key, params) => translate("zh-CN", key, params));
    expect(zh.unknown_dictionary_value).toBe(messages["zh-CN"]["error.unknown_dictionary_value"]);
    expect(zh.required).toBe("必填");
    expect(zh.too_long).toBe("太长了");
    // A sentence that is all params is left to the core, which writes the code.
    expect(zh.out_of_range).toBeUndefined();
    const en = reasonWords((key, params) => translate("en", key, params));
    expect(en.wrong_type).toBe("Wrong kind of value");
    expect(en.invalid_amount).toBe(messages.en["error.invalid_amount"]);
    for (const words of [zh, en]) for (const said of Object.values(words)) expect(said).not.toMatch(/[{}\u0000]/);
  });

  test("every error code the core, the app service and the server's refusals can send has a message", () => {
    // The first column of docs/api.md's error table and docs/protocol.md's refusal table.
    const codes = (file: string, heading: string) => {
      const doc = readFileSync(path.resolve(__dirname, "../../docs", file), "utf8");
      const table = doc.slice(doc.indexOf(heading)).split("\n\n")[1];
      return table
        .split("\n")
        .filter((l) => l.startsWith("| `"))
        .flatMap((l) => [...l.split("|")[1].matchAll(/`([a-z_]+)`/g)].map((m) => m[1]));
    };
    const core = codes("api.md", "`message` is English for logs");
    const refusals = codes("protocol.md", "keeps the\nrefused edits in a visible list");
    expect(core).toContain("storage");
    expect(refusals).toContain("owner_change");
    // The app service's own session errors (crm-core/src/app.rs) and the HTTP transport's.
    const app = ["invalid_server_url", "insecure_server", "sign_in_refused", "server_unreachable", "sync_error", "unsynced_edits", "store_in_use", "store_locked", "wrong_store_key", "internal", "transport"];
    for (const code of [...core, ...refusals.filter((c) => c !== "not_own"), ...app]) {
      expect(messages["zh-CN"], code).toHaveProperty(`error.${code}`);
    }
  });

  test("every sync detail code and sign-in refusal reason the docs name has a message", () => {
    const api = readFileSync(path.resolve(__dirname, "../../docs/api.md"), "utf8");
    const protocol = readFileSync(path.resolve(__dirname, "../../docs/protocol.md"), "utf8");
    // app_status: "`detail_code` is what a UI translates (`server_unreachable`, … or another
    // code from *Errors* in docs/protocol.md)".
    const said = api.slice(api.indexOf("`detail_code` is what a UI translates")).split(")")[0];
    const named = [...said.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]).filter((c) => c !== "detail_code");
    expect(named).toContain("device_revoked");
    const table = protocol.slice(protocol.indexOf("## Errors (`error` message)")).split("\n\n")[1];
    const errors = table
      .split("\n")
      .filter((l) => l.startsWith("| `"))
      .map((l) => /`([a-z_]+)`/.exec(l)![1]);
    expect(errors).toContain("server_error");
    for (const code of [...named, ...errors]) expect(messages["zh-CN"], code).toHaveProperty(`error.${code}`);
    // sign_in: "`sign_in_refused` (`params.reason`: … `login_failed` …, `too_many_attempts` …, `invalid`)".
    const refused = api.slice(api.indexOf("`sign_in_refused` (`params.reason`")).split("),")[0];
    const reasons = [...refused.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]).filter((r) => !["sign_in_refused", "retry_after_secs"].includes(r));
    expect(reasons).toEqual(["login_failed", "too_many_attempts", "invalid"]);
    for (const r of reasons) for (const lang of ["en", "zh-CN"] as const) expect(messages[lang]).toHaveProperty(`error.sign_in_refused.${r}`);
  });

  test("placeholders are filled and the default language follows the system", () => {
    expect(translate("zh-CN", "customers.count", { count: 12 })).toBe("共 12 个客户");
    expect(translate("en", "sync.pending", { count: 3 })).toBe("3 waiting to be sent");
    expect(translate("zh-CN", "sync.pending", { count: 3 })).toBe("3 条修改待发送");
    expect(detectLang(["zh-TW", "en"])).toBe("zh-CN");
    expect(detectLang(["en-GB"])).toBe("en");
    expect(detectLang(["fr-FR"])).toBe("zh-CN");
  });
});
