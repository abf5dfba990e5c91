//! HTTP at the edge: how every refusal of the domain crates travels as the error contract (an
//! HTTP status plus `{ "codigo", "mensaje" }`, and `Retry-After` where a client should wait).
//!
//! The domain crates say *why* (an enum per crate, shaped like `efirma::EfirmaError`); this module
//! alone says *which status*. Every match is exhaustive, so a new refusal cannot ship without
//! its status. A handler returns [`Error`]; `avisos_spin::serve` turns it into the response.

mod certification;
mod notices;
mod relations;

use avisos_acts::ActError;
use avisos_http::ApiError;
use avisos_kv::KvError;
use efirma::EfirmaError;

/// A refusal on its way to the client: the error contract of one response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub ApiError);

impl Error {
    pub fn status(&self) -> u16 {
        self.0.status
    }

    pub fn codigo(&self) -> &str {
        &self.0.codigo
    }

    pub fn mensaje(&self) -> &str {
        &self.0.mensaje
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        e.0
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Error {
        Error(e)
    }
}

impl From<avisos_http::RequestError> for Error {
    fn from(e: avisos_http::RequestError) -> Error {
        Error(e.into())
    }
}

impl From<KvError> for Error {
    fn from(e: KvError) -> Error {
        Error(e.into())
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Error {}

/// `status` with the refusal's own code and message.
pub(crate) fn with_status(status: u16, codigo: &'static str, mensaje: String) -> Error {
    Error(ApiError::new(status, codigo, mensaje))
}

/// e.firma refusals: 400 when the input cannot be read, 403 when it is readable but refused.
pub fn efirma_status(e: &EfirmaError) -> u16 {
    match e {
        EfirmaError::MalformedCertificate(_) | EfirmaError::MalformedKey(_) => 400,
        _ => 403,
    }
}

impl From<ActError> for Error {
    fn from(e: ActError) -> Error {
        let status = match &e {
            ActError::Store(kv) => return kv.clone().into(),
            ActError::RateLimited { retry_after, .. } => {
                let mut api = ApiError::new(429, e.codigo(), e.mensaje());
                api.retry_after = Some((*retry_after).max(1));
                return Error(api);
            }
            ActError::UnexpectedField(_)
            | ActError::FieldNotText(_)
            | ActError::MissingField(_)
            | ActError::SignerRfc
            | ActError::TermsNotAccepted
            | ActError::DateInvalid
            | ActError::DateOutOfRange
            | ActError::CertificateEncoding
            | ActError::SignatureEncoding
            | ActError::Rfc(_)
            | ActError::NonceUnknown
            | ActError::NonceExpired
            | ActError::NonceOtherRfc
            | ActError::NonceOtherAction { .. }
            | ActError::UnknownAction(_)
            | ActError::RoleInvalid
            | ActError::PasswordMissing { .. } => 400,
            ActError::Efirma(efirma) => efirma_status(efirma),
            ActError::SessionRequired
            | ActError::SessionInvalid
            | ActError::SessionExpired
            | ActError::SessionClosed => 401,
            ActError::RoleNotAllowed(_)
            | ActError::AnalystRevoked
            | ActError::NotAnAnalyst
            | ActError::SignerNotSession => 403,
            ActError::AcuseNotFound | ActError::TermsNotFound { .. } => 404,
            ActError::TermsOutdated | ActError::NonceUsed => 409,
            ActError::Internal(_) => 500,
            ActError::Misconfigured(_) => 503,
        };
        with_status(status, e.codigo(), e.mensaje())
    }
}
