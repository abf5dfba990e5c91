//! Bimesters: Jan-Feb, Mar-Apr, May-Jun, Jul-Aug, Sep-Oct, Nov-Dec. Avisos are stored in pages
//! per bimester of their `fecha_aviso`, and payroll systems consult by default from the first
//! day of the previous bimester to today.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Bimestre {
    pub anio: i32,
    /// 1..=6.
    pub numero: u32,
}

impl Bimestre {
    pub fn of(date: NaiveDate) -> Bimestre {
        Bimestre {
            anio: date.year(),
            numero: (date.month() - 1) / 2 + 1,
        }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.anio, self.numero * 2 - 1, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn previous(self) -> Bimestre {
        if self.numero == 1 {
            Bimestre {
                anio: self.anio - 1,
                numero: 6,
            }
        } else {
            Bimestre {
                anio: self.anio,
                numero: self.numero - 1,
            }
        }
    }

    /// Key segment and label: `2026-B6`.
    pub fn label(self) -> String {
        format!("{}-B{}", self.anio, self.numero)
    }
}

/// The default consultation range on `today` (America/Mexico_City): from the first day of the
/// previous bimester to today, inclusive.
pub fn default_range(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    (Bimestre::of(today).previous().first_day(), today)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn bimesters_and_the_default_range() {
        assert_eq!(Bimestre::of(d("2026-11-23")).label(), "2026-B6");
        assert_eq!(Bimestre::of(d("2026-02-28")).label(), "2026-B1");
        assert_eq!(Bimestre::of(d("2026-03-01")).first_day(), d("2026-03-01"));
        assert_eq!(
            default_range(d("2026-11-23")),
            (d("2026-09-01"), d("2026-11-23"))
        );
        assert_eq!(
            default_range(d("2026-01-05")),
            (d("2025-11-01"), d("2026-01-05"))
        );
        assert_eq!(
            default_range(d("2026-04-30")),
            (d("2026-01-01"), d("2026-04-30"))
        );
        assert!(Bimestre::of(d("2025-12-31")) < Bimestre::of(d("2026-01-01")));
    }
}
