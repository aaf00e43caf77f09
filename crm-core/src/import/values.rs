//! What a spreadsheet's columns and cells mean: a header guessed as a field (Chinese or
//! English, as Chinese companies' Excel files name them), and a cell's text turned into the
//! JSON value the field takes (full-width digits, phone lists, dictionary labels in either
//! language, dates in the common Chinese forms, amounts with 元 and 万).

use chrono::{Local, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use serde_json::{json, Value as Json};

use crate::error::FieldError;
use crate::kind::{FieldSpec, FieldType, Kind};

/// Headers that name a field, beyond its own name (`phones`) and that name with spaces
/// (`tax id`). Shared by every kind: a `name` is a customer's 客户名称 and a contact's 姓名.
const ALIASES: &[(&str, &[&str])] = &[
    (
        "name",
        &[
            "名称",
            "姓名",
            "客户名称",
            "客户名",
            "客户",
            "公司名称",
            "公司",
            "单位名称",
            "单位",
            "企业名称",
            "产品名称",
            "商品名称",
            "品名",
            "product name",
            "company",
            "customer",
            "customer name",
            "full name",
        ],
    ),
    (
        "code",
        &[
            "编号",
            "客户编号",
            "客户编码",
            "编码",
            "代码",
            "客户代码",
            "产品编码",
            "产品编号",
            "物料编码",
            "货号",
            "id",
            "number",
            "no",
            "sku",
        ],
    ),
    ("spec", &["规格", "型号", "规格型号", "model", "specification"]),
    ("unit", &["单位", "计量单位", "uom"]),
    ("category", &["类别", "产品类别", "产品分类", "分类", "品类"]),
    ("list_price", &["价格", "单价", "标准价", "售价", "销售价", "零售价", "指导价", "list price", "price"]),
    ("tax_rate", &["税率", "增值税率", "tax", "vat"]),
    ("product", &["产品", "产品编码", "物料编码", "货号", "商品", "sku", "product code"]),
    ("warehouse", &["仓库", "库房", "仓库名称", "store", "depot"]),
    ("quantity", &["数量", "库存", "库存数量", "现存量", "结存数量", "qty", "stock"]),
    ("as_of", &["日期", "盘点日期", "截止日期", "时间", "date", "as of"]),
    (
        "phones",
        &[
            "电话",
            "手机",
            "手机号",
            "手机号码",
            "联系电话",
            "电话号码",
            "固话",
            "座机",
            "phone",
            "mobile",
            "tel",
            "telephone",
            "phone number",
        ],
    ),
    ("email", &["邮箱", "电子邮件", "电子邮箱", "邮件", "e-mail", "mail"]),
    ("address", &["地址", "详细地址", "公司地址", "通讯地址", "addr"]),
    ("grade", &["等级", "客户等级", "级别", "客户级别", "level", "class"]),
    ("type", &["类型", "客户类型", "类别", "客户类别", "分类", "category"]),
    ("status", &["状态", "客户状态"]),
    ("source", &["来源", "客户来源", "渠道", "lead source"]),
    ("industry", &["行业", "所属行业"]),
    ("region", &["地区", "区域", "所属区域", "省份", "城市", "area", "city", "province"]),
    ("website", &["网址", "网站", "官网", "主页", "url", "web"]),
    (
        "owner",
        &[
            "负责人",
            "客户经理",
            "业务员",
            "销售",
            "销售员",
            "归属人",
            "所属人",
            "account manager",
            "salesperson",
            "sales",
        ],
    ),
    (
        "tax_id",
        &["税号", "纳税人识别号", "统一社会信用代码", "社会信用代码", "信用代码", "税务登记号", "tax id", "tax number"],
    ),
    ("tags", &["标签", "tag"]),
    ("notes", &["备注", "说明", "描述", "remark", "remarks", "note", "comment", "comments", "description"]),
    ("title", &["职务", "职位", "岗位", "主题", "标题", "position", "job title", "subject"]),
    ("customer", &["所属客户", "客户名称", "客户", "公司", "company", "customer name"]),
    ("subject", &["主题", "标题", "事由"]),
    ("time", &["时间", "日期", "拜访时间", "拜访日期", "date"]),
    ("amount", &["金额", "预计金额", "amount", "value"]),
    ("stage", &["阶段", "销售阶段"]),
    ("probability", &["可能性", "赢率", "成功率", "probability (%)"]),
    ("expected_close", &["预计成交日期", "预计成交", "预计签约日期", "close date"]),
    ("is_primary", &["主联系人", "首要联系人", "primary"]),
];

/// Headers that name a customer row's contact (its name); the contact's other columns follow it.
const CONTACT_NAME: &[&str] = &["联系人", "联系人姓名", "联系人名称", "contact", "contact name", "contact person"];
/// A contact's columns in a customer row, after its name.
const CONTACT_FIELDS: &[(&str, &[&str])] = &[
    (
        "phones",
        &["电话", "手机", "手机号", "手机号码", "联系电话", "联系人电话", "联系人手机", "phone", "mobile", "tel"],
    ),
    ("email", &["邮箱", "电子邮件", "电子邮箱", "联系人邮箱", "email", "e-mail"]),
    ("title", &["职务", "职位", "岗位", "联系人职务", "title", "position", "job title"]),
];

/// Fields a spreadsheet can fill for `kind`.
pub fn importable(kind: Kind) -> impl Iterator<Item = &'static FieldSpec> {
    kind.spec().fields.iter().filter(|f| {
        !f.derived
            && !matches!(f.ty, FieldType::Log | FieldType::Steps | FieldType::Custom | FieldType::Items(_))
            && !["pool_reason", "owned_at", "deleted_at", "handling_log"].contains(&f.name)
    })
}

