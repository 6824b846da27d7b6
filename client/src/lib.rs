//! # payclient
//!
//! Typed clients for four payment products: Cybersource Flex API v2,
//! the Cybersource Passkey Service, Cybersource Intelligent Commerce and
//! Checkout.com Flow payment sessions. Each product is a cargo feature (all on
//! by default), and a service compiles only its vendor's code and
//! dependencies.
//!
//! ## How a call travels
//!
//! A product client (`FlexClient`, `PasskeyClient`,
//! `IntelligentCommerceClient`, `CheckoutClient`) checks what it is asked
//! against the product's rules, then hands the generated request to its
//! vendor's [`Pipeline`] ([`payclient_core`]). The pipeline runs each
//! attempt through the generated client: the hooks check the path, let the
//! vendor sign or encrypt (a request that cannot be is never sent), send it
//! once without following redirects, and read the answer under its body
//! limit; the pipeline classifies the outcome, retries only what is safe
//! to repeat, and returns a typed [`Reply`] or [`Error`].
//!
//! ## Requests are checked before anything is sent
//!
//! ```
//! use payclient::checkout::types::CreatePaymentSessionRequest;
//!
//! let request: Result<CreatePaymentSessionRequest, _> = payclient::request_from_json(serde_json::json!({
//!     "amount": 1000,
//!     "currency": "GBP",
//!     "billing": {"address": {"country": "GB"}},
//!     "success_url": "https://example.com/ok",
//!     "failure_url": "https://example.com/failed",
//!     "processing_channel_id": "pc_ovo75iz4hdyudnx6tu74mum3fq",
//! }));
//! assert!(request.is_ok());
//!
//! // A request that breaks a documented constraint names the field.
//! let err = payclient::request_from_json::<CreatePaymentSessionRequest>(serde_json::json!({
//!     "amount": 1000, "currency": "GBP", "billing": {"address": {}},
//!     "success_url": "https://example.com/ok", "failure_url": "https://example.com/failed",
//!     "processing_channel_id": "pc_123",
//! }))
//! .unwrap_err();
//! assert_eq!(err.field, "processing_channel_id");
//! ```
//!
//! ## A configuration that cannot work is refused when it is built
//!
//! ```
//! # #[cfg(feature = "cybersource-passkey")] {
//! use payclient::cybersource::CybersourceConfig;
//! use payclient::secrecy::SecretString;
//!
//! let err = CybersourceConfig::builder()
//!     .merchant_id("test_merchant")
//!     .key_id("key")
//!     .shared_secret(SecretString::from("this is not base64"))
//!     .build()
//!     .unwrap_err();
//! assert_eq!(err.to_string(), "`shared_secret` is not base64");
//! # }
//! ```

#![warn(missing_docs)]

/// The core every product client runs on.
pub use payclient_core;
/// The HTTP client crate whose types appear in payclient's signatures
/// (`reqwest::ClientBuilder` for `http_client_builder`).
pub use payclient_core::reqwest;
pub use payclient_core::{
    ApiError, Attempt, AttemptObserver, ConfigError, DecodeError, Error, HookError, Hooks,
    MandateLimit, MandateViolation, MessageEncryption, Operation, Pipeline, RedirectError, Reply,
    ResponseLimits, ResponseTooLarge, RetryPolicy, Sensitive, TransportError, TransportErrorKind,
    UnknownMember, ValidationError, VerificationError, WorkflowError,
};
/// The secret-holding types of payclient's signatures (`SecretString`).
pub use secrecy;

/// Where the time comes from: the system clock by default, a fixed or
/// stepped one in tests.
pub type Clock = std::sync::Arc<dyn Fn() -> std::time::SystemTime + Send + Sync>;

/// Seconds since the epoch; 0 before it, saturating far after it.
#[cfg(feature = "cybersource")]
pub(crate) fn unix_seconds(time: std::time::SystemTime) -> i64 {
    time.duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A random (version 4) UUID from the operating system's generator: JWT
/// `jti`s, correlation ids, mandate ids.
#[cfg(feature = "cybersource")]
pub(crate) fn random_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(any(
    feature = "cybersource-passkey",
    feature = "cybersource-intelligent-commerce"
))]
mod amount;
#[cfg(feature = "cybersource")]
pub mod cybersource;
mod fields;
#[cfg(feature = "cybersource")]
mod jose;

#[cfg(any(
    feature = "cybersource-passkey",
    feature = "cybersource-intelligent-commerce"
))]
pub use amount::Amount;
pub use fields::request_from_json;

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

#[cfg(feature = "checkout-flow")]
pub use checkout::{CheckoutClient, CheckoutConfig};
