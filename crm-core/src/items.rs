//! Item lists ([`FieldType::Items`]): a document's lines, a payment plan's periods, a price
//! list's rules. Each item is an Automerge map in a list, with a stable `id` and one key per
//! part. Writing a list changes only what differs, item by item and part by part, matched by
//! id, so two devices adding items offline keep both, two devices changing different parts
//! of one item keep both changes, and the same part changed on two devices is a conflict
//! shown on that item (`FIELD.ITEM_ID.PART`) and resolved like any other.
//!
//! Parts are scalars: strings, codes, dates and references as strings, integers (amounts in
//! minor units), quantities as integer thousandths, booleans.

use std::collections::BTreeMap;

use automerge::{transaction::Transactable, AutoCommit, ObjId, ObjType, ReadDoc, ScalarValue, Value};
use serde_json::{json, Map as JsonMap, Value as Json};

use crate::document::{every_list_value, every_map_value};
use crate::error::{FieldError, Result};
use crate::kind::{FieldSpec, FieldType};
use crate::value::{FieldValue, MAX_ITEMS};

/// One item: its id and its parts' values.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Item {
    pub id: String,
    pub parts: BTreeMap<String, FieldValue>,
}

impl Item {
    /// A part's value, by name.
    pub fn get(&self, part: &str) -> Option<&FieldValue> {
        self.parts.get(part)
    }

    /// An integer part (an amount, a rate), or 0.
    pub fn int(&self, part: &str) -> i64 {
        match self.parts.get(part) {
            Some(FieldValue::Int(n) | FieldValue::Quantity(n)) => *n,
            _ => 0,
        }
    }

    /// A string part (a reference, a code, a date).
    pub fn text(&self, part: &str) -> Option<&str> {
        self.parts.get(part).and_then(FieldValue::as_str)
    }
}

/// Longest item id a client may choose.
const MAX_ID: usize = 40;

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Parse a list of items from request JSON: `[{id?, PART: value, …}, …]`. An item without an
/// id is new and gets one.
pub fn parse(name: &str, parts: &'static [FieldSpec], json: &Json) -> std::result::Result<Vec<Item>, FieldError> {
    let list =
        json.as_array().ok_or_else(|| FieldError::with(name, "wrong_type", json!({ "expected": "list of items" })))?;
    let mut out = Vec::with_capacity(list.len());
    for (i, entry) in list.iter().enumerate() {
        let obj = entry
            .as_object()
            .ok_or_else(|| FieldError::with(name, "wrong_type", json!({ "item": i, "expected": "object" })))?;
        let id = match obj.get("id") {
            None | Some(Json::Null) => uuid::Uuid::new_v4().simple().to_string(),
            Some(Json::String(s)) if valid_id(s) => s.clone(),
            Some(other) => return Err(FieldError::with(name, "invalid_item_id", json!({ "item": i, "value": other }))),
        };
        let mut item = Item { id, parts: BTreeMap::new() };
        for (key, value) in obj {
            if key == "id" {
                continue;
            }
            let part = parts
                .iter()
                .find(|p| p.name == key)
                .ok_or_else(|| FieldError::with(name, "unknown_part", json!({ "item": i, "part": key })))?;
            let parsed = crate::value::parse(part, value).map_err(|e| in_item(name, i, e))?;
            if let Some(v) = parsed {
                item.parts.insert(part.name.to_string(), v);
            }
        }
        out.push(item);
    }
    check(name, parts, &out)?;
    Ok(out)
}

/// A part's error as the list's: the field is the list, the item and part are parameters.
fn in_item(name: &str, i: usize, e: FieldError) -> FieldError {
    let mut params = match e.params {
        Json::Object(map) => map,
        _ => JsonMap::new(),
    };
    params.insert("item".into(), json!(i));
    params.insert("part".into(), json!(e.field));
    FieldError::with(name, e.reason, Json::Object(params))
}

