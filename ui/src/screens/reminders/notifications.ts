// The web Notification API, where the app's webview has one. Nothing here pretends: without
// the API the app says so and does nothing else.

export type NotifyPermission = NotificationPermission | "unsupported";

const listeners = new Set<() => void>();
/// Set when the constructor refused to show one (some webviews only allow notifications from
/// a service worker): from then on the app says notifications are not available here.
let refused = false;

function api(): typeof Notification | null {
  const n = (globalThis as { Notification?: typeof Notification }).Notification;
  return typeof n === "function" ? n : null;
}

export function notifyPermission(): NotifyPermission {
  return refused ? "unsupported" : (api()?.permission ?? "unsupported");
}

/// Ask the person (call it from a click: browsers ignore a request without a user gesture).
export async function requestNotifications(): Promise<NotifyPermission> {
  const n = api();
  if (!n) return "unsupported";
  const answer = await n.requestPermission();
  for (const l of listeners) l();
  return answer;
}

export function onPermissionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/// Show one notification; clicking it brings the app forward and runs `open`.
export function notify(title: string, body: string, tag: string, open: () => void): void {
  const n = api();
  if (!n || refused || n.permission !== "granted") return;
  try {
    const shown = new n(title, { body, tag });
    shown.onclick = () => {
      globalThis.focus?.();
      open();
      shown.close();
    };
  } catch {
    refused = true;
    for (const l of listeners) l();
  }
}
