//! A new record is given to Automerge as one value (`RecordDoc::create`); an edit writes one
//! field at a time (`RecordDoc::create_stepwise` is a new record made that way, as a genesis
//! is). Over every record of the demo data, every kind and field type it has, the two read
//! the same: the same fields with the same values, the same containers, the same meta.

use automerge::{ActorId, ReadDoc, Value, ROOT};
use crm_core::demo::{self, DemoSize};
use crm_core::document::RecordDoc;
use crm_core::kind::FieldType;
use crm_core::value::{FieldValue, Place};
use crm_core::Store;

/// Every root key with what it holds: a scalar's value, or which kind of object.
fn shape(doc: &mut RecordDoc) -> Vec<(String, String)> {
    let d = doc.inner();
    let keys: Vec<String> = d.keys(ROOT).collect();
    keys.into_iter()
        .map(|key| {
            let held = match d.get(ROOT, key.as_str()).expect("get") {
                Some((Value::Scalar(s), _)) => format!("{s:?}"),
                Some((Value::Object(t), _)) => format!("{t:?}"),
                None => "nothing".into(),
            };
            (key, held)
        })
        .collect()
}

#[test]
fn a_record_created_in_one_step_reads_as_one_written_field_by_field() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = Store::open(dir.path().join("crm.sqlite3")).expect("open");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).expect("date");
    demo::load(&mut store, 7, DemoSize::scaled(40), today).expect("demo data");
    demo::workflows(&mut store, 7, today).expect("service requests");
    demo::catalogue(&mut store, 7).expect("products, price lists, stock");
    demo::sales(&mut store, 7, today).expect("quotes, orders, payments");
    demo::expenses(&mut store, 7, today, 20).expect("expenses");
    let ids: Vec<String> = {
        let mut stmt = store.connection().prepare("SELECT id FROM docs ORDER BY id").expect("prepare");
        let ids = stmt.query_map([], |r| r.get(0)).expect("query").collect::<Result<_, _>>().expect("ids");
        ids
    };
    let actor = ActorId::random();
    let mut kinds = std::collections::BTreeSet::new();
    let mut types = std::collections::BTreeSet::new();
    for id in &ids {
        let mut stored = RecordDoc::empty();
        let changes = store.changes_of(id).expect("changes");
        stored
            .apply(changes.iter().map(|b| automerge::Change::from_bytes(b.clone()).expect("change")).collect())
            .expect("apply");
        let Some(kind) = stored.kind() else { continue };
        let (values, _) = stored.snapshot(kind);
        let given: Vec<_> = kind
            .spec()
            .fields
            .iter()
            .zip(&values)
            .filter(|(f, _)| f.ty != FieldType::Log)
            .filter_map(|(f, v)| v.as_ref().map(|v| (f, v)))
            .collect();
        for (f, _) in &given {
            types.insert(format!("{:?}", f.ty).chars().take_while(|c| c.is_alphanumeric()).collect::<String>());
        }
        kinds.insert(kind.as_str());
        let (at, by) = (stored.created_at().expect("created_at"), stored.created_by().expect("created_by"));
        let mut one = RecordDoc::create(&actor, kind, at, &by, given.iter().map(|(f, v)| (*f, *v))).expect("one step");
        let mut stepwise =
            RecordDoc::create_stepwise(&actor, kind, at, &by, given.iter().map(|(f, v)| (*f, *v))).expect("stepwise");
        assert_eq!(one.snapshot(kind), stepwise.snapshot(kind), "{kind} {id}: fields differ");
        assert_eq!(shape(&mut one), shape(&mut stepwise), "{kind} {id}: root keys differ");
        assert_eq!(one.kind(), Some(kind));
        assert_eq!((one.created_at(), one.created_by()), (Some(at), Some(by)));
        // Committed, it is one change that a fresh document applies to the same record.
        let change = one.commit("someone", 1_800_000_000).expect("a change");
        let mut elsewhere = RecordDoc::empty();
        elsewhere.apply(vec![change]).expect("applies");
        assert_eq!(elsewhere.snapshot(kind), stepwise.snapshot(kind), "{kind} {id}: the change carries it all");
    }
    // A place, with and without its accuracy, on every kind that has one.
    for &kind in crm_core::Kind::ALL {
        for field in kind.spec().fields.iter().filter(|f| f.ty == FieldType::Place) {
            for accuracy in [None, Some(12)] {
                let place = FieldValue::Place(Place { lat: 31_230_416, lng: 121_473_701, accuracy });
                let mut one = RecordDoc::create(&actor, kind, 1, "u", [(field, &place)]).expect("one step");
                let mut stepwise =
                    RecordDoc::create_stepwise(&actor, kind, 1, "u", [(field, &place)]).expect("stepwise");
                assert_eq!(one.read(field), Some(place.clone()));
                assert_eq!(shape(&mut one), shape(&mut stepwise), "{kind}: root keys differ");
                types.insert("Place".into());
            }
        }
    }
    assert!(kinds.len() >= 10, "the demo data has many kinds: {kinds:?}");
    for ty in ["Place", "Str", "Money", "Tags", "Notes", "Steps", "Items", "Phones", "DateTime", "Custom"] {
        assert!(types.iter().any(|t| t == ty), "no {ty} value in the demo data: {types:?}");
    }
}

/// A genesis and the seeded defaults are rebuilt byte for byte by every device and the
/// server, of every version: their hashes are pinned here, so a change to how records are
/// written that would alter them fails this test instead of splitting records between
/// versions (two changes of one actor and sequence number do not merge).
#[test]
fn a_genesis_is_the_same_bytes_in_every_version() {
    use crm_core::genesis::genesis;
    use crm_core::Kind;
    let pinned = [
        (
            Kind::Setting,
            vec!["sales.approval_discount_bp"],
            "5a72af2339621f47fe552b740c82cf1ab717a82ba8b3d85e27e7024e785543f1",
        ),
        (
            Kind::ChurnCase,
            vec!["01a201ce-c5bf-743e-951a-fdf4250f4ae9", "1"],
            "7b5da89c0249891f7e7b7f6bd38bf0e5f81c0599c5cd1fa5f4f1eb3ce52ed213",
        ),
    ];
    for (kind, subject, hash) in pinned {
        let (id, _, change) = genesis(kind, &subject).expect("genesis");
        assert!(crm_core::genesis::verify(&id, &change));
        assert_eq!(change.hash().to_string(), hash, "{kind} {subject:?}");
    }
}

#[test]
fn the_seeded_defaults_are_the_same_bytes_in_every_version() {
    use sha2::{Digest, Sha256};
    let records = crm_core::seed::records().expect("seeds");
    let mut all = Sha256::new();
    for (id, _, change) in &records {
        all.update(id.as_bytes());
        all.update(change.hash().0);
    }
    let digest: String = all.finalize().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        (records.len(), digest.as_str()),
        (80, "0cf2e917cccab481587a76009b8606bf141cb1dcc2c7741dd5609161f3f15c9f")
    );
}
