//! The dispute case as a pure state machine.
//!
//! `Dispute::apply(command, actor, now)` either refuses (nothing changes) or
//! returns the next state and exactly one [`Event`], which the store writes
//! as one timeline entry and one audit event in the transaction that saves
//! the state. The caller works out who the actor is relative to the case
//! (an assigned mediator, the organisation, a party, the level above, the
//! platform) from `authz`; this module decides who may do what, when.
//!
//! ```text
//! AwaitingConsent ──all consent──▶ Mediating ──agreement──▶ Agreed ──performed──▶ Closed
//!        │ refusal                     │ no agreement          │ breach / court rejects
//!        ▼                             ▼                       ▼
//!    Unsettled ◀───────────────────────┴───────────────────────┘
//!        │ reopen → AwaitingConsent    │ refer → Referred ──result──▶ Closed
//!        │ close / withdraw ──▶ Closed
//! ```

use serde::{Deserialize, Serialize};

use super::agreement::{Agreement, AgreementError};
use super::kind::{Channel, Performance, RiskReason, Side, Source};

pub const DAY_MICROS: i64 = 86_400_000_000;
/// People's mediation is generally concluded within 30 days of acceptance;
/// a court's pre-filing referral is mediated within 30 days of the referral.
pub const MEDIATION_DAYS: i64 = 30;
/// Days to obtain the parties' consent before the case counts as overdue.
pub const CONSENT_DAYS: i64 = 7;
/// The parties may apply for judicial confirmation within 30 days of the agreement.
pub const CONFIRMATION_DAYS: i64 = 30;
/// After an escalation, the organisation above has this long to conclude.
pub const ESCALATED_DAYS: i64 = 15;
/// Most days one extension may add.
pub const MAX_EXTENSION_DAYS: u32 = 30;
/// Most mediators on one case.
pub const MAX_MEDIATORS: usize = 3;
pub const MAX_TEXT: usize = 4000;
pub const MAX_REASON: usize = 500;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Registered and assigned; the parties have not all consented yet.
    AwaitingConsent,
    /// Accepted (受理): every party consented; sessions under way.
    Mediating,
    /// An agreement was signed; follow-ups watch its performance.
    Agreed,
    /// Not settled (consent refused, no agreement, a breach, the court
    /// refused to confirm): to be reopened, referred on or closed.
    Unsettled,
    /// Handed to another channel; tracked to its result.
    Referred,
    Closed,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::AwaitingConsent,
        Status::Mediating,
        Status::Agreed,
        Status::Unsettled,
        Status::Referred,
        Status::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::AwaitingConsent => "awaiting_consent",
            Status::Mediating => "mediating",
            Status::Agreed => "agreed",
            Status::Unsettled => "unsettled",
            Status::Referred => "referred",
            Status::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Statuses with a time limit the background job watches.
    pub fn is_timed(self) -> bool {
        matches!(self, Status::AwaitingConsent | Status::Mediating)
    }
}

/// How a closed case ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// The agreement was performed (confirmed by a follow-up visit).
    Performed,
    /// Referred to another channel, which reached a result.
    Referred { channel: Channel, resolved: bool },
    /// The applicant withdrew.
    Withdrawn { reason: String },
    /// Ended without settlement and without referral (the parties keep every legal route).
    Ended { reason: String },
}

impl Outcome {
    pub fn kind(&self) -> &'static str {
        match self {
            Outcome::Performed => "performed",
            Outcome::Referred { .. } => "referred",
            Outcome::Withdrawn { .. } => "withdrawn",
            Outcome::Ended { .. } => "ended",
        }
    }
}

