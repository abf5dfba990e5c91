//! Lenient decoding of directory-string values as SAT actually writes them.
//!
//! SAT's certificates break the string rules in several ways, and real users must not be locked
//! out for it: x500UniqueIdentifier (an X.520 BIT STRING) is written as PrintableString or
//! T61String; T61String carries ISO-8859-1 bytes (`Ñ` = 0xD1); PrintableString sometimes holds
//! characters outside its alphabet, even raw UTF-8; and some CA names are UTF-8 encoded twice
//! (`AdministraciÃ³n`). We read the bytes, never reject them.

use der::Tag;

/// UniversalString's tag number (der has no named variant for it).
const UNIVERSAL_STRING: u32 = 28;

/// Decodes an attribute value given its tag and content bytes.
pub(crate) fn decode_directory_string(tag: Tag, bytes: &[u8]) -> String {
    match tag {
        Tag::Utf8String => repair_double_utf8(&utf8_or_latin1(bytes)),
        Tag::BmpString => decode_utf16be(bytes),
        t if t.is_universal() && t.number().value() == UNIVERSAL_STRING => decode_utf32be(bytes),
        // BIT STRING (the X.520 form of x500UniqueIdentifier): skip the unused-bits octet.
        Tag::BitString => utf8_or_latin1(bytes.get(1..).unwrap_or_default()),
        // PrintableString, T61String, IA5String, VisibleString and anything else byte-based.
        _ => utf8_or_latin1(bytes),
    }
}

/// UTF-8 when the bytes are valid UTF-8, otherwise ISO-8859-1 (every byte is one code point).
///
/// Latin-1 text with accents is almost never valid UTF-8 (0xD1 alone is an invalid sequence),
/// while raw UTF-8 in a PrintableString is, so trying UTF-8 first reads both.
fn utf8_or_latin1(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => bytes.iter().map(|b| char::from(*b)).collect(),
    }
}

/// Undoes one level of double UTF-8 encoding (`Ã³` → `ó`) when the text is exactly that.
fn repair_double_utf8(s: &str) -> String {
    let has_high = s.chars().any(|c| ('\u{80}'..='\u{ff}').contains(&c));
    let all_latin1 = s.chars().all(|c| (c as u32) <= 0xff);
    if !has_high || !all_latin1 {
        return s.to_owned();
    }
    let bytes: Vec<u8> = s.chars().map(|c| c as u32 as u8).collect();
    match String::from_utf8(bytes) {
        Ok(repaired) => repaired,
        Err(_) => s.to_owned(),
    }
}

fn decode_utf16be(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
        .collect();
    String::from_utf16_lossy(&units)
}

fn decode_utf32be(bytes: &[u8]) -> String {
    bytes
        .chunks(4)
        .map(|c| {
            let mut b = [0u8; 4];
            b[..c.len()].copy_from_slice(c);
            char::from_u32(u32::from_be_bytes(b)).unwrap_or(char::REPLACEMENT_CHARACTER)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t61_latin1_enye() {
        assert_eq!(
            decode_directory_string(Tag::TeletexString, b"COMPA\xd1IA SANTA MARIA"),
            "COMPAÑIA SANTA MARIA"
        );
    }

    #[test]
    fn printable_string_with_raw_utf8() {
        assert_eq!(
            decode_directory_string(Tag::PrintableString, "Administración".as_bytes()),
            "Administración"
        );
    }

    #[test]
    fn double_encoded_utf8_is_repaired() {
        let double = "AdministraciÃ³n".as_bytes();
        assert_eq!(
            decode_directory_string(Tag::Utf8String, double),
            "Administración"
        );
        // Plain UTF-8 text with characters beyond Latin-1 is left alone.
        assert_eq!(
            decode_directory_string(Tag::Utf8String, "año € ".as_bytes()),
            "año € "
        );
    }

    #[test]
    fn bmp_and_bit_string() {
        assert_eq!(
            decode_directory_string(Tag::BmpString, &[0, b'A', 0, 0xd1]),
            "AÑ"
        );
        assert_eq!(decode_directory_string(Tag::BitString, b"\x00RFC"), "RFC");
    }
}
