// A compact mark on list rows: a step taken here the server has not confirmed yet, and edits
// of the record it refused that nobody has put away. The record's own page says more
// (`RecordStatus`).

import { ClockCircleOutlined, ExclamationCircleOutlined } from "@ant-design/icons";
import { Tag } from "antd";
import type { Awaiting, RejectedEdit } from "../api";
import { useCrm, useData } from "../state";
import { transitionLabel } from "./Transitions";

export interface RowMark {
  awaiting?: Awaiting;
  /// Refusals not put away yet, newest first (shaped like a record's `refused`).
  refused: RejectedEdit[];
}

/// Most outbox entries read to find records that may await the server.
const OUTBOX_SCAN = 200;

/// The marks of the records `ids` (absent: nothing to say). List items carry neither
/// `awaiting` nor `refused`, so refusals come from the one `rejected` list, and a record is
/// read (`get`) for `awaiting` only when one of its changes is still in the outbox — an
/// awaiting transition always is.
export function useRowMarks(ids: string[]): Map<string, RowMark> {
  const { crm, status } = useCrm();
  const unsent = (status?.sync.pending ?? 0) > 0;
  const key = ids.join(",");
  const marks = useData(async () => {
    const out = new Map<string, RowMark>();
    if (ids.length === 0) return out;
    const wanted = new Set(ids);
    const mark = (id: string) => out.get(id) ?? out.set(id, { refused: [] }).get(id)!;
    for (const r of await crm.rejected()) if (wanted.has(r.doc_id)) mark(r.doc_id).refused.push(r);
    if (unsent) {
      const queued = new Set((await crm.outbox(OUTBOX_SCAN)).filter((id) => wanted.has(id)));
      const views = await Promise.all([...queued].map((id) => crm.get(id).catch(() => null)));
      for (const v of views) if (v?.awaiting) mark(v.id).awaiting = v.awaiting;
    }
    return out;
  }, [key, unsent]);
  return marks.data ?? EMPTY;
}

const EMPTY = new Map<string, RowMark>();

/// The marks of one row, as small tags.
export function RowMarks({ mark, kind }: { mark: RowMark | undefined; kind?: string }) {
  const { t } = useCrm();
  if (!mark) return null;
  return (
    <>
      {mark.awaiting && (
        <Tag
          icon={<ClockCircleOutlined />}
          color="warning"
          data-testid="row-awaiting"
          title={t("workflow.awaiting", { transition: transitionLabel(t, kind, mark.awaiting.transition) })}
        >
          {t("workflow.awaiting_short")}
        </Tag>
      )}
      {mark.refused.length > 0 && (
        <Tag icon={<ExclamationCircleOutlined />} color="error" data-testid="row-refused" title={t("refused.title")}>
          {t("workflow.refused_short")}
        </Tag>
      )}
    </>
  );
}
