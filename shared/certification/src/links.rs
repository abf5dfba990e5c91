//! Where the portal serves what a request's answers and e-mails link to: one home for these
//! URLs (an acuse's is `avisos_acts::acuse::url`).

pub use avisos_acts::acuse::url as acuse;

/// The request's current test set (its .zip package).
pub fn test_set(folio: &str) -> String {
    format!("/api/v1/certificaciones/{folio}/set-de-pruebas")
}

/// The developer's current request.
pub fn current() -> String {
    "/api/v1/certificaciones/actual".into()
}

/// The one-time download of the acuse de cancelación (`token`: the cancelling session's).
pub fn cancellation_receipt(folio: &str, token: &str) -> String {
    format!("/api/v1/certificaciones/{folio}/acuse-cancelacion?token={token}")
}
