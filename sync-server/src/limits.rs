//! What one pushed change may cost, so that a small frame can never make the server spend
//! gigabytes: raw size, the inflated size of a compressed change, and the operations its
//! columns claim, all before Automerge decodes it; and what one push may hold decoded at once
//! (the push's operations are `ServerDb::ingest`'s).

use std::io::Read;

use automerge::Change;
use crm_core::chunk::{is_fewest_uleb, write_uleb, Malformed, Reader, CHANGE, CHUNK_TYPE_AT, COMPRESSED_CHANGE};
use crm_core::sync::protocol::{MAX_CHANGE_BYTES, MAX_CHANGE_OPS};

/// Largest size a compressed change may inflate to.
const MAX_INFLATED_BYTES: u64 = 4 * MAX_CHANGE_BYTES as u64;
/// Decoded (inflated) bytes one push may hold at once; the changes past it wait for the next
/// push (`deferred`).
const PUSH_INFLATED_BYTES: usize = 64 << 20;
/// The flag of a column spec marking its data as deflated (Automerge allows it only in
/// documents, never in changes).
const DEFLATED: u64 = 8;
/// The low bits of a column spec: how its data is encoded.
const COLUMN_TYPE: u64 = 7;

/// A pushed change decoded, with the bytes it came in.
pub struct Incoming {
    pub change: Change,
    /// As the device sent it (compressed when it was): what the log stores and other devices
    /// are sent. `change` was decoded from these inflated, so asking it for its bytes would
    /// compress it again.
    pub bytes: Vec<u8>,
}

