//! X.509 certificates as SAT issues them: parsing (DER, PEM, bare base64), identity, kind.

use std::ops::Range;

use chrono::{DateTime, Utc};
use der::{Decode, Encode, Header, Reader, SliceReader, Tagged, oid::ObjectIdentifier};
use sha2::{Digest, Sha256};
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage};

use crate::encoding::{hex, to_der};
use crate::error::EfirmaError;
use crate::pubkey::{HashAlg, RsaPublicKey};
use crate::text::decode_directory_string;

const OID_CN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
const OID_SERIAL_NUMBER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.5");
const OID_O: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");
const OID_OU: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.11");
const OID_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.41");
const OID_UNIQUE_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.45");
const OID_EMAIL: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.1");
const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_SHA1_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.5");
const OID_SHA256_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const OID_SHA384_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const OID_SHA512_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
/// Extensions an end-entity certificate may mark critical: the ones we read (RFC 5280 §4.2:
/// a certificate with a critical extension the verifier does not process must be refused).
pub(crate) const KNOWN_CRITICAL: &[ObjectIdentifier] = &[
    ObjectIdentifier::new_unwrap("2.5.29.15"),
    ObjectIdentifier::new_unwrap("2.5.29.19"),
    ObjectIdentifier::new_unwrap("2.5.29.37"),
];
const OID_EKU_CLIENT_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.2");
const OID_EKU_EMAIL: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.4");

/// What a SAT certificate is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum CertificateKind {
    /// e.firma (formerly FIEL): the only kind accepted to sign acts.
    Fiel,
    /// Certificado de Sello Digital: stamps invoices; never accepted as an e.firma.
    Csd,
    /// Anything else (CA certificates, certificates of other issuers...).
    Other,
}

/// Legal kind of the taxpayer, told by the RFC's length (12 = company, 13 = person).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Persona {
    /// Persona física (a person): 13-character RFC.
    Fisica,
    /// Persona moral (a company): 12-character RFC; the certificate also names its legal
    /// representative.
    Moral,
}

/// How the certificate's issuer signed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SignatureAlgorithm {
    RsaPkcs1(HashAlg),
    Unsupported(String),
}

/// Key usage bits that matter for classification and chains.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Usage {
    pub digital_signature: bool,
    pub non_repudiation: bool,
    pub data_encipherment: bool,
    pub key_agreement: bool,
    pub key_cert_sign: bool,
}

/// A parsed certificate. Cheap to clone relative to parsing; immutable.
#[derive(Debug, Clone)]
pub struct Certificate {
    der: Vec<u8>,
    fingerprint: [u8; 32],
    tbs: Range<usize>,
    pub(crate) signature_algorithm: SignatureAlgorithm,
    pub(crate) signature: Vec<u8>,
    serial: Vec<u8>,
    certificate_number: String,
    issuer_der: Vec<u8>,
    subject_der: Vec<u8>,
    /// Normalised names used to find issuer candidates (never to accept an issuer).
    pub(crate) issuer_key: String,
    pub(crate) subject_key: String,
    issuer_name: String,
    subject_name: String,
    rfc: Option<String>,
    representative_rfc: Option<String>,
    curp: Option<String>,
    representative_curp: Option<String>,
    organizational_unit: Option<String>,
    email: Option<String>,
    not_before: DateTime<Utc>,
    not_after: DateTime<Utc>,
    pub(crate) key_usage: Option<Usage>,
    pub(crate) is_ca: bool,
    extended_key_usage: Option<Vec<ObjectIdentifier>>,
    /// OIDs of extensions marked critical.
    pub(crate) critical_extensions: Vec<ObjectIdentifier>,
    kind: CertificateKind,
    pub(crate) public_key: Option<RsaPublicKey>,
    key_algorithm: String,
}

