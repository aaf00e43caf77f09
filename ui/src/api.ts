// The one data-access module: every screen reaches the Rust core through `Crm` here.
// In the Tauri app requests go through the single `dispatch` command and events arrive as
// Tauri events; in a browser (field-crm-web, end-to-end tests) the same requests go to
// `POST /api/dispatch` and events arrive over server-sent events. No business rule lives
// here: this module moves requests and responses and turns error responses into exceptions.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Fields = Record<string, Json>;

export interface Money {
  minor: number;
  currency: string;
}

export interface Item {
  id: string;
  kind: string;
  fields: Fields;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
  has_conflicts: boolean;
  /// With `names: true` in a list: the titles of the records its reference fields point to.
  names?: Record<string, string>;
}

export interface ConflictValue {
  value: Json;
  user_id: string | null;
  at: string | null;
}

export interface RecordView {
  type: "record";
  id: string;
  kind: string;
  fields: Fields;
  conflicts?: Record<string, ConflictValue[]>;
  extra?: Fields;
  created_at: string;
  created_by: string | null;
  updated_at: string;
  deleted_at: string | null;
  /// The version read: sent back as an update's `base`, so what others changed since stays.
  version: string;
  names: Record<string, string>;
  /// A transition made on this device that the server has not confirmed yet.
  awaiting?: Awaiting;
  /// Edits of this record the server refused, newest first.
  refused?: Refusal[];
}

/// One file listed on a record's attachment list (`photos`, `receipts`, `attachments`): `hash`
/// names the bytes, `thumb` the hash of the app's small JPEG of an image.
export interface Attachment {
  /// Given when the item is written to a record (`attach` without a record answers without one).
  id?: string;
  hash: string;
  name?: string;
  type: string;
  size: number;
  thumb?: string;
  taken_at?: string;
}

/// An attachment as the `attachments` op lists it: on which record and field, its thumbnail
/// (base64) when this device has it, whether the file is here and whether the server has it.
export interface AttachmentEntry {
  record: string;
  kind: string;
  field: string;
  item: Attachment;
  thumb_data?: string | null;
  here: boolean;
  uploaded: boolean;
}

/// A file's bytes (`file`), base64.
export interface FileContent {
  hash: string;
  content_type: string;
  size: number;
  data: string;
}

/// A file to attach (`attach`): the bytes and the app's thumbnail in base64, `type` what the
/// picker said; with `record` and `field` it is added to that list at once.
export interface AttachRequest {
  record?: string;
  field?: string;
  name: string;
  type: string;
  data: string;
  thumb?: string;
  taken_at?: string;
}

/// One entry of a log field (a service request's `handling_log`): who, when, what.
export interface LogEntry {
  by: string;
  at: string;
  text: string;
}

export interface Awaiting {
  transition: string;
  at: string;
}

/// An edit the server refused, as a record shows it. For `transition_conflict`, `params` says
/// who made the transition that stands (`by`, a user id), when (`at`) and what it set
/// (`field`, `value`, `state`).
export interface Refusal {
  /// The refused change: what `dismiss_refused` puts away.
  hash: string;
  code: string;
  /// English, for logs; the UI translates `code` and `params`.
  reason: string;
  params?: Json;
  at: string;
}

export interface Page {
  type: "page";
  items: Item[];
  next: string | null;
  total: number;
}

export interface Candidate {
  id: string;
  kind: string;
  title: string;
  matched: string[];
}

export interface Customer360 {
  type: "customer360";
  customer: RecordView;
  contacts: Item[];
  activities: Item[];
  opportunities: Item[];
  /// Newest first.
  service_requests: Item[];
  /// Newest episode first.
  churn_cases: Item[];
}

/// A customer whose business has gone quiet for longer than its grade allows, or soon will
/// (`churn_warnings`).
export interface ChurnWarning {
  customer: Item;
  last_business_at: string | null;
  /// The day the quiet time counts from (`YYYY-MM-DD`): the episode a case belongs to.
  episode: string;
  days_quiet: number;
  stage: "warning" | "dormant";
  /// The day it counts as dormant (`YYYY-MM-DD`).
  dormant_on: string;
  /// The case of this episode, once someone opened it.
  case: { id: string; status: string; review_date: string | null } | null;
}

/// Something that needs the person's attention (`reminders`), soonest first.
export interface Reminder {
  /// `follow_up`, `lead_follow_up`, `service_due`, `service_unassigned`, `churn_warning`,
  /// `churn_dormant`, `recycle_warning`.
  reason: string;
  /// The record to open, of `kind`.
  id: string;
  kind: string;
  title: string;
  customer_id: string | null;
  customer_name: string | null;
  due: string;
  overdue: boolean;
}

/// A place on the map (the field encoding "place"): degrees, at most 6 decimals, `accuracy`
/// in metres.
export interface Place {
  lat: number | string;
  lng: number | string;
  accuracy?: number | null;
}

/// One thing on a day of the agenda (`agenda`): an activity, a visit plan's stop, a follow-up,
/// a request due, a contract ending, a payment due.
export interface AgendaEntry {
  /// `YYYY-MM-DD`, the company's day.
  date: string;
  /// An activity's moment (RFC 3339).
  at?: string | null;
  what: "activity" | "plan_stop" | "follow_up" | "service_due" | "contract_end" | "payment_due";
  activity_type?: string | null;
  /// The record to open, of `kind` (a plan stop: the plan).
  id: string;
  kind: string;
  title: string;
  customer_id: string | null;
  customer_name: string | null;
  amount?: Money | null;
  /// A plan stop's place in the plan's order.
  stop?: number | null;
  done: boolean;
  overdue: boolean;
}

/// One action of a visit's checklist: photos count `count` of `min`; the others are done or not.
export interface ChecklistAction {
  action: string;
  required: boolean;
  min: number;
  count: number;
  done: boolean;
}

