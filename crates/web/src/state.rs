use std::sync::{Arc, RwLock};
use std::time::Duration;

use grassroots_core::accounts::Department;
use grassroots_core::appeals::{HolidayCalendar, Taxonomy};
use grassroots_core::clock::Clock;
use grassroots_core::territory::{Atlas, Territory};
use grassroots_store::Store;

use crate::auth::LoginThrottle;
use crate::error::ApiError;
use crate::ops::intake_queue::IntakeQueue;
use crate::ops::sms::SmsSender;

/// Settings of the HTTP layer.
#[derive(Clone, Debug)]
pub struct WebConfig {
    /// Mark the session cookie `Secure` (set when served over TLS, directly
    /// or behind a TLS-terminating proxy).
    pub secure_cookies: bool,
    pub session_ttl: Duration,
    /// Failed logins allowed per username (and per client address) per window.
    pub login_attempts: u32,
    pub login_window: Duration,
    /// Most submissions saved in one transaction (group commit).
    pub intake_batch: usize,
    /// How often `serve` runs the background job (escalation, unrated
    /// replies, the outbox). `None`: never (tests drive `tick` directly).
    pub job_interval: Option<Duration>,
    /// Open311 `jurisdiction_id`: when set, a request naming another is refused.
    pub open311_jurisdiction: Option<String>,
    /// Submissions (appeals, residents' dispute requests) one client may make in an
    /// hour: an anonymous client by address, a resident by account, an Open311
    /// application by key. Staff are not limited; 0 turns the limit off.
    pub submissions_per_hour: u32,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: false,
            session_ttl: Duration::from_secs(12 * 3600),
            login_attempts: 5,
            login_window: Duration::from_secs(15 * 60),
            intake_batch: 256,
            job_interval: Some(Duration::from_secs(30)),
            open311_jurisdiction: None,
            submissions_per_hour: 30,
        }
    }
}

#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<WebConfig>,
    atlas: Arc<RwLock<Arc<Atlas>>>,
    departments: Arc<RwLock<Arc<Vec<Department>>>>,
    rules: Arc<RwLock<Arc<AppealRules>>>,
    pub sms: Arc<SmsSender>,
    pub(crate) intake: IntakeQueue,
    pub(crate) throttle: Arc<LoginThrottle>,
    /// Submissions per client in the last hour (`WebConfig::submissions_per_hour`).
    pub(crate) submissions: Arc<LoginThrottle>,
    /// Dashboard figures reused for a minute (`ui::cache`).
    pub(crate) figures: Arc<crate::ui::cache::FigureCache>,
}

impl AppState {
    pub fn new(store: Store, clock: Arc<dyn Clock>, config: WebConfig, atlas: Atlas) -> AppState {
        let throttle = LoginThrottle::new(config.login_attempts, config.login_window);
        let submissions = LoginThrottle::new(
            config.submissions_per_hour,
            std::time::Duration::from_secs(3600),
        );
        let intake = IntakeQueue::start(store.clone(), config.intake_batch);
        AppState {
            store,
            clock,
            config: Arc::new(config),
            atlas: Arc::new(RwLock::new(Arc::new(atlas))),
            departments: Arc::new(RwLock::new(Arc::new(Vec::new()))),
            rules: Arc::new(RwLock::new(Arc::new(AppealRules::builtin()))),
            sms: Arc::new(SmsSender::Log),
            intake,
            throttle: Arc::new(throttle),
            submissions: Arc::new(submissions),
            figures: Arc::new(crate::ui::cache::FigureCache::default()),
        }
    }

    /// Use `sender` for messages to residents (the default logs them).
    pub fn with_sms(mut self, sender: SmsSender) -> AppState {
        self.sms = Arc::new(sender);
        self
    }