/// Lower case, half-width, without spaces, `*` and "(必填)"-style notes, and `:`.
pub fn header_key(header: &str) -> String {
    let half = half_width(header).to_lowercase();
    let mut out = String::new();
    let mut depth = 0;
    for c in half.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = (depth - 1).max(0),
            _ if depth > 0 => {}
            '*' | ':' | ' ' | '_' | '\t' => {}
            c => out.push(c),
        }
    }
    out
}

fn matches(key: &str, name: &str, aliases: &[&str]) -> bool {
    key == header_key(name) || aliases.iter().any(|a| header_key(a) == key)
}

fn aliases_of(name: &str) -> &'static [&'static str] {
    ALIASES.iter().find(|(n, _)| *n == name).map(|(_, a)| *a).unwrap_or(&[])
}

/// Split a trailing number off a header key: `联系人2` → (`联系人`, Some(2)).
fn numbered(key: &str) -> (&str, Option<usize>) {
    let digits = key.len() - key.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 || digits == key.len() {
        return (key, None);
    }
    let (base, n) = key.split_at(key.len() - digits);
    (base, n.parse().ok())
}

/// The field each column fills (`None`: left out), guessed from the headers. Customer rows
/// may hold contacts: a 联系人 column starts one (`contacts.1.name`), and the phone, email and
/// title columns after it are that contact's (`contacts.1.phones`). Phone and tag columns may
/// repeat (电话 and 手机 both add numbers); other fields are filled by one column. A column
/// headed by a custom field's label (either language) or key fills it (`custom_fields.KEY`).
pub fn guess(kind: Kind, headers: &[String], custom: &[crate::custom::Def]) -> Vec<Option<String>> {
    let fields: Vec<&FieldSpec> = importable(kind).collect();
    let mut used: Vec<String> = Vec::new();
    let mut contact: Option<usize> = None;
    let mut contacts = 0;
    let mut out = Vec::with_capacity(headers.len());
    for header in headers {
        let key = header_key(header);
        let (base, n) = numbered(&key);
        let mut target = None;
        if kind == Kind::Customer && CONTACT_NAME.iter().any(|a| header_key(a) == base) {
            contacts = n.unwrap_or(contacts + 1).max(1);
            contact = Some(contacts);
            target = Some(format!("contacts.{contacts}.name"));
        } else if let Some(k) = contact.filter(|_| kind == Kind::Customer) {
            let k = n.unwrap_or(k);
            target = CONTACT_FIELDS
                .iter()
                .find(|(name, aliases)| matches(base, name, aliases))
                .map(|(name, _)| format!("contacts.{k}.{name}"));
        }
        if target.is_none() {
            target = fields
                .iter()
                .find(|f| {
                    let repeatable = matches!(f.ty, FieldType::Phones | FieldType::Tags);
                    (repeatable || !used.iter().any(|u| u == f.name))
                        && (matches(&key, f.name, aliases_of(f.name)) || matches(&key, &f.name.replace('_', " "), &[]))
                })
                .map(|f| f.name.to_string());
        }
        if target.is_none() {
            target = custom
                .iter()
                .filter(|d| d.active)
                .find(|d| {
                    [Some(d.label_zh.as_str()), d.label_en.as_deref(), Some(d.key.as_str())]
                        .into_iter()
                        .flatten()
                        .any(|label| header_key(label) == key)
                })
                .map(|d| d.path());
        }
        if let Some(t) = &target {
            if used.contains(t) && !t.ends_with("phones") && !t.ends_with("tags") {
                target = None;
            } else {
                used.push(t.clone());
            }
        }
        out.push(target);
    }
    out
}

