//! Working days: weekends, public holidays and adjusted working days (调休),
//! and the deadline arithmetic of appeals.
//!
//! China's public holidays are published each year by the General Office of
//! the State Council (国务院办公厅关于部分节假日安排的通知). A holiday often
//! "borrows" a weekend: a Saturday or Sunday becomes a working day (调休上班)
//! so that the holiday is longer. One year's schedule is a small JSON file
//! (`data/holidays/<year>.json`, embedded in the binary) that administrators
//! can replace or extend with [`HolidayCalendar::parse_year`] and
//! [`HolidayCalendar::with_year`]. Outside the years it covers the calendar
//! falls back to weekends only; [`HolidayCalendar::covers`] lets callers warn.
//!
//! All local dates are in China Standard Time, a **fixed** offset of +08:00
//! ([`CHINA_OFFSET`]): China has no daylight saving time, and the binary must
//! not depend on a time zone database.
//!
//! # Working-day deadlines
//!
//! [`HolidayCalendar::add_working_days`] implements the rule "reply within
//! N working days": the day of receipt never counts, whatever the time of
//! receipt; the deadline is the **end** of the N-th working day after the
//! local date of receipt, that is the instant 00:00 (+08:00) of the calendar
//! day that follows it. The deadline itself is exclusive: work done at any
//! instant strictly before it is on time. With N = 0 the deadline is the end
//! of the day of receipt. Example: received Thursday 2026-02-12 10:00; the
//! working days after it are Fri 13, Sat 14 (调休), Tue 24 … Fri 27, Sat 28
//! (调休) — the Spring Festival (15–23) does not count — so 7 working days
//! end at 2026-03-01 00:00 +08:00.
//!
//! Hour limits ("within 2 hours" for emergencies) are plain clock time and
//! run through nights, weekends and holidays: [`add_hours`], [`add_minutes`].

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::LazyLock;

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::Offset;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// China Standard Time, UTC+08:00, all year round.
pub const CHINA_OFFSET: Offset = Offset::constant(8);

/// Years accepted in a schedule.
pub const MIN_YEAR: i16 = 1900;
/// Years accepted in a schedule.
pub const MAX_YEAR: i16 = 2999;
/// The longest single holiday span accepted (a typo guard: the longest real
/// one, the Spring Festival, lasts 8 or 9 days).
pub const MAX_HOLIDAY_DAYS: i64 = 31;

const BUILTIN_YEARS: [&str; 2] = [
    include_str!("../../data/holidays/2025.json"),
    include_str!("../../data/holidays/2026.json"),
];

/// The local (+08:00) calendar date of an instant.
pub fn local_date(at: Timestamp) -> Date {
    CHINA_OFFSET.to_datetime(at).date()
}

/// The instant 00:00 (+08:00) at which `date` begins.
/// Saturates at [`Timestamp::MIN`]/[`Timestamp::MAX`] at the ends of time.
pub fn start_of_day(date: Date) -> Timestamp {
    CHINA_OFFSET
        .to_timestamp(date.to_datetime(Time::midnight()))
        .unwrap_or(if date.year() < 0 {
            Timestamp::MIN
        } else {
            Timestamp::MAX
        })
}

/// The exclusive end of `date`: 00:00 (+08:00) of the following day.
/// Saturates at [`Timestamp::MAX`].
pub fn end_of_day(date: Date) -> Timestamp {
    match date.tomorrow() {
        Ok(next) => start_of_day(next),
        Err(_) => Timestamp::MAX,
    }
}

/// `start` plus `hours` clock hours (nights and holidays included).
/// Saturates at [`Timestamp::MAX`].
pub fn add_hours(start: Timestamp, hours: u32) -> Timestamp {
    start
        .checked_add(SignedDuration::from_hours(i64::from(hours)))
        .unwrap_or(Timestamp::MAX)
}

/// `start` plus `minutes` clock minutes (nights and holidays included).
/// Saturates at [`Timestamp::MAX`].
pub fn add_minutes(start: Timestamp, minutes: u32) -> Timestamp {
    start
        .checked_add(SignedDuration::from_mins(i64::from(minutes)))
        .unwrap_or(Timestamp::MAX)
}

/// The local date of the last instant strictly before `deadline`: the day a
/// deadline "ends". For an end-of-day deadline (00:00) that is the previous
/// date.
fn last_date_before(deadline: Timestamp) -> Date {
    let dt = CHINA_OFFSET.to_datetime(deadline);
    if dt.time() == Time::midnight() {
        dt.date().yesterday().unwrap_or(dt.date())
    } else {
        dt.date()
    }
}

fn is_weekend(date: Date) -> bool {
    matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// Days since 1970-01-01 (proleptic Gregorian), without any fallible call.
fn day_number(date: Date) -> i64 {
    let (y, m, d) = (
        i64::from(date.year()),
        i64::from(date.month()),
        i64::from(date.day()),
    );
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Mondays to Fridays among the days numbered `< n` (counted from the Monday
/// 1969-12-29, day −3; negative below it, which cancels out in differences).
fn weekdays_before(n: i64) -> i64 {
    let since_monday = n + 3;
    5 * since_monday.div_euclid(7) + since_monday.rem_euclid(7).min(5)
}

/// One public holiday: a run of consecutive days off.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HolidaySpan {
    pub name: String,
    pub name_en: String,
    /// First day off.
    pub from: Date,
    /// Last day off (inclusive).
    pub to: Date,
}

/// A Saturday or Sunday that is a working day (调休上班).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AdjustedWorkday {
    pub date: Date,
    pub name: String,
}

/// One year's official schedule, checked. Built by
/// [`HolidayCalendar::parse_year`] or [`YearSchedule::new`]; serialises back
/// to the file format.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct YearSchedule {
    year: i16,
    source: String,
    holidays: Vec<HolidaySpan>,
    workdays: Vec<AdjustedWorkday>,
}

