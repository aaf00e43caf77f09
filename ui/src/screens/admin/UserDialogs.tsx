// The dialogs that change accounts on the server: a new user, a user's role and team, and a
// new password. What the server refuses (a username taken, a role it does not know) is shown
// in the dialog, which stays open to correct it.

import { Input, Select } from "antd";
import { useState } from "react";
import type { Account, Role } from "../../api";
import { useCrm } from "../../state";
import { FormField } from "../../components/FormField";
import { Suggest } from "../../components/Suggest";
import { FormDialog } from "../../components/FormDialog";
import { MIN_PASSWORD, ROLES, passwordProblem } from "./model";
import type { TeamChoices } from "./model";

function RoleSelect({ id, value, onChange }: { id: string; value: Role; onChange: (r: Role) => void }) {
  const { t } = useCrm();
  return (
    <Select<Role>
      id={id}
      value={value}
      onChange={onChange}
      virtual={false}
      options={ROLES.map((r) => ({ value: r, label: t(`role.${r}`), "data-value": r }))}
      data-testid={id}
    />
  );
}

/// A team code: one of the teams' or those in use, or a new one typed.
function TeamInput({ id, value, teams, onChange }: { id: string; value: string; teams: TeamChoices; onChange: (v: string) => void }) {
  const { t } = useCrm();
  return <Suggest id={id} value={value} choices={teams.codes} labels={teams.names} placeholder={t("users.no_team")} onChange={onChange} />;
}

/// Run `work` with the dialog busy; a refusal stays in the dialog, success closes it.
function useSubmit(onDone: () => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
      onDone();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, submit, setError };
}

export function NewUserDialog({ teams, onClose, onDone }: { teams: TeamChoices; onClose: () => void; onDone: (username: string) => void }) {
  const { crm, t } = useCrm();
  const [username, setUsername] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [role, setRole] = useState<Role>("account_manager");
  const [team, setTeam] = useState("");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [checked, setChecked] = useState(false);
  const { busy, error, submit } = useSubmit(() => onDone(username.trim()));

  const usernameProblem = username.trim() === "" ? t("error.required") : null;
  const passwordText = (() => {
    const key = passwordProblem(password, confirm);
    return key ? t(key, { min: MIN_PASSWORD }) : null;
  })();
  const save = () => {
    setChecked(true);
    if (usernameProblem || passwordText) return;
    void submit(async () => {
      await crm.addAccount({
        username: username.trim(),
        ...(displayName.trim() ? { display_name: displayName.trim() } : {}),
        role,
        ...(team.trim() ? { team: team.trim() } : {}),
        password,
      });
    });
  };

  return (
    <FormDialog
      title={t("users.new")}
      okText={t("users.create")}
      onOk={save}
      onClose={onClose}
      busy={busy}
      testId={{ ok: "user-dialog-ok", form: "user-new-form" }}
      refusal={error}
    >
      <FormField id="new-username" label={t("admin.username")} error={checked ? usernameProblem : null} hint={t("users.username_hint")}>
        <Input id="new-username" value={username} autoComplete="off" onChange={(e) => setUsername(e.target.value)} data-testid="new-username" />
      </FormField>
      <FormField id="new-display-name" label={t("admin.display_name")} hint={t("users.display_name_hint")}>
        <Input id="new-display-name" value={displayName} onChange={(e) => setDisplayName(e.target.value)} data-testid="new-display-name" />
      </FormField>
      <FormField id="new-role" label={t("admin.role")}>
        <RoleSelect id="new-role" value={role} onChange={setRole} />
      </FormField>
      <FormField id="new-team" label={t("users.team")} hint={t("users.team_hint")}>
        <TeamInput id="new-team" value={team} teams={teams} onChange={setTeam} />
      </FormField>
      <PasswordFields password={password} confirm={confirm} setPassword={setPassword} setConfirm={setConfirm} error={checked ? passwordText : null} />
    </FormDialog>
  );
}

function PasswordFields({
  password,
  confirm,
  setPassword,
  setConfirm,
  error,
}: {
  password: string;
  confirm: string;
  setPassword: (v: string) => void;
  setConfirm: (v: string) => void;
  error: string | null;
}) {
  const { t } = useCrm();
  return (
    <>
      <FormField id="new-password" label={t("users.password")} hint={t("users.password_short", { min: MIN_PASSWORD })}>
        <Input.Password id="new-password" value={password} autoComplete="new-password" onChange={(e) => setPassword(e.target.value)} data-testid="new-password" />
      </FormField>
      <FormField id="new-password-confirm" label={t("users.password_confirm")} error={error}>
        <Input.Password
          id="new-password-confirm"
          value={confirm}
          autoComplete="new-password"
          onChange={(e) => setConfirm(e.target.value)}
          data-testid="new-password-confirm"
        />
      </FormField>
    </>
  );
}

export function ChangeUserDialog({ account, teams, onClose, onDone }: { account: Account; teams: TeamChoices; onClose: () => void; onDone: () => void }) {
  const { crm, t } = useCrm();
  const [role, setRole] = useState<Role>(account.role);
  const [team, setTeam] = useState(account.team ?? "");
  const { busy, error, submit } = useSubmit(onDone);
  const save = () => {
    const newTeam = team.trim() === "" ? null : team.trim();
    const change = {
      ...(role !== account.role ? { role } : {}),
      ...(newTeam !== account.team ? { team: newTeam } : {}),
    };
    if (Object.keys(change).length === 0) return onClose();
    void submit(async () => {
      await crm.changeAccount(account.username, change);
    });
  };
  return (
    <FormDialog
      title={t("users.change_title", { name: account.display_name || account.username })}
      onOk={save}
      onClose={onClose}
      busy={busy}
      testId={{ ok: "user-dialog-ok", form: "user-change-form" }}
      refusal={error}
    >
      <FormField id="change-role" label={t("admin.role")}>
        <RoleSelect id="change-role" value={role} onChange={setRole} />
      </FormField>
      <FormField id="change-team" label={t("users.team")} hint={t("users.team_hint")}>
        <TeamInput id="change-team" value={team} teams={teams} onChange={setTeam} />
      </FormField>
      <p className="muted small">{t("users.change_hint")}</p>
    </FormDialog>
  );
}

export function PasswordDialog({ account, onClose, onDone }: { account: Account; onClose: () => void; onDone: () => void }) {
  const { crm, t } = useCrm();
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [checked, setChecked] = useState(false);
  const { busy, error, submit } = useSubmit(onDone);
  const key = passwordProblem(password, confirm);
  const problem = key ? t(key, { min: MIN_PASSWORD }) : null;
  const save = () => {
    setChecked(true);
    if (problem) return;
    void submit(() => crm.resetPassword(account.username, password));
  };
  return (
    <FormDialog
      title={t("users.password_title", { name: account.display_name || account.username })}
      okText={t("users.password_set")}
      onOk={save}
      onClose={onClose}
      busy={busy}
      testId={{ ok: "user-dialog-ok", form: "user-password-form" }}
      refusal={error}
    >
      <p className="muted">{t("users.password_hint")}</p>
      <PasswordFields password={password} confirm={confirm} setPassword={setPassword} setConfirm={setConfirm} error={checked ? problem : null} />
    </FormDialog>
  );
}
