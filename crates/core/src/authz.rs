//! The one place that answers "may this actor do this action on this object".
//!
//! Every handler asks `decide` before touching an object; the store never
//! decides. Jurisdiction is a unit chain: an object belongs to a unit, and an
//! actor scoped to a unit may act on objects at that unit or below it (its
//! unit appears in the object's chain). Department staff act on objects of
//! their own department.

use crate::accounts::{Actor, Role, Scope};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Units, boundaries, point lookup: public information.
    ReadTerritory,
    ImportTerritory,
    RetireUnit,
    /// The staff directory, personal data masked.
    ReadDirectory,
    /// An unmasked phone number or other personal data (audited).
    RevealPersonalData,
    /// Create accounts, change roles, disable, issue tokens for others.
    ManageUsers,
    ReadAudit,
    VerifyAudit,
    /// An appeal's record and timeline, contact masked (residents: their own).
    ReadAppeal,
    /// Take a workflow step on an appeal; the workflow decides which.
    HandleAppeal,
    /// An appeal's unmasked contact phone, to call the resident (audited).
    RevealAppealContact,
    /// Edit the category taxonomy, its time limits and the holiday calendar.
    ManageAppealRules,
    /// An early-warning alert of the actor's area, with the cases behind it (masked).
    ReadAlert,
    /// Acknowledge, act on or dismiss an alert.
    HandleAlert,
    /// Set the early-warning thresholds and run a scan on demand.
    ManageWarnRules,
    /// Open a dispute case in one's area (residents: their own request).
    OpenDispute,
    /// A dispute's summary (type, status, organisation, risk, dates; no parties, no facts).
    ReadDisputeSummary,
    /// A dispute's whole record, parties masked (mediators of the holding
    /// organisation and above; a party: their own case's progress).
    ReadDispute,
    /// Take a workflow step on a dispute; the workflow decides which.
    HandleDispute,
    /// A dispute's parties unmasked, to call them (audited).
    RevealDisputeParty,
    /// The mediation measures of an area.
    ReadMediationMeasures,
    /// Create and edit mediation organisations.
    ManageMediationOrgs,
    /// Answer a public question to one's department, or pass it on.
    AnswerQuestion,
    /// Follow a public question (residents; questions are public, so any).
    FollowQuestion,
}

impl Action {
    pub const ALL: [Action; 24] = [
        Action::ReadTerritory,
        Action::ImportTerritory,
        Action::RetireUnit,
        Action::ReadDirectory,
        Action::RevealPersonalData,
        Action::ManageUsers,
        Action::ReadAudit,
        Action::VerifyAudit,
        Action::ReadAppeal,
        Action::HandleAppeal,
        Action::RevealAppealContact,
        Action::ManageAppealRules,
        Action::ReadAlert,
        Action::HandleAlert,
        Action::ManageWarnRules,
        Action::OpenDispute,
        Action::ReadDisputeSummary,
        Action::ReadDispute,
        Action::HandleDispute,
        Action::RevealDisputeParty,
        Action::ReadMediationMeasures,
        Action::ManageMediationOrgs,
        Action::AnswerQuestion,
        Action::FollowQuestion,
    ];
}

/// What jurisdiction needs to know about the object acted on.
#[derive(Clone, Copy, Debug, Default)]
pub struct Target<'a> {
    /// The object's unit followed by its ancestors up to the root. For a
    /// department's object, the department's unit chain.
    pub unit_chain: &'a [String],
    /// The department the object belongs to, if any.
    pub department: Option<&'a str>,
    /// For an account: its own user id (people may see their own data).
    /// For a dispute: the actor's id when the actor is one of its parties.
    pub owner: Option<i64>,
    /// The unit chain of whoever holds the object (a dispute's mediation
    /// organisation), where that differs from where the object is: people
    /// who work the object are placed by its holder, people who govern an
    /// area by its location. Empty when the object has no separate holder.
    pub holder_chain: &'a [String],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("sign in first")]
    Unauthenticated,
    #[error("your role may not do this")]
    Role,
    #[error("the object is outside your jurisdiction")]
    Jurisdiction,
}

