//! Resident appeals (诉求, 接诉即办): the category taxonomy, the working-day
//! calendar and deadlines, the appeal workflow (a state machine), routing,
//! and the standard measures. Pure rules; storage and HTTP come in the
//! store and web crates.

pub mod available;
pub mod calendar;
pub mod case;
pub mod category;
pub mod deadline;
pub mod intake;
pub mod measures;
pub mod party;
pub mod photo;
pub mod ranking;
pub mod routing;
pub mod workflow;

pub use available::{STAFF_STEPS, available_steps};
pub use calendar::{CalendarError, HolidayCalendar, YearSchedule};
pub use case::{CaseClocks, Rating, advance};
pub use category::{Category, DefaultLevel, Due, Taxonomy, TimeLimit, Urgency, due};
pub use deadline::{Clocks, Overdue, RATE_WINDOW_DAYS, act_by, escalation_target, on_overdue};
pub use intake::{Channel, FieldError, IntakeInput, NewAppeal, Place};
pub use measures::{AppealFacts, Measures, Rate, measure};
pub use party::{Seat, own_handler, parties, staff_of};
pub use routing::{Route, route};
pub use workflow::{
    Appeal, Assist, Command, Event, ExtensionRequest, Handler, MAX_EXTENSION_DAYS, Outcome, Party,
    Refusal, Satisfaction, Status,
};
