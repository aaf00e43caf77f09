// A report as a spreadsheet in the language shown: `report_export` with the same filters and
// this screen's words for its tables, headers, filters and codes, saved as a download.

import { DownloadOutlined } from "@ant-design/icons";
import { App as AntApp, Button } from "antd";
import { useState } from "react";
import type { Report, ReportParams } from "../../api";
import { errorText } from "../../errors";
import { saveBase64 } from "../../files";
import { useCrm } from "../../state";
import { exportLabels } from "./model";
import type { CellContext } from "./model";

export function ReportExport({ params, report, ctx }: { params: ReportParams; report: Report; ctx: CellContext }) {
  const { crm, t } = useCrm();
  const { message } = AntApp.useApp();
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    try {
      const file = await crm.reportExport(params, exportLabels(ctx, report));
      saveBase64(file.name, file.data);
      message.success(t("report.exported", { name: file.name }));
    } catch (e) {
      message.error(errorText(t, e), 8);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Button icon={<DownloadOutlined />} loading={busy} onClick={() => void run()} data-testid="report-export">
      {t("report.export")}
    </Button>
  );
}
