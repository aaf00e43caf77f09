import { BellOutlined } from "@ant-design/icons";
import { Button } from "antd";
import { useCrm } from "../../state";
import { requestNotifications } from "./notifications";
import { useNotifyPermission } from "./useReminders";

/// Desktop notifications: on, off (a button asks the browser, from the click), blocked, or not
/// available in this window at all — said as it is. On the home card and the calendar; the
/// browser remembers the answer.
export function NotificationSwitch() {
  const { t } = useCrm();
  const permission = useNotifyPermission();
  if (permission === "default") {
    return (
      <Button className="section" icon={<BellOutlined />} onClick={() => void requestNotifications()} data-testid="notify-enable">
        {t("reminders.notify_enable")}
      </Button>
    );
  }
  return (
    <p className="muted small section" data-testid="notify-state" data-permission={permission}>
      {t(`reminders.notify_${permission}`)}
    </p>
  );
}
