//! Property tests: signatures and the cadena original.

mod common;

use std::sync::OnceLock;

use chrono::{DateTime, TimeZone, Utc};
use common::{FIEL_EKU, credential};
use efirma::cadena::{cadena_original, parse};
use efirma::{
    ChainCache, Credential, EfirmaError, RevocationList, TrustAnchors, VerifyRequest, verify,
};
use proptest::prelude::*;

fn signer() -> &'static Credential {
    static CREDENTIAL: OnceLock<Credential> = OnceLock::new();
    CREDENTIAL.get_or_init(|| {
        let f = credential(FIEL_EKU);
        Credential::open(&f.certificate_bytes(), &f.key_bytes(), b"12345678a").unwrap()
    })
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap()
}

fn check(message: &[u8], signature: &[u8], cache: Option<&ChainCache>) -> Result<(), EfirmaError> {
    let anchors = TrustAnchors::sat_test();
    let revocations = RevocationList::new();
    let der = signer().certificate().der();
    let mut request = VerifyRequest::new(der, &anchors, now(), &revocations, message, signature);
    request.cache = cache;
    verify(&request).map(|_| ())
}

fn field() -> impl Strategy<Value = String> {
    // Bias towards the characters the escaping is about.
    prop::collection::vec(
        prop_oneof![
            Just('|'),
            Just('\\'),
            Just('\n'),
            Just('\r'),
            Just('\t'),
            Just(' '),
            Just('\u{1}'),
            Just('u'),
            Just('{'),
            any::<char>(),
            prop::char::range('a', 'c'),
        ],
        0..8,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn sign_then_verify_holds(message in prop::collection::vec(any::<u8>(), 0..512)) {
        let signature = signer().sign(&message).unwrap();
        prop_assert_eq!(check(&message, &signature, None), Ok(()));
    }

    #[test]
    fn any_single_bit_flip_in_the_message_fails(
        message in prop::collection::vec(any::<u8>(), 1..256),
        bit in any::<prop::sample::Index>(),
    ) {
        let signature = signer().sign(&message).unwrap();
        let mut tampered = message.clone();
        let i = bit.index(message.len() * 8);
        tampered[i / 8] ^= 1 << (i % 8);
        prop_assert_eq!(check(&tampered, &signature, None), Err(EfirmaError::BadSignature));
    }

    #[test]
    fn any_single_bit_flip_in_the_signature_fails(
        message in prop::collection::vec(any::<u8>(), 0..256),
        bit in any::<prop::sample::Index>(),
    ) {
        static CACHE: OnceLock<ChainCache> = OnceLock::new();
        let cache = CACHE.get_or_init(ChainCache::default);
        let mut signature = signer().sign(&message).unwrap();
        let i = bit.index(signature.len() * 8);
        signature[i / 8] ^= 1 << (i % 8);
        prop_assert_eq!(check(&message, &signature, Some(cache)), Err(EfirmaError::BadSignature));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn cadena_round_trips(fields in prop::collection::vec(field(), 0..6)) {
        let cadena = cadena_original(&fields);
        prop_assert!(cadena.starts_with("||") && cadena.ends_with("||"));
        prop_assert!(!cadena.chars().any(|c| c.is_control()));
        prop_assert_eq!(parse(&cadena).unwrap(), fields);
    }

    #[test]
    fn cadena_never_merges_two_field_lists(
        a in prop::collection::vec(field(), 0..5),
        b in prop::collection::vec(field(), 0..5),
    ) {
        prop_assume!(a != b);
        prop_assert_ne!(cadena_original(&a), cadena_original(&b));
    }

    #[test]
    fn splitting_or_joining_fields_changes_the_cadena(
        a in field(), b in field(),
    ) {
        let joined = format!("{a}|{b}");
        prop_assert_ne!(cadena_original(&[joined]), cadena_original(&[a, b]));
    }
}
