//! The vocabularies of mediation: dispute types, where a case came from,
//! the kinds of mediation organisation, the channels a case is referred to
//! and the reasons a dispute is flagged as a risk. Each has a stable key
//! (as serialised, stored and sent) and a Chinese and an English name.

use serde::{Deserialize, Serialize};

/// Defines a closed vocabulary with `ALL`, `as_str`, `parse`, `name_zh` and `name_en`.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $key:literal, $zh:literal, $en:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant,)+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $key,)+ }
            }

            pub fn parse(s: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|x| x.as_str() == s)
            }

            pub fn name_zh(self) -> &'static str {
                match self { $($name::$variant => $zh,)+ }
            }

            pub fn name_en(self) -> &'static str {
                match self { $($name::$variant => $en,)+ }
            }
        }
    };
}

vocabulary! {
    /// What the dispute is about (the people's mediation statistics' categories).
    DisputeType {
        Neighbours => "neighbours", "邻里纠纷", "Neighbours";
        FamilyMarriage => "family_marriage", "婚姻家庭纠纷", "Family and marriage";
        PropertyTenancy => "property_tenancy", "物业租赁纠纷", "Property and tenancy";
        LabourWage => "labour_wage", "劳动争议与欠薪纠纷", "Labour and wage arrears";
        LandContract => "land_contract", "土地承包与合同纠纷", "Land and contracts";
        Consumer => "consumer", "消费纠纷", "Consumer";
        Medical => "medical", "医疗纠纷", "Medical";
        Traffic => "traffic", "道路交通事故纠纷", "Traffic";
        Other => "other", "其他纠纷", "Other";
    }
}

vocabulary! {
    /// How a case reached mediation.
    Source {
        ResidentRequest => "resident_request", "当事人申请", "A party's request";
        WalkIn => "walk_in", "来访登记", "Walk-in at a mediation room";
        Appeal => "appeal", "诉求转调解", "Converted from an appeal";
        GridReport => "grid_report", "网格员排查上报", "Grid worker's report";
        CourtReferral => "court_referral", "法院诉前委派", "Court's pre-filing referral";
    }
}

vocabulary! {
    /// A mediation organisation: a people's mediation committee of a
    /// community, street or district, or a professional committee.
    OrgKind {
        People => "people", "人民调解委员会", "People's mediation committee";
        Labour => "labour", "劳动争议调解委员会", "Labour dispute mediation committee";
        Medical => "medical", "医疗纠纷人民调解委员会", "Medical dispute mediation committee";
        Traffic => "traffic", "道路交通事故人民调解委员会", "Traffic accident mediation committee";
    }
}

impl OrgKind {
    /// The professional committee that takes disputes of `t`, if there is one.
    pub fn professional_for(t: DisputeType) -> Option<OrgKind> {
        match t {
            DisputeType::LabourWage => Some(OrgKind::Labour),
            DisputeType::Medical => Some(OrgKind::Medical),
            DisputeType::Traffic => Some(OrgKind::Traffic),
            _ => None,
        }
    }
}

vocabulary! {
    /// Where a case goes when mediation does not settle it. People's
    /// mediation is voluntary: every one of these stays open to the parties.
    Channel {
        AdministrativeMediation => "administrative_mediation", "行政调解", "Administrative mediation";
        Arbitration => "arbitration", "仲裁", "Arbitration";
        AdministrativeReconsideration => "administrative_reconsideration", "行政复议", "Administrative reconsideration";
        Litigation => "litigation", "诉讼", "Litigation";
    }
}

vocabulary! {
    /// Why a dispute may escalate. Always about the dispute, never a score of a person.
    RiskReason {
        Threats => "threats", "有暴力威胁或过激言行", "Threats or signs of violence";
        ManyParties => "many_parties", "涉及人数众多", "Many parties";
        RepeatedFailure => "repeated_failure", "多次调解未果", "Repeated failed mediation";
        WageArrearsBeforeHoliday => "wage_arrears_before_holiday", "节前大额欠薪", "Large wage arrears before a holiday";
        CollectiveIncident => "collective_incident", "有群体性事件苗头", "Signs of a collective incident";
    }
}

vocabulary! {
    /// Which side of the dispute a party is on.
    Side {
        Applicant => "applicant", "申请人", "Applicant";
        Respondent => "respondent", "被申请人", "Respondent";
    }
}

vocabulary! {
    /// What a follow-up visit (回访) found.
    Performance {
        Performed => "performed", "已履行", "Performed";
        Performing => "performing", "正在履行", "Being performed";
        Breached => "breached", "未履行（违约）", "Breached";
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn keys_round_trip_and_names_are_distinct() {
        fn check<T: Copy + PartialEq + std::fmt::Debug>(
            all: &[T],
            key: fn(T) -> &'static str,
            parse: fn(&str) -> Option<T>,
            zh: fn(T) -> &'static str,
            en: fn(T) -> &'static str,
        ) {
            let mut seen = std::collections::HashSet::new();
            for &x in all {
                assert_eq!(parse(key(x)), Some(x));
                assert!(seen.insert(key(x)));
                assert!(seen.insert(zh(x)));
                assert!(seen.insert(en(x)));
            }
            assert_eq!(parse("nonsense"), None);
        }
        check(
            DisputeType::ALL,
            DisputeType::as_str,
            DisputeType::parse,
            DisputeType::name_zh,
            DisputeType::name_en,
        );
        check(
            Source::ALL,
            Source::as_str,
            Source::parse,
            Source::name_zh,
            Source::name_en,
        );
        check(
            OrgKind::ALL,
            OrgKind::as_str,
            OrgKind::parse,
            OrgKind::name_zh,
            OrgKind::name_en,
        );
        check(
            Channel::ALL,
            Channel::as_str,
            Channel::parse,
            Channel::name_zh,
            Channel::name_en,
        );
        check(
            RiskReason::ALL,
            RiskReason::as_str,
            RiskReason::parse,
            RiskReason::name_zh,
            RiskReason::name_en,
        );
        check(
            Side::ALL,
            Side::as_str,
            Side::parse,
            Side::name_zh,
            Side::name_en,
        );
        check(
            Performance::ALL,
            Performance::as_str,
            Performance::parse,
            Performance::name_zh,
            Performance::name_en,
        );
        assert_eq!(DisputeType::ALL.len(), 9);
    }

    #[test]
    fn serde_uses_the_keys() {
        assert_eq!(
            serde_json::to_string(&DisputeType::LabourWage).unwrap(),
            "\"labour_wage\""
        );
        assert_eq!(
            serde_json::from_str::<Channel>("\"arbitration\"").unwrap(),
            Channel::Arbitration
        );
    }

    #[test]
    fn professional_committees() {
        assert_eq!(
            OrgKind::professional_for(DisputeType::LabourWage),
            Some(OrgKind::Labour)
        );
        assert_eq!(
            OrgKind::professional_for(DisputeType::Medical),
            Some(OrgKind::Medical)
        );
        assert_eq!(
            OrgKind::professional_for(DisputeType::Traffic),
            Some(OrgKind::Traffic)
        );
        assert_eq!(OrgKind::professional_for(DisputeType::Neighbours), None);
    }
}
