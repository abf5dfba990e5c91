//! The signed-act pipeline every state-changing component calls.
//!
//! Request body (JSON), the same for every act:
//! `{ "rfc", "nonce", "fecha", "datos": { … }, "acepto_terminos", "terminos_sha256",
//!    "certificado": base64 DER, "firma": base64 }`.
//!
//! The cadena original the client signs (RSA PKCS#1 v1.5 SHA-256) is
//! `efirma::cadena::cadena_original` of these fields, in this order:
//! `AVISOS`, `1` (format version), the action, the RFC, the `fecha` exactly as sent, the nonce,
//! the accepted terms' SHA-256 (empty when the act has no terms), then one `name=value` field per
//! datum of the act, in the act's documented order, with values exactly as sent in `datos`.
//! Example: `||AVISOS|1|INICIO_SESION|EDE200101AB0|2026-11-23T12:00:00-06:00|q3…|rol=patron||`.

use crate::ActError;
use avisos_kv::KeyValue;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use efirma::{VerifiedIdentity, VerifyRequest};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::chains;
use crate::config::ServiceConfig;
use crate::limits::Bucket;
use crate::nonce;
use crate::terms::{self, Terms, TermsId};
use sha2::{Digest, Sha256};

pub const CADENA_PREFIX: &str = "AVISOS";
pub const CADENA_VERSION: &str = "1";
/// How far the signed `fecha` may be from the server's clock (the nonce's lifetime).
pub const MAX_SKEW_SECONDS: i64 = nonce::TTL_SECONDS;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedActRequest {
    pub rfc: String,
    pub nonce: String,
    pub fecha: String,
    #[serde(default)]
    pub datos: Map<String, Value>,
    #[serde(default)]
    pub acepto_terminos: bool,
    #[serde(default)]
    pub terminos_sha256: Option<String>,
    /// The signer's certificate, base64 of the DER `.cer`.
    pub certificado: String,
    /// base64 of the RSA PKCS#1 v1.5 SHA-256 signature over the cadena original.
    pub firma: String,
}

/// What an act signs: its action code, its terms, and its data fields in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActSpec {
    pub accion: &'static str,
    pub terms: Option<TermsId>,
    pub fields: Vec<(&'static str, String)>,
}

impl ActSpec {
    /// Takes the act's fields from `datos`, exactly as sent. Missing, non-string or unexpected
    /// fields are refused, so nothing unsigned can ride along.
    pub fn from_datos(
        accion: &'static str,
        terms: Option<TermsId>,
        names: &[&'static str],
        datos: &Map<String, Value>,
    ) -> Result<ActSpec, ActError> {
        if let Some(extra) = datos.keys().find(|k| !names.contains(&k.as_str())) {
            return Err(ActError::UnexpectedField(extra.clone()));
        }
        let mut fields = Vec::with_capacity(names.len());
        for name in names {
            match datos.get(*name) {
                Some(Value::String(v)) => fields.push((*name, v.clone())),
                Some(_) => {
                    return Err(ActError::FieldNotText(name));
                }
                None => {
                    return Err(ActError::MissingField(name));
                }
            }
        }
        Ok(ActSpec {
            accion,
            terms,
            fields,
        })
    }

    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The cadena original (see the module documentation).
    pub fn cadena(&self, rfc: &str, fecha: &str, nonce: &str, terms_sha256: &str) -> String {
        let mut parts: Vec<String> = vec![
            CADENA_PREFIX.into(),
            CADENA_VERSION.into(),
            self.accion.into(),
            rfc.into(),
            fecha.into(),
            nonce.into(),
            terms_sha256.into(),
        ];
        parts.extend(self.fields.iter().map(|(n, v)| format!("{n}={v}")));
        efirma::cadena::cadena_original(&parts)
    }
}

/// A verified, nonce-consumed act, ready to be performed and sealed.
#[derive(Debug, Clone)]
pub struct VerifiedAct {
    pub identity: VerifiedIdentity,
    pub spec: ActSpec,
    pub cadena: String,
    pub firma_b64: String,
    pub fecha: DateTime<Utc>,
    pub terms: Option<Terms>,
}

/// Everything a verification depends on.
pub struct ActContext<'a> {
    pub kv: &'a dyn KeyValue,
    pub config: &'a ServiceConfig,
    pub now: DateTime<Utc>,
    /// The address the request came from (`ServiceConfig::client_address`): what unverified
    /// traffic is charged to.
    pub client: String,
    /// The key that authenticates the chains kept in the store ([`crate::chains`]); `None`:
    /// every act verifies the whole chain.
    pub chain_key: Option<crate::secret::HmacKey>,
}

