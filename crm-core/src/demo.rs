//! Deterministic, realistic demo data: Chinese company and person names, mobile phones,
//! regions, industries, visits with follow-ups and opportunities in every stage. The same
//! seed, size and base date always give the same records (ids are minted by the store).

use chrono::{Duration, NaiveDate};
use serde_json::{json, Map as JsonMap, Value as Json};

use crate::dictionary::default_codes;
use crate::error::Result;
use crate::kind::{Kind, ACTIVITY_TYPES, STAGES};
use crate::store::Store;

/// How much to generate. `DemoSize::benchmark()` is the reference data set.
#[derive(Debug, Clone, Copy)]
pub struct DemoSize {
    pub users: usize,
    pub customers: usize,
    pub contacts: usize,
    pub activities: usize,
    pub opportunities: usize,
}

impl DemoSize {
    pub fn benchmark() -> Self {
        DemoSize { users: 20, customers: 10_000, contacts: 30_000, activities: 50_000, opportunities: 5_000 }
    }

    /// `n` customers with the benchmark's proportions.
    pub fn scaled(customers: usize) -> Self {
        DemoSize {
            users: (customers / 500).clamp(3, 20),
            customers,
            contacts: customers * 3,
            activities: customers * 5,
            opportunities: customers / 2,
        }
    }
}

/// A small, fast, seedable generator (SplitMix64). Not for secrets.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const CITIES: &[&str] = &[
    "北京", "上海", "广州", "深圳", "杭州", "南京", "苏州", "成都", "重庆", "武汉", "西安", "天津", "青岛", "宁波",
    "厦门", "长沙", "郑州", "济南", "合肥", "福州", "无锡", "佛山", "东莞", "沈阳", "大连", "昆明", "南宁", "温州",
];
const BRAND: &[&str] = &[
    "华", "宏", "达", "新", "金", "恒", "泰", "盛", "鑫", "瑞", "丰", "德", "源", "通", "嘉", "信", "诚", "创", "汇",
    "博", "远", "安", "润", "祥", "凯", "明", "正", "天", "广", "永", "中", "海", "利", "辉", "佳", "兴",
];
const TRADE: &[&str] = &[
    "科技",
    "电子",
    "机械",
    "精密",
    "贸易",
    "实业",
    "建材",
    "食品",
    "物流",
    "医疗器械",
    "纺织",
    "化工",
    "软件",
    "五金",
    "包装",
    "环保",
    "新材料",
    "汽车配件",
    "家居",
    "农业",
];
const FORMS: &[&str] = &["有限公司", "有限公司", "有限公司", "股份有限公司", "有限责任公司", "集团有限公司"];
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林",
    "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "欧阳", "司马",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞",
    "平", "刚", "桂英", "建华", "志强", "海燕", "晓东", "文博", "子涵", "雨欣", "浩然", "思远", "嘉怡",
];
const TITLES: &[&str] =
    &["总经理", "采购经理", "技术总监", "财务主管", "销售总监", "行政主管", "董事长", "项目经理", "采购专员"];
const STREETS: &[&str] =
    &["人民路", "解放路", "中山路", "建设路", "和平路", "科技园路", "工业大道", "滨江大道", "高新路"];
const PINYIN: &[&str] =
    &["hua", "hong", "da", "xin", "jin", "heng", "tai", "sheng", "rui", "feng", "de", "yuan", "tong", "jia"];
const SUBJECTS: &[&str] = &[
    "季度回访",
    "新品介绍",
    "报价沟通",
    "合同细节确认",
    "售后问题跟进",
    "年度采购计划",
    "样品试用反馈",
    "付款进度沟通",
];
const PLACES: &[&str] = &["客户办公室", "客户工厂", "我司展厅", "电话", "视频会议", "展会现场"];
const TAGS: &[&str] = &["重点客户", "VIP", "老客户", "价格敏感", "需要样品", "年度框架", "新开发"];
const OPP_TITLES: &[&str] = &["年度采购框架", "设备升级项目", "新产线配套", "备件长期供应", "系统集成项目", "试点订单"];

fn person(rng: &mut Rng) -> String {
    format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN))
}

