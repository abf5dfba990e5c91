//! A payroll system's consultation (`POST /api/v1/avisos/consultas`).
//!
//! The developer authenticates with its e.firma session (`Role::Desarrollador`, Bearer token);
//! the body names the employer and carries the employer's service password (never in the URL),
//! plus optional filters. Order of work: the request's own shape (400s, not audited, nothing
//! read), then the gate ([`crate::acceso`]), then the employer's index and only the pages the
//! range and the requested page need ([`crate::store::query`]). From the gate on, every outcome
//! is written to the employer's audit ([`crate::bitacora`]) before the answer leaves; if the
//! audit cannot be written, no avisos are delivered. Refusals that checked nothing of the
//! employer's ([`aggregated`]) are counted per developer, employer, day and result instead of
//! written one record each, so a flood of them cannot grow the employer's audit.
//!
//! With `cursor` the consultation is **incremental** ([`crate::cambios`]): instead of a date
//! range it returns the employer's changes after the cursor, in order, with the next cursor.
//! The gate, the audit and the limits are the same. A **batch** ([`ConsultaLote`]) carries up to
//! [`MAX_LOTE`] consultations of different employers, each with its own password and cursor;
//! each is read on its own ([`parse_batch_item`]), then gated, audited and answered like a
//! single consultation.

mod lote;

pub use lote::{ConsultaLote, MAX_LOTE, MAX_POR_PAGINA_LOTE, parse_batch, parse_batch_item};

use avisos_acts::Mode;
use avisos_acts::secret::HmacKey;
use avisos_kv::KeyValue;
use avisos_relations::Relation;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::AvisosError;
use crate::acceso;
use crate::aviso::{self, Aviso, Nrp, TipoAviso};
use crate::bimestre;
use crate::bitacora::{self, Filtros};
use crate::cambios::{self, Cambio, Cursor};
use crate::store::{self, RowFilter};

pub const MAX_POR_PAGINA: usize = 1000;
pub const DEFAULT_POR_PAGINA: usize = 100;
pub const RESULTADO_EXITOSO: &str = "CONSULTA_EXITOSA";

/// The JSON body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsultaRequest {
    pub rfc_patron: Option<String>,
    pub contrasena: Option<String>,
    pub nrp: Option<String>,
    pub fecha_desde: Option<String>,
    pub fecha_hasta: Option<String>,
    pub tipo_aviso: Option<String>,
    pub nss: Option<String>,
    pub pagina: Option<u64>,
    pub por_pagina: Option<u64>,
    /// `inicio` or the `cursor` of an earlier answer: the changes after it.
    pub cursor: Option<String>,
}

/// A validated consultation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consulta {
    pub patron: String,
    pub contrasena: String,
    /// Avisos (or changes) in one answer at most.
    pub por_pagina: usize,
    pub modo: Modo,
}

/// What a consultation reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Modo {
    /// A page of the avisos published for a date range, optionally filtered.
    Rango(Rango),
    /// Incremental: the changes after this cursor (no range, no row filters).
    Cambios(Cursor),
}

/// A date range, its row filters and the page asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rango {
    pub nrp: Option<String>,
    pub desde: NaiveDate,
    pub hasta: NaiveDate,
    pub tipo_aviso: Option<TipoAviso>,
    pub nss: Option<String>,
    pub pagina: usize,
}

impl Consulta {
    /// The filters as the employer's audit records them.
    pub fn filtros(&self) -> Filtros {
        match &self.modo {
            Modo::Cambios(cursor) => Filtros {
                por_pagina: Some(self.por_pagina),
                cursor: Some(cursor.to_string()),
                ..Filtros::default()
            },
            Modo::Rango(r) => Filtros {
                nrp: r.nrp.clone(),
                fecha_desde: Some(r.desde.to_string()),
                fecha_hasta: Some(r.hasta.to_string()),
                tipo_aviso: r.tipo_aviso.map(|t| t.code().to_string()),
                nss: r.nss.clone(),
                pagina: Some(r.pagina),
                por_pagina: Some(self.por_pagina),
                cursor: None,
            },
        }
    }
}