/// A pushed change decoded, or why it was refused (code, reason).
pub type Decoding = Result<Incoming, (&'static str, String)>;
/// A pushed change with its document id.
pub type Decoded = (String, Decoding);

/// Decode every change of a push within the limits, one by one as the caller takes them. Once
/// the decoded changes hold [`PUSH_INFLATED_BYTES`], the rest are not decoded: they wait for
/// the next push, in order, so nothing that builds on them is judged without them.
pub fn decode_push(changes: Vec<crm_core::sync::protocol::DocBytes>) -> impl Iterator<Item = Decoded> {
    let mut held = 0;
    let mut full = false;
    changes.into_iter().map(move |c| {
        if full {
            let reason = format!("this push holds over {PUSH_INFLATED_BYTES} bytes of changes; push the rest again");
            return (c.doc, Err(("deferred", reason)));
        }
        let decoded = decode_change(c.bytes).map(|(incoming, size)| {
            held += size;
            full = held >= PUSH_INFLATED_BYTES;
            incoming
        });
        (c.doc, decoded)
    })
}

/// Decode one pushed change within the limits, with its decoded size; the error is the
/// refusal's reason.
pub fn decode_change(bytes: Vec<u8>) -> Result<(Incoming, usize), (&'static str, String)> {
    if bytes.len() > MAX_CHANGE_BYTES {
        let reason = format!("a change of {} bytes is larger than {MAX_CHANGE_BYTES}", bytes.len());
        return Err(("too_large", reason));
    }
    // Counted before Automerge decodes it: decoding walks every operation, and run-length
    // encoding lets a few bytes claim billions.
    let body = body(&bytes).map_err(|e| ("invalid_change", e))?;
    let (rows, size) = match &body {
        Body::Inflated(body) => (rows(body), body.len()),
        Body::Plain(range) => (rows(&bytes[range.clone()]), bytes.len()),
    };
    if rows.map_err(|e| ("invalid_change", e))? > MAX_CHANGE_OPS as u64 {
        let reason = format!("a change of over {MAX_CHANGE_OPS} operations");
        return Err(("too_large", reason));
    }
    // A compressed change is given to Automerge as the change it inflated to (its checksum is
    // the inflated change's), so that it is not inflated a second time.
    let decoded = match body {
        Body::Inflated(body) => Change::from_bytes(uncompressed_chunk(&bytes, &body)),
        Body::Plain(_) => Change::try_from(bytes.as_slice()),
    };
    let change = decoded.map_err(|e| ("invalid_change", format!("not an Automerge change: {e}")))?;
    if change.len() > MAX_CHANGE_OPS {
        let reason = format!("a change of {} operations; at most {MAX_CHANGE_OPS}", change.len());
        return Err(("too_large", reason));
    }
    Ok((Incoming { change, bytes }, size))
}

/// The uncompressed change chunk of a compressed one (`compressed`, whose body inflated to
/// `body`): the same magic bytes and checksum, the plain change's type, `body`'s length.
fn uncompressed_chunk(compressed: &[u8], body: &[u8]) -> Vec<u8> {
    let mut chunk = Vec::with_capacity(CHUNK_TYPE_AT + 11 + body.len());
    chunk.extend_from_slice(&compressed[..CHUNK_TYPE_AT]);
    chunk.push(CHANGE);
    write_uleb(&mut chunk, body.len() as u64);
    chunk.extend_from_slice(body);
    chunk
}

enum Body {
    /// A compressed change, inflated.
    Inflated(Vec<u8>),
    /// An uncompressed change whose body is at this range.
    Plain(std::ops::Range<usize>),
}

/// A change chunk's body (what follows its header), inflating a compressed one within
/// [`MAX_INFLATED_BYTES`]. Any other chunk (a whole document, a bundle) is refused here:
/// Automerge would parse, and inflate, all of it before saying it is not a change.
fn body(bytes: &[u8]) -> Result<Body, String> {
    let chunk_type = *bytes.get(CHUNK_TYPE_AT).ok_or("a truncated change header")?;
    if chunk_type != CHANGE && chunk_type != COMPRESSED_CHANGE {
        return Err(format!("not a change: a chunk of type {chunk_type}"));
    }
    let mut reader = Reader { bytes, at: CHUNK_TYPE_AT + 1 };
    let data = reader.take_len().map_err(|_| "a malformed change header")?;
    if chunk_type == CHANGE {
        return Ok(Body::Plain(reader.at - data.len()..reader.at));
    }
    // Automerge reads a compressed change from the plain one it inflates to, so it never sees
    // this header: what it would refuse in it is refused here (bytes after the change, a
    // length not written in the fewest bytes).
    if reader.at != bytes.len() {
        return Err("bytes after the change".into());
    }
    if !is_fewest_uleb(&bytes[CHUNK_TYPE_AT + 1..reader.at - data.len()], data.len() as u64) {
        return Err("a malformed change header (its length is not written in the fewest bytes)".into());
    }
    Ok(Body::Inflated(inflate(data)?))
}

/// Inflate a compressed change, refusing what inflates past [`MAX_INFLATED_BYTES`].
fn inflate(data: &[u8]) -> Result<Vec<u8>, String> {
    let mut inflated = Vec::new();
    flate2::bufread::DeflateDecoder::new(data)
        .take(MAX_INFLATED_BYTES + 1)
        .read_to_end(&mut inflated)
        .map_err(|e| format!("a compressed change that does not inflate: {e}"))?;
    if inflated.len() as u64 > MAX_INFLATED_BYTES {
        return Err(format!("a compressed change inflating to over {MAX_INFLATED_BYTES} bytes"));
    }
    Ok(inflated)
}

/// The most rows any operation column of a change body claims (or the most predecessors
/// its groups claim): an upper bound on the operations decoding would walk. Reads only the
/// run headers, so the cost is bounded by the body's bytes, not by what the runs claim.
fn rows(body: &[u8]) -> Result<u64, String> {
    let malformed = "a malformed change".to_string();
    let layout = columns(body).map_err(|Malformed| malformed.clone())?;
    let mut most = 0;
    for (spec, data) in layout.columns {
        if spec & DEFLATED != 0 {
            return Err("a change with a compressed column (only documents may have them)".into());
        }
        most = most.max(column_rows(spec & COLUMN_TYPE, data).map_err(|Malformed| malformed.clone())?);
    }
    Ok(most)
}

/// A change body cut at its operation columns. (`start` and `end` are for the tests, which
/// rebuild changes around the columns.)
#[cfg_attr(not(test), allow(dead_code))]
struct Columns<'a> {
    /// Where the columns' metadata starts: everything before is the change's header fields.
    start: usize,
    /// Each column's spec and data, in order.
    columns: Vec<(u64, &'a [u8])>,
    /// Where the columns' data ends: what follows is the change's extra bytes.
    end: usize,
}

/// The operation columns of a change body (dependencies, actor, seq, start op, time, message
/// and other actors come first). Every column header is read: each takes at least two bytes,
/// so the body bounds the loop.
fn columns(body: &[u8]) -> Result<Columns<'_>, Malformed> {
    let mut r = Reader { bytes: body, at: 0 };
    let deps = r.uleb()?;
    r.skip(deps.checked_mul(32).ok_or(Malformed)?)?;
    r.take_len()?;
    r.uleb()?;
    r.uleb()?;
    r.uleb()?; // the time's sign does not matter for skipping it
    r.take_len()?;
    for _ in 0..r.uleb()? {
        r.take_len()?;
    }
    let start = r.at;
    let count = r.uleb()?;
    let mut specs = Vec::new();
    for _ in 0..count {
        specs.push((r.uleb()?, r.uleb()?));
    }
    let mut columns = Vec::with_capacity(specs.len());
    for (spec, len) in specs {
        columns.push((spec, r.take(len)?));
    }
    Ok(Columns { start, columns, end: r.at })
}

