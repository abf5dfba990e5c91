//! The verification function: certificate, chain, time, revocation, RFC and signature.
//!
//! Pure in the webpki sense: everything it depends on (trust anchors, the instant, the revocation
//! list) is a parameter. The optional [`ChainCache`] only skips repeated work for certificates
//! that already verified; the result is the same with or without it.

use std::ops::Deref;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::certificate::{Certificate, CertificateKind, Persona, SignatureAlgorithm};
use crate::error::EfirmaError;
use crate::pubkey::HashAlg;
use crate::trust::TrustAnchors;

/// Longest chain followed above the end-entity certificate (SAT uses two levels: CA and root).
const MAX_CHAIN_DEPTH: usize = 6;
/// Smallest RSA key accepted on an end-entity certificate or a CA.
const MIN_RSA_BITS: u32 = 2048;

mod cache;
mod revocation;

use cache::CachedChain;
pub use cache::ChainCache;
pub use revocation::RevocationList;

/// The certificate to verify: raw bytes (DER, PEM or base64) or an already parsed one.
#[derive(Debug, Clone, Copy)]
pub enum CertificateSource<'a> {
    /// DER, PEM or bare base64.
    Bytes(&'a [u8]),
    /// A parsed certificate.
    Parsed(&'a Certificate),
}

impl<'a> From<&'a [u8]> for CertificateSource<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        CertificateSource::Bytes(bytes)
    }
}

impl<'a> From<&'a Vec<u8>> for CertificateSource<'a> {
    fn from(bytes: &'a Vec<u8>) -> Self {
        CertificateSource::Bytes(bytes)
    }
}

impl<'a> From<&'a Certificate> for CertificateSource<'a> {
    fn from(certificate: &'a Certificate) -> Self {
        CertificateSource::Parsed(certificate)
    }
}

/// Everything one verification depends on.
#[derive(Debug, Clone, Copy)]
pub struct VerifyRequest<'a> {
    /// The signer's certificate.
    pub certificate: CertificateSource<'a>,
    /// The certification authorities to trust.
    pub anchors: &'a TrustAnchors,
    /// The instant at which the certificate and its chain must be valid.
    pub now: DateTime<Utc>,
    /// Revoked certificate numbers.
    pub revocations: &'a RevocationList,
    /// The signed bytes (a cadena original, UTF-8).
    pub message: &'a [u8],
    /// RSA PKCS#1 v1.5 SHA-256 signature over `message`.
    pub signature: &'a [u8],
    /// When set, the certificate's RFC must be this one (case-insensitive, trimmed).
    pub expected_rfc: Option<&'a str>,
    /// Optional cache of certificates that already verified (owned by the caller).
    pub cache: Option<&'a ChainCache>,
    /// What the caller kept of an earlier verification of this certificate ([`KnownChain`]).
    pub known_chain: Option<&'a KnownChain>,
}

impl<'a> VerifyRequest<'a> {
    /// A request with no expected RFC and no cache.
    pub fn new(
        certificate: impl Into<CertificateSource<'a>>,
        anchors: &'a TrustAnchors,
        now: DateTime<Utc>,
        revocations: &'a RevocationList,
        message: &'a [u8],
        signature: &'a [u8],
    ) -> VerifyRequest<'a> {
        VerifyRequest {
            certificate: certificate.into(),
            anchors,
            now,
            revocations,
            message,
            signature,
            expected_rfc: None,
            cache: None,
            known_chain: None,
        }
    }

    /// Requires the certificate to belong to `rfc`.
    pub fn expected_rfc(mut self, rfc: &'a str) -> VerifyRequest<'a> {
        self.expected_rfc = Some(rfc);
        self
    }

    /// Reuses the chain of an earlier verification of this certificate, kept by the caller:
    /// see [`KnownChain`].
    pub fn known_chain(mut self, known: Option<&'a KnownChain>) -> VerifyRequest<'a> {
        self.known_chain = known;
        self
    }

    /// Uses `cache` to skip parsing and chain building for certificates seen before.
    pub fn cache(mut self, cache: &'a ChainCache) -> VerifyRequest<'a> {
        self.cache = Some(cache);
        self
    }
}

/// The identity a valid e.firma signature proves.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct VerifiedIdentity {
    /// The signer's RFC (the company's for a persona moral).
    pub rfc: String,
    /// The legal representative's RFC (persona moral only).
    pub representative_rfc: Option<String>,
    /// The signer's CURP (persona física only).
    pub curp: Option<String>,
    /// The legal representative's CURP (persona moral only).
    pub representative_curp: Option<String>,
    /// Name or company name as in the certificate.
    pub name: String,
    /// SAT certificate number (20 digits).
    pub certificate_number: String,
    /// Persona física or moral.
    pub persona: Persona,
    /// Start of the certificate's validity.
    pub not_before: DateTime<Utc>,
    /// End of the certificate's validity.
    pub not_after: DateTime<Utc>,
    /// Name of the CA that issued the certificate.
    pub issuer_name: String,
    /// SHA-256 of the issuing CA certificate.
    pub issuer_fingerprint_sha256: [u8; 32],
    /// SHA-256 of the signer's certificate.
    pub certificate_fingerprint_sha256: [u8; 32],
}

/// What a caller may keep about a certificate that verified, to skip the chain's signatures
/// the next time the same certificate signs ([`verify_recording`], [`VerifyRequest::known_chain`]):
/// the SHA-256 of its DER and the fingerprints of the CAs it chained through, issuer first.
///
/// It is a fact about signatures that never changes (these exact bytes were signed by that
/// exact CA), and it holds no verdict about anything that does: on every reuse the certificate
/// is parsed and checked again (kind, key, validity now, revocation) and each CA of the path
/// must still be in the trust anchors, be a CA valid now and not be revoked; otherwise the full
/// chain is built again, which gives the precise refusal. A caller that keeps it outside its
/// own memory must make sure nobody else can write it (authenticate it): whoever can forge a
/// `KnownChain` can make a certificate of their own look issued by a trusted CA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownChain {
    /// SHA-256 of the certificate's DER.
    pub certificate: [u8; 32],
    /// SHA-256 of each CA certificate on the path, the issuer first.
    pub path: Vec<[u8; 32]>,
}

