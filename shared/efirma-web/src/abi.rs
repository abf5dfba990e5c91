//! The C ABI the page's JS glue (`static/efirma.js`) calls. Inputs are copied into buffers from
//! [`efirma_alloc`] and released with [`efirma_free`], which zeroes them first (the key and the
//! password pass through them). Each call leaves its answer — JSON text — in one output buffer
//! read with [`efirma_output_ptr`] and [`efirma_output_len`]; the return value says whether it is
//! a result (0) or a refusal (1, `{"codigo","mensaje","campo"}`).

use std::cell::RefCell;

use chrono::{DateTime, Utc};
use zeroize::Zeroize;

use crate::json;

thread_local! {
    static OUTPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

const OK: u32 = 0;
const REFUSED: u32 = 1;

fn answer(result: Result<String, String>) -> u32 {
    let (status, text) = match result {
        Ok(text) => (OK, text),
        Err(text) => (REFUSED, text),
    };
    OUTPUT.with(|o| *o.borrow_mut() = text.into_bytes());
    status
}

/// # Safety
/// `ptr..ptr+len` must be a live buffer from [`efirma_alloc`] (or `len` 0).
unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    if len == 0 || ptr.is_null() {
        &[]
    } else {
        // SAFETY: the caller passes a buffer it obtained from efirma_alloc(len).
        unsafe { std::slice::from_raw_parts(ptr, len) }
    }
}

fn instant(now_ms: f64) -> Result<DateTime<Utc>, String> {
    if now_ms.is_finite()
        && let Some(t) = DateTime::from_timestamp_millis(now_ms as i64)
    {
        return Ok(t);
    }
    let mut o = json::Object::new();
    o.str("codigo", "RELOJ_INVALIDO");
    o.str("mensaje", "La fecha y hora del equipo no son válidas.");
    o.str("campo", "certificado");
    Err(o.finish())
}

/// A buffer of `len` bytes for the caller to fill.
#[unsafe(no_mangle)]
pub extern "C" fn efirma_alloc(len: usize) -> *mut u8 {
    let mut buffer = vec![0u8; len].into_boxed_slice();
    let ptr = buffer.as_mut_ptr();
    std::mem::forget(buffer);
    ptr
}

/// Zeroes and releases a buffer from [`efirma_alloc`].
///
/// # Safety
/// `ptr` and `len` must be exactly what [`efirma_alloc`] returned and was asked for, once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn efirma_free(ptr: *mut u8, len: usize) {
    if ptr.is_null() {
        return;
    }
    // SAFETY: rebuilt from the same pointer and length efirma_alloc leaked.
    let mut buffer = unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)) };
    buffer.zeroize();
}

/// Start of the last answer.
#[unsafe(no_mangle)]
pub extern "C" fn efirma_output_ptr() -> *const u8 {
    OUTPUT.with(|o| o.borrow().as_ptr())
}

/// Length of the last answer.
#[unsafe(no_mangle)]
pub extern "C" fn efirma_output_len() -> usize {
    OUTPUT.with(|o| o.borrow().len())
}

/// [`crate::summary`] of a certificate at `now_ms` (milliseconds since the Unix epoch).
///
/// # Safety
/// Buffers as for [`efirma_free`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn efirma_summary(cer: *const u8, cer_len: usize, now_ms: f64) -> u32 {
    // SAFETY: forwarded caller contract.
    let cer = unsafe { bytes(cer, cer_len) };
    answer(instant(now_ms).and_then(|now| {
        crate::summary(cer, now)
            .map(|s| s.to_json())
            .map_err(|r| r.to_json())
    }))
}

/// [`crate::sign`]: `{"firma": base64, "certificado": {…}}` or a refusal.
///
/// # Safety
/// Buffers as for [`efirma_free`].
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn efirma_sign(
    cer: *const u8,
    cer_len: usize,
    key: *const u8,
    key_len: usize,
    password: *const u8,
    password_len: usize,
    message: *const u8,
    message_len: usize,
    now_ms: f64,
) -> u32 {
    // SAFETY: forwarded caller contract.
    let (cer, key, password, message) = unsafe {
        (
            bytes(cer, cer_len),
            bytes(key, key_len),
            bytes(password, password_len),
            bytes(message, message_len),
        )
    };
    answer(instant(now_ms).and_then(|now| {
        crate::sign(cer, key, password, message, now)
            .map(|s| s.to_json())
            .map_err(|r| r.to_json())
    }))
}

/// The cadena original of length-framed fields ([`crate::cadena_from_frames`]), as UTF-8 text.
///
/// # Safety
/// Buffers as for [`efirma_free`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn efirma_cadena(frames: *const u8, frames_len: usize) -> u32 {
    // SAFETY: forwarded caller contract.
    let frames = unsafe { bytes(frames, frames_len) };
    answer(crate::cadena_from_frames(frames).ok_or_else(|| {
        let mut o = json::Object::new();
        o.str("codigo", "CADENA_INVALIDA");
        o.str(
            "mensaje",
            "Los campos de la cadena original no son válidos.",
        );
        o.finish()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(data: &[u8]) -> (*mut u8, usize) {
        let p = efirma_alloc(data.len());
        // SAFETY: p has data.len() bytes.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), p, data.len()) };
        (p, data.len())
    }

    fn output() -> String {
        // SAFETY: the output buffer is live until the next call.
        let b = unsafe { std::slice::from_raw_parts(efirma_output_ptr(), efirma_output_len()) };
        String::from_utf8(b.to_vec()).unwrap()
    }

    #[test]
    fn signs_through_the_abi_like_the_page() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../static/demo/efirma/NDE190512XY6");
        let cer = put(&std::fs::read(dir.join("certificado.cer")).unwrap());
        let key = put(&std::fs::read(dir.join("clave.key")).unwrap());
        let pw = put(b"demo12345");
        let msg = put(b"||hola||");
        let now = 1_800_000_000_000.0; // 2027-01-15
        // SAFETY: buffers from efirma_alloc.
        let status =
            unsafe { efirma_sign(cer.0, cer.1, key.0, key.1, pw.0, pw.1, msg.0, msg.1, now) };
        assert_eq!(status, OK, "{}", output());
        assert!(output().contains("\"rfc\":\"NDE190512XY6\""));
        // SAFETY: as above.
        let status = unsafe { efirma_summary(cer.0, cer.1, f64::NAN) };
        assert_eq!(status, REFUSED);
        assert!(output().contains("RELOJ_INVALIDO"));
        for (p, l) in [cer, key, pw, msg] {
            // SAFETY: each buffer released once.
            unsafe { efirma_free(p, l) };
        }
    }
}
