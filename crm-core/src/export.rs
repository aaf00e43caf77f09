//! Records as spreadsheet rows, in the columns import reads back: the server's bulk export and
//! an admin's export of a list or of search results on the device write the same thing.

use std::collections::HashMap;

use crate::custom::Def;
use crate::document::RecordDoc;
use crate::kind::{FieldSpec, FieldType, Kind};
use crate::value::FieldValue;

/// What an export of `kind` has as columns: the fields import takes, then the active custom
/// fields (`custom_fields.KEY`).
pub struct Columns {
    fields: Vec<&'static FieldSpec>,
    custom: Vec<String>,
}

impl Columns {
    pub fn of(kind: Kind, custom: &[Def]) -> Columns {
        Columns {
            fields: crate::import::values::importable(kind).collect(),
            custom: custom.iter().filter(|d| d.active).map(|d| d.key.clone()).collect(),
        }
    }

    /// The header row: field names, and `custom_fields.KEY`, as import maps them.
    pub fn headers(&self) -> Vec<String> {
        let fields = self.fields.iter().map(|f| f.name.to_string());
        fields.chain(self.custom.iter().map(|k| format!("{}.{k}", crate::custom::FIELD))).collect()
    }

    /// One record's row; people named by username where `usernames` knows them.
    pub fn row(&self, doc: &RecordDoc, usernames: &HashMap<String, String>) -> Vec<String> {
        let mut row: Vec<String> = self
            .fields
            .iter()
            .map(|f| match (f.ty, doc.read(f)) {
                (FieldType::Ref(Kind::User), Some(FieldValue::Str(id))) => usernames.get(&id).cloned().unwrap_or(id),
                (_, Some(v)) => cell_text(&v),
                (_, None) => String::new(),
            })
            .collect();
        if !self.custom.is_empty() {
            let values = doc
                .kind()
                .and_then(|k| k.spec().field(crate::custom::FIELD))
                .and_then(|f| doc.read(f))
                .and_then(|v| match v {
                    FieldValue::Custom(map) => Some(map),
                    _ => None,
                })
                .unwrap_or_default();
            row.extend(self.custom.iter().map(|k| values.get(k).cloned().unwrap_or_default()));
        }
        row
    }
}

/// A value as a spreadsheet cell that import reads back the same.
pub fn cell_text(v: &FieldValue) -> String {
    match v {
        FieldValue::Str(s) | FieldValue::Notes(s) => s.clone(),
        FieldValue::Int(n) => n.to_string(),
        FieldValue::Bool(b) => if *b { "是" } else { "否" }.to_string(),
        FieldValue::Money(m) => {
            let sign = if m.minor < 0 { "-" } else { "" };
            format!("{sign}{}.{:02}", m.minor.abs() / 100, m.minor.abs() % 100)
        }
        FieldValue::DateTime(ms) => crate::value::format_datetime(*ms),
        FieldValue::Phones(p) => p.join(", "),
        FieldValue::Tags(t) => t.iter().cloned().collect::<Vec<_>>().join(", "),
        FieldValue::Place(p) => {
            format!("{}, {}", crate::value::format_decimal(p.lat, 6), crate::value::format_decimal(p.lng, 6))
        }
        other => other.to_json().to_string(),
    }
}

/// Most rows one export on the device writes.
pub const MAX_ROWS: usize = 100_000;

impl crate::Store {
    /// A list (its filters, as `list` takes them) or the given records (search results) of
    /// `kind` as a spreadsheet. Bulk export is the admin's alone; the server's audit log hears
    /// of it when this device is next connected (`export`, with the row count and filters).
    pub fn export_records(
        &mut self,
        kind: Kind,
        query: &crate::query::ListQuery,
        ids: Option<&[String]>,
        format: crate::sheet::Format,
    ) -> crate::Result<(Vec<u8>, usize)> {
        if self.person().role != crate::access::Role::Admin {
            return Err(crate::Error::Forbidden { action: "export", kind: kind.to_string() });
        }
        let given = ids.map(<[String]>::len);
        let ids: Vec<String> = match ids {
            Some(ids) => ids.iter().take(MAX_ROWS).cloned().collect(),
            None => {
                let mut q = query.clone();
                q.limit = Some(500);
                q.names = false;
                let mut out = Vec::new();
                loop {
                    let page = self.list(kind, &q)?;
                    out.extend(page.items.into_iter().map(|i| i.id));
                    match page.next {
                        Some(next) if out.len() < MAX_ROWS => q.after = Some(next),
                        _ => break,
                    }
                }
                out
            }
        };
        let columns = Columns::of(kind, &crate::custom::defs(&self.conn, kind)?);
        let usernames: HashMap<String, String> = self
            .conn
            .prepare("SELECT id, username FROM p_user WHERE username IS NOT NULL")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut rows = Vec::with_capacity(ids.len());
        for id in &ids {
            let row = self.with_doc(id, |doc| {
                Ok((doc.kind() == Some(kind) && doc.deleted_at().is_none()).then(|| columns.row(doc, &usernames)))
            });
            if let Ok(Some(row)) = row {
                rows.push(row);
            }
        }
        let bytes = crate::sheet::write(format, &columns.headers(), &rows)?;
        let detail = serde_json::json!({
            "rows": rows.len(),
            "format": if format == crate::sheet::Format::Csv { "csv" } else { "xlsx" },
            "filter": query.filter,
            "tag": query.tag,
            "created_from": query.created_from,
            "created_to": query.created_to,
            "search_results": given,
            "on_device": true,
        });
        self.queue_audit("export", kind.as_str(), detail)?;
        Ok((bytes, rows.len()))
    }
}
