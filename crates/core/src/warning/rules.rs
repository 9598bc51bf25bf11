//! The thresholds and scan settings admins set, stored as one JSON setting.

use serde::{Deserialize, Serialize};

/// How the daily scan runs and when a cluster becomes an alert.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WarnRules {
    /// A cluster becomes an alert when its recurrence interval is at least this many days,
    /// i.e. when chance alone would produce one this strong less than once in N daily runs.
    /// 365 means about one false alert a year per category scanned.
    pub min_recurrence_days: f64,
    /// Largest circle, km.
    pub max_radius_km: f64,
    /// Longest window, days.
    pub max_days: u32,
    /// Days of history the expectation is learned from (the study period).
    pub study_days: u32,
    /// Monte Carlo replications; the recurrence interval cannot exceed replications + 1.
    pub replicas: u32,
    /// The per-series methods that run each day, each with its city-wide target of false
    /// alerts a year (the threshold is calibrated on the study period's history every run).
    pub baselines: Vec<BaselineRule>,
    /// The unit whose daily series (× category group) the baselines watch.
    pub baseline_level: SeriesLevel,
    /// An open appeal with at least this many requesters (merged duplicates) is a collective
    /// matter.
    pub collective_min_requesters: u32,
    /// At least this many appeals on one object (address or building) and category group ...
    pub collective_min_appeals: u32,
    /// ... within this many days is a collective matter.
    pub collective_days: u32,
    /// The same problem back at least this many times after it was closed as handled
    /// (reported again, or reopened) is a repeated unresolved matter ...
    pub repeat_min_returns: u32,
    /// ... counting returns within this many days of the closure before them.
    pub repeat_days: u32,
}

/// One per-series method in the daily run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineRule {
    /// `c1`, `c2`, `c3`, `poisson_cusum` or `ewma`.
    pub method: String,
    /// City-wide, across every unit and category group.
    pub false_alerts_per_year: f64,
}

/// The baseline methods the platform knows, by the names their rules use.
pub const BASELINE_METHODS: [&str; 5] = ["c1", "c2", "c3", "poisson_cusum", "ewma"];

/// Levels a baseline series can be kept at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeriesLevel {
    Grid,
    Community,
    Street,
}

impl Default for WarnRules {
    fn default() -> Self {
        Self {
            min_recurrence_days: 365.0,
            max_radius_km: 2.0,
            max_days: 7,
            study_days: 365,
            replicas: 999,
            baselines: vec![
                BaselineRule {
                    method: "poisson_cusum".into(),
                    false_alerts_per_year: 12.0,
                },
                BaselineRule {
                    method: "c2".into(),
                    false_alerts_per_year: 12.0,
                },
            ],
            // Grids are too sparse for a daily series (most days are zero); communities have
            // a few appeals a day and one office that can act.
            baseline_level: SeriesLevel::Community,
            collective_min_requesters: 5,
            collective_min_appeals: 5,
            collective_days: 7,
            repeat_min_returns: 2,
            repeat_days: 90,
        }
    }
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RulesError {
    #[error("{field}: {expected}")]
    Field {
        field: &'static str,
        expected: &'static str,
    },
}

impl WarnRules {
    /// The false alerts a year these rules allow for one daily scan.
    pub fn false_alerts_per_year(&self) -> f64 {
        365.0 / self.min_recurrence_days
    }

