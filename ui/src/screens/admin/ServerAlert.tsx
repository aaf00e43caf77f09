// A failed request to the server's administration, in words: the server's refusal translated,
// or — when this device is not signed in to a server or cannot reach it — that administration
// happens on the server and needs a connection to it.

import { ReloadOutlined } from "@ant-design/icons";
import { Alert, Button } from "antd";
import { errorText, needsServer } from "../../errors";
import { useCrm } from "../../state";

export function ServerAlert({ error, onRetry, testId = "server-error" }: { error: unknown; onRetry?: () => void; testId?: string }) {
  const { t } = useCrm();
  if (!error) return null;
  return (
    <Alert
      className="section admin-alert"
      type={needsServer(error) ? "warning" : "error"}
      showIcon
      message={errorText(t, error)}
      description={needsServer(error) ? t("admin.needs_server") : undefined}
      action={
        onRetry && (
          <Button icon={<ReloadOutlined />} onClick={onRetry} data-testid="server-retry">
            {t("common.retry")}
          </Button>
        )
      }
      data-testid={testId}
    />
  );
}
