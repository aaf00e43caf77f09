import { Button } from "antd";
import { useNavigate } from "react-router-dom";
import { codeText } from "../errors";
import { formatDateTime } from "../i18n";
import { useCrm } from "../state";

const DOT: Record<string, string> = {
  up_to_date: "#2e7d32",
  syncing: "#f9a825",
  connecting: "#f9a825",
  error: "#c62828",
  offline: "#9e9e9e",
  local: "#78909c",
};

/// Offline / syncing / up to date, edits waiting to be sent, last sync. On every screen.
export function SyncIndicator({ compact = false }: { compact?: boolean }) {
  const { status, t, lang } = useCrm();
  const navigate = useNavigate();
  if (!status) return null;
  const sync = status.sync;
  const local = status.mode === "local";
  const state = local ? "local" : sync.state;
  const label = local ? t("sync.local") : t(`sync.${sync.state}`);
  const title = [
    label,
    sync.detail_code && !local ? codeText(t, sync.detail_code) : null,
    sync.pending > 0 ? t("sync.pending", { count: sync.pending }) : null,
    sync.last_sync ? t("sync.last", { time: formatDateTime(lang, sync.last_sync) }) : local ? null : t("sync.never"),
  ]
    .filter(Boolean)
    .join(" · ");
  return (
    <Button
      shape="round"
      className="sync-indicator"
      data-testid="sync-indicator"
      data-state={state}
      title={title}
      aria-label={title}
      onClick={() => navigate("/sync")}
    >
      <span className="sync-dot" style={{ background: DOT[state] }} aria-hidden />
      {!compact && <span>{label}</span>}
      {sync.pending > 0 && (
        <span className="count-badge" data-testid="sync-pending">
          {sync.pending}
        </span>
      )}
      {sync.rejected > 0 && <span className="count-badge danger">!</span>}
    </Button>
  );
}
