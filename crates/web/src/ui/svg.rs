//! Maps without tile servers: unit boundaries projected to SVG paths on the
//! server. A simple equirectangular frame (longitude scaled by the cosine of
//! the middle latitude) is exact enough for a city and cheap to invert in
//! the browser when a resident clicks the map to place a problem.

use geo::{BoundingRect, MultiPolygon, Rect};
use serde::{Deserialize, Serialize};

/// Width of the drawing in SVG units.
const WIDTH: f64 = 1000.0;

/// Where lon/lat land in the drawing.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    pub min_lon: f64,
    pub max_lat: f64,
    /// cos(middle latitude): how much shorter a degree of longitude is.
    pub k: f64,
    /// SVG units per degree of latitude.
    pub s: f64,
    pub width: f64,
    pub height: f64,
}

impl Frame {
    /// A frame around `shapes` with a small margin; none for no geometry.
    pub fn fit<'a>(shapes: impl IntoIterator<Item = &'a MultiPolygon<f64>>) -> Option<Frame> {
        let mut bounds: Option<Rect<f64>> = None;
        for mp in shapes {
            let Some(r) = mp.bounding_rect() else {
                continue;
            };
            bounds = Some(match bounds {
                None => r,
                Some(b) => Rect::new(
                    (b.min().x.min(r.min().x), b.min().y.min(r.min().y)),
                    (b.max().x.max(r.max().x), b.max().y.max(r.max().y)),
                ),
            });
        }
        let b = bounds?;
        let pad_x = b.width() * 0.02;
        let pad_y = b.height() * 0.02;
        let (min_lon, max_lon) = (b.min().x - pad_x, b.max().x + pad_x);
        let (min_lat, max_lat) = (b.min().y - pad_y, b.max().y + pad_y);
        let k = ((min_lat + max_lat) / 2.0).to_radians().cos();
        let w = ((max_lon - min_lon) * k).max(1e-9);
        let s = WIDTH / w;
        Some(Frame {
            min_lon,
            max_lat,
            k,
            s,
            width: WIDTH,
            height: ((max_lat - min_lat) * s).max(1.0),
        })
    }

    pub fn project(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            (lon - self.min_lon) * self.k * self.s,
            (self.max_lat - lat) * self.s,
        )
    }

    /// The inverse, as the browser computes it for a click (`app.js`).
    #[cfg(test)]
    pub fn unproject(&self, x: f64, y: f64) -> (f64, f64) {
        (
            x / (self.k * self.s) + self.min_lon,
            self.max_lat - y / self.s,
        )
    }

    pub fn view_box(&self) -> String {
        format!("0 0 {:.0} {:.0}", self.width, self.height)
    }

    /// A path `d` for the outline, to one decimal (a tenth of a unit is far
    /// below a pixel), dropping points that would not move the pen.
    pub fn path(&self, mp: &MultiPolygon<f64>) -> String {
        let mut d = String::new();
        for polygon in mp {
            for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                let mut last: Option<(i64, i64)> = None;
                let mut first = true;
                for c in ring.coords() {
                    let (x, y) = self.project(c.x, c.y);
                    let key = ((x * 10.0).round() as i64, (y * 10.0).round() as i64);
                    if last == Some(key) {
                        continue;
                    }
                    last = Some(key);
                    d.push(if first { 'M' } else { 'L' });
                    first = false;
                    d.push_str(&format!("{:.1} {:.1}", x, y));
                }
                if !first {
                    d.push('Z');
                }
            }
        }
        d
    }
}

/// Five shades for a value against the largest one (0 = none).
pub fn shade(value: f64, max: f64) -> u8 {
    if value <= 0.0 || max <= 0.0 || !value.is_finite() {
        return 0;
    }
    let q = (value / max).clamp(0.0, 1.0);
    (q * 4.0).ceil().clamp(1.0, 4.0) as u8
}

/// A map of `units` for a template: the frame (for the browser to invert a
/// click), and each unit's outline with its name and a shade (0..=4).
pub fn unit_map(
    units: &[(&grassroots_core::territory::Unit, f64)],
    lang: crate::i18n::Lang,
    href: impl Fn(&grassroots_core::territory::Unit) -> Option<String>,
) -> serde_json::Value {
    let Some(frame) = Frame::fit(units.iter().filter_map(|(u, _)| u.boundary.as_ref())) else {
        return serde_json::Value::Null;
    };
    let max = units.iter().map(|(_, v)| *v).fold(0.0, f64::max);
    let shapes: Vec<serde_json::Value> = units
        .iter()
        .filter_map(|(u, value)| {
            let b = u.boundary.as_ref()?;
            let label = u.label.map(|p| frame.project(p.x(), p.y()));
            Some(serde_json::json!({
                "code": u.code,
                "name": if lang == crate::i18n::Lang::En { &u.name_en } else { &u.name },
                "d": frame.path(b),
                "shade": shade(*value, max),
                "value": value,
                "href": href(u),
                "label": label.map(|(x, y)| serde_json::json!({"x": format!("{x:.0}"), "y": format!("{y:.0}")})),
            }))
        })
        .collect();
    serde_json::json!({
        "view_box": frame.view_box(),
        "frame": frame,
        "shapes": shapes,
        "max": max,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use geo::polygon;

    fn square(x: f64, y: f64, side: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![
            (x: x, y: y), (x: x + side, y: y), (x: x + side, y: y + side), (x: x, y: y + side), (x: x, y: y)
        ]])
    }

    #[test]
    fn projection_round_trips_and_keeps_north_up() {
        let shapes = [square(126.0, 46.0, 0.1), square(126.2, 46.1, 0.1)];
        let f = Frame::fit(&shapes).unwrap();
        assert_eq!(f.width, 1000.0);
        let (x, y) = f.project(126.15, 46.05);
        let (lon, lat) = f.unproject(x, y);
        assert!((lon - 126.15).abs() < 1e-9 && (lat - 46.05).abs() < 1e-9);
        // North is up: a larger latitude is a smaller y.
        assert!(f.project(126.1, 46.2).1 < f.project(126.1, 46.0).1);
        // A degree of longitude is shorter than one of latitude at 46°N.
        let h = f.project(126.1, 46.0).0 - f.project(126.0, 46.0).0;
        let v = f.project(126.0, 46.0).1 - f.project(126.0, 46.1).1;
        assert!(h < v);
        assert!(f.height > 0.0 && f.view_box().starts_with("0 0 1000 "));
    }

    #[test]
    fn paths_close_each_ring_and_skip_repeats() {
        let shape = square(126.0, 46.0, 0.1);
        let f = Frame::fit([&shape]).unwrap();
        let d = f.path(&shape);
        assert!(d.starts_with('M') && d.ends_with('Z'));
        // 4 corners + closing point is dropped only if it rounds to the first? No:
        // the ring's last point equals the first, which is a different pen move.
        assert_eq!(d.matches('L').count(), 4);
        assert_eq!(Frame::fit(std::iter::empty()), None);
    }

    #[test]
    fn shades() {
        assert_eq!(shade(0.0, 10.0), 0);
        assert_eq!(shade(1.0, 10.0), 1);
        assert_eq!(shade(3.0, 10.0), 2);
        assert_eq!(shade(6.0, 10.0), 3);
        assert_eq!(shade(10.0, 10.0), 4);
        assert_eq!(shade(5.0, 0.0), 0);
        assert_eq!(shade(f64::NAN, 1.0), 0);
    }
}
