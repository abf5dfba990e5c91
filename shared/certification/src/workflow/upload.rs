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

/// Content types accepted for the evidence upload.
const WORKBOOK_TYPES: [&str; 3] = [
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/octet-stream",
];
/// Longest file name kept (characters).
const MAX_FILE_NAME: usize = 200;

/// The `Content-Type` without its parameters, as stored with the evidence.
pub fn media_type(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or_default().trim()
}

/// The upload's headers and body, checked before the workbook is parsed: an Excel media type
/// (or `application/octet-stream`), a file name (its last path segment, at most 200 characters,
/// no control characters), and some bytes. Returns the file name kept.
pub fn check_upload(
    file_name: Option<&str>,
    content_type: &str,
    body: &[u8],
) -> Result<String, CertificationError> {
    let media = media_type(content_type).to_ascii_lowercase();
    if !WORKBOOK_TYPES.contains(&media.as_str()) {
        return Err(CertificationError::ContentTypeInvalid);
    }
    let name = file_name
        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or_default().trim())
        .filter(|n| !n.is_empty() && n.chars().count() <= MAX_FILE_NAME)
        .filter(|n| !n.chars().any(char::is_control))
        .ok_or(CertificationError::FileNameRequired)?;
    if body.is_empty() {
        return Err(CertificationError::FileEmpty);
    }
    Ok(name.to_string())
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

/// `?ronda=` of the stored workbook: a whole number, or the last round when absent.
pub fn round(ronda: Option<&str>) -> Result<Option<u32>, CertificationError> {
    ronda
        .map(|r| r.trim().parse::<u32>())
        .transpose()
        .map_err(|_| CertificationError::RoundInvalid)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_headers_and_body_are_checked_before_the_workbook() {
        let xls = "application/vnd.ms-excel";
        let code = |r: Result<String, CertificationError>| r.unwrap_err().codigo();
        assert_eq!(
            code(check_upload(Some("a.xls"), "text/plain", b"x")),
            "TIPO_DE_CONTENIDO_INVALIDO"
        );
        assert_eq!(
            code(check_upload(None, xls, b"x")),
            "NOMBRE_ARCHIVO_REQUERIDO"
        );
        assert_eq!(
            code(check_upload(Some(" "), xls, b"x")),
            "NOMBRE_ARCHIVO_REQUERIDO"
        );
        assert_eq!(
            code(check_upload(Some("a\u{7}.xls"), xls, b"x")),
            "NOMBRE_ARCHIVO_REQUERIDO"
        );
        assert_eq!(
            code(check_upload(Some(&"a".repeat(201)), xls, b"x")),
            "NOMBRE_ARCHIVO_REQUERIDO"
        );
        assert_eq!(code(check_upload(Some("a.xls"), xls, b"")), "ARCHIVO_VACIO");
        assert_eq!(
            check_upload(Some("C:\\x\\ev.xls"), "Application/VND.ms-excel; q=1", b"x").unwrap(),
            "ev.xls"
        );
        assert_eq!(media_type("application/vnd.ms-excel; q=1"), xls);
    }

    #[test]
    fn the_round_is_a_whole_number_or_the_last() {
        assert_eq!(round(None), Ok(None));
        assert_eq!(round(Some(" 2 ")), Ok(Some(2)));
        assert_eq!(round(Some("dos")), Err(CertificationError::RoundInvalid));
        assert_eq!(round(Some("-1")), Err(CertificationError::RoundInvalid));
    }
}
