//! The credit's fields: its dates, type and status keys, and the discount's value, whose shape
//! depends on the tipo de descuento.

use chrono::{Datelike, NaiveDate};

use super::{MAX_YEAR, MIN_YEAR, TipoAviso, TipoDescuento, all, upper_alnum};

/// A date field (`fecha_aviso`, `fecha_otorgamiento`, `fecha_inicio_descuento`): `AAAA-MM-DD`
/// between [`MIN_YEAR`] and [`MAX_YEAR`]. `name` is the field's JSON name, quoted in the refusal.
pub fn parse_fecha(name: &str, v: &str) -> Result<NaiveDate, String> {
    parse_date(v).ok_or_else(|| {
        format!(
            "«{name}» debe ser una fecha AAAA-MM-DD entre {MIN_YEAR} y {MAX_YEAR} (p. ej. 2026-11-23)."
        )
    })
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

/// Discounts start on or after the credit is granted; the refusal is `fecha_inicio_descuento`'s.
pub fn check_fechas(otorgamiento: NaiveDate, inicio_descuento: NaiveDate) -> Result<(), String> {
    if inicio_descuento < otorgamiento {
        return Err("La fecha de inicio de descuento no puede ser anterior a la fecha de otorgamiento del crédito.".to_string());
    }
    Ok(())
}

text_field! {
    /// 3 digits (catalog of credit types).
    TipoCredito
}

impl TipoCredito {
    pub fn parse(v: &str) -> Result<TipoCredito, String> {
        let v = v.trim();
        if v.len() == 3 && all(v, |c| c.is_ascii_digit()) {
            Ok(TipoCredito(v.to_string()))
        } else {
            Err("El tipo de crédito debe ser una clave de 3 dígitos.".to_string())
        }
    }
}

text_field! {
    /// 3 characters (catalog of credit statuses).
    EstatusCredito
}

impl EstatusCredito {
    pub fn parse(v: &str) -> Result<EstatusCredito, String> {
        let v = v.trim().to_uppercase();
        if v.len() == 3 && all(&v, upper_alnum) {
            Ok(EstatusCredito(v))
        } else {
            Err("El estatus del crédito debe ser una clave de 3 letras o dígitos.".to_string())
        }
    }
}

text_field! {
    /// Decimal text whose shape depends on `tipo_descuento` ([`TipoDescuento::digits`]).
    ValorDescuento
}

impl ValorDescuento {
    /// Read as `tipo` says; zero only on a suspension (`tipo_aviso` 16, when it was valid).
    pub fn parse(
        v: &str,
        tipo: TipoDescuento,
        tipo_aviso: Option<TipoAviso>,
    ) -> Result<ValorDescuento, String> {
        let v = v.trim();
        let (int, dec) = tipo.digits();
        let suspension = tipo_aviso == Some(TipoAviso::Suspension);
        if !decimal_ok(v, int, dec) {
            Err(format!(
                "El valor de descuento «{v}» no corresponde al tipo de descuento {}: {}.",
                tipo.code(),
                tipo.example()
            ))
        } else if is_zero(v) && !suspension {
            Err("El valor de descuento debe ser mayor que cero (solo una suspensión puede llevar cero).".to_string())
        } else {
            Ok(ValorDescuento(v.to_string()))
        }
    }
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
