//! The service's HMAC keys from Spin variables: `clave_sesion` (session tokens) and
//! `clave_contrasena` (the employers' service passwords). Each is at least [`MIN_KEY_BYTES`]
//! long.
//!
//! **Fails closed**, like the rest of the configuration: production needs the variable set, or
//! the requests that use the key answer 503 `CONFIGURACION_INVALIDA` naming it. Only demo mode,
//! asked for explicitly, generates a missing key on first use and keeps it in the store under
//! `config:demo:<variable>` (the first writer wins, so concurrent first requests agree).

use crate::ActError;
use crate::config::Mode;
use avisos_kv::KeyValue;

/// Minimum length of a configured key.
pub const MIN_KEY_BYTES: usize = 32;

/// An HMAC key; its bytes never appear in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct HmacKey(Vec<u8>);

impl HmacKey {
    /// A key from its bytes (tests and the resolution below).
    pub fn new(bytes: impl Into<Vec<u8>>) -> HmacKey {
        HmacKey(bytes.into())
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HmacKey(…)")
    }
}

/// Whether two secrets' digests are equal, in time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // black_box keeps the optimiser from turning the fold into an early exit.
    std::hint::black_box(diff) == 0
}

/// A configured key: present and at least [`MIN_KEY_BYTES`] long.
pub fn configured(variable: &'static str, value: &str) -> Result<HmacKey, ActError> {
    let value = value.trim();
    if value.len() < MIN_KEY_BYTES {
        return Err(ActError::Misconfigured(variable));
    }
    Ok(HmacKey::new(value.as_bytes()))
}

/// The key of `variable`: its configured value, or in demo mode (and only when unset) one made
/// of `random` on first use and kept in the store.
pub fn resolve(
    kv: &dyn KeyValue,
    mode: Mode,
    variable: &'static str,
    value: &str,
    random: [u8; 32],
) -> Result<HmacKey, ActError> {
    if !value.trim().is_empty() || mode == Mode::Produccion {
        return configured(variable, value);
    }
    let stored = format!("config:demo:{}", variable.replace('_', "-"));
    crate::config::demo_secret(kv, &stored, || Ok(random.to_vec())).map(HmacKey::new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use avisos_kv::MemoryKv;

    const KEY: &str = "clave-de-pruebas-0123456789abcdef0123";

    #[test]
    fn production_requires_a_long_enough_key() {
        let kv = MemoryKv::new();
        for value in ["", "   ", "corta"] {
            let e = resolve(&kv, Mode::Produccion, "clave_contrasena", value, [1; 32]).unwrap_err();
            assert_eq!(e, ActError::Misconfigured("clave_contrasena"));
        }
        let k = resolve(&kv, Mode::Produccion, "clave_contrasena", KEY, [1; 32]).unwrap();
        assert_eq!(k.as_bytes(), KEY.as_bytes());
        assert!(kv.is_empty(), "production never stores a key");
        assert_eq!(format!("{k:?}"), "HmacKey(…)");
    }

    #[test]
    fn demo_generates_once_and_keeps_it_per_variable() {
        let kv = MemoryKv::new();
        let first = resolve(&kv, Mode::Demo, "clave_contrasena", "", [1; 32]).unwrap();
        let again = resolve(&kv, Mode::Demo, "clave_contrasena", "", [2; 32]).unwrap();
        assert_eq!(first, again);
        assert_eq!(first.as_bytes(), [1; 32]);
        assert!(kv.get("config:demo:clave-contrasena").unwrap().is_some());
        let other = resolve(&kv, Mode::Demo, "clave_sesion", "", [3; 32]).unwrap();
        assert_eq!(other.as_bytes(), [3; 32]);
        // A configured key wins in demo mode too, and must be valid.
        let k = resolve(&kv, Mode::Demo, "clave_contrasena", KEY, [4; 32]).unwrap();
        assert_eq!(k.as_bytes(), KEY.as_bytes());
        assert!(resolve(&kv, Mode::Demo, "clave_contrasena", "corta", [4; 32]).is_err());
    }
}
