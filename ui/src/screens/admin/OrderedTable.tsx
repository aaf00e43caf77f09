// The table of an admin list whose order everyone's forms follow — a dictionary's entries, a
// kind's custom fields: each row moves up or down within its group, opens the caller's dialog
// to be changed, and is retired or brought back (forms stop offering it; records keep their
// values). What the core refuses of a move or a retirement stays above the table until the
// next action or until closed.

import { ArrowDownOutlined, ArrowUpOutlined, CheckCircleOutlined, EditOutlined, StopOutlined } from "@ant-design/icons";
import { Alert, App as AntApp, Button, Table, Tag } from "antd";
import type { TableColumnsType } from "antd";
import type { HTMLAttributes, ReactNode } from "react";
import { useCallback, useState } from "react";
import { errorText } from "../../errors";
import { useCrm } from "../../state";
import { useIsNarrow } from "../../components/useIsPhone";
import { moveWrites } from "./model";
import type { Placed } from "./model";

/// A row's place and whether it is in use.
export interface OrderedRow extends Placed {
  active: boolean;
}

/// What a list's buttons and marks say (translation keys; the `…_done` ones take `{label}`).
export interface OrderedTexts {
  edit: string;
  retire: string;
  retire_hint: string;
  reactivate: string;
  retired: string;
  retired_done: string;
  reactivated_done: string;
}

/// The refusal shown above the table: `refused(e)` shows one, `refused(null)` puts it away.
export function useRefusal() {
  const { t } = useCrm();
  const [text, setText] = useState<string | null>(null);
  const refused = useCallback((e: unknown) => setText(e ? errorText(t, e) : null), [t]);
  return { text, refused };
}
export type Refusal = ReturnType<typeof useRefusal>;

const oneGroup = () => "";

export function OrderedTable<R>({
  testId,
  rows,
  placeOf,
  groupOf = oneGroup,
  labelOf,
  columns,
  narrow: narrowCell,
  texts,
  onEdit,
  more,
  refusal,
  rowProps,
  loading,
  emptyText,
}: {
  /// The start of every test id here: `${testId}-up`, `-down`, `-edit`, `-toggle`, `-retired`, `-error`.
  testId: string;
  /// The rows in their order.
  rows: R[];
  placeOf: (r: R) => OrderedRow;
  /// Rows move among those of their group (a dictionary); all are one group without it.
  groupOf?: (r: R) => string;
  /// A row's name in the messages after retiring or bringing it back.
  labelOf: (r: R) => string;
  /// What a row is, on wide windows; its order, state and buttons follow.
  columns: TableColumnsType<R>;
  /// What a row is in one cell on narrow windows (its state follows), under `title`.
  narrow: { title: string; render: (r: R) => ReactNode };
  texts: OrderedTexts;
  onEdit: (r: R) => void;
  /// Buttons after retire (a dictionary entry's delete).
  more?: (r: R) => ReactNode;
  refusal: Refusal;
  rowProps: (r: R) => HTMLAttributes<HTMLElement>;
  loading: boolean;
  emptyText?: string;
}) {
  const { t } = useCrm();
  const isNarrow = useIsNarrow();
  // Each row's group in order, for moving it.
  const groups = new Map<string, OrderedRow[]>();
  for (const r of rows) groups.set(groupOf(r), [...(groups.get(groupOf(r)) ?? []), placeOf(r)]);

  const state = (r: R) =>
    placeOf(r).active ? <Tag color="green">{t("admin.active")}</Tag> : <Tag data-testid={`${testId}-retired`}>{t(texts.retired)}</Tag>;
  const move = (r: R) => <MoveButtons testId={testId} row={placeOf(r)} group={groups.get(groupOf(r)) ?? []} refused={refusal.refused} />;
  const actions = (r: R) => (
    <RowActions testId={testId} row={placeOf(r)} label={labelOf(r)} texts={texts} onEdit={() => onEdit(r)} refused={refusal.refused}>
      {more?.(r)}
    </RowActions>
  );
  const shown: TableColumnsType<R> = isNarrow
    ? [
        {
          title: narrowCell.title,
          key: "row",
          render: (_, r) => (
            <div className="cell-stack">
              {narrowCell.render(r)}
              <span>{state(r)}</span>
            </div>
          ),
        },
        {
          title: t("admin.actions"),
          key: "actions",
          render: (_, r) => (
            <div className="dict-narrow-actions">
              {move(r)}
              {actions(r)}
            </div>
          ),
        },
      ]
    : [
        ...columns,
        { title: t("admin.sort_order"), key: "order", render: (_, r) => move(r) },
        { title: t("admin.active"), key: "active", render: (_, r) => state(r) },
        { title: t("admin.actions"), key: "actions", render: (_, r) => actions(r) },
      ];

  return (
    <>
      {refusal.text && (
        <Alert className="admin-alert" type="error" showIcon closable onClose={() => refusal.refused(null)} message={refusal.text} data-testid={`${testId}-error`} />
      )}
      <Table<R>
        rowKey={(r) => placeOf(r).id}
        size="middle"
        loading={loading}
        dataSource={rows}
        columns={shown}
        scroll={isNarrow ? undefined : { x: "max-content" }}
        pagination={{ pageSize: 100, hideOnSinglePage: true, showSizeChanger: false }}
        onRow={rowProps}
        locale={emptyText ? { emptyText } : undefined}
        data-testid="admin-table"
      />
    </>
  );
}

