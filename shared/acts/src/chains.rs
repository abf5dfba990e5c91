//! The e.firma chains that verified, kept in the store so that the next act signed with the same
//! certificate costs one RSA-2048 verification instead of the RSA-4096 chain again
//! (`efirma::KnownChain`; components start fresh on every request, so no memory outlives one).
//!
//! `efirma:cadena:<SHA-256 of the certificate, hex>` holds the fingerprints of the CAs the
//! certificate chained through, the fingerprint of the trust configuration it was checked
//! against (the trusted authorities and the revocation list: a change of either makes every
//! kept chain unused, and the next act rebuilds and keeps its own), and an HMAC over all of it
//! under a key derived from `clave_sesion`. The HMAC matters: a kept chain is believed for its
//! signatures, so whoever could write one could pass off a certificate of their own as issued by
//! SAT; without the service's key nobody can. Anything that does not check out (missing, other
//! configuration, bad MAC, unreadable) is ignored and the full verification runs, which is
//! always correct; time and revocation are checked on every act regardless.

use avisos_kv::KeyValue;
use efirma::{KnownChain, RevocationList, TrustAnchors};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::secret::HmacKey;

/// The key that authenticates kept chains, derived from the session key (so no new secret).
pub fn key_from_session_key(session_key: &[u8]) -> Option<HmacKey> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(session_key).ok()?;
    mac.update(b"avisos-cadenas-efirma");
    Some(HmacKey::new(mac.finalize().into_bytes().to_vec()))
}

/// SHA-256 of the trusted authorities' fingerprints and the revoked numbers, both sorted.
pub fn configuration(anchors: &TrustAnchors, revocations: &RevocationList) -> [u8; 32] {
    let mut fingerprints: Vec<[u8; 32]> = anchors
        .certificates()
        .map(|c| c.fingerprint_sha256())
        .collect();
    fingerprints.sort_unstable();
    let mut numbers: Vec<&str> = revocations.numbers().collect();
    numbers.sort_unstable();
    let mut h = Sha256::new();
    h.update(b"anclas\0");
    for f in &fingerprints {
        h.update(f);
    }
    h.update(b"revocados\0");
    for n in numbers {
        h.update(n.as_bytes());
        h.update(b"\n");
    }
    h.finalize().into()
}

#[derive(Debug, Serialize, Deserialize)]
struct Kept {
    ruta: Vec<String>,
    configuracion: String,
    mac: String,
}

fn store_key(certificate: &[u8; 32]) -> String {
    format!("efirma:cadena:{}", efirma::to_hex(certificate))
}

fn mac(
    key: &HmacKey,
    certificate: &[u8; 32],
    configuracion: &[u8; 32],
    path: &[[u8; 32]],
) -> Vec<u8> {
    // A key of any length is accepted by HMAC: this cannot fail.
    let Ok(mut m) = <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_bytes()) else {
        return Vec::new();
    };
    m.update(b"avisos-cadena\0");
    m.update(certificate);
    m.update(configuracion);
    for ca in path {
        m.update(ca);
    }
    m.finalize().into_bytes().to_vec()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn unhex32(s: &str) -> Option<[u8; 32]> {
    unhex(s)?.try_into().ok()
}

/// The chain kept for `certificate` under this configuration, if one is there and authentic.
/// Store failures count as "none": the full verification runs.
pub fn load(
    kv: &dyn KeyValue,
    key: &HmacKey,
    certificate: &[u8; 32],
    configuracion: &[u8; 32],
) -> Option<KnownChain> {
    let bytes = kv.get(&store_key(certificate)).ok()??;
    let kept: Kept = serde_json::from_slice(&bytes).ok()?;
    if unhex32(&kept.configuracion)? != *configuracion {
        return None;
    }
    let path: Vec<[u8; 32]> = kept
        .ruta
        .iter()
        .map(|f| unhex32(f))
        .collect::<Option<_>>()?;
    let expected = mac(key, certificate, configuracion, &path);
    let given = unhex(&kept.mac)?;
    if !crate::secret::constant_time_eq(&expected, &given) {
        return None;
    }
    Some(KnownChain {
        certificate: *certificate,
        path,
    })
}