/// The issuer's signature over the certificate and its algorithm, which must be the one the
/// signed part names.
fn outer_signature(
    cert: &x509_cert::Certificate,
) -> Result<(SignatureAlgorithm, Vec<u8>), EfirmaError> {
    if cert.signature_algorithm() != cert.tbs_certificate().signature() {
        return Err(EfirmaError::MalformedCertificate(
            "el algoritmo de firma interno y externo difieren".to_owned(),
        ));
    }
    let algorithm = signature_algorithm(&cert.signature_algorithm().oid);
    let signature = cert
        .signature()
        .as_bytes()
        .ok_or_else(|| EfirmaError::MalformedCertificate("firma incompleta".to_owned()))?
        .to_vec();
    Ok((algorithm, signature))
}

impl Certificate {
    /// Parses a certificate from DER, PEM (`-----BEGIN CERTIFICATE-----`) or bare base64 (as in a
    /// CFDI's `Certificado` attribute).
    pub fn parse(bytes: &[u8]) -> Result<Certificate, EfirmaError> {
        let der = to_der(bytes)?;
        Self::from_der_vec(der)
    }

    fn from_der_vec(der: Vec<u8>) -> Result<Certificate, EfirmaError> {
        let malformed = |e: der::Error| EfirmaError::MalformedCertificate(e.to_string());
        let cert = x509_cert::Certificate::from_der(&der).map_err(malformed)?;
        let tbs_range = tbs_range(&der).map_err(malformed)?;
        let tbs = cert.tbs_certificate();

        let (signature_algorithm, signature) = outer_signature(&cert)?;

        let serial = tbs.serial_number().as_bytes().to_vec();
        let certificate_number = certificate_number(&serial);
        let issuer_der = tbs.issuer().to_der().map_err(malformed)?;
        let subject_der = tbs.subject().to_der().map_err(malformed)?;
        let issuer = NameFacts::read(tbs.issuer());
        let subject = NameFacts::read(tbs.subject());

        let not_before = to_chrono(tbs.validity().not_before.to_unix_duration())?;
        let not_after = to_chrono(tbs.validity().not_after.to_unix_duration())?;

        let Extensions {
            key_usage,
            is_ca,
            extended_key_usage,
            critical_extensions,
        } = Extensions::read(tbs);
        let (public_key, key_algorithm) = public_key(tbs.subject_public_key_info())?;

        let (rfc, representative_rfc) = split_pair(subject.unique_id.as_deref());
        let (curp, representative_curp) = split_pair(subject.serial_number.as_deref());
        let subject_name = subject
            .common_name
            .clone()
            .or_else(|| subject.name.clone())
            .or_else(|| subject.organization.clone())
            .unwrap_or_default();
        let issuer_name = issuer
            .common_name
            .or(issuer.organization)
            .unwrap_or_default();

        let mut certificate = Certificate {
            fingerprint: Sha256::digest(&der).into(),
            der,
            tbs: tbs_range,
            signature_algorithm,
            signature,
            serial,
            certificate_number,
            issuer_der,
            subject_der,
            issuer_key: name_key(tbs.issuer()),
            subject_key: name_key(tbs.subject()),
            issuer_name,
            subject_name,
            rfc,
            representative_rfc,
            curp,
            representative_curp,
            organizational_unit: subject.organizational_unit,
            email: subject.email,
            not_before,
            not_after,
            key_usage,
            is_ca,
            extended_key_usage,
            critical_extensions,
            kind: CertificateKind::Other,
            public_key,
            key_algorithm,
        };
        certificate.kind = certificate.classify();
        Ok(certificate)
    }

    /// FIEL vs CSD vs other, from key usage, extended key usage and the subject OU.
    ///
    /// * FIEL: keyUsage has digitalSignature, nonRepudiation, dataEncipherment and keyAgreement;
    ///   no OU in the subject; extendedKeyUsage, when present, includes e-mail protection or TLS
    ///   client; an RFC in x500UniqueIdentifier; not a CA.
    /// * CSD: keyUsage has digitalSignature and nonRepudiation but neither dataEncipherment nor
    ///   keyAgreement; not a CA (SAT's CSDs carry an OU, the branch, but we do not require it so
    ///   that no CSD can pass as "other" and none can pass as FIEL either).
    /// * anything else: other.
    fn classify(&self) -> CertificateKind {
        let Some(ku) = self.key_usage else {
            return CertificateKind::Other;
        };
        if self.is_ca || ku.key_cert_sign || !ku.digital_signature || !ku.non_repudiation {
            return CertificateKind::Other;
        }
        if !ku.data_encipherment && !ku.key_agreement {
            return CertificateKind::Csd;
        }
        let eku_ok = self.extended_key_usage.as_ref().is_none_or(|ekus| {
            ekus.iter()
                .any(|oid| *oid == OID_EKU_EMAIL || *oid == OID_EKU_CLIENT_AUTH)
        });
        if ku.data_encipherment
            && ku.key_agreement
            && self.organizational_unit.is_none()
            && eku_ok
            && self.rfc.is_some()
        {
            CertificateKind::Fiel
        } else {
            CertificateKind::Other
        }
    }

