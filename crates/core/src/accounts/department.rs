use serde::{Deserialize, Serialize};

/// A functional department (职能部门) sitting at a unit (the city or a
/// district), e.g. the housing bureau of 萨尔图区.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Department {
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// One of [`DEPARTMENT_KINDS`]; routing maps categories to kinds.
    pub kind: String,
    /// The unit whose government this department belongs to.
    pub unit: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DepartmentKind {
    pub key: &'static str,
    /// Short code used to build department codes (`230602-HS`).
    pub abbrev: &'static str,
    pub name: &'static str,
    pub name_en: &'static str,
}

const fn kind(
    key: &'static str,
    abbrev: &'static str,
    name: &'static str,
    name_en: &'static str,
) -> DepartmentKind {
    DepartmentKind {
        key,
        abbrev,
        name,
        name_en,
    }
}

/// The department kinds every city and district government has.
pub const DEPARTMENT_KINDS: [DepartmentKind; 12] = [
    kind(
        "housing",
        "HS",
        "住房和城乡建设局",
        "Housing and Urban-Rural Development Bureau",
    ),
    kind(
        "urban_management",
        "UM",
        "城市管理综合执法局",
        "Urban Management Bureau",
    ),
    kind(
        "market_supervision",
        "MS",
        "市场监督管理局",
        "Market Supervision Bureau",
    ),
    kind(
        "emergency",
        "EM",
        "应急管理局",
        "Emergency Management Bureau",
    ),
    kind(
        "human_resources",
        "HR",
        "人力资源和社会保障局",
        "Human Resources and Social Security Bureau",
    ),
    kind(
        "environment",
        "EN",
        "生态环境局",
        "Ecology and Environment Bureau",
    ),
    kind("public_security", "PS", "公安局", "Public Security Bureau"),
    kind("transport", "TR", "交通运输局", "Transport Bureau"),
    kind("water", "WA", "水务局", "Water Affairs Bureau"),
    kind(
        "heating",
        "HE",
        "供热管理办公室",
        "Heating Administration Office",
    ),
    kind("education", "ED", "教育局", "Education Bureau"),
    kind("health", "HL", "卫生健康委员会", "Health Commission"),
];

impl DepartmentKind {
    pub fn by_key(key: &str) -> Option<DepartmentKind> {
        DEPARTMENT_KINDS.into_iter().find(|k| k.key == key)
    }
}
