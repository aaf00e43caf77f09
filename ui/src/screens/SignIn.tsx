import { useState } from "react";
import { LangSwitch } from "../App";
import { useCrm } from "../state";
import { errorText } from "./errors";

export function SignIn() {
  const { crm, status, setStatus, t } = useCrm();
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
      location.hash = "#/home";
    } catch (err) {
      setError(errorText(t, err));
    } finally {
      setBusy(false);
    }
  };

  const local = async () => {
    setStatus(await crm.useLocally());
    location.hash = "#/home";
  };

  return (
    <div className="signin-page">
      <form className="card signin" onSubmit={submit} data-testid="signin-form">
        <div className="signin-head">
          <h1>{t("app.name")}</h1>
          <LangSwitch />
        </div>
        <p className="muted">{t("signin.subtitle")}</p>
        {status?.mode === "signed_out" && status.sync.pending > 0 && <p className="notice">{t("signin.kept", { pending: status.sync.pending })}</p>}
        <label>
          {t("signin.server")}
          <input
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
          <input
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
          <input
            name="password"
            type="password"
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
        <button className="primary big" type="submit" disabled={busy} data-testid="signin-submit">
          {busy ? t("signin.busy") : t("signin.submit")}
        </button>
        {status?.mode === "first_run" && (
          <>
            <button type="button" className="big" onClick={local} data-testid="use-locally">
              {t("signin.local")}
            </button>
            <p className="muted small">{t("signin.local_hint")}</p>
          </>
        )}
      </form>
    </div>
  );
}