/// Rebuilds the cadena, verifies the e.firma (FIEL, valid now, chains to the configured
/// authorities, not revoked, RFC = actor) and the signature, then consumes the nonce.
pub fn verify_signed_act(
    ctx: &ActContext<'_>,
    req: &SignedActRequest,
    spec: ActSpec,
) -> Result<VerifiedAct, ActError> {
    let rfc = req.rfc.trim();
    if rfc.is_empty() || rfc != rfc.to_uppercase() {
        return Err(ActError::SignerRfc);
    }
    let terms = match spec.terms {
        None => None,
        Some(id) => {
            let current = terms::current(id);
            if !req.acepto_terminos {
                return Err(ActError::TermsNotAccepted);
            }
            if req.terminos_sha256.as_deref() != Some(current.sha256.as_str()) {
                return Err(ActError::TermsOutdated);
            }
            Some(current)
        }
    };
    let fecha = DateTime::parse_from_rfc3339(req.fecha.trim())
        .map_err(|_| ActError::DateInvalid)?
        .with_timezone(&Utc);
    if (ctx.now - fecha).abs() > Duration::seconds(MAX_SKEW_SECONDS) {
        return Err(ActError::DateOutOfRange);
    }
    // Until a signature verifies, nothing is charged to the RFC (anyone can type it): the
    // client pays for its requests, and the pair RFC + client for its refused signatures.
    let limits = &ctx.config.limits;
    limits.admit(ctx.kv, Bucket::ActosCliente, &ctx.client, ctx.now)?;
    let pair = crate::limits::rfc_and_client(rfc, &ctx.client);
    limits.check(ctx.kv, Bucket::FirmasFallidas, &pair, ctx.now)?;
    let terms_hash = terms.as_ref().map(|t| t.sha256.as_str()).unwrap_or("");
    let cadena = spec.cadena(rfc, &req.fecha, &req.nonce, terms_hash);
    let identity = match verify_signature(ctx, req, rfc, &cadena) {
        Ok(identity) => identity,
        Err(e) => {
            // Counted before it is answered: requests that all passed `check` before any of
            // them failed (a burst) are answered 429 once the count runs over, so no more than
            // the limit of refused signatures is ever answered per window, at any concurrency.
            // Best effort: a lost count only gives this client one more try.
            return match limits.admit(ctx.kv, Bucket::FirmasFallidas, &pair, ctx.now) {
                Err(limited @ ActError::RateLimited { .. }) => Err(limited),
                _ => Err(e),
            };
        }
    };
    nonce::consume(ctx.kv, &req.nonce, rfc, spec.accion, ctx.now)?;
    // Proven: the act is the RFC's own, and counts toward its limit (logins apart).
    let bucket = if spec.accion == actions::INICIO_SESION {
        Bucket::Sesiones
    } else {
        Bucket::Actos
    };
    limits.admit(ctx.kv, bucket, rfc, ctx.now)?;
    Ok(VerifiedAct {
        identity,
        spec,
        cadena,
        firma_b64: req.firma.trim().to_string(),
        fecha,
        terms,
    })
}

