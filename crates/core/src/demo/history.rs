//! A year of appeals for the demo city, so every screen and measure has
//! something true to show. Every case is played through the real workflow
//! (`Appeal::apply`, `case::advance`) from its receipt to wherever it has
//! got by `now`: the record is one the platform could have produced.
//!
//! Seasons follow Daqing: heating complaints from October to April (the
//! heating season), wage arrears before the Spring Festival, noise in
//! summer. Weekends are quieter. Most cases are resolved; some are late,
//! escalated, returned, reopened, withdrawn or out of remit.

use jiff::Timestamp;
use jiff::civil::Weekday;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::accounts::Department;
use crate::appeals::calendar::local_date;
use crate::appeals::{
    Appeal, CaseClocks, Category, Command, Handler, HolidayCalendar, Outcome, Party, Satisfaction,
    Status, Taxonomy, TimeLimit, Urgency, advance, due, escalation_target, route,
};
use crate::territory::{Atlas, Level, Located, Unit};

const HOUR: i64 = 3_600_000_000;

/// One historic step, for the timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub at: i64,
    pub action: &'static str,
    pub public: bool,
    /// The role that took the step (`system` for the platform).
    pub role: &'static str,
    pub handler: Option<Handler>,
    pub note: Option<String>,
}

/// One generated case, in the state it has reached by `now`.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoricAppeal {
    pub category: String,
    pub group: String,
    pub description: String,
    pub point: (f64, f64),
    /// The grid and its ancestors, deepest first.
    pub chain: Vec<String>,
    pub urgency: Urgency,
    pub limit: TimeLimit,
    pub route_rule: &'static str,
    pub state: Appeal,
    pub handler_level: Option<String>,
    pub clocks: CaseClocks,
    pub reply_text: Option<String>,
    pub rating: Option<(bool, Satisfaction)>,
    pub steps: Vec<Step>,
}

/// Days before `now` the planted heating rise (for early warning to find) covers; an
/// evaluation that needs an outbreak-free background leaves them out.
pub const PLANTED_RISE_DAYS: i64 = 3;

/// How many appeals a year at scale 1 (a city of Daqing's size).
pub const APPEALS_PER_YEAR: u32 = 200_000;

/// Seasonal weight of a category group in a month (1 = January).
fn seasonal(group: &str, code: &str, month: i8) -> f64 {
    match group {
        "heating" => match month {
            11..=12 | 1..=2 => 4.0,
            10 | 3 => 2.5,
            4 => 1.0,
            _ => 0.1,
        },
        _ if code == "labour.wage_arrears" => match month {
            12 | 1 => 4.0,
            2 | 11 => 2.0,
            _ => 0.8,
        },
        _ if code.contains("noise") => match month {
            6..=8 => 3.0,
            5 | 9 => 1.8,
            _ => 0.7,
        },
        _ if code == "urban.sanitation" => match month {
            12 | 1 | 2 => 1.6,
            _ => 1.0,
        },
        _ => 1.0,
    }
}

fn role_of(t: &crate::territory::Territory, h: Option<&Handler>) -> &'static str {
    match h {
        Some(Handler::Department(_)) => "department_staff",
        Some(Handler::Unit(c)) => match t.get(c).map(|u| u.level) {
            Some(Level::Grid) => "grid_worker",
            Some(Level::Community) => "community_staff",
            Some(Level::Street) => "street_staff",
            Some(Level::District) => "district_staff",
            _ => "city_supervisor",
        },
        None => "hotline_operator",
    }
}

fn level_of(t: &crate::territory::Territory, h: Option<&Handler>) -> Option<String> {
    match h? {
        Handler::Department(_) => Some("department".into()),
        Handler::Unit(c) => t.get(c).map(|u| u.level.as_str().to_owned()),
    }
}

/// A case being played forward.
struct Play<'a> {
    t: &'a crate::territory::Territory,
    calendar: &'a HolidayCalendar,
    now: i64,
    a: HistoricAppeal,
}

