//! The call pipeline: one generated [`Call`] from the first attempt to a
//! typed answer or a typed [`Error`]. Per attempt: build and authenticate
//! (in the hooks; a refusal ends the call with nothing sent), send once,
//! classify the outcome, and maybe retry after a backoff. The state of a
//! call (its attempts, when it started, whether credentials were refreshed)
//! lives in [`Pipeline::run`]'s locals, nowhere else.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use progenitor_client::{ByteStream, ResponseValue};
use tracing::Instrument as _;

use crate::error::{
    ApiError, ConfigError, DecodeError, Error, RedirectError, ResponseTooLarge, TransportError,
    ValidationError, describe_json_error,
};
use crate::hooks::{RejectionExplained, ResponseLimits, Vendor, exceeded_limit, read_body};
use crate::operation::{Call, Operation};

/// How often and how long to retry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry).
    pub max_attempts: u32,
    /// The backoff ceiling of the first retry; doubles each retry.
    pub initial_backoff: Duration,
    /// The largest backoff ceiling.
    pub max_backoff: Duration,
    /// No retry starts after this much time since the first attempt.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// With `attempts` in all.
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// With the backoff ceiling starting at `initial` and capped at `max`.
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max;
        self
    }

    /// With no retry starting `elapsed` after the first attempt.
    pub fn with_max_elapsed(mut self, elapsed: Duration) -> Self {
        self.max_elapsed = elapsed;
        self
    }

    /// Full jitter: a uniform delay in `[0, min(max_backoff, initial * 2^(retry-1))]`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(20);
        let ceiling = self
            .initial_backoff
            .saturating_mul(1u32 << exponent)
            .min(self.max_backoff);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=nanos))
    }
}

/// Whether an attempt's outcome may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Hand the outcome to the caller.
    Stop,
    /// Try again (subject to the policy's caps).
    Retry,
}

/// A response status: 429 means the server did not take the request, so any
/// operation may repeat it; 408 and 5xx only a safe one.
pub fn classify_status(status: u16, idempotent: bool) -> Decision {
    match status {
        429 => Decision::Retry,
        408 | 500 | 502 | 503 | 504 if idempotent => Decision::Retry,
        _ => Decision::Stop,
    }
}

/// A send error: a connect failure never reached the server, so any
/// operation may repeat it; anything else (timeout, broken connection) only
/// a safe one.
pub fn classify_error(error: &reqwest::Error, idempotent: bool) -> Decision {
    if error.is_connect() || (idempotent && (error.is_timeout() || error.is_request())) {
        Decision::Retry
    } else {
        Decision::Stop
    }
}

/// `Retry-After` as seconds or an HTTP date. Any number of seconds is read
/// (it saturates); the pipeline waits only within the policy's total time.
pub fn retry_after(headers: &reqwest::header::HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A successful answer with its status, request id and attempt count.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Reply<T> {
    /// The decoded body.
    pub value: T,
    /// HTTP status.
    pub status: u16,
    /// The vendor's correlation or request id.
    pub request_id: Option<String>,
    /// How many attempts were made.
    pub attempts: u32,
}

impl<T> Reply<T> {
    /// The body.
    pub fn into_inner(self) -> T {
        self.value
    }

    /// The same reply around another value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Reply<U> {
        Reply {
            value: f(self.value),
            status: self.status,
            request_id: self.request_id,
            attempts: self.attempts,
        }
    }
}

/// One attempt, as an [`AttemptObserver`] sees it: no header, no body.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Attempt<'a> {
    /// `cybersource` or `checkout`.
    pub vendor: &'static str,
    /// The operation id.
    pub operation: &'static str,
    /// The HTTP method.
    pub method: &'static str,
    /// The host requests go to.
    pub server_address: &'a str,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The answer's status; `None` when there was no answer (or the attempt
    /// was refused before sending).
    pub status: Option<u16>,
    /// From sending to the answer's head (a typed body is decoded within).
    pub duration: Duration,
    /// The vendor's request id.
    pub request_id: Option<&'a str>,
}

/// An application's observer of every attempt, for metrics: register it on
/// a vendor configuration. It sees the operation, method, host, status,
/// attempt number, duration and request id, never headers or bodies.
/// Any `Fn(&Attempt)` is one.
pub trait AttemptObserver: Send + Sync + 'static {
    /// Called after each attempt.
    fn on_attempt(&self, attempt: &Attempt<'_>);
}

impl<F: Fn(&Attempt<'_>) + Send + Sync + 'static> AttemptObserver for F {
    fn on_attempt(&self, attempt: &Attempt<'_>) {
        self(attempt)
    }
}

/// Everything a vendor configuration sets for its calls.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct CallSettings {
    /// The retry policy.
    pub retry: RetryPolicy,
    /// The body limits.
    pub limits: ResponseLimits,
    /// The application's observers.
    pub observers: Vec<Arc<dyn AttemptObserver>>,
}

