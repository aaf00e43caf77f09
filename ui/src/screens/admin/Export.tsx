// Export from the server: every live record of a kind as an Excel workbook or a CSV, in the
// columns import reads back. The server writes each export (and any refused one) to the audit
// log with who asked; the screen says so.

import { ExportOutlined } from "@ant-design/icons";
import { Alert, App as AntApp, Button, Card, Radio, Select } from "antd";
import { useState } from "react";
import type { ExportFormat } from "../../api";
import { saveBase64 } from "../../files";
import { useCrm } from "../../state";
import { ServerAlert } from "./ServerAlert";
import { exportKinds } from "./model";

export function Export() {
  const { crm, t, schema } = useCrm();
  const { message } = AntApp.useApp();
  const [kind, setKind] = useState("customer");
  const [format, setFormat] = useState<ExportFormat>("xlsx");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const kinds = exportKinds(schema);

  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      const file = await crm.exportFile(kind, format);
      saveBase64(file.name, file.data, file.content_type);
      message.success(t("export.done", { name: file.name }));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title={t("export.title")} className="admin-export" data-testid="export-card">
      <div className="form">
        <div className="form-field">
          <label htmlFor="export-kind">{t("export.kind")}</label>
          <Select
            id="export-kind"
            value={kind}
            onChange={setKind}
            virtual={false}
            options={(kinds.length > 0 ? kinds : ["customer"]).map((k) => ({ value: k, label: t(`kind.${k}`), "data-value": k }))}
            data-testid="export-kind"
          />
        </div>
        <div className="form-field">
          <span className="label" id="export-format">
            {t("export.format")}
          </span>
          <Radio.Group aria-labelledby="export-format" value={format} onChange={(e) => setFormat(e.target.value as ExportFormat)} className="export-formats">
            <Radio value="xlsx" data-testid="export-xlsx">
              {t("export.xlsx")}
            </Radio>
            <Radio value="csv" data-testid="export-csv">
              {t("export.csv")}
            </Radio>
          </Radio.Group>
        </div>
      </div>
      <p className="muted section">{t("export.hint")}</p>
      <Alert type="info" showIcon message={t("export.logged")} data-testid="export-logged" />
      <ServerAlert error={error} />
      <div className="actions section">
        <Button type="primary" icon={<ExportOutlined />} loading={busy} onClick={() => void run()} data-testid="export-run">
          {t("export.run", { kind: t(`kind.${kind}`) })}
        </Button>
      </div>
    </Card>
  );
}
