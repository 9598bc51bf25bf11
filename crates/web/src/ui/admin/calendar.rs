//! The holiday calendar's pages: the years loaded, and one year as a month
//! view of holidays and adjusted working days (调休), edited row by row or
//! by pasting the year's file. Checked by the domain
//! (`HolidayCalendar::parse_year`) and saved by `ops::rules` — the operation
//! of `PUT /api/v1/admin/calendar/{year}` — so it is audited the same way and
//! applies to new cases only; a refusal lands beside its row (422).

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use grassroots_core::ErrorCode;
use grassroots_core::appeals::calendar::{DayKind, local_date};
use grassroots_core::appeals::{CalendarError, YearSchedule};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::super::page::{Ui, UiResult};
use super::{admin, pick};
use crate::error::ApiError;
use crate::i18n::{Lang, catalogue};
use crate::ops::rules::{self as ops, ScheduleRefused};
use crate::state::AppState;

use super::rules::{Fields, SavedQuery, field, msg, trimmed};

/// Blank rows offered for new holidays and adjusted working days.
const BLANK_ROWS: usize = 3;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/calendar", get(calendar_index))
        .route("/admin/calendar/{year}", get(calendar_year).post(save_year))
}

fn this_year(state: &AppState) -> Option<i16> {
    Timestamp::from_microsecond(state.now_micros())
        .map(|now| local_date(now).year())
        .ok()
}

#[derive(Debug, Default, Deserialize)]
struct YearQuery {
    year: Option<String>,
}

/// `GET /admin/calendar[?year=2027]`: the years loaded and a way to open
/// any year (the form's year opens its page).
async fn calendar_index(
    State(state): State<AppState>,
    ui: Ui,
    Query(q): Query<YearQuery>,
) -> UiResult {
    admin(&state, &ui)?;
    let mut errors = json!({});
    let mut status = StatusCode::OK;
    if let Some(raw) = q.year.as_deref().filter(|y| !y.trim().is_empty()) {
        match ops::year_of(raw) {
            Ok(y) => return ui.redirect(&format!("/admin/calendar/{y}")),
            Err(_) => {
                errors = json!({"year": ui.t("admin-cal-year_out_of_range")});
                status = StatusCode::UNPROCESSABLE_ENTITY;
            }
        }
    }
    let calendar = state.calendar();
    let years: Vec<Value> = calendar
        .years()
        .filter_map(|y| calendar.schedule(y))
        .map(|s| {
            json!({
                "year": s.year(),
                "source": s.source(),
                "holidays": s.holidays().len(),
                "workdays": s.workdays().len(),
            })
        })
        .collect();
    let now = this_year(&state);
    // The years worth opening next: this one and the next, if not loaded.
    let missing: Vec<i16> = now
        .map(|y| vec![y, y + 1])
        .unwrap_or_default()
        .into_iter()
        .filter(|y| !calendar.covers(*y))
        .collect();
    ui.render_status(
        status,
        "admin_calendar.html",
        json!({
            "years": years,
            "missing": missing,
            "this_year": now,
            "typed_year": q.year,
            "errors": errors,
        }),
    )
}

/// One month of `year` laid out in weeks from Monday, each day with its kind.
fn months(state: &AppState, lang: Lang, year: i16) -> Vec<Value> {
    let calendar = state.calendar();
    (1..=12i8)
        .filter_map(|m| {
            let first = Date::new(year, m, 1).ok()?;
            let lead = usize::try_from(first.weekday().to_monday_zero_offset()).unwrap_or(0);
            let mut cells: Vec<Value> = vec![Value::Null; lead];
            for d in 1..=first.days_in_month() {
                let date = Date::new(year, m, d).ok()?;
                let (kind, name) = match calendar.day_kind(date) {
                    DayKind::Workday => ("workday", String::new()),
                    DayKind::Weekend => ("weekend", String::new()),
                    DayKind::Holiday(name) => (
                        "holiday",
                        calendar
                            .holiday(date)
                            .map(|h| pick(lang, &h.name, &h.name_en))
                            .unwrap_or_else(|| name.to_owned()),
                    ),
                    DayKind::AdjustedWorkday(name) => ("adjusted", name.to_owned()),
                };
                cells.push(json!({"day": d, "date": date.to_string(), "kind": kind, "name": name}));
            }
            while !cells.len().is_multiple_of(7) {
                cells.push(Value::Null);
            }
            let weeks: Vec<Value> = cells.chunks(7).map(|w| json!(w)).collect();
            Some(json!({"month": m, "weeks": weeks}))
        })
        .collect()
}

