//! Collective and repeated matters: rules over individual appeals rather than counts.
//!
//! - **Collective** (群体性): one appeal that many residents joined (merged duplicates), or many
//!   appeals about one object — an address or a building — in a short time. These are the
//!   matters that turn into petitions and gatherings when nobody coordinates them.
//! - **Repeated unresolved** (重复诉求): the same problem back after it was closed as handled,
//!   reported again or reopened. It says the handling, not the resident, is failing, so the
//!   alert goes to the level *above* the handler.
//!
//! "The same object" is [`object_key`]: the address text when there is one, else the same
//! geocoded point (to about a metre). Nothing here looks at who a requester is: the rules count
//! appeals about things and places, never people.

use std::collections::BTreeMap;

use crate::appeals::Handler;

use super::rules::WarnRules;

const DAY_US: i64 = 86_400_000_000;

/// Cell size of a point object key, degrees: about 1 m. Only the same geocoded point (an
/// address resolved to its building, a re-used map pin) counts as the same object; a coarser
/// cell lumps a whole block's unrelated appeals together and turns every busy corner into a
/// "repeat" (tried: 50 m cells raised thousands of repeats on the demo city).
const CELL_DEG: f64 = 0.00001;

/// An appeal as these rules see it.
#[derive(Clone, Debug, PartialEq)]
pub struct Watched {
    pub id: i64,
    pub tracking_code: String,
    pub category: String,
    pub category_group: String,
    pub grid: Option<String>,
    /// [`object_key`] of its address or point.
    pub object: Option<String>,
    pub received_at: i64,
    pub requesters: i64,
    /// Not yet closed.
    pub open: bool,
    /// When it was closed as handled (rated, not rated in time, or resolved on site); `None`
    /// while open or when it ended otherwise (withdrawn, out of remit, invalid, merged).
    pub handled_at: Option<i64>,
    /// Reopened after an unsatisfied rating.
    pub reopened: bool,
    /// The unit or department responsible for it (the current handler, else the first).
    pub handler: Option<Handler>,
}

/// Which rule found a matter; also the alert's method name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatchKind {
    CollectiveRequesters,
    CollectiveObject,
    RepeatUnresolved,
}

impl WatchKind {
    pub fn method(self) -> &'static str {
        match self {
            Self::CollectiveRequesters => "collective_requesters",
            Self::CollectiveObject => "collective_object",
            Self::RepeatUnresolved => "repeat_unresolved",
        }
    }
}

/// A matter one of the rules found.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub kind: WatchKind,
    /// What it is about, stable from day to day so it is raised once: `appeal:<code>` or
    /// `object:<key>|<category or group>`.
    pub subject: String,
    pub category_group: String,
    /// The grid it is in (of the newest appeal behind it).
    pub grid: Option<String>,
    pub appeal_ids: Vec<i64>,
    /// Requesters, appeals or returns: the number the rule compared with its threshold.
    pub count: i64,
    /// For a repeat: who closed it last; the alert goes to the level above.
    pub handler: Option<Handler>,
}

/// The key that says two appeals are about the same object: the address with spaces and
/// punctuation dropped (so "龙凤区 卧里屯街道 3号楼" and "龙凤区卧里屯街道3号楼" agree), or, without a
/// usable address, the point `(lon, lat)` to about a metre.
pub fn object_key(address: Option<&str>, point: Option<(f64, f64)>) -> Option<String> {
    let text: String = address
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    if text.chars().count() >= 4 {
        return Some(format!("addr:{text}"));
    }
    let (lon, lat) = point?;
    if !(lon.is_finite() && lat.is_finite()) {
        return None;
    }
    let cell = |v: f64| (v / CELL_DEG).floor() as i64;
    Some(format!("cell:{}:{}", cell(lat), cell(lon)))
}

/// Open appeals that at least `collective_min_requesters` residents joined.
pub fn collective_requesters(appeals: &[Watched], rules: &WarnRules) -> Vec<Finding> {
    appeals
        .iter()
        .filter(|a| a.open && a.requesters >= i64::from(rules.collective_min_requesters))
        .map(|a| Finding {
            kind: WatchKind::CollectiveRequesters,
            subject: format!("appeal:{}", a.tracking_code),
            category_group: a.category_group.clone(),
            grid: a.grid.clone(),
            appeal_ids: vec![a.id],
            count: a.requesters,
            handler: a.handler.clone(),
        })
        .collect()
}

