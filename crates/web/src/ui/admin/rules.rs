//! The appeal rules pages: the category taxonomy with the time limit of
//! each class (edited in place) and one category's handling (names, group,
//! departments, default level, time-limit class, location, keywords). The
//! holiday calendar's pages are in `calendar.rs`.
//!
//! Each change is checked whole by the domain (`Taxonomy::new`,
//! `HolidayCalendar::parse_year`) and saved by `ops::rules` — the operation
//! of `PUT /api/v1/admin/taxonomy` and `PUT /api/v1/admin/calendar/{year}` —
//! so it is audited the same way and applies to new cases only. A refused
//! form comes back (422) with the message beside its field and what was
//! typed kept.

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use grassroots_core::ErrorCode;
use grassroots_core::accounts::{DEPARTMENT_KINDS, DepartmentKind};
use grassroots_core::appeals::Taxonomy;
use grassroots_core::appeals::category::{
    Category, ClassLimits, DefaultLevel, LimitClass, ReplyLimit, TaxonomyError, TimeLimit,
};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::super::page::{Ui, UiResult};
use super::{admin, pick};
use crate::error::ApiError;
use crate::i18n::{Lang, catalogue};
use crate::ops::rules as ops;
use crate::state::{AppState, TAXONOMY_KEY};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/taxonomy", get(taxonomy).post(save_limits))
        .route("/admin/taxonomy/{code}", get(category).post(save_category))
}

/// A form's fields; a repeated name (checkboxes) keeps every value.
pub(super) type Fields = Vec<(String, String)>;

pub(super) fn field<'a>(f: &'a Fields, name: &str) -> Option<&'a str> {
    f.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

pub(super) fn trimmed(f: &Fields, name: &str) -> String {
    field(f, name).unwrap_or_default().trim().to_owned()
}

