//! Reading: a record with its conflicts, lists with filters and keyset pagination, the
//! customer 360, follow-ups due, dormant customers, search and duplicate candidates.
//! Everything but `get` reads the projection tables; no query loads every document.

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::NaiveDate;
use rusqlite::types::Value as Sql;
use rusqlite::{params, params_from_iter, Row};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map as JsonMap, Value as Json};

use crate::document::Candidate;

/// The kinds `search` returns hits for (each with its title and subtitle below).
const SEARCH_HITS: &[Kind] = &[
    Kind::Customer,
    Kind::Contact,
    Kind::Product,
    Kind::Quote,
    Kind::Contract,
    Kind::Order,
    Kind::Lead,
    Kind::Article,
];
use crate::duplicate;
use crate::error::{Error, FieldError, Result};
use crate::kind::{FieldSpec, FieldType, Kind};
use crate::projection::{column_json, columns, META_COLUMNS};
use crate::search;
use crate::store::Store;
use crate::value::{format_datetime, now_ms, parse_datetime, FieldValue};

/// A whole record: every field, competing values where devices disagree, and the names of
/// the users and records it refers to.
#[derive(Debug, Clone, Serialize)]
pub struct RecordView {
    pub id: String,
    pub kind: Kind,
    pub fields: JsonMap<String, Json>,
    /// Field name -> the competing values, when two people changed it concurrently.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub conflicts: BTreeMap<String, Vec<Candidate>>,
    /// Fields written by a newer version of the app, shown as they are and never changed here.
    #[serde(skip_serializing_if = "JsonMap::is_empty")]
    pub extra: JsonMap<String, Json>,
    pub created_at: String,
    pub created_by: Option<String>,
    pub updated_at: String,
    pub deleted_at: Option<String>,
    /// The version read: send it back as an `update`'s `base` so what others changed since
    /// is kept.
    pub version: String,
    /// Display names of the users and records this view mentions, by id.
    pub names: BTreeMap<String, String>,
    /// A transition made here that the server has not confirmed yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub awaiting: Option<crate::acting::Awaiting>,
    /// Edits of this record the server refused, with why (a transition another device made
    /// first names who and when).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refused: Vec<crate::acting::RefusedNote>,
}

/// A row of a list: the projected fields of one record.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Item {
    pub id: String,
    pub kind: Kind,
    pub fields: JsonMap<String, Json>,
    pub created_at: String,
    pub updated_at: String,
    pub deleted_at: Option<String>,
    pub has_conflicts: bool,
    /// With `names: true` in a list: the title of each record its reference fields point
    /// to (id -> title), for those on this device.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub names: Option<BTreeMap<String, String>>,
    /// A transition made here that the server has not confirmed yet (as on the record).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub awaiting: Option<crate::acting::Awaiting>,
    /// How many of this record's edits the server refused and nobody put away yet.
    #[serde(skip_serializing_if = "is_zero")]
    pub refused: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Deleted {
    #[default]
    Exclude,
    Include,
    Only,
}

