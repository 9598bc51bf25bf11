//! Which workflow parties a staff member or resident is, relative to one
//! appeal. `authz::decide` has already said the actor may see and act on
//! the appeal at all; this says in which capacity. One person can hold
//! several (a district officer handling a case is also a dispatcher for
//! the streets below), so the caller tries each in order.

use super::workflow::{Assist, Handler, Party};
use crate::accounts::{Actor, Role, Scope};

/// What party resolution needs to know about an appeal.
#[derive(Clone, Copy, Debug)]
pub struct Seat<'a> {
    pub handler: Option<&'a Handler>,
    /// The handler's unit and its ancestors (a department: its unit's chain).
    pub handler_chain: &'a [String],
    /// The appeal's location unit and its ancestors.
    pub location_chain: &'a [String],
    /// The resident account that filed it, if filed while signed in.
    pub requester: Option<i64>,
    /// Units and departments called in to assist.
    pub assists: &'a [Assist],
}

fn is_unit_staff(role: Role) -> bool {
    matches!(
        role,
        Role::GridWorker | Role::CommunityStaff | Role::StreetStaff | Role::DistrictStaff
    )
}

/// Whether `actor` works for `handler` (its own unit or department).
pub fn staff_of(actor: &Actor, handler: &Handler) -> bool {
    match (&actor.scope, handler) {
        (Scope::Unit(u), Handler::Unit(h)) => is_unit_staff(actor.role) && u == h,
        (Scope::Department(d), Handler::Department(h)) => {
            actor.role == Role::DepartmentStaff && d == h
        }
        _ => false,
    }
}

/// The handler `actor` works for, if a unit or department handles cases.
pub fn own_handler(actor: &Actor) -> Option<Handler> {
    match &actor.scope {
        Scope::Unit(u) if is_unit_staff(actor.role) => Some(Handler::Unit(u.clone())),
        Scope::Department(d) if actor.role == Role::DepartmentStaff => {
            Some(Handler::Department(d.clone()))
        }
        _ => None,
    }
}

