//! The write-id envelope of values written through compare-and-swap on a real store.
//!
//! A swap's answer cannot be trusted on every Spin store (see [`crate::checked`]), so its outcome
//! is read back: the writer looks for its own write id in what the key holds afterwards. Every
//! value a [`crate::CheckedKv`] swaps in is therefore stored as
//!
//! ```text
//! MAGIC | n (1 byte) | n write ids (8 bytes each, newest first) | payload
//! ```
//!
//! The ids are the value's own write id followed by those of the values it replaced, up to
//! [`HISTORY`]: a writer whose value was committed and then replaced by a swap built on it still
//! finds its id, so it is not told it lost a race it won. Another writer's identical payload
//! carries another id, so it is never taken for ours.
//!
//! Readers see only the payload. A value without the magic is a plain value (written by `set`,
//! or before envelopes existed) and is its own payload; a plain value that happens to start
//! with the magic is stored in an envelope with no ids, so decoding is never ambiguous.

use crate::KvError;

/// Marks an enveloped value. Starts with NUL: no JSON or text value the app stores does.
pub const MAGIC: &[u8] = b"\0avisos-cas\0";

/// How many write ids a value carries (its own and its predecessors'): a writer preempted
/// between its swap and its read-back while this many others swap the same key is told it
/// lost (and retries an idempotent change). 32 ids (256 bytes) keep that out of reach of the
/// directory's racing writers on a loaded 2-core machine, where 8 and 16 were not
/// (`avisos-certification`, `fault_tests::directory_races`).
pub const HISTORY: usize = 32;

/// One write's id: random, unique per write for all practical purposes (64 bits).
pub type WriteId = u64;

/// A stored value, split into its write ids and its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded<'a> {
    /// Newest first; empty for a plain value.
    pub ids: Vec<WriteId>,
    pub payload: &'a [u8],
}

impl Decoded<'_> {
    /// Whether the write `id` produced this value or one it was built on.
    pub fn descends_from(&self, id: WriteId) -> bool {
        self.ids.contains(&id)
    }
}

/// Splits a stored value. A value that starts with [`MAGIC`] but is cut short is corrupt.
pub fn decode<'a>(key: &str, raw: &'a [u8]) -> Result<Decoded<'a>, KvError> {
    let Some(rest) = raw.strip_prefix(MAGIC) else {
        return Ok(Decoded {
            ids: Vec::new(),
            payload: raw,
        });
    };
    let corrupt = || KvError::Corrupt {
        key: key.to_string(),
        reason: "truncated write-id envelope".into(),
    };
    let (&n, rest) = rest.split_first().ok_or_else(corrupt)?;
    let n = usize::from(n);
    if n > HISTORY || rest.len() < n * 8 {
        return Err(corrupt());
    }
    let (ids, payload) = rest.split_at(n * 8);
    let ids = ids
        .chunks_exact(8)
        .map(|c| {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            WriteId::from_le_bytes(b)
        })
        .collect();
    Ok(Decoded { ids, payload })
}

/// The payload of a stored value (what every reader of the key is given).
pub fn payload<'a>(key: &str, raw: &'a [u8]) -> Result<&'a [u8], KvError> {
    decode(key, raw).map(|d| d.payload)
}

/// The stored form of `payload` written by `id` over a value that carried `previous` ids.
pub fn encode(id: WriteId, previous: &[WriteId], payload: &[u8]) -> Vec<u8> {
    let kept = previous.len().min(HISTORY - 1);
    let mut out = Vec::with_capacity(MAGIC.len() + 1 + (kept + 1) * 8 + payload.len());
    out.extend_from_slice(MAGIC);
    out.push((kept + 1) as u8);
    out.extend_from_slice(&id.to_le_bytes());
    for previous in &previous[..kept] {
        out.extend_from_slice(&previous.to_le_bytes());
    }
    out.extend_from_slice(payload);
    out
}

/// The stored form of a plain `set`: the value itself, unless it could be mistaken for an
/// envelope.
pub fn plain(value: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if value.starts_with(MAGIC) {
        let mut out = Vec::with_capacity(MAGIC.len() + 1 + value.len());
        out.extend_from_slice(MAGIC);
        out.push(0);
        out.extend_from_slice(value);
        std::borrow::Cow::Owned(out)
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_values_are_their_own_payload() {
        let d = decode("k", b"{\"a\":1}").unwrap();
        assert!(d.ids.is_empty());
        assert_eq!(d.payload, b"{\"a\":1}");
        assert_eq!(plain(b"abc").as_ref(), b"abc");
    }

    #[test]
    fn a_plain_value_that_looks_like_an_envelope_round_trips() {
        let mut tricky = MAGIC.to_vec();
        tricky.extend_from_slice(b"\x02not really");
        let stored = plain(&tricky);
        assert_ne!(stored.as_ref(), tricky.as_slice());
        let d = decode("k", &stored).unwrap();
        assert!(d.ids.is_empty());
        assert_eq!(d.payload, tricky.as_slice());
    }

    #[test]
    fn ids_are_kept_newest_first_up_to_the_history() {
        let mut stored = encode(1, &[], b"v1");
        let last = HISTORY as u64 + 12;
        for id in 2..=last {
            let before = decode("k", &stored).unwrap();
            stored = encode(id, &before.ids, format!("v{id}").as_bytes());
        }
        let d = decode("k", &stored).unwrap();
        assert_eq!(d.payload, format!("v{last}").as_bytes());
        let oldest = last + 1 - HISTORY as u64;
        assert_eq!(d.ids, (oldest..=last).rev().collect::<Vec<_>>());
        assert!(d.descends_from(oldest));
        assert!(!d.descends_from(oldest - 1), "older than the history");
    }

    #[test]
    fn truncated_envelopes_are_corrupt() {
        let stored = encode(7, &[6, 5], b"x");
        for cut in [MAGIC.len(), MAGIC.len() + 1, MAGIC.len() + 9] {
            assert!(
                matches!(decode("k", &stored[..cut]), Err(KvError::Corrupt { .. })),
                "cut at {cut}"
            );
        }
        let mut too_many = MAGIC.to_vec();
        too_many.push((HISTORY + 1) as u8);
        too_many.extend(std::iter::repeat_n(0u8, (HISTORY + 1) * 8));
        assert!(decode("k", &too_many).is_err());
    }
}
