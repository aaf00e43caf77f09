// The server's audit log: sign-ins, account changes, revocations, transfers, exports, backups
// and restores, newest first — filtered by action, by who acted and by text — with who and
// what named in words, and further pages on request.

import { ReloadOutlined } from "@ant-design/icons";
import { Button, Input, Select, Table, Tag } from "antd";
import type { TableColumnsType } from "antd";
import type { HTMLAttributes } from "react";
import { useCallback, useEffect, useRef, useState } from "react";
import { Link } from "react-router-dom";
import type { AuditEntry, AuditQuery } from "../../api";
import { formatDateTime } from "../../i18n";
import { useCrm } from "../../state";
import { useIsNarrow } from "../../components/useIsPhone";
import { ServerAlert } from "./ServerAlert";
import { AUDIT_ACTIONS, auditActor, auditDetail, auditTarget, relativeTime } from "./model";
import type { AuditNames } from "./model";
import { useServerData } from "./useServerData";

const PAGE = 50;

type Filters = Pick<AuditQuery, "action" | "actor" | "q">;

/// The log under the filters: the pages read so far and how to read the next.
function useAuditLog(filters: Filters) {
  const { crm } = useCrm();
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // Only the newest request's answer counts (filters may change while one is under way).
  const asked = useRef(0);

  const load = useCallback(
    async (before: number | null) => {
      const ask = ++asked.current;
      setLoading(true);
      try {
        const page = await crm.audit({ ...filters, before, limit: PAGE });
        if (ask !== asked.current) return;
        setEntries((old) => (before === null ? page.entries : [...old, ...page.entries]));
        setNext(page.next);
        setError(null);
      } catch (e) {
        if (ask === asked.current) setError(e);
      } finally {
        if (ask === asked.current) setLoading(false);
      }
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [crm, filters.action, filters.actor, filters.q],
  );
  useEffect(() => {
    void load(null);
  }, [load]);
  return { entries, next, loading, error, reload: () => void load(null), more: () => void load(next) };
}

export function Audit() {
  const { crm, t } = useCrm();
  const narrow = useIsNarrow();
  const [filters, setFilters] = useState<Filters>({});
  const [text, setText] = useState("");
  const log = useAuditLog(filters);
  const accounts = useServerData(() => crm.accounts(), []);
  const devices = useServerData(() => crm.devices(), []);
  const names: AuditNames = { accounts: accounts.data ?? [], devices: devices.data ?? [] };
  const columns = useColumns(names);

  const actors = [
    ...(accounts.data ?? []).map((a) => ({ value: a.username, label: a.display_name && a.display_name !== a.username ? `${a.display_name} (${a.username})` : a.username })),
    { value: "cli", label: t("audit.actor_cli") },
    { value: "system", label: t("audit.actor_system") },
  ];

  return (
    <>
      <div className="admin-toolbar audit-filters">
        <Select
          className="admin-filter"
          allowClear
          value={filters.action}
          onChange={(action?: string) => setFilters((f) => ({ ...f, action }))}
          placeholder={t("audit.all_actions")}
          popupMatchSelectWidth={false}
          virtual={false}
          options={AUDIT_ACTIONS.map((a) => ({ value: a, label: t(`audit.action.${a}`), "data-value": a }))}
          data-testid="audit-action"
        />
        <Select
          className="admin-filter"
          allowClear
          showSearch
          optionFilterProp="label"
          value={filters.actor}
          onChange={(actor?: string) => setFilters((f) => ({ ...f, actor }))}
          placeholder={t("audit.all_actors")}
          popupMatchSelectWidth={false}
          virtual={false}
          options={actors.map((a) => ({ ...a, "data-value": a.value }))}
          data-testid="audit-actor"
        />
        <Input.Search
          className="audit-search"
          allowClear
          value={text}
          onChange={(e) => setText(e.target.value)}
          onSearch={(q) => setFilters((f) => ({ ...f, q: q.trim() || undefined }))}
          placeholder={t("audit.search")}
          enterButton
          data-testid="audit-search"
        />
        <Button icon={<ReloadOutlined />} onClick={log.reload} loading={log.loading && log.entries.length > 0} data-testid="audit-reload">
          {t("admin.reload")}
        </Button>
      </div>
      <ServerAlert error={log.error} onRetry={log.reload} />
      <Table<AuditEntry>
        rowKey="id"
        size="middle"
        loading={log.loading && log.entries.length === 0}
        dataSource={log.entries}
        columns={columns}
        scroll={narrow ? undefined : { x: "max-content" }}
        pagination={false}
        onRow={(e) => ({ "data-action": e.action, "data-testid": "audit-row" }) as HTMLAttributes<HTMLElement>}
        data-testid="admin-table"
      />
      {log.next !== null && (
        <div className="actions section">
          <Button onClick={log.more} loading={log.loading} data-testid="audit-more">
            {t("audit.more")}
          </Button>
        </div>
      )}
    </>
  );
}

function useColumns(names: AuditNames): TableColumnsType<AuditEntry> {
  const { t, lang } = useCrm();
  const narrow = useIsNarrow();
  const action = (e: AuditEntry) => {
    const key = `audit.action.${e.action}`;
    const label = t(key);
    return <Tag color={e.action.endsWith("_failed") || e.action.endsWith("_refused") ? "red" : "blue"}>{label === key ? e.action : label}</Tag>;
  };
  const target = (e: AuditEntry) => {
    const on = auditTarget(t, e, names);
    return on.customer ? (
      <Link className="field-link" to={`/customers/${on.customer}`}>
        {on.text}
      </Link>
    ) : (
      <span data-testid="audit-target">{on.text}</span>
    );
  };
  const detail = (e: AuditEntry) => <span className="audit-detail">{auditDetail(t, e, names)}</span>;
  // On narrow windows an entry is one cell: when and what, then who, on what, and the detail.
  if (narrow) {
    return [
      {
        title: t("audit.action"),
        key: "entry",
        render: (_, e) => (
          <div className="cell-stack">
            <span className="row-tags">
              {action(e)}
              <span className="muted small">{formatDateTime(lang, e.at)}</span>
            </span>
            <span>{auditActor(t, e, names)}</span>
            {target(e)}
            {detail(e)}
            {e.address && <span className="muted small">{e.address}</span>}
          </div>
        ),
      },
    ];
  }
  return [
    {
      title: t("audit.time"),
      key: "at",
      render: (_, e) => (
        <span className="when">
          <span>{formatDateTime(lang, e.at)}</span>
          <span className="muted small">{relativeTime(lang, e.at)}</span>
        </span>
      ),
    },
    { title: t("audit.actor"), key: "actor", render: (_, e) => auditActor(t, e, names) },
    { title: t("audit.action"), key: "action", render: (_, e) => action(e) },
    { title: t("audit.target"), key: "target", render: (_, e) => target(e) },
    { title: t("audit.detail"), key: "detail", render: (_, e) => detail(e) },
    { title: t("audit.address"), key: "address", render: (_, e) => e.address ?? "" },
  ];
}
