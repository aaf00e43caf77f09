import { EditOutlined, MailOutlined, PlusOutlined, SwapOutlined } from "@ant-design/icons";
import { Alert, Button, Card, Tag } from "antd";
import { useState } from "react";
import type { ReactNode } from "react";
import { Link, useNavigate } from "react-router-dom";
import { errorText } from "../../errors";
import { dictLabel, formatDate, formatDateTime } from "../../i18n";
import { useCrm, useData, userName } from "../../state";
import { CustomFieldRows } from "../../components/CustomValues";
import { DetailFrame, DetailPending } from "../../components/DetailFrame";
import { FieldsCard } from "../../components/FieldsCard";
import { EmailDialog } from "../../components/EmailDialog";
import { PhoneLinks } from "../../components/PhoneLinks";
import { StateTag } from "../../components/RecordStatus";
import { TransitionButtons } from "../../components/Transitions";
import { Timeline } from "../customers/Timeline";
import { activityFormPath } from "../visits/visitLinks";
import { ConvertDialog } from "./ConvertDialog";

/// One lead: its fields, the calls, visits and messages logged on it (activities naming the
/// lead, with the customer's activity form; once converted they are on the customer's timeline
/// too), the steps this person may take now (from `permissions`; converting opens the
/// conversion dialog) and, once converted, what it became.
export function LeadDetail({ id }: { id: string }) {
  const { crm, t, lang, dicts, users } = useCrm();
  const navigate = useNavigate();
  // Read again on every `records_changed`: a step taken here, the server confirming or refusing it.
  const view = useData(() => crm.get(id), [id]);
  const permissions = useData(() => crm.permissions(id), [id]);
  const activities = useData(() => crm.list("activity", { filter: { lead: id }, sort: "time", desc: true, limit: 200, names: true }), [id]);
  const [converting, setConverting] = useState(false);
  const [writing, setWriting] = useState(false);

  if (view.error || !view.data) return <DetailPending error={view.error} />;
  const r = view.data;
  const f = r.fields;
  const actions = permissions.data?.actions ?? [];
  const offers = permissions.data?.transitions ?? [];
  const live = !r.deleted_at;
  const customer = typeof f.converted_customer === "string" ? f.converted_customer : "";
  const toCustomer = (ref: unknown, testId: string) =>
    typeof ref === "string" && ref ? (
      <Link className="field-link" to={`/customers/${customer || ref}`} data-testid={testId}>
        {r.names[ref] ?? ref}
      </Link>
    ) : null;

  const rows: [string, ReactNode][] = [
    ["company", f.company ? String(f.company) : null],
    ["title", f.title ? String(f.title) : null],
    ["phones", Array.isArray(f.phones) && f.phones.length ? <PhoneLinks phones={f.phones as string[]} /> : null],
    ["email", f.email ? String(f.email) : null],
    ["do_not_email", f.do_not_email === true ? t("common.yes") : null],
    ["source", dictLabel(lang, dicts, "customer_source", f.source)],
    [
      "campaign",
      typeof f.campaign === "string" && f.campaign ? (
        <Link className="field-link" to={`/campaigns/${f.campaign}`} data-testid="lead-campaign">
          {r.names[f.campaign] ?? f.campaign}
        </Link>
      ) : null,
    ],
    ["region", dictLabel(lang, dicts, "region", f.region)],
    ["address", f.address ? String(f.address) : null],
    ["owner", f.owner ? <span data-testid="lead-owner">{userName(users, f.owner, r.names)}</span> : <Tag data-testid="lead-pool-tag">{t("leads.in_pool")}</Tag>],
    ["next_follow_up", typeof f.next_follow_up === "string" ? formatDate(lang, f.next_follow_up) : null],
    ["pool_reason", f.pool_reason ? String(f.pool_reason) : null],
    ["invalid_reason", f.invalid_reason ? String(f.invalid_reason) : null],
    ["converted_customer", toCustomer(f.converted_customer, "lead-customer")],
    ["converted_contact", toCustomer(f.converted_contact, "lead-contact")],
    ["converted_opportunity", toCustomer(f.converted_opportunity, "lead-opportunity")],
    [
      "converted_by",
      f.converted_by ? t("service.by_at", { name: userName(users, f.converted_by, r.names), time: formatDateTime(lang, String(f.converted_at ?? "")) }) : null,
    ],
    ["tags", Array.isArray(f.tags) && f.tags.length ? f.tags.map((x) => <Tag key={String(x)}>{String(x)}</Tag>) : null],
    ["notes", f.notes ? String(f.notes) : null],
  ];
  const convertOffered = live && offers.some((o) => o.name === "convert");
  // An email is an activity on a customer's timeline: a lead is written to once it has one.
  const email = typeof f.email === "string" ? f.email : "";

  return (
    <DetailFrame
      record={r}
      testId="lead-detail"
      title={String(f.name ?? "")}
      titleTestId="lead-name"
      subtitle={[f.company, dictLabel(lang, dicts, "customer_source", f.source)].filter(Boolean).join(" · ")}
      status={<StateTag kind="lead" state={String(f.status ?? "new")} testId="lead-status" />}
      actions={
        <>
          {convertOffered && (
            <Button type="primary" icon={<SwapOutlined />} onClick={() => setConverting(true)} data-testid="lead-convert">
              {t("transition.convert")}
            </Button>
          )}
          {live && <TransitionButtons kind="lead" id={id} title={String(f.name ?? "")} offers={offers} skip={["convert"]} />}
          {live && email && customer && (
            <Button icon={<MailOutlined />} onClick={() => setWriting(true)} data-testid="email-lead">
              {t("email.compose")}
            </Button>
          )}
          {live && actions.includes("update") && (
            <Button icon={<EditOutlined />} onClick={() => navigate(`/edit/lead/${id}`)} data-testid="edit-lead">
              {t("common.edit")}
            </Button>
          )}
        </>
      }
      dialogs={
        <>
          {converting && <ConvertDialog id={id} onClose={() => setConverting(false)} />}
          {writing && (
            <EmailDialog
              customer={customer}
              contact={typeof f.converted_contact === "string" ? f.converted_contact : undefined}
              to={email}
              onClose={() => setWriting(false)}
            />
          )}
        </>
      }
    >
      <FieldsCard rows={rows} long={["notes"]}>
        <CustomFieldRows kind="lead" fields={f} />
      </FieldsCard>
      <Card
        title={t("leads.activities")}
        data-testid="lead-activities"
        extra={
          // Logged on the lead, the activity is in its owner's scope: whoever may change the lead.
          live && actions.includes("update") ? (
            <Button icon={<PlusOutlined />} onClick={() => navigate(activityFormPath({ kind: "lead", id }))} data-testid="lead-log-activity">
              {t("leads.log_activity")}
            </Button>
          ) : null
        }
      >
        {activities.error ? (
          <Alert type="error" message={errorText(t, activities.error)} />
        ) : activities.data ? (
          <Timeline activities={activities.data.items} empty="leads.no_activities" />
        ) : (
          <p className="muted">{t("common.loading")}</p>
        )}
      </Card>
    </DetailFrame>
  );
}
