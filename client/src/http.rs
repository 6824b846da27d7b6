//! HTTP settings shared by the vendor configurations, and the rules every
//! answer is read under: redirects are never followed, and every body is
//! read against a limit.

use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt as _;

use crate::error::{ConfigError, RedirectError};

/// How many bytes an answer's body may hold before reading stops with
/// [`crate::Error::ResponseTooLarge`]. The defaults are sized to the answers
/// the four products give (a Flow session or an Intelligent Commerce answer
/// is a few KiB); an operation whose spec names a smaller bound
/// (`x-payclient-max-response-bytes`: a Flex public key, a capture context, a
/// transient token) keeps that bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseLimits {
    /// Success answers (default 1 MiB).
    pub success: u64,
    /// Error answers, 4xx and 5xx (default 64 KiB).
    pub error: u64,
    /// The Checkout.com OAuth token answer (default 16 KiB).
    pub oauth_token: u64,
}

impl Default for ResponseLimits {
    fn default() -> Self {
        Self {
            success: 1 << 20,
            error: 64 << 10,
            oauth_token: 16 << 10,
        }
    }
}

impl ResponseLimits {
    /// With `bytes` as the limit for success answers.
    pub fn with_success(mut self, bytes: u64) -> Self {
        self.success = bytes;
        self
    }

    /// With `bytes` as the limit for error answers.
    pub fn with_error(mut self, bytes: u64) -> Self {
        self.error = bytes;
        self
    }

    /// With `bytes` as the limit for the OAuth token answer.
    pub fn with_oauth_token(mut self, bytes: u64) -> Self {
        self.oauth_token = bytes;
        self
    }

    /// The limit for a `status` answer to `operation`.
    pub(crate) fn for_answer(&self, operation: &payclient_runtime::Operation, status: u16) -> u64 {
        if (200..300).contains(&status) {
            operation.max_response_bytes.unwrap_or(self.success)
        } else {
            self.error
        }
    }
}

/// The caller's `reqwest::ClientBuilder` (or a default one), the timeouts
/// for the default one, and the body limits.
#[derive(Debug, Default)]
pub(crate) struct HttpSettings {
    pub builder: Option<reqwest::ClientBuilder>,
    pub connect_timeout: Option<Duration>,
    pub request_timeout: Option<Duration>,
    pub limits: ResponseLimits,
}

impl HttpSettings {
    /// The client every request of a configuration goes through: the
    /// caller's builder, or one with the timeouts (10 s connect, 30 s per
    /// attempt by default) and payclient's `User-Agent`. Redirects are turned
    /// off whatever the builder said: a redirect would carry credentials, a
    /// signed body or card data to wherever it points.
    pub fn build(self) -> Result<reqwest::Client, ConfigError> {
        let builder = match self.builder {
            Some(builder) => builder,
            None => reqwest::Client::builder()
                .connect_timeout(self.connect_timeout.unwrap_or(Duration::from_secs(10)))
                .timeout(self.request_timeout.unwrap_or(Duration::from_secs(30)))
                .user_agent(crate::USER_AGENT),
        };
        builder
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|_| ConfigError::Invalid {
                field: "http_client",
                reason: "the HTTP client could not be built".to_owned(),
            })
    }
}

/// `https`, or plain `http` on loopback only (local simulators).
pub(crate) fn check_url(field: &'static str, value: &str) -> Result<(), ConfigError> {
    let url = reqwest::Url::parse(value).map_err(|_| ConfigError::Invalid {
        field,
        reason: "is not a URL".to_owned(),
    })?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(ConfigError::Invalid {
            field,
            reason: "must be https (plain http only on loopback, for simulators)".to_owned(),
        }),
    }
}

/// The error a capped body yields once it goes over its limit; found again
/// in the source chain of the read error (see [`exceeded_limit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BodyLimitExceeded {
    pub limit: u64,
}

impl std::fmt::Display for BodyLimitExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the body is larger than {} bytes", self.limit)
    }
}

impl std::error::Error for BodyLimitExceeded {}

/// `response` with a body that fails with [`BodyLimitExceeded`] as soon as
/// more than `limit` bytes arrive (at once when `Content-Length` already
/// says so); nothing past the limit is read.
pub(crate) fn cap_body(response: reqwest::Response, limit: u64) -> reqwest::Response {
    use reqwest::ResponseBuilderExt as _;

    let declared = response.content_length();
    let url = response.url().clone();
    let (mut parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
    let body = if declared.is_some_and(|n| n > limit) {
        // Dropping the body unread closes the connection.
        reqwest::Body::wrap_stream(futures::stream::once(async move {
            Err::<Bytes, BoxError>(Box::new(BodyLimitExceeded { limit }))
        }))
    } else {
        let mut seen: u64 = 0;
        reqwest::Body::wrap_stream(http_body_util::BodyExt::into_data_stream(body).map(
            move |chunk| {
                let chunk = chunk.map_err(|e| Box::new(e) as BoxError)?;
                seen = seen.saturating_add(chunk.len() as u64);
                if seen > limit {
                    return Err(Box::new(BodyLimitExceeded { limit }) as BoxError);
                }
                Ok(chunk)
            },
        ))
    };
    // Keep the URL reqwest records on a response (a rebuilt one loses it).
    if let Ok(marker) = http::Response::builder().url(url).body(()) {
        parts.extensions.extend(marker.into_parts().0.extensions);
    }
    reqwest::Response::from(http::Response::from_parts(parts, body))
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The limit that `error` (a body read error) ran into, if that is why it failed.
pub(crate) fn exceeded_limit(error: &(dyn std::error::Error + 'static)) -> Option<u64> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(exceeded) = e.downcast_ref::<BodyLimitExceeded>() {
            return Some(exceeded.limit);
        }
        current = e.source();
    }
    None
}

/// The redirect error for a 3xx `response` to `operation`.
pub(crate) fn redirect_error(operation: &str, response: &reqwest::Response) -> RedirectError {
    let location_host = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|location| response.url().join(location).ok())
        .and_then(|url| url.host_str().map(str::to_owned));
    RedirectError {
        operation: operation.to_owned(),
        status: response.status().as_u16(),
        location_host,
    }
}