/// One party of the case as the workflow sees it. Names and contacts are
/// personal data and live apart (masked, access-logged); the index in
/// `Dispute::parties` is the party's id within the case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyState {
    pub side: Side,
    /// `None` until asked; consent may be withdrawn by a new refusal.
    pub consent: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// When it took place (µs UTC).
    pub at: i64,
    /// The mediation room, or the online meeting.
    pub place: String,
    pub online: bool,
    /// Indices of the parties present.
    pub parties_present: Vec<usize>,
    pub minutes: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recusal {
    pub mediator: i64,
    /// The objecting party.
    pub party: usize,
    pub reason: String,
    pub at: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ruling {
    Confirmed,
    Rejected,
}

/// Judicial confirmation (司法确认) of the agreement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    pub court: String,
    pub applied_at: i64,
    pub accepted_at: Option<i64>,
    pub ruling: Option<Ruling>,
    pub ruled_at: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referral {
    pub channel: Channel,
    /// The body it went to (department, arbitration commission, court).
    pub to: String,
    pub reason: String,
    pub at: i64,
    pub result: Option<String>,
    pub resolved: Option<bool>,
    pub result_at: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    pub at: i64,
    pub performance: Performance,
    pub note: String,
}

/// Who issues a command, relative to this case.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Actor {
    /// A mediator assigned to the case.
    Mediator,
    /// The organisation holding the case (its mediators and staff).
    Organisation,
    /// A party acting for themselves: their index in the case.
    Party(usize),
    /// The level above the organisation (a supervisor with jurisdiction).
    Supervisor,
    /// The platform: deadlines, escalation, risk rules.
    System,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// A party's consent to mediate, or refusal (recorded by the mediator or by the party).
    RecordConsent {
        party: usize,
        consent: bool,
    },
    AssignMediators {
        mediators: Vec<i64>,
    },
    /// A party objects to a mediator (回避): the mediator leaves the case.
    ObjectToMediator {
        party: usize,
        mediator: i64,
        reason: String,
    },
    HoldSession {
        session: Session,
    },
    /// More time, with every party's consent.
    Extend {
        days: u32,
        reason: String,
        parties_agree: bool,
    },
    RecordAgreement {
        agreement: Agreement,
    },
    NoAgreement {
        reason: String,
    },
    ApplyForConfirmation {
        court: String,
    },
    CourtAccepted,
    CourtRuling {
        ruling: Ruling,
        note: Option<String>,
    },
    FollowUp {
        performance: Performance,
        note: String,
    },
    /// Mediate again (after a breach, a refusal or a failed round): consent is asked anew.
    Reopen {
        reason: String,
    },
    Refer {
        channel: Channel,
        to: String,
        reason: String,
    },
    ReferralResult {
        resolved: bool,
        result: String,
    },
    Withdraw {
        reason: String,
    },
    Close {
        reason: String,
    },
    /// To another organisation (e.g. a professional committee).
    Transfer {
        to_org: String,
        reason: String,
    },
    /// Overdue: supervised, and moved to the organisation above where there is one.
    Escalate {
        to_org: Option<String>,
    },
    FlagRisk {
        reasons: Vec<RiskReason>,
        note: String,
    },
    ClearRisk {
        note: String,
    },
}

impl Command {
    /// The audit action name, stable.
    pub fn action(&self) -> &'static str {
        match self {
            Command::RecordConsent { .. } => "dispute.consent",
            Command::AssignMediators { .. } => "dispute.assign_mediators",
            Command::ObjectToMediator { .. } => "dispute.recusal",
            Command::HoldSession { .. } => "dispute.session",
            Command::Extend { .. } => "dispute.extend",
            Command::RecordAgreement { .. } => "dispute.agreement",
            Command::NoAgreement { .. } => "dispute.no_agreement",
            Command::ApplyForConfirmation { .. } => "dispute.apply_confirmation",
            Command::CourtAccepted => "dispute.court_accepted",
            Command::CourtRuling { .. } => "dispute.court_ruling",
            Command::FollowUp { .. } => "dispute.follow_up",
            Command::Reopen { .. } => "dispute.reopen",
            Command::Refer { .. } => "dispute.refer",
            Command::ReferralResult { .. } => "dispute.referral_result",
            Command::Withdraw { .. } => "dispute.withdraw",
            Command::Close { .. } => "dispute.close",
            Command::Transfer { .. } => "dispute.transfer",
            Command::Escalate { .. } => "dispute.escalate",
            Command::FlagRisk { .. } => "dispute.flag_risk",
            Command::ClearRisk { .. } => "dispute.clear_risk",
        }
    }
}

