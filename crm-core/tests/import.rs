//! Import from real spreadsheet files made here: `.xlsx` written by a spreadsheet library, CSV
//! in UTF-8 and in the GBK that Chinese Excel saves.

#![allow(clippy::unwrap_used)]

mod common;

use base64::Engine;
use common::{send, user_id, Replica};
use crm_core::sheet::{self, Format};
use serde_json::{json, Value as Json};

fn table(rows: &[&[&str]]) -> (Vec<String>, Vec<Vec<String>>) {
    let headers = rows[0].iter().map(|s| s.to_string()).collect();
    let body = rows[1..].iter().map(|r| r.iter().map(|s| s.to_string()).collect()).collect();
    (headers, body)
}

fn xlsx(rows: &[&[&str]]) -> Vec<u8> {
    let (h, b) = table(rows);
    sheet::write(Format::Xlsx, &h, &b).unwrap()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn preview(r: &mut Replica, name: &str, bytes: &[u8], extra: Json) -> Json {
    let mut req = json!({"op": "import_preview", "name": name, "data": b64(bytes), "kind": "customer"});
    req.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    r.call(req)
}

fn run(r: &mut Replica, name: &str, bytes: &[u8], extra: Json) -> Json {
    let mut req = json!({"op": "import_run", "name": name, "data": b64(bytes), "kind": "customer"});
    req.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    r.call(req)["batch"].clone()
}

fn customers(r: &mut Replica) -> Vec<Json> {
    r.call(json!({"op": "list", "kind": "customer", "limit": 500}))["items"].as_array().unwrap().clone()
}

fn by_name(r: &mut Replica, name: &str) -> Json {
    let id = customers(r).into_iter().find(|c| c["fields"]["name"] == name).unwrap_or_else(|| panic!("no {name}"))
        ["id"]
        .as_str()
        .unwrap()
        .to_string();
    r.get(&id)
}

const MESSY: &[&[&str]] = &[
    &["客户名称*", "电话", "等级", "地址", "联系人", "手机", "职务", "联系人2", "手机2", "备注"],
    &[
        "杭州西湖茶业有限公司",
        "０５７１-８８８８ ５６７８",
        "A类",
        "杭州市西湖区龙井路1号",
        "王芳",
        "13800001111",
        "采购经理",
        "李雷",
        "13900002222",
        "老客户",
    ],
    &["宁波港联物流", "0574-12345678", "b", "", "赵六", "138 0000 3333", "", "", "", ""],
    &["", "0571-000", "A", "", "", "", "", "", "", "名称为空"],
    &["温州鞋业", "13700004444", "Z类", "", "", "", "", "", "", "等级不存在"],
    &["绍兴黄酒", "not a phone!", "C", "", "", "", "", "", "", ""],
];

#[test]
fn a_messy_xlsx_is_guessed_normalised_and_checked_row_by_row_before_anything_is_written() {
    let mut r = Replica::new(&user_id(1), "王芳", "admin");
    let before = customers(&mut r).len();
    let file = xlsx(MESSY);
    let p = preview(&mut r, "客户.xlsx", &file, json!({}));
    assert_eq!(p["format"], "xlsx");
    let targets: Vec<Json> = p["columns"].as_array().unwrap().iter().map(|c| c["target"].clone()).collect();
    assert_eq!(
        targets,
        [
            "name",
            "phones",
            "grade",
            "address",
            "contacts.1.name",
            "contacts.1.phones",
            "contacts.1.title",
            "contacts.2.name",
            "contacts.2.phones",
            "notes"
        ]
        .map(|t| json!(t))
        .to_vec()
    );
    assert_eq!(p["counts"], json!({"create": 2, "update": 0, "skip": 0, "reject": 3, "contacts": 3}), "{p}");
    let plan = p["plan"].as_array().unwrap();
    let errors_of = |line: u64| -> Vec<(String, String)> {
        plan.iter().find(|r| r["line"] == line).unwrap()["errors"]
            .as_array()
            .map(|e| {
                e.iter().map(|e| (e["field"].as_str().unwrap().into(), e["reason"].as_str().unwrap().into())).collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(errors_of(2), vec![]);
    assert_eq!(errors_of(4), vec![("name".to_string(), "required".to_string())]);
    let missing = &plan.iter().find(|r| r["line"] == 4).unwrap()["errors"][0];
    assert_eq!(missing["params"]["header"], "客户名称*", "every error names its column: {missing}");
    assert_eq!((p["matched_by"].clone(), p["policy"].clone()), (json!([]), json!("skip")));
    assert_eq!(errors_of(5), vec![("grade".to_string(), "unknown_dictionary_value".to_string())]);
    assert_eq!(errors_of(6), vec![("phones".to_string(), "invalid_phone".to_string())]);
    assert_eq!(customers(&mut r).len(), before, "a preview writes nothing");

    let mut reports = Vec::new();
    let options = crm_core::import::Options { kind: "customer".into(), ..Default::default() };
    let batch = r.store.import_run("客户.xlsx", &file, &options, &mut |d, t| reports.push((d, t))).unwrap();
    assert_eq!((batch.created, batch.rejected), (2, 3));
    assert_eq!(reports.first(), Some(&(0, 5)));
    assert_eq!(reports.last(), Some(&(5, 5)));

    let tea = by_name(&mut r, "杭州西湖茶业有限公司");
    assert_eq!(tea["fields"]["grade"], "A", "a label in the file becomes the code");
    assert_eq!(tea["fields"]["phones"], json!(["0571-8888 5678"]), "full-width digits made half-width");
    assert_eq!(tea["fields"]["owner"], user_id(1).as_str());
    let page = r.call(json!({"op": "customer360", "id": tea["id"]}));
    let mut contacts: Vec<(String, Json)> = page["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["fields"]["name"].as_str().unwrap().to_string(), c["fields"]["phones"].clone()))
        .collect();
    contacts.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(contacts, vec![("李雷".into(), json!(["13900002222"])), ("王芳".into(), json!(["13800001111"]))]);
    assert_eq!(by_name(&mut r, "宁波港联物流")["fields"]["grade"], "B", "a lower-case code is the code");

    // The refused rows come back as a spreadsheet with a reason column, to fix and import again.
    let file = r.call(json!({"op": "import_rejected", "batch": batch.id}));
    let bytes = base64::engine::general_purpose::STANDARD.decode(file["data"].as_str().unwrap()).unwrap();
    let rejected = sheet::read("rejected.xlsx", &bytes).unwrap();
    assert_eq!(rejected.headers.last().unwrap(), "原因 / reason");
    assert_eq!(rejected.rows.len(), 3);
    assert_eq!(rejected.rows[1][0], "温州鞋业");
    assert!(
        rejected.rows[1].last().unwrap().contains("等级: unknown_dictionary_value (Z类)"),
        "{:?}",
        rejected.rows[1]
    );
    // In the app's words, when it gives them.
    let file = r.call(json!({"op": "import_rejected", "batch": batch.id, "format": "csv",
        "reasons": {"unknown_dictionary_value": "不在字典中"}}));
    let csv = base64::engine::general_purpose::STANDARD.decode(file["data"].as_str().unwrap()).unwrap();
    let worded = sheet::read("rejected.csv", &csv).unwrap();
    assert!(worded.rows[1].last().unwrap().contains("等级: 不在字典中 (Z类)"), "{:?}", worded.rows[1]);
    let mut fixed = rejected.clone();
    for row in &mut fixed.rows {
        row.pop();
    }
    fixed.headers.pop();
    fixed.rows[0][0] = "嘉兴粽子".into();
    fixed.rows[0][1] = "0573-1234567".into();
    fixed.rows[1][2] = "B".into();
    fixed.rows[2][1] = "0575-7654321".into();
    let again = sheet::write(Format::Xlsx, &fixed.headers, &fixed.rows).unwrap();
    let batch = run(&mut r, "fixed.xlsx", &again, json!({}));
    assert_eq!((batch["created"].as_i64(), batch["rejected"].as_i64()), (Some(3), Some(0)), "{batch}");
}

#[test]
fn csv_in_gbk_and_utf8_imports_the_same() {
    let text = "客户名称,手机,来源,地址\n苏州园林设计,13812345678,展会,苏州市姑苏区\n无锡太湖渔业,0510-88886666,Referral,无锡市滨湖区\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    let mut a = Replica::new(&user_id(1), "王芳", "admin");
    let mut b = Replica::new(&user_id(2), "李丽", "admin");
    let pa = preview(&mut a, "a.csv", text.as_bytes(), json!({}));
    let pb = preview(&mut b, "a.csv", &gbk, json!({}));
    assert_eq!((pa["format"].as_str(), pb["format"].as_str()), (Some("csv-utf8"), Some("csv-gbk")));
    assert_eq!(pa["columns"], pb["columns"]);
    run(&mut a, "a.csv", text.as_bytes(), json!({}));
    run(&mut b, "a.csv", &gbk, json!({}));
    let fields = |r: &mut Replica| {
        let mut out: Vec<Json> = customers(r)
            .into_iter()
            .map(|c| json!([c["fields"]["name"], c["fields"]["source"], c["fields"]["phones"]]))
            .collect();
        out.sort_by_key(|v| v.to_string());
        out
    };
    let fa = fields(&mut a);
    assert_eq!(fa, fields(&mut b));
    assert!(fa.contains(&json!(["苏州园林设计", "exhibition", ["13812345678"]])), "{fa:?}");
    assert!(fa.contains(&json!(["无锡太湖渔业", "referral", ["0510-88886666"]])), "{fa:?}");
}

#[test]
fn duplicates_are_skipped_updated_or_created_by_the_chosen_keys_and_a_revert_undoes_only_the_import() {
    let mut r = Replica::new(&user_id(1), "王芳", "admin");
    let old =
        r.create("customer", json!({"name": "常州恒远化工有限公司", "phones": ["0519-8888 1234"], "address": "常州"}));
    // Same company by name (without its legal suffix), and a row repeated in the file.
    let file = xlsx(&[
        &["公司名称", "联系电话", "地址", "行业"],
        &["常州恒远化工", "0519-88881234", "常州市新北区", "manufacturing"],
        &["扬州新兴包装", "0514-5550000", "扬州", ""],
        &["扬州新兴包装", "0514-5550000", "扬州市", ""],
    ]);
    let skip = preview(&mut r, "f.xlsx", &file, json!({"keys": ["name"], "policy": "skip"}));
    assert_eq!(skip["counts"], json!({"create": 1, "update": 0, "skip": 2, "reject": 0, "contacts": 0}), "{skip}");
    assert_eq!(skip["plan"][0]["action"], "skip");
    assert_eq!(skip["plan"][0]["id"], old.as_str());
    assert_eq!(skip["plan"][2]["why"], "duplicate_in_file");
    assert_eq!(skip["plan"][2]["same_as_line"], 3);
    let by_phone = preview(&mut r, "f.xlsx", &file, json!({"keys": ["phones"], "policy": "skip"}));
    assert_eq!(by_phone["plan"][0]["id"], old.as_str(), "0519-88881234 is 0519-8888 1234");
    let anyway = preview(&mut r, "f.xlsx", &file, json!({"keys": ["name"], "policy": "create"}));
    assert_eq!(anyway["counts"]["create"], 3);
    let bad = r.try_call(
        json!({"op": "import_preview", "name": "f.xlsx", "data": b64(&file), "kind": "customer", "keys": ["address"]}),
    );
    assert_eq!(bad["code"], "validation", "{bad}");

    let count = customers(&mut r).len();
    let batch = run(&mut r, "f.xlsx", &file, json!({"keys": ["name"], "policy": "update"}));
    assert_eq!(
        (batch["created"].as_i64(), batch["updated"].as_i64(), batch["skipped"].as_i64()),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(customers(&mut r).len(), count + 1);
    let updated = r.get(&old);
    assert_eq!(updated["fields"]["name"], "常州恒远化工", "mapped fields are written");
    assert_eq!(updated["fields"]["address"], "常州市新北区");
    assert_eq!(updated["fields"]["industry"], "manufacturing");
    // Someone edits one of the imported fields afterwards: the revert keeps their edit.
    r.update(&old, json!({"address": "常州市武进区"}));

    let imports = r.call(json!({"op": "imports"}));
    assert_eq!(imports["items"][0]["id"], batch["id"]);
    let reverted = r.call(json!({"op": "import_revert", "batch": batch["id"]}));
    assert_eq!(
        (reverted["deleted"].as_i64(), reverted["restored"].as_i64(), reverted["kept"].as_i64()),
        (Some(1), Some(2), Some(1)),
        "{reverted}"
    );
    let back = r.get(&old);
    assert_eq!(back["fields"]["name"], "常州恒远化工有限公司");
    assert_eq!(back["fields"]["industry"], Json::Null);
    assert_eq!(back["fields"]["address"], "常州市武进区", "an edit made after the import stays");
    assert_eq!(customers(&mut r).len(), count, "what the import created is deleted");
    let twice = r.try_call(json!({"op": "import_revert", "batch": batch["id"]}));
    assert_eq!(twice["code"], "already_reverted");
}

#[test]
fn an_import_is_ordinary_edits_that_merge_on_another_device() {
    let mut a = Replica::new(&user_id(1), "王芳", "admin");
    let mut b = Replica::new(&user_id(1), "王芳", "admin");
    let id = a.create("customer", json!({"name": "台州机电", "address": "台州"}));
    send(&mut a, &mut b);
    // b edits the website offline while a's import updates the address of the same customer.
    b.update(&id, json!({"website": "https://tz.example.cn"}));
    let file = xlsx(&[&["客户名称", "地址"], &["台州机电", "台州市椒江区"]]);
    run(&mut a, "f.xlsx", &file, json!({"keys": ["name"], "policy": "update"}));
    send(&mut a, &mut b);
    send(&mut b, &mut a);
    for r in [&mut a, &mut b] {
        let c = r.get(&id);
        assert_eq!(c["fields"]["address"], "台州市椒江区");
        assert_eq!(c["fields"]["website"], "https://tz.example.cn");
    }
}

#[test]
fn bad_files_and_bad_mappings_get_clear_errors() {
    let mut r = Replica::new(&user_id(1), "王芳", "admin");
    let garbage = r.try_call(
        json!({"op": "import_preview", "name": "x.xlsx", "data": b64(b"PK\x03\x04 not really"), "kind": "customer"}),
    );
    assert_eq!(garbage["code"], "unreadable_file", "{garbage}");
    let not_b64 = r.try_call(json!({"op": "import_preview", "name": "x.csv", "data": "%%%", "kind": "customer"}));
    assert_eq!(not_b64["code"], "bad_request");
    let csv = "名称,电话\n甲,123456\n";
    let wrong = r.try_call(json!({"op": "import_preview", "name": "x.csv", "data": b64(csv.as_bytes()), "kind": "customer", "columns": ["name", "shoe_size"]}));
    assert_eq!(wrong["code"], "validation");
    assert_eq!(wrong["params"]["errors"][0]["reason"], "unknown_target");
    let short = r.try_call(json!({"op": "import_preview", "name": "x.csv", "data": b64(csv.as_bytes()), "kind": "customer", "columns": ["name"]}));
    assert_eq!(short["code"], "bad_request");
    let viewer = Replica::new(&user_id(3), "访客", "viewer");
    let mut viewer = viewer;
    let refused = viewer
        .try_call(json!({"op": "import_preview", "name": "x.csv", "data": b64(csv.as_bytes()), "kind": "customer"}));
    assert_eq!(refused["code"], "forbidden", "a viewer cannot import: {refused}");
    let settings = r.try_call(json!({"op": "import_preview", "name": "x.csv", "data": b64(b"key,value\npool.max_owned,3\n"), "kind": "setting"}));
    assert_eq!(settings["code"], "kind_not_importable", "one record per subject is not imported: {settings}");
    assert!(settings["params"]["importable"].as_array().unwrap().contains(&json!("customer")));
}

/// An Excel 97–2003 `.xls` (made with the xlwt library; kept in tests/fixtures because no Rust
/// crate writes the format): read, guessed and imported like an `.xlsx`.
#[test]
fn an_old_xls_workbook_is_read_and_imported() {
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/customers-excel97.xls")).unwrap();
    let table = sheet::read("客户.xls", &bytes).unwrap();
    assert_eq!(table.headers, ["客户名称", "电话", "等级", "成立日期"]);
    assert_eq!(table.rows[0][3], "2015-03-08", "a date cell reads as a date, not a serial number");
    let mut r = Replica::new(&user_id(1), "admin", "admin");
    let p = preview(&mut r, "客户.xls", &bytes, json!({}));
    assert_eq!(p["format"], "xls");
    assert_eq!(p["counts"]["create"], 2, "{p}");
    run(&mut r, "客户.xls", &bytes, json!({}));
    let c = by_name(&mut r, "杭州旧表格贸易有限公司");
    assert_eq!((c["fields"]["grade"].as_str(), c["fields"]["phones"][0].as_str()), (Some("A"), Some("0571-88881234")));
}

/// An admin exports a filtered list or search results on the device, in columns import reads
/// back (custom fields too); nobody else may.
#[test]
fn an_admin_exports_a_filtered_list_or_search_results_and_imports_them_back() {
    let mut admin = Replica::new(&user_id(1), "admin", "admin");
    admin.create(
        "custom_field",
        json!({"of_kind": "customer", "key": "shop_area", "label_zh": "门店面积", "type": "number"}),
    );
    let a = admin.create("customer", json!({"name": "甲级客户", "grade": "A", "custom_fields": {"shop_area": "120"}}));
    admin.create("customer", json!({"name": "乙级客户", "grade": "B"}));
    let export = |r: &mut Replica, extra: Json| {
        let mut req = json!({"op": "export", "kind": "customer", "format": "csv"});
        req.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let file = r.call(req);
        let bytes = base64::engine::general_purpose::STANDARD.decode(file["data"].as_str().unwrap()).unwrap();
        sheet::read("export.csv", &bytes).unwrap()
    };
    let graded = export(&mut admin, json!({"filter": {"grade": "A"}}));
    assert!(graded.headers.contains(&"custom_fields.shop_area".to_string()), "{:?}", graded.headers);
    let name = graded.headers.iter().position(|h| h == "name").unwrap();
    let area = graded.headers.iter().position(|h| h == "custom_fields.shop_area").unwrap();
    assert_eq!(graded.rows.len(), 1);
    assert_eq!((graded.rows[0][name].as_str(), graded.rows[0][area].as_str()), ("甲级客户", "120"));
    let found = export(&mut admin, json!({"ids": [a]}));
    assert_eq!(found.rows.len(), 1, "the search results given, nothing else");
    // What it wrote, import reads back into another device.
    let mut other = Replica::new(&user_id(3), "other", "admin");
    other.create(
        "custom_field",
        json!({"of_kind": "customer", "key": "shop_area", "label_zh": "门店面积", "type": "number"}),
    );
    let csv = sheet::write(Format::Csv, &graded.headers, &graded.rows).unwrap();
    // Its columns are the import's own targets (the owner left out: no such person there).
    let columns: Vec<Json> = graded.headers.iter().map(|h| if h == "owner" { Json::Null } else { json!(h) }).collect();
    let p = preview(&mut other, "back.csv", &csv, json!({"columns": columns}));
    assert_eq!(p["counts"]["create"], 1, "{}", p["plan"]);
    run(&mut other, "back.csv", &csv, json!({"columns": columns}));
    let back = by_name(&mut other, "甲级客户");
    assert_eq!(
        (back["fields"]["grade"].as_str(), back["fields"]["custom_fields"]["shop_area"].as_str()),
        (Some("A"), Some("120"))
    );
    let mut sales = Replica::new(&user_id(2), "sales", "account_manager");
    let refused = sales.try_call(json!({"op": "export", "kind": "customer"}));
    assert_eq!(refused["code"], "forbidden", "{refused}");
}

#[test]
fn a_preview_lists_every_rejected_row_even_far_down_a_big_file() {
    let mut r = Replica::new(&user_id(1), "王芳", "admin");
    let mut text = String::from("客户名称,电话\n");
    for i in 0..3000 {
        match i {
            // Line numbers count the header: row i is line i + 2.
            2600 => text.push_str(",0571-00000000\n"),
            2900 => text.push_str("坏电话公司,not a phone\n"),
            _ => text.push_str(&format!("客户{i},0571-{:08}\n", 10_000_000 + i)),
        }
    }
    let p = preview(&mut r, "big.csv", text.as_bytes(), json!({}));
    assert_eq!(p["rows"], 3000);
    assert_eq!(p["counts"]["reject"], 2, "{}", p["counts"]);
    let plan = p["plan"].as_array().unwrap();
    let rejected: Vec<i64> =
        plan.iter().filter(|r| r["action"] == "reject").map(|r| r["line"].as_i64().unwrap()).collect();
    assert_eq!(rejected, vec![2602, 2902], "each rejected row is listed, however far down");
    assert!(plan.len() < 3000, "rows that will simply be created are sampled, not all listed");
    let lines: Vec<i64> = plan.iter().map(|r| r["line"].as_i64().unwrap()).collect();
    assert!(lines.windows(2).all(|w| w[0] < w[1]), "in the file's order");
}

#[test]
fn duplicates_are_found_by_tax_id_and_by_code() {
    let mut r = Replica::new(&user_id(1), "王芳", "admin");
    let by_tax = r.create("customer", json!({"name": "嘉兴明达纺织", "tax_id": "91330400MA2B3C4D5E"}));
    let file = xlsx(&[
        &["客户名称", "税号", "地址"],
        &["嘉兴明达纺织有限公司（新名）", "91330400MA2B3C4D5E", "嘉兴市南湖区"],
        &["湖州新客户", "91330500MA9Z8Y7X6W", "湖州"],
    ]);
    let p = preview(&mut r, "t.xlsx", &file, json!({"keys": ["tax_id"], "policy": "update"}));
    assert_eq!(p["plan"][0]["action"], "update", "{p}");
    assert_eq!(p["plan"][0]["id"], by_tax.as_str(), "the same tax id is the same company, renamed or not");
    assert_eq!(p["plan"][1]["action"], "create");
    run(&mut r, "t.xlsx", &file, json!({"keys": ["tax_id"], "policy": "update"}));
    assert_eq!(r.get(&by_tax)["fields"]["address"], "嘉兴市南湖区");

    // The customer code an ERP gave it.
    let coded = r.get(&by_tax)["fields"]["code"].as_str().map(str::to_string);
    if let Some(code) = coded {
        let again = xlsx(&[&["客户编码", "客户名称", "备注"], &[code.as_str(), "随便什么名字", "按编码找到"]]);
        let p = preview(&mut r, "c.xlsx", &again, json!({"keys": ["code"], "policy": "skip"}));
        assert_eq!(
            (p["plan"][0]["action"].as_str(), p["plan"][0]["id"].as_str()),
            (Some("skip"), Some(by_tax.as_str())),
            "{p}"
        );
    }
}
