//! Trust anchors: the certification authorities a verifier accepts.
//!
//! SAT's production and test CA certificates are embedded in the crate; which bundle applies is
//! configuration (`TrustBundle`). More CAs (a project demo CA for local runs) can be added.

use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use crate::certificate::Certificate;
use crate::error::EfirmaError;

/// SAT production CAs (AC2–AC7) and Banco de México's roots (ARC2, ARC5, ARC6).
const SAT_PRODUCTION: &[&[u8]] = &[
    include_bytes!("../ca/production/AC2_SAT.cer"),
    include_bytes!("../ca/production/AC3_SAT.cer"),
    include_bytes!("../ca/production/AC4_SAT.cer"),
    include_bytes!("../ca/production/AC5_SAT.cer"),
    include_bytes!("../ca/production/AC6_SAT.cer"),
    include_bytes!("../ca/production/AC7_SAT.cer"),
    include_bytes!("../ca/production/ARC2_IES.cer"),
    include_bytes!("../ca/production/ARC5_IES.cer"),
    include_bytes!("../ca/production/ARC6_IES.cer"),
];

/// SAT test-environment CAs ("AC UAT" 2018 and 2022, "A.C. 2 de pruebas(4096)") and their roots.
const SAT_TEST: &[&[u8]] = &[
    include_bytes!("../ca/test/AC_4096_2018.cer"),
    include_bytes!("../ca/test/AC_UAT_2022.cer"),
    include_bytes!("../ca/test/ac2_4096_DER.cer"),
    include_bytes!("../ca/test/ARC_UAT.cer"),
    include_bytes!("../ca/test/ARC_UAT_2022.cer"),
    include_bytes!("../ca/test/arcbeta_crt_raiz.cer"),
];

/// Which embedded bundle to trust; parse it from configuration with `FromStr`
/// (`produccion`/`production`/`prod`, `pruebas`/`test`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum TrustBundle {
    /// SAT production certification authorities.
    Production,
    /// SAT test-environment certification authorities (test credentials only).
    Test,
}

impl FromStr for TrustBundle {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "production" | "produccion" | "producción" | "prod" => Ok(Self::Production),
            "test" | "pruebas" | "prueba" => Ok(Self::Test),
            other => Err(format!(
                "paquete de confianza desconocido «{other}» (use «produccion» o «pruebas»)"
            )),
        }
    }
}

/// The set of CA certificates a verification trusts. Every certificate in the set is trusted as
/// an anchor; when a CA's own issuer is also in the set, the link is checked too.
///
/// Cloning is cheap (certificates are shared).
#[derive(Debug, Clone, Default)]
pub struct TrustAnchors {
    certificates: Vec<Arc<Certificate>>,
}

impl TrustAnchors {
    /// An empty set (trusts nothing).
    pub fn empty() -> TrustAnchors {
        TrustAnchors::default()
    }

    /// SAT production CAs, embedded in the crate.
    pub fn sat_production() -> TrustAnchors {
        static BUNDLE: OnceLock<TrustAnchors> = OnceLock::new();
        BUNDLE.get_or_init(|| embedded(SAT_PRODUCTION)).clone()
    }

    /// SAT test-environment CAs, embedded in the crate. Never use in production.
    pub fn sat_test() -> TrustAnchors {
        static BUNDLE: OnceLock<TrustAnchors> = OnceLock::new();
        BUNDLE.get_or_init(|| embedded(SAT_TEST)).clone()
    }

    /// The embedded bundle chosen by configuration.
    pub fn bundle(bundle: TrustBundle) -> TrustAnchors {
        match bundle {
            TrustBundle::Production => Self::sat_production(),
            TrustBundle::Test => Self::sat_test(),
        }
    }

    /// A set made of the given CA certificates (DER or PEM each).
    pub fn from_der_certificates(certificates: &[&[u8]]) -> Result<TrustAnchors, EfirmaError> {
        let mut anchors = TrustAnchors::empty();
        anchors.extend(certificates)?;
        Ok(anchors)
    }

