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
//!
//! Files: `search.rs` (the buckets and the search), `record.rs` (changes of the record, in the
//! write order above, and the cancellations it records), `register.rs` (the analysts' act).

mod record;
mod register;
mod search;
#[cfg(test)]
mod tests;

use crate::RelationError;
use avisos_kv::KeyValue;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use record::{
    Cancelacion, MAX_CANCELACIONES, cancelled_on, confirm, grant_pending, revoke, set_status,
    update,
};
pub use register::{MAX_NAME_CHARS, REGISTER_FIELDS, Registration, register};
pub use search::{
    BUCKET_CHARS, Entry, MAX_RESULTS, STOP_WORDS, SearchResult, SearchRow, buckets, matches, search,
};

/// A developer's certification as the directory records it. Stored as its slug (`autorizada`,
/// `cancelada`, as `datos.estatus` says it); records written before held the guide's words,
/// still read. [`CertStatus::texto`] is what people see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CertStatus {
    #[serde(rename = "autorizada", alias = "Certificación autorizada")]
    Autorizada,
    #[serde(rename = "cancelada", alias = "Certificación cancelada")]
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
    pub fn parse(s: &str) -> Result<CertStatus, RelationError> {
        match s.trim().to_lowercase().as_str() {
            "autorizada" => Ok(CertStatus::Autorizada),
            "cancelada" => Ok(CertStatus::Cancelada),
            _ => Err(RelationError::CertStatusInvalid),
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

fn key(rfc: &str) -> String {
    format!("desarrollador:{}", rfc.to_uppercase())
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

fn grant_of(kv: &dyn KeyValue, folio: &str) -> Result<Grant, RelationError> {
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
fn load_stored(
    kv: &dyn KeyValue,
    rfc: &str,
) -> Result<Option<(Developer, Vec<u8>)>, RelationError> {
    let Some(raw) = kv.get(&key(rfc))? else {
        return Ok(None);
    };
    let d = serde_json::from_slice(&raw)
        .map_err(|_| RelationError::internal("corrupt developer record"))?;
    Ok(Some((d, raw)))
}

/// A stored record as readers see it: one written by the certification workflow is what its
/// request says (see [`Developer::certificacion`]); one whose approval is still being signed is
/// the record it replaced.
fn resolve(kv: &dyn KeyValue, d: Developer) -> Result<Option<Developer>, RelationError> {
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
pub fn load(kv: &dyn KeyValue, rfc: &str) -> Result<Option<Developer>, RelationError> {
    match load_stored(kv, rfc)? {
        None => Ok(None),
        Some((d, _)) => resolve(kv, d),
    }
}

/// [`load`] of several developers, their records read in one batch (`KeyValue::get_many`).
pub fn load_many(
    kv: &dyn KeyValue,
    rfcs: &[&str],
) -> Result<Vec<Option<Developer>>, RelationError> {
    let keys: Vec<String> = rfcs.iter().map(|r| key(r)).collect();
    kv.get_many(&keys)?
        .into_iter()
        .map(|raw| match raw {
            None => Ok(None),
            Some(raw) => {
                let d = serde_json::from_slice(&raw)
                    .map_err(|_| RelationError::internal("corrupt developer record"))?;
                resolve(kv, d)
            }
        })
        .collect()
}

/// The developer, if its certification is authorised.
pub fn require_certified(kv: &dyn KeyValue, rfc: &str) -> Result<Developer, RelationError> {
    match load(kv, rfc)? {
        Some(d) if d.estatus == CertStatus::Autorizada => Ok(d),
        _ => Err(RelationError::DeveloperNotCertified {
            rfc: rfc.to_uppercase(),
        }),
    }
}
