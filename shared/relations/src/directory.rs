//! Directorio de desarrolladores certificados: who an employer may choose.
//!
//! The truth about a developer is its record `desarrollador:<RFC>` ([`Developer`]); only status
//! *Certificación autorizada* lets an employer add a relation with it ([`require_certified`]).
//! The certification workflow (`avisos-certification`) calls [`set_status`] when the developer
//! signs the approval (authorised) or cancels (cancelled); analysts can also set it directly with
//! the administrative act `REGISTRAR_DESARROLLADOR` ([`register`]).
//!
//! Search (by RFC or name, prefix, case- and accent-insensitive, see [`crate::text::fold`]) reads
//! one small **prefix bucket** `directorio:prefijo:<first two folded characters>` that lists the
//! authorised developers having a token with that beginning. A developer's tokens are its RFC,
//! its whole name, and every word of its name of three or more characters except legal-form
//! words and connectors ([`STOP_WORDS`]). A query matches when it is a prefix of the RFC, of the
//! name, or of the name from any word on (`nomina demo` finds «SISTEMAS DE NOMINA DEMO SC»).
//! A developer is in a handful of buckets, a bucket holds a small share of the directory, so a
//! search is one read and a filter in memory, whatever the directory's size.
//!
//! The record is changed only by compare-and-swap ([`update`]), so of an analyst's registration
//! and a workflow's change racing none is lost. Write order: the search entries an authorisation
//! needs first, the record (the commit point), then every bucket it touched made to agree with
//! it. A search checks each hit against its record, so a bucket a failure left stale shows
//! nothing wrong, and the record decides: a stale entry can never let a relation be added with
//! an uncertified developer.
//!
//! A record the certification workflow wrote names its request ([`Developer::certificacion`]) and
//! follows it ([`load`]): the request's own compare-and-swap opens access (approval signed) and
//! closes it (cancelled), so no interrupted act leaves the directory more open than the request.

use avisos_acts::acuse::{self, Dato};
use avisos_acts::seal::ServiceSeal;
use avisos_acts::{VerifiedAct, folio};
use avisos_http::ApiError;
use avisos_kv::{KeyValue, KeyValueJson, KvError, swap};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::text;

/// Characters of the bucket key.
pub const BUCKET_CHARS: usize = 2;
/// Results per search.
pub const MAX_RESULTS: usize = 20;
/// Longest accepted razón social (SAT allows 254).
pub const MAX_NAME_CHARS: usize = 254;
/// Words not indexed on their own (the whole name and the RFC always are).
pub const STOP_WORDS: &[&str] = &["SAB", "SAPI", "DEL", "LAS", "LOS", "CIA", "SOC", "COOP"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CertStatus {
    #[serde(rename = "Certificación autorizada")]
    Autorizada,
    #[serde(rename = "Certificación cancelada")]
    Cancelada,
}

impl CertStatus {
    pub fn texto(self) -> &'static str {
        match self {
            CertStatus::Autorizada => "Certificación autorizada",
            CertStatus::Cancelada => "Certificación cancelada",
        }
    }

    /// `autorizada` or `cancelada` (as sent in `datos.estatus`).
    pub fn parse(s: &str) -> Result<CertStatus, ApiError> {
        match s.trim().to_lowercase().as_str() {
            "autorizada" => Ok(CertStatus::Autorizada),
            "cancelada" => Ok(CertStatus::Cancelada),
            _ => Err(ApiError::bad_request(
                "ESTATUS_INVALIDO",
                "El estatus de la certificación debe ser «autorizada» o «cancelada».",
            )),
        }
    }
}

