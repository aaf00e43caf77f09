import { Layout } from "antd";
import { Suspense, lazy, useEffect } from "react";
import { Link, Navigate, Outlet, Route, Routes, useParams, useSearchParams } from "react-router-dom";
import { REPORT_NAMES } from "./api";
import type { ReportName } from "./api";
import { useCrm, useRole } from "./state";
import { LangSwitch } from "./components/LangSwitch";
import { SideMenu, TabBar } from "./components/Navigation";
import { SyncIndicator } from "./components/SyncIndicator";
import { useIsPhone } from "./components/useIsPhone";
import { CustomerList } from "./screens/customers/CustomerList";
import { ReminderNotifier } from "./screens/reminders/ReminderNotifier";

// Only the shell and the customer list (the busiest screen) are in the main bundle; every
// other screen loads on first use, the sign-in screen and home right away when they are shown.
const SignIn = lazy(() => import("./screens/session/SignIn").then((m) => ({ default: m.SignIn })));
const Home = lazy(() => import("./screens/home/Home").then((m) => ({ default: m.Home })));
const CustomerDetail = lazy(() => import("./screens/customers/CustomerDetail").then((m) => ({ default: m.CustomerDetail })));
const RecordForm = lazy(() => import("./screens/records/RecordForm").then((m) => ({ default: m.RecordForm })));
const VisitForm = lazy(() => import("./screens/visits/VisitForm").then((m) => ({ default: m.VisitForm })));
const VisitSession = lazy(() => import("./screens/visits/VisitSession").then((m) => ({ default: m.VisitSession })));
const VisitPlanEditor = lazy(() => import("./screens/agenda/VisitPlanEditor").then((m) => ({ default: m.VisitPlanEditor })));
const Agenda = lazy(() => import("./screens/agenda/Agenda").then((m) => ({ default: m.Agenda })));
const Pipeline = lazy(() => import("./screens/pipeline/Pipeline").then((m) => ({ default: m.Pipeline })));
const SyncScreen = lazy(() => import("./screens/sync/SyncScreen").then((m) => ({ default: m.SyncScreen })));
const Unlock = lazy(() => import("./screens/session/Unlock").then((m) => ({ default: m.Unlock })));
const SwitchUser = lazy(() => import("./screens/session/SwitchUser").then((m) => ({ default: m.SwitchUser })));
const ServiceList = lazy(() => import("./screens/service/ServiceList").then((m) => ({ default: m.ServiceList })));
const ServiceDetail = lazy(() => import("./screens/service/ServiceDetail").then((m) => ({ default: m.ServiceDetail })));
const ChurnList = lazy(() => import("./screens/churn/ChurnList").then((m) => ({ default: m.ChurnList })));
const ChurnDetail = lazy(() => import("./screens/churn/ChurnDetail").then((m) => ({ default: m.ChurnDetail })));
const Pool = lazy(() => import("./screens/pool/Pool").then((m) => ({ default: m.Pool })));
const ImportScreen = lazy(() => import("./screens/import/ImportScreen").then((m) => ({ default: m.ImportScreen })));
const AdminScreen = lazy(() => import("./screens/admin/AdminScreen").then((m) => ({ default: m.AdminScreen })));
const SalesList = lazy(() => import("./screens/sales/SalesList").then((m) => ({ default: m.SalesList })));
const DocumentDetail = lazy(() => import("./screens/sales/DocumentDetail").then((m) => ({ default: m.DocumentDetail })));
const DocumentEditor = lazy(() => import("./screens/sales/DocumentEditor").then((m) => ({ default: m.DocumentEditor })));
const Approvals = lazy(() => import("./screens/sales/Approvals").then((m) => ({ default: m.Approvals })));
const Finance = lazy(() => import("./screens/sales/Finance").then((m) => ({ default: m.Finance })));
const Products = lazy(() => import("./screens/sales/Products").then((m) => ({ default: m.Products })));
const Expenses = lazy(() => import("./screens/expenses/Expenses").then((m) => ({ default: m.Expenses })));
const ExpenseDetail = lazy(() => import("./screens/expenses/ExpenseDetail").then((m) => ({ default: m.ExpenseDetail })));
const Leads = lazy(() => import("./screens/leads/Leads").then((m) => ({ default: m.Leads })));
const LeadDetail = lazy(() => import("./screens/leads/LeadDetail").then((m) => ({ default: m.LeadDetail })));
const Knowledge = lazy(() => import("./screens/knowledge/Knowledge").then((m) => ({ default: m.Knowledge })));
const ArticlePage = lazy(() => import("./screens/knowledge/ArticlePage").then((m) => ({ default: m.ArticlePage })));
const Campaigns = lazy(() => import("./screens/campaigns/Campaigns").then((m) => ({ default: m.Campaigns })));
const CampaignDetail = lazy(() => import("./screens/campaigns/CampaignDetail").then((m) => ({ default: m.CampaignDetail })));
const Reports = lazy(() => import("./screens/reports/Reports").then((m) => ({ default: m.Reports })));
const ReportScreen = lazy(() => import("./screens/reports/ReportScreen").then((m) => ({ default: m.ReportScreen })));
const SalesTargets = lazy(() => import("./screens/reports/SalesTargets").then((m) => ({ default: m.SalesTargets })));
const ExpenseForm = lazy(() => import("./screens/expenses/ExpenseForm").then((m) => ({ default: m.ExpenseForm })));

