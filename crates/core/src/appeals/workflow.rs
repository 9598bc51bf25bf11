//! The appeal workflow as a pure state machine.
//!
//! `Appeal::apply(command, party)` either refuses (and nothing changes) or
//! returns the next state and exactly one [`Event`] — which the store writes
//! as one timeline entry and one audit event in the transaction that saves
//! the new state. Who the party is (the resident who filed it, the handler,
//! a dispatcher, a supervisor, the system) is worked out by the caller from
//! `authz`; this module decides which party may do what, when.

use serde::{Deserialize, Serialize};

/// Who handles an appeal: a unit (grid, community, street, district) or a department.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "code", rename_all = "snake_case")]
pub enum Handler {
    Unit(String),
    Department(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Received; waiting for a dispatcher (routing found no owner, or a return).
    Submitted,
    /// Sent to a handler; waiting for it to sign for it (签收).
    Dispatched,
    /// Signed for; being handled.
    InProgress,
    /// The handler replied (答复); waiting for the resident's rating.
    Replied,
    /// Finished, with an [`Outcome`].
    Closed,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Submitted,
        Status::Dispatched,
        Status::InProgress,
        Status::Replied,
        Status::Closed,
    ];

    /// The stable key (as serialised): `submitted`, `in_progress`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Submitted => "submitted",
            Status::Dispatched => "dispatched",
            Status::InProgress => "in_progress",
            Status::Replied => "replied",
            Status::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    Satisfied,
    BasicallySatisfied,
    Unsatisfied,
}

/// How a closed appeal ended; each carries what the resident is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    Rated {
        resolved: bool,
        satisfaction: Satisfaction,
    },
    /// Not rated within the time allowed; a return visit (回访) follows.
    NotRated,
    /// Settled on the spot by a grid worker at intake.
    ResolvedOnSite,
    Withdrawn {
        reason: String,
    },
    /// Not within the government's remit, with where to go instead.
    OutOfRemit {
        redirect: String,
    },
    Invalid {
        reason: String,
    },
    Merged {
        into: i64,
    },
}

/// A unit or department called in by the lead handler to help (联合办理,
/// "blowing the whistle" — 吹哨报到). Each must sign for it by `due`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assist {
    pub handler: Handler,
    /// µs UTC: when it must have signed.
    pub due: i64,
    pub signed: bool,
    /// Missed `due`: flagged once, and the case put under supervision.
    pub overdue: bool,
}

/// A handler's pending request for more time (延期申请), decided by the
/// level above.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionRequest {
    /// Extra working days asked for.
    pub days: u32,
    pub reason: String,
}

/// Most working days one extension may add.
pub const MAX_EXTENSION_DAYS: u32 = 15;

/// The party issuing a command, relative to this appeal.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Party {
    /// The resident who filed it (or their tracking code).
    Requester,
    /// Staff of the current handler (unit or department).
    Handler,
    /// Staff who dispatch: the hotline centre, or the unit above the handler.
    Dispatcher,
    /// A supervisor or leader with jurisdiction.
    Supervisor,
    /// Staff of a unit or department called in to assist.
    Assistant,
    /// The platform itself (deadlines, escalation).
    System,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Dispatch {
        to: Handler,
    },
    Sign,
    /// 退单: back to the dispatcher, with a reason.
    Return {
        reason: String,
    },
    /// Manual re-routing, always with a reason.
    Reroute {
        to: Handler,
        reason: String,
    },
    Reply {
        text: String,
    },
    Rate {
        resolved: bool,
        satisfaction: Satisfaction,
        comment: Option<String>,
    },
    /// Replied but not rated within the time allowed.
    CloseNotRated,
    Withdraw {
        reason: String,
    },
    OutOfRemit {
        redirect: String,
    },
    MarkInvalid {
        reason: String,
    },
    MergeInto {
        target: i64,
    },
    /// Overdue: one level up, flagged for supervision (督办).
    Escalate {
        to: Handler,
    },
    /// The lead handler calls units or departments in to assist; each must
    /// sign by `due` (µs, worked out by the caller from the time limit).
    CallIn {
        to: Vec<Handler>,
        reason: String,
        due: i64,
    },
    /// An assisting unit or department signs for its part.
    SignAssist {
        by: Handler,
    },
    /// An assisting unit or department did not sign in time.
    AssistOverdue {
        by: Handler,
    },
    /// The handler asks for more time, before the deadline.
    RequestExtension {
        days: u32,
        reason: String,
    },
    /// The level above grants or refuses the pending request.
    DecideExtension {
        approve: bool,
        note: Option<String>,
    },
}