impl std::fmt::Debug for CallSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallSettings")
            .field("retry", &self.retry)
            .field("limits", &self.limits)
            .field("observers", &self.observers.len())
            .finish()
    }
}

/// Runs generated calls for one vendor configuration. Cheap to share
/// (`Arc`); the generated clients' [`crate::Hooks`] point at it.
pub struct Pipeline {
    vendor: Arc<dyn Vendor>,
    settings: CallSettings,
    server_address: String,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("vendor", &self.vendor.name())
            .field("settings", &self.settings)
            .field("server_address", &self.server_address)
            .finish()
    }
}

/// What one attempt's outcome leads to.
enum Next<T> {
    Done(Result<Reply<T>, Error>),
    /// Retry after the delay, unless that is not allowed; then this failure.
    RetryAfter(Duration, Failure),
    /// Refresh credentials and resend, unless the vendor cannot; then this answer.
    Reauthorize(reqwest::Response),
    /// A final error answer, whose body is still to be read.
    Answer(reqwest::Response),
}

/// A failed attempt that may be retried: an error answer (its body read
/// only if it becomes the call's outcome) or a transport error.
enum Failure {
    Answer(reqwest::Response),
    Error(Error),
}

impl Pipeline {
    /// A pipeline for `vendor` with `settings`; `server_address` is the host
    /// its requests go to (for spans and observers).
    pub fn new(vendor: Arc<dyn Vendor>, settings: CallSettings, server_address: String) -> Self {
        Self {
            vendor,
            settings,
            server_address,
        }
    }

    /// The vendor.
    pub fn vendor(&self) -> &dyn Vendor {
        self.vendor.as_ref()
    }

    /// The body limits.
    pub fn limits(&self) -> &ResponseLimits {
        &self.settings.limits
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.settings.retry
    }

    /// Runs the call that `call` builds (once per attempt): the vendor's
    /// preparation, then attempts until one answers in a way that is not
    /// retried.
    pub async fn run<C: Call>(&self, call: impl Fn() -> C) -> Result<Reply<C::Output>, Error> {
        let operation = C::operation();
        if let Some(ready) = self.vendor.before_call(operation) {
            ready.await?;
        }
        let started = Instant::now();
        let policy = &self.settings.retry;
        let mut attempt: u32 = 0;
        let mut reauthorized = false;
        loop {
            attempt += 1;
            let span = tracing::info_span!(
                "payclient.request",
                "payclient.vendor" = self.vendor.name(),
                "payclient.operation" = operation.id,
                "http.request.method" = operation.method,
                "server.address" = self.server_address.as_str(),
                "url.template" = operation.path,
                "url.path" = tracing::field::Empty,
                "http.request.resend_count" = attempt - 1,
                "http.response.status_code" = tracing::field::Empty,
            );
            let sent = Instant::now();
            // Boxed: a generated call's future is kilobytes, and inline it
            // would make every caller's future that much larger.
            let outcome = Box::pin(call().send()).instrument(span.clone()).await;
            let status = match &outcome {
                Ok(value) => Some(value.status().as_u16()),
                Err(progenitor_client::Error::UnexpectedResponse(response)) => {
                    Some(response.status().as_u16())
                }
                Err(_) => None,
            };
            if let Some(status) = status {
                span.record("http.response.status_code", status);
            }
            span.in_scope(|| tracing::debug!(answered = status.is_some(), "attempt finished"));
            let request_id = match &outcome {
                Ok(value) => self.request_id(value.headers()),
                Err(progenitor_client::Error::UnexpectedResponse(response)) => {
                    self.request_id(response.headers())
                }
                Err(_) => None,
            };
            self.observe(
                operation,
                attempt,
                status,
                sent.elapsed(),
                request_id.as_deref(),
            );
            let next = self.next(operation, attempt, outcome, request_id, reauthorized);
            let (delay, failure) = match next {
                Next::Done(result) => return result,
                Next::Answer(response) => {
                    return Err(Box::pin(self.api_error(operation, attempt, response)).await);
                }
                Next::Reauthorize(response) => {
                    reauthorized = true;
                    if self.vendor.after_unauthorized(operation, started).await {
                        span.in_scope(|| tracing::debug!("credentials refreshed after 401"));
                        attempt -= 1;
                        continue;
                    }
                    return Err(Box::pin(self.api_error(operation, attempt, response)).await);
                }
                Next::RetryAfter(delay, failure) => (delay, failure),
            };
            let allowed = operation.retry
                && attempt < policy.max_attempts
                // Saturating: a hostile `Retry-After` can name any number of seconds.
                && started.elapsed().saturating_add(delay) <= policy.max_elapsed;
            if !allowed {
                return Err(match failure {
                    Failure::Answer(response) => {
                        Box::pin(self.api_error(operation, attempt, response)).await
                    }
                    Failure::Error(error) => error,
                });
            }
            drop(failure);
            span.in_scope(|| tracing::debug!(delay_ms = delay.as_millis() as u64, "retrying"));
            tokio::time::sleep(delay).await;
        }
    }

