//! What a question must contain, checked field by field (every problem at
//! once, as appeals do).

use crate::appeals::intake::{FieldError, plain_text};

/// Title length in characters (a question's one line).
pub const TITLE_MIN: usize = 4;
pub const TITLE_MAX: usize = 80;
/// The question itself.
pub const BODY_MIN: usize = 10;
pub const BODY_MAX: usize = 2000;
/// A department's public answer.
pub const ANSWER_MIN: usize = 10;
pub const ANSWER_MAX: usize = 4000;
/// A reason for transferring a question to another department.
pub const REASON_MAX: usize = 500;

/// What the asker typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QuestionInput {
    pub department: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
}

/// A checked question: plain text, within limits, to a known department.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewQuestion {
    pub department: String,
    pub title: String,
    pub body: String,
}

fn problem(field: &'static str, problem: &'static str, detail: String) -> FieldError {
    FieldError {
        field,
        problem,
        detail,
    }
}

/// Checks a length in characters; `None` when it is within `min..=max`.
pub fn length_problem(
    field: &'static str,
    text: &str,
    min: usize,
    max: usize,
) -> Option<FieldError> {
    let n = text.chars().count();
    if n == 0 {
        Some(problem(field, "required", format!("{field} is required")))
    } else if n < min {
        Some(problem(
            field,
            "too_short",
            format!("{field} needs at least {min} characters"),
        ))
    } else if n > max {
        Some(problem(
            field,
            "too_long",
            format!("{field} may have at most {max} characters"),
        ))
    } else {
        None
    }
}

/// Every field's problem, or the checked question. `known_department`
/// answers whether a department code exists (the store knows, the rule
/// does not).
pub fn check(
    input: &QuestionInput,
    known_department: impl Fn(&str) -> bool,
) -> Result<NewQuestion, Vec<FieldError>> {
    let mut errors = Vec::new();
    let department = input
        .department
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    if department.is_empty() {
        errors.push(problem(
            "department",
            "required",
            "choose the department to ask".into(),
        ));
    } else if !known_department(&department) {
        errors.push(problem(
            "department",
            "unknown",
            format!("unknown department {department}"),
        ));
    }
    // A title is one line: line breaks become spaces.
    let title = plain_text(input.title.as_deref().unwrap_or_default())
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    errors.extend(length_problem("title", &title, TITLE_MIN, TITLE_MAX));
    let body = plain_text(input.body.as_deref().unwrap_or_default());
    errors.extend(length_problem("body", &body, BODY_MIN, BODY_MAX));
    if errors.is_empty() {
        Ok(NewQuestion {
            department,
            title,
            body,
        })
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn input(d: &str, t: &str, b: &str) -> QuestionInput {
        QuestionInput {
            department: Some(d.into()),
            title: Some(t.into()),
            body: Some(b.into()),
        }
    }

    fn known(code: &str) -> bool {
        code == "230602-ZJ"
    }

    #[test]
    fn a_good_question_is_cleaned() {
        let q = check(
            &input(
                " 230602-ZJ ",
                "  老旧小区\r\n加装电梯  ",
                "请问今年的补贴标准是多少？\r\n谢谢",
            ),
            known,
        )
        .unwrap();
        assert_eq!(q.department, "230602-ZJ");
        assert_eq!(q.title, "老旧小区 加装电梯");
        assert_eq!(q.body, "请问今年的补贴标准是多少？\n谢谢");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let errs = check(&QuestionInput::default(), known).unwrap_err();
        let got: Vec<_> = errs.iter().map(|e| (e.field, e.problem)).collect();
        assert_eq!(
            got,
            [
                ("department", "required"),
                ("title", "required"),
                ("body", "required")
            ]
        );
        let errs = check(&input("nope", "短", &"长".repeat(BODY_MAX + 1)), known).unwrap_err();
        let got: Vec<_> = errs.iter().map(|e| (e.field, e.problem)).collect();
        assert_eq!(
            got,
            [
                ("department", "unknown"),
                ("title", "too_short"),
                ("body", "too_long")
            ]
        );
    }

    #[test]
    fn limits_are_counted_in_characters_not_bytes() {
        let t = "问".repeat(TITLE_MAX);
        assert!(check(&input("230602-ZJ", &t, "请问这个问题怎么办理呢"), known).is_ok());
        let t = "问".repeat(TITLE_MAX + 1);
        assert!(check(&input("230602-ZJ", &t, "请问这个问题怎么办理呢"), known).is_err());
        assert!(length_problem("x", "abcd", 4, 4).is_none());
        assert_eq!(
            length_problem("x", "abc", 4, 9).unwrap().problem,
            "too_short"
        );
    }

    #[test]
    fn control_characters_are_dropped() {
        let q = check(
            &input(
                "230602-ZJ",
                "路灯\u{0007}不亮怎么办",
                "小区路灯\u{0000}已经坏了一周了",
            ),
            known,
        )
        .unwrap();
        assert_eq!(q.title, "路灯不亮怎么办");
        assert_eq!(q.body, "小区路灯已经坏了一周了");
    }
}