impl Command {
    /// The audit action name, stable: `appeal.sign`, `appeal.reply`, …
    pub fn action(&self) -> &'static str {
        match self {
            Command::Dispatch { .. } => "appeal.dispatch",
            Command::Sign => "appeal.sign",
            Command::Return { .. } => "appeal.return",
            Command::Reroute { .. } => "appeal.reroute",
            Command::Reply { .. } => "appeal.reply",
            Command::Rate { .. } => "appeal.rate",
            Command::CloseNotRated => "appeal.close_not_rated",
            Command::Withdraw { .. } => "appeal.withdraw",
            Command::OutOfRemit { .. } => "appeal.out_of_remit",
            Command::MarkInvalid { .. } => "appeal.invalid",
            Command::MergeInto { .. } => "appeal.merge",
            Command::Escalate { .. } => "appeal.escalate",
            Command::CallIn { .. } => "appeal.call_in",
            Command::SignAssist { .. } => "appeal.sign_assist",
            Command::AssistOverdue { .. } => "appeal.assist_overdue",
            Command::RequestExtension { .. } => "appeal.request_extension",
            Command::DecideExtension { .. } => "appeal.decide_extension",
        }
    }
}

/// A refused command. Nothing changed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{action} is not possible while the appeal is {status:?}")]
    WrongStatus {
        action: &'static str,
        status: Status,
    },
    #[error("{action} may not be done by {party:?}")]
    WrongParty { action: &'static str, party: Party },
    #[error("a reason is required")]
    ReasonRequired,
    #[error("text is too long (at most {max} characters)")]
    TooLong { max: usize },
    #[error("the appeal is already with that handler")]
    SameHandler,
    #[error("an appeal cannot be merged into itself")]
    MergeIntoSelf,
    #[error("name at least one unit or department not already called in")]
    NothingToCallIn,
    #[error("that unit or department has not been called in, or has already signed")]
    NotCalledIn,
    #[error("an extension request is already pending")]
    ExtensionPending,
    #[error("no extension request is pending")]
    NoExtensionPending,
    #[error("an extension is 1 to {max} working days")]
    BadExtension { max: u32 },
}

/// What one accepted command did: one timeline entry, one audit event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub action: &'static str,
    /// Shown on the resident's timeline (internal steps are not).
    pub public: bool,
    pub note: Option<String>,
    /// Names of the fields that changed (for the audit trail).
    pub fields: Vec<&'static str>,
}

/// The workflow state of one appeal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appeal {
    pub id: i64,
    pub status: Status,
    /// The current handler (set while Dispatched, InProgress, Replied).
    pub handler: Option<Handler>,
    /// The first unit that received it: it stays responsible (no passing
    /// cases around).
    pub first_handler: Option<Handler>,
    /// Returns so far, and by whom (the same handler returning twice is flagged).
    pub returns: Vec<Handler>,
    /// Flagged when a handler returns it again: cases must not be passed around.
    pub passed_around: bool,
    /// Reopened for re-handling (重办) after an unsatisfied rating: once only.
    pub reopened: bool,
    pub escalations: u32,
    /// Flagged for supervision (督办).
    pub supervised: bool,
    pub outcome: Option<Outcome>,
    /// Incremented by every accepted command; the store saves with
    /// `WHERE version = old` so that of two concurrent actors one wins.
    pub version: i64,
    /// Units and departments called in to assist (joint handling).
    #[serde(default)]
    pub assists: Vec<Assist>,
    /// A pending extension request (only while in progress).
    #[serde(default)]
    pub extension: Option<ExtensionRequest>,
    /// Working days added to the reply limit by approved extensions.
    #[serde(default)]
    pub extension_days: u32,
}

pub const MAX_TEXT: usize = 4000;
pub const MAX_REASON: usize = 500;

fn reason(r: &str) -> Result<String, Refusal> {
    let r = r.trim();
    if r.is_empty() {
        return Err(Refusal::ReasonRequired);
    }
    if r.chars().count() > MAX_REASON {
        return Err(Refusal::TooLong { max: MAX_REASON });
    }
    Ok(r.to_owned())
}

