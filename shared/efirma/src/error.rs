//! One typed error per refusal, each with a stable code and a Spanish message for users.

use chrono::{DateTime, Utc};

use crate::certificate::CertificateKind;

/// Every reason the crate refuses a certificate, a key or a signature.
///
/// `codigo()` is stable (clients and tests match on it); `mensaje()` is the Spanish text shown to
/// users; `Display` prints the same Spanish text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EfirmaError {
    /// The bytes are not a readable X.509 certificate (DER or PEM).
    #[error("{}", self.mensaje())]
    MalformedCertificate(String),
    /// The certificate is valid X.509 but not an e.firma (a CSD or something else).
    #[error("{}", self.mensaje())]
    NotEfirma(CertificateKind),
    /// `now` is after the certificate's notAfter.
    #[error("{}", self.mensaje())]
    Expired { not_after: DateTime<Utc> },
    /// `now` is before the certificate's notBefore.
    #[error("{}", self.mensaje())]
    NotYetValid { not_before: DateTime<Utc> },
    /// A certification authority in the chain is outside its own validity at `now`.
    #[error("{}", self.mensaje())]
    IssuerNotValid { issuer: String },
    /// No configured certification authority has the certificate's issuer name.
    #[error("{}", self.mensaje())]
    UnknownIssuer { issuer: String },
    /// Authorities with the issuer's name exist, but none signed this certificate (a forgery, or a
    /// broken chain between configured authorities).
    #[error("{}", self.mensaje())]
    BadChain { issuer: String },
    /// The certificate number is on the revocation list.
    #[error("{}", self.mensaje())]
    Revoked { certificate_number: String },
    /// The signature over the message does not verify with the certificate's key.
    #[error("{}", self.mensaje())]
    BadSignature,
    /// The certificate belongs to another RFC than the one expected.
    #[error("{}", self.mensaje())]
    RfcMismatch { expected: String, found: String },
    /// The private key could not be decrypted with the password.
    #[error("{}", self.mensaje())]
    WrongPassword,
    /// The bytes are not a readable private key (PKCS#8, encrypted PKCS#8 or PKCS#1; DER or PEM).
    #[error("{}", self.mensaje())]
    MalformedKey(String),
    /// The private key does not belong to the certificate.
    #[error("{}", self.mensaje())]
    KeyMismatch,
    /// An algorithm or key size outside the documented policy (see the crate README).
    #[error("{}", self.mensaje())]
    UnsupportedAlgorithm(String),
    /// Signing failed inside the RSA implementation (should not happen with a valid key).
    #[error("{}", self.mensaje())]
    SigningFailed,
}

impl EfirmaError {
    /// Stable machine-readable code, e.g. `EFIRMA_CERT_VENCIDO`.
    pub fn codigo(&self) -> &'static str {
        match self {
            Self::MalformedCertificate(_) => "EFIRMA_CERT_MALFORMADO",
            Self::NotEfirma(_) => "EFIRMA_NO_ES_FIEL",
            Self::Expired { .. } => "EFIRMA_CERT_VENCIDO",
            Self::NotYetValid { .. } => "EFIRMA_CERT_AUN_NO_VIGENTE",
            Self::IssuerNotValid { .. } => "EFIRMA_CA_NO_VIGENTE",
            Self::UnknownIssuer { .. } => "EFIRMA_EMISOR_DESCONOCIDO",
            Self::BadChain { .. } => "EFIRMA_CADENA_INVALIDA",
            Self::Revoked { .. } => "EFIRMA_CERT_REVOCADO",
            Self::BadSignature => "EFIRMA_FIRMA_INVALIDA",
            Self::RfcMismatch { .. } => "EFIRMA_RFC_NO_COINCIDE",
            Self::WrongPassword => "EFIRMA_CONTRASENA_INCORRECTA",
            Self::MalformedKey(_) => "EFIRMA_LLAVE_MALFORMADA",
            Self::KeyMismatch => "EFIRMA_LLAVE_NO_CORRESPONDE",
            Self::UnsupportedAlgorithm(_) => "EFIRMA_ALGORITMO_NO_SOPORTADO",
            Self::SigningFailed => "EFIRMA_ERROR_AL_FIRMAR",
        }
    }

    /// Spanish (es-MX) message for the user.
    pub fn mensaje(&self) -> String {
        match self {
            Self::MalformedCertificate(detail) => {
                format!("El archivo no es un certificado válido (.cer): {detail}.")
            }
            Self::NotEfirma(CertificateKind::Csd) => "El certificado es un Certificado de Sello \
                 Digital (CSD), no una e.firma. Use el certificado de su e.firma."
                .to_owned(),
            Self::NotEfirma(_) => {
                "El certificado no es una e.firma (FIEL) emitida por el SAT.".to_owned()
            }
            Self::Expired { not_after } => format!(
                "El certificado de la e.firma venció el {}. Renueve su e.firma ante el SAT.",
                not_after.format("%d/%m/%Y %H:%M UTC")
            ),
            Self::NotYetValid { not_before } => format!(
                "El certificado de la e.firma aún no es vigente: lo será a partir del {}.",
                not_before.format("%d/%m/%Y %H:%M UTC")
            ),
            Self::IssuerNotValid { issuer } => format!(
                "La autoridad certificadora que emitió el certificado ({issuer}) no está vigente."
            ),
            Self::UnknownIssuer { issuer } => format!(
                "El certificado no fue emitido por una autoridad certificadora reconocida del \
                 SAT (emisor: {issuer})."
            ),
            Self::BadChain { issuer } => format!(
                "El certificado dice haber sido emitido por «{issuer}», pero la firma de esa \
                 autoridad no corresponde: el certificado no es auténtico."
            ),
            Self::Revoked { certificate_number } => {
                format!("El certificado {certificate_number} está revocado.")
            }
            Self::BadSignature => "La firma electrónica no corresponde al documento o al \
                 certificado."
                .to_owned(),
            Self::RfcMismatch { expected, found } => format!(
                "El certificado pertenece al RFC {found}, pero se esperaba el RFC {expected}."
            ),
            Self::WrongPassword => "La contraseña de la clave privada es incorrecta.".to_owned(),
            Self::MalformedKey(detail) => {
                format!("El archivo no es una clave privada válida (.key): {detail}.")
            }
            Self::KeyMismatch => {
                "La clave privada (.key) no corresponde al certificado (.cer).".to_owned()
            }
            Self::UnsupportedAlgorithm(detail) => {
                format!("Algoritmo o tamaño de clave no admitido: {detail}.")
            }
            Self::SigningFailed => "No fue posible generar la firma electrónica.".to_owned(),
        }
    }
}
