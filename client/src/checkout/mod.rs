//! Checkout.com Flow payment sessions.
//!
//! ```
//! use payclient::checkout::{CheckoutClient, CheckoutConfig, CheckoutCredentials, CheckoutEnvironment};
//! use payclient::checkout::raw::types::builder::{Billing, CreatePaymentSessionRequest};
//! use secrecy::SecretString;
//!
//! let config = CheckoutConfig::builder()
//!     .environment(CheckoutEnvironment::Sandbox { prefix: "abcd1234".into() })
//!     .credentials(CheckoutCredentials::SecretKey(SecretString::from("sk_sbox_m73dzbpy7cf3gfd46xr4yj5xo4e")))
//!     .build()?;
//! let client = CheckoutClient::new(config)?;
//! // Typed, with the generated builder…
//! let request = CreatePaymentSessionRequest::default()
//!     .amount(1000u64)
//!     .currency("GBP")
//!     .billing(Billing::default().address(payclient::checkout::raw::types::Address::default()))
//!     .success_url("https://example.com/ok")
//!     .failure_url("https://example.com/failed");
//! // …or from JSON, where a broken constraint names its field:
//! let err = payclient::request_from_json::<payclient::checkout::raw::types::CreatePaymentSessionRequest>(
//!     serde_json::json!({"amount": 1000, "currency": "GBP", "billing": {"address": {}},
//!         "success_url": "https://a.example", "failure_url": "https://b.example",
//!         "reference": "R".repeat(51)}),
//! )
//! .unwrap_err();
//! assert_eq!((err.field.as_str(), err.reason.as_str()), ("reference", "longer than 50 characters"));
//! // let session = client.create_payment_session(request).await?;
//! // Flow takes session.raw() unmodified.
//! # let _ = (client, request);
//! # Ok::<(), payclient::Error>(())
//! ```

mod config;
mod oauth;
mod transport;
mod webhook;

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;

pub use config::{CheckoutConfig, CheckoutConfigBuilder, CheckoutCredentials, CheckoutEnvironment};
pub use oauth::SCOPE as OAUTH_SCOPE;
/// The generated client for `specs/checkout-flow.yaml`.
pub use payclient_raw_checkout_flow as raw;
pub use webhook::{MIN_WEBHOOK_SECRET_BYTES, WebhookEvent, verify_webhook};

use crate::Hooks;
use crate::call::{self, Vendor};
use crate::error::{
    DecodeError, Error, ValidationError, VendorErrorBody, describe_json_error, path_parameter,
};
use raw::types;

/// Metadata may hold at most this many fields (the product document).
pub const MAX_METADATA_FIELDS: usize = 18;

/// Parses a Checkout.com error body `{request_id, error_type, error_codes}`
/// (an empty 401 body is [`VendorErrorBody::Unrecognized`]).
pub(crate) fn parse_error_body(raw: &[u8]) -> VendorErrorBody {
    #[derive(serde::Deserialize)]
    struct Wire {
        request_id: Option<String>,
        error_type: Option<String>,
        #[serde(default)]
        error_codes: Vec<String>,
    }
    match serde_json::from_slice::<Wire>(raw) {
        Ok(w) if w.request_id.is_some() || w.error_type.is_some() => VendorErrorBody::Checkout {
            request_id: w.request_id,
            error_type: w.error_type,
            error_codes: w.error_codes,
        },
        _ => VendorErrorBody::Unrecognized,
    }
}

/// A session answer: the typed view and the exact bytes Flow needs.
/// `Debug` never prints the bytes (they hold the session secret and token).
#[derive(Clone)]
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

/// What a submission did.
#[derive(Debug, Clone)]
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
#[derive(Debug, Clone)]
pub struct CheckoutClient {
    raw: raw::Client,
    limits: crate::ResponseLimits,
}

