// Writing an email from the app: to whom, a subject and the text (`ComposeDialog` queues it).

import { Input } from "antd";
import { useState } from "react";
import { useCrm } from "../state";
import { ComposeDialog } from "./ComposeDialog";
import { FormField } from "./FormField";

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
  const { t } = useCrm();
  const [emailTo, setTo] = useState(to);
  const [subject, setSubject] = useState("");
  const [body, setBody] = useState("");
  return (
    <ComposeDialog
      channel="email"
      customer={customer}
      contact={contact}
      fields={{ email_to: emailTo.trim(), subject: subject.trim(), email_body: body }}
      ready={!!emailTo.trim() && !!subject.trim() && !!body.trim()}
      onClose={onClose}
    >
      {(errors) => (
        <>
          <FormField id="email-to" label={t("field.email_to")} required error={errors.email_to}>
            <Input id="email-to" type="email" inputMode="email" value={emailTo} onChange={(e) => setTo(e.target.value)} data-testid="email-to" />
          </FormField>
          <FormField id="email-subject" label={t("field.subject")} required error={errors.subject}>
            <Input id="email-subject" value={subject} maxLength={200} onChange={(e) => setSubject(e.target.value)} data-testid="email-subject" />
          </FormField>
          <FormField id="email-body" label={t("field.email_body")} required error={errors.email_body}>
            <Input.TextArea id="email-body" autoSize={{ minRows: 6 }} value={body} onChange={(e) => setBody(e.target.value)} data-testid="email-body" />
          </FormField>
        </>
      )}
    </ComposeDialog>
  );
}
