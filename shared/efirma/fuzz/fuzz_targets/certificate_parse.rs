//! Certificate parsing (DER, PEM, base64) and the whole verification path on arbitrary bytes:
//! never panics, and anything that parses exposes consistent facts.
#![no_main]

use chrono::{TimeZone, Utc};
use efirma::{Certificate, RevocationList, TrustAnchors, VerifyRequest, verify};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(cert) = Certificate::parse(data) {
        let _ = (
            cert.rfc(),
            cert.curp(),
            cert.name(),
            cert.kind(),
            cert.persona(),
        );
        let _ = (cert.not_before(), cert.not_after(), cert.issuer_name());
        // Re-parsing the DER gives the same certificate.
        let again = Certificate::parse(cert.der()).expect("DER of a parsed certificate");
        assert_eq!(again.fingerprint_sha256(), cert.fingerprint_sha256());
    }
    let anchors = TrustAnchors::sat_test();
    let revocations = RevocationList::new();
    let now = Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap();
    let request = VerifyRequest::new(data, &anchors, now, &revocations, b"||x||", &[0u8; 256]);
    assert!(verify(&request).is_err());
});
