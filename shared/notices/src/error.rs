//! Why a publication, a consultation or the audit was refused: one variant per reason, shaped
//! like `efirma::EfirmaError` (a stable `codigo()` for machines, a Spanish `mensaje()` for
//! people). How a refusal travels (an HTTP status, a `Retry-After`) is decided at the edge, in
//! `avisos-portal`; the throttle's variants carry the seconds to wait, the portal sends them.

use avisos_acts::ActError;
use avisos_kv::KvError;
use avisos_relations::RelationError;

use crate::aviso::Nrp;
use crate::throttle::{MAX_FAILURES, MAX_IN_FLIGHT};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.mensaje())]
pub enum AvisosError {
    // The body of a request (publication and consultation).
    /// The body is not the JSON this operation takes (the detail says why).
    JsonInvalid(String),
    /// No body at all.
    BodyEmpty,
    /// The publication has no `avisos` member.
    AvisosMissing,
    /// `avisos` is not an array, or an empty one.
    AvisosNotArray,
    /// More avisos than a publication takes (how many came).
    TooManyAvisos(usize),
    /// `rfc_patron` is missing or blank.
    PatronRfcMissing,
    /// `rfc_patron` is not a valid RFC (the validator's refusal).
    PatronRfcInvalid(ActError),
    /// The signed `total_avisos` is not the number of avisos sent.
    TotalMismatch {
        signed: String,
        sent: usize,
    },
    /// The signed `avisos_sha256` is not the hash of the bytes sent.
    Sha256Mismatch,
    /// No row of the publication is valid: the code and message of [`crate::publicacion::Rechazo`].
    NoValidAvisos,
    /// Another publication for the same employer swapped the index first.
    ConcurrentPublication,
    /// Another first publication for the same employer holds the index's creation.
    ConcurrentFirstPublication,

