// The product catalogue as this device holds it, read again as records change (the catalogue
// screen filters it with `matchesProduct`, and by custom fields through the core's list
// filter); a document's line finds its product through the core's `search` instead
// (`productChoice` reads a hit).

import type { Item, Json, SearchHit } from "../../api";
import { useCrm, useData } from "../../state";

/// At most this many products are read (pages of 500).
const MOST = 10_000;

/// The products, or only those the list `filter` keeps (the catalogue's custom filters).
export function useProducts(filter: Record<string, Json> = {}): Item[] | null {
  const { crm } = useCrm();
  const key = JSON.stringify(filter);
  return useData(async () => {
    const items: Item[] = [];
    let after: string | null = null;
    do {
      const page = await crm.list("product", { filter, sort: "code", limit: 500, after });
      items.push(...page.items);
      after = page.next;
    } while (after && items.length < MOST);
    return items;
  }, [key]).data;
}

/// Whether a product's code, name or specification holds what was typed (any case).
export function matchesProduct(p: Item, typed: string): boolean {
  const q = typed.trim().toLowerCase();
  if (q === "") return true;
  return [p.fields.code, p.fields.name, p.fields.spec].some((v) => typeof v === "string" && v.toLowerCase().includes(q));
}

/// A product `search` hit as a line's choice: its code (the subtitle's first part, "code · spec"),
/// its name (the title) and the words shown beside the code.
export function productChoice(hit: SearchHit): { id: string; code: string; name: string; label: string } {
  const parts = (hit.subtitle ?? "").split(" · ").filter((x) => x !== "");
  const code = parts[0] ?? hit.title;
  return { id: hit.id, code, name: hit.title, label: [hit.title, ...parts.slice(1)].join(" · ") };
}
