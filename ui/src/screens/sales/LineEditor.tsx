// A document's lines as boxes, for quick entry on a tablet: a product found by the core's
// `search` (code, name or specification) as its name is typed (or any text, for a line without a product), its price
// and tax rate filled from the core's `price` for this customer and quantity, the stock at once,
// the list price beside the unit price with how far below it that is; each line's amount as
// the core's `totals` gives it. A part two people changed at once is marked on its line, to
// choose one value.

import { CloseOutlined, DeleteOutlined, PlusOutlined } from "@ant-design/icons";
import { Button, Input, Tag } from "antd";
import { useEffect, useRef, useState } from "react";
import type { ReactNode } from "react";
import type { ConflictValue, Item, Json, PriceQuote, RecordView } from "../../api";
import type { productChoice } from "./useProducts";
import { formatMoney, parseMoney, currencyDigits } from "../../i18n";
import { useCrm } from "../../state";
import { ConflictBadge } from "../../components/ConflictBadge";
import { Suggest } from "../../components/Suggest";
import { amountInput, conflictsOfLine, discountPercent, emptyLine, partText, rateInput } from "./model";
import type { LineDraft } from "./model";
import { productChoice as choiceOf } from "./useProducts";

type SetLines = (change: (old: LineDraft[]) => LineDraft[]) => void;
type Choice = ReturnType<typeof productChoice>;

/// At most this many products offered as a line's name is typed.
const HITS = 20;

