// Writing an email from the app: an `email` activity on the customer's timeline, created
// `queued` on this device (offline too); the server sends it and writes how it went.

import { Input } from "antd";
import { useState } from "react";
import { useCrm } from "../state";
import { FormDialog } from "./FormDialog";
import { FormField } from "./FormField";
import { useRefusableSave } from "./useRefusableSave";

export function EmailDialog({
  customer,
  contact,
  to,
  onClose,
}: {
  /// Whose timeline the email goes on.
  customer: string;
  contact?: string;
  /// The address it starts with (the contact's or the lead's).
  to: string;
  onClose: () => void;
}) {
  const { crm, t } = useCrm();
  const [emailTo, setTo] = useState(to);
  const [subject, setSubject] = useState("");
  const [body, setBody] = useState("");
  const save = useRefusableSave();
  const send = () =>
    save.run(async () => {
      await crm.create("activity", {
        customer,
        ...(contact ? { contact } : {}),
        type: "email",
        email_to: emailTo.trim(),
        subject: subject.trim(),
        email_body: body,
        email_status: "queued",
      });
      onClose();
    });
  return (
    <FormDialog
      title={t("email.compose")}
      okText={t("email.send")}
      onOk={() => void send()}
      onClose={onClose}
      busy={save.busy}
      okDisabled={!emailTo.trim() || !subject.trim() || !body.trim()}
      testId={{ ok: "email-send", form: "email-dialog" }}
      refusal={save.other}
    >
      <p className="muted small">{t("email.queued_hint")}</p>
      <FormField id="email-to" label={t("field.email_to")} required error={save.errors.email_to}>
        <Input id="email-to" type="email" inputMode="email" value={emailTo} onChange={(e) => setTo(e.target.value)} data-testid="email-to" />
      </FormField>
      <FormField id="email-subject" label={t("field.subject")} required error={save.errors.subject}>
        <Input id="email-subject" value={subject} maxLength={200} onChange={(e) => setSubject(e.target.value)} data-testid="email-subject" />
      </FormField>
      <FormField id="email-body" label={t("field.email_body")} required error={save.errors.email_body}>
        <Input.TextArea id="email-body" autoSize={{ minRows: 6 }} value={body} onChange={(e) => setBody(e.target.value)} data-testid="email-body" />
      </FormField>
    </FormDialog>
  );
}
