//! Fuzzing the server's frame handling: sequences of WebSocket frames — valid protocol
//! messages, the same mutated (bits flipped, cut short, stretched, spliced), random bytes, text
//! — sent by a signed-in device to a real server on loopback. The server must answer or close,
//! never panic, and keep serving real devices. `fuzz-frames` (`src/bin`) runs it for a time
//! box with a seed and keeps any input that made the server panic in `tests/fuzz/frames/`;
//! the `fuzz_regressions` test replays those files and a fixed-seed sample every run.
//!
//! A kept input is a file of frames, each `[kind: 1 byte, 0 binary / 1 text][length: u32 LE]
//! [bytes]`.

use std::time::Duration;

use crm_core::demo::Rng;
use crm_core::sync::protocol::{encode, ClientMsg, DocBytes, PROTOCOL_VERSION};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use crate::wire::Ws;

/// One frame as sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    Binary(Vec<u8>),
    Text(Vec<u8>),
}

/// Where inputs that made the server panic are kept (and replayed from).
pub fn corpus_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/frames")
}

/// A sequence of frames as a file.
pub fn to_file(frames: &[Frame]) -> Vec<u8> {
    let mut out = Vec::new();
    for frame in frames {
        let (kind, bytes) = match frame {
            Frame::Binary(b) => (0u8, b),
            Frame::Text(b) => (1u8, b),
        };
        out.push(kind);
        out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(bytes);
    }
    out
}

/// The frames of a kept file; `None` when it is not one.
pub fn from_file(mut bytes: &[u8]) -> Option<Vec<Frame>> {
    let mut frames = Vec::new();
    while !bytes.is_empty() {
        let (&kind, rest) = bytes.split_first()?;
        let len = u32::from_le_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        let body = rest.get(4..4 + len)?.to_vec();
        frames.push(if kind == 1 { Frame::Text(body) } else { Frame::Binary(body) });
        bytes = &rest[4 + len..];
    }
    Some(frames)
}

/// Valid messages to start from: hellos, pings, a push of a real change, a repair.
pub fn seeds(doc: &str, change: &[u8]) -> Vec<Vec<u8>> {
    vec![
        encode(&ClientMsg::Hello { protocol: PROTOCOL_VERSION, cursor: 0, epoch: None, read_models: None }),
        encode(&ClientMsg::Hello {
            protocol: PROTOCOL_VERSION,
            cursor: u64::MAX,
            epoch: Some("x".repeat(40)),
            read_models: None,
        }),
        encode(&ClientMsg::Ping { n: 7 }),
        encode(&ClientMsg::Push {
            batch: 1,
            changes: vec![DocBytes { doc: doc.to_string(), bytes: change.to_vec() }],
            ahead: false,
        }),
        encode(&ClientMsg::Push {
            batch: u64::MAX,
            changes: vec![DocBytes { doc: "not-a-uuid".into(), bytes: change.to_vec() }; 3],
            ahead: true,
        }),
        encode(&ClientMsg::Repair { doc: doc.to_string(), message: change.to_vec() }),
    ]
}

/// One input: 1–4 frames, after a hello most of the time (so what follows it is judged too).
pub fn input(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<Frame> {
    let mut frames = Vec::new();
    if rng.chance(80) {
        frames.push(Frame::Binary(seeds[0].clone()));
    }
    for _ in 0..1 + rng.below(3) {
        let seed = seeds[rng.below(seeds.len())].clone();
        frames.push(match rng.below(10) {
            0 => Frame::Binary(random_bytes(rng, 512)),
            1 => Frame::Text(mutate(rng, seed, seeds)),
            2 => Frame::Binary(seed),
            _ => Frame::Binary(mutate(rng, seed, seeds)),
        });
    }
    frames
}

fn random_bytes(rng: &mut Rng, max: usize) -> Vec<u8> {
    (0..rng.below(max + 1)).map(|_| rng.next_u64() as u8).collect()
}

/// `bytes` changed a few ways at once.
pub fn mutate(rng: &mut Rng, mut bytes: Vec<u8>, seeds: &[Vec<u8>]) -> Vec<u8> {
    for _ in 0..1 + rng.below(4) {
        let at = |rng: &mut Rng, len: usize| if len == 0 { 0 } else { rng.below(len) };
        match rng.below(7) {
            // Flip bits.
            0 | 1 => {
                for _ in 0..1 + rng.below(8) {
                    let i = at(rng, bytes.len());
                    if let Some(b) = bytes.get_mut(i) {
                        *b ^= 1 << rng.below(8);
                    }
                }
            }
            // Cut short.
            2 => {
                let keep = at(rng, bytes.len());
                bytes.truncate(keep);
            }
            // Insert noise.
            3 => {
                let i = at(rng, bytes.len());
                let noise = random_bytes(rng, 32);
                bytes.splice(i..i, noise);
            }
            // Repeat a piece (lengths that lie, nested arrays).
            4 => {
                let (a, b) = (at(rng, bytes.len()), at(rng, bytes.len()));
                let piece = bytes[a.min(b)..a.max(b)].to_vec();
                for _ in 0..1 + rng.below(50) {
                    bytes.extend_from_slice(&piece);
                }
            }
            // Splice with another message.
            5 => {
                let other = &seeds[rng.below(seeds.len())];
                let (i, j) = (at(rng, bytes.len()), at(rng, other.len()));
                bytes.truncate(i);
                bytes.extend_from_slice(&other[j..]);
            }
            // A byte set to an edge value (CBOR lengths and types).
            _ => {
                let i = at(rng, bytes.len());
                if let Some(b) = bytes.get_mut(i) {
                    *b = *rng.pick(&[0x00, 0x1b, 0x3b, 0x5b, 0x7f, 0x9b, 0x9f, 0xbf, 0xff]);
                }
            }
        }
    }
    bytes
}

/// Send `frames` on `ws`, reading what comes back (at most `wait` after each); stops early
/// when the server closes the connection, which is an answer too.
pub async fn replay(ws: &mut Ws, frames: &[Frame], wait: Duration) {
    for frame in frames {
        let message = match frame {
            Frame::Binary(b) => Message::Binary(b.clone().into()),
            Frame::Text(b) => Message::Text(String::from_utf8_lossy(b).into_owned().into()),
        };
        if ws.send(message).await.is_err() {
            return;
        }
        loop {
            match tokio::time::timeout(wait, ws.next()).await {
                Ok(Some(Ok(Message::Close(_)))) | Ok(Some(Err(_))) | Ok(None) => return,
                Ok(Some(Ok(_))) => continue,
                Err(_) => break,
            }
        }
    }
    let _ = ws.close(None).await;
}
