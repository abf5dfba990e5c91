//! Criterion benchmarks: certificate parse, key decryption, full and cached verification, and
//! the raw RSA-2048 verification (ours and `rsa` 0.10's) to compare with `openssl speed`.
//! `benches/compare.sh` runs these next to OpenSSL and prints the table.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use efirma::{
    Certificate, ChainCache, Credential, PrivateKey, RevocationList, TrustAnchors, VerifyRequest,
    cadena::cadena_original, verify,
};

const FIEL: &str = "testdata/sat/FIEL_EKU9003173C9_30001000000500003415";

fn read(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(FIEL)
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn benches(c: &mut Criterion) {
    let cer = read("certificate.cer");
    let key = read("private_key.key");
    let password = read("password.txt");
    let credential = Credential::open(&cer, &key, &password).unwrap();
    let message = cadena_original(&[
        "RELACION_ALTA",
        "EKU9003173C9",
        "DEV010101AAA",
        "2025-03-01T12:00:00Z",
        "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9",
        "nonce-5f2c9e",
    ]);
    let signature = credential.sign(message.as_bytes()).unwrap();
    let anchors = TrustAnchors::sat_test();
    let revocations = RevocationList::new();
    let now = Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap();
    let request = VerifyRequest::new(
        &cer,
        &anchors,
        now,
        &revocations,
        message.as_bytes(),
        &signature,
    );
    verify(&request).unwrap();

    let mut group = c.benchmark_group("efirma");
    group.throughput(Throughput::Elements(1));

    group.bench_function("certificate_parse", |b| {
        b.iter(|| Certificate::parse(black_box(&cer)).unwrap())
    });
    group.bench_function("key_decrypt", |b| {
        b.iter(|| PrivateKey::decrypt(black_box(&key), black_box(&password)).unwrap())
    });
    group.bench_function("sign", |b| {
        b.iter(|| credential.sign(black_box(message.as_bytes())).unwrap())
    });
    group.bench_function("verify_full_uncached", |b| {
        b.iter(|| verify(black_box(&request)).unwrap())
    });
    let cache = ChainCache::default();
    let cached = request.cache(&cache);
    verify(&cached).unwrap();
    group.bench_function("verify_signed_act_cached", |b| {
        b.iter(|| verify(black_box(&cached)).unwrap())
    });
    let parsed = Certificate::parse(&cer).unwrap();
    parsed
        .verify_signature(message.as_bytes(), &signature)
        .unwrap();
    group.bench_function("rsa2048_verify_efirma", |b| {
        b.iter(|| {
            parsed
                .verify_signature(black_box(message.as_bytes()), black_box(&signature))
                .unwrap()
        })
    });

    // The same operation with `rsa` 0.10 (BoxedUint), for the record in the README.
    {
        use rsa::pkcs1v15::{Signature, VerifyingKey};
        use rsa::pkcs8::DecodePrivateKey;
        use rsa::signature::Verifier;
        let private =
            rsa::RsaPrivateKey::from_pkcs8_der(&credential.key().to_pkcs8_der().unwrap()).unwrap();
        let verifying = VerifyingKey::<sha2::Sha256>::new(private.to_public_key());
        let sig = Signature::try_from(signature.as_slice()).unwrap();
        verifying.verify(message.as_bytes(), &sig).unwrap();
        group.bench_function("rsa2048_verify_rsa_crate", |b| {
            b.iter(|| {
                verifying
                    .verify(black_box(message.as_bytes()), &sig)
                    .unwrap()
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = efirma_benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = benches
}
criterion_main!(efirma_benches);
