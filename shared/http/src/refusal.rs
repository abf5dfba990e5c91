//! The refusals of the HTTP layer itself (route, method, body, query, file paths), before any
//! domain rule runs. Being the edge, this crate also says their status.

use crate::Method;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// No such resource (also what a hidden or missing file answers, so nothing leaks).
    NotFound,
    /// The route does not take this method; the allowed ones go in `Allow`.
    MethodNotAllowed(&'static [Method]),
    /// The body is over the endpoint's limit (bytes).
    BodyTooLarge(usize),
    /// The body could not be read whole.
    BodyIncomplete,
    /// A JSON body was expected and none came.
    BodyEmpty,
    /// The body is not the JSON this operation takes (serde's description).
    JsonInvalid(String),
    /// A whole-number query parameter outside `1..=max`.
    ParameterInvalid { name: String, max: usize },
    /// `?formato=` is none of `expected` (e.g. «pdf» o «json»).
    FormatInvalid { expected: &'static str },
    /// A file path that climbs out of the page's directory.
    PathInvalid,
    /// A fault of ours; the detail is for logs only.
    Internal,
    /// A configuration variable is missing or wrong.
    Misconfigured(String),
}

impl RequestError {
    pub fn status(&self) -> u16 {
        match self {
            Self::NotFound => 404,
            Self::MethodNotAllowed(_) => 405,
            Self::BodyTooLarge(_) => 413,
            Self::BodyIncomplete
            | Self::BodyEmpty
            | Self::JsonInvalid(_)
            | Self::ParameterInvalid { .. }
            | Self::FormatInvalid { .. }
            | Self::PathInvalid => 400,
            Self::Internal => 500,
            Self::Misconfigured(_) => 503,
        }
    }

    pub fn codigo(&self) -> &'static str {
        match self {
            Self::NotFound => "RECURSO_NO_ENCONTRADO",
            Self::MethodNotAllowed(_) => "METODO_NO_PERMITIDO",
            Self::BodyTooLarge(_) => "CUERPO_DEMASIADO_GRANDE",
            Self::BodyIncomplete => "CUERPO_INCOMPLETO",
            Self::BodyEmpty => "CUERPO_VACIO",
            Self::JsonInvalid(_) => "JSON_INVALIDO",
            Self::ParameterInvalid { .. } => "PARAMETRO_INVALIDO",
            Self::FormatInvalid { .. } => "FORMATO_INVALIDO",
            Self::PathInvalid => "RUTA_INVALIDA",
            Self::Internal => "ERROR_INTERNO",
            Self::Misconfigured(_) => "CONFIGURACION_INVALIDA",
        }
    }

    pub fn mensaje(&self) -> String {
        match self {
            Self::NotFound => "El recurso solicitado no existe.".into(),
            Self::MethodNotAllowed(allowed) => {
                let list: Vec<&str> = allowed.iter().map(|m| m.as_str()).collect();
                format!(
                    "Método HTTP no permitido para este recurso. Permitidos: {}.",
                    list.join(", ")
                )
            }
            Self::BodyTooLarge(limit) => {
                format!("El cuerpo de la solicitud excede el máximo permitido de {limit} bytes.")
            }
            Self::BodyIncomplete => "No se pudo leer completo el cuerpo de la solicitud.".into(),
            Self::BodyEmpty => "La solicitud no trae cuerpo; se esperaba un documento JSON.".into(),
            Self::JsonInvalid(detail) => {
                format!("El cuerpo no es un JSON válido para esta operación: {detail}.")
            }
            Self::ParameterInvalid { name, max } => {
                format!("«{name}» debe ser un número entero entre 1 y {max}.")
            }
            Self::FormatInvalid { expected } => format!("El formato debe ser {expected}."),
            Self::PathInvalid => "La ruta solicitada no es válida.".into(),
            Self::Internal => {
                "Ocurrió un error interno. Intenta de nuevo; si persiste, comunícate con soporte."
                    .into()
            }
            Self::Misconfigured(variable) => format!(
                "El servicio no está configurado correctamente (variable «{variable}»). Comunícate con soporte."
            ),
        }
    }
}

impl From<RequestError> for crate::ApiError {
    fn from(e: RequestError) -> Self {
        crate::ApiError::new(e.status(), e.codigo(), e.mensaje())
    }
}
