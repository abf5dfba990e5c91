//! Every real SAT credential in testdata passes; every CSD is refused as an e.firma.

mod common;

use common::{Fixture, credentials, pinned_instant, public_certificates, read, sha256_hex};
use efirma::{
    Certificate, CertificateKind, ChainCache, Credential, EfirmaError, KnownChain, Persona,
    PrivateKey, RevocationList, TrustAnchors, VerifyRequest, cadena::cadena_original, verify,
    verify_recording,
};

fn expected_kind(fixture: &Fixture) -> CertificateKind {
    match fixture.kind.as_str() {
        "FIEL" => CertificateKind::Fiel,
        "CSD" => CertificateKind::Csd,
        other => panic!("unknown kind {other}"),
    }
}

/// Identity facts as the fixtures' README and manifest.json state them.
fn assert_identity(fixture: &Fixture, cert: &Certificate) {
    let ctx = &fixture.path;
    assert_eq!(cert.kind(), expected_kind(fixture), "{ctx}: kind");
    assert_eq!(cert.rfc(), Some(fixture.rfc.as_str()), "{ctx}: rfc");
    let (_, representative) = fixture
        .unique_id
        .split_once(" / ")
        .map_or((fixture.unique_id.as_str(), None), |(a, b)| (a, Some(b)));
    assert_eq!(
        cert.representative_rfc(),
        representative,
        "{ctx}: representative rfc"
    );
    let persona = if fixture.rfc.chars().count() == 12 {
        Persona::Moral
    } else {
        Persona::Fisica
    };
    assert_eq!(cert.persona(), persona, "{ctx}: persona");
    match fixture.serial_attr.split_once(" / ") {
        Some((curp, representative_curp)) => {
            assert_eq!(
                cert.curp(),
                (!curp.trim().is_empty()).then_some(curp.trim()),
                "{ctx}"
            );
            assert_eq!(
                cert.representative_curp(),
                Some(representative_curp),
                "{ctx}"
            );
        }
        None => {
            assert_eq!(
                cert.curp(),
                Some(fixture.serial_attr.as_str()),
                "{ctx}: curp"
            );
            assert_eq!(cert.representative_curp(), None, "{ctx}");
        }
    }
    assert_eq!(cert.name(), fixture.cn, "{ctx}: name");
    assert_eq!(
        cert.organizational_unit(),
        fixture.ou.as_deref(),
        "{ctx}: OU"
    );
    assert_eq!(cert.certificate_number(), fixture.number, "{ctx}: number");
    assert_eq!(cert.certificate_number().len(), 20, "{ctx}: 20 digits");
    assert_eq!(cert.not_before(), fixture.not_before, "{ctx}: not_before");
    assert_eq!(cert.not_after(), fixture.not_after, "{ctx}: not_after");
    assert_eq!(cert.issuer_name(), fixture.issuer_cn, "{ctx}: issuer");
    if fixture.file_format == "DER" {
        assert_eq!(
            cert.fingerprint_hex(),
            fixture.certificate_sha256,
            "{ctx}: fingerprint"
        );
    } else {
        assert_eq!(
            sha256_hex(cert.der()),
            cert.fingerprint_hex(),
            "{ctx}: fingerprint of DER"
        );
    }
}

#[test]
fn every_credential_parses_with_the_documented_identity() {
    let all = credentials();
    assert_eq!(all.len(), 35);
    assert_eq!(all.iter().filter(|f| f.kind == "FIEL").count(), 18);
    for fixture in &all {
        let cert = Certificate::parse(&fixture.certificate_bytes()).expect(&fixture.path);
        assert_identity(fixture, &cert);
    }
}

#[test]
fn public_certificates_parse_including_pem_and_latin1() {
    for fixture in public_certificates() {
        let cert = Certificate::parse(&fixture.certificate_bytes()).expect(&fixture.path);
        assert_identity(&fixture, &cert);
    }
}

