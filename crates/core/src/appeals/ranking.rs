//! Rankings of units and departments for dashboards and the public
//! statistics: ordered by a rate, but only among those whose rate rests on
//! at least a minimum number of cases, so that a unit with two happy
//! residents does not top a list of units with hundreds. Below the
//! minimum a figure is still shown, just not ranked.

use super::measures::Rate;

/// Fewer rated cases than this and a rate is shown but not ranked.
pub const MIN_SAMPLE: u64 = 30;

/// One entry's place: `Some(rank)` from 1, or `None` when its sample is
/// too small (or it has no rate at all).
#[derive(Clone, Debug, PartialEq)]
pub struct Ranked<T> {
    pub rank: Option<usize>,
    pub item: T,
}

/// Rank `items` by `rate` (highest first); ties share a rank (1, 1, 3);
/// unranked entries follow, largest sample first.
pub fn rank_by<T>(items: Vec<T>, min_sample: u64, rate: impl Fn(&T) -> &Rate) -> Vec<Ranked<T>> {
    let (mut ranked, mut rest): (Vec<T>, Vec<T>) = items.into_iter().partition(|i| {
        let r = rate(i);
        r.denominator >= min_sample && r.value.is_some()
    });
    let value = |i: &T| rate(i).value.unwrap_or(0.0);
    ranked.sort_by(|a, b| value(b).total_cmp(&value(a)));
    rest.sort_by_key(|a| std::cmp::Reverse(rate(a).denominator));
    let mut out = Vec::with_capacity(ranked.len() + rest.len());
    let mut previous: Option<(f64, usize)> = None;
    for (i, item) in ranked.into_iter().enumerate() {
        let v = value(&item);
        let place = match previous {
            Some((pv, place)) if pv == v => place,
            _ => i + 1,
        };
        previous = Some((v, place));
        out.push(Ranked {
            rank: Some(place),
            item,
        });
    }
    out.extend(rest.into_iter().map(|item| Ranked { rank: None, item }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(n: u64, d: u64) -> Rate {
        Rate {
            numerator: n,
            denominator: d,
            value: (d > 0).then(|| n as f64 / d as f64),
        }
    }

    #[test]
    fn small_samples_are_shown_but_not_ranked() {
        let items = vec![
            ("tiny", r(2, 2)),
            ("big", r(90, 100)),
            ("mid", r(40, 50)),
            ("none", r(0, 0)),
        ];
        let out = rank_by(items, MIN_SAMPLE, |i| &i.1);
        let names: Vec<_> = out.iter().map(|x| (x.item.0, x.rank)).collect();
        assert_eq!(
            names,
            vec![
                ("big", Some(1)),
                ("mid", Some(2)),
                ("tiny", None),
                ("none", None)
            ]
        );
    }

    #[test]
    fn ties_share_a_place() {
        let items = vec![("a", r(30, 30)), ("b", r(40, 40)), ("c", r(30, 40))];
        let out = rank_by(items, 30, |i| &i.1);
        let ranks: Vec<_> = out.iter().map(|x| x.rank).collect();
        assert_eq!(ranks, vec![Some(1), Some(1), Some(3)]);
    }

    #[test]
    fn the_threshold_is_inclusive() {
        let out = rank_by(vec![r(29, 30), r(28, 29)], 30, |i| i);
        assert_eq!(out[0].rank, Some(1));
        assert_eq!(out[1].rank, None);
    }
}
