// An admin's "Export" on a list or on search results: what is shown (the list under its
// filters, every page, or exactly the records found) as an Excel workbook or a CSV, made on
// this device and saved as a download. The core refuses anyone else; the button is not even
// shown to them. The server's audit log hears of every export, which the menu says.

import { DownOutlined, ExportOutlined } from "@ant-design/icons";
import { App as AntApp, Button, Dropdown } from "antd";
import { useState } from "react";
import type { ExportFormat, ExportSource } from "../api";
import { errorText } from "../errors";
import { saveBase64 } from "../files";
import { useCrm, useRole } from "../state";

/// `kind`'s search results are named by `export.results.<kind>` (customers and leads have it).
export function ExportAction({ kind, source, disabled = false }: { kind: string; source: ExportSource; disabled?: boolean }) {
  const { crm, t } = useCrm();
  const { role } = useRole();
  const { message } = AntApp.useApp();
  const [busy, setBusy] = useState(false);
  if (role !== "admin") return null;
  const empty = "ids" in source && source.ids.length === 0;

  const run = async (format: ExportFormat) => {
    setBusy(true);
    try {
      const file = await crm.exportRecords(kind, format, source);
      saveBase64(file.name, file.data);
      message.success(t("export.saved_logged", { name: file.name }));
    } catch (e) {
      message.error(errorText(t, e), 8);
    } finally {
      setBusy(false);
    }
  };

  const format = (f: ExportFormat) => ({ key: f, label: <span data-testid={`export-${f}`}>{t(`export.${f}`)}</span> });
  return (
    <Dropdown
      trigger={["click"]}
      disabled={disabled || empty || busy}
      menu={{
        items: [
          {
            type: "group",
            label: <span data-testid="export-what">{"ids" in source ? t(`export.results.${kind}`, { count: source.ids.length }) : t("export.list")}</span>,
            children: [format("xlsx"), format("csv")],
          },
          { type: "divider" },
          { key: "logged", disabled: true, label: <span className="small">{t("export.logged_short")}</span> },
        ],
        onClick: ({ key }) => key !== "logged" && void run(key as ExportFormat),
      }}
    >
      <Button icon={<ExportOutlined />} loading={busy} data-testid="export-action">
        {t("export.action")} <DownOutlined />
      </Button>
    </Dropdown>
  );
}
