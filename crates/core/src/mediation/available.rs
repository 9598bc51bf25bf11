//! Which steps a person may take on a dispute now, asked of the workflow
//! itself (as for appeals): each step is tried with placeholder details;
//! it is offered unless refused for the case's state or the person's part.
//! A refusal about the details (a missing reason, an unknown party) still
//! means the step is open: the form will ask for them.

use super::agreement::Agreement;
use super::kind::{Channel, Performance, RiskReason};
use super::workflow::{Actor, Command, Dispute, Refusal, Ruling, Session};

/// The steps a screen offers, by stable name (the API's `action`), in order.
pub const STEPS: [&str; 20] = [
    "consent",
    "assign_mediators",
    "recusal",
    "session",
    "extend",
    "agreement",
    "no_agreement",
    "apply_confirmation",
    "court_accepted",
    "court_ruling",
    "follow_up",
    "reopen",
    "refer",
    "referral_result",
    "transfer",
    "escalate",
    "flag_risk",
    "clear_risk",
    "withdraw",
    "close",
];

fn probe(step: &str, now: i64) -> Option<Command> {
    let reason = "probe".to_owned();
    Some(match step {
        "consent" => Command::RecordConsent {
            party: 0,
            consent: true,
        },
        "assign_mediators" => Command::AssignMediators { mediators: vec![] },
        "recusal" => Command::ObjectToMediator {
            party: 0,
            mediator: -1,
            reason,
        },
        "session" => Command::HoldSession {
            session: Session {
                at: now,
                place: reason.clone(),
                online: false,
                parties_present: vec![],
                minutes: reason,
            },
        },
        "extend" => Command::Extend {
            days: 1,
            reason,
            parties_agree: true,
        },
        "agreement" => Command::RecordAgreement {
            agreement: Agreement {
                facts: String::new(),
                matters: String::new(),
                responsibilities: String::new(),
                obligations: vec![],
                signed_by: vec![],
            },
        },
        "no_agreement" => Command::NoAgreement { reason },
        "apply_confirmation" => Command::ApplyForConfirmation { court: reason },
        "court_accepted" => Command::CourtAccepted,
        "court_ruling" => Command::CourtRuling {
            ruling: Ruling::Confirmed,
            note: None,
        },
        "follow_up" => Command::FollowUp {
            performance: *Performance::ALL.first()?,
            note: reason,
        },
        "reopen" => Command::Reopen { reason },
        "refer" => Command::Refer {
            channel: *Channel::ALL.first()?,
            to: reason.clone(),
            reason,
        },
        "referral_result" => Command::ReferralResult {
            resolved: true,
            result: reason,
        },
        "transfer" => Command::Transfer {
            to_org: "\u{0}probe".into(),
            reason,
        },
        "escalate" => Command::Escalate { to_org: None },
        "flag_risk" => Command::FlagRisk {
            reasons: RiskReason::ALL.to_vec(),
            note: reason,
        },
        "clear_risk" => Command::ClearRisk { note: reason },
        "withdraw" => Command::Withdraw { reason },
        "close" => Command::Close { reason },
        _ => return None,
    })
}

/// Refusals that close a step whatever details are given.
fn closes_the_step(r: &Refusal) -> bool {
    matches!(
        r,
        Refusal::WrongStatus { .. }
            | Refusal::WrongActor { .. }
            | Refusal::NoSession
            | Refusal::NoMediator
            | Refusal::ConfirmationWindowClosed { .. }
            | Refusal::AlreadyApplied
            | Refusal::NoConfirmationPending
            | Refusal::NoRiskFlag
            | Refusal::NothingToFlag
    )
}

/// The steps of [`STEPS`] open to `by` on `d` at `now`.
pub fn available_steps(d: &Dispute, by: &Actor, now: i64) -> Vec<&'static str> {
    STEPS
        .into_iter()
        .filter(|step| {
            probe(step, now).is_some_and(|cmd| match d.apply(&cmd, by, now) {
                Ok(_) => true,
                Err(r) => !closes_the_step(&r),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::mediation::kind::{Side, Source};

    const T0: i64 = 1_700_000_000_000_000;

    fn new_case() -> Dispute {
        Dispute::new(
            1,
            Source::WalkIn,
            "pK".into(),
            &[Side::Applicant, Side::Respondent],
            T0,
        )
    }

    #[test]
    fn a_new_case_offers_its_organisation_assignment_but_no_agreement() {
        let d = new_case();
        let steps = available_steps(&d, &Actor::Organisation, T0);
        assert!(steps.contains(&"assign_mediators"), "{steps:?}");
        assert!(!steps.contains(&"agreement"), "{steps:?}");
        assert!(!steps.contains(&"follow_up"), "{steps:?}");
        assert!(
            !steps.contains(&"clear_risk"),
            "no flag to clear: {steps:?}"
        );
    }

    #[test]
    fn a_party_is_offered_consent_not_the_mediators_work() {
        let d = new_case();
        let steps = available_steps(&d, &Actor::Party(0), T0);
        assert!(steps.contains(&"consent"), "{steps:?}");
        assert!(!steps.contains(&"assign_mediators"), "{steps:?}");
        assert!(!steps.contains(&"session"), "{steps:?}");
    }

    #[test]
    fn every_step_has_a_probe() {
        for step in STEPS {
            assert!(probe(step, T0).is_some(), "{step}");
        }
    }
}
