//! The vigencia of a relation.
//!
//! Rules (documented in openapi.yaml):
//! - it starts the day it is registered (America/Mexico_City); the signed `inicio_vigencia` must
//!   be that day, so the acuse states exactly what the employer signed;
//! - it ends on `fin_vigencia`, inclusive: the relation is *Relación Vigente* through that whole
//!   day and *Relación no vigente* from the next one;
//! - `fin_vigencia` may not be in the past (today is allowed: a one-day relation) nor later than
//!   [`MAX_MONTHS`] months after the start;
//! - the page offers every whole number of months from 1 to [`MAX_MONTHS`] (the guide's own
//!   example is two months; a month later means the same day number, or the month's last day
//!   when it has fewer days) and the server accepts any date in range.

use crate::RelationError;
use chrono::{Months, NaiveDate};
use serde::Serialize;

/// Longest vigencia: two years.
pub const MAX_MONTHS: u32 = 24;
/// The choices the page offers, in months: every whole number up to [`MAX_MONTHS`].
pub const CHOICES: std::ops::RangeInclusive<u32> = 1..=MAX_MONTHS;

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
            .map(|m| {
                let fin = add_months(today, m);
                Choice {
                    meses: m,
                    etiqueta: match m {
                        1 => "1 mes".to_string(),
                        12 => "1 año".to_string(),
                        24 => "2 años".to_string(),
                        _ => format!("{m} meses"),
                    },
                    fin_vigencia: fin,
                    fin_vigencia_texto: crate::fecha_guia(fin),
                }
            })
            .collect(),
    }
}

/// Parses an ISO date (`2026-11-23`) sent in `datos`.
pub fn parse_date(name: &str, value: &str) -> Result<NaiveDate, RelationError> {
    let v = value.trim();
    // chrono accepts some variants (e.g. `+2026-…`); require exactly YYYY-MM-DD.
    if v.len() != 10 || v.as_bytes()[4] != b'-' || v.as_bytes()[7] != b'-' {
        return Err(bad_date(name));
    }
    NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| bad_date(name))
}

fn bad_date(name: &str) -> RelationError {
    RelationError::DateInvalid {
        campo: name.to_owned(),
    }
}

/// Validates a requested vigencia on `today` and returns (start, end).
pub fn validate(
    today: NaiveDate,
    inicio: NaiveDate,
    fin: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), RelationError> {
    if inicio != today {
        return Err(RelationError::StartNotToday { hoy: today });
    }
    if fin < today {
        return Err(RelationError::EndPassed { fin });
    }
    let max = max_end(today);
    if fin > max {
        return Err(RelationError::TooLong {
            meses: MAX_MONTHS,
            max,
        });
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
    fn options_offer_every_month_from_1_to_24() {
        let o = options(d(2026, 11, 23));
        let meses: Vec<u32> = o.opciones.iter().map(|c| c.meses).collect();
        assert_eq!(meses, (1..=24).collect::<Vec<_>>());
        let fin = |m: usize| o.opciones[m - 1].fin_vigencia;
        // The guide's own example: two months (22/dic/2023 to 22/feb/2024).
        assert_eq!(fin(2), d(2027, 1, 23));
        assert_eq!(fin(3), d(2027, 2, 23));
        assert_eq!(fin(12), d(2027, 11, 23));
        assert_eq!(fin(24), d(2028, 11, 23));
        assert_eq!(o.opciones[0].etiqueta, "1 mes");
        assert_eq!(o.opciones[1].etiqueta, "2 meses");
        assert_eq!(o.opciones[11].etiqueta, "1 año");
        assert_eq!(o.opciones[23].etiqueta, "2 años");
        assert_eq!(o.opciones[2].fin_vigencia_texto, "23/feb/2027");
        assert_eq!(o.fin_maximo, d(2028, 11, 23));
        let guide = options(d(2023, 12, 22));
        assert_eq!(guide.opciones[1].fin_vigencia_texto, "22/feb/2024");
        // Every offered end is accepted.
        for c in &o.opciones {
            assert!(validate(o.inicio_vigencia, o.inicio_vigencia, c.fin_vigencia).is_ok());
        }
    }

    #[test]
    fn validation_rules() {
        let today = d(2026, 11, 23);
        assert!(validate(today, today, today).is_ok(), "one-day relation");
        assert!(validate(today, today, d(2028, 11, 23)).is_ok(), "maximum");
        let code = |i, f| validate(today, i, f).unwrap_err().codigo();
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
                parse_date("f", bad).unwrap_err().codigo(),
                "FECHA_VIGENCIA_INVALIDA",
                "{bad}"
            );
        }
    }
}
