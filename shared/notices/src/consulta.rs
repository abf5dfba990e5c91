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

use avisos_acts::Mode;
use avisos_acts::secret::HmacKey;
use avisos_kv::KeyValue;
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
/// Consultations in one batch at most.
pub const MAX_LOTE: usize = 100;
/// Avisos (or changes) per consultation of a batch at most, so one answer stays a few MB.
pub const MAX_POR_PAGINA_LOTE: usize = 100;

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
    pub nrp: Option<String>,
    pub desde: NaiveDate,
    pub hasta: NaiveDate,
    pub tipo_aviso: Option<TipoAviso>,
    pub nss: Option<String>,
    pub pagina: usize,
    pub por_pagina: usize,
    /// Incremental: the changes after this cursor (the range and row filters do not apply).
    pub cursor: Option<Cursor>,
}

impl Consulta {
    pub fn filtros(&self) -> Filtros {
        if let Some(cursor) = &self.cursor {
            return Filtros {
                por_pagina: Some(self.por_pagina),
                cursor: Some(cursor.to_string()),
                ..Filtros::default()
            };
        }
        Filtros {
            nrp: self.nrp.clone(),
            fecha_desde: Some(self.desde.to_string()),
            fecha_hasta: Some(self.hasta.to_string()),
            tipo_aviso: self.tipo_aviso.map(|t| t.code().to_string()),
            nss: self.nss.clone(),
            pagina: Some(self.pagina),
            por_pagina: Some(self.por_pagina),
            cursor: None,
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
pub fn parse(req: ConsultaRequest, mode: Mode, today: NaiveDate) -> Result<Consulta, AvisosError> {
    let patron = req.rfc_patron.as_deref().unwrap_or("").trim();
    if patron.is_empty() {
        return Err(AvisosError::PatronRfcMissing);
    }
    let patron = avisos_acts::act::validate_actor_rfc(patron, mode)
        .map_err(AvisosError::PatronRfcInvalid)?;
    let contrasena = match req.contrasena {
        Some(p) if !p.trim().is_empty() => p,
        _ => return Err(AvisosError::PasswordMissing),
    };
    if let Some(raw) = &req.cursor {
        let filtered = req.nrp.is_some()
            || req.fecha_desde.is_some()
            || req.fecha_hasta.is_some()
            || req.tipo_aviso.is_some()
            || req.nss.is_some()
            || req.pagina.is_some();
        if filtered {
            return Err(AvisosError::CursorWithFilters);
        }
        let cursor = Cursor::parse(raw)?;
        let (_, por_pagina) = paging(None, req.por_pagina)?;
        let (desde, hasta) = bimestre::default_range(today);
        return Ok(Consulta {
            patron,
            contrasena,
            nrp: None,
            desde,
            hasta,
            tipo_aviso: None,
            nss: None,
            pagina: 1,
            por_pagina,
            cursor: Some(cursor),
        });
    }
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
    Ok(Consulta {
        patron,
        contrasena,
        nrp,
        desde,
        hasta,
        tipo_aviso,
        nss,
        pagina,
        por_pagina,
        cursor: None,
    })
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
    let outcome = (|| {
        acceso::check_certification(kv, caller.rfc)?;
        let relation = acceso::check_relation(kv, &c.patron, caller.rfc, now)?;
        relation_passed = true;
        acceso::check_password(kv, &relation, caller.rfc, &c.contrasena, password_key, now)?;
        let (_, index) = store::load_index(kv, &c.patron)?;
        if let Some(cursor) = &c.cursor {
            let found = cambios::read(kv, &c.patron, &index, cursor, c.por_pagina)?;
            return Ok((relation, Found::Cambios(found)));
        }
        if let Some(n) = &c.nrp
            && index.nrps.binary_search(n).is_err()
        {
            return Err(AvisosError::NrpNotOfEmployer);
        }
        let filter = RowFilter {
            nrp: c.nrp.clone(),
            tipo_aviso: c.tipo_aviso,
            nss: c.nss.clone(),
        };
        let offset = (c.pagina - 1).saturating_mul(c.por_pagina);
        let slice = store::query(kv, &index, c.desde, c.hasta, &filter, offset, c.por_pagina)?;
        Ok((relation, Found::Avisos(slice)))
    })();
    let (resultado, estatus, devueltos, coincidentes) = match &outcome {
        Ok((_, Found::Avisos(s))) => (
            RESULTADO_EXITOSO,
            estatus_http(None),
            s.avisos.len(),
            s.total,
        ),
        Ok((_, Found::Cambios(found))) => (
            RESULTADO_EXITOSO,
            estatus_http(None),
            found.cambios.len(),
            found.cambios.len() + found.pendientes as usize,
        ),
        Err(e) => (e.codigo(), estatus_http(Some(e)), 0, 0),
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
    let (relation, found) = match outcome {
        Ok(found) => found,
        Err(refusal) => {
            if aggregated(&refusal, relation_passed) {
                bitacora::record_aggregated(kv, entry, now)?;
            } else {
                bitacora::record(kv, entry, now)?;
            }
            return Err(refusal);
        }
    };
    let numero = bitacora::record(kv, entry, now)?;
    Ok(match found {
        Found::Avisos(slice) => Answer::Avisos(Respuesta {
            rfc_patron: c.patron.clone(),
            razon_social: relation.patron_nombre.clone(),
            no_caso: relation.no_caso.clone(),
            filtros: c.filtros(),
            total: slice.total,
            pagina: c.pagina,
            por_pagina: c.por_pagina,
            paginas: slice.total.div_ceil(c.por_pagina),
            consulta: numero,
            avisos: slice.avisos,
        }),
        Found::Cambios(found) => Answer::Cambios(RespuestaCambios {
            rfc_patron: c.patron.clone(),
            razon_social: relation.patron_nombre.clone(),
            no_caso: relation.no_caso.clone(),
            filtros: c.filtros(),
            consulta: numero,
            cambios: found.cambios,
            cursor: found.cursor.to_string(),
            pendientes: found.pendientes,
        }),
    })
}

/// What the gate let a consultation read.
enum Found {
    Avisos(store::Slice),
    Cambios(cambios::Cambios),
}

/// The JSON body of a batch.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsultaLote {
    pub consultas: Option<Vec<serde_json::Value>>,
}

/// The batch's consultations as sent, each still to be read on its own; refused as a whole
/// only when it is not a batch (absent, empty or over [`MAX_LOTE`]).
pub fn parse_batch(lote: ConsultaLote) -> Result<Vec<serde_json::Value>, AvisosError> {
    let consultas = lote.consultas.unwrap_or_default();
    if consultas.is_empty() {
        return Err(AvisosError::BatchEmpty);
    }
    if consultas.len() > MAX_LOTE {
        return Err(AvisosError::BatchTooLarge(consultas.len()));
    }
    Ok(consultas)
}

/// One consultation of a batch, read on its own: a malformed one is refused alone. The
/// employer's RFC as sent comes back beside the refusal, so the caller can tell whose it was.
pub fn parse_batch_item(
    raw: serde_json::Value,
    mode: Mode,
    today: NaiveDate,
) -> Result<Consulta, (String, AvisosError)> {
    let rfc = raw
        .get("rfc_patron")
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .trim()
        .to_uppercase();
    let req: ConsultaRequest = serde_json::from_value(raw)
        .map_err(|e| (rfc.clone(), AvisosError::JsonInvalid(e.to_string())))?;
    let c = parse(req, mode, today).map_err(|e| (rfc, e))?;
    if c.por_pagina > MAX_POR_PAGINA_LOTE {
        return Err((c.patron, AvisosError::BatchPerPageInvalid));
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use avisos_kv::MemoryKv;

    #[test]
    fn refusals_that_checked_nothing_are_audited_in_aggregate() {
        let kv = MemoryKv::new();
        let now: DateTime<Utc> = "2026-11-23T18:00:00Z".parse().unwrap();
        let c = parse(req(), Mode::Demo, today()).unwrap();
        let caller = Caller {
            rfc: "NDE190512XY6",
            nombre: "NOMINAS DEMOSTRACION SA DE CV",
        };
        // The audit records whatever status the edge gives the outcome.
        let estatus = |e: Option<&AvisosError>| if e.is_some() { 7 } else { 1 };
        for _ in 0..400 {
            let r = consult(
                &kv,
                caller,
                &c,
                avisos_acts::testutil::password_key(),
                now,
                estatus,
            )
            .unwrap_err();
            assert_eq!(r.codigo(), "DESARROLLADOR_NO_CERTIFICADO");
        }
        assert!(kv.len() <= 4, "{} keys for 400 refusals", kv.len());
        let l = bitacora::list(&kv, "EDE200101AB0", 1, 10).unwrap();
        assert_eq!(l.registros.len(), 1);
        assert_eq!(l.registros[0].veces, 400);
        assert_eq!(l.registros[0].resultado, "DESARROLLADOR_NO_CERTIFICADO");
        assert_eq!(l.registros[0].estatus_http, 7);
    }

    #[test]
    fn which_refusals_aggregate() {
        let dev = || "NDE190512XY6".to_string();
        // Steps 1 and 2 of the gate.
        let not_certified = AvisosError::DeveloperNotCertified {
            desarrollador: dev(),
        };
        assert!(aggregated(&not_certified, false));
        let cancelled = AvisosError::RelationCancelled {
            fecha: "x".into(),
            no_caso: "x".into(),
        };
        assert!(aggregated(&cancelled, false));
        // The throttle, whenever.
        let locked = AvisosError::AttemptsExceeded { retry_after: 60 };
        assert!(aggregated(&locked, true));
        assert!(aggregated(
            &AvisosError::ChecksInFlight { retry_after: 1 },
            true
        ));
        // A wrong password, a store failure, an NRP of another employer: one record each.
        assert!(!aggregated(&AvisosError::PasswordIncorrect, true));
        let store = AvisosError::Store(avisos_kv::KvError::Unavailable(String::new()));
        assert!(!aggregated(&store, false));
        assert!(!aggregated(&AvisosError::NrpNotOfEmployer, true));
    }

    fn today() -> NaiveDate {
        "2026-11-23".parse().unwrap()
    }

    fn req() -> ConsultaRequest {
        ConsultaRequest {
            rfc_patron: Some("EDE200101AB0".into()),
            contrasena: Some("x".into()),
            ..Default::default()
        }
    }

    fn code(r: ConsultaRequest) -> String {
        parse(r, Mode::Demo, today())
            .unwrap_err()
            .codigo()
            .to_string()
    }

    #[test]
    fn defaults_and_refusals() {
        let c = parse(req(), Mode::Demo, today()).unwrap();
        assert_eq!(c.desde, "2026-09-01".parse::<NaiveDate>().unwrap());
        assert_eq!(c.hasta, today());
        assert_eq!((c.pagina, c.por_pagina), (1, DEFAULT_POR_PAGINA));
        assert_eq!(
            code(ConsultaRequest {
                rfc_patron: Some("EDE200101AB1".into()),
                ..req()
            }),
            "RFC_PATRON_INVALIDO"
        );
        assert_eq!(
            code(ConsultaRequest {
                contrasena: None,
                ..req()
            }),
            "CONTRASENA_FALTANTE"
        );
        assert_eq!(
            code(ConsultaRequest {
                fecha_desde: Some("2026-12-01".into()),
                ..req()
            }),
            "RANGO_FECHAS_INVALIDO"
        );
        assert_eq!(
            code(ConsultaRequest {
                fecha_hasta: Some("23/11/2026".into()),
                ..req()
            }),
            "FECHA_INVALIDA"
        );
        assert_eq!(
            code(ConsultaRequest {
                por_pagina: Some(1001),
                ..req()
            }),
            "POR_PAGINA_INVALIDO"
        );
        assert_eq!(
            code(ConsultaRequest {
                pagina: Some(0),
                ..req()
            }),
            "PAGINA_INVALIDA"
        );
        assert_eq!(
            code(ConsultaRequest {
                nss: Some("12345678904".into()),
                ..req()
            }),
            "NSS_INVALIDO"
        );
        assert_eq!(
            code(ConsultaRequest {
                nrp: Some("Y54".into()),
                ..req()
            }),
            "NRP_INVALIDO"
        );
        assert_eq!(
            code(ConsultaRequest {
                tipo_aviso: Some("99".into()),
                ..req()
            }),
            "TIPO_AVISO_INVALIDO"
        );
    }

    #[test]
    fn a_cursor_comes_alone() {
        let with = |cursor: &str| ConsultaRequest {
            cursor: Some(cursor.into()),
            ..req()
        };
        let c = parse(with("inicio"), Mode::Demo, today()).unwrap();
        assert_eq!(c.cursor, Some(Cursor::Inicio));
        assert_eq!(c.filtros().cursor.as_deref(), Some("inicio"));
        assert_eq!(c.filtros().fecha_desde, None);
        assert_eq!(code(with("ayer")), "CURSOR_INVALIDO");
        for filtered in [
            ConsultaRequest {
                fecha_desde: Some("2026-01-01".into()),
                ..with("inicio")
            },
            ConsultaRequest {
                pagina: Some(2),
                ..with("inicio")
            },
            ConsultaRequest {
                nss: Some("12345678904".into()),
                ..with("inicio")
            },
        ] {
            assert_eq!(code(filtered), "CURSOR_CON_FILTROS");
        }
        // The employer and the password are checked first, as without a cursor.
        assert_eq!(
            code(ConsultaRequest {
                contrasena: None,
                ..with("ayer")
            }),
            "CONTRASENA_FALTANTE"
        );
    }

    #[test]
    fn a_batch_is_refused_whole_only_when_it_is_not_one() {
        let lote = |n: usize| ConsultaLote {
            consultas: Some(vec![serde_json::json!({}); n]),
        };
        let code = |l| parse_batch(l).unwrap_err().codigo();
        assert_eq!(code(ConsultaLote { consultas: None }), "LOTE_VACIO");
        assert_eq!(code(lote(0)), "LOTE_VACIO");
        assert_eq!(code(lote(MAX_LOTE + 1)), "LOTE_DEMASIADO_GRANDE");
        assert_eq!(parse_batch(lote(MAX_LOTE)).unwrap().len(), MAX_LOTE);
        // Each consultation is read on its own, its RFC kept beside its refusal.
        let item = |v: serde_json::Value| parse_batch_item(v, Mode::Demo, today());
        let (rfc, e) = item(serde_json::json!({"rfc_patron": "ede200101ab0", "x": 1})).unwrap_err();
        assert_eq!(
            (rfc.as_str(), e.codigo()),
            ("EDE200101AB0", "JSON_INVALIDO")
        );
        let (_, e) = item(serde_json::json!({
            "rfc_patron": "EDE200101AB0", "contrasena": "x", "cursor": "inicio", "por_pagina": 101
        }))
        .unwrap_err();
        assert_eq!(e.codigo(), "POR_PAGINA_INVALIDO");
        assert!(e.mensaje().contains("100"), "{}", e.mensaje());
        assert!(
            item(serde_json::json!({"rfc_patron": "EDE200101AB0", "contrasena": "x", "cursor": "inicio"}))
                .is_ok()
        );
    }
}
