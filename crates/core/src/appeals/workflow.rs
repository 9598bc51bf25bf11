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
        };
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
        handler_matches && outcome_matches && supervision && first && self.version >= 1
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
        ]
    }

    fn party() -> impl Strategy<Value = Party> {
        prop_oneof![
            Just(Party::Requester),
            Just(Party::Handler),
            Just(Party::Dispatcher),
            Just(Party::Supervisor),
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
