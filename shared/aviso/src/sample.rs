//! Valid sample data for tests (check digits computed, not copied).

use chrono::NaiveDate;
use serde_json::Value;

use super::{curp_check_digit, nss_check_digit};

pub fn nss(seq: u32) -> String {
    let base = format!("{:010}", 1_234_000_000u64 + u64::from(seq));
    let d = nss_check_digit(&base).unwrap();
    format!("{base}{d}")
}

pub fn rfc(seq: u32) -> String {
    let letters = ["GOMA", "PERL", "LOHJ", "RAMS"];
    let base = format!(
        "{}{:02}{:02}{:02}X{}",
        letters[seq as usize % 4],
        80 + seq % 20,
        1 + seq % 12,
        1 + seq % 28,
        seq % 10
    );
    let chars: Vec<char> = base.chars().collect();
    format!("{base}{}", efirma::rfc::check_digit(&chars).unwrap())
}

pub fn curp(seq: u32) -> String {
    let base = format!(
        "GOMA{:02}{:02}{:02}HDFRRN{}",
        80 + seq % 20,
        1 + seq % 12,
        1 + seq % 28,
        seq % 10
    );
    let chars: Vec<char> = base.chars().collect();
    format!("{base}{}", curp_check_digit(&chars).unwrap())
}

pub fn row(seq: u32, fecha: NaiveDate) -> Value {
    serde_json::json!({
        "nrp": "Y5412345106",
        "nss": nss(seq),
        "rfc_trabajador": rfc(seq),
        "curp_trabajador": curp(seq),
        "folio_aviso": format!("AV{:012}", seq),
        "num_credito": format!("{:010}", 1_500_000_000u64 + u64::from(seq)),
        "tipo_aviso": "15",
        "fecha_aviso": fecha.to_string(),
        "fecha_otorgamiento": "2024-01-15",
        "fecha_inicio_descuento": "2024-02-01",
        "tipo_credito": "001",
        "estatus_credito": "VIG",
        "tipo_descuento": "3",
        "valor_descuento": "22.2500",
    })
}
