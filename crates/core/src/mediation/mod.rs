//! Diversified dispute resolution (矛盾纠纷多元化解): the dispute case from
//! intake through consent, sessions and agreement (or referral to another
//! channel) to a lasting settlement. Pure rules, no I/O.

pub mod agreement;
pub mod available;
pub mod intake;
pub mod kind;
pub mod measures;
pub mod org;
pub mod risk;
pub mod workflow;

pub use agreement::{Agreement, AgreementError, Obligation};
pub use intake::{FieldError, NewDispute, PartyInfo, PartyKind, mask_name};
pub use kind::{Channel, DisputeType, OrgKind, Performance, RiskReason, Side, Source};
pub use measures::{DisputeFacts, GroupBy, MediationMeasures, ReferralCounts};
pub use org::{CaseShape, Organisation};
pub use risk::RiskFacts;
pub use workflow::{
    Actor, Command, Confirmation, Dispute, Event, FollowUp, Outcome, PartyState, Recusal, Referral,
    Refusal, Ruling, Session, Status,
};
