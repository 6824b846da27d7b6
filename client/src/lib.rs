//! # payclient
//!
//! Typed clients for four payment products: Cybersource Flex API v2,
//! the Cybersource Passkey Service, Cybersource Intelligent Commerce and
//! Checkout.com Flow payment sessions. Each product is a cargo feature (all on
//! by default), so a service compiles only what it uses.
//!
//! ## Quick start
//!
//! Every product exposes its generated raw client as `raw`. Requests are typed
//! and checked against the spec's constraints before anything is sent:
//!
//! ```
//! use payclient::checkout::raw::types::CreatePaymentSessionRequest;
//!
//! let request: Result<CreatePaymentSessionRequest, _> = serde_json::from_value(serde_json::json!({
//!     "amount": 1000,
//!     "currency": "GBP",
//!     "billing": {"address": {"country": "GB"}},
//!     "success_url": "https://example.com/ok",
//!     "failure_url": "https://example.com/failed",
//!     "processing_channel_id": "pc_ovo75iz4hdyudnx6tu74mum3fq",
//! }));
//! assert!(request.is_ok());
//!
//! // A request that breaks a documented constraint is refused before sending.
//! let too_short: Result<CreatePaymentSessionRequest, _> = serde_json::from_value(serde_json::json!({
//!     "amount": 1000, "currency": "GBP", "billing": {"address": {}},
//!     "success_url": "https://example.com/ok", "failure_url": "https://example.com/failed",
//!     "processing_channel_id": "pc_123",
//! }));
//! assert!(too_short.is_err());
//!
//! // A client routes every request through `Hooks`, where signing and
//! // encryption are installed; `Hooks::none()` sends requests as generated.
//! let client = payclient::checkout::raw::Client::new(
//!     "https://00000000.api.sandbox.checkout.com",
//!     payclient::Hooks::none(),
//! );
//! let _builder = client.get_payment_session().id("ps_2Un6XkDzvnbzYFRTfBlG1xRQIXn");
//! ```
//!
//! ## Calling Cybersource
//!
//! A [`cybersource::CybersourceClient`] signs every request (JWT with the
//! shared secret by default, HTTP Signature or a P12 certificate on request),
//! encrypts bodies where the vendor requires message-level encryption,
//! retries only what is safe to repeat, and maps failures onto [`Error`]:
//!
//! ```
//! use payclient::cybersource::{Authentication, CybersourceClient, CybersourceConfig, Environment};
//! use secrecy::SecretString;
//!
//! let config = CybersourceConfig::builder()
//!     .merchant_id("test_merchant")
//!     .key_id("08c94330-f618-42a3-b09d-e1e43be5efda")
//!     .shared_secret(SecretString::from("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="))
//!     .environment(Environment::Test)
//!     .authentication(Authentication::JwtSharedSecret)
//!     .build()?;
//! let client = CybersourceClient::new(config);
//! let flex = client.flex();
//! // client.send("get_public_key", flex.get_public_key().kid("zu").send()).await?
//! # let _ = flex;
//! # Ok::<(), payclient::ConfigError>(())
//! ```
//!
//! A configuration that cannot work is refused when it is built:
//!
//! ```
//! use payclient::cybersource::CybersourceConfig;
//! use secrecy::SecretString;
//!
//! let err = CybersourceConfig::builder()
//!     .merchant_id("test_merchant")
//!     .key_id("key")
//!     .shared_secret(SecretString::from("this is not base64"))
//!     .build()
//!     .unwrap_err();
//! assert_eq!(err.to_string(), "`shared_secret` is not base64");
//! ```
//!
//! ## Layers
//!
//! - `raw`: the clients `cargo xtask regen` generates from `specs/` (one crate
//!   per product under `generated/`). Never edited by hand.
//! - [`Hooks`] / [`RequestHook`]: the seam through which `payclient` signs,
//!   encrypts, retries and traces every generated request.

#![warn(missing_docs)]

pub use payclient_runtime::{
    BoxFuture, HookError, Hooks, MessageEncryption, Operation, RequestHook, Sensitive,
    UnknownMember,
};

/// Where the time comes from: the system clock by default, a fixed or
/// stepped one in tests.
pub type Clock = std::sync::Arc<dyn Fn() -> std::time::SystemTime + Send + Sync>;

