//! GeoJSON import of units, all or nothing.
//!
//! [`parse`] turns a GeoJSON `FeatureCollection` into units (one per feature)
//! and rejects the whole file at the first bad feature; [`check`] then checks
//! the units against the existing territory and returns the merged territory.
//! Every error names the feature (0-based index) and, when known, its code.
//!
//! Geometry rules:
//! - Polygon or MultiPolygon only (a `null` geometry gives a unit without a
//!   boundary); stored as a MultiPolygon.
//! - Positions must be WGS84 `[lon, lat]`: a position that is out of range
//!   but would be valid with its two numbers swapped is reported as
//!   `swapped_coordinates`, any other as `out_of_range`.
//! - Rings must be closed with at least 4 positions of finite numbers.
//! - Consecutive repeated points and zero-width spikes (A→B→A along one
//!   line), as left by simplifying real boundaries, are removed silently.
//! - Rings that cross themselves or each other (or parts that overlap) are
//!   rejected as `self_intersecting`. Rings that only touch at a vertex
//!   (pinches, inverted holes) are normalised into an equivalent valid
//!   geometry, provided this does not change the area.
//! - Winding order is normalised (exterior counter-clockwise, RFC 7946), not
//!   rejected.

use std::collections::{BTreeMap, HashMap};

use geo::algorithm::line_intersection::{LineIntersection, line_intersection};
use geo::orient::Direction;
use geo::{
    Area, BooleanOps, Contains, Coord, InteriorPoint, Line, LineString, MultiPolygon, Orient,
    Point, Polygon, Validation,
};
use geojson::{GeometryValue, feature::Id};
use serde_json::Value;

use super::{Level, Territory, Unit, validate_code};

/// Which feature property feeds which unit field. `@id` means the feature's
/// own `id` member. `fixed` gives a value for every feature (e.g. `level`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldMap {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub level: String,
    pub parent_code: String,
    pub label: String,
    pub households: String,
    pub fixed: BTreeMap<String, String>,
}

impl Default for FieldMap {
    fn default() -> Self {
        FieldMap {
            code: "code".into(),
            name: "name".into(),
            name_en: "name_en".into(),
            level: "level".into(),
            parent_code: "parent_code".into(),
            label: "label".into(),
            households: "households".into(),
            fixed: BTreeMap::new(),
        }
    }
}

/// The keys `FieldMap::fixed` accepts.
pub const FIXED_KEYS: [&str; 6] = [
    "code",
    "name",
    "name_en",
    "level",
    "parent_code",
    "households",
];

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct ImportError {
    /// 0-based index of the offending feature, when one is to blame.
    pub feature: Option<usize>,
    pub code: Option<String>,
    /// Stable key of the problem, e.g. `unknown_parent`.
    pub problem: &'static str,
    /// English detail.
    pub detail: String,
}

impl ImportError {
    fn describe(&self) -> String {
        let mut s = String::new();
        if let Some(i) = self.feature {
            s.push_str(&format!("feature #{i}"));
            if let Some(code) = &self.code {
                s.push_str(&format!(" (code {code})"));
            }
            s.push_str(": ");
        }
        s.push_str(&self.detail);
        s
    }
}

/// The problem keys an [`ImportError`] may carry.
pub mod problem {
    /// Not JSON, not a FeatureCollection, or a feature that is not a Feature.
    pub const MALFORMED: &str = "malformed";
    /// `FieldMap::fixed` names a field that does not exist.
    pub const UNKNOWN_FIELD: &str = "unknown_field";
    /// A required field (code, name, level) is absent or empty.
    pub const MISSING_FIELD: &str = "missing_field";
    /// A field has the wrong type or an unusable value (label, households).
    pub const BAD_VALUE: &str = "bad_value";
    pub const INVALID_CODE: &str = "invalid_code";
    pub const BAD_LEVEL: &str = "bad_level";
    pub const DUPLICATE_CODE: &str = "duplicate_code";
    pub const BAD_GEOMETRY_TYPE: &str = "bad_geometry_type";
    pub const SWAPPED_COORDINATES: &str = "swapped_coordinates";
    pub const OUT_OF_RANGE: &str = "out_of_range";
    pub const INVALID_POLYGON: &str = "invalid_polygon";
    pub const SELF_INTERSECTING: &str = "self_intersecting";
    pub const UNKNOWN_PARENT: &str = "unknown_parent";
    pub const LEVEL_NOT_BELOW_PARENT: &str = "level_not_below_parent";
    pub const NOT_WITHIN_PARENT: &str = "not_within_parent";
    /// Should not happen after the other checks; kept for safety.
    pub const INVALID_HIERARCHY: &str = "invalid_hierarchy";
}

