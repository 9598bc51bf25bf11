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
}

impl Default for WarnRules {
    fn default() -> Self {
        Self {
            min_recurrence_days: 365.0,
            max_radius_km: 2.0,
            max_days: 7,
            study_days: 365,
            replicas: 999,
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
            (r#"{"radius": 1}"#, "rules"),
            ("not json", "rules"),
        ];
        for (text, field) in cases {
            let err = WarnRules::parse(text).unwrap_err();
            assert!(err.to_string().starts_with(field), "{text}: {err}");
        }
    }
}
