//! The signed-act pipeline end to end, natively: real e.firma credentials (the project's demo CA
//! and SAT's test credentials), real verification, the in-memory store.

use avisos_acts::act::{ActContext, ActSpec, SignedActRequest, verify_signed_act};
use avisos_acts::acuse::{self, Dato};
use avisos_acts::config::{RawConfig, ServiceConfig};
use avisos_acts::seal::ServiceSeal;
use avisos_acts::session::{self, Role};
use avisos_acts::terms::{self, TermsId};
use avisos_acts::{nonce, pdf};
use avisos_kv::{KeyValue, MemoryKv};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use efirma::{Certificate, PrivateKey};
use serde_json::json;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Signer {
    cert: Vec<u8>,
    key: PrivateKey,
    rfc: String,
}

fn demo(rfc: &str) -> Signer {
    let dir = root().join("static/demo/efirma").join(rfc);
    let cert = std::fs::read(dir.join("certificado.cer")).unwrap();
    let key =
        PrivateKey::decrypt(&std::fs::read(dir.join("clave.key")).unwrap(), b"demo12345").unwrap();
    Signer {
        cert,
        key,
        rfc: rfc.into(),
    }
}

fn sat(folder: &str) -> Signer {
    let dir = root().join("shared/efirma/testdata/sat").join(folder);
    let cert = std::fs::read(dir.join("certificate.cer")).unwrap();
    let password = std::fs::read(dir.join("password.txt")).unwrap();
    let key = PrivateKey::decrypt(
        &std::fs::read(dir.join("private_key.key")).unwrap(),
        &password,
    )
    .unwrap();
    let rfc = Certificate::parse(&cert)
        .unwrap()
        .rfc()
        .unwrap()
        .to_string();
    Signer { cert, key, rfc }
}

fn config() -> ServiceConfig {
    ServiceConfig::from_raw(&RawConfig {
        modo: "demo".into(),
        confianza_efirma: "demo,sat-pruebas".into(),
        efirma_revocados: "90001000000100000004".into(),
        analistas: "AIGL850215QR5".into(),
        ..RawConfig::default()
    })
    .unwrap()
}

fn now() -> DateTime<Utc> {
    // Inside the demo certificates' validity and SAT's 2023 test set (until May 2027).
    Utc::now()
}

const ACCION: &str = "ACEPTACION_TERMINOS";

/// Builds a signed request the way a client does.
fn signed(
    kv: &MemoryKv,
    s: &Signer,
    at: DateTime<Utc>,
    accion: &'static str,
) -> (SignedActRequest, ActSpec) {
    let n = nonce::issue(kv, &s.rfc, accion, at, rand_bytes()).unwrap();
    let t = terms::current(TermsId::RelacionesDeConfianza);
    let datos = json!({"servicio": "relaciones-de-confianza"});
    let spec = ActSpec::from_datos(
        accion,
        Some(TermsId::RelacionesDeConfianza),
        &["servicio"],
        datos.as_object().unwrap(),
    )
    .unwrap();
    let fecha = avisos_acts::iso(at);
    let cadena = spec.cadena(&s.rfc, &fecha, &n.nonce, &t.sha256);
    let firma = s.key.sign(cadena.as_bytes()).unwrap();
    let req = SignedActRequest {
        rfc: s.rfc.clone(),
        nonce: n.nonce,
        fecha,
        datos: datos.as_object().unwrap().clone(),
        acepto_terminos: true,
        terminos_sha256: Some(t.sha256),
        certificado: B64.encode(&s.cert),
        firma: B64.encode(firma),
    };
    (req, spec)
}

fn rand_bytes() -> [u8; 24] {
    use std::sync::atomic::{AtomicU8, Ordering};
    static N: AtomicU8 = AtomicU8::new(0);
    [N.fetch_add(1, Ordering::SeqCst); 24]
}

