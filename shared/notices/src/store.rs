//! Per-employer storage of avisos: a small index and immutable pages (see the crate docs for the
//! key layout).
//!
//! Avisos of one employer are kept sorted by (`fecha_aviso`, `folio_aviso`), grouped by the
//! bimester of `fecha_aviso`, and cut into pages of at most [`PAGE_SIZE`]. The index lists every
//! page with its key, bimester, size and first/last date, so a consultation of a date range
//! reads the index plus only the pages that overlap the range (and, without row filters, only
//! those that overlap the requested page of results), never a key per aviso and never another
//! employer's keys.
//!
//! Pages are **copy-on-write**: a publication writes the new pages of the bimesters it changes
//! under a fresh generation, then swaps the index with compare-and-swap against the value it
//! read. Readers see the old index or the new one, never a mix; a concurrent publication for the
//! same employer loses the swap, deletes its pages and is told so (a swap whose answer was lost
//! keeps them: it may have landed). Superseded pages are registered to expire
//! [`RETIRED_SECONDS`] after the swap, so a consultation that read the previous index still reads
//! every page it names (a failure there leaves garbage no index points to, never a wrong answer).
//! The change sequence ([`crate::cambios`]) is written and swapped the same way.

use std::collections::{BTreeMap, HashMap};

use avisos_kv::{KeyValue, KeyValueJson};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::AvisosError;
use crate::aviso::{Aviso, FolioAviso};
use crate::bimestre::Bimestre;
use crate::cambios::{self, Feed, TipoCambio};

/// Avisos per page: a page stays around 200 KB of JSON.
pub const PAGE_SIZE: usize = 500;

/// How long a superseded page or change block is kept after the index stopped naming it: a
/// consultation that read the previous index still finds everything it names.
pub const RETIRED_SECONDS: i64 = 10 * 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRef {
    pub clave: String,
    pub bimestre: Bimestre,
    pub n: usize,
    pub desde: NaiveDate,
    pub hasta: NaiveDate,
}

/// `avisos:<RFC>:indice`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    pub total: usize,
    /// The employer's registros patronales seen in its avisos, sorted.
    pub nrps: Vec<String>,
    /// In (bimester, page) order, hence in (fecha_aviso, folio_aviso) order overall.
    pub paginas: Vec<PageRef>,
    pub actualizado: Option<DateTime<Utc>>,
    /// The change sequence ([`crate::cambios`]); absent in indexes written before it existed.
    #[serde(default)]
    pub cambios: Feed,
}

pub fn index_key(patron: &str) -> String {
    format!("avisos:{}:indice", patron.to_uppercase())
}

fn generation_key(patron: &str) -> String {
    format!("avisos:{}:generacion", patron.to_uppercase())
}

fn page_key(patron: &str, generation: i64, b: Bimestre, k: usize) -> String {
    format!(
        "avisos:{}:pagina:{generation}:{}:{k}",
        patron.to_uppercase(),
        b.label()
    )
}

/// The index as stored (raw bytes, for the swap) and parsed.
pub fn load_index(
    kv: &dyn KeyValue,
    patron: &str,
) -> Result<(Option<Vec<u8>>, Index), AvisosError> {
    let raw = kv.get(&index_key(patron))?;
    let index = match &raw {
        None => Index::default(),
        Some(b) => serde_json::from_slice(b)
            .map_err(|_| AvisosError::Internal("corrupt avisos index".into()))?,
    };
    Ok((raw, index))
}

pub fn load_page(kv: &dyn KeyValue, page: &PageRef) -> Result<Vec<Aviso>, AvisosError> {
    // A page named by the index is written before the index: missing means corruption.
    kv.get_json(&page.clave)?
        .ok_or_else(|| AvisosError::Internal("avisos page named by the index is missing".into()))
}

fn order(a: &Aviso, b: &Aviso) -> std::cmp::Ordering {
    (a.fecha_aviso, &a.folio_aviso).cmp(&(b.fecha_aviso, &b.folio_aviso))
}

/// What a publication did to each accepted row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A folio the employer did not have.
    Nuevo,
    /// Same folio, different content: the new version replaces the old one.
    Reemplazado,
    /// Same folio, same content: nothing to do (re-sending a publication is harmless).
    SinCambios,
}

impl Outcome {
    /// What the row adds to the change sequence, if anything.
    pub fn change(self) -> Option<TipoCambio> {
        match self {
            Outcome::Nuevo => Some(TipoCambio::Nuevo),
            Outcome::Reemplazado => Some(TipoCambio::Reemplazado),
            Outcome::SinCambios => None,
        }
    }
}

