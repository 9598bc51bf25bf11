//! Which staff steps a person may take on an appeal now, asked of the
//! workflow itself: each step is tried (with placeholder details) for each
//! party the person holds, so screens offer exactly what `apply` accepts
//! and never keep a second copy of the rules.

use super::workflow::{Appeal, Command, Handler, Party};

/// The steps a screen offers, by stable name, in the order shown.
pub const STAFF_STEPS: [&str; 12] = [
    "sign",
    "sign_assist",
    "reply",
    "return",
    "call_in",
    "request_extension",
    "decide_extension",
    "dispatch",
    "reroute",
    "merge",
    "out_of_remit",
    "invalid",
];

/// A probe for `step`: the command with details that pass every check that
/// does not depend on them.
fn probe(step: &str, own: Option<&Handler>) -> Option<Command> {
    let elsewhere = Handler::Unit("\u{0}probe".into());
    let reason = "probe".to_owned();
    Some(match step {
        "sign" => Command::Sign,
        "sign_assist" => Command::SignAssist { by: own?.clone() },
        "reply" => Command::Reply { text: reason },
        "return" => Command::Return { reason },
        "call_in" => Command::CallIn {
            to: vec![elsewhere],
            reason,
            due: 0,
        },
        "request_extension" => Command::RequestExtension { days: 1, reason },
        "decide_extension" => Command::DecideExtension {
            approve: true,
            note: None,
        },
        "dispatch" => Command::Dispatch { to: elsewhere },
        "reroute" => Command::Reroute {
            to: elsewhere,
            reason,
        },
        "merge" => Command::MergeInto { target: -1 },
        "out_of_remit" => Command::OutOfRemit { redirect: reason },
        "invalid" => Command::MarkInvalid { reason },
        _ => return None,
    })
}

/// The steps of [`STAFF_STEPS`] that `appeal` accepts from any of `parties`.
/// `own` is the person's own unit or department (for signing an assist).
pub fn available_steps(
    appeal: &Appeal,
    parties: &[Party],
    own: Option<&Handler>,
) -> Vec<&'static str> {
    STAFF_STEPS
        .into_iter()
        .filter(|step| {
            probe(step, own).is_some_and(|cmd| {
                parties
                    .iter()
                    .any(|p| *p != Party::Requester && appeal.apply(&cmd, p).is_ok())
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn grid() -> Handler {
        Handler::Unit("g1".into())
    }

    #[test]
    fn a_dispatched_appeal_offers_its_handler_sign_and_return_only() {
        let a = Appeal::new(1, Some(grid()));
        let steps = available_steps(&a, &[Party::Handler], Some(&grid()));
        assert!(steps.contains(&"sign"), "{steps:?}");
        assert!(!steps.contains(&"reply"), "{steps:?}");
        // Nobody else's capacity offers a handler's step.
        assert!(!available_steps(&a, &[], Some(&grid())).contains(&"sign"));
        assert!(!available_steps(&a, &[Party::Requester], None).contains(&"sign"));
    }

    #[test]
    fn once_signed_the_handler_may_reply_and_no_longer_sign() {
        let a = Appeal::new(1, Some(grid()));
        let (signed, _) = a.apply(&Command::Sign, &Party::Handler).unwrap();
        let steps = available_steps(&signed, &[Party::Handler], Some(&grid()));
        assert!(steps.contains(&"reply"), "{steps:?}");
        assert!(!steps.contains(&"sign"), "{steps:?}");
        let (replied, _) = signed
            .apply(
                &Command::Reply {
                    text: "done".into(),
                },
                &Party::Handler,
            )
            .unwrap();
        assert!(!available_steps(&replied, &[Party::Handler], Some(&grid())).contains(&"reply"));
    }

    #[test]
    fn every_step_has_a_probe() {
        for step in STAFF_STEPS {
            assert!(probe(step, Some(&grid())).is_some(), "{step}");
        }
        assert!(probe("nonsense", None).is_none());
    }
}