/// Seconds since the epoch; 0 before it, saturating far after it.
pub(crate) fn unix_seconds(time: std::time::SystemTime) -> i64 {
    time.duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A random (version 4) UUID from aws-lc's generator (which reseeds from
/// the OS on its own schedule), through the per-thread batch of [`id_pool`].
pub(crate) fn random_uuid() -> String {
    match id_pool::take() {
        Some(bytes) => {
            let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
            uuid::Builder::from_random_bytes(bytes)
                .into_uuid()
                .hyphenated()
                .encode_lower(&mut text)
                .to_owned()
        }
        // Only without a working OS generator; uuid then asks the OS itself.
        None => uuid::Uuid::new_v4().to_string(),
    }
}

/// Random bytes for ids (JWT `jti`, correlation ids, mandate ids), drawn
/// from aws-lc a batch at a time: one draw costs about as much as a
/// Cybersource call's HMAC and digest together (it checks for fork and
/// reseeds), and a call needs two ids. Ids are public once sent, so holding
/// the next few in memory exposes nothing; each is handed out once.
mod id_pool {
    use std::cell::RefCell;

    const IDS: usize = 16;

    struct Pool {
        bytes: [[u8; 16]; IDS],
        next: usize,
        /// The process that drew `bytes`: a forked child must not reuse
        /// its parent's ids, so it draws afresh.
        pid: u32,
    }

    thread_local! {
        static POOL: RefCell<Pool> = const {
            RefCell::new(Pool { bytes: [[0; 16]; IDS], next: IDS, pid: 0 })
        };
    }

    /// 16 fresh random bytes, or `None` if the generator fails.
    pub(crate) fn take() -> Option<[u8; 16]> {
        POOL.with_borrow_mut(|pool| {
            let pid = std::process::id();
            if pool.next == IDS || pool.pid != pid {
                aws_lc_rs::rand::fill(pool.bytes.as_flattened_mut()).ok()?;
                pool.next = 0;
                pool.pid = pid;
            }
            let id = pool.bytes[pool.next];
            pool.next += 1;
            Some(id)
        })
    }

    #[cfg(test)]
    mod tests {
        use std::collections::HashSet;

        #[test]
        fn ids_are_distinct_across_refills_and_threads() {
            let mine: Vec<[u8; 16]> = (0..100).map(|_| super::take().expect("rng")).collect();
            let theirs: Vec<[u8; 16]> =
                std::thread::spawn(|| (0..100).map(|_| super::take().expect("rng")).collect())
                    .join()
                    .expect("thread");
            let all: HashSet<[u8; 16]> = mine.iter().chain(&theirs).copied().collect();
            assert_eq!(all.len(), 200);
        }
    }
}

mod amount;
mod call;
pub mod cybersource;
mod error;
mod http;
mod jose;
pub mod retry;

pub use amount::Amount;
pub use call::Reply;
pub use error::{
    ApiError, ConfigError, DecodeError, Error, MandateLimit, MandateViolation, RedirectError,
    ResponseTooLarge, TransportError, TransportErrorKind, ValidationError, VendorErrorBody,
    VerificationError, WorkflowError,
};
pub use http::ResponseLimits;

#[cfg(feature = "checkout-flow")]
pub use checkout::{CheckoutClient, CheckoutConfig};

/// Builds a generated request type from JSON, naming the field path of the
/// first value that breaks the spec (`reference`, `items[2].unit_price`).
pub fn request_from_json<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
) -> Result<T, ValidationError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let field = e.path().to_string();
        let reason = match e.inner().classify() {
            serde_json::error::Category::Data => data_error_reason(&e.inner().to_string()),
            _ => "is not valid JSON".to_owned(),
        };
        ValidationError::new(
            if field == "." {
                "body".to_owned()
            } else {
                field
            },
            reason,
        )
    })
}

/// serde's data errors can quote the offending value (`invalid value: string
/// "4111…"`); keep only the part that states the rule.
fn data_error_reason(message: &str) -> String {
    if message.starts_with("unknown field")
        && let Some(expected) = message.split(", expected ").nth(1)
    {
        return format!("is not a field of this request (expected {expected})");
    }
    if let Some(expected) = message.split(", expected ").nth(1) {
        return format!("expected {expected}");
    }
    if message.contains('"') {
        "does not match the spec".to_owned()
    } else {
        message.to_owned()
    }
}

/// `User-Agent` of every request: payclient and its version.
pub const USER_AGENT: &str = concat!("payclient/", env!("CARGO_PKG_VERSION"));

/// Cybersource Flex API v2: capture contexts, public keys, transient tokens.
#[cfg(feature = "cybersource-flex")]
pub mod flex;

/// Cybersource Passkey Service for tokenized cards.
#[cfg(feature = "cybersource-passkey")]
pub mod passkey;

/// Cybersource Intelligent Commerce: agents buying under mandates.
#[cfg(feature = "cybersource-intelligent-commerce")]
pub mod intelligent_commerce;

/// Checkout.com Flow payment sessions: configuration and auth (secret key or
/// OAuth2), create / submit / get with the exact response bytes, typed
/// outcomes, errors and webhook verification.
#[cfg(feature = "checkout-flow")]
pub mod checkout;