/// Whether the object lies within the actor's unit or department.
pub fn within_jurisdiction(actor: &Actor, target: &Target<'_>) -> bool {
    match &actor.scope {
        Scope::Unit(unit) => target.unit_chain.iter().any(|c| c == unit),
        Scope::Department(dept) => target.department == Some(dept.as_str()),
        Scope::None => false,
    }
}

pub fn is_staff(role: Role) -> bool {
    role != Role::Resident
}

/// Roles that take part in handling appeals (not mediators, counsellors,
/// auditors or admins: they have no business reading residents' cases).
pub fn works_appeals(role: Role) -> bool {
    matches!(
        role,
        Role::HotlineOperator
            | Role::GridWorker
            | Role::CommunityStaff
            | Role::StreetStaff
            | Role::DistrictStaff
            | Role::DepartmentStaff
            | Role::CitySupervisor
    )
}

/// Roles that govern an area and see what happens in it.
pub fn governs_area(role: Role) -> bool {
    matches!(
        role,
        Role::GridWorker
            | Role::CommunityStaff
            | Role::StreetStaff
            | Role::DistrictStaff
            | Role::CitySupervisor
    )
}

/// Actions judged by the object's holder (its organisation), not its location.
fn judged_by_holder(action: Action) -> bool {
    matches!(
        action,
        Action::ReadDispute | Action::HandleDispute | Action::RevealDisputeParty
    )
}