    /// Adds CA certificates (DER or PEM each) to the set.
    pub fn extend(&mut self, certificates: &[&[u8]]) -> Result<(), EfirmaError> {
        for bytes in certificates {
            self.add(Certificate::parse(bytes)?);
        }
        Ok(())
    }

    /// Builder form of [`Self::extend`] for one certificate.
    pub fn with(mut self, certificate: &[u8]) -> Result<TrustAnchors, EfirmaError> {
        self.add(Certificate::parse(certificate)?);
        Ok(self)
    }

    /// Adds a parsed certificate (ignored if already present).
    pub fn add(&mut self, certificate: Certificate) {
        if !self.contains(&certificate.fingerprint_sha256()) {
            self.certificates.push(Arc::new(certificate));
        }
    }

    /// The trusted certificates.
    pub fn certificates(&self) -> impl Iterator<Item = &Certificate> {
        self.certificates.iter().map(|c| c.as_ref())
    }

    /// How many certificates are trusted.
    pub fn len(&self) -> usize {
        self.certificates.len()
    }

    /// Whether the set trusts nothing.
    pub fn is_empty(&self) -> bool {
        self.certificates.is_empty()
    }

    /// Whether a certificate with this SHA-256 fingerprint is in the set.
    pub fn contains(&self, fingerprint: &[u8; 32]) -> bool {
        self.certificates
            .iter()
            .any(|c| &c.fingerprint_sha256() == fingerprint)
    }

    /// The trusted certificate with this SHA-256 fingerprint.
    pub(crate) fn get(&self, fingerprint: &[u8; 32]) -> Option<&Arc<Certificate>> {
        self.certificates
            .iter()
            .find(|c| &c.fingerprint_sha256() == fingerprint)
    }

    /// The trusted CA whose key signed `certificate` (name match, then signature), with no time,
    /// kind or revocation checks: for inspection tools. SHA-1 counts only when `certificate`
    /// is itself a CA, as in verification.
    pub fn issuer_of(&self, certificate: &Certificate) -> Option<&Certificate> {
        self.candidates(&certificate.issuer_key)
            .filter(|ca| ca.fingerprint_sha256() != certificate.fingerprint_sha256())
            .find(|ca| certificate.is_signed_by(ca, certificate.is_ca()))
            .map(|ca| ca.as_ref())
    }

    /// Certificates whose subject name matches `issuer_key` (candidates only: the signature
    /// decides).
    pub(crate) fn candidates<'a, 'k>(
        &'a self,
        issuer_key: &'k str,
    ) -> impl Iterator<Item = &'a Arc<Certificate>> + use<'a, 'k> {
        self.certificates
            .iter()
            .filter(move |c| c.subject_key == issuer_key)
    }
}

fn embedded(bundle: &[&[u8]]) -> TrustAnchors {
    let mut anchors = TrustAnchors::empty();
    // The embedded files are checked by tests to parse; a failure here would be a build defect,
    // and skipping the file only makes verification stricter.
    for bytes in bundle {
        if let Ok(certificate) = Certificate::parse(bytes) {
            anchors.add(certificate);
        }
    }
    anchors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_bundles_parse_whole() {
        assert_eq!(TrustAnchors::sat_production().len(), SAT_PRODUCTION.len());
        assert_eq!(TrustAnchors::sat_test().len(), SAT_TEST.len());
        assert!(
            TrustAnchors::sat_production()
                .certificates()
                .all(Certificate::is_ca)
        );
        assert!(
            TrustAnchors::sat_test()
                .certificates()
                .all(Certificate::is_ca)
        );
    }

    #[test]
    fn bundle_from_configuration() {
        assert_eq!("pruebas".parse(), Ok(TrustBundle::Test));
        assert_eq!(" Produccion ".parse(), Ok(TrustBundle::Production));
        assert!("otro".parse::<TrustBundle>().is_err());
    }
}
