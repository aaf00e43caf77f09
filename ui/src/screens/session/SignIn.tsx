import { Alert, App as AntApp, Button, Input } from "antd";
import type { InputRef } from "antd";
import { useRef, useState } from "react";
import { useNavigate, useSearchParams } from "react-router-dom";
import type { Profile } from "../../api";
import { errorText } from "../../errors";
import { useCrm } from "../../state";
import { CaChooser } from "./CaChooser";
import type { CaFile } from "./CaChooser";
import { ProfileList } from "./ProfileList";
import { serverAddress } from "./serverTrust";
import { SessionCard } from "./SessionCard";

/// Sign in to the company's server (or start using the app on this device only). The people
/// who worked on this device before are listed: tapping one fills in their server and name.
/// `onBack`: offered on a locked device, back to unlocking the store that waits.
export function SignIn({ onBack }: { onBack?: () => void } = {}) {
  const { crm, status, setStatus, t } = useCrm();
  const { modal } = AntApp.useApp();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const profiles = (status?.profiles ?? []).filter((p) => p.server);
  const chosen = profiles.find((p) => p.id === params.get("profile"));
  const [server, setServer] = useState(chosen?.server ?? status?.server ?? "http://127.0.0.1:7878");
  const [username, setUsername] = useState(chosen?.username ?? "");
  const [password, setPassword] = useState("");
  const [ca, setCa] = useState<CaFile | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const passwordInput = useRef<InputRef>(null);

  const pick = (p: Profile) => {
    setServer(p.server ?? server);
    setUsername(p.username);
    setPassword("");
    setError(null);
    passwordInput.current?.focus();
  };

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    // The chooser already says what is wrong with the file; it is not sent.
    if (ca?.problem) {
      setError(t("signin.ca_fix"));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const signedIn = await crm.signIn(serverAddress(server), username, password, ca?.text);
      const carried = signedIn.carried_over;
      // Records made before the first sign-in now belong to this account and will be sent.
      if (carried && carried.records > 0) {
        modal.info({
          title: t("session.carried_title"),
          content: (
            <div data-testid="carried-over">
              <p>{t("session.carried_over", { count: carried.records })}</p>
              {carried.left_out > 0 && <p className="muted">{t("session.left_out", { count: carried.left_out })}</p>}
              {(carried.values_cleared ?? 0) > 0 && (
                <p className="muted">{t("session.values_cleared", { count: carried.values_cleared })}</p>
              )}
            </div>
          ),
          okButtonProps: { "data-testid": "carried-over-ok" } as never,
        });
      }
      navigate("/home");
      setStatus(signedIn);
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
    <SessionCard>
      <form className="signin" onSubmit={submit} data-testid="signin-form">
        <p className="muted">{t("signin.subtitle")}</p>
        {status?.mode === "signed_out" && status.sync.pending > 0 && (
          <Alert type="info" showIcon message={t("signin.kept", { pending: status.sync.pending })} />
        )}
        {profiles.length > 0 && (
          <div className="signin-profiles">
            <h2>{t("session.on_this_device")}</h2>
            <ProfileList profiles={profiles} onPick={pick} />
          </div>
        )}
        <label>
          {t("signin.server")}
          <Input
            name="server"
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
            ref={passwordInput}
            name="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </label>
        <CaChooser
          value={ca}
          onChange={(file) => {
            setCa(file);
            setError(null);
          }}
        />
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
        {onBack && (
          <Button size="large" onClick={onBack} data-testid="signin-back">
            {t("unlock.back")}
          </Button>
        )}
      </form>
    </SessionCard>
  );
}
