//! Automatic risk signals: the few reasons the platform can read off the
//! record itself, so that no dispute that is plainly at risk waits for
//! someone to notice. Every signal is about the dispute (how many people it
//! involves, how often mediation failed, unpaid wages before a holiday),
//! never a score of a person. Threats and signs of a collective incident are
//! judged by people and are never raised here.

use jiff::Timestamp;
use jiff::civil::Date;

use super::kind::{DisputeType, RiskReason, Side};
use super::workflow::{Dispute, Status};
use crate::appeals::calendar::{HolidayCalendar, HolidaySpan, local_date};

/// Parties from which a case counts as involving many people: at this size
/// one session cannot hear everyone and a collective matter is near.
pub const MANY_PARTIES: usize = 10;
/// Failed rounds plus breached agreements from which mediation is seen to
/// be failing: the case needs attention from above, not a third try alone.
pub const REPEATED_FAILURES: u32 = 2;
/// Wage arrears (fen) that count as large: 100 000 yuan.
pub const LARGE_ARREARS_FEN: i64 = 10_000_000;
/// Applicants from which wage arrears count as large whatever the amount:
/// several unpaid workers are a group, whatever each is owed.
pub const MANY_APPLICANTS: usize = 5;
/// Days ahead (local dates) in which a coming statutory holiday makes unpaid
/// wages urgent: workers going home for the holiday need their pay first.
pub const HOLIDAY_WINDOW_DAYS: i64 = 30;

/// What the rules read about one dispute.
#[derive(Clone, Copy, Debug)]
pub struct RiskFacts<'a> {
    pub dispute: &'a Dispute,
    pub dispute_type: DisputeType,
    /// Amount in dispute (fen), when known.
    pub amount_fen: Option<i64>,
    /// The instant of evaluation (µs UTC), from the caller's clock.
    pub now: i64,
}

/// The reasons the rules find that `dispute.risk` does not carry yet and
/// no person has cleared,
/// sorted and without repeats; empty for a closed case. The result can be
/// passed as is to `Command::FlagRisk` by `Actor::System`.
pub fn automatic_reasons(f: &RiskFacts<'_>, calendar: &HolidayCalendar) -> Vec<RiskReason> {
    let d = f.dispute;
    if d.status == Status::Closed {
        return Vec::new();
    }
    let mut reasons = Vec::new();
    if d.parties.len() >= MANY_PARTIES {
        reasons.push(RiskReason::ManyParties);
    }
    if d.failed_rounds.saturating_add(d.breaches) >= REPEATED_FAILURES {
        reasons.push(RiskReason::RepeatedFailure);
    }
    if f.dispute_type == DisputeType::LabourWage {
        let applicants = d
            .parties
            .iter()
            .filter(|p| p.side == Side::Applicant)
            .count();
        let large =
            f.amount_fen.is_some_and(|a| a >= LARGE_ARREARS_FEN) || applicants >= MANY_APPLICANTS;
        if large && holiday_ahead(f.now, calendar).is_some() {
            reasons.push(RiskReason::WageArrearsBeforeHoliday);
        }
    }
    // A reason a person has cleared is theirs to raise again, not the rules'.
    reasons.retain(|r| !d.risk.contains(r) && !d.risk_cleared.contains(r));
    reasons.sort_unstable();
    reasons.dedup();
    reasons
}

/// The first statutory holiday that is under way at `now` (µs UTC) or
/// starts within [`HOLIDAY_WINDOW_DAYS`] local days after it (day 30
/// included), so the caller can name it in the flag's note. Only years the
/// calendar covers have holidays; `None` for an instant out of range.
pub fn holiday_ahead(now: i64, calendar: &HolidayCalendar) -> Option<&HolidaySpan> {
    let today = local_date(Timestamp::from_microsecond(now).ok()?);
    let year = today.year();
    // A window near the turn of the year reaches into the next year's
    // schedule; a span may also have started in the previous year's.
    [year.checked_sub(1), Some(year), year.checked_add(1)]
        .into_iter()
        .flatten()
        .filter_map(|y| calendar.schedule(y))
        .flat_map(|s| s.holidays())
        .filter(|h| h.to >= today && days_between(today, h.from) <= HOLIDAY_WINDOW_DAYS)
        .min_by_key(|h| h.from)
}

