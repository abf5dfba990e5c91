//! The relation record `relacion:<No. de Caso>`: what it holds, its status computed on read, and
//! how it is read (a record still pending its commit reads as absent).

use crate::RelationError;
use avisos_acts::folio;
use avisos_kv::KeyValue;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{Viewer, key};
use crate::Servicio;
use crate::directory::{self, CertStatus, Developer};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cancellation {
    /// Fecha cancelación anticipada (Mexico City).
    pub fecha: NaiveDate,
    pub instante: DateTime<Utc>,
    /// Folio of the cancellation's acuse.
    pub folio: String,
}

/// `relacion:<No. de Caso>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relation {
    pub no_caso: String,
    pub patron_rfc: String,
    pub patron_nombre: String,
    pub desarrollador_rfc: String,
    pub desarrollador_nombre: String,
    pub servicio: Servicio,
    pub inicio_vigencia: NaiveDate,
    /// Inclusive.
    pub fin_vigencia: NaiveDate,
    pub registrada: DateTime<Utc>,
    /// The service password's generation the employer typed (see [`crate::password`]).
    pub generacion_contrasena: u32,
    /// The developer's certification it was granted under ([`Developer::generacion`]): it
    /// grants nothing under another one ([`Relation::of_certification`]). `None`: granted before
    /// generations were recorded.
    #[serde(default)]
    pub generacion_certificacion: Option<u32>,
    pub cancelacion: Option<Cancellation>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Estatus {
    #[serde(rename = "Relación Vigente")]
    Vigente,
    #[serde(rename = "Relación cancelada por usuario")]
    CanceladaPorUsuario,
    #[serde(rename = "Relación no vigente")]
    NoVigente,
}

impl Estatus {
    /// Every status (openapi.yaml's `estatus` enum is checked against it).
    pub const ALL: [Estatus; 3] = [
        Estatus::Vigente,
        Estatus::CanceladaPorUsuario,
        Estatus::NoVigente,
    ];

    pub fn texto(self) -> &'static str {
        match self {
            Estatus::Vigente => "Relación Vigente",
            Estatus::CanceladaPorUsuario => "Relación cancelada por usuario",
            Estatus::NoVigente => "Relación no vigente",
        }
    }
}

/// Why a row says «Relación no vigente» (`codigo` is stable, `texto` for people).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Motivo {
    pub codigo: &'static str,
    pub texto: String,
    /// When it stopped being vigente (America/Mexico_City): the last day of its vigencia, or the
    /// day the developer's certification it was granted under was cancelled (`None` if that
    /// day is not recorded).
    pub fecha: Option<NaiveDate>,
}

/// «Relación no vigente»: its vigencia is over.
pub const MOTIVO_VIGENCIA_TERMINADA: &str = "VIGENCIA_TERMINADA";
/// «Relación no vigente»: the developer's certification it was granted under was cancelled
/// (the developer may be certified again since: a new certification needs a new relation).
pub const MOTIVO_CERTIFICACION_CANCELADA: &str = "CERTIFICACION_CANCELADA";

impl Relation {
    /// The status from the relation alone: cancellation and vigencia. What it grants also
    /// depends on the developer's certification: see [`Relation::of_certification`] and
    /// [`Relation::standing`].
    pub fn status(&self, today: NaiveDate) -> Estatus {
        if self.cancelacion.is_some() {
            Estatus::CanceladaPorUsuario
        } else if today > self.fin_vigencia {
            Estatus::NoVigente
        } else {
            Estatus::Vigente
        }
    }

    /// Whether this relation was granted under `developer`'s current, authorised certification.
    /// A certification cancelled and granted again is a new generation, and the relations of
    /// the old one never grant access again: the employer registers a new relation.
    pub fn of_certification(&self, developer: &Developer) -> bool {
        if developer.estatus != CertStatus::Autorizada
            || !developer.rfc.eq_ignore_ascii_case(&self.desarrollador_rfc)
        {
            return false;
        }
        match self.generacion_certificacion {
            Some(g) => g == developer.generacion,
            // Granted before generations were recorded. A developer authorised since then has a
            // generation of 1 or more: not this relation's. Otherwise the relation belongs to
            // the current authorisation only if granted after the developer's record last
            // changed; a record changed later may have been cancelled and authorised again in
            // between, which the record cannot tell from a rename, so both refuse (fail closed:
            // the employer registers the relation again).
            None => developer.generacion == 0 && self.registrada >= developer.actualizado,
        }
    }