/// The rows form of a schedule (or an empty year), with blank rows to add.
fn rows_form(schedule: Option<&YearSchedule>) -> Value {
    let mut holidays: Vec<Value> = schedule
        .map(|s| {
            s.holidays()
                .iter()
                .map(|h| {
                    json!({"name": h.name, "name_en": h.name_en, "from": h.from.to_string(), "to": h.to.to_string()})
                })
                .collect()
        })
        .unwrap_or_default();
    let mut workdays: Vec<Value> = schedule
        .map(|s| {
            s.workdays()
                .iter()
                .map(|w| json!({"date": w.date.to_string(), "name": w.name}))
                .collect()
        })
        .unwrap_or_default();
    holidays.extend((0..BLANK_ROWS).map(|_| json!({})));
    workdays.extend((0..BLANK_ROWS).map(|_| json!({})));
    json!({
        "source": schedule.map(|s| s.source()).unwrap_or_default(),
        "holidays": holidays,
        "workdays": workdays,
    })
}

/// The year's file, as an administrator would paste it back.
fn year_json(year: i16, schedule: Option<&YearSchedule>) -> String {
    // In the file's own order (year, source, holidays, workdays).
    match schedule {
        Some(s) => serde_json::to_string_pretty(s).unwrap_or_default(),
        None => format!(
            "{{\n  \"year\": {year},\n  \"source\": \"\",\n  \"holidays\": [],\n  \"workdays\": []\n}}"
        ),
    }
}

async fn calendar_year(
    State(state): State<AppState>,
    ui: Ui,
    Path(year): Path<String>,
    Query(q): Query<SavedQuery>,
) -> UiResult {
    admin(&state, &ui)?;
    let year = ops::year_of(&year).map_err(|_| ApiError::new(ErrorCode::NotFound))?;
    let calendar = state.calendar();
    let schedule = calendar.schedule(year);
    let page = YearPage {
        rows: rows_form(schedule),
        json: year_json(year, schedule),
        reason: json!({}),
        errors: json!({}),
        saved: q.saved.is_some(),
    };
    render_year(&state, &ui, year, StatusCode::OK, page)
}

struct YearPage {
    rows: Value,
    json: String,
    /// The reasons typed in each form (`rows`, `json`).
    reason: Value,
    errors: Value,
    saved: bool,
}

fn render_year(state: &AppState, ui: &Ui, year: i16, status: StatusCode, p: YearPage) -> UiResult {
    let calendar = state.calendar();
    let schedule = calendar.schedule(year);
    let lang = ui.lang();
    let holidays: Vec<Value> = schedule
        .map(|s| {
            s.holidays()
                .iter()
                .map(|h| json!({"name": pick(lang, &h.name, &h.name_en), "from": h.from.to_string(), "to": h.to.to_string()}))
                .collect()
        })
        .unwrap_or_default();
    let workdays: Vec<Value> = schedule
        .map(|s| {
            s.workdays()
                .iter()
                .map(|w| json!({"date": w.date.to_string(), "name": w.name}))
                .collect()
        })
        .unwrap_or_default();
    ui.render_status(
        status,
        "admin_calendar_year.html",
        json!({
            "year": year,
            "covered": schedule.is_some(),
            "source": schedule.map(|s| s.source()),
            "holidays": holidays,
            "workdays": workdays,
            "months": months(state, lang, year),
            "rows": p.rows,
            "json": p.json,
            "reason": p.reason,
            "errors": p.errors,
            "saved": p.saved,
        }),
    )
}

/// A holiday row of the form as typed.
#[derive(Debug, Default, Clone)]
struct HolidayRow {
    name: String,
    name_en: String,
    from: String,
    to: String,
    remove: bool,
}

#[derive(Debug, Default, Clone)]
struct WorkdayRow {
    date: String,
    name: String,
    remove: bool,
}