pub(super) fn all<'a>(f: &'a Fields, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    f.iter()
        .filter(move |(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

pub(super) fn msg(ui: &Ui, key: &str, args: &[(&str, &str)]) -> String {
    catalogue().message(ui.lang(), key, args)
}

/// A limit's sign-for and reply times as words ("4 小时", "7 个工作日"):
/// whole hours of signing in hours, the rest in minutes.
pub(super) fn limit_text(lang: Lang, limit: &TimeLimit) -> Value {
    let (key, n) = match limit.reply {
        ReplyLimit::Hours(h) => ("admin-reply-hours", h),
        ReplyLimit::WorkingDays(d) => ("admin-reply-workdays", d),
    };
    let m = limit.sign_minutes;
    let sign = if m >= 60 && m.is_multiple_of(60) {
        catalogue().message(lang, "admin-sign-hours", &[("n", &(m / 60).to_string())])
    } else {
        catalogue().message(lang, "admin-sign-minutes", &[("n", &m.to_string())])
    };
    json!({
        "sign": sign,
        "reply": catalogue().message(lang, key, &[("n", &n.to_string())]),
    })
}

fn set_limit(limits: &mut ClassLimits, class: LimitClass, limit: TimeLimit) {
    match class {
        LimitClass::Emergency => limits.emergency = limit,
        LimitClass::Utility => limits.utility = limit,
        LimitClass::General => limits.general = limit,
        LimitClass::Complex => limits.complex = limit,
    }
}

fn kind_name(lang: Lang, k: &DepartmentKind) -> String {
    pick(lang, k.name, k.name_en)
}

// ---------------------------------------------------------------- taxonomy

#[derive(Debug, Default, Deserialize)]
pub(super) struct SavedQuery {
    pub(super) saved: Option<String>,
}

async fn taxonomy(State(state): State<AppState>, ui: Ui, Query(q): Query<SavedQuery>) -> UiResult {
    admin(&state, &ui)?;
    let saved = q.saved.filter(|s| s == "limits");
    taxonomy_page(&state, &ui, StatusCode::OK, None, json!({}), saved).await
}

/// The limits form as it stands (`typed`: the values of a refused form).
async fn taxonomy_page(
    state: &AppState,
    ui: &Ui,
    status: StatusCode,
    typed: Option<&Fields>,
    errors: Value,
    saved: Option<String>,
) -> UiResult {
    let lang = ui.lang();
    let taxonomy = state.taxonomy();
    let classes: Vec<Value> = LimitClass::ALL
        .iter()
        .map(|c| {
            let limit = taxonomy.limits().get(*c);
            let (unit, n) = match limit.reply {
                ReplyLimit::Hours(h) => ("hours", h),
                ReplyLimit::WorkingDays(d) => ("working_days", d),
            };
            let key = c.as_str();
            let shown = |suffix: &str, current: String| match typed {
                Some(f) => trimmed(f, &format!("{key}-{suffix}")),
                None => current,
            };
            let mut v = limit_text(lang, &limit);
            v["class"] = json!(key);
            v["form"] = json!({
                "sign": shown("sign", limit.sign_minutes.to_string()),
                "reply": shown("reply", n.to_string()),
                "unit": shown("unit", unit.to_owned()),
            });
            v
        })
        .collect();
    let groups: Vec<Value> = taxonomy
        .groups()
        .iter()
        .map(|g| {
            let items: Vec<Value> = taxonomy
                .in_group(&g.code)
                .map(|c| {
                    let mut v = limit_text(lang, &taxonomy.limits().get(c.limit));
                    v["code"] = json!(c.code);
                    v["name"] = json!(pick(lang, &c.name, &c.name_en));
                    v["class"] = json!(c.limit.as_str());
                    v["default_level"] = json!(c.default_level.as_str());
                    v["departments"] = json!(
                        c.departments
                            .iter()
                            .filter_map(|d| DepartmentKind::by_key(d))
                            .map(|k| kind_name(lang, &k))
                            .collect::<Vec<_>>()
                    );
                    v
                })
                .collect();
            json!({"code": g.code, "name": pick(lang, &g.name, &g.name_en), "items": items})
        })
        .collect();
    let custom = state.store.setting(TAXONOMY_KEY).await?.is_some();
    ui.render_status(
        status,
        "admin_taxonomy.html",
        json!({
            "classes": classes,
            "groups": groups,
            "categories_total": taxonomy.categories().len(),
            "taxonomy_custom": custom,
            "reason": typed.map(|f| trimmed(f, "reason")),
            "errors": errors,
            "saved": saved,
        }),
    )
}

/// Where a class's refused limit is shown, and why: the domain refuses a
/// class whose limits are zero or whose signing is due after the reply.
fn limit_problem(class: LimitClass, limit: &TimeLimit) -> (String, &'static str) {
    let key = class.as_str();
    if limit.sign_minutes == 0 {
        (format!("{key}-sign"), "admin-tax-sign-positive")
    } else if limit.reply == ReplyLimit::Hours(0) {
        (format!("{key}-reply"), "admin-tax-reply-positive")
    } else {
        (format!("{key}-sign"), "admin-tax-sign-longer")
    }
}

/// `POST /admin/taxonomy`: the four classes' limits, applied to the latest
/// taxonomy and saved as `PUT /api/v1/admin/taxonomy` saves it.
async fn save_limits(State(state): State<AppState>, ui: Ui, Form(f): Form<Fields>) -> UiResult {
    ui.check(field(&f, "csrf").unwrap_or_default())?;
    admin(&state, &ui)?;
    let latest = ops::latest_taxonomy(&state).await?;
    let mut limits = *latest.limits();
    let mut errors = Map::new();
    for class in LimitClass::ALL {
        let key = class.as_str();
        let number = |suffix: &str| trimmed(&f, &format!("{key}-{suffix}")).parse::<u32>().ok();
        let sign = number("sign");
        let reply = number("reply");
        if sign.is_none() {
            errors.insert(format!("{key}-sign"), json!(ui.t("admin-tax-whole-number")));
        }
        if reply.is_none() {
            errors.insert(
                format!("{key}-reply"),
                json!(ui.t("admin-tax-whole-number")),
            );
        }
        let unit = trimmed(&f, &format!("{key}-unit"));
        let reply = match (unit.as_str(), reply) {
            ("hours", Some(n)) => Some(ReplyLimit::Hours(n)),
            ("working_days", Some(n)) => Some(ReplyLimit::WorkingDays(n)),
            ("hours" | "working_days", None) => None,
            _ => {
                errors.insert(format!("{key}-unit"), json!(ui.t("admin-tax-pick")));
                None
            }
        };
        if let (Some(sign_minutes), Some(reply)) = (sign, reply) {
            set_limit(
                &mut limits,
                class,
                TimeLimit {
                    sign_minutes,
                    reply,
                },
            );
        }
    }
    let reason = match ops::reason(field(&f, "reason")) {
        Ok(r) => r,
        Err(_) => {
            errors.insert("reason".into(), json!(ui.t("admin-rule-reason-optional")));
            None
        }
    };
    if errors.is_empty() {
        let checked = Taxonomy::new(
            latest.groups().to_vec(),
            latest.categories().to_vec(),
            limits,
        );
        match checked {
            Ok(taxonomy) => {
                ops::save_taxonomy(&state, &ui.caller, &taxonomy, reason, Some(latest.as_ref()))
                    .await?;
                return ui.redirect("/admin/taxonomy?saved=limits");
            }
            Err(TaxonomyError::BadLimit { class, .. }) => {
                let (at, key) = limit_problem(class, &limits.get(class));
                errors.insert(at, json!(ui.t(key)));
            }
            Err(e) => {
                errors.insert("form".into(), json!(taxonomy_message(&ui, &e)));
            }
        }
    }
    taxonomy_page(
        &state,
        &ui,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some(&f),
        Value::Object(errors),
        None,
    )
    .await
}

/// A taxonomy problem in the page's language (the domain's English as the
/// fallback).
fn taxonomy_message(ui: &Ui, e: &TaxonomyError) -> String {
    let group = match e {
        TaxonomyError::EmptyGroup(g) => g.clone(),
        TaxonomyError::UnknownGroup { group, .. } => group.clone(),
        _ => String::new(),
    };
    let key = format!("admin-tax-{}", e.problem());
    if catalogue().has(ui.lang(), &key) {
        msg(ui, &key, &[("group", &group)])
    } else {
        e.to_string()
    }
}

/// Which field of the category form a refusal belongs to.
fn category_field(e: &TaxonomyError) -> &'static str {
    match e {
        TaxonomyError::EmptyName {
            field: "name_en", ..
        } => "name_en",
        TaxonomyError::EmptyName { .. } => "name",
        TaxonomyError::UnknownGroup { .. } | TaxonomyError::EmptyGroup(_) => "group",
        TaxonomyError::NoDepartments(_) | TaxonomyError::UnknownDepartment { .. } => "lead",
        TaxonomyError::DuplicateDepartment { .. } => "assist",
        TaxonomyError::EmptyKeyword(_) => "keywords",
        _ => "form",
    }
}

/// Keywords as typed: separated by commas (either width), 、, ; or lines.
fn keywords(text: &str) -> Vec<String> {
    text.split([',', '，', '、', ';', '；', '\n'])
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn category(
    State(state): State<AppState>,
    ui: Ui,
    Path(code): Path<String>,
    Query(q): Query<SavedQuery>,
) -> UiResult {
    admin(&state, &ui)?;
    let taxonomy = state.taxonomy();
    let c = taxonomy
        .get(&code)
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound))?;
    let form = json!({
        "name": c.name,
        "name_en": c.name_en,
        "group": c.group,
        "lead": c.departments.first(),
        "assist": c.departments.iter().skip(1).collect::<Vec<_>>(),
        "default_level": c.default_level.as_str(),
        "limit": c.limit.as_str(),
        "needs_location": c.needs_location,
        "keywords": c.keywords.join("、"),
        "reason": "",
    });
    category_page(
        &ui,
        &taxonomy,
        c,
        StatusCode::OK,
        form,
        json!({}),
        q.saved.is_some(),
    )
}

