//! The vigencia of a relation.
//!
//! Rules (documented in openapi.yaml):
//! - it starts the day it is registered (America/Mexico_City); the signed `inicio_vigencia` must
//!   be that day, so the acuse states exactly what the employer signed;
//! - it ends on `fin_vigencia`, inclusive: the relation is *Relación Vigente* through that whole
//!   day and *Relación no vigente* from the next one;
//! - `fin_vigencia` may not be in the past (today is allowed: a one-day relation) nor later than
//!   [`MAX_MONTHS`] months after the start;
//! - the page offers [`CHOICES`] (3, 6, 12 and 24 months; a month later means the same day
//!   number, or the month's last day when it has fewer days) and accepts any date in range.

use avisos_http::ApiError;
use chrono::{Months, NaiveDate};
use serde::Serialize;

/// Longest vigencia: two years.
pub const MAX_MONTHS: u32 = 24;
/// The choices the page offers, in months.
pub const CHOICES: [u32; 4] = [3, 6, 12, 24];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice {
    pub meses: u32,
    pub etiqueta: String,
    /// ISO date.
    pub fin_vigencia: NaiveDate,
    /// As the guide prints it.
    pub fin_vigencia_texto: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Options {
    pub inicio_vigencia: NaiveDate,
    pub fin_minimo: NaiveDate,
    pub fin_maximo: NaiveDate,
    pub opciones: Vec<Choice>,
}

/// `start` plus `months` calendar months (clamped to the month's last day).
pub fn add_months(start: NaiveDate, months: u32) -> NaiveDate {
    start
        .checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// The latest allowed end for a relation starting `start`.
pub fn max_end(start: NaiveDate) -> NaiveDate {
    add_months(start, MAX_MONTHS)
}

/// What the «Vigencia» selector offers on `today`.
pub fn options(today: NaiveDate) -> Options {
    Options {
        inicio_vigencia: today,
        fin_minimo: today,
        fin_maximo: max_end(today),
        opciones: CHOICES
            .iter()
            .map(|&m| {
                let fin = add_months(today, m);
                Choice {
                    meses: m,
                    etiqueta: if m % 12 == 0 {
                        let y = m / 12;
                        format!("{y} {}", if y == 1 { "año" } else { "años" })
                    } else {
                        format!("{m} meses")
                    },
                    fin_vigencia: fin,
                    fin_vigencia_texto: crate::fecha_guia(fin),
                }
            })
            .collect(),
    }
}

/// Parses an ISO date (`2026-11-23`) sent in `datos`.
pub fn parse_date(name: &str, value: &str) -> Result<NaiveDate, ApiError> {
    let v = value.trim();
    // chrono accepts some variants (e.g. `+2026-…`); require exactly YYYY-MM-DD.
    if v.len() != 10 || v.as_bytes()[4] != b'-' || v.as_bytes()[7] != b'-' {
        return Err(bad_date(name));
    }
    NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| bad_date(name))
}

fn bad_date(name: &str) -> ApiError {
    ApiError::bad_request(
        "FECHA_VIGENCIA_INVALIDA",
        format!("«{name}» debe ser una fecha en formato AAAA-MM-DD (por ejemplo 2026-11-23)."),
    )
}

/// Validates a requested vigencia on `today` and returns (start, end).
pub fn validate(
    today: NaiveDate,
    inicio: NaiveDate,
    fin: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), ApiError> {
    if inicio != today {
        return Err(ApiError::bad_request(
            "VIGENCIA_INICIO_INVALIDA",
            format!(
                "La vigencia inicia el día del registro ({}). Actualiza la fecha de inicio y firma de nuevo.",
                crate::fecha_guia(today)
            ),
        ));
    }
    if fin < today {
        return Err(ApiError::bad_request(
            "VIGENCIA_FIN_PASADA",
            format!(
                "El fin de vigencia ({}) ya pasó. Elige una fecha a partir de hoy.",
                crate::fecha_guia(fin)
            ),
        ));
    }
    let max = max_end(today);
    if fin > max {
        return Err(ApiError::bad_request(
            "VIGENCIA_EXCEDE_MAXIMO",
            format!(
                "La vigencia máxima de una relación de confianza es de {MAX_MONTHS} meses: el fin de vigencia puede ser a más tardar el {}.",
                crate::fecha_guia(max)
            ),
        ));
    }
    Ok((inicio, fin))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn months_clamp_to_the_last_day() {
        assert_eq!(add_months(d(2026, 11, 23), 3), d(2027, 2, 23));
        assert_eq!(add_months(d(2027, 8, 31), 6), d(2028, 2, 29));
        assert_eq!(add_months(d(2026, 1, 31), 24), d(2028, 1, 31));
        assert_eq!(max_end(d(2024, 2, 29)), d(2026, 2, 28));
    }

    #[test]
    fn options_offer_3_6_12_24_months() {
        let o = options(d(2026, 11, 23));
        let fins: Vec<_> = o.opciones.iter().map(|c| c.fin_vigencia).collect();
        assert_eq!(
            fins,
            [
                d(2027, 2, 23),
                d(2027, 5, 23),
                d(2027, 11, 23),
                d(2028, 11, 23)
            ]
        );
        assert_eq!(o.opciones[2].etiqueta, "1 año");
        assert_eq!(o.opciones[3].etiqueta, "2 años");
        assert_eq!(o.opciones[0].etiqueta, "3 meses");
        assert_eq!(o.opciones[0].fin_vigencia_texto, "23/feb/2027");
        assert_eq!(o.fin_maximo, d(2028, 11, 23));
    }

    #[test]
    fn validation_rules() {
        let today = d(2026, 11, 23);
        assert!(validate(today, today, today).is_ok(), "one-day relation");
        assert!(validate(today, today, d(2028, 11, 23)).is_ok(), "maximum");
        let code = |i, f| validate(today, i, f).unwrap_err().codigo;
        assert_eq!(code(today, d(2026, 11, 22)), "VIGENCIA_FIN_PASADA");
        assert_eq!(code(today, d(2028, 11, 24)), "VIGENCIA_EXCEDE_MAXIMO");
        assert_eq!(
            code(d(2026, 11, 22), d(2027, 1, 1)),
            "VIGENCIA_INICIO_INVALIDA"
        );
    }

    #[test]
    fn dates_are_strict_iso() {
        assert_eq!(parse_date("f", "2026-02-28").unwrap(), d(2026, 2, 28));
        for bad in [
            "2026-02-30",
            "28/02/2026",
            "2026-2-28",
            "+2026-02-28",
            "",
            "hoy",
        ] {
            assert_eq!(
                parse_date("f", bad).unwrap_err().codigo,
                "FECHA_VIGENCIA_INVALIDA",
                "{bad}"
            );
        }
    }
}