/// Parses a GeoJSON FeatureCollection into units, one per feature, in order.
///
/// Field sources follow `map` (`"@id"` = the feature's `id`); `map.fixed`
/// values override properties. Required: code, name, level. Optional:
/// `parent_code` (absent, null or empty = a root), `name_en` (falls back to
/// the code), `label` (`[lon, lat]`; falls back to an interior point of the
/// boundary), `households` (a non-negative integer or a string holding one).
pub fn parse(text: &str, map: &FieldMap) -> Result<Vec<Unit>, ImportError> {
    for key in map.fixed.keys() {
        if !FIXED_KEYS.contains(&key.as_str()) {
            return Err(err(
                None,
                None,
                problem::UNKNOWN_FIELD,
                format!(
                    "fixed value for unknown field {key:?} (known: {})",
                    FIXED_KEYS.join(", ")
                ),
            ));
        }
    }
    let root: Value = serde_json::from_str(text).map_err(|e| {
        err(
            None,
            None,
            problem::MALFORMED,
            format!("not valid JSON: {e}"),
        )
    })?;
    if root.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(err(
            None,
            None,
            problem::MALFORMED,
            "the document is not a GeoJSON FeatureCollection".into(),
        ));
    }
    let Some(features) = root.get("features").and_then(Value::as_array) else {
        return Err(err(
            None,
            None,
            problem::MALFORMED,
            "the FeatureCollection has no \"features\" array".into(),
        ));
    };
    let mut units = Vec::with_capacity(features.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, value) in features.iter().enumerate() {
        let unit = parse_feature(i, value, map)?;
        if let Some(first) = seen.insert(unit.code.clone(), i) {
            return Err(err(
                Some(i),
                Some(unit.code),
                problem::DUPLICATE_CODE,
                format!("code already used by feature #{first} of this file"),
            ));
        }
        units.push(unit);
    }
    Ok(units)
}

/// Checks `incoming` against `existing` and returns the merged territory, or
/// the first error naming the feature (its position in `incoming`).
///
/// Checks, per unit in order: the code is new (`duplicate_code`), the parent
/// exists in `existing` or `incoming` (`unknown_parent`), the level is below
/// the parent's (`level_not_below_parent`) and, when the parent has a
/// boundary, both the unit's label and an interior point of its own boundary
/// lie inside the parent's boundary (`not_within_parent`).
pub fn check(existing: &Territory, incoming: Vec<Unit>) -> Result<Territory, ImportError> {
    let mut by_code: HashMap<&str, usize> = HashMap::with_capacity(incoming.len());
    for (i, unit) in incoming.iter().enumerate() {
        let fail = |problem, detail| Err(err(Some(i), Some(unit.code.clone()), problem, detail));
        if let Err(e) = validate_code(&unit.code) {
            return fail(problem::INVALID_CODE, e.to_string());
        }
        if existing.get(&unit.code).is_some() {
            return fail(
                problem::DUPLICATE_CODE,
                "a unit with this code already exists".into(),
            );
        }
        if let Some(first) = by_code.insert(&unit.code, i) {
            return fail(
                problem::DUPLICATE_CODE,
                format!("code already used by incoming unit #{first}"),
            );
        }
    }
    for (i, unit) in incoming.iter().enumerate() {
        let fail = |problem, detail| Err(err(Some(i), Some(unit.code.clone()), problem, detail));
        let Some(parent_code) = unit.parent.as_deref() else {
            continue;
        };
        let parent = match (existing.get(parent_code), by_code.get(parent_code)) {
            (Some(p), _) => p,
            (None, Some(&j)) => &incoming[j],
            (None, None) => {
                return fail(
                    problem::UNKNOWN_PARENT,
                    format!("unknown parent unit {parent_code}"),
                );
            }
        };
        if parent.level >= unit.level {
            return fail(
                problem::LEVEL_NOT_BELOW_PARENT,
                format!(
                    "level {} is not below the level {} of parent {parent_code}",
                    unit.level, parent.level
                ),
            );
        }
        let Some(parent_shape) = &parent.boundary else {
            continue;
        };
        if let Some(label) = unit.label
            && !parent_shape.contains(&label)
        {
            return fail(
                problem::NOT_WITHIN_PARENT,
                format!(
                    "label point ({}, {}) lies outside parent {parent_code} (swapped or misplaced coordinates?)",
                    label.x(),
                    label.y()
                ),
            );
        }
        if let Some(shape) = &unit.boundary {
            match shape.interior_point() {
                Some(p) if parent_shape.contains(&p) => {}
                Some(p) => {
                    return fail(
                        problem::NOT_WITHIN_PARENT,
                        format!(
                            "the boundary lies outside parent {parent_code} (its interior point ({}, {}) is outside; swapped or misplaced coordinates?)",
                            p.x(),
                            p.y()
                        ),
                    );
                }
                None => return fail(problem::INVALID_POLYGON, "the boundary is empty".into()),
            }
        }
    }
    existing.with_added(incoming).map_err(|e| ImportError {
        feature: None,
        code: None,
        problem: problem::INVALID_HIERARCHY,
        detail: e.to_string(),
    })
}