/// The rules a list must satisfy however it arrived: at most [`MAX_ITEMS`] items, ids valid
/// and distinct, every part known and valid, the required parts filled.
pub fn check(name: &str, parts: &'static [FieldSpec], items: &[Item]) -> std::result::Result<(), FieldError> {
    if items.len() > MAX_ITEMS {
        return Err(FieldError::with(name, "too_many", json!({ "max": MAX_ITEMS })));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, item) in items.iter().enumerate() {
        if !valid_id(&item.id) || !seen.insert(item.id.as_str()) {
            return Err(FieldError::with(name, "invalid_item_id", json!({ "item": i, "value": item.id })));
        }
        for (key, value) in &item.parts {
            let part = parts
                .iter()
                .find(|p| p.name == key)
                .ok_or_else(|| FieldError::with(name, "unknown_part", json!({ "item": i, "part": key })))?;
            crate::value::check(part, value).map_err(|e| in_item(name, i, e))?;
        }
        if let Some(missing) = parts.iter().find(|p| p.required && !item.parts.contains_key(p.name)) {
            return Err(FieldError::with(name, "required", json!({ "item": i, "part": missing.name })));
        }
    }
    Ok(())
}

/// Items as the API gives them: `[{id, PART: value, …}, …]`.
pub fn to_json(items: &[Item]) -> Json {
    Json::Array(
        items
            .iter()
            .map(|item| {
                let mut obj = JsonMap::new();
                obj.insert("id".into(), json!(item.id));
                for (k, v) in &item.parts {
                    obj.insert(k.clone(), v.to_json());
                }
                Json::Object(obj)
            })
            .collect(),
    )
}

/// A new list of `items` as one value, for a record created in one step
/// ([`crate::document::RecordDoc::create`]): what [`write`] makes of them in an empty list.
pub fn fresh(items: &[Item]) -> automerge::hydrate::Value {
    let items: Vec<automerge::hydrate::Value> = items
        .iter()
        .map(|item| {
            let mut map: std::collections::HashMap<String, automerge::hydrate::Value> =
                item.parts.iter().filter_map(|(key, value)| Some((key.clone(), scalar(value)?.into()))).collect();
            map.insert("id".into(), ScalarValue::Str(item.id.as_str().into()).into());
            automerge::hydrate::Map::from(map).into()
        })
        .collect();
    items.into()
}

/// A part's value as Automerge stores it.
fn scalar(value: &FieldValue) -> Option<ScalarValue> {
    Some(match value {
        FieldValue::Str(s) => ScalarValue::Str(s.as_str().into()),
        FieldValue::Int(n) | FieldValue::Quantity(n) => ScalarValue::Int(*n),
        FieldValue::Bool(b) => ScalarValue::Boolean(*b),
        FieldValue::DateTime(ms) => ScalarValue::Timestamp(*ms),
        _ => return None,
    })
}

/// A stored scalar as a part of type `ty`, if it is one.
fn decode_part(ty: FieldType, s: &ScalarValue) -> Option<FieldValue> {
    match (ty, s) {
        (FieldType::Int { .. } | FieldType::Rate | FieldType::Amount, ScalarValue::Int(n)) => Some(FieldValue::Int(*n)),
        (FieldType::Quantity, ScalarValue::Int(n)) => Some(FieldValue::Quantity(*n)),
        (FieldType::Bool, ScalarValue::Boolean(b)) => Some(FieldValue::Bool(*b)),
        (FieldType::DateTime, ScalarValue::Timestamp(ms)) => Some(FieldValue::DateTime(*ms)),
        (
            FieldType::Str { .. }
            | FieldType::Enum(_)
            | FieldType::Dict(_)
            | FieldType::Date
            | FieldType::Ref(_)
            | FieldType::Email
            | FieldType::Blob,
            ScalarValue::Str(v),
        ) => Some(FieldValue::Str(v.to_string())),
        _ => None,
    }
}

