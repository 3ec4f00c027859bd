//! In-process cache of validated tokens, keyed by the SHA-256 of the token so that no token is
//! kept in memory longer than the request that carried it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use sha2::{Digest, Sha256};

use super::context::Identity;

/// Entries beyond this count trigger a sweep of expired entries before an insert.
const SWEEP_THRESHOLD: usize = 10_000;

pub type TokenKey = [u8; 32];

pub fn token_key(token: &str) -> TokenKey {
    Sha256::digest(token.as_bytes()).into()
}

struct Entry {
    identity: Arc<Identity>,
    valid_until: Instant,
}

/// Valid tokens only: an invalid token is never cached, so it is checked again on every
/// request, as keystonemiddleware does.
pub struct TokenCache {
    lifetime: Option<Duration>,
    entries: Mutex<HashMap<TokenKey, Entry>>,
}

impl TokenCache {
    /// `token_cache_time` in seconds; a negative value disables the cache.
    pub fn new(token_cache_time: i64) -> Self {
        let lifetime = u64::try_from(token_cache_time)
            .ok()
            .map(Duration::from_secs);
        Self {
            lifetime,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, key: &TokenKey) -> Option<Arc<Identity>> {
        let mut entries = self.entries.lock().expect("token cache lock poisoned");
        match entries.get(key) {
            Some(entry) if entry.valid_until > Instant::now() => Some(entry.identity.clone()),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    /// Store `identity` for min(`token_cache_time`, time left until the token's `expires_at`).
    pub fn insert(&self, key: TokenKey, identity: Arc<Identity>) {
        let Some(lifetime) = self.lifetime else {
            return;
        };
        let left = (identity.expires_at - Utc::now())
            .to_std()
            .unwrap_or(Duration::ZERO);
        let ttl = lifetime.min(left);
        if ttl.is_zero() {
            return;
        }
        let now = Instant::now();
        let mut entries = self.entries.lock().expect("token cache lock poisoned");
        if entries.len() >= SWEEP_THRESHOLD {
            entries.retain(|_, entry| entry.valid_until > now);
        }
        entries.insert(
            key,
            Entry {
                identity,
                valid_until: now + ttl,
            },
        );
    }

    pub fn len(&self) -> usize {
        self.entries
            .lock()
            .expect("token cache lock poisoned")
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity_expiring_in(seconds: i64) -> Arc<Identity> {
        Arc::new(Identity {
            user_id: "u".into(),
            user_name: "user".into(),
            user_domain_id: "default".into(),
            project_id: Some("p".into()),
            project_name: Some("project".into()),
            project_domain_id: Some("default".into()),
            domain_id: None,
            system_scope: false,
            roles: vec!["member".into()],
            expires_at: Utc::now() + chrono::Duration::seconds(seconds),
        })
    }

    #[test]
    fn valid_token_is_served_from_cache() {
        let cache = TokenCache::new(300);
        let key = token_key("abc");
        cache.insert(key, identity_expiring_in(3600));
        assert!(cache.get(&key).is_some());
        assert!(cache.get(&token_key("other")).is_none());
    }

    #[test]
    fn negative_cache_time_disables_cache() {
        let cache = TokenCache::new(-1);
        let key = token_key("abc");
        cache.insert(key, identity_expiring_in(3600));
        assert!(cache.get(&key).is_none());
    }

    #[test]
    fn entry_never_outlives_token_expiry() {
        let cache = TokenCache::new(300);
        let key = token_key("short");
        cache.insert(key, identity_expiring_in(1));
        assert!(cache.get(&key).is_some());
        std::thread::sleep(Duration::from_millis(1100));
        assert!(cache.get(&key).is_none());
    }

    #[test]
    fn expired_token_is_not_stored() {
        let cache = TokenCache::new(300);
        cache.insert(token_key("old"), identity_expiring_in(-5));
        assert!(cache.is_empty());
    }
}
