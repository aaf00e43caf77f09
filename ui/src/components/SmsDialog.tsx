// Writing a text message from the app: to which number and what (`ComposeDialog` queues it),
// with how long it is and how many messages the network makes of it.

import { Input } from "antd";
import { useState } from "react";
import { SMS_MAX_CHARS, smsLength } from "../sms";
import { useCrm } from "../state";
import { ComposeDialog } from "./ComposeDialog";
import { FormField } from "./FormField";

export function SmsDialog({
  customer,
  contact,
  phones,
  onClose,
}: {
  /// Whose timeline the message goes on.
  customer: string;
  contact?: string;
  /// The numbers it may go to; it starts with the first.
  phones: string[];
  onClose: () => void;
}) {
  const { t } = useCrm();
  const [to, setTo] = useState(phones[0] ?? "");
  const [text, setText] = useState("");
  const length = smsLength(text);
  const tooLong = length.chars > SMS_MAX_CHARS;
  return (
    <ComposeDialog
      channel="sms"
      customer={customer}
      contact={contact}
      fields={{ sms_to: to.trim(), sms_text: text }}
      ready={!!to.trim() && !!text.trim() && !tooLong}
      onClose={onClose}
    >
      {(errors) => (
        <>
          <FormField id="sms-to" label={t("field.sms_to")} required error={errors.sms_to}>
            <Input id="sms-to" type="tel" inputMode="tel" maxLength={40} value={to} onChange={(e) => setTo(e.target.value)} data-testid="sms-to" />
          </FormField>
          <FormField id="sms-text" label={t("field.sms_text")} required error={errors.sms_text}>
            <Input.TextArea id="sms-text" autoSize={{ minRows: 4 }} value={text} onChange={(e) => setText(e.target.value)} data-testid="sms-text" />
          </FormField>
          <p className={tooLong ? "field-error small" : "muted small"} data-testid="sms-length" aria-live="polite">
            {t("sms.length", { chars: length.chars, max: SMS_MAX_CHARS, segments: length.segments })}
          </p>
        </>
      )}
    </ComposeDialog>
  );
}
