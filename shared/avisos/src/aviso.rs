//! The aviso record (`/work/shared/DOMAIN.md`, «Avisos») and its field-by-field validation.
//!
//! Field names are the JSON names, snake_case, exactly as payroll products use them. Every value
//! arrives as JSON text (numbers would lose the leading zeros of NSS, NRP and credit numbers);
//! identifiers are trimmed and upper-cased before they are checked. A row is refused with one
//! [`FieldError`] per bad field, in Spanish, so the analyst can fix all of them at once.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The JSON names of an aviso's fields, in the order they are documented and checked.
pub const FIELDS: [&str; 14] = [
    "nrp",
    "nss",
    "rfc_trabajador",
    "curp_trabajador",
    "folio_aviso",
    "num_credito",
    "tipo_aviso",
    "fecha_aviso",
    "fecha_otorgamiento",
    "fecha_inicio_descuento",
    "tipo_credito",
    "estatus_credito",
    "tipo_descuento",
    "valor_descuento",
];

/// Earliest accepted date (INFONAVIT was founded in 1972) and latest (a sanity bound).
pub const MIN_YEAR: i32 = 1972;
pub const MAX_YEAR: i32 = 2100;

/// Catalog of aviso types (the SUA movement codes for housing credits), grouped as the domain
/// does: retención (start), modificación (change), suspensión (stop).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TipoAviso {
    /// 15: inicio de crédito de vivienda (start retaining).
    #[serde(rename = "15")]
    InicioCredito,
    /// 16: suspensión de descuento (stop retaining).
    #[serde(rename = "16")]
    Suspension,
    /// 17: reinicio de descuento (start again).
    #[serde(rename = "17")]
    Reinicio,
    /// 18: modificación de tipo de descuento.
    #[serde(rename = "18")]
    ModificacionTipo,
    /// 19: modificación de valor de descuento.
    #[serde(rename = "19")]
    ModificacionValor,
    /// 20: modificación de número de crédito.
    #[serde(rename = "20")]
    ModificacionCredito,
}

/// What an aviso asks the employer to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Categoria {
    Retencion,
    Modificacion,
    Suspension,
}

impl TipoAviso {
    pub const ALL: [TipoAviso; 6] = [
        TipoAviso::InicioCredito,
        TipoAviso::Suspension,
        TipoAviso::Reinicio,
        TipoAviso::ModificacionTipo,
        TipoAviso::ModificacionValor,
        TipoAviso::ModificacionCredito,
    ];

    pub fn code(self) -> &'static str {
        match self {
            TipoAviso::InicioCredito => "15",
            TipoAviso::Suspension => "16",
            TipoAviso::Reinicio => "17",
            TipoAviso::ModificacionTipo => "18",
            TipoAviso::ModificacionValor => "19",
            TipoAviso::ModificacionCredito => "20",
        }
    }

    pub fn descripcion(self) -> &'static str {
        match self {
            TipoAviso::InicioCredito => "Inicio de crédito de vivienda (retención)",
            TipoAviso::Suspension => "Suspensión de descuento",
            TipoAviso::Reinicio => "Reinicio de descuento",
            TipoAviso::ModificacionTipo => "Modificación de tipo de descuento",
            TipoAviso::ModificacionValor => "Modificación de valor de descuento",
            TipoAviso::ModificacionCredito => "Modificación de número de crédito",
        }
    }

    pub fn categoria(self) -> Categoria {
        match self {
            TipoAviso::InicioCredito | TipoAviso::Reinicio => Categoria::Retencion,
            TipoAviso::Suspension => Categoria::Suspension,
            _ => Categoria::Modificacion,
        }
    }

    pub fn parse(code: &str) -> Option<TipoAviso> {
        TipoAviso::ALL.into_iter().find(|t| t.code() == code.trim())
    }
}

/// Tipo de descuento: how `valor_descuento` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TipoDescuento {
    /// 1: percentage of the salary, `99.99`.
    #[serde(rename = "1")]
    Porcentaje,
    /// 2: fixed monthly amount in pesos, `99999.99`.
    #[serde(rename = "2")]
    CuotaFija,
    /// 3: factor in times the UMI, `999.9999`.
    #[serde(rename = "3")]
    FactorDescuento,
}

impl TipoDescuento {
    /// Every tipo de descuento (openapi.yaml's enum is checked against it).
    pub const ALL: [TipoDescuento; 3] = [
        TipoDescuento::Porcentaje,
        TipoDescuento::CuotaFija,
        TipoDescuento::FactorDescuento,
    ];

