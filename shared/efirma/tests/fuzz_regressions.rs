//! Replays the fuzz seeds and every saved fuzz finding through the same checks as the fuzz
//! targets (`fuzz/fuzz_targets/*`). To keep a crash: copy the artifact into
//! `fuzz/regressions/<target>/` and fix the code; this test then guards it.

use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use efirma::cadena::{cadena_original, parse};
use efirma::{Certificate, PrivateKey, RevocationList, TrustAnchors, VerifyRequest, verify};

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let fuzz = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut out = Vec::new();
    for dir in ["seeds", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(dir).join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            out.push((path, bytes));
        }
    }
    out
}

#[test]
fn certificate_parse_inputs() {
    let cases = inputs("certificate_parse");
    assert!(!cases.is_empty());
    let anchors = TrustAnchors::sat_test();
    let revocations = RevocationList::new();
    let now = Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap();
    for (path, data) in cases {
        if let Ok(cert) = Certificate::parse(&data) {
            let again = Certificate::parse(cert.der()).unwrap();
            assert_eq!(
                again.fingerprint_sha256(),
                cert.fingerprint_sha256(),
                "{path:?}"
            );
        }
        let request = VerifyRequest::new(&data, &anchors, now, &revocations, b"||x||", &[0u8; 256]);
        assert!(verify(&request).is_err(), "{path:?}");
    }
}

#[test]
fn key_decrypt_inputs() {
    let cases = inputs("key_decrypt");
    assert!(!cases.is_empty());
    for (path, data) in cases {
        let Some((&split, rest)) = data.split_first() else {
            continue;
        };
        let split = usize::from(split).min(rest.len());
        let (password, key) = rest.split_at(split.min(16));
        if let Ok(key) = PrivateKey::decrypt(key, password) {
            assert!(key.sign(b"||fuzz||").is_ok(), "{path:?}");
        }
    }
}

#[test]
fn cadena_parse_inputs() {
    let cases = inputs("cadena_parse");
    assert!(!cases.is_empty());
    for (path, data) in cases {
        let Ok(text) = std::str::from_utf8(&data) else {
            continue;
        };
        if let Ok(fields) = parse(text) {
            assert_eq!(cadena_original(&fields), text, "{path:?}");
        }
    }
}