/// What a schedule file or a set of schedules got wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("not a valid holiday schedule: {0}")]
    Json(String),
    #[error("year {0} is out of range ({MIN_YEAR}–{MAX_YEAR})")]
    YearOutOfRange(i64),
    #[error("the schedule needs a \"source\": the notice it comes from")]
    MissingSource,
    #[error("{what}: a name is required")]
    EmptyName { what: String },
    #[error("{what}: bad date {value:?} (expected YYYY-MM-DD)")]
    BadDate { what: String, value: String },
    #[error("{what}: {date} is outside the year {year}")]
    OutsideYear { what: String, date: Date, year: i16 },
    #[error("{name}: starts {from}, after its end {to}")]
    Reversed { name: String, from: Date, to: Date },
    #[error("{name}: {days} days is too long for one holiday (at most {MAX_HOLIDAY_DAYS})")]
    TooLong { name: String, days: i64 },
    #[error("{date} is in two holidays: {first} and {second}")]
    OverlappingHolidays {
        date: Date,
        first: String,
        second: String,
    },
    #[error("adjusted working day {0} is listed twice")]
    DuplicateWorkday(Date),
    #[error("{date} is both a holiday ({holiday}) and an adjusted working day")]
    HolidayAndWorkday { date: Date, holiday: String },
    #[error(
        "adjusted working day {date} is a {weekday:?}: only a Saturday or Sunday can be made a working day"
    )]
    WorkdayNotWeekend { date: Date, weekday: Weekday },
    #[error("year {0} is given twice")]
    DuplicateYear(i16),
}

impl CalendarError {
    /// A stable key for the kind of problem (for translation and tests).
    pub fn problem(&self) -> &'static str {
        match self {
            CalendarError::Json(_) => "malformed",
            CalendarError::YearOutOfRange(_) => "year_out_of_range",
            CalendarError::MissingSource => "missing_source",
            CalendarError::EmptyName { .. } => "empty_name",
            CalendarError::BadDate { .. } => "bad_date",
            CalendarError::OutsideYear { .. } => "outside_year",
            CalendarError::Reversed { .. } => "reversed_span",
            CalendarError::TooLong { .. } => "span_too_long",
            CalendarError::OverlappingHolidays { .. } => "overlapping_holidays",
            CalendarError::DuplicateWorkday(_) => "duplicate_workday",
            CalendarError::HolidayAndWorkday { .. } => "holiday_and_workday",
            CalendarError::WorkdayNotWeekend { .. } => "workday_not_weekend",
            CalendarError::DuplicateYear(_) => "duplicate_year",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawYear {
    year: i64,
    source: String,
    holidays: Vec<RawHoliday>,
    #[serde(default)]
    workdays: Vec<RawWorkday>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHoliday {
    name: String,
    #[serde(default)]
    name_en: String,
    from: String,
    to: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorkday {
    date: String,
    name: String,
}

/// Strict `YYYY-MM-DD`.
fn parse_date(what: &str, value: &str) -> Result<Date, CalendarError> {
    let bad = || CalendarError::BadDate {
        what: what.to_owned(),
        value: value.to_owned(),
    };
    let b = value.as_bytes();
    let shape_ok = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        });
    if !shape_ok {
        return Err(bad());
    }
    Date::from_str(value).map_err(|_| bad())
}

impl YearSchedule {
    /// Checks and builds a schedule: the year in range, a source, named
    /// holidays with `from ≤ to`, at most [`MAX_HOLIDAY_DAYS`] long, inside
    /// the year and not overlapping; adjusted working days inside the year,
    /// on a weekend, listed once and not on a holiday.
    pub fn new(
        year: i16,
        source: String,
        mut holidays: Vec<HolidaySpan>,
        mut workdays: Vec<AdjustedWorkday>,
    ) -> Result<YearSchedule, CalendarError> {
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(CalendarError::YearOutOfRange(i64::from(year)));
        }
        if source.trim().is_empty() {
            return Err(CalendarError::MissingSource);
        }
        let mut taken: BTreeMap<Date, &str> = BTreeMap::new();
        for h in &holidays {
            if h.name.trim().is_empty() {
                return Err(CalendarError::EmptyName {
                    what: format!("holiday from {}", h.from),
                });
            }
            for date in [h.from, h.to] {
                if date.year() != year {
                    return Err(CalendarError::OutsideYear {
                        what: h.name.clone(),
                        date,
                        year,
                    });
                }
            }
            if h.from > h.to {
                return Err(CalendarError::Reversed {
                    name: h.name.clone(),
                    from: h.from,
                    to: h.to,
                });
            }
            let days = day_number(h.to) - day_number(h.from) + 1;
            if days > MAX_HOLIDAY_DAYS {
                return Err(CalendarError::TooLong {
                    name: h.name.clone(),
                    days,
                });
            }
            let mut date = h.from;
            while date <= h.to {
                if let Some(first) = taken.insert(date, &h.name) {
                    return Err(CalendarError::OverlappingHolidays {
                        date,
                        first: first.to_owned(),
                        second: h.name.clone(),
                    });
                }
                match date.tomorrow() {
                    Ok(next) => date = next,
                    Err(_) => break,
                }
            }
        }
        let mut seen = BTreeMap::new();
        for w in &workdays {
            if w.name.trim().is_empty() {
                return Err(CalendarError::EmptyName {
                    what: format!("adjusted working day {}", w.date),
                });
            }
            if w.date.year() != year {
                return Err(CalendarError::OutsideYear {
                    what: w.name.clone(),
                    date: w.date,
                    year,
                });
            }
            if !is_weekend(w.date) {
                return Err(CalendarError::WorkdayNotWeekend {
                    date: w.date,
                    weekday: w.date.weekday(),
                });
            }
            if let Some(holiday) = taken.get(&w.date) {
                return Err(CalendarError::HolidayAndWorkday {
                    date: w.date,
                    holiday: (*holiday).to_owned(),
                });
            }
            if seen.insert(w.date, ()).is_some() {
                return Err(CalendarError::DuplicateWorkday(w.date));
            }
        }
        holidays.sort_by_key(|h| h.from);
        workdays.sort_by_key(|w| w.date);
        Ok(YearSchedule {
            year,
            source,
            holidays,
            workdays,
        })
    }

    pub fn year(&self) -> i16 {
        self.year
    }

    /// The notice the schedule comes from (e.g. 国办发明电〔2025〕7号).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// In date order.
    pub fn holidays(&self) -> &[HolidaySpan] {
        &self.holidays
    }

    /// In date order.
    pub fn workdays(&self) -> &[AdjustedWorkday] {
        &self.workdays
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Special {
    /// Index into the year's holidays.
    Holiday(usize),
    /// Index into the year's workdays.
    Workday(usize),
}

/// What kind of day a date is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayKind<'a> {
    /// Monday to Friday, not a holiday.
    Workday,
    /// Saturday or Sunday, not adjusted.
    Weekend,
    /// A public holiday (its Chinese name), weekend days included.
    Holiday(&'a str),
    /// A weekend day made a working day (调休), with its name.
    AdjustedWorkday(&'a str),
}

impl DayKind<'_> {
    pub fn is_working(self) -> bool {
        matches!(self, DayKind::Workday | DayKind::AdjustedWorkday(_))
    }
}

/// Weekends plus the official schedules of the years it covers.
/// `Default` is weekends only, covering no year.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HolidayCalendar {
    years: BTreeMap<i16, YearSchedule>,
    days: BTreeMap<Date, Special>,
}

static BUILTIN: LazyLock<HolidayCalendar> = LazyLock::new(|| {
    // Each embedded file is checked by the unit tests; a file that failed
    // would only leave its year uncovered, which `covers` reports.
    BUILTIN_YEARS
        .iter()
        .filter_map(|json| HolidayCalendar::parse_year(json).ok())
        .fold(HolidayCalendar::default(), HolidayCalendar::with_year)
});

impl HolidayCalendar {
    /// The schedules shipped with the binary (2025 and 2026).
    pub fn builtin() -> HolidayCalendar {
        BUILTIN.clone()
    }

    /// Parses and checks one year's schedule file (see the module docs and
    /// `data/holidays/2026.json` for the format).
    pub fn parse_year(json: &str) -> Result<YearSchedule, CalendarError> {
        let raw: RawYear =
            serde_json::from_str(json).map_err(|e| CalendarError::Json(e.to_string()))?;
        let year = i16::try_from(raw.year)
            .ok()
            .filter(|y| (MIN_YEAR..=MAX_YEAR).contains(y))
            .ok_or(CalendarError::YearOutOfRange(raw.year))?;
        let holidays = raw
            .holidays
            .into_iter()
            .map(|h| {
                Ok(HolidaySpan {
                    from: parse_date(&h.name, &h.from)?,
                    to: parse_date(&h.name, &h.to)?,
                    name: h.name,
                    name_en: h.name_en,
                })
            })
            .collect::<Result<Vec<_>, CalendarError>>()?;
        let workdays = raw
            .workdays
            .into_iter()
            .map(|w| {
                Ok(AdjustedWorkday {
                    date: parse_date(&w.name, &w.date)?,
                    name: w.name,
                })
            })
            .collect::<Result<Vec<_>, CalendarError>>()?;
        YearSchedule::new(year, raw.source, holidays, workdays)
    }

    /// A calendar of several schedules; refuses a year given twice.
    pub fn from_years(
        schedules: impl IntoIterator<Item = YearSchedule>,
    ) -> Result<HolidayCalendar, CalendarError> {
        let mut calendar = HolidayCalendar::default();
        for schedule in schedules {
            if calendar.covers(schedule.year) {
                return Err(CalendarError::DuplicateYear(schedule.year));
            }
            calendar = calendar.with_year(schedule);
        }
        Ok(calendar)
    }

    /// Adds a year, or replaces the schedule of a year already covered.
    pub fn with_year(mut self, schedule: YearSchedule) -> HolidayCalendar {
        let year = schedule.year;
        self.days.retain(|date, _| date.year() != year);
        for (i, h) in schedule.holidays.iter().enumerate() {
            let mut date = h.from;
            while date <= h.to {
                self.days.insert(date, Special::Holiday(i));
                match date.tomorrow() {
                    Ok(next) => date = next,
                    Err(_) => break,
                }
            }
        }
        for (i, w) in schedule.workdays.iter().enumerate() {
            self.days.insert(w.date, Special::Workday(i));
        }
        self.years.insert(year, schedule);
        self
    }

    /// The covered years, ascending.
    pub fn years(&self) -> impl Iterator<Item = i16> + '_ {
        self.years.keys().copied()
    }

    pub fn schedule(&self, year: i16) -> Option<&YearSchedule> {
        self.years.get(&year)
    }

    /// Whether the official schedule of `year` is loaded. When it is not,
    /// dates of that year are counted with weekends only, and callers should
    /// warn that holidays are not accounted for.
    pub fn covers(&self, year: i16) -> bool {
        self.years.contains_key(&year)
    }

    /// The kind of day `date` is.
    pub fn day_kind(&self, date: Date) -> DayKind<'_> {
        let schedule = self.years.get(&date.year());
        match self.days.get(&date) {
            Some(Special::Holiday(i)) => DayKind::Holiday(
                schedule
                    .and_then(|s| s.holidays.get(*i))
                    .map_or("", |h| h.name.as_str()),
            ),
            Some(Special::Workday(i)) => DayKind::AdjustedWorkday(
                schedule
                    .and_then(|s| s.workdays.get(*i))
                    .map_or("", |w| w.name.as_str()),
            ),
            None if is_weekend(date) => DayKind::Weekend,
            None => DayKind::Workday,
        }
    }

