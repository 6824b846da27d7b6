//! The Flex public keys, cached per (host, kid).
//!
//! Transient tokens come from the browser, so anyone can make a merchant's
//! server validate a token naming any `kid`. The cache keeps that from
//! turning into traffic towards the vendor or into waiting:
//! - callers asking for the same kid share one fetch and its outcome (a
//!   stalled key endpoint stalls them once, together, not one after another);
//! - a failed fetch (an unknown kid, an error) is remembered for
//!   [`KeyCacheSettings::failure_ttl`] and answered from memory;
//! - a key that fails to verify is fetched again (the vendor may have
//!   rotated it) at most once per [`KeyCacheSettings::refresh_interval`];
//! - all fetches share a budget of [`KeyCacheSettings::fetches_per_minute`];
//! - at most [`KeyCacheSettings::max_kids`] kids are held, failures and
//!   expired keys evicted first, then the least recently used.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use futures::FutureExt as _;
use futures::future::{BoxFuture, Shared};

use payclient_core::Error;

/// A verification key from `GET /flex/v2/public-keys/{kid}`.
pub(crate) struct VerificationKey {
    key: ParsedPublicKey,
}

impl VerificationKey {
    /// From an RSA JWK's `n` and `e` (base64url). RSA keys of 2048 to 8192 bits only.
    pub(crate) fn from_jwk(kty: &str, n: &str, e: &str) -> Option<Self> {
        if kty != "RSA" {
            return None;
        }
        let n = crate::jose::b64url_decode(n)?;
        let e = crate::jose::b64url_decode(e)?;
        let key = RsaPublicKeyComponents {
            n: n.as_slice(),
            e: e.as_slice(),
        }
        .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
        .ok()?;
        Some(Self { key })
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 over `message`.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.key.verify_sig(message, signature).is_ok()
    }
}

/// One key fetch, owned so that any caller waiting on it can drive it.
pub(crate) type Fetch = BoxFuture<'static, Result<VerificationKey, Error>>;

type SharedFetch = Shared<BoxFuture<'static, Result<Arc<VerificationKey>, Error>>>;

/// The cache's bounds (set through `FlexOptions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyCacheSettings {
    /// How long a fetched key is used.
    pub ttl: Duration,
    /// How long a failed fetch is answered from memory.
    pub failure_ttl: Duration,
    /// The least time between two fetches of one kid after a signature failed.
    pub refresh_interval: Duration,
    /// The most kids held.
    pub max_kids: usize,
    /// The most fetches started in any one minute.
    pub fetches_per_minute: u32,
}

struct Entry {
    key: Option<(Arc<VerificationKey>, Instant)>,
    failure: Option<(Error, Instant)>,
    in_flight: Option<SharedFetch>,
    last_fetch: Option<Instant>,
    last_used: Instant,
}

impl Entry {
    fn new(now: Instant) -> Self {
        Self {
            key: None,
            failure: None,
            in_flight: None,
            last_fetch: None,
            last_used: now,
        }
    }
}

/// Keyed by host, then kid, so that a lookup allocates nothing.
struct State {
    hosts: HashMap<String, HashMap<String, Entry>>,
    kids: usize,
    window_started: Instant,
    fetches_in_window: u32,
}

impl State {
    fn entry(&mut self, host: &str, kid: &str) -> Option<&mut Entry> {
        self.hosts.get_mut(host)?.get_mut(kid)
    }

    /// One fetch from the per-minute budget, if any is left.
    fn take_budget(&mut self, now: Instant, per_minute: u32) -> bool {
        if now.duration_since(self.window_started) >= Duration::from_secs(60) {
            self.window_started = now;
            self.fetches_in_window = 0;
        }
        if self.fetches_in_window >= per_minute {
            return false;
        }
        self.fetches_in_window += 1;
        true
    }

    /// Makes room for one more kid: a kid without a usable key goes first,
    /// then the least recently used; a kid with a fetch in flight stays.
    fn evict_one(&mut self, now: Instant, ttl: Duration) {
        let victim = self
            .hosts
            .iter()
            .flat_map(|(host, kids)| kids.iter().map(move |(kid, e)| (host, kid, e)))
            .filter(|(_, _, e)| e.in_flight.is_none())
            .min_by_key(|(_, _, e)| {
                let usable = e
                    .key
                    .as_ref()
                    .is_some_and(|(_, at)| now.duration_since(*at) < ttl);
                (usable, e.last_used)
            })
            .map(|(host, kid, _)| (host.clone(), kid.clone()));
        if let Some((host, kid)) = victim {
            self.remove(&host, &kid);
        }
    }