/// Keeps a chain that just verified. Best effort: a failed write costs the next act the chain.
pub fn keep(kv: &dyn KeyValue, key: &HmacKey, known: &KnownChain, configuracion: &[u8; 32]) {
    let kept = Kept {
        ruta: known.path.iter().map(|f| efirma::to_hex(f)).collect(),
        configuracion: efirma::to_hex(configuracion),
        mac: efirma::to_hex(&mac(key, &known.certificate, configuracion, &known.path)),
    };
    if let Ok(bytes) = serde_json::to_vec(&kept) {
        let _ = kv.set(&store_key(&known.certificate), &bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use avisos_kv::MemoryKv;

    fn k() -> HmacKey {
        key_from_session_key(b"clave-de-sesion-solo-para-pruebas-0123456789").unwrap()
    }

    fn known() -> KnownChain {
        KnownChain {
            certificate: [1; 32],
            path: vec![[2; 32], [3; 32]],
        }
    }

    #[test]
    fn a_kept_chain_is_read_back_under_the_same_key_and_configuration_only() {
        let kv = MemoryKv::new();
        let conf = [9; 32];
        assert_eq!(load(&kv, &k(), &[1; 32], &conf), None);
        keep(&kv, &k(), &known(), &conf);
        assert_eq!(load(&kv, &k(), &[1; 32], &conf), Some(known()));
        // Another certificate, configuration or key: nothing.
        assert_eq!(load(&kv, &k(), &[4; 32], &conf), None);
        assert_eq!(load(&kv, &k(), &[1; 32], &[8; 32]), None);
        let other = key_from_session_key(b"otra-clave-de-sesion-0123456789abcdef").unwrap();
        assert_eq!(load(&kv, &other, &[1; 32], &conf), None);
    }

    #[test]
    fn a_chain_written_by_anyone_else_is_ignored() {
        let kv = MemoryKv::new();
        let conf = [9; 32];
        keep(&kv, &k(), &known(), &conf);
        let key = store_key(&[1; 32]);
        let mut kept: Kept = serde_json::from_slice(&kv.get(&key).unwrap().unwrap()).unwrap();
        // Another CA swapped in, the MAC left as it was.
        kept.ruta[0] = efirma::to_hex(&[5; 32]);
        kv.set(&key, &serde_json::to_vec(&kept).unwrap()).unwrap();
        assert_eq!(load(&kv, &k(), &[1; 32], &conf), None);
        for junk in [
            &b"no es json"[..],
            b"{}",
            br#"{"ruta":["zz"],"configuracion":"","mac":""}"#,
        ] {
            kv.set(&key, junk).unwrap();
            assert_eq!(load(&kv, &k(), &[1; 32], &conf), None);
        }
        // A store that fails reads as "none kept", and keeping then changes nothing.
        kv.set_failing(true);
        assert_eq!(load(&kv, &k(), &[1; 32], &conf), None);
        keep(&kv, &k(), &known(), &conf);
    }

    #[test]
    fn the_configuration_changes_with_authorities_and_revocations() {
        let a = TrustAnchors::sat_test();
        let none = RevocationList::new();
        let one = RevocationList::from_numbers(["00001000000000000001"]);
        assert_eq!(configuration(&a, &none), configuration(&a.clone(), &none));
        assert_ne!(configuration(&a, &none), configuration(&a, &one));
        assert_ne!(
            configuration(&a, &none),
            configuration(&TrustAnchors::sat_production(), &none)
        );
        // Order does not matter.
        let ab = RevocationList::from_numbers(["1", "2"]);
        let ba = RevocationList::from_numbers(["2", "1"]);
        assert_eq!(configuration(&a, &ab), configuration(&a, &ba));
    }
}