/// The parties `actor` holds on the appeal, most specific first.
pub fn parties(actor: &Actor, seat: &Seat<'_>) -> Vec<Party> {
    let mut out = Vec::new();
    if seat.requester == Some(actor.user_id) && actor.role == Role::Resident {
        out.push(Party::Requester);
    }
    if seat.handler.is_some_and(|h| staff_of(actor, h)) {
        out.push(Party::Handler);
    }
    if seat.assists.iter().any(|a| staff_of(actor, &a.handler)) {
        out.push(Party::Assistant);
    }
    if let Scope::Unit(u) = &actor.scope {
        let in_location = seat.location_chain.contains(u);
        let above_handler = match seat.handler {
            Some(Handler::Unit(h)) => h != u && seat.handler_chain.contains(u),
            Some(Handler::Department(_)) => seat.handler_chain.contains(u),
            None => in_location,
        };
        let dispatches = match actor.role {
            Role::HotlineOperator => in_location || above_handler,
            Role::CommunityStaff | Role::StreetStaff | Role::DistrictStaff => above_handler,
            _ => false,
        };
        if dispatches {
            out.push(Party::Dispatcher);
        }
        if actor.role == Role::CitySupervisor && (in_location || above_handler) {
            out.push(Party::Supervisor);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn actor(role: Role, scope: Scope) -> Actor {
        Actor {
            user_id: 7,
            username: "a".into(),
            role,
            scope,
        }
    }

    fn unit(c: &str) -> Scope {
        Scope::Unit(c.into())
    }

    fn chain(codes: &[&str]) -> Vec<String> {
        codes.iter().map(|c| (*c).to_owned()).collect()
    }

    /// An appeal at grid G (K → S → D → C) handled by `handler`.
    fn check(a: &Actor, handler: Option<Handler>, requester: Option<i64>) -> Vec<Party> {
        let location = chain(&["G", "K", "S", "D", "C"]);
        let handler_chain = match &handler {
            Some(Handler::Unit(h)) => {
                let at = location.iter().position(|c| c == h).unwrap_or(0);
                location[at..].to_vec()
            }
            Some(Handler::Department(_)) => chain(&["D", "C"]),
            None => Vec::new(),
        };
        parties(
            a,
            &Seat {
                handler: handler.as_ref(),
                handler_chain: &handler_chain,
                location_chain: &location,
                requester,
                assists: &[],
            },
        )
    }

    #[test]
    fn the_handlers_own_staff_handle_it() {
        let h = Some(Handler::Unit("K".into()));
        assert_eq!(
            check(&actor(Role::CommunityStaff, unit("K")), h.clone(), None),
            [Party::Handler]
        );
        // A grid worker below the handling community is no party to it.
        assert!(check(&actor(Role::GridWorker, unit("G")), h.clone(), None).is_empty());
        // The street above dispatches; it does not handle.
        assert_eq!(
            check(&actor(Role::StreetStaff, unit("S")), h, None),
            [Party::Dispatcher]
        );
    }

    #[test]
    fn department_staff_handle_their_departments_cases_only() {
        let h = Some(Handler::Department("D-HS".into()));
        let own = actor(Role::DepartmentStaff, Scope::Department("D-HS".into()));
        let other = actor(Role::DepartmentStaff, Scope::Department("D-UM".into()));
        assert_eq!(check(&own, h.clone(), None), [Party::Handler]);
        assert!(check(&other, h.clone(), None).is_empty());
        assert_eq!(
            check(&actor(Role::DistrictStaff, unit("D")), h, None),
            [Party::Dispatcher]
        );
    }

    #[test]
    fn a_district_handling_a_case_also_dispatches_below_it() {
        let h = Some(Handler::Unit("D".into()));
        let district = actor(Role::DistrictStaff, unit("D"));
        assert_eq!(check(&district, h, None), [Party::Handler]);
        // Waiting for dispatch: the district above the location dispatches.
        assert_eq!(check(&district, None, None), [Party::Dispatcher]);
    }

    #[test]
    fn hotline_dispatches_and_supervisor_supervises_within_their_city() {
        let hotline = actor(Role::HotlineOperator, unit("C"));
        let supervisor = actor(Role::CitySupervisor, unit("C"));
        assert_eq!(check(&hotline, None, None), [Party::Dispatcher]);
        assert_eq!(
            check(&supervisor, Some(Handler::Unit("G".into())), None),
            [Party::Supervisor]
        );
        // Elsewhere: nothing.
        let elsewhere = actor(Role::CitySupervisor, unit("X"));
        assert!(check(&elsewhere, None, None).is_empty());
    }

    #[test]
    fn only_the_resident_who_filed_it_is_the_requester() {
        let resident = actor(Role::Resident, Scope::None);
        assert_eq!(check(&resident, None, Some(7)), [Party::Requester]);
        assert!(check(&resident, None, Some(8)).is_empty());
        // Staff who happen to share the id field are not requesters.
        let staff = actor(Role::GridWorker, unit("Z"));
        assert!(check(&staff, None, Some(7)).is_empty());
    }

    #[test]
    fn roles_outside_the_appeal_workflow_are_never_parties() {
        for role in [Role::Mediator, Role::Counsellor, Role::Auditor, Role::Admin] {
            let a = actor(role, unit("C"));
            assert!(
                check(&a, Some(Handler::Unit("G".into())), Some(7)).is_empty(),
                "{role:?}"
            );
        }
    }

    #[test]
    fn staff_of_a_called_in_department_assist() {
        let assists = [Assist {
            handler: Handler::Department("D-UM".into()),
            due: 0,
            signed: false,
            overdue: false,
        }];
        let location = chain(&["G", "K", "S", "D", "C"]);
        let seat = |h: &'static str| Seat {
            handler: None,
            handler_chain: &[],
            location_chain: &location,
            requester: None,
            assists: if h.is_empty() { &[] } else { &assists },
        };
        let dept = actor(Role::DepartmentStaff, Scope::Department("D-UM".into()));
        assert_eq!(parties(&dept, &seat("x")), [Party::Assistant]);
        assert!(parties(&dept, &seat("")).is_empty());
        let other = actor(Role::DepartmentStaff, Scope::Department("D-X".into()));
        assert!(parties(&other, &seat("x")).is_empty());
        assert_eq!(own_handler(&dept), Some(Handler::Department("D-UM".into())));
        assert_eq!(own_handler(&actor(Role::Resident, Scope::None)), None);
    }
}
