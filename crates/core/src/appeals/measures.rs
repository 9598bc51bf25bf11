//! The standard measures (三率 and more), computed from the record.
//!
//! Each rate keeps its numerator and denominator so that dashboards can
//! show the sample and rankings can apply a minimum-sample rule. A rate
//! with nothing to measure is `None`, never a made-up 0 or 100 %.

use serde::Serialize;

use super::workflow::Satisfaction;

/// What the measures need to know about one appeal. Times are UTC
/// microseconds; the caller fills this from its stored record.
#[derive(Clone, Debug, PartialEq)]
pub struct AppealFacts {
    pub received_at: i64,
    pub sign_due: i64,
    pub signed_at: Option<i64>,
    pub reply_due: i64,
    pub replied_at: Option<i64>,
    /// The resident's answers: was it resolved, how satisfied.
    pub rating: Option<(bool, Satisfaction)>,
    /// Closed, and settled (rated, not rated, or resolved on site) rather
    /// than withdrawn, merged, invalid or out of remit.
    pub settled: bool,
    /// The final handler was a grid or community (not a department, street,
    /// district or city).
    pub settled_locally: bool,
    pub escalations: u32,
    pub returns: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Rate {
    pub numerator: u64,
    pub denominator: u64,
    /// numerator / denominator, or `None` when there is nothing to measure.
    pub value: Option<f64>,
}

impl Rate {
    fn new(numerator: u64, denominator: u64) -> Rate {
        Rate {
            numerator,
            denominator,
            value: (denominator > 0).then(|| numerator as f64 / denominator as f64),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Measures {
    pub count: u64,
    /// Signed for within the limit, among appeals whose signing was due
    /// (signed, or past the sign-by time).
    pub response_rate: Rate,
    /// "Resolved: yes" among residents who answered.
    pub resolution_rate: Rate,
    /// Satisfied + basically satisfied among residents who rated.
    pub satisfaction_rate: Rate,
    /// Replied within the limit, among appeals whose reply was due
    /// (replied, or past the reply-by time).
    pub on_time_rate: Rate,
    /// Settled at grid or community level without escalation, among
    /// settled appeals (the Fengqiao measure).
    pub local_resolution_rate: Rate,
    /// Mean time from receipt to reply, hours, over replied appeals.
    pub average_handling_hours: Option<f64>,
    pub returns: u64,
    pub escalations: u64,
}

/// Measures over `facts` as of `now` (UTC microseconds).
pub fn measure<'a>(facts: impl IntoIterator<Item = &'a AppealFacts>, now: i64) -> Measures {
    let mut count = 0;
    let (mut resp_n, mut resp_d) = (0, 0);
    let (mut res_n, mut res_d) = (0, 0);
    let (mut sat_n, mut sat_d) = (0, 0);
    let (mut ot_n, mut ot_d) = (0, 0);
    let (mut loc_n, mut loc_d) = (0, 0);
    let (mut handling_sum, mut handling_n) = (0i128, 0u64);
    let (mut returns, mut escalations) = (0, 0);
    for f in facts {
        count += 1;
        if f.signed_at.is_some() || now > f.sign_due {
            resp_d += 1;
            if f.signed_at.is_some_and(|t| t <= f.sign_due) {
                resp_n += 1;
            }
        }
        if f.replied_at.is_some() || now > f.reply_due {
            ot_d += 1;
            if f.replied_at.is_some_and(|t| t <= f.reply_due) {
                ot_n += 1;
            }
        }
        if let Some(replied) = f.replied_at {
            handling_sum += i128::from(replied.saturating_sub(f.received_at).max(0));
            handling_n += 1;
        }
        if let Some((resolved, satisfaction)) = f.rating {
            res_d += 1;
            sat_d += 1;
            if resolved {
                res_n += 1;
            }
            if satisfaction != Satisfaction::Unsatisfied {
                sat_n += 1;
            }
        }
        if f.settled {
            loc_d += 1;
            if f.settled_locally && f.escalations == 0 {
                loc_n += 1;
            }
        }
        returns += u64::from(f.returns);
        escalations += u64::from(f.escalations);
    }
    Measures {
        count,
        response_rate: Rate::new(resp_n, resp_d),
        resolution_rate: Rate::new(res_n, res_d),
        satisfaction_rate: Rate::new(sat_n, sat_d),
        on_time_rate: Rate::new(ot_n, ot_d),
        local_resolution_rate: Rate::new(loc_n, loc_d),
        average_handling_hours: (handling_n > 0)
            .then(|| handling_sum as f64 / handling_n as f64 / 3_600_000_000.0),
        returns,
        escalations,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use proptest::prelude::*;

    use super::*;

    const H: i64 = 3_600_000_000;

    fn base() -> AppealFacts {
        AppealFacts {
            received_at: 0,
            sign_due: 2 * H,
            signed_at: None,
            reply_due: 100 * H,
            replied_at: None,
            rating: None,
            settled: false,
            settled_locally: false,
            escalations: 0,
            returns: 0,
        }
    }

    #[test]
    fn nothing_to_measure_is_none_not_zero() {
        let m = measure(&[], 0);
        assert_eq!(m.count, 0);
        assert_eq!(m.response_rate.value, None);
        assert_eq!(m.satisfaction_rate.value, None);
        assert_eq!(m.average_handling_hours, None);
        // Received a moment ago: nothing is due yet.
        let m = measure(&[base()], H);
        assert_eq!(
            (
                m.count,
                m.response_rate.denominator,
                m.on_time_rate.denominator
            ),
            (1, 0, 0)
        );
    }

    #[test]
    fn each_rate_by_hand() {
        let signed_late = AppealFacts {
            signed_at: Some(3 * H),
            ..base()
        };
        let on_time_local = AppealFacts {
            signed_at: Some(H),
            replied_at: Some(10 * H),
            rating: Some((true, Satisfaction::Satisfied)),
            settled: true,
            settled_locally: true,
            ..base()
        };
        let escalated = AppealFacts {
            signed_at: Some(H),
            replied_at: Some(110 * H),
            rating: Some((false, Satisfaction::BasicallySatisfied)),
            settled: true,
            settled_locally: true,
            escalations: 1,
            returns: 2,
            ..base()
        };
        let unhappy_department = AppealFacts {
            signed_at: Some(H),
            replied_at: Some(30 * H),
            rating: Some((false, Satisfaction::Unsatisfied)),
            settled: true,
            ..base()
        };
        let overdue_unsigned = base();
        let all = [
            signed_late,
            on_time_local,
            escalated,
            unhappy_department,
            overdue_unsigned,
        ];
        let m = measure(&all, 200 * H);
        assert_eq!(m.count, 5);
        assert_eq!(
            (m.response_rate.numerator, m.response_rate.denominator),
            (3, 5)
        );
        assert_eq!(
            (m.on_time_rate.numerator, m.on_time_rate.denominator),
            (2, 5)
        );
        assert_eq!(
            (m.resolution_rate.numerator, m.resolution_rate.denominator),
            (1, 3)
        );
        assert_eq!(
            (
                m.satisfaction_rate.numerator,
                m.satisfaction_rate.denominator
            ),
            (2, 3)
        );
        assert_eq!(
            (
                m.local_resolution_rate.numerator,
                m.local_resolution_rate.denominator
            ),
            (1, 3)
        );
        assert_eq!(m.average_handling_hours, Some((10.0 + 110.0 + 30.0) / 3.0));
        assert_eq!((m.returns, m.escalations), (2, 1));
        assert_eq!(m.response_rate.value, Some(0.6));
    }

    fn facts() -> impl Strategy<Value = AppealFacts> {
        (
            0i64..100,
            proptest::option::of(0i64..300),
            proptest::option::of(0i64..300),
            proptest::option::of((any::<bool>(), 0u8..3)),
            any::<bool>(),
            any::<bool>(),
            0u32..3,
        )
            .prop_map(
                |(due, signed, replied, rating, settled, local, esc)| AppealFacts {
                    received_at: 0,
                    sign_due: due * H,
                    signed_at: signed.map(|s| s * H),
                    reply_due: (due + 50) * H,
                    replied_at: replied.map(|r| r * H),
                    rating: rating.map(|(r, s)| {
                        let s = match s {
                            0 => Satisfaction::Satisfied,
                            1 => Satisfaction::BasicallySatisfied,
                            _ => Satisfaction::Unsatisfied,
                        };
                        (r, s)
                    }),
                    settled,
                    settled_locally: local,
                    escalations: esc,
                    returns: 0,
                },
            )
    }

    proptest! {
        #[test]
        fn rates_are_proportions_and_split_additively(
            a in proptest::collection::vec(facts(), 0..40),
            b in proptest::collection::vec(facts(), 0..40),
            now in 0i64..400,
        ) {
            let now = now * H;
            let whole: Vec<AppealFacts> = a.iter().chain(b.iter()).cloned().collect();
            let (ma, mb, mw) = (measure(&a, now), measure(&b, now), measure(&whole, now));
            for (x, y, w) in [
                (ma.response_rate, mb.response_rate, mw.response_rate),
                (ma.resolution_rate, mb.resolution_rate, mw.resolution_rate),
                (ma.satisfaction_rate, mb.satisfaction_rate, mw.satisfaction_rate),
                (ma.on_time_rate, mb.on_time_rate, mw.on_time_rate),
                (ma.local_resolution_rate, mb.local_resolution_rate, mw.local_resolution_rate),
            ] {
                prop_assert!(w.numerator <= w.denominator);
                prop_assert_eq!(w.numerator, x.numerator + y.numerator);
                prop_assert_eq!(w.denominator, x.denominator + y.denominator);
                if let Some(v) = w.value {
                    prop_assert!((0.0..=1.0).contains(&v));
                }
            }
            prop_assert_eq!(mw.count, whole.len() as u64);
        }
    }
}