export interface VisitChecklist {
  type: "visit_checklist";
  id: string;
  visit_type: string | null;
  actions: ChecklistAction[];
}

export interface Agenda {
  type: "agenda";
  from: string;
  to: string;
  today: string;
  /// Today's entries not done (the badge).
  due_today: number;
  entries: AgendaEntry[];
}

/// The kinds an admin may give custom fields (`custom_field.of_kind`).
export const CUSTOM_FIELD_KINDS = ["customer", "contact", "activity", "opportunity", "service_request", "lead", "product"] as const;

export type CustomFieldType = "text" | "number" | "date" | "bool" | "choice";

/// A company-specific field of a kind (`custom_fields` op), in the admin's order. A record
/// keeps its values, as strings, in its `custom_fields` map under `key`.
export interface CustomField {
  /// The `custom_field` record's id.
  id: string;
  key: string;
  label_zh: string;
  label_en: string | null;
  type: CustomFieldType;
  /// A choice's options, in order (empty for other types).
  options: string[];
  required: boolean;
  in_list: boolean;
  in_filter: boolean;
  /// The admin's order (0 when none was given); fields of one order go by key.
  sort_order: number;
  /// false: retired (values stay, no new ones).
  active: boolean;
}

/// A customer grade's churn and recycling days, as in force (the admin's or the defaults).
export interface GradeRule {
  /// null: customers without a grade.
  grade: string | null;
  churn_days: number;
  churn_warning_days: number;
  recycle_days: number;
  recycle_warning_days: number;
}

export interface FollowUp {
  activity: Item;
  customer_id: string;
  customer_name: string;
  due: string;
  overdue: boolean;
}

export interface DormantCustomer {
  customer: Item;
  last_activity_at: string | null;
  days_quiet: number | null;
}

export interface PipelineStage {
  stage: string;
  count: number;
  totals: Money[];
  cards: { opportunity: Item; customer_name: string | null }[];
}

export interface SearchHit {
  id: string;
  kind: string;
  title: string;
  subtitle: string | null;
  customer_id: string | null;
}

export interface HistoryEntry {
  hash: string;
  user_id: string | null;
  at: string;
  action: "create" | "update" | "delete" | "restore";
  fields: string[];
}

export interface Identity {
  user_id: string;
  display_name: string;
  role: Role;
  device_id: string;
  code_prefix: string;
  /// The person's team code, once their user record has synced; null for none.
  team?: string | null;
}

export type SyncState = "offline" | "connecting" | "syncing" | "up_to_date" | "error";

export interface SyncStatus {
  state: SyncState;
  /// English, for logs; `detail_code` is what the UI translates.
  detail: string | null;
  detail_code?: string | null;
  pending: number;
  received: number;
  rejected: number;
  last_sync: string | null;
}

/// `locked`: this person's store is encrypted under their password and waits for it (`unlock`).
export type Mode = "first_run" | "local" | "signed_in" | "signed_out" | "locked";

/// One person's store on this device (`app_status.profiles`), for switching users.
export interface Profile {
  id: string;
  server: string | null;
  username: string;
  user_id: string;
  display_name: string;
  role: Role;
  /// Edits written in this profile that have not reached the server yet.
  pending: number;
  signed_in: boolean;
  /// The store is encrypted under the person's password: it opens only with it.
  encrypted: boolean;
}

/// Who a locked store belongs to: all `app_status.identity` holds while `mode` is `locked`
/// (read from a card beside the store, which holds no customer data); null if unknown.
export type LockedIdentity = Pick<Identity, "user_id" | "display_name" | "role"> & { username: string };

export interface AppStatus {
  type: "app_status";
  mode: Mode;
  server: string | null;
  /// While `locked`, only a `LockedIdentity` or null: read it through `lockedIdentity`.
  identity: Identity;
  sync: SyncStatus;
  /// The id of the profile in use.
  profile: string;
  profiles: Profile[];
}

/// Who the locked store of `status` belongs to, if the device knows.
export function lockedIdentity(status: AppStatus): LockedIdentity | null {
  return (status.identity as unknown as LockedIdentity | null) ?? null;
}

/// What `sign_in` answers: the status, and how many records of a local profile became the
/// account's (`left_out`: deleted ones, and reference data the account may not write;
/// `values_cleared`: field values that used dictionary codes left out).
export interface SignedIn extends AppStatus {
  carried_over?: { records: number; left_out: number; values_cleared?: number };
}

export interface RejectedEdit {
  doc_id: string;
  hash: string;
  code: string;
  reason: string;
  params?: Json;
  at: string;
  title: string | null;
  kind: string | null;
  customer_id: string | null;
}

export interface FieldSchema {
  name: string;
  type: string;
  required: boolean;
  default?: Json;
  filterable?: boolean;
  sortable?: boolean;
  searchable?: boolean;
  max_chars?: number;
  max?: number;
  min?: number;
  choices?: string[];
  dictionary?: string;
  /// For references: the kind referred to.
  kind?: string;
}

/// One step of a kind's workflow (`schema`): from which states, to which, by whom, and the
/// fields it asks for (`sets`: chosen, `requires`: must be filled, `fields`: may be written)
/// and fills itself (`stamps`).
export interface TransitionSpec {
  name: string;
  from: string[];
  to: string;
  by: string[];
  sets: string[];
  requires: string[];
  fields: string[];
  stamps: string[];
}

export interface WorkflowSpec {
  state_field: string;
  states: string[];
  initial: string[];
  decided: string[];
  transitions: TransitionSpec[];
}

export interface KindSchema {
  kind: string;
  title_field: string;
  admin_only: boolean;
  fields: FieldSchema[];
  workflow?: WorkflowSpec | null;
}

export type Role = "admin" | "supervisor" | "account_manager" | "viewer" | "finance";

// ---- sales (docs/api.md, *Sales documents*) ---------------------------------------------

