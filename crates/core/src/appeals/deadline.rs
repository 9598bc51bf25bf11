//! What the background job watches: each open appeal has one "act by"
//! time, and what happens when it passes.
//!
//! - Submitted (waiting for a dispatcher) or Dispatched (waiting to be
//!   signed for): the sign-for minutes from when it got there.
//! - In progress: the reply limit, counted from when the current handler's
//!   clock started (receipt, or the escalation or reopening that gave it a
//!   fresh limit).
//! - Replied: the resident has [`RATE_WINDOW_DAYS`] to rate it.
//!
//! Measures keep the original deadlines (on time means on time for the
//! resident); a fresh limit after escalation only stops the job from
//! escalating the same case again a moment later.

use jiff::Timestamp;

use super::calendar::{HolidayCalendar, add_minutes};
use super::category::{TimeLimit, due};
use super::workflow::{Command, Handler, Status};
use crate::accounts::Department;
use crate::territory::Territory;

/// Days a resident has to rate a reply before it is closed as not rated.
pub const RATE_WINDOW_DAYS: u32 = 7;

fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

fn ts(micros: i64) -> Timestamp {
    Timestamp::from_microsecond(micros).unwrap_or(if micros < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

/// The clock times that decide the next deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clocks {
    /// When the appeal entered its current status (µs).
    pub entered_status_at: i64,
    /// When the current handler's reply clock started (µs).
    pub clock_from: i64,
    /// Working days added to the reply limit by approved extensions.
    pub extension_days: u32,
}

/// The next time the job must look at an appeal, or `None` when closed.
pub fn act_by(
    status: Status,
    limit: &TimeLimit,
    calendar: &HolidayCalendar,
    clocks: Clocks,
) -> Option<i64> {
    let entered = ts(clocks.entered_status_at);
    match status {
        Status::Submitted | Status::Dispatched => {
            Some(micros(add_minutes(entered, limit.sign_minutes)))
        }
        Status::InProgress => {
            let reply_by = due(calendar, limit, ts(clocks.clock_from)).reply_by;
            Some(micros(extended(calendar, reply_by, clocks.extension_days)))
        }
        Status::Replied => Some(micros(add_minutes(entered, RATE_WINDOW_DAYS * 24 * 60))),
        Status::Closed => None,
    }
}

/// A deadline moved by `days` approved working days: to the end of the
/// `days`-th working day after the day it falls in (unchanged for 0). A
/// deadline at midnight is the end of the day before, not the next day.
pub fn extended(calendar: &HolidayCalendar, deadline: Timestamp, days: u32) -> Timestamp {
    if days == 0 {
        return deadline;
    }
    let last_instant = deadline
        .checked_sub(jiff::SignedDuration::from_micros(1))
        .unwrap_or(deadline);
    calendar.add_working_days(last_instant, days)
}

/// What the job does when an appeal's act-by time has passed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Overdue {
    /// Escalate one level up (flags supervision).
    Escalate(Command),
    /// Replied but not rated: close as not rated and send the grid worker
    /// on a return visit (回访).
    CloseNotRated,
    /// Already at the top: keep it supervised, stop watching.
    AtTop,
}

/// One level up from `handler`: a unit's parent; a department's own unit
/// (the government it reports to). With no handler (waiting for
/// dispatch), the location's district, or its top unit.
pub fn escalation_target(
    handler: Option<&Handler>,
    location_chain: &[String],
    territory: &Territory,
    departments: &[Department],
) -> Option<Handler> {
    let live = |code: &str| territory.get(code).filter(|u| !u.retired).is_some();
    let up = match handler {
        Some(Handler::Unit(code)) => territory.get(code).and_then(|u| u.parent.clone()),
        Some(Handler::Department(code)) => departments
            .iter()
            .find(|d| d.code == *code)
            .map(|d| d.unit.clone()),
        None => location_chain
            .iter()
            .find(|c| {
                territory
                    .get(c)
                    .is_some_and(|u| u.level == crate::territory::Level::District)
            })
            .or(location_chain.last())
            .cloned(),
    };
    up.filter(|c| live(c)).map(Handler::Unit)
}

