import { Alert, Button, Card, Input } from "antd";
import { useState } from "react";
import { useNavigate } from "react-router-dom";
import { errorText } from "../errors";
import { useCrm } from "../state";
import { LangSwitch } from "../components/LangSwitch";

export function SignIn() {
  const { crm, status, setStatus, t } = useCrm();
  const navigate = useNavigate();
  const [server, setServer] = useState(status?.server ?? "http://127.0.0.1:7878");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setStatus(await crm.signIn(server, username, password));
      navigate("/home");
    } catch (err) {
      setError(errorText(t, err));
    } finally {
      setBusy(false);
    }
  };

  const local = async () => {
    try {
      setStatus(await crm.useLocally());
      navigate("/home");
    } catch (err) {
      setError(errorText(t, err));
    }
  };

  return (
    <div className="signin-page">
      <Card className="signin-card">
        <form className="signin" onSubmit={submit} data-testid="signin-form">
          <div className="signin-head">
            <h1>{t("app.name")}</h1>
            <LangSwitch />
          </div>
          <p className="muted">{t("signin.subtitle")}</p>
          {status?.mode === "signed_out" && status.sync.pending > 0 && (
            <Alert type="info" showIcon message={t("signin.kept", { pending: status.sync.pending })} />
          )}
          <label>
            {t("signin.server")}
            <Input
              name="server"
              type="url"
              inputMode="url"
              autoComplete="url"
              value={server}
              onChange={(e) => setServer(e.target.value)}
              required
            />
          </label>
          <label>
            {t("signin.username")}
            <Input
              name="username"
              autoComplete="username"
              autoCapitalize="none"
              value={username}
              onChange={(e) => setUsername(e.target.value)}
              required
            />
          </label>
          <label>
            {t("signin.password")}
            <Input.Password
              name="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              required
            />
          </label>
          {error && (
            <p className="error" role="alert" data-testid="signin-error">
              {error}
            </p>
          )}
          <Button type="primary" size="large" htmlType="submit" loading={busy} data-testid="signin-submit">
            {busy ? t("signin.busy") : t("signin.submit")}
          </Button>
          {status?.mode === "first_run" && (
            <>
              <Button size="large" onClick={local} data-testid="use-locally">
                {t("signin.local")}
              </Button>
              <p className="muted small">{t("signin.local_hint")}</p>
            </>
          )}
        </form>
      </Card>
    </div>
  );
}