fn mobile(rng: &mut Rng) -> String {
    let prefix = *rng.pick(&["138", "139", "136", "137", "150", "151", "158", "186", "188", "135", "177", "199"]);
    format!("{prefix}{:04}{:04}", rng.below(10_000), rng.below(10_000))
}

fn map(pairs: Vec<(&str, Json)>) -> JsonMap<String, Json> {
    pairs.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.to_string(), v)).collect()
}

/// Numbers of records created by [`load`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Loaded {
    pub users: usize,
    pub customers: usize,
    pub contacts: usize,
    pub activities: usize,
    pub opportunities: usize,
}

impl Loaded {
    pub fn total(&self) -> usize {
        self.users + self.customers + self.contacts + self.activities + self.opportunities
    }
}

const BATCH: usize = 2_000;

fn bulk(store: &mut Store, kind: Kind, records: Vec<JsonMap<String, Json>>) -> Result<Vec<String>> {
    let mut ids = Vec::with_capacity(records.len());
    let mut records = records.into_iter().peekable();
    while records.peek().is_some() {
        let chunk: Vec<_> = records.by_ref().take(BATCH).map(|r| (kind, r)).collect();
        ids.extend(store.bulk_create(chunk)?);
    }
    Ok(ids)
}

/// Generate and store demo data. Dates are spread over the year before `today`, with
/// follow-ups around it, so the home screen has overdue, due and dormant items.
pub fn load(store: &mut Store, seed: u64, size: DemoSize, today: NaiveDate) -> Result<Loaded> {
    let mut rng = Rng::new(seed);
    let day = |offset: i64| (today + Duration::days(offset)).format("%Y-%m-%d").to_string();

    let mut users = vec![store.identity().user_id.clone()];
    let user_records: Vec<_> = (0..size.users)
        .map(|i| {
            let name = person(&mut rng);
            map(vec![
                ("username", json!(format!("sales{:02}", i + 1))),
                ("display_name", json!(name)),
                ("role", json!(if i == 0 { "supervisor" } else { "account_manager" })),
                ("phones", json!([mobile(&mut rng)])),
            ])
        })
        .collect();
    users.extend(bulk(store, Kind::User, user_records)?);

    let grades = default_codes("customer_grade");
    let statuses = default_codes("customer_status");
    let sources = default_codes("customer_source");
    let industries = default_codes("industry");
    let regions = default_codes("region");
    let types = default_codes("customer_type");
    let outcomes = default_codes("activity_outcome");

    let customers: Vec<_> = (0..size.customers)
        .map(|i| {
            let city = *rng.pick(CITIES);
            let brand = format!("{}{}", rng.pick(BRAND), rng.pick(BRAND));
            let name = format!("{city}{brand}{}{}", rng.pick(TRADE), rng.pick(FORMS));
            let domain = format!("{}{}{}", rng.pick(PINYIN), rng.pick(PINYIN), i);
            let tags: Vec<&str> = (0..rng.below(3)).map(|_| *rng.pick(TAGS)).collect();
            let notes = if rng.chance(40) {
                json!(format!("{}介绍，关注交期和价格，每季度回访一次。", person(&mut rng)))
            } else {
                Json::Null
            };
            map(vec![
                ("code", json!(format!("KH{:06}", i + 1))),
                ("name", json!(name)),
                ("type", json!(rng.pick(&types))),
                ("grade", json!(rng.pick(&grades))),
                ("status", json!(rng.pick(&statuses))),
                ("source", json!(rng.pick(&sources))),
                ("industry", json!(rng.pick(&industries))),
                ("region", json!(rng.pick(&regions))),
                ("address", json!(format!("{city}市{}{}号", rng.pick(STREETS), 1 + rng.below(999)))),
                ("phones", json!([format!("0{}-{:08}", 10 + rng.below(90), rng.below(100_000_000)), mobile(&mut rng)])),
                ("email", json!(format!("info@{domain}.com.cn"))),
                ("website", json!(format!("www.{domain}.com.cn"))),
                ("owner", json!(rng.pick(&users))),
                ("tags", json!(tags)),
                ("notes", notes),
            ])
        })
        .collect();
    let owners: Vec<String> = customers.iter().map(|c| c["owner"].as_str().unwrap_or_default().to_string()).collect();
    let customer_ids = bulk(store, Kind::Customer, customers)?;

    let contacts: Vec<_> = (0..size.contacts)
        .map(|i| {
            let c = i % customer_ids.len().max(1);
            map(vec![
                ("customer", json!(customer_ids[c])),
                ("name", json!(person(&mut rng))),
                ("title", json!(rng.pick(TITLES))),
                ("phones", json!([mobile(&mut rng)])),
                ("email", json!(format!("{}{}@{}.cn", rng.pick(PINYIN), i, rng.pick(PINYIN)))),
                ("is_primary", json!(i < customer_ids.len())),
            ])
        })
        .collect();
    let contact_ids = bulk(store, Kind::Contact, contacts)?;

    let activities: Vec<_> = (0..size.activities)
        .map(|i| {
            // Leave about a tenth of the customers without any activity (dormant).
            let c = rng.below(customer_ids.len().max(1) * 9 / 10 + 1).min(customer_ids.len().saturating_sub(1));
            let days_ago = rng.below(365) as i64;
            let time =
                (today - Duration::days(days_ago)).and_hms_opt(1 + rng.below(10) as u32, rng.below(60) as u32, 0);
            let follow_up = (days_ago < 30 && rng.chance(60)).then(|| day(rng.below(21) as i64 - 7));
            let contact =
                (!contact_ids.is_empty() && rng.chance(70)).then(|| contact_ids[c % contact_ids.len()].clone());
            map(vec![
                ("customer", json!(customer_ids[c])),
                ("contact", json!(contact)),
                ("type", json!(rng.pick(ACTIVITY_TYPES))),
                ("time", json!(time.map(|t| t.and_utc().to_rfc3339()))),
                ("place", json!(rng.pick(PLACES))),
                ("subject", json!(format!("{}（{}）", rng.pick(SUBJECTS), i % 97))),
                ("outcome", json!(rng.pick(&outcomes))),
                ("next_follow_up", json!(follow_up)),
                ("owner", json!(owners[c])),
            ])
        })
        .collect();
    let activity_ids = bulk(store, Kind::Activity, activities)?;

    let opportunities: Vec<_> = (0..size.opportunities)
        .map(|_| {
            let c = rng.below(customer_ids.len().max(1));
            let stage = *rng.pick(STAGES);
            let steps: Vec<Json> = (0..rng.below(3))
                .map(|s| json!({ "date": day(-30 + s as i64 * 10), "action": rng.pick(SUBJECTS), "result": rng.pick(&["已完成", "待跟进", "客户考虑中"]) }))
                .collect();
            map(vec![
                ("customer", json!(customer_ids[c])),
                ("title", json!(rng.pick(OPP_TITLES))),
                ("stage", json!(stage)),
                ("amount", json!({ "minor": (5 + rng.below(500)) as i64 * 1_000_000, "currency": "CNY" })),
                ("probability", json!(match stage { "won" => 100, "lost" => 0, _ => 10 + rng.below(80) })),
                ("expected_close", json!(day(rng.below(180) as i64 - 30))),
                ("owner", json!(owners[c])),
                ("plan_steps", json!(steps)),
            ])
        })
        .collect();
    let closed: Vec<Option<&str>> = opportunities
        .iter()
        .map(|o| match o.get("stage").and_then(Json::as_str) {
            Some("won") => Some("succeed"),
            Some("lost") => Some("fail"),
            _ => None,
        })
        .collect();
    let opportunity_ids = bulk(store, Kind::Opportunity, opportunities)?;
    // Won and lost ones are closed the way a person closes them: 开发成功 / 开发失败.
    for (id, transition) in opportunity_ids.iter().zip(closed) {
        let Some(name) = transition else { continue };
        let fields = match name {
            "fail" => map(vec![("loss_reason", json!("价格高于竞争对手"))]),
            _ => JsonMap::new(),
        };
        store.transition(id, name, &fields)?;
    }

    Ok(Loaded {
        users: users.len() - 1,
        customers: customer_ids.len(),
        contacts: contact_ids.len(),
        activities: activity_ids.len(),
        opportunities: opportunity_ids.len(),
    })
}

