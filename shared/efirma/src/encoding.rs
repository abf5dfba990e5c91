//! How certificates and keys arrive: DER, PEM (any line length, CRLF) or bare base64 (as in a
//! CFDI's `Certificado` attribute), and the hex the verifier prints.

use crate::error::EfirmaError;

/// DER from DER, PEM or bare base64 input.
pub(crate) fn to_der(bytes: &[u8]) -> Result<Vec<u8>, EfirmaError> {
    let trimmed = bytes.trim_ascii_start();
    if trimmed.starts_with(b"-----BEGIN") {
        return pem_body(
            trimmed,
            &["CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"],
        )
        .map_err(EfirmaError::MalformedCertificate);
    }
    if trimmed.first() == Some(&0x30) && !is_base64_text(trimmed) {
        return Ok(bytes.to_vec());
    }
    if is_base64_text(trimmed) && !trimmed.is_empty() {
        return decode_base64_lenient(trimmed).map_err(EfirmaError::MalformedCertificate);
    }
    Ok(bytes.to_vec())
}

fn is_base64_text(bytes: &[u8]) -> bool {
    bytes.iter().all(|b| {
        b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=') || b.is_ascii_whitespace()
    })
}

fn decode_base64_lenient(text: &[u8]) -> Result<Vec<u8>, String> {
    use base64ct::{Base64, Encoding};
    let compact: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    Base64::decode_vec(&String::from_utf8_lossy(&compact))
        .map_err(|e| format!("base64 inválido: {e}"))
}

/// The base64 body of the first PEM block whose label is one of `labels`; tolerant of CRLF, any
/// line length and headers-free variations.
pub(crate) fn pem_body(text: &[u8], labels: &[&str]) -> Result<Vec<u8>, String> {
    let text = String::from_utf8_lossy(text);
    let begin = text
        .find("-----BEGIN ")
        .ok_or_else(|| "PEM sin encabezado".to_owned())?;
    let rest = &text[begin + "-----BEGIN ".len()..];
    let label_end = rest
        .find("-----")
        .ok_or_else(|| "PEM sin encabezado".to_owned())?;
    let label = rest[..label_end].trim();
    if !labels.contains(&label) {
        return Err(format!("PEM de tipo «{label}» no esperado"));
    }
    let body_start = label_end + "-----".len();
    let end_marker = format!("-----END {label}-----");
    let body_end = rest[body_start..]
        .find(&end_marker)
        .ok_or_else(|| "PEM sin pie".to_owned())?;
    let body = &rest[body_start..body_start + body_end];
    if body.contains(':') {
        return Err("PEM con encabezados (formato cifrado antiguo) no admitido".to_owned());
    }
    decode_base64_lenient(body.as_bytes())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
