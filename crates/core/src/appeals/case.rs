//! The clocks of one case and how each accepted step moves them. Pure: the
//! store saves what `advance` returns in the transaction of the step.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::calendar::HolidayCalendar;
use super::category::TimeLimit;
use super::deadline::{Clocks, act_by, extended};
use super::workflow::{Appeal, Command, Satisfaction, Status};

/// Times of one case, µs UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseClocks {
    pub received_at: i64,
    /// The original deadlines, fixed at intake: the measures use these.
    pub sign_due: i64,
    pub reply_due: i64,
    /// When the case entered its current status (or handler).
    pub status_at: i64,
    /// When the current handler's reply clock started.
    pub clock_from: i64,
    /// What the background job watches; `None` once closed or at the top.
    pub act_by: Option<i64>,
    /// The first signing and the first reply (measures count the first).
    pub signed_at: Option<i64>,
    pub replied_at: Option<i64>,
    pub closed_at: Option<i64>,
}

impl CaseClocks {
    /// The clocks of a case received at `received_at` with deadlines `due`.
    pub fn at_intake(
        received_at: i64,
        sign_due: i64,
        reply_due: i64,
        status: Status,
        limit: &TimeLimit,
        calendar: &HolidayCalendar,
    ) -> CaseClocks {
        let closed = status == Status::Closed;
        CaseClocks {
            received_at,
            sign_due,
            reply_due,
            status_at: received_at,
            clock_from: received_at,
            act_by: if closed {
                None
            } else {
                act_by(
                    status,
                    limit,
                    calendar,
                    Clocks {
                        entered_status_at: received_at,
                        clock_from: received_at,
                        extension_days: 0,
                    },
                )
            },
            signed_at: None,
            replied_at: None,
            closed_at: closed.then_some(received_at),
        }
    }
}

/// The resident's answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    pub resolved: bool,
    pub satisfaction: Satisfaction,
    pub comment: Option<String>,
}

