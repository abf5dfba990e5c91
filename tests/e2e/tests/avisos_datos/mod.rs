//! Valid aviso rows for the avisos tests and benchmark, with check digits computed here (an
//! independent implementation of the rules openapi.yaml documents, not the server's code).

#![allow(dead_code)]

use chrono::NaiveDate;
use serde_json::{Value, json};

pub const NRP_A: &str = "Y5412345106";
pub const NRP_B: &str = "E5312345109";
pub const TIPOS: [&str; 6] = ["15", "16", "17", "18", "19", "20"];

/// NSS: Luhn over the first ten digits.
pub fn nss(seq: u64) -> String {
    let base = format!("{:010}", 2_000_000_000 + seq);
    let sum: u32 = base
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0') * if i % 2 == 1 { 2 } else { 1 };
            if d > 9 { d - 9 } else { d }
        })
        .sum();
    format!("{base}{}", (10 - sum % 10) % 10)
}

pub fn rfc(seq: u64) -> String {
    let base = format!(
        "PELJ{:02}{:02}{:02}K{}",
        70 + seq % 30,
        1 + seq % 12,
        1 + seq % 28,
        seq % 10
    );
    let chars: Vec<char> = base.chars().collect();
    format!(
        "{base}{}",
        efirma::rfc::check_digit(&chars).expect("rfc digit")
    )
}

/// CURP: RENAPO's check digit (weights 18..2 over "0-9A-NÑO-Z", mod 10).
pub fn curp(seq: u64) -> String {
    let base = format!(
        "PELJ{:02}{:02}{:02}HJCRRN{}",
        70 + seq % 30,
        1 + seq % 12,
        1 + seq % 28,
        seq % 10
    );
    let alphabet: Vec<char> = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ".chars().collect();
    let sum: usize = base
        .chars()
        .enumerate()
        .map(|(i, c)| alphabet.iter().position(|a| *a == c).expect("curp char") * (18 - i))
        .sum();
    format!("{base}{}", (10 - sum % 10) % 10)
}

pub fn folio(seq: u64) -> String {
    format!("AV{seq:012}")
}

/// One valid aviso; NRP, type and discount vary with `seq`.
pub fn row(seq: u64, fecha: NaiveDate) -> Value {
    let tipo = TIPOS[(seq % 6) as usize];
    let (tipo_descuento, valor) = match seq % 3 {
        0 => ("1", "20.00"),
        1 => ("2", "1250.50"),
        _ => ("3", "22.2500"),
    };
    json!({
        "nrp": if seq.is_multiple_of(4) { NRP_B } else { NRP_A },
        "nss": nss(seq),
        "rfc_trabajador": rfc(seq),
        "curp_trabajador": curp(seq),
        "folio_aviso": folio(seq),
        "num_credito": format!("{:010}", 1_400_000_000 + seq),
        "tipo_aviso": tipo,
        "fecha_aviso": fecha.to_string(),
        "fecha_otorgamiento": "2023-05-10",
        "fecha_inicio_descuento": "2023-06-01",
        "tipo_credito": "001",
        "estatus_credito": "VIG",
        "tipo_descuento": tipo_descuento,
        "valor_descuento": valor,
    })
}

/// `n` avisos spread evenly over `days` days ending on `last`.
pub fn spread(n: u64, last: NaiveDate, days: u64) -> Vec<Value> {
    (0..n)
        .map(|i| row(i, last - chrono::Days::new(i * days / n.max(1))))
        .collect()
}
