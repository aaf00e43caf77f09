//! The one typed way in: a [`Request`] goes to [`Store::handle`], a [`Response`] comes back.
//! The Tauri app, the `crm` CLI and the tests all use it; `docs/api.md` documents the JSON.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map as JsonMap, Value as Json};
use uuid::Uuid;

use crate::document::HistoryEntry;
use crate::error::{Error, Result};
use crate::kind::Kind;
use crate::query::{Customer360, Dormant, DuplicateCandidate, FollowUp, Item, ListQuery, Page, RecordView, SearchHit};
use crate::store::{ApplyReport, Identity, IncomingChange, OutboxEntry, Store};
use crate::value;

pub(crate) fn base64_bytes<S: Serializer>(bytes: &[u8], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&STANDARD.encode(bytes))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRecord {
    pub kind: String,
    pub fields: JsonMap<String, Json>,
}

/// A change in JSON form: the record id and the Automerge change bytes, base64.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WireChange {
    pub doc_id: String,
    pub bytes: String,
}

/// A spreadsheet to import and how (see [`crate::import::Options`]).
#[derive(Debug, Clone, Deserialize)]
pub struct ImportFile {
    /// The file's name (its extension is not trusted: the bytes say what it is).
    pub name: String,
    /// The file, base64.
    pub data: String,
    pub kind: String,
    pub columns: Option<Vec<Option<String>>>,
    #[serde(default)]
    pub keys: Vec<String>,
    #[serde(default)]
    pub policy: crate::import::Policy,
}

/// A file the server sent (an export, a backup).
#[derive(Debug, Clone, Serialize)]
pub struct ServerFile {
    pub name: String,
    pub content_type: String,
    /// Base64.
    pub data: String,
}

impl Store {
    /// Forward an administration or export request to the server this device syncs with.
    fn server_request(&self, method: &str, path: &str, body: Option<&Json>) -> Result<Response> {
        server_call(self.sync_endpoint()?, self.meta("sync_ca")?.as_deref(), method, path, body)
    }
}

/// [`Request::Server`] with the server and token given (the app makes the call without
/// holding the store, so a slow server never stalls other requests).
/// `xlsx` (the default) or `csv`.
fn sheet_format(format: Option<&str>) -> Result<crate::sheet::Format> {
    match format.unwrap_or("xlsx") {
        "xlsx" => Ok(crate::sheet::Format::Xlsx),
        "csv" => Ok(crate::sheet::Format::Csv),
        other => Err(Error::field("format", "invalid_choice").with_value(other, &["xlsx", "csv"])),
    }
}

pub fn server_call(
    endpoint: Option<(String, String)>,
    ca: Option<&str>,
    method: &str,
    path: &str,
    body: Option<&Json>,
) -> Result<Response> {
    use base64::Engine;
    if !(path.starts_with("/api/admin/") || path == "/api/export" || path.starts_with("/api/export?"))
        || path.contains("..")
    {
        return Err(Error::BadRequest(format!("'{path}' is not an administration or export path")));
    }
    let Some((base, token)) = endpoint else {
        return Err(Error::Refused {
            code: "not_signed_in",
            reason: "this device is not signed in to a server".into(),
            params: Json::Null,
        });
    };
    let unreachable = |e: ureq::Error| Error::Refused {
        code: "server_unreachable",
        reason: format!("the server cannot be reached: {e}"),
        params: Json::Null,
    };
    let agent = crate::sync::client::http_agent(Some(std::time::Duration::from_secs(120)), ca)
        .map_err(|e| Error::Refused { code: "insecure_server", reason: e.to_string(), params: Json::Null })?;
    let url = format!("{base}{path}");
    let auth = format!("Bearer {token}");
    let sent = match method {
        "GET" => agent.get(&url).header("authorization", &auth).call(),
        "POST" | "PUT" | "PATCH" => {
            let text = body.map(Json::to_string).unwrap_or_default();
            let req = match method {
                "POST" => agent.post(&url),
                "PUT" => agent.put(&url),
                _ => agent.patch(&url),
            };
            req.header("authorization", &auth).header("content-type", "application/json").send(text.as_bytes())
        }
        other => return Err(Error::BadRequest(format!("method '{other}' is not GET, POST, PUT or PATCH"))),
    };
    let mut resp = sent.map_err(unreachable)?;
    let status = resp.status().as_u16();
    let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let content_type = header("content-type").unwrap_or_default();
    let disposition = header("content-disposition");
    let bytes = resp.body_mut().with_config().limit(512 << 20).read_to_vec().map_err(unreachable)?;
    if let Some(d) = disposition.filter(|d| d.starts_with("attachment")) {
        let name = d.split("filename=\"").nth(1).and_then(|n| n.split('"').next()).unwrap_or("download").to_string();
        let data = base64::engine::general_purpose::STANDARD.encode(&bytes);
        return Ok(Response::ServerResponse {
            status,
            body: Json::Null,
            file: Some(ServerFile { name, content_type, data }),
        });
    }
    let body = serde_json::from_slice(&bytes).unwrap_or(Json::Null);
    Ok(Response::ServerResponse { status, body, file: None })
}

impl ImportFile {
    fn bytes(&self) -> Result<Vec<u8>> {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(self.data.trim())
            .map_err(|e| Error::BadRequest(format!("data is not base64: {e}")))
    }

