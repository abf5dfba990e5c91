//! The record of a request (`certificacion:<folio>`) and its compare-and-swap updates.

use avisos_calendar::Calendar;
use avisos_evidence::{Evidence, Grading, TestSetId};
use avisos_kv::KeyValue;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::CertificationError;
use crate::status::{Estatus, StoredEstatus};

/// A deadline: `dias` business days after `desde` (which is not counted).
///
/// The developer's deadlines count, as the guide states them, from the **delivery of the e-mail**
/// that starts them (the test set: 45 days; the new set after inconsistencies: 10): `correo`
/// names that notification, and `desde` is the day (America/Mexico_City) the outbox recorded it
/// as sent ([`resolve_plazo`], on every load). Until then `desde` is `None` and the deadline
/// does not run. Without a mail API the portal inbox is the delivery: the notification is there
/// when the act commits, so `desde` is the act's day from the start. The review's deadline (5
/// days) counts from the upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plazo {
    /// `None` while the e-mail that starts it has not been delivered.
    #[serde(default)]
    pub desde: Option<NaiveDate>,
    pub dias: u32,
    /// The notification whose delivery starts it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correo: Option<String>,
}

impl Plazo {
    /// A deadline that starts on `desde`.
    pub fn from(desde: NaiveDate, dias: u32) -> Plazo {
        Plazo {
            desde: Some(desde),
            dias,
            correo: None,
        }
    }

    /// The last day of the deadline (inclusive); `None` while it has not started.
    pub fn vence(&self, cal: &Calendar) -> Option<NaiveDate> {
        self.desde.map(|d| cal.add_business_days(d, self.dias))
    }

    /// Whether its last day has passed (never, while it has not started).
    pub fn expired(&self, cal: &Calendar, today: NaiveDate) -> bool {
        self.vence(cal).is_some_and(|v| today > v)
    }

    /// Business days past its last day (0 while on time or not started).
    pub fn dias_de_atraso(&self, cal: &Calendar, today: NaiveDate) -> u32 {
        match self.vence(cal) {
            Some(v) if today > v => cal.business_days_between(v, today),
            _ => 0,
        }
    }
}

/// The accepted workbook of a round, where it is stored, what it says and how it graded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEvidence {
    pub archivo: String,
    pub content_type: String,
    pub bytes: usize,
    pub sha256: String,
    pub recibida: DateTime<Utc>,
    /// Key prefix of its chunks (see [`crate::blob`]).
    pub blob: String,
    pub chunks: u32,
    pub resumen: Evidence,
    pub calificacion: Grading,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Resultado {
    #[serde(rename = "aprobar")]
    Aprobar,
    #[serde(rename = "inconsistencias")]
    Inconsistencias,
}

impl Resultado {
    pub fn parse(s: &str) -> Result<Resultado, CertificationError> {
        match s.trim() {
            "aprobar" => Ok(Resultado::Aprobar),
            "inconsistencias" => Ok(Resultado::Inconsistencias),
            _ => Err(CertificationError::ResultadoInvalid),
        }
    }
}

/// The analyst's decision on a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dictamen {
    pub resultado: Resultado,
    pub observaciones: String,
    pub analista: String,
    pub fecha: DateTime<Utc>,
    /// Folio of the dictamen's acuse.
    pub folio: String,
}

/// One test set and what happened with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ronda {
    pub ronda: u32,
    pub semilla: u64,
    /// The test set's date (part of its id).
    pub fecha: NaiveDate,
    pub evidencia: Option<StoredEvidence>,
    pub dictamen: Option<Dictamen>,
}

/// `certificacion:<folio>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Certification {
    pub folio: String,
    pub rfc: String,
    /// Name in the e.firma certificate.
    pub nombre: String,
    pub razon_social: String,
    pub correo: String,
    pub estatus: StoredEstatus,
    pub solicitada: DateTime<Utc>,
    pub actualizada: DateTime<Utc>,
    /// Rounds, oldest first; the last is the current test set.
    pub rondas: Vec<Ronda>,
    /// The deadline running in the current state (upload or review).
    pub plazo: Option<Plazo>,
    pub folio_aceptacion: Option<String>,
    pub folio_cancelacion: Option<String>,
    pub cancelada: Option<DateTime<Utc>>,
    /// Written by a request not committed yet: the record counts only once the developer's claim
    /// names it ([`load_raw`]); every later transition writes it without the mark.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pendiente: bool,
}

impl Certification {
    pub fn ronda_actual(&self) -> &Ronda {
        // A record is created with its first round and rounds are only ever appended.
        self.rondas
            .last()
            .unwrap_or_else(|| unreachable!("a certification always has a round"))
    }

    pub fn ronda_actual_mut(&mut self) -> &mut Ronda {
        self.rondas
            .last_mut()
            .unwrap_or_else(|| unreachable!("a certification always has a round"))
    }

    pub fn test_set_id(&self) -> TestSetId {
        let r = self.ronda_actual();
        TestSetId {
            semilla: r.semilla,
            folio: self.folio.clone(),
            ronda: r.ronda,
            fecha: r.fecha,
        }
    }

