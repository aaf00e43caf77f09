// The sales part of a customer's page: their money (billed, collected, outstanding), what they
// bought per product with the last price, their quotes, contracts, orders, payments and
// invoices (the core's `purchase_history`), and a new quote or order for them.

import { FileAddOutlined, ShoppingCartOutlined } from "@ant-design/icons";
import { Button, Card } from "antd";
import { useNavigate } from "react-router-dom";
import { errorText } from "../../errors";
import { useCrm, useData } from "../../state";
import { HistoryParts } from "./PurchaseHistory";

export function CustomerSales({ customerId, canCreate }: { customerId: string; canCreate: boolean }) {
  const { crm, t } = useCrm();
  const navigate = useNavigate();
  const history = useData(() => crm.purchaseHistory(customerId), [customerId]);
  return (
    <Card
      title={t("sales.section")}
      data-testid="customer-sales"
      extra={
        canCreate && (
          <span className="actions">
            <Button icon={<FileAddOutlined />} onClick={() => navigate(`/sales/quote/new?customer=${customerId}`)} data-testid="new-quote">
              {t("sales.new_short.quote")}
            </Button>
            <Button type="primary" icon={<ShoppingCartOutlined />} onClick={() => navigate(`/sales/order/new?customer=${customerId}`)} data-testid="new-order">
              {t("sales.new_short.order")}
            </Button>
          </span>
        )
      }
    >
      {!history.data && <p className="muted">{history.error ? errorText(t, history.error) : t("common.loading")}</p>}
      {history.data && <HistoryParts history={history.data} />}
    </Card>
  );
}