#[test]
fn every_key_decrypts_with_its_password_and_matches_its_certificate() {
    for fixture in credentials() {
        let password = fixture.password_file();
        assert_eq!(
            Some(String::from_utf8_lossy(&password).as_ref()),
            fixture.password.as_deref()
        );
        let key = PrivateKey::decrypt(&fixture.key_bytes(), &password).expect(&fixture.path);
        let cert = Certificate::parse(&fixture.certificate_bytes()).expect(&fixture.path);
        assert!(key.matches(&cert), "{}", fixture.path);
        assert_eq!(key.bits(), 2048);
        Credential::open(
            &fixture.certificate_bytes(),
            &fixture.key_bytes(),
            &password,
        )
        .expect(&fixture.path);
    }
}

#[test]
fn every_certificate_chains_to_the_documented_ca_by_signature() {
    for fixture in credentials().into_iter().chain(public_certificates()) {
        let cert = Certificate::parse(&fixture.certificate_bytes()).expect(&fixture.path);
        let anchors = fixture.anchors();
        if fixture.signature_algorithm == "sha1WithRSAEncryption" {
            // Policy: SHA-1 only between CAs; this 2013 certificate (1024-bit, SHA-1) has no
            // acceptable issuer.
            assert!(anchors.issuer_of(&cert).is_none(), "{}", fixture.path);
            continue;
        }
        let issuer = anchors.issuer_of(&cert).expect(&fixture.path);
        assert_eq!(
            issuer.fingerprint_hex(),
            sha256_hex(&read(&fixture.issuing_ca_file)),
            "{}",
            fixture.path
        );
        // Test credentials never chain in the production bundle and vice versa.
        let other = if fixture.is_test() {
            TrustAnchors::sat_production()
        } else {
            TrustAnchors::sat_test()
        };
        assert!(other.issuer_of(&cert).is_none(), "{}", fixture.path);
    }
}

#[test]
fn every_fiel_verifies_at_a_pinned_instant_and_every_csd_is_refused() {
    let revocations = RevocationList::new();
    let message = cadena_original(&["PRUEBA", "firma de fixtures"]);
    for fixture in credentials() {
        let credential = Credential::open(
            &fixture.certificate_bytes(),
            &fixture.key_bytes(),
            &fixture.password_file(),
        )
        .expect(&fixture.path);
        let anchors = fixture.anchors();
        let now = pinned_instant(credential.certificate(), &anchors);
        let signature = credential.sign(message.as_bytes()).expect("sign");
        let der = fixture.certificate_bytes();
        let result = verify(&VerifyRequest::new(
            &der,
            &anchors,
            now,
            &revocations,
            message.as_bytes(),
            &signature,
        ));
        match fixture.kind.as_str() {
            "FIEL" => {
                let identity = result.expect(&fixture.path);
                assert_eq!(identity.rfc, fixture.rfc);
                assert_eq!(identity.certificate_number, fixture.number);
                assert_eq!(identity.name, fixture.cn);
                assert_eq!(identity.not_after, fixture.not_after);
                assert_eq!(
                    efirma::to_hex(&identity.issuer_fingerprint_sha256),
                    sha256_hex(&read(&fixture.issuing_ca_file)),
                    "{}",
                    fixture.path
                );
            }
            _ => {
                let err = result.expect_err(&fixture.path);
                assert_eq!(err, EfirmaError::NotEfirma(CertificateKind::Csd));
                assert_eq!(err.codigo(), "EFIRMA_NO_ES_FIEL");
            }
        }
    }
}

