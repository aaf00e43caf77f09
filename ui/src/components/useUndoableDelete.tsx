import { App as AntApp, Button } from "antd";
import { useCallback } from "react";
import { errorText } from "../errors";
import { useCrm } from "../state";

const UNDO_SECONDS = 10;

/// Delete a record and offer to take it back. Deleting is an ordinary synced edit (the
/// record gets `deleted_at`); Undo is `restore`, which syncs the same way. A refusal is shown
/// as a passing message, or handed to `onRefused` to show where it stays.
export function useUndoableDelete(onRefused?: (e: unknown) => void): (id: string, what: string) => Promise<void> {
  const { crm, t } = useCrm();
  const { message } = AntApp.useApp();
  return useCallback(
    async (id: string, what: string) => {
      const key = `deleted:${id}`;
      try {
        await crm.remove(id);
      } catch (e) {
        if (onRefused) onRefused(e);
        else message.error(errorText(t, e));
        return;
      }
      const undo = async () => {
        message.destroy(key);
        try {
          await crm.restore(id);
          message.success({ content: <span data-testid="restored-message">{t("undo.restored", { what })}</span> });
        } catch (e) {
          message.error(errorText(t, e));
        }
      };
      message.open({
        key,
        type: "success",
        duration: UNDO_SECONDS,
        content: (
          <span className="undo-message" data-testid="deleted-message">
            {t("undo.deleted", { what })}
            <Button type="link" onClick={undo} data-testid="undo-delete">
              {t("undo.undo")}
            </Button>
          </span>
        ),
      });
    },
    [crm, message, t, onRefused],
  );
}