impl Appeal {
    /// A new appeal: dispatched at once when routing found a handler,
    /// otherwise waiting for a dispatcher.
    pub fn new(id: i64, routed_to: Option<Handler>) -> Appeal {
        Appeal {
            id,
            status: if routed_to.is_some() {
                Status::Dispatched
            } else {
                Status::Submitted
            },
            first_handler: routed_to.clone(),
            handler: routed_to,
            returns: Vec::new(),
            passed_around: false,
            reopened: false,
            escalations: 0,
            supervised: false,
            outcome: None,
            version: 1,
            assists: Vec::new(),
            extension: None,
            extension_days: 0,
        }
    }

    /// A grid worker's patrol report settled on the spot (就地解决).
    pub fn resolved_on_site(id: i64, grid: Handler) -> Appeal {
        Appeal {
            status: Status::Closed,
            outcome: Some(Outcome::ResolvedOnSite),
            ..Appeal::new(id, Some(grid))
        }
    }

    /// Send to `to`, remembering the first receiver (it stays responsible).
    fn assign(&mut self, to: &Handler) {
        self.status = Status::Dispatched;
        self.handler = Some(to.clone());
        if self.first_handler.is_none() {
            self.first_handler = Some(to.clone());
        }
    }

    pub fn is_open(&self) -> bool {
        self.status != Status::Closed
    }

    /// The earliest sign-for time of an assisting unit that has neither
    /// signed nor been flagged, while the case is being worked on.
    pub fn next_assist_due(&self) -> Option<i64> {
        if !matches!(self.status, Status::Dispatched | Status::InProgress) {
            return None;
        }
        self.assists
            .iter()
            .filter(|a| !a.signed && !a.overdue)
            .map(|a| a.due)
            .min()
    }

    /// An assisting unit whose sign-for time has passed at `now`.
    pub fn overdue_assist(&self, now: i64) -> Option<&Handler> {
        if !matches!(self.status, Status::Dispatched | Status::InProgress) {
            return None;
        }
        self.assists
            .iter()
            .find(|a| !a.signed && !a.overdue && a.due <= now)
            .map(|a| &a.handler)
    }

