use serde::{Deserialize, Serialize};

/// A level of the territorial hierarchy. A city may skip levels (e.g. city →
/// district → community), but a child is always strictly below its parent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    City,
    District,
    Street,
    Community,
    Grid,
}

impl Level {
    pub const ALL: [Level; 5] = [
        Level::City,
        Level::District,
        Level::Street,
        Level::Community,
        Level::Grid,
    ];

    /// 0 for the city, growing downwards.
    pub fn rank(self) -> u8 {
        self as u8
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::City => "city",
            Level::District => "district",
            Level::Street => "street",
            Level::Community => "community",
            Level::Grid => "grid",
        }
    }

    /// Accepts the English key and the usual Chinese names (区/县 both map to
    /// district, 乡镇/街道 to street, 村/社区 to community).
    pub fn parse(s: &str) -> Option<Level> {
        match s.trim() {
            "city" | "市" => Some(Level::City),
            "district" | "county" | "区" | "县" | "区县" => Some(Level::District),
            "street" | "town" | "街道" | "乡镇" | "街道乡镇" | "镇" | "乡" => {
                Some(Level::Street)
            }
            "community" | "village" | "社区" | "村" | "社区村" => Some(Level::Community),
            "grid" | "网格" => Some(Level::Grid),
            _ => None,
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Level::City => "市",
            Level::District => "区县",
            Level::Street => "街道乡镇",
            Level::Community => "社区村",
            Level::Grid => "网格",
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_grow_downwards_and_names_round_trip() {
        for pair in Level::ALL.windows(2) {
            assert!(pair[0].rank() < pair[1].rank());
        }
        for level in Level::ALL {
            assert_eq!(Level::parse(level.as_str()), Some(level));
            assert_eq!(Level::parse(level.name_zh()), Some(level));
        }
        assert_eq!(Level::parse("县"), Some(Level::District));
        assert_eq!(Level::parse("province"), None);
    }
}
