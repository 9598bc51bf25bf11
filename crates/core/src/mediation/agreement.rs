//! The written mediation agreement (调解协议书) and its checks. The People's
//! Mediation Law (art. 29) expects: the parties; the main facts, the matters
//! in dispute and each side's responsibility; what was agreed, and how and by
//! when it is performed; the parties' signatures and the mediator's.

use serde::{Deserialize, Serialize};

/// One party's duty under the agreement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Obligation {
    /// Index of the obliged party in the case's party list.
    pub party: usize,
    /// What they will do (pay, repair, move out, …).
    pub duty: String,
    /// How it is performed (e.g. bank transfer, in instalments).
    pub how: String,
    /// Where it is performed.
    pub place: String,
    /// By when (µs UTC).
    pub by: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement {
    /// 纠纷的主要事实
    pub facts: String,
    /// 争议事项
    pub matters: String,
    /// 各方当事人的责任
    pub responsibilities: String,
    /// 协议内容: the rights and duties agreed, one per obliged party and duty.
    pub obligations: Vec<Obligation>,
    /// Indices of the parties who signed (签名、盖章或者按指印): every party.
    pub signed_by: Vec<usize>,
}

pub const MAX_AGREEMENT_TEXT: usize = 4000;
pub const MAX_OBLIGATIONS: usize = 20;

/// What is wrong with an agreement; the field names the part at fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AgreementError {
    #[error("{field} is required")]
    Missing { field: &'static str },
    #[error("{field} is too long (at most {max} characters)")]
    TooLong { field: &'static str, max: usize },
    #[error("an agreement states at least one obligation and at most {max}")]
    Obligations { max: usize },
    #[error("obligation {index} names a party the case does not have")]
    UnknownParty { index: usize },
    #[error("obligation {index} must be performed after the agreement is made")]
    PerformByInPast { index: usize },
    #[error("every party must sign the agreement")]
    NotSignedByAll,
}

impl AgreementError {
    /// The part of the agreement at fault, for the client.
    pub fn field(&self) -> String {
        match self {
            AgreementError::Missing { field } | AgreementError::TooLong { field, .. } => {
                format!("agreement.{field}")
            }
            AgreementError::Obligations { .. } => "agreement.obligations".into(),
            AgreementError::UnknownParty { index } | AgreementError::PerformByInPast { index } => {
                format!("agreement.obligations[{index}]")
            }
            AgreementError::NotSignedByAll => "agreement.signed_by".into(),
        }
    }
}

fn text(field: &'static str, value: &str) -> Result<(), AgreementError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AgreementError::Missing { field });
    }
    if v.chars().count() > MAX_AGREEMENT_TEXT {
        return Err(AgreementError::TooLong {
            field,
            max: MAX_AGREEMENT_TEXT,
        });
    }
    Ok(())
}

impl Agreement {
    /// Checks the agreement of a case with `parties` parties, made at `now`.
    pub fn check(&self, parties: usize, now: i64) -> Result<(), AgreementError> {
        text("facts", &self.facts)?;
        text("matters", &self.matters)?;
        text("responsibilities", &self.responsibilities)?;
        if self.obligations.is_empty() || self.obligations.len() > MAX_OBLIGATIONS {
            return Err(AgreementError::Obligations {
                max: MAX_OBLIGATIONS,
            });
        }
        for (index, o) in self.obligations.iter().enumerate() {
            if o.party >= parties {
                return Err(AgreementError::UnknownParty { index });
            }
            text("duty", &o.duty)?;
            text("how", &o.how)?;
            text("place", &o.place)?;
            if o.by < now {
                return Err(AgreementError::PerformByInPast { index });
            }
        }
        let all_signed = (0..parties).all(|p| self.signed_by.contains(&p))
            && self.signed_by.iter().all(|p| *p < parties);
        if !all_signed {
            return Err(AgreementError::NotSignedByAll);
        }
        Ok(())
    }

    /// The last performance date: when a follow-up visit is due.
    pub fn perform_by(&self) -> Option<i64> {
        self.obligations.iter().map(|o| o.by).max()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    pub fn sample(now: i64) -> Agreement {
        Agreement {
            facts: "楼上漏水致楼下天花板受损".into(),
            matters: "维修费用由谁承担".into(),
            responsibilities: "楼上住户负主要责任".into(),
            obligations: vec![Obligation {
                party: 1,
                duty: "赔偿维修费 2000 元".into(),
                how: "银行转账".into(),
                place: "社区调解室".into(),
                by: now + 86_400_000_000 * 10,
            }],
            signed_by: vec![0, 1],
        }
    }

    #[test]
    fn a_complete_agreement_passes() {
        let a = sample(0);
        assert_eq!(a.check(2, 0), Ok(()));
        assert_eq!(a.perform_by(), Some(86_400_000_000 * 10));
    }

    #[test]
    fn each_missing_part_is_named() {
        let mut a = sample(0);
        a.facts = "  ".into();
        assert_eq!(
            a.check(2, 0),
            Err(AgreementError::Missing { field: "facts" })
        );
        assert_eq!(a.check(2, 0).unwrap_err().field(), "agreement.facts");
        let mut a = sample(0);
        a.obligations.clear();
        assert!(matches!(
            a.check(2, 0),
            Err(AgreementError::Obligations { .. })
        ));
        let mut a = sample(0);
        a.obligations[0].party = 2;
        assert_eq!(
            a.check(2, 0),
            Err(AgreementError::UnknownParty { index: 0 })
        );
        let mut a = sample(0);
        a.obligations[0].by = -1;
        assert_eq!(
            a.check(2, 0),
            Err(AgreementError::PerformByInPast { index: 0 })
        );
        let mut a = sample(0);
        a.signed_by = vec![0];
        assert_eq!(a.check(2, 0), Err(AgreementError::NotSignedByAll));
        a.signed_by = vec![0, 1, 5];
        assert_eq!(a.check(2, 0), Err(AgreementError::NotSignedByAll));
        let mut a = sample(0);
        a.matters = "争".repeat(MAX_AGREEMENT_TEXT + 1);
        assert!(matches!(
            a.check(2, 0),
            Err(AgreementError::TooLong {
                field: "matters",
                ..
            })
        ));
    }
}