fn holiday_rows(f: &Fields) -> Vec<HolidayRow> {
    let n = trimmed(f, "holiday_rows")
        .parse::<usize>()
        .unwrap_or(0)
        .min(100);
    (0..n)
        .map(|i| HolidayRow {
            name: trimmed(f, &format!("h{i}-name")),
            name_en: trimmed(f, &format!("h{i}-name_en")),
            from: trimmed(f, &format!("h{i}-from")),
            to: trimmed(f, &format!("h{i}-to")),
            remove: field(f, &format!("h{i}-remove")).is_some(),
        })
        .collect()
}

fn workday_rows(f: &Fields) -> Vec<WorkdayRow> {
    let n = trimmed(f, "workday_rows")
        .parse::<usize>()
        .unwrap_or(0)
        .min(100);
    (0..n)
        .map(|i| WorkdayRow {
            date: trimmed(f, &format!("w{i}-date")),
            name: trimmed(f, &format!("w{i}-name")),
            remove: field(f, &format!("w{i}-remove")).is_some(),
        })
        .collect()
}

impl HolidayRow {
    fn blank(&self) -> bool {
        self.name.is_empty()
            && self.name_en.is_empty()
            && self.from.is_empty()
            && self.to.is_empty()
    }
    fn kept(&self) -> bool {
        !self.remove && !self.blank()
    }
}

impl WorkdayRow {
    fn blank(&self) -> bool {
        self.date.is_empty() && self.name.is_empty()
    }
    fn kept(&self) -> bool {
        !self.remove && !self.blank()
    }
}

/// Weekday names for messages (Monday = 1).
fn weekday_name(ui: &Ui, date: Date) -> String {
    ui.t(&format!(
        "admin-weekday-{}",
        date.weekday().to_monday_one_offset()
    ))
}

/// The message of a refused schedule in the page's language.
fn calendar_message(ui: &Ui, year: i16, e: &ScheduleRefused) -> String {
    let e = match e {
        ScheduleRefused::OtherYear { file, wanted } => {
            return msg(
                ui,
                "admin-cal-other_year",
                &[("file", &file.to_string()), ("year", &wanted.to_string())],
            );
        }
        ScheduleRefused::Invalid(e) => e,
    };
    let key = format!("admin-cal-{}", e.problem());
    let year = year.to_string();
    let detail = e.to_string();
    let (date, name, other, days) = match e {
        CalendarError::OutsideYear { date, what, .. } => {
            (date.to_string(), what.clone(), String::new(), 0)
        }
        CalendarError::Reversed { name, from, to } => {
            (from.to_string(), name.clone(), to.to_string(), 0)
        }
        CalendarError::TooLong { name, days } => {
            (String::new(), name.clone(), String::new(), *days)
        }
        CalendarError::OverlappingHolidays {
            date,
            first,
            second,
        } => (date.to_string(), first.clone(), second.clone(), 0),
        CalendarError::DuplicateWorkday(date) => {
            (date.to_string(), String::new(), String::new(), 0)
        }
        CalendarError::HolidayAndWorkday { date, holiday } => {
            (date.to_string(), holiday.clone(), String::new(), 0)
        }
        CalendarError::WorkdayNotWeekend { date, .. } => {
            (date.to_string(), weekday_name(ui, *date), String::new(), 0)
        }
        CalendarError::BadDate { value, what } => (value.clone(), what.clone(), String::new(), 0),
        CalendarError::EmptyName { what } => (String::new(), what.clone(), String::new(), 0),
        _ => (String::new(), String::new(), String::new(), 0),
    };
    if catalogue().has(ui.lang(), &key) {
        msg(
            ui,
            &key,
            &[
                ("year", &year),
                ("date", &date),
                ("name", &name),
                ("other", &other),
                ("days", &days.to_string()),
                ("detail", &detail),
            ],
        )
    } else {
        detail
    }
}