/// One line of a quote, contract or order as a request writes it: amounts in minor units, the
/// tax rate in basis points (1300 = 13 %), the quantity a number or a decimal string with at
/// most 3 decimals. A line without `id` is new; the core gives it one.
export interface SalesLine {
  id?: string;
  product?: string | null;
  name?: string;
  unit?: string | null;
  quantity?: number | string;
  list_price?: number | null;
  unit_price?: number;
  tax_rate?: number | null;
}

/// A document's figures by the core's one rule (`totals`), in minor units.
export interface Totals {
  type: "totals";
  lines: { id: string; amount: number; list_amount: number; discount_share: number; tax: number }[];
  subtotal: number;
  discount: number;
  total: number;
  tax: number;
  total_excluding_tax: number;
  list_total: number;
}

/// What a product costs this customer for this quantity today, and the stock (`price`).
export interface PriceQuote {
  type: "price";
  product: string;
  code: string;
  name: string;
  unit: string | null;
  currency: string;
  /// Minor units; null when the product has no price in `currency`.
  list_price: number | null;
  applicable_price: number | null;
  tax_rate: number | null;
  on_sale: boolean;
  /// The stock snapshot over all warehouses; null when there is no stock row for it.
  stock: number | null;
}

/// A customer's money in one currency, in minor units.
export interface Balance {
  currency: string;
  billed: number;
  collected: number;
  outstanding: number;
  unconfirmed: number;
}

/// What a customer bought of one product (or one free-text line name).
export interface Bought {
  product: string | null;
  name: string;
  unit: string | null;
  quantity: number;
  times: number;
  last_unit_price: number;
  last_date: string | null;
  currency: string;
}

export interface PurchaseHistory {
  type: "purchase_history";
  customer: string;
  /// Orders and contracts, newest first.
  documents: SalesItem[];
  quotes: SalesItem[];
  payments: SalesItem[];
  invoices: SalesItem[];
  products: Bought[];
  balances: Balance[];
}

/// A list item that may await the server's confirmation of a step taken here.
export interface SalesItem extends Item {
  awaiting?: Awaiting;
}

/// A customer who owes money (`receivables`), most first.
export interface Receivable extends Balance {
  customer: string;
  name: string;
  /// What the payment plans had due before today less what was collected.
  overdue: number;
  /// The first period not covered (`YYYY-MM-DD`), null when nothing is overdue.
  oldest_due: string | null;
}

/// A person's month of expense claims (`expense_claim`): per category and per state how many
/// and how much, per currency what is claimed (rejected left out), approved (paid too) and paid,
/// and the month's expenses, newest first (minor units throughout).
export interface ExpenseClaim {
  type: "expense_claim";
  user: string;
  /// `YYYY-MM`.
  month: string;
  categories: ClaimTotal[];
  statuses: ClaimTotal[];
  totals: ClaimSum[];
  items: SalesItem[];
}

/// How many and how much of one category (or state) in one currency.
export interface ClaimTotal {
  key: string;
  currency: string;
  count: number;
  amount: number;
}

export interface ClaimSum {
  currency: string;
  claimed: number;
  approved: number;
  paid: number;
}

/// One reason a document needs approval (`approval_required`) or an order can no longer be
/// confirmed (`order_changed`): a code, the line it is about (an item id) and the figures.
export interface Need {
  code: string;
  line?: string | null;
  detail?: Record<string, Json> | null;
}

/// What `load_price_lists` did: the lists made and replaced (by name), the rules loaded, and the
/// rows left out (by line, with each field's reason).
export interface PriceListsLoaded {
  type: "price_lists_loaded";
  created: string[];
  updated: string[];
  rules: number;
  rejected: { line: number; errors: ImportFieldError[] }[];
}

/// What the person working here may do with one record (`permissions` op).
export interface Permissions {
  type: "permissions";
  id: string;
  kind: string;
  role: Role;
  actions: string[];
  editable_fields: string[];
  /// The record's workflow state (absent or null for kinds without a workflow).
  state?: string | null;
  /// The transitions this person may take from that state now.
  transitions?: TransitionOffer[];
}

/// A transition `permissions` offers: its name, the state it leads to and the fields it asks for.
export interface TransitionOffer {
  name: string;
  to: string;
  sets: string[];
  requires: string[];
  fields: string[];
}

/// One side of a lead's conversion: an existing record linked (with what matched, for a
/// customer), or the fields of one to be created.
export type PlanSide = { link: string; name: string; matched?: string[] } | { create: Fields };

/// What converting a lead would do now (`conversion_plan`; nothing is written).
/// One member of a campaign's frozen target list (`title` null when not on this device).
export interface CampaignMember {
  id: string;
  title: string | null;
}

/// What a campaign brought (`campaign_effect`): counts, money in minor units, rates in basis points.
export interface CampaignEffect {
  campaign: string;
  members: number;
  leads: number;
  converted: number;
  conversion_bp: number | null;
  opportunities: number;
  won: number;
  won_amount: Money[];
  cost: Money | null;
  cost_per_lead: number | null;
  return_bp: number | null;
}

/// The emails queued for a campaign's target list, and the members skipped with why.
export interface CampaignMailing {
  queued: number;
  skipped: { id: string; title: string | null; why: string }[];
}

export interface ConversionPlan {
  type: "conversion_plan";
  lead: string;
  customer: PlanSide;
  contact: PlanSide;
  /// Every customer that looks like the lead.
  candidates: Candidate[];
  /// How many follow-ups and notes go to the customer's timeline.
  activities: number;
}

/// The person's choice in the conversion dialog (`convert_lead`).
export interface ConversionChoice {
  customer: string | null;
  new_customer: boolean;
  opportunity: Fields | null;
}

/// What a conversion linked or made.
export interface Conversion {
  type: "converted";
  lead: string;
  customer: string;
  customer_created: boolean;
  contact: string;
  contact_created: boolean;
  opportunity: string | null;
  activities: string[];
}

// ---- reports (docs/api.md, *Reports*) ---------------------------------------------------