fn date(name: &'static str, v: &str) -> Result<NaiveDate, AvisosError> {
    let v = v.trim();
    let b = v.as_bytes();
    let ok = b.len() == 10 && b[4] == b'-' && b[7] == b'-';
    ok.then(|| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok())
        .flatten()
        .ok_or(AvisosError::DateInvalid(name))
}

fn nrp_filter(nrp: Option<String>) -> Result<Option<String>, AvisosError> {
    match nrp.map(|n| n.trim().to_uppercase()) {
        Some(n) if !Nrp::is_well_formed(&n) => Err(AvisosError::NrpInvalid),
        n => Ok(n),
    }
}

fn tipo_aviso_filter(tipo: Option<String>) -> Result<Option<TipoAviso>, AvisosError> {
    match tipo {
        None => Ok(None),
        Some(t) => Ok(Some(
            TipoAviso::parse(&t).ok_or(AvisosError::TipoAvisoInvalid)?,
        )),
    }
}

fn nss_filter(nss: Option<String>) -> Result<Option<String>, AvisosError> {
    match nss.map(|n| n.trim().to_string()) {
        Some(n) if !aviso::nss_is_valid(&n) => Err(AvisosError::NssInvalid),
        n => Ok(n),
    }
}

/// (`pagina`, `por_pagina`), defaulted and bounded; `pagina` is checked first.
fn paging(pagina: Option<u64>, por_pagina: Option<u64>) -> Result<(usize, usize), AvisosError> {
    let pagina = match pagina {
        None => 1,
        Some(p) if (1..=1_000_000).contains(&p) => p as usize,
        Some(_) => return Err(AvisosError::PageInvalid),
    };
    let por_pagina = match por_pagina {
        None => DEFAULT_POR_PAGINA,
        Some(p) if (1..=MAX_POR_PAGINA as u64).contains(&p) => p as usize,
        Some(_) => return Err(AvisosError::PerPageInvalid),
    };
    Ok((pagina, por_pagina))
}

/// Validates the body on `today` (America/Mexico_City). Cheap, reads nothing.
pub fn parse(
    mut req: ConsultaRequest,
    mode: Mode,
    today: NaiveDate,
) -> Result<Consulta, AvisosError> {
    let patron = req.rfc_patron.as_deref().unwrap_or("").trim();
    if patron.is_empty() {
        return Err(AvisosError::PatronRfcMissing);
    }
    let patron = avisos_acts::act::validate_actor_rfc(patron, mode)
        .map_err(AvisosError::PatronRfcInvalid)?;
    let contrasena = match req.contrasena.take() {
        Some(p) if !p.trim().is_empty() => p,
        _ => return Err(AvisosError::PasswordMissing),
    };
    let (modo, por_pagina) = match &req.cursor {
        Some(raw) => (
            Modo::Cambios(cursor(raw, &req)?),
            paging(None, req.por_pagina)?.1,
        ),
        None => rango(req, today)?,
    };
    Ok(Consulta {
        patron,
        contrasena,
        por_pagina,
        modo,
    })
}

/// An incremental consultation's cursor, which comes alone: no range, row filter or page.
fn cursor(raw: &str, req: &ConsultaRequest) -> Result<Cursor, AvisosError> {
    let filtered = req.nrp.is_some()
        || req.fecha_desde.is_some()
        || req.fecha_hasta.is_some()
        || req.tipo_aviso.is_some()
        || req.nss.is_some()
        || req.pagina.is_some();
    if filtered {
        return Err(AvisosError::CursorWithFilters);
    }
    Cursor::parse(raw)
}

