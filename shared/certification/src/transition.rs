//! The state machine on records, pure: each function takes the request as it is and the facts of
//! an act, and answers the record the act commits. No store, no clock, no refusal: the acts in
//! [`crate::workflow`] check that the transition is allowed, write what it needs around it in
//! their write order, and commit the record these functions build.

use chrono::{DateTime, NaiveDate, Utc};

use crate::deadline::DIAS_ANALISIS;
use crate::record::{Certification, Dictamen, Plazo, Resultado, Ronda, StoredEvidence};
use crate::status::StoredEstatus;

/// Who asks for a new request, as the act `SOLICITAR_CERTIFICACION` states it.
#[derive(Debug, Clone)]
pub struct Applicant {
    pub folio: String,
    pub rfc: String,
    /// Name in the e.firma certificate.
    pub nombre: String,
    pub razon_social: String,
    pub correo: String,
}

/// A new request: `En espera de documentos` with its first test set (`semilla`, dated `hoy`),
/// written pending (it counts once the developer's claim names it, [`committed`]).
pub fn requested(
    who: Applicant,
    semilla: u64,
    hoy: NaiveDate,
    fecha: DateTime<Utc>,
    plazo: Plazo,
) -> Certification {
    Certification {
        folio: who.folio,
        rfc: who.rfc,
        nombre: who.nombre,
        razon_social: who.razon_social,
        correo: who.correo,
        estatus: StoredEstatus::EnEspera,
        solicitada: fecha,
        actualizada: fecha,
        rondas: vec![Ronda {
            ronda: 1,
            semilla,
            fecha: hoy,
            evidencia: None,
            dictamen: None,
        }],
        plazo: Some(plazo),
        folio_aceptacion: None,
        folio_cancelacion: None,
        cancelada: None,
        pendiente: true,
    }
}

/// The request once its claim names it: no longer pending.
pub fn committed(c: Certification) -> Certification {
    Certification {
        pendiente: false,
        ..c
    }
}

/// Evidence accepted: `En análisis`, with the institute's 5 business days from `hoy`.
pub fn uploaded(
    c: &Certification,
    evidence: StoredEvidence,
    hoy: NaiveDate,
    now: DateTime<Utc>,
) -> Certification {
    let mut next = c.clone();
    next.estatus = StoredEstatus::EnAnalisis;
    next.actualizada = now;
    next.plazo = Some(Plazo::from(hoy, DIAS_ANALISIS));
    next.ronda_actual_mut().evidencia = Some(evidence);
    next
}

/// The analyst's dictamen on the current round: `Aprobado` (no deadline runs), or back to `En
/// espera de documentos` with a new round (`semilla`, dated `hoy`) and the deadline `correccion`.
pub fn dictaminated(
    c: &Certification,
    dictamen: Dictamen,
    semilla: u64,
    hoy: NaiveDate,
    correccion: Plazo,
    now: DateTime<Utc>,
) -> Certification {
    let resultado = dictamen.resultado;
    let mut next = c.clone();
    next.actualizada = now;
    next.ronda_actual_mut().dictamen = Some(dictamen);
    match resultado {
        Resultado::Aprobar => {
            next.estatus = StoredEstatus::Aprobado;
            next.plazo = None;
        }
        Resultado::Inconsistencias => {
            next.estatus = StoredEstatus::EnEspera;
            next.rondas.push(Ronda {
                ronda: c.ronda_actual().ronda + 1,
                semilla,
                fecha: hoy,
                evidencia: None,
                dictamen: None,
            });
            next.plazo = Some(correccion);
        }
    }
    next
}

/// The developer signed the approval: `Certificación autorizada` (acuse `folio_acuse`).
pub fn accepted(c: &Certification, folio_acuse: &str, now: DateTime<Utc>) -> Certification {
    let mut next = c.clone();
    next.estatus = StoredEstatus::Autorizada;
    next.actualizada = now;
    next.plazo = None;
    next.folio_aceptacion = Some(folio_acuse.to_string());
    next
}

/// Cancelled by its developer on `fecha` (acuse `folio_acuse`).
pub fn cancelled(
    c: &Certification,
    folio_acuse: &str,
    fecha: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Certification {
    let mut next = c.clone();
    next.estatus = StoredEstatus::Cancelada;
    next.actualizada = now;
    next.plazo = None;
    next.cancelada = Some(fecha);
    next.folio_cancelacion = Some(folio_acuse.to_string());
    next
}
