//! The one error type of payclient. It separates the phases of a call:
//! configuration and validation (nothing sent), transport (no answer),
//! redirect and size (an answer not read), API (the vendor answered with an
//! error) and decode; then verification, workflow and mandate refusals of
//! the products. `Display` and `Debug` never print a request or response
//! body, a header value that could be secret, or card data.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use bytes::Bytes;

/// Everything that can go wrong in a payclient call.
///
/// `Clone`, so that callers waiting on one shared operation (a Flex key
/// fetch) each receive its outcome.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Error {
    /// The configuration cannot work (found when it is built, or when an
    /// operation needs something it lacks, such as MLE). Nothing was sent.
    Configuration(ConfigError),
    /// A request was refused before sending because it breaks a documented
    /// constraint.
    Validation(ValidationError),
    /// The request did not complete: connect failure, timeout, broken connection.
    Transport(TransportError),
    /// The vendor answered with an error status.
    Api(Box<ApiError>),
    /// The server answered with a redirect. The vendors' APIs do not
    /// redirect API calls, so it is never followed: nothing (no credentials,
    /// no signed body) was sent to the place it names.
    Redirect(RedirectError),
    /// The answer's body was larger than the limit for it; the rest was not
    /// read (see [`crate::ResponseLimits`]).
    ResponseTooLarge(ResponseTooLarge),
    /// The vendor answered with a success status and a body we could not read.
    Decode(DecodeError),
    /// A signature we were given did not verify (a webhook, a token).
    Verification(VerificationError),
    /// A workflow step was asked for in a state that does not allow it
    /// (credentials for a cancelled instruction, an OTP for an app-to-app
    /// step-up). Nothing was sent.
    Workflow(WorkflowError),
    /// A request would spend beyond what the customer authorised in a
    /// mandate. Nothing was sent.
    Mandate(MandateViolation),
}

impl Error {
    /// The vendor's correlation or request id, when the vendor answered.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api(api) => api.request_id.as_deref(),
            Error::Decode(d) => d.request_id.as_deref(),
            Error::ResponseTooLarge(e) => e.request_id.as_deref(),
            _ => None,
        }
    }

    /// The HTTP status, when the vendor answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(api) => Some(api.status),
            Error::Decode(d) => d.status,
            Error::Redirect(e) => Some(e.status),
            Error::ResponseTooLarge(e) => Some(e.status),
            _ => None,
        }
    }

    /// The vendor's error code (`reason` such as `MISSING_FIELD` for
    /// Cybersource, `error_type` such as `request_invalid` for Checkout.com).
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Api(api) => api.code.as_deref(),
            _ => None,
        }
    }

    /// Whether calling again later may succeed without risk of doing it
    /// twice: a 429 or a connect failure for any operation; a timeout, 408
    /// or 5xx only for an operation that is safe to repeat. The pipeline has
    /// already retried within its policy; this is for the caller's own,
    /// later retry.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(api) => api.retryable,
            Error::Transport(e) => e.retryable,
            _ => false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Configuration(e) => write!(f, "configuration error: {e}"),
            Error::Validation(e) => write!(f, "invalid request: {e}"),
            Error::Transport(e) => write!(f, "transport error: {e}"),
            Error::Api(e) => write!(f, "{e}"),
            Error::Redirect(e) => write!(f, "{e}"),
            Error::ResponseTooLarge(e) => write!(f, "{e}"),
            Error::Decode(e) => write!(f, "{e}"),
            Error::Verification(e) => write!(f, "verification failed: {e}"),
            Error::Workflow(e) => write!(f, "out of order: {e}"),
            Error::Mandate(e) => write!(f, "refused by mandate: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Configuration(e) => Some(e),
            Error::Validation(e) => Some(e),
            Error::Transport(e) => Some(e),
            Error::Api(e) => Some(e.as_ref()),
            Error::Redirect(e) => Some(e),
            Error::ResponseTooLarge(e) => Some(e),
            Error::Decode(e) => Some(e),
            Error::Verification(e) => Some(e),
            Error::Workflow(e) => Some(e),
            Error::Mandate(e) => Some(e),
        }
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::Configuration(e)
    }
}

