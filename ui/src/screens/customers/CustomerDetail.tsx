import {
  CalendarOutlined,
  DeleteOutlined,
  EditOutlined,
  MessageOutlined,
  PlusOutlined,
  UndoOutlined,
} from "@ant-design/icons";
import { App as AntApp, Alert, Button, Card, Popconfirm } from "antd";
import { useState } from "react";
import { useNavigate } from "react-router-dom";
import type { Json, Money } from "../../api";
import { errorText } from "../../errors";
import { dictLabel, formatDateTime, formatMoney } from "../../i18n";
import { useCrm, useData, useRole, userName } from "../../state";
import { ConflictBadge } from "../../components/ConflictBadge";
import { CustomFieldRows } from "../../components/CustomValues";
import { DetailFrame, DetailPending } from "../../components/DetailFrame";
import { PhoneLinks } from "../../components/PhoneLinks";
import { SmsDialog } from "../../components/SmsDialog";
import { StateTag } from "../../components/RecordStatus";
import { TransitionButtons } from "../../components/Transitions";
import { useRowMarks } from "../../components/RowStatus";
import { ContactRow } from "./ContactRow";
import { CustomerChurn } from "./CustomerChurn";
import { CustomerPhotos } from "./CustomerPhotos";
import { CustomerRequests } from "./CustomerRequests";
import { CustomerSales } from "../sales/CustomerSales";
import { OpportunityRow } from "./OpportunityRow";
import { Timeline } from "./Timeline";
import { StartVisit } from "../visits/StartVisit";

const SHOWN: { name: string; dict?: string }[] = [
  { name: "code" },
  { name: "grade", dict: "customer_grade" },
  { name: "status", dict: "customer_status" },
  { name: "type", dict: "customer_type" },
  { name: "industry", dict: "industry" },
  { name: "region", dict: "region" },
  { name: "source", dict: "customer_source" },
  { name: "phones" },
  { name: "email" },
  { name: "address" },
  { name: "website" },
  { name: "tax_id" },
  { name: "bank" },
  { name: "bank_account" },
  { name: "credit_limit" },
  { name: "owner" },
  { name: "pool_reason" },
  { name: "tags" },
  { name: "notes" },
];

