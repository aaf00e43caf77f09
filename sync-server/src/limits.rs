//! What one pushed change may cost, so that a small frame can never make the server spend
//! gigabytes: raw size and the inflated size of a compressed change before it is decoded,
//! operations per change before it is applied (the push's total is `ServerDb::ingest`'s).

use std::io::Read;

use automerge::Change;
use crm_core::sync::protocol::{MAX_CHANGE_BYTES, MAX_CHANGE_OPS};

/// Largest size a compressed change may inflate to.
const MAX_INFLATED_BYTES: u64 = 4 * MAX_CHANGE_BYTES as u64;
/// Automerge's chunk header: magic bytes, checksum, then the chunk type.
const CHUNK_TYPE_AT: usize = 8;
const COMPRESSED_CHANGE: u8 = 2;

/// A pushed change decoded, or why it was refused (code, reason).
pub type Decoding = Result<Change, (&'static str, String)>;
/// A pushed change with its document id.
pub type Decoded = (String, Decoding);

/// Decode every change of a push within the limits.
pub fn decode_push(changes: Vec<crm_core::sync::protocol::DocBytes>) -> Vec<Decoded> {
    changes.into_iter().map(|c| (c.doc, decode_change(c.bytes))).collect()
}

/// Decode one pushed change within the limits; the error is the refusal's reason.
pub fn decode_change(bytes: Vec<u8>) -> Decoding {
    if bytes.len() > MAX_CHANGE_BYTES {
        let reason = format!("a change of {} bytes is larger than {MAX_CHANGE_BYTES}", bytes.len());
        return Err(("too_large", reason));
    }
    if bytes.get(CHUNK_TYPE_AT) == Some(&COMPRESSED_CHANGE) {
        let inflated = inflated_size(&bytes).map_err(|e| ("invalid_change", e))?;
        if inflated > MAX_INFLATED_BYTES {
            let reason = format!("a compressed change inflating to over {MAX_INFLATED_BYTES} bytes");
            return Err(("too_large", reason));
        }
    }
    let change = Change::from_bytes(bytes).map_err(|e| ("invalid_change", format!("not an Automerge change: {e}")))?;
    if change.len() > MAX_CHANGE_OPS {
        let reason = format!("a change of {} operations; at most {MAX_CHANGE_OPS}", change.len());
        return Err(("too_large", reason));
    }
    Ok(change)
}

/// The inflated size of a compressed change chunk, reading at most one byte past the limit.
fn inflated_size(bytes: &[u8]) -> Result<u64, String> {
    let mut at = CHUNK_TYPE_AT + 1;
    let mut len: u64 = 0;
    let mut shift = 0;
    loop {
        let byte = *bytes.get(at).ok_or("a truncated change header")?;
        at += 1;
        len |= u64::from(byte & 0x7f).checked_shl(shift).ok_or("a malformed change header")?;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 63 {
            return Err("a malformed change header".into());
        }
    }
    let end = usize::try_from(len).ok().and_then(|l| at.checked_add(l)).ok_or("a malformed change header")?;
    let data = bytes.get(at..end).ok_or("a truncated change")?;
    let mut decoder = flate2::bufread::DeflateDecoder::new(data).take(MAX_INFLATED_BYTES + 1);
    std::io::copy(&mut decoder, &mut std::io::sink())
        .map_err(|e| format!("a compressed change that does not inflate: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;

    fn change_with_notes(chars: usize) -> Vec<u8> {
        let mut doc = automerge::AutoCommit::new();
        let text = doc.put_object(automerge::ROOT, "notes", automerge::ObjType::Text).expect("text");
        doc.splice_text(&text, 0, 0, &"a".repeat(chars)).expect("splice");
        doc.commit();
        // As a device sends it: compressed.
        doc.get_last_local_change().expect("change").bytes().into_owned()
    }

    #[test]
    fn ordinary_changes_pass_and_bombs_are_refused_before_they_are_applied() {
        let small = change_with_notes(1_000);
        assert!(decode_change(small).is_ok());
        // 400,000 identical characters compress to far under the byte limit but are 400,000 ops.
        let bomb = change_with_notes(400_000);
        assert!(bomb.len() < MAX_CHANGE_BYTES / 10, "compressed to {} bytes", bomb.len());
        assert_eq!(decode_change(bomb).err().map(|e| e.0), Some("too_large"));
        assert_eq!(decode_change(vec![0; MAX_CHANGE_BYTES + 1]).err().map(|e| e.0), Some("too_large"));
        let mut truncated = change_with_notes(1_000);
        truncated.truncate(12);
        assert!(decode_change(truncated).is_err());
    }
}