const SERVICE_TITLES: &[&str] =
    &["设备异响", "要求上门安装", "发票信息有误", "交货延迟投诉", "询问保修政策", "配件更换", "操作培训", "包装破损"];
const RELEASE_REASONS: &[&str] = &["客户暂无采购计划", "联系人离职，无法跟进", "区域调整"];

/// Workflow demo data on top of [`load`]: service requests for some of the customers this
/// person owns (new, waiting for a supervisor to assign them), and a few customers released
/// to the pool with a reason, for others to claim. Returns (requests, released).
pub fn workflows(store: &mut Store, seed: u64, today: NaiveDate) -> Result<(usize, usize)> {
    let mut rng = Rng::new(seed ^ 0x5e41_1ce5);
    let me = store.identity().user_id.clone();
    let mut stmt = store.connection().prepare(
        "SELECT c.id, (SELECT id FROM p_contact k WHERE k.customer = c.id AND k.deleted_at IS NULL LIMIT 1)
         FROM p_customer c WHERE c.owner = ? AND c.deleted_at IS NULL ORDER BY c.code LIMIT 400",
    )?;
    let mine: Vec<(String, Option<String>)> =
        stmt.query_map([&me], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<std::result::Result<_, _>>()?;
    drop(stmt);
    let types = default_codes("service_type");
    let requests: Vec<_> = mine
        .iter()
        .step_by(7)
        .map(|(customer, contact)| {
            let due = (today + Duration::days(rng.below(14) as i64 - 4)).format("%Y-%m-%d").to_string();
            map(vec![
                ("customer", json!(customer)),
                ("contact", json!(contact)),
                ("type", json!(rng.pick(&types))),
                ("priority", json!(rng.pick(crate::kind::PRIORITIES))),
                ("title", json!(rng.pick(SERVICE_TITLES))),
                ("due", json!(due)),
                ("description", json!(format!("客户来电反映：{}", rng.pick(SERVICE_TITLES)))),
            ])
        })
        .collect();
    let created = bulk(store, Kind::ServiceRequest, requests)?.len();
    let mut released = 0;
    for (customer, _) in mine.iter().skip(3).step_by(23).take(8) {
        let mut fields = JsonMap::new();
        fields.insert("pool_reason".into(), json!(rng.pick(RELEASE_REASONS)));
        store.transition(customer, "release", &fields)?;
        released += 1;
    }
    Ok((created, released))
}

/// One record as `create` makes it (one per subject for kinds with identity fields).
fn one(store: &mut Store, kind: Kind, fields: JsonMap<String, Json>) -> Result<String> {
    if kind.spec().identity.is_empty() {
        store.create_record(kind, &fields)
    } else {
        store.create_identified(kind, &fields)
    }
}

/// Products a machinery distributor sells: (name, spec, unit, category, price in yuan).
const PRODUCTS: &[(&str, &str, &str, &str, i64)] = &[
    ("液压泵", "HP-100/25MPa", "台", "equipment", 12_000),
    ("齿轮泵", "CB-B40", "台", "equipment", 3_600),
    ("伺服电机", "1.5kW 220V", "台", "equipment", 4_800),
    ("变频器", "7.5kW 380V", "台", "equipment", 5_200),
    ("空压机", "螺杆式 22kW", "台", "equipment", 36_000),
    ("减速机", "RV63 速比1:40", "台", "equipment", 2_100),
    ("电磁阀", "4V210-08", "个", "parts", 180),
    ("密封圈", "Φ25 丁腈", "个", "parts", 4),
    ("轴承", "6205-2RS", "套", "parts", 35),
    ("联轴器", "GR28", "个", "parts", 95),
    ("压力表", "0-40MPa", "块", "parts", 120),
    ("滤芯", "HX-63×10", "支", "consumables", 85),
    ("液压油", "46号 18L", "桶", "consumables", 420),
    ("润滑脂", "锂基 15kg", "桶", "consumables", 360),
    ("安装调试", "现场 1 人天", "次", "service", 800),
    ("年度保养", "含 2 次上门", "年", "service", 6_000),
];

/// The admin's part of the demo: the product catalogue, two price lists, a stock snapshot
/// and the approval threshold (5 % below the price lists without approval). Returns the
/// number of products.
pub fn catalogue(store: &mut Store, seed: u64) -> Result<usize> {
    let mut rng = Rng::new(seed ^ 0xca7a_1097);
    let products: Vec<_> = PRODUCTS
        .iter()
        .enumerate()
        .map(|(i, (name, spec, unit, category, yuan))| {
            map(vec![
                ("code", json!(format!("P{:04}", 1001 + i))),
                ("name", json!(name)),
                ("spec", json!(spec)),
                ("unit", json!(unit)),
                ("category", json!(category)),
                ("list_price", json!({"minor": yuan * 100, "currency": "CNY"})),
                ("tax_rate", json!(if *category == "service" { 600 } else { 1300 })),
            ])
        })
        .collect();
    let ids = bulk(store, Kind::Product, products)?;
    let mut create = |kind: Kind, fields: JsonMap<String, Json>| -> Result<()> {
        one(store, kind, fields)?;
        Ok(())
    };
    create(
        Kind::PriceList,
        map(vec![
            ("name", json!("A类客户协议价")),
            ("grade", json!("A")),
            (
                "items",
                json!([{"category": "equipment", "percent_off": 500}, {"category": "parts", "percent_off": 800}]),
            ),
        ]),
    )?;
    create(
        Kind::PriceList,
        map(vec![
            ("name", json!("批量价")),
            (
                "items",
                json!([{"product": ids[0], "min_quantity": 5, "price": 1_100_000}, {"category": "consumables", "min_quantity": 20, "percent_off": 1000}]),
            ),
        ]),
    )?;
    for (i, id) in ids.iter().enumerate() {
        if PRODUCTS[i].3 == "service" {
            continue;
        }
        for warehouse in ["苏州仓", "无锡仓"] {
            let quantity = rng.below(if PRODUCTS[i].3 == "equipment" { 12 } else { 400 });
            create(
                Kind::Stock,
                map(vec![("product", json!(id)), ("warehouse", json!(warehouse)), ("quantity", json!(quantity))]),
            )?;
        }
    }
    create(Kind::Setting, map(vec![("key", json!("sales.approval_discount_bp")), ("value", json!(500))]))?;
    Ok(ids.len())
}

/// The salesperson's part: quotes, orders, a contract with its payment plan and payments for
/// some of the customers this person owns, priced from the catalogue on this device (none
/// when the catalogue has not arrived). Returns the number of documents.
pub fn sales(store: &mut Store, seed: u64, today: NaiveDate) -> Result<usize> {
    let mut rng = Rng::new(seed ^ 0x5a1e_5000);
    let me = store.identity().user_id.clone();
    let mut stmt = store.connection().prepare(
        "SELECT id, name, unit, list_price_minor, tax_rate FROM p_product WHERE deleted_at IS NULL ORDER BY code",
    )?;
    let products: Vec<(String, String, Option<String>, i64, i64)> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get::<_, Option<i64>>(3)?.unwrap_or(0),
                r.get::<_, Option<i64>>(4)?.unwrap_or(0),
            ))
        })?
        .collect::<std::result::Result<_, _>>()?;
    drop(stmt);
    if products.is_empty() {
        return Ok(0);
    }
    let mut stmt = store
        .connection()
        .prepare("SELECT id FROM p_customer WHERE owner = ? AND deleted_at IS NULL ORDER BY code LIMIT 60")?;
    let customers: Vec<String> = stmt.query_map([&me], |r| r.get(0))?.collect::<std::result::Result<_, _>>()?;
    drop(stmt);
    let day = |offset: i64| (today + Duration::days(offset)).format("%Y-%m-%d").to_string();
    let mut made = 0;
    for (n, customer) in customers.iter().enumerate().step_by(3) {
        let lines: Vec<Json> = (0..1 + rng.below(3))
            .map(|_| {
                let (id, name, unit, price, tax) = rng.pick(&products).clone();
                json!({"product": id, "name": name, "unit": unit, "quantity": 1 + rng.below(5),
                       "list_price": price, "unit_price": price, "tax_rate": tax})
            })
            .collect();
        let (kind, fields) = match n % 4 {
            0 => (
                Kind::Quote,
                map(vec![
                    ("customer", json!(customer)),
                    ("title", json!("设备采购报价")),
                    ("valid_until", json!(day(30))),
                    ("lines", json!(lines)),
                ]),
            ),
            1 => (Kind::Order, map(vec![("customer", json!(customer)), ("lines", json!(lines))])),
            _ => (
                Kind::Quote,
                map(vec![
                    ("customer", json!(customer)),
                    ("title", json!("年度框架报价")),
                    ("valid_until", json!(day(14))),
                    ("lines", json!(lines)),
                ]),
            ),
        };
        let id = one(store, kind, fields)?;
        made += 1;
        if kind == Kind::Quote && n % 4 == 3 {
            // Sent, accepted, made into a contract with a payment plan, signed, half paid.
            store.transition(&id, "send", &JsonMap::new())?;
            store.transition(&id, "accept", &JsonMap::new())?;
            let contract = store.contract_from_quote(&id)?;
            let total = store.get(&contract)?.fields.get("total").and_then(|t| t["minor"].as_i64()).unwrap_or(0);
            let half = total / 2;
            store.update(
                &contract,
                &map(vec![(
                    "plan",
                    json!([{"due": day(-10), "amount": half}, {"due": day(50), "amount": total - half}]),
                )]),
            )?;
            store.transition(&contract, "sign", &map(vec![("signed_date", json!(day(-20)))]))?;
            one(
                store,
                Kind::Payment,
                map(vec![
                    ("customer", json!(customer)),
                    ("contract", json!(contract)),
                    ("amount", json!({"minor": half, "currency": "CNY"})),
                    ("received_on", json!(day(-8))),
                    ("method", json!("bank_transfer")),
                ]),
            )?;
            made += 2;
        }
    }
    Ok(made)
}