/// The result of merging a publication into an employer's avisos, before anything is written.
#[derive(Debug)]
pub struct Merge {
    pub outcomes: Vec<Outcome>,
    /// Bimesters to rewrite, with all their avisos in order.
    pub rewrite: BTreeMap<Bimestre, Vec<Aviso>>,
    pub total: usize,
    pub nrps: Vec<String>,
    /// What the change sequence gains, in the publication's order ([`crate::cambios`]).
    pub changes: Vec<(TipoCambio, Aviso)>,
}

/// Merges `incoming` (valid, folios unique within the batch) into the employer's current avisos
/// (all of them: a folio is unique per employer whatever its date, and may move bimester).
pub fn merge(current: Vec<Aviso>, incoming: &[Aviso]) -> Merge {
    let mut by_folio: HashMap<FolioAviso, Aviso> = current
        .into_iter()
        .map(|a| (a.folio_aviso.clone(), a))
        .collect();
    let mut touched: Vec<Bimestre> = Vec::new();
    let mut outcomes = Vec::with_capacity(incoming.len());
    for a in incoming {
        let outcome = match by_folio.get(&a.folio_aviso) {
            None => Outcome::Nuevo,
            Some(old) if old == a => Outcome::SinCambios,
            Some(old) => {
                touched.push(Bimestre::of(old.fecha_aviso));
                Outcome::Reemplazado
            }
        };
        if outcome != Outcome::SinCambios {
            touched.push(Bimestre::of(a.fecha_aviso));
            by_folio.insert(a.folio_aviso.clone(), a.clone());
        }
        outcomes.push(outcome);
    }
    let changes = incoming
        .iter()
        .zip(&outcomes)
        .filter_map(|(a, o)| o.change().map(|t| (t, a.clone())))
        .collect();
    let mut rewrite: BTreeMap<Bimestre, Vec<Aviso>> =
        touched.into_iter().map(|b| (b, Vec::new())).collect();
    let mut nrps: Vec<String> = Vec::new();
    let total = by_folio.len();
    for a in by_folio.into_values() {
        nrps.push(a.nrp.to_string());
        if let Some(v) = rewrite.get_mut(&Bimestre::of(a.fecha_aviso)) {
            v.push(a);
        }
    }
    nrps.sort();
    nrps.dedup();
    for v in rewrite.values_mut() {
        v.sort_by(order);
    }
    Merge {
        outcomes,
        rewrite,
        total,
        nrps,
        changes,
    }
}

/// Every aviso of an employer (publication only: it needs all folios).
pub fn load_all(kv: &dyn KeyValue, index: &Index) -> Result<Vec<Aviso>, AvisosError> {
    let mut all = Vec::with_capacity(index.total);
    for p in &index.paginas {
        all.extend(load_page(kv, p)?);
    }
    Ok(all)
}

/// Writes the rewritten bimesters' pages of generation `generation`, noting each key in
/// `written` as soon as it is set (so a failure can delete them) and its reference in `fresh`.
fn write_pages(
    kv: &dyn KeyValue,
    patron: &str,
    generation: i64,
    rewrite: &BTreeMap<Bimestre, Vec<Aviso>>,
    written: &mut Vec<String>,
    fresh: &mut BTreeMap<Bimestre, Vec<PageRef>>,
) -> Result<(), AvisosError> {
    for (b, avisos) in rewrite {
        let refs = fresh.entry(*b).or_default();
        for (k, chunk) in avisos.chunks(PAGE_SIZE).enumerate() {
            let clave = page_key(patron, generation, *b, k);
            kv.set_json(&clave, chunk)?;
            written.push(clave.clone());
            refs.push(PageRef {
                clave,
                bimestre: *b,
                n: chunk.len(),
                desde: chunk[0].fecha_aviso,
                hasta: chunk[chunk.len() - 1].fecha_aviso,
            });
        }
    }
    Ok(())
}

