import { DeleteOutlined, MailOutlined, MessageOutlined } from "@ant-design/icons";
import { Button, Tag } from "antd";
import { useState } from "react";
import type { Item } from "../../api";
import { useCrm } from "../../state";
import { CustomListValues } from "../../components/CustomValues";
import { EmailDialog } from "../../components/EmailDialog";
import { PhoneLinks } from "../../components/PhoneLinks";
import { SmsDialog } from "../../components/SmsDialog";
import { useActions } from "../../components/usePermissions";
import { useUndoableDelete } from "../../components/useUndoableDelete";
import { RowMain } from "./RowMain";

/// One contact of a customer: edit by tapping the name, delete (with Undo), where this person may;
/// write them an email or a text message (`canMessage`: the customer's timeline is this person's
/// to write on).
export function ContactRow({ contact: c, canMessage = false }: { contact: Item; canMessage?: boolean }) {
  const { t } = useCrm();
  const actions = useActions(c);
  const remove = useUndoableDelete();
  const [writing, setWriting] = useState<"email" | "sms" | null>(null);
  const name = String(c.fields.name ?? "");
  const email = typeof c.fields.email === "string" ? c.fields.email : "";
  const phones = (c.fields.phones as string[] | undefined) ?? [];
  const customer = String(c.fields.customer);
  return (
    <li className="row" data-testid="contact-row">
      <RowMain to={actions.includes("update") ? `/edit/contact/${c.id}` : undefined}>
        <strong>{name}</strong>
        {c.fields.title ? <span className="muted">{String(c.fields.title)}</span> : null}
        <CustomListValues kind="contact" fields={c.fields} all />
      </RowMain>
      <PhoneLinks phones={phones} />
      {c.fields.is_primary === true && <Tag color="blue">{t("detail.primary")}</Tag>}
      {c.has_conflicts && <Tag color="orange">{t("customers.conflict")}</Tag>}
      {c.fields.do_not_email === true && <Tag data-testid="unsubscribed">{t("field.do_not_email")}</Tag>}
      {canMessage && email && (
        <Button
          type="text"
          icon={<MailOutlined />}
          aria-label={t("email.compose")}
          title={t("email.compose")}
          onClick={() => setWriting("email")}
          data-testid="email-contact"
        />
      )}
      {canMessage && phones.length > 0 && (
        <Button
          type="text"
          icon={<MessageOutlined />}
          aria-label={t("sms.compose")}
          title={t("sms.compose")}
          onClick={() => setWriting("sms")}
          data-testid="sms-contact"
        />
      )}
      {writing === "email" && <EmailDialog customer={customer} contact={c.id} to={email} onClose={() => setWriting(null)} />}
      {writing === "sms" && <SmsDialog customer={customer} contact={c.id} phones={phones} onClose={() => setWriting(null)} />}
      {actions.includes("delete") && (
        <Button
          type="text"
          danger
          icon={<DeleteOutlined />}
          aria-label={t("common.delete")}
          title={t("common.delete")}
          onClick={() => remove(c.id, name)}
          data-testid="delete-contact"
        />
      )}
    </li>
  );
}
