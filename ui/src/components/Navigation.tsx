// What each role can reach: the main screens, campaigns and the knowledge base for everyone;
// leads for the roles that sell; quotes and orders for the roles that sell (and read them), approvals for
// supervisors, receivables, payments and invoices for finance, expenses and the calendar for
// everyone who claims them (all but viewers; judging and paying expenses are its tabs), the
// product catalogue and an Administration group for admins; reports for everyone. A side menu on
// laptops and tablets, a bottom tab bar on phones (reports are reached from home there).

import {
  CarryOutOutlined,
  AccountBookOutlined,
  ApartmentOutlined,
  AppstoreOutlined,
  CheckSquareOutlined,
  DollarOutlined,
  FileDoneOutlined,
  FileTextOutlined,
  ShoppingCartOutlined,
  AuditOutlined,
  BookOutlined,
  BarChartOutlined,
  BulbOutlined,
  ReadOutlined,
  CalendarOutlined,
  ControlOutlined,
  CustomerServiceOutlined,
  DatabaseOutlined,
  ExportOutlined,
  FormOutlined,
  FundProjectionScreenOutlined,
  HomeOutlined,
  ImportOutlined,
  InboxOutlined,
  FallOutlined,
  MobileOutlined,
  NotificationOutlined,
  SettingOutlined,
  SwapOutlined,
  SyncOutlined,
  TeamOutlined,
  UserOutlined,
  WalletOutlined,
} from "@ant-design/icons";
import { Menu, Tag } from "antd";
import type { MenuProps } from "antd";
import type { ReactNode } from "react";
import { Link, useLocation } from "react-router-dom";
import { localDate } from "../i18n";
import { useCrm, useData, useRole } from "../state";

interface Entry {
  path: string;
  key: string;
  icon: ReactNode;
}

const MAIN: Entry[] = [
  { path: "home", key: "nav.home", icon: <HomeOutlined /> },
  { path: "customers", key: "nav.customers", icon: <TeamOutlined /> },
  { path: "pool", key: "nav.pool", icon: <InboxOutlined /> },
  { path: "churn", key: "nav.churn", icon: <FallOutlined /> },
  { path: "service", key: "nav.service", icon: <CustomerServiceOutlined /> },
  { path: "pipeline", key: "nav.pipeline", icon: <FundProjectionScreenOutlined /> },
  { path: "sync", key: "nav.sync", icon: <SyncOutlined /> },
];

/// Leads (线索): one's own and the lead pool (a tab of the screen).
const LEADS: Entry = { path: "leads", key: "nav.leads", icon: <BulbOutlined /> };
/// Campaigns (营销活动): read by everyone, run by supervisors and admins.
const CAMPAIGNS: Entry = { path: "campaigns", key: "nav.campaigns", icon: <NotificationOutlined /> };
/// The knowledge base (知识库), read by everyone.
const KNOWLEDGE: Entry = { path: "knowledge", key: "nav.knowledge", icon: <ReadOutlined /> };

/// Selling: quotes (contracts are a tab beside them) and orders.
const SALES: Entry[] = [
  { path: "sales/quote", key: "nav.quotes", icon: <FileTextOutlined /> },
  { path: "sales/order", key: "nav.orders", icon: <ShoppingCartOutlined /> },
];
/// A supervisor's quotes and orders waiting for them.
const APPROVALS: Entry = { path: "approvals", key: "nav.approvals", icon: <CheckSquareOutlined /> };
/// Money: what customers owe (supervisors too), payments to confirm and invoices to issue.
const RECEIVABLES: Entry = { path: "finance/receivables", key: "nav.receivables", icon: <AccountBookOutlined /> };
const FINANCE: Entry[] = [
  RECEIVABLES,
  { path: "finance/payments", key: "nav.payments", icon: <DollarOutlined /> },
  { path: "finance/invoices", key: "nav.invoices", icon: <FileDoneOutlined /> },
];
/// Expense claims (报销): one's own month; a supervisor's claims to judge and finance's to pay are
/// its tabs.
const EXPENSES: Entry = { path: "expenses", key: "nav.expenses", icon: <WalletOutlined /> };
/// The calendar (日程): the person's days from `agenda`, with today's open entries as a badge.
const CALENDAR: Entry = { path: "calendar", key: "nav.calendar", icon: <CalendarOutlined /> };
/// Reports (报表): the figures of one's own, the team's or everyone's work, for every role.
const REPORTS: Entry = { path: "reports", key: "nav.reports", icon: <BarChartOutlined /> };
/// The product catalogue (everyone reaches it from the sales list; admins keep it).
const PRODUCTS: Entry = { path: "products", key: "nav.products", icon: <AppstoreOutlined /> };

