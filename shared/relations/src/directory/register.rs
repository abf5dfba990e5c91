//! `REGISTRAR_DESARROLLADOR`: analysts set a developer's status directly, with an acuse.

use crate::RelationError;
use avisos_acts::VerifiedAct;
use avisos_acts::acuse::{self, Dato};
use avisos_acts::seal::ServiceSeal;
use avisos_kv::KeyValue;
use chrono::{DateTime, Utc};

use super::{CertStatus, Developer, set_status};
use crate::text;

/// Longest accepted razón social (SAT allows 254).
pub const MAX_NAME_CHARS: usize = 254;

/// The fields of `REGISTRAR_DESARROLLADOR`, in cadena order.
pub const REGISTER_FIELDS: [&str; 3] = ["rfc_desarrollador", "razon_social", "estatus"];

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
    ) -> Result<Registration, RelationError> {
        let rfc = avisos_acts::act::validate_actor_rfc(rfc, mode)?;
        let razon_social =
            text::clean_name(razon_social, MAX_NAME_CHARS).ok_or(RelationError::NameInvalid {
                max_chars: MAX_NAME_CHARS,
            })?;
        Ok(Registration {
            rfc,
            razon_social,
            estatus: CertStatus::parse(estatus)?,
        })
    }

    /// From the signed fields ([`REGISTER_FIELDS`]).
    pub fn from_spec(
        spec: &avisos_acts::ActSpec,
        mode: avisos_acts::Mode,
    ) -> Result<Registration, RelationError> {
        let field = |n: &str| spec.field(n).unwrap_or_default();
        Registration::parse(
            field("rfc_desarrollador"),
            field("razon_social"),
            field("estatus"),
            mode,
        )
    }
}

/// `REGISTRAR_DESARROLLADOR` (analysts): sets a developer's status, with its acuse.
pub fn register(
    kv: &dyn KeyValue,
    seal: &ServiceSeal,
    act: &VerifiedAct,
    registration: &Registration,
    now: DateTime<Utc>,
) -> Result<avisos_acts::acuse::Receipt, RelationError> {
    let record = acuse::issue(
        kv,
        seal,
        act,
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
            folio: record.folio.clone(),
            registrado_por: record.rfc.clone(),
            generacion: 0,
            certificacion: None,
            anterior: None,
        },
    )?;
    Ok(avisos_acts::acuse::Receipt::of(&record))
}