export const REPORT_NAMES = ["contribution", "composition", "service", "churn", "funnel", "performance", "receivables"] as const;
export type ReportName = (typeof REPORT_NAMES)[number];
export type Grain = "day" | "week" | "month" | "quarter" | "year";
export type ReportScope = "mine" | "team" | "all";

/// What a report is asked for; every part optional (the core fills in its defaults).
export interface ReportParams {
  name: ReportName;
  from?: string;
  to?: string;
  group_by?: Grain;
  scope?: ReportScope;
  owner?: string;
  currency?: string;
  options?: Record<string, Json>;
}

/// What a cell holds: `money` integer minor units of the report's currency, `percent` basis
/// points, `seconds` a duration, `hundredths` 425 = 4.25.
export type CellType = "text" | "code" | "user" | "period" | "date" | "count" | "money" | "percent" | "seconds" | "hundredths";

export interface ReportColumn {
  key: string;
  type: CellType;
  /// `dict:NAME` or `enum:KIND.FIELD`: what the cells (or, for a column that is not a `code`, its
  /// key) are codes of.
  codes?: string;
}

/// The records behind a row: at most 200 `ids` of `total`.
export interface Drill {
  kind: string;
  ids: string[];
  total: number;
}

export interface ReportRow {
  cells: Record<string, Json>;
  drill: Drill | null;
}

export interface ReportChart {
  type: "bar" | "stacked_bar" | "line" | "pie" | "funnel";
  x: string;
  series: string[];
}

export interface ReportTable {
  key: string;
  columns: ReportColumn[];
  rows: ReportRow[];
  totals: Record<string, Json> | null;
  chart: ReportChart | null;
}

export interface Report {
  name: ReportName;
  /// Everything it was computed with, defaults filled in (`from`, `to`, `group_by`, `scope`,
  /// `owner`, `currency`, `timezone`, the report's options, `as_of` for receivables).
  filters: Record<string, Json>;
  tables: ReportTable[];
  /// Records left out because their money is in another currency.
  other_currency: number;
}

/// Whose records a view covers: the current user's, everyone's this device holds, or one owner's.
export type Owners = "mine" | "all" | { owner: string };

function ownerParams(owners: Owners): { owner?: string; all_owners?: boolean } {
  if (owners === "all") return { all_owners: true };
  return owners === "mine" ? {} : { owner: owners.owner };
}

export type AppEvent =
  | { event: "records_changed"; remote: boolean }
  | { event: "sync_status"; status: SyncStatus }
  /// How a running `import_run` goes: rows done of the file's rows, after each transaction.
  | { event: "import_progress"; done: number; total: number };

/// What a row of a spreadsheet would become (`import_preview`), or why not.
export type ImportAction = "create" | "update" | "skip" | "reject";

/// What to do with a row that matches an existing record by the chosen keys.
export type ImportPolicy = "skip" | "update" | "create";

/// A field the core refused in one row; `field` is the target (`contacts.1.phones` too, `*`
/// for a row the access rules refuse), `params.header` the column when the core names it.
export interface ImportFieldError {
  field: string;
  reason: string;
  params?: Json;
}

export interface ImportPlanRow {
  /// The row's line in the spreadsheet (the header is line 1).
  line: number;
  action: ImportAction;
  /// The record it would update, or the existing one it is skipped for.
  id?: string | null;
  why?: "exists" | "duplicate_in_file";
  same_as_line?: number;
  title: string | null;
  errors?: ImportFieldError[];
}

export interface ImportCounts {
  create: number;
  update: number;
  skip: number;
  reject: number;
  /// Contacts written with the customer rows.
  contacts: number;
}

/// What an import would do (`import_preview`): nothing is written.
export interface ImportPreview {
  type: "import_preview";
  kind: string;
  format: "xlsx" | "xls" | "csv-utf8" | "csv-gbk";
  rows: number;
  /// Each column of the file: its header, first values and target (null: left out).
  columns: { header: string; target: string | null; samples: string[] }[];
  /// What a column may be mapped to.
  targets: string[];
  /// Fields that may find an existing record.
  keys: string[];
  counts: ImportCounts;
  /// The first 2,000 rows; `counts` cover all.
  plan: ImportPlanRow[];
}

/// One import run on this device (`imports`).
export interface ImportBatch {
  id: string;
  kind: string;
  file_name: string;
  format: string;
  at: string;
  /// The user id of who ran it.
  by: string;
  created: number;
  updated: number;
  skipped: number;
  rejected: number;
  finished_at: string | null;
  reverted_at: string | null;
}

/// A spreadsheet to import and how: the file as base64, each column's target (omitted: the
/// core guesses from the headers), the keys that find existing records and what to do then.
export interface ImportRequest {
  kind: string;
  name: string;
  data: string;
  columns?: (string | null)[];
  keys?: string[];
  policy?: ImportPolicy;
}

/// The methods the server's administration API takes.
export type ServerMethod = "GET" | "POST" | "PUT" | "PATCH";

/// A file the server sent (an export, a backup), its bytes as base64.
export interface ServerFile {
  name: string;
  content_type: string;
  data: string;
}

/// What the server answered an administration or export request (`server` op): its status
/// and JSON body (null for a file, or when it sent none), or the file it sent.
export interface ServerResponse<B = Json> {
  type: "server_response";
  status: number;
  body: B;
  file: ServerFile | null;
}

/// An account on the server (`GET /api/admin/users`).
export interface Account {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  team: string | null;
  disabled: boolean;
}

/// A new account (`POST /api/admin/users`); the password has 8 characters or more.
export interface NewAccount {
  username: string;
  display_name?: string;
  role: Role;
  team?: string;
  password: string;
}

/// What changes in an account (`PATCH /api/admin/users/{username}`): only the fields given;
/// `team: null` takes the person out of their team.
export interface AccountChange {
  role?: Role;
  team?: string | null;
  disabled?: boolean;
}