    /// Apply a command: the next state and its one event, or a refusal.
    pub fn apply(&self, command: &Command, party: &Party) -> Result<(Appeal, Event), Refusal> {
        use Party as P;
        use Status as S;
        let action = command.action();
        let wrong_status = Err(Refusal::WrongStatus {
            action,
            status: self.status,
        });
        let wrong_party = || {
            Err(Refusal::WrongParty {
                action,
                party: party.clone(),
            })
        };
        let mut next = self.clone();
        next.version += 1;
        let event = |public: bool, note: Option<String>, fields: &[&'static str]| Event {
            action,
            public,
            note,
            fields: fields.to_vec(),
        };

        let ev = match command {
            Command::Dispatch { to } => {
                if self.status != S::Submitted {
                    return wrong_status;
                }
                if !matches!(party, P::Dispatcher | P::Supervisor | P::System) {
                    return wrong_party();
                }
                next.assign(to);
                event(true, None, &["status", "handler"])
            }
            Command::Sign => {
                if self.status != S::Dispatched {
                    return wrong_status;
                }
                if *party != P::Handler {
                    return wrong_party();
                }
                next.status = S::InProgress;
                event(true, None, &["status"])
            }
            Command::Return { reason: r } => {
                if self.status != S::Dispatched {
                    return wrong_status;
                }
                if *party != P::Handler {
                    return wrong_party();
                }
                let r = reason(r)?;
                let by = self.handler.clone();
                if let Some(by) = by {
                    if self.returns.contains(&by) {
                        next.passed_around = true;
                    }
                    next.returns.push(by);
                }
                next.status = S::Submitted;
                next.handler = None;
                event(false, Some(r), &["status", "handler", "returns"])
            }
            Command::Reroute { to, reason: r } => {
                if !matches!(self.status, S::Submitted | S::Dispatched | S::InProgress) {
                    return wrong_status;
                }
                if !matches!(party, P::Dispatcher | P::Supervisor) {
                    return wrong_party();
                }
                let r = reason(r)?;
                if self.handler.as_ref() == Some(to) {
                    return Err(Refusal::SameHandler);
                }
                next.assign(to);
                event(false, Some(r), &["status", "handler"])
            }
            Command::Reply { text } => {
                if self.status != S::InProgress {
                    return wrong_status;
                }
                if *party != P::Handler {
                    return wrong_party();
                }
                let text = text.trim();
                if text.is_empty() {
                    return Err(Refusal::ReasonRequired);
                }
                if text.chars().count() > MAX_TEXT {
                    return Err(Refusal::TooLong { max: MAX_TEXT });
                }
                next.status = S::Replied;
                event(true, Some(text.to_owned()), &["status", "reply"])
            }
            Command::Rate {
                resolved,
                satisfaction,
                comment,
            } => {
                if self.status != S::Replied {
                    return wrong_status;
                }
                if *party != P::Requester {
                    return wrong_party();
                }
                if let Some(c) = comment
                    && c.chars().count() > MAX_REASON
                {
                    return Err(Refusal::TooLong { max: MAX_REASON });
                }
                let unhappy = *satisfaction == Satisfaction::Unsatisfied;
                if unhappy && !self.reopened {
                    // 重办: back to the same handler for re-handling, once.
                    next.reopened = true;
                    next.status = S::Dispatched;
                } else {
                    next.status = S::Closed;
                    next.outcome = Some(Outcome::Rated {
                        resolved: *resolved,
                        satisfaction: *satisfaction,
                    });
                }
                event(true, comment.clone(), &["status", "rating"])
            }
            Command::CloseNotRated => {
                if self.status != S::Replied {
                    return wrong_status;
                }
                if *party != P::System {
                    return wrong_party();
                }
                next.status = S::Closed;
                next.outcome = Some(Outcome::NotRated);
                event(true, None, &["status", "outcome"])
            }
            Command::Withdraw { reason: r } => {
                if !self.is_open() {
                    return wrong_status;
                }
                if *party != P::Requester {
                    return wrong_party();
                }
                let r = reason(r)?;
                next.status = S::Closed;
                next.outcome = Some(Outcome::Withdrawn { reason: r.clone() });
                event(true, Some(r), &["status", "outcome"])
            }
            Command::OutOfRemit { redirect } => {
                if !matches!(self.status, S::Submitted | S::Dispatched | S::InProgress) {
                    return wrong_status;
                }
                if !matches!(party, P::Handler | P::Dispatcher | P::Supervisor) {
                    return wrong_party();
                }
                let r = reason(redirect)?;
                next.status = S::Closed;
                next.outcome = Some(Outcome::OutOfRemit {
                    redirect: r.clone(),
                });
                event(true, Some(r), &["status", "outcome"])
            }
            Command::MarkInvalid { reason: r } => {
                if !matches!(self.status, S::Submitted | S::Dispatched | S::InProgress) {
                    return wrong_status;
                }
                if !matches!(party, P::Dispatcher | P::Supervisor) {
                    return wrong_party();
                }
                let r = reason(r)?;
                next.status = S::Closed;
                next.outcome = Some(Outcome::Invalid { reason: r.clone() });
                event(true, Some(r), &["status", "outcome"])
            }
            Command::MergeInto { target } => {
                if !matches!(self.status, S::Submitted | S::Dispatched | S::InProgress) {
                    return wrong_status;
                }
                if !matches!(party, P::Handler | P::Dispatcher | P::Supervisor) {
                    return wrong_party();
                }
                if *target == self.id {
                    return Err(Refusal::MergeIntoSelf);
                }
                next.status = S::Closed;
                next.outcome = Some(Outcome::Merged { into: *target });
                event(true, None, &["status", "outcome"])
            }
            Command::Escalate { to } => {
                if !matches!(self.status, S::Submitted | S::Dispatched | S::InProgress) {
                    return wrong_status;
                }
                if !matches!(party, P::System | P::Supervisor) {
                    return wrong_party();
                }
                if self.handler.as_ref() == Some(to) {
                    return Err(Refusal::SameHandler);
                }
                next.assign(to);
                next.escalations += 1;
                next.supervised = true;
                event(
                    false,
                    None,
                    &["status", "handler", "escalations", "supervised"],
                )
            }
            Command::CallIn { to, reason: r, due } => {
                if self.status != S::InProgress {
                    return wrong_status;
                }
                if *party != P::Handler {
                    return wrong_party();
                }
                let r = reason(r)?;
                let fresh: Vec<&Handler> = to
                    .iter()
                    .enumerate()
                    .filter(|(i, h)| {
                        self.handler.as_ref() != Some(*h)
                            && !self.assists.iter().any(|a| a.handler == **h)
                            && !to[..*i].contains(*h)
                    })
                    .map(|(_, h)| h)
                    .collect();
                if fresh.is_empty() {
                    return Err(Refusal::NothingToCallIn);
                }
                next.assists.extend(fresh.into_iter().map(|h| Assist {
                    handler: h.clone(),
                    due: *due,
                    signed: false,
                    overdue: false,
                }));
                event(false, Some(r), &["assists"])
            }
            Command::SignAssist { by } => {
                if !matches!(self.status, S::Dispatched | S::InProgress) {
                    return wrong_status;
                }
                if *party != P::Assistant {
                    return wrong_party();
                }
                let Some(a) = next
                    .assists
                    .iter_mut()
                    .find(|a| a.handler == *by && !a.signed)
                else {
                    return Err(Refusal::NotCalledIn);
                };
                a.signed = true;
                event(false, None, &["assists"])
            }
            Command::AssistOverdue { by } => {
                if !matches!(self.status, S::Dispatched | S::InProgress) {
                    return wrong_status;
                }
                if *party != P::System {
                    return wrong_party();
                }
                let Some(a) = next
                    .assists
                    .iter_mut()
                    .find(|a| a.handler == *by && !a.signed && !a.overdue)
                else {
                    return Err(Refusal::NotCalledIn);
                };
                a.overdue = true;
                next.supervised = true;
                event(false, None, &["assists", "supervised"])
            }
            Command::RequestExtension { days, reason: r } => {
                if self.status != S::InProgress {
                    return wrong_status;
                }
                if *party != P::Handler {
                    return wrong_party();
                }
                if self.extension.is_some() {
                    return Err(Refusal::ExtensionPending);
                }
                if !(1..=MAX_EXTENSION_DAYS).contains(days) {
                    return Err(Refusal::BadExtension {
                        max: MAX_EXTENSION_DAYS,
                    });
                }
                let r = reason(r)?;
                next.extension = Some(ExtensionRequest {
                    days: *days,
                    reason: r.clone(),
                });
                event(false, Some(r), &["extension"])
            }
            Command::DecideExtension { approve, note } => {
                if self.status != S::InProgress {
                    return wrong_status;
                }
                if !matches!(party, P::Dispatcher | P::Supervisor) {
                    return wrong_party();
                }
                let Some(req) = &self.extension else {
                    return Err(Refusal::NoExtensionPending);
                };
                let note = match note.as_deref().map(str::trim) {
                    Some(n) if n.chars().count() > MAX_REASON => {
                        return Err(Refusal::TooLong { max: MAX_REASON });
                    }
                    Some("") | None => None,
                    Some(n) => Some(n.to_owned()),
                };
                next.extension = None;
                if *approve {
                    next.extension_days += req.days;
                    // The resident is told the limit moved.
                    event(true, note, &["extension", "reply_due"])
                } else {
                    event(false, note, &["extension"])
                }
            }
        };
        // A pending request lapses when the case leaves its handler's hands.
        if next.status != S::InProgress || next.handler != self.handler {
            next.extension = None;
        }
        debug_assert!(next.invariant_holds(), "{next:?}");
        Ok((next, ev))
    }

