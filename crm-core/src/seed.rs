//! Reference data every store and every server starts with: the default dictionaries and the
//! default visit types.
//!
//! Each is made byte-identically wherever it is made — a fixed actor, time 0, an id derived from
//! what it is — so every device and the server hold the same first change and it merges as one.
//! The server stores them too, so an admin's edit of a default builds on a change it has.

use automerge::{ActorId, Change};

use crate::document::RecordDoc;
use crate::error::Result;
use crate::kind::Kind;
use crate::value::FieldValue;

/// The actor the defaults are written with.
const SEED_ACTOR: [u8; 16] = [0x5e, 0xed, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

/// A default record: its id, its document and its one change.
pub type Seeded = (String, RecordDoc, Change);

/// Is `actor` (hex) the one the defaults are written with?
pub fn is_seed_actor(actor: &str) -> bool {
    ActorId::from(&SEED_ACTOR[..]).to_hex_string() == actor
}

/// One default record of `kind` with `values`, as the seed actor makes it.
pub fn record(id: String, kind: Kind, values: &[(&str, FieldValue)]) -> Result<Option<Seeded>> {
    // Field by field, as every version before made it: the bytes are what every store has.
    let named = crate::document::fields_named(kind, values);
    let mut doc = RecordDoc::create_stepwise(&ActorId::from(&SEED_ACTOR[..]), kind, 0, "system", named)?;
    Ok(doc.commit("system", 0).map(|change| (id, doc, change)))
}

/// Every default record: dictionary entries, then visit types.
pub fn records() -> Result<Vec<Seeded>> {
    let mut out = crate::dictionary::seed_records()?;
    out.extend(crate::domain::visits::seed_types()?);
    Ok(out)
}
