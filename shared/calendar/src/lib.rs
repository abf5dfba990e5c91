//! Business days (días hábiles) for the certification deadlines: 45 business days to upload evidence
//! after the test set, 5 for the institute's review, 10 after inconsistencies (seed 002).
//!
//! Not counted as business days: Saturdays, Sundays and the official rest days of the
//! Ley Federal del Trabajo, art. 74 — 1 January, first Monday of February, third Monday of March,
//! 1 May, 16 September, third Monday of November, 25 December, and 1 December every six years
//! (change of the federal executive: 2024, 2030, 2036...). These rules are the default for any
//! year; the institute publishes its own list each year in the DOF and may close more days (Holy
//! Thursday and Friday, 2 November, 24 and 31 December...), so an administrator adds them with
//! [`Calendar::with_extra_days`]. The extra days are the only state: the calendar serializes as
//! `{"extra": ["2026-04-02", ...]}` (the rules need no storage), so a store keeps one JSON list.
//!
//! A deadline that falls on a non-working day moves to the next working day: that is what
//! [`Calendar::add_business_days`] gives, since it only ever lands on business days.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate, Weekday};

/// Reason shown for a day the institute declared non-working.
pub const DECLARED_REASON: &str = "Día inhábil declarado por el Instituto";

/// The official rules plus the days the institute declared non-working.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Calendar {
    /// Extra non-working days, any year (sorted, no duplicates).
    #[serde(default)]
    extra: BTreeSet<NaiveDate>,
}

/// One official rule: the date it gives in a year, and its name.
fn official_days(year: i32) -> Vec<(NaiveDate, &'static str)> {
    let fixed = |month, day| NaiveDate::from_ymd_opt(year, month, day);
    let nth_monday =
        |month, n: u8| NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Mon, n);
    let mut days = vec![
        (fixed(1, 1), "Año Nuevo (1 de enero)"),
        (
            nth_monday(2, 1),
            "Día de la Constitución (primer lunes de febrero)",
        ),
        (
            nth_monday(3, 3),
            "Natalicio de Benito Juárez (tercer lunes de marzo)",
        ),
        (fixed(5, 1), "Día del Trabajo (1 de mayo)"),
        (fixed(9, 16), "Día de la Independencia (16 de septiembre)"),
        (
            nth_monday(11, 3),
            "Día de la Revolución (tercer lunes de noviembre)",
        ),
        (fixed(12, 25), "Navidad (25 de diciembre)"),
    ];
    if (year - 2024).rem_euclid(6) == 0 {
        days.push((
            fixed(12, 1),
            "Transmisión del Poder Ejecutivo Federal (1 de diciembre, cada seis años)",
        ));
    }
    days.into_iter()
        .filter_map(|(d, name)| d.map(|d| (d, name)))
        .collect()
}

impl Calendar {
    /// Official rules as default (weekends; 1 Jan, first Monday Feb, third Monday Mar, 1 May,
    /// 16 Sep, third Monday Nov, 25 Dec, 1 Dec every six years from 2024), for any year.
    pub fn official() -> Calendar {
        Calendar::default()
    }

    /// Adds days the institute declares non-working (administrator-extendable).
    pub fn with_extra_days(mut self, days: impl IntoIterator<Item = NaiveDate>) -> Calendar {
        self.extra.extend(days);
        self
    }

