import { LockOutlined } from "@ant-design/icons";
import { Tag, Tooltip } from "antd";
import type { ReactNode } from "react";
import type { Profile } from "../../api";
import { useCrm } from "../../state";

/// Where a server address points, without the scheme (`crm.example.com:7878`).
export function host(server: string | null): string {
  if (!server) return "";
  try {
    return new URL(server).host;
  } catch {
    return server;
  }
}

/// The people who work on this device, each with their unsent edits and a lock on stores
/// encrypted under a password; `action` renders what a row offers (a button, or the row
/// itself is tappable through `onPick`).
export function ProfileList({
  profiles,
  current,
  onPick,
  action,
}: {
  profiles: Profile[];
  current?: string;
  onPick?: (p: Profile) => void;
  action?: (p: Profile) => ReactNode;
}) {
  const { t } = useCrm();
  return (
    <ul className="list profiles" data-testid="profiles">
      {profiles.map((p) => {
        const main = (
          <>
            <strong>
              {p.display_name}{" "}
              <Tag color="blue" className="role-tag">
                {t(`role.${p.role}`)}
              </Tag>
              {p.encrypted && (
                <Tooltip title={t("session.encrypted_hint")}>
                  <LockOutlined className="profile-lock" aria-label={t("session.encrypted")} data-testid="profile-encrypted" />
                </Tooltip>
              )}
            </strong>
            <span className="muted small">{p.server ? `${p.username} @ ${host(p.server)}` : t("session.local_profile")}</span>
          </>
        );
        return (
          <li key={p.id} className="row" data-testid="profile" data-username={p.username}>
            {onPick ? (
              <button type="button" className="row-main plain" onClick={() => onPick(p)} data-testid="profile-pick">
                {main}
              </button>
            ) : (
              <span className="row-main">{main}</span>
            )}
            {p.id === current && <Tag data-testid="profile-current">{t("session.current")}</Tag>}
            {p.pending > 0 && (
              <Tag color="orange" data-testid="profile-pending">
                {t("sync.pending", { count: p.pending })}
              </Tag>
            )}
            {action?.(p)}
          </li>
        );
      })}
    </ul>
  );
}