fn err(
    feature: Option<usize>,
    code: Option<String>,
    problem: &'static str,
    detail: String,
) -> ImportError {
    ImportError {
        feature,
        code,
        problem,
        detail,
    }
}

/// A property value (or the feature id) as text; numbers are accepted too.
fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

struct FeatureFields<'a> {
    index: usize,
    map: &'a FieldMap,
    id: Option<String>,
    properties: Option<&'a serde_json::Map<String, Value>>,
}

impl FeatureFields<'_> {
    /// The text of field `key` (one of [`FIXED_KEYS`]) whose source is `source`:
    /// `Ok(None)` when absent, null or empty.
    fn text(
        &self,
        key: &str,
        source: &str,
        code: Option<&str>,
    ) -> Result<Option<String>, ImportError> {
        if let Some(v) = self.map.fixed.get(key) {
            return Ok(Some(v.trim().to_owned()).filter(|s| !s.is_empty()));
        }
        if source == "@id" {
            return Ok(self.id.clone().filter(|s| !s.is_empty()));
        }
        match self.properties.and_then(|p| p.get(source)) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => match text_of(v) {
                Some(s) => Ok(Some(s).filter(|s| !s.is_empty())),
                None => Err(err(
                    Some(self.index),
                    code.map(Into::into),
                    problem::BAD_VALUE,
                    format!("property {source:?} ({key}) must be a string or a number"),
                )),
            },
        }
    }

    fn required(&self, key: &str, source: &str, code: Option<&str>) -> Result<String, ImportError> {
        self.text(key, source, code)?.ok_or_else(|| {
            err(
                Some(self.index),
                code.map(Into::into),
                problem::MISSING_FIELD,
                format!("missing {key} (from {})", describe_source(source)),
            )
        })
    }
}

fn describe_source(source: &str) -> String {
    if source == "@id" {
        "the feature id".into()
    } else {
        format!("property {source:?}")
    }
}

fn parse_feature(index: usize, value: &Value, map: &FieldMap) -> Result<Unit, ImportError> {
    if value.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(err(
            Some(index),
            None,
            problem::MALFORMED,
            "not a GeoJSON Feature".into(),
        ));
    }
    let feature: geojson::Feature = serde_json::from_value(value.clone()).map_err(|e| {
        err(
            Some(index),
            None,
            problem::MALFORMED,
            format!("not a valid GeoJSON Feature: {e}"),
        )
    })?;
    let id = feature.id.as_ref().map(|id| match id {
        Id::String(s) => s.trim().to_owned(),
        Id::Number(n) => n.to_string(),
    });
    let fields = FeatureFields {
        index,
        map,
        id,
        properties: feature.properties.as_ref(),
    };
    let code = fields.required("code", &map.code, None)?;
    let fail = |problem, detail| err(Some(index), Some(code.clone()), problem, detail);
    validate_code(&code).map_err(|e| fail(problem::INVALID_CODE, e.to_string()))?;
    let c = Some(code.as_str());
    let name = fields.required("name", &map.name, c)?;
    let name_en = fields
        .text("name_en", &map.name_en, c)?
        .unwrap_or_else(|| code.clone());
    let level_text = fields.required("level", &map.level, c)?;
    let level = Level::parse(&level_text)
        .ok_or_else(|| fail(problem::BAD_LEVEL, format!("unknown level {level_text:?}")))?;
    let parent = fields.text("parent_code", &map.parent_code, c)?;
    if let Some(p) = &parent {
        validate_code(p).map_err(|e| fail(problem::INVALID_CODE, format!("parent code: {e}")))?;
    }
    let households = match fields.text("households", &map.households, c)? {
        None => None,
        Some(s) => Some(s.parse::<u32>().map_err(|_| {
            fail(
                problem::BAD_VALUE,
                format!("households must be a non-negative integer, got {s:?}"),
            )
        })?),
    };
    let boundary = match &feature.geometry {
        None => None,
        Some(g) => Some(boundary_of(&g.value).map_err(|(problem, detail)| fail(problem, detail))?),
    };
    let label = match feature.properties.as_ref().and_then(|p| p.get(&map.label)) {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            label_of(v).map_err(|(problem, detail)| fail(problem, format!("label: {detail}")))?,
        ),
    };
    let label = label.or_else(|| boundary.as_ref().and_then(|b| b.interior_point()));
    Ok(Unit {
        code,
        name,
        name_en,
        level,
        parent,
        boundary,
        label,
        households,
        retired: false,
    })
}