impl From<ValidationError> for Error {
    fn from(e: ValidationError) -> Self {
        Error::Validation(e)
    }
}

impl From<WorkflowError> for Error {
    fn from(e: WorkflowError) -> Self {
        Error::Workflow(e)
    }
}

impl From<MandateViolation> for Error {
    fn from(e: MandateViolation) -> Self {
        Error::Mandate(e)
    }
}

impl From<VerificationError> for Error {
    fn from(e: VerificationError) -> Self {
        Error::Verification(e)
    }
}

/// A configuration problem, naming the field.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required setting is absent.
    Missing {
        /// The setting (or environment variable).
        field: &'static str,
    },
    /// A setting has an unusable value.
    Invalid {
        /// The setting (or environment variable).
        field: &'static str,
        /// Why; never the value itself.
        reason: String,
    },
    /// An operation needs something this configuration does not provide.
    Operation {
        /// The operation id.
        operation: String,
        /// What is missing.
        reason: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Missing { field } => write!(f, "`{field}` is required"),
            ConfigError::Invalid { field, reason } => write!(f, "`{field}` {reason}"),
            ConfigError::Operation { operation, reason } => {
                write!(f, "operation `{operation}`: {reason}")
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// A request field that breaks a documented constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValidationError {
    /// The field path, e.g. `orderInformation.amountDetails.totalAmount`.
    pub field: String,
    /// The constraint it breaks; never the value.
    pub reason: String,
}

impl ValidationError {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.field, self.reason)
    }
}

impl std::error::Error for ValidationError {}

/// What kind of transport failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The connection could not be made: the request never reached the server.
    Connect,
    /// The request or the response timed out.
    Timeout,
    /// The connection broke or the body could not be read.
    Other,
}

/// The request did not complete.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TransportError {
    /// The operation id.
    pub operation: &'static str,
    /// What failed.
    pub kind: TransportErrorKind,
    /// How many attempts were made.
    pub attempts: u32,
    pub(crate) retryable: bool,
    pub(crate) source: Option<Arc<reqwest::Error>>,
}

impl TransportError {
    /// A failure of `operation` after `attempts`, from reqwest's error (its
    /// URL, which can hold ids, is dropped).
    pub fn from_reqwest(
        operation: &'static str,
        attempts: u32,
        idempotent: bool,
        error: reqwest::Error,
    ) -> Self {
        let kind = if error.is_connect() {
            TransportErrorKind::Connect
        } else if error.is_timeout() {
            TransportErrorKind::Timeout
        } else {
            TransportErrorKind::Other
        };
        Self {
            operation,
            kind,
            attempts,
            retryable: kind == TransportErrorKind::Connect || idempotent,
            source: Some(Arc::new(error.without_url())),
        }
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            TransportErrorKind::Connect => "could not connect",
            TransportErrorKind::Timeout => "timed out",
            TransportErrorKind::Other => "connection failed",
        };
        write!(
            f,
            "`{}` {what} after {} attempt(s)",
            self.operation, self.attempts
        )
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

/// The server answered with a redirect, which payclient never follows.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RedirectError {
    /// The operation id.
    pub operation: &'static str,
    /// The 3xx status.
    pub status: u16,
    /// The host the `Location` header names (the request's own host for a
    /// relative one); `None` when there is no usable `Location`.
    pub location_host: Option<String>,
}

impl RedirectError {
    /// The error for a 3xx `response` to `operation`.
    pub fn from_response(operation: &'static str, response: &reqwest::Response) -> Self {
        let location_host = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|location| response.url().join(location).ok())
            .and_then(|url| url.host_str().map(str::to_owned));
        Self {
            operation,
            status: response.status().as_u16(),
            location_host,
        }
    }
}

impl fmt::Display for RedirectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` was answered with a redirect (HTTP {})",
            self.operation, self.status
        )?;
        match &self.location_host {
            Some(host) => write!(f, " to host `{host}`")?,
            None => f.write_str(" without a usable Location")?,
        }
        f.write_str("; redirects are not followed, nothing was sent there")
    }
}

impl std::error::Error for RedirectError {}

/// An answer whose body was larger than its limit.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseTooLarge {
    /// The operation id.
    pub operation: &'static str,
    /// HTTP status of the answer.
    pub status: u16,
    /// The vendor's correlation or request id.
    pub request_id: Option<String>,
    /// The limit, in bytes.
    pub limit: u64,
}

impl fmt::Display for ResponseTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` answered HTTP {} with a body larger than {} bytes; the rest was not read",
            self.operation, self.status, self.limit
        )
    }
}

