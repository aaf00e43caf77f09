import { Button, Tag } from "antd";
import { useEffect, useState } from "react";
import { Link } from "react-router-dom";
import type { Item, Permissions } from "../../api";
import { dictLabel } from "../../i18n";
import { useCrm, useData } from "../../state";
import { CustomListValues } from "../../components/CustomValues";
import { ExportAction } from "../../components/ExportAction";
import { TransitionButtons } from "../../components/Transitions";
import { RowMarks, useRowMarks } from "../../components/RowStatus";
import type { RowMark } from "../../components/RowStatus";

const PAGE = 50;
/// Customers without an owner, most recently released first.
const POOL_QUERY = { filter: { owner: null }, sort: "updated_at", desc: true };

/// The customer pool (公海): customers without an owner (`owner` filtered as not set), most
/// recently released first, each with why it was released and — where the core offers it —
/// a Claim button. A claimed customer leaves the list at once; the claim awaits the server.
export function Pool() {
  const { crm, t, lang } = useCrm();
  const [limit, setLimit] = useState(PAGE);
  const page = useData(() => crm.list("customer", { ...POOL_QUERY, limit }), [limit]);
  const items = page.data?.items ?? [];
  const total = page.data?.total ?? 0;
  const marks = useRowMarks(items.map((c) => c.id));
  return (
    <div className="page pool" data-testid="pool">
      <div className="page-head">
        <h1>{t("pool.title")}</h1>
        <ExportAction kind="customer" source={{ query: POOL_QUERY }} />
      </div>
      <p className="muted">{t("pool.hint")}</p>
      <p className="muted small" data-testid="pool-count">
        {t("pool.count", { count: total.toLocaleString(lang) })}
      </p>
      <div className="results">
        {page.data && items.length === 0 && <p className="muted">{t("pool.none")}</p>}
        <ul className="list" data-testid="pool-rows">
          {items.map((c) => (
            <PoolRow key={c.id} customer={c} mark={marks.get(c.id)} />
          ))}
        </ul>
        {page.data?.next && limit < 500 && (
          <Button block type="link" onClick={() => setLimit((n) => Math.min(500, n + PAGE))} data-testid="pool-more">
            {t("service.more")}
          </Button>
        )}
      </div>
    </div>
  );
}

/// What this person may do with one pool customer, asked again when the record changes.
function usePermissions(item: Item): Permissions | null {
  const { crm, status } = useCrm();
  const [permissions, setPermissions] = useState<Permissions | null>(null);
  useEffect(() => {
    let live = true;
    crm.permissions(item.id).then(
      (p) => live && setPermissions(p),
      () => live && setPermissions(null),
    );
    return () => {
      live = false;
    };
  }, [crm, item.id, item.updated_at, status?.identity.user_id]);
  return permissions;
}

/// One pool customer: why it was released, its grade, a claim of it refused by the server (a
/// release awaiting it), and the Claim button.
function PoolRow({ customer: c, mark }: { customer: Item; mark?: RowMark }) {
  const { t, lang, dicts } = useCrm();
  const permissions = usePermissions(c);
  const claim = (permissions?.transitions ?? []).filter((o) => o.name === "claim");
  return (
    <li className="row" data-testid="pool-row" data-id={c.id}>
      <Link className="row-main" to={`/customers/${c.id}`}>
        <strong>{String(c.fields.name ?? "")}</strong>
        <span className="muted">
          {[c.fields.code, dictLabel(lang, dicts, "region", c.fields.region), dictLabel(lang, dicts, "industry", c.fields.industry)]
            .filter(Boolean)
            .join(" · ")}
        </span>
        <CustomListValues kind="customer" fields={c.fields} />
      </Link>
      {c.fields.pool_reason ? (
        <Tag className="pool-reason" data-testid="pool-reason" title={t("field.pool_reason")}>
          {t("common.labelled", { label: t("field.pool_reason"), value: String(c.fields.pool_reason) })}
        </Tag>
      ) : null}
      {c.fields.grade ? <span className="grade">{String(c.fields.grade)}</span> : null}
      <RowMarks mark={mark} />
      <TransitionButtons kind="customer" id={c.id} title={String(c.fields.name ?? "")} offers={claim} />
    </li>
  );
}