    // The consultation's filters.
    /// `fecha_desde` / `fecha_hasta` is not `AAAA-MM-DD` (the field's name).
    DateInvalid(&'static str),
    /// `fecha_desde` is after `fecha_hasta`.
    DateRangeInvalid,
    NrpInvalid,
    TipoAvisoInvalid,
    NssInvalid,
    PageInvalid,
    PerPageInvalid,
    /// The consultation carries no service password.
    PasswordMissing,
    /// The NRP filter names none of the employer's avisos.
    NrpNotOfEmployer,
    /// `cursor` is neither `inicio` nor `<flujo>.<posición>`.
    CursorInvalid,
    /// `cursor` is of another sequence (another employer's, or of avisos published again from
    /// scratch) or beyond its end.
    CursorUnknown,
    /// `cursor` came with a date range, a row filter or `pagina`.
    CursorWithFilters,
    /// A batch of consultations without any.
    BatchEmpty,
    /// A batch of more consultations than it takes (how many came).
    BatchTooLarge(usize),
    /// A consultation of a batch asks for more than [`crate::consulta::MAX_POR_PAGINA_LOTE`].
    BatchPerPageInvalid,

    // The gate ([`crate::acceso`]), RFCs in upper case.
    /// The developer's certification is cancelled.
    CertificationCancelled {
        desarrollador: String,
    },
    /// The developer has no certification.
    DeveloperNotCertified {
        desarrollador: String,
    },
    /// No relation between the two for the Avisos service.
    RelationMissing {
        patron: String,
        desarrollador: String,
    },
    /// The employer cancelled the relation (`fecha` as the employer's table shows it).
    RelationCancelled {
        fecha: String,
        no_caso: String,
    },
    /// The relation was granted under a certification that was cancelled later.
    RelationOfCancelledCertification {
        no_caso: String,
    },
    /// The relation's vigencia ended (`fin_vigencia` as the employer's table shows it).
    RelationExpired {
        no_caso: String,
        fin_vigencia: String,
    },
    PasswordNotGenerated,
    PasswordCancelled,
    /// A wrong password, and the employer regenerated it after the relation was made.
    PasswordRegenerated,
    PasswordIncorrect,

    // The throttle ([`crate::throttle`]): come back in `retry_after` seconds.
    /// [`MAX_FAILURES`] wrong passwords in this window: the pair is locked until it ends.
    AttemptsExceeded {
        retry_after: u32,
    },
    /// [`MAX_IN_FLIGHT`] checks of the pair's password are running.
    ChecksInFlight {
        retry_after: u32,
    },

    // Lower layers.
    /// A refusal of the signed act, the acuse or the folio.
    Act(#[from] ActError),
    /// A refusal of the relations crate (relations, directory, service password).
    Relation(#[from] RelationError),
    /// The store failed.
    Store(#[from] KvError),
    /// A fault of ours; the detail is for logs only.
    Internal(String),
}

impl AvisosError {
    pub fn codigo(&self) -> &'static str {
        match self {
            Self::JsonInvalid(_) => "JSON_INVALIDO",
            Self::BodyEmpty => "CUERPO_VACIO",
            Self::AvisosMissing | Self::AvisosNotArray => "AVISOS_FALTANTES",
            Self::TooManyAvisos(_) => "AVISOS_DEMASIADOS",
            Self::PatronRfcMissing | Self::PatronRfcInvalid(_) => "RFC_PATRON_INVALIDO",
            Self::TotalMismatch { .. } => "AVISOS_TOTAL_NO_COINCIDE",
            Self::Sha256Mismatch => "AVISOS_SHA256_NO_COINCIDE",
            Self::NoValidAvisos => "AVISOS_INVALIDOS",
            Self::ConcurrentPublication | Self::ConcurrentFirstPublication => {
                "PUBLICACION_CONCURRENTE"
            }
            Self::DateInvalid(_) => "FECHA_INVALIDA",
            Self::DateRangeInvalid => "RANGO_FECHAS_INVALIDO",
            Self::NrpInvalid => "NRP_INVALIDO",
            Self::TipoAvisoInvalid => "TIPO_AVISO_INVALIDO",
            Self::NssInvalid => "NSS_INVALIDO",
            Self::PageInvalid => "PAGINA_INVALIDA",
            Self::PerPageInvalid | Self::BatchPerPageInvalid => "POR_PAGINA_INVALIDO",
            Self::PasswordMissing => "CONTRASENA_FALTANTE",
            Self::NrpNotOfEmployer => "NRP_NO_CORRESPONDE",
            Self::CursorInvalid => "CURSOR_INVALIDO",
            Self::CursorUnknown => "CURSOR_DESCONOCIDO",
            Self::CursorWithFilters => "CURSOR_CON_FILTROS",
            Self::BatchEmpty => "LOTE_VACIO",
            Self::BatchTooLarge(_) => "LOTE_DEMASIADO_GRANDE",
            Self::CertificationCancelled { .. } => "CERTIFICACION_CANCELADA",
            Self::DeveloperNotCertified { .. } => "DESARROLLADOR_NO_CERTIFICADO",
            Self::RelationMissing { .. } => "RELACION_INEXISTENTE",
            Self::RelationCancelled { .. } => "RELACION_CANCELADA",
            Self::RelationOfCancelledCertification { .. } | Self::RelationExpired { .. } => {
                "RELACION_NO_VIGENTE"
            }
            Self::PasswordNotGenerated => "CONTRASENA_NO_GENERADA",
            Self::PasswordCancelled => "CONTRASENA_CANCELADA",
            Self::PasswordRegenerated => "CONTRASENA_REGENERADA",
            Self::PasswordIncorrect => "CONTRASENA_INCORRECTA",
            Self::AttemptsExceeded { .. } => "INTENTOS_EXCEDIDOS",
            Self::ChecksInFlight { .. } => "VERIFICACIONES_SIMULTANEAS",
            Self::Act(e) => e.codigo(),
            Self::Relation(e) => e.codigo(),
            Self::Store(e) => e.codigo(),
            Self::Internal(_) => "ERROR_INTERNO",
        }
    }

    pub fn mensaje(&self) -> String {
        match self {
            Self::JsonInvalid(detail) => {
                format!("El cuerpo no es un JSON válido para esta operación: {detail}.")
            }
            Self::BodyEmpty => "La solicitud no trae cuerpo; se esperaba un documento JSON.".into(),
            Self::AvisosMissing => "Envía los avisos en «avisos», un arreglo JSON.".into(),
            Self::AvisosNotArray => {
                "«avisos» debe ser un arreglo JSON con al menos un aviso.".into()
            }
            Self::TooManyAvisos(n) => format!(
                "Una publicación admite hasta {} avisos; esta trae {n}. Divídela en varias.",
                crate::publicacion::MAX_AVISOS
            ),
            Self::PatronRfcMissing => {
                "Indica en «rfc_patron» el RFC del patrón cuyos avisos consultas.".into()
            }
            Self::PatronRfcInvalid(e) => {
                format!("El RFC del patrón no es válido: {}", e.mensaje())
            }
            Self::TotalMismatch { signed, sent } => format!(
                "«total_avisos» firmado ({signed}) no coincide con los {sent} avisos enviados."
            ),
            Self::Sha256Mismatch => "«avisos_sha256» firmado no coincide con el SHA-256 de los bytes de «avisos» tal como se enviaron.".into(),
            Self::NoValidAvisos => "Ningún aviso de la publicación es válido; no se publicó nada. Revisa los errores por índice y campo.".into(),
            Self::ConcurrentPublication => "Otra publicación de avisos para el mismo patrón terminó mientras se procesaba esta; esta no tuvo efecto. Vuelve a enviarla.".into(),
            Self::ConcurrentFirstPublication => "Se está registrando otra primera publicación de avisos para el mismo patrón; esta no tuvo efecto. Vuelve a enviarla en unos minutos.".into(),
            Self::DateInvalid(name) => {
                format!("«{name}» debe ser una fecha AAAA-MM-DD (por ejemplo 2026-11-23).")
            }
            Self::DateRangeInvalid => {
                "La fecha inicial del rango no puede ser posterior a la final.".into()
            }
            Self::NrpInvalid => Nrp::RULE.into(),
            Self::TipoAvisoInvalid => {
                "El tipo de aviso no está en el catálogo (15, 16, 17, 18, 19 o 20).".into()
            }
            Self::NssInvalid => {
                "El NSS debe tener 11 dígitos con su dígito verificador correcto.".into()
            }
            Self::PageInvalid => "«pagina» debe ser un número entero de 1 en adelante.".into(),
            Self::PerPageInvalid => format!(
                "«por_pagina» debe estar entre 1 y {}.",
                crate::consulta::MAX_POR_PAGINA
            ),
            Self::PasswordMissing => "Envía en «contrasena» la contraseña del Servicio de Intercomunicación que te proporcionó el patrón.".into(),
            Self::NrpNotOfEmployer => {
                "El NRP indicado no corresponde a ningún aviso de este patrón.".into()
            }
            Self::CursorInvalid => "«cursor» debe ser «inicio» o el valor «cursor» que devolvió una consulta anterior de este patrón.".into(),
            Self::CursorUnknown => "El cursor no corresponde a los avisos de este patrón (es de otro patrón, o sus avisos se publicaron de nuevo desde el inicio). Vuelve a sincronizar con «cursor»: «inicio».".into(),
            Self::CursorWithFilters => "Una consulta con «cursor» entrega todos los cambios en orden: no admite fecha_desde, fecha_hasta, nrp, tipo_aviso, nss ni pagina.".into(),
            Self::BatchPerPageInvalid => format!(
                "En un lote, «por_pagina» de cada consulta debe estar entre 1 y {}.",
                crate::consulta::MAX_POR_PAGINA_LOTE
            ),
            Self::BatchEmpty => "Envía en «consultas» un arreglo con al menos una consulta.".into(),
            Self::BatchTooLarge(n) => format!(
                "Un lote admite hasta {} consultas; este trae {n}. Divídelo en varios.",
                crate::consulta::MAX_LOTE
            ),
            Self::CertificationCancelled { desarrollador } => format!(
                "La certificación del desarrollador {desarrollador} está cancelada: no puede consultar avisos de ningún patrón."
            ),
            Self::DeveloperNotCertified { desarrollador } => format!(
                "El desarrollador {desarrollador} no cuenta con una certificación autorizada para el Servicio de Intercomunicación de Avisos."
            ),
            Self::RelationMissing {
                patron,
                desarrollador,
            } => format!(
                "El patrón {patron} no tiene una relación de confianza con el desarrollador {desarrollador} para el servicio de Avisos."
            ),
            Self::RelationCancelled { fecha, no_caso } => format!(
                "Relación cancelada por usuario: el patrón canceló el {fecha} la relación {no_caso} con este desarrollador."
            ),
            Self::RelationOfCancelledCertification { no_caso } => format!(
                "Relación no vigente: la relación {no_caso} se otorgó con una certificación del desarrollador que después fue cancelada, y una nueva certificación no la reactiva. El patrón debe registrar una nueva relación de confianza con este desarrollador."
            ),
            Self::RelationExpired {
                no_caso,
                fin_vigencia,
            } => format!(
                "Relación no vigente: la relación {no_caso} terminó su vigencia el {fin_vigencia}."
            ),
            Self::PasswordNotGenerated => "El patrón no ha generado la contraseña del Servicio de Intercomunicación; sin ella no se pueden consultar sus avisos.".into(),
            Self::PasswordCancelled => "El patrón canceló la contraseña del Servicio de Intercomunicación; no se pueden consultar sus avisos hasta que genere una nueva.".into(),
            Self::PasswordRegenerated => "La contraseña no es correcta: el patrón generó una nueva contraseña del servicio después de registrar la relación. Solicítale la contraseña vigente.".into(),
            Self::PasswordIncorrect => "La contraseña del servicio no es correcta. Verifica la contraseña que te proporcionó el patrón.".into(),
            Self::AttemptsExceeded { retry_after } => {
                let minutes = retry_after.div_ceil(60);
                format!(
                    "Se registraron {MAX_FAILURES} intentos con contraseña incorrecta para este patrón en los últimos 15 minutos. Intenta de nuevo en {minutes} minuto(s)."
                )
            }
            Self::ChecksInFlight { .. } => format!(
                "Hay {MAX_IN_FLIGHT} verificaciones de la contraseña de este patrón en curso desde tu sistema. Intenta de nuevo en un segundo."
            ),
            Self::Act(e) => e.mensaje(),
            Self::Relation(e) => e.mensaje().to_string(),
            Self::Store(e) => e.mensaje(),
            Self::Internal(detail) => ActError::Internal(detail.clone()).mensaje(),
        }
    }

    /// Seconds after which a refused client may try again: the throttle's refusals only.
    pub fn retry_after(&self) -> Option<u32> {
        match self {
            Self::AttemptsExceeded { retry_after } | Self::ChecksInFlight { retry_after } => {
                Some(*retry_after)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The messages with data, rendered exactly as before the enum (the contract's text).
    #[test]
    fn messages_with_data() {
        let cases = [
            (
                AvisosError::CertificationCancelled {
                    desarrollador: "NDE190512XY6".into(),
                },
                "La certificación del desarrollador NDE190512XY6 está cancelada: no puede consultar avisos de ningún patrón.",
            ),
            (
                AvisosError::RelationMissing {
                    patron: "EDE200101AB0".into(),
                    desarrollador: "NDE190512XY6".into(),
                },
                "El patrón EDE200101AB0 no tiene una relación de confianza con el desarrollador NDE190512XY6 para el servicio de Avisos.",
            ),
            (
                AvisosError::RelationCancelled {
                    fecha: "20/11/2026".into(),
                    no_caso: "0500000009".into(),
                },
                "Relación cancelada por usuario: el patrón canceló el 20/11/2026 la relación 0500000009 con este desarrollador.",
            ),
            (
                AvisosError::RelationExpired {
                    no_caso: "0500000009".into(),
                    fin_vigencia: "22/11/2026".into(),
                },
                "Relación no vigente: la relación 0500000009 terminó su vigencia el 22/11/2026.",
            ),
            (
                AvisosError::TooManyAvisos(10_001),
                "Una publicación admite hasta 10000 avisos; esta trae 10001. Divídela en varias.",
            ),
            (
                AvisosError::TotalMismatch {
                    signed: "3".into(),
                    sent: 2,
                },
                "«total_avisos» firmado (3) no coincide con los 2 avisos enviados.",
            ),
            (
                AvisosError::PerPageInvalid,
                "«por_pagina» debe estar entre 1 y 1000.",
            ),
            (
                AvisosError::DateInvalid("fecha_hasta"),
                "«fecha_hasta» debe ser una fecha AAAA-MM-DD (por ejemplo 2026-11-23).",
            ),
            (
                AvisosError::AttemptsExceeded { retry_after: 541 },
                "Se registraron 5 intentos con contraseña incorrecta para este patrón en los últimos 15 minutos. Intenta de nuevo en 10 minuto(s).",
            ),
            (
                AvisosError::ChecksInFlight { retry_after: 1 },
                "Hay 16 verificaciones de la contraseña de este patrón en curso desde tu sistema. Intenta de nuevo en un segundo.",
            ),
            (
                AvisosError::JsonInvalid("«avisos» aparece más de una vez".into()),
                "El cuerpo no es un JSON válido para esta operación: «avisos» aparece más de una vez.",
            ),
        ];
        for (e, mensaje) in cases {
            assert_eq!(e.mensaje(), mensaje);
            assert_eq!(e.to_string(), mensaje);
        }
    }

    /// Wrapped refusals keep their own code and message; a fault of ours shows no detail.
    #[test]
    fn wrapped_and_internal() {
        let rfc = avisos_acts::act::validate_actor_rfc("EDE200101AB1", avisos_acts::Mode::Demo)
            .unwrap_err();
        let e = AvisosError::PatronRfcInvalid(rfc.clone());
        assert_eq!(e.codigo(), "RFC_PATRON_INVALIDO");
        assert_eq!(
            e.mensaje(),
            format!("El RFC del patrón no es válido: {}", rfc.mensaje())
        );
        let store = KvError::Busy("k".into());
        let e = AvisosError::from(store.clone());
        assert_eq!((e.codigo(), e.mensaje()), (store.codigo(), store.mensaje()));
        let e = AvisosError::Internal("corrupt avisos index".into());
        assert_eq!(e.codigo(), "ERROR_INTERNO");
        assert!(!e.mensaje().contains("corrupt"));
        assert_eq!(e.retry_after(), None);
    }
}
