use std::collections::HashMap;

use super::Unit;

/// The unit hierarchy, checked: unique codes, every parent present, every
/// child strictly below its parent's level (so there are no cycles).
#[derive(Clone, Debug, Default)]
pub struct Territory {
    units: Vec<Unit>,
    by_code: HashMap<String, usize>,
    children: Vec<Vec<usize>>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TerritoryError {
    #[error("duplicate unit code {0}")]
    DuplicateCode(String),
    #[error("unit {code}: unknown parent {parent}")]
    UnknownParent { code: String, parent: String },
    #[error("unit {code}: level {level} is not below its parent's level {parent_level}")]
    LevelNotBelowParent {
        code: String,
        level: String,
        parent_level: String,
    },
}

impl Territory {
    pub fn new(units: Vec<Unit>) -> Result<Territory, TerritoryError> {
        let mut by_code = HashMap::with_capacity(units.len());
        for (i, unit) in units.iter().enumerate() {
            if by_code.insert(unit.code.clone(), i).is_some() {
                return Err(TerritoryError::DuplicateCode(unit.code.clone()));
            }
        }
        let mut children = vec![Vec::new(); units.len()];
        for (i, unit) in units.iter().enumerate() {
            let Some(parent) = &unit.parent else { continue };
            let Some(&p) = by_code.get(parent) else {
                return Err(TerritoryError::UnknownParent {
                    code: unit.code.clone(),
                    parent: parent.clone(),
                });
            };
            if units[p].level >= unit.level {
                return Err(TerritoryError::LevelNotBelowParent {
                    code: unit.code.clone(),
                    level: unit.level.to_string(),
                    parent_level: units[p].level.to_string(),
                });
            }
            children[p].push(i);
        }
        Ok(Territory {
            units,
            by_code,
            children,
        })
    }

    pub fn units(&self) -> &[Unit] {
        &self.units
    }

    pub fn len(&self) -> usize {
        self.units.len()
    }

    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    pub fn index_of(&self, code: &str) -> Option<usize> {
        self.by_code.get(code).copied()
    }

    pub fn get(&self, code: &str) -> Option<&Unit> {
        self.index_of(code).map(|i| &self.units[i])
    }

    pub fn children(&self, code: &str) -> impl Iterator<Item = &Unit> {
        self.index_of(code)
            .map(|i| self.children[i].as_slice())
            .unwrap_or_default()
            .iter()
            .map(|&c| &self.units[c])
    }

    pub fn roots(&self) -> impl Iterator<Item = &Unit> {
        self.units.iter().filter(|u| u.parent.is_none())
    }

    /// Ancestors from the parent up to the root.
    pub fn ancestors(&self, code: &str) -> Vec<&Unit> {
        let mut out = Vec::new();
        let mut current = self.get(code).and_then(|u| u.parent.as_deref());
        while let Some(parent) = current.and_then(|c| self.get(c)) {
            out.push(parent);
            current = parent.parent.as_deref();
        }
        out
    }

    /// The unit's code followed by its ancestors' codes up to the root: the
    /// "unit chain" that jurisdiction checks work on.
    pub fn chain(&self, code: &str) -> Vec<String> {
        let mut out = Vec::new();
        if self.get(code).is_some() {
            out.push(code.to_owned());
            out.extend(self.ancestors(code).iter().map(|u| u.code.clone()));
        }
        out
    }

    /// Whether `inner` is `outer` or lies below it.
    pub fn is_within(&self, inner: &str, outer: &str) -> bool {
        self.chain(inner).iter().any(|c| c == outer)
    }

    /// A new territory with `incoming` added; the same checks as `new`.
    pub fn with_added(&self, incoming: Vec<Unit>) -> Result<Territory, TerritoryError> {
        let mut all = self.units.clone();
        all.extend(incoming);
        Territory::new(all)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::territory::Level;

    use crate::territory::unit::test_unit as unit;

    #[test]
    fn chain_and_children() {
        let t = Territory::new(vec![
            unit("c", Level::City, None),
            unit("d1", Level::District, Some("c")),
            unit("s1", Level::Street, Some("d1")),
            unit("g1", Level::Grid, Some("s1")),
        ])
        .unwrap();
        assert_eq!(t.chain("g1"), vec!["g1", "s1", "d1", "c"]);
        assert!(t.is_within("g1", "d1"));
        assert!(!t.is_within("d1", "g1"));
        assert_eq!(
            t.children("s1")
                .map(|u| u.code.as_str())
                .collect::<Vec<_>>(),
            ["g1"]
        );
        assert!(t.chain("nope").is_empty());
    }

    #[test]
    fn rejects_bad_hierarchies() {
        assert_eq!(
            Territory::new(vec![
                unit("c", Level::City, None),
                unit("c", Level::District, Some("c"))
            ])
            .unwrap_err(),
            TerritoryError::DuplicateCode("c".into())
        );
        assert!(matches!(
            Territory::new(vec![unit("d", Level::District, Some("x"))]),
            Err(TerritoryError::UnknownParent { .. })
        ));
        // A cycle needs a child at or above its parent's level, which is refused.
        assert!(matches!(
            Territory::new(vec![
                unit("a", Level::Street, Some("b")),
                unit("b", Level::Street, Some("a")),
            ]),
            Err(TerritoryError::LevelNotBelowParent { .. })
        ));
    }
}