/// Verifies a signature made with an e.firma: see the crate documentation for the checks and
/// their order. Returns the signer's identity or the first reason to refuse.
pub fn verify(request: &VerifyRequest<'_>) -> Result<VerifiedIdentity, EfirmaError> {
    verify_recording(request).map(|(identity, _)| identity)
}

/// [`verify`], also returning the chain the certificate verified through, for the caller to keep
/// and pass back with [`VerifyRequest::known_chain`].
pub fn verify_recording(
    request: &VerifyRequest<'_>,
) -> Result<(VerifiedIdentity, KnownChain), EfirmaError> {
    let checked = check(
        request.certificate,
        request.anchors,
        request.now,
        request.revocations,
        request.cache,
        request.known_chain,
    )?;
    let identity = checked.identity()?;
    if let Some(expected) = request.expected_rfc
        && !expected.trim().eq_ignore_ascii_case(&identity.rfc)
    {
        return Err(EfirmaError::RfcMismatch {
            expected: expected.trim().to_uppercase(),
            found: identity.rfc,
        });
    }
    let key = checked
        .certificate
        .public_key
        .as_ref()
        .ok_or_else(|| EfirmaError::UnsupportedAlgorithm("clave no RSA".to_owned()))?;
    if !key.verify_pkcs1v15(HashAlg::Sha256, request.message, request.signature) {
        return Err(EfirmaError::BadSignature);
    }
    let known = KnownChain {
        certificate: checked.certificate.fingerprint_sha256(),
        path: checked
            .path
            .iter()
            .map(|c| c.fingerprint_sha256())
            .collect(),
    };
    Ok((identity, known))
}

/// Every check of [`verify`] except the message signature: the certificate is a valid e.firma
/// at `now`, not revoked, and chains to `anchors`. For inspection tools and for checking a
/// certificate before asking its holder to sign.
pub fn check_certificate(
    certificate: CertificateSource<'_>,
    anchors: &TrustAnchors,
    now: DateTime<Utc>,
    revocations: &RevocationList,
    cache: Option<&ChainCache>,
) -> Result<VerifiedIdentity, EfirmaError> {
    check(certificate, anchors, now, revocations, cache, None)?.identity()
}

/// A certificate that passed every check, with its issuer and the CAs above it.
struct Checked<'a> {
    certificate: Held<'a>,
    issuer: Arc<Certificate>,
    path: Vec<Arc<Certificate>>,
}

impl Checked<'_> {
    fn identity(&self) -> Result<VerifiedIdentity, EfirmaError> {
        let c = &self.certificate;
        let rfc = c
            .rfc()
            .ok_or(EfirmaError::NotEfirma(CertificateKind::Other))?;
        Ok(VerifiedIdentity {
            rfc: rfc.to_uppercase(),
            representative_rfc: c.representative_rfc().map(str::to_uppercase),
            curp: c.curp().map(str::to_owned),
            representative_curp: c.representative_curp().map(str::to_owned),
            name: c.name().to_owned(),
            certificate_number: c.certificate_number().to_owned(),
            persona: c.persona(),
            not_before: c.not_before(),
            not_after: c.not_after(),
            issuer_name: self.issuer.name().to_owned(),
            issuer_fingerprint_sha256: self.issuer.fingerprint_sha256(),
            certificate_fingerprint_sha256: c.fingerprint_sha256(),
        })
    }
}

