//! Search finds Chinese names by any substring (one and two characters too), phones by
//! their last digits, codes and emails, and never shows deleted records.

mod common;

use common::{user_id, Replica};
use serde_json::{json, Value as Json};

fn titles(r: &mut Replica, query: &str) -> Vec<String> {
    let out = r.call(json!({"op": "search", "query": query}));
    out["hits"].as_array().into_iter().flatten().map(|h| h["title"].as_str().unwrap_or("").to_string()).collect()
}

fn setup() -> (Replica, String) {
    let mut r = Replica::new(&user_id(1), "王芳", "admin");
    let hongda = r.create(
        "customer",
        json!({"name": "杭州宏达科技有限公司", "code": "HZ-0001",
        "phones": ["0571-8888 5678"], "email": "sales@hongda-tech.cn"}),
    );
    let boyuan = r.create("customer", json!({"name": "成都博远机械有限公司", "phones": ["028-6666 1234"]}));
    r.create("contact", json!({"customer": boyuan, "name": "陈明", "phones": ["13912340000"]}));
    r.create("contact", json!({"customer": hongda, "name": "欧阳晓东", "email": "xd.ouyang@hongda-tech.cn"}));
    r.create("customer", json!({"name": "科达电子", "code": "KD-1"}));
    (r, hongda)
}

#[test]
fn one_character_surname_finds_the_contact() {
    let (mut r, _) = setup();
    assert_eq!(titles(&mut r, "陈"), vec!["陈明"]);
    let hit = &r.call(json!({"op": "search", "query": "陈"}))["hits"][0];
    assert_eq!(hit["kind"], "contact");
    assert_eq!(hit["subtitle"], "成都博远机械有限公司");
}

#[test]
fn two_characters_find_every_name_containing_them() {
    let (mut r, _) = setup();
    let mut found = titles(&mut r, "科技");
    found.sort();
    assert_eq!(found, vec!["杭州宏达科技有限公司"]);
    // Names starting with the query rank first.
    let ke = titles(&mut r, "科");
    assert_eq!(ke.first().map(String::as_str), Some("科达电子"));
    assert!(ke.contains(&"杭州宏达科技有限公司".to_string()));
    assert_eq!(titles(&mut r, "欧阳"), vec!["欧阳晓东"]);
}

#[test]
fn longer_substrings_phones_codes_and_emails() {
    let (mut r, _) = setup();
    assert_eq!(titles(&mut r, "宏达科技"), vec!["杭州宏达科技有限公司"]);
    assert_eq!(titles(&mut r, "5678"), vec!["杭州宏达科技有限公司"], "phone by its last digits");
    assert_eq!(titles(&mut r, "88885678"), vec!["杭州宏达科技有限公司"], "phone without its separators");
    assert_eq!(titles(&mut r, "hz-0001"), vec!["杭州宏达科技有限公司"], "code, any case");
    let by_domain = titles(&mut r, "hongda-tech");
    assert_eq!(by_domain.len(), 2, "{by_domain:?}");
    assert_eq!(by_domain[0], "杭州宏达科技有限公司", "customers before contacts");
    assert!(titles(&mut r, "不存在的公司").is_empty());
    assert!(titles(&mut r, "  ").is_empty());
}

#[test]
fn deleted_records_are_not_found_until_restored() {
    let (mut r, hongda) = setup();
    r.call(json!({"op": "delete", "id": hongda}));
    assert!(titles(&mut r, "科技").is_empty());
    assert!(titles(&mut r, "5678").is_empty());
    r.call(json!({"op": "restore", "id": hongda}));
    assert_eq!(titles(&mut r, "科技"), vec!["杭州宏达科技有限公司"]);
    assert_eq!(titles(&mut r, "5678"), vec!["杭州宏达科技有限公司"]);
}