/// A refused command. Nothing changed. `key()` is stable and translated by the UI.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{action} is not possible while the case is {status:?}")]
    WrongStatus {
        action: &'static str,
        status: Status,
    },
    #[error("{action} may not be done by {actor:?}")]
    WrongActor { action: &'static str, actor: Actor },
    #[error("a reason is required")]
    ReasonRequired,
    #[error("text is too long (at most {max} characters)")]
    TooLong { max: usize },
    #[error("the case has no party {0}")]
    UnknownParty(usize),
    #[error("name one to {max} mediators, none of them recused")]
    BadMediators { max: usize },
    #[error("that mediator is not on the case")]
    NotAssigned,
    #[error("a session needs a mediator on the case")]
    NoMediator,
    #[error("an extension is 1 to {max} days")]
    BadExtension { max: u32 },
    #[error("an extension needs the consent of every party")]
    ExtensionNeedsConsent,
    #[error("an agreement follows at least one session")]
    NoSession,
    #[error("invalid agreement: {0}")]
    Agreement(AgreementError),
    #[error("judicial confirmation must be applied for within {days} days of the agreement")]
    ConfirmationWindowClosed { days: i64 },
    #[error("judicial confirmation was already applied for")]
    AlreadyApplied,
    #[error("no judicial confirmation is pending at this stage")]
    NoConfirmationPending,
    #[error("the case is already with that organisation")]
    SameOrganisation,
    #[error("name at least one risk reason not already flagged")]
    NothingToFlag,
    #[error("the case carries no risk flag")]
    NoRiskFlag,
}

impl Refusal {
    /// A stable key for translation: `mediation-refusal-<key>`.
    pub fn key(&self) -> &'static str {
        match self {
            Refusal::WrongStatus { .. } => "wrong-status",
            Refusal::WrongActor { .. } => "wrong-actor",
            Refusal::ReasonRequired => "reason-required",
            Refusal::TooLong { .. } => "too-long",
            Refusal::UnknownParty(_) => "unknown-party",
            Refusal::BadMediators { .. } => "bad-mediators",
            Refusal::NotAssigned => "not-assigned",
            Refusal::NoMediator => "no-mediator",
            Refusal::BadExtension { .. } => "bad-extension",
            Refusal::ExtensionNeedsConsent => "extension-needs-consent",
            Refusal::NoSession => "no-session",
            Refusal::Agreement(_) => "agreement",
            Refusal::ConfirmationWindowClosed { .. } => "confirmation-window-closed",
            Refusal::AlreadyApplied => "already-applied",
            Refusal::NoConfirmationPending => "no-confirmation-pending",
            Refusal::SameOrganisation => "same-organisation",
            Refusal::NothingToFlag => "nothing-to-flag",
            Refusal::NoRiskFlag => "no-risk-flag",
        }
    }
}

/// What one accepted command did: one timeline entry, one audit event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub action: &'static str,
    /// Shown to the parties on their progress page (internal steps are not).
    pub public: bool,
    pub note: Option<String>,
    /// Names of the fields that changed (for the audit trail).
    pub fields: Vec<&'static str>,
}

/// The workflow state of one dispute case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispute {
    pub id: i64,
    pub source: Source,
    pub status: Status,
    /// The organisation holding the case.
    pub org: String,
    /// The organisation that first took it (for the Fengqiao measure: where it started).
    pub first_org: String,
    pub mediators: Vec<i64>,
    pub recusals: Vec<Recusal>,
    pub parties: Vec<PartyState>,
    pub sessions: Vec<Session>,
    pub received_at: i64,
    /// Accepted: every party consented.
    pub accepted_at: Option<i64>,
    /// The act-by time of a timed status (see [`Status::is_timed`]).
    pub due: Option<i64>,
    pub extension_days: u32,
    pub escalations: u32,
    /// Flagged for supervision (督办).
    pub supervised: bool,
    pub agreement: Option<Agreement>,
    pub agreed_at: Option<i64>,
    pub confirmation: Option<Confirmation>,
    pub follow_ups: Vec<FollowUp>,
    pub referrals: Vec<Referral>,
    /// Rounds of mediation that ended without agreement.
    pub failed_rounds: u32,
    /// Agreements breached so far.
    pub breaches: u32,
    pub risk: Vec<RiskReason>,
    /// Reasons a person cleared: the platform's rules do not raise them again
    /// (a person may). Older stored cases have none.
    #[serde(default)]
    pub risk_cleared: Vec<RiskReason>,
    pub outcome: Option<Outcome>,
    pub closed_at: Option<i64>,
    /// Incremented by every accepted command; saved with `WHERE version = old`.
    pub version: i64,
}

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

