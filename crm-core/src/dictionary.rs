//! Default reference data: the dictionaries a new company starts with, in zh-CN and en.
//! Admins add, rename and retire entries afterwards; these are only the starting point.

use uuid::Uuid;

pub struct DefaultEntry {
    pub dict: &'static str,
    pub code: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub order: i64,
}

/// Namespace for the name-based ids of dictionary entries.
const NAMESPACE: Uuid =
    Uuid::from_bytes([0x6f, 0x1c, 0x2a, 0x8e, 0x53, 0x0b, 0x4d, 0x7f, 0x9a, 0x41, 0x0e, 0x2d, 0x6b, 0x77, 0x13, 0xc5]);

/// The fields that hold codes of dictionary `dict`, with their kinds: where a code is in use.
pub fn fields_using(dict: &str) -> Vec<(crate::kind::Kind, &'static crate::kind::FieldSpec)> {
    let mut out = Vec::new();
    for kind in crate::kind::Kind::ALL {
        for field in kind.spec().fields {
            if matches!(field.ty, crate::kind::FieldType::Dict(d) if d == dict) {
                out.push((*kind, field));
            }
        }
    }
    out
}

/// The id of a dictionary entry: derived from (dictionary, code), the same on every device.
pub fn entry_id(dict: &str, code: &str) -> String {
    Uuid::new_v5(&NAMESPACE, format!("dict_entry:{dict}:{code}").as_bytes()).to_string()
}

/// (code, zh-CN label, en label)
type Entry = (&'static str, &'static str, &'static str);

const TABLE: &[(&str, &[Entry])] = &[
    (
        "customer_type",
        &[
            ("enterprise", "企业客户", "Enterprise"),
            ("individual", "个人客户", "Individual"),
            ("government", "政府机构", "Government"),
            ("distributor", "经销商", "Distributor"),
        ],
    ),
    (
        "customer_grade",
        &[("A", "A类（重点）", "A (key account)"), ("B", "B类", "B"), ("C", "C类", "C"), ("D", "D类", "D")],
    ),
    (
        "customer_status",
        &[
            ("prospect", "潜在客户", "Prospect"),
            ("active", "合作中", "Active"),
            ("dormant", "休眠", "Dormant"),
            ("at_risk", "流失风险", "At risk"),
            ("lost", "已流失", "Lost"),
        ],
    ),
    (
        "customer_source",
        &[
            ("referral", "转介绍", "Referral"),
            ("exhibition", "展会", "Trade show"),
            ("website", "官网", "Website"),
            ("cold_call", "电话开发", "Cold call"),
            ("field_visit", "陌生拜访", "Field visit"),
            ("partner", "合作伙伴", "Partner"),
        ],
    ),
    (
        "industry",
        &[
            ("manufacturing", "制造业", "Manufacturing"),
            ("wholesale", "批发贸易", "Wholesale"),
            ("retail", "零售", "Retail"),
            ("construction", "建筑工程", "Construction"),
            ("it", "信息技术", "IT"),
            ("healthcare", "医疗健康", "Healthcare"),
            ("education", "教育培训", "Education"),
            ("logistics", "物流运输", "Logistics"),
            ("food", "食品饮料", "Food & beverage"),
            ("agriculture", "农业", "Agriculture"),
            ("other", "其他", "Other"),
        ],
    ),
    (
        "region",
        &[
            ("north", "华北", "North China"),
            ("northeast", "东北", "Northeast China"),
            ("east", "华东", "East China"),
            ("central", "华中", "Central China"),
            ("south", "华南", "South China"),
            ("southwest", "西南", "Southwest China"),
            ("northwest", "西北", "Northwest China"),
        ],
    ),
    (
        "activity_outcome",
        &[
            ("positive", "积极", "Positive"),
            ("neutral", "一般", "Neutral"),
            ("negative", "消极", "Negative"),
            ("no_contact", "未联系上", "No contact"),
            ("ordered", "已下单", "Ordered"),
        ],
    ),
    (
        "service_type",
        &[
            ("inquiry", "咨询", "Inquiry"),
            ("complaint", "投诉", "Complaint"),
            ("suggestion", "建议", "Suggestion"),
            ("repair", "维修", "Repair"),
            ("installation", "安装", "Installation"),
            ("other", "其他", "Other"),
        ],
    ),
    (
        "product_category",
        &[
            ("equipment", "设备", "Equipment"),
            ("parts", "配件", "Parts"),
            ("consumables", "耗材", "Consumables"),
            ("service", "服务", "Service"),
            ("other", "其他", "Other"),
        ],
    ),
    (
        "payment_method",
        &[
            ("bank_transfer", "银行转账", "Bank transfer"),
            ("cash", "现金", "Cash"),
            ("acceptance", "承兑汇票", "Bank acceptance"),
            ("cheque", "支票", "Cheque"),
            ("wechat", "微信", "WeChat Pay"),
            ("alipay", "支付宝", "Alipay"),
        ],
    ),
    (
        "expense_category",
        &[
            ("transport", "交通", "Transport"),
            ("lodging", "住宿", "Lodging"),
            ("meals", "餐饮", "Meals"),
            ("entertainment", "招待", "Entertaining customers"),
            ("phone", "通讯", "Phone"),
            ("office", "办公", "Office supplies"),
            ("other", "其他", "Other"),
        ],
    ),
    (
        "article_category",
        &[
            ("product", "产品知识", "Product knowledge"),
            ("selling", "销售技巧", "Selling"),
            ("service", "售后服务", "After-sales service"),
            ("policy", "规章制度", "Policies"),
            ("faq", "常见问题", "FAQ"),
        ],
    ),
    (
        "campaign_type",
        &[
            ("exhibition", "展会", "Exhibition"),
            ("street", "地推", "Street promotion"),
            ("phone", "电话", "Phone"),
            ("online", "线上", "Online"),
            ("email", "邮件", "Email"),
            ("other", "其他", "Other"),
        ],
    ),
];

pub fn defaults() -> impl Iterator<Item = DefaultEntry> {
    TABLE.iter().flat_map(|(dict, entries)| {
        entries.iter().enumerate().map(move |(i, (code, zh, en))| DefaultEntry {
            dict,
            code,
            zh,
            en,
            order: (i as i64 + 1) * 10,
        })
    })
}

/// Codes of one default dictionary (the demo generator picks from these).
pub fn default_codes(dict: &str) -> Vec<&'static str> {
    TABLE.iter().filter(|(d, _)| *d == dict).flat_map(|(_, e)| e.iter().map(|(c, _, _)| *c)).collect()
}

/// The actor the default entries are written with, on every device and the server.
/// The default entries as records ([`crate::seed`]): byte-identical wherever they are made.
pub fn seed_records() -> crate::Result<Vec<crate::seed::Seeded>> {
    use crate::value::FieldValue;
    defaults()
        .map(|entry| {
            let values = [
                ("dict", FieldValue::Str(entry.dict.into())),
                ("code", FieldValue::Str(entry.code.into())),
                ("label_zh", FieldValue::Str(entry.zh.into())),
                ("label_en", FieldValue::Str(entry.en.into())),
                ("sort_order", FieldValue::Int(entry.order)),
                ("active", FieldValue::Bool(true)),
            ];
            crate::seed::record(entry_id(entry.dict, entry.code), crate::Kind::DictEntry, &values)
        })
        .collect::<crate::Result<Vec<_>>>()
        .map(|all| all.into_iter().flatten().collect())
}
