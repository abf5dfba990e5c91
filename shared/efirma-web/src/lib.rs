//! The portal's e.firma signer for the browser: `shared/efirma` compiled to
//! `wasm32-unknown-unknown`, so the private key and its password never leave the user's machine.
//! The page reads the .cer, the .key and the password, this module decrypts the key and signs the
//! cadena original; the page sends only the certificate, the data and the signature.
//!
//! No wasm-bindgen: a plain C ABI ([`abi`]) and ~100 lines of JS glue (`static/efirma.js`) keep
//! the bundle small and the build free of extra tools. Every refusal names the field of the
//! e.firma panel it belongs to ([`Field`]), so the page shows it under that field.
//!
//! Nothing here needs randomness (RSA PKCS#1 v1.5 signing is deterministic) or a clock: the page
//! passes the current instant in.

pub mod abi;
mod json;

use chrono::{DateTime, Utc};
use efirma::{Certificate, CertificateKind, EfirmaError, Persona, PrivateKey};

/// The field of the e.firma panel a refusal belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// «Certificado (.cer)»: unreadable, a CSD, expired or not yet valid.
    Certificate,
    /// «Clave privada (.key)»: unreadable, unsupported, or of another certificate.
    Key,
    /// «Contraseña de la e.firma»: the key does not decrypt with it.
    Password,
}

impl Field {
    /// The name the page uses for the field (`certificado`, `clave`, `contrasena`).
    pub fn name(self) -> &'static str {
        match self {
            Field::Certificate => "certificado",
            Field::Key => "clave",
            Field::Password => "contrasena",
        }
    }

    fn of(error: &EfirmaError) -> Field {
        match error {
            EfirmaError::WrongPassword => Field::Password,
            EfirmaError::MalformedKey(_)
            | EfirmaError::KeyMismatch
            | EfirmaError::UnsupportedAlgorithm(_)
            | EfirmaError::SigningFailed => Field::Key,
            _ => Field::Certificate,
        }
    }
}

/// A refusal: the efirma error and where the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub field: Field,
    pub error: EfirmaError,
}

impl From<EfirmaError> for Refusal {
    fn from(error: EfirmaError) -> Refusal {
        Refusal {
            field: Field::of(&error),
            error,
        }
    }
}

impl Refusal {
    /// `{"codigo", "mensaje", "campo"}`, the API's error contract plus the field.
    pub fn to_json(&self) -> String {
        let mut o = json::Object::new();
        o.str("codigo", self.error.codigo());
        o.str("mensaje", &self.error.mensaje());
        o.str("campo", self.field.name());
        o.finish()
    }
}

/// What the page shows about a certificate before signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub rfc: String,
    pub name: String,
    pub certificate_number: String,
    pub persona: Persona,
    pub representative_rfc: Option<String>,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub issuer: String,
}

impl Summary {
    pub fn to_json(&self) -> String {
        let mut o = json::Object::new();
        self.write(&mut o);
        o.finish()
    }

    fn write(&self, o: &mut json::Object) {
        o.str("rfc", &self.rfc);
        o.str("nombre", &self.name);
        o.str("numero_certificado", &self.certificate_number);
        o.str(
            "persona",
            match self.persona {
                Persona::Moral => "moral",
                Persona::Fisica => "fisica",
            },
        );
        o.opt_str("rfc_representante", self.representative_rfc.as_deref());
        o.str("vigente_desde", &self.not_before.to_rfc3339());
        o.str("vigente_hasta", &self.not_after.to_rfc3339());
        o.str("emisor", &self.issuer);
    }
}

/// Reads a certificate and checks what can be checked without the trust anchors: it is an
/// e.firma (not a CSD) with an RFC, valid at `now`. The service checks the chain and revocation.
pub fn summary(certificate: &[u8], now: DateTime<Utc>) -> Result<Summary, Refusal> {
    let cert = Certificate::parse(certificate)?;
    if cert.kind() != CertificateKind::Fiel {
        return Err(EfirmaError::NotEfirma(cert.kind()).into());
    }
    if now > cert.not_after() {
        return Err(EfirmaError::Expired {
            not_after: cert.not_after(),
        }
        .into());
    }
    if now < cert.not_before() {
        return Err(EfirmaError::NotYetValid {
            not_before: cert.not_before(),
        }
        .into());
    }
    let rfc = cert
        .rfc()
        .ok_or(EfirmaError::NotEfirma(CertificateKind::Other))?
        .to_uppercase();
    Ok(Summary {
        rfc,
        name: cert.name().to_owned(),
        certificate_number: cert.certificate_number().to_owned(),
        persona: cert.persona(),
        representative_rfc: cert.representative_rfc().map(str::to_uppercase),
        not_before: cert.not_before(),
        not_after: cert.not_after(),
        issuer: cert.issuer_name().to_owned(),
    })
}

/// A signature and the certificate it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub summary: Summary,
    pub signature: Vec<u8>,
}

impl Signed {
    /// `{"firma": base64, "certificado": {summary}}`.
    pub fn to_json(&self) -> String {
        use base64ct::Encoding;
        let mut o = json::Object::new();
        o.str("firma", &base64ct::Base64::encode_string(&self.signature));
        let mut c = json::Object::new();
        self.summary.write(&mut c);
        o.raw("certificado", &c.finish());
        o.finish()
    }
}