/// The sales entries a role has, in menu order.
function salesEntries(role: string | undefined): Entry[] {
  if (role === "finance") return FINANCE;
  return [
    ...SALES,
    ...(role === "supervisor" || role === "admin" ? [APPROVALS] : []),
    ...(role === "admin" ? FINANCE : role === "supervisor" ? [RECEIVABLES] : []),
    ...(role === "admin" ? [PRODUCTS] : []),
  ];
}

/// The phone's tab bar has room for five or six: the pool, churn warnings, import, leads,
/// campaigns and the knowledge base are reached from the customer list there (and churn warnings
/// from home's reminders).
const UNDER_CUSTOMERS = ["pool", "churn", "import", "leads", "campaigns", "knowledge"];
const TABS = MAIN.filter((e) => !UNDER_CUSTOMERS.includes(e.path));
/// Approvals, the product catalogue and (for others than finance) receivables are reached from
/// the sales list there.
const UNDER_SALES = ["approvals", "products", "finance"];
/// Reports are reached from home there (its head and, for a team, its month card).
const UNDER_HOME = ["reports"];

/// Importing spreadsheets, for the roles that write (on phones, from the customer list).
const IMPORT: Entry = { path: "import", key: "nav.import", icon: <ImportOutlined /> };

/// On a shared device: sign out and let someone else in (on phones, from the sync screen).
const SWITCH: Entry = { path: "switch-user", key: "nav.switch_user", icon: <SwapOutlined /> };

/// In the order of the administration screen's tabs (screens/admin/AdminScreen.tsx `SECTIONS`).
export const ADMIN: Entry[] = [
  { path: "admin/users", key: "nav.admin_users", icon: <UserOutlined /> },
  { path: "admin/devices", key: "nav.admin_devices", icon: <MobileOutlined /> },
  { path: "admin/teams", key: "nav.admin_teams", icon: <ApartmentOutlined /> },
  { path: "admin/dictionary", key: "nav.admin_dictionary", icon: <BookOutlined /> },
  { path: "admin/visit_types", key: "nav.admin_visit_types", icon: <CarryOutOutlined /> },
  { path: "admin/custom_fields", key: "nav.admin_custom_fields", icon: <FormOutlined /> },
  { path: "admin/settings", key: "nav.admin_settings", icon: <ControlOutlined /> },
  { path: "admin/audit", key: "nav.admin_audit", icon: <AuditOutlined /> },
  { path: "admin/backups", key: "nav.admin_backups", icon: <DatabaseOutlined /> },
  { path: "admin/export", key: "nav.admin_export", icon: <ExportOutlined /> },
];

/// Today's agenda entries not done yet (the calendar's badge), read again as records change.
function useDueToday(enabled: boolean): number {
  const { crm } = useCrm();
  const today = localDate(0);
  const { data } = useData(() => (enabled ? crm.agenda(today, today) : Promise.resolve(null)), [enabled, today]);
  return data?.due_today ?? 0;
}

function DueBadge({ n }: { n: number }) {
  return n > 0 ? (
    <span className="count-badge nav-badge" data-testid="calendar-due">
      {n}
    </span>
  ) : null;
}

const testId = (path: string) => `nav-${path.replace("/", "-")}`;

