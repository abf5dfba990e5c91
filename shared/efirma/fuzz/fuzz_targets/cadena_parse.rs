//! The cadena original parser on arbitrary text: never panics, and whatever it accepts is
//! rebuilt to the same text (the encoding is canonical).
#![no_main]

use efirma::cadena::{cadena_original, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(fields) = parse(text) {
        assert_eq!(cadena_original(&fields), text);
    }
});
