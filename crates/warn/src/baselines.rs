//! Per-series early-warning detectors for daily counts.
//!
//! A *series* here is one unit × category: the number of appeals on each consecutive day, oldest
//! first. The scan statistic looks for clusters across space; these detectors look at one series
//! at a time and ask "is today unusually high compared with the recent past?". They are the
//! methods public-health syndromic surveillance settled on because they need no long history and
//! no model fitting:
//!
//! - **EARS C1, C2, C3** (CDC Early Aberration Reporting System, Hutwagner et al. 2003): a
//!   z-score of today against the previous seven days, with or without a guard band, and a
//!   three-day accumulation of the guarded one;
//! - **Poisson CUSUM**: the log-likelihood-ratio cumulative sum for "the daily rate has gone from
//!   λ0 to λ1", which accumulates small sustained rises that a single-day z-score misses
//!   (Fricker 2008 compares it with EARS);
//! - **EWMA**: an exponentially weighted moving average with control limits, a middle ground
//!   between the memory-less EARS statistics and the CUSUM.
//!
//! Every method turns a series into one [`Score`] per day ([`evaluate`]), or `None` on days
//! without enough history. A score carries the statistic, the threshold it was compared with and
//! the verdict, so callers can show *how* unusual a day was, not just whether it alarmed.
//!
//! Admins do not think in z-scores; they think in "how many false alerts a year can we stand".
//! [`calibrate_threshold`] turns that target into a threshold on a background (history) series,
//! and [`Method::with_threshold`] stores it in the method configuration.
//!
//! Everything here is total: empty or short series, zero-variance baselines and nonsensical
//! parameters never panic and never produce NaN or infinity (see [`Method::validate`] for how bad
//! parameters are reported, and [`evaluate`] for how they are tolerated).

use serde::{Deserialize, Serialize};

/// Days in the EARS baseline. Fixed by the method's definition: C1/C2/C3 are *defined* on seven
/// days, which is what makes them usable for a unit that started reporting last week.
pub const EARS_BASELINE_DAYS: usize = 7;

/// Days between the C2/C3 baseline and the day being judged. The gap keeps the first days of an
/// outbreak out of the baseline, so a rise that builds over two or three days is not averaged
/// away by its own beginning.
pub const C2_GUARD_DAYS: usize = 2;

/// Days summed by C3 (today and the two before).
pub const C3_SPAN_DAYS: usize = 3;

/// Default floor on the baseline standard deviation. A week of zeros has a standard deviation of
/// exactly zero, which would make the z-score infinite (or 0/0) on the first appeal; the floor
/// keeps the statistic finite and makes the smallest alarming count explicit.
pub const DEFAULT_MIN_SD: f64 = 0.2;

/// Default alarm threshold for C1 and C2 (the EARS standard: three standard deviations).
pub const DEFAULT_EARS_THRESHOLD: f64 = 3.0;

/// Default alarm threshold for C3 (the EARS standard).
pub const DEFAULT_C3_THRESHOLD: f64 = 2.0;

/// Default decision interval `h` of the Poisson CUSUM, in log-likelihood-ratio units. With the
/// default doubling alternative a sustained doubling is usually flagged within two or three days,
/// while on simulated in-control Poisson series (means 0.2 to 50, a century of days each) it gave
/// about 0.1 to 2 false alerts a year, far fewer than the EARS defaults (C1/C2 about 6 to 20,
/// C3 about 25 to 60: EARS trades specificity for needing only a week of history). Calibrate
/// with [`calibrate_threshold`] for a specific false-alert rate.
pub const DEFAULT_CUSUM_THRESHOLD: f64 = 4.0;

/// Default EWMA control-limit width `L`, in standard deviations of the EWMA statistic.
pub const DEFAULT_EWMA_THRESHOLD: f64 = 3.0;

/// Default length of the CUSUM/EWMA baseline window: four weeks, so every weekday is represented
/// equally and a single odd week does not dominate the estimate.
pub const DEFAULT_BASELINE_DAYS: usize = 28;

/// Default guard band of the CUSUM/EWMA baseline (same reasoning as [`C2_GUARD_DAYS`]).
pub const DEFAULT_GUARD_DAYS: usize = 2;

/// Default floor on the CUSUM in-control mean λ0. A unit with no appeals for four weeks has an
/// estimated rate of zero, and `ln(λ1/λ0)` is undefined at zero; the floor says "we cannot tell
/// a rate below this from nothing".
pub const DEFAULT_MIN_MEAN: f64 = 0.1;

/// Default CUSUM alternative: the rate the CUSUM is tuned to detect is twice the in-control rate.
pub const DEFAULT_CUSUM_RATIO: f64 = 2.0;

/// Default EWMA smoothing weight λ: weights today at 30 %, a common choice for detecting
/// moderate shifts within a few days.
pub const DEFAULT_EWMA_LAMBDA: f64 = 0.3;

/// Days per year used when converting alarm counts to "false alerts per year".
pub const DAYS_PER_YEAR: f64 = 365.0;

/// Smallest accepted positive scale parameter (standard-deviation floor, mean floor). Keeps the
/// statistics finite even for counts near `u32::MAX`: a difference of at most ~4.3e9 divided by
/// 1e-6 is ~4.3e15, far from overflow.
const MIN_SCALE: f64 = 1e-6;

/// Largest accepted scale-type parameter (floors, ratio, shift). Nothing sensible needs more.
const MAX_SCALE: f64 = 1e6;

/// Smallest accepted EWMA λ. Below this the first day's control limit is so narrow that the
/// statistic can overflow; and such a slow EWMA is a baseline, not a detector.
const MIN_EWMA_LAMBDA: f64 = 1e-3;

/// Largest accepted baseline or guard window (ten years of days). Protects the index arithmetic
/// from absurd configurations; nothing is allocated from it.
const MAX_WINDOW_DAYS: usize = 3660;

/// Cap on bisection steps when calibrating a resetting CUSUM. Each step halves the interval, so
/// this is far more than the ~60 needed to reach adjacent floating-point values for thresholds
/// of ordinary size.
const MAX_BISECTION_STEPS: usize = 200;

/// Parameters of the EARS methods (C1, C2, C3).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EarsParams {
    /// Floor on the baseline sample standard deviation, `sd = max(sd, min_sd)`. Must be in
    /// `[1e-6, 1e6]`. Raising it makes sparse series (mostly zeros) less jumpy: with the default
    /// 0.2 a single appeal after a week of zeros scores 5 and alarms.
    pub min_sd: f64,
    /// Alarm threshold on the statistic; `None` means the EARS standard
    /// ([`DEFAULT_EARS_THRESHOLD`] for C1/C2, [`DEFAULT_C3_THRESHOLD`] for C3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
}

impl Default for EarsParams {
    fn default() -> Self {
        Self {
            min_sd: DEFAULT_MIN_SD,
            threshold: None,
        }
    }
}

/// Which out-of-control rate λ1 the Poisson CUSUM is tuned to detect.
///
/// The CUSUM is optimal for detecting exactly the shift it is tuned for, and still good for
/// nearby ones; the choice says what size of rise matters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CusumShift {
    /// `λ1 = k·λ0`, with `k` in `(1, 1e6]`. A relative rise: "twice the usual".
    Ratio(f64),
    /// `λ1 = λ0 + shift·sd`, with `shift` in `(0, 1e6]` and `sd` the baseline sample standard
    /// deviation floored at `min_sd`. A rise measured against the series' own noise, which suits
    /// overdispersed series better than a ratio.
    SdUnits(f64),
}

impl Default for CusumShift {
    fn default() -> Self {
        Self::Ratio(DEFAULT_CUSUM_RATIO)
    }
}

/// Parameters of the Poisson CUSUM.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CusumParams {
    /// Days in the moving baseline that estimates λ0 (`[2, 3660]`).
    pub baseline_days: usize,
    /// Days between the baseline and the day judged (`[0, 3660]`).
    pub guard_days: usize,
    /// Floor on λ0 (`[1e-6, 1e6]`); see [`DEFAULT_MIN_MEAN`].
    pub min_mean: f64,
    /// The out-of-control rate to detect.
    pub shift: CusumShift,
    /// Floor on the baseline standard deviation, used by [`CusumShift::SdUnits`]
    /// (`[1e-6, 1e6]`).
    pub min_sd: f64,
    /// Restart the sum at zero after an alarm. On by default: without a reset one outbreak keeps
    /// the sum above `h` for days and every one of them alarms, which reads as many alerts for
    /// one event. Note that with the reset the path depends on the threshold.
    pub reset_after_alarm: bool,
    /// Decision interval `h`; `None` means [`DEFAULT_CUSUM_THRESHOLD`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
}

impl Default for CusumParams {
    fn default() -> Self {
        Self {
            baseline_days: DEFAULT_BASELINE_DAYS,
            guard_days: DEFAULT_GUARD_DAYS,
            min_mean: DEFAULT_MIN_MEAN,
            shift: CusumShift::default(),
            min_sd: DEFAULT_MIN_SD,
            reset_after_alarm: true,
            threshold: None,
        }
    }
}

/// Parameters of the EWMA chart.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EwmaParams {
    /// Smoothing weight λ of today's count (`[0.001, 1]`; 1 makes the EWMA a plain z-score).
    pub lambda: f64,
    /// Days in the moving baseline that estimates the mean and standard deviation (`[2, 3660]`).
    pub baseline_days: usize,
    /// Days between the baseline and the day judged (`[0, 3660]`).
    pub guard_days: usize,
    /// Floor on the baseline standard deviation (`[1e-6, 1e6]`).
    pub min_sd: f64,
    /// Use the asymptotic control limit `L·σ·sqrt(λ/(2−λ))` from the first day instead of the
    /// exact, time-varying one `L·σ·sqrt(λ/(2−λ)·(1−(1−λ)^{2t}))`. The exact limit is narrower on
    /// the first days (the EWMA has averaged fewer days, so it is noisier around the start
    /// value but less far from it), which gives a faster response to an outbreak already under
    /// way when monitoring starts; the asymptotic one is more conservative.
    pub asymptotic_limits: bool,
    /// Control-limit width `L`; `None` means [`DEFAULT_EWMA_THRESHOLD`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
}