#[test]
fn renamed_records_are_found_by_the_new_name_only() {
    let (mut r, hongda) = setup();
    r.update(&hongda, json!({"name": "杭州宏图智能有限公司"}));
    assert!(titles(&mut r, "科技").is_empty());
    assert_eq!(titles(&mut r, "宏图"), vec!["杭州宏图智能有限公司"]);
    let kinds: Vec<Json> = r.call(json!({"op": "search", "query": "宏", "kinds": ["contact"]}))["hits"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(kinds.is_empty(), "kind filter: {kinds:?}");
}

#[test]
fn pinyin_initials_find_chinese_names() {
    let (mut r, _) = setup();
    // 杭州宏达: h z h d — in any case, from the start or from within the name.
    assert_eq!(titles(&mut r, "hzhd"), vec!["杭州宏达科技有限公司"]);
    assert_eq!(titles(&mut r, "HZHDKJ"), vec!["杭州宏达科技有限公司"]);
    assert_eq!(titles(&mut r, "hdkj"), vec!["杭州宏达科技有限公司"], "from within the name");
    // A contact by the initials of their name: 欧阳晓东 o y x d.
    assert_eq!(titles(&mut r, "oyxd"), vec!["欧阳晓东"]);
    // Two letters scan like two characters do: 陈明 c m, and no other name has them.
    assert_eq!(titles(&mut r, "cm"), vec!["陈明"]);
    // Renamed: found by the new name's initials only.
    let kd = r.call(json!({"op": "search", "query": "科达电子"}))["hits"][0]["id"].as_str().unwrap_or("").to_string();
    r.call(json!({"op": "update", "id": kd, "fields": {"name": "苏州精工"}}));
    assert!(titles(&mut r, "kdd").is_empty(), "the old name's initials are gone");
    assert_eq!(titles(&mut r, "szjg"), vec!["苏州精工"]);
    assert_eq!(crm_core::search::pinyin_initials("ABC科技2号"), Some("abckj2h".to_string()));
    assert_eq!(crm_core::search::pinyin_initials("Acme Ltd"), None, "no Chinese, no initials");
}

#[test]
fn a_record_taken_away_before_the_index_caught_up_leaves_no_trace_in_it() {
    let (mut r, _) = setup();
    // The newest record's search row is still marked for the trigram index when a sync takes
    // the record away (a transfer); the next record made reuses its row number.
    let gone = r.create("customer", json!({"name": "转走的客户有限公司"}));
    r.store.drop_docs(std::slice::from_ref(&gone), 1, &[]).expect("dropped");
    let next = r.create("customer", json!({"name": "新来的客户有限公司"}));
    assert_eq!(titles(&mut r, "新来的客户"), vec!["新来的客户有限公司"]);
    assert!(titles(&mut r, "转走的客户").is_empty());
    assert_eq!(r.call(json!({"op": "search", "query": "客户有限"}))["hits"][0]["id"], next.as_str());
}

/// Customers and contacts matching `query`, straight from the index (no ranking, no page size;
/// the store's seeded records left out).
fn candidates(r: &Replica, query: &str) -> Vec<String> {
    use crm_core::kind::Kind;
    let mut ids: Vec<String> =
        crm_core::search::candidates(r.store.connection(), query, &[Kind::Customer, Kind::Contact], 10_000)
            .expect("search")
            .into_iter()
            .map(|c| c.id)
            .collect();
    ids.sort();
    ids
}

/// One and two characters are looked up through the trigrams that begin with them, wherever
/// they stand in a record's text: its first, its middle, its very last characters (the pinyin
/// initials end it), and in a record whose whole text is one character. A character that
/// begins more trigrams than are worth looking up is found by scanning, the same records.
#[test]
fn one_and_two_characters_are_found_anywhere_in_the_text_by_the_index_or_a_scan() {
    let mut r = Replica::new(&user_id(1), "王芳", "admin");
    // Codes given: a generated one has random letters, which the letter queries below would find.
    let hongda = r.create("customer", json!({"name": "杭州宏达科技有限公司", "code": "HZ-1"})); // … hzhdkjyxgs
    let yi = r.create("customer", json!({"name": "乙", "code": "KD-2"}));
    assert_eq!(candidates(&r, "杭"), vec![hongda.clone()], "the first character");
    assert_eq!(candidates(&r, "科技"), vec![hongda.clone()], "the middle");
    assert_eq!(candidates(&r, "gs"), vec![hongda.clone()], "the last two characters");
    assert_eq!(candidates(&r, "S"), vec![hongda.clone()], "the last one, any case");
    assert_eq!(candidates(&r, "乙"), vec![yi.clone()], "a text of one character");
    assert!(candidates(&r, "达宏").is_empty());
    // FTS5 folds ς to σ in its trigrams; Rust leaves it: such a query is scanned for instead.
    let logos = r.create("customer", json!({"name": "Λόγος"}));
    assert_eq!(candidates(&r, "ς"), vec![logos.clone()]);
    assert_eq!(candidates(&r, "ΟΣ"), vec![logos.clone()], "upper case, lowered as the text was");

    // More trigrams begin with 陈 than are looked up: the text is scanned, and finds them all.
    let chars: Vec<char> = "一二三四五六七八九十甲丙丁戊己庚辛壬癸子丑寅卯".chars().collect();
    let mut chens = Vec::new();
    for (i, a) in chars.iter().enumerate() {
        for b in &chars[..14] {
            chens.push(r.create(
                "contact",
                json!({"name": format!("陈{a}{b}"), "customer": if i % 2 == 0 { &hongda } else { &yi }}),
            ));
        }
    }
    chens.sort();
    assert!(chens.len() > 300);
    assert_eq!(candidates(&r, "陈"), chens);
    assert_eq!(candidates(&r, "陈一").len(), 14);

    // The vocabulary follows an index built anew.
    r.store.rebuild_projections().expect("rebuilt");
    assert_eq!(candidates(&r, "乙"), vec![yi]);
    assert_eq!(candidates(&r, "陈一").len(), 14);
}

/// A store indexed before texts were padded is indexed again when it is opened.
#[test]
fn an_index_made_before_texts_were_padded_is_made_again_at_open() {
    let mut r = Replica::new(&user_id(1), "王芳", "admin");
    let hongda = r.create("customer", json!({"name": "杭州宏达科技有限公司", "code": "HZ-1"}));
    r.store
        .connection()
        .execute_batch(
            "DELETE FROM search_pending; DELETE FROM search_fts;
             INSERT INTO search_fts (rowid, text) SELECT rowid, text FROM search_docs;
             DELETE FROM meta WHERE key = 'search_padded';",
        )
        .expect("an index as it was made before");
    assert!(candidates(&r, "gs").is_empty(), "the old index: the last two characters begin no trigram");
    // Closed (one owner at a time) and opened again.
    r.store = crm_core::Store::open(r.dir.path().join("scratch.sqlite3")).unwrap_or_else(|e| panic!("{e}"));
    r.store = crm_core::Store::open(r.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(candidates(&r, "gs"), vec![hongda]);
}