fn long_text(t: &str) -> Result<String, Refusal> {
    let t = t.trim();
    if t.is_empty() {
        return Err(Refusal::ReasonRequired);
    }
    if t.chars().count() > MAX_TEXT {
        return Err(Refusal::TooLong { max: MAX_TEXT });
    }
    Ok(t.to_owned())
}

impl Dispute {
    /// A new case with its parties (applicants first), held by `org`.
    /// A court's referral runs its 30 days from now; other cases first need consent.
    pub fn new(id: i64, source: Source, org: String, sides: &[Side], now: i64) -> Dispute {
        let court = source == Source::CourtReferral;
        Dispute {
            id,
            source,
            status: Status::AwaitingConsent,
            first_org: org.clone(),
            org,
            mediators: Vec::new(),
            recusals: Vec::new(),
            parties: sides
                .iter()
                .map(|s| PartyState {
                    side: *s,
                    consent: None,
                })
                .collect(),
            sessions: Vec::new(),
            received_at: now,
            accepted_at: None,
            due: Some(now + DAY_MICROS * if court { MEDIATION_DAYS } else { CONSENT_DAYS }),
            extension_days: 0,
            escalations: 0,
            supervised: false,
            agreement: None,
            agreed_at: None,
            confirmation: None,
            follow_ups: Vec::new(),
            referrals: Vec::new(),
            failed_rounds: 0,
            breaches: 0,
            risk: Vec::new(),
            risk_cleared: Vec::new(),
            outcome: None,
            closed_at: None,
            version: 1,
        }
    }

    pub fn is_open(&self) -> bool {
        self.status != Status::Closed
    }

    /// When a follow-up visit is due: the agreement's last performance date.
    pub fn follow_up_due(&self) -> Option<i64> {
        if self.status != Status::Agreed {
            return None;
        }
        self.agreement.as_ref().and_then(Agreement::perform_by)
    }

    /// Whether the agreement was judicially confirmed.
    pub fn confirmed(&self) -> bool {
        self.confirmation
            .as_ref()
            .is_some_and(|c| c.ruling == Some(Ruling::Confirmed))
    }

    fn party(&self, p: usize) -> Result<(), Refusal> {
        if p < self.parties.len() {
            Ok(())
        } else {
            Err(Refusal::UnknownParty(p))
        }
    }

    fn close(&mut self, outcome: Outcome, now: i64) {
        self.status = Status::Closed;
        self.outcome = Some(outcome);
        self.closed_at = Some(now);
        self.due = None;
    }

    fn unsettle(&mut self) {
        self.status = Status::Unsettled;
        self.due = None;
    }

