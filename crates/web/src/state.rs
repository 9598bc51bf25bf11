use std::sync::{Arc, RwLock};
use std::time::Duration;

use grassroots_core::clock::Clock;
use grassroots_core::territory::{Atlas, Territory};
use grassroots_store::Store;

use crate::auth::LoginThrottle;
use crate::error::ApiError;

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
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: false,
            session_ttl: Duration::from_secs(12 * 3600),
            login_attempts: 5,
            login_window: Duration::from_secs(15 * 60),
        }
    }
}

#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<WebConfig>,
    atlas: Arc<RwLock<Arc<Atlas>>>,
    pub(crate) throttle: Arc<LoginThrottle>,
}

impl AppState {
    pub fn new(store: Store, clock: Arc<dyn Clock>, config: WebConfig, atlas: Atlas) -> AppState {
        let throttle = LoginThrottle::new(config.login_attempts, config.login_window);
        AppState {
            store,
            clock,
            config: Arc::new(config),
            atlas: Arc::new(RwLock::new(Arc::new(atlas))),
            throttle: Arc::new(throttle),
        }
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
        Ok(())
    }

    pub fn now_micros(&self) -> i64 {
        self.clock.now_micros()
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
