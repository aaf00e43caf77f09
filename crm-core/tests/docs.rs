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
        // Core requests, or the app shells' session requests.
        if let Err(e) = serde_json::from_str::<Request>(&example) {
            if serde_json::from_str::<crm_core::app::SessionRequest>(&example).is_err() {
                panic!("docs/api.md example does not parse: {e}\n{example}");
            }
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

/// The default dictionaries listed in `docs/protocol.md` are the ones the code seeds: the
/// table between the markers is exactly what this generates (paste it from the failure).
#[test]
fn protocol_lists_the_default_dictionaries_of_the_code() {
    let protocol =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/protocol.md")).expect("docs/protocol.md");
    let listed = protocol
        .split("<!-- dictionaries:begin -->\n")
        .nth(1)
        .and_then(|rest| rest.split("<!-- dictionaries:end -->").next())
        .expect("dictionary markers in docs/protocol.md");
    let mut generated = String::from("| dictionary | code | zh-CN | en |\n|---|---|---|---|\n");
    for e in crm_core::dictionary::defaults() {
        generated.push_str(&format!("| {} | {} | {} | {} |\n", e.dict, e.code, e.zh, e.en));
    }
    assert_eq!(
        listed.trim(),
        generated.trim(),
        "docs/protocol.md's dictionary table is stale; generated:\n{generated}"
    );
}

/// The limits a client must keep to are the ones in the code.
#[test]
fn protocol_states_the_limits_of_the_code() {
    use crm_core::sync::protocol::{BATCH_BYTES, MAX_CHANGE_BYTES, MAX_CHANGE_OPS, MAX_PUSH_CHANGES, MAX_RECORD_BYTES};
    let protocol =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/protocol.md")).expect("docs/protocol.md");
    assert_eq!((MAX_CHANGE_BYTES, MAX_RECORD_BYTES, BATCH_BYTES), (1 << 20, 4 << 20, 4 << 20));
    assert!(protocol.contains("one change is at most 1 MiB (and 300,000 Automerge operations)"));
    assert_eq!(MAX_CHANGE_OPS, 300_000);
    assert!(protocol.contains("record's saved document at most 4 MiB"));
    assert!(protocol.contains("at most 2,000") && MAX_PUSH_CHANGES == 2_000);
}
