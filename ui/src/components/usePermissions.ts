import { useEffect, useState } from "react";
import type { Item } from "../api";
import { useCrm } from "../state";

/// The actions the person working here may take on one record (`permissions`), asked again
/// only when what decides them may have changed (the record's owner or deletion), not on
/// every change of records. Empty until known, so nothing is offered by mistake.
export function useActions(item: Item): string[] {
  const { crm, status } = useCrm();
  const [actions, setActions] = useState<string[]>([]);
  const owner = JSON.stringify(item.fields.owner ?? null);
  useEffect(() => {
    let live = true;
    crm.permissions(item.id).then(
      (p) => live && setActions(p.actions),
      () => live && setActions([]),
    );
    return () => {
      live = false;
    };
  }, [crm, item.id, item.deleted_at, owner, status?.identity.user_id]);
  return actions;
}
