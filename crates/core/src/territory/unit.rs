use geo::{MultiPolygon, Point};

use super::Level;

/// One unit of the territory. Units are never deleted, only retired, so that
/// history (cases, audit events) can keep pointing at them.
#[derive(Clone, Debug, PartialEq)]
pub struct Unit {
    /// Stable code, e.g. the official division code `230602`.
    pub code: String,
    /// Chinese name (the primary name).
    pub name: String,
    pub name_en: String,
    pub level: Level,
    /// Code of the parent unit; `None` only for a root (the city).
    pub parent: Option<String>,
    /// WGS84 lon/lat boundary; a root may have none.
    pub boundary: Option<MultiPolygon<f64>>,
    /// A point inside the unit for labels and coarse public locations.
    pub label: Option<Point<f64>>,
    /// Households covered (grids carry this; dashboards use it as a rate base).
    pub households: Option<u32>,
    pub retired: bool,
}

/// Codes are short and URL-safe: ASCII letters, digits, `-` and `_`, 1..=32.
pub fn validate_code(code: &str) -> Result<(), &'static str> {
    if code.is_empty() || code.len() > 32 {
        return Err("code must be 1 to 32 characters");
    }
    if !code
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err("code may contain only ASCII letters, digits, '-' and '_'");
    }
    Ok(())
}

/// A unit with names derived from its code and no geometry, for tests.
#[cfg(test)]
pub(crate) fn test_unit(code: &str, level: Level, parent: Option<&str>) -> Unit {
    Unit {
        code: code.into(),
        name: format!("单位{code}"),
        name_en: format!("Unit {code}"),
        level,
        parent: parent.map(Into::into),
        boundary: None,
        label: None,
        households: None,
        retired: false,
    }
}

#[cfg(test)]
mod tests {
    use super::validate_code;

    #[test]
    fn codes() {
        assert!(validate_code("230602").is_ok());
        assert!(validate_code("230602-001_a").is_ok());
        assert!(validate_code("").is_err());
        assert!(validate_code("萨尔图").is_err());
        assert!(validate_code("a/b").is_err());
        assert!(validate_code(&"9".repeat(33)).is_err());
    }
}
