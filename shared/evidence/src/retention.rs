//! The retention a payroll system computes for a housing credit, in centavos.
//!
//! Rules, as the test sets state them to developers (LEEME.txt repeats them):
//! - The period is cut at bimester boundaries (Jan-Feb, Mar-Apr, ..., Nov-Dec); each piece is one
//!   step. Days are calendar days of the piece inside the discount window, from
//!   `fecha_inicio_descuento` up to the day before a suspension. Since the 6th bimester of 2025
//!   absences and incapacidades no longer reduce the days, so every day counts.
//! - Porcentaje (tipo 1): SBC × días × porcentaje / 100.
//! - Cuota fija (tipo 2): cuota mensual × 2 / días del bimestre × días.
//! - Factor de descuento (tipo 3): factor × UMI × 2 / días del bimestre × días, with the UMI in
//!   force on the first day of the piece; for a worker on the minimum wage, at most 20 % of
//!   SBC × días.
//! - Each step is computed exactly and rounded once to the centavo (half up); the retention is
//!   the sum of the steps plus the seguro de daños: 15 pesos (13 before December 2010) once per
//!   bimester with at least one day discounted.
//!
//! Reference values are dated tables ([`UMI`], [`UMA`], [`SALARIO_MINIMO_GENERAL`],
//! [`SALARIO_MINIMO_FRONTERA`]): the value in force on a date is the last entry on or before it.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// A dated table of daily values in centavos: `(valid from (y, m, d), value)`, ascending.
#[derive(Clone, Copy, Debug)]
pub struct DatedTable {
    pub name: &'static str,
    pub entries: &'static [((i32, u32, u32), i64)],
}

impl DatedTable {
    /// The value in force on `date`; None before the first entry.
    pub fn at(&self, date: NaiveDate) -> Option<i64> {
        self.entries
            .iter()
            .rev()
            .find(|((y, m, d), _)| NaiveDate::from_ymd_opt(*y, *m, *d).is_some_and(|f| f <= date))
            .map(|(_, v)| *v)
    }
}

/// Unidad Mixta INFONAVIT (daily): 100.81 for 2024-2026.
pub const UMI: DatedTable = DatedTable {
    name: "UMI",
    entries: &[((2024, 1, 1), 10081)],
};

/// Unidad de Medida y Actualización (daily), valid 1 Feb to 31 Jan.
pub const UMA: DatedTable = DatedTable {
    name: "UMA",
    entries: &[
        ((2024, 2, 1), 10857),
        ((2025, 2, 1), 11314),
        ((2026, 2, 1), 11731),
    ],
};

/// Salario mínimo general (daily).
pub const SALARIO_MINIMO_GENERAL: DatedTable = DatedTable {
    name: "salario mínimo general",
    entries: &[
        ((2024, 1, 1), 24893),
        ((2025, 1, 1), 27880),
        ((2026, 1, 1), 31504),
    ],
};

/// Salario mínimo de la zona libre de la frontera norte (daily).
pub const SALARIO_MINIMO_FRONTERA: DatedTable = DatedTable {
    name: "salario mínimo frontera norte",
    entries: &[
        ((2024, 1, 1), 37489),
        ((2025, 1, 1), 41988),
        ((2026, 1, 1), 44087),
    ],
};

/// Seguro de daños per bimester, centavos: 13 pesos before December 2010, 15 since.
pub fn seguro_danos(bimester_start: NaiveDate) -> i64 {
    if bimester_start < NaiveDate::from_ymd_opt(2010, 12, 1).unwrap_or(NaiveDate::MIN) {
        1300
    } else {
        1500
    }
}

/// How the discount is expressed (the aviso's tipo_descuento and valor_descuento).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Descuento {
    /// Tipo 1: percentage in hundredths (25.00 % → 2500).
    Porcentaje(i64),
    /// Tipo 2: monthly amount in centavos.
    CuotaFija(i64),
    /// Tipo 3: factor (veces UMI) in ten-thousandths (22.2500 → 222500).
    Factor(i64),
}

impl Descuento {
    /// From the aviso's `tipo_descuento` ("1", "2", "3") and `valor_descuento` text.
    pub fn parse(tipo: &str, valor: &str) -> Option<Descuento> {
        match tipo.trim() {
            "1" => parse_fixed(valor, 2).map(Descuento::Porcentaje),
            "2" => parse_fixed(valor, 2).map(Descuento::CuotaFija),
            "3" => parse_fixed(valor, 4).map(Descuento::Factor),
            _ => None,
        }
    }