#[test]
fn cached_and_uncached_verification_agree() {
    let cache = ChainCache::new(64);
    let revocations = RevocationList::new();
    let message = b"||mensaje||";
    for fixture in credentials() {
        let der = fixture.certificate_bytes();
        let key = PrivateKey::decrypt(&fixture.key_bytes(), &fixture.password_file()).unwrap();
        let signature = key.sign(message).unwrap();
        let anchors = fixture.anchors();
        let cert = Certificate::parse(&der).unwrap();
        let inside = pinned_instant(&cert, &anchors);
        for now in [inside, fixture.not_after + chrono::Duration::days(1)] {
            let request =
                VerifyRequest::new(&der, &anchors, now, &revocations, message, &signature);
            let plain = verify(&request);
            let first = verify(&request.cache(&cache));
            let second = verify(&request.cache(&cache));
            assert_eq!(plain, first, "{}", fixture.path);
            assert_eq!(plain, second, "{}", fixture.path);
            // A cache filled under one configuration does not leak into another.
            let revoked = RevocationList::from_numbers([fixture.number.clone()]);
            let with_revocation = VerifyRequest {
                revocations: &revoked,
                ..request
            };
            assert_eq!(
                verify(&with_revocation),
                verify(&with_revocation.cache(&cache)),
                "{}",
                fixture.path
            );
            let empty = TrustAnchors::empty();
            let untrusted = VerifyRequest {
                anchors: &empty,
                ..request
            };
            assert_eq!(verify(&untrusted), verify(&untrusted.cache(&cache)));
        }
    }
    assert!(!cache.is_empty());
}

#[test]
fn embedded_bundles_are_the_fixture_ca_files() {
    let production: Vec<String> = TrustAnchors::sat_production()
        .certificates()
        .map(Certificate::fingerprint_hex)
        .collect();
    let test: Vec<String> = TrustAnchors::sat_test()
        .certificates()
        .map(Certificate::fingerprint_hex)
        .collect();
    for entry in std::fs::read_dir(common::testdata().join("ca/production")).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(production.contains(&sha256_hex(&bytes)));
    }
    for entry in std::fs::read_dir(common::testdata().join("ca/test")).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(test.contains(&sha256_hex(&bytes)));
    }
}

#[test]
fn odd_ca_encodings_are_read() {
    // AC6: double-encoded UTF-8 CN and a PrintableString holding raw UTF-8.
    let ac6 = Certificate::parse(&read("ca/production/AC6_SAT.cer")).unwrap();
    assert_eq!(ac6.name(), "A.C. del Servicio de Administración Tributaria");
    assert!(ac6.is_ca());
    // Certificates it issued name it the same way, and the AC7 sibling is told apart by key.
    let ac7 = Certificate::parse(&read("ca/production/AC7_SAT.cer")).unwrap();
    assert_eq!(ac7.name(), "AC DEL SERVICIO DE ADMINISTRACION TRIBUTARIA");
    // The production root chain links AC6 to ARC6 (SHA-512) and AC2 to ARC2 (SHA-1).
    let anchors = TrustAnchors::sat_production();
    let arc6 = anchors.issuer_of(&ac6).unwrap();
    assert_eq!(
        arc6.fingerprint_hex(),
        sha256_hex(&read("ca/production/ARC6_IES.cer"))
    );
    let ac2 = Certificate::parse(&read("ca/production/AC2_SAT.cer")).unwrap();
    let arc2 = anchors.issuer_of(&ac2).unwrap();
    assert_eq!(
        arc2.fingerprint_hex(),
        sha256_hex(&read("ca/production/ARC2_IES.cer"))
    );
}