export function CustomerDetail({ id }: { id: string }) {
  const { crm, t, lang, dicts, users } = useCrm();
  const { canWrite } = useRole();
  const { message } = AntApp.useApp();
  const navigate = useNavigate();
  const view = useData(() => crm.customer360(id), [id]);
  // What this person may do here, from the same rules the server enforces.
  const permissions = useData(() => crm.permissions(id), [id]);
  const [showHistory, setShowHistory] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [texting, setTexting] = useState(false);
  const marks = useRowMarks((view.data?.opportunities ?? []).map((o) => o.id));

  if (view.error || !view.data) return <DetailPending error={view.error} />;
  const { customer, contacts, activities, opportunities, service_requests, churn_cases } = view.data;
  const f = customer.fields;
  const may = (action: string) => permissions.data?.actions.includes(action) === true;
  const writable = may("update") && !customer.deleted_at;
  // No owner: the customer is in the pool (公海), for anyone to claim.
  const inPool = !f.owner;
  const phones = Array.isArray(f.phones) ? (f.phones as string[]) : [];
  // Someone else's customer this person reads through an assigned request or opportunity.
  const readOnly = canWrite && !inPool && permissions.data !== null && permissions.data.actions.length === 0;

  const show = (name: string, value: Json | undefined, dict?: string): string => {
    if (value === null || value === undefined) return "";
    if (dict) return dictLabel(lang, dicts, dict, value);
    if (name === "owner") return userName(users, value, customer.names);
    if (name === "credit_limit") return formatMoney(lang, value as unknown as Money);
    if (Array.isArray(value)) return value.join("、");
    return String(value);
  };

  const act = async (run: () => Promise<unknown>) => {
    setError(null);
    try {
      await run();
      message.success(t("form.saved"));
    } catch (e) {
      setError(errorText(t, e));
    }
  };

  return (
    <DetailFrame
      record={customer}
      testId="customer-detail"
      title={String(f.name ?? "")}
      titleTestId="customer-name"
      subtitle={[f.code, dictLabel(lang, dicts, "customer_grade", f.grade)].filter(Boolean).join(" · ")}
      status={inPool && <StateTag kind="customer" state="pool" testId="pool-tag" />}
      actions={
        <>
          {!customer.deleted_at && <TransitionButtons kind="customer" id={id} title={String(f.name ?? "")} offers={permissions.data?.transitions ?? []} />}
          {writable && <StartVisit customerId={id} />}
          {writable && (
            <Button icon={<CalendarOutlined />} onClick={() => navigate(`/visit/${id}`)} data-testid="log-visit">
              {t("home.log_visit")}
            </Button>
          )}
          {writable && phones.length > 0 && (
            <Button icon={<MessageOutlined />} onClick={() => setTexting(true)} data-testid="sms-customer">
              {t("sms.compose")}
            </Button>
          )}
          {writable && (
            <Button icon={<EditOutlined />} onClick={() => navigate(`/edit/customer/${id}`)} data-testid="edit-customer">
              {t("common.edit")}
            </Button>
          )}
          {may("delete") && !customer.deleted_at && (
            <Popconfirm title={t("detail.confirm_delete")} onConfirm={() => act(() => crm.remove(id))}>
              <Button danger icon={<DeleteOutlined />} data-testid="delete-customer">
                {t("common.delete")}
              </Button>
            </Popconfirm>
          )}
          {may("restore") && customer.deleted_at && (
            <Button icon={<UndoOutlined />} onClick={() => act(() => crm.restore(id))} data-testid="restore-customer">
              {t("common.restore")}
            </Button>
          )}
        </>
      }
      notices={
        <>
          {error && <Alert type="error" showIcon message={error} />}
          {readOnly && (
            <div data-testid="read-only-customer">
              <Alert type="info" showIcon message={t("service.read_only")} />
            </div>
          )}
        </>
      }
      dialogs={texting && <SmsDialog customer={id} phones={phones} onClose={() => setTexting(false)} />}
    >
      <Card title={t("detail.fields")}>
        <dl className="fields">
          {SHOWN.map(({ name, dict }) => {
            // Why it was released matters only while it is in the pool.
            if (name === "pool_reason" && !inPool) return null;
            const conflict = customer.conflicts?.[name];
            const value = f[name];
            const text = show(name, value, dict);
            if (!text && !conflict) return null;
            return (
              <div key={name} className="field-row" data-field={name}>
                <dt>{t(`field.${name}`)}</dt>
                <dd className={name === "notes" ? "notes" : ""}>
                  {name === "phones" && Array.isArray(value) ? <PhoneLinks phones={value as string[]} /> : text}
                  {conflict && (
                    <ConflictBadge
                      values={conflict}
                      record={customer}
                      render={(v) => show(name, v, dict)}
                      onKeep={may("resolve_conflict") ? (v) => act(() => crm.resolveConflict(id, name, v)) : undefined}
                    />
                  )}
                </dd>
              </div>
            );
          })}
          <CustomFieldRows kind="customer" fields={f} />
        </dl>
      </Card>

      <Card
        title={t("detail.contacts")}
        extra={
          writable && (
            <Button icon={<PlusOutlined />} onClick={() => navigate(`/new/contact/${id}`)} data-testid="add-contact">
              {t("detail.new_contact")}
            </Button>
          )
        }
      >
        {contacts.length === 0 && <p className="muted">{t("detail.no_contacts")}</p>}
        <ul className="list" data-testid="contacts">
          {contacts.map((c) => (
            <ContactRow key={c.id} contact={c} canMessage={writable} />
          ))}
        </ul>
      </Card>

      <Card
        title={t("detail.opportunities")}
        extra={
          writable && (
            <Button icon={<PlusOutlined />} onClick={() => navigate(`/new/opportunity/${id}`)} data-testid="add-opportunity">
              {t("detail.new_opportunity")}
            </Button>
          )
        }
      >
        {opportunities.length === 0 && <p className="muted">{t("detail.no_opportunities")}</p>}
        <ul className="list">
          {opportunities.map((o) => (
            <OpportunityRow key={o.id} opportunity={o} mark={marks.get(o.id)} />
          ))}
        </ul>
      </Card>

      <CustomerRequests customerId={id} canCreate={writable} />

      <CustomerSales customerId={id} canCreate={writable} />

      <CustomerChurn cases={churn_cases ?? []} />

      <Card title={t("detail.activities")}>
        <Timeline activities={activities} />
      </Card>

      <CustomerPhotos customerId={id} canAdd={writable} activities={activities} requests={service_requests} />

      <Card title={t("detail.history")}>
        {showHistory ? (
          <History id={id} />
        ) : (
          <Button onClick={() => setShowHistory(true)} data-testid="show-history">
            {t("detail.show_history")}
          </Button>
        )}
      </Card>
    </DetailFrame>
  );
}

function History({ id }: { id: string }) {
  const { crm, t, lang, users } = useCrm();
  const h = useData(() => crm.history(id), [id]);
  if (!h.data) return <p className="muted">{t("common.loading")}</p>;
  return (
    <ol className="history" data-testid="history">
      {[...h.data.entries].reverse().map((e) => (
        <li key={e.hash}>
          <strong>{userName(users, e.user_id ?? undefined, h.data?.names) || t("history.someone")}</strong>{" "}
          {t(`history.${e.action}`, { fields: e.fields.map((f) => t(`field.${f}`)).join("、") })}
          <span className="muted small"> · {formatDateTime(lang, e.at)}</span>
        </li>
      ))}
    </ol>
  );
}