    pub fn tipo(self) -> &'static str {
        match self {
            Descuento::Porcentaje(_) => "1",
            Descuento::CuotaFija(_) => "2",
            Descuento::Factor(_) => "3",
        }
    }

    /// The aviso's `valor_descuento`: "25.00", "1250.50", "22.2500".
    pub fn valor(self) -> String {
        match self {
            Descuento::Porcentaje(v) | Descuento::CuotaFija(v) => format_fixed(v, 2),
            Descuento::Factor(v) => format_fixed(v, 4),
        }
    }
}

/// "22.25" with `decimals` = 4 → 222500; None when not a non-negative decimal that fits.
fn parse_fixed(text: &str, decimals: u32) -> Option<i64> {
    let text = text.trim();
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if int.is_empty()
        || int.len() > 12
        || frac.len() > decimals as usize
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let int: i64 = int.parse().ok()?;
    let frac_value: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    let scale = 10i64.pow(decimals);
    let frac_scaled = frac_value * 10i64.pow(decimals - frac.len() as u32);
    int.checked_mul(scale)?.checked_add(frac_scaled)
}

fn format_fixed(value: i64, decimals: u32) -> String {
    let scale = 10i64.pow(decimals);
    format!(
        "{}.{:0width$}",
        value / scale,
        value % scale,
        width = decimals as usize
    )
}

/// What one case needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entrada {
    pub descuento: Descuento,
    /// Salario base de cotización, daily, centavos.
    pub sbc: i64,
    pub salario_minimo: bool,
    /// Period paid, inclusive.
    pub periodo_inicio: NaiveDate,
    pub periodo_fin: NaiveDate,
    /// `fecha_inicio_descuento` of the aviso.
    pub inicio_descuento: NaiveDate,
    /// First day no longer discounted (a suspension's date), if any.
    pub suspension: Option<NaiveDate>,
}

/// One bimester piece of the period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paso {
    /// "2026-B5 (sep-oct)".
    pub bimestre: String,
    pub desde: NaiveDate,
    pub hasta: NaiveDate,
    pub dias: u32,
    pub dias_bimestre: u32,
    /// The computation in words and numbers, Spanish.
    pub detalle: String,
    #[serde(with = "crate::money::serde_str")]
    pub importe: i64,
}

/// The retention with its steps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calculo {
    pub pasos: Vec<Paso>,
    #[serde(with = "crate::money::serde_str")]
    pub seguro_danos: i64,
    #[serde(with = "crate::money::serde_str")]
    pub total: i64,
}

/// Why a retention cannot be computed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RetentionError {
    /// No reference value (UMI...) in force on that date.
    SinValorDeReferencia(&'static str, NaiveDate),
    PeriodoInvalido,
}

impl std::fmt::Display for RetentionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RetentionError::SinValorDeReferencia(name, date) => {
                write!(f, "No hay valor de {name} vigente el {date}.")
            }
            RetentionError::PeriodoInvalido => write!(f, "El periodo no es válido."),
        }
    }
}

impl std::error::Error for RetentionError {}

