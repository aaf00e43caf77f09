//! The knowledge base: articles written by supervisors and admins, read by everyone, found
//! offline by any part of their title or body.

#![allow(clippy::unwrap_used)]

mod common;

use common::Replica;
use serde_json::json;

#[test]
fn a_supervisors_article_is_read_and_found_by_any_part_of_its_body_by_everyone() {
    let mut sue = Replica::new("u-sue", "李丽", "supervisor");
    let body = "# 数控机床安装\n\n1. 确认地基水平\n2. 接通三相电源\n\n- 注意：首次开机先空转十分钟\n";
    let article = sue
        .create("article", json!({"title": "CK6140 安装指南", "body": body, "category": "product", "tags": ["机床"]}));
    sue.create(
        "article",
        json!({"title": "差旅报销规定", "body": "住宿标准：一线城市每晚不超过 500 元。", "category": "policy"}),
    );

    let mut ann = Replica::new("u-ann", "王芳", "account_manager");
    common::send(&mut sue, &mut ann);
    assert_eq!(ann.get(&article)["fields"]["body"], body, "headings and lists kept as written");
    // Any part of the body or the title, in Chinese, long or short.
    for query in ["空转十分钟", "三相", "ck6140", "安装指南"] {
        let hits = ann.call(json!({"op": "search", "query": query, "kinds": ["article"]}));
        let ids: Vec<&str> = hits["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap()).collect();
        assert_eq!(ids, [article.as_str()], "{query}: {hits}");
    }
    let policy = ann.call(json!({"op": "search", "query": "500 元", "kinds": ["article"]}));
    assert_eq!(policy["hits"][0]["title"], "差旅报销规定");

    // A salesperson reads, and writes none.
    let refused = ann.try_call(json!({"op": "create", "kind": "article", "fields": {"title": "我的心得"}}));
    assert_eq!(refused["code"], "forbidden", "{refused}");
    let refused = ann.try_call(json!({"op": "update", "id": article, "fields": {"title": "改了"}}));
    assert_eq!(refused["type"], "error", "{refused}");
    // Admins write too.
    let mut root = Replica::new("u-root", "管理员", "admin");
    common::send(&mut sue, &mut root);
    root.update(&article, json!({"pinned": true}));
}
