//! The Flex public keys, cached per (host, kid) with a time to live. Misses
//! for one kid wait for a single request; a key that fails to verify is
//! fetched again once, in case it was rotated.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

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
        let n = URL_SAFE_NO_PAD.decode(n).ok()?;
        let e = URL_SAFE_NO_PAD.decode(e).ok()?;
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

/// The cache; shared by every validation of one client.
pub(crate) struct KeyCache {
    ttl: Duration,
    slots: Mutex<HashMap<(String, String), SharedSlot>>,
}

impl KeyCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            slots: Mutex::new(HashMap::new()),
        }
    }

    fn slot(&self, host: &str, kid: &str) -> Arc<tokio::sync::Mutex<Slot>> {
        let mut slots = match self.slots.lock() {
            Ok(slots) => slots,
            // A panic elsewhere while holding the lock leaves the map usable.
            Err(poisoned) => poisoned.into_inner(),
        };
        slots
            .entry((host.to_owned(), kid.to_owned()))
            .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(Slot { key: None })))
            .clone()
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
        let slot = self.slot(host, kid);
        let mut slot = slot.lock().await;
        if let Some((key, fetched)) = &slot.key
            && fetched.elapsed() < self.ttl
        {
            return Ok(key.clone());
        }
        store(&mut slot, fetch().await?)
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
        let slot = self.slot(host, kid);
        let mut slot = slot.lock().await;
        if let Some((key, _)) = &slot.key
            && !Arc::ptr_eq(key, stale)
        {
            return Ok(key.clone());
        }
        store(&mut slot, fetch().await?)
    }
}
