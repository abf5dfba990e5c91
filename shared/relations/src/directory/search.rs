//! The search: prefix buckets `directorio:prefijo:<2 chars>` of authorised developers, kept in
//! step with their records (see the [module docs](super)).

use crate::RelationError;
use avisos_kv::{KeyValue, KeyValueJson, swap};
use serde::{Deserialize, Serialize};

use super::record::busy;
use super::{CertStatus, Developer, load_many, load_stored};
use crate::text;

/// Characters of the bucket key.
pub const BUCKET_CHARS: usize = 2;
/// Results per search.
pub const MAX_RESULTS: usize = 20;
/// Words not indexed on their own (the whole name and the RFC always are).
pub const STOP_WORDS: &[&str] = &["SAB", "SAPI", "DEL", "LAS", "LOS", "CIA", "SOC", "COOP"];

/// One search result (and one bucket entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub rfc: String,
    pub razon_social: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchResult {
    pub consulta: String,
    pub resultados: Vec<SearchRow>,
    /// More matches than shown: refine the search.
    pub hay_mas: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchRow {
    pub rfc: String,
    pub razon_social: String,
    pub estatus: &'static str,
}

pub(super) fn bucket_key(bucket: &str) -> String {
    format!("directorio:prefijo:{bucket}")
}

/// The buckets a developer is listed in.
pub fn buckets(rfc: &str, razon_social: &str) -> Vec<String> {
    let name = text::fold(razon_social);
    let mut tokens: Vec<String> = vec![text::fold(rfc), name.clone()];
    tokens.extend(
        text::words(&name)
            .filter(|w| w.chars().count() >= 3 && !STOP_WORDS.contains(w))
            .map(str::to_string),
    );
    let mut out: Vec<String> = tokens
        .iter()
        .map(|t| text::prefix(t, BUCKET_CHARS))
        .filter(|p| p.chars().count() == BUCKET_CHARS)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Whether `query` (folded) matches a developer.
pub fn matches(query: &str, rfc: &str, razon_social: &str) -> bool {
    if text::fold(rfc).starts_with(query) {
        return true;
    }
    let name = text::fold(razon_social);
    // The name from each word boundary on.
    std::iter::once(0)
        .chain(name.match_indices(' ').map(|(i, _)| i + 1))
        .any(|start| name[start..].starts_with(query))
}

/// Searches authorised developers by RFC or name prefix.
pub fn search(kv: &dyn KeyValue, query: &str) -> Result<SearchResult, RelationError> {
    let q = text::fold(query);
    if q.chars().count() < BUCKET_CHARS {
        return Err(RelationError::SearchTooShort);
    }
    let bucket: Vec<Entry> = kv
        .get_json(&bucket_key(&text::prefix(&q, BUCKET_CHARS)))?
        .unwrap_or_default();
    let mut candidates: Vec<&Entry> = bucket
        .iter()
        .filter(|e| matches(&q, &e.rfc, &e.razon_social))
        .collect();
    candidates.sort_by_cached_key(|e| (text::fold(&e.razon_social), e.rfc.clone()));
    // Buckets are written before a record authorises and cleaned after it stops, so each
    // candidate is checked against its record (bounded: one more than a page is kept).
    // Read in batches of what is still missing, so a typical search is one round trip.
    let mut found: Vec<Developer> = Vec::new();
    let mut rest = candidates.as_slice();
    while found.len() <= MAX_RESULTS && !rest.is_empty() {
        let (batch, after) = rest.split_at((MAX_RESULTS + 1 - found.len()).min(rest.len()));
        rest = after;
        let rfcs: Vec<&str> = batch.iter().map(|e| e.rfc.as_str()).collect();
        found.extend(load_many(kv, &rfcs)?.into_iter().flatten().filter(|d| {
            d.estatus == CertStatus::Autorizada && matches(&q, &d.rfc, &d.razon_social)
        }));
    }
    found.sort_by_cached_key(|d| (text::fold(&d.razon_social), d.rfc.clone()));
    let hay_mas = found.len() > MAX_RESULTS;
    Ok(SearchResult {
        consulta: query.trim().to_string(),
        resultados: found
            .into_iter()
            .take(MAX_RESULTS)
            .map(|d| SearchRow {
                rfc: d.rfc,
                razon_social: d.razon_social,
                estatus: CertStatus::Autorizada.texto(),
            })
            .collect(),
        hay_mas,
    })
}

/// A bucket's entries as stored (`None`: empty).
fn read_bucket(before: Option<&[u8]>) -> Result<Vec<Entry>, RelationError> {
    match before {
        None => Ok(Vec::new()),
        Some(b) => serde_json::from_slice(b)
            .map_err(|_| RelationError::internal("corrupt directory bucket")),
    }
}

/// Applies `change` to a bucket with compare-and-swap, retrying under contention.
pub(super) fn update_bucket(
    kv: &dyn KeyValue,
    bucket: &str,
    change: impl Fn(&mut Vec<Entry>),
) -> Result<(), RelationError> {
    swap::update(kv, &bucket_key(bucket), |before| {
        let mut entries = read_bucket(before)?;
        change(&mut entries);
        let after =
            serde_json::to_vec(&entries).map_err(|e| RelationError::internal(e.to_string()))?;
        Ok(Some(after))
    })
}

/// The buckets a stored record should be listed in: its own while authorised, and those of the
/// record readers see instead while its approval is being signed.
pub(super) fn wanted_buckets(d: &Developer) -> Vec<(String, Entry)> {
    let mut out: Vec<(String, Entry)> = Vec::new();
    for r in std::iter::once(d).chain(d.anterior.as_deref()) {
        if r.estatus != CertStatus::Autorizada {
            continue;
        }
        for b in buckets(&r.rfc, &r.razon_social) {
            if !out.iter().any(|(x, _)| *x == b) {
                let entry = Entry {
                    rfc: d.rfc.clone(),
                    razon_social: r.razon_social.clone(),
                };
                out.push((b, entry));
            }
        }
    }
    out
}

pub(super) fn put_entry(entries: &mut Vec<Entry>, entry: &Entry) {
    entries.retain(|e| e.rfc != entry.rfc);
    let at = entries.partition_point(|e| e.rfc < entry.rfc);
    entries.insert(at, entry.clone());
}

/// Makes `rfc`'s entry in `bucket` what its stored record wants, reading the bucket before the
/// record on every pass and passing again after each swap: a writer whose swap was based on a
/// record replaced meanwhile is followed by a pass of the replacing writer, so concurrent
/// changes of one developer leave its buckets as its last record says.
pub(super) fn sync_bucket(kv: &dyn KeyValue, bucket: &str, rfc: &str) -> Result<(), RelationError> {
    let k = bucket_key(bucket);
    for _ in 0..swap::ATTEMPTS {
        // Whether the last pass of `swap::update` (which reads the bucket before `change` reads
        // the record) wrote: then pass again.
        let mut wrote = false;
        swap::update::<RelationError>(kv, &k, |before| {
            wrote = false;
            let wanted = load_stored(kv, rfc)?
                .map(|(d, _)| wanted_buckets(&d))
                .unwrap_or_default()
                .into_iter()
                .find(|(b, _)| b == bucket)
                .map(|(_, e)| e);
            let entries = read_bucket(before)?;
            let mut after = entries.clone();
            match &wanted {
                Some(e) => put_entry(&mut after, e),
                None => after.retain(|e| !e.rfc.eq_ignore_ascii_case(rfc)),
            }
            if after == entries {
                return Ok(None);
            }
            wrote = true;
            let bytes =
                serde_json::to_vec(&after).map_err(|e| RelationError::internal(e.to_string()))?;
            Ok(Some(bytes))
        })?;
        if !wrote {
            return Ok(());
        }
    }
    Err(busy(&k))
}