/// Every line's boxes, an "add line" button, and the prices asked of the core as products,
/// quantities, the customer or the currency change.
export function LineEditor({
  lines,
  setLines,
  currency,
  customer,
  products,
  amounts,
  errors,
  record,
  onResolve,
}: {
  lines: LineDraft[];
  setLines: SetLines;
  currency: string;
  customer: string | undefined;
  products: Item[] | null;
  /// Each row's amount in minor units, from the core's `totals`.
  amounts: Record<number, number>;
  /// What is wrong with a row's parts, in words, by row and part (`*`: the whole line).
  errors: Record<number, Record<string, string>>;
  /// The saved document, for the conflicts on its lines.
  record?: RecordView | null;
  /// Keep one of the values two people gave a line's part.
  onResolve?: (item: string, part: string, value: Json) => void;
}) {
  const { crm, t } = useCrm();
  const [prices, setPrices] = useState<Record<string, PriceQuote>>({});
  // What was last asked for each line (product, customer, currency, quantity): asked again only
  // when one of them changes, and an answer to an older question is dropped.
  const asked = useRef<Record<string, string>>({});
  const focusRow = useRef<{ key: string; box: string } | null>(null);

  const ask = (d: LineDraft) => {
    if (!d.product) return;
    const quantity = d.quantity.trim() || "1";
    const sig = [d.product, customer ?? "", currency, quantity].join("|");
    if (asked.current[d.key] === sig) return;
    asked.current[d.key] = sig;
    crm.price(d.product, customer, quantity, currency).then(
      (q) => {
        if (asked.current[d.key] !== sig) return;
        setPrices((old) => ({ ...old, [d.key]: q }));
        setLines((old) => old.map((l) => (l.key === d.key && l.product === q.product ? priced(l, q, currency) : l)));
      },
      // A quantity the core cannot read: the totals say so on the line.
      () => undefined,
    );
  };

  useEffect(() => {
    for (const d of lines) ask(d);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [lines, customer, currency]);

  const pick = (d: LineDraft, product: Choice) => {
    const quantity = d.quantity.trim() || "1";
    const chosen: LineDraft = { ...d, product: product.id, code: product.code, name: product.name, quantity, priced: false, fill: true };
    setLines((old) => old.map((l) => (l.key === d.key ? chosen : l)));
    focusRow.current = { key: d.key, box: "quantity" };
  };

  const add = () => {
    const line = emptyLine();
    focusRow.current = { key: line.key, box: "name" };
    setLines((old) => [...old, line]);
  };

  // The box the person goes on with: a new line's name, a picked product's quantity.
  useEffect(() => {
    const f = focusRow.current;
    if (!f) return;
    const el = document.getElementById(`line-${f.key}-${f.box}`);
    if (el) {
      el.focus();
      focusRow.current = null;
    }
  });

  const productName = (id: string) => {
    const p = products?.find((x) => x.id === id);
    return p ? String(p.fields.name ?? "") : "";
  };

  return (
    <div className="lines" data-testid="line-editor">
      {lines.length === 0 && <p className="muted">{t("sales.no_lines")}</p>}
      {lines.map((d, row) => (
        <LineRow
          key={d.key}
          row={row}
          line={d}
          currency={currency}
          products={products}
          quote={prices[d.key]}
          amount={amounts[row]}
          errors={errors[row] ?? {}}
          conflicts={conflictsOfLine(record?.conflicts, d.id)}
          record={record}
          productName={productName}
          onResolve={onResolve}
          set={(change) => setLines((old) => old.map((l) => (l.key === d.key ? { ...l, ...change } : l)))}
          pick={(p) => pick(d, p)}
          remove={() => setLines((old) => old.filter((l) => l.key !== d.key))}
        />
      ))}
      <Button icon={<PlusOutlined />} onClick={add} data-testid="line-add">
        {t("sales.add_line")}
      </Button>
    </div>
  );
}

/// A line after the core said what its product costs: a product just chosen takes its name,
/// unit, prices and tax rate; otherwise the price lists' price for the new quantity or customer,
/// unless the person typed one.
function priced(l: LineDraft, q: PriceQuote, currency: string): LineDraft {
  if (l.fill) {
    return {
      ...l,
      fill: false,
      code: q.code,
      name: q.name,
      unit: q.unit ?? "",
      list_price: amountInput(q.list_price, currency),
      unit_price: amountInput(q.applicable_price ?? q.list_price, currency),
      tax_rate: rateInput(q.tax_rate),
    };
  }
  if (l.priced || q.applicable_price === null) return l;
  const unit = amountInput(q.applicable_price, currency);
  return unit === l.unit_price ? l : { ...l, unit_price: unit };
}

function LineRow({
  row,
  line: d,
  currency,
  products,
  quote,
  amount,
  errors,
  conflicts,
  record,
  productName,
  onResolve,
  set,
  pick,
  remove,
}: {
  row: number;
  line: LineDraft;
  currency: string;
  products: Item[] | null;
  quote: PriceQuote | undefined;
  amount: number | undefined;
  errors: Record<string, string>;
  conflicts: Record<string, ConflictValue[]>;
  record?: RecordView | null;
  productName: (id: string) => string;
  onResolve?: (item: string, part: string, value: Json) => void;
  set: (change: Partial<LineDraft>) => void;
  pick: (p: Choice) => void;
  remove: () => void;
}) {
  const { crm, t, lang } = useCrm();
  // The products the core finds for what was typed (the latest answer wins).
  const [hits, setHits] = useState<Choice[]>([]);
  const searched = useRef("");
  const find = (typed: string) => {
    const q = typed.trim();
    searched.current = q;
    if (q === "") {
      setHits([]);
      return;
    }
    crm.search(q, HITS, ["product"]).then(
      (found) => searched.current === q && setHits(found.filter((h) => h.kind === "product").map(choiceOf)),
      () => searched.current === q && setHits([]),
    );
  };
  const digits = currencyDigits(currency);
  const money = (minor: number | null | undefined) => (typeof minor === "number" ? formatMoney(lang, { minor, currency }) : "");
  const percent = discountPercent(parseMoney(d.list_price, digits), parseMoney(d.unit_price, digits));
  const codes = hits.map((h) => h.code);
  const labels = Object.fromEntries(hits.map((h) => [h.code, h.label]));
  const code = d.code || quote?.code || (d.product ? String(products?.find((p) => p.id === d.product)?.fields.code ?? "") : "");
  const box = (part: keyof LineDraft & string, label: string, className: string, input: ReactNode) => (
    <div className={`line-box ${className}`} data-box-of={part}>
      <label className="muted small" htmlFor={`line-${d.key}-${part}`}>
        {label}
      </label>
      {input}
      {conflicts[part] && (
        <ConflictBadge
          values={conflicts[part]}
          record={record ?? { names: {} }}
          render={(v) => partText(lang, part, v, currency, productName)}
          onKeep={onResolve && d.id ? (v) => onResolve(d.id!, part, v) : undefined}
          testId="line-conflict"
        />
      )}
      {errors[part] && (
        <span className="field-error" role="alert" data-testid={`line-error-${part}`}>
          {errors[part]}
        </span>
      )}
    </div>
  );
  const text = (part: "quantity" | "unit" | "list_price" | "unit_price" | "tax_rate", mode: "decimal" | "text", extra: Partial<LineDraft> = {}) => (
    <Input
      id={`line-${d.key}-${part}`}
      inputMode={mode}
      value={d[part]}
      status={errors[part] ? "error" : undefined}
      onChange={(e) => set({ [part]: e.target.value, ...extra })}
      data-testid={`line-${part.replace("_", "-")}`}
    />
  );
  return (
    <div className="line" data-testid="line" data-row={row} data-line-key={d.key} data-line-id={d.id}>
      <div className="line-head">
        <strong className="line-no">{row + 1}</strong>
        {d.product ? (
          <Tag className="line-product" data-testid="line-product" data-product={d.product}>
            {code || t("sales.product")}
            <Button
              type="text"
              size="small"
              icon={<CloseOutlined />}
              aria-label={t("sales.unlink_product")}
              title={t("sales.unlink_product")}
              onClick={() => set({ product: undefined, code: undefined })}
              data-testid="line-unlink"
            />
          </Tag>
        ) : (
          <span className="muted small">{t("sales.free_line")}</span>
        )}
        {conflicts.product && (
          <ConflictBadge
            values={conflicts.product}
            record={record ?? { names: {} }}
            render={(v) => partText(lang, "product", v, currency, productName)}
            onKeep={onResolve && d.id ? (v) => onResolve(d.id!, "product", v) : undefined}
            testId="line-conflict"
          />
        )}
        {quote && quote.stock !== null && (
          <Tag color="blue" data-testid="line-stock" data-stock={quote.stock}>
            {t("sales.stock", { stock: quote.stock, unit: quote.unit ?? "" })}
          </Tag>
        )}
        {quote && quote.stock === null && d.product && <Tag data-testid="line-stock" data-stock="">{t("sales.stock_unknown")}</Tag>}
        {quote && !quote.on_sale && (
          <Tag color="red" data-testid="line-discontinued">
            {t("sales.discontinued")}
          </Tag>
        )}
        {quote && quote.list_price === null && <Tag color="orange">{t("sales.no_price_in", { currency })}</Tag>}
        <span className="line-amount money" data-testid="line-amount" data-minor={amount ?? ""}>
          {amount !== undefined ? money(amount) : ""}
        </span>
        <Button type="text" danger icon={<DeleteOutlined />} aria-label={t("sales.remove_line")} title={t("sales.remove_line")} onClick={remove} data-testid="line-remove" />
      </div>
      {errors["*"] && (
        <span className="field-error" role="alert">
          {errors["*"]}
        </span>
      )}
      <div className="line-boxes">
        {box(
          "name",
          t("sales.line_name"),
          "line-name",
          <Suggest
            id={`line-${d.key}-name`}
            value={d.name}
            choices={codes}
            labels={labels}
            placeholder={t("sales.line_name_hint")}
            error={errors.name}
            matched
            onChange={(v) => {
              set({ name: v ?? "" });
              find(v ?? "");
            }}
            onSelect={(c) => {
              const p = hits.find((h) => h.code === c);
              if (p) pick(p);
            }}
            testId="line-name"
            className="full-width"
          />,
        )}
        {box("quantity", t("sales.quantity"), "line-qty", text("quantity", "decimal"))}
        {box("unit", t("field.unit"), "line-unit", text("unit", "text"))}
        {box("list_price", t("field.list_price"), "line-price", text("list_price", "decimal"))}
        {box(
          "unit_price",
          t("field.unit_price"),
          "line-price",
          <>
            {text("unit_price", "decimal", { priced: true })}
            {percent !== null && percent !== 0 && (
              <span className={`small ${percent > 0 ? "line-off" : "muted"}`} data-testid="line-discount" data-percent={percent}>
                {percent > 0 ? t("sales.percent_off", { percent }) : t("sales.percent_above", { percent: -percent })}
              </span>
            )}
            {quote && quote.applicable_price !== null && quote.applicable_price !== quote.list_price && (
              <span className="muted small" data-testid="line-applicable">
                {t("sales.applicable", { price: money(quote.applicable_price) })}
              </span>
            )}
          </>,
        )}
        {box("tax_rate", t("sales.tax_percent"), "line-tax", text("tax_rate", "decimal"))}
      </div>
    </div>
  );
}