/// A device someone signed in on (`GET /api/admin/devices`).
export interface Device {
  id: string;
  username: string;
  name: string;
  code_prefix: string;
  created_at: string;
  last_seen: string | null;
  revoked: boolean;
}

/// One entry of the server's audit log. `actor` is a user id, `cli` (the server's command
/// line) or `system`; `target` the user, device or record acted on.
export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  actor_name: string | null;
  action: string;
  target: string | null;
  detail: Json;
  address: string | null;
}

/// A search of the audit log; `before` is the `next` of the previous page.
export interface AuditQuery {
  action?: string;
  actor?: string;
  q?: string;
  before?: number | null;
  limit?: number;
}

export interface AuditPage {
  entries: AuditEntry[];
  next: number | null;
}

/// A backup of the server's database, in `backups/` beside it.
export interface Backup {
  name: string;
  bytes: number;
  at: string | null;
}

export type ExportFormat = "xlsx" | "csv";

/// What an export on the device covers: a list under its filters, or the records shown.
export type ExportSource = { query: ListQuery } | { ids: string[] };

/// An error response from the core: `code` and `params` are what the UI translates.
export class CrmError extends Error {
  constructor(
    public code: string,
    message: string,
    public params: Json = null,
  ) {
    super(message);
    this.name = "CrmError";
  }

  /// Validation errors per field (`{field: {reason, params}}`), empty for other errors.
  fieldErrors(): Record<string, { reason: string; params: Json }> {
    const out: Record<string, { reason: string; params: Json }> = {};
    const errors = (this.params as { errors?: { field: string; reason: string; params?: Json }[] } | null)?.errors;
    for (const e of errors ?? []) out[e.field] = { reason: e.reason, params: e.params ?? null };
    return out;
  }
}

/// A refusal from the server's administration API (a status other than 2xx): its `code`
/// (`invalid`, `forbidden`, `not_found` …, or `server_status` when it sent none) with the
/// status and the server's English `message` in `params`.
export class ServerRefusal extends CrmError {
  constructor(
    public status: number,
    code: string,
    message: string,
  ) {
    super(code, message, { status, message });
    this.name = "ServerRefusal";
  }

  static of(response: ServerResponse<unknown>): ServerRefusal {
    const body = (response.body && typeof response.body === "object" ? response.body : {}) as { code?: unknown; message?: unknown };
    const code = typeof body.code === "string" && body.code !== "" ? body.code : "server_status";
    const message = typeof body.message === "string" ? body.message : "";
    return new ServerRefusal(response.status, code, message);
  }
}

export interface Transport {
  call(request: object): Promise<Json>;
  listen(handler: (event: AppEvent) => void): () => void;
}

/// Requests to the app inside Tauri: one command, one event channel.
export function tauriTransport(): Transport {
  return {
    async call(request) {
      const { invoke } = await import("@tauri-apps/api/core");
      return invoke<Json>("dispatch", { request });
    },
    listen(handler) {
      let stop: (() => void) | null = null;
      let cancelled = false;
      import("@tauri-apps/api/event").then(({ listen }) =>
        listen<AppEvent>("crm-event", (e) => handler(e.payload)).then((unlisten) => {
          if (cancelled) unlisten();
          else stop = unlisten;
        }),
      );
      return () => {
        cancelled = true;
        stop?.();
      };
    },
  };
}

/// Requests to `field-crm-web` (the same core served on localhost).
export function httpTransport(base = ""): Transport {
  return {
    async call(request) {
      const response = await fetch(`${base}/api/dispatch`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(request),
      });
      // The shell takes requests up to a size (an import carries its whole file).
      if (response.status === 413) throw new CrmError("request_too_large", `413 ${await response.text()}`);
      if (!response.ok && response.headers.get("content-type")?.includes("json") !== true) {
        throw new CrmError("transport", `${response.status} ${await response.text()}`);
      }
      return (await response.json()) as Json;
    },
    listen(handler) {
      const source = new EventSource(`${base}/api/events`);
      source.onmessage = (e) => {
        try {
          handler(JSON.parse(e.data) as AppEvent);
        } catch {
          // A malformed event is ignored; the next one refreshes the view anyway.
        }
      };
      return () => source.close();
    },
  };
}

export function defaultTransport(): Transport {
  const w = globalThis as { __TAURI_INTERNALS__?: unknown };
  return w.__TAURI_INTERNALS__ ? tauriTransport() : httpTransport();
}

export interface ListQuery {
  /// Field → value, list of values, null, or for dates, times and numbers a range
  /// `{from, to}` (from inclusive, to exclusive).
  filter?: Record<string, Json>;
  tag?: string;
  /// Entry date range: `YYYY-MM-DD`, from inclusive, to exclusive.
  created_from?: string;
  created_to?: string;
  sort?: string;
  desc?: boolean;
  limit?: number;
  after?: string | null;
  deleted?: "exclude" | "include" | "only";
  /// Each item also gets `names`: the titles of what it refers to.
  names?: boolean;
}

export class Crm {
  private schemaCache: Promise<KindSchema[]> | null = null;
  private dictCache: Promise<Item[]> | null = null;
  /// Every view's event handler shares one transport subscription (one event stream).
  private handlers = new Set<(event: AppEvent) => void>();
  private unlisten: (() => void) | null = null;

  constructor(private transport: Transport) {}

  /// Send one request; an error response becomes a `CrmError`.
  async call<T>(request: { op: string } & Record<string, unknown>): Promise<T> {
    const response = (await this.transport.call(request)) as { type?: string } & Record<string, Json>;
    if (!response || typeof response !== "object") throw new CrmError("transport", "no response");
    if (response.type === "error") {
      throw new CrmError(String(response.code), String(response.message ?? response.code), response.params ?? null);
    }
    return response as unknown as T;
  }

