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

/// A field's type in words, as docs/protocol.md's tables give it.
fn type_words(ty: crm_core::kind::FieldType) -> String {
    use crm_core::kind::FieldType::*;
    let quoted = |xs: &[&str]| xs.iter().map(|x| format!("`{x}`")).collect::<Vec<_>>().join(", ");
    match ty {
        Str { max } => format!("string (at most {max} chars)"),
        Enum(choices) => format!("one of {}", quoted(choices)),
        Dict(d) => format!("code from dictionary `{d}`"),
        Int { min, max } => format!("integer {min} to {max}"),
        Bool => "boolean".into(),
        Money => "money".into(),
        Place => "place: degrees `{lat, lng, accuracy?}`".into(),
        Date => "date `YYYY-MM-DD`".into(),
        DateTime => "datetime".into(),
        Ref(kind) => format!("id of a `{kind}`"),
        Email => "email".into(),
        Phones => "phones".into(),
        Tags => "tags".into(),
        Notes => "notes".into(),
        Steps => "plan steps".into(),
        Log => "log (append only)".into(),
        Custom => "custom fields".into(),
        Quantity => "quantity (up to 3 decimals)".into(),
        Rate => "rate: basis points 0 to 10000".into(),
        Amount => "amount: integer minor units of the record's currency".into(),
        Blob => "file: SHA-256 of its bytes, 64 lowercase hex digits (see docs/api.md, *Attachments*)".into(),
        Items(parts) => {
            let parts: Vec<String> = parts
                .iter()
                .map(|p| format!("`{}`{}: {}", p.name, if p.required { " (required)" } else { "" }, type_words(p.ty)))
                .collect();
            format!("items, each with `id` and {}", parts.join("; "))
        }
    }
}

/// How a field's value is laid out in the Automerge document.
fn automerge_words(ty: crm_core::kind::FieldType) -> &'static str {
    use crm_core::kind::FieldType::*;
    match ty {
        Int { .. } => "`int`",
        Bool => "`boolean`",
        Money => "`map` `{minor: int, currency: str}`",
        Place => "`map` `{lat: int, lng: int, accuracy?: int}` (millionths of a degree; metres)",
        DateTime => "`timestamp`",
        Phones => "`list` of `str`",
        Tags => "`map` of tag → `true` (container)",
        Notes => "`text` (container)",
        Steps => "`list` of `map` `{date, action, result}` (container)",
        Log => "`list` of `map` `{by: str, at: timestamp, text: str}` (container)",
        Custom => "`map` of key → `str` (container)",
        Quantity => "`int` (thousandths)",
        Rate | Amount => "`int`",
        Items(_) => "`list` of `map` `{id: str, part: value…}` (container)",
        _ => "`str`",
    }
}

/// docs/protocol.md's kinds, generated from the kind specs.
fn protocol_kinds() -> String {
    use crm_core::kind::Default as D;
    let mut out = String::new();
    for kind in Kind::ALL {
        let spec = kind.spec();
        out.push_str(&format!("#### `{kind}`{}\n\n", if spec.admin_only { " (admins only)" } else { "" }));
        let mut about = format!("Title field: `{}`.", spec.title);
        if let Some(prefix) = spec.code_prefix {
            about.push_str(&format!(" Minted code prefix: `{prefix}`."));
        }
        if !spec.identity.is_empty() {
            let names: Vec<String> = spec.identity.iter().map(|n| format!("`{n}`")).collect();
            about.push_str(&format!(
                " One per {}: its id and first change are derived from them (see *One record per subject*).",
                names.join(" and ")
            ));
        }
        if let Some(w) = spec.workflow {
            let names: Vec<String> = w.decided.iter().map(|n| format!("`{n}`")).collect();
            about.push_str(&format!(" Decided by the server (only transitions write them): {}.", names.join(", ")));
            if !w.locked.is_empty() {
                let states: Vec<String> = w.locked.iter().map(|s| format!("`{s}`")).collect();
                about.push_str(&format!(
                    " Settled when {}: only transitions and notes change it (see *Settled records*).",
                    states.join(", ")
                ));
            }
            if let Some(pin) = w.pin {
                let states: Vec<String> = pin.states.iter().map(|s| format!("`{s}`")).collect();
                about.push_str(&format!(
                    " `{}` pins the approved version: while {}, an edit since makes it `{}` (see *Approvals*).",
                    pin.field,
                    states.join(" or "),
                    pin.falls_to
                ));
            }
        }
        out.push_str(&about);
        out.push_str("\n\n| field | type | Automerge value | required | default |\n|---|---|---|---|---|\n");
        for f in spec.fields {
            let default = match f.default {
                D::None => String::new(),
                D::CurrentUser => "current user".into(),
                D::Now => "now".into(),
                D::Str(s) => format!("`{s}`"),
                D::Bool(b) => format!("`{b}`"),
                D::Int(n) => format!("`{n}`"),
                D::MintedCode => "minted code".into(),
            };
            out.push_str(&format!(
                "| `{}` | {} | {} | {} | {} |\n",
                f.name,
                type_words(f.ty),
                if f.derived { "none: derived by the core, never stored" } else { automerge_words(f.ty) },
                if f.required { "yes" } else { "" },
                default
            ));
        }
        out.push('\n');
    }
    out
}

/// The kinds and fields docs/protocol.md lists are the code's: the part between the markers
/// is exactly what this generates (run with `CRM_WRITE_DOCS=1` to write it).
#[test]
fn protocol_lists_every_kind_and_field_of_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/protocol.md");
    let protocol = std::fs::read_to_string(path).expect("docs/protocol.md");
    let (head, rest) = protocol.split_once("<!-- kinds:begin -->\n").expect("kinds markers in docs/protocol.md");
    let (listed, tail) = rest.split_once("<!-- kinds:end -->").expect("kinds end marker");
    let generated = protocol_kinds();
    if std::env::var_os("CRM_WRITE_DOCS").is_some() {
        std::fs::write(path, format!("{head}<!-- kinds:begin -->\n{generated}<!-- kinds:end -->{tail}"))
            .expect("write");
        return;
    }
    assert_eq!(listed, generated, "docs/protocol.md's kinds are stale; run this test with CRM_WRITE_DOCS=1");
}
