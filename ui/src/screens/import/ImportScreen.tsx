// Import (for the roles that write records): a new import, and the imports run on this device.
// `#/import` and `#/import/history` are one route, so an import being prepared stays as it is
// while the history is looked at.

import { Tabs } from "antd";
import { useNavigate, useParams } from "react-router-dom";
import { useCrm } from "../../state";
import { ImportHistory } from "./ImportHistory";
import { ImportWizard } from "./ImportWizard";

export function ImportScreen() {
  const { t } = useCrm();
  const navigate = useNavigate();
  const section = useParams().section === "history" ? "history" : "new";
  return (
    <div className="page import" data-testid={`import-${section}`}>
      <h1>{t("import.title")}</h1>
      <Tabs
        activeKey={section}
        onChange={(key) => navigate(key === "history" ? "/import/history" : "/import")}
        items={[
          { key: "new", label: <span data-testid="import-tab-new">{t("import.tab_new")}</span>, children: <ImportWizard /> },
          { key: "history", label: <span data-testid="import-tab-history">{t("import.tab_history")}</span>, children: <ImportHistory /> },
        ]}
      />
    </div>
  );
}
