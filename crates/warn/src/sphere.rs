//! Distances on the Earth exactly as SaTScan measures them.
//!
//! SaTScan places latitude/longitude points on a sphere of radius 6367 km as 3-D Cartesian
//! points and compares straight-line (chord) distances; the radius it reports is the matching
//! great-circle arc. Doing the same keeps our circles, and so our clusters, identical to its.

/// The Earth radius SaTScan uses, in kilometres.
pub const EARTH_RADIUS_KM: f64 = 6367.0;

/// A point on the sphere, in kilometres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point3 {
    pub x: f64,
    pub y: f64,
    pub z: f64,
}

impl Point3 {
    /// The 3-D point for a latitude and longitude in degrees.
    pub fn from_lat_lon(lat: f64, lon: f64) -> Self {
        let (lat, lon) = (lat.to_radians(), lon.to_radians());
        Self {
            x: EARTH_RADIUS_KM * lat.cos() * lon.cos(),
            y: EARTH_RADIUS_KM * lat.cos() * lon.sin(),
            z: EARTH_RADIUS_KM * lat.sin(),
        }
    }

    /// Squared chord distance in km².
    pub fn chord_sq(&self, other: &Self) -> f64 {
        let (dx, dy, dz) = (self.x - other.x, self.y - other.y, self.z - other.z);
        dx * dx + dy * dy + dz * dz
    }

    pub fn as_array(&self) -> [f64; 3] {
        [self.x, self.y, self.z]
    }
}

/// The great-circle arc (km) matching a chord (km), as SaTScan reports a cluster's radius.
pub fn arc_km(chord_km: f64) -> f64 {
    let half = (chord_km / (2.0 * EARTH_RADIUS_KM)).clamp(-1.0, 1.0);
    2.0 * EARTH_RADIUS_KM * half.asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_degree_of_latitude_is_about_111_km() {
        let a = Point3::from_lat_lon(40.0, -73.0);
        let b = Point3::from_lat_lon(41.0, -73.0);
        let arc = arc_km(a.chord_sq(&b).sqrt());
        // 6367 km × π/180 = 111.125 km per degree along a meridian.
        assert!((arc - 111.1248).abs() < 1e-3, "{arc}");
    }

    #[test]
    fn chord_is_shorter_than_arc_but_barely_at_city_scale() {
        let a = Point3::from_lat_lon(46.58, 125.0);
        let b = Point3::from_lat_lon(46.60, 125.02);
        let chord = a.chord_sq(&b).sqrt();
        let arc = arc_km(chord);
        assert!(arc > chord);
        assert!(arc - chord < 1e-6);
    }

    #[test]
    fn same_point_is_zero() {
        let a = Point3::from_lat_lon(10.0, 20.0);
        assert_eq!(a.chord_sq(&a), 0.0);
        assert_eq!(arc_km(0.0), 0.0);
    }
}