    pub fn code(self) -> &'static str {
        match self {
            TipoDescuento::Porcentaje => "1",
            TipoDescuento::CuotaFija => "2",
            TipoDescuento::FactorDescuento => "3",
        }
    }

    pub fn parse(code: &str) -> Option<TipoDescuento> {
        match code.trim() {
            "1" => Some(TipoDescuento::Porcentaje),
            "2" => Some(TipoDescuento::CuotaFija),
            "3" => Some(TipoDescuento::FactorDescuento),
            _ => None,
        }
    }

    /// (integer digits, decimal digits) at most.
    pub fn digits(self) -> (usize, usize) {
        match self {
            TipoDescuento::Porcentaje => (2, 2),
            TipoDescuento::CuotaFija => (5, 2),
            TipoDescuento::FactorDescuento => (3, 4),
        }
    }

    fn example(self) -> &'static str {
        match self {
            TipoDescuento::Porcentaje => "porcentaje, hasta 2 enteros y 2 decimales (p. ej. 25.00)",
            TipoDescuento::CuotaFija => {
                "cuota fija en pesos, hasta 5 enteros y 2 decimales (p. ej. 1250.50)"
            }
            TipoDescuento::FactorDescuento => {
                "factor en veces UMI, hasta 3 enteros y 4 decimales (p. ej. 22.2500)"
            }
        }
    }
}

/// One aviso, as stored and as delivered to payroll systems.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aviso {
    /// Registro patronal (IMSS), 11 characters.
    pub nrp: String,
    /// Número de seguridad social, 11 digits, the last one a check digit.
    pub nss: String,
    /// The worker's RFC (13 characters, persona física).
    pub rfc_trabajador: String,
    /// The worker's CURP (18 characters, with its check digit).
    pub curp_trabajador: String,
    /// The aviso's own folio, 14 characters: unique per employer.
    pub folio_aviso: String,
    /// Número de crédito, 10 digits.
    pub num_credito: String,
    pub tipo_aviso: TipoAviso,
    pub fecha_aviso: NaiveDate,
    pub fecha_otorgamiento: NaiveDate,
    pub fecha_inicio_descuento: NaiveDate,
    /// 3 digits (catalog of credit types).
    pub tipo_credito: String,
    /// 3 characters (catalog of credit statuses).
    pub estatus_credito: String,
    pub tipo_descuento: TipoDescuento,
    /// Decimal text whose shape depends on `tipo_descuento` ([`TipoDescuento::digits`]).
    pub valor_descuento: String,
}

/// A refused field of one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub campo: String,
    pub mensaje: String,
}

impl FieldError {
    fn new(campo: &str, mensaje: impl Into<String>) -> FieldError {
        FieldError {
            campo: campo.to_string(),
            mensaje: mensaje.into(),
        }
    }
}

fn check(
    errors: &mut Vec<FieldError>,
    name: &'static str,
    value: Option<String>,
    error: Option<String>,
) -> Option<String> {
    if let Some(message) = error {
        errors.push(FieldError::new(name, message));
        return None;
    }
    value
}

fn all(s: &str, f: impl Fn(char) -> bool) -> bool {
    s.chars().all(f)
}

fn upper_alnum(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit()
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

const CURP_ALPHABET: &str = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ";
const CURP_STATES: [&str; 33] = [
    "AS", "BC", "BS", "CC", "CL", "CM", "CS", "CH", "DF", "DG", "GT", "GR", "HG", "JC", "MC", "MN",
    "MS", "NT", "NL", "OC", "PL", "QT", "QR", "SP", "SL", "SR", "TC", "TS", "TL", "VZ", "YN", "ZS",
    "NE",
];

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

/// A positive (or, for suspensions, zero) decimal with at most `int` integer and `dec` decimal
/// digits.
fn decimal_ok(s: &str, int: usize, dec: usize) -> bool {
    let (i, d) = s.split_once('.').unwrap_or((s, ""));
    !i.is_empty()
        && i.len() <= int
        && all(i, |c| c.is_ascii_digit())
        && (!s.contains('.') || (!d.is_empty() && d.len() <= dec))
        && all(d, |c| c.is_ascii_digit())
}

fn is_zero(s: &str) -> bool {
    all(s, |c| c == '0' || c == '.')
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|d| (MIN_YEAR..=MAX_YEAR).contains(&d.year()))
}

