// Expenses (报销, `#/expenses[/approve|/pay]`): one's own month, and — a tab each — the claims
// a supervisor or admin judges and those finance pays. A new expense starts here.

import { PlusOutlined } from "@ant-design/icons";
import { Button, Tabs } from "antd";
import { useNavigate } from "react-router-dom";
import { useCrm, useRole } from "../../state";
import { MonthClaim } from "./MonthClaim";
import { ExpenseQueue } from "./Queue";
import type { ExpenseSection } from "./model";

/// The sections a role has: everyone who claims their own month; supervisors and admins
/// judge; finance and admins pay.
export function expenseSections(isLead: boolean, isFinance: boolean): ExpenseSection[] {
  return ["month", ...(isLead ? (["approve"] as const) : []), ...(isFinance ? (["pay"] as const) : [])];
}

export function Expenses({ section }: { section: ExpenseSection }) {
  const { t } = useCrm();
  const { isLead, isFinance } = useRole();
  const navigate = useNavigate();
  const sections = expenseSections(isLead, isFinance);
  return (
    <div className="page expenses" data-testid={`expenses-${section}`}>
      <div className="page-head">
        <h1>{t("nav.expenses")}</h1>
        <div className="actions">
          <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate("/expenses/new")} data-testid="new-expense">
            {t("expenses.new")}
          </Button>
        </div>
      </div>
      {sections.length > 1 && (
        <Tabs
          activeKey={section}
          onChange={(k) => navigate(k === "month" ? "/expenses" : `/expenses/${k}`)}
          items={sections.map((s) => ({ key: s, label: <span data-testid={`expenses-tab-${s}`}>{t(`expenses.tab.${s}`)}</span> }))}
        />
      )}
      {section === "month" && <MonthClaim />}
      {section === "approve" && isLead && <ExpenseQueue waiting="submitted" />}
      {section === "pay" && isFinance && <ExpenseQueue waiting="approved" />}
    </div>
  );
}