/// `desarrollador:<RFC>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Developer {
    pub rfc: String,
    pub razon_social: String,
    pub estatus: CertStatus,
    pub actualizado: DateTime<Utc>,
    /// Folio of the act that set the status.
    pub folio: String,
    /// RFC of whoever set it (the analyst, or the developer's own certification act).
    pub registrado_por: String,
    /// Which authorisation this is: 1 for the first one recorded, one more each time the status
    /// becomes authorised again after anything else (a new certification after a cancellation).
    /// Relations store the generation they were granted under and grant nothing under another
    /// ([`crate::relation::Relation::of_certification`]). Decided by [`set_status`] from the
    /// stored record: whatever a caller puts here is replaced. 0: a record written before
    /// generations existed, or never authorised.
    #[serde(default)]
    pub generacion: u32,
    /// The certification request (`certificacion:<folio>`, [`certification_key`]) whose
    /// approval the developer signed, when the certification workflow wrote this record
    /// (`None`: an analyst's registration). That record decides ([`load`]): this one counts as
    /// written only once the request says `autorizada`, and stops authorising when it says
    /// anything else, so the request's own compare-and-swap opens and closes access at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificacion: Option<String>,
    /// While the approval of [`Developer::certificacion`] is being signed: the record this one
    /// replaced, which readers see until the request says `autorizada` (see [`load`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anterior: Option<Box<Developer>>,
}

impl Developer {
    /// The generation a status change to `estatus` leaves, after `previous` (the stored record):
    /// a new one when the developer becomes authorised from anything else, the same otherwise
    /// (a rename or a repeated act of an authorised developer, a cancellation).
    pub fn next_generation(previous: Option<&Developer>, estatus: CertStatus) -> u32 {
        let before = previous.map_or(0, |p| p.generacion);
        let was_authorised = previous.is_some_and(|p| p.estatus == CertStatus::Autorizada);
        if estatus == CertStatus::Autorizada && !was_authorised {
            before.saturating_add(1)
        } else {
            before
        }
    }
}

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

fn key(rfc: &str) -> String {
    format!("desarrollador:{}", rfc.to_uppercase())
}

/// Cancellations kept per developer (the newest).
pub const MAX_CANCELACIONES: usize = 32;

/// When one generation of a developer's certification ended (see [`cancellations`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cancelacion {
    pub generacion: u32,
    pub fecha: DateTime<Utc>,
}

/// `desarrollador:cancelaciones:<RFC>`: when each authorised generation ended, oldest first.
fn cancellations_key(rfc: &str) -> String {
    format!("desarrollador:cancelaciones:{}", rfc.to_uppercase())
}

/// When generation `generacion` of `rfc`'s certification was cancelled, as recorded after the
/// change that ended it ([`update`]). What employers see beside «Relación no vigente»; `None`
/// when not recorded (the record itself then says it, while that generation is the last one:
/// [`Developer::actualizado`] of a cancelled developer).
pub fn cancelled_on(
    kv: &dyn KeyValue,
    rfc: &str,
    generacion: u32,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    let list: Vec<Cancelacion> = kv.get_json(&cancellations_key(rfc))?.unwrap_or_default();
    Ok(list
        .iter()
        .rev()
        .find(|c| c.generacion == generacion)
        .map(|c| c.fecha))
}

/// Records that `generacion` ended at `fecha` (compare-and-swap append; the first record of a
/// generation stands, so repeating it is harmless).
fn record_cancellation(
    kv: &dyn KeyValue,
    rfc: &str,
    generacion: u32,
    fecha: DateTime<Utc>,
) -> Result<(), ApiError> {
    let k = cancellations_key(rfc);
    swap::update(kv, &k, |before| {
        let mut list: Vec<Cancelacion> = match before {
            None => Vec::new(),
            Some(b) => serde_json::from_slice(b)
                .map_err(|_| ApiError::internal("corrupt cancellation list"))?,
        };
        if list.iter().any(|c| c.generacion == generacion) {
            return Ok(None);
        }
        list.push(Cancelacion { generacion, fecha });
        let excess = list.len().saturating_sub(MAX_CANCELACIONES);
        list.drain(..excess);
        let after = serde_json::to_vec(&list).map_err(|e| ApiError::internal(&e.to_string()))?;
        Ok(Some(after))
    })
}

fn bucket_key(bucket: &str) -> String {
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

/// The key of a certification request's record. `avisos-certification` owns that record and
/// builds its key with this function; the directory reads only its `estatus`.
pub fn certification_key(folio: &str) -> String {
    format!("certificacion:{folio}")
}

/// What a certification request says of the authorisation that names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grant {
    /// `autorizada`: the approval was signed.
    Authorised,
    /// The approval was never signed (being signed, or its act failed before its commit).
    Pending,
    /// Signed, then cancelled (when, if the request says): it authorises nothing any more.
    Revoked(Option<DateTime<Utc>>),
}