/// Objects with at least `collective_min_appeals` appeals of one category group received in
/// the `collective_days` days ending at `until` (µs, exclusive).
pub fn collective_objects(appeals: &[Watched], until: i64, rules: &WarnRules) -> Vec<Finding> {
    let from = until - i64::from(rules.collective_days) * DAY_US;
    let mut groups: BTreeMap<(&str, &str), Vec<&Watched>> = BTreeMap::new();
    for a in appeals {
        if let Some(object) = &a.object
            && (from..until).contains(&a.received_at)
        {
            groups
                .entry((object.as_str(), a.category_group.as_str()))
                .or_default()
                .push(a);
        }
    }
    groups
        .into_iter()
        .filter(|(_, list)| list.len() >= rules.collective_min_appeals as usize)
        .map(|((object, group), list)| Finding {
            kind: WatchKind::CollectiveObject,
            subject: format!("object:{object}|{group}"),
            category_group: group.to_owned(),
            grid: newest(&list).and_then(|a| a.grid.clone()),
            appeal_ids: list.iter().map(|a| a.id).collect(),
            count: list.len() as i64,
            handler: None,
        })
        .collect()
}

/// Objects whose problem of one category came back at least `repeat_min_returns` times: an
/// appeal received within `repeat_days` after an earlier one on the same object and category
/// was closed as handled, or an appeal reopened after its reply. Only appeals received before
/// `until` count.
pub fn repeats(appeals: &[Watched], until: i64, rules: &WarnRules) -> Vec<Finding> {
    let window = i64::from(rules.repeat_days) * DAY_US;
    let mut groups: BTreeMap<(&str, &str), Vec<&Watched>> = BTreeMap::new();
    for a in appeals {
        if let Some(object) = &a.object
            && a.received_at < until
        {
            groups
                .entry((object.as_str(), a.category.as_str()))
                .or_default()
                .push(a);
        }
    }
    let mut found = Vec::new();
    for ((object, category), mut list) in groups {
        list.sort_by_key(|a| (a.received_at, a.id));
        let mut returns = 0_i64;
        for (i, a) in list.iter().enumerate() {
            let came_back = list[..i].iter().any(|earlier| {
                earlier.handled_at.is_some_and(|closed| {
                    closed <= a.received_at && a.received_at - closed <= window
                })
            });
            returns += i64::from(came_back) + i64::from(a.reopened);
        }
        if returns < i64::from(rules.repeat_min_returns) {
            continue;
        }
        // The handler of the last closure is the one whose handling did not hold.
        let last_closed = list
            .iter()
            .filter(|a| a.handled_at.is_some())
            .max_by_key(|a| a.handled_at);
        let handler = last_closed
            .or_else(|| list.iter().rev().find(|a| a.reopened))
            .and_then(|a| a.handler.clone());
        found.push(Finding {
            kind: WatchKind::RepeatUnresolved,
            subject: format!("object:{object}|{category}"),
            category_group: list
                .first()
                .map(|a| a.category_group.clone())
                .unwrap_or_default(),
            grid: newest(&list).and_then(|a| a.grid.clone()),
            appeal_ids: list.iter().map(|a| a.id).collect(),
            count: returns,
            handler,
        });
    }
    found
}

