//! Each refusal is its own test and its own error.

mod common;

use std::collections::HashSet;
use std::sync::OnceLock;

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::forge::{self, ISSUER, SPKI, SUBJECT};
use common::{CSD_EKU, FIEL_CACX, FIEL_EKU, credential, read};
use efirma::{
    Certificate, CertificateKind, Credential, EfirmaError, PrivateKey, RevocationList,
    TrustAnchors, VerifyRequest, cadena::cadena_original, verify,
};

const PASSWORD: &[u8] = b"12345678a";

/// A fixed instant inside the 2023 test FIEL's validity and its CA's.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap()
}

fn message() -> String {
    cadena_original(&[
        "RELACION_ALTA",
        "EKU9003173C9",
        "DEV010101AAA",
        "nonce-5f2c",
    ])
}

struct Signed {
    certificate: Vec<u8>,
    signature: Vec<u8>,
}

fn eku() -> &'static Signed {
    static SIGNED: OnceLock<Signed> = OnceLock::new();
    SIGNED.get_or_init(|| {
        let fixture = credential(FIEL_EKU);
        let credential =
            Credential::open(&fixture.certificate_bytes(), &fixture.key_bytes(), PASSWORD).unwrap();
        Signed {
            certificate: fixture.certificate_bytes(),
            signature: credential.sign(message().as_bytes()).unwrap(),
        }
    })
}

fn verify_eku(
    certificate: &[u8],
    anchors: &TrustAnchors,
    at: DateTime<Utc>,
    revocations: &RevocationList,
    msg: &[u8],
    signature: &[u8],
) -> Result<efirma::VerifiedIdentity, EfirmaError> {
    verify(&VerifyRequest::new(
        certificate,
        anchors,
        at,
        revocations,
        msg,
        signature,
    ))
}

#[test]
fn the_genuine_signature_is_accepted() {
    let s = eku();
    let identity = verify(
        &VerifyRequest::new(
            &s.certificate,
            &TrustAnchors::sat_test(),
            now(),
            &RevocationList::new(),
            message().as_bytes(),
            &s.signature,
        )
        .expected_rfc("eku9003173c9"),
    )
    .unwrap();
    assert_eq!(identity.rfc, "EKU9003173C9");
    assert_eq!(
        identity.representative_rfc.as_deref(),
        Some("VADA800927DJ3")
    );
    assert_eq!(identity.curp, None);
    assert_eq!(
        identity.representative_curp.as_deref(),
        Some("VADA800927HSRSRL05")
    );
    assert_eq!(identity.persona, efirma::Persona::Moral);
    assert_eq!(identity.certificate_number, "30001000000500003415");
    assert_eq!(identity.issuer_name, "AC UAT");
}

#[test]
fn wrong_password() {
    let fixture = credential(FIEL_EKU);
    for password in [&b"12345678b"[..], b"", b"12345678a "] {
        let err = PrivateKey::decrypt(&fixture.key_bytes(), password).unwrap_err();
        assert_eq!(err, EfirmaError::WrongPassword);
        assert_eq!(err.codigo(), "EFIRMA_CONTRASENA_INCORRECTA");
    }
}

#[test]
fn key_of_another_certificate() {
    let eku = credential(FIEL_EKU);
    let other = credential(FIEL_CACX);
    let err = Credential::open(&eku.certificate_bytes(), &other.key_bytes(), PASSWORD).unwrap_err();
    assert_eq!(err, EfirmaError::KeyMismatch);
    assert_eq!(err.codigo(), "EFIRMA_LLAVE_NO_CORRESPONDE");
    // And a signature by the other key does not verify with this certificate.
    let key = PrivateKey::decrypt(&other.key_bytes(), PASSWORD).unwrap();
    let signature = key.sign(message().as_bytes()).unwrap();
    let err = verify_eku(
        &eku.certificate_bytes(),
        &TrustAnchors::sat_test(),
        now(),
        &RevocationList::new(),
        message().as_bytes(),
        &signature,
    )
    .unwrap_err();
    assert_eq!(err, EfirmaError::BadSignature);
}

