//! Sessions: an e.firma login yields a short-lived token bound to one RFC and one role, signed with
//! HMAC-SHA256 under a secret key. The page receives it as an HttpOnly, Secure, SameSite=Strict
//! cookie; API clients as a Bearer token. Logout revokes the token's id until it would expire.
//!
//! Token: `v1.<base64url(JSON payload)>.<base64url(HMAC-SHA256(key, "v1." + payload))>`.

use crate::ActError;
use avisos_kv::{KeyValue, KeyValueJson, expiring};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::config::Mode;

/// Sessions are short: twenty minutes, then a new e.firma login.
pub const TTL_SECONDS: i64 = 20 * 60;
pub const COOKIE_NAME: &str = "avisos_sesion";
/// Minimum length of a configured session key.
pub use crate::secret::MIN_KEY_BYTES;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Patron,
    Desarrollador,
    Analista,
}

impl Role {
    /// Every role (openapi.yaml's `rol` enums are checked against it).
    pub const ALL: [Role; 3] = [Role::Patron, Role::Desarrollador, Role::Analista];

    pub fn parse(s: &str) -> Option<Role> {
        match s.trim().to_ascii_lowercase().as_str() {
            "patron" | "patrón" => Some(Role::Patron),
            "desarrollador" => Some(Role::Desarrollador),
            "analista" => Some(Role::Analista),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Patron => "patron",
            Role::Desarrollador => "desarrollador",
            Role::Analista => "analista",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Session {
    pub rfc: String,
    pub rol: Role,
    pub nombre: String,
    pub emitida: DateTime<Utc>,
    pub expira: DateTime<Utc>,
    /// Random session id (revocation handle).
    pub sid: String,
}

impl Session {
    /// The signer of an act is this session's owner, in `role`: the e.firma that signed is the
    /// RFC that logged in.
    pub fn require_signer(&self, role: Role, signer_rfc: &str) -> Result<(), ActError> {
        self.require_role(&[role])?;
        if !self.rfc.eq_ignore_ascii_case(signer_rfc.trim()) {
            return Err(ActError::SignerNotSession);
        }
        Ok(())
    }

    pub fn require_role(&self, roles: &[Role]) -> Result<(), ActError> {
        if roles.contains(&self.rol) {
            Ok(())
        } else {
            Err(ActError::RoleNotAllowed(self.rol))
        }
    }
}

/// Creates a session and its token.
pub fn issue(
    key: &[u8],
    rfc: &str,
    nombre: &str,
    rol: Role,
    now: DateTime<Utc>,
    random: [u8; 16],
) -> (String, Session) {
    let session = Session {
        rfc: rfc.to_uppercase(),
        rol,
        nombre: nombre.to_string(),
        emitida: now,
        expira: now + Duration::seconds(TTL_SECONDS),
        sid: crate::b64url().encode(random),
    };
    let payload = crate::b64url().encode(serde_json::to_vec(&session).unwrap_or_default());
    let signed = format!("v1.{payload}");
    let tag = crate::b64url().encode(mac(key, signed.as_bytes()));
    (format!("{signed}.{tag}"), session)
}

fn mac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

/// Checks a token's signature, expiry and revocation.
pub fn verify(
    key: &[u8],
    token: &str,
    kv: &dyn KeyValue,
    now: DateTime<Utc>,
) -> Result<Session, ActError> {
    let mut parts = token.trim().split('.');
    let (Some("v1"), Some(payload), Some(tag), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    let tag = crate::b64url().decode(tag).map_err(|_| invalid())?;
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key).map_err(|_| invalid())?;
    m.update(format!("v1.{payload}").as_bytes());
    // Constant-time comparison.
    m.verify_slice(&tag).map_err(|_| invalid())?;
    let json = crate::b64url().decode(payload).map_err(|_| invalid())?;
    let session: Session = serde_json::from_slice(&json).map_err(|_| invalid())?;
    if now >= session.expira {
        return Err(ActError::SessionExpired);
    }
    if kv.exists(&revocation_key(&session.sid))? {
        return Err(ActError::SessionClosed);
    }
    Ok(session)
}

/// Ends a session before its expiry. The revocation is kept only until the session would
/// have expired anyway (then [`verify`] refuses it as expired): it is registered to expire with
/// it (`avisos_kv::expiring`), so logouts do not pile up in the store.
pub fn revoke(kv: &dyn KeyValue, session: &Session, now: DateTime<Utc>) -> Result<(), ActError> {
    let key = revocation_key(&session.sid);
    expiring::expire(kv, &[&key], session.expira.timestamp(), now.timestamp())?;
    kv.set_json(&key, &session.expira)?;
    Ok(())
}

fn revocation_key(sid: &str) -> String {
    format!("sesion:revocada:{sid}")
}

fn invalid() -> ActError {
    ActError::SessionInvalid
}

/// The session token of a request, given its `Authorization` and `Cookie` headers:
/// `Authorization: Bearer …` or the session cookie.
pub fn token_from_headers(authorization: Option<&str>, cookie: Option<&str>) -> Option<String> {
    if let Some(auth) = authorization {
        let mut it = auth.trim().splitn(2, ' ');
        if let (Some(scheme), Some(token)) = (it.next(), it.next())
            && scheme.eq_ignore_ascii_case("bearer")
        {
            return Some(token.trim().to_string());
        }
    }
    cookie.and_then(|cookies| {
        cookies.split(';').find_map(|c| {
            let (name, value) = c.trim().split_once('=')?;
            (name == COOKIE_NAME).then(|| value.to_string())
        })
    })
}

/// Requires a valid session, given the request's token ([`token_from_headers`]).
pub fn require(
    token: Option<&str>,
    key: &[u8],
    kv: &dyn KeyValue,
    now: DateTime<Utc>,
) -> Result<Session, ActError> {
    let token = token.ok_or(ActError::SessionRequired)?;
    verify(key, token, kv, now)
}

pub fn set_cookie(token: &str) -> String {
    format!(
        "{COOKIE_NAME}={token}; Path=/; Max-Age={TTL_SECONDS}; HttpOnly; Secure; SameSite=Strict"
    )
}

pub fn clear_cookie() -> String {
    format!("{COOKIE_NAME}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict")
}

/// The HMAC key: the configured secret, or in demo mode one generated on first use and kept in
/// the store (`config:demo:clave-sesion`, see [`crate::secret`]).
pub fn resolve_key(
    kv: &dyn KeyValue,
    mode: Mode,
    configured: &str,
    random: [u8; 32],
) -> Result<Vec<u8>, ActError> {
    crate::secret::resolve(kv, mode, "clave_sesion", configured, random)
        .map(|k| k.as_bytes().to_vec())
}

/// A configured `clave_sesion`: present and at least [`MIN_KEY_BYTES`] long.
pub fn configured_key(configured: &str) -> Result<Vec<u8>, ActError> {
    crate::secret::configured("clave_sesion", configured).map(|k| k.as_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use avisos_kv::MemoryKv;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn t0() -> DateTime<Utc> {
        "2026-11-23T18:00:00Z".parse().unwrap()
    }

    #[test]
    fn the_signer_must_be_the_session_in_the_acts_role() {
        let s = crate::testutil::session("EDE200101AB0", Role::Patron);
        assert!(s.require_signer(Role::Patron, " ede200101ab0 ").is_ok());
        let other = s.require_signer(Role::Patron, "DELP900303MN5").unwrap_err();
        assert_eq!(other.codigo(), "SESION_NO_COINCIDE");
        let role = s
            .require_signer(Role::Analista, "EDE200101AB0")
            .unwrap_err();
        assert_eq!(role.codigo(), "ROL_NO_PERMITIDO");
    }

    #[test]
    fn round_trip_and_expiry() {
        let kv = MemoryKv::new();
        let (token, s) = issue(KEY, "ede200101ab0", "EMPRESA", Role::Patron, t0(), [7; 16]);
        assert_eq!(s.rfc, "EDE200101AB0");
        let back = verify(KEY, &token, &kv, t0() + Duration::seconds(60)).unwrap();
        assert_eq!(back, s);
        let late = t0() + Duration::seconds(TTL_SECONDS);
        assert_eq!(
            verify(KEY, &token, &kv, late).unwrap_err().codigo(),
            "SESION_EXPIRADA"
        );
    }

    #[test]
    fn forged_or_altered_tokens_are_refused() {
        let kv = MemoryKv::new();
        let (token, _) = issue(KEY, "EDE200101AB0", "E", Role::Patron, t0(), [7; 16]);
        // Another key.
        assert_eq!(
            verify(b"another-key-another-key-another-k", &token, &kv, t0())
                .unwrap_err()
                .codigo(),
            "SESION_INVALIDA"
        );
        // Payload changed to another role, tag kept.
        let parts: Vec<&str> = token.split('.').collect();
        let mut s: Session =
            serde_json::from_slice(&crate::b64url().decode(parts[1]).unwrap()).unwrap();
        s.rol = Role::Analista;
        let forged = format!(
            "v1.{}.{}",
            crate::b64url().encode(serde_json::to_vec(&s).unwrap()),
            parts[2]
        );
        assert_eq!(
            verify(KEY, &forged, &kv, t0()).unwrap_err().codigo(),
            "SESION_INVALIDA"
        );
        for bad in ["", "v1", "v1.a.b.c", "v2.a.b", "v1.%%%.abc"] {
            assert_eq!(
                verify(KEY, bad, &kv, t0()).unwrap_err().codigo(),
                "SESION_INVALIDA"
            );
        }
    }

    #[test]
    fn revoked_session_is_refused() {
        let kv = MemoryKv::new();
        let (token, s) = issue(KEY, "EDE200101AB0", "E", Role::Patron, t0(), [9; 16]);
        revoke(&kv, &s, t0()).unwrap();
        assert_eq!(
            verify(KEY, &token, &kv, t0()).unwrap_err().codigo(),
            "SESION_CERRADA"
        );
    }

    /// A revocation is refused until the session expires, and swept after: a thousand
    /// logouts leave only the revocations of sessions that could still be used.
    #[test]
    fn revocations_are_kept_while_their_session_lives_then_swept() {
        let kv = MemoryKv::new();
        let mut sessions = Vec::new();
        for i in 0..1_000u16 {
            let at = t0() + Duration::seconds(i64::from(i) * 6);
            let random: [u8; 16] = std::array::from_fn(|b| (i >> (8 * (b % 2))) as u8);
            let (token, s) = issue(KEY, "EDE200101AB0", "E", Role::Patron, at, random);
            revoke(&kv, &s, at).unwrap();
            sessions.push((token, s));
            // Every session revoked in the last twenty minutes is still refused as closed.
            for (token, s) in sessions.iter().rev().take(5) {
                if at < s.expira {
                    assert_eq!(
                        verify(KEY, token, &kv, at).unwrap_err().codigo(),
                        "SESION_CERRADA"
                    );
                }
            }
        }
        let revocations = kv
            .snapshot()
            .data
            .keys()
            .filter(|k| k.starts_with("sesion:revocada:"))
            .count();
        // 200 sessions of the last 20 minutes are alive; a few minutes' worth more await the sweep.
        assert!(
            (200..=260).contains(&revocations),
            "{revocations} revocations kept"
        );
    }

    #[test]
    fn token_from_bearer_or_cookie() {
        assert_eq!(
            token_from_headers(Some("Bearer abc"), None).as_deref(),
            Some("abc")
        );
        assert_eq!(
            token_from_headers(None, Some("x=1; avisos_sesion=tok; y=2")).as_deref(),
            Some("tok")
        );
        assert_eq!(token_from_headers(None, None), None);
        assert_eq!(
            require(None, KEY, &MemoryKv::new(), t0()).unwrap_err(),
            ActError::SessionRequired
        );
    }

    #[test]
    fn cookie_attributes() {
        let c = set_cookie("t");
        for attr in [
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
            "Path=/",
            "Max-Age=1200",
        ] {
            assert!(c.contains(attr), "{attr}");
        }
    }

    #[test]
    fn key_resolution() {
        let kv = MemoryKv::new();
        assert_eq!(
            resolve_key(&kv, Mode::Produccion, "", [1; 32])
                .unwrap_err()
                .codigo(),
            "CONFIGURACION_INVALIDA"
        );
        assert!(resolve_key(&kv, Mode::Produccion, "short", [1; 32]).is_err());
        let configured = "k".repeat(40);
        assert_eq!(
            resolve_key(&kv, Mode::Produccion, &configured, [1; 32]).unwrap(),
            configured.as_bytes()
        );
        // Demo: first generated key sticks.
        let a = resolve_key(&kv, Mode::Demo, "", [1; 32]).unwrap();
        let b = resolve_key(&kv, Mode::Demo, "", [2; 32]).unwrap();
        assert_eq!(a, b);
        assert_eq!(a, vec![1; 32]);
    }
}
