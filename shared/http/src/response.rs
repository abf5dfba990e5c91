//! A runtime-independent HTTP response.

use serde::Serialize;

use crate::ApiError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
        }
    }

    /// A JSON API response. API answers are personal or time-dependent: never cached.
    pub fn json<T: Serialize + ?Sized>(status: u16, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => Self::new(status, "application/json; charset=utf-8", body)
                .with_header("cache-control", "no-store"),
            Err(e) => Self::error(&ApiError::internal(&e.to_string())),
        }
    }

    pub fn error(e: &ApiError) -> Self {
        let body = serde_json::to_vec(e).unwrap_or_else(|_| b"{}".to_vec());
        let mut r = Self::new(e.status, "application/json; charset=utf-8", body)
            .with_header("cache-control", "no-store");
        if let Some(seconds) = e.retry_after {
            r = r.with_header("retry-after", &seconds.to_string());
        } else if e.status == 503 {
            r = r.with_header("retry-after", "30");
        }
        r
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers
            .push((name.to_ascii_lowercase(), value.to_string()));
        self
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Headers every response of the app carries (defence in depth for the web page, which holds
    /// a decrypted private key while it signs: no script but the app's own files may run, and no
    /// request may leave for another origin).
    pub fn with_security_headers(self) -> Self {
        self.with_header("x-content-type-options", "nosniff")
            .with_header("referrer-policy", "no-referrer")
            .with_header("x-frame-options", "DENY")
            .with_header("content-security-policy", CONTENT_SECURITY_POLICY)
            .with_header("strict-transport-security", "max-age=63072000")
            .with_header("cross-origin-opener-policy", "same-origin")
            .with_header("cross-origin-resource-policy", "same-origin")
            .with_header(
                "permissions-policy",
                "camera=(), microphone=(), geolocation=(), payment=()",
            )
    }
}

/// Only the app's own scripts, styles and connections; `'wasm-unsafe-eval'` lets the page compile
/// its e.firma signer (`/efirma/efirma_web.wasm`); no inline script or style, no plugins, no frames.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self'; \
base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

impl From<ApiError> for HttpResponse {
    fn from(e: ApiError) -> Self {
        HttpResponse::error(&e)
    }
}

/// Runs a handler and turns its error into the JSON error response.
pub fn respond(result: Result<HttpResponse, ApiError>) -> HttpResponse {
    result
        .unwrap_or_else(|e| HttpResponse::error(&e))
        .with_security_headers()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_render_the_contract() {
        let r = respond(Err(ApiError::store_unavailable()));
        assert_eq!(r.status, 503);
        assert_eq!(r.header("retry-after"), Some("30"));
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["codigo"], "ALMACEN_NO_DISPONIBLE");
        assert!(
            v["mensaje"]
                .as_str()
                .unwrap()
                .contains("no se pudo confirmar")
        );
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    }

    #[test]
    fn with_header_replaces() {
        let r = HttpResponse::new(200, "text/plain", "x").with_header("Content-Type", "a/b");
        assert_eq!(r.header("content-type"), Some("a/b"));
        assert_eq!(r.headers.len(), 1);
    }
}
