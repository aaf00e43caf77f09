import { DeleteOutlined, PlusOutlined } from "@ant-design/icons";
import { Alert, App as AntApp, Button, Input, Select } from "antd";
import { useState } from "react";
import type { Fields, Json, RecordView } from "../../api";
import { errorText } from "../../errors";
import { useCrm } from "../../state";
import { matchesProduct, useProducts } from "../sales/useProducts";

interface CountDraft {
  /// The item's id once saved (kept, so edits merge item by item); a local key otherwise.
  id?: string;
  key: string;
  product: string;
  quantity: string;
  note: string;
}

let counter = 0;
const newCount = (): CountDraft => ({ key: `c${++counter}`, product: "", quantity: "", note: "" });

function countsFrom(fields: Fields): CountDraft[] {
  const items = Array.isArray(fields.stock_counts) ? (fields.stock_counts as Fields[]) : [];
  return items.map((c) => ({
    id: typeof c.id === "string" ? c.id : undefined,
    key: typeof c.id === "string" ? c.id : newCount().key,
    product: typeof c.product === "string" ? c.product : "",
    quantity: c.quantity === null || c.quantity === undefined ? "" : String(c.quantity),
    note: typeof c.note === "string" ? c.note : "",
  }));
}

/// The counts to write: the rows with a product, each with its id when it has one; quantities
/// as typed, for the core to read exactly.
function countsField(rows: CountDraft[]): Json {
  return rows
    .filter((r) => r.product !== "")
    .map((r) => ({ ...(r.id ? { id: r.id } : {}), product: r.product, quantity: r.quantity.trim() || null, note: r.note.trim() || null }));
}

/// A visit's stock count (`stock_counts`): the customer's shelf, a product, how many and a
/// note per line; saved with the version read, so lines counted on another device stay.
export function StockCounts({ visit, writable }: { visit: RecordView; writable: boolean }) {
  const { crm, t } = useCrm();
  const { message } = AntApp.useApp();
  const products = useProducts();
  const [rows, setRows] = useState<CountDraft[]>(() => {
    const saved = countsFrom(visit.fields);
    return saved.length > 0 || !writable ? saved : [newCount()];
  });
  const [base, setBase] = useState(visit.version);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const change = (i: number, part: Partial<CountDraft>) => setRows((all) => all.map((r, j) => (j === i ? { ...r, ...part } : r)));
  const name = (id: string) => {
    const p = products?.find((x) => x.id === id);
    return p ? [p.fields.code, p.fields.name].filter(Boolean).join(" ") : (visit.names?.[id] ?? id);
  };

  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      const saved = await crm.update(visit.id, { stock_counts: countsField(rows) }, base);
      setBase(saved.version);
      setRows(countsFrom(saved.fields));
      message.success(t("form.saved"));
    } catch (e) {
      setError(errorText(t, e));
    } finally {
      setBusy(false);
    }
  };

  if (!writable) {
    return (
      <ul className="list" data-testid="stock-counts">
        {rows.map((r) => (
          <li key={r.key} className="row" data-testid="stock-count-row">
            {[name(r.product), r.quantity, r.note].filter(Boolean).join(" · ")}
          </li>
        ))}
      </ul>
    );
  }
  return (
    <div className="stock-counts" data-testid="stock-counts">
      <ol className="stock-count-rows">
        {rows.map((r, i) => (
          <li key={r.key} className="stock-count-row" data-testid="stock-count-row">
            <Select
              size="large"
              showSearch
              className="stock-count-product"
              aria-label={t("field.product")}
              placeholder={t("field.product")}
              value={r.product || undefined}
              onChange={(v: string) => change(i, { product: v })}
              filterOption={(typed, option) => {
                const p = products?.find((x) => x.id === option?.value);
                return p ? matchesProduct(p, typed) : false;
              }}
              virtual={false}
              loading={!products}
              options={(products ?? []).filter((p) => p.fields.active !== false || p.id === r.product).map((p) => ({ value: p.id, label: name(p.id), "data-value": p.id }))}
              data-testid="stock-count-product"
            />
            <Input
              size="large"
              inputMode="decimal"
              className="stock-count-quantity"
              aria-label={t("field.quantity")}
              placeholder={t("field.quantity")}
              value={r.quantity}
              onChange={(e) => change(i, { quantity: e.target.value })}
              data-testid="stock-count-quantity"
            />
            <Input
              size="large"
              className="stock-count-note"
              maxLength={200}
              aria-label={t("field.notes")}
              placeholder={t("field.notes")}
              value={r.note}
              onChange={(e) => change(i, { note: e.target.value })}
              data-testid="stock-count-note"
            />
            <Button size="large" danger icon={<DeleteOutlined />} aria-label={t("common.delete")} title={t("common.delete")} onClick={() => setRows((all) => all.filter((_, j) => j !== i))} data-testid="stock-count-remove" />
          </li>
        ))}
      </ol>
      {error && <Alert type="error" showIcon message={error} role="alert" />}
      <div className="visit-step-row">
        <Button size="large" icon={<PlusOutlined />} onClick={() => setRows((all) => [...all, newCount()])} data-testid="stock-count-add">
          {t("visit_step.add_count")}
        </Button>
        <Button size="large" type="primary" loading={busy} onClick={() => void save()} data-testid="stock-count-save">
          {t("visit_step.save_counts")}
        </Button>
      </div>
    </div>
  );
}
