//! «Enviar archivo»: the evidence upload, and the stored workbook analysts download.

use avisos_acts::session::Session;
use avisos_evidence::{Rejection, workbook};
use avisos_kv::{KeyValue, index};
use chrono::{DateTime, NaiveDate, Utc};

use super::{calendar_of, settle_quietly, status_index};
use crate::blob;
use crate::error::CertificationError;
use crate::record::{self, Certification, StoredEvidence};
use crate::status::{Estatus, StoredEstatus};
use crate::today;
use crate::transition;

/// Why an upload did not take effect.
#[derive(Debug, Clone, PartialEq)]
pub enum UploadError {
    Refused(CertificationError),
    /// The workbook has problems ([`CertificationError::EvidenceRejected`], with the list):
    /// nothing changed.
    Rejected(Rejection),
}

impl From<CertificationError> for UploadError {
    fn from(e: CertificationError) -> Self {
        UploadError::Refused(e)
    }
}

impl From<avisos_kv::KvError> for UploadError {
    fn from(e: avisos_kv::KvError) -> Self {
        UploadError::Refused(e.into())
    }
}

/// The upload as the component read it.
#[derive(Debug, Clone)]
pub struct Upload<'a> {
    pub bytes: &'a [u8],
    pub file_name: &'a str,
    /// The media type (the request's `Content-Type` without its parameters), stored as given.
    pub content_type: &'a str,
    /// Random id of this upload (chunk keys).
    pub carga: &'a str,
}

/// «Enviar archivo»: checks the workbook against the current test set; on success stores it,
/// its summary and grading, and moves the request to `En análisis` (5 business days).
pub fn upload(
    kv: &dyn KeyValue,
    session: &Session,
    folio: &str,
    up: &Upload<'_>,
    now: DateTime<Utc>,
) -> Result<Certification, UploadError> {
    let (c, raw) = crate::require_owner(kv, session, folio)?;
    let hoy = today(now);
    refuse_unless_waiting(kv, &c, hoy)?;
    let set = avisos_evidence::generate(&c.test_set_id());
    let evidence = workbook::check(up.bytes, up.file_name, &set).map_err(UploadError::Rejected)?;
    let grading = avisos_evidence::grade(&set, &evidence);
    let ronda = c.ronda_actual().ronda;
    let prefix = blob::prefix(folio, ronda, up.carga);
    let chunks = blob::write(kv, &prefix, up.bytes)?;
    let stored = StoredEvidence {
        archivo: up.file_name.to_string(),
        content_type: up.content_type.to_string(),
        bytes: up.bytes.len(),
        sha256: evidence.sha256.clone(),
        recibida: now,
        blob: prefix.clone(),
        chunks,
        resumen: evidence,
        calificacion: grading,
    };
    let next = transition::uploaded(&c, stored, hoy, now);
    // Listed in the analysts' tray before the commit (the tray shows what the record says).
    index::add(kv, &status_index(StoredEstatus::EnAnalisis), &[folio])?;
    match record::swap(kv, &raw, &next) {
        Ok(()) => {}
        Err(e) => {
            // Only a swap known to be lost frees its chunks: one whose outcome is unknown may
            // have landed, and then its record names them.
            if e == CertificationError::Modified {
                blob::delete(kv, &prefix, chunks);
            }
            return Err(e.into());
        }
    }
    settle_quietly(kv, &next);
    Ok(next)
}

/// Evidence is received only «En espera de documentos» (and never once its deadline passed).
fn refuse_unless_waiting(
    kv: &dyn KeyValue,
    c: &Certification,
    hoy: NaiveDate,
) -> Result<(), UploadError> {
    let cal = calendar_of(kv, c)?;
    match c.estatus(&cal, hoy) {
        Estatus::EnEspera => Ok(()),
        Estatus::Vencida => Err(CertificationError::Expired.into()),
        other => {
            settle_quietly(kv, c);
            Err(CertificationError::StatusForbidsEvidence(other).into())
        }
    }
}

/// The stored workbook of a round (the last one with evidence when `ronda` is None).
pub fn stored_workbook(
    kv: &dyn KeyValue,
    c: &Certification,
    ronda: Option<u32>,
) -> Result<(StoredEvidence, Vec<u8>), CertificationError> {
    let e = c
        .rondas
        .iter()
        .rev()
        .filter(|r| ronda.is_none_or(|n| r.ronda == n))
        .find_map(|r| r.evidencia.clone())
        .ok_or(CertificationError::EvidenceNotFound)?;
    let bytes = blob::read(kv, &e.blob, e.chunks)?;
    Ok((e, bytes))
}
