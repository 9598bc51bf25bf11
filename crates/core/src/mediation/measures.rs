//! The mediation measures, computed from plain facts about each case so
//! that the store, the dashboards and the tests share one definition.
//!
//! Rates keep their numerator and denominator (dashboards show the sample,
//! rankings apply a minimum); a rate with nothing to measure has no value,
//! never a made-up 0 or 100 %. The Fengqiao share counts agreements reached
//! by organisations at the community or street level: "small matters do not
//! leave the village, big matters do not leave the town".

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::kind::{Channel, DisputeType, Performance};
use super::workflow::{DAY_MICROS, Dispute, Status};
use crate::appeals::calendar::local_date;
pub use crate::appeals::measures::Rate;
use crate::territory::Level;

/// What the measures need to know about one case. Times are µs UTC.
#[derive(Clone, Debug, PartialEq)]
pub struct DisputeFacts {
    pub id: i64,
    pub dispute_type: DisputeType,
    /// The organisation holding the case now.
    pub org: String,
    /// Level of the unit of the organisation holding the case now: where it
    /// was settled, for the Fengqiao share.
    pub org_level: Option<Level>,
    /// Codes (or names) of the case's district, street and community.
    pub district: Option<String>,
    pub street: Option<String>,
    pub community: Option<String>,
    pub mediators: Vec<i64>,
    pub received_at: i64,
    /// Accepted (受理): every party consented.
    pub accepted_at: Option<i64>,
    pub agreed_at: Option<i64>,
    /// The agreement was judicially confirmed.
    pub confirmed: bool,
    /// What the last follow-up visit found.
    pub last_performance: Option<Performance>,
    /// Each referral: its channel and whether it resolved the dispute (`None`: pending).
    pub referrals: Vec<(Channel, Option<bool>)>,
    pub status: Status,
    pub closed_at: Option<i64>,
}

impl DisputeFacts {
    /// The facts of a case from its workflow state and what the caller knows
    /// of its place (type, level of the holding organisation, territory).
    pub fn of(
        d: &Dispute,
        dispute_type: DisputeType,
        org_level: Option<Level>,
        district: Option<String>,
        street: Option<String>,
        community: Option<String>,
    ) -> DisputeFacts {
        DisputeFacts {
            id: d.id,
            dispute_type,
            org: d.org.clone(),
            org_level,
            district,
            street,
            community,
            mediators: d.mediators.clone(),
            received_at: d.received_at,
            accepted_at: d.accepted_at,
            agreed_at: d.agreed_at,
            confirmed: d.confirmed(),
            last_performance: d.follow_ups.last().map(|f| f.performance),
            referrals: d
                .referrals
                .iter()
                .map(|r| (r.channel, r.resolved))
                .collect(),
            status: d.status,
            closed_at: d.closed_at,
        }
    }

    /// Mediation ran its course: an agreement, or acceptance followed by
    /// no agreement (unsettled, referred on, or closed).
    fn concluded(&self) -> bool {
        self.agreed_at.is_some()
            || (self.accepted_at.is_some()
                && matches!(
                    self.status,
                    Status::Unsettled | Status::Referred | Status::Closed
                ))
    }
}

/// Referrals to one channel and what became of them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReferralCounts {
    pub referred: u64,
    pub resolved: u64,
    pub unresolved: u64,
    pub pending: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MediationMeasures {
    /// Cases received.
    pub received: u64,
    /// Cases accepted for mediation (every party consented).
    pub mediated: u64,
    /// Cases with an agreement.
    pub agreements: u64,
    /// Agreements among cases whose mediation concluded (agreed, or
    /// accepted and then unsettled, referred or closed without agreement).
    pub success_rate: Rate,
    /// Performed among agreements whose last follow-up found them performed
    /// or breached (still being performed is not yet an answer).
    pub performance_rate: Rate,
    /// Agreements judicially confirmed.
    pub confirmations: u64,
    /// Referrals per channel.
    pub referrals: BTreeMap<Channel, ReferralCounts>,
    /// Mean days from acceptance (or receipt, if never accepted) to agreement.
    pub avg_days_to_settle: Option<f64>,
    /// Agreements reached by an organisation at community or street level
    /// (or a grid, below them) among all agreements.
    pub fengqiao_share: Rate,
}

