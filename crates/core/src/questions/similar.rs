//! "Has someone asked this already?": earlier questions whose titles share
//! enough character pairs with a new one. Character bigrams work for
//! Chinese, which has no spaces between words, and for English alike.

use std::collections::BTreeSet;

/// The least Dice similarity shown as "asked already?".
pub const THRESHOLD: f64 = 0.35;

/// Lower-cased letters, digits and CJK characters, paired with the next.
fn bigrams(text: &str) -> BTreeSet<(char, char)> {
    let chars: Vec<char> = text
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    chars.windows(2).map(|w| (w[0], w[1])).collect()
}

/// Dice's coefficient of the two titles' bigram sets, in `0.0..=1.0`.
pub fn similarity(a: &str, b: &str) -> f64 {
    let (x, y) = (bigrams(a), bigrams(b));
    if x.is_empty() || y.is_empty() {
        return 0.0;
    }
    let shared = x.intersection(&y).count();
    2.0 * shared as f64 / (x.len() + y.len()) as f64
}

/// The candidates (id, title) at least [`THRESHOLD`] similar to `title`,
/// most similar first (ties: the larger id, i.e. the newer, first), at most
/// `limit`.
pub fn similar_titles(title: &str, candidates: &[(i64, String)], limit: usize) -> Vec<i64> {
    let mut scored: Vec<(f64, i64)> = candidates
        .iter()
        .map(|(id, t)| (similarity(title, t), *id))
        .filter(|(s, _)| *s >= THRESHOLD)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
    scored.into_iter().take(limit).map(|(_, id)| id).collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_same_question_in_other_words_is_found() {
        let c = vec![
            (1, "老旧小区加装电梯有补贴吗".to_owned()),
            (2, "冬季供暖费什么时候交".to_owned()),
            (3, "加装电梯补贴标准是多少".to_owned()),
            (4, "Is there a subsidy for lifts?".to_owned()),
        ];
        assert_eq!(similar_titles("小区加装电梯的补贴", &c, 5), vec![1, 3]);
        assert_eq!(similar_titles("什么时候交供暖费？", &c, 5), vec![2]);
        assert_eq!(similar_titles("subsidy for LIFTS", &c, 5), vec![4]);
        assert!(similar_titles("路灯不亮", &c, 5).is_empty());
        assert_eq!(similar_titles("小区加装电梯的补贴", &c, 1), vec![1]);
    }

    #[test]
    fn punctuation_and_case_do_not_count() {
        assert_eq!(similarity("供暖费，何时交？", "供暖费何时交"), 1.0);
        assert_eq!(similarity("AB", "ab"), 1.0);
        assert_eq!(similarity("", "ab"), 0.0);
        assert_eq!(similarity("a", "a"), 0.0, "one character has no pair");
    }

    #[test]
    fn ties_prefer_the_newer_question() {
        let c = vec![
            (7, "供暖费何时交".to_owned()),
            (9, "供暖费何时交".to_owned()),
        ];
        assert_eq!(similar_titles("供暖费何时交", &c, 5), vec![9, 7]);
    }

    proptest! {
        #[test]
        fn similarity_is_symmetric_and_bounded(a in "\\PC{0,20}", b in "\\PC{0,20}") {
            let s = similarity(&a, &b);
            prop_assert!((0.0..=1.0).contains(&s));
            prop_assert_eq!(s, similarity(&b, &a));
            if bigrams(&a).is_empty() { prop_assert_eq!(s, 0.0); }
            else { prop_assert_eq!(similarity(&a, &a), 1.0); }
        }
    }
}
