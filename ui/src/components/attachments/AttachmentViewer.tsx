import { DeleteOutlined, DownloadOutlined } from "@ant-design/icons";
import { Alert, Button, Modal, Popconfirm, Spin } from "antd";
import { useEffect, useState } from "react";
import type { Attachment } from "../../api";
import { errorText } from "../../errors";
import { base64Bytes, saveBase64 } from "../../files";
import { useCrm } from "../../state";

/// One attachment opened: its bytes asked of the core (which fetches them from the server when
/// they are not on this device), an image shown whole, a PDF offered as a download; remove when
/// the record may be changed.
export function AttachmentViewer({
  item,
  record,
  onClose,
  onRemove,
}: {
  item: Attachment;
  /// A record that references the file: the server checks the person may read it.
  record: string;
  onClose: () => void;
  onRemove?: () => Promise<void>;
}) {
  const { crm, t } = useCrm();
  const [content, setContent] = useState<{ url?: string; data: string; type: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [removing, setRemoving] = useState(false);
  const name = item.name || t(item.type === "application/pdf" ? "attachments.pdf" : "attachments.photo");

  useEffect(() => {
    let live = true;
    let url: string | undefined;
    crm.file(item.hash, record).then(
      (file) => {
        if (!live) return;
        if (file.content_type.startsWith("image/")) url = URL.createObjectURL(new Blob([base64Bytes(file.data)], { type: file.content_type }));
        setContent({ url, data: file.data, type: file.content_type });
      },
      (e) => live && setError(errorText(t, e)),
    );
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [crm, t, item.hash, record]);

  const remove = async () => {
    if (!onRemove) return;
    setRemoving(true);
    try {
      await onRemove();
      onClose();
    } catch (e) {
      setError(errorText(t, e));
      setRemoving(false);
    }
  };

  return (
    <Modal
      open
      title={name}
      onCancel={onClose}
      width={880}
      footer={[
        onRemove && (
          <Popconfirm key="remove" title={t("attachments.confirm_remove")} onConfirm={() => void remove()}>
            <Button danger size="large" icon={<DeleteOutlined />} loading={removing} data-testid="attachment-remove">
              {t("attachments.remove")}
            </Button>
          </Popconfirm>
        ),
        content && !content.url && (
          <Button key="download" size="large" icon={<DownloadOutlined />} onClick={() => saveBase64(name, content.data, content.type)} data-testid="attachment-download">
            {t("attachments.download")}
          </Button>
        ),
      ]}
    >
      <div className="attachment-viewer" data-testid="attachment-viewer">
        {error ? (
          <Alert type="warning" showIcon message={error} data-testid="attachment-viewer-error" />
        ) : !content ? (
          <Spin size="large" data-testid="attachment-loading" />
        ) : content.url ? (
          <img src={content.url} alt={name} data-testid="attachment-full" />
        ) : (
          <p className="muted">{t("attachments.pdf")}</p>
        )}
      </div>
    </Modal>
  );
}
