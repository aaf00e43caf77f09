// The dictionaries (grades, sources, regions …) as admins keep them: entries are ordinary
// records (`dict_entry`) written here and synced to everyone. Add one, rename it in both
// languages, move it up or down, retire it (forms stop offering it, records keep it) or bring
// it back, and delete one nothing uses — the core refuses deleting a code in use and says how
// many records use it; that refusal stays on screen.

import { DeleteOutlined, PlusOutlined } from "@ant-design/icons";
import { Alert, App as AntApp, Button, Select } from "antd";
import type { ButtonProps, TableColumnsType } from "antd";
import type { HTMLAttributes } from "react";
import { useMemo, useState } from "react";
import type { Item } from "../../api";
import type { Lang } from "../../i18n";
import { errorText } from "../../errors";
import { useCrm, useData } from "../../state";
import { useIsNarrow } from "../../components/useIsPhone";
import { useUndoableDelete } from "../../components/useUndoableDelete";
import { DictEntryDialog } from "./DictEntryDialog";
import { DICTS, dictOrder, entryPlace } from "./model";
import { OrderedTable, useRefusal } from "./OrderedTable";

const LIMIT = 1000;

type Dialog = { entry?: Item } | null;

const TEXTS = {
  edit: "dictionary.rename",
  retire: "dictionary.retire",
  retire_hint: "dictionary.retire_hint",
  reactivate: "dictionary.reactivate",
  retired: "admin.inactive",
  retired_done: "dictionary.retired",
  reactivated_done: "dictionary.reactivated",
};

export function Dictionary() {
  const { crm, t, lang } = useCrm();
  const { message } = AntApp.useApp();
  const [dict, setDict] = useState<string | undefined>();
  const [dialog, setDialog] = useState<Dialog>(null);
  const refusal = useRefusal();
  const page = useData(() => crm.list("dict_entry", { sort: "sort_order", limit: LIMIT, filter: dict ? { dict } : undefined }), [dict]);
  const entries = useMemo(() => dictOrder(page.data?.items ?? []), [page.data]);
  const cells = useCells();

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
      {page.data && page.data.total > page.data.items.length && (
        <p className="muted small">{t("admin.showing", { shown: page.data.items.length, total: page.data.total })}</p>
      )}
      <OrderedTable<Item>
        testId="dict"
        rows={entries}
        placeOf={placeOf}
        groupOf={(e) => String(e.fields.dict)}
        labelOf={(e) => entryLabel(lang, e)}
        columns={cells.columns}
        narrow={cells.narrow}
        texts={TEXTS}
        onEdit={(entry) => setDialog({ entry })}
        more={(e) => <DeleteButton entry={e} refused={refusal.refused} />}
        refusal={refusal}
        rowProps={(e) =>
          ({ "data-dict": String(e.fields.dict), "data-code": String(e.fields.code), "data-testid": "dict-row" }) as HTMLAttributes<HTMLElement>
        }
        loading={!page.data}
      />
      {dialog && (
        <DictEntryDialog
          entry={dialog.entry}
          dict={dict}
          entries={entries}
          onClose={() => setDialog(null)}
          onDone={(label) => {
            setDialog(null);
            refusal.refused(null);
            message.success(t("dictionary.saved", { label }));
          }}
        />
      )}
    </>
  );
}

const placeOf = (e: Item) => ({ ...entryPlace(e), active: e.fields.active !== false });

/// An entry's label in the language, or its code.
function entryLabel(lang: Lang, e: Item): string {
  return String((lang === "en" ? e.fields.label_en : e.fields.label_zh) ?? e.fields.code ?? "");
}

/// What an entry is: on wide windows a column each, on narrow ones one cell.
function useCells(): { columns: TableColumnsType<Item>; narrow: { title: string; render: (r: Item) => JSX.Element } } {
  const { t } = useCrm();
  const text = (name: string) => ({ title: t(`admin.${name}`), key: name, render: (_: unknown, r: Item) => String(r.fields[name] ?? "") });
  const label = (r: Item, name: "label_zh" | "label_en") => <span data-testid={`dict-${name.replace("_", "-")}`}>{String(r.fields[name] ?? "")}</span>;
  return {
    columns: [
      { title: t("admin.dict"), key: "dict", render: (_, r) => t(`dict.${r.fields.dict}`) },
      text("code"),
      { ...text("label_zh"), render: (_: unknown, r: Item) => label(r, "label_zh") },
      { ...text("label_en"), render: (_: unknown, r: Item) => label(r, "label_en") },
    ],
    narrow: {
      title: t("admin.label_zh"),
      render: (r) => (
        <>
          <strong>{label(r, "label_zh")}</strong>
          {label(r, "label_en")}
          <span className="muted small">
            {t(`dict.${r.fields.dict}`)} · {String(r.fields.code ?? "")}
          </span>
        </>
      ),
    },
  };
}

/// Delete after a confirmation, with Undo; the core refuses a code in use (shown above the table).
function DeleteButton({ entry, refused }: { entry: Item; refused: (e: unknown) => void }) {
  const { t, lang } = useCrm();
  const { modal } = AntApp.useApp();
  const narrow = useIsNarrow();
  const remove = useUndoableDelete(refused);
  const label = entryLabel(lang, entry);
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
    <Button danger icon={<DeleteOutlined />} onClick={confirmDelete} aria-label={t("common.delete")} title={t("common.delete")} data-testid="dict-delete">
      {narrow ? undefined : t("common.delete")}
    </Button>
  );
}
