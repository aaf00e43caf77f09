// Visit types as admins keep them: `visit_type` records, written here and synced to everyone.
// Each names the actions a visit of its kind asks for (see VisitTypeDialog); the list moves
// them up or down (the order salespeople pick from), and retires one (no new visits of it;
// visits made with it keep it) or brings it back. Three come with every store.

import { PlusOutlined } from "@ant-design/icons";
import { Alert, App as AntApp, Button } from "antd";
import type { TableColumnsType } from "antd";
import type { HTMLAttributes } from "react";
import { useState } from "react";
import type { RecordView } from "../../api";
import { errorText } from "../../errors";
import { useCrm, useData } from "../../state";
import { actionsFrom, actionsSummary, loadVisitTypes, visitTypeName } from "../visits/visitTypes";
import { OrderedTable, useRefusal } from "./OrderedTable";
import { entryPlace } from "./model";
import { VisitTypeDialog } from "./VisitTypeDialog";

type Dialog = { type?: RecordView } | null;

const TEXTS = {
  edit: "common.edit",
  retire: "visit_type.retire",
  retire_hint: "visit_type.retire_hint",
  reactivate: "dictionary.reactivate",
  retired: "admin.inactive",
  retired_done: "dictionary.retired",
  reactivated_done: "dictionary.reactivated",
};

export function VisitTypes() {
  const { crm, t, lang } = useCrm();
  const { message } = AntApp.useApp();
  const [dialog, setDialog] = useState<Dialog>(null);
  const refusal = useRefusal();
  const types = useData(() => loadVisitTypes(crm), []);
  const rows = types.data ?? [];

  const summary = (r: RecordView) => <span data-testid="visit-type-summary">{actionsSummary(t, actionsFrom(r.fields))}</span>;
  const columns: TableColumnsType<RecordView> = [
    { title: t("admin.label_zh"), key: "name", render: (_, r) => <strong data-testid="visit-type-row-name">{String(r.fields.name ?? "")}</strong> },
    { title: t("admin.label_en"), key: "name_en", render: (_, r) => String(r.fields.name_en ?? "") },
    { title: t("visit_type.actions"), key: "actions_summary", render: (_, r) => summary(r) },
  ];

  return (
    <>
      <div className="admin-toolbar">
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setDialog({})} data-testid="visit-type-new">
          {t("visit_type.new")}
        </Button>
      </div>
      <p className="muted small">{t("visit_type.hint")}</p>
      {types.error && <Alert type="error" showIcon message={errorText(t, types.error)} />}
      <OrderedTable<RecordView>
        testId="visit-type"
        rows={rows}
        placeOf={(r) => ({ ...entryPlace(r), active: r.fields.active !== false })}
        labelOf={(r) => visitTypeName(lang, r)}
        columns={columns}
        narrow={{
          title: t("admin.label_zh"),
          render: (r) => (
            <>
              <strong data-testid="visit-type-row-name">{String(r.fields.name ?? "")}</strong>
              <span>{String(r.fields.name_en ?? "")}</span>
              <span className="muted small">{summary(r)}</span>
            </>
          ),
        }}
        texts={TEXTS}
        onEdit={(type) => setDialog({ type })}
        refusal={refusal}
        rowProps={(r) => ({ "data-testid": "visit-type-row", "data-id": r.id }) as HTMLAttributes<HTMLElement>}
        loading={!types.data && !types.error}
      />
      {dialog && (
        <VisitTypeDialog
          type={dialog.type}
          types={rows}
          onClose={() => setDialog(null)}
          onDone={(label) => {
            setDialog(null);
            refusal.refused(null);
            message.success(t("visit_type.saved", { label }));
          }}
        />
      )}
    </>
  );
}
