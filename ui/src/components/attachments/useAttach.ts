// Chosen files attached one after another: each read, given a thumbnail and sent to the core's
// `attach`; what each is doing, and a refused file's reason, kept per file so one refusal does
// not lose the others.

import { useState } from "react";
import type { Attachment } from "../../api";
import { codeText, fieldRefusals } from "../../errors";
import { readAsBase64 } from "../../files";
import { useCrm } from "../../state";
import { thumbnailOf } from "./thumbnail";

/// The core's limit for one file (docs/api.md, *Attachments*). A larger file is refused here
/// before it is read: its base64 would not even reach the core in one request.
const MAX_FILE_BYTES = 20 * 1024 * 1024;

/// One chosen file on its way: `sending`, or `refused` with the reason in words.
export interface Upload {
  key: string;
  name: string;
  state: "sending" | "refused";
  reason?: string;
}

/// Where attached files go: added to `field` of `record` at once, or (without `record`) only
/// kept on the device, for a form to write with its record (`onAttached`).
export function useAttach(record: string | undefined, field: string, onAttached?: (item: Attachment, thumb?: string) => void) {
  const { crm, t } = useCrm();
  const [uploads, setUploads] = useState<Upload[]>([]);
  const put = (key: string, change: Partial<Upload> | null) =>
    setUploads((all) => (change ? all.map((u) => (u.key === key ? { ...u, ...change } : u)) : all.filter((u) => u.key !== key)));

  const add = async (files: File[]) => {
    const batch = files.map((file, i) => ({ file, key: `${Date.now()}-${i}-${file.name}` }));
    setUploads((all) => [...all, ...batch.map(({ file, key }) => ({ key, name: file.name, state: "sending" as const }))]);
    for (const { file, key } of batch) {
      if (file.size > MAX_FILE_BYTES) {
        put(key, { state: "refused", reason: codeText(t, "file_too_large", { size: file.size, max_bytes: MAX_FILE_BYTES }) });
        continue;
      }
      try {
        const [data, thumb] = await Promise.all([readAsBase64(file), thumbnailOf(file)]);
        const item = await crm.attach({
          ...(record ? { record, field } : {}),
          name: file.name,
          type: file.type,
          data,
          ...(thumb ? { thumb } : {}),
          taken_at: new Date().toISOString(),
        });
        onAttached?.(item, thumb);
        put(key, null);
      } catch (e) {
        const r = fieldRefusals(t, e);
        put(key, { state: "refused", reason: r.other ?? Object.values(r.fields).join(" ") });
      }
    }
  };
  const dismiss = (key: string) => put(key, null);
  return { uploads, add, dismiss };
}