impl Default for EwmaParams {
    fn default() -> Self {
        Self {
            lambda: DEFAULT_EWMA_LAMBDA,
            baseline_days: DEFAULT_BASELINE_DAYS,
            guard_days: DEFAULT_GUARD_DAYS,
            min_sd: DEFAULT_MIN_SD,
            asymptotic_limits: false,
            threshold: None,
        }
    }
}

/// A detection method with its parameters.
///
/// Serialized internally tagged with snake_case names, parameters alongside the tag, every
/// parameter optional: `{"method": "c2"}`, `{"method": "poisson_cusum", "shift": {"ratio": 3.0},
/// "threshold": 5.0}`. Unknown parameter names are rejected so a typo in an admin's configuration
/// is an error rather than a silently ignored setting.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Method {
    /// EARS C1: `(x_t − mean)/sd` over days `t−7..=t−1`. Reacts on the first day of a rise but
    /// the baseline is contaminated by the rise from the second day on.
    C1(EarsParams),
    /// EARS C2: the same statistic over days `t−9..=t−3` (two-day guard band).
    C2(EarsParams),
    /// EARS C3: `Σ_{j=t−2..=t} max(0, C2_j − 1)`; sums three days of C2 excess, so a rise spread
    /// over several days adds up even if no single day stands out.
    C3(EarsParams),
    /// Poisson CUSUM: `S_t = max(0, S_{t−1} + x_t·ln(λ1/λ0) − (λ1 − λ0))`, alarm when `S_t ≥ h`.
    PoissonCusum(CusumParams),
    /// EWMA: `z_t = λ·x_t + (1−λ)·z_{t−1}`, started at the first baseline mean; the statistic is
    /// `(z_t − μ_t)/(σ_t·sqrt(λ/(2−λ)·(1−(1−λ)^{2t})))`, alarm when it reaches `L`.
    Ewma(EwmaParams),
}

/// One day's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// The method's statistic (z-score, C3 sum, CUSUM sum or standardized EWMA). Always finite.
    pub statistic: f64,
    /// The threshold it was compared with. Always finite.
    pub threshold: f64,
    /// `statistic >= threshold`.
    pub alarm: bool,
}

/// A parameter outside its accepted range, reported by [`Method::validate`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{method}: `{field}` must be {expected}, got {got}")]
pub struct ParamError {
    /// The method's serialized name (`"c1"`, `"poisson_cusum"`, …).
    pub method: &'static str,
    /// The parameter's serialized name.
    pub field: &'static str,
    /// The accepted range, in words.
    pub expected: &'static str,
    /// The rejected value, as written.
    pub got: String,
}

fn scale_ok(value: f64) -> bool {
    (MIN_SCALE..=MAX_SCALE).contains(&value)
}

fn ratio_ok(value: f64) -> bool {
    value > 1.0 && value <= MAX_SCALE
}

fn shift_ok(value: f64) -> bool {
    value > 0.0 && value <= MAX_SCALE
}

fn lambda_ok(value: f64) -> bool {
    (MIN_EWMA_LAMBDA..=1.0).contains(&value)
}

fn baseline_ok(days: usize) -> bool {
    (2..=MAX_WINDOW_DAYS).contains(&days)
}

fn guard_ok(days: usize) -> bool {
    days <= MAX_WINDOW_DAYS
}

fn threshold_ok(threshold: Option<f64>) -> bool {
    threshold.is_none_or(f64::is_finite)
}

const SCALE_RANGE: &str = "a number in [1e-6, 1e6]";
const BASELINE_RANGE: &str = "a whole number of days in [2, 3660]";
const GUARD_RANGE: &str = "a whole number of days in [0, 3660]";
const THRESHOLD_RANGE: &str = "a finite number";

impl Method {
    /// C1 with default parameters.
    pub fn c1() -> Self {
        Self::C1(EarsParams::default())
    }

    /// C2 with default parameters.
    pub fn c2() -> Self {
        Self::C2(EarsParams::default())
    }

    /// C3 with default parameters.
    pub fn c3() -> Self {
        Self::C3(EarsParams::default())
    }

    /// Poisson CUSUM with default parameters.
    pub fn poisson_cusum() -> Self {
        Self::PoissonCusum(CusumParams::default())
    }

    /// EWMA with default parameters.
    pub fn ewma() -> Self {
        Self::Ewma(EwmaParams::default())
    }

    /// The serialized name of the method (`"c1"`, `"c2"`, `"c3"`, `"poisson_cusum"`, `"ewma"`),
    /// for logs and error messages.
    pub fn name(&self) -> &'static str {
        match self {
            Self::C1(_) => "c1",
            Self::C2(_) => "c2",
            Self::C3(_) => "c3",
            Self::PoissonCusum(_) => "poisson_cusum",
            Self::Ewma(_) => "ewma",
        }
    }

    /// The threshold an evaluation will use: the configured override if it is finite, else the
    /// method's [`default_threshold`].
    pub fn threshold(&self) -> f64 {
        self.threshold_override()
            .filter(|t| t.is_finite())
            .unwrap_or_else(|| default_threshold(self))
    }

    /// The same method with its threshold overridden, e.g. by the result of
    /// [`calibrate_threshold`]. A non-finite value is stored (so [`Method::validate`] can report
    /// it) but ignored by evaluation.
    #[must_use]
    pub fn with_threshold(mut self, threshold: f64) -> Self {
        *self.threshold_slot() = Some(threshold);
        self
    }

    /// The same method with the threshold override removed (back to the default).
    #[must_use]
    pub fn with_default_threshold(mut self) -> Self {
        *self.threshold_slot() = None;
        self
    }

    /// Number of days of history needed before the first day can be scored: the index of the
    /// first `Some` in [`evaluate`]'s output. Lets callers say "this series needs N more days"
    /// instead of showing silence.
    pub fn min_history(&self) -> usize {
        match self.sanitized() {
            Self::C1(_) => EARS_BASELINE_DAYS,
            Self::C2(_) => EARS_BASELINE_DAYS + C2_GUARD_DAYS,
            Self::C3(_) => EARS_BASELINE_DAYS + C2_GUARD_DAYS + C3_SPAN_DAYS - 1,
            Self::PoissonCusum(p) => p.baseline_days + p.guard_days,
            Self::Ewma(p) => p.baseline_days + p.guard_days,
        }
    }

    /// Check every parameter against its accepted range.
    ///
    /// Call this where a configuration enters the system (an admin form, a config file) to
    /// reject mistakes loudly. [`evaluate`] itself never fails: it replaces each out-of-range
    /// parameter with its default, because an alarm pipeline that stops on a bad setting is
    /// worse than one that runs with the default.
    ///
    /// # Errors
    ///
    /// The first parameter found out of range.
    pub fn validate(&self) -> Result<(), ParamError> {
        let method = self.name();
        let err = |field: &'static str, expected: &'static str, got: String| ParamError {
            method,
            field,
            expected,
            got,
        };
        let check_threshold = |threshold: Option<f64>| {
            if threshold_ok(threshold) {
                Ok(())
            } else {
                Err(err(
                    "threshold",
                    THRESHOLD_RANGE,
                    format!("{}", threshold.unwrap_or(f64::NAN)),
                ))
            }
        };
        match self {
            Self::C1(p) | Self::C2(p) | Self::C3(p) => {
                if !scale_ok(p.min_sd) {
                    return Err(err("min_sd", SCALE_RANGE, p.min_sd.to_string()));
                }
                check_threshold(p.threshold)
            }
            Self::PoissonCusum(p) => {
                if !baseline_ok(p.baseline_days) {
                    return Err(err(
                        "baseline_days",
                        BASELINE_RANGE,
                        p.baseline_days.to_string(),
                    ));
                }
                if !guard_ok(p.guard_days) {
                    return Err(err("guard_days", GUARD_RANGE, p.guard_days.to_string()));
                }
                if !scale_ok(p.min_mean) {
                    return Err(err("min_mean", SCALE_RANGE, p.min_mean.to_string()));
                }
                if !scale_ok(p.min_sd) {
                    return Err(err("min_sd", SCALE_RANGE, p.min_sd.to_string()));
                }
                match p.shift {
                    CusumShift::Ratio(k) if !ratio_ok(k) => {
                        return Err(err("shift.ratio", "a number in (1, 1e6]", k.to_string()));
                    }
                    CusumShift::SdUnits(s) if !shift_ok(s) => {
                        return Err(err("shift.sd_units", "a number in (0, 1e6]", s.to_string()));
                    }
                    _ => {}
                }
                check_threshold(p.threshold)
            }
            Self::Ewma(p) => {
                if !lambda_ok(p.lambda) {
                    return Err(err(
                        "lambda",
                        "a number in [0.001, 1]",
                        p.lambda.to_string(),
                    ));
                }
                if !baseline_ok(p.baseline_days) {
                    return Err(err(
                        "baseline_days",
                        BASELINE_RANGE,
                        p.baseline_days.to_string(),
                    ));
                }
                if !guard_ok(p.guard_days) {
                    return Err(err("guard_days", GUARD_RANGE, p.guard_days.to_string()));
                }
                if !scale_ok(p.min_sd) {
                    return Err(err("min_sd", SCALE_RANGE, p.min_sd.to_string()));
                }
                check_threshold(p.threshold)
            }
        }
    }

    fn threshold_override(&self) -> Option<f64> {
        match self {
            Self::C1(p) | Self::C2(p) | Self::C3(p) => p.threshold,
            Self::PoissonCusum(p) => p.threshold,
            Self::Ewma(p) => p.threshold,
        }
    }

    fn threshold_slot(&mut self) -> &mut Option<f64> {
        match self {
            Self::C1(p) | Self::C2(p) | Self::C3(p) => &mut p.threshold,
            Self::PoissonCusum(p) => &mut p.threshold,
            Self::Ewma(p) => &mut p.threshold,
        }
    }

    /// The method with every out-of-range parameter replaced by its default (the same ranges
    /// [`Method::validate`] checks), so the arithmetic below can rely on them.
    fn sanitized(&self) -> Self {
        fn or_default<T>(value: T, ok: bool, default: T) -> T {
            if ok { value } else { default }
        }
        let ears = |p: &EarsParams| EarsParams {
            min_sd: or_default(p.min_sd, scale_ok(p.min_sd), DEFAULT_MIN_SD),
            threshold: p.threshold.filter(|t| t.is_finite()),
        };
        match self {
            Self::C1(p) => Self::C1(ears(p)),
            Self::C2(p) => Self::C2(ears(p)),
            Self::C3(p) => Self::C3(ears(p)),
            Self::PoissonCusum(p) => Self::PoissonCusum(CusumParams {
                baseline_days: or_default(
                    p.baseline_days,
                    baseline_ok(p.baseline_days),
                    DEFAULT_BASELINE_DAYS,
                ),
                guard_days: or_default(p.guard_days, guard_ok(p.guard_days), DEFAULT_GUARD_DAYS),
                min_mean: or_default(p.min_mean, scale_ok(p.min_mean), DEFAULT_MIN_MEAN),
                shift: match p.shift {
                    CusumShift::Ratio(k) if ratio_ok(k) => CusumShift::Ratio(k),
                    CusumShift::SdUnits(s) if shift_ok(s) => CusumShift::SdUnits(s),
                    _ => CusumShift::default(),
                },
                min_sd: or_default(p.min_sd, scale_ok(p.min_sd), DEFAULT_MIN_SD),
                reset_after_alarm: p.reset_after_alarm,
                threshold: p.threshold.filter(|t| t.is_finite()),
            }),
            Self::Ewma(p) => Self::Ewma(EwmaParams {
                lambda: or_default(p.lambda, lambda_ok(p.lambda), DEFAULT_EWMA_LAMBDA),
                baseline_days: or_default(
                    p.baseline_days,
                    baseline_ok(p.baseline_days),
                    DEFAULT_BASELINE_DAYS,
                ),
                guard_days: or_default(p.guard_days, guard_ok(p.guard_days), DEFAULT_GUARD_DAYS),
                min_sd: or_default(p.min_sd, scale_ok(p.min_sd), DEFAULT_MIN_SD),
                asymptotic_limits: p.asymptotic_limits,
                threshold: p.threshold.filter(|t| t.is_finite()),
            }),
        }
    }
}

