import { Tag } from "antd";
import type { Item } from "../../api";
import { formatDate, formatMoney } from "../../i18n";
import { useCrm, useData, userName } from "../../state";
import { AwaitingNotice, RefusedNotices, StateTag } from "../../components/RecordStatus";
import { TransitionButtons } from "../../components/Transitions";
import { RowMain } from "./RowMain";

/// One opportunity of a customer: stage, development status (未分配 / 开发中 / 开发成功 /
/// 开发失败), and the assign / succeed / fail actions the core offers this person, with a
/// transition awaiting the server and refusals shown under it.
export function OpportunityRow({ opportunity: o }: { opportunity: Item }) {
  const { crm, t, lang, users } = useCrm();
  const view = useData(() => crm.get(o.id), [o.id]);
  const permissions = useData(() => crm.permissions(o.id), [o.id]);
  const editable = permissions.data?.actions.includes("update") === true;
  const status = typeof o.fields.status === "string" ? o.fields.status : "developing";
  return (
    <li className="row opp-row" data-testid="opportunity-row" data-id={o.id}>
      <RowMain to={editable ? `/edit/opportunity/${o.id}` : undefined}>
        <strong>{String(o.fields.title)}</strong>
        <span className="muted">
          {[formatDate(lang, o.fields.expected_close as string), userName(users, o.fields.owner, view.data?.names)].filter(Boolean).join(" · ")}
        </span>
      </RowMain>
      <span className="row-tags">
        <Tag color="blue">{t(`stage.${o.fields.stage}`)}</Tag>
        <StateTag kind="opportunity" state={status} testId="opportunity-status" />
        <span className="money">{formatMoney(lang, o.fields.amount as never)}</span>
      </span>
      {(permissions.data?.transitions?.length ?? 0) > 0 && (
        <span className="actions row-actions">
          <TransitionButtons kind="opportunity" id={o.id} offers={permissions.data?.transitions ?? []} />
        </span>
      )}
      {view.data && (view.data.awaiting || view.data.refused?.length) ? (
        <div className="row-notes">
          <AwaitingNotice view={view.data} compact />
          <RefusedNotices view={view.data} />
        </div>
      ) : null}
    </li>
  );
}