    /// The shape every reachable state has. Checked by the property test.
    pub fn invariant_holds(&self) -> bool {
        let handler_matches = match self.status {
            Status::Submitted => self.handler.is_none(),
            Status::Dispatched | Status::InProgress | Status::Replied => self.handler.is_some(),
            Status::Closed => true,
        };
        let outcome_matches = (self.status == Status::Closed) == self.outcome.is_some();
        let supervision = self.escalations == 0 || self.supervised;
        let first = self.handler.is_none() || self.first_handler.is_some();
        let extension = self.extension.is_none() || self.status == Status::InProgress;
        let overdue_assists = self.assists.iter().all(|a| !a.overdue || self.supervised);
        handler_matches
            && outcome_matches
            && supervision
            && first
            && extension
            && overdue_assists
            && self.version >= 1
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use proptest::prelude::*;

    use super::*;

    fn unit(c: &str) -> Handler {
        Handler::Unit(c.into())
    }

    fn ok(a: &Appeal, c: Command, p: Party) -> Appeal {
        a.apply(&c, &p)
            .unwrap_or_else(|e| panic!("{c:?} by {p:?}: {e}"))
            .0
    }

    #[test]
    fn the_common_path_sign_reply_rate() {
        let a = Appeal::new(1, Some(unit("grid-1")));
        assert_eq!(a.status, Status::Dispatched);
        let a = ok(&a, Command::Sign, Party::Handler);
        let (a, ev) = a
            .apply(
                &Command::Reply {
                    text: "已清理".into(),
                },
                &Party::Handler,
            )
            .unwrap();
        assert_eq!(
            (a.status, ev.action, ev.public),
            (Status::Replied, "appeal.reply", true)
        );
        let a = ok(
            &a,
            Command::Rate {
                resolved: true,
                satisfaction: Satisfaction::Satisfied,
                comment: None,
            },
            Party::Requester,
        );
        assert_eq!(a.status, Status::Closed);
        assert_eq!(
            a.outcome,
            Some(Outcome::Rated {
                resolved: true,
                satisfaction: Satisfaction::Satisfied
            })
        );
        assert_eq!(a.version, 4);
    }

    #[test]
    fn unsatisfied_reopens_once_then_closes() {
        let mut a = Appeal::new(1, Some(unit("k")));
        let unhappy = Command::Rate {
            resolved: false,
            satisfaction: Satisfaction::Unsatisfied,
            comment: Some("没修好".into()),
        };
        for round in 0..2 {
            a = ok(&a, Command::Sign, Party::Handler);
            a = ok(
                &a,
                Command::Reply {
                    text: "处理中".into(),
                },
                Party::Handler,
            );
            a = ok(&a, unhappy.clone(), Party::Requester);
            if round == 0 {
                assert_eq!((a.status, a.reopened), (Status::Dispatched, true));
                assert_eq!(a.handler, Some(unit("k")), "re-handled by the same unit");
            }
        }
        assert_eq!(a.status, Status::Closed);
        assert!(matches!(
            a.outcome,
            Some(Outcome::Rated {
                satisfaction: Satisfaction::Unsatisfied,
                ..
            })
        ));
    }

    #[test]
    fn returns_go_back_to_the_dispatcher_and_repeat_returns_are_flagged() {
        let a = Appeal::new(1, Some(unit("k1")));
        let back = Command::Return {
            reason: "不属于本社区".into(),
        };
        let a = ok(&a, back.clone(), Party::Handler);
        assert_eq!((a.status, a.handler.clone()), (Status::Submitted, None));
        assert!(!a.passed_around);
        let a = ok(&a, Command::Dispatch { to: unit("k2") }, Party::Dispatcher);
        let a = ok(&a, back.clone(), Party::Handler);
        assert!(
            !a.passed_around,
            "a different unit returning is not yet passing around"
        );
        let a = ok(&a, Command::Dispatch { to: unit("k1") }, Party::Dispatcher);
        let a = ok(&a, back, Party::Handler);
        assert!(a.passed_around, "k1 returned it twice");
        assert_eq!(
            a.first_handler,
            Some(unit("k1")),
            "the first receiver stays responsible"
        );
        assert_eq!(
            a.apply(&Command::Return { reason: " ".into() }, &Party::Handler),
            Err(Refusal::WrongStatus {
                action: "appeal.return",
                status: Status::Submitted
            })
        );
    }

    #[test]
    fn escalation_flags_supervision() {
        let a = Appeal::new(1, Some(unit("g")));
        let (a, ev) = a
            .apply(&Command::Escalate { to: unit("k") }, &Party::System)
            .unwrap();
        assert_eq!(
            (a.escalations, a.supervised, a.handler.clone()),
            (1, true, Some(unit("k")))
        );
        assert!(!ev.public);
        assert_eq!(
            a.apply(&Command::Escalate { to: unit("k") }, &Party::System),
            Err(Refusal::SameHandler)
        );
        assert!(matches!(
            a.apply(&Command::Escalate { to: unit("s") }, &Party::Handler),
            Err(Refusal::WrongParty { .. })
        ));
    }

    #[test]
    fn wrong_parties_and_states_are_refused_with_reasons() {
        let a = Appeal::new(1, Some(unit("g")));
        assert!(matches!(
            a.apply(&Command::Sign, &Party::Requester),
            Err(Refusal::WrongParty { .. })
        ));
        assert!(matches!(
            a.apply(&Command::Reply { text: "x".into() }, &Party::Handler),
            Err(Refusal::WrongStatus { .. })
        ));
        assert_eq!(
            a.apply(&Command::Withdraw { reason: "".into() }, &Party::Requester),
            Err(Refusal::ReasonRequired)
        );
        assert_eq!(
            a.apply(&Command::MergeInto { target: 1 }, &Party::Dispatcher),
            Err(Refusal::MergeIntoSelf)
        );
        assert_eq!(
            a.apply(
                &Command::MarkInvalid {
                    reason: "x".repeat(501)
                },
                &Party::Dispatcher
            ),
            Err(Refusal::TooLong { max: MAX_REASON })
        );
        let closed = ok(
            &a,
            Command::Withdraw {
                reason: "已自行解决".into(),
            },
            Party::Requester,
        );
        for c in [
            Command::Sign,
            Command::Withdraw { reason: "x".into() },
            Command::Escalate { to: unit("k") },
        ] {
            assert!(matches!(
                closed.apply(&c, &Party::System),
                Err(Refusal::WrongStatus { .. }) | Err(Refusal::WrongParty { .. })
            ));
        }
        let on_site = Appeal::resolved_on_site(2, unit("g"));
        assert_eq!(
            (on_site.status, on_site.outcome.clone()),
            (Status::Closed, Some(Outcome::ResolvedOnSite))
        );
        assert!(on_site.invariant_holds());
    }

    #[test]
    fn joint_handling_calls_in_and_flags_late_signing() {
        let a = Appeal::new(1, Some(unit("s")));
        let dept = Handler::Department("d1".into());
        let call = Command::CallIn {
            to: vec![dept.clone(), dept.clone(), unit("s")],
            reason: "需要城管配合".into(),
            due: 100,
        };
        assert!(matches!(
            a.apply(&call, &Party::Handler),
            Err(Refusal::WrongStatus { .. })
        ));
        let a = ok(&a, Command::Sign, Party::Handler);
        assert!(matches!(
            a.apply(&call, &Party::Dispatcher),
            Err(Refusal::WrongParty { .. })
        ));
        let a = ok(&a, call.clone(), Party::Handler);
        assert_eq!(
            a.assists.len(),
            1,
            "duplicates and the lead itself are dropped"
        );
        assert_eq!(
            a.apply(&call, &Party::Handler),
            Err(Refusal::NothingToCallIn)
        );
        assert_eq!(a.next_assist_due(), Some(100));
        assert_eq!(a.overdue_assist(99), None);
        assert_eq!(a.overdue_assist(100), Some(&dept));
        let late = ok(
            &a,
            Command::AssistOverdue { by: dept.clone() },
            Party::System,
        );
        assert!(late.supervised && late.assists[0].overdue);
        assert_eq!(late.next_assist_due(), None, "flagged once");
        let signed = ok(
            &late,
            Command::SignAssist { by: dept.clone() },
            Party::Assistant,
        );
        assert!(signed.assists[0].signed);
        assert_eq!(
            signed.apply(&Command::SignAssist { by: dept }, &Party::Assistant),
            Err(Refusal::NotCalledIn)
        );
        assert_eq!(
            a.apply(
                &Command::SignAssist {
                    by: Handler::Department("d9".into())
                },
                &Party::Assistant
            ),
            Err(Refusal::NotCalledIn)
        );
    }

    #[test]
    fn extensions_are_requested_by_the_handler_and_decided_above() {
        let a = ok(
            &Appeal::new(1, Some(unit("k"))),
            Command::Sign,
            Party::Handler,
        );
        let ask = |days| Command::RequestExtension {
            days,
            reason: "需协调产权单位".into(),
        };
        assert_eq!(
            a.apply(&ask(0), &Party::Handler),
            Err(Refusal::BadExtension {
                max: MAX_EXTENSION_DAYS
            })
        );
        assert!(matches!(
            a.apply(&ask(3), &Party::Dispatcher),
            Err(Refusal::WrongParty { .. })
        ));
        let decide = |approve| Command::DecideExtension {
            approve,
            note: None,
        };
        assert_eq!(
            a.apply(&decide(true), &Party::Dispatcher),
            Err(Refusal::NoExtensionPending)
        );
        let pending = ok(&a, ask(3), Party::Handler);
        assert_eq!(
            pending.apply(&ask(2), &Party::Handler),
            Err(Refusal::ExtensionPending)
        );
        assert!(matches!(
            pending.apply(&decide(true), &Party::Handler),
            Err(Refusal::WrongParty { .. })
        ));
        let (granted, ev) = pending.apply(&decide(true), &Party::Dispatcher).unwrap();
        assert_eq!(
            (granted.extension_days, granted.extension.clone()),
            (3, None)
        );
        assert!(ev.public, "the resident sees the new limit");
        let (refused, ev) = pending.apply(&decide(false), &Party::Supervisor).unwrap();
        assert_eq!(
            (refused.extension_days, refused.extension.clone()),
            (0, None)
        );
        assert!(!ev.public);
        // A pending request lapses when the case moves on.
        let replied = ok(
            &pending,
            Command::Reply {
                text: "已办".into(),
            },
            Party::Handler,
        );
        assert_eq!(replied.extension, None);
    }

    fn handler() -> impl Strategy<Value = Handler> {
        prop_oneof![
            (0u8..4).prop_map(|i| Handler::Unit(format!("u{i}"))),
            (0u8..2).prop_map(|i| Handler::Department(format!("d{i}"))),
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            Just("  ".to_string()),
            Just("理由".to_string()),
            Just("x".repeat(600))
        ]
    }

    fn satisfaction() -> impl Strategy<Value = Satisfaction> {
        prop_oneof![
            Just(Satisfaction::Satisfied),
            Just(Satisfaction::BasicallySatisfied),
            Just(Satisfaction::Unsatisfied)
        ]
    }

    fn command() -> impl Strategy<Value = Command> {
        prop_oneof![
            handler().prop_map(|to| Command::Dispatch { to }),
            Just(Command::Sign),
            text().prop_map(|reason| Command::Return { reason }),
            (handler(), text()).prop_map(|(to, reason)| Command::Reroute { to, reason }),
            text().prop_map(|text| Command::Reply { text }),
            (any::<bool>(), satisfaction()).prop_map(|(resolved, satisfaction)| Command::Rate {
                resolved,
                satisfaction,
                comment: None
            }),
            Just(Command::CloseNotRated),
            text().prop_map(|reason| Command::Withdraw { reason }),
            text().prop_map(|redirect| Command::OutOfRemit { redirect }),
            text().prop_map(|reason| Command::MarkInvalid { reason }),
            (0i64..3).prop_map(|target| Command::MergeInto { target }),
            handler().prop_map(|to| Command::Escalate { to }),
            (proptest::collection::vec(handler(), 0..3), text())
                .prop_map(|(to, reason)| Command::CallIn { to, reason, due: 5 }),
            handler().prop_map(|by| Command::SignAssist { by }),
            handler().prop_map(|by| Command::AssistOverdue { by }),
            (0u32..20, text())
                .prop_map(|(days, reason)| Command::RequestExtension { days, reason }),
            any::<bool>().prop_map(|approve| Command::DecideExtension {
                approve,
                note: None
            }),
        ]
    }

    fn party() -> impl Strategy<Value = Party> {
        prop_oneof![
            Just(Party::Requester),
            Just(Party::Handler),
            Just(Party::Dispatcher),
            Just(Party::Supervisor),
            Just(Party::Assistant),
            Just(Party::System)
        ]
    }

    proptest! {
        /// Random actions by random parties: no illegal state is reached,
        /// every accepted command yields exactly one event and bumps the
        /// version by one, and closed appeals accept nothing.
        #[test]
        fn random_sequences_keep_the_invariants(
            routed in proptest::option::of(handler()),
            steps in proptest::collection::vec((command(), party()), 1..60),
        ) {
            let mut a = Appeal::new(1, routed);
            prop_assert!(a.invariant_holds());
            let mut accepted = 0u32;
            for (c, p) in steps {
                let before = a.clone();
                // A refusal changes nothing by construction: `apply` borrows
                // the appeal immutably and `a` is kept as it was.
                if let Ok((next, ev)) = a.apply(&c, &p) {
                        prop_assert!(next.invariant_holds(), "{:?} after {:?}", next, c);
                        prop_assert_eq!(next.version, before.version + 1);
                        prop_assert_eq!(ev.action, c.action());
                        prop_assert!(!ev.fields.is_empty());
                        // Closed is final.
                        prop_assert!(before.status != Status::Closed);
                        // Reopening happens at most once.
                        let reopened_twice = before.reopened
                            && next.status == Status::Dispatched
                            && matches!(c, Command::Rate { .. });
                        prop_assert!(!reopened_twice);
                        a = next;
                        accepted += 1;
                }
            }
            prop_assert_eq!(a.version, 1 + i64::from(accepted));
        }
    }
}