/// Which row field a refused schedule built from the rows belongs to.
fn row_field(e: &ScheduleRefused, holidays: &[HolidayRow], workdays: &[WorkdayRow]) -> String {
    let ScheduleRefused::Invalid(e) = e else {
        return "form".into();
    };
    let h = |pred: &dyn Fn(&HolidayRow) -> bool| {
        holidays
            .iter()
            .enumerate()
            .filter(|(_, r)| r.kept())
            .rfind(|(_, r)| pred(r))
            .map(|(i, _)| i)
    };
    let w = |date: &str| {
        workdays
            .iter()
            .enumerate()
            .filter(|(_, r)| r.kept() && r.date == date)
            .map(|(i, _)| i)
            .collect::<Vec<_>>()
    };
    let found = match e {
        CalendarError::MissingSource => Some("source".to_owned()),
        CalendarError::YearOutOfRange(_) => Some("form".to_owned()),
        CalendarError::EmptyName { .. } => holidays
            .iter()
            .enumerate()
            .find(|(_, r)| r.kept() && r.name.is_empty())
            .map(|(i, _)| format!("h{i}-name"))
            .or_else(|| {
                workdays
                    .iter()
                    .enumerate()
                    .find(|(_, r)| r.kept() && r.name.is_empty())
                    .map(|(i, _)| format!("w{i}-name"))
            }),
        CalendarError::BadDate { what, value } => h(&|r| &r.name == what && r.from == *value)
            .map(|i| format!("h{i}-from"))
            .or_else(|| h(&|r| &r.name == what && r.to == *value).map(|i| format!("h{i}-to")))
            .or_else(|| w(value).first().map(|i| format!("w{i}-date"))),
        CalendarError::OutsideYear { what, date, .. } => {
            let date = date.to_string();
            h(&|r| &r.name == what && r.from == date)
                .map(|i| format!("h{i}-from"))
                .or_else(|| h(&|r| &r.name == what && r.to == date).map(|i| format!("h{i}-to")))
                .or_else(|| w(&date).first().map(|i| format!("w{i}-date")))
        }
        CalendarError::Reversed { name, from, .. } => {
            let from = from.to_string();
            h(&|r| &r.name == name && r.from == from).map(|i| format!("h{i}-to"))
        }
        CalendarError::TooLong { name, .. } => h(&|r| &r.name == name).map(|i| format!("h{i}-to")),
        CalendarError::OverlappingHolidays { date, second, .. } => {
            let date = date.to_string();
            h(&|r| {
                &r.name == second
                    && r.from.as_str() <= date.as_str()
                    && date.as_str() <= r.to.as_str()
            })
            .map(|i| format!("h{i}-from"))
        }
        CalendarError::DuplicateWorkday(date) => {
            w(&date.to_string()).get(1).map(|i| format!("w{i}-date"))
        }
        CalendarError::HolidayAndWorkday { date, .. }
        | CalendarError::WorkdayNotWeekend { date, .. } => {
            w(&date.to_string()).first().map(|i| format!("w{i}-date"))
        }
        _ => None,
    };
    found.unwrap_or_else(|| "form".into())
}

