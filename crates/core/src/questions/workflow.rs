//! How a question moves: open → answered, in public. While open the
//! department holding it may pass it to the department whose matter it is
//! (a few times at most, so it cannot bounce for ever); the background job
//! notes once, publicly, that it is past its time limit.
//!
//! `Question::apply` refuses or returns the next state and exactly one
//! `Event` (one timeline entry, one audit event), like the other workflows.
//! Who may act (the holding department's staff) is `authz`'s to decide.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::intake::{ANSWER_MAX, ANSWER_MIN, REASON_MAX, length_problem};
use crate::appeals::calendar::HolidayCalendar;
use crate::appeals::intake::{FieldError, plain_text};

/// How often a question may change hands before its holder must answer.
pub const MAX_TRANSFERS: u32 = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Open,
    Answered,
}

impl Status {
    pub const ALL: [Status; 2] = [Status::Open, Status::Answered];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Answered => "answered",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }
}

/// The state the rules need (times in UTC microseconds, as stored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    pub status: Status,
    /// The department that must answer.
    pub department: String,
    pub asked_at: i64,
    /// The end of the time limit (exclusive).
    pub answer_by: i64,
    pub answered_at: Option<i64>,
    /// The job has noted publicly that it is past its limit.
    pub overdue_noted: bool,
    pub transfers: u32,
    pub version: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// The public answer.
    Answer { text: String },
    /// Not this department's matter: pass it on, with a public reason.
    Transfer { to: String, reason: String },
    /// The background job: the limit has passed without an answer.
    NoteOverdue,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    Answered {
        text: String,
        late: bool,
    },
    Transferred {
        from: String,
        to: String,
        reason: String,
    },
    Overdue,
}

impl Event {
    /// The timeline's and the audit trail's action name.
    pub fn action(&self) -> &'static str {
        match self {
            Event::Answered { .. } => "question.answer",
            Event::Transferred { .. } => "question.transfer",
            Event::Overdue => "question.overdue",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the question is already answered")]
    NotOpen,
    #[error("the question is already with that department")]
    SameDepartment,
    #[error("the question has been passed on {MAX_TRANSFERS} times; its department must answer")]
    TooManyTransfers,
    #[error("the question is not past its time limit")]
    NotDue,
    #[error("the question was already noted as overdue")]
    AlreadyNoted,
    #[error("{}", .0.detail)]
    Field(FieldError),
}

impl Refusal {
    /// Stable key the UI translates.
    pub fn key(&self) -> &'static str {
        match self {
            Refusal::NotOpen => "not_open",
            Refusal::SameDepartment => "same_department",
            Refusal::TooManyTransfers => "too_many_transfers",
            Refusal::NotDue => "not_due",
            Refusal::AlreadyNoted => "already_noted",
            Refusal::Field(_) => "field",
        }
    }
}

