// The records behind a figure (a bar, a slice, a row): read with `get`, a page at a time, each
// opening its page; "N of total" when the core sent fewer ids than there are records.

import { Button, Modal } from "antd";
import { useEffect, useState } from "react";
import { Link } from "react-router-dom";
import type { Drill, Json, RecordView } from "../../api";
import { errorText } from "../../errors";
import { formatDate, formatMoney } from "../../i18n";
import { useCrm } from "../../state";
import { drillPath } from "./model";

const PAGE = 20;

export function DrillPanel({ drill, title, onClose }: { drill: Drill; title: string; onClose: () => void }) {
  const { crm, t } = useCrm();
  const [records, setRecords] = useState<RecordView[]>([]);
  const [wanted, setWanted] = useState(PAGE);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    const ids = drill.ids.slice(wanted - PAGE, wanted);
    if (ids.length === 0) return;
    setBusy(true);
    // A record removed since the report was made is left out.
    Promise.all(ids.map((id) => crm.get(id).catch(() => null)))
      .then((got) => live && setRecords((r) => [...r, ...got.filter((x): x is RecordView => x !== null && !x.deleted_at)]))
      .catch((e) => live && setError(errorText(t, e)))
      .finally(() => live && setBusy(false));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [drill, wanted]);

  const truncated = drill.ids.length < drill.total;
  return (
    <Modal open title={title} onCancel={onClose} footer={null} width={560} data-testid="drill-panel">
      <p className="muted" data-testid="drill-count">
        {truncated ? t("report.drill_of", { shown: drill.ids.length, total: drill.total }) : t("report.drill_count", { count: drill.total })}
      </p>
      {error && <p className="error">{error}</p>}
      <ul className="list drill-list">
        {records.map((r) => (
          <DrillRow key={r.id} record={r} onOpen={onClose} />
        ))}
      </ul>
      {wanted < drill.ids.length && (
        <Button block loading={busy} onClick={() => setWanted((w) => w + PAGE)} data-testid="drill-more">
          {t("report.drill_more", { count: Math.min(PAGE, drill.ids.length - wanted) })}
        </Button>
      )}
    </Modal>
  );
}

function DrillRow({ record, onOpen }: { record: RecordView; onOpen: () => void }) {
  const { schema, t, lang } = useCrm();
  const f = record.fields;
  const titleField = schema.find((s) => s.kind === record.kind)?.title_field;
  const words = (v: Json | undefined): string => {
    if (v === null || v === undefined) return "";
    if (typeof v === "object" && !Array.isArray(v) && typeof v.minor === "number" && typeof v.currency === "string") {
      return formatMoney(lang, { minor: v.minor, currency: v.currency });
    }
    if (typeof v === "string" && /^\d{4}-\d{2}-\d{2}$/.test(v)) return formatDate(lang, v);
    return typeof v === "object" ? "" : String(v);
  };
  const customer = typeof f.customer === "string" ? record.names[f.customer] : undefined;
  const main = (titleField ? words(f[titleField]) : "") || customer || t(`kind.${record.kind}`);
  const more = [main === customer ? undefined : customer, words(f.amount ?? f.total ?? null)].filter(Boolean).join(" · ");
  const path = drillPath(record.kind, record.id, f);
  const body = (
    <>
      <strong>{main}</strong>
      {more && <span className="muted">{more}</span>}
    </>
  );
  return (
    <li className="row" data-testid="drill-record" data-id={record.id}>
      {path ? (
        <Link to={path} className="row-main" onClick={onOpen}>
          {body}
        </Link>
      ) : (
        <div className="row-main">{body}</div>
      )}
    </li>
  );
}
