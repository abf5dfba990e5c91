//! Exports `bench_*(iterations) -> successes` for the host script to time; inputs are embedded.

use std::sync::OnceLock;

use chrono::{TimeZone, Utc};
use efirma::{
    Certificate, ChainCache, Credential, PrivateKey, RevocationList, TrustAnchors, VerifyRequest,
    verify,
};

const CER: &[u8] = include_bytes!(
    "../../../testdata/sat/FIEL_EKU9003173C9_30001000000500003415/certificate.cer"
);
const KEY: &[u8] = include_bytes!(
    "../../../testdata/sat/FIEL_EKU9003173C9_30001000000500003415/private_key.key"
);
const PASSWORD: &[u8] = b"12345678a";
const MESSAGE: &[u8] = b"||RELACION_ALTA|EKU9003173C9|DEV010101AAA|2025-03-01T12:00:00Z|nonce-5f2c9e||";

struct Fixture {
    signature: Vec<u8>,
    anchors: TrustAnchors,
    revocations: RevocationList,
    cache: ChainCache,
    parsed: Certificate,
}

fn fixture() -> Option<&'static Fixture> {
    static FIXTURE: OnceLock<Option<Fixture>> = OnceLock::new();
    FIXTURE
        .get_or_init(|| {
            let credential = Credential::open(CER, KEY, PASSWORD).ok()?;
            Some(Fixture {
                signature: credential.sign(MESSAGE).ok()?,
                anchors: TrustAnchors::sat_test(),
                revocations: RevocationList::new(),
                cache: ChainCache::default(),
                parsed: Certificate::parse(CER).ok()?,
            })
        })
        .as_ref()
}

fn verify_once(f: &Fixture, cached: bool) -> bool {
    let now = Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap();
    let mut request = VerifyRequest::new(CER, &f.anchors, now, &f.revocations, MESSAGE, &f.signature);
    if cached {
        request = request.cache(&f.cache);
    }
    verify(&request).is_ok()
}

fn count(iterations: u32, mut op: impl FnMut() -> bool) -> u32 {
    (0..iterations).map(|_| u32::from(op())).sum()
}

/// Builds the fixture (signature, anchors); returns 1 on success.
#[unsafe(no_mangle)]
pub extern "C" fn bench_setup() -> u32 {
    u32::from(fixture().is_some_and(|f| verify_once(f, true)))
}

#[unsafe(no_mangle)]
pub extern "C" fn bench_certificate_parse(iterations: u32) -> u32 {
    count(iterations, || Certificate::parse(CER).is_ok())
}

#[unsafe(no_mangle)]
pub extern "C" fn bench_key_decrypt(iterations: u32) -> u32 {
    count(iterations, || PrivateKey::decrypt(KEY, PASSWORD).is_ok())
}

#[unsafe(no_mangle)]
pub extern "C" fn bench_verify_full_uncached(iterations: u32) -> u32 {
    let Some(f) = fixture() else { return 0 };
    count(iterations, || verify_once(f, false))
}

#[unsafe(no_mangle)]
pub extern "C" fn bench_verify_signed_act_cached(iterations: u32) -> u32 {
    let Some(f) = fixture() else { return 0 };
    count(iterations, || verify_once(f, true))
}

#[unsafe(no_mangle)]
pub extern "C" fn bench_rsa2048_verify_efirma(iterations: u32) -> u32 {
    let Some(f) = fixture() else { return 0 };
    count(iterations, || f.parsed.verify_signature(MESSAGE, &f.signature).is_ok())
}
