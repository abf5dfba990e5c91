//! Private keys (.key): decryption, key/certificate match, signing.
//!
//! SAT writes DER PKCS#8 EncryptedPrivateKeyInfo: PBES2 + PBKDF2 with no PRF field (so
//! HMAC-SHA1) + DES-EDE3-CBC, 2048 iterations. We also read PBKDF2-HMAC-SHA256 and AES-CBC,
//! plain PKCS#8, PKCS#1, and the PEM forms of all of these. Keys are only ever decrypted on the
//! signer's side (browser, CLI); the server never sees them.

use der::Decode;
use pkcs8::pkcs5;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use zeroize::Zeroizing;

use crate::certificate::Certificate;
use crate::encoding::pem_body;
use crate::error::EfirmaError;
use crate::pubkey::HashAlg;

/// Highest PBKDF2 iteration count accepted: SAT uses 2048; a hostile file must not make
/// decryption run for minutes.
const MAX_PBKDF2_ITERATIONS: u32 = 1_000_000;
/// Largest RSA private key accepted.
const MAX_KEY_BITS: usize = 4096;
/// Smallest RSA private key accepted for signing.
const MIN_KEY_BITS: usize = 2048;

/// A decrypted RSA private key. Its secret parts are zeroised on drop (by `rsa`).
#[derive(Clone)]
pub struct PrivateKey {
    key: rsa::RsaPrivateKey,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateKey(RSA-{})", self.bits())
    }
}

impl PrivateKey {
    /// Reads a private key: encrypted PKCS#8 (decrypted with `password`), plain PKCS#8 or PKCS#1,
    /// each as DER or PEM. The password is ignored for unencrypted keys.
    pub fn decrypt(key_bytes: &[u8], password: &[u8]) -> Result<PrivateKey, EfirmaError> {
        let der = to_der(key_bytes)?;
        if let Ok(encrypted) = pkcs8::EncryptedPrivateKeyInfoRef::from_der(&der) {
            return Self::decrypt_pkcs8(&encrypted, password);
        }
        if let Ok(key) = rsa::RsaPrivateKey::from_pkcs8_der(&der) {
            return Self::from_rsa(key);
        }
        if let Ok(key) = rsa::RsaPrivateKey::from_pkcs1_der(&der) {
            return Self::from_rsa(key);
        }
        if let Some(oid) = encrypted_with_unknown_scheme(&der) {
            return Err(EfirmaError::UnsupportedAlgorithm(format!(
                "cifrado de la clave {oid}"
            )));
        }
        Err(EfirmaError::MalformedKey(
            "no es PKCS#8 cifrado, PKCS#8 ni PKCS#1".to_owned(),
        ))
    }

    fn decrypt_pkcs8(
        encrypted: &pkcs8::EncryptedPrivateKeyInfoRef<'_>,
        password: &[u8],
    ) -> Result<PrivateKey, EfirmaError> {
        check_encryption_policy(&encrypted.encryption_algorithm)?;
        let plain = encrypted.decrypt(password).map_err(|e| match e {
            pkcs8::Error::EncryptedPrivateKey(pkcs5::Error::DecryptFailed) => {
                EfirmaError::WrongPassword
            }
            pkcs8::Error::EncryptedPrivateKey(pkcs5::Error::UnsupportedAlgorithm { oid }) => {
                EfirmaError::UnsupportedAlgorithm(format!("cifrado de la clave {oid}"))
            }
            pkcs8::Error::EncryptedPrivateKey(other) => {
                EfirmaError::MalformedKey(format!("parámetros de cifrado: {other}"))
            }
            // Decryption "succeeded" with a wrong key but the plaintext is garbage (the CBC
            // padding check passes by chance about once in 256 tries).
            _ => EfirmaError::WrongPassword,
        })?;
        let key = rsa::RsaPrivateKey::from_pkcs8_der(plain.as_bytes())
            .map_err(|_| EfirmaError::WrongPassword)?;
        Self::from_rsa(key)
    }

    fn from_rsa(key: rsa::RsaPrivateKey) -> Result<PrivateKey, EfirmaError> {
        let bits = key.n().bits_vartime() as usize;
        if !(MIN_KEY_BITS..=MAX_KEY_BITS).contains(&bits) {
            return Err(EfirmaError::UnsupportedAlgorithm(format!(
                "clave RSA de {bits} bits"
            )));
        }
        Ok(PrivateKey { key })
    }

    /// Size of the modulus in bits.
    pub fn bits(&self) -> u32 {
        self.key.n().bits_vartime()
    }

    /// Whether this key is the private half of the certificate's public key.
    pub fn matches(&self, certificate: &Certificate) -> bool {
        let Some(public) = certificate.public_key.as_ref() else {
            return false;
        };
        let n = self.key.n().to_be_bytes_trimmed_vartime();
        let e = self.key.e().to_be_bytes_trimmed_vartime();
        let e = e.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        *n == *public.modulus() && e == public.exponent()
    }

