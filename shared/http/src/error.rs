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

    /// Too many requests: 429 with `Retry-After: seconds`.
    pub fn too_many_requests(
        codigo: &'static str,
        mensaje: impl Into<String>,
        retry_after_seconds: u32,
    ) -> Self {
        Self {
            retry_after: Some(retry_after_seconds.max(1)),
            ..Self::new(429, codigo, mensaje)
        }
    }

    pub fn bad_request(codigo: &'static str, mensaje: impl Into<String>) -> Self {
        Self::new(400, codigo, mensaje)
    }

    pub fn not_found() -> Self {
        Self::new(
            404,
            "RECURSO_NO_ENCONTRADO",
            "El recurso solicitado no existe.",
        )
    }

    pub fn method_not_allowed(allowed: &[Method]) -> Self {
        let list: Vec<&str> = allowed.iter().map(|m| m.as_str()).collect();
        Self::new(
            405,
            "METODO_NO_PERMITIDO",
            format!(
                "Método HTTP no permitido para este recurso. Permitidos: {}.",
                list.join(", ")
            ),
        )
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            413,
            "CUERPO_DEMASIADO_GRANDE",
            format!(
                "El cuerpo de la solicitud excede el máximo permitido de {} bytes.",
                limit
            ),
        )
    }

    pub fn store_unavailable() -> Self {
        Self::new(
            503,
            "ALMACEN_NO_DISPONIBLE",
            "El almacenamiento no está disponible en este momento y no se pudo confirmar tu solicitud. Intenta de nuevo en unos minutos: un trámite nunca queda a medias ni se registra dos veces, y si ya había quedado registrado la respuesta te lo dirá.",
        )
    }

    /// 503: the store refuses writes because it is full (Redis at `maxmemory` with
    /// `noeviction`): nothing of the request was written and nothing stored was dropped.
    pub fn store_full() -> Self {
        Self::new(
            503,
            "ALMACEN_LLENO",
            "El almacenamiento del servicio está lleno y no admite nuevos registros: tu solicitud no se registró, y nada de lo ya registrado se perdió. Intenta de nuevo más tarde.",
        )
    }

    /// One value (an index, a directory bucket) was changed by others on every attempt
    /// ([`KvError::Busy`]): this request wrote nothing.
    pub fn store_busy() -> Self {
        Self::new(
            503,
            "ALMACEN_OCUPADO",
            "Hay muchas solicitudes a la vez sobre los mismos registros: tu solicitud no tuvo efecto. Intenta de nuevo en unos segundos.",
        )
    }

    pub fn internal(detail: &str) -> Self {
        // The detail is for logs only; users get a generic message.
        let _ = detail;
        Self::new(
            500,
            "ERROR_INTERNO",
            "Ocurrió un error interno. Intenta de nuevo; si persiste, comunícate con soporte.",
        )
    }

    /// 503: the deployment, not the request, is at fault, and it lasts until an operator fixes
    /// the variable (`/api/v1/salud` lists every such problem).
    pub fn misconfigured(variable: &str) -> Self {
        Self::new(
            503,
            "CONFIGURACION_INVALIDA",
            format!("El servicio no está configurado correctamente (variable «{variable}")
                + "»). Comunícate con soporte.",
        )
    }
}

impl From<KvError> for ApiError {
    fn from(e: KvError) -> Self {
        match e {
            KvError::Unavailable(_) | KvError::AccessDenied => ApiError::store_unavailable(),
            KvError::Full(_) => ApiError::store_full(),
            KvError::Busy(_) => ApiError::store_busy(),
            KvError::Corrupt { key, reason } => {
                ApiError::internal(&format!("corrupt value at {key}: {reason}"))
            }
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.codigo, self.mensaje)
    }
}

impl std::error::Error for ApiError {}

use crate::Method;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_only_codigo_and_mensaje() {
        let e = ApiError::bad_request("X", "y");
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