/// Writes the pages of a merge and swaps the index (see the module docs). `before` is the index
/// exactly as read when the merge was computed.
pub fn commit(
    kv: &dyn KeyValue,
    patron: &str,
    before: (Option<Vec<u8>>, Index),
    merge: Merge,
    now: DateTime<Utc>,
) -> Result<Index, AvisosError> {
    let (raw, old) = before;
    if merge.rewrite.is_empty() {
        return Ok(old);
    }
    let generation = kv.increment(&generation_key(patron), 1)?;
    let mut written: Vec<String> = Vec::new();
    let rollback = |written: &[String]| {
        for k in written {
            let _ = kv.delete(k);
        }
    };
    let (index, superseded) =
        match write_generation(kv, patron, old, merge, generation, now, &mut written) {
            Ok(done) => done,
            Err(e) => {
                rollback(&written);
                return Err(e);
            }
        };
    let bytes = serde_json::to_vec(&index).map_err(|e| AvisosError::Internal(e.to_string()))?;
    match kv.compare_and_swap(&index_key(patron), raw.as_deref(), &bytes) {
        Ok(true) => {}
        Ok(false) => {
            rollback(&written);
            if raw.is_none() {
                // The employer's first index: another first publication holds its creation,
                // possibly one a store failure interrupted (`avisos_kv::CheckedKv` frees it
                // within two minutes).
                return Err(AvisosError::ConcurrentFirstPublication);
            }
            return Err(AvisosError::ConcurrentPublication);
        }
        // The swap may have landed before its answer was lost: then the index names these
        // pages, so they stay (if it did not, they are garbage no index names).
        Err(e) => return Err(e.into()),
    }
    retire(kv, &superseded, now);
    Ok(index)
}

/// Writes generation `generation`'s pages and change blocks (each key noted in `written` as
/// soon as it is set) and returns the index that names them, with the keys it supersedes.
fn write_generation(
    kv: &dyn KeyValue,
    patron: &str,
    old: Index,
    merge: Merge,
    generation: i64,
    now: DateTime<Utc>,
    written: &mut Vec<String>,
) -> Result<(Index, Vec<String>), AvisosError> {
    let mut fresh: BTreeMap<Bimestre, Vec<PageRef>> = BTreeMap::new();
    write_pages(kv, patron, generation, &merge.rewrite, written, &mut fresh)?;
    let appended = cambios::append(kv, patron, &old, merge.changes, generation, now, written)?;
    let mut superseded = Vec::new();
    let mut paginas: BTreeMap<Bimestre, Vec<PageRef>> = BTreeMap::new();
    for p in old.paginas {
        if merge.rewrite.contains_key(&p.bimestre) {
            superseded.push(p.clave);
        } else {
            paginas.entry(p.bimestre).or_default().push(p);
        }
    }
    paginas.extend(fresh);
    superseded.extend(appended.superseded);
    let index = Index {
        total: merge.total,
        nrps: merge.nrps,
        paginas: paginas.into_values().flatten().collect(),
        actualizado: Some(now),
        cambios: appended.feed,
    };
    Ok((index, superseded))
}

/// Lets the keys a publication superseded expire after [`RETIRED_SECONDS`], kept that long for
/// consultations that read the previous index. Best effort: an unregistered key is garbage no
/// index names.
fn retire(kv: &dyn KeyValue, superseded: &[String], now: DateTime<Utc>) {
    if superseded.is_empty() {
        return;
    }
    let keys: Vec<&str> = superseded.iter().map(String::as_str).collect();
    let t = now.timestamp();
    let _ = avisos_kv::expiring::expire(kv, &keys, t + RETIRED_SECONDS, t);
}

/// Row filters of a consultation (the date range is applied through the pages).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowFilter {
    pub nrp: Option<String>,
    pub tipo_aviso: Option<crate::TipoAviso>,
    pub nss: Option<String>,
}

impl RowFilter {
    fn is_empty(&self) -> bool {
        self.nrp.is_none() && self.tipo_aviso.is_none() && self.nss.is_none()
    }

    fn accepts(&self, a: &Aviso) -> bool {
        self.nrp.as_ref().is_none_or(|n| n == a.nrp.as_str())
            && self.tipo_aviso.is_none_or(|t| t == a.tipo_aviso)
            && self.nss.as_ref().is_none_or(|n| n == a.nss.as_str())
    }
}

/// One page of results and the total that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slice {
    pub total: usize,
    pub avisos: Vec<Aviso>,
    /// Storage pages read (for tests and benchmarks: the cost of the consultation).
    pub paginas_leidas: usize,
}

enum Part<'a> {
    /// Entirely inside the range, no row filter: its size is known without reading it.
    Unread(&'a PageRef),
    Read(Vec<Aviso>),
}

impl Part<'_> {
    fn len(&self) -> usize {
        match self {
            Part::Unread(p) => p.n,
            Part::Read(v) => v.len(),
        }
    }
}

