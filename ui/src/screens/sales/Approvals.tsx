// A supervisor's inbox: quotes submitted for approval and orders waiting to be confirmed, oldest
// first (they have waited longest). Each opens its document, where the lines, the figures and
// the approve / reject / confirm steps are.

import { Card, Tag } from "antd";
import { useCrm } from "../../state";
import { SalesRow } from "./PurchaseHistory";
import { usePagedList } from "./SalesList";

export function Approvals() {
  const { t } = useCrm();
  return (
    <div className="page approvals" data-testid="approvals">
      <h1>{t("nav.approvals")}</h1>
      <p className="muted">{t("sales.approvals_hint")}</p>
      <div className="detail-grid">
        <Inbox kind="quote" status="pending" title={t("sales.quotes_to_approve")} testId="approve-quotes" />
        <Inbox kind="order" status="submitted" title={t("sales.orders_to_confirm")} testId="confirm-orders" />
      </div>
    </div>
  );
}

function Inbox({ kind, status, title, testId }: { kind: string; status: string; title: string; testId: string }) {
  const { t } = useCrm();
  const list = usePagedList(kind, { filter: { status }, sort: "created_at", desc: false, limit: 100, names: true });
  return (
    <Card
      title={
        <span>
          {title} <Tag>{list.total}</Tag>
        </span>
      }
      data-testid={testId}
    >
      {list.items?.length === 0 && <p className="muted">{t("sales.inbox_empty")}</p>}
      <ul className="list">
        {list.items?.map((d) => (
          <SalesRow key={d.id} item={d} showCustomer />
        ))}
      </ul>
    </Card>
  );
}
