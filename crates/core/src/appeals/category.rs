//! The appeal category taxonomy, in the style of the 12345 hotlines: groups
//! of leaf categories, each with the department kinds that handle it, the
//! level that handles it by default, a time-limit class, search keywords and
//! whether a location is needed.
//!
//! The taxonomy is data (`data/categories.json`, embedded in the binary);
//! administrators may replace it with [`Taxonomy::parse`], which checks it
//! whole. Category codes are stable identifiers (stored with each appeal):
//! rename a category freely, never recycle its code.
//!
//! # Time limits
//!
//! Each category has a [`LimitClass`]; the taxonomy maps each class to a
//! [`TimeLimit`] (a sign-for limit in clock minutes and a reply limit in
//! clock hours or working days). The standard limits:
//!
//! | class       | sign for (签收) | reply (答复)      |
//! |-------------|-----------------|-------------------|
//! | `emergency` | 30 minutes      | 2 clock hours     |
//! | `utility`   | 1 hour          | 24 clock hours    |
//! | `general`   | 2 hours         | 7 working days    |
//! | `complex`   | 4 hours         | 15 working days   |
//!
//! The urgency of an appeal may only tighten its class: `emergency` →
//! the emergency class; `urgent` → the utility class unless the category's
//! is already tighter; `normal` → the category's class. Clock limits run
//! through nights and holidays; working-day limits follow
//! [`HolidayCalendar::add_working_days`]. [`due`] turns a limit and a time of
//! receipt into deadlines.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::calendar::{HolidayCalendar, add_hours, add_minutes};
use crate::accounts::DepartmentKind;
use crate::territory::Level;

const BUILTIN_JSON: &str = include_str!("../../data/categories.json");

/// Longest accepted code.
pub const MAX_CODE_LEN: usize = 48;

/// The reply limit: clock hours, or working days by the holiday calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyLimit {
    Hours(u32),
    WorkingDays(u32),
}

/// How long the handler has to sign for (签收) and to reply (答复).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeLimit {
    /// Clock minutes from dispatch to signing for.
    pub sign_minutes: u32,
    pub reply: ReplyLimit,
}

/// The deadlines of one appeal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Due {
    pub sign_by: Timestamp,
    pub reply_by: Timestamp,
}

/// The deadlines for something received at `received` under `limit`:
/// `sign_by` is `received` plus the sign-for minutes (clock time);
/// `reply_by` is clock hours later, or the end of the N-th working day after
/// the day of receipt ([`HolidayCalendar::add_working_days`]).
pub fn due(calendar: &HolidayCalendar, limit: &TimeLimit, received: Timestamp) -> Due {
    let reply_by = match limit.reply {
        ReplyLimit::Hours(h) => add_hours(received, h),
        ReplyLimit::WorkingDays(n) => calendar.add_working_days(received, n),
    };
    Due {
        sign_by: add_minutes(received, limit.sign_minutes),
        reply_by,
    }
}

/// Time-limit classes, ordered from the tightest to the loosest (so the
/// tighter of two classes is their `min`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitClass {
    /// Danger to life or property: gas leaks.
    Emergency,
    /// Interrupted essentials: heating, water, power, lifts.
    Utility,
    General,
    /// Investigations, many parties: wage arrears, relocation, housing quality.
    Complex,
}

impl LimitClass {
    pub const ALL: [LimitClass; 4] = [
        LimitClass::Emergency,
        LimitClass::Utility,
        LimitClass::General,
        LimitClass::Complex,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LimitClass::Emergency => "emergency",
            LimitClass::Utility => "utility",
            LimitClass::General => "general",
            LimitClass::Complex => "complex",
        }
    }

    pub fn parse(s: &str) -> Option<LimitClass> {
        LimitClass::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }

    /// The national-practice limits of this class (see the module docs).
    pub fn standard_limit(self) -> TimeLimit {
        let (sign_minutes, reply) = match self {
            LimitClass::Emergency => (30, ReplyLimit::Hours(2)),
            LimitClass::Utility => (60, ReplyLimit::Hours(24)),
            LimitClass::General => (120, ReplyLimit::WorkingDays(7)),
            LimitClass::Complex => (240, ReplyLimit::WorkingDays(15)),
        };
        TimeLimit {
            sign_minutes,
            reply,
        }
    }

    /// The class after applying an appeal's urgency, which only tightens.
    pub fn tightened(self, urgency: Urgency) -> LimitClass {
        match urgency.cap() {
            Some(cap) => self.min(cap),
            None => self,
        }
    }
}

impl std::fmt::Display for LimitClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The urgency an appeal is given at intake (一般 / 紧急 / 特急).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    #[default]
    Normal,
    Urgent,
    Emergency,
}