#[test]
fn valid_act_yields_a_sealed_acuse_whose_pdf_shows_the_folio() {
    let kv = MemoryKv::new();
    let cfg = config();
    let ctx = ActContext {
        kv: &kv,
        config: &cfg,
        now: now(),
        client: "10.0.0.1".into(),
        chain_key: None,
    };
    let s = demo("EDE200101AB0");
    let (req, spec) = signed(&kv, &s, now(), ACCION);
    let act = verify_signed_act(&ctx, &req, spec).unwrap();
    assert_eq!(act.identity.rfc, "EDE200101AB0");
    assert_eq!(act.identity.name, "EMPRESA DEMOSTRACION SA DE CV");

    let seal = ServiceSeal::from_pem(include_str!("../testdata/sello-pruebas.pem")).unwrap();
    let record = acuse::issue(
        &kv,
        &seal,
        &act,
        "Aceptación de Términos y Condiciones",
        vec![Dato::new("Servicio", "Relaciones de confianza")],
        now(),
    )
    .unwrap();
    let folio = record.folio.clone();
    assert!(record.seal_verifies(seal.public_key_pem()));

    // Owner can load it; another RFC cannot tell it exists.
    let (_, owner) = session::issue(b"k", "EDE200101AB0", "E", Role::Patron, now(), [1; 16]);
    let (_, other) = session::issue(b"k", "DELP900303MN5", "L", Role::Patron, now(), [2; 16]);
    assert_eq!(acuse::load_for_owner(&kv, &folio, &owner).unwrap(), record);
    assert_eq!(
        acuse::load_for_owner(&kv, &folio, &other).unwrap_err(),
        avisos_acts::ActError::AcuseNotFound
    );

    // Tampering with the stored data breaks the seal.
    let mut forged = record.clone();
    forged.nombre = "OTRA EMPRESA".into();
    assert!(!forged.seal_verifies(seal.public_key_pem()));

    // The PDF parses back, shows the folio and carries the seal.
    let bytes = pdf::render(&record);
    let doc = lopdf::Document::load_mem(&bytes).unwrap();
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let text = doc.extract_text(&pages).unwrap();
    assert!(text.contains(&format!("Folio: {folio}")), "{text}");
    assert!(text.contains("EMPRESA DEMOSTRACION SA DE CV"));
    let info_ref = doc.trailer.get(b"Info").unwrap().as_reference().unwrap();
    let info = doc.get_dictionary(info_ref).unwrap();
    let sello = info.get(b"AvisosSello").unwrap().as_str().unwrap();
    assert_eq!(sello, record.sello.as_bytes());
}

/// The key of the kept chains, as the portal derives it from the session key.
fn chain_key() -> Option<avisos_acts::secret::HmacKey> {
    avisos_acts::chains::key_from_session_key(b"clave-de-sesion-solo-para-pruebas-0123456789")
}

/// Chains kept in the store make the second act of a certificate cheaper, never different: the
/// same identity, a revocation or a change of trusted authorities still refuses, and a kept
/// chain altered by anyone without the key is ignored (and replaced).
#[test]
fn kept_chains_change_the_cost_not_the_verdict() {
    let kv = MemoryKv::new();
    let t = now();
    let s = demo("EDE200101AB0");
    let cfg = config();
    let ctx = ActContext {
        kv: &kv,
        config: &cfg,
        now: t,
        client: "10.0.0.1".into(),
        chain_key: chain_key(),
    };
    let (req, spec) = signed(&kv, &s, t, ACCION);
    let first = verify_signed_act(&ctx, &req, spec).unwrap().identity;
    let kept_key = format!(
        "efirma:cadena:{}",
        efirma::to_hex(&first.certificate_fingerprint_sha256)
    );
    let kept = kv.get(&kept_key).unwrap().expect("the chain was kept");
    let (req, spec) = signed(&kv, &s, t, ACCION);
    assert_eq!(verify_signed_act(&ctx, &req, spec).unwrap().identity, first);
    assert_eq!(
        kv.get(&kept_key).unwrap().as_ref(),
        Some(&kept),
        "read, not rewritten"
    );

    // The certificate revoked since: refused, kept chain or not.
    let revoking = ServiceConfig::from_raw(&RawConfig {
        modo: "demo".into(),
        confianza_efirma: "demo,sat-pruebas".into(),
        efirma_revocados: first.certificate_number.clone(),
        ..RawConfig::default()
    })
    .unwrap();
    let (req, spec) = signed(&kv, &s, t, ACCION);
    let e = verify_signed_act(
        &ActContext {
            config: &revoking,
            ..ctx_clone(&ctx)
        },
        &req,
        spec,
    );
    assert_eq!(e.unwrap_err().codigo(), "EFIRMA_CERT_REVOCADO");
    // Its authority no longer trusted: refused.
    let sat_only = ServiceConfig::from_raw(&RawConfig {
        modo: "demo".into(),
        confianza_efirma: "sat-pruebas".into(),
        ..RawConfig::default()
    })
    .unwrap();
    let (req, spec) = signed(&kv, &s, t, ACCION);
    let e = verify_signed_act(
        &ActContext {
            config: &sat_only,
            ..ctx_clone(&ctx)
        },
        &req,
        spec,
    );
    assert!(e.unwrap_err().codigo().starts_with("EFIRMA_"));

    // Altered without the key: ignored, the full verification runs and keeps a good one again.
    let mut altered: serde_json::Value = serde_json::from_slice(&kept).unwrap();
    altered["ruta"][0] = json!("00".repeat(32));
    kv.set(&kept_key, &serde_json::to_vec(&altered).unwrap())
        .unwrap();
    let (req, spec) = signed(&kv, &s, t, ACCION);
    assert_eq!(verify_signed_act(&ctx, &req, spec).unwrap().identity, first);
    assert_eq!(kv.get(&kept_key).unwrap(), Some(kept));
}

