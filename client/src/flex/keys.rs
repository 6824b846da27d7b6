//! The Flex public keys, cached per (host, kid) with a time to live. Misses
//! for one kid wait for a single request; a key that fails to verify is
//! fetched again once, in case it was rotated.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};

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

type SharedSlot = Arc<tokio::sync::Mutex<Slot>>;

struct Slot {
    key: Option<(Arc<VerificationKey>, Instant)>,
}

fn store(slot: &mut Slot, key: VerificationKey) -> Result<Arc<VerificationKey>, crate::Error> {
    let key = Arc::new(key);
    slot.key = Some((key.clone(), Instant::now()));
    Ok(key)
}

/// The cache; shared by every validation of one client. Keyed by host, then
/// kid, so that a lookup allocates nothing.
pub(crate) struct KeyCache {
    ttl: Duration,
    slots: Mutex<HashMap<String, HashMap<String, SharedSlot>>>,
}

impl KeyCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            slots: Mutex::new(HashMap::new()),
        }
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, HashMap<String, HashMap<String, SharedSlot>>> {
        match self.slots.lock() {
            Ok(slots) => slots,
            // A panic elsewhere while holding the lock leaves the map usable.
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn slot(&self, host: &str, kid: &str) -> SharedSlot {
        let mut slots = self.slots();
        if let Some(slot) = slots.get(host).and_then(|kids| kids.get(kid)) {
            return slot.clone();
        }
        slots
            .entry(host.to_owned())
            .or_default()
            .entry(kid.to_owned())
            .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(Slot { key: None })))
            .clone()
    }

    /// Drops the slot of a kid whose first fetch failed, so that kids the
    /// vendor does not have (a token may name any) do not pile up.
    fn forget(&self, host: &str, kid: &str, slot: &SharedSlot) {
        let mut slots = self.slots();
        if let Some(kids) = slots.get_mut(host)
            && kids.get(kid).is_some_and(|s| Arc::ptr_eq(s, slot))
        {
            kids.remove(kid);
            if kids.is_empty() {
                slots.remove(host);
            }
        }
    }

    /// Fetches into `slot`; a failed first fetch forgets the slot.
    async fn fill<F, Fut>(
        &self,
        host: &str,
        kid: &str,
        shared: &SharedSlot,
        slot: &mut Slot,
        fetch: F,
    ) -> Result<Arc<VerificationKey>, crate::Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<VerificationKey, crate::Error>>,
    {
        match fetch().await {
            Ok(key) => store(slot, key),
            Err(error) => {
                if slot.key.is_none() {
                    self.forget(host, kid, shared);
                }
                Err(error)
            }
        }
    }

    /// How many kids have a slot (for tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.slots().values().map(HashMap::len).sum()
    }

    /// The cached key, or the one `fetch` returns (one fetch per kid at a time).
    pub(crate) async fn get<F, Fut>(
        &self,
        host: &str,
        kid: &str,
        fetch: F,
    ) -> Result<Arc<VerificationKey>, crate::Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<VerificationKey, crate::Error>>,
    {
        let shared = self.slot(host, kid);
        let mut slot = shared.lock().await;
        if let Some((key, fetched)) = &slot.key
            && fetched.elapsed() < self.ttl
        {
            return Ok(key.clone());
        }
        self.fill(host, kid, &shared, &mut slot, fetch).await
    }

    /// After `stale` failed to verify: a fresh key, unless another caller has
    /// already replaced it (then that one).
    pub(crate) async fn refresh<F, Fut>(
        &self,
        host: &str,
        kid: &str,
        stale: &Arc<VerificationKey>,
        fetch: F,
    ) -> Result<Arc<VerificationKey>, crate::Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<VerificationKey, crate::Error>>,
    {
        let shared = self.slot(host, kid);
        let mut slot = shared.lock().await;
        if let Some((key, _)) = &slot.key
            && !Arc::ptr_eq(key, stale)
        {
            return Ok(key.clone());
        }
        self.fill(host, kid, &shared, &mut slot, fetch).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::rsa::{KeyPair, KeySize, PublicKeyComponents};
    use aws_lc_rs::signature::KeyPair as _;

    fn key() -> VerificationKey {
        let pair = KeyPair::generate(KeySize::Rsa2048).expect("key");
        let c = PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
        VerificationKey::from_jwk(
            "RSA",
            &crate::jose::b64url(&c.n),
            &crate::jose::b64url(&c.e),
        )
        .expect("jwk")
    }

    fn missing() -> crate::Error {
        crate::jose::refuse("test token", "names a key the vendor does not have")
    }

    #[tokio::test]
    async fn kids_whose_fetch_fails_leave_no_slot() {
        let cache = KeyCache::new(Duration::from_secs(60));
        for kid in ["a", "b", "c"] {
            let result = cache
                .get("host", kid, || async {
                    Err::<VerificationKey, _>(missing())
                })
                .await;
            assert!(result.is_err());
        }
        assert_eq!(cache.len(), 0);

        let first = cache
            .get("host", "known", || async { Ok(key()) })
            .await
            .expect("fetched");
        let again = cache
            .get("host", "known", || async {
                panic!("cached: no second fetch")
            })
            .await
            .expect("cached");
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(cache.len(), 1);

        // A failed refresh keeps the key already held.
        let refreshed = cache
            .refresh("host", "known", &first, || async {
                Err::<VerificationKey, _>(missing())
            })
            .await;
        assert!(refreshed.is_err());
        assert_eq!(cache.len(), 1);
        let kept = cache
            .get("host", "known", || async { panic!("still cached") })
            .await
            .expect("kept");
        assert!(Arc::ptr_eq(&first, &kept));
    }
}
