// A saved document's lines and figures: each line with its list and unit price (and how far
// below the list price), tax rate and amount — the amounts from the core's `totals` of the
// saved lines, the document's subtotal, discount, tax and total from the record itself — and a
// part two people changed at once marked where it is, to keep one value.

import { App as AntApp } from "antd";
import type { ReactNode } from "react";
import type { Fields, Item, Json, RecordView, SalesLine } from "../../api";
import { errorText } from "../../errors";
import { formatMoney } from "../../i18n";
import { useCrm, useData } from "../../state";
import { ConflictBadge } from "../../components/ConflictBadge";
import { conflictsOfLine, currencyOf, discountPercent, formatRate, minorOf, partText } from "./model";

/// The figures of a document, in minor units of `currency`.
export function TotalsBox({
  currency,
  subtotal,
  discount,
  tax,
  total,
  excludingTax,
  listTotal,
  pending = false,
}: {
  currency: string;
  subtotal: number | null;
  discount: number | null;
  tax: number | null;
  total: number | null;
  excludingTax?: number | null;
  listTotal?: number | null;
  /// The figures are being worked out again (a form being typed in).
  pending?: boolean;
}) {
  const { t, lang } = useCrm();
  const row = (key: string, label: string, minor: number | null | undefined, strong = false): ReactNode =>
    typeof minor === "number" ? (
      <div className={`totals-row ${strong ? "strong" : ""}`} key={key}>
        <span className="muted">{label}</span>
        <span className="money" data-testid={`totals-${key}`} data-minor={minor}>
          {formatMoney(lang, { minor, currency })}
        </span>
      </div>
    ) : null;
  return (
    <div className={`totals-box ${pending ? "pending" : ""}`} data-testid="totals" aria-busy={pending}>
      {listTotal !== undefined && listTotal !== subtotal && row("list_total", t("sales.list_total"), listTotal)}
      {row("subtotal", t("field.subtotal"), subtotal)}
      {!!discount && row("discount", t("field.discount"), discount)}
      {row("total", t("field.total"), total, true)}
      {row("tax", t("sales.tax_included"), tax)}
      {excludingTax !== undefined && row("excluding_tax", t("sales.excluding_tax"), excludingTax)}
    </div>
  );
}

/// The lines of a saved quote, contract or order, read only, with their conflicts.
export function LinesView({ record, canResolve, products }: { record: RecordView; canResolve: boolean; products: Item[] | null }) {
  const { crm, t, lang } = useCrm();
  const { message } = AntApp.useApp();
  const f = record.fields;
  const currency = currencyOf(f);
  const lines = (Array.isArray(f.lines) ? f.lines : []) as unknown as (SalesLine & Fields)[];
  const discount = typeof f.discount === "number" ? f.discount : 0;
  const key = JSON.stringify([lines, discount]);
  // Each line's amount by the core's rule (the record holds the document's figures only).
  const figures = useData(() => (lines.length ? crm.totals(lines, discount) : Promise.resolve(null)), [key]);
  const money = (v: Json | undefined) => (typeof v === "number" ? formatMoney(lang, { minor: v, currency }) : "");
  const product = (id: Json | undefined) => (typeof id === "string" ? products?.find((p) => p.id === id) : undefined);
  const productName = (id: string) => String(product(id)?.fields.name ?? record.names[id] ?? "");
  const resolve = (item: string, part: string, value: Json) =>
    crm.resolveConflict(record.id, `lines.${item}.${part}`, value).catch((e) => message.error(errorText(t, e)));
  const cell = (l: SalesLine & Fields, part: string, shown: ReactNode) => {
    const conflict = conflictsOfLine(record.conflicts, l.id)[part];
    return (
      <span className="cell-stack">
        <span>{shown}</span>
        {conflict && (
          <ConflictBadge
            values={conflict}
            record={record}
            render={(v) => partText(lang, part, v, currency, productName)}
            onKeep={canResolve && l.id ? (v) => void resolve(l.id!, part, v) : undefined}
            testId="line-conflict"
          />
        )}
      </span>
    );
  };
  const money3 = (v: Json | undefined) => (v === undefined || v === null ? "" : money(v));
  return (
    <div className="lines-view">
      {lines.length === 0 && <p className="muted">{t("sales.no_lines")}</p>}
      {lines.length > 0 && (
        <div className="table-scroll">
          <table className="lines-table" data-testid="lines-view">
            <thead>
              <tr>
                <th>#</th>
                <th>{t("sales.line_name")}</th>
                <th className="num">{t("sales.quantity")}</th>
                <th className="num">{t("field.list_price")}</th>
                <th className="num">{t("field.unit_price")}</th>
                <th className="num">{t("sales.tax_percent")}</th>
                <th className="num">{t("field.amount")}</th>
              </tr>
            </thead>
            <tbody>
              {lines.map((l, i) => {
                const percent = discountPercent(l.list_price, l.unit_price);
                const code = product(l.product)?.fields.code;
                return (
                  <tr key={l.id ?? i} data-testid="line-view" data-line-id={l.id}>
                    <td>{i + 1}</td>
                    <td>
                      {cell(l, "name", <strong>{String(l.name ?? "")}</strong>)}
                      {l.product ? cell(l, "product", <span className="muted small">{typeof code === "string" ? code : t("sales.product")}</span>) : null}
                    </td>
                    <td className="num">{cell(l, "quantity", <span data-testid="line-view-quantity">{`${String(l.quantity ?? "")} ${l.unit ?? ""}`.trim()}</span>)}</td>
                    <td className="num">{cell(l, "list_price", money3(l.list_price))}</td>
                    <td className="num">
                      {cell(
                        l,
                        "unit_price",
                        <>
                          <span data-testid="line-view-price">{money3(l.unit_price)}</span>
                          {percent !== null && percent > 0 && <span className="small line-off"> {t("sales.percent_off", { percent })}</span>}
                        </>,
                      )}
                    </td>
                    <td className="num">{cell(l, "tax_rate", formatRate(l.tax_rate))}</td>
                    <td className="num money" data-testid="line-view-amount">
                      {money3(figures.data?.lines[i]?.amount)}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <TotalsBox
        currency={currency}
        subtotal={minorOf(f.subtotal)}
        discount={discount}
        tax={minorOf(f.tax)}
        total={minorOf(f.total)}
        excludingTax={figures.data?.total_excluding_tax}
      />
      {record.conflicts?.discount && (
        <ConflictBadge
          values={record.conflicts.discount}
          record={record}
          render={(v) => money(v)}
          onKeep={canResolve ? (v) => void crm.resolveConflict(record.id, "discount", v).catch((e) => message.error(errorText(t, e))) : undefined}
        />
      )}
    </div>
  );
}
