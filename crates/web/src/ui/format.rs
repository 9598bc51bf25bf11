//! Time limits shown the local way: "剩余 3 小时", "逾期 2 个工作日", with a
//! colour band (green / amber / red / overdue) staff read at a glance.

use grassroots_core::appeals::calendar::HolidayCalendar;
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::i18n::{Lang, catalogue};

const HOUR: i64 = 3_600_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Band {
    Green,
    Amber,
    Red,
    Overdue,
}

impl Band {
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Green => "green",
            Band::Amber => "amber",
            Band::Red => "red",
            Band::Overdue => "overdue",
        }
    }
}

/// The band of a limit that started at `start` and falls due at `due`:
/// red in its last fifth (or last 4 hours), amber below half.
pub fn band(start: i64, due: i64, now: i64) -> Band {
    if now > due {
        return Band::Overdue;
    }
    let left = due - now;
    let span = (due - start).max(1);
    if left * 5 < span || left < 4 * HOUR {
        Band::Red
    } else if left * 2 < span {
        Band::Amber
    } else {
        Band::Green
    }
}

/// The catalogue key and number of a countdown: hours within a day,
/// working days beyond.
pub fn countdown_parts(cal: &HolidayCalendar, due: i64, now: i64) -> (&'static str, i64) {
    let (Ok(due_t), Ok(now_t)) = (
        Timestamp::from_microsecond(due),
        Timestamp::from_microsecond(now),
    ) else {
        return ("countdown-unknown", 0);
    };
    if now > due {
        let hours = (now - due) / HOUR;
        if hours < 24 {
            ("countdown-overdue-hours", hours.max(1))
        } else {
            let days = i64::from(cal.working_days_overdue(due_t, now_t));
            if days < 1 {
                ("countdown-overdue-hours", hours)
            } else {
                ("countdown-overdue-workdays", days)
            }
        }
    } else {
        let hours = (due - now + HOUR - 1) / HOUR;
        if hours <= 24 {
            ("countdown-left-hours", hours.max(1))
        } else {
            let days = cal.working_days_left(now_t, due_t);
            if days < 1 {
                ("countdown-left-hours", hours)
            } else {
                ("countdown-left-workdays", days)
            }
        }
    }
}

/// `{"band": "amber", "text": "剩余 3 小时"}` for a template.
pub fn countdown(cal: &HolidayCalendar, lang: Lang, start: i64, due: i64, now: i64) -> Value {
    let (key, n) = countdown_parts(cal, due, now);
    let n = n.to_string();
    json!({
        "band": band(start, due, now).as_str(),
        "text": catalogue().message(lang, key, &[("n", &n)]),
    })
}

/// A department's name in the page's language (its code if unknown).
pub fn department_name(
    departments: &[grassroots_core::accounts::Department],
    code: &str,
    lang: Lang,
) -> String {
    departments
        .iter()
        .find(|d| d.code == code)
        .map(|d| {
            if lang == Lang::En {
                d.name_en.clone()
            } else {
                d.name.clone()
            }
        })
        .unwrap_or_else(|| code.to_owned())
}

/// A unit's name in the page's language (its code if unknown).
pub fn unit_name(t: &grassroots_core::territory::Territory, code: &str, lang: Lang) -> String {
    t.get(code)
        .map(|u| {
            if lang == Lang::En {
                u.name_en.clone()
            } else {
                u.name.clone()
            }
        })
        .unwrap_or_else(|| code.to_owned())
}

/// A rate in 0..=1 as "87.5%"; none as "—".
pub fn percent(rate: Option<f64>) -> String {
    match rate {
        Some(r) if r.is_finite() => format!("{:.1}%", r * 100.0),
        _ => "—".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 24 * HOUR;

    fn monday_9am() -> i64 {
        // 2026-11-23 09:00 China time, a Monday.
        "2026-11-23T01:00:00Z"
            .parse::<Timestamp>()
            .map(|t| t.as_microsecond())
            .unwrap_or_default()
    }

    #[test]
    fn bands_follow_the_share_of_time_left() {
        let start = 0;
        let due = 10 * DAY;
        assert_eq!(band(start, due, DAY), Band::Green);
        assert_eq!(band(start, due, 6 * DAY), Band::Amber);
        assert_eq!(band(start, due, 9 * DAY), Band::Red);
        assert_eq!(band(start, due, due), Band::Red);
        assert_eq!(band(start, due, due + 1), Band::Overdue);
        // A short limit is red in its last four hours even above a fifth.
        assert_eq!(band(0, 10 * HOUR, 7 * HOUR), Band::Red);
        // A limit with no span does not divide by zero.
        assert_eq!(band(5, 5, 5), Band::Red);
    }

    #[test]
    fn countdowns_read_in_hours_then_working_days() {
        let cal = HolidayCalendar::builtin();
        let now = monday_9am();
        assert_eq!(
            countdown_parts(&cal, now + 3 * HOUR, now),
            ("countdown-left-hours", 3)
        );
        assert_eq!(
            countdown_parts(&cal, now + 90 * 60_000_000, now),
            ("countdown-left-hours", 2),
            "part hours round up"
        );
        assert_eq!(
            countdown_parts(&cal, now + 3 * DAY, now),
            ("countdown-left-workdays", 3)
        );
        assert_eq!(
            countdown_parts(&cal, now - 5 * HOUR, now),
            ("countdown-overdue-hours", 5)
        );
        let (key, n) = countdown_parts(&cal, now - 2 * DAY, now);
        assert_eq!(key, "countdown-overdue-workdays");
        assert!(n >= 1, "{n}");
    }

    #[test]
    fn countdown_text_in_both_languages() {
        let cal = HolidayCalendar::builtin();
        let now = monday_9am();
        let zh = countdown(&cal, Lang::ZhCn, now - DAY, now + 3 * HOUR, now);
        assert_eq!(zh["text"], "剩余 3 小时");
        assert_eq!(zh["band"], "red");
        let en = countdown(&cal, Lang::En, now - 10 * DAY, now - 5 * HOUR, now);
        assert_eq!(en["text"], "5 hours overdue");
        assert_eq!(en["band"], "overdue");
    }

    #[test]
    fn percentages() {
        assert_eq!(percent(Some(0.875)), "87.5%");
        assert_eq!(percent(None), "—");
        assert_eq!(percent(Some(f64::NAN)), "—");
    }
}
