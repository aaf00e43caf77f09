// The product catalogue as this device holds it, read again as records change. The core's
// `search` finds customers and contacts only, so a product is found by code, name or
// specification among these (`matchesProduct`).

import type { Item } from "../../api";
import { useCrm, useData } from "../../state";

/// At most this many products are read (pages of 500).
const MOST = 10_000;

export function useProducts(): Item[] | null {
  const { crm } = useCrm();
  return useData(async () => {
    const items: Item[] = [];
    let after: string | null = null;
    do {
      const page = await crm.list("product", { sort: "code", limit: 500, after });
      items.push(...page.items);
      after = page.next;
    } while (after && items.length < MOST);
    return items;
  }, []).data;
}

/// Whether a product's code, name or specification holds what was typed (any case).
export function matchesProduct(p: Item, typed: string): boolean {
  const q = typed.trim().toLowerCase();
  if (q === "") return true;
  return [p.fields.code, p.fields.name, p.fields.spec].some((v) => typeof v === "string" && v.toLowerCase().includes(q));
}

/// A product in a few words: "P-100 · 液压泵 · 100L".
export function productWords(p: Item): string {
  return [p.fields.code, p.fields.name, p.fields.spec].filter((v) => typeof v === "string" && v !== "").join(" · ");
}
