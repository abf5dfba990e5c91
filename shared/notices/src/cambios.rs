//! The employer's change sequence (issue 19): a payroll system follows it with a cursor and
//! receives only what changed since its last run.
//!
//! Every aviso a publication adds or replaces gets the next **position** of its employer's
//! sequence (1, 2, …), in the order the publication listed it; re-sending an aviso unchanged adds
//! nothing. The changes are kept, each with the aviso as it was published, in **blocks** of
//! [`BLOCK`] positions: block `i` holds positions `i·BLOCK + 1 ..= (i+1)·BLOCK`. The index
//! ([`crate::store::Index`]) names each block's key, the last position and the sequence's name
//! (`flujo`), so the sequence changes exactly when the index is swapped: a reader sees the
//! changes of the publications before its index, all of them, and none after. A cursor
//! therefore never skips or repeats a change, even while a publication is being written.
//!
//! Blocks are copy-on-write like the avisos' pages: a publication rewrites the last, partly
//! filled block (under its own generation) together with the new ones, and the superseded block
//! is kept for [`crate::store::RETIRED_SECONDS`] so a reader holding the previous index still
//! finds it.
//!
//! A **cursor** is `<flujo>.<position>`: the changes after `position` of the sequence `flujo`.
//! `inicio` asks for the sequence from its first change. The `flujo` is derived from the
//! employer's RFC and its first publication, so a cursor of another employer, or of a store that
//! was emptied and published again, is refused instead of skipping changes.
//!
//! An employer whose index predates the sequence (written before it existed) has its avisos, in
//! stored order, as positions `1..=total`: reads present them so from its pages, and its next
//! publication writes them down as its first blocks before its own changes.

use avisos_kv::{KeyValue, KeyValueJson};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::AvisosError;
use crate::aviso::Aviso;
use crate::store::{self, Index};

/// Positions per block (a block of full avisos stays around 200 KB of JSON, like a page).
pub const BLOCK: u64 = 500;

/// The value of a cursor that asks for the sequence from its first change.
pub const INICIO: &str = "inicio";

/// What happened to an aviso at a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TipoCambio {
    /// A folio the employer did not have.
    Nuevo,
    /// A new version of a folio the employer had (it replaces the earlier one).
    Reemplazado,
}

impl TipoCambio {
    pub const ALL: [TipoCambio; 2] = [TipoCambio::Nuevo, TipoCambio::Reemplazado];
}

/// One change: its position and the aviso as that publication left it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cambio {
    pub posicion: u64,
    pub cambio: TipoCambio,
    pub aviso: Aviso,
}

/// The sequence as the index records it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feed {
    /// The sequence's name in cursors; empty until the employer's first change.
    #[serde(default)]
    pub flujo: String,
    /// The last position (0: no change yet).
    #[serde(default)]
    pub secuencia: u64,
    /// The key of each block, in order.
    #[serde(default)]
    pub bloques: Vec<String>,
}

/// Where a consultation asks to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    /// From the first change.
    Inicio,
    /// After `posicion` of the sequence `flujo`.
    Tras { flujo: String, posicion: u64 },
}

impl Cursor {
    /// Reads a cursor as a client sent it (malformed: `CURSOR_INVALIDO`).
    pub fn parse(raw: &str) -> Result<Cursor, AvisosError> {
        let raw = raw.trim();
        if raw == INICIO {
            return Ok(Cursor::Inicio);
        }
        let (flujo, posicion) = raw.split_once('.').ok_or(AvisosError::CursorInvalid)?;
        let hex = flujo.len() == FLUJO_LEN
            && flujo
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let digits = !posicion.is_empty()
            && posicion.len() <= 15
            && posicion.bytes().all(|b| b.is_ascii_digit());
        if !hex || !digits {
            return Err(AvisosError::CursorInvalid);
        }
        let posicion = posicion.parse().map_err(|_| AvisosError::CursorInvalid)?;
        Ok(Cursor::Tras {
            flujo: flujo.to_string(),
            posicion,
        })
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cursor::Inicio => f.write_str(INICIO),
            Cursor::Tras { flujo, posicion } => write!(f, "{flujo}.{posicion}"),
        }
    }
}