/// Full-width ASCII (`１３８`, `ＡＢＣ`, `（`) as half-width, the ideographic space as a space.
pub fn half_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            c => c,
        })
        .collect()
}

/// Lookups a cell needs from the store: dictionary labels and references by name.
pub trait Lookup {
    /// The code of an entry of `dict` whose code or label (either language) is `text`.
    fn dict_code(&self, dict: &str, text: &str) -> Option<String>;
    /// The id of a record of `kind` named by `text` (its id, code, username or name).
    fn reference(&self, kind: Kind, text: &str) -> Option<String>;
}

/// A cell's text as the JSON value `field` takes (`Null` for an empty cell), or why not.
pub fn cell_value(field: &FieldSpec, text: &str, lookup: &dyn Lookup) -> Result<Json, FieldError> {
    let raw = text.trim();
    if raw.is_empty() {
        return Ok(Json::Null);
    }
    let half = half_width(raw);
    let t = half.trim();
    let name = field.name;
    let invalid = |reason: &'static str| FieldError::with(name, reason, json!({ "value": raw }));
    Ok(match field.ty {
        FieldType::Str { .. } | FieldType::Notes => json!(raw),
        FieldType::Email => json!(t.to_lowercase()),
        FieldType::Enum(choices) => {
            let hit = choices.iter().find(|c| c.eq_ignore_ascii_case(t));
            json!(hit.map(|c| c.to_string()).unwrap_or_else(|| t.to_string()))
        }
        FieldType::Dict(dict) => match lookup.dict_code(dict, t) {
            Some(code) => json!(code),
            None => {
                return Err(FieldError::with(
                    name,
                    "unknown_dictionary_value",
                    json!({ "value": raw, "dictionary": dict }),
                ))
            }
        },
        FieldType::Ref(kind) => match lookup.reference(kind, t) {
            Some(id) => json!(id),
            None => return Err(invalid("unknown_reference")),
        },
        FieldType::Int { .. } => {
            let digits: String = t.trim_end_matches('%').chars().filter(|c| *c != ',').collect();
            json!(digits.parse::<i64>().map_err(|_| invalid("wrong_type"))?)
        }
        FieldType::Bool => match t.to_lowercase().as_str() {
            "是" | "y" | "yes" | "true" | "1" | "√" | "✓" | "对" => json!(true),
            "否" | "n" | "no" | "false" | "0" | "×" | "不是" => json!(false),
            _ => return Err(invalid("wrong_type")),
        },
        FieldType::Money => {
            json!({ "minor": money_minor(t).ok_or_else(|| invalid("invalid_amount"))?, "currency": "CNY" })
        }
        FieldType::Date => json!(date(t).ok_or_else(|| invalid("invalid_date"))?.format("%Y-%m-%d").to_string()),
        FieldType::DateTime => {
            let moment = datetime(t).ok_or_else(|| invalid("invalid_datetime"))?;
            json!(moment)
        }
        FieldType::Phones => json!(split(&half, &[',', ';', '、', '，', '；', '/', '\n'])
            .into_iter()
            .map(|p| p.chars().filter(|c| !c.is_whitespace() || *c == ' ').collect::<String>().trim().to_string())
            .collect::<Vec<_>>()),
        FieldType::Tags => json!(split(raw, &[',', ';', '、', '，', '；', '|', '\n'])),
        // Written in yuan as people do (`1,150.00`, `¥1150`), kept in fen.
        FieldType::Amount => json!(money_minor(t).ok_or_else(|| invalid("invalid_amount"))?),
        // `13%`, `13` and `0.13` are all 13 %.
        FieldType::Rate => {
            let text = t.trim_end_matches(['%', '％']).trim();
            let bp = match crate::value::parse_thousandths(text) {
                Some(n) if !t.ends_with(['%', '％']) && text.contains('.') && n < 1000 => n * 10,
                Some(n) => n / 10,
                None => return Err(invalid("wrong_type")),
            };
            json!(bp)
        }
        FieldType::Quantity => {
            let digits: String = t.chars().filter(|c| *c != ',').collect();
            match crate::value::parse_thousandths(&digits) {
                Some(n) => json!(crate::value::format_thousandths(n)),
                None => return Err(invalid("invalid_quantity")),
            }
        }
        // `31.230416, 121.473701` (latitude, longitude), as maps and spreadsheets write them.
        FieldType::Place => match split(t, &[',', '，', ' ', ';']).as_slice() {
            [lat, lng] => json!({ "lat": lat, "lng": lng }),
            _ => return Err(invalid("invalid_place")),
        },
        FieldType::Steps | FieldType::Log | FieldType::Custom | FieldType::Items(_) | FieldType::Blob => {
            return Err(invalid("not_importable"))
        }
    })
}

