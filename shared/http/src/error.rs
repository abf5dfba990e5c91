//! The error contract: an HTTP status plus `{ "codigo", "mensaje" }`, the code stable for machines
//! and the message in Spanish for people.

use std::borrow::Cow;

use avisos_kv::KvError;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiError {
    #[serde(skip)]
    pub status: u16,
    pub codigo: Cow<'static, str>,
    pub mensaje: String,
    /// Seconds after which a refused client may try again (`Retry-After`, for 429 and 503).
    #[serde(skip)]
    pub retry_after: Option<u32>,
}

impl ApiError {
    pub fn codigo(&self) -> &str {
        &self.codigo
    }

    pub fn mensaje(&self) -> &str {
        &self.mensaje
    }

    pub fn new(
        status: u16,
        codigo: impl Into<Cow<'static, str>>,
        mensaje: impl Into<String>,
    ) -> Self {
        Self {
            status,
            codigo: codigo.into(),
            mensaje: mensaje.into(),
            retry_after: None,
        }
    }

    pub fn method_not_allowed(allowed: &'static [Method]) -> Self {
        RequestError::MethodNotAllowed(allowed).into()
    }

    pub fn payload_too_large(limit: usize) -> Self {
        RequestError::BodyTooLarge(limit).into()
    }

    pub fn store_unavailable() -> Self {
        KvError::Unavailable(String::new()).into()
    }

    /// A fault of ours: the detail is for logs only; users get a generic message.
    pub fn internal(detail: &str) -> Self {
        let _ = detail;
        RequestError::Internal.into()
    }

    /// 503: the deployment, not the request, is at fault, and it lasts until an operator fixes
    /// the variable (`/api/v1/salud` lists every such problem).
    pub fn misconfigured(variable: &str) -> Self {
        RequestError::Misconfigured(variable.to_owned()).into()
    }
}

impl From<KvError> for ApiError {
    fn from(e: KvError) -> Self {
        let status = match e {
            KvError::Corrupt { .. } => 500,
            KvError::Unavailable(_)
            | KvError::AccessDenied
            | KvError::Full(_)
            | KvError::Busy(_) => 503,
        };
        ApiError::new(status, e.codigo(), e.mensaje())
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.codigo, self.mensaje)
    }
}

impl std::error::Error for ApiError {}

use crate::{Method, RequestError};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_only_codigo_and_mensaje() {
        let e = ApiError::new(400, "X", "y");
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json, serde_json::json!({"codigo": "X", "mensaje": "y"}));
    }

    #[test]
    fn store_errors_map_to_503_and_corruption_to_500() {
        assert_eq!(ApiError::from(KvError::Unavailable("x".into())).status, 503);
        assert_eq!(ApiError::from(KvError::AccessDenied).status, 503);
        let full = ApiError::from(KvError::Full("OOM".into()));
        assert_eq!((full.status, &*full.codigo), (503, "ALMACEN_LLENO"));
        let busy = ApiError::from(KvError::Busy("certificaciones:estatus:en-analisis".into()));
        assert_eq!((busy.status, &*busy.codigo), (503, "ALMACEN_OCUPADO"));
        assert!(!busy.mensaje.contains("certificaciones"));
        let corrupt = ApiError::from(KvError::Corrupt {
            key: "k".into(),
            reason: "r".into(),
        });
        assert_eq!(corrupt.status, 500);
        assert!(
            !corrupt.mensaje.contains('k'),
            "internal details stay out of the message"
        );
    }
}
