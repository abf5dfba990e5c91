//! The identifiers of an aviso: employer (NRP), worker (NSS, RFC, CURP), the aviso's own folio
//! and the credit's number. Each `parse` takes the field's trimmed text, upper-cases it where
//! the identifier is upper-case, and returns the value or the Spanish refusal.

use chrono::NaiveDate;

use super::{all, upper_alnum};

text_field! {
    /// Registro patronal (IMSS), 11 characters: a letter or digit and 10 digits.
    Nrp
}

impl Nrp {
    /// The one refusal of a malformed NRP, for the aviso's field and the consultation's filter.
    pub const RULE: &'static str =
        "El NRP (registro patronal) debe tener 11 caracteres: una letra o dígito y 10 dígitos.";

    /// The NRP's shape, on upper-cased text.
    pub fn is_well_formed(v: &str) -> bool {
        v.len() == 11
            && v.starts_with(|c: char| c.is_ascii_uppercase() || c.is_ascii_digit())
            && all(&v[1..], |c| c.is_ascii_digit())
    }

    pub fn parse(v: &str) -> Result<Nrp, String> {
        let v = v.trim().to_uppercase();
        if Nrp::is_well_formed(&v) {
            Ok(Nrp(v))
        } else {
            Err(Nrp::RULE.to_string())
        }
    }
}

text_field! {
    /// Número de seguridad social, 11 digits, the last one a check digit.
    Nss
}

impl Nss {
    pub fn parse(v: &str) -> Result<Nss, String> {
        let v = v.trim();
        if v.len() != 11 || !all(v, |c| c.is_ascii_digit()) {
            Err("El NSS debe tener 11 dígitos.".to_string())
        } else if !nss_is_valid(v) {
            Err("El dígito verificador del NSS no es correcto.".to_string())
        } else {
            Ok(Nss(v.to_string()))
        }
    }
}

/// NSS check digit: Luhn over the first ten digits (weights 1, 2, 1, 2…).
pub fn nss_check_digit(first_ten: &str) -> Option<char> {
    if first_ten.len() != 10 || !all(first_ten, |c| c.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first_ten
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0') * if i % 2 == 1 { 2 } else { 1 };
            if d > 9 { d - 9 } else { d }
        })
        .sum();
    char::from_digit((10 - sum % 10) % 10, 10)
}

pub fn nss_is_valid(nss: &str) -> bool {
    nss.len() == 11 && nss_check_digit(&nss[..10]).is_some_and(|d| nss.ends_with(d))
}

text_field! {
    /// The worker's RFC (13 characters, persona física).
    RfcTrabajador
}

impl RfcTrabajador {
    pub fn parse(v: &str) -> Result<RfcTrabajador, String> {
        let v = v.trim().to_uppercase();
        if v.chars().count() != 13 {
            return Err(
                "El RFC del trabajador debe tener 13 caracteres (persona física).".to_string(),
            );
        }
        match efirma::rfc::validate_rfc(&v, efirma::rfc::RfcPolicy::STRICT) {
            Ok(_) => Ok(RfcTrabajador(v)),
            Err(e) => Err(format!(
                "El RFC del trabajador no es válido: {}",
                e.mensaje()
            )),
        }
    }
}

text_field! {
    /// The worker's CURP (18 characters, with its check digit).
    Curp
}

const CURP_ALPHABET: &str = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ";
const CURP_STATES: [&str; 33] = [
    "AS", "BC", "BS", "CC", "CL", "CM", "CS", "CH", "DF", "DG", "GT", "GR", "HG", "JC", "MC", "MN",
    "MS", "NT", "NL", "OC", "PL", "QT", "QR", "SP", "SL", "SR", "TC", "TS", "TL", "VZ", "YN", "ZS",
    "NE",
];

impl Curp {
    pub fn parse(v: &str) -> Result<Curp, String> {
        let v = v.trim().to_uppercase();
        match curp_error(&v) {
            None => Ok(Curp(v)),
            Some(message) => Err(message.to_string()),
        }
    }
}

/// CURP check digit over its first 17 characters (RENAPO: weights 18 down to 2, mod 10).
pub fn curp_check_digit(first17: &[char]) -> Option<char> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (i, c) in first17.iter().enumerate() {
        let v = CURP_ALPHABET.chars().position(|a| a == *c)? as u32;
        sum += v * (18 - i as u32);
    }
    char::from_digit((10 - sum % 10) % 10, 10)
}

fn curp_error(curp: &str) -> Option<&'static str> {
    let c: Vec<char> = curp.chars().collect();
    if c.len() != 18 {
        return Some("La CURP debe tener 18 caracteres.");
    }
    let letter = |x: char| x.is_ascii_uppercase() || x == 'Ñ';
    let consonant = |x: char| letter(x) && !"AEIOU".contains(x);
    let date: String = c[4..10].iter().collect();
    let state: String = c[11..13].iter().collect();
    let shape = c[..4].iter().all(|x| letter(*x))
        && all(&date, |x| x.is_ascii_digit())
        && NaiveDate::parse_from_str(&format!("20{date}"), "%Y%m%d").is_ok()
        && "HMX".contains(c[10])
        && CURP_STATES.contains(&state.as_str())
        && c[13..16].iter().all(|x| consonant(*x))
        && (c[16].is_ascii_uppercase() || c[16].is_ascii_digit())
        && c[17].is_ascii_digit();
    if !shape {
        return Some(
            "La CURP no tiene el formato oficial (4 letras, fecha AAMMDD, sexo H/M/X, entidad, 3 consonantes, homoclave y dígito).",
        );
    }
    if curp_check_digit(&c[..17]) != Some(c[17]) {
        return Some("El dígito verificador de la CURP no es correcto.");
    }
    None
}

text_field! {
    /// The aviso's own folio, 14 letters or digits: unique per employer.
    FolioAviso
}

impl FolioAviso {
    pub fn parse(v: &str) -> Result<FolioAviso, String> {
        let v = v.trim().to_uppercase();
        if v.len() != 14 || !all(&v, upper_alnum) {
            return Err("El folio del aviso debe tener 14 letras o dígitos.".to_string());
        }
        Ok(FolioAviso(v))
    }
}

text_field! {
    /// Número de crédito, 10 digits.
    NumCredito
}

impl NumCredito {
    pub fn parse(v: &str) -> Result<NumCredito, String> {
        let v = v.trim();
        if v.len() != 10 || !all(v, |c| c.is_ascii_digit()) {
            return Err("El número de crédito debe tener 10 dígitos.".to_string());
        }
        Ok(NumCredito(v.to_string()))
    }
}