/// The bimester (1..=6) of a date, its first and last day.
pub fn bimester_of(date: NaiveDate) -> (u32, NaiveDate, NaiveDate) {
    let number = (date.month() - 1) / 2 + 1;
    let first = NaiveDate::from_ymd_opt(date.year(), number * 2 - 1, 1).unwrap_or(date);
    let next = if number == 6 {
        NaiveDate::from_ymd_opt(date.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(date.year(), number * 2 + 1, 1)
    };
    let last = next.and_then(|n| n.pred_opt()).unwrap_or(date);
    (number, first, last)
}

const BIMESTER_NAMES: [&str; 6] = [
    "ene-feb", "mar-abr", "may-jun", "jul-ago", "sep-oct", "nov-dic",
];

/// `num / den` rounded half up (both positive or zero).
fn round_div(num: i128, den: i128) -> i64 {
    ((2 * num + den) / (2 * den)) as i64
}

/// Factor step: factor (ten-thousandths) × UMI (centavos) × 2 / bimester days × days, centavos.
pub fn factor_amount(factor: i64, umi: i64, dias_bimestre: u32, dias: u32) -> i64 {
    round_div(
        i128::from(factor) * i128::from(umi) * 2 * i128::from(dias),
        10_000 * i128::from(dias_bimestre),
    )
}

/// Computes the retention of one case.
pub fn calcular(e: &Entrada) -> Result<Calculo, RetentionError> {
    if e.periodo_fin < e.periodo_inicio {
        return Err(RetentionError::PeriodoInvalido);
    }
    let mut pasos = Vec::new();
    let mut seguro = 0;
    let mut piece_start = e.periodo_inicio;
    loop {
        let (number, bim_first, bim_last) = bimester_of(piece_start);
        let piece_end = bim_last.min(e.periodo_fin);
        // Discounted days of this piece: inside [inicio_descuento, suspension).
        let from = piece_start.max(e.inicio_descuento);
        let until = match e.suspension {
            Some(s) => piece_end.min(s.pred_opt().unwrap_or(s)),
            None => piece_end,
        };
        let dias = if until >= from {
            (until - from).num_days() as u32 + 1
        } else {
            0
        };
        let dias_bimestre = (bim_last - bim_first).num_days() as u32 + 1;
        let label = format!(
            "{}-B{} ({})",
            bim_first.year(),
            number,
            BIMESTER_NAMES[(number - 1) as usize]
        );
        if dias > 0 {
            let (importe, detalle) = piece(e, from, dias, dias_bimestre)?;
            pasos.push(Paso {
                bimestre: label,
                desde: from,
                hasta: until,
                dias,
                dias_bimestre,
                detalle,
                importe,
            });
            seguro += seguro_danos(bim_first);
        }
        match piece_end.succ_opt() {
            Some(next) if piece_end < e.periodo_fin => piece_start = next,
            _ => break,
        }
    }
    let total = pasos.iter().map(|p| p.importe).sum::<i64>() + seguro;
    Ok(Calculo {
        pasos,
        seguro_danos: seguro,
        total,
    })
}

fn piece(
    e: &Entrada,
    from: NaiveDate,
    dias: u32,
    dias_bimestre: u32,
) -> Result<(i64, String), RetentionError> {
    let m = crate::money::format;
    Ok(match e.descuento {
        Descuento::Porcentaje(pct) => {
            let importe = round_div(
                i128::from(e.sbc) * i128::from(dias) * i128::from(pct),
                10_000,
            );
            let detalle = format!(
                "SBC {} × {dias} días × {} % = {}",
                m(e.sbc),
                format_fixed(pct, 2),
                m(importe)
            );
            (importe, detalle)
        }
        Descuento::CuotaFija(cuota) => {
            let importe = round_div(
                i128::from(cuota) * 2 * i128::from(dias),
                i128::from(dias_bimestre),
            );
            let detalle = format!(
                "cuota mensual {} × 2 / {dias_bimestre} días del bimestre × {dias} días = {}",
                m(cuota),
                m(importe)
            );
            (importe, detalle)
        }
        Descuento::Factor(factor) => {
            let umi = UMI
                .at(from)
                .ok_or(RetentionError::SinValorDeReferencia(UMI.name, from))?;
            let amount = factor_amount(factor, umi, dias_bimestre, dias);
            let mut detalle = format!(
                "factor {} × UMI {} × 2 / {dias_bimestre} días del bimestre × {dias} días = {}",
                format_fixed(factor, 4),
                m(umi),
                m(amount)
            );
            let mut importe = amount;
            if e.salario_minimo {
                let tope = round_div(i128::from(e.sbc) * i128::from(dias) * 20, 100);
                if tope < amount {
                    importe = tope;
                    detalle.push_str(&format!(
                        "; tope salario mínimo: 20 % × SBC {} × {dias} días = {}",
                        m(e.sbc),
                        m(tope)
                    ));
                } else {
                    detalle.push_str(&format!(
                        "; no rebasa el tope de salario mínimo ({})",
                        m(tope)
                    ));
                }
            }
            (importe, detalle)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn domain_worked_check() {
        // A worked example: FD 22.25, UMI 82.22, 61-day bimester, 5 days → 299.90.
        assert_eq!(factor_amount(222_500, 8222, 61, 5), 29_990);
    }

    #[test]
    fn dated_tables_pick_the_value_in_force() {
        assert_eq!(UMA.at(d(2025, 1, 31)), Some(10857));
        assert_eq!(UMA.at(d(2025, 2, 1)), Some(11314));
        assert_eq!(UMA.at(d(2024, 1, 31)), None);
        assert_eq!(SALARIO_MINIMO_GENERAL.at(d(2026, 6, 1)), Some(31504));
        assert_eq!(SALARIO_MINIMO_FRONTERA.at(d(2025, 12, 31)), Some(41988));
        assert_eq!(UMI.at(d(2026, 11, 23)), Some(10081));
        assert_eq!(seguro_danos(d(2010, 11, 1)), 1300);
        assert_eq!(seguro_danos(d(2011, 1, 1)), 1500);
    }

    #[test]
    fn descuento_round_trips_its_text() {
        assert_eq!(
            Descuento::parse("3", "22.25"),
            Some(Descuento::Factor(222_500))
        );
        assert_eq!(Descuento::Factor(222_500).valor(), "22.2500");
        assert_eq!(
            Descuento::parse("1", "25.00"),
            Some(Descuento::Porcentaje(2500))
        );
        assert_eq!(
            Descuento::parse("2", "1250.5"),
            Some(Descuento::CuotaFija(125_050))
        );
        assert_eq!(Descuento::CuotaFija(125_050).valor(), "1250.50");
        assert_eq!(Descuento::parse("2", "12.345"), None);
        assert_eq!(Descuento::parse("4", "1"), None);
        assert_eq!(Descuento::parse("1", "-5"), None);
    }

    #[test]
    fn bimesters() {
        assert_eq!(
            bimester_of(d(2026, 2, 14)),
            (1, d(2026, 1, 1), d(2026, 2, 28))
        );
        assert_eq!(bimester_of(d(2024, 2, 29)).2, d(2024, 2, 29));
        assert_eq!(
            bimester_of(d(2026, 12, 31)),
            (6, d(2026, 11, 1), d(2026, 12, 31))
        );
    }

    fn entrada(descuento: Descuento, inicio: NaiveDate, fin: NaiveDate) -> Entrada {
        Entrada {
            descuento,
            sbc: 50_000,
            salario_minimo: false,
            periodo_inicio: inicio,
            periodo_fin: fin,
            inicio_descuento: d(2020, 1, 1),
            suspension: None,
        }
    }

    #[test]
    fn porcentaje_full_bimester() {
        // 500.00 × 61 × 25 % = 7,625.00, + 15.00 seguro.
        let c = calcular(&entrada(
            Descuento::Porcentaje(2500),
            d(2026, 9, 1),
            d(2026, 10, 31),
        ))
        .expect("calcula");
        assert_eq!(c.pasos.len(), 1);
        assert_eq!(c.pasos[0].importe, 762_500);
        assert_eq!(c.total, 764_000);
    }

    #[test]
    fn cuota_fija_split_across_bimesters() {
        // 16 Feb-15 Mar 2026: 13 days of a 59-day bimester, 15 of a 61-day one.
        // 1,000.00 × 2 / 59 × 13 = 440.677... → 440.68; 1,000.00 × 2 / 61 × 15 = 491.803... → 491.80.
        let c = calcular(&entrada(
            Descuento::CuotaFija(100_000),
            d(2026, 2, 16),
            d(2026, 3, 15),
        ))
        .expect("calcula");
        let importes: Vec<i64> = c.pasos.iter().map(|p| p.importe).collect();
        assert_eq!(importes, vec![44_068, 49_180]);
        assert_eq!(c.seguro_danos, 3000);
        assert_eq!(c.total, 44_068 + 49_180 + 3000);
    }

    #[test]
    fn factor_capped_for_minimum_wage() {
        // 30.0000 × 100.81 × 2 / 61 × 61 = 6,048.60 > 20 % × 315.04 × 61 = 3,843.488 → 3,843.49.
        let mut e = entrada(Descuento::Factor(300_000), d(2026, 9, 1), d(2026, 10, 31));
        e.sbc = 31_504;
        e.salario_minimo = true;
        let c = calcular(&e).expect("calcula");
        assert_eq!(c.pasos[0].importe, 384_349);
        assert!(c.pasos[0].detalle.contains("tope"));
        e.salario_minimo = false;
        assert_eq!(calcular(&e).expect("calcula").pasos[0].importe, 604_860);
    }

    #[test]
    fn discount_window_and_suspension() {
        // Starts 10 Sep, suspended from 21 Oct: 10 Sep-20 Oct = 41 days.
        let mut e = entrada(Descuento::CuotaFija(61_000), d(2026, 9, 1), d(2026, 10, 31));
        e.inicio_descuento = d(2026, 9, 10);
        e.suspension = Some(d(2026, 10, 21));
        let c = calcular(&e).expect("calcula");
        assert_eq!(c.pasos[0].dias, 41);
        // 610.00 × 2 / 61 × 41 = 820.00
        assert_eq!(c.pasos[0].importe, 82_000);
        // Nothing discounted at all: no seguro either.
        e.inicio_descuento = d(2027, 1, 1);
        assert_eq!(calcular(&e).expect("calcula").total, 0);
    }
}