fn decode<T: serde::de::DeserializeOwned>(
    operation: &str,
    reply: call::Reply<Bytes>,
) -> Result<SessionReply<T>, Error> {
    let value = serde_json::from_slice(&reply.value).map_err(|e| {
        Error::Decode(DecodeError {
            operation: operation.to_owned(),
            status: reply.status,
            request_id: reply.request_id.clone(),
            reason: describe_json_error(&e),
        })
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

/// Checks what the generated types cannot express.
fn check_metadata(metadata: Option<&types::Metadata>) -> Result<(), ValidationError> {
    match metadata {
        Some(m) if m.len() > MAX_METADATA_FIELDS => Err(ValidationError::new(
            "metadata",
            format!(
                "has {} fields, at most {MAX_METADATA_FIELDS} are allowed",
                m.len()
            ),
        )),
        _ => Ok(()),
    }
}

fn check_allocations(
    allocations: Option<&Vec<types::AmountAllocation>>,
) -> Result<(), ValidationError> {
    for (i, allocation) in allocations.into_iter().flatten().enumerate() {
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

impl CheckoutClient {
    /// A client for `config`.
    pub fn new(config: CheckoutConfig) -> Result<Self, Error> {
        let config = Arc::new(config);
        let transport = transport::CheckoutTransport::new(config.clone())?;
        let raw = raw::Client::new_with_client(
            &config.base_url,
            config.http.clone(),
            Hooks::new(transport),
        );
        Ok(Self {
            raw,
            limits: config.limits,
        })
    }

    /// The generated client, authorized by this client's transport.
    pub fn raw(&self) -> &raw::Client {
        &self.raw
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
        const OPERATION: &str = "create_payment_session";
        let request = request.try_into().map_err(builder_error)?;
        check_metadata(request.metadata.as_ref())?;
        check_allocations(request.amount_allocations.as_ref())?;
        let reply = call::run_bytes(
            Vendor::Checkout,
            OPERATION,
            self.limits.success,
            self.raw.create_payment_session().body(request).send(),
        )
        .await?;
        decode(OPERATION, reply)
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
        const OPERATION: &str = "submit_payment_session";
        // In Flow the id comes back from the browser.
        let id: types::SubmitPaymentSessionId = path_parameter("id", session_id)?;
        let request = request.try_into().map_err(builder_error)?;
        let reply = call::run_bytes(
            Vendor::Checkout,
            OPERATION,
            self.limits.success,
            self.raw
                .submit_payment_session()
                .id(id)
                .body(request)
                .send(),
        )
        .await?;
        match reply.status {
            201 => Ok(SubmitOutcome::Processed(decode(OPERATION, reply)?)),
            202 => Ok(SubmitOutcome::ActionRequired(decode(OPERATION, reply)?)),
            status => Err(Error::Decode(DecodeError {
                operation: OPERATION.to_owned(),
                status,
                request_id: reply.request_id,
                reason: "a submission answers 201 or 202".to_owned(),
            })),
        }
    }

    /// Reads a payment session.
    pub async fn get_payment_session(
        &self,
        session_id: &str,
    ) -> Result<SessionReply<types::PaymentSession>, Error> {
        const OPERATION: &str = "get_payment_session";
        let id: types::GetPaymentSessionId = path_parameter("id", session_id)?;
        let reply = call::run_bytes(
            Vendor::Checkout,
            OPERATION,
            self.limits.success,
            self.raw.get_payment_session().id(id).send(),
        )
        .await?;
        decode(OPERATION, reply)
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

    #[test]
    fn error_bodies() {
        assert_eq!(
            parse_error_body(br#"{"request_id":"r","error_type":"request_invalid","error_codes":["amount_invalid"]}"#),
            VendorErrorBody::Checkout { request_id: Some("r".into()), error_type: Some("request_invalid".into()), error_codes: vec!["amount_invalid".into()] }
        );
        assert_eq!(parse_error_body(b""), VendorErrorBody::Unrecognized);
    }
}