fn category_page(
    ui: &Ui,
    taxonomy: &Taxonomy,
    c: &Category,
    status: StatusCode,
    form: Value,
    errors: Value,
    saved: bool,
) -> UiResult {
    let lang = ui.lang();
    let classes: Vec<Value> = LimitClass::ALL
        .iter()
        .map(|k| {
            let mut v = limit_text(lang, &taxonomy.limits().get(*k));
            v["class"] = json!(k.as_str());
            v
        })
        .collect();
    let groups: Vec<Value> = taxonomy
        .groups()
        .iter()
        .map(|g| json!({"code": g.code, "name": pick(lang, &g.name, &g.name_en)}))
        .collect();
    let kinds: Vec<Value> = DEPARTMENT_KINDS
        .iter()
        .map(|k| json!({"key": k.key, "name": kind_name(lang, k)}))
        .collect();
    let levels: Vec<&str> = DefaultLevel::ALL.iter().map(|l| l.as_str()).collect();
    ui.render_status(
        status,
        "admin_category.html",
        json!({
            "c": {"code": c.code, "name": pick(lang, &c.name, &c.name_en), "class": c.limit.as_str()},
            "classes": classes,
            "groups": groups,
            "kinds": kinds,
            "levels": levels,
            "form": form,
            "errors": errors,
            "saved": saved,
        }),
    )
}