/// Hex digits of a `flujo`.
const FLUJO_LEN: usize = 16;

fn flujo_of(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    h.finalize()[..FLUJO_LEN / 2]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The name of a sequence that starts with the publication of `generation` at `now`.
fn fresh_flujo(patron: &str, generation: i64, now: DateTime<Utc>) -> String {
    flujo_of(&[
        "avisos",
        &patron.to_uppercase(),
        &generation.to_string(),
        &now.timestamp_micros().to_string(),
    ])
}

/// The name of the sequence of an index written before sequences existed: the same whether a
/// reader derives it or the publication that writes the sequence down.
fn legacy_flujo(patron: &str, index: &Index) -> String {
    let first = index
        .paginas
        .first()
        .map(|p| p.clave.as_str())
        .unwrap_or("");
    let updated = index
        .actualizado
        .map(|t| t.to_rfc3339())
        .unwrap_or_default();
    flujo_of(&["avisos-previos", &patron.to_uppercase(), first, &updated])
}

/// Whether the index has avisos but no sequence yet.
fn is_legacy(index: &Index) -> bool {
    index.cambios.flujo.is_empty() && index.total > 0
}

fn block_key(patron: &str, generation: i64, block: u64) -> String {
    format!(
        "avisos:{}:cambios:{generation}:{block}",
        patron.to_uppercase()
    )
}

/// What a publication adds to the sequence, before the index is swapped.
pub(crate) struct Appended {
    pub feed: Feed,
    /// The block the new blocks supersede (the old last one, when it was partly filled).
    pub superseded: Option<String>,
}

/// Writes the blocks that `changes` (in order) need after `old`'s sequence, under
/// `generation`, noting each key in `written` as soon as it is set.
pub(crate) fn append(
    kv: &dyn KeyValue,
    patron: &str,
    old: &Index,
    changes: Vec<(TipoCambio, Aviso)>,
    generation: i64,
    now: DateTime<Utc>,
    written: &mut Vec<String>,
) -> Result<Appended, AvisosError> {
    let mut feed = old.cambios.clone();
    let mut tail: Vec<Cambio> = Vec::new();
    let mut superseded = None;
    if feed.flujo.is_empty() {
        if is_legacy(old) {
            // Write down the positions readers have been deriving from the pages.
            feed.flujo = legacy_flujo(patron, old);
            tail = legacy_changes(kv, old, 0, old.total as u64)?;
            feed.secuencia = old.total as u64;
        } else {
            feed.flujo = fresh_flujo(patron, generation, now);
        }
    } else if !feed.secuencia.is_multiple_of(BLOCK) {
        let last = feed.bloques.pop().ok_or_else(no_blocks)?;
        tail = load_block(kv, &last)?;
        superseded = Some(last);
    }
    for (cambio, aviso) in changes {
        feed.secuencia += 1;
        tail.push(Cambio {
            posicion: feed.secuencia,
            cambio,
            aviso,
        });
    }
    for chunk in tail.chunks(BLOCK as usize) {
        let block = (chunk[0].posicion - 1) / BLOCK;
        let key = block_key(patron, generation, block);
        kv.set_json(&key, chunk)?;
        written.push(key.clone());
        feed.bloques.push(key);
    }
    Ok(Appended { feed, superseded })
}

fn no_blocks() -> AvisosError {
    AvisosError::Internal("avisos change sequence without blocks".into())
}

fn load_block(kv: &dyn KeyValue, key: &str) -> Result<Vec<Cambio>, AvisosError> {
    decode_block(key, kv.get(key)?)
}

/// A block as read: one named by an index is written before it and kept a while after it is
/// superseded, so a missing one means corruption.
fn decode_block(key: &str, raw: Option<Vec<u8>>) -> Result<Vec<Cambio>, AvisosError> {
    let raw = raw.ok_or_else(|| {
        AvisosError::Internal("avisos change block named by the index is missing".into())
    })?;
    serde_json::from_slice(&raw)
        .map_err(|_| AvisosError::Internal(format!("corrupt change block {key}")))
}

/// The changes after a cursor, at most `limit`, and where the next request starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cambios {
    pub cambios: Vec<Cambio>,
    /// The cursor after the last change delivered (the one sent, when there was none).
    pub cursor: Cursor,
    /// Changes after `cursor` already in the sequence: another request fetches them.
    pub pendientes: u64,
}