    /// The declared extra days, sorted (what an administrator added).
    pub fn extra_days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.extra.iter().copied()
    }

    pub fn is_business_day(&self, d: NaiveDate) -> bool {
        self.reason(d).is_none()
    }

    /// The date `n` business days after `from` (from itself not counted). n = 0 → `from` moved
    /// to the next business day if it is not one. Saturates at the last representable date.
    pub fn add_business_days(&self, from: NaiveDate, n: u32) -> NaiveDate {
        let mut day = from;
        if n == 0 {
            while !self.is_business_day(day) {
                match day.succ_opt() {
                    Some(next) => day = next,
                    None => return day,
                }
            }
            return day;
        }
        let mut counted = 0;
        while counted < n {
            match day.succ_opt() {
                Some(next) => day = next,
                None => return day,
            }
            if self.is_business_day(day) {
                counted += 1;
            }
        }
        day
    }

    /// Business days in (from, to]; 0 when `to` is not after `from`.
    pub fn business_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let mut count = 0;
        let mut day = from;
        while day < to {
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
            if self.is_business_day(day) {
                count += 1;
            }
        }
        count
    }

    /// Why a day is not working ("Sábado", "Domingo", "Natalicio de Benito Juárez (tercer lunes
    /// de marzo)", "Día inhábil declarado por el Instituto"...), None when working. An official
    /// rest day that falls on a weekend is named by the rest day.
    pub fn reason(&self, d: NaiveDate) -> Option<String> {
        if let Some((_, name)) = official_days(d.year())
            .into_iter()
            .find(|(day, _)| *day == d)
        {
            return Some(name.to_string());
        }
        if self.extra.contains(&d) {
            return Some(DECLARED_REASON.to_string());
        }
        match d.weekday() {
            Weekday::Sat => Some("Sábado".to_string()),
            Weekday::Sun => Some("Domingo".to_string()),
            _ => None,
        }
    }

    /// The non-working weekdays (Monday to Friday) of a year with reasons, sorted by date: the
    /// official rest days and the declared ones (for the admin screen / API).
    pub fn holidays(&self, year: i32) -> Vec<(NaiveDate, String)> {
        let official = official_days(year).into_iter().map(|(d, _)| d);
        let extra = self.extra.iter().copied().filter(|d| d.year() == year);
        let days: BTreeSet<NaiveDate> = official
            .chain(extra)
            .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
            .collect();
        days.into_iter()
            .filter_map(|d| self.reason(d).map(|r| (d, r)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    #[test]
    fn weekends_are_not_business_days() {
        let cal = Calendar::official();
        assert_eq!(cal.reason(d(2026, 11, 21)).as_deref(), Some("Sábado"));
        assert_eq!(cal.reason(d(2026, 11, 22)).as_deref(), Some("Domingo"));
        assert!(cal.is_business_day(d(2026, 11, 23)));
        // Friday + 1 business day = Monday.
        assert_eq!(cal.add_business_days(d(2026, 11, 27), 1), d(2026, 11, 30));
        // Saturday + 0 = Monday; a business day + 0 = itself.
        assert_eq!(cal.add_business_days(d(2026, 11, 28), 0), d(2026, 11, 30));
        assert_eq!(cal.add_business_days(d(2026, 11, 24), 0), d(2026, 11, 24));
        // (Fri, next Fri] holds 5 business days.
        assert_eq!(
            cal.business_days_between(d(2026, 11, 27), d(2026, 12, 4)),
            5
        );
        assert_eq!(
            cal.business_days_between(d(2026, 12, 4), d(2026, 11, 27)),
            0
        );
    }

    #[test]
    fn movable_mondays_2024_to_2027() {
        let cal = Calendar::official();
        let constitution = [d(2024, 2, 5), d(2025, 2, 3), d(2026, 2, 2), d(2027, 2, 1)];
        let juarez = [
            d(2024, 3, 18),
            d(2025, 3, 17),
            d(2026, 3, 16),
            d(2027, 3, 15),
        ];
        let revolution = [
            d(2024, 11, 18),
            d(2025, 11, 17),
            d(2026, 11, 16),
            d(2027, 11, 15),
        ];
        for day in constitution {
            assert_eq!(
                cal.reason(day).as_deref(),
                Some("Día de la Constitución (primer lunes de febrero)"),
                "{day}"
            );
            // The Monday a week later is a working day.
            assert!(cal.is_business_day(day + chrono::Days::new(7)), "{day}");
        }
        for day in juarez {
            assert_eq!(
                cal.reason(day).as_deref(),
                Some("Natalicio de Benito Juárez (tercer lunes de marzo)"),
                "{day}"
            );
            assert!(cal.is_business_day(day - chrono::Days::new(7)), "{day}");
        }
        for day in revolution {
            assert_eq!(
                cal.reason(day).as_deref(),
                Some("Día de la Revolución (tercer lunes de noviembre)"),
                "{day}"
            );
        }
        // 20 November 2026 (a Friday) is a working day: the rest day moved to the Monday.
        assert!(cal.is_business_day(d(2026, 11, 20)));
        // The Friday before a movable Monday + 1 business day = Tuesday.
        assert_eq!(cal.add_business_days(d(2026, 3, 13), 1), d(2026, 3, 17));
    }

    #[test]
    fn year_end_runs_into_january() {
        let cal = Calendar::official();
        // Thu 31 Dec 2026 + 1: Fri 1 Jan is Año Nuevo, then the weekend → Mon 4 Jan 2027.
        assert_eq!(cal.add_business_days(d(2026, 12, 31), 1), d(2027, 1, 4));
        // Thu 24 Dec 2026 + 1: Fri 25 Dec is Navidad → Mon 28 Dec.
        assert_eq!(cal.add_business_days(d(2026, 12, 24), 1), d(2026, 12, 28));
        // (24 Dec 2026, 4 Jan 2027]: 28, 29, 30, 31 Dec and 4 Jan.
        assert_eq!(cal.business_days_between(d(2026, 12, 24), d(2027, 1, 4)), 5);
        assert_eq!(
            cal.reason(d(2027, 1, 1)).as_deref(),
            Some("Año Nuevo (1 de enero)")
        );
    }

    #[test]
    fn change_of_executive_every_six_years() {
        let cal = Calendar::official();
        // The Monday after it, 2 Dec 2030, is a working day (no substitute day).
        assert!(cal.is_business_day(d(2030, 12, 2)));
        // 1 Dec 2030 is a Sunday; 1 Dec 2036 is a Monday.
        assert!(
            cal.reason(d(2030, 12, 1))
                .is_some_and(|r| r.starts_with("Transmisión del Poder Ejecutivo"))
        );
        assert!(
            cal.reason(d(2036, 12, 1))
                .is_some_and(|r| r.starts_with("Transmisión del Poder Ejecutivo"))
        );
        assert!(
            cal.reason(d(2024, 12, 1))
                .is_some_and(|r| r.starts_with("Transmisión del Poder Ejecutivo"))
        );
        // Not in other years: 1 Dec 2031 is a Monday and a working day.
        assert!(cal.is_business_day(d(2031, 12, 1)));
        assert!(cal.is_business_day(d(2026, 12, 1)));
        // Fri 28 Nov 2036 + 1 → Tue 2 Dec 2036.
        assert_eq!(cal.add_business_days(d(2036, 11, 28), 1), d(2036, 12, 2));
    }

    #[test]
    fn deadline_on_a_holiday_moves_on() {
        let cal = Calendar::official();
        // Tue 8 Sep 2026 + 6 business days: 9, 10, 11, 14, 15, and 16 Sep is Independencia → 17.
        assert_eq!(cal.add_business_days(d(2026, 9, 8), 6), d(2026, 9, 17));
        // A declared day moves it further.
        let cal = cal.with_extra_days([d(2026, 9, 17)]);
        assert_eq!(cal.add_business_days(d(2026, 9, 8), 6), d(2026, 9, 18));
        assert_eq!(cal.reason(d(2026, 9, 17)).as_deref(), Some(DECLARED_REASON));
    }

    #[test]
    fn forty_five_business_days_by_hand() {
        // From Mon 2 Mar 2026 (not counted), official calendar:
        //   3-6 Mar  4 (4)  | 9-13 Mar  5 (9)  | 16 Mar Juárez; 17-20 Mar 4 (13)
        //   23-27 Mar 5 (18) | 30 Mar-3 Apr 5 (23) | 6-10 Apr 5 (28) | 13-17 Apr 5 (33)
        //   20-24 Apr 5 (38) | 27-30 Apr 4 (42); 1 May Día del Trabajo | 4, 5, 6 May (45)
        let cal = Calendar::official();
        assert_eq!(cal.add_business_days(d(2026, 3, 2), 45), d(2026, 5, 6));
        assert_eq!(cal.business_days_between(d(2026, 3, 2), d(2026, 5, 6)), 45);
        assert_eq!(cal.business_days_between(d(2026, 3, 2), d(2026, 5, 5)), 44);
        // The institute closes Holy Thursday and Friday 2026 (2, 3 Apr): two days later.
        let cal = cal.with_extra_days([d(2026, 4, 2), d(2026, 4, 3)]);
        assert_eq!(cal.add_business_days(d(2026, 3, 2), 45), d(2026, 5, 8));
    }

    #[test]
    fn holidays_of_2026_match_the_published_list() {
        // The institute's 2026 list is 1 Jan, 2 Feb, 16 Mar, 1 May, 16 Sep, 16 Nov, 25 Dec.
        let days: Vec<NaiveDate> = Calendar::official()
            .holidays(2026)
            .into_iter()
            .map(|(d, _)| d)
            .collect();
        assert_eq!(
            days,
            vec![
                d(2026, 1, 1),
                d(2026, 2, 2),
                d(2026, 3, 16),
                d(2026, 5, 1),
                d(2026, 9, 16),
                d(2026, 11, 16),
                d(2026, 12, 25)
            ]
        );
        // 2030: 1 Dec is a Sunday, so not listed among weekdays; 2036 lists it.
        assert!(
            !Calendar::official()
                .holidays(2030)
                .iter()
                .any(|(d, _)| d.month() == 12 && d.day() == 1)
        );
        assert!(
            Calendar::official()
                .holidays(2036)
                .iter()
                .any(|(day, _)| *day == d(2036, 12, 1))
        );
    }

    #[test]
    fn serializes_as_a_list_of_extra_days() {
        let cal =
            Calendar::official().with_extra_days([d(2026, 4, 3), d(2026, 4, 2), d(2026, 4, 2)]);
        let json = serde_json::to_string(&cal).expect("serialize");
        assert_eq!(json, r#"{"extra":["2026-04-02","2026-04-03"]}"#);
        let back: Calendar = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, cal);
        let empty: Calendar = serde_json::from_str("{}").expect("deserialize empty");
        assert_eq!(empty, Calendar::official());
        assert_eq!(cal.extra_days().count(), 2);
    }
}
