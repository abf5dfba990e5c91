//! Session tokens from untrusted headers (`Authorization: Bearer …`, the session cookie):
//! extracting and verifying them never panics and never accepts a token not signed with
//! the service's key.
#![no_main]

use avisos_acts::session;
use avisos_kv::MemoryKv;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (auth, cookie) = text.split_once('\n').unwrap_or((&text, ""));
    let kv = MemoryKv::new();
    let now = chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap_or_default();
    let key = b"clave-de-sesion-solo-para-pruebas-0123456789";
    let token = session::token_from_headers(Some(auth), Some(cookie));
    assert!(session::require(token.as_deref(), key, &kv, now).is_err());
});