fn item_id(d: &AutoCommit, obj: &ObjId) -> Option<String> {
    match d.get(obj, "id").ok().flatten()? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Str(v) => Some(v.to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// One pass over the list: each item's map, its id, its parts' winning values, and the
/// parts concurrent edits left in conflict. (One range read per item: reading part by part
/// costs several times as much on a long document.)
fn scan(d: &AutoCommit, list: &ObjId, parts: &'static [FieldSpec]) -> Vec<(ObjId, Item, Vec<&'static FieldSpec>)> {
    let mut out = Vec::new();
    for entry in d.list_range(list, ..) {
        if !matches!(entry.value, automerge::ValueRef::Object(ObjType::Map)) {
            continue;
        }
        let obj = entry.id();
        let mut id = None;
        let mut item = Item::default();
        let mut conflicted = Vec::new();
        for kv in d.map_range(&obj, ..) {
            let (key, conflict) = (kv.key.to_string(), kv.conflict);
            let value: Value<'static> = kv.value.into();
            let Value::Scalar(s) = value else { continue };
            if key == "id" {
                if let ScalarValue::Str(v) = s.as_ref() {
                    id = Some(v.to_string());
                }
                continue;
            }
            let Some(part) = parts.iter().find(|p| p.name == key) else { continue };
            if let Some(v) = decode_part(part.ty, &s) {
                item.parts.insert(part.name.to_string(), v);
            }
            if conflict {
                conflicted.push(part);
            }
        }
        if let Some(id) = id {
            item.id = id;
            out.push((obj, item, conflicted));
        }
    }
    out
}

/// The items of the list `list` (maps without an id, or parts it cannot read, are skipped).
pub fn decode(d: &AutoCommit, list: &ObjId, parts: &'static [FieldSpec]) -> Vec<Item> {
    scan(d, list, parts).into_iter().map(|(_, item, _)| item).collect()
}

/// Does the list hold only items: maps with a string id and known parts of the right
/// types, in every value concurrent edits kept?
pub fn is_clean(d: &AutoCommit, list: &ObjId, parts: &'static [FieldSpec]) -> bool {
    every_list_value(d, list, |v, obj| {
        let mut ids = 0;
        matches!(v, Value::Object(ObjType::Map))
            && every_map_value(d, obj, |k, v, _| {
                let Value::Scalar(s) = v else { return false };
                if k == "id" {
                    // One string id, never two kept by concurrent edits.
                    ids += 1;
                    return ids == 1 && matches!(s.as_ref(), ScalarValue::Str(_));
                }
                parts.iter().find(|p| p.name == k).is_some_and(|part| decode_part(part.ty, s).is_some())
            })
            && ids == 1
    })
}

/// Write the change from `base` (the list as the writer read it) to `items` (the list as
/// they want it) into the list as it is now, so what others changed since is kept:
/// - an item in `base` and not in `items` is deleted;
/// - an item in neither `base` nor the list is inserted after the item before it in `items`;
/// - a part whose value differs between `base` and `items` is written (emptied when `items`
///   leaves it out); a part the writer did not change keeps whatever it holds now;
/// - an item in `base` that is gone from the list now stays gone (its deletion wins, as it does
///   when Automerge merges a deletion with a concurrent edit);
/// - items others added since `base` stay.
///
/// Without `base` the list as it is now is the base: the list becomes `items`. Parts this
/// version does not know (not in `parts`) are never touched.
pub fn write(
    d: &mut AutoCommit,
    list: &ObjId,
    parts: &'static [FieldSpec],
    items: &[Item],
    base: Option<&[Item]>,
) -> Result<()> {
    let now;
    let base = match base {
        Some(b) => b,
        None => {
            now = decode(d, list, parts);
            &now
        }
    };
    let before: BTreeMap<&str, &Item> = base.iter().map(|i| (i.id.as_str(), i)).collect();
    let wanted: std::collections::HashSet<&str> = items.iter().map(|i| i.id.as_str()).collect();
    // Items the writer removed go first, from the end, so indexes stay valid.
    for i in (0..d.length(list)).rev() {
        let remove = match d.get(list, i)? {
            Some((Value::Object(ObjType::Map), obj)) => {
                item_id(d, &obj).is_some_and(|id| before.contains_key(id.as_str()) && !wanted.contains(id.as_str()))
            }
            _ => false,
        };
        if remove {
            d.delete(list, i)?;
        }
    }
    let mut position: BTreeMap<String, (usize, ObjId)> = BTreeMap::new();
    for i in 0..d.length(list) {
        if let Some((Value::Object(ObjType::Map), obj)) = d.get(list, i)? {
            if let Some(id) = item_id(d, &obj) {
                position.insert(id, (i, obj));
            }
        }
    }
    let empty = Item::default();
    let mut after: Option<usize> = None;
    for item in items {
        let was = before.get(item.id.as_str()).copied();
        let obj = match position.get(&item.id) {
            Some((i, obj)) => {
                after = Some(*i);
                obj.clone()
            }
            // Deleted since the writer read it.
            None if was.is_some() => continue,
            None => {
                let at = after.map_or(0, |i| i + 1);
                let obj = d.insert_object(list, at, ObjType::Map)?;
                d.put(&obj, "id", item.id.as_str())?;
                // Everything from `at` on moved one place along.
                for (i, _) in position.values_mut() {
                    if *i >= at {
                        *i += 1;
                    }
                }
                after = Some(at);
                for (key, value) in &item.parts {
                    if let Some(v) = scalar(value) {
                        d.put(&obj, key.as_str(), v)?;
                    }
                }
                continue;
            }
        };
        let was = was.unwrap_or(&empty);
        for part in parts {
            let want = item.parts.get(part.name);
            if want == was.parts.get(part.name) {
                continue;
            }
            match want.and_then(scalar) {
                Some(v) => {
                    let current = match d.get(&obj, part.name)? {
                        Some((Value::Scalar(s), _)) => Some(s.into_owned()),
                        _ => None,
                    };
                    if current.as_ref() != Some(&v) {
                        d.put(&obj, part.name, v)?;
                    }
                }
                None => {
                    if d.get(&obj, part.name)?.is_some() {
                        d.delete(&obj, part.name)?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// Parts of items that devices changed concurrently to different values: for each, the
/// path `ITEM_ID.PART` and every competing value with the operation that wrote it.
pub fn conflicts(d: &AutoCommit, list: &ObjId, parts: &'static [FieldSpec]) -> Vec<(String, Vec<(Json, ObjId)>)> {
    let mut out = Vec::new();
    for (obj, item, conflicted) in scan(d, list, parts) {
        let id = item.id;
        for part in conflicted {
            let all = d.get_all(&obj, part.name).unwrap_or_default();
            if all.len() < 2 {
                continue;
            }
            let values: Vec<(Json, ObjId)> = all
                .iter()
                .map(|(v, op)| {
                    let value = match v {
                        Value::Scalar(s) => decode_part(part.ty, s).map(|v| v.to_json()).unwrap_or(Json::Null),
                        _ => Json::Null,
                    };
                    (value, op.clone())
                })
                .collect();
            if values.iter().all(|(v, _)| *v == values[0].0) {
                continue;
            }
            out.push((format!("{id}.{}", part.name), values));
        }
    }
    out
}

/// Whether any item part is in conflict (what a list row's `has_conflicts` shows).
pub fn has_conflicts(d: &AutoCommit, list: &ObjId, parts: &'static [FieldSpec]) -> bool {
    // One pass; only parts the pass flags are looked up again.
    !conflicts(d, list, parts).is_empty()
}

/// Write one part of one item (resolving a conflict on it: `force` writes an equal value too).
pub fn write_part(
    d: &mut AutoCommit,
    list: &ObjId,
    item: &str,
    part: &FieldSpec,
    value: Option<&FieldValue>,
) -> Result<bool> {
    for i in 0..d.length(list) {
        let Some((Value::Object(ObjType::Map), obj)) = d.get(list, i)? else { continue };
        if item_id(d, &obj).as_deref() != Some(item) {
            continue;
        }
        match value.and_then(scalar) {
            Some(v) => d.put(&obj, part.name, v)?,
            None => d.delete(&obj, part.name)?,
        }
        return Ok(true);
    }
    Ok(false)
}
