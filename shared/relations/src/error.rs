//! Why a relation, directory or service-password operation is refused: one variant per reason,
//! its stable `codigo` and its Spanish `mensaje`. Which HTTP status each one travels with is the
//! portal's business (`avisos_portal::Error`), not this crate's.

use avisos_acts::ActError;
use avisos_kv::KvError;
use chrono::NaiveDate;

use crate::fecha_guia;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelationError {
    /// No relation with that No. de Caso among the caller's own (someone else's looks the same).
    NotFound,
    /// The No. de Caso signed is not the route's.
    NoCasoMismatch,
    /// `rfc_desarrollador` is not a valid RFC (the reason, as the RFC check words it).
    DeveloperRfcInvalid(ActError),
    /// A live relation with the same developer and service exists.
    Duplicate {
        desarrollador: String,
        servicio: &'static str,
        no_caso: String,
        fin_vigencia: NaiveDate,
    },
    /// Another request is adding the same relation right now.
    DuplicateInProgress,
    AlreadyCancelled {
        no_caso: String,
        fecha: Option<NaiveDate>,
    },
    NotLive {
        no_caso: String,
        fin_vigencia: NaiveDate,
    },
    /// The table is larger than one export file admits.
    TableTooLarge {
        filas: usize,
        max: usize,
    },
    /// A vigencia date (named by its field) is not `AAAA-MM-DD`.
    DateInvalid {
        campo: String,
    },
    /// The vigencia must start on the day of the registration.
    StartNotToday {
        hoy: NaiveDate,
    },
    EndPassed {
        fin: NaiveDate,
    },
    /// The end is after the latest end allowed (`max`), `meses` months from today.
    TooLong {
        meses: u32,
        max: NaiveDate,
    },
    ServiceInvalid,
    SearchTooShort,
    NameInvalid {
        max_chars: usize,
    },
    /// `estatus` of a directory registration is neither `autorizada` nor `cancelada`.
    CertStatusInvalid,
    DeveloperNotCertified {
        rfc: String,
    },
    /// No active service password (to use, when `to_cancel` is false, or to cancel).
    PasswordNotGenerated {
        to_cancel: bool,
    },
    PasswordWrong,
    /// The password record changed under this request.
    PasswordChanged,
    Act(ActError),
    Store(KvError),
    /// A fault of ours; the detail is for logs only.
    Internal(String),
}

