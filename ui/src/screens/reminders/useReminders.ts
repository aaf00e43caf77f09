import { useEffect, useState } from "react";
import type { Owners } from "../../api";
import { useRole } from "../../state";
import { notifyPermission, onPermissionChange } from "./notifications";
import type { NotifyPermission } from "./notifications";

/// Whose reminders: a salesperson's own; everyone's for supervisors, admins and viewers (who
/// own nothing), as on home.
export function useReminderOwners(): Owners {
  const { isLead, canWrite } = useRole();
  return isLead || !canWrite ? "all" : "mine";
}

/// The notification permission, kept current when the person answers the browser's question.
export function useNotifyPermission(): NotifyPermission {
  const [permission, setPermission] = useState(notifyPermission);
  useEffect(() => onPermissionChange(() => setPermission(notifyPermission())), []);
  return permission;
}
