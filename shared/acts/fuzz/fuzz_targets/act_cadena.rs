//! The cadena original built from a client's `datos`: whatever the values hold (pipes,
//! backslashes, any Unicode), parsing the cadena gives back exactly the fields that were
//! signed, so no value can forge another field.
#![no_main]

use avisos_acts::act::ActSpec;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Up to four values separated by NUL; the RFC, fecha and nonce from the same text.
    let parts: Vec<&str> = text.split('\0').collect();
    let get = |i: usize| parts.get(i).copied().unwrap_or("").to_string();
    let names = [
        "servicio",
        "rfc_desarrollador",
        "inicio_vigencia",
        "fin_vigencia",
    ];
    let datos: Map<String, Value> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.to_string(), Value::String(get(i))))
        .collect();
    let Ok(spec) = ActSpec::from_datos("ADICIONAR_RELACION", None, &names, &datos) else {
        return;
    };
    let (rfc, fecha, nonce) = (get(4), get(5), get(6));
    let cadena = spec.cadena(&rfc, &fecha, &nonce, "");
    let fields = efirma::cadena::parse(&cadena).expect("a built cadena parses");
    let mut expected = vec![
        "AVISOS".to_string(),
        "1".into(),
        "ADICIONAR_RELACION".into(),
        rfc,
        fecha,
        nonce,
        String::new(),
    ];
    expected.extend(
        names
            .iter()
            .enumerate()
            .map(|(i, n)| format!("{n}={}", get(i))),
    );
    assert_eq!(fields, expected);
});