impl std::error::Error for ResponseTooLarge {}

/// What a vendor's error body says, read by the vendor's parser
/// ([`crate::Vendor::parse_error`]).
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct ServiceError {
    /// The vendor's error code.
    pub code: Option<String>,
    /// A one-line summary, safe to log (codes and field names, no values).
    pub reason: Option<String>,
    /// The body in the vendor's own type, for [`ApiError::vendor_body`].
    pub body: Option<Arc<dyn Any + Send + Sync>>,
}

impl ServiceError {
    /// The vendor's `code`, a safe `reason` and its typed `body`.
    pub fn new(
        code: Option<String>,
        reason: Option<String>,
        body: Option<Arc<dyn Any + Send + Sync>>,
    ) -> Self {
        Self { code, reason, body }
    }
}

/// The vendor answered with an error status.
#[derive(Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// The operation id.
    pub operation: &'static str,
    /// HTTP status.
    pub status: u16,
    /// The vendor's correlation or request id (`v-c-correlation-id`,
    /// `Cko-Request-Id`).
    pub request_id: Option<String>,
    /// The vendor's error code.
    pub code: Option<String>,
    /// A one-line summary of the vendor's reason, safe to log.
    pub reason: Option<String>,
    /// For an authentication failure: what the request carried (host, date,
    /// method, path, digest, merchant id, header names; never a secret).
    pub authentication: Option<String>,
    /// How many attempts were made.
    pub attempts: u32,
    pub(crate) retryable: bool,
    pub(crate) raw: Bytes,
    pub(crate) vendor_body: Option<Arc<dyn Any + Send + Sync>>,
}

impl ApiError {
    /// A `status` answer to `operation` whose body `raw` the vendor's parser
    /// read as `parsed` (for a vendor's own requests outside the pipeline,
    /// such as an OAuth token). Not retryable.
    pub fn new(
        operation: &'static str,
        status: u16,
        request_id: Option<String>,
        parsed: ServiceError,
        raw: Bytes,
    ) -> Self {
        Self {
            operation,
            status,
            request_id,
            code: parsed.code,
            reason: parsed.reason,
            authentication: None,
            attempts: 1,
            retryable: false,
            raw,
            vendor_body: parsed.body,
        }
    }

    /// The exact body the vendor sent (may echo request data: do not log it).
    pub fn raw_body(&self) -> &[u8] {
        &self.raw
    }

    /// The body in the vendor's own type, e.g.
    /// `api.vendor_body::<payclient::cybersource::CybersourceErrorBody>()`.
    pub fn vendor_body<T: Any>(&self) -> Option<&T> {
        self.vendor_body.as_deref()?.downcast_ref()
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("operation", &self.operation)
            .field("status", &self.status)
            .field("request_id", &self.request_id)
            .field("code", &self.code)
            .field("reason", &self.reason)
            .field("authentication", &self.authentication)
            .field("attempts", &self.attempts)
            .field("raw_body_bytes", &self.raw.len())
            .finish()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` failed with HTTP {}", self.operation, self.status)?;
        if let Some(reason) = &self.reason {
            write!(f, ": {reason}")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        if let Some(authentication) = &self.authentication {
            write!(f, "; {authentication}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// A success status whose body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeError {
    /// The operation id.
    pub operation: &'static str,
    /// HTTP status, when known (a documented success decoded by generated
    /// code does not say which it was).
    pub status: Option<u16>,
    /// The vendor's correlation or request id.
    pub request_id: Option<String>,
    /// What did not fit: the JSON error class and position, never body text.
    pub reason: String,
}

impl DecodeError {
    /// A `status` answer to `operation` that did not fit, because `reason`.
    pub fn new(
        operation: &'static str,
        status: Option<u16>,
        request_id: Option<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            operation,
            status,
            request_id,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` answered", self.operation)?;
        if let Some(status) = self.status {
            write!(f, " HTTP {status}")?;
        }
        write!(f, " with a body that could not be decoded: {}", self.reason)
    }
}