    /// The taxpayer's RFC (x500UniqueIdentifier; for a company, the part before ` / `).
    pub fn rfc(&self) -> Option<&str> {
        self.rfc.as_deref()
    }

    /// The legal representative's RFC (companies only: the part after ` / `).
    pub fn representative_rfc(&self) -> Option<&str> {
        self.representative_rfc.as_deref()
    }

    /// The holder's CURP (subject serialNumber; absent for a company).
    pub fn curp(&self) -> Option<&str> {
        self.curp.as_deref()
    }

    /// The legal representative's CURP (companies: subject serialNumber after ` / `).
    pub fn representative_curp(&self) -> Option<&str> {
        self.representative_curp.as_deref()
    }

    /// The holder's name (CN, else `name`, else O), decoded leniently.
    pub fn name(&self) -> &str {
        &self.subject_name
    }

    /// The subject's OU (CSDs carry the branch name there; FIELs have none).
    pub fn organizational_unit(&self) -> Option<&str> {
        self.organizational_unit.as_deref()
    }

    /// The subject's e-mail address, when present.
    pub fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }

    /// SAT's número de certificado: the serial number's bytes read as ASCII digits (20 of them in
    /// SAT certificates). For a serial that is not ASCII digits, its uppercase hex.
    pub fn certificate_number(&self) -> &str {
        &self.certificate_number
    }

    /// The raw serial number bytes.
    pub fn serial_number(&self) -> &[u8] {
        &self.serial
    }

    /// Start of validity.
    pub fn not_before(&self) -> DateTime<Utc> {
        self.not_before
    }

    /// End of validity.
    pub fn not_after(&self) -> DateTime<Utc> {
        self.not_after
    }

    /// The issuer's common name (or organization), decoded leniently (double-encoded UTF-8 is
    /// repaired).
    pub fn issuer_name(&self) -> &str {
        &self.issuer_name
    }

    /// FIEL, CSD or other.
    pub fn kind(&self) -> CertificateKind {
        self.kind
    }

    /// Persona moral (12-character RFC) or física (anything else with an RFC).
    pub fn persona(&self) -> Persona {
        match self.rfc.as_deref() {
            Some(rfc) if rfc.chars().count() == 12 => Persona::Moral,
            _ => Persona::Fisica,
        }
    }

    /// The certificate's DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// DER of the issuer name.
    pub fn issuer_der(&self) -> &[u8] {
        &self.issuer_der
    }

    /// DER of the subject name.
    pub fn subject_der(&self) -> &[u8] {
        &self.subject_der
    }

    /// SHA-256 of the DER encoding.
    pub fn fingerprint_sha256(&self) -> [u8; 32] {
        self.fingerprint
    }

    /// SHA-256 of the DER encoding as lowercase hex.
    pub fn fingerprint_hex(&self) -> String {
        hex(&self.fingerprint)
    }

    /// Whether the certificate says it is a certification authority (basicConstraints cA).
    pub fn is_ca(&self) -> bool {
        self.is_ca
    }

    /// Key algorithm and size, e.g. `RSA-2048` (or the algorithm OID when not RSA).
    pub fn key_algorithm(&self) -> &str {
        &self.key_algorithm
    }

    /// Name of the algorithm the issuer signed with, e.g. `RSA-SHA256`.
    pub fn signature_algorithm_name(&self) -> String {
        match &self.signature_algorithm {
            SignatureAlgorithm::RsaPkcs1(hash) => format!("RSA-{}", hash.name().replace('-', "")),
            SignatureAlgorithm::Unsupported(oid) => oid.clone(),
        }
    }

    /// Whether the subject and issuer names are the same (a root or a self-signed look-alike),
    /// compared like issuer candidates (string types and case do not matter).
    pub fn is_self_issued(&self) -> bool {
        self.subject_key == self.issuer_key
    }

    /// Checks an RSA PKCS#1 v1.5 SHA-256 signature made with this certificate's key, and
    /// nothing else (no chain, time or kind checks: use [`crate::verify`] for e.firma acts). For
    /// seals whose certificate the caller already trusts, e.g. the service's own acuse seal.
    pub fn verify_signature(&self, message: &[u8], signature: &[u8]) -> Result<(), EfirmaError> {
        let key = self
            .public_key
            .as_ref()
            .ok_or_else(|| EfirmaError::UnsupportedAlgorithm("clave no RSA".to_owned()))?;
        key.check_usable()?;
        if key.verify_pkcs1v15(HashAlg::Sha256, message, signature) {
            Ok(())
        } else {
            Err(EfirmaError::BadSignature)
        }
    }

    pub(crate) fn tbs_der(&self) -> &[u8] {
        &self.der[self.tbs.clone()]
    }

    /// Does `issuer`'s key verify this certificate's signature (hash per `allowed`)?
    pub(crate) fn is_signed_by(&self, issuer: &Certificate, allow_sha1: bool) -> bool {
        let SignatureAlgorithm::RsaPkcs1(hash) = self.signature_algorithm else {
            return false;
        };
        if hash == HashAlg::Sha1 && !allow_sha1 {
            return false;
        }
        match &issuer.public_key {
            Some(key) => {
                key.check_usable().is_ok()
                    && key.verify_pkcs1v15(hash, self.tbs_der(), &self.signature)
            }
            None => false,
        }
    }
}