/// The kinds with lines and the finance sections, as in the addresses (screens/sales/model.ts
/// `DOC_KINDS`, screens/sales/Finance.tsx `FINANCE_SECTIONS`; kept here so the shell's bundle
/// does not load the sales screens).
const DOC_KINDS = ["quote", "contract", "order"];
const FINANCE_SECTIONS = ["receivables", "payments", "invoices"];

/// The address shapes are part of the app's surface (bookmarks, tests):
/// #/home, #/customers[?filters], #/customers/<id>, #/new/<kind>[/<customer id>],
/// #/edit/<kind>/<id>, #/visit/<customer id>[/<activity id>], #/activity/<id> (a visit under
/// way, or any activity's page), #/calendar[?view=day|week|month&date=YYYY-MM-DD&whose=all],
/// #/calendar/plan/new, #/calendar/plan/<id> (a visit plan), #/pipeline, #/service[?filters],
/// #/service/<id>, #/pool, #/churn[?state=<tab>&customer=<id>], #/churn/<case id>, #/sync,
/// #/switch-user, #/import[/history], #/signin[?profile=<id>] (signed out),
/// #/admin/<users|devices|teams|dictionary|visit_types|custom_fields|settings|audit|backups|export>,
/// #/sales/<quote|contract|order>[?status=&whose=mine], #/sales/<kind>/new[?customer=<id>[&visit=<activity>]],
/// #/sales/<kind>/<id>, #/sales/<kind>/<id>/edit, #/approvals,
/// #/finance/<receivables|payments|invoices>[?status=], #/products,
/// #/expenses[?month=YYYY-MM], #/expenses/approve, #/expenses/pay, #/expenses/new,
/// #/expenses/<id>, #/expenses/<id>/edit, #/leads[?status=&source=&next=overdue|today|week],
/// #/leads/pool, #/leads/<id>, #/leads/<id>/activity[/<activity id>] (log or change an activity on a lead),
/// #/campaigns[?status=], #/campaigns/<id>, #/knowledge[?category=],
/// #/knowledge/<id>, #/reports, #/reports/<contribution|composition|service|churn|funnel|performance|receivables>,
/// #/reports/targets[?month=YYYY-MM] (supervisors and admins).
export function App() {
  const { status, t } = useCrm();
  const { role, canWrite, isLead, isFinance, claims } = useRole();

  useEffect(() => {
    document.title = t("app.name");
  }, [t]);

  if (!status) return <div className="splash">{t("common.loading")}</div>;
  if (status.mode === "locked") {
    return (
      <Suspense fallback={<div className="splash">{t("common.loading")}</div>}>
        <Unlock />
      </Suspense>
    );
  }
  if (status.mode === "first_run" || status.mode === "signed_out") {
    return (
      <Suspense fallback={<div className="splash">{t("common.loading")}</div>}>
        <SignIn />
      </Suspense>
    );
  }

  return (
    <Routes>
      <Route element={<Shell />}>
        <Route path="home" element={<Home />} />
        <Route path="customers" element={<CustomerList />} />
        <Route path="customers/:id" element={<CustomerDetailRoute />} />
        {canWrite && <Route path="new/:kind/:customerId?" element={<RecordFormRoute />} />}
        {canWrite && <Route path="edit/:kind/:id" element={<RecordFormRoute />} />}
        {canWrite && <Route path="visit/:customerId/:activityId?" element={<VisitFormRoute />} />}
        <Route path="activity/:id" element={<VisitSessionRoute />} />
        {claims && <Route path="calendar" element={<Agenda />} />}
        {claims && <Route path="calendar/plan/new" element={<VisitPlanEditor key="new" />} />}
        {claims && <Route path="calendar/plan/:id" element={<VisitPlanRoute />} />}
        <Route path="pipeline" element={<Pipeline />} />
        <Route path="service" element={<ServiceList />} />
        <Route path="service/:id" element={<ServiceDetailRoute />} />
        <Route path="pool" element={<Pool />} />
        <Route path="churn" element={<ChurnList />} />
        <Route path="churn/:id" element={<ChurnDetailRoute />} />
        <Route path="sync" element={<SyncScreen />} />
        <Route path="switch-user" element={<SwitchUser />} />
        {canWrite && <Route path="import/:section?" element={<ImportScreen />} />}
        {role === "admin" && <Route path="admin/:section" element={<AdminScreen />} />}
        <Route path="sales/:kind" element={<SalesListRoute />} />
        {canWrite && <Route path="sales/:kind/new" element={<DocumentEditorRoute />} />}
        <Route path="sales/:kind/:id" element={<DocumentDetailRoute />} />
        {canWrite && <Route path="sales/:kind/:id/edit" element={<DocumentEditorRoute />} />}
        {isLead && <Route path="approvals" element={<Approvals />} />}
        {(isFinance || isLead) && <Route path="finance/:section?" element={<FinanceRoute />} />}
        <Route path="products" element={<Products />} />
        {claims && <Route path="expenses" element={<Expenses section="month" />} />}
        {claims && isLead && <Route path="expenses/approve" element={<Expenses section="approve" />} />}
        {claims && isFinance && <Route path="expenses/pay" element={<Expenses section="pay" />} />}
        {claims && <Route path="expenses/new" element={<ExpenseForm key="new" />} />}
        <Route path="expenses/:id" element={<ExpenseDetailRoute />} />
        {claims && <Route path="expenses/:id/edit" element={<ExpenseFormRoute />} />}
        {canWrite && <Route path="leads" element={<Leads section="mine" />} />}
        {canWrite && <Route path="leads/pool" element={<Leads section="pool" />} />}
        {canWrite && <Route path="leads/:id" element={<LeadDetailRoute />} />}
        {canWrite && <Route path="leads/:leadId/activity/:activityId?" element={<LeadActivityRoute />} />}
        <Route path="campaigns" element={<Campaigns />} />
        <Route path="campaigns/:id" element={<CampaignRoute />} />
        <Route path="knowledge" element={<Knowledge />} />
        <Route path="knowledge/:id" element={<ArticleRoute />} />
        <Route path="reports" element={<Reports />} />
        {isLead && <Route path="reports/targets" element={<SalesTargets />} />}
        <Route path="reports/:name" element={<ReportRoute />} />
        <Route path="*" element={<Navigate to="/home" replace />} />
      </Route>
    </Routes>
  );
}