#[test]
fn expired() {
    let s = eku();
    let cert = Certificate::parse(&s.certificate).unwrap();
    let err = verify_eku(
        &s.certificate,
        &TrustAnchors::sat_test(),
        cert.not_after() + Duration::seconds(1),
        &RevocationList::new(),
        message().as_bytes(),
        &s.signature,
    )
    .unwrap_err();
    assert_eq!(
        err,
        EfirmaError::Expired {
            not_after: cert.not_after()
        }
    );
    assert_eq!(err.codigo(), "EFIRMA_CERT_VENCIDO");
    assert!(err.mensaje().contains("17/05/2027"), "{}", err.mensaje());
}

#[test]
fn not_yet_valid() {
    let s = eku();
    let cert = Certificate::parse(&s.certificate).unwrap();
    let err = verify_eku(
        &s.certificate,
        &TrustAnchors::sat_test(),
        cert.not_before() - Duration::seconds(1),
        &RevocationList::new(),
        message().as_bytes(),
        &s.signature,
    )
    .unwrap_err();
    assert_eq!(
        err,
        EfirmaError::NotYetValid {
            not_before: cert.not_before()
        }
    );
    assert_eq!(err.codigo(), "EFIRMA_CERT_AUN_NO_VIGENTE");
}

#[test]
fn issuing_ca_no_longer_valid() {
    // The 2019 FIEL is valid until 2023-06-13 but its CA (AC UAT 2018) expired on 2022-02-23.
    let fixture = credential("FIEL_EKU9003173C9_30001000000400002417");
    let key = PrivateKey::decrypt(&fixture.key_bytes(), PASSWORD).unwrap();
    let signature = key.sign(message().as_bytes()).unwrap();
    let at = Utc.with_ymd_and_hms(2022, 6, 1, 0, 0, 0).unwrap();
    let err = verify_eku(
        &fixture.certificate_bytes(),
        &TrustAnchors::sat_test(),
        at,
        &RevocationList::new(),
        message().as_bytes(),
        &signature,
    )
    .unwrap_err();
    assert_eq!(
        err,
        EfirmaError::IssuerNotValid {
            issuer: "AC UAT".to_owned()
        }
    );
    // A year earlier the same signature is fine.
    let earlier = Utc.with_ymd_and_hms(2021, 6, 1, 0, 0, 0).unwrap();
    verify_eku(
        &fixture.certificate_bytes(),
        &TrustAnchors::sat_test(),
        earlier,
        &RevocationList::new(),
        message().as_bytes(),
        &signature,
    )
    .unwrap();
}

#[test]
fn revoked() {
    let s = eku();
    let revocations = RevocationList::parse_text("# revocados\n30001000000500003415\n");
    let err = verify_eku(
        &s.certificate,
        &TrustAnchors::sat_test(),
        now(),
        &revocations,
        message().as_bytes(),
        &s.signature,
    )
    .unwrap_err();
    assert_eq!(
        err,
        EfirmaError::Revoked {
            certificate_number: "30001000000500003415".to_owned()
        }
    );
    assert_eq!(err.codigo(), "EFIRMA_CERT_REVOCADO");
}

#[test]
fn tampered_message() {
    let s = eku();
    let mut tampered = message().into_bytes();
    let last = tampered.len() - 3;
    tampered[last] ^= 0x01;
    let err = verify_eku(
        &s.certificate,
        &TrustAnchors::sat_test(),
        now(),
        &RevocationList::new(),
        &tampered,
        &s.signature,
    )
    .unwrap_err();
    assert_eq!(err, EfirmaError::BadSignature);
    assert_eq!(err.codigo(), "EFIRMA_FIRMA_INVALIDA");
}

