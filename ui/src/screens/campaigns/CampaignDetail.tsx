import { EditOutlined, PlayCircleOutlined } from "@ant-design/icons";
import { App as AntApp, Button, Card } from "antd";
import { useState } from "react";
import type { ReactNode } from "react";
import { Link, useNavigate } from "react-router-dom";
import type { CampaignEffect, CampaignMember, Item, Money } from "../../api";
import { errorText } from "../../errors";
import { dictLabel, formatDateTime, formatMoney } from "../../i18n";
import { useCrm, useData, useRole, userName } from "../../state";
import { DetailFrame, DetailPending } from "../../components/DetailFrame";
import { FieldsCard } from "../../components/FieldsCard";
import { StateTag } from "../../components/RecordStatus";
import { TransitionButtons } from "../../components/Transitions";
import { CampaignEmail } from "./CampaignEmail";
import { campaignDates } from "./Campaigns";
import { percentOf } from "./model";
import { FilterSummary } from "./TargetFilterInput";

/// One campaign: its fields and target filter, the steps `permissions` offers (starting freezes
/// the target list through `start_campaign`), what it brought (`campaign_effect`), the frozen
/// target list, the leads that name it, and its emails to the target list.
export function CampaignDetail({ id }: { id: string }) {
  const { crm, t, lang, dicts, users } = useCrm();
  const { canWrite } = useRole();
  const { message } = AntApp.useApp();
  const navigate = useNavigate();
  const view = useData(() => crm.get(id), [id]);
  const permissions = useData(() => crm.permissions(id), [id]);
  const effect = useData(() => crm.campaignEffect(id), [id]);
  const [starting, setStarting] = useState(false);

  if (view.error || !view.data) return <DetailPending error={view.error} />;
  const r = view.data;
  const f = r.fields;
  const actions = permissions.data?.actions ?? [];
  const offers = permissions.data?.transitions ?? [];
  const live = !r.deleted_at;
  const status = String(f.status ?? "planned");
  const target = typeof f.target_kind === "string" ? f.target_kind : "";
  const money = (v: unknown) => (v && typeof v === "object" ? formatMoney(lang, v as Money) : null);

  const start = async () => {
    setStarting(true);
    try {
      await crm.startCampaign(id);
    } catch (e) {
      message.error(errorText(t, e));
    } finally {
      setStarting(false);
    }
  };

  const rows: [string, ReactNode][] = [
    ["campaign_type", dictLabel(lang, dicts, "campaign_type", f.type)],
    ["dates", campaignDates(lang, f)],
    ["channel", f.channel ? String(f.channel) : null],
    ["budget", money(f.budget)],
    ["actual_cost", money(f.actual_cost)],
    ["owner", f.owner ? userName(users, f.owner, r.names) : null],
    ["target_kind", target ? t(`target_kind.${target}`) : null],
    ["target_filter", target ? <FilterSummary kind={target} value={typeof f.target_filter === "string" ? f.target_filter : ""} /> : null],
    ["frozen_at", typeof f.frozen_at === "string" ? formatDateTime(lang, f.frozen_at) : null],
    ["notes", f.notes ? String(f.notes) : null],
  ];

  return (
    <DetailFrame
      record={r}
      testId="campaign-detail"
      title={String(f.name ?? "")}
      titleTestId="campaign-name"
      subtitle={[dictLabel(lang, dicts, "campaign_type", f.type), campaignDates(lang, f)].filter(Boolean).join(" · ")}
      status={<StateTag kind="campaign" state={status} testId="campaign-status" />}
      actions={
        <>
          {live && offers.some((o) => o.name === "start") && (
            <Button type="primary" icon={<PlayCircleOutlined />} loading={starting} onClick={() => void start()} data-testid="transition-start">
              {t("transition.start")}
            </Button>
          )}
          {live && <TransitionButtons kind="campaign" id={id} title={String(f.name ?? "")} offers={offers} skip={["start"]} />}
          {live && actions.includes("update") && (
            <Button icon={<EditOutlined />} onClick={() => navigate(`/edit/campaign/${id}`)} data-testid="edit-campaign">
              {t("common.edit")}
            </Button>
          )}
        </>
      }
    >
      <Card title={t("campaigns.effect")}>
        {effect.error ? <p className="muted">{errorText(t, effect.error)}</p> : effect.data ? <Effect effect={effect.data} /> : <p className="muted">{t("common.loading")}</p>}
      </Card>
      <FieldsCard rows={rows} long={["notes"]} />
      {status !== "planned" && typeof f.frozen_at === "string" && (
        <Card title={t("campaigns.members", { count: Number(f.member_count ?? 0).toLocaleString(lang) })}>
          <Members id={id} kind={target} />
        </Card>
      )}
      <Card title={t("campaigns.leads")}>
        <CampaignLeads id={id} linked={canWrite} />
      </Card>
      {status === "running" && live && actions.includes("update") && <CampaignEmail id={id} />}
    </DetailFrame>
  );
}