fn at(micros: i64) -> Timestamp {
    Timestamp::from_microsecond(micros).unwrap_or(if micros < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

impl Question {
    /// A question asked at `asked_at`, due by `answer_by`.
    pub fn asked(department: String, asked_at: i64, answer_by: i64) -> Question {
        Question {
            status: Status::Open,
            department,
            asked_at,
            answer_by,
            answered_at: None,
            overdue_noted: false,
            transfers: 0,
            version: 1,
        }
    }

    /// Past its limit without an answer at `now` (the limit is exclusive).
    pub fn is_overdue(&self, now: i64) -> bool {
        self.status == Status::Open && now >= self.answer_by
    }

    /// The next state and its event, or why not. `calendar` gives a
    /// transferred question at least one working day at its new department.
    pub fn apply(
        &self,
        command: Command,
        now: i64,
        calendar: &HolidayCalendar,
    ) -> Result<(Question, Event), Refusal> {
        if self.status != Status::Open {
            return Err(Refusal::NotOpen);
        }
        let mut next = self.clone();
        next.version += 1;
        let event = match command {
            Command::Answer { text } => {
                let text = plain_text(&text);
                if let Some(p) = length_problem("text", &text, ANSWER_MIN, ANSWER_MAX) {
                    return Err(Refusal::Field(p));
                }
                next.status = Status::Answered;
                next.answered_at = Some(now);
                Event::Answered {
                    text,
                    late: now >= self.answer_by,
                }
            }
            Command::Transfer { to, reason } => {
                let to = to.trim().to_owned();
                if to == self.department {
                    return Err(Refusal::SameDepartment);
                }
                if self.transfers >= MAX_TRANSFERS {
                    return Err(Refusal::TooManyTransfers);
                }
                let reason = plain_text(&reason);
                if let Some(p) = length_problem("reason", &reason, 2, REASON_MAX) {
                    return Err(Refusal::Field(p));
                }
                // The asker waits no longer for a misrouting, but the new
                // department gets at least to the end of the next working day.
                let floor = calendar.add_working_days(at(now), 1).as_microsecond();
                next.answer_by = self.answer_by.max(floor);
                next.overdue_noted = next.overdue_noted && now >= next.answer_by;
                next.transfers += 1;
                next.department = to.clone();
                Event::Transferred {
                    from: self.department.clone(),
                    to,
                    reason,
                }
            }
            Command::NoteOverdue => {
                if !self.is_overdue(now) {
                    return Err(Refusal::NotDue);
                }
                if self.overdue_noted {
                    return Err(Refusal::AlreadyNoted);
                }
                next.overdue_noted = true;
                Event::Overdue
            }
        };
        Ok((next, event))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use jiff::civil::date;
    use jiff::tz::TimeZone;

    fn micros(y: i16, m: i8, d: i8, h: i8) -> i64 {
        date(y, m, d)
            .at(h, 0, 0, 0)
            .to_zoned(TimeZone::fixed(jiff::tz::offset(8)))
            .unwrap()
            .timestamp()
            .as_microsecond()
    }

    fn cal() -> HolidayCalendar {
        HolidayCalendar::builtin()
    }

    /// Asked Monday 2025-03-03 10:00, due end of Wednesday 2025-03-12.
    fn open() -> Question {
        Question::asked("A".into(), micros(2025, 3, 3, 10), micros(2025, 3, 13, 0))
    }

    fn answer(text: &str) -> Command {
        Command::Answer { text: text.into() }
    }

    fn transfer(to: &str) -> Command {
        Command::Transfer {
            to: to.into(),
            reason: "属于住建部门职责".into(),
        }
    }

    #[test]
    fn an_answer_closes_it_and_says_whether_it_was_late() {
        let q = open();
        let (a, e) = q
            .apply(
                answer("您好，补贴标准见附件。"),
                micros(2025, 3, 5, 9),
                &cal(),
            )
            .unwrap();
        assert_eq!(a.status, Status::Answered);
        assert_eq!(a.version, q.version + 1);
        assert_eq!(a.answered_at, Some(micros(2025, 3, 5, 9)));
        assert_eq!(
            e,
            Event::Answered {
                text: "您好，补贴标准见附件。".into(),
                late: false
            }
        );
        // Exactly at the (exclusive) limit is late.
        let (_, e) = q
            .apply(answer("您好，补贴标准见附件。"), q.answer_by, &cal())
            .unwrap();
        assert!(matches!(e, Event::Answered { late: true, .. }));
        let (_, e) = q
            .apply(answer("您好，补贴标准见附件。"), q.answer_by - 1, &cal())
            .unwrap();
        assert!(matches!(e, Event::Answered { late: false, .. }));
    }

    #[test]
    fn nothing_moves_an_answered_question() {
        let (a, _) = open()
            .apply(
                answer("您好，补贴标准见附件。"),
                micros(2025, 3, 5, 9),
                &cal(),
            )
            .unwrap();
        for cmd in [
            answer("再答复一次可以吗？"),
            transfer("B"),
            Command::NoteOverdue,
        ] {
            assert_eq!(
                a.apply(cmd, micros(2025, 4, 1, 9), &cal()).unwrap_err(),
                Refusal::NotOpen
            );
        }
    }

    #[test]
    fn an_answer_must_say_something() {
        let err = open()
            .apply(answer("  好的  "), micros(2025, 3, 5, 9), &cal())
            .unwrap_err();
        assert!(
            matches!(err, Refusal::Field(ref f) if f.field == "text" && f.problem == "too_short")
        );
        let err = open()
            .apply(answer(&"答".repeat(ANSWER_MAX + 1)), 0, &cal())
            .unwrap_err();
        assert_eq!(err.key(), "field");
    }

    #[test]
    fn a_transfer_keeps_the_limit_but_leaves_a_working_day() {
        let q = open();
        let (t, e) = q
            .apply(transfer("B"), micros(2025, 3, 4, 9), &cal())
            .unwrap();
        assert_eq!(t.department, "B");
        assert_eq!(t.answer_by, q.answer_by, "early transfer keeps the limit");
        assert_eq!(t.transfers, 1);
        assert_eq!(
            e,
            Event::Transferred {
                from: "A".into(),
                to: "B".into(),
                reason: "属于住建部门职责".into()
            }
        );
        // On the last day (Wednesday 12th), the new department gets Thursday.
        let (t, _) = q
            .apply(transfer("B"), micros(2025, 3, 12, 15), &cal())
            .unwrap();
        assert_eq!(t.answer_by, micros(2025, 3, 14, 0));
        // On a Friday after the limit: the end of Monday.
        let (t, _) = q
            .apply(transfer("B"), micros(2025, 3, 14, 15), &cal())
            .unwrap();
        assert_eq!(t.answer_by, micros(2025, 3, 18, 0));
        assert!(!t.is_overdue(micros(2025, 3, 17, 23)));
    }

    #[test]
    fn a_transfer_needs_another_department_a_reason_and_a_limit_on_bouncing() {
        let q = open();
        assert_eq!(
            q.apply(transfer(" A "), 0, &cal()).unwrap_err(),
            Refusal::SameDepartment
        );
        let err = q
            .apply(
                Command::Transfer {
                    to: "B".into(),
                    reason: " ".into(),
                },
                0,
                &cal(),
            )
            .unwrap_err();
        assert!(matches!(err, Refusal::Field(ref f) if f.field == "reason"));
        let mut q = q;
        let now = micros(2025, 3, 4, 9);
        for (i, to) in ["B", "C", "A"].into_iter().enumerate() {
            q = q.apply(transfer(to), now, &cal()).unwrap().0;
            assert_eq!(q.transfers, i as u32 + 1);
        }
        assert_eq!(
            q.apply(transfer("B"), now, &cal()).unwrap_err(),
            Refusal::TooManyTransfers
        );
        // The holder can still answer.
        assert!(q.apply(answer("这是我们的答复内容。"), now, &cal()).is_ok());
    }

    #[test]
    fn overdue_is_noted_once_and_only_after_the_limit() {
        let q = open();
        assert_eq!(
            q.apply(Command::NoteOverdue, q.answer_by - 1, &cal())
                .unwrap_err(),
            Refusal::NotDue
        );
        let (n, e) = q.apply(Command::NoteOverdue, q.answer_by, &cal()).unwrap();
        assert_eq!(e, Event::Overdue);
        assert!(n.overdue_noted);
        assert_eq!(
            n.apply(Command::NoteOverdue, q.answer_by + 1, &cal())
                .unwrap_err(),
            Refusal::AlreadyNoted
        );
        // A transfer that gives a fresh day clears the note, so the new
        // department's lateness is noted too.
        let (t, _) = n.apply(transfer("B"), q.answer_by + 1, &cal()).unwrap();
        assert!(!t.overdue_noted);
        assert!(t.apply(Command::NoteOverdue, t.answer_by, &cal()).is_ok());
    }

    #[test]
    fn events_name_their_action() {
        assert_eq!(Event::Overdue.action(), "question.overdue");
        assert_eq!(Status::parse(" answered"), Some(Status::Answered));
        assert_eq!(Status::parse("closed"), None);
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
    }
}
