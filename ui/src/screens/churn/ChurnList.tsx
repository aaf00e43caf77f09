import { CloseOutlined } from "@ant-design/icons";
import { App as AntApp, Button, Segmented, Tag } from "antd";
import { useState } from "react";
import type { ReactNode } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";
import type { ChurnWarning, Item } from "../../api";
import { errorText } from "../../errors";
import { formatDate } from "../../i18n";
import { useCrm, useData, useRole, userName } from "../../state";
import { StateTag } from "../../components/RecordStatus";
import { RowMarks, useRowMarks } from "../../components/RowStatus";
import { CHURN_TABS, caseQuery, churnTab } from "./model";
import type { ChurnTab } from "./model";

/// Customers drifting away (流失预警) and what was decided about them: the warnings of this
/// person's customers (everyone's for supervisors, admins and viewers), then the cases by
/// state — postponed (暂缓流失), confirmed (确定流失), recovered. `?state=` picks the tab,
/// `?customer=` narrows it to one customer (where a reminder leads).
export function ChurnList() {
  const { t } = useCrm();
  const [params, setParams] = useSearchParams();
  const tab = churnTab(params.get("state"));
  const customer = params.get("customer") ?? undefined;
  const set = (key: string, value: string | undefined) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  return (
    <div className="page churn" data-testid="churn-list" data-state={tab}>
      <div className="page-head">
        <h1>{t("churn.title")}</h1>
      </div>
      <p className="muted">{t("churn.hint")}</p>
      <Segmented
        className="churn-tabs"
        block
        value={tab}
        onChange={(v) => set("state", v === "warning" ? undefined : String(v))}
        options={CHURN_TABS.map((s) => ({ value: s, label: <span data-testid={`churn-tab-${s}`}>{t(`churn.tab_${s}`)}</span> }))}
        aria-label={t("field.status")}
      />
      {customer && <CustomerFilter id={customer} clear={() => set("customer", undefined)} />}
      <div className="results section">{tab === "warning" ? <Warnings customer={customer} /> : <Cases state={tab} customer={customer} />}</div>
    </div>
  );
}

/// "Only this customer", with a way back to all of them.
function CustomerFilter({ id, clear }: { id: string; clear: () => void }) {
  const { crm, t } = useCrm();
  const name = useData(() => crm.get(id).then((r) => String(r.fields.name ?? "")), [id]);
  return (
    <div className="filters section">
      <Tag className="filter-chip" data-testid="churn-customer-filter">
        {t("common.labelled", { label: t("field.customer"), value: name.data ?? "" })}
      </Tag>
      <Button icon={<CloseOutlined />} onClick={clear} data-testid="churn-customer-clear">
        {t("churn.all_customers")}
      </Button>
    </div>
  );
}

function useOwners() {
  const { isLead, canWrite } = useRole();
  return isLead || !canWrite ? ("all" as const) : ("mine" as const);
}

function Warnings({ customer }: { customer?: string }) {
  const { crm, t } = useCrm();
  const owners = useOwners();
  const warnings = useData(() => crm.churnWarnings(owners), [owners]);
  const items = (warnings.data ?? []).filter((w) => !customer || w.customer.id === customer);
  return (
    <>
      {warnings.data && items.length === 0 && <p className="muted">{t("churn.none_warning")}</p>}
      <ul className="list" data-testid="churn-rows">
        {items.map((w) => (
          <WarningRow key={`${w.customer.id}/${w.episode}`} warning={w} showOwner={owners === "all"} />
        ))}
      </ul>
    </>
  );
}

/// One warned customer: how long it has been quiet, when it counts as dormant, the case if one
/// is open — and the way into its case (opened here when there is none yet).
function WarningRow({ warning: w, showOwner }: { warning: ChurnWarning; showOwner: boolean }) {
  const { crm, t, lang, users } = useCrm();
  const { canWrite } = useRole();
  const { message } = AntApp.useApp();
  const navigate = useNavigate();
  const [busy, setBusy] = useState(false);
  const c = w.customer;
  const open = async () => {
    if (w.case) return navigate(`/churn/${w.case.id}`);
    setBusy(true);
    try {
      const view = await crm.openChurnCase(c.id);
      navigate(`/churn/${view.id}`);
    } catch (e) {
      message.error(errorText(t, e));
    } finally {
      setBusy(false);
    }
  };
  const owner = showOwner ? userName(users, c.fields.owner) : "";
  return (
    <li className="row" data-testid="churn-warning-row" data-customer={c.id}>
      <Link className="row-main" to={`/customers/${c.id}`}>
        <strong>{String(c.fields.name ?? "")}</strong>
        <span className="muted">
          {[t("churn.days_quiet", { days: w.days_quiet }), owner ? t("common.labelled", { label: t("field.owner"), value: owner }) : null]
            .filter(Boolean)
            .join(" · ")}
        </span>
      </Link>
      <span className="row-tags">
        {c.fields.grade ? <span className="grade">{String(c.fields.grade)}</span> : null}
        <Tag color={w.stage === "dormant" ? "red" : "orange"} data-testid="churn-stage" data-stage={w.stage}>
          {w.stage === "dormant" ? t("churn.dormant_since", { date: formatDate(lang, w.dormant_on) }) : t("churn.dormant_on", { date: formatDate(lang, w.dormant_on) })}
        </Tag>
        {w.case && <StateTag kind="churn_case" state={w.case.status} />}
      </span>
      {(w.case || canWrite) && (
        <Button type={w.case ? "default" : "primary"} loading={busy} onClick={() => void open()} data-testid="churn-open">
          {t(w.case ? "churn.view_case" : "churn.open_case")}
        </Button>
      )}
    </li>
  );
}

function Cases({ state, customer }: { state: Exclude<ChurnTab, "warning">; customer?: string }) {
  const { crm, t } = useCrm();
  const cases = useData(() => crm.list("churn_case", caseQuery(state, customer)), [state, customer]);
  const items = cases.data?.items ?? [];
  const marks = useRowMarks(items.map((c) => c.id));
  return (
    <>
      {cases.data && items.length === 0 && <p className="muted">{t(`churn.none_${state}`)}</p>}
      <ul className="list" data-testid="churn-rows">
        {items.map((c) => (
          <CaseRow key={c.id} item={c} marks={<RowMarks mark={marks.get(c.id)} />} />
        ))}
      </ul>
    </>
  );
}

/// One case, in a list: its customer, when the quiet time began, and what was decided.
export function CaseRow({ item: c, showCustomer = true, marks }: { item: Item; showCustomer?: boolean; marks?: ReactNode }) {
  const { t, lang } = useCrm();
  const f = c.fields;
  const status = String(f.status ?? "warning");
  const customer = c.names?.[String(f.customer ?? "")] ?? "";
  const decided =
    status === "postponed" && typeof f.review_date === "string"
      ? t("churn.review_on", { date: formatDate(lang, f.review_date) })
      : typeof f.reason === "string" && f.reason
        ? f.reason
        : null;
  return (
    <li className="row" data-testid="churn-case-row" data-id={c.id}>
      <Link className="row-main" to={`/churn/${c.id}`}>
        <strong>{showCustomer ? customer : t("churn.episode_since", { date: formatDate(lang, String(f.episode ?? "")) })}</strong>
        <span className="muted">
          {[showCustomer ? t("churn.episode_since", { date: formatDate(lang, String(f.episode ?? "")) }) : null, decided].filter(Boolean).join(" · ")}
        </span>
      </Link>
      <span className="row-tags">
        <StateTag kind="churn_case" state={status} testId="churn-case-status" />
        {marks}
      </span>
    </li>
  );
}