fn split(s: &str, on: &[char]) -> Vec<String> {
    s.split(|c| on.contains(&c)).map(str::trim).filter(|p| !p.is_empty()).map(str::to_string).collect()
}

/// An amount in minor units (fen), exactly: `¥1,234.50`, `1234.5元`, `12.5万`, `-3`.
pub fn money_minor(text: &str) -> Option<i64> {
    let mut t: String = text.chars().filter(|c| !matches!(c, ',' | ' ' | '¥' | '￥')).collect();
    for suffix in ["人民币", "元", "rmb", "cny", "RMB", "CNY"] {
        if let Some(rest) = t.strip_suffix(suffix) {
            t = rest.to_string();
        }
    }
    let (t, scale) = match t.strip_suffix('万') {
        Some(rest) => (rest.to_string(), 6), // 万 = 10^4 yuan = 10^6 fen
        None => (t, 2),
    };
    let (negative, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.as_str()),
    };
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty() && frac.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > scale
    {
        return None;
    }
    let mut digits = format!("{whole}{frac}");
    digits.extend(std::iter::repeat_n('0', scale - frac.len()));
    let minor: i64 = digits.parse().ok()?;
    Some(if negative { -minor } else { minor })
}

/// A calendar date as people type it: `2024-03-05`, `2024/3/5`, `2024.3.5`, `2024年3月5日`,
/// `20240305`, or an Excel serial day number.
pub fn date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    let t = t.split([' ', 'T']).next().unwrap_or(t);
    let unified: String = t
        .trim_end_matches('日')
        .trim_end_matches('号')
        .chars()
        .map(|c| if matches!(c, '/' | '.' | '年' | '月') { '-' } else { c })
        .collect();
    if let Ok(d) = NaiveDate::parse_from_str(&unified, "%Y-%m-%d") {
        return Some(d);
    }
    if t.len() == 8 && t.chars().all(|c| c.is_ascii_digit()) {
        return NaiveDate::parse_from_str(t, "%Y%m%d").ok();
    }
    if let Ok(serial) = t.parse::<f64>() {
        if (20_000.0..80_000.0).contains(&serial) {
            return date(&crate::sheet::excel_serial_date(serial, false));
        }
    }
    None
}