fn grant_of(kv: &dyn KeyValue, folio: &str) -> Result<Grant, ApiError> {
    #[derive(Deserialize)]
    struct Request {
        estatus: String,
        folio_aceptacion: Option<String>,
        #[serde(default)]
        cancelada: Option<DateTime<Utc>>,
    }
    let Some(raw) = kv.get(&certification_key(folio))? else {
        return Ok(Grant::Pending);
    };
    // Fail closed: a record this reader cannot understand authorises nothing.
    Ok(match serde_json::from_slice::<Request>(&raw) {
        Ok(r) if r.estatus == "autorizada" => Grant::Authorised,
        Ok(r) if r.folio_aceptacion.is_none() => Grant::Pending,
        Ok(r) => Grant::Revoked(r.cancelada),
        Err(_) => Grant::Revoked(None),
    })
}

/// The record as stored, with its exact bytes (for compare-and-swap).
fn load_stored(kv: &dyn KeyValue, rfc: &str) -> Result<Option<(Developer, Vec<u8>)>, ApiError> {
    let Some(raw) = kv.get(&key(rfc))? else {
        return Ok(None);
    };
    let d =
        serde_json::from_slice(&raw).map_err(|_| ApiError::internal("corrupt developer record"))?;
    Ok(Some((d, raw)))
}

/// A stored record as readers see it: one written by the certification workflow is what its
/// request says (see [`Developer::certificacion`]); one whose approval is still being signed is
/// the record it replaced.
fn resolve(kv: &dyn KeyValue, d: Developer) -> Result<Option<Developer>, ApiError> {
    let Some(folio) = d.certificacion.clone() else {
        return Ok(Some(d));
    };
    match grant_of(kv, &folio)? {
        Grant::Authorised => Ok(Some(d)),
        Grant::Revoked(cancelada) => Ok(Some(Developer {
            estatus: CertStatus::Cancelada,
            actualizado: cancelada.unwrap_or(d.actualizado),
            anterior: None,
            ..d
        })),
        Grant::Pending => match d.anterior {
            // `anterior` is never itself pending (see [`grant_pending`]).
            Some(a) if a.certificacion.as_deref() != Some(folio.as_str()) => resolve(kv, *a),
            _ => Ok(None),
        },
    }
}

/// The developer's record as it stands: one written by the certification workflow is what its
/// request says (authorised only while the request says `autorizada`; while its approval is
/// still being signed, the record it replaced). `estatus` is what access follows.
pub fn load(kv: &dyn KeyValue, rfc: &str) -> Result<Option<Developer>, ApiError> {
    match load_stored(kv, rfc)? {
        None => Ok(None),
        Some((d, _)) => resolve(kv, d),
    }
}

/// The developer, if its certification is authorised.
pub fn require_certified(kv: &dyn KeyValue, rfc: &str) -> Result<Developer, ApiError> {
    match load(kv, rfc)? {
        Some(d) if d.estatus == CertStatus::Autorizada => Ok(d),
        _ => Err(ApiError::new(
            409,
            "DESARROLLADOR_NO_CERTIFICADO",
            format!(
                "El desarrollador {} no se encuentra certificado: no puedes crear una relación de confianza con él.",
                rfc.to_uppercase()
            ),
        )),
    }
}

