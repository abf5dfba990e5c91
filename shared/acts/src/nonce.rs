//! Single-use nonces: issued for one RFC and one action, valid for a few minutes, consumed at most
//! once even under concurrent requests: the first use is the caller whose atomic increment of the
//! nonce's use counter returns 1 (increment is atomic on every Spin key-value backend).
//!
//! Keys: `nonce:<n>` (the record) and `nonce:uso:<n>` (the use counter). Both are registered at
//! issue to expire with the nonce (`avisos_kv::expiring`), so they are deleted, record first,
//! once the nonce could not be used anyway (expired, and the grace past). The first use also
//! deletes the record; a spent nonce is known by its use counter until then (`NONCE_USADO`),
//! and a deleted one is unknown: refused either way.

use crate::ActError;
use avisos_kv::{KeyValue, KeyValueJson, expiring};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How long a nonce may wait to be signed and sent.
pub const TTL_SECONDS: i64 = 300;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct NonceRecord {
    pub rfc: String,
    pub accion: String,
    pub expira: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct IssuedNonce {
    pub nonce: String,
    pub rfc: String,
    pub accion: String,
    pub expira: DateTime<Utc>,
}

fn key(nonce: &str) -> String {
    format!("nonce:{nonce}")
}

fn use_counter(nonce: &str) -> String {
    format!("nonce:uso:{nonce}")
}

/// Issues a nonce. `random` must come from a cryptographic source (24 bytes → 32 characters).
pub fn issue(
    kv: &dyn KeyValue,
    rfc: &str,
    accion: &str,
    now: DateTime<Utc>,
    random: [u8; 24],
) -> Result<IssuedNonce, ActError> {
    use base64::Engine;
    let nonce = crate::b64url().encode(random);
    let record = NonceRecord {
        rfc: rfc.to_string(),
        accion: accion.to_string(),
        expira: now + Duration::seconds(TTL_SECONDS),
    };
    // Registered before it is written, so no record is ever left without its expiry.
    expiring::expire(
        kv,
        &[&key(&nonce), &use_counter(&nonce)],
        record.expira.timestamp(),
        now.timestamp(),
    )?;
    kv.set_json(&key(&nonce), &record)?;
    Ok(IssuedNonce {
        nonce,
        rfc: record.rfc,
        accion: record.accion,
        expira: record.expira,
    })
}

/// Consumes `nonce` for (`rfc`, `accion`) at `now`. Exactly one of any number of concurrent calls
/// with the same nonce succeeds.
pub fn consume(
    kv: &dyn KeyValue,
    nonce: &str,
    rfc: &str,
    accion: &str,
    now: DateTime<Utc>,
) -> Result<(), ActError> {
    let Some(record) = kv
        .get_json::<NonceRecord>(&key(nonce))
        .map_err(|e| match e {
            avisos_kv::KvError::Corrupt { .. } => unknown(),
            other => ActError::from(other),
        })?
    else {
        // Spent nonces lose their record (below); their use counter still tells.
        return match expiring::read_counter(kv, &use_counter(nonce)) {
            Ok(Some(uses)) if uses > 0 => Err(used()),
            Ok(_) | Err(avisos_kv::KvError::Corrupt { .. }) => Err(unknown()),
            Err(other) => Err(other.into()),
        };
    };
    if record.accion != accion {
        return Err(ActError::NonceOtherAction {
            issued_for: record.accion,
            used_for: accion.to_owned(),
        });
    }
    if !record.rfc.eq_ignore_ascii_case(rfc) {
        return Err(ActError::NonceOtherRfc);
    }
    if now > record.expira {
        return Err(ActError::NonceExpired);
    }
    if kv.increment(&use_counter(nonce), 1)? == 1 {
        // Best effort: the use counter alone refuses it from now on.
        let _ = kv.delete(&key(nonce));
        Ok(())
    } else {
        Err(used())
    }
}

fn unknown() -> ActError {
    ActError::NonceUnknown
}

fn used() -> ActError {
    ActError::NonceUsed
}

#[cfg(test)]
mod tests {
    use super::*;
    use avisos_kv::MemoryKv;
    use std::sync::Arc;

    fn t0() -> DateTime<Utc> {
        "2026-11-23T18:00:00Z".parse().unwrap()
    }

    #[test]
    fn consumed_once() {
        let kv = MemoryKv::new();
        let n = issue(&kv, "EDE200101AB0", "X", t0(), [1; 24]).unwrap();
        assert_eq!(n.nonce.len(), 32);
        consume(&kv, &n.nonce, "EDE200101AB0", "X", t0()).unwrap();
        let e = consume(&kv, &n.nonce, "EDE200101AB0", "X", t0()).unwrap_err();
        assert_eq!(e, ActError::NonceUsed);
    }

    #[test]
    fn refusals() {
        let kv = MemoryKv::new();
        let n = issue(&kv, "EDE200101AB0", "X", t0(), [2; 24]).unwrap();
        let code = |nonce: &str, rfc: &str, acc: &str, at| {
            consume(&kv, nonce, rfc, acc, at).unwrap_err().codigo()
        };
        assert_eq!(code("nope", "EDE200101AB0", "X", t0()), "NONCE_DESCONOCIDO");
        assert_eq!(
            code(&n.nonce, "EDE200101AB0", "Y", t0()),
            "NONCE_OTRA_ACCION"
        );
        assert_eq!(code(&n.nonce, "DELP900303MN5", "X", t0()), "NONCE_OTRO_RFC");
        let late = t0() + Duration::seconds(TTL_SECONDS + 1);
        assert_eq!(code(&n.nonce, "EDE200101AB0", "X", late), "NONCE_EXPIRADO");
        // None of the refusals used it up.
        consume(&kv, &n.nonce, "EDE200101AB0", "X", t0()).unwrap();
    }

    /// A spent nonce is refused at every instant (the use counter, then expiry, then nothing
    /// left to find), and its keys are gone once later nonces swept them.
    #[test]
    fn a_spent_nonce_stays_refused_until_its_keys_are_swept() {
        let kv = MemoryKv::new();
        let n = issue(&kv, "EDE200101AB0", "X", t0(), [4; 24]).unwrap();
        consume(&kv, &n.nonce, "EDE200101AB0", "X", t0()).unwrap();
        assert!(
            !kv.exists(&key(&n.nonce)).unwrap(),
            "the record goes at first use"
        );
        let mut seen = std::collections::BTreeSet::new();
        for step in 0..60u8 {
            let at = t0() + Duration::seconds(i64::from(step) * 15);
            // Other clients' nonces keep the sweep going.
            issue(&kv, "DELP900303MN5", "X", at, [step; 24]).unwrap();
            let e = consume(&kv, &n.nonce, "EDE200101AB0", "X", at).unwrap_err();
            seen.insert(e.codigo().to_string());
        }
        assert!(seen.contains("NONCE_USADO"), "{seen:?}");
        assert!(seen.contains("NONCE_DESCONOCIDO"), "{seen:?}");
        assert!(!kv.exists(&use_counter(&n.nonce)).unwrap(), "swept");
        // Only the nonces of the last minutes are left, not the 60 issued.
        let left = kv
            .snapshot()
            .data
            .keys()
            .filter(|k| k.starts_with("nonce:"))
            .count();
        assert!(left <= 40, "{left} nonce keys left");
    }

    /// A nonce nobody used is removed too, never before it expired.
    #[test]
    fn an_unused_nonce_is_removed_after_it_expires() {
        let kv = MemoryKv::new();
        let n = issue(&kv, "EDE200101AB0", "X", t0(), [5; 24]).unwrap();
        let mut at = t0();
        while kv.exists(&key(&n.nonce)).unwrap() {
            at += Duration::seconds(20);
            assert!(at < t0() + Duration::minutes(10), "never removed");
            issue(&kv, "DELP900303MN5", "X", at, [6; 24]).unwrap();
        }
        assert!(
            at > n.expira,
            "removed at {at}, before it expired at {}",
            n.expira
        );
    }

    #[test]
    fn concurrent_consumption_has_one_winner() {
        let kv = Arc::new(MemoryKv::new());
        let n = issue(&*kv, "EDE200101AB0", "X", t0(), [3; 24]).unwrap();
        let wins: usize = (0..16)
            .map(|_| {
                let kv = kv.clone();
                let nonce = n.nonce.clone();
                std::thread::spawn(move || consume(&*kv, &nonce, "EDE200101AB0", "X", t0()).is_ok())
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| h.join().unwrap() as usize)
            .sum();
        assert_eq!(wins, 1);
    }
}
