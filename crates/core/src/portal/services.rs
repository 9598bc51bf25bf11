//! The category taxonomy published as Open311 services, and the extra
//! fields (service attributes) some categories ask for.

use serde::Serialize;

/// Open311 attribute data types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Datatype {
    String,
    Number,
    Datetime,
    Text,
    Singlevaluelist,
    Multivaluelist,
}

impl Datatype {
    pub fn as_str(self) -> &'static str {
        match self {
            Datatype::String => "string",
            Datatype::Number => "number",
            Datatype::Datetime => "datetime",
            Datatype::Text => "text",
            Datatype::Singlevaluelist => "singlevaluelist",
            Datatype::Multivaluelist => "multivaluelist",
        }
    }
}

/// One extra field of a service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Attribute {
    pub code: &'static str,
    pub datatype: Datatype,
    pub required: bool,
    pub description: &'static str,
    pub datatype_description: &'static str,
    pub order: u32,
    /// (key, name) for the list types.
    pub values: &'static [(&'static str, &'static str)],
}

const FLOOR: Attribute = Attribute {
    code: "floor",
    datatype: Datatype::Number,
    required: false,
    description: "所在楼层",
    datatype_description: "整数，地下为负",
    order: 2,
    values: &[],
};

const HEATING: &[Attribute] = &[
    Attribute {
        code: "room_temperature",
        datatype: Datatype::Number,
        required: true,
        description: "室内温度（℃）",
        datatype_description: "摄氏度，可带一位小数",
        order: 1,
        values: &[],
    },
    FLOOR,
    Attribute {
        code: "since",
        datatype: Datatype::Datetime,
        required: false,
        description: "从何时开始",
        datatype_description: "ISO 8601，如 2026-11-20T08:00:00+08:00",
        order: 3,
        values: &[],
    },
];

const ROAD: &[Attribute] = &[
    Attribute {
        code: "damage",
        datatype: Datatype::Multivaluelist,
        required: true,
        description: "损坏情况",
        datatype_description: "可多选",
        order: 1,
        values: &[
            ("pothole", "坑槽"),
            ("crack", "裂缝"),
            ("subsidence", "沉陷"),
            ("curb", "路缘石损坏"),
        ],
    },
    Attribute {
        code: "lane",
        datatype: Datatype::Singlevaluelist,
        required: false,
        description: "位置",
        datatype_description: "单选",
        order: 2,
        values: &[
            ("carriageway", "机动车道"),
            ("bike_lane", "非机动车道"),
            ("sidewalk", "人行道"),
        ],
    },
];

const NOISE: &[Attribute] = &[
    Attribute {
        code: "hours",
        datatype: Datatype::String,
        required: false,
        description: "噪声出现的时段",
        datatype_description: "如 22:00-06:00",
        order: 1,
        values: &[],
    },
    Attribute {
        code: "source",
        datatype: Datatype::Text,
        required: false,
        description: "噪声来源的描述",
        datatype_description: "自由文字",
        order: 2,
        values: &[],
    },
];

/// The extra fields of a category, empty when it needs none.
pub fn attributes(category: &str) -> &'static [Attribute] {
    match category.split_once('.').map(|(group, _)| group) {
        Some("heating") => HEATING,
        _ if category == "urban.road_damage" => ROAD,
        _ if category.starts_with("environment.") && category.ends_with("_noise") => NOISE,
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::appeals::Taxonomy;

    #[test]
    fn some_services_have_well_formed_attributes() {
        let t = Taxonomy::builtin();
        let with: Vec<&str> = t
            .categories()
            .iter()
            .map(|c| c.code.as_str())
            .filter(|c| !attributes(c).is_empty())
            .collect();
        assert!(with.contains(&"heating.no_heat") && with.contains(&"urban.road_damage"));
        assert!(with.len() >= 5, "{with:?}");
        for code in with {
            let attrs = attributes(code);
            let mut orders: Vec<u32> = attrs.iter().map(|a| a.order).collect();
            orders.dedup();
            assert_eq!(orders.len(), attrs.len(), "{code}: orders unique");
            for a in attrs {
                let listed = matches!(
                    a.datatype,
                    Datatype::Singlevaluelist | Datatype::Multivaluelist
                );
                assert_eq!(listed, !a.values.is_empty(), "{code}.{}", a.code);
            }
        }
        assert!(attributes("community.pets").is_empty());
    }
}
