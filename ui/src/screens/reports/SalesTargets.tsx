// Monthly sales targets (业绩目标, `#/reports/targets[?month=YYYY-MM]`) for supervisors and admins:
// the month switched back and forth (kept in the address), one row per person the lead sets
// targets for — a card each on phones —, each row saved on its own as a `create` of the
// person's `sales_target` for the month (one record per owner and month: the same record is
// updated), and last month's targets copied to whoever has none yet.

import { ArrowLeftOutlined, CopyOutlined } from "@ant-design/icons";
import { Alert, App as AntApp, Button } from "antd";
import type { ButtonProps } from "antd";
import { useMemo } from "react";
import { Link, useSearchParams } from "react-router-dom";
import type { Item } from "../../api";
import { errorText } from "../../errors";
import { formatMonth } from "../../i18n";
import { useCrm, useData, userName } from "../../state";
import { useRowMarks } from "../../components/RowStatus";
import { MonthSwitcher } from "../expenses/MonthClaim";
import { isMonth, monthOf, shiftMonth } from "../expenses/model";
import { TargetRow } from "./TargetRow";
import { TARGET_MEASURES, planCopy, targetPeople } from "./targets";

/// Most `sales_target`s one month reads (a company's people).
const MONTH_LIMIT = 1000;

export function SalesTargets() {
  const { crm, t, lang, users, status } = useCrm();
  const { message, modal } = AntApp.useApp();
  const [params, setParams] = useSearchParams();
  const asked = params.get("month");
  const month = isMonth(asked) ? asked : monthOf();
  const go = (m: string) => setParams(m === monthOf() ? {} : { month: m }, { replace: true });
  const people = useMemo(() => targetPeople(users, status?.identity), [users, status?.identity]);
  const company = useData(() => crm.settingText("company.currency"), []);
  const currency = company.data ?? "CNY";
  const targets = useData(
    async () => ({ month, items: (await crm.list("sales_target", { filter: { month }, limit: MONTH_LIMIT })).items }),
    [month],
  );
  // The answer for another month stays out of the boxes while this one loads.
  const shown = targets.data?.month === month ? targets.data.items : null;
  const byOwner = useMemo(() => new Map((shown ?? []).map((x) => [String(x.fields.owner), x])), [shown]);
  const marks = useRowMarks((shown ?? []).map((x) => x.id));

  const copyLast = async () => {
    const last = shiftMonth(month, -1);
    try {
      const before = (await crm.list("sales_target", { filter: { month: last }, limit: MONTH_LIMIT })).items;
      const plan = planCopy(
        people.map((p) => p.id),
        month,
        before,
        shown ?? [],
      );
      const names = (ids: string[]) => ids.map((id) => userName(users, id)).join(t("common.list_separator"));
      if (plan.writes.length === 0) {
        modal.info({
          title: t("targets.copy_title", { from: formatMonth(lang, last) }),
          content: <span data-testid="targets-copy-nothing">{t("targets.copy_nothing", { from: formatMonth(lang, last) })}</span>,
          okText: t("common.ok"),
        });
        return;
      }
      modal.confirm({
        title: t("targets.copy_title", { from: formatMonth(lang, last) }),
        content: (
          <div data-testid="targets-copy-plan">
            <p>{t("targets.copy_writes", { count: plan.writes.length, names: names(plan.writes.map((f) => String(f.owner))), month: formatMonth(lang, month) })}</p>
            {plan.kept.length > 0 && <p className="muted">{t("targets.copy_kept", { count: plan.kept.length, names: names(plan.kept) })}</p>}
          </div>
        ),
        okText: t("targets.copy_ok"),
        cancelText: t("common.cancel"),
        okButtonProps: { "data-testid": "targets-copy-ok" } as ButtonProps,
        onOk: async () => {
          let refused = 0;
          for (const fields of plan.writes) {
            try {
              await crm.create("sales_target", fields);
            } catch (e) {
              refused += 1;
              message.error(`${userName(users, String(fields.owner))}: ${errorText(t, e)}`);
            }
          }
          if (refused === 0) message.success(t("targets.copied", { count: plan.writes.length }));
        },
      });
    } catch (e) {
      message.error(errorText(t, e));
    }
  };

  return (
    <div className="page targets" data-testid="targets" data-month={month}>
      <Link to="/reports" className="tap-link back-link" data-testid="reports-back">
        <ArrowLeftOutlined /> {t("report.all")}
      </Link>
      <div className="page-head">
        <h1>{t("targets.title")}</h1>
        <div className="actions">
          <Button icon={<CopyOutlined />} onClick={copyLast} disabled={!shown} data-testid="targets-copy">
            {t("targets.copy_last")}
          </Button>
        </div>
      </div>
      <p className="muted">{t("targets.about")}</p>
      <MonthSwitcher month={month} onChange={go} />
      {targets.error && <Alert type="error" showIcon message={errorText(t, targets.error)} />}
      {!shown && !targets.error && <p className="muted">{t("common.loading")}</p>}
      {shown && people.length === 0 && <p className="muted">{t("targets.nobody")}</p>}
      {shown && people.length > 0 && (
        <div className="targets-grid" role="table" aria-label={t("targets.title")} data-testid="targets-grid">
          <div className="target-row target-head" role="row">
            <span role="columnheader">{t("targets.person")}</span>
            {TARGET_MEASURES.map((m) => (
              <span key={m} role="columnheader">
                {t(`targets.measure.${m}`)}
              </span>
            ))}
            <span role="columnheader" className="target-save-head" />
          </div>
          {people.map((p: Item) => {
            const record = byOwner.get(p.id);
            return (
              <TargetRow
                // A new row per month and per version read, so the boxes show what is saved.
                key={`${month}/${p.id}/${record?.updated_at ?? ""}`}
                person={p}
                month={month}
                record={record}
                currency={currency}
                mark={record ? marks.get(record.id) : undefined}
              />
            );
          })}
        </div>
      )}
    </div>
  );
}