/// Filters, sort and page of a list request.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Field name -> a value, or a list of accepted values.
    #[serde(default)]
    pub filter: JsonMap<String, Json>,
    pub tag: Option<String>,
    /// RFC 3339 or `YYYY-MM-DD` (midnight UTC); inclusive.
    pub created_from: Option<String>,
    /// RFC 3339 or `YYYY-MM-DD`; exclusive.
    pub created_to: Option<String>,
    pub updated_since: Option<String>,
    #[serde(default)]
    pub deleted: Deleted,
    /// A projected field, `created_at` or `updated_at`. Default `created_at`.
    pub sort: Option<String>,
    #[serde(default)]
    pub desc: bool,
    pub limit: Option<usize>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Give each item the titles of the records its reference fields point to.
    #[serde(default)]
    pub names: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Page {
    pub items: Vec<Item>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
    pub total: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Customer360 {
    pub customer: RecordView,
    pub contacts: Vec<Item>,
    /// Newest first.
    pub activities: Vec<Item>,
    pub opportunities: Vec<Item>,
    /// Its service requests, newest first.
    pub service_requests: Vec<Item>,
    /// Its churn cases, newest episode first.
    pub churn_cases: Vec<Item>,
    /// What else happened, for the timeline beside the activities, newest first: opportunity
    /// plan steps carried out (with their result), service request handling notes, churn
    /// measures.
    pub events: Vec<TimelineEvent>,
}

/// One entry of a customer's timeline that is not an activity.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TimelineEvent {
    /// `plan_step`, `service_note` or `churn_measure`.
    pub event: &'static str,
    /// RFC 3339 for notes and measures; `YYYY-MM-DD` for a plan step.
    pub at: String,
    pub record_id: String,
    pub record_kind: Kind,
    /// The record's title (the opportunity, the request) or a plan step's action.
    pub title: String,
    pub text: String,
    pub by: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FollowUp {
    pub activity: Item,
    pub customer_id: String,
    pub customer_name: String,
    pub due: String,
    pub overdue: bool,
}

/// One column of the opportunity board.
#[derive(Debug, Clone, Serialize)]
pub struct PipelineStage {
    pub stage: String,
    pub count: i64,
    /// Sum of amounts per currency (integer minor units), largest first.
    pub totals: Vec<MoneyTotal>,
    /// The stage's opportunities, most recently changed first (at most `PIPELINE_CARDS`).
    pub cards: Vec<PipelineCard>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MoneyTotal {
    pub minor: i64,
    pub currency: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PipelineCard {
    pub opportunity: Item,
    pub customer_name: Option<String>,
}

/// Cards per board column; counts and totals always cover the whole stage.
pub const PIPELINE_CARDS: usize = 200;

/// The timeline entries one record contributes (see [`Customer360::events`]).
fn timeline_events(item: &Item, doc: &crate::document::RecordDoc) -> Vec<TimelineEvent> {
    let spec = item.kind.spec();
    let title = item.fields.get(spec.title).and_then(Json::as_str).unwrap_or_default().to_string();
    let mut out = Vec::new();
    for field in spec.fields {
        match (field.ty, doc.read(field)) {
            (FieldType::Steps, Some(crate::value::FieldValue::Steps(steps))) => {
                for step in steps.into_iter().filter(|s| s.result.is_some()) {
                    out.push(TimelineEvent {
                        event: "plan_step",
                        at: step.date.clone().unwrap_or_default(),
                        record_id: item.id.clone(),
                        record_kind: item.kind,
                        title: format!("{title}：{}", step.action),
                        text: step.result.unwrap_or_default(),
                        by: None,
                    });
                }
            }
            (FieldType::Log, Some(crate::value::FieldValue::Log(entries))) => {
                let event = if item.kind == Kind::ChurnCase { "churn_measure" } else { "service_note" };
                for entry in entries {
                    out.push(TimelineEvent {
                        event,
                        at: format_datetime(entry.at),
                        record_id: item.id.clone(),
                        record_kind: item.kind,
                        title: title.clone(),
                        text: entry.text,
                        by: Some(entry.by),
                    });
                }
            }
            _ => {}
        }
    }
    out
}

/// The cutoff of [`Store::quiet_customers`]: UTC ms, for all grades or per grade.
pub(crate) struct Quiet<'a> {
    pub cutoff: i64,
    pub by_grade: &'a [(String, i64)],
    /// Count quiet time from when its owner took the customer, when that is later than its
    /// latest activity, and from its creation when it has neither (see `SINCE_TAKEN`).
    pub since_taken: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Dormant {
    pub customer: Item,
    pub last_activity_at: Option<String>,
    pub days_quiet: Option<i64>,
    /// What quiet time was counted from (UTC ms; see [`Quiet::since_taken`]).
    #[serde(skip)]
    pub since: i64,
}

/// A customer's latest activity, in a query over `p_customer t`.
const LAST_ACTIVITY: &str = "(SELECT MAX(a.time) FROM p_activity a WHERE a.customer = t.id AND a.deleted_at IS NULL)";
/// When a customer's quiet time starts: its latest activity or when its owner took it,
/// whichever is later; with neither, its creation (over columns `last`, `owned_at`,
/// `created_at`). Activities older than the record (imported history) still count.
const SINCE_TAKEN: &str = "(CASE WHEN last IS NULL AND owned_at IS NULL THEN created_at
                             ELSE MAX(IFNULL(last, 0), IFNULL(owned_at, 0)) END)";

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SearchHit {
    pub id: String,
    pub kind: Kind,
    pub title: String,
    pub subtitle: Option<String>,
    pub customer_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DuplicateCandidate {
    pub id: String,
    pub kind: Kind,
    pub title: String,
    /// Fields that matched: `name`, `phones`, `email`.
    pub matched: Vec<&'static str>,
}

const MAX_PAGE: usize = 500;

/// The SQL columns of a kind's projection, in the order `item_from_row` reads them.
fn select_columns(kind: Kind) -> Vec<String> {
    let mut cols: Vec<String> = META_COLUMNS.iter().map(|c| format!("t.{c}")).collect();
    for field in kind.spec().fields.iter().filter(|f| f.projected()) {
        cols.extend(columns(field).into_iter().map(|c| format!("t.{c}")));
    }
    cols
}

fn item_from_row(kind: Kind, row: &Row<'_>) -> rusqlite::Result<Item> {
    let mut fields = JsonMap::new();
    let mut i = META_COLUMNS.len();
    for field in kind.spec().fields.iter().filter(|f| f.projected()) {
        let value = if field.ty == FieldType::Money {
            let minor: Option<i64> = row.get(i)?;
            let currency: Option<String> = row.get(i + 1)?;
            i += 2;
            minor.map(|m| json!({ "minor": m, "currency": currency.unwrap_or_else(|| "CNY".into()) }))
        } else {
            let v = column_json(field.ty, row.get_ref(i)?);
            i += 1;
            (!v.is_null()).then_some(v)
        };
        if let Some(v) = value {
            fields.insert(field.name.to_string(), v);
        }
    }
    Ok(Item {
        id: row.get(0)?,
        kind,
        fields,
        deleted_at: row.get::<_, Option<i64>>(1)?.map(format_datetime),
        created_at: format_datetime(row.get(2)?),
        updated_at: format_datetime(row.get(4)?),
        has_conflicts: row.get(5)?,
        names: None,
        awaiting: None,
        refused: 0,
    })
}

/// Parse RFC 3339 or a plain date (midnight UTC) into milliseconds.
fn parse_moment(field: &str, s: &str) -> Result<i64> {
    parse_datetime(s)
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc().timestamp_millis())
        })
        .ok_or_else(|| Error::Validation(vec![FieldError::with(field, "invalid_datetime", json!({ "value": s }))]))
}