/// The avisos of `index` with `desde <= fecha_aviso <= hasta` accepted by `filter`, in stored
/// order, skipping `offset` and returning at most `limit`.
pub fn query(
    kv: &dyn KeyValue,
    index: &Index,
    desde: NaiveDate,
    hasta: NaiveDate,
    filter: &RowFilter,
    offset: usize,
    limit: usize,
) -> Result<Slice, AvisosError> {
    let mut reads = 0;
    let mut parts: Vec<Part> = Vec::new();
    for p in &index.paginas {
        if p.hasta < desde || p.desde > hasta {
            continue;
        }
        if filter.is_empty() && desde <= p.desde && p.hasta <= hasta {
            parts.push(Part::Unread(p));
            continue;
        }
        reads += 1;
        let rows: Vec<Aviso> = load_page(kv, p)?
            .into_iter()
            .filter(|a| desde <= a.fecha_aviso && a.fecha_aviso <= hasta && filter.accepts(a))
            .collect();
        if !rows.is_empty() {
            parts.push(Part::Read(rows));
        }
    }
    let total = parts.iter().map(Part::len).sum();
    let mut avisos = Vec::new();
    let mut start = 0usize;
    let end = offset.saturating_add(limit);
    for part in parts {
        let len = part.len();
        let (from, to) = (start, start + len);
        start = to;
        if to <= offset || from >= end {
            continue;
        }
        let rows = match part {
            Part::Read(v) => v,
            Part::Unread(p) => {
                reads += 1;
                load_page(kv, p)?
            }
        };
        let lo = offset.saturating_sub(from);
        let hi = (end - from).min(len);
        avisos.extend(rows.into_iter().take(hi).skip(lo));
    }
    Ok(Slice {
        total,
        avisos,
        paginas_leidas: reads,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aviso::{sample, validate};
    use avisos_kv::MemoryKv;

    fn aviso(seq: u32, fecha: NaiveDate) -> Aviso {
        validate(&sample::row(seq, fecha)).unwrap()
    }

    fn d0() -> NaiveDate {
        "2026-01-01".parse().unwrap()
    }

    fn publish(kv: &dyn KeyValue, avisos: &[Aviso]) -> Merge {
        let before = load_index(kv, "EDE200101AB0").unwrap();
        let merge = merge(load_all(kv, &before.1).unwrap(), avisos);
        let outcomes = merge.outcomes.clone();
        let rewrite = merge.rewrite.keys().copied().collect::<Vec<_>>();
        commit(kv, "EDE200101AB0", before, merge, Utc::now()).unwrap();
        Merge {
            outcomes,
            rewrite: rewrite.into_iter().map(|b| (b, vec![])).collect(),
            total: 0,
            nrps: vec![],
            changes: vec![],
        }
    }

    /// The keys left once everything superseded expired, beside the expiry's bookkeeping: the
    /// index, the generation counter, and the index's pages and change blocks.
    fn assert_only_what_the_index_names(kv: &MemoryKv) {
        let (_, index) = load_index(kv, "EDE200101AB0").unwrap();
        let later =
            Utc::now().timestamp() + RETIRED_SECONDS + avisos_kv::expiring::GRACE_SECONDS + 120;
        for _ in 0..50 {
            avisos_kv::expiring::sweep(kv, later, 1000).unwrap();
        }
        let named = index.paginas.len() + index.cambios.bloques.len() + 2;
        let stored = kv
            .snapshot()
            .data
            .keys()
            .filter(|k| !k.starts_with(avisos_kv::expiring::PREFIX))
            .count();
        assert_eq!(stored, named);
    }

    /// 3,000 avisos over a year: one every ~3 hours of dates.
    fn year(kv: &dyn KeyValue) -> Vec<Aviso> {
        let all: Vec<Aviso> = (0..3000)
            .map(|i| aviso(i, d0() + chrono::Days::new(u64::from(i) * 365 / 3000)))
            .collect();
        publish(kv, &all);
        all
    }

    #[test]
    fn pages_follow_bimesters_and_page_size() {
        let kv = MemoryKv::new();
        year(&kv);
        let (_, index) = load_index(&kv, "EDE200101AB0").unwrap();
        assert_eq!(index.total, 3000);
        assert_eq!(index.nrps, ["Y5412345106"]);
        assert!(index.paginas.iter().all(|p| p.n <= PAGE_SIZE));
        assert_eq!(index.paginas.iter().map(|p| p.n).sum::<usize>(), 3000);
        // Sorted by date across pages.
        assert!(index.paginas.windows(2).all(|w| w[0].hasta <= w[1].desde));
        assert_eq!(index.paginas.first().unwrap().bimestre.label(), "2026-B1");
        assert_eq!(index.paginas.last().unwrap().bimestre.label(), "2026-B6");
    }

    #[test]
    fn query_matches_a_filter_computed_by_hand() {
        let kv = MemoryKv::new();
        let mut all = year(&kv);
        all.sort_by(order);
        let (_, index) = load_index(&kv, "EDE200101AB0").unwrap();
        let desde: NaiveDate = "2026-03-10".parse().unwrap();
        let hasta: NaiveDate = "2026-08-20".parse().unwrap();
        let expected: Vec<&Aviso> = all
            .iter()
            .filter(|a| desde <= a.fecha_aviso && a.fecha_aviso <= hasta)
            .collect();
        let page_size = 333;
        let mut got = Vec::new();
        for page in 0.. {
            let s = query(
                &kv,
                &index,
                desde,
                hasta,
                &RowFilter::default(),
                page * page_size,
                page_size,
            )
            .unwrap();
            assert_eq!(s.total, expected.len());
            // Only the pages under the window (and the two range edges) are read.
            assert!(s.paginas_leidas <= 4, "{}", s.paginas_leidas);
            if s.avisos.is_empty() {
                break;
            }
            got.extend(s.avisos);
        }
        assert_eq!(got.iter().collect::<Vec<_>>(), expected);

        let nss = all[1234].nss.clone();
        let f = RowFilter {
            nss: Some(nss.to_string()),
            ..Default::default()
        };
        let s = query(&kv, &index, d0(), "2026-12-31".parse().unwrap(), &f, 0, 10).unwrap();
        assert_eq!(s.total, 1);
        assert_eq!(s.avisos[0].nss, nss);
        let f = RowFilter {
            tipo_aviso: Some(crate::TipoAviso::Suspension),
            ..Default::default()
        };
        assert_eq!(
            query(&kv, &index, d0(), "2026-12-31".parse().unwrap(), &f, 0, 10)
                .unwrap()
                .total,
            0
        );
        // Past the end: empty, same total.
        let s = query(&kv, &index, desde, hasta, &RowFilter::default(), 10_000, 10).unwrap();
        assert!(s.avisos.is_empty());
        assert_eq!(s.total, expected.len());
    }

    #[test]
    fn republishing_is_idempotent_and_replaces_by_folio() {
        let kv = MemoryKv::new();
        let a = aviso(1, "2026-03-05".parse().unwrap());
        let b = aviso(2, "2026-03-06".parse().unwrap());
        let m = publish(&kv, &[a.clone(), b.clone()]);
        assert_eq!(m.outcomes, [Outcome::Nuevo, Outcome::Nuevo]);
        let m = publish(&kv, &[a.clone(), b.clone()]);
        assert_eq!(m.outcomes, [Outcome::SinCambios, Outcome::SinCambios]);
        assert!(m.rewrite.is_empty());
        // The same folio moved to another bimester: replaced, not duplicated.
        let moved = Aviso {
            fecha_aviso: "2026-07-01".parse().unwrap(),
            ..a.clone()
        };
        let m = publish(&kv, std::slice::from_ref(&moved));
        assert_eq!(m.outcomes, [Outcome::Reemplazado]);
        let (_, index) = load_index(&kv, "EDE200101AB0").unwrap();
        assert_eq!(index.total, 2);
        let all = load_all(&kv, &index).unwrap();
        assert_eq!(all, [b, moved]);
        // Superseded pages expire: only what the index names remains.
        assert_only_what_the_index_names(&kv);
    }

    #[test]
    fn a_lost_swap_leaves_nothing_behind() {
        let kv = MemoryKv::new();
        let before = load_index(&kv, "EDE200101AB0").unwrap();
        let m1 = merge(vec![], &[aviso(1, d0())]);
        let m2 = merge(vec![], &[aviso(2, d0())]);
        commit(&kv, "EDE200101AB0", before.clone(), m1, Utc::now()).unwrap();
        let e = commit(&kv, "EDE200101AB0", before, m2, Utc::now()).unwrap_err();
        // The employer had no index yet: the other first publication won its creation.
        assert_eq!(e.codigo(), "PUBLICACION_CONCURRENTE");
        assert!(
            matches!(e, AvisosError::ConcurrentFirstPublication),
            "{e:?}"
        );
        let (_, index) = load_index(&kv, "EDE200101AB0").unwrap();
        assert_eq!(index.total, 1);
        assert_only_what_the_index_names(&kv);
    }
}
