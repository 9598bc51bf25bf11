//! Territory: the hierarchy of units (city → district → street → community →
//! grid), their boundaries, import from GeoJSON, and point lookup.

mod atlas;
pub mod import;
mod level;
pub mod lookup;
mod tree;
pub(crate) mod unit;

pub use atlas::{Atlas, Located};
pub use level::Level;
pub use tree::{Territory, TerritoryError};
pub use unit::{Unit, validate_code};
