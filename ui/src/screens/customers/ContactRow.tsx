import { DeleteOutlined } from "@ant-design/icons";
import { Button, Tag } from "antd";
import type { Item } from "../../api";
import { useCrm } from "../../state";
import { CustomListValues } from "../../components/CustomValues";
import { PhoneLinks } from "../../components/PhoneLinks";
import { useActions } from "../../components/usePermissions";
import { useUndoableDelete } from "../../components/useUndoableDelete";
import { RowMain } from "./RowMain";

/// One contact of a customer: edit by tapping the name, delete (with Undo), where this person may.
export function ContactRow({ contact: c }: { contact: Item }) {
  const { t } = useCrm();
  const actions = useActions(c);
  const remove = useUndoableDelete();
  const name = String(c.fields.name ?? "");
  return (
    <li className="row" data-testid="contact-row">
      <RowMain to={actions.includes("update") ? `/edit/contact/${c.id}` : undefined}>
        <strong>{name}</strong>
        {c.fields.title ? <span className="muted">{String(c.fields.title)}</span> : null}
        <CustomListValues kind="contact" fields={c.fields} all />
      </RowMain>
      <PhoneLinks phones={(c.fields.phones as string[] | undefined) ?? []} />
      {c.fields.is_primary === true && <Tag color="blue">{t("detail.primary")}</Tag>}
      {c.has_conflicts && <Tag color="orange">{t("customers.conflict")}</Tag>}
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