    /// The status as shown today: only the developer's own deadline can make it `Vencida`.
    pub fn estatus(&self, cal: &Calendar, today: NaiveDate) -> Estatus {
        let expired =
            self.estatus.can_expire() && self.plazo.as_ref().is_some_and(|p| p.expired(cal, today));
        Estatus::from_stored(self.estatus, expired)
    }

    /// Business days the institute's review is late (`En análisis` past its 5 days): shown to
    /// the analyst as late, never held against the developer.
    pub fn dias_de_atraso(&self, cal: &Calendar, today: NaiveDate) -> u32 {
        match (&self.estatus, &self.plazo) {
            (StoredEstatus::EnAnalisis, Some(p)) => p.dias_de_atraso(cal, today),
            _ => 0,
        }
    }

    /// Folios of the acts this record took effect through (the request's own, each dictamen,
    /// the acceptance, the cancellation): what a notification's `acto` is confirmed against.
    pub fn act_folios(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.folio.as_str())
            .chain(
                self.rondas
                    .iter()
                    .filter_map(|r| r.dictamen.as_ref().map(|d| d.folio.as_str())),
            )
            .chain(self.folio_aceptacion.as_deref())
            .chain(self.folio_cancelacion.as_deref())
    }

    /// The year this record's deadline starts (to load the calendar); `None` when none runs.
    pub fn deadline_year(&self) -> Option<i32> {
        use chrono::Datelike;
        self.plazo.as_ref().and_then(|p| p.desde).map(|d| d.year())
    }
}

/// `certificacion:<folio>` (the directory reads its `estatus`, so the key is built by
/// `avisos-relations`).
pub fn key(folio: &str) -> String {
    avisos_relations::directory::certification_key(folio)
}

/// `certificacion:vigente:<RFC>`: the folio of the developer's live request, or empty. Taking it
/// is the commit point of a request.
pub fn claim_key(rfc: &str) -> String {
    format!("certificacion:vigente:{}", rfc.to_uppercase())
}

pub fn not_found() -> CertificationError {
    CertificationError::NotFound
}

/// The record and its exact stored bytes (for compare-and-swap).
pub fn load_raw(
    kv: &dyn KeyValue,
    folio: &str,
) -> Result<Option<(Certification, Vec<u8>)>, CertificationError> {
    if !avisos_acts::folio::is_well_formed(folio) {
        return Ok(None);
    }
    match kv.get(&key(folio))? {
        None => Ok(None),
        Some(raw) => readable(kv, raw),
    }
}

/// [`load`] of several requests, their records read in one batch (`KeyValue::get_many`).
pub fn load_many(
    kv: &dyn KeyValue,
    folios: &[String],
) -> Result<Vec<Option<Certification>>, CertificationError> {
    let keys: Vec<String> = folios.iter().map(|f| key(f)).collect();
    kv.get_many(&keys)?
        .into_iter()
        .zip(folios)
        .map(|(raw, folio)| match raw {
            Some(raw) if avisos_acts::folio::is_well_formed(folio) => {
                Ok(readable(kv, raw)?.map(|(c, _)| c))
            }
            _ => Ok(None),
        })
        .collect()
}

/// A stored record as readers see it (`None`: its request is still running or gave up).
fn readable(
    kv: &dyn KeyValue,
    raw: Vec<u8>,
) -> Result<Option<(Certification, Vec<u8>)>, CertificationError> {
    let mut c: Certification = serde_json::from_slice(&raw)
        .map_err(|_| CertificationError::internal("corrupt certification record"))?;
    if c.pendiente {
        // Committed once the claim names it; otherwise its request is still running or gave
        // up, and readers see nothing.
        if kv.get(&claim_key(&c.rfc))?.as_deref() != Some(c.folio.as_bytes()) {
            return Ok(None);
        }
        c.pendiente = false;
    }
    resolve_plazo(kv, &mut c)?;
    Ok(Some((c, raw)))
}

/// Starts a deadline that waits for its e-mail once the outbox records that e-mail as sent
/// (see [`Plazo`]). Read-only: the record keeps `desde` empty until its next transition writes
/// it, and every load reaches the same answer.
pub fn resolve_plazo(kv: &dyn KeyValue, c: &mut Certification) -> Result<(), CertificationError> {
    if let Some(p) = c.plazo.as_mut()
        && p.desde.is_none()
        && let Some(id) = &p.correo
        && let Some(sent) = crate::notify::load(kv, id)?.and_then(|n| n.enviada)
    {
        p.desde = Some(crate::today(sent));
    }
    Ok(())
}

pub fn load(kv: &dyn KeyValue, folio: &str) -> Result<Option<Certification>, CertificationError> {
    Ok(load_raw(kv, folio)?.map(|(c, _)| c))
}

pub fn encode(c: &Certification) -> Result<Vec<u8>, CertificationError> {
    serde_json::to_vec(c).map_err(|e| CertificationError::internal(e.to_string()))
}

/// Replaces the record only if it still has the bytes `before` (someone else's concurrent
/// transition is refused with [`CertificationError::Modified`]: the caller re-reads and the user
/// retries).
pub fn swap(
    kv: &dyn KeyValue,
    before: &[u8],
    after: &Certification,
) -> Result<(), CertificationError> {
    if kv.compare_and_swap(&key(&after.folio), Some(before), &encode(after)?)? {
        Ok(())
    } else {
        Err(CertificationError::Modified)
    }
}