    pub fn validate(&self) -> Result<(), RulesError> {
        let field = |field, expected| Err(RulesError::Field { field, expected });
        if !(self.min_recurrence_days.is_finite()
            && (1.0..=100_000.0).contains(&self.min_recurrence_days))
        {
            return field("min_recurrence_days", "a number of days from 1 to 100000");
        }
        if f64::from(self.replicas) + 1.0 < self.min_recurrence_days {
            return field(
                "replicas",
                "at least min_recurrence_days − 1 (a p-value cannot be smaller than 1/(replicas + 1))",
            );
        }
        if !(self.max_radius_km.is_finite() && (0.0..=50.0).contains(&self.max_radius_km)) {
            return field("max_radius_km", "0 to 50 km");
        }
        if !(1..=30).contains(&self.max_days) {
            return field("max_days", "1 to 30 days");
        }
        if !(28..=730).contains(&self.study_days) {
            return field("study_days", "28 to 730 days");
        }
        if self.max_days * 2 > self.study_days {
            return field("max_days", "at most half of study_days");
        }
        if !(99..=9_999).contains(&self.replicas) {
            return field("replicas", "99 to 9999");
        }
        if self.baselines.len() > BASELINE_METHODS.len() {
            return field("baselines", "each method at most once");
        }
        for (i, b) in self.baselines.iter().enumerate() {
            if !BASELINE_METHODS.contains(&b.method.as_str())
                || self.baselines[..i].iter().any(|o| o.method == b.method)
            {
                return field(
                    "baselines.method",
                    "one of c1, c2, c3, poisson_cusum, ewma, each at most once",
                );
            }
            if !(b.false_alerts_per_year.is_finite()
                && (0.1..=365.0).contains(&b.false_alerts_per_year))
            {
                return field("baselines.false_alerts_per_year", "0.1 to 365 a year");
            }
        }
        if !(2..=10_000).contains(&self.collective_min_requesters) {
            return field("collective_min_requesters", "2 to 10000");
        }
        if !(2..=10_000).contains(&self.collective_min_appeals) {
            return field("collective_min_appeals", "2 to 10000");
        }
        if !(1..=90).contains(&self.collective_days) {
            return field("collective_days", "1 to 90 days");
        }
        if !(1..=100).contains(&self.repeat_min_returns) {
            return field("repeat_min_returns", "1 to 100");
        }
        if !(1..=365).contains(&self.repeat_days) {
            return field("repeat_days", "1 to 365 days");
        }
        Ok(())
    }

    /// Parses and checks a stored or submitted JSON text.
    pub fn parse(text: &str) -> Result<WarnRules, RulesError> {
        let rules: WarnRules = serde_json::from_str(text).map_err(|_| RulesError::Field {
            field: "rules",
            expected: "a JSON object with known fields only",
        })?;
        rules.validate()?;
        Ok(rules)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn defaults_are_valid_and_mean_one_false_alert_a_year() {
        let r = WarnRules::default();
        r.validate().unwrap();
        assert!((r.false_alerts_per_year() - 1.0).abs() < 1e-12);
        assert_eq!(WarnRules::parse("{}").unwrap(), r);
        // Rules saved before the baselines existed still parse, with today's defaults.
        let old = r#"{"min_recurrence_days": 100, "max_radius_km": 1.5, "max_days": 7, "study_days": 365, "replicas": 999}"#;
        let parsed = WarnRules::parse(old).unwrap();
        assert_eq!(parsed.baselines, r.baselines);
        assert_eq!(parsed.min_recurrence_days, 100.0);
        let none = WarnRules::parse(r#"{"baselines": []}"#).unwrap();
        assert!(none.baselines.is_empty());
    }

    #[test]
    fn bad_rules_name_the_field() {
        let cases = [
            (r#"{"min_recurrence_days": 0}"#, "min_recurrence_days"),
            (r#"{"min_recurrence_days": 5000}"#, "replicas"),
            (r#"{"max_radius_km": -1}"#, "max_radius_km"),
            (r#"{"max_days": 0}"#, "max_days"),
            (r#"{"study_days": 10}"#, "study_days"),
            (r#"{"max_days": 30, "study_days": 40}"#, "max_days"),
            (r#"{"replicas": 10}"#, "replicas"),
            (
                r#"{"baselines": [{"method": "c4", "false_alerts_per_year": 1}]}"#,
                "baselines.method",
            ),
            (
                r#"{"baselines": [{"method": "c1", "false_alerts_per_year": 1}, {"method": "c1", "false_alerts_per_year": 2}]}"#,
                "baselines.method",
            ),
            (
                r#"{"baselines": [{"method": "ewma", "false_alerts_per_year": 0}]}"#,
                "baselines.false_alerts_per_year",
            ),
            (r#"{"baselines": [{"method": "ewma"}]}"#, "rules"),
            (r#"{"baseline_level": "district"}"#, "rules"),
            (
                r#"{"collective_min_requesters": 1}"#,
                "collective_min_requesters",
            ),
            (r#"{"collective_min_appeals": 1}"#, "collective_min_appeals"),
            (r#"{"collective_days": 0}"#, "collective_days"),
            (r#"{"repeat_min_returns": 0}"#, "repeat_min_returns"),
            (r#"{"repeat_days": 400}"#, "repeat_days"),
            (r#"{"radius": 1}"#, "rules"),
            ("not json", "rules"),
        ];
        for (text, field) in cases {
            let err = WarnRules::parse(text).unwrap_err();
            assert!(err.to_string().starts_with(field), "{text}: {err}");
        }
    }
}