impl std::error::Error for DecodeError {}

/// Describes a serde_json error by class and position only (its message can
/// quote body text).
pub fn describe_json_error(e: &serde_json::Error) -> String {
    let class = match e.classify() {
        serde_json::error::Category::Io => "I/O error",
        serde_json::error::Category::Syntax => "not JSON",
        serde_json::error::Category::Data => "JSON of an unexpected shape",
        serde_json::error::Category::Eof => "truncated JSON",
    };
    format!("{class} at line {} column {}", e.line(), e.column())
}

/// What did not verify, and why (never the expected or received signature).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerificationError {
    /// What was checked, e.g. `Cko-Signature`.
    pub what: &'static str,
    /// Why it failed.
    pub reason: &'static str,
}

impl VerificationError {
    /// `what` failed to verify because `reason`.
    pub fn new(what: &'static str, reason: &'static str) -> Self {
        Self { what, reason }
    }
}

impl fmt::Display for VerificationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.reason)
    }
}

impl std::error::Error for VerificationError {}

/// A workflow step asked for in a state that does not allow it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkflowError {
    /// The step, e.g. `retrieve_payment_credentials`.
    pub operation: &'static str,
    /// The state it was asked for in, e.g. `Cancelled`.
    pub state: String,
    /// Why the state does not allow it.
    pub reason: String,
}

impl WorkflowError {
    /// `operation` cannot run in `state` because `reason`.
    pub fn new(
        operation: &'static str,
        state: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            operation,
            state: state.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for WorkflowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` in state {}: {}",
            self.operation, self.state, self.reason
        )
    }
}

impl std::error::Error for WorkflowError {}

/// Which limit of a mandate a request breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MandateLimit {
    /// The amount is above the mandate's decline threshold.
    Amount {
        /// The threshold, as the mandate states it (e.g. `100.00`).
        threshold: String,
        /// Its currency.
        currency: String,
        /// The amount requested.
        requested: String,
    },
    /// The currency differs from the threshold's.
    Currency {
        /// The threshold's currency.
        allowed: String,
        /// The currency requested.
        requested: String,
    },
    /// The mandate has ended.
    Expired {
        /// When it ended, seconds since the epoch.
        effective_until: i64,
    },
    /// More items than the mandate's quantity (counted over every request
    /// of the instruction).
    Quantity {
        /// The mandate's quantity.
        allowed: u64,
        /// Already spent.
        used: u64,
        /// Asked for now.
        requested: u64,
    },
}

/// A request refused because it breaks a customer's mandate.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MandateViolation {
    /// The mandate's id.
    pub mandate_id: String,
    /// The request field that breaks it.
    pub field: String,
    /// The limit, and what was asked for.
    pub limit: MandateLimit,
}

impl MandateViolation {
    /// `field` breaks `limit` of mandate `mandate_id`.
    pub fn new(
        mandate_id: impl Into<String>,
        field: impl Into<String>,
        limit: MandateLimit,
    ) -> Self {
        Self {
            mandate_id: mandate_id.into(),
            field: field.into(),
            limit,
        }
    }
}

impl fmt::Display for MandateViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = &self.mandate_id;
        let field = &self.field;
        match &self.limit {
            MandateLimit::Amount {
                threshold,
                currency,
                requested,
            } => write!(
                f,
                "`{field}` {requested} {currency} is above mandate `{id}`'s decline threshold of {threshold} {currency}"
            ),
            MandateLimit::Currency { allowed, requested } => write!(
                f,
                "`{field}` is {requested}, but mandate `{id}` allows only {allowed}"
            ),
            MandateLimit::Expired { effective_until } => write!(
                f,
                "mandate `{id}` ended at {effective_until} (seconds since the epoch); `{field}` comes after it"
            ),
            MandateLimit::Quantity {
                allowed,
                used,
                requested,
            } => write!(
                f,
                "`{field}` asks for {requested} more item(s) after {used}, but mandate `{id}` allows {allowed}"
            ),
        }
    }
}

impl std::error::Error for MandateViolation {}