impl RelationError {
    pub fn codigo(&self) -> &'static str {
        match self {
            RelationError::NotFound => "RELACION_NO_ENCONTRADA",
            RelationError::NoCasoMismatch => "NO_CASO_NO_COINCIDE",
            RelationError::DeveloperRfcInvalid(_) => "RFC_DESARROLLADOR_INVALIDO",
            RelationError::Duplicate { .. } | RelationError::DuplicateInProgress => {
                "RELACION_DUPLICADA"
            }
            RelationError::AlreadyCancelled { .. } => "RELACION_YA_CANCELADA",
            RelationError::NotLive { .. } => "RELACION_NO_VIGENTE",
            RelationError::TableTooLarge { .. } => "TABLA_DEMASIADO_GRANDE",
            RelationError::DateInvalid { .. } => "FECHA_VIGENCIA_INVALIDA",
            RelationError::StartNotToday { .. } => "VIGENCIA_INICIO_INVALIDA",
            RelationError::EndPassed { .. } => "VIGENCIA_FIN_PASADA",
            RelationError::TooLong { .. } => "VIGENCIA_EXCEDE_MAXIMO",
            RelationError::ServiceInvalid => "SERVICIO_INVALIDO",
            RelationError::SearchTooShort => "BUSQUEDA_CORTA",
            RelationError::NameInvalid { .. } => "RAZON_SOCIAL_INVALIDA",
            RelationError::CertStatusInvalid => "ESTATUS_INVALIDO",
            RelationError::DeveloperNotCertified { .. } => "DESARROLLADOR_NO_CERTIFICADO",
            RelationError::PasswordNotGenerated { .. } => "CONTRASENA_NO_GENERADA",
            RelationError::PasswordWrong => "CONTRASENA_INCORRECTA",
            RelationError::PasswordChanged => "CONTRASENA_MODIFICADA",
            RelationError::Act(e) => e.codigo(),
            RelationError::Store(e) => e.codigo(),
            RelationError::Internal(_) => ActError::Internal(String::new()).codigo(),
        }
    }

    pub fn mensaje(&self) -> String {
        match self {
            RelationError::NotFound => {
                "No existe una relación de confianza con ese No. de Caso entre tus relaciones.".into()
            }
            RelationError::NoCasoMismatch => "El No. de Caso firmado no corresponde al de la relación que intentas cancelar.".into(),
            RelationError::DeveloperRfcInvalid(e) => {
                format!("El RFC del desarrollador no es válido: {}", e.mensaje())
            }
            RelationError::Duplicate {
                desarrollador,
                servicio,
                no_caso,
                fin_vigencia,
            } => format!(
                "Ya tienes una relación de confianza vigente con el desarrollador {desarrollador} para el servicio {servicio} (No. de Caso {no_caso}, vigente hasta el {}). Para registrar otra, primero cancela la existente.",
                fecha_guia(*fin_vigencia)
            ),
            RelationError::DuplicateInProgress => "Se está registrando en este momento otra relación con el mismo desarrollador y servicio. Consulta tu tabla de relaciones.".into(),
            RelationError::AlreadyCancelled { no_caso, fecha } => format!(
                "La relación {no_caso} ya fue cancelada el {}.",
                fecha.map(fecha_guia).unwrap_or_default()
            ),
            RelationError::NotLive {
                no_caso,
                fin_vigencia,
            } => format!(
                "La relación {no_caso} ya no está vigente (su vigencia terminó el {}); no hay nada que cancelar.",
                fecha_guia(*fin_vigencia)
            ),
            RelationError::TableTooLarge { filas, max } => format!(
                "La tabla tiene {filas} relaciones y «Exportar tabla» admite hasta {max} en un archivo. Consulta la tabla por páginas en la API (parámetros «pagina» y «por_pagina»)."
            ),
            RelationError::DateInvalid { campo } => format!(
                "«{campo}» debe ser una fecha en formato AAAA-MM-DD (por ejemplo 2026-11-23)."
            ),
            RelationError::StartNotToday { hoy } => format!(
                "La vigencia inicia el día del registro ({}). Actualiza la fecha de inicio y firma de nuevo.",
                fecha_guia(*hoy)
            ),
            RelationError::EndPassed { fin } => format!(
                "El fin de vigencia ({}) ya pasó. Elige una fecha a partir de hoy.",
                fecha_guia(*fin)
            ),
            RelationError::TooLong { meses, max } => format!(
                "La vigencia máxima de una relación de confianza es de {meses} meses: el fin de vigencia puede ser a más tardar el {}.",
                fecha_guia(*max)
            ),
            RelationError::ServiceInvalid => {
                "El Servicio de Intercomunicación debe ser «Avisos».".into()
            }
            RelationError::SearchTooShort => {
                "Escribe al menos dos letras o números del RFC o del nombre del desarrollador.".into()
            }
            RelationError::NameInvalid { max_chars } => format!(
                "La razón social es obligatoria, de hasta {max_chars} caracteres y sin caracteres de control."
            ),
            RelationError::CertStatusInvalid => {
                "El estatus de la certificación debe ser «autorizada» o «cancelada».".into()
            }
            RelationError::DeveloperNotCertified { rfc } => format!(
                "El desarrollador {rfc} no se encuentra certificado: no puedes crear una relación de confianza con él."
            ),
            RelationError::PasswordNotGenerated { to_cancel: false } => "No tienes una contraseña del servicio vigente. Genérala en la pestaña «Generación de contraseña».".into(),
            RelationError::PasswordNotGenerated { to_cancel: true } => {
                "No tienes una contraseña del servicio vigente que cancelar.".into()
            }
            RelationError::PasswordWrong => "La contraseña del servicio no es correcta. Ingresa la que generaste en la pestaña «Generación de contraseña».".into(),
            RelationError::PasswordChanged => "La contraseña se modificó al mismo tiempo desde otra solicitud; esta no tuvo efecto. Consulta su estado e intenta de nuevo.".into(),
            RelationError::Act(e) => e.mensaje(),
            RelationError::Store(e) => e.mensaje(),
            RelationError::Internal(d) => ActError::Internal(d.clone()).mensaje(),
        }
    }

    /// A fault of ours (a corrupt record, an encoding that cannot fail): logged, not shown.
    pub fn internal(detail: impl Into<String>) -> RelationError {
        RelationError::Internal(detail.into())
    }
}

impl std::fmt::Display for RelationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RelationError::Internal(d) => write!(f, "{}: {d}", self.codigo()),
            _ => write!(f, "{}: {}", self.codigo(), self.mensaje()),
        }
    }
}

impl std::error::Error for RelationError {}

impl From<ActError> for RelationError {
    fn from(e: ActError) -> RelationError {
        RelationError::Act(e)
    }
}

impl From<KvError> for RelationError {
    fn from(e: KvError) -> RelationError {
        RelationError::Store(e)
    }
}
