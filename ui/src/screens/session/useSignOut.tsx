import { Alert, Button, Space } from "antd";
import { useRef, useState } from "react";
import { CrmError } from "../../api";
import { errorText } from "../../errors";
import { useCrm } from "../../state";

/// Signing the current person out. The core refuses while their edits wait to be sent
/// (`unsynced_edits`); then `panel` explains that the edits stay on this device in their own
/// profile and go out when they sign in again, and only a confirmation signs out anyway.
export function useSignOut(): { start: (after?: () => void) => void; panel: JSX.Element | null } {
  const { crm, status, setStatus, t } = useCrm();
  const [pending, setPending] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const after = useRef<(() => void) | undefined>();

  const run = async (force: boolean) => {
    setError(null);
    try {
      const s = await crm.signOut(force);
      setPending(null);
      after.current?.();
      setStatus(s);
    } catch (e) {
      if (e instanceof CrmError && e.code === "unsynced_edits") {
        setPending(Number((e.params as { pending?: number } | null)?.pending ?? 0));
      } else setError(errorText(t, e));
    }
  };

  // A local profile has no server to send to: leaving it only shows the sign-in screen, and
  // nothing is deleted.
  const start = (then?: () => void) => {
    after.current = then;
    void run(status?.mode === "local");
  };

  const panel =
    pending !== null ? (
      <div data-testid="signout-warning">
        <Alert
          type="warning"
          showIcon
          role="alert"
          message={t("session.unsent_title", { pending })}
          description={t("session.unsent_explain", { pending, name: status?.identity.display_name ?? "" })}
          action={
            <Space direction="vertical">
              <Button danger type="primary" onClick={() => run(true)} data-testid="signout-confirm">
                {t("sync.signout_confirm")}
              </Button>
              <Button onClick={() => setPending(null)}>{t("common.cancel")}</Button>
            </Space>
          }
        />
      </div>
    ) : error ? (
      <Alert type="error" showIcon message={error} />
    ) : null;
  return { start, panel };
}
