// A kind's custom fields as admins keep them: `custom_field` records, written here and synced
// to everyone like any other record. The fields of one kind at a time, in the order forms and
// lists show them: add one, change its labels, type, options and where it shows, move it up or
// down, retire it (forms stop asking for it, records keep their values) or bring it back.
// There is no delete: a field's values stay in the records, so retiring is the way out.

import { ArrowDownOutlined, ArrowUpOutlined, CheckCircleOutlined, EditOutlined, PlusOutlined, StopOutlined } from "@ant-design/icons";
import { Alert, App as AntApp, Button, Select, Table, Tag } from "antd";
import type { TableColumnsType } from "antd";
import type { HTMLAttributes } from "react";
import { useCallback, useState } from "react";
import { CUSTOM_FIELD_KINDS } from "../../api";
import type { CustomField } from "../../api";
import { errorText } from "../../errors";
import { useCrm, useData } from "../../state";
import { useIsNarrow } from "../../components/useIsPhone";
import { CustomFieldDialog } from "./CustomFieldDialog";
import { customLabel } from "../../customFields";
import { moveWrites } from "./model";

type Dialog = { field?: CustomField } | null;

export function CustomFields() {
  const { crm, t } = useCrm();
  const narrow = useIsNarrow();
  const { message } = AntApp.useApp();
  const [kind, setKind] = useState<string>(CUSTOM_FIELD_KINDS[0]);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [refusal, setRefusal] = useState<string | null>(null);
  // The core's answer is in the admin's order already, retired fields included.
  const page = useData(() => crm.customFields(kind), [kind]);
  const fields = page.data ?? [];
  // A refusal stays shown until the next action (or until closed); null clears it.
  const refused = useCallback((e: unknown) => setRefusal(e ? errorText(t, e) : null), [t]);
  const columns = useColumns(fields, setDialog, refused);

  return (
    <>
      <div className="admin-toolbar">
        <Select
          className="admin-filter"
          value={kind}
          onChange={(k: string) => {
            setKind(k);
            setRefusal(null);
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
      {refusal && <Alert className="admin-alert" type="error" showIcon closable onClose={() => setRefusal(null)} message={refusal} data-testid="cf-error" />}
      <Table<CustomField>
        rowKey="id"
        size="middle"
        loading={!page.data}
        dataSource={fields}
        columns={columns}
        scroll={narrow ? undefined : { x: "max-content" }}
        pagination={{ pageSize: 100, hideOnSinglePage: true, showSizeChanger: false }}
        onRow={(r) => ({ "data-key": r.key, "data-testid": "cf-def-row" }) as HTMLAttributes<HTMLElement>}
        locale={{ emptyText: t("custom.none", { kind: t(`kind.${kind}`) }) }}
        data-testid="admin-table"
      />
      {dialog && (
        <CustomFieldDialog
          kind={kind}
          field={dialog.field}
          fields={fields}
          onClose={() => setDialog(null)}
          onDone={(label) => {
            setDialog(null);
            setRefusal(null);
            message.success(t("custom.saved", { label }));
          }}
        />
      )}
    </>
  );
}

function useColumns(fields: CustomField[], open: (d: Dialog) => void, refused: (e: unknown) => void): TableColumnsType<CustomField> {
  const { t } = useCrm();
  const narrow = useIsNarrow();
  const state = (r: CustomField) =>
    !r.active ? <Tag data-testid="cf-retired">{t("custom.retired")}</Tag> : <Tag color="green">{t("admin.active")}</Tag>;
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
  const move = (r: CustomField) => <MoveButtons field={r} group={fields} refused={refused} />;
  const actions = (r: CustomField) => <FieldActions field={r} open={open} refused={refused} />;
  if (narrow) {
    return [
      {
        title: t("custom.field"),
        key: "field",
        render: (_, r) => (
          <div className="cell-stack">
            {labels(r)}
            <span className="muted small">
              {r.key} · {type(r)}
            </span>
            {flags(r)}
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
    ];
  }
  return [
    { title: t("admin.sort_order"), key: "order", render: (_, r) => move(r) },
    { title: t("custom.label"), key: "label", render: (_, r) => labels(r) },
    { title: t("custom.key"), key: "key", render: (_, r) => <code>{r.key}</code> },
    { title: t("custom.type"), key: "type", render: (_, r) => type(r) },
    { title: t("custom.shown"), key: "flags", render: (_, r) => flags(r) },
    { title: t("admin.active"), key: "active", render: (_, r) => state(r) },
    { title: t("admin.actions"), key: "actions", render: (_, r) => actions(r) },
  ];
}

function MoveButtons({ field, group, refused }: { field: CustomField; group: CustomField[]; refused: (e: unknown) => void }) {
  const { crm, t } = useCrm();
  const [busy, setBusy] = useState(false);
  const index = group.findIndex((e) => e.id === field.id);
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
  return (
    <span className="move-buttons">
      <Button icon={<ArrowUpOutlined />} disabled={busy || index <= 0} onClick={() => void move(-1)} aria-label={t("dictionary.up")} title={t("dictionary.up")} data-testid="cf-up" />
      <Button
        icon={<ArrowDownOutlined />}
        disabled={busy || index < 0 || index >= group.length - 1}
        onClick={() => void move(1)}
        aria-label={t("dictionary.down")}
        title={t("dictionary.down")}
        data-testid="cf-down"
      />
    </span>
  );
}

function FieldActions({ field, open, refused }: { field: CustomField; open: (d: Dialog) => void; refused: (e: unknown) => void }) {
  const { crm, t, lang } = useCrm();
  const { message } = AntApp.useApp();
  const narrow = useIsNarrow();
  const label = customLabel(lang, field);
  const active = field.active;
  // On narrow windows the buttons keep their icons only (named for screen readers and on hover).
  const shown = (text: string) => (narrow ? undefined : text);
  const toggle = async () => {
    refused(null);
    try {
      await crm.update(field.id, { active: !active });
      message.success(t(active ? "custom.retired_done" : "custom.reactivated_done", { label }));
    } catch (e) {
      refused(e);
    }
  };
  return (
    <div className="row-actions actions">
      <Button icon={<EditOutlined />} onClick={() => open({ field })} aria-label={t("common.edit")} title={t("common.edit")} data-testid="cf-edit">
        {shown(t("common.edit"))}
      </Button>
      <Button
        icon={active ? <StopOutlined /> : <CheckCircleOutlined />}
        onClick={() => void toggle()}
        aria-label={t(active ? "custom.retire" : "custom.reactivate")}
        title={t(active ? "custom.retire_hint" : "custom.reactivate")}
        data-testid="cf-toggle"
      >
        {shown(t(active ? "custom.retire" : "custom.reactivate"))}
      </Button>
    </div>
  );
}