    /// Adjusted working days are working days even on a weekend; holidays
    /// are not; otherwise Monday to Friday.
    pub fn is_working_day(&self, date: Date) -> bool {
        match self.days.get(&date) {
            Some(Special::Holiday(_)) => false,
            Some(Special::Workday(_)) => true,
            None => !is_weekend(date),
        }
    }

    /// The holiday `date` falls in, if any.
    pub fn holiday(&self, date: Date) -> Option<&HolidaySpan> {
        match self.days.get(&date) {
            Some(Special::Holiday(i)) => self.years.get(&date.year())?.holidays.get(*i),
            _ => None,
        }
    }

    /// The Chinese name of the holiday `date` falls in, if any.
    pub fn holiday_name(&self, date: Date) -> Option<&str> {
        self.holiday(date).map(|h| h.name.as_str())
    }

    /// The first working day strictly after `date`; `None` at the end of time.
    pub fn next_working_day(&self, date: Date) -> Option<Date> {
        let mut d = date.tomorrow().ok()?;
        while !self.is_working_day(d) {
            d = d.tomorrow().ok()?;
        }
        Some(d)
    }

    /// The number of working days in `from..=to` (0 when `from > to`).
    pub fn working_days_between(&self, from: Date, to: Date) -> u64 {
        if from > to {
            return 0;
        }
        let mut count = weekdays_before(day_number(to) + 1) - weekdays_before(day_number(from));
        for (date, special) in self.days.range(from..=to) {
            match special {
                Special::Holiday(_) if !is_weekend(*date) => count -= 1,
                Special::Workday(_) if is_weekend(*date) => count += 1,
                _ => {}
            }
        }
        u64::try_from(count).unwrap_or(0)
    }