  /// Hear the app's events until the returned function is called.
  listen(handler: (event: AppEvent) => void): () => void {
    this.handlers.add(handler);
    this.unlisten ??= this.transport.listen((event) => {
      if (event.event === "records_changed" && event.remote) this.dictCache = null;
      for (const h of [...this.handlers]) h(event);
    });
    return () => {
      this.handlers.delete(handler);
      if (this.handlers.size === 0) {
        this.unlisten?.();
        this.unlisten = null;
      }
    };
  }

  status() {
    return this.call<AppStatus>({ op: "app_status" });
  }
  /// `ca`: the company's own CA certificate (PEM text), trusted besides the system's roots.
  signIn(server: string, username: string, password: string, ca?: string) {
    return this.call<SignedIn>({ op: "sign_in", server, username, password, ...(ca ? { ca } : {}) });
  }
  /// Opens a locked store with the password last signed in with on this device.
  unlock(password: string) {
    return this.call<AppStatus>({ op: "unlock", password });
  }
  useLocally() {
    return this.call<AppStatus>({ op: "use_locally" });
  }
  signOut(force = false) {
    return this.call<AppStatus>({ op: "sign_out", force });
  }
  /// The records with changes not yet acknowledged by the server (the oldest `limit` changes'
  /// records; a sync hook, read only).
  async outbox(limit: number) {
    const r = await this.call<{ entries: { doc_id: string }[] }>({ op: "outbox", limit });
    return [...new Set(r.entries.map((e) => e.doc_id))];
  }
  async rejected() {
    return (await this.call<{ items: RejectedEdit[] }>({ op: "rejected" })).items;
  }

