import { Checkbox, Input, Radio, Tag } from "antd";
import { useEffect, useState } from "react";
import { useNavigate } from "react-router-dom";
import type { Candidate, ConversionPlan, PlanSide } from "../../api";
import { CrmError } from "../../api";
import { fieldErrorText } from "../../errors";
import { dictLabel } from "../../i18n";
import { useCrm } from "../../state";
import { FormDialog } from "../../components/FormDialog";
import { FormField } from "../../components/FormField";
import { conversionRequest, initialChoice } from "./model";
import type { CustomerChoice } from "./model";

/// Converting a lead: what `conversion_plan` says will be linked or made — the customer (or,
/// when several look alike, the person's pick among them or a new one), the contact, how many
/// activities logged on the lead go to the customer's timeline —, an optional opportunity;
/// `convert_lead` on confirm, then the customer's page.
export function ConvertDialog({ id, onClose }: { id: string; onClose: () => void }) {
  const { crm, t } = useCrm();
  const navigate = useNavigate();
  const [plan, setPlan] = useState<ConversionPlan | null>(null);
  const [choice, setChoice] = useState<CustomerChoice | null>(null);
  const [withOpportunity, setWithOpportunity] = useState(false);
  const [opportunity, setOpportunity] = useState({ title: "", amount: "" });
  const [fieldError, setFieldError] = useState<{ field: string; text: string } | null>(null);
  const [refusal, setRefusal] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    crm.conversionPlan(id).then(
      (p) => {
        setPlan(p);
        setChoice(initialChoice(p));
      },
      setRefusal,
    );
  }, [crm, id]);

  const confirm = async () => {
    if (!choice) return setRefusal(t("leads.choose_customer"));
    const request = conversionRequest(choice, withOpportunity ? opportunity : null);
    if ("error" in request) {
      setFieldError({ field: request.error.field, text: fieldErrorText(t, request.error.reason, null) });
      return;
    }
    setBusy(true);
    setRefusal(null);
    setFieldError(null);
    try {
      const done = await crm.convertLead(id, request.choice);
      navigate(`/customers/${done.customer}`);
    } catch (e) {
      // Several customers look alike now (another device's, synced meanwhile): offer them.
      const candidates = e instanceof CrmError && e.code === "customer_ambiguous" ? (e.params as { candidates?: Candidate[] } | null)?.candidates : null;
      if (candidates && plan) {
        setPlan({ ...plan, candidates });
        setChoice(null);
      }
      const opp = e instanceof CrmError && e.code === "validation" ? Object.entries(e.fieldErrors())[0] : null;
      if (opp && ["title", "amount"].includes(opp[0])) setFieldError({ field: opp[0], text: fieldErrorText(t, opp[1].reason, opp[1].params) });
      setRefusal(e);
    } finally {
      setBusy(false);
    }
  };

  const several = (plan?.candidates.length ?? 0) > 1;
  return (
    <FormDialog
      title={t("leads.convert_title")}
      okText={t("transition.convert")}
      onOk={() => void confirm()}
      onClose={onClose}
      busy={busy}
      okDisabled={!plan || !choice}
      testId={{ ok: "convert-ok", form: "convert-dialog" }}
      refusal={refusal}
    >
      {!plan && !refusal && <p className="muted">{t("common.loading")}</p>}
      {plan && (
        <>
          <section className="convert-section">
            <h4>{t("leads.plan_customer")}</h4>
            {several && <p className="muted">{t("error.customer_ambiguous")}</p>}
            {several ? (
              <Radio.Group
                className="choice-list"
                value={choice ? ("link" in choice ? choice.link : "new") : undefined}
                onChange={(e) => setChoice(e.target.value === "new" ? { create: true } : { link: e.target.value })}
                data-testid="plan-candidates"
              >
                {plan.candidates.map((c) => (
                  <Radio key={c.id} value={c.id} data-testid="plan-candidate" data-id={c.id}>
                    {c.title} <Matched fields={c.matched} />
                  </Radio>
                ))}
                <Radio value="new" data-testid="plan-new-customer">
                  {t("leads.new_customer")}
                </Radio>
              </Radio.Group>
            ) : (
              <PlanLine side={plan.customer} kind="customer" testId="plan-customer" />
            )}
          </section>
          <section className="convert-section">
            <h4>{t("leads.plan_contact")}</h4>
            <PlanLine side={plan.contact} kind="contact" testId="plan-contact" />
          </section>
          <p className="convert-section" data-testid="plan-activities" data-count={plan.activities}>
            {t("leads.plan_activities", { count: plan.activities })}
          </p>
          <Checkbox checked={withOpportunity} onChange={(e) => setWithOpportunity(e.target.checked)} data-testid="convert-with-opportunity">
            {t("leads.with_opportunity")}
          </Checkbox>
          {withOpportunity && (
            <div className="dialog-body">
              <FormField id="convert-opp-title" label={t("field.opportunity_title")} required error={fieldError?.field === "title" ? fieldError.text : null}>
                <Input
                  id="convert-opp-title"
                  maxLength={200}
                  value={opportunity.title}
                  onChange={(e) => setOpportunity((o) => ({ ...o, title: e.target.value }))}
                  data-testid="convert-opp-title"
                />
              </FormField>
              <FormField id="convert-opp-amount" label={t("leads.amount_yuan")} error={fieldError?.field === "amount" ? fieldError.text : null}>
                <Input
                  id="convert-opp-amount"
                  inputMode="decimal"
                  prefix="¥"
                  value={opportunity.amount}
                  onChange={(e) => setOpportunity((o) => ({ ...o, amount: e.target.value }))}
                  data-testid="convert-opp-amount"
                />
              </FormField>
            </div>
          )}
        </>
      )}
    </FormDialog>
  );
}

/// What matched an existing record, in words.
function Matched({ fields }: { fields?: string[] }) {
  const { t } = useCrm();
  if (!fields?.length) return null;
  return <span className="muted small">{t("form.matched", { fields: fields.map((m) => t(`field.${m}`)).join(t("common.list_separator")) })}</span>;
}

/// One side of the plan: the record linked (and what matched), or the one made with its fields.
function PlanLine({ side, kind, testId }: { side: PlanSide; kind: "customer" | "contact"; testId: string }) {
  const { t, lang, dicts } = useCrm();
  if ("link" in side) {
    return (
      <p data-testid={testId} data-action="link" data-id={side.link}>
        <Tag color="blue">{t("leads.plan_link")}</Tag> <strong>{side.name}</strong> <Matched fields={side.matched} />
      </p>
    );
  }
  const f = side.create;
  const facts = [
    Array.isArray(f.phones) ? f.phones.join(t("common.list_separator")) : null,
    f.email,
    dictLabel(lang, dicts, "region", f.region),
    dictLabel(lang, dicts, "customer_source", f.source),
    f.address,
  ].filter(Boolean);
  return (
    <p data-testid={testId} data-action="create">
      <Tag color="green">{t(`leads.plan_create_${kind}`)}</Tag> <strong>{String(f.name ?? "")}</strong>
      {facts.length > 0 && <span className="muted small"> {facts.join(" · ")}</span>}
    </p>
  );
}