    /// The deadline of "within `n` working days" for something received at
    /// `start`: the end (00:00 +08:00 of the next calendar day, exclusive) of
    /// the `n`-th working day strictly after the local date of `start`. The
    /// day of receipt never counts, whatever the time; `n = 0` gives the end
    /// of the day of receipt. Saturates at [`Timestamp::MAX`].
    pub fn add_working_days(&self, start: Timestamp, n: u32) -> Timestamp {
        let mut date = local_date(start);
        for _ in 0..n {
            match self.next_working_day(date) {
                Some(next) => date = next,
                None => return Timestamp::MAX,
            }
        }
        end_of_day(date)
    }

    /// By how many working days `now` is past `deadline`.
    ///
    /// 0 when `now ≤ deadline` (the deadline is exclusive, so `now ==
    /// deadline` is already late by zero). Otherwise the number of working
    /// days that have *begun* (00:00 +08:00) at or after the deadline and at
    /// or before `now`, and at least 1. Equivalently: the working days `d`
    /// with `L < d ≤ local_date(now)`, where `L` is the local date of the
    /// last instant before the deadline (for an end-of-day deadline, the day
    /// it ends). Deadline end of Monday: Tuesday 10:00 → 1, Wednesday 10:00
    /// → 2. Deadline end of Friday: Saturday → 1 (minimum), Monday → 1,
    /// Tuesday → 2.
    pub fn working_days_overdue(&self, deadline: Timestamp, now: Timestamp) -> u32 {
        if now <= deadline {
            return 0;
        }
        let last = last_date_before(deadline);
        let count = match last.tomorrow() {
            Ok(first) => self.working_days_between(first, local_date(now)),
            Err(_) => 0,
        };
        u32::try_from(count).unwrap_or(u32::MAX).max(1)
    }

