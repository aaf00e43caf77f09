import { LockOutlined } from "@ant-design/icons";
import { Button, Input, Tag } from "antd";
import { useState } from "react";
import { lockedIdentity } from "../../api";
import { errorText } from "../../errors";
import { useCrm } from "../../state";
import { host } from "./ProfileList";
import { SessionCard } from "./SessionCard";
import { SignIn } from "./SignIn";

/// A store encrypted under its person's password is locked at every start: ask for that
/// password (the one last signed in with here). Someone else may sign in instead — into their
/// own store; the locked one stays as it is.
export function Unlock() {
  const { crm, status, setStatus, t } = useCrm();
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [other, setOther] = useState(false);
  if (!status) return null;
  if (other) return <SignIn onBack={() => setOther(false)} />;
  const who = lockedIdentity(status);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setStatus(await crm.unlock(password));
    } catch (err) {
      setError(errorText(t, err));
      setPassword("");
    } finally {
      setBusy(false);
    }
  };

  return (
    <SessionCard>
      <form className="signin" onSubmit={submit} data-testid="unlock-form">
        <h2 className="unlock-title">
          <LockOutlined /> {t("unlock.title")}
        </h2>
        {who && (
          <p className="unlock-who" data-testid="unlock-who">
            <strong>{who.display_name}</strong>{" "}
            <Tag color="blue" className="role-tag">
              {t(`role.${who.role}`)}
            </Tag>
            <span className="muted small">{status.server ? `${who.username} @ ${host(status.server)}` : who.username}</span>
          </p>
        )}
        <p className="muted">{t("unlock.why")}</p>
        <label>
          {t("signin.password")}
          <Input.Password
            name="password"
            autoComplete="current-password"
            autoFocus
            value={password}
            onChange={(e) => {
              setPassword(e.target.value);
              setError(null);
            }}
            required
            data-testid="unlock-password"
          />
        </label>
        {error && (
          <p className="error" role="alert" data-testid="unlock-error">
            {error}
          </p>
        )}
        <Button type="primary" size="large" htmlType="submit" loading={busy} data-testid="unlock-submit">
          {busy ? t("unlock.busy") : t("unlock.submit")}
        </Button>
        <Button size="large" className="unlock-other" onClick={() => setOther(true)} data-testid="unlock-other">
          {who ? t("unlock.other_named", { name: who.display_name }) : t("session.someone_else")}
        </Button>
      </form>
    </SessionCard>
  );
}