/// Whole days from `a` to `b` (negative when `b` is earlier).
fn days_between(a: Date, b: Date) -> i64 {
    a.duration_until(b).as_hours() / 24
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use jiff::civil::{date, time};
    use proptest::prelude::*;

    use super::*;
    use crate::appeals::calendar::{CHINA_OFFSET, start_of_day};
    use crate::mediation::kind::Source;
    use crate::mediation::workflow::{Actor, Command, Outcome};

    /// Noon (+08:00) of a local date, µs UTC.
    fn noon(d: Date) -> i64 {
        CHINA_OFFSET
            .to_timestamp(d.to_datetime(time(12, 0, 0, 0)))
            .unwrap()
            .as_microsecond()
    }

    /// A case with `applicants` applicants and `respondents` respondents.
    fn case(applicants: usize, respondents: usize) -> Dispute {
        let mut sides = vec![Side::Applicant; applicants];
        sides.extend(vec![Side::Respondent; respondents]);
        Dispute::new(
            1,
            Source::WalkIn,
            "pK".into(),
            &sides,
            noon(date(2026, 1, 5)),
        )
    }

    fn reasons(d: &Dispute, t: DisputeType, amount: Option<i64>, now: i64) -> Vec<RiskReason> {
        automatic_reasons(
            &RiskFacts {
                dispute: d,
                dispute_type: t,
                amount_fen: amount,
                now,
            },
            &HolidayCalendar::builtin(),
        )
    }

    /// A date with no holiday in its window (2026-03-01: Qingming starts 34 days later).
    fn quiet() -> i64 {
        noon(date(2026, 3, 1))
    }

    #[test]
    fn the_builtin_calendar_covers_2025_and_2026() {
        let c = HolidayCalendar::builtin();
        assert_eq!(c.years().collect::<Vec<_>>(), vec![2025, 2026]);
        let spring = c.holiday(date(2026, 2, 15)).unwrap();
        assert_eq!(spring.name_en, "Spring Festival");
        assert_eq!(spring.from, date(2026, 2, 15));
        assert_eq!(holiday_ahead(quiet(), &c), None);
    }

    #[test]
    fn many_parties_from_ten() {
        let nine = case(1, 8);
        assert_eq!(
            reasons(&nine, DisputeType::Neighbours, None, quiet()),
            vec![]
        );
        let ten = case(1, 9);
        assert_eq!(
            reasons(&ten, DisputeType::Neighbours, None, quiet()),
            vec![RiskReason::ManyParties]
        );
        assert_eq!(MANY_PARTIES, 10);
    }

    #[test]
    fn repeated_failure_from_two_failures_or_breaches() {
        let mut d = case(1, 1);
        d.failed_rounds = 1;
        assert_eq!(reasons(&d, DisputeType::Neighbours, None, quiet()), vec![]);
        d.failed_rounds = 2;
        assert_eq!(
            reasons(&d, DisputeType::Neighbours, None, quiet()),
            vec![RiskReason::RepeatedFailure]
        );
        d.failed_rounds = 0;
        d.breaches = 1;
        assert_eq!(reasons(&d, DisputeType::Neighbours, None, quiet()), vec![]);
        d.failed_rounds = 1;
        assert_eq!(
            reasons(&d, DisputeType::Neighbours, None, quiet()),
            vec![RiskReason::RepeatedFailure]
        );
        d.failed_rounds = u32::MAX;
        assert_eq!(
            reasons(&d, DisputeType::Neighbours, None, quiet()),
            vec![RiskReason::RepeatedFailure]
        );
    }

    #[test]
    fn repeated_failure_played_through_the_workflow() {
        let t = noon(date(2026, 3, 1));
        let mut d = case(1, 1);
        let go = |d: &Dispute, c: Command, a: Actor| d.apply(&c, &a, t).unwrap().0;
        d = go(
            &d,
            Command::AssignMediators { mediators: vec![7] },
            Actor::Organisation,
        );
        for round in 0..2 {
            assert_eq!(reasons(&d, DisputeType::Neighbours, None, t), vec![]);
            for party in 0..2 {
                d = go(
                    &d,
                    Command::RecordConsent {
                        party,
                        consent: true,
                    },
                    Actor::Mediator,
                );
            }
            d = go(
                &d,
                Command::NoAgreement {
                    reason: "分歧较大".into(),
                },
                Actor::Mediator,
            );
            if round == 0 {
                assert_eq!(reasons(&d, DisputeType::Neighbours, None, t), vec![]);
                d = go(
                    &d,
                    Command::Reopen {
                        reason: "再次调解".into(),
                    },
                    Actor::Organisation,
                );
            }
        }
        assert_eq!(d.failed_rounds, 2);
        assert_eq!(
            reasons(&d, DisputeType::Neighbours, None, t),
            vec![RiskReason::RepeatedFailure]
        );
    }

    #[test]
    fn wage_arrears_thirty_days_before_the_spring_festival() {
        let d = case(1, 1);
        let large = Some(LARGE_ARREARS_FEN);
        // Spring Festival 2026 starts on 15 February.
        assert_eq!(
            reasons(&d, DisputeType::LabourWage, large, noon(date(2026, 1, 16))),
            vec![RiskReason::WageArrearsBeforeHoliday]
        );
        assert_eq!(
            reasons(&d, DisputeType::LabourWage, large, noon(date(2026, 1, 15))),
            vec![]
        );
        // The day turns at midnight in China, not in UTC.
        let midnight = start_of_day(date(2026, 1, 16)).as_microsecond();
        assert_eq!(
            reasons(&d, DisputeType::LabourWage, large, midnight),
            vec![RiskReason::WageArrearsBeforeHoliday]
        );
        assert_eq!(
            reasons(&d, DisputeType::LabourWage, large, midnight - 1),
            vec![]
        );
        let c = HolidayCalendar::builtin();
        assert_eq!(
            holiday_ahead(midnight, &c).map(|h| h.name_en.as_str()),
            Some("Spring Festival")
        );
    }

    #[test]
    fn wage_arrears_during_a_holiday_and_after_it() {
        let d = case(1, 1);
        let large = Some(LARGE_ARREARS_FEN);
        for day in [15, 20, 23] {
            assert_eq!(
                reasons(&d, DisputeType::LabourWage, large, noon(date(2026, 2, day))),
                vec![RiskReason::WageArrearsBeforeHoliday],
                "2026-02-{day}"
            );
        }
        // The day after: Qingming (4 April) is 39 days away.
        assert_eq!(
            reasons(&d, DisputeType::LabourWage, large, noon(date(2026, 2, 24))),
            vec![]
        );
    }

    #[test]
    fn wage_arrears_across_the_turn_of_the_year() {
        let d = case(1, 1);
        let large = Some(LARGE_ARREARS_FEN);
        // New Year's Day 2026 is in the 2026 schedule; nothing in 2025 after National Day.
        assert_eq!(
            reasons(&d, DisputeType::LabourWage, large, noon(date(2025, 12, 2))),
            vec![RiskReason::WageArrearsBeforeHoliday]
        );
        assert_eq!(
            reasons(&d, DisputeType::LabourWage, large, noon(date(2025, 12, 1))),
            vec![]
        );
        // 2024 is not covered, but 2025's New Year's Day is.
        assert_eq!(
            reasons(&d, DisputeType::LabourWage, large, noon(date(2024, 12, 2))),
            vec![RiskReason::WageArrearsBeforeHoliday]
        );
    }

    #[test]
    fn uncovered_years_have_no_holidays_until_loaded() {
        let d = case(1, 1);
        let large = Some(LARGE_ARREARS_FEN);
        // Spring Festival 2027 starts on 6 February; the builtin calendar stops at 2026.
        let now = noon(date(2027, 1, 20));
        assert_eq!(reasons(&d, DisputeType::LabourWage, large, now), vec![]);
        let y2027 = HolidayCalendar::parse_year(
            r#"{"year": 2027, "source": "test", "holidays": [
                {"name": "春节", "name_en": "Spring Festival", "from": "2027-02-06", "to": "2027-02-13"}
            ], "workdays": []}"#,
        )
        .unwrap();
        let calendar = HolidayCalendar::builtin().with_year(y2027);
        let f = RiskFacts {
            dispute: &d,
            dispute_type: DisputeType::LabourWage,
            amount_fen: large,
            now,
        };
        assert_eq!(
            automatic_reasons(&f, &calendar),
            vec![RiskReason::WageArrearsBeforeHoliday]
        );
        assert_eq!(automatic_reasons(&f, &HolidayCalendar::default()), vec![]);
    }

    #[test]
    fn wage_arrears_need_a_large_amount_or_five_applicants() {
        let now = noon(date(2026, 2, 1));
        let one = case(1, 1);
        let t = DisputeType::LabourWage;
        assert_eq!(reasons(&one, t, Some(LARGE_ARREARS_FEN - 1), now), vec![]);
        assert_eq!(reasons(&one, t, None, now), vec![]);
        assert_eq!(reasons(&one, t, Some(-LARGE_ARREARS_FEN), now), vec![]);
        assert_eq!(
            reasons(&one, t, Some(LARGE_ARREARS_FEN), now),
            vec![RiskReason::WageArrearsBeforeHoliday]
        );
        // Applicants count; respondents do not.
        let four = case(4, 3);
        assert_eq!(reasons(&four, t, None, now), vec![]);
        let five = case(5, 1);
        assert_eq!(
            reasons(&five, t, None, now),
            vec![RiskReason::WageArrearsBeforeHoliday]
        );
        // Other types are not wage arrears, whatever the amount.
        for other in DisputeType::ALL.iter().filter(|x| **x != t) {
            assert_eq!(
                reasons(&five, *other, Some(LARGE_ARREARS_FEN), now),
                vec![],
                "{other:?}"
            );
        }
        assert_eq!(LARGE_ARREARS_FEN, 100_000 * 100);
    }

    #[test]
    fn all_rules_at_once_sorted_and_only_new_ones() {
        let now = noon(date(2026, 2, 1));
        let mut d = case(6, 6);
        d.breaches = 2;
        let all = vec![
            RiskReason::ManyParties,
            RiskReason::RepeatedFailure,
            RiskReason::WageArrearsBeforeHoliday,
        ];
        assert_eq!(reasons(&d, DisputeType::LabourWage, None, now), all);
        d.risk = vec![RiskReason::Threats, RiskReason::RepeatedFailure];
        assert_eq!(
            reasons(&d, DisputeType::LabourWage, None, now),
            vec![
                RiskReason::ManyParties,
                RiskReason::WageArrearsBeforeHoliday
            ]
        );
        d.risk = all;
        assert_eq!(reasons(&d, DisputeType::LabourWage, None, now), vec![]);
    }

    #[test]
    fn the_system_can_flag_what_the_rules_find_once() {
        let now = noon(date(2026, 2, 1));
        let d = case(5, 5);
        let found = reasons(&d, DisputeType::LabourWage, None, now);
        assert!(!found.is_empty());
        let (d, _) = d
            .apply(
                &Command::FlagRisk {
                    reasons: found.clone(),
                    note: "自动预警".into(),
                },
                &Actor::System,
                now,
            )
            .unwrap();
        assert_eq!(d.risk, found);
        assert_eq!(reasons(&d, DisputeType::LabourWage, None, now), vec![]);
        // A person clears the flag: the rules do not raise it again, a person may.
        let (d, _) = d
            .apply(
                &Command::ClearRisk {
                    note: "已化解".into(),
                },
                &Actor::Mediator,
                now,
            )
            .unwrap();
        assert!(d.risk.is_empty());
        assert_eq!(reasons(&d, DisputeType::LabourWage, None, now), vec![]);
        let again = Command::FlagRisk {
            reasons: found.clone(),
            note: "再次激化".into(),
        };
        assert!(d.apply(&again, &Actor::Mediator, now).is_ok());
    }

    #[test]
    fn closed_disputes_yield_nothing() {
        let now = noon(date(2026, 2, 1));
        let d = case(5, 5);
        let (mut closed, _) = d
            .apply(
                &Command::Withdraw {
                    reason: "已私下和解".into(),
                },
                &Actor::Party(0),
                now,
            )
            .unwrap();
        assert_eq!(closed.status, Status::Closed);
        assert!(matches!(closed.outcome, Some(Outcome::Withdrawn { .. })));
        closed.failed_rounds = 5;
        assert_eq!(
            reasons(&closed, DisputeType::LabourWage, Some(i64::MAX), now),
            vec![]
        );
    }

    #[test]
    fn out_of_range_instants_have_no_holiday() {
        let c = HolidayCalendar::builtin();
        assert_eq!(holiday_ahead(i64::MAX, &c), None);
        assert_eq!(holiday_ahead(i64::MIN, &c), None);
        let d = case(1, 1);
        assert_eq!(
            reasons(
                &d,
                DisputeType::LabourWage,
                Some(LARGE_ARREARS_FEN),
                i64::MAX
            ),
            vec![]
        );
    }

    fn any_status() -> impl Strategy<Value = Status> {
        prop::sample::select(Status::ALL.to_vec())
    }

    proptest! {
        /// Threats and collective incidents are for people to judge: no
        /// combination of facts raises them, and results are sorted, new and unique.
        #[test]
        fn people_judge_threats_and_collective_incidents(
            applicants in 1usize..15,
            respondents in 0usize..15,
            failed in 0u32..5,
            breaches in 0u32..5,
            type_ix in 0usize..DisputeType::ALL.len(),
            amount in prop::option::of(-1i64..100_000_000),
            // 2024-06 to 2027-06
            now in 1_717_200_000_000_000i64..1_812_000_000_000_000,
            status in any_status(),
            flagged in prop::collection::vec(prop::sample::select(RiskReason::ALL.to_vec()), 0..3),
        ) {
            let mut d = case(applicants, respondents);
            d.failed_rounds = failed;
            d.breaches = breaches;
            d.status = status;
            d.risk = flagged;
            let got = reasons(&d, DisputeType::ALL[type_ix], amount, now);
            prop_assert!(!got.contains(&RiskReason::Threats));
            prop_assert!(!got.contains(&RiskReason::CollectiveIncident));
            prop_assert!(got.windows(2).all(|w| w[0] < w[1]));
            prop_assert!(got.iter().all(|r| !d.risk.contains(r)));
            if status == Status::Closed {
                prop_assert!(got.is_empty());
            }
        }
    }
}