#[test]
fn tampered_signature() {
    let s = eku();
    for mutate in [
        |sig: &mut Vec<u8>| sig[10] ^= 0x80,
        |sig: &mut Vec<u8>| sig.truncate(255),
        |sig: &mut Vec<u8>| sig.push(0),
        |sig: &mut Vec<u8>| sig.iter_mut().for_each(|b| *b = 0xff),
        |sig: &mut Vec<u8>| sig.clear(),
    ] {
        let mut signature = s.signature.clone();
        mutate(&mut signature);
        let err = verify_eku(
            &s.certificate,
            &TrustAnchors::sat_test(),
            now(),
            &RevocationList::new(),
            message().as_bytes(),
            &signature,
        )
        .unwrap_err();
        assert_eq!(err, EfirmaError::BadSignature);
    }
}

#[test]
fn rfc_mismatch() {
    let s = eku();
    let err = verify(
        &VerifyRequest::new(
            &s.certificate,
            &TrustAnchors::sat_test(),
            now(),
            &RevocationList::new(),
            message().as_bytes(),
            &s.signature,
        )
        .expected_rfc("CACX7605101P8"),
    )
    .unwrap_err();
    assert_eq!(
        err,
        EfirmaError::RfcMismatch {
            expected: "CACX7605101P8".to_owned(),
            found: "EKU9003173C9".to_owned()
        }
    );
    // The legal representative's RFC is not the actor's RFC.
    let err = verify(
        &VerifyRequest::new(
            &s.certificate,
            &TrustAnchors::sat_test(),
            now(),
            &RevocationList::new(),
            message().as_bytes(),
            &s.signature,
        )
        .expected_rfc("VADA800927DJ3"),
    )
    .unwrap_err();
    assert_eq!(err.codigo(), "EFIRMA_RFC_NO_COINCIDE");
}

#[test]
fn csd_is_not_an_efirma() {
    let fixture = credential(CSD_EKU);
    let key = PrivateKey::decrypt(&fixture.key_bytes(), PASSWORD).unwrap();
    let signature = key.sign(message().as_bytes()).unwrap();
    let err = verify_eku(
        &fixture.certificate_bytes(),
        &TrustAnchors::sat_test(),
        now(),
        &RevocationList::new(),
        message().as_bytes(),
        &signature,
    )
    .unwrap_err();
    assert_eq!(err, EfirmaError::NotEfirma(CertificateKind::Csd));
    assert!(err.mensaje().contains("CSD"));
}

#[test]
fn test_certificate_against_production_anchors() {
    let s = eku();
    let err = verify_eku(
        &s.certificate,
        &TrustAnchors::sat_production(),
        now(),
        &RevocationList::new(),
        message().as_bytes(),
        &s.signature,
    )
    .unwrap_err();
    assert_eq!(
        err,
        EfirmaError::UnknownIssuer {
            issuer: "AC UAT".to_owned()
        }
    );
    assert_eq!(err.codigo(), "EFIRMA_EMISOR_DESCONOCIDO");
}

#[test]
fn truncated_der() {
    let s = eku();
    for len in [
        0,
        1,
        2,
        4,
        100,
        s.certificate.len() / 2,
        s.certificate.len() - 1,
    ] {
        let err = Certificate::parse(&s.certificate[..len]).unwrap_err();
        assert_eq!(err.codigo(), "EFIRMA_CERT_MALFORMADO", "length {len}");
        let err = verify_eku(
            &s.certificate[..len],
            &TrustAnchors::sat_test(),
            now(),
            &RevocationList::new(),
            message().as_bytes(),
            &s.signature,
        )
        .unwrap_err();
        assert!(
            matches!(err, EfirmaError::MalformedCertificate(_)),
            "length {len}"
        );
    }
}

