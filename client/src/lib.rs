//! # payclient
//!
//! Typed clients for four payment products: Cybersource Flex API v2,
//! the Cybersource Passkey Service, Cybersource Intelligent Commerce and
//! Checkout.com Flow payment sessions. Each product is a cargo feature (all on
//! by default), and a service compiles only its vendor's code and
//! dependencies.
//!
//! ## Quick start
//!
//! ```toml
//! [dependencies]
//! payclient = "0.1"
//! tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
//! ```
//!
//! The clients are async and need a tokio runtime. Here against the local
//! sandbox (`payclient-sandbox`, a dev-dependency), which stands in for both
//! vendors; against the vendors, build the configurations with
//! `CheckoutConfig::from_env()` and `CybersourceConfig::from_env()`.
//!
//! ```
//! # #[cfg(all(feature = "checkout-flow", feature = "cybersource-flex"))]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use payclient::checkout::{CheckoutClient, CheckoutConfig, CheckoutCredentials, CheckoutEnvironment};
//! use payclient::cybersource::{CybersourceClient, CybersourceConfig, Environment};
//! use payclient::flex::{CaptureField, CaptureSelection, FlexClient, FlexOptions};
//! use payclient::secrecy::SecretString;
//!
//! let sandbox = payclient_sandbox::Sandbox::start().await?;
//! let c = sandbox.config();
//!
//! // Checkout.com Flow: a payment session for the browser's Flow component.
//! let checkout = CheckoutClient::new(
//!     CheckoutConfig::builder()
//!         .environment(CheckoutEnvironment::Custom {
//!             base_url: sandbox.base_url().to_owned(),
//!             token_url: None,
//!         })
//!         .credentials(CheckoutCredentials::SecretKey(SecretString::from(
//!             c.checkout_secret_key.clone(),
//!         )))
//!         .build()?,
//! )?;
//! let request: payclient::checkout::types::CreatePaymentSessionRequest =
//!     payclient::request_from_json(serde_json::json!({
//!         "amount": 1000, "currency": "GBP",
//!         "billing": {"address": {"country": "GB"}},
//!         "success_url": "https://example.com/ok", "failure_url": "https://example.com/failed"
//!     }))?;
//! let session = checkout.create_payment_session(request).await?;
//! println!("session {} ({} bytes for Flow)", session.value.id, session.raw().len());
//!
//! // Cybersource Flex: a capture context, signed by the vendor and verified here.
//! let cybersource = CybersourceClient::new(
//!     CybersourceConfig::builder()
//!         .merchant_id(&c.merchant_id)
//!         .key_id(&c.key_id)
//!         .shared_secret(SecretString::from(c.shared_secret.clone()))
//!         .environment(Environment::Custom {
//!             base_url: sandbox.base_url().to_owned(),
//!             signing_host: c.signing_host.clone(),
//!         })
//!         .build()?,
//! );
//! let flex = FlexClient::with_options(
//!     cybersource,
//!     FlexOptions { allowed_origins: Some(vec![sandbox.base_url().to_owned()]), ..FlexOptions::default() },
//! );
//! let context = flex
//!     .create_capture_context(&CaptureSelection::new().require(CaptureField::CardNumber))
//!     .await?;
//! assert_eq!(context.required_fields(), ["paymentInformation.card.number"]);
//! sandbox.shutdown().await;
//! # Ok(()) }
//! # #[cfg(not(all(feature = "checkout-flow", feature = "cybersource-flex")))]
//! # fn main() {}
//! ```
//!
//! Each product module shows its whole workflow the same way: [`flex`],
//! [`passkey`], [`intelligent_commerce`], [`checkout`].
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

/// The date and time crate of Intelligent Commerce's mandates
/// (`MandateTerms::effective_until`).
#[cfg(feature = "cybersource-intelligent-commerce")]
pub use chrono;
/// The core every product client runs on.
pub use payclient_core;
/// The generated clients' runtime (`ResponseValue`, `Error`), whose types
/// appear in [`payclient_core::Call`].
pub use payclient_core::progenitor_client;
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
/// The JSON crate of payclient's signatures ([`request_from_json`] takes a
/// `serde_json::Value`).
pub use serde_json;

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

#[cfg(feature = "cybersource-flex")]
pub mod flex;

#[cfg(feature = "cybersource-passkey")]
pub mod passkey;

#[cfg(feature = "cybersource-intelligent-commerce")]
pub mod intelligent_commerce;

#[cfg(feature = "checkout-flow")]
pub mod checkout;

#[cfg(feature = "checkout-flow")]
pub use checkout::{CheckoutClient, CheckoutConfig};
