import { Alert, App as AntApp, Segmented, Select } from "antd";
import { useState } from "react";
import { useNavigate } from "react-router-dom";
import type { ListQuery, Owners, PipelineStage } from "../../api";
import { errorText } from "../../errors";
import { formatMoney } from "../../i18n";
import { useCrm, useData, useRole, userName } from "../../state";
import { ExportAction } from "../../components/ExportAction";
import { OwnerSelect } from "../../components/OwnerSelect";
import { CustomListValues } from "../../components/CustomValues";
import { StateTag } from "../../components/RecordStatus";
import { RowMarks, useRowMarks } from "../../components/RowStatus";

interface Drag {
  id: string;
  from: string;
  x: number;
  y: number;
  startX: number;
  startY: number;
  moved: boolean;
  title: string;
}

/// The board by stage. A card moves by dragging (mouse, pen or touch: pointer events), by
/// the keyboard (arrow keys on a focused card) or by its "move to" menu. A viewer's board is
/// read-only; supervisors and admins can show one person's opportunities.
export function Pipeline() {
  const { crm, t, lang, users, status } = useCrm();
  const { canWrite, isLead } = useRole();
  const { message } = AntApp.useApp();
  const navigate = useNavigate();
  const [scope, setScope] = useState<"mine" | "all">(isLead || !canWrite ? "all" : "mine");
  const [owner, setOwner] = useState<string | undefined>();
  const owners: Owners = owner ? { owner } : scope;
  const board = useData(() => crm.pipeline(owners), [scope, owner]);
  // What the board shows as a list query, for the Export: every stage, the same owners.
  const shown: ListQuery = {
    filter: owners === "all" ? {} : { owner: owners === "mine" ? (status?.identity.user_id ?? "") : owners.owner },
    sort: "updated_at",
    desc: true,
  };
  const [drag, setDrag] = useState<Drag | null>(null);
  const [over, setOver] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const move = async (id: string, stage: string) => {
    try {
      await crm.update(id, { stage });
      message.success(t("pipeline.moved", { stage: t(`stage.${stage}`) }));
    } catch (e) {
      setError(errorText(t, e));
    }
  };

  const stageAt = (x: number, y: number): string | null => {
    const el = document.elementFromPoint(x, y)?.closest("[data-stage]");
    return el?.getAttribute("data-stage") ?? null;
  };

  const stages: PipelineStage[] = board.data ?? [];
  const order = stages.map((s) => s.stage);
  const marks = useRowMarks(stages.flatMap((s) => s.cards.map((c) => c.opportunity.id)));

  return (
    <div className="page pipeline">
      <div className="page-head">
        <h1>{t("pipeline.title")}</h1>
        <div className="actions">
          {canWrite && (
            <Segmented
              value={owner ? "all" : scope}
              onChange={(v) => {
                setScope(v as "mine" | "all");
                setOwner(undefined);
              }}
              options={[
                { value: "mine", label: t("pipeline.mine") },
                { value: "all", label: t("pipeline.everyone") },
              ]}
              data-testid="pipeline-scope"
            />
          )}
          {isLead && (
            <OwnerSelect
              value={owner}
              onChange={setOwner}
              placeholder={t("common.labelled", { label: t("field.owner"), value: t("common.all") })}
              data-testid="pipeline-owner"
            />
          )}
          <ExportAction kind="opportunity" source={{ query: shown }} />
        </div>
      </div>
      {error && <Alert type="error" showIcon message={error} />}
      <div className="board" data-testid="board">
        {stages.map((s) => (
          <section
            key={s.stage}
            className={`column ${over === s.stage && drag ? "drop" : ""}`}
            data-stage={s.stage}
            data-testid={`stage-${s.stage}`}
          >
            <header>
              <h2>{t(`stage.${s.stage}`)}</h2>
              <span className="muted small" data-testid={`stage-count-${s.stage}`}>
                {t("pipeline.count", { count: s.count })}
              </span>
              <div className="totals" data-testid={`stage-total-${s.stage}`}>
                {s.totals.map((m) => (
                  <span key={m.currency} className="money">
                    {formatMoney(lang, m)}
                  </span>
                ))}
              </div>
            </header>
            {s.cards.length === 0 && <p className="muted small empty-col">{t(canWrite ? "pipeline.empty" : "common.empty")}</p>}
            {s.cards.map((c) => {
              const o = c.opportunity;
              const i = order.indexOf(s.stage);
              return (
                <article
                  key={o.id}
                  className={`opp-card ${canWrite ? "movable" : ""} ${drag?.id === o.id && drag.moved ? "dragging" : ""}`}
                  tabIndex={0}
                  data-testid="opp-card"
                  data-id={o.id}
                  aria-label={String(o.fields.title)}
                  onPointerDown={(e) => {
                    // The "move to" list is drawn outside the card, but React passes its
                    // events up to the card all the same: they are not the card's.
                    if (!canWrite || (e.target as HTMLElement).closest(".ant-select,.ant-select-dropdown,button")) return;
                    (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
                    setDrag({
                      id: o.id,
                      from: s.stage,
                      x: e.clientX,
                      y: e.clientY,
                      startX: e.clientX,
                      startY: e.clientY,
                      moved: false,
                      title: String(o.fields.title),
                    });
                  }}
                  onPointerMove={(e) => {
                    if (!drag || drag.id !== o.id) return;
                    const moved = drag.moved || Math.hypot(e.clientX - drag.startX, e.clientY - drag.startY) > 8;
                    setDrag({ ...drag, x: e.clientX, y: e.clientY, moved });
                    if (moved) setOver(stageAt(e.clientX, e.clientY));
                  }}
                  onPointerUp={(e) => {
                    if (!drag || drag.id !== o.id) return;
                    const target = drag.moved ? stageAt(e.clientX, e.clientY) : null;
                    const wasMoved = drag.moved;
                    setDrag(null);
                    setOver(null);
                    if (target && target !== drag.from) void move(o.id, target);
                    else if (!wasMoved) navigate(`/customers/${String(o.fields.customer)}`);
                  }}
                  onPointerCancel={() => {
                    setDrag(null);
                    setOver(null);
                  }}
                  onClick={() => !canWrite && navigate(`/customers/${String(o.fields.customer)}`)}
                  onKeyDown={(e) => {
                    // Keys for the card itself, not for its "move to" list.
                    if (e.target !== e.currentTarget) return;
                    if (canWrite && e.key === "ArrowRight" && i < order.length - 1) void move(o.id, order[i + 1]);
                    if (canWrite && e.key === "ArrowLeft" && i > 0) void move(o.id, order[i - 1]);
                    if (e.key === "Enter") navigate(`/customers/${String(o.fields.customer)}`);
                  }}
                >
                  <strong>{String(o.fields.title)}</strong>
                  <span className="muted small">{c.customer_name}</span>
                  <CustomListValues kind="opportunity" fields={o.fields} />
                  <span className="muted small card-owner">
                    {userName(users, o.fields.owner)}
                    <StateTag kind="opportunity" state={typeof o.fields.status === "string" ? o.fields.status : "developing"} testId="opportunity-status" />
                    <RowMarks mark={marks.get(o.id)} />
                  </span>
                  <span className="money">{formatMoney(lang, o.fields.amount as never)}</span>
                  {canWrite && (
                    <Select
                      className="move-to"
                      aria-label={t("pipeline.move_to")}
                      value={s.stage}
                      onChange={(stage: string) => void move(o.id, stage)}
                      data-testid="move-to"
                      virtual={false}
                      options={order.map((st) => ({ value: st, label: t("common.labelled", { label: t("pipeline.move_to"), value: t(`stage.${st}`) }) }))}
                    />
                  )}
                </article>
              );
            })}
            {s.count > s.cards.length && (
              <p className="muted small">{t("pipeline.more", { count: s.count - s.cards.length })}</p>
            )}
          </section>
        ))}
      </div>
      {drag?.moved && (
        <div className="drag-ghost" style={{ left: drag.x, top: drag.y }} aria-hidden>
          {drag.title}
        </div>
      )}
    </div>
  );
}