/// The expense claims of the person working here over the last weeks: trips to their
/// customers, lunches, a hotel, a phone bill; the older ones submitted for approval, the last
/// week's still drafts. Makes `count` of them; returns how many.
pub fn expenses(store: &mut Store, seed: u64, today: NaiveDate, count: usize) -> Result<usize> {
    let mut rng = Rng::new(seed ^ 0xe4_9e45e5);
    let me = store.identity().user_id.clone();
    let customers: Vec<String> = store
        .connection()
        .prepare("SELECT id FROM p_customer WHERE owner = ? AND deleted_at IS NULL ORDER BY code LIMIT 30")?
        .query_map([&me], |r| r.get(0))?
        .collect::<std::result::Result<_, _>>()?;
    let day = |offset: i64| (today + Duration::days(offset)).format("%Y-%m-%d").to_string();
    const KINDS: &[(&str, i64, i64)] = &[
        ("transport", 1_500, 12_000),
        ("meals", 6_000, 30_000),
        ("lodging", 25_000, 60_000),
        ("phone", 5_000, 10_000),
    ];
    let mut made = 0;
    for n in 0..count as i64 {
        let (category, low, high) = KINDS[rng.below(KINDS.len())];
        let minor = low + (rng.below((high - low) as usize) as i64) / 100 * 100;
        let mut fields = map(vec![
            ("date", json!(day(-(n * 4 + rng.below(3) as i64)))),
            ("category", json!(category)),
            ("amount", json!({"minor": minor, "currency": "CNY"})),
        ]);
        if let Some(customer) = customers.get(n as usize * 2).filter(|_| category != "phone") {
            fields.insert("customer".into(), json!(customer));
        }
        let id = one(store, Kind::Expense, fields)?;
        // Older ones submitted for approval; the last week's still being filled in.
        if n >= 2 {
            store.transition(&id, "submit", &JsonMap::new())?;
        }
        made += 1;
    }
    Ok(made)
}