/// A borrowed or shared certificate.
enum Held<'a> {
    Borrowed(&'a Certificate),
    Shared(Arc<Certificate>),
}

impl Deref for Held<'_> {
    type Target = Certificate;
    fn deref(&self) -> &Certificate {
        match self {
            Held::Borrowed(c) => c,
            Held::Shared(c) => c,
        }
    }
}

fn check<'a>(
    source: CertificateSource<'a>,
    anchors: &TrustAnchors,
    now: DateTime<Utc>,
    revocations: &RevocationList,
    cache: Option<&ChainCache>,
    known: Option<&KnownChain>,
) -> Result<Checked<'a>, EfirmaError> {
    let cache_key = cache.map(|_| match source {
        CertificateSource::Bytes(bytes) => Sha256::digest(bytes).into(),
        CertificateSource::Parsed(c) => c.fingerprint_sha256(),
    });

    // Fast path: a certificate that verified before. Only the chain (signatures) is reused;
    // time, revocation and anchor membership are checked again. Anything off falls through to
    // the full path, which gives the precise error.
    if let (Some(cache), Some(key)) = (cache, cache_key)
        && let Some(entry) = cache.get(&key)
        && entry.still_valid(anchors, now, revocations)
    {
        let certificate = match source {
            CertificateSource::Parsed(c) => Held::Borrowed(c),
            CertificateSource::Bytes(_) => Held::Shared(entry.certificate.clone()),
        };
        return Ok(Checked {
            certificate,
            issuer: entry.issuer.clone(),
            path: entry.path.clone(),
        });
    }

    let certificate = match source {
        CertificateSource::Bytes(bytes) => Held::Shared(Arc::new(Certificate::parse(bytes)?)),
        CertificateSource::Parsed(c) => Held::Borrowed(c),
    };
    check_end_entity(&certificate, now, revocations)?;
    let path = match known.and_then(|k| reuse_chain(k, &certificate, anchors, now, revocations)) {
        Some(path) => path,
        None => build_chain(&certificate, anchors, now, revocations)?,
    };
    let issuer = path
        .first()
        .cloned()
        .ok_or_else(|| EfirmaError::UnknownIssuer {
            issuer: certificate.issuer_name().to_owned(),
        })?;

    if let (Some(cache), Some(key)) = (cache, cache_key) {
        let shared = match &certificate {
            Held::Shared(c) => c.clone(),
            Held::Borrowed(c) => Arc::new((*c).clone()),
        };
        cache.insert(key, CachedChain::new(shared, &path));
    }
    Ok(Checked {
        certificate,
        issuer,
        path,
    })
}

/// The path of `known` when it is this certificate's and every CA on it is still trusted, a CA,
/// valid now and not revoked; `None` sends the caller to the full chain building.
fn reuse_chain(
    known: &KnownChain,
    certificate: &Certificate,
    anchors: &TrustAnchors,
    now: DateTime<Utc>,
    revocations: &RevocationList,
) -> Option<Vec<Arc<Certificate>>> {
    if known.certificate != certificate.fingerprint_sha256() || known.path.is_empty() {
        return None;
    }
    let path: Vec<Arc<Certificate>> = known
        .path
        .iter()
        .map(|fingerprint| anchors.get(fingerprint).cloned())
        .collect::<Option<_>>()?;
    path.iter()
        .all(|ca| check_issuer(ca, now, revocations).is_ok())
        .then_some(path)
}

/// Policy, kind, validity and revocation of the signer's own certificate.
fn check_end_entity(
    certificate: &Certificate,
    now: DateTime<Utc>,
    revocations: &RevocationList,
) -> Result<(), EfirmaError> {
    check_key_policy(certificate)?;
    match certificate.signature_algorithm {
        SignatureAlgorithm::RsaPkcs1(HashAlg::Sha256 | HashAlg::Sha384 | HashAlg::Sha512) => {}
        SignatureAlgorithm::RsaPkcs1(HashAlg::Sha1) => {
            return Err(EfirmaError::UnsupportedAlgorithm(
                "certificado firmado con SHA-1".to_owned(),
            ));
        }
        SignatureAlgorithm::Unsupported(ref oid) => {
            return Err(EfirmaError::UnsupportedAlgorithm(format!(
                "algoritmo de firma {oid}"
            )));
        }
    }
    if let Some(oid) = certificate
        .critical_extensions
        .iter()
        .find(|oid| !crate::certificate::KNOWN_CRITICAL.contains(oid))
    {
        return Err(EfirmaError::UnsupportedAlgorithm(format!(
            "extensión crítica desconocida {oid}"
        )));
    }
    if certificate.kind() != CertificateKind::Fiel {
        return Err(EfirmaError::NotEfirma(certificate.kind()));
    }
    if now < certificate.not_before() {
        return Err(EfirmaError::NotYetValid {
            not_before: certificate.not_before(),
        });
    }
    if now > certificate.not_after() {
        return Err(EfirmaError::Expired {
            not_after: certificate.not_after(),
        });
    }
    if revocations.contains(certificate.certificate_number()) {
        return Err(EfirmaError::Revoked {
            certificate_number: certificate.certificate_number().to_owned(),
        });
    }
    Ok(())
}

