//! Business days (días hábiles).

use chrono::NaiveDate;

/// Per-year tables of non-working days.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Calendar {
    extra: std::collections::BTreeSet<NaiveDate>,
}

impl Calendar {
    /// Official rules as default, for any year.
    pub fn official() -> Calendar {
        todo!()
    }
    /// Adds days the institute declares non-working (administrator-extendable).
    pub fn with_extra_days(self, days: impl IntoIterator<Item = NaiveDate>) -> Calendar {
        let _ = days;
        todo!()
    }
    pub fn is_business_day(&self, d: NaiveDate) -> bool {
        let _ = d;
        todo!()
    }
    /// The date `n` business days after `from` (from itself not counted).
    pub fn add_business_days(&self, from: NaiveDate, n: u32) -> NaiveDate {
        let _ = (from, n);
        todo!()
    }
    /// Business days in (from, to].
    pub fn business_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let _ = (from, to);
        todo!()
    }
    /// Why a day is not working, None when working.
    pub fn reason(&self, d: NaiveDate) -> Option<String> {
        let _ = d;
        todo!()
    }
    /// The non-working weekdays of a year with reasons.
    pub fn holidays(&self, year: i32) -> Vec<(NaiveDate, String)> {
        let _ = year;
        todo!()
    }
}
