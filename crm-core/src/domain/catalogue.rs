//! Price lists loaded from a spreadsheet, as an ERP exports them: one row per rule, the rows
//! of one list sharing its name. (Products and stock rows are ordinary imports:
//! `crate::import` with kind `product` or `stock`.)
//!
//! Columns, by their headers in Chinese or English (any order, others ignored):
//! 价目表 / price list (required), 客户等级 / grade, 客户 / customer, 币种 / currency,
//! 生效日期 / valid from, 失效日期 / valid to, 产品编码 / product, 类别 / category,
//! 起订量 / min quantity, 价格 / price, 折扣 / percent off. A list in the file replaces the
//! rules of the live list of the same name (its other columns are taken from its first row);
//! a list not there yet is made.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{json, Map as JsonMap, Value as Json};

use crate::error::{Error, FieldError, Result};
use crate::import::values::{cell_value, header_key};
use crate::import::StoreLookup;
use crate::kind::{FieldSpec, FieldType, Kind};
use crate::store::Store;

/// What loading price lists did.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct LoadReport {
    /// The lists made and changed, by name.
    pub created: Vec<String>,
    pub updated: Vec<String>,
    /// Rules written in all.
    pub rules: usize,
    /// Rows left out, with why (their line in the file; the header is line 1).
    pub rejected: Vec<RejectedRow>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RejectedRow {
    pub line: usize,
    pub errors: Vec<FieldError>,
}

/// A list read from the file: the line of its first row, its fields, its rules.
type ListRows = (usize, JsonMap<String, Json>, Vec<Json>);

/// A column of the file: the list's field or the rule's part it fills.
#[derive(Clone, Copy)]
enum Target {
    List(&'static FieldSpec),
    Rule(&'static FieldSpec),
}

const HEADERS: &[(&str, &[&str])] = &[
    ("name", &["价目表", "价目表名称", "价格表", "price list", "list"]),
    ("grade", &["客户等级", "等级", "grade"]),
    ("customer", &["客户", "客户名称", "customer"]),
    ("currency", &["币种", "货币", "currency"]),
    ("valid_from", &["生效日期", "开始日期", "valid from", "from"]),
    ("valid_to", &["失效日期", "截止日期", "结束日期", "valid to", "to"]),
    ("product", &["产品编码", "产品", "物料编码", "货号", "product", "product code", "sku"]),
    ("category", &["类别", "产品类别", "分类", "category"]),
    ("min_quantity", &["起订量", "最小数量", "数量起", "min quantity", "minimum quantity"]),
    ("price", &["价格", "单价", "协议价", "price"]),
    ("percent_off", &["折扣", "折扣率", "优惠", "percent off", "discount"]),
];

fn target_of(header: &str) -> Option<Target> {
    let key = header_key(header);
    let (name, _) = HEADERS.iter().find(|(_, aliases)| aliases.iter().any(|a| header_key(a) == key))?;
    let list = Kind::PriceList.spec();
    let FieldType::Items(parts) = list.field("items")?.ty else { return None };
    match parts.iter().find(|p| p.name == *name) {
        Some(part) => Some(Target::Rule(part)),
        None => list.field(name).map(Target::List),
    }
}

impl Store {
    /// Load price lists from a CSV or Excel file (see the module's documentation). Admins
    /// only; every list is one edit, synced like any other.
    pub fn load_price_lists(&mut self, file_name: &str, bytes: &[u8]) -> Result<LoadReport> {
        self.check_may_write(Kind::PriceList)?;
        let sheet = crate::sheet::read(file_name, bytes)?;
        let targets: Vec<Option<Target>> = sheet.headers.iter().map(|h| target_of(h)).collect();
        if !targets.iter().any(|t| matches!(t, Some(Target::List(f)) if f.name == "name")) {
            return Err(Error::Validation(vec![FieldError::with(
                "name",
                "required",
                json!({ "detail": "the file needs a 价目表 (price list) column naming each row's list" }),
            )]));
        }
        let mut report = LoadReport::default();
        // Name → (the list's fields from its first row, its rules), in the file's order.
        let mut lists: BTreeMap<String, ListRows> = BTreeMap::new();
        {
            let lookup = StoreLookup::new(&self.conn)?;
            for (i, cells) in sheet.rows.iter().enumerate() {
                let line = i + 2;
                let mut list = JsonMap::new();
                let mut rule = JsonMap::new();
                let mut errors = Vec::new();
                for (target, cell) in targets.iter().zip(cells) {
                    let Some(target) = target else { continue };
                    let (field, into) = match target {
                        Target::List(f) => (*f, &mut list),
                        Target::Rule(f) => (*f, &mut rule),
                    };
                    match cell_value(field, cell, &lookup) {
                        Ok(Json::Null) => {}
                        Ok(v) => {
                            into.insert(field.name.to_string(), v);
                        }
                        Err(e) => errors.push(e),
                    }
                }
                let name = list.get("name").and_then(Json::as_str).map(str::to_string);
                if name.is_none() {
                    errors.push(FieldError::new("name", "required"));
                }
                if !rule.contains_key("product") && !rule.contains_key("category") {
                    errors.push(FieldError::with("product", "required", json!({ "or": "category" })));
                }
                if !errors.is_empty() {
                    report.rejected.push(RejectedRow { line, errors });
                    continue;
                }
                let name = name.unwrap_or_default();
                let entry = lists.entry(name).or_insert_with(|| (line, list, Vec::new()));
                entry.2.push(Json::Object(rule));
            }
        }
        let mut ordered: Vec<(String, ListRows)> = lists.into_iter().collect();
        ordered.sort_by_key(|(_, (line, _, _))| *line);
        for (name, (line, mut fields, rules)) in ordered {
            let count = rules.len();
            fields.insert("items".into(), Json::Array(rules));
            let existing: Option<String> = self
                .conn
                .prepare_cached(
                    "SELECT id FROM p_price_list WHERE name = ? AND deleted_at IS NULL ORDER BY created_at LIMIT 1",
                )?
                .query_row([&name], |r| r.get(0))
                .ok();
            let outcome = match &existing {
                Some(id) => self.update(id, &fields).map(|_| ()),
                None => self.create_record(Kind::PriceList, &fields).map(|_| ()),
            };
            match outcome {
                Ok(()) => {
                    report.rules += count;
                    if existing.is_some() { &mut report.updated } else { &mut report.created }.push(name);
                }
                Err(Error::Validation(errors)) => report.rejected.push(RejectedRow { line, errors }),
                Err(e) => return Err(e),
            }
        }
        self.queue_audit(
            "import",
            file_name,
            json!({"kind": "price_list", "file_name": file_name, "created": report.created.len(),
                   "updated": report.updated.len(), "rejected": report.rejected.len()}),
        )?;
        Ok(report)
    }
}