function Shell() {
  const { t } = useCrm();
  const phone = useIsPhone();
  return (
    <Layout className="shell">
      <Layout.Header className="topbar">
        <Link className="brand" to="/home">
          {t("app.name")}
        </Link>
        <div className="topbar-right">
          <SyncIndicator compact={phone} />
          <LangSwitch />
        </div>
      </Layout.Header>
      <Layout hasSider={!phone}>
        {!phone && (
          <Layout.Sider width={200} className="sider">
            <SideMenu />
          </Layout.Sider>
        )}
        <Layout.Content className="content">
          <Suspense fallback={<p className="page muted">{t("common.loading")}</p>}>
            <Outlet />
          </Suspense>
        </Layout.Content>
      </Layout>
      {phone && <TabBar />}
      <ReminderNotifier />
    </Layout>
  );
}

// A new key per record, so moving from one form or record to another starts afresh.
function RecordFormRoute() {
  const { kind = "", id, customerId } = useParams();
  const visit = useSearchParams()[0].get("visit") ?? undefined;
  return <RecordForm key={`${kind}/${id}/${customerId}`} kind={kind} id={id} customerId={customerId} visit={visit} />;
}

function CustomerDetailRoute() {
  const { id = "" } = useParams();
  return <CustomerDetail key={id} id={id} />;
}