/// The decision. `actor` is `None` for an anonymous request.
pub fn decide(actor: Option<&Actor>, action: Action, target: &Target<'_>) -> Result<(), Denied> {
    if action == Action::ReadTerritory {
        return Ok(());
    }
    let actor = actor.ok_or(Denied::Unauthenticated)?;
    let own_record = target.owner == Some(actor.user_id);
    let role_ok = match action {
        Action::ReadTerritory => true,
        Action::ImportTerritory
        | Action::RetireUnit
        | Action::ManageUsers
        | Action::ManageAppealRules
        | Action::ManageWarnRules
        | Action::ManageMediationOrgs => actor.role == Role::Admin,
        Action::ReadDirectory => is_staff(actor.role),
        Action::RevealPersonalData => own_record || actor.role == Role::Admin,
        Action::ReadAudit => actor.role == Role::Auditor,
        Action::VerifyAudit => matches!(actor.role, Role::Auditor | Role::Admin),
        Action::ReadAppeal => own_record || works_appeals(actor.role),
        Action::HandleAppeal | Action::RevealAppealContact => works_appeals(actor.role),
        // Alerts are about places: the staff of the units that contain them.
        Action::ReadAlert | Action::HandleAlert => matches!(
            actor.role,
            Role::GridWorker
                | Role::CommunityStaff
                | Role::StreetStaff
                | Role::DistrictStaff
                | Role::CitySupervisor
        ),
        // Mediation is voluntary and open to anyone: residents ask for it,
        // grid workers and hotline operators bring cases they meet.
        Action::OpenDispute => {
            actor.role == Role::Resident
                || actor.role == Role::Mediator
                || actor.role == Role::HotlineOperator
                || governs_area(actor.role)
        }
        Action::ReadDisputeSummary | Action::ReadMediationMeasures => {
            actor.role == Role::Mediator || governs_area(actor.role)
        }
        Action::ReadDispute => own_record || actor.role == Role::Mediator,
        Action::HandleDispute | Action::RevealDisputeParty => actor.role == Role::Mediator,
        Action::AnswerQuestion => actor.role == Role::DepartmentStaff,
        Action::FollowQuestion => actor.role == Role::Resident,
    };
    if !role_ok {
        return Err(Denied::Role);
    }
    // Questions are public: following one needs no jurisdiction.
    if action == Action::FollowQuestion {
        return Ok(());
    }
    if own_record
        && matches!(
            action,
            Action::RevealPersonalData
                | Action::ReadDirectory
                | Action::ReadAppeal
                | Action::ReadDispute
                | Action::OpenDispute
        )
    {
        return Ok(());
    }
    if judged_by_holder(action) && !target.holder_chain.is_empty() {
        let holder = Target {
            unit_chain: target.holder_chain,
            ..*target
        };
        return if within_jurisdiction(actor, &holder) {
            Ok(())
        } else {
            Err(Denied::Jurisdiction)
        };
    }
    if within_jurisdiction(actor, target) {
        Ok(())
    } else {
        Err(Denied::Jurisdiction)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    //! Table-driven: every role × relation × action, against a literal table
    //! of what is allowed. Anything not in the table must be denied.

    use super::*;
    use crate::territory::{Level, Territory};

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Relation {
        Own,
        Child,
        Sibling,
        Parent,
        OtherDistrict,
    }
    use Relation::*;
    const RELATIONS: [Relation; 5] = [Own, Child, Sibling, Parent, OtherDistrict];

    /// (action, role, relations allowed as "OCSPX": Own, Child, Sibling,
    /// Parent, other district; '.' = denied). Roles not listed for an action
    /// are denied everything except ReadTerritory.
    const ALLOWED: &[(Action, Role, &str)] = &[
        (Action::ImportTerritory, Role::Admin, "OC..."),
        (Action::RetireUnit, Role::Admin, "OC..."),
        (Action::ManageUsers, Role::Admin, "OC..."),
        (Action::ManageAppealRules, Role::Admin, "OC..."),
        (Action::ManageWarnRules, Role::Admin, "OC..."),
        (Action::ReadAlert, Role::GridWorker, "OC..."),
        (Action::ReadAlert, Role::CommunityStaff, "OC..."),
        (Action::ReadAlert, Role::StreetStaff, "OC..."),
        (Action::ReadAlert, Role::DistrictStaff, "OC..."),
        (Action::ReadAlert, Role::CitySupervisor, "OC..."),
        (Action::HandleAlert, Role::GridWorker, "OC..."),
        (Action::HandleAlert, Role::CommunityStaff, "OC..."),
        (Action::HandleAlert, Role::StreetStaff, "OC..."),
        (Action::HandleAlert, Role::DistrictStaff, "OC..."),
        (Action::HandleAlert, Role::CitySupervisor, "OC..."),
        (Action::RevealPersonalData, Role::Admin, "OC..."),
        (Action::ReadAudit, Role::Auditor, "OC..."),
        (Action::VerifyAudit, Role::Auditor, "OC..."),
        (Action::VerifyAudit, Role::Admin, "OC..."),
        (Action::ReadDirectory, Role::HotlineOperator, "OC..."),
        (Action::ReadDirectory, Role::GridWorker, "O...."),
        (Action::ReadDirectory, Role::CommunityStaff, "OC..."),
        (Action::ReadDirectory, Role::StreetStaff, "OC..."),
        (Action::ReadDirectory, Role::DistrictStaff, "OC..."),
        (Action::ReadDirectory, Role::DepartmentStaff, "O...."),
        (Action::ReadDirectory, Role::CitySupervisor, "OC..."),
        (Action::ReadDirectory, Role::Mediator, "OC..."),
        (Action::ReadDirectory, Role::Counsellor, "OC..."),
        (Action::ReadDirectory, Role::Auditor, "OC..."),
        (Action::ReadDirectory, Role::Admin, "OC..."),
        (Action::ReadAppeal, Role::HotlineOperator, "OC..."),
        (Action::ReadAppeal, Role::GridWorker, "OC..."),
        (Action::ReadAppeal, Role::CommunityStaff, "OC..."),
        (Action::ReadAppeal, Role::StreetStaff, "OC..."),
        (Action::ReadAppeal, Role::DistrictStaff, "OC..."),
        (Action::ReadAppeal, Role::DepartmentStaff, "O...."),
        (Action::ReadAppeal, Role::CitySupervisor, "OC..."),
        (Action::HandleAppeal, Role::HotlineOperator, "OC..."),
        (Action::HandleAppeal, Role::GridWorker, "OC..."),
        (Action::HandleAppeal, Role::CommunityStaff, "OC..."),
        (Action::HandleAppeal, Role::StreetStaff, "OC..."),
        (Action::HandleAppeal, Role::DistrictStaff, "OC..."),
        (Action::HandleAppeal, Role::DepartmentStaff, "O...."),
        (Action::HandleAppeal, Role::CitySupervisor, "OC..."),
        (Action::RevealAppealContact, Role::HotlineOperator, "OC..."),
        (Action::RevealAppealContact, Role::GridWorker, "OC..."),
        (Action::RevealAppealContact, Role::CommunityStaff, "OC..."),
        (Action::RevealAppealContact, Role::StreetStaff, "OC..."),
        (Action::RevealAppealContact, Role::DistrictStaff, "OC..."),
        (Action::RevealAppealContact, Role::DepartmentStaff, "O...."),
        (Action::RevealAppealContact, Role::CitySupervisor, "OC..."),
        (Action::OpenDispute, Role::HotlineOperator, "OC..."),
        (Action::OpenDispute, Role::GridWorker, "OC..."),
        (Action::OpenDispute, Role::CommunityStaff, "OC..."),
        (Action::OpenDispute, Role::StreetStaff, "OC..."),
        (Action::OpenDispute, Role::DistrictStaff, "OC..."),
        (Action::OpenDispute, Role::CitySupervisor, "OC..."),
        (Action::OpenDispute, Role::Mediator, "OC..."),
        (Action::ReadDisputeSummary, Role::GridWorker, "OC..."),
        (Action::ReadDisputeSummary, Role::CommunityStaff, "OC..."),
        (Action::ReadDisputeSummary, Role::StreetStaff, "OC..."),
        (Action::ReadDisputeSummary, Role::DistrictStaff, "OC..."),
        (Action::ReadDisputeSummary, Role::CitySupervisor, "OC..."),
        (Action::ReadDisputeSummary, Role::Mediator, "OC..."),
        (Action::ReadMediationMeasures, Role::GridWorker, "OC..."),
        (Action::ReadMediationMeasures, Role::CommunityStaff, "OC..."),
        (Action::ReadMediationMeasures, Role::StreetStaff, "OC..."),
        (Action::ReadMediationMeasures, Role::DistrictStaff, "OC..."),
        (Action::ReadMediationMeasures, Role::CitySupervisor, "OC..."),
        (Action::ReadMediationMeasures, Role::Mediator, "OC..."),
        (Action::ReadDispute, Role::Mediator, "OC..."),
        (Action::HandleDispute, Role::Mediator, "OC..."),
        (Action::RevealDisputeParty, Role::Mediator, "OC..."),
        (Action::ManageMediationOrgs, Role::Admin, "OC..."),
        (Action::AnswerQuestion, Role::DepartmentStaff, "O...."),
        (Action::FollowQuestion, Role::Resident, "OCSPX"),
    ];

    fn expected(action: Action, role: Role, rel: Relation) -> bool {
        if action == Action::ReadTerritory {
            return true;
        }
        let slot = RELATIONS.iter().position(|r| *r == rel).unwrap();
        ALLOWED
            .iter()
            .filter(|(a, r, _)| *a == action && *r == role)
            .any(|(_, _, rels)| rels.as_bytes()[slot] != b'.')
    }

    fn territory() -> Territory {
        let u = crate::territory::unit::test_unit;
        Territory::new(vec![
            u("C", Level::City, None),
            u("D1", Level::District, Some("C")),
            u("D2", Level::District, Some("C")),
            u("S1", Level::Street, Some("D1")),
            u("S2", Level::Street, Some("D1")),
            u("S3", Level::Street, Some("D2")),
            u("K1", Level::Community, Some("S1")),
            u("K2", Level::Community, Some("S1")),
            u("K3", Level::Community, Some("S3")),
            u("G1", Level::Grid, Some("K1")),
            u("G2", Level::Grid, Some("K1")),
            u("G3", Level::Grid, Some("K3")),
            u("G11", Level::Grid, Some("K1")),
        ])
        .unwrap()
    }

    /// Where an actor of this role sits in the test territory.
    fn home(role: Role) -> Scope {
        match role {
            Role::Resident => Scope::None,
            Role::GridWorker => Scope::Unit("G1".into()),
            Role::CommunityStaff => Scope::Unit("K1".into()),
            Role::StreetStaff => Scope::Unit("S1".into()),
            Role::DistrictStaff => Scope::Unit("D1".into()),
            Role::CitySupervisor => Scope::Unit("C".into()),
            Role::DepartmentStaff => Scope::Department("D1-HS".into()),
            // Roles that may sit anywhere: a street, so all relations exist.
            _ => Scope::Unit("S1".into()),
        }
    }

    /// (unit chain, department) of an object in `rel` to `home`, if one exists.
    fn object(t: &Territory, home: &Scope, rel: Relation) -> Option<(Vec<String>, Option<String>)> {
        match home {
            Scope::Department(_) => {
                // Department objects: own department at D1; a sibling
                // department at D1; the parent (city) department; the same
                // kind in another district. No child department exists.
                let (unit, dept) = match rel {
                    Own => ("D1", "D1-HS"),
                    Sibling => ("D1", "D1-UM"),
                    Parent => ("C", "C-HS"),
                    OtherDistrict => ("D2", "D2-HS"),
                    Child => return None,
                };
                Some((t.chain(unit), Some(dept.into())))
            }
            Scope::Unit(code) => {
                let unit = t.get(code).unwrap();
                let pick = match rel {
                    Own => Some(code.clone()),
                    Child => t.children(code).next().map(|u| u.code.clone()),
                    Sibling => unit.parent.as_deref().and_then(|p| {
                        t.children(p)
                            .find(|u| u.code != *code)
                            .map(|u| u.code.clone())
                    }),
                    Parent => unit.parent.clone(),
                    OtherDistrict => {
                        if unit.level == Level::City {
                            None
                        } else {
                            t.units()
                                .iter()
                                .find(|u| u.level == unit.level && t.is_within(&u.code, "D2"))
                                .map(|u| u.code.clone())
                        }
                    }
                };
                pick.map(|c| (t.chain(&c), None))
            }
            // Residents have no jurisdiction; any unit will do.
            Scope::None => {
                let unit = match rel {
                    Own => "G1",
                    Child => "G2",
                    Sibling => "K2",
                    Parent => "S1",
                    OtherDistrict => "G3",
                };
                Some((t.chain(unit), None))
            }
        }
    }

    #[test]
    fn every_role_relation_action_matches_the_table() {
        let t = territory();
        let mut checked = 0;
        for role in Role::ALL {
            let actor = Actor {
                user_id: 1,
                username: "a".into(),
                role,
                scope: home(role),
            };
            for rel in RELATIONS {
                let Some((chain, dept)) = object(&t, &actor.scope, rel) else {
                    continue;
                };
                for action in Action::ALL {
                    let target = Target {
                        unit_chain: &chain,
                        department: dept.as_deref(),
                        owner: Some(99),
                        holder_chain: &[],
                    };
                    let got = decide(Some(&actor), action, &target).is_ok();
                    assert_eq!(
                        got,
                        expected(action, role, rel),
                        "{role:?} {action:?} on {rel:?} ({chain:?}, {dept:?})"
                    );
                    checked += 1;
                }
            }
        }
        // 12 roles × up to 5 relations × 11 actions, minus inapplicable ones.
        assert!(checked > 400, "only {checked} combinations checked");
    }

    #[test]
    fn anonymous_may_only_read_the_territory() {
        let chain = vec!["C".to_string()];
        let target = Target {
            unit_chain: &chain,
            ..Target::default()
        };
        for action in Action::ALL {
            let got = decide(None, action, &target);
            if action == Action::ReadTerritory {
                assert_eq!(got, Ok(()));
            } else {
                assert_eq!(got, Err(Denied::Unauthenticated));
            }
        }
    }

    #[test]
    fn people_may_see_their_own_personal_data_and_nothing_more() {
        let chain = vec!["G3".to_string()];
        for role in Role::ALL {
            let actor = Actor {
                user_id: 7,
                username: "me".into(),
                role,
                scope: home(role),
            };
            let mine = Target {
                unit_chain: &chain,
                department: None,
                owner: Some(7),
                holder_chain: &[],
            };
            assert_eq!(
                decide(Some(&actor), Action::RevealPersonalData, &mine),
                Ok(())
            );
            // Owning a record grants no management rights.
            assert!(
                decide(Some(&actor), Action::ManageUsers, &mine).is_err(),
                "{role:?}"
            );
        }
    }

    #[test]
    fn disputes_are_worked_by_their_holder_and_governed_by_their_area() {
        let t = territory();
        // A case located in grid G1 (street S1), held by a district committee at D1.
        let area = t.chain("G1");
        let holder = t.chain("D1");
        let target = Target {
            unit_chain: &area,
            department: None,
            owner: None,
            holder_chain: &holder,
        };
        let at = |role: Role, unit: &str| Actor {
            user_id: 1,
            username: "a".into(),
            role,
            scope: Scope::Unit(unit.into()),
        };
        // A street mediator does not work a district committee's case, even in their street…
        let street_mediator = at(Role::Mediator, "S1");
        assert_eq!(
            decide(Some(&street_mediator), Action::ReadDispute, &target),
            Err(Denied::Jurisdiction)
        );
        assert_eq!(
            decide(Some(&street_mediator), Action::HandleDispute, &target),
            Err(Denied::Jurisdiction)
        );
        // …but sees its summary, as the street's staff do.
        assert_eq!(
            decide(Some(&street_mediator), Action::ReadDisputeSummary, &target),
            Ok(())
        );
        assert_eq!(
            decide(
                Some(&at(Role::StreetStaff, "S1")),
                Action::ReadDisputeSummary,
                &target
            ),
            Ok(())
        );
        assert_eq!(
            decide(
                Some(&at(Role::StreetStaff, "S1")),
                Action::ReadDispute,
                &target
            ),
            Err(Denied::Role)
        );
        // The district's mediators work it.
        let district_mediator = at(Role::Mediator, "D1");
        for action in [
            Action::ReadDispute,
            Action::HandleDispute,
            Action::RevealDisputeParty,
        ] {
            assert_eq!(decide(Some(&district_mediator), action, &target), Ok(()));
        }
        // Another district's mediators do not.
        assert!(
            decide(
                Some(&at(Role::Mediator, "D2")),
                Action::ReadDispute,
                &target
            )
            .is_err()
        );
    }

    #[test]
    fn residents_open_disputes_and_follow_their_own() {
        let chain = vec!["G3".to_string()];
        let holder = vec!["K3".to_string()];
        let resident = Actor {
            user_id: 7,
            username: "r".into(),
            role: Role::Resident,
            scope: Scope::None,
        };
        let mine = Target {
            unit_chain: &chain,
            department: None,
            owner: Some(7),
            holder_chain: &holder,
        };
        assert_eq!(decide(Some(&resident), Action::OpenDispute, &mine), Ok(()));
        assert_eq!(decide(Some(&resident), Action::ReadDispute, &mine), Ok(()));
        // A party follows progress; they never work the case or unmask others.
        assert!(decide(Some(&resident), Action::HandleDispute, &mine).is_err());
        assert!(decide(Some(&resident), Action::RevealDisputeParty, &mine).is_err());
        let theirs = Target {
            owner: Some(8),
            ..mine
        };
        assert!(decide(Some(&resident), Action::ReadDispute, &theirs).is_err());
    }
}
