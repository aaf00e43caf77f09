import { formatDateTime } from "../i18n";
import { navigate, useCrm } from "../state";

/// Offline / syncing / up to date, edits waiting to be sent, last sync. On every screen.
export function SyncIndicator() {
  const { status, t, lang } = useCrm();
  if (!status) return null;
  const sync = status.sync;
  const local = status.mode === "local";
  const state = local ? "local" : sync.state;
  const label = local ? t("sync.local") : t(`sync.${sync.state}`);
  const title = [
    label,
    sync.pending > 0 ? t("sync.pending", { count: sync.pending }) : null,
    sync.last_sync ? t("sync.last", { time: formatDateTime(lang, sync.last_sync) }) : local ? null : t("sync.never"),
    sync.detail,
  ]
    .filter(Boolean)
    .join(" · ");
  return (
    <button
      className={`sync-indicator sync-${state}`}
      data-testid="sync-indicator"
      data-state={state}
      title={title}
      onClick={() => navigate("sync")}
    >
      <span className="dot" aria-hidden />
      <span className="sync-label">{label}</span>
      {sync.pending > 0 && (
        <span className="badge" data-testid="sync-pending">
          {sync.pending}
        </span>
      )}
      {sync.rejected > 0 && <span className="badge badge-danger">!</span>}
    </button>
  );
}