/// Searches authorised developers by RFC or name prefix.
pub fn search(kv: &dyn KeyValue, query: &str) -> Result<SearchResult, ApiError> {
    let q = text::fold(query);
    if q.chars().count() < BUCKET_CHARS {
        return Err(ApiError::bad_request(
            "BUSQUEDA_CORTA",
            "Escribe al menos dos letras o números del RFC o del nombre del desarrollador.",
        ));
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
    let mut found: Vec<Developer> = Vec::new();
    for e in candidates {
        if found.len() > MAX_RESULTS {
            break;
        }
        if let Some(d) = load(kv, &e.rfc)?
            && d.estatus == CertStatus::Autorizada
            && matches(&q, &d.rfc, &d.razon_social)
        {
            found.push(d);
        }
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

/// Applies `change` to a bucket with compare-and-swap, retrying under contention.
fn update_bucket(
    kv: &dyn KeyValue,
    bucket: &str,
    change: impl Fn(&mut Vec<Entry>),
) -> Result<(), ApiError> {
    swap::update(kv, &bucket_key(bucket), |before| {
        let mut entries: Vec<Entry> = match before {
            None => Vec::new(),
            Some(b) => serde_json::from_slice(b)
                .map_err(|_| ApiError::internal("corrupt directory bucket"))?,
        };
        change(&mut entries);
        let after = serde_json::to_vec(&entries).map_err(|e| ApiError::internal(&e.to_string()))?;
        Ok(Some(after))
    })
}

/// Another writer kept winning for every attempt (see [`swap::update`]).
fn busy(key: &str) -> ApiError {
    KvError::Busy(key.to_owned()).into()
}

/// The buckets a stored record should be listed in: its own while authorised, and those of the
/// record readers see instead while its approval is being signed.
fn wanted_buckets(d: &Developer) -> Vec<(String, Entry)> {
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

fn put_entry(entries: &mut Vec<Entry>, entry: &Entry) {
    entries.retain(|e| e.rfc != entry.rfc);
    let at = entries.partition_point(|e| e.rfc < entry.rfc);
    entries.insert(at, entry.clone());
}

/// Makes `rfc`'s entry in `bucket` what its stored record wants, reading the bucket before the
/// record on every pass and passing again after each swap: a writer whose swap was based on a
/// record replaced meanwhile is followed by a pass of the replacing writer, so concurrent
/// changes of one developer leave its buckets as its last record says.
fn sync_bucket(kv: &dyn KeyValue, bucket: &str, rfc: &str) -> Result<(), ApiError> {
    let k = bucket_key(bucket);
    for _ in 0..swap::ATTEMPTS {
        let before = kv.get(&k)?;
        let wanted = load_stored(kv, rfc)?
            .map(|(d, _)| wanted_buckets(&d))
            .unwrap_or_default()
            .into_iter()
            .find(|(b, _)| b == bucket)
            .map(|(_, e)| e);
        let entries: Vec<Entry> = match &before {
            None => Vec::new(),
            Some(b) => serde_json::from_slice(b)
                .map_err(|_| ApiError::internal("corrupt directory bucket"))?,
        };
        let mut after = entries.clone();
        match &wanted {
            Some(e) => put_entry(&mut after, e),
            None => after.retain(|e| !e.rfc.eq_ignore_ascii_case(rfc)),
        }
        if after == entries {
            return Ok(());
        }
        let bytes = serde_json::to_vec(&after).map_err(|e| ApiError::internal(&e.to_string()))?;
        kv.compare_and_swap(&k, before.as_deref(), &bytes)?;
    }
    Err(busy(&k))
}

/// Changes a developer's record with compare-and-swap: `change` sees the record as stored
/// (`None`: never registered) and returns the new one, or `None` to leave it. The generation is
/// decided here ([`Developer::next_generation`], from the record as readers saw it). Order: the
/// search entries of an authorisation first (searches check every entry against its record, so
/// they show nothing yet), the record (the commit point), then every bucket of the old and new
/// record made to agree with it. Returns the record written, if any.
pub fn update(
    kv: &dyn KeyValue,
    rfc: &str,
    change: impl Fn(Option<&Developer>) -> Option<Developer>,
) -> Result<Option<Developer>, ApiError> {
    let k = key(rfc);
    for _ in 0..swap::ATTEMPTS {
        let stored = load_stored(kv, rfc)?;
        let previous = match &stored {
            None => None,
            Some((d, _)) => resolve(kv, d.clone())?,
        };
        let Some(next) = change(stored.as_ref().map(|(d, _)| d)) else {
            return Ok(None);
        };
        let next = Developer {
            generacion: Developer::next_generation(previous.as_ref(), next.estatus),
            ..next
        };
        let raw = stored.as_ref().map(|(_, raw)| raw.as_slice());
        let bytes = serde_json::to_vec(&next).map_err(|e| ApiError::internal(&e.to_string()))?;
        if raw == Some(bytes.as_slice()) {
            return Ok(Some(next));
        }
        for (b, entry) in wanted_buckets(&next) {
            update_bucket(kv, &b, |entries| put_entry(entries, &entry))?;
        }
        if !kv.compare_and_swap(&k, raw, &bytes)? {
            continue;
        }
        // The authorised generation the stored record held ended here (cancelled, or replaced
        // by a new one after a cancellation its request recorded): when, for the employers'
        // tables. Best effort after the commit: without it the date is only missing.
        if let Some((s, _)) = &stored
            && s.estatus == CertStatus::Autorizada
            && (next.estatus == CertStatus::Cancelada || next.generacion != s.generacion)
        {
            let fecha = match &previous {
                Some(p) if p.estatus == CertStatus::Cancelada => p.actualizado,
                _ => next.actualizado,
            };
            let _ = record_cancellation(kv, rfc, s.generacion, fecha);
        }
        let mut touched: Vec<String> = stored
            .iter()
            .flat_map(|(d, _)| wanted_buckets(d))
            .chain(wanted_buckets(&next))
            .map(|(b, _)| b)
            .collect();
        touched.sort();
        touched.dedup();
        for b in touched {
            sync_bucket(kv, &b, rfc)?;
        }
        return Ok(Some(next));
    }
    Err(busy(&k))
}

/// Sets a developer's certification status as an analyst does: whatever was stored, unlinked
/// from any certification request (see [`update`]).
pub fn set_status(kv: &dyn KeyValue, developer: Developer) -> Result<Developer, ApiError> {
    let rfc = developer.rfc.clone();
    let written = update(kv, &rfc, |_| {
        Some(Developer {
            certificacion: None,
            anterior: None,
            ..developer.clone()
        })
    })?;
    written.ok_or_else(|| ApiError::internal("directory update wrote nothing"))
}

/// The approval of certification request `folio` being signed: the developer's record names the
/// request and keeps the one it replaces, which readers see until the request says `autorizada`
/// (its compare-and-swap is the act's commit point). Repeating it for the same request is
/// harmless.
pub fn grant_pending(
    kv: &dyn KeyValue,
    folio: &str,
    developer: Developer,
) -> Result<Developer, ApiError> {
    let rfc = developer.rfc.clone();
    let written = update(kv, &rfc, |stored| {
        // A retry keeps what the first attempt replaced.
        let replaced = match stored {
            Some(d) if d.certificacion.as_deref() == Some(folio) => d.anterior.clone(),
            Some(d) => Some(Box::new(Developer {
                anterior: None,
                ..d.clone()
            })),
            None => None,
        };
        Some(Developer {
            estatus: CertStatus::Autorizada,
            certificacion: Some(folio.to_string()),
            anterior: replaced,
            ..developer.clone()
        })
    })?;
    written.ok_or_else(|| ApiError::internal("directory update wrote nothing"))
}

/// After the approval of certification request `folio` was signed (which already authorised the
/// developer, see [`load`]): forgets the record it replaced, and with it that record's search
/// entries. Nothing when the record no longer names the request.
pub fn confirm(kv: &dyn KeyValue, rfc: &str, folio: &str) -> Result<(), ApiError> {
    update(kv, rfc, |stored| match stored {
        Some(d) if d.certificacion.as_deref() == Some(folio) && d.anterior.is_some() => {
            Some(Developer {
                anterior: None,
                ..d.clone()
            })
        }
        _ => None,
    })?;
    Ok(())
}

/// After certification request `folio` was cancelled (which already took the developer out,
/// see [`load`]): records it, unless the record no longer names that request (an analyst's
/// registration since stands).
pub fn revoke(
    kv: &dyn KeyValue,
    rfc: &str,
    folio: &str,
    act_folio: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    update(kv, rfc, |stored| match stored {
        Some(d)
            if d.certificacion.as_deref() == Some(folio)
                && (d.estatus != CertStatus::Cancelada || d.anterior.is_some()) =>
        {
            Some(Developer {
                estatus: CertStatus::Cancelada,
                actualizado: now,
                folio: act_folio.to_string(),
                anterior: None,
                ..d.clone()
            })
        }
        _ => None,
    })?;
    Ok(())
}

/// The data of `REGISTRAR_DESARROLLADOR`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub rfc: String,
    pub razon_social: String,
    pub estatus: CertStatus,
}

impl Registration {
    /// From the act's fields `rfc_desarrollador`, `razon_social`, `estatus`.
    pub fn parse(
        rfc: &str,
        razon_social: &str,
        estatus: &str,
        mode: avisos_acts::Mode,
    ) -> Result<Registration, ApiError> {
        let rfc = avisos_acts::act::validate_actor_rfc(rfc, mode)?;
        let razon_social = text::clean_name(razon_social, MAX_NAME_CHARS).ok_or_else(|| {
            ApiError::bad_request(
                "RAZON_SOCIAL_INVALIDA",
                format!(
                    "La razón social es obligatoria, de hasta {MAX_NAME_CHARS} caracteres y sin caracteres de control."
                ),
            )
        })?;
        Ok(Registration {
            rfc,
            razon_social,
            estatus: CertStatus::parse(estatus)?,
        })
    }
}

/// `REGISTRAR_DESARROLLADOR` (analysts): sets a developer's status, with its acuse.
pub fn register(
    kv: &dyn KeyValue,
    seal: &ServiceSeal,
    act: &VerifiedAct,
    registration: &Registration,
    now: DateTime<Utc>,
) -> Result<avisos_acts::acuse::Receipt, ApiError> {
    let folio = folio::allocate(kv)?;
    let record = acuse::issue(
        kv,
        seal,
        act,
        &folio,
        "Registro de Desarrollador Certificado",
        vec![
            Dato::new("RFC del desarrollador", &registration.rfc),
            Dato::new("Razón social", &registration.razon_social),
            Dato::new("Estatus", registration.estatus.texto()),
        ],
        now,
    )?;
    set_status(
        kv,
        Developer {
            rfc: registration.rfc.clone(),
            razon_social: registration.razon_social.clone(),
            estatus: registration.estatus,
            actualizado: record.fecha,
            folio: folio.clone(),
            registrado_por: record.rfc.clone(),
            generacion: 0,
            certificacion: None,
            anterior: None,
        },
    )?;
    Ok(avisos_acts::acuse::Receipt::of(&record))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use avisos_acts::Mode;
    use avisos_kv::MemoryKv;

    pub(crate) fn add(kv: &dyn KeyValue, rfc: &str, name: &str, estatus: CertStatus) {
        set_status(
            kv,
            Developer {
                rfc: rfc.into(),
                razon_social: name.into(),
                estatus,
                actualizado: t0(),
                folio: "0500000001".into(),
                registrado_por: ANALISTA.into(),
                generacion: 0,
                certificacion: None,
                anterior: None,
            },
        )
        .unwrap();
    }

    fn rfcs(r: &SearchResult) -> Vec<&str> {
        r.resultados.iter().map(|x| x.rfc.as_str()).collect()
    }

    #[test]
    fn buckets_of_a_developer() {
        assert_eq!(
            buckets("SDN180301K23", "Sistemas de Nómina Demo, S.C."),
            ["DE", "NO", "SD", "SI"]
        );
    }

    #[test]
    fn search_by_rfc_name_or_word_prefix_ignoring_case_and_accents() {
        let kv = MemoryKv::new();
        add(
            &kv,
            DEV,
            "NÓMINAS DEMOSTRACIÓN SA DE CV",
            CertStatus::Autorizada,
        );
        add(
            &kv,
            DEV_2,
            "SISTEMAS DE NOMINA DEMO SC",
            CertStatus::Autorizada,
        );
        add(
            &kv,
            "PME380607P35",
            "Peña Márquez Software",
            CertStatus::Autorizada,
        );
        let s = |q: &str| search(&kv, q).unwrap();
        assert_eq!(rfcs(&s("nde19")), [DEV]);
        assert_eq!(rfcs(&s("NDE190512XY6")), [DEV]);
        assert_eq!(rfcs(&s("nominas")), [DEV]);
        assert_eq!(rfcs(&s("Nóminas demostracion")), [DEV]);
        // Word prefix: both names have a word starting with NOMINA; sorted by name.
        assert_eq!(rfcs(&s("nomina")), [DEV, DEV_2]);
        assert_eq!(rfcs(&s("nomina demo")), [DEV_2]);
        assert_eq!(rfcs(&s("pena")), ["PME380607P35"]);
        assert_eq!(rfcs(&s("MARQUEZ")), ["PME380607P35"]);
        assert!(s("zz").resultados.is_empty());
        assert!(s("software x").resultados.is_empty());
        assert_eq!(
            s("nomina").resultados[0].estatus,
            "Certificación autorizada"
        );
        assert_eq!(search(&kv, "n").unwrap_err().codigo, "BUSQUEDA_CORTA");
        assert_eq!(search(&kv, " ¿? ").unwrap_err().codigo, "BUSQUEDA_CORTA");
    }

    #[test]
    fn only_authorised_developers_appear_and_can_be_chosen() {
        let kv = MemoryKv::new();
        add(
            &kv,
            DEV,
            "NOMINAS DEMOSTRACION SA DE CV",
            CertStatus::Autorizada,
        );
        add(
            &kv,
            DEV_2,
            "SISTEMAS DE NOMINA DEMO SC",
            CertStatus::Cancelada,
        );
        assert_eq!(rfcs(&search(&kv, "nomina").unwrap()), [DEV]);
        assert!(require_certified(&kv, DEV).is_ok());
        assert_eq!(
            require_certified(&kv, DEV_2).unwrap_err().codigo,
            "DESARROLLADOR_NO_CERTIFICADO"
        );
        assert_eq!(
            require_certified(&kv, "XYZ010101AB1").unwrap_err().codigo,
            "DESARROLLADOR_NO_CERTIFICADO"
        );
        // Cancelling removes it from every bucket; authorising again brings it back.
        add(
            &kv,
            DEV,
            "NOMINAS DEMOSTRACION SA DE CV",
            CertStatus::Cancelada,
        );
        assert!(search(&kv, "nomina").unwrap().resultados.is_empty());
        assert!(search(&kv, "NDE").unwrap().resultados.is_empty());
        add(
            &kv,
            DEV,
            "NOMINAS DEMOSTRACION SA DE CV",
            CertStatus::Autorizada,
        );
        assert_eq!(rfcs(&search(&kv, "demostracion").unwrap()), [DEV]);
    }

    #[test]
    fn a_new_authorisation_is_a_new_generation() {
        let kv = MemoryKv::new();
        let gen_of = |kv: &MemoryKv| load(kv, DEV).unwrap().unwrap().generacion;
        add(&kv, DEV, "NOMINAS", CertStatus::Autorizada);
        assert_eq!(gen_of(&kv), 1);
        // A rename or a repeated act keeps it; whatever the caller passes is ignored.
        let mut d = load(&kv, DEV).unwrap().unwrap();
        d.razon_social = "NOMINAS DOS".into();
        d.generacion = 7;
        assert_eq!(set_status(&kv, d).unwrap().generacion, 1);
        // A cancellation keeps it; authorised again: a new one.
        add(&kv, DEV, "NOMINAS DOS", CertStatus::Cancelada);
        assert_eq!(gen_of(&kv), 1);
        add(&kv, DEV, "NOMINAS DOS", CertStatus::Autorizada);
        assert_eq!(gen_of(&kv), 2);
        // Registered cancelled first: authorised later is its first authorisation.
        add(&kv, DEV_2, "SISTEMAS", CertStatus::Cancelada);
        assert_eq!(load(&kv, DEV_2).unwrap().unwrap().generacion, 0);
        add(&kv, DEV_2, "SISTEMAS", CertStatus::Autorizada);
        assert_eq!(load(&kv, DEV_2).unwrap().unwrap().generacion, 1);
        // A record from before generations reads as 0 and moves on from there.
        let legacy = r#"{"rfc":"PME380607P35","razon_social":"PENA","estatus":"Certificación autorizada","actualizado":"2026-01-01T00:00:00Z","folio":"0500000001","registrado_por":"AIGL850215QR5"}"#;
        kv.set("desarrollador:PME380607P35", legacy.as_bytes())
            .unwrap();
        assert_eq!(load(&kv, "PME380607P35").unwrap().unwrap().generacion, 0);
        add(&kv, "PME380607P35", "PENA", CertStatus::Autorizada);
        assert_eq!(load(&kv, "PME380607P35").unwrap().unwrap().generacion, 0);
        add(&kv, "PME380607P35", "PENA", CertStatus::Cancelada);
        add(&kv, "PME380607P35", "PENA", CertStatus::Autorizada);
        assert_eq!(load(&kv, "PME380607P35").unwrap().unwrap().generacion, 1);
    }

    #[test]
    fn renaming_moves_the_developer_between_buckets() {
        let kv = MemoryKv::new();
        add(
            &kv,
            DEV,
            "NOMINAS DEMOSTRACION SA DE CV",
            CertStatus::Autorizada,
        );
        add(&kv, DEV, "ZETA SOFTWARE SA DE CV", CertStatus::Autorizada);
        assert!(search(&kv, "nominas").unwrap().resultados.is_empty());
        let r = search(&kv, "zeta").unwrap();
        assert_eq!(r.resultados[0].razon_social, "ZETA SOFTWARE SA DE CV");
        // Still once in its RFC bucket.
        assert_eq!(search(&kv, "nde").unwrap().resultados.len(), 1);
    }

    #[test]
    fn results_are_capped() {
        let kv = MemoryKv::new();
        for i in 0..25 {
            add(
                &kv,
                &format!("AAA0101{:02}AA{}", i % 28 + 1, i % 10),
                &format!("NOMINAS {i:02}"),
                CertStatus::Autorizada,
            );
        }
        let r = search(&kv, "nominas").unwrap();
        assert_eq!(r.resultados.len(), MAX_RESULTS);
        assert!(r.hay_mas);
        assert_eq!(r.resultados[0].razon_social, "NOMINAS 00");
    }

    #[test]
    fn concurrent_registrations_all_land_in_the_shared_bucket() {
        let kv = std::sync::Arc::new(MemoryKv::new());
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let kv = kv.clone();
                std::thread::spawn(move || {
                    for i in 0..10 {
                        add(
                            &*kv,
                            &format!("BBB0101{:02}A{t}{}", i + 1, i),
                            &format!("NOMINAS HILO {t} NUM {i}"),
                            CertStatus::Autorizada,
                        );
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let bucket: Vec<Entry> = kv.get_json(&bucket_key("NO")).unwrap().unwrap();
        assert_eq!(bucket.len(), 80);
    }

    #[test]
    fn registration_act_validates_and_issues_an_acuse() {
        let kv = MemoryKv::new();
        let bad = |rfc: &str, name: &str, st: &str| {
            Registration::parse(rfc, name, st, Mode::Demo)
                .unwrap_err()
                .codigo
        };
        assert_eq!(
            bad("NDE190512XY7", "X", "autorizada"),
            "RFC_DIGITO_VERIFICADOR"
        );
        assert_eq!(bad(DEV, "  ", "autorizada"), "RAZON_SOCIAL_INVALIDA");
        assert_eq!(bad(DEV, "X", "vigente"), "ESTATUS_INVALIDO");
        let reg = Registration::parse(
            " nde190512xy6 ",
            " NOMINAS  DEMOSTRACION SA DE CV ",
            "Autorizada",
            Mode::Demo,
        )
        .unwrap();
        assert_eq!(reg.rfc, DEV);
        assert_eq!(reg.razon_social, "NOMINAS DEMOSTRACION SA DE CV");
        let act = act(
            ANALISTA,
            "REGISTRAR_DESARROLLADOR",
            &[
                ("rfc_desarrollador", DEV),
                ("razon_social", "NOMINAS DEMOSTRACION SA DE CV"),
                ("estatus", "autorizada"),
            ],
        );
        let done = register(&kv, &seal(), &act, &reg, t0()).unwrap();
        let d = load(&kv, DEV).unwrap().unwrap();
        assert_eq!(d.folio, done.folio);
        assert_eq!(d.registrado_por, ANALISTA);
        assert!(acuse_json(&kv, &done.folio).contains("Registro de Desarrollador Certificado"));
        assert_eq!(rfcs(&search(&kv, "nominas").unwrap()), [DEV]);
    }
}