/// Rows in one column of type `kind`; for a group column, the larger of its rows and the
/// sum of its values (the rows of the columns it groups).
fn column_rows(kind: u64, data: &[u8]) -> Result<u64, Malformed> {
    const GROUP: u64 = 0;
    const DELTA: u64 = 3;
    const BOOLEAN: u64 = 4;
    const STRING: u64 = 5;
    const RAW: u64 = 7;
    let mut r = Reader { bytes: data, at: 0 };
    let (mut rows, mut grouped) = (0u64, 0u64);
    if kind == RAW {
        return Ok(0);
    }
    while r.at < data.len() {
        if kind == BOOLEAN {
            rows = rows.saturating_add(r.uleb()?);
            continue;
        }
        let run = r.sleb()?;
        let (repeat, values) = match run {
            0 => {
                rows = rows.saturating_add(r.uleb()?);
                continue;
            }
            n if n > 0 => (n.unsigned_abs(), 1),
            n => (1, n.unsigned_abs()),
        };
        for _ in 0..values {
            let value = match kind {
                STRING => {
                    r.take_len()?;
                    0
                }
                DELTA => {
                    r.sleb()?;
                    0
                }
                _ => r.uleb()?,
            };
            if kind == GROUP {
                grouped = grouped.saturating_add(value.saturating_mul(repeat));
            }
        }
        rows = rows.saturating_add(repeat.saturating_mul(values));
    }
    Ok(rows.max(grouped))
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

    #[test]
    fn a_compressed_change_decodes_as_automerge_decodes_it_and_keeps_its_bytes() {
        for chars in [10, 1_000, 20_000] {
            let sent = change_with_notes(chars);
            let (incoming, _) = decode_change(sent.clone()).expect("decoded");
            let mut expected = Change::from_bytes(sent.clone()).expect("automerge decodes it");
            assert_eq!(incoming.change.hash(), expected.hash(), "{chars} characters");
            assert_eq!(incoming.change.raw_bytes(), expected.raw_bytes());
            assert_eq!(incoming.bytes, sent, "the bytes as sent are kept, not compressed again");
            assert_eq!(expected.bytes().as_ref(), sent.as_slice());
            let mut doc = automerge::AutoCommit::new();
            assert!(doc.apply_changes([incoming.change]).is_ok());
        }
        // What Automerge refuses in a compressed change's own header is refused too, though
        // Automerge is given the inflated change: bytes after it, an over-long length.
        let sent = change_with_notes(1_000);
        assert_eq!(sent[CHUNK_TYPE_AT], COMPRESSED_CHANGE);
        let mut trailing = sent.clone();
        trailing.push(0);
        assert!(Change::from_bytes(trailing.clone()).is_err());
        let (code, reason) = decode_change(trailing).err().expect("refused");
        assert_eq!(code, "invalid_change");
        assert!(reason.contains("after the change"), "{reason}");
        let mut reader = Reader { bytes: &sent, at: CHUNK_TYPE_AT + 1 };
        let data = reader.take_len().expect("length");
        let mut overlong = sent[..=CHUNK_TYPE_AT].to_vec();
        let mut length = Vec::new();
        write_uleb(&mut length, data.len() as u64);
        *length.last_mut().expect("a byte") |= 0x80;
        length.push(0);
        overlong.extend(length);
        overlong.extend_from_slice(data);
        assert!(Change::from_bytes(overlong.clone()).is_err(), "Automerge refuses it");
        assert!(decode_change(overlong).is_err());
    }

    /// An uncompressed change: its header and body.
    fn uncompressed(doc: &mut automerge::AutoCommit) -> Vec<u8> {
        doc.commit();
        doc.get_last_local_change().expect("change").raw_bytes().to_vec()
    }

    fn sleb(out: &mut Vec<u8>, mut v: i64) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if (v == 0 && byte & 0x40 == 0) || (v == -1 && byte & 0x40 != 0) {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }

    #[test]
    fn the_rows_counted_before_decoding_are_the_operations_of_honest_changes() {
        let mut doc = automerge::AutoCommit::new();
        doc.put(automerge::ROOT, "name", "客户").unwrap();
        doc.put(automerge::ROOT, "n", 5).unwrap();
        let text = doc.put_object(automerge::ROOT, "notes", automerge::ObjType::Text).unwrap();
        doc.splice_text(&text, 0, 0, &"b".repeat(700)).unwrap();
        let first = uncompressed(&mut doc);
        doc.splice_text(&text, 10, 600, "").unwrap();
        doc.put(automerge::ROOT, "name", "客户二").unwrap();
        let list = doc.put_object(automerge::ROOT, "tags", automerge::ObjType::List).unwrap();
        for i in 0..30 {
            doc.insert(&list, i, i as i64).unwrap();
        }
        let second = uncompressed(&mut doc);
        for change in [first, second] {
            let ops = Change::from_bytes(change.clone()).unwrap().len() as u64;
            let Body::Plain(range) = body(&change).unwrap() else { panic!("uncompressed") };
            assert_eq!(rows(&change[range]).unwrap(), ops);
        }
    }

    /// `honest` (an uncompressed change) with its columns replaced by what `edit` makes of
    /// them, re-checksummed, as a hostile client would build it.
    fn with_columns(honest: &[u8], edit: impl Fn(Vec<(u64, Vec<u8>)>) -> Vec<(u64, Vec<u8>)>) -> Vec<u8> {
        let Body::Plain(range) = body(honest).unwrap() else { panic!("uncompressed") };
        let old = &honest[range];
        let layout = columns(old).unwrap();
        let mut body = old[..layout.start].to_vec();
        let trailing = old[layout.end..].to_vec();
        let columns = layout.columns.into_iter().map(|(spec, data)| (spec, data.to_vec())).collect();
        let columns = edit(columns);
        write_uleb(&mut body, columns.len() as u64);
        for (spec, data) in &columns {
            write_uleb(&mut body, *spec);
            write_uleb(&mut body, data.len() as u64);
        }
        for (_, data) in &columns {
            body.extend_from_slice(data);
        }
        body.extend_from_slice(&trailing);
        crm_core::chunk::frame(CHANGE, &body)
    }

    const ACTION: u64 = 4 << 4 | 2;

    /// One run of 2^40 "set"s.
    fn billions() -> Vec<u8> {
        let mut run = Vec::new();
        sleb(&mut run, 1 << 40);
        write_uleb(&mut run, 1);
        run
    }

    fn honest_put() -> Vec<u8> {
        let mut doc = automerge::AutoCommit::new();
        doc.put(automerge::ROOT, "name", "x").unwrap();
        uncompressed(&mut doc)
    }

    fn refusal(bytes: Vec<u8>) -> (&'static str, String) {
        decode_change(bytes).map(|_| ()).expect_err("refused")
    }

    #[test]
    fn a_run_claiming_billions_of_operations_is_refused_before_decoding() {
        let bomb = with_columns(&honest_put(), |columns| {
            assert!(columns.iter().any(|(spec, _)| *spec == ACTION), "found the action column");
            columns
                .into_iter()
                .map(|(spec, data)| if spec == ACTION { (spec, billions()) } else { (spec, data) })
                .collect()
        });
        assert!(bomb.len() < 200, "{} bytes", bomb.len());
        assert_eq!(refusal(bomb).0, "too_large");
        // Hidden behind more columns than a reader might care to look at: still counted.
        let hidden = with_columns(&honest_put(), |columns| {
            let mut all: Vec<(u64, Vec<u8>)> = (1..=1_100).map(|i| ((i << 8) | 1, Vec::new())).collect();
            all.extend(
                columns.into_iter().map(|(spec, data)| if spec == ACTION { (spec, billions()) } else { (spec, data) }),
            );
            all
        });
        assert_eq!(refusal(hidden).0, "too_large");
    }

    #[test]
    fn documents_and_compressed_columns_are_not_changes() {
        let mut doc = automerge::AutoCommit::new();
        doc.put(automerge::ROOT, "name", "x").unwrap();
        let (code, reason) = refusal(doc.save());
        assert_eq!(code, "invalid_change");
        assert!(reason.contains("not a change"), "{reason}");
        let deflated = with_columns(&honest_put(), |columns| {
            columns
                .into_iter()
                .map(|(spec, data)| if spec == ACTION { (spec | DEFLATED, data) } else { (spec, data) })
                .collect()
        });
        let (code, reason) = refusal(deflated);
        assert_eq!(code, "invalid_change");
        assert!(reason.contains("compressed column"), "{reason}");
    }

    #[test]
    fn a_push_holds_a_bounded_amount_decoded_and_the_rest_waits() {
        // Changes of a few KB each that inflate to almost 4 MiB: a 16 MiB frame carries
        // thousands of them.
        let big = |i: usize| {
            let mut doc = automerge::AutoCommit::new();
            doc.put(automerge::ROOT, "notes", "0".repeat(4_000_000 - 64)).unwrap();
            doc.commit();
            let bytes = doc.get_last_local_change().expect("change").bytes().into_owned();
            crm_core::sync::protocol::DocBytes { doc: format!("doc-{i}"), bytes }
        };
        let decoded: Vec<Decoded> = decode_push((0..24).map(big).collect()).collect();
        let taken = decoded.iter().take_while(|(_, d)| d.is_ok()).count();
        assert!((16..=17).contains(&taken), "{taken} decoded");
        assert!(decoded[taken..].iter().all(|(_, d)| matches!(d, Err(("deferred", _)))), "the rest waits");
    }
}
