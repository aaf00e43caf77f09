import { LoginOutlined, SwapOutlined } from "@ant-design/icons";
import { Button, Card, Space } from "antd";
import { useNavigate } from "react-router-dom";
import { useCrm } from "../../state";
import { ProfileList } from "./ProfileList";
import { useSignOut } from "./useSignOut";

/// A shared device: everyone who works on it, with what each has not sent yet. Switching signs
/// the current person out (their unsent edits stay in their own profile) and opens the
/// sign-in screen for the chosen person.
export function SwitchUser() {
  const { status, t } = useCrm();
  const navigate = useNavigate();
  const signOut = useSignOut();
  if (!status) return null;
  const others = status.profiles.filter((p) => p.id !== status.profile);

  return (
    <div className="page" data-testid="switch-user">
      <h1>{t("session.switch_title")}</h1>
      <p className="muted">{t("session.switch_hint")}</p>
      <Card>
        <Space direction="vertical" size="middle" className="full-width">
          <ProfileList
            profiles={status.profiles}
            current={status.profile}
            action={(p) =>
              p.id !== status.profile &&
              p.server && (
                <Button
                  icon={<SwapOutlined />}
                  onClick={() => signOut.start(() => navigate(`/signin?profile=${encodeURIComponent(p.id)}`))}
                  data-testid="switch-to"
                >
                  {t("session.switch_to")}
                </Button>
              )
            }
          />
          {others.length === 0 && <p className="muted small">{t("session.only_you")}</p>}
          {signOut.panel}
          <div className="actions">
            <Button icon={<LoginOutlined />} onClick={() => signOut.start(() => navigate("/signin"))} data-testid="switch-other">
              {t("session.someone_else")}
            </Button>
          </div>
        </Space>
      </Card>
    </div>
  );
}