    /// Working days left before `deadline` ("剩余 N 个工作日").
    ///
    /// Not overdue (`now ≤ deadline`): the number of working days strictly
    /// after today (the local date of `now`) up to the day the deadline ends,
    /// i.e. the `n ≥ 0` with `add_working_days(now, n) == deadline` for a
    /// working-day deadline. Right after receipt of a 7-working-day appeal:
    /// 7; on the last day: 0 ("due today"). Overdue: minus
    /// [`working_days_overdue`](Self::working_days_overdue), so always ≤ −1.
    /// Hence: negative ⇔ overdue.
    pub fn working_days_left(&self, now: Timestamp, deadline: Timestamp) -> i64 {
        if now > deadline {
            return -i64::from(self.working_days_overdue(deadline, now));
        }
        let count = match local_date(now).tomorrow() {
            Ok(first) => self.working_days_between(first, last_date_before(deadline)),
            Err(_) => 0,
        };
        i64::try_from(count).unwrap_or(i64::MAX)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use jiff::civil::date;
    use proptest::prelude::*;

    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn cal() -> HolidayCalendar {
        HolidayCalendar::builtin()
    }

    fn days(from: Date, to: Date) -> Vec<Date> {
        let mut out = vec![];
        let mut d = from;
        while d <= to {
            out.push(d);
            d = d.tomorrow().unwrap();
        }
        out
    }

    const Y2025: &str = include_str!("../../data/holidays/2025.json");
    const Y2026: &str = include_str!("../../data/holidays/2026.json");

    #[test]
    fn builtin_covers_2025_and_2026() {
        let c = cal();
        assert_eq!(c.years().collect::<Vec<_>>(), vec![2025, 2026]);
        assert!(c.covers(2025) && c.covers(2026));
        assert!(!c.covers(2024) && !c.covers(2027));
        let s25 = HolidayCalendar::parse_year(Y2025).unwrap();
        let s26 = HolidayCalendar::parse_year(Y2026).unwrap();
        assert!(s25.source().contains("国办发明电〔2024〕12号"));
        assert!(s26.source().contains("国办发明电〔2025〕7号"));
        assert_eq!(c.schedule(2025), Some(&s25));
        assert_eq!(c.schedule(2026), Some(&s26));
    }

    /// (name, first, last) of every official holiday, and every adjusted
    /// working day, exactly as published.
    fn official() -> (Vec<(&'static str, Date, Date)>, Vec<Date>) {
        let holidays = vec![
            ("元旦", date(2025, 1, 1), date(2025, 1, 1)),
            ("春节", date(2025, 1, 28), date(2025, 2, 4)),
            ("清明节", date(2025, 4, 4), date(2025, 4, 6)),
            ("劳动节", date(2025, 5, 1), date(2025, 5, 5)),
            ("端午节", date(2025, 5, 31), date(2025, 6, 2)),
            ("国庆节、中秋节", date(2025, 10, 1), date(2025, 10, 8)),
            ("元旦", date(2026, 1, 1), date(2026, 1, 3)),
            ("春节", date(2026, 2, 15), date(2026, 2, 23)),
            ("清明节", date(2026, 4, 4), date(2026, 4, 6)),
            ("劳动节", date(2026, 5, 1), date(2026, 5, 5)),
            ("端午节", date(2026, 6, 19), date(2026, 6, 21)),
            ("中秋节", date(2026, 9, 25), date(2026, 9, 27)),
            ("国庆节", date(2026, 10, 1), date(2026, 10, 7)),
        ];
        let workdays = vec![
            date(2025, 1, 26),
            date(2025, 2, 8),
            date(2025, 4, 27),
            date(2025, 9, 28),
            date(2025, 10, 11),
            date(2026, 1, 4),
            date(2026, 2, 14),
            date(2026, 2, 28),
            date(2026, 5, 9),
            date(2026, 9, 20),
            date(2026, 10, 10),
        ];
        (holidays, workdays)
    }

    #[test]
    fn every_official_holiday_and_adjusted_workday() {
        let c = cal();
        let (holidays, workdays) = official();
        let lengths: Vec<usize> = holidays
            .iter()
            .map(|(_, f, t)| days(*f, *t).len())
            .collect();
        assert_eq!(lengths, vec![1, 8, 3, 5, 3, 8, 3, 9, 3, 5, 3, 3, 7]);
        for (name, from, to) in &holidays {
            for d in days(*from, *to) {
                assert!(!c.is_working_day(d), "{d} ({name}) must be a day off");
                assert_eq!(c.holiday_name(d), Some(*name), "{d}");
                assert_eq!(c.day_kind(d), DayKind::Holiday(name));
            }
            // The days around a holiday are not part of it.
            assert_eq!(c.holiday_name(from.yesterday().unwrap()), None);
            assert_eq!(c.holiday_name(to.tomorrow().unwrap()), None);
        }
        for d in &workdays {
            assert!(
                is_weekend(*d),
                "{d} is an adjusted working day on a weekend"
            );
            assert!(c.is_working_day(*d), "{d} must be a working day");
            assert_eq!(c.holiday_name(*d), None);
            assert!(matches!(c.day_kind(*d), DayKind::AdjustedWorkday(n) if n.ends_with("调休")));
        }
        // Weekdays named in the notices.
        assert_eq!(date(2025, 1, 26).weekday(), Weekday::Sunday);
        assert_eq!(date(2025, 2, 8).weekday(), Weekday::Saturday);
        assert_eq!(date(2025, 4, 27).weekday(), Weekday::Sunday);
        assert_eq!(date(2025, 9, 28).weekday(), Weekday::Sunday);
        assert_eq!(date(2025, 10, 11).weekday(), Weekday::Saturday);
        assert_eq!(date(2026, 1, 4).weekday(), Weekday::Sunday);
        assert_eq!(date(2026, 2, 14).weekday(), Weekday::Saturday);
        assert_eq!(date(2026, 2, 28).weekday(), Weekday::Saturday);
        assert_eq!(date(2026, 5, 9).weekday(), Weekday::Saturday);
        assert_eq!(date(2026, 9, 20).weekday(), Weekday::Sunday);
        assert_eq!(date(2026, 10, 10).weekday(), Weekday::Saturday);
        // Every other day of both years follows the weekend rule.
        for d in days(date(2025, 1, 1), date(2026, 12, 31)) {
            let special =
                holidays.iter().any(|(_, f, t)| (*f..=*t).contains(&d)) || workdays.contains(&d);
            if !special {
                assert_eq!(c.is_working_day(d), !is_weekend(d), "{d}");
                assert!(matches!(c.day_kind(d), DayKind::Workday | DayKind::Weekend));
            }
        }
        // Both years have 248 working days: 261 weekdays − 18 (2025) or 19
        // (2026) holidays on weekdays + 5 or 6 adjusted working days.
        let count = |y: i16| {
            days(date(y, 1, 1), date(y, 12, 31))
                .into_iter()
                .filter(|d| c.is_working_day(*d))
                .count() as u64
        };
        assert_eq!(
            count(2025),
            c.working_days_between(date(2025, 1, 1), date(2025, 12, 31))
        );
        assert_eq!(
            count(2026),
            c.working_days_between(date(2026, 1, 1), date(2026, 12, 31))
        );
        assert_eq!(count(2025), 248);
        assert_eq!(count(2026), 248);
    }

    #[test]
    fn holiday_details_and_english_names() {
        let c = cal();
        let h = c.holiday(date(2026, 2, 17)).unwrap();
        assert_eq!(h.name_en, "Spring Festival");
        assert_eq!((h.from, h.to), (date(2026, 2, 15), date(2026, 2, 23)));
        assert!(c.holiday(date(2026, 2, 14)).is_none());
        assert!(DayKind::Workday.is_working() && DayKind::AdjustedWorkday("x").is_working());
        assert!(!DayKind::Weekend.is_working() && !DayKind::Holiday("x").is_working());
    }

    #[test]
    fn default_is_weekends_only_and_uncovered_years_fall_back() {
        let c = HolidayCalendar::default();
        assert_eq!(c.years().count(), 0);
        assert!(c.is_working_day(date(2025, 10, 1))); // a Wednesday
        assert!(!c.is_working_day(date(2025, 9, 28))); // a Sunday
        assert_eq!(c.holiday_name(date(2025, 10, 1)), None);
        // The builtin calendar beyond its years: weekends only.
        let b = cal();
        assert!(!b.covers(2027));
        assert!(b.is_working_day(date(2027, 1, 1))); // Friday, not known as a holiday
        assert!(!b.is_working_day(date(2027, 1, 2)));
        assert_eq!(b.day_kind(date(2027, 1, 4)), DayKind::Workday);
        assert_eq!(b.day_kind(date(2027, 1, 3)), DayKind::Weekend);
    }

    #[test]
    fn with_year_adds_and_replaces() {
        let c = HolidayCalendar::default();
        let y = HolidayCalendar::parse_year(Y2026).unwrap();
        let c = c.with_year(y);
        assert!(c.covers(2026) && !c.covers(2025));
        assert!(!c.is_working_day(date(2026, 10, 5)));
        // An administrator publishes a corrected 2026: National Day only.
        let fixed = HolidayCalendar::parse_year(
            r#"{"year": 2026, "source": "corrected",
                "holidays": [{"name": "国庆节", "from": "2026-10-01", "to": "2026-10-03"}],
                "workdays": []}"#,
        )
        .unwrap();
        let c = c.with_year(fixed);
        assert_eq!(c.years().collect::<Vec<_>>(), vec![2026]);
        assert_eq!(c.schedule(2026).unwrap().source(), "corrected");
        assert!(c.is_working_day(date(2026, 10, 5))); // old holiday gone
        assert!(!c.is_working_day(date(2026, 10, 10))); // old adjusted day gone
        assert!(c.is_working_day(date(2026, 2, 17))); // old Spring Festival gone
        assert_eq!(c.holiday_name(date(2026, 10, 2)), Some("国庆节"));
        assert_eq!(c.holiday(date(2026, 10, 2)).unwrap().name_en, "");
    }

    #[test]
    fn from_years_refuses_a_duplicate_year() {
        let a = HolidayCalendar::parse_year(Y2025).unwrap();
        let b = HolidayCalendar::parse_year(Y2026).unwrap();
        let c = HolidayCalendar::from_years([a.clone(), b]).unwrap();
        assert_eq!(c, cal());
        let err = HolidayCalendar::from_years([a.clone(), a]).unwrap_err();
        assert_eq!(err, CalendarError::DuplicateYear(2025));
        assert_eq!(err.problem(), "duplicate_year");
    }

    #[test]
    fn schedules_serialise_back_to_the_file_format() {
        let s = HolidayCalendar::parse_year(Y2026).unwrap();
        let json = serde_json::to_string(&s).unwrap();
        assert!(json.contains(r#""from":"2026-02-15""#));
        assert_eq!(HolidayCalendar::parse_year(&json).unwrap(), s);
    }

    fn year_json(holidays: &str, workdays: &str) -> String {
        format!(
            r#"{{"year": 2026, "source": "test", "holidays": [{holidays}], "workdays": [{workdays}]}}"#
        )
    }

    fn parse_err(json: &str) -> CalendarError {
        HolidayCalendar::parse_year(json).unwrap_err()
    }

    #[test]
    fn parse_errors() {
        let h = |name: &str, from: &str, to: &str| {
            format!(r#"{{"name": "{name}", "name_en": "x", "from": "{from}", "to": "{to}"}}"#)
        };
        let w = |d: &str| format!(r#"{{"date": "{d}", "name": "调休"}}"#);
        let ok = year_json(&h("元旦", "2026-01-01", "2026-01-03"), &w("2026-01-04"));
        assert!(HolidayCalendar::parse_year(&ok).is_ok());

        let cases: Vec<(String, &str)> = vec![
            ("not json".into(), "malformed"),
            (r#"{"year": 2026, "source": "s"}"#.into(), "malformed"),
            (
                r#"{"year": 2026, "source": "s", "holidays": [], "extra": 1}"#.into(),
                "malformed",
            ),
            (
                r#"{"year": 1800, "source": "s", "holidays": []}"#.into(),
                "year_out_of_range",
            ),
            (
                r#"{"year": 70000, "source": "s", "holidays": []}"#.into(),
                "year_out_of_range",
            ),
            (
                r#"{"year": 2026, "source": " ", "holidays": []}"#.into(),
                "missing_source",
            ),
            (
                year_json(&h("", "2026-01-01", "2026-01-01"), ""),
                "empty_name",
            ),
            (
                year_json(
                    &h("元旦", "2026-01-01", "2026-01-01"),
                    r#"{"date": "2026-01-04", "name": ""}"#,
                ),
                "empty_name",
            ),
            (
                year_json(&h("元旦", "2026-02-30", "2026-03-01"), ""),
                "bad_date",
            ),
            (
                year_json(&h("元旦", "2026-1-1", "2026-01-01"), ""),
                "bad_date",
            ),
            (
                year_json(&h("元旦", "20260101", "2026-01-01"), ""),
                "bad_date",
            ),
            (
                year_json(&h("元旦", "2026-01-01T00:00", "2026-01-01"), ""),
                "bad_date",
            ),
            (year_json("", &w("04/01/2026")), "bad_date"),
            (
                year_json(&h("元旦", "2025-12-31", "2026-01-01"), ""),
                "outside_year",
            ),
            (
                year_json(&h("元旦", "2026-12-31", "2027-01-01"), ""),
                "outside_year",
            ),
            (year_json("", &w("2025-01-26")), "outside_year"),
            (
                year_json(&h("春节", "2026-02-23", "2026-02-15"), ""),
                "reversed_span",
            ),
            (
                year_json(&h("春节", "2026-02-01", "2026-03-31"), ""),
                "span_too_long",
            ),
            (
                year_json(
                    &format!(
                        "{},{}",
                        h("A", "2026-10-01", "2026-10-07"),
                        h("B", "2026-10-07", "2026-10-08")
                    ),
                    "",
                ),
                "overlapping_holidays",
            ),
            (
                year_json("", &format!("{},{}", w("2026-01-04"), w("2026-01-04"))),
                "duplicate_workday",
            ),
            (
                year_json(&h("春节", "2026-02-14", "2026-02-23"), &w("2026-02-14")),
                "holiday_and_workday",
            ),
            (year_json("", &w("2026-01-05")), "workday_not_weekend"),
        ];
        for (json, problem) in cases {
            let err = parse_err(&json);
            assert_eq!(err.problem(), problem, "{json}: {err}");
            assert!(!err.to_string().is_empty());
        }
        // The messages name the culprit.
        let err = parse_err(&year_json(&h("春节", "2026-02-30", "2026-03-01"), ""));
        assert_eq!(
            err.to_string(),
            r#"春节: bad date "2026-02-30" (expected YYYY-MM-DD)"#
        );
        let err = parse_err(&year_json("", &w("2026-01-05")));
        assert!(err.to_string().contains("2026-01-05"), "{err}");
        assert!(err.to_string().contains("Monday"), "{err}");
        let err = parse_err(&year_json(
            &h("春节", "2026-02-14", "2026-02-23"),
            &w("2026-02-14"),
        ));
        assert_eq!(
            err,
            CalendarError::HolidayAndWorkday {
                date: date(2026, 2, 14),
                holiday: "春节".into()
            }
        );
    }

    #[test]
    fn local_day_boundaries_are_fixed_plus_eight() {
        // 2025-12-31T16:00Z is 2026-01-01 00:00 in Beijing.
        assert_eq!(local_date(ts("2025-12-31T15:59:59Z")), date(2025, 12, 31));
        assert_eq!(local_date(ts("2025-12-31T16:00:00Z")), date(2026, 1, 1));
        assert_eq!(start_of_day(date(2026, 1, 1)), ts("2025-12-31T16:00:00Z"));
        assert_eq!(end_of_day(date(2026, 1, 1)), ts("2026-01-01T16:00:00Z"));
        // The same in July: no daylight saving time.
        assert_eq!(end_of_day(date(2026, 7, 1)), ts("2026-07-01T16:00:00Z"));
        assert_eq!(end_of_day(Date::MAX), Timestamp::MAX);
    }

    #[test]
    fn seven_working_days_across_the_2026_spring_festival() {
        let c = cal();
        // Thu 12 Feb 10:00. Working days after it: Fri 13 (1), Sat 14 调休 (2),
        // [15–23 春节], Tue 24 (3), Wed 25 (4), Thu 26 (5), Fri 27 (6),
        // Sat 28 调休 (7) → end of Sat 28 = Sun 1 March 00:00 +08.
        let start = ts("2026-02-12T10:00:00+08:00");
        let steps = [
            "2026-02-13",
            "2026-02-14",
            "2026-02-24",
            "2026-02-25",
            "2026-02-26",
            "2026-02-27",
            "2026-02-28",
        ];
        assert_eq!(
            c.add_working_days(start, 0),
            ts("2026-02-13T00:00:00+08:00")
        );
        for (i, day) in steps.iter().enumerate() {
            let n = u32::try_from(i + 1).unwrap();
            let expected = end_of_day(day.parse().unwrap());
            assert_eq!(c.add_working_days(start, n), expected, "n = {n}");
        }
        assert_eq!(
            c.add_working_days(start, 7),
            ts("2026-03-01T00:00:00+08:00")
        );
        assert_eq!(c.add_working_days(start, 7), ts("2026-02-28T16:00:00Z"));
        // A weekends-only calendar would have said Mon 23 Feb.
        let plain = HolidayCalendar::default();
        assert_eq!(
            plain.add_working_days(start, 7),
            ts("2026-02-24T00:00:00+08:00")
        );
        // The time of receipt does not matter, within the local day.
        for t in ["2026-02-12T00:00:00+08:00", "2026-02-12T23:59:59.999+08:00"] {
            assert_eq!(
                c.add_working_days(ts(t), 7),
                ts("2026-03-01T00:00:00+08:00")
            );
        }
        // But the local day is the Beijing one: 2026-02-12T17:00Z is Fri 13 01:00.
        assert_eq!(
            c.add_working_days(ts("2026-02-12T17:00:00Z"), 7),
            ts("2026-03-03T00:00:00+08:00")
        );
        // Received during the holiday: the first working day is Tue 24.
        assert_eq!(
            c.add_working_days(ts("2026-02-17T09:00:00+08:00"), 1),
            ts("2026-02-25T00:00:00+08:00")
        );
    }

    #[test]
    fn working_days_across_national_day_2025() {
        let c = cal();
        // Fri 26 Sep 15:00. Sat 27 off; Sun 28 调休 (1); Mon 29 (2); Tue 30 (3);
        // [1–8 Oct]; Thu 9 (4); Fri 10 (5); Sat 11 调休 (6); Sun 12 off; Mon 13 (7).
        let start = ts("2025-09-26T15:00:00+08:00");
        assert_eq!(
            c.add_working_days(start, 1),
            ts("2025-09-29T00:00:00+08:00")
        );
        assert_eq!(
            c.add_working_days(start, 3),
            ts("2025-10-01T00:00:00+08:00")
        );
        assert_eq!(
            c.add_working_days(start, 4),
            ts("2025-10-10T00:00:00+08:00")
        );
        assert_eq!(
            c.add_working_days(start, 6),
            ts("2025-10-12T00:00:00+08:00")
        );
        assert_eq!(
            c.add_working_days(start, 7),
            ts("2025-10-14T00:00:00+08:00")
        );
        // 15 working days (the complex class).
        // Tue 14 (8) … Fri 17 (11), Mon 20 (12) … Thu 23 (15).
        assert_eq!(
            c.add_working_days(start, 15),
            ts("2025-10-24T00:00:00+08:00")
        );
    }

    #[test]
    fn working_days_across_a_year_boundary_and_beyond_coverage() {
        let c = cal();
        // Wed 31 Dec 2025. Thu 1 – Sat 3 Jan 元旦; Sun 4 调休 (1); Mon 5 (2).
        let start = ts("2025-12-31T18:00:00+08:00");
        assert_eq!(
            c.add_working_days(start, 1),
            ts("2026-01-05T00:00:00+08:00")
        );
        assert_eq!(
            c.add_working_days(start, 2),
            ts("2026-01-06T00:00:00+08:00")
        );
        // Thu 31 Dec 2026 → 2027 is not covered: weekends only. Fri 1 Jan (1).
        let start = ts("2026-12-31T09:00:00+08:00");
        assert!(!c.covers(2027));
        assert_eq!(
            c.add_working_days(start, 1),
            ts("2027-01-02T00:00:00+08:00")
        );
        assert_eq!(
            c.add_working_days(start, 2),
            ts("2027-01-05T00:00:00+08:00")
        );
    }

    #[test]
    fn clock_hours_run_through_nights_and_holidays() {
        let start = ts("2026-02-16T23:30:00+08:00"); // in the Spring Festival
        assert_eq!(add_hours(start, 2), ts("2026-02-17T01:30:00+08:00"));
        assert_eq!(add_hours(start, 24), ts("2026-02-17T23:30:00+08:00"));
        assert_eq!(add_hours(start, 0), start);
        assert_eq!(add_minutes(start, 30), ts("2026-02-17T00:00:00+08:00"));
        assert_eq!(add_hours(Timestamp::MAX, 1), Timestamp::MAX);
        assert_eq!(add_minutes(Timestamp::MAX, 1), Timestamp::MAX);
    }

    #[test]
    fn saturates_at_the_end_of_time() {
        let c = HolidayCalendar::default();
        let late = start_of_day(date(9999, 12, 1));
        assert_eq!(c.add_working_days(late, 100), Timestamp::MAX);
        assert_eq!(c.add_working_days(Timestamp::MAX, 0), Timestamp::MAX);
        assert_eq!(c.next_working_day(Date::MAX), None);
        assert!(c.working_days_overdue(Timestamp::MIN, Timestamp::MAX) > 0);
    }

    #[test]
    fn overdue_counts_working_days_begun_since_the_deadline() {
        let c = cal();
        // Deadline: end of Monday 2026-03-02.
        let deadline = end_of_day(date(2026, 3, 2));
        let at = |s: &str| ts(&format!("{s}+08:00"));
        assert_eq!(
            c.working_days_overdue(deadline, at("2026-03-02T23:59:59")),
            0
        );
        assert_eq!(c.working_days_overdue(deadline, deadline), 0);
        assert_eq!(
            c.working_days_overdue(deadline, at("2026-03-03T00:00:01")),
            1
        );
        assert_eq!(
            c.working_days_overdue(deadline, at("2026-03-03T10:00:00")),
            1
        );
        assert_eq!(
            c.working_days_overdue(deadline, at("2026-03-04T10:00:00")),
            2
        );
        assert_eq!(
            c.working_days_overdue(deadline, at("2026-03-09T10:00:00")),
            5
        );
        // Deadline: end of Friday 2026-03-06.
        let deadline = end_of_day(date(2026, 3, 6));
        assert_eq!(
            c.working_days_overdue(deadline, at("2026-03-07T10:00:00")),
            1
        );
        assert_eq!(
            c.working_days_overdue(deadline, at("2026-03-08T23:00:00")),
            1
        );
        assert_eq!(
            c.working_days_overdue(deadline, at("2026-03-09T10:00:00")),
            1
        );
        assert_eq!(
            c.working_days_overdue(deadline, at("2026-03-10T10:00:00")),
            2
        );
        // Across the Spring Festival: end of Fri 13 Feb; Sat 14 is 调休 (1);
        // the holiday adds nothing; Tue 24 (2).
        let deadline = end_of_day(date(2026, 2, 13));
        assert_eq!(
            c.working_days_overdue(deadline, at("2026-02-14T09:00:00")),
            1
        );
        assert_eq!(
            c.working_days_overdue(deadline, at("2026-02-20T09:00:00")),
            1
        );
        assert_eq!(
            c.working_days_overdue(deadline, at("2026-02-24T09:00:00")),
            2
        );
        // A clock-hour deadline in the middle of Monday: the rest of Monday
        // does not count as a whole day; Tuesday is the first.
        let deadline = at("2026-03-02T15:00:00");
        assert_eq!(
            c.working_days_overdue(deadline, at("2026-03-02T16:00:00")),
            1
        );
        assert_eq!(
            c.working_days_overdue(deadline, at("2026-03-03T10:00:00")),
            1
        );
        assert_eq!(
            c.working_days_overdue(deadline, at("2026-03-04T10:00:00")),
            2
        );
    }

    #[test]
    fn working_days_left_counts_down_to_due_today_then_goes_negative() {
        let c = cal();
        let at = |s: &str| ts(&format!("{s}+08:00"));
        let received = at("2026-02-12T10:00:00");
        let deadline = c.add_working_days(received, 7); // end of Sat 28 Feb
        assert_eq!(c.working_days_left(received, deadline), 7);
        assert_eq!(c.working_days_left(at("2026-02-13T08:00:00"), deadline), 6);
        assert_eq!(c.working_days_left(at("2026-02-14T08:00:00"), deadline), 5);
        // During the holiday nothing is consumed.
        assert_eq!(c.working_days_left(at("2026-02-15T08:00:00"), deadline), 5);
        assert_eq!(c.working_days_left(at("2026-02-23T23:00:00"), deadline), 5);
        assert_eq!(c.working_days_left(at("2026-02-24T08:00:00"), deadline), 4);
        assert_eq!(c.working_days_left(at("2026-02-27T08:00:00"), deadline), 1);
        assert_eq!(c.working_days_left(at("2026-02-28T08:00:00"), deadline), 0);
        assert_eq!(c.working_days_left(deadline, deadline), 0);
        // Overdue from Sunday 1 March: Mon 2 is the first working day begun.
        assert_eq!(c.working_days_left(at("2026-03-01T00:00:01"), deadline), -1);
        assert_eq!(c.working_days_left(at("2026-03-02T10:00:00"), deadline), -1);
        assert_eq!(c.working_days_left(at("2026-03-03T10:00:00"), deadline), -2);
        // Clock-hour deadline later today.
        let d = at("2026-03-04T15:00:00");
        assert_eq!(c.working_days_left(at("2026-03-04T09:00:00"), d), 0);
        assert_eq!(c.working_days_left(at("2026-03-03T09:00:00"), d), 1);
    }

    fn naive_between(c: &HolidayCalendar, from: Date, to: Date) -> u64 {
        if from > to {
            return 0;
        }
        days(from, to)
            .into_iter()
            .filter(|d| c.is_working_day(*d))
            .count() as u64
    }

    fn instant() -> impl Strategy<Value = Timestamp> {
        // 2024-07-01 .. 2027-07-01, at any second.
        let lo = ts("2024-07-01T00:00:00+08:00").as_second();
        let hi = ts("2027-07-01T00:00:00+08:00").as_second();
        (lo..hi).prop_map(|s| Timestamp::from_second(s).unwrap())
    }

    proptest! {
        #[test]
        fn add_working_days_lands_at_midnight_after_exactly_n_working_days(
            start in instant(),
            n in 0u32..40,
        ) {
            let c = cal();
            let deadline = c.add_working_days(start, n);
            let local = CHINA_OFFSET.to_datetime(deadline);
            prop_assert_eq!(local.time(), Time::midnight());
            let received = local_date(start);
            let end = local.date();
            prop_assert!(end > received);
            // Exactly n working days strictly between receipt and deadline.
            let between = days(received.tomorrow().unwrap(), end.yesterday().unwrap())
                .into_iter()
                .filter(|d| c.is_working_day(*d))
                .count();
            prop_assert_eq!(between, n as usize);
            // And the last day before the deadline is one of them.
            if n > 0 {
                prop_assert!(c.is_working_day(end.yesterday().unwrap()));
            }
            // Monotonic in n.
            prop_assert!(c.add_working_days(start, n + 1) > deadline);
            // Consistent with the countdown.
            prop_assert_eq!(c.working_days_left(start, deadline), i64::from(n));
            prop_assert_eq!(c.working_days_overdue(deadline, start), 0);
        }

        #[test]
        fn fast_count_equals_the_naive_count(
            a in instant(),
            b in instant(),
        ) {
            let c = cal();
            let (a, b) = (local_date(a), local_date(b));
            prop_assert_eq!(c.working_days_between(a, b), naive_between(&c, a, b));
            let plain = HolidayCalendar::default();
            prop_assert_eq!(plain.working_days_between(a, b), naive_between(&plain, a, b));
        }

        #[test]
        fn overdue_is_monotonic_and_left_is_its_negation(
            deadline in instant(),
            now in instant(),
            later_secs in 0i64..(20 * 86_400),
        ) {
            let c = cal();
            let overdue = c.working_days_overdue(deadline, now);
            prop_assert_eq!(overdue == 0, now <= deadline);
            let later = Timestamp::from_second(now.as_second() + later_secs).unwrap();
            prop_assert!(c.working_days_overdue(deadline, later) >= overdue);
            let left = c.working_days_left(now, deadline);
            if overdue > 0 {
                prop_assert_eq!(left, -i64::from(overdue));
            } else {
                prop_assert!(left >= 0);
                prop_assert!(c.working_days_left(later, deadline) <= left);
            }
        }
    }

    #[test]
    fn day_numbers_match_jiff() {
        let epoch = date(1970, 1, 1);
        for d in [
            date(1970, 1, 1),
            date(1969, 12, 29),
            date(2000, 2, 29),
            date(2026, 2, 28),
            date(1900, 3, 1),
            date(2999, 12, 31),
            date(-44, 3, 15),
        ] {
            let expected = epoch.until(d).unwrap().get_days();
            assert_eq!(day_number(d), i64::from(expected), "{d}");
        }
        assert_eq!(
            weekdays_before(day_number(date(2026, 3, 2))) + 5,
            weekdays_before(day_number(date(2026, 3, 9)))
        );
    }
}