impl Urgency {
    pub const ALL: [Urgency; 3] = [Urgency::Normal, Urgency::Urgent, Urgency::Emergency];

    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Normal => "normal",
            Urgency::Urgent => "urgent",
            Urgency::Emergency => "emergency",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Urgency::Normal => "一般",
            Urgency::Urgent => "紧急",
            Urgency::Emergency => "特急",
        }
    }

    /// Accepts the English key (any case) and the usual Chinese names.
    pub fn parse(s: &str) -> Option<Urgency> {
        match s.trim().to_ascii_lowercase().as_str() {
            "normal" | "一般" | "普通" => Some(Urgency::Normal),
            "urgent" | "紧急" | "加急" => Some(Urgency::Urgent),
            "emergency" | "特急" | "特别紧急" => Some(Urgency::Emergency),
            _ => None,
        }
    }

    /// The loosest class this urgency allows, if it constrains at all.
    pub fn cap(self) -> Option<LimitClass> {
        match self {
            Urgency::Normal => None,
            Urgency::Urgent => Some(LimitClass::Utility),
            Urgency::Emergency => Some(LimitClass::Emergency),
        }
    }
}

impl std::fmt::Display for Urgency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who handles a category first: a territorial level, or the department(s)
/// of the category in the district.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DefaultLevel {
    /// The grid worker: on-site matters (garbage, manhole covers, neighbours).
    Grid,
    /// Community staff: local matters (property management, pets, lifts).
    Community,
    /// The street / town office.
    Street,
    /// The category's department(s): matters in their remit.
    Department,
    /// The district government.
    District,
}

impl DefaultLevel {
    pub const ALL: [DefaultLevel; 5] = [
        DefaultLevel::Grid,
        DefaultLevel::Community,
        DefaultLevel::Street,
        DefaultLevel::Department,
        DefaultLevel::District,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DefaultLevel::Grid => "grid",
            DefaultLevel::Community => "community",
            DefaultLevel::Street => "street",
            DefaultLevel::Department => "department",
            DefaultLevel::District => "district",
        }
    }

    pub fn parse(s: &str) -> Option<DefaultLevel> {
        DefaultLevel::ALL
            .into_iter()
            .find(|l| l.as_str() == s.trim())
    }

    /// The territorial level, or `None` for [`DefaultLevel::Department`].
    pub fn territory_level(self) -> Option<Level> {
        match self {
            DefaultLevel::Grid => Some(Level::Grid),
            DefaultLevel::Community => Some(Level::Community),
            DefaultLevel::Street => Some(Level::Street),
            DefaultLevel::Department => None,
            DefaultLevel::District => Some(Level::District),
        }
    }
}

impl std::fmt::Display for DefaultLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryGroup {
    pub code: String,
    pub name: String,
    pub name_en: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// Stable ASCII code, e.g. `heating.no_heat`.
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// Code of its [`CategoryGroup`].
    pub group: String,
    /// Department kind keys ([`crate::accounts::DEPARTMENT_KINDS`]); the
    /// first is the lead department, the others assist.
    pub departments: Vec<String>,
    pub default_level: DefaultLevel,
    pub limit: LimitClass,
    /// Whether an appeal of this category must carry a location.
    pub needs_location: bool,
    /// Chinese search terms (besides the names).
    #[serde(default)]
    pub keywords: Vec<String>,
}

impl Category {
    /// The limit class after the appeal's urgency.
    pub fn effective_class(&self, urgency: Urgency) -> LimitClass {
        self.limit.tightened(urgency)
    }
}

/// The time limit of each class, configurable in the taxonomy file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassLimits {
    pub emergency: TimeLimit,
    pub utility: TimeLimit,
    pub general: TimeLimit,
    pub complex: TimeLimit,
}

impl Default for ClassLimits {
    /// [`LimitClass::standard_limit`] of each class.
    fn default() -> Self {
        ClassLimits {
            emergency: LimitClass::Emergency.standard_limit(),
            utility: LimitClass::Utility.standard_limit(),
            general: LimitClass::General.standard_limit(),
            complex: LimitClass::Complex.standard_limit(),
        }
    }
}

impl ClassLimits {
    pub fn get(&self, class: LimitClass) -> TimeLimit {
        match class {
            LimitClass::Emergency => self.emergency,
            LimitClass::Utility => self.utility,
            LimitClass::General => self.general,
            LimitClass::Complex => self.complex,
        }
    }
}

