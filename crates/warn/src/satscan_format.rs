//! SaTScan's input formats, read from text (the caller reads the files).
//!
//! - Coordinates file (`.geo`): `<location id> <latitude> <longitude>` per line.
//! - Case file (`.cas`): `<location id> <number of cases> <date> [<category>]` per line, the
//!   date as `YYYY/MM/DD` (SaTScan's form) or `YYYY-MM-DD`; an optional fourth column is read
//!   as the case's category (SaTScan's first covariate), so the scan can adjust for it.
//!
//! Fields are separated by tabs or spaces; blank lines are skipped. Errors name the file kind
//! and the 1-based line, as SaTScan does, so a user can fix the file.

use std::collections::HashMap;

use jiff::civil::Date;

use crate::study::{CaseCount, Location, Study, StudyError};

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FormatError {
    #[error("{file} line {line}: {problem}")]
    Line {
        file: &'static str,
        line: usize,
        problem: String,
    },
    #[error(transparent)]
    Study(#[from] StudyError),
}

fn line_error(file: &'static str, line: usize, problem: impl Into<String>) -> FormatError {
    FormatError::Line {
        file,
        line,
        problem: problem.into(),
    }
}

/// Reads a coordinates file with latitude/longitude coordinates.
pub fn parse_geo(text: &str) -> Result<Vec<Location>, FormatError> {
    let mut seen = HashMap::new();
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let fields: Vec<&str> = raw.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        let [id, lat, lon] = fields[..] else {
            return Err(line_error(
                "coordinates",
                line,
                format!(
                    "expected 3 fields (id, latitude, longitude), found {}",
                    fields.len()
                ),
            ));
        };
        let number = |s: &str, what: &str| {
            s.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    line_error("coordinates", line, format!("{what} {s:?} is not a number"))
                })
        };
        let (lat, lon) = (number(lat, "latitude")?, number(lon, "longitude")?);
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            return Err(line_error(
                "coordinates",
                line,
                "latitude or longitude out of range",
            ));
        }
        if let Some(first) = seen.insert(id.to_string(), line) {
            return Err(line_error(
                "coordinates",
                line,
                format!("location {id} already given on line {first}"),
            ));
        }
        out.push(Location {
            id: id.to_string(),
            lat,
            lon,
        });
    }
    Ok(out)
}

/// What reading a case file left out, for the user to see.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Skipped {
    /// Records dated outside the study period (SaTScan ignores them too).
    pub outside_period: usize,
}

/// Reads a case file against the coordinates and the study period into a [`Study`].
pub fn parse_study(
    geo: &str,
    cas: &str,
    start: Date,
    end: Date,
) -> Result<(Study, Skipped), FormatError> {
    let mut locations = parse_geo(geo)?;
    // SaTScan numbers locations in the order of their names; ties between equally good
    // clusters go to the lower number, so the same order gives the same answers.
    locations.sort_by(|a, b| a.id.cmp(&b.id));
    let index: HashMap<&str, u32> = locations
        .iter()
        .enumerate()
        .filter_map(|(i, l)| Some((l.id.as_str(), u32::try_from(i).ok()?)))
        .collect();
    let mut categories: Vec<String> = Vec::new();
    let mut category_index: HashMap<String, u32> = HashMap::new();
    let mut cases = Vec::new();
    let mut skipped = Skipped::default();
    // Either every record names a category or none does: a mix would silently lump the
    // unnamed ones into whichever category came first.
    let mut with_category: Option<bool> = None;
    for (i, raw) in cas.lines().enumerate() {
        let line = i + 1;
        let fields: Vec<&str> = raw.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        if fields.len() < 3 || fields.len() > 4 {
            return Err(line_error(
                "case",
                line,
                format!(
                    "expected 3 or 4 fields (id, cases, date[, category]), found {}",
                    fields.len()
                ),
            ));
        }
        let location = *index.get(fields[0]).ok_or_else(|| {
            line_error(
                "case",
                line,
                format!("location {} is not in the coordinates file", fields[0]),
            )
        })?;
        let count: u32 = fields[1].parse().map_err(|_| {
            line_error(
                "case",
                line,
                format!("number of cases {:?} is not a whole number ≥ 0", fields[1]),
            )
        })?;
        let date = parse_date(fields[2]).ok_or_else(|| {
            line_error(
                "case",
                line,
                format!("date {:?} is not YYYY/MM/DD", fields[2]),
            )
        })?;
        let named = fields.len() == 4;
        if *with_category.get_or_insert(named) != named {
            return Err(line_error(
                "case",
                line,
                "some records have a category column and some do not",
            ));
        }
        let category = match fields.get(3) {
            None => 0,
            Some(name) => match category_index.get(*name) {
                Some(&c) => c,
                None => {
                    let c = u32::try_from(categories.len())
                        .map_err(|_| line_error("case", line, "too many categories"))?;
                    categories.push((*name).to_string());
                    category_index.insert((*name).to_string(), c);
                    c
                }
            },
        };
        if date < start || date > end {
            skipped.outside_period += 1;
            continue;
        }
        let day = date
            .since(start)
            .ok()
            .and_then(|s| u32::try_from(s.get_days()).ok())
            .ok_or_else(|| line_error("case", line, "date arithmetic failed"))?;
        cases.push(CaseCount {
            location,
            day,
            count,
            category,
        });
    }
    let study = Study::new(locations, start, end, categories, cases)?;
    Ok((study, skipped))
}