    /// RSA PKCS#1 v1.5 signature with SHA-256 over `message` (deterministic).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, EfirmaError> {
        let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(self.key.clone());
        let signature = signer
            .try_sign(message)
            .map_err(|_| EfirmaError::SigningFailed)?;
        let signature = signature.to_vec();
        // Guard against faults: a signature that does not verify is never released.
        let public = crate::pubkey::RsaPublicKey::new(
            self.key.n().to_be_bytes_trimmed_vartime().to_vec(),
            self.key
                .e()
                .to_be_bytes_trimmed_vartime()
                .iter()
                .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)),
        );
        if !public.verify_pkcs1v15(HashAlg::Sha256, message, &signature) {
            return Err(EfirmaError::SigningFailed);
        }
        Ok(signature)
    }

    /// The key as unencrypted PKCS#8 DER (zeroised on drop), e.g. to re-encrypt it.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, EfirmaError> {
        use rsa::pkcs8::EncodePrivateKey;
        let doc = self
            .key
            .to_pkcs8_der()
            .map_err(|e| EfirmaError::MalformedKey(e.to_string()))?;
        Ok(Zeroizing::new(doc.as_bytes().to_vec()))
    }
}

/// A certificate with the private key that belongs to it: what a signer holds.
#[derive(Debug, Clone)]
pub struct Credential {
    certificate: Certificate,
    key: PrivateKey,
}

impl Credential {
    /// Reads the .cer and the .key, decrypts the key and checks that they belong together.
    pub fn open(
        certificate_bytes: &[u8],
        key_bytes: &[u8],
        password: &[u8],
    ) -> Result<Credential, EfirmaError> {
        let certificate = Certificate::parse(certificate_bytes)?;
        let key = PrivateKey::decrypt(key_bytes, password)?;
        Credential::new(certificate, key)
    }

    /// Pairs a certificate and a key, refusing a key of another certificate.
    pub fn new(certificate: Certificate, key: PrivateKey) -> Result<Credential, EfirmaError> {
        if !key.matches(&certificate) {
            return Err(EfirmaError::KeyMismatch);
        }
        Ok(Credential { certificate, key })
    }

    /// The certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The private key.
    pub fn key(&self) -> &PrivateKey {
        &self.key
    }

    /// Signs `message` (RSA PKCS#1 v1.5, SHA-256).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, EfirmaError> {
        self.key.sign(message)
    }
}

/// Only PBES2 with PBKDF2 (bounded iterations); PBES1 and scrypt are refused.
fn check_encryption_policy(scheme: &pkcs5::EncryptionScheme) -> Result<(), EfirmaError> {
    let pkcs5::EncryptionScheme::Pbes2(params) = scheme else {
        return Err(EfirmaError::UnsupportedAlgorithm(
            "cifrado PBES1 de la clave".to_owned(),
        ));
    };
    match params.kdf.pbkdf2() {
        Some(pbkdf2) if pbkdf2.iteration_count <= MAX_PBKDF2_ITERATIONS => Ok(()),
        Some(pbkdf2) => Err(EfirmaError::UnsupportedAlgorithm(format!(
            "PBKDF2 con {} iteraciones (máximo {MAX_PBKDF2_ITERATIONS})",
            pbkdf2.iteration_count
        ))),
        None => Err(EfirmaError::UnsupportedAlgorithm(
            "derivación de clave distinta de PBKDF2".to_owned(),
        )),
    }
}

/// The algorithm OID of something shaped like EncryptedPrivateKeyInfo that pkcs8 could not
/// read (PBES1 or PKCS#12 schemes), to report it as unsupported rather than malformed.
fn encrypted_with_unknown_scheme(der_bytes: &[u8]) -> Option<pkcs8::ObjectIdentifier> {
    use der::Reader;
    let mut reader = der::SliceReader::new(der_bytes).ok()?;
    reader
        .sequence(|r| {
            let algorithm: pkcs8::spki::AlgorithmIdentifierOwned = r.decode()?;
            let _data: &der::asn1::OctetStringRef = r.decode()?;
            Ok::<_, der::Error>(algorithm.oid)
        })
        .ok()
}

fn to_der(bytes: &[u8]) -> Result<Zeroizing<Vec<u8>>, EfirmaError> {
    let trimmed = bytes.trim_ascii_start();
    if trimmed.starts_with(b"-----BEGIN") {
        return pem_body(
            trimmed,
            &["ENCRYPTED PRIVATE KEY", "PRIVATE KEY", "RSA PRIVATE KEY"],
        )
        .map(Zeroizing::new)
        .map_err(EfirmaError::MalformedKey);
    }
    Ok(Zeroizing::new(bytes.to_vec()))
}