/// What a taxonomy file got wrong. Nothing of a rejected file is used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TaxonomyError {
    #[error("not a valid taxonomy: {0}")]
    Json(String),
    #[error("bad code {0:?}: use 1–{MAX_CODE_LEN} of a–z, 0–9, '_' and '.'")]
    BadCode(String),
    #[error("group {0:?} is defined twice")]
    DuplicateGroup(String),
    #[error("category {0:?} is defined twice")]
    DuplicateCategory(String),
    #[error("{code}: the {field} is empty")]
    EmptyName { code: String, field: &'static str },
    #[error("category {category}: unknown group {group:?}")]
    UnknownGroup { category: String, group: String },
    #[error("group {0:?} has no category")]
    EmptyGroup(String),
    #[error("category {0}: at least one department kind is required")]
    NoDepartments(String),
    #[error("category {category}: unknown department kind {department:?}")]
    UnknownDepartment {
        category: String,
        department: String,
    },
    #[error("category {category}: department kind {department:?} is listed twice")]
    DuplicateDepartment {
        category: String,
        department: String,
    },
    #[error("category {0}: a keyword is empty")]
    EmptyKeyword(String),
    #[error("time limit of class {class}: {reason}")]
    BadLimit {
        class: LimitClass,
        reason: &'static str,
    },
}

impl TaxonomyError {
    /// A stable key for the kind of problem (for translation and tests).
    pub fn problem(&self) -> &'static str {
        match self {
            TaxonomyError::Json(_) => "malformed",
            TaxonomyError::BadCode(_) => "bad_code",
            TaxonomyError::DuplicateGroup(_) => "duplicate_group",
            TaxonomyError::DuplicateCategory(_) => "duplicate_category",
            TaxonomyError::EmptyName { .. } => "empty_name",
            TaxonomyError::UnknownGroup { .. } => "unknown_group",
            TaxonomyError::EmptyGroup(_) => "empty_group",
            TaxonomyError::NoDepartments(_) => "no_departments",
            TaxonomyError::UnknownDepartment { .. } => "unknown_department",
            TaxonomyError::DuplicateDepartment { .. } => "duplicate_department",
            TaxonomyError::EmptyKeyword(_) => "empty_keyword",
            TaxonomyError::BadLimit { .. } => "bad_limit",
        }
    }
}

fn valid_code(code: &str) -> bool {
    (1..=MAX_CODE_LEN).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.')
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaxonomyFile {
    #[serde(default)]
    limits: ClassLimits,
    groups: Vec<CategoryGroup>,
    categories: Vec<Category>,
}

#[derive(Serialize)]
struct TaxonomyView<'a> {
    limits: &'a ClassLimits,
    groups: &'a [CategoryGroup],
    categories: &'a [Category],
}

/// The checked taxonomy: groups and categories in file order, the limits of
/// each class, and an index by code. Serialises back to the file format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Taxonomy {
    limits: ClassLimits,
    groups: Vec<CategoryGroup>,
    categories: Vec<Category>,
    by_code: BTreeMap<String, usize>,
}

impl Serialize for Taxonomy {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        TaxonomyView {
            limits: &self.limits,
            groups: &self.groups,
            categories: &self.categories,
        }
        .serialize(serializer)
    }
}

static BUILTIN: LazyLock<Taxonomy> = LazyLock::new(|| {
    // The embedded file is checked by the unit tests (`builtin_*`); an empty
    // taxonomy here would only mean an untested build.
    Taxonomy::parse(BUILTIN_JSON).unwrap_or_else(|_| Taxonomy {
        limits: ClassLimits::default(),
        groups: Vec::new(),
        categories: Vec::new(),
        by_code: BTreeMap::new(),
    })
});

impl Taxonomy {
    /// The taxonomy shipped with the binary (`data/categories.json`).
    pub fn builtin() -> Taxonomy {
        BUILTIN.clone()
    }