  list(kind: string, query: ListQuery = {}) {
    return this.call<Page>({ op: "list", kind, ...query });
  }
  get(id: string) {
    return this.call<RecordView>({ op: "get", id });
  }
  /// Create a record. Resolves to the record, or to the duplicate candidates when the core
  /// found likely duplicates (nothing was created; call again with `allowDuplicate`).
  async create(kind: string, fields: Fields, allowDuplicate = false) {
    return this.call<RecordView | { type: "duplicates"; candidates: Candidate[] }>({
      op: "create",
      kind,
      fields,
      allow_duplicate: allowDuplicate,
    });
  }
  /// Change the named fields. With `base` (the `version` the form read) the change from that
  /// version is written, so lines and fields others changed meanwhile are kept.
  update(id: string, fields: Fields, base?: string) {
    return this.call<RecordView>(base ? { op: "update", id, fields, base } : { op: "update", id, fields });
  }
  remove(id: string) {
    return this.call<RecordView>({ op: "delete", id });
  }
  restore(id: string) {
    return this.call<RecordView>({ op: "restore", id });
  }
  resolveConflict(id: string, field: string, value: Json) {
    return this.call<RecordView>({ op: "resolve_conflict", id, field, value });
  }
  history(id: string) {
    return this.call<{ entries: HistoryEntry[]; names: Record<string, string> }>({ op: "history", id });
  }
  customer360(id: string) {
    return this.call<Customer360>({ op: "customer360", id });
  }
  permissions(id: string) {
    return this.call<Permissions>({ op: "permissions", id });
  }
  async followUps(by?: string, owners: Owners = "mine") {
    return (await this.call<{ items: FollowUp[] }>({ op: "follow_ups", by, ...ownerParams(owners) })).items;
  }
  async dormant(days: number, owners: Owners = "mine", limit = 20) {
    return (await this.call<{ items: DormantCustomer[] }>({ op: "dormant", days, limit, ...ownerParams(owners) }))
      .items;
  }
  async pipeline(owners: Owners = "mine") {
    return (await this.call<{ stages: PipelineStage[] }>({ op: "pipeline", ...ownerParams(owners) })).stages;
  }
  async search(query: string, limit = 20, kinds?: string[]) {
    return (await this.call<{ hits: SearchHit[] }>({ op: "search", query, limit, ...(kinds ? { kinds } : {}) })).hits;
  }
  /// What a quote would need approval for if it were sent as it stands (empty: nothing).
  async approvalNeeds(id: string) {
    return (await this.call<{ needs: Need[] }>({ op: "approval_needs", id })).needs;
  }
  /// Price lists from a spreadsheet (admins): lists made, lists replaced, rules, rows left out.
  loadPriceLists(name: string, data: string) {
    return this.call<PriceListsLoaded>({ op: "load_price_lists", name, data });
  }
  /// A document's figures before it is saved, by the same rule the core uses for saved ones.
  totals(lines: SalesLine[], discount: number) {
    return this.call<Totals>({ op: "totals", lines, discount });
  }
  /// A product's list price, the price lists' price for this customer and quantity, its tax
  /// rate and the stock snapshot, from what this device holds (offline too).
  price(product: string, customer?: string, quantity?: number | string, currency?: string) {
    return this.call<PriceQuote>({
      op: "price",
      product,
      ...(customer ? { customer } : {}),
      ...(quantity !== undefined && quantity !== "" ? { quantity } : {}),
      ...(currency ? { currency } : {}),
    });
  }
  purchaseHistory(customer: string) {
    return this.call<PurchaseHistory>({ op: "purchase_history", customer });
  }
  async receivables() {
    return (await this.call<{ customers: Receivable[] }>({ op: "receivables" })).customers;
  }
  /// `user`'s (by default the person working here) expense claims dated in `month` (`YYYY-MM`),
  /// from what this device holds.
  expenseClaim(month: string, user?: string) {
    return this.call<ExpenseClaim>({ op: "expense_claim", month, ...(user ? { user } : {}) });
  }
  /// A quote, contract or order as an A4 PDF (base64), made on the device.
  documentPdf(id: string) {
    return this.call<{ name: string; content_type: string; data: string }>({ op: "document_pdf", id });
  }
  /// A contract (to sign) made from an accepted quote.
  contractFromQuote(quote: string) {
    return this.call<RecordView>({ op: "contract_from_quote", quote });
  }
  /// Take a workflow transition (`claim`, `assign`, `handle` …), writing the fields it asks for.
  /// Applied at once and `awaiting` the server's confirmation.
  transition(id: string, name: string, fields: Fields = {}) {
    return this.call<RecordView>({ op: "transition", id, name, fields });
  }
  conversionPlan(id: string) {
    return this.call<ConversionPlan>({ op: "conversion_plan", id });
  }
  convertLead(id: string, choice: ConversionChoice) {
    return this.call<Conversion>({ op: "convert_lead", id, ...choice });
  }
  /// Start a campaign: what its filter finds now is frozen into its target list.
  startCampaign(id: string) {
    return this.call<RecordView>({ op: "start_campaign", id });
  }
  async campaignMembers(id: string) {
    return (await this.call<{ members: CampaignMember[] }>({ op: "campaign_members", id })).members;
  }
  campaignEffect(id: string) {
    return this.call<CampaignEffect>({ op: "campaign_effect", id });
  }
  /// Queue one email per target-list member with an address who has not unsubscribed
  /// (`{name}` in the body is each member's name).
  campaignEmail(id: string, subject: string, body: string) {
    return this.call<CampaignMailing>({ op: "campaign_email", id, subject, body });
  }
  /// Add an entry to a log field (a service request's `handling_log`).
  append(id: string, field: string, text: string) {
    return this.call<RecordView>({ op: "append", id, field, text });
  }
  /// Keep a file on the device and, with `record` and `field`, list it there at once.
  async attach(request: AttachRequest) {
    return (await this.call<{ item: Attachment }>({ op: "attach", ...request })).item;
  }
  /// The attachments of a record, or of a customer and every record of theirs here, newest first.
  async attachments(id: string) {
    return (await this.call<{ items: AttachmentEntry[] }>({ op: "attachments", id })).items;
  }
  /// A file's bytes, fetched from the server first when not on this device (`record` references it).
  file(hash: string, record: string) {
    return this.call<FileContent>({ op: "file", hash, record });
  }
  /// Put refusals away once seen (by their `hash`): they leave the record and the sync list.
  dismissRefused(hashes: string[]) {
    return this.call<{ removed: number }>({ op: "dismiss_refused", hashes });
  }
  async churnWarnings(owners: Owners = "mine", limit = 200) {
    return (await this.call<{ items: ChurnWarning[] }>({ op: "churn_warnings", limit, ...ownerParams(owners) })).items;
  }
  /// The churn case of the customer's current episode: the same record on every device.
  openChurnCase(customer: string) {
    return this.call<RecordView>({ op: "open_churn_case", customer });
  }
  async reminders(owners: Owners = "mine") {
    return (await this.call<{ items: Reminder[] }>({ op: "reminders", ...ownerParams(owners) })).items;
  }
  /// A visit starting now at `customer`, where the device is (`place`) when it knows.
  /// With `visitType`, the visit asks for that type's actions (see `visitChecklist`).
  checkIn(customer: string, place?: Place | null, contact?: string, visitType?: string | null) {
    return this.call<RecordView>({
      op: "check_in",
      customer,
      ...(place ? { place } : {}),
      ...(contact ? { contact } : {}),
      ...(visitType ? { visit_type: visitType } : {}),
    });
  }
  /// A visit's type's actions, in order, with what is done.
  visitChecklist(id: string) {
    return this.call<VisitChecklist>({ op: "visit_checklist", id });
  }
  /// The visit ends now; its duration is counted from the check-in.
  checkOut(id: string, place?: Place | null) {
    return this.call<RecordView>({ op: "check_out", id, ...(place ? { place } : {}) });
  }
  /// What is on each day from `from` to `to` (`YYYY-MM-DD`, both included, at most 62 days).
  agenda(from: string, to: string, allOwners = false) {
    return this.call<Agenda>({ op: "agenda", from, to, ...(allOwners ? { all_owners: true } : {}) });
  }
  async gradeRules() {
    return (await this.call<{ rules: GradeRule[] }>({ op: "grade_rules" })).rules;
  }
  /// A company setting's value (`service.reopen_below`, `pool.max_owned`), null when unset.
  async setting(key: string): Promise<number | null> {
    const page = await this.list("setting", { filter: { key }, limit: 1 });
    const value = page.items[0]?.fields.value;
    return typeof value === "number" ? value : null;
  }
  /// A company setting that holds words (`company.currency` …), null when unset.
  async settingText(key: string): Promise<string | null> {
    const page = await this.list("setting", { filter: { key }, limit: 1 });
    const text = page.items[0]?.fields.text;
    return typeof text === "string" && text !== "" ? text : null;
  }
  /// Set a company setting (null: back to its default). There is one record per key, its id
  /// derived from the key: `create` writes into it when it exists.
  setSetting(key: string, value: number | null) {
    return this.call<RecordView>({ op: "create", kind: "setting", fields: { key, value } });
  }
  /// Set a company setting that holds words (`company.name`, `company.timezone` …); null or
  /// "": back to its default. Written into the key's one record, as `setSetting`.
  setSettingText(key: string, text: string | null) {
    return this.call<RecordView>({ op: "create", kind: "setting", fields: { key, text } });
  }
  /// A kind's custom fields in the admin's order, retired ones included.
  async customFields(kind: string) {
    return (await this.call<{ fields: CustomField[] }>({ op: "custom_fields", kind })).fields;
  }
  /// Set a grade's rules (a null day count: back to the default). One record per grade, as
  /// for settings.
  setGradeRule(grade: string, days: Record<string, number | null>) {
    return this.call<RecordView>({ op: "create", kind: "grade_rule", fields: { grade, ...days } });
  }
  /// What importing a spreadsheet would do; nothing is written.
  importPreview(request: ImportRequest) {
    return this.call<ImportPreview>({ op: "import_preview", ...request });
  }
  /// Import as one batch (`import_progress` events tell how it goes).
  async importRun(request: ImportRequest) {
    return (await this.call<{ batch: ImportBatch }>({ op: "import_run", ...request })).batch;
  }
  /// This device's imports, newest first.
  async imports() {
    return (await this.call<{ items: ImportBatch[] }>({ op: "imports" })).items;
  }
  /// Undo an import as ordinary synced edits; fields changed since are `kept`.
  importRevert(batch: string) {
    return this.call<{ deleted: number; restored: number; kept: number }>({ op: "import_revert", batch });
  }
  /// The rows an import refused, with a reason column, as a spreadsheet file (base64); the
  /// reasons said in `reasons` (code → words; a code without words is written as the code).
  importRejected(batch: string, format: "xlsx" | "csv", reasons: Record<string, string> = {}) {
    return this.call<{ name: string; data: string }>({ op: "import_rejected", batch, format, reasons });
  }
  /// An administration or export request to the server this device is signed in to, with
  /// its token (docs/api.md, *Administration*). The server's refusals are answers (a status
  /// and `{code, message}`); `not_signed_in` and `server_unreachable` are thrown.
  server<B = Json>(method: ServerMethod, path: string, body?: Json) {
    return this.call<ServerResponse<B>>({ op: "server", method, path, ...(body === undefined ? {} : { body }) });
  }
  /// `server`, with any status but 2xx thrown as a `ServerRefusal`.
  private async admin<B = Json>(method: ServerMethod, path: string, body?: Json) {
    const response = await this.server<B>(method, path, body);
    if (response.status < 200 || response.status > 299) throw ServerRefusal.of(response);
    return response;
  }
  /// The file a 2xx answer carries.
  private async adminFile(path: string): Promise<ServerFile> {
    const response = await this.admin("GET", path);
    if (!response.file) throw new ServerRefusal(response.status, "server_status", "the server sent no file");
    return response.file;
  }
  /// The server's accounts (not the user records this device holds).
  async accounts() {
    return (await this.admin<{ users: Account[] }>("GET", "/api/admin/users")).body.users;
  }
  async addAccount(account: NewAccount) {
    return (await this.admin<{ id: string }>("POST", "/api/admin/users", { ...account })).body.id;
  }
  async changeAccount(username: string, change: AccountChange) {
    return (await this.admin<{ user: Account }>("PATCH", `/api/admin/users/${encodeURIComponent(username)}`, { ...change })).body.user;
  }
  async resetPassword(username: string, password: string) {
    await this.admin("PUT", `/api/admin/users/${encodeURIComponent(username)}/password`, { password });
  }
  async devices() {
    return (await this.admin<{ devices: Device[] }>("GET", "/api/admin/devices")).body.devices;
  }
  /// The device's connection ends within a second; it deletes its local data at its next contact.
  async revokeDevice(id: string) {
    await this.admin("POST", `/api/admin/devices/${encodeURIComponent(id)}/revoke`);
  }
  /// The audit log, newest first (empty parts of the query are left out).
  async audit(query: AuditQuery = {}) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
    }
    const search = params.toString();
    return (await this.admin<AuditPage>("GET", `/api/admin/audit${search ? `?${search}` : ""}`)).body;
  }
  async backups() {
    return (await this.admin<{ backups: Backup[] }>("GET", "/api/admin/backups")).body.backups;
  }
  async makeBackup() {
    return (await this.admin<{ name: string; bytes: number }>("POST", "/api/admin/backups")).body;
  }
  backupFile(name: string) {
    return this.adminFile(`/api/admin/backups/${encodeURIComponent(name)}`);
  }
  /// Replace everything the server holds with a backup (`confirm` is the backup's name again).
  /// The state just before is kept as the backup `kept`; every device reconnects.
  async restoreBackup(name: string, confirm: string) {
    const path = `/api/admin/backups/${encodeURIComponent(name)}/restore`;
    return (await this.admin<{ restored: string; kept: string; epoch: string }>("POST", path, { confirm })).body;
  }
  /// Every live record of a kind as a spreadsheet, in the columns import reads back (logged).
  exportFile(kind: string, format: ExportFormat) {
    return this.adminFile(`/api/export?${new URLSearchParams({ kind, format })}`);
  }
  /// An admin's export made on this device: a list under its filters (every page), or exactly
  /// the given records (search results). The server's audit log hears of it at the next sync.
  exportRecords(kind: string, format: ExportFormat, source: ExportSource) {
    // The core reads every page itself: no page size or position.
    const what = "ids" in source ? { ids: source.ids } : { ...source.query, limit: undefined, after: undefined, names: undefined };
    return this.call<{ name: string; data: string }>({ op: "export", kind, format, ...what });
  }
  /// A report computed on this device (offline too), for the person working here.
  report(params: ReportParams) {
    return this.call<Report>({ op: "report", ...params });
  }
  /// The same report as an `.xlsx`, its words from `labels` (`table.KEY`, `column.KEY`,
  /// `filter.KEY`, `report.NAME`, `CODES:VALUE`).
  reportExport(params: ReportParams, labels: Record<string, string>) {
    return this.call<{ name: string; data: string }>({ op: "report_export", ...params, labels });
  }
  async checkDuplicates(kind: string, fields: Fields) {
    return (await this.call<{ candidates: Candidate[] }>({ op: "check_duplicates", kind, fields })).candidates;
  }
  /// Every dictionary entry (cached until the server changes records).
  dictionaries(): Promise<Item[]> {
    this.dictCache ??= this.call<{ entries: Item[] }>({ op: "dictionary" }).then((r) => r.entries);
    this.dictCache.catch(() => (this.dictCache = null));
    return this.dictCache;
  }
  schema(): Promise<KindSchema[]> {
    this.schemaCache ??= this.call<{ kinds: KindSchema[] }>({ op: "schema" }).then((r) => r.kinds);
    this.schemaCache.catch(() => (this.schemaCache = null));
    return this.schemaCache;
  }
}