/// `YYYY/MM/DD` or `YYYY-MM-DD`, with or without leading zeros (SaTScan writes `2001/11/3`).
pub fn parse_date(s: &str) -> Option<Date> {
    let mut parts = s.split(['/', '-']);
    let y: i16 = parts.next()?.parse().ok()?;
    let m: i8 = parts.next()?.parse().ok()?;
    let d: i8 = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    Date::new(y, m, d).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use jiff::civil::date;

    const GEO: &str = "a\t40.0\t-73.0\nb 40.01 -73.01\n\n";

    #[test]
    fn reads_both_files_and_skips_out_of_period_records() {
        let cas = "a\t2\t2001/11/3\nb 1 2001-11-24\nb 1 2001/12/01\n";
        let (study, skipped) =
            parse_study(GEO, cas, date(2001, 11, 1), date(2001, 11, 24)).unwrap();
        assert_eq!(study.locations.len(), 2);
        assert_eq!(study.total_cases(), 3);
        assert_eq!(study.cases[0].day, 2);
        assert_eq!(study.cases[1].day, 23);
        assert_eq!(skipped.outside_period, 1);
    }

    #[test]
    fn categories_become_strata() {
        let cas = "a 1 2001/11/3 water\nb 1 2001/11/4 noise\na 1 2001/11/5 water\n";
        let (study, _) = parse_study(GEO, cas, date(2001, 11, 1), date(2001, 11, 24)).unwrap();
        assert_eq!(
            study.categories,
            vec!["water".to_string(), "noise".to_string()]
        );
        assert_eq!(study.cases[2].category, 0);
        let mixed = "a 1 2001/11/3 water\nb 1 2001/11/4\n";
        let err = parse_study(GEO, mixed, date(2001, 11, 1), date(2001, 11, 24)).unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let cases = [
            ("a 1 2001/11/3\nz 1 2001/11/3\n", "case line 2: location z"),
            ("a x 2001/11/3\n", "case line 1: number of cases"),
            ("a -1 2001/11/3\n", "case line 1: number of cases"),
            ("a 1 2001/13/3\n", "case line 1: date"),
            ("a 1\n", "case line 1: expected 3 or 4 fields"),
        ];
        for (cas, want) in cases {
            let err = parse_study(GEO, cas, date(2001, 11, 1), date(2001, 11, 24)).unwrap_err();
            assert!(err.to_string().starts_with(want), "{err} / {want}");
        }
        let geo_errors = [
            ("a 40\n", "coordinates line 1: expected 3 fields"),
            ("a 40 x\n", "coordinates line 1: longitude"),
            (
                "a 95 10\n",
                "coordinates line 1: latitude or longitude out of range",
            ),
            (
                "a 40 10\na 41 10\n",
                "coordinates line 2: location a already given on line 1",
            ),
        ];
        for (geo, want) in geo_errors {
            let err = parse_geo(geo).unwrap_err();
            assert!(err.to_string().starts_with(want), "{err} / {want}");
        }
    }

    #[test]
    fn dates_in_both_spellings() {
        assert_eq!(parse_date("2001/11/3"), Some(date(2001, 11, 3)));
        assert_eq!(parse_date("2001-11-03"), Some(date(2001, 11, 3)));
        assert_eq!(parse_date("2001/02/30"), None);
        assert_eq!(parse_date("2001/11/3/1"), None);
        assert_eq!(parse_date("yesterday"), None);
    }
}