fn rate(numerator: u64, denominator: u64) -> Rate {
    Rate {
        numerator,
        denominator,
        value: (denominator > 0).then(|| numerator as f64 / denominator as f64),
    }
}

/// Whether an organisation at `level` settles "in the village or the town".
fn local_level(level: Option<Level>) -> bool {
    matches!(level, Some(Level::Community | Level::Street | Level::Grid))
}

/// The measures over `facts`.
pub fn measure<'a>(facts: impl IntoIterator<Item = &'a DisputeFacts>) -> MediationMeasures {
    let (mut received, mut mediated, mut agreements, mut confirmations) = (0, 0, 0, 0);
    let mut concluded = 0;
    let (mut performed, mut followed) = (0, 0);
    let mut local = 0;
    let mut referrals: BTreeMap<Channel, ReferralCounts> = BTreeMap::new();
    let mut settle_sum = 0i128;
    for f in facts {
        received += 1;
        if f.accepted_at.is_some() {
            mediated += 1;
        }
        if f.concluded() {
            concluded += 1;
        }
        if f.confirmed {
            confirmations += 1;
        }
        if let Some(agreed) = f.agreed_at {
            agreements += 1;
            let from = f.accepted_at.unwrap_or(f.received_at);
            settle_sum += i128::from(agreed.saturating_sub(from).max(0));
            if local_level(f.org_level) {
                local += 1;
            }
            match f.last_performance {
                Some(Performance::Performed) => {
                    performed += 1;
                    followed += 1;
                }
                Some(Performance::Breached) => followed += 1,
                Some(Performance::Performing) | None => {}
            }
        }
        for (channel, resolved) in &f.referrals {
            let c = referrals.entry(*channel).or_default();
            c.referred += 1;
            match resolved {
                Some(true) => c.resolved += 1,
                Some(false) => c.unresolved += 1,
                None => c.pending += 1,
            }
        }
    }
    MediationMeasures {
        received,
        mediated,
        agreements,
        success_rate: rate(agreements, concluded),
        performance_rate: rate(performed, followed),
        confirmations,
        referrals,
        avg_days_to_settle: (agreements > 0)
            .then(|| settle_sum as f64 / agreements as f64 / DAY_MICROS as f64),
        fengqiao_share: rate(local, agreements),
    }
}

/// What the measures are broken down by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    District,
    Street,
    Community,
    /// The organisation holding the case.
    Org,
    /// Each mediator on the case (a case with two counts for both).
    Mediator,
    Type,
    /// The month of receipt in China ("YYYY-MM", +08:00).
    Month,
}

impl GroupBy {
    pub const ALL: [GroupBy; 7] = [
        GroupBy::District,
        GroupBy::Street,
        GroupBy::Community,
        GroupBy::Org,
        GroupBy::Mediator,
        GroupBy::Type,
        GroupBy::Month,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::District => "district",
            GroupBy::Street => "street",
            GroupBy::Community => "community",
            GroupBy::Org => "org",
            GroupBy::Mediator => "mediator",
            GroupBy::Type => "type",
            GroupBy::Month => "month",
        }
    }

    pub fn parse(s: &str) -> Option<GroupBy> {
        GroupBy::ALL.into_iter().find(|g| g.as_str() == s)
    }

    /// The keys a case falls under; none when the case lacks the key.
    fn keys(self, f: &DisputeFacts) -> BTreeSet<String> {
        let one = |k: Option<&String>| k.filter(|k| !k.is_empty()).cloned().into_iter().collect();
        match self {
            GroupBy::District => one(f.district.as_ref()),
            GroupBy::Street => one(f.street.as_ref()),
            GroupBy::Community => one(f.community.as_ref()),
            GroupBy::Org => one(Some(&f.org)),
            GroupBy::Mediator => f.mediators.iter().map(i64::to_string).collect(),
            GroupBy::Type => BTreeSet::from([f.dispute_type.as_str().to_owned()]),
            GroupBy::Month => Timestamp::from_microsecond(f.received_at)
                .ok()
                .map(|t| {
                    let d = local_date(t);
                    format!("{:04}-{:02}", d.year(), d.month())
                })
                .into_iter()
                .collect(),
        }
    }
}