    /// Apply a command at `now` (µs UTC): the next state and its one event, or a refusal.
    pub fn apply(
        &self,
        command: &Command,
        actor: &Actor,
        now: i64,
    ) -> Result<(Dispute, Event), Refusal> {
        use Actor as A;
        use Status as S;
        let action = command.action();
        let status = self.status;
        let need = |ok: bool| -> Result<(), Refusal> {
            if ok {
                Ok(())
            } else {
                Err(Refusal::WrongStatus { action, status })
            }
        };
        let by = |ok: bool| -> Result<(), Refusal> {
            if ok {
                Ok(())
            } else {
                Err(Refusal::WrongActor {
                    action,
                    actor: actor.clone(),
                })
            }
        };
        let staff = matches!(actor, A::Mediator | A::Organisation);
        let mut next = self.clone();
        next.version += 1;
        let ev = |public: bool, note: Option<String>, fields: &[&'static str]| Event {
            action,
            public,
            note,
            fields: fields.to_vec(),
        };

        let event = match command {
            Command::RecordConsent { party, consent } => {
                need(status == S::AwaitingConsent)?;
                self.party(*party)?;
                by(staff || *actor == A::Party(*party))?;
                next.parties[*party].consent = Some(*consent);
                let mut fields = vec!["parties"];
                if !consent {
                    // Voluntary: a refusal ends this round; every other route stays open.
                    next.unsettle();
                    fields.extend(["status", "due"]);
                } else if next.parties.iter().all(|p| p.consent == Some(true)) {
                    next.status = S::Mediating;
                    next.accepted_at = Some(now);
                    // A court referral keeps the 30 days that run from the referral.
                    if self.source != Source::CourtReferral || self.accepted_at.is_some() {
                        next.due = Some(now + DAY_MICROS * MEDIATION_DAYS);
                    }
                    fields.extend(["status", "accepted_at", "due"]);
                }
                ev(true, None, &fields)
            }
            Command::AssignMediators { mediators } => {
                need(matches!(
                    status,
                    S::AwaitingConsent | S::Mediating | S::Unsettled
                ))?;
                by(matches!(actor, A::Organisation | A::Supervisor))?;
                let mut m = mediators.clone();
                m.sort_unstable();
                m.dedup();
                let recused = |id: &i64| self.recusals.iter().any(|r| r.mediator == *id);
                if m.is_empty() || m.len() > MAX_MEDIATORS || m.iter().any(recused) {
                    return Err(Refusal::BadMediators { max: MAX_MEDIATORS });
                }
                next.mediators = m;
                ev(true, None, &["mediators"])
            }
            Command::ObjectToMediator {
                party,
                mediator,
                reason: r,
            } => {
                need(matches!(status, S::AwaitingConsent | S::Mediating))?;
                self.party(*party)?;
                by(staff || *actor == A::Party(*party))?;
                let r = reason(r)?;
                if !self.mediators.contains(mediator) {
                    return Err(Refusal::NotAssigned);
                }
                next.mediators.retain(|m| m != mediator);
                next.recusals.push(Recusal {
                    mediator: *mediator,
                    party: *party,
                    reason: r.clone(),
                    at: now,
                });
                ev(true, Some(r), &["mediators", "recusals"])
            }
            Command::HoldSession { session } => {
                need(status == S::Mediating)?;
                by(*actor == A::Mediator)?;
                if self.mediators.is_empty() {
                    return Err(Refusal::NoMediator);
                }
                let mut s = session.clone();
                s.place = reason(&s.place)?;
                s.minutes = long_text(&s.minutes)?;
                s.parties_present.sort_unstable();
                s.parties_present.dedup();
                if let Some(p) = s.parties_present.iter().find(|p| **p >= self.parties.len()) {
                    return Err(Refusal::UnknownParty(*p));
                }
                next.sessions.push(s);
                ev(true, None, &["sessions"])
            }
            Command::Extend {
                days,
                reason: r,
                parties_agree,
            } => {
                need(status == S::Mediating)?;
                by(staff)?;
                let r = reason(r)?;
                if *days == 0 || *days > MAX_EXTENSION_DAYS {
                    return Err(Refusal::BadExtension {
                        max: MAX_EXTENSION_DAYS,
                    });
                }
                if !parties_agree {
                    return Err(Refusal::ExtensionNeedsConsent);
                }
                next.extension_days += days;
                next.due = self.due.map(|d| d + DAY_MICROS * i64::from(*days));
                ev(true, Some(r), &["extension_days", "due"])
            }
            Command::RecordAgreement { agreement } => {
                need(status == S::Mediating)?;
                by(*actor == A::Mediator)?;
                if self.sessions.is_empty() {
                    return Err(Refusal::NoSession);
                }
                agreement
                    .check(self.parties.len(), now)
                    .map_err(Refusal::Agreement)?;
                next.agreement = Some(agreement.clone());
                next.agreed_at = Some(now);
                next.confirmation = None;
                next.status = S::Agreed;
                next.due = None;
                ev(true, None, &["agreement", "agreed_at", "status", "due"])
            }
            Command::NoAgreement { reason: r } => {
                need(status == S::Mediating)?;
                by(*actor == A::Mediator)?;
                let r = reason(r)?;
                next.failed_rounds += 1;
                next.unsettle();
                ev(true, Some(r), &["failed_rounds", "status", "due"])
            }
            Command::ApplyForConfirmation { court } => {
                need(status == S::Agreed)?;
                by(staff || matches!(actor, A::Party(_)))?;
                let court = reason(court)?;
                if self.confirmation.is_some() {
                    return Err(Refusal::AlreadyApplied);
                }
                let agreed = self.agreed_at.unwrap_or(now);
                if now > agreed + DAY_MICROS * CONFIRMATION_DAYS {
                    return Err(Refusal::ConfirmationWindowClosed {
                        days: CONFIRMATION_DAYS,
                    });
                }
                next.confirmation = Some(Confirmation {
                    court: court.clone(),
                    applied_at: now,
                    accepted_at: None,
                    ruling: None,
                    ruled_at: None,
                });
                ev(true, Some(court), &["confirmation"])
            }
            Command::CourtAccepted => {
                need(status == S::Agreed)?;
                by(staff)?;
                match next.confirmation.as_mut() {
                    Some(c) if c.accepted_at.is_none() => c.accepted_at = Some(now),
                    _ => return Err(Refusal::NoConfirmationPending),
                }
                ev(true, None, &["confirmation"])
            }
            Command::CourtRuling { ruling, note } => {
                need(status == S::Agreed)?;
                by(staff)?;
                match next.confirmation.as_mut() {
                    Some(c) if c.accepted_at.is_some() && c.ruling.is_none() => {
                        c.ruling = Some(*ruling);
                        c.ruled_at = Some(now);
                    }
                    _ => return Err(Refusal::NoConfirmationPending),
                }
                let note = note.as_deref().map(reason).transpose()?;
                let mut fields = vec!["confirmation"];
                if *ruling == Ruling::Rejected {
                    // Not confirmed: the parties may mediate again or go to court.
                    next.unsettle();
                    fields.extend(["status", "due"]);
                }
                ev(true, note, &fields)
            }
            Command::FollowUp { performance, note } => {
                need(status == S::Agreed)?;
                by(staff)?;
                let note = reason(note)?;
                next.follow_ups.push(FollowUp {
                    at: now,
                    performance: *performance,
                    note: note.clone(),
                });
                let mut fields = vec!["follow_ups"];
                match performance {
                    Performance::Performed => {
                        next.close(Outcome::Performed, now);
                        fields.extend(["status", "outcome", "closed_at"]);
                    }
                    Performance::Breached => {
                        next.breaches += 1;
                        next.unsettle();
                        fields.extend(["breaches", "status"]);
                    }
                    Performance::Performing => {}
                }
                ev(true, Some(note), &fields)
            }
            Command::Reopen { reason: r } => {
                need(status == S::Unsettled)?;
                by(staff || *actor == A::Supervisor)?;
                let r = reason(r)?;
                next.status = S::AwaitingConsent;
                for p in &mut next.parties {
                    p.consent = None;
                }
                next.due = Some(now + DAY_MICROS * CONSENT_DAYS);
                ev(true, Some(r), &["status", "parties", "due"])
            }
            Command::Refer {
                channel,
                to,
                reason: r,
            } => {
                need(status == S::Unsettled)?;
                by(staff)?;
                let to = reason(to)?;
                let r = reason(r)?;
                next.referrals.push(Referral {
                    channel: *channel,
                    to,
                    reason: r.clone(),
                    at: now,
                    result: None,
                    resolved: None,
                    result_at: None,
                });
                next.status = S::Referred;
                ev(true, Some(r), &["referrals", "status"])
            }
            Command::ReferralResult { resolved, result } => {
                need(status == S::Referred)?;
                by(staff || *actor == A::System)?;
                let result = reason(result)?;
                let channel = match next.referrals.last_mut() {
                    Some(r) => {
                        r.result = Some(result.clone());
                        r.resolved = Some(*resolved);
                        r.result_at = Some(now);
                        r.channel
                    }
                    None => return Err(Refusal::WrongStatus { action, status }),
                };
                next.close(
                    Outcome::Referred {
                        channel,
                        resolved: *resolved,
                    },
                    now,
                );
                ev(
                    true,
                    Some(result),
                    &["referrals", "status", "outcome", "closed_at"],
                )
            }
            Command::Withdraw { reason: r } => {
                need(matches!(
                    status,
                    S::AwaitingConsent | S::Mediating | S::Unsettled
                ))?;
                let applicant = matches!(actor, A::Party(p)
                    if self.parties.get(*p).is_some_and(|x| x.side == Side::Applicant));
                by(staff || applicant)?;
                let r = reason(r)?;
                next.close(Outcome::Withdrawn { reason: r.clone() }, now);
                ev(true, Some(r), &["status", "outcome", "closed_at", "due"])
            }
            Command::Close { reason: r } => {
                need(status == S::Unsettled)?;
                by(staff)?;
                let r = reason(r)?;
                next.close(Outcome::Ended { reason: r.clone() }, now);
                ev(true, Some(r), &["status", "outcome", "closed_at"])
            }
            Command::Transfer { to_org, reason: r } => {
                need(matches!(
                    status,
                    S::AwaitingConsent | S::Mediating | S::Unsettled
                ))?;
                by(matches!(actor, A::Organisation | A::Supervisor))?;
                let r = reason(r)?;
                if *to_org == self.org || to_org.trim().is_empty() {
                    return Err(Refusal::SameOrganisation);
                }
                next.org = to_org.clone();
                next.mediators.clear();
                ev(true, Some(r), &["org", "mediators"])
            }
            Command::Escalate { to_org } => {
                need(status.is_timed())?;
                by(matches!(actor, A::System | A::Supervisor))?;
                next.escalations += 1;
                next.supervised = true;
                let mut fields = vec!["escalations", "supervised", "due"];
                if let Some(org) = to_org.as_ref().filter(|o| **o != self.org) {
                    next.org = org.clone();
                    next.mediators.clear();
                    fields.extend(["org", "mediators"]);
                }
                next.due = Some(now + DAY_MICROS * ESCALATED_DAYS);
                ev(false, None, &fields)
            }
            Command::FlagRisk { reasons, note } => {
                need(status != S::Closed)?;
                by(staff || matches!(actor, A::Supervisor | A::System))?;
                let note = reason(note)?;
                let new: Vec<RiskReason> = reasons
                    .iter()
                    .copied()
                    .filter(|r| !self.risk.contains(r))
                    .collect();
                if new.is_empty() {
                    return Err(Refusal::NothingToFlag);
                }
                next.risk.extend(new);
                next.risk.sort_unstable();
                next.risk.dedup();
                ev(false, Some(note), &["risk"])
            }
            Command::ClearRisk { note } => {
                need(status != S::Closed)?;
                by(staff || *actor == A::Supervisor)?;
                let note = reason(note)?;
                if self.risk.is_empty() {
                    return Err(Refusal::NoRiskFlag);
                }
                let mut cleared: Vec<RiskReason> = next.risk.drain(..).collect();
                next.risk_cleared.append(&mut cleared);
                next.risk_cleared.sort_unstable();
                next.risk_cleared.dedup();
                ev(false, Some(note), &["risk", "risk_cleared"])
            }
        };
        Ok((next, event))
    }