/// Checks the certificate, decrypts the key with the password, checks that the key belongs to the
/// certificate and signs `message` (RSA PKCS#1 v1.5, SHA-256). The decrypted key is dropped (and
/// zeroised) before returning.
pub fn sign(
    certificate: &[u8],
    key: &[u8],
    password: &[u8],
    message: &[u8],
    now: DateTime<Utc>,
) -> Result<Signed, Refusal> {
    let summary = summary(certificate, now)?;
    let cert = Certificate::parse(certificate)?;
    let key = PrivateKey::decrypt(key, password)?;
    if !key.matches(&cert) {
        return Err(EfirmaError::KeyMismatch.into());
    }
    let signature = key.sign(message)?;
    Ok(Signed { summary, signature })
}

/// Decodes fields framed as `u32 little-endian length ‖ UTF-8 bytes`, repeated, and builds their
/// cadena original with `efirma::cadena` (the very code the service verifies against).
pub fn cadena_from_frames(frames: &[u8]) -> Option<String> {
    let mut fields = Vec::new();
    let mut rest = frames;
    while !rest.is_empty() {
        let (len, tail) = rest.split_first_chunk::<4>()?;
        let len = usize::try_from(u32::from_le_bytes(*len)).ok()?;
        if tail.len() < len {
            return None;
        }
        let (field, tail) = tail.split_at(len);
        fields.push(std::str::from_utf8(field).ok()?);
        rest = tail;
    }
    Some(efirma::cadena::cadena_original(&fields))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    fn demo(rfc: &str) -> (Vec<u8>, Vec<u8>) {
        let dir = root().join("static/demo/efirma").join(rfc);
        (
            std::fs::read(dir.join("certificado.cer")).unwrap(),
            std::fs::read(dir.join("clave.key")).unwrap(),
        )
    }

    fn now() -> DateTime<Utc> {
        "2026-11-23T18:00:00Z".parse().unwrap()
    }

    #[test]
    fn signs_a_cadena_that_the_certificate_verifies() {
        let (cer, key) = demo("EDE200101AB0");
        let cadena =
            "||AVISOS|1|INICIO_SESION|EDE200101AB0|2026-11-23T12:00:00-06:00|n||rol=patron||";
        let signed = sign(&cer, &key, b"demo12345", cadena.as_bytes(), now()).unwrap();
        assert_eq!(signed.summary.rfc, "EDE200101AB0");
        assert_eq!(signed.summary.persona, Persona::Moral);
        let cert = Certificate::parse(&cer).unwrap();
        cert.verify_signature(cadena.as_bytes(), &signed.signature)
            .unwrap();
        let json = signed.to_json();
        assert!(json.starts_with("{\"firma\":\""), "{json}");
        assert!(json.contains("\"rfc\":\"EDE200101AB0\""), "{json}");
    }

    #[test]
    fn wrong_password_belongs_to_the_password_field() {
        let (cer, key) = demo("DELP900303MN5");
        let r = sign(&cer, &key, b"otra", b"x", now()).unwrap_err();
        assert_eq!(r.field, Field::Password);
        assert_eq!(r.error.codigo(), "EFIRMA_CONTRASENA_INCORRECTA");
        assert!(r.to_json().contains("\"campo\":\"contrasena\""));
    }

    #[test]
    fn key_of_another_certificate_belongs_to_the_key_field() {
        let (cer, _) = demo("EDE200101AB0");
        let (_, other_key) = demo("NDE190512XY6");
        let r = sign(&cer, &other_key, b"demo12345", b"x", now()).unwrap_err();
        assert_eq!((r.field, r.error), (Field::Key, EfirmaError::KeyMismatch));
        let r = sign(&cer, b"not a key", b"demo12345", b"x", now()).unwrap_err();
        assert_eq!(r.field, Field::Key);
    }

    #[test]
    fn csd_garbage_and_expiry_belong_to_the_certificate_field() {
        let csd = root().join("shared/efirma/testdata/sat/CSD_EKU9003173C9_30001000000500003416");
        let csd = std::fs::read(csd.join("certificate.cer")).unwrap();
        let r = summary(&csd, now()).unwrap_err();
        assert_eq!(r.field, Field::Certificate);
        assert_eq!(r.error.codigo(), "EFIRMA_NO_ES_FIEL");
        let r = summary(b"garbage", now()).unwrap_err();
        assert_eq!(r.field, Field::Certificate);
        let (cer, _) = demo("EDE200101AB0");
        let late: DateTime<Utc> = "2099-01-01T00:00:00Z".parse().unwrap();
        let r = summary(&cer, late).unwrap_err();
        assert_eq!(r.error.codigo(), "EFIRMA_CERT_VENCIDO");
        let early: DateTime<Utc> = "2000-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(
            summary(&cer, early).unwrap_err().error.codigo(),
            "EFIRMA_CERT_AUN_NO_VIGENTE"
        );
    }

    #[test]
    fn cadena_frames_round_trip_through_efirma_escaping() {
        let fields = ["AVISOS", "1", "a|b", "línea\nnueva", ""];
        let mut frames = Vec::new();
        for f in fields {
            frames.extend_from_slice(&(f.len() as u32).to_le_bytes());
            frames.extend_from_slice(f.as_bytes());
        }
        assert_eq!(
            cadena_from_frames(&frames).unwrap(),
            efirma::cadena::cadena_original(&fields)
        );
        assert_eq!(cadena_from_frames(&frames[..frames.len() - 1]), None);
        assert_eq!(cadena_from_frames(&[1, 0, 0, 0, 0xff]), None);
        assert_eq!(cadena_from_frames(&[]).unwrap(), "||");
    }
}
