//! Session tokens from untrusted headers (`Authorization: Bearer …`, the session cookie):
//! extracting and verifying them never panics and never accepts a token not signed with
//! the service's key.
#![no_main]

use avisos_acts::session;
use avisos_http::{HttpRequest, Method};
use avisos_kv::MemoryKv;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (auth, cookie) = text.split_once('\n').unwrap_or((&text, ""));
    let mut req = HttpRequest::new(Method::Get, "/api/v1/sesiones/actual");
    req.headers.push(("authorization".into(), auth.to_string()));
    req.headers.push(("cookie".into(), cookie.to_string()));
    let kv = MemoryKv::new();
    let now = chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap_or_default();
    let key = b"clave-de-sesion-solo-para-pruebas-0123456789";
    assert!(session::require(&req, key, &kv, now).is_err());
});