/// The changes of `index`'s sequence after `cursor`, at most `limit` of them, in order.
/// A cursor of another sequence, or past its end, is `CURSOR_DESCONOCIDO`.
pub fn read(
    kv: &dyn KeyValue,
    patron: &str,
    index: &Index,
    cursor: &Cursor,
    limit: usize,
) -> Result<Cambios, AvisosError> {
    let legacy = is_legacy(index);
    let (flujo, secuencia) = if legacy {
        (legacy_flujo(patron, index), index.total as u64)
    } else {
        (index.cambios.flujo.clone(), index.cambios.secuencia)
    };
    let after = match cursor {
        Cursor::Inicio => 0,
        Cursor::Tras { flujo: f, posicion } if *f == flujo && *posicion <= secuencia => *posicion,
        Cursor::Tras { .. } => return Err(AvisosError::CursorUnknown),
    };
    let last = secuencia.min(after.saturating_add(limit as u64));
    let cambios = if after >= last {
        Vec::new()
    } else if legacy {
        legacy_changes(kv, index, after, last)?
    } else {
        let blocks = (after / BLOCK) as usize..=((last - 1) / BLOCK) as usize;
        let keys = index
            .cambios
            .bloques
            .get(blocks)
            .ok_or_else(no_blocks)?
            .to_vec();
        let mut out = Vec::with_capacity((last - after) as usize);
        for (key, raw) in keys.iter().zip(kv.get_many(&keys)?) {
            out.extend(
                decode_block(key, raw)?
                    .into_iter()
                    .filter(|c| after < c.posicion && c.posicion <= last),
            );
        }
        out
    };
    // Nothing delivered from the start of an empty sequence: still at its start.
    let posicion = cambios.last().map_or(after, |c| c.posicion);
    let cursor = match posicion {
        0 => Cursor::Inicio,
        posicion => Cursor::Tras { flujo, posicion },
    };
    Ok(Cambios {
        pendientes: secuencia - posicion,
        cambios,
        cursor,
    })
}

