//! The service's seal: an RSA-2048+ key of the service (secret Spin variable `llave_sello`, PKCS#8
//! PEM) that signs every acuse's cadena with PKCS#1 v1.5 SHA-256. Its public half is published
//! (`GET /api/v1/sello`), so anyone can check an acuse offline (`efirma verificar-acuse`).

use crate::ActError;
use avisos_kv::KeyValue;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::Sha256;

use crate::config::Mode;

/// Smallest seal key accepted.
pub const MIN_BITS: usize = 2048;

#[derive(Clone)]
pub struct ServiceSeal {
    signer: SigningKey<Sha256>,
    public_pem: String,
    fingerprint: String,
}

impl std::fmt::Debug for ServiceSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceSeal")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

impl ServiceSeal {
    /// Loads a PKCS#8 PEM private key.
    pub fn from_pem(pem: &str) -> Result<ServiceSeal, ActError> {
        let key = RsaPrivateKey::from_pkcs8_pem(pem.trim())
            .map_err(|_| ActError::Misconfigured("llave_sello"))?;
        if (key.n().bits_vartime() as usize) < MIN_BITS {
            return Err(ActError::Misconfigured("llave_sello"));
        }
        let public = key.to_public_key();
        let der = public
            .to_public_key_der()
            .map_err(|_| ActError::Misconfigured("llave_sello"))?;
        let public_pem = public
            .to_public_key_pem(LineEnding::LF)
            .map_err(|_| ActError::Misconfigured("llave_sello"))?;
        Ok(ServiceSeal {
            signer: SigningKey::<Sha256>::new(key),
            public_pem,
            fingerprint: crate::sha256_hex(der.as_bytes()),
        })
    }

    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, ActError> {
        self.signer
            .try_sign(message)
            .map(|s| s.to_vec())
            .map_err(|_| ActError::Internal("seal signing failed".into()))
    }

    /// SubjectPublicKeyInfo PEM of the seal key.
    pub fn public_key_pem(&self) -> &str {
        &self.public_pem
    }

    /// Hex SHA-256 of the public key's DER (SubjectPublicKeyInfo).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
}

/// Checks a seal with a published public key (PEM). For tests, the CLI and third parties.
pub fn verify(public_pem: &str, message: &[u8], seal: &[u8]) -> bool {
    let Ok(public) = RsaPublicKey::from_public_key_pem(public_pem.trim()) else {
        return false;
    };
    let Ok(signature) = Signature::try_from(seal) else {
        return false;
    };
    VerifyingKey::<Sha256>::new(public)
        .verify(message, &signature)
        .is_ok()
}

/// Generates a new seal key as PKCS#8 PEM (demo mode, tests, `efirma` CLI helpers).
pub fn generate_pem<R: rsa::rand_core::CryptoRng + ?Sized>(
    rng: &mut R,
    bits: usize,
) -> Result<String, ActError> {
    let key =
        RsaPrivateKey::new(rng, bits).map_err(|_| ActError::Internal("keygen failed".into()))?;
    key.to_pkcs8_pem(LineEnding::LF)
        .map(|pem| pem.to_string())
        .map_err(|_| ActError::Internal("pem encoding failed".into()))
}

const DEMO_KEY: &str = "config:demo:llave-sello";

/// The seal: the configured key, or in demo mode one generated on first use and kept in the store
/// (first writer wins). Production requires the variable.
pub fn resolve(
    kv: &dyn KeyValue,
    mode: Mode,
    configured_pem: &str,
    generate: impl FnOnce() -> Result<String, ActError>,
) -> Result<ServiceSeal, ActError> {
    if !configured_pem.trim().is_empty() {
        return ServiceSeal::from_pem(configured_pem);
    }
    if mode == Mode::Produccion {
        return Err(ActError::Misconfigured("llave_sello"));
    }
    let pem = crate::config::demo_secret(kv, DEMO_KEY, || generate().map(String::into_bytes))?;
    ServiceSeal::from_pem(&String::from_utf8_lossy(&pem))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use avisos_kv::MemoryKv;

    /// A fixed test seal key (tests only; generated once with openssl).
    pub(crate) const TEST_SEAL_PEM: &str = include_str!("../testdata/sello-pruebas.pem");

    #[test]
    fn sign_and_verify_with_published_key() {
        let seal = ServiceSeal::from_pem(TEST_SEAL_PEM).unwrap();
        let sig = seal.sign(b"||ACUSE|1||").unwrap();
        assert!(verify(seal.public_key_pem(), b"||ACUSE|1||", &sig));
        assert!(!verify(seal.public_key_pem(), b"||ACUSE|2||", &sig));
        let mut bad = sig.clone();
        bad[10] ^= 1;
        assert!(!verify(seal.public_key_pem(), b"||ACUSE|1||", &bad));
        assert_eq!(seal.fingerprint().len(), 64);
    }

    #[test]
    fn production_requires_the_variable_and_demo_keeps_the_first_key() {
        let kv = MemoryKv::new();
        let e = resolve(&kv, Mode::Produccion, "", || unreachable!()).unwrap_err();
        assert_eq!(e.codigo(), "CONFIGURACION_INVALIDA");
        assert!(ServiceSeal::from_pem("not a key").is_err());
        let a = resolve(&kv, Mode::Demo, "", || Ok(TEST_SEAL_PEM.to_string())).unwrap();
        let b = resolve(&kv, Mode::Demo, "", || panic!("must not generate twice")).unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());
    }
}