/// The menu entry a path belongs to ("customers/…" and "new/customer" are under customers,
/// a service request's, a lead's and an article's forms under their screens).
function current(pathname: string): string {
  const [first, second] = pathname.replace(/^\//, "").split("/");
  if (first === "admin") return `admin/${second ?? "users"}`;
  if (first === "sales") return second === "order" ? "sales/order" : "sales/quote";
  if (first === "finance") return `finance/${second ?? "receivables"}`;
  if ((first === "new" || first === "edit") && second === "service_request") return "service";
  if ((first === "new" || first === "edit") && second === "lead") return "leads";
  if ((first === "new" || first === "edit") && second === "article") return "knowledge";
  if ((first === "new" || first === "edit") && second === "campaign") return "campaigns";
  if (first === "customers" || first === "new" || first === "edit" || first === "visit") return "customers";
  return first || "home";
}

export function SideMenu() {
  const { t } = useCrm();
  const { role, canWrite, claims } = useRole();
  const { pathname } = useLocation();
  const due = useDueToday(claims);
  const item = (e: Entry) => ({
    key: e.path,
    icon: e.icon,
    label: (
      <Link to={`/${e.path}`} data-testid={testId(e.path)} className="menu-link">
        {t(e.key)}
        {e === CALENDAR && <DueBadge n={due} />}
      </Link>
    ),
  });
  const main = MAIN.map(item);
  const items: MenuProps["items"] = [
    // The calendar after home; selling after the pipeline, before sync.
    main[0],
    ...(claims ? [item(CALENDAR)] : []),
    main[1],
    ...(canWrite ? [item(LEADS)] : []),
    item(CAMPAIGNS),
    ...main.slice(2, -1),
    ...salesEntries(role).map(item),
    item(REPORTS),
    ...(claims ? [item(EXPENSES)] : []),
    item(KNOWLEDGE),
    ...main.slice(-1),
    ...(canWrite ? [item(IMPORT)] : []),
    item(SWITCH),
    ...(role === "admin" ? [{ type: "group" as const, key: "admin", label: t("nav.admin"), children: ADMIN.map(item) }] : []),
  ];
  return (
    <>
      <UserBadge />
      <Menu mode="inline" selectedKeys={[current(pathname)]} items={items} className="side-menu" />
    </>
  );
}

/// Who is working, with the role in words.
export function UserBadge() {
  const { status, t } = useCrm();
  if (!status) return null;
  return (
    <div className="user-badge" data-testid="user-badge">
      <strong>{status.identity.display_name}</strong>
      <Tag color="blue" data-testid="user-role">
        {t(`role.${status.identity.role}`)}
      </Tag>
    </div>
  );
}

export function TabBar() {
  const { t } = useCrm();
  const { role, claims } = useRole();
  const { pathname } = useLocation();
  const expenses = claims ? [EXPENSES] : [];
  const calendar = claims ? [CALENDAR] : [];
  const due = useDueToday(claims);
  // Finance works on money: home, customers, receivables (payments and invoices are its tabs),
  // expenses and sync.
  const tabs =
    role === "finance"
      ? [...TABS.slice(0, 2), ...calendar, { path: "finance/receivables", key: "nav.finance", icon: <AccountBookOutlined /> }, ...expenses, TABS[TABS.length - 1]]
      : [...TABS.slice(0, 2), ...calendar, { path: "sales/quote", key: "nav.sales", icon: <FileTextOutlined /> }, ...expenses, ...TABS.slice(2)];
  const entries = role === "admin" ? [...tabs, { path: "admin/users", key: "nav.admin_short", icon: <SettingOutlined /> }] : tabs;
  const at = current(pathname).split("/")[0];
  const active = UNDER_HOME.includes(at) ? "home" : UNDER_CUSTOMERS.includes(at) ? "customers" : UNDER_SALES.includes(at) ? (role === "finance" ? "finance" : "sales") : at;
  return (
    <nav className="tab-bar" aria-label={t("nav.label")}>
      {entries.map((e) => (
        <Link
          key={e.path}
          to={`/${e.path}`}
          className={e.path.split("/")[0] === active ? "active" : ""}
          data-testid={e.path.startsWith("admin") ? "nav-admin" : testId(e.path)}
        >
          <span className="tab-icon" aria-hidden>
            {e.icon}
          </span>
          {e === CALENDAR && <DueBadge n={due} />}
          <span>{t(e.key)}</span>
        </Link>
      ))}
    </nav>
  );
}