#[test]
fn weak_or_sha1_certificate_is_refused_by_policy() {
    // A real 2013 CSD: 1024-bit key, signed with SHA-1.
    let der = read("public_certs/00001000000301246267.cer");
    let err = verify_eku(
        &der,
        &TrustAnchors::sat_production(),
        Utc.with_ymd_and_hms(2015, 1, 1, 0, 0, 0).unwrap(),
        &RevocationList::new(),
        b"x",
        &[0u8; 128],
    )
    .unwrap_err();
    assert_eq!(err.codigo(), "EFIRMA_ALGORITMO_NO_SOPORTADO");
}

/// Attacker's keys (deterministic).
fn attacker_key() -> &'static rsa::RsaPrivateKey {
    static KEY: OnceLock<rsa::RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| forge::rsa_key(1))
}

fn forged_ca_key() -> &'static rsa::RsaPrivateKey {
    static KEY: OnceLock<rsa::RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| forge::rsa_key(2))
}

fn attacker_signature() -> Vec<u8> {
    let key = PrivateKey::decrypt(&forge::pkcs8_der(attacker_key()), b"").unwrap();
    key.sign(message().as_bytes()).unwrap()
}

#[test]
fn self_signed_copy_of_a_real_subject() {
    let real = eku();
    let parts = forge::split(&real.certificate);
    let mut tbs = parts.tbs.clone();
    tbs[ISSUER] = tbs[SUBJECT].clone();
    tbs[SPKI] = forge::spki_der(attacker_key());
    let forged = forge::assemble(&tbs, &parts.signature_algorithm, attacker_key());

    // The look-alike parses to the very same identity and kind...
    let look_alike = Certificate::parse(&forged).unwrap();
    let genuine = Certificate::parse(&real.certificate).unwrap();
    assert_eq!(look_alike.kind(), CertificateKind::Fiel);
    assert_eq!(look_alike.rfc(), genuine.rfc());
    assert_eq!(
        look_alike.certificate_number(),
        genuine.certificate_number()
    );
    assert!(look_alike.is_self_issued());
    // ...and is refused because no SAT CA issued it.
    let err = verify_eku(
        &forged,
        &TrustAnchors::sat_test(),
        now(),
        &RevocationList::new(),
        message().as_bytes(),
        &attacker_signature(),
    )
    .unwrap_err();
    assert!(matches!(err, EfirmaError::UnknownIssuer { .. }), "{err:?}");
}

#[test]
fn certificate_signed_by_a_forged_ca_that_copies_a_sat_ca_name() {
    // A CA whose DN is byte for byte the one of SAT's test CA "AC UAT" (2022), with the forger's key.
    let real_ca = read("ca/test/AC_UAT_2022.cer");
    let ca_parts = forge::split(&real_ca);
    let mut ca_tbs = ca_parts.tbs.clone();
    ca_tbs[SPKI] = forge::spki_der(forged_ca_key());
    let forged_ca = forge::assemble(&ca_tbs, &ca_parts.signature_algorithm, forged_ca_key());
    let forged_ca_cert = Certificate::parse(&forged_ca).unwrap();
    let real_ca_cert = Certificate::parse(&real_ca).unwrap();
    assert_eq!(forged_ca_cert.name(), real_ca_cert.name());

    // A FIEL for the real company, issued by the forged CA to the attacker's key.
    let real = eku();
    let parts = forge::split(&real.certificate);
    let mut tbs = parts.tbs.clone();
    tbs[SPKI] = forge::spki_der(attacker_key());
    let forged_leaf = forge::assemble(&tbs, &parts.signature_algorithm, forged_ca_key());
    let leaf = Certificate::parse(&forged_leaf).unwrap();
    assert_eq!(leaf.issuer_name(), "AC UAT");

    let err = verify_eku(
        &forged_leaf,
        &TrustAnchors::sat_test(),
        now(),
        &RevocationList::new(),
        message().as_bytes(),
        &attacker_signature(),
    )
    .unwrap_err();
    assert_eq!(
        err,
        EfirmaError::BadChain {
            issuer: "AC UAT".to_owned()
        }
    );
    assert_eq!(err.codigo(), "EFIRMA_CADENA_INVALIDA");

    // Control: the forgery is well formed; trusting the forged CA would accept it. So the
    // refusal above comes from choosing the issuer by signature, not from a parsing accident.
    let mut gullible = TrustAnchors::empty();
    gullible.extend(&[&forged_ca]).unwrap();
    let identity = verify_eku(
        &forged_leaf,
        &gullible,
        now(),
        &RevocationList::new(),
        message().as_bytes(),
        &attacker_signature(),
    )
    .unwrap();
    assert_eq!(identity.rfc, "EKU9003173C9");
}