/// The measures of each group, sorted by key. A case counts once in every
/// group it falls under (each of its mediators); cases without the key
/// (no street recorded, no mediator) are left out.
pub fn grouped(facts: &[DisputeFacts], by: GroupBy) -> Vec<(String, MediationMeasures)> {
    let mut groups: BTreeMap<String, Vec<&DisputeFacts>> = BTreeMap::new();
    for f in facts {
        for key in by.keys(f) {
            groups.entry(key).or_default().push(f);
        }
    }
    groups
        .into_iter()
        .map(|(key, members)| (key, measure(members)))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use jiff::civil::date;
    use proptest::prelude::*;

    use super::*;
    use crate::appeals::calendar::start_of_day;
    use crate::mediation::agreement::tests::sample as sample_agreement;
    use crate::mediation::kind::{Side, Source};
    use crate::mediation::workflow::{Actor, Command, Ruling, Session};

    const T0: i64 = 1_767_225_600_000_000; // 2026-01-01 00:00 UTC

    fn base(id: i64) -> DisputeFacts {
        DisputeFacts {
            id,
            dispute_type: DisputeType::Neighbours,
            org: "pK".into(),
            org_level: Some(Level::Community),
            district: Some("D".into()),
            street: Some("S".into()),
            community: Some("K".into()),
            mediators: vec![7],
            received_at: T0,
            accepted_at: None,
            agreed_at: None,
            confirmed: false,
            last_performance: None,
            referrals: vec![],
            status: Status::AwaitingConsent,
            closed_at: None,
        }
    }

    /// Six cases with hand-counted answers:
    /// 1 agreed in 2 days at a community, performed, confirmed;
    /// 2 agreed in 4 days at a district (never accepted: from receipt), breached;
    /// 3 agreed in 3 days at a street, still being performed;
    /// 4 accepted, no agreement, referred to arbitration (pending);
    /// 5 accepted, then withdrawn; an older referral to litigation resolved;
    /// 6 awaiting consent.
    fn six() -> Vec<DisputeFacts> {
        let day = DAY_MICROS;
        let mut f1 = base(1);
        f1.accepted_at = Some(T0 + day);
        f1.agreed_at = Some(T0 + 3 * day);
        f1.confirmed = true;
        f1.last_performance = Some(Performance::Performed);
        f1.status = Status::Closed;
        f1.closed_at = Some(T0 + 20 * day);
        let mut f2 = base(2);
        f2.dispute_type = DisputeType::LabourWage;
        f2.org = "pD".into();
        f2.org_level = Some(Level::District);
        f2.street = None;
        f2.community = None;
        f2.mediators = vec![7, 8];
        f2.agreed_at = Some(T0 + 4 * day);
        f2.last_performance = Some(Performance::Breached);
        f2.status = Status::Unsettled;
        let mut f3 = base(3);
        f3.org = "pS".into();
        f3.org_level = Some(Level::Street);
        f3.accepted_at = Some(T0);
        f3.agreed_at = Some(T0 + 3 * day);
        f3.last_performance = Some(Performance::Performing);
        f3.status = Status::Agreed;
        let mut f4 = base(4);
        f4.accepted_at = Some(T0);
        f4.referrals = vec![(Channel::Arbitration, None)];
        f4.status = Status::Referred;
        f4.mediators = vec![];
        let mut f5 = base(5);
        f5.accepted_at = Some(T0);
        f5.referrals = vec![(Channel::Litigation, Some(true))];
        f5.status = Status::Closed;
        f5.closed_at = Some(T0 + day);
        f5.received_at = T0 - 40 * day; // November 2025
        let f6 = base(6);
        vec![f1, f2, f3, f4, f5, f6]
    }

    #[test]
    fn every_field_by_hand() {
        let m = measure(&six());
        assert_eq!(m.received, 6);
        assert_eq!(m.mediated, 4);
        assert_eq!(m.agreements, 3);
        // Concluded: 1, 2, 3 (agreed), 4 (referred), 5 (closed after acceptance).
        assert_eq!(m.success_rate, rate(3, 5));
        assert_eq!(m.success_rate.value, Some(0.6));
        // Followed with an answer: 1 performed, 2 breached; 3 is still performing.
        assert_eq!(m.performance_rate, rate(1, 2));
        assert_eq!(m.confirmations, 1);
        assert_eq!(
            m.referrals,
            BTreeMap::from([
                (
                    Channel::Arbitration,
                    ReferralCounts {
                        referred: 1,
                        pending: 1,
                        ..Default::default()
                    }
                ),
                (
                    Channel::Litigation,
                    ReferralCounts {
                        referred: 1,
                        resolved: 1,
                        ..Default::default()
                    }
                ),
            ])
        );
        assert_eq!(m.avg_days_to_settle, Some(3.0));
        // Community and street agreements, not the district one.
        assert_eq!(m.fengqiao_share, rate(2, 3));
    }

    #[test]
    fn nothing_to_measure_has_no_values() {
        let m = measure(&[]);
        assert_eq!(m.received, 0);
        assert_eq!(m.success_rate.value, None);
        assert_eq!(m.performance_rate.value, None);
        assert_eq!(m.fengqiao_share.value, None);
        assert_eq!(m.avg_days_to_settle, None);
        assert!(m.referrals.is_empty());
        // Received and waiting: still nothing concluded.
        let m = measure(&[base(1)]);
        assert_eq!(m.received, 1);
        assert_eq!(m.success_rate, rate(0, 0));
    }

    #[test]
    fn unreached_levels_and_missing_levels_are_not_local() {
        let mut f = base(1);
        f.agreed_at = Some(T0);
        for (level, local) in [
            (Some(Level::City), 0),
            (Some(Level::District), 0),
            (Some(Level::Street), 1),
            (Some(Level::Community), 1),
            (Some(Level::Grid), 1),
            (None, 0),
        ] {
            f.org_level = level;
            assert_eq!(measure([&f]).fengqiao_share, rate(local, 1), "{level:?}");
        }
    }

    #[test]
    fn refusal_before_acceptance_is_not_a_failed_mediation() {
        let mut f = base(1);
        f.status = Status::Unsettled;
        assert_eq!(measure([&f]).success_rate, rate(0, 0));
        f.status = Status::Closed;
        assert_eq!(measure([&f]).success_rate, rate(0, 0));
        f.accepted_at = Some(T0);
        assert_eq!(measure([&f]).success_rate, rate(0, 1));
        // Reopened after a failed round: mediation is under way again.
        f.status = Status::AwaitingConsent;
        assert_eq!(measure([&f]).success_rate, rate(0, 0));
        f.status = Status::Mediating;
        assert_eq!(measure([&f]).success_rate, rate(0, 0));
    }

    #[test]
    fn an_agreement_before_acceptance_settles_from_receipt_and_never_negatively() {
        let mut f = base(1);
        f.agreed_at = Some(T0 + DAY_MICROS / 2);
        assert_eq!(measure([&f]).avg_days_to_settle, Some(0.5));
        f.accepted_at = Some(T0 + DAY_MICROS);
        assert_eq!(measure([&f]).avg_days_to_settle, Some(0.0));
    }

    #[test]
    fn measures_serialise_with_channel_keys() {
        let v = serde_json::to_value(measure(&six())).unwrap();
        assert_eq!(v["referrals"]["arbitration"]["pending"], 1);
        assert_eq!(v["referrals"]["litigation"]["resolved"], 1);
        assert_eq!(v["success_rate"]["numerator"], 3);
        assert_eq!(v["success_rate"]["denominator"], 5);
        assert_eq!(v["avg_days_to_settle"], 3.0);
    }

    #[test]
    fn group_keys_round_trip() {
        for g in GroupBy::ALL {
            assert_eq!(GroupBy::parse(g.as_str()), Some(g));
            assert_eq!(
                serde_json::to_string(&g).unwrap(),
                format!("\"{}\"", g.as_str())
            );
        }
        assert_eq!(GroupBy::parse("person"), None);
        assert_eq!(GroupBy::parse("District"), None);
    }

    fn received(groups: &[(String, MediationMeasures)]) -> Vec<(&str, u64)> {
        groups
            .iter()
            .map(|(k, m)| (k.as_str(), m.received))
            .collect()
    }

    #[test]
    fn grouped_by_each_key() {
        let f = six();
        assert_eq!(received(&grouped(&f, GroupBy::District)), vec![("D", 6)]);
        // Case 2 has no street or community recorded.
        assert_eq!(received(&grouped(&f, GroupBy::Street)), vec![("S", 5)]);
        assert_eq!(received(&grouped(&f, GroupBy::Community)), vec![("K", 5)]);
        assert_eq!(
            received(&grouped(&f, GroupBy::Org)),
            vec![("pD", 1), ("pK", 4), ("pS", 1)]
        );
        // Case 2 has two mediators, case 4 none.
        assert_eq!(
            received(&grouped(&f, GroupBy::Mediator)),
            vec![("7", 5), ("8", 1)]
        );
        assert_eq!(
            received(&grouped(&f, GroupBy::Type)),
            vec![("labour_wage", 1), ("neighbours", 5)]
        );
        assert_eq!(
            received(&grouped(&f, GroupBy::Month)),
            vec![("2025-11", 1), ("2026-01", 5)]
        );
        let by_org = grouped(&f, GroupBy::Org);
        assert_eq!(by_org[0].1.fengqiao_share, rate(0, 1));
        assert_eq!(by_org[1].1.agreements, 1);
    }

    #[test]
    fn a_mediator_listed_twice_counts_once_and_empty_keys_are_skipped() {
        let mut f = base(1);
        f.mediators = vec![9, 9];
        f.street = Some(String::new());
        assert_eq!(
            received(&grouped(&[f.clone()], GroupBy::Mediator)),
            vec![("9", 1)]
        );
        assert!(grouped(&[f], GroupBy::Street).is_empty());
    }

    #[test]
    fn months_turn_at_midnight_in_china() {
        let mut f = base(1);
        let feb = start_of_day(date(2026, 2, 1)).as_microsecond();
        f.received_at = feb;
        assert_eq!(
            received(&grouped(&[f.clone()], GroupBy::Month)),
            vec![("2026-02", 1)]
        );
        f.received_at = feb - 1;
        assert_eq!(
            received(&grouped(&[f.clone()], GroupBy::Month)),
            vec![("2026-01", 1)]
        );
        // Out of range: no month.
        f.received_at = i64::MAX;
        assert!(grouped(&[f], GroupBy::Month).is_empty());
    }

    fn play(d: &Dispute, c: Command, a: Actor, now: i64) -> Dispute {
        let (next, _) = d
            .apply(&c, &a, now)
            .unwrap_or_else(|e| panic!("{c:?} refused: {e}"));
        assert!(next.invariant_holds());
        next
    }

    /// Received, accepted a day later, agreed two days after, confirmed, performed.
    #[test]
    fn facts_of_a_dispute_played_through_the_workflow() {
        let day = DAY_MICROS;
        let d = Dispute::new(
            42,
            Source::WalkIn,
            "pK".into(),
            &[Side::Applicant, Side::Respondent],
            T0,
        );
        let d = play(
            &d,
            Command::AssignMediators {
                mediators: vec![8, 7],
            },
            Actor::Organisation,
            T0,
        );
        let d = play(
            &d,
            Command::RecordConsent {
                party: 0,
                consent: true,
            },
            Actor::Party(0),
            T0,
        );
        let accepted = T0 + day;
        let d = play(
            &d,
            Command::RecordConsent {
                party: 1,
                consent: true,
            },
            Actor::Mediator,
            accepted,
        );
        let d = play(
            &d,
            Command::HoldSession {
                session: Session {
                    at: accepted,
                    place: "社区调解室".into(),
                    online: false,
                    parties_present: vec![0, 1],
                    minutes: "双方陈述".into(),
                },
            },
            Actor::Mediator,
            accepted,
        );
        let agreed = accepted + 2 * day;
        let d = play(
            &d,
            Command::RecordAgreement {
                agreement: sample_agreement(agreed),
            },
            Actor::Mediator,
            agreed,
        );
        let d = play(
            &d,
            Command::ApplyForConfirmation {
                court: "区人民法院".into(),
            },
            Actor::Party(0),
            agreed,
        );
        let d = play(
            &d,
            Command::CourtAccepted,
            Actor::Organisation,
            agreed + day,
        );
        let d = play(
            &d,
            Command::CourtRuling {
                ruling: Ruling::Confirmed,
                note: None,
            },
            Actor::Organisation,
            agreed + 2 * day,
        );
        let agreed_facts = DisputeFacts::of(
            &d,
            DisputeType::Neighbours,
            Some(Level::Community),
            Some("D".into()),
            Some("S".into()),
            Some("K".into()),
        );
        assert_eq!(agreed_facts.status, Status::Agreed);
        assert!(agreed_facts.confirmed);
        assert_eq!(agreed_facts.last_performance, None);
        let m = measure([&agreed_facts]);
        assert_eq!(m.success_rate, rate(1, 1));
        assert_eq!(m.performance_rate, rate(0, 0));

        let closed = agreed + 12 * day;
        let d = play(
            &d,
            Command::FollowUp {
                performance: Performance::Performed,
                note: "已按约付款".into(),
            },
            Actor::Mediator,
            closed,
        );
        let f = DisputeFacts::of(
            &d,
            DisputeType::Neighbours,
            Some(Level::Community),
            Some("D".into()),
            Some("S".into()),
            Some("K".into()),
        );
        assert_eq!(
            f,
            DisputeFacts {
                id: 42,
                dispute_type: DisputeType::Neighbours,
                org: "pK".into(),
                org_level: Some(Level::Community),
                district: Some("D".into()),
                street: Some("S".into()),
                community: Some("K".into()),
                mediators: vec![7, 8],
                received_at: T0,
                accepted_at: Some(accepted),
                agreed_at: Some(agreed),
                confirmed: true,
                last_performance: Some(Performance::Performed),
                referrals: vec![],
                status: Status::Closed,
                closed_at: Some(closed),
            }
        );
        let m = measure([&f]);
        assert_eq!(
            (m.received, m.mediated, m.agreements, m.confirmations),
            (1, 1, 1, 1)
        );
        assert_eq!(m.success_rate, rate(1, 1));
        assert_eq!(m.performance_rate, rate(1, 1));
        assert_eq!(m.fengqiao_share, rate(1, 1));
        assert_eq!(m.avg_days_to_settle, Some(2.0));
        assert!(m.referrals.is_empty());
    }

    /// Refused consent, then referred to arbitration, which resolved it.
    #[test]
    fn facts_of_a_referred_dispute() {
        let d = Dispute::new(
            43,
            Source::ResidentRequest,
            "pS".into(),
            &[Side::Applicant, Side::Respondent],
            T0,
        );
        let d = play(
            &d,
            Command::RecordConsent {
                party: 1,
                consent: false,
            },
            Actor::Party(1),
            T0,
        );
        let d = play(
            &d,
            Command::Refer {
                channel: Channel::Arbitration,
                to: "区劳动人事争议仲裁委员会".into(),
                reason: "被申请人不同意调解".into(),
            },
            Actor::Organisation,
            T0,
        );
        let pending = DisputeFacts::of(&d, DisputeType::LabourWage, None, None, None, None);
        assert_eq!(pending.referrals, vec![(Channel::Arbitration, None)]);
        let d = play(
            &d,
            Command::ReferralResult {
                resolved: true,
                result: "仲裁裁决支付工资".into(),
            },
            Actor::Organisation,
            T0 + DAY_MICROS,
        );
        let f = DisputeFacts::of(&d, DisputeType::LabourWage, None, None, None, None);
        assert_eq!(f.referrals, vec![(Channel::Arbitration, Some(true))]);
        assert_eq!(f.accepted_at, None);
        let m = measure([&f]);
        assert_eq!(m.mediated, 0);
        // Never accepted: not a failed mediation.
        assert_eq!(m.success_rate, rate(0, 0));
        assert_eq!(m.referrals[&Channel::Arbitration].resolved, 1);
        assert!(grouped(&[f], GroupBy::Mediator).is_empty());
    }

    fn any_facts() -> impl Strategy<Value = DisputeFacts> {
        let day = DAY_MICROS;
        (
            (
                0usize..DisputeType::ALL.len(),
                prop::sample::select(vec!["pK", "pS", "pD"]),
                prop::option::of(prop::sample::select(Level::ALL.to_vec())),
                prop::option::of(prop::sample::select(vec!["D1", "D2"])),
                prop::option::of(prop::sample::select(vec!["S1", "S2", ""])),
                prop::option::of(prop::sample::select(vec!["K1", "K2"])),
                prop::collection::vec(1i64..5, 0..4),
            ),
            (
                T0 - 400 * day..T0 + 400 * day,
                prop::option::of(0..10 * day),
                prop::option::of(0..40 * day),
                any::<bool>(),
                prop::option::of(prop::sample::select(Performance::ALL.to_vec())),
                prop::collection::vec(
                    (
                        prop::sample::select(Channel::ALL.to_vec()),
                        prop::option::of(any::<bool>()),
                    ),
                    0..3,
                ),
                prop::sample::select(Status::ALL.to_vec()),
            ),
        )
            .prop_map(
                |(
                    (t, org, level, district, street, community, mediators),
                    (received_at, accept, agree, confirmed, perf, referrals, status),
                )| DisputeFacts {
                    id: 0,
                    dispute_type: DisputeType::ALL[t],
                    org: org.into(),
                    org_level: level,
                    district: district.map(Into::into),
                    street: street.map(Into::into),
                    community: community.map(Into::into),
                    mediators,
                    received_at,
                    accepted_at: accept.map(|a| received_at + a),
                    agreed_at: agree.map(|a| received_at + a),
                    confirmed,
                    last_performance: perf,
                    referrals,
                    status,
                    closed_at: (status == Status::Closed).then_some(received_at + 50 * DAY_MICROS),
                },
            )
    }

    /// The counts behind the measures, to add them up.
    fn counts(m: &MediationMeasures) -> Vec<u64> {
        let mut v = vec![
            m.received,
            m.mediated,
            m.agreements,
            m.confirmations,
            m.success_rate.numerator,
            m.success_rate.denominator,
            m.performance_rate.numerator,
            m.performance_rate.denominator,
            m.fengqiao_share.numerator,
            m.fengqiao_share.denominator,
        ];
        for c in Channel::ALL {
            let r = m.referrals.get(c).copied().unwrap_or_default();
            v.extend([r.referred, r.resolved, r.unresolved, r.pending]);
        }
        v
    }

    fn rates(m: &MediationMeasures) -> [Rate; 3] {
        [m.success_rate, m.performance_rate, m.fengqiao_share]
    }

    proptest! {
        #[test]
        fn the_union_adds_up(
            a in prop::collection::vec(any_facts(), 0..20),
            b in prop::collection::vec(any_facts(), 0..20),
        ) {
            let (ma, mb) = (measure(&a), measure(&b));
            let all: Vec<DisputeFacts> = a.iter().chain(&b).cloned().collect();
            let m = measure(&all);
            let sum: Vec<u64> = counts(&ma).iter().zip(counts(&mb)).map(|(x, y)| x + y).collect();
            prop_assert_eq!(counts(&m), sum);
            // The mean is the weighted mean of the parts.
            let total = |x: &MediationMeasures| x.avg_days_to_settle.unwrap_or(0.0) * x.agreements as f64;
            prop_assert!((total(&m) - total(&ma) - total(&mb)).abs() < 1e-6);
            prop_assert_eq!(m.avg_days_to_settle.is_some(), m.agreements > 0);
        }

        #[test]
        fn rates_stay_within_bounds(facts in prop::collection::vec(any_facts(), 0..30)) {
            let m = measure(&facts);
            for r in rates(&m) {
                prop_assert!(r.numerator <= r.denominator);
                prop_assert_eq!(r.value.is_some(), r.denominator > 0);
                prop_assert!(r.value.is_none_or(|v| (0.0..=1.0).contains(&v)));
            }
            prop_assert!(m.mediated <= m.received);
            prop_assert!(m.agreements <= m.received);
            prop_assert!(m.success_rate.denominator <= m.received);
            prop_assert!(m.avg_days_to_settle.is_none_or(|d| d >= 0.0));
            for c in m.referrals.values() {
                prop_assert_eq!(c.referred, c.resolved + c.unresolved + c.pending);
            }
        }

        #[test]
        fn groups_by_type_and_month_partition_the_cases(
            facts in prop::collection::vec(any_facts(), 0..30),
        ) {
            let all = measure(&facts);
            for by in [GroupBy::Type, GroupBy::Month] {
                let groups = grouped(&facts, by);
                prop_assert!(groups.windows(2).all(|w| w[0].0 < w[1].0));
                let mut sum = vec![0; counts(&all).len()];
                for (_, m) in &groups {
                    prop_assert!(m.received > 0);
                    for (s, c) in sum.iter_mut().zip(counts(m)) {
                        *s += c;
                    }
                }
                prop_assert_eq!(sum[0], all.received);
                prop_assert_eq!(sum, counts(&all));
            }
        }

        #[test]
        fn groups_by_mediator_count_each_mediator(
            facts in prop::collection::vec(any_facts(), 0..30),
        ) {
            let groups = grouped(&facts, GroupBy::Mediator);
            let expected: u64 = facts
                .iter()
                .map(|f| f.mediators.iter().collect::<BTreeSet<_>>().len() as u64)
                .sum();
            prop_assert_eq!(groups.iter().map(|(_, m)| m.received).sum::<u64>(), expected);
        }
    }
}
