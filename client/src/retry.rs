//! Retries: exponential backoff with full jitter, `Retry-After` honoured, a
//! cap on attempts and on total time. Which failures may be retried depends
//! on whether the operation is safe to repeat (see [`Decision`]).

use std::time::{Duration, SystemTime};

/// How often and how long to retry.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// What an attempt's outcome allows.
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

/// A send error: a connect failure never reached the server, so any operation
/// may repeat it; anything else (timeout, broken connection) only a safe one.
pub fn classify_error(error: &reqwest::Error, idempotent: bool) -> Decision {
    if error.is_connect() || (idempotent && (error.is_timeout() || error.is_request())) {
        Decision::Retry
    } else {
        Decision::Stop
    }
}

/// `Retry-After` as seconds or an HTTP date.
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

/// Per-vendor authentication of each attempt, used by [`execute`].
pub(crate) trait Authorizer: Send + Sync {
    /// Authenticates a repeated attempt afresh (Cybersource signs each one
    /// with a new date, digest and jti; the first attempt was authenticated
    /// when the request was prepared). An error means the attempt cannot be
    /// authenticated, and it is not sent.
    fn authorize_retry(
        &self,
        operation: &'static payclient_runtime::Operation,
        request: &mut reqwest::Request,
    ) -> Result<(), ()>;

    /// After a 401: refresh credentials and update `request`; `true` resends
    /// it once. The default never does.
    fn reauthorize<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        response: &'a reqwest::Response,
    ) -> payclient_runtime::BoxFuture<'a, bool> {
        let _ = (request, response);
        Box::pin(async { false })
    }
}

/// What [`execute`] needs besides the request.
pub(crate) struct Attempts<'a> {
    pub policy: &'a RetryPolicy,
    pub limits: &'a crate::http::ResponseLimits,
    pub operation: &'static payclient_runtime::Operation,
    pub vendor: &'static str,
    pub request_id_header: &'static str,
    pub authorizer: &'a dyn Authorizer,
}

/// Sends `request` (already authenticated for its first attempt): each
/// further attempt authenticated afresh, retried as [`classify_status`] /
/// [`classify_error`] and the policy allow (never when the operation says
/// `retry: false`), one resend after a 401 the authorizer can fix, and one
/// trace span per attempt (no bodies, no headers). The answer handed back
/// reads its body under the limit for its status ([`ResponseLimits`]).
///
/// [`ResponseLimits`]: crate::http::ResponseLimits
pub(crate) async fn execute(
    attempts: Attempts<'_>,
    client: &reqwest::Client,
    request: reqwest::Request,
) -> reqwest::Result<reqwest::Response> {
    use tracing::Instrument as _;
    let Attempts {
        policy,
        limits,
        operation,
        vendor,
        request_id_header,
        authorizer,
    } = attempts;
    let capped = |outcome: reqwest::Result<reqwest::Response>| {
        outcome.map(|response| {
            let limit = limits.for_answer(operation, response.status().as_u16());
            crate::http::cap_body(response, limit)
        })
    };
    let started = std::time::Instant::now();
    let mut request = request;
    let mut attempt: u32 = 0;
    let mut reauthorized = false;
    // The outcome a retry would replace: handed back if the retry cannot be
    // authenticated, so that nothing unauthenticated is ever sent.
    let mut previous: Option<reqwest::Result<reqwest::Response>> = None;
    loop {
        attempt += 1;
        let retries_left = operation.retry && attempt < policy.max_attempts;
        // A body that cannot be cloned (a stream) is sent once, as is.
        let Some(mut this_attempt) = request.try_clone() else {
            return capped(client.execute(request).await);
        };
        if let Some(previous_outcome) = previous.take() {
            if authorizer
                .authorize_retry(operation, &mut this_attempt)
                .is_err()
            {
                tracing::warn!(
                    vendor,
                    operation = operation.id,
                    attempt,
                    "payclient: a retry could not be authenticated; it was not sent"
                );
                return capped(previous_outcome);
            }
            drop(previous_outcome);
        }
        crate::call::record(|r| r.attempts = attempt);
        let span = tracing::info_span!(
            "payclient.request",
            vendor,
            operation = operation.id,
            method = operation.method,
            path = operation.path,
            attempt,
            status = tracing::field::Empty,
            request_id = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        let sent = std::time::Instant::now();
        let outcome = client.execute(this_attempt).instrument(span.clone()).await;
        span.record(
            "latency_ms",
            u64::try_from(sent.elapsed().as_millis()).unwrap_or(u64::MAX),
        );
        let decision = match &outcome {
            Ok(response) => {
                span.record("status", response.status().as_u16());
                if let Some(id) = response
                    .headers()
                    .get(request_id_header)
                    .and_then(|v| v.to_str().ok())
                {
                    span.record("request_id", id);
                }
                if response.status() == reqwest::StatusCode::UNAUTHORIZED && !reauthorized {
                    reauthorized = true;
                    if authorizer.reauthorize(&mut request, response).await {
                        span.in_scope(|| {
                            tracing::debug!("credentials refreshed after 401; resending once")
                        });
                        attempt -= 1;
                        continue;
                    }
                }
                classify_status(response.status().as_u16(), operation.idempotent)
            }
            Err(error) => classify_error(error, operation.idempotent),
        };
        span.in_scope(|| tracing::debug!(?decision, "attempt finished"));
        if decision == Decision::Stop || !retries_left {
            return capped(outcome);
        }
        let delay = match &outcome {
            Ok(response) => retry_after(response.headers(), SystemTime::now())
                .unwrap_or_else(|| policy.backoff(attempt)),
            Err(_) => policy.backoff(attempt),
        };
        // Saturating: a hostile `Retry-After` can name any number of seconds.
        if started.elapsed().saturating_add(delay) > policy.max_elapsed {
            return capped(outcome);
        }
        previous = Some(outcome);
        tokio::time::sleep(delay).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_bounded_by_the_doubling_ceiling() {
        let policy = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(300),
            ..RetryPolicy::default()
        };
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
    }
}