fn ctx_clone<'a>(ctx: &ActContext<'a>) -> ActContext<'a> {
    ActContext {
        kv: ctx.kv,
        config: ctx.config,
        now: ctx.now,
        client: ctx.client.clone(),
        chain_key: ctx.chain_key.clone(),
    }
}

fn refuse(kv: &MemoryKv, req: &SignedActRequest, spec: ActSpec, at: DateTime<Utc>) -> String {
    let cfg = config();
    let ctx = ActContext {
        kv,
        config: &cfg,
        now: at,
        client: "10.0.0.1".into(),
        chain_key: chain_key(),
    };
    verify_signed_act(&ctx, req, spec)
        .unwrap_err()
        .codigo()
        .to_owned()
}

#[test]
fn refusals_each_with_their_code() {
    let kv = MemoryKv::new();
    let t = now();
    let s = demo("EDE200101AB0");

    // CSD (SAT test CSD valid until 2027).
    let csd = sat("CSD_EKU9003173C9_30001000000500003416");
    let (req, spec) = signed(&kv, &csd, t, ACCION);
    assert_eq!(refuse(&kv, &req, spec, t), "EFIRMA_NO_ES_FIEL");

    // Expired FIEL (SAT 2019 test set).
    let old = sat("FIEL_EKU9003173C9_30001000000400002417");
    let (req, spec) = signed(&kv, &old, t, ACCION);
    assert_eq!(refuse(&kv, &req, spec, t), "EFIRMA_CERT_VENCIDO");

    // Revoked (config revokes the second demo developer).
    let revoked = demo("SDN180301K23");
    let (req, spec) = signed(&kv, &revoked, t, ACCION);
    assert_eq!(refuse(&kv, &req, spec, t), "EFIRMA_CERT_REVOCADO");

    // Certificate of another RFC than the one claimed.
    let (mut req, spec) = signed(&kv, &s, t, ACCION);
    req.certificado = B64.encode(&demo("DELP900303MN5").cert);
    assert_eq!(refuse(&kv, &req, spec, t), "EFIRMA_RFC_NO_COINCIDE");

    // Data changed after signing.
    let (mut req, _) = signed(&kv, &s, t, ACCION);
    req.datos.insert("servicio".into(), json!("otro"));
    let spec = ActSpec::from_datos(
        ACCION,
        Some(TermsId::RelacionesDeConfianza),
        &["servicio"],
        &req.datos,
    )
    .unwrap();
    assert_eq!(refuse(&kv, &req, spec, t), "EFIRMA_FIRMA_INVALIDA");

    // Reused nonce.
    let (req, spec) = signed(&kv, &s, t, ACCION);
    let cfg = config();
    verify_signed_act(
        &ActContext {
            kv: &kv,
            config: &cfg,
            now: t,
            client: "10.0.0.1".into(),
            chain_key: None,
        },
        &req,
        spec.clone(),
    )
    .unwrap();
    assert_eq!(refuse(&kv, &req, spec, t), "NONCE_USADO");

    // Expired nonce (signed on time, sent too late) and stale fecha.
    let (req, spec) = signed(&kv, &s, t, ACCION);
    assert_eq!(
        refuse(
            &kv,
            &req,
            spec,
            t + Duration::seconds(nonce::TTL_SECONDS + 1)
        ),
        "FECHA_FUERA_DE_RANGO"
    );
    let (mut req, spec) = signed(&kv, &s, t - Duration::seconds(200), ACCION);
    // Re-sign with a fresh fecha so only the nonce is stale.
    let fecha = avisos_acts::iso(t + Duration::seconds(150));
    let terms_hash = terms::current(TermsId::RelacionesDeConfianza).sha256;
    req.fecha = fecha.clone();
    req.firma = B64.encode(
        s.key
            .sign(
                spec.cadena(&s.rfc, &fecha, &req.nonce, &terms_hash)
                    .as_bytes(),
            )
            .unwrap(),
    );
    assert_eq!(
        refuse(&kv, &req, spec, t + Duration::seconds(150)),
        "NONCE_EXPIRADO"
    );

    // Nonce of another action.
    let n = nonce::issue(&kv, &s.rfc, "INICIO_SESION", t, [99; 24]).unwrap();
    let (mut req, spec) = signed(&kv, &s, t, ACCION);
    req.nonce = n.nonce.clone();
    req.firma = B64.encode(
        s.key
            .sign(
                spec.cadena(&s.rfc, &req.fecha, &n.nonce, &terms_hash)
                    .as_bytes(),
            )
            .unwrap(),
    );
    assert_eq!(refuse(&kv, &req, spec, t), "NONCE_OTRA_ACCION");

    // Terms not accepted, or an outdated hash.
    let (mut req, spec) = signed(&kv, &s, t, ACCION);
    req.acepto_terminos = false;
    assert_eq!(refuse(&kv, &req, spec, t), "TERMINOS_NO_ACEPTADOS");
    let (mut req, spec) = signed(&kv, &s, t, ACCION);
    req.terminos_sha256 = Some("0".repeat(64));
    assert_eq!(refuse(&kv, &req, spec, t), "TERMINOS_DESACTUALIZADOS");

    // Garbage certificate.
    let (mut req, spec) = signed(&kv, &s, t, ACCION);
    req.certificado = B64.encode(b"not a certificate");
    assert_eq!(refuse(&kv, &req, spec, t), "EFIRMA_CERT_MALFORMADO");
}

