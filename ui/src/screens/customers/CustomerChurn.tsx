import { Card } from "antd";
import type { Item } from "../../api";
import { useCrm } from "../../state";
import { RowMarks, useRowMarks } from "../../components/RowStatus";
import { CaseRow } from "../churn/ChurnList";

/// A customer's churn cases (from `customer360`), newest episode first; none, no card.
export function CustomerChurn({ cases }: { cases: Item[] }) {
  const { t } = useCrm();
  const marks = useRowMarks(cases.map((c) => c.id));
  if (cases.length === 0) return null;
  return (
    <Card title={t("churn.cases")} data-testid="customer-churn">
      <ul className="list">
        {cases.map((c) => (
          <CaseRow key={c.id} item={c} showCustomer={false} marks={<RowMarks mark={marks.get(c.id)} />} />
        ))}
      </ul>
    </Card>
  );
}