/// Validates one row of a publication. Returns the aviso or every bad field.
pub fn validate(row: &Value) -> Result<Aviso, Vec<FieldError>> {
    let Some(obj) = row.as_object() else {
        return Err(vec![FieldError::new(
            "aviso",
            "Cada aviso debe ser un objeto JSON con los campos documentados.",
        )]);
    };
    let mut errors = Vec::new();
    for name in obj.keys() {
        if !FIELDS.contains(&name.as_str()) {
            errors.push(FieldError::new(
                name,
                format!("«{name}» no es un campo de un aviso."),
            ));
        }
    }
    // Text of each field, trimmed; identifiers upper-cased.
    let text = |errors: &mut Vec<FieldError>, name: &'static str| -> Option<String> {
        match obj.get(name) {
            Some(Value::String(s)) => Some(s.trim().to_string()),
            Some(_) => {
                errors.push(FieldError::new(
                    name,
                    format!("«{name}» debe enviarse como texto (entre comillas)."),
                ));
                None
            }
            None => {
                errors.push(FieldError::new(
                    name,
                    format!("Falta el campo obligatorio «{name}»."),
                ));
                None
            }
        }
    };
    let values: Vec<Option<String>> = FIELDS.iter().map(|f| text(&mut errors, f)).collect();
    let get = |name: &str| -> Option<String> {
        FIELDS
            .iter()
            .position(|f| *f == name)
            .and_then(|i| values[i].clone())
    };
    let upper = |name: &str| get(name).map(|s| s.to_uppercase());

    let nrp = upper("nrp");
    let nrp_err = nrp.as_deref().and_then(|v| {
        (v.len() != 11
            || !v.starts_with(|c: char| c.is_ascii_uppercase() || c.is_ascii_digit())
            || !all(&v[1..], |c| c.is_ascii_digit()))
        .then(|| {
            "El NRP (registro patronal) debe tener 11 caracteres: una letra o dígito y 10 dígitos."
                .to_string()
        })
    });
    let nrp = check(&mut errors, "nrp", nrp, nrp_err);

    let nss = get("nss");
    let nss_err = nss.as_deref().and_then(|v| {
        if v.len() != 11 || !all(v, |c| c.is_ascii_digit()) {
            Some("El NSS debe tener 11 dígitos.".to_string())
        } else if !nss_is_valid(v) {
            Some("El dígito verificador del NSS no es correcto.".to_string())
        } else {
            None
        }
    });
    let nss = check(&mut errors, "nss", nss, nss_err);

    let rfc = upper("rfc_trabajador");
    let rfc_err = rfc.as_deref().and_then(|v| {
        if v.chars().count() != 13 {
            return Some(
                "El RFC del trabajador debe tener 13 caracteres (persona física).".to_string(),
            );
        }
        efirma::rfc::validate_rfc(v, efirma::rfc::RfcPolicy::STRICT)
            .err()
            .map(|e| format!("El RFC del trabajador no es válido: {}", e.mensaje()))
    });
    let rfc_trabajador = check(&mut errors, "rfc_trabajador", rfc, rfc_err);

    let curp = upper("curp_trabajador");
    let curp_err = curp.as_deref().and_then(curp_error).map(str::to_string);
    let curp_trabajador = check(&mut errors, "curp_trabajador", curp, curp_err);

    let folio = upper("folio_aviso");
    let folio_err = folio.as_deref().and_then(|v| {
        (v.len() != 14 || !all(v, upper_alnum))
            .then(|| "El folio del aviso debe tener 14 letras o dígitos.".to_string())
    });
    let folio_aviso = check(&mut errors, "folio_aviso", folio, folio_err);

    let credito = get("num_credito");
    let credito_err = credito.as_deref().and_then(|v| {
        (v.len() != 10 || !all(v, |c| c.is_ascii_digit()))
            .then(|| "El número de crédito debe tener 10 dígitos.".to_string())
    });
    let num_credito = check(&mut errors, "num_credito", credito, credito_err);

    let tipo = get("tipo_aviso");
    let tipo_aviso = tipo.as_deref().and_then(|v| {
        let parsed = TipoAviso::parse(v);
        if parsed.is_none() {
            let codes: Vec<String> = TipoAviso::ALL
                .iter()
                .map(|t| format!("{} {}", t.code(), t.descripcion()))
                .collect();
            errors.push(FieldError::new(
                "tipo_aviso",
                format!(
                    "El tipo de aviso «{v}» no está en el catálogo: {}.",
                    codes.join(", ")
                ),
            ));
        }
        parsed
    });

    let date = |errors: &mut Vec<FieldError>, name: &'static str| -> Option<NaiveDate> {
        let v = get(name)?;
        let d = parse_date(&v);
        if d.is_none() {
            errors.push(FieldError::new(
                name,
                format!(
                    "«{name}» debe ser una fecha AAAA-MM-DD entre {MIN_YEAR} y {MAX_YEAR} (p. ej. 2026-11-23)."
                ),
            ));
        }
        d
    };
    let fecha_aviso = date(&mut errors, "fecha_aviso");
    let fecha_otorgamiento = date(&mut errors, "fecha_otorgamiento");
    let fecha_inicio_descuento = date(&mut errors, "fecha_inicio_descuento");
    if let (Some(o), Some(i)) = (fecha_otorgamiento, fecha_inicio_descuento)
        && i < o
    {
        errors.push(FieldError::new(
            "fecha_inicio_descuento",
            "La fecha de inicio de descuento no puede ser anterior a la fecha de otorgamiento del crédito.",
        ));
    }

    let tipo_credito = get("tipo_credito").and_then(|v| {
        if v.len() == 3 && all(&v, |c| c.is_ascii_digit()) {
            Some(v)
        } else {
            errors.push(FieldError::new(
                "tipo_credito",
                "El tipo de crédito debe ser una clave de 3 dígitos.",
            ));
            None
        }
    });
    let estatus_credito = upper("estatus_credito").and_then(|v| {
        if v.len() == 3 && all(&v, upper_alnum) {
            Some(v)
        } else {
            errors.push(FieldError::new(
                "estatus_credito",
                "El estatus del crédito debe ser una clave de 3 letras o dígitos.",
            ));
            None
        }
    });

    let tipo_descuento = get("tipo_descuento").and_then(|v| {
        let parsed = TipoDescuento::parse(&v);
        if parsed.is_none() {
            errors.push(FieldError::new(
                "tipo_descuento",
                "El tipo de descuento debe ser 1 (porcentaje), 2 (cuota fija monetaria) o 3 (factor de descuento).",
            ));
        }
        parsed
    });
    let valor_descuento = get("valor_descuento").and_then(|v| {
        let td = tipo_descuento?;
        let (int, dec) = td.digits();
        let suspension = tipo_aviso == Some(TipoAviso::Suspension);
        if !decimal_ok(&v, int, dec) {
            errors.push(FieldError::new(
                "valor_descuento",
                format!(
                    "El valor de descuento «{v}» no corresponde al tipo de descuento {}: {}.",
                    td.code(),
                    td.example()
                ),
            ));
            None
        } else if is_zero(&v) && !suspension {
            errors.push(FieldError::new(
                "valor_descuento",
                "El valor de descuento debe ser mayor que cero (solo una suspensión puede llevar cero).",
            ));
            None
        } else {
            Some(v)
        }
    });

    if !errors.is_empty() {
        return Err(errors);
    }
    match (
        nrp,
        nss,
        rfc_trabajador,
        curp_trabajador,
        folio_aviso,
        num_credito,
        tipo_aviso,
        fecha_aviso,
        fecha_otorgamiento,
        fecha_inicio_descuento,
        tipo_credito,
        estatus_credito,
        tipo_descuento,
        valor_descuento,
    ) {
        (
            Some(nrp),
            Some(nss),
            Some(rfc_trabajador),
            Some(curp_trabajador),
            Some(folio_aviso),
            Some(num_credito),
            Some(tipo_aviso),
            Some(fecha_aviso),
            Some(fecha_otorgamiento),
            Some(fecha_inicio_descuento),
            Some(tipo_credito),
            Some(estatus_credito),
            Some(tipo_descuento),
            Some(valor_descuento),
        ) => Ok(Aviso {
            nrp,
            nss,
            rfc_trabajador,
            curp_trabajador,
            folio_aviso,
            num_credito,
            tipo_aviso,
            fecha_aviso,
            fecha_otorgamiento,
            fecha_inicio_descuento,
            tipo_credito,
            estatus_credito,
            tipo_descuento,
            valor_descuento,
        }),
        // Every None above pushed an error.
        _ => Err(vec![FieldError::new("aviso", "El aviso no es válido.")]),
    }
}