/// A moment: RFC 3339, or a date with an optional `HH:MM[:SS]` in this device's time zone.
pub fn datetime(text: &str) -> Option<String> {
    let t = text.trim();
    if crate::value::parse_datetime(t).is_some() {
        return Some(t.to_string());
    }
    let d = date(t)?;
    let time = t
        .split_once([' ', 'T'])
        .and_then(|(_, rest)| {
            let rest = rest.trim();
            NaiveTime::parse_from_str(rest, "%H:%M:%S").or_else(|_| NaiveTime::parse_from_str(rest, "%H:%M")).ok()
        })
        .unwrap_or(NaiveTime::MIN);
    let local = Local.from_local_datetime(&NaiveDateTime::new(d, time)).earliest()?;
    Some(local.with_timezone(&chrono::Utc).to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoLookup;
    impl Lookup for NoLookup {
        fn dict_code(&self, _: &str, text: &str) -> Option<String> {
            (text == "A类").then(|| "A".to_string())
        }
        fn reference(&self, _: Kind, _: &str) -> Option<String> {
            None
        }
    }

    #[test]
    fn headers_are_guessed_in_chinese_and_english_with_contacts_after_their_name() {
        let headers: Vec<String> =
            ["客户名称*", "电话", "地址", "等级", "联系人", "手机", "职务", "联系人2", "手机2", "备注 (选填)", "???"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        let guessed = guess(Kind::Customer, &headers, &[]);
        let want = [
            Some("name"),
            Some("phones"),
            Some("address"),
            Some("grade"),
            Some("contacts.1.name"),
            Some("contacts.1.phones"),
            Some("contacts.1.title"),
            Some("contacts.2.name"),
            Some("contacts.2.phones"),
            Some("notes"),
            None,
        ];
        assert_eq!(guessed, want.map(|w| w.map(str::to_string)).to_vec());
        let english: Vec<String> =
            ["Customer Name", "Phone", "E-mail", "Tax ID"].iter().map(|s| s.to_string()).collect();
        assert_eq!(
            guess(Kind::Customer, &english, &[]),
            vec![Some("name".into()), Some("phones".into()), Some("email".into()), Some("tax_id".into())]
        );
    }

    #[test]
    fn cells_are_normalised() {
        let spec = Kind::Customer.spec();
        let f = |name: &str| spec.field(name).unwrap();
        assert_eq!(
            cell_value(f("phones"), "１３８００００１１１１，0571-8888 5678", &NoLookup).unwrap(),
            json!(["13800001111", "0571-8888 5678"])
        );
        assert_eq!(cell_value(f("grade"), "A类", &NoLookup).unwrap(), json!("A"));
        let err = cell_value(f("grade"), "Z", &NoLookup).unwrap_err();
        assert_eq!(err.reason, "unknown_dictionary_value");
        assert_eq!(cell_value(f("email"), " Li@Example.COM ", &NoLookup).unwrap(), json!("li@example.com"));
        for typed in ["2024-03-05", "2024/3/5", "2024.3.5", "2024年3月5日", "20240305", "45356"] {
            assert_eq!(date(typed), NaiveDate::from_ymd_opt(2024, 3, 5), "{typed}");
        }
        assert_eq!(date("2024-02-30"), None);
        assert_eq!(money_minor("¥1,234.50"), Some(123_450));
        assert_eq!(money_minor("12.5万"), Some(12_500_000));
        assert_eq!(money_minor("3元"), Some(300));
        assert_eq!(money_minor("1.234"), None);
        assert_eq!(money_minor("abc"), None);
    }
}