    fn options(&self) -> crate::import::Options {
        crate::import::Options {
            kind: self.kind.clone(),
            columns: self.columns.clone(),
            keys: self.keys.clone(),
            policy: self.policy,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// Who is working on this device.
    Whoami {},
    /// Switch the current user (after signing in to a server).
    SetIdentity {
        user_id: String,
        display_name: String,
        role: String,
        code_prefix: Option<String>,
    },
    /// Create a record. With duplicates found and `allow_duplicate` false, nothing is created
    /// and the candidates come back.
    Create {
        kind: String,
        /// Optional id (a UUID not used yet), e.g. a user record created for a server account.
        id: Option<String>,
        fields: JsonMap<String, Json>,
        #[serde(default)]
        allow_duplicate: bool,
    },
    /// Create many records in one transaction, without duplicate checks (imports).
    BulkCreate {
        records: Vec<NewRecord>,
    },
    /// Change only the given fields; `null` clears a field. With `base` (the `version` the
    /// writer read), the change from that version is written: what others changed since stays.
    Update {
        id: String,
        fields: JsonMap<String, Json>,
        #[serde(default)]
        base: Option<String>,
    },
    Delete {
        id: String,
    },
    Restore {
        id: String,
    },
    Get {
        id: String,
    },
    /// What the person working here may do with a record: its actions, editable fields and
    /// the transitions open to them.
    Permissions {
        id: String,
    },
    /// Take a transition of a record's workflow (assign, handle, claim …), writing `fields`.
    Transition {
        id: String,
        name: String,
        #[serde(default)]
        fields: JsonMap<String, Json>,
    },
    /// Put away refused edits the person has seen (by hash, as `refused` lists and the
    /// `rejected` session request give them): they leave the record and the sync screen.
    DismissRefused {
        hashes: Vec<String>,
    },
    /// Churn warnings: customers quiet for longer than their grade allows, or about to be;
    /// `owner` / `all_owners` as for follow-ups.
    ChurnWarnings {
        owner: Option<String>,
        #[serde(default)]
        all_owners: bool,
        limit: Option<usize>,
        /// Only this customer's warning (whoever owns it).
        customer: Option<String>,
    },
    /// What needs attention, soonest first: follow-ups, service requests, churn and recycle
    /// warnings; `owner` / `all_owners` as for follow-ups.
    Reminders {
        owner: Option<String>,
        #[serde(default)]
        all_owners: bool,
    },
    /// Open (or find) the churn case of a customer's current episode.
    OpenChurnCase {
        customer: String,
    },
    /// Every customer grade's dormancy and recycling rules (the admin's, else the defaults).
    GradeRules {},
    /// Add an entry to a log field of a record (a service request's handling log).
    Append {
        id: String,
        field: String,
        text: String,
    },
    /// Settle a conflict by choosing (or typing) the value to keep.
    ResolveConflict {
        id: String,
        field: String,
        value: Json,
    },
    History {
        id: String,
    },
    List {
        kind: String,
        #[serde(flatten)]
        query: ListQuery,
    },
    Customer360 {
        id: String,
    },
    /// A product's price for a customer and quantity, and its stock.
    Price {
        product: String,
        customer: Option<String>,
        quantity: Option<Json>,
        currency: Option<String>,
    },
    /// A customer's sales documents, what they bought per product, and their money.
    PurchaseHistory {
        customer: String,
    },
    /// What the customers on this device owe.
    Receivables {},
    /// What is on each day from `from` to `to` (`YYYY-MM-DD`, both included): activities,
    /// follow-ups, service requests due, contracts ending, payment-plan periods due.
    Agenda {
        from: String,
        to: String,
        owner: Option<String>,
        #[serde(default)]
        all_owners: bool,
    },
    /// Arrive at a customer: a visit starting now, at `place` (`{lat, lng, accuracy?}`) when
    /// the device knows it.
    CheckIn {
        customer: String,
        place: Option<Json>,
        contact: Option<String>,
        visit_type: Option<String>,
    },
    /// Start a campaign: freeze what its saved filter finds now as its target list.
    StartCampaign {
        id: String,
    },
    /// A campaign's frozen target list.
    CampaignMembers {
        id: String,
    },
    /// Email a running campaign's target list (`{name}` is each member's name).
    CampaignEmail {
        id: String,
        subject: String,
        body: String,
    },
    /// What a campaign brought: leads, conversions, opportunities, won amount, cost per lead,
    /// return on cost.
    CampaignEffect {
        id: String,
    },
    /// What converting a lead would make or link, before anything is written.
    ConversionPlan {
        id: String,
    },
    /// Convert a lead: link or create its customer and contact, open an opportunity if asked,
    /// carry its follow-ups and notes to the customer's timeline, and take `convert`.
    ConvertLead {
        id: String,
        customer: Option<String>,
        #[serde(default)]
        new_customer: bool,
        opportunity: Option<JsonMap<String, Json>>,
    },
    /// What a visit asks for (its type's actions) and what of it is done.
    VisitChecklist {
        id: String,
    },
    /// Leave a visit: when, where, how long.
    CheckOut {
        id: String,
        place: Option<Json>,
    },
    /// Take a file (a photo, a receipt, a scanned document): `data` its bytes in base64, `type`
    /// what the picker said it is (checked against the bytes), `thumb` a small JPEG the app
    /// made of an image. Answers the attachment item for a record's list; with `record` and
    /// `field` it is added to that list at once.
    Attach {
        data: String,
        name: Option<String>,
        #[serde(rename = "type")]
        content_type: Option<String>,
        thumb: Option<String>,
        taken_at: Option<String>,
        record: Option<String>,
        field: Option<String>,
    },
    /// A file by its hash: its type and bytes (base64). In the app, one not on this device yet
    /// is fetched from the server for `record`, a record that references it.
    File {
        hash: String,
        record: Option<String>,
    },
    /// The attachments of a record, or of a customer and all of its records, newest first,
    /// with their thumbnails.
    Attachments {
        id: String,
    },
    /// A person's expense claim for a month (`YYYY-MM`): their expenses, totals by category and
    /// state. Defaults: the person working here, the current month.
    ExpenseClaim {
        user: Option<String>,
        month: Option<String>,
    },
    /// The figures of lines not saved yet (a form being filled in), by the same rule as a
    /// saved document's.
    Totals {
        lines: Json,
        #[serde(default)]
        discount: i64,
    },
    /// A contract made from an accepted quote.
    ContractFromQuote {
        quote: String,
    },
    /// A quote, contract or order as a PDF.
    DocumentPdf {
        id: String,
    },
    /// What about a sales document needs approval before it is sent.
    ApprovalNeeds {
        id: String,
    },
    /// Price lists from a spreadsheet (admins).
    LoadPriceLists {
        /// The file's name.
        name: String,
        /// The file, base64.
        data: String,
    },
    /// Follow-ups due on or before `by` (default today); `owner` defaults to the current user,
    /// `all_owners` lists everyone's.
    FollowUps {
        by: Option<String>,
        owner: Option<String>,
        #[serde(default)]
        all_owners: bool,
    },
    /// Customers with no activity for `days` days.
    Dormant {
        days: i64,
        owner: Option<String>,
        #[serde(default)]
        all_owners: bool,
        limit: Option<usize>,
    },
    /// The opportunity board by stage with totals; `owner` / `all_owners` as for follow-ups.
    Pipeline {
        owner: Option<String>,
        #[serde(default)]
        all_owners: bool,
    },
    Search {
        query: String,
        #[serde(default)]
        kinds: Vec<String>,
        limit: Option<usize>,
    },
    CheckDuplicates {
        kind: String,
        fields: JsonMap<String, Json>,
    },
    Dictionary {
        dict: Option<String>,
    },
    /// The company-specific fields of a kind, in the admin's order (`crate::custom`).
    CustomFields {
        kind: String,
    },
    /// Store changes from another device (sync hook).
    ApplyChanges {
        changes: Vec<WireChange>,
    },
    /// Local changes not yet acknowledged (sync hook).
    Outbox {
        limit: Option<usize>,
    },
    /// Drop acknowledged changes from the outbox (sync hook).
    Ack {
        hashes: Vec<String>,
    },
    /// What importing a spreadsheet would do, row by row; writes nothing.
    ImportPreview {
        #[serde(flatten)]
        file: ImportFile,
    },
    /// Import a spreadsheet as one batch (the app reports `import_progress` events).
    ImportRun {
        #[serde(flatten)]
        file: ImportFile,
    },
    /// Undo an import: what it created is deleted, what it updated set back.
    ImportRevert {
        batch: String,
    },
    /// Imports made on this device, newest first.
    Imports {},
    /// The rows an import refused, with a reason column, as a spreadsheet (base64).
    ImportRejected {
        batch: String,
        #[serde(default)]
        format: Option<String>,
        /// Words for the reason codes, in the app's language (`{"required": "必填"}`).
        #[serde(default)]
        reasons: Option<std::collections::HashMap<String, String>>,
    },
    /// An admin's export of a list (`list`'s filters) or of the given records (search
    /// results), made on this device (`crate::export`).
    Export {
        kind: String,
        #[serde(default)]
        format: Option<String>,
        #[serde(default)]
        ids: Option<Vec<String>>,
        #[serde(flatten)]
        query: ListQuery,
    },
    /// A report (`crate::report`) for the person working here.
    Report {
        name: String,
        #[serde(flatten)]
        params: crate::report::Params,
    },
    /// A report as a spreadsheet (`.xlsx`), its words from `labels` (see `report::xlsx`).
    ReportExport {
        name: String,
        #[serde(flatten)]
        params: crate::report::Params,
        #[serde(default)]
        labels: std::collections::HashMap<String, String>,
    },
    /// An administration or export request to the sync server, made with this device's token
    /// (`docs/protocol.md`, *Administration and export*): only paths under `/api/admin/` and
    /// `/api/export`.
    Server {
        method: String,
        path: String,
        body: Option<Json>,
    },
    /// Every kind and its fields, types, defaults and choices (forms can be built from it).
    Schema {},
    RebuildProjections,
    Compact {},
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Response {
    Identity(Identity),
    Record(RecordView),
    Permissions(crate::access::Permissions),
    Duplicates {
        candidates: Vec<DuplicateCandidate>,
    },
    Created {
        ids: Vec<String>,
    },
    Page(Page),
    Customer360(Box<Customer360>),
    Price(crate::domain::sales_views::PriceAnswer),
    PurchaseHistory(Box<crate::domain::sales_views::PurchaseHistory>),
    Receivables {
        customers: Vec<crate::domain::sales_views::Receivable>,
    },
    ExpenseClaim(Box<crate::domain::expenses::ExpenseClaim>),
    VisitChecklist(crate::domain::visits::Checklist),
    ConversionPlan(crate::domain::leads::ConversionPlan),
    CampaignMembers {
        members: Vec<crate::domain::campaigns::Member>,
    },
    CampaignEffect(crate::domain::campaigns::Effect),
    CampaignEmail(crate::domain::campaigns::Mailing),
    Converted(crate::domain::leads::Converted),
    /// A file taken: the item to put in an attachment list (with `record`, the list's item).
    Attached {
        item: Json,
    },
    /// A file's content: its hash, type, size and bytes (base64).
    Content {
        hash: String,
        #[serde(rename = "content_type")]
        content_type: String,
        size: usize,
        data: String,
    },
    Attachments {
        items: Vec<crate::attachment::local::AttachmentView>,
    },
    Agenda(Box<crate::domain::agenda::Agenda>),
    Report(Box<crate::report::Report>),
    Totals(crate::domain::sales::Totals),
    PriceListsLoaded(crate::domain::catalogue::LoadReport),
    Pdf(ServerFile),
    ApprovalNeeds {
        needs: Vec<crate::domain::sales::ApprovalNeed>,
    },
    FollowUps {
        items: Vec<FollowUp>,
    },
    Dormant {
        items: Vec<Dormant>,
    },
    ChurnWarnings {
        items: Vec<crate::domain::churn::ChurnWarning>,
    },
    GradeRules {
        rules: Vec<crate::domain::churn::GradeRule>,
    },
    Reminders {
        items: Vec<crate::domain::reminders::Reminder>,
    },
    Pipeline {
        stages: Vec<crate::query::PipelineStage>,
    },
    Search {
        hits: Vec<SearchHit>,
    },
    History {
        entries: Vec<HistoryEntry>,
        names: std::collections::BTreeMap<String, String>,
    },
    Dictionary {
        entries: Vec<Item>,
    },
    CustomFields {
        fields: Vec<crate::custom::Def>,
    },
    Applied(ApplyReport),
    Outbox {
        entries: Vec<OutboxEntry>,
        pending: i64,
    },
    Acked {
        removed: usize,
    },
    Dismissed {
        removed: usize,
    },
    ImportPreview(Box<crate::import::Preview>),
    Imported {
        batch: crate::import::Batch,
    },
    ImportReverted(crate::import::Reverted),
    Imports {
        items: Vec<crate::import::Batch>,
    },
    /// A file made for the person to save: its name and bytes (base64).
    File {
        name: String,
        data: String,
    },
    /// The sync server's answer: its HTTP status and JSON body, or the file it sent.
    ServerResponse {
        status: u16,
        body: Json,
        file: Option<ServerFile>,
    },
    Schema {
        kinds: Vec<Json>,
    },
    Rebuilt {
        records: usize,
    },
    Compacted {
        records: usize,
    },
    Error {
        code: String,
        message: String,
        params: Json,
    },
}

impl Response {
    /// A file's content as the API answers it.
    pub fn content(hash: &str, content_type: String, bytes: &[u8]) -> Response {
        Response::Content { hash: hash.to_string(), content_type, size: bytes.len(), data: STANDARD.encode(bytes) }
    }
}

impl From<Error> for Response {
    fn from(e: Error) -> Self {
        Response::Error { code: e.code().to_string(), message: e.to_string(), params: e.params() }
    }
}

fn kind(name: &str) -> Result<Kind> {
    Kind::parse(name).ok_or_else(|| Error::UnknownKind(name.to_string()))
}

fn record_id(id: &str) -> Result<String> {
    Uuid::parse_str(id).map(|u| u.to_string()).map_err(|_| Error::field("id", "invalid_id"))
}

impl Store {
    /// Parse a JSON request, run it, and render the JSON response. Never panics on input.
    pub fn handle_json(&mut self, request: &str) -> String {
        let response = match serde_json::from_str::<Request>(request) {
            Ok(req) => self.handle(req),
            Err(e) => Error::BadRequest(e.to_string()).into(),
        };
        serde_json::to_string(&response)
            .unwrap_or_else(|e| format!("{{\"type\":\"error\",\"code\":\"internal\",\"message\":\"{e}\"}}"))
    }

    pub fn handle(&mut self, request: Request) -> Response {
        self.handle_with_progress(request, &mut |_, _| {})
    }

    /// [`Store::handle`], telling `progress(done, total)` how a long request (an import) goes.
    pub fn handle_with_progress(&mut self, request: Request, progress: &mut dyn FnMut(usize, usize)) -> Response {
        let result = match request {
            Request::ImportRun { file } => file.bytes().and_then(|bytes| {
                let batch = self.import_run(&file.name, &bytes, &file.options(), progress)?;
                Ok(Response::Imported { batch })
            }),
            other => self.try_handle(other),
        };
        result.unwrap_or_else(Response::from)
    }

    fn try_handle(&mut self, request: Request) -> Result<Response> {
        Ok(match request {
            Request::Whoami {} => Response::Identity(self.whoami()),
            Request::SetIdentity { user_id, display_name, role, code_prefix } => {
                self.set_identity(&record_id(&user_id)?, &display_name, &role, code_prefix.as_deref())?;
                Response::Identity(self.identity().clone())
            }
            Request::Create { kind: k, id, fields, allow_duplicate } => {
                let kind = kind(&k)?;
                self.check_may_write(kind)?;
                if !kind.spec().identity.is_empty() {
                    // One record per subject: the existing one, or one every device would make.
                    let id = self.create_identified(kind, &fields)?;
                    return Ok(Response::Record(self.get(&id)?));
                }
                let parsed = self.parse_fields(kind, &fields, None)?;
                self.check_may_create(&self.deciding()?, kind, &parsed)?;
                if !allow_duplicate {
                    let candidates = self.duplicates(kind, &parsed)?;
                    if !candidates.is_empty() {
                        return Ok(Response::Duplicates { candidates });
                    }
                }
                let id = self.create_validated(kind, id.as_deref().map(record_id).transpose()?, parsed)?;
                Response::Record(self.get(&id)?)
            }
            Request::BulkCreate { records } => {
                let records =
                    records.into_iter().map(|r| Ok((kind(&r.kind)?, r.fields))).collect::<Result<Vec<_>>>()?;
                Response::Created { ids: self.bulk_create(records)? }
            }
            Request::Update { id, fields, base } => {
                let id = record_id(&id)?;
                self.update_with_transition(&id, &fields, base.as_deref())?;
                Response::Record(self.get(&id)?)
            }
            Request::Delete { id } => {
                let id = record_id(&id)?;
                self.set_deleted(&id, true)?;
                Response::Record(self.get(&id)?)
            }
            Request::Restore { id } => {
                let id = record_id(&id)?;
                self.set_deleted(&id, false)?;
                Response::Record(self.get(&id)?)
            }
            Request::Get { id } => Response::Record(self.get(&record_id(&id)?)?),
            Request::Permissions { id } => Response::Permissions(self.permissions_of(&record_id(&id)?)?),
            Request::Transition { id, name, fields } => {
                let id = record_id(&id)?;
                self.transition(&id, &name, &fields)?;
                Response::Record(self.get(&id)?)
            }
            Request::ChurnWarnings { owner, all_owners, limit, customer: Some(customer) } => {
                let _ = (owner, all_owners, limit);
                let customer = record_id(&customer)?;
                let mut items = self.churn_warnings(None, usize::MAX)?;
                items.retain(|w| w.customer.id == customer);
                Response::ChurnWarnings { items }
            }
            Request::ChurnWarnings { owner, all_owners, limit, customer: None } => {
                let owner = self.owner_filter(owner, all_owners);
                Response::ChurnWarnings { items: self.churn_warnings(owner.as_deref(), limit.unwrap_or(200))? }
            }
            Request::OpenChurnCase { customer } => {
                let id = self.open_churn_case(&record_id(&customer)?)?;
                Response::Record(self.get(&id)?)
            }
            Request::ImportPreview { file } => {
                Response::ImportPreview(Box::new(self.import_preview(&file.name, &file.bytes()?, &file.options())?))
            }
            Request::ImportRun { file } => Response::Imported {
                batch: self.import_run(&file.name, &file.bytes()?, &file.options(), &mut |_, _| {})?,
            },
            Request::ImportRevert { batch } => Response::ImportReverted(self.import_revert(&record_id(&batch)?)?),
            Request::Imports {} => Response::Imports { items: self.imports()? },
            Request::Export { kind: k, format, ids, query } => {
                use base64::Engine;
                let (kind, format) = (kind(&k)?, sheet_format(format.as_deref())?);
                let (bytes, _) = self.export_records(kind, &query, ids.as_deref(), format)?;
                let ext = if format == crate::sheet::Format::Csv { "csv" } else { "xlsx" };
                Response::File {
                    name: format!("{}-{}.{ext}", kind.as_str(), chrono::Utc::now().format("%Y%m%d")),
                    data: base64::engine::general_purpose::STANDARD.encode(bytes),
                }
            }
            Request::ImportRejected { batch, format, reasons } => {
                use base64::Engine;
                let format = sheet_format(format.as_deref())?;
                let batch = record_id(&batch)?;
                let bytes = self.import_rejected_file(&batch, format, reasons.as_ref())?;
                let ext = if format == crate::sheet::Format::Csv { "csv" } else { "xlsx" };
                Response::File {
                    name: format!("rejected-{}.{ext}", &batch[..8.min(batch.len())]),
                    data: base64::engine::general_purpose::STANDARD.encode(bytes),
                }
            }
            Request::Report { name, params } => Response::Report(Box::new(self.report(&name, &params)?)),
            Request::ReportExport { name, params, labels } => {
                use base64::Engine;
                let report = self.report(&name, &params)?;
                let bytes = crate::report::xlsx::write(&report, &labels, &self.display_names()?)?;
                Response::File {
                    name: format!(
                        "{name}-{}-{}.xlsx",
                        report.filters["from"].as_str().unwrap_or_default(),
                        report.filters["to"].as_str().unwrap_or_default()
                    ),
                    data: base64::engine::general_purpose::STANDARD.encode(bytes),
                }
            }
            Request::Server { method, path, body } => self.server_request(&method, &path, body.as_ref())?,
            Request::DismissRefused { hashes } => Response::Dismissed { removed: self.dismiss_refused(&hashes)? },
            Request::Reminders { owner, all_owners } => {
                let owner = self.owner_filter(owner, all_owners);
                Response::Reminders { items: self.reminders(owner.as_deref())? }
            }
            Request::GradeRules {} => Response::GradeRules { rules: self.grade_rules()? },
            Request::Append { id, field, text } => {
                let id = record_id(&id)?;
                self.append(&id, &field, &text)?;
                Response::Record(self.get(&id)?)
            }
            Request::ResolveConflict { id, field, value } => {
                let id = record_id(&id)?;
                self.resolve_conflict(&id, &field, &value)?;
                Response::Record(self.get(&id)?)
            }
            Request::History { id } => {
                let id = record_id(&id)?;
                self.kind_of(&id)?;
                let entries = self.with_doc(&id, |doc| Ok(doc.history()))?;
                let names = self.names(entries.iter().map(|e| (Kind::User, e.user_id.clone())))?;
                Response::History { entries, names }
            }
            Request::List { kind: k, query } => Response::Page(self.list(kind(&k)?, &query)?),
            Request::Customer360 { id } => Response::Customer360(Box::new(self.customer_360(&record_id(&id)?)?)),
            Request::Price { product, customer, quantity, currency } => {
                let quantity = match quantity {
                    None | Some(Json::Null) => 1000,
                    Some(q) => crate::value::parse_quantity("quantity", &q).map_err(|e| Error::Validation(vec![e]))?,
                };
                let customer = customer.as_deref().map(record_id).transpose()?;
                Response::Price(self.price_for(
                    &record_id(&product)?,
                    customer.as_deref(),
                    quantity,
                    currency.as_deref(),
                )?)
            }
            Request::PurchaseHistory { customer } => {
                Response::PurchaseHistory(Box::new(self.purchase_history(&record_id(&customer)?)?))
            }
            Request::Receivables {} => Response::Receivables { customers: self.receivables()? },
            Request::CheckIn { customer, place, contact, visit_type } => {
                let visit_type = visit_type.as_deref().map(record_id).transpose()?;
                let id =
                    self.check_in(&record_id(&customer)?, place.as_ref(), contact.as_deref(), visit_type.as_deref())?;
                Response::Record(self.get(&id)?)
            }
            Request::StartCampaign { id } => {
                let id = record_id(&id)?;
                self.start_campaign(&id)?;
                Response::Record(self.get(&id)?)
            }
            Request::CampaignMembers { id } => {
                Response::CampaignMembers { members: self.campaign_members(&record_id(&id)?)? }
            }
            Request::CampaignEmail { id, subject, body } => {
                Response::CampaignEmail(self.campaign_email(&record_id(&id)?, &subject, &body)?)
            }
            Request::CampaignEffect { id } => Response::CampaignEffect(self.campaign_effect(&record_id(&id)?)?),
            Request::ConversionPlan { id } => Response::ConversionPlan(self.conversion_plan(&record_id(&id)?)?),
            Request::ConvertLead { id, customer, new_customer, opportunity } => {
                let customer = customer.as_deref().map(record_id).transpose()?;
                let choice = crate::domain::leads::Choice { customer, new_customer, opportunity };
                Response::Converted(self.convert_lead(&record_id(&id)?, &choice)?)
            }
            Request::VisitChecklist { id } => Response::VisitChecklist(self.visit_checklist(&record_id(&id)?)?),
            Request::CheckOut { id, place } => {
                let id = record_id(&id)?;
                self.check_out(&id, place.as_ref())?;
                Response::Record(self.get(&id)?)
            }
            Request::Agenda { from, to, owner, all_owners } => {
                let owner = self.owner_filter(owner, all_owners);
                Response::Agenda(Box::new(self.agenda(&from, &to, owner.as_deref())?))
            }
            Request::Attach { data, name, content_type, thumb, taken_at, record, field } => {
                let file = crate::attachment::local::NewFile { data, name, declared: content_type, thumb, taken_at };
                let to = match (record, field) {
                    (Some(record), Some(field)) => Some((record_id(&record)?, field)),
                    (None, None) => None,
                    _ => return Err(Error::field("field", "record_and_field_together")),
                };
                let item = self.attach(&file, to.as_ref().map(|(r, f)| (r.as_str(), f.as_str())))?;
                Response::Attached { item }
            }
            Request::File { hash, record: _ } => {
                match self.file(&hash)? {
                    Some((content_type, bytes)) => Response::content(&hash, content_type, &bytes),
                    None => return Err(Error::Refused {
                        code: "file_not_here",
                        reason:
                            "this file is not on this device yet; it is fetched from the server when the app is online"
                                .into(),
                        params: serde_json::json!({ "hash": hash }),
                    }),
                }
            }
            Request::Attachments { id } => Response::Attachments { items: self.attachments(&record_id(&id)?)? },
            Request::ExpenseClaim { user, month } => {
                let user = user.unwrap_or_else(|| self.identity().user_id.clone());
                Response::ExpenseClaim(Box::new(self.expense_claim(&user, month.as_deref())?))
            }
            Request::Totals { lines, discount } => {
                let spec = Kind::Quote.spec().field("lines").ok_or_else(|| Error::field("lines", "unknown_field"))?;
                let crate::kind::FieldType::Items(parts) = spec.ty else {
                    return Err(Error::field("lines", "wrong_type"));
                };
                let items = crate::items::parse("lines", parts, &lines).map_err(|e| Error::Validation(vec![e]))?;
                let totals = crate::domain::sales::totals(&items, discount).map_err(|e| Error::Validation(vec![e]))?;
                Response::Totals(totals)
            }
            Request::ApprovalNeeds { id } => {
                Response::ApprovalNeeds { needs: self.approval_needs_of(&record_id(&id)?)? }
            }
            Request::DocumentPdf { id } => {
                let (name, bytes) = self.document_pdf(&record_id(&id)?)?;
                Response::Pdf(ServerFile { name, content_type: "application/pdf".into(), data: STANDARD.encode(bytes) })
            }
            Request::LoadPriceLists { name, data } => {
                let bytes =
                    STANDARD.decode(data.trim()).map_err(|e| Error::BadRequest(format!("data is not base64: {e}")))?;
                Response::PriceListsLoaded(self.load_price_lists(&name, &bytes)?)
            }
            Request::ContractFromQuote { quote } => {
                let id = self.contract_from_quote(&record_id(&quote)?)?;
                Response::Record(self.get(&id)?)
            }
            Request::FollowUps { by, owner, all_owners } => {
                let by = match by {
                    Some(d) => {
                        chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                            .map_err(|_| Error::field("by", "invalid_date"))?;
                        d
                    }
                    None => crate::settings::today(&self.conn)?.format("%Y-%m-%d").to_string(),
                };
                let owner = self.owner_filter(owner, all_owners);
                Response::FollowUps { items: self.follow_ups(&by, owner.as_deref())? }
            }
            Request::Dormant { days, owner, all_owners, limit } => {
                let owner = self.owner_filter(owner, all_owners);
                Response::Dormant { items: self.dormant(days, owner.as_deref(), limit.unwrap_or(100))? }
            }
            Request::Pipeline { owner, all_owners } => {
                let owner = self.owner_filter(owner, all_owners);
                Response::Pipeline { stages: self.pipeline(owner.as_deref())? }
            }
            Request::Search { query, kinds, limit } => {
                let kinds = kinds.iter().map(|k| kind(k)).collect::<Result<Vec<_>>>()?;
                Response::Search { hits: self.search(&query, &kinds, limit.unwrap_or(20))? }
            }
            Request::CheckDuplicates { kind: k, fields } => {
                let kind = kind(&k)?;
                let mut parsed = Vec::new();
                for (name, json) in &fields {
                    let field = kind.spec().field(name).ok_or_else(|| Error::field(name.clone(), "unknown_field"))?;
                    parsed.push((field, value::parse(field, json).map_err(|e| Error::Validation(vec![e]))?));
                }
                Response::Duplicates { candidates: self.duplicates(kind, &parsed)? }
            }
            Request::Dictionary { dict } => Response::Dictionary { entries: self.dictionary(dict.as_deref())? },
            Request::CustomFields { kind } => {
                let kind = Kind::parse(&kind).ok_or(Error::UnknownKind(kind))?;
                Response::CustomFields { fields: crate::custom::defs(&self.conn, kind)? }
            }
            Request::ApplyChanges { changes } => {
                let mut incoming = Vec::with_capacity(changes.len());
                for (i, c) in changes.into_iter().enumerate() {
                    let bytes = STANDARD
                        .decode(c.bytes.as_bytes())
                        .map_err(|e| Error::BadChange(format!("change {i}: bytes are not base64: {e}")))?;
                    incoming.push(IncomingChange { doc_id: c.doc_id, bytes });
                }
                Response::Applied(self.apply_changes(incoming)?)
            }
            Request::Outbox { limit } => Response::Outbox {
                entries: self.outbox(limit.unwrap_or(100).clamp(1, 10_000))?,
                pending: self.outbox_len()?,
            },
            Request::Ack { hashes } => Response::Acked { removed: self.ack(&hashes)? },
            Request::Schema {} => Response::Schema { kinds: Kind::ALL.iter().map(|k| k.spec().describe()).collect() },
            Request::RebuildProjections => Response::Rebuilt { records: self.rebuild_projections()? },
            Request::Compact {} => Response::Compacted { records: self.compact()? },
        })
    }

    fn owner_filter(&self, owner: Option<String>, all_owners: bool) -> Option<String> {
        if all_owners {
            None
        } else {
            Some(owner.unwrap_or_else(|| self.identity().user_id.clone()))
        }
    }

    /// Write only the given fields of a record. Fields the server decides (a workflow's state,
    /// an assignee, a customer's owner) are written as the transition that moves them.
    pub fn update(&mut self, id: &str, fields: &JsonMap<String, Json>) -> Result<bool> {
        self.update_with_transition(id, fields, None)
    }

    /// Write only the given fields, none of them decided by the server.
    pub(crate) fn update_plain(&mut self, id: &str, fields: &JsonMap<String, Json>) -> Result<bool> {
        self.update_plain_since(id, fields, None)
    }

    /// Write only the given fields, none of them decided by the server; with `base`, as the
    /// change from that version of the record (see `RecordDoc::write_since`).
    pub(crate) fn update_plain_since(
        &mut self,
        id: &str,
        fields: &JsonMap<String, Json>,
        base: Option<&str>,
    ) -> Result<bool> {
        if fields.is_empty() {
            return Ok(false);
        }
        let kind = self.kind_of(id)?;
        self.check_may_edit(id)?;
        let parsed = self.parse_fields(kind, fields, Some(id))?;
        if let Some((field, _)) = parsed.iter().find(|(f, _)| !crate::workflow::editable_when_locked(kind, f.name)) {
            self.check_not_locked(id, kind, field.name)?;
        }
        self.edit(id, |doc| {
            if doc.deleted_at().is_some() {
                return Err(Error::Deleted(id.to_string()));
            }
            // One record per subject: the fields its id is derived from stay as they are.
            if let Some((field, _)) = parsed
                .iter()
                .find(|(f, v)| kind.spec().identity.contains(&f.name) && doc.read(f).as_ref() != v.as_ref())
            {
                return Err(Error::field(field.name.to_string(), "identity_fixed"));
            }
            let base = base.map(|v| doc.at_version(v)).transpose()?;
            for (field, value) in &parsed {
                match &base {
                    Some(then) => doc.write_since(field, value.as_ref(), then)?,
                    None => doc.write(field, value.as_ref(), false)?,
                }
            }
            Ok(())
        })
    }

    pub fn set_deleted(&mut self, id: &str, deleted: bool) -> Result<bool> {
        self.check_may_edit(id)?;
        self.check_not_locked(id, self.kind_of(id)?, "deleted_at")?;
        if deleted && self.kind_of(id)? == Kind::DictEntry {
            self.check_dict_entry_unused(id)?;
        }
        self.edit(id, |doc| match (deleted, doc.deleted_at()) {
            (true, None) => doc.set_deleted(Some(value::now_ms())),
            (false, Some(_)) => doc.set_deleted(None),
            _ => Ok(()),
        })
    }

    /// A dictionary code records still use is never deleted (deactivate it instead): the
    /// server refuses it too.
    fn check_dict_entry_unused(&self, id: &str) -> Result<()> {
        let (dict, code): (Option<String>, Option<String>) =
            self.conn
                .query_row("SELECT dict, code FROM p_dict_entry WHERE id = ?", [id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let (Some(dict), Some(code)) = (dict, code) else { return Ok(()) };
        for (kind, field) in crate::dictionary::fields_using(&dict) {
            let sql = format!("SELECT COUNT(*) FROM {} WHERE {} = ? AND deleted_at IS NULL", kind.table(), field.name);
            let used: i64 = self.conn.query_row(&sql, [&code], |r| r.get(0))?;
            if used > 0 {
                return Err(Error::Refused {
                    code: "dictionary_code_in_use",
                    reason: format!("{used} {kind} records use {dict} '{code}'; deactivate it instead of deleting it"),
                    params: serde_json::json!({ "dictionary": dict, "code": code, "kind": kind.as_str(), "records": used }),
                });
            }
        }
        Ok(())
    }

    /// Keep `value` for a field that devices changed concurrently.
    pub fn resolve_conflict(&mut self, id: &str, field: &str, value: &Json) -> Result<()> {
        let kind = self.kind_of(id)?;
        self.check_may_edit(id)?;
        if let Some((list, rest)) = field.split_once('.') {
            return self.resolve_item_conflict(id, kind, list, rest, field, value);
        }
        let spec = kind.spec().field(field).ok_or_else(|| Error::field(field.to_string(), "unknown_field"))?;
        let mut one = JsonMap::new();
        one.insert(field.to_string(), value.clone());
        let parsed = self.parse_fields(kind, &one, Some(id))?;
        let chosen = parsed.into_iter().next().and_then(|(_, v)| v);
        self.edit(id, |doc| {
            if doc.conflicts(spec).is_empty() {
                return Err(Error::NoConflict { id: id.to_string(), field: field.to_string() });
            }
            doc.write(spec, chosen.as_ref(), true)
        })?;
        Ok(())
    }

    /// Keep `value` for one part of one item (`LIST.ITEM_ID.PART`) that devices changed
    /// concurrently.
    fn resolve_item_conflict(
        &mut self,
        id: &str,
        kind: Kind,
        list: &str,
        rest: &str,
        path: &str,
        value: &Json,
    ) -> Result<()> {
        let unknown = || Error::field(path.to_string(), "unknown_field");
        let spec = kind.spec().field(list).ok_or_else(unknown)?;
        let crate::kind::FieldType::Items(parts) = spec.ty else { return Err(unknown()) };
        let (item, part) = rest.split_once('.').ok_or_else(unknown)?;
        let part = parts.iter().find(|p| p.name == part).ok_or_else(unknown)?;
        let chosen = crate::value::parse(part, value).map_err(|mut e| {
            e.field = path.to_string();
            Error::Validation(vec![e])
        })?;
        self.edit(id, |doc| {
            if !doc.item_conflicts(spec).iter().any(|(p, _)| p == path) {
                return Err(Error::NoConflict { id: id.to_string(), field: path.to_string() });
            }
            doc.write_item_part(spec, item, part, chosen.as_ref())?;
            Ok(())
        })?;
        Ok(())
    }
}