/// Shape checks of filters typed by payroll systems (the same rules as the aviso's fields).
pub fn nrp_is_well_formed(v: &str) -> bool {
    v.len() == 11
        && v.starts_with(|c: char| c.is_ascii_uppercase() || c.is_ascii_digit())
        && all(&v[1..], |c| c.is_ascii_digit())
}

#[cfg(test)]
pub(crate) mod sample {
    //! Valid sample data for tests (check digits computed, not copied).
    use super::*;

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
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn fields(e: Vec<FieldError>) -> Vec<String> {
        e.into_iter().map(|e| e.campo).collect()
    }

    #[test]
    fn a_valid_row_round_trips_with_the_documented_names() {
        let row = sample::row(7, d("2026-11-02"));
        let a = validate(&row).unwrap();
        assert_eq!(a.tipo_aviso, TipoAviso::InicioCredito);
        assert_eq!(a.tipo_descuento, TipoDescuento::FactorDescuento);
        let back = serde_json::to_value(&a).unwrap();
        assert_eq!(back, row);
        let names: Vec<&String> = back.as_object().unwrap().keys().collect();
        let mut expected: Vec<&str> = FIELDS.to_vec();
        expected.sort();
        assert_eq!(names, expected);
    }

    #[test]
    fn check_digits() {
        // Published examples: a CURP from RENAPO's documentation and a Luhn NSS.
        assert!(curp_error("HEGG560427MVZRRL04").is_none());
        assert_eq!(
            curp_error("HEGG560427MVZRRL05"),
            Some("El dígito verificador de la CURP no es correcto.")
        );
        assert!(nss_is_valid("12345678903"));
        assert!(!nss_is_valid("12345678904"));
        assert!(!nss_is_valid("1234567890"));
    }

