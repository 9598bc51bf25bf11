use super::lookup::{LookupIndex, Probe};
use super::{Territory, Unit};

/// A territory together with its point-lookup index. Immutable: when the
/// territory changes, a new atlas is built and swapped in whole.
#[derive(Debug, Default)]
pub struct Atlas {
    territory: Territory,
    index: LookupIndex,
}

/// Where a point falls.
#[derive(Debug, PartialEq)]
pub enum Located<'a> {
    /// The smallest unit containing the point, and its ancestors (parent first).
    Inside {
        unit: &'a Unit,
        ancestors: Vec<&'a Unit>,
    },
    /// In no unit; the nearest unit, if the territory has any boundary.
    Outside { nearest: Option<&'a Unit> },
}

impl Atlas {
    pub fn new(territory: Territory) -> Atlas {
        let index = LookupIndex::build(&territory);
        Atlas { territory, index }
    }

    pub fn territory(&self) -> &Territory {
        &self.territory
    }

    pub fn locate(&self, lon: f64, lat: f64) -> Located<'_> {
        let units = self.territory.units();
        match self.index.probe(lon, lat) {
            Probe::Inside(i) => Located::Inside {
                unit: &units[i],
                ancestors: self.territory.ancestors(&units[i].code),
            },
            Probe::Outside(nearest) => Located::Outside {
                nearest: nearest.map(|i| &units[i]),
            },
        }
    }
}
