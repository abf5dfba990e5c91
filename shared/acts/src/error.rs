//! Why a signed act, a session or the service's configuration was refused: one variant per
//! reason, shaped like `efirma::EfirmaError` (a stable `codigo()` for machines, a Spanish
//! `mensaje()` for people). How a refusal travels (an HTTP status, a `Retry-After`) is decided at
//! the edge, in `avisos-portal`.

use avisos_kv::KvError;
use efirma::EfirmaError;
use efirma::rfc::RfcError;

use crate::session::Role;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.mensaje())]
pub enum ActError {
    // The act's form data.
    /// A field the act does not take.
    UnexpectedField(String),
    /// A field that is not text.
    FieldNotText(&'static str),
    /// A required field is missing.
    MissingField(&'static str),

    /// A nonce was asked for an action the service does not know.
    UnknownAction(String),
    /// The role asked for at login is not one of the three.
    RoleInvalid,
    /// No terms and conditions with that name (`slug` when the client named one).
    TermsNotFound {
        slug: Option<String>,
    },

    // The signed envelope.
    /// The signer's RFC is empty or not in upper case.
    SignerRfc,
    /// The signer did not tick the acceptance of the terms.
    TermsNotAccepted,
    /// The signer accepted a version of the terms that is no longer in force.
    TermsOutdated,
    /// The signed date is not ISO 8601 with a zone.
    DateInvalid,
    /// The signed date is too far from the service's clock.
    DateOutOfRange,
    /// The certificate is not base64.
    CertificateEncoding,
    /// The signature is not base64.
    SignatureEncoding,
    /// The e.firma verifier refused the certificate or the signature.
    Efirma(EfirmaError),
    /// An actor's RFC as typed is not a valid RFC.
    Rfc(RfcError),

    // Nonces.
    NonceUnknown,
    NonceUsed,
    NonceExpired,
    NonceOtherRfc,
    NonceOtherAction {
        issued_for: String,
        used_for: String,
    },

    // Sessions and roles.
    SessionRequired,
    SessionInvalid,
    SessionExpired,
    SessionClosed,
    /// The session's role may not do this.
    RoleNotAllowed(Role),
    /// The session is an analyst's, but the RFC left the `analistas` list.
    AnalystRevoked,
    /// A login as analyst by an RFC not in the `analistas` list.
    NotAnAnalyst,
    /// The e.firma that signed is not the session's RFC.
    SignerNotSession,
    /// The service password is missing from an act that needs it (`not_text`: present but not
    /// a string).
    PasswordMissing {
        not_text: bool,
    },

    /// A request-rate limit is exhausted until `retry_after` seconds from now.
    RateLimited {
        max: i64,
        what: &'static str,
        window_seconds: i64,
        retry_after: u32,
    },
    /// No acuse with that folio among the actor's.
    AcuseNotFound,

    /// A configuration variable is missing or wrong (the deployment's fault, not the request's).
    Misconfigured(&'static str),
    /// The store failed.
    Store(KvError),
    /// A fault of ours; the detail is for logs only.
    Internal(String),
}

impl ActError {
    pub fn codigo(&self) -> &'static str {
        match self {
            Self::UnexpectedField(_) => "DATO_NO_ESPERADO",
            Self::FieldNotText(_) => "DATO_INVALIDO",
            Self::MissingField(_) => "DATO_FALTANTE",
            Self::UnknownAction(_) => "ACCION_DESCONOCIDA",
            Self::RoleInvalid => "ROL_INVALIDO",
            Self::TermsNotFound { .. } => "TERMINOS_NO_ENCONTRADOS",
            Self::SignerRfc => "RFC_INVALIDO",
            Self::SignerNotSession => "SESION_NO_COINCIDE",
            Self::PasswordMissing { .. } => "CONTRASENA_FALTANTE",
            Self::TermsNotAccepted => "TERMINOS_NO_ACEPTADOS",
            Self::TermsOutdated => "TERMINOS_DESACTUALIZADOS",
            Self::DateInvalid => "FECHA_INVALIDA",
            Self::DateOutOfRange => "FECHA_FUERA_DE_RANGO",
            Self::CertificateEncoding => "CERTIFICADO_INVALIDO",
            Self::SignatureEncoding => "FIRMA_MALFORMADA",
            Self::Efirma(e) => e.codigo(),
            Self::Rfc(e) => e.codigo(),
            Self::NonceUnknown => "NONCE_DESCONOCIDO",
            Self::NonceUsed => "NONCE_USADO",
            Self::NonceExpired => "NONCE_EXPIRADO",
            Self::NonceOtherRfc => "NONCE_OTRO_RFC",
            Self::NonceOtherAction { .. } => "NONCE_OTRA_ACCION",
            Self::SessionRequired => "SESION_REQUERIDA",
            Self::SessionInvalid => "SESION_INVALIDA",
            Self::SessionExpired => "SESION_EXPIRADA",
            Self::SessionClosed => "SESION_CERRADA",
            Self::RoleNotAllowed(_) | Self::AnalystRevoked | Self::NotAnAnalyst => {
                "ROL_NO_PERMITIDO"
            }
            Self::RateLimited { .. } => "LIMITE_EXCEDIDO",
            Self::AcuseNotFound => "ACUSE_NO_ENCONTRADO",
            Self::Misconfigured(_) => "CONFIGURACION_INVALIDA",
            Self::Store(e) => e.codigo(),
            Self::Internal(_) => "ERROR_INTERNO",
        }
    }

    pub fn mensaje(&self) -> String {
        match self {
            Self::UnexpectedField(name) => {
                format!("El dato «{name}» no forma parte de este trámite.")
            }
            Self::FieldNotText(name) => format!("El dato «{name}» debe ser texto."),
            Self::MissingField(name) => format!("Falta el dato obligatorio «{name}»."),
            Self::UnknownAction(accion) => format!(
                "La acción «{accion}» no existe. Acciones válidas: {}.",
                crate::act::actions::ALL.join(", ")
            ),
            Self::RoleInvalid => {
                "El rol debe ser «patron», «desarrollador» o «analista».".into()
            }
            Self::TermsNotFound { slug: Some(slug) } => {
                format!("No existen términos y condiciones «{slug}».")
            }
            Self::TermsNotFound { slug: None } => {
                "No existen esos términos y condiciones.".into()
            }
            Self::SignerRfc => {
                "El RFC del firmante es obligatorio y debe ir en mayúsculas.".into()
            }
            Self::TermsNotAccepted => format!(
                "Para continuar debes marcar «{}».",
                crate::terms::ACCEPTANCE_LEGEND
            ),
            Self::TermsOutdated => "Los términos y condiciones que aceptaste no son los vigentes. Vuelve a leerlos y firma de nuevo.".into(),
            Self::DateInvalid => "La fecha firmada debe estar en formato ISO 8601 con zona horaria (p. ej. 2026-11-23T12:00:00-06:00).".into(),
            Self::DateOutOfRange => "La fecha firmada difiere más de 5 minutos de la hora del servicio. Revisa el reloj de tu equipo.".into(),
            Self::CertificateEncoding => {
                "El certificado debe enviarse como base64 del archivo .cer.".into()
            }
            Self::SignatureEncoding => "La firma debe enviarse en base64.".into(),
            Self::Efirma(e) => e.mensaje(),
            Self::Rfc(e) => e.mensaje(),
            Self::NonceUnknown => {
                "El nonce no existe. Solicita uno nuevo en /api/v1/nonces.".into()
            }
            Self::NonceUsed => "El nonce ya se utilizó. Cada firma requiere un nonce nuevo.".into(),
            Self::NonceExpired => {
                "El nonce expiró (vale 5 minutos). Solicita uno nuevo y firma de nuevo.".into()
            }
            Self::NonceOtherRfc => "El nonce se emitió para otro RFC. Solicita uno nuevo.".into(),
            Self::NonceOtherAction {
                issued_for,
                used_for,
            } => format!(
                "El nonce se emitió para la acción «{issued_for}» y no puede usarse para «{used_for}». Solicita uno nuevo."
            ),
            Self::SessionRequired => {
                "Esta consulta requiere una sesión. Ingresa con tu e.firma.".into()
            }
            Self::SessionInvalid => "La sesión no es válida. Ingresa con tu e.firma.".into(),
            Self::SessionExpired => "Tu sesión expiró. Vuelve a ingresar con tu e.firma.".into(),
            Self::SessionClosed => "La sesión se cerró. Vuelve a ingresar con tu e.firma.".into(),
            Self::RoleNotAllowed(rol) => format!(
                "Tu sesión es de {}; esta operación no está disponible para ese rol.",
                rol.as_str()
            ),
            Self::AnalystRevoked => {
                "Tu RFC ya no está registrado como analista del Instituto.".into()
            }
            Self::SignerNotSession => {
                "La e.firma con la que firmaste no corresponde al RFC de tu sesión.".into()
            }
            Self::PasswordMissing { not_text: true } => {
                "La contraseña del servicio debe enviarse como texto en «contrasena».".into()
            }
            Self::PasswordMissing { not_text: false } => "Ingresa la contraseña que generaste en la pestaña «Generación de contraseña».".into(),
            Self::NotAnAnalyst => "Tu RFC no está registrado como analista del Instituto.".into(),
            Self::RateLimited {
                max,
                what,
                window_seconds,
                retry_after,
            } => format!(
                "Demasiadas solicitudes: se permiten {max} {what} cada {window_seconds} segundos. Intenta de nuevo en {retry_after} segundos."
            ),
            Self::AcuseNotFound => {
                "No existe un acuse con ese folio entre tus trámites.".into()
            }
            Self::Misconfigured(variable) => format!(
                "El servicio no está configurado correctamente (variable «{variable}»). Comunícate con soporte."
            ),
            Self::Store(e) => e.mensaje(),
            Self::Internal(_) => {
                "Ocurrió un error interno. Intenta de nuevo; si persiste, comunícate con soporte."
                    .into()
            }
        }
    }
}

impl From<KvError> for ActError {
    fn from(e: KvError) -> Self {
        Self::Store(e)
    }
}