/// A kept [`KnownChain`] changes nothing but the work: every answer is the full verification's,
/// refusals included (revoked certificate or CA, untrusted CA, expired, bad signature), and a
/// chain kept for another certificate is ignored.
#[test]
fn known_chains_agree_with_full_verification() {
    let message = b"||mensaje||";
    let mut reused = 0;
    for fixture in credentials() {
        let der = fixture.certificate_bytes();
        let key = PrivateKey::decrypt(&fixture.key_bytes(), &fixture.password_file()).unwrap();
        let signature = key.sign(message).unwrap();
        let anchors = fixture.anchors();
        let cert = Certificate::parse(&der).unwrap();
        let now = pinned_instant(&cert, &anchors);
        let none = RevocationList::new();
        let request = VerifyRequest::new(&der, &anchors, now, &none, message, &signature);
        let Ok((identity, known)) = verify_recording(&request) else {
            continue;
        };
        reused += 1;
        assert_eq!(known.certificate, cert.fingerprint_sha256());
        assert_eq!(known.path[0], identity.issuer_fingerprint_sha256);
        let with = |r: VerifyRequest<'_>| verify(&r.known_chain(Some(&known)));
        assert_eq!(with(request), Ok(identity.clone()), "{}", fixture.path);
        // Every refusal stands.
        let issuer_number = anchors
            .certificates()
            .find(|c| c.fingerprint_sha256() == identity.issuer_fingerprint_sha256)
            .unwrap()
            .certificate_number()
            .to_owned();
        for number in [fixture.number.clone(), issuer_number] {
            let revoked = RevocationList::from_numbers([number]);
            let r = VerifyRequest {
                revocations: &revoked,
                ..request
            };
            assert!(matches!(with(r), Err(EfirmaError::Revoked { .. })));
            assert_eq!(with(r), verify(&r), "{}", fixture.path);
        }
        let empty = TrustAnchors::empty();
        let untrusted = VerifyRequest {
            anchors: &empty,
            ..request
        };
        assert_eq!(with(untrusted), verify(&untrusted));
        assert!(with(untrusted).is_err());
        let later = VerifyRequest {
            now: fixture.not_after + chrono::Duration::days(1),
            ..request
        };
        assert!(matches!(with(later), Err(EfirmaError::Expired { .. })));
        let forged = VerifyRequest {
            message: b"||otro mensaje||",
            ..request
        };
        assert_eq!(with(forged), Err(EfirmaError::BadSignature));
        // Kept for another certificate: not used.
        let other = KnownChain {
            certificate: [7; 32],
            path: known.path.clone(),
        };
        assert_eq!(verify(&request.known_chain(Some(&other))), Ok(identity));
    }
    assert!(reused >= 2, "only {reused} fixtures verified");
}

/// What a kept chain skips is the CA signatures: a forged one is believed. This is why a caller
/// that keeps chains outside its memory authenticates them (avisos-acts does, with an HMAC).
#[test]
fn a_known_chain_is_trusted_for_its_signatures() {
    let message = b"||mensaje||";
    let signed: Vec<_> = credentials()
        .into_iter()
        .filter_map(|fixture| {
            let der = fixture.certificate_bytes();
            let key = PrivateKey::decrypt(&fixture.key_bytes(), &fixture.password_file()).ok()?;
            let signature = key.sign(message).ok()?;
            let anchors = fixture.anchors();
            let cert = Certificate::parse(&der).ok()?;
            let now = pinned_instant(&cert, &anchors);
            let none = RevocationList::new();
            let request = VerifyRequest::new(&der, &anchors, now, &none, message, &signature);
            let (identity, _) = verify_recording(&request).ok()?;
            // Another trusted CA valid now, which did not issue this certificate.
            let impostor = anchors.certificates().find(|ca| {
                ca.fingerprint_sha256() != identity.issuer_fingerprint_sha256
                    && ca.is_ca()
                    && ca.not_before() <= now
                    && now <= ca.not_after()
            })?;
            let lie = KnownChain {
                certificate: cert.fingerprint_sha256(),
                path: vec![impostor.fingerprint_sha256()],
            };
            let believed = verify(&request.known_chain(Some(&lie))).ok()?;
            Some((
                believed.issuer_fingerprint_sha256,
                impostor.fingerprint_sha256(),
            ))
        })
        .collect();
    assert!(!signed.is_empty(), "no fixture with a second trusted CA");
    for (believed, impostor) in signed {
        assert_eq!(believed, impostor);
    }
}
