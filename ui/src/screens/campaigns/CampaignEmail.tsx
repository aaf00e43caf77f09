import { MailOutlined } from "@ant-design/icons";
import { Alert, Button, Card, Input } from "antd";
import { useState } from "react";
import type { CampaignMailing, Item } from "../../api";
import { CrmError } from "../../api";
import { formatDateTime } from "../../i18n";
import { useCrm, useData } from "../../state";
import { MessageStatus } from "../../components/MessageStatus";
import { FormDialog } from "../../components/FormDialog";
import { FormField } from "../../components/FormField";
import { useRefusableSave } from "../../components/useRefusableSave";
import { recipientsQuery } from "./model";

/// A running campaign's email to its target list: the dialog (subject, a body with `{name}`),
/// what it queued and skipped, then each recipient's email as the server reports it.
export function CampaignEmail({ id }: { id: string }) {
  const { crm, t } = useCrm();
  const [open, setOpen] = useState(false);
  const [result, setResult] = useState<CampaignMailing | null>(null);
  const recipients = useData(() => crm.list("activity", recipientsQuery(id)).then((p) => p.items), [id]);
  return (
    <Card
      title={t("campaigns.email")}
      extra={
        <Button icon={<MailOutlined />} onClick={() => setOpen(true)} data-testid="campaign-email">
          {t("campaigns.email_send")}
        </Button>
      }
    >
      {result && <MailingResult result={result} />}
      {recipients.data && recipients.data.length > 0 ? (
        <Recipients emails={recipients.data} />
      ) : (
        <p className="muted">{t("campaigns.email_none")}</p>
      )}
      {open && (
        <CampaignEmailDialog
          id={id}
          onClose={() => setOpen(false)}
          onSent={(r) => {
            setOpen(false);
            setResult(r);
          }}
        />
      )}
    </Card>
  );
}

function CampaignEmailDialog({ id, onClose, onSent }: { id: string; onClose: () => void; onSent: (r: CampaignMailing) => void }) {
  const { crm, t } = useCrm();
  const [subject, setSubject] = useState("");
  const [body, setBody] = useState("");
  const save = useRefusableSave();
  const [missing, setMissing] = useState(false);
  const send = () =>
    save.run(async () => {
      try {
        onSent(await crm.campaignEmail(id, subject.trim(), body));
      } catch (e) {
        // A core without campaign mail reads the request as unknown.
        if (e instanceof CrmError && e.code === "bad_request") setMissing(true);
        else throw e;
      }
    });
  return (
    <FormDialog
      title={t("campaigns.email_send")}
      okText={t("email.send")}
      onOk={() => void send()}
      onClose={onClose}
      busy={save.busy}
      okDisabled={!subject.trim() || !body.trim()}
      testId={{ ok: "campaign-email-send", form: "campaign-email-dialog" }}
      refusal={missing ? t("campaigns.email_unavailable") : save.other}
    >
      <p className="muted small">{t("campaigns.email_hint")}</p>
      <FormField id="campaign-email-subject" label={t("field.subject")} required error={save.errors.subject}>
        <Input id="campaign-email-subject" maxLength={200} value={subject} onChange={(e) => setSubject(e.target.value)} data-testid="campaign-email-subject" />
      </FormField>
      <FormField id="campaign-email-body" label={t("field.email_body")} required error={save.errors.body ?? save.errors.email_body} hint={t("campaigns.email_name_hint", { name: "{name}" })}>
        <Input.TextArea id="campaign-email-body" autoSize={{ minRows: 6 }} value={body} onChange={(e) => setBody(e.target.value)} data-testid="campaign-email-body" />
      </FormField>
    </FormDialog>
  );
}

function MailingResult({ result }: { result: CampaignMailing }) {
  const { t } = useCrm();
  return (
    <Alert
      type={result.skipped.length ? "warning" : "success"}
      showIcon
      data-testid="campaign-email-result"
      message={t("campaigns.email_queued", { count: result.queued, skipped: result.skipped.length })}
      description={
        result.skipped.length ? (
          <ul className="dup-list">
            {result.skipped.map((s) => (
              <li key={s.id} data-testid="campaign-email-skipped" data-why={s.why}>
                {s.title ?? t("campaigns.member_elsewhere")} — {t(`campaigns.skip.${s.why}`)}
              </li>
            ))}
          </ul>
        ) : undefined
      }
    />
  );
}

/// Each recipient's email: to whom, for which customer, and how it is doing.
function Recipients({ emails }: { emails: Item[] }) {
  const { t, lang } = useCrm();
  return (
    <ul className="list" data-testid="campaign-recipients">
      {emails.map((a) => (
        <li key={a.id} className="row" data-testid="campaign-recipient" data-state={String(a.fields.send_status ?? "")}>
          <span className="row-main">
            <strong>{a.names?.[String(a.fields.customer ?? "")] ?? String(a.fields.email_to ?? "")}</strong>
            <span className="muted small">{formatDateTime(lang, String(a.fields.time ?? ""))}</span>
          </span>
          <MessageStatus message={a} />
        </li>
      ))}
      {emails.length >= 200 && <li className="muted small">{t("campaigns.email_first", { count: 200 })}</li>}
    </ul>
  );
}