impl Play<'_> {
    /// Apply a command at `at` if that moment has come; false otherwise
    /// (the case stops where it is: still open at `now`).
    fn step(&mut self, at: i64, cmd: Command, party: Party, note: Option<String>) -> bool {
        if at > self.now {
            return false;
        }
        let Ok((next, ev)) = self.a.state.apply(&cmd, &party) else {
            return false;
        };
        self.a.clocks = advance(
            &self.a.clocks,
            &self.a.state,
            &next,
            &cmd,
            at,
            &self.a.limit,
            self.calendar,
        );
        let role = match party {
            Party::Requester => "resident",
            Party::System => "system",
            Party::Dispatcher => "hotline_operator",
            Party::Supervisor => "city_supervisor",
            Party::Handler | Party::Assistant => role_of(self.t, self.a.state.handler.as_ref()),
        };
        self.a.state = next;
        if let Some(l) = level_of(self.t, self.a.state.handler.as_ref()) {
            self.a.handler_level = Some(l);
        }
        self.a.steps.push(Step {
            at,
            action: ev.action,
            public: ev.public,
            role,
            handler: self.a.state.handler.clone(),
            note: note.or(ev.note),
        });
        true
    }
}

const REPLIES: [&str; 6] = [
    "已到现场核实并处理完毕。",
    "已协调相关单位处理，问题已解决。",
    "已联系物业整改，将持续跟踪。",
    "经核查已督促责任单位限期整改。",
    "已安排维修人员上门处理。",
    "已向诉求人说明政策并妥善处理。",
];

/// Generate about `per_year` appeals received in the year before `now`.
/// `progress(done, total)` is called every 1,000 days' worth of work.
#[allow(clippy::too_many_arguments)]
pub fn generate(
    units: &[Unit],
    departments: &[Department],
    taxonomy: &Taxonomy,
    calendar: &HolidayCalendar,
    now: Timestamp,
    per_year: u32,
    seed: u64,
    progress: &mut dyn FnMut(u64, u64),
) -> Vec<HistoricAppeal> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x05ee_da99_ea15);
    let Ok(territory) = crate::territory::Territory::new(units.to_vec()) else {
        return Vec::new();
    };
    let atlas = Atlas::new(territory);
    let t = atlas.territory();
    let grids: Vec<&Unit> = t
        .units()
        .iter()
        .filter(|u| u.level == Level::Grid && !u.retired && u.label.is_some())
        .collect();
    if grids.is_empty() {
        return Vec::new();
    }
    let weights: Vec<f64> = grids
        .iter()
        .map(|g| f64::from(g.households.unwrap_or(400)))
        .collect();
    let total_weight: f64 = weights.iter().sum();
    let cats: Vec<&Category> = taxonomy.categories().iter().collect();
    let now_us = now.as_microsecond();
    let days = 365;
    let per_day = f64::from(per_year) / 365.0;
    let mut out = Vec::with_capacity(per_year as usize + 1000);
    for day in 0..days {
        let day_start = now_us - (days - day) * 24 * HOUR;
        let Ok(ts) = Timestamp::from_microsecond(day_start) else {
            continue;
        };
        let date = local_date(ts);
        let month = date.month();
        let weekend = matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday);
        let cat_weights: Vec<f64> = cats
            .iter()
            .map(|c| seasonal(&c.group, &c.code, month))
            .collect();
        let cat_total: f64 = cat_weights.iter().sum();
        let season_factor = cat_total / cats.len() as f64;
        let mean = per_day * season_factor.min(2.0) / 1.08 * if weekend { 0.7 } else { 1.08 };
        let n = (mean * rng.random_range(0.85..1.15)).round() as u32;
        for _ in 0..n {
            let cat = cats[pick(&mut rng, &cat_weights, cat_total)];
            let grid = grids[pick(&mut rng, &weights, total_weight)];
            let received = day_start + (rng.random_range(7.0_f64..22.0) * HOUR as f64) as i64;
            if received >= now_us {
                continue;
            }
            if let Some(a) = play(
                &mut rng,
                t,
                &atlas,
                departments,
                taxonomy,
                calendar,
                cat,
                grid,
                received,
                now_us,
            ) {
                out.push(a);
            }
        }
        progress(day as u64 + 1, days as u64);
    }
    // Something for early warning to find: a heating substation fails three days before `now`
    // and a cluster of neighbouring grids calls about it.
    if let Some(cat) = cats.iter().find(|c| c.code == "heating.no_heat") {
        let centre = grids[rng.random_range(0..grids.len())];
        let at = |g: &Unit| g.label.map_or((0.0, 0.0), |p| (p.x(), p.y()));
        let c = at(centre);
        let mut near = grids.clone();
        near.sort_by(|a, b| {
            let d = |g: &Unit| (at(g).0 - c.0).powi(2) + (at(g).1 - c.1).powi(2);
            d(a).total_cmp(&d(b))
        });
        for day in days - PLANTED_RISE_DAYS..days {
            for grid in near.iter().take(5) {
                for _ in 0..3 {
                    let received = now_us - (days - day) * 24 * HOUR
                        + (rng.random_range(8.0_f64..20.0) * HOUR as f64) as i64;
                    if received >= now_us {
                        continue;
                    }
                    let played = play(
                        &mut rng,
                        t,
                        &atlas,
                        departments,
                        taxonomy,
                        calendar,
                        cat,
                        grid,
                        received,
                        now_us,
                    );
                    out.extend(played);
                }
            }
        }
    }
    out.extend(planted_repeat(
        &mut rng,
        t,
        &atlas,
        departments,
        taxonomy,
        calendar,
        &cats,
        &grids,
        now_us,
    ));
    out.sort_by_key(|a| a.clocks.received_at);
    out
}