    /// The status shown in the table and why, with the developer's certification taken into
    /// account: a relation of the relation's own status *Vigente* whose certification is gone
    /// is «Relación no vigente». `developer`: its current record; `None` when there is none (a
    /// relation imported without its developer), then the relation's own status.
    /// `cancelada`: the day the certification it was granted under was cancelled, when known
    /// (see [`cancellation_date`]).
    pub fn standing(
        &self,
        today: NaiveDate,
        developer: Option<&Developer>,
        viewer: Viewer,
        cancelada: Option<NaiveDate>,
    ) -> (Estatus, Option<Motivo>) {
        match self.status(today) {
            Estatus::NoVigente => (
                Estatus::NoVigente,
                Some(Motivo {
                    codigo: MOTIVO_VIGENCIA_TERMINADA,
                    texto: format!(
                        "Su vigencia terminó el {}.",
                        crate::fecha_guia(self.fin_vigencia)
                    ),
                    fecha: Some(self.fin_vigencia),
                }),
            ),
            Estatus::Vigente => match developer {
                Some(d) if !self.of_certification(d) => (
                    Estatus::NoVigente,
                    Some(Motivo {
                        codigo: MOTIVO_CERTIFICACION_CANCELADA,
                        texto: certification_reason(viewer, d, cancelada),
                        fecha: cancelada,
                    }),
                ),
                _ => (Estatus::Vigente, None),
            },
            other => (other, None),
        }
    }
}

/// The day (Mexico City) the certification `r` was granted under was cancelled, for a relation
/// that `developer`'s current record no longer authorises: the record's own date while that
/// generation is its last one and cancelled, otherwise the one recorded when it ended
/// ([`directory::cancelled_on`]).
pub fn cancellation_date(
    kv: &dyn KeyValue,
    r: &Relation,
    developer: &Developer,
) -> Result<Option<NaiveDate>, RelationError> {
    let generacion = r.generacion_certificacion.unwrap_or(0);
    let at = if developer.estatus == CertStatus::Cancelada && developer.generacion == generacion {
        Some(developer.actualizado)
    } else {
        directory::cancelled_on(kv, &developer.rfc, generacion)?
    };
    Ok(at.map(crate::today))
}

fn certification_reason(
    viewer: Viewer,
    developer: &Developer,
    cancelada: Option<NaiveDate>,
) -> String {
    let cuando = cancelada
        .map(|d| format!(" el {}", crate::fecha_guia(d)))
        .unwrap_or_default();
    match viewer {
        Viewer::Desarrollador => format!(
            "Tu certificación con la que se otorgó fue cancelada{cuando}. Para consultar los avisos de este patrón, el patrón debe registrar una nueva relación."
        ),
        Viewer::Patron if developer.estatus == CertStatus::Autorizada => format!(
            "La certificación del desarrollador con la que se otorgó fue cancelada{cuando}. El desarrollador se certificó de nuevo: para que consulte tus avisos, registra una nueva relación."
        ),
        Viewer::Patron => format!(
            "La certificación del desarrollador con la que se otorgó fue cancelada{cuando}. Si se certifica de nuevo, tendrás que registrar una nueva relación."
        ),
    }
}

pub fn load(kv: &dyn KeyValue, no_caso: &str) -> Result<Option<Relation>, RelationError> {
    match read_record(kv, no_caso)? {
        Record::Committed(r) => Ok(Some(r)),
        Record::Pending | Record::Missing => Ok(None),
    }
}

/// The committed relations among `no_casos`, in their order (`None`: pending or missing), read
/// in batches (`KeyValue::get_many`): a table of thousands of rows costs a few round trips.
pub fn load_many(
    kv: &dyn KeyValue,
    no_casos: &[String],
) -> Result<Vec<Option<Relation>>, RelationError> {
    let keys: Vec<String> = no_casos.iter().map(|n| key(n)).collect();
    kv.get_many(&keys)?
        .into_iter()
        .zip(no_casos)
        .map(|(value, no_caso)| match value {
            Some(b) if folio::is_well_formed(no_caso) && !b.starts_with(PENDING) => {
                serde_json::from_slice(&b)
                    .map(Some)
                    .map_err(|_| RelationError::internal("corrupt relation record"))
            }
            _ => Ok(None),
        })
        .collect()
}

/// Prefix of a relation record written but not committed yet (write order, step 2).
pub(super) const PENDING: &[u8] = b"pendiente:";

/// A relation record as stored.
pub(super) enum Record {
    Committed(Relation),
    Pending,
    Missing,
}

pub(super) fn read_record(kv: &dyn KeyValue, no_caso: &str) -> Result<Record, RelationError> {
    if !folio::is_well_formed(no_caso) {
        return Ok(Record::Missing);
    }
    match kv.get(&key(no_caso))? {
        None => Ok(Record::Missing),
        Some(b) if b.starts_with(PENDING) => Ok(Record::Pending),
        Some(b) => serde_json::from_slice(&b)
            .map(Record::Committed)
            .map_err(|_| RelationError::internal("corrupt relation record")),
    }
}

pub(super) fn not_found() -> RelationError {
    RelationError::NotFound
}

/// Loads a relation for its employer. Someone else's answers exactly like a missing one.
pub fn load_own(kv: &dyn KeyValue, no_caso: &str, patron: &str) -> Result<Relation, RelationError> {
    match load(kv, no_caso)? {
        Some(r) if r.patron_rfc.eq_ignore_ascii_case(patron) => Ok(r),
        _ => Err(not_found()),
    }
}
