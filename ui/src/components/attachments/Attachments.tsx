// A record's photos, receipts or files — the one attachments component every screen uses:
// thumbnails as big tap targets, "take photo" and "choose file" (and, when asked, "get
// signature"), a viewer with remove.

import { Alert } from "antd";
import { useState } from "react";
import type { ReactNode } from "react";
import type { Attachment, AttachmentEntry } from "../../api";
import { errorText } from "../../errors";
import { useCrm, useData } from "../../state";
import { AddFiles, AttachmentGrid } from "./AttachmentGrid";
import type { Tile } from "./AttachmentGrid";
import { AttachmentViewer } from "./AttachmentViewer";
import { SignatureButton } from "./SignaturePad";
import { useAttach } from "./useAttach";

/// The attachments of `record`'s `field`, read again as records change (thumbnails arrive with
/// sync). With `all` (a customer's page) also those of every record of the customer on this
/// device, each labelled by `labelOf`; files added go to `field` of `record` either way. With
/// `signature` a customer may sign on the device, the signature attached as a PNG like a photo.
export function Attachments({
  record,
  field,
  canEdit,
  all,
  labelOf,
  big,
  signature,
}: {
  record: string;
  field: string;
  canEdit: boolean;
  all?: boolean;
  labelOf?: (entry: AttachmentEntry) => ReactNode;
  big?: boolean;
  signature?: boolean;
}) {
  const { crm, t } = useCrm();
  const listed = useData(() => crm.attachments(record), [record]);
  const { uploads, add, dismiss } = useAttach(record, field);
  const [open, setOpen] = useState<AttachmentEntry | null>(null);
  const entries = (listed.data ?? []).filter((e) => all || (e.record === record && e.field === field));
  const tiles: (Tile & { entry: AttachmentEntry })[] = entries.map((entry) => ({
    key: `${entry.record}:${entry.field}:${entry.item.id}`,
    item: entry.item,
    thumb: entry.thumb_data,
    uploaded: entry.uploaded,
    label: labelOf?.(entry),
    entry,
  }));

  /// The list written again without the item, from the version read, so what others added
  /// meanwhile stays.
  const remove = async (entry: AttachmentEntry) => {
    const current = await crm.get(entry.record);
    const items = (current.fields[entry.field] as unknown as Attachment[] | undefined) ?? [];
    const kept = items.filter((i) => i.id !== entry.item.id);
    await crm.update(entry.record, { [entry.field]: kept as never }, current.version);
  };

  return (
    <div className="attachments" data-testid={`attachments-${field}`} data-record={record}>
      {canEdit && (
        <AddFiles
          uploads={uploads}
          onFiles={(files) => void add(files)}
          onDismiss={dismiss}
          big={big}
          extra={signature && <SignatureButton onSign={(file) => add([file])} />}
        />
      )}
      {listed.error && <Alert type="error" showIcon message={errorText(t, listed.error)} />}
      {listed.data && tiles.length === 0 && <p className="muted">{t("attachments.none")}</p>}
      <AttachmentGrid tiles={tiles} onOpen={(tile) => setOpen((tile as (typeof tiles)[number]).entry)} />
      {open && (
        <AttachmentViewer
          item={open.item}
          record={open.record}
          onClose={() => setOpen(null)}
          onRemove={canEdit && open.record === record ? () => remove(open) : undefined}
        />
      )}
    </div>
  );
}

/// Files chosen on a form before its record exists (a new expense's receipts): kept on the
/// device by `attach` and handed to the form (`onAdd`), which writes them with the record.
export function PendingAttachments({ field, items, onAdd }: { field: string; items: Attachment[]; onAdd: (item: Attachment) => void }) {
  const [thumbs, setThumbs] = useState<Record<string, string>>({});
  const { uploads, add, dismiss } = useAttach(undefined, field, (item, thumb) => {
    if (thumb) setThumbs((all) => ({ ...all, [item.hash]: thumb }));
    onAdd(item);
  });
  // Not on a record yet, an item has no id: its hash names it (the same file is kept once).
  const tiles: Tile[] = items.map((item) => ({ key: item.hash, item, thumb: thumbs[item.hash], uploaded: false }));
  return (
    <div className="attachments" data-testid={`attachments-${field}`}>
      <AddFiles uploads={uploads} onFiles={(files) => void add(files)} onDismiss={dismiss} />
      <AttachmentGrid tiles={tiles} />
    </div>
  );
}
