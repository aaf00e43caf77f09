//! `docs/api.md` stays true: every example request in it is accepted by the real parser, every
//! kind and field is documented.

use crm_core::{Kind, Request};

fn api_md() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/api.md")).expect("docs/api.md")
}

/// The JSON code blocks of the document that are requests (they have an `"op"`).
fn example_requests(doc: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_block = false;
    let mut block = String::new();
    for line in doc.lines() {
        if line.trim_start().starts_with("```") {
            if in_block && block.trim_start().starts_with("{\"op\"") {
                out.push(block.clone());
            }
            in_block = !in_block && line.trim() == "```json";
            block.clear();
        } else if in_block {
            block.push_str(line);
            block.push('\n');
        }
    }
    out
}

#[test]
fn docs_examples_parse() {
    let examples = example_requests(&api_md());
    assert!(examples.len() >= 25, "expected the API examples, found {}", examples.len());
    for example in examples {
        if let Err(e) = serde_json::from_str::<Request>(&example) {
            panic!("docs/api.md example does not parse: {e}\n{example}");
        }
    }
}

#[test]
fn every_kind_and_field_is_documented() {
    let doc = api_md();
    for kind in Kind::ALL {
        assert!(doc.contains(&format!("### `{}`", kind.as_str())), "kind {kind} missing from docs/api.md");
        let section = doc.split(&format!("### `{}`", kind.as_str())).nth(1).unwrap_or_default();
        let section = section.split("\n### ").next().unwrap_or_default();
        for field in kind.spec().fields {
            assert!(
                section.contains(&format!("| `{}` |", field.name)),
                "field {kind}.{} missing from docs/api.md",
                field.name
            );
        }
    }
}