    /// [`Pipeline::run`] for an operation whose success body is raw bytes (a
    /// JWT, or one of several shapes): the exact bytes, at most the limit.
    pub async fn run_bytes<C: Call<Output = ByteStream>>(
        &self,
        call: impl Fn() -> C,
    ) -> Result<Reply<Bytes>, Error> {
        let operation = C::operation();
        let reply = self.run(call).await?;
        let (status, request_id, attempts) = (reply.status, reply.request_id, reply.attempts);
        match read_body(reply.value).await {
            Ok(value) => Ok(Reply {
                value,
                status,
                request_id,
                attempts,
            }),
            Err(e) => Err(self.read_error(operation, attempts, Some(status), request_id, e)),
        }
    }

    fn request_id(&self, headers: &reqwest::header::HeaderMap) -> Option<String> {
        headers
            .get(self.vendor.request_id_header())
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    fn observe(
        &self,
        operation: &'static Operation,
        attempt: u32,
        status: Option<u16>,
        duration: Duration,
        request_id: Option<&str>,
    ) {
        if self.settings.observers.is_empty() {
            return;
        }
        let record = Attempt {
            vendor: self.vendor.name(),
            operation: operation.id,
            method: operation.method,
            server_address: &self.server_address,
            attempt,
            status,
            duration,
            request_id,
        };
        for observer in &self.settings.observers {
            observer.on_attempt(&record);
        }
    }

    /// Classifies one attempt's outcome.
    fn next<T: Send>(
        &self,
        operation: &'static Operation,
        attempt: u32,
        outcome: Result<ResponseValue<T>, progenitor_client::Error<()>>,
        request_id: Option<String>,
        reauthorized: bool,
    ) -> Next<T> {
        use progenitor_client::Error as P;
        let policy = &self.settings.retry;
        match outcome {
            Ok(value) => {
                let status = value.status().as_u16();
                Next::Done(Ok(Reply {
                    value: value.into_inner(),
                    status,
                    request_id,
                    attempts: attempt,
                }))
            }
            Err(P::UnexpectedResponse(response)) => {
                let status = response.status().as_u16();
                if response.status().is_redirection() {
                    return Next::Done(Err(Error::Redirect(RedirectError::from_response(
                        operation.id,
                        &response,
                    ))));
                }
                if response.status().is_success() {
                    return Next::Done(Err(Error::Decode(DecodeError::new(
                        operation.id,
                        Some(status),
                        request_id,
                        format!("HTTP {status} is not a documented answer"),
                    ))));
                }
                if status == 401 && !reauthorized {
                    return Next::Reauthorize(response);
                }
                if classify_status(status, operation.idempotent) == Decision::Retry {
                    let delay = retry_after(response.headers(), SystemTime::now())
                        .unwrap_or_else(|| policy.backoff(attempt));
                    return Next::RetryAfter(delay, Failure::Answer(response));
                }
                Next::Answer(response)
            }
            Err(P::CommunicationError(e)) => {
                let retry = classify_error(&e, operation.idempotent) == Decision::Retry;
                let error = Error::Transport(TransportError::from_reqwest(
                    operation.id,
                    attempt,
                    operation.idempotent,
                    e,
                ));
                if retry {
                    Next::RetryAfter(policy.backoff(attempt), Failure::Error(error))
                } else {
                    Next::Done(Err(error))
                }
            }
            Err(P::ResponseBodyError(e)) => {
                Next::Done(Err(self.read_error(operation, attempt, None, request_id, e)))
            }
            // progenitor decoded a documented success and does not say
            // which status it was.
            Err(P::InvalidResponsePayload(_, e)) => Next::Done(Err(Error::Decode(
                DecodeError::new(operation.id, None, request_id, describe_json_error(&e)),
            ))),
            Err(P::InvalidRequest(reason)) => Next::Done(Err(Error::Validation(
                match invalid_request_field(&reason) {
                    Some(field) => ValidationError::new(field, "does not have the documented form"),
                    None => ValidationError::new(operation.id, reason),
                },
            ))),
            Err(P::Custom(reason)) => {
                Next::Done(Err(Error::Configuration(ConfigError::Operation {
                    operation: operation.id.to_owned(),
                    reason,
                })))
            }
            // No error answer is documented to progenitor (the codegen view
            // hands them all to the pipeline), and no upgrade is asked for.
            Err(_) => Next::Done(Err(Error::Decode(DecodeError::new(
                operation.id,
                None,
                request_id,
                "an answer of a kind payclient does not expect",
            )))),
        }
    }

    /// A body read failed: over its limit, or the connection broke.
    fn read_error(
        &self,
        operation: &'static Operation,
        attempts: u32,
        status: Option<u16>,
        request_id: Option<String>,
        error: reqwest::Error,
    ) -> Error {
        if let Some(reason) = crate::hooks::not_opened(&error) {
            return Error::Verification(reason);
        }
        match exceeded_limit(&error) {
            Some(exceeded) => Error::ResponseTooLarge(ResponseTooLarge {
                operation: operation.id,
                status: status.unwrap_or(exceeded.status),
                request_id,
                limit: exceeded.limit,
            }),
            None => Error::Transport(TransportError::from_reqwest(
                operation.id,
                attempts,
                operation.idempotent,
                error,
            )),
        }
    }

    /// The error for a final error answer, with its body read and parsed.
    async fn api_error(
        &self,
        operation: &'static Operation,
        attempts: u32,
        response: reqwest::Response,
    ) -> Error {
        let status = response.status().as_u16();
        let request_id = self.request_id(response.headers());
        let authentication = explanation(&response);
        let raw = match response.bytes().await {
            Ok(raw) => raw,
            Err(e) => return self.read_error(operation, attempts, Some(status), request_id, e),
        };
        let parsed = self.vendor.parse_error(status, &raw);
        Error::Api(Box::new(ApiError {
            operation: operation.id,
            status,
            request_id,
            code: parsed.code,
            reason: parsed.reason,
            authentication,
            attempts,
            retryable: classify_status(status, operation.idempotent) == Decision::Retry,
            raw,
            vendor_body: parsed.body,
        }))
    }
}

fn explanation(response: &reqwest::Response) -> Option<String> {
    response
        .extensions()
        .get::<RejectionExplained>()
        .map(|e| e.0.clone())
}

/// The field a generated client's `InvalidRequest` names: typify's
/// "conversion to `T` for NAME failed" for a parameter, the hooks'
/// "path parameter `NAME` must …" for one that left its segment.
fn invalid_request_field(reason: &str) -> Option<&str> {
    if let Some(rest) = reason.strip_prefix("path parameter `") {
        return rest.split('`').next();
    }
    let rest = reason.strip_prefix("conversion to `")?;
    let (_, rest) = rest.split_once("` for ")?;
    rest.strip_suffix(" failed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_bounded_by_the_doubling_ceiling() {
        let policy = RetryPolicy::default()
            .with_backoff(Duration::from_millis(100), Duration::from_millis(300));
        for _ in 0..200 {
            assert!(policy.backoff(1) <= Duration::from_millis(100));
            assert!(policy.backoff(2) <= Duration::from_millis(200));
            assert!(policy.backoff(9) <= Duration::from_millis(300));
        }
        let spread: std::collections::BTreeSet<Duration> =
            (0..50).map(|_| policy.backoff(3)).collect();
        assert!(spread.len() > 10, "jitter spreads the delays");
    }

    #[test]
    fn status_classes() {
        assert_eq!(classify_status(429, false), Decision::Retry);
        assert_eq!(classify_status(503, true), Decision::Retry);
        assert_eq!(classify_status(503, false), Decision::Stop);
        assert_eq!(classify_status(408, false), Decision::Stop);
        assert_eq!(classify_status(400, true), Decision::Stop);
        assert_eq!(classify_status(401, true), Decision::Stop);
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("retry-after", "7".parse().expect("value"));
        assert_eq!(
            retry_after(&headers, SystemTime::now()),
            Some(Duration::from_secs(7))
        );
        let now = httpdate::parse_http_date("Sun, 22 Nov 2026 10:00:00 GMT").expect("date");
        headers.insert(
            "retry-after",
            "Sun, 22 Nov 2026 10:00:03 GMT".parse().expect("value"),
        );
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(3)));
        headers.insert("retry-after", "soon".parse().expect("value"));
        assert_eq!(retry_after(&headers, now), None);
        headers.insert(
            "retry-after",
            "18446744073709551615".parse().expect("value"),
        );
        assert_eq!(
            retry_after(&headers, now),
            Some(Duration::from_secs(u64::MAX))
        );
    }

    #[test]
    fn invalid_requests_name_their_field() {
        assert_eq!(
            invalid_request_field("conversion to `SubmitPaymentSessionId` for id failed"),
            Some("id")
        );
        assert_eq!(
            invalid_request_field("path parameter `tokenId` must be one URL path segment"),
            Some("tokenId")
        );
        assert_eq!(invalid_request_field("something else"), None);
    }
}
