import { PlusOutlined } from "@ant-design/icons";
import { Button, Select } from "antd";
import { Link, useNavigate, useSearchParams } from "react-router-dom";
import type { Item } from "../../api";
import { dictLabel, formatDate } from "../../i18n";
import { useCrm, useRole } from "../../state";
import { StateTag } from "../../components/RecordStatus";
import { RowMarks, useRowMarks } from "../../components/RowStatus";
import type { RowMark } from "../../components/RowStatus";
import { usePagedList } from "../sales/SalesList";
import { CAMPAIGN_STATES, campaignQuery } from "./model";

/// Campaigns (营销活动), read by everyone: by state (in the address), each with its type and
/// dates; supervisors and admins start new ones.
export function Campaigns() {
  const { t, lang } = useCrm();
  const { isLead } = useRole();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const status = params.get("status") ?? undefined;
  const list = usePagedList("campaign", campaignQuery(status));
  const marks = useRowMarks((list.items ?? []).map((r) => r.id));
  const labelled = (value: string) => t("common.labelled", { label: t("field.status"), value });
  return (
    <div className="page campaigns" data-testid="campaigns">
      <div className="page-head">
        <h1>{t("nav.campaigns")}</h1>
        <div className="actions">
          {isLead && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate("/new/campaign")} data-testid="new-campaign">
              {t("campaigns.new")}
            </Button>
          )}
        </div>
      </div>
      <div className="filters">
        <Select
          aria-label={t("field.status")}
          allowClear
          value={status}
          onChange={(v?: string) => setParams(v ? { status: v } : {}, { replace: true })}
          placeholder={labelled(t("common.all"))}
          data-testid="filter-status"
          popupMatchSelectWidth={false}
          virtual={false}
          options={CAMPAIGN_STATES.map((s) => ({ value: s, label: labelled(t(`state.campaign.${s}`)), "data-value": s }))}
        />
      </div>
      <p className="muted small" data-testid="campaign-count">
        {t("campaigns.count", { count: list.total.toLocaleString(lang) })}
      </p>
      {list.items?.length === 0 && <p className="muted">{t("campaigns.none")}</p>}
      <ul className="list" data-testid="campaign-rows">
        {list.items?.map((c) => <CampaignRow key={c.id} campaign={c} mark={marks.get(c.id)} />)}
      </ul>
      {list.next && (
        <Button block type="link" loading={list.loadingMore} onClick={() => void list.more()} data-testid="campaign-more">
          {t("service.more")}
        </Button>
      )}
    </div>
  );
}

/// A campaign's dates in words ("3月1日 – 3月31日"; one end alone when only one is set).
export function campaignDates(lang: Parameters<typeof formatDate>[0], f: Item["fields"]): string {
  const from = typeof f.starts_on === "string" ? formatDate(lang, f.starts_on) : "";
  const to = typeof f.ends_on === "string" ? formatDate(lang, f.ends_on) : "";
  return from || to ? `${from} – ${to}`.trim() : "";
}

function CampaignRow({ campaign: c, mark }: { campaign: Item; mark?: RowMark }) {
  const { lang, dicts } = useCrm();
  const f = c.fields;
  return (
    <li className="row" data-testid="campaign-row" data-id={c.id}>
      <Link className="row-main" to={`/campaigns/${c.id}`}>
        <strong>{String(f.name ?? "")}</strong>
        <span className="muted">{[dictLabel(lang, dicts, "campaign_type", f.type), campaignDates(lang, f)].filter(Boolean).join(" · ")}</span>
      </Link>
      <StateTag kind="campaign" state={String(f.status ?? "planned")} />
      <RowMarks mark={mark} />
    </li>
  );
}
