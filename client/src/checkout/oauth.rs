//! OAuth2 client credentials for Checkout.com: one token request at a time,
//! the token kept until shortly before `expires_in` (seconds), and a refresh
//! after a 401 unless another call has refreshed it since.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use payclient_core::{
    ApiError, DecodeError, Error, RedirectError, TransportError, describe_json_error, read_limited,
};
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

/// The scope Flow payment sessions need.
pub const SCOPE: &str = "payment-sessions";

/// The operation name token requests carry in errors.
const OPERATION: &str = "oauth_token";

/// The longest lifetime believed, whatever `expires_in` says (Checkout.com
/// tokens live an hour); it also keeps the arithmetic on `Instant` bounded.
const MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

#[derive(Clone)]
struct CachedToken {
    header: HeaderValue,
    fetched: Instant,
    refresh_at: Instant,
}

/// Fetches and keeps access tokens.
pub(crate) struct TokenSource {
    client_id: String,
    client_secret: SecretString,
    token_url: String,
    http: reqwest::Client,
    /// The most the token answer may hold.
    limit: u64,
    /// Read by every attempt, synchronously.
    cached: Mutex<Option<CachedToken>>,
    /// Held while a token is fetched, so that callers wait for one request.
    fetching: tokio::sync::Mutex<()>,
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
            cached: Mutex::new(None),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    fn cached(&self) -> Option<CachedToken> {
        match self.cached.lock() {
            Ok(cached) => cached.clone(),
            // Nothing panics while holding it; the value is still whole.
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn store(&self, token: CachedToken) {
        match self.cached.lock() {
            Ok(mut cached) => *cached = Some(token),
            Err(poisoned) => *poisoned.into_inner() = Some(token),
        }
    }

    /// The `Authorization` value to send now, if a token was fetched.
    pub(crate) fn current(&self) -> Option<HeaderValue> {
        self.cached().map(|t| t.header)
    }

    /// Makes sure a token that is not about to expire is held. Concurrent
    /// callers wait for one token request instead of each making their own.
    pub(crate) async fn ensure(&self) -> Result<(), Error> {
        let fresh = |t: &CachedToken| Instant::now() < t.refresh_at;
        if self.cached().as_ref().is_some_and(fresh) {
            return Ok(());
        }
        let _one_at_a_time = self.fetching.lock().await;
        if self.cached().as_ref().is_some_and(fresh) {
            return Ok(());
        }
        let token = self.fetch().await?;
        self.store(token);
        Ok(())
    }

    /// After a 401 on a call that started at `call_started`: a new token,
    /// unless one was fetched since then. `false` when none can be had.
    pub(crate) async fn refresh_since(&self, call_started: Instant) -> bool {
        let newer = |t: &CachedToken| t.fetched > call_started;
        if self.cached().as_ref().is_some_and(newer) {
            return true;
        }
        let _one_at_a_time = self.fetching.lock().await;
        if self.cached().as_ref().is_some_and(newer) {
            return true;
        }
        match self.fetch().await {
            Ok(token) => {
                self.store(token);
                true
            }
            Err(_) => false,
        }
    }

    async fn fetch(&self) -> Result<CachedToken, Error> {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("client_id", &self.client_id)
            .append_pair("client_secret", self.client_secret.expose_secret())
            .append_pair("scope", SCOPE)
            .finish();
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
            .map_err(|e| Error::Transport(TransportError::from_reqwest(OPERATION, 1, false, e)))?;
        let status = response.status().as_u16();
        if response.status().is_redirection() {
            return Err(Error::Redirect(RedirectError::from_response(
                OPERATION, &response,
            )));
        }
        let request_id = response
            .headers()
            .get("cko-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let raw = read_limited(OPERATION, response, self.limit, request_id.clone()).await?;
        if !(200..300).contains(&status) {
            let parsed = super::vendor::parse_error_body(&raw);
            return Err(Error::Api(Box::new(ApiError::new(
                OPERATION, status, request_id, parsed, raw,
            ))));
        }
        let refused = |reason: String| {
            Error::Decode(DecodeError::new(
                OPERATION,
                Some(status),
                request_id.clone(),
                reason,
            ))
        };
        let token: TokenResponse =
            serde_json::from_slice(&raw).map_err(|e| refused(describe_json_error(&e)))?;
        // `Bearer ` with nothing after it would be sent on every call.
        if token.access_token.trim().is_empty() {
            return Err(refused("the access token is empty".to_owned()));
        }
        let mut header = HeaderValue::from_str(&format!("Bearer {}", token.access_token))
            .map_err(|_| refused("the access token is not a valid header value".to_owned()))?;
        header.set_sensitive(true);
        let lifetime = Duration::from_secs(token.expires_in).min(MAX_LIFETIME);
        tracing::debug!(
            expires_in = token.expires_in,
            "payclient: fetched a Checkout.com access token"
        );
        // Measured from when the request was sent: the token's clock started then at the latest.
        Ok(CachedToken {
            header,
            fetched: Instant::now(),
            refresh_at: started + lifetime.saturating_sub(margin(lifetime)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margins() {
        assert_eq!(margin(Duration::from_secs(3600)), Duration::from_secs(60));
        assert_eq!(margin(Duration::from_secs(100)), Duration::from_secs(10));
        assert_eq!(margin(Duration::from_secs(1)), Duration::from_secs(5));
        assert_eq!(margin(MAX_LIFETIME), Duration::from_secs(60));
    }
}