/// A range consultation's filters and page, checked in the documented order.
fn rango(req: ConsultaRequest, today: NaiveDate) -> Result<(Modo, usize), AvisosError> {
    let nrp = nrp_filter(req.nrp)?;
    let (default_desde, default_hasta) = bimestre::default_range(today);
    let desde = match &req.fecha_desde {
        Some(v) => date("fecha_desde", v)?,
        None => default_desde,
    };
    let hasta = match &req.fecha_hasta {
        Some(v) => date("fecha_hasta", v)?,
        None => default_hasta,
    };
    if desde > hasta {
        return Err(AvisosError::DateRangeInvalid);
    }
    let tipo_aviso = tipo_aviso_filter(req.tipo_aviso)?;
    let nss = nss_filter(req.nss)?;
    let (pagina, por_pagina) = paging(req.pagina, req.por_pagina)?;
    let rango = Rango {
        nrp,
        desde,
        hasta,
        tipo_aviso,
        nss,
        pagina,
    };
    Ok((Modo::Rango(rango), por_pagina))
}

/// Who consults: the developer of the session.
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    pub rfc: &'a str,
    pub nombre: &'a str,
}

/// The answer: one page of avisos.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Respuesta {
    pub rfc_patron: String,
    pub razon_social: String,
    /// The relation that authorises this consultation.
    pub no_caso: String,
    pub filtros: Filtros,
    pub total: usize,
    pub pagina: usize,
    pub por_pagina: usize,
    pub paginas: usize,
    /// The number of this consultation in the employer's audit.
    pub consulta: i64,
    pub avisos: Vec<Aviso>,
}

/// The answer of an incremental consultation: the changes after the cursor sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RespuestaCambios {
    pub rfc_patron: String,
    pub razon_social: String,
    pub no_caso: String,
    pub filtros: Filtros,
    /// The number of this consultation in the employer's audit.
    pub consulta: i64,
    /// In order of position; each with the aviso as its publication left it.
    pub cambios: Vec<Cambio>,
    /// Where the next consultation starts (the cursor sent, when nothing changed).
    pub cursor: String,
    /// Changes after `cursor` already published: ask again at once while it is not 0.
    pub pendientes: u64,
}

/// What a consultation answers: a page of a date range, or the changes after a cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Answer {
    Avisos(Respuesta),
    Cambios(RespuestaCambios),
}

/// Whether a refusal is audited in aggregate: one refused before the relation check passed
/// (no certification, no live relation: steps 1 and 2 of [`crate::acceso`]) or by the
/// throttle (the pair is locked or busy, no password was checked). Such refusals cost the
/// caller nothing but an e.firma session, so one record each would let anyone flood any
/// employer's audit. Wrong passwords, store failures and everything after stay one record
/// each (the throttle bounds wrong passwords per pair).
pub fn aggregated(refusal: &AvisosError, relation_passed: bool) -> bool {
    match refusal {
        AvisosError::CertificationCancelled { .. }
        | AvisosError::DeveloperNotCertified { .. }
        | AvisosError::RelationMissing { .. }
        | AvisosError::RelationCancelled { .. }
        | AvisosError::RelationOfCancelledCertification { .. }
        | AvisosError::RelationExpired { .. } => !relation_passed,
        AvisosError::AttemptsExceeded { .. } | AvisosError::ChecksInFlight { .. } => true,
        _ => false,
    }
}

/// The gate, then the query. Both outcomes are audited, each with the HTTP status it answers
/// with: `estatus_http` is the edge's mapping (`None`: the consultation succeeded), since this
/// crate does not know statuses.
pub fn consult(
    kv: &dyn KeyValue,
    caller: Caller<'_>,
    c: &Consulta,
    password_key: &HmacKey,
    now: DateTime<Utc>,
    estatus_http: impl Fn(Option<&AvisosError>) -> u16,
) -> Result<Answer, AvisosError> {
    let mut relation_passed = false;
    let outcome = gate_and_read(kv, caller, c, password_key, now, &mut relation_passed);
    let (resultado, estatus, (devueltos, coincidentes)) = match &outcome {
        Ok((_, found)) => (RESULTADO_EXITOSO, estatus_http(None), found.counts()),
        Err(e) => (e.codigo(), estatus_http(Some(e)), (0, 0)),
    };
    let entry = bitacora::Entry {
        patron: &c.patron,
        rfc_desarrollador: caller.rfc,
        nombre_desarrollador: caller.nombre,
        filtros: c.filtros(),
        resultado,
        estatus_http: estatus,
        avisos_devueltos: devueltos,
        avisos_coincidentes: coincidentes,
    };
    match outcome {
        Ok((relation, found)) => {
            let numero = bitacora::record(kv, entry, now)?;
            Ok(answer(c, &relation, found, numero))
        }
        Err(refusal) => {
            if aggregated(&refusal, relation_passed) {
                bitacora::record_aggregated(kv, entry, now)?;
            } else {
                bitacora::record(kv, entry, now)?;
            }
            Err(refusal)
        }
    }
}