fn json_to_sql(field: &FieldSpec, v: &Json) -> Result<Sql> {
    let bad = || Error::Validation(vec![FieldError::with(field.name, "wrong_type", json!({ "value": v }))]);
    Ok(match (field.ty, v) {
        (FieldType::Bool, Json::Bool(b)) => Sql::Integer(i64::from(*b)),
        (FieldType::DateTime, Json::String(s)) => Sql::Integer(parse_moment(field.name, s)?),
        (FieldType::Quantity, v) => {
            Sql::Integer(crate::value::parse_quantity(field.name, v).map_err(|e| Error::Validation(vec![e]))?)
        }
        (_, Json::String(s)) => Sql::Text(s.clone()),
        (_, Json::Number(n)) => Sql::Integer(n.as_i64().ok_or_else(bad)?),
        _ => return Err(bad()),
    })
}

impl Store {
    /// A whole record, loaded from its document.
    pub fn get(&mut self, id: &str) -> Result<RecordView> {
        let kind = self.kind_of(id)?;
        let spec = kind.spec();
        let mut view = self.with_doc(id, |doc| {
            let mut fields = JsonMap::new();
            let mut conflicts = BTreeMap::new();
            let mut values: Vec<Option<FieldValue>> = spec.fields.iter().map(|f| doc.read(f)).collect();
            crate::domain::complete(kind, doc, &mut values);
            for (field, value) in spec.fields.iter().zip(values) {
                if let Some(v) = value {
                    fields.insert(field.name.to_string(), v.to_json());
                }
                let c = doc.conflicts(field);
                if !c.is_empty() {
                    conflicts.insert(field.name.to_string(), c);
                }
                conflicts.extend(doc.item_conflicts(field));
            }
            Ok(RecordView {
                id: id.to_string(),
                kind,
                fields,
                conflicts,
                extra: doc.extra_fields(kind),
                created_at: format_datetime(doc.created_at().unwrap_or(0)),
                created_by: doc.created_by(),
                updated_at: format_datetime(doc.updated_at()),
                deleted_at: doc.deleted_at().map(format_datetime),
                version: doc.version(),
                names: BTreeMap::new(),
                awaiting: None,
                refused: Vec::new(),
            })
        })?;
        view.awaiting = self.awaiting(id)?;
        view.refused = self.refused_notes(id)?;
        let mut mentioned: Vec<(Kind, String)> = Vec::new();
        for field in spec.fields {
            if let (FieldType::Ref(k), Some(Json::String(rid))) = (field.ty, view.fields.get(field.name)) {
                mentioned.push((k, rid.clone()));
            }
        }
        mentioned.extend(view.created_by.iter().map(|u| (Kind::User, u.clone())));
        // What the lines of a document point to (their products).
        for field in spec.fields {
            let (FieldType::Items(parts), Some(Json::Array(items))) = (field.ty, view.fields.get(field.name)) else {
                continue;
            };
            for part in parts {
                let FieldType::Ref(k) = part.ty else { continue };
                mentioned.extend(
                    items.iter().filter_map(|i| i.get(part.name).and_then(Json::as_str)).map(|id| (k, id.to_string())),
                );
            }
        }
        for candidates in view.conflicts.values() {
            mentioned.extend(candidates.iter().map(|c| (Kind::User, c.user_id.clone())));
        }
        for note in &view.refused {
            if let Some(by) = note.params.get("by").and_then(Json::as_str) {
                mentioned.push((Kind::User, by.to_string()));
            }
        }
        for field in spec.fields.iter().filter(|f| f.ty == FieldType::Log) {
            if let Some(Json::Array(entries)) = view.fields.get(field.name) {
                for by in entries.iter().filter_map(|e| e.get("by").and_then(Json::as_str)) {
                    mentioned.push((Kind::User, by.to_string()));
                }
            }
        }
        view.names = self.names(mentioned)?;
        Ok(view)
    }

    /// Display names for (kind, id) pairs that exist here.
    pub fn names(&self, ids: impl IntoIterator<Item = (Kind, String)>) -> Result<BTreeMap<String, String>> {
        let mut out = BTreeMap::new();
        for (kind, id) in ids {
            if out.contains_key(&id) {
                continue;
            }
            if let Some(title) = self.title_of(kind, &id)? {
                out.insert(id, title);
            }
        }
        Ok(out)
    }

