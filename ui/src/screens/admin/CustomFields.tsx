// A kind's custom fields as admins keep them: `custom_field` records, written here and synced
// to everyone like any other record. The fields of one kind at a time, in the order forms and
// lists show them: add one, change its labels, type, options and where it shows, move it up or
// down, retire it (forms stop asking for it, records keep their values) or bring it back.
// There is no delete: a field's values stay in the records, so retiring is the way out.

import { PlusOutlined } from "@ant-design/icons";
import { Alert, App as AntApp, Button, Select, Tag } from "antd";
import type { TableColumnsType } from "antd";
import type { HTMLAttributes } from "react";
import { useState } from "react";
import { CUSTOM_FIELD_KINDS } from "../../api";
import type { CustomField } from "../../api";
import { customLabel } from "../../customFields";
import { errorText } from "../../errors";
import { useCrm, useData } from "../../state";
import { CustomFieldDialog } from "./CustomFieldDialog";
import { OrderedTable, useRefusal } from "./OrderedTable";

type Dialog = { field?: CustomField } | null;

const TEXTS = {
  edit: "common.edit",
  retire: "custom.retire",
  retire_hint: "custom.retire_hint",
  reactivate: "custom.reactivate",
  retired: "custom.retired",
  retired_done: "custom.retired_done",
  reactivated_done: "custom.reactivated_done",
};

export function CustomFields() {
  const { crm, t, lang } = useCrm();
  const { message } = AntApp.useApp();
  const [kind, setKind] = useState<string>(CUSTOM_FIELD_KINDS[0]);
  const [dialog, setDialog] = useState<Dialog>(null);
  const refusal = useRefusal();
  // The core's answer is in the admin's order already, retired fields included.
  const page = useData(() => crm.customFields(kind), [kind]);
  const fields = page.data ?? [];
  const cells = useCells();

  return (
    <>
      <div className="admin-toolbar">
        <Select
          className="admin-filter"
          value={kind}
          onChange={(k: string) => {
            setKind(k);
            refusal.refused(null);
          }}
          aria-label={t("custom.kind")}
          popupMatchSelectWidth={false}
          virtual={false}
          options={CUSTOM_FIELD_KINDS.map((k) => ({ value: k, label: t("common.labelled", { label: t("custom.kind"), value: t(`kind.${k}`) }), "data-value": k }))}
          data-testid="cf-kind"
        />
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setDialog({})} data-testid="cf-new">
          {t("custom.new")}
        </Button>
      </div>
      <p className="muted small">{t("custom.hint")}</p>
      {page.error && <Alert type="error" showIcon message={errorText(t, page.error)} />}
      <OrderedTable<CustomField>
        testId="cf"
        rows={fields}
        placeOf={placeOf}
        labelOf={(r) => customLabel(lang, r)}
        columns={cells.columns}
        narrow={cells.narrow}
        texts={TEXTS}
        onEdit={(field) => setDialog({ field })}
        refusal={refusal}
        rowProps={(r) => ({ "data-key": r.key, "data-testid": "cf-def-row" }) as HTMLAttributes<HTMLElement>}
        loading={!page.data}
        emptyText={t("custom.none", { kind: t(`kind.${kind}`) })}
      />
      {dialog && (
        <CustomFieldDialog
          kind={kind}
          field={dialog.field}
          fields={fields}
          onClose={() => setDialog(null)}
          onDone={(label) => {
            setDialog(null);
            refusal.refused(null);
            message.success(t("custom.saved", { label }));
          }}
        />
      )}
    </>
  );
}

const placeOf = (r: CustomField) => r;

/// What a definition is: on wide windows a column each, on narrow ones one cell.
function useCells(): { columns: TableColumnsType<CustomField>; narrow: { title: string; render: (r: CustomField) => JSX.Element } } {
  const { t } = useCrm();
  const type = (r: CustomField) => (
    <span data-testid="cf-type" data-type={r.type}>
      {t(`custom.type.${r.type}`)}
      {r.type === "choice" && r.options.length > 0 && <span className="muted small"> ({r.options.join(t("common.list_separator"))})</span>}
    </span>
  );
  const flags = (r: CustomField) => (
    <span className="row-tags" data-testid="cf-flags">
      {r.required && <Tag color="red">{t("custom.required")}</Tag>}
      {r.in_list && <Tag color="blue">{t("custom.in_list")}</Tag>}
      {r.in_filter && <Tag color="purple">{t("custom.in_filter")}</Tag>}
    </span>
  );
  const labels = (r: CustomField) => (
    <div className="cell-stack">
      <strong data-testid="cf-label-zh">{r.label_zh}</strong>
      {r.label_en ? <span data-testid="cf-label-en">{r.label_en}</span> : null}
    </div>
  );
  return {
    columns: [
      { title: t("custom.label"), key: "label", render: (_, r) => labels(r) },
      { title: t("custom.key"), key: "key", render: (_, r) => <code>{r.key}</code> },
      { title: t("custom.type"), key: "type", render: (_, r) => type(r) },
      { title: t("custom.shown"), key: "flags", render: (_, r) => flags(r) },
    ],
    narrow: {
      title: t("custom.field"),
      render: (r) => (
        <>
          {labels(r)}
          <span className="muted small">
            {r.key} · {type(r)}
          </span>
          {flags(r)}
        </>
      ),
    },
  };
}
