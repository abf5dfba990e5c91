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
}

impl Consulta {
    pub fn filtros(&self) -> Filtros {
        Filtros {
            nrp: self.nrp.clone(),
            fecha_desde: Some(self.desde.to_string()),
            fecha_hasta: Some(self.hasta.to_string()),
            tipo_aviso: self.tipo_aviso.map(|t| t.code().to_string()),
            nss: self.nss.clone(),
            pagina: Some(self.pagina),
            por_pagina: Some(self.por_pagina),
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
) -> Result<Respuesta, AvisosError> {
    let mut relation_passed = false;
    let outcome = (|| {
        acceso::check_certification(kv, caller.rfc)?;
        let relation = acceso::check_relation(kv, &c.patron, caller.rfc, now)?;
        relation_passed = true;
        acceso::check_password(kv, &relation, caller.rfc, &c.contrasena, password_key, now)?;
        let (_, index) = store::load_index(kv, &c.patron)?;
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
        Ok((relation, slice))
    })();
    let (resultado, estatus, devueltos, coincidentes) = match &outcome {
        Ok((_, s)) => (
            RESULTADO_EXITOSO,
            estatus_http(None),
            s.avisos.len(),
            s.total,
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
    let (relation, slice) = match outcome {
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
    Ok(Respuesta {
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
    })
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
}