/// Days before `now` the planted repeat was reported: fixed twice, reported again two days ago.
const PLANTED_REPEAT_DAYS: [i64; 3] = [60, 30, 2];

/// A repeated unresolved matter for early warning to find: a broken manhole cover at one spot,
/// closed as handled twice and reported again. Each earlier report is replayed (the generator
/// is seeded, so this is deterministic) until its case was closed as handled.
#[allow(clippy::too_many_arguments)]
fn planted_repeat(
    rng: &mut ChaCha8Rng,
    t: &crate::territory::Territory,
    atlas: &Atlas,
    departments: &[Department],
    taxonomy: &Taxonomy,
    calendar: &HolidayCalendar,
    cats: &[&Category],
    grids: &[&Unit],
    now_us: i64,
) -> Vec<HistoricAppeal> {
    let Some(cat) = cats.iter().find(|c| c.code == "urban.manhole_covers") else {
        return Vec::new();
    };
    let grid = grids[rng.random_range(0..grids.len())];
    let Some(spot) = grid.label.map(|p| (p.x(), p.y())) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, days_ago) in PLANTED_REPEAT_DAYS.iter().enumerate() {
        let received = now_us - days_ago * 24 * HOUR + 10 * HOUR;
        let last = i + 1 == PLANTED_REPEAT_DAYS.len();
        let played = (0..50).find_map(|_| {
            let a = play(
                rng,
                t,
                atlas,
                departments,
                taxonomy,
                calendar,
                cat,
                grid,
                received,
                now_us,
            )?;
            let handled = matches!(
                a.state.outcome,
                Some(Outcome::Rated { .. } | Outcome::NotRated | Outcome::ResolvedOnSite)
            );
            (last || handled).then_some(a)
        });
        if let Some(mut a) = played {
            a.point = spot;
            out.push(a);
        }
    }
    out
}