/// The job's decision for an appeal whose act-by time has passed.
pub fn on_overdue(status: Status, target: Option<Handler>) -> Option<Overdue> {
    match status {
        Status::Submitted | Status::Dispatched | Status::InProgress => Some(match target {
            Some(to) => Overdue::Escalate(Command::Escalate { to }),
            None => Overdue::AtTop,
        }),
        Status::Replied => Some(Overdue::CloseNotRated),
        Status::Closed => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::appeals::category::ReplyLimit;
    use crate::territory::Level;
    use crate::territory::unit::test_unit;

    const HOUR: i64 = 3_600_000_000;

    fn territory() -> Territory {
        Territory::new(vec![
            test_unit("C", Level::City, None),
            test_unit("D", Level::District, Some("C")),
            test_unit("S", Level::Street, Some("D")),
            test_unit("G", Level::Grid, Some("S")),
        ])
        .unwrap()
    }

    fn dept(code: &str, unit: &str) -> Department {
        Department {
            code: code.into(),
            name: code.into(),
            name_en: code.into(),
            kind: "heating".into(),
            unit: unit.into(),
        }
    }

    #[test]
    fn escalation_goes_one_level_up_and_stops_at_the_top() {
        let t = territory();
        let chain: Vec<String> = t.chain("G");
        let depts = [dept("D-HS", "D"), dept("C-HS", "C")];
        let up = |h: Option<Handler>| escalation_target(h.as_ref(), &chain, &t, &depts);
        assert_eq!(
            up(Some(Handler::Unit("G".into()))),
            Some(Handler::Unit("S".into()))
        );
        assert_eq!(
            up(Some(Handler::Unit("D".into()))),
            Some(Handler::Unit("C".into()))
        );
        assert_eq!(up(Some(Handler::Unit("C".into()))), None);
        assert_eq!(
            up(Some(Handler::Department("D-HS".into()))),
            Some(Handler::Unit("D".into()))
        );
        assert_eq!(
            up(Some(Handler::Department("C-HS".into()))),
            Some(Handler::Unit("C".into()))
        );
        // Waiting for dispatch: the location's district takes it.
        assert_eq!(up(None), Some(Handler::Unit("D".into())));
        assert_eq!(up(Some(Handler::Department("gone".into()))), None);
    }

    #[test]
    fn each_status_watches_its_own_deadline() {
        let cal = HolidayCalendar::builtin();
        let limit = TimeLimit {
            sign_minutes: 120,
            reply: ReplyLimit::Hours(24),
        };
        // 2026-03-02 09:00 +08:00 (a Monday) in µs.
        let t0 = micros("2026-03-02T01:00:00Z".parse().unwrap());
        let clocks = Clocks {
            entered_status_at: t0 + HOUR,
            extension_days: 0,
            clock_from: t0,
        };
        let at = |s| act_by(s, &limit, &cal, clocks);
        assert_eq!(at(Status::Submitted), Some(t0 + 3 * HOUR));
        assert_eq!(at(Status::Dispatched), Some(t0 + 3 * HOUR));
        assert_eq!(at(Status::InProgress), Some(t0 + 24 * HOUR));
        assert_eq!(at(Status::Replied), Some(t0 + HOUR + 7 * 24 * HOUR));
        assert_eq!(at(Status::Closed), None);
    }

    #[test]
    fn overdue_work_escalates_and_unrated_replies_close() {
        let to = Handler::Unit("S".into());
        for s in [Status::Submitted, Status::Dispatched, Status::InProgress] {
            assert_eq!(
                on_overdue(s, Some(to.clone())),
                Some(Overdue::Escalate(Command::Escalate { to: to.clone() }))
            );
            assert_eq!(on_overdue(s, None), Some(Overdue::AtTop));
        }
        assert_eq!(
            on_overdue(Status::Replied, None),
            Some(Overdue::CloseNotRated)
        );
        assert_eq!(on_overdue(Status::Closed, Some(to)), None);
    }
}
