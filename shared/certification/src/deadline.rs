//! Deadlines in business days, and the institute's own non-working days.
//!
//! The official rest days come from `avisos-calendar`; the days the institute declares
//! non-working are stored per year under `calendario:<año>` and added to every computation.
//! A deadline is stored as where it starts and how many business days it has
//! ([`crate::record::Plazo`]); its last day is recomputed with the current calendar whenever it
//! is read.

use std::collections::BTreeSet;

use avisos_calendar::Calendar;
use avisos_kv::{KeyValue, KeyValueJson};
use chrono::{Datelike, NaiveDate};

use crate::error::CertificationError;

/// Business days to upload the evidence after the e-mail with the test set is delivered.
pub const DIAS_EVIDENCIA: u32 = 45;
/// Business days for the analyst's review.
pub const DIAS_ANALISIS: u32 = 5;
/// Business days to upload corrected evidence after the e-mail with the new set is delivered.
pub const DIAS_CORRECCION: u32 = 10;
/// Most extra days per year (a year has ~250 business days; this is a typo guard).
pub const MAX_EXTRA_DAYS: usize = 60;
/// Years the calendar accepts.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

fn key(year: i32) -> String {
    format!("calendario:{year}")
}

/// The extra non-working days of one year.
pub fn extra_days(kv: &dyn KeyValue, year: i32) -> Result<Vec<NaiveDate>, CertificationError> {
    Ok(kv.get_json(&key(year))?.unwrap_or_default())
}

/// The calendar for deadlines that start in `first..=last` (a 45-business-day deadline ends at
/// most a few months later: the following year is loaded too).
pub fn calendar_for(
    kv: &dyn KeyValue,
    first: i32,
    last: i32,
) -> Result<Calendar, CertificationError> {
    let mut days = Vec::new();
    for year in first..=last.saturating_add(1) {
        days.extend(extra_days(kv, year)?);
    }
    Ok(Calendar::official().with_extra_days(days))
}

/// Validates and replaces a year's extra days (analysts).
pub fn set_extra_days(
    kv: &dyn KeyValue,
    year: i32,
    days: &[String],
) -> Result<Vec<NaiveDate>, CertificationError> {
    if !YEARS.contains(&year) {
        return Err(CertificationError::YearInvalid);
    }
    if days.len() > MAX_EXTRA_DAYS {
        return Err(CertificationError::TooManyDays);
    }
    let mut set = BTreeSet::new();
    for d in days {
        let date = NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
            .map_err(|_| CertificationError::DateInvalid(d.clone()))?;
        if date.year() != year {
            return Err(CertificationError::DateOutsideYear { date, year });
        }
        set.insert(date);
    }
    let list: Vec<NaiveDate> = set.into_iter().collect();
    kv.set_json(&key(year), &list)?;
    Ok(list)
}

/// Parses the `anio` path segment.
pub fn parse_year(s: &str) -> Result<i32, CertificationError> {
    s.parse::<i32>()
        .ok()
        .filter(|y| YEARS.contains(y))
        .ok_or(CertificationError::YearInvalid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use avisos_kv::MemoryKv;

    #[test]
    fn extra_days_are_validated_sorted_and_deduplicated() {
        let kv = MemoryKv::new();
        let got = set_extra_days(
            &kv,
            2026,
            &[
                "2026-12-24".into(),
                "2026-12-07".into(),
                "2026-12-24".into(),
            ],
        )
        .unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(extra_days(&kv, 2026).unwrap(), got);
        let code = |days: &[&str], year| {
            let days: Vec<String> = days.iter().map(|d| d.to_string()).collect();
            set_extra_days(&kv, year, &days).unwrap_err().codigo()
        };
        assert_eq!(code(&["2027-01-04"], 2026), "FECHA_FUERA_DEL_ANIO");
        assert_eq!(code(&["24/12/2026"], 2026), "FECHA_INVALIDA");
        assert_eq!(code(&[], 1999), "ANIO_INVALIDO");
        let many: Vec<String> = (1..=61)
            .map(|i| format!("2026-01-{:02}", i % 28 + 1))
            .collect();
        assert_eq!(
            set_extra_days(&kv, 2026, &many).unwrap_err().codigo(),
            "DEMASIADOS_DIAS"
        );
        // Refusals changed nothing.
        assert_eq!(extra_days(&kv, 2026).unwrap().len(), 2);
        assert_eq!(parse_year("2026").unwrap(), 2026);
        assert!(parse_year("20x6").is_err());
    }
}