/// The method's standard threshold, ignoring any override: 3 for C1/C2 and 2 for C3 (EARS),
/// [`DEFAULT_CUSUM_THRESHOLD`] for the CUSUM and [`DEFAULT_EWMA_THRESHOLD`] for the EWMA.
pub fn default_threshold(method: &Method) -> f64 {
    match method {
        Method::C1(_) | Method::C2(_) => DEFAULT_EARS_THRESHOLD,
        Method::C3(_) => DEFAULT_C3_THRESHOLD,
        Method::PoissonCusum(_) => DEFAULT_CUSUM_THRESHOLD,
        Method::Ewma(_) => DEFAULT_EWMA_THRESHOLD,
    }
}

/// Score every day of `series` (daily counts, oldest first).
///
/// The output has one entry per day; it is `None` for the first [`Method::min_history`] days,
/// where there is not enough history to form a baseline, and `Some` from then on. A day alarms
/// when `statistic >= threshold` (for every method, including the EWMA, so that a calibrated
/// threshold means the same thing everywhere).
///
/// Out-of-range parameters are replaced by their defaults rather than rejected; use
/// [`Method::validate`] to catch them earlier.
pub fn evaluate(method: &Method, series: &[u32]) -> Vec<Option<Score>> {
    let method = method.sanitized();
    let threshold = method.threshold();
    statistics(&method, series, threshold)
        .into_iter()
        .map(|statistic| {
            statistic.map(|statistic| Score {
                statistic,
                threshold,
                alarm: statistic >= threshold,
            })
        })
        .collect()
}

/// The score of the last day of `series`, or `None` if the series is too short (or empty).
///
/// This is the question a daily job asks ("does today alarm?"). The EARS methods only look at
/// the last few days, so only those are evaluated; the CUSUM and EWMA carry state from the
/// start of the series, so the whole series is.
pub fn score_last_day(method: &Method, series: &[u32]) -> Option<Score> {
    let tail_len = match method {
        Method::C1(_) | Method::C2(_) | Method::C3(_) => method.min_history().saturating_add(1),
        Method::PoissonCusum(_) | Method::Ewma(_) => series.len(),
    };
    let tail = series.get(series.len().saturating_sub(tail_len)..)?;
    evaluate(method, tail).pop().flatten()
}

/// Whether the last day of `series` alarms; `false` when it cannot be scored.
pub fn alarm_on_last_day(method: &Method, series: &[u32]) -> bool {
    score_last_day(method, series).is_some_and(|score| score.alarm)
}

/// Number of alarm days when `method` runs over `series`.
pub fn count_alarms(method: &Method, series: &[u32]) -> usize {
    evaluate(method, series)
        .iter()
        .flatten()
        .filter(|score| score.alarm)
        .count()
}

/// Alarms per year when `method` runs over `series`: alarm days × 365 / scored days. `None` when
/// no day can be scored. Shows an admin what the current threshold would have cost on history;
/// on a series without outbreaks every alarm is a false one.
pub fn alarm_rate_per_year(method: &Method, series: &[u32]) -> Option<f64> {
    let scores = evaluate(method, series);
    let scored = scores.iter().flatten().count();
    if scored == 0 {
        return None;
    }
    let alarms = scores.iter().flatten().filter(|score| score.alarm).count();
    Some(alarms as f64 * DAYS_PER_YEAR / scored as f64)
}

/// The smallest threshold at which `method`, run over `background`, alarms on no more than
/// `false_alerts_per_year` days per 365 scored days.
///
/// `background` should be a stretch of history believed free of outbreaks, so every alarm on it
/// counts as false. With `n` scored days the allowance is `floor(target·n/365)` alarm days, and
/// the answer is an empirical quantile of the day statistics: just above (the next
/// floating-point value after) the statistic ranked one past the allowance, since a day alarms
/// when its statistic *reaches* the threshold. Ties therefore never push the count over the
/// allowance; they can only leave it below.
///
/// A resetting CUSUM is the exception: where it restarts depends on the threshold, so its
/// statistics cannot simply be ranked. Its alarm count is still non-increasing in the threshold
/// (between two alarms at a higher threshold the sum at a lower one must have alarmed at least
/// once, as it started no lower), so the threshold is found by bisection, to within a few
/// floating-point steps.
///
/// Edge cases, all total:
/// - no scored day (background shorter than [`Method::min_history`]): nothing to learn from, the
///   method's current [`Method::threshold`] is returned;
/// - a target of zero, negative or NaN allows no alarm (threshold above the largest statistic);
/// - a target allowing every day to alarm returns the smallest statistic;
/// - on a flat background every statistic is equal (often 0) and the result is just above it:
///   any rise at all would alarm. Callers that calibrate per series may want to keep
///   `max(calibrated, default_threshold)` for series with little history.
pub fn calibrate_threshold(method: &Method, background: &[u32], false_alerts_per_year: f64) -> f64 {
    let method = method.sanitized();
    // Threshold-independent statistics. For the CUSUM that is the path without resets, which
    // coincides with the resetting path whenever the threshold is above all of it.
    let free_path = match method {
        Method::PoissonCusum(p) => {
            cusum_path(&cusum_increments(background, &p), f64::INFINITY, false)
        }
        _ => statistics(&method, background, method.threshold()),
    };
    let mut stats: Vec<f64> = free_path.into_iter().flatten().collect();
    let scored = stats.len();
    if scored == 0 {
        return method.threshold();
    }
    stats.sort_by(|a, b| b.total_cmp(a));
    let allowed = allowed_alarms(false_alerts_per_year, scored);
    let Some(&first_excluded) = stats.get(allowed) else {
        // Every day may alarm: the smallest statistic is the smallest meaningful threshold.
        return stats.last().copied().unwrap_or_else(|| method.threshold());
    };
    let candidate = first_excluded.next_up();
    match method {
        Method::PoissonCusum(p) if p.reset_after_alarm => {
            bisect_resetting_cusum(&cusum_increments(background, &p), allowed, candidate)
        }
        _ => candidate,
    }
}

/// One threshold for many series at once, such that `method` run over every series alarms on
/// no more than `false_alerts_per_year` series-days per 365 background days in total.
///
/// This is how a city-wide target ("12 false alerts a year from this method, across all units
/// and categories") becomes a threshold: the allowance is `floor(target·days/365)` alarms over
/// *all* series together, not per series. Only the first `background_days` days of each series
/// count as background (the caller keeps the recent days, where a rise may be under way, out).
/// Statistics are prospective (a day's statistic only sees earlier days), so scoring the
/// truncated series gives exactly the background days' statistics.
///
/// As in [`calibrate_threshold`]: ties never push the count over the allowance, a series too
/// short to score contributes nothing, and with nothing scored at all the method's current
/// threshold is returned. The resetting CUSUM is found by bisection on the total alarm count.
pub fn calibrate_pooled(
    method: &Method,
    series: &[Vec<u32>],
    background_days: usize,
    false_alerts_per_year: f64,
) -> f64 {
    let method = method.sanitized();
    let backgrounds: Vec<&[u32]> = series
        .iter()
        .map(|s| &s[..background_days.min(s.len())])
        .collect();
    let allowed = alerts_allowed(false_alerts_per_year, background_days);
    let increments: Vec<Vec<Option<f64>>> = match method {
        Method::PoissonCusum(p) => backgrounds
            .iter()
            .map(|s| cusum_increments(s, &p))
            .collect(),
        _ => Vec::new(),
    };
    let mut stats: Vec<f64> = match method {
        Method::PoissonCusum(_) => increments
            .iter()
            .flat_map(|inc| cusum_path(inc, f64::INFINITY, false))
            .flatten()
            .collect(),
        _ => backgrounds
            .iter()
            .flat_map(|s| statistics(&method, s, method.threshold()))
            .flatten()
            .collect(),
    };
    if stats.is_empty() {
        return method.threshold();
    }
    stats.sort_by(|a, b| b.total_cmp(a));
    let Some(&first_excluded) = stats.get(allowed) else {
        return stats.last().copied().unwrap_or_else(|| method.threshold());
    };
    let candidate = first_excluded.next_up();
    match method {
        Method::PoissonCusum(p) if p.reset_after_alarm => {
            let alarms = |h: f64| {
                increments
                    .iter()
                    .map(|inc| {
                        cusum_path(inc, h, true)
                            .into_iter()
                            .flatten()
                            .filter(|&s| s >= h)
                            .count()
                    })
                    .sum::<usize>()
            };
            smallest_within(alarms, allowed, candidate)
        }
        _ => candidate,
    }
}