function ServiceDetailRoute() {
  const { id = "" } = useParams();
  return <ServiceDetail key={id} id={id} />;
}

function ChurnDetailRoute() {
  const { id = "" } = useParams();
  return <ChurnDetail key={id} id={id} />;
}

function VisitFormRoute() {
  const { customerId = "", activityId } = useParams();
  return <VisitForm key={`${customerId}/${activityId}`} about={{ kind: "customer", id: customerId }} activityId={activityId} />;
}

function VisitSessionRoute() {
  const { id = "" } = useParams();
  return <VisitSession key={id} id={id} />;
}

function VisitPlanRoute() {
  const { id = "" } = useParams();
  return <VisitPlanEditor key={id} id={id} />;
}

function SalesListRoute() {
  const { kind = "" } = useParams();
  if (!DOC_KINDS.includes(kind)) return <Navigate to="/sales/quote" replace />;
  return <SalesList key={kind} kind={kind as "quote"} />;
}

function DocumentDetailRoute() {
  const { kind = "", id = "" } = useParams();
  if (!DOC_KINDS.includes(kind)) return <Navigate to="/sales/quote" replace />;
  return <DocumentDetail key={id} kind={kind as "quote"} id={id} />;
}

// A new key per document (and per customer a new one is for), so the form starts afresh.
function DocumentEditorRoute() {
  const { kind = "", id } = useParams();
  const [params] = useSearchParams();
  const customer = params.get("customer") ?? undefined;
  const visit = params.get("visit") ?? undefined;
  if (!DOC_KINDS.includes(kind)) return <Navigate to="/sales/quote" replace />;
  return <DocumentEditor key={`${kind}/${id}/${customer}`} kind={kind as "quote"} id={id} customerId={customer} visit={visit} />;
}

function ExpenseDetailRoute() {
  const { id = "" } = useParams();
  // A section this role does not have is not a record.
  if (["approve", "pay", "new"].includes(id)) return <Navigate to="/expenses" replace />;
  return <ExpenseDetail key={id} id={id} />;
}

// A new key per expense, so moving from one form to another starts afresh.
function ExpenseFormRoute() {
  const { id = "" } = useParams();
  return <ExpenseForm key={id} id={id} />;
}

function LeadDetailRoute() {
  const { id = "" } = useParams();
  return <LeadDetail key={id} id={id} />;
}

function LeadActivityRoute() {
  const { leadId = "", activityId } = useParams();
  return <VisitForm key={`lead/${leadId}/${activityId}`} about={{ kind: "lead", id: leadId }} activityId={activityId} />;
}

function CampaignRoute() {
  const { id = "" } = useParams();
  return <CampaignDetail key={id} id={id} />;
}

function ArticleRoute() {
  const { id = "" } = useParams();
  return <ArticlePage key={id} id={id} />;
}

function ReportRoute() {
  const { name = "" } = useParams();
  if (!(REPORT_NAMES as readonly string[]).includes(name)) return <Navigate to="/reports" replace />;
  return <ReportScreen key={name} name={name as ReportName} />;
}

function FinanceRoute() {
  const { section = "receivables" } = useParams();
  if (!FINANCE_SECTIONS.includes(section)) return <Navigate to="/finance/receivables" replace />;
  return <Finance section={section as "receivables"} />;
}