/// `POST /admin/calendar/{year}`: the year from the rows (`mode=rows`) or
/// from the pasted file (`mode=json`), checked by the domain as the API's
/// file is and saved by the same operation.
async fn save_year(
    State(state): State<AppState>,
    ui: Ui,
    Path(year): Path<String>,
    Form(f): Form<Fields>,
) -> UiResult {
    ui.check(field(&f, "csrf").unwrap_or_default())?;
    admin(&state, &ui)?;
    let year = ops::year_of(&year).map_err(|_| ApiError::new(ErrorCode::NotFound))?;
    let json_mode = field(&f, "mode") == Some("json");
    let reason_field = if json_mode {
        "json-reason"
    } else {
        "rows-reason"
    };
    let holidays = holiday_rows(&f);
    let workdays = workday_rows(&f);
    let (text, pasted) = if json_mode {
        (field(&f, "json").unwrap_or_default().to_owned(), true)
    } else {
        let file = json!({
            "year": year,
            "source": trimmed(&f, "source"),
            "holidays": holidays.iter().filter(|r| r.kept()).map(|r| json!({
                "name": r.name, "name_en": r.name_en, "from": r.from, "to": r.to,
            })).collect::<Vec<_>>(),
            "workdays": workdays.iter().filter(|r| r.kept()).map(|r| json!({
                "date": r.date, "name": r.name,
            })).collect::<Vec<_>>(),
        });
        (file.to_string(), false)
    };
    let mut errors = Map::new();
    let reason = match ops::reason(field(&f, reason_field)) {
        Ok(r) => r,
        Err(_) => {
            errors.insert(
                reason_field.into(),
                json!(ui.t("admin-rule-reason-optional")),
            );
            None
        }
    };
    match ops::schedule_for(year, &text) {
        Ok(schedule) if errors.is_empty() => {
            ops::save_calendar_year(&state, &ui.caller, &schedule, reason).await?;
            return ui.redirect(&format!("/admin/calendar/{year}?saved=1"));
        }
        Ok(_) => {}
        Err(e) => {
            let at = if pasted {
                "json".to_owned()
            } else {
                row_field(&e, &holidays, &workdays)
            };
            errors.insert(at, json!(calendar_message(&ui, year, &e)));
        }
    }
    // Shown again as typed: the rows (blank ones too), or the pasted text.
    let schedule = state.calendar();
    let schedule = schedule.schedule(year);
    let rows = if pasted {
        rows_form(schedule)
    } else {
        json!({
            "source": field(&f, "source").unwrap_or_default(),
            "holidays": holidays.iter().map(|r| json!({
                "name": r.name, "name_en": r.name_en, "from": r.from, "to": r.to, "remove": r.remove,
            })).collect::<Vec<_>>(),
            "workdays": workdays.iter().map(|r| json!({
                "date": r.date, "name": r.name, "remove": r.remove,
            })).collect::<Vec<_>>(),
        })
    };
    let json_text = if pasted {
        text
    } else {
        year_json(year, schedule)
    };
    let page = YearPage {
        rows,
        json: json_text,
        reason: json!({ reason_field: field(&f, reason_field).unwrap_or_default() }),
        errors: Value::Object(errors),
        saved: false,
    };
    render_year(&state, &ui, year, StatusCode::UNPROCESSABLE_ENTITY, page)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn an_empty_year_is_offered_as_a_file_to_fill_in() {
        let text = year_json(2031, None);
        let e = ops::schedule_for(2031, &text).unwrap_err();
        assert!(
            matches!(e, ScheduleRefused::Invalid(CalendarError::MissingSource)),
            "{e:?}"
        );
        assert!(text.find("\"year\"") < text.find("\"source\""));
    }

    fn rows() -> (Vec<HolidayRow>, Vec<WorkdayRow>) {
        let h = |name: &str, from: &str, to: &str| HolidayRow {
            name: name.into(),
            name_en: String::new(),
            from: from.into(),
            to: to.into(),
            remove: false,
        };
        let w = |date: &str| WorkdayRow {
            date: date.into(),
            name: "调休".into(),
            remove: false,
        };
        (
            vec![
                h("元旦", "2027-01-01", "2027-01-03"),
                HolidayRow::default(),
                h("春节", "2027-02-06", "2027-02-01"),
            ],
            vec![w("2027-01-04"), w("2027-01-04"), WorkdayRow::default()],
        )
    }

    #[test]
    fn refusals_land_on_their_row() {
        let (h, w) = rows();
        let refuse = |holidays: &[HolidayRow], workdays: &[WorkdayRow]| {
            let file = json!({
                "year": 2027, "source": "通知",
                "holidays": holidays.iter().filter(|r| r.kept()).map(|r| json!({"name": r.name, "from": r.from, "to": r.to})).collect::<Vec<_>>(),
                "workdays": workdays.iter().filter(|r| r.kept()).map(|r| json!({"date": r.date, "name": r.name})).collect::<Vec<_>>(),
            });
            let e = ops::schedule_for(2027, &file.to_string()).unwrap_err();
            row_field(&e, holidays, workdays)
        };
        assert_eq!(refuse(&h, &w), "h2-to", "reversed span");
        let mut fixed = h.clone();
        fixed[2].to = "2027-02-10".into();
        // 2027-01-04 is a Monday: not a weekend day.
        assert_eq!(refuse(&fixed, &w), "w0-date");
        let mut weekend = w.clone();
        weekend[0].date = "2027-01-09".into();
        weekend[1].date = "2027-01-09".into();
        assert_eq!(refuse(&fixed, &weekend), "w1-date", "listed twice");
        let mut bad = fixed.clone();
        bad[0].from = "2027-13-01".into();
        assert_eq!(refuse(&bad, &[]), "h0-from");
        let mut outside = fixed.clone();
        outside[0].to = "2028-01-01".into();
        assert_eq!(refuse(&outside, &[]), "h0-to");
        let mut overlap = fixed.clone();
        overlap[2].from = "2027-01-02".into();
        overlap[2].to = "2027-01-05".into();
        assert_eq!(refuse(&overlap, &[]), "h2-from");
        let mut unnamed = fixed;
        unnamed[2].name = String::new();
        assert_eq!(refuse(&unnamed, &[]), "h2-name");
    }
}
