//! The password itself: how it is drawn, typed back and hashed (the parent module says why a
//! keyed hash).

use crate::RelationError;
use avisos_acts::secret::HmacKey;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// No look-alike characters: `0 O o`, `1 I l` are left out.
pub const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
pub const LENGTH: usize = 20;
const GROUP: usize = 5;

/// The hash of passwords generated now.
pub const HMAC_SHA256: &str = "hmac-sha256";
/// The hash of passwords generated before `clave_contrasena` existed (still checked, then
/// replaced).
pub const ARGON2ID: &str = "argon2id-v19";

/// The Argon2id parameters passwords were hashed with before [`HMAC_SHA256`].
pub const ARGON2_PARAMS: HashParams = HashParams {
    m_kib: 19 * 1024,
    t: 2,
    p: 1,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashParams {
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordHash {
    /// [`HMAC_SHA256`], or [`ARGON2ID`] for a password not checked since the change.
    pub algoritmo: String,
    /// Argon2id's parameters; absent for the HMAC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parametros: Option<HashParams>,
    /// base64.
    pub sal: String,
    /// base64 of the 32-byte output.
    pub hash: String,
}

/// A new password from `random` (called until enough unbiased bytes were drawn).
pub fn generate_secret(mut random: impl FnMut() -> [u8; 32]) -> String {
    // Rejection sampling: bytes ≥ 224 (= 4 × 56) are dropped, so every symbol is equally likely.
    let limit = (256 / ALPHABET.len() * ALPHABET.len()) as u8;
    let mut chars = Vec::with_capacity(LENGTH);
    while chars.len() < LENGTH {
        for b in random() {
            if b < limit && chars.len() < LENGTH {
                chars.push(ALPHABET[b as usize % ALPHABET.len()]);
            }
        }
    }
    chars
        .chunks(GROUP)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// The password as typed, without the group separators.
pub fn normalize_input(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .collect()
}

fn argon2(params: HashParams) -> Result<argon2::Argon2<'static>, RelationError> {
    let p = argon2::Params::new(params.m_kib, params.t, params.p, Some(32))
        .map_err(|_| RelationError::internal("invalid argon2 parameters"))?;
    Ok(argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        p,
    ))
}

/// HMAC-SHA-256 under `key` of the salt and the (normalised) password, domain-separated.
fn keyed(key: &HmacKey, salt: &[u8], password: &str) -> Result<[u8; 32], RelationError> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_bytes())
        .map_err(|_| RelationError::internal("invalid password key"))?;
    mac.update(b"avisos-contrasena-servicio\0");
    mac.update(salt);
    mac.update(password.as_bytes());
    Ok(mac.finalize().into_bytes().into())
}

/// Hashes a (normalised) password with the HMAC.
pub fn hash(password: &str, salt: [u8; 16], key: &HmacKey) -> Result<PasswordHash, RelationError> {
    let b64 = base64::engine::general_purpose::STANDARD;
    Ok(PasswordHash {
        algoritmo: HMAC_SHA256.into(),
        parametros: None,
        sal: b64.encode(salt),
        hash: b64.encode(keyed(key, &salt, password)?),
    })
}

/// Hashes a (normalised) password the way passwords were hashed before the HMAC: for the tests
/// of their migration and for making such records.
pub fn hash_argon2id(
    password: &str,
    salt: [u8; 16],
    params: HashParams,
) -> Result<PasswordHash, RelationError> {
    let mut out = [0u8; 32];
    argon2(params)?
        .hash_password_into(password.as_bytes(), &salt, &mut out)
        .map_err(|_| RelationError::internal("argon2 failed"))?;
    let b64 = base64::engine::general_purpose::STANDARD;
    Ok(PasswordHash {
        algoritmo: ARGON2ID.into(),
        parametros: Some(params),
        sal: b64.encode(salt),
        hash: b64.encode(out),
    })
}

/// Checks a typed password against a stored hash (constant-time comparison).
pub fn verify_hash(
    stored: &PasswordHash,
    typed: &str,
    key: &HmacKey,
) -> Result<bool, RelationError> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let corrupt = || RelationError::internal("stored password hash is not valid");
    let salt = b64.decode(&stored.sal).map_err(|_| corrupt())?;
    let expected = b64.decode(&stored.hash).map_err(|_| corrupt())?;
    let typed = normalize_input(typed);
    // Bound the work an absurd input can cause (the real password has 20 characters).
    if typed.is_empty() || typed.len() > 256 {
        return Ok(false);
    }
    let out = match (stored.algoritmo.as_str(), stored.parametros) {
        (HMAC_SHA256, _) => keyed(key, &salt, &typed)?.to_vec(),
        (ARGON2ID, Some(params)) => {
            let mut out = vec![0u8; expected.len()];
            argon2(params)?
                .hash_password_into(typed.as_bytes(), &salt, &mut out)
                .map_err(|_| corrupt())?;
            out
        }
        _ => return Err(corrupt()),
    };
    Ok(avisos_acts::secret::constant_time_eq(&out, &expected))
}