    #[test]
    fn every_bad_field_is_reported_with_its_name() {
        let mut row = sample::row(1, d("2026-11-02"));
        let o = row.as_object_mut().unwrap();
        o.insert("nss".into(), json!("12345678904"));
        o.insert("nrp".into(), json!("Y54"));
        o.insert("tipo_aviso".into(), json!("99"));
        o.insert("fecha_aviso".into(), json!("02/11/2026"));
        o.insert("num_credito".into(), json!(1500000001));
        o.insert("extra".into(), json!("x"));
        o.remove("curp_trabajador");
        let errs = validate(&row).unwrap_err();
        let mut got = fields(errs.clone());
        got.sort();
        assert_eq!(
            got,
            [
                "curp_trabajador",
                "extra",
                "fecha_aviso",
                "nrp",
                "nss",
                "num_credito",
                "tipo_aviso"
            ]
        );
        assert!(errs.iter().all(|e| !e.mensaje.is_empty()));
        assert_eq!(fields(validate(&json!([1])).unwrap_err()), ["aviso"]);
    }

    #[test]
    fn valor_descuento_depends_on_tipo_descuento() {
        let with = |tipo: &str, valor: &str, aviso: &str| {
            let mut row = sample::row(2, d("2026-11-02"));
            let o = row.as_object_mut().unwrap();
            o.insert("tipo_descuento".into(), json!(tipo));
            o.insert("valor_descuento".into(), json!(valor));
            o.insert("tipo_aviso".into(), json!(aviso));
            validate(&row).map(|_| ()).map_err(fields)
        };
        assert!(with("1", "25.50", "15").is_ok());
        assert!(with("1", "125.50", "15").is_err());
        assert!(with("1", "25.505", "15").is_err());
        assert!(with("2", "12500.50", "15").is_ok());
        assert!(with("2", "125000.50", "15").is_err());
        assert!(with("3", "22.2500", "15").is_ok());
        assert!(with("3", "22.25001", "15").is_err());
        assert!(with("3", "1234.5", "15").is_err());
        assert!(with("3", "22.", "15").is_err());
        assert!(with("3", "0", "15").is_err());
        assert!(with("3", "0.0000", "16").is_ok());
        assert_eq!(with("4", "1", "15").unwrap_err(), ["tipo_descuento"]);
    }

    #[test]
    fn identifiers_are_normalised_and_dates_ordered() {
        let mut row = sample::row(3, d("2026-11-02"));
        let o = row.as_object_mut().unwrap();
        let rfc = o["rfc_trabajador"].as_str().unwrap().to_lowercase();
        o.insert("rfc_trabajador".into(), json!(format!(" {rfc} ")));
        let a = validate(&row).unwrap();
        assert_eq!(a.rfc_trabajador, rfc.to_uppercase());
        let o = row.as_object_mut().unwrap();
        o.insert("fecha_inicio_descuento".into(), json!("2023-12-31"));
        o.insert("rfc_trabajador".into(), json!("EDE200101AB0"));
        let mut got = fields(validate(&row).unwrap_err());
        got.sort();
        assert_eq!(got, ["fecha_inicio_descuento", "rfc_trabajador"]);
    }
}