/// Alerts allowed over `days` days at `per_year` alerts a year, counted all together (not per
/// series). The epsilon keeps exact ratios from rounding down to one fewer; a target that is
/// not a positive finite number allows none.
pub fn alerts_allowed(per_year: f64, days: usize) -> usize {
    let allowed = per_year * days as f64 / DAYS_PER_YEAR + 1e-9;
    if allowed.is_finite() && allowed > 0.0 {
        allowed.floor() as usize
    } else {
        0
    }
}

/// Alarm days allowed on `scored` days at `per_year` alarms per 365 days. The small epsilon
/// keeps exact ratios (4 per year on 365 days) from rounding down to one fewer.
fn allowed_alarms(per_year: f64, scored: usize) -> usize {
    if per_year.is_nan() || per_year <= 0.0 {
        return 0;
    }
    let allowed = per_year * scored as f64 / DAYS_PER_YEAR + 1e-9;
    if allowed >= scored as f64 {
        scored
    } else {
        // In [0, scored): the cast cannot saturate.
        allowed.floor() as usize
    }
}

/// Smallest `h` (to floating-point resolution) at which the resetting CUSUM alarms at most
/// `allowed` times. `valid` is known to be acceptable: a resetting path never exceeds the
/// non-resetting one, so it alarms no more often at the same threshold. At `h = 0` every scored
/// day alarms (the sum is never negative), which is more than `allowed` because the caller
/// handled the case where every day may alarm.
fn bisect_resetting_cusum(increments: &[Option<f64>], allowed: usize, valid: f64) -> f64 {
    let alarms = |h: f64| {
        cusum_path(increments, h, true)
            .into_iter()
            .flatten()
            .filter(|&s| s >= h)
            .count()
    };
    smallest_within(alarms, allowed, valid)
}