function MoveButtons({ testId, row, group, refused }: { testId: string; row: OrderedRow; group: OrderedRow[]; refused: (e: unknown) => void }) {
  const { crm, t } = useCrm();
  const [busy, setBusy] = useState(false);
  const index = group.findIndex((e) => e.id === row.id);
  const move = async (delta: -1 | 1) => {
    setBusy(true);
    refused(null);
    try {
      for (const w of moveWrites(group, index, delta)) await crm.update(w.id, { sort_order: w.sort_order });
    } catch (e) {
      refused(e);
    } finally {
      setBusy(false);
    }
  };
  const button = (delta: -1 | 1, name: string, icon: ReactNode, disabled: boolean) => (
    <Button icon={icon} disabled={busy || disabled} onClick={() => void move(delta)} aria-label={t(`dictionary.${name}`)} title={t(`dictionary.${name}`)} data-testid={`${testId}-${name}`} />
  );
  return (
    <span className="move-buttons">
      {button(-1, "up", <ArrowUpOutlined />, index <= 0)}
      {button(1, "down", <ArrowDownOutlined />, index < 0 || index >= group.length - 1)}
    </span>
  );
}

function RowActions({
  testId,
  row,
  label,
  texts,
  onEdit,
  refused,
  children,
}: {
  testId: string;
  row: OrderedRow;
  label: string;
  texts: OrderedTexts;
  onEdit: () => void;
  refused: (e: unknown) => void;
  children?: ReactNode;
}) {
  const { crm, t } = useCrm();
  const { message } = AntApp.useApp();
  const narrow = useIsNarrow();
  // On narrow windows the buttons keep their icons only (named for screen readers and on hover).
  const shown = (text: string) => (narrow ? undefined : text);
  const toggle = async () => {
    refused(null);
    try {
      await crm.update(row.id, { active: !row.active });
      message.success(t(row.active ? texts.retired_done : texts.reactivated_done, { label }));
    } catch (e) {
      refused(e);
    }
  };
  const toggleText = t(row.active ? texts.retire : texts.reactivate);
  return (
    <div className="row-actions actions">
      <Button icon={<EditOutlined />} onClick={onEdit} aria-label={t(texts.edit)} title={t(texts.edit)} data-testid={`${testId}-edit`}>
        {shown(t(texts.edit))}
      </Button>
      <Button
        icon={row.active ? <StopOutlined /> : <CheckCircleOutlined />}
        onClick={() => void toggle()}
        aria-label={toggleText}
        title={row.active ? t(texts.retire_hint) : toggleText}
        data-testid={`${testId}-toggle`}
      >
        {shown(toggleText)}
      </Button>
      {children}
    </div>
  );
}