/// Facts read from a distinguished name.
#[derive(Default)]
struct NameFacts {
    common_name: Option<String>,
    name: Option<String>,
    organization: Option<String>,
    organizational_unit: Option<String>,
    unique_id: Option<String>,
    serial_number: Option<String>,
    email: Option<String>,
}

impl NameFacts {
    fn read(name: &x509_cert::name::Name) -> NameFacts {
        let mut facts = NameFacts::default();
        for atv in name.iter() {
            let value = decode_directory_string(atv.value.tag(), atv.value.value());
            let slot = match atv.oid {
                OID_CN => &mut facts.common_name,
                OID_NAME => &mut facts.name,
                OID_O => &mut facts.organization,
                OID_OU => &mut facts.organizational_unit,
                OID_UNIQUE_ID => &mut facts.unique_id,
                OID_SERIAL_NUMBER => &mut facts.serial_number,
                OID_EMAIL => &mut facts.email,
                _ => continue,
            };
            // The first occurrence wins; SAT never repeats these.
            if slot.is_none() {
                *slot = Some(value.trim().to_owned());
            }
        }
        facts
    }
}

/// A comparison key for names: every attribute as `oid=value`, values decoded leniently,
/// lower-cased, whitespace collapsed. SAT writes the same name with different string types in
/// issuer and subject fields, so raw DER equality would miss real issuers; the signature check
/// decides anyway.
/// The extensions the classification and the verifier read.
struct Extensions {
    key_usage: Option<Usage>,
    is_ca: bool,
    extended_key_usage: Option<Vec<ObjectIdentifier>>,
    critical_extensions: Vec<ObjectIdentifier>,
}

