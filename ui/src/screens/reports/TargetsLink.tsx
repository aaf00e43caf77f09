// The way to the monthly sales targets, for supervisors and admins (the callers decide who).

import { AimOutlined } from "@ant-design/icons";
import { Button } from "antd";
import { useNavigate } from "react-router-dom";
import { useCrm } from "../../state";

export function TargetsLink() {
  const { t } = useCrm();
  const navigate = useNavigate();
  return (
    <Button icon={<AimOutlined />} onClick={() => navigate("/reports/targets")} data-testid="targets-link">
      {t("targets.title")}
    </Button>
  );
}