    /// What must hold in every reachable state.
    pub fn invariant_holds(&self) -> bool {
        use Status as S;
        let recused_on_case = self
            .mediators
            .iter()
            .any(|m| self.recusals.iter().any(|r| r.mediator == *m));
        let confirmation_ordered = self.confirmation.as_ref().is_none_or(|c| {
            (c.ruling.is_none() || c.accepted_at.is_some())
                && c.ruling.is_some() == c.ruled_at.is_some()
        });
        let status_ok = match self.status {
            S::AwaitingConsent => self.due.is_some() && self.outcome.is_none(),
            S::Mediating => {
                self.due.is_some()
                    && self.accepted_at.is_some()
                    && self.parties.iter().all(|p| p.consent == Some(true))
            }
            S::Agreed => self.agreement.is_some() && self.agreed_at.is_some() && self.due.is_none(),
            S::Unsettled => self.due.is_none(),
            S::Referred => {
                self.due.is_none() && self.referrals.last().is_some_and(|r| r.result.is_none())
            }
            S::Closed => self.outcome.is_some() && self.closed_at.is_some() && self.due.is_none(),
        };
        status_ok
            && (self.status == S::Closed) == self.outcome.is_some()
            && !recused_on_case
            && self.mediators.len() <= MAX_MEDIATORS
            && confirmation_ordered
            && !self.parties.is_empty()
    }
}

#[cfg(test)]
mod tests;