    /// The embedded file, as a starting point for an administrator's own.
    pub fn builtin_json() -> &'static str {
        BUILTIN_JSON
    }

    /// Parses and checks a taxonomy file (format: `data/categories.json`;
    /// `limits` may be left out for the standard ones).
    pub fn parse(json: &str) -> Result<Taxonomy, TaxonomyError> {
        let file: TaxonomyFile =
            serde_json::from_str(json).map_err(|e| TaxonomyError::Json(e.to_string()))?;
        Taxonomy::new(file.groups, file.categories, file.limits)
    }

    /// Checks and builds a taxonomy: valid unique codes, non-empty names,
    /// every category in a known group, every group used, at least one
    /// known department kind per category (no repeats), no empty keyword,
    /// and non-zero limits with signing due no later than replying.
    pub fn new(
        groups: Vec<CategoryGroup>,
        categories: Vec<Category>,
        limits: ClassLimits,
    ) -> Result<Taxonomy, TaxonomyError> {
        for class in LimitClass::ALL {
            let limit = limits.get(class);
            let bad = |reason| Err(TaxonomyError::BadLimit { class, reason });
            if limit.sign_minutes == 0 {
                return bad("the sign-for limit must be positive");
            }
            match limit.reply {
                ReplyLimit::Hours(0) => return bad("the reply limit must be positive"),
                ReplyLimit::Hours(h) if u64::from(limit.sign_minutes) > u64::from(h) * 60 => {
                    return bad("the sign-for limit is longer than the reply limit");
                }
                _ => {}
            }
        }
        let mut group_codes = BTreeSet::new();
        for g in &groups {
            if !valid_code(&g.code) {
                return Err(TaxonomyError::BadCode(g.code.clone()));
            }
            if !group_codes.insert(g.code.as_str()) {
                return Err(TaxonomyError::DuplicateGroup(g.code.clone()));
            }
            check_names(&g.code, &g.name, &g.name_en)?;
        }
        let mut by_code = BTreeMap::new();
        let mut used_groups = BTreeSet::new();
        for (i, c) in categories.iter().enumerate() {
            if !valid_code(&c.code) {
                return Err(TaxonomyError::BadCode(c.code.clone()));
            }
            if by_code.insert(c.code.clone(), i).is_some() {
                return Err(TaxonomyError::DuplicateCategory(c.code.clone()));
            }
            check_names(&c.code, &c.name, &c.name_en)?;
            if !group_codes.contains(c.group.as_str()) {
                return Err(TaxonomyError::UnknownGroup {
                    category: c.code.clone(),
                    group: c.group.clone(),
                });
            }
            used_groups.insert(c.group.as_str());
            if c.departments.is_empty() {
                return Err(TaxonomyError::NoDepartments(c.code.clone()));
            }
            let mut seen = BTreeSet::new();
            for d in &c.departments {
                if DepartmentKind::by_key(d).is_none() {
                    return Err(TaxonomyError::UnknownDepartment {
                        category: c.code.clone(),
                        department: d.clone(),
                    });
                }
                if !seen.insert(d.as_str()) {
                    return Err(TaxonomyError::DuplicateDepartment {
                        category: c.code.clone(),
                        department: d.clone(),
                    });
                }
            }
            if c.keywords.iter().any(|k| k.trim().is_empty()) {
                return Err(TaxonomyError::EmptyKeyword(c.code.clone()));
            }
        }
        if let Some(g) = groups
            .iter()
            .find(|g| !used_groups.contains(g.code.as_str()))
        {
            return Err(TaxonomyError::EmptyGroup(g.code.clone()));
        }
        Ok(Taxonomy {
            limits,
            groups,
            categories,
            by_code,
        })
    }

    /// In file order.
    pub fn groups(&self) -> &[CategoryGroup] {
        &self.groups
    }

    /// In file order.
    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    pub fn limits(&self) -> &ClassLimits {
        &self.limits
    }

    pub fn group(&self, code: &str) -> Option<&CategoryGroup> {
        self.groups.iter().find(|g| g.code == code)
    }

    pub fn get(&self, code: &str) -> Option<&Category> {
        self.by_code.get(code).and_then(|i| self.categories.get(*i))
    }

    /// The categories of a group, in file order (empty for an unknown group).
    pub fn in_group<'a>(&'a self, group: &'a str) -> impl Iterator<Item = &'a Category> + 'a {
        self.categories.iter().filter(move |c| c.group == group)
    }

    /// The time limit of `category` for an appeal of `urgency`: the limit of
    /// the category's class, tightened by the urgency (module docs).
    pub fn effective_limit(&self, category: &Category, urgency: Urgency) -> TimeLimit {
        self.limits.get(category.effective_class(urgency))
    }

    /// Categories matching `query`, best first (ties in file order).
    ///
    /// The query is split on whitespace; every term must match the category
    /// somewhere (case-insensitive): its code or a name exactly (best), a
    /// name containing the term, a keyword equal to or containing the term,
    /// or its group's name. A term that *contains* one of the category's
    /// names or keywords (of two characters or more) also matches, so a
    /// resident's sentence ("家里暖气不热") finds its category. An empty
    /// query matches nothing.
    pub fn search(&self, query: &str) -> Vec<&Category> {
        let terms: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        if terms.is_empty() {
            return Vec::new();
        }
        let mut hits: Vec<(u32, usize, &Category)> = Vec::new();
        'categories: for (i, c) in self.categories.iter().enumerate() {
            let group = self.group(&c.group);
            let mut total = 0;
            for term in &terms {
                let score = term_score(c, group, term);
                if score == 0 {
                    continue 'categories;
                }
                total += score;
            }
            hits.push((total, i, c));
        }
        hits.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        hits.into_iter().map(|(_, _, c)| c).collect()
    }
}

fn check_names(code: &str, name: &str, name_en: &str) -> Result<(), TaxonomyError> {
    if name.trim().is_empty() {
        return Err(TaxonomyError::EmptyName {
            code: code.to_owned(),
            field: "name",
        });
    }
    if name_en.trim().is_empty() {
        return Err(TaxonomyError::EmptyName {
            code: code.to_owned(),
            field: "name_en",
        });
    }
    Ok(())
}

