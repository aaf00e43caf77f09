//! Automerge's chunk framing — the outer layer of its binary format — read without Automerge:
//! magic bytes, a checksum (the first four bytes of the SHA-256 of what follows it), the
//! chunk's type, its length as LEB128 and its body. The server reads a pushed change's header
//! with this before letting Automerge decode it (`sync-server`'s limits); a device checks a
//! bootstrap snapshot's framing and checksum with it instead of decoding the document.

use sha2::Digest;

/// The four bytes every chunk starts with.
pub const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
/// Where the chunk type is: after the magic bytes and the checksum.
pub const CHUNK_TYPE_AT: usize = 8;
/// Chunk types.
pub const DOCUMENT: u8 = 0;
pub const CHANGE: u8 = 1;
pub const COMPRESSED_CHANGE: u8 = 2;

/// The checksum of a chunk of `chunk_type` with `body`: the first four bytes of the SHA-256
/// of its type, its length and its body.
pub fn checksum(chunk_type: u8, body: &[u8]) -> [u8; 4] {
    let mut head = vec![chunk_type];
    write_uleb(&mut head, body.len() as u64);
    let hash = sha2::Sha256::new().chain_update(&head).chain_update(body).finalize();
    [hash[0], hash[1], hash[2], hash[3]]
}

/// A chunk of `chunk_type` holding `body`, checksummed.
pub fn frame(chunk_type: u8, body: &[u8]) -> Vec<u8> {
    let mut chunk = Vec::with_capacity(CHUNK_TYPE_AT + 11 + body.len());
    chunk.extend_from_slice(&MAGIC);
    chunk.extend_from_slice(&checksum(chunk_type, body));
    chunk.push(chunk_type);
    write_uleb(&mut chunk, body.len() as u64);
    chunk.extend_from_slice(body);
    chunk
}

/// Whether `bytes` are exactly one whole-document chunk (what `save` writes) whose checksum
/// matches: framed as Automerge frames a saved document, and not damaged on the way. Says
/// nothing about whether its columns decode.
pub fn is_one_document(bytes: &[u8]) -> bool {
    if bytes.get(..4) != Some(&MAGIC[..]) || bytes.get(CHUNK_TYPE_AT) != Some(&DOCUMENT) {
        return false;
    }
    let mut reader = Reader { bytes, at: CHUNK_TYPE_AT + 1 };
    let Ok(body) = reader.take_len() else { return false };
    reader.at == bytes.len()
        && is_fewest_uleb(&bytes[CHUNK_TYPE_AT + 1..reader.at - body.len()], body.len() as u64)
        && bytes[4..CHUNK_TYPE_AT] == checksum(DOCUMENT, body)
}

/// Append `v` as unsigned LEB128 in the fewest bytes (the only form Automerge reads).
pub fn write_uleb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Bytes that end before what they say, or a number too large for 64 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("malformed bytes: truncated, or a number past 64 bits")
    }
}

/// Whether `written` is `value` as unsigned LEB128 in the fewest bytes: Automerge refuses a
/// chunk whose length is written in more.
pub fn is_fewest_uleb(written: &[u8], value: u64) -> bool {
    let mut fewest = Vec::new();
    write_uleb(&mut fewest, value);
    written == fewest
}

/// LEB128 and length-prefixed reads over a byte slice.
pub struct Reader<'a> {
    pub bytes: &'a [u8],
    pub at: usize,
}

impl<'a> Reader<'a> {
    pub fn uleb(&mut self) -> Result<u64, Malformed> {
        let mut value: u64 = 0;
        let mut shift = 0;
        loop {
            let byte = *self.bytes.get(self.at).ok_or(Malformed)?;
            self.at += 1;
            value |= u64::from(byte & 0x7f).checked_shl(shift).ok_or(Malformed)?;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
            shift += 7;
            if shift > 63 {
                return Err(Malformed);
            }
        }
    }

    pub fn sleb(&mut self) -> Result<i64, Malformed> {
        let mut value: i64 = 0;
        let mut shift = 0;
        loop {
            let byte = *self.bytes.get(self.at).ok_or(Malformed)?;
            self.at += 1;
            value |= i64::from(byte & 0x7f).checked_shl(shift).ok_or(Malformed)?;
            shift += 7;
            if byte & 0x80 == 0 {
                if shift < 64 && byte & 0x40 != 0 {
                    value |= -1i64 << shift;
                }
                return Ok(value);
            }
            if shift > 63 {
                return Err(Malformed);
            }
        }
    }

    pub fn take(&mut self, len: u64) -> Result<&'a [u8], Malformed> {
        let end = usize::try_from(len).ok().and_then(|l| self.at.checked_add(l)).ok_or(Malformed)?;
        let data = self.bytes.get(self.at..end).ok_or(Malformed)?;
        self.at = end;
        Ok(data)
    }

    pub fn skip(&mut self, len: u64) -> Result<(), Malformed> {
        self.take(len).map(|_| ())
    }

    /// A length-prefixed run of bytes.
    pub fn take_len(&mut self) -> Result<&'a [u8], Malformed> {
        let len = self.uleb()?;
        self.take(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_document_is_one_checksummed_document_chunk_and_damage_is_seen() {
        let mut doc = automerge::AutoCommit::new();
        automerge::transaction::Transactable::put(&mut doc, automerge::ROOT, "name", "杭州宏达").expect("put");
        let saved = doc.save();
        assert!(is_one_document(&saved), "what save writes");
        let mut flipped = saved.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(!is_one_document(&flipped), "a changed byte fails the checksum");
        assert!(!is_one_document(&saved[..saved.len() - 1]), "truncated");
        let mut longer = saved.clone();
        longer.push(0);
        assert!(!is_one_document(&longer), "bytes after it");
        // The same body with its length in one byte more than it needs.
        let mut r = Reader { bytes: &saved, at: CHUNK_TYPE_AT + 1 };
        let body = r.take_len().expect("length").to_vec();
        let mut overlong = saved[..=CHUNK_TYPE_AT].to_vec();
        let mut length = Vec::new();
        write_uleb(&mut length, body.len() as u64);
        let last = length.len() - 1;
        length[last] |= 0x80;
        length.push(0);
        overlong.extend_from_slice(&length);
        overlong.extend_from_slice(&body);
        assert!(!is_one_document(&overlong), "a length not in the fewest bytes");
        let change = doc.get_last_local_change().expect("a change").raw_bytes().to_vec();
        assert!(!is_one_document(&change), "a change is not a document");
        assert!(!is_one_document(b""), "nothing");
        // `frame` makes what Automerge reads: a document chunk framed here loads.
        let body = &saved[CHUNK_TYPE_AT + 1..];
        let mut r = Reader { bytes: body, at: 0 };
        let inner = r.take_len().expect("length");
        assert_eq!(frame(DOCUMENT, inner), saved);
    }
}