fn check_key_policy(certificate: &Certificate) -> Result<(), EfirmaError> {
    let key = certificate
        .public_key
        .as_ref()
        .ok_or_else(|| EfirmaError::UnsupportedAlgorithm("clave no RSA".to_owned()))?;
    if key.bits() < MIN_RSA_BITS {
        return Err(EfirmaError::UnsupportedAlgorithm(format!(
            "RSA de {} bits (mínimo {MIN_RSA_BITS})",
            key.bits()
        )));
    }
    key.check_usable()
}

/// Finds the issuing CA by signature among the anchors with the issuer's name, then follows the
/// CA's own issuers inside the anchor set up to a self-issued root. Returns the CAs from the
/// issuer upwards.
fn build_chain(
    leaf: &Certificate,
    anchors: &TrustAnchors,
    now: DateTime<Utc>,
    revocations: &RevocationList,
) -> Result<Vec<Arc<Certificate>>, EfirmaError> {
    let mut path: Vec<Arc<Certificate>> = Vec::new();
    let mut current = Held::Borrowed(leaf);
    loop {
        let is_leaf = path.is_empty();
        if !is_leaf && current.is_self_issued() {
            break;
        }
        let mut candidates = anchors.candidates(&current.issuer_key).peekable();
        if candidates.peek().is_none() {
            if is_leaf {
                return Err(EfirmaError::UnknownIssuer {
                    issuer: leaf.issuer_name().to_owned(),
                });
            }
            // A trusted CA whose own issuer is not configured: it is the top of the path.
            break;
        }
        // SHA-1 is accepted only on signatures between CAs of the trusted set.
        let allow_sha1 = !is_leaf;
        let mut signers = candidates.filter(|ca| {
            ca.fingerprint_sha256() != current.fingerprint_sha256()
                && current.is_signed_by(ca, allow_sha1)
        });
        let Some(first_signer) = signers.next() else {
            return Err(EfirmaError::BadChain {
                issuer: current.issuer_name().to_owned(),
            });
        };
        // Several CA certificates can carry the same key (re-issued roots); prefer one valid now.
        let issuer = std::iter::once(first_signer)
            .chain(signers)
            .find(|ca| is_valid_at(ca, now))
            .unwrap_or(first_signer)
            .clone();
        check_issuer(&issuer, now, revocations)?;
        if path.len() >= MAX_CHAIN_DEPTH
            || path
                .iter()
                .any(|c| c.fingerprint_sha256() == issuer.fingerprint_sha256())
        {
            return Err(EfirmaError::BadChain {
                issuer: issuer.name().to_owned(),
            });
        }
        path.push(issuer.clone());
        current = Held::Shared(issuer);
    }
    Ok(path)
}

fn is_valid_at(certificate: &Certificate, now: DateTime<Utc>) -> bool {
    certificate.not_before() <= now && now <= certificate.not_after()
}

/// A CA on the path must be a CA, be allowed to sign certificates, have an acceptable key, be
/// valid now and not be revoked.
fn check_issuer(
    issuer: &Certificate,
    now: DateTime<Utc>,
    revocations: &RevocationList,
) -> Result<(), EfirmaError> {
    let may_sign_certificates = issuer.is_ca && issuer.key_usage.is_none_or(|ku| ku.key_cert_sign);
    if !may_sign_certificates {
        return Err(EfirmaError::BadChain {
            issuer: issuer.name().to_owned(),
        });
    }
    check_key_policy(issuer)?;
    if !is_valid_at(issuer, now) {
        return Err(EfirmaError::IssuerNotValid {
            issuer: issuer.name().to_owned(),
        });
    }
    if revocations.contains(issuer.certificate_number()) {
        return Err(EfirmaError::Revoked {
            certificate_number: issuer.certificate_number().to_owned(),
        });
    }
    Ok(())
}