/// Move the clocks for one accepted step `before --command--> after` at `now`.
///
/// The act-by time is the status deadline, or an assisting unit's
/// sign-for time when that comes first. An approved extension moves the
/// reply deadline the measures use as well: the limit was changed by
/// the level above, not missed.
pub fn advance(
    clocks: &CaseClocks,
    before: &Appeal,
    after: &Appeal,
    command: &Command,
    now: i64,
    limit: &TimeLimit,
    calendar: &HolidayCalendar,
) -> CaseClocks {
    let mut c = *clocks;
    let moved = before.status != after.status || before.handler != after.handler;
    if moved {
        c.status_at = now;
    }
    match command {
        Command::Sign => {
            c.signed_at.get_or_insert(now);
        }
        Command::Reply { .. } => {
            c.replied_at.get_or_insert(now);
        }
        // A fresh limit for whoever takes it on: escalation, or re-handling
        // (重办) after an unsatisfied rating.
        Command::Escalate { .. } => c.clock_from = now,
        Command::Rate { .. } if after.status != Status::Closed => c.clock_from = now,
        _ => {}
    }
    if after.status == Status::Closed {
        c.closed_at = Some(now);
        c.act_by = None;
    } else if moved
        || before.extension_days != after.extension_days
        || before.assists != after.assists
    {
        let base = act_by(
            after.status,
            limit,
            calendar,
            Clocks {
                entered_status_at: c.status_at,
                clock_from: c.clock_from,
                extension_days: after.extension_days,
            },
        );
        c.act_by = match (base, after.next_assist_due()) {
            (Some(b), Some(a)) => Some(b.min(a)),
            (b, a) => b.or(a),
        };
    }
    let granted = after.extension_days.saturating_sub(before.extension_days);
    if granted > 0 {
        let due = Timestamp::from_microsecond(c.reply_due).unwrap_or(Timestamp::MAX);
        c.reply_due = extended(calendar, due, granted).as_microsecond();
    }
    c
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::appeals::category::ReplyLimit;
    use crate::appeals::workflow::{Handler, Party};

    const H: i64 = 3_600_000_000;

    fn limit() -> TimeLimit {
        TimeLimit {
            sign_minutes: 60,
            reply: ReplyLimit::Hours(24),
        }
    }

    fn step(c: &CaseClocks, a: &Appeal, cmd: Command, p: Party, now: i64) -> (CaseClocks, Appeal) {
        let (next, _) = a.apply(&cmd, &p).unwrap();
        let cal = HolidayCalendar::builtin();
        (advance(c, a, &next, &cmd, now, &limit(), &cal), next)
    }

    #[test]
    fn a_case_runs_its_clocks_from_intake_to_close() {
        let cal = HolidayCalendar::builtin();
        let t0 = 1_780_000_000_000_000;
        let a = Appeal::new(1, Some(Handler::Unit("G".into())));
        let c = CaseClocks::at_intake(t0, t0 + H, t0 + 24 * H, a.status, &limit(), &cal);
        assert_eq!(c.act_by, Some(t0 + H), "sign within the hour");

        let (c, a) = step(&c, &a, Command::Sign, Party::Handler, t0 + H / 2);
        assert_eq!(c.signed_at, Some(t0 + H / 2));
        assert_eq!(c.act_by, Some(t0 + 24 * H), "reply by the original limit");

        let (c, a) = step(
            &c,
            &a,
            Command::Escalate {
                to: Handler::Unit("K".into()),
            },
            Party::System,
            t0 + 30 * H,
        );
        assert_eq!(c.clock_from, t0 + 30 * H);
        assert_eq!(c.act_by, Some(t0 + 31 * H), "the new handler signs first");
        assert_eq!(c.reply_due, t0 + 24 * H, "measures keep the original");

        let (c, a) = step(&c, &a, Command::Sign, Party::Handler, t0 + 31 * H);
        assert_eq!(c.signed_at, Some(t0 + H / 2), "the first signing counts");
        assert_eq!(c.act_by, Some(t0 + 54 * H), "a fresh reply limit");

        let reply = Command::Reply {
            text: "done".into(),
        };
        let (c, a) = step(&c, &a, reply, Party::Handler, t0 + 40 * H);
        assert_eq!(c.replied_at, Some(t0 + 40 * H));
        assert_eq!(c.act_by, Some(t0 + 40 * H + 7 * 24 * H));

        let rate = Command::Rate {
            resolved: true,
            satisfaction: Satisfaction::Satisfied,
            comment: None,
        };
        let (c, a) = step(&c, &a, rate, Party::Requester, t0 + 41 * H);
        assert_eq!(a.status, Status::Closed);
        assert_eq!((c.closed_at, c.act_by), (Some(t0 + 41 * H), None));
    }

    #[test]
    fn reopening_gives_a_fresh_limit() {
        let cal = HolidayCalendar::builtin();
        let t0 = 1_780_000_000_000_000;
        let a = Appeal::new(1, Some(Handler::Unit("G".into())));
        let c = CaseClocks::at_intake(t0, t0 + H, t0 + 24 * H, a.status, &limit(), &cal);
        let (c, a) = step(&c, &a, Command::Sign, Party::Handler, t0);
        let reply = Command::Reply { text: "x".into() };
        let (c, a) = step(&c, &a, reply, Party::Handler, t0 + H);
        let rate = Command::Rate {
            resolved: false,
            satisfaction: Satisfaction::Unsatisfied,
            comment: Some("没修好".into()),
        };
        let (c, a) = step(&c, &a, rate, Party::Requester, t0 + 2 * H);
        assert_eq!(a.status, Status::Dispatched);
        assert_eq!(c.clock_from, t0 + 2 * H);
        assert_eq!(c.act_by, Some(t0 + 3 * H));
        assert_eq!(c.closed_at, None);
    }

    #[test]
    fn an_extension_moves_the_reply_deadline_and_a_call_in_the_act_by_time() {
        let cal = HolidayCalendar::builtin();
        // 2026-03-02 09:00 +08:00, a Monday.
        let t0: i64 = 1_772_413_200_000_000;
        let a = Appeal::new(1, Some(Handler::Unit("G".into())));
        let c = CaseClocks::at_intake(t0, t0 + H, t0 + 24 * H, a.status, &limit(), &cal);
        let (c, a) = step(&c, &a, Command::Sign, Party::Handler, t0);
        assert_eq!(c.act_by, Some(t0 + 24 * H));
        let call = Command::CallIn {
            to: vec![Handler::Department("d".into())],
            reason: "协办".into(),
            due: t0 + 2 * H,
        };
        let (c, a) = step(&c, &a, call, Party::Handler, t0 + H);
        assert_eq!(c.act_by, Some(t0 + 2 * H), "the assist signs first");
        let sign = Command::SignAssist {
            by: Handler::Department("d".into()),
        };
        let (c, a) = step(&c, &a, sign, Party::Assistant, t0 + H);
        assert_eq!(c.act_by, Some(t0 + 24 * H), "back to the reply limit");
        let ask = Command::RequestExtension {
            days: 2,
            reason: "等待配件".into(),
        };
        let (c, a) = step(&c, &a, ask, Party::Handler, t0 + 2 * H);
        assert_eq!(c.act_by, Some(t0 + 24 * H), "asking changes nothing");
        let yes = Command::DecideExtension {
            approve: true,
            note: None,
        };
        let (c, _) = step(&c, &a, yes, Party::Dispatcher, t0 + 3 * H);
        // Due Tuesday 09:00; two more working days: the end of Thursday.
        let thursday_end = cal
            .add_working_days(Timestamp::from_microsecond(t0 + 24 * H).unwrap(), 2)
            .as_microsecond();
        assert_eq!(thursday_end, t0 + 87 * H, "Friday 00:00 +08:00");
        assert_eq!(c.act_by, Some(thursday_end));
        assert_eq!(c.reply_due, thursday_end, "the measures use the new limit");
    }

    #[test]
    fn resolved_on_site_is_closed_at_intake() {
        let cal = HolidayCalendar::builtin();
        let a = Appeal::resolved_on_site(1, Handler::Unit("G".into()));
        let c = CaseClocks::at_intake(5, 6, 7, a.status, &limit(), &cal);
        assert_eq!((c.closed_at, c.act_by), (Some(5), None));
    }
}
