//! Checkout.com Flow payment sessions: configuration and auth (secret key or
//! OAuth2), create / submit / get with the exact response bytes, typed
//! outcomes, errors and webhook verification.
//!
//! ```
//! use payclient::checkout::types::{CreatePaymentSessionRequest, SubmitPaymentSessionRequest};
//! use payclient::checkout::{
//!     CheckoutClient, CheckoutConfig, CheckoutCredentials, CheckoutEnvironment, SubmitOutcome,
//! };
//! use payclient::secrecy::SecretString;
//! use payclient_sandbox::Sandbox;
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The local sandbox stands in for Checkout.com; against the vendor,
//! // `CheckoutEnvironment::Sandbox { prefix }` or `CheckoutConfig::from_env()?`.
//! let sandbox = Sandbox::start().await?;
//! let config = CheckoutConfig::builder()
//!     .environment(CheckoutEnvironment::Custom {
//!         base_url: sandbox.base_url().to_owned(),
//!         token_url: None,
//!     })
//!     .credentials(CheckoutCredentials::SecretKey(SecretString::from(
//!         sandbox.config().checkout_secret_key.clone(),
//!     )))
//!     .build()?;
//! let client = CheckoutClient::new(config)?;
//!
//! let session = |amount: u64| -> Result<CreatePaymentSessionRequest, payclient::ValidationError> {
//!     payclient::request_from_json(json!({
//!         "amount": amount, "currency": "GBP", "reference": "ORD-5023-4E89",
//!         "billing": {"address": {"country": "GB"}},
//!         "success_url": "https://example.com/ok", "failure_url": "https://example.com/failed",
//!         "3ds": {"enabled": true}
//!     }))
//! };
//! let created = client.create_payment_session(session(1000)?).await?;
//! // Flow, in the browser, takes `created.raw()` unmodified (never log it:
//! // it holds the session secret; `Debug` does not print it).
//! assert!(!created.raw().is_empty());
//!
//! // What Flow's `handleSubmit` received; the sandbox takes any session data.
//! let submit: SubmitPaymentSessionRequest =
//!     serde_json::from_value(json!({"session_data": "from-flow", "amount": 1000}))?;
//! let outcome = client.submit_payment_session(&created.value.id, submit).await?;
//! match &outcome {
//!     SubmitOutcome::Processed(reply) => println!("{}: {}", reply.value.id, reply.value.status),
//!     // 202: the customer must act (3DS); `reply.value.action` says how.
//!     SubmitOutcome::ActionRequired(reply) => println!("{}: customer action", reply.value.id),
//!     // An answer this version does not know: hand `raw()` to Flow as it is.
//!     other => println!("{}", other.status()),
//! }
//! assert!(matches!(outcome, SubmitOutcome::Processed(_)));
//!
//! // A request that breaks a documented constraint names the field, and
//! // nothing is sent.
//! let err = payclient::request_from_json::<CreatePaymentSessionRequest>(json!({
//!     "amount": 1000, "currency": "GBP", "billing": {"address": {}},
//!     "success_url": "https://a.example", "failure_url": "https://b.example",
//!     "reference": "R".repeat(51)
//! }))
//! .unwrap_err();
//! assert_eq!((err.field.as_str(), err.reason.as_str()), ("reference", "longer than 50 characters"));
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```

mod config;
mod oauth;
mod vendor;
mod webhook;

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use payclient_core::{
    DecodeError, Error, Hooks, Pipeline, Reply, ValidationError, describe_json_error,
};

pub use config::{CheckoutConfig, CheckoutConfigBuilder, CheckoutCredentials, CheckoutEnvironment};
pub use oauth::SCOPE as OAUTH_SCOPE;
/// The generated client for `specs/checkout-flow.yaml`.
pub use payclient_raw_checkout_flow as raw;
/// The operations of `specs/checkout-flow.yaml`.
pub use payclient_raw_checkout_flow::operations;
/// The request and response types of `specs/checkout-flow.yaml`.
pub use payclient_raw_checkout_flow::types;
pub use vendor::CheckoutErrorBody;
pub use webhook::{MIN_WEBHOOK_SECRET_BYTES, WebhookEvent, verify_webhook};

use crate::fields::path_parameter;
use raw::calls;

/// Metadata may hold at most this many fields (the product document).
pub const MAX_METADATA_FIELDS: usize = 18;

/// A session answer: the typed view and the exact bytes Flow needs.
/// `Debug` never prints the bytes (they hold the session secret and token).
#[derive(Clone)]
#[non_exhaustive]
pub struct SessionReply<T> {
    /// The typed body (its secrets are `Sensitive`).
    pub value: T,
    /// HTTP status.
    pub status: u16,
    /// `Cko-Request-Id`.
    pub request_id: Option<String>,
    /// How many attempts were made.
    pub attempts: u32,
    raw: Bytes,
}

impl<T> SessionReply<T> {
    /// The unmodified response body, to hand to Flow. Do not log it.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }
}

impl<T: fmt::Debug> fmt::Debug for SessionReply<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionReply")
            .field("value", &self.value)
            .field("status", &self.status)
            .field("request_id", &self.request_id)
            .field("attempts", &self.attempts)
            .field("raw_bytes", &self.raw.len())
            .finish()
    }
}

/// What a submission (or a complete call) did. Non-exhaustive: the vendor
/// may add answers.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SubmitOutcome {
    /// 201: the payment was processed (approved or declined: see `status`).
    Processed(SessionReply<types::PaymentProcessed>),
    /// 202: asynchronous, or the customer must act (e.g. 3DS): see `action`.
    ActionRequired(SessionReply<types::PaymentActionRequired>),
}

impl SubmitOutcome {
    /// The payment id.
    pub fn payment_id(&self) -> &str {
        match self {
            Self::Processed(r) => &r.value.id,
            Self::ActionRequired(r) => &r.value.id,
        }
    }

    /// The payment status as the vendor wrote it (e.g. `Approved`, `Declined`, `Action Required`).
    pub fn status(&self) -> &str {
        match self {
            Self::Processed(r) => &r.value.status,
            Self::ActionRequired(r) => &r.value.status,
        }
    }

    /// The unmodified body, to return from Flow's `handleSubmit`.
    pub fn raw(&self) -> &[u8] {
        match self {
            Self::Processed(r) => r.raw(),
            Self::ActionRequired(r) => r.raw(),
        }
    }
}

/// A Checkout.com client. Cheap to clone.
#[derive(Clone)]
pub struct CheckoutClient {
    inner: Arc<Inner>,
}

struct Inner {
    config: CheckoutConfig,
    pipeline: Arc<Pipeline>,
    raw: raw::Client,
}

impl fmt::Debug for CheckoutClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckoutClient")
            .field("config", &self.inner.config)
            .finish()
    }
}

fn decode<T: serde::de::DeserializeOwned>(
    operation: &'static str,
    reply: Reply<Bytes>,
) -> Result<SessionReply<T>, Error> {
    let value = serde_json::from_slice(&reply.value).map_err(|e| {
        Error::Decode(DecodeError::new(
            operation,
            Some(reply.status),
            reply.request_id.clone(),
            describe_json_error(&e),
        ))
    })?;
    Ok(SessionReply {
        value,
        status: reply.status,
        request_id: reply.request_id,
        attempts: reply.attempts,
        raw: reply.value,
    })
}

/// A typify builder error names the field: "error converting supplied value
/// for reference: longer than 50 characters", "no value supplied for amount".
fn builder_error(message: impl fmt::Display) -> ValidationError {
    let text = message.to_string();
    for marker in [
        "error converting supplied value for ",
        "no value supplied for ",
    ] {
        if let Some(rest) = text.strip_prefix(marker) {
            let (field, reason) = rest.split_once(": ").unwrap_or((rest, "is required"));
            return ValidationError::new(field, reason);
        }
    }
    ValidationError::new("body", text)
}

/// The rules of a create (or complete) request the spec cannot state: at
/// most 18 metadata fields, commission percentages within 0 to 100.
fn check_create(
    metadata: Option<&types::Metadata>,
    amount_allocations: Option<&Vec<types::AmountAllocation>>,
) -> Result<(), ValidationError> {
    if let Some(m) = metadata
        && m.len() > MAX_METADATA_FIELDS
    {
        return Err(ValidationError::new(
            "metadata",
            format!(
                "has {} fields, at most {MAX_METADATA_FIELDS} are allowed",
                m.len()
            ),
        ));
    }
    for (i, allocation) in amount_allocations.into_iter().flatten().enumerate() {
        if let Some(percentage) = allocation.commission.as_ref().and_then(|c| c.percentage)
            && !(0.0..=100.0).contains(&percentage)
        {
            return Err(ValidationError::new(
                format!("amount_allocations[{i}].commission.percentage"),
                "must be between 0 and 100",
            ));
        }
    }
    Ok(())
}

/// Per-call options of the Flow calls that create or pay.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct FlowCallOptions {
    /// `Cko-Idempotency-Key`: asks Checkout.com to treat repeats of the
    /// request as one. The vendor documents the header for its payments API
    /// and does not say payment sessions honour it, so payclient still
    /// never retries a submission by itself. Letters, digits, `-`, `_`, `.`
    /// and `:`, at most 64 (a UUID fits); checked before anything is sent.
    pub idempotency_key: Option<String>,
}

impl FlowCallOptions {
    /// With `Cko-Idempotency-Key: key`.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// The key in the operation's generated form, checked.
    fn key<T>(&self) -> Result<Option<T>, ValidationError>
    where
        T: std::str::FromStr,
        T::Err: fmt::Display,
    {
        self.idempotency_key
            .as_deref()
            .map(|key| path_parameter("Cko-Idempotency-Key", key))
            .transpose()
    }
}

/// A submission's answer: 201 processed, 202 action required.
fn submission(operation: &'static str, reply: Reply<Bytes>) -> Result<SubmitOutcome, Error> {
    match reply.status {
        201 => Ok(SubmitOutcome::Processed(decode(operation, reply)?)),
        202 => Ok(SubmitOutcome::ActionRequired(decode(operation, reply)?)),
        status => Err(Error::Decode(DecodeError::new(
            operation,
            Some(status),
            reply.request_id,
            "a submission answers 201 or 202",
        ))),
    }
}

impl CheckoutClient {
    /// A client for `config`.
    pub fn new(config: CheckoutConfig) -> Result<Self, Error> {
        let vendor = Arc::new(vendor::Checkout::new(&config)?);
        let server_address = reqwest::Url::parse(&config.base_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        let pipeline = Arc::new(Pipeline::new(
            vendor,
            config.settings.clone(),
            server_address,
        ));
        let raw = raw::Client::new_with_client(
            &config.base_url,
            config.http.clone(),
            Hooks::new(pipeline.clone()),
        );
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                pipeline,
                raw,
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &CheckoutConfig {
        &self.inner.config
    }

    /// The generated client, authenticated by this client; send its calls
    /// with [`CheckoutClient::run`].
    pub fn raw(&self) -> &raw::Client {
        &self.inner.raw
    }

    /// Runs a generated call through this client's pipeline (authenticated,
    /// retried as its operation allows), building it once per attempt.
    pub async fn run<C: payclient_core::Call>(
        &self,
        call: impl Fn() -> C,
    ) -> Result<Reply<C::Output>, Error> {
        self.inner.pipeline.run(call).await
    }

    /// Requests a payment session. The request is checked before anything is
    /// sent (the spec's lengths, patterns and formats, amounts that cannot be
    /// negative, at most 18 metadata fields), each failure naming the field.
    /// Absent optional fields are not sent. Retried as the policy allows.
    pub async fn create_payment_session<R>(
        &self,
        request: R,
    ) -> Result<SessionReply<types::PaymentSession>, Error>
    where
        R: TryInto<types::CreatePaymentSessionRequest>,
        R::Error: fmt::Display,
    {
        self.create_payment_session_with(request, FlowCallOptions::default())
            .await
    }

    /// [`Self::create_payment_session`] with per-call options.
    pub async fn create_payment_session_with<R>(
        &self,
        request: R,
        options: FlowCallOptions,
    ) -> Result<SessionReply<types::PaymentSession>, Error>
    where
        R: TryInto<types::CreatePaymentSessionRequest>,
        R::Error: fmt::Display,
    {
        let request = request.try_into().map_err(builder_error)?;
        check_create(
            request.metadata.as_ref(),
            request.amount_allocations.as_ref(),
        )?;
        let key: Option<types::CreatePaymentSessionCkoIdempotencyKey> = options.key()?;
        let raw = &self.inner.raw;
        let reply = self
            .inner
            .pipeline
            .run_bytes(|| calls::CreatePaymentSession {
                client: raw,
                cko_idempotency_key: key.as_ref(),
                body: &request,
            })
            .await?;
        decode(operations::CREATE_PAYMENT_SESSION.id, reply)
    }

    /// Submits a payment attempt for a session (Flow's `handleSubmit`).
    /// Never retried automatically: a second attempt could charge twice.
    pub async fn submit_payment_session<R>(
        &self,
        session_id: &str,
        request: R,
    ) -> Result<SubmitOutcome, Error>
    where
        R: TryInto<types::SubmitPaymentSessionRequest>,
        R::Error: fmt::Display,
    {
        self.submit_payment_session_with(session_id, request, FlowCallOptions::default())
            .await
    }

    /// [`Self::submit_payment_session`] with per-call options. Still never
    /// retried automatically, idempotency key or not.
    pub async fn submit_payment_session_with<R>(
        &self,
        session_id: &str,
        request: R,
        options: FlowCallOptions,
    ) -> Result<SubmitOutcome, Error>
    where
        R: TryInto<types::SubmitPaymentSessionRequest>,
        R::Error: fmt::Display,
    {
        // In Flow the id comes back from the browser.
        let id: types::SubmitPaymentSessionId = path_parameter("id", session_id)?;
        let request = request.try_into().map_err(builder_error)?;
        check_create(
            request.metadata.as_ref(),
            request.amount_allocations.as_ref(),
        )?;
        let key: Option<types::SubmitPaymentSessionCkoIdempotencyKey> = options.key()?;
        let raw = &self.inner.raw;
        let reply = self
            .inner
            .pipeline
            .run_bytes(|| calls::SubmitPaymentSession {
                client: raw,
                id: &id,
                cko_idempotency_key: key.as_ref(),
                body: &request,
            })
            .await?;
        submission(operations::SUBMIT_PAYMENT_SESSION.id, reply)
    }

    /// Creates a payment session and submits its first payment attempt in
    /// one call (`POST /payment-sessions/complete`, Flow's advanced
    /// integration). Checked like a create request; answers like a
    /// submission, with the new session's `payment_session_id` and
    /// `payment_session_secret` (`Sensitive`). Never retried automatically:
    /// a second attempt could charge twice.
    pub async fn complete_payment_session<R>(
        &self,
        request: R,
        options: FlowCallOptions,
    ) -> Result<SubmitOutcome, Error>
    where
        R: TryInto<types::CompletePaymentSessionRequest>,
        R::Error: fmt::Display,
    {
        let request = request.try_into().map_err(builder_error)?;
        check_create(
            request.metadata.as_ref(),
            request.amount_allocations.as_ref(),
        )?;
        let key: Option<types::CompletePaymentSessionCkoIdempotencyKey> = options.key()?;
        let raw = &self.inner.raw;
        let reply = self
            .inner
            .pipeline
            .run_bytes(|| calls::CompletePaymentSession {
                client: raw,
                cko_idempotency_key: key.as_ref(),
                body: &request,
            })
            .await?;
        submission(operations::COMPLETE_PAYMENT_SESSION.id, reply)
    }

    /// Reads a payment session.
    pub async fn get_payment_session(
        &self,
        session_id: &str,
    ) -> Result<SessionReply<types::PaymentSession>, Error> {
        let id: types::GetPaymentSessionId = path_parameter("id", session_id)?;
        let raw = &self.inner.raw;
        let reply = self
            .inner
            .pipeline
            .run_bytes(|| calls::GetPaymentSession {
                client: raw,
                id: &id,
            })
            .await?;
        decode(operations::GET_PAYMENT_SESSION.id, reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_errors_name_the_field() {
        let e = builder_error(
            "error converting supplied value for reference: longer than 50 characters",
        );
        assert_eq!(
            (e.field.as_str(), e.reason.as_str()),
            ("reference", "longer than 50 characters")
        );
        let e = builder_error("no value supplied for amount");
        assert_eq!(
            (e.field.as_str(), e.reason.as_str()),
            ("amount", "is required")
        );
    }
}