/// What the campaign brought, as the core counted it on this device.
function Effect({ effect: e }: { effect: CampaignEffect }) {
  const { t, lang } = useCrm();
  const currency = e.cost?.currency ?? "CNY";
  const figures: [string, ReactNode][] = [
    ["members", e.members.toLocaleString(lang)],
    ["leads", e.leads.toLocaleString(lang)],
    ["converted", e.converted.toLocaleString(lang)],
    ["conversion", percentOf(e.conversion_bp) ?? "—"],
    ["opportunities", e.opportunities.toLocaleString(lang)],
    ["won", e.won.toLocaleString(lang)],
    ["won_amount", e.won_amount.length ? e.won_amount.map((m) => formatMoney(lang, m)).join(t("common.list_separator")) : formatMoney(lang, { minor: 0, currency })],
    ["cost", e.cost ? formatMoney(lang, e.cost) : "—"],
    ["cost_per_lead", e.cost_per_lead === null ? "—" : formatMoney(lang, { minor: e.cost_per_lead, currency })],
    ["return", percentOf(e.return_bp) ?? "—"],
  ];
  return (
    <dl className="figures" data-testid="campaign-effect">
      {figures.map(([key, value]) => (
        <div key={key} className="figure" data-testid={`effect-${key}`}>
          <dt className="muted small">{t(`campaigns.effect_${key}`)}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

/// Where a member's page is: a customer's, a lead's; a contact is shown by name.
function memberPath(kind: string, id: string): string | null {
  if (kind === "customer") return `/customers/${id}`;
  if (kind === "lead") return `/leads/${id}`;
  return null;
}

/// The target list frozen when the campaign started.
function Members({ id, kind }: { id: string; kind: string }) {
  const { crm, t } = useCrm();
  const { canWrite } = useRole();
  const members = useData(() => crm.campaignMembers(id), [id]);
  const [all, setAll] = useState(false);
  if (members.error) return <p className="muted">{errorText(t, members.error)}</p>;
  if (!members.data) return <p className="muted">{t("common.loading")}</p>;
  if (members.data.length === 0) return <p className="muted">{t("campaigns.members_none")}</p>;
  const shown: CampaignMember[] = all ? members.data : members.data.slice(0, 50);
  return (
    <>
      <ul className="list" data-testid="campaign-members">
        {shown.map((m) => {
          const path = kind === "lead" && !canWrite ? null : memberPath(kind, m.id);
          const name = m.title ?? t("campaigns.member_elsewhere");
          return (
            <li key={m.id} className="row" data-testid="campaign-member">
              {path && m.title ? (
                <Link className="row-main" to={path}>
                  {name}
                </Link>
              ) : (
                <span className={`row-main ${m.title ? "" : "muted"}`}>{name}</span>
              )}
            </li>
          );
        })}
      </ul>
      {!all && members.data.length > shown.length && (
        <Button block type="link" onClick={() => setAll(true)} data-testid="members-all">
          {t("campaigns.members_all", { count: members.data.length })}
        </Button>
      )}
    </>
  );
}

/// The leads that name the campaign (those this person reads).
function CampaignLeads({ id, linked }: { id: string; linked: boolean }) {
  const { crm, t } = useCrm();
  const leads = useData(() => crm.list("lead", { filter: { campaign: id }, sort: "updated_at", desc: true, limit: 200 }).then((p) => p.items), [id]);
  if (!leads.data) return <p className="muted">{leads.error ? errorText(t, leads.error) : t("common.loading")}</p>;
  if (leads.data.length === 0) return <p className="muted">{t("campaigns.leads_none")}</p>;
  return (
    <ul className="list" data-testid="campaign-leads">
      {leads.data.map((l: Item) => (
        <li key={l.id} className="row" data-testid="campaign-lead">
          {linked ? (
            <Link className="row-main" to={`/leads/${l.id}`}>
              <strong>{String(l.fields.name ?? "")}</strong>
              <span className="muted">{String(l.fields.company ?? "")}</span>
            </Link>
          ) : (
            <span className="row-main">
              <strong>{String(l.fields.name ?? "")}</strong>
              <span className="muted">{String(l.fields.company ?? "")}</span>
            </span>
          )}
          <StateTag kind="lead" state={String(l.fields.status ?? "new")} />
        </li>
      ))}
    </ul>
  );
}
