// The dictionaries (grades, sources, regions …) as admins keep them: entries are ordinary
// records (`dict_entry`) written here and synced to everyone. Add one, rename it in both
// languages, move it up or down, retire it (forms stop offering it, records keep it) or bring
// it back, and delete one nothing uses — the core refuses deleting a code in use and says how
// many records use it; that refusal stays on screen.

import { ArrowDownOutlined, ArrowUpOutlined, CheckCircleOutlined, DeleteOutlined, EditOutlined, PlusOutlined, StopOutlined } from "@ant-design/icons";
import { Alert, App as AntApp, Button, Select, Table, Tag } from "antd";
import type { ButtonProps, TableColumnsType } from "antd";
import type { HTMLAttributes } from "react";
import { useCallback, useMemo, useState } from "react";
import type { Item } from "../../api";
import { errorText } from "../../errors";
import { useCrm, useData } from "../../state";
import { useIsNarrow } from "../../components/useIsPhone";
import { useUndoableDelete } from "../../components/useUndoableDelete";
import { DictEntryDialog } from "./DictEntryDialog";
import { DICTS, dictOrder, entryPlace, moveWrites } from "./model";

const LIMIT = 1000;

type Dialog = { entry?: Item } | null;

export function Dictionary() {
  const { crm, t } = useCrm();
  const narrow = useIsNarrow();
  const { message } = AntApp.useApp();
  const [dict, setDict] = useState<string | undefined>();
  const [dialog, setDialog] = useState<Dialog>(null);
  const [refusal, setRefusal] = useState<string | null>(null);
  const page = useData(() => crm.list("dict_entry", { sort: "sort_order", limit: LIMIT, filter: dict ? { dict } : undefined }), [dict]);
  const entries = useMemo(() => dictOrder(page.data?.items ?? []), [page.data]);
  // A refusal stays shown until the next action (or until closed); null clears it.
  const refused = useCallback((e: unknown) => setRefusal(e ? errorText(t, e) : null), [t]);
  const columns = useColumns(entries, setDialog, refused);

  return (
    <>
      <div className="admin-toolbar">
        <Select
          className="admin-filter"
          allowClear
          value={dict}
          onChange={setDict}
          placeholder={t("common.labelled", { label: t("admin.dict"), value: t("common.all") })}
          popupMatchSelectWidth={false}
          virtual={false}
          options={DICTS.map((d) => ({ value: d, label: t(`dict.${d}`), "data-value": d }))}
          data-testid="dict-filter"
        />
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setDialog({})} data-testid="dict-new">
          {t("dictionary.new")}
        </Button>
      </div>
      <p className="muted small">{t("dictionary.hint")}</p>
      {page.error && <Alert type="error" showIcon message={errorText(t, page.error)} />}
      {refusal && (
        <Alert className="admin-alert" type="error" showIcon closable onClose={() => setRefusal(null)} message={refusal} data-testid="dict-error" />
      )}
      {page.data && page.data.total > page.data.items.length && (
        <p className="muted small">{t("admin.showing", { shown: page.data.items.length, total: page.data.total })}</p>
      )}
      <Table<Item>
        rowKey="id"
        size="middle"
        loading={!page.data}
        dataSource={entries}
        columns={columns}
        scroll={narrow ? undefined : { x: "max-content" }}
        pagination={{ pageSize: 100, hideOnSinglePage: true, showSizeChanger: false }}
        onRow={(e) =>
          ({ "data-dict": String(e.fields.dict), "data-code": String(e.fields.code), "data-testid": "dict-row" }) as HTMLAttributes<HTMLElement>
        }
        data-testid="admin-table"
      />
      {dialog && (
        <DictEntryDialog
          entry={dialog.entry}
          dict={dict}
          entries={entries}
          onClose={() => setDialog(null)}
          onDone={(label) => {
            setDialog(null);
            setRefusal(null);
            message.success(t("dictionary.saved", { label }));
          }}
        />
      )}
    </>
  );
}