    /// Departments, for routing (a cheap `Arc` clone), loaded on first use
    /// and refreshed with the territory.
    pub async fn departments(&self) -> Result<Arc<Vec<Department>>, ApiError> {
        let current = match self.departments.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        };
        if !current.is_empty() {
            return Ok(current);
        }
        self.reload_departments().await
    }

    pub async fn reload_departments(&self) -> Result<Arc<Vec<Department>>, ApiError> {
        let fresh = Arc::new(self.store.departments().await?);
        match self.departments.write() {
            Ok(mut g) => *g = fresh.clone(),
            Err(p) => *p.into_inner() = fresh.clone(),
        }
        Ok(fresh)
    }

    /// The current territory and its lookup index (a cheap `Arc` clone).
    pub fn atlas(&self) -> Arc<Atlas> {
        match self.atlas.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Rebuild the atlas from the store (after an import, or when another
    /// server changed the territory). Building the index is CPU work, done
    /// off the async runtime.
    pub async fn reload_atlas(&self) -> Result<(), ApiError> {
        let atlas = Arc::new(load_atlas(&self.store).await?);
        match self.atlas.write() {
            Ok(mut guard) => *guard = atlas,
            Err(poisoned) => *poisoned.into_inner() = atlas,
        }
        self.reload_departments().await?;
        Ok(())
    }

    /// The category taxonomy in force (a cheap `Arc` clone).
    pub fn taxonomy(&self) -> Arc<Taxonomy> {
        self.rules().taxonomy.clone()
    }

    /// The working-day calendar in force (a cheap `Arc` clone).
    pub fn calendar(&self) -> Arc<HolidayCalendar> {
        self.rules().calendar.clone()
    }

    pub fn rules(&self) -> Arc<AppealRules> {
        match self.rules.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Load the administrators' taxonomy and calendar years from the store
    /// (over the built-in ones). Returns whether anything changed.
    pub async fn reload_rules(&self) -> Result<bool, ApiError> {
        let stored = self.store.settings_with_prefix(RULES_PREFIX).await?;
        if stored == self.rules().source {
            return Ok(false);
        }
        let fresh = Arc::new(AppealRules::from_settings(stored));
        match self.rules.write() {
            Ok(mut g) => *g = fresh,
            Err(p) => *p.into_inner() = fresh,
        }
        Ok(true)
    }

    pub fn now_micros(&self) -> i64 {
        self.clock.now_micros()
    }
}

/// Settings keys of the appeal rules: `appeals.taxonomy`, `appeals.calendar.2027`.
pub const RULES_PREFIX: &str = "appeals.";
pub const TAXONOMY_KEY: &str = "appeals.taxonomy";
pub const CALENDAR_KEY_PREFIX: &str = "appeals.calendar.";

/// The taxonomy and calendar in force, and the settings they came from.
#[derive(Debug)]
pub struct AppealRules {
    pub taxonomy: Arc<Taxonomy>,
    pub calendar: Arc<HolidayCalendar>,
    /// The stored settings (key, value) these were built from.
    source: Vec<(String, String)>,
}

impl AppealRules {
    fn builtin() -> AppealRules {
        AppealRules {
            taxonomy: Arc::new(Taxonomy::builtin()),
            calendar: Arc::new(HolidayCalendar::builtin()),
            source: Vec::new(),
        }
    }

    /// Stored values were checked when saved; one that no longer parses
    /// (a newer binary's format) is logged and the built-in kept.
    fn from_settings(source: Vec<(String, String)>) -> AppealRules {
        let mut taxonomy = Taxonomy::builtin();
        let mut calendar = HolidayCalendar::builtin();
        for (key, value) in &source {
            if key == TAXONOMY_KEY {
                match Taxonomy::parse(value) {
                    Ok(t) => taxonomy = t,
                    Err(e) => {
                        tracing::error!(error = %e, "stored taxonomy unreadable; using built-in")
                    }
                }
            } else if key.starts_with(CALENDAR_KEY_PREFIX) {
                match HolidayCalendar::parse_year(value) {
                    Ok(y) => calendar = calendar.with_year(y),
                    Err(e) => tracing::error!(%key, error = %e, "stored calendar year unreadable"),
                }
            }
        }
        AppealRules {
            taxonomy: Arc::new(taxonomy),
            calendar: Arc::new(calendar),
            source,
        }
    }
}

/// Load the territory from the store into an atlas (at start-up and on change).
pub async fn load_atlas(store: &Store) -> Result<Atlas, ApiError> {
    let units = store.units().await?;
    tokio::task::spawn_blocking(move || {
        Territory::new(units.into_iter().map(|u| u.unit).collect()).map(Atlas::new)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)
}

/// Sleep helper for background loops.
pub(crate) async fn pause(d: Duration) {
    tokio::time::sleep(d).await;
}