    fn remove(&mut self, host: &str, kid: &str) {
        if let Some(kids) = self.hosts.get_mut(host) {
            if kids.remove(kid).is_some() {
                self.kids -= 1;
            }
            if kids.is_empty() {
                self.hosts.remove(host);
            }
        }
    }
}

/// What a lookup does next, decided under the lock.
enum Next {
    Key(Arc<VerificationKey>),
    Wait(SharedFetch),
    Fail(Error),
    Fetch,
    /// For a refresh: the kid was fetched too recently to fetch it again.
    NotNow,
}

/// The cache; shared by every validation of one client.
pub(crate) struct KeyCache {
    settings: KeyCacheSettings,
    state: Mutex<State>,
}

impl KeyCache {
    pub(crate) fn new(settings: KeyCacheSettings) -> Self {
        Self {
            settings,
            state: Mutex::new(State {
                hosts: HashMap::new(),
                kids: 0,
                window_started: Instant::now(),
                fetches_in_window: 0,
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        match self.state.lock() {
            Ok(state) => state,
            // Nothing here panics while holding the lock; if something did,
            // the map is still consistent enough to use.
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The cached key, a shared fetch's outcome, a remembered failure, or a
    /// new fetch made with `fetch`.
    pub(crate) async fn get(
        &self,
        host: &str,
        kid: &str,
        fetch: impl FnOnce() -> Fetch,
    ) -> Result<Arc<VerificationKey>, Error> {
        let next = {
            let mut state = self.state();
            let now = Instant::now();
            match state.entry(host, kid) {
                None => Next::Fetch,
                Some(entry) => {
                    entry.last_used = now;
                    self.reuse(entry, now).unwrap_or(Next::Fetch)
                }
            }
        };
        // Only a refresh decides "not now"; were it to come here, it is a
        // key that cannot be had, not a panic.
        self.follow(next, host, kid, fetch)
            .await?
            .ok_or_else(|| crate::jose::refuse("Flex key", "cannot be fetched now"))
    }

    /// After `stale` failed to verify: the key that replaced it, or a fresh
    /// fetch unless this kid was fetched less than `refresh_interval` ago
    /// (then `None`: there is nothing newer to try).
    pub(crate) async fn refresh(
        &self,
        host: &str,
        kid: &str,
        stale: &Arc<VerificationKey>,
        fetch: impl FnOnce() -> Fetch,
    ) -> Result<Option<Arc<VerificationKey>>, Error> {
        let next = {
            let mut state = self.state();
            let now = Instant::now();
            let refresh_interval = self.settings.refresh_interval;
            match state.entry(host, kid) {
                None => Next::Fetch,
                Some(entry) => match (&entry.key, &entry.in_flight, entry.last_fetch) {
                    (Some((key, _)), _, _) if !Arc::ptr_eq(key, stale) => Next::Key(key.clone()),
                    (_, Some(in_flight), _) => Next::Wait(in_flight.clone()),
                    (_, _, Some(at)) if now.duration_since(at) < refresh_interval => Next::NotNow,
                    _ => self.remembered_failure(entry, now).unwrap_or(Next::Fetch),
                },
            }
        };
        self.follow(next, host, kid, fetch).await
    }

    /// A usable key, a fetch to join or a failure to repeat, if the entry has one.
    fn reuse(&self, entry: &Entry, now: Instant) -> Option<Next> {
        if let Some((key, at)) = &entry.key
            && now.duration_since(*at) < self.settings.ttl
        {
            return Some(Next::Key(key.clone()));
        }
        if let Some(in_flight) = &entry.in_flight {
            return Some(Next::Wait(in_flight.clone()));
        }
        self.remembered_failure(entry, now)
    }

    fn remembered_failure(&self, entry: &Entry, now: Instant) -> Option<Next> {
        let (error, at) = entry.failure.as_ref()?;
        (now.duration_since(*at) < self.settings.failure_ttl).then(|| Next::Fail(error.clone()))
    }

    async fn follow(
        &self,
        next: Next,
        host: &str,
        kid: &str,
        fetch: impl FnOnce() -> Fetch,
    ) -> Result<Option<Arc<VerificationKey>>, Error> {
        let shared = match next {
            Next::Key(key) => return Ok(Some(key)),
            Next::Fail(error) => return Err(error),
            Next::NotNow => return Ok(None),
            Next::Wait(shared) => shared,
            Next::Fetch => match self.start(host, kid, fetch) {
                Ok(shared) => shared,
                Err(error) => return Err(error),
            },
        };
        let outcome = shared.clone().await;
        self.settle(host, kid, &shared, &outcome);
        outcome.map(Some)
    }

    /// Starts a fetch for `kid` (budget permitting) and records it in flight.
    fn start(
        &self,
        host: &str,
        kid: &str,
        fetch: impl FnOnce() -> Fetch,
    ) -> Result<SharedFetch, Error> {
        let mut state = self.state();
        let now = Instant::now();
        // Another caller may have started one since this one looked.
        if let Some(in_flight) = state.entry(host, kid).and_then(|e| e.in_flight.clone()) {
            return Ok(in_flight);
        }
        if !state.take_budget(now, self.settings.fetches_per_minute) {
            return Err(crate::jose::refuse(
                "Flex key",
                "cannot be fetched now: too many key fetches this minute (FlexOptions::key_fetches_per_minute)",
            ));
        }
        if state.entry(host, kid).is_none() {
            while state.kids >= self.settings.max_kids.max(1) {
                let before = state.kids;
                state.evict_one(now, self.settings.ttl);
                if state.kids == before {
                    break;
                }
            }
            state
                .hosts
                .entry(host.to_owned())
                .or_default()
                .insert(kid.to_owned(), Entry::new(now));
            state.kids += 1;
        }
        let shared = fetch().map(|r| r.map(Arc::new)).boxed().shared();
        if let Some(entry) = state.entry(host, kid) {
            entry.in_flight = Some(shared.clone());
            entry.last_fetch = Some(now);
            entry.last_used = now;
        }
        Ok(shared)
    }

    /// Records a finished fetch, once (the first waiter to finish does it).
    fn settle(
        &self,
        host: &str,
        kid: &str,
        shared: &SharedFetch,
        outcome: &Result<Arc<VerificationKey>, Error>,
    ) {
        let mut state = self.state();
        let now = Instant::now();
        let Some(entry) = state.entry(host, kid) else {
            return;
        };
        if !entry.in_flight.as_ref().is_some_and(|f| f.ptr_eq(shared)) {
            return;
        }
        entry.in_flight = None;
        // The refresh interval runs from when the vendor last answered.
        entry.last_fetch = Some(now);
        match outcome {
            Ok(key) => {
                entry.key = Some((key.clone(), now));
                entry.failure = None;
            }
            Err(error) => entry.failure = Some((error.clone(), now)),
        }
    }

    /// How many kids are held (for tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.state().kids
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::rsa::{KeyPair, KeySize, PublicKeyComponents};
    use aws_lc_rs::signature::KeyPair as _;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A real RSA key (generated once: key generation is slow), parsed anew
    /// for each fetch as the client does.
    fn key() -> VerificationKey {
        static JWK: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
        let (n, e) = JWK.get_or_init(|| {
            let pair = KeyPair::generate(KeySize::Rsa2048).expect("key");
            let c = PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
            (crate::jose::b64url(&c.n), crate::jose::b64url(&c.e))
        });
        VerificationKey::from_jwk("RSA", n, e).expect("jwk")
    }

    fn settings() -> KeyCacheSettings {
        KeyCacheSettings {
            ttl: Duration::from_secs(3600),
            failure_ttl: Duration::from_secs(30),
            refresh_interval: Duration::from_secs(60),
            max_kids: 4,
            fetches_per_minute: 100,
        }
    }

    fn missing() -> Error {
        crate::jose::refuse("test token", "names a key the vendor does not have")
    }

    /// A fetch that counts itself and answers `ok` (a new key) or `missing`.
    fn counted(count: &Arc<AtomicUsize>, ok: bool) -> impl FnOnce() -> Fetch + use<> {
        let count = count.clone();
        move || {
            Box::pin(async move {
                count.fetch_add(1, Ordering::SeqCst);
                if ok { Ok(key()) } else { Err(missing()) }
            })
        }
    }

    #[tokio::test]
    async fn a_failed_fetch_is_remembered_and_a_key_is_reused() {
        let cache = KeyCache::new(settings());
        let fetches = Arc::new(AtomicUsize::new(0));
        for _ in 0..5 {
            assert!(
                cache
                    .get("h", "unknown", counted(&fetches, false))
                    .await
                    .is_err()
            );
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1, "one fetch, then memory");
        let first = cache
            .get("h", "k", counted(&fetches, true))
            .await
            .expect("key");
        let again = cache
            .get("h", "k", counted(&fetches, true))
            .await
            .expect("key");
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_fetch_and_its_failure() {
        let cache = Arc::new(KeyCache::new(settings()));
        let fetches = Arc::new(AtomicUsize::new(0));
        let gate = Arc::new(tokio::sync::Notify::new());
        let waiters: Vec<_> = (0..20)
            .map(|_| {
                let (cache, fetches, gate) = (cache.clone(), fetches.clone(), gate.clone());
                tokio::spawn(async move {
                    cache
                        .get("h", "slow", move || {
                            Box::pin(async move {
                                fetches.fetch_add(1, Ordering::SeqCst);
                                gate.notified().await;
                                Err::<VerificationKey, _>(missing())
                            })
                        })
                        .await
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(50)).await;
        gate.notify_waiters();
        for waiter in waiters {
            assert!(waiter.await.expect("task").is_err());
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_dropped_first_caller_leaves_the_fetch_to_the_next() {
        let cache = KeyCache::new(settings());
        let fetches = Arc::new(AtomicUsize::new(0));
        let counter = fetches.clone();
        // The first caller gives up before its fetch finishes.
        let first = cache.get("h", "k", move || {
            Box::pin(async move {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(30)).await;
                Ok(key())
            })
        });
        assert!(
            tokio::time::timeout(Duration::from_millis(5), first)
                .await
                .is_err()
        );
        cache
            .get("h", "k", counted(&fetches, true))
            .await
            .expect("key");
        assert_eq!(
            fetches.load(Ordering::SeqCst),
            1,
            "the second caller joined the first fetch"
        );
    }

    #[tokio::test]
    async fn refreshes_are_limited_per_kid() {
        let cache = KeyCache::new(KeyCacheSettings {
            refresh_interval: Duration::from_millis(200),
            ..settings()
        });
        let fetches = Arc::new(AtomicUsize::new(0));
        let first = cache
            .get("h", "k", counted(&fetches, true))
            .await
            .expect("key");
        // Fetched just now: a failed signature does not fetch again.
        for _ in 0..10 {
            let refreshed = cache
                .refresh("h", "k", &first, counted(&fetches, true))
                .await;
            assert!(
                matches!(refreshed, Ok(None)),
                "{:?}",
                refreshed.map(|k| k.is_some())
            );
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        tokio::time::sleep(Duration::from_millis(250)).await;
        let fresh = cache
            .refresh("h", "k", &first, counted(&fetches, true))
            .await
            .expect("fetched")
            .expect("a new key");
        assert!(!Arc::ptr_eq(&first, &fresh));
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
        // Another caller with the old key gets the new one, without a fetch.
        let theirs = cache
            .refresh("h", "k", &first, counted(&fetches, true))
            .await
            .expect("cached")
            .expect("the new key");
        assert!(Arc::ptr_eq(&fresh, &theirs));
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn the_cache_is_bounded_and_keeps_working_keys_longest() {
        let cache = KeyCache::new(settings());
        let fetches = Arc::new(AtomicUsize::new(0));
        let kept = cache
            .get("h", "good", counted(&fetches, true))
            .await
            .expect("key");
        for i in 0..50 {
            let _ = cache
                .get("h", &format!("unknown-{i}"), counted(&fetches, false))
                .await;
            assert!(cache.len() <= 4);
        }
        let again = cache
            .get("h", "good", counted(&fetches, true))
            .await
            .expect("key");
        assert!(Arc::ptr_eq(&kept, &again), "failures were evicted first");
    }

    #[tokio::test]
    async fn fetches_share_a_budget_per_minute() {
        let cache = KeyCache::new(KeyCacheSettings {
            fetches_per_minute: 3,
            max_kids: 100,
            ..settings()
        });
        let fetches = Arc::new(AtomicUsize::new(0));
        let mut refused = 0;
        for i in 0..20 {
            if let Err(Error::Verification(v)) = cache
                .get("h", &format!("kid-{i}"), counted(&fetches, false))
                .await
                && v.reason.contains("too many key fetches")
            {
                refused += 1;
            }
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 3);
        assert_eq!(refused, 17);
    }
}
