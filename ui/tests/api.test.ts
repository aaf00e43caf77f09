import { describe, expect, test } from "vitest";
import { Crm, CrmError } from "../src/api";
import type { AppEvent, Json, Transport } from "../src/api";

/// A transport that records requests and answers from a table; the real one is exercised
/// end to end against the real core (e2e/).
function fake(answer: (req: Record<string, Json>) => Json) {
  const sent: Record<string, Json>[] = [];
  let handler: ((e: AppEvent) => void) | null = null;
  const transport: Transport = {
    async call(req) {
      sent.push(req as Record<string, Json>);
      return answer(req as Record<string, Json>);
    },
    listen(h) {
      handler = h;
      return () => (handler = null);
    },
  };
  return { transport, sent, emit: (e: AppEvent) => handler?.(e) };
}

describe("data access", () => {
  test("requests are the documented JSON ops", async () => {
    const f = fake(() => ({ type: "page", items: [], next: null, total: 0 }));
    const crm = new Crm(f.transport);
    await crm.list("customer", { filter: { grade: "A" }, sort: "name", limit: 50 });
    await crm.update("id1", { grade: "B" });
    await crm.signOut();
    expect(f.sent).toEqual([
      { op: "list", kind: "customer", filter: { grade: "A" }, sort: "name", limit: 50 },
      { op: "update", id: "id1", fields: { grade: "B" } },
      { op: "sign_out", force: false },
    ]);
  });

  test("an error response becomes a CrmError with per-field validation errors", async () => {
    const crm = new Crm(
      fake(() => ({
        type: "error",
        code: "validation",
        message: "the request is not valid",
        params: { errors: [{ field: "name", reason: "required" }, { field: "email", reason: "invalid_email" }] },
      })).transport,
    );
    const e = await crm.create("customer", {}).catch((x) => x);
    expect(e).toBeInstanceOf(CrmError);
    expect(e.code).toBe("validation");
    expect(e.fieldErrors()).toEqual({ name: { reason: "required", params: null }, email: { reason: "invalid_email", params: null } });
  });

  test("duplicates are a result, not an error", async () => {
    const crm = new Crm(fake(() => ({ type: "duplicates", candidates: [{ id: "c", kind: "customer", title: "宏达", matched: ["name"] }] })).transport);
    const r = await crm.create("customer", { name: "宏达" });
    expect(r.type).toBe("duplicates");
  });

  test("dictionaries are cached until the server changes records", async () => {
    const f = fake(() => ({ type: "dictionary", entries: [] }));
    const crm = new Crm(f.transport);
    const seen: AppEvent[] = [];
    crm.listen((e) => seen.push(e));
    await crm.dictionaries();
    await crm.dictionaries();
    expect(f.sent.length).toBe(1);
    f.emit({ event: "records_changed", remote: false });
    await crm.dictionaries();
    expect(f.sent.length).toBe(1);
    f.emit({ event: "records_changed", remote: true });
    await crm.dictionaries();
    expect(f.sent.length).toBe(2);
    expect(seen.length).toBe(2);
  });

  test("a failed schema load is not cached", async () => {
    let fail = true;
    const crm = new Crm(fake(() => (fail ? { type: "error", code: "storage", message: "disk" } : { type: "schema", kinds: [] })).transport);
    await expect(crm.schema()).rejects.toBeInstanceOf(CrmError);
    fail = false;
    await new Promise((r) => setTimeout(r, 0));
    await expect(crm.schema()).resolves.toEqual([]);
  });
});
