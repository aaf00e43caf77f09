import { Tag } from "antd";
import type { Item } from "../../api";
import { formatDate, formatMoney } from "../../i18n";
import { useCrm, useData, userName } from "../../state";
import { CustomListValues } from "../../components/CustomValues";
import { RefusedNotices, StateTag } from "../../components/RecordStatus";
import { RowMarks } from "../../components/RowStatus";
import type { RowMark } from "../../components/RowStatus";
import { TransitionButtons } from "../../components/Transitions";
import { RowMain } from "./RowMain";

/// One opportunity of a customer: stage, development status (未分配 / 开发中 / 开发成功 /
/// 开发失败), whether a step taken here awaits the server or was refused, and the assign /
/// succeed / fail actions the core offers this person. An opportunity has no page of its own,
/// so what was refused is said under the row, to be put away there.
export function OpportunityRow({ opportunity: o, mark }: { opportunity: Item; mark?: RowMark }) {
  const { crm, t, lang, users } = useCrm();
  const permissions = useData(() => crm.permissions(o.id), [o.id]);
  const editable = permissions.data?.actions.includes("update") === true;
  const status = typeof o.fields.status === "string" ? o.fields.status : "developing";
  const refused = mark?.refused ?? [];
  return (
    <li className="row opp-row" data-testid="opportunity-row" data-id={o.id}>
      <RowMain to={editable ? `/edit/opportunity/${o.id}` : undefined}>
        <strong>{String(o.fields.title)}</strong>
        <span className="muted">
          {[formatDate(lang, o.fields.expected_close as string), userName(users, o.fields.owner, o.names)].filter(Boolean).join(" · ")}
        </span>
        <CustomListValues kind="opportunity" fields={o.fields} all />
      </RowMain>
      <span className="row-tags">
        <Tag color="blue">{t(`stage.${o.fields.stage}`)}</Tag>
        <StateTag kind="opportunity" state={status} testId="opportunity-status" />
        <RowMarks mark={mark} />
        <span className="money">{formatMoney(lang, o.fields.amount as never)}</span>
      </span>
      {(permissions.data?.transitions?.length ?? 0) > 0 && (
        <span className="actions row-actions">
          <TransitionButtons kind="opportunity" id={o.id} offers={permissions.data?.transitions ?? []} />
        </span>
      )}
      {refused.length > 0 && (
        <div className="row-notes">
          <RefusedNotices view={{ id: o.id, kind: "opportunity", refused, names: o.names ?? {} }} />
        </div>
      )}
    </li>
  );
}