fn pick(rng: &mut ChaCha8Rng, weights: &[f64], total: f64) -> usize {
    let mut x = rng.random_range(0.0..total);
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

#[allow(clippy::too_many_arguments)]
fn play(
    rng: &mut ChaCha8Rng,
    t: &crate::territory::Territory,
    atlas: &Atlas,
    departments: &[Department],
    taxonomy: &Taxonomy,
    calendar: &HolidayCalendar,
    cat: &Category,
    grid: &Unit,
    received: i64,
    now: i64,
) -> Option<HistoricAppeal> {
    let label = grid.label?;
    // A point near the grid's label that is still inside the grid.
    let jitter = (
        rng.random_range(-0.0004..0.0004),
        rng.random_range(-0.0004..0.0004),
    );
    let candidate = (label.x() + jitter.0, label.y() + jitter.1);
    let point = match atlas.locate(candidate.0, candidate.1) {
        Located::Inside { unit, .. } if unit.code == grid.code => candidate,
        _ => (label.x(), label.y()),
    };
    let chain_units: Vec<&Unit> = std::iter::once(grid)
        .chain(t.ancestors(&grid.code))
        .collect();
    let routed = route(cat, &chain_units, departments)?;
    let urgency = match rng.random_range(0..100) {
        0..=2 => Urgency::Emergency,
        3..=10 => Urgency::Urgent,
        _ => Urgency::Normal,
    };
    let limit = taxonomy.limits().get(cat.effective_class(urgency));
    let d = due(
        calendar,
        &limit,
        Timestamp::from_microsecond(received).ok()?,
    );
    let state = Appeal::new(0, Some(routed.handler.clone()));
    let clocks = CaseClocks::at_intake(
        received,
        d.sign_by.as_microsecond(),
        d.reply_by.as_microsecond(),
        state.status,
        &limit,
        calendar,
    );
    let keyword = cat
        .keywords
        .first()
        .cloned()
        .unwrap_or_else(|| cat.name.clone());
    let mut p = Play {
        t,
        calendar,
        now,
        a: HistoricAppeal {
            category: cat.code.clone(),
            group: cat.group.clone(),
            description: format!("{}：{}问题，请尽快处理。", cat.name, keyword),
            point,
            chain: chain_units.iter().map(|u| u.code.clone()).collect(),
            urgency,
            limit,
            route_rule: routed.rule,
            handler_level: level_of(t, Some(&routed.handler)),
            state,
            clocks,
            reply_text: None,
            rating: None,
            steps: vec![
                Step {
                    at: received,
                    action: "appeal.submit",
                    public: true,
                    role: "resident",
                    handler: Some(routed.handler.clone()),
                    note: None,
                },
                Step {
                    at: received,
                    action: "appeal.dispatch",
                    public: true,
                    role: "system",
                    handler: Some(routed.handler.clone()),
                    note: Some(format!("route:{}", routed.rule)),
                },
            ],
        },
    };
    let sign_window = (clocks.sign_due - received).max(HOUR / 4);
    let fate = rng.random_range(0..1000);
    // Early endings.
    if fate < 15 {
        let at = received + rng.random_range(HOUR..24 * HOUR);
        p.step(
            at,
            Command::Withdraw {
                reason: "问题已自行解决".into(),
            },
            Party::Requester,
            None,
        );
        return Some(p.a);
    }
    if fate < 25 {
        let at = received + rng.random_range(HOUR / 2..6 * HOUR);
        p.step(
            at,
            Command::OutOfRemit {
                redirect: "属司法程序事项，请向人民法院提起诉讼".into(),
            },
            Party::Handler,
            None,
        );
        return Some(p.a);
    }
    // Some are returned once and dispatched again.
    let mut at = received;
    if fate < 55 {
        at += rng.random_range(HOUR / 4..sign_window);
        if !p.step(
            at,
            Command::Return {
                reason: "不属于本单位职责".into(),
            },
            Party::Handler,
            None,
        ) {
            return Some(p.a);
        }
        at += rng.random_range(HOUR / 4..HOUR);
        if !p.step(
            at,
            Command::Dispatch {
                to: routed.handler.clone(),
            },
            Party::Dispatcher,
            None,
        ) {
            return Some(p.a);
        }
    }
    // Late signing and escalation for some.
    if fate < 95 {
        at = p.a.clocks.act_by.unwrap_or(at) + HOUR / 6;
        let loc = p.a.chain.clone();
        let Some(up) = escalation_target(p.a.state.handler.as_ref(), &loc, t, departments) else {
            return Some(p.a);
        };
        if !p.step(at, Command::Escalate { to: up }, Party::System, None) {
            return Some(p.a);
        }
    }
    let late = rng.random_range(0..100) < 6;
    let sign_at = at
        + if late {
            sign_window + rng.random_range(HOUR / 6..3 * HOUR)
        } else {
            rng.random_range(sign_window / 10..sign_window)
        };
    if !p.step(sign_at, Command::Sign, Party::Handler, None) {
        return Some(p.a);
    }
    let reply_window = (p.a.clocks.act_by.unwrap_or(sign_at + 24 * HOUR) - sign_at).max(HOUR);
    let reply_at = sign_at
        + if rng.random_range(0..100) < 9 {
            reply_window + rng.random_range(HOUR..48 * HOUR)
        } else {
            (reply_window as f64 * rng.random_range(0.1..0.95)) as i64
        };
    let text = REPLIES[rng.random_range(0..REPLIES.len())].to_owned();
    if !p.step(
        reply_at,
        Command::Reply { text: text.clone() },
        Party::Handler,
        None,
    ) {
        return Some(p.a);
    }
    p.a.reply_text = Some(text);
    rate(rng, &mut p, reply_at, true);
    Some(p.a)
}

/// The resident rates (or not); an unsatisfied first rating reopens it.
fn rate(rng: &mut ChaCha8Rng, p: &mut Play<'_>, replied_at: i64, first: bool) {
    if rng.random_range(0..100) < 22 {
        let at = p.a.clocks.act_by.unwrap_or(replied_at) + HOUR / 6;
        p.step(at, Command::CloseNotRated, Party::System, None);
        return;
    }
    let roll = rng.random_range(0..100);
    let (resolved, satisfaction) = match (first, roll) {
        (true, 0..=76) | (false, 0..=59) => (true, Satisfaction::Satisfied),
        (true, 77..=90) | (false, 60..=84) => (true, Satisfaction::BasicallySatisfied),
        _ => (false, Satisfaction::Unsatisfied),
    };
    let at = replied_at + rng.random_range(HOUR..72 * HOUR);
    let cmd = Command::Rate {
        resolved,
        satisfaction,
        comment: None,
    };
    if !p.step(at, cmd, Party::Requester, None) {
        return;
    }
    if p.a.state.status == Status::Closed {
        p.a.rating = Some((resolved, satisfaction));
        return;
    }
    // Reopened (重办): signed and replied again, then rated once more.
    let sign_at = at + rng.random_range(HOUR / 4..2 * HOUR);
    if !p.step(sign_at, Command::Sign, Party::Handler, None) {
        return;
    }
    let reply_at = sign_at + rng.random_range(4 * HOUR..72 * HOUR);
    let text = "已重新处理并回访诉求人。".to_owned();
    if !p.step(
        reply_at,
        Command::Reply { text: text.clone() },
        Party::Handler,
        None,
    ) {
        return;
    }
    p.a.reply_text = Some(text);
    rate(rng, p, reply_at, false);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::appeals::{AppealFacts, measure};
    use crate::demo::{DemoConfig, generate as city};

    #[test]
    fn a_year_of_cases_is_seasonal_realistic_and_reachable() {
        let c = city(
            &DemoConfig {
                seed: 7,
                scale: 0.2,
            },
            &mut |_, _, _| {},
        )
        .unwrap();
        let now: Timestamp = "2026-11-21T04:00:00Z".parse().unwrap();
        let tax = Taxonomy::builtin();
        let cal = HolidayCalendar::builtin();
        let cases = generate(
            &c.units,
            &c.departments,
            &tax,
            &cal,
            now,
            20_000,
            1,
            &mut |_, _| {},
        );
        assert!((15_000..25_000).contains(&cases.len()), "{}", cases.len());
        // Every case is in a state the workflow can reach.
        assert!(cases.iter().all(|a| a.state.invariant_holds()));
        let month = |a: &HistoricAppeal| {
            local_date(Timestamp::from_microsecond(a.clocks.received_at).unwrap()).month()
        };
        let count =
            |pred: &dyn Fn(&HistoricAppeal) -> bool| cases.iter().filter(|a| pred(a)).count();
        let heat_winter = count(&|a| a.group == "heating" && matches!(month(a), 12 | 1));
        let heat_summer = count(&|a| a.group == "heating" && matches!(month(a), 6 | 7));
        assert!(
            heat_winter > 10 * heat_summer.max(1),
            "{heat_winter} vs {heat_summer}"
        );
        let noise_summer = count(&|a| a.category.contains("noise") && matches!(month(a), 6 | 7));
        let noise_winter = count(&|a| a.category.contains("noise") && matches!(month(a), 12 | 1));
        assert!(
            noise_summer > 2 * noise_winter,
            "{noise_summer} vs {noise_winter}"
        );
        // Mostly resolved, with some of everything else.
        let closed = count(&|a| a.state.status == Status::Closed);
        assert!(closed * 100 > cases.len() * 85, "{closed} closed");
        assert!(count(&|a| a.state.escalations > 0) > 100);
        assert!(count(&|a| a.state.reopened) > 100);
        assert!(count(&|a| a.state.is_open()) > 50);
        planted_events_are_there_to_find(&cases, now);
        // The measures land where a well-run city's do, not at 0 or 100 %.
        let facts: Vec<AppealFacts> = cases
            .iter()
            .map(|a| AppealFacts {
                received_at: a.clocks.received_at,
                sign_due: a.clocks.sign_due,
                signed_at: a.clocks.signed_at,
                reply_due: a.clocks.reply_due,
                replied_at: a.clocks.replied_at,
                rating: a.rating,
                settled: matches!(
                    a.state.outcome,
                    Some(crate::appeals::Outcome::Rated { .. } | crate::appeals::Outcome::NotRated)
                ),
                settled_locally: matches!(a.handler_level.as_deref(), Some("grid" | "community")),
                escalations: a.state.escalations,
                returns: a.state.returns.len() as u32,
            })
            .collect();
        let m = measure(&facts, now.as_microsecond());
        for (name, r) in [
            ("response", m.response_rate),
            ("satisfaction", m.satisfaction_rate),
            ("on_time", m.on_time_rate),
            ("local", m.local_resolution_rate),
        ] {
            let v = r.value.unwrap();
            assert!((0.1..0.99).contains(&v), "{name} {v}");
        }
        // Deterministic.
        let again = generate(
            &c.units,
            &c.departments,
            &tax,
            &cal,
            now,
            20_000,
            1,
            &mut |_, _| {},
        );
        assert_eq!(again.len(), cases.len());
        assert_eq!(again[100], cases[100]);
    }

    /// The planted heating rise and repeated manhole cover, as early warning will see them.
    fn planted_events_are_there_to_find(cases: &[HistoricAppeal], now: Timestamp) {
        use crate::warning::{WarnRules, Watched, object_key, repeats};
        let now = now.as_microsecond();
        let recent_heat = cases
            .iter()
            .filter(|a| a.category == "heating.no_heat")
            .filter(|a| a.clocks.received_at >= now - PLANTED_RISE_DAYS * 24 * HOUR)
            .count();
        assert!(
            recent_heat >= 45,
            "{recent_heat} no-heat reports in the last days"
        );
        let watched: Vec<Watched> = cases
            .iter()
            .enumerate()
            .map(|(i, a)| Watched {
                id: i as i64,
                tracking_code: i.to_string(),
                category: a.category.clone(),
                category_group: a.group.clone(),
                grid: a.chain.first().cloned(),
                object: object_key(None, Some(a.point)),
                received_at: a.clocks.received_at,
                requesters: 1,
                open: a.state.is_open(),
                handled_at: a.clocks.closed_at.filter(|_| {
                    matches!(
                        a.state.outcome,
                        Some(Outcome::Rated { .. } | Outcome::NotRated | Outcome::ResolvedOnSite)
                    )
                }),
                reopened: a.state.reopened,
                handler: a.state.handler.clone().or(a.state.first_handler.clone()),
            })
            .collect();
        let found = repeats(&watched, now, &WarnRules::default());
        assert!(
            found
                .iter()
                .any(|f| f.subject.ends_with("|urban.manhole_covers") && f.count >= 2),
            "{found:?}"
        );
    }
}