#[test]
fn a_refused_act_does_not_consume_its_nonce() {
    let kv = MemoryKv::new();
    let t = now();
    let s = demo("EDE200101AB0");
    let (mut req, spec) = signed(&kv, &s, t, ACCION);
    let good = req.firma.clone();
    req.firma = B64.encode(vec![0u8; 256]);
    assert_eq!(refuse(&kv, &req, spec.clone(), t), "EFIRMA_FIRMA_INVALIDA");
    req.firma = good;
    let cfg = config();
    verify_signed_act(
        &ActContext {
            kv: &kv,
            config: &cfg,
            now: t,
            client: "10.0.0.1".into(),
            chain_key: None,
        },
        &req,
        spec,
    )
    .unwrap();
}

/// A store where every request still finds no refused signature of its pair counted, as when a
/// burst of requests all pass the check before the first of them fails.
struct BurstKv(MemoryKv);

impl KeyValue for BurstKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, avisos_kv::KvError> {
        self.0.get(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), avisos_kv::KvError> {
        self.0.set(key, value)
    }
    fn delete(&self, key: &str) -> Result<(), avisos_kv::KvError> {
        self.0.delete(key)
    }
    fn exists(&self, key: &str) -> Result<bool, avisos_kv::KvError> {
        if key.starts_with("limite:firmas_fallidas:") {
            return Ok(false);
        }
        self.0.exists(key)
    }
    fn increment(&self, key: &str, delta: i64) -> Result<i64, avisos_kv::KvError> {
        self.0.increment(key, delta)
    }
    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<bool, avisos_kv::KvError> {
        self.0.compare_and_swap(key, expected, new)
    }
}

#[test]
fn a_burst_of_refused_signatures_gets_no_more_refusals_than_the_limit() {
    let kv = BurstKv(MemoryKv::new());
    let t = now();
    let cfg = ServiceConfig::from_raw(&RawConfig {
        modo: "demo".into(),
        confianza_efirma: "demo".into(),
        limites: "firmas_fallidas=3/60".into(),
        ..RawConfig::default()
    })
    .unwrap();
    let ctx = ActContext {
        kv: &kv,
        config: &cfg,
        now: t,
        client: "10.0.0.9".into(),
        chain_key: None,
    };
    let s = demo("EDE200101AB0");
    let codes: Vec<String> = (0..6)
        .map(|_| {
            let (mut req, spec) = signed(&kv.0, &s, t, ACCION);
            req.certificado = B64.encode(b"junk");
            verify_signed_act(&ctx, &req, spec)
                .unwrap_err()
                .codigo()
                .to_owned()
        })
        .collect();
    assert_eq!(
        codes,
        [
            "EFIRMA_CERT_MALFORMADO",
            "EFIRMA_CERT_MALFORMADO",
            "EFIRMA_CERT_MALFORMADO",
            "LIMITE_EXCEDIDO",
            "LIMITE_EXCEDIDO",
            "LIMITE_EXCEDIDO"
        ]
    );
    // Another client is not charged for this one's burst.
    let other = ActContext {
        client: "10.0.0.10".into(),
        ..ctx_clone(&ctx)
    };
    let (req, spec) = signed(&kv.0, &s, t, ACCION);
    assert!(verify_signed_act(&other, &req, spec).is_ok());
}
