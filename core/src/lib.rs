//! payclient's vendor-neutral core, shared by the generated clients in
//! `generated/` and the `payclient` crate:
//!
//! - [`Operation`]: what the spec says about each operation (one `static`
//!   per operation, emitted by `cargo xtask regen`), and [`Call`], the seam
//!   through which a generated request is sent;
//! - [`Pipeline`]: one call from first attempt to typed answer (retries,
//!   classification, observers, spans), around [`Hooks`], which every
//!   generated client calls on each attempt (path checks, media types,
//!   authentication by the [`Vendor`], one send, body limits);
//! - [`Error`]: the error type of every payclient call;
//! - [`Sensitive`] and [`UnknownMember`]: values that never reach a log.
//!
//! Nothing here knows a vendor: Cybersource and Checkout.com each plug in
//! one [`Vendor`].
//!
//! ```
//! use payclient_core::{Hooks, Operation, check_path, MessageEncryption};
//! use reqwest::header::HeaderValue;
//!
//! static GET_SESSION: Operation = Operation {
//!     id: "get_payment_session",
//!     method: "GET",
//!     path: "/payment-sessions/{id}",
//!     request_content_type: None,
//!     accept: Some(HeaderValue::from_static("application/json")),
//!     message_encryption: MessageEncryption::Off,
//!     idempotent: true,
//!     retry: true,
//!     authenticated: true,
//!     max_response_bytes: None,
//! };
//! let base = "https://example.api.sandbox.checkout.com";
//! let ok = reqwest::Url::parse(&format!("{base}/payment-sessions/ps_1"))?;
//! assert!(check_path(&GET_SESSION, base, &ok).is_ok());
//! // `..` would leave its segment (and re-aim the request, signed).
//! let hostile = reqwest::Url::parse(&format!("{base}/payment-sessions/../x"))?;
//! assert!(check_path(&GET_SESSION, base, &hostile).is_err());
//! # let _ = Hooks::none();
//! # Ok::<(), url::ParseError>(())
//! ```

#![warn(missing_docs)]

mod error;
mod hooks;
mod http;
mod operation;
mod pipeline;
mod values;

pub use error::{
    ApiError, ConfigError, DecodeError, Error, MandateLimit, MandateViolation, RedirectError,
    ResponseTooLarge, ServiceError, TransportError, TransportErrorKind, ValidationError,
    VerificationError, WorkflowError, describe_json_error,
};
pub use hooks::{
    BoxFuture, HookError, Hooks, ResponseLimits, SentRequest, Vendor, add_header, cap_body,
    check_path, new_request, read_limited, set_json_body, set_raw_body,
};
pub use http::{HttpSettings, check_url};
pub use operation::{Call, MessageEncryption, Operation};
pub use pipeline::{
    Attempt, AttemptObserver, CallSettings, Decision, Pipeline, Reply, RetryPolicy, classify_error,
    classify_status, retry_after,
};
pub use values::{Sensitive, UnknownMember};

/// The runtime of the generated clients, whose `ResponseValue` and `Error`
/// appear in [`Call`]'s signature.
pub use progenitor_client;
/// A raw body as generated code returns it (an undecoded JWT, or a body of
/// one of several shapes).
pub use progenitor_client::ByteStream;
/// The HTTP client crate whose types appear in this crate's signatures.
pub use reqwest;
/// The JSON crate whose `Value` and `Error` appear in this crate's signatures.
pub use serde_json;
