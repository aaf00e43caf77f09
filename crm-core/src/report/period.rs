//! Periods in the company's time zone: a report's range of calendar days, the bucket a moment
//! or a date falls in (day, week, month, quarter, year), and the UTC bounds a range covers.
//! An order at 23:30 on the last day of a month in Shanghai is in that month, whatever UTC says.

use chrono::{Datelike, Duration, NaiveDate};
use chrono_tz::Tz;
use serde::Serialize;

use crate::error::{Error, FieldError, Result};
pub use crate::settings::{local_day, midnight_ms};

/// How a report groups time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Grain {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl Grain {
    pub const ALL: &'static [&'static str] = &["day", "week", "month", "quarter", "year"];

    pub fn parse(text: &str) -> Option<Grain> {
        Some(match text {
            "day" => Grain::Day,
            "week" => Grain::Week,
            "month" => Grain::Month,
            "quarter" => Grain::Quarter,
            "year" => Grain::Year,
            _ => return None,
        })
    }

    /// The bucket `day` falls in: `2026-11-24`, `2026-W48` (ISO week), `2026-11`, `2026-Q4`,
    /// `2026`. Labels sort in time order.
    pub fn bucket(self, day: NaiveDate) -> String {
        match self {
            Grain::Day => day.format("%Y-%m-%d").to_string(),
            Grain::Week => {
                let week = day.iso_week();
                format!("{}-W{:02}", week.year(), week.week())
            }
            Grain::Month => day.format("%Y-%m").to_string(),
            Grain::Quarter => format!("{}-Q{}", day.year(), day.month0() / 3 + 1),
            Grain::Year => day.year().to_string(),
        }
    }

    /// Every bucket from `first` to `last`, in order (a period with no records still shows).
    pub fn buckets(self, first: NaiveDate, last: NaiveDate) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut day = first;
        while day <= last {
            let label = self.bucket(day);
            if out.last() != Some(&label) {
                out.push(label);
            }
            day += Duration::days(1);
        }
        out
    }
}

/// A report's range: calendar days `first..=last` in the company's `zone`.
#[derive(Debug, Clone, Copy)]
pub struct Period {
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub zone: Tz,
}

/// The longest range a report covers (ten years of days).
pub const MAX_DAYS: i64 = 3660;

pub fn day_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn parse_day(field: &str, text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        Error::Validation(vec![FieldError::with(field, "invalid_date", serde_json::json!({ "value": text }))])
    })
}

impl Period {
    /// `from` to `to` (`YYYY-MM-DD`, both included); by default the month `today` is in.
    pub fn parse(from: Option<&str>, to: Option<&str>, today: NaiveDate, zone: Tz) -> Result<Period> {
        let month_start = today.with_day(1).unwrap_or(today);
        let first = from.map(|f| parse_day("from", f)).transpose()?.unwrap_or(month_start);
        let last = match to {
            Some(t) => parse_day("to", t)?,
            None => end_of_month(first),
        };
        let days = (last - first).num_days();
        if !(0..MAX_DAYS).contains(&days) {
            return Err(Error::Validation(vec![FieldError::with(
                "to",
                "out_of_range",
                serde_json::json!({ "min": day_text(first), "max": day_text(first + Duration::days(MAX_DAYS - 1)) }),
            )]));
        }
        Ok(Period { first, last, zone })
    }

    /// The same number of days just before (what "change against the previous period"
    /// compares with).
    pub fn previous(&self) -> Period {
        let days = (self.last - self.first).num_days() + 1;
        // A whole month (or months) compares with the months before, not a count of days.
        if self.first.day() == 1 && self.last == end_of_month(self.last) {
            let months =
                (self.last.year() - self.first.year()) * 12 + self.last.month() as i32 - self.first.month() as i32 + 1;
            let first = add_months(self.first, -months);
            return Period { first, last: self.first - Duration::days(1), zone: self.zone };
        }
        Period { first: self.first - Duration::days(days), last: self.first - Duration::days(1), zone: self.zone }
    }

    /// The UTC milliseconds the range covers: `[start, end)`, from local midnight to local
    /// midnight.
    pub fn bounds_ms(&self) -> (i64, i64) {
        (midnight_ms(self.zone, self.first), midnight_ms(self.zone, self.last + Duration::days(1)))
    }

    /// The range's days as text, for comparing with date fields.
    pub fn day_bounds(&self) -> (String, String) {
        (day_text(self.first), day_text(self.last))
    }

    /// The local day a UTC moment falls on.
    pub fn local_day(&self, ms: i64) -> Option<NaiveDate> {
        local_day(self.zone, ms)
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        (self.first..=self.last).contains(&day)
    }
}

pub fn end_of_month(day: NaiveDate) -> NaiveDate {
    add_months(day.with_day(1).unwrap_or(day), 1) - Duration::days(1)
}

/// The first of the month `months` after `day`'s month (negative: before).
pub fn add_months(day: NaiveDate, months: i32) -> NaiveDate {
    let index = day.year() * 12 + day.month0() as i32 + months;
    NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1).unwrap_or(day)
}

/// A date field's text as a day.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn buckets_are_calendar_periods() {
        assert_eq!(Grain::Week.bucket(d("2026-01-01")), "2026-W01");
        assert_eq!(Grain::Week.bucket(d("2027-01-01")), "2026-W53");
        assert_eq!(Grain::Quarter.bucket(d("2026-11-30")), "2026-Q4");
        assert_eq!(
            Grain::Month.buckets(d("2026-10-15"), d("2027-01-02")),
            ["2026-10", "2026-11", "2026-12", "2027-01"]
        );
    }

    #[test]
    fn the_last_evening_of_a_month_in_shanghai_is_in_that_month() {
        let zone = chrono_tz::Asia::Shanghai;
        let november = Period::parse(Some("2026-11-01"), Some("2026-11-30"), d("2026-11-24"), zone).unwrap();
        // 2026-11-30 23:30 in Shanghai is 15:30 UTC the same day; 2026-12-01 00:30 is 16:30 UTC.
        let late = chrono::Utc.with_ymd_and_hms(2026, 11, 30, 15, 30, 0).unwrap().timestamp_millis();
        let next = chrono::Utc.with_ymd_and_hms(2026, 11, 30, 16, 30, 0).unwrap().timestamp_millis();
        let (start, end) = november.bounds_ms();
        assert!((start..end).contains(&late));
        assert!(!(start..end).contains(&next));
        assert_eq!(november.local_day(next), Some(d("2026-12-01")));
    }

    #[test]
    fn the_previous_period_of_months_is_the_months_before() {
        let zone = chrono_tz::Asia::Shanghai;
        let q = Period::parse(Some("2026-03-01"), Some("2026-05-31"), d("2026-11-24"), zone).unwrap().previous();
        assert_eq!((q.first, q.last), (d("2025-12-01"), d("2026-02-28")));
        let days = Period::parse(Some("2026-11-10"), Some("2026-11-19"), d("2026-11-24"), zone).unwrap().previous();
        assert_eq!((days.first, days.last), (d("2026-10-31"), d("2026-11-09")));
        let month = Period::parse(None, None, d("2026-02-14"), zone).unwrap();
        assert_eq!((month.first, month.last), (d("2026-02-01"), d("2026-02-28")));
    }
}