type Problem = (&'static str, String);

fn label_of(value: &Value) -> Result<Point<f64>, Problem> {
    let pair = value
        .as_array()
        .filter(|a| a.len() >= 2)
        .and_then(|a| Some((a[0].as_f64()?, a[1].as_f64()?)));
    let Some((x, y)) = pair else {
        return Err((problem::BAD_VALUE, "must be an array [lon, lat]".into()));
    };
    check_position(x, y)?;
    Ok(Point::new(x, y))
}

fn check_position(x: f64, y: f64) -> Result<(), Problem> {
    if !x.is_finite() || !y.is_finite() {
        return Err((
            problem::INVALID_POLYGON,
            format!("non-finite coordinate ({x}, {y})"),
        ));
    }
    if x.abs() <= 180.0 && y.abs() <= 90.0 {
        return Ok(());
    }
    if x.abs() <= 90.0 && y.abs() > 90.0 && y.abs() <= 180.0 {
        return Err((
            problem::SWAPPED_COORDINATES,
            format!("position [{x}, {y}] looks like [lat, lon]; GeoJSON positions are [lon, lat]"),
        ));
    }
    Err((
        problem::OUT_OF_RANGE,
        format!("position [{x}, {y}] is outside WGS84 longitude/latitude range"),
    ))
}

fn boundary_of(value: &GeometryValue) -> Result<MultiPolygon<f64>, Problem> {
    let polygons: Vec<&Vec<Vec<geojson::Position>>> = match value {
        GeometryValue::Polygon { coordinates } => vec![coordinates],
        GeometryValue::MultiPolygon { coordinates } => coordinates.iter().collect(),
        other => {
            return Err((
                problem::BAD_GEOMETRY_TYPE,
                format!(
                    "geometry must be a Polygon or MultiPolygon, got {}",
                    other.type_name()
                ),
            ));
        }
    };
    // First every position, so that swapped coordinates are reported as such
    // rather than as a broken ring.
    for rings in &polygons {
        for ring in rings.iter() {
            for pos in ring {
                let s = pos.as_slice();
                if s.len() < 2 {
                    return Err((
                        problem::INVALID_POLYGON,
                        "a position has fewer than 2 numbers".into(),
                    ));
                }
                check_position(s[0], s[1])?;
            }
        }
    }
    if polygons.is_empty() {
        return Err((
            problem::INVALID_POLYGON,
            "the MultiPolygon has no polygons".into(),
        ));
    }
    let mut parts = Vec::with_capacity(polygons.len());
    for (p, rings) in polygons.iter().enumerate() {
        if rings.is_empty() {
            return Err((
                problem::INVALID_POLYGON,
                format!("polygon {p} has no rings"),
            ));
        }
        let mut cleaned = Vec::with_capacity(rings.len());
        for (r, ring) in rings.iter().enumerate() {
            let what = if r == 0 {
                format!("polygon {p}, exterior ring")
            } else {
                format!("polygon {p}, hole {}", r - 1)
            };
            if ring.len() < 4 {
                return Err((
                    problem::INVALID_POLYGON,
                    format!(
                        "{what} has {} positions; a ring needs at least 4",
                        ring.len()
                    ),
                ));
            }
            let coords: Vec<Coord<f64>> = ring
                .iter()
                .map(|pos| Coord {
                    x: pos.as_slice()[0],
                    y: pos.as_slice()[1],
                })
                .collect();
            if coords.first() != coords.last() {
                return Err((
                    problem::INVALID_POLYGON,
                    format!("{what} is not closed (its first and last positions differ)"),
                ));
            }
            let open = clean_ring(&coords[..coords.len() - 1]);
            if open.len() < 3 {
                return Err((
                    problem::INVALID_POLYGON,
                    format!(
                        "{what} has no area (fewer than 3 distinct corners once repeats are removed)"
                    ),
                ));
            }
            cleaned.push(open);
        }
        parts.push(cleaned);
    }
    normalise(parts)
}

/// Validates and normalises cleaned rings (open, without the closing point)
/// into a valid, RFC 7946-oriented MultiPolygon.
fn normalise(parts: Vec<Vec<Vec<Coord<f64>>>>) -> Result<MultiPolygon<f64>, Problem> {
    // Σ per polygon of |exterior| − Σ|holes|: equals the area of the
    // even-odd interpretation exactly when no point is wound twice or with
    // both orientations, i.e. when the rings do not really cross.
    let mut expected = 0.0;
    let mut all_rings: Vec<&[Coord<f64>]> = Vec::new();
    for rings in &parts {
        for (r, ring) in rings.iter().enumerate() {
            let a = ring_signed_area(ring).abs();
            expected += if r == 0 { a } else { -a };
            all_rings.push(ring);
        }
    }
    let shape = MultiPolygon::new(
        parts
            .iter()
            .map(|rings| {
                let mut it = rings.iter().map(|r| closed(r));
                let exterior = it.next().unwrap_or_else(|| LineString::new(Vec::new()));
                Polygon::new(exterior, it.collect())
            })
            .collect(),
    );
    if shape.is_valid() {
        return Ok(shape.orient(Direction::Default));
    }
    if let Some(detail) = find_crossing(&all_rings) {
        return Err((problem::SELF_INTERSECTING, detail));
    }
    // Rings only touch (pinches, inverted holes, parts sharing an edge):
    // rebuild an equivalent valid geometry with the even-odd rule.
    let repaired = shape.union(&MultiPolygon::<f64>::new(Vec::new()));
    let area = repaired.unsigned_area();
    if (area - expected).abs() > 1e-7 * expected.abs().max(area) + 1e-15 {
        return Err((
            problem::SELF_INTERSECTING,
            "the rings overlap or wind around some area twice or in opposite directions".into(),
        ));
    }
    if area == 0.0 {
        return Err((
            problem::INVALID_POLYGON,
            "the boundary has no area (its corners lie on one line)".into(),
        ));
    }
    if let Err(e) = repaired.check_validation() {
        return Err((problem::SELF_INTERSECTING, format!("invalid polygon: {e}")));
    }
    Ok(repaired.orient(Direction::Default))
}

fn closed(open: &[Coord<f64>]) -> LineString<f64> {
    let mut v = open.to_vec();
    if let Some(&first) = open.first() {
        v.push(first);
    }
    LineString::new(v)
}

fn ring_signed_area(open: &[Coord<f64>]) -> f64 {
    let n = open.len();
    if n < 3 {
        return 0.0;
    }
    let o = open[0];
    let mut s = 0.0;
    for i in 1..n - 1 {
        let (a, b) = (open[i] - o, open[i + 1] - o);
        s += a.x * b.y - a.y * b.x;
    }
    s / 2.0
}

fn is_spike(prev: Coord<f64>, at: Coord<f64>, next: Coord<f64>) -> bool {
    use geo::{Kernel, Orientation};
    let (d1, d2) = (at - prev, next - at);
    geo::kernels::RobustKernel::orient2d(prev, at, next) == Orientation::Collinear
        && d1.x * d2.x + d1.y * d2.y < 0.0
}

/// Removes consecutive repeated points and zero-width spikes from an open
/// ring (without its closing point), including across the closing point.
fn clean_ring(open: &[Coord<f64>]) -> Vec<Coord<f64>> {
    let mut out: Vec<Coord<f64>> = Vec::with_capacity(open.len());
    for &c in open {
        out.push(c);
        loop {
            let n = out.len();
            if n >= 2 && out[n - 1] == out[n - 2] {
                out.pop();
            } else if n >= 3 && is_spike(out[n - 3], out[n - 2], out[n - 1]) {
                out.remove(n - 2);
            } else {
                break;
            }
        }
    }
    // Across the closing point.
    loop {
        let n = out.len();
        if n < 3 {
            if n == 2 && out[0] == out[1] {
                out.pop();
            }
            break;
        }
        if out[n - 1] == out[0] || is_spike(out[n - 2], out[n - 1], out[0]) {
            out.pop();
        } else if is_spike(out[n - 1], out[0], out[1]) {
            out.remove(0);
        } else {
            break;
        }
    }
    out
}

/// The first proper crossing between two segments
/// of the rings that are not neighbours on the same ring.
fn find_crossing(rings: &[&[Coord<f64>]]) -> Option<String> {
    struct Seg {
        ring: usize,
        idx: usize,
        len: usize,
        line: Line<f64>,
        min_x: f64,
        max_x: f64,
    }
    let mut segs = Vec::new();
    for (r, ring) in rings.iter().enumerate() {
        let n = ring.len();
        for i in 0..n {
            let line = Line::new(ring[i], ring[(i + 1) % n]);
            segs.push(Seg {
                ring: r,
                idx: i,
                len: n,
                line,
                min_x: line.start.x.min(line.end.x),
                max_x: line.start.x.max(line.end.x),
            });
        }
    }
    segs.sort_by(|a, b| a.min_x.total_cmp(&b.min_x));
    for (k, a) in segs.iter().enumerate() {
        for b in &segs[k + 1..] {
            if b.min_x > a.max_x {
                break;
            }
            let neighbours =
                a.ring == b.ring && ((a.idx + 1) % a.len == b.idx || (b.idx + 1) % b.len == a.idx);
            let Some(hit) = line_intersection(a.line, b.line) else {
                continue;
            };
            // Segments that overlap along a line (a zero-width corridor, as
            // simplification leaves them) only touch; the area check in
            // `normalise` catches those that really cross.
            let crossing = matches!(
                hit,
                LineIntersection::SinglePoint {
                    is_proper: true,
                    ..
                }
            ) && !neighbours;
            if crossing {
                let at = match hit {
                    LineIntersection::SinglePoint { intersection, .. } => intersection,
                    LineIntersection::Collinear { intersection } => intersection.start,
                };
                let same = if a.ring == b.ring {
                    "itself"
                } else {
                    "another ring"
                };
                return Some(format!("a ring crosses {same} near ({}, {})", at.x, at.y));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    use crate::territory::unit::test_unit as unit;

    const DAQING: &str = include_str!("../../data/daqing-districts.geojson");

    fn daqing_map() -> FieldMap {
        FieldMap {
            code: "@id".into(),
            name: "name".into(),
            label: "cp".into(),
            fixed: [
                ("level".to_string(), "district".to_string()),
                ("parent_code".into(), "2306".into()),
            ]
            .into_iter()
            .collect(),
            ..FieldMap::default()
        }
    }

    fn city() -> Territory {
        let mut c = unit("2306", Level::City, None);
        c.name = "大庆市".into();
        Territory::new(vec![c]).unwrap()
    }

    #[test]
    fn daqing_imports_cleanly() {
        let units = parse(DAQING, &daqing_map()).unwrap();
        assert_eq!(units.len(), 9);
        let codes: Vec<&str> = units.iter().map(|u| u.code.as_str()).collect();
        for code in [
            "230602", "230603", "230604", "230605", "230606", "230621", "230622", "230623",
            "230624",
        ] {
            assert!(codes.contains(&code), "{code} missing");
        }
        for u in &units {
            assert_eq!(u.level, Level::District);
            assert_eq!(u.parent.as_deref(), Some("2306"));
            assert_eq!(u.name_en, u.code, "name_en falls back to the code");
            let b = u.boundary.as_ref().unwrap();
            assert!(b.is_valid(), "{}: {:?}", u.code, b.validation_errors());
            assert!(b.unsigned_area() > 0.01);
            // RFC 7946 winding.
            for p in b {
                assert!(ring_signed_area(&p.exterior().0) > 0.0);
            }
            let label = u.label.unwrap();
            assert!(b.contains(&label), "{} label outside", u.code);
        }
        assert_eq!(units[0].name, "萨尔图区");
        let t = check(&city(), units).unwrap();
        assert_eq!(t.len(), 10);
        assert_eq!(t.children("2306").count(), 9);
    }

    fn fc(features: &[String]) -> String {
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        )
    }

    fn feature(code: &str, level: &str, parent: &str, ring: &str) -> String {
        format!(
            r#"{{"type":"Feature","properties":{{"code":"{code}","name":"名{code}","level":"{level}","parent_code":"{parent}"}},"geometry":{{"type":"Polygon","coordinates":[{ring}]}}}}"#
        )
    }

    fn square(x0: f64, y0: f64, s: f64) -> String {
        format!(
            "[[{x0},{y0}],[{x1},{y0}],[{x1},{y1}],[{x0},{y1}],[{x0},{y0}]]",
            x1 = x0 + s,
            y1 = y0 + s
        )
    }

    fn problem_of(text: &str) -> (&'static str, Option<usize>) {
        let e = parse(text, &FieldMap::default()).unwrap_err();
        (e.problem, e.feature)
    }

    #[test]
    fn parses_fields_and_fixed_values() {
        let text = fc(&[
            r#"{"type":"Feature","id":42,"properties":{"code":"x","nm":"甲","en":"A","lv":"社区","up":"s1","hh":"350","pt":[125.05,46.05]},"geometry":{"type":"MultiPolygon","coordinates":[[[[125,46],[125,46.1],[125.1,46.1],[125.1,46],[125,46]]]]}}"#.into(),
        ]);
        let map = FieldMap {
            code: "@id".into(),
            name: "nm".into(),
            name_en: "en".into(),
            level: "lv".into(),
            parent_code: "up".into(),
            label: "pt".into(),
            households: "hh".into(),
            fixed: BTreeMap::new(),
        };
        let u = &parse(&text, &map).unwrap()[0];
        assert_eq!(u.code, "42");
        assert_eq!((u.name.as_str(), u.name_en.as_str()), ("甲", "A"));
        assert_eq!(u.level, Level::Community);
        assert_eq!(u.parent.as_deref(), Some("s1"));
        assert_eq!(u.households, Some(350));
        assert_eq!(u.label, Some(Point::new(125.05, 46.05)));
        // Clockwise input is re-oriented counter-clockwise.
        assert!(ring_signed_area(&u.boundary.as_ref().unwrap().0[0].exterior().0) > 0.0);

        let mut fixed = map.clone();
        fixed.fixed.insert("level".into(), "grid".into());
        fixed.fixed.insert("households".into(), "400".into());
        let u = &parse(&text, &fixed).unwrap()[0];
        assert_eq!((u.level, u.households), (Level::Grid, Some(400)));

        let mut bad = map;
        bad.fixed.insert("colour".into(), "red".into());
        assert_eq!(parse(&text, &bad).unwrap_err().problem, "unknown_field");
    }

    #[test]
    fn label_defaults_to_an_interior_point_and_null_geometry_is_allowed() {
        let text = fc(&[
            feature("a", "street", "d", &square(125.0, 46.0, 0.1)),
            r#"{"type":"Feature","properties":{"code":"b","name":"乙","level":"district"},"geometry":null}"#.into(),
        ]);
        let units = parse(&text, &FieldMap::default()).unwrap();
        let a = &units[0];
        assert!(a.boundary.as_ref().unwrap().contains(&a.label.unwrap()));
        assert_eq!(units[1].boundary, None);
        assert_eq!(units[1].parent, None);
    }

    #[test]
    fn malformed_documents() {
        assert_eq!(problem_of("not json"), ("malformed", None));
        assert_eq!(
            problem_of(r#"{"type":"Feature","properties":{}}"#),
            ("malformed", None)
        );
        assert_eq!(
            problem_of(r#"{"type":"FeatureCollection"}"#),
            ("malformed", None)
        );
        assert_eq!(
            problem_of(&fc(&[
                feature("a", "grid", "p", &square(1.0, 1.0, 1.0)),
                "17".into()
            ])),
            ("malformed", Some(1))
        );
    }

    #[test]
    fn missing_fields_and_bad_levels() {
        let no_name =
            r#"{"type":"Feature","properties":{"code":"a","level":"grid"},"geometry":null}"#;
        let e = parse(&fc(&[no_name.into()]), &FieldMap::default()).unwrap_err();
        assert_eq!(
            (e.problem, e.feature, e.code.as_deref()),
            ("missing_field", Some(0), Some("a"))
        );
        assert!(
            e.to_string()
                .starts_with("feature #0 (code a): missing name"),
            "{e}"
        );
        let no_code =
            r#"{"type":"Feature","properties":{"name":"甲","level":"grid"},"geometry":null}"#;
        assert_eq!(
            problem_of(&fc(&[no_code.into()])),
            ("missing_field", Some(0))
        );
        assert_eq!(
            problem_of(&fc(&[
                feature("a", "grid", "p", &square(1.0, 1.0, 1.0)),
                feature("b", "province", "p", &square(1.0, 1.0, 1.0))
            ])),
            ("bad_level", Some(1))
        );
        assert_eq!(
            problem_of(&fc(&[feature("a/b", "grid", "p", &square(1.0, 1.0, 1.0))])),
            ("invalid_code", Some(0))
        );
    }

    #[test]
    fn duplicate_codes_in_the_file() {
        let f = feature("a", "grid", "p", &square(1.0, 1.0, 1.0));
        assert_eq!(
            problem_of(&fc(&[f.clone(), f])),
            ("duplicate_code", Some(1))
        );
    }

    #[test]
    fn geometry_problems() {
        let point = r#"{"type":"Feature","properties":{"code":"a","name":"甲","level":"grid"},"geometry":{"type":"Point","coordinates":[1,2]}}"#;
        assert_eq!(
            problem_of(&fc(&[point.into()])),
            ("bad_geometry_type", Some(0))
        );
        let f = |ring: &str| problem_of(&fc(&[feature("a", "grid", "p", ring)])).0;
        // [lat, lon] instead of [lon, lat].
        assert_eq!(
            f("[[46,125],[46,125.1],[46.1,125.1],[46,125]]"),
            "swapped_coordinates"
        );
        assert_eq!(f("[[200,10],[201,10],[201,11],[200,10]]"), "out_of_range");
        assert_eq!(f("[[10,195],[11,195],[11,196],[10,195]]"), "out_of_range");
        assert_eq!(
            f("[[10,95],[11,95],[11,96],[10,95]]"),
            "swapped_coordinates"
        );
        assert_eq!(f("[[0,0],[1,0],[1,1],[0,1]]"), "invalid_polygon");
        assert_eq!(f("[[0,0],[1,0],[0,0]]"), "invalid_polygon");
        assert_eq!(f("[[0,0],[1,0],[2,0],[0,0]]"), "invalid_polygon");
        assert_eq!(f("[[0,0],[1,0],[1,0],[0,0]]"), "invalid_polygon");
        // Bow tie.
        assert_eq!(f("[[0,0],[1,1],[1,0],[0,1],[0,0]]"), "self_intersecting");
        // Bow tie with a vertex at the crossing (no proper crossing).
        assert_eq!(
            f("[[0,0],[1,1],[2,2],[2,0],[1,1],[0,2],[0,0]]"),
            "self_intersecting"
        );
        // Hole outside its exterior.
        assert_eq!(
            f(&format!(
                "{},{}",
                square(0.0, 0.0, 1.0),
                square(5.0, 5.0, 1.0)
            )),
            "self_intersecting"
        );
        // Overlapping parts of a MultiPolygon.
        let multi = format!(
            r#"{{"type":"Feature","properties":{{"code":"a","name":"甲","level":"grid"}},"geometry":{{"type":"MultiPolygon","coordinates":[[{}],[{}]]}}}}"#,
            square(0.0, 0.0, 1.0),
            square(0.5, 0.5, 1.0)
        );
        assert_eq!(problem_of(&fc(&[multi])).0, "self_intersecting");
    }

    #[test]
    fn benign_defects_are_repaired() {
        let ok = |ring: &str| {
            let units = parse(
                &fc(&[feature("a", "grid", "p", ring)]),
                &FieldMap::default(),
            )
            .unwrap();
            let b = units[0].boundary.clone().unwrap();
            assert!(b.is_valid());
            b
        };
        // Repeated points and a spike.
        let b = ok("[[0,0],[1,0],[1,0],[1,1],[1.5,1],[1,1],[0,1],[0,0],[0,0]]");
        assert!((b.unsigned_area() - 1.0).abs() < 1e-12);
        // Two triangles pinched at a vertex, same orientation.
        let b = ok("[[0,0],[1,1],[2,0],[2,2],[1,1],[0,2],[0,0]]");
        assert!((b.unsigned_area() - 2.0).abs() < 1e-9);
        // A zero-width corridor: the ring runs along one segment twice, in
        // opposite directions, joining an inverted hole to the outside.
        let b =
            ok("[[0,0],[4,0],[4,4],[2,4],[2,3],[3,3],[3,1],[1,1],[1,3],[2,3],[2,4],[0,4],[0,0]]");
        assert!((b.unsigned_area() - 12.0).abs() < 1e-9);
        // Clockwise exterior with a hole that has the same winding.
        let b = ok(&format!(
            "{},{}",
            "[[0,0],[0,4],[4,4],[4,0],[0,0]]", "[[1,1],[1,2],[2,2],[2,1],[1,1]]"
        ));
        assert!((b.unsigned_area() - 15.0).abs() < 1e-9);
    }

    #[test]
    fn check_errors() {
        let t = Territory::new(vec![
            unit("c", Level::City, None),
            Unit {
                boundary: Some(MultiPolygon::new(vec![Polygon::new(
                    LineString::from(vec![
                        (125.0, 46.0),
                        (126.0, 46.0),
                        (126.0, 47.0),
                        (125.0, 47.0),
                        (125.0, 46.0),
                    ]),
                    vec![],
                )])),
                ..unit("d", Level::District, Some("c"))
            },
        ])
        .unwrap();
        let incoming = |features: &[String]| parse(&fc(features), &FieldMap::default()).unwrap();
        let sq = square(125.2, 46.2, 0.1);
        let e = check(
            &t,
            incoming(&[
                feature("s1", "street", "d", &sq),
                feature("d", "street", "d", &sq),
            ]),
        )
        .unwrap_err();
        assert_eq!(
            (e.problem, e.feature, e.code.as_deref()),
            ("duplicate_code", Some(1), Some("d"))
        );
        let e = check(&t, incoming(&[feature("s1", "street", "zz", &sq)])).unwrap_err();
        assert_eq!((e.problem, e.feature), ("unknown_parent", Some(0)));
        let e = check(
            &t,
            incoming(&[
                feature("s1", "street", "d", &sq),
                feature("s2", "street", "s1", &sq),
            ]),
        )
        .unwrap_err();
        assert_eq!((e.problem, e.feature), ("level_not_below_parent", Some(1)));
        let e = check(&t, incoming(&[feature("s1", "city", "d", &sq)])).unwrap_err();
        assert_eq!(e.problem, "level_not_below_parent");
        // Swapped-but-in-range coordinates land far away: outside the parent.
        let far = "[[46.2,25.2],[46.3,25.2],[46.3,25.3],[46.2,25.3],[46.2,25.2]]";
        let e = check(&t, incoming(&[feature("s1", "street", "d", far)])).unwrap_err();
        assert_eq!((e.problem, e.feature), ("not_within_parent", Some(0)));
        // A misplaced label.
        let mut units = incoming(&[feature("s1", "street", "d", &sq)]);
        units[0].label = Some(Point::new(10.0, 10.0));
        assert_eq!(check(&t, units).unwrap_err().problem, "not_within_parent");
        // Parents may come from the file itself, in any order.
        let ok = check(
            &t,
            incoming(&[
                feature("g1", "grid", "s1", &square(125.21, 46.21, 0.01)),
                feature("s1", "street", "d", &sq),
            ]),
        )
        .unwrap();
        assert_eq!(ok.chain("g1"), ["g1", "s1", "d", "c"]);
        let e = check(
            &t,
            incoming(&[
                feature("g1", "grid", "s1", &square(125.5, 46.5, 0.01)),
                feature("s1", "street", "d", &sq),
            ]),
        )
        .unwrap_err();
        assert_eq!((e.problem, e.feature), ("not_within_parent", Some(0)));
    }
}
