import { CameraOutlined, CloseOutlined, FileOutlined, FilePdfOutlined, PaperClipOutlined } from "@ant-design/icons";
import { Alert, Button, Spin } from "antd";
import { useRef } from "react";
import type { ReactNode } from "react";
import type { Attachment } from "../../api";
import { useCrm } from "../../state";
import type { Upload } from "./useAttach";

/// One tile of the grid: the thumbnail when this device has it, otherwise a file icon.
export interface Tile {
  key: string;
  item: Attachment;
  thumb?: string | null;
  /// False while the server does not have the file yet (taken offline, sent at the next sync).
  uploaded: boolean;
  /// Where it came from (a customer's page lists its visits' and expenses' files too).
  label?: ReactNode;
}

/// Thumbnails as big tap targets; tapping one opens it (`onOpen`).
export function AttachmentGrid({ tiles, onOpen, testId }: { tiles: Tile[]; onOpen?: (tile: Tile) => void; testId?: string }) {
  const { t } = useCrm();
  return (
    <ul className="attachment-grid" data-testid={testId ?? "attachments-grid"}>
      {tiles.map((tile) => {
        const { item } = tile;
        const name = item.name || t(item.type === "application/pdf" ? "attachments.pdf" : "attachments.photo");
        return (
          <li key={tile.key} className="attachment-tile" data-testid="attachment" data-hash={item.hash} data-uploaded={tile.uploaded}>
            <button type="button" className="attachment-open" aria-label={t("attachments.open", { name })} onClick={() => onOpen?.(tile)} disabled={!onOpen}>
              {tile.thumb ? (
                <img src={`data:image/jpeg;base64,${tile.thumb}`} alt={name} data-testid="attachment-thumb" />
              ) : item.type === "application/pdf" ? (
                <FilePdfOutlined className="attachment-icon" />
              ) : (
                <FileOutlined className="attachment-icon" />
              )}
              {!tile.uploaded && (
                <span className="attachment-unsent" data-testid="attachment-unsent">
                  {t("attachments.not_sent")}
                </span>
              )}
            </button>
            {tile.label && <span className="attachment-label muted small" data-testid="attachment-label">{tile.label}</span>}
          </li>
        );
      })}
    </ul>
  );
}

/// "Take photo" (the camera, on tablets and phones) and "Choose file", several at once; then
/// each chosen file's progress, or why it was refused.
export function AddFiles({
  uploads,
  onFiles,
  onDismiss,
  big,
  extra,
}: {
  uploads: Upload[];
  onFiles: (files: File[]) => void;
  onDismiss: (key: string) => void;
  /// The visit screen's big camera button.
  big?: boolean;
  /// More ways to add a file, beside the two (the signature pad).
  extra?: ReactNode;
}) {
  const { t } = useCrm();
  const camera = useRef<HTMLInputElement>(null);
  const chooser = useRef<HTMLInputElement>(null);
  const chosen = (e: React.ChangeEvent<HTMLInputElement>) => {
    const files = [...(e.target.files ?? [])];
    // The same file may be chosen again after a refusal.
    e.target.value = "";
    if (files.length) onFiles(files);
  };
  return (
    <div className="attachment-add">
      <div className="attachment-buttons">
        <Button size="large" type={big ? "primary" : "default"} className={big ? "attachment-camera" : undefined} icon={<CameraOutlined />} onClick={() => camera.current?.click()} data-testid="attach-camera">
          {t("attachments.take_photo")}
        </Button>
        <Button size="large" icon={<PaperClipOutlined />} onClick={() => chooser.current?.click()} data-testid="attach-choose">
          {t("attachments.choose")}
        </Button>
        {extra}
        <input ref={camera} type="file" accept="image/*,application/pdf" capture="environment" multiple hidden onChange={chosen} data-testid="attach-camera-input" />
        <input ref={chooser} type="file" accept="image/*,application/pdf" multiple hidden onChange={chosen} data-testid="attach-input" />
      </div>
      {uploads.map((u) =>
        u.state === "sending" ? (
          <p key={u.key} className="attachment-progress" data-testid="attach-sending">
            <Spin size="small" /> {t("attachments.sending", { name: u.name })}
          </p>
        ) : (
          <Alert
            key={u.key}
            type="error"
            showIcon
            role="alert"
            message={t("attachments.refused", { name: u.name, reason: u.reason ?? "" })}
            action={<Button type="text" icon={<CloseOutlined />} aria-label={t("attachments.dismiss")} onClick={() => onDismiss(u.key)} />}
            data-testid="attach-refused"
          />
        ),
      )}
    </div>
  );
}