impl Extensions {
    /// Unreadable extensions count as absent (the classification then refuses what it needs).
    fn read(tbs: &x509_cert::TbsCertificate) -> Extensions {
        let key_usage = tbs
            .get_extension::<KeyUsage>()
            .ok()
            .flatten()
            .map(|(_, ku)| Usage {
                digital_signature: ku.digital_signature(),
                non_repudiation: ku.non_repudiation(),
                data_encipherment: ku.data_encipherment(),
                key_agreement: ku.key_agreement(),
                key_cert_sign: ku.key_cert_sign(),
            });
        let is_ca = tbs
            .get_extension::<BasicConstraints>()
            .ok()
            .flatten()
            .is_some_and(|(_, bc)| bc.ca);
        let extended_key_usage = tbs
            .get_extension::<ExtendedKeyUsage>()
            .ok()
            .flatten()
            .map(|(_, eku)| eku.0);
        let critical_extensions = tbs
            .extensions()
            .map(|exts| {
                exts.iter()
                    .filter(|e| e.critical)
                    .map(|e| e.extn_id)
                    .collect()
            })
            .unwrap_or_default();
        Extensions {
            key_usage,
            is_ca,
            extended_key_usage,
            critical_extensions,
        }
    }
}

/// The subject's RSA key (`None` for another algorithm, named instead) and its algorithm's name.
fn public_key(
    spki: &x509_cert::spki::SubjectPublicKeyInfoOwned,
) -> Result<(Option<RsaPublicKey>, String), EfirmaError> {
    if spki.algorithm.oid != OID_RSA {
        return Ok((None, spki.algorithm.oid.to_string()));
    }
    let bits = spki.subject_public_key.as_bytes().unwrap_or_default();
    let key = RsaPublicKey::from_pkcs1_der(bits)
        .map_err(|e| EfirmaError::MalformedCertificate(format!("clave pública: {e}")))?;
    let name = format!("RSA-{}", key.bits());
    Ok((Some(key), name))
}

fn name_key(name: &x509_cert::name::Name) -> String {
    let mut key = String::new();
    for atv in name.iter() {
        let value = decode_directory_string(atv.value.tag(), atv.value.value());
        let value: Vec<&str> = value.split_whitespace().collect();
        key.push_str(&atv.oid.to_string());
        key.push('=');
        key.push_str(&value.join(" ").to_lowercase());
        key.push('\u{1f}');
    }
    key
}

/// Splits SAT's `A / B` pairs (RFC / representative RFC, CURP / representative CURP); an empty
/// side is absent.
fn split_pair(value: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(value) = value else {
        return (None, None);
    };
    let non_empty = |s: &str| {
        let s = s.trim();
        (!s.is_empty()).then(|| s.to_owned())
    };
    match value.split_once('/') {
        Some((first, second)) => (non_empty(first), non_empty(second)),
        None => (non_empty(value), None),
    }
}

fn certificate_number(serial: &[u8]) -> String {
    if !serial.is_empty() && serial.iter().all(u8::is_ascii_digit) {
        serial.iter().map(|b| char::from(*b)).collect()
    } else {
        hex(serial).to_uppercase()
    }
}

fn signature_algorithm(oid: &ObjectIdentifier) -> SignatureAlgorithm {
    match *oid {
        OID_SHA1_RSA => SignatureAlgorithm::RsaPkcs1(HashAlg::Sha1),
        OID_SHA256_RSA => SignatureAlgorithm::RsaPkcs1(HashAlg::Sha256),
        OID_SHA384_RSA => SignatureAlgorithm::RsaPkcs1(HashAlg::Sha384),
        OID_SHA512_RSA => SignatureAlgorithm::RsaPkcs1(HashAlg::Sha512),
        other => SignatureAlgorithm::Unsupported(other.to_string()),
    }
}

/// Byte range of the TBSCertificate inside the certificate (signatures cover these exact bytes,
/// so we slice rather than re-encode).
fn tbs_range(der_bytes: &[u8]) -> der::Result<Range<usize>> {
    let mut reader = SliceReader::new(der_bytes)?;
    let _outer = Header::decode(&mut reader)?;
    let start = usize::try_from(reader.position())?;
    let tbs = reader.tlv_bytes()?;
    Ok(start..start + tbs.len())
}

fn to_chrono(since_epoch: core::time::Duration) -> Result<DateTime<Utc>, EfirmaError> {
    i64::try_from(since_epoch.as_secs())
        .ok()
        .and_then(|secs| DateTime::from_timestamp(secs, 0))
        .ok_or_else(|| EfirmaError::MalformedCertificate("fecha fuera de rango".to_owned()))
}