function useColumns(entries: Item[], open: (d: Dialog) => void, refused: (e: unknown) => void): TableColumnsType<Item> {
  const { t } = useCrm();
  const text = (name: string) => ({ title: t(`admin.${name}`), key: name, render: (_: unknown, r: Item) => String(r.fields[name] ?? "") });
  // Each entry's place within its own dictionary, for moving it.
  const groups = useMemo(() => {
    const out = new Map<string, Item[]>();
    for (const e of entries) {
      const d = String(e.fields.dict);
      out.set(d, [...(out.get(d) ?? []), e]);
    }
    return out;
  }, [entries]);
  const narrow = useIsNarrow();
  const state = (r: Item) =>
    r.fields.active === false ? (
      <Tag data-testid="dict-inactive">{t("admin.inactive")}</Tag>
    ) : (
      <Tag color="green">{t("admin.active")}</Tag>
    );
  const move = (r: Item) => <MoveButtons entry={r} group={groups.get(String(r.fields.dict)) ?? []} refused={refused} />;
  // On narrow windows: the entry in one cell, every button in the other.
  if (narrow) {
    return [
      {
        title: t("admin.label_zh"),
        key: "entry",
        render: (_, r) => (
          <div className="cell-stack">
            <strong data-testid="dict-label-zh">{String(r.fields.label_zh ?? "")}</strong>
            <span data-testid="dict-label-en">{String(r.fields.label_en ?? "")}</span>
            <span className="muted small">
              {t(`dict.${r.fields.dict}`)} · {String(r.fields.code ?? "")}
            </span>
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
            <EntryActions entry={r} open={open} refused={refused} />
          </div>
        ),
      },
    ];
  }
  return [
    { title: t("admin.dict"), key: "dict", render: (_, r) => t(`dict.${r.fields.dict}`) },
    text("code"),
    { ...text("label_zh"), render: (_: unknown, r: Item) => <span data-testid="dict-label-zh">{String(r.fields.label_zh ?? "")}</span> },
    { ...text("label_en"), render: (_: unknown, r: Item) => <span data-testid="dict-label-en">{String(r.fields.label_en ?? "")}</span> },
    { title: t("admin.sort_order"), key: "order", render: (_, r) => move(r) },
    { title: t("admin.active"), key: "active", render: (_, r) => state(r) },
    { title: t("admin.actions"), key: "actions", render: (_, r) => <EntryActions entry={r} open={open} refused={refused} /> },
  ];
}

function MoveButtons({ entry, group, refused }: { entry: Item; group: Item[]; refused: (e: unknown) => void }) {
  const { crm, t } = useCrm();
  const [busy, setBusy] = useState(false);
  const index = group.findIndex((e) => e.id === entry.id);
  const move = async (delta: -1 | 1) => {
    setBusy(true);
    refused(null);
    try {
      for (const w of moveWrites(group.map(entryPlace), index, delta)) await crm.update(w.id, { sort_order: w.sort_order });
    } catch (e) {
      refused(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="move-buttons">
      <Button icon={<ArrowUpOutlined />} disabled={busy || index <= 0} onClick={() => void move(-1)} aria-label={t("dictionary.up")} title={t("dictionary.up")} data-testid="dict-up" />
      <Button
        icon={<ArrowDownOutlined />}
        disabled={busy || index < 0 || index >= group.length - 1}
        onClick={() => void move(1)}
        aria-label={t("dictionary.down")}
        title={t("dictionary.down")}
        data-testid="dict-down"
      />
    </span>
  );
}

function EntryActions({ entry, open, refused }: { entry: Item; open: (d: Dialog) => void; refused: (e: unknown) => void }) {
  const { crm, t, lang } = useCrm();
  const { message, modal } = AntApp.useApp();
  const narrow = useIsNarrow();
  const remove = useUndoableDelete(refused);
  const label = String((lang === "en" ? entry.fields.label_en : entry.fields.label_zh) ?? entry.fields.code ?? "");
  const active = entry.fields.active !== false;
  // On narrow windows the buttons keep their icons only (named for screen readers and on hover).
  const shown = (text: string) => (narrow ? undefined : text);

  const toggle = async () => {
    refused(null);
    try {
      await crm.update(entry.id, { active: !active });
      message.success(t(active ? "dictionary.retired" : "dictionary.reactivated", { label }));
    } catch (e) {
      refused(e);
    }
  };
  const confirmDelete = () =>
    modal.confirm({
      title: t("dictionary.delete_title", { label, code: String(entry.fields.code ?? "") }),
      content: <p data-testid="dict-delete-confirm">{t("dictionary.delete_explain")}</p>,
      okText: t("common.delete"),
      okButtonProps: { danger: true, "data-testid": "dict-delete-ok" } as ButtonProps,
      cancelText: t("common.cancel"),
      onOk: () => {
        refused(null);
        return remove(entry.id, label);
      },
    });

  return (
    <div className="row-actions actions">
      <Button icon={<EditOutlined />} onClick={() => open({ entry })} aria-label={t("dictionary.rename")} title={t("dictionary.rename")} data-testid="dict-edit">
        {shown(t("dictionary.rename"))}
      </Button>
      <Button
        icon={active ? <StopOutlined /> : <CheckCircleOutlined />}
        onClick={() => void toggle()}
        aria-label={t(active ? "dictionary.retire" : "dictionary.reactivate")}
        title={t(active ? "dictionary.retire_hint" : "dictionary.reactivate")}
        data-testid="dict-toggle"
      >
        {shown(t(active ? "dictionary.retire" : "dictionary.reactivate"))}
      </Button>
      <Button danger icon={<DeleteOutlined />} onClick={confirmDelete} aria-label={t("common.delete")} title={t("common.delete")} data-testid="dict-delete">
        {shown(t("common.delete"))}
      </Button>
    </div>
  );
}