    pub fn list(&self, kind: Kind, q: &ListQuery) -> Result<Page> {
        let spec = kind.spec();
        let table = kind.table();
        let mut wheres: Vec<String> = Vec::new();
        let mut args: Vec<Sql> = Vec::new();
        match q.deleted {
            Deleted::Exclude => wheres.push("t.deleted_at IS NULL".into()),
            Deleted::Only => wheres.push("t.deleted_at IS NOT NULL".into()),
            Deleted::Include => {}
        }
        let mut errors = Vec::new();
        for (name, value) in &q.filter {
            // A custom field (`custom_fields.KEY`): its value is a string in the JSON column.
            if let Some(key) = name.strip_prefix("custom_fields.") {
                if !crate::custom::customizable(kind) || !crate::custom::valid_key(key) {
                    errors.push(FieldError::new(name.clone(), "unknown_filter"));
                    continue;
                }
                // As the field's type keeps values (`09` is the number `9`).
                let def = crate::custom::defs(&self.conn, kind)?.into_iter().find(|d| d.key == key);
                let text = |v: &Json| {
                    let raw = match v {
                        Json::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    let normal = def.as_ref().and_then(|d| crate::custom::normalise(d, &raw).ok().flatten());
                    Sql::Text(normal.unwrap_or(raw))
                };
                if value.is_object() {
                    errors.push(FieldError::with(
                        name.clone(),
                        "bad_range",
                        json!({"expected": "a value, a list or null"}),
                    ));
                    continue;
                }
                args.push(Sql::Text(format!("$.{key}")));
                match value {
                    Json::Array(values) if !values.is_empty() => {
                        wheres.push(format!(
                            "json_extract(t.custom_fields, ?) IN ({})",
                            vec!["?"; values.len()].join(", ")
                        ));
                        args.extend(values.iter().map(text));
                    }
                    Json::Null => wheres.push("json_extract(t.custom_fields, ?) IS NULL".into()),
                    v => {
                        wheres.push("json_extract(t.custom_fields, ?) = ?".into());
                        args.push(text(v));
                    }
                }
                continue;
            }
            let Some(field) = spec.field(name).filter(|f| f.filterable()) else {
                errors.push(FieldError::new(name.clone(), "unknown_filter"));
                continue;
            };
            match value {
                Json::Array(values) if !values.is_empty() => {
                    wheres.push(format!("t.{} IN ({})", field.name, vec!["?"; values.len()].join(", ")));
                    for v in values {
                        args.push(json_to_sql(field, v)?);
                    }
                }
                Json::Null => wheres.push(format!("t.{} IS NULL", field.name)),
                // A range: `from` inclusive, `to` exclusive, either may be left out.
                Json::Object(range) if field.ty == FieldType::Date || field.ty.integer_column() => {
                    if range.is_empty() || range.keys().any(|k| k != "from" && k != "to") {
                        errors.push(FieldError::with(field.name, "bad_range", json!({"expected": ["from", "to"]})));
                        continue;
                    }
                    for (key, op) in [("from", ">="), ("to", "<")] {
                        if let Some(bound) = range.get(key) {
                            wheres.push(format!("t.{} {op} ?", field.name));
                            args.push(json_to_sql(field, bound)?);
                        }
                    }
                }
                v => {
                    wheres.push(format!("t.{} = ?", field.name));
                    args.push(json_to_sql(field, v)?);
                }
            }
        }
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
        if let Some(tag) = &q.tag {
            wheres.push("t.id IN (SELECT record_id FROM record_tags WHERE tag = ?)".into());
            args.push(Sql::Text(tag.clone()));
        }
        for (key, op, value) in [
            ("created_from", ">=", &q.created_from),
            ("created_to", "<", &q.created_to),
            ("updated_since", ">=", &q.updated_since),
        ] {
            if let Some(v) = value {
                let col = if key == "updated_since" { "updated_at" } else { "created_at" };
                wheres.push(format!("t.{col} {op} ?"));
                args.push(Sql::Integer(parse_moment(key, v)?));
            }
        }

        let sort = q.sort.as_deref().unwrap_or("created_at");
        let (sort_col, numeric) = match sort {
            "created_at" | "updated_at" => (sort.to_string(), true),
            name => match spec.field(name).filter(|f| f.sortable()) {
                Some(f) if f.ty == FieldType::Money => (format!("{}_minor", f.name), true),
                Some(f) => (f.name.to_string(), f.ty.integer_column()),
                None => return Err(Error::field("sort", "unknown_field")),
            },
        };
        let sort_expr = if numeric {
            format!("IFNULL(t.{sort_col}, -9223372036854775808)")
        } else {
            format!("IFNULL(t.{sort_col}, '')")
        };
        let where_sql = if wheres.is_empty() { String::new() } else { format!("WHERE {}", wheres.join(" AND ")) };
        let total: i64 = self
            .conn
            .prepare_cached(&format!("SELECT COUNT(*) FROM {table} t {where_sql}"))?
            .query_row(params_from_iter(args.iter()), |r| r.get(0))?;

        let (dir, cmp) = if q.desc { ("DESC", "<") } else { ("ASC", ">") };
        if let Some(cursor) = &q.after {
            let (value, id) = decode_cursor(cursor)?;
            wheres.push(format!("({sort_expr} {cmp} ? OR ({sort_expr} = ? AND t.id {cmp} ?))"));
            args.extend([value.clone(), value, Sql::Text(id)]);
        }
        let limit = q.limit.unwrap_or(50).clamp(1, MAX_PAGE);
        let where_sql = if wheres.is_empty() { String::new() } else { format!("WHERE {}", wheres.join(" AND ")) };
        let columns = select_columns(kind);
        let sort_index = columns.len();
        let sql = format!(
            "SELECT {}, {sort_expr} FROM {table} t {where_sql} ORDER BY {sort_expr} {dir}, t.id {dir} LIMIT {}",
            columns.join(", "),
            limit + 1
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params_from_iter(args.iter()))?;
        let mut items = Vec::new();
        let mut last_sort: Option<Sql> = None;
        let mut next = None;
        while let Some(row) = rows.next()? {
            if items.len() == limit {
                if let (Some(v), Some(prev)) = (last_sort.take(), items.last()) {
                    let prev: &Item = prev;
                    next = Some(encode_cursor(&v, &prev.id));
                }
                break;
            }
            last_sort = Some(row.get::<_, Sql>(sort_index)?);
            items.push(item_from_row(kind, row)?);
        }
        if q.names {
            for item in &mut items {
                item.names = Some(self.reference_names(kind, &item.fields)?);
            }
        }
        self.mark_status(&mut items)?;
        Ok(Page { items, next, total })
    }

    /// id -> title of the records `fields` refer to, for those on this device.
    pub(crate) fn reference_names(
        &self,
        kind: Kind,
        fields: &JsonMap<String, Json>,
    ) -> Result<BTreeMap<String, String>> {
        let mut names = BTreeMap::new();
        for field in kind.spec().fields {
            let (FieldType::Ref(target), Some(Json::String(id))) = (field.ty, fields.get(field.name)) else { continue };
            if let Some(title) = self.title_of(target, id)? {
                names.insert(id.clone(), title);
            }
        }
        Ok(names)
    }

    pub(crate) fn items_where(
        &self,
        kind: Kind,
        where_sql: &str,
        args: &[&dyn rusqlite::ToSql],
        order: &str,
        limit: usize,
    ) -> Result<Vec<Item>> {
        let sql = format!(
            "SELECT {} FROM {} t WHERE t.deleted_at IS NULL AND {where_sql} ORDER BY {order} LIMIT {limit}",
            select_columns(kind).join(", "),
            kind.table()
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(args, |r| item_from_row(kind, r))?;
        let mut items: Vec<Item> = rows.collect::<Result<_, _>>()?;
        self.mark_status(&mut items)?;
        Ok(items)
    }

    /// Give list items what their records show of the server's verdicts: a transition
    /// awaiting confirmation, refused edits not yet put away.
    fn mark_status(&self, items: &mut [Item]) -> Result<()> {
        let mut refused = self.conn.prepare_cached("SELECT COUNT(*) FROM rejected WHERE doc_id = ?")?;
        for item in items {
            item.awaiting = self.awaiting(&item.id)?;
            item.refused = refused.query_row([&item.id], |r| r.get::<_, i64>(0))? as usize;
        }
        Ok(())
    }

    /// A customer with its contacts, activity timeline (newest first) and opportunities.
    pub fn customer_360(&mut self, id: &str) -> Result<Customer360> {
        if self.kind_of(id)? != Kind::Customer {
            return Err(Error::NotFound(id.to_string()));
        }
        let customer = self.get(id)?;
        // The timeline names who a visit was with and who logged it, deleted contacts too.
        let mut activities = self.items_where(Kind::Activity, "t.customer = ?", &[&id], "t.time DESC", 200)?;
        for activity in &mut activities {
            activity.names = Some(self.reference_names(Kind::Activity, &activity.fields)?);
        }
        let opportunities = self.items_where(Kind::Opportunity, "t.customer = ?", &[&id], "t.expected_close", 200)?;
        let service_requests =
            self.items_where(Kind::ServiceRequest, "t.customer = ?", &[&id], "t.created_at DESC", 200)?;
        let churn_cases = self.items_where(Kind::ChurnCase, "t.customer = ?", &[&id], "t.episode DESC", 50)?;
        let mut events = Vec::new();
        for item in opportunities.iter().chain(&service_requests).chain(&churn_cases) {
            if item.deleted_at.is_some() {
                continue;
            }
            match self.with_doc(&item.id, |doc| Ok(timeline_events(item, doc))) {
                Ok(found) => events.extend(found),
                // Being fetched again (`store::load_doc`): the rest of the customer still shows.
                Err(Error::Corrupt(_)) => {}
                Err(e) => return Err(e),
            }
        }
        events.sort_by(|a, b| b.at.cmp(&a.at));
        let mut mentioned: Vec<(Kind, String)> =
            events.iter().filter_map(|e| e.by.clone()).map(|u| (Kind::User, u)).collect();
        mentioned.dedup();
        let names = self.names(mentioned)?;
        let mut customer = customer;
        customer.names.extend(names);
        Ok(Customer360 {
            contacts: self.items_where(Kind::Contact, "t.customer = ?", &[&id], "t.is_primary DESC, t.name", 200)?,
            activities,
            opportunities,
            service_requests,
            churn_cases,
            events,
            customer,
        })
    }

    /// Follow-ups due on or before `by` (a date): activities with a next follow-up date that
    /// no later activity on the same customer has answered yet. `owner: None` means everyone.
    pub fn follow_ups(&self, by: &str, owner: Option<&str>) -> Result<Vec<FollowUp>> {
        let today = crate::settings::today(&self.conn)?.format("%Y-%m-%d").to_string();
        let columns = select_columns(Kind::Activity);
        let name_index = columns.len();
        let cols = columns.join(", ");
        let sql = format!(
            "SELECT {cols}, c.name FROM p_activity t JOIN p_customer c ON c.id = t.customer
             WHERE t.deleted_at IS NULL AND c.deleted_at IS NULL
               AND t.next_follow_up IS NOT NULL AND t.next_follow_up <= ?1
               AND (?2 IS NULL OR t.owner = ?2)
               AND NOT EXISTS (SELECT 1 FROM p_activity n WHERE n.customer = t.customer
                               AND n.deleted_at IS NULL AND n.time > t.time)
             ORDER BY t.next_follow_up, t.time LIMIT 500"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![by, owner], |r| {
            let activity = item_from_row(Kind::Activity, r)?;
            let due = activity.fields.get("next_follow_up").and_then(Json::as_str).unwrap_or_default().to_string();
            Ok(FollowUp {
                customer_id: activity.fields.get("customer").and_then(Json::as_str).unwrap_or_default().to_string(),
                customer_name: r.get(name_index)?,
                overdue: due < today,
                due,
                activity,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The opportunity board: every stage in order with its count, money totals per
    /// currency and cards. `owner: None` means everyone's.
    pub fn pipeline(&self, owner: Option<&str>) -> Result<Vec<PipelineStage>> {
        let mut board: Vec<PipelineStage> = crate::kind::STAGES
            .iter()
            .map(|s| PipelineStage { stage: s.to_string(), count: 0, totals: Vec::new(), cards: Vec::new() })
            .collect();
        // Summed in two parts (millions and the rest) so no partial sum can overflow SQLite's
        // integers, then joined in 128 bits and capped: a total is never an error.
        let mut totals = self.conn.prepare_cached(
            "SELECT stage, COUNT(*), amount_currency, SUM(amount_minor / 1000000), SUM(amount_minor % 1000000)
             FROM p_opportunity WHERE deleted_at IS NULL AND (?1 IS NULL OR owner = ?1)
             GROUP BY stage, amount_currency",
        )?;
        let rows = totals.query_map(params![owner], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<i64>>(3)?,
                r.get::<_, Option<i64>>(4)?,
            ))
        })?;
        for row in rows {
            let (stage, count, currency, millions, rest) = row?;
            let Some(column) = board.iter_mut().find(|c| c.stage == stage) else { continue };
            column.count += count;
            if let (Some(currency), Some(millions), Some(rest)) = (currency, millions, rest) {
                let total = i128::from(millions) * 1_000_000 + i128::from(rest);
                let minor = total.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
                column.totals.push(MoneyTotal { minor, currency });
            }
        }
        for column in &mut board {
            column.totals.sort_by_key(|t| std::cmp::Reverse(t.minor));
        }
        let columns = select_columns(Kind::Opportunity);
        let name_index = columns.len();
        let sql = format!(
            "SELECT * FROM (
               SELECT {}, c.name, ROW_NUMBER() OVER (PARTITION BY t.stage ORDER BY t.updated_at DESC, t.id DESC) AS n
               FROM p_opportunity t LEFT JOIN p_customer c ON c.id = t.customer
               WHERE t.deleted_at IS NULL AND (?1 IS NULL OR t.owner = ?1))
             WHERE n <= ?2 ORDER BY updated_at DESC, id DESC",
            columns.join(", ")
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![owner, PIPELINE_CARDS as i64], |r| {
            Ok(PipelineCard { opportunity: item_from_row(Kind::Opportunity, r)?, customer_name: r.get(name_index)? })
        })?;
        for card in rows {
            let card = card?;
            let stage = card.opportunity.fields.get("stage").and_then(Json::as_str).unwrap_or_default().to_string();
            if let Some(column) = board.iter_mut().find(|c| c.stage == stage) {
                column.cards.push(card);
            }
        }
        Ok(board)
    }

    /// Customers with no activity in the last `days` days (or none at all), quietest first.
    pub fn dormant(&self, days: i64, owner: Option<&str>, limit: usize) -> Result<Vec<Dormant>> {
        let cutoff = now_ms().saturating_sub(days.max(0).saturating_mul(86_400_000));
        self.quiet_customers(owner, &Quiet { cutoff, by_grade: &[], since_taken: false }, limit)
    }

    /// Customers whose last business (their latest activity; with `since_taken`, their
    /// creation or when their owner took them, when later) is before a cutoff — one for all, or one per grade —
    /// quietest first. What the dormant list and churn warnings (`crate::domain::churn`) share.
    pub(crate) fn quiet_customers(&self, owner: Option<&str>, quiet: &Quiet<'_>, limit: usize) -> Result<Vec<Dormant>> {
        let now = now_ms();
        let columns = select_columns(Kind::Customer);
        let last_index = columns.len();
        let cols = columns.join(", ");
        let since = if quiet.since_taken { SINCE_TAKEN } else { "IFNULL(last, 0)" };
        let mut args: Vec<rusqlite::types::Value> =
            vec![owner.map(str::to_string).into(), quiet.cutoff.into(), (limit.clamp(1, MAX_PAGE) as i64).into()];
        let cutoff_sql = if quiet.by_grade.is_empty() {
            "?2".to_string()
        } else {
            let mut sql = String::from("CASE grade");
            for (grade, cutoff) in quiet.by_grade {
                args.push(grade.clone().into());
                args.push((*cutoff).into());
                sql.push_str(&format!(" WHEN ?{} THEN ?{}", args.len() - 1, args.len()));
            }
            sql + " ELSE ?2 END"
        };
        // Each customer's latest activity is looked up once (materialized), then only the
        // quiet customers are read in full.
        let sql = format!(
            "WITH q AS MATERIALIZED (
               SELECT t.id AS id, t.grade AS grade, t.owned_at AS owned_at, t.created_at AS created_at,
                      {LAST_ACTIVITY} AS last
               FROM p_customer t WHERE t.deleted_at IS NULL AND (?1 IS NULL OR t.owner = ?1)),
             quiet AS (SELECT id, last, {since} AS since FROM q WHERE {since} < {cutoff_sql})
             SELECT {cols}, quiet.last, quiet.since FROM quiet JOIN p_customer t ON t.id = quiet.id
             ORDER BY quiet.since, t.id LIMIT ?3"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| {
            let last: Option<i64> = r.get(last_index)?;
            Ok(Dormant {
                customer: item_from_row(Kind::Customer, r)?,
                last_activity_at: last.map(format_datetime),
                days_quiet: last.map(|l| (now - l) / 86_400_000),
                since: r.get(last_index + 1)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// When a customer's quiet time starts (UTC ms): see [`Quiet::since_taken`].
    pub(crate) fn quiet_since(&self, customer: &str) -> Result<i64> {
        let sql = format!(
            "SELECT {SINCE_TAKEN} FROM (SELECT {LAST_ACTIVITY} AS last, t.owned_at AS owned_at, t.created_at AS created_at
             FROM p_customer t WHERE t.id = ?)"
        );
        Ok(self.conn.prepare_cached(&sql)?.query_row([customer], |r| r.get(0))?)
    }

    /// Customers and contacts matching `query` anywhere in code, name, phone or email (or a
    /// name's pinyin initials). Exact code matches come first, then names equal to the query,
    /// starting with it, containing it, then the rest; customers before other kinds, shorter
    /// names first. Ranked on what the search index keeps (title, code), so only the hits
    /// returned are read from their records.
    pub fn search(&self, query: &str, kinds: &[Kind], limit: usize) -> Result<Vec<SearchHit>> {
        let q = query.trim().to_lowercase();
        // (place, not a customer, title length), the match and its kind.
        let mut ranked: Vec<((u8, bool, usize), search::Candidate, Kind)> = Vec::new();
        for candidate in search::candidates(&self.conn, &q, kinds, 400)? {
            // Only the kinds a hit is made for below: others found by their search fields
            // would take places in the ranking and then be left out.
            let Some(kind) = Kind::parse(&candidate.kind).filter(|k| SEARCH_HITS.contains(k)) else {
                continue;
            };
            if !kinds.is_empty() && !kinds.contains(&kind) {
                continue;
            }
            let title = candidate.title.to_lowercase();
            let code_exact = matches!(kind, Kind::Customer | Kind::Product)
                && candidate.code.as_deref().map(str::to_lowercase).as_deref() == Some(q.as_str());
            let place = if code_exact {
                0
            } else if title == q {
                1
            } else if title.starts_with(&q) {
                2
            } else if title.contains(&q) {
                3
            } else {
                4
            };
            let key = (place, kind != Kind::Customer, title.chars().count());
            ranked.push((key, candidate, kind));
        }
        ranked.sort_by(|a, b| (&a.0, &a.1.title).cmp(&(&b.0, &b.1.title)));
        ranked.truncate(limit.clamp(1, MAX_PAGE));
        let mut hits = Vec::with_capacity(ranked.len());
        for (_, candidate, kind) in ranked {
            let id = candidate.id;
            let hit = match kind {
                Kind::Customer => self
                    .conn
                    .prepare_cached("SELECT name, code, phones FROM p_customer WHERE id = ?")?
                    .query_row([&id], |r| {
                        let code: Option<String> = r.get(1)?;
                        Ok(SearchHit { id: id.clone(), kind, title: r.get(0)?, subtitle: code, customer_id: Some(id.clone()) })
                    }),
                Kind::Contact => self
                    .conn
                    .prepare_cached(
                        "SELECT t.name, t.customer, c.name FROM p_contact t LEFT JOIN p_customer c ON c.id = t.customer WHERE t.id = ?",
                    )?
                    .query_row([&id], |r| {
                        Ok(SearchHit { id: id.clone(), kind, title: r.get(0)?, subtitle: r.get(2)?, customer_id: r.get(1)? })
                    }),
                // A product by its name, with its code and specification.
                Kind::Product => self
                    .conn
                    .prepare_cached("SELECT name, code, spec FROM p_product WHERE id = ?")?
                    .query_row([&id], |r| {
                        let (code, spec): (Option<String>, Option<String>) = (r.get(1)?, r.get(2)?);
                        let subtitle = [code, spec].into_iter().flatten().collect::<Vec<_>>().join(" · ");
                        Ok(SearchHit { id: id.clone(), kind, title: r.get(0)?, subtitle: Some(subtitle), customer_id: None })
                    }),
                // A sales document by its code, with its customer's name.
                Kind::Quote | Kind::Contract | Kind::Order => self
                    .conn
                    .prepare_cached(&format!(
                        "SELECT t.code, t.customer, c.name FROM {} t LEFT JOIN p_customer c ON c.id = t.customer WHERE t.id = ?",
                        kind.table()
                    ))?
                    .query_row([&id], |r| {
                        Ok(SearchHit { id: id.clone(), kind, title: r.get(0)?, subtitle: r.get(2)?, customer_id: r.get(1)? })
                    }),
                // A lead by its person's name, with the company; an article by its title, with
                // its category.
                Kind::Lead | Kind::Article => self
                    .conn
                    .prepare_cached(&format!(
                        "SELECT {} FROM {} WHERE id = ?",
                        if kind == Kind::Lead { "name, company" } else { "title, category" },
                        kind.table()
                    ))?
                    .query_row([&id], |r| {
                        Ok(SearchHit { id: id.clone(), kind, title: r.get(0)?, subtitle: r.get(1)?, customer_id: None })
                    }),
                _ => continue,
            };
            if let Ok(hit) = hit {
                hits.push(hit);
            }
        }
        Ok(hits)
    }

    /// Records of the same kind with the same normalised name, phone or email.
    pub fn duplicates(
        &self,
        kind: Kind,
        fields: &[(&'static FieldSpec, Option<FieldValue>)],
    ) -> Result<Vec<DuplicateCandidate>> {
        let keys =
            duplicate::keys(kind, |f| fields.iter().find(|(s, _)| s.name == f.name).and_then(|(_, v)| v.clone()));
        let mut found: BTreeMap<String, Vec<&'static str>> = BTreeMap::new();
        let mut stmt = self.conn.prepare_cached("SELECT record_id FROM dup_keys WHERE kind = ? AND key = ?")?;
        for (key, field) in keys {
            let ids = stmt.query_map(params![kind.as_str(), key], |r| r.get::<_, String>(0))?;
            for id in ids {
                let matched = found.entry(id?).or_default();
                if !matched.contains(&field) {
                    matched.push(field);
                }
            }
        }
        let mut out = Vec::new();
        for (id, matched) in found {
            let title = self.title_of(kind, &id)?.unwrap_or_default();
            out.push(DuplicateCandidate { id, kind, title, matched });
        }
        Ok(out)
    }

    /// Entries of one dictionary (or all), in display order, retired ones included.
    pub fn dictionary(&self, dict: Option<&str>) -> Result<Vec<Item>> {
        self.items_where(Kind::DictEntry, "(?1 IS NULL OR t.dict = ?1)", &[&dict], "t.dict, t.sort_order, t.code", 5000)
    }
}

fn encode_cursor(value: &Sql, id: &str) -> String {
    let v = match value {
        Sql::Integer(n) => json!(n),
        Sql::Text(s) => json!(s),
        _ => Json::Null,
    };
    URL_SAFE_NO_PAD.encode(json!([v, id]).to_string())
}

fn decode_cursor(cursor: &str) -> Result<(Sql, String)> {
    let bad = || Error::field("after", "invalid_cursor");
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let json: Json = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    let value = match json.get(0) {
        Some(Json::Number(n)) => Sql::Integer(n.as_i64().ok_or_else(bad)?),
        Some(Json::String(s)) => Sql::Text(s.clone()),
        _ => return Err(bad()),
    };
    let id = json.get(1).and_then(Json::as_str).ok_or_else(bad)?.to_string();
    Ok((value, id))
}