/// Decodes the certificate and the signature and verifies them over `cadena`.
fn verify_signature(
    ctx: &ActContext<'_>,
    req: &SignedActRequest,
    rfc: &str,
    cadena: &str,
) -> Result<VerifiedIdentity, ActError> {
    let certificate = crate::b64()
        .decode(req.certificado.trim())
        .map_err(|_| ActError::CertificateEncoding)?;
    let signature = crate::b64()
        .decode(req.firma.trim())
        .map_err(|_| ActError::SignatureEncoding)?;
    // The chain kept from an earlier act of this certificate, if any (crate::chains).
    let fingerprint: [u8; 32] = Sha256::digest(&certificate).into();
    let kept = ctx.chain_key.as_ref().map(|key| {
        let configuracion = chains::configuration(ctx.config.trust(), &ctx.config.revocations);
        (key, configuracion)
    });
    let known = kept
        .as_ref()
        .and_then(|(key, conf)| chains::load(ctx.kv, key, &fingerprint, conf));
    let request = VerifyRequest::new(
        &certificate,
        ctx.config.trust(),
        ctx.now,
        &ctx.config.revocations,
        cadena.as_bytes(),
        &signature,
    )
    .expected_rfc(rfc)
    .known_chain(known.as_ref());
    let (identity, chain) = efirma::verify_recording(&request).map_err(ActError::Efirma)?;
    if let (None, Some((key, conf))) = (&known, &kept) {
        chains::keep(ctx.kv, key, &chain, conf);
    }
    Ok(identity)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cadena_has_the_documented_shape() {
        let datos = json!({"rol": "patron"});
        let spec = ActSpec::from_datos("INICIO_SESION", None, &["rol"], datos.as_object().unwrap())
            .unwrap();
        assert_eq!(
            spec.cadena("EDE200101AB0", "2026-11-23T12:00:00-06:00", "abc", ""),
            "||AVISOS|1|INICIO_SESION|EDE200101AB0|2026-11-23T12:00:00-06:00|abc||rol=patron||"
        );
    }

    #[test]
    fn actor_rfc_validation() {
        use crate::config::Mode;
        assert_eq!(
            validate_actor_rfc(" ede200101ab0 ", Mode::Produccion).unwrap(),
            "EDE200101AB0"
        );
        assert_eq!(
            validate_actor_rfc("EDE200101AB1", Mode::Produccion)
                .unwrap_err()
                .codigo(),
            "RFC_DIGITO_VERIFICADOR"
        );
        assert!(validate_actor_rfc("AAA010101AAA", Mode::Demo).is_ok());
        assert!(validate_actor_rfc("AAA010101AAA", Mode::Produccion).is_err());
        assert!(validate_actor_rfc("XAXX010101000", Mode::Demo).is_err());
        assert!(actions::is_known("INICIO_SESION"));
        assert!(!actions::is_known("BORRAR_TODO"));
    }

    #[test]
    fn datos_are_strict() {
        let names = ["a", "b"];
        let code = |v: Value| {
            ActSpec::from_datos("X", None, &names, v.as_object().unwrap())
                .unwrap_err()
                .codigo()
        };
        assert_eq!(code(json!({"a": "1"})), "DATO_FALTANTE");
        assert_eq!(code(json!({"a": "1", "b": 2})), "DATO_INVALIDO");
        assert_eq!(
            code(json!({"a": "1", "b": "2", "c": "3"})),
            "DATO_NO_ESPERADO"
        );
        let ok = ActSpec::from_datos(
            "X",
            None,
            &names,
            json!({"b": "2", "a": "1"}).as_object().unwrap(),
        )
        .unwrap();
        assert_eq!(
            ok.fields,
            vec![("a", "1".to_string()), ("b", "2".to_string())]
        );
        assert_eq!(ok.field("b"), Some("2"));
    }
}

/// Every action a nonce can be issued for. Each state-changing component adds its own here.
pub mod actions {
    pub const INICIO_SESION: &str = "INICIO_SESION";
    pub const ACEPTACION_TERMINOS: &str = "ACEPTACION_TERMINOS";

    /// Relaciones de confianza (shared/relations).
    pub const GENERAR_CONTRASENA: &str = "GENERAR_CONTRASENA";
    pub const CANCELAR_CONTRASENA: &str = "CANCELAR_CONTRASENA";
    pub const ADICIONAR_RELACION: &str = "ADICIONAR_RELACION";
    pub const CANCELAR_RELACION: &str = "CANCELAR_RELACION";
    pub const REGISTRAR_DESARROLLADOR: &str = "REGISTRAR_DESARROLLADOR";

    /// Certificación para desarrolladores (shared/certification).
    pub const SOLICITAR_CERTIFICACION: &str = "SOLICITAR_CERTIFICACION";
    pub const ACEPTAR_APROBACION: &str = "ACEPTAR_APROBACION";
    pub const CANCELAR_CERTIFICACION: &str = "CANCELAR_CERTIFICACION";
    pub const DICTAMINAR_CERTIFICACION: &str = "DICTAMINAR_CERTIFICACION";

    /// Avisos (shared/notices): the analyst publishes an employer's avisos.
    pub const PUBLICAR_AVISOS: &str = "PUBLICAR_AVISOS";

    pub const ALL: &[&str] = &[
        INICIO_SESION,
        ACEPTACION_TERMINOS,
        GENERAR_CONTRASENA,
        CANCELAR_CONTRASENA,
        ADICIONAR_RELACION,
        CANCELAR_RELACION,
        REGISTRAR_DESARROLLADOR,
        SOLICITAR_CERTIFICACION,
        ACEPTAR_APROBACION,
        CANCELAR_CERTIFICACION,
        DICTAMINAR_CERTIFICACION,
        PUBLICAR_AVISOS,
    ];

    pub fn is_known(accion: &str) -> bool {
        ALL.contains(&accion)
    }
}

/// Validates an actor's RFC as typed (upper case, format and check digit). SAT's test RFCs are
/// accepted only in demo mode; generic RFCs never identify an actor.
pub fn validate_actor_rfc(rfc: &str, mode: crate::config::Mode) -> Result<String, ActError> {
    let normalized = efirma::rfc::normalize_rfc(rfc);
    let policy = match mode {
        crate::config::Mode::Demo => efirma::rfc::RfcPolicy::TEST,
        crate::config::Mode::Produccion => efirma::rfc::RfcPolicy::STRICT,
    };
    efirma::rfc::validate_rfc(&normalized, policy).map_err(ActError::Rfc)?;
    Ok(normalized)
}