fn newest<'a>(list: &[&'a Watched]) -> Option<&'a Watched> {
    list.iter().copied().max_by_key(|a| (a.received_at, a.id))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn appeal(id: i64, object: &str, category: &str, received_day: i64) -> Watched {
        Watched {
            id,
            tracking_code: format!("T{id}"),
            category: category.into(),
            category_group: format!("{category}-group"),
            grid: Some(format!("G{id}")),
            object: Some(object.into()),
            received_at: received_day * DAY_US,
            requesters: 1,
            open: true,
            handled_at: None,
            reopened: false,
            handler: Some(Handler::Unit("K1".into())),
        }
    }

    fn closed(mut a: Watched, day: i64, by: &str) -> Watched {
        a.open = false;
        a.handled_at = Some(day * DAY_US);
        a.handler = Some(Handler::Unit(by.into()));
        a
    }

    #[test]
    fn object_keys_ignore_spacing_and_punctuation_and_fall_back_to_a_cell() {
        let a = object_key(Some("龙凤区 卧里屯街道，3号楼"), None);
        let b = object_key(Some("龙凤区卧里屯街道3号楼"), Some((125.0, 46.5)));
        assert_eq!(a, b);
        assert_eq!(a.as_deref(), Some("addr:龙凤区卧里屯街道3号楼"));
        assert_eq!(
            object_key(Some("Building 3"), None),
            object_key(Some("building-3"), None)
        );
        // Too short to name a place: the point decides.
        let p = object_key(Some("楼"), Some((125.000011, 46.500011)));
        let q = object_key(None, Some((125.000014, 46.500014)));
        assert_eq!(p, q);
        assert!(p.unwrap().starts_with("cell:"));
        assert_ne!(q, object_key(None, Some((125.00003, 46.500011))));
        assert_eq!(object_key(None, None), None);
        assert_eq!(object_key(Some(" ,. "), Some((f64::NAN, 1.0))), None);
    }

    #[test]
    fn many_requesters_on_an_open_appeal_is_collective() {
        let rules = WarnRules::default();
        let mut many = appeal(1, "o", "heating", 0);
        many.requesters = 5;
        let mut few = appeal(2, "o", "heating", 0);
        few.requesters = 4;
        let mut closed_many = closed(appeal(3, "o", "heating", 0), 1, "K1");
        closed_many.requesters = 50;
        let found = collective_requesters(&[many, few, closed_many], &rules);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].subject, "appeal:T1");
        assert_eq!(found[0].count, 5);
        assert_eq!(found[0].kind.method(), "collective_requesters");
    }

    #[test]
    fn many_appeals_on_one_object_within_the_window_is_collective() {
        let rules = WarnRules::default(); // 5 appeals in 7 days
        let mut list: Vec<Watched> = (1..=5)
            .map(|i| appeal(i, "addr:x", "wage", 10 + i))
            .collect();
        list.push(appeal(6, "addr:y", "wage", 15));
        list.push(appeal(7, "addr:x", "noise", 15));
        // Received on days 11..=15; until the start of day 16 the window is days 9..=15.
        let found = collective_objects(&list, 16 * DAY_US, &rules);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].subject, "object:addr:x|wage-group");
        assert_eq!(found[0].appeal_ids, vec![1, 2, 3, 4, 5]);
        assert_eq!(found[0].grid.as_deref(), Some("G5"));
        // A day later the first has left the window.
        assert!(collective_objects(&list, 18 * DAY_US + 1, &rules).is_empty());
        // Appeals after `until` do not count yet.
        assert!(collective_objects(&list, 15 * DAY_US, &rules).is_empty());
    }

    #[test]
    fn a_problem_back_twice_after_closure_is_a_repeat_for_the_level_above() {
        let rules = WarnRules::default(); // 2 returns within 90 days
        let first = closed(appeal(1, "addr:x", "leak", 0), 5, "G1");
        let second = closed(appeal(2, "addr:x", "leak", 20), 25, "G1");
        let third = appeal(3, "addr:x", "leak", 40);
        let other = appeal(4, "addr:x", "noise", 41);
        let list = vec![first.clone(), second.clone(), third.clone(), other];
        let found = repeats(&list, 50 * DAY_US, &rules);
        assert_eq!(found.len(), 1);
        let f = &found[0];
        assert_eq!(f.kind, WatchKind::RepeatUnresolved);
        assert_eq!(f.subject, "object:addr:x|leak");
        assert_eq!(f.count, 2);
        assert_eq!(f.appeal_ids, vec![1, 2, 3]);
        assert_eq!(f.handler, Some(Handler::Unit("G1".into())));
        // Before the third arrived, only one return.
        assert!(repeats(&list, 40 * DAY_US, &rules).is_empty());
        // A return long after the closure is a new problem, not the old one back.
        let late = appeal(3, "addr:x", "leak", 200);
        assert!(repeats(&[first.clone(), second.clone(), late], 300 * DAY_US, &rules).is_empty());
        // A reopening counts as a return; a report before the closure does not.
        let mut reopened = closed(appeal(5, "addr:z", "leak", 0), 9, "D1");
        reopened.reopened = true;
        let again = appeal(6, "addr:z", "leak", 12);
        let during = appeal(7, "addr:z", "leak", 3);
        let found = repeats(&[reopened, again, during], 50 * DAY_US, &rules);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].count, 2);
        assert_eq!(found[0].handler, Some(Handler::Unit("D1".into())));
        // Appeals without an object are never grouped.
        let mut loose = vec![first, second, third];
        for a in &mut loose {
            a.object = None;
        }
        assert!(repeats(&loose, 50 * DAY_US, &rules).is_empty());
    }
}
