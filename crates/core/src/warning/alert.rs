//! An alert's life: raised → acknowledged → acted on, or dismissed with a reason.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    /// Raised by a run, nobody has looked yet.
    Open,
    /// Someone in the unit has seen it and owns it.
    Acknowledged,
    /// Something was done (e.g. a coordinated matter opened, departments called in).
    Acted,
    /// Judged a false alarm, with the reason on the record.
    Dismissed,
}

impl AlertStatus {
    pub const ALL: [AlertStatus; 4] =
        [Self::Open, Self::Acknowledged, Self::Acted, Self::Dismissed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Acknowledged => "acknowledged",
            Self::Acted => "acted",
            Self::Dismissed => "dismissed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn is_closed(self) -> bool {
        matches!(self, Self::Acted | Self::Dismissed)
    }
}

/// What a person does with an alert.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum AlertCommand {
    Acknowledge,
    /// `note` says what was done; required, it is the record of the response.
    Act {
        note: String,
    },
    /// `reason` says why it is not a real problem; required.
    Dismiss {
        reason: String,
    },
}

impl AlertCommand {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Acknowledge => "acknowledge",
            Self::Act { .. } => "act",
            Self::Dismiss { .. } => "dismiss",
        }
    }

    pub fn note(&self) -> Option<&str> {
        match self {
            Self::Acknowledge => None,
            Self::Act { note } => Some(note),
            Self::Dismiss { reason } => Some(reason),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AlertError {
    #[error("the alert is already {0}")]
    Closed(&'static str),
    #[error("the alert is already acknowledged")]
    AlreadyAcknowledged,
    #[error("say what was done or why it is dismissed (1 to 500 characters)")]
    NoteRequired,
}

/// Longest note or reason, in characters.
pub const MAX_NOTE_CHARS: usize = 500;

impl AlertStatus {
    /// The next status, or why not.
    pub fn apply(self, command: &AlertCommand) -> Result<AlertStatus, AlertError> {
        if self.is_closed() {
            return Err(AlertError::Closed(self.as_str()));
        }
        if let Some(note) = command.note() {
            let n = note.trim().chars().count();
            if n == 0 || n > MAX_NOTE_CHARS {
                return Err(AlertError::NoteRequired);
            }
        }
        match command {
            AlertCommand::Acknowledge if self == Self::Acknowledged => {
                Err(AlertError::AlreadyAcknowledged)
            }
            AlertCommand::Acknowledge => Ok(Self::Acknowledged),
            AlertCommand::Act { .. } => Ok(Self::Acted),
            AlertCommand::Dismiss { .. } => Ok(Self::Dismissed),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn all_commands() -> Vec<AlertCommand> {
        vec![
            AlertCommand::Acknowledge,
            AlertCommand::Act {
                note: "开协调会".into(),
            },
            AlertCommand::Dismiss {
                reason: "节日集中报修".into(),
            },
            AlertCommand::Act { note: "  ".into() },
            AlertCommand::Dismiss {
                reason: "x".repeat(501),
            },
        ]
    }

    #[test]
    fn every_status_and_command() {
        use AlertStatus::*;
        // (from, command index) → expected: Some(to) or None (refused).
        let table: &[(AlertStatus, usize, Option<AlertStatus>)] = &[
            (Open, 0, Some(Acknowledged)),
            (Open, 1, Some(Acted)),
            (Open, 2, Some(Dismissed)),
            (Acknowledged, 0, None),
            (Acknowledged, 1, Some(Acted)),
            (Acknowledged, 2, Some(Dismissed)),
        ];
        let commands = all_commands();
        for from in AlertStatus::ALL {
            for (i, c) in commands.iter().enumerate() {
                let want = table
                    .iter()
                    .find(|(f, ci, _)| *f == from && *ci == i)
                    .and_then(|t| t.2);
                assert_eq!(from.apply(c).ok(), want, "{from:?} {c:?}");
            }
        }
    }

    #[test]
    fn notes_are_required_and_bounded() {
        assert_eq!(
            AlertStatus::Open.apply(&all_commands()[3]),
            Err(AlertError::NoteRequired)
        );
        assert_eq!(
            AlertStatus::Open.apply(&all_commands()[4]),
            Err(AlertError::NoteRequired)
        );
        assert_eq!(
            AlertStatus::Dismissed.apply(&AlertCommand::Acknowledge),
            Err(AlertError::Closed("dismissed"))
        );
    }

    #[test]
    fn statuses_round_trip() {
        for s in AlertStatus::ALL {
            assert_eq!(AlertStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(AlertStatus::parse("closed"), None);
        let c: AlertCommand =
            serde_json::from_str(r#"{"action":"dismiss","reason":"重复"}"#).unwrap();
        assert_eq!(c.name(), "dismiss");
    }
}
