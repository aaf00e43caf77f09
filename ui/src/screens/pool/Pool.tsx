import { Button, Tag } from "antd";
import { useEffect, useState } from "react";
import type { ReactNode } from "react";
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
/// Records without an owner, most recently released first.
export const POOL_QUERY = { filter: { owner: null }, sort: "updated_at", desc: true };

/// The customer pool (公海): customers without an owner (`owner` filtered as not set), most
/// recently released first, each with why it was released and — where the core offers it —
/// a Claim button. A claimed customer leaves the list at once; the claim awaits the server.
export function Pool() {
  const { t, lang, dicts } = useCrm();
  return (
    <div className="page pool" data-testid="pool">
      <div className="page-head">
        <h1>{t("pool.title")}</h1>
        <ExportAction kind="customer" source={{ query: POOL_QUERY }} />
      </div>
      <p className="muted">{t("pool.hint")}</p>
      <PoolList
        kind="customer"
        texts={{ count: "pool.count", none: "pool.none" }}
        to={(c) => `/customers/${c.id}`}
        subtitle={(c) =>
          [c.fields.code, dictLabel(lang, dicts, "region", c.fields.region), dictLabel(lang, dicts, "industry", c.fields.industry)]
            .filter(Boolean)
            .join(" · ")
        }
        extra={(c) => (c.fields.grade ? <span className="grade">{String(c.fields.grade)}</span> : null)}
      />
    </div>
  );
}

/// A pool of one kind (customers, leads: records without an owner, claimed the same way): how
/// many, the rows — each with why it was released and its Claim button —, more on demand.
export function PoolList({
  kind,
  texts,
  to,
  subtitle,
  extra,
}: {
  kind: string;
  /// Translation keys: the count (with `{count}`) and the empty pool.
  texts: { count: string; none: string };
  to: (item: Item) => string;
  subtitle: (item: Item) => string;
  extra?: (item: Item) => ReactNode;
}) {
  const { crm, t, lang } = useCrm();
  const [limit, setLimit] = useState(PAGE);
  const page = useData(() => crm.list(kind, { ...POOL_QUERY, limit }), [kind, limit]);
  const items = page.data?.items ?? [];
  const total = page.data?.total ?? 0;
  const marks = useRowMarks(items.map((c) => c.id));
  return (
    <>
      <p className="muted small" data-testid="pool-count">
        {t(texts.count, { count: total.toLocaleString(lang) })}
      </p>
      <div className="results">
        {page.data && items.length === 0 && <p className="muted">{t(texts.none)}</p>}
        <ul className="list" data-testid="pool-rows">
          {items.map((c) => (
            <PoolRow key={c.id} kind={kind} item={c} mark={marks.get(c.id)} to={to(c)} subtitle={subtitle(c)} extra={extra?.(c)} />
          ))}
        </ul>
        {page.data?.next && limit < 500 && (
          <Button block type="link" onClick={() => setLimit((n) => Math.min(500, n + PAGE))} data-testid="pool-more">
            {t("service.more")}
          </Button>
        )}
      </div>
    </>
  );
}

/// What this person may do with one pool record, asked again when the record changes.
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

/// One pool record: why it was released, a claim of it refused by the server (a release
/// awaiting it), and the Claim button.
function PoolRow({
  kind,
  item: c,
  mark,
  to,
  subtitle,
  extra,
}: {
  kind: string;
  item: Item;
  mark?: RowMark;
  to: string;
  subtitle: string;
  extra?: ReactNode;
}) {
  const { t } = useCrm();
  const permissions = usePermissions(c);
  const claim = (permissions?.transitions ?? []).filter((o) => o.name === "claim");
  return (
    <li className="row" data-testid="pool-row" data-id={c.id}>
      <Link className="row-main" to={to}>
        <strong>{String(c.fields.name ?? "")}</strong>
        <span className="muted">{subtitle}</span>
        <CustomListValues kind={kind} fields={c.fields} />
      </Link>
      {c.fields.pool_reason ? (
        <Tag className="pool-reason" data-testid="pool-reason" title={t("field.pool_reason")}>
          {t("common.labelled", { label: t("field.pool_reason"), value: String(c.fields.pool_reason) })}
        </Tag>
      ) : null}
      {extra}
      <RowMarks mark={mark} />
      <TransitionButtons kind={kind} id={c.id} title={String(c.fields.name ?? "")} offers={claim} />
    </li>
  );
}