/// `POST /admin/taxonomy/{code}`: the category changed in the latest
/// taxonomy, checked whole and saved as the API saves a taxonomy.
async fn save_category(
    State(state): State<AppState>,
    ui: Ui,
    Path(code): Path<String>,
    Form(f): Form<Fields>,
) -> UiResult {
    ui.check(field(&f, "csrf").unwrap_or_default())?;
    admin(&state, &ui)?;
    let latest = ops::latest_taxonomy(&state).await?;
    let Some(current) = latest.get(&code) else {
        return Err(ApiError::new(ErrorCode::NotFound).into());
    };
    let lead = trimmed(&f, "lead");
    let mut departments: Vec<String> = Vec::new();
    if !lead.is_empty() {
        departments.push(lead.clone());
    }
    departments.extend(all(&f, "assist").map(|d| d.trim().to_owned()));
    let form = json!({
        "name": field(&f, "name").unwrap_or_default(),
        "name_en": field(&f, "name_en").unwrap_or_default(),
        "group": trimmed(&f, "group"),
        "lead": lead,
        "assist": all(&f, "assist").collect::<Vec<_>>(),
        "default_level": trimmed(&f, "default_level"),
        "limit": trimmed(&f, "limit"),
        "needs_location": field(&f, "needs_location").is_some(),
        "keywords": field(&f, "keywords").unwrap_or_default(),
        "reason": field(&f, "reason").unwrap_or_default(),
    });
    let mut errors = Map::new();
    let default_level = DefaultLevel::parse(&trimmed(&f, "default_level"));
    if default_level.is_none() {
        errors.insert("default_level".into(), json!(ui.t("admin-tax-pick")));
    }
    let limit = LimitClass::parse(&trimmed(&f, "limit"));
    if limit.is_none() {
        errors.insert("limit".into(), json!(ui.t("admin-tax-pick")));
    }
    let reason = match ops::reason(field(&f, "reason")) {
        Ok(r) => r,
        Err(_) => {
            errors.insert("reason".into(), json!(ui.t("admin-rule-reason-optional")));
            None
        }
    };
    if let (Some(default_level), Some(limit), true) = (default_level, limit, errors.is_empty()) {
        let changed = Category {
            code: current.code.clone(),
            name: trimmed(&f, "name"),
            name_en: trimmed(&f, "name_en"),
            group: trimmed(&f, "group"),
            departments,
            default_level,
            limit,
            needs_location: field(&f, "needs_location").is_some(),
            keywords: keywords(field(&f, "keywords").unwrap_or_default()),
        };
        let categories: Vec<Category> = latest
            .categories()
            .iter()
            .map(|c| {
                if c.code == code {
                    changed.clone()
                } else {
                    c.clone()
                }
            })
            .collect();
        match Taxonomy::new(latest.groups().to_vec(), categories, *latest.limits()) {
            Ok(taxonomy) => {
                ops::save_taxonomy(&state, &ui.caller, &taxonomy, reason, Some(latest.as_ref()))
                    .await?;
                return ui.redirect(&format!(
                    "/admin/taxonomy/{}?saved=1",
                    super::super::csrf::encode_component(&code)
                ));
            }
            Err(e) => {
                errors.insert(
                    category_field(&e).to_owned(),
                    json!(taxonomy_message(&ui, &e)),
                );
            }
        }
    }
    category_page(
        &ui,
        &latest,
        current,
        StatusCode::UNPROCESSABLE_ENTITY,
        form,
        Value::Object(errors),
        false,
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn keywords_split_on_any_separator() {
        assert_eq!(
            keywords("暖气, 不热，供暖、 ;;\n温度"),
            ["暖气", "不热", "供暖", "温度"]
        );
        assert!(keywords(" ,, ").is_empty());
    }
}