#[test]
fn demo_ca_added_to_anchors_is_trusted() {
    // What issue 4 does for local runs: a project root CA added with `with`. Here it is a
    // self-issued root that reuses the name "AC UAT", the hardest case for issuer selection.
    let real_ca = read("ca/test/AC_UAT_2022.cer");
    let ca_parts = forge::split(&real_ca);
    let mut ca_tbs = ca_parts.tbs.clone();
    ca_tbs[ISSUER] = ca_tbs[SUBJECT].clone();
    ca_tbs[SPKI] = forge::spki_der(forged_ca_key());
    let demo_ca = forge::assemble(&ca_tbs, &ca_parts.signature_algorithm, forged_ca_key());
    let anchors = TrustAnchors::sat_test().with(&demo_ca).unwrap();
    assert_eq!(anchors.len(), TrustAnchors::sat_test().len() + 1);

    let parts = forge::split(&eku().certificate);
    let mut tbs = parts.tbs.clone();
    tbs[SPKI] = forge::spki_der(attacker_key());
    let leaf = forge::assemble(&tbs, &parts.signature_algorithm, forged_ca_key());
    let identity = verify_eku(
        &leaf,
        &anchors,
        now(),
        &RevocationList::new(),
        message().as_bytes(),
        &attacker_signature(),
    )
    .unwrap();
    assert_eq!(
        identity.issuer_fingerprint_sha256,
        Certificate::parse(&demo_ca).unwrap().fingerprint_sha256()
    );
    // The genuine certificate still chains to the genuine CA in the same set.
    let s = eku();
    let genuine = verify_eku(
        &s.certificate,
        &anchors,
        now(),
        &RevocationList::new(),
        message().as_bytes(),
        &s.signature,
    )
    .unwrap();
    assert_eq!(
        efirma::to_hex(&genuine.issuer_fingerprint_sha256),
        common::sha256_hex(&real_ca)
    );
}

#[test]
fn every_key_format_reads() {
    let cert = Certificate::parse(&read("../keys/eku_fiel.pem")).unwrap();
    assert_eq!(cert.rfc(), Some("EKU9003173C9"));
    for file in [
        "../keys/eku_pbkdf2_sha256_aes256.key",
        "../keys/eku_pbkdf2_sha1_aes128.pem",
        "../keys/eku_plain_pkcs8.der",
        "../keys/eku_plain_pkcs8.pem",
        "../keys/eku_pkcs1.pem",
    ] {
        let key = PrivateKey::decrypt(&read(file), PASSWORD).expect(file);
        assert!(key.matches(&cert), "{file}");
    }
    let err =
        PrivateKey::decrypt(&read("../keys/eku_pbkdf2_sha256_aes256.key"), b"otra").unwrap_err();
    assert_eq!(err, EfirmaError::WrongPassword);
    let err = PrivateKey::decrypt(&read("../keys/eku_pbes1.key"), PASSWORD).unwrap_err();
    assert_eq!(err.codigo(), "EFIRMA_ALGORITMO_NO_SOPORTADO");
    let err = PrivateKey::decrypt(b"no es una llave", PASSWORD).unwrap_err();
    assert_eq!(err.codigo(), "EFIRMA_LLAVE_MALFORMADA");
}