/// Positions `after+1 ..= last` of an index without a sequence: its avisos in stored order.
fn legacy_changes(
    kv: &dyn KeyValue,
    index: &Index,
    after: u64,
    last: u64,
) -> Result<Vec<Cambio>, AvisosError> {
    let mut out = Vec::new();
    let mut start = 0u64;
    for p in &index.paginas {
        let (from, to) = (start, start + p.n as u64);
        start = to;
        if to <= after || from >= last {
            continue;
        }
        for (i, aviso) in store::load_page(kv, p)?.into_iter().enumerate() {
            let posicion = from + i as u64 + 1;
            if after < posicion && posicion <= last {
                out.push(Cambio {
                    posicion,
                    cambio: TipoCambio::Nuevo,
                    aviso,
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aviso::{sample, validate};
    use crate::store::{commit, load_all, load_index, merge};
    use avisos_kv::MemoryKv;
    use chrono::NaiveDate;

    const PATRON: &str = "EDE200101AB0";

    fn row(seq: u32) -> serde_json::Value {
        let d: NaiveDate = "2026-03-01".parse().unwrap();
        sample::row(seq, d + chrono::Days::new(u64::from(seq % 200)))
    }

    fn aviso(seq: u32) -> Aviso {
        validate(&row(seq)).unwrap()
    }

    fn publish(kv: &dyn KeyValue, patron: &str, avisos: &[Aviso]) -> Index {
        let before = load_index(kv, patron).unwrap();
        let m = merge(load_all(kv, &before.1).unwrap(), avisos);
        commit(kv, patron, before, m, Utc::now()).unwrap()
    }

    fn index(kv: &dyn KeyValue) -> Index {
        load_index(kv, PATRON).unwrap().1
    }

    /// Follows the sequence from `cursor` to its end, `limit` at a time.
    fn follow(kv: &dyn KeyValue, cursor: &Cursor, limit: usize) -> (Vec<Cambio>, Cursor) {
        let mut cursor = cursor.clone();
        let mut out = Vec::new();
        loop {
            let r = read(kv, PATRON, &index(kv), &cursor, limit).unwrap();
            let done = r.pendientes == 0;
            out.extend(r.cambios);
            cursor = r.cursor;
            if done {
                return (out, cursor);
            }
        }
    }

    #[test]
    fn a_cursor_returns_each_change_once_in_order() {
        let kv = MemoryKv::new();
        // No avisos yet: nothing, and the cursor stays at the start.
        let r = read(&kv, PATRON, &index(&kv), &Cursor::Inicio, 10).unwrap();
        assert_eq!((r.cambios.len(), r.pendientes), (0, 0));
        assert_eq!(r.cursor, Cursor::Inicio);

        let first: Vec<Aviso> = (1..=3).map(aviso).collect();
        publish(&kv, PATRON, &first);
        let r = read(&kv, PATRON, &index(&kv), &Cursor::Inicio, 2).unwrap();
        assert_eq!(r.cambios.len(), 2);
        assert_eq!(r.pendientes, 1);
        let (rest, cursor) = follow(&kv, &r.cursor, 2);
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].posicion, 3);
        assert_eq!(rest[0].aviso, first[2]);

        // One replaced, one new, one sent again unchanged: two changes.
        let mut changed = row(2);
        changed["valor_descuento"] = serde_json::json!("30.0000");
        let changed = validate(&changed).unwrap();
        assert_ne!(changed, first[1]);
        publish(&kv, PATRON, &[changed.clone(), aviso(4), first[0].clone()]);
        let (news, cursor) = follow(&kv, &cursor, 10);
        let got: Vec<(u64, TipoCambio)> = news.iter().map(|c| (c.posicion, c.cambio)).collect();
        assert_eq!(got, [(4, TipoCambio::Reemplazado), (5, TipoCambio::Nuevo)]);
        assert_eq!(news[0].aviso, changed);
        // Nothing new: the same cursor back.
        let r = read(&kv, PATRON, &index(&kv), &cursor, 10).unwrap();
        assert!(r.cambios.is_empty());
        assert_eq!(r.cursor, cursor);
    }

    #[test]
    fn blocks_fill_across_publications_and_old_readers_still_find_theirs() {
        let kv = MemoryKv::new();
        let n = |from: u32, to: u32| (from..to).map(aviso).collect::<Vec<_>>();
        publish(&kv, PATRON, &n(0, 700));
        let before = index(&kv);
        publish(&kv, PATRON, &n(700, 1100));
        publish(&kv, PATRON, &n(1100, 1101));
        let now = index(&kv);
        assert_eq!(now.cambios.secuencia, 1101);
        assert_eq!(now.cambios.bloques.len(), 3);
        let (all, _) = follow(&kv, &Cursor::Inicio, 333);
        let positions: Vec<u64> = all.iter().map(|c| c.posicion).collect();
        assert_eq!(positions, (1..=1101).collect::<Vec<_>>());
        let folios: std::collections::BTreeSet<_> =
            all.iter().map(|c| c.aviso.folio_aviso.clone()).collect();
        assert_eq!(folios.len(), 1101);
        // A reader that read the index before the last two publications still reads all it
        // names: the superseded block is kept a while.
        let r = read(&kv, PATRON, &before, &Cursor::Inicio, 1000).unwrap();
        assert_eq!(r.cambios.len(), 700);
        assert_eq!(r.cambios[699].posicion, 700);
    }

    #[test]
    fn a_cursor_of_another_sequence_or_beyond_its_end_is_unknown() {
        let kv = MemoryKv::new();
        publish(&kv, PATRON, &[aviso(1), aviso(2)]);
        publish(&kv, "DELP900303MN5", &[aviso(1), aviso(2)]);
        let (_, theirs) = load_index(&kv, "DELP900303MN5").unwrap();
        let r = read(&kv, "DELP900303MN5", &theirs, &Cursor::Inicio, 1).unwrap();
        let code = |c: &Cursor| read(&kv, PATRON, &index(&kv), c, 10).unwrap_err().codigo();
        assert_eq!(code(&r.cursor), "CURSOR_DESCONOCIDO");
        let ours = index(&kv).cambios.flujo;
        let beyond = Cursor::Tras {
            flujo: ours.clone(),
            posicion: 3,
        };
        assert_eq!(code(&beyond), "CURSOR_DESCONOCIDO");
        let at_end = Cursor::Tras {
            flujo: ours,
            posicion: 2,
        };
        assert!(read(&kv, PATRON, &index(&kv), &at_end, 10).is_ok());
    }

    #[test]
    fn avisos_published_before_the_sequence_existed_are_its_first_positions() {
        let kv = MemoryKv::new();
        let first: Vec<Aviso> = (1..=5).map(aviso).collect();
        publish(&kv, PATRON, &first);
        // As an index written before the sequence existed: no `cambios`, no blocks.
        let mut legacy = serde_json::to_value(index(&kv)).unwrap();
        for b in index(&kv).cambios.bloques {
            kv.delete(&b).unwrap();
        }
        legacy.as_object_mut().unwrap().remove("cambios");
        let key = store::index_key(PATRON);
        kv.set(&key, legacy.to_string().as_bytes()).unwrap();
        let stored: Vec<Aviso> = load_all(&kv, &index(&kv)).unwrap();

        let r = read(&kv, PATRON, &index(&kv), &Cursor::Inicio, 3).unwrap();
        assert_eq!(r.pendientes, 2);
        let got: Vec<&Aviso> = r.cambios.iter().map(|c| &c.aviso).collect();
        assert_eq!(got, stored.iter().take(3).collect::<Vec<_>>());
        // The next publication writes those positions down, under the same name, and adds its own.
        publish(&kv, PATRON, &[aviso(6)]);
        assert_eq!(index(&kv).cambios.secuencia, 6);
        let (rest, _) = follow(&kv, &r.cursor, 10);
        let positions: Vec<u64> = rest.iter().map(|c| c.posicion).collect();
        assert_eq!(positions, [4, 5, 6]);
        assert_eq!(rest[0].aviso, stored[3]);
        assert_eq!(rest[2].aviso, aviso(6));
    }

    /// A reader follows the cursor while publications land: it sees every change once, in order.
    #[test]
    fn a_cursor_followed_during_publications_never_skips_or_repeats() {
        let kv = std::sync::Arc::new(MemoryKv::new());
        let writer = {
            let kv = kv.clone();
            std::thread::spawn(move || {
                for round in 0..40u32 {
                    let batch: Vec<Aviso> = (round * 30..round * 30 + 30).map(aviso).collect();
                    publish(&*kv, PATRON, &batch);
                }
            })
        };
        let mut seen = Vec::new();
        let mut cursor = Cursor::Inicio;
        loop {
            let finished = writer.is_finished();
            let r = read(&*kv, PATRON, &index(&*kv), &cursor, 7).unwrap();
            seen.extend(r.cambios.into_iter().map(|c| c.posicion));
            cursor = r.cursor;
            if finished && r.pendientes == 0 {
                break;
            }
        }
        writer.join().unwrap();
        assert_eq!(seen, (1..=1200).collect::<Vec<_>>());
    }

    #[test]
    fn cursors_are_read_strictly() {
        assert_eq!(Cursor::parse(" inicio ").unwrap(), Cursor::Inicio);
        let c = Cursor::parse("0123456789abcdef.42").unwrap();
        assert_eq!(c.to_string(), "0123456789abcdef.42");
        for bad in [
            "",
            "INICIO",
            "0123456789abcdef",
            "0123456789abcdef.",
            "0123456789ABCDEF.1",
            "0123456789abcde.1",
            "0123456789abcdef.-1",
            "0123456789abcdef.1.2",
            "0123456789abcdef.1234567890123456",
        ] {
            assert_eq!(
                Cursor::parse(bad).unwrap_err().codigo(),
                "CURSOR_INVALIDO",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn sequences_of_two_employers_have_different_names() {
        let now = Utc::now();
        assert_ne!(
            fresh_flujo("EDE200101AB0", 1, now),
            fresh_flujo("DELP900303MN5", 1, now)
        );
        assert_ne!(
            fresh_flujo("EDE200101AB0", 1, now),
            fresh_flujo("EDE200101AB0", 2, now)
        );
        assert_eq!(fresh_flujo("EDE200101AB0", 1, now).len(), FLUJO_LEN);
    }
}
