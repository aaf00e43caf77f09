// Writing a message from the app — an email or a text message: an activity of the channel's
// type on the customer's timeline, created `queued` on this device (offline too); the server
// sends it and writes how it went (`MessageStatus` shows it). The channel's dialog gives the
// boxes and the fields they make.

import type { ReactNode } from "react";
import type { Fields } from "../api";
import { useCrm } from "../state";
import { FormDialog } from "./FormDialog";
import { useRefusableSave } from "./useRefusableSave";

export function ComposeDialog({
  channel,
  customer,
  contact,
  fields,
  ready,
  onClose,
  children,
}: {
  /// The activity type, and the prefix of the dialog's words and test ids.
  channel: "email" | "sms";
  /// Whose timeline the message goes on.
  customer: string;
  contact?: string;
  /// What the boxes hold, as the activity's fields.
  fields: Fields;
  /// Whether everything needed is filled in.
  ready: boolean;
  onClose: () => void;
  /// The boxes, given the refusals by field.
  children: (errors: Record<string, string>) => ReactNode;
}) {
  const { crm, t } = useCrm();
  const save = useRefusableSave();
  const send = () =>
    save.run(async () => {
      await crm.create("activity", {
        customer,
        ...(contact ? { contact } : {}),
        type: channel,
        ...fields,
        send_status: "queued",
      });
      onClose();
    });
  return (
    <FormDialog
      title={t(`${channel}.compose`)}
      okText={t(`${channel}.send`)}
      onOk={() => void send()}
      onClose={onClose}
      busy={save.busy}
      okDisabled={!ready}
      testId={{ ok: `${channel}-send`, form: `${channel}-dialog` }}
      refusal={save.other}
    >
      <p className="muted small">{t(`${channel}.queued_hint`)}</p>
      {children(save.errors)}
    </FormDialog>
  );
}