#[test]
fn base64_certificate_as_in_cfdi_reads() {
    use base64ct::{Base64, Encoding};
    let s = eku();
    let text = Base64::encode_string(&s.certificate);
    let cert = Certificate::parse(text.as_bytes()).unwrap();
    assert_eq!(cert.der(), &s.certificate[..]);
}

#[test]
fn error_codes_are_distinct_and_messages_spanish() {
    let at = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let errors = [
        EfirmaError::MalformedCertificate("x".into()),
        EfirmaError::NotEfirma(CertificateKind::Csd),
        EfirmaError::Expired { not_after: at },
        EfirmaError::NotYetValid { not_before: at },
        EfirmaError::IssuerNotValid {
            issuer: "AC".into(),
        },
        EfirmaError::UnknownIssuer {
            issuer: "AC".into(),
        },
        EfirmaError::BadChain {
            issuer: "AC".into(),
        },
        EfirmaError::Revoked {
            certificate_number: "1".into(),
        },
        EfirmaError::BadSignature,
        EfirmaError::RfcMismatch {
            expected: "A".into(),
            found: "B".into(),
        },
        EfirmaError::WrongPassword,
        EfirmaError::MalformedKey("x".into()),
        EfirmaError::KeyMismatch,
        EfirmaError::UnsupportedAlgorithm("x".into()),
        EfirmaError::SigningFailed,
    ];
    let codes: HashSet<&str> = errors.iter().map(EfirmaError::codigo).collect();
    assert_eq!(codes.len(), errors.len());
    for e in &errors {
        assert!(e.codigo().starts_with("EFIRMA_"));
        assert_eq!(e.to_string(), e.mensaje());
        assert!(
            e.mensaje().starts_with(|c: char| c.is_uppercase()),
            "{}",
            e.mensaje()
        );
    }
}

#[test]
fn unknown_critical_extension() {
    // Same setup as the forged-CA control (a set that trusts the forger), plus one critical
    // extension nobody knows: RFC 5280 says refuse.
    let real_ca = read("ca/test/AC_UAT_2022.cer");
    let ca_parts = forge::split(&real_ca);
    let mut ca_tbs = ca_parts.tbs.clone();
    ca_tbs[SPKI] = forge::spki_der(forged_ca_key());
    let ca = forge::assemble(&ca_tbs, &ca_parts.signature_algorithm, forged_ca_key());
    let anchors = TrustAnchors::from_der_certificates(&[&ca]).unwrap();

    let parts = forge::split(&eku().certificate);
    let mut tbs = parts.tbs.clone();
    tbs[SPKI] = forge::spki_der(attacker_key());
    let explicit = tbs.last().unwrap().clone(); // [3] { SEQUENCE OF Extension }
    let inner = forge::children(&explicit).remove(0);
    let mut extensions = forge::children(&inner);
    let oid = forge::tlv(0x06, &[0x2a, 0x03, 0x04]); // 1.2.3.4
    let critical = forge::tlv(0x01, &[0xff]);
    let value = forge::tlv(0x04, &[0x05, 0x00]);
    extensions.push(forge::tlv(0x30, &[oid, critical, value].concat()));
    let last = tbs.len() - 1;
    tbs[last] = forge::tlv(0xa3, &forge::tlv(0x30, &extensions.concat()));
    let leaf = forge::assemble(&tbs, &parts.signature_algorithm, forged_ca_key());

    let err = verify_eku(
        &leaf,
        &anchors,
        now(),
        &RevocationList::new(),
        message().as_bytes(),
        &attacker_signature(),
    )
    .unwrap_err();
    assert_eq!(err.codigo(), "EFIRMA_ALGORITMO_NO_SOPORTADO");
    assert!(err.mensaje().contains("1.2.3.4"), "{}", err.mensaje());
}
