//! Ask the government (网络问政): a resident asks a department a public
//! question, the department answers in public within a time limit, and
//! others follow a question instead of asking it again. Pure rules: what a
//! question must contain, how it moves, when it is due, which earlier
//! questions look like a new one.
//!
//! The time limit is the taxonomy's reply limit of the `general` class
//! (7 working days by default), so the admins who set time limits set this
//! one too; it is fixed when the question is asked, like an appeal's.

pub mod intake;
pub mod similar;
pub mod workflow;

pub use intake::{NewQuestion, QuestionInput};
pub use similar::similar_titles;
pub use workflow::{Command, Event, Question, Refusal, Status};