/// How well one lower-cased term matches a category; 0 is no match.
fn term_score(c: &Category, group: Option<&CategoryGroup>, term: &str) -> u32 {
    let names = [c.name.to_lowercase(), c.name_en.to_lowercase()];
    let keywords: Vec<String> = c.keywords.iter().map(|k| k.to_lowercase()).collect();
    let long_enough = |s: &str| s.chars().count() >= 2;
    if c.code == term || names.iter().any(|n| n == term) {
        100
    } else if names.iter().any(|n| n.contains(term)) {
        50
    } else if keywords.iter().any(|k| k == term) {
        40
    } else if keywords.iter().any(|k| k.contains(term)) {
        30
    } else if names
        .iter()
        .chain(&keywords)
        .any(|k| long_enough(k) && term.contains(k.as_str()))
    {
        20
    } else if group.is_some_and(|g| {
        g.name.to_lowercase().contains(term) || g.name_en.to_lowercase().contains(term)
    }) {
        10
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use jiff::civil::date;

    use super::*;
    use crate::accounts::DEPARTMENT_KINDS;
    use crate::appeals::calendar::end_of_day;

    fn tax() -> Taxonomy {
        Taxonomy::builtin()
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn codes(cats: &[&Category]) -> Vec<String> {
        cats.iter().map(|c| c.code.clone()).collect()
    }

    #[test]
    fn builtin_parses_and_has_the_expected_shape() {
        let t = Taxonomy::parse(Taxonomy::builtin_json()).unwrap();
        assert_eq!(t, tax());
        let (groups, cats) = (t.groups().len(), t.categories().len());
        assert!((9..=12).contains(&groups), "{groups} groups");
        assert!((35..=45).contains(&cats), "{cats} categories");
        assert_eq!(t.limits(), &ClassLimits::default());
        for g in t.groups() {
            assert!(
                t.in_group(&g.code).count() >= 2,
                "group {} too small",
                g.code
            );
            assert_eq!(t.group(&g.code), Some(g));
        }
        for c in t.categories() {
            assert_eq!(t.get(&c.code), Some(c));
            // Codes name their group, by convention of the builtin file.
            assert!(c.code.starts_with(&format!("{}.", c.group)), "{}", c.code);
            assert!(c.keywords.len() >= 3, "{} needs keywords", c.code);
            assert!(c.name_en.is_ascii(), "{}", c.code);
        }
        assert_eq!(t.get("nope"), None);
        assert_eq!(t.in_group("nope").count(), 0);
    }

    #[test]
    fn every_department_kind_level_and_class_is_used() {
        let t = tax();
        for kind in DEPARTMENT_KINDS {
            assert!(
                t.categories()
                    .iter()
                    .any(|c| c.departments.iter().any(|d| d == kind.key)),
                "no category for department kind {}",
                kind.key
            );
        }
        for level in DefaultLevel::ALL {
            assert!(
                t.categories().iter().any(|c| c.default_level == level),
                "{level}"
            );
        }
        for class in LimitClass::ALL {
            assert!(t.categories().iter().any(|c| c.limit == class), "{class}");
        }
    }

    #[test]
    fn sensible_defaults_for_well_known_categories() {
        let t = tax();
        let c = |code: &str| t.get(code).unwrap();
        assert_eq!(c("safety.gas_leak").limit, LimitClass::Emergency);
        assert_eq!(c("heating.no_heat").limit, LimitClass::Utility);
        assert_eq!(c("heating.no_heat").departments, vec!["heating"]);
        assert_eq!(c("utilities.water").limit, LimitClass::Utility);
        assert_eq!(c("utilities.power").limit, LimitClass::Utility);
        assert_eq!(c("market.food_safety").limit, LimitClass::General);
        assert_eq!(c("labour.wage_arrears").limit, LimitClass::Complex);
        assert_eq!(
            c("labour.wage_arrears").departments,
            vec!["human_resources"]
        );
        assert_eq!(c("housing.demolition").limit, LimitClass::Complex);
        assert_eq!(
            c("housing.demolition").default_level,
            DefaultLevel::District
        );
        assert_eq!(c("housing.quality").limit, LimitClass::Complex);
        assert_eq!(c("urban.sanitation").default_level, DefaultLevel::Grid);
        assert_eq!(c("urban.manhole_covers").default_level, DefaultLevel::Grid);
        assert_eq!(
            c("community.neighbour_dispute").default_level,
            DefaultLevel::Grid
        );
        assert_eq!(c("property.service").default_level, DefaultLevel::Community);
        assert_eq!(c("community.pets").default_level, DefaultLevel::Community);
        assert_eq!(
            c("community.elevator").default_level,
            DefaultLevel::Community
        );
        assert_eq!(
            c("market.food_safety").default_level,
            DefaultLevel::Department
        );
        assert!(c("urban.manhole_covers").needs_location);
        assert!(!c("labour.wage_arrears").needs_location);
    }

    #[test]
    fn urgency_only_tightens() {
        use LimitClass::*;
        let cases = [
            // (category class, urgency, effective class)
            (Emergency, Urgency::Normal, Emergency),
            (Emergency, Urgency::Urgent, Emergency),
            (Emergency, Urgency::Emergency, Emergency),
            (Utility, Urgency::Normal, Utility),
            (Utility, Urgency::Urgent, Utility),
            (Utility, Urgency::Emergency, Emergency),
            (General, Urgency::Normal, General),
            (General, Urgency::Urgent, Utility),
            (General, Urgency::Emergency, Emergency),
            (Complex, Urgency::Normal, Complex),
            (Complex, Urgency::Urgent, Utility),
            (Complex, Urgency::Emergency, Emergency),
        ];
        for (class, urgency, expected) in cases {
            assert_eq!(class.tightened(urgency), expected, "{class} {urgency}");
            assert!(expected <= class);
        }
        let t = tax();
        let food = t.get("market.food_safety").unwrap();
        assert_eq!(
            t.effective_limit(food, Urgency::Normal),
            TimeLimit {
                sign_minutes: 120,
                reply: ReplyLimit::WorkingDays(7)
            }
        );
        assert_eq!(
            t.effective_limit(food, Urgency::Urgent),
            TimeLimit {
                sign_minutes: 60,
                reply: ReplyLimit::Hours(24)
            }
        );
        assert_eq!(
            t.effective_limit(food, Urgency::Emergency),
            TimeLimit {
                sign_minutes: 30,
                reply: ReplyLimit::Hours(2)
            }
        );
        let gas = t.get("safety.gas_leak").unwrap();
        assert_eq!(
            t.effective_limit(gas, Urgency::Normal),
            t.limits().emergency
        );
        let wages = t.get("labour.wage_arrears").unwrap();
        assert_eq!(
            t.effective_limit(wages, Urgency::Normal).reply,
            ReplyLimit::WorkingDays(15)
        );
    }

    #[test]
    fn enums_parse_and_print() {
        for u in Urgency::ALL {
            assert_eq!(Urgency::parse(u.as_str()), Some(u));
            assert_eq!(Urgency::parse(u.name_zh()), Some(u));
            assert_eq!(serde_json::to_string(&u).unwrap(), format!("\"{u}\""));
        }
        assert_eq!(Urgency::parse(" URGENT "), Some(Urgency::Urgent));
        assert_eq!(Urgency::parse("特别紧急"), Some(Urgency::Emergency));
        assert_eq!(Urgency::parse("soon"), None);
        assert_eq!(Urgency::default(), Urgency::Normal);
        for c in LimitClass::ALL {
            assert_eq!(LimitClass::parse(c.as_str()), Some(c));
            assert_eq!(serde_json::to_string(&c).unwrap(), format!("\"{c}\""));
        }
        assert_eq!(LimitClass::parse("fast"), None);
        for l in DefaultLevel::ALL {
            assert_eq!(DefaultLevel::parse(l.as_str()), Some(l));
            assert_eq!(serde_json::to_string(&l).unwrap(), format!("\"{l}\""));
        }
        assert_eq!(DefaultLevel::parse("city"), None);
        assert_eq!(DefaultLevel::Department.territory_level(), None);
        assert_eq!(DefaultLevel::Grid.territory_level(), Some(Level::Grid));
        assert_eq!(
            DefaultLevel::District.territory_level(),
            Some(Level::District)
        );
        assert_eq!(
            serde_json::to_string(&ReplyLimit::WorkingDays(7)).unwrap(),
            r#"{"working_days":7}"#
        );
    }

    #[test]
    fn search_by_chinese_english_and_keywords() {
        let t = tax();
        let hits = t.search("暖气");
        assert_eq!(hits.first().unwrap().code, "heating.no_heat");
        assert!(codes(&hits).contains(&"heating.pipe_leak".to_owned()));
        let hits = t.search("heating");
        let heating: Vec<String> = t.in_group("heating").map(|c| c.code.clone()).collect();
        for code in &heating {
            assert!(codes(&hits).contains(code), "{code}");
        }
        assert_eq!(t.search("HEATING"), hits);
        assert_eq!(t.search("欠薪")[0].code, "labour.wage_arrears");
        assert_eq!(t.search("拖欠工资")[0].code, "labour.wage_arrears");
        assert_eq!(t.search("Unpaid wages")[0].code, "labour.wage_arrears");
        assert_eq!(t.search("safety.gas_leak")[0].code, "safety.gas_leak");
        assert_eq!(t.search("井盖")[0].code, "urban.manhole_covers");
        // A resident's sentence finds its category.
        assert_eq!(t.search("家里暖气不热怎么办")[0].code, "heating.no_heat");
        assert_eq!(
            t.search("楼下烧烤油烟太大")[0].code,
            "environment.air_pollution"
        );
        // All terms must match.
        assert_eq!(
            codes(&t.search("noise construction")),
            vec!["environment.construction_noise"]
        );
        // A group name finds the whole group.
        let market: Vec<String> = t.in_group("market").map(|c| c.code.clone()).collect();
        let hits = codes(&t.search("市场监管"));
        for code in &market {
            assert!(hits.contains(code), "{code}");
        }
        assert!(t.search("").is_empty());
        assert!(t.search("   ").is_empty());
        assert!(t.search("火星殖民").is_empty());
    }

    #[test]
    fn due_across_a_holiday() {
        let cal = HolidayCalendar::builtin();
        let t = tax();
        // A general appeal on Thu 12 Feb 2026, 10:00: sign by 12:00; reply by
        // the end of the 7th working day, Sat 28 Feb (调休), across 春节.
        let received = ts("2026-02-12T10:00:00+08:00");
        let general = t.effective_limit(t.get("market.food_safety").unwrap(), Urgency::Normal);
        assert_eq!(
            due(&cal, &general, received),
            Due {
                sign_by: ts("2026-02-12T12:00:00+08:00"),
                reply_by: end_of_day(date(2026, 2, 28)),
            }
        );
        // Complex, received on the eve of National Day 2025 (Tue 30 Sep):
        // Thu 9 (1), Fri 10 (2), Sat 11 调休 (3), Mon 13 … Fri 17 (4–8),
        // Mon 20 … Fri 24 (9–13), Mon 27 (14), Tue 28 (15).
        let received = ts("2025-09-30T16:30:00+08:00");
        let complex = t.limits().complex;
        let d = due(&cal, &complex, received);
        assert_eq!(d.sign_by, ts("2025-09-30T20:30:00+08:00"));
        assert_eq!(d.reply_by, end_of_day(date(2025, 10, 28)));
        // An emergency during the Spring Festival runs on the clock.
        let received = ts("2026-02-17T23:00:00+08:00");
        let gas = t.effective_limit(t.get("safety.gas_leak").unwrap(), Urgency::Normal);
        assert_eq!(
            due(&cal, &gas, received),
            Due {
                sign_by: ts("2026-02-17T23:30:00+08:00"),
                reply_by: ts("2026-02-18T01:00:00+08:00"),
            }
        );
        // Utility: 24 clock hours.
        let heat = t.effective_limit(t.get("heating.no_heat").unwrap(), Urgency::Normal);
        let d = due(&cal, &heat, received);
        assert_eq!(d.reply_by, ts("2026-02-18T23:00:00+08:00"));
        assert_eq!(d.sign_by, ts("2026-02-18T00:00:00+08:00"));
    }

    #[test]
    fn round_trips_through_json() {
        let t = tax();
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(Taxonomy::parse(&json).unwrap(), t);
    }

    const GROUP: &str = r#"{"code": "heating", "name": "供暖", "name_en": "Heating"}"#;

    fn category(code: &str, group: &str, departments: &str) -> String {
        format!(
            r#"{{"code": "{code}", "name": "暖气不热", "name_en": "No heat", "group": "{group}",
                "departments": {departments}, "default_level": "department",
                "limit": "utility", "needs_location": true, "keywords": ["暖气"]}}"#
        )
    }

    fn file(groups: &[&str], categories: &[String]) -> String {
        format!(
            r#"{{"groups": [{}], "categories": [{}]}}"#,
            groups.join(","),
            categories.join(",")
        )
    }

    #[test]
    fn a_minimal_file_gets_the_standard_limits() {
        let t = Taxonomy::parse(&file(
            &[GROUP],
            &[category("heating.no_heat", "heating", r#"["heating"]"#)],
        ))
        .unwrap();
        assert_eq!(t.limits(), &ClassLimits::default());
        assert_eq!(t.categories().len(), 1);
        // Custom limits are used.
        let json = r#"{"limits": {
            "emergency": {"sign_minutes": 15, "reply": {"hours": 1}},
            "utility": {"sign_minutes": 60, "reply": {"hours": 12}},
            "general": {"sign_minutes": 120, "reply": {"working_days": 5}},
            "complex": {"sign_minutes": 240, "reply": {"working_days": 10}}},
            "groups": [GROUP], "categories": [CAT]}"#
            .replace("GROUP", GROUP)
            .replace(
                "CAT",
                &category("heating.no_heat", "heating", r#"["heating"]"#),
            );
        let t = Taxonomy::parse(&json).unwrap();
        let c = t.get("heating.no_heat").unwrap();
        assert_eq!(
            t.effective_limit(c, Urgency::Normal).reply,
            ReplyLimit::Hours(12)
        );
        assert_eq!(t.effective_limit(c, Urgency::Emergency).sign_minutes, 15);
    }

    #[test]
    fn parse_errors() {
        let ok = category("heating.no_heat", "heating", r#"["heating"]"#);
        let other = r#"{"code": "water", "name": "水", "name_en": "Water"}"#;
        let limits = |emergency: &str| {
            format!(
                r#"{{"limits": {{"emergency": {emergency},
                    "utility": {{"sign_minutes": 60, "reply": {{"hours": 24}}}},
                    "general": {{"sign_minutes": 120, "reply": {{"working_days": 7}}}},
                    "complex": {{"sign_minutes": 240, "reply": {{"working_days": 15}}}}}},
                    "groups": [{GROUP}], "categories": [{ok}]}}"#
            )
        };
        let cases: Vec<(String, &str)> = vec![
            ("[]".into(), "malformed"),
            (r#"{"groups": []}"#.into(), "malformed"),
            (
                file(&[GROUP], &[ok.replace("\"utility\"", "\"slow\"")]),
                "malformed",
            ),
            (
                file(&[GROUP], &[ok.replace("\"department\",", "\"city\",")]),
                "malformed",
            ),
            (
                file(&[GROUP], &[ok.replace("\"keywords\"", "\"keyword\"")]),
                "malformed",
            ),
            (
                file(
                    &[GROUP],
                    &[category("Heating.NoHeat", "heating", r#"["heating"]"#)],
                ),
                "bad_code",
            ),
            (
                file(
                    &[GROUP],
                    &[category("heating no heat", "heating", r#"["heating"]"#)],
                ),
                "bad_code",
            ),
            (
                file(&[GROUP], &[category("", "heating", r#"["heating"]"#)]),
                "bad_code",
            ),
            (
                file(
                    &[GROUP],
                    &[category(&"a".repeat(49), "heating", r#"["heating"]"#)],
                ),
                "bad_code",
            ),
            (
                file(&[GROUP], &[category("暖气", "heating", r#"["heating"]"#)]),
                "bad_code",
            ),
            (
                file(
                    &[&GROUP.replace("\"heating\"", "\"heat-ing\"")],
                    std::slice::from_ref(&ok),
                ),
                "bad_code",
            ),
            (
                file(&[GROUP, GROUP], std::slice::from_ref(&ok)),
                "duplicate_group",
            ),
            (
                file(&[GROUP], &[ok.clone(), ok.clone()]),
                "duplicate_category",
            ),
            (file(&[GROUP], &[ok.replace("暖气不热", " ")]), "empty_name"),
            (file(&[GROUP], &[ok.replace("No heat", "")]), "empty_name"),
            (
                file(&[&GROUP.replace("供暖", "")], std::slice::from_ref(&ok)),
                "empty_name",
            ),
            (
                file(
                    &[GROUP],
                    &[category("heating.no_heat", "warmth", r#"["heating"]"#)],
                ),
                "unknown_group",
            ),
            (
                file(&[GROUP, other], std::slice::from_ref(&ok)),
                "empty_group",
            ),
            (
                file(&[GROUP], &[category("heating.no_heat", "heating", "[]")]),
                "no_departments",
            ),
            (
                file(
                    &[GROUP],
                    &[category("heating.no_heat", "heating", r#"["police"]"#)],
                ),
                "unknown_department",
            ),
            (
                file(
                    &[GROUP],
                    &[category(
                        "heating.no_heat",
                        "heating",
                        r#"["heating", "heating"]"#,
                    )],
                ),
                "duplicate_department",
            ),
            (
                file(&[GROUP], &[ok.replace("[\"暖气\"]", "[\"暖气\", \" \"]")]),
                "empty_keyword",
            ),
            (
                limits(r#"{"sign_minutes": 0, "reply": {"hours": 2}}"#),
                "bad_limit",
            ),
            (
                limits(r#"{"sign_minutes": 30, "reply": {"hours": 0}}"#),
                "bad_limit",
            ),
            (
                limits(r#"{"sign_minutes": 180, "reply": {"hours": 2}}"#),
                "bad_limit",
            ),
            (
                limits(r#"{"sign_minutes": 30, "reply": {"minutes": 2}}"#),
                "malformed",
            ),
        ];
        for (json, problem) in cases {
            let err = Taxonomy::parse(&json).unwrap_err();
            assert_eq!(err.problem(), problem, "{json}: {err}");
        }
        // Messages name the culprit.
        let err = Taxonomy::parse(&file(
            &[GROUP],
            &[category("heating.no_heat", "heating", r#"["police"]"#)],
        ))
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"category heating.no_heat: unknown department kind "police""#
        );
        let err = Taxonomy::parse(&file(&[GROUP, other], std::slice::from_ref(&ok))).unwrap_err();
        assert_eq!(err, TaxonomyError::EmptyGroup("water".into()));
        // Zero working days is allowed (same-day reply).
        assert!(
            Taxonomy::parse(&limits(
                r#"{"sign_minutes": 30, "reply": {"working_days": 0}}"#
            ))
            .is_ok()
        );
    }
}
