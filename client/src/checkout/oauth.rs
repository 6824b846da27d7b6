//! OAuth2 client credentials for Checkout.com: one token request at a time,
//! the token cached until shortly before `expires_in` (seconds), and a
//! refresh after a 401 only when the rejected token is still the cached one.

use std::time::{Duration, Instant};

use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

use crate::error::{
    ApiError, DecodeError, Error, ResponseTooLarge, TransportError, describe_json_error,
};

/// The scope Flow payment sessions need.
pub const SCOPE: &str = "payment-sessions";

struct CachedToken {
    header: HeaderValue,
    refresh_at: Instant,
}

/// Fetches and caches access tokens.
pub(crate) struct TokenSource {
    client_id: String,
    client_secret: SecretString,
    token_url: String,
    http: reqwest::Client,
    /// The most the token answer may hold.
    limit: u64,
    cached: tokio::sync::Mutex<Option<CachedToken>>,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("client_id", &self.client_id)
            .field("token_url", &self.token_url)
            .finish()
    }
}

#[derive(serde::Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: u64,
}

/// The longest lifetime believed, whatever `expires_in` says (Checkout.com
/// tokens live an hour); it also keeps the arithmetic on `Instant` bounded.
const MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// Refresh this long before expiry: a tenth of the lifetime, between 5 s and 60 s.
fn margin(lifetime: Duration) -> Duration {
    (lifetime / 10).clamp(Duration::from_secs(5), Duration::from_secs(60))
}

impl TokenSource {
    pub(crate) fn new(
        client_id: String,
        client_secret: SecretString,
        token_url: String,
        http: reqwest::Client,
        limit: u64,
    ) -> Self {
        Self {
            client_id,
            client_secret,
            token_url,
            http,
            limit,
            cached: tokio::sync::Mutex::new(None),
        }
    }

    /// A valid `Authorization` header value. Concurrent callers wait for one
    /// token request instead of each making their own.
    pub(crate) async fn header(&self) -> Result<HeaderValue, Error> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref().filter(|t| Instant::now() < t.refresh_at) {
            return Ok(token.header.clone());
        }
        let token = self.fetch().await?;
        let header = token.header.clone();
        *cached = Some(token);
        Ok(header)
    }

    /// After a 401 with `rejected`: a fresh header, unless another caller has
    /// already replaced the token (then that one).
    pub(crate) async fn refresh_after_rejection(
        &self,
        rejected: &HeaderValue,
    ) -> Result<HeaderValue, Error> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref().filter(|t| t.header != *rejected) {
            return Ok(token.header.clone());
        }
        let token = self.fetch().await?;
        let header = token.header.clone();
        *cached = Some(token);
        Ok(header)
    }

    async fn fetch(&self) -> Result<CachedToken, Error> {
        const OPERATION: &str = "oauth_token";
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose_secret()),
            ("scope", SCOPE),
        ];
        let body = form
            .iter()
            .map(|(k, v)| format!("{k}={}", percent_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let started = Instant::now();
        let response = self
            .http
            .post(&self.token_url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| Error::Transport(TransportError::from_reqwest(OPERATION, 1, e)))?;
        let status = response.status().as_u16();
        if (300..400).contains(&status) {
            return Err(Error::Redirect(crate::http::redirect_error(
                OPERATION, &response,
            )));
        }
        let request_id = response
            .headers()
            .get("cko-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let limit = self.limit;
        let raw = crate::http::cap_body(response, limit)
            .bytes()
            .await
            .map_err(|e| match crate::http::exceeded_limit(&e) {
                Some(limit) => Error::ResponseTooLarge(ResponseTooLarge {
                    operation: OPERATION.to_owned(),
                    status,
                    request_id: request_id.clone(),
                    limit,
                }),
                None => Error::Transport(TransportError::from_reqwest(OPERATION, 1, e)),
            })?;
        if !(200..300).contains(&status) {
            let body = super::parse_error_body(&raw);
            return Err(Error::Api(Box::new(ApiError::new(
                OPERATION, status, request_id, body, raw,
            ))));
        }
        let token: TokenResponse = serde_json::from_slice(&raw).map_err(|e| {
            Error::Decode(DecodeError {
                operation: OPERATION.to_owned(),
                status,
                request_id: request_id.clone(),
                reason: describe_json_error(&e),
            })
        })?;
        let refused = |reason: &str| {
            Error::Decode(DecodeError {
                operation: OPERATION.to_owned(),
                status,
                request_id: request_id.clone(),
                reason: reason.to_owned(),
            })
        };
        // `Bearer ` with nothing after it would be sent on every call.
        if token.access_token.trim().is_empty() {
            return Err(refused("the access token is empty"));
        }
        let mut header = HeaderValue::from_str(&format!("Bearer {}", token.access_token))
            .map_err(|_| refused("the access token is not a valid header value"))?;
        header.set_sensitive(true);
        let lifetime = Duration::from_secs(token.expires_in).min(MAX_LIFETIME);
        // Measured from when the request was sent: the token's clock started then at the latest.
        let refresh_at = started + lifetime.saturating_sub(margin(lifetime));
        tracing::debug!(
            expires_in = token.expires_in,
            "payclient: fetched a Checkout.com access token"
        );
        Ok(CachedToken { header, refresh_at })
    }
}

/// `application/x-www-form-urlencoded` encoding of one value.
fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margins_and_encoding() {
        assert_eq!(margin(Duration::from_secs(3600)), Duration::from_secs(60));
        assert_eq!(margin(Duration::from_secs(100)), Duration::from_secs(10));
        assert_eq!(margin(Duration::from_secs(1)), Duration::from_secs(5));
        assert_eq!(margin(MAX_LIFETIME), Duration::from_secs(60));
        assert_eq!(percent_encode("a b+c/=&"), "a%20b%2Bc%2F%3D%26");
    }
}
