//! The input of a scan: locations, a study period of days, and case counts per location, day
//! and category.

use jiff::civil::Date;

use crate::sphere::Point3;

/// A place cases are counted at: a grid's label point, a zip code's centroid, …
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub id: String,
    pub lat: f64,
    pub lon: f64,
}

impl Location {
    pub fn point(&self) -> Point3 {
        Point3::from_lat_lon(self.lat, self.lon)
    }
}

/// Cases at one location on one day in one category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseCount {
    /// Index into [`Study::locations`].
    pub location: u32,
    /// Day index from the study start (0) to the analysis day (`days - 1`).
    pub day: u32,
    pub count: u32,
    /// Index into [`Study::categories`]; 0 when the study has no categories.
    pub category: u32,
}

/// A checked study: every case refers to a known location, day and category.
#[derive(Debug, Clone)]
pub struct Study {
    pub locations: Vec<Location>,
    pub start: Date,
    /// The analysis day: every window ends on it.
    pub end: Date,
    /// Category names; one unnamed category when the data has none.
    pub categories: Vec<String>,
    pub cases: Vec<CaseCount>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum StudyError {
    #[error("the study period ends ({end}) before it starts ({start})")]
    PeriodReversed { start: Date, end: Date },
    #[error("case {index} refers to location {location}, which is not in the coordinates")]
    UnknownLocation { index: usize, location: u32 },
    #[error("case {index} is on day {day}, outside the study period of {days} days")]
    DayOutsidePeriod { index: usize, day: u32, days: u32 },
    #[error("case {index} refers to category {category}, which is not defined")]
    UnknownCategory { index: usize, category: u32 },
    #[error("a location has a latitude or longitude that is not a number in range: {id}")]
    BadCoordinate { id: String },
    #[error("the study has no cases")]
    NoCases,
    #[error("too many locations ({0}); at most {max}", max = u32::MAX)]
    TooManyLocations(usize),
}

impl Study {
    /// Checks and builds a study. Cases with a zero count are dropped.
    pub fn new(
        locations: Vec<Location>,
        start: Date,
        end: Date,
        categories: Vec<String>,
        cases: Vec<CaseCount>,
    ) -> Result<Self, StudyError> {
        if end < start {
            return Err(StudyError::PeriodReversed { start, end });
        }
        if u32::try_from(locations.len()).is_err() {
            return Err(StudyError::TooManyLocations(locations.len()));
        }
        for l in &locations {
            let ok = l.lat.is_finite()
                && l.lon.is_finite()
                && (-90.0..=90.0).contains(&l.lat)
                && (-180.0..=180.0).contains(&l.lon);
            if !ok {
                return Err(StudyError::BadCoordinate { id: l.id.clone() });
            }
        }
        let categories = if categories.is_empty() {
            vec![String::new()]
        } else {
            categories
        };
        let days = days_between(start, end) + 1;
        for (index, c) in cases.iter().enumerate() {
            if c.location as usize >= locations.len() {
                return Err(StudyError::UnknownLocation {
                    index,
                    location: c.location,
                });
            }
            if c.day >= days {
                return Err(StudyError::DayOutsidePeriod {
                    index,
                    day: c.day,
                    days,
                });
            }
            if c.category as usize >= categories.len() {
                return Err(StudyError::UnknownCategory {
                    index,
                    category: c.category,
                });
            }
        }
        let cases: Vec<CaseCount> = cases.into_iter().filter(|c| c.count > 0).collect();
        if cases.is_empty() {
            return Err(StudyError::NoCases);
        }
        Ok(Self {
            locations,
            start,
            end,
            categories,
            cases,
        })
    }

    /// Days in the study period, both ends included.
    pub fn days(&self) -> u32 {
        days_between(self.start, self.end) + 1
    }

    /// The date of a day index.
    pub fn date(&self, day: u32) -> Date {
        self.start
            .checked_add(jiff::Span::new().days(i64::from(day)))
            .unwrap_or(self.end)
    }

    /// The day index of a date, if it falls in the study period.
    pub fn day_of(&self, date: Date) -> Option<u32> {
        if date < self.start || date > self.end {
            return None;
        }
        Some(days_between(self.start, date))
    }

    pub fn total_cases(&self) -> u64 {
        self.cases.iter().map(|c| u64::from(c.count)).sum()
    }
}

/// Whole days from `a` to `b` (b ≥ a); civil dates in days never fail to subtract.
fn days_between(a: Date, b: Date) -> u32 {
    let days = a.until(b).map(|span| span.get_days()).unwrap_or(0).max(0);
    u32::try_from(days).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use jiff::civil::date;

    fn loc(id: &str) -> Location {
        Location {
            id: id.into(),
            lat: 40.0,
            lon: -73.0,
        }
    }

    #[test]
    fn day_arithmetic_crosses_months_and_leap_years() {
        assert_eq!(days_between(date(2001, 11, 1), date(2001, 11, 24)), 23);
        assert_eq!(days_between(date(2024, 2, 28), date(2024, 3, 1)), 2);
        assert_eq!(days_between(date(2025, 12, 31), date(2026, 1, 1)), 1);
        assert_eq!(days_between(date(2025, 1, 1), date(2026, 1, 1)), 365);
    }

    #[test]
    fn dates_and_day_indexes_round_trip() {
        let s = Study::new(
            vec![loc("a")],
            date(2001, 11, 1),
            date(2001, 11, 24),
            vec![],
            vec![CaseCount {
                location: 0,
                day: 23,
                count: 1,
                category: 0,
            }],
        )
        .unwrap();
        assert_eq!(s.days(), 24);
        assert_eq!(s.date(23), date(2001, 11, 24));
        assert_eq!(s.day_of(date(2001, 11, 24)), Some(23));
        assert_eq!(s.day_of(date(2001, 11, 25)), None);
        assert_eq!(s.categories.len(), 1);
    }

    #[test]
    fn bad_input_is_refused_with_the_reason() {
        let case = |location, day, category| CaseCount {
            location,
            day,
            count: 1,
            category,
        };
        let build = |cases| {
            Study::new(
                vec![loc("a")],
                date(2001, 11, 1),
                date(2001, 11, 2),
                vec![],
                cases,
            )
        };
        assert!(matches!(
            build(vec![case(1, 0, 0)]),
            Err(StudyError::UnknownLocation { .. })
        ));
        assert!(matches!(
            build(vec![case(0, 2, 0)]),
            Err(StudyError::DayOutsidePeriod { .. })
        ));
        assert!(matches!(
            build(vec![case(0, 0, 1)]),
            Err(StudyError::UnknownCategory { .. })
        ));
        assert!(matches!(build(vec![]), Err(StudyError::NoCases)));
        let reversed = Study::new(
            vec![loc("a")],
            date(2001, 11, 2),
            date(2001, 11, 1),
            vec![],
            vec![],
        );
        assert!(matches!(reversed, Err(StudyError::PeriodReversed { .. })));
        let mut bad = loc("x");
        bad.lat = 91.0;
        let r = Study::new(
            vec![bad],
            date(2001, 11, 1),
            date(2001, 11, 2),
            vec![],
            vec![case(0, 0, 0)],
        );
        assert!(matches!(r, Err(StudyError::BadCoordinate { .. })));
    }
}
