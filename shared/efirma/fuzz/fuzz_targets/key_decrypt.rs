//! Private-key reading and decryption on arbitrary bytes: never panics, never hangs (PBKDF2
//! iterations are bounded by policy).
#![no_main]

use efirma::PrivateKey;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks a password length so both the key and the password vary.
    let Some((&split, rest)) = data.split_first() else {
        return;
    };
    let split = usize::from(split).min(rest.len());
    let (password, key) = rest.split_at(split.min(16));
    if let Ok(key) = PrivateKey::decrypt(key, password) {
        let _ = key.sign(b"||fuzz||");
    }
});
