//! Figures kept for a while. A dashboard's tiles, trend, map and rankings
//! aggregate a year of appeals (at ten times the demo history a city-wide
//! trend reads two million rows, seconds of work) while they move slowly;
//! lists of cases are always read live. Figures younger than a minute are
//! served as they are; older ones (up to an hour) are served while one
//! request refreshes them in the background; older still, or missing, are
//! computed before answering. Times come from the injected clock.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::Value;

/// Figures this fresh are reused as they are (µs).
const FRESH_MICROS: i64 = 60_000_000;
/// Figures this old may still be shown while a refresh runs (µs).
const STALE_MICROS: i64 = 3_600_000_000;
/// Past this many keys, old entries are dropped before adding one.
const MAX_ENTRIES: usize = 4096;

#[derive(Debug)]
struct Entry {
    at: i64,
    value: Value,
    refreshing: bool,
}

/// What the cache holds for a key now.
#[derive(Debug, PartialEq)]
pub enum Lookup {
    Fresh(Value),
    /// Old but usable; `refresh` is true for exactly one caller, who
    /// should recompute and `put` (the others keep serving it).
    Stale {
        value: Value,
        refresh: bool,
    },
    Missing,
}

#[derive(Debug, Default)]
pub struct FigureCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl FigureCache {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Entry>) -> T) -> T {
        match self.entries.lock() {
            Ok(mut m) => f(&mut m),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    pub fn lookup(&self, key: &str, now: i64) -> Lookup {
        self.with(|m| {
            let Some(e) = m.get_mut(key) else {
                return Lookup::Missing;
            };
            let age = now - e.at;
            if (0..FRESH_MICROS).contains(&age) {
                Lookup::Fresh(e.value.clone())
            } else if (0..STALE_MICROS).contains(&age) {
                let refresh = !e.refreshing;
                e.refreshing = true;
                Lookup::Stale {
                    value: e.value.clone(),
                    refresh,
                }
            } else {
                Lookup::Missing
            }
        })
    }

    pub fn put(&self, key: String, now: i64, value: Value) {
        self.with(|m| {
            if m.len() >= MAX_ENTRIES {
                m.retain(|_, e| now - e.at < STALE_MICROS);
            }
            m.insert(
                key,
                Entry {
                    at: now,
                    value,
                    refreshing: false,
                },
            );
        });
    }

    /// A refresh failed: let the next request try again.
    pub fn release(&self, key: &str) {
        self.with(|m| {
            if let Some(e) = m.get_mut(key) {
                e.refreshing = false;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const MINUTE: i64 = 60_000_000;

    #[test]
    fn fresh_then_stale_with_one_refresher_then_missing() {
        let c = FigureCache::default();
        assert_eq!(c.lookup("a", 0), Lookup::Missing);
        c.put("a".into(), 0, json!(1));
        assert_eq!(c.lookup("a", MINUTE - 1), Lookup::Fresh(json!(1)));
        assert_eq!(
            c.lookup("a", MINUTE),
            Lookup::Stale {
                value: json!(1),
                refresh: true
            }
        );
        // Everyone else keeps the old figures while that one refreshes.
        assert_eq!(
            c.lookup("a", MINUTE + 1),
            Lookup::Stale {
                value: json!(1),
                refresh: false
            }
        );
        c.put("a".into(), MINUTE + 2, json!(2));
        assert_eq!(c.lookup("a", MINUTE + 3), Lookup::Fresh(json!(2)));
        // Too old to show at all.
        assert_eq!(c.lookup("a", 61 * MINUTE + 2), Lookup::Missing);
        // A clock set back does not serve figures "from the future".
        assert_eq!(c.lookup("a", 0), Lookup::Missing);
    }

    #[test]
    fn a_failed_refresh_lets_the_next_request_try() {
        let c = FigureCache::default();
        c.put("a".into(), 0, json!(1));
        assert!(matches!(
            c.lookup("a", MINUTE),
            Lookup::Stale { refresh: true, .. }
        ));
        c.release("a");
        assert!(matches!(
            c.lookup("a", MINUTE),
            Lookup::Stale { refresh: true, .. }
        ));
    }

    #[test]
    fn size_is_bounded() {
        let c = FigureCache::default();
        for i in 0..MAX_ENTRIES {
            c.put(format!("k{i}"), 0, json!(i));
        }
        c.put("late".into(), STALE_MICROS, json!(0));
        assert_eq!(c.with(|m| m.len()), 1);
    }
}
