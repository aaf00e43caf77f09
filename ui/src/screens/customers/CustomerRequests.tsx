import { PlusOutlined } from "@ant-design/icons";
import { Button, Card } from "antd";
import { useNavigate } from "react-router-dom";
import { localDate } from "../../i18n";
import { useCrm, useData } from "../../state";
import { useRowMarks } from "../../components/RowStatus";
import { ServiceRow } from "../service/ServiceList";

/// A customer's service requests, newest first, and a new one where this person may.
export function CustomerRequests({ customerId, canCreate }: { customerId: string; canCreate: boolean }) {
  const { crm, t } = useCrm();
  const navigate = useNavigate();
  const requests = useData(
    () => crm.list("service_request", { filter: { customer: customerId }, sort: "created_at", desc: true, limit: 100, names: true }),
    [customerId],
  );
  const today = localDate();
  const marks = useRowMarks((requests.data?.items ?? []).map((r) => r.id));
  return (
    <Card
      title={t("service.requests")}
      data-testid="customer-requests"
      extra={
        canCreate && (
          <Button icon={<PlusOutlined />} onClick={() => navigate(`/new/service_request/${customerId}`)} data-testid="add-service">
            {t("service.new")}
          </Button>
        )
      }
    >
      {requests.data?.items.length === 0 && <p className="muted">{t("service.no_requests")}</p>}
      <ul className="list">
        {requests.data?.items.map((r) => (
          <ServiceRow key={r.id} request={r} today={today} showCustomer={false} mark={marks.get(r.id)} />
        ))}
      </ul>
    </Card>
  );
}