/// The gate ([`crate::acceso`]), then what the consultation reads. `relation_passed` tells the
/// audit whether a refusal came after the relation check ([`aggregated`]).
fn gate_and_read(
    kv: &dyn KeyValue,
    caller: Caller<'_>,
    c: &Consulta,
    password_key: &HmacKey,
    now: DateTime<Utc>,
    relation_passed: &mut bool,
) -> Result<(Relation, Found), AvisosError> {
    acceso::check_certification(kv, caller.rfc)?;
    let relation = acceso::check_relation(kv, &c.patron, caller.rfc, now)?;
    *relation_passed = true;
    acceso::check_password(kv, &relation, caller.rfc, &c.contrasena, password_key, now)?;
    let (_, index) = store::load_index(kv, &c.patron)?;
    let found = match &c.modo {
        Modo::Cambios(cursor) => {
            Found::Cambios(cambios::read(kv, &c.patron, &index, cursor, c.por_pagina)?)
        }
        Modo::Rango(r) => {
            if let Some(n) = &r.nrp
                && index.nrps.binary_search(n).is_err()
            {
                return Err(AvisosError::NrpNotOfEmployer);
            }
            let filter = RowFilter {
                nrp: r.nrp.clone(),
                tipo_aviso: r.tipo_aviso,
                nss: r.nss.clone(),
            };
            let offset = (r.pagina - 1).saturating_mul(c.por_pagina);
            let slice = store::query(kv, &index, r.desde, r.hasta, &filter, offset, c.por_pagina)?;
            Found::Avisos(slice, r.pagina)
        }
    };
    Ok((relation, found))
}

/// The answer of a consultation that the gate let through, audited as number `numero`.
fn answer(c: &Consulta, relation: &Relation, found: Found, numero: i64) -> Answer {
    let (rfc_patron, razon_social) = (c.patron.clone(), relation.patron_nombre.clone());
    let no_caso = relation.no_caso.clone();
    match found {
        Found::Avisos(slice, pagina) => Answer::Avisos(Respuesta {
            rfc_patron,
            razon_social,
            no_caso,
            filtros: c.filtros(),
            total: slice.total,
            pagina,
            por_pagina: c.por_pagina,
            paginas: slice.total.div_ceil(c.por_pagina),
            consulta: numero,
            avisos: slice.avisos,
        }),
        Found::Cambios(found) => Answer::Cambios(RespuestaCambios {
            rfc_patron,
            razon_social,
            no_caso,
            filtros: c.filtros(),
            consulta: numero,
            cambios: found.cambios,
            cursor: found.cursor.to_string(),
            pendientes: found.pendientes,
        }),
    }
}

/// What the gate let a consultation read: a page (and its number), or changes.
enum Found {
    Avisos(store::Slice, usize),
    Cambios(cambios::Cambios),
}

impl Found {
    /// (avisos returned, avisos matching) as the audit counts them.
    fn counts(&self) -> (usize, usize) {
        match self {
            Found::Avisos(s, _) => (s.avisos.len(), s.total),
            Found::Cambios(f) => (f.cambios.len(), f.cambios.len() + f.pendientes as usize),
        }
    }
}

#[cfg(test)]
mod tests;
