// The claims waiting for someone: for a supervisor or an admin, those others submitted (the
// device holds only what the person may read: a supervisor's team's, everyone's for an admin);
// for finance and admins, the approved ones to pay. Oldest first — they have waited longest —,
// each approved, rejected or paid on its row.

import { Button, Card, Tag } from "antd";
import { useCrm } from "../../state";
import { useRowMarks } from "../../components/RowStatus";
import { usePagedList } from "../sales/SalesList";
import { ExpenseRow } from "./ExpenseRow";

export function ExpenseQueue({ waiting }: { waiting: "submitted" | "approved" }) {
  const { t, status } = useCrm();
  const me = status?.identity.user_id ?? "";
  const list = usePagedList("expense", { filter: { status: waiting }, sort: "date", desc: false, limit: 100, names: true });
  // Nobody judges their own claim: a supervisor's own waits for an admin, on its own page.
  const items = (list.items ?? []).filter((x) => waiting !== "submitted" || x.fields.owner !== me);
  const marks = useRowMarks(items.map((x) => x.id));
  const key = waiting === "submitted" ? "approve" : "pay";
  return (
    <Card
      title={
        <span>
          {t(`expenses.queue.${key}`)} <Tag data-testid="queue-count">{items.length}</Tag>
        </span>
      }
      data-testid={`expense-queue-${key}`}
    >
      <p className="muted small">{t(`expenses.queue.${key}_hint`)}</p>
      {list.items && items.length === 0 && <p className="muted">{t("expenses.queue_empty")}</p>}
      <ul className="list">
        {items.map((x) => (
          <ExpenseRow key={x.id} item={x} showOwner inPlace mark={marks.get(x.id)} />
        ))}
      </ul>
      {list.next && (
        <Button block type="link" loading={list.loadingMore} onClick={() => void list.more()} data-testid="queue-more">
          {t("service.more")}
        </Button>
      )}
    </Card>
  );
}