/// The smallest threshold in `(0, valid]` at which `alarms` (non-increasing in the threshold)
/// is within `allowed`, by bisection to floating-point resolution. `valid` must be within it.
fn smallest_within(alarms: impl Fn(f64) -> usize, allowed: usize, valid: f64) -> f64 {
    let (mut lo, mut hi) = (0.0_f64, valid);
    for _ in 0..MAX_BISECTION_STEPS {
        let mid = lo + (hi - lo) / 2.0;
        if mid <= lo || mid >= hi {
            break;
        }
        if alarms(mid) <= allowed {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

/// The day statistics of an already sanitized method. `threshold` only matters for a resetting
/// CUSUM.
fn statistics(method: &Method, series: &[u32], threshold: f64) -> Vec<Option<f64>> {
    match method {
        Method::C1(p) => ears_statistics(series, 0, p.min_sd),
        Method::C2(p) => ears_statistics(series, C2_GUARD_DAYS, p.min_sd),
        Method::C3(p) => c3_statistics(series, p.min_sd),
        Method::PoissonCusum(p) => {
            cusum_path(&cusum_increments(series, p), threshold, p.reset_after_alarm)
        }
        Method::Ewma(p) => ewma_statistics(series, p),
    }
}

/// The `len` days ending `guard` days before day `t` (days `t−guard−len ..= t−guard−1`), or
/// `None` if the series does not reach back that far.
fn baseline_window(series: &[u32], t: usize, len: usize, guard: usize) -> Option<&[u32]> {
    let end = t.checked_sub(guard)?;
    let start = end.checked_sub(len)?;
    series.get(start..end)
}

/// Mean and sample standard deviation (n − 1 denominator; 0 for fewer than two values). Two
/// passes rather than a running sum of squares, so large equal counts give exactly zero
/// variance instead of a rounding residue.
fn mean_sd(window: &[u32]) -> (f64, f64) {
    if window.is_empty() {
        return (0.0, 0.0);
    }
    let n = window.len() as f64;
    let mean = window.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
    if window.len() < 2 {
        return (mean, 0.0);
    }
    let squares: f64 = window
        .iter()
        .map(|&x| {
            let d = f64::from(x) - mean;
            d * d
        })
        .sum();
    (mean, (squares / (n - 1.0)).sqrt())
}

/// EARS z-scores: `(x_t − mean)/max(sd, min_sd)` over the seven days ending `guard` days before
/// `t` (C1: guard 0; C2: guard 2).
fn ears_statistics(series: &[u32], guard: usize, min_sd: f64) -> Vec<Option<f64>> {
    series
        .iter()
        .enumerate()
        .map(|(t, &x)| {
            let window = baseline_window(series, t, EARS_BASELINE_DAYS, guard)?;
            let (mean, sd) = mean_sd(window);
            Some((f64::from(x) - mean) / sd.max(min_sd))
        })
        .collect()
}

/// EARS C3: `Σ_{j=t−2..=t} max(0, C2_j − 1)`, defined where all three C2 values are.
fn c3_statistics(series: &[u32], min_sd: f64) -> Vec<Option<f64>> {
    let c2 = ears_statistics(series, C2_GUARD_DAYS, min_sd);
    (0..series.len())
        .map(|t| {
            let first = t.checked_sub(C3_SPAN_DAYS - 1)?;
            c2.get(first..=t)?
                .iter()
                .try_fold(0.0, |sum, c| c.map(|c| sum + (c - 1.0).max(0.0)))
        })
        .collect()
}

/// The daily CUSUM increment `x_t·ln(λ1/λ0) − (λ1 − λ0)`, with λ0 re-estimated each day from the
/// moving baseline. Independent of the threshold, so calibration computes it once.
fn cusum_increments(series: &[u32], p: &CusumParams) -> Vec<Option<f64>> {
    series
        .iter()
        .enumerate()
        .map(|(t, &x)| {
            let window = baseline_window(series, t, p.baseline_days, p.guard_days)?;
            let (mean, sd) = mean_sd(window);
            let lambda0 = mean.max(p.min_mean);
            let lambda1 = match p.shift {
                CusumShift::Ratio(k) => k * lambda0,
                CusumShift::SdUnits(shift) => lambda0 + shift * sd.max(p.min_sd),
            };
            // λ1 > λ0 > 0 by the parameter ranges, so the logarithm is finite and positive.
            Some(f64::from(x) * (lambda1 / lambda0).ln() - (lambda1 - lambda0))
        })
        .collect()
}

/// Run the CUSUM recursion over precomputed increments. The reported statistic is the sum
/// *before* any reset, so an alarming day shows the value that crossed `h`.
fn cusum_path(increments: &[Option<f64>], h: f64, reset: bool) -> Vec<Option<f64>> {
    let mut sum = 0.0_f64;
    increments
        .iter()
        .map(|increment| {
            let increment = (*increment)?;
            let statistic = (sum + increment).max(0.0);
            sum = if reset && statistic >= h {
                0.0
            } else {
                statistic
            };
            Some(statistic)
        })
        .collect()
}

/// Standardized EWMA: `(z_t − μ_t)/(σ_t·c_t)` where `c_t` is the EWMA's standard deviation in
/// units of σ. Standardizing (rather than comparing `z_t` with a day-dependent limit) makes the
/// threshold a single number `L`, comparable across days and calibratable.
fn ewma_statistics(series: &[u32], p: &EwmaParams) -> Vec<Option<f64>> {
    let lambda = p.lambda;
    let keep = 1.0 - lambda;
    let asymptotic = lambda / (2.0 - lambda);
    let mut z: Option<f64> = None;
    // (1−λ)^{2t}, updated by multiplication: it underflows harmlessly to 0 on long series.
    let mut decay = 1.0_f64;
    series
        .iter()
        .enumerate()
        .map(|(t, &x)| {
            let window = baseline_window(series, t, p.baseline_days, p.guard_days)?;
            let (mean, sd) = mean_sd(window);
            let sigma = sd.max(p.min_sd);
            let previous = z.unwrap_or(mean);
            let current = lambda * f64::from(x) + keep * previous;
            z = Some(current);
            decay *= keep * keep;
            let spread = if p.asymptotic_limits {
                asymptotic.sqrt()
            } else {
                // 1 − (1−λ)^{2t} ≥ λ(2−λ) > 0 from the first day, so this is never zero.
                (asymptotic * (1.0 - decay)).sqrt()
            };
            Some((current - mean) / (sigma * spread))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use proptest::prelude::*;

    const EPS: f64 = 1e-9;

    fn assert_close(actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() < 1e-6,
            "expected {expected}, got {actual}"
        );
    }

    fn stats(method: &Method, series: &[u32]) -> Vec<Option<f64>> {
        evaluate(method, series)
            .into_iter()
            .map(|s| s.map(|s| s.statistic))
            .collect()
    }

    fn all_defaults() -> Vec<Method> {
        vec![
            Method::c1(),
            Method::c2(),
            Method::c3(),
            Method::poisson_cusum(),
            Method::ewma(),
        ]
    }

    /// The defaults plus the interesting non-default switches.
    fn all_variants() -> Vec<Method> {
        let mut methods = all_defaults();
        methods.push(Method::PoissonCusum(CusumParams {
            reset_after_alarm: false,
            ..CusumParams::default()
        }));
        methods.push(Method::PoissonCusum(CusumParams {
            shift: CusumShift::SdUnits(1.5),
            ..CusumParams::default()
        }));
        methods.push(Method::Ewma(EwmaParams {
            asymptotic_limits: true,
            ..EwmaParams::default()
        }));
        methods
    }

    /// Deterministic Poisson counts (xorshift64* + Knuth's multiplication method), so the tests
    /// need no RNG crate and never change between runs.
    fn poisson_series(mean: f64, days: usize, mut seed: u64) -> Vec<u32> {
        let mut uniform = move || {
            seed ^= seed >> 12;
            seed ^= seed << 25;
            seed ^= seed >> 27;
            let bits = seed.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
            (bits as f64 + 0.5) / (1u64 << 53) as f64
        };
        (0..days)
            .map(|_| {
                let limit = (-mean).exp();
                let mut product = uniform();
                let mut count = 0;
                while product > limit {
                    product *= uniform();
                    count += 1;
                }
                count
            })
            .collect()
    }

    // ---------------------------------------------------------------- helpers

    #[test]
    fn mean_sd_is_sample_sd() {
        // 1..=7: mean 28/7 = 4; squared deviations 9+4+1+0+1+4+9 = 28; var = 28/6; sd = 2.1602469.
        let (mean, sd) = mean_sd(&[1, 2, 3, 4, 5, 6, 7]);
        assert_close(mean, 4.0);
        assert_close(sd, (28.0_f64 / 6.0).sqrt());
        assert_eq!(mean_sd(&[]), (0.0, 0.0));
        assert_eq!(mean_sd(&[5]), (5.0, 0.0));
        assert_eq!(mean_sd(&[u32::MAX; 30]), (f64::from(u32::MAX), 0.0));
    }

    #[test]
    fn baseline_window_bounds() {
        let series = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
        assert_eq!(baseline_window(&series, 7, 7, 0), Some(&series[0..7]));
        assert_eq!(baseline_window(&series, 9, 7, 2), Some(&series[0..7]));
        assert_eq!(baseline_window(&series, 6, 7, 0), None);
        assert_eq!(baseline_window(&series, 8, 7, 2), None);
        assert_eq!(baseline_window(&series, 1, 0, 3), None);
    }

    // ---------------------------------------------------------------- EARS

    #[test]
    fn c1_hand_computed() {
        // Day 7: baseline days 0..=6 = 1..=7, mean 4, sd sqrt(28/6) = 2.1602469;
        // C1 = (10 − 4)/2.1602469 = 2.7774603 < 3, no alarm.
        let series = [1, 2, 3, 4, 5, 6, 7, 10];
        let scores = evaluate(&Method::c1(), &series);
        assert_eq!(scores.len(), 8);
        assert!(scores[..7].iter().all(Option::is_none));
        let score = scores[7].unwrap();
        assert_close(score.statistic, 6.0 / (28.0_f64 / 6.0).sqrt());
        assert_close(score.statistic, 2.7774603);
        assert_close(score.threshold, 3.0);
        assert!(!score.alarm);

        // Day 8: baseline days 1..=7 = 2,3,4,5,6,7,10: sum 37, mean 5.2857143;
        // deviations² = 10.795918+5.224490+1.653061+0.081633+0.510204+2.938776+22.224490 = 43.428571;
        // var = 43.428571/6 = 7.238095, sd = 2.6903708; C1 = (20 − 5.2857143)/2.6903708 = 5.4692.
        let series = [1, 2, 3, 4, 5, 6, 7, 10, 20];
        let score = evaluate(&Method::c1(), &series)[8].unwrap();
        let mean = 37.0 / 7.0;
        let sd = (43.428_571_428_571_43_f64 / 6.0).sqrt();
        assert_close(score.statistic, (20.0 - mean) / sd);
        assert!((score.statistic - 5.4692).abs() < 1e-4);
        assert!(score.alarm);
    }

    #[test]
    fn c2_hand_computed_skips_guard_band() {
        // Day 9: baseline days 0..=6 = 1..=7 (mean 4, sd 2.1602469); days 7 and 8 (the 100s) are
        // the guard band and must not count. C2 = (10 − 4)/2.1602469 = 2.7774603.
        let series = [1, 2, 3, 4, 5, 6, 7, 100, 100, 10];
        let scores = evaluate(&Method::c2(), &series);
        assert!(scores[..9].iter().all(Option::is_none));
        let score = scores[9].unwrap();
        assert_close(score.statistic, 2.7774603);
        assert!(!score.alarm);
        // C1 on the same day sees the 100s: baseline 4,5,6,7,100,100,... far from 2.78.
        assert!(evaluate(&Method::c1(), &series)[9].unwrap().statistic < 0.0);
    }

    #[test]
    fn c3_hand_computed() {
        // Days 7, 8 repeat days 0, 1, so the C2 baselines of days 9 (days 0..=6), 10 (1..=7) and
        // 11 (2..=8) are all a permutation of 1..=7: mean 4, sd 2.1602469.
        // C2_9 = (10 − 4)/2.1602469 = 2.7774603; C2_10 = (12 − 4)/2.1602469 = 3.7032804;
        // C2_11 = (4 − 4)/… = 0.
        // C3_11 = max(0, 1.7774603) + max(0, 2.7032804) + max(0, −1) = 4.4807407 ≥ 2: alarm.
        let series = [1, 2, 3, 4, 5, 6, 7, 1, 2, 10, 12, 4];
        let c2 = stats(&Method::c2(), &series);
        assert_close(c2[9].unwrap(), 2.7774603);
        assert_close(c2[10].unwrap(), 3.7032804);
        assert_close(c2[11].unwrap(), 0.0);
        let scores = evaluate(&Method::c3(), &series);
        assert!(scores[..11].iter().all(Option::is_none));
        let score = scores[11].unwrap();
        let sd = (28.0_f64 / 6.0).sqrt();
        assert_close(score.statistic, (6.0 / sd - 1.0) + (8.0 / sd - 1.0));
        assert_close(score.statistic, 4.4807407);
        assert_close(score.threshold, 2.0);
        assert!(score.alarm);
    }

    #[test]
    fn c3_ignores_negative_excess() {
        // Flat 5s with min_sd 1: C2 of days 9, 10, 11 = (7−5)/1, (5−5)/1, (3−5)/1 = 2, 0, −2.
        // C3_11 = max(0, 1) + max(0, −1) + max(0, −3) = 1 < 2.
        let p = EarsParams {
            min_sd: 1.0,
            threshold: None,
        };
        let series = [5, 5, 5, 5, 5, 5, 5, 5, 5, 7, 5, 3];
        let score = evaluate(&Method::C3(p), &series)[11].unwrap();
        assert_close(score.statistic, 1.0);
        assert!(!score.alarm);
    }

    #[test]
    fn ears_sd_floor_on_sparse_series() {
        // A week of zeros: sd 0, floored at 0.2. One appeal: (1 − 0)/0.2 = 5 ≥ 3, alarm.
        let mut series = vec![0; 7];
        series.push(1);
        let score = evaluate(&Method::c1(), &series)[7].unwrap();
        assert_close(score.statistic, 5.0);
        assert!(score.alarm);
        // A larger floor makes the same appeal unremarkable: (1 − 0)/0.5 = 2 < 3.
        let lenient = Method::C1(EarsParams {
            min_sd: 0.5,
            threshold: None,
        });
        let score = evaluate(&lenient, &series)[7].unwrap();
        assert_close(score.statistic, 2.0);
        assert!(!score.alarm);
        // Flat 5s then a 5: (5 − 5)/0.2 = 0, not NaN.
        let score = evaluate(&Method::c1(), &[5; 8])[7].unwrap();
        assert_eq!(score.statistic, 0.0);
    }

    #[test]
    fn floor_only_applies_below_it() {
        // Baseline 1..=7 has sd 2.16 > min_sd 1.0, so the floor changes nothing.
        let series = [1, 2, 3, 4, 5, 6, 7, 10];
        let floored = Method::C1(EarsParams {
            min_sd: 1.0,
            threshold: None,
        });
        assert_eq!(stats(&floored, &series), stats(&Method::c1(), &series));
    }

    // ---------------------------------------------------------------- CUSUM

    fn small_cusum(reset: bool) -> Method {
        Method::PoissonCusum(CusumParams {
            baseline_days: 3,
            guard_days: 1,
            reset_after_alarm: reset,
            threshold: Some(2.0),
            ..CusumParams::default()
        })
    }

    #[test]
    fn cusum_hand_computed_with_reset() {
        // baseline 3 days, guard 1, λ1 = 2·λ0, h = 2; ln 2 = 0.6931472.
        // Day 4: baseline days 0..=2 = 2,2,2: λ0 = 2, λ1 = 4;
        //   increment = 6·ln2 − 2 = 4.1588831 − 2 = 2.1588831; S = 2.1588831 ≥ 2: alarm, reset.
        // Day 5: baseline 1..=3 = 2,2,2: increment = 2·ln2 − 2 = −0.6137056; S = max(0, 0 − …) = 0.
        // Day 6: baseline 2..=4 = 2,2,6: λ0 = 10/3, λ1 = 20/3;
        //   increment = 5·ln2 − 10/3 = 3.4657359 − 3.3333333 = 0.1324026; S = 0.1324026.
        // Day 7: baseline 3..=5 = 2,6,2: λ0 = 10/3;
        //   increment = 8·ln2 − 10/3 = 5.5451774 − 3.3333333 = 2.2118441;
        //   S = 0.1324026 + 2.2118441 = 2.3442467 ≥ 2: alarm.
        let series = [2, 2, 2, 2, 6, 2, 5, 8];
        let scores = evaluate(&small_cusum(true), &series);
        assert!(scores[..4].iter().all(Option::is_none));
        let got: Vec<(f64, bool)> = scores[4..]
            .iter()
            .map(|s| (s.unwrap().statistic, s.unwrap().alarm))
            .collect();
        let ln2 = 2.0_f64.ln();
        let expected = [
            (6.0 * ln2 - 2.0, true),
            (0.0, false),
            (5.0 * ln2 - 10.0 / 3.0, false),
            (5.0 * ln2 - 10.0 / 3.0 + 8.0 * ln2 - 10.0 / 3.0, true),
        ];
        for ((stat, alarm), (want_stat, want_alarm)) in got.iter().zip(expected) {
            assert_close(*stat, want_stat);
            assert_eq!(*alarm, want_alarm);
        }
        assert_close(got[0].0, 2.1588831);
        assert_close(got[3].0, 2.3442467);
    }

    #[test]
    fn cusum_hand_computed_without_reset() {
        // Same increments as above, no reset:
        // S4 = 2.1588831; S5 = 2.1588831 − 0.6137056 = 1.5451774 (no alarm: < 2);
        // S6 = 1.5451774 + 0.1324026 = 1.6775800; S7 = 1.6775800 + 2.2118441 = 3.8894241.
        let series = [2, 2, 2, 2, 6, 2, 5, 8];
        let got = stats(&small_cusum(false), &series);
        assert_close(got[4].unwrap(), 2.1588831);
        assert_close(got[5].unwrap(), 1.5451774);
        assert_close(got[6].unwrap(), 1.6775800);
        assert_close(got[7].unwrap(), 3.8894241);
        let alarms: Vec<bool> = evaluate(&small_cusum(false), &series)[4..]
            .iter()
            .map(|s| s.unwrap().alarm)
            .collect();
        assert_eq!(alarms, [true, false, false, true]);
    }

    #[test]
    fn cusum_sd_units_hand_computed() {
        // Baseline 1,2,3: λ0 = 2, sd = 1; shift 1 sd: λ1 = 3.
        // Day 4: increment = 5·ln(3/2) − 1 = 5·0.4054651 − 1 = 1.0273255.
        let method = Method::PoissonCusum(CusumParams {
            baseline_days: 3,
            guard_days: 1,
            shift: CusumShift::SdUnits(1.0),
            ..CusumParams::default()
        });
        let got = stats(&method, &[1, 2, 3, 0, 5]);
        assert_close(got[4].unwrap(), 5.0 * 1.5_f64.ln() - 1.0);
        assert_close(got[4].unwrap(), 1.0273255);
        // A zero-variance baseline uses the sd floor: 4,4,4 → λ0 = 4, λ1 = 4 + 1·0.2 = 4.2;
        // increment for x = 4: 4·ln(1.05) − 0.2 = 0.1951606 − 0.2 = −0.0048394 → S = 0.
        let got = stats(&method, &[4, 4, 4, 4, 4]);
        assert_eq!(got[4], Some(0.0));
    }

    #[test]
    fn cusum_mean_floor() {
        // All-zero baseline: λ0 = max(0, 0.1) = 0.1, λ1 = 0.2.
        // Day 4 with 3 appeals: 3·ln2 − 0.1 = 2.0794415 − 0.1 = 1.9794415.
        let method = Method::PoissonCusum(CusumParams {
            baseline_days: 3,
            guard_days: 1,
            ..CusumParams::default()
        });
        let got = stats(&method, &[0, 0, 0, 0, 3]);
        assert_close(got[4].unwrap(), 1.9794415);
    }

    #[test]
    fn cusum_alarm_count_is_monotone_in_threshold() {
        // The property calibration's bisection relies on.
        let series = poisson_series(4.0, 400, 7);
        let mut previous = usize::MAX;
        for step in 0..=60 {
            let h = f64::from(step) * 0.25;
            let alarms = count_alarms(&Method::poisson_cusum().with_threshold(h), &series);
            assert!(alarms <= previous, "h = {h}: {alarms} > {previous}");
            previous = alarms;
        }
    }

    // ---------------------------------------------------------------- EWMA

    fn small_ewma(asymptotic_limits: bool) -> Method {
        Method::Ewma(EwmaParams {
            lambda: 0.5,
            baseline_days: 3,
            guard_days: 1,
            asymptotic_limits,
            ..EwmaParams::default()
        })
    }

    #[test]
    fn ewma_hand_computed_exact_limits() {
        // λ = 0.5, baseline 3 days, guard 1, L = 3.
        // Day 4: baseline days 0..=2 = 1,2,3: μ = 2, σ = 1. z starts at μ = 2;
        //   z = 0.5·4 + 0.5·2 = 3. t = 1: c = sqrt(0.5/1.5·(1 − 0.5²)) = sqrt(0.25) = 0.5.
        //   statistic = (3 − 2)/(1·0.5) = 2 < 3.
        // Day 5: baseline days 1..=3 = 2,3,1: μ = 2, σ = 1. z = 0.5·6 + 0.5·3 = 4.5.
        //   t = 2: c = sqrt(1/3·(1 − 0.5⁴)) = sqrt(0.3125) = 0.5590170.
        //   statistic = 2.5/0.5590170 = 4.4721360 ≥ 3: alarm.
        let series = [1, 2, 3, 1, 4, 6];
        let scores = evaluate(&small_ewma(false), &series);
        assert!(scores[..4].iter().all(Option::is_none));
        let day4 = scores[4].unwrap();
        let day5 = scores[5].unwrap();
        assert_close(day4.statistic, 2.0);
        assert!(!day4.alarm);
        assert_close(day5.statistic, 2.5 / 0.3125_f64.sqrt());
        assert_close(day5.statistic, 4.4721360);
        assert!(day5.alarm);
        assert_close(day5.threshold, 3.0);
    }

    #[test]
    fn ewma_hand_computed_asymptotic_limits() {
        // Same z values; c = sqrt(0.5/1.5) = 0.5773503 on every day.
        // Day 4: 1/0.5773503 = 1.7320508; day 5: 2.5/0.5773503 = 4.3301270.
        let got = stats(&small_ewma(true), &[1, 2, 3, 1, 4, 6]);
        assert_close(got[4].unwrap(), 3.0_f64.sqrt());
        assert_close(got[5].unwrap(), 4.3301270);
    }

    #[test]
    fn ewma_lambda_one_is_a_z_score() {
        // λ = 1: z_t = x_t and c_t = 1, so the statistic is C1-like over the EWMA baseline.
        // Baseline 1,2,3 (μ 2, σ 1), x = 5: (5 − 2)/1 = 3.
        let method = Method::Ewma(EwmaParams {
            lambda: 1.0,
            baseline_days: 3,
            guard_days: 0,
            ..EwmaParams::default()
        });
        let got = stats(&method, &[1, 2, 3, 5]);
        assert_close(got[3].unwrap(), 3.0);
    }

    // ---------------------------------------------------------------- behaviour

    #[test]
    fn step_outbreak_detected_on_first_or_second_day() {
        // Eight weeks of a weekly pattern around 5 (sd ≈ 1.35), then a sustained step of +8.
        let week = [4, 6, 5, 7, 3, 5, 6];
        let mut series: Vec<u32> = week.iter().copied().cycle().take(56).collect();
        let onset = series.len();
        series.extend(week.iter().map(|x| x + 8));
        for method in all_variants() {
            let scores = evaluate(&method, &series);
            assert!(
                scores[..onset].iter().flatten().all(|s| !s.alarm),
                "{method:?} alarmed before the outbreak"
            );
            let first = scores[onset..]
                .iter()
                .position(|s| s.is_some_and(|s| s.alarm));
            assert!(
                matches!(first, Some(0 | 1)),
                "{method:?} first alarmed at outbreak day {first:?}"
            );
        }
    }

    #[test]
    fn step_outbreak_detected_on_noisy_poisson_background() {
        // Poisson(6) for 10 weeks, then Poisson(6) + 12 (an outbreak three times the usual).
        let mut series = poisson_series(6.0, 70, 42);
        let onset = series.len();
        series.extend(poisson_series(6.0, 7, 43).iter().map(|x| x + 12));
        for method in all_variants() {
            let scores = evaluate(&method, &series);
            let first = scores[onset..]
                .iter()
                .position(|s| s.is_some_and(|s| s.alarm));
            assert!(
                matches!(first, Some(0 | 1)),
                "{method:?} first alarmed at outbreak day {first:?}"
            );
        }
    }

    #[test]
    fn sparse_series_outbreak_detected() {
        // A unit with no appeals for 40 days, then 5 a day.
        let mut series = vec![0; 40];
        series.extend([5; 5]);
        for method in all_variants() {
            let scores = evaluate(&method, &series);
            let first = scores[40..].iter().position(|s| s.is_some_and(|s| s.alarm));
            assert!(matches!(first, Some(0 | 1)), "{method:?}: {first:?}");
        }
    }

    #[test]
    fn flat_series_never_alarms() {
        for level in [0, 1, 2, 5, 37, 100, 10_000, u32::MAX] {
            let series = vec![level; 200];
            for method in all_variants() {
                let scores = evaluate(&method, &series);
                assert!(
                    scores
                        .iter()
                        .flatten()
                        .all(|s| !s.alarm && s.statistic.is_finite()),
                    "{method:?} alarmed on flat {level}"
                );
                assert_eq!(scores.iter().flatten().count(), 200 - method.min_history());
            }
        }
    }

    #[test]
    fn short_series_give_none() {
        for method in all_variants() {
            let history = method.min_history();
            assert!(evaluate(&method, &[]).is_empty());
            assert_eq!(score_last_day(&method, &[]), None);
            assert!(!alarm_on_last_day(&method, &[]));
            let short = vec![3; history];
            let scores = evaluate(&method, &short);
            assert_eq!(scores.len(), history);
            assert!(scores.iter().all(Option::is_none), "{method:?}");
            assert_eq!(score_last_day(&method, &short), None);
            assert_eq!(alarm_rate_per_year(&method, &short), None);
            let enough = vec![3; history + 1];
            let scores = evaluate(&method, &enough);
            assert!(scores[..history].iter().all(Option::is_none));
            assert!(scores[history].is_some(), "{method:?}");
        }
        assert_eq!(Method::c1().min_history(), 7);
        assert_eq!(Method::c2().min_history(), 9);
        assert_eq!(Method::c3().min_history(), 11);
        assert_eq!(Method::poisson_cusum().min_history(), 30);
        assert_eq!(Method::ewma().min_history(), 30);
    }

    #[test]
    fn last_day_matches_full_evaluation() {
        let series = poisson_series(3.0, 120, 9);
        for method in all_variants() {
            for len in [0, 5, 12, 31, 60, 120] {
                let prefix = &series[..len];
                let full = evaluate(&method, prefix).pop().flatten();
                assert_eq!(
                    score_last_day(&method, prefix),
                    full,
                    "{method:?} len {len}"
                );
                assert_eq!(
                    alarm_on_last_day(&method, prefix),
                    full.is_some_and(|s| s.alarm)
                );
            }
        }
        // 40 after flat 2s: even the smallest alternative here (SdUnits(1.5) with the sd floor,
        // λ1 = 2 + 1.5·0.2 = 2.3) gives 40·ln(2.3/2) − 0.3 = 5.29 ≥ 4 on the day.
        let mut outbreak = vec![2; 40];
        outbreak.push(40);
        for method in all_variants() {
            assert!(alarm_on_last_day(&method, &outbreak), "{method:?}");
        }
    }

    #[test]
    fn default_thresholds() {
        assert_eq!(default_threshold(&Method::c1()), 3.0);
        assert_eq!(default_threshold(&Method::c2()), 3.0);
        assert_eq!(default_threshold(&Method::c3()), 2.0);
        assert_eq!(
            default_threshold(&Method::poisson_cusum()),
            DEFAULT_CUSUM_THRESHOLD
        );
        assert_eq!(default_threshold(&Method::ewma()), 3.0);
        for method in all_variants() {
            assert_eq!(method.threshold(), default_threshold(&method));
            let custom = method.with_threshold(1.25);
            assert_eq!(custom.threshold(), 1.25);
            // The default ignores the override.
            assert_eq!(default_threshold(&custom), default_threshold(&method));
            assert_eq!(custom.with_default_threshold(), method);
        }
    }

    #[test]
    fn threshold_override_changes_alarms() {
        // C1 statistic 2.7774603 (see c1_hand_computed): no alarm at 3, alarm at 2.5.
        let series = [1, 2, 3, 4, 5, 6, 7, 10];
        let score = evaluate(&Method::c1().with_threshold(2.5), &series)[7].unwrap();
        assert_close(score.statistic, 2.7774603);
        assert_eq!(score.threshold, 2.5);
        assert!(score.alarm);
        // The comparison is inclusive.
        let exact = score.statistic;
        assert!(
            evaluate(&Method::c1().with_threshold(exact), &series)[7]
                .unwrap()
                .alarm
        );
        assert!(
            !evaluate(&Method::c1().with_threshold(exact.next_up()), &series)[7]
                .unwrap()
                .alarm
        );
    }

    #[test]
    fn alarm_rate_counts_alarm_days_per_scored_days() {
        // C1 on 1..=7 then 20, 20: day 7 = (20−4)/2.16 = 7.4 alarm; day 8 baseline 2..=7,20 → sd
        // large, (20 − 6.43)/6.3 ≈ 2.15, no alarm. 1 alarm on 2 scored days → 182.5 per year.
        let series = [1, 2, 3, 4, 5, 6, 7, 20, 20];
        assert_eq!(count_alarms(&Method::c1(), &series), 1);
        assert_close(alarm_rate_per_year(&Method::c1(), &series).unwrap(), 182.5);
    }

    // ---------------------------------------------------------------- calibration

    fn check_calibration(method: &Method, background: &[u32], per_year: f64) -> f64 {
        let threshold = calibrate_threshold(method, background, per_year);
        assert!(threshold.is_finite());
        let calibrated = method.with_threshold(threshold);
        let scored = evaluate(&calibrated, background).iter().flatten().count();
        let alarms = count_alarms(&calibrated, background);
        let allowed = allowed_alarms(per_year, scored);
        assert!(
            alarms <= allowed,
            "{method:?} at {threshold}: {alarms} alarms > {allowed} allowed"
        );
        assert!(alarms as f64 * DAYS_PER_YEAR / scored as f64 <= per_year + EPS);
        threshold
    }

    #[test]
    fn calibration_meets_target_and_is_minimal() {
        let background = poisson_series(5.0, 730, 2024);
        for method in all_variants() {
            for per_year in [0.0, 1.0, 4.0, 12.0, 52.0] {
                let threshold = check_calibration(&method, &background, per_year);
                let scored = evaluate(&method, &background).iter().flatten().count();
                let allowed = allowed_alarms(per_year, scored);
                // Any noticeably lower threshold exceeds the allowance: the result is the
                // smallest. Exact to one floating-point step except for the bisected CUSUM.
                let lower = match method {
                    Method::PoissonCusum(p) if p.reset_after_alarm => {
                        threshold - 1e-9 * threshold.abs().max(1.0)
                    }
                    _ => threshold.next_down(),
                };
                let alarms = count_alarms(&method.with_threshold(lower), &background);
                assert!(
                    alarms > allowed,
                    "{method:?} {per_year}/yr: {lower} still gives {alarms} ≤ {allowed}"
                );
            }
        }
    }

    #[test]
    fn pooled_calibration_meets_a_city_wide_target_and_is_minimal() {
        // Three units of different sizes; 365 background days then 20 recent days left out.
        let series: Vec<Vec<u32>> = [(0.3, 1), (2.0, 2), (9.0, 3)]
            .iter()
            .map(|&(mean, seed)| poisson_series(mean, 385, seed))
            .collect();
        let total_alarms =
            |m: &Method| -> usize { series.iter().map(|s| count_alarms(m, &s[..365])).sum() };
        for method in all_variants() {
            for per_year in [0.0, 1.0, 4.0, 12.0] {
                let t = calibrate_pooled(&method, &series, 365, per_year);
                assert!(t.is_finite());
                let allowed = per_year as usize;
                let at = total_alarms(&method.with_threshold(t));
                assert!(at <= allowed, "{method:?} {per_year}: {at} > {allowed}");
                let lower = match method {
                    Method::PoissonCusum(p) if p.reset_after_alarm => t - 1e-9 * t.abs().max(1.0),
                    _ => t.next_down(),
                };
                let below = total_alarms(&method.with_threshold(lower));
                assert!(
                    below > allowed,
                    "{method:?} {per_year}: {lower} gives {below}"
                );
            }
        }
        // The recent days never influence the threshold.
        let mut spiked = series.clone();
        for s in &mut spiked {
            s[380] = 500;
        }
        for method in all_variants() {
            assert_eq!(
                calibrate_pooled(&method, &series, 365, 4.0),
                calibrate_pooled(&method, &spiked, 365, 4.0)
            );
        }
        // Nothing scorable: the method's own threshold.
        assert_eq!(
            calibrate_pooled(&Method::c2(), &[vec![1, 2, 3]], 3, 4.0),
            Method::c2().threshold()
        );
    }

    #[test]
    fn calibration_hand_computed() {
        // C1 over 1..=7 then 10, 20 (scored days 7 and 8): statistics 2.7774603 and 5.4692
        // (see c1_hand_computed). Over 2 scored days, 182.5 alerts/year allows 1 alarm: the
        // threshold lands just above the second-largest statistic, 2.7774603.
        let series = [1, 2, 3, 4, 5, 6, 7, 10, 20];
        let c1 = stats(&Method::c1(), &series);
        let t = calibrate_threshold(&Method::c1(), &series, 182.5);
        assert_eq!(t, c1[7].unwrap().next_up());
        // 0 per year: above the largest.
        let t = calibrate_threshold(&Method::c1(), &series, 0.0);
        assert_eq!(t, c1[8].unwrap().next_up());
        // 365 per year allows both: the smallest statistic.
        let t = calibrate_threshold(&Method::c1(), &series, 365.0);
        assert_eq!(t, c1[7].unwrap());
        assert_eq!(count_alarms(&Method::c1().with_threshold(t), &series), 2);
    }

    #[test]
    fn calibration_edge_cases() {
        let background = poisson_series(2.0, 400, 5);
        for method in all_variants() {
            // No scored day: keep the configured threshold.
            assert_eq!(calibrate_threshold(&method, &[], 4.0), method.threshold());
            let custom = method.with_threshold(7.5);
            assert_eq!(calibrate_threshold(&custom, &[1, 2, 3], 4.0), 7.5);
            // Nonsense targets behave like zero or like "every day".
            let none = calibrate_threshold(&method, &background, 0.0);
            assert_eq!(calibrate_threshold(&method, &background, f64::NAN), none);
            assert_eq!(calibrate_threshold(&method, &background, -3.0), none);
            assert_eq!(count_alarms(&method.with_threshold(none), &background), 0);
            let all = calibrate_threshold(&method, &background, f64::INFINITY);
            assert!(all.is_finite());
            let scored = evaluate(&method, &background).iter().flatten().count();
            assert_eq!(
                count_alarms(&method.with_threshold(all), &background),
                scored
            );
        }
        // Flat background: every C1 statistic is 0, so zero alerts means "just above 0".
        let t = calibrate_threshold(&Method::c1(), &[4; 100], 0.0);
        assert_eq!(t, 0.0_f64.next_up());
        assert_eq!(count_alarms(&Method::c1().with_threshold(t), &[4; 100]), 0);
    }

    #[test]
    fn calibration_ignores_current_threshold_except_through_resets() {
        let background = poisson_series(3.0, 500, 77);
        for method in all_variants() {
            let a = calibrate_threshold(&method, &background, 6.0);
            let b = calibrate_threshold(&method.with_threshold(0.5), &background, 6.0);
            assert_eq!(a, b, "{method:?}");
        }
    }

    #[test]
    fn allowed_alarm_arithmetic() {
        assert_eq!(allowed_alarms(4.0, 365), 4);
        assert_eq!(allowed_alarms(4.0, 730), 8);
        assert_eq!(allowed_alarms(4.0, 364), 3);
        assert_eq!(allowed_alarms(1.0, 100), 0);
        assert_eq!(allowed_alarms(0.0, 100), 0);
        assert_eq!(allowed_alarms(-1.0, 100), 0);
        assert_eq!(allowed_alarms(f64::NAN, 100), 0);
        assert_eq!(allowed_alarms(f64::INFINITY, 100), 100);
        assert_eq!(allowed_alarms(1e300, 100), 100);
        assert_eq!(allowed_alarms(365.0, 100), 100);
    }

    // ---------------------------------------------------------------- configuration

    #[test]
    fn serde_tags_are_snake_case() {
        let json = serde_json::to_value(Method::poisson_cusum()).unwrap();
        assert_eq!(json["method"], "poisson_cusum");
        assert_eq!(json["shift"], serde_json::json!({"ratio": 2.0}));
        assert!(json.get("threshold").is_none());
        for (method, name) in [
            (Method::c1(), "c1"),
            (Method::c2(), "c2"),
            (Method::c3(), "c3"),
            (Method::poisson_cusum(), "poisson_cusum"),
            (Method::ewma(), "ewma"),
        ] {
            assert_eq!(serde_json::to_value(method).unwrap()["method"], name);
            assert_eq!(method.name(), name);
        }
    }

    #[test]
    fn serde_round_trips() {
        let mut methods = all_variants();
        methods.extend(all_variants().into_iter().map(|m| m.with_threshold(2.75)));
        methods.push(Method::Ewma(EwmaParams {
            lambda: 0.15,
            baseline_days: 14,
            guard_days: 0,
            min_sd: 0.5,
            asymptotic_limits: true,
            threshold: Some(2.5),
        }));
        for method in methods {
            let text = serde_json::to_string(&method).unwrap();
            let back: Method = serde_json::from_str(&text).unwrap();
            assert_eq!(back, method, "{text}");
        }
    }

    #[test]
    fn serde_fills_defaults_and_rejects_typos() {
        let c2: Method = serde_json::from_str(r#"{"method":"c2"}"#).unwrap();
        assert_eq!(c2, Method::c2());
        let cusum: Method = serde_json::from_str(
            r#"{"method":"poisson_cusum","shift":{"sd_units":1.5},"threshold":5,"reset_after_alarm":false}"#,
        )
        .unwrap();
        assert_eq!(
            cusum,
            Method::PoissonCusum(CusumParams {
                shift: CusumShift::SdUnits(1.5),
                threshold: Some(5.0),
                reset_after_alarm: false,
                ..CusumParams::default()
            })
        );
        let ewma: Method = serde_json::from_str(r#"{"method":"ewma","lambda":0.2}"#).unwrap();
        assert_eq!(
            ewma,
            Method::Ewma(EwmaParams {
                lambda: 0.2,
                ..EwmaParams::default()
            })
        );
        assert!(serde_json::from_str::<Method>(r#"{"method":"c1","treshold":2}"#).is_err());
        assert!(serde_json::from_str::<Method>(r#"{"method":"c4"}"#).is_err());
        assert!(serde_json::from_str::<Method>(r#"{"threshold":2}"#).is_err());
        let score = Score {
            statistic: 1.5,
            threshold: 3.0,
            alarm: false,
        };
        let back: Score = serde_json::from_str(&serde_json::to_string(&score).unwrap()).unwrap();
        assert_eq!(back, score);
    }

    #[test]
    fn validate_accepts_defaults_and_rejects_out_of_range() {
        for method in all_variants() {
            assert_eq!(method.validate(), Ok(()), "{method:?}");
            assert_eq!(method.with_threshold(-1.0).validate(), Ok(()));
            let err = method.with_threshold(f64::NAN).validate().unwrap_err();
            assert_eq!(err.field, "threshold");
        }
        let bad = [
            (
                Method::C1(EarsParams {
                    min_sd: 0.0,
                    threshold: None,
                }),
                "min_sd",
            ),
            (
                Method::C3(EarsParams {
                    min_sd: f64::INFINITY,
                    threshold: None,
                }),
                "min_sd",
            ),
            (
                Method::PoissonCusum(CusumParams {
                    baseline_days: 1,
                    ..CusumParams::default()
                }),
                "baseline_days",
            ),
            (
                Method::PoissonCusum(CusumParams {
                    guard_days: 100_000,
                    ..CusumParams::default()
                }),
                "guard_days",
            ),
            (
                Method::PoissonCusum(CusumParams {
                    min_mean: -1.0,
                    ..CusumParams::default()
                }),
                "min_mean",
            ),
            (
                Method::PoissonCusum(CusumParams {
                    shift: CusumShift::Ratio(1.0),
                    ..CusumParams::default()
                }),
                "shift.ratio",
            ),
            (
                Method::PoissonCusum(CusumParams {
                    shift: CusumShift::SdUnits(f64::NAN),
                    ..CusumParams::default()
                }),
                "shift.sd_units",
            ),
            (
                Method::Ewma(EwmaParams {
                    lambda: 0.0,
                    ..EwmaParams::default()
                }),
                "lambda",
            ),
            (
                Method::Ewma(EwmaParams {
                    lambda: 1.5,
                    ..EwmaParams::default()
                }),
                "lambda",
            ),
            (
                Method::Ewma(EwmaParams {
                    baseline_days: usize::MAX,
                    ..EwmaParams::default()
                }),
                "baseline_days",
            ),
        ];
        for (method, field) in bad {
            let err = method.validate().unwrap_err();
            assert_eq!(err.field, field, "{method:?}");
            assert_eq!(err.method, method.name());
            assert!(err.to_string().contains(field), "{err}");
        }
    }

    #[test]
    fn invalid_parameters_fall_back_to_defaults() {
        let series = poisson_series(4.0, 120, 11);
        let pairs = [
            (
                Method::C1(EarsParams {
                    min_sd: f64::NAN,
                    threshold: Some(f64::INFINITY),
                }),
                Method::c1(),
            ),
            (
                Method::PoissonCusum(CusumParams {
                    baseline_days: 0,
                    guard_days: usize::MAX,
                    min_mean: 0.0,
                    shift: CusumShift::Ratio(0.5),
                    min_sd: -2.0,
                    reset_after_alarm: true,
                    threshold: Some(f64::NAN),
                }),
                Method::poisson_cusum(),
            ),
            (
                Method::Ewma(EwmaParams {
                    lambda: f64::NEG_INFINITY,
                    baseline_days: 1,
                    guard_days: 9_999_999,
                    min_sd: 1e300,
                    asymptotic_limits: false,
                    threshold: Some(f64::NAN),
                }),
                Method::ewma(),
            ),
        ];
        for (bad, good) in pairs {
            assert!(bad.validate().is_err());
            assert_eq!(evaluate(&bad, &series), evaluate(&good, &series));
            assert_eq!(bad.min_history(), good.min_history());
            assert_eq!(bad.threshold(), good.threshold());
        }
    }

    // ---------------------------------------------------------------- properties

    fn finite_param() -> impl Strategy<Value = f64> {
        prop_oneof![Just(DEFAULT_MIN_SD), 1e-6..1e6_f64, Just(1e-6), Just(1e6),]
    }

    fn any_f64() -> impl Strategy<Value = f64> {
        prop_oneof![
            finite_param(),
            any::<f64>(),
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(0.0)
        ]
    }

    fn any_threshold() -> impl Strategy<Value = Option<f64>> {
        prop_oneof![
            Just(None),
            (-10.0..10.0_f64).prop_map(Some),
            any::<f64>().prop_map(Some)
        ]
    }

    fn any_method() -> impl Strategy<Value = Method> {
        let ears = || {
            (any_f64(), any_threshold())
                .prop_map(|(min_sd, threshold)| EarsParams { min_sd, threshold })
        };
        let shift = prop_oneof![
            any_f64().prop_map(CusumShift::Ratio),
            (1.0..20.0_f64).prop_map(CusumShift::Ratio),
            any_f64().prop_map(CusumShift::SdUnits),
        ];
        let window = prop_oneof![0usize..40, Just(usize::MAX), Just(MAX_WINDOW_DAYS)];
        let cusum = (
            window.clone(),
            0usize..5,
            any_f64(),
            shift,
            any_f64(),
            any::<bool>(),
            any_threshold(),
        )
            .prop_map(
                |(
                    baseline_days,
                    guard_days,
                    min_mean,
                    shift,
                    min_sd,
                    reset_after_alarm,
                    threshold,
                )| {
                    CusumParams {
                        baseline_days,
                        guard_days,
                        min_mean,
                        shift,
                        min_sd,
                        reset_after_alarm,
                        threshold,
                    }
                },
            );
        let lambda = prop_oneof![any_f64(), 1e-3..=1.0_f64, Just(1e-3), Just(1.0)];
        let ewma = (
            lambda,
            window,
            0usize..5,
            any_f64(),
            any::<bool>(),
            any_threshold(),
        )
            .prop_map(
                |(lambda, baseline_days, guard_days, min_sd, asymptotic_limits, threshold)| {
                    EwmaParams {
                        lambda,
                        baseline_days,
                        guard_days,
                        min_sd,
                        asymptotic_limits,
                        threshold,
                    }
                },
            );
        prop_oneof![
            ears().prop_map(Method::C1),
            ears().prop_map(Method::C2),
            ears().prop_map(Method::C3),
            cusum.prop_map(Method::PoissonCusum),
            ewma.prop_map(Method::Ewma),
        ]
    }

    fn any_series() -> impl Strategy<Value = Vec<u32>> {
        prop_oneof![
            prop::collection::vec(0u32..=10_000, 0..400),
            prop::collection::vec(0u32..=3, 0..400),
            prop::collection::vec(prop_oneof![Just(0u32), Just(10_000u32)], 0..400),
        ]
    }

    proptest! {
        #[test]
        fn scores_are_always_finite(method in any_method(), series in any_series()) {
            let scores = evaluate(&method, &series);
            prop_assert_eq!(scores.len(), series.len());
            let history = method.min_history();
            for (t, score) in scores.iter().enumerate() {
                prop_assert_eq!(score.is_some(), t >= history);
                if let Some(score) = score {
                    prop_assert!(score.statistic.is_finite(), "{:?}", score);
                    prop_assert!(score.threshold.is_finite(), "{:?}", score);
                    prop_assert_eq!(score.alarm, score.statistic >= score.threshold);
                }
            }
            prop_assert_eq!(score_last_day(&method, &series), scores.last().copied().flatten());
            if let Some(rate) = alarm_rate_per_year(&method, &series) {
                prop_assert!(rate.is_finite() && (0.0..=DAYS_PER_YEAR).contains(&rate));
            }
        }

        #[test]
        fn default_methods_are_finite_on_extreme_counts(
            series in prop::collection::vec(any::<u32>(), 0..200),
        ) {
            for method in all_variants() {
                for score in evaluate(&method, &series).into_iter().flatten() {
                    prop_assert!(score.statistic.is_finite());
                }
            }
        }

        #[test]
        fn calibration_meets_target(
            method in any_method(),
            series in any_series(),
            per_year in prop_oneof![0.0..400.0_f64, any::<f64>()],
        ) {
            let threshold = calibrate_threshold(&method, &series, per_year);
            prop_assert!(threshold.is_finite());
            let calibrated = method.with_threshold(threshold);
            let scored = evaluate(&calibrated, &series).iter().flatten().count();
            let alarms = count_alarms(&calibrated, &series);
            prop_assert!(alarms <= allowed_alarms(per_year, scored));
        }
    }
}
