//! The aviso record and its field-by-field validation.
//!
//! Field names are the JSON names, snake_case, exactly as payroll products use them. Every value
//! arrives as JSON text (numbers would lose the leading zeros of NSS, NRP and credit numbers);
//! identifiers are trimmed and upper-cased before they are checked. A row is refused with one
//! [`FieldError`] per bad field, in Spanish, so the analyst can fix all of them at once.
//!
//! Each field is a type with its own `parse` ([`ids`]: [`Nrp`], [`Nss`], [`RfcTrabajador`],
//! [`Curp`], [`FolioAviso`], [`NumCredito`]; [`credit`]: dates, [`TipoCredito`],
//! [`EstatusCredito`], [`ValorDescuento`]; [`catalog`]: [`TipoAviso`], [`TipoDescuento`]);
//! [`validate`] reads the row's text and composes them. Serialised, every field is its bare text,
//! so stored pages and answers read as before.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A field's text once its `parse` accepted it; (de)serialised as the bare string.
macro_rules! text_field {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
    };
}

pub mod catalog;
pub mod credit;
pub mod ids;
#[cfg(any(test, feature = "sample"))]
pub mod sample;
#[cfg(test)]
mod tests;

pub use catalog::{Categoria, TipoAviso, TipoDescuento};
pub use credit::{EstatusCredito, TipoCredito, ValorDescuento, check_fechas, parse_fecha};
pub use ids::{
    Curp, FolioAviso, Nrp, Nss, NumCredito, RfcTrabajador, curp_check_digit, nss_check_digit,
    nss_is_valid,
};

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

/// One aviso, as stored and as delivered to payroll systems.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aviso {
    pub nrp: Nrp,
    pub nss: Nss,
    pub rfc_trabajador: RfcTrabajador,
    pub curp_trabajador: Curp,
    pub folio_aviso: FolioAviso,
    pub num_credito: NumCredito,
    pub tipo_aviso: TipoAviso,
    pub fecha_aviso: NaiveDate,
    pub fecha_otorgamiento: NaiveDate,
    pub fecha_inicio_descuento: NaiveDate,
    pub tipo_credito: TipoCredito,
    pub estatus_credito: EstatusCredito,
    pub tipo_descuento: TipoDescuento,
    pub valor_descuento: ValorDescuento,
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

fn all(s: &str, f: impl Fn(char) -> bool) -> bool {
    s.chars().all(f)
}

fn upper_alnum(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit()
}

/// A row's text, field by field, and the refusals found so far (in the order they are found:
/// unknown fields, then missing or non-text fields, then each field's own refusal).
struct Row {
    texts: Vec<Option<String>>,
    errors: Vec<FieldError>,
}

impl Row {
    fn read(obj: &Map<String, Value>) -> Row {
        let mut errors = Vec::new();
        for name in obj.keys() {
            if !FIELDS.contains(&name.as_str()) {
                errors.push(FieldError::new(
                    name,
                    format!("«{name}» no es un campo de un aviso."),
                ));
            }
        }
        let texts = FIELDS
            .iter()
            .map(|name| match obj.get(*name) {
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
            })
            .collect();
        Row { texts, errors }
    }

    /// Parses field `name` if its text arrived; a refusal is recorded under `name`.
    fn field<T>(&mut self, name: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        let i = FIELDS.iter().position(|f| *f == name)?;
        let text = self.texts[i].as_deref()?;
        match parse(text) {
            Ok(v) => Some(v),
            Err(message) => {
                self.refuse(name, message);
                None
            }
        }
    }

    fn refuse(&mut self, name: &str, message: String) {
        self.errors.push(FieldError::new(name, message));
    }
}

/// Validates one row of a publication. Returns the aviso or every bad field.
pub fn validate(row: &Value) -> Result<Aviso, Vec<FieldError>> {
    let Some(obj) = row.as_object() else {
        return Err(vec![FieldError::new(
            "aviso",
            "Cada aviso debe ser un objeto JSON con los campos documentados.",
        )]);
    };
    let mut row = Row::read(obj);
    let nrp = row.field("nrp", Nrp::parse);
    let nss = row.field("nss", Nss::parse);
    let rfc_trabajador = row.field("rfc_trabajador", RfcTrabajador::parse);
    let curp_trabajador = row.field("curp_trabajador", Curp::parse);
    let folio_aviso = row.field("folio_aviso", FolioAviso::parse);
    let num_credito = row.field("num_credito", NumCredito::parse);
    let tipo_aviso = row.field("tipo_aviso", TipoAviso::parse_field);
    let fecha = |row: &mut Row, name: &str| row.field(name, |v| parse_fecha(name, v));
    let fecha_aviso = fecha(&mut row, "fecha_aviso");
    let fecha_otorgamiento = fecha(&mut row, "fecha_otorgamiento");
    let fecha_inicio_descuento = fecha(&mut row, "fecha_inicio_descuento");
    if let (Some(o), Some(i)) = (fecha_otorgamiento, fecha_inicio_descuento)
        && let Err(message) = check_fechas(o, i)
    {
        row.refuse("fecha_inicio_descuento", message);
    }
    let tipo_credito = row.field("tipo_credito", TipoCredito::parse);
    let estatus_credito = row.field("estatus_credito", EstatusCredito::parse);
    let tipo_descuento = row.field("tipo_descuento", TipoDescuento::parse_field);
    let valor_descuento = tipo_descuento.and_then(|td| {
        row.field("valor_descuento", |v| {
            ValorDescuento::parse(v, td, tipo_aviso)
        })
    });
    if !row.errors.is_empty() {
        return Err(row.errors);
    }
    let aviso = || {
        Some(Aviso {
            nrp: nrp?,
            nss: nss?,
            rfc_trabajador: rfc_trabajador?,
            curp_trabajador: curp_trabajador?,
            folio_aviso: folio_aviso?,
            num_credito: num_credito?,
            tipo_aviso: tipo_aviso?,
            fecha_aviso: fecha_aviso?,
            fecha_otorgamiento: fecha_otorgamiento?,
            fecha_inicio_descuento: fecha_inicio_descuento?,
            tipo_credito: tipo_credito?,
            estatus_credito: estatus_credito?,
            tipo_descuento: tipo_descuento?,
            valor_descuento: valor_descuento?,
        })
    };
    // Every None above recorded a refusal.
    aviso().ok_or_else(|| vec![FieldError::new("aviso", "El aviso no es válido.")])
}
